/*-------------------------------------------------------------------------
 *
 * modelarts_fdw.c
 *		  Foreign data wrapper for ModelArts (Huawei Cloud) labeling jobs:
 *		  the FDW callbacks.
 *
 * The planner callbacks sort the conditions (plan.c) and push LIMIT/OFFSET;
 * the executor callbacks are glue: they evaluate the pushed values and hand
 * them to the scan of the table's resource (scan.c for images, resource.c
 * for projects, versions and tags), which asks request.c for its request
 * plan and runs it through the client (client.c) with several requests in
 * flight.  EXPLAIN prints the same request plan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/guc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "modelarts_fdw.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Cost model: a request is expensive next to a row */
#define MA_REQUEST_COST			25.0
#define MA_ROW_COST				0.01
#define MA_ROWS_PER_JOB			1000.0
#define MA_ROWS_PER_TAG			100.0
#define MA_JOBS_LISTED			10.0	/* jobs assumed behind annotation-jobs */
#define MA_VERSIONS_PER_JOB		3.0
#define MA_TAGS_PER_JOB			10.0

/*
 * Indexes of the items of a ForeignScan's fdw_private list.  The value
 * expressions themselves live in fdw_exprs (so that setrefs fixes their
 * Params); these items hold their positions there, or -1.
 */
enum FdwScanPrivateIndex
{
	FdwScanPrivateResource,		/* Integer: MaResource */
	FdwScanPrivateIdMode,		/* Integer: MaIdMode */
	FdwScanPrivateIdExpr,		/* Integer: index in fdw_exprs, or -1 */
	FdwScanPrivateTagMode,		/* Integer: MaTagMode */
	FdwScanPrivateTagExpr,		/* Integer: index in fdw_exprs, or -1 */
	FdwScanPrivateHasLimit,		/* Boolean: LIMIT/OFFSET pushed */
	FdwScanPrivateLimitExpr,	/* Integer: index in fdw_exprs, or -1 */
	FdwScanPrivateOffsetExpr,	/* Integer: index in fdw_exprs, or -1 */
	FdwScanPrivateAttrsUsed,	/* List of Integer: attnums filled */
	FdwScanPrivateFewRows		/* Boolean: a few rows are wanted (LIMIT not
								 * pushed, EXISTS): no page asked ahead */
};

/* Index of the items of a final ForeignPath's fdw_private list. */
enum FdwPathPrivateIndex
{
	FdwPathPrivateHasLimit		/* Boolean */
};

/* Passed to ec_member_is_id_column */
typedef struct IdColumnArg
{
	Index		relid;
	AttrNumber	id_attno;
} IdColumnArg;

/*
 * Execution state of a foreign scan: the pushed values' expressions, and
 * the scan of the resource (scan.c, resource.c), which does the rest.
 */
typedef struct MaScanState
{
	Relation	rel;
	MaScan	   *scan;

	/* from the plan */
	MaResource	resource;
	MaIdMode	id_mode;
	MaTagMode	tag_mode;
	bool		has_table_id;
	int64		table_id;
	bool		has_limit;
	int			page_size;
	ExprState  *id_state;
	ExprState  *tag_state;
	ExprState  *limit_state;
	ExprState  *offset_state;
	MaColumn   *columns;
	int			ncolumns;

	bool		started;		/* values evaluated, scan started */
	MemoryContext values_cxt;	/* the evaluated values; reset per rescan */
	MemoryContext row_cxt;		/* reset per row */
} MaScanState;

static void modelartsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
									   Oid foreigntableid);
static void modelartsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
									 Oid foreigntableid);
static ForeignScan *modelartsGetForeignPlan(PlannerInfo *root,
											RelOptInfo *foreignrel,
											Oid foreigntableid,
											ForeignPath *best_path,
											List *tlist,
											List *scan_clauses,
											Plan *outer_plan);
static void modelartsGetForeignUpperPaths(PlannerInfo *root,
										  UpperRelationKind stage,
										  RelOptInfo *input_rel,
										  RelOptInfo *output_rel,
										  void *extra);
static void modelartsBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *modelartsIterateForeignScan(ForeignScanState *node);
static void modelartsReScanForeignScan(ForeignScanState *node);
static void modelartsEndForeignScan(ForeignScanState *node);
static void modelartsExplainForeignScan(ForeignScanState *node,
										ExplainState *es);

static void estimate_scan(MaRelInfo *info, double *rows, double *startup,
						  double *total);
static bool ec_member_is_id_column(PlannerInfo *root, RelOptInfo *rel,
								   EquivalenceClass *ec, EquivalenceMember *em,
								   void *arg);
static void add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel,
									MaRelInfo *info);
static List *column_keys(Relation rel, Bitmapset *attrs_used);
static bool row_count_is_pushable(Node *expr);
static void plan_input_init(MaScanState *st, MaPlanInput *in);
static void eval_plan_input(ForeignScanState *node, MaScanState *st,
							MaPlanInput *in);
static int64 eval_row_count(ExprState *state, ExprContext *econtext,
							int64 absent, int sqlstate, const char *clause);
static MaPlanValue *datum_value(Datum d, Oid type, bool job);
static List *eval_values(ExprState *state, ExprContext *econtext,
						 bool is_list, bool job);
static MaPlanValue *node_value(Node *expr, bool job, bool many);
static List *node_values(Node *expr, bool is_list, bool job);
static void explain_plan_input(ForeignScanState *node, MaScanState *st,
							   MaPlanInput *in);
static void explain_row_count(Node *expr, int64 absent, bool *known,
							  int64 *value, const char **text, bool *negative);

PG_FUNCTION_INFO_V1(modelarts_fdw_handler);

/* Library load: cJSON's allocator (see client.c), the GUCs. */
void
_PG_init(void)
{
	ma_json_init();
	ma_perimeter_init();

	DefineCustomBoolVariable("modelarts_fdw.enable_aggregate_pushdown",
							 "Answers counts grouped by tag from the service's tags/stats.",
							 "Off: every aggregate is computed locally from the images.",
							 &ma_enable_aggregate_pushdown,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	/* after every definition, so that none of their placeholders is lost */
	MarkGUCPrefixReserved("modelarts_fdw");
}

/*
 * The FDW handler: the callbacks of modelarts_fdw.
 */
Datum
modelarts_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = modelartsGetForeignRelSize;
	routine->GetForeignPaths = modelartsGetForeignPaths;
	routine->GetForeignPlan = modelartsGetForeignPlan;
	routine->GetForeignUpperPaths = modelartsGetForeignUpperPaths;
	routine->BeginForeignScan = modelartsBeginForeignScan;
	routine->IterateForeignScan = modelartsIterateForeignScan;
	routine->ReScanForeignScan = modelartsReScanForeignScan;
	routine->EndForeignScan = modelartsEndForeignScan;
	routine->ExplainForeignScan = modelartsExplainForeignScan;
	routine->ImportForeignSchema = ma_import_foreign_schema;

	PG_RETURN_POINTER(routine);
}

/*
 * Find the columns that read data_annotation_id and tag_name, sort the
 * restriction clauses into pushed and local ones, and estimate the size.
 */
static void
modelartsGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
						   Oid foreigntableid)
{
	MaRelInfo  *info = palloc0(sizeof(MaRelInfo));
	ForeignServer *server = GetForeignServer(GetForeignTable(foreigntableid)->serverid);
	MaServerOptions sopts;
	Relation	rel;
	TupleDesc	tupdesc;
	ListCell   *lc;
	double		rows,
				startup,
				total;
	int			i;

	baserel->fdw_private = info;
	ma_get_table_options(foreigntableid, &info->table);
	ma_get_server_options(server, &sopts);
	info->page_size = sopts.page_size;

	rel = table_open(foreigntableid, NoLock);
	tupdesc = RelationGetDescr(rel);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *key;

		if (att->attisdropped)
			continue;
		key = ma_column_key(foreigntableid, att->attnum);
		if (strcmp(key, "data_annotation_id") == 0 && info->id_attno == 0)
			info->id_attno = att->attnum;
		else if (strcmp(key, "tag_name") == 0 && info->tag_attno == 0 &&
				 info->table.resource == MA_RESOURCE_IMAGES)
			info->tag_attno = att->attnum;
	}

	ma_classify_conditions(root, baserel, info);

	/* columns the query reads: the target list and the local conditions */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid,
				   &info->attrs_used);
	foreach(lc, info->local_conds)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		pull_varattnos((Node *) rinfo->clause, baserel->relid,
					   &info->attrs_used);
	}

	/* the per-job calls of the job-level resources, for the estimates */
	if (info->table.resource != MA_RESOURCE_IMAGES)
	{
		List	   *keys = column_keys(rel, info->attrs_used);
		bool		need_job,
					need_stats;

		ma_job_calls(info->table.resource, false, keys, &need_job, &need_stats);
		info->calls_by_id = (need_job ? 1 : 0) + (need_stats ? 1 : 0);
		ma_job_calls(info->table.resource, true, keys, &need_job, &need_stats);
		info->calls_listed = (need_job ? 1 : 0) + (need_stats ? 1 : 0);
	}
	table_close(rel, NoLock);

	/* the service's own counts, if it may be asked (estimate.c) */
	ma_estimate_rel(root, baserel, info, &sopts);

	estimate_scan(info, &rows, &startup, &total);
	baserel->rows = clamp_row_est(rows *
								  clauselist_selectivity(root,
														 extract_actual_clauses(info->local_conds, false),
														 baserel->relid,
														 JOIN_INNER,
														 NULL));
}

/*
 * The size of a scan: from the jobs' tags/stats when estimate.c could ask
 * them (info->remote), else a rough default: a job of MA_ROWS_PER_JOB rows
 * and MA_ROWS_PER_TAG rows per tag, and a request per page of page_size
 * images.
 */
static void
estimate_scan(MaRelInfo *info, double *rows, double *startup, double *total)
{
	double		jobs = 1.0;
	double		per_job;
	double		requests;
	bool		list_all = info->id_mode == MA_ID_NONE;

	if (info->id_mode == MA_ID_ANY)
	{
		Node	   *arr = (Node *) info->id_expr;

		jobs = IsA(arr, ArrayExpr) ? list_length(((ArrayExpr *) arr)->elements) : 3.0;
		if (IsA(arr, Const) && !((Const *) arr)->constisnull)
			jobs = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(((Const *) arr)->constvalue)),
								  ARR_DIMS(DatumGetArrayTypeP(((Const *) arr)->constvalue)));
	}

	if (info->table.resource != MA_RESOURCE_IMAGES)
	{
		/* a call or two per job, plus the listing when no job is given */
		if (list_all)
			jobs = MA_JOBS_LISTED;
		per_job = info->table.resource == MA_RESOURCE_PROJECTS ? 1.0 :
			info->table.resource == MA_RESOURCE_VERSIONS ? MA_VERSIONS_PER_JOB :
			MA_TAGS_PER_JOB;
		*rows = Max(jobs, 1.0) * per_job;
		requests = Max(jobs, 1.0) * (list_all ? info->calls_listed : info->calls_by_id);
		if (list_all)
			requests += ceil(jobs / info->page_size);
		*startup = MA_REQUEST_COST;
		*total = *startup + requests * MA_REQUEST_COST +
			*rows * (MA_ROW_COST + cpu_tuple_cost);
		return;
	}

	if (info->remote != NULL)
	{
		*rows = info->remote->rows;
		*startup = MA_REQUEST_COST;
		*total = *startup + info->remote->requests * MA_REQUEST_COST +
			*rows * (MA_ROW_COST + cpu_tuple_cost);
		return;
	}

	switch (info->tag_mode)
	{
		case MA_TAG_EQ:
			per_job = MA_ROWS_PER_TAG;
			break;
		case MA_TAG_ANY:
			per_job = MA_ROWS_PER_TAG * 3;
			break;
		case MA_TAG_UNTAGGED:
			per_job = MA_ROWS_PER_TAG;
			break;
		default:
			per_job = MA_ROWS_PER_JOB;
			break;
	}
	*rows = Max(jobs, 1.0) * per_job;
	requests = ceil(*rows / info->page_size) + 1;
	*startup = MA_REQUEST_COST;
	*total = *startup + requests * MA_REQUEST_COST +
		*rows * (MA_ROW_COST + cpu_tuple_cost);
}

static void
modelartsGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
						 Oid foreigntableid)
{
	MaRelInfo  *info = (MaRelInfo *) baserel->fdw_private;
	double		rows,
				startup,
				total;

	estimate_scan(info, &rows, &startup, &total);

	/*
	 * Images of no given job cannot be read (there is no call for "every
	 * image"): keep the plain path, which GetForeignPlan refuses with a hint,
	 * but let any parameterized path win over it.
	 */
	if (info->table.resource == MA_RESOURCE_IMAGES && info->id_mode == MA_ID_NONE)
	{
		startup += disable_cost;
		total += disable_cost;
	}
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL, NULL, NULL, NIL));

	if (info->id_attno != 0 &&
		(info->id_mode == MA_ID_NONE || info->id_mode == MA_ID_TABLE))
		add_parameterized_paths(root, baserel, info);
}

/*
 * Paths parameterized by a join clause "data_annotation_id = outer value",
 * as postgres_fdw builds them: from the relation's join clauses and from
 * its equivalence classes.  In a nested loop, each outer row becomes one
 * job's requests, where a plain scan would read every job (or, for images,
 * cannot run at all).
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel,
						MaRelInfo *info)
{
	List	   *candidates = NIL;
	List	   *done = NIL;
	ListCell   *lc;
	MaRelInfo	one_job;
	double		rows,
				startup,
				total;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Expr	   *value;

		if (join_clause_is_movable_to(rinfo, baserel) &&
			ma_param_id_clause(root, rinfo, baserel->relid, info->id_attno, &value))
			candidates = lappend(candidates, rinfo);
	}
	if (baserel->has_eclass_joins)
	{
		IdColumnArg arg;
		List	   *clauses;

		arg.relid = baserel->relid;
		arg.id_attno = info->id_attno;
		clauses = generate_implied_equalities_for_column(root, baserel,
														 ec_member_is_id_column,
														 &arg,
														 baserel->lateral_referencers);
		foreach(lc, clauses)
		{
			RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
			Expr	   *value;

			if (ma_param_id_clause(root, rinfo, baserel->relid, info->id_attno, &value))
				candidates = lappend(candidates, rinfo);
		}
	}

	/* the cost of one outer row: one job's requests */
	one_job = *info;
	one_job.id_mode = MA_ID_EQ;
	one_job.id_expr = NULL;
	one_job.remote = NULL;
	estimate_scan(&one_job, &rows, &startup, &total);
	rows = clamp_row_est(rows *
						 clauselist_selectivity(root,
												extract_actual_clauses(info->local_conds, false),
												baserel->relid, JOIN_INNER, NULL));

	foreach(lc, candidates)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Relids		required_outer;
		ListCell   *lc2;
		bool		seen = false;

		required_outer = bms_union(rinfo->clause_relids, baserel->lateral_relids);
		required_outer = bms_del_member(required_outer, baserel->relid);
		if (bms_is_empty(required_outer))
			continue;
		foreach(lc2, done)
		{
			if (bms_equal(lfirst(lc2), required_outer))
				seen = true;
		}
		if (seen)
			continue;
		done = lappend(done, required_outer);

		(void) get_baserel_parampathinfo(root, baserel, required_outer);
		add_path(baserel, (Path *)
				 create_foreignscan_path(root, baserel, NULL, rows,
										 startup, total, NIL, required_outer,
										 NULL, NIL));
	}
}

/* Is the equivalence member our data_annotation_id column? */
static bool
ec_member_is_id_column(PlannerInfo *root, RelOptInfo *rel,
					   EquivalenceClass *ec, EquivalenceMember *em, void *arg)
{
	IdColumnArg *a = (IdColumnArg *) arg;
	Expr	   *expr = em->em_expr;

	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return expr && IsA(expr, Var) && ((Var *) expr)->varno == a->relid &&
		((Var *) expr)->varattno == a->id_attno &&
		((Var *) expr)->varlevelsup == 0;
}

/*
 * The JSON keys of the columns in attrs_used (all of them for a whole-row
 * reference), data_annotation_id excepted: what the rows must carry.
 */
static List *
column_keys(Relation rel, Bitmapset *attrs_used)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		wholerow = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber,
										 attrs_used);
	List	   *keys = NIL;
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *key;

		if (att->attisdropped ||
			(!wholerow &&
			 !bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber,
							attrs_used)))
			continue;
		key = ma_column_key(RelationGetRelid(rel), att->attnum);
		if (strcmp(key, "data_annotation_id") != 0)
			keys = lappend(keys, key);
	}
	return keys;
}

/*
 * Can a LIMIT or OFFSET expression be evaluated when the scan starts?  Any
 * expression without a column and without a volatile function: a constant,
 * a parameter, or a parameter in a cast, as drivers bind an int4 (the
 * parser wraps it in int8()), or arithmetic on them.
 */
static bool
row_count_is_pushable(Node *expr)
{
	return expr == NULL ||
		(!contain_var_clause(expr) && !contain_volatile_functions(expr) &&
		 !contain_subplans(expr));
}

/*
 * Push LIMIT/OFFSET into the scan, as postgres_fdw does, when the scan alone
 * decides the rows: a single foreign table, every condition pushed, no
 * sorting, grouping or set-returning functions above it, and LIMIT and
 * OFFSET constants or parameters.
 */
static void
modelartsGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
							  RelOptInfo *input_rel, RelOptInfo *output_rel,
							  void *extra)
{
	Query	   *parse = root->parse;
	FinalPathExtraData *fextra = (FinalPathExtraData *) extra;
	MaRelInfo  *info;
	ForeignPath *path;
	double		rows,
				startup,
				total,
				window;

	/* counts from tags/stats: aggregate.c */
	if (stage == UPPERREL_GROUP_AGG)
	{
		ma_add_grouping_paths(root, input_rel, output_rel,
							  (GroupPathExtraData *) extra);
		return;
	}

	if (stage != UPPERREL_FINAL || input_rel->reloptkind != RELOPT_BASEREL ||
		input_rel->fdw_private == NULL)
		return;
	info = (MaRelInfo *) input_rel->fdw_private;

	if (!fextra->limit_needed || parse->limitOption == LIMIT_OPTION_WITH_TIES ||
		parse->hasTargetSRFs || parse->rowMarks || parse->sortClause ||
		parse->distinctClause || parse->groupClause || parse->hasAggs ||
		parse->hasWindowFuncs || parse->groupingSets || parse->havingQual ||
		parse->setOperations || parse->commandType != CMD_SELECT)
		return;
	if (info->local_conds != NIL || info->id_mode == MA_ID_NONE ||
		info->table.resource != MA_RESOURCE_IMAGES)
		return;
	if (!row_count_is_pushable(parse->limitCount) ||
		!row_count_is_pushable(parse->limitOffset))
		return;
	/* the final path must be the base rel's own, unprojected beyond Vars */
	if (!bms_equal(root->all_baserels, input_rel->relids))
		return;

	estimate_scan(info, &rows, &startup, &total);
	/*
	 * The window's share of the scan.  With a LIMIT the planner cannot see
	 * (a parameter), assume 10% as preprocess_limit does for the Limit path.
	 */
	if (fextra->count_est > 0)
		window = (double) fextra->count_est + (double) Max(fextra->offset_est, 0);
	else if (parse->limitCount != NULL && !IsA(parse->limitCount, Const))
		window = 0.10 * input_rel->rows;
	else
		window = input_rel->rows;
	rows = Min(input_rel->rows, Max(fextra->count_est > 0 ? (double) fextra->count_est : window, 1.0));

	/*
	 * Fetching only the window's pages is never dearer than a Limit over the
	 * whole scan: cost it as the window's share of the scan, a little below
	 * the Limit path so that ties go to the pushed form.
	 */
	total = startup + (total - startup) * Min(1.0, window / Max(input_rel->rows, 1.0));
	path = create_foreign_upper_path(root, input_rel,
									 root->upper_targets[UPPERREL_FINAL],
									 rows, startup - 1.0, total - 1.0, NIL,
									 NULL,
									 list_make1(makeBoolean(true)));
	add_path(output_rel, (Path *) path);
}

static ForeignScan *
modelartsGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel,
						Oid foreigntableid, ForeignPath *best_path,
						List *tlist, List *scan_clauses, Plan *outer_plan)
{
	MaRelInfo  *info = (MaRelInfo *) foreignrel->fdw_private;
	List	   *fdw_exprs = NIL;
	List	   *fdw_private;
	List	   *local_exprs;
	List	   *attrs = NIL;
	List	   *pushed;
	MaIdMode	id_mode;
	Expr	   *id_expr;
	bool		has_limit = false;
	int			id_idx = -1,
				tag_idx = -1,
				limit_idx = -1,
				offset_idx = -1;
	int			attnum;
	ListCell   *lc;

	/* a pushed aggregate (its fdw_private is not a MaRelInfo): aggregate.c */
	if (IS_UPPER_REL(foreignrel))
		return ma_aggregate_plan(root, foreignrel, best_path, tlist,
								 outer_plan);
	pushed = info->remote_conds;
	id_mode = info->id_mode;
	id_expr = info->id_expr;

	/*
	 * A parameterized path: the join clause on data_annotation_id gives the
	 * job, its outer side becoming a parameter (createplan.c replaces the
	 * outer Vars in fdw_exprs with nestloop Params after we return).
	 */
	if (best_path->path.param_info != NULL &&
		(id_mode == MA_ID_NONE || id_mode == MA_ID_TABLE))
	{
		foreach(lc, scan_clauses)
		{
			RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
			Expr	   *value;

			if (list_member_ptr(foreignrel->baserestrictinfo, rinfo))
				continue;
			if (ma_param_id_clause(root, rinfo, foreignrel->relid,
								   info->id_attno, &value))
			{
				id_mode = MA_ID_EQ;
				id_expr = value;
				pushed = lappend(list_copy(pushed), rinfo);
				break;
			}
		}
	}

	/*
	 * Images need a job; the job-level resources list every job through
	 * annotation-jobs when none is given.
	 */
	if (id_mode == MA_ID_NONE && info->table.resource == MA_RESOURCE_IMAGES)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" needs a labeling job to read",
						get_rel_name(foreigntableid)),
				 errhint("Add a condition such as WHERE data_annotation_id = 282 (or IN (...)), or set the table option data_annotation_id.")));

	if (best_path->fdw_private)
		has_limit = boolVal(list_nth(best_path->fdw_private, FdwPathPrivateHasLimit));

	/* local filters only; the pushed conditions are answered exactly */
	scan_clauses = list_difference_ptr(scan_clauses, pushed);
	local_exprs = extract_actual_clauses(scan_clauses, false);

	if (id_expr)
	{
		id_idx = list_length(fdw_exprs);
		fdw_exprs = lappend(fdw_exprs, id_expr);
	}
	if (info->tag_expr)
	{
		tag_idx = list_length(fdw_exprs);
		fdw_exprs = lappend(fdw_exprs, info->tag_expr);
	}
	if (has_limit)
	{
		if (root->parse->limitCount)
		{
			limit_idx = list_length(fdw_exprs);
			fdw_exprs = lappend(fdw_exprs, root->parse->limitCount);
		}
		if (root->parse->limitOffset)
		{
			offset_idx = list_length(fdw_exprs);
			fdw_exprs = lappend(fdw_exprs, root->parse->limitOffset);
		}
	}

	attnum = -1;
	while ((attnum = bms_next_member(info->attrs_used, attnum)) >= 0)
		attrs = lappend_int(attrs, attnum + FirstLowInvalidHeapAttributeNumber);

	fdw_private = list_make5(makeInteger(info->table.resource),
							 makeInteger(id_mode),
							 makeInteger(id_idx),
							 makeInteger(info->tag_mode),
							 makeInteger(tag_idx));
	fdw_private = lappend(fdw_private, makeBoolean(has_limit));
	fdw_private = lappend(fdw_private, makeInteger(limit_idx));
	fdw_private = lappend(fdw_private, makeInteger(offset_idx));
	fdw_private = lappend(fdw_private, attrs);

	/*
	 * A LIMIT the scan does not see (local filters below it), EXISTS, or a
	 * LIMIT over a join: the executor may stop after a few rows, so pages
	 * asked ahead may be wasted.  The planner's tuple_fraction says so: an
	 * absolute number of rows.  A cursor's fraction (0.1) does not count:
	 * it is read to the end more often than not.
	 */
	fdw_private = lappend(fdw_private,
						  makeBoolean(!has_limit && root->tuple_fraction >= 1.0));

	return make_foreignscan(tlist, local_exprs, foreignrel->relid, fdw_exprs,
							fdw_private, NIL, NIL, outer_plan);
}

static void
modelartsBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	MaScanState *st = palloc0(sizeof(MaScanState));
	EState	   *estate = node->ss.ps.state;
	RangeTblEntry *rte;
	Oid			userid;
	ForeignTable *table;
	MaServerOptions sopts;
	MaTableOptions topts;
	MaConnection *conn = NULL;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			in_flight;
	int			idx;

	/* a pushed aggregate (scanrelid 0): aggregate.c */
	if (ma_is_aggregate_scan(node))
	{
		ma_aggregate_begin(node, eflags);
		return;
	}

	rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);
	userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	node->fdw_state = st;
	st->rel = node->ss.ss_currentRelation;
	table = GetForeignTable(RelationGetRelid(st->rel));
	ma_get_server_options(GetForeignServer(table->serverid), &sopts);
	ma_get_table_options(rte->relid, &topts);
	st->page_size = sopts.page_size;
	st->has_table_id = topts.has_annotation_id;
	st->table_id = topts.data_annotation_id;
	in_flight = topts.requests_in_flight > 0 ? topts.requests_in_flight :
		sopts.requests_in_flight;
	if (boolVal(list_nth(priv, FdwScanPrivateFewRows)))
		in_flight = 1;

	st->resource = intVal(list_nth(priv, FdwScanPrivateResource));
	st->id_mode = intVal(list_nth(priv, FdwScanPrivateIdMode));
	st->tag_mode = intVal(list_nth(priv, FdwScanPrivateTagMode));
	st->has_limit = boolVal(list_nth(priv, FdwScanPrivateHasLimit));

	idx = intVal(list_nth(priv, FdwScanPrivateIdExpr));
	if (idx >= 0)
		st->id_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, idx),
									(PlanState *) node);
	idx = intVal(list_nth(priv, FdwScanPrivateTagExpr));
	if (idx >= 0)
		st->tag_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, idx),
									 (PlanState *) node);
	idx = intVal(list_nth(priv, FdwScanPrivateLimitExpr));
	if (idx >= 0)
		st->limit_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, idx),
									   (PlanState *) node);
	idx = intVal(list_nth(priv, FdwScanPrivateOffsetExpr));
	if (idx >= 0)
		st->offset_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, idx),
										(PlanState *) node);

	foreach(lc, (List *) list_nth(priv, FdwScanPrivateAttrsUsed))
		attrs = bms_add_member(attrs, lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
	st->columns = ma_describe_columns(st->rel, st->resource, attrs,
									  &st->ncolumns);

	st->values_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "modelarts_fdw values",
										   ALLOCSET_SMALL_SIZES);
	st->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"modelarts_fdw row",
										ALLOCSET_DEFAULT_SIZES);

	/* nothing to connect to for a plain EXPLAIN */
	if (!(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		conn = ma_get_connection(GetUserMapping(userid, table->serverid));

	if (st->resource == MA_RESOURCE_IMAGES)
		st->scan = ma_images_scan_create(conn, sopts.project_id, in_flight,
										 estate->es_query_cxt);
	else
	{
		List	   *keys = NIL;
		int			i;

		for (i = 0; i < st->ncolumns; i++)
		{
			if (st->columns[i].kind == MA_COL_KEY)
				keys = lappend(keys, st->columns[i].key);
		}
		st->scan = ma_job_scan_create(conn, st->resource, sopts.project_id,
									  sopts.page_size, in_flight, keys,
									  st->id_mode == MA_ID_NONE && !st->has_table_id,
									  estate->es_query_cxt);
	}
}

/* The plan input's fields that come from the plan: no value yet. */
static void
plan_input_init(MaScanState *st, MaPlanInput *in)
{
	memset(in, 0, sizeof(*in));
	in->id_mode = st->id_mode;
	in->has_table_id = st->has_table_id;
	in->table_id = st->table_id;
	in->tag_mode = st->tag_mode;
	in->page_size = st->page_size;
	in->has_limit = st->has_limit;
	in->limit = -1;
	in->limit_known = in->offset_known = true;
}

/*
 * The plan input of the scan at execution: every pushed value evaluated
 * (Params have their values now), in st->values_cxt, which each rescan
 * resets.
 */
static void
eval_plan_input(ForeignScanState *node, MaScanState *st, MaPlanInput *in)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext oldcxt;

	plan_input_init(st, in);
	in->limit = eval_row_count(st->limit_state, econtext, -1,
							   ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE,
							   "LIMIT");
	in->offset = eval_row_count(st->offset_state, econtext, 0,
								ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
								"OFFSET");

	MemoryContextReset(st->values_cxt);
	oldcxt = MemoryContextSwitchTo(st->values_cxt);
	if (st->id_state)
		in->jobs = eval_values(st->id_state, econtext, st->id_mode == MA_ID_ANY,
							   true);
	if (st->tag_state)
		in->tags = eval_values(st->tag_state, econtext,
							   st->tag_mode == MA_TAG_ANY, false);
	MemoryContextSwitchTo(oldcxt);
}

static TupleTableSlot *
modelartsIterateForeignScan(ForeignScanState *node)
{
	MaScanState *st = (MaScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MaRowSource src;
	MemoryContext oldcxt;

	if (ma_is_aggregate_scan(node))
		return ma_aggregate_next(node);

	ExecClearTuple(slot);
	MemoryContextReset(st->row_cxt);

	if (!st->started)
	{
		MaPlanInput in;

		eval_plan_input(node, st, &in);
		st->scan->methods->start(st->scan, &in);
		st->started = true;
	}

	if (!st->scan->methods->next(st->scan, &src))
		return slot;

	oldcxt = MemoryContextSwitchTo(st->row_cxt);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	ma_fill_row(st->rel, st->columns, st->ncolumns, &src,
				slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(oldcxt);
	ExecStoreVirtualTuple(slot);
	return slot;
}

static void
modelartsReScanForeignScan(ForeignScanState *node)
{
	MaScanState *st = (MaScanState *) node->fdw_state;

	if (ma_is_aggregate_scan(node))
	{
		ma_aggregate_rescan(node);
		return;
	}

	/* start over at the next row: parameter values may have changed */
	st->scan->methods->end(st->scan);
	st->started = false;
}

static void
modelartsEndForeignScan(ForeignScanState *node)
{
	MaScanState *st = (MaScanState *) node->fdw_state;

	if (ma_is_aggregate_scan(node))
	{
		ma_aggregate_end(node);
		return;
	}
	if (st && st->scan)
		st->scan->methods->end(st->scan);
}

/*
 * The elements of an array datum of any element type, palloc'd; returns
 * their number, *elemtype gets their type.
 */
static int
array_elements(Datum d, Oid *elemtype, Datum **elems, bool **nulls)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			n;

	*elemtype = ARR_ELEMTYPE(arr);
	get_typlenbyvalalign(*elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, *elemtype, typlen, typbyval, typalign,
					  elems, nulls, &n);
	return n;
}

/*
 * The value of a pushed LIMIT or OFFSET: "absent" when there is none or it
 * is NULL, PostgreSQL's own error when it is negative.
 */
static int64
eval_row_count(ExprState *state, ExprContext *econtext, int64 absent,
			   int sqlstate, const char *clause)
{
	bool		isnull;
	int64		v;
	Datum		d;

	if (state == NULL)
		return absent;
	d = ExecEvalExpr(state, econtext, &isnull);
	if (isnull)
		return absent;
	v = DatumGetInt64(d);
	if (v < 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s must not be negative", clause)));
	return v;
}

/* A known plan value from a datum of an integer or text type. */
static MaPlanValue *
datum_value(Datum d, Oid type, bool job)
{
	if (!job)
		return ma_plan_tag(TextDatumGetCString(d));
	switch (type)
	{
		case INT2OID:
			return ma_plan_job(DatumGetInt16(d));
		case INT4OID:
			return ma_plan_job(DatumGetInt32(d));
		default:
			return ma_plan_job(DatumGetInt64(d));
	}
}

/*
 * The evaluated values of a pushed condition (jobs or tags), as known plan
 * values, NULLs dropped (they match no row); ma_plan_requests drops
 * duplicates.
 */
static List *
eval_values(ExprState *state, ExprContext *econtext, bool is_list, bool job)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(state, econtext, &isnull);
	List	   *result = NIL;
	Oid			elemtype;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	if (isnull)
		return NIL;
	if (!is_list)
		return list_make1(datum_value(d, exprType((Node *) state->expr), job));

	n = array_elements(d, &elemtype, &elems, &nulls);
	for (i = 0; i < n; i++)
	{
		if (!nulls[i])
			result = lappend(result, datum_value(elems[i], elemtype, job));
	}
	return result;
}

/*
 * The plan value of an expression as EXPLAIN sees it: a constant's value,
 * or "$n" for a parameter (many: an array parameter standing for all the
 * values of an "= ANY"); NULL for a NULL constant.
 */
static MaPlanValue *
node_value(Node *expr, bool job, bool many)
{
	while (IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;

	if (IsA(expr, Const))
	{
		Const	   *c = (Const *) expr;

		if (c->constisnull)
			return NULL;
		return datum_value(c->constvalue, c->consttype, job);
	}
	if (IsA(expr, Param))
	{
		char	   *text = psprintf("$%d", ((Param *) expr)->paramid);

		/* an array parameter of "= ANY" stands for all its elements */
		return ma_plan_unknown(text,
							   many && type_is_array(exprType(expr)));
	}
	return ma_plan_unknown("?", false);
}

/*
 * The values of a pushed condition as EXPLAIN sees them: the elements of
 * ARRAY[...] or of a constant array, or one value.
 */
static List *
node_values(Node *expr, bool is_list, bool job)
{
	List	   *result = NIL;
	Node	   *e = expr;
	ListCell   *lc;

	while (IsA(e, RelabelType))
		e = (Node *) ((RelabelType *) e)->arg;

	if (is_list && IsA(e, ArrayExpr))
	{
		foreach(lc, ((ArrayExpr *) e)->elements)
		{
			MaPlanValue *v = node_value(lfirst(lc), job, false);

			if (v)
				result = lappend(result, v);
		}
		return result;
	}
	if (is_list && IsA(e, Const))
	{
		Const	   *c = (Const *) e;
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		if (c->constisnull)
			return NIL;
		n = array_elements(c->constvalue, &elemtype, &elems, &nulls);
		for (i = 0; i < n; i++)
		{
			if (!nulls[i])
				result = lappend(result, datum_value(elems[i], elemtype, job));
		}
		return result;
	}
	{
		MaPlanValue *v = node_value(expr, job, is_list);

		return v ? list_make1(v) : NIL;
	}
}

/*
 * The plan input as EXPLAIN sees it, before execution: constants known,
 * parameters shown as "$n".
 */
static void
explain_plan_input(ForeignScanState *node, MaScanState *st, MaPlanInput *in)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	int			id_idx = intVal(list_nth(priv, FdwScanPrivateIdExpr));
	int			tag_idx = intVal(list_nth(priv, FdwScanPrivateTagExpr));
	int			limit_idx = intVal(list_nth(priv, FdwScanPrivateLimitExpr));
	int			offset_idx = intVal(list_nth(priv, FdwScanPrivateOffsetExpr));

	plan_input_init(st, in);
	if (id_idx >= 0)
		in->jobs = node_values(list_nth(fsplan->fdw_exprs, id_idx),
							   st->id_mode == MA_ID_ANY, true);
	if (tag_idx >= 0)
		in->tags = node_values(list_nth(fsplan->fdw_exprs, tag_idx),
							   st->tag_mode == MA_TAG_ANY, false);
	if (limit_idx >= 0)
		explain_row_count(list_nth(fsplan->fdw_exprs, limit_idx), -1,
						  &in->limit_known, &in->limit, &in->limit_text,
						  &in->negative);
	if (offset_idx >= 0)
		explain_row_count(list_nth(fsplan->fdw_exprs, offset_idx), 0,
						  &in->offset_known, &in->offset, &in->offset_text,
						  &in->negative);
}

/* A LIMIT or OFFSET expression as EXPLAIN sees it. */
static void
explain_row_count(Node *expr, int64 absent, bool *known, int64 *value,
				  const char **text, bool *negative)
{
	if (IsA(expr, Const))
	{
		Const	   *c = (Const *) expr;

		*known = true;
		*value = c->constisnull ? absent : DatumGetInt64(c->constvalue);
		if (*value < absent)
			*negative = true;
		return;
	}
	*known = false;
	/* a parameter, maybe in a cast: "$n"; anything else "?" */
	while (expr && (IsA(expr, RelabelType) ||
					(IsA(expr, FuncExpr) &&
					 ((FuncExpr *) expr)->funcformat != COERCE_EXPLICIT_CALL &&
					 list_length(((FuncExpr *) expr)->args) == 1)))
		expr = IsA(expr, RelabelType) ? (Node *) ((RelabelType *) expr)->arg :
			(Node *) linitial(((FuncExpr *) expr)->args);
	*text = IsA(expr, Param) ? psprintf("$%d", ((Param *) expr)->paramid) : "?";
}

static void
modelartsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	MaScanState *st = (MaScanState *) node->fdw_state;
	MaScan	   *scan;

	if (ma_is_aggregate_scan(node))
	{
		ma_aggregate_explain(node, es);
		return;
	}
	scan = st->scan;
	if (es->verbose)
	{
		MaPlanInput in;

		explain_plan_input(node, st, &in);
		scan->methods->explain(scan, &in, es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("Remote requests sent", NULL,
							   scan->counters.requests, es);
		ExplainPropertyInteger("Retries", NULL, scan->counters.retries, es);
		ExplainPropertyInteger("Bytes received", NULL,
							   scan->counters.bytes, es);
		if (st->resource == MA_RESOURCE_IMAGES)
		{
			ExplainPropertyInteger("Images received", NULL,
								   scan->images_received, es);
			ExplainPropertyInteger("Rows dropped", NULL, scan->rows_dropped, es);
		}
		else
			ExplainPropertyInteger("Jobs read", NULL, scan->jobs_read, es);
	}
}
