# The emulator's variants of the service and its concurrency gauge:
#   /__emulator/stats "in_flight" and "max_in_flight" (reset zeroes the peak);
#   --ignore-page (a misbehaving server: the first page, whatever is asked);
#   --past-end empty|repeat, --count total|absent|page, --listing-base 1|0
#   (the plausible variants of the contract's "Variants" table);
#   --variant NAME: the same four by their names, and size-detection-only,
#   string-fields, gateway-errors, modern-codes, alone and together;
#   refused values exit 2 with a message.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use IO::Socket::INET;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);

my $P = project_id();
my $sample = load_sample();
my %job = map { $_->{project_id} => $_ } @{ $sample->{jobs} };
my @tagged282 = @{ expected_ids($job{282}, undef) };    # 210 images
my @cat282 = @{ expected_ids($job{282}, 'cat') };

sub ids { [ map { $_->{image_id} } @{ $_[0]{images} || [] } ] }
sub job_ids { [ map { $_->{dls_prj_id} } @{ $_[0]{jobs} || [] } ] }
sub stats { (get_json("$_[0]{base}/__emulator/stats"))[1] }

# a request on a connection of its own, answer read later by finish()
sub send_raw {
	my ($emu, $target) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $emu->{port},
		Proto => 'tcp') or die "connect: $!";
	print $s "GET $target HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	return $s;
}

sub finish {
	my ($s) = @_;
	local $/;
	my $r = <$s>;
	close $s;
	return $r // '';
}

# ---- the concurrency gauge ----
{
	my $emu = start_emu('--data', sample_file(), '--latency-ms', '400',
		'--fault', 'stall:1:700@page=7', '--fault', 'close:1@page=8');
	my $st = stats($emu);
	is_deeply([ $st->{in_flight}, $st->{max_in_flight} ], [0, 0], 'gauge: 0 and 0 at start');

	my @s = map { send_raw($emu, "/v1/$P/annotation-jobs?offset=$_") } 1 .. 5;
	sleep 0.2;
	$st = stats($emu);
	is($st->{in_flight}, 5, 'gauge: five requests in flight during their latency');
	is($st->{max_in_flight}, 5, 'gauge: peak 5');
	like(finish($_), qr{^HTTP/1\.1 200 }, 'gauge: a concurrent request answered') for @s;
	$st = stats($emu);
	is_deeply([ $st->{in_flight}, $st->{max_in_flight} ], [0, 5],
		'gauge: none in flight afterwards, the peak stays');

	# one at a time: the peak does not move; /__emulator requests not counted
	get_json("$emu->{base}/v1/$P/annotation-jobs") for 1 .. 2;
	is(stats($emu)->{max_in_flight}, 5, 'gauge: sequential requests leave the peak');
	http_req('POST', "$emu->{base}/__emulator/reset");
	$st = stats($emu);
	is_deeply([ $st->{in_flight}, $st->{max_in_flight} ], [0, 0], 'gauge: reset zeroes the peak');
	get_json("$emu->{base}/v1/$P/annotation-jobs") for 1 .. 2;
	is(stats($emu)->{max_in_flight}, 1, 'gauge: sequential requests after reset: peak 1');

	# the stall's sleep counts; error answers and a dropped connection leave
	my $t0 = time;
	my $stalled = send_raw($emu, "/v1/$P/data-annotations/282/images?per_page=1&page=7");
	my $err = send_raw($emu, "/v1/$P/data-annotations/999/images?per_page=1&page=1");
	my $closed = send_raw($emu, "/v1/$P/data-annotations/282/images?per_page=1&page=8");
	sleep 0.7;    # past the 400 ms latency, inside the 400 + 700 ms stall
	$st = stats($emu);
	is($st->{in_flight}, 1, 'gauge: a stalled request is still in flight after the others ended');
	is($st->{max_in_flight}, 3, 'gauge: the three were in flight together');
	like(finish($err), qr{^HTTP/1\.1 404 }, 'gauge: the error answer');
	is(finish($closed), '', 'gauge: the dropped connection');
	like(finish($stalled), qr{^HTTP/1\.1 200 }, 'gauge: the stalled answer');
	ok(time - $t0 >= 1.1, 'gauge: the stall lasted latency + 700 ms');
	is(stats($emu)->{in_flight}, 0, 'gauge: back to 0');
	is(stop_emu($emu), 0, 'gauge: exit 0');
}

# ---- --ignore-page ----
{
	my $emu = start_emu('--data', sample_file(), '--ignore-page');
	my $B = "$emu->{base}/v1/$P";
	my @first = @tagged282[0 .. 99];
	for my $page (1, 2, 3, 50, '99999999999999999999') {
		my ($st, $d) = get_json("$B/data-annotations/282/images?per_page=100&page=$page");
		is_deeply([ $st, ids($d), $d->{image_count} ], [ 200, \@first, 210 ],
			"ignore-page: page $page is page 1, image_count the total");
	}
	my ($st, $d) = get_json("$B/data-annotations/282/images?per_page=7&page=4&tag_name=cat");
	is_deeply(ids($d), [ @cat282[0 .. 6] ], 'ignore-page: with a tag filter, its first page');
	($st, $d) = get_json("$B/data-annotations/282/images?per_page=100&page=0");
	is($st, 400, 'ignore-page: page is still checked');
	($st, $d) = get_json("$B/data-annotations/284/images?per_page=100&page=2");
	is_deeply([ $st, ids($d) ], [ 200, [] ], 'ignore-page: an empty filter stays empty');
	for my $off (1, 2, 3, 40) {
		($st, $d) = get_json("$B/annotation-jobs?offset=$off&limit=2");
		is_deeply([ $st, job_ids($d), $d->{job_total_count} ], [ 200, [282, 283], 4 ],
			"ignore-page: annotation-jobs offset $off is the first page");
	}
	($st, $d) = get_json("$B/annotation-jobs?offset=0");
	is($st, 400, 'ignore-page: offset is still checked');
	stop_emu($emu);
}

# ---- --past-end ----
{
	my $def = start_emu('--data', sample_file(), '--past-end', 'empty');
	my $emu = start_emu('--data', sample_file(), '--past-end', 'repeat');
	my $B = "$emu->{base}/v1/$P";
	my @last = @tagged282[200 .. 209];
	my ($st, $d) = get_json("$def->{base}/v1/$P/data-annotations/282/images?per_page=100&page=4");
	is_deeply([ $st, ids($d) ], [ 200, [] ], 'past-end empty: an empty list (as the default)');
	for my $page (1, 2) {
		($st, $d) = get_json("$B/data-annotations/282/images?per_page=100&page=$page");
		is_deeply(ids($d), [ @tagged282[($page - 1) * 100 .. $page * 100 - 1] ],
			"past-end repeat: page $page as usual");
	}
	for my $page (3, 4, 1000, '99999999999999999999') {
		($st, $d) = get_json("$B/data-annotations/282/images?per_page=100&page=$page");
		is_deeply([ $st, ids($d), $d->{image_count} ], [ 200, \@last, 210 ],
			"past-end repeat: page $page is the last page (10 images)");
	}
	# a full last page repeats whole: 285 has exactly 100 tagged images
	($st, $d) = get_json("$B/data-annotations/285/images?per_page=50&page=3");
	is_deeply(ids($d), [ @{ expected_ids($job{285}, undef) }[50 .. 99] ],
		'past-end repeat: a full last page again');
	for my $q ('data-annotations/284/images?per_page=10&page=2',
		'data-annotations/282/images?per_page=10&page=2&tag_name=no-such-tag') {
		($st, $d) = get_json("$B/$q");
		is_deeply([ $st, ids($d) ], [ 200, [] ], "past-end repeat: nothing to repeat: empty ($q)");
	}
	($st, $d) = get_json("$B/annotation-jobs?offset=2&limit=3");
	is_deeply(job_ids($d), [285], 'past-end repeat: annotation-jobs last page');
	for my $off (3, 9) {
		($st, $d) = get_json("$B/annotation-jobs?offset=$off&limit=3");
		is_deeply([ job_ids($d), $d->{job_total_count} ], [ [285], 4 ],
			"past-end repeat: annotation-jobs offset $off: the last page again");
	}
	($st, $d) = get_json("$B/annotation-jobs?offset=3&limit=2");
	is_deeply(job_ids($d), [284, 285], 'past-end repeat: a full last listing page again');
	stop_emu($emu);
	stop_emu($def);
}

# ---- --count ----
{
	my $tot = start_emu('--data', sample_file(), '--count', 'total');
	my $abs = start_emu('--data', sample_file(), '--count', 'absent');
	my $pg = start_emu('--data', sample_file(), '--count', 'page');
	my $q1 = "data-annotations/282/images?per_page=100&page=1";
	my $q3 = "data-annotations/282/images?per_page=100&page=3";
	my $q9 = "data-annotations/282/images?per_page=100&page=9";
	my %want = (
		total => [ 210, 210, 210, 4, 4 ],
		page => [ 100, 10, 0, 3, 1 ],
	);
	for my $e ([ 'total', $tot ], [ 'page', $pg ]) {
		my $B = "$e->[1]{base}/v1/$P";
		my @got = (map { (get_json("$B/$_"))[1]{image_count} } $q1, $q3, $q9);
		push @got, map { (get_json("$B/annotation-jobs?offset=$_&limit=3"))[1]{job_total_count} } 1, 2;
		is_deeply(\@got, $want{ $e->[0] },
			"count $e->[0]: image_count on pages 1, 3, 9; job_total_count on pages 1, 2");
	}
	my $B = "$abs->{base}/v1/$P";
	my ($st, $d) = get_json("$B/$q3");
	ok($st == 200 && !exists $d->{image_count}, 'count absent: no image_count');
	is_deeply(ids($d), [ @tagged282[200 .. 209] ], 'count absent: the images are there');
	ok(exists $d->{project_id} && exists $d->{versions}, 'count absent: the job fields are there');
	($st, $d) = get_json("$B/annotation-jobs?offset=1&limit=3");
	ok($st == 200 && !exists $d->{job_total_count}, 'count absent: no job_total_count');
	is_deeply(job_ids($d), [282, 283, 284], 'count absent: the jobs are there');
	stop_emu($_) for $tot, $abs, $pg;
}

# ---- --listing-base ----
{
	my $one = start_emu('--data', sample_file(), '--listing-base', '1');
	my $zero = start_emu('--data', sample_file(), '--listing-base', '0');
	my $B1 = "$one->{base}/v1/$P";
	my $B0 = "$zero->{base}/v1/$P";
	my ($st, $d) = get_json("$B1/annotation-jobs?offset=0&limit=2");
	is($st, 400, 'listing-base 1: offset 0 refused (as the default)');
	is($d->{error_msg}, 'offset must be an integer >= 1, got "0"', 'listing-base 1: the message');
	my @b1 = map { job_ids((get_json("$B1/annotation-jobs?offset=$_&limit=2"))[1]) } 1, 2, 3;
	my @b0 = map { job_ids((get_json("$B0/annotation-jobs?offset=$_&limit=2"))[1]) } 0, 1, 2;
	is_deeply(\@b0, \@b1, 'listing-base 0: offsets 0, 1, 2 are base 1\'s 1, 2, 3');
	is_deeply(\@b0, [ [282, 283], [284, 285], [] ], 'listing-base 0: the pages');
	is_deeply(job_ids((get_json("$B0/annotation-jobs?limit=2"))[1]), [282, 283],
		'listing-base 0: no offset is the first page');
	($st, $d) = get_json("$B0/annotation-jobs?offset=-1&limit=2");
	is($st, 400, 'listing-base 0: offset -1 refused');
	is($d->{error_msg}, 'offset must be an integer >= 0, got "-1"', 'listing-base 0: the message');
	stop_emu($_) for $one, $zero;

	my $e = start_emu('--data', sample_file(), '--listing-base', '0', '--past-end', 'repeat',
		'--count', 'page');
	($st, $d) = get_json("$e->{base}/v1/$P/annotation-jobs?offset=5&limit=3");
	is_deeply([ job_ids($d), $d->{job_total_count} ], [ [285], 1 ],
		'listing-base 0 with past-end repeat and count page: the last page, its count');
	stop_emu($e);
}

# ---- --ignore-page with --count page ----
{
	my $e = start_emu('--data', sample_file(), '--ignore-page', '--count', 'page');
	my (undef, $d) = get_json("$e->{base}/v1/$P/data-annotations/282/images?per_page=100&page=3");
	is_deeply([ scalar @{ ids($d) }, $d->{image_count} ], [ 100, 100 ],
		'ignore-page and count page: a full page forever, its count 100');
	stop_emu($e);
}

# ---- --variant: the four that older flags also switch ----
# each answers byte for byte what the flag's emulator answers
{
	my @targets = (
		(map { "data-annotations/282/images?per_page=100&page=$_" } 1 .. 4),
		'data-annotations/282/images?per_page=7&page=3&tag_name=cat',
		'data-annotations/285/images?per_page=50&page=3',
		(map { "annotation-jobs?offset=$_&limit=3" } 0 .. 3),
		'annotation-jobs?limit=2');
	for my $v ([ 'no-totals', '--count', 'absent' ], [ 'page-totals', '--count', 'page' ],
		[ 'listing-offset-0', '--listing-base', '0' ], [ 'repeat-past-end', '--past-end', 'repeat' ]) {
		my ($name, @flag) = @$v;
		my $a = start_emu('--data', sample_file(), '--variant', $name);
		my $b = start_emu('--data', sample_file(), @flag);
		my @diff = grep {
			my $ra = http_get("$a->{base}/v1/$P/$_");
			my $rb = http_get("$b->{base}/v1/$P/$_");
			$ra->{status} != $rb->{status} || $ra->{content} ne $rb->{content}
		} @targets;
		is_deeply(\@diff, [], "variant $name: the answers of @flag");
		stop_emu($_) for $a, $b;
	}
}

# ---- --variant size-detection-only ----
{
	my $def = start_emu('--data', sample_file());
	my $e = start_emu('--data', sample_file(), '--variant', 'size-detection-only');
	for my $job (282, 283, 285) {
		my $q = "data-annotations/$job/images?per_page=100&page=1";
		my (undef, $got) = get_json("$e->{base}/v1/$P/$q");
		my (undef, $exp) = get_json("$def->{base}/v1/$P/$q");
		my $detection = $job == 283;
		my @with = grep { exists $_->{size} } @{ $got->{images} };
		is(scalar @with, $detection ? scalar @{ $exp->{images} } : 0,
			"size-detection-only: job $job (" . ($detection ? 'detection' : 'classification')
			. '): ' . ($detection ? 'every image has its size' : 'no image has a size'));
		delete $_->{size} for @{ $exp->{images} }, @{ $got->{images} };
		is_deeply($got, $exp, "size-detection-only: job $job: the rest unchanged");
	}
	stop_emu($_) for $def, $e;
	# generated data likewise
	$e = start_emu('--generate', 'jobs=2,images=50,detection=1', '--variant', 'size-detection-only');
	my @has = map {
		my (undef, $d) = get_json("$e->{base}/v1/$P/data-annotations/$_/images?per_page=100&page=1");
		scalar grep { exists $_->{size} } @{ $d->{images} }
	} 1, 2;
	ok($has[0] == 0 && $has[1] > 0, "size-detection-only, --generate: none on job 1 (classification), $has[1] on job 2 (detection)");
	stop_emu($e);
}

# ---- --variant string-fields ----
{
	my $def = start_emu('--data', sample_file());
	my $e = start_emu('--data', sample_file(), '--variant', 'string-fields');
	my (undef, $got) = get_json("$e->{base}/v1/$P/annotation-jobs?limit=10");
	my (undef, $exp) = get_json("$def->{base}/v1/$P/annotation-jobs?limit=10");
	is($got->{job_total_count}, 4, 'string-fields: job_total_count stays a number');
	ok(!ref $got->{job_total_count} && $got->{job_total_count} =~ /^\d+$/ &&
		JSON::PP->new->encode([ $got->{job_total_count} ]) eq '[4]', 'string-fields: ... in JSON too');
	my @bad;
	for my $i (0 .. $#{ $exp->{jobs} }) {
		my ($g, $x) = ($got->{jobs}[$i], $exp->{jobs}[$i]);
		my @t = gmtime(int($x->{create_time} / 1000));
		my $when = sprintf('%04d-%02d-%02d %02d:%02d:%02d', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0]);
		push @bad, "$x->{dls_prj_id} create_time $g->{create_time}" unless $g->{create_time} eq $when;
		for my $k (qw(total_count has_tag_count not_tag_count)) {
			my $enc = JSON::PP->new->encode([ $g->{progress_detail}{$k} ]);
			push @bad, "$x->{dls_prj_id} $k $enc" unless $enc eq qq{["$x->{progress_detail}{$k}"]};
		}
		my %gr = %$g; my %xr = %$x;
		delete @gr{qw(create_time progress_detail)}; delete @xr{qw(create_time progress_detail)};
		push @bad, "$x->{dls_prj_id} other fields" unless JSON::PP->new->canonical->encode(\%gr) eq JSON::PP->new->canonical->encode(\%xr);
	}
	is_deeply(\@bad, [], 'string-fields: create_time "YYYY-MM-DD HH:MM:SS" in UTC, the counts strings, the rest the same');
	is($got->{jobs}[0]{create_time}, '2019-08-05 10:13:20', 'string-fields: 1565000000000 is "2019-08-05 10:13:20"');
	my $q = 'data-annotations/282/images?per_page=5&page=1';
	is(http_get("$e->{base}/v1/$P/$q")->{content}, http_get("$def->{base}/v1/$P/$q")->{content},
		'string-fields: the images answer unchanged');
	stop_emu($_) for $def, $e;
}

# ---- --variant gateway-errors ----
{
	my @auth = ('--auth', 'token', '--user', 'u', '--password', 'p', '--domain', 'd', '--token-ttl', '2');
	my $def = start_emu('--data', sample_file(), @auth);
	my $e = start_emu('--data', sample_file(), @auth, '--variant', 'gateway-errors');
	my $body = '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","password":"p","domain":{"name":"d"}}}},"scope":{"project":{"name":"cn-north-4"}}}}';
	my $token = sub {
		my ($emu, $b) = @_;
		my $res = http_req('POST', "$emu->{base}/v3/auth/tokens", { content => $b // $body });
		return ($res->{status}, $res->{headers}{'x-subject-token'}, $res);
	};
	my $jobs = "/v1/$P/annotation-jobs?limit=1";
	my $check = sub {
		my ($what, $hdr, $code, $msg_re, $def_hdr) = @_;
		my ($st, $d) = get_json("$e->{base}$jobs", $hdr);
		is_deeply([ $st, $d->{error_code}, exists $d->{is_success} ? 'is_success' : 'no is_success' ],
			[ 401, $code, 'no is_success' ], "gateway-errors: $what: 401 $code, no is_success");
		like($d->{error_msg}, $msg_re, "gateway-errors: $what: error_msg");
		like($d->{request_id} // '', qr/^[0-9a-f]{32}\z/, "gateway-errors: $what: a request_id");
		my ($dst, $dd) = get_json("$def->{base}$jobs", $def_hdr // $hdr);
		is($dst, 401, "gateway-errors: $what: (without the variant: 401 $dd->{error_code})");
	};
	$check->('no token', {}, 'APIG.0301', qr/^Incorrect IAM authentication information: /);
	$check->('a token it never issued', { 'X-Auth-Token' => 'MIIforged' }, 'APIG.0301',
		qr/^Incorrect IAM authentication information: /);
	my (undef, $t) = $token->($e);
	my (undef, $td) = $token->($def);
	my ($st) = get_json("$e->{base}$jobs", { 'X-Auth-Token' => $t });
	is($st, 200, 'gateway-errors: a good token answers 200');
	my ($st2, $d2) = get_json("$e->{base}/v1/0123456789abcdef0123456789abcdef/annotation-jobs", { 'X-Auth-Token' => $t });
	is_deeply([ $st2, $d2->{error_code} ], [ 403, 'ModelArts.0210' ], 'gateway-errors: a 403 stays ModelArts\'');
	my ($ist, undef, $ires) = $token->($e, $body =~ s/"password":"p"/"password":"x"/r);
	is_deeply([ $ist, json_decode($ires->{content})->{error_code} ], [ 401, 'IAM.0001' ],
		'gateway-errors: IAM\'s own refusal stays IAM\'s');
	sleep 2.2;
	$check->('an expired token', { 'X-Auth-Token' => $t }, 'APIG.0307', qr/^The token must be updated: /,
		{ 'X-Auth-Token' => $td });
	stop_emu($_) for $def, $e;

	# --token-claimed-ttl: expires_at says a day, the token dies after 1 s
	my $c = start_emu('--data', sample_file(), @auth[0 .. 7], '--token-ttl', '1',
		'--token-claimed-ttl', '86400', '--variant', 'gateway-errors');
	my ($cst, $ct, $cres) = $token->($c);
	my $exp = json_decode($cres->{content})->{token}{expires_at};
	my $when = POSIX::strftime('%Y-%m-%dT%H', gmtime(time + 86400));
	like($exp, qr/^\Q$when\E:\d\d:\d\d\.\d{6}Z\z/, 'token-claimed-ttl: expires_at a day ahead, to the microsecond');
	my ($c1) = get_json("$c->{base}$jobs", { 'X-Auth-Token' => $ct });
	sleep 1.2;
	my ($c2, $cd) = get_json("$c->{base}$jobs", { 'X-Auth-Token' => $ct });
	is_deeply([ $c1, $c2, $cd->{error_code} ], [ 200, 401, 'APIG.0307' ],
		'token-claimed-ttl: the token still dies after --token-ttl (APIG.0307)');
	stop_emu($c);

	# AK/SK: a bad signature is the gateway's APIG.0301 too
	my $a = start_emu('--data', sample_file(), '--auth', 'aksk', '--ak', 'AK1', '--sk', 'SK1',
		'--variant', 'gateway-errors');
	my ($ast, $ad) = get_json("$a->{base}$jobs", { 'X-Sdk-Date' => '20200101T000000Z',
		Authorization => 'SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=00' });
	is_deeply([ $ast, $ad->{error_code} ], [ 401, 'APIG.0301' ], 'gateway-errors, aksk: a refused signature is APIG.0301');
	stop_emu($a);
}

# ---- --variant modern-codes ----
{
	my $e = start_emu('--data', sample_file(), '--variant', 'modern-codes', '--fault', '429:1:3@page=9');
	my $B = "$e->{base}/v1/$P";
	for my $q ('data-annotations/999/images?per_page=1&page=1', 'data-annotations/999/tags',
		'data-annotations/999/tags/stats', 'data-annotations/abc/images?per_page=1&page=1') {
		my ($st, $d) = get_json("$B/$q");
		is_deeply([ $st, $d->{error_code}, $d->{is_success} ], [ 400, 'ModelArts.4338', JSON::PP::false ],
			"modern-codes: a missing job is 400 ModelArts.4338 ($q)");
		like($d->{error_msg}, qr/the labeling task does not exist/, "modern-codes: ... saying so ($q)");
	}
	my ($st, $d, $res) = get_json("$B/data-annotations/282/images?per_page=1&page=9");
	is_deeply([ $st, $d->{error_code}, $res->{headers}{'retry-after'} ], [ 429, 'ModelArts.4395', 3 ],
		'modern-codes: the 429 fault is ModelArts.4395, with Retry-After');
	($st, $d) = get_json("$B/data-annotations/282/images?per_page=101&page=1");
	is_deeply([ $st, $d->{error_code} ], [ 400, 'ModelArts.0104' ], 'modern-codes: a bad parameter stays 0104');
	($st, $d) = get_json("$B/data-annotations/282/images?per_page=1&page=1");
	is($st, 200, 'modern-codes: an existing job answers');
	stop_emu($e);
}

# ---- every compatible variant at once ----
{
	my @all = ('page-totals', 'listing-offset-0', 'repeat-past-end', 'size-detection-only',
		'string-fields', 'gateway-errors', 'modern-codes');
	my $e = start_emu('--data', sample_file(), '--variant', join(',', @all[0 .. 2]),
		map { ('--variant', $_) } @all[3 .. $#all]);
	my $B = "$e->{base}/v1/$P";
	my (undef, $d) = get_json("$B/annotation-jobs?offset=0&limit=3");
	is_deeply([ job_ids($d), $d->{job_total_count}, $d->{jobs}[0]{create_time},
			$d->{jobs}[0]{progress_detail}{total_count} ],
		[ [282, 283, 284], 3, '2019-08-05 10:13:20', '240' ],
		'all variants: the listing from offset 0, page-totals, string fields');
	(undef, $d) = get_json("$B/annotation-jobs?offset=4&limit=3");
	is_deeply(job_ids($d), [285], 'all variants: the listing\'s last page repeats');
	(undef, $d) = get_json("$B/data-annotations/282/images?per_page=100&page=5");
	is_deeply([ ids($d), $d->{image_count}, scalar grep { exists $_->{size} } @{ $d->{images} } ],
		[ [ @tagged282[200 .. 209] ], 10, 0 ], 'all variants: images: the last page again, its count, no size');
	my ($st, $m) = get_json("$B/data-annotations/999/tags");
	is_deeply([ $st, $m->{error_code} ], [ 400, 'ModelArts.4338' ], 'all variants: modern codes');
	stop_emu($e);
}

# ---- refused values, --help ----
for my $bad ([ [ '--count', 'some' ], '--count: expected total, absent or page, got "some"' ],
	[ [ '--listing-base', '2' ], '--listing-base: expected 1 or 0, got "2"' ],
	[ [ '--listing-base', '01' ], '--listing-base: expected 1 or 0, got "01"' ],
	[ [ '--past-end', 'loop' ], '--past-end: expected empty or repeat, got "loop"' ],
	[ [ '--variant', 'offset-0' ], '--variant: unknown variant "offset-0" (valid: no-totals, page-totals, listing-offset-0, repeat-past-end, size-detection-only, string-fields, gateway-errors, modern-codes, all-includes-unlabeled, stats-count-boxes)' ],
	[ [ '--variant', 'string-fields,Modern-Codes' ], '--variant: unknown variant "Modern-Codes" (valid: no-totals, page-totals, listing-offset-0, repeat-past-end, size-detection-only, string-fields, gateway-errors, modern-codes, all-includes-unlabeled, stats-count-boxes)' ],
	[ [ '--variant', 'no-totals', '--variant', 'page-totals' ], '--variant: no-totals and page-totals exclude each other' ],
	[ [ '--variant', ',' ], '--variant: expected a variant name, got ","' ],
	[ [ '--variant', '' ], '--variant: expected a variant name, got ""' ]) {
	my ($rc, $out, $err) = run_emu_fail('--data', sample_file(), @{ $bad->[0] });
	is($rc, 2, "@{ $bad->[0] }: exit 2");
	is($err, "modelarts-emulator: $bad->[1]\n", "@{ $bad->[0] }: message");
}
{
	my ($rc, $out, $err) = run_emu_fail('--data', sample_file(), '--ignore-page=yes');
	is($rc, 2, '--ignore-page=yes: exit 2 (it takes no value)');
	my ($hrc, $help) = run_emu_fail('--help');
	is($hrc, 0, '--help: exit 0');
	like($help, qr/^  --\Q$_\E /m, "--help: lists --$_")
	  for 'count total|absent|page', 'listing-base 1|0', 'past-end empty|repeat', 'ignore-page',
	  'variant NAME[,NAME...]';
	my @names = qw(no-totals page-totals listing-offset-0 repeat-past-end size-detection-only
	  string-fields gateway-errors modern-codes all-includes-unlabeled stats-count-boxes);
	is_deeply([ grep { $help !~ /\b\Q$_\E\b/ } @names ], [], '--help: names every variant');
	is_deeply([ grep { $help !~ /\b\Q$_\E\b/ } qw(uglymsg shortlen badutf8 nul nulraw tagstype sizetype shortpage) ],
		[], '--help: names every new fault kind');
	# the header comment of main.c lists them too
	open(my $fh, '<', top_dir() . '/test/emulator/main.c') or die;
	my $src = do { local $/; <$fh> };
	my ($head) = $src =~ m{\A(/\*.*?\*/)}s;
	is_deeply([ grep { $head !~ /\b\Q$_\E\b/ } @names ], [], 'main.c\'s header comment names every variant');
}

# stats-count-boxes: a detection job's per-tag count is its boxes, a
# classification job's still its images; tags_stat counts images either way
{
	my $def = start_emu('--data', sample_file());
	my $emu = start_emu('--data', sample_file(), '--variant', 'stats-count-boxes');
	my $sample = load_sample();
	for my $job (@{ $sample->{jobs} }) {
		my $id = $job->{project_id};
		my (%images, %boxes, $tagged);
		for my $img (@{ $job->{images} }) {
			my %seen;
			for my $t (@{ $img->{tags} || [] }) {
				my $name = ref $t ? $t->{tag} : $t;
				$boxes{$name}++;
				$images{$name}++ unless $seen{$name}++;
			}
			$tagged++ if %seen;
		}
		my ($st, $d) = get_json("$emu->{base}/v1/$P/data-annotations/$id/tags/stats");
		my ($st0, $d0) = get_json("$def->{base}/v1/$P/data-annotations/$id/tags/stats");
		my %got = map { $_->{tag} => $_->{count} } @{ $d->{tag_count} };
		my %got0 = map { $_->{tag} => $_->{count} } @{ $d0->{tag_count} };
		my $want = ($job->{project_type} // 0) == 1 ? \%boxes : \%images;
		is_deeply(\%got, $want, "stats-count-boxes: job $id counts " . ($want == \%boxes ? 'boxes' : 'images'));
		is_deeply(\%got0, \%images, "default: job $id counts images");
		is_deeply($d->{tags_stat}, $d0->{tags_stat}, "stats-count-boxes: job $id tags_stat unchanged");
	}
	stop_emu($_) for $def, $emu;
}

done_testing();
