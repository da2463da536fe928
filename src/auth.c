/*-------------------------------------------------------------------------
 *
 * auth.c
 *		  Authentication of modelarts_fdw's requests: a fixed IAM token, an
 *		  IAM token got with a password and cached, or AK/SK signing.
 *
 * client.c asks ma_auth_headers() for the headers of each request.  Secrets
 * (token, password, secret key, signature) only ever go into those headers
 * and the IAM request body; no message, log line or EXPLAIN output shows
 * them.  The cached IAM token lives in the MaConnection and goes away with
 * it when the server or user mapping changes (see connection.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "modelarts_fdw.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* Refresh a cached token this long before it expires, at most ... */
#define MA_TOKEN_MARGIN_USEC	(60 * USECS_PER_SEC)
/* ... and at most this fraction of its lifetime, for short-lived tokens. */
#define MA_TOKEN_MARGIN_DIVISOR	20

#define MA_SDK_ALGORITHM		"SDK-HMAC-SHA256"
#define MA_SIGNED_HEADERS		"host;x-sdk-date"

/* A query parameter, for sorting into the canonical query string. */
typedef struct MaQueryParam
{
	char	   *key;			/* decoded */
	char	   *value;			/* decoded */
} MaQueryParam;

static void ma_iam_get_token(MaConnection *conn);
static bool ma_parse_iso_timestamp(const char *s, TimestampTz *result);
static void ma_iam_error_context(void *arg);
static void ma_endpoint_parts(const char *endpoint, char **host,
							  char **path_prefix);
static char *ma_decode(const char *s, int len);
static void ma_canonical_uri(StringInfo buf, const char *path);
static void ma_canonical_query(StringInfo buf, const char *query);
static int	ma_param_cmp(const void *a, const void *b);
static void ma_append_hex(StringInfo buf, const unsigned char *data, int len);
static void ma_sha256_hex(StringInfo buf, const char *data, size_t len);


/*
 * Return the authentication headers of one request, as a List of palloc'd
 * "Name: value" strings, by the user mapping's mode:
 *
 * - token: X-Auth-Token with the auth_token option;
 * - password: X-Auth-Token with a cached IAM token, getting a new one from
 *   IAM first if there is none or it is about to expire;
 * - AK/SK: Host, X-Sdk-Date and the SDK-HMAC-SHA256 Authorization header,
 *   signed for this method, path and query.  Host is set by us, not libcurl,
 *   so that the signed value and the sent value are the same string.
 *
 * "path" and "query" are the encoded ones that go on the wire; path is
 * relative to the endpoint (which may itself have a path).
 */
List *
ma_auth_headers(MaConnection *conn, const char *method, const char *path,
				const char *query)
{
	MaUserOptions *user = &conn->user;

	switch (user->mode)
	{
		case MA_AUTH_NONE:
			return NIL;

		case MA_AUTH_TOKEN:
			return list_make1(psprintf("X-Auth-Token: %s", user->auth_token));

		case MA_AUTH_PASSWORD:
			if (conn->token == NULL ||
				GetCurrentTimestamp() >= conn->token_refresh_at)
				ma_iam_get_token(conn);
			return list_make1(psprintf("X-Auth-Token: %s", conn->token));

		case MA_AUTH_AKSK:
			{
				char	   *host;
				char	   *prefix;
				char		sdk_date[32];
				time_t		now = time(NULL);
				struct tm	tm;
				char	   *full_path;
				char	   *signature;
				List	   *headers;

				ma_endpoint_parts(conn->server.endpoint, &host, &prefix);
				gmtime_r(&now, &tm);
				strftime(sdk_date, sizeof(sdk_date), "%Y%m%dT%H%M%SZ", &tm);
				full_path = psprintf("%s%s", prefix, path);

				signature = ma_aksk_signature(user->secret_key, method, host,
											  full_path, query, sdk_date);

				headers = list_make3(psprintf("Host: %s", host),
									 psprintf("X-Sdk-Date: %s", sdk_date),
									 psprintf("Authorization: " MA_SDK_ALGORITHM
											  " Access=%s, SignedHeaders="
											  MA_SIGNED_HEADERS ", Signature=%s",
											  user->access_key, signature));
				pfree(signature);
				return headers;
			}
	}

	elog(ERROR, "unrecognized auth mode: %d", (int) user->mode);
	return NIL;					/* keep compiler quiet */
}

/*
 * Called by client.c on a 401 answer with the given error_code (maybe NULL).
 * In password mode, forget the cached token and return true: the request
 * is worth one retry with a new token (the client allows one per call).
 * Otherwise return false.
 */
bool
ma_auth_renew_after_401(MaConnection *conn, const char *error_code,
						uint64 token_generation)
{
	if (conn->user.mode != MA_AUTH_PASSWORD)
		return false;

	/*
	 * Several calls in flight with the old token all come back 401: the
	 * first one drops it, the others just retry with the new one.
	 */
	if (token_generation != conn->token_generation)
		return true;

	/*
	 * Any 401 means "this credential did not work now", whatever its code:
	 * ModelArts' own (ModelArts.0201 to 0204) or the API gateway's
	 * (APIG.0301, APIGW.0301, APIG.0307), or none.  One new token, once.
	 */
	(void) error_code;
	ma_auth_forget(conn);
	return true;
}

/* Drop the cached IAM token, if any, wiping it first. */
void
ma_auth_forget(MaConnection *conn)
{
	if (conn->token)
	{
		explicit_bzero(conn->token, strlen(conn->token));
		pfree(conn->token);
		conn->token = NULL;
	}
	conn->token_refresh_at = 0;
}

/*
 * Get a token from IAM with the user mapping's password and cache it in the
 * connection.
 *
 * The token is kept until shortly before its expires_at: 60 s before, or 5%
 * of its lifetime before if that is less, so that short-lived tokens are used
 * too.  An answer without a readable expires_at gives a token that is kept
 * until the API refuses it (see ma_auth_renew_after_401).
 *
 * The IAM request is not counted in the scan's request counters: they count
 * API calls, and whether a token is cached depends on earlier queries.
 */
static void
ma_iam_get_token(MaConnection *conn)
{
	MaServerOptions *server = &conn->server;
	MaUserOptions *user = &conn->user;
	const char *base = server->iam_endpoint ? server->iam_endpoint : server->endpoint;
	StringInfoData body;
	StringInfoData url;
	MaHttpRequest resp;
	const char *resp_body;
	int			resp_len;
	ErrorContextCallback errcallback;
	cJSON	   *json;
	char	   *expires_at = NULL;
	char	   *iam_error = NULL;
	TimestampTz expires;
	TimestampTz now;

	ma_auth_forget(conn);

	/* The body of the contract; escape_json quotes every string. */
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"auth\":{\"identity\":{\"methods\":[\"password\"],"
						   "\"password\":{\"user\":{\"name\":");
	escape_json(&body, user->user_name);
	appendStringInfoString(&body, ",\"password\":");
	escape_json(&body, user->password);
	appendStringInfoString(&body, ",\"domain\":{\"name\":");
	escape_json(&body, user->domain_name);
	appendStringInfoString(&body, "}}}},\"scope\":{\"project\":");
	if (server->region)
	{
		appendStringInfoString(&body, "{\"name\":");
		escape_json(&body, server->region);
	}
	else
	{
		appendStringInfoString(&body, "{\"id\":");
		escape_json(&body, server->project_id);
	}
	appendStringInfoString(&body, "}}}}");

	errcallback.callback = ma_iam_error_context;
	errcallback.arg = (void *) base;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	initStringInfo(&url);
	appendStringInfo(&url, "%s/v3/auth/tokens", base);
	ma_http_request_init(&resp, CurrentMemoryContext, "POST", url.data, NIL,
						 body.data);
	PG_TRY();
	{
		ma_transport_perform(conn->transport, &resp,
							 server->request_timeout_ms);
	}
	PG_FINALLY();
	{
		/* the body holds the password */
		explicit_bzero(body.data, body.len);
	}
	PG_END_TRY();
	pfree(body.data);

	/* Read what IAM said: expires_at on success, an error otherwise. */
	/* no answer at all: the transport failure, in the terms of IAM */
	if (resp.result != CURLE_OK || resp.status < 100)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not get a token from IAM: %s",
						resp.too_large ? "answer too large" :
						curl_easy_strerror((CURLcode) resp.result)),
				 resp.errbuf[0] ? errdetail("%s.", ma_redact_string(resp.errbuf)) : 0));

	resp_body = ma_http_body(&resp, &resp_len);
	json = cJSON_ParseWithLength(resp_body, resp_len);
	if (json)
	{
		cJSON	   *item;

		item = cJSON_GetObjectItemCaseSensitive(json, "token");
		item = cJSON_GetObjectItemCaseSensitive(item, "expires_at");
		if (cJSON_IsString(item))
			expires_at = pstrdup(item->valuestring);

		/* IAM's own error form, or the API gateway's */
		item = cJSON_GetObjectItemCaseSensitive(json, "error");
		item = cJSON_GetObjectItemCaseSensitive(item, "message");
		if (cJSON_IsString(item))
			iam_error = ma_server_text(item->valuestring);
		else
		{
			cJSON	   *code = cJSON_GetObjectItemCaseSensitive(json, "error_code");
			cJSON	   *msg = cJSON_GetObjectItemCaseSensitive(json, "error_msg");

			if (cJSON_IsString(code) && cJSON_IsString(msg))
				iam_error = psprintf("%s: %s", ma_server_text(code->valuestring),
									 ma_server_text(msg->valuestring));
			else if (cJSON_IsString(code))
				iam_error = ma_server_text(code->valuestring);
		}
		cJSON_Delete(json);
	}

	if (resp.status == 401)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("IAM refused the password for user \"%s\"",
						user->user_name),
				 iam_error ? errdetail("IAM answered: %s", iam_error) : 0,
				 errhint("Check user_name, password and domain_name in the user mapping, and the server's project_id or region.")));
	if (resp.status < 200 || resp.status >= 300)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not get a token from IAM: HTTP %ld", resp.status),
				 iam_error ? errdetail("IAM answered: %s", iam_error) : 0));
	if (resp.subject_token == NULL || resp.subject_token[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not get a token from IAM: no X-Subject-Token header in the answer")));

	error_context_stack = errcallback.previous;

	now = GetCurrentTimestamp();
	if (expires_at && ma_parse_iso_timestamp(expires_at, &expires))
	{
		int64		margin = 0;

		if (expires > now)
			margin = Min(MA_TOKEN_MARGIN_USEC,
						 (expires - now) / MA_TOKEN_MARGIN_DIVISOR);
		conn->token_refresh_at = expires - margin;
	}
	else
		conn->token_refresh_at = DT_NOEND;

	conn->token = MemoryContextStrdup(conn->cxt, resp.subject_token);
	conn->token_generation++;
	explicit_bzero(resp.subject_token, strlen(resp.subject_token));
}

/*
 * Parse IAM's "2026-11-30T03:00:00.000000Z" (fraction optional, UTC) into a
 * TimestampTz.  Returns false if s does not look like that.
 */
static bool
ma_parse_iso_timestamp(const char *s, TimestampTz *result)
{
	struct tm	tm;
	int			n = 0;
	time_t		t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
		n == 0)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t) -1)
		return false;
	*result = time_t_to_timestamptz((pg_time_t) t);
	return true;
}

/* Error context for the IAM request; base URL and path only. */
static void
ma_iam_error_context(void *arg)
{
	errcontext("IAM request: POST %s/v3/auth/tokens", (const char *) arg);
}

/*
 * Return hex(HMAC-SHA256(secret_key, StringToSign)), palloc'd: the
 * SDK-HMAC-SHA256 signature of a request without body, as the contract
 * spells it out.
 *
 * "host" is the Host header's value (host[:port]); "path" the full encoded
 * path as sent; "query" the encoded query string or NULL; "sdk_date" the
 * X-Sdk-Date value.  The signed headers are always host and x-sdk-date.
 * Pure, so that tests can check it against a known signature.
 */
char *
ma_aksk_signature(const char *secret_key, const char *method,
				  const char *host, const char *path, const char *query,
				  const char *sdk_date)
{
	StringInfoData creq;
	StringInfoData sts;
	StringInfoData result;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	/* CanonicalRequest */
	initStringInfo(&creq);
	appendStringInfo(&creq, "%s\n", method);
	ma_canonical_uri(&creq, path);
	appendStringInfoChar(&creq, '\n');
	ma_canonical_query(&creq, query);
	appendStringInfoChar(&creq, '\n');
	appendStringInfo(&creq, "host:%s\nx-sdk-date:%s\n\n", host, sdk_date);
	appendStringInfoString(&creq, MA_SIGNED_HEADERS "\n");
	ma_sha256_hex(&creq, "", 0);

	/* StringToSign */
	initStringInfo(&sts);
	appendStringInfo(&sts, MA_SDK_ALGORITHM "\n%s\n", sdk_date);
	ma_sha256_hex(&sts, creq.data, creq.len);

	if (HMAC(EVP_sha256(), secret_key, (int) strlen(secret_key),
			 (const unsigned char *) sts.data, sts.len, mac, &maclen) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the request signature")));

	initStringInfo(&result);
	ma_append_hex(&result, mac, (int) maclen);
	explicit_bzero(mac, sizeof(mac));

	pfree(creq.data);
	pfree(sts.data);
	return result.data;
}

/*
 * Split an endpoint URL into the Host header's value (host, plus ":port" if
 * the port is not the scheme's default, as libcurl would send it) and its
 * path without trailing slash ("" for none).  Both palloc'd.
 */
static void
ma_endpoint_parts(const char *endpoint, char **host, char **path_prefix)
{
	CURLU	   *url = curl_url();
	char	   *scheme = NULL;
	char	   *h = NULL;
	char	   *port = NULL;
	char	   *path = NULL;
	bool		ok;

	ok = (url != NULL &&
		  curl_url_set(url, CURLUPART_URL, endpoint, 0) == CURLUE_OK &&
		  curl_url_get(url, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		  curl_url_get(url, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
		  curl_url_get(url, CURLUPART_PATH, &path, 0) == CURLUE_OK);
	if (ok)
	{
		int			len;

		/* CURLUE_NO_PORT: none given, so the default */
		curl_url_get(url, CURLUPART_PORT, &port, 0);
		if (port == NULL ||
			(pg_strcasecmp(scheme, "http") == 0 && strcmp(port, "80") == 0) ||
			(pg_strcasecmp(scheme, "https") == 0 && strcmp(port, "443") == 0))
			*host = pstrdup(h);
		else
			*host = psprintf("%s:%s", h, port);

		len = strlen(path);
		while (len > 0 && path[len - 1] == '/')
			len--;
		*path_prefix = pnstrdup(path, len);
	}

	curl_free(scheme);
	curl_free(h);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(url);

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid endpoint URL \"%s\"", endpoint)));
}

/* Percent-decode len bytes of s (malformed escapes kept as they are). */
static char *
ma_decode(const char *s, int len)
{
	char	   *result = palloc(len + 1);
	int			i;
	int			j = 0;

	for (i = 0; i < len; i++)
	{
		if (s[i] == '%' && i + 2 < len &&
			isxdigit((unsigned char) s[i + 1]) &&
			isxdigit((unsigned char) s[i + 2]))
		{
			char		hex[3] = {s[i + 1], s[i + 2], '\0'};

			result[j++] = (char) strtol(hex, NULL, 16);
			i += 2;
		}
		else
			result[j++] = s[i];
	}
	result[j] = '\0';
	return result;
}

/*
 * CanonicalURI: each segment of the path decoded and re-encoded the canonical
 * way (so an already-encoded path is not encoded twice), joined by '/', with
 * a trailing '/'.
 */
static void
ma_canonical_uri(StringInfo buf, const char *path)
{
	const char *p = path;

	if (*p == '/')
		p++;
	appendStringInfoChar(buf, '/');
	while (*p)
	{
		const char *slash = strchr(p, '/');
		int			len = slash ? (int) (slash - p) : (int) strlen(p);
		char	   *segment = ma_decode(p, len);

		ma_append_encoded(buf, segment);
		appendStringInfoChar(buf, '/');
		pfree(segment);
		p += len;
		if (*p == '/')
			p++;
	}
}

/*
 * CanonicalQuery: the parameters decoded, sorted by key then value (as the
 * SDK signers sort them), re-encoded and joined as k=v&k=v.
 */
static void
ma_canonical_query(StringInfo buf, const char *query)
{
	MaQueryParam *params;
	int			nparams = 0;
	int			maxparams;
	const char *p;
	int			i;

	if (query == NULL || query[0] == '\0')
		return;

	maxparams = 1;
	for (p = query; *p; p++)
		if (*p == '&')
			maxparams++;
	params = palloc(maxparams * sizeof(MaQueryParam));

	p = query;
	while (*p)
	{
		const char *amp = strchr(p, '&');
		int			len = amp ? (int) (amp - p) : (int) strlen(p);

		if (len > 0)
		{
			const char *eq = memchr(p, '=', len);

			if (eq)
			{
				params[nparams].key = ma_decode(p, (int) (eq - p));
				params[nparams].value = ma_decode(eq + 1,
												  len - (int) (eq - p) - 1);
			}
			else
			{
				params[nparams].key = ma_decode(p, len);
				params[nparams].value = pstrdup("");
			}
			nparams++;
		}
		p += len;
		if (*p == '&')
			p++;
	}

	qsort(params, nparams, sizeof(MaQueryParam), ma_param_cmp);

	for (i = 0; i < nparams; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, '&');
		ma_append_encoded(buf, params[i].key);
		appendStringInfoChar(buf, '=');
		ma_append_encoded(buf, params[i].value);
	}
}

static int
ma_param_cmp(const void *a, const void *b)
{
	const MaQueryParam *pa = (const MaQueryParam *) a;
	const MaQueryParam *pb = (const MaQueryParam *) b;
	int			cmp = strcmp(pa->key, pb->key);

	return cmp != 0 ? cmp : strcmp(pa->value, pb->value);
}

/* Append lower-case hex of len bytes. */
static void
ma_append_hex(StringInfo buf, const unsigned char *data, int len)
{
	static const char hex[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < len; i++)
	{
		appendStringInfoChar(buf, hex[data[i] >> 4]);
		appendStringInfoChar(buf, hex[data[i] & 0x0F]);
	}
}

/* Append hex(sha256(data)), with OpenSSL's SHA-256. */
static void
ma_sha256_hex(StringInfo buf, const char *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute a SHA-256 digest")));
	ma_append_hex(buf, md, (int) mdlen);
}
