# Fault injection (--fault KIND:EVERY[:ARG][@SUBSTRING]) and --latency-ms.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);

my $P = project_id();
my $log = tmpdir() . '/faults.log';
my $emu = start_emu('--data', sample_file(), '--access-log', $log,
	'--fault', '429:2:7@tag_name=cat',
	'--fault', '500:1@tags/stats',
	'--fault', '503:3@annotation-jobs',
	'--fault', 'badjson:1@page=22',
	'--fault', 'truncate:1@page=33',
	'--fault', 'close:1@page=44',
	'--fault', 'stall:1:1500@page=55',
	'--fault', 'shape:1@page=66');
my $B = "$emu->{base}/v1/$P";
my $img = "$B/data-annotations/282/images?per_page=100";
my $cat = "$img&page=1&tag_name=cat";

# 429 on every 2nd request whose target contains tag_name=cat
{
	my @st = map { (get_json($cat))[0] } 1 .. 4;
	is_deeply(\@st, [200, 429, 200, 429], '429:2: every second matching request');
	my ($st, $d, $res) = get_json("$B/data-annotations/282/tags");
	is($st, 200, '429: a non-matching request is not counted or faulted');
	($st, $d, $res) = get_json($cat);
	is($st, 200, '429: counting resumes (5th)');
	($st, $d, $res) = get_json($cat);
	is_deeply([ $st, $d->{error_code}, $d->{is_success}, $res->{headers}{'retry-after'} ],
		[ 429, 'ModelArts.0114', JSON::PP::false, 7 ], '429: ModelArts.0114 with Retry-After: ARG');
	is($res->{headers}{'content-type'}, 'application/json', '429: JSON');
	http_get("$emu->{base}/__emulator/stats") for 1 .. 3;
	($st) = get_json($cat);
	is($st, 200, '429: /__emulator requests do not count (7th)');
	($st) = get_json($cat);
	is($st, 429, '429: 8th');
}

# 500 on every tags/stats request
{
	for (1 .. 2) {
		my ($st, $d) = get_json("$B/data-annotations/283/tags/stats");
		is_deeply([ $st, $d->{error_code} ], [ 500, 'ModelArts.0010' ], "500:1: every time ($_)");
	}
	my ($st) = get_json("$B/data-annotations/283/tags");
	is($st, 200, '500: /tags does not match "tags/stats"');
}

# 503 on every third annotation-jobs request
{
	my @st = map { (get_json("$B/annotation-jobs"))[0] } 1 .. 6;
	is_deeply(\@st, [200, 200, 503, 200, 200, 503], '503:3: every third');
	my @more = map { (get_json("$B/annotation-jobs"))[0] } 7 .. 10;
	is_deeply(\@more, [200, 200, 503, 200], '503:3: 7th to 10th');
}

# badjson: 200 whose body is not JSON
{
	my $res = http_get("$img&page=22");
	is($res->{status}, 200, 'badjson: status 200');
	like($res->{content}, qr/^<html>/, 'badjson: an HTML body');
	ok(!eval { json_decode($res->{content}); 1 }, 'badjson: body does not parse as JSON');
}

# shape: 200 with valid JSON whose "images" is not an array
{
	my ($st, $d) = get_json("$img&page=66");
	is($st, 200, 'shape: status 200');
	is($d->{is_success}, JSON::PP::true, 'shape: is_success true');
	is(ref $d->{images}, 'HASH', 'shape: "images" is an object, not an array');
}

# truncate: full Content-Length declared, about half sent, connection closed
{
	my $full = length(http_get("$img&page=1")->{content});
	my ($buf) = raw_http($emu->{port},
		"GET /v1/$P/data-annotations/282/images?per_page=100&page=33 HTTP/1.1\r\nHost: x\r\n\r\n");
	my ($head, $body) = split /\r\n\r\n/, $buf, 2;
	my ($cl) = $head =~ /^Content-Length: (\d+)/mi;
	like($head, qr{^HTTP/1\.1 200}, 'truncate: 200 status line');
	ok($cl > 0 && $cl > length($body), "truncate: Content-Length $cl > body sent " . length($body));
	ok(abs(length($body) - int($cl / 2)) <= 1, 'truncate: about half the body sent');
	my $res = http_get("$img&page=33");
	is($res->{status}, 599, 'truncate: HTTP client sees an incomplete answer');
}

# close: connection closed with no answer at all
{
	my ($buf) = raw_http($emu->{port},
		"GET /v1/$P/data-annotations/282/images?per_page=100&page=44 HTTP/1.1\r\nHost: x\r\n\r\n");
	is($buf, '', 'close: nothing received, connection closed');
}

# stall: the stalled answer waits ARG ms; other connections do not
{
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $emu->{port}) or die;
	my $t0 = time;
	print $s "GET /v1/$P/data-annotations/282/images?per_page=1&page=55 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	select(undef, undef, undef, 0.2);
	my $t1 = time;
	my ($st) = get_json("$B/data-annotations/285/tags");
	my $other = time - $t1;
	is($st, 200, 'stall: another connection is served meanwhile');
	ok($other < 0.5, sprintf('stall: ... without waiting (%.3f s)', $other));
	local $/;
	my $resp = <$s>;
	my $stalled = time - $t0;
	like($resp, qr{^HTTP/1\.1 200 OK\r\n}, 'stall: then answers normally');
	like($resp, qr/"image_count":/, 'stall: with the real body');
	ok($stalled >= 1.5 && $stalled < 5, sprintf('stall: took %.3f s (ARG 1500 ms)', $stalled));
}

# stats count faults; the access log shows what happened
{
	my (undef, $d) = get_json("$emu->{base}/__emulator/stats");
	open(my $fh, '<', $log) or die;
	my @lines = <$fh>;
	# HTTP::Tiny retries a GET once when a reused connection breaks
	my $ntrunc = grep { m{page=33 } } @lines;
	ok($ntrunc >= 2, "log: truncate requests logged ($ntrunc)");
	is($d->{faults}, 4 + 2 + 3 + 1 + $ntrunc + 1 + 1 + 1, 'stats: faults counted (shape included)');
	is(scalar(grep { / 429 \d+$/ } @lines), 4, 'log: four 429 lines');
	ok(scalar(grep { m{page=44 0 0$} } @lines), 'log: close logged as status 0, 0 bytes');
	my ($tr) = grep { m{page=33 200 } } @lines;
	like($tr, qr/ 200 (\d+)$/, 'log: truncate logged with the bytes actually sent');

	# reset zeroes fault counters too
	http_req('POST', "$emu->{base}/__emulator/reset");
	my @st = map { (get_json($cat))[0] } 1 .. 2;
	is_deeply(\@st, [200, 429], 'reset: fault counting starts over');
}
is(stop_emu($emu), 0, 'exit 0 after faults');

# --latency-ms
{
	my $e = start_emu('--data', sample_file(), '--latency-ms', '300');
	my $t0 = time;
	my ($st) = get_json("$e->{base}/v1/$P/annotation-jobs");
	my $dt = time - $t0;
	is($st, 200, 'latency: answers');
	ok($dt >= 0.3 && $dt < 2, sprintf('latency: took %.3f s (300 ms)', $dt));
	$t0 = time;
	http_get("$e->{base}/__emulator/stats");
	ok(time - $t0 < 0.25, 'latency: not on /__emulator');
	stop_emu($e);
}

# fault applies to every matching request when EVERY=1, no substring
{
	my $e = start_emu('--data', sample_file(), '--fault', '500:1');
	my @st = map { (get_json("$e->{base}/v1/$P/annotation-jobs"))[0] } 1 .. 3;
	is_deeply(\@st, [500, 500, 500], 'no substring: every API request');
	is(http_get("$e->{base}/__emulator/stats")->{status}, 200, 'no substring: /__emulator untouched');
	stop_emu($e);
}

# 502 and 504: a gateway's HTML answers, every 2nd matching request
{
	my $e = start_emu('--data', sample_file(), '--fault', '502:2@page=3', '--fault', '504:2@page=4');
	my $url = "$e->{base}/v1/$P/data-annotations/282/images?per_page=10";
	for my $st (502, 504) {
		my $page = $st == 502 ? 3 : 4;
		my @res = map { http_get("$url&page=$page") } 1 .. 4;
		is_deeply([ map { $_->{status} } @res ], [ 200, $st, 200, $st ], "$st:2: every second matching request");
		is($res[1]{headers}{'content-type'}, 'text/html', "$st: an HTML body, as from a gateway");
		like($res[1]{content}, qr{<h1>$st }, "$st: saying so");
	}
	is((get_json("$e->{base}/__emulator/stats"))[1]{faults}, 4, '502, 504: faults counted');
	stop_emu($e);
}

# ---- hostile answers ----
# The images faults alter the endpoint's own answer: the first image only
# (shortpage: the page), everything else byte for byte what the emulator
# answers without the fault.  Each is compared with a faultless emulator.
{
	my $plain = start_emu('--data', sample_file());
	my $e = start_emu('--data', sample_file(),
		'--fault', 'badutf8:1@page=11',
		'--fault', 'nul:1@page=12',
		'--fault', 'nulraw:1@page=13',
		'--fault', 'tagstype:1@page=14',
		'--fault', 'tagstype:1:string@page=15',
		'--fault', 'tagstype:1:object@page=16',
		'--fault', 'sizetype:1@page=17',
		'--fault', 'shortpage:1@page=18',
		'--fault', 'shortlen:1@page=19',
		'--fault', 'shortlen:1:100@page=20',
		'--fault', 'uglymsg:1@page=21',
		'--fault', 'badutf8:1@/tags');
	my $bad = "\xff\xfe\xc3\x28";
	my $raw = sub { http_get("$_[0]{base}/v1/$P/data-annotations/$_[1]")->{content} };
	# the page asked of the faultless emulator: its images, decoded
	my $want = sub {
		my ($job, $q) = @_;
		return json_decode($raw->($plain, "$job/images?$q"));
	};
	# what differs between two decoded answers, the first image aside
	my $rest_same = sub {
		my ($got, $exp, $what) = @_;
		my %g = %$got; my %x = %$exp;
		my @gi = @{ delete $g{images} }; my @xi = @{ delete $x{images} };
		shift @gi; shift @xi;
		is_deeply([ \%g, \@gi ], [ \%x, \@xi ], "$what: the rest of the answer unchanged");
	};

	# badutf8: ff fe c3 28 after the first image's name and its first tag,
	# raw in the JSON text; a detection box's "tag" likewise
	for my $job (282, 283) {
		my $q = "per_page=3&page=11";
		my $body = $raw->($e, "$job/images?$q");
		my $exp = $want->($job, $q);
		my $img0 = $exp->{images}[0];
		my $tag0 = ref $img0->{tags}[0] ? $img0->{tags}[0]{tag} : $img0->{tags}[0];
		ok(index($body, qq{"image_name":"$img0->{image_name}$bad"}) >= 0,
			"badutf8 $job: image_name ends in ff fe c3 28, raw");
		my $tag_raw = $tag0; utf8::encode($tag_raw);
		ok(index($body, qq{"$tag_raw$bad"}) >= 0, "badutf8 $job: the first tag too ($tag0)");
		my $d = eval { JSON::PP->new->latin1->decode($body) };
		ok($d, "badutf8 $job: the body is JSON but for the bytes");
		is(scalar @{ $d->{images} }, 3, "badutf8 $job: three images");
		my $rest = $body =~ s/\Q$bad\E//gr;
		$d = json_decode($rest);
		$rest_same->($d, $exp, "badutf8 $job");
		my %g0 = %{ $d->{images}[0] };
		is_deeply(\%g0, $img0, "badutf8 $job: the first image is the same without those bytes");
	}
	{
		my $res = http_get("$e->{base}/v1/$P/data-annotations/282/tags");
		is($res->{content}, http_get("$plain->{base}/v1/$P/data-annotations/282/tags")->{content},
			'badutf8: a tags answer is left alone');
	}

	# nul: "abc\u0000def", escaped as JSON escapes it
	{
		my $q = "per_page=3&page=12";
		my $body = $raw->($e, "282/images?$q");
		like($body, qr/"image_name":"abc\\u0000def"/, 'nul: image_name "abc\u0000def"');
		my $d = json_decode($body);
		is($d->{images}[0]{image_name}, "abc\0def", 'nul: which decodes to abc NUL def');
		my $exp = $want->(282, $q);
		$rest_same->($d, $exp, 'nul');
		delete $d->{images}[0]{image_name};
		my %x0 = %{ $exp->{images}[0] }; delete $x0{image_name};
		is_deeply($d->{images}[0], \%x0, 'nul: the first image\'s other fields unchanged');
	}

	# nulraw: a raw NUL byte inside the JSON string
	{
		my $body = $raw->($e, "282/images?per_page=3&page=13");
		ok(index($body, qq{"image_name":"abc\0def"}) >= 0, 'nulraw: a raw NUL byte in image_name');
		is(scalar(() = $body =~ /\0/g), 1, 'nulraw: one NUL byte in the body');
	}

	# tagstype: 5, "a", {}
	for my $t ([14, 5, 'number'], [15, 'a', 'string'], [16, {}, 'object']) {
		my $q = "per_page=3&page=$t->[0]";
		my $d = json_decode($raw->($e, "282/images?$q"));
		my $exp = $want->(282, $q);
		is_deeply($d->{images}[0]{tags}, $t->[1], "tagstype $t->[2]: the first image's tags");
		ok(ref $d->{images}[1]{tags} eq 'ARRAY', "tagstype $t->[2]: the second's still an array");
		$rest_same->($d, $exp, "tagstype $t->[2]");
	}

	# sizetype: "1920x1080", on a classification and a detection image
	for my $job (282, 283) {
		my $q = "per_page=3&page=17";
		my $d = json_decode($raw->($e, "$job/images?$q"));
		is($d->{images}[0]{size}, '1920x1080', "sizetype $job: size is the string \"1920x1080\"");
		is(ref $d->{images}[1]{size}, 'ARRAY', "sizetype $job: the second image's size unchanged");
		$rest_same->($d, $want->($job, $q), "sizetype $job");
	}

	# shortpage: half the page, image_count the filter's total
	{
		my $d = json_decode($raw->($e, "282/images?per_page=10&page=18"));
		my $exp = $want->(282, 'per_page=10&page=18');
		is(scalar @{ $exp->{images} }, 10, 'shortpage: (the page is full without the fault)');
		is_deeply([ map { $_->{image_id} } @{ $d->{images} } ],
			[ map { $_->{image_id} } @{ $exp->{images} }[0 .. 4] ], 'shortpage: its first 5 images');
		is($d->{image_count}, 210, 'shortpage: image_count the total, 210');
		# page 18 of 99 a page is past the end of 285's 100 images
		$d = json_decode($raw->($e, "285/images?per_page=99&page=18"));
		is_deeply([ scalar @{ $d->{images} }, $d->{image_count} ], [ 0, 100 ],
			'shortpage: past the end it stays empty');
		$d = json_decode($raw->($e, "282/images?per_page=1&page=18"));
		is_deeply([ scalar @{ $d->{images} }, $d->{image_count} ], [ 0, 210 ],
			'shortpage: a page of one image comes empty, image_count 210');
	}

	# shortlen: Content-Length ARG bytes (1 by default) short of the body,
	# the whole body sent, then the connection closed
	for my $t ([19, 1], [20, 100]) {
		my $target = "/v1/$P/data-annotations/282/images?per_page=2&page=$t->[0]";
		my $full = http_get("$plain->{base}$target")->{content};
		my ($buf) = raw_http($e->{port}, "GET $target HTTP/1.1\r\nHost: x\r\n\r\n");
		my ($head, $body) = split /\r\n\r\n/, $buf, 2;
		my @cl = $head =~ /^Content-Length: (\d+)\r?$/mig;
		like($head, qr{^HTTP/1\.1 200}, "shortlen $t->[1]: 200");
		is_deeply(\@cl, [ length($full) - $t->[1] ], "shortlen $t->[1]: one Content-Length, $t->[1] short of the body");
		is($body, $full, "shortlen $t->[1]: the whole body sent");
		unlike($head, qr/^Transfer-Encoding/mi, "shortlen $t->[1]: not chunked");
		like($head, qr/^Connection: close/mi, "shortlen $t->[1]: the connection closes");
	}

	# uglymsg: 400 whose error_msg is 5,000 bytes: ANSI escapes, a bell,
	# CR LF, a backspace, invalid UTF-8
	{
		my $res = http_get("$e->{base}/v1/$P/data-annotations/282/images?per_page=2&page=21");
		is($res->{status}, 400, 'uglymsg: 400');
		unlike($res->{content}, qr/[\x00-\x1f]/, 'uglymsg: control characters JSON-escaped in the body');
		my $d = JSON::PP->new->latin1->decode($res->{content});
		my $m = $d->{error_msg};
		is($d->{error_code}, 'ModelArts.0104', 'uglymsg: ModelArts.0104');
		is(length($m), 5000, 'uglymsg: error_msg is 5,000 bytes');
		like($m, qr/^\e\[31m/, 'uglymsg: starts with an ANSI colour escape');
		like($m, qr/\a/, 'uglymsg: a bell');
		like($m, qr/\r\n/, 'uglymsg: CR LF');
		ok(index($m, $bad) >= 0, 'uglymsg: ff fe c3 28');
	}
	my (undef, $st) = get_json("$e->{base}/__emulator/stats");
	ok($st->{faults} >= 16, "hostile faults counted in stats ($st->{faults})");
	is(stop_emu($e), 0, 'hostile faults: exit 0');
	stop_emu($plain);
}

# bad --fault specs
for my $bad (['boom:1', '--fault boom:1: unknown kind "boom" (valid: 429, 500, 502, 503, 504, stall, truncate, badjson, close, shape, uglymsg, shortlen, badutf8, nul, nulraw, tagstype, sizetype, shortpage)'],
	['429', '--fault 429: expected KIND:EVERY[:ARG][@SUBSTRING]'],
	['429:0', '--fault 429:0: EVERY must be an integer >= 1'],
	['500:1:5', '--fault 500:1:5: only 429 (Retry-After seconds), stall (milliseconds), shortlen (bytes short) and tagstype (number, string or object) take an ARG'],
	['nul:1:5', '--fault nul:1:5: only 429 (Retry-After seconds), stall (milliseconds), shortlen (bytes short) and tagstype (number, string or object) take an ARG'],
	['stall:1:x', '--fault stall:1:x: ARG must be an integer >= 0'],
	['shortlen:1:0', '--fault shortlen:1:0: ARG must be an integer >= 1'],
	['tagstype:1:list', '--fault tagstype:1:list: ARG of tagstype must be number, string or object'],
	['close:1@', q{--fault close:1@: empty substring after '@'}]) {
	my ($rc, $out, $err) = run_emu_fail('--data', sample_file(), '--fault', $bad->[0]);
	is($rc, 2, "--fault $bad->[0]: exit 2");
	is($err, "modelarts-emulator: $bad->[1]\n", "--fault $bad->[0]: message");
}

done_testing();
