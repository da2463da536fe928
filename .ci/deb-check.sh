#!/usr/bin/env bash
# CI part (b): the Debian package built by part (a), installed into the
# system, the regression suite against it, removed.  Run as root, after
# test/install-deps.sh (the emulator's libraries are needed now):
#   .ci/deb-check.sh OUTDIR        (OUTDIR holds postgresql-*-modelarts-fdw_*.deb)
# Files of the package that were already there and belong to no package
# (a `make install`) are kept aside and put back after the removal.
# The regression suite runs as the autopkgtest does (debian/tests/installcheck:
# a throwaway cluster per installed version, the emulator), in a copy of the
# tree; each pg_regress test is one check.
# Last line: "deb: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh
out=${1:?usage: $0 OUTDIR}

debs=$(ls "$out"/postgresql-*-modelarts-fdw_*.deb 2>/dev/null)
if [ -z "$debs" ]; then
  echo "no package in $out"
  echo "deb: 0 passed, 1 failed"
  exit 1
fi
pkgs=$(for d in $debs; do dpkg-deb -f "$d" Package; done)

# what a make install left where the package goes
: >"$out/preexisting.list"
for d in $debs; do
  dpkg-deb -c "$d" | awk '{print $6}' | sed 's/^\.//' | while read -r f; do
    if [ -f "$f" ] && ! dpkg -S "$f" >/dev/null 2>&1; then echo "$f"; fi
  done
done >"$out/preexisting.list"
[ -s "$out/preexisting.list" ] &&
  tar -cpf "$out/preexisting.tar" -T "$out/preexisting.list" 2>/dev/null

installed=
restore() {
  if [ -n "$installed" ]; then
    dpkg -r $pkgs >/dev/null 2>&1
    installed=
  fi
  if [ -s "$out/preexisting.list" ]; then tar -xpf "$out/preexisting.tar" -C /; fi
}
trap restore EXIT

check "apt-get install of the .deb (with its dependencies)" \
  bash -c "apt-get install -y -q --no-install-recommends $(printf '%s ' $debs) >'$out/apt-install.log' 2>&1 ||
           { tail -30 '$out/apt-install.log'; false; }"
installed=1
for p in $pkgs; do
  v=$(echo "$p" | sed -n 's/^postgresql-\([0-9]*\)-modelarts-fdw$/\1/p')
  lib=/usr/lib/postgresql/$v/lib/modelarts_fdw.so
  check "$lib is $p's, unmodified (dpkg --verify)" \
    bash -c "dpkg -S '$lib' | grep -q '^$p: ' && [ -z \"\$(dpkg --verify $p)\" ]"
done

# the autopkgtest, in a copy of the tree (it builds the emulator there)
src=$out/src-test
copy_tree "$src"
(cd "$src" && env -u PG_CONFIG -u PG_BINDIR debian/tests/installcheck) 2>&1 | tee "$out/installcheck.log"
rc=${PIPESTATUS[0]}
rp=$(grep -cE '\.\.\. ok' "$out/installcheck.log" || true)
rf=$(grep -cE '\.\.\. FAILED' "$out/installcheck.log" || true)
if [ "$rc" -ne 0 ] && [ "$rf" -eq 0 ]; then rf=1; fi
if [ "$rp" -eq 0 ] && [ "$rf" -eq 0 ]; then rf=1; fi
echo "pg_regress against the package: $rp passed, $rf failed"
ci_passed=$((ci_passed + rp)); ci_failed=$((ci_failed + rf))

dpkg -r $pkgs >"$out/dpkg-remove.log" 2>&1
installed=
check "dpkg -r removes the package and its files" \
  bash -c "! dpkg-deb -c $(printf '%s ' $debs) | awk '{print \$6}' | sed 's/^\.//' |
             while read -r f; do [ -f \"\$f\" ] && echo \"left: \$f\"; done | grep ."
restore
trap - EXIT

echo "deb: $ci_passed passed, $ci_failed failed"
