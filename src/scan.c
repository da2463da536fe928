/*-------------------------------------------------------------------------
 *
 * scan.c
 *		  The scan of annotation_images: a request plan run with several
 *		  pages in flight, its rows delivered in order.
 *
 * The scan runs the streams of its request plan (request.c) in order, and
 * the pages of each stream in order, but asks for them ahead: up to
 * requests_in_flight pages are requested or held at any time, the current
 * stream's next pages first, then (without a LIMIT) the first pages of the
 * streams after it, which every scan reads anyway.  The rules:
 *
 * - Under a pushed LIMIT/OFFSET a stream never asks for a page the window
 *   may not need: at most ceil(rows still needed / per_page) pages, since
 *   every full page gives at least per_page rows, and no page of a later
 *   stream before the current one ends.
 * - A stream asks for its first page alone; its answer's image_count then
 *   says how many pages there are.  It is only a hint: pages are asked up
 *   to that count (plus one to confirm the end when the count fills the
 *   last page exactly), a stream ends on a short or empty page, and a page
 *   beyond the count that holds images drops the hint for the rest of the
 *   stream.  Without a count, pages are asked ahead without bound, so at
 *   most requests_in_flight - 1 requests go past the end.
 * - A page whose images are the previous page's is the end of the stream
 *   if image_count says every image was seen, or, without a count to
 *   trust, if the service honours "page" (a page of the stream differed
 *   from the one before, or one probe request shows it); otherwise it is
 *   an error (a server that ignores "page" would be read forever).
 *   A page that shares some images with the previous one is an error: the
 *   service's order is not stable.
 *
 * With no job given, the plan's streams are a template: the scan reads the
 * annotation-jobs listing a page at a time, and makes the template's
 * streams for each listed job (in a range, maybe) when the streams before
 * are done, so that a LIMIT stops the listing too: a preview of 200 rows
 * is the listing's first page and the first job's first pages.  Without a
 * LIMIT, once every stream known has asked what it can, the next job's
 * streams are made (a listing page waited for, one in page_size jobs) and
 * their first pages asked while the window has room.
 *
 * With missing_job 'empty', a job the service says does not exist ends its
 * streams with no rows (and a WARNING, once per query and job).
 *
 * Memory is bounded by the pages held (requests_in_flight, plus one for the
 * current stream); each page's tree lives in page_cxt, reset when the next
 * one is taken.
 * Everything hangs off the scan's run context: resetting it (rescan, end,
 * error) cancels what is in flight and frees every page.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "commands/explain.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "modelarts_fdw.h"

/* How long the natural end of a scan waits for pages asked past the end. */
#define MA_DRAIN_MS		1000

/* Run-time state of one stream of the plan. */
typedef struct StreamRun
{
	MaStream   *s;
	int64		next_request;	/* the next page to ask for */
	int64		last_allowed;	/* LIMIT: last page the window may need, or
								 * -1 */
	bool		answered;		/* a page of it was delivered */
	bool		ended;
	bool		has_hint;		/* image_count seen */
	bool		hint_broken;	/* ... and proven not to be the total */
	int64		hint_count;
	int64		images_seen;
	int64		delivered_page; /* the last page delivered, 0: none */
	uint64	   *prev_ids;		/* hashes of its image_ids: a set, see
								 * check_repeat */
	int			nprev;			/* ... how many */
	int			nprev_slots;	/* ... its size, a power of 2 */
	bool		advanced;		/* a page differed from the one before */
} StreamRun;

/* A page asked for and not yet delivered. */
typedef struct PageSlot
{
	int			stream;			/* index in runs */
	int64		page;
	MaCall	   *call;
} PageSlot;

typedef struct MaImagesScan
{
	MaScan		base;
	MaConnection *conn;
	const char *project_id;
	int			in_flight;

	MemoryContext run_cxt;		/* reset per (re)start: all below */
	MemoryContextCallback run_cb;
	MaRequestPlan *plan;
	MaClient   *client;
	StreamRun  *runs;
	int			nruns;
	int			cur;			/* the stream being delivered */
	bool		listing;		/* streams made per job of the listing */
	MaJobLister lister;
	List	   *slots;			/* PageSlot, in delivery order */
	int64		skip_remaining; /* rows still to drop (OFFSET) */
	int64		emit_remaining; /* rows still to return, -1: no limit */

	/* the page being delivered */
	MemoryContext page_cxt;		/* the current page's tree, its tags */
	cJSON	   *page_json;
	cJSON	   *cur_image;		/* next image to expand */
	const char **tags;			/* distinct tags of the image being expanded */
	int			ntags;
	int			next_tag;
	bool		image_pending;
} MaImagesScan;

static void images_start(MaScan *scan, const MaPlanInput *in);
static bool images_next(MaScan *scan, MaRowSource *src);
static void images_explain(MaScan *scan, const MaPlanInput *in,
						   ExplainState *es);
static void images_end(MaScan *scan);
static void free_run(void *arg);
static void fill_window(MaImagesScan *is);
static bool may_request(MaImagesScan *is, StreamRun *r);
static void request_page(MaImagesScan *is, int stream);
static bool next_page(MaImagesScan *is);
static void take_page(MaImagesScan *is, PageSlot *slot);
static void check_repeat(MaImagesScan *is, StreamRun *r, MaCall *call,
						 int64 page, const cJSON *images, int got, bool *end);
static void drop_stream_slots(MaImagesScan *is, int stream);
static bool hash_set_member(const uint64 *set, int size, uint64 h);
static bool honours_page(MaImagesScan *is, StreamRun *r, const cJSON *images);
static bool next_row(MaImagesScan *is, MaRowSource *src);
static bool add_listed_job(MaImagesScan *is);
static void end_missing_job(MaImagesScan *is, int64 job_id);

static const MaScanMethods images_methods = {
	images_start,
	images_next,
	images_explain,
	images_end
};

/*
 * A scan of images over conn (NULL for a plain EXPLAIN), with at most
 * in_flight pages asked ahead.  It lives in "cxt".
 */
MaScan *
ma_images_scan_create(MaConnection *conn, const char *project_id,
					  int in_flight, MemoryContext cxt)
{
	MaImagesScan *is = MemoryContextAllocZero(cxt, sizeof(MaImagesScan));

	is->base.methods = &images_methods;
	is->conn = conn;
	is->project_id = project_id;
	is->in_flight = Max(1, in_flight);
	is->run_cxt = AllocSetContextCreate(cxt, "modelarts_fdw images scan",
										ALLOCSET_DEFAULT_SIZES);
	is->run_cb.func = free_run;
	is->run_cb.arg = is;
	MemoryContextRegisterResetCallback(is->run_cxt, &is->run_cb);
	return &is->base;
}

/*
 * Free the page being delivered; the client (a child of run_cxt) has
 * cancelled its calls and freed their pages already.
 */
static void
free_run(void *arg)
{
	MaImagesScan *is = (MaImagesScan *) arg;

	/* the pages' trees live in page_cxt, a child: gone already */
	is->page_json = NULL;
	is->cur_image = NULL;
	is->image_pending = false;
	is->client = NULL;
	is->slots = NIL;
	is->plan = NULL;
	is->runs = NULL;
	is->nruns = 0;
	is->listing = false;
	memset(&is->lister, 0, sizeof(is->lister));
}

/* (Re)start the scan with the values known now. */
static void
images_start(MaScan *scan, const MaPlanInput *in)
{
	MaImagesScan *is = (MaImagesScan *) scan;
	MemoryContext oldcxt;
	ListCell   *lc;
	int			i = 0;

	MemoryContextReset(is->run_cxt);
	MemoryContextRegisterResetCallback(is->run_cxt, &is->run_cb);

	oldcxt = MemoryContextSwitchTo(is->run_cxt);
	is->plan = ma_plan_requests(in);
	is->listing = is->plan->listed;
	is->nruns = is->listing ? 0 : list_length(is->plan->streams);
	is->runs = palloc0(sizeof(StreamRun) * Max(is->nruns, 1));
	foreach(lc, is->plan->streams)
	{
		StreamRun  *r = &is->runs[i++];

		if (is->listing)
			break;
		r->s = lfirst(lc);
		r->next_request = r->s->first_page;
		r->last_allowed = -1;
	}
	is->cur = 0;
	is->slots = NIL;
	is->skip_remaining = is->plan->skip;
	is->emit_remaining = is->plan->limit;
	is->page_cxt = AllocSetContextCreate(is->run_cxt, "modelarts_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
	if (is->plan->streams != NIL)
		is->client = ma_client_create(is->conn, is->in_flight,
									  &scan->counters, is->run_cxt);
	if (is->listing && is->client)
		ma_job_lister_init(&is->lister, is->client, is->project_id,
						   is->plan->list_page_size);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * The streams of the next job of the listing whose ID is in the plan's
 * range, made from the plan's template streams; false when the listing
 * has no more.
 */
static bool
add_listed_job(MaImagesScan *is)
{
	MemoryContext oldcxt;
	cJSON	   *entry;
	int64		job_id;
	int			n = list_length(is->plan->streams);
	MaPlanValue *job;
	ListCell   *lc;

	if (!is->listing || is->client == NULL)
		return false;
	for (;;)
	{
		entry = ma_job_lister_next(&is->lister, &job_id);
		if (entry == NULL)
			return false;
		cJSON_Delete(entry);
		if (job_id >= is->plan->list_min && job_id <= is->plan->list_max)
			break;
	}

	oldcxt = MemoryContextSwitchTo(is->run_cxt);
	job = ma_plan_job(job_id);
	is->runs = repalloc(is->runs, sizeof(StreamRun) * (is->nruns + n));
	memset(&is->runs[is->nruns], 0, sizeof(StreamRun) * n);
	foreach(lc, is->plan->streams)
	{
		StreamRun  *r = &is->runs[is->nruns++];
		MaStream   *s = palloc(sizeof(MaStream));

		memcpy(s, lfirst(lc), sizeof(MaStream));
		s->job = job;
		s->job_id = job_id;
		r->s = s;
		r->next_request = s->first_page;
		r->last_allowed = -1;
	}
	MemoryContextSwitchTo(oldcxt);
	return true;
}

static void
images_end(MaScan *scan)
{
	MaImagesScan *is = (MaImagesScan *) scan;

	MemoryContextReset(is->run_cxt);
}

static void
images_explain(MaScan *scan, const MaPlanInput *in, ExplainState *es)
{
	MaImagesScan *is = (MaImagesScan *) scan;

	ma_explain_request_plan(ma_plan_requests(in), is->project_id, NIL, es);
}

/*
 * The next row, after OFFSET and before LIMIT run out: false at the end.
 * The row points into the current page, valid until the next call.
 */
static bool
images_next(MaScan *scan, MaRowSource *src)
{
	MaImagesScan *is = (MaImagesScan *) scan;

	for (;;)
	{
		if (is->emit_remaining == 0)
		{
			/* the window is full: nothing more to ask for */
			if (is->client)
				MemoryContextReset(is->run_cxt);
			return false;
		}
		if (!next_row(is, src))
			return false;
		if (is->skip_remaining > 0)
		{
			is->skip_remaining--;
			scan->rows_dropped++;
			continue;
		}
		if (is->emit_remaining > 0)
			is->emit_remaining--;
		return true;
	}
}

/*
 * The next row of the streams, before OFFSET and LIMIT: walk the tags of
 * the current image, then the next image, page, stream.
 */
static bool
next_row(MaImagesScan *is, MaRowSource *src)
{
	for (;;)
	{
		MaStream   *stream;

		if (is->image_pending)
		{
			const cJSON *image = is->cur_image;
			const char *tag = NULL;
			bool		have = false;

			stream = is->runs[is->cur].s;
			if (stream->kind == MA_STREAM_UNTAGGED)
			{
				/* one row with a NULL tag, for an image that has none */
				is->image_pending = false;
				have = (is->ntags == 0);
			}
			else if (stream->kind == MA_STREAM_TAG)
			{
				int			i;

				is->image_pending = false;
				for (i = 0; i < is->ntags; i++)
				{
					if (strcmp(is->tags[i], stream->tag->tag) == 0)
					{
						tag = is->tags[i];
						have = true;
						break;
					}
				}
			}
			else if (is->next_tag < is->ntags)
			{
				tag = is->tags[is->next_tag++];
				have = true;
				if (stream->keep_tags != NIL)
				{
					ListCell   *lc;

					have = false;
					foreach(lc, stream->keep_tags)
					{
						if (strcmp((char *) lfirst(lc), tag) == 0)
							have = true;
					}
				}
			}
			else
				is->image_pending = false;

			/* the image is done: move on, its row (if any) still valid */
			if (!is->image_pending)
				is->cur_image = is->cur_image->next;
			if (have)
			{
				src->job_id = stream->job_id;
				src->dataset_id = stream->v2 ? stream->job->tag : NULL;
				src->shape = is->plan->shape;
				src->object = image;
				src->tag = tag;
				src->tags = is->tags;
				src->ntags = is->ntags;
				return true;
			}
			continue;
		}

		if (is->cur_image != NULL)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(is->page_cxt);

			is->ntags = ma_distinct_tags(is->cur_image, is->plan->shape,
										 &is->tags);
			MemoryContextSwitchTo(oldcxt);
			is->next_tag = 0;
			is->image_pending = true;
			continue;
		}

		CHECK_FOR_INTERRUPTS();
		if (!next_page(is))
			return false;
	}
}

/*
 * Take the next page in delivery order into is->page_json, asking for
 * more pages as the rules allow.  Returns false when every stream is done.
 */
static bool
next_page(MaImagesScan *is)
{
	for (;;)
	{
		PageSlot   *head;

		if (is->cur >= is->nruns && add_listed_job(is))
			continue;
		if (is->cur >= is->nruns)
		{
			/*
			 * The natural end: the pages asked past the end of the last
			 * streams are answering now; let them, for a moment, so that
			 * their connections are kept for the next query.
			 */
			if (is->client)
				ma_client_drain(is->client, MA_DRAIN_MS);
			return false;
		}
		fill_window(is);
		head = is->slots ? linitial(is->slots) : NULL;
		if (head == NULL || head->stream != is->cur)
		{
			StreamRun  *r = &is->runs[is->cur];

			/*
			 * A stream that has not ended but whose count forbids the next
			 * page (a count that changed under us): the count is wrong,
			 * and only a short or empty page ends a stream.
			 */
			if (!r->ended && r->has_hint && !r->hint_broken &&
				is->plan->limit < 0)
			{
				r->hint_broken = true;
				continue;
			}
			/*
			 * Nothing more to ask of the current stream: the next one.  Its
			 * image IDs go (a scan of the listing may run many streams).
			 */
			if (r->prev_ids)
				pfree(r->prev_ids);
			r->prev_ids = NULL;
			r->nprev = 0;
			is->cur++;
			continue;
		}
		is->slots = list_delete_first(is->slots);
		take_page(is, head);
		if (is->cur_image != NULL)
			return true;
	}
}

/*
 * Ask for pages while the window has room: the current stream's next pages,
 * then, without a LIMIT, those of the streams after it once the current one
 * has asked for all it can for now.  The current stream may always have one
 * page asked for, even past the window, so that it never waits on pages of
 * later streams that cannot be delivered before it.
 */
static void
fill_window(MaImagesScan *is)
{
	int			i;
	bool		limited = is->plan->limit >= 0;

	for (i = is->cur;; i++)
	{
		StreamRun  *r;

		/*
		 * Every stream asked what it can, and room is left: without a
		 * LIMIT, the next job of the listing, whose first pages every
		 * scan reads anyway.
		 */
		if (i >= is->nruns &&
			(limited || list_length(is->slots) >= is->in_flight ||
			 !add_listed_job(is)))
			return;
		r = &is->runs[i];

		if (i == is->cur && limited)
		{
			int64		needed = is->skip_remaining + is->emit_remaining;

			if (needed < 0)
				needed = PG_INT64_MAX;

			/*
			 * Under a LIMIT, only pages the rows still needed can take.  A
			 * stream of one row per image may ask for ceil(needed / per_page)
			 * pages past the one delivered; the tagged stream gives one row
			 * per tag, so any page may complete the window: one at a time.
			 * The first page of a stream is sized to what is still needed
			 * (the single stream of a pushed window has its pages already).
			 */
			if (!r->answered && r->s->max_pages < 0 && r->next_request == 1)
				r->s->per_page = (int) Min((int64) r->s->per_page, needed);
			if (!ma_stream_is_exact(r->s))
				r->last_allowed = r->next_request;
			else
				r->last_allowed = Max(r->delivered_page, r->s->first_page - 1) +
					(needed + r->s->per_page - 1) / r->s->per_page;
		}

		while (may_request(is, r))
		{
			bool		has_slot = false;
			ListCell   *lc;

			if (list_length(is->slots) >= is->in_flight)
			{
				foreach(lc, is->slots)
				{
					if (((PageSlot *) lfirst(lc))->stream == i)
						has_slot = true;
				}
				if (i != is->cur || has_slot)
					return;
			}
			request_page(is, i);
		}
		if (limited)
			return;
		/* a stream that may ask for more later keeps the window for itself */
		if (!r->ended && r->answered && !(r->has_hint && !r->hint_broken) &&
			r->s->max_pages < 0)
			return;
	}
}

/* May the stream ask for its next page now? */
static bool
may_request(MaImagesScan *is, StreamRun *r)
{
	MaStream   *s = r->s;
	int64		p = r->next_request;

	if (r->ended || p > PG_INT32_MAX)
		return false;
	if (s->max_pages >= 0 && p - s->first_page >= s->max_pages)
		return false;
	if (r->last_allowed >= 0 && p > r->last_allowed)
		return false;
	/* the first page alone, until its answer tells what comes next */
	if (!r->answered && p > s->first_page)
		return false;
	if (r->has_hint && !r->hint_broken)
	{
		int64		last = (r->hint_count + s->per_page - 1) / s->per_page;

		/* a count that fills the last page exactly: one page to confirm */
		if (r->hint_count % s->per_page == 0)
			last++;
		if (p > last)
			return false;
	}
	return true;
}

/* Ask for the stream's next page; its slot goes in delivery order. */
static void
request_page(MaImagesScan *is, int stream)
{
	StreamRun  *r = &is->runs[stream];
	MemoryContext oldcxt = MemoryContextSwitchTo(is->run_cxt);
	PageSlot   *slot = palloc(sizeof(PageSlot));
	StringInfoData path;
	StringInfoData query;
	ListCell   *lc;
	int			pos = 0;

	initStringInfo(&path);
	initStringInfo(&query);
	ma_append_images_request(&path, &query, is->project_id, r->s,
							 r->s->per_page, r->next_request);
	slot->stream = stream;
	slot->page = r->next_request++;
	slot->call = ma_client_call(is->client, path.data, query.data,
								r->s->job_id);
	pfree(path.data);
	pfree(query.data);

	foreach(lc, is->slots)
	{
		PageSlot   *o = lfirst(lc);

		if (o->stream > stream || (o->stream == stream && o->page > slot->page))
			break;
		pos++;
	}
	is->slots = list_insert_nth(is->slots, pos, slot);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Wait for the slot's page and make it the current one, after checking its
 * shape, and learn from it whether the stream goes on.  A page that ends
 * the stream drops the stream's later slots.
 */
static void
take_page(MaImagesScan *is, PageSlot *slot)
{
	StreamRun  *r = &is->runs[slot->stream];
	MaStream   *s = r->s;
	cJSON	   *json;
	cJSON	   *images;
	cJSON	   *img;
	cJSON	   *count;
	int			got;
	bool		end = false;
	int64		page = slot->page;
	char	   *slot_path;
	char	   *slot_query;

	/* the previous page's rows are all out: free it before the next */
	is->page_json = NULL;
	is->cur_image = NULL;
	MemoryContextReset(is->page_cxt);

	if (ma_client_wait_unless(is->client, slot->call,
							  is->base.missing_job_empty ?
							  MA_TOLERATE_MISSING_JOB : 0) == NULL)
	{
		/* missing_job 'empty': the job has no rows */
		ma_client_discard(is->client, slot->call);
		pfree(slot);
		end_missing_job(is, s->job_id);
		return;
	}
	json = ma_client_take_json(slot->call, is->page_cxt);
	is->page_json = json;

	images = cJSON_GetObjectItemCaseSensitive(json, is->plan->shape->items);
	if (!cJSON_IsArray(images))
		ma_malformed_answer(slot->call, psprintf("no \"%s\" array",
												 is->plan->shape->items));
	got = 0;
	cJSON_ArrayForEach(img, images)
	{
		if (!cJSON_IsObject(img))
			ma_malformed_answer(slot->call,
								psprintf("an element of \"%s\" is not an object",
										 is->plan->shape->items));
		got++;
	}
	if (got > s->per_page)
		ma_malformed_answer(slot->call,
				  psprintf("%d %s on a page of %d", got,
						   is->plan->shape->items, s->per_page));

	check_repeat(is, r, slot->call, page, images, got, &end);

	/*
	 * The first page of a window that skips pages, holding images where its
	 * own count (a total: not this page's count) says the window starts
	 * past the end: the service answered the last page again, as some do
	 * past the end.  There is no page before to compare it with, and the
	 * answer contradicts itself otherwise: no rows.
	 */
	count = cJSON_GetObjectItemCaseSensitive(json, is->plan->shape->count);
	if (!r->answered && page > 1 && got > 0 && cJSON_IsNumber(count) &&
		count->valuedouble >= 0 && count->valuedouble != (double) got &&
		(double) (page - 1) * s->per_page >= count->valuedouble)
		end = true;

	slot_path = MemoryContextStrdup(is->page_cxt, slot->call->path);
	slot_query = MemoryContextStrdup(is->page_cxt, slot->call->query);
	ma_client_discard(is->client, slot->call);
	pfree(slot);

	r->answered = true;
	r->delivered_page = page;
	if (end)
	{
		/* a repeat that the count proves to be past the end: no rows */
		is->page_json = NULL;
		r->ended = true;
		drop_stream_slots(is, r - is->runs);
		return;
	}

	is->base.images_received += got;
	r->images_seen += got;

	if (cJSON_IsNumber(count) && count->valuedouble >= 0)
	{
		int64		last;

		r->has_hint = true;
		r->hint_count = (int64) Min(count->valuedouble, (double) PG_INT64_MAX / 2);
		last = (r->hint_count + s->per_page - 1) / s->per_page;

		/*
		 * Images on a page past the count, or a full page where the count
		 * said a short one: the count is not the total (the count of the
		 * page, say).  Pages go on without it.
		 */
		if ((page > last && got > 0) ||
			(page == last && got == s->per_page &&
			 r->hint_count % s->per_page != 0))
			r->hint_broken = true;
	}

	/*
	 * A short page whose own count says more images follow: the service
	 * contradicts itself, and ending the stream here would silently drop
	 * rows.
	 */
	if (got < s->per_page && r->has_hint &&
		r->hint_count > (page - 1) * s->per_page + got)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("malformed answer from ModelArts: page " INT64_FORMAT " has %d %s of %d, but its %s says " INT64_FORMAT,
						page, got, is->plan->shape->items, s->per_page,
						is->plan->shape->count, r->hint_count),
				 errdetail("A short page ends a stream; a count of more images than the pages hold contradicts it."),
				 errcontext("remote request: GET %s?%s", slot_path, slot_query)));

	if (got < s->per_page ||
		(s->max_pages >= 0 && page - s->first_page + 1 >= s->max_pages))
	{
		r->ended = true;
		drop_stream_slots(is, r - is->runs);
	}

	is->cur_image = images->child;
	is->image_pending = false;
}

/*
 * Compare a page's image_ids with the previous page's of the stream, and
 * remember them for the next.  The same images again: the end if the
 * count says every image was seen (a server that answers the last page
 * again past the end), else an error.  Some of them again: an error.
 */
static void
check_repeat(MaImagesScan *is, StreamRun *r, MaCall *call, int64 page,
			 const cJSON *images, int got, bool *end)
{
	int			size = 16;
	uint64	   *ids;
	const cJSON *img;
	int			n = 0;
	int			shared = 0;
	bool		compare = r->prev_ids && r->delivered_page == page - 1;

	/* an open-addressing set of the ids' hashes, at most half full */
	while (size < 2 * got)
		size *= 2;
	ids = MemoryContextAllocZero(is->run_cxt, sizeof(uint64) * size);
	cJSON_ArrayForEach(img, images)
	{
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(img, is->plan->shape->id);
		uint64		h;
		int			i;

		if (!cJSON_IsString(id))
			continue;
		/* 0 marks an empty slot */
		h = hash_bytes_extended((const unsigned char *) id->valuestring,
								strlen(id->valuestring), 0) | 1;
		if (compare && hash_set_member(r->prev_ids, r->nprev_slots, h))
			shared++;
		for (i = h & (size - 1); ids[i] != 0 && ids[i] != h; i = (i + 1) & (size - 1))
			;
		if (ids[i] == 0)
		{
			ids[i] = h;
			n++;
		}
	}

	if (shared > 0 && shared == n && n == r->nprev)
	{
		/* the images before the stream's first page count as seen */
		int64		seen = r->images_seen +
			(r->s->first_page - 1) * (int64) r->s->per_page;

		/*
		 * The end, if the count (a total) says every image was read, or,
		 * with no count to trust, if the service was seen to honour
		 * "page" (a page of this stream differed from the one before):
		 * then the repeat is its way of answering past the end.  Else it
		 * may ignore "page": an error rather than rows read forever or
		 * silently too few.
		 */
		if (r->has_hint && !r->hint_broken ? seen >= r->hint_count :
			(r->advanced || honours_page(is, r, images)))
			*end = true;
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("malformed answer from ModelArts: page " INT64_FORMAT " repeats page " INT64_FORMAT,
							page, page - 1),
					 errdetail("The %d images of the answer are those of the page before; " INT64_FORMAT " images were read of this stream%s.",
							   n, seen,
							   r->has_hint ? psprintf(", of %lld counted", (long long) r->hint_count) : ""),
					 errhint("The service seems to ignore the page parameter."),
					 errcontext("remote request: GET %s?%s", call->path, call->query)));
	}
	else if (shared > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("malformed answer from ModelArts: page " INT64_FORMAT " overlaps page " INT64_FORMAT,
						page, page - 1),
				 errdetail("%d of its %d images were on the page before: the order of the images is not stable between requests.",
						   shared, n),
				 errcontext("remote request: GET %s?%s", call->path, call->query)));

	/* a page that follows another and differs: the service honours "page" */
	if (compare && shared == 0 && n > 0)
		r->advanced = true;

	if (r->prev_ids)
		pfree(r->prev_ids);
	r->prev_ids = ids;
	r->nprev = n;
	r->nprev_slots = size;
}

/*
 * A stream's second page repeats its first, and no count says whether the
 * stream ended: does the service honour "page" (and so answers past the end
 * with the last page again), or ignore it (and would answer page 1 for
 * ever)?  One request decides: page per_page of one image each is the last
 * image of the first page if "page" is honoured, the first one if not.
 * "images" is the repeated page, in the service's order.
 */
static bool
honours_page(MaImagesScan *is, StreamRun *r, const cJSON *images)
{
	const cJSON *first = cJSON_GetArrayItem(images, 0);
	const cJSON *last = cJSON_GetArrayItem(images, cJSON_GetArraySize(images) - 1);
	const cJSON *answer;
	const cJSON *got;
	StringInfoData path;
	StringInfoData query;
	MaCall	   *probe;
	bool		result;

	first = cJSON_GetObjectItemCaseSensitive(first, is->plan->shape->id);
	last = cJSON_GetObjectItemCaseSensitive(last, is->plan->shape->id);
	if (r->s->per_page < 2 || !cJSON_IsString(first) || !cJSON_IsString(last))
		return false;

	initStringInfo(&path);
	initStringInfo(&query);
	ma_append_images_request(&path, &query, is->project_id, r->s, 1,
							 r->s->per_page);
	probe = ma_client_call(is->client, path.data, query.data, r->s->job_id);
	answer = ma_client_wait(is->client, probe);
	got = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(answer, is->plan->shape->items), 0);
	got = cJSON_GetObjectItemCaseSensitive(got, is->plan->shape->id);
	result = cJSON_IsString(got) && strcmp(got->valuestring, last->valuestring) == 0 &&
		strcmp(got->valuestring, first->valuestring) != 0;
	ma_client_discard(is->client, probe);
	pfree(path.data);
	pfree(query.data);
	return result;
}

/* Is h in the open-addressing set of check_repeat? */
static bool
hash_set_member(const uint64 *set, int size, uint64 h)
{
	int			i;

	for (i = h & (size - 1); set[i] != 0; i = (i + 1) & (size - 1))
	{
		if (set[i] == h)
			return true;
	}
	return false;
}

/* End every stream of a job that does not exist, with a WARNING. */
static void
end_missing_job(MaImagesScan *is, int64 job_id)
{
	int			i;

	ma_missing_job(&is->base, job_id);
	for (i = 0; i < is->nruns; i++)
	{
		if (is->runs[i].s->job_id != job_id || is->runs[i].ended)
			continue;
		is->runs[i].ended = true;
		drop_stream_slots(is, i);
	}
}

/* Cancel and forget the slots of a stream that ended. */
static void
drop_stream_slots(MaImagesScan *is, int stream)
{
	ListCell   *lc;

	foreach(lc, is->slots)
	{
		PageSlot   *slot = lfirst(lc);

		if (slot->stream != stream)
			continue;
		/* pages past the end: let them finish, keeping their connections */
		ma_client_forget(is->client, slot->call);
		is->slots = foreach_delete_current(is->slots, lc);
		pfree(slot);
	}
}
