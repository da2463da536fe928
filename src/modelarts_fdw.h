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
#include "lib/stringinfo.h"
#include "nodes/pathnodes.h"
#include "utils/relcache.h"

/* cJSON is malloc'd; see the notes on ownership in http.c */
struct cJSON;

/* The remote resources a foreign table can map. */
typedef enum MaResource
{
	MA_RESOURCE_IMAGES,
	MA_RESOURCE_PROJECTS,
	MA_RESOURCE_VERSIONS,
	MA_RESOURCE_TAGS
} MaResource;

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
	int			max_retries;	/* for 429/503 with back-off */
	char	   *iam_endpoint;	/* base URL of IAM, NULL if unset */
	char	   *region;			/* IAM scope by project name, or NULL */
	bool		ssl_verify;
	char	   *ca_file;		/* or NULL */
	char	   *proxy;			/* or NULL */
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
} MaUserOptions;

/* Foreign table options. */
typedef struct MaTableOptions
{
	MaResource	resource;
	bool		has_annotation_id;
	int64		data_annotation_id;
} MaTableOptions;

/*
 * How the labeling job(s) of a scan are chosen: by the table option, or by a
 * pushed condition on data_annotation_id ("=" one value, or "= ANY" a list).
 */
typedef enum MaIdMode
{
	MA_ID_NONE,					/* nothing: the query must be refused */
	MA_ID_TABLE,				/* the table option alone */
	MA_ID_EQ,					/* = a Const or Param */
	MA_ID_ANY					/* = ANY (array Const, Param or ArrayExpr) */
} MaIdMode;

/* What the pushed tag_name condition asks for. */
typedef enum MaTagMode
{
	MA_TAG_ALL,					/* no condition: tagged stream, then untagged */
	MA_TAG_TAGGED,				/* IS NOT NULL */
	MA_TAG_UNTAGGED,			/* IS NULL */
	MA_TAG_EQ,					/* = a Const or Param */
	MA_TAG_ANY					/* = ANY (array Const, Param or ArrayExpr) */
} MaTagMode;

/*
 * Planner state of a foreign relation (baserel->fdw_private).  Built in
 * GetForeignRelSize, read by the path, plan and upper-path callbacks.
 */
typedef struct MaRelInfo
{
	MaTableOptions table;
	AttrNumber	id_attno;		/* column reading data_annotation_id, or 0 */
	AttrNumber	tag_attno;		/* column reading tag_name, or 0 */
	MaIdMode	id_mode;
	Expr	   *id_expr;		/* value (EQ) or array (ANY) expression */
	MaTagMode	tag_mode;
	Expr	   *tag_expr;		/* value (EQ) or array (ANY) expression */
	List	   *remote_conds;	/* RestrictInfos answered exactly remotely */
	List	   *local_conds;	/* RestrictInfos checked locally */
	Bitmapset  *attrs_used;		/* columns the query reads */
	int			page_size;		/* the server's page_size */
	int			calls_by_id;	/* projects, versions, tags: calls per job
								 * when the jobs are given */
	int			calls_listed;	/* ... and per job found by the listing */
} MaRelInfo;

/* One request stream of a scan: one job, one tag_name filter. */
typedef enum MaStreamKind
{
	MA_STREAM_TAGGED,			/* no tag_name: every tagged image */
	MA_STREAM_UNTAGGED,			/* tag_name=__none__ */
	MA_STREAM_TAG				/* tag_name=<tag> */
} MaStreamKind;

typedef struct MaStream
{
	int64		job_id;
	MaStreamKind kind;
	char	   *tag;			/* MA_STREAM_TAG: the tag */
	List	   *keep_tags;		/* MA_STREAM_TAGGED: if not NIL, only rows
								 * whose tag is one of these C strings */
} MaStream;

/* How a column's value is made from a row's source. */
typedef enum MaColumnKind
{
	MA_COL_ANNOTATION_ID,		/* the job's numeric ID */
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
	const struct cJSON *object;	/* image (or other resource object) */
	const char *tag;			/* the row's tag, or NULL */
	const char **tags;			/* distinct tags of the image */
	int			ntags;
} MaRowSource;

/*
 * A scan of projects, versions or tags: a list of jobs (given, or found
 * through annotation-jobs page by page), and for each job the calls its rows
 * need.  The cJSON trees are malloc'd and owned here; ma_job_scan_release
 * frees them, and the scan calls it from a memory-context reset callback so
 * that they go however the query ends.
 */
typedef struct MaJobScan
{
	MaResource	resource;
	struct MaConnection *conn;
	const char *project_id;
	int			page_size;		/* of the annotation-jobs listing */
	struct MaRequestCounters *counters;
	bool		need_job;		/* images?per_page=1 for each job */
	bool		need_stats;		/* tags/stats for each job */
	bool		list_all;		/* jobs from annotation-jobs */
	List	   *job_ids;		/* else these, as palloc'd int64 */
	ListCell   *next_id;

	/* the listing (list_all) */
	struct cJSON *list_json;	/* current page of annotation-jobs */
	struct cJSON *list_item;	/* next job of the page */
	int64		list_page;		/* last page requested, 0: none yet */
	int64		list_seen;		/* jobs listed so far */
	bool		list_done;

	/* the current job */
	int64		job_id;
	struct cJSON *job_json;		/* its images?per_page=1 answer */
	struct cJSON *stats_json;	/* its tags/stats answer */
	struct cJSON *rows;			/* synthetic row objects, or NULL */
	struct cJSON *cur_row;		/* next row object to return */
	int64		jobs_read;
} MaJobScan;

/* in plan.c */
extern void ma_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
								   MaRelInfo *info);
extern bool ma_param_id_clause(PlannerInfo *root, RestrictInfo *rinfo,
							   Index relid, AttrNumber id_attno, Expr **value);
extern List *ma_select_jobs(MaIdMode id_mode, List *ids, bool has_table_id,
							int64 table_id);
extern bool ma_tag_value_is_pushable(const char *tag);
extern List *ma_build_streams(MaIdMode id_mode, List *ids, bool has_table_id,
							  int64 table_id, MaTagMode tag_mode, List *tags);
extern bool ma_stream_is_exact(const MaStream *stream);
extern void ma_page_window(int64 offset, int64 limit, int max_page,
						   int *per_page, int64 *first_page, int64 *npages);
extern void ma_append_images_path(StringInfo buf, const char *project_id,
								  const char *job);
extern void ma_append_stream_query(StringInfo buf, MaStreamKind kind,
								   const char *tag_encoded);

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
extern int	ma_distinct_tags(const struct cJSON *image, const char ***tags);

/* in resource.c */
extern void ma_job_calls(MaResource resource, bool list_all, List *keys,
						 bool *need_job, bool *need_stats);
extern bool ma_job_scan_next(MaJobScan *js, MaRowSource *src);
extern void ma_job_scan_release(MaJobScan *js);
extern void ma_append_jobs_query(StringInfo buf, int64 page, int page_size);
extern void ma_append_job_path(StringInfo buf, const char *project_id,
							   const char *job, bool stats);

/* in import.c */
extern List *ma_import_foreign_schema(ImportForeignSchemaStmt *stmt,
									  Oid serverOid);

/* in connection.c */

/*
 * A cached HTTP connection for one user mapping: the libcurl handles
 * (kept for keep-alive across pages and queries), the parsed options and any
 * cached credential.  Opaque outside connection.c and http.c.
 */
typedef struct MaConnection MaConnection;

extern MaConnection *ma_get_connection(UserMapping *user);

/*
 * The insides of a MaConnection, for connection.c, http.c and auth.c only;
 * other files use the accessors below.  Everything hangs off "cxt" (a child
 * of CacheMemoryContext) except the libcurl handles, which are malloc'd by
 * libcurl and freed by connection.c when the entry is rebuilt.
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
	struct Curl_easy *easy;		/* CURL *, reused for keep-alive */
	struct Curl_multi *multi;	/* CURLM *, owns the connection pool */
	char	   *token;			/* cached IAM token (MA_AUTH_PASSWORD) or NULL */
	TimestampTz token_refresh_at;	/* get a new token from this time on */
};

/* in http.c */

/* Counters a scan keeps for EXPLAIN ANALYZE. */
typedef struct MaRequestCounters
{
	int64		requests;		/* HTTP requests sent, retries included */
	int64		retries;		/* of which retries after 429/503/401 */
} MaRequestCounters;

/*
 * Send GET {endpoint}{path}?{query} and return the parsed JSON body of a
 * successful answer.  "path" and "query" are already percent-encoded (see
 * ma_append_encoded).  The result is malloc'd by cJSON: the caller owns it
 * and must cJSON_Delete it on every path (see ma_register_json_cleanup).
 * Errors (transport, API error answers, bodies that are not a JSON object)
 * are raised with ereport(ERROR); nothing is returned then.
 */
extern struct cJSON *ma_api_get(MaConnection *conn, const char *path,
								const char *query, MaRequestCounters *counters);

/* Append s percent-encoded: A-Za-z0-9-_.~ kept, everything else %XX. */
extern void ma_append_encoded(StringInfo buf, const char *s);

/* The base URL that error messages may show (no credentials). */
extern const char *ma_connection_endpoint(MaConnection *conn);
extern const char *ma_connection_project_id(MaConnection *conn);
extern int	ma_connection_page_size(MaConnection *conn);

/*
 * The answer to one HTTP request, for auth.c's IAM call: status, body and
 * the headers we read.  All palloc'd in the caller's memory context.
 */
typedef struct MaHttpResponse
{
	long		status;
	StringInfoData body;
	char	   *subject_token;	/* X-Subject-Token, or NULL */
	char	   *retry_after;	/* Retry-After, or NULL */
	char	   *location;		/* Location (of a 3xx), or NULL */
} MaHttpResponse;

extern void ma_http_perform(MaConnection *conn, const char *method,
							const char *base, const char *path,
							const char *query, List *headers,
							const char *body, MaHttpResponse *resp);

/* in auth.c */
extern List *ma_auth_headers(MaConnection *conn, const char *method,
							 const char *path, const char *query);
extern bool ma_auth_renew_after_401(MaConnection *conn, const char *error_code);
extern void ma_auth_forget(MaConnection *conn);
extern char *ma_aksk_signature(const char *secret_key, const char *method,
							   const char *host, const char *path,
							   const char *query, const char *sdk_date);

#endif							/* MODELARTS_FDW_H */
