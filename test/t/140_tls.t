# TLS: the emulator serves HTTPS with a certificate made here by a CA made
# here.  The FDW verifies peer and host by default: refused without the CA,
# accepted with ca_file, refused when the certificate is for another host
# name; ssl_verify false works, and only a superuser may set it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use IPC::Run qw(run);
use Test::More;

my $dir = tmpdir() . '/tls';
mkdir $dir;
sub openssl {
	my ($out, $err) = ('', '');
	run([ 'openssl', @_ ], \undef, \$out, \$err) or die "openssl @_: $err";
}
# a CA, and two server certificates it signs: one for 127.0.0.1 and
# localhost, one for another name only
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=modelarts_fdw test CA',
	'-keyout', "$dir/ca.key", '-out', "$dir/ca.pem");
for my $c ([ 'good', 'DNS:localhost,IP:127.0.0.1' ], [ 'other', 'DNS:other.example' ]) {
	my ($name, $san) = @$c;
	openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', "/CN=$name", '-keyout', "$dir/$name.key",
		'-out', "$dir/$name.csr");
	open(my $fh, '>', "$dir/$name.ext") or die;
	print $fh "subjectAltName=$san\nbasicConstraints=CA:FALSE\n";
	close $fh;
	openssl('x509', '-req', '-in', "$dir/$name.csr", '-CA', "$dir/ca.pem", '-CAkey', "$dir/ca.key",
		'-CAcreateserial', '-days', '2', '-extfile', "$dir/$name.ext", '-out', "$dir/$name.pem");
}
chmod 0711, tmpdir();   # the server process (another user) reads ca.pem
chmod 0755, $dir;
chmod 0644, glob("$dir/*.pem");

my ($rc, undef, $stderr) = run_emu_fail('--data', sample_file(), '--tls-cert', "$dir/good.pem");
is($rc, 2, 'emulator: --tls-cert without --tls-key refused');

my $good = start_emu('--data', sample_file(), '--tls-cert', "$dir/good.pem", '--tls-key', "$dir/good.key");
my $other = start_emu('--data', sample_file(), '--tls-cert', "$dir/other.pem", '--tls-key', "$dir/other.key");
my $good_url = "https://127.0.0.1:$good->{port}";
my $other_url = "https://127.0.0.1:$other->{port}";

my $job = (grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0];
my $n_cat = scalar @{ expected_ids($job, 'cat') };
my $q = "SELECT count(*) FROM images WHERE data_annotation_id = 282 AND tag_name = 'cat'";

my $db = fdw_db('tap_tls');
setup_fdw($db, endpoint => $good_url);
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");

# by default: the certificate's issuer is unknown
my $err = psql_fails($db, $q);
like($err, qr/ERROR:  HV00N: could not connect to ModelArts endpoint "\Q$good_url\E": SSL peer certificate or SSH remote key was not OK/,
	'default: refused, the CA is not trusted');
like($err, qr/DETAIL:  SSL certificate problem: (unable to get local issuer certificate|self.signed certificate in certificate chain)/,
	'default: the detail says why');

# with ca_file: accepted
psql_ok($db, "ALTER SERVER ma OPTIONS (ADD ca_file '$dir/ca.pem')");
is(psql_ok($db, $q), $n_cat, 'ca_file: accepted, the rows of tag "cat"');

# a certificate from the trusted CA, but for another host name
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$other_url')");
$err = psql_fails($db, $q);
like($err, qr/could not connect to ModelArts endpoint "\Q$other_url\E"/, 'host name mismatch: refused');
like($err, qr/DETAIL:  .*(no alternative certificate subject name matches|does not match).*127\.0\.0\.1/,
	'host name mismatch: the detail says so');

# a CA file that is not there
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$good_url', SET ca_file '$dir/missing.pem')");
$err = psql_fails($db, $q);
like($err, qr/could not connect to ModelArts endpoint .*: Problem with the SSL CA cert/, 'missing ca_file: a clear error');

# ssl_verify false: a superuser's decision
psql_ok($db, "ALTER SERVER ma OPTIONS (DROP ca_file, ADD ssl_verify 'false')");
is(psql_ok($db, $q), $n_cat, 'ssl_verify false (superuser): accepted without the CA');
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint '$other_url')");
is(psql_ok($db, $q), $n_cat, 'ssl_verify false: host name not checked either');
like(psql_fails($db, "ALTER SERVER ma OPTIONS (SET ssl_verify 'maybe')"),
	qr/ssl_verify.*requires a Boolean value/, 'ssl_verify: not a Boolean refused');

# a non-superuser may not turn verification off, on a new server or an old one
psql_ok($db, "DROP ROLE IF EXISTS tls_user; CREATE ROLE tls_user LOGIN;
GRANT USAGE ON FOREIGN DATA WRAPPER modelarts_fdw TO tls_user;
GRANT CREATE ON SCHEMA public TO tls_user;");
$err = psql_fails($db, "CREATE SERVER mine FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$good_url', project_id '" . project_id() . "', ssl_verify 'false')", user => 'tls_user');
like($err, qr/ERROR:  42501: permission denied to set option "ssl_verify" to false/, 'non-superuser: CREATE SERVER with ssl_verify false refused');
# nor name a file for the server to read (ca_file is a superuser's option)
like(psql_fails($db, "CREATE SERVER mine FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$good_url', project_id '" . project_id() . "', ca_file '$dir/ca.pem')", user => 'tls_user'),
	qr/ERROR:  42501: permission denied to set option "ca_file"/, 'non-superuser: CREATE SERVER with ca_file refused');
psql_ok($db, "CREATE SERVER mine FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$good_url', project_id '" . project_id() . "')", user => 'tls_user');
like(psql_fails($db, "ALTER SERVER mine OPTIONS (ADD ssl_verify 'off')", user => 'tls_user'),
	qr/permission denied to set option "ssl_verify" to false/, 'non-superuser: ALTER SERVER to ssl_verify off refused');
psql_ok($db, "ALTER SERVER mine OPTIONS (ADD ssl_verify 'true')", user => 'tls_user');
like(psql_fails($db, "ALTER SERVER mine OPTIONS (ADD ca_file '$dir/ca.pem')", user => 'tls_user'),
	qr/permission denied to set option "ca_file"/, 'non-superuser: ALTER SERVER to add ca_file refused');
# the superuser sets it on the user's server
psql_ok($db, "ALTER SERVER mine OPTIONS (ADD ca_file '$dir/ca.pem')");
psql_ok($db, "CREATE USER MAPPING FOR tls_user SERVER mine OPTIONS (auth_token 'tls-user-token-1b7e');" . fdw_table('mine_images', 'mine'), user => 'tls_user');
record_secret('tls-user-token-1b7e');
# this emulator answers without credentials: the check that the endpoint
# demands them, made over the same TLS settings, refuses the scan ...
like(psql_fails($db, "SELECT count(*) FROM mine_images WHERE data_annotation_id = 282 AND tag_name = 'cat'", user => 'tls_user'),
	qr/ModelArts endpoint "\Q$good_url\E" does not require credentials/,
	'non-superuser: an endpoint that answers without credentials is refused (checked over TLS with ca_file)');
# ... unless a superuser waives it for that mapping
psql_ok($db, "ALTER USER MAPPING FOR tls_user SERVER mine OPTIONS (ADD password_required 'false')");
is(psql_ok($db, "SELECT count(*) FROM mine_images WHERE data_annotation_id = 282 AND tag_name = 'cat'", user => 'tls_user'),
	$n_cat, 'non-superuser: own server, ca_file set by a superuser, own credentials: accepted');

psql_ok($db, "DROP OWNED BY tls_user; DROP ROLE tls_user");
stop_emu($_) for $good, $other;
drop_db($db);
done_testing();
