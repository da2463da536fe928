/*-------------------------------------------------------------------------
 *
 * perimeter.c
 *		  The security perimeter of modelarts_fdw: which URLs a server may
 *		  name, where the backend may connect, that a non-superuser's
 *		  credentials are really demanded, and that no secret of a request
 *		  reaches a message through what the server sent back.
 *
 * - URLs (endpoint, iam_endpoint, proxy, and the entries of
 *   modelarts_fdw.allowed_endpoints) are parsed here, strictly, into their
 *   components: scheme, host, port, path.  Nothing that libcurl would
 *   rewrite (a dot segment, a backslash) or read as something else (user
 *   information, a query, a fragment) is accepted.
 *
 * - modelarts_fdw.allowed_endpoints (superuser-only) is a list of URL
 *   prefixes; a server's endpoint, iam_endpoint and proxy must each match
 *   one, compared by component: the same scheme, the same host (case
 *   ignored), the same port (the scheme's default if not given), and a path
 *   that starts with the prefix's on a segment boundary.  It is checked
 *   when a server is created or altered and again each time a connection is
 *   used, since the setting may change after the server was made.
 *
 * - A non-superuser's connection must show once that the endpoint refuses
 *   a request without credentials (401 or 403) before the mapping's
 *   credentials are sent: the parity with postgres_fdw's password_required.
 *   A superuser may waive it per user mapping (password_required 'false').
 *
 * - ma_redact() removes from a text the server sent every secret the
 *   backend holds (tokens, passwords, secret keys, proxy passwords) and the
 *   values of authentication headers and signatures, whatever form the echo
 *   takes, before any of it is quoted in a message.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include <curl/curl.h>

#include "miscadmin.h"
#include "modelarts_fdw.h"
#include "utils/guc.h"
#include "utils/memutils.h"

/* What a secret in a quoted text is replaced with. */
#define MA_REDACTED			"[redacted]"

/* Shorter secrets are not searched for: they would match ordinary words. */
#define MA_MIN_SECRET_LEN	4

/* How far before a quoted window a header value or a secret may start. */
#define MA_REDACT_MARGIN	8192

/* modelarts_fdw.allowed_endpoints, as set; "" means any */
static char *allowed_endpoints = NULL;

/*
 * Headers and parameters whose value is a secret wherever it shows up,
 * "X-Auth-Token: v", "\"Authorization\": \"v\"" or "Signature=v" alike.
 */
static const char *const secret_names[] = {
	"x-auth-token",
	"x-subject-token",
	"proxy-authorization",
	"authorization",
	"signature",
	NULL
};

static bool check_allowed_endpoints(char **newval, void **extra,
									GucSource source);
static List *split_list(const char *s);
static bool url_allowed(const MaUrl *url, List *prefixes);
static int	secret_len_desc(const ListCell *a, const ListCell *b);
static int	match_secret_name(const char *text, int len, int i, int *value_at);


/*
 * Register the settings of this file; called from _PG_init.
 */
void
ma_perimeter_init(void)
{
	DefineCustomStringVariable("modelarts_fdw.allowed_endpoints",
							   "URL prefixes that the endpoint, iam_endpoint and proxy of a modelarts_fdw server must match.",
							   "A comma-separated list of scheme://host[:port][/path]; empty allows any.",
							   &allowed_endpoints,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   check_allowed_endpoints,
							   NULL,
							   NULL);
}

/* Every entry must be a valid prefix: a typo must not silently allow all. */
static bool
check_allowed_endpoints(char **newval, void **extra, GucSource source)
{
	ListCell   *lc;

	foreach(lc, split_list(*newval))
	{
		const char *entry = lfirst(lc);
		MaUrl		url;
		const char *why;

		if (!ma_parse_url(entry, MA_URL_PREFIX, &url, &why))
		{
			GUC_check_errdetail("Entry \"%s\": %s", entry, why);
			return false;
		}
	}
	return true;
}

/* The entries of a comma-separated list, white space around them trimmed. */
static List *
split_list(const char *s)
{
	List	   *result = NIL;
	const char *p = s ? s : "";

	while (*p)
	{
		const char *start;
		const char *end;

		while (*p == ',' || isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && isspace((unsigned char) end[-1]))
			end--;
		result = lappend(result, pnstrdup(start, end - start));
	}
	return result;
}

/* The value of a hexadecimal digit. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return pg_tolower((unsigned char) c) - 'a' + 10;
}

/* The port a scheme uses when none is given. */
static int
default_port(const char *scheme)
{
	if (strcmp(scheme, "https") == 0)
		return 443;
	if (strcmp(scheme, "socks5") == 0 || strcmp(scheme, "socks5h") == 0)
		return 1080;
	return 80;
}

/*
 * Parse a URL strictly into *url (strings palloc'd).  Returns false with
 * *why set to a sentence for an errdetail (one that never repeats the value,
 * which may hold a credential) if it is not acceptable for "kind":
 *
 * - endpoint: http or https, a host, an optional port from 1 to 65535, an
 *   optional path; no user information, query, fragment, backslash, white
 *   space, control or non-ASCII character, no "." or ".." path segment
 *   (libcurl would resolve it) and no malformed percent escape;
 * - proxy: the same with the schemes http, https, socks5 and socks5h, and
 *   no path at all (a path names a Unix socket, which is refused);
 * - prefix (an entry of allowed_endpoints): any of those schemes, a path
 *   allowed.
 *
 * Does not raise errors: the GUC check hook calls it too.
 */
bool
ma_parse_url(const char *s, MaUrlKind kind, MaUrl *url, const char **why)
{
	const char *p;
	const char *host;
	const char *path;
	int			len;
	int			i;

	memset(url, 0, sizeof(*url));

	for (p = s; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c <= 0x20 || c >= 0x7f)
		{
			*why = "A URL may not contain white space, control characters or characters beyond ASCII.";
			return false;
		}
		if (c == '\\')
		{
			*why = "A URL may not contain a backslash.";
			return false;
		}
		if (c == '?')
		{
			*why = "A base URL may not have a query.";
			return false;
		}
		if (c == '#')
		{
			*why = "A base URL may not have a fragment.";
			return false;
		}
	}

	/* scheme */
	p = strstr(s, "://");
	len = p ? (int) (p - s) : 0;
	if (p == NULL || len == 0 || len > 7)
	{
		*why = kind == MA_URL_ENDPOINT ?
			"The URL must start with http:// or https://." :
			"The URL must start with a scheme: http://, https://, socks5:// or socks5h://.";
		return false;
	}
	memcpy(url->scheme, s, len);
	url->scheme[len] = '\0';
	for (i = 0; i < len; i++)
		url->scheme[i] = pg_tolower((unsigned char) url->scheme[i]);
	if (strcmp(url->scheme, "http") != 0 && strcmp(url->scheme, "https") != 0 &&
		(kind == MA_URL_ENDPOINT ||
		 (strcmp(url->scheme, "socks5") != 0 && strcmp(url->scheme, "socks5h") != 0)))
	{
		*why = kind == MA_URL_ENDPOINT ?
			"The URL must start with http:// or https://." :
			"The scheme must be http, https, socks5 or socks5h.";
		return false;
	}

	/* authority: everything up to the path */
	host = p + 3;
	path = strchr(host, '/');
	if (path == NULL)
		path = host + strlen(host);
	if (memchr(host, '@', path - host) != NULL)
	{
		*why = kind == MA_URL_PROXY ?
			"Credentials do not belong in the URL; use the user mapping options proxy_user and proxy_password." :
			"Credentials do not belong in the URL; use a user mapping.";
		return false;
	}

	/* host: a name, an IPv4 address, or an IPv6 address in brackets */
	p = host;
	if (*p == '[')
	{
		p++;
		while (p < path && (isxdigit((unsigned char) *p) || *p == ':' || *p == '.'))
			p++;
		if (p >= path || *p != ']' || p == host + 1)
		{
			*why = "The host is not a valid IPv6 address in brackets.";
			return false;
		}
		p++;
	}
	else
	{
		while (p < path && (isalnum((unsigned char) *p) || *p == '.' ||
							*p == '-' || *p == '_'))
			p++;
	}
	if (p == host)
	{
		*why = "The URL has no host.";
		return false;
	}
	url->host = pnstrdup(host, p - host);

	/* port */
	url->port = default_port(url->scheme);
	if (p < path && *p == ':')
	{
		const char *digits = ++p;
		long		port = 0;

		while (p < path && isdigit((unsigned char) *p))
		{
			port = port * 10 + (*p - '0');
			if (port > 65535)
				break;
			p++;
		}
		if (p != path || p == digits || port < 1 || port > 65535)
		{
			*why = "The port must be a decimal number from 1 to 65535.";
			return false;
		}
		url->port = (int) port;
		url->has_port = true;
	}
	if (p != path)
	{
		*why = "The host may contain only letters, digits, \".\", \"-\" and \"_\", or be an IPv6 address in brackets.";
		return false;
	}

	/* path: trailing slashes dropped */
	len = strlen(path);
	while (len > 0 && path[len - 1] == '/')
		len--;
	if (kind == MA_URL_PROXY && len > 0)
	{
		*why = "A proxy URL has no path: a proxy on a Unix socket is not supported.";
		return false;
	}
	for (p = path; p < path + len;)
	{
		const char *seg = ++p;	/* past the '/' */
		StringInfoData decoded;

		initStringInfo(&decoded);
		while (p < path + len && *p != '/')
		{
			if (*p == '%')
			{
				if (p + 2 >= path + len ||
					!isxdigit((unsigned char) p[1]) || !isxdigit((unsigned char) p[2]))
				{
					*why = "A \"%\" in the path must start an escape of two hexadecimal digits.";
					return false;
				}
				appendStringInfoChar(&decoded,
									 (char) (hex_value(p[1]) * 16 + hex_value(p[2])));
				p += 3;
			}
			else
				appendStringInfoChar(&decoded, *p++);
		}
		if (p == seg && p < path + len)
		{
			*why = "The path may not contain an empty segment (\"//\").";
			return false;
		}
		if (strcmp(decoded.data, ".") == 0 || strcmp(decoded.data, "..") == 0)
		{
			*why = "The path may not contain a \".\" or \"..\" segment.";
			return false;
		}
		pfree(decoded.data);
	}
	url->path = pnstrdup(path, len);
	return true;
}

/*
 * Does url match one of the prefixes (MaUrl)?  By component, see the
 * header comment; the path on a segment boundary: "/a" matches "/a" and
 * "/a/b", not "/ab".
 */
static bool
url_allowed(const MaUrl *url, List *prefixes)
{
	ListCell   *lc;

	foreach(lc, prefixes)
	{
		const MaUrl *pre = lfirst(lc);
		size_t		plen = strlen(pre->path);

		if (strcmp(pre->scheme, url->scheme) != 0 ||
			pg_strcasecmp(pre->host, url->host) != 0 ||
			pre->port != url->port)
			continue;
		if (strncmp(url->path, pre->path, plen) == 0 &&
			(url->path[plen] == '\0' || url->path[plen] == '/'))
			return true;
	}
	return false;
}

/* The parsed prefixes of allowed_endpoints; NIL: any URL is allowed. */
static List *
allowed_prefixes(void)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, split_list(allowed_endpoints))
	{
		MaUrl	   *url = palloc(sizeof(MaUrl));
		const char *why;

		/* the check hook let only valid entries in */
		if (!ma_parse_url(lfirst(lc), MA_URL_PREFIX, url, &why))
			elog(ERROR, "invalid entry in modelarts_fdw.allowed_endpoints");
		result = lappend(result, url);
	}
	return result;
}

/*
 * Check the value of a URL option (endpoint, iam_endpoint, proxy): it must
 * parse as "kind" and match allowed_endpoints.  "server" names the server
 * in the error, or is NULL when the server is being created or altered.
 * The value is shown only once it is known to hold no credential.
 */
void
ma_check_url_option(const char *option, const char *value, MaUrlKind kind,
					const char *server)
{
	MaUrl		url;
	const char *why;
	List	   *prefixes;

	if (!ma_parse_url(value, kind, &url, &why))
	{
		if (server)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("server \"%s\" has an invalid option \"%s\"",
							server, option),
					 errdetail("%s", why)));
		if (strchr(value, '@') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\"", option),
					 errdetail("%s", why)));
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", option, value),
				 errdetail("%s", why)));
	}

	prefixes = allowed_prefixes();
	if (prefixes != NIL && !url_allowed(&url, prefixes))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 server ?
				 errmsg("option \"%s\" of server \"%s\" is not allowed: \"%s\"",
						option, server, value) :
				 errmsg("value of option \"%s\" is not allowed: \"%s\"",
						option, value),
				 errdetail("It matches no entry of modelarts_fdw.allowed_endpoints."),
				 errhint("A superuser decides where modelarts_fdw may connect with the setting modelarts_fdw.allowed_endpoints.")));
}

/*
 * Check, at each use of a connection, that its server's URLs are still
 * allowed: allowed_endpoints may have changed since the server was made.
 */
void
ma_check_perimeter(MaConnection *conn, const char *server)
{
	MaServerOptions *opts = &conn->server;

	ma_check_url_option("endpoint", opts->endpoint, MA_URL_ENDPOINT, server);
	if (opts->iam_endpoint)
		ma_check_url_option("iam_endpoint", opts->iam_endpoint,
							MA_URL_ENDPOINT, server);
	if (opts->proxy)
		ma_check_url_option("proxy", opts->proxy, MA_URL_PROXY, server);
}

/*
 * For a non-superuser: make sure, once per connection, that the endpoint
 * refuses a request without credentials, before any request carries the
 * mapping's.  Otherwise the data would be read on the strength of the
 * database server's network position (an endpoint that trusts its
 * callers' addresses) while the credentials given are never checked:
 * that is a superuser's decision (password_required 'false').
 *
 * The request is a page of one job of the jobs listing (offset 1, which
 * every service accepts; see resource.c on offset 0), without any
 * authentication header, sent over the connection's own transport (so
 * through its proxy and TLS settings).  401 or 403 passes; any other status
 * (a 400 too: the request was looked at without credentials) is refused; a
 * transport failure is reported as such.  It costs one request per
 * connection: per backend and user mapping, again after the server or the
 * mapping changes.
 */
void
ma_check_auth_demanded(MaConnection *conn)
{
	StringInfoData url;
	MaHttpRequest req;
	MemoryContext cxt;
	MemoryContext oldcxt;
	const char *endpoint = conn->server.endpoint;

	if (conn->auth_demanded)
		return;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "modelarts_fdw probe",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	initStringInfo(&url);
	appendStringInfo(&url, "%s/v1/", endpoint);
	ma_append_encoded(&url, conn->server.project_id);
	appendStringInfoString(&url, "/annotation-jobs?offset=1&limit=1");
	ma_http_request_init(&req, cxt, "GET", url.data, NIL, NULL);
	ma_transport_perform(conn->transport, &req, conn->server.request_timeout_ms);
	MemoryContextSwitchTo(oldcxt);

	if (req.result != CURLE_OK || req.status < 100)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not check that ModelArts endpoint \"%s\" requires credentials: %s",
						endpoint,
						req.too_large ? "answer too large" :
						curl_easy_strerror((CURLcode) req.result)),
				 req.errbuf[0] ?
				 errdetail("%s.", ma_redact_string(req.errbuf)) : 0));
	if (req.status != 401 && req.status != 403)
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("ModelArts endpoint \"%s\" does not require credentials",
						endpoint),
				 errdetail("A request without credentials was answered with HTTP %ld, not 401 or 403.",
						   req.status),
				 errhint("Non-superusers may use only endpoints that check the credentials of the user mapping; a superuser may allow this one with the user mapping option password_required 'false'.")));

	MemoryContextDelete(cxt);
	conn->auth_demanded = true;
}

/* For list_sort: longest secrets first, so none is left half replaced. */
static int
secret_len_desc(const ListCell *a, const ListCell *b)
{
	size_t		la = strlen(lfirst(a));
	size_t		lb = strlen(lfirst(b));

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/*
 * If a secret-bearing name (see secret_names) starts at text[i], followed
 * by a separator (":" or "=", quotes and blanks around it allowed), return
 * the length up to its value and set *value_at; else return 0.  Only at the
 * start of a word: "X-Auth-Token", not "MyX-Auth-Token".
 */
static int
match_secret_name(const char *text, int len, int i, int *value_at)
{
	const char *const *name;

	if (i > 0 && (isalnum((unsigned char) text[i - 1]) || text[i - 1] == '-' ||
				  text[i - 1] == '_'))
		return 0;
	for (name = secret_names; *name; name++)
	{
		int			n = strlen(*name);
		int			j = i + n;

		if (j > len || pg_strncasecmp(text + i, *name, n) != 0)
			continue;
		if (j < len && (text[j] == '"' || text[j] == '\''))
			j++;
		while (j < len && (text[j] == ' ' || text[j] == '\t'))
			j++;
		if (j >= len || (text[j] != ':' && text[j] != '='))
			continue;
		j++;
		while (j < len && (text[j] == ' ' || text[j] == '\t'))
			j++;
		if (j < len && (text[j] == '"' || text[j] == '\''))
			j++;
		*value_at = j;
		return j - i;
	}
	return 0;
}

/*
 * Return a palloc'd copy of text[0..len) without any secret: each secret
 * the backend holds (see ma_connection_secrets), each string of "extra"
 * (the secrets of one request), and the value of each authentication
 * header or signature (up to the end of its line, a quote or a backslash)
 * replaced by "[redacted]".  *out_len gets the result's length.  If mark_out
 * is not NULL, it gets the offset in the result of the input's offset
 * "mark" (the start of the replacement if mark falls in a secret).
 */
char *
ma_redact(const char *text, int len, List *extra, int mark, int *mark_out,
		  int *out_len)
{
	StringInfoData b;
	List	   *secrets = list_concat(ma_connection_secrets(), extra);
	List	   *usable = NIL;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, secrets)
	{
		const char *s = lfirst(lc);

		if (s && strlen(s) >= MA_MIN_SECRET_LEN)
			usable = lappend(usable, (void *) s);
	}
	list_sort(usable, secret_len_desc);

	initStringInfo(&b);
	if (mark_out)
		*mark_out = -1;
	while (i < len)
	{
		int			value_at;
		int			skip = 0;

		if (mark_out && *mark_out < 0 && i >= mark)
			*mark_out = b.len;

		if (match_secret_name(text, len, i, &value_at) > 0)
		{
			int			j = value_at;

			while (j < len && text[j] != '\r' && text[j] != '\n' &&
				   text[j] != '"' && text[j] != '\'' && text[j] != '\\' &&
				   text[j] != '<' && text[j] != '&')
				j++;
			if (j > value_at)
			{
				appendBinaryStringInfo(&b, text + i, value_at - i);
				if (mark_out && *mark_out < 0 && mark < j)
					*mark_out = b.len;
				appendStringInfoString(&b, MA_REDACTED);
				i = j;
				continue;
			}
		}

		foreach(lc, usable)
		{
			const char *s = lfirst(lc);
			int			n = strlen(s);

			if (n <= len - i && text[i] == s[0] && memcmp(text + i, s, n) == 0)
			{
				skip = n;
				break;
			}
		}
		if (skip > 0)
		{
			appendStringInfoString(&b, MA_REDACTED);
			i += skip;
			continue;
		}
		appendStringInfoChar(&b, text[i++]);
	}
	if (mark_out && *mark_out < 0)
		*mark_out = b.len;
	list_free(usable);
	if (out_len)
		*out_len = b.len;
	return b.data;
}

/* ma_redact of a C string, for libcurl's messages and text fields. */
char *
ma_redact_string(const char *s)
{
	return ma_redact(s, strlen(s), NIL, 0, NULL, NULL);
}

/*
 * The part of a (maybe large) body that a message quotes, redacted: from
 * byte "from", at least "count" bytes of the redacted text if there are so
 * many.  Only a window around it is searched: a secret or a header value
 * that would reach into it starts at most MA_REDACT_MARGIN bytes before.
 * *out_len gets the length of the result.
 */
char *
ma_redact_window(const char *body, int len, List *extra, int from, int count,
				 int *out_len)
{
	int			start = Max(0, from - MA_REDACT_MARGIN);
	int			end = (int) Min((int64) len, (int64) from + count + MA_REDACT_MARGIN);
	int			mark;
	int			rlen;
	char	   *r = ma_redact(body + start, end - start, extra, from - start,
							  &mark, &rlen);

	char	   *shown = r + mark;
	int			n = Min(rlen - mark, count);
	char	   *last = NULL;
	char	   *p = shown;

	/* a replacement cut by the end of the window is shown whole */
	while ((p = strstr(p, MA_REDACTED)) != NULL && p < shown + n)
		last = p++;
	if (last && last + strlen(MA_REDACTED) > shown + n)
		n = (last - shown) + strlen(MA_REDACTED);
	*out_len = n;
	return shown;
}
