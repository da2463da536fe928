/*
 * jsonw.c
 *		A growable byte buffer and a minimal JSON writer.
 *
 * Responses are assembled by hand rather than through cJSON trees: the hot
 * path is "copy 100 pre-serialized image objects", and building a tree per
 * request would cost more than the rest of the request put together.
 * Strings are escaped per RFC 8259; bytes >= 0x80 pass through untouched, so
 * UTF-8 in the dataset reaches the client byte for byte.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"

static void
oom(void)
{
	fprintf(stderr, "modelarts-emulator: out of memory\n");
	abort();
}

void
buf_init(Buf *b, size_t cap)
{
	b->len = 0;
	b->cap = cap ? cap : 64;
	b->data = malloc(b->cap);
	if (!b->data)
		oom();
}

void
buf_reserve(Buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	while (b->len + extra + 1 > b->cap)
		b->cap *= 2;
	b->data = realloc(b->data, b->cap);
	if (!b->data)
		oom();
}

void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_put(Buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(Buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(Buf *b, char c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_printf(Buf *b, const char *fmt, ...)
{
	va_list		ap;
	int			n;

	/* try the room already there first: one formatting pass, usually */
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if ((size_t) n >= b->cap - b->len)
	{
		buf_reserve(b, (size_t) n);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t) n;
}

void
json_strn(Buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i,
				start = 0;

	/* worst case every byte becomes \u00XX */
	buf_reserve(b, n * 6 + 2);
	b->data[b->len++] = '"';
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc = 0;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		memcpy(b->data + b->len, s + start, i - start);
		b->len += i - start;
		start = i + 1;
		switch (c)
		{
			case '"':
				esc = '"';
				break;
			case '\\':
				esc = '\\';
				break;
			case '\n':
				esc = 'n';
				break;
			case '\r':
				esc = 'r';
				break;
			case '\t':
				esc = 't';
				break;
			case '\b':
				esc = 'b';
				break;
			case '\f':
				esc = 'f';
				break;
		}
		b->data[b->len++] = '\\';
		if (esc)
			b->data[b->len++] = esc;
		else
		{
			b->data[b->len++] = 'u';
			b->data[b->len++] = '0';
			b->data[b->len++] = '0';
			b->data[b->len++] = hex[c >> 4];
			b->data[b->len++] = hex[c & 15];
		}
	}
	memcpy(b->data + b->len, s + start, n - start);
	b->len += n - start;
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

void
json_str(Buf *b, const char *s)
{
	json_strn(b, s, strlen(s));
}

void
json_i64(Buf *b, int64_t v)
{
	char		tmp[24];
	int			n = snprintf(tmp, sizeof(tmp), "%lld", (long long) v);

	buf_put(b, tmp, (size_t) n);
}
