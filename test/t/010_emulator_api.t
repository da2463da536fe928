# The emulator's API endpoints against test/data/sample.json: every endpoint,
# each tag_name mode, page arithmetic at the edges, the error answers, the
# access log, stats, --generate, refused data files, shutdown.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use Encode qw(encode_utf8);
use Test::More;

my $P = project_id();
my $sample = load_sample();
my %job = map { $_->{project_id} => $_ } @{ $sample->{jobs} };

sub enc {
	my $s = encode_utf8($_[0]);
	$s =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord $1)/ge;
	return $s;
}

my $log = tmpdir() . '/access.log';
my $old_umask = umask(077);    # the log must still come out 0644
my $emu = start_emu('--data', sample_file(), '--access-log', $log);
umask($old_umask);
my $B = "$emu->{base}/v1/$P";

# ---- annotation-jobs ----
{
	my ($st, $d, $res) = get_json("$B/annotation-jobs");
	is($st, 200, 'jobs: 200');
	is($res->{headers}{'content-type'}, 'application/json', 'jobs: content type');
	is($d->{is_success}, JSON::PP::true, 'jobs: is_success');
	is($d->{job_total_count}, 4, 'jobs: job_total_count');
	is_deeply([ map { $_->{dls_prj_id} } @{ $d->{jobs} } ], [282, 283, 284, 285],
		'jobs: sorted by create_time, then id');
	is_deeply($d->{jobs}[0], {
		id => 'job-282', name => 'cats-and-dogs',
		description => 'street photos, spring batch',
		type => 'Manual Image classify', path => '/my-bucket/cats-and-dogs/',
		create_time => 1565000000000, dls_prj_id => 282,
		progress_detail => { total_count => 240, has_tag_count => 210, not_tag_count => 30 },
	}, 'jobs: every field of job 282');
	is($d->{jobs}[1]{type}, 'Manual Object detection', 'jobs: detection type');
	is_deeply($d->{jobs}[1]{progress_detail},
		{ total_count => 60, has_tag_count => 50, not_tag_count => 10 }, 'jobs: 283 progress');
	is_deeply($d->{jobs}[2]{progress_detail},
		{ total_count => 0, has_tag_count => 0, not_tag_count => 0 }, 'jobs: empty job progress');

	($st, $d) = get_json("$B/annotation-jobs?offset=2&limit=3");
	is_deeply([ map { $_->{dls_prj_id} } @{ $d->{jobs} } ], [285], 'jobs: offset is a 1-based page');
	is($d->{job_total_count}, 4, 'jobs: total independent of paging');
	($st, $d) = get_json("$B/annotation-jobs?offset=2&limit=2&sort_by=create_time&order=asc");
	is_deeply([ map { $_->{dls_prj_id} } @{ $d->{jobs} } ], [284, 285], 'jobs: page 2 of 2');
	($st, $d) = get_json("$B/annotation-jobs?offset=9&limit=100");
	is($st, 200, 'jobs: page past the end 200');
	is_deeply($d->{jobs}, [], 'jobs: page past the end empty');
	for my $case (['offset=0', 'offset must be an integer >= 1, got "0"'],
		['limit=0', 'limit must be an integer from 1 to 100, got "0"'],
		['limit=101', 'limit must be an integer from 1 to 100, got "101"'],
		['limit=x', 'limit must be an integer from 1 to 100, got "x"']) {
		($st, $d) = get_json("$B/annotation-jobs?$case->[0]");
		is($st, 400, "jobs: $case->[0] is 400");
		is_deeply($d, { is_success => JSON::PP::false, error_code => 'ModelArts.0104',
			error_msg => $case->[1] }, "jobs: $case->[0] error body");
	}
}

# ---- images: each job, each filter, stitched from pages equals the oracle ----
for my $jid (282, 283, 284, 285) {
	my $j = $job{$jid};
	my %tags;
	for my $img (@{ $j->{images} }) {
		$tags{ ref $_ ? $_->{tag} : $_ } = 1 for @{ $img->{tags} };
	}
	my %byid = map { $_->{image_id} => $_ } @{ $j->{images} };
	for my $tag (undef, '__none__', sort(keys %tags), 'no such tag', '') {
		my $label = "job $jid tag " . (defined $tag ? "'$tag'" : 'absent');
		my $want = expected_ids($j, $tag);
		my (@got, $count, $bad, $pages);
		my $q = defined $tag ? '&tag_name=' . enc($tag) : '';
		for (my $page = 1; ; $page++) {
			my ($st, $d) = get_json("$B/data-annotations/$jid/images?per_page=7&page=$page$q");
			$pages++;
			if ($st != 200) { $bad = "status $st"; last }
			$count = $d->{image_count};
			for my $img (@{ $d->{images} }) {
				push @got, $img->{image_id};
				$bad //= "image $img->{image_id} differs from the data file"
				  unless $JSON::PP::true && eq_deeply_json($img, $byid{ $img->{image_id} });
			}
			last if @{ $d->{images} } < 7;
		}
		ok(!$bad, "$label: answers as in the file") or diag $bad;
		is($count, scalar @$want, "$label: image_count");
		is_deeply(\@got, $want, "$label: pages stitch to the expected ids in order");
	}
}

sub eq_deeply_json {
	my ($a, $b) = @_;
	my $c = JSON::PP->new->canonical->allow_nonref;
	return $c->encode($a) eq $c->encode($b);
}

# ---- top-level fields, versions, extra keys ----
{
	my ($st, $d) = get_json("$B/data-annotations/282/images?per_page=100&page=1");
	for my $k (qw(project_id project_name project_desc project_type create_time version_num data_path versions)) {
		is_deeply($d->{$k}, $job{282}{$k}, "images: top-level $k as in the file");
	}
	is($d->{is_success}, JSON::PP::true, 'images: is_success true');
	ok(!exists $d->{error_code}, 'images: no error_code on success');
	my @all;
	for my $p (1 .. 3) {
		my (undef, $dd) = get_json("$B/data-annotations/282/images?per_page=100&page=$p&tag_name=cat");
		push @all, @{ $dd->{images} };
	}
	my ($first) = grep { $_->{image_name} eq 'IMG_0001.jpg' } @all;
	is($first->{camera}, 'X100', 'extra key camera served back');
	is($first->{score}, 0.87, 'extra key score served back');
	my ($st2, $d2, $res2) = get_json("$B/data-annotations/282/images?per_page=100&page=1&tag_name=__none__");
	like($res2->{content}, qr/"image_name":"IMG \\"quoted\\" \\\\ back\.jpg"|"reviewed"/, 'escaping or extras present in raw body');
	my ($st3, $d3, $res3) = get_json("$B/data-annotations/283/images?per_page=100&page=1&tag_name=car");
	ok(ref $d3->{images}[0]{tags}[0] eq 'HASH' && exists $d3->{images}[0]{tags}[0]{pos},
		'detection: tags are {tag,pos} objects');
}

# ---- tag_name decoding ----
{
	my %cases = (
		'a%26per_page%3D1000' => 3, 'x%23y' => 2, '100%25' => 3,
		'black%20cat' => 57, 'black+cat' => 0, '%E7%8C%AB' => 50,
		'cat' => 63, 'Cat' => 48, 'CAT' => 0,
	);
	for my $raw (sort keys %cases) {
		my ($st, $d) = get_json("$B/data-annotations/282/images?tag_name=$raw&per_page=1&page=1");
		is($d->{image_count}, $cases{$raw}, "tag_name=$raw matches $cases{$raw}");
	}
	my ($st, $d) = get_json("$B/data-annotations/282/images?per_page=1&page=1&tag_name=a&per_page=1000");
	is($st, 400, 'unencoded & in a tag name shows as a second per_page: 400');
	is($d->{error_msg}, 'per_page is given more than once', 'duplicate parameter message');
}

# ---- page arithmetic on job 285 (100 images) ----
{
	my $all = expected_ids($job{285}, undef);
	my $u = "$B/data-annotations/285/images";
	my ($st, $d) = get_json("$u?per_page=100&page=1");
	is(scalar @{ $d->{images} }, 100, 'per_page=100: one full page');
	is_deeply([ map { $_->{image_id} } @{ $d->{images} } ], $all, 'per_page=100: all, in order');
	($st, $d) = get_json("$u?per_page=100&page=2");
	is($st, 200, 'page past the end: 200');
	is_deeply($d->{images}, [], 'page past the end: images []');
	is($d->{image_count}, 100, 'page past the end: image_count still 100');
	($st, $d) = get_json("$u?per_page=50&page=2");
	is_deeply([ map { $_->{image_id} } @{ $d->{images} } ], [ @$all[50 .. 99] ], 'last full page');
	($st, $d) = get_json("$u?per_page=1&page=100");
	is_deeply([ map { $_->{image_id} } @{ $d->{images} } ], [ $all->[99] ], 'per_page=1, page=100: the last image');
	($st, $d) = get_json("$u?per_page=1&page=101");
	is_deeply($d->{images}, [], 'per_page=1, page=101: empty');
	($st, $d) = get_json("$u?per_page=30&page=4");
	is_deeply([ map { $_->{image_id} } @{ $d->{images} } ], [ @$all[90 .. 99] ], 'partial last page');
	($st, $d) = get_json("$u?per_page=100&page=99999999999999999999999");
	is($st, 200, 'huge page number: 200');
	is_deeply($d->{images}, [], 'huge page number: empty');
	($st, $d) = get_json("$B/data-annotations/284/images?per_page=10&page=1");
	is_deeply([ $st, $d->{image_count}, $d->{images} ], [ 200, 0, [] ], 'empty job: 200, 0, []');

	for my $case (
		['page=1', 'per_page is required (an integer from 1 to 100)'],
		['per_page=0&page=1', 'per_page must be an integer from 1 to 100, got "0"'],
		['per_page=101&page=1', 'per_page must be an integer from 1 to 100, got "101"'],
		['per_page=abc&page=1', 'per_page must be an integer from 1 to 100, got "abc"'],
		['per_page=-1&page=1', 'per_page must be an integer from 1 to 100, got "-1"'],
		['per_page=&page=1', 'per_page must be an integer from 1 to 100, got ""'],
		['per_page=10', 'page is required (an integer >= 1)'],
		['per_page=10&page=0', 'page must be an integer >= 1, got "0"'],
		['per_page=10&page=x1', 'page must be an integer >= 1, got "x1"'],
		['per_page=10&page=1&page=2', 'page is given more than once'],
		['per_page=10&page=1&tag_name=x&tag_name=y', 'tag_name is given more than once'],
	) {
		($st, $d, my $res) = get_json("$u?$case->[0]");
		is($st, 400, "?$case->[0]: 400");
		is_deeply($d, { is_success => JSON::PP::false, error_code => 'ModelArts.0104',
			error_msg => $case->[1] }, "?$case->[0]: error body");
		is($res->{headers}{'content-type'}, 'application/json', "?$case->[0]: json content type");
	}
}

# ---- tags and tags/stats ----
for my $jid (282, 283, 284, 285) {
	my %count;
	my ($has, $none) = (0, 0);
	for my $img (@{ $job{$jid}{images} }) {
		my %t = map { (ref $_ ? $_->{tag} : $_) => 1 } @{ $img->{tags} };
		$count{$_}++ for keys %t;
		%t ? $has++ : $none++;
	}
	my @names = sort { encode_utf8($a) cmp encode_utf8($b) } keys %count;
	my ($st, $d) = get_json("$B/data-annotations/$jid/tags");
	is($st, 200, "tags $jid: 200");
	is_deeply($d, { is_success => JSON::PP::true, tags => \@names }, "tags $jid: names in byte order");
	($st, $d) = get_json("$B/data-annotations/$jid/tags/stats");
	is_deeply($d, {
		is_success => JSON::PP::true,
		tag_count => [ map { { tag => $_, count => $count{$_} } } @names ],
		tags_stat => [ { has_tag => JSON::PP::true, count => $has },
			{ has_tag => JSON::PP::false, count => $none } ],
	}, "tags/stats $jid: image counts per tag");
}

# ---- errors ----
{
	my @cases = (
		["$B/data-annotations/999/images?per_page=1&page=1", 404, 'ModelArts.0102'],
		["$B/data-annotations/abc/images?per_page=1&page=1", 404, 'ModelArts.0102'],
		["$B/data-annotations/999/tags", 404, 'ModelArts.0102'],
		["$B/data-annotations/999/tags/stats", 404, 'ModelArts.0102'],
		["$emu->{base}/v1/ffffffffffffffffffffffffffffffff/data-annotations/282/images?per_page=1&page=1", 403, 'ModelArts.0210'],
		["$emu->{base}/v1/ffffffffffffffffffffffffffffffff/annotation-jobs", 403, 'ModelArts.0210'],
		["$B/data-annotations/282/nothing", 404, 'APIG.0101'],
		["$emu->{base}/", 404, 'APIG.0101'],
		["$B/data-annotations/282/images/", 404, 'APIG.0101'],
	);
	for my $c (@cases) {
		my ($st, $d, $res) = get_json($c->[0]);
		(my $short = $c->[0]) =~ s{^http://[^/]+}{};
		is($st, $c->[1], "$short: status $c->[1]");
		is($d->{error_code}, $c->[2], "$short: $c->[2]");
		is($d->{is_success}, JSON::PP::false, "$short: is_success false");
		ok(length($d->{error_msg} // '') > 10, "$short: has an error_msg");
		is($res->{headers}{'content-type'}, 'application/json', "$short: json");
	}
	my ($st, $d) = get_json("$B/data-annotations/999/images?per_page=1&page=1");
	is($d->{error_msg}, 'labeling job "999" does not exist', '404 message names the job');
	my $res = http_req('POST', "$B/data-annotations/282/images?per_page=1&page=1");
	is($res->{status}, 405, 'POST on images: 405');
	is(json_decode($res->{content})->{error_code}, 'APIG.0106', 'POST on images: JSON error');
	is($res->{headers}{allow}, 'GET', 'POST on images: Allow: GET');
	$res = http_req('DELETE', "$B/annotation-jobs");
	is($res->{status}, 405, 'DELETE on jobs: 405');
}

# ---- keep-alive: two requests, one connection ----
{
	my $req = "GET /v1/$P/data-annotations/285/tags HTTP/1.1\r\nHost: x\r\n\r\n"
	  . "GET /v1/$P/data-annotations/285/tags HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	my ($buf) = raw_http($emu->{port}, $req);
	my @st = $buf =~ m{HTTP/1\.1 (\d+) OK\r\n}g;
	is_deeply(\@st, [200, 200], 'keep-alive: two answers on one connection');
}

# ---- stats and the access log ----
{
	my $res = http_req('POST', "$emu->{base}/__emulator/reset");
	is($res->{status}, 200, 'reset: 200');
	my ($st, $d) = get_json("$emu->{base}/__emulator/stats");
	# connections depend on the client's keep-alive: checked in 180_keepalive.t
	ok(exists $d->{connections}, 'stats: connections counted');
	delete $d->{connections};
	is_deeply($d, { total => 0, images => 0, tags => 0, tags_stats => 0, jobs => 0,
		tokens => 0, other => 0, errors => 0, faults => 0, v2 => 0,
		in_flight => 0, max_in_flight => 0 }, 'stats: zero after reset');
	open(my $fh, '>', $log . '.mark'); close $fh;
	my $lines_before = () = do { open(my $l, '<', $log); <$l> };
	get_json("$B/data-annotations/282/images?per_page=2&page=1&tag_name=a%26per_page%3D1000");
	get_json("$B/data-annotations/282/images?per_page=0&page=1");
	get_json("$B/data-annotations/282/tags");
	get_json("$B/data-annotations/282/tags/stats");
	get_json("$B/annotation-jobs");
	get_json("$B/data-annotations/282/bogus");
	get_json("$emu->{base}/__emulator/stats");
	($st, $d) = get_json("$emu->{base}/__emulator/stats");
	delete $d->{connections};
	is_deeply($d, { total => 6, images => 2, tags => 1, tags_stats => 1, jobs => 1,
		tokens => 0, other => 1, errors => 2, faults => 0, v2 => 0,
		in_flight => 0, max_in_flight => 1 }, 'stats: exact counts (one request at a time)');

	open(my $l, '<', $log) or die;
	my @lines = <$l>;
	close $l;
	@lines = @lines[$lines_before .. $#lines];
	my ($b1) = length(http_get("$B/data-annotations/282/images?per_page=2&page=1&tag_name=a%26per_page%3D1000")->{content});
	is(scalar @lines, 6, 'access log: one line per API request, none for /__emulator');
	is($lines[0], "GET /v1/$P/data-annotations/282/images?per_page=2&page=1&tag_name=a%26per_page%3D1000 200 $b1\n",
		'access log: raw target, status, bytes');
	like($lines[1], qr{^GET /v1/$P/data-annotations/282/images\?per_page=0&page=1 400 \d+\n\z}, 'access log: 400');
	is($lines[4], "GET /v1/$P/annotation-jobs 200 " . length(http_get("$B/annotation-jobs")->{content}) . "\n",
		'access log: no ? without a query');
	like($lines[5], qr{ 404 \d+\n\z}, 'access log: 404');
	is((stat $log)[2] & 07777, 0644, 'access log: mode 0644 despite umask 077');
}

# ---- fixed --port and shutdown ----
{
	my $port = $emu->{port};
	is(stop_emu($emu), 0, 'SIGTERM: exit status 0');
	my $again = start_emu('--data', sample_file(), '--port', $port);
	is($again->{port}, $port, '--port N: listens on N and prints it');
	is(stop_emu($again, 'INT'), 0, 'SIGINT: exit status 0');
	my $lsof = `cat /proc/net/tcp 2>/dev/null`;
	my $hexport = sprintf('%04X', $port);
	unlike($lsof, qr/0100007F:$hexport 00000000:0000 0A/, 'port released after shutdown');
}

# ---- --generate ----
{
	my $spec = 'seed=5,jobs=3,images=500,tags=8,untagged=0.2,detection=1,boxes=4';
	my $e1 = start_emu('--generate', $spec);
	my $e2 = start_emu('--generate', $spec);
	my $e3 = start_emu('--generate', 'seed=6,jobs=3,images=500,tags=8,untagged=0.2,detection=1,boxes=4');
	my $same = 1;
	for my $u ('/annotation-jobs', map({ ("/data-annotations/$_/images?per_page=100&page=2",
		"/data-annotations/$_/tags/stats", "/data-annotations/$_/images?per_page=100&page=1&tag_name=tag-03") } 1 .. 3)) {
		$same &&= http_get("$e1->{base}/v1/$P$u")->{content} eq http_get("$e2->{base}/v1/$P$u")->{content};
	}
	ok($same, '--generate: same seed, byte-identical answers');
	isnt(http_get("$e1->{base}/v1/$P/data-annotations/1/images?per_page=100&page=1")->{content},
		http_get("$e3->{base}/v1/$P/data-annotations/1/images?per_page=100&page=1")->{content},
		'--generate: another seed, other data');
	my ($st, $d) = get_json("$e1->{base}/v1/$P/annotation-jobs");
	is($d->{job_total_count}, 3, '--generate: jobs=3');
	is_deeply([ map { $_->{progress_detail}{total_count} } @{ $d->{jobs} } ], [500, 500, 500], '--generate: images per job');
	is_deeply([ map { $_->{type} } @{ $d->{jobs} } ],
		['Manual Image classify', 'Manual Image classify', 'Manual Object detection'], '--generate: last job detection');
	my $un = $d->{jobs}[0]{progress_detail}{not_tag_count};
	ok($un > 60 && $un < 140, "--generate: untagged=0.2 gives about 100 of 500 untagged ($un)");
	my @ids;
	for my $p (1 .. 5) {
		(undef, my $dd) = get_json("$e1->{base}/v1/$P/data-annotations/3/images?per_page=100&page=$p");
		push @ids, map { $_->{image_id} } @{ $dd->{images} };
	}
	is(scalar @ids, 500 - $d->{jobs}[2]{progress_detail}{not_tag_count}, '--generate: tagged images all reachable');
	is_deeply(\@ids, [ sort @ids ], '--generate: image_id ascending');
	ok(!grep({ !/^[0-9a-f]{32}\z/ } @ids), '--generate: 32 hex ids');
	(undef, my $tags) = get_json("$e1->{base}/v1/$P/data-annotations/1/tags");
	is_deeply($tags->{tags}, [ map { sprintf 'tag-%02d', $_ } 0 .. 7 ], '--generate: tags=8 names');
	(undef, my $det) = get_json("$e1->{base}/v1/$P/data-annotations/3/images?per_page=100&page=1");
	my $maxbox = 0;
	$maxbox < @{ $_->{tags} } and $maxbox = @{ $_->{tags} } for @{ $det->{images} };
	ok($maxbox >= 2 && $maxbox <= 4, "--generate: detection boxes 1..4 (max seen $maxbox)");
	stop_emu($_) for $e1, $e2, $e3;

	for my $bad (['images=abc', '--generate: images: expected a non-negative integer, got "abc"'],
		['color=red', '--generate: unknown key "color" (valid: seed, jobs, images, tags, untagged, detection, boxes)'],
		['untagged=2', '--generate: untagged: expected a fraction between 0 and 1, got "2"'],
		['jobs', '--generate: "jobs": expected key=value']) {
		my ($rc, $out, $err) = run_emu_fail('--generate', $bad->[0]);
		is($rc, 2, "--generate $bad->[0]: exit 2");
		is($err, "$bad->[1]\n", "--generate $bad->[0]: message");
		is($out, '', "--generate $bad->[0]: no port printed");
	}
}

# ---- refused data files ----
{
	my $dir = tmpdir();
	my %files = (
		'syntax.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",\n "jobs": [\n  {"project_id": 1,, "images": []}]}\n),
			qr/^\Q$dir\E\/syntax\.json: line 3, column \d+: invalid JSON near "/ ],
		'eof.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",\n "jobs": [\n),
			qr/^\Q$dir\E\/eof\.json: line 3, column 1: unexpected end of file/ ],
		'trailing.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": []}\n}\n),
			qr/^\Q$dir\E\/trailing\.json: line 2, column 1: unexpected text after the JSON document$/ ],
		'imageid.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "a", "images": [{"image_id": "00000000000000000000000000000001"}, {"image_id": 5}]}]}),
			qr/^\Q$dir\E\/imageid\.json: jobs\[0\]\.images\[1\]\.image_id: expected a string$/ ],
		'hex.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "a", "images": [{"image_id": "xyz"}]}]}),
			qr/^\Q$dir\E\/hex\.json: jobs\[0\]\.images\[0\]\.image_id: expected 32 hex digits, got "xyz"$/ ],
		'dup.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "a", "images": [{"image_id": "00000000000000000000000000000001"}, {"image_id": "00000000000000000000000000000002"}, {"image_id": "00000000000000000000000000000001"}]}]}),
			qr/^\Q$dir\E\/dup\.json: jobs\[0\]\.images\[2\]\.image_id: duplicate of images\[0\]\.image_id "0+1"$/ ],
		'project.json' => [ qq({"project_id": "nope", "jobs": []}),
			qr/^\Q$dir\E\/project\.json: project_id: expected 32 hex digits, got "nope"$/ ],
		'jobs.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": {}}),
			qr/^\Q$dir\E\/jobs\.json: jobs: expected an array$/ ],
		'tags.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "a", "project_type": 1, "images": [{"image_id": "00000000000000000000000000000001", "tags": ["cat"]}]}]}),
			qr/^\Q$dir\E\/tags\.json: jobs\[0\]\.images\[0\]\.tags\[0\]: expected an object with a string "tag" \(detection job\)$/ ],
		'jobid.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": "7", "project_name": "a", "images": []}]}),
			qr/^\Q$dir\E\/jobid\.json: jobs\[0\]\.project_id: expected a non-negative integer$/ ],
		'size.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "a", "images": [{"image_id": "00000000000000000000000000000001", "size": [1]}]}]}),
			qr/^\Q$dir\E\/size\.json: jobs\[0\]\.images\[0\]\.size: expected an array of two numbers \[width, height\]$/ ],
		'dupjob.json' => [ qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "a", "images": []}, {"project_id": 7, "project_name": "b", "images": []}]}),
			qr/^\Q$dir\E\/dupjob\.json: jobs: duplicate project_id 7$/ ],
	);
	for my $f (sort keys %files) {
		open(my $fh, '>', "$dir/$f") or die;
		print $fh $files{$f}[0];
		close $fh;
		my ($rc, $out, $err) = run_emu_fail('--data', "$dir/$f");
		is($rc, 2, "bad data $f: exit 2");
		like($err, $files{$f}[1], "bad data $f: message") or diag $err;
		is($out, '', "bad data $f: no port printed");
	}
	my ($rc, $out, $err) = run_emu_fail('--data', "$dir/missing.json");
	is_deeply([ $rc, $err ], [ 2, "$dir/missing.json: No such file or directory\n" ], 'missing data file: exit 2 + message');
	($rc, $out, $err) = run_emu_fail();
	is($rc, 2, 'neither --data nor --generate: exit 2');
	($rc, $out, $err) = run_emu_fail('--data', sample_file(), '--port', 'x');
	is($rc, 2, 'bad --port: exit 2');

	# a minimal valid file: optional fields default, missing tags = untagged
	open(my $fh, '>', "$dir/min.json") or die;
	print $fh qq({"project_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "jobs": [{"project_id": 7, "project_name": "m", "images": [{"image_id": "00000000000000000000000000000002", "weird": {"a": [1, null, true]}}, {"image_id": "00000000000000000000000000000001", "tags": ["t"]}]}]});
	close $fh;
	my $m = start_emu('--data', "$dir/min.json");
	my ($st, $d) = get_json("$m->{base}/v1/$P/data-annotations/7/images?per_page=10&page=1&tag_name=__none__");
	is_deeply($d->{images}, [ { image_id => '00000000000000000000000000000002', weird => { a => [1, undef, JSON::PP::true] } } ],
		'minimal file: missing tags means untagged; unknown nested keys verbatim');
	is_deeply([ @$d{qw(project_desc project_type create_time version_num data_path)}, $d->{versions} ],
		[ '', 0, 0, 0, '', [] ], 'minimal file: defaults for optional job fields');
	stop_emu($m);
}

done_testing();
