# Authentication: IAM password tokens (issue, use, expiry, unknown, missing,
# project scope) and AK/SK signing, with the expected signature computed
# here independently of the emulator's C code: the canonical request is
# built in Perl and hashed with the openssl / sha256sum command-line tools.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use IPC::Run qw(run);
use JSON::PP;
use POSIX qw(strftime);
use Test::More;

my $P = project_id();

sub token_body {
	my (%o) = @_;
	my $scope = exists $o{project_id} ? { id => $o{project_id} } : { name => $o{region} // 'cn-north-4' };
	return encode_json({ auth => {
		identity => { methods => ['password'], password => { user => {
			name => $o{user} // 'alice', password => $o{password} // 's3cret',
			domain => { name => $o{domain} // 'acme' } } } },
		scope => { project => $scope } } });
}

sub get_token {
	my ($emu, %o) = @_;
	return http_req('POST', "$emu->{base}/v3/auth/tokens",
		{ content => $o{raw} // token_body(%o), headers => { 'Content-Type' => 'application/json' } });
}

sub err_of { my $d = eval { json_decode($_[0]{content}) } || {}; "$_[0]{status} " . ($d->{error_code} // '-') }

# ---- token mode ----
{
	my $emu = start_emu('--data', sample_file(), '--auth', 'token', '--user', 'alice',
		'--password', 's3cret', '--domain', 'acme', '--region', 'cn-north-4');
	my $images = "$emu->{base}/v1/$P/data-annotations/285/images?per_page=1&page=1";

	my $res = get_token($emu);
	is($res->{status}, 201, 'token: issued with 201');
	my $tok = $res->{headers}{'x-subject-token'};
	like($tok, qr/^\S{20,}$/, 'token: in X-Subject-Token');
	my $body = json_decode($res->{content});
	like($body->{token}{expires_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'token: expires_at format');
	my $exp = strftime('%Y-%m-%dT%H', gmtime(time + 86400));
	like($body->{token}{expires_at}, qr/^\Q$exp\E/, 'token: lives 24 hours by default');
	is($body->{token}{project}{id}, $P, 'token: scoped to the dataset project by region name');

	my ($st, $d) = get_json($images, { 'X-Auth-Token' => $tok });
	is($st, 200, 'token: accepted on images');
	is($d->{image_count}, 100, 'token: real answer');
	($st, $d) = get_json("$emu->{base}/v1/$P/annotation-jobs", { 'X-Auth-Token' => $tok });
	is($st, 200, 'token: accepted on annotation-jobs');

	($st, $d) = get_json($images);
	is_deeply([ $st, $d->{error_code}, $d->{is_success} ], [ 401, 'ModelArts.0201', JSON::PP::false ], 'token: missing is 401 0201');
	($st, $d) = get_json($images, { 'X-Auth-Token' => 'MIIemu' . ('0' x 96) });
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0203' ], 'token: unknown is 401 0203');
	($st, $d) = get_json($images, { 'X-Auth-Token' => $tok . 'x' });
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0203' ], 'token: altered is 401 0203');
	($st, $d) = get_json("$emu->{base}/v1/ffffffffffffffffffffffffffffffff/annotation-jobs", { 'X-Auth-Token' => $tok });
	is_deeply([ $st, $d->{error_code} ], [ 403, 'ModelArts.0210' ], 'token: other project in URI is 403 0210');

	# scope by id: issued for any project id, refused on the dataset's
	$res = get_token($emu, project_id => 'ffffffffffffffffffffffffffffffff');
	is($res->{status}, 201, 'token: scope by project id');
	($st, $d) = get_json($images, { 'X-Auth-Token' => $res->{headers}{'x-subject-token'} });
	is_deeply([ $st, $d->{error_code} ], [ 403, 'ModelArts.0210' ], 'token: scoped to another project is 403 0210');
	$res = get_token($emu, project_id => $P);
	($st, $d) = get_json($images, { 'X-Auth-Token' => $res->{headers}{'x-subject-token'} });
	is($st, 200, 'token: scoped by the dataset project id works');

	is(err_of(get_token($emu, password => 'wrong')), '401 IAM.0001', 'token: wrong password is 401 with a JSON body');
	is(err_of(get_token($emu, user => 'bob')), '401 IAM.0001', 'token: wrong user is 401');
	is(err_of(get_token($emu, domain => 'other')), '401 IAM.0001', 'token: wrong domain is 401');
	is(err_of(get_token($emu, region => 'eu-west-0')), '401 IAM.0002', 'token: unknown project name is 401');
	is(err_of(get_token($emu, raw => 'not json')), '400 IAM.0011', 'token: body not JSON is 400');
	is(err_of(get_token($emu, raw => '{"auth":{"identity":{"methods":["token"]}}}')), '400 IAM.0011', 'token: no password method is 400');
	$res = get_token($emu, raw => '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"s3cret","domain":{"name":"acme"}}}}}}');
	is(err_of($res), '400 IAM.0011', 'token: no scope is 400');
	is(json_decode($res->{content})->{error_msg}, 'auth.scope.project: expected "name" or "id"', 'token: precise message');
	$res = http_req('GET', "$emu->{base}/v3/auth/tokens");
	is($res->{status}, 405, 'token: GET on /v3/auth/tokens is 405');
	(undef, $d) = get_json("$emu->{base}/__emulator/stats");
	is($d->{tokens}, 11, 'stats: token requests counted');
	stop_emu($emu);

	# expiry
	$emu = start_emu('--data', sample_file(), '--auth', 'token', '--user', 'alice',
		'--password', 's3cret', '--token-ttl', '1');
	$res = get_token($emu, domain => 'anything');
	is($res->{status}, 201, 'ttl 1: issued (no --domain: any domain)');
	$tok = $res->{headers}{'x-subject-token'};
	($st) = get_json("$emu->{base}/v1/$P/annotation-jobs", { 'X-Auth-Token' => $tok });
	is($st, 200, 'ttl 1: valid at first');
	sleep 2;
	($st, $d) = get_json("$emu->{base}/v1/$P/annotation-jobs", { 'X-Auth-Token' => $tok });
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0202' ], 'ttl 1: expired after 2 s is 401 0202');
	like($d->{error_msg}, qr/expired/, 'ttl 1: message says expired');
	stop_emu($emu);

	my ($rc, $out, $err) = run_emu_fail('--data', sample_file(), '--auth', 'token');
	is($rc, 2, 'token mode without --user: exit 2');
}

# ---- none mode: tokens still issued, API needs nothing ----
{
	my $emu = start_emu('--data', sample_file());
	is(get_token($emu, user => 'anyone', password => 'x')->{status}, 201, 'none mode: /v3/auth/tokens answers');
	my ($st) = get_json("$emu->{base}/v1/$P/annotation-jobs");
	is($st, 200, 'none mode: no credentials needed');
	stop_emu($emu);
}

# ---- AK/SK ----
sub cli {
	my ($cmd, $in) = @_;
	my ($out, $err) = ('', '');
	run($cmd, \$in, \$out, \$err) or die "@$cmd: $err";
	return $out;
}
sub sha256_hex_cli { (split ' ', cli(['sha256sum'], $_[0]))[0] }
sub hmac_hex_cli { (split ' ', cli(['openssl', 'dgst', '-sha256', '-hmac', $_[0], '-r'], $_[1]))[0] }

sub enc {
	my $s = shift;
	$s =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord $1)/ge;
	return $s;
}
sub dec { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $s }

# Sign a request as the SDK signers do; returns the headers to send.
sub sign {
	my (%o) = @_;
	my ($path, $query) = split /\?/, $o{target}, 2;
	my $curi = join('/', map { enc(dec($_)) } split m{/}, $path, -1);
	$curi .= '/' unless $curi =~ m{/\z};
	my @pairs = map { my ($k, $v) = split /=/, $_, 2; [ dec($k), dec($v // '') ] }
	  grep { length } split /&/, $query // '';
	my $cq = join '&', map { enc($_->[0]) . '=' . enc($_->[1]) }
	  sort { $a->[0] cmp $b->[0] || $a->[1] cmp $b->[1] } @pairs;
	my $date = $o{date} // strftime('%Y%m%dT%H%M%SZ', gmtime);
	my $creq = join("\n", $o{method} // 'GET', $curi, $cq,
		"host:$o{host}\nx-sdk-date:$date\n", 'host;x-sdk-date', sha256_hex_cli($o{body} // ''));
	my $sts = join("\n", 'SDK-HMAC-SHA256', $date, sha256_hex_cli($creq));
	my $sig = hmac_hex_cli($o{sk}, $sts);
	# HTTP::Tiny sends Host: 127.0.0.1:PORT itself; that is what is signed
	return { 'X-Sdk-Date' => $date,
		Authorization => "SDK-HMAC-SHA256 Access=$o{ak}, SignedHeaders=host;x-sdk-date, Signature=$sig" };
}

{
	my ($AK, $SK) = ('AKEMULATOR0001', 'sk/with+odd=chars');
	my $emu = start_emu('--data', sample_file(), '--auth', 'aksk', '--ak', $AK, '--sk', $SK, '--max-skew', '300');
	my $host = "127.0.0.1:$emu->{port}";
	my $check = sub {
		my ($target, $name, %o) = @_;
		my $h = sign(target => $target, host => $host, ak => $AK, sk => $SK, %o);
		%$h = (%$h, %{ $o{override} || {} });
		delete $h->{$_} for @{ $o{drop} || [] };
		return get_json("$emu->{base}$target", $h);
	};

	my ($st, $d) = $check->("/v1/$P/data-annotations/282/images?per_page=5&page=2&tag_name=black%20cat");
	is($st, 200, 'aksk: correct signature accepted');
	is($d->{image_count}, 57, 'aksk: real answer');
	($st, $d) = $check->("/v1/$P/data-annotations/282/images?tag_name=%E7%8C%AB&page=1&per_page=3");
	is($st, 200, 'aksk: non-ASCII tag, unsorted query');
	($st, $d) = $check->("/v1/$P/data-annotations/282/images?tag_name=a%26per_page%3D1000&per_page=3&page=1");
	is_deeply([ $st, $d->{image_count} ], [ 200, 3 ], 'aksk: tag with & and =');
	($st, $d) = $check->("/v1/$P/data-annotations/282/images?tag_name=100%25&per_page=3&page=1");
	is_deeply([ $st, $d->{image_count} ], [ 200, 3 ], 'aksk: tag with %');
	($st, $d) = $check->("/v1/$P/annotation-jobs");
	is($st, 200, 'aksk: no query string');
	($st, $d) = $check->("/v1/$P/data-annotations/282/tags/stats");
	is($st, 200, 'aksk: tags/stats');

	my $t = "/v1/$P/data-annotations/285/images?per_page=1&page=1";
	($st, $d) = $check->($t, 'wrong sk', sk => 'not-the-key');
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0211' ], 'aksk: wrong signature is 401 0211');
	like($d->{error_msg}, qr/canonical request was:\nGET\n\/v1\/$P\/data-annotations\/285\/images\/\npage=1&per_page=1\nhost:/,
		'aksk: mismatch shows the canonical request');
	my $h = sign(target => $t, host => $host, ak => $AK, sk => $SK);
	($st, $d) = get_json("$emu->{base}/v1/$P/data-annotations/285/images?per_page=2&page=1", $h);
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0211' ], 'aksk: signature of another query is 401 0211');
	($st, $d) = $check->($t, 'x', override => { Authorization => undef }, drop => ['Authorization']);
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk: missing Authorization is 401 0208');
	($st, $d) = $check->($t, 'x', override => { Authorization => 'Basic abc' });
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk: other scheme is 401 0208');
	($st, $d) = $check->($t, 'x', override => { Authorization => 'SDK-HMAC-SHA256 Access=X' });
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk: incomplete Authorization is 401 0208');
	($st, $d) = $check->($t, 'x', ak => 'AKOTHER');
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk: unknown AK is 401 0208');
	($st, $d) = $check->($t, 'x', drop => ['X-Sdk-Date']);
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk: missing X-Sdk-Date is 401 0208');
	my $old = strftime('%Y%m%dT%H%M%SZ', gmtime(time - 400));
	($st, $d) = $check->($t, 'x', date => $old);
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0211' ], 'aksk: date 400 s old (skew 300) is 401 0211');
	like($d->{error_msg}, qr/clock skew/, 'aksk: message says clock skew');
	my $future = strftime('%Y%m%dT%H%M%SZ', gmtime(time + 400));
	($st, $d) = $check->($t, 'x', date => $future);
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0211' ], 'aksk: date 400 s ahead is 401 0211');
	my $near = strftime('%Y%m%dT%H%M%SZ', gmtime(time - 200));
	($st, $d) = $check->($t, 'x', date => $near);
	is($st, 200, 'aksk: date 200 s old is within skew');
	($st, $d) = $check->($t, 'x', date => '2026-01-01T00:00:00Z');
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk: malformed X-Sdk-Date is 401 0208');
	($st, $d) = get_json("$emu->{base}$t", { 'X-Auth-Token' => 'whatever' });
	is_deeply([ $st, $d->{error_code} ], [ 401, 'ModelArts.0208' ], 'aksk mode: a token is not enough');
	stop_emu($emu);
}

done_testing();
