/*-------------------------------------------------------------------------
 *
 * plan.c
 *		  Request planning: which WHERE conditions become API parameters,
 *		  which request streams a scan sends, and how a LIMIT/OFFSET window
 *		  maps onto per_page and page.
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

/* The API's tag_name value meaning "images with no tag". */
#define MA_UNTAGGED_FILTER "__none__"

static Node *strip_relabel(Node *node);
static bool is_column(Node *node, Index relid, AttrNumber attno);
static bool is_value(Node *node);
static bool is_value_list(Node *node);
static bool is_id_equality(Oid opno);
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

	info->id_mode = info->table.has_annotation_id ? MA_ID_TABLE : MA_ID_NONE;
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

		if (list_length(op->args) != 2 || !is_id_equality(op->opno))
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

		if (!saop->useOr || !is_id_equality(saop->opno) ||
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

		if (list_length(op->args) != 2 || op->opno != TextEqualOperator ||
			!OidIsValid(op->inputcollid) ||
			!get_collation_isdeterministic(op->inputcollid))
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

		if (!saop->useOr || saop->opno != TextEqualOperator ||
			!OidIsValid(saop->inputcollid) ||
			!get_collation_isdeterministic(saop->inputcollid) ||
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
 * Can this tag be sent as tag_name=... with the answer SQL expects?  Not
 * "__none__", which the API reads as "no tag", and not the empty string,
 * which a server may read as no filter at all.
 */
bool
ma_tag_value_is_pushable(const char *tag)
{
	return tag[0] != '\0' && strcmp(tag, MA_UNTAGGED_FILTER) != 0;
}

/*
 * A join clause "data_annotation_id = <outer expression>" that a
 * parameterized scan can answer by sending the outer row's value as the job:
 * integer equality, our column on one side, and on the other an expression
 * of other relations only, with nothing volatile.  *value gets that side.
 */
bool
ma_param_id_clause(PlannerInfo *root, RestrictInfo *rinfo, Index relid,
				   AttrNumber id_attno, Expr **value)
{
	Node	   *clause = (Node *) rinfo->clause;
	OpExpr	   *op;
	Node	   *left,
			   *right,
			   *other;

	if (id_attno == 0 || !IsA(clause, OpExpr))
		return false;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2 || !is_id_equality(op->opno))
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

/*
 * The jobs a scan reads, from the evaluated data_annotation_id values ("ids",
 * palloc'd int64, free of duplicates) and the table option.  With both, only
 * the ids equal to the option remain: a disagreement is no job at all, so no
 * rows and no request.  With neither, NIL (the caller decides whether that
 * means "every job" or a refusal).
 */
List *
ma_select_jobs(MaIdMode id_mode, List *ids, bool has_table_id, int64 table_id)
{
	List	   *jobs = NIL;
	ListCell   *lc;

	if (id_mode == MA_ID_EQ || id_mode == MA_ID_ANY)
	{
		foreach(lc, ids)
		{
			int64		id = *(int64 *) lfirst(lc);

			if (!has_table_id || id == table_id)
				jobs = lappend(jobs, lfirst(lc));
		}
	}
	else if (has_table_id)
	{
		int64	   *id = palloc(sizeof(int64));

		*id = table_id;
		jobs = list_make1(id);
	}
	return jobs;
}

/*
 * The request streams of a scan, from the evaluated conditions.  "ids" is a
 * list of int64 values (as palloc'd int64 pointers) and "tags" a list of C
 * strings, both already free of NULLs and duplicates.  With a table option
 * and a pushed condition, only the ids equal to the option remain: a
 * disagreement is no rows and no request.
 */
List *
ma_build_streams(MaIdMode id_mode, List *ids, bool has_table_id,
				 int64 table_id, MaTagMode tag_mode, List *tags)
{
	List	   *streams = NIL;
	List	   *jobs = ma_select_jobs(id_mode, ids, has_table_id, table_id);
	ListCell   *lc;

	foreach(lc, jobs)
	{
		int64		job = *(int64 *) lfirst(lc);
		MaStream   *s;
		List	   *keep = NIL;
		ListCell   *lc2;

		switch (tag_mode)
		{
			case MA_TAG_ALL:
			case MA_TAG_TAGGED:
				s = palloc0(sizeof(MaStream));
				s->job_id = job;
				s->kind = MA_STREAM_TAGGED;
				streams = lappend(streams, s);
				if (tag_mode == MA_TAG_ALL)
				{
					s = palloc0(sizeof(MaStream));
					s->job_id = job;
					s->kind = MA_STREAM_UNTAGGED;
					streams = lappend(streams, s);
				}
				break;
			case MA_TAG_UNTAGGED:
				s = palloc0(sizeof(MaStream));
				s->job_id = job;
				s->kind = MA_STREAM_UNTAGGED;
				streams = lappend(streams, s);
				break;
			case MA_TAG_EQ:
			case MA_TAG_ANY:
				foreach(lc2, tags)
				{
					char	   *tag = lfirst(lc2);

					if (!ma_tag_value_is_pushable(tag))
					{
						/* read through the tagged stream, filtered here */
						keep = lappend(keep, tag);
						continue;
					}
					s = palloc0(sizeof(MaStream));
					s->job_id = job;
					s->kind = MA_STREAM_TAG;
					s->tag = tag;
					streams = lappend(streams, s);
				}
				if (keep != NIL)
				{
					s = palloc0(sizeof(MaStream));
					s->job_id = job;
					s->kind = MA_STREAM_TAGGED;
					s->keep_tags = keep;
					streams = lappend(streams, s);
				}
				break;
		}
	}
	return streams;
}

/*
 * Does every image of the stream give exactly one row?  Then a window of
 * rows is a window of images, and LIMIT/OFFSET map onto pages.
 */
bool
ma_stream_is_exact(const MaStream *stream)
{
	return stream->kind != MA_STREAM_TAGGED;
}

/*
 * Map rows [offset, offset + limit) of an exact stream onto pages: the page
 * size that covers the window in the fewest requests, and among those the
 * one that fetches the fewest images.  Windows wider than max_page rows take
 * max_page-row pages.  limit must be positive.
 */
void
ma_page_window(int64 offset, int64 limit, int max_page,
			   int *per_page, int64 *first_page, int64 *npages)
{
	int			best_p = max_page;
	int64		best_n = -1;
	int			p;

	if (limit > max_page)
	{
		*per_page = max_page;
		*first_page = offset / max_page + 1;
		*npages = (offset + limit - 1) / max_page - offset / max_page + 1;
		return;
	}

	for (p = 1; p <= max_page; p++)
	{
		int64		n = (offset + limit - 1) / p - offset / p + 1;

		/* fewer requests wins; then fewer images (n * p) */
		if (best_n < 0 || n < best_n ||
			(n == best_n && n * p < best_n * best_p))
		{
			best_n = n;
			best_p = p;
		}
	}
	*per_page = best_p;
	*first_page = offset / best_p + 1;
	*npages = best_n;
}

/* Append "/v1/{project}/data-annotations/{job}/images", encoded. */
void
ma_append_images_path(StringInfo buf, const char *project_id, const char *job)
{
	appendStringInfoString(buf, "/v1/");
	ma_append_encoded(buf, project_id);
	appendStringInfoString(buf, "/data-annotations/");
	ma_append_encoded(buf, job);
	appendStringInfoString(buf, "/images");
}

/*
 * Append the tag_name part of a stream's query string ("tag_name=...&", or
 * nothing for the tagged stream).  tag_encoded is already percent-encoded
 * (or a placeholder such as "$1" for EXPLAIN).
 */
void
ma_append_stream_query(StringInfo buf, MaStreamKind kind, const char *tag_encoded)
{
	switch (kind)
	{
		case MA_STREAM_TAGGED:
			break;
		case MA_STREAM_UNTAGGED:
			appendStringInfoString(buf, "tag_name=" MA_UNTAGGED_FILTER "&");
			break;
		case MA_STREAM_TAG:
			appendStringInfo(buf, "tag_name=%s&", tag_encoded);
			break;
	}
}
