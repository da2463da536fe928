/*
 * dataset.c
 *		Load a dataset from a JSON file, or generate one from a seed, into the
 *		compact in-memory form the server pages through.
 *
 * cJSON is used only while loading: each image is validated, printed back
 * to a compact JSON text (which keeps unknown keys, so the FDW can map extra
 * columns), copied into a string arena, and its cJSON tree freed.  What stays
 * resident per image is that text plus a few 4-byte index entries: a million
 * generated images fit in a few hundred megabytes.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emulator.h"

/* ---- string arena ---- */

#define ARENA_CHUNK (16 * 1024 * 1024)

typedef struct ArenaChunk
{
	struct ArenaChunk *next;
	char		data[];
} ArenaChunk;

static ArenaChunk *arena_head;
static char *arena_cur;
static size_t arena_left;

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (!p)
	{
		fprintf(stderr, "modelarts-emulator: out of memory\n");
		exit(1);
	}
	return p;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
	{
		fprintf(stderr, "modelarts-emulator: out of memory\n");
		exit(1);
	}
	return p;
}

/* Copy n bytes plus a NUL into the arena; the arena lives until exit. */
static const char *
arena_copy(const char *s, size_t n)
{
	char	   *p;

	if (n + 1 > arena_left)
	{
		size_t		sz = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
		ArenaChunk *c = xmalloc(sizeof(ArenaChunk) + sz);

		c->next = arena_head;
		arena_head = c;
		arena_cur = c->data;
		arena_left = sz;
	}
	p = arena_cur;
	memcpy(p, s, n);
	p[n] = '\0';
	arena_cur += n + 1;
	arena_left -= n + 1;
	return p;
}

static const char *
arena_str(const char *s)
{
	return arena_copy(s, strlen(s));
}

/* ---- per-job tag table under construction ---- */

typedef struct TagTable
{
	Tag		   *tags;
	uint32_t	ntags;
	uint32_t	cap;
	uint32_t   *slots;			/* open addressing: tag index + 1, 0 = empty */
	uint32_t	nslots;
} TagTable;

static uint32_t
hash_str(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) s[i]) * 16777619u;
	return h;
}

static void
tt_init(TagTable *tt)
{
	tt->tags = NULL;
	tt->ntags = tt->cap = 0;
	tt->nslots = 64;
	tt->slots = calloc(tt->nslots, sizeof(uint32_t));
}

static void
tt_rehash(TagTable *tt)
{
	free(tt->slots);
	tt->nslots *= 2;
	tt->slots = calloc(tt->nslots, sizeof(uint32_t));
	for (uint32_t i = 0; i < tt->ntags; i++)
	{
		const char *nm = tt->tags[i].name;
		uint32_t	h = hash_str(nm, strlen(nm)) & (tt->nslots - 1);

		while (tt->slots[h])
			h = (h + 1) & (tt->nslots - 1);
		tt->slots[h] = i + 1;
	}
}

/*
 * Record that image img carries tag name.  Images must be fed in ascending
 * index order; a tag repeated on one image (detection boxes) is kept once,
 * because every count the API reports is a count of images.
 */
static void
tt_add(TagTable *tt, const char *name, uint32_t img)
{
	size_t		n = strlen(name);
	uint32_t	h = hash_str(name, n) & (tt->nslots - 1);
	Tag		   *t;

	while (tt->slots[h])
	{
		t = &tt->tags[tt->slots[h] - 1];
		if (strcmp(t->name, name) == 0)
			goto found;
		h = (h + 1) & (tt->nslots - 1);
	}
	if (tt->ntags == tt->cap)
	{
		tt->cap = tt->cap ? tt->cap * 2 : 16;
		tt->tags = xrealloc(tt->tags, tt->cap * sizeof(Tag));
	}
	t = &tt->tags[tt->ntags];
	t->name = arena_copy(name, n);
	t->idx = NULL;
	t->count = t->cap = t->instances = 0;
	tt->slots[h] = ++tt->ntags;
	if (tt->ntags * 2 > tt->nslots)
		tt_rehash(tt);
	/* the rehash may have moved nothing but the slots; t is still valid */
	t = &tt->tags[tt->ntags - 1];

found:
	t->instances++;
	if (t->count && t->idx[t->count - 1] == img)
		return;
	if (t->count == t->cap)
	{
		t->cap = t->cap ? t->cap * 2 : 8;
		t->idx = xrealloc(t->idx, t->cap * sizeof(uint32_t));
	}
	t->idx[t->count++] = img;
}

static int
tag_cmp(const void *a, const void *b)
{
	return strcmp(((const Tag *) a)->name, ((const Tag *) b)->name);
}

/* Hand the finished tag table over to the job, sorted by name. */
static void
tt_finish(TagTable *tt, Job *job)
{
	free(tt->slots);
	qsort(tt->tags, tt->ntags, sizeof(Tag), tag_cmp);
	for (uint32_t i = 0; i < tt->ntags; i++)
		tt->tags[i].idx = xrealloc(tt->tags[i].idx,
								   tt->tags[i].count * sizeof(uint32_t));
	job->tags = tt->tags;
	job->ntags = tt->ntags;
}

/* Append image i to the tagged or untagged index of job. */
static void
job_note_tagged(Job *job, uint32_t i, bool has_tag, uint32_t *cap_t, uint32_t *cap_u)
{
	if (has_tag)
	{
		if (job->ntagged == *cap_t)
		{
			*cap_t = *cap_t ? *cap_t * 2 : 64;
			job->tagged = xrealloc(job->tagged, *cap_t * sizeof(uint32_t));
		}
		job->tagged[job->ntagged++] = i;
	}
	else
	{
		if (job->nuntagged == *cap_u)
		{
			*cap_u = *cap_u ? *cap_u * 2 : 64;
			job->untagged = xrealloc(job->untagged, *cap_u * sizeof(uint32_t));
		}
		job->untagged[job->nuntagged++] = i;
	}
}

/* Build the fixed part of an images answer: project_id .. versions. */
static void
job_build_header(Job *job, int64_t version_num, const char *versions_json)
{
	Buf			b;

	buf_init(&b, 512);
	buf_puts(&b, "\"project_id\":");
	json_i64(&b, job->id);
	buf_puts(&b, ",\"project_name\":");
	json_str(&b, job->name);
	buf_puts(&b, ",\"project_desc\":");
	json_str(&b, job->desc);
	buf_puts(&b, ",\"project_type\":");
	json_i64(&b, job->type);
	buf_puts(&b, ",\"create_time\":");
	json_i64(&b, job->create_time);
	buf_puts(&b, ",\"version_num\":");
	json_i64(&b, version_num);
	buf_puts(&b, ",\"data_path\":");
	json_str(&b, job->path);
	buf_puts(&b, ",\"versions\":");
	buf_puts(&b, versions_json);
	job->header = arena_copy(b.data, b.len);
	job->header_len = b.len;
	buf_free(&b);
}

static int
job_cmp(const void *a, const void *b)
{
	const Job  *x = a,
			   *y = b;

	if (x->create_time != y->create_time)
		return x->create_time < y->create_time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool
finish_dataset(Dataset *d, char *err, size_t errlen, const char *file)
{
	qsort(d->jobs, d->njobs, sizeof(Job), job_cmp);
	for (int i = 0; i < d->njobs; i++)
		for (int j = i + 1; j < d->njobs; j++)
			if (d->jobs[i].id == d->jobs[j].id ||
				strcmp(d->jobs[i].dataset_id, d->jobs[j].dataset_id) == 0)
			{
				if (d->jobs[i].id == d->jobs[j].id)
					snprintf(err, errlen, "%s: jobs: duplicate project_id %" PRId64,
							 file, d->jobs[i].id);
				else
					snprintf(err, errlen, "%s: jobs: duplicate dataset_id \"%s\"",
							 file, d->jobs[i].dataset_id);
				return false;
			}
	return true;
}

/* ---- loading a data file ---- */

static bool
is_hex32(const char *s)
{
	if (strlen(s) != 32)
		return false;
	for (int i = 0; i < 32; i++)
		if (!isxdigit((unsigned char) s[i]))
			return false;
	return true;
}

static bool
is_integer(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == (double) (int64_t) v->valuedouble;
}

typedef struct LoadCtx
{
	const char *file;
	char	   *err;
	size_t		errlen;
} LoadCtx;

static bool
fail(LoadCtx *lc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool
fail(LoadCtx *lc, const char *fmt, ...)
{
	va_list		ap;
	int			n = snprintf(lc->err, lc->errlen, "%s: ", lc->file);

	if (n < 0 || (size_t) n >= lc->errlen)
		return false;
	va_start(ap, fmt);
	vsnprintf(lc->err + n, lc->errlen - n, fmt, ap);
	va_end(ap);
	return false;
}

typedef struct PendingImage
{
	const char *id;
	cJSON	   *item;
	int			pos;			/* index in the file, for messages */
} PendingImage;

static int
pending_cmp(const void *a, const void *b)
{
	return strcmp(((const PendingImage *) a)->id, ((const PendingImage *) b)->id);
}

/* Fetch optional member key; when present it must satisfy check. */
#define OPT_MEMBER(obj, key, check, what, path, ...) \
	({ cJSON *m_ = cJSON_GetObjectItemCaseSensitive(obj, key); \
	   if (m_ && !(check(m_))) \
		   return fail(lc, path ".%s: expected %s", __VA_ARGS__, key, what); \
	   m_; })

static bool
is_nonneg_integer(const cJSON *v)
{
	return is_integer(v) && v->valuedouble >= 0;
}

static bool
is_type(const cJSON *v)
{
	return is_integer(v) && (v->valuedouble == 0 || v->valuedouble == 1);
}

static bool
is_size(const cJSON *v)
{
	const cJSON *e;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
		return false;
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsNumber(e))
		return false;
	return true;
}

static bool
load_job(LoadCtx *lc, int ji, cJSON *jo, Job *job)
{
	cJSON	   *pid,
			   *name,
			   *desc,
			   *ptype,
			   *ctime,
			   *vnum,
			   *dpath,
			   *versions,
			   *images,
			   *jid,
			   *img;
	char	   *vtext;
	PendingImage *pend;
	int			n,
				k;
	TagTable	tt;
	uint32_t	cap_t = 0,
				cap_u = 0;
	Buf			ib;

	memset(job, 0, sizeof(*job));
	if (!cJSON_IsObject(jo))
		return fail(lc, "jobs[%d]: expected an object", ji);

	pid = cJSON_GetObjectItemCaseSensitive(jo, "project_id");
	if (!pid || !is_nonneg_integer(pid))
		return fail(lc, "jobs[%d].project_id: expected a non-negative integer", ji);
	job->id = (int64_t) pid->valuedouble;
	name = cJSON_GetObjectItemCaseSensitive(jo, "project_name");
	if (!cJSON_IsString(name))
		return fail(lc, "jobs[%d].project_name: expected a string", ji);
	job->name = arena_str(name->valuestring);
	desc = OPT_MEMBER(jo, "project_desc", cJSON_IsString, "a string", "jobs[%d]", ji);
	job->desc = arena_str(desc ? desc->valuestring : "");
	ptype = OPT_MEMBER(jo, "project_type", is_type, "0 or 1", "jobs[%d]", ji);
	job->type = ptype ? (int) ptype->valuedouble : 0;
	ctime = OPT_MEMBER(jo, "create_time", is_nonneg_integer, "a non-negative integer", "jobs[%d]", ji);
	job->create_time = ctime ? (int64_t) ctime->valuedouble : 0;
	vnum = OPT_MEMBER(jo, "version_num", is_nonneg_integer, "a non-negative integer", "jobs[%d]", ji);
	dpath = OPT_MEMBER(jo, "data_path", cJSON_IsString, "a string", "jobs[%d]", ji);
	job->path = arena_str(dpath ? dpath->valuestring : "");
	versions = OPT_MEMBER(jo, "versions", cJSON_IsArray, "an array", "jobs[%d]", ji);
	jid = OPT_MEMBER(jo, "job_id", cJSON_IsString, "a string", "jobs[%d]", ji);
	{
		cJSON	   *did = OPT_MEMBER(jo, "dataset_id", cJSON_IsString, "a string",
									 "jobs[%d]", ji);
		char		tmp[40];

		/* v2's dataset ID: the key, or "ds" and the job's numeric ID */
		snprintf(tmp, sizeof(tmp), "ds%" PRId64, job->id);
		if (did && (did->valuestring[0] == '\0' || strlen(did->valuestring) >= 128))
			return fail(lc, "jobs[%d].dataset_id: expected 1 to 127 bytes", ji);
		job->dataset_id = arena_str(did ? did->valuestring : tmp);
	}
	if (jid)
		job->job_id = arena_str(jid->valuestring);
	else
	{
		char		tmp[40];

		snprintf(tmp, sizeof(tmp), "job-%" PRId64, job->id);
		job->job_id = arena_str(tmp);
	}
	images = cJSON_GetObjectItemCaseSensitive(jo, "images");
	if (!cJSON_IsArray(images))
		return fail(lc, "jobs[%d].images: expected an array", ji);

	vtext = versions ? cJSON_PrintUnformatted(versions) : NULL;
	job_build_header(job, vnum ? (int64_t) vnum->valuedouble
					 : (versions ? cJSON_GetArraySize(versions) : 0),
					 vtext ? vtext : "[]");
	job->versions_json = arena_str(vtext ? vtext : "[]");
	free(vtext);

	/* validate every image, then sort by image_id */
	n = cJSON_GetArraySize(images);
	pend = xmalloc(sizeof(PendingImage) * (n ? n : 1));
	k = 0;
	cJSON_ArrayForEach(img, images)
	{
		cJSON	   *id,
				   *tags,
				   *t;
		int			ti = 0;

		if (!cJSON_IsObject(img))
		{
			free(pend);
			return fail(lc, "jobs[%d].images[%d]: expected an object", ji, k);
		}
		id = cJSON_GetObjectItemCaseSensitive(img, "image_id");
		if (!cJSON_IsString(id))
		{
			free(pend);
			return fail(lc, "jobs[%d].images[%d].image_id: expected a string", ji, k);
		}
		if (!is_hex32(id->valuestring))
		{
			free(pend);
			return fail(lc, "jobs[%d].images[%d].image_id: expected 32 hex digits, got \"%s\"",
						ji, k, id->valuestring);
		}
#define IMG_CHECK(key, check, what) \
		do { cJSON *m_ = cJSON_GetObjectItemCaseSensitive(img, key); \
			 if (m_ && !(check(m_))) { free(pend); \
				return fail(lc, "jobs[%d].images[%d].%s: expected %s", ji, k, key, what); } \
		} while (0)
		IMG_CHECK("image_name", cJSON_IsString, "a string");
		IMG_CHECK("url", cJSON_IsString, "a string");
		IMG_CHECK("size", is_size, "an array of two numbers [width, height]");
		IMG_CHECK("create_time", is_nonneg_integer, "a non-negative integer");
		IMG_CHECK("tags", cJSON_IsArray, "an array");
		tags = cJSON_GetObjectItemCaseSensitive(img, "tags");
		cJSON_ArrayForEach(t, tags)
		{
			if (job->type == 0 && !cJSON_IsString(t))
			{
				free(pend);
				return fail(lc, "jobs[%d].images[%d].tags[%d]: expected a string (classification job)",
							ji, k, ti);
			}
			if (job->type == 1 &&
				!(cJSON_IsObject(t) &&
				  cJSON_IsString(cJSON_GetObjectItemCaseSensitive(t, "tag"))))
			{
				free(pend);
				return fail(lc, "jobs[%d].images[%d].tags[%d]: expected an object with a string \"tag\" (detection job)",
							ji, k, ti);
			}
			ti++;
		}
		pend[k].id = id->valuestring;
		pend[k].item = img;
		pend[k].pos = k;
		k++;
	}
	qsort(pend, n, sizeof(PendingImage), pending_cmp);
	for (int i = 1; i < n; i++)
		if (strcmp(pend[i - 1].id, pend[i].id) == 0)
		{
			int			a = pend[i - 1].pos < pend[i].pos ? pend[i - 1].pos : pend[i].pos;
			int			b = pend[i - 1].pos < pend[i].pos ? pend[i].pos : pend[i - 1].pos;

			fail(lc, "jobs[%d].images[%d].image_id: duplicate of images[%d].image_id \"%s\"",
				 ji, b, a, pend[i].id);
			free(pend);
			return false;
		}

	job->images = xmalloc(sizeof(Image) * (n ? n : 1));
	job->nimages = n;
	tt_init(&tt);
	buf_init(&ib, 1024);
	for (int i = 0; i < n; i++)
	{
		cJSON	   *tags = cJSON_GetObjectItemCaseSensitive(pend[i].item, "tags");
		cJSON	   *t;
		bool		has = false;
		char	   *text;

		/* --variant size-detection-only: "size" is for detection jobs */
		if (cfg.size_detection_only && job->type == 0)
			cJSON_DeleteItemFromObjectCaseSensitive(pend[i].item, "size");
		text = cJSON_PrintUnformatted(pend[i].item);

		job->images[i].json = arena_str(text);
		job->images[i].len = (uint32_t) strlen(text);
		free(text);
		cJSON_ArrayForEach(t, tags)
		{
			const char *nm = job->type == 0 ? t->valuestring :
				cJSON_GetObjectItemCaseSensitive(t, "tag")->valuestring;

			tt_add(&tt, nm, (uint32_t) i);
			has = true;
		}
		job_note_tagged(job, (uint32_t) i, has, &cap_t, &cap_u);
	}
	buf_free(&ib);
	tt_finish(&tt, job);
	free(pend);
	return true;
}

static void
line_col(const char *text, const char *pos, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *p = text; p < pos; p++)
	{
		if (*p == '\n')
		{
			(*line)++;
			*col = 1;
		}
		else if (((unsigned char) *p & 0xC0) != 0x80)
			(*col)++;			/* count characters, not UTF-8 bytes */
	}
}

bool
dataset_load(Dataset *d, const char *file, char *err, size_t errlen)
{
	LoadCtx		lcs = {file, err, errlen},
			   *lc = &lcs;
	FILE	   *f;
	char	   *text;
	long		size;
	size_t		got;
	const char *end = NULL;
	cJSON	   *root,
			   *pid,
			   *jobs,
			   *jo;
	int			ji = 0;
	bool		ok = true;

	memset(d, 0, sizeof(*d));
	f = fopen(file, "rb");
	if (!f)
		return fail(lc, "%s", strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
	{
		fclose(f);
		return fail(lc, "cannot read: %s", strerror(errno));
	}
	rewind(f);
	text = xmalloc((size_t) size + 1);
	got = fread(text, 1, (size_t) size, f);
	fclose(f);
	if (got != (size_t) size)
	{
		free(text);
		return fail(lc, "short read");
	}
	text[size] = '\0';
	if (strlen(text) != (size_t) size)
	{
		int			line,
					col;

		line_col(text, text + strlen(text), &line, &col);
		free(text);
		return fail(lc, "line %d, column %d: NUL byte in file", line, col);
	}

	root = cJSON_ParseWithOpts(text, &end, 0);
	if (!root)
	{
		const char *pos = cJSON_GetErrorPtr();
		int			line,
					col;

		if (!pos || pos < text || pos > text + size)
			pos = text + size;
		line_col(text, pos, &line, &col);
		if (*pos == '\0')
			fail(lc, "line %d, column %d: unexpected end of file (incomplete JSON)", line, col);
		else
			fail(lc, "line %d, column %d: invalid JSON near \"%.20s\"", line, col, pos);
		free(text);
		return false;
	}
	while (end && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end && *end)
	{
		int			line,
					col;

		line_col(text, end, &line, &col);
		fail(lc, "line %d, column %d: unexpected text after the JSON document", line, col);
		cJSON_Delete(root);
		free(text);
		return false;
	}
	free(text);

	if (!cJSON_IsObject(root))
	{
		cJSON_Delete(root);
		return fail(lc, "expected a JSON object {\"project_id\": ..., \"jobs\": [...]} at the top level");
	}
	pid = cJSON_GetObjectItemCaseSensitive(root, "project_id");
	if (!cJSON_IsString(pid))
		ok = fail(lc, "project_id: expected a string");
	else if (!is_hex32(pid->valuestring))
		ok = fail(lc, "project_id: expected 32 hex digits, got \"%s\"", pid->valuestring);
	else
		memcpy(d->project_id, pid->valuestring, 33);
	jobs = cJSON_GetObjectItemCaseSensitive(root, "jobs");
	if (ok && !cJSON_IsArray(jobs))
		ok = fail(lc, "jobs: expected an array");
	if (ok)
	{
		d->jobs = calloc(cJSON_GetArraySize(jobs) + 1, sizeof(Job));
		cJSON_ArrayForEach(jo, jobs)
		{
			if (!load_job(lc, ji, jo, &d->jobs[ji]))
			{
				ok = false;
				break;
			}
			d->njobs = ++ji;
		}
	}
	cJSON_Delete(root);
	if (ok)
		ok = finish_dataset(d, err, errlen, file);
	return ok;
}

/* ---- generating a dataset ---- */

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t	z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

typedef struct GenSpec
{
	uint64_t	seed;
	long		jobs;
	long		images;
	long		tags;
	double		untagged;
	long		detection;
	long		boxes;
} GenSpec;

static bool
parse_gen_spec(const char *spec, GenSpec *g, char *err, size_t errlen)
{
	char	   *copy = strdup(spec),
			   *save = NULL,
			   *tok;
	bool		ok = true;

	g->seed = 1;
	g->jobs = 1;
	g->images = 1000;
	g->tags = 10;
	g->untagged = 0.1;
	g->detection = 0;
	g->boxes = 3;
	for (tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save))
	{
		char	   *eq = strchr(tok, '='),
				   *e;
		long		v;

		if (!eq)
		{
			snprintf(err, errlen, "--generate: \"%s\": expected key=value", tok);
			ok = false;
			break;
		}
		*eq++ = '\0';
		if (strcmp(tok, "untagged") == 0)
		{
			g->untagged = strtod(eq, &e);
			if (e == eq || *e || g->untagged < 0 || g->untagged > 1)
			{
				snprintf(err, errlen, "--generate: untagged: expected a fraction between 0 and 1, got \"%s\"", eq);
				ok = false;
			}
			continue;
		}
		if (strcmp(tok, "seed") != 0 && strcmp(tok, "jobs") != 0 &&
			strcmp(tok, "images") != 0 && strcmp(tok, "tags") != 0 &&
			strcmp(tok, "detection") != 0 && strcmp(tok, "boxes") != 0)
		{
			snprintf(err, errlen, "--generate: unknown key \"%s\" (valid: seed, jobs, images, tags, untagged, detection, boxes)", tok);
			ok = false;
			break;
		}
		errno = 0;
		v = strtol(eq, &e, 10);
		if (e == eq || *e || errno || v < 0)
		{
			snprintf(err, errlen, "--generate: %s: expected a non-negative integer, got \"%s\"", tok, eq);
			ok = false;
		}
		else if (strcmp(tok, "seed") == 0)
			g->seed = (uint64_t) v;
		else if (strcmp(tok, "jobs") == 0)
			g->jobs = v;
		else if (strcmp(tok, "images") == 0)
			g->images = v;
		else if (strcmp(tok, "tags") == 0)
			g->tags = v;
		else if (strcmp(tok, "detection") == 0)
			g->detection = v;
		else if (strcmp(tok, "boxes") == 0)
			g->boxes = v;
		else
		{
			snprintf(err, errlen, "--generate: unknown key \"%s\" (valid: seed, jobs, images, tags, untagged, detection, boxes)", tok);
			ok = false;
		}
	}
	free(copy);
	if (ok && (g->jobs < 1 || g->jobs > 1000))
	{
		snprintf(err, errlen, "--generate: jobs must be between 1 and 1000");
		ok = false;
	}
	if (ok && g->images * g->jobs > 50000000L)
	{
		snprintf(err, errlen, "--generate: at most 50000000 images in total");
		ok = false;
	}
	if (ok && (g->tags < 1 || g->tags > 100000))
	{
		snprintf(err, errlen, "--generate: tags must be between 1 and 100000");
		ok = false;
	}
	if (ok && (g->boxes < 1 || g->boxes > 100))
	{
		snprintf(err, errlen, "--generate: boxes must be between 1 and 100");
		ok = false;
	}
	return ok;
}

/* A skewed pick in [0, n): low tag numbers are common, high ones rare. */
static uint32_t
pick_tag(uint64_t *s, uint32_t n)
{
	uint32_t	a = (uint32_t) (splitmix64(s) % n),
				b = (uint32_t) (splitmix64(s) % n);

	return a < b ? a : b;
}

bool
dataset_generate(Dataset *d, const char *spec, char *err, size_t errlen)
{
	static const int sizes[][2] = {{1920, 1080}, {1280, 720}, {640, 480}, {4032, 3024}, {800, 600}};
	GenSpec		g;
	uint64_t	s;
	char	  **tagnames;
	int			width = 2;
	Buf			b;

	memset(d, 0, sizeof(*d));
	if (!parse_gen_spec(spec, &g, err, errlen))
		return false;
	strcpy(d->project_id, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
	s = g.seed;

	for (long t = g.tags - 1; t >= 100; t /= 10)
		width++;
	tagnames = xmalloc(sizeof(char *) * g.tags);
	for (long t = 0; t < g.tags; t++)
	{
		char		tmp[48];

		snprintf(tmp, sizeof(tmp), "tag-%0*ld", width > 10 ? 10 : width, t);
		tagnames[t] = strdup(tmp);
	}

	d->jobs = calloc(g.jobs, sizeof(Job));
	d->njobs = (int) g.jobs;
	buf_init(&b, 1024);
	for (long j = 0; j < g.jobs; j++)
	{
		Job		   *job = &d->jobs[j];
		uint32_t	n = (uint32_t) g.images;
		uint64_t	step = n ? UINT64_MAX / n : 0;
		TagTable	tt;
		uint32_t	cap_t = 0,
					cap_u = 0;
		char		tmp[128];

		job->id = j + 1;
		job->type = (g.detection && j == g.jobs - 1) ? 1 : 0;
		snprintf(tmp, sizeof(tmp), "generated-%ld", j + 1);
		job->name = arena_str(tmp);
		snprintf(tmp, sizeof(tmp), "job-%ld", j + 1);
		job->job_id = arena_str(tmp);
		snprintf(tmp, sizeof(tmp), "generated by --generate seed=%" PRIu64, g.seed);
		job->desc = arena_str(tmp);
		snprintf(tmp, sizeof(tmp), "/gen-bucket/generated-%ld/", j + 1);
		job->path = arena_str(tmp);
		job->create_time = 1565000000000LL + j * 86400000LL;

		b.len = 0;
		buf_printf(&b, "[{\"version_id\":\"v%08" PRIx64 "\",\"version_name\":\"V001\","
				   "\"version_desc\":\"\",\"file_count\":%u,\"status\":1,\"create_time\":%" PRId64 "}]",
				   splitmix64(&s) & 0xffffffffu, n, job->create_time + 3600000);
		job_build_header(job, 1, b.data);
		job->versions_json = arena_copy(b.data, b.len);
		snprintf(tmp, sizeof(tmp), "ds%ld", j + 1);
		job->dataset_id = arena_str(tmp);

		job->images = xmalloc(sizeof(Image) * (n ? n : 1));
		job->nimages = n;
		tt_init(&tt);
		for (uint32_t i = 0; i < n; i++)
		{
			/* high half strictly increasing: ids come out sorted and unique */
			uint64_t	hi = (uint64_t) i * step + splitmix64(&s) % (step ? step : 1);
			uint64_t	lo = splitmix64(&s);
			const int  *sz = sizes[splitmix64(&s) % 5];
			bool		untagged = (double) (splitmix64(&s) >> 11) / 9007199254740992.0 < g.untagged;
			int			ntag;

			b.len = 0;
			buf_printf(&b, "{\"image_id\":\"%016" PRIx64 "%016" PRIx64 "\","
					   "\"image_name\":\"IMG_%07u.jpg\","
					   "\"url\":\"https://gen-bucket.obs.cn-north-4.myhuaweicloud.com/generated-%ld/IMG_%07u.jpg\",",
					   hi, lo, i + 1, j + 1, i + 1);
			if (!(cfg.size_detection_only && job->type == 0))
				buf_printf(&b, "\"size\":[%d,%d],", sz[0], sz[1]);
			buf_puts(&b, "\"tags\":[");
			if (untagged)
				ntag = 0;
			else if (job->type == 0)
				ntag = 1 + (int) (splitmix64(&s) % 3);
			else
				ntag = 1 + (int) (splitmix64(&s) % (uint64_t) g.boxes);
			if (job->type == 0 && ntag > g.tags)
				ntag = (int) g.tags;
			/* classification tags are distinct on an image; boxes may repeat */
			{
				uint32_t	chosen[100];
				int			nc = 0;

				for (int k = 0; k < ntag; k++)
				{
					uint32_t	t = pick_tag(&s, (uint32_t) g.tags);

					if (job->type == 0)
					{
						bool		dup = false;

						for (int q = 0; q < nc; q++)
							dup |= chosen[q] == t;
						if (dup)
						{
							/* walk to the next unused tag, deterministic */
							do
							{
								t = (t + 1) % (uint32_t) g.tags;
								dup = false;
								for (int q = 0; q < nc; q++)
									dup |= chosen[q] == t;
							} while (dup);
						}
					}
					chosen[nc++] = t;
				}
				for (int k = 0; k < nc; k++)
				{
					if (k)
						buf_putc(&b, ',');
					if (job->type == 0)
						json_str(&b, tagnames[chosen[k]]);
					else
					{
						uint32_t	x = (uint32_t) (splitmix64(&s) % (uint64_t) (sz[0] / 2));
						uint32_t	y = (uint32_t) (splitmix64(&s) % (uint64_t) (sz[1] / 2));

						buf_puts(&b, "{\"tag\":");
						json_str(&b, tagnames[chosen[k]]);
						buf_printf(&b, ",\"pos\":[%u,%u,%u,%u]}", x, y,
								   x + 10 + (uint32_t) (splitmix64(&s) % (uint64_t) (sz[0] / 2)),
								   y + 10 + (uint32_t) (splitmix64(&s) % (uint64_t) (sz[1] / 2)));
					}
					tt_add(&tt, tagnames[chosen[k]], i);
				}
				buf_printf(&b, "],\"create_time\":%" PRId64 "}",
						   (int64_t) (job->create_time + 1000LL * (i + 1)));
				job_note_tagged(job, i, nc > 0, &cap_t, &cap_u);
			}
			job->images[i].json = arena_copy(b.data, b.len);
			job->images[i].len = (uint32_t) b.len;
		}
		tt_finish(&tt, job);
	}
	buf_free(&b);
	for (long t = 0; t < g.tags; t++)
		free(tagnames[t]);
	free(tagnames);
	return finish_dataset(d, err, errlen, "--generate");
}

/* ---- lookups ---- */

Job *
dataset_find_job(Dataset *d, int64_t id)
{
	for (int i = 0; i < d->njobs; i++)
		if (d->jobs[i].id == id)
			return &d->jobs[i];
	return NULL;
}

Job *
dataset_find_dataset(Dataset *d, const char *dataset_id)
{
	for (int i = 0; i < d->njobs; i++)
		if (strcmp(d->jobs[i].dataset_id, dataset_id) == 0)
			return &d->jobs[i];
	return NULL;
}

Tag *
job_find_tag(Job *job, const char *name)
{
	uint32_t	lo = 0,
				hi = job->ntags;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		int			c = strcmp(job->tags[mid].name, name);

		if (c == 0)
			return &job->tags[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
dataset_free(Dataset *d)
{
	for (int i = 0; i < d->njobs; i++)
	{
		Job		   *job = &d->jobs[i];

		for (uint32_t t = 0; t < job->ntags; t++)
			free(job->tags[t].idx);
		free(job->tags);
		free(job->images);
		free(job->tagged);
		free(job->untagged);
	}
	free(d->jobs);
	while (arena_head)
	{
		ArenaChunk *c = arena_head;

		arena_head = c->next;
		free(c);
	}
	arena_cur = NULL;
	arena_left = 0;
	memset(d, 0, sizeof(*d));
}
