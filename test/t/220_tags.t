# An image's tags through the FDW: its rows are its distinct tags, once
# each, in the order they first appear in its "tags" array, however many
# detection boxes repeat them; the expectation is computed here from the
# emulator's own answer over HTTP.  The de-duplication is linear (a hash set
# past the first few tags), and an image may carry at most 10,000 entries:
# one more is an error naming the image and the cap.  A scan of images at
# the cap honours statement_timeout and pg_cancel_backend.
#
# The data file written here also serves the values the regression sample
# cannot: numbers at the edges of bigint's exact range and of timestamps,
# and fractions nested in annotations, whose jsonb (built from the parsed
# answer) must be the one the printed text makes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $P = project_id();
my $CAP = 10000;

# ---- the data file ----
sub image {
	my ($n, $tags, $extra) = @_;
	return sprintf('{"image_id":"%032x","image_name":"IMG_%d.jpg",'
		  . '"url":"https://bucket.example/IMG_%d.jpg","size":[640,480],'
		  . '"tags":[%s],"create_time":%d%s}',
		$n, $n, $n, join(',', @$tags), 1565000000000 + $n, $extra // '');
}

sub job {
	my ($id, $type, @images) = @_;
	return sprintf('{"project_id":%d,"project_name":"job-%d","project_type":%d,'
		  . '"create_time":%d,"images":[%s]}',
		$id, $id, $type, 1565000000000 + $id, join(",\n", @images));
}

sub jstr { '"' . $_[0] . '"' }

# 901: classification images with many tags, each repeated (the hash set),
# one at exactly the cap, and one with the edge numbers as extra keys.  The
# emulator serves numbers as cJSON prints them, 15 digits when those read
# back as nearly the same double: 2^53 - 1 would come as
# 9.00719925474099e+15, so the edges here are numbers that come through
# whole (2^53 - 2, and 9007199254741000 just past 2^53).
srand(220);
my @j901;
for my $n (1 .. 20) {
	my @names = map { "t$n-$_" } 1 .. 10 + 3 * $n;
	my @entries = map { my $t = $_; (jstr($t)) x (1 + int(rand(3))) } @names;
	for (my $i = $#entries; $i > 0; $i--) {
		my $k = int(rand($i + 1));
		@entries[ $i, $k ] = @entries[ $k, $i ];
	}
	push @j901, image(0x901000 + $n, \@entries);
}
push @j901, image(0x901100, [ map { jstr('c' . ($_ % 5000)) } 0 .. $CAP - 1 ]);
push @j901, image(0x901200, [ jstr('edge') ],
	',"max_exact":9007199254740990,"min_exact":-9007199254740990,"e15":1000000000000000,'
	  . '"beyond":9007199254741000,"huge":100000000000000000,"int4_max":2147483647,"int4_over":2147483648,'
	  . '"frac":1.5,"far_future":10000000000000000,"far_past":-300000000000000,"farthest":1e300,'
	  . '"extra":{"n":[0.1,1e300,1.5e-7,0.30000000000000004,-0.0,1e15,123456789012345678,'
	  . '2.5,-1e-300,100,-7,true,false,null,"s\u00e9\n\"x"],"dup":1,"dup":2,'
	  . '"nested":{"z":1,"a":[[]],"e":{}}}');

# 902: one image with one entry more than the cap
my $over = 0x902001;
my $j902 = image($over, [ map { jstr('o' . ($_ % 100)) } 0 .. $CAP ]);

# 903: images at the cap less one, every tag distinct
my @j903 = map { my $n = $_; image(0x903000 + $n, [ map { jstr("t$_") } 1 .. $CAP - 1 ]) } 1 .. 150;

# 904: detection boxes with fractions
my @j904 = map {
	my $n = $_;
	image(0x904000 + $n, [ map { sprintf('{"tag":"b%d","pos":[%s],"score":%s}', $_ % 3,
		join(',', 0.5 * $n, 1.25 + $_, 1e-9 * $n, 640.0 / 7), 1 / ($n + $_)) } 1 .. 5 ])
} 1 .. 10;

my $file = tmpdir() . '/tags.json';
open(my $fh, '>:raw', $file) or die "$file: $!";
print $fh qq({"project_id":"$P","jobs":[\n),
  join(",\n", job(901, 0, @j901), job(902, 0, $j902), job(903, 0, @j903), job(904, 1, @j904)),
  "]}\n";
close $fh;

my $gen = start_emu('--generate', 'seed=5,jobs=1,images=50,tags=3,detection=1,boxes=40');
my $emu = start_emu('--data', $file);
my $db = fdw_db('tap_tags');
psql_ok($db, <<SQL);
CREATE SERVER gen FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$gen->{base}', project_id '$P', requests_in_flight '8', use_remote_estimate 'false');
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$emu->{base}', project_id '$P', requests_in_flight '8', use_remote_estimate 'false');
CREATE SERVER ma10 FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$emu->{base}', project_id '$P', requests_in_flight '8', page_size '10', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER gen;
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE USER MAPPING FOR CURRENT_USER SERVER ma10;
CREATE FOREIGN TABLE gen_images (data_annotation_id bigint, image_id text,
  tag_name text, tags text[], annotations jsonb,
  annotations_json json OPTIONS (key 'annotations'))
  SERVER gen OPTIONS (resource 'images');
CREATE FOREIGN TABLE images (data_annotation_id bigint, image_id text,
  tag_name text, tags text[], annotations jsonb,
  annotations_json json OPTIONS (key 'annotations'))
  SERVER ma OPTIONS (resource 'images');
CREATE FOREIGN TABLE images10 (data_annotation_id bigint, image_id text, tag_name text)
  SERVER ma10 OPTIONS (resource 'images');
SQL

# The rows the emulator's answers make, in the order it serves them: the
# tagged images, then the untagged; each image's distinct tags in order of
# first appearance, a row each: "image_id tag k/n" for the k-th of n, which
# the FDW's row shows as the place of its tag_name in its tags array (so
# tags is that list too); one row "image_id -" for an untagged image.  Also:
# how many images repeat a tag.
sub served_rows {
	my ($emu, $job) = @_;
	my (@rows, $repeating);
	for my $filter ('', '&tag_name=__none__') {
		for (my $page = 1; ; $page++) {
			my ($st, $d) = get_json("$emu->{base}/v1/$P/data-annotations/$job/images?per_page=100&page=$page$filter");
			die "job $job page $page: status $st" unless $st == 200;
			for my $img (@{ $d->{images} }) {
				my (%seen, @distinct);
				for my $t (@{ $img->{tags} }) {
					my $name = ref $t ? $t->{tag} : $t;
					push @distinct, $name unless $seen{$name}++;
				}
				$repeating++ if @distinct < @{ $img->{tags} };
				my $n = @distinct;
				push @rows, $n ? map { "$img->{image_id} $distinct[$_] " . ($_ + 1) . "/$n" } 0 .. $n - 1
				  : "$img->{image_id} -";
			}
			last if @{ $d->{images} } < 100;
		}
	}
	return (\@rows, $repeating // 0);
}

sub fdw_rows {
	my ($table, $job) = @_;
	my $out = psql_ok($db, "SELECT image_id || ' ' || coalesce(tag_name || ' ' "
		  . "|| array_position(tags, tag_name) || '/' || cardinality(tags), '-') "
		  . "FROM $table WHERE data_annotation_id = $job");
	return [ split /\n/, $out ];
}

# ---- distinct tags in first-occurrence order ----
{
	my ($want, $repeating) = served_rows($gen, 1);
	cmp_ok($repeating, '>=', 25, "generated detection job: $repeating of 50 images repeat a tag on several boxes");
	is_deeply(fdw_rows('gen_images', 1), $want,
		'generated detection job: each image\'s rows are its distinct tags, once each, in first-occurrence order (' . scalar(@$want) . ' rows)');

	($want, $repeating) = served_rows($emu, 901);
	is($repeating, 21, 'job 901: 21 images repeat tags');
	is_deeply(fdw_rows('images', 901), $want,
		'job 901: images of 13 to 70 distinct tags, each repeated, and one at the cap: distinct tags in order');
	is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 901 AND image_id = '"
		  . sprintf('%032x', 0x901100) . "'"), 5000, 'an image at the cap (10,000 entries): its 5,000 distinct tags');

	# the tags column and tag_name agree however the rows are chosen
	is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 901 AND tag_name = 't20-70'"),
		1, 'tag_name = one tag: its image once');
	is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 901 AND NOT tag_name = ANY (tags)"),
		0, 'every row\'s tag is in its tags array');
}

# ---- the cap ----
{
	my $err = psql_fails($db, "SELECT count(*) FROM images WHERE data_annotation_id = 902");
	my $id = sprintf('%032x', $over);
	like($err, qr/ERROR:  54000: image "$id" has 10001 entries in its tags array, more than the 10000 an image may have/,
		'one entry over the cap: an error naming the image and the cap (54000)');
	like($err, qr/DETAIL:  Each entry is a tag, or a box of a detection job\./, 'the detail says what counts');
	$err = psql_fails($db, "SELECT image_id FROM images WHERE data_annotation_id = 902 AND tag_name = 'o7'");
	like($err, qr/image "$id" has 10001 entries/, 'the same with a tag pushed down');
}

# ---- cancel and statement_timeout during a scan of images at the cap ----
{
	# pages of 10 images: 100 would make too large a JSON tree for the FDW
	my $q = "SELECT count(*), count(DISTINCT tag_name) FROM images10 WHERE data_annotation_id = 903";
	my $t0 = time;
	is(psql_ok($db, $q), (150 * ($CAP - 1)) . '|' . ($CAP - 1), '150 images of 9,999 distinct tags: every row');
	my $full = time - $t0;
	diag(sprintf('the full scan of 150 images at the cap: %.3f s', $full));

	my $s = session_open($db);
	my ($pid) = session_run($s, 'SELECT pg_backend_pid()');
	$t0 = time;
	my ($out, $err) = session_run($s, "SET statement_timeout = '200ms'; $q; RESET statement_timeout");
	my $el = time - $t0;
	like($err, qr/ERROR:  57014: canceling statement due to statement timeout/, 'statement_timeout: 57014');
	cmp_ok($el, '<', 0.2 + 2, 'statement_timeout 200 ms: the error within 2 s more');
	diag(sprintf('statement_timeout 200 ms: error after %.3f s', $el));

	session_send($s, "RESET statement_timeout; $q");
	sleep 0.5;
	my $t1 = time;
	is(psql_ok($db, "SELECT pg_cancel_backend($pid)"), 't', 'cancel: pg_cancel_backend sent while scanning');
	($out, $err) = session_wait($s);
	my $t2 = time;
	like($err, qr/ERROR:  57014: canceling statement due to user request/, 'cancel: 57014');
	cmp_ok($t2 - $t1, '<', 2, 'cancel: the error within 2 s');
	diag(sprintf('cancel: error %.3f s after pg_cancel_backend', $t2 - $t1));
	is((session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 901 AND tag_name = 't1-1'"))[0],
		1, 'the same backend answers afterwards');
	session_close($s);
}

# ---- numbers the sample cannot show ----
{
	psql_ok($db, <<SQL);
CREATE FOREIGN TABLE edge (
  max_exact bigint, min_exact bigint, e15 bigint, beyond bigint,
  huge_num numeric OPTIONS (key 'huge'), int4_max int, int4_over int,
  frac int, far_future timestamptz, far_past timestamptz, farthest timestamptz,
  extra jsonb, extra_json json OPTIONS (key 'extra')
) SERVER ma OPTIONS (resource 'images', data_annotation_id '901');
SQL
	is(psql_ok($db, "SELECT max_exact, min_exact, e15, int4_max FROM edge WHERE max_exact IS NOT NULL"),
		'9007199254740990|-9007199254740990|1000000000000000|2147483647',
		'bigint: exact integers up to 2^53 - 1 (from 1e15 on, an error before); int4 up to its maximum');
	is(psql_ok($db, "SELECT huge_num FROM edge WHERE huge_num IS NOT NULL"), '100000000000000000',
		'numeric: 1e17 in full');
	like(psql_fails($db, "SELECT beyond FROM edge WHERE max_exact IS NOT NULL"),
		qr/ERROR:  22P02: invalid input syntax for type bigint: "9\.007199254741e\+15"\n.*column "beyond" of foreign table "edge"/s,
		'bigint: beyond 2^53 - 1, the input function\'s error, naming the column');
	like(psql_fails($db, "SELECT int4_over FROM edge WHERE max_exact IS NOT NULL"),
		qr/ERROR:  22003: value "2147483648" is out of range for type integer\n.*column "int4_over" of foreign table "edge"/s,
		'int4: 2^31 is out of range, naming the column');
	like(psql_fails($db, "SELECT frac FROM edge WHERE max_exact IS NOT NULL"),
		qr/ERROR:  22P02: invalid input syntax for type integer: "1\.5"\n.*column "frac" of foreign table "edge"/s,
		'int4: 1.5 is not an integer, naming the column');
	like(psql_fails($db, "SELECT far_future FROM edge WHERE max_exact IS NOT NULL"),
		qr/ERROR:  22008: timestamp out of range: 10000000000000000 milliseconds since the epoch\n.*column "far_future" of foreign table "edge"/s,
		'timestamptz: 1e16 ms is out of range, naming the column');
	like(psql_fails($db, "SELECT far_past FROM edge WHERE max_exact IS NOT NULL"),
		qr/ERROR:  22008: timestamp out of range: -300000000000000 milliseconds since the epoch/,
		'timestamptz: -3e14 ms too');
	like(psql_fails($db, "SELECT farthest FROM edge WHERE max_exact IS NOT NULL"),
		qr/ERROR:  22008: timestamp out of range: 1e\+300 milliseconds since the epoch\n/,
		'timestamptz: 1e300 ms, said in a few characters, not 301 digits');
	is(psql_ok($db, "SELECT concat_ws(' ', extra->'dup', (extra->'n'->>1)::numeric = 1e300, "
		  . "extra->'n'->>6, extra->'nested') FROM edge WHERE max_exact IS NOT NULL"),
		'2 t 123456789012345680 {"a": [[]], "e": {}, "z": 1}',
		'jsonb of an object: the last of a duplicate key, 1e300 in full, the double of a long integer, nesting');
	is(psql_ok($db, "SELECT count(*) FROM edge WHERE extra IS DISTINCT FROM extra_json::jsonb "
		  . "OR extra::text IS DISTINCT FROM extra_json::jsonb::text"), 0,
		'jsonb of an object with fractions, huge and tiny numbers, -0, escapes: the same jsonb, to the digit, as the printed text makes');
	is(psql_ok($db, "SELECT count(*) || ' ' || count(*) FILTER (WHERE annotations IS DISTINCT FROM annotations_json::jsonb "
		  . "OR annotations::text IS DISTINCT FROM annotations_json::jsonb::text) FROM images WHERE data_annotation_id = 904"),
		'30 0', 'detection boxes with fractions: the same jsonb as the printed text makes');
	is(psql_ok($db, "SELECT count(*) || ' ' || count(*) FILTER (WHERE annotations IS DISTINCT FROM annotations_json::jsonb "
		  . "OR annotations::text IS DISTINCT FROM annotations_json::jsonb::text) FROM gen_images WHERE data_annotation_id = 1"),
		scalar(@{ (served_rows($gen, 1))[0] }) . ' 0', 'the generated detection job: the same too');
}

stop_emu($gen);
stop_emu($emu);
drop_db($db);
done_testing();
