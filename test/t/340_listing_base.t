# The annotation-jobs listing's offset base is not documented (1 in the
# emulator's default, 0 under --variant listing-offset-0).  The FDW asks
# offsets 1, 2, ... until a short page, then offset 0 last; it keeps the base
# it learns with the connection.  Checked under both bases, with the
# listing's page size 100 (one page of jobs) and 2 (several): every job's
# rows exactly once, and the listing requests each read sends, the first
# time and once the base is known.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;

my $sample = load_sample();
my $rows = 0;
for my $job (@{ $sample->{jobs} }) {
	for my $img (@{ $job->{images} }) {
		my %t = map { (ref $_ ? $_->{tag} : $_) => 1 } @{ $img->{tags} || [] };
		$rows += %t ? scalar(keys %t) : 1;
	}
}
# the jobs that have rows (an empty job has none)
my $njobs = scalar grep { @{ $_->{images} } } @{ $sample->{jobs} };

for my $case (
	# base, page size, listing offsets of the first read, of the next one
	[ 1, 100, '1 0:400', '1' ],
	[ 0, 100, '1 0', '0' ],
	[ 1, 2, '1 2 3 0:400', '1 2 3' ],
	[ 0, 2, '1 2 0', '0 1 2' ],
) {
	my ($base, $size, $first, $next) = @$case;
	my $log = tmpdir() . "/340-$base-$size.log";
	my $emu = start_emu('--data', sample_file(), '--access-log', $log,
		$base == 0 ? ('--variant', 'listing-offset-0') : ());
	my $db = fdw_db("tap_listing_${base}_$size");
	setup_fdw($db, endpoint => $emu->{base}, page_size => $size);
	psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
	my $seen = 0;
	my $listing = sub {
		my @all = grep { m{^GET } } access_log_lines($log);
		my @new = @all[$seen .. $#all];
		$seen = @all;
		my @off;
		for (@new) {
			next unless m{annotation-jobs\?offset=(\d+)&.* (\d+)$};
			push @off, $2 == 200 ? $1 : "$1:$2";
		}
		return "@off";
	};
	my $name = "base $base, page size $size";
	my $s = session_open($db);
	my $q = "SELECT count(*), count(DISTINCT data_annotation_id) FROM images";
	my ($out, $err) = session_run($s, $q);
	is($out, "$rows|$njobs", "$name: every job's rows once");
	is($listing->(), $first, "$name: the first read asks offsets $first");
	($out, $err) = session_run($s, $q);
	is($out, "$rows|$njobs", "$name: again, the same rows");
	is($listing->(), $next, "$name: once the base is known, offsets $next");
	session_close($s);

	# a preview on a new connection: the first listing page only
	$s = session_open($db);
	($out, $err) = session_run($s, "SELECT count(*) FROM (SELECT * FROM images LIMIT 5) p");
	is($out, 5, "$name: a preview of 5 rows");
	my $want = $base == 1 || $size == 2 ? '1' : '1 0';
	is($listing->(), $want, "$name: the preview asks offsets $want");
	session_close($s);
	stop_emu($emu);
	drop_db($db);
}

done_testing();
