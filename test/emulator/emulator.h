/*
 * emulator.h
 *		Private header of the ModelArts v1 labeling API emulator.
 *
 * The emulator serves the contract in /work/shared/api/modelarts-v1.md from a
 * dataset held in memory.  Images are stored pre-serialized in a string arena
 * (one JSON object text per image) and every filter has a precomputed sorted
 * index array, so a page costs O(per_page) memcpy's whatever the dataset size.
 */
#ifndef MODELARTS_EMULATOR_H
#define MODELARTS_EMULATOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>

#include <microhttpd.h>

/* Exit status for a refused command line or data file. */
#define EXIT_BADINPUT 2

/* ---- growable byte buffer and JSON writer (in jsonw.c) ---- */

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

extern void buf_init(Buf *b, size_t cap);
extern void buf_reserve(Buf *b, size_t extra);
extern void buf_free(Buf *b);
extern void buf_put(Buf *b, const char *s, size_t n);
extern void buf_puts(Buf *b, const char *s);
extern void buf_putc(Buf *b, char c);
extern void buf_printf(Buf *b, const char *fmt, ...)
			__attribute__((format(printf, 2, 3)));
extern void json_str(Buf *b, const char *s);
extern void json_strn(Buf *b, const char *s, size_t n);
extern void json_i64(Buf *b, int64_t v);

/* ---- dataset (in dataset.c) ---- */

typedef struct Image
{
	const char *json;			/* the image's JSON object text, in the arena */
	uint32_t	len;
} Image;

typedef struct Tag
{
	const char *name;			/* NUL-terminated, in the arena */
	uint32_t   *idx;			/* ascending image indexes carrying this tag */
	uint32_t	count;
	uint32_t	cap;
	uint32_t	instances;		/* entries naming it, boxes counted (v2's
								 * label_stats "count") */
} Tag;

typedef struct Job
{
	int64_t		id;				/* the numeric data_annotation_id */
	const char *job_id;			/* "id" in annotation-jobs */
	const char *dataset_id;		/* v2: the "dataset_id" key, or "ds" and the
								 * numeric ID (see v2.c) */
	const char *versions_json;	/* the "versions" array's text, "[]" if none */
	const char *name;
	const char *desc;
	const char *path;
	int			type;			/* 0 classification, 1 detection */
	int64_t		create_time;
	const char *header;			/* "project_id":...,"versions":[...] */
	size_t		header_len;

	Image	   *images;			/* sorted by image_id */
	uint32_t	nimages;
	uint32_t   *tagged;			/* indexes of images with >= 1 tag */
	uint32_t	ntagged;
	uint32_t   *untagged;		/* indexes of images with no tag */
	uint32_t	nuntagged;
	Tag		   *tags;			/* sorted by name, byte order */
	uint32_t	ntags;
} Job;

typedef struct Dataset
{
	char		project_id[33];
	Job		   *jobs;			/* sorted by create_time, then id */
	int			njobs;
} Dataset;

extern bool dataset_load(Dataset *ds, const char *file, char *err, size_t errlen);
extern bool dataset_generate(Dataset *ds, const char *spec, char *err, size_t errlen);
extern Job *dataset_find_job(Dataset *ds, int64_t id);
extern Tag *job_find_tag(Job *job, const char *name);
extern Job *dataset_find_dataset(Dataset *ds, const char *dataset_id);
extern void dataset_free(Dataset *ds);

/* ---- authentication (in auth.c) ---- */

typedef enum AuthMode
{
	AUTH_NONE,
	AUTH_TOKEN,
	AUTH_AKSK
} AuthMode;

/* Outcome of an auth check: status 0 means accepted. */
typedef struct AuthResult
{
	int			status;
	const char *code;
	char		msg[1024];
} AuthResult;

struct MHD_Connection;

extern void auth_init(void);
extern void auth_check_token(const char *token, const char *path_project,
							 AuthResult *res);
extern void auth_check_aksk(struct MHD_Connection *conn, const char *method,
							const char *raw_uri, const char *body,
							size_t body_len, AuthResult *res);
extern int	auth_issue_token(const char *body, size_t body_len, Buf *out,
							 char *token_out, size_t token_len,
							 const char **code);
extern void sha256_hex(const void *data, size_t len, char out[65]);

/* ---- server (in server.c) ---- */

typedef enum FaultKind
{
	FAULT_429,
	FAULT_500,
	FAULT_503,
	FAULT_502,					/* a gateway's HTML answers, not ModelArts' */
	FAULT_504,
	FAULT_STALL,
	FAULT_TRUNCATE,
	FAULT_BADJSON,
	FAULT_CLOSE,
	FAULT_SHAPE,				/* 200, valid JSON without "images" */
	FAULT_UGLYMSG,				/* 400 whose error_msg is 5,000 characters,
								 * ANSI escapes and invalid UTF-8 included */
	FAULT_SHORTLEN,				/* Content-Length shorter than the body sent */
	/* hostile images answers: the endpoint's own answer, altered */
	FAULT_BADUTF8,				/* invalid UTF-8 in image_name and a tag */
	FAULT_NUL,					/* "\u0000" in image_name */
	FAULT_NULRAW,				/* a raw NUL byte in image_name */
	FAULT_TAGSTYPE,				/* "tags" not an array (ARG: its type) */
	FAULT_SIZETYPE,				/* "size": "1920x1080" */
	FAULT_SHORTPAGE				/* half the page, image_count the total */
} FaultKind;

/* The wrong types of "tags" (--fault tagstype:EVERY:TYPE). */
typedef enum TagsType
{
	TAGS_NUMBER,				/* 5 (the default) */
	TAGS_STRING,				/* "a" */
	TAGS_OBJECT					/* {} */
} TagsType;

typedef struct Fault
{
	FaultKind	kind;
	unsigned long every;
	long		arg;			/* Retry-After seconds, stall ms, bytes short
								 * (shortlen) or a TagsType; -1 unset */
	char	   *substring;		/* NULL: every API request matches */
	unsigned long counter;		/* matching requests seen, atomically */
} Fault;

/* What a page past the last one answers (--past-end). */
typedef enum PastEnd
{
	PAST_END_EMPTY,				/* 200 with an empty list (the contract) */
	PAST_END_REPEAT				/* the last non-empty page again */
} PastEnd;

/* What image_count and job_total_count say (--count). */
typedef enum CountMode
{
	COUNT_TOTAL,				/* the filter's total (the contract) */
	COUNT_ABSENT,				/* the key is left out */
	COUNT_PAGE					/* the number of items on this page */
} CountMode;

typedef struct Config
{
	const char *data_file;
	const char *generate;
	int			port;
	int			latency_ms;
	const char *access_log;
	Fault	   *faults;
	int			nfaults;
	AuthMode	auth;
	const char *user;
	const char *password;
	const char *domain;
	const char *region;
	long		token_ttl;
	long		token_claimed_ttl;	/* the lifetime expires_at claims; -1:
									 * token_ttl */
	const char *ak;
	const char *sk;
	long		max_skew;
	const char *tls_cert;		/* PEM file: serve HTTPS; NULL for HTTP */
	const char *tls_key;
	bool		ignore_page;	/* serve the first page whatever is asked */
	PastEnd		past_end;
	CountMode	count;
	int			listing_base;	/* annotation-jobs offset of the first page */
	/* --variant switches (the others set past_end, count, listing_base) */
	bool		size_detection_only;	/* no "size" on classification images */
	bool		string_fields;	/* listing create_time and counts as strings */
	bool		gateway_errors; /* 401 as the API gateway's APIG.0301/0307 */
	bool		modern_codes;	/* missing job 400 ModelArts.4338, 429
								 * ModelArts.4395 */
	bool		all_includes_unlabeled; /* v2 __ALL__: unlabeled samples too */
	bool		stats_count_boxes;	/* v1 tags/stats count: a detection
									 * job's boxes */
} Config;

extern Config cfg;
extern Dataset ds;

extern bool fault_parse(const char *spec, Fault *f, char *err, size_t errlen);
extern int	server_run(int listen_fd);
extern void server_stop(void);

/* ---- helpers shared by server.c, auth.c and v2.c (in server.c) ---- */

extern size_t pct_decode(const char *s, size_t n, char *out);

/* Per-request state, created by the URI log callback. */
typedef struct Req
{
	char	   *raw;			/* request target as received */
	char	   *method;
	bool		started;
	bool		truncate;		/* "truncate" fault fired */
	long		shortlen;		/* "shortlen" fired: bytes short; else -1 */
	const Fault *content;		/* a hostile images answer fault fired */
	Buf			body;
} Req;

extern enum MHD_Result answer_json(struct MHD_Connection *conn, Req *r, unsigned int status,
						Buf *b);
extern enum MHD_Result answer_error(struct MHD_Connection *conn, Req *r, unsigned int status,
						 const char *code, const char *fmt,...)
			__attribute__((format(printf, 5, 6)));
extern int	query_param(const char *query, const char *name, char **val);
extern bool once_param(struct MHD_Connection *conn, Req *r, const char *query,
					   const char *name, char **val, enum MHD_Result *ret);
extern bool opt_int_param(struct MHD_Connection *conn, Req *r, const char *query,
						  const char *name, int64_t def, int64_t min, int64_t max,
						  int64_t *out, enum MHD_Result *ret);
extern uint64_t page_first(uint64_t count, uint64_t per_page, uint64_t p0);
extern void put_count(Buf *b, const char *key, uint64_t total, uint64_t on_page);

/* ---- the v2 dataset API (in v2.c) ---- */

typedef enum V2Endpoint
{
	V2_DATASETS,				/* /v2/{p}/datasets */
	V2_SAMPLES,					/* .../datasets/{d}/data-annotations/samples */
	V2_STATS,					/* .../datasets/{d}/data-annotations/stats */
	V2_LABELS,					/* .../datasets/{d}/data-annotations/labels */
	V2_VERSIONS					/* .../datasets/{d}/versions */
} V2Endpoint;

extern enum MHD_Result v2_answer(struct MHD_Connection *conn, Req *r, V2Endpoint ep,
					  const char *dataset_id, const char *query);

#endif							/* MODELARTS_EMULATOR_H */
