# Token authentication (auth_token): a token IAM issued is sent as
# X-Auth-Token and accepted; an unknown one fails with a clear error that does
# not repeat it; the validator refuses a mix of modes and CR/LF in values;
# EXPLAIN VERBOSE does not show the token.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;

my $db = fdw_db('tap_auth_token');
my $emu = start_emu('--data', sample_file(), '--auth', 'token', '--user', 'tok-user',
	'--password', 'Tok-Pass-7f3e1c', '--domain', 'acme',
	'--access-log', tmpdir() . '/110.log');
record_secret('Tok-Pass-7f3e1c');

# a token from the emulator's IAM, as a user would get one from Huawei Cloud
my $res = iam_token($emu, 'tok-user', 'Tok-Pass-7f3e1c', 'acme');
is($res->{status}, 201, 'got a token from the emulator');
my $token = $res->{headers}{'x-subject-token'};
record_secret($token);

setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (auth_token '$token')");

# success: exactly the images the data file says carry "cat" in job 282
my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my $want = join(',', @{ expected_ids($job, 'cat') });
my $got = psql_ok($db, "SELECT string_agg(image_id, ',' ORDER BY image_id) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'");
is($got, $want, 'token: the rows of tag "cat" (' . scalar(@{ expected_ids($job, 'cat') }) . ' images)');

# EXPLAIN VERBOSE shows the request, never the token
my $explain = psql_ok($db, "EXPLAIN (VERBOSE, ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'");
like($explain, qr/Remote request/, 'EXPLAIN VERBOSE shows the remote request');
unlike($explain, qr/\Q$token\E/, 'EXPLAIN VERBOSE does not show the token');

# an unknown token: the API's 401, a hint at the option, the token not shown
my $bad = 'MIIemu' . ('5a' x 48);
record_secret($bad);
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET auth_token '$bad')");
my $err = psql_fails($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282");
like($err, qr/ERROR:  HV000: auth_token refused: ModelArts answered HTTP 401, ModelArts\.0203\nDETAIL:  the token is invalid/, 'unknown token: "auth_token refused", 401 ModelArts.0203');
like($err, qr/HINT:  Check the auth_token option of the user mapping/, 'unknown token: hint names the option');
unlike($err, qr/\Q$bad\E/, 'unknown token: not in the error');
unlike($err, qr/MIIemu[0-9a-f]{16}/, 'unknown token: no token-like string in the error');

# no token at all against a server that wants one
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (DROP auth_token)");
$err = psql_fails($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282");
like($err, qr/ERROR:  HV000: ModelArts API error: HTTP 401, ModelArts\.0201\n.*HINT:  The user mapping has no credentials/s, 'no credentials: 401 ModelArts.0201, hint at the options');

# back to the good token: the cache entry follows the mapping
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (ADD auth_token '$token')");
is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'"),
	scalar(@{ expected_ids($job, 'cat') }), 'good token again: works');

# the validator: one mode per mapping, no CR/LF, no empty secrets
$err = psql_fails($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (ADD access_key 'AK1', ADD secret_key 'sk-mix-31d7')");
like($err, qr/ERROR:  HV00D: a user mapping may use only one authentication mode/, 'token + AK/SK refused');
$err = psql_fails($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (ADD user_name 'u')");
like($err, qr/only one authentication mode/, 'token + user_name refused');
$err = psql_fails($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET auth_token E'abc\\r\\nX-Injected: 1')");
like($err, qr/invalid value for option "auth_token"\n.*carriage return or a line feed/s, 'CR/LF in auth_token refused');
unlike($err, qr/X-Injected/, 'the refused value is not repeated');
$err = psql_fails($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET auth_token '')");
like($err, qr/option "auth_token" must not be empty/, 'empty auth_token refused');

# one request per stream, and a 401 in token mode is not retried: there is
# nothing to renew (a scan without tag_name reads two streams, the tagged
# and the untagged images, asked for side by side; the log is sorted, as
# their answers come in either order)
my @log = sort map { s{/v1/\w+/data-annotations/}{/v1/P/da/}r } grep { m{^GET } } access_log_lines(tmpdir() . '/110.log');
is_deeply(\@log, [ sort
	'GET /v1/P/da/282/images?tag_name=cat&per_page=100&page=1 200',
	'GET /v1/P/da/282/images?tag_name=cat&per_page=100&page=1 200',
	'GET /v1/P/da/282/images?per_page=100&page=1 401',
	'GET /v1/P/da/282/images?tag_name=__none__&per_page=100&page=1 401',
	'GET /v1/P/da/282/images?per_page=100&page=1 401',
	'GET /v1/P/da/282/images?tag_name=__none__&per_page=100&page=1 401',
	'GET /v1/P/da/282/images?tag_name=cat&per_page=100&page=1 200',
], 'the requests the emulator saw') or diag(join("\n", @log));

stop_emu($emu);
drop_db($db);
done_testing();
