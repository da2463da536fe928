# Helpers for the TAP tests that run modelarts_fdw in PostgreSQL: a database
# of the test's own, psql calls, emulator access logs, and a record of every
# psql output and every secret used, which 160_secrets.t searches afterwards.
#
# The cluster is the one test/run-tests.sh started (PGHOST, PGPORT, PGUSER in
# the environment, PGUSER a superuser); the FDW is installed in it.
package FdwTest;

use strict;
use warnings;
use Exporter 'import';
use File::Path qw(make_path);
use IPC::Run qw(run start pump finish timeout);
use IO::Socket::INET;
use Test::More ();

use EmulatorTest qw(project_id tmpdir);

our @EXPORT = qw(fdw_db drop_db psql psql_ok psql_fails record_secret
  transcript_dir server_log access_log_lines token_requests setup_fdw
  fdw_table session_open session_run session_send session_wait session_close
  capture_start
  capture_stop capture_requests backend_crashes forked_server forked_server_stop
  record_request);

# Where the psql transcripts and secrets of all TAP tests go: next to the
# cluster, so that 160_secrets.t finds them whichever test ran first.
sub transcript_dir {
	my $dir = ($ENV{PGHOST} && -d $ENV{PGHOST} && -w $ENV{PGHOST})
	  ? "$ENV{PGHOST}/tap-transcripts" : tmpdir() . "/tap-transcripts";
	make_path($dir) unless -d $dir;
	return $dir;
}

sub server_log { "$ENV{PGHOST}/server.log" }

sub _append {
	my ($file, $text) = @_;
	utf8::encode($text) if utf8::is_utf8($text);
	open(my $fh, '>>:raw', transcript_dir() . "/$file") or die "$file: $!";
	print $fh $text;
	close $fh;
}

# The SQL sent (which holds the secrets the tests set, of course) goes to
# psql-input.log; what came back, which must hold none, to psql-output.log.
sub _transcript {
	my ($what, $sql, $out, $err) = @_;
	_append('psql-input.log', "---- $what\n$sql\n");
	_append('psql-output.log', "---- $what\n$out\n$err");
}

# record_secret($s): remember a secret that must never show up anywhere.
sub record_secret { _append("secrets.txt", "$_\n") for @_; }

# fdw_db($name): a fresh database with the extension; dropped by drop_db.
sub fdw_db {
	my ($name) = @_;
	run([ 'dropdb', '--if-exists', $name ], \undef, \my $o, \my $e);
	my ($out, $err) = ("", "");
	run([ "createdb", $name ], \undef, \$out, \$err)
	  or die "createdb $name: $err";
	psql_ok($name, 'CREATE EXTENSION modelarts_fdw');
	return $name;
}

sub drop_db {
	my ($name) = @_;
	# the test's own sessions are gone by now; FORCE covers a stray one
	run([ 'psql', '-X', '-q', '-d', 'postgres', '-c',
		qq{DROP DATABASE IF EXISTS "$name" WITH (FORCE)} ], \undef, \my $o, \my $e);
}

# psql($db, $sql[, user => ROLE, timeout => SECONDS]): run the SQL in one
# session (unaligned, tuples only, stop at the first error).  Returns
# (exit status, stdout, stderr).  Everything is appended to the transcript.
sub psql {
	my ($db, $sql, %o) = @_;
	utf8::encode($sql) if utf8::is_utf8($sql);
	my @cmd = ('psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		'-v', 'VERBOSITY=verbose', '-d', $db);
	push @cmd, '-U', $o{user} if $o{user};
	my ($out, $err) = ('', '');
	run(\@cmd, \$sql, \$out, \$err, timeout($o{timeout} // 120));
	my $rc = $? >> 8;
	_transcript("$0 [$db]", $sql, $out, $err);
	chomp $out;
	return ($rc, $out, $err);
}

# psql_ok: the stdout of SQL that must succeed (a failed test otherwise).
sub psql_ok {
	my ($db, $sql, %o) = @_;
	my ($rc, $out, $err) = psql($db, $sql, %o);
	Test::More::diag("psql failed ($rc): $err\nSQL: $sql") if $rc != 0;
	return $out;
}

# psql_fails: the stderr of SQL that must fail ('' and a diag if it did not).
sub psql_fails {
	my ($db, $sql, %o) = @_;
	my ($rc, $out, $err) = psql($db, $sql, %o);
	if ($rc == 0) {
		Test::More::diag("psql unexpectedly succeeded: $out\nSQL: $sql");
		return '';
	}
	return $err;
}

# access_log_lines($file): the emulator's access log, one "METHOD TARGET
# STATUS" per request (byte counts dropped).
sub access_log_lines {
	my ($file) = @_;
	open(my $fh, '<', $file) or return ();
	my @l = map { chomp; s/ \d+$//r } <$fh>;
	close $fh;
	return @l;
}

# token_requests($file): how many POST /v3/auth/tokens the emulator saw.
sub token_requests {
	return scalar grep { m{^POST /v3/auth/tokens } } access_log_lines($_[0]);
}

# setup_fdw($db, endpoint => URL, [server options...]): a server "ma" and a
# foreign table "images" (the columns the tests read).  use_remote_estimate
# is off unless asked for: these tests count the requests of scans and
# place faults on them, and the planner's calls (and the counts pushed to
# tags/stats) would change both.
sub setup_fdw {
	my ($db, %opt) = @_;
	my $P = project_id();
	my %sopt = (project_id => $P, use_remote_estimate => 'false', %opt);
	my $opts = join(', ', map { "$_ '" . ($sopt{$_} =~ s/'/''/gr) . "'" } sort keys %sopt);
	psql_ok($db, <<SQL);
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw OPTIONS ($opts);
@{[ fdw_table('images') ]}
SQL
}

sub fdw_table {
	my ($name, $server) = @_;
	$server //= 'ma';
	return <<SQL;
CREATE FOREIGN TABLE $name (
  data_annotation_id bigint,
  image_id text,
  tag_name text
) SERVER $server OPTIONS (resource 'images');
SQL
}

# An interactive psql session, for what must happen in one backend across
# other events (a token cached, then the emulator restarted; a cancel):
#   my $s = session_open($db);  my ($out, $err) = session_run($s, $sql);
sub session_open {
	my ($db, %o) = @_;
	my @cmd = ('psql', '-X', '-q', '-A', '-t', '-v', 'VERBOSITY=verbose', '-d', $db);
	push @cmd, '-U', $o{user} if $o{user};
	my $s = { in => '', out => '', err => '', db => $db,
		timer => timeout($o{timeout} // 120) };
	$s->{h} = start(\@cmd, \$s->{in}, \$s->{out}, \$s->{err}, $s->{timer});
	return $s;
}

# session_run($s, $sql): run the SQL (complete statements) and wait for it
# to finish; returns (stdout, stderr) of just that SQL.  session_send and
# session_wait are its two halves, for doing something in between.
sub session_run {
	my ($s, $sql) = @_;
	session_send($s, $sql);
	return session_wait($s);
}

sub session_send {
	my ($s, $sql) = @_;
	utf8::encode($sql) if utf8::is_utf8($sql);
	$s->{out} = '';
	$s->{err} = '';
	$s->{sql} = $sql;
	$s->{timer}->start;
	$sql .= ';' unless $sql =~ /;\s*\z/;
	# the marker on both streams: they are read independently
	$s->{in} .= "$sql\n\\echo __SESSION_DONE__\n\\warn __SESSION_DONE__\n";
	$s->{h}->pump_nb;
}

sub session_wait {
	my ($s) = @_;
	pump $s->{h} until $s->{out} =~ /__SESSION_DONE__\n/ && $s->{err} =~ /__SESSION_DONE__\n/;
	my $out = $s->{out} =~ s/__SESSION_DONE__\n//r;
	$s->{err} =~ s/__SESSION_DONE__\n//;
	chomp $out;
	_transcript("$0 [$s->{db}, session]", $s->{sql}, $out, $s->{err});
	return ($out, $s->{err});
}

sub session_close {
	my ($s) = @_;
	$s->{in} .= "\\q\n";
	finish $s->{h};
}

# backend_crashes(): how many times the cluster's server log says a server
# process was terminated by a signal (a crash, which restarts every backend).
# A test takes it at the start and compares at the end, as an error caught
# in a test can hide one.
sub backend_crashes {
	open(my $fh, '<', server_log()) or return 0;
	my $n = grep { /server process \(PID \d+\) was terminated by signal/ } <$fh>;
	close $fh;
	return $n;
}

# forked_server($name, $backlog, $serve): a server on a free port of
# 127.0.0.1: a forked child runs $serve->($listener, $file), then exits;
# $file, tmpdir()/$name.PORT, is created empty for the server to record the
# requests it gets (record_request).  Returns { port, file, pid }.
sub forked_server {
	my ($name, $backlog, $serve) = @_;
	my $l = IO::Socket::INET->new(Listen => $backlog, LocalAddr => '127.0.0.1',
		LocalPort => 0, Proto => 'tcp', ReuseAddr => 1) or die "listen: $!";
	my $file = tmpdir() . "/$name." . $l->sockport;
	open(my $fh, '>', $file) or die; close $fh;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		$serve->($l, $file);
		exit 0;
	}
	my $port = $l->sockport;
	close $l;
	return { port => $port, file => $file, pid => $pid };
}

# forked_server_stop($s): stop a forked_server (once; again does nothing).
sub forked_server_stop {
	my ($s) = @_;
	return unless $s->{pid};
	kill 'TERM', $s->{pid};
	waitpid($s->{pid}, 0);
	delete $s->{pid};
}

# record_request($file, $req): append a raw request to a forked_server's
# record, as capture_requests reads it back.
sub record_request {
	my ($file, $req) = @_;
	open(my $out, '>>:raw', $file) or die;
	print $out "=====\n$req\n";
	close $out;
}

# capture_start(@responses): a one-connection-at-a-time HTTP listener on
# 127.0.0.1 that records every raw request it gets and answers each with the
# next of @responses (complete HTTP answers; "Connection: close" is added;
# the last one repeats).  Returns { port, file, pid }.
sub capture_start {
	my @responses = @_;
	return forked_server('capture', 5, sub {
		my ($l, $file) = @_;
		my $i = 0;
		while (my $c = $l->accept) {
			my $req = '';
			while ($req !~ /\r\n\r\n/) {
				my $n = sysread($c, my $buf, 65536);
				last if !$n;
				$req .= $buf;
			}
			if ($req =~ /^Content-Length:\s*(\d+)/mi) {
				my $want = $1;
				my ($head, $body) = split(/\r\n\r\n/, $req, 2);
				while (length($body) < $want) {
					my $n = sysread($c, my $buf, 65536);
					last if !$n;
					$body .= $buf;
				}
				$req = "$head\r\n\r\n$body";
			}
			record_request($file, $req);
			my $resp = $responses[ $i < @responses ? $i : $#responses ];
			$i++;
			$resp =~ s/\r\n\r\n/\r\nConnection: close\r\n\r\n/;
			print $c $resp;
			close $c;
		}
	});
}

sub capture_stop { forked_server_stop(@_) }

# capture_requests($c): the raw requests recorded so far.
sub capture_requests {
	my ($c) = @_;
	open(my $fh, '<:raw', $c->{file}) or return ();
	local $/;
	my $all = <$fh>;
	close $fh;
	return grep { length } map { s/\n\z//r } split(/^=====\n/m, $all);
}

1;
