# Servers that repeat pages must not make a scan loop forever, nor double
# rows.
#
# --ignore-page: the images call ignores `page` and annotation-jobs ignores
# `offset`: the first page, forever.  A full scan of a job of many pages
# fails with an error saying a page repeats ("repeats page") after fewer
# than 20 requests; a projects listing and IMPORT FOREIGN SCHEMA jobs end
# too (an error or rows, without duplicates), within 20 requests and 10 s.
# Each with the counts the emulator gives by default (the total: a full
# scan cannot know it is being fooled before the second page) and with no
# counts at all (nothing but the repetition can end it), and with 1 and 8
# requests in flight.  statement_timeout bounds each query at 20 s so that
# a looping FDW fails the test rather than hanging it.
#
# --past-end repeat: a page past the last answers the last page again, as
# the real service plausibly does.  Jobs whose last page is full make the
# repetition look like a new page; the count proves the end, so full scans,
# the projects listing and IMPORT FOREIGN SCHEMA give exactly the rows the
# default emulator gives, with 1 and 8 requests in flight.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time);

my $P = project_id();

sub projects_table {
	my ($name, $server) = @_;
	return <<SQL;
CREATE FOREIGN TABLE $name (
  data_annotation_id bigint,
  project_name text
) SERVER $server OPTIONS (resource 'projects');
SQL
}

# no backend crashed since the last check (an expected error can hide one)
my $crashes = backend_crashes();
sub no_crash {
	my ($what) = @_;
	my $now = backend_crashes();
	is($now - $crashes, 0, "$what: no backend crashed");
	$crashes = $now;
}

# run SQL under a statement_timeout; returns (rc, out, err, seconds, the
# access log lines it caused)
sub timed {
	my ($db, $log, $sql) = @_;
	my $n0 = () = access_log_lines($log);
	my $t0 = time;
	my ($rc, $out, $err) = psql($db, "SET statement_timeout = '20s';\n$sql", timeout => 60);
	my $el = time - $t0;
	my @l = access_log_lines($log);
	return ($rc, $out, $err, $el, @l[ $n0 .. $#l ]);
}

# ---- --ignore-page ----
# 25 jobs of 250 images (about 225 tagged: 23 pages of 10); the listing has
# 3 pages of 10
my $GEN = 'seed=5,jobs=25,images=250,tags=3,untagged=0.1';
for my $count ('total', 'absent') {
	my $log = tmpdir() . "/210-ignore-$count.log";
	my $emu = start_emu('--generate', $GEN, '--ignore-page', '--count', $count,
		'--access-log', $log);
	my $db = fdw_db("tap_page_ignoring_$count");
	setup_fdw($db, endpoint => $emu->{base}, page_size => '10', requests_in_flight => '1');
	psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma;\n" . projects_table('projects', 'ma'));
	die "setup failed\n" unless psql_ok($db, 'SELECT count(*) FROM pg_foreign_table') eq '2';

	for my $rif (1, 8) {
		my $what = "ignore-page, count $count, requests_in_flight $rif";
		psql_ok($db, "ALTER SERVER ma OPTIONS (SET requests_in_flight '$rif')");

		# a full scan of job 1
		my ($rc, $out, $err, $el, @req) = timed($db, $log,
			'SELECT count(*) FROM images WHERE data_annotation_id = 1');
		isnt($rc, 0, "$what, scan: fails") or diag("rows: $out");
		like($err, qr/ERROR: .*repeats page/, "$what, scan: the error says a page repeats");
		unlike($err, qr/statement timeout/, "$what, scan: not by statement_timeout");
		my $n = grep { m{/data-annotations/1/images} } @req;
		cmp_ok($n, '<', 20, "$what, scan: after $n requests (< 20)");
		cmp_ok($el, '<', 10, sprintf("$what, scan: within %.2f s", $el));
		no_crash("$what, scan");

		# the projects listing
		($rc, $out, $err, $el, @req) = timed($db, $log,
			'SELECT data_annotation_id FROM projects');
		unlike($err, qr/statement timeout/, "$what, projects: ends (" . ($rc ? 'an error' : 'rows') . ')');
		$n = grep { m{/annotation-jobs} } @req;
		cmp_ok($n, '<', 20, "$what, projects: after $n listing requests (< 20)");
		cmp_ok($el, '<', 10, sprintf("$what, projects: within %.2f s", $el));
		no_crash("$what, projects");
		if ($rc == 0) {
			my @ids = split /\n/, $out;
			my %seen;
			my @dup = grep { $seen{$_}++ } @ids;
			is(scalar @dup, 0, "$what, projects: no job twice (" . scalar(@ids) . ' rows)')
			  or diag("twice: @dup");
		}
		else {
			like($err, qr/ERROR: /, "$what, projects: an error: " . ($err =~ /ERROR:\s+(.*)/)[0]);
		}

		# IMPORT FOREIGN SCHEMA jobs
		my $schema = "s_${count}_$rif";
		psql_ok($db, "CREATE SCHEMA $schema");
		($rc, $out, $err, $el, @req) = timed($db, $log,
			"IMPORT FOREIGN SCHEMA jobs FROM SERVER ma INTO $schema");
		unlike($err, qr/statement timeout/, "$what, import: ends (" . ($rc ? 'an error' : 'tables') . ')');
		$n = grep { m{/annotation-jobs} } @req;
		cmp_ok($n, '<', 20, "$what, import: after $n listing requests (< 20)");
		cmp_ok($el, '<', 10, sprintf("$what, import: within %.2f s", $el));
		no_crash("$what, import");
		if ($rc == 0) {
			my @tables = split /\n/, psql_ok($db, "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
				  . "ON n.oid = c.relnamespace WHERE n.nspname = '$schema' ORDER BY 1");
			my @extra = grep { !/^generated_\d+$/ } @tables;
			is(scalar @extra, 0, "$what, import: one table per job, none twice ("
				  . scalar(@tables) . ' tables)') or diag("@extra");
		}
		else {
			like($err, qr/ERROR: /, "$what, import: an error: " . ($err =~ /ERROR:\s+(.*)/)[0]);
		}
	}
	drop_db($db);
	stop_emu($emu);
}

# ---- --past-end repeat ----
# 20 jobs of 1,000 images, all tagged: 100 full pages of 10 per job, and a
# listing of 2 full pages; past the end, the last full page again
{
	my $GEN2 = 'seed=7,jobs=20,images=1000,tags=4,untagged=0';
	my $log = tmpdir() . '/210-repeat.log';
	my $ref = start_emu('--generate', $GEN2);
	my $rep = start_emu('--generate', $GEN2, '--past-end', 'repeat', '--access-log', $log);
	my $db = fdw_db('tap_past_end_repeat');
	psql_ok($db, <<SQL);
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$ref->{base}',
  project_id '$P', page_size '10', requests_in_flight '1', use_remote_estimate 'false');
CREATE SERVER mr FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$rep->{base}',
  project_id '$P', page_size '10', requests_in_flight '1', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE USER MAPPING FOR CURRENT_USER SERVER mr;
@{[ fdw_table('images', 'ma') ]}
@{[ fdw_table('images_r', 'mr') ]}
@{[ projects_table('projects', 'ma') ]}
@{[ projects_table('projects_r', 'mr') ]}
SQL
	die "setup failed\n" unless psql_ok($db, 'SELECT count(*) FROM pg_foreign_table') eq '4';

	my $scan = "SELECT count(*) || ' ' || md5(string_agg(image_id || coalesce(tag_name, ''), ',' "
	  . "ORDER BY image_id, tag_name)) FROM %s WHERE data_annotation_id = %s";
	my $tag = "SELECT count(*) || ' ' || md5(string_agg(image_id, ',' ORDER BY image_id)) "
	  . "FROM %s WHERE data_annotation_id = 2 AND tag_name = 'tag-1'";
	my $proj = "SELECT string_agg(data_annotation_id || ':' || project_name, ',' ORDER BY 1) FROM %s";
	my %want = (
		scan1 => psql_ok($db, sprintf($scan, 'images', 1), timeout => 60),
		scan7 => psql_ok($db, sprintf($scan, 'images', 7), timeout => 60),
		tag => psql_ok($db, sprintf($tag, 'images'), timeout => 60),
		proj => psql_ok($db, sprintf($proj, 'projects'), timeout => 60),
	);
	like($want{scan1}, qr/^\d+ [0-9a-f]{32}$/, "past-end: the default emulator's job 1: $want{scan1}");
	like($want{proj}, qr/^1:generated-1,.*,20:generated-20$/, 'past-end: the default emulator lists 20 jobs');
	psql_ok($db, 'CREATE SCHEMA ref; IMPORT FOREIGN SCHEMA jobs FROM SERVER ma INTO ref');
	my $tables = "SELECT string_agg(c.relname, ',' ORDER BY 1) FROM pg_class c JOIN pg_namespace n "
	  . "ON n.oid = c.relnamespace WHERE n.nspname = '%s'";
	my $want_tables = psql_ok($db, sprintf($tables, 'ref'));
	is(scalar(split /,/, $want_tables), 20, 'past-end: the default emulator imports 20 tables');

	for my $rif (1, 8) {
		my $what = "past-end repeat, requests_in_flight $rif";
		psql_ok($db, "ALTER SERVER mr OPTIONS (SET requests_in_flight '$rif')");
		for my $c (['scan1', sprintf($scan, 'images_r', 1), 'full scan of job 1'],
			['scan7', sprintf($scan, 'images_r', 7), 'full scan of job 7'],
			['tag', sprintf($tag, 'images_r'), 'one tag of job 2'],
			['proj', sprintf($proj, 'projects_r'), 'projects listing']) {
			my ($rc, $out, $err, $el) = timed($db, $log, $c->[1]);
			is($out, $want{ $c->[0] }, "$what, $c->[2]: the same rows as the default emulator")
			  or diag($err);
		}
		psql_ok($db, "CREATE SCHEMA r$rif");
		my ($rc, $out, $err) = timed($db, $log, "IMPORT FOREIGN SCHEMA jobs FROM SERVER mr INTO r$rif");
		is($err, '', "$what, import: no error");
		is(psql_ok($db, sprintf($tables, "r$rif")), $want_tables, "$what, import: the same tables");
	}
	no_crash('past-end repeat');
	drop_db($db);
	stop_emu($_) for $ref, $rep;
}

done_testing();
