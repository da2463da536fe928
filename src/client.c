/*-------------------------------------------------------------------------
 *
 * client.c
 *		  The ModelArts API client: calls with authentication, retries as
 *		  policy, several in flight, and answers mapped to results or errors.
 *
 * A MaClient belongs to one scan (or one IMPORT FOREIGN SCHEMA): it sends
 * MaCalls ("GET this path and query") over its connection's transport,
 * keeps at most a window of them in flight, and hands back each call's
 * parsed answer.  Everything about one logical call is decided here, once:
 *
 * - authentication headers, from auth.c, for each attempt (an AK/SK
 *   signature carries the time);
 * - the retry policy: transport failures (refused, reset, closed before a
 *   full answer, timed out) and HTTP 429, 500, 502, 503 and 504 are retried
 *   with exponential back-off and jitter, Retry-After honoured (capped), at
 *   most max_retries times and within request_timeout of the first attempt;
 *   a 401 in password mode gets one new token; other answers are final;
 * - congestion: a 429 or 503 halves the window of calls in flight, each
 *   success widens it again up to requests_in_flight;
 * - the answer: a 2xx must be a JSON object (is_success not false), and an
 *   images answer must name the job asked for; anything else is an error
 *   naming the HTTP status, the ModelArts error_code and error_msg.
 *
 * A call that fails for good keeps its last answer and raises its error
 * only when its owner asks for it (ma_client_wait): a page fetched ahead
 * that is never needed never fails the query.
 *
 * Ownership: MaCalls and their answers' bodies are palloc'd in the client's
 * context; the cJSON tree of a finished call lives in the call's own memory
 * context (see ma_json_parse) and belongs to the call until
 * ma_client_take_json hands that context over.  A reset callback on the
 * client's context cancels whatever is in flight, and every tree goes with
 * its context, so an error, a cancel or an early end of the scan leaves
 * nothing in flight and nothing allocated.
 *
 * No credential ever reaches a message: errors name the endpoint's base URL
 * and the request's path and query, which carry none, and whatever they
 * quote of the server's answer (error_msg, a body, a Location, libcurl's
 * error text) goes through ma_redact first (see perimeter.c), which cuts
 * out the request's secrets however the server echoed them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>
#include <sys/mman.h>

#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "common/pg_prng.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "json.h"
#include "modelarts_fdw.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* Back-off: first wait, cap on a computed wait, cap on Retry-After. */
#define MA_BACKOFF_FIRST_MS		200
#define MA_BACKOFF_MAX_MS		10000
#define MA_RETRY_AFTER_MAX_MS	30000

/* How much of a body that is not JSON an error message shows. */
#define MA_SNIPPET_BYTES	200

/* How much of a text from the server a message quotes. */
#define MA_QUOTE_BYTES		1000

/*
 * Where an answer's tree goes (see json.c, which carves its nodes from the
 * blocks asked here): a memory context, never freed piece by piece: the
 * tree goes when the context is reset or deleted.  At most "limit" bytes;
 * past it an allocation fails, and so does the reading.
 */
typedef struct MaTreeBlocks MaTreeBlocks;

typedef struct MaJsonArena
{
	MemoryContext cxt;
	MaTreeBlocks *blocks;		/* the reader's blocks, or NULL */
	Size		used;
	Size		limit;
	bool		exceeded;
} MaJsonArena;

static void client_reset_callback(void *arg);
static void start_call(MaClient *client, MaCall *call);
static void dispatch(MaClient *client);
static void call_finished(MaClient *client, MaCall *call);
static bool schedule_retry(MaClient *client, MaCall *call, int wait_ms);
static void fail_call(MaCall *call, MaCallFailure failure);
static cJSON *parse_answer(MaClient *client, MaCall *call,
						   MaCallFailure *failure);
static void report_failure(MaClient *client, MaCall *call) pg_attribute_noreturn();
static void report_transport_error(MaClient *client, MaCall *call) pg_attribute_noreturn();
static void could_not_connect(const char *base, CURLcode rc, const char *note,
							  const char *errbuf) pg_attribute_noreturn();
static void report_api_error(MaClient *client, MaCall *call) pg_attribute_noreturn();
static char *error_code(MaHttpRequest *req, char **error_msg);
static bool status_is_missing_job(long status, const char *code);
static bool call_is_missing_job(MaCall *call);
static int	retry_wait_ms(const char *retry_after, int retries);
static bool transport_failure_is_retryable(MaHttpRequest *req);
static const char *retry_note(int retries);
static void append_snippet(StringInfo buf, const char *data, int len);
static void call_error_callback(void *arg);


/*
 * The reader's blocks (MA_JSON_BLOCK_BYTES each) are mapped, not palloc'd,
 * so that a tree's blocks can serve the next answers when it goes: a block
 * palloc'd and freed for every page of a long scan is given back to the
 * system and faulted in again, page by page (27,000 page faults in a
 * 1,000,000-image scan).  A tree's blocks are listed in its memory context,
 * whose reset callback keeps up to MA_SPARE_BLOCKS of them here (2 MB) and
 * unmaps the rest: they go with the tree, on error too, and the memory of
 * a huge tree goes back to the system at once (spare blocks in the heap
 * would keep it from shrinking below them).
 */
#define MA_SPARE_BLOCKS		32

static void *spare_blocks[MA_SPARE_BLOCKS];
static int	nspare_blocks = 0;

/* The blocks of one tree, in the tree's memory context. */
typedef struct MaTreeBlocks
{
	MemoryContextCallback cb;
	void	  **blocks;
	int			nblocks;
	int			maxblocks;
} MaTreeBlocks;

/* A tree's memory context is reset or deleted: keep or unmap its blocks. */
static void
give_back_blocks(void *arg)
{
	MaTreeBlocks *tb = (MaTreeBlocks *) arg;

	for (int i = 0; i < tb->nblocks; i++)
	{
		if (nspare_blocks < MA_SPARE_BLOCKS)
			spare_blocks[nspare_blocks++] = tb->blocks[i];
		else
			munmap(tb->blocks[i], MA_JSON_BLOCK_BYTES);
	}
	tb->nblocks = 0;
}

/* A new block for the arena, listed in its tree; NULL if out of memory. */
static void *
arena_block(MaJsonArena *a)
{
	MaTreeBlocks *tb = a->blocks;
	void	   *block;

	if (tb == NULL)
	{
		tb = MemoryContextAllocExtended(a->cxt, sizeof(MaTreeBlocks),
										MCXT_ALLOC_NO_OOM | MCXT_ALLOC_ZERO);
		if (tb == NULL)
			return NULL;
		tb->cb.func = give_back_blocks;
		tb->cb.arg = tb;
		MemoryContextRegisterResetCallback(a->cxt, &tb->cb);
		a->blocks = tb;
	}
	if (tb->nblocks == tb->maxblocks)
	{
		int			n = Max(8, tb->maxblocks * 2);
		void	  **blocks = MemoryContextAllocExtended(a->cxt, n * sizeof(void *),
														MCXT_ALLOC_NO_OOM);

		if (blocks == NULL)
			return NULL;
		if (tb->nblocks > 0)
			memcpy(blocks, tb->blocks, tb->nblocks * sizeof(void *));
		tb->blocks = blocks;
		tb->maxblocks = n;
	}
	if (nspare_blocks > 0)
		block = spare_blocks[--nspare_blocks];
	else
	{
		block = mmap(NULL, MA_JSON_BLOCK_BYTES, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (block == MAP_FAILED)
			return NULL;
	}
	tb->blocks[tb->nblocks++] = block;
	return block;
}

/*
 * ma_json_read's allocator: memory of the arena "arg", NULL past its limit
 * or when out of memory.  Trees read from answers live in memory contexts
 * (see parse_answer) and never go to cJSON_Delete; trees built by hand
 * (resource.c's rows, cJSON_Duplicate copies) use cJSON's own malloc and
 * free, and do.
 */
static void *
arena_alloc(void *arg, size_t size)
{
	MaJsonArena *a = (MaJsonArena *) arg;

	if (size > a->limit - a->used)
	{
		a->exceeded = true;
		return NULL;
	}
	a->used += size;
	if (size == MA_JSON_BLOCK_BYTES)
		return arena_block(a);
	return MemoryContextAllocExtended(a->cxt, size, MCXT_ALLOC_NO_OOM);
}

/*
 * Parse a JSON text into a tree that lives in "cxt", using at most
 * MA_MAX_PARSE_BYTES there (see json.c).  Returns NULL if it is not JSON
 * (*end where reading stopped), if the tree would take more (*too_big), or
 * if a string holds \u0000 (*nul).  Out of memory (a block that cannot be
 * mapped, a string that cannot be palloc'd) is an ERROR, as palloc's own:
 * the part of the tree already read goes with "cxt".
 */
cJSON *
ma_json_parse(const char *text, int len, MemoryContext cxt,
			  const char **end, bool *too_big, bool *nul)
{
	MaJsonArena arena;
	MaJsonStatus status;
	cJSON	   *json;

	memset(&arena, 0, sizeof(arena));
	arena.cxt = cxt;
	arena.limit = MA_MAX_PARSE_BYTES;
	json = ma_json_read(text, len, arena_alloc, &arena, end, &status);
	if (status == MA_JSON_NO_MEMORY && !arena.exceeded)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while reading an answer of %d bytes.", len)));
	*too_big = arena.exceeded;
	*nul = (status == MA_JSON_NUL);
	if (arena.exceeded)
		json = NULL;
	return json;
}

/*
 * A client for one scan over "conn", with at most max_in_flight calls in
 * flight, counting into *counters.  It lives in a new child of "parent";
 * deleting or resetting that context cancels and frees everything.
 */
MaClient *
ma_client_create(MaConnection *conn, int max_in_flight,
				 MaRequestCounters *counters, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "modelarts_fdw client",
											  ALLOCSET_DEFAULT_SIZES);
	MaClient   *client = MemoryContextAllocZero(cxt, sizeof(MaClient));

	client->conn = conn;
	client->tr = conn->transport;
	client->cxt = cxt;
	client->max_in_flight = Max(1, Min(max_in_flight, MA_MAX_IN_FLIGHT));
	client->window = client->max_in_flight;
	client->counters = counters;
	dlist_init(&client->calls);
	ma_transport_use(client->tr);

	client->cb.func = client_reset_callback;
	client->cb.arg = client;
	MemoryContextRegisterResetCallback(cxt, &client->cb);
	return client;
}

/* Cancel everything in flight and free every answer; see the header. */
static void
client_reset_callback(void *arg)
{
	MaClient   *client = (MaClient *) arg;
	dlist_mutable_iter iter;

	dlist_foreach_modify(iter, &client->calls)
	{
		MaCall	   *call = dlist_container(MaCall, node, iter.cur);

		ma_transport_cancel(&call->req);
		call->json = NULL;		/* in a child context, gone with it */
		dlist_delete(&call->node);
	}
	client->in_flight = 0;
	ma_transport_unuse(client->tr);
}

/* Free the client now (its calls cancelled, its answers freed). */
void
ma_client_destroy(MaClient *client)
{
	MemoryContextDelete(client->cxt);
}

/*
 * A new call: GET {endpoint}{path}?{query}, path and query already encoded
 * (see request.c).  expect_job, if not negative, is the job an images answer
 * must name.  The call is queued and goes out as soon as the window allows;
 * see ma_client_wait.
 */
MaCall *
ma_client_call(MaClient *client, const char *path, const char *query,
			   int64 expect_job)
{
	MaCall	   *call = MemoryContextAllocZero(client->cxt, sizeof(MaCall));

	call->path = MemoryContextStrdup(client->cxt, path);
	call->query = MemoryContextStrdup(client->cxt, query ? query : "");
	call->expect_job = expect_job;
	call->state = MA_CALL_QUEUED;
	call->req.socket = -1;
	dlist_push_tail(&client->calls, &call->node);
	dispatch(client);
	return call;
}

/*
 * Forget a call: out of flight if it is, its answer freed.  For calls the
 * scan no longer needs (a window already full, a stream already ended) and
 * for calls whose answer was consumed.
 */
void
ma_client_discard(MaClient *client, MaCall *call)
{
	if (call->req.active)
	{
		ma_transport_cancel(&call->req);
		client->in_flight--;
	}
	call->json = NULL;
	dlist_delete(&call->node);
	if (call->json_cxt)
		MemoryContextDelete(call->json_cxt);
	if (call->cxt)
		MemoryContextDelete(call->cxt);
	pfree(call->path);
	pfree(call->query);
	pfree(call);
	dispatch(client);
}

/*
 * Forget a call whose answer is no longer needed, but let it finish if it
 * is in flight: cutting a transfer closes its kept-alive connection, which
 * the next requests would have to open again (a TLS handshake, maybe).
 * It is freed when it finishes, whatever its result, or when the client
 * goes.  For pages past the end of a stream, which answer at once.
 */
void
ma_client_forget(MaClient *client, MaCall *call)
{
	if (call->state == MA_CALL_IN_FLIGHT)
		call->orphan = true;
	else
		ma_client_discard(client, call);
}

/*
 * Let forgotten calls still in flight finish, for at most timeout_ms, so
 * that their connections stay open for the next query; then cancel the
 * rest.  For the natural end of a scan.
 */
void
ma_client_drain(MaClient *client, int timeout_ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  timeout_ms);

	while (client->in_flight > 0)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														   end);
		dlist_mutable_iter iter;

		if (left <= 0 || ma_transport_active(client->tr) == 0)
			break;
		(void) ma_transport_wait(client->tr, left);
		dlist_foreach_modify(iter, &client->calls)
		{
			MaCall	   *c = dlist_container(MaCall, node, iter.cur);

			if (c->state == MA_CALL_IN_FLIGHT && c->req.done)
				call_finished(client, c);
		}
	}
}

/*
 * Hand the call's answer over to the caller: its memory context becomes a
 * child of "parent", so the tree goes when the caller resets or deletes
 * that (never cJSON_Delete it).
 */
cJSON *
ma_client_take_json(MaCall *call, MemoryContext parent)
{
	cJSON	   *json = call->json;

	if (call->json_cxt)
		MemoryContextSetParent(call->json_cxt, parent);
	call->json_cxt = NULL;
	call->json = NULL;
	return json;
}

/*
 * Wait until "call" has its answer, driving every call of the transport
 * meanwhile (retrying, starting queued ones), and return its parsed answer,
 * still owned by the call.  A call that failed for good raises its error
 * here.  Interruptible: a cancel or statement_timeout raises 57014, and the
 * client's reset callback then takes everything out of flight.
 */
const cJSON *
ma_client_wait(MaClient *client, MaCall *call)
{
	return ma_client_wait_unless(client, call, 0);
}

/*
 * ma_client_wait, but a call that failed for good with HTTP status
 * "tolerated" returns NULL instead of raising its error: for a request
 * whose refusal is an answer (the listing's offset 0, see resource.c).
 * MA_TOLERATE_MISSING_JOB does the same for an answer saying that the
 * call's labeling job does not exist (the table option missing_job).
 */
const cJSON *
ma_client_wait_unless(MaClient *client, MaCall *call, long tolerated)
{
	ErrorContextCallback errcallback;

	/* a cancel while we wait names the request waited for */
	errcallback.callback = call_error_callback;
	errcallback.arg = call;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	for (;;)
	{
		long		timeout = -1;
		TimestampTz now;
		dlist_iter	iter;
		dlist_mutable_iter miter;

		if (call->state == MA_CALL_DONE)
		{
			error_context_stack = errcallback.previous;
			return call->json;
		}
		if (call->state == MA_CALL_FAILED)
		{
			if ((tolerated == MA_TOLERATE_MISSING_JOB &&
				 call_is_missing_job(call)) ||
				(tolerated > 0 && call->failure == MA_FAIL_STATUS &&
				 call->req.status == tolerated))
			{
				error_context_stack = errcallback.previous;
				return NULL;
			}
			report_failure(client, call);
		}

		dispatch(client);

		/* wake up for the earliest retry that waits for its time */
		now = GetCurrentTimestamp();
		dlist_foreach(iter, &client->calls)
		{
			MaCall	   *c = dlist_container(MaCall, node, iter.cur);

			if (c->state == MA_CALL_QUEUED && c->not_before > now)
			{
				long		ms = TimestampDifferenceMilliseconds(now, c->not_before) + 1;

				if (timeout < 0 || ms < timeout)
					timeout = ms;
			}
		}

		if (ma_transport_active(client->tr) > 0)
			(void) ma_transport_wait(client->tr, timeout);
		else if (timeout >= 0)
			ma_sleep_ms((int) timeout);
		else if (call->state != MA_CALL_QUEUED)
			elog(ERROR, "modelarts_fdw: waiting for a call that is not in flight");

		/* every call of ours that finished: retry, or keep its result */
		dlist_foreach_modify(miter, &client->calls)
		{
			MaCall	   *c = dlist_container(MaCall, node, miter.cur);

			if (c->state == MA_CALL_IN_FLIGHT && c->req.done)
				call_finished(client, c);
		}
	}
}

/* Start queued calls, in order, while the window and their times allow. */
static void
dispatch(MaClient *client)
{
	dlist_iter	iter;
	TimestampTz now = 0;

	dlist_foreach(iter, &client->calls)
	{
		MaCall	   *call = dlist_container(MaCall, node, iter.cur);

		if (client->in_flight >= (int) client->window)
			break;
		if (call->state != MA_CALL_QUEUED)
			continue;
		if (call->not_before != 0)
		{
			if (now == 0)
				now = GetCurrentTimestamp();
			if (call->not_before > now)
				continue;
		}
		start_call(client, call);
	}
}

/* Send one attempt of a call. */
static void
start_call(MaClient *client, MaCall *call)
{
	MaConnection *conn = client->conn;
	MemoryContext oldcxt;
	List	   *headers;
	StringInfoData url;
	long		timeout_ms;
	TimestampTz now = GetCurrentTimestamp();

	/* the previous attempt's body and headers go */
	if (call->cxt)
		MemoryContextReset(call->cxt);
	else
		call->cxt = AllocSetContextCreate(client->cxt, "modelarts_fdw call",
										  ALLOCSET_SMALL_SIZES);
	if (call->first_sent == 0)
		call->first_sent = now;

	oldcxt = MemoryContextSwitchTo(call->cxt);
	headers = ma_auth_headers(conn, "GET", call->path, call->query);
	call->token_generation = conn->token_generation;
	initStringInfo(&url);
	appendStringInfoString(&url, conn->server.endpoint);
	appendStringInfoString(&url, call->path);
	if (call->query[0] != '\0')
		appendStringInfo(&url, "?%s", call->query);
	MemoryContextSwitchTo(oldcxt);

	/* what is left of request_timeout since the first attempt */
	timeout_ms = conn->server.request_timeout_ms -
		TimestampDifferenceMilliseconds(call->first_sent, now);
	ma_http_request_init(&call->req, call->cxt, "GET", url.data, headers, NULL);
	call->req.socket = -1;
	ma_transport_start(client->tr, &call->req, Max(timeout_ms, 1),
					   call->fresh_connection);
	call->state = MA_CALL_IN_FLIGHT;
	client->in_flight++;
	client->counters->requests++;
	if (client->counters->sent)
		ma_sent_log_add(client->counters->sent, call->path, call->query);
}

/*
 * A call's attempt finished: keep its answer, schedule a retry, or record
 * a failure for good.
 */
static void
call_finished(MaClient *client, MaCall *call)
{
	MaHttpRequest *req = &call->req;
	MaCallFailure failure = MA_FAIL_NONE;
	int			len;

	client->in_flight--;
	(void) ma_http_body(req, &len);
	client->counters->bytes += len;

	/* nobody wants its answer: done with it, whatever it is */
	if (call->orphan)
	{
		ma_client_discard(client, call);
		return;
	}

	if (req->result != CURLE_OK || req->status < 100)
	{
		if (transport_failure_is_retryable(req) &&
			schedule_retry(client, call, retry_wait_ms(NULL, call->retries)))
			return;
		fail_call(call, MA_FAIL_TRANSPORT);
		return;
	}

	if (req->status >= 200 && req->status < 300)
	{
		cJSON	   *json = parse_answer(client, call, &failure);

		if (json)
		{
			call->json = json;
			call->state = MA_CALL_DONE;
			/* the answer is in the cJSON now */
			MemoryContextReset(call->cxt);
			memset(&req->body_buf, 0, sizeof(req->body_buf));
			client->window = Min((double) client->max_in_flight,
								 client->window + 1.0 / Max(client->window, 1.0));
			return;
		}

		/*
		 * An answer for another job came over a connection whose framing is
		 * in doubt: drop that connection and ask again on a fresh one.
		 */
		if (failure == MA_FAIL_WRONG_JOB || (failure == MA_FAIL_JSON && req->framing_doubt))
		{
			ma_transport_drop_connection(req);
			call->fresh_connection = true;
			if (schedule_retry(client, call, 0))
				return;
		}
		fail_call(call, failure);
		return;
	}

	if (req->status == 401 && !call->renewed)
	{
		char	   *msg;
		char	   *code = error_code(req, &msg);

		if (ma_auth_renew_after_401(client->conn, code, call->token_generation))
		{
			call->renewed = true;
			if (schedule_retry(client, call, 0))
				return;
		}
	}

	if (req->status == 429 || req->status == 500 || req->status == 502 ||
		req->status == 503 || req->status == 504)
	{
		/* slow the whole scan down: half the calls in flight */
		if (req->status == 429 || req->status == 503)
			client->window = Max(1.0, client->window / 2);
		if (schedule_retry(client, call,
						   retry_wait_ms(req->retry_after, call->retries)))
			return;
	}
	fail_call(call, MA_FAIL_STATUS);
}

/*
 * Queue the call again after wait_ms, if it has retries left and the wait
 * ends within request_timeout of its first attempt.  Returns false if not.
 */
static bool
schedule_retry(MaClient *client, MaCall *call, int wait_ms)
{
	MaServerOptions *opts = &client->conn->server;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz when = TimestampTzPlusMilliseconds(now, wait_ms);

	if (call->retries >= opts->max_retries)
		return false;
	if (when >= TimestampTzPlusMilliseconds(call->first_sent,
											opts->request_timeout_ms))
		return false;
	call->retries++;
	client->counters->retries++;
	call->not_before = wait_ms > 0 ? when : 0;
	call->state = MA_CALL_QUEUED;
	/* to the end of the queue: calls queued before it go first */
	dlist_delete(&call->node);
	dlist_push_tail(&client->calls, &call->node);
	return true;
}

/* Record a failure for good: raised when the owner waits for the call. */
static void
fail_call(MaCall *call, MaCallFailure failure)
{
	call->failure = failure;
	call->state = MA_CALL_FAILED;
}

/*
 * Parse a 2xx answer: a JSON object whose is_success, if present, is true,
 * and for an images call, one whose project_id is the job asked for.
 * Returns the tree (in call->json_cxt), or NULL with *failure saying why.
 */
static cJSON *
parse_answer(MaClient *client, MaCall *call, MaCallFailure *failure)
{
	MaHttpRequest *req = &call->req;
	const char *end = NULL;
	const char *body;
	int			len;
	bool		too_big;
	bool		nul;
	cJSON	   *json;
	cJSON	   *item;

	body = ma_http_body(req, &len);

	/*
	 * A NUL in a string (raw, or as \u0000, see below) would silently cut
	 * it: the tree keeps C strings.  An error instead.
	 */
	if (memchr(body, '\0', len) != NULL)
	{
		*failure = MA_FAIL_NUL;
		return NULL;
	}
	if (call->json_cxt == NULL)
		call->json_cxt = AllocSetContextCreate(client->cxt,
											   "modelarts_fdw answer",
											   ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(call->json_cxt);

	json = ma_json_parse(body, len, call->json_cxt, &end, &too_big, &nul);
	if (json == NULL)
	{
		call->error_pos = end ? (int) (end - body) : 0;
		*failure = nul ? MA_FAIL_NUL : too_big ? MA_FAIL_TOO_BIG : MA_FAIL_JSON;
		return NULL;
	}
	if (!cJSON_IsObject(json))
	{
		*failure = MA_FAIL_NOT_OBJECT;
		return NULL;
	}
	item = cJSON_GetObjectItemCaseSensitive(json, "is_success");
	if (item != NULL && !cJSON_IsTrue(item))
	{
		*failure = MA_FAIL_STATUS;
		return NULL;
	}
	if (call->expect_job >= 0)
	{
		item = cJSON_GetObjectItemCaseSensitive(json, "project_id");
		if (cJSON_IsNumber(item) && item->valuedouble != (double) call->expect_job)
		{
			call->error_job = item->valuedouble;
			*failure = MA_FAIL_WRONG_JOB;
			return NULL;
		}
	}
	return json;
}

/*
 * Raise the error of a call that failed for good (ma_client_wait's error
 * context names the request).
 */
static void
report_failure(MaClient *client, MaCall *call)
{
	switch (call->failure)
	{
		case MA_FAIL_TRANSPORT:
			report_transport_error(client, call);
			break;
		case MA_FAIL_STATUS:
			report_api_error(client, call);
			break;
		case MA_FAIL_JSON:
			{
				int			len;
				const char *body = ma_http_body(&call->req, &len);
				int			pos = Max(0, Min(call->error_pos, len));
				StringInfoData snippet;
				int			rlen;
				const char *shown;

				/* what the server sent may echo the request: no secret */
				shown = ma_redact_window(body, len,
										 ma_request_secrets(&call->req),
										 pos, Min(len - pos, 40), &rlen);
				initStringInfo(&snippet);
				append_snippet(&snippet, shown, rlen);
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("invalid JSON in the answer to GET %s%s",
								call->path, retry_note(call->retries)),
						 errdetail("Parsing stopped at byte %d of %d, before \"%s\".",
								   pos, len, snippet.data)));
			}
			break;
		case MA_FAIL_TOO_BIG:
			{
				int			len;

				(void) ma_http_body(&call->req, &len);
				ereport(ERROR,
						(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
						 errmsg("answer to GET %s too large to parse", call->path),
						 errdetail("Its %d bytes would take more than %d MB as a JSON tree.",
								   len, MA_MAX_PARSE_BYTES / (1024 * 1024)),
						 errhint("Lower the server option page_size.")));
			}
			break;
		case MA_FAIL_NUL:
			ereport(ERROR,
					(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
					 errmsg("malformed answer from ModelArts: a string in the answer to GET %s holds a NUL character",
							call->path),
					 errdetail("PostgreSQL text cannot hold NUL; the string would be cut.")));
			break;
		case MA_FAIL_NOT_OBJECT:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("invalid answer to GET %s%s", call->path,
							retry_note(call->retries)),
					 errdetail("The answer is JSON, but not an object.")));
			break;
		case MA_FAIL_WRONG_JOB:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("malformed answer from ModelArts: an answer for job %.0f to a request for job " INT64_FORMAT "%s",
							call->error_job, call->expect_job,
							retry_note(call->retries)),
					 errdetail("The connection was dropped and the request sent again on a fresh one each time.")));
			break;
		case MA_FAIL_NONE:
			break;
	}
	elog(ERROR, "modelarts_fdw: call failed for no recorded reason");
}

/*
 * "could not connect" with libcurl's description of "rc" (and its error
 * buffer, "errbuf", in the detail): the transport error of the failures to
 * reach the endpoint that have no message of their own.
 */
static void
could_not_connect(const char *base, CURLcode rc, const char *note,
				  const char *errbuf)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not connect to ModelArts endpoint \"%s\": %s%s",
					base, curl_easy_strerror(rc), note),
			 errbuf[0] ? errdetail("%s.", errbuf) : 0));
	pg_unreachable();
}

/*
 * The error of a call that got no complete answer.
 *
 * Failures to reach the endpoint get ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION,
 * failures after that ERRCODE_FDW_ERROR.  The message shows libcurl's
 * one-line description of the code; its more specific error buffer (host,
 * port, elapsed time: useful, but varying from run to run) goes in the detail.
 */
static void
report_transport_error(MaClient *client, MaCall *call)
{
	MaHttpRequest *req = &call->req;
	MaServerOptions *opts = &client->conn->server;
	const char *base = opts->endpoint;
	const char *errbuf = ma_redact_string(req->errbuf);
	const char *note = retry_note(call->retries);
	CURLcode	rc = req->result;

	if (req->out_of_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while receiving an answer from ModelArts endpoint \"%s\".",
						   base)));
	if (req->too_large)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("answer from ModelArts endpoint \"%s\" exceeds %d bytes",
						base, MA_MAX_ANSWER_BYTES)));
	if (rc == CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("ModelArts endpoint \"%s\" did not answer with an HTTP status%s",
						base, note)));

	switch (rc)
	{
		case CURLE_OPERATION_TIMEDOUT:

			/*
			 * Nothing of the request sent: the connection (TCP, a proxy,
			 * TLS) was not made in time.  Else the endpoint took the request,
			 * on a new or a kept-alive connection, and did not answer.
			 */
			if (req->request_size == 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
						 errmsg("could not connect to ModelArts endpoint \"%s\": timed out after %d ms%s",
								base, Min(opts->connect_timeout_ms,
										  opts->request_timeout_ms), note),
						 errbuf[0] ? errdetail("%s.", errbuf) : 0,
						 errhint("The server options connect_timeout and request_timeout bound the connection.")));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("ModelArts endpoint \"%s\" did not answer within request_timeout (%d ms)%s",
							base, opts->request_timeout_ms, note),
					 errdetail("The request was sent; no complete answer came in time.")));
			break;

		case CURLE_COULDNT_CONNECT:
			if (req->os_errno == ECONNREFUSED)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
						 opts->proxy ?
						 errmsg("could not connect to ModelArts endpoint \"%s\": proxy \"%s\" refused the connection%s",
								base, opts->proxy, note) :
						 errmsg("could not connect to ModelArts endpoint \"%s\": connection refused%s",
								base, note),
						 errbuf[0] ? errdetail("%s.", errbuf) : 0));
			could_not_connect(base, rc, note, errbuf);
			break;

		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_WEIRD_SERVER_REPLY:

			/*
			 * Connected, and what came back is not HTTP (an SSH banner, a
			 * database's protocol).  Nothing of it is quoted.
			 */
			if (req->request_size > 0 || req->connect_time_us > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("ModelArts endpoint \"%s\" did not answer in HTTP%s",
								base, note),
						 errdetail("Something listens at that address, but not an HTTP server."),
						 errhint("Check the server option endpoint.")));
			could_not_connect(base, rc, note, errbuf);
			break;

		case CURLE_GOT_NOTHING:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("ModelArts endpoint \"%s\" closed the connection without answering%s",
							base, note),
					 errdetail("Not a byte of an answer came back.")));
			break;

		case CURLE_URL_MALFORMAT:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
		case CURLE_SSL_CRL_BADFILE:
			could_not_connect(base, rc, note, errbuf);
			break;

		default:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("request to ModelArts endpoint \"%s\" failed: %s%s",
							base, curl_easy_strerror(rc), note),
					 errbuf[0] ? errdetail("%s.", errbuf) : 0));
			break;
	}
	pg_unreachable();
}

/*
 * Transport failures worth another attempt: the connection refused, reset
 * or closed before a full answer, or the request timed out.  Not: a name
 * that does not resolve, TLS that does not verify, an answer too large.
 */
static bool
transport_failure_is_retryable(MaHttpRequest *req)
{
	if (req->out_of_memory || req->too_large)
		return false;
	switch (req->result)
	{
		case CURLE_COULDNT_CONNECT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_OPERATION_TIMEDOUT:
			return true;
		default:
			return false;
	}
}

/* " after N retries", or "" for none: for the end of an error message. */
static const char *
retry_note(int retries)
{
	if (retries == 0)
		return "";
	if (retries == 1)
		return " after 1 retry";
	return psprintf(" after %d retries", retries);
}

/*
 * Return the error_code of a ModelArts error answer, palloc'd, or NULL if the
 * body is not a JSON object with a string error_code; set *error_msg to the
 * error_msg likewise.
 */
static char *
error_code(MaHttpRequest *req, char **error_msg)
{
	cJSON	   *json;
	cJSON	   *item;
	char	   *code = NULL;
	const char *body;
	int			len;

	*error_msg = NULL;
	body = ma_http_body(req, &len);
	json = cJSON_ParseWithLength(body, len);
	if (json == NULL)
		return NULL;

	/*
	 * Quoted in messages: made fit for them, and without the secrets of the
	 * request (a bare signature echoed back, say) besides those that
	 * ma_server_text removes anyway.
	 */
	item = cJSON_GetObjectItemCaseSensitive(json, "error_code");
	if (cJSON_IsString(item))
		code = ma_server_text(ma_redact(item->valuestring,
										strlen(item->valuestring),
										ma_request_secrets(req), 0, NULL, NULL));
	item = cJSON_GetObjectItemCaseSensitive(json, "error_msg");
	if (cJSON_IsString(item))
		*error_msg = ma_server_text(ma_redact(item->valuestring,
											  strlen(item->valuestring),
											  ma_request_secrets(req), 0, NULL,
											  NULL));

	cJSON_Delete(json);
	return code;
}

/*
 * A job that does not exist: 404 (ModelArts.0102), or 400 with one of the
 * data-management codes the current service uses.  The same answer either
 * way, for the error and for the table option missing_job.
 */
static bool
status_is_missing_job(long status, const char *code)
{
	return status == 404 ||
		(status == 400 && code != NULL &&
		 (strcmp(code, "ModelArts.4338") == 0 ||
		  strcmp(code, "ModelArts.4352") == 0 ||
		  strcmp(code, "ModelArts.4801") == 0));
}

/*
 * Did the call fail because its labeling job does not exist?  Only calls
 * on one job's path (".../data-annotations/{job}/...") can say so.
 */
static bool
call_is_missing_job(MaCall *call)
{
	char	   *msg;

	if (call->state != MA_CALL_FAILED || call->failure != MA_FAIL_STATUS ||
		strstr(call->path, "/data-annotations/") == NULL)
		return false;
	if (call->req.status == 404)
		return true;
	return status_is_missing_job(call->req.status, error_code(&call->req, &msg));
}

/*
 * Raise the error for an answer that is not a success: a redirect, a
 * ModelArts error object, or something else.
 */
static void
report_api_error(MaClient *client, MaCall *call)
{
	MaHttpRequest *req = &call->req;
	MaConnection *conn = client->conn;
	const char *note = retry_note(call->retries);
	char	   *msg;
	char	   *code;
	const char *body;
	int			len;

	body = ma_http_body(req, &len);
	if (req->status >= 300 && req->status < 400)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("ModelArts API error: HTTP %ld, redirects are not followed",
						req->status),
				 req->location ?
				 errdetail("The answer redirects to \"%s\".",
						   ma_server_text(ma_redact(req->location,
													strlen(req->location),
													ma_request_secrets(req),
													0, NULL, NULL))) : 0,
				 errhint("Set the server option endpoint to the URL that answers directly.")));

	code = error_code(req, &msg);
	if (code == NULL)
	{
		StringInfoData snippet;
		int			rlen;
		const char *shown;

		/* an error page may echo the request's headers: no secret */
		shown = ma_redact_window(body, len, ma_request_secrets(req), 0,
								 Min(len, MA_SNIPPET_BYTES), &rlen);
		initStringInfo(&snippet);
		append_snippet(&snippet, shown, Min(rlen, MA_SNIPPET_BYTES));
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("ModelArts API error: HTTP %ld, no error_code in the answer%s",
						req->status, note),
				 len == 0 ? errdetail("The answer has no body.") :
				 errdetail("The answer begins with \"%s\".", snippet.data)));
	}

	/* a job that does not exist: see status_is_missing_job */
	if (status_is_missing_job(req->status, code))
	{
		const char *job = strstr(call->path, "/data-annotations/");
		const char *dataset = strstr(call->path, "/datasets/");

		/* v2: /v2/{project}/datasets/{dataset}/... */
		if (strncmp(call->path, "/v2/", 4) == 0 && dataset != NULL)
		{
			dataset += strlen("/datasets/");
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("dataset \"%.*s\" does not exist",
							(int) strcspn(dataset, "/"), dataset),
					 errdetail("ModelArts answered HTTP %ld, %s: %s",
							   req->status, code, msg ? msg : "(no error_msg)")));
		}
		if (job != NULL)
		{
			job += strlen("/data-annotations/");
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("labeling job \"%.*s\" does not exist",
							(int) strcspn(job, "/"), job),
					 errdetail("ModelArts answered HTTP %ld, %s: %s",
							   req->status, code, msg ? msg : "(no error_msg)")));
		}
	}

	/*
	 * A refused credential is said in the terms of the user mapping's mode,
	 * naming the options to check; the API's own code and words go in the
	 * detail.  Nothing of the credential itself is shown.
	 */
	if (req->status == 401)
	{
		switch (conn->user.mode)
		{
			case MA_AUTH_AKSK:
				if (strcmp(code, "ModelArts.0211") == 0)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_ERROR),
							 errmsg("signature rejected by ModelArts"),
							 errdetail("ModelArts answered HTTP 401, %s: %s",
									   code, msg ? msg : "(no error_msg)"),
							 errhint("Check the user mapping's access_key and secret_key, and the machine's clock.")));
				ereport(ERROR,
						(errcode(ERRCODE_FDW_ERROR),
						 errmsg("access key refused by ModelArts"),
						 errdetail("ModelArts answered HTTP 401, %s: %s",
								   code, msg ? msg : "(no error_msg)"),
						 errhint("Check the user mapping's access_key and secret_key.")));
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
			 errmsg("ModelArts API error: HTTP %ld, %s%s", req->status, code, note),
			 msg ? errdetail("%s", msg) : 0));
	pg_unreachable();
}

/*
 * How long to wait before retry number retries + 1: Retry-After in seconds
 * or as an HTTP date if the answer has it (at most MA_RETRY_AFTER_MAX_MS),
 * else exponential back-off from MA_BACKOFF_FIRST_MS, at most
 * MA_BACKOFF_MAX_MS, with "equal jitter" (half fixed, half random) so that
 * the calls of a scan do not all come back at once.
 */
static int
retry_wait_ms(const char *retry_after, int retries)
{
	int			backoff;

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
				return MA_RETRY_AFTER_MAX_MS;
			return Min(atoi(retry_after) * 1000, MA_RETRY_AFTER_MAX_MS);
		}
		else
		{
			time_t		when = curl_getdate(retry_after, NULL);

			if (when != -1)
			{
				time_t		now = time(NULL);

				if (when <= now)
					return 0;
				if (when - now >= MA_RETRY_AFTER_MAX_MS / 1000)
					return MA_RETRY_AFTER_MAX_MS;
				return (int) (when - now) * 1000;
			}
		}
	}

	backoff = MA_BACKOFF_FIRST_MS << Min(retries, 10);
	backoff = Min(backoff, MA_BACKOFF_MAX_MS);
	return backoff / 2 + (int) (pg_prng_double(&pg_global_prng_state) * (backoff / 2));
}

/* Sleep for ms milliseconds, interruptibly. */
void
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
 * Text from the server (error_msg, a Location, a value) made fit for a
 * message and the server log: at most MA_QUOTE_BYTES bytes, cut on a
 * character boundary with "..." after; control characters (an ANSI escape,
 * a newline) and bytes that are not UTF-8 as \xNN; characters beyond ASCII
 * kept when the database is UTF-8, else escaped too, so the result is
 * always valid in the database's encoding.  Returns a palloc'd string.
 */
char *
ma_server_text(const char *s)
{
	StringInfoData b;
	const unsigned char *p;
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;

	/* first of all, whatever the server echoed of our secrets goes */
	s = ma_redact_string(s);
	p = (const unsigned char *) s;

	initStringInfo(&b);
	while (*p && b.len < MA_QUOTE_BYTES)
	{
		int			l;

		if (*p < 0x20 || *p == 0x7f)
		{
			appendStringInfo(&b, "\\x%02X", *p++);
			continue;
		}
		if (*p < 0x80)
		{
			appendStringInfoChar(&b, (char) *p++);
			continue;
		}
		l = pg_utf_mblen(p);
		if (!utf8 || strnlen((const char *) p, l) < (size_t) l ||
			!pg_utf8_islegal(p, l))
		{
			appendStringInfo(&b, "\\x%02X", *p++);
			continue;
		}
		appendBinaryStringInfo(&b, (const char *) p, l);
		p += l;
	}
	if (*p)
		appendStringInfoString(&b, "...");
	return b.data;
}

/*
 * The secrets a request carried, for ma_redact: the values of its
 * X-Auth-Token and Authorization headers, and the signature alone.  The
 * connection's own secrets (ma_connection_secrets) are searched anyway.
 * Returns a palloc'd List of strings pointing into the request's headers.
 */
List *
ma_request_secrets(MaHttpRequest *req)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, req->headers)
	{
		char	   *h = lfirst(lc);
		char	   *sig;

		if (pg_strncasecmp(h, "X-Auth-Token: ", 14) == 0)
			result = lappend(result, h + 14);
		else if (pg_strncasecmp(h, "Authorization: ", 15) == 0)
		{
			result = lappend(result, h + 15);
			sig = strstr(h, "Signature=");
			if (sig)
				result = lappend(result, sig + 10);
		}
	}
	return result;
}

/*
 * Append up to len bytes of data for a message: printable ASCII as is,
 * quotes and backslashes escaped, every other byte as \xNN (so a cut in the
 * middle of a UTF-8 sequence cannot produce an invalid string).
 */
static void
append_snippet(StringInfo buf, const char *data, int len)
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

/*
 * Raise the error for an answer of the right status and syntax but not the
 * expected shape, saying what was wrong, with the request as context.
 */
void
ma_malformed_answer(MaCall *call, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("malformed answer from ModelArts: %s", what),
			 errcontext("remote request: GET %s%s%s", call->path,
						call->query[0] ? "?" : "", call->query)));
}

/*
 * A whole JSON number from 0 to 2^53 (a double holds every such integer
 * exactly), as an int64: a job ID, a count.  false for anything else (1.5,
 * 1e300, a string), rather than a value made by an undefined cast.
 */
bool
ma_json_whole_number(const cJSON *item, int64 *value)
{
	double		d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))
		return false;
	*value = (int64) d;
	return true;
}

/* Error context: the request, relative to the endpoint; never credentials. */
static void
call_error_callback(void *arg)
{
	MaCall	   *call = (MaCall *) arg;

	errcontext("remote request: GET %s%s%s", call->path,
			   call->query[0] ? "?" : "", call->query);
}
