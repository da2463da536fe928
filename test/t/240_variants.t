# The FDW under the error variants of the service (the emulator's
# --variant gateway-errors and modern-codes; the variants that change rows
# are test/differential.sh's):
# - gateway-errors: with password authentication, a 401 of the API gateway
#   renews the IAM token as ModelArts' own 401 does: APIG.0307 (a token that
#   expired in the middle of a scan, before the expires_at IAM gave) and
#   APIG.0301 (a token the service no longer knows); the query returns every
#   row;
# - modern-codes: a missing job (400 ModelArts.4338) is the same error as
#   the 404 ModelArts.0102 (the same primary message, saying "does not
#   exist"), for each kind of table; a 429 ModelArts.4395 is retried as
#   ModelArts.0114 is.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time);

my $P = project_id();
my $PW = 'Pw-Secret-240-7c1d';
record_secret($PW);
my $crashes = backend_crashes();

my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my $n_all = scalar @{ $job->{images} };
my $n_untagged = $n_all - scalar @{ expected_ids($job, undef) };
my $n_cat = scalar @{ expected_ids($job, 'cat') };

my $db = fdw_db('tap_variants');
my $log = tmpdir() . '/240.log';

# the requests logged since the last call, project ID masked
my $seen = 0;
sub new_requests {
	my @l = access_log_lines($log);
	my @new = @l[$seen .. $#l];
	$seen = @l;
	return [ map { s{/v1/\w{32}/data-annotations/}{/v1/P/da/}r } @new ];
}

# the primary message of an error report, SQLSTATE first ('' if none)
sub errmsg {
	my ($err) = @_;
	return $err =~ /^(?:psql:[^\n]*?:\d+: )?ERROR:  (.*)$/m ? $1 : '';
}

# ---- gateway-errors: a 401 APIG.* renews the token ----
{
	my @emu_args = ('--data', sample_file(), '--variant', 'gateway-errors', '--auth', 'token',
		'--user', 'pw-user', '--password', $PW, '--domain', 'acme', '--access-log', $log);
	my $emu = start_emu(@emu_args);
	setup_fdw($db, endpoint => $emu->{base}, iam_endpoint => $emu->{base});
	psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (user_name 'pw-user', password '$PW', domain_name 'acme')");
	my $q_cat = "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'";
	my $get_cat = 'GET /v1/P/da/282/images?tag_name=cat&per_page=100&page=1';
	my $post = 'POST /v3/auth/tokens 201';

	my $s = session_open($db);
	my ($out, $err) = session_run($s, $q_cat);
	is("$out|$err", "$n_cat|", 'gateway-errors: a query answers');
	is_deeply(new_requests(), [ $post, "$get_cat 200" ], 'gateway-errors: one token, one request');

	# the emulator restarts on the same port and forgets its tokens: the
	# cached one is now unknown, which the gateway answers 401 APIG.0301
	stop_emu($emu);
	$emu = start_emu(@emu_args, '--port', $emu->{port});
	$seen = 0;
	($out, $err) = session_run($s, $q_cat);
	is("$out|$err", "$n_cat|", 'APIG.0301 (a token the service does not know): the query still answers');
	is_deeply(new_requests(), [ "$get_cat 401", $post, "$get_cat 200" ],
		'APIG.0301: one new token, the request repeated once');
	session_close($s);
	stop_emu($emu);

	# a token that dies in the middle of a scan while the FDW still trusts
	# it: IAM's expires_at says a day (--token-claimed-ttl), the token lives
	# 1 s; each answer takes 250 ms, pages of 20, two in flight: 13 pages,
	# well over a second, so requests with the dead token come back 401
	# APIG.0307, and each time one new token serves them all
	$emu = start_emu(@emu_args, '--token-ttl', '1', '--token-claimed-ttl', '86400',
		'--latency-ms', '250');
	$seen = 0;
	psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$emu->{base}', SET iam_endpoint '$emu->{base}', ADD page_size '20', ADD requests_in_flight '2')");
	my $t0 = time;
	my ($rc, $sout, $serr) = psql($db, "SELECT count(DISTINCT image_id) || ' ' || count(*) FILTER (WHERE tag_name IS NULL) FROM images WHERE data_annotation_id = 282");
	my $elapsed = time - $t0;
	is("$sout|" . errmsg($serr), "$n_all $n_untagged|",
		"APIG.0307 (a token dead mid-scan): all $n_all images, $n_untagged untagged, no error");
	my $reqs = new_requests();
	my $n_post = grep { m{^POST /v3/auth/tokens 201$} } @$reqs;
	my $n_401 = grep { m{^GET .* 401$} } @$reqs;
	my $n_200 = grep { m{^GET .* 200$} } @$reqs;
	cmp_ok($n_401, '>=', 1, "APIG.0307: requests were refused with the dead token ($n_401)");
	cmp_ok($n_post, '>=', 2, "APIG.0307: the token was renewed during the scan ($n_post IAM requests)");
	cmp_ok($n_post, '<=', int($elapsed) + 2, 'APIG.0307: one new token per expiry, not one per request refused');
	is($n_200, 13, 'APIG.0307: 11 pages of the tagged stream and 2 of the untagged answered, none lost');
	diag(sprintf('APIG.0307: %.1f s, %d IAM requests, %d answered, %d refused 401 and repeated',
		$elapsed, $n_post, $n_200, $n_401));
	stop_emu($emu);
	psql_ok($db, 'DROP SERVER ma CASCADE');
}

# ---- modern-codes: a missing job, a 429 ----
{
	my $def = start_emu('--data', sample_file());
	my $mod = start_emu('--data', sample_file(), '--variant', 'modern-codes');
	my $tables = '';
	for my $e ([ 'legacy', $def ], [ 'modern', $mod ]) {
		my ($name, $emu) = @$e;
		$tables .= <<SQL;
CREATE SERVER $name FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$emu->{base}', project_id '$P', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER $name;
CREATE SCHEMA $name;
CREATE FOREIGN TABLE $name.images (data_annotation_id bigint, image_id text, tag_name text)
  SERVER $name OPTIONS (resource 'images');
CREATE FOREIGN TABLE $name.projects (data_annotation_id bigint, project_name text, image_count bigint)
  SERVER $name OPTIONS (resource 'projects');
CREATE FOREIGN TABLE $name.versions (data_annotation_id bigint, version_id text)
  SERVER $name OPTIONS (resource 'versions');
CREATE FOREIGN TABLE $name.tags (data_annotation_id bigint, tag_name text, image_count bigint)
  SERVER $name OPTIONS (resource 'tags');
SQL
	}
	psql_ok($db, $tables);
	for my $q ('SELECT * FROM %s.images WHERE data_annotation_id = 999',
		"SELECT * FROM %s.images WHERE data_annotation_id = 999 AND tag_name = 'cat'",
		'SELECT project_name FROM %s.projects WHERE data_annotation_id = 999',
		'SELECT image_count FROM %s.projects WHERE data_annotation_id = 999',
		'SELECT * FROM %s.versions WHERE data_annotation_id = 999',
		'SELECT * FROM %s.tags WHERE data_annotation_id = 999') {
		my ($rc_l, $out_l, $err_l) = psql($db, sprintf($q, 'legacy'));
		my ($rc_m, $out_m, $err_m) = psql($db, sprintf($q, 'modern'));
		my ($msg_l, $msg_m) = (errmsg($err_l), errmsg($err_m));
		my $what = sprintf($q, 'S');
		like($msg_l, qr/does not exist/, "404 ModelArts.0102, $what: \"does not exist\" ($msg_l)");
		like($msg_m, qr/does not exist/, "400 ModelArts.4338, $what: \"does not exist\" ($msg_m)");
		is($msg_m, $msg_l, "$what: the same error (SQLSTATE and message) for 400 ModelArts.4338 as for 404");
	}
	stop_emu($_) for $def, $mod;
	psql_ok($db, 'DROP SERVER legacy CASCADE; DROP SERVER modern CASCADE');

	# 429: every second request of job 282 is refused, Retry-After 0; the
	# FDW retries ModelArts.4395 as it retries ModelArts.0114: the same
	# rows, the same requests
	my %got;
	for my $v ([ 'ModelArts.0114', () ], [ 'ModelArts.4395', '--variant', 'modern-codes' ]) {
		my ($code, @variant) = @$v;
		my $emu = start_emu('--data', sample_file(), '--access-log', $log, @variant,
			'--fault', '429:2:0@/data-annotations/282/');
		$seen = 0;
		setup_fdw($db, endpoint => $emu->{base}, page_size => '20', requests_in_flight => '1');
		psql_ok($db, 'CREATE USER MAPPING FOR CURRENT_USER SERVER ma');
		my ($rc, $out, $err) = psql($db, "SELECT count(DISTINCT image_id) || ' ' || count(*) FROM images WHERE data_annotation_id = 282");
		my $reqs = new_requests();
		$got{$code} = [ $out, $reqs ];
		my $n_429 = grep { / 429$/ } @$reqs;
		is(errmsg($err), '', "429 $code: no error");
		cmp_ok($n_429, '>=', 5, "429 $code: requests were refused ($n_429) and retried");
		stop_emu($emu);
		psql_ok($db, 'DROP SERVER ma CASCADE');
	}
	is($got{'ModelArts.4395'}[0], $got{'ModelArts.0114'}[0], '429 ModelArts.4395: the same rows as ModelArts.0114 ('
		. $got{'ModelArts.0114'}[0] . ')');
	like($got{'ModelArts.4395'}[0], qr/^$n_all \d+$/, "429: all $n_all images");
	is_deeply($got{'ModelArts.4395'}[1], $got{'ModelArts.0114'}[1], '429 ModelArts.4395: the same requests as ModelArts.0114');
}

is(backend_crashes(), $crashes, 'no backend crashed');
drop_db($db);
done_testing();
