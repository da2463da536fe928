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
#include "utils/builtins.h"

#include "modelarts_fdw.h"

/* One table of the "modelarts" schema. */
typedef struct MaImportTable
{
	const char *name;
	const char *resource;
	const char *columns;
} MaImportTable;

#define IMAGES_COLUMNS \
	"data_annotation_id bigint, image_id text, image_name text, url text, " \
	"width int, height int, tag_name text, tags text[], annotations jsonb, " \
	"create_time timestamptz"

static const MaImportTable resource_tables[] = {
	{"annotation_images", "images", IMAGES_COLUMNS},
	{"annotation_projects", "projects",
		"data_annotation_id bigint, project_name text, project_desc text, "
		"project_type int, create_time timestamptz, version_num int, "
		"data_path text, image_count bigint, tagged_count bigint, "
	"untagged_count bigint"},
	{"annotation_versions", "versions",
		"data_annotation_id bigint, version_id text, version_name text, "
		"version_desc text, file_count bigint, status int, "
	"create_time timestamptz"},
	{"annotation_tags", "tags",
	"data_annotation_id bigint, tag_name text, image_count bigint"},
	{NULL, NULL, NULL}
};

static bool table_wanted(ImportForeignSchemaStmt *stmt, const char *name);
static List *import_resources(ImportForeignSchemaStmt *stmt,
							  const char *server);
static List *import_jobs(ImportForeignSchemaStmt *stmt, Oid serverOid,
						 const char *server);
static char *safe_table_name(const char *name, int64 id);
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

	ereport(ERROR,
			(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
			 errmsg("remote schema \"%s\" does not exist", stmt->remote_schema),
			 errhint("modelarts_fdw offers the remote schemas \"modelarts\" (the tables of each resource) and \"jobs\" (one images table per labeling job).")));
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

static List *
import_resources(ImportForeignSchemaStmt *stmt, const char *server)
{
	List	   *commands = NIL;
	const MaImportTable *t;

	for (t = resource_tables; t->name; t++)
	{
		if (!table_wanted(stmt, t->name))
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
static List *
import_jobs(ImportForeignSchemaStmt *stmt, Oid serverOid, const char *server)
{
	UserMapping *user = GetUserMapping(GetUserId(), serverOid);
	MaConnection *conn = ma_get_connection(user);
	List	   *commands = NIL;
	List	   *names = NIL;
	MaRequestCounters counters = {0, 0, 0};
	MaClient   *client = ma_client_create(conn, 1, &counters,
										  CurrentMemoryContext);
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

		table = safe_table_name(cJSON_IsString(name) ? name->valuestring : "",
								id);
		cJSON_Delete(job);

		/*
		 * A name taken already (two jobs with the same safe name) gets the
		 * job's ID appended; the first job in the listing's order keeps the
		 * plain name.
		 */
		if (list_member(names, makeString(table)))
			table = psprintf("%.*s_" INT64_FORMAT,
							 NAMEDATALEN - 1 - 21, table, id);
		names = lappend(names, makeString(table));
		if (table_wanted(stmt, table))
			commands = lappend(commands,
							   create_images_table(table, server, id));
	}
	ma_client_destroy(client);
	return commands;
}

/*
 * A job's name made into an identifier that needs no quoting: lower-case
 * ASCII letters, digits and "_" kept, every other run of characters made
 * one "_", no leading or trailing "_", "job_" in front of a leading digit,
 * at most NAMEDATALEN - 1 bytes.  A name with nothing left becomes
 * "job_<id>".  Returns a palloc'd string.
 */
static char *
safe_table_name(const char *name, int64 id)
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
				appendStringInfoString(&b, "job_");
			appendStringInfoChar(&b, (char) c);
		}
		else
			pending_sep = true;
	}
	if (b.len == 0)
		appendStringInfo(&b, "job_" INT64_FORMAT, id);
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
