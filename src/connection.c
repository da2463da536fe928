/*-------------------------------------------------------------------------
 *
 * connection.c
 *		  Connection cache of modelarts_fdw: one set of libcurl handles,
 *		  parsed options and cached credential per user mapping.
 *
 * The cache is backend-local and keyed by the user mapping OID, like
 * postgres_fdw's ConnectionHash.  An entry keeps its CURL easy handle and
 * CURLM multi handle across pages and queries, so that libcurl can reuse the
 * kept-alive HTTP connection.  When the foreign server or the user mapping
 * changes, a syscache callback marks the entry invalid; it is rebuilt (new
 * options, new handles, no cached token) the next time it is asked for.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "modelarts_fdw.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

/* The cache; entries are MaConnection, keyed by user mapping OID. */
static HTAB *ConnectionHash = NULL;

static bool curl_initialized = false;

static void ma_inval_callback(Datum arg, int cacheid, uint32 hashvalue);
static void ma_build_connection(MaConnection *entry, UserMapping *user);
static void ma_check_credentials(MaConnection *entry, UserMapping *user);


/*
 * Return the connection for the given user mapping, building it if it does
 * not exist yet or was invalidated.
 *
 * The result is owned by the cache: the caller must not free it, and may hold
 * on to it for the rest of the query.  The entry's address never changes;
 * a rebuild replaces its contents in place.
 */
MaConnection *
ma_get_connection(UserMapping *user)
{
	MaConnection *entry;
	bool		found;

	if (ConnectionHash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(MaConnection);
		ConnectionHash = hash_create("modelarts_fdw connections", 8, &ctl,
									 HASH_ELEM | HASH_BLOBS);

		/*
		 * Hash values, not OIDs, identify the changed rows, as in
		 * postgres_fdw; a hash value of 0 means "everything changed".
		 */
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, ma_inval_callback,
									  (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, ma_inval_callback,
									  (Datum) 0);
	}

	entry = hash_search(ConnectionHash, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		/* Everything but the key; ma_build_connection fills it in. */
		entry->invalidated = true;
		entry->server_hashvalue = 0;
		entry->mapping_hashvalue = 0;
		entry->cxt = NULL;
		memset(&entry->server, 0, sizeof(entry->server));
		memset(&entry->user, 0, sizeof(entry->user));
		entry->transport = NULL;
		entry->token = NULL;
		entry->token_generation = 0;
		entry->token_refresh_at = 0;
		entry->auth_demanded = false;
	}

	if (entry->invalidated || entry->cxt == NULL)
		ma_build_connection(entry, user);

	/*
	 * Checked on every use too: modelarts_fdw.allowed_endpoints may have
	 * changed since the server was made or the entry built.
	 */
	ma_check_perimeter(entry, GetForeignServer(user->serverid)->servername);

	/*
	 * Checked on every use, not only when building: a PUBLIC mapping's entry
	 * is shared by every role of this backend, and SET ROLE may change who is
	 * asking.
	 */
	ma_check_credentials(entry, user);

	return entry;
}

/*
 * (Re)build a cache entry: read the options, create fresh libcurl handles and
 * drop any cached token.
 *
 * Everything new is built first and installed only once nothing can fail any
 * more, so that an error (a bad option, out of memory) leaves the entry as it
 * was, still marked invalid.  The new memory context starts as a child of the
 * current context so that an error frees it, and moves under
 * CacheMemoryContext once built.
 */
static void
ma_build_connection(MaConnection *entry, UserMapping *user)
{
	MemoryContext newcxt;
	MemoryContext oldcxt;
	ForeignServer *server;
	MaServerOptions sopts;
	MaUserOptions uopts;
	MaTransport *transport;

	if (!curl_initialized)
	{
		/* Not thread-safe, but a backend has one thread. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
					 errmsg("could not initialize libcurl")));
		curl_initialized = true;
	}

	newcxt = AllocSetContextCreate(CurrentMemoryContext,
								   "modelarts_fdw connection",
								   ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(newcxt);
	server = GetForeignServer(user->serverid);
	ma_get_server_options(server, &sopts);
	ma_get_user_options(user, &uopts);
	MemoryContextSwitchTo(oldcxt);

	/* its own context: it may outlive the entry's options, see below */
	transport = ma_transport_create(CacheMemoryContext, &sopts, &uopts);

	/* From here on nothing can fail: install. */
	MemoryContextSetParent(newcxt, CacheMemoryContext);

	/*
	 * Dropping the old transport closes its kept-alive connections: after a
	 * change of endpoint, proxy or TLS options we want fresh ones.  A scan
	 * still running on it (a cursor opened before the change) keeps it
	 * until it ends; it lives in CacheMemoryContext for that.
	 */
	if (entry->transport)
		ma_transport_destroy(entry->transport);

	if (entry->cxt)
	{
		/*
		 * Forget the old token now, but keep the old option strings until
		 * the end of the transaction: a scan that began before the change
		 * may still point into them.
		 */
		ma_auth_forget(entry);
		MemoryContextSetParent(entry->cxt, TopTransactionContext);
	}

	entry->cxt = newcxt;
	entry->server = sopts;
	entry->user = uopts;
	entry->transport = transport;
	entry->token = NULL;
	entry->token_refresh_at = 0;
	entry->auth_demanded = false;
	entry->server_hashvalue =
		GetSysCacheHashValue1(FOREIGNSERVEROID,
							  ObjectIdGetDatum(user->serverid));
	entry->mapping_hashvalue =
		GetSysCacheHashValue1(USERMAPPINGOID,
							  ObjectIdGetDatum(user->umid));
	entry->invalidated = false;
}

/*
 * Refuse a user mapping without credentials to non-superusers, and make
 * sure the endpoint really demands them.
 *
 * Like postgres_fdw's check_conn_params and its check that the connection
 * used the password: without credentials that the service checks, the
 * request would be made with whatever the database server's network
 * position grants (an endpoint that trusts its callers' addresses, say),
 * which only a superuser may decide to allow, with the user mapping option
 * password_required 'false'.  The endpoint is asked once per connection
 * (see ma_check_auth_demanded).
 */
static void
ma_check_credentials(MaConnection *entry, UserMapping *user)
{
	if (superuser_arg(user->userid) || !entry->user.password_required)
		return;

	if (entry->user.mode != MA_AUTH_NONE)
	{
		ma_check_auth_demanded(entry);
		return;
	}

	ereport(ERROR,
			(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
			 errmsg("credentials are required"),
			 errdetail("Non-superusers must use a user mapping that carries credentials."),
			 errhint("Set auth_token, or user_name, password and domain_name, or access_key and secret_key in the user mapping.")));
}

/*
 * Syscache invalidation callback for pg_foreign_server and
 * pg_user_mapping: mark the entries that depend on the changed row.
 *
 * Nothing is freed here (this may run at almost any point); the entry is
 * rebuilt at its next use, which also drops its cached token.
 */
static void
ma_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	MaConnection *entry;

	Assert(cacheid == FOREIGNSERVEROID || cacheid == USERMAPPINGOID);

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (MaConnection *) hash_seq_search(&scan)))
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID &&
			 entry->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID &&
			 entry->mapping_hashvalue == hashvalue))
			entry->invalidated = true;
	}
}

/* The endpoint's base URL, without credentials; safe to show in messages. */
const char *
ma_connection_endpoint(MaConnection *conn)
{
	return conn->server.endpoint;
}

/* The cloud project ID that every request path carries. */
const char *
ma_connection_project_id(MaConnection *conn)
{
	return conn->server.project_id;
}

/*
 * Every secret this backend holds in its cached connections (tokens,
 * passwords, secret keys, proxy passwords), as a List of C strings that
 * point into the entries: for ma_redact, which removes them from whatever
 * the servers send back before it is quoted.  The List is palloc'd.
 */
List *
ma_connection_secrets(void)
{
	List	   *result = NIL;
	HASH_SEQ_STATUS scan;
	MaConnection *entry;

	if (ConnectionHash == NULL)
		return NIL;
	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (MaConnection *) hash_seq_search(&scan)))
	{
		if (entry->cxt == NULL)
			continue;
		if (entry->user.auth_token)
			result = lappend(result, entry->user.auth_token);
		if (entry->user.password)
			result = lappend(result, entry->user.password);
		if (entry->user.secret_key)
			result = lappend(result, entry->user.secret_key);
		if (entry->user.proxy_password)
			result = lappend(result, entry->user.proxy_password);
		if (entry->token)
			result = lappend(result, entry->token);
	}
	return result;
}

/* The number of rows to ask for per page. */
int
ma_connection_page_size(MaConnection *conn)
{
	return conn->server.page_size;
}
