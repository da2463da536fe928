#!/usr/bin/perl
# Run TAP test files with TAP::Harness (what prove uses) and print, last,
# "TAP: N passed, N failed", counting test points; a file that dies or plans
# wrongly counts as one failure more.
use strict;
use warnings;
use TAP::Harness;

my @files = grep { -f } @ARGV;
if (!@files) { print "TAP: 0 passed, 0 failed\n"; exit 0; }
my $harness = TAP::Harness->new({ verbosity => 0, lib => ['test/t/lib'] });
my $agg = $harness->runtests(@files);
my ($passed, $failed) = (0, 0);
for my $file ($agg->descriptions) {
	my ($parser) = $agg->parsers($file);
	$passed += scalar($parser->passed) - scalar($parser->todo_passed) * 0;
	$failed += scalar($parser->failed);
	$failed++ if $parser->has_problems && !$parser->failed;
}
print "TAP: $passed passed, $failed failed\n";
exit($failed ? 1 : 0);
