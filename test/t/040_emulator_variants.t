# The emulator's variants of the service and its concurrency gauge:
#   /__emulator/stats "in_flight" and "max_in_flight" (reset zeroes the peak);
#   --ignore-page (a misbehaving server: the first page, whatever is asked);
#   --past-end empty|repeat, --count total|absent|page, --listing-base 1|0
#   (the plausible variants of the contract's "Variants" table);
#   refused values exit 2 with a message.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use IO::Socket::INET;
use Test::More;
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

# ---- refused values, --help ----
for my $bad ([ [ '--count', 'some' ], '--count: expected total, absent or page, got "some"' ],
	[ [ '--listing-base', '2' ], '--listing-base: expected 1 or 0, got "2"' ],
	[ [ '--listing-base', '01' ], '--listing-base: expected 1 or 0, got "01"' ],
	[ [ '--past-end', 'loop' ], '--past-end: expected empty or repeat, got "loop"' ]) {
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
	  for 'count total|absent|page', 'listing-base 1|0', 'past-end empty|repeat', 'ignore-page';
}

done_testing();
