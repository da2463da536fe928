/*-------------------------------------------------------------------------
 *
 * modelarts_fdw.c
 *		  Foreign data wrapper for ModelArts (Huawei Cloud) labeling jobs:
 *		  the FDW callbacks.
 *
 * A scan of annotation_images is a list of request streams (one per job and
 * tag_name filter, see plan.c), each read page by page as the executor asks
 * for rows.  Pages are fetched lazily, so a scan stops sending requests the
 * moment its consumer stops asking.
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
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "modelarts_fdw.h"

PG_MODULE_MAGIC;

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
	FdwScanPrivateAttrsUsed		/* List of Integer: attnums filled */
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

/* Execution state of a foreign scan. */
typedef struct MaScanState
{
	Relation	rel;
	MaConnection *conn;			/* NULL until the first request */
	UserMapping *user;
	char	   *project_id;
	int			page_size;

	/* from the plan */
	MaResource	resource;
	MaIdMode	id_mode;
	MaTagMode	tag_mode;
	bool		has_table_id;
	int64		table_id;
	bool		has_limit;
	ExprState  *id_state;
	ExprState  *tag_state;
	ExprState  *limit_state;
	ExprState  *offset_state;
	MaColumn   *columns;
	int			ncolumns;

	/* set up at the first row of a (re)scan */
	bool		started;
	List	   *streams;
	ListCell   *cur_stream;
	int64		skip_remaining; /* rows still to drop (OFFSET) */
	int64		emit_remaining; /* rows still to return, -1: no limit */
	int64		limit_value;	/* evaluated LIMIT, -1: none */
	int64		offset_value;	/* evaluated OFFSET */

	/* the current stream's paging */
	int			per_page;
	int64		next_page;
	int64		pages_left;		/* -1: until a short page */
	bool		stream_done;

	/* the current page */
	cJSON	   *page_json;		/* malloc'd; freed by reset callback */
	cJSON	   *cur_image;		/* next image of page to expand */
	const char **tags;			/* distinct tags of the image being expanded */
	int			ntags;
	int			next_tag;		/* next of tags to emit; -1: emit NULL row */
	bool		image_pending;

	/* counters for EXPLAIN ANALYZE */
	MaRequestCounters counters;
	int64		images_received;
	int64		rows_dropped;

	/* projects, versions, tags: the jobs and their calls */
	MaJobScan	js;

	MemoryContext page_cxt;		/* reset per page */
	MemoryContext row_cxt;		/* reset per row */
	MemoryContextCallback json_cb;	/* frees page_json if the scan dies */
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
static void start_job_scan(MaScanState *st, List *ids);
static void free_page_json(void *arg);
static void start_scan(ForeignScanState *node, MaScanState *st);
static bool next_row(ForeignScanState *node, MaScanState *st,
					 MaRowSource *src);
static void start_stream(MaScanState *st, MaStream *stream);
static bool fetch_page(MaScanState *st, MaStream *stream);
static List *eval_id_list(MaScanState *st, ExprContext *econtext);
static List *eval_tag_list(MaScanState *st, ExprContext *econtext);
static int64 eval_int8(ExprState *state, ExprContext *econtext, bool *isnull);
static int64 eval_row_count(ExprState *state, ExprContext *econtext,
							int64 absent, int sqlstate, const char *clause);
static void append_value_text(StringInfo buf, Node *expr, bool encode);
static void explain_requests(ForeignScanState *node, MaScanState *st,
							 ExplainState *es);
static void explain_job_requests(MaScanState *st, List *jobs, bool list_all,
								 ExplainState *es);

PG_FUNCTION_INFO_V1(modelarts_fdw_handler);

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

	estimate_scan(info, &rows, &startup, &total);
	baserel->rows = clamp_row_est(rows *
								  clauselist_selectivity(root,
														 extract_actual_clauses(info->local_conds, false),
														 baserel->relid,
														 JOIN_INNER,
														 NULL));
}

/*
 * A rough size: the API gives no estimates, so assume a job of
 * MA_ROWS_PER_JOB rows and MA_ROWS_PER_TAG rows per tag, and a request per
 * page of page_size images.
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
	if ((parse->limitCount &&
		 !IsA(parse->limitCount, Const) && !IsA(parse->limitCount, Param)) ||
		(parse->limitOffset &&
		 !IsA(parse->limitOffset, Const) && !IsA(parse->limitOffset, Param)))
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
	List	   *pushed = info->remote_conds;
	MaIdMode	id_mode = info->id_mode;
	Expr	   *id_expr = info->id_expr;
	bool		has_limit = false;
	int			id_idx = -1,
				tag_idx = -1,
				limit_idx = -1,
				offset_idx = -1;
	int			attnum;
	ListCell   *lc;

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
	RangeTblEntry *rte = exec_rt_fetch(fsplan->scan.scanrelid, estate);
	Oid			userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	ForeignTable *table;
	MaServerOptions sopts;
	MaTableOptions topts;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	int			idx;

	node->fdw_state = st;
	st->rel = node->ss.ss_currentRelation;
	table = GetForeignTable(RelationGetRelid(st->rel));
	st->user = GetUserMapping(userid, table->serverid);
	ma_get_server_options(GetForeignServer(table->serverid), &sopts);
	ma_get_table_options(rte->relid, &topts);
	st->project_id = sopts.project_id;
	st->page_size = sopts.page_size;
	st->has_table_id = topts.has_annotation_id;
	st->table_id = topts.data_annotation_id;

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
	if (st->resource != MA_RESOURCE_IMAGES)
	{
		List	   *keys = NIL;
		int			i;

		for (i = 0; i < st->ncolumns; i++)
		{
			if (st->columns[i].kind == MA_COL_KEY)
				keys = lappend(keys, st->columns[i].key);
		}
		st->js.resource = st->resource;
		st->js.project_id = st->project_id;
		st->js.page_size = st->page_size;
		st->js.counters = &st->counters;
		st->js.list_all = st->id_mode == MA_ID_NONE && !st->has_table_id;
		ma_job_calls(st->resource, st->js.list_all, keys,
					 &st->js.need_job, &st->js.need_stats);
	}

	st->page_cxt = AllocSetContextCreate(estate->es_query_cxt,
										 "modelarts_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
	st->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"modelarts_fdw row",
										ALLOCSET_DEFAULT_SIZES);

	/* the page's cJSON is malloc'd: free it however the query ends */
	st->json_cb.func = free_page_json;
	st->json_cb.arg = st;
	MemoryContextRegisterResetCallback(st->page_cxt, &st->json_cb);

	/* nothing to connect to for a plain EXPLAIN */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	st->conn = ma_get_connection(st->user);
	st->js.conn = st->conn;
}

static void
free_page_json(void *arg)
{
	MaScanState *st = (MaScanState *) arg;

	if (st->page_json)
	{
		cJSON_Delete(st->page_json);
		st->page_json = NULL;
	}
	st->cur_image = NULL;
	st->image_pending = false;
	ma_job_scan_release(&st->js);
}

/*
 * Evaluate the pushed values (Params have their values now) and set up the
 * streams and the window of rows to return.
 */
static void
start_scan(ForeignScanState *node, MaScanState *st)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	MemoryContext oldcxt;
	List	   *ids = NIL;
	List	   *tags = NIL;

	st->limit_value = eval_row_count(st->limit_state, econtext, -1,
									 ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE,
									 "LIMIT");
	st->offset_value = eval_row_count(st->offset_state, econtext, 0,
									  ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE,
									  "OFFSET");
	st->skip_remaining = st->offset_value;
	st->emit_remaining = st->limit_value;

	oldcxt = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
	if (st->id_mode == MA_ID_EQ || st->id_mode == MA_ID_ANY)
		ids = eval_id_list(st, econtext);
	if (st->tag_mode == MA_TAG_EQ || st->tag_mode == MA_TAG_ANY)
		tags = eval_tag_list(st, econtext);
	if (st->resource != MA_RESOURCE_IMAGES)
	{
		start_job_scan(st, ids);
		MemoryContextSwitchTo(oldcxt);
		st->started = true;
		return;
	}
	st->streams = ma_build_streams(st->id_mode, ids, st->has_table_id,
								   st->table_id, st->tag_mode, tags);
	MemoryContextSwitchTo(oldcxt);

	st->cur_stream = NULL;
	st->started = true;

	/* LIMIT 0: no request at all */
	if (st->emit_remaining == 0)
		st->streams = NIL;
	if (st->streams != NIL)
	{
		st->cur_stream = list_head(st->streams);
		start_stream(st, lfirst(st->cur_stream));
	}
}

/*
 * Set up a scan of projects, versions or tags: the jobs given (evaluated
 * ids, the table option; a disagreement leaves none) or, with neither,
 * every job of the listing.
 */
static void
start_job_scan(MaScanState *st, List *ids)
{
	MaJobScan  *js = &st->js;

	ma_job_scan_release(js);
	js->job_ids = NIL;
	js->next_id = NULL;
	js->list_page = 0;
	js->list_seen = 0;
	js->list_done = false;
	js->jobs_read = 0;
	if (!js->list_all)
	{
		js->job_ids = ma_select_jobs(st->id_mode, ids, st->has_table_id,
									 st->table_id);
		js->next_id = list_head(js->job_ids);
	}
}

/*
 * Choose the page size and first page of a stream.  A single exact stream
 * (one row per image) maps the LIMIT/OFFSET window onto pages; otherwise
 * pages are read from the first, sized to what the limit still needs.
 */
static void
start_stream(MaScanState *st, MaStream *stream)
{
	bool		single_exact = list_length(st->streams) == 1 &&
		ma_stream_is_exact(stream);

	st->stream_done = false;
	st->pages_left = -1;
	st->next_page = 1;
	st->per_page = st->page_size;

	if (single_exact && st->emit_remaining > 0)
	{
		int64		first;

		ma_page_window(st->skip_remaining, st->emit_remaining, st->page_size,
					   &st->per_page, &first, &st->pages_left);
		st->next_page = first;
		st->skip_remaining -= (first - 1) * st->per_page;
	}
	else if (single_exact && st->skip_remaining > 0)
	{
		st->next_page = st->skip_remaining / st->per_page + 1;
		st->skip_remaining %= st->per_page;
	}
	else if (st->emit_remaining > 0)
	{
		int64		needed = st->skip_remaining + st->emit_remaining;

		st->per_page = (int) Min((int64) st->page_size, needed);
	}
}

/*
 * Fetch the stream's next page into st->page_json.  Returns false when the
 * stream has no more pages (nothing is requested then).
 */
static bool
fetch_page(MaScanState *st, MaStream *stream)
{
	StringInfoData path;
	StringInfoData query;
	char		job[32];
	cJSON	   *json;
	cJSON	   *images;
	cJSON	   *count;
	int			got;

	if (st->stream_done || st->pages_left == 0)
		return false;

	/* the previous page's rows are all out: free it before the next */
	MemoryContextReset(st->page_cxt);
	MemoryContextRegisterResetCallback(st->page_cxt, &st->json_cb);

	initStringInfo(&path);
	initStringInfo(&query);
	snprintf(job, sizeof(job), INT64_FORMAT, stream->job_id);
	ma_append_images_path(&path, st->project_id, job);
	if (stream->kind == MA_STREAM_TAG)
	{
		StringInfoData tag;

		initStringInfo(&tag);
		ma_append_encoded(&tag, stream->tag);
		ma_append_stream_query(&query, stream->kind, tag.data);
		pfree(tag.data);
	}
	else
		ma_append_stream_query(&query, stream->kind, NULL);
	appendStringInfo(&query, "per_page=%d&page=" INT64_FORMAT,
					 st->per_page, st->next_page);

	json = ma_api_get(st->conn, path.data, query.data, &st->counters);
	st->page_json = json;

	images = cJSON_GetObjectItemCaseSensitive(json, "images");
	if (!cJSON_IsArray(images))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("malformed answer from ModelArts: no \"images\" array"),
				 errcontext("remote request: GET %s?%s", path.data, query.data)));
	got = cJSON_GetArraySize(images);
	{
		cJSON	   *img;

		cJSON_ArrayForEach(img, images)
		{
			if (!cJSON_IsObject(img))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("malformed answer from ModelArts: an element of \"images\" is not an object"),
						 errcontext("remote request: GET %s?%s", path.data, query.data)));
		}
	}
	if (got > st->per_page)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("malformed answer from ModelArts: %d images on a page of %d",
						got, st->per_page),
				 errcontext("remote request: GET %s?%s", path.data, query.data)));

	st->images_received += got;
	st->cur_image = images->child;
	st->image_pending = false;

	/* a short page ends the stream, and so does reaching image_count */
	count = cJSON_GetObjectItemCaseSensitive(json, "image_count");
	if (got < st->per_page ||
		(cJSON_IsNumber(count) &&
		 (double) st->next_page * st->per_page >= count->valuedouble))
		st->stream_done = true;
	st->next_page++;
	if (st->pages_left > 0)
		st->pages_left--;

	pfree(path.data);
	pfree(query.data);
	return true;
}

/*
 * The next row of the scan, before OFFSET and LIMIT: walk the tags of the
 * current image, then the next image, page, stream.  Returns false at the
 * end.  The row's strings point into st->page_json.
 */
static bool
next_row(ForeignScanState *node, MaScanState *st, MaRowSource *src)
{
	for (;;)
	{
		MaStream   *stream;

		if (st->cur_stream == NULL)
			return false;
		stream = lfirst(st->cur_stream);

		if (st->image_pending)
		{
			const cJSON *image = st->cur_image;
			const char *tag = NULL;
			bool		have = false;

			if (stream->kind == MA_STREAM_UNTAGGED)
			{
				/* one row with a NULL tag, for an image that has none */
				st->image_pending = false;
				have = (st->ntags == 0);
			}
			else if (stream->kind == MA_STREAM_TAG)
			{
				int			i;

				st->image_pending = false;
				for (i = 0; i < st->ntags; i++)
				{
					if (strcmp(st->tags[i], stream->tag) == 0)
					{
						tag = st->tags[i];
						have = true;
						break;
					}
				}
			}
			else if (st->next_tag < st->ntags)
			{
				tag = st->tags[st->next_tag++];
				have = true;
				if (stream->keep_tags != NIL)
				{
					ListCell   *lc;

					have = false;
					foreach(lc, stream->keep_tags)
					{
						if (strcmp((char *) lfirst(lc), tag) == 0)
							have = true;
					}
				}
			}
			else
				st->image_pending = false;

			/* the image is done: move on, its row (if any) still valid */
			if (!st->image_pending)
				st->cur_image = st->cur_image->next;
			if (have)
			{
				src->job_id = stream->job_id;
				src->object = image;
				src->tag = tag;
				src->tags = st->tags;
				src->ntags = st->ntags;
				return true;
			}
			continue;
		}

		if (st->cur_image != NULL)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(st->page_cxt);

			st->ntags = ma_distinct_tags(st->cur_image, &st->tags);
			MemoryContextSwitchTo(oldcxt);
			st->next_tag = 0;
			st->image_pending = true;
			continue;
		}

		CHECK_FOR_INTERRUPTS();
		if (fetch_page(st, stream))
			continue;

		/* next stream */
		st->cur_stream = lnext(st->streams, st->cur_stream);
		if (st->cur_stream != NULL)
			start_stream(st, lfirst(st->cur_stream));
	}
}

static TupleTableSlot *
modelartsIterateForeignScan(ForeignScanState *node)
{
	MaScanState *st = (MaScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MaRowSource src;
	MemoryContext oldcxt;

	ExecClearTuple(slot);
	MemoryContextReset(st->row_cxt);

	if (!st->started)
		start_scan(node, st);

	for (;;)
	{
		if (st->emit_remaining == 0)
			return slot;
		if (st->resource != MA_RESOURCE_IMAGES)
		{
			if (!ma_job_scan_next(&st->js, &src))
				return slot;
		}
		else if (!next_row(node, st, &src))
			return slot;
		if (st->skip_remaining > 0)
		{
			st->skip_remaining--;
			st->rows_dropped++;
			continue;
		}
		break;
	}
	if (st->emit_remaining > 0)
		st->emit_remaining--;

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

	/* start over; parameter values may have changed */
	MemoryContextReset(st->page_cxt);
	MemoryContextRegisterResetCallback(st->page_cxt, &st->json_cb);
	st->started = false;
	st->streams = NIL;
	st->cur_stream = NULL;
}

static void
modelartsEndForeignScan(ForeignScanState *node)
{
	MaScanState *st = (MaScanState *) node->fdw_state;

	if (st)
		free_page_json(st);
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

static int64
eval_int8(ExprState *state, ExprContext *econtext, bool *isnull)
{
	Datum		d = ExecEvalExpr(state, econtext, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
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

	if (state == NULL)
		return absent;
	v = eval_int8(state, econtext, &isnull);
	if (isnull)
		return absent;
	if (v < 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("%s must not be negative", clause)));
	return v;
}


/* Convert a datum of an integer type to int64. */
static int64
int_datum_to_int64(Datum d, Oid type)
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

/*
 * The evaluated data_annotation_id values, NULLs dropped (they match no
 * row) and duplicates removed, as a list of palloc'd int64.
 */
static List *
eval_id_list(MaScanState *st, ExprContext *econtext)
{
	Expr	   *expr = st->id_state->expr;
	bool		isnull;
	Datum		d = ExecEvalExpr(st->id_state, econtext, &isnull);
	List	   *result = NIL;

	if (isnull)
		return NIL;
	if (st->id_mode == MA_ID_EQ)
	{
		int64	   *v = palloc(sizeof(int64));

		*v = int_datum_to_int64(d, exprType((Node *) expr));
		return list_make1(v);
	}
	else
	{
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n = array_elements(d, &elemtype, &elems, &nulls);
		int			i;

		for (i = 0; i < n; i++)
		{
			int64		v;
			ListCell   *lc;
			bool		dup = false;

			if (nulls[i])
				continue;
			v = int_datum_to_int64(elems[i], elemtype);
			foreach(lc, result)
			{
				if (*(int64 *) lfirst(lc) == v)
					dup = true;
			}
			if (!dup)
			{
				int64	   *p = palloc(sizeof(int64));

				*p = v;
				result = lappend(result, p);
			}
		}
	}
	return result;
}

/* The evaluated tag_name values, NULLs and duplicates removed. */
static List *
eval_tag_list(MaScanState *st, ExprContext *econtext)
{
	bool		isnull;
	Datum		d = ExecEvalExpr(st->tag_state, econtext, &isnull);
	List	   *result = NIL;

	if (isnull)
		return NIL;
	if (st->tag_mode == MA_TAG_EQ)
		return list_make1(TextDatumGetCString(d));
	else
	{
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n = array_elements(d, &elemtype, &elems, &nulls);
		int			i;

		for (i = 0; i < n; i++)
		{
			char	   *v;
			ListCell   *lc;
			bool		dup = false;

			if (nulls[i])
				continue;
			v = TextDatumGetCString(elems[i]);
			foreach(lc, result)
			{
				if (strcmp((char *) lfirst(lc), v) == 0)
					dup = true;
			}
			if (!dup)
				result = lappend(result, v);
		}
	}
	return result;
}

/*
 * Append a pushed value as EXPLAIN shows it: a constant's text
 * (percent-encoded when encode), or "$n" for a parameter.
 */
static void
append_value_text(StringInfo buf, Node *expr, bool encode)
{
	while (IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;

	if (IsA(expr, Param))
		appendStringInfo(buf, "$%d", ((Param *) expr)->paramid);
	else if (IsA(expr, Const))
	{
		Const	   *c = (Const *) expr;
		Oid			out;
		bool		isvarlena;
		char	   *text;

		if (c->constisnull)
		{
			appendStringInfoString(buf, "NULL");
			return;
		}
		getTypeOutputInfo(c->consttype, &out, &isvarlena);
		text = OidOutputFunctionCall(out, c->constvalue);
		if (encode)
			ma_append_encoded(buf, text);
		else
			appendStringInfoString(buf, text);
	}
	else
		appendStringInfoString(buf, "?");
}

/*
 * The values of a pushed list (ARRAY[...] elements or a constant array's
 * elements), as Nodes; an array parameter is one element standing for all.
 */
static List *
value_nodes(Node *expr, bool is_list)
{
	List	   *result = NIL;

	if (!is_list)
		return list_make1(expr);

	while (IsA(expr, RelabelType))
		expr = (Node *) ((RelabelType *) expr)->arg;
	if (IsA(expr, ArrayExpr))
		return ((ArrayExpr *) expr)->elements;
	if (IsA(expr, Const) && !((Const *) expr)->constisnull)
	{
		Oid			elemtype;
		Datum	   *elems;
		bool	   *nulls;
		int			n = array_elements(((Const *) expr)->constvalue, &elemtype,
									   &elems, &nulls);
		int16		typlen;
		bool		typbyval;
		int			i;

		get_typlenbyval(elemtype, &typlen, &typbyval);
		for (i = 0; i < n; i++)
			result = lappend(result,
							 makeConst(elemtype, -1, InvalidOid, typlen,
									   elems[i], nulls[i], typbyval));
		return result;
	}
	return list_make1(expr);
}

/*
 * EXPLAIN VERBOSE of projects, versions and tags: the listing (when no job
 * is given) and the calls sent for each job.
 */
static void
explain_job_requests(MaScanState *st, List *jobs, bool list_all,
					 ExplainState *es)
{
	List	   *requests = NIL;
	ListCell   *lc;
	const char *paging;

	if (list_all)
	{
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoString(&b, "GET /v1/");
		ma_append_encoded(&b, st->project_id);
		appendStringInfoString(&b, "/annotation-jobs?");
		ma_append_jobs_query(&b, 1, st->page_size);
		requests = lappend(requests, b.data);
		jobs = list_make1("{each listed job}");
		paging = "until a short page";
	}
	else
		paging = "one call of each kind per job";

	foreach(lc, jobs)
	{
		StringInfoData b;
		ListCell   *prev;
		bool		dup = false;

		/* IN (285, 285) reads the job once, as at execution */
		foreach(prev, jobs)
		{
			if (prev == lc)
				break;
			if (strcmp((char *) lfirst(prev), (char *) lfirst(lc)) == 0)
				dup = true;
		}
		if (dup)
			continue;

		/* the job is digits, "$n" or a placeholder: shown as it is */
		if (st->js.need_job)
		{
			initStringInfo(&b);
			appendStringInfoString(&b, "GET /v1/");
			ma_append_encoded(&b, st->project_id);
			appendStringInfo(&b, "/data-annotations/%s/images?per_page=1&page=1",
							 (char *) lfirst(lc));
			requests = lappend(requests, b.data);
		}
		if (st->js.need_stats)
		{
			initStringInfo(&b);
			appendStringInfoString(&b, "GET /v1/");
			ma_append_encoded(&b, st->project_id);
			appendStringInfo(&b, "/data-annotations/%s/tags/stats",
							 (char *) lfirst(lc));
			requests = lappend(requests, b.data);
		}
	}

	if (requests == NIL)
		ExplainPropertyText("Remote request", "none", es);
	else if (es->format == EXPLAIN_FORMAT_TEXT)
	{
		foreach(lc, requests)
			ExplainPropertyText("Remote request", (char *) lfirst(lc), es);
	}
	else
		ExplainPropertyList("Remote requests", requests, es);
	if (requests != NIL && list_all)
		ExplainPropertyText("Remote paging", paging, es);
}

/*
 * EXPLAIN VERBOSE: the request each stream sends first, with "$n" where a
 * parameter goes, and how its pages go on.
 */
static void
explain_requests(ForeignScanState *node, MaScanState *st, ExplainState *es)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	int			id_idx = intVal(list_nth(priv, FdwScanPrivateIdExpr));
	int			tag_idx = intVal(list_nth(priv, FdwScanPrivateTagExpr));
	int			limit_idx = intVal(list_nth(priv, FdwScanPrivateLimitExpr));
	int			offset_idx = intVal(list_nth(priv, FdwScanPrivateOffsetExpr));
	List	   *jobs = NIL;
	List	   *tag_parts = NIL;	/* strings: "tag_name=...&" or "" */
	List	   *requests = NIL;
	ListCell   *lc,
			   *lc2;
	bool		consts = true;
	char	   *paging = NULL;
	char	   *page_query = NULL;

	/* the jobs, as text */
	if (id_idx >= 0)
	{
		foreach(lc, value_nodes(list_nth(fsplan->fdw_exprs, id_idx), st->id_mode == MA_ID_ANY))
		{
			StringInfoData b;

			initStringInfo(&b);
			append_value_text(&b, lfirst(lc), true);
			if (IsA(lfirst(lc), Param) && st->id_mode == MA_ID_ANY &&
				exprType(lfirst(lc)) != INT8OID && exprType(lfirst(lc)) != INT4OID &&
				exprType(lfirst(lc)) != INT2OID)
				appendStringInfoString(&b, "[each]");
			if (!IsA(lfirst(lc), Const))
				consts = false;
			else if (((Const *) lfirst(lc))->constisnull)
				continue;
			if (st->has_table_id && IsA(lfirst(lc), Const) &&
				strcmp(b.data, psprintf(INT64_FORMAT, st->table_id)) != 0)
				continue;		/* disagrees with the table option: no request */
			jobs = lappend(jobs, b.data);
		}
	}
	else if (st->has_table_id)
		jobs = list_make1(psprintf(INT64_FORMAT, st->table_id));

	if (st->resource != MA_RESOURCE_IMAGES)
	{
		explain_job_requests(st, jobs, id_idx < 0 && !st->has_table_id, es);
		return;
	}

	/* the tag_name parts */
	switch (st->tag_mode)
	{
		case MA_TAG_ALL:
			tag_parts = list_make2("", "tag_name=__none__&");
			break;
		case MA_TAG_TAGGED:
			tag_parts = list_make1("");
			break;
		case MA_TAG_UNTAGGED:
			tag_parts = list_make1("tag_name=__none__&");
			break;
		case MA_TAG_EQ:
		case MA_TAG_ANY:
			{
				bool		keep = false;

				foreach(lc, value_nodes(list_nth(fsplan->fdw_exprs, tag_idx), st->tag_mode == MA_TAG_ANY))
				{
					Node	   *v = lfirst(lc);
					StringInfoData b;

					if (IsA(v, Const))
					{
						Const	   *c = (Const *) v;

						if (c->constisnull)
							continue;
						if (!ma_tag_value_is_pushable(TextDatumGetCString(c->constvalue)))
						{
							keep = true;
							continue;
						}
					}
					else
						consts = false;
					initStringInfo(&b);
					appendStringInfoString(&b, "tag_name=");
					append_value_text(&b, v, true);
					if (IsA(v, Param) && st->tag_mode == MA_TAG_ANY &&
						list_length(value_nodes(list_nth(fsplan->fdw_exprs, tag_idx), st->tag_mode == MA_TAG_ANY)) == 1)
						appendStringInfoString(&b, "[each]");
					appendStringInfoChar(&b, '&');
					tag_parts = lappend(tag_parts, b.data);
				}
				if (keep)
					tag_parts = lappend(tag_parts, "");
			}
			break;
	}

	/* paging */
	if (st->has_limit && (limit_idx >= 0 || offset_idx >= 0))
	{
		Node	   *lim = limit_idx >= 0 ? list_nth(fsplan->fdw_exprs, limit_idx) : NULL;
		Node	   *off = offset_idx >= 0 ? list_nth(fsplan->fdw_exprs, offset_idx) : NULL;
		bool		lim_const = lim == NULL || IsA(lim, Const);
		bool		off_const = off == NULL || IsA(off, Const);
		int64		limit = -1,
					offset = 0;
		bool		has_limit_value;
		bool		single_exact = consts && list_length(jobs) * list_length(tag_parts) == 1 &&
			strcmp((char *) linitial(tag_parts), "") != 0;

		if (lim && IsA(lim, Const) && !((Const *) lim)->constisnull)
			limit = DatumGetInt64(((Const *) lim)->constvalue);
		if (off && IsA(off, Const) && !((Const *) off)->constisnull)
			offset = DatumGetInt64(((Const *) off)->constvalue);
		has_limit_value = lim && IsA(lim, Const) && !((Const *) lim)->constisnull;

		if (!lim_const || !off_const)
		{
			StringInfoData b;

			initStringInfo(&b);
			appendStringInfoString(&b, "pages sized at execution from");
			if (lim)
			{
				appendStringInfoString(&b, " LIMIT ");
				append_value_text(&b, lim, false);
			}
			if (off)
			{
				appendStringInfoString(&b, " OFFSET ");
				append_value_text(&b, off, false);
			}
			paging = b.data;
			page_query = "per_page=?&page=?";
		}
		else if ((has_limit_value && limit < 0) || offset < 0)
		{
			paging = "none: negative LIMIT or OFFSET";
			jobs = NIL;
		}
		else if (has_limit_value && limit == 0)
		{
			paging = "none: LIMIT 0";
			jobs = NIL;
		}
		else if (!has_limit_value)
		{
			if (single_exact && offset > 0)
				page_query = psprintf("per_page=%d&page=" INT64_FORMAT,
									  st->page_size, offset / st->page_size + 1);
		}
		else if (single_exact)
		{
			int			p;
			int64		first,
						n;

			ma_page_window(offset, limit, st->page_size, &p, &first, &n);
			page_query = psprintf("per_page=%d&page=" INT64_FORMAT, p, first);
			paging = n == 1 ? "1 page" :
				psprintf("pages " INT64_FORMAT " to " INT64_FORMAT, first, first + n - 1);
		}
		else
		{
			page_query = psprintf("per_page=%d&page=1",
								  (int) Min((int64) st->page_size, offset + limit));
			paging = "until the limit is reached";
		}
	}
	if (page_query == NULL)
		page_query = psprintf("per_page=%d&page=1", st->page_size);
	if (paging == NULL)
		paging = "until a short page";

	foreach(lc, jobs)
	{
		foreach(lc2, tag_parts)
		{
			StringInfoData b;

			initStringInfo(&b);
			/* the job is digits or "$n": shown as it is, not encoded */
			appendStringInfoString(&b, "GET /v1/");
			ma_append_encoded(&b, st->project_id);
			appendStringInfo(&b, "/data-annotations/%s/images", (char *) lfirst(lc));
			appendStringInfo(&b, "?%s%s", (char *) lfirst(lc2), page_query);
			/* IN ('a', 'a') is one stream, as at execution */
			if (!list_member(requests, makeString(b.data)))
				requests = lappend(requests, makeString(b.data));
		}
	}

	if (requests == NIL)
		ExplainPropertyText("Remote request", "none", es);
	else if (es->format == EXPLAIN_FORMAT_TEXT)
	{
		foreach(lc, requests)
			ExplainPropertyText("Remote request", strVal(lfirst(lc)), es);
	}
	else
	{
		List	   *texts = NIL;

		foreach(lc, requests)
			texts = lappend(texts, strVal(lfirst(lc)));
		ExplainPropertyList("Remote requests", texts, es);
	}
	if (requests != NIL)
		ExplainPropertyText("Remote paging", paging, es);
}

static void
modelartsExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	MaScanState *st = (MaScanState *) node->fdw_state;

	if (es->verbose)
		explain_requests(node, st, es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Remote requests sent", NULL,
							   st->counters.requests, es);
		if (st->resource == MA_RESOURCE_IMAGES)
		{
			ExplainPropertyInteger("Images received", NULL,
								   st->images_received, es);
			ExplainPropertyInteger("Rows dropped", NULL, st->rows_dropped, es);
		}
		else
			ExplainPropertyInteger("Jobs read", NULL, st->js.jobs_read, es);
	}
}
