# Hostile answers (the emulator's --fault kinds badutf8, nul, nulraw,
# tagstype, sizetype, shortlen, shortpage, uglymsg): each is a clear error,
# or, where SQL's answer is still certain, the right rows; never rows
# silently changed or missing.  After each, the same backend answers the next
# query, and no backend crashed.
#
# "The message" below is the primary message (the ERROR line); psql runs
# with VERBOSITY verbose, so it follows the SQLSTATE.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Encode ();
use EmulatorTest;
use FdwTest;
use Test::More;

my $P = project_id();
my $crashes = backend_crashes();
my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my @all282 = @{ expected_ids($job, undef) };
my %exp_ids = map { $_ => expected_ids($job, $_) } qw(cat dog outdoor indoor);
# the rows of job 282: one per (image, distinct tag), one per untagged image
my $rows282 = 0;
for my $img (@{ $job->{images} }) {
	my %t = map { $_ => 1 } @{ $img->{tags} };
	$rows282 += %t ? scalar keys %t : 1;
}
my $BAD = "\xff\xfe\xc3\x28";

my $db = fdw_db('tap_hostile');
my $log = tmpdir() . '/250.log';
my $emu;

# emulate(@faults): a new emulator with these faults, the server pointed at it
my $first = 1;
sub emulate {
	stop_emu($emu) if $emu;
	$emu = start_emu('--data', sample_file(), '--access-log', $log, map { ('--fault', $_) } @_);
	if ($first) {
		$first = 0;
		psql_ok($db, <<SQL);
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$emu->{base}', project_id '$P', max_retries '1', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE img (
  data_annotation_id bigint, image_id text, image_name text, url text,
  width int, height int, tag_name text, tags text[], annotations jsonb,
  create_time timestamptz
) SERVER ma OPTIONS (resource 'images', requests_in_flight '1');
CREATE FOREIGN TABLE img8 (
  data_annotation_id bigint, image_id text, image_name text, url text,
  width int, height int, tag_name text, tags text[], annotations jsonb,
  create_time timestamptz
) SERVER ma OPTIONS (resource 'images', requests_in_flight '8');
SQL
	}
	else {
		psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$emu->{base}')");
	}
}

# the primary message of an error report ('' when there is none)
sub errmsg {
	my ($err) = @_;
	return $err =~ /^(?:psql:[^\n]*?:\d+: )?ERROR:  (?:[0-9A-Z]{5}: )?(.*)$/m ? $1 : '';
}

# run($s, $sql) in session $s: (stdout, stderr, primary message)
sub run_in {
	my ($s, $sql) = @_;
	my ($out, $err) = session_run($s, $sql);
	return ($out, $err, errmsg($err));
}

# the backend of session $s still answers
sub still_answers {
	my ($s, $what) = @_;
	my ($out, $err) = session_run($s, 'SELECT 41 + 1');
	is("$out|$err", '42|', "$what: the same backend answers the next query");
}

# ---- invalid UTF-8 ----
# 22021 (invalid byte sequence for encoding "UTF8"), or a message saying
# "invalid"; never a row holding the bytes, in any column that carries them
emulate('badutf8:1@/data-annotations/282/images', 'badutf8:1@/data-annotations/283/images');
{
	my $s = session_open($db);
	for my $q ([ 282, 'image_name' ], [ 282, 'tag_name' ], [ 282, 'tags' ], [ 282, 'annotations' ],
		[ 282, '*' ], [ 283, 'tag_name' ], [ 283, 'annotations' ]) {
		my ($j, $col) = @$q;
		my ($out, $err, $msg) = run_in($s, "SELECT $col FROM img WHERE data_annotation_id = $j");
		ok($err =~ /ERROR:  22021: / || $msg =~ /invalid/i,
			"badutf8, job $j, $col: 22021 or \"invalid\" (got: " . ($msg || 'no error') . ')');
		ok(index($out, $BAD) < 0 && index($out, "\xff\xfe") < 0, "badutf8, job $j, $col: no row holds the bytes");
	}
	my ($out, $err, $msg) = run_in($s, 'CREATE TABLE copied AS SELECT * FROM img WHERE data_annotation_id = 282');
	ok($err =~ /ERROR:  22021: / || $msg =~ /invalid/i, 'badutf8: CREATE TABLE AS fails');
	($out) = run_in($s, "SELECT count(*) FROM pg_class WHERE relname = 'copied'");
	is($out, 0, 'badutf8: ... and no table holds the bytes');
	still_answers($s, 'badutf8');
	session_close($s);
}

# ---- NUL, escaped and raw ----
for my $kind (qw(nul nulraw)) {
	emulate("$kind:1@/data-annotations/282/images");
	my $s = session_open($db);
	for my $col ('image_name', '*') {
		my ($out, $err, $msg) = run_in($s, "SELECT $col FROM img WHERE data_annotation_id = 282");
		like($msg, qr/NUL/, "$kind, $col: an error naming the NUL (got: " . ($msg || 'no error') . ')');
		unlike($out, qr/^abc/m, "$kind, $col: no name cut at the NUL");
	}
	still_answers($s, $kind);
	session_close($s);
}

# ---- tags of the wrong type ----
for my $type (qw(number string object)) {
	emulate("tagstype:1:$type\@/data-annotations/282/images");
	my $s = session_open($db);
	for my $q ('image_id, tag_name', 'image_id, tags', 'count(*)') {
		my ($out, $err, $msg) = run_in($s, "SELECT $q FROM img WHERE data_annotation_id = 282");
		like($msg, qr/tags/, "tagstype $type, SELECT $q: an error naming \"tags\" (got: "
			. ($msg || "no error, $out" =~ s/\n.*//sr) . ')');
	}
	# the tagged stream must not lose the image either
	my ($out, $err, $msg) = run_in($s, "SELECT count(DISTINCT image_id) FROM img WHERE data_annotation_id = 282 AND tag_name IS NOT NULL");
	ok($msg =~ /tags/ || $out eq scalar @all282,
		"tagstype $type, the tagged stream: an error naming \"tags\" or all " . scalar(@all282) . " images (got: " . ($msg || $out) . ')');
	still_answers($s, "tagstype $type");
	session_close($s);
}

# ---- size of the wrong type ----
emulate('sizetype:1@/data-annotations/282/images');
{
	my $s = session_open($db);
	for my $col ('width, height', 'width', 'height', '*') {
		my ($out, $err, $msg) = run_in($s, "SELECT $col FROM img WHERE data_annotation_id = 282");
		like($msg, qr/size/, "sizetype, SELECT $col: an error naming \"size\" (got: " . ($msg || 'no error') . ')');
	}
	# without width and height, the rows are certain: they may come
	my ($out, $err, $msg) = run_in($s, "SELECT count(*) FROM img WHERE data_annotation_id = 282");
	ok($msg =~ /size/ || $out eq $rows282,
		"sizetype, no width or height: the right rows ($rows282) or the error (got: " . ($msg || $out) . ')');
	still_answers($s, 'sizetype');
	session_close($s);
}

# ---- Content-Length shorter than the body ----
# the right rows or a clear error, never other rows; the queries after it in
# the session (on the connections the FDW keeps) right
emulate('shortlen:1@tag_name=cat', 'shortlen:1:100@tag_name=dog');
for my $t ([ 'img', 'requests_in_flight 1' ], [ 'img8', 'requests_in_flight 8' ]) {
	my ($tbl, $what) = @$t;
	my $s = session_open($db);
	for my $step ([ 'cat', 'shortlen 1' ], [ 'outdoor', 'after shortlen 1' ], [ 'dog', 'shortlen 100' ],
		[ 'outdoor', 'after shortlen 100' ], [ 'cat', 'shortlen 1 again' ], [ 'indoor', 'after it' ]) {
		my ($tag, $label) = @$step;
		my ($out, $err, $msg) = run_in($s, "SELECT image_id FROM $tbl WHERE data_annotation_id = 282 AND tag_name = '$tag' ORDER BY 1");
		my $right = $out eq join("\n", @{ $exp_ids{$tag} });
		if ($label =~ /^after/) {
			ok($right && $err eq '', "$what, $label: the right rows ($tag)" . ($msg ? " (got: $msg)" : ''));
		}
		else {
			ok($right || ($msg ne '' && $out eq ''), "$what, $label: the right rows or an error ($tag)"
				. ($msg ? " (an error: $msg)" : $right ? ' (the right rows)' : ' (WRONG ROWS)'));
		}
	}
	still_answers($s, "shortlen, $what");
	session_close($s);
}

# ---- a short page whose image_count says more remain ----
# an error naming image_count, never fewer rows
for my $f ([ 'shortpage:1@/data-annotations/282/images', 'every page' ],
	[ 'shortpage:1@/data-annotations/282/images?per_page=100&page=2', 'page 2 of 3' ]) {
	emulate($f->[0]);
	for my $tbl ('img', 'img8') {
		my $s = session_open($db);
		my ($out, $err, $msg) = run_in($s, "SELECT count(*) FROM $tbl WHERE data_annotation_id = 282 AND tag_name IS NOT NULL");
		like($msg, qr/image_count/, "shortpage ($f->[1]), $tbl: an error naming image_count (got: "
			. ($msg || "no error, $out rows") . ')');
		($out, $err, $msg) = run_in($s, "SELECT image_id, tag_name FROM $tbl WHERE data_annotation_id = 282");
		like($msg, qr/image_count/, "shortpage ($f->[1]), $tbl, every column: the same");
		still_answers($s, "shortpage ($f->[1]), $tbl");
		session_close($s);
	}
}

# ---- text quoted from the server ----
# error_msg of 5,000 bytes with ANSI escapes, a bell, CR LF, a backspace and
# invalid UTF-8: the error holds no ESC or other control byte, is valid
# UTF-8 and short; so is what the server log got
emulate('uglymsg:1@/data-annotations/282/images');
{
	my $logfile = server_log();
	my $log_before = -s $logfile;
	my $s = session_open($db);
	my ($out, $err, $msg) = run_in($s, "SELECT count(*) FROM img WHERE data_annotation_id = 282");
	ok($msg ne '', "uglymsg: an error ($msg)");
	ok(index($err, "\e") < 0, 'uglymsg: no ESC byte in the error');
	unlike($err, qr/[\x00-\x09\x0b-\x1f\x7f]/, 'uglymsg: no control byte but newlines in the error');
	ok(eval { Encode::decode('UTF-8', my $copy = $err, Encode::FB_CROAK); 1 },
		'uglymsg: the error is valid UTF-8');
	# ERROR, DETAIL and HINT: what holds the quoted text (not CONTEXT, LOCATION)
	my $text = join("\n", grep { /^(?:psql:[^\n]*?:\d+: )?(ERROR|DETAIL|HINT):/ } split /\n/, $err);
	cmp_ok(length($text), '<', 1100, 'uglymsg: the error is under 1,100 characters (' . length($text) . ')');
	like($text, qr/lorem ipsum/, 'uglymsg: ... and still quotes the service');
	still_answers($s, 'uglymsg');
	session_close($s);
	open(my $fh, '<:raw', $logfile) or die "$logfile: $!";
	seek($fh, $log_before, 0);
	my $new = do { local $/; <$fh> } // '';
	close $fh;
	ok(length($new) > 0 && index($new, 'lorem ipsum') >= 0, 'uglymsg: the server log got the error');
	ok(index($new, "\e") < 0 && $new !~ /[\x07\x08]/, 'uglymsg: no ESC, bell or backspace in the server log');
	ok(index($new, $BAD) < 0, 'uglymsg: nor the invalid bytes');
}

stop_emu($emu);
is(backend_crashes(), $crashes, 'no backend crashed');
drop_db($db);
done_testing();
