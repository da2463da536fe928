/*-------------------------------------------------------------------------
 *
 * estimate.c
 *		  Remote estimates: the size of a scan from the service's own
 *		  counts (tags/stats), asked at plan time and cached per backend.
 *
 * With use_remote_estimate (server or table option, default true) and the
 * job(s) of a scan known as constants at plan time, the planner asks each
 * job's tags/stats and counts the scan's rows as the row model makes them:
 * one row per (image, distinct tag), one for an untagged image.  So a
 * tag_name = v scan has the tag's count, IS NULL the untagged count, no
 * filter the sum of the tags' counts plus the untagged count; the pages
 * follow from the images each request stream reads.  For a detection job,
 * where a tag's "count" may count boxes rather than images (the contract
 * leaves it open), a tag's rows are capped at the tagged images: the
 * estimate may be high there, never absurd.
 *
 * The same plan-time calls tell aggregate.c what it needs to push an
 * aggregate: the counts, and (a job call, images?per_page=1, asked only
 * then) whether the job is a classification job.
 *
 * The answers are cached per backend, keyed by user mapping and job, for
 * estimate_cache_seconds (server option, default 60; 0: no cache), failures
 * included, so that a job that cannot be asked costs one attempt per
 * period, not one per query.  A change to any server or user mapping
 * expires every entry, as connection.c drops its connections.
 *
 * A plan-time call that fails does not fail the query: planning goes on
 * with the default estimate, and a DEBUG1 message says why.  The scan itself
 * may well work (a fault of the moment, a job the query's other conditions
 * exclude), and if it does not, it raises its own error at execution.  The
 * call runs in a subtransaction so that its error can be caught safely; a
 * cancel or statement_timeout is raised as usual.  postgres_fdw raises the
 * error of a failed estimate instead: here the estimate is a convenience,
 * and the price of a failure is a plan made on the default estimate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "modelarts_fdw.h"

/* A cached job: keyed by user mapping (which names the server) and job. */
typedef struct StatsKey
{
	Oid			umid;
	int64		job;
} StatsKey;

typedef struct StatsEntry
{
	StatsKey	key;			/* must be first */
	bool		stats_valid;	/* stats_at is in force */
	TimestampTz stats_at;		/* when the stats were asked */
	bool		type_valid;
	TimestampTz type_at;
	MaJobStats	js;				/* arrays in EstimateCxt */
} StatsEntry;

static HTAB *StatsHash = NULL;
static MemoryContext EstimateCxt = NULL;

static void estimate_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static Oid	user_mapping_oid(Oid userid, Oid serverid);
static bool fresh(bool valid, TimestampTz at, int ttl);
static void fetch_jobs(Oid serverid, Oid userid, List *entries, bool *need_stats,
					   bool *need_type, const MaServerOptions *sopts);
static void clear_stats(StatsEntry *e);
static void store_stats(StatsEntry *e, const cJSON *answer, MaCall *call);
static void store_type(StatsEntry *e, const cJSON *answer);
static MaJobStats *copy_job_stats(const MaJobStats *js);
static bool const_value(Node *expr, bool job, MaPlanValue **value);
static bool const_values(Node *expr, bool is_list, bool job, List **values);
static double tag_rows(const MaJobStats *js, const char *tag);

/*
 * Does the planner ask the service?  The table's option, else the server's.
 */
bool
ma_use_remote_estimate(const MaServerOptions *sopts,
					   const MaTableOptions *topts)
{
	if (topts->use_remote_estimate >= 0)
		return topts->use_remote_estimate != 0;
	return sopts->use_remote_estimate;
}

/* A server or user mapping changed: every entry is stale. */
static void
estimate_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	StatsEntry *e;

	if (StatsHash == NULL)
		return;
	hash_seq_init(&scan, StatsHash);
	while ((e = (StatsEntry *) hash_seq_search(&scan)) != NULL)
		e->stats_valid = e->type_valid = false;
}

/*
 * The user mapping that GetUserMapping would find, or InvalidOid: none is
 * not an error at plan time (the scan raises it, if it runs).
 */
static Oid
user_mapping_oid(Oid userid, Oid serverid)
{
	HeapTuple	tp;
	Oid			umid;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		return InvalidOid;
	umid = ((Form_pg_user_mapping) GETSTRUCT(tp))->oid;
	ReleaseSysCache(tp);
	return umid;
}

/* Is a cached answer asked at "at" still good for ttl seconds? */
static bool
fresh(bool valid, TimestampTz at, int ttl)
{
	return valid && ttl > 0 &&
		!TimestampDifferenceExceeds(at, GetCurrentTimestamp(), ttl * 1000);
}

/*
 * What the plan-time calls say of each job of "jobs" (a List of int64 *),
 * in that order: MaJobStats copies palloc'd in the current memory context.
 * need_type also asks whether each job is a classification job.  Answers
 * come from the cache when fresh; the rest are asked together, with up to
 * requests_in_flight calls in flight.  NIL if the planner may not ask
 * (no user mapping, parallel mode).  A job whose call failed has
 * stats_ok false (or type_state 3).
 */
List *
ma_plan_jobs_stats(PlannerInfo *root, RelOptInfo *baserel, List *jobs,
				   bool need_type)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Oid			userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	ForeignServer *server = GetForeignServer(baserel->serverid);
	MaServerOptions sopts;
	Oid			umid;
	List	   *entries = NIL;
	List	   *result = NIL;
	bool	   *want_stats;
	bool	   *want_type;
	bool		any = false;
	ListCell   *lc;
	int			i = 0;

	if (IsInParallelMode())
		return NIL;
	umid = user_mapping_oid(userid, baserel->serverid);
	if (!OidIsValid(umid))
	{
		elog(DEBUG1, "modelarts_fdw: no remote estimate: no user mapping for server \"%s\"",
			 server->servername);
		return NIL;
	}
	ma_get_server_options(server, &sopts);

	if (StatsHash == NULL)
	{
		HASHCTL		ctl;

		EstimateCxt = AllocSetContextCreate(CacheMemoryContext,
											"modelarts_fdw estimates",
											ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(StatsKey);
		ctl.entrysize = sizeof(StatsEntry);
		ctl.hcxt = EstimateCxt;
		StatsHash = hash_create("modelarts_fdw estimates", 16, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, estimate_inval_callback,
									  (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, estimate_inval_callback,
									  (Datum) 0);
	}

	want_stats = palloc0(sizeof(bool) * Max(list_length(jobs), 1));
	want_type = palloc0(sizeof(bool) * Max(list_length(jobs), 1));
	foreach(lc, jobs)
	{
		StatsKey	key;
		StatsEntry *e;
		bool		found;

		memset(&key, 0, sizeof(key));
		key.umid = umid;
		key.job = *(int64 *) lfirst(lc);
		e = hash_search(StatsHash, &key, HASH_ENTER, &found);
		if (!found)
		{
			memset(&e->js, 0, sizeof(e->js));
			e->js.job_id = key.job;
			e->stats_valid = e->type_valid = false;
		}
		entries = lappend(entries, e);
		want_stats[i] = !fresh(e->stats_valid, e->stats_at,
							   sopts.estimate_cache_seconds);
		want_type[i] = need_type &&
			(e->js.type_state == 0 ||
			 !fresh(e->type_valid, e->type_at, sopts.estimate_cache_seconds));
		any = any || want_stats[i] || want_type[i];
		i++;
	}
	if (any)
		fetch_jobs(baserel->serverid, userid, entries, want_stats, want_type,
				   &sopts);

	foreach(lc, entries)
		result = lappend(result, copy_job_stats(&((StatsEntry *) lfirst(lc))->js));
	return result;
}

/*
 * Ask the calls wanted, all in flight at once, and store the answers in the
 * entries.  In a subtransaction: an error (no answer, an error status, a
 * credential refused...) marks the jobs not answered yet as failed and is
 * reported at DEBUG1; a cancel is raised.
 */
static void
fetch_jobs(Oid serverid, Oid userid, List *entries, bool *need_stats,
		   bool *need_type, const MaServerOptions *sopts)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "modelarts_fdw estimate calls",
											  ALLOCSET_DEFAULT_SIZES);
	int			n = list_length(entries);
	MaCall	  **stats_calls = palloc0(sizeof(MaCall *) * n);
	MaCall	  **type_calls = palloc0(sizeof(MaCall *) * n);
	volatile int done = 0;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		MaConnection *conn = ma_get_connection(GetUserMapping(userid, serverid));
		MaRequestCounters counters;
		MaClient   *client;
		ListCell   *lc;

		memset(&counters, 0, sizeof(counters));
		client = ma_client_create(conn, sopts->requests_in_flight, &counters,
								  cxt);
		i = 0;
		foreach(lc, entries)
		{
			StatsEntry *e = lfirst(lc);
			char		job[32];
			StringInfoData path;
			StringInfoData query;

			snprintf(job, sizeof(job), INT64_FORMAT, e->key.job);
			initStringInfo(&path);
			initStringInfo(&query);
			if (need_stats[i])
			{
				ma_append_job_request(&path, &query, sopts->project_id, job,
									  true);
				stats_calls[i] = ma_client_call(client, path.data, query.data,
												-1);
			}
			if (need_type[i])
			{
				resetStringInfo(&path);
				resetStringInfo(&query);
				ma_append_job_request(&path, &query, sopts->project_id, job,
									  false);
				type_calls[i] = ma_client_call(client, path.data, query.data,
											   e->key.job);
			}
			i++;
		}

		i = 0;
		foreach(lc, entries)
		{
			StatsEntry *e = lfirst(lc);

			if (stats_calls[i])
				store_stats(e, ma_client_wait(client, stats_calls[i]),
							stats_calls[i]);
			if (type_calls[i])
				store_type(e, ma_client_wait(client, type_calls[i]));
			done = ++i;
		}
		ma_client_destroy(client);

		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		ListCell   *lc;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);

		/* the jobs not answered: failed, for the cache's period */
		i = 0;
		foreach(lc, entries)
		{
			StatsEntry *e = lfirst(lc);

			if (i >= done)
			{
				if (need_stats[i])
				{
					clear_stats(e);
					e->stats_valid = true;
					e->stats_at = now;
				}
				if (need_type[i])
				{
					e->js.type_state = 3;
					e->type_valid = true;
					e->type_at = now;
				}
				ereport(DEBUG1,
						(errmsg_internal("modelarts_fdw: no remote estimate for labeling job " INT64_FORMAT ": %s",
										 e->key.job, edata->message)));
			}
			i++;
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextDelete(cxt);
}

/* Forget a job's counts (the arrays live in EstimateCxt). */
static void
clear_stats(StatsEntry *e)
{
	int			i;

	for (i = 0; i < e->js.ntags; i++)
		pfree(e->js.tags[i]);
	if (e->js.tags)
		pfree(e->js.tags);
	if (e->js.counts)
		pfree(e->js.counts);
	e->js.tags = NULL;
	e->js.counts = NULL;
	e->js.ntags = 0;
	e->js.stats_ok = false;
}

/* Keep a job's counts in the cache, if the answer has them all. */
static void
store_stats(StatsEntry *e, const cJSON *answer, MaCall *call)
{
	MaTagStats	stats;
	const char *why;
	int			i;

	ma_read_tag_stats(answer, call, &stats);
	clear_stats(e);
	e->stats_valid = true;
	e->stats_at = GetCurrentTimestamp();
	e->js.stats_ok = ma_tag_stats_complete(&stats, &why);
	if (!e->js.stats_ok)
	{
		elog(DEBUG1, "modelarts_fdw: no remote estimate for labeling job " INT64_FORMAT ": %s",
			 e->key.job, why);
		return;
	}
	e->js.ntags = stats.ntags;
	e->js.tags = MemoryContextAlloc(EstimateCxt, sizeof(char *) * Max(stats.ntags, 1));
	e->js.counts = MemoryContextAlloc(EstimateCxt, sizeof(int64) * Max(stats.ntags, 1));
	for (i = 0; i < stats.ntags; i++)
	{
		e->js.tags[i] = MemoryContextStrdup(EstimateCxt, stats.tags[i].tag);
		e->js.counts[i] = stats.tags[i].count;
	}
	e->js.tagged = (int64) stats.tagged;
	e->js.untagged = (int64) stats.untagged;
}

/*
 * Keep a job's type: project_type 0 is image classification (inferred, see
 * the contract); anything else, or nothing, is "not known to be".
 */
static void
store_type(StatsEntry *e, const cJSON *answer)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(answer, "project_type");

	e->js.type_state = (cJSON_IsNumber(type) && type->valuedouble == 0) ? 1 : 2;
	e->type_valid = true;
	e->type_at = GetCurrentTimestamp();
}

static MaJobStats *
copy_job_stats(const MaJobStats *js)
{
	MaJobStats *c = palloc(sizeof(MaJobStats));
	int			i;

	*c = *js;
	c->tags = palloc(sizeof(char *) * Max(js->ntags, 1));
	c->counts = palloc(sizeof(int64) * Max(js->ntags, 1));
	for (i = 0; i < js->ntags; i++)
	{
		c->tags[i] = pstrdup(js->tags[i]);
		c->counts[i] = js->counts[i];
	}
	return c;
}

/*
 * A plan value from a constant (NULL: no value, matches nothing), or false
 * if the expression is not a constant.
 */
static bool
const_value(Node *expr, bool job, MaPlanValue **value)
{
	Const	   *c;

	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Const))
		return false;
	c = (Const *) expr;
	if (c->constisnull)
	{
		*value = NULL;
		return true;
	}
	if (!job)
		*value = ma_plan_tag(TextDatumGetCString(c->constvalue));
	else if (c->consttype == INT2OID)
		*value = ma_plan_job(DatumGetInt16(c->constvalue));
	else if (c->consttype == INT4OID)
		*value = ma_plan_job(DatumGetInt32(c->constvalue));
	else if (c->consttype == INT8OID)
		*value = ma_plan_job(DatumGetInt64(c->constvalue));
	else
		return false;
	return true;
}

/*
 * The values of a pushed condition's expression when all are constants: one
 * value, ARRAY[...] of constants, or a constant array.  NULLs dropped.
 */
static bool
const_values(Node *expr, bool is_list, bool job, List **values)
{
	MaPlanValue *v;

	*values = NIL;
	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	if (expr == NULL)
		return false;
	if (!is_list)
	{
		if (!const_value(expr, job, &v))
			return false;
		if (v)
			*values = list_make1(v);
		return true;
	}
	if (IsA(expr, ArrayExpr))
	{
		ListCell   *lc;

		foreach(lc, ((ArrayExpr *) expr)->elements)
		{
			if (!const_value(lfirst(lc), job, &v))
				return false;
			if (v)
				*values = lappend(*values, v);
		}
		return true;
	}
	if (IsA(expr, Const))
	{
		Const	   *c = (Const *) expr;
		ArrayType  *arr;
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;
		Oid			elemtype;

		if (c->constisnull)
			return true;
		arr = DatumGetArrayTypeP(c->constvalue);
		elemtype = ARR_ELEMTYPE(arr);
		if (job && elemtype != INT2OID && elemtype != INT4OID &&
			elemtype != INT8OID)
			return false;
		get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
		deconstruct_array(arr, elemtype, typlen, typbyval, typalign,
						  &elems, &nulls, &n);
		for (i = 0; i < n; i++)
		{
			if (nulls[i])
				continue;
			if (!job)
				v = ma_plan_tag(TextDatumGetCString(elems[i]));
			else
				v = ma_plan_job(elemtype == INT2OID ? DatumGetInt16(elems[i]) :
								elemtype == INT4OID ? DatumGetInt32(elems[i]) :
								DatumGetInt64(elems[i]));
			*values = lappend(*values, v);
		}
		return true;
	}
	return false;
}

/*
 * The jobs a scan reads when all are constants at plan time, as the
 * request plan has them (duplicates and jobs that disagree with the table
 * option dropped): true, and *jobs a List of palloc'd int64 (NIL: no job at
 * all).  False when a job is not a constant.
 */
static bool
known_jobs(MaRelInfo *info, List **jobs)
{
	MaPlanInput in;
	MaRequestPlan *plan;
	ListCell   *lc;

	*jobs = NIL;
	memset(&in, 0, sizeof(in));
	in.id_mode = info->id_mode;
	in.has_table_id = info->table.has_annotation_id;
	in.table_id = info->table.data_annotation_id;
	in.tag_mode = MA_TAG_TAGGED;
	in.page_size = info->page_size;
	in.limit = -1;
	in.limit_known = in.offset_known = true;
	switch (info->id_mode)
	{
		case MA_ID_TABLE:
			break;
		case MA_ID_EQ:
		case MA_ID_ANY:
			if (!const_values((Node *) info->id_expr,
							  info->id_mode == MA_ID_ANY, true, &in.jobs))
				return false;
			break;
		default:
			return false;
	}
	plan = ma_plan_requests(&in);
	foreach(lc, plan->streams)
	{
		MaStream   *s = lfirst(lc);
		int64	   *id = palloc(sizeof(int64));

		*id = s->job->id;
		*jobs = lappend(*jobs, id);
	}
	return true;
}

/* See known_jobs; *known is its result. */
List *
ma_const_jobs(MaRelInfo *info, bool *known)
{
	List	   *jobs;

	*known = known_jobs(info, &jobs);
	return jobs;
}

/*
 * The tags of a tag_name = v or IN (...) condition when all are constants
 * (duplicates dropped, NULLs dropped): true and *tags a List of UTF-8
 * strings; false if any is not a constant.
 */
bool
ma_const_tags(MaRelInfo *info, List **tags)
{
	List	   *values;
	ListCell   *lc;

	*tags = NIL;
	if (!const_values((Node *) info->tag_expr, info->tag_mode == MA_TAG_ANY,
					  false, &values))
		return false;
	foreach(lc, values)
	{
		MaPlanValue *v = lfirst(lc);
		ListCell   *lc2;
		bool		seen = false;

		foreach(lc2, *tags)
		{
			if (strcmp(lfirst(lc2), v->tag) == 0)
				seen = true;
		}
		if (!seen)
			*tags = lappend(*tags, v->tag);
	}
	return true;
}

/*
 * Rows of a tag in a job: its count, capped at the tagged images (a
 * detection job's count may count boxes).  NULL tag: the average tag.
 */
static double
tag_rows(const MaJobStats *js, const char *tag)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < js->ntags; i++)
	{
		double		c = Min((double) js->counts[i], (double) js->tagged);

		if (tag == NULL)
			sum += c;
		else if (strcmp(js->tags[i], tag) == 0)
			return c;
	}
	if (tag == NULL)
		return js->ntags > 0 ? sum / js->ntags : 0;
	return 0;
}

/*
 * Estimate an images scan from its jobs' tags/stats, if the options allow
 * and the jobs are constants: info->remote gets the rows (before local
 * filters) and the pages the scan's request plan reads.  Otherwise, or if a
 * call fails, info->remote stays NULL: the default estimate.
 */
void
ma_estimate_rel(PlannerInfo *root, RelOptInfo *baserel, MaRelInfo *info,
				const MaServerOptions *sopts)
{
	MaRemoteEstimate *est;
	MaPlanInput in;
	MaRequestPlan *plan;
	List	   *jobs;
	List	   *stats;
	ListCell   *lc;

	if (!ma_use_remote_estimate(sopts, &info->table) ||
		info->table.resource != MA_RESOURCE_IMAGES ||
		!known_jobs(info, &jobs))
		return;

	stats = jobs != NIL ? ma_plan_jobs_stats(root, baserel, jobs, false) : NIL;
	if (jobs != NIL && stats == NIL)
		return;
	foreach(lc, stats)
	{
		if (!((MaJobStats *) lfirst(lc))->stats_ok)
			return;
	}

	/* the request plan of the scan: its streams, known tags or not */
	memset(&in, 0, sizeof(in));
	in.id_mode = MA_ID_ANY;
	foreach(lc, jobs)
		in.jobs = lappend(in.jobs, ma_plan_job(*(int64 *) lfirst(lc)));
	in.tag_mode = info->tag_mode;
	in.page_size = info->page_size;
	in.limit = -1;
	in.limit_known = in.offset_known = true;
	if (info->tag_mode == MA_TAG_EQ || info->tag_mode == MA_TAG_ANY)
	{
		if (!const_values((Node *) info->tag_expr,
						  info->tag_mode == MA_TAG_ANY, false, &in.tags))
			in.tags = list_make1(ma_plan_unknown("?", false));
	}
	plan = ma_plan_requests(&in);

	est = palloc0(sizeof(MaRemoteEstimate));
	est->jobs = jobs;
	foreach(lc, plan->streams)
	{
		MaStream   *s = lfirst(lc);
		const MaJobStats *js = NULL;
		ListCell   *lc2;
		double		images = 0;

		foreach(lc2, stats)
		{
			if (((MaJobStats *) lfirst(lc2))->job_id == s->job_id)
				js = lfirst(lc2);
		}
		if (js == NULL)
			return;
		switch (s->kind)
		{
			case MA_STREAM_TAGGED:
				images = (double) js->tagged;
				if (s->keep_tags == NIL)
					est->rows += tag_rows(js, NULL) * js->ntags;
				else
				{
					foreach(lc2, s->keep_tags)
						est->rows += tag_rows(js, lfirst(lc2));
				}
				break;
			case MA_STREAM_UNTAGGED:
				images = (double) js->untagged;
				est->rows += images;
				break;
			case MA_STREAM_TAG:
				images = tag_rows(js, s->tag->known ? s->tag->tag : NULL);
				est->rows += images;
				break;
		}
		/* pages until a short one */
		est->requests += floor(images / Max(s->per_page, 1)) + 1;
	}
	info->remote = est;
}
