/*
 * main.c
 *		Command line, dataset loading, listening socket and signal handling
 *		of modelarts-emulator.
 *
 * The listening socket is bound here rather than by libmicrohttpd so that
 * --port 0 can report the port the kernel picked: it is printed alone on the
 * first line of stdout, which is how test harnesses learn where to connect.
 * Refused input (flags, data file, generator spec) exits with status 2.
 *
 * Besides the contract's defaults, flags make the emulator serve the
 * plausible variants of the real service that the contract lists, so that
 * tests can prove the FDW gives the same rows, or stops, under each:
 * --variant NAME (repeatable, or NAME,NAME...) switches one on for every
 * endpoint it concerns:
 *   no-totals            no image_count, no job_total_count (= --count absent)
 *   page-totals          they count this page's items (= --count page)
 *   listing-offset-0     annotation-jobs offset counts from 0 (= --listing-base 0)
 *   repeat-past-end      past the end, the last page again (= --past-end repeat)
 *   size-detection-only  classification images carry no "size"
 *   string-fields        the listing's create_time as "2019-08-05 10:13:20"
 *                        (UTC) and its progress_detail counts as strings
 *   gateway-errors       every 401 of the API as the gateway answers it:
 *                        APIG.0301 (APIG.0307 for an expired token), with a
 *                        request_id and no is_success
 *   all-includes-unlabeled  v2's sample_state=__ALL__ answers every sample,
 *                        unlabeled ones too (the contract: labeled only)
 *   modern-codes         a missing job is 400 ModelArts.4338, the 429 fault
 *                        ModelArts.4395
 *   stats-count-boxes    tags/stats' per-tag "count" counts a detection
 *                        job's boxes, not the images carrying the tag
 * The older flags (--count, --listing-base, --past-end) stay, and so does
 * one misbehaving server (--ignore-page).  --fault adds failures and hostile
 * answers (see server.c).  usage() below is the reference for every flag;
 * keep the two, and the README's emulator section, in step.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "emulator.h"

static void
usage(FILE *f)
{
	fprintf(f,
			"Usage: modelarts-emulator (--data FILE | --generate SPEC) [options]\n"
			"\n"
			"Serves the ModelArts v1 labeling API on 127.0.0.1.\n"
			"\n"
			"  --data FILE           dataset {\"project_id\": HEX32, \"jobs\": [...]}\n"
			"  --generate SPEC       seed=1,jobs=1,images=1000,tags=10,untagged=0.1,detection=0,boxes=3\n"
			"  --port N              port to listen on; 0 (default) picks one; printed on stdout\n"
			"  --latency-ms N        delay every API answer by N ms\n"
			"  --access-log FILE     one line per API request: METHOD TARGET STATUS BYTES\n"
			"  --fault KIND:EVERY[:ARG][@SUBSTRING]   repeatable; fires on every EVERY-th\n"
			"                        API request whose PATH?QUERY contains SUBSTRING.  KIND:\n"
			"                          429 (ARG: Retry-After seconds, 1), 500, 502, 503, 504,\n"
			"                          stall (ARG: ms, 1000), truncate, badjson, close, shape,\n"
			"                          uglymsg (400, error_msg of 5,000 characters with ANSI\n"
			"                          escapes, control characters and invalid UTF-8),\n"
			"                          shortlen (Content-Length ARG bytes short, default 1,\n"
			"                          the whole body sent);\n"
			"                        on an images answer only (other requests unchanged):\n"
			"                          badutf8 (ff fe c3 28 in the first image's image_name\n"
			"                          and first tag), nul (image_name \"abc\\u0000def\"),\n"
			"                          nulraw (a raw NUL byte in image_name), tagstype (the\n"
			"                          first image's tags is ARG: number 5 (default), string\n"
			"                          \"a\" or object {}), sizetype (its size \"1920x1080\"),\n"
			"                          shortpage (half the page, image_count the total)\n"
			"  --auth none|token|aksk\n"
			"  --user U --password P --domain D   IAM credentials (token mode)\n"
			"  --region NAME         project name accepted in token scope (cn-north-4)\n"
			"  --token-ttl SECONDS   token lifetime (86400)\n"
			"  --token-claimed-ttl SECONDS   the lifetime the token's expires_at claims\n"
			"                        (default: --token-ttl); longer: tokens die before a\n"
			"                        client expects it\n"
			"  --ak AK --sk SK       access key pair (aksk mode)\n"
			"  --max-skew SECONDS    allowed X-Sdk-Date skew (900)\n"
			"  --tls-cert FILE --tls-key FILE   serve HTTPS with this PEM certificate\n"
			"                        (chain) and key instead of HTTP\n"
			"\n"
			"Variants of the service:\n"
			"  --variant NAME[,NAME...]   repeatable; NAME is one of\n"
			"                        no-totals (= --count absent), page-totals (= --count page),\n"
			"                        listing-offset-0 (= --listing-base 0),\n"
			"                        repeat-past-end (= --past-end repeat),\n"
			"                        size-detection-only (no size on classification images),\n"
			"                        string-fields (listing create_time \"2019-08-05 10:13:20\"\n"
			"                        UTC, its counts as strings), gateway-errors (every 401\n"
			"                        as APIG.0301, an expired token APIG.0307, with request_id),\n"
			"                        modern-codes (a missing job 400 ModelArts.4338, the 429\n"
			"                        fault ModelArts.4395), all-includes-unlabeled (v2's\n"
			"                        sample_state=__ALL__ answers unlabeled samples too),\n"
			"                        stats-count-boxes (tags/stats counts a detection job's\n"
			"                        boxes per tag, not its images)\n"
			"  The same one at a time (the contract's default first):\n"
			"  --count total|absent|page   image_count and job_total_count: the\n"
			"                        filter's total, left out, or the items on this page\n"
			"  --listing-base 1|0    annotation-jobs offset of the first page\n"
			"  --past-end empty|repeat     a page past the last: an empty list, or\n"
			"                        the last non-empty page again\n"
			"  --ignore-page         misbehave: images ignores page and annotation-jobs\n"
			"                        ignores offset (the first page, forever)\n"
			"  --help\n");
}

static bool
int_arg(const char *opt, const char *s, long min, long max, long *out)
{
	char	   *e;

	errno = 0;
	*out = strtol(s, &e, 10);
	if (e == s || *e || errno || *out < min || *out > max)
	{
		fprintf(stderr, "modelarts-emulator: %s: expected an integer from %ld to %ld, got \"%s\"\n",
				opt, min, max, s);
		return false;
	}
	return true;
}

static const char *const variant_names[] = {
	"no-totals", "page-totals", "listing-offset-0", "repeat-past-end",
	"size-detection-only", "string-fields", "gateway-errors", "modern-codes",
	"all-includes-unlabeled", "stats-count-boxes", NULL
};

/*
 * --variant NAME[,NAME...]: switch each variant on.  *count_variant keeps
 * the count variant asked for so far (NULL: none), since no-totals and
 * page-totals exclude each other.
 */
static bool
variant_arg(const char *arg, const char **count_variant)
{
	char	   *copy = strdup(arg),
			   *save = NULL,
			   *name;
	int			n = 0;

	for (name = strtok_r(copy, ",", &save); name;
		 name = strtok_r(NULL, ",", &save))
	{
		int			i;

		n++;
		for (i = 0; variant_names[i]; i++)
			if (strcmp(name, variant_names[i]) == 0)
				break;
		if (!variant_names[i])
		{
			fprintf(stderr, "modelarts-emulator: --variant: unknown variant \"%s\" (valid:", name);
			for (int j = 0; variant_names[j]; j++)
				fprintf(stderr, "%s %s", j ? "," : "", variant_names[j]);
			fprintf(stderr, ")\n");
			free(copy);
			return false;
		}
		if (strcmp(name, "no-totals") == 0 || strcmp(name, "page-totals") == 0)
		{
			if (*count_variant && strcmp(*count_variant, name) != 0)
			{
				fprintf(stderr, "modelarts-emulator: --variant: no-totals and page-totals exclude each other\n");
				free(copy);
				return false;
			}
			*count_variant = variant_names[i];
			cfg.count = name[0] == 'n' ? COUNT_ABSENT : COUNT_PAGE;
		}
		else if (strcmp(name, "listing-offset-0") == 0)
			cfg.listing_base = 0;
		else if (strcmp(name, "repeat-past-end") == 0)
			cfg.past_end = PAST_END_REPEAT;
		else if (strcmp(name, "size-detection-only") == 0)
			cfg.size_detection_only = true;
		else if (strcmp(name, "string-fields") == 0)
			cfg.string_fields = true;
		else if (strcmp(name, "gateway-errors") == 0)
			cfg.gateway_errors = true;
		else if (strcmp(name, "all-includes-unlabeled") == 0)
			cfg.all_includes_unlabeled = true;
		else if (strcmp(name, "stats-count-boxes") == 0)
			cfg.stats_count_boxes = true;
		else
			cfg.modern_codes = true;
	}
	free(copy);
	if (n == 0)
	{
		fprintf(stderr, "modelarts-emulator: --variant: expected a variant name, got \"%s\"\n", arg);
		return false;
	}
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, NULL, 'd'},
		{"generate", required_argument, NULL, 'g'},
		{"port", required_argument, NULL, 'p'},
		{"latency-ms", required_argument, NULL, 'l'},
		{"access-log", required_argument, NULL, 'L'},
		{"fault", required_argument, NULL, 'f'},
		{"auth", required_argument, NULL, 'a'},
		{"user", required_argument, NULL, 'u'},
		{"password", required_argument, NULL, 'P'},
		{"domain", required_argument, NULL, 'D'},
		{"region", required_argument, NULL, 'r'},
		{"token-ttl", required_argument, NULL, 't'},
		{"token-claimed-ttl", required_argument, NULL, 'T'},
		{"ak", required_argument, NULL, 'A'},
		{"sk", required_argument, NULL, 'S'},
		{"max-skew", required_argument, NULL, 'k'},
		{"tls-cert", required_argument, NULL, 'C'},
		{"tls-key", required_argument, NULL, 'K'},
		{"count", required_argument, NULL, 'c'},
		{"listing-base", required_argument, NULL, 'b'},
		{"past-end", required_argument, NULL, 'e'},
		{"ignore-page", no_argument, NULL, 'i'},
		{"variant", required_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;
	long		v;
	const char *count_variant = NULL;
	char		err[1024];
	struct timespec t0,
				t1;
	sigset_t	sigs;
	int			sig,
				fd,
				one = 1,
				rc;
	struct sockaddr_in addr;
	socklen_t	alen = sizeof(addr);

	cfg.token_ttl = 86400;
	cfg.token_claimed_ttl = -1;
	cfg.max_skew = 900;
	cfg.auth = AUTH_NONE;
	cfg.past_end = PAST_END_EMPTY;
	cfg.count = COUNT_TOTAL;
	cfg.listing_base = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd':
				cfg.data_file = optarg;
				break;
			case 'g':
				cfg.generate = optarg;
				break;
			case 'p':
				if (!int_arg("--port", optarg, 0, 65535, &v))
					return EXIT_BADINPUT;
				cfg.port = (int) v;
				break;
			case 'l':
				if (!int_arg("--latency-ms", optarg, 0, 3600000, &v))
					return EXIT_BADINPUT;
				cfg.latency_ms = (int) v;
				break;
			case 'L':
				cfg.access_log = optarg;
				break;
			case 'f':
				cfg.faults = realloc(cfg.faults, (cfg.nfaults + 1) * sizeof(Fault));
				if (!fault_parse(optarg, &cfg.faults[cfg.nfaults], err, sizeof(err)))
				{
					fprintf(stderr, "modelarts-emulator: %s\n", err);
					return EXIT_BADINPUT;
				}
				cfg.nfaults++;
				break;
			case 'a':
				if (strcmp(optarg, "none") == 0)
					cfg.auth = AUTH_NONE;
				else if (strcmp(optarg, "token") == 0)
					cfg.auth = AUTH_TOKEN;
				else if (strcmp(optarg, "aksk") == 0)
					cfg.auth = AUTH_AKSK;
				else
				{
					fprintf(stderr, "modelarts-emulator: --auth: expected none, token or aksk, got \"%s\"\n", optarg);
					return EXIT_BADINPUT;
				}
				break;
			case 'u':
				cfg.user = optarg;
				break;
			case 'P':
				cfg.password = optarg;
				break;
			case 'D':
				cfg.domain = optarg;
				break;
			case 'r':
				cfg.region = optarg;
				break;
			case 't':
				if (!int_arg("--token-ttl", optarg, 0, 100L * 365 * 86400, &v))
					return EXIT_BADINPUT;
				cfg.token_ttl = v;
				break;
			case 'T':
				if (!int_arg("--token-claimed-ttl", optarg, 0, 100L * 365 * 86400, &v))
					return EXIT_BADINPUT;
				cfg.token_claimed_ttl = v;
				break;
			case 'A':
				cfg.ak = optarg;
				break;
			case 'S':
				cfg.sk = optarg;
				break;
			case 'k':
				if (!int_arg("--max-skew", optarg, 0, 100L * 365 * 86400, &v))
					return EXIT_BADINPUT;
				cfg.max_skew = v;
				break;
			case 'C':
				cfg.tls_cert = optarg;
				break;
			case 'K':
				cfg.tls_key = optarg;
				break;
			case 'c':
				if (strcmp(optarg, "total") == 0)
					cfg.count = COUNT_TOTAL;
				else if (strcmp(optarg, "absent") == 0)
					cfg.count = COUNT_ABSENT;
				else if (strcmp(optarg, "page") == 0)
					cfg.count = COUNT_PAGE;
				else
				{
					fprintf(stderr, "modelarts-emulator: --count: expected total, absent or page, got \"%s\"\n", optarg);
					return EXIT_BADINPUT;
				}
				break;
			case 'b':
				if (strcmp(optarg, "1") == 0)
					cfg.listing_base = 1;
				else if (strcmp(optarg, "0") == 0)
					cfg.listing_base = 0;
				else
				{
					fprintf(stderr, "modelarts-emulator: --listing-base: expected 1 or 0, got \"%s\"\n", optarg);
					return EXIT_BADINPUT;
				}
				break;
			case 'e':
				if (strcmp(optarg, "empty") == 0)
					cfg.past_end = PAST_END_EMPTY;
				else if (strcmp(optarg, "repeat") == 0)
					cfg.past_end = PAST_END_REPEAT;
				else
				{
					fprintf(stderr, "modelarts-emulator: --past-end: expected empty or repeat, got \"%s\"\n", optarg);
					return EXIT_BADINPUT;
				}
				break;
			case 'i':
				cfg.ignore_page = true;
				break;
			case 'V':
				if (!variant_arg(optarg, &count_variant))
					return EXIT_BADINPUT;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return EXIT_BADINPUT;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "modelarts-emulator: unexpected argument \"%s\"\n", argv[optind]);
		return EXIT_BADINPUT;
	}
	if (!cfg.data_file == !cfg.generate)
	{
		fprintf(stderr, "modelarts-emulator: give exactly one of --data FILE and --generate SPEC\n");
		usage(stderr);
		return EXIT_BADINPUT;
	}
	if (cfg.auth == AUTH_TOKEN && (!cfg.user || !cfg.password))
	{
		fprintf(stderr, "modelarts-emulator: --auth token needs --user and --password\n");
		return EXIT_BADINPUT;
	}
	if (!cfg.tls_cert != !cfg.tls_key)
	{
		fprintf(stderr, "modelarts-emulator: --tls-cert and --tls-key go together\n");
		return EXIT_BADINPUT;
	}
	if (cfg.auth == AUTH_AKSK && (!cfg.ak || !cfg.sk))
	{
		fprintf(stderr, "modelarts-emulator: --auth aksk needs --ak and --sk\n");
		return EXIT_BADINPUT;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cfg.data_file ? !dataset_load(&ds, cfg.data_file, err, sizeof(err))
		: !dataset_generate(&ds, cfg.generate, err, sizeof(err)))
	{
		fprintf(stderr, "%s\n", err);
		return EXIT_BADINPUT;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		unsigned long total = 0;

		for (int i = 0; i < ds.njobs; i++)
			total += ds.jobs[i].nimages;
		fprintf(stderr, "modelarts-emulator: loaded %d jobs, %lu images in %.3f s\n",
				ds.njobs, total,
				(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	}

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
	{
		perror("modelarts-emulator: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) cfg.port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(fd, 1024) != 0 ||
		getsockname(fd, (struct sockaddr *) &addr, &alen) != 0)
	{
		fprintf(stderr, "modelarts-emulator: cannot listen on 127.0.0.1:%d: %s\n",
				cfg.port, strerror(errno));
		return 1;
	}

	/* the server threads inherit this mask; only sigwait below sees them */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	auth_init();
	if ((rc = server_run(fd)) != 0)
		return rc;
	printf("%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0)
		;
	fprintf(stderr, "modelarts-emulator: signal %d, shutting down\n", sig);
	server_stop();
	dataset_free(&ds);
	for (int i = 0; i < cfg.nfaults; i++)
		free(cfg.faults[i].substring);
	free(cfg.faults);
	return 0;
}
