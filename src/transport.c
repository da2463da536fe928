/*-------------------------------------------------------------------------
 *
 * transport.c
 *		  HTTP transport of modelarts_fdw: many requests in flight on one
 *		  libcurl multi handle, waited on interruptibly, their results
 *		  handed back as data.
 *
 * A MaTransport belongs to one cached connection (one user mapping): one
 * CURLM multi handle, which owns the pool of kept-alive connections, and a
 * pool of idle CURL easy handles, one taken per request in flight.  Requests
 * are MaHttpRequest objects owned by their caller; ma_transport_start() puts
 * one in flight, ma_transport_wait() drives every request in flight for a
 * while and marks those that finished (done, with their result), whoever
 * started them: two scans of one query may share the transport, and each
 * looks at its own requests only.
 *
 * Nothing here raises an error for what the network or the server did: a
 * transfer that failed comes back with its CURLcode, a completed one with
 * its status, headers and body, and the client layer above (client.c)
 * decides what is retried and what is an error.  The only errors raised are
 * out of memory and the query cancel or statement_timeout, which
 * CHECK_FOR_INTERRUPTS() raises while we wait; the owner of the requests
 * then cancels them (ma_transport_cancel) from its memory context's reset
 * callback, so a request is never left in flight past its query.
 *
 * The transport knows nothing of authentication: headers come with the
 * request.  auth.c uses it directly for IAM's token call.
 *
 * Waiting: libcurl tells us which sockets to watch (transport_socket_cb) and
 * when to call it back (transport_timer_cb).  Those sockets go into an epoll
 * set of our own, updated by epoll_ctl as libcurl asks; we wait on it, on
 * MyLatch and on postmaster death with one WaitEventSet made once per
 * transport (an epoll descriptor is readable when one of its sockets is
 * ready), then ask our epoll set which sockets are.  Nothing is built or
 * freed per request or per wake-up.
 *
 * Options: an easy handle gets the options common to every request once,
 * when it is made; a request sets only its URL, headers, timeout and
 * buffers.
 *
 * Framing: a server that sends more bytes than its Content-Length leaves
 * them in the socket, and libcurl would read them as the answer to the next
 * request on that kept-alive connection.  When a transfer ends, the socket
 * is peeked: bytes waiting on an idle connection mean its framing is in
 * doubt, and it is shut down so that libcurl never reuses it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lib/ilist.h"
#include "miscadmin.h"
#include "modelarts_fdw.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define MA_USER_AGENT		"modelarts_fdw/0.1.0"

/* Enough for MA_MAX_IN_FLIGHT transfers of one or two sockets each. */
#define MA_MAX_SOCKETS		(2 * MA_MAX_IN_FLIGHT + 8)

struct MaTransport
{
	CURLM	   *multi;
	MemoryContext cxt;			/* this struct and its copies of options */

	/* options every request gets */
	int			connect_timeout_ms;
	bool		ssl_verify;
	char	   *ca_file;
	char	   *proxy;
	char	   *proxy_user;		/* from the user mapping, or NULL */
	char	   *proxy_password;	/* wiped when the transport goes */

	/* idle easy handles, reused (curl_easy_reset) for the next request */
	CURL	   *idle[MA_MAX_IN_FLIGHT + 1];
	int			nidle;

	int			nactive;		/* requests in flight */
	dlist_head	active;			/* ... and the list of them */
	int			nusers;			/* scans holding this transport */
	bool		orphaned;		/* its connection moved on: free when unused */

	/* what libcurl wants us to wait for */
	int			epfd;			/* epoll set of libcurl's sockets */
	int			nsockets;		/* sockets in it */
	bool		socket_error;	/* epoll_ctl failed: fail the transfers */
	bool		timer_set;		/* is "deadline" meaningful? */
	TimestampTz deadline;		/* when libcurl wants to be called back */
	WaitEventSet *set;			/* MyLatch, postmaster death, epfd */
};

static int	transport_socket_cb(CURL *easy, curl_socket_t fd, int what,
								void *userp, void *socketp);
static int	transport_timer_cb(CURLM *multi, long timeout_ms, void *userp);
static size_t transport_write_cb(char *ptr, size_t size, size_t nmemb,
								 void *userdata);
static size_t transport_header_cb(char *buffer, size_t size, size_t nitems,
								  void *userdata);
static CURL *new_easy(MaTransport *tr);
static CURLcode set_request_options(MaTransport *tr, CURL *easy,
									MaHttpRequest *req);
static void finish_request(MaTransport *tr, MaHttpRequest *req,
						   CURLcode result);
static void release_easy(MaTransport *tr, MaHttpRequest *req);
static void transport_free(MaTransport *tr);


/*
 * Create a transport for a connection with these options.  It lives in a
 * child of "parent"; the libcurl handles are malloc'd and released by
 * ma_transport_destroy.  Raises an error (and leaks nothing) on failure.
 */
MaTransport *
ma_transport_create(MemoryContext parent, const MaServerOptions *opts,
					const MaUserOptions *user)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "modelarts_fdw transport",
											  ALLOCSET_SMALL_SIZES);
	MaTransport *tr = MemoryContextAllocZero(cxt, sizeof(MaTransport));

	tr->cxt = cxt;
	tr->connect_timeout_ms = opts->connect_timeout_ms;
	tr->ssl_verify = opts->ssl_verify;
	tr->ca_file = opts->ca_file ? MemoryContextStrdup(cxt, opts->ca_file) : NULL;
	tr->proxy = opts->proxy ? MemoryContextStrdup(cxt, opts->proxy) : NULL;
	tr->proxy_user = user->proxy_user ?
		MemoryContextStrdup(cxt, user->proxy_user) : NULL;
	tr->proxy_password = user->proxy_password ?
		MemoryContextStrdup(cxt, user->proxy_password) : NULL;

	tr->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (tr->epfd < 0)
	{
		int			save_errno = errno;

		MemoryContextDelete(cxt);
		errno = save_errno;
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not create an epoll set: %m")));
	}
	tr->multi = curl_multi_init();
	if (tr->multi == NULL)
	{
		close(tr->epfd);
		MemoryContextDelete(cxt);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));
	}
	curl_multi_setopt(tr->multi, CURLMOPT_SOCKETFUNCTION, transport_socket_cb);
	curl_multi_setopt(tr->multi, CURLMOPT_SOCKETDATA, tr);
	curl_multi_setopt(tr->multi, CURLMOPT_TIMERFUNCTION, transport_timer_cb);
	curl_multi_setopt(tr->multi, CURLMOPT_TIMERDATA, tr);
	/* keep a kept-alive connection for each request that may be in flight */
	curl_multi_setopt(tr->multi, CURLMOPT_MAXCONNECTS, (long) MA_MAX_IN_FLIGHT);
	/* HTTP/1.1 only: one request per connection at a time, no pipelining */
	curl_multi_setopt(tr->multi, CURLMOPT_PIPELINING, (long) CURLPIPE_NOTHING);
	dlist_init(&tr->active);

	/* made once: the latch, postmaster death and our epoll set */
	tr->set = CreateWaitEventSet(cxt, 3);
	AddWaitEventToSet(tr->set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
	if (IsUnderPostmaster)
		AddWaitEventToSet(tr->set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET,
						  NULL, NULL);
	AddWaitEventToSet(tr->set, WL_SOCKET_READABLE, tr->epfd, NULL, NULL);
	return tr;
}

/*
 * Called when the connection that made the transport is rebuilt or goes:
 * free it now if no scan holds it, else when the last one lets go.
 */
void
ma_transport_destroy(MaTransport *tr)
{
	tr->orphaned = true;
	if (tr->nusers == 0 && tr->nactive == 0)
		transport_free(tr);
}

/* A scan starts using the transport: it stays until ma_transport_unuse. */
void
ma_transport_use(MaTransport *tr)
{
	tr->nusers++;
}

/*
 * A scan is done with the transport (its requests cancelled first).  Safe
 * to call from a memory context reset callback.
 */
void
ma_transport_unuse(MaTransport *tr)
{
	Assert(tr->nusers > 0);
	tr->nusers--;
	if (tr->orphaned && tr->nusers == 0 && tr->nactive == 0)
		transport_free(tr);
}

static void
transport_free(MaTransport *tr)
{
	int			i;

	if (tr->set)
		FreeWaitEventSet(tr->set);
	for (i = 0; i < tr->nidle; i++)
		curl_easy_cleanup(tr->idle[i]);
	/* closes the kept-alive connections */
	curl_multi_cleanup(tr->multi);
	close(tr->epfd);
	if (tr->proxy_password)
		explicit_bzero(tr->proxy_password, strlen(tr->proxy_password));
	MemoryContextDelete(tr->cxt);
}

/* Requests in flight on this transport, all owners together. */
int
ma_transport_active(MaTransport *tr)
{
	return tr->nactive;
}

/*
 * Initialize a request: GET url (or "method" with "body"), with "headers"
 * (a List of "Name: value" strings, copied into libcurl's list when the
 * request starts), its answer palloc'd in "cxt".
 */
void
ma_http_request_init(MaHttpRequest *req, MemoryContext cxt, const char *method,
					 const char *url, List *headers, const char *body)
{
	memset(req, 0, sizeof(*req));
	req->cxt = cxt;
	req->method = method;
	req->url = url;
	req->headers = headers;
	req->body = body;
}

/*
 * Put a request in flight.  Its result arrives through ma_transport_wait
 * (req->done).  A request that cannot even be set up is done at once with
 * the CURLcode that says why.  timeout_ms bounds the whole transfer.
 */
void
ma_transport_start(MaTransport *tr, MaHttpRequest *req, long timeout_ms,
				   bool fresh_connection)
{
	CURL	   *easy;
	CURLcode	rc;
	CURLMcode	mc;
	ListCell   *lc;

	Assert(!req->active);
	req->done = false;
	req->result = CURLE_OK;
	req->status = 0;
	req->retry_after = NULL;
	req->subject_token = NULL;
	req->location = NULL;
	req->out_of_memory = false;
	req->too_large = false;
	req->framing_doubt = false;
	req->request_size = 0;
	req->os_errno = 0;
	req->errbuf[0] = '\0';
	req->timeout_ms = timeout_ms;
	req->fresh_connection = fresh_connection;
	req->body_buf.data = NULL;
	req->body_buf.len = 0;
	req->body_buf.maxlen = 0;
	req->body_buf.cursor = 0;

	if (tr->nidle > 0)
		easy = tr->idle[--tr->nidle];
	else
		easy = new_easy(tr);
	req->easy = easy;

	/* libcurl copies nothing of the header list: it lives with the request */
	req->slist = NULL;
	req->slist = curl_slist_append(req->slist, "Accept: application/json");
	if (req->body && req->slist)
	{
		req->slist = curl_slist_append(req->slist,
									   "Content-Type: application/json;charset=utf8");
		/* no "100 Continue" round trip for a small body */
		if (req->slist)
			req->slist = curl_slist_append(req->slist, "Expect:");
	}
	foreach(lc, req->headers)
	{
		struct curl_slist *next;

		if (req->slist == NULL)
			break;
		next = curl_slist_append(req->slist, (const char *) lfirst(lc));
		if (next == NULL)
		{
			curl_slist_free_all(req->slist);
			req->slist = NULL;
		}
		else
			req->slist = next;
	}
	if (req->slist == NULL)
	{
		release_easy(tr, req);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}

	rc = set_request_options(tr, easy, req);
	if (rc != CURLE_OK)
	{
		release_easy(tr, req);
		req->result = rc;
		req->done = true;
		return;
	}

	mc = curl_multi_add_handle(tr->multi, easy);
	if (mc != CURLM_OK)
	{
		release_easy(tr, req);
		req->result = CURLE_FAILED_INIT;
		snprintf(req->errbuf, sizeof(req->errbuf), "%s", curl_multi_strerror(mc));
		req->done = true;
		return;
	}
	req->active = true;
	req->tr = tr;
	tr->nactive++;
	dlist_push_tail(&tr->active, &req->node);
}

/*
 * Take a request out of flight, whatever its state; its easy handle goes
 * back to the pool.  A transfer cut half-way closes its connection (libcurl
 * cannot reuse it), the others stay.  Safe to call from a memory context
 * reset callback during error recovery: it calls nothing that can raise an
 * error.
 */
void
ma_transport_cancel(MaHttpRequest *req)
{
	MaTransport *tr = req->tr;

	if (!req->active)
		return;
	curl_multi_remove_handle(tr->multi, req->easy);
	req->active = false;
	tr->nactive--;
	dlist_delete(&req->node);
	release_easy(tr, req);
	if (tr->orphaned && tr->nusers == 0 && tr->nactive == 0)
		transport_free(tr);
}

/* Give the request's easy handle back (or free it) and its header list. */
static void
release_easy(MaTransport *tr, MaHttpRequest *req)
{
	if (req->slist)
	{
		curl_slist_free_all(req->slist);
		req->slist = NULL;
	}
	if (req->easy == NULL)
		return;
	/* a POST's body options would linger: such a handle is not reused */
	if (req->body == NULL && tr->nidle < lengthof(tr->idle))
		tr->idle[tr->nidle++] = req->easy;
	else
		curl_easy_cleanup(req->easy);
	req->easy = NULL;
}

/*
 * A new easy handle with the options every request shares, set once.
 */
static CURL *
new_easy(MaTransport *tr)
{
	CURL	   *easy = curl_easy_init();
	CURLcode	rc = CURLE_OK;

	if (easy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));

#define MA_SETOPT(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, val); } while (0)

	MA_SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	MA_SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* A redirect is an error naming the status, never followed. */
	MA_SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* libcurl must not touch signals: they belong to the backend. */
	MA_SETOPT(CURLOPT_NOSIGNAL, 1L);
	MA_SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long) tr->connect_timeout_ms);
	MA_SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	MA_SETOPT(CURLOPT_SSL_VERIFYPEER, tr->ssl_verify ? 1L : 0L);
	MA_SETOPT(CURLOPT_SSL_VERIFYHOST, tr->ssl_verify ? 2L : 0L);
	if (tr->ca_file)
		MA_SETOPT(CURLOPT_CAINFO, tr->ca_file);

	/*
	 * The proxy is what the server option says and nothing else: an empty
	 * string makes libcurl ignore http_proxy and friends in the postmaster's
	 * environment, which the DBA may not even know about.
	 */
	MA_SETOPT(CURLOPT_PROXY, tr->proxy ? tr->proxy : "");
	/* the proxy's credentials: from the user mapping, never in its URL */
	if (tr->proxy && tr->proxy_user)
		MA_SETOPT(CURLOPT_PROXYUSERNAME, tr->proxy_user);
	if (tr->proxy && tr->proxy_password)
		MA_SETOPT(CURLOPT_PROXYPASSWORD, tr->proxy_password);
	MA_SETOPT(CURLOPT_USERAGENT, MA_USER_AGENT);
	MA_SETOPT(CURLOPT_WRITEFUNCTION, transport_write_cb);
	MA_SETOPT(CURLOPT_HEADERFUNCTION, transport_header_cb);
	/* a page of images in one or two reads, not ten (the default is 16 kB) */
	MA_SETOPT(CURLOPT_BUFFERSIZE, 256L * 1024);

	if (rc != CURLE_OK)
	{
		curl_easy_cleanup(easy);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not set up a libcurl handle: %s",
						curl_easy_strerror(rc))));
	}
	return easy;
}

/*
 * Set what is the request's own on an easy handle (the rest was set when
 * the handle was made, see new_easy).
 */
static CURLcode
set_request_options(MaTransport *tr, CURL *easy, MaHttpRequest *req)
{
	CURLcode	rc = CURLE_OK;

	MA_SETOPT(CURLOPT_URL, req->url);
	MA_SETOPT(CURLOPT_PRIVATE, req);
	MA_SETOPT(CURLOPT_TIMEOUT_MS, Max(req->timeout_ms, 1L));
	MA_SETOPT(CURLOPT_FRESH_CONNECT, req->fresh_connection ? 1L : 0L);
	MA_SETOPT(CURLOPT_HTTPHEADER, req->slist);
	MA_SETOPT(CURLOPT_ERRORBUFFER, req->errbuf);
	MA_SETOPT(CURLOPT_WRITEDATA, req);
	MA_SETOPT(CURLOPT_HEADERDATA, req);
	if (req->body)
	{
		MA_SETOPT(CURLOPT_POSTFIELDSIZE, (long) strlen(req->body));
		MA_SETOPT(CURLOPT_POSTFIELDS, req->body);
	}
	else if (strcmp(req->method, "GET") == 0)
		MA_SETOPT(CURLOPT_HTTPGET, 1L);
	else
		MA_SETOPT(CURLOPT_CUSTOMREQUEST, req->method);

#undef MA_SETOPT

	return rc;
}

/*
 * Drive every request in flight for at most timeout_ms (-1: until one of
 * them finishes), and return how many finished, each marked done with its
 * result.  Returns early when one finishes.  Raises only the query cancel
 * and statement_timeout errors (and postmaster death), checked after each
 * wake-up outside any libcurl call.
 */
int
ma_transport_wait(MaTransport *tr, long timeout_ms)
{
	TimestampTz start = GetCurrentTimestamp();
	int			finished = 0;

	for (;;)
	{
		WaitEvent	events[3];
		struct epoll_event ready[MA_MAX_SOCKETS];
		long		timeout;
		int			nevents;
		int			nready = 0;
		int			running;
		int			i;
		CURLMsg    *msg;
		int			left;
		CURLMcode	mc = CURLM_OK;

		if (tr->nactive == 0)
			return finished;

		timeout = 1000;
		if (tr->timer_set)
			timeout = Min(timeout,
						  TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														  tr->deadline));
		if (timeout_ms >= 0)
			timeout = Min(timeout,
						  Max(0, timeout_ms -
							  TimestampDifferenceMilliseconds(start,
															  GetCurrentTimestamp())));

		/*
		 * Sockets ready already (answers stream in while several requests
		 * are in flight): no need to sleep on the wait set first.  A cancel
		 * is still seen at once: CHECK_FOR_INTERRUPTS() below runs on every
		 * turn, whatever woke us.
		 */
		nready = epoll_wait(tr->epfd, ready, lengthof(ready), 0);
		if (nready <= 0)
		{
			nready = 0;
			nevents = WaitEventSetWait(tr->set, timeout, events,
									   lengthof(events), PG_WAIT_EXTENSION);
			for (i = 0; i < nevents; i++)
			{
				if (events[i].events & WL_LATCH_SET)
					ResetLatch(MyLatch);
				if (events[i].events & WL_SOCKET_READABLE)
					nready = epoll_wait(tr->epfd, ready, lengthof(ready), 0);
			}
		}
		CHECK_FOR_INTERRUPTS();

		for (i = 0; i < nready && mc == CURLM_OK; i++)
		{
			int			mask = 0;

			if (ready[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
				mask |= CURL_CSELECT_IN;
			if (ready[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (ready[i].events & EPOLLERR)
				mask |= CURL_CSELECT_ERR;
			mc = curl_multi_socket_action(tr->multi, ready[i].data.fd, mask,
										  &running);
		}

		/*
		 * Clear the timer before calling libcurl: the call may set a new one
		 * through transport_timer_cb.
		 */
		if (mc == CURLM_OK && tr->timer_set &&
			GetCurrentTimestamp() >= tr->deadline)
		{
			tr->timer_set = false;
			mc = curl_multi_socket_action(tr->multi, CURL_SOCKET_TIMEOUT, 0,
										  &running);
		}

		while ((msg = curl_multi_info_read(tr->multi, &left)) != NULL)
		{
			MaHttpRequest *req = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);
			finish_request(tr, req, msg->data.result);
			finished++;
		}

		/*
		 * A failure of the multi handle itself (out of memory, too many
		 * sockets) ends every transfer in flight with an error result.
		 */
		if (mc != CURLM_OK || tr->socket_error)
		{
			char		msgbuf[CURL_ERROR_SIZE];

			snprintf(msgbuf, sizeof(msgbuf), "%s",
					 tr->socket_error ? "could not watch a socket" :
					 curl_multi_strerror(mc));
			while (!dlist_is_empty(&tr->active))
			{
				MaHttpRequest *req = dlist_head_element(MaHttpRequest, node,
														 &tr->active);

				memcpy(req->errbuf, msgbuf, sizeof(msgbuf));
				finish_request(tr, req, CURLE_FAILED_INIT);
				finished++;
			}
			tr->socket_error = false;
		}

		if (finished > 0)
			return finished;
		if (timeout_ms >= 0 &&
			TimestampDifferenceExceeds(start, GetCurrentTimestamp(), (int) timeout_ms))
			return 0;
	}
}

/*
 * Record the result of a finished transfer and take it off the multi
 * handle.  Peeks the connection's socket first: bytes already waiting on a
 * connection that just answered mean the server sent more than the answer,
 * and the connection is shut down so that they never pass for the next
 * answer.
 */
static void
finish_request(MaTransport *tr, MaHttpRequest *req, CURLcode result)
{
	CURL	   *easy = req->easy;
	curl_socket_t fd = CURL_SOCKET_BAD;

	req->result = result;
	if (result == CURLE_OK)
	{
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &req->status);
		if (curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK &&
			fd != CURL_SOCKET_BAD)
		{
			char		c;

			if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			{
				req->framing_doubt = true;
				shutdown(fd, SHUT_RDWR);
			}
		}
	}
	req->socket = fd;
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &req->connect_time_us);
	{
		long		sent = 0;

		/* sent over a new connection or a kept-alive one: the request went */
		if (curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK)
			req->request_size = sent;
		(void) curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &req->os_errno);
	}

	curl_multi_remove_handle(tr->multi, easy);
	req->active = false;
	req->done = true;
	tr->nactive--;
	dlist_delete(&req->node);
	release_easy(tr, req);
}

/*
 * Drop the connection a finished request came over, when its answer shows
 * it was not the one asked for: the framing of that connection is in doubt.
 * Only valid right after the request finished, before another starts.
 */
void
ma_transport_drop_connection(MaHttpRequest *req)
{
	if (req->socket != CURL_SOCKET_BAD)
		shutdown(req->socket, SHUT_RDWR);
	req->socket = CURL_SOCKET_BAD;
}

/*
 * Send one request and wait for its result: for IAM's token call and other
 * one-off requests.  Interruptible; a cancel takes the request out of flight
 * before the error propagates.
 */
void
ma_transport_perform(MaTransport *tr, MaHttpRequest *req, long timeout_ms)
{
	ma_transport_start(tr, req, timeout_ms, false);
	PG_TRY();
	{
		while (!req->done)
			(void) ma_transport_wait(tr, -1);
	}
	PG_CATCH();
	{
		ma_transport_cancel(req);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * libcurl's socket callback: keep the list of sockets to wait on.  It must
 * not raise errors (we are inside libcurl); a full list makes libcurl fail
 * the transfers instead.
 */
static int
transport_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
					void *socketp)
{
	MaTransport *tr = (MaTransport *) userp;
	struct epoll_event ev;

	if (what == CURL_POLL_REMOVE)
	{
		/* it may be closed already, which removed it: no complaint */
		if (socketp != NULL)
		{
			(void) epoll_ctl(tr->epfd, EPOLL_CTL_DEL, fd, NULL);
			curl_multi_assign(tr->multi, fd, NULL);
			tr->nsockets--;
		}
		return 0;
	}

	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;

	if (socketp == NULL)
	{
		if (tr->nsockets >= MA_MAX_SOCKETS ||
			epoll_ctl(tr->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		{
			tr->socket_error = true;
			return -1;
		}
		/* any non-NULL pointer says "in our epoll set" */
		curl_multi_assign(tr->multi, fd, tr);
		tr->nsockets++;
	}
	else if (epoll_ctl(tr->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
	{
		tr->socket_error = true;
		return -1;
	}
	return 0;
}

/* libcurl's timer callback: remember when libcurl wants to run again. */
static int
transport_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	MaTransport *tr = (MaTransport *) userp;

	if (timeout_ms < 0)
		tr->timer_set = false;
	else
	{
		tr->timer_set = true;
		tr->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												   timeout_ms);
	}
	return 0;
}

/*
 * libcurl's body callback: append to req->body_buf, in req->cxt.  An
 * allocation failure or an oversized body is flagged and answered with 0,
 * which makes libcurl stop with CURLE_WRITE_ERROR; raising an error here
 * would unwind through libcurl.
 */
static size_t
transport_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	MaHttpRequest *req = (MaHttpRequest *) userdata;
	StringInfo	buf = &req->body_buf;
	size_t		n = size * nmemb;

	if ((size_t) buf->len + n > MA_MAX_ANSWER_BYTES)
	{
		req->too_large = true;
		return 0;
	}
	if (buf->data == NULL || (size_t) buf->len + n + 1 > (size_t) buf->maxlen)
	{
		size_t		newlen = Max((size_t) buf->maxlen * 2,
								 Max((size_t) buf->len + n + 1, 8192));
		char	   *newdata;

		newdata = MemoryContextAllocExtended(req->cxt, newlen,
											 MCXT_ALLOC_NO_OOM);
		if (newdata == NULL)
		{
			req->out_of_memory = true;
			return 0;
		}
		if (buf->data)
		{
			memcpy(newdata, buf->data, buf->len + 1);
			pfree(buf->data);
		}
		buf->data = newdata;
		buf->maxlen = (int) newlen;
	}
	memcpy(buf->data + buf->len, ptr, n);
	buf->len += (int) n;
	buf->data[buf->len] = '\0';
	return n;
}

/* Copy a header value, trimmed, into req->cxt; NULL if out of memory. */
static char *
header_value(MaHttpRequest *req, const char *value, size_t len)
{
	char	   *result;

	while (len > 0 && (*value == ' ' || *value == '\t'))
		value++, len--;
	while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' ||
					   value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;

	result = MemoryContextAllocExtended(req->cxt, len + 1, MCXT_ALLOC_NO_OOM);
	if (result == NULL)
	{
		req->out_of_memory = true;
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
transport_header_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
	MaHttpRequest *req = (MaHttpRequest *) userdata;
	size_t		n = size * nitems;

#define MA_IS_HEADER(name) \
	(n > sizeof(name) - 1 && pg_strncasecmp(buffer, name, sizeof(name) - 1) == 0)

	if (n >= 5 && strncmp(buffer, "HTTP/", 5) == 0)
	{
		req->subject_token = NULL;
		req->retry_after = NULL;
		req->location = NULL;
	}
	else if (MA_IS_HEADER("x-subject-token:"))
		req->subject_token = header_value(req, buffer + 16, n - 16);
	else if (MA_IS_HEADER("retry-after:"))
		req->retry_after = header_value(req, buffer + 12, n - 12);
	else if (MA_IS_HEADER("location:"))
		req->location = header_value(req, buffer + 9, n - 9);

#undef MA_IS_HEADER

	return req->out_of_memory ? 0 : n;
}

/* The answer's body as a NUL-terminated string ("" when there is none). */
const char *
ma_http_body(MaHttpRequest *req, int *len)
{
	*len = req->body_buf.len;
	return req->body_buf.data ? req->body_buf.data : "";
}
