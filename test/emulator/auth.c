/*
 * auth.c
 *		The two documented ways in: IAM password tokens and AK/SK signing.
 *
 * Tokens are random strings remembered with their project and expiry, so
 * the emulator accepts exactly the tokens it issued and can tell an expired
 * one (ModelArts.0202) from one it never saw (ModelArts.0203).  A token
 * lives --token-ttl seconds from the microsecond it was issued, which its
 * expires_at says to the microsecond: a 1-second token is good for a whole
 * second, whenever in the second it was issued.  --token-claimed-ttl makes
 * expires_at claim another lifetime than the real one, so that a client's
 * token dies while the client still trusts it (a clock skew, a revocation).  AK/SK
 * requests are verified by rebuilding the canonical request from the raw
 * request target, as the SDK signers build it; on a mismatch the canonical
 * request the emulator used is put in error_msg, which is what a client
 * author needs to find the difference.
 */
#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "emulator.h"

typedef struct Token
{
	char	   *token;
	char		project[33];
	double		expires;		/* seconds since the epoch */
} Token;

static pthread_mutex_t token_lock = PTHREAD_MUTEX_INITIALIZER;
static Token *tokens;
static size_t ntokens,
			token_cap;

void
auth_init(void)
{
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[64] = '\0';
}

/* The time now, in seconds since the epoch, to the microsecond. */
static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double) ts.tv_sec + (double) (ts.tv_nsec / 1000) / 1e6;
}

static void
iso_time(double t, char *out, size_t len)
{
	time_t		secs = (time_t) t;
	int			usecs = (int) ((t - (double) secs) * 1e6 + 0.5);
	struct tm	tm;
	size_t		n;

	if (usecs >= 1000000)
	{
		secs++;
		usecs -= 1000000;
	}
	if (usecs < 0)
		usecs = 0;
	gmtime_r(&secs, &tm);
	n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%06dZ", usecs);
}

static int
iam_error(Buf *out, int status, const char *code, const char *msg, const char **codep)
{
	out->len = 0;
	buf_puts(out, "{\"is_success\":false,\"error_code\":");
	json_str(out, code);
	buf_puts(out, ",\"error_msg\":");
	json_str(out, msg);
	buf_putc(out, '}');
	*codep = code;
	return status;
}

static const char *
get_path_str(cJSON *root, const char *const *path)
{
	cJSON	   *c = root;

	for (; *path; path++)
		c = cJSON_GetObjectItemCaseSensitive(c, *path);
	return cJSON_IsString(c) ? c->valuestring : NULL;
}

/*
 * Handle POST /v3/auth/tokens: check the body's shape and the credentials,
 * issue a token.  Returns the HTTP status; out receives the body and, on
 * 201, token_out the X-Subject-Token value.
 */
int
auth_issue_token(const char *body, size_t body_len, Buf *out,
				 char *token_out, size_t token_len, const char **code)
{
	static const char *const p_methods[] = {"auth", "identity", "methods", NULL};
	static const char *const p_name[] = {"auth", "identity", "password", "user", "name", NULL};
	static const char *const p_pass[] = {"auth", "identity", "password", "user", "password", NULL};
	static const char *const p_domain[] = {"auth", "identity", "password", "user", "domain", "name", NULL};
	static const char *const p_scope_name[] = {"auth", "scope", "project", "name", NULL};
	static const char *const p_scope_id[] = {"auth", "scope", "project", "id", NULL};
	cJSON	   *root = cJSON_ParseWithLength(body ? body : "", body_len);
	cJSON	   *methods,
			   *m;
	const char *name,
			   *pass,
			   *domain,
			   *sname,
			   *sid;
	bool		has_password = false;
	char		project[33],
				msg[256],
				exp[40],
				iss[40];
	const char *region = cfg.region ? cfg.region : "cn-north-4";
	unsigned char rnd[48];
	double		now = now_seconds();
	int			status;

	if (!root || !cJSON_IsObject(root))
	{
		cJSON_Delete(root);
		return iam_error(out, 400, "IAM.0011", "request body is not a JSON object", code);
	}
	methods = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(root, p_methods[0]), p_methods[1]), p_methods[2]);
	cJSON_ArrayForEach(m, methods)
		if (cJSON_IsString(m) && strcmp(m->valuestring, "password") == 0)
		has_password = true;
	name = get_path_str(root, p_name);
	pass = get_path_str(root, p_pass);
	domain = get_path_str(root, p_domain);
	sname = get_path_str(root, p_scope_name);
	sid = get_path_str(root, p_scope_id);

	if (!cJSON_IsArray(methods) || !has_password)
		status = iam_error(out, 400, "IAM.0011", "auth.identity.methods must be an array holding \"password\"", code);
	else if (!name)
		status = iam_error(out, 400, "IAM.0011", "auth.identity.password.user.name: expected a string", code);
	else if (!pass)
		status = iam_error(out, 400, "IAM.0011", "auth.identity.password.user.password: expected a string", code);
	else if (!domain)
		status = iam_error(out, 400, "IAM.0011", "auth.identity.password.user.domain.name: expected a string", code);
	else if (!sname && !sid)
		status = iam_error(out, 400, "IAM.0011", "auth.scope.project: expected \"name\" or \"id\"", code);
	else if ((cfg.user && strcmp(name, cfg.user) != 0) ||
			 (cfg.password && strcmp(pass, cfg.password) != 0) ||
			 (cfg.domain && strcmp(domain, cfg.domain) != 0))
		status = iam_error(out, 401, "IAM.0001", "the username or password is wrong", code);
	else if (sid && (strlen(sid) != 32 || strspn(sid, "0123456789abcdefABCDEF") != 32))
		status = iam_error(out, 400, "IAM.0011", "auth.scope.project.id: expected 32 hex digits", code);
	else if (!sid && strcmp(sname, region) != 0)
	{
		snprintf(msg, sizeof(msg), "no project named \"%s\" (this emulator's region is \"%s\")",
				 sname, region);
		status = iam_error(out, 401, "IAM.0002", msg, code);
	}
	else
		status = 201;
	if (status != 201)
	{
		cJSON_Delete(root);
		return status;
	}

	memcpy(project, sid ? sid : ds.project_id, 33);
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(token_out, token_len, "MIIemu");
	for (size_t i = 0; i < sizeof(rnd) && strlen(token_out) + 3 < token_len; i++)
		sprintf(token_out + strlen(token_out), "%02x", rnd[i]);

	pthread_mutex_lock(&token_lock);
	if (ntokens == token_cap)
	{
		token_cap = token_cap ? token_cap * 2 : 64;
		tokens = realloc(tokens, token_cap * sizeof(Token));
	}
	tokens[ntokens].token = strdup(token_out);
	memcpy(tokens[ntokens].project, project, 33);
	tokens[ntokens].expires = now + (double) cfg.token_ttl;
	ntokens++;
	pthread_mutex_unlock(&token_lock);

	/* --token-claimed-ttl: a token may die before its expires_at */
	iso_time(now + (double) (cfg.token_claimed_ttl >= 0 ? cfg.token_claimed_ttl : cfg.token_ttl),
			 exp, sizeof(exp));
	iso_time(now, iss, sizeof(iss));
	out->len = 0;
	buf_printf(out, "{\"token\":{\"expires_at\":\"%s\",\"issued_at\":\"%s\","
			   "\"methods\":[\"password\"],\"project\":{\"id\":\"%s\",\"name\":",
			   exp, iss, project);
	json_str(out, sid ? sid : sname);
	buf_puts(out, "},\"user\":{\"name\":");
	json_str(out, name);
	buf_puts(out, ",\"domain\":{\"name\":");
	json_str(out, domain);
	buf_puts(out, "}}}}");
	cJSON_Delete(root);
	*code = NULL;
	return 201;
}

void
auth_check_token(const char *token, const char *path_project, AuthResult *res)
{
	Token	   *t = NULL;
	double		now = now_seconds();

	res->status = 0;
	if (!token || !*token)
	{
		res->status = 401;
		res->code = "ModelArts.0201";
		snprintf(res->msg, sizeof(res->msg), "the X-Auth-Token header is missing");
		return;
	}
	pthread_mutex_lock(&token_lock);
	for (size_t i = 0; i < ntokens; i++)
		if (strcmp(tokens[i].token, token) == 0)
		{
			t = &tokens[i];
			break;
		}
	if (!t)
	{
		res->status = 401;
		res->code = "ModelArts.0203";
		snprintf(res->msg, sizeof(res->msg), "the token is invalid (not issued by this IAM)");
	}
	else if (now >= t->expires)
	{
		char		exp[40];

		iso_time(t->expires, exp, sizeof(exp));
		res->status = 401;
		res->code = "ModelArts.0202";
		snprintf(res->msg, sizeof(res->msg), "the token expired at %s", exp);
	}
	else if (strcmp(t->project, path_project) != 0)
	{
		res->status = 403;
		res->code = "ModelArts.0210";
		snprintf(res->msg, sizeof(res->msg),
				 "the token's project %s is not the project \"%.64s\" in the URI",
				 t->project, path_project);
	}
	pthread_mutex_unlock(&token_lock);
}

/* ---- AK/SK ---- */

/* Percent-encode all but A-Za-z0-9-_.~, upper-case hex, as the signers do. */
static void
sign_encode(Buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			buf_putc(b, (char) c);
		else
		{
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

typedef struct QPair
{
	char	   *k;
	char	   *v;
} QPair;

static int
qpair_cmp(const void *a, const void *b)
{
	const QPair *x = a,
			   *y = b;
	int			c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

/* Build the CanonicalURI and CanonicalQuery of a raw request target. */
static void
canonical_target(Buf *b, const char *raw)
{
	const char *q = strchr(raw, '?');
	size_t		plen = q ? (size_t) (q - raw) : strlen(raw);
	const char *p = raw;
	char	   *tmp = malloc(strlen(raw) + 1);
	QPair	   *pairs = NULL;
	size_t		npairs = 0;

	/* path: decode each segment, re-encode, keep the '/' separators */
	while (p < raw + plen)
	{
		const char *slash = memchr(p, '/', (size_t) (raw + plen - p));
		size_t		len = slash ? (size_t) (slash - p) : (size_t) (raw + plen - p);
		size_t		dl = pct_decode(p, len, tmp);

		sign_encode(b, tmp, dl);
		if (!slash)
			break;
		buf_putc(b, '/');
		p = slash + 1;
	}
	if (b->len == 0 || b->data[b->len - 1] != '/')
		buf_putc(b, '/');
	buf_putc(b, '\n');

	/* query: decoded pairs, sorted by key then value, re-encoded */
	p = q ? q + 1 : NULL;
	while (p && *p)
	{
		const char *amp = strchr(p, '&');
		size_t		len = amp ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t		klen = eq ? (size_t) (eq - p) : len;

		if (len > 0)
		{
			pairs = realloc(pairs, (npairs + 1) * sizeof(QPair));
			pairs[npairs].k = malloc(klen + 1);
			pct_decode(p, klen, pairs[npairs].k);
			pairs[npairs].v = malloc(len - klen + 1);
			pct_decode(eq ? eq + 1 : p + len, eq ? len - klen - 1 : 0, pairs[npairs].v);
			npairs++;
		}
		p = amp ? amp + 1 : NULL;
	}
	if (npairs)
		qsort(pairs, npairs, sizeof(QPair), qpair_cmp);
	for (size_t i = 0; i < npairs; i++)
	{
		if (i)
			buf_putc(b, '&');
		sign_encode(b, pairs[i].k, strlen(pairs[i].k));
		buf_putc(b, '=');
		sign_encode(b, pairs[i].v, strlen(pairs[i].v));
		free(pairs[i].k);
		free(pairs[i].v);
	}
	free(pairs);
	free(tmp);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Copy the value of "Name=value" from an Authorization parameter list. */
static bool
auth_param(const char *params, const char *name, char *out, size_t outlen)
{
	size_t		nlen = strlen(name);
	const char *p = params;

	while (*p)
	{
		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=')
		{
			size_t		len = strcspn(p + nlen + 1, ", ");

			if (len >= outlen)
				return false;
			memcpy(out, p + nlen + 1, len);
			out[len] = '\0';
			return len > 0;
		}
		p += strcspn(p, ",");
	}
	return false;
}

static void
aksk_fail(AuthResult *res, int status, const char *code, const char *msg)
{
	res->status = status;
	res->code = code;
	snprintf(res->msg, sizeof(res->msg), "%s", msg);
}

void
auth_check_aksk(struct MHD_Connection *conn, const char *method,
				const char *raw_uri, const char *body, size_t body_len,
				AuthResult *res)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *date = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Sdk-Date");
	char		access[256],
				signed_hdrs[512],
				signature[128],
				hexbuf[65];
	char	   *names[32];
	int			nnames = 0;
	struct tm	tm;
	time_t		when,
				now = time(NULL);
	Buf			cr,
				sts;
	unsigned char mac[32];
	unsigned int maclen = 0;
	char		expect[65];
	char	   *save = NULL,
			   *tok;
	bool		has_host = false,
				has_date = false;

	res->status = 0;
	if (!auth || !*auth)
		return aksk_fail(res, 401, "ModelArts.0208", "the Authorization header is missing");
	if (strncmp(auth, "SDK-HMAC-SHA256 ", 16) != 0)
		return aksk_fail(res, 401, "ModelArts.0208",
						 "the Authorization header does not start with \"SDK-HMAC-SHA256 \"");
	if (!auth_param(auth + 16, "Access", access, sizeof(access)) ||
		!auth_param(auth + 16, "SignedHeaders", signed_hdrs, sizeof(signed_hdrs)) ||
		!auth_param(auth + 16, "Signature", signature, sizeof(signature)))
		return aksk_fail(res, 401, "ModelArts.0208",
						 "the Authorization header lacks Access=, SignedHeaders= or Signature=");
	if (strcmp(access, cfg.ak) != 0)
		return aksk_fail(res, 401, "ModelArts.0208", "unknown access key");
	if (!date || !*date)
		return aksk_fail(res, 401, "ModelArts.0208", "the X-Sdk-Date header is missing");
	memset(&tm, 0, sizeof(tm));
	{
		const char *e = strlen(date) == 16 ? strptime(date, "%Y%m%dT%H%M%SZ", &tm) : NULL;

		if (!e || *e)
			return aksk_fail(res, 401, "ModelArts.0208",
							 "X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ");
	}
	when = timegm(&tm);
	if (when < now - cfg.max_skew || when > now + cfg.max_skew)
	{
		char		msg[200];

		snprintf(msg, sizeof(msg),
				 "X-Sdk-Date %s is %+lld s from the server's clock, beyond the allowed clock skew of %ld s",
				 date, (long long) (when - now), cfg.max_skew);
		return aksk_fail(res, 401, "ModelArts.0211", msg);
	}

	for (tok = strtok_r(signed_hdrs, ";", &save); tok && nnames < 32;
		 tok = strtok_r(NULL, ";", &save))
	{
		for (char *c = tok; *c; c++)
			*c = (char) tolower((unsigned char) *c);
		names[nnames++] = tok;
		has_host |= strcmp(tok, "host") == 0;
		has_date |= strcmp(tok, "x-sdk-date") == 0;
	}
	if (!has_host || !has_date)
		return aksk_fail(res, 401, "ModelArts.0208",
						 "SignedHeaders must include host and x-sdk-date");
	qsort(names, nnames, sizeof(char *), str_cmp);

	buf_init(&cr, 512);
	buf_puts(&cr, method);
	buf_putc(&cr, '\n');
	canonical_target(&cr, raw_uri);
	buf_putc(&cr, '\n');
	for (int i = 0; i < nnames; i++)
	{
		const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, names[i]);
		size_t		len;

		if (!v)
		{
			char		msg[200];

			buf_free(&cr);
			snprintf(msg, sizeof(msg), "signed header \"%s\" is not in the request", names[i]);
			return aksk_fail(res, 401, "ModelArts.0208", msg);
		}
		while (*v == ' ' || *v == '\t')
			v++;
		len = strlen(v);
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		buf_puts(&cr, names[i]);
		buf_putc(&cr, ':');
		buf_put(&cr, v, len);
		buf_putc(&cr, '\n');
	}
	buf_putc(&cr, '\n');
	for (int i = 0; i < nnames; i++)
	{
		if (i)
			buf_putc(&cr, ';');
		buf_puts(&cr, names[i]);
	}
	buf_putc(&cr, '\n');
	sha256_hex(body ? body : "", body_len, hexbuf);
	buf_puts(&cr, hexbuf);

	buf_init(&sts, 256);
	buf_puts(&sts, "SDK-HMAC-SHA256\n");
	buf_puts(&sts, date);
	buf_putc(&sts, '\n');
	sha256_hex(cr.data, cr.len, hexbuf);
	buf_puts(&sts, hexbuf);

	HMAC(EVP_sha256(), cfg.sk, (int) strlen(cfg.sk),
		 (const unsigned char *) sts.data, sts.len, mac, &maclen);
	for (int i = 0; i < 32; i++)
		sprintf(expect + 2 * i, "%02x", mac[i]);

	if (strlen(signature) != 64 || CRYPTO_memcmp(expect, signature, 64) != 0)
	{
		res->status = 401;
		res->code = "ModelArts.0211";
		snprintf(res->msg, sizeof(res->msg),
				 "the signature does not match; the emulator's canonical request was:\n%.900s",
				 cr.data);
	}
	buf_free(&cr);
	buf_free(&sts);
}
