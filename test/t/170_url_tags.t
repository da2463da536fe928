# Tag names built to break a URL: each is sent percent-encoded, so the
# service sees exactly that literal tag, and the query returns exactly the
# images that carry it.  A data file made here gives every tag, and a decoy
# that a wrong encoding or decoding would confuse it with ("%2F" and "/",
# "a b" and "a+b", ...), its own set of images.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use FdwTest;
use Encode qw(encode_utf8);
use JSON::PP;
use Test::More;

my @tags = ('a&per_page=1000', 'a', 'x#y', 'x', '%2F', '/', 'a/b', 'a%2Fb', '..',
	'with space', 'with+space', 'with%20space', '100%', '100', '猫', '%E7%8C%AB',
	'tag_name=dog', 'q?x=1', ';', 'a,b', "quote'd", '"', '\\', '~.-_', ' lead', 'trail ');

# image i carries tag t when bit t of (i + 1) is set, over 64 images: every
# tag has its own set, and sets overlap in every way
my @images;
for my $i (0 .. 63) {
	my @t = grep { (($i + 1) >> ($_ % 6)) & 1 && ($_ % 7 != $i % 7) } 0 .. $#tags;
	push @images, {
		image_id => sprintf('%032x', 0xabc000 + $i), image_name => "IMG_$i.jpg",
		url => "https://bucket.example/IMG_$i.jpg", size => [ 640, 480 ],
		tags => [ map { $tags[$_] } @t ], create_time => 1565000000000 + $i };
}
my $data = { project_id => project_id(), jobs => [ {
	project_id => 777, project_name => 'url-breakers', project_desc => '', project_type => 0,
	create_time => 1565000000000, version_num => 0, data_path => '/b/', versions => [],
	images => \@images } ] };
my $file = tmpdir() . '/url_tags.json';
open(my $fh, '>:raw', $file) or die;
print $fh JSON::PP->new->utf8->canonical->encode($data);
close $fh;

my $emu = start_emu('--data', $file, '--access-log', tmpdir() . '/170.log');
my $db = fdw_db('tap_url_tags');
setup_fdw($db, endpoint => $emu->{base});
psql_ok($db, "CREATE USER MAPPING FOR CURRENT_USER SERVER ma");

my $job = $data->{jobs}[0];
my %count;
for my $tag (@tags) {
	my @want = @{ expected_ids($job, $tag) };
	$count{$tag} = @want;
	my $lit = $tag =~ s/'/''/gr;
	my $got = psql_ok($db, "SELECT coalesce(string_agg(image_id, ',' ORDER BY image_id), '') FROM images WHERE data_annotation_id = 777 AND tag_name = '$lit'");
	is($got, join(',', @want), encode_utf8("tag \"$tag\": exactly its " . scalar(@want) . ' images'));
}

# the requests carried each tag encoded once, as a single query parameter
my @log = grep { /tag_name=/ } access_log_lines(tmpdir() . '/170.log');
is(scalar @log, scalar @tags, 'one request per tag');
my @bad = grep { !m{\?tag_name=[A-Za-z0-9\-_.~%]+&per_page=100&page=1 200$} } @log;
is_deeply(\@bad, [], 'each tag_name value is percent-encoded: only unreserved characters and %XX');

# several of them at once (= ANY): one stream per tag, rows per tag
my $in = join(', ', map { "'" . (s/'/''/gr) . "'" } @tags);
my $got = psql_ok($db, "SELECT tag_name || '=' || count(*) FROM images WHERE data_annotation_id = 777 AND tag_name IN ($in) GROUP BY tag_name ORDER BY tag_name COLLATE \"C\"");
my $want = join("\n", map { "$_=$count{$_}" } grep { $count{$_} } sort { encode_utf8($a) cmp encode_utf8($b) } @tags);
is($got, encode_utf8($want), 'IN (every tag): the count of each tag');

stop_emu($emu);
drop_db($db);
done_testing();
