# Over-long answers: a server that sends, after the correct answer for job
# 7001, a complete well-formed 200 answer for job 7002 beyond Content-Length,
# either in the same write ("same") or 50 ms later on its own ("late", when
# the client may already have sent its next request on that connection).  A
# client that reuses the connection naively takes those bytes as the answer
# to its next request: rows of job 7002 labelled 7001, or a page lost.
#
# On one session, the poisoned job and the others are queried in turn, with
# one request in flight (one kept-alive connection) and with eight; every
# result must be exactly the asked job's images (OverlongServer generates
# them deterministically), never another job's, and no query may hang.  An
# images answer whose "project_id" is not the job asked for is a framing
# error: the connection is dropped and the request retried on a fresh one;
# a server that always answers for the wrong job (7005 -> 7006) gives an
# error saying so ("answer for job") after a bounded number of requests.
#
# Order matters in "late" mode: the stray answer left after the last request
# for 7001 is 7002's, so the query that follows a 7001 query is on 7003,
# whose answer the stray cannot pass for.  (A stray answer for the very job
# asked next, to the same query, cannot be told from the real one.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use OverlongServer;
use Test::More;
use Time::HiRes qw(time);

my $crashes = backend_crashes();
my %size = (7001 => 250, 7002 => 170, 7003 => 130, 7005 => 50, 7006 => 40);
my %ids = map { $_ => [ overlong_ids($_, $size{$_}) ] } keys %size;
my %owner;
for my $job (keys %ids) { $owner{$_} = $job for @{ $ids{$job} }; }

for my $mode ('same', 'late') {
	my $srv = overlong_start(jobs => \%size, poison => { 7001 => 7002 },
		wrong => { 7005 => 7006 }, mode => $mode, log => tmpdir() . "/overlong-$mode.log");
	my $db = fdw_db("tap_overlong_$mode");
	setup_fdw($db, endpoint => $srv->{base}, page_size => '100',
		requests_in_flight => '1', max_retries => '3', request_timeout => '5');
	psql_ok($db, <<SQL);
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE images8 (
  data_annotation_id bigint,
  image_id text,
  tag_name text
) SERVER ma OPTIONS (resource 'images', requests_in_flight '8');
SQL
	die "setup failed\n" unless psql_ok($db, 'SELECT count(*) FROM pg_foreign_table') eq '2';

	my $s = session_open($db, timeout => 300);
	session_run($s, "SET statement_timeout = '30s'");
	for my $round (1 .. 2) {
		for my $table ('images', 'images8') {
			for my $job (7001, 7003, 7002) {
				my $what = "$mode, $table, round $round, job $job";
				my $t0 = time;
				my ($out, $err) = eval {
					session_run($s, "SELECT data_annotation_id || ' ' || image_id || ' ' || "
						  . "coalesce(tag_name, '-') FROM $table WHERE data_annotation_id = $job "
						  . "ORDER BY image_id");
				};
				if (!defined $out) {
					fail("$what: the query returned (it hung: $@)");
					$s = session_open($db, timeout => 300);
					session_run($s, "SET statement_timeout = '30s'");
					next;
				}
				my $el = time - $t0;
				is($err, '', "$what: no error");
				cmp_ok($el, '<', 20, sprintf("$what: ended (%.2f s)", $el));
				my @rows = map { [ split / / ] } grep { length } split /\n/, $out;
				my @labels = grep { $_->[0] ne $job } @rows;
				is(scalar @labels, 0, "$what: every row labelled $job");
				my @foreign = grep { ($owner{ $_->[1] } // 0) != $job } @rows;
				is(scalar @foreign, 0, "$what: no image of another job (or unknown)")
				  or diag("e.g. $foreign[0][1] of job " . ($owner{ $foreign[0][1] } // 'none'));
				is_deeply([ map { $_->[1] } @rows ], $ids{$job}, "$what: exactly the job's "
					  . scalar(@{ $ids{$job} }) . " images, once each");
				is(scalar(grep { $_->[2] ne 't1' } @rows), 0, "$what: tag t1 on every row");
			}
		}
	}

	# a server that always answers for the wrong job
	my @before = overlong_log($srv);
	my ($out, $err) = eval {
		session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 7005");
	};
	ok(defined $out, "$mode, wrong job: the query returned");
	like($err // '', qr/ERROR: .*answer for job/, "$mode, wrong job: an error saying the answer is for another job");
	is($out // '', '', "$mode, wrong job: no count");
	my @after = overlong_log($srv);
	# the tries of one request: the most frequent target among 7005's
	my %by_target;
	push @{ $by_target{ $_->[1] } }, $_->[0]
	  for grep { $_->[1] =~ m{/data-annotations/7005/} } @after[ scalar(@before) .. $#after ];
	my ($target) = sort { @{ $by_target{$b} } <=> @{ $by_target{$a} } } keys %by_target;
	my @conns = $target ? @{ $by_target{$target} } : ();
	cmp_ok(scalar @conns, '>=', 2, "$mode, wrong job: retried (" . scalar(@conns) . " tries)");
	cmp_ok(scalar @conns, '<=', 4, "$mode, wrong job: at most 1 + max_retries (3) tries");
	my %distinct = map { $_ => 1 } @conns;
	is(scalar keys %distinct, scalar @conns, "$mode, wrong job: each try on a fresh connection");

	# the session still works afterwards
	($out, $err) = session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 7003");
	is($out, $size{7003}, "$mode: the session goes on after the error");

	session_close($s);
	drop_db($db);
	overlong_stop($srv);
}

is(backend_crashes() - $crashes, 0, 'no backend crashed');
done_testing();
