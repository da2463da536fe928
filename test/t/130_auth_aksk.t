# AK/SK signing (access_key, secret_key): requests signed with
# SDK-HMAC-SHA256 are accepted by the emulator, with tags that need
# percent-encoding too; a wrong secret key gives "signature rejected"; and
# the signature the FDW sends is recomputed here, independently (Perl for the
# canonical request, the openssl command line for SHA-256 and HMAC), from a
# request recorded by a plain socket listener.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Encode qw(encode_utf8);
use IPC::Run qw(run);
use Test::More;

my $AK = 'AKTEST0123456789ABCD';
my $SK = 'Sk-Secret-c81f6a0b9e2d';
my $BAD_SK = 'Sk-Wrong-44e1a7f3';
record_secret($SK, $BAD_SK);

my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my $db = fdw_db('tap_auth_aksk');
my $log = tmpdir() . '/130.log';
my $emu = start_emu('--data', sample_file(), '--auth', 'aksk', '--ak', $AK, '--sk', $SK,
	'--access-log', $log);

setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (access_key '$AK', secret_key '$SK')");

# every tag of job 282, the ones that need encoding included: the emulator
# checks each signature against the raw request target
for my $tag ('cat', 'black cat', 'a&per_page=1000', 'x#y', '100%', '猫') {
	my $want = join(',', @{ expected_ids($job, $tag) });
	my $lit = $tag =~ s/'/''/gr;
	my $got = psql_ok($db, "SELECT string_agg(image_id, ',' ORDER BY image_id) FROM images WHERE data_annotation_id = 282 AND tag_name = '$lit'");
	is($got, $want, encode_utf8("AK/SK: signed request for tag \"$tag\" accepted, exactly its rows"));
}
# several pages and both streams
psql_ok($db, "ALTER SERVER ma OPTIONS (ADD page_size '50')");
is(psql_ok($db, "SELECT count(DISTINCT image_id) FROM images WHERE data_annotation_id = 282"),
	scalar @{ $job->{images} }, 'AK/SK: a scan of several pages, every page signed');
my @log = access_log_lines($log);
is(scalar(grep { / 200$/ } @log), scalar(@log), 'AK/SK: the emulator accepted every request (' . scalar(@log) . ')');

# wrong secret key: the emulator's 401 ModelArts.0211, said plainly
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET secret_key '$BAD_SK')");
my $err = psql_fails($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'");
like($err, qr/ERROR:  HV000: signature rejected: check access_key and secret_key and the machine's clock/,
	'wrong secret_key: "signature rejected"');
like($err, qr/DETAIL:  ModelArts answered HTTP 401, ModelArts\.0211/, 'wrong secret_key: the API code in the detail');
unlike($err, qr/\Q$BAD_SK\E|\Q$SK\E/, 'wrong secret_key: no secret key in the error');
unlike($err, qr/Signature=|\b[0-9a-f]{64}\b(?<!e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855)/,
	'wrong secret_key: no signature in the error');

# wrong access key
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET secret_key '$SK', SET access_key 'AKNOTKNOWN')");
$err = psql_fails($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'");
like($err, qr/ERROR:  HV000: access key refused: check access_key and secret_key\n/, 'unknown access_key: "access key refused"');
like($err, qr/DETAIL:  ModelArts answered HTTP 401, ModelArts\.0208: unknown access key/, 'unknown access_key: the API\'s reason');
stop_emu($emu);

# ---- the signature, recomputed independently ----
sub openssl_hex {
	my ($in, @args) = @_;
	my ($out, $e) = ('', '');
	run([ 'openssl', 'dgst', '-sha256', @args ], \$in, \$out, \$e) or die "openssl: $e";
	$out =~ /([0-9a-f]{64})\s*$/ or die "openssl output: $out";
	return $1;
}
sub enc { my $s = shift; $s =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord $1)/ge; $s }
sub dec { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }

my $empty = '{"is_success":true,"image_count":0,"images":[]}';
my $cap = capture_start("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
	. length($empty) . "\r\n\r\n$empty");
# an endpoint with a path, and a tag that needs every kind of encoding
psql_ok($db, "CREATE SERVER cap FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://127.0.0.1:$cap->{port}/gw/api', project_id '" . project_id() . "', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER cap OPTIONS (access_key '$AK', secret_key '$SK');
" . fdw_table('cap_images', 'cap'));
psql($db, "SELECT count(*) FROM cap_images WHERE data_annotation_id = 282 AND tag_name = 'a&b=c/d %2F+猫~x'");
my @reqs = capture_requests($cap);
capture_stop($cap);
is(scalar @reqs, 1, 'listener: one request recorded');
my ($head) = split(/\r\n\r\n/, $reqs[0] // '', 2);
my ($line, @hdrs) = split(/\r\n/, $head // '');
my %h = map { /^([^:]+):\s*(.*?)\s*$/ ? (lc $1 => $2) : () } @hdrs;
my ($method, $target) = ($line // '') =~ m{^(\S+) (\S+) HTTP/1\.1$};
is($method, 'GET', 'listener: GET');
like($target, qr{^/gw/api/v1/\w{32}/data-annotations/282/images\?tag_name=a%26b%3Dc%2Fd%20%252F%2B%E7%8C%AB~x&per_page=100&page=1$},
	'listener: the tag percent-encoded in the query, literally');
is($h{host}, "127.0.0.1:$cap->{port}", 'listener: Host header');
like($h{'x-sdk-date'}, qr/^\d{8}T\d{6}Z$/, 'listener: X-Sdk-Date format');
ok(!exists $h{'x-auth-token'}, 'listener: no X-Auth-Token in AK/SK mode');
my ($access, $signed, $sig) = ($h{authorization} // '') =~
	/^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/;
is($access, $AK, 'Authorization: Access is the access key');
is($signed, 'host;x-sdk-date', 'Authorization: SignedHeaders');

# the contract's canonical request, built from what went on the wire
my ($path, $query) = split(/\?/, $target, 2);
my $curi = join('/', map { enc(dec($_)) } split(m{/}, $path, -1));
$curi .= '/' unless $curi =~ m{/$};
my @pairs = sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] }
	map { my ($k, $v) = split(/=/, $_, 2); [ dec($k), dec($v // '') ] } split(/&/, $query);
my $cquery = join('&', map { enc($_->[0]) . '=' . enc($_->[1]) } @pairs);
my $creq = join("\n", 'GET', $curi, $cquery, "host:$h{host}", "x-sdk-date:$h{'x-sdk-date'}", '',
	'host;x-sdk-date', openssl_hex(''));
my $sts = join("\n", 'SDK-HMAC-SHA256', $h{'x-sdk-date'}, openssl_hex($creq));
my $want = openssl_hex($sts, '-hmac', $SK);
is($sig, $want, 'the signature is HMAC-SHA256(secret_key, StringToSign), recomputed with openssl');
record_secret($sig) if $sig;
is($cquery, 'page=1&per_page=100&tag_name=a%26b%3Dc%2Fd%20%252F%2B%E7%8C%AB~x', 'canonical query: decoded, sorted, re-encoded');

# a redirect is never followed: the credentials stay with the endpoint
my $other = capture_start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
my $redir = capture_start("HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:$other->{port}/stolen\r\nContent-Length: 0\r\n\r\n");
psql_ok($db, "ALTER SERVER cap OPTIONS (SET endpoint 'http://127.0.0.1:$redir->{port}')");
$err = psql_fails($db, "SELECT count(*) FROM cap_images WHERE data_annotation_id = 282 AND tag_name IS NOT NULL");
like($err, qr/ModelArts API error: HTTP 302, redirects are not followed/, 'redirect: refused with a clear error');
my @r1 = capture_requests($redir);
my @r2 = capture_requests($other);
capture_stop($_) for $redir, $other;
is(scalar @r1, 1, 'redirect: one request to the endpoint');
is(scalar @r2, 0, 'redirect: nothing sent to the redirect target');

drop_db($db);
done_testing();
