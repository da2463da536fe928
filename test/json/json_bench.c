/*
 * json_bench: microseconds to read one JSON text into a tree, src/json.c's
 * reader against cJSON_ParseWithLength, both allocating from a bump arena
 * reset per text (cJSON through cJSON_InitHooks), so that only the reading
 * differs.  Run by test/bench/json_bench.sh.
 *
 *   json_bench FILE ITERATIONS ROUNDS
 * prints, per round, the two times per text (best round last on a line of
 * its own: "best: reader X us, cJSON Y us, ratio R").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "json.h"

#define ARENA_BYTES (64 * 1024 * 1024)

static char *arena;
static size_t used;

static void *
bump(size_t n)
{
	void	   *p;

	n = (n + 15) & ~(size_t) 15;
	if (used + n > ARENA_BYTES)
		return NULL;
	p = arena + used;
	used += n;
	return p;
}

static void *
reader_alloc(void *arg, size_t n)
{
	(void) arg;
	return bump(n);
}

static void *
cjson_alloc(size_t n)
{
	return bump(n);
}

static void
cjson_free(void *p)
{
	(void) p;
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	FILE	   *f;
	char	   *text;
	long		len;
	long		iterations;
	int			rounds;
	double		best_ours = 1e30;
	double		best_theirs = 1e30;
	cJSON_Hooks hooks = {cjson_alloc, cjson_free};

	if (argc != 4)
	{
		fprintf(stderr, "usage: json_bench FILE ITERATIONS ROUNDS\n");
		return 2;
	}
	iterations = atol(argv[2]);
	rounds = atoi(argv[3]);
	f = fopen(argv[1], "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
	{
		perror(argv[1]);
		return 2;
	}
	rewind(f);
	text = malloc(len + 1);
	arena = malloc(ARENA_BYTES);
	if (text == NULL || arena == NULL || fread(text, 1, len, f) != (size_t) len)
		return 2;
	text[len] = '\0';
	fclose(f);
	cJSON_InitHooks(&hooks);

	for (int r = 0; r < rounds; r++)
	{
		double		t0,
					ours,
					theirs;

		t0 = now_us();
		for (long i = 0; i < iterations; i++)
		{
			MaJsonStatus status;

			used = 0;
			if (ma_json_read(text, len, reader_alloc, NULL, NULL, &status) == NULL)
			{
				fprintf(stderr, "the reader refused the text (status %d)\n", status);
				return 1;
			}
		}
		ours = (now_us() - t0) / iterations;
		t0 = now_us();
		for (long i = 0; i < iterations; i++)
		{
			used = 0;
			if (cJSON_ParseWithLength(text, len) == NULL)
			{
				fprintf(stderr, "cJSON refused the text\n");
				return 1;
			}
		}
		theirs = (now_us() - t0) / iterations;
		printf("round %d: reader %.1f us, cJSON %.1f us\n", r + 1, ours, theirs);
		if (ours < best_ours)
			best_ours = ours;
		if (theirs < best_theirs)
			best_theirs = theirs;
	}
	printf("best: reader %.1f us, cJSON %.1f us, ratio %.2f (%ld bytes)\n",
		   best_ours, best_theirs, best_theirs / best_ours, len);
	return 0;
}
