/*-------------------------------------------------------------------------
 *
 * import.c
 *		  IMPORT FOREIGN SCHEMA for modelarts_fdw.
 *
 * Two remote schemas:
 *
 *   modelarts	the four resources as tables with their full column lists:
 *				annotation_images, annotation_projects, annotation_versions,
 *				annotation_tags.  No request is sent.
 *   jobs		one images table per labeling job found through
 *				annotation-jobs, named after the job and bound to it by the
 *				table option data_annotation_id: what a BI tool browses.
 *
 * and two of the v2 dataset API (import_v2_resources, import_datasets):
 *
 *   modelarts_v2	dataset_samples, datasets, dataset_versions and
 *				dataset_labels.  No request is sent.
 *   datasets	one samples table per dataset of the dataset list, named
 *				after its dataset_name and bound to it by the table option
 *				dataset_id.
 *
 * LIMIT TO and EXCEPT are applied here as well as by the core, so that the
 * tables left out are never described.
 *
 * Every table and column created gets a comment (what it holds, the API
 * field it comes from), for catalog browsers.  The callback only returns
 * CREATE FOREIGN TABLE commands, which the core runs as subcommands once it
 * returns; the comments wait in "pending" until a ProcessUtility hook sees
 * each table created (ma_import_utility_hook).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/comment.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "mb/pg_wchar.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "modelarts_fdw.h"

/* One table of a fixed schema: "modelarts" (v1) or "modelarts_v2". */
typedef struct MaImportTable
{
	const char *schema;
	const char *name;
	const char *resource;
	const char *columns;
	const char *comment;
} MaImportTable;

#define IMAGES_COLUMNS \
	"data_annotation_id bigint, image_id text, image_name text, url text, " \
	"width int, height int, tag_name text, tags text[], annotations jsonb, " \
	"create_time timestamptz"

#define SAMPLES_COLUMNS \
	"dataset_id text, sample_id text, sample_name text, " \
	"url text OPTIONS (key 'source'), width int, height int, " \
	"label_name text, labels text[], annotations jsonb, " \
	"sample_time timestamptz, sample_status text"

static const MaImportTable resource_tables[] = {
	{"modelarts", "annotation_images", "images", IMAGES_COLUMNS,
		"Images of the labeling jobs (GET /v1/{project_id}/data-annotations/{job}/images): one row per image and distinct tag, "
	"the jobs of WHERE data_annotation_id = ..., or else every job of the annotation-jobs listing"},
	{"modelarts", "annotation_projects", "projects",
		"data_annotation_id bigint, project_name text, project_desc text, "
		"project_type int, create_time timestamptz, version_num int, "
		"data_path text, image_count bigint, tagged_count bigint, "
		"untagged_count bigint",
	"Labeling jobs, one row each (GET /v1/{project_id}/annotation-jobs, the images call and tags/stats)"},
	{"modelarts", "annotation_versions", "versions",
		"data_annotation_id bigint, version_id text, version_name text, "
		"version_desc text, file_count bigint, status int, "
		"create_time timestamptz",
	"Dataset versions of the labeling jobs, one row each (the images call's versions)"},
	{"modelarts", "annotation_tags", "tags",
		"data_annotation_id bigint, tag_name text, image_count bigint",
	"Tags of the labeling jobs with their image counts (GET .../data-annotations/{job}/tags/stats)"},
	/* the v2 dataset API */
	{"modelarts_v2", "dataset_samples", "samples", SAMPLES_COLUMNS,
		"Samples of the datasets (GET /v2/{project_id}/datasets/{dataset}/data-annotations/samples): one row per sample and distinct label, "
	"the datasets of WHERE dataset_id = ..., or else every dataset of the dataset list"},
	{"modelarts_v2", "datasets", "datasets",
		"dataset_id text, dataset_name text, dataset_type int, "
		"description text, create_time timestamptz, "
		"current_version_id text, current_version_name text, "
		"dataset_version_count int, total_sample_count bigint, "
		"annotated_sample_count bigint, data_url text",
	"Datasets, one row each (GET /v2/{project_id}/datasets)"},
	{"modelarts_v2", "dataset_versions", "dataset_versions",
		"dataset_id text, version_id text, version_name text, "
		"description text, create_time timestamptz, "
		"total_sample_count bigint, annotated_sample_count bigint, "
		"status int",
	"Published versions of the datasets, one row each (GET /v2/{project_id}/datasets/{dataset}/versions)"},
	{"modelarts_v2", "dataset_labels", "dataset_labels",
		"dataset_id text, label_name text OPTIONS (key 'name'), "
		"label_type int OPTIONS (key 'type'), sample_count bigint, "
		"count bigint",
	"Labels of the datasets with their counts, one row each (GET /v2/{project_id}/datasets/{dataset}/data-annotations/stats)"},
	{NULL, NULL, NULL, NULL, NULL}
};

/* What each column of the resource tables holds, and where from. */
typedef struct MaColumnComment
{
	const char *resource;
	const char *column;
	const char *comment;
}			MaColumnComment;

static const MaColumnComment column_comments[] = {
	{"images", "data_annotation_id", "Labeling job ID: the job of the images call (the listing's dls_prj_id when no job is given)"},
	{"images", "image_id", "Image ID (images[].image_id)"},
	{"images", "image_name", "File name of the image (images[].image_name)"},
	{"images", "url", "URL of the image in OBS (images[].url)"},
	{"images", "width", "Width in pixels (images[].size[0])"},
	{"images", "height", "Height in pixels (images[].size[1])"},
	{"images", "tag_name", "One tag of the image, one row per distinct tag; NULL for an untagged image (images[].tags[].name)"},
	{"images", "tags", "Every distinct tag of the image (images[].tags[].name)"},
	{"images", "annotations", "The image's annotations as the API gives them (images[].tags)"},
	{"images", "create_time", "When the image was added (images[].create_time, milliseconds since 1970)"},
	{"projects", "data_annotation_id", "Labeling job ID (annotation-jobs dls_prj_id)"},
	{"projects", "project_name", "Name of the labeling job (name, project_name)"},
	{"projects", "project_desc", "Description of the labeling job (description, project_desc)"},
	{"projects", "project_type", "Job type: 0 image classification, 1 object detection (project_type)"},
	{"projects", "create_time", "When the job was created (create_time)"},
	{"projects", "version_num", "Number of dataset versions (version_num)"},
	{"projects", "data_path", "OBS path of the job's data (path, data_path)"},
	{"projects", "image_count", "Number of images (progress_detail.total_count, or tags/stats)"},
	{"projects", "tagged_count", "Number of tagged images (progress_detail.has_tag_count, or tags/stats)"},
	{"projects", "untagged_count", "Number of untagged images (progress_detail.not_tag_count, or tags/stats)"},
	{"versions", "data_annotation_id", "Labeling job ID the version belongs to"},
	{"versions", "version_id", "Dataset version ID (versions[].version_id)"},
	{"versions", "version_name", "Version name, such as V001 (versions[].version_name)"},
	{"versions", "version_desc", "Version description (versions[].version_desc)"},
	{"versions", "file_count", "Number of files in the version (versions[].file_count)"},
	{"versions", "status", "Version status code (versions[].status)"},
	{"versions", "create_time", "When the version was made (versions[].create_time)"},
	{"tags", "data_annotation_id", "Labeling job ID the tag belongs to"},
	{"tags", "tag_name", "Tag name (tags/stats tag_count[].tag)"},
	{"tags", "image_count", "Number of images with the tag (tags/stats tag_count[].count)"},
	{"samples", "dataset_id", "Dataset ID: the dataset of the samples call (the dataset list's dataset_id when no dataset is given)"},
	{"samples", "sample_id", "Sample ID (samples[].sample_id)"},
	{"samples", "sample_name", "File name of the sample (samples[].sample_name)"},
	{"samples", "url", "Signed URL of the sample in OBS, which expires (samples[].source)"},
	{"samples", "width", "Width in pixels (samples[].metadata[\"@modelarts:size\"][0])"},
	{"samples", "height", "Height in pixels (samples[].metadata[\"@modelarts:size\"][1])"},
	{"samples", "label_name", "One label of the sample, one row per distinct label; NULL for an unlabeled sample (samples[].labels[].name)"},
	{"samples", "labels", "Every distinct label of the sample (samples[].labels[].name)"},
	{"samples", "annotations", "The sample's labels as the API gives them (samples[].labels)"},
	{"samples", "sample_time", "When the sample was last modified (samples[].sample_time, milliseconds since 1970)"},
	{"samples", "sample_status", "Labeling status of the sample (samples[].sample_status)"},
	{"datasets", "dataset_id", "Dataset ID (datasets[].dataset_id)"},
	{"datasets", "dataset_name", "Name of the dataset (datasets[].dataset_name)"},
	{"datasets", "dataset_type", "Dataset type (datasets[].dataset_type)"},
	{"datasets", "description", "Description of the dataset (datasets[].description)"},
	{"datasets", "create_time", "When the dataset was created (datasets[].create_time)"},
	{"datasets", "current_version_id", "ID of the dataset's current version (datasets[].current_version_id)"},
	{"datasets", "current_version_name", "Name of the dataset's current version (datasets[].current_version_name)"},
	{"datasets", "dataset_version_count", "Number of versions (datasets[].dataset_version_count)"},
	{"datasets", "total_sample_count", "Number of samples (datasets[].total_sample_count)"},
	{"datasets", "annotated_sample_count", "Number of labeled samples (datasets[].annotated_sample_count)"},
	{"datasets", "data_url", "OBS path of the dataset's data (datasets[].data_url)"},
	{"dataset_versions", "dataset_id", "Dataset ID the version belongs to"},
	{"dataset_versions", "version_id", "Version ID (versions[].version_id)"},
	{"dataset_versions", "version_name", "Version name, such as V001 (versions[].version_name)"},
	{"dataset_versions", "description", "Version description (versions[].description)"},
	{"dataset_versions", "create_time", "When the version was made (versions[].create_time)"},
	{"dataset_versions", "total_sample_count", "Number of samples in the version (versions[].total_sample_count)"},
	{"dataset_versions", "annotated_sample_count", "Number of labeled samples in the version (versions[].annotated_sample_count)"},
	{"dataset_versions", "status", "Version status code (versions[].status)"},
	{"dataset_labels", "dataset_id", "Dataset ID the label belongs to"},
	{"dataset_labels", "label_name", "Label name (label_stats[].name)"},
	{"dataset_labels", "label_type", "Label type (label_stats[].type)"},
	{"dataset_labels", "sample_count", "Number of samples carrying the label (label_stats[].sample_count)"},
	{"dataset_labels", "count", "Number of instances of the label (label_stats[].count)"},
	{NULL, NULL, NULL}
};

/* A table IMPORT FOREIGN SCHEMA is creating, and its comments. */
typedef struct PendingComment
{
	char	   *table;
	char	   *comment;
	const char *resource;		/* its columns' comments: column_comments */
} PendingComment;

/* The tables of the IMPORT being run, and the context that holds them */
static List *pending_comments = NIL;
static Oid	pending_namespace = InvalidOid;
static MemoryContext pending_cxt = NULL;
static ProcessUtility_hook_type prev_utility_hook = NULL;

static void note_comment(const char *table, const char *resource,
						 const char *comment);
static void forget_pending(void *arg);
static void ma_import_utility_hook(PlannedStmt *pstmt, const char *queryString,
								   bool readOnlyTree,
								   ProcessUtilityContext context,
								   ParamListInfo params,
								   QueryEnvironment *queryEnv,
								   DestReceiver *dest, QueryCompletion *qc);
static bool table_wanted(ImportForeignSchemaStmt *stmt, const char *name);
static List *import_resources(ImportForeignSchemaStmt *stmt,
							  const char *server);
static List *import_jobs(ImportForeignSchemaStmt *stmt, Oid serverOid,
						 const char *server);
static char *safe_table_name(const char *name, const char *prefix,
							 const char *id);
static MaClient *import_client(Oid serverOid, MaConnection **conn);
static char *claim_name(List **names, char *table, const char *suffix,
						int width);
static List *import_datasets(ImportForeignSchemaStmt *stmt, Oid serverOid,
							 const char *server);
static char *create_images_table(const char *table, const char *server,
								 int64 id);

/*
 * The ImportForeignSchema callback: the CREATE FOREIGN TABLE commands of
 * the remote schema, as a palloc'd list of C strings.
 */
List *
ma_import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	const char *qserver = quote_identifier(server->servername);

	/*
	 * The comments of an IMPORT that failed go; this one's come, and go
	 * with the memory that holds them (a callback of its own for each
	 * import, so that the same context may hold several).
	 */
	{
		MemoryContextCallback *cb = palloc(sizeof(MemoryContextCallback));

		pending_comments = NIL;
		pending_namespace = get_namespace_oid(stmt->local_schema, true);
		pending_cxt = CurrentMemoryContext;
		cb->func = forget_pending;
		cb->arg = CurrentMemoryContext;
		MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);
	}

	if (stmt->options != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"",
						((DefElem *) linitial(stmt->options))->defname),
				 errhint("IMPORT FOREIGN SCHEMA of modelarts_fdw takes no options.")));

	if (strcmp(stmt->remote_schema, "modelarts") == 0)
		return import_resources(stmt, qserver);
	if (strcmp(stmt->remote_schema, "jobs") == 0)
		return import_jobs(stmt, serverOid, qserver);
	if (strcmp(stmt->remote_schema, "modelarts_v2") == 0)
		return import_resources(stmt, qserver);
	if (strcmp(stmt->remote_schema, "datasets") == 0)
		return import_datasets(stmt, serverOid, qserver);

	ereport(ERROR,
			(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
			 errmsg("remote schema \"%s\" does not exist", stmt->remote_schema),
			 errhint("modelarts_fdw offers the remote schemas \"modelarts\" (the tables of each resource), \"jobs\" (one images table per labeling job), \"modelarts_v2\" (the tables of the v2 dataset API) and \"datasets\" (one samples table per dataset).")));
	return NIL;					/* keep compiler quiet */
}

/* Does LIMIT TO / EXCEPT keep this table? */
static bool
table_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;

	switch (stmt->list_type)
	{
		case FDW_IMPORT_SCHEMA_ALL:
			return true;
		case FDW_IMPORT_SCHEMA_LIMIT_TO:
			foreach(lc, stmt->table_list)
			{
				if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
					return true;
			}
			return false;
		case FDW_IMPORT_SCHEMA_EXCEPT:
			foreach(lc, stmt->table_list)
			{
				if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
					return false;
			}
			return true;
	}
	return true;
}

/* The tables of a fixed schema ("modelarts", "modelarts_v2"): no request */
static List *
import_resources(ImportForeignSchemaStmt *stmt, const char *server)
{
	List	   *commands = NIL;
	const MaImportTable *t;

	for (t = resource_tables; t->name; t++)
	{
		if (strcmp(t->schema, stmt->remote_schema) != 0 ||
			!table_wanted(stmt, t->name))
			continue;
		note_comment(t->name, t->resource,
					 t->comment);
		commands = lappend(commands,
						   psprintf("CREATE FOREIGN TABLE %s (%s) SERVER %s OPTIONS (resource %s)",
									quote_identifier(t->name), t->columns, server,
									quote_literal_cstr(t->resource)));
	}
	return commands;
}

/*
 * One images table per job of the listing, in the listing's order
 * (create_time ascending).  The listing's pages are freed with the client,
 * with the client (the listing's pages live in a child of its context).
 */
/*
 * A client of the current user's mapping for a listing, one request at a
 * time, in the current memory context; the caller destroys it.
 */
static MaClient *
import_client(Oid serverOid, MaConnection **conn)
{
	UserMapping *user = GetUserMapping(GetUserId(), serverOid);

	*conn = ma_get_connection(user);
	return ma_client_create(*conn, 1,
							palloc0(sizeof(MaRequestCounters)),
							CurrentMemoryContext);
}

/*
 * The table name to use: "table", or, if an earlier table of the import has
 * it, its first "width" bytes, "_" and "suffix" (at most NAMEDATALEN - 1
 * bytes); remembered in *names.
 */
static char *
claim_name(List **names, char *table, const char *suffix, int width)
{
	if (list_member(*names, makeString(table)))
	{
		table = psprintf("%.*s_%s", width, table, suffix);
		if (strlen(table) > NAMEDATALEN - 1)
			table[NAMEDATALEN - 1] = '\0';
	}
	*names = lappend(*names, makeString(table));
	return table;
}

static List *
import_jobs(ImportForeignSchemaStmt *stmt, Oid serverOid, const char *server)
{
	MaConnection *conn;
	MaClient   *client = import_client(serverOid, &conn);
	List	   *commands = NIL;
	List	   *names = NIL;
	MaJobLister lister;
	cJSON	   *job;
	int64		id;

	/* the listing's pages live in the client's context, gone with it */
	ma_job_lister_init(&lister, client, ma_connection_project_id(conn),
					   ma_connection_page_size(conn));

	while ((job = ma_job_lister_next(&lister, &id)) != NULL)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(job, "name");
		char	   *table;
		char	   *job_name;
		char		idtext[32];

		snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
		table = safe_table_name(cJSON_IsString(name) ? name->valuestring : "",
								"job", idtext);
		job_name = ma_server_text(cJSON_IsString(name) ? name->valuestring : "");
		cJSON_Delete(job);

		/*
		 * A name taken already (two jobs with the same safe name) gets the
		 * job's ID appended; the first job in the listing's order keeps the
		 * plain name.
		 */
		table = claim_name(&names, table, idtext, NAMEDATALEN - 1 - 21);
		if (table_wanted(stmt, table))
		{
			note_comment(table, "images",
						 psprintf("Images of labeling job \"%s\" (ID " INT64_FORMAT ", the table option data_annotation_id), one row per image and distinct tag",
								  job_name, id));
			commands = lappend(commands,
							   create_images_table(table, server, id));
		}
	}
	ma_client_destroy(client);
	return commands;
}

/*
 * A job's (or dataset's) name made into an identifier that needs no
 * quoting: lower-case ASCII letters, digits and "_" kept, every other run
 * of characters made one "_", no leading or trailing "_", "<prefix>_" in
 * front of a leading digit, at most NAMEDATALEN - 1 bytes.  A name with
 * nothing left becomes "<prefix>_<id>" ("id" made safe the same way).
 * Returns a palloc'd string.
 */
static char *
safe_table_name(const char *name, const char *prefix, const char *id)
{
	StringInfoData b;
	const char *p;
	bool		pending_sep = false;

	initStringInfo(&b);
	for (p = name; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c >= 'A' && c <= 'Z')
			c = c - 'A' + 'a';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		{
			if (pending_sep && b.len > 0)
				appendStringInfoChar(&b, '_');
			pending_sep = false;
			if (b.len == 0 && c >= '0' && c <= '9')
				appendStringInfo(&b, "%s_", prefix);
			appendStringInfoChar(&b, (char) c);
		}
		else
			pending_sep = true;
	}
	if (b.len == 0)
		return safe_table_name(psprintf("%s_%s", prefix, id), prefix, "");
	if (b.len > NAMEDATALEN - 1)
		b.data[NAMEDATALEN - 1] = '\0';
	return b.data;
}

static char *
create_images_table(const char *table, const char *server, int64 id)
{
	char		idtext[32];

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
	return psprintf("CREATE FOREIGN TABLE %s (" IMAGES_COLUMNS ") SERVER %s "
					"OPTIONS (resource 'images', data_annotation_id %s)",
					quote_identifier(table), server, quote_literal_cstr(idtext));
}

/*
 * Remember the comments of a table the import creates, in the current
 * memory context (the statement's), until the hook sees the table created.
 */
static void
note_comment(const char *table, const char *resource, const char *comment)
{
	PendingComment *pc = palloc(sizeof(PendingComment));

	pc->table = pstrdup(table);
	pc->comment = pstrdup(comment);
	pc->resource = resource;
	pending_comments = lappend(pending_comments, pc);
}

/* The statement's memory goes: so do the pending comments it holds */
static void
forget_pending(void *arg)
{
	if (arg != pending_cxt)
		return;
	pending_comments = NIL;
	pending_namespace = InvalidOid;
	pending_cxt = NULL;
}

/*
 * Install the hook that comments the tables of IMPORT FOREIGN SCHEMA: at
 * library load, which comes before the core runs the commands the import
 * returns.
 */
void
ma_import_init(void)
{
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = ma_import_utility_hook;
}

/*
 * After a CREATE FOREIGN TABLE that the core runs for our import (a
 * subcommand naming a pending table in the import's schema), set the
 * comments of the table and of its columns.
 */
static void
ma_import_utility_hook(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	PendingComment *found = NULL;
	ListCell   *lc;

	if (prev_utility_hook)
		prev_utility_hook(pstmt, queryString, readOnlyTree, context, params,
						  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (pending_comments == NIL || context != PROCESS_UTILITY_SUBCOMMAND ||
		!IsA(parsetree, CreateForeignTableStmt))
		return;
	foreach(lc, pending_comments)
	{
		PendingComment *pc = lfirst(lc);

		if (strcmp(pc->table,
				   ((CreateForeignTableStmt *) parsetree)->base.relation->relname) == 0)
			found = pc;
	}
	if (found == NULL)
		return;

	{
		Oid			relid;
		const MaColumnComment *cc;

		/* see the table just created */
		CommandCounterIncrement();
		relid = get_relname_relid(found->table, pending_namespace);
		if (!OidIsValid(relid))
			return;
		CreateComments(relid, RelationRelationId, 0, found->comment);
		for (cc = column_comments; cc->resource; cc++)
		{
			AttrNumber	attnum;

			if (strcmp(cc->resource, found->resource) != 0)
				continue;
			attnum = get_attnum(relid, cc->column);
			if (attnum != InvalidAttrNumber)
				CreateComments(relid, RelationRelationId, attnum, cc->comment);
		}
	}
	pending_comments = list_delete_ptr(pending_comments, found);
}

/*
 * One samples table per dataset of the dataset list, in the list's order,
 * named after its dataset_name (made safe as for jobs; a name taken already
 * gets the dataset's ID appended) and bound to it by the table option
 * dataset_id.  The list's pages are freed with the client.
 */
static List *
import_datasets(ImportForeignSchemaStmt *stmt, Oid serverOid,
				const char *server)
{
	MaConnection *conn;
	MaClient   *client = import_client(serverOid, &conn);
	List	   *commands = NIL;
	List	   *names = NIL;
	MaDatasetLister lister;
	cJSON	   *ds;
	const char *id;

	ma_dataset_lister_init(&lister, client, ma_connection_project_id(conn),
						   ma_connection_page_size(conn));
	while ((ds = ma_dataset_lister_next(&lister, &id)) != NULL)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(ds, "dataset_name");
		char	   *dataset_id;
		char	   *table;
		char	   *suffix;

		/* the service's UTF-8, as the option will be read back */
		dataset_id = pg_any_to_server(id, strlen(id), PG_UTF8);
		table = safe_table_name(cJSON_IsString(name) ? name->valuestring : "",
								"dataset", id);
		suffix = safe_table_name(id, "dataset", id);
		table = claim_name(&names, table, suffix,
						   Max(1, NAMEDATALEN - 2 - (int) strlen(suffix)));
		if (table_wanted(stmt, table))
		{
			note_comment(table, "samples",
						 psprintf("Samples of dataset \"%s\" (ID %s, the table option dataset_id), one row per sample and distinct label",
								  ma_server_text(cJSON_IsString(name) ? name->valuestring : ""),
								  dataset_id));
			commands = lappend(commands,
							   psprintf("CREATE FOREIGN TABLE %s (" SAMPLES_COLUMNS ") SERVER %s "
										"OPTIONS (resource 'samples', dataset_id %s)",
										quote_identifier(table), server,
										quote_literal_cstr(dataset_id)));
		}
	}
	ma_client_destroy(client);
	return commands;
}
