# Helpers for the emulator's TAP tests: start/stop an emulator on a free
# port, HTTP requests (keep-alive HTTP::Tiny, and raw sockets for the faults
# that break HTTP), and the sample dataset as an independent oracle.
package EmulatorTest;

use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use IPC::Run qw(run timeout);
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Test::More ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(emu_bin top_dir sample_file project_id start_emu stop_emu
  run_emu_fail http_get http_req get_json raw_http tmpdir json_decode
  iam_token load_sample expected_ids);

binmode(Test::More->builder->$_, ':encoding(UTF-8)') for qw(output failure_output todo_output);

my $TOP = File::Spec->rel2abs(dirname(__FILE__) . '/../../..');
sub top_dir     { $TOP }
sub emu_bin     { "$TOP/test/emulator/modelarts-emulator" }
sub sample_file { "$TOP/test/data/sample.json" }
sub project_id  { '0f1e2d3c4b5a69788796a5b4c3d2e1f0' }

my $TMP = tempdir('emulator-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);
sub tmpdir { $TMP }

my $JSON = JSON::PP->new->utf8->canonical;
sub json_decode { $JSON->decode($_[0]) }

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 30);

# start_emu(@args): run the emulator with --port 0, wait for the port line.
# Returns a hash: pid, port, base (http://127.0.0.1:PORT), stderr (file).
my $n_started = 0;
sub start_emu {
	my @args = @_;
	die "emulator not built: " . emu_bin() . "\n" unless -x emu_bin();
	my $stderr = "$TMP/stderr." . ++$n_started;
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		close $r;
		open(STDOUT, '>&', $w) or die;
		open(STDERR, '>', $stderr) or die;
		exec(emu_bin(), '--port', '0', @args) or die "exec: $!";
	}
	close $w;
	my $line;
	eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm 60;
		$line = <$r>;
		alarm 0;
	};
	alarm 0;
	if (!defined $line || $line !~ /^(\d+)\n\z/) {
		waitpid($pid, 0);
		my $err = do { local (@ARGV, $/) = ($stderr); <> } // '';
		die "emulator did not start (status $?): $err";
	}
	my $port = $1;
	return { pid => $pid, port => $port, base => "http://127.0.0.1:$port",
		stderr => $stderr, stdout => $r };
}

# stop_emu($emu[, $signal]): signal it (TERM) and return its wait status.
sub stop_emu {
	my ($emu, $sig) = @_;
	return undef unless $emu->{pid};
	kill($sig // 'TERM', $emu->{pid});
	my $deadline = time + 30;
	while (time < $deadline) {
		my $w = waitpid($emu->{pid}, WNOHANG);
		if ($w == $emu->{pid}) {
			my $st = $?;
			delete $emu->{pid};
			return $st;
		}
		sleep 0.02;
	}
	kill 'KILL', $emu->{pid};
	waitpid($emu->{pid}, 0);
	delete $emu->{pid};
	return -1;
}

# run_emu_fail(@args): run an emulator expected to refuse its input.
# Returns (exit status, stdout, stderr).
sub run_emu_fail {
	my @args = @_;
	my ($out, $err) = ('', '');
	run([emu_bin(), '--port', '0', @args], \undef, \$out, \$err, timeout(30));
	return ($? >> 8, $out, $err);
}

sub http_req {
	my ($method, $url, $opts) = @_;
	return $http->request($method, $url, $opts || {});
}

sub http_get { http_req('GET', @_) }

# iam_token($emu, $user, $password, $domain): POST /v3/auth/tokens of the
# emulator's IAM (password identity, scoped to the project); returns the
# response (a token in $res->{headers}{'x-subject-token'}, status 201).
sub iam_token {
	my ($emu, $user, $password, $domain) = @_;
	return http_req('POST', "$emu->{base}/v3/auth/tokens", {
		headers => { 'Content-Type' => 'application/json' },
		content => encode_json({ auth => {
			identity => { methods => ['password'], password => { user => {
				name => $user, password => $password, domain => { name => $domain } } } },
			scope => { project => { id => project_id() } } } }) });
}

# get_json($url[, headers]): GET, decode the body; returns ($status, $data, $res).
sub get_json {
	my ($url, $headers) = @_;
	my $res = http_get($url, { headers => $headers || {} });
	my $data = eval { $JSON->decode($res->{content}) };
	return ($res->{status}, $data, $res);
}

# raw_http($port, $request_text[, $timeout]): send bytes on a new
# connection and read until the server closes it (or timeout).  Returns
# (bytes read, elapsed seconds).
sub raw_http {
	my ($port, $req, $tmo) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
		Proto => 'tcp') or die "connect: $!";
	my $t0 = time;
	print $s $req;
	my $buf = '';
	eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm($tmo || 20);
		while (1) {
			my $n = sysread($s, my $chunk, 65536);
			last if !$n;
			$buf .= $chunk;
		}
		alarm 0;
	};
	alarm 0;
	close $s;
	return ($buf, time - $t0);
}

my $sample;
sub load_sample {
	return $sample if $sample;
	open(my $fh, '<:raw', sample_file()) or die $!;
	local $/;
	$sample = $JSON->decode(<$fh>);
	return $sample;
}

# expected_ids($job, $tag_name_or_undef): the image_ids the contract says a
# filter selects, computed from the data file, in image_id order.
sub expected_ids {
	my ($job, $tag) = @_;
	my @sel;
	for my $img (@{ $job->{images} }) {
		my @tags = map { ref $_ ? $_->{tag} : $_ } @{ $img->{tags} || [] };
		my $keep = !defined $tag ? @tags > 0
		  : $tag eq '__none__' ? @tags == 0
		  : scalar grep { $_ eq $tag } @tags;
		push @sel, $img->{image_id} if $keep;
	}
	return [ sort @sel ];
}

1;
