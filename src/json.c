/*-------------------------------------------------------------------------
 *
 * json.c
 *		  The reader of the service's answers: JSON text to a cJSON tree.
 *
 * Every answer of a scan goes through here (a 1,000,000-image job is 10,001
 * pages), so this is the backend's hottest code.  cJSON's own parser takes
 * about 88 us for a 100-image page of 24 kB, even with its nodes in an
 * arena (test/bench/json_bench.sh): it compares the text with "null",
 * "false" and "true" before every value, reads every string twice, and
 * converts every number with strtod after asking localeconv for the
 * decimal point.  This reader builds the very same tree (cJSON nodes,
 * linked as cJSON links them, so that the rest of the code reads it with
 * cJSON's functions) in about 30 us: it dispatches on a value's first
 * character, finds a string's end with memchr and copies it once, reads
 * integers of up to 15 digits itself (exact as doubles; other numbers still
 * go to strtod), carves nodes from blocks it asks for 64 kB at a time, and
 * gives a key it has already read the same copy (a page's images share a
 * few keys; the tree's strings are never written to).
 *
 * What it accepts: RFC 8259 JSON, after an optional UTF-8 byte order mark.
 * Two leniencies, both cJSON's: raw control characters inside strings, and
 * duplicate keys (the first one is the one cJSON_GetObjectItem finds).  It
 * refuses what cJSON would accept but JSON does not (leading zeros, "1.",
 * control characters as whitespace).  A \u0000 escape is refused with its
 * own status: a C string would be cut there.  Invalid UTF-8 is kept as it
 * is, as cJSON keeps it; PostgreSQL checks encodings when a column gets it.
 *
 * test/json/json_diff.c compares its trees with cJSON's on the emulator's
 * pages, generated documents and their mutations.
 *
 * Plain C, no PostgreSQL header (see json.h).
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json.h"

/* Slots of the key cache: a power of two. */
#define KEY_SLOTS	64

#define BLOCK_BYTES	MA_JSON_BLOCK_BYTES
#define ALIGN_BYTES	8

typedef struct Reader
{
	const char *p;				/* next character */
	const char *end;
	MaJsonAllocFn alloc;
	void	   *arg;
	char	   *next;			/* free space in the current block */
	char	   *block_end;
	int			depth;
	MaJsonStatus status;
	/* keys read so far, by length, first and last character: see read_key */
	struct
	{
		const char *text;		/* in the answer: the key's characters */
		const char *copy;		/* its copy in the tree */
		size_t		len;
	}			keys[KEY_SLOTS];
} Reader;

static cJSON *read_value(Reader *r);

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline void
skip_ws(Reader *r)
{
	while (r->p < r->end && is_ws(*r->p))
		r->p++;
}

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* One or more digits at p: the position after them, or NULL. */
static inline const char *
skip_digits(const char *p, const char *end)
{
	if (p >= end || !is_digit(*p))
		return NULL;
	while (p < end && is_digit(*p))
		p++;
	return p;
}

static inline cJSON *
fail(Reader *r, MaJsonStatus status)
{
	if (r->status == MA_JSON_OK)
		r->status = status;
	return NULL;
}

/* size bytes, aligned, from the current block or a new one; or NULL */
static inline void *
take(Reader *r, size_t size)
{
	void	   *p;

	size = (size + ALIGN_BYTES - 1) & ~(size_t) (ALIGN_BYTES - 1);
	if (size > (size_t) (r->block_end - r->next))
	{
		char	   *block;

		if (size >= BLOCK_BYTES / 4)
			return r->alloc(r->arg, size);
		block = r->alloc(r->arg, BLOCK_BYTES);
		if (block == NULL)
			return NULL;
		r->next = block;
		r->block_end = block + BLOCK_BYTES;
	}
	p = r->next;
	r->next += size;
	return p;
}

static inline cJSON *
new_node(Reader *r, int type)
{
	cJSON	   *node = take(r, sizeof(cJSON));

	if (node == NULL)
		return fail(r, MA_JSON_NO_MEMORY);
	memset(node, 0, sizeof(cJSON));
	node->type = type;
	return node;
}

/* The value of four hex digits at p, or -1. */
static int
hex4(const char *p)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Decode the escapes of the string text [s, e) into out (never longer than
 * the text: an escape of 6 or 12 characters gives at most 3 or 4 bytes).
 * Returns the length, or -1 (r->status set, r->p at the bad escape).
 */
static long
unescape(Reader *r, const char *s, const char *e, char *out)
{
	char	   *o = out;

	while (s < e)
	{
		unsigned long cp;
		int			hex;

		if (*s != '\\')
		{
			*o++ = *s++;
			continue;
		}
		r->p = s;
		if (e - s < 2)
			return (fail(r, MA_JSON_SYNTAX), -1);
		switch (s[1])
		{
			case '"':
			case '\\':
			case '/':
				*o++ = s[1];
				s += 2;
				continue;
			case 'b':
				*o++ = '\b';
				s += 2;
				continue;
			case 'f':
				*o++ = '\f';
				s += 2;
				continue;
			case 'n':
				*o++ = '\n';
				s += 2;
				continue;
			case 'r':
				*o++ = '\r';
				s += 2;
				continue;
			case 't':
				*o++ = '\t';
				s += 2;
				continue;
			case 'u':
				break;
			default:
				return (fail(r, MA_JSON_SYNTAX), -1);
		}
		if (e - s < 6 || (hex = hex4(s + 2)) < 0)
			return (fail(r, MA_JSON_SYNTAX), -1);
		cp = (unsigned long) hex;
		s += 6;
		if (cp == 0)
			return (fail(r, MA_JSON_NUL), -1);
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return (fail(r, MA_JSON_SYNTAX), -1);	/* a lone low surrogate */
		if (cp >= 0xD800 && cp <= 0xDBFF)
		{
			int			low;

			/* a high surrogate: its low half must follow */
			if (e - s < 6 || s[0] != '\\' || s[1] != 'u' ||
				(low = hex4(s + 2)) < 0xDC00 || low > 0xDFFF)
				return (fail(r, MA_JSON_SYNTAX), -1);
			cp = 0x10000 + (((cp & 0x3FF) << 10) | (low & 0x3FF));
			s += 6;
		}
		if (cp < 0x80)
			*o++ = (char) cp;
		else if (cp < 0x800)
		{
			*o++ = (char) (0xC0 | (cp >> 6));
			*o++ = (char) (0x80 | (cp & 0x3F));
		}
		else if (cp < 0x10000)
		{
			*o++ = (char) (0xE0 | (cp >> 12));
			*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
			*o++ = (char) (0x80 | (cp & 0x3F));
		}
		else
		{
			*o++ = (char) (0xF0 | (cp >> 18));
			*o++ = (char) (0x80 | ((cp >> 12) & 0x3F));
			*o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
			*o++ = (char) (0x80 | (cp & 0x3F));
		}
	}
	return o - out;
}

/* A string, r->p at its opening quote: a NUL-terminated copy, or NULL. */
static char *
read_string(Reader *r)
{
	const char *s = r->p + 1;
	const char *q = s;
	const char *bs;
	char	   *out;
	long		len;

	/* the closing quote: the first one not escaped */
	for (;;)
	{
		q = memchr(q, '"', r->end - q);
		if (q == NULL)
		{
			r->p = r->end;
			return (char *) fail(r, MA_JSON_SYNTAX);
		}
		bs = q;
		while (bs > s && bs[-1] == '\\')
			bs--;
		if ((q - bs) % 2 == 0)
			break;
		q++;
	}
	out = take(r, (size_t) (q - s) + 1);
	if (out == NULL)
		return (char *) fail(r, MA_JSON_NO_MEMORY);
	bs = memchr(s, '\\', q - s);
	if (bs == NULL)
	{
		memcpy(out, s, q - s);
		len = q - s;
	}
	else
	{
		memcpy(out, s, bs - s);
		len = unescape(r, bs, q, out + (bs - s));
		if (len < 0)
			return NULL;
		len += bs - s;
	}
	out[len] = '\0';
	r->p = q + 1;
	return out;
}

/* A number, r->p at its first character ('-' or a digit). */
static cJSON *
read_number(Reader *r)
{
	const char *s = r->p;
	const char *p = s;
	const char *digits;
	const char *q;
	bool		integer = true;
	bool		negative = false;
	double		d;
	cJSON	   *node;

	if (*p == '-')
	{
		negative = true;
		p++;
	}
	digits = p;
	if (p < r->end && *p == '0')
		p++;
	else if ((q = skip_digits(p, r->end)) != NULL)
		p = q;
	else
		goto bad;
	if (p < r->end && *p == '.')
	{
		integer = false;
		p++;
		if ((q = skip_digits(p, r->end)) == NULL)
			goto bad;
		p = q;
	}
	if (p < r->end && (*p == 'e' || *p == 'E'))
	{
		integer = false;
		p++;
		if (p < r->end && (*p == '+' || *p == '-'))
			p++;
		if ((q = skip_digits(p, r->end)) == NULL)
			goto bad;
		p = q;
	}

	if (integer && p - digits <= 15)
	{
		/* below 10^15 < 2^53: exact as a double, as strtod would give */
		int64_t		v = 0;

		for (const char *c = digits; c < p; c++)
			v = v * 10 + (*c - '0');
		d = negative ? -(double) v : (double) v;
	}
	else
	{
		/* strtod needs a terminated copy (PostgreSQL's LC_NUMERIC is C) */
		char		small[64];
		size_t		n = (size_t) (p - s);
		char	   *copy = n < sizeof(small) ? small : take(r, n + 1);

		if (copy == NULL)
			return fail(r, MA_JSON_NO_MEMORY);
		memcpy(copy, s, n);
		copy[n] = '\0';
		d = strtod(copy, NULL);
	}

	node = new_node(r, cJSON_Number);
	if (node == NULL)
		return NULL;
	node->valuedouble = d;
	/* as cJSON sets valueint: saturated */
	if (d >= INT_MAX)
		node->valueint = INT_MAX;
	else if (d <= (double) INT_MIN)
		node->valueint = INT_MIN;
	else
		node->valueint = (int) d;
	r->p = p;
	return node;

bad:
	r->p = p;
	return fail(r, MA_JSON_SYNTAX);
}

/*
 * A key, r->p at its opening quote.  The members of an answer's images all
 * have the same few keys: a key without escapes, already read once, gets
 * the copy made then (the tree's strings are never written to).
 */
static char *
read_key(Reader *r)
{
	const char *s = r->p + 1;
	const char *q = memchr(s, '"', r->end - s);
	size_t		len;
	unsigned	slot;
	char	   *copy;

	if (q == NULL || memchr(s, '\\', q - s) != NULL)
		return read_string(r);
	len = (size_t) (q - s);
	slot = (unsigned) (len * 31 + (len ? (unsigned char) s[0] + (unsigned char) s[len - 1] : 0)) % KEY_SLOTS;
	if (r->keys[slot].copy != NULL && r->keys[slot].len == len &&
		memcmp(r->keys[slot].text, s, len) == 0)
	{
		r->p = q + 1;
		return (char *) r->keys[slot].copy;
	}
	copy = read_string(r);
	if (copy != NULL)
	{
		r->keys[slot].text = s;
		r->keys[slot].copy = copy;
		r->keys[slot].len = len;
	}
	return copy;
}

/* An array or an object, r->p at its opening bracket or brace. */
static cJSON *
read_container(Reader *r, bool object)
{
	char		close = object ? '}' : ']';
	cJSON	   *node;
	cJSON	   *head = NULL;
	cJSON	   *tail = NULL;

	if (r->depth >= MA_JSON_MAX_DEPTH)
		return fail(r, MA_JSON_SYNTAX);
	node = new_node(r, object ? cJSON_Object : cJSON_Array);
	if (node == NULL)
		return NULL;
	r->depth++;
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close)
	{
		r->p++;
		r->depth--;
		return node;
	}
	for (;;)
	{
		char	   *key = NULL;
		cJSON	   *item;

		if (object)
		{
			if (r->p >= r->end || *r->p != '"')
				return fail(r, MA_JSON_SYNTAX);
			key = read_key(r);
			if (key == NULL)
				return NULL;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return fail(r, MA_JSON_SYNTAX);
			r->p++;
			skip_ws(r);
		}
		item = read_value(r);
		if (item == NULL)
			return NULL;
		item->string = key;
		/* linked as cJSON links: the first child's prev is the last */
		if (head == NULL)
			head = item;
		else
		{
			tail->next = item;
			item->prev = tail;
		}
		tail = item;
		skip_ws(r);
		if (r->p >= r->end)
			return fail(r, MA_JSON_SYNTAX);
		if (*r->p == ',')
		{
			r->p++;
			skip_ws(r);
			continue;
		}
		if (*r->p != close)
			return fail(r, MA_JSON_SYNTAX);
		r->p++;
		break;
	}
	head->prev = tail;
	node->child = head;
	r->depth--;
	return node;
}

/* A literal: true, false or null. */
static cJSON *
read_literal(Reader *r, const char *word, size_t len, int type)
{
	if ((size_t) (r->end - r->p) < len || memcmp(r->p, word, len) != 0)
		return fail(r, MA_JSON_SYNTAX);
	r->p += len;
	return new_node(r, type);
}

/* Any value, r->p at its first character (whitespace skipped). */
static cJSON *
read_value(Reader *r)
{
	cJSON	   *node;
	char	   *s;

	if (r->p >= r->end)
		return fail(r, MA_JSON_SYNTAX);
	switch (*r->p)
	{
		case '"':
			s = read_string(r);
			if (s == NULL)
				return NULL;
			node = new_node(r, cJSON_String);
			if (node != NULL)
				node->valuestring = s;
			return node;
		case '{':
			return read_container(r, true);
		case '[':
			return read_container(r, false);
		case 't':
			return read_literal(r, "true", 4, cJSON_True);
		case 'f':
			return read_literal(r, "false", 5, cJSON_False);
		case 'n':
			return read_literal(r, "null", 4, cJSON_NULL);
		default:
			if (*r->p == '-' || is_digit(*r->p))
				return read_number(r);
			return fail(r, MA_JSON_SYNTAX);
	}
}

/*
 * The tree of the JSON text [text, text + len), every node and string
 * from alloc(arg, ...), or NULL: then *status says why and *stop where
 * reading stopped.  Nothing but whitespace may follow the value.
 */
cJSON *
ma_json_read(const char *text, size_t len, MaJsonAllocFn alloc, void *arg,
			 const char **stop, MaJsonStatus *status)
{
	Reader		r;
	cJSON	   *json;

	r.p = text;
	r.end = text + len;
	r.alloc = alloc;
	r.arg = arg;
	r.next = NULL;
	r.block_end = NULL;
	r.depth = 0;
	r.status = MA_JSON_OK;
	memset(r.keys, 0, sizeof(r.keys));

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		r.p += 3;
	skip_ws(&r);
	json = read_value(&r);
	if (json != NULL)
	{
		skip_ws(&r);
		if (r.p != r.end)
			json = fail(&r, MA_JSON_SYNTAX);
	}
	*status = r.status;
	if (stop)
		*stop = r.p;
	return json;
}
