/*-------------------------------------------------------------------------
 *
 * request.c
 *		  The request plan of a scan, and every endpoint's URL.
 *
 * ma_plan_requests() is the one function that turns a scan's pushed
 * conditions (with the values known so far) into what the scan sends: the
 * list of request streams (one job and one tag_name filter each) and, for
 * each, its page size, first page and number of pages, plus the rows to
 * drop and to return.  The executor calls it with every value evaluated and
 * runs exactly that plan; EXPLAIN calls it with the values a plan shows
 * (constants, "$n" for parameters) and prints exactly that plan.
 *
 * Every path and query string of the API is built here, encoded, and
 * nowhere else: the images call (ma_append_images_url), a job's tags/stats,
 * the annotation-jobs listing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "common/int.h"
#include "mb/pg_wchar.h"

#include "modelarts_fdw.h"

/* The API's tag_name value meaning "images with no tag". */
#define MA_UNTAGGED_FILTER "__none__"

/* The API's page numbers are 32-bit integers (inferred): no page past this. */
#define MA_MAX_PAGE		((int64) PG_INT32_MAX)

static MaStream *new_stream(const MaPlanInput *in, const MaPlanValue *job,
							MaStreamKind kind, const MaPlanValue *tag);
static bool value_listed(List *values, const MaPlanValue *v, bool numeric);
static int64 add_saturating(int64 a, int64 b);

/* The keys of a v1 images answer (v2's samples: ma_samples_shape in v2.c) */
const MaAnswerShape ma_images_shape = {
	"images", "image_count", "image_id", "tags", "tag", NULL, "size", "image"
};

/*
 * Append s to buf percent-encoded as RFC 3986 and the AK/SK signer want it:
 * the unreserved characters A-Za-z0-9-_.~ as they are, every other byte as
 * %XX with upper-case hex digits.
 */
void
ma_append_encoded(StringInfo buf, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') ||
			*p == '-' || *p == '_' || *p == '.' || *p == '~')
			appendStringInfoChar(buf, (char) *p);
		else
		{
			appendStringInfoChar(buf, '%');
			appendStringInfoChar(buf, hex[*p >> 4]);
			appendStringInfoChar(buf, hex[*p & 0x0F]);
		}
	}
}

/*
 * Can this tag be sent as tag_name=... with the answer SQL expects?  Not
 * "__none__", which the API reads as "no tag", and not the empty string,
 * which a server may read as no filter at all.
 */
bool
ma_tag_value_is_pushable(const char *tag)
{
	return tag[0] != '\0' && strcmp(tag, MA_UNTAGGED_FILTER) != 0;
}

/*
 * A value for the plan: known (its number or string) or not (a parameter
 * whose value comes at execution; "text" is then what EXPLAIN shows).
 * For a known job, text is its digits; for a known tag, the tag encoded.
 */
MaPlanValue *
ma_plan_job(int64 id)
{
	MaPlanValue *v = palloc0(sizeof(MaPlanValue));

	v->known = true;
	v->id = id;
	v->text = psprintf(INT64_FORMAT, id);
	return v;
}

MaPlanValue *
ma_plan_tag(const char *tag)
{
	MaPlanValue *v = palloc0(sizeof(MaPlanValue));
	StringInfoData b;

	/*
	 * In UTF-8, as the service has its tags (and JSON, and URLs): the
	 * value compared with an image's tags and sent, whatever the database's
	 * encoding.
	 */
	v->known = true;
	v->tag = pstrdup(pg_server_to_any(tag, (int) strlen(tag), PG_UTF8));
	tag = v->tag;
	initStringInfo(&b);
	ma_append_encoded(&b, tag);
	v->text = b.data;
	return v;
}

MaPlanValue *
ma_plan_unknown(const char *text, bool many)
{
	MaPlanValue *v = palloc0(sizeof(MaPlanValue));

	v->known = false;
	v->many = many;
	v->text = many ? psprintf("%s[each]", text) : pstrdup(text);
	return v;
}

/* Is a known value equal to v in the list already? */
static bool
value_listed(List *values, const MaPlanValue *v, bool numeric)
{
	ListCell   *lc;

	if (!v->known)
		return false;
	foreach(lc, values)
	{
		MaPlanValue *o = lfirst(lc);

		if (!o->known)
			continue;
		if (numeric ? o->id == v->id : strcmp(o->tag, v->tag) == 0)
			return true;
	}
	return false;
}

static MaStream *
new_stream(const MaPlanInput *in, const MaPlanValue *job, MaStreamKind kind,
		   const MaPlanValue *tag)
{
	MaStream   *s = palloc0(sizeof(MaStream));

	s->job = job;
	/* a dataset's answers name no job to check */
	s->job_id = job->known && !in->v2 ? job->id : -1;
	s->v2 = in->v2;
	if (in->v2 && in->version)
	{
		StringInfoData b;

		initStringInfo(&b);
		ma_append_encoded(&b, in->version);
		s->version = b.data;
	}
	s->kind = kind;
	s->tag = tag;
	s->max_pages = -1;
	s->first_page = 1;
	return s;
}

/* a + b for non-negative a and b, at most PG_INT64_MAX */
static int64
add_saturating(int64 a, int64 b)
{
	int64		r;

	if (pg_add_s64_overflow(a, b, &r))
		return PG_INT64_MAX;
	return r;
}

/*
 * Map rows [offset, offset + limit) of an exact stream onto pages: the page
 * size that covers the window in the fewest requests, and among those the
 * one that fetches the fewest images.  Windows wider than max_page rows take
 * max_page-row pages.  limit must be positive; the arithmetic saturates, so
 * that any offset gives a (maybe unservable) page number.
 */
void
ma_page_window(int64 offset, int64 limit, int max_page,
			   int *per_page, int64 *first_page, int64 *npages)
{
	int64		last = add_saturating(offset, limit - 1);
	int			best_p = max_page;
	int64		best_n = -1;
	int			p;

	if (limit > max_page)
	{
		*per_page = max_page;
		*first_page = add_saturating(offset / max_page, 1);
		*npages = last / max_page - offset / max_page + 1;
		return;
	}

	for (p = 1; p <= max_page; p++)
	{
		int64		n = last / p - offset / p + 1;

		/* fewer requests wins; then fewer images (n * p) */
		if (best_n < 0 || n < best_n ||
			(n == best_n && n * p < best_n * best_p))
		{
			best_n = n;
			best_p = p;
		}
	}
	*per_page = best_p;
	*first_page = add_saturating(offset / best_p, 1);
	*npages = best_n;
}

/*
 * The request plan: see the file header.  "in" holds the pushed conditions
 * as plan values (jobs: numbers; tags: strings; any of them maybe unknown),
 * the table option, and the LIMIT and OFFSET (known or not).  The result is
 * palloc'd in the current memory context.
 *
 * The streams, in the order the scan reads them: for each job (duplicates
 * and jobs that disagree with the table option dropped), the tagged stream
 * and then the untagged one (no tag_name condition), or one stream per tag
 * (tags that cannot be sent read through the tagged stream, filtered here).
 *
 * Paging, under a pushed LIMIT/OFFSET: a single stream of one row per image
 * maps the window onto exactly the pages it covers (ma_page_window); other
 * scans read pages from the first, sized to the rows the window still
 * needs, until it is full.  An OFFSET beyond any page the API can serve is
 * no request at all.
 */
MaRequestPlan *
ma_plan_requests(const MaPlanInput *in)
{
	MaRequestPlan *plan = palloc0(sizeof(MaRequestPlan));
	List	   *jobs = NIL;
	List	   *tags = NIL;
	bool		all_known = true;
	const char *table_dataset = NULL;
	ListCell   *lc;

	plan->limit = in->limit_known ? in->limit : -1;
	plan->skip = in->offset_known ? in->offset : 0;
	plan->paging = "until a short page";
	plan->shape = in->v2 ? &ma_samples_shape : &ma_images_shape;
	/* the table option in UTF-8, as plan values are */
	if (in->v2 && in->table_dataset)
		table_dataset = pg_server_to_any(in->table_dataset,
										 (int) strlen(in->table_dataset),
										 PG_UTF8);

	/*
	 * The jobs (v2: datasets, by their string IDs): duplicates, values no
	 * job has (v1: <= 0) and disagreements with the table option go.  With
	 * none given on v1, the jobs of the listing (in a range, maybe): the
	 * table option's job if it is in the range, or else one template job
	 * that the scan makes real for each listed job (v2 lists its datasets
	 * in v2.c: list_jobs is never set for it).
	 */
	if (in->list_jobs)
	{
		if (in->has_table_id)
		{
			if (in->table_id >= in->list_min && in->table_id <= in->list_max)
				jobs = list_make1(ma_plan_job(in->table_id));
		}
		else
		{
			StringInfoData b;

			initStringInfo(&b);
			appendStringInfoString(&b, "{each listed job");
			if (in->list_text)
				appendStringInfo(&b, " with %s", in->list_text);
			else if (in->list_min > 1 || in->list_max < PG_INT64_MAX)
				appendStringInfo(&b, " from " INT64_FORMAT " to " INT64_FORMAT,
								 in->list_min, in->list_max);
			appendStringInfoChar(&b, '}');
			jobs = list_make1(ma_plan_unknown(b.data, false));
			plan->listed = true;
			plan->list_min = in->list_min;
			plan->list_max = in->list_max;
			plan->list_page_size = in->page_size;
			all_known = false;
		}
	}
	else if (in->id_mode == MA_ID_EQ)
	{
		foreach(lc, in->jobs)
		{
			MaPlanValue *v = lfirst(lc);

			if (value_listed(jobs, v, !in->v2))
				continue;
			if (v->known && !in->v2 && v->id <= 0)
				continue;
			if (v->known && in->has_table_id && !in->v2 && v->id != in->table_id)
				continue;
			if (v->known && table_dataset && strcmp(v->tag, table_dataset) != 0)
				continue;
			if (!v->known)
				all_known = false;
			jobs = lappend(jobs, v);
		}
	}
	else if (in->v2 && in->table_dataset)
		jobs = list_make1(ma_plan_tag(in->table_dataset));
	else if (in->has_table_id)
		jobs = list_make1(ma_plan_job(in->table_id));

	foreach(lc, in->tags)
	{
		MaPlanValue *v = lfirst(lc);

		if (value_listed(tags, v, false))
			continue;
		if (!v->known)
			all_known = false;
		tags = lappend(tags, v);
	}

	foreach(lc, jobs)
	{
		MaPlanValue *job = lfirst(lc);
		List	   *keep = NIL;
		ListCell   *lc2;
		MaStream   *s;

		switch (in->tag_mode)
		{
			case MA_TAG_ALL:
				plan->streams = lappend(plan->streams,
										new_stream(in, job, MA_STREAM_TAGGED, NULL));
				plan->streams = lappend(plan->streams,
										new_stream(in, job, MA_STREAM_UNTAGGED, NULL));
				break;
			case MA_TAG_TAGGED:
				plan->streams = lappend(plan->streams,
										new_stream(in, job, MA_STREAM_TAGGED, NULL));
				break;
			case MA_TAG_UNTAGGED:
				plan->streams = lappend(plan->streams,
										new_stream(in, job, MA_STREAM_UNTAGGED, NULL));
				break;
			case MA_TAG_EQ:
			case MA_TAG_ANY:
			case MA_TAG_EQ_OR_ALL:
			case MA_TAG_EQ_OR_NULL:
				foreach(lc2, tags)
				{
					MaPlanValue *tag = lfirst(lc2);

					if (tag->known && !ma_tag_value_is_pushable(tag->tag))
					{
						/* read through the tagged stream, filtered here */
						keep = lappend(keep, tag->tag);
						continue;
					}
					plan->streams = lappend(plan->streams,
											new_stream(in, job, MA_STREAM_TAG, tag));
				}
				if (keep != NIL)
				{
					s = new_stream(in, job, MA_STREAM_TAGGED, NULL);
					s->keep_tags = keep;
					plan->streams = lappend(plan->streams, s);
				}
				break;
		}
	}

	if (plan->streams == NIL)
	{
		plan->none = jobs == NIL && (in->has_table_id || table_dataset) &&
			(in->id_mode == MA_ID_EQ || in->list_jobs) ?
			"the condition and the table option name different jobs" :
			"no value to ask for";
		return plan;
	}

	/* paging */
	foreach(lc, plan->streams)
		((MaStream *) lfirst(lc))->per_page = in->page_size;
	if (!in->has_limit)
		return plan;

	if (!in->limit_known || !in->offset_known)
	{
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoString(&b, "pages sized at execution from");
		if (in->limit_text)
			appendStringInfo(&b, " LIMIT %s", in->limit_text);
		if (in->offset_text)
			appendStringInfo(&b, " OFFSET %s", in->offset_text);
		plan->paging = b.data;
		plan->sized_at_execution = true;
		return plan;
	}

	if (in->negative)
	{
		plan->streams = NIL;
		plan->none = "negative LIMIT or OFFSET";
		plan->paging = "none: negative LIMIT or OFFSET";
		return plan;
	}
	if (in->limit == 0)
	{
		plan->streams = NIL;
		plan->none = "LIMIT 0";
		plan->paging = "none: LIMIT 0";
		return plan;
	}

	if (list_length(plan->streams) == 1 && all_known &&
		ma_stream_is_exact(linitial(plan->streams)))
	{
		MaStream   *s = linitial(plan->streams);

		if (in->limit > 0)
		{
			ma_page_window(in->offset, in->limit, in->page_size,
						   &s->per_page, &s->first_page, &s->max_pages);
			plan->paging = s->max_pages == 1 ? "1 page" :
				psprintf("pages " INT64_FORMAT " to " INT64_FORMAT,
						 s->first_page,
						 add_saturating(s->first_page, s->max_pages - 1));
		}
		else if (in->offset > 0)
			s->first_page = add_saturating(in->offset / s->per_page, 1);
		plan->skip = in->offset - (s->first_page - 1) * s->per_page;
		if (s->first_page > MA_MAX_PAGE)
		{
			plan->streams = NIL;
			plan->none = "OFFSET past the last page the API can serve";
			plan->paging = "none: OFFSET past the last page the API can serve";
		}
		return plan;
	}

	if (in->limit > 0)
	{
		int64		needed = add_saturating(in->offset, in->limit);

		foreach(lc, plan->streams)
			((MaStream *) lfirst(lc))->per_page =
				(int) Min((int64) in->page_size, needed);
		plan->paging = "until the limit is reached";
	}
	return plan;
}

/*
 * Does every image of the stream give exactly one row?  Then a window of
 * rows is a window of images, and LIMIT/OFFSET map onto pages.
 */
bool
ma_stream_is_exact(const MaStream *stream)
{
	return stream->kind != MA_STREAM_TAGGED;
}

/*
 * Append the path and query of one page of a stream's images call:
 * "/v1/{project}/data-annotations/{job}/images" to path, and
 * "[tag_name=...&]per_page=N&page=K" to query.  The job and tag are the
 * plan values' texts: digits and encoded tags, or "$n" placeholders for
 * EXPLAIN.
 */
void
ma_append_images_request(StringInfo path, StringInfo query,
						 const char *project_id, const MaStream *stream,
						 int per_page, int64 page)
{
	if (stream->v2)
	{
		ma_append_samples_request(path, query, project_id, stream, per_page,
								  page);
		return;
	}
	appendStringInfoString(path, "/v1/");
	ma_append_encoded(path, project_id);
	appendStringInfo(path, "/data-annotations/%s/images", stream->job->text);

	switch (stream->kind)
	{
		case MA_STREAM_TAGGED:
			break;
		case MA_STREAM_UNTAGGED:
			appendStringInfoString(query, "tag_name=" MA_UNTAGGED_FILTER "&");
			break;
		case MA_STREAM_TAG:
			appendStringInfo(query, "tag_name=%s&", stream->tag->text);
			break;
	}
	if (per_page > 0)
		appendStringInfo(query, "per_page=%d&page=" INT64_FORMAT, per_page, page);
	else
		appendStringInfoString(query, "per_page=?&page=?");
}

/*
 * Append the path of one of a job's calls: its images (first page, one
 * image: the job's own fields) or its tags/stats.  "job" is digits, or a
 * placeholder for EXPLAIN.
 */
void
ma_append_job_request(StringInfo path, StringInfo query,
					  const char *project_id, const char *job, bool stats)
{
	appendStringInfoString(path, "/v1/");
	ma_append_encoded(path, project_id);
	appendStringInfo(path, "/data-annotations/%s/%s", job,
					 stats ? "tags/stats" : "images");
	if (!stats)
		appendStringInfoString(query, "per_page=1&page=1");
}

/*
 * Append the path and query of one page of a list of the project's
 * "collection" under API "version" ("v1"): "page" as the offset, oldest
 * first.
 */
void
ma_append_list_request(StringInfo path, StringInfo query,
					   const char *version, const char *project_id,
					   const char *collection, int64 page, int page_size)
{
	appendStringInfo(path, "/%s/", version);
	ma_append_encoded(path, project_id);
	appendStringInfo(path, "/%s", collection);
	appendStringInfo(query,
					 "offset=" INT64_FORMAT "&limit=%d&sort_by=create_time&order=asc",
					 page, page_size);
}

/* Append the path and query of one page of the annotation-jobs listing. */
void
ma_append_jobs_request(StringInfo path, StringInfo query,
					   const char *project_id, int64 page, int page_size)
{
	ma_append_list_request(path, query, "v1", project_id, "annotation-jobs",
						   page, page_size);
}

/*
 * Render a request plan for EXPLAIN: the requests in "before" (a listing's,
 * say; NIL for none), the first request of each stream, and how the pages
 * go on.  The same plan the executor runs, so the same URLs.
 */
void
ma_explain_request_plan(const MaRequestPlan *plan, const char *project_id,
						List *before, ExplainState *es)
{
	List	   *requests = list_copy(before);
	ListCell   *lc;

	if (plan->listed && plan->streams != NIL)
	{
		StringInfoData path;
		StringInfoData query;

		initStringInfo(&path);
		initStringInfo(&query);
		/* offset 1 first (offset 0 last, of a base not known: resource.c) */
		ma_append_jobs_request(&path, &query, project_id, 1,
							   plan->list_page_size);
		requests = lappend(requests, psprintf("GET %s?%s", path.data, query.data));
	}
	foreach(lc, plan->streams)
	{
		MaStream   *s = lfirst(lc);
		StringInfoData path;
		StringInfoData query;

		initStringInfo(&path);
		initStringInfo(&query);
		ma_append_images_request(&path, &query, project_id, s,
								 plan->sized_at_execution ? 0 : s->per_page,
								 s->first_page);
		requests = lappend(requests, psprintf("GET %s?%s", path.data, query.data));
	}
	ma_explain_requests(requests, plan->streams ? plan->paging : NULL, es);
}

/*
 * Print a list of request texts ("none" for an empty one) and the paging
 * line, as text lines or a structured list.
 */
void
ma_explain_requests(List *requests, const char *paging, ExplainState *es)
{
	ListCell   *lc;

	if (requests == NIL)
		ExplainPropertyText("Remote request", "none", es);
	else if (es->format == EXPLAIN_FORMAT_TEXT)
	{
		foreach(lc, requests)
			ExplainPropertyText("Remote request", (char *) lfirst(lc), es);
	}
	else
		ExplainPropertyList("Remote requests", requests, es);
	if (requests != NIL && paging)
		ExplainPropertyText("Remote paging", paging, es);
}

/*
 * Count one request sent, for EXPLAIN ANALYZE: the same request but for
 * its page number is one entry, whose pages run from first to last.  The
 * page number is v1's "page=K", v2's "offset=K" (a page index there).
 */
void
ma_sent_log_add(MaSentLog *log, const char *path, const char *query)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(log->cxt);
	StringInfoData b;
	const char *p;
	int64		page = -1;
	ListCell   *lc;
	MaSentEntry *e;
	const char *key = strncmp(path, "/v2/", 4) == 0 ? "offset=" : "page=";
	int			keylen = strlen(key);

	/* the request without its "page=K" */
	initStringInfo(&b);
	appendStringInfo(&b, "GET %s", path);
	if (query[0] != '\0')
		appendStringInfoChar(&b, '?');
	for (p = query; *p;)
	{
		const char *end = strchr(p, '&');
		int			len = end ? (int) (end - p) : (int) strlen(p);

		if (strncmp(p, key, keylen) == 0)
			page = strtoi64(p + keylen, NULL, 10);
		else
		{
			if (b.data[b.len - 1] != '?')
				appendStringInfoChar(&b, '&');
			appendBinaryStringInfo(&b, p, len);
		}
		p += len;
		if (*p == '&')
			p++;
	}

	foreach(lc, log->entries)
	{
		e = lfirst(lc);
		if (strcmp(e->text, b.data) == 0)
		{
			e->count++;
			if (page >= 0)
			{
				e->first_page = Min(e->first_page, page);
				e->last_page = Max(e->last_page, page);
			}
			pfree(b.data);
			MemoryContextSwitchTo(oldcxt);
			return;
		}
	}
	if (list_length(log->entries) >= MA_SENT_MAX)
	{
		log->others++;
		pfree(b.data);
	}
	else
	{
		e = palloc(sizeof(MaSentEntry));
		e->text = b.data;
		e->page_key = key;
		e->first_page = e->last_page = page;
		e->count = 1;
		log->entries = lappend(log->entries, e);
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * EXPLAIN ANALYZE: the requests sent, with the values they carried, in the
 * order first sent: "GET ...?per_page=10&page=3..5 (3 requests)".
 */
void
ma_explain_sent(MaSentLog *log, ExplainState *es)
{
	List	   *lines = NIL;
	ListCell   *lc;

	foreach(lc, log->entries)
	{
		MaSentEntry *e = lfirst(lc);
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoString(&b, e->text);
		if (e->first_page >= 0)
		{
			appendStringInfo(&b, "%s%s" INT64_FORMAT,
							 b.data[b.len - 1] == '?' ? "" : "&", e->page_key,
							 e->first_page);
			if (e->last_page != e->first_page)
				appendStringInfo(&b, ".." INT64_FORMAT, e->last_page);
		}
		appendStringInfo(&b, " (" INT64_FORMAT " request%s)", e->count,
						 e->count == 1 ? "" : "s");
		lines = lappend(lines, b.data);
	}
	if (log->others > 0)
		lines = lappend(lines, psprintf("(" INT64_FORMAT " more requests)",
										log->others));
	if (lines == NIL)
		return;
	if (es->format == EXPLAIN_FORMAT_TEXT)
	{
		foreach(lc, lines)
			ExplainPropertyText("Request sent", (char *) lfirst(lc), es);
	}
	else
		ExplainPropertyList("Requests sent", lines, es);
}
