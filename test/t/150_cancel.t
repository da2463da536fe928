# Cancellation: a request the emulator stalls for 10 s is interrupted by
# pg_cancel_backend() from another session, and by statement_timeout, with
# the standard 57014 error, well before the stall ends; the backend and its
# cached connection still work afterwards.  Times are printed, and asserted
# only against a generous bound (the stall itself is 10 s).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $emu = start_emu('--data', sample_file(), '--fault', 'stall:1:10000@/data-annotations/282/');
my $db = fdw_db('tap_cancel');
setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
my $job = (grep { $_->{project_id} == 283 } @{ load_sample()->{jobs} })[0];
my $n_car = scalar @{ expected_ids($job, 'car') };
my $q_ok = "SELECT count(*) FROM images WHERE data_annotation_id = 283 AND tag_name = 'car'";
my $q_stall = "SELECT count(*) FROM images WHERE data_annotation_id = 282";

my $s = session_open($db);
my ($pid) = session_run($s, 'SELECT pg_backend_pid()');
like($pid, qr/^\d+$/, 'session backend pid');
is((session_run($s, $q_ok))[0], $n_car, 'before: the connection works');

# wait until the backend is waiting on the network in our wait loop
sub wait_for_request {
	my $deadline = time + 30;
	while (time < $deadline) {
		my $st = psql_ok($db, "SELECT wait_event_type || ':' || state FROM pg_stat_activity WHERE pid = $pid");
		return 1 if $st eq 'Extension:active';
		sleep 0.05;
	}
	return 0;
}

# pg_cancel_backend from a second session
my $t0 = time;
session_send($s, $q_stall);
ok(wait_for_request(), 'cancel: the request is in flight (wait event Extension)');
my $t1 = time;
is(psql_ok($db, "SELECT pg_cancel_backend($pid)"), 't', 'cancel: pg_cancel_backend sent');
my ($out, $err) = session_wait($s);
my $t2 = time;
like($err, qr/ERROR:  57014: canceling statement due to user request/, 'cancel: 57014, canceling statement due to user request');
cmp_ok($t2 - $t1, '<', 5, 'cancel: well before the 10 s stall ends');
diag(sprintf('cancel: error %.3f s after pg_cancel_backend (query ran %.3f s in all)', $t2 - $t1, $t2 - $t0));
is((session_run($s, $q_ok))[0], $n_car, 'after cancel: the same backend still answers');

# statement_timeout
$t0 = time;
($out, $err) = session_run($s, "SET statement_timeout = '1s'; $q_stall; RESET statement_timeout");
my $el = time - $t0;
like($err, qr/ERROR:  57014: canceling statement due to statement timeout/, 'statement_timeout: 57014');
cmp_ok($el, '<', 5, 'statement_timeout: well before the 10 s stall ends');
diag(sprintf('statement_timeout 1 s: error after %.3f s', $el));
($out) = session_run($s, "RESET statement_timeout; $q_ok");
is($out, $n_car, 'after statement_timeout: the same backend still answers');

# a cancelled request in a transaction: the transaction is aborted, the
# next one works
($out, $err) = session_run($s, "BEGIN; SET LOCAL statement_timeout = '500ms'; $q_stall; COMMIT");
like($err, qr/57014/, 'in a transaction: cancelled');
is((session_run($s, $q_ok))[0], $n_car, 'after the aborted transaction: answers');

session_close($s);
stop_emu($emu, 'KILL');   # its stalled threads would hold TERM up for 10 s
drop_db($db);
done_testing();
