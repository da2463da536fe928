# A validator of META.json against the PGXN Meta Spec 1.0 (https://pgxn.org/spec/,
# the rules of its JSON schemas: required keys and their types, Terms, Tags,
# SemVer versions, version ranges, license names, URIs).  Debian has no
# PGXN::Meta::Validator package; pgxnclient reads META.json without
# validating it.
#
#   use PGXNMeta;
#   my @errors = PGXNMeta::validate(PGXNMeta::decode_file('META.json'));
#
# validate returns one message per violation, naming the key's path
# ("provides.modelarts_fdw.version: ..."); none when the document is valid.
package PGXNMeta;
use strict;
use warnings;
use B ();
use JSON::PP ();

my $SEMVER = qr/(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)
	(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?
	(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?/x;
my $RANGE_ITEM = qr/(?:(?:[=!]=|[<>]=?)\s*)?$SEMVER/;
my $RANGE = qr/\A(?:$RANGE_ITEM(?:,\s*$RANGE_ITEM)*|0)\z/;

my %LICENSES = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1
  artistic_2 bsd freebsd gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0
  mit mozilla_1_0 mozilla_1_1 openssl perl_5 postgresql qpl_1_0 ssleay sun
  zlib open_source restricted unrestricted unknown);
my %PHASES = map { $_ => 1 } qw(configure build test runtime develop);
my %RELATIONS = map { $_ => 1 } qw(requires recommends suggests conflicts);
my %STATUS = map { $_ => 1 } qw(stable testing unstable);
my @REQUIRED = qw(name version abstract maintainer license provides meta-spec);
my %TOP = map { $_ => 1 } (@REQUIRED,
	qw(description generated_by tags no_index prereqs release_status resources));

sub decode_file {
	my ($file) = @_;
	open(my $fh, '<:raw', $file) or die "$file: $!\n";
	local $/;
	my $text = <$fh>;
	return JSON::PP->new->utf8->decode($text);
}

# a JSON string (not a number, not a boolean, not null)
sub is_string {
	my ($v) = @_;
	return 0 if !defined $v || ref $v;
	my $flags = B::svref_2object(\$v)->FLAGS;
	return ($flags & B::SVp_POK) && !($flags & (B::SVp_IOK | B::SVp_NOK)) ? 1 : 0;
}

sub is_number {
	my ($v) = @_;
	return 0 if !defined $v || ref $v;
	my $flags = B::svref_2object(\$v)->FLAGS;
	return ($flags & (B::SVp_IOK | B::SVp_NOK)) && !($flags & B::SVp_POK) ? 1 : 0;
}

sub is_object { ref $_[0] eq 'HASH' }
sub is_array  { ref $_[0] eq 'ARRAY' }
sub is_custom { $_[0] =~ /\A[xX]_./ }

sub is_term { is_string($_[0]) && $_[0] =~ m{\A[^/\\\s\p{Cntrl}]{2,}\z} }
sub is_tag  { is_string($_[0]) && length($_[0]) <= 255 && $_[0] =~ m{\A[^/\\\p{Cntrl}]{2,}\z} }
sub is_semver { is_string($_[0]) && $_[0] =~ /\A$SEMVER\z/ }
sub is_uri  { is_string($_[0]) && $_[0] =~ m{\A[a-zA-Z][a-zA-Z0-9+.-]*:\S+\z} }
sub is_email { is_string($_[0]) && $_[0] =~ /\A[^@\s]+@[^@\s]+\.[^@\s]+\z/ }
sub is_text { is_string($_[0]) && length($_[0]) >= 1 }
# a relative path in unix form, inside the distribution
sub is_path {
	my ($v) = @_;
	return 0 unless is_text($v);
	return 0 if $v =~ m{\A/} || $v =~ /\\/ || $v =~ m{(?:\A|/)\.\.(?:/|\z)};
	return 1;
}

sub validate {
	my ($m) = @_;
	my @e;
	my $err = sub { push @e, join('', @_) };
	return ("the document is not a JSON object") unless is_object($m);

	for my $k (@REQUIRED) {
		$err->("$k: required") unless exists $m->{$k};
	}
	for my $k (sort keys %$m) {
		$err->("$k: not a key of the spec (custom keys begin with x_)")
		  unless $TOP{$k} || is_custom($k);
	}

	$err->("name: not a Term (2 or more characters, no slash, backslash, space or control character)")
	  if exists $m->{name} && !is_term($m->{name});
	$err->("version: not a SemVer version")
	  if exists $m->{version} && !is_semver($m->{version});
	for my $k (qw(abstract description generated_by)) {
		$err->("$k: not a non-empty string") if exists $m->{$k} && !is_text($m->{$k});
	}

	if (exists $m->{maintainer}) {
		my $v = $m->{maintainer};
		if (is_array($v)) {
			$err->("maintainer: an empty list") unless @$v;
			for my $i (0 .. $#$v) {
				$err->("maintainer[$i]: not a non-empty string") unless is_text($v->[$i]);
			}
		} elsif (!is_text($v)) {
			$err->("maintainer: not a string or a list of strings");
		}
	}

	if (exists $m->{license}) {
		my $v = $m->{license};
		if (is_array($v)) {
			$err->("license: an empty list") unless @$v;
			for my $l (@$v) {
				$err->("license: \"" . ($l // 'null') . "\" is not a license name of the spec")
				  unless is_string($l) && $LICENSES{$l};
			}
		} elsif (is_object($v)) {
			$err->("license: an empty object") unless %$v;
			for my $l (sort keys %$v) {
				$err->("license.$l: not a URI") unless is_uri($v->{$l});
			}
		} elsif (!(is_string($v) && $LICENSES{$v})) {
			$err->("license: \"" . ($v // 'null') . "\" is not a license name of the spec");
		}
	}

	if (exists $m->{provides}) {
		my $p = $m->{provides};
		if (!is_object($p) || !%$p) {
			$err->("provides: not an object naming at least one extension");
		} else {
			for my $x (sort keys %$p) {
				my $ext = $p->{$x};
				$err->("provides: \"$x\" is not a Term") unless is_term($x);
				if (!is_object($ext)) {
					$err->("provides.$x: not an object");
					next;
				}
				$err->("provides.$x.file: required") unless exists $ext->{file};
				$err->("provides.$x.version: required") unless exists $ext->{version};
				$err->("provides.$x.file: not a relative path") if exists $ext->{file} && !is_path($ext->{file});
				$err->("provides.$x.docfile: not a relative path") if exists $ext->{docfile} && !is_path($ext->{docfile});
				$err->("provides.$x.version: not a SemVer version")
				  if exists $ext->{version} && !is_semver($ext->{version});
				$err->("provides.$x.abstract: not a non-empty string")
				  if exists $ext->{abstract} && !is_text($ext->{abstract});
				for my $k (sort keys %$ext) {
					$err->("provides.$x.$k: not a key of the spec")
					  unless $k =~ /\A(?:file|version|abstract|docfile)\z/ || is_custom($k);
				}
			}
		}
	}

	if (exists $m->{'meta-spec'}) {
		my $s = $m->{'meta-spec'};
		if (!is_object($s)) {
			$err->("meta-spec: not an object");
		} else {
			$err->("meta-spec.version: not 1.0.x")
			  unless is_string($s->{version}) && $s->{version} =~ /\A1\.0\.\d+\z/;
			$err->("meta-spec.url: not a URI") if exists $s->{url} && !is_uri($s->{url});
			for my $k (sort keys %$s) {
				$err->("meta-spec.$k: not a key of the spec")
				  unless $k =~ /\A(?:version|url)\z/ || is_custom($k);
			}
		}
	}

	if (exists $m->{tags}) {
		my $t = $m->{tags};
		if (!is_array($t) || !@$t) {
			$err->("tags: not a non-empty list");
		} else {
			for my $i (0 .. $#$t) {
				$err->("tags[$i]: not a Tag (2 to 255 characters, no slash, backslash or control character)")
				  unless is_tag($t->[$i]);
			}
		}
	}

	if (exists $m->{no_index}) {
		my $n = $m->{no_index};
		if (!is_object($n)) {
			$err->("no_index: not an object");
		} else {
			for my $k (sort keys %$n) {
				if ($k =~ /\A(?:file|directory)\z/) {
					my $v = $n->{$k};
					$err->("no_index.$k: not a path or a list of paths")
					  unless is_path($v) || (is_array($v) && @$v && !grep { !is_path($_) } @$v);
				} elsif (!is_custom($k)) {
					$err->("no_index.$k: not a key of the spec");
				}
			}
		}
	}

	if (exists $m->{prereqs}) {
		my $p = $m->{prereqs};
		if (!is_object($p) || !%$p) {
			$err->("prereqs: not a non-empty object");
		} else {
			for my $phase (sort keys %$p) {
				next if is_custom($phase);
				if (!$PHASES{$phase}) {
					$err->("prereqs.$phase: not a phase of the spec");
					next;
				}
				my $rels = $p->{$phase};
				if (!is_object($rels) || !%$rels) {
					$err->("prereqs.$phase: not a non-empty object");
					next;
				}
				for my $rel (sort keys %$rels) {
					next if is_custom($rel);
					if (!$RELATIONS{$rel}) {
						$err->("prereqs.$phase.$rel: not a relationship of the spec");
						next;
					}
					my $reqs = $rels->{$rel};
					if (!is_object($reqs) || !%$reqs) {
						$err->("prereqs.$phase.$rel: not a non-empty object");
						next;
					}
					for my $name (sort keys %$reqs) {
						my $r = $reqs->{$name};
						$err->("prereqs.$phase.$rel: \"$name\" is not a Term") unless is_term($name);
						$err->("prereqs.$phase.$rel.$name: not a version range")
						  unless (is_number($r) && $r == 0) || (is_string($r) && $r =~ $RANGE);
					}
				}
			}
		}
	}

	$err->("release_status: not stable, testing or unstable")
	  if exists $m->{release_status} && !(is_string($m->{release_status}) && $STATUS{$m->{release_status}});

	if (exists $m->{resources}) {
		my $r = $m->{resources};
		if (!is_object($r) || !%$r) {
			$err->("resources: not a non-empty object");
		} else {
			for my $k (sort keys %$r) {
				my $v = $r->{$k};
				if ($k eq 'homepage') {
					$err->("resources.homepage: not a URI") unless is_uri($v);
				} elsif ($k eq 'bugtracker') {
					if (!is_object($v) || !(exists $v->{web} || exists $v->{mailto})) {
						$err->("resources.bugtracker: not an object with web or mailto");
						next;
					}
					$err->("resources.bugtracker.web: not a URI") if exists $v->{web} && !is_uri($v->{web});
					$err->("resources.bugtracker.mailto: not an email address")
					  if exists $v->{mailto} && !is_email($v->{mailto});
					for my $b (sort keys %$v) {
						$err->("resources.bugtracker.$b: not a key of the spec")
						  unless $b =~ /\A(?:web|mailto)\z/ || is_custom($b);
					}
				} elsif ($k eq 'repository') {
					if (!is_object($v) || !(exists $v->{web} || (exists $v->{url} && exists $v->{type}))) {
						$err->("resources.repository: not an object with web, or url and type");
						next;
					}
					$err->("resources.repository.url: not a URI") if exists $v->{url} && !is_uri($v->{url});
					$err->("resources.repository.web: not a URI") if exists $v->{web} && !is_uri($v->{web});
					$err->("resources.repository.type: not a lower-case name")
					  if exists $v->{type} && !(is_string($v->{type}) && $v->{type} =~ /\A[a-z0-9]+\z/);
					for my $b (sort keys %$v) {
						$err->("resources.repository.$b: not a key of the spec")
						  unless $b =~ /\A(?:url|web|type)\z/ || is_custom($b);
					}
				} elsif (!is_custom($k)) {
					$err->("resources.$k: not a key of the spec");
				}
			}
		}
	}
	return @e;
}

1;
