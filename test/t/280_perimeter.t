# The security perimeter, tried as an ordinary role with USAGE on the
# wrapper would: where the backend may connect (modelarts_fdw.allowed_endpoints,
# PostgreSQL's own port, a Unix socket behind a proxy), that no credential
# is in a catalog another role can read, that a server echoing the request's
# headers into its error gets neither the token nor the AK/SK signature
# into the error, the server log or EXPLAIN, that a non-superuser's
# credentials must be demanded by the endpoint (password_required), and
# that transport failures say what happened.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use IO::Socket::INET;
use IPC::Run ();
use MIME::Base64 ();
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Test::More;

my $P = project_id();
my (@scripted, @emus);
my $main_pid = $$;
my $TOKEN = 'Sec-Perim-Token-5c0b7e2a91d4';
my $SK = 'Sec-Perim-SK-3f9a1c7d';
my $AK = 'AKPERIMTEST000000001';
my $PROXY_PW = 'Sec-Perim-ProxyPw-77e1';
record_secret($TOKEN, $SK, $PROXY_PW);

sub slurp { my $f = shift; open(my $fh, '<:raw', $f) or return ''; local $/; my $c = <$fh>; close $fh; $c // '' }
sub log_size { -s server_log() // 0 }
sub log_since { substr(slurp(server_log()), $_[0]) }

# A scripted HTTP server: one request per connection (or keep-alive for
# "stall"), its behaviour by mode.  Requests without any credential header
# get 401 (so it demands credentials, for password_required).  Every raw
# request is appended to $file.
#   html      502 with an HTML page quoting the raw request
#   json      400, a ModelArts error whose error_msg is the raw request
#   bare      400, error_msg holding the token and signature values alone
#   notjson   200 whose body is the raw request (a JSON parse error)
#   redirect  302 to a URL that carries the token and the signature
#   banner    not HTTP: an SSH banner, then close
#   stall     the first request on a connection: an empty images page;
#             the next one on the same connection: no answer
sub scripted_start {
	my ($mode) = @_;
	my $s = forked_server("scripted.$mode", 16, sub {
		my ($l, $file) = @_;
		$SIG{CHLD} = 'IGNORE';
		while (my $c = $l->accept) {
			my $kid = fork();
			next if !defined $kid;
			if ($kid) { close $c; next; }
			if ($mode eq 'banner') {
				print $c "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";
				sleep 1;
				exit 0;
			}
			my $n = 0;
			while (1) {
				my $req = '';
				while ($req !~ /\r\n\r\n/) {
					my $r = sysread($c, my $buf, 65536);
					exit 0 if !$r;
					$req .= $buf;
				}
				$n++;
				record_request($file, $req);
				my ($tok) = $req =~ /^X-Auth-Token: (\S+)\r$/mi;
				my ($sig) = $req =~ /Signature=([0-9a-f]+)/;
				# the authentication headers first, then the whole request
				my $echo = join('', grep { /^(X-Auth-Token|Authorization):/i } split(/(?<=\n)/, $req)) . $req;
				my ($status, $ctype, $body, $extra) = (400, 'application/json', '', '');
				if (!defined $tok && $req !~ /^Authorization:/mi) {
					$status = 401;
					$body = '{"error_code":"ModelArts.0203","error_msg":"no credentials"}';
				}
				elsif ($mode eq 'html') {
					$status = 502;
					$ctype = 'text/html';
					$body = "<html><body><pre>$echo</pre></body></html>";
				}
				elsif ($mode eq 'json') {
					$body = encode_json({ error_code => 'ModelArts.4101', error_msg => "bad request: $echo" });
				}
				elsif ($mode eq 'bare') {
					$body = encode_json({ error_code => 'ModelArts.4101',
						error_msg => 'you sent ' . ($tok // '') . ' and ' . ($sig // '') });
				}
				elsif ($mode eq 'notjson') {
					$status = 200;
					$body = $echo;
				}
				elsif ($mode eq 'redirect') {
					$status = 302;
					$extra = "Location: http://elsewhere.example.com/?t=" . ($tok // '') . "&s=" . ($sig // '') . "\r\n";
				}
				elsif ($mode eq 'stall') {
					if ($n > 1) { sleep 30; exit 0; }
					$status = 200;
					$body = '{"is_success":true,"project_id":282,"project_name":"p","image_count":0,"images":[]}';
				}
				my %reason = (200 => 'OK', 302 => 'Found', 400 => 'Bad Request', 401 => 'Unauthorized', 502 => 'Bad Gateway');
				print $c "HTTP/1.1 $status $reason{$status}\r\nContent-Type: $ctype\r\n$extra"
				  . "Content-Length: " . length($body) . "\r\n"
				  . ($mode eq 'stall' ? '' : "Connection: close\r\n") . "\r\n$body";
				last unless $mode eq 'stall';
			}
			exit 0;
		}
	});
	$s->{base} = "http://127.0.0.1:$s->{port}";
	push @scripted, $s;
	return $s;
}

sub scripted_stop { forked_server_stop(@_) }

# a test that dies half-way leaves no server behind (in this process only:
# the servers' forked children run END blocks too when they exit)
END { if ($$ == $main_pid) { scripted_stop($_) for @scripted; stop_emu($_) for @emus; } }

# a port where nothing listens
sub closed_port {
	my $l = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die;
	my $port = $l->sockport;
	close $l;
	return $port;
}

my $db = fdw_db('tap_perimeter');
my $crashes = backend_crashes();
my $u = 'perim_user';
my $o = 'perim_other';
psql_ok($db, "DROP ROLE IF EXISTS $u; DROP ROLE IF EXISTS $o;
CREATE ROLE $u LOGIN; CREATE ROLE $o LOGIN;
GRANT USAGE ON FOREIGN DATA WRAPPER modelarts_fdw TO $u, $o;
GRANT CREATE ON SCHEMA public TO $u;");

my $emu_auth = start_emu('--data', sample_file(), '--auth', 'token', '--user', 'perim',
	'--password', 'Sec-Perim-IamPw-4d2e', '--domain', 'acme',
	'--access-log', tmpdir() . '/perim-auth.log');
record_secret('Sec-Perim-IamPw-4d2e');
my $res = iam_token($emu_auth, 'perim', 'Sec-Perim-IamPw-4d2e', 'acme');
my $emu_token = $res->{headers}{'x-subject-token'};
record_secret($emu_token);
my $emu_open = start_emu('--data', sample_file(), '--access-log', tmpdir() . '/perim-open.log');
@emus = ($emu_auth, $emu_open);

my $pgport = $ENV{PGPORT};
my $n_cat = scalar @{ expected_ids((grep { $_->{project_id} == 282 } @{ load_sample()->{jobs} })[0], 'cat') };
my $q = "SELECT count(*) FROM %s WHERE data_annotation_id = 282 AND tag_name = 'cat'";

# ---- where the backend may connect ----
my $allowed = "$emu_auth->{base}, $emu_open->{base}";
psql_ok($db, "ALTER DATABASE tap_perimeter SET modelarts_fdw.allowed_endpoints = '$allowed'");
# use_remote_estimate off: the requests counted below are the scans' own
my $srv = sub { "CREATE SERVER $_[0] FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$_[1]', project_id '$P', use_remote_estimate 'false'" . ($_[2] // '') . ")" };

my $lsz = log_size();
my $err = psql_fails($db, $srv->('pgport', "http://127.0.0.1:$pgport"), user => $u);
like($err, qr/ERROR:  42501: value of option "endpoint" is not allowed: "http:\/\/127\.0\.0\.1:$pgport"/,
	'PostgreSQL\'s own port: refused at CREATE SERVER');
like(psql_fails($db, $srv->('other', "http://127.0.0.1:" . closed_port()), user => $u),
	qr/value of option "endpoint" is not allowed/, 'another port of an allowed host: refused');
like(psql_fails($db, $srv->('other', "http://localhost:$emu_open->{port}"), user => $u),
	qr/value of option "endpoint" is not allowed/, 'the same port under another host name: refused');
like(psql_fails($db, $srv->('other', "$emu_open->{base}.evil.example.org"), user => $u),
	qr/value of option "endpoint" is not allowed|invalid value for option "endpoint"/,
	'a string prefix of an allowed URL is not a match');
like(psql_fails($db, $srv->('other', $emu_open->{base}, ", iam_endpoint 'http://169.254.169.254'"), user => $u),
	qr/value of option "iam_endpoint" is not allowed/, 'an iam_endpoint outside the list: refused');
like(psql_fails($db, $srv->('other', $emu_open->{base}, ", proxy 'socks5h://localhost$ENV{PGHOST}/.s.PGSQL.$pgport'"), user => $u),
	qr/invalid value for option "proxy".*\n.*DETAIL:  A proxy URL has no path: a proxy on a Unix socket is not supported/,
	'a proxy on a Unix socket (PostgreSQL\'s own): refused');
like(psql_fails($db, $srv->('other', $emu_open->{base}, ", proxy 'http://127.0.0.1:$pgport'"), user => $u),
	qr/value of option "proxy" is not allowed/, 'a proxy outside the list: refused');
$err = psql_fails($db, $srv->('other', $emu_open->{base}, ", proxy 'http://pu:$PROXY_PW\@127.0.0.1:3128'"), user => $u);
like($err, qr/Credentials do not belong in the URL; use the user mapping options proxy_user and proxy_password/,
	'a proxy URL with credentials: refused');
unlike(log_since($lsz), qr/invalid length of startup packet|incomplete startup packet/,
	'PostgreSQL\'s own port never got a request');

# a server made before the list changed: refused when used
psql_ok($db, "SET modelarts_fdw.allowed_endpoints = ''; " . $srv->('old_pg', "http://127.0.0.1:$pgport") . ";
GRANT USAGE ON FOREIGN SERVER old_pg TO $u;");
psql_ok($db, "CREATE USER MAPPING FOR $u SERVER old_pg OPTIONS (auth_token '$TOKEN');" . fdw_table('old_pg_images', 'old_pg'), user => $u);
$lsz = log_size();
like(psql_fails($db, sprintf($q, 'old_pg_images'), user => $u),
	qr/ERROR:  42501: option "endpoint" of server "old_pg" is not allowed: "http:\/\/127\.0\.0\.1:$pgport"/,
	'a server made before the list: refused when used');
unlike(log_since($lsz), qr/invalid length of startup packet|incomplete startup packet/,
	'... before any connection to PostgreSQL\'s port');
# the list is not the user's to change: set before the library is loaded,
# the value is dropped when it loads; after, SET is refused
$err = psql_fails($db, "SET modelarts_fdw.allowed_endpoints = ''; " . sprintf($q, 'old_pg_images'), user => $u);
like($err, qr/WARNING:  42501: permission denied to set parameter "modelarts_fdw.allowed_endpoints"/,
	'a user\'s SET before the library loads: dropped with a warning');
like($err, qr/option "endpoint" of server "old_pg" is not allowed/, '... and the list still holds');
like(psql_fails($db, "EXPLAIN SELECT * FROM old_pg_images WHERE data_annotation_id = 282; SET modelarts_fdw.allowed_endpoints = ''", user => $u),
	qr/ERROR:  42501: permission denied to set parameter "modelarts_fdw.allowed_endpoints"/,
	'a user\'s SET once the library is loaded: refused');

# ---- the user's own server, inside the list ----
psql_ok($db, $srv->('mine', $emu_auth->{base}) . ";
CREATE USER MAPPING FOR $u SERVER mine OPTIONS (auth_token '$emu_token');
" . fdw_table('mine_images', 'mine') . "GRANT USAGE ON FOREIGN SERVER mine TO $o;", user => $u);
is(psql_ok($db, sprintf($q, 'mine_images'), user => $u), $n_cat,
	'an allowed endpoint that demands the token: the scan reads');

# ---- no credential in a catalog another role can read ----
psql_ok($db, $srv->('viaproxy', $emu_open->{base}, ", proxy '$emu_open->{base}'") . ";
CREATE USER MAPPING FOR $u SERVER viaproxy OPTIONS (auth_token '$TOKEN', proxy_user 'pu', proxy_password '$PROXY_PW');",
	user => $u);
my $seen = psql_ok($db, "SELECT concat_ws(' ',
  (SELECT string_agg(srvoptions::text, ' ') FROM pg_foreign_server),
  (SELECT string_agg(coalesce(umoptions::text, ''), ' ') FROM pg_user_mappings),
  (SELECT string_agg(ftoptions::text, ' ') FROM pg_foreign_table),
  (SELECT string_agg(coalesce(fdwoptions::text, ''), ' ') FROM pg_foreign_data_wrapper),
  (SELECT string_agg(option_value, ' ') FROM information_schema.user_mapping_options),
  (SELECT string_agg(option_value, ' ') FROM information_schema.foreign_server_options),
  (SELECT string_agg(coalesce(query, ''), ' ') FROM pg_stat_activity))", user => $o);
like($seen, qr/\Q$emu_open->{base}\E/, 'another role reads the server options (the test reads the right thing)');
unlike($seen, qr/\Q$TOKEN\E|\Q$PROXY_PW\E|\Q$emu_token\E/, 'another role: no token, no proxy password in any catalog');
like(psql_fails($db, "SELECT umoptions FROM pg_user_mapping", user => $o), qr/permission denied/,
	'another role: pg_user_mapping itself is not readable');

# ---- password_required: the endpoint must demand the credential ----
psql_ok($db, $srv->('open', $emu_open->{base}) . ";
CREATE USER MAPPING FOR $u SERVER open OPTIONS (auth_token 'junk');
" . fdw_table('open_images', 'open'), user => $u);
$err = psql_fails($db, sprintf($q, 'open_images'), user => $u);
like($err, qr/ERROR:  2F003: ModelArts endpoint "\Q$emu_open->{base}\E" does not require credentials/,
	'an endpoint that answers without credentials: refused for a non-superuser');
like($err, qr/DETAIL:  A request without credentials was answered with HTTP 200, not 401 or 403\./, '... saying what it answered');
my @open_log = access_log_lines(tmpdir() . '/perim-open.log');
is(scalar(@open_log), 1, 'one request: the check, and none with the credential');
like($open_log[0] // '', qr{^GET /v1/$P/annotation-jobs\?offset=1&limit=1 200$}, '... the check is one job of the jobs listing, without credentials');
like(psql_fails($db, "ALTER USER MAPPING FOR $u SERVER open OPTIONS (ADD password_required 'false')", user => $u),
	qr/permission denied to set option "password_required" to false/, 'the user may not waive it');
psql_ok($db, "ALTER USER MAPPING FOR $u SERVER open OPTIONS (ADD password_required 'false')");
is(psql_ok($db, sprintf($q, 'open_images'), user => $u), $n_cat, 'a superuser may waive it for the mapping');

# the check costs one request per connection, answered 401 by an endpoint
# that demands the token
{
	my $log = tmpdir() . '/perim-auth.log';
	my $before = scalar(access_log_lines($log));
	my $s = session_open($db, user => $u);
	my ($out1) = session_run($s, sprintf($q, 'mine_images'));
	my ($out2) = session_run($s, sprintf($q, 'mine_images'));
	session_close($s);
	is("$out1 $out2", "$n_cat $n_cat", 'two scans in one session read');
	my @l = (access_log_lines($log))[$before .. scalar(access_log_lines($log)) - 1];
	is(scalar(grep { m{^GET /v1/$P/annotation-jobs\?offset=1&limit=1 401$} } @l), 1,
		'one check for the connection, answered 401, then the scans: ' . join(' | ', @l));
}

# ---- a server that echoes the request into its error ----
# (psql run directly: the redacted header names, "X-Auth-Token: [redacted]",
# are not for the shared transcripts that 160_secrets.t searches)
sub psql_quiet {
	my ($sql, $user) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-d', $db, '-U', $user ],
		\$sql, \$out, \$err, IPC::Run::timeout(120));
	return ($? >> 8, $out, $err);
}
psql_ok($db, "ALTER DATABASE tap_perimeter RESET modelarts_fdw.allowed_endpoints;
ALTER SERVER mine OPTIONS (ADD max_retries '0')");
my %hits;
for my $mode (qw(html json bare notjson redirect)) {
	my $s = scripted_start($mode);
	for my $auth ('token', 'aksk') {
		my $um = $auth eq 'token' ? "auth_token '$TOKEN'" : "access_key '$AK', secret_key '$SK'";
		psql_ok($db, "ALTER SERVER mine OPTIONS (SET endpoint '$s->{base}')");
		psql_ok($db, "DROP USER MAPPING FOR $u SERVER mine; CREATE USER MAPPING FOR $u SERVER mine OPTIONS ($um)", user => $u);
		$lsz = log_size();
		my ($rc, $out, $e1) = psql_quiet("SET client_min_messages = debug1; " . sprintf($q, 'mine_images'), $u);
		my ($rc2, $out2, $e2) = psql_quiet("EXPLAIN (ANALYZE, VERBOSE, COSTS OFF) " . sprintf($q, 'mine_images'), $u);
		my ($rc3, $out3, $e3) = psql_quiet("EXPLAIN (VERBOSE, COSTS OFF) " . sprintf($q, 'mine_images'), $u);
		my $text = "$out $e1 $out2 $e2 $out3 $e3";
		my $log = log_since($lsz);
		my @reqs = split(/^=====\n/m, slurp($s->{file}));
		my ($sig) = slurp($s->{file}) =~ /Signature=([0-9a-f]{64})/;
		my @secrets = $auth eq 'token' ? ($TOKEN) : ($SK, $sig // 'no-signature-seen');
		ok($rc != 0 && $rc2 != 0, "$mode/$auth: the scan and EXPLAIN ANALYZE fail")
		  or diag("scan: $rc $out $e1\nexplain: $rc2 $out2 $e2");
		ok(grep({ $auth eq 'token' ? /\Q$TOKEN\E/ : /Signature=[0-9a-f]{64}/ } @reqs),
			"$mode/$auth: the server got the credential (and echoed it)");
		$hits{"$mode/$auth"} = ($text =~ /\[redacted\]/) ? 1 : 0;
		for my $sec (@secrets) {
			unlike($text, qr/\Q$sec\E/, "$mode/$auth: not in the error nor EXPLAIN");
			unlike($log, qr/\Q$sec\E/, "$mode/$auth: not in the server log");
		}
		unlike("$text $log", qr/Signature=[0-9a-f]|X-Auth-Token:\s*[^\s\[]|Authorization:\s*SDK/i,
			"$mode/$auth: no authentication header value anywhere");
	}
	scripted_stop($s);
}
# where the body is quoted, the echo was there and was cut out
is_deeply([ grep { !$hits{$_} } sort keys %hits ],
	[], 'each quoting path showed the echo with "[redacted]" in its place');

# ---- proxy credentials come from the user mapping ----
{
	my $page = '{"is_success":true,"project_id":282,"project_name":"p","image_count":0,"images":[]}';
	my $px = capture_start(
		"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " . length($page) . "\r\n\r\n$page");
	psql_ok($db, "ALTER SERVER mine OPTIONS (SET endpoint 'http://modelarts.invalid', ADD proxy 'http://127.0.0.1:$px->{port}')");
	psql_ok($db, "DROP USER MAPPING FOR $u SERVER mine; CREATE USER MAPPING FOR $u SERVER mine OPTIONS (auth_token '$TOKEN', proxy_user 'pu', proxy_password '$PROXY_PW')", user => $u);
	is(psql_ok($db, sprintf($q, 'mine_images'), user => $u), '0', 'through the proxy: the check (401), then the page');
	my @r = capture_requests($px);
	my $basic = 'Basic ' . MIME::Base64::encode_base64("pu:$PROXY_PW", '');
	is(scalar(@r), 2, 'proxy: two requests went through it');
	is(scalar(grep { /^GET http:\/\/modelarts\.invalid\/v1\// && /^Proxy-Authorization: \Q$basic\E\r$/m } @r), 2,
		'proxy: each in proxy form, with proxy_user and proxy_password as Basic credentials');
	capture_stop($px);
	psql_ok($db, "ALTER SERVER mine OPTIONS (DROP proxy)");
}

# ---- transport failures say what happened ----
psql_ok($db, "ALTER USER MAPPING FOR $u SERVER mine OPTIONS (ADD password_required 'false')");
my $ban = scripted_start('banner');
psql_ok($db, "ALTER SERVER mine OPTIONS (SET endpoint '$ban->{base}')");
$err = psql_fails($db, sprintf($q, 'mine_images'), user => $u);
like($err, qr/ERROR:  HV000: ModelArts endpoint "\Q$ban->{base}\E" did not answer in HTTP/, 'a reply that is not HTTP: said so');
unlike($err, qr/SSH-2\.0|OpenSSH/, '... without quoting what came back');
scripted_stop($ban);

my $cp = closed_port();
psql_ok($db, "ALTER SERVER mine OPTIONS (SET endpoint 'http://127.0.0.1:$cp')");
like(psql_fails($db, sprintf($q, 'mine_images'), user => $u),
	qr/ERROR:  HV00N: could not connect to ModelArts endpoint "http:\/\/127\.0\.0\.1:$cp": connection refused/,
	'a refused connection: said so');

my $st = scripted_start('stall');
psql_ok($db, "ALTER SERVER mine OPTIONS (SET endpoint '$st->{base}', ADD request_timeout '1')");
{
	my $s = session_open($db, user => $u);
	my ($out1, $e1) = session_run($s, sprintf($q, 'mine_images'));
	my ($out2, $e2) = session_run($s, sprintf($q, 'mine_images'));
	session_close($s);
	is($out1, '0', 'stall: the first request answers');
	like($e2, qr/ERROR:  HV000: ModelArts endpoint "\Q$st->{base}\E" did not answer within request_timeout \(1000 ms\)/,
		'a read timeout on a kept-alive connection: names request_timeout, not the connect');
	my @reqs = grep { length } split(/^=====\n/m, slurp($st->{file}));
	is(scalar(@reqs), 2, 'stall: two requests, the second on the kept-alive connection');
}
scripted_stop($st);

is(backend_crashes(), $crashes, 'no backend crashed');
psql_ok($db, "ALTER DATABASE tap_perimeter RESET modelarts_fdw.allowed_endpoints");
stop_emu($_) for $emu_auth, $emu_open;
drop_db($db);
psql_ok('postgres', "DROP ROLE IF EXISTS $u; DROP ROLE IF EXISTS $o");
done_testing();
