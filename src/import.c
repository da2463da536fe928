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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <cjson/cJSON.h>

#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "modelarts_fdw.h"

/* One table of a fixed schema: "modelarts" (v1) or "modelarts_v2". */
typedef struct MaImportTable
{
	const char *schema;
	const char *name;
	const char *resource;
	const char *columns;
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
	{"modelarts", "annotation_images", "images", IMAGES_COLUMNS},
	{"modelarts", "annotation_projects", "projects",
		"data_annotation_id bigint, project_name text, project_desc text, "
		"project_type int, create_time timestamptz, version_num int, "
		"data_path text, image_count bigint, tagged_count bigint, "
	"untagged_count bigint"},
	{"modelarts", "annotation_versions", "versions",
		"data_annotation_id bigint, version_id text, version_name text, "
		"version_desc text, file_count bigint, status int, "
	"create_time timestamptz"},
	{"modelarts", "annotation_tags", "tags",
	"data_annotation_id bigint, tag_name text, image_count bigint"},
	/* the v2 dataset API */
	{"modelarts_v2", "dataset_samples", "samples", SAMPLES_COLUMNS},
	{"modelarts_v2", "datasets", "datasets",
		"dataset_id text, dataset_name text, dataset_type int, "
		"description text, create_time timestamptz, "
		"current_version_id text, current_version_name text, "
		"dataset_version_count int, total_sample_count bigint, "
	"annotated_sample_count bigint, data_url text"},
	{"modelarts_v2", "dataset_versions", "dataset_versions",
		"dataset_id text, version_id text, version_name text, "
		"description text, create_time timestamptz, "
		"total_sample_count bigint, annotated_sample_count bigint, "
	"status int"},
	{"modelarts_v2", "dataset_labels", "dataset_labels",
		"dataset_id text, label_name text OPTIONS (key 'name'), "
		"label_type int OPTIONS (key 'type'), sample_count bigint, "
	"count bigint"},
	{NULL, NULL, NULL, NULL}
};

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
		char		idtext[32];

		snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
		table = safe_table_name(cJSON_IsString(name) ? name->valuestring : "",
								"job", idtext);
		cJSON_Delete(job);

		/*
		 * A name taken already (two jobs with the same safe name) gets the
		 * job's ID appended; the first job in the listing's order keeps the
		 * plain name.
		 */
		table = claim_name(&names, table, idtext, NAMEDATALEN - 1 - 21);
		if (table_wanted(stmt, table))
			commands = lappend(commands,
							   create_images_table(table, server, id));
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
			commands = lappend(commands,
							   psprintf("CREATE FOREIGN TABLE %s (" SAMPLES_COLUMNS ") SERVER %s "
										"OPTIONS (resource 'samples', dataset_id %s)",
										quote_identifier(table), server,
										quote_literal_cstr(dataset_id)));
	}
	ma_client_destroy(client);
	return commands;
}
