# Database encodings: the service speaks UTF-8 (JSON, URLs).  In a LATIN1
# database a tag is sent as its UTF-8 bytes, percent-encoded (not as the
# database's bytes), rows come back converted to LATIN1, and a character
# LATIN1 lacks is PostgreSQL's standard error, never stored as bytes that
# are not LATIN1.  In a UTF-8 database, bytes that are not UTF-8 are
# refused (test/t/250_hostile.t sends them).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Encode ();
use IPC::Run qw(run);
use Test::More;

my $log = tmpdir() . '/260.log';
my $emu = start_emu('--data', sample_file(), '--access-log', $log);

# the client speaks UTF-8; the server converts to and from LATIN1
$ENV{PGCLIENTENCODING} = 'UTF8';
my $db = 'tap_latin1';
my ($o, $e);
run([ 'dropdb', '--if-exists', $db ], \undef, \$o, \$e);
run([ 'createdb', '--encoding', 'LATIN1', '--locale', 'C', '--template', 'template0', $db ],
	\undef, \$o, \$e) or die "createdb: $e";
psql_ok($db, 'CREATE EXTENSION modelarts_fdw');
setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
is(psql_ok($db, 'SHOW server_encoding'), 'LATIN1', 'the database is LATIN1');

sub requests { [ map { m{^GET (\S+)} ? $1 : () } access_log_lines($log) ] }

# a tag with a character beyond ASCII, written in the client's UTF-8,
# stored as LATIN1 by the server: sent as UTF-8 (%C3%A9), not as E9
my $n0 = scalar @{ requests() };
is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 283 AND tag_name = 'caf\xc3\xa9'"),
	'0', 'a LATIN1 tag: no rows (the sample has none)');
my @sent = @{ requests() }[ $n0 .. $#{ requests() } ];
ok((grep { /tag_name=caf%C3%A9&/ } @sent), 'the tag is sent as its UTF-8 bytes, percent-encoded')
	or diag(join("\n", @sent));
ok(!(grep { /tag_name=caf%E9&/ } @sent), 'never as the database\'s bytes');

# rows whose text LATIN1 can hold convert: job 283's rows, one per image
# and distinct tag, counted from the sample file
my ($job283) = grep { $_->{project_id} == 283 } @{ load_sample()->{jobs} };
my $want = 0;
for my $img (@{ $job283->{images} }) {
	my %seen = map { ((ref $_ ? $_->{tag} : $_) => 1) } @{ $img->{tags} || [] };
	$want += scalar keys %seen;
}
is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 283 AND tag_name IS NOT NULL"),
	$want, "a job of ASCII tags reads in LATIN1: $want rows");
# a tag LATIN1 lacks (a CJK character of job 282) is an error
my $err = psql_fails($db, "SELECT image_id, tag_name FROM images WHERE data_annotation_id = 282");
like($err, qr/22P05|has no equivalent in encoding "LATIN1"/,
	'a tag LATIN1 lacks: the standard untranslatable-character error');

drop_db($db);

# EUC_JP: the sample's CJK tag reads as it is, and a condition on it is sent
# as the tag's UTF-8 bytes
$db = 'tap_eucjp';
run([ 'dropdb', '--if-exists', $db ], \undef, \$o, \$e);
run([ 'createdb', '--encoding', 'EUC_JP', '--locale', 'C', '--template', 'template0', $db ],
	\undef, \$o, \$e) or die "createdb: $e";
psql_ok($db, 'CREATE EXTENSION modelarts_fdw');
setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
is(psql_ok($db, 'SHOW server_encoding'), 'EUC_JP', 'the database is EUC_JP');
my ($job282) = grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} };
my $cat = "\xe7\x8c\xab";    # U+732B in UTF-8, as the client sends it
my $ncat = scalar @{ expected_ids($job282, Encode::decode('UTF-8', $cat)) };
$n0 = scalar @{ requests() };
is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = '$cat'"),
	$ncat, "EUC_JP: tag_name = U+732B (a CJK character) finds its $ncat images");
@sent = @{ requests() }[ $n0 .. $#{ requests() } ];
ok((grep { /tag_name=%E7%8C%AB&/ } @sent), 'EUC_JP: sent as tag_name=%E7%8C%AB')
	or diag(join("\n", @sent));
is(psql_ok($db, "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name IS NOT NULL AND tag_name = '$cat'"),
	$ncat, 'EUC_JP: the rows\' tag_name, converted from UTF-8, equals the condition');
is(psql_ok($db, "SELECT count(*) FROM (SELECT * FROM images WHERE data_annotation_id = 282) s WHERE tag_name || '' = '$cat'"),
	$ncat, 'EUC_JP: the same rows filtered locally, after conversion');
drop_db($db);

stop_emu($emu);
done_testing();
