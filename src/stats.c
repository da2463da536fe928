/*-------------------------------------------------------------------------
 *
 * stats.c
 *		  The one reading of a job's tags/stats answer.
 *
 * tags/stats answers {"tag_count": [{"tag": T, "count": N}, ...],
 * "tags_stat": [{"has_tag": true, "count": N}, {"has_tag": false,
 * "count": N}]}.  The annotation_tags rows, the projects counts, the
 * planner's estimates (estimate.c) and the pushed aggregates (aggregate.c)
 * all read it through ma_read_tag_stats, so that they agree on what the
 * answer says.  The reading is lenient, as the tags table has always been
 * (an entry without a tag or a count still makes a row, with NULLs); the
 * counting uses check ma_tag_stats_complete first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "modelarts_fdw.h"

/*
 * Read a tags/stats answer into *stats.  The entries point into "answer",
 * which must outlive them; the array is palloc'd in the current memory
 * context.  A tag_count that is there but not an array is an error naming
 * "call", or, with no call (the projects counts, which do not read it),
 * no tags.
 */
void
ma_read_tag_stats(const cJSON *answer, MaCall *call, MaTagStats *stats)
{
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(answer, "tag_count");
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(answer, "tags_stat");
	const cJSON *entry;
	int			n = 0;

	memset(stats, 0, sizeof(*stats));
	if (counts != NULL && !cJSON_IsNull(counts) && !cJSON_IsArray(counts) &&
		call != NULL)
		ma_malformed_answer(call, "\"tag_count\" is not an array");
	if (cJSON_IsArray(counts))
	{
		stats->ntags = cJSON_GetArraySize(counts);
		stats->tags = palloc0(sizeof(MaTagCount) * Max(stats->ntags, 1));
		cJSON_ArrayForEach(entry, counts)
		{
			MaTagCount *tc = &stats->tags[n++];

			tc->tag_item = cJSON_GetObjectItemCaseSensitive(entry, "tag");
			tc->count_item = cJSON_GetObjectItemCaseSensitive(entry, "count");
			if (cJSON_IsString(tc->tag_item))
				tc->tag = tc->tag_item->valuestring;
			tc->count_valid = ma_json_whole_number(tc->count_item, &tc->count);
		}
	}

	/* tagged and untagged images; entries of another shape are skipped */
	cJSON_ArrayForEach(entry, arr)
	{
		const cJSON *has = cJSON_GetObjectItemCaseSensitive(entry, "has_tag");
		const cJSON *count = cJSON_GetObjectItemCaseSensitive(entry, "count");

		if (!cJSON_IsBool(has) || !cJSON_IsNumber(count))
			continue;
		if (cJSON_IsTrue(has))
		{
			stats->tagged = count->valuedouble;
			stats->has_tagged = true;
		}
		else
		{
			stats->untagged = count->valuedouble;
			stats->has_untagged = true;
		}
	}
}

/* qsort comparator of tag names (char **) */
static int
tag_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * Can the answer be counted on: every tag_count entry a string tag (each
 * once) with a valid count, and both tags_stat counts valid?  If not, *why
 * says what is missing.  The tags are sorted to find one listed twice: a
 * job may have thousands.
 */
bool
ma_tag_stats_complete(const MaTagStats *stats, const char **why)
{
	const char **names;
	int			i;

	if (!stats->has_tagged || !stats->has_untagged)
	{
		*why = "\"tags_stat\" lacks the count of tagged or of untagged images";
		return false;
	}
	if (stats->tagged != floor(stats->tagged) || stats->tagged < 0 ||
		stats->untagged != floor(stats->untagged) || stats->untagged < 0 ||
		stats->tagged > 9007199254740992.0 || stats->untagged > 9007199254740992.0)
	{
		*why = "a count of \"tags_stat\" is not a whole number";
		return false;
	}
	names = palloc(sizeof(char *) * Max(stats->ntags, 1));
	for (i = 0; i < stats->ntags; i++)
	{
		if (stats->tags[i].tag == NULL || !stats->tags[i].count_valid)
		{
			*why = "an entry of \"tag_count\" lacks a string \"tag\" or a whole-number \"count\"";
			pfree(names);
			return false;
		}
		names[i] = stats->tags[i].tag;
	}
	qsort(names, stats->ntags, sizeof(char *), tag_name_cmp);
	for (i = 1; i < stats->ntags; i++)
	{
		if (strcmp(names[i - 1], names[i]) == 0)
		{
			*why = "a tag occurs twice in \"tag_count\"";
			pfree(names);
			return false;
		}
	}
	pfree(names);
	return true;
}
