# The planner's calls to tags/stats (remote estimates, aggregate pushdown)
# under faults: a stalled call is interrupted by statement_timeout and by
# pg_cancel_backend() with 57014 (not swallowed as a failed estimate); a
# failing call leaves the default estimate and the query still runs (also in
# a transaction block, which stays usable); a count pushed at plan time whose
# answer at execution lacks its counts is an error, not a guess.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $job282 = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my $images282 = scalar @{ $job282->{images} };

# counts_db(NAME, EMU, OPTION => VALUE...): a database NAME with the FDW, its
# server ma on EMU with use_remote_estimate true (and the options given),
# and a user mapping
sub counts_db {
	my ($name, $emu, %opts) = @_;
	my $db = fdw_db($name);
	setup_fdw($db, endpoint => $emu->{base}, use_remote_estimate => 'true', %opts);
	psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
	return $db;
}

# --- a stalled tags/stats: cancel and statement_timeout during planning
{
	my $emu = start_emu('--data', sample_file(), '--fault', 'stall:1:10000@/tags/stats');
	my $db = counts_db('tap_counts_stall', $emu);
	my $q = "EXPLAIN SELECT * FROM images WHERE data_annotation_id = 282";

	my $s = session_open($db);
	my ($pid) = session_run($s, 'SELECT pg_backend_pid()');
	my $t0 = time;
	my ($out, $err) = session_run($s, "SET statement_timeout = '500ms'; $q; RESET statement_timeout");
	my $el = time - $t0;
	like($err, qr/ERROR:  57014: canceling statement due to statement timeout/,
		'statement_timeout during the plan-time call: 57014');
	cmp_ok($el, '<', 5, 'statement_timeout: well before the 10 s stall ends');
	diag(sprintf('statement_timeout 500 ms at plan time: error after %.3f s', $el));

	session_send($s, "RESET statement_timeout; $q");
	my $deadline = time + 30;
	my $waiting = 0;
	while (time < $deadline) {
		my $st = psql_ok($db, "SELECT wait_event_type || ':' || state FROM pg_stat_activity WHERE pid = $pid");
		if ($st eq 'Extension:active') { $waiting = 1; last; }
		sleep 0.05;
	}
	ok($waiting, 'cancel: the planner waits on the plan-time call');
	my $t1 = time;
	is(psql_ok($db, "SELECT pg_cancel_backend($pid)"), 't', 'cancel: pg_cancel_backend sent');
	($out, $err) = session_wait($s);
	like($err, qr/ERROR:  57014: canceling statement due to user request/,
		'cancel during the plan-time call: 57014');
	cmp_ok(time - $t1, '<', 5, 'cancel: well before the 10 s stall ends');

	# the backend still works (the subtransaction of the call is gone)
	($out, $err) = session_run($s, "SET modelarts_fdw.enable_aggregate_pushdown = off; "
		. "ALTER SERVER ma OPTIONS (SET use_remote_estimate 'false'); "
		. "SELECT count(DISTINCT image_id) FROM images WHERE data_annotation_id = 282");
	is($out, $images282, 'after the cancel: the same backend scans');
	is($err, '', 'after the cancel: no warning');
	session_close($s);
	stop_emu($emu, 'KILL');
	drop_db($db);
}

# --- tags/stats always fails: default estimate, the query still runs
{
	my $log = tmpdir() . '/counts_fail.log';
	my $emu = start_emu('--data', sample_file(), '--fault', '500:1@/tags/stats',
		'--access-log', $log);
	my $db = counts_db('tap_counts_fail', $emu, max_retries => '0');
	my ($rc, $out, $err) = psql($db, "SET client_min_messages = debug1; "
		. "EXPLAIN SELECT * FROM images WHERE data_annotation_id = 282");
	is($rc, 0, 'failed estimate: EXPLAIN succeeds');
	like($out, qr/rows=1000 /, 'failed estimate: the default estimate');
	like($err, qr/DEBUG:  00000: modelarts_fdw: no remote estimate for labeling job 282: ModelArts API error: HTTP 500/,
		'failed estimate: a DEBUG1 message says why');

	# the counts are computed locally from the scan, which works
	($rc, $out, $err) = psql($db, "EXPLAIN (COSTS OFF) SELECT tag_name, count(*) FROM images "
		. "WHERE data_annotation_id = 282 GROUP BY 1");
	like($out, qr/HashAggregate|GroupAggregate/, 'failed estimate: the aggregate is not pushed');
	($rc, $out, $err) = psql($db, "SELECT count(DISTINCT image_id) FROM images WHERE data_annotation_id = 282");
	is($out, $images282, 'failed estimate: the query runs and counts right');

	# in a transaction block: the failed call does not abort it
	($rc, $out, $err) = psql($db, "BEGIN; "
		. "EXPLAIN SELECT * FROM images WHERE data_annotation_id = 283; "
		. "SELECT count(DISTINCT image_id) FROM images WHERE data_annotation_id = 282; COMMIT");
	is($rc, 0, 'in a transaction: the failed plan-time call leaves it usable');
	like($out, qr/\n$images282\z/, 'in a transaction: the query after it runs');
	my @stats = grep { m{/tags/stats } } access_log_lines($log);
	ok(scalar(@stats) >= 2 && !grep({ !/ 500$/ } @stats), 'the plan-time calls were sent and failed');
	stop_emu($emu);
	drop_db($db);
}

# --- pushed at plan time, an answer without its counts at execution
{
	# every 2nd tags/stats answer has another shape: the planner's is good,
	# the executor's is not
	my $emu = start_emu('--data', sample_file(), '--fault', 'shape:2@/tags/stats');
	my $db = counts_db('tap_counts_shape', $emu, max_retries => '0');
	my ($rc, $out, $err) = psql($db, "SELECT tag_name, count(*) FROM images "
		. "WHERE data_annotation_id = 282 GROUP BY 1");
	isnt($rc, 0, 'an execution answer without counts: the query fails');
	like($err, qr/ERROR:  HV004: malformed answer from ModelArts: "tags_stat" lacks/,
		'... with an error that names what is missing');
	unlike($err, qr/FATAL|PANIC|server closed/, '... and nothing worse');
	stop_emu($emu);
	drop_db($db);
}

# --- a service whose per-tag count counts a detection job's boxes (the
# contract leaves it open): every shape gives what the rows give, pushed
# where the answer decides it (classification jobs; for the detection job
# only what tags_stat's image counts decide), computed locally elsewhere
{
	my $emu = start_emu('--data', sample_file(), '--variant', 'stats-count-boxes');
	my $db = counts_db('tap_counts_boxes', $emu);
	my @shapes = (
		"SELECT tag_name, count(*) FROM images WHERE %s GROUP BY 1",
		"SELECT data_annotation_id, tag_name, count(image_id) FROM images WHERE %s GROUP BY 1, 2",
		"SELECT count(*) FROM images WHERE %s",
		"SELECT count(*) FROM images WHERE %s AND tag_name = 'car'",
		"SELECT count(*) FROM images WHERE %s AND tag_name IS NULL",
		"SELECT count(DISTINCT image_id) FROM images WHERE %s",
		"SELECT count(DISTINCT image_id) FROM images WHERE %s AND tag_name IS NOT NULL",
		"SELECT tag_name, count(DISTINCT image_id) FROM images WHERE %s GROUP BY 1",
	);
	my ($n, $differ, $pushed_283) = (0, 0, 0);
	for my $jobs ('data_annotation_id = 282', 'data_annotation_id = 283',
		'data_annotation_id IN (282, 283)') {
		for my $shape (@shapes) {
			my $q = sprintf($shape, $jobs) . " ORDER BY 1, 2";
			$q =~ s/ ORDER BY 1, 2$// unless $q =~ /GROUP BY/;
			my $pushed = psql_ok($db, $q);
			my $local = psql_ok($db, "SET modelarts_fdw.enable_aggregate_pushdown = off; $q");
			$n++;
			if ($pushed ne $local) {
				$differ++;
				diag("differs: $q\npushed:\n$pushed\nlocal:\n$local");
			}
			my $plan = psql_ok($db, "EXPLAIN (VERBOSE) $q");
			$pushed_283++ if $jobs =~ /283/ && $plan =~ m{tags/stats} && $q =~ /tag_name, count\(\*\)|count\(image_id\)/;
		}
	}
	is($differ, 0, "stats-count-boxes: $n shapes, pushed or not, equal the local aggregate");
	is($pushed_283, 0, 'stats-count-boxes: per-tag row counts of the detection job are not pushed');
	my $plan = psql_ok($db, "EXPLAIN (VERBOSE) SELECT count(*) FROM images WHERE data_annotation_id = 283 AND tag_name IS NULL");
	like($plan, qr{tags/stats}, 'stats-count-boxes: the untagged count of the detection job is pushed');
	stop_emu($emu);
	drop_db($db);
}

done_testing();
