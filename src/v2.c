/*-------------------------------------------------------------------------
 *
 * v2.c
 *		  The v2 dataset API: samples, datasets, dataset_versions and
 *		  dataset_labels.
 *
 * A dataset is v1's labeling job under a string ID, its samples are the
 * job's images: the samples of given datasets are read by the images scan
 * (scan.c) under the same request plan (request.c), with v2's URLs
 * (ma_append_samples_request: sample_state=__ALL__ for "every labeled
 * sample", __NONE__ for "unlabeled", label_name=, limit and offset, a page
 * index from 0) and v2's keys (ma_samples_shape).  So the row model, the
 * pushdown, the pages in flight and every check of a page are v1's.
 *
 * What is v2's own is here: the dataset list (/v2/{project}/datasets, whose
 * offset is a page index from 0, de-duplicated by dataset_id and ended by a
 * short page or a page of datasets listed already), the scan that reads the
 * samples of every listed dataset (an images scan restarted per dataset),
 * and the rows of the dataset-level tables: the list's entries (datasets),
 * a dataset's versions, and its label statistics (dataset_labels: one row
 * per label, "count" the label's instances and "sample_count" the samples
 * carrying it, as v2 keeps them apart).
 *
 * Ownership: every answer's tree hangs off the scan's run context (through
 * the client or page contexts), reset on rescan, end and error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "commands/explain.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "modelarts_fdw.h"

/* The keys of a v2 samples answer (v1's images: ma_images_shape) */
const MaAnswerShape ma_samples_shape = {
	"samples", "sample_count", "sample_id", "labels", "name", "metadata",
	"@modelarts:size", "sample"
};

/* One dataset of a dataset-level scan, its call in flight or answered. */
typedef struct DatasetEntry
{
	char	   *dataset_id;		/* UTF-8, as the service has it */
	const cJSON *list_entry;	/* datasets: the list's entry, in the
								 * lister's current page */
	MaCall	   *call;			/* versions or stats, or NULL */
} DatasetEntry;

typedef struct MaV2Scan
{
	MaScan		base;
	MaResource	resource;
	MaConnection *conn;
	const char *project_id;
	int			page_size;		/* of the dataset list */
	int			in_flight;
	bool		list_all;		/* datasets from the list */

	MemoryContext run_cxt;		/* reset per (re)start: all below */
	MaClient   *client;
	MaRequestCounters own;		/* the list's and the per-dataset calls */
	MaDatasetLister lister;
	List	   *given;			/* else these dataset IDs (C strings) */
	ListCell   *next_given;
	const char *table_dataset;	/* the table option (datasets: a filter) */
	List	   *entries;		/* DatasetEntry, asked for, in order */

	/* samples of listed datasets: an images scan per dataset */
	MaScan	   *inner;
	MaPlanInput in;
	bool		inner_running;

	/* the dataset whose rows are being returned */
	DatasetEntry *cur;
	MemoryContext cur_cxt;		/* its answer's tree */
	cJSON	   *cur_row;
} MaV2Scan;

static void v2_start(MaScan *scan, const MaPlanInput *in);
static bool v2_next(MaScan *scan, MaRowSource *src);
static void v2_explain(MaScan *scan, const MaPlanInput *in, ExplainState *es);
static void v2_end(MaScan *scan);
static void append_datasets_request(StringInfo path, StringInfo query,
									const char *project_id, int64 page,
									int page_size);
static void append_dataset_request(StringInfo path, StringInfo query,
								   const char *project_id,
								   MaResource resource, const char *dataset);
static void sync_counters(MaV2Scan *vs);
static MaPlanValue *plan_dataset(const char *id);
static void ask_ahead(MaV2Scan *vs);

static const MaScanMethods v2_methods = {
	v2_start,
	v2_next,
	v2_explain,
	v2_end
};

/* The key of the column that names a table's job or dataset. */
const char *
ma_id_key(MaResource resource)
{
	return MA_RESOURCE_IS_V2(resource) ? "dataset_id" : "data_annotation_id";
}

/*
 * Append the path and query of one page of a stream's samples call:
 * "/v2/{project}/datasets/{dataset}/data-annotations/samples" to path, and
 * "(sample_state=...|label_name=...)&[version_id=...&]limit=N&offset=K" to
 * query, K the page index from 0 (the plan's pages count from 1, as v1's).
 * The dataset and label are the plan values' texts: encoded, or "$n"
 * placeholders for EXPLAIN.
 */
void
ma_append_samples_request(StringInfo path, StringInfo query,
						  const char *project_id, const MaStream *stream,
						  int per_page, int64 page)
{
	appendStringInfoString(path, "/v2/");
	ma_append_encoded(path, project_id);
	appendStringInfo(path, "/datasets/%s/data-annotations/samples",
					 stream->job->text);

	switch (stream->kind)
	{
		case MA_STREAM_TAGGED:
			appendStringInfoString(query, "sample_state=__ALL__&");
			break;
		case MA_STREAM_UNTAGGED:
			appendStringInfoString(query, "sample_state=__NONE__&");
			break;
		case MA_STREAM_TAG:
			appendStringInfo(query, "label_name=%s&", stream->tag->text);
			break;
	}
	if (stream->version)
		appendStringInfo(query, "version_id=%s&", stream->version);
	if (per_page > 0)
		appendStringInfo(query, "limit=%d&offset=" INT64_FORMAT, per_page,
						 page - 1);
	else
		appendStringInfoString(query, "limit=?&offset=?");
}

/* One page of the dataset list: offset is a page index from 0. */
static void
append_datasets_request(StringInfo path, StringInfo query,
						const char *project_id, int64 page, int page_size)
{
	ma_append_list_request(path, query, "v2", project_id, "datasets", page,
						   page_size);
}

/*
 * The call of a dataset-level table for one dataset ("dataset" encoded, or
 * a placeholder for EXPLAIN): its versions, or its statistics.
 */
static void
append_dataset_request(StringInfo path, StringInfo query,
					   const char *project_id, MaResource resource,
					   const char *dataset)
{
	appendStringInfoString(path, "/v2/");
	ma_append_encoded(path, project_id);
	appendStringInfo(path, "/datasets/%s/%s", dataset,
					 resource == MA_RESOURCE_DATASET_VERSIONS ? "versions" :
					 "data-annotations/stats");
}

/*
 * A scan of a v2 table over conn (NULL for a plain EXPLAIN).  The samples
 * of given datasets are an images scan; the rest is a MaV2Scan.
 */
MaScan *
ma_v2_scan_create(MaConnection *conn, MaResource resource,
				  const char *project_id, int page_size, int in_flight,
				  bool list_all, MemoryContext cxt)
{
	MaV2Scan   *vs;

	if (resource == MA_RESOURCE_SAMPLES && !list_all)
		return ma_images_scan_create(conn, project_id, in_flight, cxt);

	vs = MemoryContextAllocZero(cxt, sizeof(MaV2Scan));
	vs->base.methods = &v2_methods;
	vs->resource = resource;
	vs->conn = conn;
	vs->project_id = project_id;
	vs->page_size = page_size;
	vs->in_flight = Max(1, in_flight);
	vs->list_all = list_all || resource == MA_RESOURCE_DATASETS;
	vs->run_cxt = AllocSetContextCreate(cxt, "modelarts_fdw v2 scan",
										ALLOCSET_DEFAULT_SIZES);
	if (resource == MA_RESOURCE_SAMPLES)
		vs->inner = ma_images_scan_create(conn, project_id, in_flight, cxt);
	return &vs->base;
}

static void
v2_start(MaScan *scan, const MaPlanInput *in)
{
	MaV2Scan   *vs = (MaV2Scan *) scan;
	MemoryContext oldcxt;
	ListCell   *lc;

	if (vs->inner)
		vs->inner->methods->end(vs->inner);
	vs->inner_running = false;
	MemoryContextReset(vs->run_cxt);
	vs->client = NULL;
	vs->entries = NIL;
	vs->given = NIL;
	vs->cur = NULL;
	vs->cur_row = NULL;

	oldcxt = MemoryContextSwitchTo(vs->run_cxt);
	vs->in = *in;
	/* in UTF-8, as the list has the IDs */
	vs->table_dataset = in->table_dataset ?
		pg_server_to_any(in->table_dataset, (int) strlen(in->table_dataset),
						 PG_UTF8) : NULL;
	/* EXPLAIN ANALYZE's log of the requests sent: the scan's, for all */
	vs->own.sent = vs->base.counters.sent;
	if (vs->inner)
		vs->inner->counters.sent = vs->base.counters.sent;
	vs->client = ma_client_create(vs->conn, vs->in_flight, &vs->own,
								  vs->run_cxt);
	vs->cur_cxt = AllocSetContextCreate(vs->run_cxt, "modelarts_fdw dataset",
										ALLOCSET_DEFAULT_SIZES);
	if (vs->list_all)
		ma_dataset_lister_init(&vs->lister, vs->client, vs->project_id,
							   vs->page_size);
	else
	{
		foreach(lc, ma_plan_jobs(in))
			vs->given = lappend(vs->given,
								pstrdup(((MaPlanValue *) lfirst(lc))->tag));
	}
	vs->next_given = list_head(vs->given);
	MemoryContextSwitchTo(oldcxt);
	sync_counters(vs);
}

static void
v2_end(MaScan *scan)
{
	MaV2Scan   *vs = (MaV2Scan *) scan;

	if (vs->inner)
		vs->inner->methods->end(vs->inner);
	vs->inner_running = false;
	sync_counters(vs);
	MemoryContextReset(vs->run_cxt);
	vs->client = NULL;
	vs->entries = NIL;
	vs->cur = NULL;
	vs->cur_row = NULL;
}

/*
 * A known plan value for a dataset ID the service listed: in UTF-8 already,
 * unlike a value from SQL (ma_plan_tag converts those).
 */
static MaPlanValue *
plan_dataset(const char *id)
{
	MaPlanValue *v = palloc0(sizeof(MaPlanValue));
	StringInfoData b;

	v->known = true;
	v->tag = pstrdup(id);
	initStringInfo(&b);
	ma_append_encoded(&b, id);
	v->text = b.data;
	return v;
}

/*
 * The counters EXPLAIN ANALYZE shows: the list's and the per-dataset calls,
 * and the inner images scan's.
 */
static void
sync_counters(MaV2Scan *vs)
{
	vs->base.counters = vs->own;
	if (vs->inner)
	{
		vs->base.counters.requests += vs->inner->counters.requests;
		vs->base.counters.retries += vs->inner->counters.retries;
		vs->base.counters.bytes += vs->inner->counters.bytes;
		vs->base.images_received = vs->inner->images_received;
		vs->base.rows_dropped = vs->inner->rows_dropped;
	}
}

/*
 * The next row: for samples, the next of the current dataset's images scan,
 * or the first of the next listed dataset's; for the dataset-level tables,
 * the next object of the current dataset's answer.
 */
static bool
v2_next(MaScan *scan, MaRowSource *src)
{
	MaV2Scan   *vs = (MaV2Scan *) scan;

	if (vs->client == NULL)
		return false;
	for (;;)
	{
		DatasetEntry *entry;
		const cJSON *rows;
		const char *key;

		CHECK_FOR_INTERRUPTS();
		if (vs->inner)
		{
			const char *id;
			MaPlanInput one;
			MemoryContext oldcxt;
			cJSON	   *item;

			if (vs->inner_running && vs->inner->methods->next(vs->inner, src))
			{
				sync_counters(vs);
				return true;
			}
			vs->inner_running = false;
			sync_counters(vs);
			item = ma_dataset_lister_next(&vs->lister, &id);
			if (item == NULL)
				return false;
			/* the same plan as for a given dataset: "= that dataset" */
			oldcxt = MemoryContextSwitchTo(vs->cur_cxt);
			MemoryContextReset(vs->cur_cxt);
			one = vs->in;
			one.id_mode = MA_ID_EQ;
			one.jobs = list_make1(plan_dataset(id));
			MemoryContextSwitchTo(oldcxt);
			vs->inner->methods->start(vs->inner, &one);
			vs->inner_running = true;
			vs->base.jobs_read++;
			continue;
		}

		if (vs->cur_row != NULL)
		{
			src->dataset_id = vs->cur->dataset_id;
			src->object = vs->cur_row;
			vs->cur_row = vs->cur_row->next;
			return true;
		}

		/* the next dataset, its call answered */
		MemoryContextReset(vs->cur_cxt);
		vs->cur = NULL;
		ask_ahead(vs);
		sync_counters(vs);
		if (vs->entries == NIL)
			return false;
		entry = linitial(vs->entries);
		vs->entries = list_delete_first(vs->entries);
		vs->cur = entry;
		vs->base.jobs_read++;
		if (entry->call == NULL)
		{
			/*
			 * datasets: the list's entry is the row; its page stays until
			 * the entries taken from it are all returned (ask_ahead)
			 */
			src->dataset_id = entry->dataset_id;
			src->object = entry->list_entry;
			return true;
		}
		(void) ma_client_wait(vs->client, entry->call);
		sync_counters(vs);
		rows = ma_client_take_json(entry->call, vs->cur_cxt);
		key = vs->resource == MA_RESOURCE_DATASET_VERSIONS ? "versions" :
			"label_stats";
		rows = cJSON_GetObjectItemCaseSensitive(rows, key);
		if (rows != NULL && !cJSON_IsNull(rows) && !cJSON_IsArray(rows))
			ma_malformed_answer(entry->call,
								psprintf("\"%s\" is not an array", key));
		ma_client_discard(vs->client, entry->call);
		entry->call = NULL;
		vs->cur_row = rows ? rows->child : NULL;
	}
}

/*
 * Put the calls of the next datasets in flight, up to requests_in_flight
 * datasets ahead; datasets of the list come a page at a time (a new page is
 * only waited for when no dataset is waiting already).  The datasets table
 * sends no call: its rows are the list's entries, filtered by the table
 * option dataset_id if there is one.
 */
static void
ask_ahead(MaV2Scan *vs)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(vs->run_cxt);

	while (list_length(vs->entries) < vs->in_flight)
	{
		DatasetEntry *e;
		const char *id;
		cJSON	   *item = NULL;

		if (vs->list_all)
		{
			if (vs->lister.next_item == NULL && vs->entries != NIL)
				break;
			item = ma_dataset_lister_next(&vs->lister, &id);
			if (item == NULL)
				break;
			if (vs->resource == MA_RESOURCE_DATASETS && vs->table_dataset &&
				strcmp(id, vs->table_dataset) != 0)
				continue;
		}
		else
		{
			if (vs->next_given == NULL)
				break;
			id = lfirst(vs->next_given);
			vs->next_given = lnext(vs->given, vs->next_given);
		}

		e = palloc0(sizeof(DatasetEntry));
		e->dataset_id = pstrdup(id);
		vs->entries = lappend(vs->entries, e);
		if (vs->resource == MA_RESOURCE_DATASETS)
			e->list_entry = item;
		else
		{
			StringInfoData path;
			StringInfoData query;
			StringInfoData enc;

			initStringInfo(&path);
			initStringInfo(&query);
			initStringInfo(&enc);
			ma_append_encoded(&enc, id);
			append_dataset_request(&path, &query, vs->project_id,
								   vs->resource, enc.data);
			e->call = ma_client_call(vs->client, path.data, query.data, -1);
		}
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * EXPLAIN VERBOSE: the dataset list (when no dataset is given), then for
 * samples the request plan of each dataset, for the others the call sent
 * for each dataset.
 */
static void
v2_explain(MaScan *scan, const MaPlanInput *in, ExplainState *es)
{
	MaV2Scan   *vs = (MaV2Scan *) scan;
	List	   *requests = NIL;
	List	   *datasets = NIL;
	ListCell   *lc;

	if (vs->list_all)
	{
		StringInfoData path;
		StringInfoData query;

		initStringInfo(&path);
		initStringInfo(&query);
		append_datasets_request(&path, &query, vs->project_id, 0,
								vs->page_size);
		requests = lappend(requests, psprintf("GET %s?%s", path.data, query.data));
		datasets = list_make1("{each listed dataset}");
	}
	else
	{
		foreach(lc, ma_plan_jobs(in))
			datasets = lappend(datasets, ((MaPlanValue *) lfirst(lc))->text);
	}

	if (vs->resource == MA_RESOURCE_SAMPLES)
	{
		MaPlanInput one = *in;

		one.id_mode = MA_ID_EQ;
		one.jobs = list_make1(ma_plan_unknown("{each listed dataset}", false));
		ma_explain_request_plan(ma_plan_requests(&one), vs->project_id,
								requests, es);
		return;
	}
	if (vs->resource != MA_RESOURCE_DATASETS)
	{
		foreach(lc, datasets)
		{
			StringInfoData path;
			StringInfoData query;

			initStringInfo(&path);
			initStringInfo(&query);
			append_dataset_request(&path, &query, vs->project_id,
								   vs->resource, (char *) lfirst(lc));
			requests = lappend(requests, psprintf("GET %s", path.data));
		}
	}
	ma_explain_requests(requests, vs->list_all ? "until a short page" : NULL,
						es);
}

/*
 * The dataset list: pages from offset 0, items returned pointing into the
 * current page.  It ends on a short or empty page, or on a page of datasets
 * all listed already (a server that repeats the last page past the end, or
 * ignores offset); total_number is only a hint.
 */
static const MaListKind dataset_list_kind = {
	.array_key = "datasets",
	.id_key = "dataset_id",
	.string_ids = true,
	.bad_id = "a dataset of the list has no \"dataset_id\" string",
	.append_request = append_datasets_request,
	.probe_base = false,
	.list_name = "datasets",
	.items_name = "datasets",
	.total_key = NULL,
	.copy_items = false
};

/*
 * Start reading the dataset list through "client"; its pages live in a
 * child of the client's context, each reset when the next one comes.
 */
void
ma_dataset_lister_init(MaDatasetLister *lister, MaClient *client,
					   const char *project_id, int page_size)
{
	ma_lister_init(lister, &dataset_list_kind, client, project_id, page_size);
}

/*
 * The next dataset of the list, pointing into the current page (valid
 * until the next call), its ID in *dataset_id; NULL at the end.
 */
cJSON *
ma_dataset_lister_next(MaDatasetLister *lister, const char **dataset_id)
{
	int64		unused = 0;

	return ma_lister_next(lister, &unused, dataset_id);
}
