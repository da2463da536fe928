# The request pipeline under faults: several page requests in flight per
# scan (requests_in_flight), retries of transport failures and of HTTP 429,
# 500, 502, 503 and 504 with back-off (Retry-After honoured), at most
# max_retries per request, never a retry of another 4xx, and a cancel that
# stops a scan with many requests in flight.
#
# A generated job of 3,000 images (10% untagged, 1 to 3 tags each) is read
# in full from a clean emulator; the rows' count and md5 must match what the
# emulator itself serves (read here page by page over HTTP).  Then, for each
# fault kind fired on every 7th API request, the FDW must give the very same
# count and md5: every fault kind here is one the pipeline retries, and a
# retry meets a fault again only if it happens to be a 7th request (about 1
# in 7), so max_retries 5 is exhausted about once in 7^5 requests: none may
# surface as an error.  A stalled request (2.5 s) is a timeout: the run with
# stalls sets request_timeout to 1 s, which bounds a request and all its
# retries together, so the stalled request spends it and the scan ends with
# a clear error (the other requests in flight are cancelled with it).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Digest::MD5 qw(md5_hex);
use Test::More;
use Time::HiRes qw(time sleep);

my $P = project_id();
my $GEN = 'seed=3,jobs=1,images=3000,tags=5,untagged=0.1';
my $Q = "SELECT count(*) || ' ' || md5(string_agg(image_id || coalesce(tag_name, ''), ',' "
  . "ORDER BY image_id, tag_name)) FROM images WHERE data_annotation_id = 1";
my $Q1 = $Q =~ s/FROM images /FROM images1 /r;

sub stats { (get_json("$_[0]{base}/__emulator/stats"))[1] }
sub reset_stats { http_req('POST', "$_[0]{base}/__emulator/reset") }

# The rows the emulator serves, one per (image, tag), NULL tag for an
# untagged image, read over HTTP: "count md5" as $Q computes it, and the
# number of non-empty pages of 100.
sub oracle {
	my ($emu) = @_;
	my @rows;
	my $pages = 0;
	for my $filter ('', '&tag_name=__none__') {
		for (my $page = 1; ; $page++) {
			my ($st, $d) = get_json("$emu->{base}/v1/$P/data-annotations/1/images?per_page=100&page=$page$filter");
			die "oracle: HTTP $st" unless $st == 200;
			$pages++ if @{ $d->{images} };
			for my $im (@{ $d->{images} }) {
				my @tags = @{ $im->{tags} };
				push @rows, @tags ? map { [ $im->{image_id}, $_ ] } @tags : [ $im->{image_id}, undef ];
			}
			last if @{ $d->{images} } < 100;
		}
	}
	@rows = sort { $a->[0] cmp $b->[0] || (defined $a->[1] ? defined $b->[1] ? $a->[1] cmp $b->[1] : -1 : 1) } @rows;
	return (scalar(@rows) . ' ' . md5_hex(join(',', map { $_->[0] . ($_->[1] // '') } @rows)), $pages);
}

# EXPLAIN (ANALYZE, VERBOSE) of a full scan: its per-scan counters
sub explain_counters {
	my ($db, $table) = @_;
	my ($rc, $out, $err) = psql($db, "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) "
		  . "SELECT count(*) FROM $table WHERE data_annotation_id = 1", timeout => 120);
	my %c;
	for my $k ('Remote requests sent', 'Retries', 'Images received', 'Bytes received', 'Rows dropped') {
		($c{$k}) = $out =~ /\Q$k\E: (\d+)/;
	}
	diag("EXPLAIN failed: $err") if $rc;
	return \%c;
}

my $crashes = backend_crashes();
my $log = tmpdir() . '/190.log';
my $emu = start_emu('--generate', $GEN, '--latency-ms', '5', '--access-log', $log);
my $db = fdw_db('tap_pipeline_faults');
setup_fdw($db, endpoint => $emu->{base}, requests_in_flight => '8',
	max_retries => '5', page_size => '100', request_timeout => '30');
psql_ok($db, <<SQL);
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE images1 (
  data_annotation_id bigint,
  image_id text,
  tag_name text
) SERVER ma OPTIONS (resource 'images', requests_in_flight '1');
SQL
die "setup failed\n" unless psql_ok($db, 'SELECT count(*) FROM pg_foreign_table') eq '2';

# ---- clean ----
my ($want, $pages) = oracle($emu);
like($want, qr/^\d+ [0-9a-f]{32}$/, "oracle: $want");
reset_stats($emu);
my $ref = psql_ok($db, $Q, timeout => 120);
is($ref, $want, 'clean: the rows the emulator serves');
my $st = stats($emu);
cmp_ok($st->{max_in_flight}, '>', 1, "clean, requests_in_flight 8: several requests in flight ($st->{max_in_flight})");
cmp_ok($st->{max_in_flight}, '<=', 8, 'clean, requests_in_flight 8: never more than 8');
is($st->{errors}, 0, 'clean: no error answers');

my $c = explain_counters($db, 'images');
is($c->{Retries}, 0, 'clean EXPLAIN: Retries: 0');
is($c->{'Images received'}, 3000, 'clean EXPLAIN: Images received: 3000');
is($c->{'Rows dropped'}, 0, 'clean EXPLAIN: Rows dropped: 0');
cmp_ok($c->{'Remote requests sent'} // 0, '>=', $pages, "clean EXPLAIN: Remote requests sent: at least the $pages pages");
cmp_ok($c->{'Bytes received'} // 0, '>', 3000 * 100, 'clean EXPLAIN: Bytes received');

# one in flight: from the table option, then from the server option
reset_stats($emu);
is(psql_ok($db, $Q1, timeout => 120), $want, 'clean, table option requests_in_flight 1: same rows');
is(stats($emu)->{max_in_flight}, 1, 'clean, table option requests_in_flight 1: max_in_flight 1');
psql_ok($db, "ALTER SERVER ma OPTIONS (SET requests_in_flight '1')");
reset_stats($emu);
is(psql_ok($db, $Q, timeout => 120), $want, 'clean, server option requests_in_flight 1: same rows');
is(stats($emu)->{max_in_flight}, 1, 'clean, server option requests_in_flight 1: max_in_flight 1');
psql_ok($db, "ALTER SERVER ma OPTIONS (SET requests_in_flight '8')");

# ---- never a retry of another 4xx; an error after retries says how many ----
{
	my $n0 = () = access_log_lines($log);
	my $err = psql_fails($db, 'SELECT count(*) FROM images WHERE data_annotation_id = 999');
	like($err, qr/HTTP 404/, '404: the error');
	my @l = access_log_lines($log);
	# one try of each request (the scan may have sent one per stream at once)
	my %tries;
	$tries{$_}++ for map { m{^GET (\S*/data-annotations/999/\S*) } ? $1 : () } @l[ $n0 .. $#l ];
	ok(%tries, '404: requests sent (' . join(', ', map { "$_ x$tries{$_}" } sort keys %tries) . ')');
	is(scalar(grep { $_ > 1 } values %tries), 0, '404: none retried');
}
{
	my $e = start_emu('--generate', $GEN, '--latency-ms', '5', '--access-log', "$log.500",
		'--fault', '500:1@/data-annotations/1/images');
	psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$e->{base}', SET max_retries '3')");
	my $t0 = time;
	my $err = psql_fails($db, $Q1, timeout => 120);
	like($err, qr/HTTP 500/, 'always 500: the error names the status');
	like($err, qr/after 3 retries/, 'always 500: ... and says "after 3 retries"');
	my %tries;
	$tries{$_}++ for map { m{^GET (\S+) } ? $1 : () } access_log_lines("$log.500");
	is_deeply([ values %tries ], [4], 'always 500, one in flight: 1 + 3 tries of one request, then the error');
	diag(sprintf('always 500: error after %.2f s', time - $t0));
	psql_ok($db, "ALTER SERVER ma OPTIONS (SET max_retries '5')");
	stop_emu($e);
}

# ---- each fault on every 7th API request: the same rows ----
for my $f (['429', '429:7:1'], ['500', '500:7'], ['502', '502:7'], ['503', '503:7'],
	['504', '504:7'], ['close', 'close:7'], ['truncate', 'truncate:7'],
	['stall', 'stall:7:2500']) {
	my ($kind, $spec) = @$f;
	my $e = start_emu('--generate', $GEN, '--latency-ms', '5', '--fault', $spec);
	# a stalled request (2.5 s) times out after request_timeout (1 s)
	psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$e->{base}', SET request_timeout '"
		  . ($kind eq 'stall' ? '1' : '30') . "')");
	my $t0 = time;
	my ($rc, $out, $err) = psql($db, $Q, timeout => 180);
	my $el = time - $t0;
	if ($kind eq 'stall') {
		like($err, qr/ModelArts endpoint "[^"]+" did not answer within request_timeout \(1000 ms\)/, 'stall: a clear error naming request_timeout');
		cmp_ok($el, '<', 10, sprintf('stall: the error after %.2f s, not after every stall', $el));
		stop_emu($e, 'KILL');
		next;
	}
	is($out, $want, "$kind: the same count and md5 as clean") or diag($err);
	my $fs = stats($e);
	cmp_ok($fs->{faults}, '>=', 3, "$kind: the emulator did fault ($fs->{faults} times)");
	cmp_ok($fs->{max_in_flight}, '<=', 8, "$kind: never more than 8 in flight");
	if ($kind eq '429') {
		cmp_ok($el, '>=', 1, sprintf('429: Retry-After: 1 honoured (the scan took %.2f s)', $el));
	}
	diag(sprintf("$kind: %.2f s", $el));

	reset_stats($e);
	my $c = explain_counters($db, 'images');
	my $fired = stats($e)->{faults};
	cmp_ok($c->{Retries} // -1, '>=', 1, "$kind EXPLAIN: Retries ($c->{Retries}) >= 1");
	cmp_ok($c->{Retries} // 1e9, '<=', $fired, "$kind EXPLAIN: Retries <= faults fired ($fired)");
	is($c->{'Images received'}, 3000, "$kind EXPLAIN: Images received: 3000");
	stop_emu($e, $kind eq 'stall' ? 'KILL' : 'TERM');    # stalled threads would hold TERM up
}
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$emu->{base}', SET request_timeout '30')");

# ---- cancel a scan with 16 requests in flight ----
{
	my $big = start_emu('--generate', 'seed=3,jobs=1,images=100000,tags=5,untagged=0.001',
		'--latency-ms', '50');
	my (undef, $ts) = get_json("$big->{base}/v1/$P/data-annotations/1/tags/stats");
	my ($untagged) = map { $_->{count} } grep { !$_->{has_tag} } @{ $ts->{tags_stat} };
	psql_ok($db, <<SQL);
CREATE SERVER mb FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$big->{base}',
  project_id '$P', requests_in_flight '16', page_size '100', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER mb;
@{[ fdw_table('big', 'mb') ]}
SQL
	my $s = session_open($db);
	my ($pid) = session_run($s, 'SELECT pg_backend_pid()');
	my $t0 = time;
	session_send($s, 'SELECT count(*) FROM big WHERE data_annotation_id = 1');
	sleep 0.5;
	is(psql_ok($db, "SELECT state FROM pg_stat_activity WHERE pid = $pid"), 'active',
		'cancel: the scan is running 0.5 s in');
	cmp_ok(stats($big)->{in_flight}, '>', 1, 'cancel: with several requests in flight');
	my $t1 = time;
	is(psql_ok($db, "SELECT pg_cancel_backend($pid)"), 't', 'cancel: pg_cancel_backend sent');
	my ($out, $err) = session_wait($s);
	my $t2 = time;
	like($err, qr/ERROR:  57014: canceling statement due to user request/, 'cancel: 57014');
	cmp_ok($t2 - $t1, '<', 1, sprintf('cancel: the error %.3f s after the cancel (< 1 s)', $t2 - $t1));
	diag(sprintf('cancel: sent %.3f s into the scan, error %.3f s later', $t1 - $t0, $t2 - $t1));

	# nothing more is sent for the cancelled scan
	sleep 0.3;
	my $n1 = stats($big)->{total};
	sleep 1;
	is(stats($big)->{total}, $n1, 'cancel: no request sent after the cancel');

	my ($n) = session_run($s, 'SELECT count(*) FROM big WHERE data_annotation_id = 1 AND tag_name IS NULL');
	is($n, $untagged, "cancel: the same session then counts the untagged images right ($untagged)");
	($n) = session_run($s, 'SELECT count(*) FROM (SELECT * FROM big WHERE data_annotation_id = 1 LIMIT 250) s');
	is($n, 250, 'cancel: and a LIMIT 250 query');
	session_close($s);
	stop_emu($big, 'KILL');
}

drop_db($db);
stop_emu($emu);
is(backend_crashes() - $crashes, 0, 'no backend crashed');
done_testing();
