/*-------------------------------------------------------------------------
 *
 * resource.c
 *		  The rows of the job-level resources: projects, versions and tags.
 *
 * These rows come from the per-job calls (the images call with per_page=1
 * for a job's own fields and its versions, tags/stats for its counts) and
 * from the annotation-jobs listing.  A scan reads a list of jobs, given (by
 * a condition, a parameter or the table option) or found through the
 * listing, and for each job sends only the calls that the columns it fills
 * need.  Each row is a JSON object whose keys are the column names, so that
 * ma_fill_row converts them like any other object: the versions are the
 * service's own objects, the projects and tags rows are built here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "miscadmin.h"
#include "nodes/pg_list.h"

#include "modelarts_fdw.h"

/* The projects columns that the listing carries (see project_from_listing). */
static const char *const listing_keys[] = {
	"project_name", "project_desc", "create_time", "data_path",
	"image_count", "tagged_count", "untagged_count", NULL
};

/* The projects columns that tags/stats answers (see project_add_stats). */
static const char *const stats_keys[] = {
	"image_count", "tagged_count", "untagged_count", NULL
};

static bool key_in(const char *key, const char *const *keys);
static bool next_job(MaJobScan *js);
static void fetch_listing_page(MaJobScan *js);
static void load_job(MaJobScan *js);
static cJSON *new_row(MaJobScan *js);
static void add_number(cJSON *obj, const char *key, double v);
static void copy_item(cJSON *obj, const char *key, const cJSON *item);
static void malformed(const char *what, const char *path, const char *query);

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
		case MA_RESOURCE_IMAGES:
			elog(ERROR, "images are not a job-level resource");
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

/* Append "annotation-jobs"'s query for one page of the listing. */
void
ma_append_jobs_query(StringInfo buf, int64 page, int page_size)
{
	appendStringInfo(buf, "offset=" INT64_FORMAT "&limit=%d&sort_by=create_time&order=asc",
					 page, page_size);
}

/*
 * Append the path of a job's images call, or of its tags/stats call
 * (stats), encoded.
 */
void
ma_append_job_path(StringInfo buf, const char *project_id, const char *job,
				   bool stats)
{
	if (!stats)
	{
		ma_append_images_path(buf, project_id, job);
		return;
	}
	appendStringInfoString(buf, "/v1/");
	ma_append_encoded(buf, project_id);
	appendStringInfoString(buf, "/data-annotations/");
	ma_append_encoded(buf, job);
	appendStringInfoString(buf, "/tags/stats");
}

/*
 * Free every cJSON tree the scan holds.  Called from the scan's reset
 * callback (so on errors too) and before a rescan.
 */
void
ma_job_scan_release(MaJobScan *js)
{
	if (js->list_json)
		cJSON_Delete(js->list_json);
	if (js->job_json)
		cJSON_Delete(js->job_json);
	if (js->stats_json)
		cJSON_Delete(js->stats_json);
	if (js->rows)
		cJSON_Delete(js->rows);
	js->list_json = NULL;
	js->list_item = NULL;
	js->job_json = NULL;
	js->stats_json = NULL;
	js->rows = NULL;
	js->cur_row = NULL;
}

/*
 * The next row: the next object of the current job, or the first of the
 * next job that has any.  Returns false at the end.  The row points into
 * the scan's cJSON trees, valid until the next call.
 */
bool
ma_job_scan_next(MaJobScan *js, MaRowSource *src)
{
	for (;;)
	{
		if (js->cur_row != NULL)
		{
			src->job_id = js->job_id;
			src->object = js->cur_row;
			src->tag = NULL;
			src->tags = NULL;
			src->ntags = 0;
			js->cur_row = js->cur_row->next;
			return true;
		}
		CHECK_FOR_INTERRUPTS();
		if (!next_job(js))
			return false;
		load_job(js);
	}
}

/*
 * Advance to the next job: js->job_id, and for a listing js->list_item on
 * its entry.  Returns false when there is none.
 */
static bool
next_job(MaJobScan *js)
{
	if (!js->list_all)
	{
		if (js->next_id == NULL)
			return false;
		js->job_id = *(int64 *) lfirst(js->next_id);
		js->next_id = lnext(js->job_ids, js->next_id);
		return true;
	}

	for (;;)
	{
		if (js->list_item != NULL)
		{
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(js->list_item,
															   "dls_prj_id");

			if (!cJSON_IsNumber(id))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("malformed answer from ModelArts: a job of \"annotation-jobs\" has no numeric \"dls_prj_id\"")));
			js->job_id = (int64) id->valuedouble;
			return true;
		}
		if (js->list_done)
			return false;
		fetch_listing_page(js);
	}
}

/* Fetch the listing's next page; the first job goes to js->list_item. */
static void
fetch_listing_page(MaJobScan *js)
{
	StringInfoData path;
	StringInfoData query;
	cJSON	   *jobs;
	cJSON	   *total;
	cJSON	   *job;
	int			got;

	if (js->list_json)
	{
		cJSON_Delete(js->list_json);
		js->list_json = NULL;
	}
	initStringInfo(&path);
	initStringInfo(&query);
	appendStringInfoString(&path, "/v1/");
	ma_append_encoded(&path, js->project_id);
	appendStringInfoString(&path, "/annotation-jobs");
	ma_append_jobs_query(&query, ++js->list_page, js->page_size);

	js->list_json = ma_api_get(js->conn, path.data, query.data, js->counters);
	jobs = cJSON_GetObjectItemCaseSensitive(js->list_json, "jobs");
	if (!cJSON_IsArray(jobs))
		malformed("no \"jobs\" array", path.data, query.data);
	cJSON_ArrayForEach(job, jobs)
	{
		if (!cJSON_IsObject(job))
			malformed("an element of \"jobs\" is not an object", path.data, query.data);
	}
	got = cJSON_GetArraySize(jobs);
	js->list_seen += got;
	js->list_item = jobs->child;

	/* a short page ends the listing, and so does reaching job_total_count */
	total = cJSON_GetObjectItemCaseSensitive(js->list_json, "job_total_count");
	if (got < js->page_size ||
		(cJSON_IsNumber(total) && (double) js->list_seen >= total->valuedouble))
		js->list_done = true;

	pfree(path.data);
	pfree(query.data);
}

/*
 * Send the calls of the current job and set js->cur_row on its first row.
 * The listing's entry, if any, is consumed here.
 */
static void
load_job(MaJobScan *js)
{
	const cJSON *list_entry = js->list_item;
	char		job[32];
	StringInfoData path;
	StringInfoData query;

	if (js->list_all)
		js->list_item = js->list_item->next;

	/* the previous job's rows are out: free them */
	if (js->job_json)
		cJSON_Delete(js->job_json);
	if (js->stats_json)
		cJSON_Delete(js->stats_json);
	if (js->rows)
		cJSON_Delete(js->rows);
	js->job_json = js->stats_json = js->rows = js->cur_row = NULL;

	snprintf(job, sizeof(job), INT64_FORMAT, js->job_id);
	initStringInfo(&path);
	initStringInfo(&query);
	if (js->need_job)
	{
		ma_append_job_path(&path, js->project_id, job, false);
		appendStringInfoString(&query, "per_page=1&page=1");
		js->job_json = ma_api_get(js->conn, path.data, query.data, js->counters);
	}
	if (js->need_stats)
	{
		resetStringInfo(&path);
		resetStringInfo(&query);
		ma_append_job_path(&path, js->project_id, job, true);
		js->stats_json = ma_api_get(js->conn, path.data, query.data, js->counters);
	}
	js->jobs_read++;

	switch (js->resource)
	{
		case MA_RESOURCE_VERSIONS:
			{
				const cJSON *versions = cJSON_GetObjectItemCaseSensitive(js->job_json,
																		 "versions");

				/* a job without versions (key absent or null) has no rows */
				if (versions == NULL || cJSON_IsNull(versions))
					break;
				if (!cJSON_IsArray(versions))
					malformed("\"versions\" is not an array", path.data, query.data);
				js->cur_row = versions->child;
			}
			break;

		case MA_RESOURCE_TAGS:
			{
				const cJSON *counts = cJSON_GetObjectItemCaseSensitive(js->stats_json,
																	   "tag_count");
				const cJSON *entry;

				if (counts == NULL || cJSON_IsNull(counts))
					break;
				if (!cJSON_IsArray(counts))
					malformed("\"tag_count\" is not an array", path.data, query.data);
				js->rows = cJSON_CreateArray();
				if (js->rows == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_OUT_OF_MEMORY),
							 errmsg("out of memory")));
				cJSON_ArrayForEach(entry, counts)
				{
					cJSON	   *row = new_row(js);

					copy_item(row, "tag_name",
							  cJSON_GetObjectItemCaseSensitive(entry, "tag"));
					copy_item(row, "image_count",
							  cJSON_GetObjectItemCaseSensitive(entry, "count"));
				}
				js->cur_row = js->rows->child;
			}
			break;

		case MA_RESOURCE_PROJECTS:
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

					copy_item(row, "project_name",
							  cJSON_GetObjectItemCaseSensitive(list_entry, "name"));
					copy_item(row, "project_desc",
							  cJSON_GetObjectItemCaseSensitive(list_entry, "description"));
					copy_item(row, "create_time",
							  cJSON_GetObjectItemCaseSensitive(list_entry, "create_time"));
					copy_item(row, "data_path",
							  cJSON_GetObjectItemCaseSensitive(list_entry, "path"));
					copy_item(row, "image_count",
							  cJSON_GetObjectItemCaseSensitive(progress, "total_count"));
					copy_item(row, "tagged_count",
							  cJSON_GetObjectItemCaseSensitive(progress, "has_tag_count"));
					copy_item(row, "untagged_count",
							  cJSON_GetObjectItemCaseSensitive(progress, "not_tag_count"));
				}

				/*
				 * The job's own fields: every top-level key of the images
				 * answer but the page of images and its filtered count.
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
					const cJSON *stat;
					const cJSON *arr = cJSON_GetObjectItemCaseSensitive(js->stats_json,
																		"tags_stat");
					double		tagged = 0,
								untagged = 0;
					bool		has_tagged = false,
								has_untagged = false;

					cJSON_ArrayForEach(stat, arr)
					{
						const cJSON *has = cJSON_GetObjectItemCaseSensitive(stat, "has_tag");
						const cJSON *count = cJSON_GetObjectItemCaseSensitive(stat, "count");

						if (!cJSON_IsBool(has) || !cJSON_IsNumber(count))
							continue;
						if (cJSON_IsTrue(has))
						{
							tagged = count->valuedouble;
							has_tagged = true;
						}
						else
						{
							untagged = count->valuedouble;
							has_untagged = true;
						}
					}
					if (has_tagged)
						add_number(row, "tagged_count", tagged);
					if (has_untagged)
						add_number(row, "untagged_count", untagged);
					if (has_tagged && has_untagged)
						add_number(row, "image_count", tagged + untagged);
				}
				js->cur_row = js->rows->child;
			}
			break;

		case MA_RESOURCE_IMAGES:
			elog(ERROR, "images are not a job-level resource");
			break;
	}

	pfree(path.data);
	pfree(query.data);
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

static void
malformed(const char *what, const char *path, const char *query)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("malformed answer from ModelArts: %s", what),
			 errcontext("remote request: GET %s%s%s", path,
						query[0] ? "?" : "", query)));
}
