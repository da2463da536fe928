/*
 * server.c
 *		HTTP side of the emulator: routing, the API endpoints, faults, the
 *		access log and the /__emulator/ control endpoints.
 *
 * libmicrohttpd runs one thread per connection, so a stalled answer (the
 * "stall" fault, --latency-ms) delays only its own connection.  Routing and
 * query parsing work on the raw request target exactly as received (taken
 * from MHD's URI log callback), because libmicrohttpd would otherwise have
 * decoded it already, and the emulator must judge the client's encoding:
 * `%XX` is decoded, `+` stays a literal plus.
 *
 * /__emulator/stats also gauges concurrency: "in_flight" API requests (from
 * routing to the answer being queued, latency and stall sleeps included) and
 * their peak "max_in_flight", which /__emulator/reset starts over.
 *
 * Faults come in three sorts: answers that replace the endpoint's (429,
 * 5xx, badjson, shape, uglymsg, close), changes to how whatever answer is
 * sent (stall, truncate, shortlen), and hostile images answers, which are
 * the endpoint's own answer altered (badutf8, nul, nulraw, tagstype,
 * sizetype, shortpage; see mangle_image and ep_images).  The --variant
 * switches that concern answers are applied here too: string-fields in
 * ep_jobs, gateway-errors where a credential is refused, modern-codes in
 * lookup_job and the 429 fault.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "emulator.h"

#define MAX_BODY (1024 * 1024)
#define MAX_SEGS 8

Config		cfg;
Dataset		ds;

static FILE *access_log;

/* request counters for /__emulator/stats */
enum
{
	ST_TOTAL, ST_IMAGES, ST_TAGS, ST_TAGS_STATS, ST_JOBS, ST_TOKENS,
	ST_OTHER, ST_ERRORS, ST_FAULTS, ST_CONNECTIONS, ST_V2, ST__COUNT
};
static const char *const stat_names[ST__COUNT] = {
	"total", "images", "tags", "tags_stats", "jobs", "tokens",
	"other", "errors", "faults", "connections", "v2"
};
static unsigned long stats[ST__COUNT];

/*
 * The concurrency gauge: API requests between routing and their answer being
 * queued (latency and stall sleeps included), and the peak of that since the
 * start or the last reset.
 */
static unsigned long in_flight;
static unsigned long max_in_flight;

static void
in_flight_enter(void)
{
	unsigned long n = __atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	unsigned long m = __atomic_load_n(&max_in_flight, __ATOMIC_SEQ_CST);

	while (n > m &&
		   !__atomic_compare_exchange_n(&max_in_flight, &m, n, false,
										__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

static void
in_flight_leave(void)
{
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
}

typedef enum Endpoint
{
	EP_UNKNOWN, EP_IMAGES, EP_TAGS, EP_TAGS_STATS, EP_JOBS, EP_TOKENS,
	EP_ADMIN_STATS, EP_ADMIN_RESET, EP_V2
} Endpoint;


typedef struct Route
{
	Endpoint	ep;
	V2Endpoint	v2;				/* EP_V2: which call */
	char		project[128];
	char		job[128];		/* the job, or v2's dataset ID */
} Route;

/* ---- small helpers ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode %XX escapes of s[0..n) into out (room for n+1 bytes); returns the
 * decoded length.  '+' is NOT a space: the API is not a form submission.  A
 * '%' not followed by two hex digits is kept literally.
 */
size_t
pct_decode(const char *s, size_t n, char *out)
{
	size_t		o = 0;

	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '%' && i + 2 < n &&
			hexval((unsigned char) s[i + 1]) >= 0 &&
			hexval((unsigned char) s[i + 2]) >= 0)
		{
			out[o++] = (char) (hexval((unsigned char) s[i + 1]) * 16 +
							   hexval((unsigned char) s[i + 2]));
			i += 2;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Find query parameter name in the raw query string.  Returns 0 when absent,
 * 1 when present once (value decoded into a malloc'd *val the caller frees),
 * 2 when given more than once.  A missing '=' means an empty value.
 */
int
query_param(const char *query, const char *name, char **val)
{
	int			found = 0;
	const char *p = query;

	*val = NULL;
	while (p && *p)
	{
		const char *amp = strchr(p, '&');
		size_t		len = amp ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t		klen = eq ? (size_t) (eq - p) : len;
		char	   *key = malloc(klen + 1);

		pct_decode(p, klen, key);
		if (strcmp(key, name) == 0)
		{
			if (++found == 1)
			{
				size_t		vlen = eq ? len - klen - 1 : 0;

				*val = malloc(vlen + 1);
				pct_decode(eq ? eq + 1 : p + len, vlen, *val);
			}
		}
		free(key);
		p = amp ? amp + 1 : NULL;
	}
	if (found > 1)
	{
		free(*val);
		*val = NULL;
		return 2;
	}
	return found;
}

/*
 * Parse a decimal of digits only.  Returns false for anything else; digit
 * strings too long for int64 saturate at INT64_MAX (a valid, huge page).
 */
static bool
parse_digits(const char *s, int64_t *out)
{
	int64_t		v = 0;

	if (!*s)
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		if (v > (INT64_MAX - 9) / 10)
			v = INT64_MAX;
		else
			v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

static void
route(const char *raw, Route *rt)
{
	char	   *segs[MAX_SEGS];
	int			nseg = 0;
	const char *q = strchr(raw, '?');
	size_t		plen = q ? (size_t) (q - raw) : strlen(raw);
	const char *p = raw;
	const char *end = raw + plen;

	memset(rt, 0, sizeof(*rt));
	rt->ep = EP_UNKNOWN;
	if (plen == 0 || raw[0] != '/')
		return;
	p++;
	while (p <= end && nseg < MAX_SEGS)
	{
		const char *slash = memchr(p, '/', (size_t) (end - p));
		size_t		len = slash ? (size_t) (slash - p) : (size_t) (end - p);

		segs[nseg] = malloc(len + 1);
		pct_decode(p, len, segs[nseg]);
		nseg++;
		if (!slash)
			break;
		p = slash + 1;
	}
	if (p <= end && memchr(p, '/', (size_t) (end - p)) && nseg == MAX_SEGS)
		goto done;				/* too deep */

	for (int i = 0; i < nseg; i++)
		if (segs[i][0] == '\0')
			goto done;			/* empty segment or trailing slash */

#define SEG(i, s) (strcmp(segs[i], s) == 0)
	if (nseg >= 3 && SEG(0, "v1") && strlen(segs[1]) < sizeof(rt->project))
	{
		if (nseg == 3 && SEG(2, "annotation-jobs"))
			rt->ep = EP_JOBS;
		else if (nseg >= 5 && SEG(2, "data-annotations") &&
				 strlen(segs[3]) < sizeof(rt->job))
		{
			if (nseg == 5 && SEG(4, "images"))
				rt->ep = EP_IMAGES;
			else if (nseg == 5 && SEG(4, "tags"))
				rt->ep = EP_TAGS;
			else if (nseg == 6 && SEG(4, "tags") && SEG(5, "stats"))
				rt->ep = EP_TAGS_STATS;
			if (rt->ep != EP_UNKNOWN)
				strcpy(rt->job, segs[3]);
		}
		if (rt->ep != EP_UNKNOWN)
			strcpy(rt->project, segs[1]);
	}
	else if (nseg >= 3 && SEG(0, "v2") && SEG(2, "datasets") &&
			 strlen(segs[1]) < sizeof(rt->project) &&
			 (nseg < 4 || strlen(segs[3]) < sizeof(rt->job)))
	{
		/* the dataset calls of the v2 API: see v2.c */
		rt->ep = EP_V2;
		if (nseg == 3)
			rt->v2 = V2_DATASETS;
		else if (nseg == 5 && SEG(4, "versions"))
			rt->v2 = V2_VERSIONS;
		else if (nseg == 6 && SEG(4, "data-annotations") && SEG(5, "samples"))
			rt->v2 = V2_SAMPLES;
		else if (nseg == 6 && SEG(4, "data-annotations") && SEG(5, "stats"))
			rt->v2 = V2_STATS;
		else if (nseg == 6 && SEG(4, "data-annotations") && SEG(5, "labels"))
			rt->v2 = V2_LABELS;
		else
			rt->ep = EP_UNKNOWN;
		if (rt->ep == EP_V2)
		{
			strcpy(rt->project, segs[1]);
			if (nseg > 3)
				strcpy(rt->job, segs[3]);
		}
	}
	else if (nseg == 3 && SEG(0, "v3") && SEG(1, "auth") && SEG(2, "tokens"))
		rt->ep = EP_TOKENS;
	else if (nseg == 2 && SEG(0, "__emulator") && SEG(1, "stats"))
		rt->ep = EP_ADMIN_STATS;
	else if (nseg == 2 && SEG(0, "__emulator") && SEG(1, "reset"))
		rt->ep = EP_ADMIN_RESET;
#undef SEG
done:
	for (int i = 0; i < nseg; i++)
		free(segs[i]);
}

/* ---- answering ---- */

static void
log_request(Req *r, int status, size_t bytes)
{
	if (!access_log)
		return;
	flockfile(access_log);
	fprintf(access_log, "%s %s %d %zu\n", r->method, r->raw, status, bytes);
	fflush(access_log);
	funlockfile(access_log);
}

/* A body sent by callback: its first "half" bytes, then the end. */
typedef struct Truncated
{
	char	   *data;
	size_t		half;
	bool		whole;			/* all of it: end the stream cleanly */
} Truncated;

static ssize_t
truncate_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	Truncated  *t = cls;
	size_t		n;

	if (pos >= t->half)
		return t->whole ? MHD_CONTENT_READER_END_OF_STREAM :
			MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->half - (size_t) pos;
	if (n > max)
		n = max;
	memcpy(buf, t->data + pos, n);
	return (ssize_t) n;
}

static void
truncate_free(void *cls)
{
	Truncated  *t = cls;

	free(t->data);
	free(t);
}

/*
 * Queue body (a Buf whose data this takes over) with status.  hname/hvalue
 * add one optional header.  The "truncate" and "shortlen" faults are applied
 * here, to whatever answer the request earned.  truncate: the full
 * Content-Length is declared, half the body sent, and the connection
 * closed.  shortlen: a Content-Length ARG bytes short is declared, the whole
 * body sent, and the connection closed (libmicrohttpd sends no more than
 * the size it knows, so it is told no size, which makes it end the body by
 * closing the connection, HTTP/1.0 style; the excess cannot reach a next
 * answer on the connection).
 */
static enum MHD_Result
answer(struct MHD_Connection *conn, Req *r, unsigned int status,
	   const char *ctype, Buf *body, const char *hname, const char *hvalue)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t		logged = body->len;

	if (r->shortlen >= 0)
	{
		/* the whole body, under a Content-Length that is short */
		Truncated  *t = malloc(sizeof(Truncated));
		char		cl[24];

		t->data = body->data;
		t->half = body->len;
		t->whole = true;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
												 truncate_reader, t,
												 truncate_free);
		snprintf(cl, sizeof(cl), "%zu",
				 body->len > (size_t) r->shortlen ? body->len - (size_t) r->shortlen : 0);
		/* our own Content-Length; no chunked encoding, no keep-alive */
		MHD_set_response_options(resp, MHD_RF_INSANITY_HEADER_CONTENT_LENGTH |
								 MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_LENGTH, cl);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	}
	else if (r->truncate)
	{
		Truncated  *t = malloc(sizeof(Truncated));

		t->data = body->data;
		t->half = body->len / 2;
		t->whole = false;
		logged = t->half;
		resp = MHD_create_response_from_callback(body->len, 64 * 1024,
												 truncate_reader, t,
												 truncate_free);
	}
	else
		resp = MHD_create_response_from_buffer(body->len, body->data,
											   MHD_RESPMEM_MUST_FREE);
	body->data = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (hname)
		MHD_add_response_header(resp, hname, hvalue);
	/*
	 * Logged before the answer is queued: MHD may send it at once, and a
	 * client that reads the log as soon as it has its answer (the
	 * regression tests do) must find the line there.
	 */
	if (status >= 400)
		__atomic_add_fetch(&stats[ST_ERRORS], 1, __ATOMIC_RELAXED);
	log_request(r, (int) status, logged);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
answer_json(struct MHD_Connection *conn, Req *r, unsigned int status, Buf *b)
{
	return answer(conn, r, status, "application/json", b, NULL, NULL);
}

/* Answer the contract's error body. */
static enum MHD_Result
answer_error_hdr(struct MHD_Connection *conn, Req *r, unsigned int status,
				 const char *code, const char *msg,
				 const char *hname, const char *hvalue)
{
	Buf			b;

	buf_init(&b, 256);
	buf_puts(&b, "{\"is_success\":false,\"error_code\":");
	json_str(&b, code);
	buf_puts(&b, ",\"error_msg\":");
	json_str(&b, msg);
	buf_putc(&b, '}');
	return answer(conn, r, status, "application/json", &b, hname, hvalue);
}

/*
 * Answer as the API gateway in front of ModelArts does (--variant
 * gateway-errors): its own code, a request_id, no is_success.
 */
static enum MHD_Result
answer_gateway_error(struct MHD_Connection *conn, Req *r, unsigned int status,
					 const char *code, const char *msg)
{
	Buf			b;
	unsigned char rnd[16];
	char		id[33];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0x5a, sizeof(rnd));
	for (int i = 0; i < 16; i++)
		sprintf(id + 2 * i, "%02x", rnd[i]);
	buf_init(&b, 256);
	buf_puts(&b, "{\"error_code\":");
	json_str(&b, code);
	buf_puts(&b, ",\"error_msg\":");
	json_str(&b, msg);
	buf_printf(&b, ",\"request_id\":\"%s\"}", id);
	return answer(conn, r, status, "application/json", &b, NULL, NULL);
}

enum MHD_Result
answer_error(struct MHD_Connection *conn, Req *r, unsigned int status,
			 const char *code, const char *fmt, ...)
{
	char		msg[1024];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return answer_error_hdr(conn, r, status, code, msg, NULL, NULL);
}

/* ---- endpoints ---- */

/*
 * The index of the first item to serve of count items, per_page a page, p0
 * the zero-based page asked for; count (an empty page) past the end.
 * --ignore-page serves the first page whatever is asked; --past-end repeat
 * serves the last non-empty page instead of an empty one.
 */
uint64_t
page_first(uint64_t count, uint64_t per_page, uint64_t p0)
{
	uint64_t	npages = (count + per_page - 1) / per_page;

	if (cfg.ignore_page)
		p0 = 0;
	if (p0 >= npages)
	{
		if (cfg.past_end != PAST_END_REPEAT || npages == 0)
			return count;
		p0 = npages - 1;
	}
	return p0 * per_page;
}

/* ,"key":N as --count says: the total, the items on this page, or nothing */
void
put_count(Buf *b, const char *key, uint64_t total, uint64_t on_page)
{
	if (cfg.count == COUNT_ABSENT)
		return;
	buf_printf(b, ",\"%s\":%" PRIu64, key,
			   cfg.count == COUNT_PAGE ? on_page : total);
}

/* Resolve the labeling job of the route, or answer 404 and return NULL. */
static Job *
lookup_job(struct MHD_Connection *conn, Req *r, const Route *rt,
		   enum MHD_Result *ret)
{
	int64_t		id;
	Job		   *job = NULL;

	if (parse_digits(rt->job, &id) && strlen(rt->job) <= 18)
		job = dataset_find_job(&ds, id);
	if (!job && cfg.modern_codes)
		*ret = answer_error(conn, r, 400, "ModelArts.4338",
							"the labeling task does not exist (data_annotation_id \"%s\")",
							rt->job);
	else if (!job)
		*ret = answer_error(conn, r, 404, "ModelArts.0102",
							"labeling job \"%s\" does not exist", rt->job);
	return job;
}

/* The bytes that --fault badutf8 adds: no UTF-8 sequence starts or ends so. */
#define BAD_UTF8 "\xff\xfe\xc3\x28"

/*
 * Append to out the image object json[0..len) as a hostile images fault
 * (r->content) alters it.  The members that become invalid are written here
 * by hand, first in the object, as cJSON cannot hold them (a NUL) or would
 * not write them so; the rest is cJSON's print of the image without them.
 */
static void
mangle_image(const Fault *f, const char *json, size_t len, Buf *out)
{
	cJSON	   *img = cJSON_ParseWithLength(json, len);
	Buf			raw;
	char	   *text;

	if (!img)
	{
		buf_put(out, json, len);
		return;
	}
	buf_init(&raw, 128);
	switch (f->kind)
	{
		case FAULT_BADUTF8:
			{
				cJSON	   *name = cJSON_GetObjectItemCaseSensitive(img, "image_name");
				cJSON	   *tag = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(img, "tags"), 0);
				Buf			v;

				buf_init(&v, 64);
				buf_puts(&v, cJSON_IsString(name) ? name->valuestring : "IMG");
				buf_puts(&v, BAD_UTF8);
				cJSON_DeleteItemFromObjectCaseSensitive(img, "image_name");
				buf_puts(&raw, "\"image_name\":");
				json_strn(&raw, v.data, v.len);
				/* the first tag too: a string, or a detection box's "tag" */
				if (tag && cJSON_IsObject(tag))
					tag = cJSON_GetObjectItemCaseSensitive(tag, "tag");
				if (cJSON_IsString(tag))
				{
					v.len = 0;
					buf_puts(&v, tag->valuestring);
					buf_puts(&v, BAD_UTF8);
					cJSON_SetValuestring(tag, v.data);
				}
				buf_free(&v);
				break;
			}
		case FAULT_NUL:
			cJSON_DeleteItemFromObjectCaseSensitive(img, "image_name");
			buf_puts(&raw, "\"image_name\":\"abc\\u0000def\"");
			break;
		case FAULT_NULRAW:
			{
				static const char m[] = "\"image_name\":\"abc\0def\"";

				cJSON_DeleteItemFromObjectCaseSensitive(img, "image_name");
				buf_put(&raw, m, sizeof(m) - 1);
				break;
			}
		case FAULT_TAGSTYPE:
			cJSON_DeleteItemFromObjectCaseSensitive(img, "tags");
			buf_puts(&raw, f->arg == TAGS_STRING ? "\"tags\":\"a\"" :
					 f->arg == TAGS_OBJECT ? "\"tags\":{}" : "\"tags\":5");
			break;
		case FAULT_SIZETYPE:
			cJSON_DeleteItemFromObjectCaseSensitive(img, "size");
			buf_puts(&raw, "\"size\":\"1920x1080\"");
			break;
		default:
			break;
	}
	text = cJSON_PrintUnformatted(img);
	buf_putc(out, '{');
	buf_put(out, raw.data, raw.len);
	if (text[1] != '}' && raw.len)
		buf_putc(out, ',');
	buf_puts(out, text + 1);
	free(text);
	buf_free(&raw);
	cJSON_Delete(img);
}

static enum MHD_Result
ep_images(struct MHD_Connection *conn, Req *r, const Route *rt, const char *query)
{
	enum MHD_Result ret;
	Job		   *job = lookup_job(conn, r, rt, &ret);
	char	   *v = NULL;
	int64_t		per_page,
				page;
	const uint32_t *idx;
	uint32_t	count;
	uint64_t	first,
				last;
	size_t		total;
	Buf			b;

	if (!job)
		return ret;

	if (!once_param(conn, r, query, "per_page", &v, &ret))
		return ret;
	if (!v)
		return answer_error(conn, r, 400, "ModelArts.0104",
							"per_page is required (an integer from 1 to 100)");
	if (!parse_digits(v, &per_page) || per_page < 1 || per_page > 100)
	{
		ret = answer_error(conn, r, 400, "ModelArts.0104",
						   "per_page must be an integer from 1 to 100, got \"%s\"", v);
		free(v);
		return ret;
	}
	free(v);

	if (!once_param(conn, r, query, "page", &v, &ret))
		return ret;
	if (!v)
		return answer_error(conn, r, 400, "ModelArts.0104",
							"page is required (an integer >= 1)");
	if (!parse_digits(v, &page) || page < 1)
	{
		ret = answer_error(conn, r, 400, "ModelArts.0104",
						   "page must be an integer >= 1, got \"%s\"", v);
		free(v);
		return ret;
	}
	free(v);

	if (!once_param(conn, r, query, "tag_name", &v, &ret))
		return ret;
	if (!v)
	{
		idx = job->tagged;
		count = job->ntagged;
	}
	else if (strcmp(v, "__none__") == 0)
	{
		idx = job->untagged;
		count = job->nuntagged;
	}
	else
	{
		Tag		   *t = job_find_tag(job, v);

		idx = t ? t->idx : NULL;
		count = t ? t->count : 0;
	}
	free(v);

	/* page may be huge: page_first compares before multiplying */
	first = page_first(count, (uint64_t) per_page, (uint64_t) page - 1);
	last = first + (uint64_t) per_page < count ? first + (uint64_t) per_page : count;
	total = job->header_len + 96;
	for (uint64_t i = first; i < last; i++)
		total += job->images[idx[i]].len + 1;

	buf_init(&b, total + 256);
	buf_put(&b, "{\"is_success\":true,", 19);
	buf_put(&b, job->header, job->header_len);
	if (r->content && r->content->kind == FAULT_SHORTPAGE)
	{
		/* half the page (none of one), yet the filter's true total */
		last = first + (last - first) / 2;
		buf_printf(&b, ",\"image_count\":%u", count);
	}
	else
		put_count(&b, "image_count", count, last - first);
	buf_puts(&b, ",\"images\":[");
	for (uint64_t i = first; i < last; i++)
	{
		const Image *im = &job->images[idx[i]];

		if (i != first)
			buf_putc(&b, ',');
		if (i == first && r->content && r->content->kind != FAULT_SHORTPAGE)
			mangle_image(r->content, im->json, im->len, &b);
		else
			buf_put(&b, im->json, im->len);
	}
	buf_put(&b, "]}", 2);
	return answer_json(conn, r, 200, &b);
}

static enum MHD_Result
ep_tags(struct MHD_Connection *conn, Req *r, const Route *rt, bool with_stats)
{
	enum MHD_Result ret;
	Job		   *job = lookup_job(conn, r, rt, &ret);
	Buf			b;

	if (!job)
		return ret;
	buf_init(&b, 256 + job->ntags * 32);
	if (!with_stats)
	{
		buf_puts(&b, "{\"is_success\":true,\"tags\":[");
		for (uint32_t i = 0; i < job->ntags; i++)
		{
			if (i)
				buf_putc(&b, ',');
			json_str(&b, job->tags[i].name);
		}
		buf_puts(&b, "]}");
	}
	else
	{
		buf_puts(&b, "{\"is_success\":true,\"tag_count\":[");
		for (uint32_t i = 0; i < job->ntags; i++)
		{
			if (i)
				buf_putc(&b, ',');
			buf_puts(&b, "{\"tag\":");
			json_str(&b, job->tags[i].name);
			/* images carrying the tag (the default), or its boxes */
			buf_printf(&b, ",\"count\":%u}",
					   cfg.stats_count_boxes && job->type == 1 ?
					   job->tags[i].instances : job->tags[i].count);
		}
		buf_printf(&b, "],\"tags_stat\":[{\"has_tag\":true,\"count\":%u},"
				   "{\"has_tag\":false,\"count\":%u}]}",
				   job->ntagged, job->nuntagged);
	}
	return answer_json(conn, r, 200, &b);
}

/*
 * A parameter given at most once: true with its value in *val (malloc'd, the
 * caller frees; NULL when absent), or false with a 400 answer queued in *ret
 * when it is given more than once.
 */
bool
once_param(struct MHD_Connection *conn, Req *r, const char *query,
		   const char *name, char **val, enum MHD_Result *ret)
{
	if (query_param(query, name, val) != 2)
		return true;
	*ret = answer_error(conn, r, 400, "ModelArts.0104",
						"%s is given more than once", name);
	return false;
}

/* Optional integer parameter with a default and bounds. */
bool
opt_int_param(struct MHD_Connection *conn, Req *r, const char *query,
			  const char *name, int64_t def, int64_t min, int64_t max,
			  int64_t *out, enum MHD_Result *ret)
{
	char	   *v;

	*out = def;
	if (!once_param(conn, r, query, name, &v, ret))
		return false;
	if (!v)
		return true;
	if (!parse_digits(v, out) || *out < min || *out > max)
	{
		if (max == INT64_MAX)
			*ret = answer_error(conn, r, 400, "ModelArts.0104",
								"%s must be an integer >= %" PRId64 ", got \"%s\"",
								name, min, v);
		else
			*ret = answer_error(conn, r, 400, "ModelArts.0104",
								"%s must be an integer from %" PRId64 " to %" PRId64 ", got \"%s\"",
								name, min, max, v);
		free(v);
		return false;
	}
	free(v);
	return true;
}

static enum MHD_Result
ep_jobs(struct MHD_Connection *conn, Req *r, const char *query)
{
	enum MHD_Result ret;
	int64_t		offset,
				limit;
	uint64_t	first,
				last,
				njobs = (uint64_t) ds.njobs;
	Buf			b;

	/* offset counts pages, from --listing-base */
	if (!opt_int_param(conn, r, query, "offset", cfg.listing_base,
					   cfg.listing_base, INT64_MAX, &offset, &ret) ||
		!opt_int_param(conn, r, query, "limit", 10, 1, 100, &limit, &ret))
		return ret;
	first = page_first(njobs, (uint64_t) limit, (uint64_t) (offset - cfg.listing_base));
	last = first + (uint64_t) limit < njobs ? first + (uint64_t) limit : njobs;

	buf_init(&b, 1024);
	buf_puts(&b, "{\"is_success\":true");
	put_count(&b, "job_total_count", njobs, last - first);
	buf_puts(&b, ",\"jobs\":[");
	for (uint64_t i = first; i < last; i++)
	{
		const Job  *job = &ds.jobs[i];

		if (i != first)
			buf_putc(&b, ',');
		buf_puts(&b, "{\"id\":");
		json_str(&b, job->job_id);
		buf_puts(&b, ",\"name\":");
		json_str(&b, job->name);
		buf_puts(&b, ",\"description\":");
		json_str(&b, job->desc);
		buf_puts(&b, ",\"type\":");
		json_str(&b, job->type == 1 ? "Manual Object detection" : "Manual Image classify");
		buf_puts(&b, ",\"path\":");
		json_str(&b, job->path);
		if (cfg.string_fields)
		{
			/* the documented types: Datetime (UTC, to the second), String */
			time_t		secs = (time_t) (job->create_time / 1000);
			struct tm	tm;
			char		when[32];

			gmtime_r(&secs, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			buf_printf(&b, ",\"create_time\":\"%s\",\"dls_prj_id\":%" PRId64
					   ",\"progress_detail\":{\"total_count\":\"%u\",\"has_tag_count\":\"%u\","
					   "\"not_tag_count\":\"%u\"}}",
					   when, job->id, job->nimages, job->ntagged, job->nuntagged);
		}
		else
			buf_printf(&b, ",\"create_time\":%" PRId64 ",\"dls_prj_id\":%" PRId64
					   ",\"progress_detail\":{\"total_count\":%u,\"has_tag_count\":%u,"
					   "\"not_tag_count\":%u}}",
					   job->create_time, job->id, job->nimages, job->ntagged,
					   job->nuntagged);
	}
	buf_puts(&b, "]}");
	return answer_json(conn, r, 200, &b);
}

static enum MHD_Result
ep_tokens(struct MHD_Connection *conn, Req *r)
{
	Buf			b;
	char		token[256];
	const char *code = NULL;
	int			status;

	buf_init(&b, 512);
	status = auth_issue_token(r->body.data, r->body.len, &b, token,
							  sizeof(token), &code);
	if (status != 201)
		return answer_json(conn, r, (unsigned) status, &b);
	return answer(conn, r, 201, "application/json", &b, "X-Subject-Token", token);
}

static enum MHD_Result
admin(struct MHD_Connection *conn, Endpoint ep, const char *method)
{
	Buf			b;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = 200;

	buf_init(&b, 256);
	if (ep == EP_ADMIN_STATS && strcmp(method, "GET") == 0)
	{
		buf_putc(&b, '{');
		for (int i = 0; i < ST__COUNT; i++)
			buf_printf(&b, "%s\"%s\":%lu", i ? "," : "", stat_names[i],
					   __atomic_load_n(&stats[i], __ATOMIC_RELAXED));
		buf_printf(&b, ",\"in_flight\":%lu,\"max_in_flight\":%lu}",
				   __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST),
				   __atomic_load_n(&max_in_flight, __ATOMIC_SEQ_CST));
	}
	else if (ep == EP_ADMIN_RESET && strcmp(method, "POST") == 0)
	{
		for (int i = 0; i < ST__COUNT; i++)
			__atomic_store_n(&stats[i], 0, __ATOMIC_RELAXED);
		for (int i = 0; i < cfg.nfaults; i++)
			__atomic_store_n(&cfg.faults[i].counter, 0, __ATOMIC_RELAXED);
		/* the peak starts over from what is in flight now (normally 0) */
		__atomic_store_n(&max_in_flight,
						 __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST),
						 __ATOMIC_SEQ_CST);
		buf_puts(&b, "{\"is_success\":true}");
	}
	else
	{
		status = 405;
		buf_printf(&b, "{\"is_success\":false,\"error_code\":\"APIG.0106\","
				   "\"error_msg\":\"use %s on this path\"}",
				   ep == EP_ADMIN_STATS ? "GET" : "POST");
	}
	resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- faults ---- */

bool
fault_parse(const char *spec, Fault *f, char *err, size_t errlen)
{
	char	   *copy = strdup(spec),
			   *at = strchr(copy, '@'),
			   *kind,
			   *every,
			   *arg,
			   *e;
	static const struct
	{
		const char *name;
		FaultKind	kind;
	}			kinds[] = {
		{"429", FAULT_429}, {"500", FAULT_500}, {"502", FAULT_502},
		{"503", FAULT_503}, {"504", FAULT_504},
		{"stall", FAULT_STALL}, {"truncate", FAULT_TRUNCATE},
		{"badjson", FAULT_BADJSON}, {"close", FAULT_CLOSE},
		{"shape", FAULT_SHAPE}, {"uglymsg", FAULT_UGLYMSG},
		{"shortlen", FAULT_SHORTLEN}, {"badutf8", FAULT_BADUTF8},
		{"nul", FAULT_NUL}, {"nulraw", FAULT_NULRAW},
		{"tagstype", FAULT_TAGSTYPE}, {"sizetype", FAULT_SIZETYPE},
		{"shortpage", FAULT_SHORTPAGE}
	};
	bool		ok = false;

	memset(f, 0, sizeof(*f));
	f->arg = -1;
	if (at)
	{
		*at = '\0';
		if (at[1] == '\0')
		{
			snprintf(err, errlen, "--fault %s: empty substring after '@'", spec);
			goto out;
		}
		f->substring = strdup(at + 1);
	}
	kind = copy;
	every = strchr(copy, ':');
	if (!every)
	{
		snprintf(err, errlen, "--fault %s: expected KIND:EVERY[:ARG][@SUBSTRING]", spec);
		goto out;
	}
	*every++ = '\0';
	arg = strchr(every, ':');
	if (arg)
		*arg++ = '\0';
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i].name) == 0)
		{
			f->kind = kinds[i].kind;
			ok = true;
		}
	if (!ok)
	{
		snprintf(err, errlen, "--fault %s: unknown kind \"%s\" (valid: 429, 500, 502, 503, 504, stall, truncate, badjson, close, shape, uglymsg, shortlen, badutf8, nul, nulraw, tagstype, sizetype, shortpage)",
				 spec, kind);
		goto out;
	}
	ok = false;
	errno = 0;
	f->every = strtoul(every, &e, 10);
	if (e == every || *e || errno || f->every < 1 || every[0] == '-')
	{
		snprintf(err, errlen, "--fault %s: EVERY must be an integer >= 1", spec);
		goto out;
	}
	if (arg && f->kind == FAULT_TAGSTYPE)
	{
		if (strcmp(arg, "number") == 0)
			f->arg = TAGS_NUMBER;
		else if (strcmp(arg, "string") == 0)
			f->arg = TAGS_STRING;
		else if (strcmp(arg, "object") == 0)
			f->arg = TAGS_OBJECT;
		else
		{
			snprintf(err, errlen, "--fault %s: ARG of tagstype must be number, string or object", spec);
			goto out;
		}
	}
	else if (arg)
	{
		if (f->kind != FAULT_429 && f->kind != FAULT_STALL && f->kind != FAULT_SHORTLEN)
		{
			snprintf(err, errlen, "--fault %s: only 429 (Retry-After seconds), stall (milliseconds), shortlen (bytes short) and tagstype (number, string or object) take an ARG", spec);
			goto out;
		}
		errno = 0;
		f->arg = strtol(arg, &e, 10);
		if (e == arg || *e || errno || f->arg < 0 || arg[0] == '-' ||
			(f->kind == FAULT_SHORTLEN && f->arg < 1))
		{
			snprintf(err, errlen, "--fault %s: ARG must be an integer >= %d", spec,
					 f->kind == FAULT_SHORTLEN ? 1 : 0);
			goto out;
		}
	}
	if (f->arg < 0)
		f->arg = f->kind == FAULT_429 ? 1 : f->kind == FAULT_STALL ? 1000 :
			f->kind == FAULT_TAGSTYPE ? TAGS_NUMBER : 1;
	ok = true;
out:
	free(copy);
	if (!ok)
	{
		free(f->substring);
		f->substring = NULL;
	}
	return ok;
}

/* Count this request against every fault; return the first that fires. */
static Fault *
fault_pick(const char *raw)
{
	Fault	   *fired = NULL;

	for (int i = 0; i < cfg.nfaults; i++)
	{
		Fault	   *f = &cfg.faults[i];
		unsigned long n;

		if (f->substring && !strstr(raw, f->substring))
			continue;
		n = __atomic_add_fetch(&f->counter, 1, __ATOMIC_RELAXED);
		if (!fired && n % f->every == 0)
			fired = f;
	}
	return fired;
}

/* ---- the request handler ---- */

static void *
uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	Req		   *r = calloc(1, sizeof(Req));

	(void) cls;
	(void) conn;
	r->raw = strdup(uri);
	r->shortlen = -1;
	return r;
}

/* Counts TCP connections opened, so tests can see keep-alive at work. */
static void
connection_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
				  enum MHD_ConnectionNotificationCode toe)
{
	(void) cls;
	(void) conn;
	(void) socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		__atomic_add_fetch(&stats[ST_CONNECTIONS], 1, __ATOMIC_RELAXED);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		  enum MHD_RequestTerminationCode toe)
{
	Req		   *r = *con_cls;

	(void) cls;
	(void) conn;
	(void) toe;
	if (!r)
		return;
	free(r->raw);
	free(r->method);
	buf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

/*
 * An API request (not /__emulator/), routed: count it, sleep, fault, check,
 * answer.  Every return has queued an answer or dropped the connection.
 */
static enum MHD_Result
api_request(struct MHD_Connection *conn, Req *r, const Route *rtp,
			const char *method)
{
	Route		rt = *rtp;
	const char *query;
	Fault	   *f;
	AuthResult	ar;
	bool		want_post;

	query = strchr(r->raw, '?');
	query = query ? query + 1 : "";
	__atomic_add_fetch(&stats[ST_TOTAL], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats[rt.ep == EP_IMAGES ? ST_IMAGES :
							  rt.ep == EP_TAGS ? ST_TAGS :
							  rt.ep == EP_TAGS_STATS ? ST_TAGS_STATS :
							  rt.ep == EP_JOBS ? ST_JOBS :
							  rt.ep == EP_TOKENS ? ST_TOKENS :
							  rt.ep == EP_V2 ? ST_V2 : ST_OTHER],
					   1, __ATOMIC_RELAXED);

	sleep_ms(cfg.latency_ms);

	if ((f = fault_pick(r->raw)) != NULL)
	{
		__atomic_add_fetch(&stats[ST_FAULTS], 1, __ATOMIC_RELAXED);
		switch (f->kind)
		{
			case FAULT_429:
				{
					char		ra[24];

					snprintf(ra, sizeof(ra), "%ld", f->arg);
					if (cfg.modern_codes)
						return answer_error_hdr(conn, r, 429, "ModelArts.4395",
												"too many requests (emulated fault), try again later",
												MHD_HTTP_HEADER_RETRY_AFTER, ra);
					return answer_error_hdr(conn, r, 429, "ModelArts.0114",
											"request too frequent (emulated fault), retry later",
											MHD_HTTP_HEADER_RETRY_AFTER, ra);
				}
			case FAULT_500:
				return answer_error(conn, r, 500, "ModelArts.0010",
									"internal error (emulated fault)");
			case FAULT_503:
				return answer_error(conn, r, 503, "ModelArts.0011",
									"service unavailable (emulated fault)");
			case FAULT_502:
			case FAULT_504:
				{
					/* as a gateway answers: HTML, no ModelArts error body */
					unsigned int st = f->kind == FAULT_502 ? 502 : 504;
					const char *what = st == 502 ? "Bad Gateway" : "Gateway Time-out";
					Buf			b;

					buf_init(&b, 128);
					buf_printf(&b, "<html><head><title>%u %s</title></head>"
							   "<body><h1>%u %s</h1></body></html>\n", st, what, st, what);
					return answer(conn, r, st, "text/html", &b, NULL, NULL);
				}
			case FAULT_BADJSON:
				{
					Buf			b;

					buf_init(&b, 128);
					buf_puts(&b, "<html><head><title>502 Bad Gateway</title></head>"
							 "<body><h1>502 Bad Gateway</h1></body></html>\n");
					return answer(conn, r, 200, "text/html", &b, NULL, NULL);
				}
			case FAULT_SHAPE:
				{
					Buf			b;

					/* the job asked for (digits only), so only the shape is off */
					buf_init(&b, 128);
					buf_puts(&b, "{\"is_success\": true, \"project_id\": ");
					buf_puts(&b, rt.job[0] && strspn(rt.job, "0123456789") == strlen(rt.job) ?
							 rt.job : "0");
					buf_puts(&b, ", \"images\": {\"image_id\": \"not an array\"}}");
					return answer(conn, r, 200, "application/json", &b, NULL, NULL);
				}
			case FAULT_UGLYMSG:
				{
					/*
					 * 5,000 bytes of error_msg as no client should print it:
					 * ANSI colour escapes, a bell, CR LF, a backspace and
					 * invalid UTF-8 (ff fe c3 28), JSON-escaped where JSON
					 * must escape them, the invalid bytes raw.
					 */
					Buf			m;
					static const char head[] =
						"\x1b[31mERROR\x1b[0m \x07the request failed\r\n"
						"forged: line\b bad bytes " BAD_UTF8 " here; ";
					static const char tail[] = "\x1b[0mEND";

					buf_init(&m, 5100);
					buf_puts(&m, head);
					while (m.len < 5000 - (sizeof(tail) - 1))
						buf_puts(&m, "lorem ipsum dolor sit amet ");
					m.len = 5000 - (sizeof(tail) - 1);
					buf_puts(&m, tail);
					{
						enum MHD_Result ret = answer_error_hdr(conn, r, 400, "ModelArts.0104",
															   m.data, NULL, NULL);

						buf_free(&m);
						return ret;
					}
				}
			case FAULT_SHORTLEN:
				r->shortlen = f->arg;
				break;
			case FAULT_BADUTF8:
			case FAULT_NUL:
			case FAULT_NULRAW:
			case FAULT_TAGSTYPE:
			case FAULT_SIZETYPE:
			case FAULT_SHORTPAGE:
				/* applied by ep_images; other answers are left alone */
				r->content = f;
				break;
			case FAULT_CLOSE:
				log_request(r, 0, 0);
				return MHD_NO;	/* drop the connection, no answer at all */
			case FAULT_STALL:
				sleep_ms(f->arg);
				break;
			case FAULT_TRUNCATE:
				r->truncate = true;
				break;
		}
	}

	if (rt.ep == EP_UNKNOWN)
		return answer_error(conn, r, 404, "APIG.0101",
							"the API does not exist or has not been published in the environment");
	want_post = rt.ep == EP_TOKENS;
	if (strcmp(method, want_post ? "POST" : "GET") != 0)
	{
		char		msg[128];

		snprintf(msg, sizeof(msg), "method %s is not allowed on this path; use %s",
				 method, want_post ? "POST" : "GET");
		return answer_error_hdr(conn, r, 405, "APIG.0106", msg,
								MHD_HTTP_HEADER_ALLOW, want_post ? "POST" : "GET");
	}
	if (rt.ep == EP_TOKENS)
		return ep_tokens(conn, r);

	/* authentication, then the project, then the endpoint */
	ar.status = 0;
	if (cfg.auth == AUTH_TOKEN)
		auth_check_token(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Token"),
						 rt.project, &ar);
	else if (cfg.auth == AUTH_AKSK)
		auth_check_aksk(conn, method, r->raw, r->body.data, r->body.len, &ar);
	if (ar.status == 401 && cfg.gateway_errors)
	{
		/* the gateway refuses it before ModelArts sees it */
		char		msg[1200];

		if (strcmp(ar.code, "ModelArts.0202") == 0)
		{
			snprintf(msg, sizeof(msg), "The token must be updated: %s", ar.msg);
			return answer_gateway_error(conn, r, 401, "APIG.0307", msg);
		}
		snprintf(msg, sizeof(msg), "Incorrect IAM authentication information: %s", ar.msg);
		return answer_gateway_error(conn, r, 401, "APIG.0301", msg);
	}
	if (ar.status)
		return answer_error_hdr(conn, r, (unsigned) ar.status, ar.code, ar.msg,
								NULL, NULL);
	if (strcmp(rt.project, ds.project_id) != 0)
		return answer_error(conn, r, 403, "ModelArts.0210",
							"project \"%s\" in the URI is not the project of these credentials",
							rt.project);

	switch (rt.ep)
	{
		case EP_IMAGES:
			return ep_images(conn, r, &rt, query);
		case EP_TAGS:
			return ep_tags(conn, r, &rt, false);
		case EP_TAGS_STATS:
			return ep_tags(conn, r, &rt, true);
		case EP_JOBS:
			return ep_jobs(conn, r, query);
		case EP_V2:
			return v2_answer(conn, r, rt.v2, rt.job, query);
		default:
			return answer_error(conn, r, 500, "ModelArts.0010", "unrouted endpoint");
	}
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **con_cls)
{
	Req		   *r = *con_cls;
	Route		rt;
	enum MHD_Result ret;

	(void) cls;
	(void) url;
	(void) version;
	if (!r)
	{
		r = calloc(1, sizeof(Req));
		r->raw = strdup(url);
		r->shortlen = -1;
		*con_cls = r;
	}
	if (!r->started)
	{
		r->started = true;
		r->method = strdup(method);
		buf_init(&r->body, 256);
		return MHD_YES;
	}
	if (*upload_data_size)
	{
		if (r->body.len + *upload_data_size > MAX_BODY)
			return MHD_NO;
		buf_put(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	route(r->raw, &rt);
	if (rt.ep == EP_ADMIN_STATS || rt.ep == EP_ADMIN_RESET)
		return admin(conn, rt.ep, method);

	in_flight_enter();
	ret = api_request(conn, r, &rt, method);
	in_flight_leave();
	return ret;
}

/* ---- start and stop ---- */

static struct MHD_Daemon *daemon_handle;
static char *tls_cert_pem;
static char *tls_key_pem;

/* Read a whole (PEM) file, NUL-terminated, malloc'd; NULL with a message. */
static char *
read_pem(const char *file)
{
	FILE	   *f = fopen(file, "rb");
	Buf			b;
	char		chunk[4096];
	size_t		n;

	if (!f)
	{
		fprintf(stderr, "modelarts-emulator: %s: %s\n", file, strerror(errno));
		return NULL;
	}
	buf_init(&b, 4096);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_put(&b, chunk, n);
	fclose(f);
	buf_putc(&b, '\0');
	return b.data;
}

int
server_run(int listen_fd)
{
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	if (cfg.tls_cert)
	{
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		{
			fprintf(stderr, "modelarts-emulator: this libmicrohttpd has no TLS support\n");
			return EXIT_BADINPUT;
		}
		if (!(tls_cert_pem = read_pem(cfg.tls_cert)) ||
			!(tls_key_pem = read_pem(cfg.tls_key)))
			return EXIT_BADINPUT;
		flags |= MHD_USE_TLS;
	}
	if (cfg.access_log)
	{
		int			fd = open(cfg.access_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd < 0 || fchmod(fd, 0644) != 0 || !(access_log = fdopen(fd, "w")))
		{
			fprintf(stderr, "modelarts-emulator: %s: %s\n", cfg.access_log, strerror(errno));
			return EXIT_BADINPUT;
		}
	}
	/*
	 * Without TLS the option list ends where the certificate options would
	 * begin, so that one call serves both cases.
	 */
	daemon_handle = MHD_start_daemon(flags,
									 0, NULL, NULL, handler, NULL,
									 MHD_OPTION_LISTEN_SOCKET, listen_fd,
									 MHD_OPTION_URI_LOG_CALLBACK, uri_logger, NULL,
									 MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
									 MHD_OPTION_NOTIFY_CONNECTION, connection_notify, NULL,
									 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 120,
									 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 1000,
									 cfg.tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
									 tls_cert_pem,
									 MHD_OPTION_HTTPS_MEM_KEY, tls_key_pem,
									 MHD_OPTION_END);
	if (!daemon_handle)
	{
		fprintf(stderr, "modelarts-emulator: cannot start the HTTP%s server%s\n",
				cfg.tls_cert ? "S" : "",
				cfg.tls_cert ? " (is the key the certificate's, and both PEM?)" : "");
		return 1;
	}
	return 0;
}

void
server_stop(void)
{
	if (daemon_handle)
		MHD_stop_daemon(daemon_handle);
	daemon_handle = NULL;
	if (access_log)
		fclose(access_log);
	access_log = NULL;
	free(tls_cert_pem);
	free(tls_key_pem);
	tls_cert_pem = tls_key_pem = NULL;
}
