/*-------------------------------------------------------------------------
 *
 * resource.c
 *		  The rows of the job-level resources: projects, versions and tags,
 *		  and the annotation-jobs listing that finds the jobs.
 *
 * These rows come from the per-job calls (the images call with per_page=1
 * for a job's own fields and its versions, tags/stats for its counts) and
 * from the annotation-jobs listing.  A scan reads a list of jobs, given (by
 * a condition, a parameter or the table option) or found through the
 * listing, and for each job sends only the calls that the columns it fills
 * need.  The calls of the next jobs go out while the current job's rows are
 * returned: up to requests_in_flight jobs are asked for ahead.  Each row is
 * a JSON object whose keys are the column names, so that ma_fill_row
 * converts them like any other object: the versions are the service's own
 * objects, the projects and tags rows are built here.
 *
 * The listing (MaJobLister, also used by IMPORT FOREIGN SCHEMA; a MaLister,
 * the paged-list reader v2's dataset list shares) reads
 * annotation-jobs page by page and ends on a short or empty page.  Its
 * "offset" has no documented base: the listing asks for offsets 1, 2, ...
 * until a short page or a page with no job not seen before, then offset 0
 * (a 400 there is the answer of a listing counting from 1, and skipped; a
 * page of new jobs, the first page of a listing counting from 0); a job
 * already listed is skipped, so none is lost or listed twice whatever the
 * base, and a preview that its first page satisfies asks one page.  A
 * server that answers past the end with the last page again, or ignores
 * the offset, ends the listing on a page with nothing new, so it is
 * bounded whatever the server does with offsets.  The base learnt at
 * offset 0 is kept with the connection: the next listings ask no offset 0
 * (from 1), or start there (from 0).
 *
 * Ownership: every cJSON here is malloc'd and hangs off the scan's run
 * context, whose reset callback frees it (rescan, end, error).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "commands/explain.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "modelarts_fdw.h"

/* The projects columns that the listing carries (see project_row). */
static const char *const listing_keys[] = {
	"project_name", "project_desc", "create_time", "data_path",
	"image_count", "tagged_count", "untagged_count", NULL
};

/* Where the listing's entry carries each of those columns. */
static const struct
{
	const char *column;
	const char *key;
	bool		in_progress;	/* in the entry's progress_detail */
}			listing_columns[] = {
	{"project_name", "name", false},
	{"project_desc", "description", false},
	{"create_time", "create_time", false},
	{"data_path", "path", false},
	{"image_count", "total_count", true},
	{"tagged_count", "has_tag_count", true},
	{"untagged_count", "not_tag_count", true},
};

/* The projects columns that tags/stats answers (see project_row). */
static const char *const stats_keys[] = {
	"image_count", "tagged_count", "untagged_count", NULL
};

/* One job of a scan, with its calls in flight or answered. */
typedef struct JobEntry
{
	int64		job_id;
	cJSON	   *list_entry;		/* its listing entry (list_all), malloc'd */
	MaCall	   *job_call;		/* images?per_page=1, or NULL */
	MaCall	   *stats_call;		/* tags/stats, or NULL */
} JobEntry;

typedef struct MaJobScan
{
	MaScan		base;
	MaResource	resource;
	MaConnection *conn;
	const char *project_id;
	int			page_size;		/* of the annotation-jobs listing */
	int			in_flight;
	List	   *keys;			/* the JSON keys of the columns filled */
	bool		need_job;		/* images?per_page=1 for each job */
	bool		need_stats;		/* tags/stats for each job */

	MemoryContext run_cxt;		/* reset per (re)start: all below */
	MemoryContextCallback run_cb;
	MaClient   *client;
	bool		list_all;		/* jobs from annotation-jobs */
	int64		list_min;		/* ... those with an ID in this range */
	int64		list_max;
	MaJobLister lister;
	List	   *job_ids;		/* else these, as palloc'd int64 */
	ListCell   *next_id;
	List	   *entries;		/* JobEntry, asked for, in order */

	/* the job whose rows are being returned */
	JobEntry   *cur;
	MemoryContext job_cxt;		/* its answers' trees */
	cJSON	   *job_json;		/* its images?per_page=1 answer */
	cJSON	   *stats_json;		/* its tags/stats answer */
	cJSON	   *rows;			/* synthetic row objects, or NULL */
	cJSON	   *cur_row;		/* next row object to return */
} MaJobScan;

static bool key_in(const char *key, const char *const *keys);
static void jobs_start(MaScan *scan, const MaPlanInput *in);
static bool jobs_next(MaScan *scan, MaRowSource *src);
static void jobs_explain(MaScan *scan, const MaPlanInput *in,
						 ExplainState *es);
static void jobs_end(MaScan *scan);
static MaRequestPlan *plan_jobs(const MaPlanInput *in);
static void free_run(void *arg);
static void free_current(MaJobScan *js);
static void ask_ahead(MaJobScan *js);
static void load_job(MaJobScan *js, JobEntry *entry);
static void versions_rows(MaJobScan *js, MaCall *call);
static void tags_rows(MaJobScan *js, MaCall *call);
static void project_row(MaJobScan *js, const cJSON *list_entry);
static cJSON *new_row(MaJobScan *js);
static void add_number(cJSON *obj, const char *key, double v);
static void copy_item(cJSON *obj, const char *key, const cJSON *item);

static const MaScanMethods job_methods = {
	jobs_start,
	jobs_next,
	jobs_explain,
	jobs_end
};

/*
 * Which per-job calls the columns need.  "keys" are the JSON keys of the
 * filled columns other than data_annotation_id.  For projects, a key the
 * listing carries costs nothing when the jobs come from the listing; the
 * counts come from tags/stats when the jobs are given; any other key is read
 * from the images call.  A projects scan of given jobs with no such column
 * still sends one call, to learn whether the job exists.
 */
void
ma_job_calls(MaResource resource, bool list_all, List *keys,
			 bool *need_job, bool *need_stats)
{
	ListCell   *lc;

	*need_job = false;
	*need_stats = false;
	switch (resource)
	{
		case MA_RESOURCE_VERSIONS:
			*need_job = true;
			break;
		case MA_RESOURCE_TAGS:
			*need_stats = true;
			break;
		case MA_RESOURCE_PROJECTS:
			foreach(lc, keys)
			{
				const char *key = lfirst(lc);

				if (list_all && key_in(key, listing_keys))
					continue;
				if (!list_all && key_in(key, stats_keys))
					*need_stats = true;
				else
					*need_job = true;
			}
			if (!list_all && !*need_job && !*need_stats)
				*need_job = true;
			break;
		default:
			elog(ERROR, "resource %d is not a v1 job-level resource", (int) resource);
			break;
	}
}

static bool
key_in(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
	{
		if (strcmp(key, *keys) == 0)
			return true;
	}
	return false;
}

/* The annotation-jobs listing: offsets of unknown base, malloc'd copies. */
static const MaListKind job_list_kind = {
	.array_key = "jobs",
	.id_key = "dls_prj_id",
	.string_ids = false,
	.bad_id = "a job of \"annotation-jobs\" has no \"dls_prj_id\" that is a job ID (a whole number from 0 to 2^53)",
	.append_request = ma_append_jobs_request,
	.probe_base = true,
	.list_name = "annotation-jobs",
	.items_name = "jobs",
	.total_key = "job_total_count",
	.copy_items = true
};

/*
 * Start reading a paged list of "kind" through "client".  The lister's
 * pages live in a child of the client's context, each reset when the next
 * one comes, all gone with the client.
 */
void
ma_lister_init(MaLister *lister, const MaListKind *kind, MaClient *client,
			   const char *project_id, int page_size)
{
	memset(lister, 0, sizeof(*lister));
	lister->kind = kind;
	lister->client = client;
	lister->project_id = project_id;
	lister->page_size = page_size;
	lister->page = -1;			/* the first asked for is offset 0 */
	lister->simple_end = true;
	if (kind->probe_base)
	{
		int			base = client->conn ? client->conn->listing_base : -1;

		/*
		 * Of a listing whose base is not known, offset 1 comes first and
		 * offset 0 last: a LIMIT met on the first page (a preview) costs
		 * one listing request whatever the base, and a full read asks both
		 * (see ma_lister_next).  A base seen already is kept.
		 */
		if (base != 0)
		{
			lister->page = 0;
			lister->simple_end = false;
			lister->zero_last = (base != 1);
		}
	}
	lister->page_cxt = AllocSetContextCreate(client->cxt,
											 "modelarts_fdw list page",
											 ALLOCSET_SMALL_SIZES);
}

/* Start reading the annotation-jobs listing through "client". */
void
ma_job_lister_init(MaJobLister *lister, MaClient *client,
				   const char *project_id, int page_size)
{
	ma_lister_init(lister, &job_list_kind, client, project_id, page_size);
}

/*
 * An item's ID, of the list's kind: in *job_id or *string_id (pointing into
 * the item).  false if it has none.
 */
static bool
list_item_id(const MaListKind *kind, const cJSON *item, int64 *job_id,
			 const char **string_id)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, kind->id_key);

	if (kind->string_ids)
	{
		if (!cJSON_IsString(id) || id->valuestring[0] == '\0')
			return false;
		*string_id = id->valuestring;
		return true;
	}
	/* a job ID: a whole number from 0 to 2^53 (ma_json_whole_number) */
	return ma_json_whole_number(id, job_id);
}

/* Was the item listed already? */
static bool
item_listed(MaLister *lister, int64 job_id, const char *string_id)
{
	int			i;

	for (i = 0; i < lister->nlisted; i++)
	{
		if (lister->kind->string_ids ?
			strcmp(lister->listed_names[i], string_id) == 0 :
			lister->listed_ids[i] == job_id)
			return true;
	}
	return false;
}

/* Remember an item as listed. */
static void
add_listed(MaLister *lister, int64 job_id, const char *string_id)
{
	if (lister->nlisted == lister->maxlisted)
	{
		int			old = lister->maxlisted;

		lister->maxlisted = Max(64, old * 2);
		if (lister->kind->string_ids)
			lister->listed_names = old ?
				repalloc(lister->listed_names,
						 sizeof(char *) * lister->maxlisted) :
				MemoryContextAlloc(lister->client->cxt,
								   sizeof(char *) * lister->maxlisted);
		else
			lister->listed_ids = old ?
				repalloc(lister->listed_ids,
						 sizeof(int64) * lister->maxlisted) :
				MemoryContextAlloc(lister->client->cxt,
								   sizeof(int64) * lister->maxlisted);
	}
	if (lister->kind->string_ids)
		lister->listed_names[lister->nlisted++] =
			MemoryContextStrdup(lister->client->cxt, string_id);
	else
		lister->listed_ids[lister->nlisted++] = job_id;
}

/*
 * The next item of the list, with its ID in *job_id or *string_id (as the
 * list's kind says); NULL at the end.  With kind->copy_items the item is a
 * malloc'd copy (the caller owns it and must cJSON_Delete it), else it
 * points into the current page (valid until the next call, as *string_id).
 */
cJSON *
ma_lister_next(MaLister *lister, int64 *job_id, const char **string_id)
{
	const MaListKind *kind = lister->kind;

	for (;;)
	{
		cJSON	   *item;

		if (lister->next_item == NULL)
		{
			const cJSON *list;
			const cJSON *total;
			const cJSON *elem;
			MaCall	   *call;
			int			got = 0;
			int			fresh = 0;
			StringInfoData path;
			StringInfoData query;

			if (lister->done && !lister->zero_last)
				return NULL;
			MemoryContextReset(lister->page_cxt);
			lister->json = NULL;
			CHECK_FOR_INTERRUPTS();

			/*
			 * Of unknown base, offset 0 last, once the pages from offset 1
			 * have ended: the first page if offsets count from 0; a 400 (or
			 * the first page again, or nothing) if they count from 1.
			 * Items seen twice are skipped, so none is lost or listed twice
			 * whatever the base.
			 */
			if (lister->done)
			{
				lister->zero_last = false;
				lister->probing = true;
			}
			initStringInfo(&path);
			initStringInfo(&query);
			kind->append_request(&path, &query, lister->project_id,
								 lister->probing ? 0 : ++lister->page,
								 lister->page_size);
			call = ma_client_call(lister->client, path.data, query.data, -1);
			if (ma_client_wait_unless(lister->client, call,
									  lister->probing ? 400 : 0) == NULL)
			{
				/* remembered: the next listings ask no offset 0 */
				if (lister->client->conn)
					lister->client->conn->listing_base = 1;
				ma_client_discard(lister->client, call);
				lister->probing = false;
				continue;
			}
			lister->json = ma_client_take_json(call, lister->page_cxt);

			list = cJSON_GetObjectItemCaseSensitive(lister->json,
													kind->array_key);
			if (!cJSON_IsArray(list))
				ma_malformed_answer(call, psprintf("no \"%s\" array",
												   kind->array_key));
			cJSON_ArrayForEach(elem, list)
			{
				int64		eid = 0;
				const char *sid = NULL;

				if (!cJSON_IsObject(elem))
					ma_malformed_answer(call,
										psprintf("an element of \"%s\" is not an object",
												 kind->array_key));
				if (!list_item_id(kind, elem, &eid, &sid))
					ma_malformed_answer(call, kind->bad_id);
				if (!item_listed(lister, eid, sid))
					fresh++;
				got++;
			}
			ma_client_discard(lister->client, call);

			/*
			 * A short page ends the list, and so does a page of items all
			 * listed already (a server that answers past the end with the
			 * last page again, or ignores the offset) -- of unknown base,
			 * from offset 2 on: offsets 0 and 1 are the same page if they
			 * count from 1 (and a short page from offset 1 on).  The total
			 * is only a hint: it may count the page alone.
			 */
			if (lister->probing)
			{
				/*
				 * Offset 0 answered: items not seen from offset 1 on mean
				 * offsets count from 0 (the next listings start there);
				 * none, that 0 is read as 1.  The list ends either way.
				 */
				if (lister->client->conn)
					lister->client->conn->listing_base = fresh > 0 ? 0 : 1;
				lister->probing = false;
			}
			else if (!lister->simple_end)
			{
				total = kind->total_key ?
					cJSON_GetObjectItemCaseSensitive(lister->json,
													 kind->total_key) : NULL;
				if (lister->page >= 2 && got > 0 && fresh == 0 &&
					cJSON_IsNumber(total) &&
					total->valuedouble > (double) lister->nlisted)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
							 errmsg("malformed answer from ModelArts: page " INT64_FORMAT " of \"%s\" repeats %s already listed",
									lister->page, kind->list_name,
									kind->items_name),
							 errdetail(INT64_FORMAT " %s were listed, of %.0f counted.",
									   (int64) lister->nlisted,
									   kind->items_name, total->valuedouble),
							 errhint("The service seems to ignore the offset parameter.")));
				if (got < lister->page_size || fresh == 0)
					lister->done = true;
			}
			else if (got < lister->page_size || fresh == 0)
				lister->done = true;
			lister->next_item = list->child;
			continue;
		}

		item = lister->next_item;
		lister->next_item = item->next;
		/* checked with its page */
		(void) list_item_id(kind, item, job_id, string_id);
		/* an item listed on an earlier page (a page read twice) once only */
		if (item_listed(lister, *job_id, *string_id))
			continue;
		add_listed(lister, *job_id, *string_id);
		if (!kind->copy_items)
			return item;
		/* a malloc'd copy: the page's tree goes with the next page */
		{
			cJSON	   *copy = cJSON_Duplicate(item, true);

			if (copy == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory")));
			return copy;
		}
	}
}

/*
 * The next job of the listing, a malloc'd copy (the caller owns it and must
 * cJSON_Delete it), with its job ID in *job_id; NULL at the end.
 */
cJSON *
ma_job_lister_next(MaJobLister *lister, int64 *job_id)
{
	const char *unused = NULL;

	return ma_lister_next(lister, job_id, &unused);
}

/*
 * A scan of projects, versions or tags over conn (NULL for a plain
 * EXPLAIN); "keys" are the JSON keys of the columns it fills.
 */
MaScan *
ma_job_scan_create(MaConnection *conn, MaResource resource,
				   const char *project_id, int page_size, int in_flight,
				   List *keys, MemoryContext cxt)
{
	MaJobScan  *js = MemoryContextAllocZero(cxt, sizeof(MaJobScan));

	js->base.methods = &job_methods;
	js->resource = resource;
	js->conn = conn;
	js->project_id = project_id;
	js->page_size = page_size;
	js->in_flight = Max(1, in_flight);
	js->keys = keys;
	js->run_cxt = AllocSetContextCreate(cxt, "modelarts_fdw job scan",
										ALLOCSET_DEFAULT_SIZES);
	js->run_cb.func = free_run;
	js->run_cb.arg = js;
	MemoryContextRegisterResetCallback(js->run_cxt, &js->run_cb);
	return &js->base;
}

/* Free every cJSON the scan holds; its calls go with the client. */
static void
free_run(void *arg)
{
	MaJobScan  *js = (MaJobScan *) arg;
	ListCell   *lc;

	js->job_cxt = NULL;			/* a child of run_cxt: gone already */
	free_current(js);
	foreach(lc, js->entries)
	{
		JobEntry   *e = lfirst(lc);

		if (e->list_entry)
			cJSON_Delete(e->list_entry);
		e->list_entry = NULL;
	}
	js->entries = NIL;
	/* the lister's pages and the client went with run_cxt's children */
	memset(&js->lister, 0, sizeof(js->lister));
	js->client = NULL;
}

static void
free_current(MaJobScan *js)
{
	/* the answers' trees live in job_cxt */
	if (js->job_cxt)
		MemoryContextReset(js->job_cxt);
	if (js->rows)
		cJSON_Delete(js->rows);
	if (js->cur && js->cur->list_entry)
		cJSON_Delete(js->cur->list_entry);
	if (js->cur)
		js->cur->list_entry = NULL;
	js->job_json = js->stats_json = js->rows = js->cur_row = NULL;
	js->cur = NULL;
}

/*
 * (Re)start: the jobs given (evaluated ids, the table option; a
 * disagreement leaves none) or, with neither, every job of the listing.
 */
static void
jobs_start(MaScan *scan, const MaPlanInput *in)
{
	MaJobScan  *js = (MaJobScan *) scan;
	MemoryContext oldcxt;
	MaRequestPlan *plan;
	ListCell   *lc;

	MemoryContextReset(js->run_cxt);
	MemoryContextRegisterResetCallback(js->run_cxt, &js->run_cb);
	oldcxt = MemoryContextSwitchTo(js->run_cxt);
	js->client = ma_client_create(js->conn, js->in_flight, &scan->counters,
								  js->run_cxt);
	js->job_cxt = AllocSetContextCreate(js->run_cxt, "modelarts_fdw job",
										ALLOCSET_DEFAULT_SIZES);
	js->entries = NIL;
	js->job_ids = NIL;
	js->next_id = NULL;
	plan = plan_jobs(in);
	js->list_all = plan->listed;
	js->list_min = plan->list_min;
	js->list_max = plan->list_max;
	ma_job_calls(js->resource, js->list_all, js->keys, &js->need_job,
				 &js->need_stats);
	if (js->list_all)
		ma_job_lister_init(&js->lister, js->client, js->project_id,
						   js->page_size);
	else
	{
		foreach(lc, plan->streams)
		{
			int64	   *id = palloc(sizeof(int64));

			*id = ((MaStream *) lfirst(lc))->job->id;
			js->job_ids = lappend(js->job_ids, id);
		}
		js->next_id = list_head(js->job_ids);
	}
	MemoryContextSwitchTo(oldcxt);
}

static void
jobs_end(MaScan *scan)
{
	MaJobScan  *js = (MaJobScan *) scan;

	MemoryContextReset(js->run_cxt);
}

/*
 * The next row: the next object of the current job, or the first of the
 * next job that has any.  Returns false at the end.  The row points into
 * the scan's cJSON trees, valid until the next call.
 */
static bool
jobs_next(MaScan *scan, MaRowSource *src)
{
	MaJobScan  *js = (MaJobScan *) scan;

	if (js->client == NULL)
		return false;
	for (;;)
	{
		JobEntry   *entry;

		if (js->cur_row != NULL)
		{
			src->job_id = js->cur->job_id;
			src->object = js->cur_row;
			src->tag = NULL;
			src->tags = NULL;
			src->ntags = 0;
			js->cur_row = js->cur_row->next;
			return true;
		}
		CHECK_FOR_INTERRUPTS();
		free_current(js);
		ask_ahead(js);
		if (js->entries == NIL)
			return false;
		entry = linitial(js->entries);
		js->entries = list_delete_first(js->entries);
		load_job(js, entry);
	}
}

/*
 * Put the calls of the next jobs in flight, up to requests_in_flight jobs
 * ahead.  Jobs of the listing come a page at a time: a new listing page is
 * only waited for when no job is waiting already.
 */
static void
ask_ahead(MaJobScan *js)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(js->run_cxt);

	while (list_length(js->entries) < js->in_flight)
	{
		JobEntry   *e;
		int64		job_id;
		cJSON	   *list_entry = NULL;
		char		job[32];
		StringInfoData path;
		StringInfoData query;

		if (js->list_all)
		{
			if (js->lister.next_item == NULL && js->entries != NIL)
				break;
			list_entry = ma_job_lister_next(&js->lister, &job_id);
			if (list_entry == NULL)
				break;
			if (job_id < js->list_min || job_id > js->list_max)
			{
				cJSON_Delete(list_entry);
				continue;
			}
		}
		else
		{
			if (js->next_id == NULL)
				break;
			job_id = *(int64 *) lfirst(js->next_id);
			js->next_id = lnext(js->job_ids, js->next_id);
		}

		e = palloc0(sizeof(JobEntry));
		e->job_id = job_id;
		e->list_entry = list_entry;
		js->entries = lappend(js->entries, e);

		snprintf(job, sizeof(job), INT64_FORMAT, job_id);
		initStringInfo(&path);
		initStringInfo(&query);
		if (js->need_job)
		{
			ma_append_job_request(&path, &query, js->project_id, job, false);
			e->job_call = ma_client_call(js->client, path.data, query.data,
										 job_id);
		}
		if (js->need_stats)
		{
			resetStringInfo(&path);
			resetStringInfo(&query);
			ma_append_job_request(&path, &query, js->project_id, job, true);
			e->stats_call = ma_client_call(js->client, path.data, query.data,
										   -1);
		}
		pfree(path.data);
		pfree(query.data);
	}
	MemoryContextSwitchTo(oldcxt);
}

/* Wait for a job's calls and make its rows the current ones. */
static void
load_job(MaJobScan *js, JobEntry *entry)
{
	long		tolerate = js->base.missing_job_empty ? MA_TOLERATE_MISSING_JOB : 0;
	bool		missing = false;

	js->cur = entry;
	if (entry->job_call)
	{
		if (ma_client_wait_unless(js->client, entry->job_call, tolerate) == NULL)
			missing = true;
		else
			js->job_json = ma_client_take_json(entry->job_call, js->job_cxt);
	}
	if (entry->stats_call && !missing)
	{
		if (ma_client_wait_unless(js->client, entry->stats_call, tolerate) == NULL)
			missing = true;
		else
			js->stats_json = ma_client_take_json(entry->stats_call, js->job_cxt);
	}
	if (missing)
	{
		/* missing_job 'empty': no rows */
		ma_missing_job(&js->base, entry->job_id);
		if (entry->job_call)
			ma_client_discard(js->client, entry->job_call);
		if (entry->stats_call)
			ma_client_discard(js->client, entry->stats_call);
		entry->job_call = entry->stats_call = NULL;
		return;
	}
	js->base.jobs_read++;

	switch (js->resource)
	{
		case MA_RESOURCE_VERSIONS:
			versions_rows(js, entry->job_call);
			break;
		case MA_RESOURCE_TAGS:
			tags_rows(js, entry->stats_call);
			break;
		case MA_RESOURCE_PROJECTS:
			project_row(js, entry->list_entry);
			break;
		default:
			elog(ERROR, "resource %d is not a v1 job-level resource",
				 (int) js->resource);
			break;
	}
	if (entry->job_call)
		ma_client_discard(js->client, entry->job_call);
	if (entry->stats_call)
		ma_client_discard(js->client, entry->stats_call);
	entry->job_call = entry->stats_call = NULL;
}

/* The versions of the job: the service's own objects. */
static void
versions_rows(MaJobScan *js, MaCall *call)
{
	const cJSON *versions = cJSON_GetObjectItemCaseSensitive(js->job_json,
															 "versions");

	/* a job without versions (key absent or null) has no rows */
	if (versions == NULL || cJSON_IsNull(versions))
		return;
	if (!cJSON_IsArray(versions))
		ma_malformed_answer(call, "\"versions\" is not an array");
	js->cur_row = versions->child;
}

/* One row per tag of tags/stats' tag_count (see stats.c). */
static void
tags_rows(MaJobScan *js, MaCall *call)
{
	MaTagStats	stats;
	int			i;

	ma_read_tag_stats(js->stats_json, call, &stats);
	if (stats.ntags == 0)
		return;
	js->rows = cJSON_CreateArray();
	if (js->rows == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	for (i = 0; i < stats.ntags; i++)
	{
		cJSON	   *row = new_row(js);

		copy_item(row, "tag_name", stats.tags[i].tag_item);
		copy_item(row, "image_count", stats.tags[i].count_item);
	}
	js->cur_row = js->rows->child;
}

/*
 * The job's one projects row: the listing's entry (if any), the job's own
 * fields from the images call, the counts from tags/stats.
 */
static void
project_row(MaJobScan *js, const cJSON *list_entry)
{
	cJSON	   *row;
	const cJSON *item;

	js->rows = cJSON_CreateArray();
	if (js->rows == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	row = new_row(js);

	if (list_entry != NULL)
	{
		const cJSON *progress =
			cJSON_GetObjectItemCaseSensitive(list_entry, "progress_detail");
		int			i;

		for (i = 0; i < lengthof(listing_columns); i++)
			copy_item(row, listing_columns[i].column,
					  cJSON_GetObjectItemCaseSensitive(listing_columns[i].in_progress ?
													   progress : list_entry,
													   listing_columns[i].key));
	}

	/*
	 * The job's own fields: every top-level key of the images answer but
	 * the page of images and its filtered count.
	 */
	if (js->job_json != NULL)
	{
		cJSON_ArrayForEach(item, js->job_json)
		{
			if (item->string == NULL ||
				strcmp(item->string, "images") == 0 ||
				strcmp(item->string, "image_count") == 0 ||
				strcmp(item->string, "is_success") == 0)
				continue;
			copy_item(row, item->string, item);
		}
	}

	/* the counts: tagged and untagged images, and their sum */
	if (js->stats_json != NULL)
	{
		MaTagStats	stats;

		ma_read_tag_stats(js->stats_json, NULL, &stats);
		if (stats.has_tagged)
			add_number(row, "tagged_count", stats.tagged);
		if (stats.has_untagged)
			add_number(row, "untagged_count", stats.untagged);
		if (stats.has_tagged && stats.has_untagged)
			add_number(row, "image_count", stats.tagged + stats.untagged);
	}
	js->cur_row = js->rows->child;
}

/*
 * The jobs given to a scan, as the request plan of images has them (the
 * same rules: duplicates, values no job has and jobs that disagree with the
 * table option dropped; with none given, the listing, in a range maybe), so
 * that executor and EXPLAIN agree: one stream per job.
 */
static MaRequestPlan *
plan_jobs(const MaPlanInput *in)
{
	MaPlanInput one = *in;

	one.tag_mode = MA_TAG_TAGGED;
	one.tags = NIL;
	one.has_limit = false;
	return ma_plan_requests(&one);
}

/*
 * The jobs (v2: datasets) given to a scan, by the same rules (plan_jobs),
 * as MaPlanValues: what v2.c reads its given datasets from.
 */
List *
ma_plan_jobs(const MaPlanInput *in)
{
	List	   *jobs = NIL;
	ListCell   *lc;

	foreach(lc, plan_jobs(in)->streams)
		jobs = lappend(jobs, (MaPlanValue *) ((MaStream *) lfirst(lc))->job);
	return jobs;
}

/*
 * A job that the service says does not exist, under missing_job 'empty':
 * a WARNING naming it, once per query (the scan lives as long as the
 * query, rescans included).
 */
void
ma_missing_job(MaScan *scan, int64 job_id)
{
	ListCell   *lc;
	MemoryContext oldcxt;
	int64	   *id;

	foreach(lc, scan->missing_warned)
	{
		if (*(int64 *) lfirst(lc) == job_id)
			return;
	}
	oldcxt = MemoryContextSwitchTo(GetMemoryChunkContext(scan));
	id = palloc(sizeof(int64));
	*id = job_id;
	scan->missing_warned = lappend(scan->missing_warned, id);
	MemoryContextSwitchTo(oldcxt);
	ereport(WARNING,
			(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
			 errmsg("labeling job \"" INT64_FORMAT "\" does not exist", job_id),
			 errdetail("The foreign table's option missing_job is 'empty': the job gives no rows.")));
}

/*
 * EXPLAIN VERBOSE: the listing (when no job is given) and the calls sent
 * for each job.
 */
static void
jobs_explain(MaScan *scan, const MaPlanInput *in, ExplainState *es)
{
	MaJobScan  *js = (MaJobScan *) scan;
	List	   *requests = NIL;
	List	   *jobs = NIL;
	ListCell   *lc;
	MaRequestPlan *plan = plan_jobs(in);
	bool		need_job,
				need_stats;

	ma_job_calls(js->resource, plan->listed, js->keys, &need_job, &need_stats);
	if (plan->listed)
	{
		StringInfoData path;
		StringInfoData query;

		initStringInfo(&path);
		initStringInfo(&query);
		ma_append_jobs_request(&path, &query, js->project_id, 0, js->page_size);
		requests = lappend(requests, psprintf("GET %s?%s", path.data, query.data));
	}
	foreach(lc, plan->streams)
		jobs = lappend(jobs, ((MaStream *) lfirst(lc))->job->text);

	foreach(lc, jobs)
	{
		StringInfoData path;
		StringInfoData query;
		int			i;

		for (i = 0; i < 2; i++)
		{
			bool		stats = (i == 1);

			if (!(stats ? need_stats : need_job))
				continue;
			initStringInfo(&path);
			initStringInfo(&query);
			ma_append_job_request(&path, &query, js->project_id,
								  (char *) lfirst(lc), stats);
			requests = lappend(requests,
							   query.len > 0 ?
							   psprintf("GET %s?%s", path.data, query.data) :
							   psprintf("GET %s", path.data));
		}
	}
	ma_explain_requests(requests,
						plan->listed ? "until a short page" : NULL, es);
}

/* A new empty object appended to js->rows. */
static cJSON *
new_row(MaJobScan *js)
{
	cJSON	   *row = cJSON_CreateObject();

	if (row == NULL || !cJSON_AddItemToArray(js->rows, row))
	{
		if (row)
			cJSON_Delete(row);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	return row;
}

/* Set obj[key] to a number, replacing any earlier value. */
static void
add_number(cJSON *obj, const char *key, double v)
{
	cJSON	   *item = cJSON_CreateNumber(v);

	/* the new item goes in as it is: no copy to lose if adding fails */
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (item == NULL || !cJSON_AddItemToObject(obj, key, item))
	{
		if (item)
			cJSON_Delete(item);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
}

/*
 * Set obj[key] to a copy of item, replacing any earlier value; an absent
 * item leaves the key absent (the column reads NULL).
 */
static void
copy_item(cJSON *obj, const char *key, const cJSON *item)
{
	cJSON	   *copy;

	if (item == NULL)
		return;
	copy = cJSON_Duplicate(item, true);
	if (copy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (!cJSON_AddItemToObject(obj, key, copy))
	{
		cJSON_Delete(copy);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
}
