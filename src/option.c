/*-------------------------------------------------------------------------
 *
 * option.c
 *		  Validation and parsing of the options of modelarts_fdw.
 *
 * Every option is checked when it is set (CREATE/ALTER), so that a bad value
 * fails there rather than at the first query.  The parse functions below
 * trust the catalogs and only apply defaults.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "modelarts_fdw.h"

/* Describes one valid option and the catalog it may appear in. */
typedef struct MaOption
{
	const char *name;
	Oid			catalog;
} MaOption;

static const MaOption valid_options[] = {
	/* server */
	{"endpoint", ForeignServerRelationId},
	{"project_id", ForeignServerRelationId},
	{"connect_timeout", ForeignServerRelationId},
	{"request_timeout", ForeignServerRelationId},
	{"page_size", ForeignServerRelationId},
	{"max_retries", ForeignServerRelationId},
	{"requests_in_flight", ForeignServerRelationId},
	{"iam_endpoint", ForeignServerRelationId},
	{"region", ForeignServerRelationId},
	{"ssl_verify", ForeignServerRelationId},
	{"ca_file", ForeignServerRelationId},
	{"proxy", ForeignServerRelationId},
	{"use_remote_estimate", ForeignServerRelationId},
	{"estimate_cache_seconds", ForeignServerRelationId},
	/* user mapping */
	{"auth_token", UserMappingRelationId},
	{"user_name", UserMappingRelationId},
	{"password", UserMappingRelationId},
	{"domain_name", UserMappingRelationId},
	{"access_key", UserMappingRelationId},
	{"secret_key", UserMappingRelationId},
	{"proxy_user", UserMappingRelationId},
	{"proxy_password", UserMappingRelationId},
	{"password_required", UserMappingRelationId},
	/* foreign table */
	{"resource", ForeignTableRelationId},
	{"data_annotation_id", ForeignTableRelationId},
	{"requests_in_flight", ForeignTableRelationId},
	{"use_remote_estimate", ForeignTableRelationId},
	/* column */
	{"key", AttributeRelationId},
	{NULL, InvalidOid}
};

static const char *const resource_names[] = {
	[MA_RESOURCE_IMAGES] = "images",
	[MA_RESOURCE_PROJECTS] = "projects",
	[MA_RESOURCE_VERSIONS] = "versions",
	[MA_RESOURCE_TAGS] = "tags",
};

#define DEFAULT_CONNECT_TIMEOUT_MS	10000
#define DEFAULT_REQUEST_TIMEOUT_MS	60000
#define DEFAULT_PAGE_SIZE			100
#define DEFAULT_MAX_RETRIES			3
#define DEFAULT_REQUESTS_IN_FLIGHT	8
#define DEFAULT_ESTIMATE_CACHE_SECONDS	60
#define MAX_ESTIMATE_CACHE_SECONDS	86400

static void check_project_id(DefElem *def);
static bool is_decimal(const char *v, bool fraction);
static void check_header_value(DefElem *def);
static int	parse_timeout_ms(DefElem *def);
static int	parse_int_range(DefElem *def, int min, int max);
static MaResource parse_resource(DefElem *def);
static int64 parse_annotation_id(DefElem *def);
static void check_auth_modes(List *options);
static void hide_statement_callback(void *arg);

PG_FUNCTION_INFO_V1(modelarts_fdw_validator);

/*
 * Validate the options given to a FOREIGN DATA WRAPPER, SERVER, USER MAPPING
 * or FOREIGN TABLE (or a column of one) that uses modelarts_fdw.
 *
 * The validator sees the complete option list as it will be after the
 * command, so required options and combinations are checked here too.
 */
Datum
modelarts_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;
	bool		has_endpoint = false;
	bool		has_project = false;
	ErrorContextCallback errcb;

	/*
	 * A refused CREATE/ALTER USER MAPPING (or SERVER, whose proxy URL may
	 * carry a password) would be logged with its statement text, secrets
	 * included (log_min_error_statement): keep the statement out of the log.
	 */
	errcb.callback = hide_statement_callback;
	errcb.arg = NULL;
	errcb.previous = error_context_stack;
	if (catalog == UserMappingRelationId || catalog == ForeignServerRelationId)
		error_context_stack = &errcb;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const MaOption *opt;
		bool		known = false;

		for (opt = valid_options; opt->name; opt++)
		{
			if (opt->catalog == catalog && strcmp(opt->name, def->defname) == 0)
			{
				known = true;
				break;
			}
		}

		if (!known)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			for (opt = valid_options; opt->name; opt++)
			{
				if (opt->catalog == catalog)
					appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
									 opt->name);
			}
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 buf.len > 0
					 ? errhint("Valid options in this context are: %s.",
							   buf.data)
					 : errhint("There are no valid options in this context.")));
		}

		if (strcmp(def->defname, "endpoint") == 0)
		{
			ma_check_url_option(def->defname, defGetString(def),
								MA_URL_ENDPOINT, NULL);
			has_endpoint = true;
		}
		else if (strcmp(def->defname, "iam_endpoint") == 0)
			ma_check_url_option(def->defname, defGetString(def),
								MA_URL_ENDPOINT, NULL);
		else if (strcmp(def->defname, "proxy") == 0)
			ma_check_url_option(def->defname, defGetString(def),
								MA_URL_PROXY, NULL);
		else if (strcmp(def->defname, "project_id") == 0)
		{
			check_project_id(def);
			has_project = true;
		}
		else if (strcmp(def->defname, "connect_timeout") == 0 ||
				 strcmp(def->defname, "request_timeout") == 0)
			(void) parse_timeout_ms(def);
		else if (strcmp(def->defname, "page_size") == 0)
			(void) parse_int_range(def, 1, 100);
		else if (strcmp(def->defname, "max_retries") == 0)
			(void) parse_int_range(def, 0, 10);
		else if (strcmp(def->defname, "requests_in_flight") == 0)
			(void) parse_int_range(def, 1, MA_MAX_IN_FLIGHT);
		else if (strcmp(def->defname, "ssl_verify") == 0)
		{
			/* defGetBoolean complains about values that are not booleans */
			if (!defGetBoolean(def) && !superuser())
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"ssl_verify\" to false"),
						 errdetail("Turning off certificate verification lets anyone on the network read the credentials."),
						 errhint("Only a superuser may turn it off.")));
		}
		else if (strcmp(def->defname, "password_required") == 0)
		{
			/* like postgres_fdw's: only a superuser may waive it */
			if (!defGetBoolean(def) && !superuser())
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"password_required\" to false"),
						 errdetail("Without it, a non-superuser could read from an endpoint that does not check the credentials given."),
						 errhint("Only a superuser may set it to false.")));
		}
		else if (strcmp(def->defname, "ca_file") == 0)
		{
			/* like postgres_fdw's sslcert and sslkey: it names a file */
			if (!superuser())
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"ca_file\""),
						 errdetail("It makes the server read the file it names."),
						 errhint("Only a superuser may set it.")));
			if (defGetString(def)[0] != '/')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"ca_file\": \"%s\"",
								defGetString(def)),
						 errdetail("The path must be absolute.")));
			check_header_value(def);
		}
		else if (strcmp(def->defname, "region") == 0 ||
				 strcmp(def->defname, "proxy_user") == 0 ||
				 strcmp(def->defname, "proxy_password") == 0 ||
				 strcmp(def->defname, "auth_token") == 0 ||
				 strcmp(def->defname, "user_name") == 0 ||
				 strcmp(def->defname, "password") == 0 ||
				 strcmp(def->defname, "domain_name") == 0 ||
				 strcmp(def->defname, "access_key") == 0 ||
				 strcmp(def->defname, "secret_key") == 0)
		{
			if (defGetString(def)[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", def->defname)));
			check_header_value(def);
		}
		else if (strcmp(def->defname, "use_remote_estimate") == 0)
			(void) defGetBoolean(def);
		else if (strcmp(def->defname, "estimate_cache_seconds") == 0)
			(void) parse_int_range(def, 0, MAX_ESTIMATE_CACHE_SECONDS);
		else if (strcmp(def->defname, "resource") == 0)
			(void) parse_resource(def);
		else if (strcmp(def->defname, "data_annotation_id") == 0)
			(void) parse_annotation_id(def);
		else if (strcmp(def->defname, "key") == 0)
		{
			if (defGetString(def)[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"key\" must not be empty")));
		}
	}

	if (catalog == ForeignServerRelationId && (!has_endpoint || !has_project))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"%s\" is required for a modelarts_fdw server",
						has_endpoint ? "project_id" : "endpoint"),
				 errhint("A server needs both \"endpoint\" (for example 'https://modelarts.cn-north-4.myhuaweicloud.com') and \"project_id\".")));

	if (catalog == UserMappingRelationId)
		check_auth_modes(options);

	error_context_stack = errcb.previous;
	PG_RETURN_VOID();
}

/* Error context callback of the validator: see modelarts_fdw_validator */
static void
hide_statement_callback(void *arg)
{
	errhidestmt(true);
}

/*
 * A project ID goes into every request path: 1 to 64 letters, digits, "-"
 * or "_" (a Huawei Cloud project ID is 32 hexadecimal digits), so that it
 * can hold no "/", no "." and no "%" that would change the path libcurl
 * sends from the one EXPLAIN and the errors show.
 */
static void
check_project_id(DefElem *def)
{
	const char *v = defGetString(def);
	const char *p;

	if (v[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("option \"project_id\" must not be empty")));
	for (p = v; *p; p++)
	{
		if (!(isalnum((unsigned char) *p) || *p == '-' || *p == '_') ||
			(unsigned char) *p >= 0x80)
			break;
	}
	if (*p != '\0' || p - v > 64)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"project_id\": \"%s\"", v),
				 errdetail("A project ID is 1 to 64 letters, digits, \"-\" or \"_\"."),
				 errhint("Give the project ID of the region, 32 hexadecimal digits, as the console shows it.")));
}

/*
 * Is v a plain decimal number: digits, and if "fraction", at most one "."
 * followed by digits?  No sign, no blank, no exponent, no hexadecimal, none
 * of the other forms strtol and strtod accept.
 */
static bool
is_decimal(const char *v, bool fraction)
{
	const char *p = v;

	if (!isdigit((unsigned char) *p))
		return false;
	while (isdigit((unsigned char) *p))
		p++;
	if (fraction && *p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p))
			p++;
	}
	return *p == '\0';
}

/*
 * Values that end up in an HTTP header (or a URL) may not carry CR or LF.
 * The value itself is not repeated: it may be a secret.
 */
static void
check_header_value(DefElem *def)
{
	const char *v = defGetString(def);

	if (strpbrk(v, "\r\n") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\"", def->defname),
				 errdetail("The value contains a carriage return or a line feed.")));
}

/* A timeout in seconds (fractions allowed), from 0.001 to 3600. */
static int
parse_timeout_ms(DefElem *def)
{
	const char *v = defGetString(def);
	char	   *end;
	double		secs;

	errno = 0;
	secs = is_decimal(v, true) ? strtod(v, &end) : -1;
	if (!(secs >= 0.001 && secs <= 3600))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", def->defname, v),
				 errhint("Give a number of seconds between 0.001 and 3600.")));
	return (int) (secs * 1000.0 + 0.5);
}

static int
parse_int_range(DefElem *def, int min, int max)
{
	const char *v = defGetString(def);
	char	   *end;
	long		n;

	errno = 0;
	/* at most 9 significant digits: no overflow to think about */
	n = (is_decimal(v, false) && strlen(v + strspn(v, "0")) <= 9) ?
		strtol(v, &end, 10) : -1;
	if (n < min || n > max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", def->defname, v),
				 errhint("Give an integer from %d to %d.", min, max)));
	return (int) n;
}

static MaResource
parse_resource(DefElem *def)
{
	const char *v = defGetString(def);
	int			i;

	for (i = 0; i < lengthof(resource_names); i++)
	{
		if (strcmp(v, resource_names[i]) == 0)
			return (MaResource) i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"resource\": \"%s\"", v),
			 errhint("Valid values are: images, projects, versions, tags.")));
	return MA_RESOURCE_IMAGES;	/* keep compiler quiet */
}

static int64
parse_annotation_id(DefElem *def)
{
	const char *v = defGetString(def);
	char	   *end;
	long long	n;

	errno = 0;
	n = is_decimal(v, false) ? strtoll(v, &end, 10) : -1;
	if (errno != 0 || n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"data_annotation_id\": \"%s\"", v),
				 errhint("Give the labeling job's numeric ID, for example '282'.")));
	return (int64) n;
}

/*
 * Exactly one authentication mode per user mapping, and every option that
 * mode needs.  Secrets are never echoed back.
 */
static void
check_auth_modes(List *options)
{
	bool		token = false,
				user = false,
				password = false,
				domain = false,
				ak = false,
				sk = false;
	int			modes = 0;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "auth_token") == 0)
			token = true;
		else if (strcmp(def->defname, "user_name") == 0)
			user = true;
		else if (strcmp(def->defname, "password") == 0)
			password = true;
		else if (strcmp(def->defname, "domain_name") == 0)
			domain = true;
		else if (strcmp(def->defname, "access_key") == 0)
			ak = true;
		else if (strcmp(def->defname, "secret_key") == 0)
			sk = true;
	}

	modes = (token ? 1 : 0) + ((user || password || domain) ? 1 : 0) +
		((ak || sk) ? 1 : 0);
	if (modes > 1)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("a user mapping may use only one authentication mode"),
				 errdetail("Give either \"auth_token\", or \"user_name\", \"password\" and \"domain_name\", or \"access_key\" and \"secret_key\".")));
	if ((user || password || domain) && !(user && password && domain))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"%s\" is required with password authentication",
						!user ? "user_name" : !password ? "password" : "domain_name"),
				 errhint("Password authentication needs \"user_name\", \"password\" and \"domain_name\".")));
	if ((ak || sk) && !(ak && sk))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"%s\" is required with access key authentication",
						!ak ? "access_key" : "secret_key"),
				 errhint("Access key authentication needs both \"access_key\" and \"secret_key\".")));
}

/* A URL option without its trailing slashes, palloc'd: paths start with '/' */
static char *
base_url(DefElem *def)
{
	char	   *v = pstrdup(defGetString(def));
	int			len = strlen(v);

	while (len > 0 && v[len - 1] == '/')
		v[--len] = '\0';
	return v;
}

/*
 * Fill *opts from the server's options, with defaults.  The strings are
 * palloc'd in the current memory context.
 */
void
ma_get_server_options(ForeignServer *server, MaServerOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	opts->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
	opts->page_size = DEFAULT_PAGE_SIZE;
	opts->max_retries = DEFAULT_MAX_RETRIES;
	opts->requests_in_flight = DEFAULT_REQUESTS_IN_FLIGHT;
	opts->ssl_verify = true;
	opts->use_remote_estimate = true;
	opts->estimate_cache_seconds = DEFAULT_ESTIMATE_CACHE_SECONDS;

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "endpoint") == 0)
			opts->endpoint = base_url(def);
		else if (strcmp(def->defname, "project_id") == 0)
			opts->project_id = pstrdup(defGetString(def));
		else if (strcmp(def->defname, "connect_timeout") == 0)
			opts->connect_timeout_ms = parse_timeout_ms(def);
		else if (strcmp(def->defname, "request_timeout") == 0)
			opts->request_timeout_ms = parse_timeout_ms(def);
		else if (strcmp(def->defname, "page_size") == 0)
			opts->page_size = parse_int_range(def, 1, 100);
		else if (strcmp(def->defname, "max_retries") == 0)
			opts->max_retries = parse_int_range(def, 0, 10);
		else if (strcmp(def->defname, "requests_in_flight") == 0)
			opts->requests_in_flight = parse_int_range(def, 1, MA_MAX_IN_FLIGHT);
		else if (strcmp(def->defname, "iam_endpoint") == 0)
			opts->iam_endpoint = base_url(def);
		else if (strcmp(def->defname, "region") == 0)
			opts->region = pstrdup(defGetString(def));
		else if (strcmp(def->defname, "ssl_verify") == 0)
			opts->ssl_verify = defGetBoolean(def);
		else if (strcmp(def->defname, "ca_file") == 0)
			opts->ca_file = pstrdup(defGetString(def));
		else if (strcmp(def->defname, "proxy") == 0)
			opts->proxy = pstrdup(defGetString(def));
		else if (strcmp(def->defname, "use_remote_estimate") == 0)
			opts->use_remote_estimate = defGetBoolean(def);
		else if (strcmp(def->defname, "estimate_cache_seconds") == 0)
			opts->estimate_cache_seconds =
				parse_int_range(def, 0, MAX_ESTIMATE_CACHE_SECONDS);
	}

	/* The validator makes these required; a server made by hand may lack them */
	if (opts->endpoint == NULL || opts->project_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" lacks option \"%s\"", server->servername,
						opts->endpoint == NULL ? "endpoint" : "project_id")));
}

/* Fill *opts from the user mapping's options; strings palloc'd. */
void
ma_get_user_options(UserMapping *user, MaUserOptions *opts)
{
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->mode = MA_AUTH_NONE;
	opts->password_required = true;

	foreach(lc, user->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		char	   *v = defGetString(def);

		if (strcmp(def->defname, "auth_token") == 0)
		{
			opts->auth_token = pstrdup(v);
			opts->mode = MA_AUTH_TOKEN;
		}
		else if (strcmp(def->defname, "user_name") == 0)
		{
			opts->user_name = pstrdup(v);
			opts->mode = MA_AUTH_PASSWORD;
		}
		else if (strcmp(def->defname, "password") == 0)
			opts->password = pstrdup(v);
		else if (strcmp(def->defname, "domain_name") == 0)
			opts->domain_name = pstrdup(v);
		else if (strcmp(def->defname, "access_key") == 0)
		{
			opts->access_key = pstrdup(v);
			opts->mode = MA_AUTH_AKSK;
		}
		else if (strcmp(def->defname, "secret_key") == 0)
			opts->secret_key = pstrdup(v);
		else if (strcmp(def->defname, "proxy_user") == 0)
			opts->proxy_user = pstrdup(v);
		else if (strcmp(def->defname, "proxy_password") == 0)
			opts->proxy_password = pstrdup(v);
		else if (strcmp(def->defname, "password_required") == 0)
			opts->password_required = defGetBoolean(def);
	}
}

/* Fill *opts from the foreign table's options. */
void
ma_get_table_options(Oid relid, MaTableOptions *opts)
{
	ForeignTable *table = GetForeignTable(relid);
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->resource = MA_RESOURCE_IMAGES;
	opts->use_remote_estimate = -1;

	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "resource") == 0)
			opts->resource = parse_resource(def);
		else if (strcmp(def->defname, "data_annotation_id") == 0)
		{
			opts->has_annotation_id = true;
			opts->data_annotation_id = parse_annotation_id(def);
		}
		else if (strcmp(def->defname, "requests_in_flight") == 0)
			opts->requests_in_flight = parse_int_range(def, 1, MA_MAX_IN_FLIGHT);
		else if (strcmp(def->defname, "use_remote_estimate") == 0)
			opts->use_remote_estimate = defGetBoolean(def) ? 1 : 0;
	}
}

/*
 * The JSON key a column reads: its "key" option, or else its name.
 * Returns a palloc'd string.
 */
char *
ma_column_key(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "key") == 0)
			return pstrdup(defGetString(def));
	}
	return get_attname(relid, attnum, false);
}

const char *
ma_resource_name(MaResource resource)
{
	return resource_names[resource];
}
