# The PGXN distribution: META.json valid by the PGXN Meta Spec 1.0 (the
# validator of lib/PGXNMeta.pm, which rejects broken documents too), its
# versions in step with the control file, the Makefile, the install script
# and debian/changelog; `make dist` makes modelarts_fdw-VERSION.zip, every
# entry under modelarts_fdw-VERSION/, with what the build and the tests need
# and no packaging or CI files, and the unpacked zip builds with make.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use PGXNMeta;
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use File::Basename qw(dirname);
use IO::Uncompress::Unzip qw($UnzipError);
use JSON::PP;
use Test::More;

my $top = "$FindBin::Bin/../..";
my $pg_config = $ENV{PG_CONFIG} || 'pg_config';

sub slurp {
	my ($file) = @_;
	open(my $fh, '<:raw', $file) or die "$file: $!\n";
	local $/;
	return scalar <$fh>;
}

# NAME = VALUE assignments of a Makefile's text, continuation lines joined
sub make_vars {
	my ($text) = @_;
	$text =~ s/\\\n/ /g;
	my %v;
	while ($text =~ /^([A-Za-z_]+)\s*[:?]?=[ \t]*(.*)$/mg) {
		my ($k, $val) = ($1, $2);
		$val =~ s/\s+/ /g;
		$val =~ s/^ | $//g;
		$v{$k} = $val unless exists $v{$k};
	}
	return \%v;
}

sub control_version {
	my ($text) = @_;
	return $text =~ /^default_version\s*=\s*'([^']*)'/m ? $1 : undef;
}

# the versions of one tree (files given as text) agree with its META.json
sub versions_agree {
	my ($label, $meta, $makefile, $control) = @_;
	my $mk = make_vars($makefile);
	my $ext = $mk->{EXTENSION};
	my $v = $meta->{version};
	is($meta->{name}, $ext, "$label: META.json's name is the extension's, $ext");
	is_deeply([sort keys %{ $meta->{provides} }], [$ext], "$label: META.json provides $ext");
	my $p = $meta->{provides}{$ext} || {};
	is($p->{version}, $v, "$label: provides.$ext.version is the distribution's, $v");
	is($mk->{EXTVERSION}, $v, "$label: the Makefile's EXTVERSION is META.json's version");
	is(control_version($control), $v, "$label: the control file's default_version is META.json's version");
	is($p->{file}, "sql/$ext--$v.sql", "$label: provides.$ext.file is the install script of version $v");
	like(" $mk->{DATA} ", qr/ \Q$p->{file}\E /, "$label: the Makefile's DATA installs provides.$ext.file");
}

# --- META.json of the tree
my $meta = PGXNMeta::decode_file("$top/META.json");
my @errors = PGXNMeta::validate($meta);
is_deeply(\@errors, [], 'META.json is valid by the PGXN Meta Spec 1.0') or diag(join("\n", @errors));

my $makefile = slurp("$top/Makefile");
my $control = slurp("$top/modelarts_fdw.control");
versions_agree('tree', $meta, $makefile, $control);
ok(-f "$top/$meta->{provides}{modelarts_fdw}{file}", 'provides.modelarts_fdw.file exists');
ok(-f "$top/$meta->{provides}{modelarts_fdw}{docfile}", 'provides.modelarts_fdw.docfile exists');
is($meta->{prereqs}{runtime}{requires}{PostgreSQL}, '>= 15.0.0', 'META.json requires PostgreSQL >= 15.0.0 at run time');
ok(exists $meta->{release_status} && exists $meta->{resources}, 'META.json has release_status and resources');
my ($deb_version) = slurp("$top/debian/changelog") =~ /^\S+ \(([^)]*)\)/;
(my $deb_upstream = $deb_version // '') =~ s/-[^-]*\z//;
is($deb_upstream, $meta->{version}, "debian/changelog's upstream version ($deb_version) is META.json's");

# --- the validator rejects what the spec forbids
my %broken = (
	'no name'                       => [sub { delete $_[0]{name} },                         qr/^name: required/],
	'a name with a space'           => [sub { $_[0]{name} = 'modelarts fdw' },              qr/^name: not a Term/],
	'version 0.1'                   => [sub { $_[0]{version} = '0.1' },                      qr/^version: not a SemVer/],
	'a numeric version'             => [sub { $_[0]{version} = 1 },                          qr/^version: not a SemVer/],
	'an unknown license'            => [sub { $_[0]{license} = 'gpl' },                      qr/^license: "gpl" is not a license name/],
	'no maintainer'                 => [sub { $_[0]{maintainer} = [] },                      qr/^maintainer: an empty list/],
	'an extension without file'     => [sub { delete $_[0]{provides}{modelarts_fdw}{file} }, qr/^provides\.modelarts_fdw\.file: required/],
	'an absolute file'              => [sub { $_[0]{provides}{modelarts_fdw}{file} = '/sql/x.sql' }, qr/^provides\.modelarts_fdw\.file: not a relative path/],
	'PostgreSQL "15"'               => [sub { $_[0]{prereqs}{runtime}{requires}{PostgreSQL} = '15' }, qr/^prereqs\.runtime\.requires\.PostgreSQL: not a version range/],
	'a phase "run"'                 => [sub { $_[0]{prereqs}{run} = { requires => { PostgreSQL => '15.0.0' } } }, qr/^prereqs\.run: not a phase/],
	'release_status "beta"'         => [sub { $_[0]{release_status} = 'beta' },              qr/^release_status: not stable, testing or unstable/],
	'a repository without url'      => [sub { $_[0]{resources}{repository} = { type => 'git' } }, qr/^resources\.repository: not an object with web, or url and type/],
	'a bugtracker mailto no address' => [sub { $_[0]{resources}{bugtracker}{mailto} = 'nobody' }, qr/^resources\.bugtracker\.mailto: not an email address/],
	'meta-spec 2.0.0'               => [sub { $_[0]{'meta-spec'}{version} = '2.0.0' },       qr/^meta-spec\.version: not 1\.0\.x/],
	'a tag with a slash'            => [sub { $_[0]{tags} = ['fdw/http'] },                  qr/^tags\[0\]: not a Tag/],
	'an unknown key'                => [sub { $_[0]{homepage} = 'https://example.org/' },    qr/^homepage: not a key of the spec/],
);
my $json = JSON::PP->new->utf8;
for my $case (sort keys %broken) {
	my ($mutate, $expect) = @{ $broken{$case} };
	my $m = $json->decode($json->encode($meta));
	$mutate->($m);
	my @e = PGXNMeta::validate($m);
	ok(scalar(grep { $_ =~ $expect } @e), "the validator rejects $case") or diag(join("\n", @e) || 'no error');
}

# --- make dist
SKIP: {
	skip 'not a git checkout: make dist archives HEAD with git archive', 1
	  unless system("git -C '$top' rev-parse --is-inside-work-tree >/dev/null 2>&1") == 0;

	my $tmp = tempdir('pgxn-dist-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $name = "modelarts_fdw-$meta->{version}";
	my $out = `make -s -C '$top' dist DISTDIR='$tmp' PG_CONFIG='$pg_config' 2>&1`;
	is($?, 0, 'make dist succeeds') or diag($out);
	my $zip = "$tmp/$name.zip";
	ok(-f $zip, "make dist makes $name.zip");

	# the entries, and the files unpacked into $tmp/unpacked
	my %files;
	my $u = IO::Uncompress::Unzip->new($zip) or BAIL_OUT("cannot read $zip: $UnzipError");
	for (my $status = 1; $status > 0; $status = $u->nextStream) {
		my $entry = $u->getHeaderInfo->{Name};
		my $data = '';
		my $buf;
		while ((my $n = $u->read($buf)) > 0) { $data .= $buf }
		$files{$entry} = $data;
	}
	my @outside = grep { index($_, "$name/") != 0 } sort keys %files;
	is_deeply(\@outside, [], "every entry of the zip is under $name/");
	my %rel = map { substr($_, length("$name/")) => $files{$_} } grep { !m{/\z} } keys %files;

	my $zmeta = eval { $json->decode($rel{'META.json'} // '') };
	ok($zmeta, "the zip has $name/META.json");
	$zmeta ||= {};
	my @zerrors = PGXNMeta::validate($zmeta);
	is_deeply(\@zerrors, [], "the zip's META.json is valid") or diag(join("\n", @zerrors));
	versions_agree('zip', $zmeta, $rel{Makefile} // '', $rel{'modelarts_fdw.control'} // '');

	my $mk = make_vars($rel{Makefile} // '');
	my @need = ('Makefile', 'modelarts_fdw.control', 'README.md', 'META.json',
		split(' ', $mk->{DATA} // ''),
		(map { s/\.o\z/.c/r } split(' ', $mk->{OBJS} // '')),
		(map { ("sql/$_.sql", "expected/$_.out") } split(' ', $mk->{REGRESS} // '')),
		'test/installcheck.sh', 'test/emulator/Makefile', 'test/data/sample.json');
	my @missing = grep { !exists $rel{$_} } @need;
	is_deeply(\@missing, [], 'the zip has the sources, the install script, the regression tests and the emulator');
	my @extra = grep { m{\A(?:debian/|\.ci/|\.git)} } sort keys %rel;
	is_deeply(\@extra, [], 'the zip has no debian/, .ci/ or .git* files');

	# PGXN clients run make && make install in the unpacked directory
	my $dir = "$tmp/unpacked/$name";
	for my $f (keys %rel) {
		make_path(dirname("$dir/$f"));
		open(my $fh, '>:raw', "$dir/$f") or die "$dir/$f: $!\n";
		print $fh $rel{$f};
		close $fh;
	}
	$out = `make -s -C '$dir' PG_CONFIG='$pg_config' 2>&1`;
	is($?, 0, 'the unpacked zip builds with make') or diag($out);
	ok(-f "$dir/modelarts_fdw.so" && !-e "$dir/test/emulator/modelarts-emulator",
		'make there builds modelarts_fdw.so and no emulator');
}

done_testing();
