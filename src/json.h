/*-------------------------------------------------------------------------
 *
 * json.h
 *		  The reader of the service's answers: JSON text to a cJSON tree.
 *
 * Plain C, no PostgreSQL header: test/json/json_diff.c builds it alone to
 * compare its trees with cJSON's own parser.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MA_JSON_H
#define MA_JSON_H

#include <stddef.h>
#include <string.h>

#include <cjson/cJSON.h>

/*
 * The reader carves nodes and strings from blocks of this size, which it
 * asks of its allocator (a string of a quarter of it or more is asked for
 * alone).
 */
#define MA_JSON_BLOCK_BYTES	(64 * 1024)

/* Nesting deeper than this is refused (cJSON's CJSON_NESTING_LIMIT). */
#define MA_JSON_MAX_DEPTH	1000

typedef enum MaJsonStatus
{
	MA_JSON_OK,
	MA_JSON_SYNTAX,				/* not JSON, or nested too deep */
	MA_JSON_NUL,				/* a string holds \u0000 */
	MA_JSON_NO_MEMORY			/* the allocator said no */
} MaJsonStatus;

/*
 * Where the nodes and strings go: alloc(arg, size) returns memory aligned
 * for any type, or NULL.  Nothing is ever freed one by one: the caller
 * frees the whole (see ma_json_parse in client.c).
 */
typedef void *(*MaJsonAllocFn) (void *arg, size_t size);

extern cJSON *ma_json_read(const char *text, size_t len,
								  MaJsonAllocFn alloc, void *arg,
								  const char **stop, MaJsonStatus *status);

/*
 * cJSON_GetObjectItemCaseSensitive, for the rows' hot path: the member of
 * "object" named "key" (the first one), or NULL, with the same rules (it
 * stops at a nameless child, so an array has no members), but without a
 * call to strcmp for every key passed: a first character that differs
 * settles most of them.
 */
static inline cJSON *
ma_json_member(const cJSON *object, const char *key)
{
	cJSON	   *c;

	if (object == NULL || key == NULL)
		return NULL;
	for (c = object->child; c != NULL && c->string != NULL; c = c->next)
		if (c->string[0] == key[0] && strcmp(c->string, key) == 0)
			return c;
	return NULL;
}

#endif							/* MA_JSON_H */
