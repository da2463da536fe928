# The parse bound: whatever a server sends, the backend's memory stays
# proportional to a normal page.  An answer over 16 MB is refused while it
# arrives; an answer under that whose JSON tree would take more than 64 MB
# (millions of tiny array elements: a node is ~64 bytes, an element 2) is
# refused by the parser's arena.  Both are clear errors, the backend's
# resident memory is back near where it was after them, and the session
# goes on.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Test::More;
use Time::HiRes qw(time sleep);

# an images answer for job 1 with a huge array of tiny elements
sub tiny_elements_answer {
	my ($nbytes) = @_;
	my $head = '{"is_success": true, "project_id": 1, "image_count": 0, "images": [], "x": [';
	my $n = int(($nbytes - length($head) - 2) / 2);
	my $body = $head . ('1,' x ($n - 1)) . '1]}';
	return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
	  . length($body) . "\r\n\r\n" . $body;
}

my $small = '{"is_success": true, "project_id": 1, "image_count": 1, "images": '
  . '[{"image_id": "0123456789abcdef0123456789abcdef", "tags": ["a"]}]}';
my $ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
  . length($small) . "\r\n\r\n" . $small;

my $db = fdw_db('tap_parse_bound');
my $s = session_open($db);
my ($pid) = session_run($s, 'SELECT pg_backend_pid()');
sub rss_mb {
	open(my $fh, '<', "/proc/$pid/status") or return -1;
	while (<$fh>) { return $1 / 1024 if /^VmRSS:\s+(\d+)/ }
	return -1;
}

# 1. a 12 MB answer of 6 million elements: under the answer cap, over the
# tree cap
my $srv = capture_start(tiny_elements_answer(12 * 1024 * 1024), $ok);
setup_fdw($db, endpoint => "http://127.0.0.1:$srv->{port}", max_retries => '0',
	requests_in_flight => '1');
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");
my ($out) = session_run($s, 'SELECT 1');
my $rss0 = rss_mb();
my ($o, $err) = session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 1 AND tag_name IS NOT NULL");
like($err, qr/answer to GET \S+ too large to parse/, 'tiny elements: a clear error');
like($err, qr/more than 64 MB as a JSON tree/, 'tiny elements: the detail names the bound');
my $rss1 = rss_mb();
cmp_ok($rss1, '<', $rss0 + 48, sprintf('tiny elements: resident memory back near where it was (%.1f MB before, %.1f MB after)', $rss0, $rss1));
($o) = session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 1 AND tag_name IS NOT NULL");
is($o, '1', 'the session goes on: the next answer is read');
capture_stop($srv);

# 2. a 20 MB answer: refused while it arrives, past 16 MB
$srv = capture_start(tiny_elements_answer(20 * 1024 * 1024), $ok);
psql_ok($db, "ALTER SERVER ma OPTIONS (SET endpoint 'http://127.0.0.1:$srv->{port}')");
($o, $err) = session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 1 AND tag_name IS NOT NULL");
like($err, qr/exceeds 16777216 bytes/, 'over 16 MB: refused as it arrives');
my $rss2 = rss_mb();
cmp_ok($rss2, '<', $rss0 + 48, sprintf('over 16 MB: resident memory back near where it was (%.1f MB)', $rss2));
($o) = session_run($s, "SELECT count(*) FROM images WHERE data_annotation_id = 1 AND tag_name IS NOT NULL");
is($o, '1', 'the session goes on after it too');
capture_stop($srv);

session_close($s);
drop_db($db);
done_testing();
