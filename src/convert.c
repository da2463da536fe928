/*-------------------------------------------------------------------------
 *
 * convert.c
 *		  From the JSON of an answer to the columns of a row.
 *
 * A value is converted by the column type's input function, from the JSON
 * value's text, so a column may be declared with any type that reads it.
 * The common types take a shorter way that gives the same result without
 * the round trip through text: JSON numbers into int2, int4, int8, float4
 * and float8, JSON booleans into bool, anything into text (and varchar
 * without a length), epoch milliseconds into timestamps, the tag list into
 * text[], and JSON arrays and objects into jsonb, built from the cJSON tree
 * as jsonb_in would build it from the text cJSON prints.  Whenever the
 * short way cannot tell that the value converts (a fraction or an
 * out-of-range number into an integer column, say), the value takes the
 * input function's way, so it fails with the same error as ever.  One
 * difference, on purpose: integers from 1e15 to 2^53 - 1 read into bigint,
 * where their text ("1e+15") did not (see convert_number).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <float.h>
#include <math.h>

#include <cjson/cJSON.h>

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/shortest_dec.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "json.h"
#include "mb/pg_wchar.h"
#include "modelarts_fdw.h"

/*
 * At most this many entries in the "tags" array of one image (tags, or
 * boxes of a detection job): beyond it a scan fails rather than spend its
 * time and memory on one image.  See "The row model" in the README.
 */
#define MA_MAX_IMAGE_TAGS		10000

/*
 * Integers of at most this magnitude are exact in a double, and so in
 * cJSON: a larger number may not be the integer that the answer wrote.
 */
#define MA_MAX_EXACT_INTEGER	9007199254740991.0	/* 2^53 - 1 */

/*
 * ma_distinct_tags compares an image's first distinct tags with each other
 * (few, and most images have one to three); past this many it hashes.
 */
#define MA_TAGS_COMPARED		8

/* For the error context of a failed conversion */
typedef struct ConversionLocation
{
	Relation	rel;
	const MaColumn *column;
} ConversionLocation;

/* A set of tag names (pointing into the cJSON tree), for ma_distinct_tags */
typedef struct TagEntry
{
	const char *name;
	uint32		hash;
	char		status;
} TagEntry;

#define SH_PREFIX		tagset
#define SH_ELEMENT_TYPE	TagEntry
#define SH_KEY_TYPE		const char *
#define SH_KEY			name
#define SH_HASH_KEY(tb, key) \
	hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b)	(strcmp(a, b) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static void conversion_error_callback(void *arg);
static char *server_string(const char *s);
static bool zoneless_datetime(const char *s);
static void wrong_field(const cJSON *image, const MaAnswerShape *shape,
						const char *field, const char *what) pg_attribute_noreturn();
static Datum convert_json(const MaColumn *col, const cJSON *item, bool *isnull);
static Datum convert_number(const MaColumn *col, double d);
static Datum convert_int64(const MaColumn *col, int64 v);
static Datum convert_text(const MaColumn *col, const char *text);
static Datum convert_printed(const MaColumn *col, const cJSON *item);
static Datum convert_tags(const MaColumn *col, const char **tags, int ntags);
static Jsonb *jsonb_from_cjson(const cJSON *item);
static JsonbValue *push_cjson(JsonbParseState **state, const cJSON *item,
							  bool is_elem);
static void cjson_scalar(const cJSON *item, JsonbValue *v);
static void jsonb_string(const char *s, JsonbValue *v);

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

		if (strcmp(col->key, ma_id_key(resource)) == 0)
			col->kind = MA_RESOURCE_IS_V2(resource) ? MA_COL_DATASET_ID :
				MA_COL_ANNOTATION_ID;
		else if (resource != MA_RESOURCE_IMAGES &&
				 resource != MA_RESOURCE_SAMPLES)
			col->kind = MA_COL_KEY;
		else if (strcmp(col->key, resource == MA_RESOURCE_SAMPLES ?
						"label_name" : "tag_name") == 0)
			col->kind = MA_COL_TAG_NAME;
		else if (strcmp(col->key, resource == MA_RESOURCE_SAMPLES ?
						"labels" : "tags") == 0 && col->typid == TEXTARRAYOID)
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
 * tag may mark several boxes.  *tags gets an array palloc'd in the current
 * memory context, pointing into the cJSON tree.  Entries of any other shape
 * are ignored.
 *
 * Linear in the number of entries: the first few distinct names are
 * compared with each other, the rest looked up in a hash set.  An image with
 * more than MA_MAX_IMAGE_TAGS entries is an error naming it, not a cut list
 * nor minutes of CPU spent on it.
 */
int
ma_distinct_tags(const cJSON *image, const MaAnswerShape *shape,
				 const char ***tags)
{
	const cJSON *arr = ma_json_member(image, shape->tags);
	const cJSON *item;
	const char **out;
	tagset_hash *set = NULL;
	int			nentries;
	int			n = 0;

	if (arr == NULL || cJSON_IsNull(arr))
	{
		*tags = NULL;
		return 0;
	}
	if (!cJSON_IsArray(arr))
		wrong_field(image, shape, shape->tags, "is not an array");
	nentries = cJSON_GetArraySize(arr);
	if (nentries > MA_MAX_IMAGE_TAGS)
	{
		const cJSON *id = ma_json_member(image, shape->id);

		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s \"%s\" has %d entries in its %s array, more than the %d an image may have",
						shape->item_word,
						cJSON_IsString(id) ? ma_server_text(id->valuestring) :
						psprintf("(no %s)", shape->id),
						nentries, shape->tags, MA_MAX_IMAGE_TAGS),
				 errdetail("Each entry is a tag, or a box of a detection job.")));
	}

	out = palloc(sizeof(char *) * Max(nentries, 1));
	cJSON_ArrayForEach(item, arr)
	{
		const char *name = NULL;

		CHECK_FOR_INTERRUPTS();
		if (cJSON_IsString(item))
			name = item->valuestring;
		else if (cJSON_IsObject(item))
		{
			const cJSON *t = ma_json_member(item, shape->tag_name);

			if (cJSON_IsString(t))
				name = t->valuestring;
		}
		/* a tag is a name, or a box with one: anything else is not a tag */
		if (name == NULL)
			wrong_field(image, shape, shape->tags,
						psprintf("has an entry that is neither a tag name nor an object with a \"%s\"",
								 shape->tag_name));

		if (set == NULL)
		{
			int			i;

			for (i = 0; i < n; i++)
			{
				if (strcmp(out[i], name) == 0)
					break;
			}
			if (i < n)
				continue;
			out[n++] = name;
			if (n == MA_TAGS_COMPARED)
			{
				bool		found;

				/* many tags: from now on, look them up */
				set = tagset_create(CurrentMemoryContext, nentries, NULL);
				for (i = 0; i < n; i++)
					tagset_insert(set, out[i], &found);
			}
		}
		else
		{
			bool		found;

			tagset_insert(set, name, &found);
			if (!found)
				out[n++] = name;
		}
	}
	if (set != NULL)
		tagset_destroy(set);
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
				values[idx] = convert_int64(col, src->job_id);
				break;
			case MA_COL_DATASET_ID:
				if (src->dataset_id == NULL)
					values[idx] = convert_json(col,
											   ma_json_member(src->object, "dataset_id"),
											   &nulls[idx]);
				else
					values[idx] = convert_text(col, src->dataset_id);
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
										   ma_json_member(src->object, src->shape->tags),
										   &nulls[idx]);
				break;
			case MA_COL_WIDTH:
			case MA_COL_HEIGHT:
				size = src->object;
				if (src->shape->size_parent)
					size = ma_json_member(size, src->shape->size_parent);
				size = ma_json_member(size, src->shape->size);
				if (size != NULL && !cJSON_IsNull(size) && !cJSON_IsArray(size))
					wrong_field(src->object, src->shape, src->shape->size,
								"is not an array");
				if (cJSON_IsArray(size))
					values[idx] = convert_json(col,
											   cJSON_GetArrayItem(size, col->kind == MA_COL_WIDTH ? 0 : 1),
											   &nulls[idx]);
				else
					nulls[idx] = true;
				break;
			case MA_COL_KEY:
				values[idx] = convert_json(col,
										   ma_json_member(src->object, col->key),
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
	bool		into_json = (col->typid == JSONOID || col->typid == JSONBOID);

	*isnull = false;
	if (item == NULL || cJSON_IsNull(item))
	{
		*isnull = true;
		return (Datum) 0;
	}

	if (cJSON_IsNumber(item))
		return convert_number(col, item->valuedouble);
	if (cJSON_IsString(item) && col->typid == TIMESTAMPTZOID &&
		zoneless_datetime(item->valuestring))
	{
		/* a Datetime without a zone (the listing's create_time): UTC */
		return convert_text(col, psprintf("%s+00", item->valuestring));
	}
	if (cJSON_IsString(item) && !into_json)
		return convert_text(col, item->valuestring);
	if (cJSON_IsBool(item) && !into_json)
	{
		if (col->typid == BOOLOID)
			return BoolGetDatum(cJSON_IsTrue(item));
		return convert_text(col, cJSON_IsTrue(item) ? "true" : "false");
	}
	if (col->typid == JSONBOID && (cJSON_IsArray(item) || cJSON_IsObject(item)))
		return JsonbPGetDatum(jsonb_from_cjson(item));

	/* arrays and objects, and strings and booleans into json/jsonb */
	return convert_printed(col, item);
}

/*
 * A JSON number into col's type.  The input functions read the number as
 * it has always been printed for them: an integer below 1e15 in digits,
 * anything else in the shortest form that reads back as the same double.
 * The direct conversions below give what they would give; whatever the
 * type might refuse goes to the input function, for its own error.
 */
static Datum
convert_number(const MaColumn *col, double d)
{
	char		buf[Max(64, DOUBLE_SHORTEST_DECIMAL_LEN)];

	switch (col->typid)
	{
		case INT2OID:
			if (d == rint(d) && d >= PG_INT16_MIN && d <= PG_INT16_MAX)
				return Int16GetDatum((int16) d);
			break;
		case INT4OID:
			if (d == rint(d) && d >= PG_INT32_MIN && d <= PG_INT32_MAX)
				return Int32GetDatum((int32) d);
			break;
		case INT8OID:

			/*
			 * Every integer a double holds exactly, though the digits the
			 * input function reads stop at 1e15: from 1e15 on they are
			 * "1e+15", which int8in refuses.  Beyond 2^53 - 1 the double may
			 * be a neighbour of the integer the answer wrote, so those keep
			 * the input function's error.
			 */
			if (d == rint(d) && fabs(d) <= MA_MAX_EXACT_INTEGER)
				return Int64GetDatum((int64) d);
			break;
		case FLOAT8OID:
			/* the text printed reads back as this very double */
			return Float8GetDatum(d);
		case FLOAT4OID:

			/*
			 * float4in rounds the printed decimal, not the double: the two
			 * agree when the double is a float already (and so the
			 * decimal, within half a double's unit, rounds to it).
			 */
			if ((isinf(d) || fabs(d) <= FLT_MAX) && (double) (float4) d == d)
				return Float4GetDatum((float4) d);
			break;
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			{
				/* epoch milliseconds, as the API sends times */
				double		usecs;

				usecs = d * 1000.0 -
					((double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC);
				/* compared as doubles: casting one out of range is undefined */
				if (isnan(usecs) || usecs < (double) MIN_TIMESTAMP ||
					usecs >= (double) END_TIMESTAMP)
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 fabs(d) < 1e18 ?
							 errmsg("timestamp out of range: %.0f milliseconds since the epoch", d) :
							 errmsg("timestamp out of range: %g milliseconds since the epoch", d)));
				return TimestampTzGetDatum((TimestampTz) rint(usecs));
			}
		default:
			break;
	}

	/* integers as such; others in the shortest form that reads back */
	if (d == rint(d) && fabs(d) < 1e15)
		snprintf(buf, sizeof(buf), "%.0f", d);
	else
		double_to_shortest_decimal_buf(d, buf);
	return convert_text(col, buf);
}

/* An integer (the job's ID) into col's type, as its digits would convert. */
static Datum
convert_int64(const MaColumn *col, int64 v)
{
	char		buf[32];

	switch (col->typid)
	{
		case INT8OID:
			return Int64GetDatum(v);
		case INT4OID:
			if (v >= PG_INT32_MIN && v <= PG_INT32_MAX)
				return Int32GetDatum((int32) v);
			break;
		case INT2OID:
			if (v >= PG_INT16_MIN && v <= PG_INT16_MAX)
				return Int16GetDatum((int16) v);
			break;
		default:
			break;
	}
	snprintf(buf, sizeof(buf), INT64_FORMAT, v);
	return convert_text(col, buf);
}

/*
 * Text into col's type: by the input function, but straight into text (and
 * varchar without a length), which is all textin and varcharin would do.
 */
static Datum
convert_text(const MaColumn *col, const char *text)
{
	MemoryContext cxt = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	text = server_string(text);
	if (col->typid == TEXTOID || (col->typid == VARCHAROID && col->typmod < 0))
		return PointerGetDatum(cstring_to_text(text));

	/*
	 * The input function's error quotes the value, which came from the
	 * server: make the message fit to show (cut, control characters
	 * escaped), keeping the rest of the error as it is.
	 */
	PG_TRY();
	{
		result = InputFunctionCall((FmgrInfo *) &col->typinput, (char *) text,
								   col->typioparam, col->typmod);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->message = ma_server_text(edata->message);
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

/*
 * A string of an answer (UTF-8, as JSON is) in the database's encoding:
 * validated, and converted if the database's is another.  Bytes that are
 * not UTF-8, or characters the database's encoding lacks, are PostgreSQL's
 * standard errors (22021, 22P05), never stored as they are.  Returns s
 * itself when nothing had to change.
 */
static char *
server_string(const char *s)
{
	return pg_any_to_server(s, (int) strlen(s), PG_UTF8);
}

/* A JSON value into col's type, as the JSON text cJSON prints */
static Datum
convert_printed(const MaColumn *col, const cJSON *item)
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

static Datum
convert_tags(const MaColumn *col, const char **tags, int ntags)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(ntags, 1));
	int			i;

	for (i = 0; i < ntags; i++)
		elems[i] = CStringGetTextDatum(server_string(tags[i]));
	return PointerGetDatum(construct_array(elems, ntags, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * A JSON array or object as jsonb, palloc'd, without printing it: the
 * values pushed are those jsonb_in would push reading the text that
 * cJSON_PrintUnformatted prints for item (duplicate keys and key order are
 * then settled by pushJsonbValue, the same for both).
 */
static Jsonb *
jsonb_from_cjson(const cJSON *item)
{
	JsonbParseState *state = NULL;

	return JsonbValueToJsonb(push_cjson(&state, item, false));
}

/*
 * Push item (an array or object element when is_elem, else the value of a
 * key just pushed, or the top container) onto state.  Returns what
 * pushJsonbValue returns: the finished value once the top container ends.
 */
static JsonbValue *
push_cjson(JsonbParseState **state, const cJSON *item, bool is_elem)
{
	JsonbValue	v;
	const cJSON *child;

	if (cJSON_IsArray(item) || cJSON_IsObject(item))
	{
		bool		is_object = cJSON_IsObject(item);

		/* nesting is bounded by cJSON's parser, but be sure */
		check_stack_depth();
		pushJsonbValue(state, is_object ? WJB_BEGIN_OBJECT : WJB_BEGIN_ARRAY,
					   NULL);
		cJSON_ArrayForEach(child, item)
		{
			if (is_object)
			{
				jsonb_string(child->string, &v);
				pushJsonbValue(state, WJB_KEY, &v);
			}
			push_cjson(state, child, !is_object);
		}
		return pushJsonbValue(state, is_object ? WJB_END_OBJECT : WJB_END_ARRAY,
							  NULL);
	}

	cjson_scalar(item, &v);
	return pushJsonbValue(state, is_elem ? WJB_ELEM : WJB_VALUE, &v);
}

/*
 * A scalar of the cJSON tree as a JsonbValue pointing into the tree (or at
 * a palloc'd numeric).  A number is what numeric_in makes of the text cJSON
 * prints for it: an integer below 1e15 is its digits whatever the cJSON
 * version, so its numeric is made directly; any other number is printed by
 * cJSON itself, into a buffer on the stack, and read as jsonb_in reads it.
 */
static void
cjson_scalar(const cJSON *item, JsonbValue *v)
{
	if (cJSON_IsString(item))
		jsonb_string(item->valuestring, v);
	else if (cJSON_IsNumber(item))
	{
		double		d = item->valuedouble;
		char		buf[64];

		if (d == rint(d) && fabs(d) < 1e15)
		{
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric((int64) d);
		}
		else if (!cJSON_PrintPreallocated((cJSON *) item, buf, sizeof(buf),
										  false))
			elog(ERROR, "could not print a JSON number");
		else if (strcmp(buf, "null") == 0)
			v->type = jbvNull;	/* cJSON prints infinities so */
		else
		{
			v->type = jbvNumeric;
			v->val.numeric =
				DatumGetNumeric(DirectFunctionCall3(numeric_in,
													CStringGetDatum(buf),
													ObjectIdGetDatum(InvalidOid),
													Int32GetDatum(-1)));
		}
	}
	else if (cJSON_IsBool(item))
	{
		v->type = jbvBool;
		v->val.boolean = cJSON_IsTrue(item);
	}
	else
		v->type = jbvNull;		/* JSON null; cJSON parses nothing else */
}

/* A string (a key or a value) as a JsonbValue pointing at it, as jsonb_in checks it */
static void
jsonb_string(const char *s, JsonbValue *v)
{
	size_t		len;

	s = server_string(s);
	len = strlen(s);

	if (len > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string too long to represent as jsonb string"),
				 errdetail("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
						   JENTRY_OFFLENMASK)));
	v->type = jbvString;
	v->val.string.val = (char *) s;
	v->val.string.len = (int) len;
}

/*
 * Is s a date and time with no zone, "2019-08-05 10:13:20" (or with a "T",
 * seconds optional, a fraction allowed)?  The API documents its Datetime
 * fields without saying in which zone; the FDW takes them as UTC, whatever
 * the session's TimeZone, so that the same answer gives the same instant.
 */
static bool
zoneless_datetime(const char *s)
{
	int			i;

	for (i = 0; i < 16; i++)
	{
		char		c = s[i];
		bool		ok;

		switch (i)
		{
			case 4:
			case 7:
				ok = (c == '-');
				break;
			case 10:
				ok = (c == ' ' || c == 'T');
				break;
			case 13:
				ok = (c == ':');
				break;
			default:
				ok = (c >= '0' && c <= '9');
				break;
		}
		if (!ok)
			return false;
	}
	s += 16;
	if (s[0] == ':' && isdigit((unsigned char) s[1]) && isdigit((unsigned char) s[2]))
	{
		s += 3;
		if (s[0] == '.')
		{
			s++;
			while (isdigit((unsigned char) *s))
				s++;
		}
	}
	return *s == '\0';
}

/*
 * Raise the error for a field of an image that has the wrong type: never a
 * silent NULL or an image silently untagged.
 */
static void
wrong_field(const cJSON *image, const MaAnswerShape *shape, const char *field,
			const char *what)
{
	const cJSON *id = ma_json_member(image, shape->id);

	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("malformed answer from ModelArts: \"%s\" of %s \"%s\" %s",
					field, shape->item_word,
					cJSON_IsString(id) ? ma_server_text(id->valuestring) :
					psprintf("(no %s)", shape->id),
					what)));
}

static void
conversion_error_callback(void *arg)
{
	ConversionLocation *loc = (ConversionLocation *) arg;

	if (loc->column)
		errcontext("column \"%s\" of foreign table \"%s\"",
				   loc->column->attname, RelationGetRelationName(loc->rel));
}
