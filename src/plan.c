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

#include "access/stratnum.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/restrictinfo.h"
#include "utils/lsyscache.h"

#include "modelarts_fdw.h"

static Node *strip_relabel(Node *node);
static bool is_column(Node *node, Index relid, AttrNumber attno);
static bool is_value(Node *node);
static bool is_value_list(Node *node);
static bool is_id_equality(Oid opno);
static bool is_text_equality(Oid opno, Oid collid);
static bool classify_id(RestrictInfo *rinfo, Index relid, MaRelInfo *info);
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
	info->id_expr = NULL;
	info->tag_mode = MA_TAG_ALL;
	info->tag_expr = NULL;
	info->remote_conds = NIL;
	info->local_conds = NIL;

	/*
	 * First pass: equality and IN on either column, which select the most;
	 * second pass: IS [NOT] NULL on tag_name, if no equality was pushed.
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

/* A condition "data_annotation_id = v" or "data_annotation_id = ANY(...)" */
static bool
classify_id(RestrictInfo *rinfo, Index relid, MaRelInfo *info)
{
	Node	   *clause = (Node *) rinfo->clause;

	if (info->id_attno == 0 ||
		(info->id_mode != MA_ID_NONE && info->id_mode != MA_ID_TABLE))
		return false;

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left,
				   *right;

		if (list_length(op->args) != 2 ||
			!(info->id_is_text ? is_text_equality(op->opno, op->inputcollid) :
			  is_id_equality(op->opno)))
			return false;
		left = linitial(op->args);
		right = lsecond(op->args);
		if (is_column(left, relid, info->id_attno) && is_value(right))
			info->id_expr = (Expr *) right;
		else if (is_column(right, relid, info->id_attno) && is_value(left))
			info->id_expr = (Expr *) left;
		else
			return false;
		info->id_mode = MA_ID_EQ;
		return true;
	}
	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;

		if (!saop->useOr ||
			!(info->id_is_text ? is_text_equality(saop->opno, saop->inputcollid) :
			  is_id_equality(saop->opno)) ||
			!is_column(linitial(saop->args), relid, info->id_attno) ||
			!is_value_list(lsecond(saop->args)))
			return false;
		info->id_expr = (Expr *) lsecond(saop->args);
		info->id_mode = MA_ID_ANY;
		return true;
	}
	return false;
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

	if (IsA(clause, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;
		Node	   *left,
				   *right;

		if (list_length(op->args) != 2 ||
			!is_text_equality(op->opno, op->inputcollid))
			return false;
		left = linitial(op->args);
		right = lsecond(op->args);
		if (is_column(left, relid, info->tag_attno) && is_value(right))
			info->tag_expr = (Expr *) right;
		else if (is_column(right, relid, info->tag_attno) && is_value(left))
			info->tag_expr = (Expr *) left;
		else
			return false;
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
