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
	FdwScanPrivateIdExprs,		/* List of Integer: indexes in fdw_exprs */
	FdwScanPrivateIdFlags,		/* List of Integer: their MA_IDV_* flags */
	FdwScanPrivateIdLoExpr,		/* Integer: index in fdw_exprs, or -1 */
	FdwScanPrivateIdHiExpr,		/* Integer: index in fdw_exprs, or -1 */
	FdwScanPrivateIdStrict,		/* Integer: 1 lower, 2 upper bound strict */
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

/* A bound of a range on data_annotation_id, evaluated */
typedef struct RangeBound
{
	bool		given;
	bool		isnull;
	int64		value;
} RangeBound;

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
	const char *table_dataset;	/* v2: the table options, or NULL */
	const char *version;
	bool		has_limit;
	int			page_size;
	bool		require_job;	/* require_job_filter in force */
	List	   *id_states;		/* ExprState of each id value expression */
	List	   *id_flags;		/* ... its MA_IDV_* flags (IntList) */
	ExprState  *lo_state;		/* MA_ID_RANGE bounds, or NULL */
	ExprState  *hi_state;
	int			id_strict;		/* 1: lower bound strict, 2: upper */
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

static void ma_refuse_no_job(Oid relid) pg_attribute_noreturn();
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
						 bool is_list, bool job, bool *isnull);
static MaTagMode resolve_tag_mode(MaTagMode mode, bool isnull);
static void eval_range(MaScanState *st, ExprContext *econtext,
					   MaPlanInput *in);
static int64 int_datum(Datum d, Oid type);
static void apply_range(MaPlanInput *in, const RangeBound *lo,
						const RangeBound *hi, int strict);
static MaPlanValue *node_value(Node *expr, bool job, bool many);
static List *node_values(Node *expr, bool is_list, bool job);
static void explain_run_time_notes(ForeignScanState *node, MaScanState *st,
								   ExplainState *es);
static void explain_plan_input(ForeignScanState *node, MaScanState *st,
							   MaPlanInput *in);
static const char *bound_text(Node *expr);
static Node *strip_casts(Node *expr);
static void explain_row_count(Node *expr, int64 absent, bool *known,
							  int64 *value, const char **text, bool *negative);

PG_FUNCTION_INFO_V1(modelarts_fdw_handler);

/* Library load: the IMPORT comments hook (import.c), the GUCs. */
void
_PG_init(void)
{
	ma_import_init();
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
	/* v1's: a v2 table with no dataset given reads the dataset list */
	info->require_job = !MA_RESOURCE_IS_V2(info->table.resource) &&
		(info->table.has_require_job_filter ?
		 info->table.require_job_filter : sopts.require_job_filter);

	rel = table_open(foreigntableid, NoLock);
	tupdesc = RelationGetDescr(rel);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *key;

		if (att->attisdropped)
			continue;
		key = ma_column_key(foreigntableid, att->attnum);

		/*
		 * The dataset list has no call for one dataset: a condition on its
		 * dataset_id stays a local filter.
		 */
		if (strcmp(key, ma_id_key(info->table.resource)) == 0 &&
			info->id_attno == 0 &&
			info->table.resource != MA_RESOURCE_DATASETS)
			info->id_attno = att->attnum;
		else if (info->tag_attno == 0 &&
				 ((info->table.resource == MA_RESOURCE_IMAGES &&
				   strcmp(key, "tag_name") == 0) ||
				  (info->table.resource == MA_RESOURCE_SAMPLES &&
				   strcmp(key, "label_name") == 0)))
			info->tag_attno = att->attnum;
	}
	info->id_is_text = MA_RESOURCE_IS_V2(info->table.resource);

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
	if (MA_RESOURCE_IS_V2(info->table.resource))
		info->calls_by_id = info->calls_listed =
			info->table.resource == MA_RESOURCE_DATASETS ? 0 : 1;
	else if (info->table.resource != MA_RESOURCE_IMAGES)
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
 * The refusal of a scan of no given job under require_job_filter: a query
 * the table's settings do not allow, as postgres_fdw refuses what it does
 * not support.
 */
static void
ma_refuse_no_job(Oid relid)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("foreign table \"%s\" needs a labeling job to read",
					get_rel_name(relid)),
			 errdetail("The option require_job_filter is on, so the jobs of the annotation-jobs listing are not read."),
			 errhint("Add a condition such as WHERE data_annotation_id = 282 (or IN (...)), set the table option data_annotation_id, or turn require_job_filter off.")));
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
	bool		list_all = info->id_mode == MA_ID_NONE ||
		info->id_mode == MA_ID_RANGE;
	ListCell   *lc,
			   *lc2;

	if (info->id_mode == MA_ID_EQ && info->id_exprs != NIL)
	{
		jobs = 0;
		forboth(lc, info->id_exprs, lc2, info->id_flags)
		{
			Node	   *arr = lfirst(lc);

			if (!(lfirst_int(lc2) & MA_IDV_ARRAY))
				jobs += 1;
			else if (IsA(arr, ArrayExpr))
				jobs += list_length(((ArrayExpr *) arr)->elements);
			else if (IsA(arr, Const) && !((Const *) arr)->constisnull)
				jobs += ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(((Const *) arr)->constvalue)),
									   ARR_DIMS(DatumGetArrayTypeP(((Const *) arr)->constvalue)));
			else
				jobs += 3;
		}
	}
	else if (list_all && info->table.has_annotation_id)
		list_all = false;
	else if (list_all)
		jobs = MA_JOBS_LISTED;

	if (info->table.resource != MA_RESOURCE_IMAGES &&
		info->table.resource != MA_RESOURCE_SAMPLES)
	{
		MaResource	r = info->table.resource;

		/* a call or two per job, plus the listing when no job is given */
		per_job = r == MA_RESOURCE_PROJECTS || r == MA_RESOURCE_DATASETS ? 1.0 :
			r == MA_RESOURCE_VERSIONS || r == MA_RESOURCE_DATASET_VERSIONS ?
			MA_VERSIONS_PER_JOB : MA_TAGS_PER_JOB;
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
	if (list_all)
		requests += ceil(jobs / info->page_size);
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
	 * Under require_job_filter, a scan of no given job is refused: keep the
	 * plain path, which GetForeignPlan refuses with a hint, but let any
	 * parameterized path win over it.
	 */
	if (info->require_job && info->id_mode == MA_ID_NONE &&
		!info->table.has_annotation_id &&
		info->table.resource != MA_RESOURCE_PROJECTS)
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
			ma_param_id_clause(root, rinfo, baserel->relid, info->id_attno,
							   info->id_is_text, &value))
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

			if (ma_param_id_clause(root, rinfo, baserel->relid, info->id_attno,
							   info->id_is_text, &value))
				candidates = lappend(candidates, rinfo);
		}
	}

	/* the cost of one outer row: one job's requests */
	one_job = *info;
	one_job.id_mode = MA_ID_EQ;
	one_job.id_exprs = NIL;
	one_job.id_flags = NIL;
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
	/*
	 * v1 pushes the window across the jobs of the listing too; v2's dataset
	 * list restarts the samples scan per dataset, so there it is not pushed
	 */
	if (info->local_conds != NIL ||
		(info->require_job && info->id_mode == MA_ID_NONE &&
		 !info->table.has_annotation_id) ||
		(info->table.resource == MA_RESOURCE_SAMPLES &&
		 info->id_mode == MA_ID_NONE) ||
		(info->table.resource != MA_RESOURCE_IMAGES &&
		 info->table.resource != MA_RESOURCE_SAMPLES))
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
	List	   *id_exprs;
	List	   *id_flags;
	List	   *id_idxs = NIL;
	bool		has_limit = false;
	int			lo_idx = -1,
				hi_idx = -1,
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
	id_exprs = info->id_exprs;
	id_flags = info->id_flags;

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
								   info->id_attno, info->id_is_text, &value))
			{
				id_mode = MA_ID_EQ;
				id_exprs = list_make1(value);
				id_flags = list_make1_int(0);
				pushed = lappend(list_copy(pushed), rinfo);
				break;
			}
		}
	}

	/*
	 * With no job given, the jobs of the annotation-jobs listing are read;
	 * require_job_filter refuses that (projects are the listing itself).
	 */
	if (id_mode == MA_ID_NONE && info->require_job &&
		info->table.resource != MA_RESOURCE_PROJECTS)
		ma_refuse_no_job(foreigntableid);

	if (best_path->fdw_private)
		has_limit = boolVal(list_nth(best_path->fdw_private, FdwPathPrivateHasLimit));

	/* local filters only; the pushed conditions are answered exactly */
	scan_clauses = list_difference_ptr(scan_clauses, pushed);
	local_exprs = extract_actual_clauses(scan_clauses, false);

	foreach(lc, id_exprs)
	{
		id_idxs = lappend(id_idxs, makeInteger(list_length(fdw_exprs)));
		fdw_exprs = lappend(fdw_exprs, lfirst(lc));
	}
	if (id_mode == MA_ID_RANGE && info->id_lo_expr)
	{
		lo_idx = list_length(fdw_exprs);
		fdw_exprs = lappend(fdw_exprs, info->id_lo_expr);
	}
	if (id_mode == MA_ID_RANGE && info->id_hi_expr)
	{
		hi_idx = list_length(fdw_exprs);
		fdw_exprs = lappend(fdw_exprs, info->id_hi_expr);
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

	{
		List	   *flags = NIL;

		foreach(lc, id_flags)
			flags = lappend(flags, makeInteger(lfirst_int(lc)));
		fdw_private = list_make5(makeInteger(info->table.resource),
								 makeInteger(id_mode),
								 id_idxs,
								 flags,
								 makeInteger(lo_idx));
	}
	fdw_private = lappend(fdw_private, makeInteger(hi_idx));
	fdw_private = lappend(fdw_private,
						  makeInteger((info->id_lo_strict ? 1 : 0) |
									  (info->id_hi_strict ? 2 : 0)));
	fdw_private = lappend(fdw_private, makeInteger(info->tag_mode));
	fdw_private = lappend(fdw_private, makeInteger(tag_idx));
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
	st->require_job = !MA_RESOURCE_IS_V2(st->resource) &&
		(topts.has_require_job_filter ?
		 topts.require_job_filter : sopts.require_job_filter);
	st->has_table_id = topts.has_annotation_id;
	st->table_id = topts.data_annotation_id;
	st->table_dataset = topts.dataset_id;
	st->version = topts.version_id;
	in_flight = topts.requests_in_flight > 0 ? topts.requests_in_flight :
		sopts.requests_in_flight;
	if (boolVal(list_nth(priv, FdwScanPrivateFewRows)))
		in_flight = 1;

	st->resource = intVal(list_nth(priv, FdwScanPrivateResource));
	st->id_mode = intVal(list_nth(priv, FdwScanPrivateIdMode));
	st->tag_mode = intVal(list_nth(priv, FdwScanPrivateTagMode));
	st->has_limit = boolVal(list_nth(priv, FdwScanPrivateHasLimit));

	foreach(lc, (List *) list_nth(priv, FdwScanPrivateIdExprs))
		st->id_states = lappend(st->id_states,
								ExecInitExpr(list_nth(fsplan->fdw_exprs, intVal(lfirst(lc))),
											 (PlanState *) node));
	foreach(lc, (List *) list_nth(priv, FdwScanPrivateIdFlags))
		st->id_flags = lappend_int(st->id_flags, intVal(lfirst(lc)));
	idx = intVal(list_nth(priv, FdwScanPrivateIdLoExpr));
	if (idx >= 0)
		st->lo_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, idx),
									(PlanState *) node);
	idx = intVal(list_nth(priv, FdwScanPrivateIdHiExpr));
	if (idx >= 0)
		st->hi_state = ExecInitExpr(list_nth(fsplan->fdw_exprs, idx),
									(PlanState *) node);
	st->id_strict = intVal(list_nth(priv, FdwScanPrivateIdStrict));
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

	if (MA_RESOURCE_IS_V2(st->resource))
		st->scan = ma_v2_scan_create(conn, st->resource, sopts.project_id,
									 sopts.page_size, in_flight,
									 st->id_mode == MA_ID_NONE &&
									 st->table_dataset == NULL,
									 estate->es_query_cxt);
	else if (st->resource == MA_RESOURCE_IMAGES)
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
									  estate->es_query_cxt);
	}
	st->scan->missing_job_empty = topts.missing_job_empty;

	/*
	 * Under EXPLAIN ANALYZE (or auto_explain), the requests sent are kept
	 * for the plan (the node's own instrumentation comes after this call).
	 */
	if (estate->es_instrument != 0)
	{
		MaSentLog  *log = MemoryContextAllocZero(estate->es_query_cxt,
												 sizeof(MaSentLog));

		log->cxt = estate->es_query_cxt;
		st->scan->counters.sent = log;
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
	in->v2 = MA_RESOURCE_IS_V2(st->resource);
	in->table_dataset = st->table_dataset;
	if (st->resource == MA_RESOURCE_SAMPLES)
		in->version = st->version;
	in->limit = -1;
	in->limit_known = in->offset_known = true;
	in->list_min = 1;
	in->list_max = PG_INT64_MAX;
	/* v1: no job given, the annotation-jobs listing (v2's: in v2.c) */
	in->list_jobs = !in->v2 &&
		(st->id_mode == MA_ID_NONE || st->id_mode == MA_ID_RANGE);
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
	/* OFFSET first, as ExecLimit checks them */
	in->offset = eval_row_count(st->offset_state, econtext, 0,
								ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
								"OFFSET");
	in->limit = eval_row_count(st->limit_state, econtext, -1,
							   ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE,
							   "LIMIT");

	MemoryContextReset(st->values_cxt);
	oldcxt = MemoryContextSwitchTo(st->values_cxt);
	if (st->id_mode == MA_ID_EQ)
	{
		ListCell   *lc,
				   *lc2;

		forboth(lc, st->id_states, lc2, st->id_flags)
		{
			bool		all = false;
			List	   *values = eval_values(lfirst(lc), econtext,
											 (lfirst_int(lc2) & MA_IDV_ARRAY) != 0,
											 !MA_RESOURCE_IS_V2(st->resource),
											 &all);

			/* "(id = $1 OR $1 IS NULL)" with $1 NULL: no condition */
			if (all && (lfirst_int(lc2) & MA_IDV_NULL_ALL))
				in->list_jobs = true;
			in->jobs = list_concat(in->jobs, values);
		}
		if (in->list_jobs)
		{
			in->id_mode = MA_ID_NONE;
			in->jobs = NIL;
		}
	}
	else if (st->id_mode == MA_ID_RANGE)
		eval_range(st, econtext, in);
	if (in->list_jobs && in->id_mode == MA_ID_NONE && !in->has_table_id &&
		st->require_job && st->resource != MA_RESOURCE_PROJECTS)
		ma_refuse_no_job(RelationGetRelid(st->rel));
	if (st->tag_state)
	{
		bool		isnull = false;

		in->tags = eval_values(st->tag_state, econtext,
							   st->tag_mode == MA_TAG_ANY, false, &isnull);
		in->tag_mode = resolve_tag_mode(st->tag_mode, isnull);
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * The tag mode once the value is known: the optional-filter idioms become
 * "= v" or, for a NULL v, no condition ((tag_name = v OR v IS NULL)) or
 * IS NULL (tag_name IS NOT DISTINCT FROM v).
 */
static MaTagMode
resolve_tag_mode(MaTagMode mode, bool isnull)
{
	switch (mode)
	{
		case MA_TAG_EQ_OR_ALL:
			return isnull ? MA_TAG_ALL : MA_TAG_EQ;
		case MA_TAG_EQ_OR_NULL:
			return isnull ? MA_TAG_UNTAGGED : MA_TAG_EQ;
		default:
			return mode;
	}
}

/*
 * The bounds of a range on data_annotation_id: the jobs of the listing from
 * list_min to list_max, or, for a range of one value, that job.  A NULL
 * bound matches no row.
 */
static void
eval_range(MaScanState *st, ExprContext *econtext, MaPlanInput *in)
{
	RangeBound	lo = {false, false, 0};
	RangeBound	hi = {false, false, 0};
	Datum		d;

	if (st->lo_state)
	{
		lo.given = true;
		d = ExecEvalExpr(st->lo_state, econtext, &lo.isnull);
		if (!lo.isnull)
			lo.value = int_datum(d, exprType((Node *) st->lo_state->expr));
	}
	if (st->hi_state)
	{
		hi.given = true;
		d = ExecEvalExpr(st->hi_state, econtext, &hi.isnull);
		if (!hi.isnull)
			hi.value = int_datum(d, exprType((Node *) st->hi_state->expr));
	}
	apply_range(in, &lo, &hi, st->id_strict);
}

/*
 * Set the plan input from the bounds of a range: the jobs of the listing
 * from list_min to list_max, or, for a range of one value, that job as
 * "=", or none for an empty range or a NULL bound.
 */
static void
apply_range(MaPlanInput *in, const RangeBound *lo, const RangeBound *hi,
			int strict)
{
	int64		min = 1,
				max = PG_INT64_MAX;

	if (lo->given)
	{
		if (lo->isnull || ((strict & 1) && lo->value == PG_INT64_MAX))
			max = 0;
		else
			min = Max(min, lo->value + ((strict & 1) ? 1 : 0));
	}
	if (hi->given)
	{
		if (hi->isnull || ((strict & 2) && hi->value == PG_INT64_MIN))
			max = 0;
		else
			max = Min(max, hi->value - ((strict & 2) ? 1 : 0));
	}
	in->list_min = min;
	in->list_max = max;
	if (min >= max)
	{
		in->list_jobs = false;
		in->id_mode = MA_ID_EQ;
		in->jobs = min == max ? list_make1(ma_plan_job(min)) : NIL;
	}
}

/* An integer datum of any width as int64. */
static int64
int_datum(Datum d, Oid type)
{
	switch (type)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
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

	memset(&src, 0, sizeof(src));
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

/*
 * A known plan value from a datum: a job's number ("job": from any type
 * ma_id_from_datum reads), or a string (a tag, a label, v2's dataset ID).
 */
static MaPlanValue *
datum_value(Datum d, Oid type, bool job)
{
	if (!job)
		return ma_plan_tag(TextDatumGetCString(d));
	/* 0 for a value no job has: the request plan drops it */
	return ma_plan_job(ma_id_from_datum(d, type));
}

/*
 * The evaluated values of a pushed condition (jobs or tags), as known plan
 * values, NULLs dropped (they match no row); ma_plan_requests drops
 * duplicates.  *was_null says whether the value itself was NULL.
 */
static List *
eval_values(ExprState *state, ExprContext *econtext, bool is_list, bool job,
			bool *was_null)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(state, econtext, &isnull);
	List	   *result = NIL;
	Oid			elemtype;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	*was_null = isnull;
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
	int			tag_idx = intVal(list_nth(priv, FdwScanPrivateTagExpr));
	int			limit_idx = intVal(list_nth(priv, FdwScanPrivateLimitExpr));
	int			offset_idx = intVal(list_nth(priv, FdwScanPrivateOffsetExpr));
	int			lo_idx = intVal(list_nth(priv, FdwScanPrivateIdLoExpr));
	int			hi_idx = intVal(list_nth(priv, FdwScanPrivateIdHiExpr));
	ListCell   *lc,
			   *lc2;

	plan_input_init(st, in);
	forboth(lc, (List *) list_nth(priv, FdwScanPrivateIdExprs),
			lc2, st->id_flags)
		in->jobs = list_concat(in->jobs,
							   node_values(list_nth(fsplan->fdw_exprs, intVal(lfirst(lc))),
										   (lfirst_int(lc2) & MA_IDV_ARRAY) != 0,
										   !MA_RESOURCE_IS_V2(st->resource)));
	if (st->id_mode == MA_ID_RANGE)
	{
		Node	   *lo = lo_idx >= 0 ? list_nth(fsplan->fdw_exprs, lo_idx) : NULL;
		Node	   *hi = hi_idx >= 0 ? list_nth(fsplan->fdw_exprs, hi_idx) : NULL;
		Node	   *clo = lo ? strip_casts(lo) : NULL;
		Node	   *chi = hi ? strip_casts(hi) : NULL;

		/* constant bounds: the range the executor will use */
		if ((!lo || IsA(clo, Const)) && (!hi || IsA(chi, Const)))
		{
			RangeBound	blo = {lo != NULL, false, 0};
			RangeBound	bhi = {hi != NULL, false, 0};

			if (lo)
			{
				blo.isnull = ((Const *) clo)->constisnull;
				if (!blo.isnull)
					blo.value = int_datum(((Const *) clo)->constvalue,
										  ((Const *) clo)->consttype);
			}
			if (hi)
			{
				bhi.isnull = ((Const *) chi)->constisnull;
				if (!bhi.isnull)
					bhi.value = int_datum(((Const *) chi)->constvalue,
										  ((Const *) chi)->consttype);
			}
			apply_range(in, &blo, &bhi, st->id_strict);
		}

		in->list_text = psprintf("data_annotation_id %s%s%s%s%s",
								 lo ? ((st->id_strict & 1) ? "> " : ">= ") : "",
								 lo ? bound_text(lo) : "",
								 lo && hi ? " and " : "",
								 hi ? ((st->id_strict & 2) ? "< " : "<= ") : "",
								 hi ? bound_text(hi) : "");
	}
	if (tag_idx >= 0)
		in->tags = node_values(list_nth(fsplan->fdw_exprs, tag_idx),
							   st->tag_mode == MA_TAG_ANY, false);
	/* the idioms show as "=": their NULL case is a note of their own */
	if (st->tag_mode == MA_TAG_EQ_OR_ALL || st->tag_mode == MA_TAG_EQ_OR_NULL)
		in->tag_mode = MA_TAG_EQ;
	if (limit_idx >= 0)
		explain_row_count(list_nth(fsplan->fdw_exprs, limit_idx), -1,
						  &in->limit_known, &in->limit, &in->limit_text,
						  &in->negative);
	if (offset_idx >= 0)
		explain_row_count(list_nth(fsplan->fdw_exprs, offset_idx), 0,
						  &in->offset_known, &in->offset, &in->offset_text,
						  &in->negative);
}

/* A bound of a range as EXPLAIN shows it: its value, or "$n" */
static const char *
bound_text(Node *expr)
{
	expr = strip_casts(expr);
	if (IsA(expr, Const))
	{
		Const	   *c = (Const *) expr;

		return c->constisnull ? "NULL" :
			psprintf(INT64_FORMAT, int_datum(c->constvalue, c->consttype));
	}
	if (IsA(expr, Param))
		return psprintf("$%d", ((Param *) expr)->paramid);
	return "?";
}

/* expr without RelabelType and implicit casts */
static Node *
strip_casts(Node *expr)
{
	while (expr && (IsA(expr, RelabelType) ||
					(IsA(expr, FuncExpr) &&
					 ((FuncExpr *) expr)->funcformat != COERCE_EXPLICIT_CALL &&
					 list_length(((FuncExpr *) expr)->args) == 1)))
		expr = IsA(expr, RelabelType) ? (Node *) ((RelabelType *) expr)->arg :
			(Node *) linitial(((FuncExpr *) expr)->args);
	return expr;
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
	expr = strip_casts(expr);
	*text = IsA(expr, Param) ? psprintf("$%d", ((Param *) expr)->paramid) : "?";
}

/*
 * EXPLAIN VERBOSE: the pushed conditions whose request depends on a value
 * known only at execution, and what a NULL there makes of them.
 */
static void
explain_run_time_notes(ForeignScanState *node, MaScanState *st,
					   ExplainState *es)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	int			tag_idx = intVal(list_nth(priv, FdwScanPrivateTagExpr));
	ListCell   *lc,
			   *lc2;

	forboth(lc, (List *) list_nth(priv, FdwScanPrivateIdExprs),
			lc2, st->id_flags)
	{
		if (lfirst_int(lc2) & MA_IDV_NULL_ALL)
		{
			MaPlanValue *v = node_value(list_nth(fsplan->fdw_exprs, intVal(lfirst(lc))),
										true, false);

			ExplainPropertyText("Remote filter at execution",
								psprintf("data_annotation_id = %s, or every job of the listing when %s is NULL",
										 v ? v->text : "NULL", v ? v->text : "NULL"),
								es);
		}
	}
	if (tag_idx >= 0 &&
		(st->tag_mode == MA_TAG_EQ_OR_ALL || st->tag_mode == MA_TAG_EQ_OR_NULL))
	{
		MaPlanValue *v = node_value(list_nth(fsplan->fdw_exprs, tag_idx),
									false, false);
		const char *t = v ? v->text : "NULL";

		ExplainPropertyText("Remote filter at execution",
							st->tag_mode == MA_TAG_EQ_OR_ALL ?
							psprintf("tag_name = %s, or no tag_name filter when %s is NULL", t, t) :
							psprintf("tag_name = %s, or tag_name=__none__ when %s is NULL", t, t),
							es);
	}
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
		explain_run_time_notes(node, st, es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("Remote requests sent", NULL,
							   scan->counters.requests, es);
		if (scan->counters.sent)
			ma_explain_sent(scan->counters.sent, es);
		ExplainPropertyInteger("Retries", NULL, scan->counters.retries, es);
		ExplainPropertyInteger("Bytes received", NULL,
							   scan->counters.bytes, es);
		if (st->resource == MA_RESOURCE_IMAGES ||
			st->resource == MA_RESOURCE_SAMPLES)
		{
			ExplainPropertyInteger(st->resource == MA_RESOURCE_SAMPLES ?
								   "Samples received" : "Images received",
								   NULL, scan->images_received, es);
			ExplainPropertyInteger("Rows dropped", NULL, scan->rows_dropped, es);
		}
		else if (MA_RESOURCE_IS_V2(st->resource))
			ExplainPropertyInteger("Datasets read", NULL, scan->jobs_read, es);
		else
			ExplainPropertyInteger("Jobs read", NULL, scan->jobs_read, es);
	}
}
