# The v2 samples table against annotation_images on the same emulator, under
# each variant of the service that changes what an answer says: no totals,
# totals of the page, the last page again past the end, an __ALL__ that
# includes the unlabeled samples (the contract says labeled only), and all of
# them at once with modern error codes.  Every job, each filter (none, =, IN,
# IS NULL, IS NOT NULL, no dataset condition: the dataset list), two page
# sizes and LIMIT/OFFSET windows: the same rows, no row lost or doubled.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;

my $crashes = backend_crashes();
my $db = fdw_db('tap_v2_variants');

my $cols = 'dataset_id, sample_id, sample_name, url, width, height, label_name, labels, sample_time';
my $setup = <<'SQL';
CREATE FOREIGN TABLE annotation_images (
  data_annotation_id bigint, image_id text, image_name text, url text,
  width int, height int, tag_name text, tags text[], create_time timestamptz
) SERVER ma OPTIONS (resource 'images');
CREATE FOREIGN TABLE samples (
  dataset_id text, sample_id text, sample_name text, url text OPTIONS (key 'source'),
  width int, height int, label_name text, labels text[], sample_time timestamptz
) SERVER ma OPTIONS (resource 'samples');
CREATE VIEW v1 AS
SELECT 'ds' || data_annotation_id AS dataset_id, image_id AS sample_id,
       image_name AS sample_name, url, width, height, tag_name AS label_name,
       tags AS labels, create_time AS sample_time, data_annotation_id
FROM annotation_images;
CREATE FUNCTION differ(a text, b text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
                 a, b, b, a) INTO n;
  RETURN n;
END $$;
SQL

my @filters = ('', "AND label_name = 'cat'", "AND label_name IN ('car', 'indoor', 'x')",
	'AND label_name IS NULL', 'AND label_name IS NOT NULL');

for my $v ('', 'no-totals', 'page-totals', 'repeat-past-end', 'all-includes-unlabeled',
		   'no-totals,repeat-past-end,all-includes-unlabeled,modern-codes') {
	my $name = $v || 'the contract';
	my $emu = start_emu('--data', sample_file(), ($v ? ('--variant', $v) : ()));
	for my $ps (100, 7) {
		psql_ok($db, 'DROP SERVER IF EXISTS ma CASCADE; DROP FUNCTION IF EXISTS differ');
		psql_ok($db, "CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$emu->{base}', "
			. "project_id '" . project_id() . "', page_size '$ps');"
			. "CREATE USER MAPPING FOR CURRENT_USER SERVER ma;" . $setup);
		my @bad;
		for my $f (@filters) {
			my $d = psql_ok($db, "SELECT differ('SELECT $cols FROM v1 WHERE data_annotation_id IN (282, 283, 284, 285) "
				. ($f =~ s/'/''/gr) . "', 'SELECT $cols FROM samples WHERE dataset_id IN (''ds282'', ''ds283'', ''ds284'', ''ds285'') "
				. ($f =~ s/'/''/gr) . "')");
			push @bad, "[$f] $d" if $d ne '0';
			# no dataset condition: the dataset list
			$d = psql_ok($db, "SELECT differ('SELECT $cols FROM v1 WHERE data_annotation_id IN (282, 283, 284, 285) "
				. ($f =~ s/'/''/gr) . "', 'SELECT $cols FROM samples WHERE true " . ($f =~ s/'/''/gr) . "')");
			push @bad, "[listed $f] $d" if $d ne '0';
		}
		# windows of one stream: v2's default order is descending sample_id
		my $window = sub {
			my ($j, $c1, $c2, $lim, $off) = @_;
			my $d = psql_ok($db, "SELECT differ('SELECT sample_id, label_name FROM samples WHERE dataset_id = ''ds$j'' AND $c2 LIMIT $lim OFFSET $off', "
				. "'SELECT * FROM (SELECT image_id, tag_name FROM annotation_images WHERE data_annotation_id = $j AND $c1 ORDER BY image_id DESC LIMIT $lim OFFSET $off) w')");
			return $d eq '0' ? () : ("[window ds$j $c2 $lim/$off] $d");
		};
		push @bad, $window->(282, "tag_name = ''cat''", "label_name = ''cat''", 10, 20);
		push @bad, $window->(282, "tag_name IS NULL", "label_name IS NULL", 7, 5);
		push @bad, $window->(285, "tag_name = ''x''", "label_name = ''x''", 30, 85);
		is_deeply(\@bad, [], "$name, page_size $ps: samples rows equal annotation_images rows");

		# A window whose first page is past the end.  Under repeat-past-end
		# the service answers it with the last page; the scan (v1's and
		# v2's) knows it from the answer's count, a total that says the
		# window starts past the end.  Without a total (no-totals) nothing
		# in the answer tells, and the scan takes the repeated page's rows.
		TODO: {
			local $TODO = 'a first page past the end answered with the last page again, no total to tell'
			  if $v =~ /repeat-past-end/ && $v =~ /no-totals|page-totals/;
			is_deeply([ $window->(285, "tag_name = ''x''", "label_name = ''x''", 5, 100) ], [],
				"$name, page_size $ps: a window past the end has no row");
			is(psql_ok($db, "SELECT count(*) FROM (SELECT * FROM annotation_images WHERE data_annotation_id = 285 AND tag_name = 'x' OFFSET 100 LIMIT 5) s"),
				'0', "$name, page_size $ps: v1's window past the end has no row");
		}
	}
	stop_emu($emu);
}

# __ALL__ with the unlabeled samples: an unlabeled sample gives one row, from
# __NONE__, never one from __ALL__ too
{
	my $emu = start_emu('--data', sample_file(), '--variant', 'all-includes-unlabeled');
	psql_ok($db, 'DROP SERVER IF EXISTS ma CASCADE; DROP FUNCTION IF EXISTS differ');
	psql_ok($db, "CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$emu->{base}', "
		. "project_id '" . project_id() . "');CREATE USER MAPPING FOR CURRENT_USER SERVER ma;" . $setup);
	is(psql_ok($db, "SELECT count(*) FILTER (WHERE label_name IS NULL), count(DISTINCT sample_id) FILTER (WHERE label_name IS NULL), "
		. "count(*) FILTER (WHERE label_name IS NOT NULL AND labels = '{}') FROM samples WHERE dataset_id = 'ds282'"),
		'30|30|0', 'all-includes-unlabeled: 30 unlabeled samples, one NULL row each, no labeled row for them');
	stop_emu($emu);
}

is(backend_crashes(), $crashes, 'no backend crashed');
drop_db($db);
done_testing();
