/*
 * json_diff: src/json.c's reader against cJSON's own parser.
 *
 *   json_diff FILE...            every file, as one JSON text
 *   json_diff --random N SEED    N generated documents and, for each, 8
 *                                mutants (a byte changed, inserted or
 *                                deleted, the text cut short)
 *
 * One line per text:  OURS CJSON SAME HEX
 *   OURS   ok, syntax, nul or nomem: what src/json.c said
 *   CJSON  ok or error: what cJSON_ParseWithLength said
 *   SAME   stop: the reader's stop position is outside the text;
 *          status: a tree and an error status, or neither;
 *          same: both read it and the trees are equal (types, keys,
 *          strings, numbers bit for bit, order, valueint); differ: both
 *          read it, the trees are not equal; links: src/json.c's tree is
 *          not linked as cJSON links (the first child's prev is the last,
 *          every next's prev is its predecessor); "-": not both read it
 *   HEX    the text, hex-encoded (test/t/350_json_reader.t judges it
 *          with JSON::PP)
 * The reader gets each text in a buffer of exactly its length, so that a
 * build with -fsanitize=address catches a read past its end.
 * Exit status 0; the judging is the test's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"

/* the reader's allocations: plain malloc, freed in one go per text */
typedef struct Allocs
{
	void	  **ptrs;
	size_t		n;
	size_t		cap;
} Allocs;

static void *
track_alloc(void *arg, size_t size)
{
	Allocs	   *a = arg;
	void	   *p = malloc(size ? size : 1);

	if (p == NULL)
		return NULL;
	if (a->n == a->cap)
	{
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->ptrs = realloc(a->ptrs, a->cap * sizeof(void *));
		if (a->ptrs == NULL)
			abort();
	}
	a->ptrs[a->n++] = p;
	return p;
}

static void
free_all(Allocs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->ptrs[i]);
	a->n = 0;
}

static bool
same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_tree(const cJSON *a, const cJSON *b)
{
	const cJSON *ca;
	const cJSON *cb;

	if ((a->type & 0xFF) != (b->type & 0xFF))
		return false;
	if (!same_string(a->string, b->string))
		return false;
	if (a->type & cJSON_String)
		return same_string(a->valuestring, b->valuestring);
	if (a->type & cJSON_Number)
		return memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) == 0 &&
			a->valueint == b->valueint;
	for (ca = a->child, cb = b->child; ca && cb; ca = ca->next, cb = cb->next)
		if (!same_tree(ca, cb))
			return false;
	return ca == NULL && cb == NULL;
}

static bool
linked(const cJSON *node)
{
	const cJSON *c;
	const cJSON *last = NULL;

	for (c = node->child; c; c = c->next)
	{
		if (last != NULL && c->prev != last)
			return false;
		if (!linked(c))
			return false;
		last = c;
	}
	return node->child == NULL || node->child->prev == last;
}

static void
judge(const unsigned char *text, size_t len)
{
	static const char *names[] = {"ok", "syntax", "nul", "nomem"};
	Allocs		allocs = {0};
	MaJsonStatus status;
	const char *stop;
	/* exactly len bytes, no terminator: a read past the end is one */
	char	   *exact = malloc(len ? len : 1);
	cJSON	   *ours;
	cJSON	   *theirs = cJSON_ParseWithLength((const char *) text, len);
	const char *same = "-";

	if (exact == NULL)
		abort();
	if (len > 0)
		memcpy(exact, text, len);
	ours = ma_json_read(exact, len, track_alloc, &allocs, &stop, &status);
	if (stop < exact || stop > exact + len)
		same = "stop";			/* the stop is not in the text */

	if ((ours == NULL) != (status != MA_JSON_OK))
		same = "status";		/* a tree and an error, or neither */
	else if (strcmp(same, "stop") == 0)
		;
	else if (ours && theirs)
		same = !linked(ours) ? "links" : same_tree(ours, theirs) ? "same" : "differ";
	printf("%s %s %s ", names[status], theirs ? "ok" : "error", same);
	for (size_t i = 0; i < len; i++)
		printf("%02x", text[i]);
	putchar('\n');
	cJSON_Delete(theirs);
	free_all(&allocs);
	free(exact);
	free(allocs.ptrs);
}

/* ---- generated documents ---- */

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t) (rng % n);
}

typedef struct Buf
{
	unsigned char *d;
	size_t		len;
	size_t		cap;
} Buf;

static void
put(Buf *b, const void *s, size_t n)
{
	if (n == 0)
		return;
	if (b->len + n > b->cap)
	{
		b->cap = (b->len + n) * 2;
		b->d = realloc(b->d, b->cap);
		if (b->d == NULL)
			abort();
	}
	memcpy(b->d + b->len, s, n);
	b->len += n;
}

static void
puts_(Buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
ws(Buf *b)
{
	static const char *w[] = {"", "", "", " ", "\n", "\t", "\r\n  "};

	puts_(b, w[rnd(7)]);
}

static void
gen_string(Buf *b)
{
	int			n = rnd(12);
	char		tmp[16];

	puts_(b, "\"");
	for (int i = 0; i < n; i++)
	{
		switch (rnd(16))
		{
			case 0:
				{
					static const char *esc[] = {"\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"};

					puts_(b, esc[rnd(8)]);
					break;
				}
			case 1:
				{
					/* a BMP escape, not a surrogate, not NUL */
					unsigned	cp = 1 + rnd(0xD7FF);

					if (rnd(2))
						cp = 0xE000 + rnd(0x2000);
					snprintf(tmp, sizeof(tmp), rnd(2) ? "\\u%04x" : "\\u%04X", cp);
					puts_(b, tmp);
					break;
				}
			case 2:
				{
					/* a pair of surrogates */
					unsigned	hi = 0xD800 + rnd(0x400);
					unsigned	lo = 0xDC00 + rnd(0x400);

					snprintf(tmp, sizeof(tmp), "\\u%04x\\u%04X", hi, lo);
					puts_(b, tmp);
					break;
				}
			case 3:
				puts_(b, rnd(2) ? "\xc3\xa9" : "\xe6\xa0\x87");	/* raw UTF-8 */
				break;
			default:
				{
					char		c = "abcdefghij-_ .:XYZ0123"[rnd(22)];

					put(b, &c, 1);
				}
		}
	}
	puts_(b, "\"");
}

static void
gen_number(Buf *b)
{
	static const char *fixed[] = {
		"0", "-0", "1", "-1", "720", "1280", "2147483647", "2147483648",
		"-2147483648", "-2147483649", "999999999999999", "1000000000000000",
		"9007199254740993", "12345678901234567890", "0.5", "-0.0", "1.0",
		"1e3", "1E+3", "1e-3", "2.5e10", "6.02214076e23", "1e400", "-1e400",
		"4.9e-324", "1565000662000", "0.1", "123.456e-7"
	};
	char		tmp[40];

	if (rnd(3) == 0)
	{
		puts_(b, fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))]);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s%llu", rnd(4) ? "" : "-",
			 (unsigned long long) (rng >> rnd(64)));
	puts_(b, tmp);
	if (rnd(4) == 0)
	{
		snprintf(tmp, sizeof(tmp), ".%u", rnd(100000));
		puts_(b, tmp);
	}
	if (rnd(6) == 0)
	{
		snprintf(tmp, sizeof(tmp), "e%s%u", rnd(2) ? "-" : "", rnd(30));
		puts_(b, tmp);
	}
}

static void
gen_value(Buf *b, int depth)
{
	int			kind = rnd(depth > 6 ? 6 : 8);

	switch (kind)
	{
		case 0:
		case 1:
			gen_string(b);
			break;
		case 2:
		case 3:
			gen_number(b);
			break;
		case 4:
			puts_(b, "true");
			break;
		case 5:
			puts_(b, rnd(2) ? "false" : "null");
			break;
		case 6:
		case 7:
			{
				bool		object = (kind == 6);
				int			n = rnd(6);

				puts_(b, object ? "{" : "[");
				ws(b);
				for (int i = 0; i < n; i++)
				{
					if (i > 0)
					{
						puts_(b, ",");
						ws(b);
					}
					if (object)
					{
						gen_string(b);
						ws(b);
						puts_(b, ":");
						ws(b);
					}
					gen_value(b, depth + 1);
					ws(b);
				}
				puts_(b, object ? "}" : "]");
			}
	}
}

static void
mutate(Buf *b)
{
	static const char pool[] = "{}[]\":,\\0123456789-+.eEtrufalsn \t\n";
	size_t		at = b->len ? rnd((uint32_t) b->len) : 0;
	unsigned char c = rnd(4) ? (unsigned char) pool[rnd(sizeof(pool) - 1)]
		: (unsigned char) rnd(256);

	switch (rnd(4))
	{
		case 0:					/* change */
			if (b->len)
				b->d[at] = c;
			break;
		case 1:					/* insert */
			put(b, "", 1);
			memmove(b->d + at + 1, b->d + at, b->len - at - 1);
			b->d[at] = c;
			break;
		case 2:					/* delete */
			if (b->len)
			{
				memmove(b->d + at, b->d + at + 1, b->len - at - 1);
				b->len--;
			}
			break;
		case 3:					/* cut */
			b->len = at;
			break;
	}
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--random") == 0)
	{
		long		n = atol(argv[2]);
		Buf			doc = {0};
		Buf			mut = {0};

		rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t) atoll(argv[3]);
		for (long i = 0; i < n; i++)
		{
			doc.len = 0;
			ws(&doc);
			gen_value(&doc, 0);
			ws(&doc);
			judge(doc.d, doc.len);
			for (int m = 0; m < 8; m++)
			{
				mut.len = 0;
				put(&mut, doc.d, doc.len);
				mutate(&mut);
				judge(mut.d, mut.len);
			}
		}
		free(doc.d);
		free(mut.d);
		return 0;
	}
	for (int i = 1; i < argc; i++)
	{
		FILE	   *f = fopen(argv[i], "rb");
		Buf			text = {0};
		unsigned char chunk[65536];
		size_t		n;

		if (f == NULL)
		{
			perror(argv[i]);
			return 2;
		}
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			put(&text, chunk, n);
		fclose(f);
		judge(text.d ? text.d : (unsigned char *) "", text.len);
		free(text.d);
	}
	return 0;
}
