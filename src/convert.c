/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  From the JSON of an answer to the columns of a row.
 *
 * Values are converted by the column type's input function, from the JSON
 * value's text, so a column may be declared with any type that reads it.  A
 * few shapes get a direct conversion: epoch milliseconds into timestamps,
 * tag lists into text[], raw JSON into json/jsonb.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "modelarts_fdw.h"

/* For the error context of a failed conversion */
typedef struct ConversionLocation
{
	Relation	rel;
	const MaColumn *column;
} ConversionLocation;

static void conversion_error_callback(void *arg);
static Datum convert_json(const MaColumn *col, const cJSON *item, bool *isnull);
static Datum convert_text(const MaColumn *col, const char *text);
static Datum convert_tags(const MaColumn *col, const char **tags, int ntags);

/*
 * Describe the columns of rel that the scan fills: those in attrs_used (as
 * pull_varattnos offsets them), or all of them when a whole-row reference
 * is among them.  Returns a palloc'd array; *ncolumns gets its length.
 * The image-shaped columns (tag_name, tags, width...) exist only for the
 * images resource; elsewhere those names read plain keys of the row object.
 */
MaColumn *
ma_describe_columns(Relation rel, MaResource resource, Bitmapset *attrs_used,
					int *ncolumns)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	MaColumn   *columns = palloc0(sizeof(MaColumn) * Max(tupdesc->natts, 1));
	bool		wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber,
										 attrs_used);
	int			n = 0;
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		MaColumn   *col;
		Oid			typinput;

		if (att->attisdropped)
			continue;
		if (!wholerow &&
			!bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber,
						   attrs_used))
			continue;

		col = &columns[n++];
		col->attnum = att->attnum;
		col->attname = pstrdup(NameStr(att->attname));
		col->key = ma_column_key(RelationGetRelid(rel), att->attnum);
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		getTypeInputInfo(att->atttypid, &typinput, &col->typioparam);
		fmgr_info(typinput, &col->typinput);

		if (strcmp(col->key, "data_annotation_id") == 0)
			col->kind = MA_COL_ANNOTATION_ID;
		else if (resource != MA_RESOURCE_IMAGES)
			col->kind = MA_COL_KEY;
		else if (strcmp(col->key, "tag_name") == 0)
			col->kind = MA_COL_TAG_NAME;
		else if (strcmp(col->key, "tags") == 0 && col->typid == TEXTARRAYOID)
			col->kind = MA_COL_TAGS;
		else if (strcmp(col->key, "annotations") == 0)
			col->kind = MA_COL_ANNOTATIONS;
		else if (strcmp(col->key, "width") == 0)
			col->kind = MA_COL_WIDTH;
		else if (strcmp(col->key, "height") == 0)
			col->kind = MA_COL_HEIGHT;
		else
			col->kind = MA_COL_KEY;
	}
	*ncolumns = n;
	return columns;
}

/*
 * The distinct tag names of an image, in the order they first appear:
 * strings for classification, {"tag": ...} objects for detection, where one
 * tag may mark several boxes.  *tags gets a palloc'd array pointing into the
 * cJSON tree.  Entries of any other shape are ignored.
 */
int
ma_distinct_tags(const cJSON *image, const char ***tags)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(image, "tags");
	const cJSON *item;
	const char **out;
	int			n = 0;

	if (!cJSON_IsArray(arr))
	{
		*tags = NULL;
		return 0;
	}
	out = palloc(sizeof(char *) * Max(cJSON_GetArraySize(arr), 1));
	cJSON_ArrayForEach(item, arr)
	{
		const char *name = NULL;
		int			i;

		if (cJSON_IsString(item))
			name = item->valuestring;
		else if (cJSON_IsObject(item))
		{
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "tag");

			if (cJSON_IsString(t))
				name = t->valuestring;
		}
		if (name == NULL)
			continue;
		for (i = 0; i < n; i++)
		{
			if (strcmp(out[i], name) == 0)
				break;
		}
		if (i == n)
			out[n++] = name;
	}
	*tags = out;
	return n;
}

/*
 * Fill values/nulls (indexed by attnum - 1) for the described columns from
 * one row's source.  Conversion errors name the column and the table.
 */
void
ma_fill_row(Relation rel, MaColumn *columns, int ncolumns,
			const MaRowSource *src, Datum *values, bool *nulls)
{
	ConversionLocation loc;
	ErrorContextCallback errcb;
	int			i;

	loc.rel = rel;
	loc.column = NULL;
	errcb.callback = conversion_error_callback;
	errcb.arg = &loc;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	for (i = 0; i < ncolumns; i++)
	{
		MaColumn   *col = &columns[i];
		int			idx = col->attnum - 1;
		const cJSON *size;

		loc.column = col;
		nulls[idx] = false;
		switch (col->kind)
		{
			case MA_COL_ANNOTATION_ID:
				{
					char		buf[32];

					snprintf(buf, sizeof(buf), INT64_FORMAT, src->job_id);
					values[idx] = convert_text(col, buf);
				}
				break;
			case MA_COL_TAG_NAME:
				if (src->tag == NULL)
					nulls[idx] = true;
				else
					values[idx] = convert_text(col, src->tag);
				break;
			case MA_COL_TAGS:
				values[idx] = convert_tags(col, src->tags, src->ntags);
				break;
			case MA_COL_ANNOTATIONS:
				values[idx] = convert_json(col,
										   cJSON_GetObjectItemCaseSensitive(src->object, "tags"),
										   &nulls[idx]);
				break;
			case MA_COL_WIDTH:
			case MA_COL_HEIGHT:
				size = cJSON_GetObjectItemCaseSensitive(src->object, "size");
				if (cJSON_IsArray(size))
					values[idx] = convert_json(col,
											   cJSON_GetArrayItem(size, col->kind == MA_COL_WIDTH ? 0 : 1),
											   &nulls[idx]);
				else
					nulls[idx] = true;
				break;
			case MA_COL_KEY:
				values[idx] = convert_json(col,
										   cJSON_GetObjectItemCaseSensitive(src->object, col->key),
										   &nulls[idx]);
				break;
		}
	}

	error_context_stack = errcb.previous;
}

/* Convert a JSON value (NULL or JSON null: SQL NULL) into col's type. */
static Datum
convert_json(const MaColumn *col, const cJSON *item, bool *isnull)
{
	*isnull = false;
	if (item == NULL || cJSON_IsNull(item))
	{
		*isnull = true;
		return (Datum) 0;
	}

	if (cJSON_IsNumber(item))
	{
		double		d = item->valuedouble;
		char		buf[Max(64, DOUBLE_SHORTEST_DECIMAL_LEN)];

		/* epoch milliseconds into a timestamp, as the API sends times */
		if (col->typid == TIMESTAMPTZOID || col->typid == TIMESTAMPOID)
		{
			double		usecs;

			usecs = d * 1000.0 -
				((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC);
			if (isnan(usecs) || !IS_VALID_TIMESTAMP((TimestampTz) usecs))
				ereport(ERROR,
						(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
						 errmsg("timestamp out of range: %.0f milliseconds since the epoch", d)));
			return TimestampTzGetDatum((TimestampTz) rint(usecs));
		}
		/* integers as such; others in the shortest form that reads back */
		if (d == rint(d) && fabs(d) < 1e15)
			snprintf(buf, sizeof(buf), "%.0f", d);
		else
			double_to_shortest_decimal_buf(d, buf);
		return convert_text(col, buf);
	}
	if (cJSON_IsString(item) && col->typid != JSONOID && col->typid != JSONBOID)
		return convert_text(col, item->valuestring);
	if (cJSON_IsBool(item) && col->typid != JSONOID && col->typid != JSONBOID)
		return convert_text(col, cJSON_IsTrue(item) ? "true" : "false");

	/* arrays and objects (and anything into json/jsonb) as JSON text */
	{
		char	   *text = cJSON_PrintUnformatted(item);
		Datum		result;

		if (text == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		PG_TRY();
		{
			result = convert_text(col, text);
		}
		PG_FINALLY();
		{
			cJSON_free(text);
		}
		PG_END_TRY();
		return result;
	}
}

static Datum
convert_text(const MaColumn *col, const char *text)
{
	return InputFunctionCall((FmgrInfo *) &col->typinput, (char *) text,
							 col->typioparam, col->typmod);
}

static Datum
convert_tags(const MaColumn *col, const char **tags, int ntags)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(ntags, 1));
	int			i;

	for (i = 0; i < ntags; i++)
		elems[i] = CStringGetTextDatum(tags[i]);
	return PointerGetDatum(construct_array(elems, ntags, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

static void
conversion_error_callback(void *arg)
{
	ConversionLocation *loc = (ConversionLocation *) arg;

	if (loc->column)
		errcontext("column \"%s\" of foreign table \"%s\"",
				   loc->column->attname, RelationGetRelationName(loc->rel));
}
