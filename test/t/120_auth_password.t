# Password authentication (user_name, password, domain_name): the FDW gets a
# token from IAM, caches it per user mapping in the backend, renews it when it
# is about to expire or when the API says it is no longer valid, and drops it
# when the user mapping or the server changes.  Every IAM request is counted
# in the emulator's access log.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time);

my $PW = 'Pw-Secret-9a4b2e';
record_secret($PW, 'Wrong-Pw-55c0d1');

my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my $n_cat = scalar @{ expected_ids($job, 'cat') };
my $n_all = scalar @{ $job->{images} };

my $db = fdw_db('tap_auth_password');
my $log = tmpdir() . '/120.log';
my @emu_args = ('--data', sample_file(), '--auth', 'token', '--user', 'pw-user',
	'--password', $PW, '--domain', 'acme', '--region', 'cn-north-4', '--access-log', $log);
my $emu = start_emu(@emu_args);

# the requests logged since the last call, project ID masked
my $seen = 0;
sub new_requests {
	my @l = access_log_lines($log);
	my @new = @l[$seen .. $#l];
	$seen = @l;
	return [ map { s{/v1/\w{32}/data-annotations/}{/v1/P/da/}r } @new ];
}

setup_fdw($db, endpoint => $emu->{base}, iam_endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (user_name 'pw-user', password '$PW', domain_name 'acme')");

my $q_cat = "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'";
my $get_cat = 'GET /v1/P/da/282/images?tag_name=cat&per_page=100&page=1 200';
my $post = 'POST /v3/auth/tokens 201';

# one session: the token is got once and reused; ALTER USER MAPPING and
# ALTER SERVER each drop it, so the next query asks IAM again
my $s = session_open($db);
my ($out, $err) = session_run($s, "$q_cat; $q_cat;");
is($out, "$n_cat\n$n_cat", 'password: two queries answer');
is($err, '', 'password: no error');
is_deeply(new_requests(), [ $post, $get_cat, $get_cat ], 'token got once, reused by the second query');

($out, $err) = session_run($s, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET password '$PW'); $q_cat;");
is($out, $n_cat, 'after ALTER USER MAPPING: answers');
is_deeply(new_requests(), [ $post, $get_cat ], 'ALTER USER MAPPING dropped the cached token: new IAM request');

($out, $err) = session_run($s, "ALTER SERVER ma OPTIONS (ADD request_timeout '30'); $q_cat;");
is($out, $n_cat, 'after ALTER SERVER: answers');
is_deeply(new_requests(), [ $post, $get_cat ], 'ALTER SERVER dropped the cached token: new IAM request');

# the emulator restarts on the same port and forgets every token it issued:
# the cached token is now unknown (401 ModelArts.0203), so the FDW gets a new
# one and repeats the request, once, and the query does not fail
stop_emu($emu);
$emu = start_emu(@emu_args, '--port', $emu->{port});
$seen = 0;
($out, $err) = session_run($s, $q_cat);
is($out, $n_cat, 'token unknown after an emulator restart: the query still answers');
is($err, '', 'token unknown after an emulator restart: no error');
is_deeply(new_requests(), [ 'GET /v1/P/da/282/images?tag_name=cat&per_page=100&page=1 401', $post, $get_cat ],
	'401 with the cached token: one new token, one retry');

# EXPLAIN ANALYZE counts the retry
($out) = session_run($s, "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) $q_cat");
like($out, qr/Remote requests sent: 1\b/, 'EXPLAIN ANALYZE: one request sent (the cached token is good)');
new_requests();
session_close($s);

# scope by project name (server option region) instead of project_id
psql_ok($db, "ALTER SERVER ma OPTIONS (ADD region 'cn-north-4')");
is(psql_ok($db, $q_cat), $n_cat, 'scope by region name: answers');
is_deeply(new_requests(), [ $post, $get_cat ], 'scope by region name: one IAM request');
psql_ok($db, "ALTER SERVER ma OPTIONS (SET region 'eu-west-0')");
$err = psql_fails($db, $q_cat);
like($err, qr/ERROR:  HV00N: IAM refused the password for user "pw-user"/, 'unknown region: IAM refuses');
like($err, qr/DETAIL:  IAM answered: IAM\.0002: no project named "eu-west-0"/, 'unknown region: IAM\'s reason in the detail');
psql_ok($db, "ALTER SERVER ma OPTIONS (DROP region)");

# wrong password: a clear error, no password, no token request retried
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET password 'Wrong-Pw-55c0d1')");
new_requests();
$err = psql_fails($db, $q_cat);
like($err, qr/ERROR:  HV00N: IAM refused the password for user "pw-user"/, 'wrong password: the error names the user');
like($err, qr/DETAIL:  IAM answered: IAM\.0001: the username or password is wrong/, 'wrong password: IAM\'s answer in the detail');
like($err, qr/HINT:  Check user_name, password and domain_name in the user mapping/, 'wrong password: hint');
like($err, qr{CONTEXT:  IAM request: POST \Q$emu->{base}\E/v3/auth/tokens}, 'wrong password: context names the IAM request');
unlike($err, qr/Wrong-Pw|\Q$PW\E/, 'wrong password: no password in the error');
is_deeply(new_requests(), [ 'POST /v3/auth/tokens 401' ], 'wrong password: one IAM request, no API request');

# wrong domain: the same refusal
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET password '$PW', SET domain_name 'other')");
like(psql_fails($db, $q_cat), qr/IAM refused the password for user "pw-user"/, 'wrong domain: refused');
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET domain_name 'acme')");

# the validator: all three options, and nothing of another mode
like(psql_fails($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (DROP domain_name)"),
	qr/option "domain_name" is required with password authentication/, 'password without domain_name refused');
like(psql_fails($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (ADD auth_token 'abc')"),
	qr/a user mapping may use only one authentication mode/, 'password + auth_token refused');
stop_emu($emu);

# a token that expires in the middle of a long scan: tokens live 1 s, each
# answer takes 250 ms, pages of 20 images, two in flight; the scan of job
# 282 needs 13 pages, so it outlives the first token (several requests in
# flight carry it when it expires: one new token serves them all), and
# still returns every image
$emu = start_emu(@emu_args, '--token-ttl', '1', '--latency-ms', '250');
$seen = 0;
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$emu->{base}', SET iam_endpoint '$emu->{base}', ADD page_size '20', ADD requests_in_flight '2')");
my $t0 = time;
($out) = psql_ok($db, "SELECT count(DISTINCT image_id) || ' ' || count(*) FILTER (WHERE tag_name IS NULL) FROM images WHERE data_annotation_id = 282");
my $elapsed = time - $t0;
my $untagged = $n_all - scalar @{ expected_ids($job, undef) };
is($out, "$n_all $untagged", "long scan across token expiry: all $n_all images, $untagged untagged");
my $reqs = new_requests();
my $n_post = grep { m{^POST /v3/auth/tokens 201$} } @$reqs;
my $n_401 = grep { m{^GET .* 401$} } @$reqs;
my $n_get200 = grep { m{^GET .* 200$} } @$reqs;
cmp_ok($n_post, '>=', 2, 'long scan: the token was renewed during the scan (extra IAM request in the log)');
cmp_ok($n_post, '<=', int($elapsed) + 2, 'long scan: one new token per expiry, not one per request in flight');
is($n_get200, 13, 'long scan: 13 pages answered, none lost');
diag(sprintf('long scan: %.1f s, %d IAM requests, %d pages, %d answered 401 and were retried',
	$elapsed, $n_post, $n_get200, $n_401));
stop_emu($emu);

drop_db($db);
done_testing();
