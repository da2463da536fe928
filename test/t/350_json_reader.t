# The reader of the service's answers (src/json.c) against cJSON's own
# parser and JSON::PP, through test/json/json_diff.c (built here):
#  - the emulator's answers (sample data, every variant, v1 and v2 calls,
#    error answers) are read, as cJSON reads them;
#  - hand-written texts at the edges get the verdict written next to them;
#  - 20,000 generated documents and 160,000 mutants of them:
#      R1  whatever the reader reads, cJSON reads too, to the same tree
#          (types, keys, strings, numbers bit for bit, order), linked as
#          cJSON links its trees: no text gives other rows than before;
#      R2  whatever both JSON::PP (a strict reader) and cJSON read, the
#          reader reads (or refuses as \u0000): it is not stricter than
#          JSON where cJSON was not;
#  - all of it again, but 5,000 other documents, built with AddressSanitizer
#    and UBSan, each text in a buffer of exactly its length: no report.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use JSON::PP;
use Test::More;

my $top = top_dir();
my $tmp = tmpdir();
my $bin = "$tmp/json_diff";
my $flags = `pkg-config --cflags --libs libcjson 2>/dev/null` || '-lcjson';
chomp $flags;
my $cc = $ENV{CC} || 'cc';
my $out = `$cc -O2 -Wall -Werror -I$top/src $top/test/json/json_diff.c $top/src/json.c $flags -o $bin 2>&1`;
is($?, 0, 'json_diff builds (with -Wall -Werror)') or diag($out);

my $pp = JSON::PP->new->latin1->allow_nonref->max_depth(100000);

# verdicts of json_diff for files: a list of [ours, cjson, same, text]
sub judge_files {
	my @files = @_;
	my @r;
	open(my $fh, '-|', $bin, @files) or die "json_diff: $!";
	while (my $line = <$fh>) {
		chomp $line;
		my ($o, $c, $s, $hex) = split / /, $line;
		push @r, [$o, $c, $s, pack('H*', $hex // '')];
	}
	close $fh;
	return @r;
}

sub write_file {
	my ($name, $bytes) = @_;
	open(my $fh, '>:raw', $name) or die "$name: $!";
	print $fh $bytes;
	close $fh;
	return $name;
}

# ---- the emulator's answers ----
my $P = project_id();
my @variants = ('', qw(no-totals page-totals listing-offset-0 repeat-past-end
	size-detection-only string-fields gateway-errors modern-codes
	all-includes-unlabeled stats-count-boxes));
my $n = 0;
my @answer_files;
for my $variant (@variants) {
	my $emu = start_emu('--data', sample_file(), $variant ? ('--variant', $variant) : ());
	my $b = $emu->{base};
	my ($st, $jobs) = get_json("$b/v1/$P/annotation-jobs?limit=100&offset=1");
	my @ids = map { $_->{project_id} // $_->{id} } @{ $jobs->{jobs} // $jobs->{projects} // [] };
	@ids = (282) unless @ids;
	my @urls = ("$b/v1/$P/annotation-jobs?limit=100&offset=0",
		"$b/v1/$P/annotation-jobs?limit=100&offset=1",
		"$b/v1/$P/data-annotations/9999/images?per_page=10&page=1",
		"$b/v2/$P/datasets?limit=100",
		"$b/v2/$P/datasets/ds282/data-annotations/samples?sample_state=__ALL__&limit=100",
		"$b/v2/$P/datasets/ds282/data-annotations/stats",
		"$b/v2/$P/datasets/ds282/data-annotations/labels",
		"$b/v2/$P/datasets/ds282/versions");
	for my $id (@ids) {
		push @urls, map { "$b/v1/$P/data-annotations/$id/$_" }
			('images?per_page=100&page=1', 'images?per_page=100&page=2',
			 'images?per_page=7&page=3&tag_name=cat', 'images?per_page=100&page=1&tag_name=__none__',
			 'tags', 'tags/stats');
	}
	for my $url (@urls) {
		my $res = http_get($url, { headers => { 'X-Auth-Token' => 'json-reader-test' } });
		next unless length($res->{content} // '');
		push @answer_files, write_file("$tmp/answer." . ++$n, $res->{content});
	}
	stop_emu($emu);
}
my @answers = judge_files(@answer_files);
my @not_same = grep { $_->[0] ne 'ok' || $_->[1] ne 'ok' || $_->[2] ne 'same' } @answers;
ok(@answers > 100 && !@not_same,
	scalar(@answers) . " answers of the emulator (" . scalar(@variants) . " runs, every variant): read, as cJSON reads them")
	or diag(join("\n", map { "$_->[0] $_->[1] $_->[2]: " . substr($_->[3], 0, 200) } @not_same[0 .. ($#not_same < 4 ? $#not_same : 4)]));

# ---- texts at the edges ----
my @cases = (
	# text, the reader's verdict
	['{"a":1}', 'ok'], [' [ 1 , 2 ] ', 'ok'], ['"x"', 'ok'], ['0', 'ok'], ['-0', 'ok'],
	['null', 'ok'], ['true', 'ok'], ['false', 'ok'], ["\xEF\xBB\xBF{}", 'ok'],
	['{"a":1,"a":2}', 'ok'], ['"\\ud83d\\ude00"', 'ok'], ['"\\u00e9\\u6807"', 'ok'],
	['"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"', 'ok'], ['"\\\\"', 'ok'], ['"\\\\\\""', 'ok'],
	['[2147483647,2147483648,-2147483648,-2147483649]', 'ok'],
	['[999999999999999,1000000000000000,9007199254740993,18446744073709551616]', 'ok'],
	['[1e400,-1e400,4.9e-324,1e-400,0.1,1.5E+3]', 'ok'],
	['[' . ('1' x 70) . ',0.' . ('3' x 70) . ']', 'ok'],
	["\"tab\tand\nnewline\"", 'ok'],			# cJSON's leniency, kept
	[('[' x 1000) . (']' x 1000), 'ok'], [('[' x 1001) . (']' x 1001), 'syntax'],
	['', 'syntax'], ['   ', 'syntax'], ['{', 'syntax'], ['[1,]', 'syntax'], ['{"a":1,}', 'syntax'],
	['{"a" 1}', 'syntax'], ['{a:1}', 'syntax'], ['1 2', 'syntax'], ['tru', 'syntax'],
	['nulll', 'syntax'], ['01', 'syntax'], ['1.', 'syntax'], ['.5', 'syntax'], ['-', 'syntax'],
	['+1', 'syntax'], ['1e', 'syntax'], ['1e+', 'syntax'], ['"abc', 'syntax'], ['"\\"', 'syntax'],
	['"\\x"', 'syntax'], ['"\\u12"', 'syntax'], ['"\\u12G4"', 'syntax'], ['"\\ud800"', 'syntax'],
	['"\\ud800\\u0041"', 'syntax'], ['"\\udc00"', 'syntax'], ["\x01[]", 'syntax'], ["[]\x0b", 'syntax'],
	['"\\u0000"', 'nul'], ['{"a\\u0000":1}', 'nul'], ['["x\\u0000y"]', 'nul'],
);
my @edge_files = map { write_file("$tmp/edge." . $_, $cases[$_][0]) } 0 .. $#cases;
my @edges = judge_files(@edge_files);
my @wrong;
for my $i (0 .. $#cases) {
	my ($o, $c, $s) = @{ $edges[$i] };
	my $want = $cases[$i][1];
	push @wrong, "case $i: the reader said $o, not $want" if $o ne $want;
	push @wrong, "case $i: read, but cJSON says $c, trees $s" if $o eq 'ok' && ($c ne 'ok' || $s ne 'same');
}
ok(!@wrong, scalar(@cases) . ' texts at the edges: the verdicts written next to them, the same trees as cJSON')
	or diag(join("\n", @wrong));

# ---- generated documents and mutants ----
my $docs = 20000;
my %count;
my (@r1, @r2);
open(my $fh, '-|', $bin, '--random', $docs, 350) or die "json_diff: $!";
while (my $line = <$fh>) {
	chomp $line;
	my ($o, $c, $s, $hex) = split / /, $line;
	$count{total}++;
	$count{"ours $o"}++;
	if ($o eq 'ok') {
		push @r1, "$c $s: $hex" if $c ne 'ok' || $s ne 'same';
		next;
	}
	next if $c ne 'ok';			# neither reads it
	my $text = pack('H*', $hex);
	my $data = eval { $pp->decode($text) };
	next if $@;					# not JSON: refusing it is right
	next if $o eq 'nul' && $text =~ /\\u0000/;
	push @r2, "$o: $text";
}
close $fh;
is($count{total}, $docs * 9, "$docs documents and " . $docs * 8 . " mutants judged");
ok(!@r1, 'R1: every text the reader reads, cJSON reads to the same tree, linked as cJSON links ('
	. ($count{'ours ok'} // 0) . ' read)')
	or diag(join("\n", @r1[0 .. ($#r1 < 4 ? $#r1 : 4)]));
ok(!@r2, 'R2: every text both JSON::PP and cJSON read, the reader reads ('
	. (($count{'ours syntax'} // 0) + ($count{'ours nul'} // 0)) . ' refused)')
	or diag(join("\n", @r2[0 .. ($#r2 < 4 ? $#r2 : 4)]));
is($count{'ours nomem'} // 0, 0, 'no allocation failed');

# ---- the same under AddressSanitizer and UBSan ----
# Every text is in a buffer of exactly its length (see json_diff.c): a read
# past its end, a use of freed memory or undefined behaviour stops the run
# with a report on stderr.
my $asan = "$tmp/json_diff_asan";
my $aout = `$cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Werror -I$top/src $top/test/json/json_diff.c $top/src/json.c $flags -o $asan 2>&1`;
# leaks are not the point (and LeakSanitizer needs ptrace, which some
# containers refuse); a sanitizer that cannot run here (some kernels' mmap
# randomness breaks older ASan runtimes) is a skip, said so
$ENV{ASAN_OPTIONS} = 'detect_leaks=0';
my $probe_ok = 0;
my $probe_err = '';
if (!$?) {
	my $probe = write_file("$tmp/probe.json", '{"a":[1,"x",true]}');
	my $pid = open(my $ph, '-|');
	die "fork: $!" unless defined $pid;
	if ($pid == 0) {
		open(STDERR, '>', "$tmp/probe.err");
		alarm 30;
		exec($asan, $probe) or exit 127;
	}
	my $line = <$ph> // '';
	close $ph;
	$probe_ok = ($? == 0 && $line =~ /^ok ok same /);
	$probe_err = do { local (@ARGV, $/) = ("$tmp/probe.err"); <> } // '';
}
SKIP: {
	skip("the compiler cannot build with -fsanitize=address,undefined: " . (split /\n/, $aout)[0], 2) if $aout ne '' && !-x $asan;
	skip("a sanitized build does not run here: " . substr($probe_err, 0, 200), 2) unless $probe_ok;
	my $errf = "$tmp/asan.err";
	my @lines = `$asan @edge_files @answer_files 2>$errf`;
	my $err = do { local (@ARGV, $/) = ($errf); <> } // '';
	ok($? == 0 && $err eq '' && @lines == @edge_files + @answer_files,
		'under ASan and UBSan: the texts at the edges and the emulator\'s answers, no report')
		or diag(substr($err, 0, 2000));
	my $n_lines = 0;
	open(my $ah, '-|', "$asan --random 5000 351 2>$errf") or die "json_diff_asan: $!";
	$n_lines++ while <$ah>;
	close $ah;
	$err = do { local (@ARGV, $/) = ($errf); <> } // '';
	ok($? == 0 && $err eq '' && $n_lines == 5000 * 9,
		'under ASan and UBSan: 5000 other documents and their 40000 mutants, no report')
		or diag(substr($err, 0, 2000));
}

done_testing();
