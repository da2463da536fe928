# A tiny HTTP/1.1 keep-alive server for the images call that sends MORE than
# it should: after the correct answer for a "poisoned" job it sends bytes
# beyond Content-Length that are themselves a complete, well-formed 200
# answer for ANOTHER job, so that a client reusing the connection naively
# takes them as the answer to its next request.
#
# It is a modulino.  As a script:
#
#   perl test/t/lib/OverlongServer.pm --port 0 --log FILE \
#       --job 7001:250 --job 7002:170 --poison 7001=7002 [--mode same|late]
#       [--late-ms 50] [--wrong 7005=7006]
#
# prints its port alone on the first line of stdout (pick one with --port 0)
# and serves until SIGTERM, one forked process per connection.
#
#   --job ID:N        a job with N images (repeatable); other jobs are 404
#   --poison ID=OTHER after each answer for job ID, OTHER's answer to the
#                     same query string (repeatable)
#   --mode same       the extra answer goes in the same write() as the real
#                     one (the client gets both in one read)
#   --mode late       the extra answer is written --late-ms later (50), on
#                     its own, while the client may have sent its next request
#   --wrong ID=OTHER  every answer for job ID is OTHER's answer (its
#                     "project_id" is OTHER): a server that persistently
#                     answers for the wrong job
#   --log FILE        appended, one line per request: "CONN REQUEST-LINE",
#                     CONN numbering the connections accepted from 1
#   --exit-with-parent  exit when the process that started it is gone (a
#                     test that died), checked every second
#
# Every image of job J is {image_id, image_name, tags: ["t1"]}; image_id is
# md5_hex("overlong:J:i") for i in 1..N, and the images are served in
# image_id order.  tag_name absent or "t1" selects them all; "__none__" and
# any other tag select none.  per_page (1..100) and page (>= 1) are required
# as in the contract; a page past the end is empty.
#
# From a test (use lib "$FindBin::Bin/lib"):
#
#   my $srv = overlong_start(jobs => { 7001 => 250, 7002 => 170 },
#                            poison => { 7001 => 7002 }, mode => 'late');
#   ... $srv->{base}, $srv->{port}, overlong_log($srv) ...
#   my @ids = overlong_ids(7001, 250);     # what job 7001 really has, sorted
#   overlong_stop($srv);
package OverlongServer;

use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Exporter 'import';
use File::Spec;
use Getopt::Long qw(GetOptionsFromArray);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(overlong_start overlong_stop overlong_ids overlong_log);

my $SELF = File::Spec->rel2abs(__FILE__);

# overlong_ids($job, $n): the image_ids of job $job with $n images, in the
# order served (ascending).
sub overlong_ids {
	my ($job, $n) = @_;
	return sort map { md5_hex("overlong:$job:$_") } 1 .. $n;
}

# ---- the server ----

sub json_str {
	my ($s) = @_;
	$s =~ s/(["\\])/\\$1/g;
	return "\"$s\"";
}

sub body_for {
	my ($o, $job, $query) = @_;
	my %q;
	for my $kv (split /&/, $query // '') {
		my ($k, $v) = split /=/, $kv, 2;
		$v //= '';
		$v =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
		$q{$k} = $v;
	}
	for my $p (qw(per_page page)) {
		return (400, qq({"is_success":false,"error_code":"ModelArts.0104","error_msg":"$p is required"}))
		  unless defined $q{$p} && $q{$p} =~ /^\d+$/ && $q{$p} >= 1
		  && ($p ne 'per_page' || $q{$p} <= 100);
	}
	my $n = $o->{jobs}{$job};
	return (404, qq({"is_success":false,"error_code":"ModelArts.0102","error_msg":"labeling job \\"$job\\" does not exist"}))
	  unless defined $n;
	my @ids = (!defined $q{tag_name} || $q{tag_name} eq 't1') ? overlong_ids($job, $n) : ();
	my $first = ($q{page} - 1) * $q{per_page};
	my @page = $first < @ids ? @ids[$first .. ($first + $q{per_page} > @ids ? $#ids : $first + $q{per_page} - 1)] : ();
	my %index;
	if (@page) {
		my @all = overlong_ids($job, $n);
		my %inv = map { ($all[$_] => $_ + 1) } 0 .. $#all;
		%index = map { ($_ => $inv{$_}) } @page;
	}
	my $images = join(',', map {
		'{"image_id":' . json_str($_) . ',"image_name":' . json_str("IMG_${job}_$index{$_}.jpg")
		  . ',"tags":["t1"]}' } @page);
	return (200, qq({"is_success":true,"project_id":$job,"project_name":"overlong-$job",)
		. qq("project_desc":"","project_type":0,"create_time":1565000000000,"version_num":0,)
		. qq("data_path":"/overlong/$job/","versions":[],"image_count":) . scalar(@ids)
		. qq(,"images":[$images]}));
}

sub http_answer {
	my ($status, $body) = @_;
	my %reason = (200 => 'OK', 400 => 'Bad Request', 404 => 'Not Found');
	return "HTTP/1.1 $status $reason{$status}\r\nContent-Type: application/json\r\n"
	  . "Content-Length: " . length($body) . "\r\n\r\n$body";
}

sub write_all {
	my ($c, $data) = @_;
	while (length $data) {
		my $n = syswrite($c, $data);
		return 0 unless defined $n && $n > 0;
		substr($data, 0, $n) = '';
	}
	return 1;
}

sub log_line {
	my ($o, $line) = @_;
	return unless $o->{log};
	open(my $fh, '>>', $o->{log}) or return;
	syswrite($fh, "$line\n");    # one write: lines of concurrent connections do not mix
	close $fh;
}

sub serve_connection {
	my ($o, $c, $conn_no) = @_;
	my $buf = '';
	while (1) {
		# one request head (GETs have no body; a body is read and ignored)
		while ($buf !~ /\r\n\r\n/) {
			my $n = sysread($c, my $chunk, 65536);
			return if !$n;
			$buf .= $chunk;
		}
		my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
		$buf = $rest;
		if ($head =~ /^Content-Length:\s*(\d+)/mi) {
			my $want = $1;
			while (length($buf) < $want) {
				my $n = sysread($c, my $chunk, 65536);
				return if !$n;
				$buf .= $chunk;
			}
			substr($buf, 0, $want) = '';
		}
		my ($line) = split /\r\n/, $head, 2;
		log_line($o, "$conn_no $line");
		my ($method, $target) = split / /, $line;
		my $close = $head =~ /^Connection:\s*close/mi;
		my ($status, $body, $extra) = (404,
			'{"is_success":false,"error_code":"APIG.0101","error_msg":"the API does not exist"}');
		if ($method eq 'GET' && $target =~ m{^/v1/[^/?]+/data-annotations/(\d+)/images(?:\?(.*))?$}) {
			my ($job, $query) = ($1, $2);
			($status, $body) = body_for($o, $o->{wrong}{$job} // $job, $query);
			if (defined(my $other = $o->{poison}{$job})) {
				$extra = http_answer(body_for($o, $other, $query));
			}
		}
		my $answer = http_answer($status, $body);
		if (defined $extra && $o->{mode} eq 'same') {
			return unless write_all($c, $answer . $extra);
		}
		else {
			return unless write_all($c, $answer);
			if (defined $extra) {
				sleep($o->{late_ms} / 1000);
				return unless write_all($c, $extra);
			}
		}
		return if $close;
	}
}

sub main {
	my @argv = @_;
	my %o = (port => 0, mode => 'same', late_ms => 50, jobs => {}, poison => {},
		wrong => {});
	my (@jobs, @poison, @wrong);
	my $parent = getppid();
	GetOptionsFromArray(\@argv, 'port=i' => \$o{port}, 'log=s' => \$o{log},
		'exit-with-parent' => \$o{exit_with_parent},
		'mode=s' => \$o{mode}, 'late-ms=i' => \$o{late_ms}, 'job=s' => \@jobs,
		'poison=s' => \@poison, 'wrong=s' => \@wrong)
	  or die "usage: see the head of $SELF\n";
	die "--mode: expected same or late, got \"$o{mode}\"\n" unless $o{mode} =~ /^(same|late)$/;
	for (@jobs) {
		/^(\d+):(\d+)$/ or die "--job: expected ID:N, got \"$_\"\n";
		$o{jobs}{$1} = $2;
	}
	for my $pair ([ \@poison, 'poison' ], [ \@wrong, 'wrong' ]) {
		for (@{ $pair->[0] }) {
			/^(\d+)=(\d+)$/ or die "--$pair->[1]: expected ID=OTHER, got \"$_\"\n";
			$o{ $pair->[1] }{$1} = $2;
		}
	}
	my $l = IO::Socket::INET->new(Listen => 64, LocalAddr => '127.0.0.1',
		LocalPort => $o{port}, Proto => 'tcp', ReuseAddr => 1) or die "listen: $!\n";
	if ($o{log}) { open(my $fh, '>>', $o{log}) or die "$o{log}: $!\n"; close $fh; }
	$| = 1;
	print $l->sockport, "\n";

	$SIG{PIPE} = 'IGNORE';
	my %kids;
	$SIG{CHLD} = sub { while ((my $k = waitpid(-1, WNOHANG)) > 0) { delete $kids{$k}; } };
	my $stop = 0;
	$SIG{TERM} = $SIG{INT} = sub { $stop = 1; };
	my $conn_no = 0;
	my $sel = IO::Select->new($l);
	while (!$stop) {
		if (!$sel->can_read(1)) {
			last if $o{exit_with_parent} && getppid() != $parent;
			next;
		}
		my $c = $l->accept;
		next unless $c;    # interrupted by a signal
		$conn_no++;
		my $pid = fork();
		if (!defined $pid) { close $c; next; }
		if ($pid == 0) {
			$SIG{TERM} = $SIG{INT} = 'DEFAULT';
			$SIG{CHLD} = 'DEFAULT';
			close $l;
			alarm 300;    # a connection left idle that long is dropped
			serve_connection(\%o, $c, $conn_no);
			close $c;
			POSIX::_exit(0);
		}
		$kids{$pid} = 1;
		close $c;
	}
	kill 'TERM', keys %kids;
	return 0;
}

# ---- from a test ----

# overlong_start(jobs => {ID => N}, poison => {ID => OTHER}, wrong => {...},
# mode => 'same'|'late', late_ms => 50, log => FILE): run the server on a
# free port.  Returns { pid, port, base, log }.
sub overlong_start {
	my (%a) = @_;
	my $log = $a{log} // do {
		require File::Temp;
		my (undef, $f) = File::Temp::tempfile('overlong-XXXXXX', TMPDIR => 1, UNLINK => 1);
		$f;
	};
	my @args = ('--port', 0, '--log', $log, '--mode', $a{mode} // 'same', '--exit-with-parent');
	push @args, '--late-ms', $a{late_ms} if defined $a{late_ms};
	push @args, map { ('--job', "$_:$a{jobs}{$_}") } sort keys %{ $a{jobs} || {} };
	push @args, map { ('--poison', "$_=$a{poison}{$_}") } sort keys %{ $a{poison} || {} };
	push @args, map { ('--wrong', "$_=$a{wrong}{$_}") } sort keys %{ $a{wrong} || {} };
	pipe(my $r, my $w) or die "pipe: $!";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		close $r;
		open(STDOUT, '>&', $w) or die;
		exec($^X, $SELF, @args) or die "exec: $!";
	}
	close $w;
	my $line = <$r>;
	die "overlong server did not start\n" unless defined $line && $line =~ /^(\d+)$/;
	my $port = $1;
	return { pid => $pid, port => $port, base => "http://127.0.0.1:$port", log => $log,
		stdout => $r };
}

sub overlong_stop {
	my ($s) = @_;
	return unless $s->{pid};
	kill 'TERM', $s->{pid};
	my $deadline = time + 10;
	while (time < $deadline) {
		return delete $s->{pid} if waitpid($s->{pid}, WNOHANG) == $s->{pid};
		sleep 0.02;
	}
	kill 'KILL', $s->{pid};
	waitpid($s->{pid}, 0);
	delete $s->{pid};
}

# overlong_log($srv): the requests logged so far, as [conn, request line].
sub overlong_log {
	my ($s) = @_;
	open(my $fh, '<', $s->{log}) or return ();
	my @l = map { chomp; [ split / /, $_, 2 ] } <$fh>;
	close $fh;
	return @l;
}

exit(main(@ARGV)) unless caller;

1;
