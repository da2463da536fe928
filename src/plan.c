/*-------------------------------------------------------------------------
 *
 * plan.c
 *		  Condition planning: which WHERE conditions become API parameters
 *		  (the streams and pages they make are request.c's).
 *
 * The rule throughout: a condition is pushed only when the API's answer is
 * exactly what SQL would return; anything else stays a local filter.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/stratnum.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/restrictinfo.h"
#include "common/int.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "modelarts_fdw.h"

/* numeric = numeric and float8 = float8 (pg_operator.dat) */
#define NUMERIC_EQ_OPERATOR		1752
#define FLOAT8_EQ_OPERATOR		670

static Node *strip_relabel(Node *node);
static bool is_column(Node *node, Index relid, AttrNumber attno);
static bool is_value(Node *node);
static bool is_value_list(Node *node);
static bool is_id_equality(Oid opno);
static bool is_text_equality(Oid opno, Oid collid);
static bool is_id_column(Node *node, Index relid, AttrNumber attno, bool text,
						 Oid *cast);
static bool is_id_equality_as(Oid opno, Oid cast, Oid collid);
static bool float_value_is_exact(Node *value);
static bool id_equality(Node *clause, Index relid, AttrNumber attno,
						bool text, Node **value, int *flags);
static int64 id_from_digits(const char *t);
static bool classify_id(RestrictInfo *rinfo, Index relid, MaRelInfo *info);
static bool classify_id_bound(RestrictInfo *rinfo, Index relid,
							  MaRelInfo *info);
static bool tag_equality(OpExpr *op, Index relid, AttrNumber attno,
						 Node **value);
static bool classify_tag(RestrictInfo *rinfo, Index relid, MaRelInfo *info);

/*
 * Sort the relation's restriction clauses into those the API answers exactly
 * (info->remote_conds, with the pushed expressions recorded in info) and the
 * rest (info->local_conds).  At most one condition on data_annotation_id and
 * one on tag_name are pushed; a second one stays local, which is always
 * correct.
 */
void
ma_classify_conditions(PlannerInfo *root, RelOptInfo *baserel, MaRelInfo *info)
{
	ListCell   *lc;

	info->id_mode = (MA_RESOURCE_IS_V2(info->table.resource) ?
					 info->table.dataset_id != NULL :
					 info->table.has_annotation_id) ? MA_ID_TABLE : MA_ID_NONE;
	info->id_exprs = NIL;
	info->id_flags = NIL;
	info->id_lo_expr = info->id_hi_expr = NULL;
	info->tag_mode = MA_TAG_ALL;
	info->tag_expr = NULL;
	info->remote_conds = NIL;
	info->local_conds = NIL;

	/*
	 * First pass: equality and IN on either column, which select the most;
	 * second pass: bounds on data_annotation_id and IS [NOT] NULL on
	 * tag_name, if no equality was pushed.
	 */
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (classify_id(rinfo, baserel->relid, info) ||
			classify_tag(rinfo, baserel->relid, info))
			info->remote_conds = lappend(info->remote_conds, rinfo);
	}
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Node	   *clause = (Node *) rinfo->clause;

		if (list_member_ptr(info->remote_conds, rinfo))
			continue;

		/* bounds on data_annotation_id, if no equality was pushed */
		if (classify_id_bound(rinfo, baserel->relid, info))
		{
			info->remote_conds = lappend(info->remote_conds, rinfo);
			continue;
		}

		if (info->tag_attno != 0 && info->tag_mode == MA_TAG_ALL &&
			IsA(clause, NullTest) &&
			!((NullTest *) clause)->argisrow &&
			is_column((Node *) ((NullTest *) clause)->arg, baserel->relid,
					  info->tag_attno))
		{
			info->tag_mode = ((NullTest *) clause)->nulltesttype == IS_NULL
				? MA_TAG_UNTAGGED : MA_TAG_TAGGED;
			info->remote_conds = lappend(info->remote_conds, rinfo);
			continue;
		}
		info->local_conds = lappend(info->local_conds, rinfo);
	}
}

/*
 * Is node the id column, maybe under a cast that keeps equality exact: the
 * casts of bigint to numeric and to float8 (every job ID below 2^53 is
 * exact in a double) and the I/O cast to text (one spelling per integer).
 * *cast gets the type compared: INT8OID for the column itself.  v2's
 * dataset_id ("text") is a string: the column itself, compared as text.
 */
static bool
is_id_column(Node *node, Index relid, AttrNumber attno, bool text, Oid *cast)
{
	if (text)
	{
		*cast = TEXTOID;
		return is_column(node, relid, attno);
	}
	node = strip_relabel(node);
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) &&
		(((FuncExpr *) node)->funcformat == COERCE_IMPLICIT_CAST ||
		 ((FuncExpr *) node)->funcformat == COERCE_EXPLICIT_CAST) &&
		list_length(((FuncExpr *) node)->args) == 1 &&
		(((FuncExpr *) node)->funcresulttype == NUMERICOID ||
		 ((FuncExpr *) node)->funcresulttype == FLOAT8OID) &&
		is_column(linitial(((FuncExpr *) node)->args), relid, attno))
	{
		*cast = ((FuncExpr *) node)->funcresulttype;
		return true;
	}
	if (IsA(node, CoerceViaIO) &&
		((CoerceViaIO *) node)->resulttype == TEXTOID &&
		is_column((Node *) ((CoerceViaIO *) node)->arg, relid, attno))
	{
		*cast = TEXTOID;
		return true;
	}
	*cast = INT8OID;
	return is_column(node, relid, attno);
}

/*
 * Is opno the equality of the type the id column is compared as?  Integers
 * in any combination; numeric; float8; text under a deterministic
 * collation (byte equality: "282" is the only spelling that matches).
 */
static bool
is_id_equality_as(Oid opno, Oid cast, Oid collid)
{
	switch (cast)
	{
		case INT8OID:
			return is_id_equality(opno);
		case NUMERICOID:
			return opno == NUMERIC_EQ_OPERATOR;
		case FLOAT8OID:
			return opno == FLOAT8_EQ_OPERATOR;
		case TEXTOID:
			return is_text_equality(opno, collid);
	}
	return false;
}

/*
 * A float8 value is pushed only as a constant that is a whole number up to
 * 2^53, or not whole: then it names one job, or none.  Above, several
 * bigints compare equal to it as doubles.
 */
static bool
float_value_is_exact(Node *value)
{
	Const	   *c;
	double		d;

	value = strip_relabel(value);
	if (!IsA(value, Const))
		return false;
	c = (Const *) value;
	if (c->constisnull)
		return true;
	d = DatumGetFloat8(c->constvalue);
	return isnan(d) || d != floor(d) || fabs(d) <= 9007199254740992.0;
}

/*
 * One equality on data_annotation_id: "= v" or "= ANY(array)", the column
 * maybe under an exact cast (is_id_column); on v2's dataset_id ("text"),
 * text equality under a deterministic collation.  *value and *flags get
 * the value side.
 */
static bool
id_equality(Node *clause, Index relid, AttrNumber attno, bool text,
			Node **value, int *flags)
{
	Oid			cast;

	if (IsA(clause, OpExpr) || IsA(clause, DistinctExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left,
				   *right;

		if (list_length(op->args) != 2)
			return false;
		left = linitial(op->args);
		right = lsecond(op->args);
		if (is_id_column(left, relid, attno, text, &cast) && is_value(right))
			*value = right;
		else if (is_id_column(right, relid, attno, text, &cast) &&
				 is_value(left))
			*value = left;
		else
			return false;
		if (!is_id_equality_as(op->opno, cast, op->inputcollid))
			return false;
		if (cast == FLOAT8OID && !float_value_is_exact(*value))
			return false;
		*flags = 0;
		return true;
	}
	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;

		if (!saop->useOr ||
			!is_id_column(linitial(saop->args), relid, attno, text, &cast) ||
			!is_id_equality_as(saop->opno, cast, saop->inputcollid) ||
			cast == FLOAT8OID ||
			!is_value_list(lsecond(saop->args)))
			return false;
		*value = lsecond(saop->args);
		*flags = MA_IDV_ARRAY;
		return true;
	}
	return false;
}

/*
 * A condition that chooses the jobs: an equality (id_equality), an OR of
 * them ("id = 282 OR id = 283"), or the optional-filter idiom
 * "(id = $1 OR $1 IS NULL)": the job $1, or every job when $1 is NULL.
 * "id IS NOT DISTINCT FROM v" is "id = v": the column is never NULL.
 */
static bool
classify_id(RestrictInfo *rinfo, Index relid, MaRelInfo *info)
{
	Node	   *clause = (Node *) rinfo->clause;
	Node	   *value;
	int			flags;
	ListCell   *lc;
	List	   *exprs = NIL;
	List	   *flaglist = NIL;

	if (info->id_attno == 0 ||
		(info->id_mode != MA_ID_NONE && info->id_mode != MA_ID_TABLE))
		return false;

	if (is_notclause(clause) &&
		IsA(get_notclausearg((Expr *) clause), DistinctExpr))
	{
		/* NOT (id IS DISTINCT FROM v) */
		if (!id_equality((Node *) get_notclausearg((Expr *) clause), relid,
						 info->id_attno, info->id_is_text,
						 &value, &flags))
			return false;
		exprs = list_make1(value);
		flaglist = list_make1_int(flags);
	}
	else if (!IsA(clause, DistinctExpr) &&
			 id_equality(clause, relid, info->id_attno, info->id_is_text,
						 &value, &flags))
	{
		exprs = list_make1(value);
		flaglist = list_make1_int(flags);
	}
	else if (is_orclause(clause))
	{
		List	   *nulltests = NIL;

		foreach(lc, ((BoolExpr *) clause)->args)
		{
			Node	   *arg = lfirst(lc);

			if (!IsA(arg, DistinctExpr) &&
				id_equality(arg, relid, info->id_attno, info->id_is_text,
						 &value, &flags))
			{
				exprs = lappend(exprs, value);
				flaglist = lappend_int(flaglist, flags);
			}
			else if (IsA(arg, NullTest) &&
					 ((NullTest *) arg)->nulltesttype == IS_NULL &&
					 !((NullTest *) arg)->argisrow &&
					 is_value((Node *) ((NullTest *) arg)->arg))
				nulltests = lappend(nulltests,
									strip_relabel((Node *) ((NullTest *) arg)->arg));
			else
				return false;
		}
		/*
		 * "v IS NULL": only as the idiom, one value and its test; not on
		 * v2's dataset_id, whose scan knows when it is made whether it reads
		 * the dataset list (there the idiom stays a local filter)
		 */
		if (nulltests != NIL)
		{
			if (info->id_is_text ||
				list_length(exprs) != 1 || list_length(nulltests) != 1 ||
				(linitial_int(flaglist) & MA_IDV_ARRAY) ||
				!equal(strip_relabel(linitial(exprs)), linitial(nulltests)))
				return false;
			linitial_int(flaglist) |= MA_IDV_NULL_ALL;
		}
	}
	else
		return false;

	info->id_exprs = exprs;
	info->id_flags = flaglist;
	info->id_mode = MA_ID_EQ;
	return true;
}

/*
 * A bound on data_annotation_id: "id >= v", "id > v", "id <= v", "id < v"
 * (integers; v a Const or Param; BETWEEN is two of them).  The jobs of the
 * listing are filtered by the range, exactly; a range of one value is that
 * job.  Returns false for anything else, or a second bound on one side.
 */
static bool
classify_id_bound(RestrictInfo *rinfo, Index relid, MaRelInfo *info)
{
	Node	   *clause = (Node *) rinfo->clause;
	OpExpr	   *op;
	Node	   *value;
	int			strategy;

	if (info->id_attno == 0 || info->id_is_text || !IsA(clause, OpExpr) ||
		(info->id_mode != MA_ID_NONE && info->id_mode != MA_ID_TABLE &&
		 info->id_mode != MA_ID_RANGE))
		return false;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2)
		return false;
	strategy = get_op_opfamily_strategy(op->opno, INTEGER_BTREE_FAM_OID);
	if (is_column(linitial(op->args), relid, info->id_attno) &&
		is_value(lsecond(op->args)))
		value = lsecond(op->args);
	else if (is_column(lsecond(op->args), relid, info->id_attno) &&
			 is_value(linitial(op->args)))
	{
		/* "v < id" is "id > v" */
		value = linitial(op->args);
		strategy = BTMaxStrategyNumber + 1 - strategy;
	}
	else
		return false;

	switch (strategy)
	{
		case BTGreaterStrategyNumber:
		case BTGreaterEqualStrategyNumber:
			if (info->id_lo_expr)
				return false;
			info->id_lo_expr = (Expr *) value;
			info->id_lo_strict = (strategy == BTGreaterStrategyNumber);
			break;
		case BTLessStrategyNumber:
		case BTLessEqualStrategyNumber:
			if (info->id_hi_expr)
				return false;
			info->id_hi_expr = (Expr *) value;
			info->id_hi_strict = (strategy == BTLessStrategyNumber);
			break;
		default:
			return false;
	}
	info->id_mode = MA_ID_RANGE;
	return true;
}

/* "tag_name = v" under the text equality and a deterministic collation */
static bool
tag_equality(OpExpr *op, Index relid, AttrNumber attno, Node **value)
{
	Node	   *left,
			   *right;

	if (list_length(op->args) != 2 ||
		!is_text_equality(op->opno, op->inputcollid))
		return false;
	left = linitial(op->args);
	right = lsecond(op->args);
	if (is_column(left, relid, attno) && is_value(right))
		*value = right;
	else if (is_column(right, relid, attno) && is_value(left))
		*value = left;
	else
		return false;
	return true;
}

/*
 * A condition "tag_name = v" or "tag_name = ANY(...)" under the text
 * equality operator and a deterministic collation, where equality is
 * byte equality, as it is on the service.
 */
static bool
classify_tag(RestrictInfo *rinfo, Index relid, MaRelInfo *info)
{
	Node	   *clause = (Node *) rinfo->clause;

	if (info->tag_attno == 0 || info->tag_mode != MA_TAG_ALL)
		return false;

	/*
	 * The optional-filter idioms, settled when the value is known:
	 * "tag_name IS NOT DISTINCT FROM v" (v NULL: the untagged rows) and
	 * "(tag_name = v OR v IS NULL)" (v NULL: every row).
	 */
	if (is_notclause(clause) && IsA(get_notclausearg((Expr *) clause), DistinctExpr))
	{
		DistinctExpr *d = (DistinctExpr *) get_notclausearg((Expr *) clause);
		Node	   *value;

		if (!tag_equality((OpExpr *) d, relid, info->tag_attno, &value))
			return false;
		info->tag_expr = (Expr *) value;
		info->tag_mode = MA_TAG_EQ_OR_NULL;
		return true;
	}
	if (is_orclause(clause) && list_length(((BoolExpr *) clause)->args) == 2)
	{
		Node	   *a = linitial(((BoolExpr *) clause)->args);
		Node	   *b = lsecond(((BoolExpr *) clause)->args);
		Node	   *value;

		if (IsA(a, NullTest))
		{
			Node	   *t = a;

			a = b;
			b = t;
		}
		if (!IsA(a, OpExpr) || !IsA(b, NullTest) ||
			((NullTest *) b)->nulltesttype != IS_NULL ||
			((NullTest *) b)->argisrow ||
			!tag_equality((OpExpr *) a, relid, info->tag_attno, &value) ||
			!equal(strip_relabel(value),
				   strip_relabel((Node *) ((NullTest *) b)->arg)))
			return false;
		info->tag_expr = (Expr *) value;
		info->tag_mode = MA_TAG_EQ_OR_ALL;
		return true;
	}

	if (IsA(clause, OpExpr))
	{
		Node	   *value;

		if (!tag_equality((OpExpr *) clause, relid, info->tag_attno, &value))
			return false;
		info->tag_expr = (Expr *) value;
		info->tag_mode = MA_TAG_EQ;
		return true;
	}
	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;

		if (!saop->useOr || !is_text_equality(saop->opno, saop->inputcollid) ||
			!is_column(linitial(saop->args), relid, info->tag_attno) ||
			!is_value_list(lsecond(saop->args)))
			return false;
		info->tag_expr = (Expr *) lsecond(saop->args);
		info->tag_mode = MA_TAG_ANY;
		return true;
	}
	return false;
}

/* Equality between integers (int2, int4, int8 in any combination). */
static bool
is_id_equality(Oid opno)
{
	return get_op_opfamily_strategy(opno, INTEGER_BTREE_FAM_OID) ==
		BTEqualStrategyNumber;
}

/*
 * The text equality operator under a deterministic collation, where
 * equality is byte equality, as it is on the service: for tags, labels and
 * v2's dataset IDs.
 */
static bool
is_text_equality(Oid opno, Oid collid)
{
	return opno == TextEqualOperator && OidIsValid(collid) &&
		get_collation_isdeterministic(collid);
}

static Node *
strip_relabel(Node *node)
{
	while (node && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	return node;
}

/* Is node the given column of the scanned relation (binary-coerced or not)? */
static bool
is_column(Node *node, Index relid, AttrNumber attno)
{
	Var		   *var;

	node = strip_relabel(node);
	if (node == NULL || !IsA(node, Var))
		return false;
	var = (Var *) node;
	return var->varno == relid && var->varattno == attno &&
		var->varlevelsup == 0;
}

/*
 * A value known when the scan starts: a constant or a parameter (external,
 * as drivers send them, or from an outer plan).
 */
static bool
is_value(Node *node)
{
	node = strip_relabel(node);
	return node != NULL && (IsA(node, Const) || IsA(node, Param));
}

/* An array of values: a constant array, an array parameter, or ARRAY[...] */
static bool
is_value_list(Node *node)
{
	ListCell   *lc;

	node = strip_relabel(node);
	if (node == NULL)
		return false;
	if (IsA(node, Const) || IsA(node, Param))
		return true;
	if (!IsA(node, ArrayExpr) || ((ArrayExpr *) node)->multidims)
		return false;
	foreach(lc, ((ArrayExpr *) node)->elements)
	{
		if (!is_value(lfirst(lc)))
			return false;
	}
	return true;
}

/*
 * A join clause "data_annotation_id = <outer expression>" that a
 * parameterized scan can answer by sending the outer row's value as the job:
 * integer equality (text equality for v2's dataset_id: "text"), our column on one side, and on the other an expression
 * of other relations only, with nothing volatile.  *value gets that side.
 */
bool
ma_param_id_clause(PlannerInfo *root, RestrictInfo *rinfo, Index relid,
				   AttrNumber id_attno, bool text, Expr **value)
{
	Node	   *clause = (Node *) rinfo->clause;
	OpExpr	   *op;
	Node	   *left,
			   *right,
			   *other;

	if (id_attno == 0 || !IsA(clause, OpExpr))
		return false;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2 ||
		!(text ? is_text_equality(op->opno, op->inputcollid) :
		  is_id_equality(op->opno)))
		return false;
	left = linitial(op->args);
	right = lsecond(op->args);
	if (is_column(left, relid, id_attno))
		other = right;
	else if (is_column(right, relid, id_attno))
		other = left;
	else
		return false;
	if (bms_is_member(relid, pull_varnos(root, other)) ||
		contain_volatile_functions(other) ||
		contain_subplans(other))
		return false;
	*value = (Expr *) other;
	return true;
}

/* A positive bigint in its one spelling ("282"), or 0 */
static int64
id_from_digits(const char *t)
{
	int64		v = 0;
	const char *p;

	if (t[0] < '1' || t[0] > '9')
		return 0;
	for (p = t; *p; p++)
	{
		if (*p < '0' || *p > '9' ||
			pg_mul_s64_overflow(v, 10, &v) ||
			pg_add_s64_overflow(v, *p - '0', &v))
			return 0;
	}
	return v;
}

/*
 * The job a value of a pushed condition on data_annotation_id names: an
 * integer as it is; a numeric or float8 only if it is a whole number; a
 * text only in the spelling of a bigint ("282", not "0282" or " 282").
 * 0 for a value that no job can have (a job ID is positive), so that the
 * request plan drops it: no rows, no request.
 */
int64
ma_id_from_datum(Datum d, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return Max(DatumGetInt16(d), 0);
		case INT4OID:
			return Max(DatumGetInt32(d), 0);
		case INT8OID:
			return Max(DatumGetInt64(d), 0);
		case NUMERICOID:
			{
				/* its digits: "282" or "282.000" name job 282 */
				char	   *t = DatumGetCString(DirectFunctionCall1(numeric_out, d));
				char	   *dot = strchr(t, '.');

				if (dot != NULL)
				{
					char	   *p;

					for (p = dot + 1; *p; p++)
					{
						if (*p != '0')
							return 0;
					}
					*dot = '\0';
				}
				return id_from_digits(t);
			}
		case FLOAT8OID:
			{
				double		f = DatumGetFloat8(d);

				if (isnan(f) || f != floor(f) || f < 1 || f > 9007199254740992.0)
					return 0;
				return (int64) f;
			}
		case TEXTOID:
		case VARCHAROID:
			return id_from_digits(TextDatumGetCString(d));
	}
	elog(ERROR, "modelarts_fdw: unexpected type %u for data_annotation_id", type);
	return 0;					/* keep compiler quiet */
}
