# A real driver against the FDW: psycopg 3 (Debian's python3-psycopg), the
# extended protocol with server-side prepared statements and parameters typed
# by the driver, as BI tools and applications send them (issue: what drivers
# send).  Each scenario runs test/driver/psycopg_driver.py in a connection of
# its own; this file checks the rows it printed and the requests the
# emulator logged for it:
# - a LIMIT/OFFSET window executed 12 times under the default plan cache
#   mode (the server switches to a generic plan), and 3 times under
#   force_generic_plan and force_custom_plan, with int4 and int8 parameters:
#   one request per execution, per_page=10&page=3, the right rows;
# - a preview without a job (LIMIT bound as a parameter): 200 rows, at most
#   3 requests on a new connection (the listing page, two image pages);
# - a server-side cursor fetching 50 rows at a time: every row once;
# - the optional-filter idiom under a generic plan: the tag given is one
#   filtered request, NULL reads the job.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use IPC::Run qw(run);
use JSON::PP;
use Test::More;

my $python = '/usr/bin/python3';
my $script = top_dir() . '/test/driver/psycopg_driver.py';
plan skip_all => 'python3-psycopg is not installed'
  unless -x $python && system($python, '-c', 'import psycopg') == 0;

my $log = tmpdir() . '/330.log';
my $emu = start_emu('--data', sample_file(), '--access-log', $log);
my $db = fdw_db('tap_driver_psycopg');
setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");

my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my @cat = @{ expected_ids($job, 'cat') };
my @window = @cat[20 .. 29];
my $job_rows = 0;
for my $img (@{ $job->{images} }) {
	my %t = map { (ref $_ ? $_->{tag} : $_) => 1 } @{ $img->{tags} || [] };
	$job_rows += %t ? scalar(keys %t) : 1;
}

my $seen = 0;
# the images and listing requests logged since the last call
sub new_requests {
	my @all = grep { m{^GET } } access_log_lines($log);
	my @new = @all[$seen .. $#all];
	$seen = @all;
	return map { s{^GET /v1/\w+/}{}r =~ s/ \d+$//r } @new;
}

sub scenario {
	my ($name) = @_;
	my ($out, $err) = ('', '');
	my $ok = run([ $python, $script, $db, $name ], \undef, \$out, \$err);
	ok($ok, "$name: the driver ran") or diag($err);
	return $ok ? decode_json($out) : {};
}

new_requests();
my $one = 'data-annotations/282/images?tag_name=cat&per_page=10&page=3';
for my $case ([ 'window-auto', 12 ], [ 'window-int4-generic', 3 ],
	[ 'window-int8-generic', 3 ], [ 'window-int8-custom', 3 ]) {
	my ($name, $n) = @$case;
	my $r = scenario($name);
	is(scalar(grep { join(',', @$_) eq join(',', @window) } @{ $r->{rows} || [] }), $n,
		"$name: $n executions, each the rows 21 to 30 of the tag");
	my @req = new_requests();
	is_deeply(\@req, [ ($one) x $n ], "$name: one request per execution, $one");
	diag("$name: parameter types @{ $r->{types} || [] }, plans (generic, custom) "
		. join(' ', map { "@$_" } @{ $r->{plans} || [] }));
	if ($name eq 'window-auto') {
		cmp_ok($r->{plans}[0][0] // 0, '>', 0, "$name: the server went to a generic plan");
	}
	like("@{ $r->{types} || [] }", qr/integer/, "$name: the driver bound int4 parameters")
	  if $name =~ /int4/;
	like("@{ $r->{types} || [] }", qr/bigint.*bigint/, "$name: the driver bound int8 parameters")
	  if $name =~ /int8/;
}

{
	my $r = scenario('preview');
	is(scalar @{ $r->{rows} || [] }, 200, 'preview: 200 rows without a job');
	my @req = new_requests();
	cmp_ok(scalar @req, '<=', 3, 'preview: at most 3 requests on a new connection')
	  or diag(join("\n", @req));
	ok(scalar(grep { m{^annotation-jobs\?} } @req) >= 1, 'preview: it read the listing');
}

{
	my $r = scenario('server-cursor');
	is_deeply($r->{rows}, \@cat, 'server-side cursor: every row of the tag once, in order');
	my @req = new_requests();
	is_deeply(\@req, [ 'data-annotations/282/images?tag_name=cat&per_page=100&page=1' ],
		'server-side cursor: one page for the 63 rows');
}

{
	my $r = scenario('optional-filter');
	is_deeply($r->{rows}, [ scalar(@cat), $job_rows ],
		'optional filter: the tag given counts its rows, NULL counts the job');
	my @req = new_requests();
	is(scalar(grep { /tag_name=cat&/ } @req), 1, 'optional filter: the tag given is one filtered request');
	ok(scalar(grep { !/tag_name=/ } @req) >= 1, 'optional filter: NULL reads the job\'s tagged images') or diag(join("\n", @req));
}

stop_emu($emu);
drop_db($db);
done_testing();
