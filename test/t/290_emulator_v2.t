# The emulator's v2 dataset API against test/data/sample.json: the dataset
# list and its paging, samples for each sample_state and label_name, limit
# and offset (a page index from 0), the default desc order and asc, labels
# and detection boxes in v2's shape, stats (count and sample_count apart),
# labels, versions, version_id, the errors, a dataset_id key in the data
# file, the access log and the "v2" counter.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use EmulatorTest;
use Test::More;

my $P = project_id();
my $sample = load_sample();
my %job = map { $_->{project_id} => $_ } @{ $sample->{jobs} };

my $log = tmpdir() . '/access.log';
my $emu = start_emu('--data', sample_file(), '--access-log', $log);
my $B = "$emu->{base}/v2/$P";

# the sample_ids a filter selects, from the data file, in v2's default
# order (descending image_id)
sub want_ids {
	my ($jid, $state, $label) = @_;
	my @ids;
	for my $img (@{ $job{$jid}{images} }) {
		my @tags = map { ref $_ ? $_->{tag} : $_ } @{ $img->{tags} || [] };
		next if defined $label && !grep { $_ eq $label } @tags;
		next if defined $state && $state eq '__ALL__' && !@tags;
		next if defined $state && $state eq '__NONE__' && @tags;
		push @ids, $img->{image_id};
	}
	return [ sort { $b cmp $a } @ids ];
}

# every page of a filter, limit N: the ids in order, and the requests
sub all_pages {
	my ($url, $limit) = @_;
	my (@ids, $n);
	for (my $page = 0; ; $page++) {
		my ($st, $d) = get_json("$url&limit=$limit&offset=$page");
		die "status $st" unless $st == 200;
		$n++;
		push @ids, map { $_->{sample_id} } @{ $d->{samples} };
		last if @{ $d->{samples} } < $limit;
	}
	return (\@ids, $n);
}

# ---- the dataset list ----
{
	my ($st, $d) = get_json("$B/datasets?limit=100");
	is($st, 200, 'datasets: 200');
	is($d->{total_number}, 4, 'datasets: total_number');
	is_deeply([ map { $_->{dataset_id} } @{ $d->{datasets} } ],
		[qw(ds285 ds284 ds283 ds282)], 'datasets: desc by create_time, ds<ID>');
	my ($ds282) = grep { $_->{dataset_id} eq 'ds282' } @{ $d->{datasets} };
	is($ds282->{dataset_name}, 'cats-and-dogs', 'datasets: dataset_name is project_name');
	is($ds282->{total_sample_count}, 240, 'datasets: total_sample_count');
	is($ds282->{annotated_sample_count}, 210, 'datasets: annotated_sample_count');
	is($ds282->{current_version_name}, 'V002', 'datasets: current version');
	($st, $d) = get_json("$B/datasets?limit=3&offset=1&order=asc");
	is_deeply([ map { $_->{dataset_id} } @{ $d->{datasets} } ], ['ds285'],
		'datasets: offset is a page index from 0');
	($st, $d) = get_json("$B/datasets?limit=2&offset=0&order=asc&sort_by=dataset_name");
	is_deeply([ map { $_->{dataset_name} } @{ $d->{datasets} } ],
		['cats-and-dogs', 'empty-job'], 'datasets: sort_by dataset_name');
	($st, $d) = get_json("$B/datasets?limit=101");
	is($st, 400, 'datasets: limit 101 is 400');
	is($d->{error_code}, 'ModelArts.0104', 'datasets: ModelArts.0104');
}

# ---- samples: each filter, every page, the order ----
for my $jid (282, 283, 284, 285) {
	for my $f ([ '__ALL__', undef ], [ '__NONE__', undef ], [ undef, 'cat' ],
			   [ undef, 'car' ], [ undef, undef ]) {
		my ($state, $label) = @$f;
		my $q = 'x=1';
		$q .= "&sample_state=$state" if defined $state;
		$q .= "&label_name=$label" if defined $label;
		my ($ids, $n) = all_pages("$B/datasets/ds$jid/data-annotations/samples?$q", 7);
		is_deeply($ids, want_ids($jid, $state, $label),
			"samples ds$jid $q: every sample once, desc order");
	}
}
{
	my ($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?sample_state=__ALL__&limit=5&order=asc");
	is_deeply([ map { $_->{sample_id} } @{ $d->{samples} } ],
		[ (reverse @{ want_ids(282, '__ALL__') })[0 .. 4] ], 'samples: order=asc');
	is($d->{sample_count}, 210, 'samples: sample_count is the filter total');
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?sample_state=__ALL__");
	is(scalar @{ $d->{samples} }, 10, 'samples: limit defaults to 10');
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?sample_state=__NONE__&limit=100&offset=5");
	is_deeply($d->{samples}, [], 'samples: a page past the end is empty');
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?label_name=cat&sample_state=__NONE__&limit=10");
	is($d->{sample_count}, 0, 'samples: a label under __NONE__ selects nothing');
}

# ---- a sample in v2's shape ----
{
	my $img = (grep { @{ $_->{tags} } > 1 && $_->{size} } @{ $job{283}{images} })[0];
	my ($st, $d) = get_json("$B/datasets/ds283/data-annotations/samples?limit=100");
	my ($s) = grep { $_->{sample_id} eq $img->{image_id} } @{ $d->{samples} };
	is($s->{sample_name}, $img->{image_name}, 'sample: sample_name');
	is($s->{source}, $img->{url}, 'sample: source is url');
	is($s->{sample_time}, $img->{create_time}, 'sample: sample_time');
	is_deeply($s->{metadata}{'@modelarts:size'}, $img->{size}, 'sample: @modelarts:size');
	is_deeply([ map { [ $_->{name}, $_->{property}{'@modelarts:shape'},
						$_->{property}{'@modelarts:feature'} ] } @{ $s->{labels} } ],
		[ map { [ $_->{tag}, 'bndbox', [ [ @{ $_->{pos} }[0, 1] ], [ @{ $_->{pos} }[2, 3] ] ] ] }
			@{ $img->{tags} } ],
		'sample: one label per box, [[x1, y1], [x2, y2]]');
	my $extra = (grep { exists $_->{camera} && grep { $_ eq 'cat' } @{ $_->{tags} } }
		@{ $job{282}{images} })[0];
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?limit=100&offset=0&label_name=cat");
	($s) = grep { $_->{sample_id} eq $extra->{image_id} } @{ $d->{samples} };
	is($s->{camera}, $extra->{camera}, 'sample: other keys of the image kept');
}

# ---- stats, labels, versions ----
{
	my ($st, $d) = get_json("$B/datasets/ds283/data-annotations/stats");
	is($st, 200, 'stats: 200');
	my %boxes;
	my %imgs;
	for my $img (@{ $job{283}{images} }) {
		my %seen;
		for my $t (@{ $img->{tags} }) {
			$boxes{ $t->{tag} }++;
			$imgs{ $t->{tag} }++ unless $seen{ $t->{tag} }++;
		}
	}
	is_deeply({ map { $_->{name} => [ $_->{count}, $_->{sample_count} ] } @{ $d->{label_stats} } },
		{ map { $_ => [ $boxes{$_}, $imgs{$_} ] } keys %boxes },
		'stats: count is boxes, sample_count is samples');
	is_deeply($d->{sample_stats}, { __ALL__ => 50, __NONE__ => 10 }, 'stats: sample_stats');
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/labels");
	is(scalar @{ $d->{labels} }, 10, 'labels: every label of ds282');
	($st, $d) = get_json("$B/datasets/ds282/versions");
	is_deeply([ map { $_->{version_name} } @{ $d->{versions} } ], [ 'V001', 'V002' ],
		'versions: the job\'s versions');
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?version_id=v36f50de&limit=3&sample_state=__NONE__");
	is($st, 200, 'version_id: a known version answers');
	($st, $d) = get_json("$B/datasets/ds282/data-annotations/samples?version_id=nope&limit=3");
	is($st, 404, 'version_id: an unknown version is 404');
}

# ---- errors ----
for my $c (
	[ "$B/datasets/nope/data-annotations/samples?limit=1", 404, 'ModelArts.0102' ],
	[ "$B/datasets/ds282/data-annotations/samples?limit=0", 400, 'ModelArts.0104' ],
	[ "$B/datasets/ds282/data-annotations/samples?limit=1&offset=-1", 400, 'ModelArts.0104' ],
	[ "$B/datasets/ds282/data-annotations/samples?sample_state=__UNCHECK__", 400, 'ModelArts.0104' ],
	[ "$B/datasets/ds282/data-annotations/samples?order=up", 400, 'ModelArts.0104' ],
	[ "$B/datasets/ds282/data-annotations/samples?label_name=a&label_name=b", 400, 'ModelArts.0104' ],
	[ "$emu->{base}/v2/0123/datasets", 403, 'ModelArts.0210' ],
	[ "$B/datasets/ds282/bogus", 404, 'APIG.0101' ],
) {
	my ($url, $status, $code) = @$c;
	my ($st, $d) = get_json($url);
	is($st, $status, "error: $url is $status");
	is($d->{error_code}, $code, "error: $url is $code");
}

# ---- the access log and the counter ----
{
	http_req('POST', "$emu->{base}/__emulator/reset");
	get_json("$B/datasets/ds285/data-annotations/samples?label_name=x&limit=10&offset=2");
	my ($st, $d) = get_json("$emu->{base}/__emulator/stats");
	is($d->{v2}, 1, 'stats: v2 requests counted');
	open(my $l, '<', $log) or die;
	my @lines = <$l>;
	like($lines[-1], qr{^GET /v2/$P/datasets/ds285/data-annotations/samples\?label_name=x&limit=10&offset=2 200 \d+$},
		'access log: v2 requests logged');
}
stop_emu($emu);

# ---- a dataset_id key in the data file; the modern codes ----
{
	my $file = tmpdir() . '/ds.json';
	my $doc = { project_id => $P, jobs => [ { %{ $job{285} }, dataset_id => 'WxCREuCkBSAlQr9xrde' } ] };
	open(my $fh, '>', $file) or die;
	print $fh JSON::PP->new->utf8->encode($doc);
	close $fh;
	my $e = start_emu('--data', $file, '--variant', 'modern-codes');
	my ($st, $d) = get_json("$e->{base}/v2/$P/datasets");
	is_deeply([ map { $_->{dataset_id} } @{ $d->{datasets} } ], ['WxCREuCkBSAlQr9xrde'],
		'dataset_id: the job\'s key');
	($st, $d) = get_json("$e->{base}/v2/$P/datasets/WxCREuCkBSAlQr9xrde/data-annotations/samples?label_name=x&limit=100");
	is(scalar @{ $d->{samples} }, 100, 'dataset_id: its samples');
	($st, $d) = get_json("$e->{base}/v2/$P/datasets/ds285/data-annotations/samples?limit=1");
	is($st, 400, 'modern-codes: a missing dataset is 400');
	is($d->{error_code}, 'ModelArts.4352', 'modern-codes: ModelArts.4352');
	stop_emu($e);
}

done_testing();
