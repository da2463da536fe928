# Secrets stay secret: in each authentication mode, successes, failures and
# EXPLAIN (VERBOSE, ANALYZE) are run with the server logging at DEBUG5 and
# the client shown DEBUG5; then the PostgreSQL server log and everything psql
# printed in every auth test of this run (their transcripts, see FdwTest.pm)
# are searched for every secret used: tokens, passwords, secret keys,
# signatures.  None may be found.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;

my %S = (
	password => 'Sec-Pass-0d9c7b1a',
	sk       => 'Sec-SK-8e6f2a4c1b',
	bad_sk   => 'Sec-BadSK-71c3e5',
	bad_pw   => 'Sec-BadPw-2b8d4f',
	bad_tok  => 'Sec-BadToken-6a1e9c3f',
);
record_secret(values %S);
my $AK = 'AKSECRETSTEST0000001';

my $db = fdw_db('tap_secrets');
my $debug = "SET client_min_messages = debug5; SET log_min_messages = debug5; SET log_min_error_statement = debug5;";
my $q = "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'";
my $explain = "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) $q";
my ($rc, $out, $err);

# token mode: a token from IAM, and an unknown one
my $etok = start_emu('--data', sample_file(), '--auth', 'token', '--user', 'sec-user',
	'--password', $S{password}, '--domain', 'acme');
my $res = iam_token($etok, 'sec-user', $S{password}, 'acme');
my $token = $res->{headers}{'x-subject-token'};
record_secret($token);
setup_fdw($db, endpoint => $etok->{base}, iam_endpoint => $etok->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (auth_token '$token')");
($rc, $out, $err) = psql($db, "$debug $q; $explain;");
is($rc, 0, 'token: query and EXPLAIN succeed');
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET auth_token '$S{bad_tok}')");
($rc) = psql($db, "$debug $q");
isnt($rc, 0, 'token: an unknown token fails');

# password mode: success (the token IAM issues is secret too), wrong password
psql_ok($db, "DROP USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (user_name 'sec-user', password '$S{password}', domain_name 'acme')");
($rc) = psql($db, "$debug $q; $explain;");
is($rc, 0, 'password: query and EXPLAIN succeed');
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET password '$S{bad_pw}')");
($rc) = psql($db, "$debug $q");
isnt($rc, 0, 'password: a wrong password fails');
stop_emu($etok);

# AK/SK mode: success, wrong secret key
my $eak = start_emu('--data', sample_file(), '--auth', 'aksk', '--ak', $AK, '--sk', $S{sk});
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$eak->{base}');
DROP USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (access_key '$AK', secret_key '$S{sk}')");
($rc) = psql($db, "$debug $q; $explain;");
is($rc, 0, 'AK/SK: query and EXPLAIN succeed');
psql_ok($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (SET secret_key '$S{bad_sk}')");
($rc) = psql($db, "$debug $q");
isnt($rc, 0, 'AK/SK: a wrong secret key fails');
stop_emu($eak);

# the views a user can read do not show other users' secrets (see also
# sql/nonsuperuser.sql); here: pg_stat_activity holds no secret once the
# statements are done
my $act = psql_ok($db, "SELECT string_agg(query, ' ') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
unlike($act, qr/Sec-/, 'pg_stat_activity: no secret');

# ---- the search ----
my $tdir = transcript_dir();
my @secrets = do {
	open(my $fh, '<', "$tdir/secrets.txt") or die "$tdir/secrets.txt: $!";
	my %seen;
	grep { length($_) >= 8 && !$seen{$_}++ } map { chomp; $_ } <$fh>;
};
sub slurp { my $f = shift; open(my $fh, '<:raw', $f) or return undef; local $/; my $c = <$fh>; close $fh; $c }
my %where = (
	'server log' => slurp(server_log()),
	'psql output of the auth tests' => slurp("$tdir/psql-output.log"),
);
ok(defined $where{'server log'}, 'the server log is readable: ' . server_log());
cmp_ok(scalar @secrets, '>=', 8, 'secrets to look for: ' . scalar @secrets);
my @tests = map { s/\.t$//r } grep { /^\S+\.t$/ } map { m{([^/]+\.t) \[} ? $1 : () }
	split(/\n/, $where{'psql output of the auth tests'} // '');
my %tests = map { $_ => 1 } @tests;
diag('psql transcripts searched: ' . join(', ', sort keys %tests));

for my $place (sort keys %where) {
	my $text = $where{$place} // '';
	my @found = grep { index($text, $_) >= 0 } @secrets;
	is_deeply(\@found, [], "$place: none of the " . scalar(@secrets) . ' secrets')
	  or diag("found in $place: @found");
	my @tok = $text =~ /(MIIemu[0-9a-f]{16,})/g;
	is_deeply(\@tok, [], "$place: no IAM token (emulator tokens start with MIIemu)");
	my @sig = grep { $_ ne 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }
		$text =~ /\b([0-9a-f]{64})\b/g;
	is_deeply(\@sig, [], "$place: no signature-like 64-hex string (sha256 of the empty body aside)");
	unlike($text, qr/Signature=|X-Auth-Token:|Authorization:/i, "$place: no authentication header");
}

# When CREATE or ALTER USER MAPPING fails, PostgreSQL would log the
# statement text with the error (log_min_error_statement = error), secrets
# included; the validator hides the statement for its own errors.
{
	psql($db, "ALTER USER MAPPING FOR CURRENT_USER SERVER ma OPTIONS (ADD auth_token 'Sec-Mixed-5f0e2d9a')");
	my $log = slurp(server_log()) // '';
	unlike($log, qr/Sec-Mixed-5f0e2d9a/, 'a refused user mapping command is not logged with its secret');
}

drop_db($db);
done_testing();
