/*-------------------------------------------------------------------------
 *
 * modelarts_fdw.h
 *		  Private declarations shared by the files of modelarts_fdw.
 *
 * The externs are grouped by the file that defines them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MODELARTS_FDW_H
#define MODELARTS_FDW_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "executor/tuptable.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "utils/relcache.h"

/* cJSON trees: see the notes on ownership in client.c */
struct cJSON;

/* The remote resources a foreign table can map. */
typedef enum MaResource
{
	MA_RESOURCE_IMAGES,
	MA_RESOURCE_PROJECTS,
	MA_RESOURCE_VERSIONS,
	MA_RESOURCE_TAGS,
	/* the v2 dataset API (v2.c) */
	MA_RESOURCE_SAMPLES,
	MA_RESOURCE_DATASETS,
	MA_RESOURCE_DATASET_VERSIONS,
	MA_RESOURCE_DATASET_LABELS
} MaResource;

/* Is the resource one of the v2 dataset API's? */
#define MA_RESOURCE_IS_V2(r)	((r) >= MA_RESOURCE_SAMPLES)

/*
 * The keys of an images (v1) or samples (v2) answer that the images scan
 * and the row conversion read; see request.c and v2.c.
 */
typedef struct MaAnswerShape
{
	const char *items;			/* the page's array: "images", "samples" */
	const char *count;			/* its total: "image_count", "sample_count" */
	const char *id;				/* an item's ID: "image_id", "sample_id" */
	const char *tags;			/* an item's tags: "tags", "labels" */
	const char *tag_name;		/* the name in an object entry: "tag", "name" */
	const char *size_parent;	/* the object holding the size, or NULL */
	const char *size;			/* [w, h]: "size", "@modelarts:size" */
	const char *item_word;		/* in messages: "image", "sample" */
} MaAnswerShape;

/* How a user mapping authenticates; exactly one mode per mapping. */
typedef enum MaAuthMode
{
	MA_AUTH_NONE,				/* no credential options at all */
	MA_AUTH_TOKEN,				/* auth_token */
	MA_AUTH_PASSWORD,			/* user_name, password, domain_name */
	MA_AUTH_AKSK				/* access_key, secret_key */
} MaAuthMode;

/* Server options, parsed and defaulted. Strings are palloc'd. */
typedef struct MaServerOptions
{
	char	   *endpoint;		/* base URL, no trailing slash */
	char	   *project_id;		/* cloud project ID, used in every path */
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			page_size;		/* 1..100 */
	int			max_retries;	/* retries of one call; see client.c */
	int			requests_in_flight; /* per scan, 1..MA_MAX_IN_FLIGHT */
	char	   *iam_endpoint;	/* base URL of IAM, NULL if unset */
	char	   *region;			/* IAM scope by project name, or NULL */
	bool		ssl_verify;
	char	   *ca_file;		/* or NULL */
	char	   *proxy;			/* or NULL */
	bool		require_job_filter; /* refuse reads of every listed job */
	bool		use_remote_estimate;	/* plan-time calls: see estimate.c */
	int			estimate_cache_seconds; /* their answers' life in the cache */
} MaServerOptions;

/* User mapping options. Strings are palloc'd; secrets never printed. */
typedef struct MaUserOptions
{
	MaAuthMode	mode;
	char	   *auth_token;
	char	   *user_name;
	char	   *password;
	char	   *domain_name;
	char	   *access_key;
	char	   *secret_key;
	char	   *proxy_user;		/* for the server's proxy, or NULL */
	char	   *proxy_password;
	bool		password_required;	/* false: set by a superuser, see
									 * perimeter.c */
} MaUserOptions;

/* Foreign table options. */
typedef struct MaTableOptions
{
	MaResource	resource;
	bool		has_annotation_id;
	int64		data_annotation_id;
	int			requests_in_flight; /* overrides the server's; 0: unset */
	bool		has_require_job_filter; /* set on the table: overrides */
	bool		require_job_filter; /* ... the server's */
	bool		missing_job_empty;	/* missing_job 'empty' */
	int			use_remote_estimate;	/* overrides the server's; -1: unset */
	char	   *dataset_id;		/* v2: the table option, or NULL */
	char	   *version_id;		/* v2 samples: a published version, or NULL */
} MaTableOptions;

/*
 * How the labeling job(s) of a scan are chosen: by the table option, by a
 * pushed condition on data_annotation_id, or, with neither, from the
 * annotation-jobs listing.
 */
typedef enum MaIdMode
{
	MA_ID_NONE,					/* nothing: every job of the listing */
	MA_ID_TABLE,				/* the table option alone */
	MA_ID_EQ,					/* values: id_exprs (=, IN, = ANY, OR) */
	MA_ID_RANGE					/* bounds: jobs of the listing in a range */
} MaIdMode;

/*
 * Flags of one value expression of MA_ID_EQ (id_flags): an array ("= ANY")
 * and/or "NULL means no condition" (the idiom "(id = $1 OR $1 IS NULL)").
 */
#define MA_IDV_ARRAY		0x01
#define MA_IDV_NULL_ALL		0x02

/* What the pushed tag_name condition asks for. */
typedef enum MaTagMode
{
	MA_TAG_ALL,					/* no condition: tagged stream, then untagged */
	MA_TAG_TAGGED,				/* IS NOT NULL */
	MA_TAG_UNTAGGED,			/* IS NULL */
	MA_TAG_EQ,					/* = a Const or Param */
	MA_TAG_ANY,					/* = ANY (array Const, Param or ArrayExpr) */
	MA_TAG_EQ_OR_ALL,			/* (= v OR v IS NULL): EQ, or ALL for NULL */
	MA_TAG_EQ_OR_NULL			/* IS NOT DISTINCT FROM v: EQ, or UNTAGGED
								 * for NULL */
} MaTagMode;

/*
 * A scan's size as the service's own counts give it (estimate.c): the
 * jobs, known as constants at plan time, and what their tags/stats say.
 */
typedef struct MaRemoteEstimate
{
	List	   *jobs;			/* int64 job IDs (palloc'd), deduplicated */
	double		rows;			/* rows of the scan, before local filters */
	double		requests;		/* pages it reads */
} MaRemoteEstimate;

/*
 * Planner state of a foreign relation (baserel->fdw_private).  Built in
 * GetForeignRelSize, read by the path, plan and upper-path callbacks.
 */
typedef struct MaRelInfo
{
	MaTableOptions table;
	AttrNumber	id_attno;		/* column reading data_annotation_id, or 0 */
	AttrNumber	tag_attno;		/* column reading tag_name, or 0 */
	bool		id_is_text;		/* v2: the ID is a string (dataset_id) */
	MaIdMode	id_mode;
	List	   *id_exprs;		/* MA_ID_EQ: value or array expressions */
	List	   *id_flags;		/* ... their MA_IDV_* flags (IntList) */
	Expr	   *id_lo_expr;		/* MA_ID_RANGE: lower bound, or NULL */
	Expr	   *id_hi_expr;		/* ... upper bound, or NULL */
	bool		id_lo_strict;	/* ... ">" rather than ">=" */
	bool		id_hi_strict;	/* ... "<" rather than "<=" */
	bool		require_job;	/* require_job_filter in force */
	MaTagMode	tag_mode;
	Expr	   *tag_expr;		/* value (EQ) or array (ANY) expression */
	List	   *remote_conds;	/* RestrictInfos answered exactly remotely */
	List	   *local_conds;	/* RestrictInfos checked locally */
	Bitmapset  *attrs_used;		/* columns the query reads */
	int			page_size;		/* the server's page_size */
	int			calls_by_id;	/* projects, versions, tags: calls per job
								 * when the jobs are given */
	int			calls_listed;	/* ... and per job found by the listing */
	MaRemoteEstimate *remote;	/* from tags/stats (estimate.c), or NULL */
} MaRelInfo;

/* One request stream of a scan: one job, one tag_name filter. */
typedef enum MaStreamKind
{
	MA_STREAM_TAGGED,			/* no tag_name: every tagged image */
	MA_STREAM_UNTAGGED,			/* tag_name=__none__ */
	MA_STREAM_TAG				/* tag_name=<tag> */
} MaStreamKind;

/*
 * A value of the request plan: a job (id) or a tag, known, or not yet (a
 * parameter: "text" is what EXPLAIN shows, "many" for an array of them).
 * For a known job, text is its digits; for a known tag, the tag encoded.
 */
typedef struct MaPlanValue
{
	bool		known;
	bool		many;
	int64		id;
	char	   *tag;
	char	   *text;
} MaPlanValue;

typedef struct MaStream
{
	const MaPlanValue *job;
	int64		job_id;			/* job->id, or -1 when not known */
	MaStreamKind kind;
	const MaPlanValue *tag;		/* MA_STREAM_TAG: the tag */
	List	   *keep_tags;		/* MA_STREAM_TAGGED: if not NIL, only rows
								 * whose tag is one of these C strings */
	bool		v2;				/* a dataset's samples, not a job's images */
	const char *version;		/* v2: version_id, encoded, or NULL */
	int			per_page;
	int64		first_page;
	int64		max_pages;		/* -1: until the stream ends */
} MaStream;

/* What ma_plan_requests plans from. */
typedef struct MaPlanInput
{
	MaIdMode	id_mode;
	List	   *jobs;			/* MaPlanValue, for MA_ID_EQ */
	bool		list_jobs;		/* the jobs of the listing (no job given) */
	int64		list_min;		/* ... those from list_min to list_max */
	int64		list_max;
	const char *list_text;		/* for EXPLAIN: the range, or NULL */
	bool		has_table_id;
	int64		table_id;
	MaTagMode	tag_mode;
	List	   *tags;			/* MaPlanValue, for MA_TAG_EQ and MA_TAG_ANY */
	int			page_size;
	bool		has_limit;		/* LIMIT/OFFSET pushed */
	bool		limit_known;
	int64		limit;			/* -1: none (or NULL) */
	bool		offset_known;
	int64		offset;
	const char *limit_text;		/* for EXPLAIN, when not known */
	const char *offset_text;
	bool		negative;		/* for EXPLAIN: a negative constant */
	bool		v2;				/* datasets (string IDs) and their samples */
	const char *table_dataset;	/* v2: the table option dataset_id, or NULL */
	const char *version;		/* v2: the table option version_id, or NULL */
} MaPlanInput;

/* The requests of a scan, as the executor runs them and EXPLAIN shows them */
typedef struct MaRequestPlan
{
	List	   *streams;		/* MaStream, in the order they are read */
	int64		skip;			/* rows to drop before the first returned */
	int64		limit;			/* rows to return, -1: all */
	const char *none;			/* no stream: why, or NULL */
	const char *paging;			/* how pages go on, for EXPLAIN */
	bool		sized_at_execution; /* LIMIT/OFFSET not known yet */
	bool		listed;			/* the streams are a template, made for
								 * each job of the listing in turn */
	int64		list_min;		/* ... whose ID is in this range */
	int64		list_max;
	int			list_page_size; /* ... read in pages of this many jobs */
	const MaAnswerShape *shape; /* of the answers: v1 images or v2 samples */
} MaRequestPlan;

/* How a column's value is made from a row's source. */
typedef enum MaColumnKind
{
	MA_COL_ANNOTATION_ID,		/* the job's numeric ID */
	MA_COL_DATASET_ID,			/* v2: the dataset's string ID */
	MA_COL_TAG_NAME,			/* the row's tag, NULL for an untagged image */
	MA_COL_TAGS,				/* all distinct tag names of the image */
	MA_COL_ANNOTATIONS,			/* the image's raw "tags" array */
	MA_COL_WIDTH,				/* size[0] */
	MA_COL_HEIGHT,				/* size[1] */
	MA_COL_KEY					/* any other key of the row's object */
} MaColumnKind;

/* One column of the foreign table that a scan fills. */
typedef struct MaColumn
{
	AttrNumber	attnum;
	MaColumnKind kind;
	char	   *key;			/* JSON key read (MA_COL_KEY), palloc'd */
	char	   *attname;
	Oid			typid;
	int32		typmod;
	Oid			typioparam;
	FmgrInfo	typinput;
} MaColumn;

/* What one output row is made from. */
typedef struct MaRowSource
{
	int64		job_id;
	const char *dataset_id;		/* v2: the dataset's ID (UTF-8), or NULL */
	const MaAnswerShape *shape; /* images or samples: the object's keys */
	const struct cJSON *object;	/* image (or other resource object) */
	const char *tag;			/* the row's tag, or NULL */
	const char **tags;			/* distinct tags of the image */
	int			ntags;
} MaRowSource;


/* in plan.c */
extern void ma_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
								   MaRelInfo *info);
extern bool ma_param_id_clause(PlannerInfo *root, RestrictInfo *rinfo,
							   Index relid, AttrNumber id_attno, bool text,
							   Expr **value);
extern int64 ma_id_from_datum(Datum d, Oid type);

/* in request.c */
struct ExplainState;
extern void ma_append_encoded(StringInfo buf, const char *s);
extern bool ma_tag_value_is_pushable(const char *tag);
extern MaPlanValue *ma_plan_job(int64 id);
extern MaPlanValue *ma_plan_tag(const char *tag);
extern MaPlanValue *ma_plan_unknown(const char *text, bool many);
extern const MaAnswerShape ma_images_shape;
extern MaRequestPlan *ma_plan_requests(const MaPlanInput *in);
extern bool ma_stream_is_exact(const MaStream *stream);
extern void ma_page_window(int64 offset, int64 limit, int max_page,
						   int *per_page, int64 *first_page, int64 *npages);
extern void ma_append_images_request(StringInfo path, StringInfo query,
									 const char *project_id,
									 const MaStream *stream, int per_page,
									 int64 page);
extern void ma_append_job_request(StringInfo path, StringInfo query,
								  const char *project_id, const char *job,
								  bool stats);
extern void ma_append_jobs_request(StringInfo path, StringInfo query,
								   const char *project_id, int64 page,
								   int page_size);
extern void ma_append_list_request(StringInfo path, StringInfo query,
								   const char *version, const char *project_id,
								   const char *collection, int64 page,
								   int page_size);
extern void ma_explain_request_plan(const MaRequestPlan *plan,
									const char *project_id, List *before,
									struct ExplainState *es);
extern void ma_explain_requests(List *requests, const char *paging,
								struct ExplainState *es);
struct MaSentLog;
extern void ma_sent_log_add(struct MaSentLog *log, const char *path,
							const char *query);
extern void ma_explain_sent(struct MaSentLog *log, struct ExplainState *es);

/* in option.c */
extern void ma_get_server_options(ForeignServer *server, MaServerOptions *opts);
extern void ma_get_user_options(UserMapping *user, MaUserOptions *opts);
extern void ma_get_table_options(Oid relid, MaTableOptions *opts);
extern char *ma_column_key(Oid relid, AttrNumber attnum);
extern const char *ma_resource_name(MaResource resource);

/* in convert.c */
extern MaColumn *ma_describe_columns(Relation rel, MaResource resource,
									 Bitmapset *attrs_used, int *ncolumns);
extern void ma_fill_row(Relation rel, MaColumn *columns, int ncolumns,
						const MaRowSource *src, Datum *values, bool *nulls);
extern int	ma_distinct_tags(const struct cJSON *image,
							 const MaAnswerShape *shape, const char ***tags);

/* in resource.c */
extern void ma_job_calls(MaResource resource, bool list_all, List *keys,
						 bool *need_job, bool *need_stats);

/* in import.c */
extern List *ma_import_foreign_schema(ImportForeignSchemaStmt *stmt,
									  Oid serverOid);
extern void ma_import_init(void);

/* in connection.c */

/*
 * A cached HTTP connection for one user mapping: the libcurl handles
 * (kept for keep-alive across pages and queries), the parsed options and any
 * cached credential.  Opaque outside connection.c, client.c and auth.c.
 */
typedef struct MaConnection MaConnection;

extern MaConnection *ma_get_connection(UserMapping *user);

/* The base URL that error messages may show (no credentials). */
extern const char *ma_connection_endpoint(MaConnection *conn);
extern const char *ma_connection_project_id(MaConnection *conn);
extern int	ma_connection_page_size(MaConnection *conn);
extern List *ma_connection_secrets(void);

/*
 * The insides of a MaConnection, for connection.c, client.c and auth.c only;
 * other files use the accessors below.  Everything hangs off "cxt" (a child
 * of CacheMemoryContext) except the transport (transport.c: libcurl's
 * handles, malloc'd by libcurl), which has a context of its own and goes
 * when the entry is rebuilt and no scan still uses it.
 */
struct MaConnection
{
	Oid			umid;			/* hash key: user mapping OID; must be first */
	bool		invalidated;	/* options changed: rebuild at next use */
	uint32		server_hashvalue;	/* hash of the server OID, for inval */
	uint32		mapping_hashvalue;	/* hash of the mapping OID, for inval */
	MemoryContext cxt;			/* options and the cached token live here */
	MaServerOptions server;
	MaUserOptions user;
	struct MaTransport *transport;	/* libcurl handles and kept-alive
									 * connections; see transport.c */
	char	   *token;			/* cached IAM token (MA_AUTH_PASSWORD) or NULL */
	uint64		token_generation;	/* counts the tokens got */
	TimestampTz token_refresh_at;	/* get a new token from this time on */
	int			listing_base;	/* annotation-jobs' first offset, once
								 * learned (1: offset 0 refused), or -1 */
	bool		auth_demanded;	/* the endpoint refused a request without
								 * credentials (see perimeter.c) */
};

/* in perimeter.c */

/* What a URL is for: what ma_parse_url accepts. */
typedef enum MaUrlKind
{
	MA_URL_ENDPOINT,			/* endpoint, iam_endpoint */
	MA_URL_PROXY,				/* proxy */
	MA_URL_PREFIX				/* an entry of allowed_endpoints */
} MaUrlKind;

/* A URL parsed by ma_parse_url; strings palloc'd. */
typedef struct MaUrl
{
	char		scheme[8];		/* lower case */
	char	   *host;			/* as given; IPv6 in brackets */
	int			port;			/* as given, or the scheme's default */
	bool		has_port;
	char	   *path;			/* without trailing slashes; "" for none */
} MaUrl;

extern void ma_perimeter_init(void);
extern bool ma_parse_url(const char *s, MaUrlKind kind, MaUrl *url,
						 const char **why);
extern void ma_check_url_option(const char *option, const char *value,
								MaUrlKind kind, const char *server);
extern void ma_check_perimeter(MaConnection *conn, const char *server);
extern void ma_check_auth_demanded(MaConnection *conn);
extern char *ma_redact(const char *text, int len, List *extra, int mark,
					   int *mark_out, int *out_len);
extern char *ma_redact_string(const char *s);
extern char *ma_redact_window(const char *body, int len, List *extra,
							  int from, int count, int *out_len);

/* in transport.c */

/* At most this many requests in flight per scan (requests_in_flight). */
#define MA_MAX_IN_FLIGHT		64

/*
 * Answers larger than this are refused rather than buffered, and the tree
 * parsed from one may take at most MA_MAX_PARSE_BYTES (a 100-image page
 * takes two 64 kB blocks): memory stays proportional to a normal page, whatever
 * a server sends.
 */
#define MA_MAX_ANSWER_BYTES		(16 * 1024 * 1024)
#define MA_MAX_PARSE_BYTES		(64 * 1024 * 1024)

typedef struct MaTransport MaTransport;

/*
 * One HTTP request and, once done, its result: what libcurl said (result),
 * the status, the body and the few headers we read, palloc'd in "cxt".
 * Owned by the caller; the transport only points at it while it is active.
 */
typedef struct MaHttpRequest
{
	/* set by ma_http_request_init */
	MemoryContext cxt;
	const char *method;
	const char *url;
	List	   *headers;		/* "Name: value" strings */
	const char *body;			/* or NULL */

	/* state */
	bool		active;			/* in flight */
	bool		done;			/* finished: the result below is set */
	long		timeout_ms;
	bool		fresh_connection;
	dlist_node	node;			/* in the transport's list while active */
	MaTransport *tr;
	struct Curl_easy *easy;		/* CURL *, while active */
	struct curl_slist *slist;

	/* result */
	int			result;			/* CURLcode */
	long		status;
	StringInfoData body_buf;
	char	   *retry_after;	/* Retry-After, or NULL */
	char	   *subject_token;	/* X-Subject-Token, or NULL */
	char	   *location;		/* Location (of a 3xx), or NULL */
	bool		out_of_memory;	/* a callback could not allocate */
	bool		too_large;		/* the body exceeded MA_MAX_ANSWER_BYTES */
	bool		framing_doubt;	/* bytes followed the answer: connection shut */
	int			socket;			/* the connection's socket, or -1 */
	int64		connect_time_us;
	int64		request_size;	/* bytes of request sent: 0 if none */
	long		os_errno;		/* errno of a failed connect, or 0 */
	char		errbuf[256];	/* CURL_ERROR_SIZE */
} MaHttpRequest;

extern MaTransport *ma_transport_create(MemoryContext parent,
										const MaServerOptions *opts,
										const MaUserOptions *user);
extern void ma_transport_destroy(MaTransport *tr);
extern void ma_transport_use(MaTransport *tr);
extern void ma_transport_unuse(MaTransport *tr);
extern int	ma_transport_active(MaTransport *tr);
extern void ma_http_request_init(MaHttpRequest *req, MemoryContext cxt,
								 const char *method, const char *url,
								 List *headers, const char *body);
extern void ma_transport_start(MaTransport *tr, MaHttpRequest *req,
							   long timeout_ms, bool fresh_connection);
extern void ma_transport_cancel(MaHttpRequest *req);
extern int	ma_transport_wait(MaTransport *tr, long timeout_ms);
extern void ma_transport_perform(MaTransport *tr, MaHttpRequest *req,
								 long timeout_ms);
extern void ma_transport_drop_connection(MaHttpRequest *req);
extern const char *ma_http_body(MaHttpRequest *req, int *len);

/* in client.c */

/* Counters a scan keeps for EXPLAIN ANALYZE. */
typedef struct MaRequestCounters
{
	int64		requests;		/* HTTP requests sent, retries included */
	int64		retries;		/* of which repeats of a failed attempt */
	int64		bytes;			/* answer bytes received */
	struct MaSentLog *sent;		/* the requests sent, for EXPLAIN ANALYZE,
								 * or NULL */
} MaRequestCounters;

/*
 * What EXPLAIN ANALYZE shows of the requests sent: each distinct request
 * (its page number left out) with the pages asked and how many were sent.
 * Lives in "cxt"; at most MA_SENT_MAX entries, the rest only counted.
 */
#define MA_SENT_MAX		20
typedef struct MaSentLog
{
	MemoryContext cxt;
	List	   *entries;		/* MaSentEntry */
	int64		others;			/* requests of entries not kept */
} MaSentLog;

typedef struct MaSentEntry
{
	char	   *text;			/* "GET path?query", page=K left out */
	const char *page_key;		/* "page=" (v1) or "offset=" (v2) */
	int64		first_page;		/* -1: no page parameter */
	int64		last_page;
	int64		count;
} MaSentEntry;


typedef enum MaCallState
{
	MA_CALL_QUEUED,				/* waiting for the window or its retry time */
	MA_CALL_IN_FLIGHT,
	MA_CALL_DONE,				/* json holds the answer */
	MA_CALL_FAILED				/* failed for good; raised when waited for */
} MaCallState;

typedef enum MaCallFailure
{
	MA_FAIL_NONE,
	MA_FAIL_TRANSPORT,			/* no complete answer */
	MA_FAIL_STATUS,				/* an error status, or is_success false */
	MA_FAIL_JSON,				/* a 2xx that is not JSON */
	MA_FAIL_TOO_BIG,			/* ... too large a tree to parse */
	MA_FAIL_NUL,				/* ... holding a NUL in a string */
	MA_FAIL_NOT_OBJECT,			/* JSON, but not an object */
	MA_FAIL_WRONG_JOB			/* an images answer for another job */
} MaCallFailure;

/* One logical API call, with its retries; see client.c. */
typedef struct MaCall
{
	dlist_node	node;			/* in the client's list, in order */
	char	   *path;			/* encoded, relative to the endpoint */
	char	   *query;			/* encoded, "" for none */
	int64		expect_job;		/* the job an images answer names, or -1 */
	MaCallState state;
	MaCallFailure failure;
	int			retries;
	bool		renewed;		/* a new token was tried after a 401 */
	bool		orphan;			/* forgotten: freed when it finishes */
	bool		fresh_connection;	/* the next attempt on a new connection */
	uint64		token_generation;	/* of the token the attempt carried */
	TimestampTz first_sent;
	TimestampTz not_before;		/* a retry waits until then */
	int			error_pos;		/* MA_FAIL_JSON: where parsing stopped */
	double		error_job;		/* MA_FAIL_WRONG_JOB: the job answered */
	MemoryContext cxt;			/* the current attempt's answer */
	MaHttpRequest req;
	struct cJSON *json;			/* MA_CALL_DONE: the answer ... */
	MemoryContext json_cxt;		/* ... whose tree lives here */
} MaCall;

typedef struct MaClient
{
	struct MaConnection *conn;
	MaTransport *tr;
	MemoryContext cxt;			/* the calls; reset: all cancelled, freed */
	MemoryContextCallback cb;
	int			max_in_flight;
	double		window;			/* calls allowed in flight now */
	int			in_flight;
	dlist_head	calls;			/* every call not discarded, in order */
	MaRequestCounters *counters;
} MaClient;

extern MaClient *ma_client_create(struct MaConnection *conn, int max_in_flight,
								  MaRequestCounters *counters,
								  MemoryContext parent);
extern void ma_client_destroy(MaClient *client);
extern MaCall *ma_client_call(MaClient *client, const char *path,
							  const char *query, int64 expect_job);
extern const struct cJSON *ma_client_wait(MaClient *client, MaCall *call);
/* for ma_client_wait_unless: "the job does not exist" is an answer */
#define MA_TOLERATE_MISSING_JOB		(-1L)
extern const struct cJSON *ma_client_wait_unless(MaClient *client, MaCall *call,
												 long tolerated);
extern struct cJSON *ma_client_take_json(MaCall *call, MemoryContext parent);
extern void ma_client_discard(MaClient *client, MaCall *call);
extern void ma_client_forget(MaClient *client, MaCall *call);
extern void ma_client_drain(MaClient *client, int timeout_ms);
extern void ma_sleep_ms(int ms);
extern char *ma_server_text(const char *s);
extern List *ma_request_secrets(MaHttpRequest *req);
extern void ma_malformed_answer(MaCall *call, const char *what) pg_attribute_noreturn();
extern bool ma_json_whole_number(const struct cJSON *item, int64 *value);

extern struct cJSON *ma_json_parse(const char *text, int len, MemoryContext cxt,
								   const char **end, bool *too_big, bool *nul);

/* in auth.c */
extern List *ma_auth_headers(MaConnection *conn, const char *method,
							 const char *path, const char *query);
extern bool ma_auth_renew_after_401(MaConnection *conn, const char *error_code,
									uint64 token_generation);
extern void ma_auth_forget(MaConnection *conn);
extern char *ma_aksk_signature(const char *secret_key, const char *method,
							   const char *host, const char *path,
							   const char *query, const char *sdk_date);

/*
 * A paged list of a service's items (v1's annotation-jobs listing, v2's
 * dataset list), read page by page; see resource.c.  MaListKind says what
 * differs between the lists, MaLister is one reading of one.
 */
typedef struct MaListKind
{
	const char *array_key;		/* the page's array of items: "jobs" */
	const char *id_key;			/* an item's ID: "dls_prj_id" */
	bool		string_ids;		/* IDs are non-empty strings, else job IDs */
	const char *bad_id;			/* what a malformed answer without one says */
	void		(*append_request) (StringInfo path, StringInfo query,
								   const char *project_id, int64 page,
								   int page_size);
	/*
	 * true: the offset's base is unknown (v1): offset 0 first, a 400 there
	 * tolerated and remembered with the connection, a short page ends the
	 * list from offset 1, a page of nothing new from offset 2; false: pages
	 * from 0, a short page or one of nothing new ends the list.
	 */
	bool		probe_base;
	const char *list_name;		/* for the repeated-page error: the list */
	const char *items_name;		/* ... and its items ("jobs") */
	const char *total_key;		/* the count the repeated-page error checks,
								 * or NULL: no such error */
	bool		copy_items;		/* return malloc'd copies, else items of the
								 * current page (valid until the next call) */
} MaListKind;

typedef struct MaLister
{
	const MaListKind *kind;
	MaClient   *client;
	const char *project_id;
	int			page_size;
	int64		page;			/* the last page asked for */
	bool		done;
	bool		zero_last;		/* offset 0 still to ask, after the rest:
								 * the listing's base is not known */
	bool		probing;		/* the page asked for is that offset 0 */
	bool		simple_end;		/* pages from 0: a short page or one with
								 * nothing new ends the list */
	MemoryContext page_cxt;		/* the current page's tree */
	struct cJSON *json;			/* the current page */
	struct cJSON *next_item;	/* the next item on it */
	int64	   *listed_ids;		/* the items returned so far: job IDs */
	char	  **listed_names;	/* ... or string IDs (in the client's cxt) */
	int			nlisted;
	int			maxlisted;
} MaLister;

typedef MaLister MaJobLister;

/*
 * A scan of any resource, as the callbacks see it: start (again) with the
 * values known now, next row, EXPLAIN of the requests, end.  See scan.c
 * (images) and resource.c (projects, versions, tags).
 */
typedef struct MaScan
{
	const struct MaScanMethods *methods;
	MaRequestCounters counters;	/* for EXPLAIN ANALYZE, over every rescan */
	int64		images_received;
	int64		rows_dropped;
	int64		jobs_read;
	bool		missing_job_empty;	/* missing_job 'empty' */
	List	   *missing_warned; /* jobs warned about (int64 in a List of
								 * palloc'd values), once per query */
} MaScan;

typedef struct MaScanMethods
{
	void		(*start) (MaScan *scan, const MaPlanInput *in);
	bool		(*next) (MaScan *scan, struct MaRowSource *src);
	void		(*explain) (MaScan *scan, const MaPlanInput *in,
							struct ExplainState *es);
	void		(*end) (MaScan *scan);
} MaScanMethods;

/* in scan.c */
extern MaScan *ma_images_scan_create(struct MaConnection *conn,
									 const char *project_id, int in_flight,
									 MemoryContext cxt);

/* in resource.c (the rest above) */
extern MaScan *ma_job_scan_create(struct MaConnection *conn,
								  MaResource resource, const char *project_id,
								  int page_size, int in_flight, List *keys,
								  MemoryContext cxt);
extern void ma_missing_job(MaScan *scan, int64 job_id);
extern void ma_job_lister_init(MaJobLister *lister, MaClient *client,
							   const char *project_id, int page_size);
extern struct cJSON *ma_job_lister_next(MaJobLister *lister, int64 *job_id);
extern void ma_lister_init(MaLister *lister, const MaListKind *kind,
						   MaClient *client, const char *project_id,
						   int page_size);
extern struct cJSON *ma_lister_next(MaLister *lister, int64 *job_id,
									const char **string_id);
extern List *ma_plan_jobs(const MaPlanInput *in);

/* in v2.c */

/* The v2 dataset list (a MaLister); see v2.c. */
typedef MaLister MaDatasetLister;

extern const MaAnswerShape ma_samples_shape;
extern void ma_dataset_lister_init(MaDatasetLister *lister, MaClient *client,
								   const char *project_id, int page_size);
extern struct cJSON *ma_dataset_lister_next(MaDatasetLister *lister,
											const char **dataset_id);
extern const char *ma_id_key(MaResource resource);
extern void ma_append_samples_request(StringInfo path, StringInfo query,
									  const char *project_id,
									  const MaStream *stream, int per_page,
									  int64 page);
extern MaScan *ma_v2_scan_create(struct MaConnection *conn,
								 MaResource resource, const char *project_id,
								 int page_size, int in_flight, bool list_all,
								 MemoryContext cxt);

/*
 * One job's tags/stats answer, read once for every use (stats.c): the
 * annotation_tags rows, the projects counts, the estimates and the pushed
 * aggregates.  Items point into the answer's tree; a count is "valid" when
 * it is a whole number from 0 to 2^53.
 */
typedef struct MaTagCount
{
	const struct cJSON *tag_item;	/* "tag", or NULL */
	const struct cJSON *count_item; /* "count", or NULL */
	const char *tag;			/* the tag if it is a string, else NULL */
	bool		count_valid;
	int64		count;
} MaTagCount;

typedef struct MaTagStats
{
	int			ntags;
	MaTagCount *tags;			/* tag_count, in the answer's order */
	bool		has_tagged;		/* tags_stat has_tag true: its count */
	double		tagged;
	bool		has_untagged;	/* tags_stat has_tag false: its count */
	double		untagged;
} MaTagStats;

/* in stats.c */
extern void ma_read_tag_stats(const struct cJSON *answer, MaCall *call,
							  MaTagStats *stats);
extern bool ma_tag_stats_complete(const MaTagStats *stats, const char **why);

/*
 * What the planner knows of a job from its plan-time calls (estimate.c):
 * its tags/stats, and (asked only when needed) whether it is a
 * classification job.  ma_plan_jobs_stats returns palloc'd copies of the
 * cached entries; aggregate.c also builds them from a fresh answer.
 */
typedef struct MaJobStats
{
	int64		job_id;
	bool		stats_ok;		/* tags/stats read, and complete */
	int			ntags;
	char	  **tags;			/* UTF-8 */
	int64	   *counts;
	int64		tagged;
	int64		untagged;
	int			type_state;		/* 0: not asked, 1: classification,
								 * 2: another type or unknown, 3: failed */
} MaJobStats;

/* in estimate.c */
extern bool ma_use_remote_estimate(const MaServerOptions *sopts,
								   const MaTableOptions *topts);
extern List *ma_const_jobs(MaRelInfo *info, bool *known);
extern bool ma_const_tags(MaRelInfo *info, List **tags);
extern List *ma_plan_jobs_stats(PlannerInfo *root, RelOptInfo *baserel,
								List *jobs, bool need_type);
extern void ma_estimate_rel(PlannerInfo *root, RelOptInfo *baserel,
							MaRelInfo *info, const MaServerOptions *sopts);

/* in aggregate.c */
extern bool ma_enable_aggregate_pushdown;
struct ForeignScanState;
extern void ma_add_grouping_paths(PlannerInfo *root, RelOptInfo *input_rel,
								  RelOptInfo *grouped_rel,
								  GroupPathExtraData *extra);
extern ForeignScan *ma_aggregate_plan(PlannerInfo *root, RelOptInfo *rel,
									  ForeignPath *best_path, List *tlist,
									  Plan *outer_plan);
extern bool ma_is_aggregate_scan(struct ForeignScanState *node);
extern void ma_aggregate_begin(struct ForeignScanState *node, int eflags);
extern TupleTableSlot *ma_aggregate_next(struct ForeignScanState *node);
extern void ma_aggregate_rescan(struct ForeignScanState *node);
extern void ma_aggregate_end(struct ForeignScanState *node);
extern void ma_aggregate_explain(struct ForeignScanState *node,
								 struct ExplainState *es);

#endif							/* MODELARTS_FDW_H */
