/*
 * v2.c
 *		The v2 dataset API of the emulator, served from the same data as v1.
 *
 * Every labeling job is also a dataset (see /work/shared/api/modelarts-v2.md):
 *
 * - dataset_id: the job's "dataset_id" key in the data file, or else "ds"
 *   followed by its numeric ID ("ds282"); dataset_name: its project_name;
 * - its images are the samples: sample_id = image_id, sample_name =
 *   image_name, source = url, sample_time = the image's create_time,
 *   metadata["@modelarts:size"] = size, and one label per entry of "tags":
 *   {"name": TAG, "type": 0, "property": {}} for a classification tag,
 *   {"name": TAG, "type": 1, "property": {"@modelarts:shape": "bndbox",
 *   "@modelarts:feature": [[x1, y1], [x2, y2]]}} for a detection box; any
 *   other key of the image is kept as it is;
 * - paging: "limit" 1 to 100 (default 10) and "offset" a page index from 0;
 *   order "desc" (the default: image_id descending) or "asc";
 * - sample_state __ALL__ (labeled samples; every sample under --variant
 *   all-includes-unlabeled), __NONE__ (unlabeled), none (all);
 *   label_name (samples carrying it; with __NONE__, none);
 * - version_id must name one of the job's versions; the emulator keeps no
 *   snapshots, so a version's samples are the working copy's.
 *
 * The --count, --past-end and --ignore-page switches apply to the samples
 * and the dataset list as to their v1 counterparts; the hostile images
 * faults (badutf8 ...) are v1's only.  Samples are made from the stored v1
 * image text at each request (a page is at most 100 of them).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emulator.h"

/* The v1 keys a sample renames or reshapes; any other key is copied. */
static const char *const image_keys[] = {
	"image_id", "image_name", "url", "size", "tags", "create_time", NULL
};

static bool
is_image_key(const char *key)
{
	for (int i = 0; image_keys[i]; i++)
		if (strcmp(image_keys[i], key) == 0)
			return true;
	return false;
}

static void
copy_member(cJSON *to, const char *key, const cJSON *from, const char *from_key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(from, from_key);

	if (m)
		cJSON_AddItemToObject(to, key, cJSON_Duplicate(m, true));
}

/* One label of v2 from one entry of a v1 image's "tags". */
static cJSON *
label_of(const cJSON *tag)
{
	cJSON	   *label = cJSON_CreateObject();
	cJSON	   *prop = cJSON_CreateObject();

	if (cJSON_IsString(tag))
	{
		cJSON_AddStringToObject(label, "name", tag->valuestring);
		cJSON_AddNumberToObject(label, "type", 0);
	}
	else
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(tag, "tag");
		const cJSON *pos = cJSON_GetObjectItemCaseSensitive(tag, "pos");

		if (name)
			cJSON_AddItemToObject(label, "name", cJSON_Duplicate(name, true));
		cJSON_AddNumberToObject(label, "type", 1);
		cJSON_AddStringToObject(prop, "@modelarts:shape", "bndbox");
		if (cJSON_IsArray(pos) && cJSON_GetArraySize(pos) == 4)
		{
			cJSON	   *feat = cJSON_CreateArray();

			for (int p = 0; p < 2; p++)
			{
				cJSON	   *pt = cJSON_CreateArray();

				cJSON_AddItemToArray(pt, cJSON_Duplicate(cJSON_GetArrayItem(pos, 2 * p), true));
				cJSON_AddItemToArray(pt, cJSON_Duplicate(cJSON_GetArrayItem(pos, 2 * p + 1), true));
				cJSON_AddItemToArray(feat, pt);
			}
			cJSON_AddItemToObject(prop, "@modelarts:feature", feat);
		}
	}
	cJSON_AddItemToObject(label, "property", prop);
	return label;
}

/* Append the sample made from the v1 image text json[0..len) to out. */
static void
put_sample(Buf *out, const char *json, size_t len)
{
	cJSON	   *img = cJSON_ParseWithLength(json, len);
	cJSON	   *s;
	cJSON	   *labels;
	cJSON	   *meta;
	const cJSON *tags;
	const cJSON *t;
	const cJSON *size;
	char	   *text;

	if (!img)
	{
		buf_puts(out, "{}");
		return;
	}
	s = cJSON_CreateObject();
	copy_member(s, "sample_id", img, "image_id");
	cJSON_AddNumberToObject(s, "sample_type", 0);
	copy_member(s, "sample_name", img, "image_name");
	copy_member(s, "source", img, "url");
	copy_member(s, "sample_time", img, "create_time");
	tags = cJSON_GetObjectItemCaseSensitive(img, "tags");
	cJSON_AddStringToObject(s, "sample_status",
							cJSON_GetArraySize(tags) > 0 ? "MANUAL_ANNOTATION" : "UN_ANNOTATION");
	labels = cJSON_CreateArray();
	cJSON_ArrayForEach(t, tags)
		cJSON_AddItemToArray(labels, label_of(t));
	cJSON_AddItemToObject(s, "labels", labels);
	meta = cJSON_CreateObject();
	cJSON_AddNumberToObject(meta, "@modelarts:import_origin", 0);
	size = cJSON_GetObjectItemCaseSensitive(img, "size");
	if (size)
		cJSON_AddItemToObject(meta, "@modelarts:size", cJSON_Duplicate(size, true));
	cJSON_AddItemToObject(s, "metadata", meta);
	for (const cJSON *m = img->child; m; m = m->next)
		if (m->string && !is_image_key(m->string) &&
			!cJSON_GetObjectItemCaseSensitive(s, m->string))
			cJSON_AddItemToObject(s, m->string, cJSON_Duplicate(m, true));

	text = cJSON_PrintUnformatted(s);
	buf_puts(out, text);
	free(text);
	cJSON_Delete(s);
	cJSON_Delete(img);
}

/* The "order" parameter: false and an answer queued for a bad one. */
static bool
order_param(struct MHD_Connection *conn, Req *r, const char *query,
			bool *desc, enum MHD_Result *ret)
{
	char	   *v;

	*desc = true;
	if (!once_param(conn, r, query, "order", &v, ret))
		return false;
	if (!v)
		return true;
	if (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0)
	{
		*ret = answer_error(conn, r, 400, "ModelArts.0104",
							"order must be asc or desc, got \"%s\"", v);
		free(v);
		return false;
	}
	*desc = strcmp(v, "desc") == 0;
	free(v);
	return true;
}

/*
 * An answer's opening brace and, as its first member, the count as --count
 * says ("key":N, or nothing)
 */
static void
open_with_count(Buf *b, const char *key, uint64_t total, uint64_t on_page)
{
	size_t		start = b->len;

	buf_putc(b, '{');
	put_count(b, key, total, on_page);
	if (b->len > start + 1)
	{
		/* put_count writes ",key":N: no comma after the brace */
		memmove(b->data + start + 1, b->data + start + 2, b->len - start - 2);
		b->data[b->len - 1] = ',';
	}
}

/* Does the job have a version of this ID? */
static bool
has_version(const Job *job, const char *version_id)
{
	cJSON	   *vs = cJSON_Parse(job->versions_json);
	const cJSON *v;
	bool		found = false;

	cJSON_ArrayForEach(v, vs)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "version_id");

		if (cJSON_IsString(id) && strcmp(id->valuestring, version_id) == 0)
			found = true;
	}
	cJSON_Delete(vs);
	return found;
}

static enum MHD_Result
v2_samples(struct MHD_Connection *conn, Req *r, Job *job, const char *query)
{
	enum MHD_Result ret;
	int64_t		limit,
				offset;
	bool		desc;
	char	   *label = NULL;
	char	   *state = NULL;
	char	   *version = NULL;
	const uint32_t *idx = NULL;
	uint32_t	count;
	uint64_t	first,
				last;
	Buf			b;

	if (!opt_int_param(conn, r, query, "limit", 10, 1, 100, &limit, &ret) ||
		!opt_int_param(conn, r, query, "offset", 0, 0, INT64_MAX, &offset, &ret) ||
		!order_param(conn, r, query, &desc, &ret))
		return ret;

	if (!once_param(conn, r, query, "version_id", &version, &ret))
		return ret;
	if (version && !has_version(job, version))
	{
		ret = answer_error(conn, r, 404, "ModelArts.0102",
						   "version \"%s\" of dataset \"%s\" does not exist",
						   version, job->dataset_id);
		free(version);
		return ret;
	}
	free(version);

	if (!once_param(conn, r, query, "sample_state", &state, &ret))
		return ret;
	if (state && strcmp(state, "__ALL__") != 0 && strcmp(state, "__NONE__") != 0)
	{
		ret = answer_error(conn, r, 400, "ModelArts.0104",
						   "sample_state \"%s\" is not served by the emulator (only __ALL__ and __NONE__)",
						   state);
		free(state);
		return ret;
	}
	if (!once_param(conn, r, query, "label_name", &label, &ret))
	{
		free(state);
		return ret;
	}

	if (label)
	{
		Tag		   *t = job_find_tag(job, label);

		/* a label's samples are labeled: none of them under __NONE__ */
		idx = t ? t->idx : NULL;
		count = t && !(state && strcmp(state, "__NONE__") == 0) ? t->count : 0;
	}
	else if (state && strcmp(state, "__ALL__") == 0 && !cfg.all_includes_unlabeled)
	{
		idx = job->tagged;
		count = job->ntagged;
	}
	else if (state && strcmp(state, "__NONE__") == 0)
	{
		idx = job->untagged;
		count = job->nuntagged;
	}
	else
		count = job->nimages;	/* every sample (no state, or __ALL__ under
								 * all-includes-unlabeled): idx NULL */
	free(label);
	free(state);

	first = page_first(count, (uint64_t) limit, (uint64_t) offset);
	last = first + (uint64_t) limit < count ? first + (uint64_t) limit : count;

	buf_init(&b, 1024 + (last - first) * 512);
	open_with_count(&b, "sample_count", count, last - first);
	buf_puts(&b, "\"samples\":[");
	for (uint64_t i = first; i < last; i++)
	{
		uint64_t	pos = desc ? count - 1 - i : i;
		uint32_t	k = idx ? idx[pos] : (uint32_t) pos;

		if (i != first)
			buf_putc(&b, ',');
		put_sample(&b, job->images[k].json, job->images[k].len);
	}
	buf_puts(&b, "]}");
	return answer_json(conn, r, 200, &b);
}

/*
 * The job's labels as an array of objects {"name": ..., "type": ...}, with
 * "count" and "sample_count" (label_stats) or with an empty "property"
 * (labels).
 */
static void
put_labels(Buf *b, const Job *job, bool counts)
{
	buf_putc(b, '[');
	for (uint32_t i = 0; i < job->ntags; i++)
	{
		if (i)
			buf_putc(b, ',');
		buf_puts(b, "{\"name\":");
		json_str(b, job->tags[i].name);
		buf_printf(b, ",\"type\":%d", job->type);
		if (counts)
			buf_printf(b, ",\"count\":%u,\"sample_count\":%u}",
					   job->tags[i].instances, job->tags[i].count);
		else
			buf_puts(b, ",\"property\":{}}");
	}
	buf_putc(b, ']');
}

static enum MHD_Result
v2_stats(struct MHD_Connection *conn, Req *r, Job *job)
{
	Buf			b;

	buf_init(&b, 256 + job->ntags * 64);
	buf_puts(&b, "{\"label_stats\":");
	put_labels(&b, job, true);
	buf_printf(&b, ",\"sample_stats\":{\"__ALL__\":%u,\"__NONE__\":%u},"
			   "\"total_sample_count\":%u}",
			   job->ntagged, job->nuntagged, job->nimages);
	return answer_json(conn, r, 200, &b);
}

static enum MHD_Result
v2_labels(struct MHD_Connection *conn, Req *r, Job *job)
{
	Buf			b;

	buf_init(&b, 256 + job->ntags * 64);
	buf_puts(&b, "{\"labels\":");
	put_labels(&b, job, false);
	buf_putc(&b, '}');
	return answer_json(conn, r, 200, &b);
}

/*
 * The job's versions in v2's shape: description from version_desc,
 * total_sample_count from file_count; annotated_sample_count is the working
 * copy's labeled samples (the emulator keeps no snapshots).
 */
static enum MHD_Result
v2_versions(struct MHD_Connection *conn, Req *r, Job *job)
{
	cJSON	   *vs = cJSON_Parse(job->versions_json);
	const cJSON *v;
	Buf			b;
	int			n = 0;

	buf_init(&b, 1024);
	buf_printf(&b, "{\"total_number\":%d,\"versions\":[", cJSON_GetArraySize(vs));
	cJSON_ArrayForEach(v, vs)
	{
		cJSON	   *o = cJSON_CreateObject();
		char	   *text;

		copy_member(o, "version_id", v, "version_id");
		copy_member(o, "version_name", v, "version_name");
		copy_member(o, "description", v, "version_desc");
		copy_member(o, "create_time", v, "create_time");
		copy_member(o, "total_sample_count", v, "file_count");
		cJSON_AddNumberToObject(o, "annotated_sample_count", job->ntagged);
		copy_member(o, "status", v, "status");
		text = cJSON_PrintUnformatted(o);
		if (n++)
			buf_putc(&b, ',');
		buf_puts(&b, text);
		free(text);
		cJSON_Delete(o);
	}
	buf_puts(&b, "]}");
	cJSON_Delete(vs);
	return answer_json(conn, r, 200, &b);
}

static bool sort_by_name;

static int
dataset_cmp(const void *a, const void *b)
{
	const Job  *x = *(const Job *const *) a;
	const Job  *y = *(const Job *const *) b;
	int			c;

	if (sort_by_name && (c = strcmp(x->name, y->name)) != 0)
		return c;
	if (x->create_time != y->create_time)
		return x->create_time < y->create_time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* One entry of the dataset list. */
static void
put_dataset(Buf *b, const Job *job)
{
	cJSON	   *vs = cJSON_Parse(job->versions_json);
	const cJSON *cur = cJSON_GetArrayItem(vs, cJSON_GetArraySize(vs) - 1);
	const cJSON *m;

	buf_puts(b, "{\"dataset_id\":");
	json_str(b, job->dataset_id);
	buf_puts(b, ",\"dataset_name\":");
	json_str(b, job->name);
	buf_printf(b, ",\"dataset_type\":%d,\"description\":", job->type);
	json_str(b, job->desc);
	buf_printf(b, ",\"create_time\":%" PRId64, job->create_time);
	if (cur && cJSON_IsString(m = cJSON_GetObjectItemCaseSensitive(cur, "version_id")))
	{
		buf_puts(b, ",\"current_version_id\":");
		json_str(b, m->valuestring);
	}
	if (cur && cJSON_IsString(m = cJSON_GetObjectItemCaseSensitive(cur, "version_name")))
	{
		buf_puts(b, ",\"current_version_name\":");
		json_str(b, m->valuestring);
	}
	buf_printf(b, ",\"dataset_version_count\":%d,\"total_sample_count\":%u,"
			   "\"annotated_sample_count\":%u,\"labels\":[",
			   cJSON_GetArraySize(vs), job->nimages, job->ntagged);
	for (uint32_t i = 0; i < job->ntags; i++)
	{
		if (i)
			buf_putc(b, ',');
		buf_puts(b, "{\"name\":");
		json_str(b, job->tags[i].name);
		buf_printf(b, ",\"type\":%d}", job->type);
	}
	buf_puts(b, "],\"data_url\":");
	json_str(b, job->path);
	buf_putc(b, '}');
	cJSON_Delete(vs);
}

/* GET /v2/{project}/datasets: offset is a page index from 0 */
static enum MHD_Result
v2_datasets(struct MHD_Connection *conn, Req *r, const char *query)
{
	enum MHD_Result ret;
	int64_t		offset,
				limit;
	bool		desc;
	char	   *v;
	int			n;
	uint64_t	first,
				last,
				count = (uint64_t) ds.njobs;
	const Job **order;
	Buf			b;

	if (!opt_int_param(conn, r, query, "limit", 10, 1, 100, &limit, &ret) ||
		!opt_int_param(conn, r, query, "offset", 0, 0, INT64_MAX, &offset, &ret) ||
		!order_param(conn, r, query, &desc, &ret))
		return ret;
	n = query_param(query, "sort_by", &v);
	if (n == 2 || (n == 1 && strcmp(v, "create_time") != 0 &&
				   strcmp(v, "dataset_name") != 0))
	{
		ret = answer_error(conn, r, 400, "ModelArts.0104",
						   "sort_by must be create_time or dataset_name");
		free(v);
		return ret;
	}
	order = malloc(sizeof(Job *) * (count ? count : 1));
	for (uint64_t i = 0; i < count; i++)
		order[i] = &ds.jobs[i];
	/* requests run in threads: the flag is only read under this lock */
	{
		static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

		pthread_mutex_lock(&lock);
		sort_by_name = (n == 1 && strcmp(v, "dataset_name") == 0);
		qsort(order, count, sizeof(Job *), dataset_cmp);
		pthread_mutex_unlock(&lock);
	}
	free(v);

	first = page_first(count, (uint64_t) limit, (uint64_t) offset);
	last = first + (uint64_t) limit < count ? first + (uint64_t) limit : count;
	buf_init(&b, 1024);
	open_with_count(&b, "total_number", count, last - first);
	buf_puts(&b, "\"datasets\":[");
	for (uint64_t i = first; i < last; i++)
	{
		if (i != first)
			buf_putc(&b, ',');
		put_dataset(&b, order[desc ? count - 1 - i : i]);
	}
	buf_puts(&b, "]}");
	free(order);
	return answer_json(conn, r, 200, &b);
}

/* Answer one v2 call (authentication and project checked already). */
enum MHD_Result
v2_answer(struct MHD_Connection *conn, Req *r, V2Endpoint ep,
		  const char *dataset_id, const char *query)
{
	Job		   *job;

	if (ep == V2_DATASETS)
		return v2_datasets(conn, r, query);
	job = dataset_find_dataset(&ds, dataset_id);
	if (!job && cfg.modern_codes)
		return answer_error(conn, r, 400, "ModelArts.4352",
							"the dataset does not exist (dataset_id \"%s\")",
							dataset_id);
	if (!job)
		return answer_error(conn, r, 404, "ModelArts.0102",
							"dataset \"%s\" does not exist", dataset_id);
	switch (ep)
	{
		case V2_SAMPLES:
			return v2_samples(conn, r, job, query);
		case V2_STATS:
			return v2_stats(conn, r, job);
		case V2_LABELS:
			return v2_labels(conn, r, job);
		case V2_VERSIONS:
			return v2_versions(conn, r, job);
		default:
			return v2_datasets(conn, r, query);
	}
}
