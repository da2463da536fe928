/*-------------------------------------------------------------------------
 *
 * http.c
 *		  HTTP transport of modelarts_fdw: interruptible requests through
 *		  libcurl's multi interface, retries, and ModelArts error answers.
 *
 * A request is driven by curl_multi_socket_action(): libcurl tells us which
 * sockets to watch (ma_socket_cb) and when to call it back (ma_timer_cb), and
 * we wait on those sockets and on MyLatch with a WaitEventSet.  A query cancel
 * or statement_timeout sets the latch, so CHECK_FOR_INTERRUPTS() raises the
 * standard 57014 error at once, however stalled the remote end is.  Whatever
 * happens, the easy handle is taken off the multi handle again, so the cached
 * connection stays usable for the next query.
 *
 * Ownership: libcurl's handles and lists are malloc'd and freed here on every
 * path; the body and headers of an answer are palloc'd; the cJSON returned by
 * ma_api_get is malloc'd by cJSON and belongs to the caller.
 *
 * No credential ever reaches a message: errors name the endpoint's base URL
 * and the request's path and query, which carry none (tokens and signatures
 * travel in headers only).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "miscadmin.h"
#include "modelarts_fdw.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define MA_USER_AGENT		"modelarts_fdw/0.1.0"

/* More than enough for one request: libcurl uses one or two sockets. */
#define MA_MAX_SOCKETS		8

/* Answers larger than this are refused rather than buffered. */
#define MA_MAX_BODY			(64 * 1024 * 1024)

/* Back-off for 429/503: first wait, and cap on any wait (Retry-After too). */
#define MA_BACKOFF_FIRST_MS	1000
#define MA_BACKOFF_MAX_MS	30000

/* How much of a body that is not JSON an error message shows. */
#define MA_SNIPPET_BYTES	200

/* A socket libcurl asked us to watch, and for what (CURL_POLL_*). */
typedef struct MaSocket
{
	curl_socket_t fd;
	int			what;
} MaSocket;

/*
 * State of the one request in progress.  A backend runs one request at a
 * time, so it is static; the libcurl callbacks reach it through their
 * userdata pointers.
 */
typedef struct MaTransfer
{
	MaSocket	sockets[MA_MAX_SOCKETS];
	int			nsockets;
	bool		too_many_sockets;
	bool		timer_set;		/* is "deadline" meaningful? */
	TimestampTz deadline;		/* when libcurl wants to be called back */
	MaHttpResponse *resp;		/* where the answer goes */
	MemoryContext cxt;			/* where the answer is allocated */
	bool		out_of_memory;	/* a callback could not allocate */
	bool		too_large;		/* the body exceeded MA_MAX_BODY */
	WaitEventSet *set;			/* freed by PG_FINALLY if still set */
	char		errbuf[CURL_ERROR_SIZE];
} MaTransfer;

static MaTransfer transfer;

/* What the error context callback shows for the request in progress. */
typedef struct MaRequestDesc
{
	const char *method;
	const char *path;
	const char *query;
} MaRequestDesc;

static int	ma_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
						 void *socketp);
static int	ma_timer_cb(CURLM *multi, long timeout_ms, void *userp);
static size_t ma_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
static size_t ma_header_cb(char *buffer, size_t size, size_t nitems,
						   void *userdata);
static CURLcode ma_run_transfer(CURLM *multi);
static void ma_set_options(MaConnection *conn, CURL *easy, const char *url,
						   const char *method, struct curl_slist *headers,
						   const char *body);
static struct curl_slist *ma_slist_append(struct curl_slist *list,
										  const char *line);
static void ma_report_transport_error(MaConnection *conn, CURL *easy,
									  const char *base, CURLcode rc) pg_attribute_noreturn();
static cJSON *ma_parse_success(MaHttpResponse *resp, const char *path);
static void ma_report_api_error(MaConnection *conn, MaHttpResponse *resp) pg_attribute_noreturn();
static char *ma_error_code(MaHttpResponse *resp, char **error_msg);
static int	ma_retry_wait_ms(const char *retry_after, int backoff_ms);
static void ma_sleep_ms(int ms);
static void ma_append_snippet(StringInfo buf, const char *data, int len);
static void ma_request_error_callback(void *arg);


/*
 * Send GET {endpoint}{path}?{query} and return the parsed JSON object of the
 * successful answer; see the header for the contract.
 *
 * 429 and 503 answers are retried up to max_retries times, waiting what
 * Retry-After says (or 1 s, doubling) but never more than 30 s.  In password
 * mode a 401 saying the token expired gets one new token and one retry.
 * counters->requests counts every request sent, counters->retries those that
 * were repeats.
 */
cJSON *
ma_api_get(MaConnection *conn, const char *path, const char *query,
		   MaRequestCounters *counters)
{
	MemoryContext reqcxt;
	MemoryContext oldcxt;
	ErrorContextCallback errcallback;
	MaRequestDesc desc;
	int			retries_left = conn->server.max_retries;
	int			backoff_ms = MA_BACKOFF_FIRST_MS;
	bool		renewed = false;
	cJSON	   *result;

	/* Bodies, headers and messages of this request; freed at the end. */
	reqcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "modelarts_fdw request",
								   ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(reqcxt);

	desc.method = "GET";
	desc.path = path;
	desc.query = query;
	errcallback.callback = ma_request_error_callback;
	errcallback.arg = &desc;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	for (;;)
	{
		MaHttpResponse resp;
		List	   *headers;

		headers = ma_auth_headers(conn, "GET", path, query);
		ma_http_perform(conn, "GET", conn->server.endpoint, path, query,
						headers, NULL, &resp);
		counters->requests++;

		if (resp.status >= 200 && resp.status < 300)
		{
			result = ma_parse_success(&resp, path);
			break;
		}

		if ((resp.status == 429 || resp.status == 503) && retries_left > 0)
		{
			int			wait_ms = ma_retry_wait_ms(resp.retry_after,
												   backoff_ms);

			retries_left--;
			backoff_ms = Min(backoff_ms * 2, MA_BACKOFF_MAX_MS);
			counters->retries++;
			ma_sleep_ms(wait_ms);
			continue;
		}

		if (resp.status == 401 && !renewed)
		{
			char	   *msg;
			char	   *code = ma_error_code(&resp, &msg);

			if (ma_auth_renew_after_401(conn, code))
			{
				renewed = true;
				counters->retries++;
				continue;
			}
		}

		ma_report_api_error(conn, &resp);
	}

	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(reqcxt);

	return result;
}

/*
 * Send one HTTP request to base + path [+ "?" + query] and fill *resp with
 * the answer, whatever its status.  "headers" is a List of "Name: value"
 * strings; "body", if not NULL, is sent as the body (for auth.c's IAM POST).
 *
 * Transport failures (no connection, timeout, connection closed early) are
 * raised here with ereport(ERROR).  The answer is palloc'd in the current
 * memory context.  libcurl's allocations are released on every path, and the
 * easy handle is always taken off the multi handle, so a cancelled request
 * leaves the cached connection usable.
 */
void
ma_http_perform(MaConnection *conn, const char *method, const char *base,
				const char *path, const char *query, List *headers,
				const char *body, MaHttpResponse *resp)
{
	CURL	   *easy = (CURL *) conn->easy;
	CURLM	   *multi = (CURLM *) conn->multi;
	StringInfoData url;
	struct curl_slist *volatile slist = NULL;
	volatile bool added = false;
	volatile CURLcode rc = CURLE_OK;
	ListCell   *lc;

	initStringInfo(&url);
	appendStringInfoString(&url, base);
	appendStringInfoString(&url, path);
	if (query && query[0] != '\0')
		appendStringInfo(&url, "?%s", query);

	resp->status = 0;
	initStringInfo(&resp->body);
	resp->subject_token = NULL;
	resp->retry_after = NULL;
	resp->location = NULL;

	memset(&transfer, 0, sizeof(transfer));
	transfer.resp = resp;
	transfer.cxt = CurrentMemoryContext;

	PG_TRY();
	{
		CURLMcode	mc;

		slist = ma_slist_append(slist, "Accept: application/json");
		if (body)
		{
			slist = ma_slist_append(slist, "Content-Type: application/json;charset=utf8");
			/* no "100 Continue" round trip for a small body */
			slist = ma_slist_append(slist, "Expect:");
		}
		foreach(lc, headers)
			slist = ma_slist_append(slist, (const char *) lfirst(lc));

		ma_set_options(conn, easy, url.data, method, slist, body);

		curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, ma_socket_cb);
		curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, &transfer);
		curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, ma_timer_cb);
		curl_multi_setopt(multi, CURLMOPT_TIMERDATA, &transfer);

		mc = curl_multi_add_handle(multi, easy);
		if (mc != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not start a request to ModelArts endpoint \"%s\": %s",
							base, curl_multi_strerror(mc))));
		added = true;

		rc = ma_run_transfer(multi);
		if (rc == CURLE_OK)
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status);
	}
	PG_FINALLY();
	{
		if (transfer.set)
		{
			FreeWaitEventSet(transfer.set);
			transfer.set = NULL;
		}
		if (added)
			curl_multi_remove_handle(multi, easy);
		curl_slist_free_all(slist);
		transfer.resp = NULL;
	}
	PG_END_TRY();

	if (rc != CURLE_OK || resp->status < 100)
		ma_report_transport_error(conn, easy, base, rc);
}

/*
 * Append s to buf percent-encoded as RFC 3986 and the AK/SK signer want it:
 * the unreserved characters A-Za-z0-9-_.~ as they are, every other byte as
 * %XX with upper-case hex digits.
 */
void
ma_append_encoded(StringInfo buf, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '_' || *p == '.' || *p == '~')
			appendStringInfoChar(buf, (char) *p);
		else
		{
			appendStringInfoChar(buf, '%');
			appendStringInfoChar(buf, hex[*p >> 4]);
			appendStringInfoChar(buf, hex[*p & 0x0F]);
		}
	}
}

/*
 * Set the per-request options on the easy handle, from a clean slate:
 * curl_easy_reset() forgets whatever the previous request (maybe one that
 * failed half-way) left behind, but keeps the connection pool, which lives in
 * the multi handle anyway.
 */
static void
ma_set_options(MaConnection *conn, CURL *easy, const char *url,
			   const char *method, struct curl_slist *headers,
			   const char *body)
{
	MaServerOptions *opts = &conn->server;
	CURLcode	rc = CURLE_OK;

	curl_easy_reset(easy);

#define MA_SETOPT(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, val); } while (0)

	MA_SETOPT(CURLOPT_URL, url);
	MA_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	MA_SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* A redirect is an error naming the status, never followed. */
	MA_SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* libcurl must not touch signals: they belong to the backend. */
	MA_SETOPT(CURLOPT_NOSIGNAL, 1L);
	MA_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long) opts->connect_timeout_ms);
	MA_SETOPT(CURLOPT_TIMEOUT_MS, (long) opts->request_timeout_ms);
	MA_SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	MA_SETOPT(CURLOPT_SSL_VERIFYPEER, opts->ssl_verify ? 1L : 0L);
	MA_SETOPT(CURLOPT_SSL_VERIFYHOST, opts->ssl_verify ? 2L : 0L);
	if (opts->ca_file)
		MA_SETOPT(CURLOPT_CAINFO, opts->ca_file);

	/*
	 * The proxy is what the server option says and nothing else: an empty
	 * string makes libcurl ignore http_proxy and friends in the postmaster's
	 * environment, which the DBA may not even know about.
	 */
	MA_SETOPT(CURLOPT_PROXY, opts->proxy ? opts->proxy : "");

	MA_SETOPT(CURLOPT_USERAGENT, MA_USER_AGENT);
	MA_SETOPT(CURLOPT_HTTPHEADER, headers);
	MA_SETOPT(CURLOPT_ERRORBUFFER, transfer.errbuf);
	MA_SETOPT(CURLOPT_WRITEFUNCTION, ma_write_cb);
	MA_SETOPT(CURLOPT_WRITEDATA, &transfer);
	MA_SETOPT(CURLOPT_HEADERFUNCTION, ma_header_cb);
	MA_SETOPT(CURLOPT_HEADERDATA, &transfer);
	if (body)
	{
		MA_SETOPT(CURLOPT_POSTFIELDSIZE, (long) strlen(body));
		MA_SETOPT(CURLOPT_POSTFIELDS, body);
	}
	else if (strcmp(method, "GET") == 0)
		MA_SETOPT(CURLOPT_HTTPGET, 1L);
	else
		MA_SETOPT(CURLOPT_CUSTOMREQUEST, method);

#undef MA_SETOPT

	if (rc != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set up a request to ModelArts endpoint \"%s\": %s",
						opts->endpoint, curl_easy_strerror(rc))));
}

/* curl_slist_append, raising an error instead of returning NULL. */
static struct curl_slist *
ma_slist_append(struct curl_slist *list, const char *line)
{
	struct curl_slist *result = curl_slist_append(list, line);

	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return result;
}

/*
 * Drive the transfer on the multi handle until it is done; return its result.
 *
 * Each round waits on libcurl's sockets, MyLatch and postmaster death, for no
 * longer than libcurl's timer (or 1 s, should libcurl have none), then lets
 * libcurl act on what happened.  Interrupts are checked after each wake-up
 * outside any libcurl call, so an error raised by CHECK_FOR_INTERRUPTS()
 * never unwinds through libcurl.
 */
static CURLcode
ma_run_transfer(CURLM *multi)
{
	for (;;)
	{
		WaitEvent	events[MA_MAX_SOCKETS + 2];
		long		timeout;
		int			nevents;
		int			running;
		int			i;
		CURLMsg    *msg;
		int			left;
		CURLMcode	mc = CURLM_OK;

		if (transfer.timer_set)
		{
			timeout = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
													  transfer.deadline);
			timeout = Min(timeout, 1000);
		}
		else
			timeout = 1000;

		transfer.set = CreateWaitEventSet(CurrentMemoryContext,
										  transfer.nsockets + 2);
		AddWaitEventToSet(transfer.set, WL_LATCH_SET, PGINVALID_SOCKET,
						  MyLatch, NULL);
		if (IsUnderPostmaster)
			AddWaitEventToSet(transfer.set, WL_EXIT_ON_PM_DEATH,
							  PGINVALID_SOCKET, NULL, NULL);
		for (i = 0; i < transfer.nsockets; i++)
		{
			uint32		ev = 0;

			if (transfer.sockets[i].what & CURL_POLL_IN)
				ev |= WL_SOCKET_READABLE;
			if (transfer.sockets[i].what & CURL_POLL_OUT)
				ev |= WL_SOCKET_WRITEABLE;
			if (ev != 0)
				AddWaitEventToSet(transfer.set, ev, transfer.sockets[i].fd,
								  NULL, NULL);
		}

		nevents = WaitEventSetWait(transfer.set, timeout, events,
								   lengthof(events), PG_WAIT_EXTENSION);
		FreeWaitEventSet(transfer.set);
		transfer.set = NULL;

		for (i = 0; i < nevents; i++)
		{
			if (events[i].events & WL_LATCH_SET)
				ResetLatch(MyLatch);
		}
		CHECK_FOR_INTERRUPTS();

		for (i = 0; i < nevents && mc == CURLM_OK; i++)
		{
			int			mask = 0;

			if (events[i].events & WL_SOCKET_READABLE)
				mask |= CURL_CSELECT_IN;
			if (events[i].events & WL_SOCKET_WRITEABLE)
				mask |= CURL_CSELECT_OUT;
			if (mask != 0)
				mc = curl_multi_socket_action(multi, events[i].fd, mask,
											  &running);
		}

		/*
		 * Clear the timer before calling libcurl: the call may set a new one
		 * through ma_timer_cb.
		 */
		if (mc == CURLM_OK && transfer.timer_set &&
			GetCurrentTimestamp() >= transfer.deadline)
		{
			transfer.timer_set = false;
			mc = curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0,
										  &running);
		}

		if (mc != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("HTTP transfer failed: %s",
							transfer.too_many_sockets ?
							"too many sockets" : curl_multi_strerror(mc))));

		while ((msg = curl_multi_info_read(multi, &left)) != NULL)
		{
			if (msg->msg == CURLMSG_DONE)
				return msg->data.result;
		}
	}
}

/*
 * libcurl's socket callback: keep the list of sockets to wait on.  It must
 * not raise errors (we are inside libcurl); a full list makes libcurl abort
 * the transfer instead.
 */
static int
ma_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
			 void *socketp)
{
	MaTransfer *t = (MaTransfer *) userp;
	int			i;

	for (i = 0; i < t->nsockets; i++)
	{
		if (t->sockets[i].fd == fd)
			break;
	}

	if (what == CURL_POLL_REMOVE)
	{
		if (i < t->nsockets)
			t->sockets[i] = t->sockets[--t->nsockets];
		return 0;
	}

	if (i == t->nsockets)
	{
		if (t->nsockets == MA_MAX_SOCKETS)
		{
			t->too_many_sockets = true;
			return -1;
		}
		t->sockets[t->nsockets++].fd = fd;
	}
	t->sockets[i].what = what;
	return 0;
}

/* libcurl's timer callback: remember when libcurl wants to run again. */
static int
ma_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	MaTransfer *t = (MaTransfer *) userp;

	if (timeout_ms < 0)
		t->timer_set = false;
	else
	{
		t->timer_set = true;
		t->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  timeout_ms);
	}
	return 0;
}

/*
 * libcurl's body callback: append to resp->body.  Allocation failures and
 * oversized bodies are flagged and answered with 0, which makes libcurl stop
 * with CURLE_WRITE_ERROR; raising an error here would unwind through libcurl.
 */
static size_t
ma_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	MaTransfer *t = (MaTransfer *) userdata;
	StringInfo	buf = &t->resp->body;
	size_t		n = size * nmemb;

	if ((size_t) buf->len + n > MA_MAX_BODY)
	{
		t->too_large = true;
		return 0;
	}
	if ((size_t) buf->len + n + 1 > (size_t) buf->maxlen)
	{
		size_t		newlen = Max((size_t) buf->maxlen * 2,
								 (size_t) buf->len + n + 1);
		char	   *newdata;

		newdata = MemoryContextAllocExtended(t->cxt, newlen,
											 MCXT_ALLOC_NO_OOM);
		if (newdata == NULL)
		{
			t->out_of_memory = true;
			return 0;
		}
		memcpy(newdata, buf->data, buf->len + 1);
		pfree(buf->data);
		buf->data = newdata;
		buf->maxlen = (int) newlen;
	}
	memcpy(buf->data + buf->len, ptr, n);
	buf->len += (int) n;
	buf->data[buf->len] = '\0';
	return n;
}

/* Copy a header value, trimmed, into t->cxt; NULL if out of memory. */
static char *
ma_header_value(MaTransfer *t, const char *value, size_t len)
{
	char	   *result;

	while (len > 0 && (*value == ' ' || *value == '\t'))
		value++, len--;
	while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' ||
					   value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;

	result = MemoryContextAllocExtended(t->cxt, len + 1, MCXT_ALLOC_NO_OOM);
	if (result == NULL)
	{
		t->out_of_memory = true;
		return NULL;
	}
	memcpy(result, value, len);
	result[len] = '\0';
	return result;
}

/*
 * libcurl's header callback: keep the few headers we read.  A status line
 * starts a new answer (after a "100 Continue", say): forget the old ones.
 */
static size_t
ma_header_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
	MaTransfer *t = (MaTransfer *) userdata;
	MaHttpResponse *resp = t->resp;
	size_t		n = size * nitems;

#define MA_IS_HEADER(name) \
	(n > sizeof(name) - 1 && pg_strncasecmp(buffer, name, sizeof(name) - 1) == 0)

	if (n >= 5 && strncmp(buffer, "HTTP/", 5) == 0)
	{
		resp->subject_token = NULL;
		resp->retry_after = NULL;
		resp->location = NULL;
	}
	else if (MA_IS_HEADER("x-subject-token:"))
		resp->subject_token = ma_header_value(t, buffer + 16, n - 16);
	else if (MA_IS_HEADER("retry-after:"))
		resp->retry_after = ma_header_value(t, buffer + 12, n - 12);
	else if (MA_IS_HEADER("location:"))
		resp->location = ma_header_value(t, buffer + 9, n - 9);

#undef MA_IS_HEADER

	return t->out_of_memory ? 0 : n;
}

/*
 * Raise the error for a request that got no complete answer.
 *
 * Failures to reach the endpoint get ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
 * failures after that ERRCODE_FDW_ERROR.  The message shows libcurl's
 * one-line description of the code; its more specific error buffer (host,
 * port, elapsed time: useful, but varying from run to run) goes in the detail.
 */
static void
ma_report_transport_error(MaConnection *conn, CURL *easy, const char *base,
						  CURLcode rc)
{
	const char *errbuf = transfer.errbuf;
	curl_off_t	connect_time = 0;

	if (transfer.out_of_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while receiving an answer from ModelArts endpoint \"%s\".",
						   base)));
	if (transfer.too_large)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("answer from ModelArts endpoint \"%s\" exceeds %d bytes",
						base, MA_MAX_BODY)));

	if (rc == CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("ModelArts endpoint \"%s\" did not answer with an HTTP status",
						base)));

	switch (rc)
	{
		case CURLE_OPERATION_TIMEDOUT:
			curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
			if (connect_time == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
						 errmsg("could not connect to ModelArts endpoint \"%s\": timed out after %d ms",
								base, Min(conn->server.connect_timeout_ms,
										  conn->server.request_timeout_ms)),
						 errbuf[0] ? errdetail("%s.", errbuf) : 0));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("ModelArts request timed out after %d ms",
							conn->server.request_timeout_ms),
					 errdetail("The endpoint is \"%s\".", base)));
			break;

		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_CRL_BADFILE:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not connect to ModelArts endpoint \"%s\": %s",
							base, curl_easy_strerror(rc)),
					 errbuf[0] ? errdetail("%s.", errbuf) : 0));
			break;

		default:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("request to ModelArts endpoint \"%s\" failed: %s",
							base, curl_easy_strerror(rc)),
					 errbuf[0] ? errdetail("%s.", errbuf) : 0));
			break;
	}
	pg_unreachable();
}

/*
 * Parse a 2xx answer: it must be a JSON object whose is_success, if present,
 * is true.  Returns the malloc'd cJSON, which the caller owns; on error it is
 * freed before the error is raised.
 */
static cJSON *
ma_parse_success(MaHttpResponse *resp, const char *path)
{
	const char *end = NULL;
	cJSON	   *json;
	cJSON	   *success;

	/*
	 * Pass the terminating NUL in the length and require it, so that
	 * trailing garbage after the object is an error too.
	 */
	json = cJSON_ParseWithLengthOpts(resp->body.data, resp->body.len + 1,
									 &end, true);
	if (json == NULL)
	{
		int			pos = end ? (int) (end - resp->body.data) : 0;
		StringInfoData snippet;

		pos = Max(0, Min(pos, resp->body.len));
		initStringInfo(&snippet);
		ma_append_snippet(&snippet, resp->body.data + pos,
						  Min(resp->body.len - pos, 40));
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("invalid JSON in the answer to GET %s", path),
				 errdetail("Parsing stopped at byte %d of %d, before \"%s\".",
						   pos, resp->body.len, snippet.data)));
	}

	if (!cJSON_IsObject(json))
	{
		cJSON_Delete(json);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("invalid answer to GET %s", path),
				 errdetail("The answer is JSON, but not an object.")));
	}

	success = cJSON_GetObjectItemCaseSensitive(json, "is_success");
	if (success != NULL && !cJSON_IsTrue(success))
	{
		cJSON_Delete(json);
		/* a 2xx that says it failed: report it like an error status */
		ma_report_api_error(NULL, resp);
	}

	return json;
}

/*
 * Return the error_code of a ModelArts error answer, palloc'd, or NULL if the
 * body is not a JSON object with a string error_code; set *error_msg to the
 * error_msg likewise.
 */
static char *
ma_error_code(MaHttpResponse *resp, char **error_msg)
{
	cJSON	   *json;
	cJSON	   *item;
	char	   *code = NULL;

	*error_msg = NULL;
	json = cJSON_ParseWithLength(resp->body.data, resp->body.len);
	if (json == NULL)
		return NULL;

	item = cJSON_GetObjectItemCaseSensitive(json, "error_code");
	if (cJSON_IsString(item))
		code = pstrdup(item->valuestring);
	item = cJSON_GetObjectItemCaseSensitive(json, "error_msg");
	if (cJSON_IsString(item))
		*error_msg = pstrdup(item->valuestring);

	cJSON_Delete(json);
	return code;
}

/*
 * Raise the error for an answer that is not a success: a redirect, a
 * ModelArts error object, or something else.  "conn" may be NULL when the
 * auth mode does not matter.
 */
static void
ma_report_api_error(MaConnection *conn, MaHttpResponse *resp)
{
	char	   *msg;
	char	   *code;
	MaAuthMode	mode = conn ? conn->user.mode : MA_AUTH_NONE;

	if (resp->status >= 300 && resp->status < 400)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("ModelArts API error: HTTP %ld, redirects are not followed",
						resp->status),
				 resp->location ?
				 errdetail("The answer redirects to \"%s\".", resp->location) : 0,
				 errhint("Set the server option endpoint to the URL that answers directly.")));

	code = ma_error_code(resp, &msg);
	if (code == NULL)
	{
		StringInfoData snippet;

		initStringInfo(&snippet);
		ma_append_snippet(&snippet, resp->body.data,
						  Min(resp->body.len, MA_SNIPPET_BYTES));
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("ModelArts API error: HTTP %ld, no error_code in the answer",
						resp->status),
				 resp->body.len == 0 ? errdetail("The answer has no body.") :
				 errdetail("The answer begins with \"%s\".", snippet.data)));
	}

	/*
	 * A refused credential is said in the terms of the user mapping's mode,
	 * naming the options to check; the API's own code and words go in the
	 * detail.  Nothing of the credential itself is shown.
	 */
	if (resp->status == 401)
	{
		switch (mode)
		{
			case MA_AUTH_AKSK:
				if (strcmp(code, "ModelArts.0211") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_ERROR),
							 errmsg("signature rejected: check access_key and secret_key and the machine's clock"),
							 errdetail("ModelArts answered HTTP 401, %s: %s",
									   code, msg ? msg : "(no error_msg)")));
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("access key refused: check access_key and secret_key"),
						 errdetail("ModelArts answered HTTP 401, %s: %s",
								   code, msg ? msg : "(no error_msg)")));
				break;
			case MA_AUTH_TOKEN:
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("auth_token refused: ModelArts answered HTTP 401, %s",
								code),
						 msg ? errdetail("%s", msg) : 0,
						 errhint("Check the auth_token option of the user mapping; IAM tokens expire after 24 hours.")));
				break;
			case MA_AUTH_PASSWORD:
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("token from IAM refused: ModelArts answered HTTP 401, %s",
								code),
						 msg ? errdetail("%s", msg) : 0,
						 errhint("IAM issued the token for user \"%s\"; check the server's project_id or region and iam_endpoint.",
								 conn->user.user_name)));
				break;
			case MA_AUTH_NONE:
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("ModelArts API error: HTTP 401, %s", code),
						 msg ? errdetail("%s", msg) : 0,
						 errhint("The user mapping has no credentials: set auth_token, or user_name, password and domain_name, or access_key and secret_key.")));
				break;
		}
	}

	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("ModelArts API error: HTTP %ld, %s", resp->status, code),
			 msg ? errdetail("%s", msg) : 0));
}

/*
 * How long to wait before retrying a 429 or 503: Retry-After in seconds or
 * as an HTTP date if the answer has it, else the current back-off; at most
 * MA_BACKOFF_MAX_MS either way.
 */
static int
ma_retry_wait_ms(const char *retry_after, int backoff_ms)
{
	if (retry_after && retry_after[0] != '\0')
	{
		const char *p;
		bool		digits = true;

		for (p = retry_after; *p; p++)
		{
			if (*p < '0' || *p > '9')
				digits = false;
		}
		if (digits)
		{
			if (strlen(retry_after) > 5)
				return MA_BACKOFF_MAX_MS;
			return Min(atoi(retry_after) * 1000, MA_BACKOFF_MAX_MS);
		}
		else
		{
			time_t		when = curl_getdate(retry_after, NULL);

			if (when != -1)
			{
				time_t		now = time(NULL);

				if (when <= now)
					return 0;
				if (when - now >= MA_BACKOFF_MAX_MS / 1000)
					return MA_BACKOFF_MAX_MS;
				return (int) (when - now) * 1000;
			}
		}
	}
	return Min(backoff_ms, MA_BACKOFF_MAX_MS);
}

/* Sleep for ms milliseconds, interruptibly. */
static void
ma_sleep_ms(int ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		remaining;
		int			rc;

		CHECK_FOR_INTERRUPTS();
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);
		if (remaining <= 0)
			break;
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   remaining, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
	}
}

/*
 * Append up to len bytes of data for a message: printable ASCII as is,
 * quotes and backslashes escaped, every other byte as \xNN (so a cut in the
 * middle of a UTF-8 sequence cannot produce an invalid string).
 */
static void
ma_append_snippet(StringInfo buf, const char *data, int len)
{
	int			i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) data[i];

		if (c == '"' || c == '\\')
			appendStringInfo(buf, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			appendStringInfoChar(buf, (char) c);
		else
			appendStringInfo(buf, "\\x%02X", c);
	}
}

/* Error context: the request, relative to the endpoint; never credentials. */
static void
ma_request_error_callback(void *arg)
{
	MaRequestDesc *desc = (MaRequestDesc *) arg;

	errcontext("remote request: %s %s%s%s", desc->method, desc->path,
			   (desc->query && desc->query[0]) ? "?" : "",
			   desc->query ? desc->query : "");
}
