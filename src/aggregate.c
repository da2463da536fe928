/*-------------------------------------------------------------------------
 *
 * aggregate.c
 *		  Aggregate pushdown: counts grouped by tag answered from the
 *		  service's tags/stats, one call per job and no image request.
 *
 * The row model is one row per (image, distinct tag) and one row with a
 * NULL tag per untagged image.  tags/stats gives, per job, each tag's
 * "count" (images carrying it, for classification; the contract leaves
 * open whether a detection job counts images or boxes) and the numbers of
 * tagged and untagged images.  So, for the jobs of one scan (one, or an IN
 * list, constants at plan time) and its tag_name condition (=, IN, IS NULL,
 * IS NOT NULL, or none), this file answers
 *
 *	 count(*), count(image_id)	 the rows: a tag's count, the untagged count
 *	 count(DISTINCT image_id)	 per tag group the same; over a job's rows
 *								 the tagged plus untagged images (or one of
 *								 them, or one tag's count)
 *
 * grouped by tag_name and/or data_annotation_id, or not grouped.  The
 * planner pushes a shape only where the answer is exactly what SQL would
 * compute from the rows:
 *
 * - a tag's count is the tag's rows only in a classification job: a shape
 *   that needs it is pushed only when every job is known (from its job
 *   call at plan time, see estimate.c) to be one;
 * - the untagged and tagged image counts are images in either type: a
 *   shape that needs only them (counts of IS NULL, count(DISTINCT
 *   image_id) of a job's images, or the tags present without a count) is
 *   pushed for detection jobs too;
 * - count(DISTINCT image_id) over several jobs, or over several tags of an
 *   IN list, is the size of a union that no count gives: not pushed;
 * - anything else (another aggregate, FILTER, a condition left local such as
 *   image_name LIKE ..., a grouping on another column, a text grouping
 *   under a non-deterministic collation) is not pushed.
 *
 * HAVING runs as a local filter of the foreign scan; ORDER BY and LIMIT
 * run above it.  The answers are read at execution (fresh, never from the
 * planner's cache); an answer that lacks a count the plan relies on is an
 * error, not a guess.
 *
 * Pushing needs the plan-time calls: with use_remote_estimate off the
 * planner asks nothing, and aggregates are computed locally.  So does
 * SET modelarts_fdw.enable_aggregate_pushdown = off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "access/stratnum.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_operator.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "modelarts_fdw.h"

/* As modelarts_fdw.c's request cost; a little less, so ties go here. */
#define MA_AGG_REQUEST_COST		24.0

bool		ma_enable_aggregate_pushdown = true;

/* What an item of the foreign scan's target list is. */
typedef enum AggColumn
{
	AGG_COL_JOB,				/* data_annotation_id, a grouping column */
	AGG_COL_TAG,				/* tag_name, a grouping column */
	AGG_COL_ROWS,				/* count(*), count(image_id) */
	AGG_COL_DISTINCT			/* count(DISTINCT image_id) */
} AggColumn;

/* The shape of a pushed aggregate: its filter and grouping. */
typedef struct AggSpec
{
	MaTagMode	tag_mode;
	List	   *tags;			/* UTF-8 strings, for MA_TAG_EQ/ANY */
	bool		by_job;
	bool		by_tag;
} AggSpec;

/* One group of the answer. */
typedef struct AggGroup
{
	int64		job;
	char	   *tag;			/* NULL: the untagged images' group */
	int64		rows;
	int64		distinct;
} AggGroup;

/* Planner state of a pushed aggregate (grouped_rel->fdw_private). */
typedef struct MaAggInfo
{
	Index		relid;			/* the foreign table's RT index */
	AggSpec		spec;
	List	   *jobs;			/* int64 * */
	List	   *tlist;			/* fdw_scan_tlist */
	List	   *kinds;			/* AggColumn of each of its items */
	List	   *having;			/* local quals */
} MaAggInfo;

/* Indexes of a pushed aggregate's fdw_private list. */
enum FdwAggPrivateIndex
{
	FdwAggPrivateMarker,		/* String "aggregate": see ma_is_aggregate_scan */
	FdwAggPrivateJobs,			/* List of String: job IDs */
	FdwAggPrivateTagMode,		/* Integer: MaTagMode */
	FdwAggPrivateTags,			/* List of String: tags, UTF-8 */
	FdwAggPrivateByJob,			/* Boolean */
	FdwAggPrivateByTag,			/* Boolean */
	FdwAggPrivateKinds,			/* List of Integer: AggColumn per item */
	FdwAggPrivateAttnos			/* List of Integer: id and tag columns */
};

/* Execution state of a pushed aggregate. */
typedef struct MaAggState
{
	Relation	rel;
	MaConnection *conn;
	const char *project_id;
	int			in_flight;
	AggSpec		spec;
	List	   *jobs;			/* int64 * */
	int		   *kinds;
	int			nkinds;
	MaColumn   *columns;		/* the id and tag columns, for conversion */
	int			ncolumns;
	Datum	   *values;			/* a row of rel, for ma_fill_row */
	bool	   *nulls;
	MaRequestCounters counters;
	MemoryContext cxt;			/* the groups */
	List	   *groups;			/* AggGroup, NIL before the calls */
	bool		fetched;
	int			next;
} MaAggState;

static bool grouping_column(Node *expr, SortGroupClause *sgc, Index relid,
							MaRelInfo *info, int *kind);
static bool aggregate_kind(Aggref *agg, Index relid, Oid reloid, int *kind);
static bool add_items(Node *expr, Index relid, Oid reloid, MaRelInfo *info,
					  MaAggInfo *ai);
static bool tag_matches(const AggSpec *sp, const char *tag);
static List *compute_groups(const AggSpec *sp, List *stats);
static int	group_tag_cmp(const ListCell *a, const ListCell *b);
static List *merge_tag_groups(List *groups);
static bool needs_tag_counts(const AggSpec *sp, bool has_rows,
							 bool has_distinct);
static MaJobStats *answer_stats(const cJSON *answer, MaCall *call, int64 job,
								bool tag_counts);
static void fetch_groups(MaAggState *st);
static void stats_request(MaAggState *st, int64 job_id, StringInfo path,
						  StringInfo query);

/*
 * The grouped path, if the shape can be answered exactly from tags/stats
 * (see the file header).  Called for UPPERREL_GROUP_AGG over one of our
 * base relations.
 */
void
ma_add_grouping_paths(PlannerInfo *root, RelOptInfo *input_rel,
					  RelOptInfo *grouped_rel, GroupPathExtraData *extra)
{
	Query	   *parse = root->parse;
	MaRelInfo  *info = (MaRelInfo *) input_rel->fdw_private;
	PathTarget *target = grouped_rel->reltarget;
	MaServerOptions sopts;
	MaAggInfo  *ai;
	Oid			reloid;
	bool		known;
	bool		has_rows = false;
	bool		has_distinct = false;
	bool		needs_class;
	List	   *stats = NIL;
	ListCell   *lc;
	int			i;
	double		groups;
	double		startup;
	double		total;

	if (!ma_enable_aggregate_pushdown || info == NULL ||
		input_rel->reloptkind != RELOPT_BASEREL ||
		grouped_rel->fdw_private != NULL ||
		extra->patype != PARTITIONWISE_AGGREGATE_NONE ||
		parse->groupingSets != NIL || parse->hasTargetSRFs)
		return;
	if (info->table.resource != MA_RESOURCE_IMAGES || info->local_conds != NIL)
		return;
	ma_get_server_options(GetForeignServer(input_rel->serverid), &sopts);
	if (!ma_use_remote_estimate(&sopts, &info->table))
		return;

	ai = palloc0(sizeof(MaAggInfo));
	ai->relid = input_rel->relid;
	ai->jobs = ma_const_jobs(info, &known);
	if (!known)
		return;
	ai->spec.tag_mode = info->tag_mode;
	if ((info->tag_mode == MA_TAG_EQ || info->tag_mode == MA_TAG_ANY) &&
		!ma_const_tags(info, &ai->spec.tags))
		return;
	if (info->tag_mode != MA_TAG_ALL && info->tag_mode != MA_TAG_TAGGED &&
		info->tag_mode != MA_TAG_UNTAGGED && info->tag_mode != MA_TAG_EQ &&
		info->tag_mode != MA_TAG_ANY)
		return;
	reloid = planner_rt_fetch(input_rel->relid, root)->relid;

	/* the grouping columns, then the aggregates and what uses them */
	i = 0;
	foreach(lc, target->exprs)
	{
		Expr	   *expr = (Expr *) lfirst(lc);
		Index		sgref = get_pathtarget_sortgroupref(target, i);
		SortGroupClause *sgc;

		i++;
		if (sgref == 0 ||
			(sgc = get_sortgroupref_clause_noerr(sgref, parse->groupClause)) == NULL)
			continue;
		{
			int			kind;
			TargetEntry *tle;

			if (!grouping_column((Node *) expr, sgc, input_rel->relid, info,
								 &kind))
				return;
			if (kind == AGG_COL_JOB)
				ai->spec.by_job = true;
			else
				ai->spec.by_tag = true;
			if (tlist_member(expr, ai->tlist))
				continue;
			tle = makeTargetEntry(expr, list_length(ai->tlist) + 1, NULL, false);
			tle->ressortgroupref = sgref;
			ai->tlist = lappend(ai->tlist, tle);
			ai->kinds = lappend_int(ai->kinds, kind);
		}
	}
	i = 0;
	foreach(lc, target->exprs)
	{
		Expr	   *expr = (Expr *) lfirst(lc);
		Index		sgref = get_pathtarget_sortgroupref(target, i);

		i++;
		if (sgref != 0 && get_sortgroupref_clause_noerr(sgref, parse->groupClause))
			continue;
		if (!add_items((Node *) expr, input_rel->relid, reloid, info, ai))
			return;
	}
	foreach(lc, (List *) extra->havingQual)
	{
		Expr	   *expr = (Expr *) lfirst(lc);

		if (!add_items((Node *) expr, input_rel->relid, reloid, info, ai))
			return;
		ai->having = lappend(ai->having, expr);
	}
	foreach(lc, ai->kinds)
	{
		if (lfirst_int(lc) == AGG_COL_ROWS)
			has_rows = true;
		else if (lfirst_int(lc) == AGG_COL_DISTINCT)
			has_distinct = true;
	}

	/* the union of several jobs' or several tags' images: no count says */
	if (has_distinct && !ai->spec.by_job && list_length(ai->jobs) > 1)
		return;
	if (has_distinct && !ai->spec.by_tag && ai->spec.tag_mode == MA_TAG_ANY &&
		list_length(ai->spec.tags) > 1)
		return;

	/* a tag's count is its rows in a classification job only */
	needs_class = needs_tag_counts(&ai->spec, has_rows, has_distinct);
	if (ai->jobs != NIL)
	{
		stats = ma_plan_jobs_stats(root, input_rel, ai->jobs, needs_class);
		if (stats == NIL)
			return;
	}
	foreach(lc, stats)
	{
		MaJobStats *js = lfirst(lc);

		if (!js->stats_ok || (needs_class && js->type_state != 1))
			return;
	}

	groups = list_length(compute_groups(&ai->spec, stats));
	startup = MA_AGG_REQUEST_COST;
	total = startup + list_length(ai->jobs) * MA_AGG_REQUEST_COST +
		groups * cpu_tuple_cost;
	grouped_rel->fdw_private = ai;
	add_path(grouped_rel, (Path *)
			 create_foreign_upper_path(root, grouped_rel, target,
									   clamp_row_est(groups), startup, total,
									   NIL, NULL, NIL));
}

/*
 * Is expr, a grouping expression, our tag_name or data_annotation_id
 * column, grouped by an equality that is the service's: byte equality of
 * text (a deterministic collation), integer equality of job IDs?
 */
static bool
grouping_column(Node *expr, SortGroupClause *sgc, Index relid,
				MaRelInfo *info, int *kind)
{
	Var		   *var;
	Oid			coll = exprCollation(expr);	/* a COLLATE clause's, if any */

	while (expr && IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var))
		return false;
	var = (Var *) expr;
	if (var->varno != relid || var->varlevelsup != 0)
		return false;
	if (info->tag_attno != 0 && var->varattno == info->tag_attno)
	{
		if (sgc->eqop != TextEqualOperator || !OidIsValid(coll) ||
			!get_collation_isdeterministic(coll))
			return false;
		*kind = AGG_COL_TAG;
		return true;
	}
	if (info->id_attno != 0 && var->varattno == info->id_attno)
	{
		if (get_op_opfamily_strategy(sgc->eqop, INTEGER_BTREE_FAM_OID) !=
			BTEqualStrategyNumber)
			return false;
		*kind = AGG_COL_JOB;
		return true;
	}
	return false;
}

/*
 * Is agg one of the counts we answer?  count(*); count(c) of the
 * image_id or data_annotation_id column (never NULL: every image has its
 * image_id, documented in the sibling calls); count(DISTINCT image_id)
 * under byte equality.  No FILTER, no ORDER BY.
 */
static bool
aggregate_kind(Aggref *agg, Index relid, Oid reloid, int *kind)
{
	TargetEntry *tle;
	Node	   *arg;
	Var		   *var;
	char	   *key;

	if (agg->aggfilter != NULL || agg->aggorder != NIL ||
		agg->agglevelsup != 0 || agg->aggkind != AGGKIND_NORMAL ||
		agg->aggsplit != AGGSPLIT_SIMPLE || agg->aggvariadic)
		return false;
	if (agg->aggfnoid == F_COUNT_ && agg->aggstar && agg->aggdistinct == NIL)
	{
		*kind = AGG_COL_ROWS;
		return true;
	}
	if (agg->aggfnoid != F_COUNT_ANY || list_length(agg->args) != 1)
		return false;
	tle = linitial_node(TargetEntry, agg->args);
	arg = (Node *) tle->expr;
	while (arg && IsA(arg, RelabelType))
		arg = (Node *) ((RelabelType *) arg)->arg;
	if (arg == NULL || !IsA(arg, Var))
		return false;
	var = (Var *) arg;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0)
		return false;
	key = ma_column_key(reloid, var->varattno);
	if (agg->aggdistinct == NIL)
	{
		if (strcmp(key, "image_id") != 0 && strcmp(key, "data_annotation_id") != 0)
			return false;
		*kind = AGG_COL_ROWS;
		return true;
	}
	if (strcmp(key, "image_id") != 0 || list_length(agg->aggdistinct) != 1 ||
		linitial_node(SortGroupClause, agg->aggdistinct)->eqop != TextEqualOperator ||
		!OidIsValid(agg->inputcollid) ||
		!get_collation_isdeterministic(agg->inputcollid))
		return false;
	*kind = AGG_COL_DISTINCT;
	return true;
}

/*
 * Add the aggregates of an output expression (or a HAVING condition) to
 * the scan's target list; false if it holds anything we cannot give: an
 * aggregate we do not answer, or a column that is not a grouping one.
 */
static bool
add_items(Node *expr, Index relid, Oid reloid, MaRelInfo *info, MaAggInfo *ai)
{
	List	   *items = pull_var_clause(expr, PVC_INCLUDE_AGGREGATES);
	ListCell   *lc;

	foreach(lc, items)
	{
		Node	   *item = lfirst(lc);
		int			kind;

		if (IsA(item, Var))
		{
			Var		   *var = (Var *) item;

			/* only a grouping column, in the list already */
			if (var->varno != relid || !tlist_member((Expr *) var, ai->tlist))
				return false;
			continue;
		}
		if (!IsA(item, Aggref) ||
			!aggregate_kind((Aggref *) item, relid, reloid, &kind))
			return false;
		if (tlist_member((Expr *) item, ai->tlist))
			continue;
		ai->tlist = lappend(ai->tlist,
							makeTargetEntry((Expr *) item,
											list_length(ai->tlist) + 1,
											NULL, false));
		ai->kinds = lappend_int(ai->kinds, kind);
	}
	return true;
}

/* Does the condition on tag_name keep the rows of this (non-NULL) tag? */
static bool
tag_matches(const AggSpec *sp, const char *tag)
{
	ListCell   *lc;

	switch (sp->tag_mode)
	{
		case MA_TAG_ALL:
		case MA_TAG_TAGGED:
			return true;
		case MA_TAG_UNTAGGED:
			return false;
		case MA_TAG_EQ:
		case MA_TAG_ANY:
			foreach(lc, sp->tags)
			{
				if (strcmp((char *) lfirst(lc), tag) == 0)
					return true;
			}
			return false;
		case MA_TAG_EQ_OR_ALL:
		case MA_TAG_EQ_OR_NULL:
			/* settled at execution only: such aggregates are not pushed */
			return false;
	}
	return false;
}

/*
 * The groups of the answer, from each job's counts (MaJobStats), in the
 * jobs' order and tag_count's order, the untagged group after a job's
 * tags.  A group exists when it has rows; with no grouping there is one
 * row, whatever the counts.  The planner calls this on the cached counts
 * for its estimate, the executor on the fresh ones.
 */
static List *
compute_groups(const AggSpec *sp, List *stats)
{
	List	   *groups = NIL;
	AggGroup   *total = palloc0(sizeof(AggGroup));
	ListCell   *lc;

	foreach(lc, stats)
	{
		MaJobStats *js = lfirst(lc);
		List	   *cells = NIL;
		int64		rows = 0;
		int64		images = 0;
		int			i;

		for (i = 0; i < js->ntags; i++)
		{
			AggGroup   *g;

			if (js->counts[i] <= 0 || !tag_matches(sp, js->tags[i]))
				continue;
			g = palloc0(sizeof(AggGroup));
			g->job = js->job_id;
			g->tag = js->tags[i];
			g->rows = g->distinct = js->counts[i];
			cells = lappend(cells, g);
			rows += g->rows;
			images += g->rows;	/* one tag at most: see the planner */
		}
		if ((sp->tag_mode == MA_TAG_ALL || sp->tag_mode == MA_TAG_UNTAGGED) &&
			js->untagged > 0)
		{
			AggGroup   *g = palloc0(sizeof(AggGroup));

			g->job = js->job_id;
			g->rows = g->distinct = js->untagged;
			cells = lappend(cells, g);
			rows += g->rows;
		}

		/* a job's distinct images, where a count says */
		if (sp->tag_mode == MA_TAG_ALL)
			images = js->tagged + js->untagged;
		else if (sp->tag_mode == MA_TAG_TAGGED)
			images = js->tagged;
		else if (sp->tag_mode == MA_TAG_UNTAGGED)
			images = js->untagged;

		if (sp->by_tag)
			groups = list_concat(groups, cells);
		else if (sp->by_job)
		{
			if (rows > 0)
			{
				AggGroup   *g = palloc0(sizeof(AggGroup));

				g->job = js->job_id;
				g->rows = rows;
				g->distinct = images;
				groups = lappend(groups, g);
			}
		}
		else
		{
			total->rows += rows;
			total->distinct += images;
		}
	}
	if (!sp->by_tag && !sp->by_job)
		groups = list_make1(total);
	else if (sp->by_tag && !sp->by_job && list_length(stats) > 1)
		groups = merge_tag_groups(groups);
	return groups;
}

/* qsort comparator of groups by tag, the untagged group last */
static int
group_tag_cmp(const ListCell *a, const ListCell *b)
{
	const AggGroup *x = lfirst(a);
	const AggGroup *y = lfirst(b);

	if (x->tag == NULL || y->tag == NULL)
		return (x->tag == NULL) - (y->tag == NULL);
	return strcmp(x->tag, y->tag);
}

/*
 * Grouped by tag but not by job: one group per tag over every job, the
 * counts summed (count(DISTINCT) only gets here for one job: see the
 * planner).  Sorted, so linear after the sort, however many tags.
 */
static List *
merge_tag_groups(List *groups)
{
	List	   *result = NIL;
	AggGroup   *last = NULL;
	ListCell   *lc;

	list_sort(groups, group_tag_cmp);
	foreach(lc, groups)
	{
		AggGroup   *g = lfirst(lc);

		if (last != NULL &&
			((last->tag == NULL && g->tag == NULL) ||
			 (last->tag && g->tag && strcmp(last->tag, g->tag) == 0)))
		{
			last->rows += g->rows;
			last->distinct += g->distinct;
			continue;
		}
		result = lappend(result, g);
		last = g;
	}
	return result;
}

/*
 * The foreign scan of a pushed aggregate: scanrelid 0, its output described
 * by fdw_scan_tlist (the grouping columns and the counts; setrefs computes
 * any expression over them, and HAVING, from it), and everything the
 * executor needs in fdw_private as plain values: the jobs and tags are
 * constants, so nothing is evaluated at execution.
 */
ForeignScan *
ma_aggregate_plan(PlannerInfo *root, RelOptInfo *rel, ForeignPath *best_path,
				  List *tlist, Plan *outer_plan)
{
	MaAggInfo  *ai = (MaAggInfo *) rel->fdw_private;
	MaRelInfo  *info = (MaRelInfo *) find_base_rel(root, ai->relid)->fdw_private;
	List	   *jobs = NIL;
	List	   *tags = NIL;
	List	   *fdw_private;
	ListCell   *lc;

	foreach(lc, ai->jobs)
		jobs = lappend(jobs, makeString(psprintf(INT64_FORMAT, *(int64 *) lfirst(lc))));
	foreach(lc, ai->spec.tags)
		tags = lappend(tags, makeString(pstrdup(lfirst(lc))));

	fdw_private = list_make4(makeString(pstrdup("aggregate")),
							 jobs,
							 makeInteger(ai->spec.tag_mode),
							 tags);
	fdw_private = lappend(fdw_private, makeBoolean(ai->spec.by_job));
	fdw_private = lappend(fdw_private, makeBoolean(ai->spec.by_tag));
	fdw_private = lappend(fdw_private, list_copy(ai->kinds));
	fdw_private = lappend(fdw_private, list_make2_int(info->id_attno,
													  info->tag_attno));

	return make_foreignscan(tlist, ai->having, 0, NIL, fdw_private,
							ai->tlist, NIL, outer_plan);
}

/* Is this foreign scan a pushed aggregate (its fdw_private says so)? */
bool
ma_is_aggregate_scan(ForeignScanState *node)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	Node	   *first;

	if (fsplan->scan.scanrelid != 0 || fsplan->fdw_private == NIL)
		return false;
	first = linitial(fsplan->fdw_private);
	return IsA(first, String) && strcmp(strVal(first), "aggregate") == 0;
}

void
ma_aggregate_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	EState	   *estate = node->ss.ps.state;
	/* the table's RT index as setrefs left it (a subquery's is offset) */
	int			rtindex = bms_next_member(fsplan->fs_relids, -1);
	RangeTblEntry *rte = exec_rt_fetch(rtindex, estate);
	Oid			userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	MaAggState *st = palloc0(sizeof(MaAggState));
	ForeignTable *table = GetForeignTable(rte->relid);
	MaServerOptions sopts;
	MaTableOptions topts;
	Bitmapset  *attrs = NULL;
	List	   *attnos = list_nth(priv, FdwAggPrivateAttnos);
	ListCell   *lc;
	int			i;

	node->fdw_state = st;
	st->rel = ExecOpenScanRelation(estate, rtindex, eflags);
	ma_get_server_options(GetForeignServer(table->serverid), &sopts);
	ma_get_table_options(rte->relid, &topts);
	st->project_id = sopts.project_id;
	st->in_flight = topts.requests_in_flight > 0 ? topts.requests_in_flight :
		sopts.requests_in_flight;

	foreach(lc, (List *) list_nth(priv, FdwAggPrivateJobs))
	{
		int64	   *id = palloc(sizeof(int64));

		*id = strtoi64(strVal(lfirst(lc)), NULL, 10);
		st->jobs = lappend(st->jobs, id);
	}
	st->spec.tag_mode = intVal(list_nth(priv, FdwAggPrivateTagMode));
	foreach(lc, (List *) list_nth(priv, FdwAggPrivateTags))
		st->spec.tags = lappend(st->spec.tags, strVal(lfirst(lc)));
	st->spec.by_job = boolVal(list_nth(priv, FdwAggPrivateByJob));
	st->spec.by_tag = boolVal(list_nth(priv, FdwAggPrivateByTag));
	st->nkinds = list_length(list_nth(priv, FdwAggPrivateKinds));
	st->kinds = palloc(sizeof(int) * Max(st->nkinds, 1));
	i = 0;
	foreach(lc, (List *) list_nth(priv, FdwAggPrivateKinds))
		st->kinds[i++] = lfirst_int(lc);

	/* the grouping columns convert as a scan's would */
	foreach(lc, attnos)
	{
		if (lfirst_int(lc) > 0)
			attrs = bms_add_member(attrs, lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
	}
	st->columns = ma_describe_columns(st->rel, MA_RESOURCE_IMAGES, attrs,
									  &st->ncolumns);
	st->values = palloc0(sizeof(Datum) * Max(RelationGetDescr(st->rel)->natts, 1));
	st->nulls = palloc0(sizeof(bool) * Max(RelationGetDescr(st->rel)->natts, 1));
	st->cxt = AllocSetContextCreate(estate->es_query_cxt,
									"modelarts_fdw aggregate",
									ALLOCSET_DEFAULT_SIZES);

	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		st->conn = ma_get_connection(GetUserMapping(userid, table->serverid));
}

/*
 * Whether a shape answers from the tags' own counts (which are rows only in
 * a classification job), rather than from the tagged and untagged images.
 */
static bool
needs_tag_counts(const AggSpec *sp, bool has_rows, bool has_distinct)
{
	return sp->tag_mode != MA_TAG_UNTAGGED &&
		(has_rows ||
		 (has_distinct && (sp->by_tag ||
						   sp->tag_mode == MA_TAG_EQ ||
						   sp->tag_mode == MA_TAG_ANY)));
}

/*
 * A job's counts from a fresh answer; an incomplete one is an error.
 *
 * tag_counts: the plan takes each tag's count for its images, on the
 * strength of project_type 0 (classification, an inferred meaning).  A tag
 * counted on more images than the job has tagged ones contradicts that (the
 * count is then of boxes, or the type means something else): an error that
 * says so, never counts that are not the rows.
 */
static MaJobStats *
answer_stats(const cJSON *answer, MaCall *call, int64 job, bool tag_counts)
{
	MaTagStats	stats;
	MaJobStats *js = palloc0(sizeof(MaJobStats));
	const char *why;
	int			i;

	ma_read_tag_stats(answer, call, &stats);
	if (!ma_tag_stats_complete(&stats, &why))
		ma_malformed_answer(call, why);
	js->job_id = job;
	js->stats_ok = true;
	js->ntags = stats.ntags;
	js->tags = palloc(sizeof(char *) * Max(stats.ntags, 1));
	js->counts = palloc(sizeof(int64) * Max(stats.ntags, 1));
	for (i = 0; i < stats.ntags; i++)
	{
		js->tags[i] = pstrdup(stats.tags[i].tag);
		js->counts[i] = stats.tags[i].count;
		if (tag_counts && js->counts[i] > (int64) stats.tagged)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("tags/stats of labeling job " INT64_FORMAT " counts more \"%s\" than tagged images",
							job, ma_server_text(stats.tags[i].tag)),
					 errdetail("The count is " INT64_FORMAT " and the tagged images " INT64_FORMAT ": the job's counts are not of images, so the pushed aggregate cannot be answered from them.",
							   js->counts[i], (int64) stats.tagged),
					 errhint("SET modelarts_fdw.enable_aggregate_pushdown = off computes the aggregate from the images.")));
	}
	js->tagged = (int64) stats.tagged;
	js->untagged = (int64) stats.untagged;
	return js;
}

/* One tags/stats call per job, all in flight at once; then the groups. */
static void
fetch_groups(MaAggState *st)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(st->cxt);
	MaClient   *client;
	List	   *calls = NIL;
	List	   *stats = NIL;
	ListCell   *lc;
	ListCell   *lc2;
	bool		has_rows = false;
	bool		has_distinct = false;
	int			i;

	for (i = 0; i < st->nkinds; i++)
	{
		has_rows |= st->kinds[i] == AGG_COL_ROWS;
		has_distinct |= st->kinds[i] == AGG_COL_DISTINCT;
	}

	if (st->jobs != NIL)
	{
		client = ma_client_create(st->conn, st->in_flight, &st->counters,
								  st->cxt);
		foreach(lc, st->jobs)
		{
			StringInfoData path;
			StringInfoData query;

			stats_request(st, *(int64 *) lfirst(lc), &path, &query);
			calls = lappend(calls, ma_client_call(client, path.data, query.data, -1));
		}
		forboth(lc, st->jobs, lc2, calls)
		{
			MaCall	   *call = lfirst(lc2);

			CHECK_FOR_INTERRUPTS();
			stats = lappend(stats,
							answer_stats(ma_client_wait(client, call), call,
										 *(int64 *) lfirst(lc),
										 needs_tag_counts(&st->spec, has_rows,
														  has_distinct)));
		}
		/* the groups hold copies: the answers and the client can go */
		ma_client_destroy(client);
	}
	st->groups = compute_groups(&st->spec, stats);
	st->fetched = true;
	st->next = 0;
	MemoryContextSwitchTo(oldcxt);
}

TupleTableSlot *
ma_aggregate_next(ForeignScanState *node)
{
	MaAggState *st = (MaAggState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	AggGroup   *g;
	MaRowSource src;
	int			i;

	ExecClearTuple(slot);
	if (!st->fetched)
		fetch_groups(st);
	if (st->next >= list_length(st->groups))
		return slot;
	g = list_nth(st->groups, st->next++);

	memset(&src, 0, sizeof(src));
	src.job_id = g->job;
	src.tag = g->tag;
	ma_fill_row(st->rel, st->columns, st->ncolumns, &src, st->values,
				st->nulls);
	for (i = 0; i < st->nkinds; i++)
	{
		int			attno = 0;
		int			j;

		slot->tts_isnull[i] = false;
		switch (st->kinds[i])
		{
			case AGG_COL_JOB:
			case AGG_COL_TAG:
				for (j = 0; j < st->ncolumns; j++)
				{
					if (st->columns[j].kind == (st->kinds[i] == AGG_COL_JOB ?
												MA_COL_ANNOTATION_ID :
												MA_COL_TAG_NAME))
						attno = st->columns[j].attnum;
				}
				Assert(attno > 0);
				slot->tts_values[i] = st->values[attno - 1];
				slot->tts_isnull[i] = st->nulls[attno - 1];
				break;
			case AGG_COL_ROWS:
				slot->tts_values[i] = Int64GetDatum(g->rows);
				break;
			case AGG_COL_DISTINCT:
				slot->tts_values[i] = Int64GetDatum(g->distinct);
				break;
		}
	}
	ExecStoreVirtualTuple(slot);
	return slot;
}

/* Start over: the same groups (the query sees one answer per job). */
void
ma_aggregate_rescan(ForeignScanState *node)
{
	MaAggState *st = (MaAggState *) node->fdw_state;

	st->next = 0;
}

void
ma_aggregate_end(ForeignScanState *node)
{
	MaAggState *st = (MaAggState *) node->fdw_state;

	if (st && st->cxt)
		MemoryContextDelete(st->cxt);
	if (st)
		st->cxt = NULL;
}

/* The tags/stats call of a job (sent, and shown by EXPLAIN VERBOSE). */
static void
stats_request(MaAggState *st, int64 job_id, StringInfo path, StringInfo query)
{
	char		job[32];

	snprintf(job, sizeof(job), INT64_FORMAT, job_id);
	initStringInfo(path);
	initStringInfo(query);
	ma_append_job_request(path, query, st->project_id, job, true);
}

/*
 * EXPLAIN: the relation aggregated, and (VERBOSE) one tags/stats call per
 * job; ANALYZE adds what was sent.
 */
void
ma_aggregate_explain(ForeignScanState *node, ExplainState *es)
{
	MaAggState *st = (MaAggState *) node->fdw_state;
	List	   *requests = NIL;
	ListCell   *lc;

	ExplainPropertyText("Relations",
						psprintf("Aggregate on (%s)",
								 RelationGetRelationName(st->rel)),
						es);
	if (es->verbose)
	{
		foreach(lc, st->jobs)
		{
			StringInfoData path;
			StringInfoData query;

			stats_request(st, *(int64 *) lfirst(lc), &path, &query);
			requests = lappend(requests, psprintf("GET %s", path.data));
		}
		ma_explain_requests(requests, NULL, es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("Remote requests sent", NULL,
							   st->counters.requests, es);
		ExplainPropertyInteger("Retries", NULL, st->counters.retries, es);
		ExplainPropertyInteger("Bytes received", NULL, st->counters.bytes, es);
	}
}
