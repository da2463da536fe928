#!/usr/bin/env bash
# CI part (a): the extension and its Debian package without the emulator's
# libraries.  Run as root after only debian/control's Build-Depends and
# PostgreSQL 15 were installed (`test/install-deps.sh build`, `apt-get
# build-dep ./`):
#   .ci/extension-only.sh OUTDIR
#   .ci/extension-only.sh --hide-libmicrohttpd OUTDIR   (in a private mount
#       namespace, `unshare -m`: on a machine that has libmicrohttpd-dev,
#       its header, pkg-config file and libraries are hidden by bind mounts
#       in this namespace only, so that the build fails if it uses them)
# Checks: libmicrohttpd-dev absent (or hidden); make && make install in a
# copy of the tree, no emulator built; CREATE EXTENSION in a throwaway
# cluster; dpkg-buildpackage -us -uc -b in another copy, the .debs into
# OUTDIR.  Last line: "extension-only: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. .ci/lib.sh

hide=
if [ "${1:-}" = "--hide-libmicrohttpd" ]; then hide=1; shift; fi
out=${1:?usage: $0 [--hide-libmicrohttpd] OUTDIR}

if [ -n "$hide" ]; then
  # a header that stops any compilation including it, and libraries and a
  # pkg-config file that are not
  printf '#error "libmicrohttpd-dev is hidden for this build"\n' >"$out/hidden.h"
  : >"$out/hidden.empty"
  for f in $(dpkg -L libmicrohttpd-dev); do
    [ -f "$f" ] || continue
    case $f in
      *.h) mount --bind "$out/hidden.h" "$f" ;;
      *.pc|*.a|*.so|*.so.*) mount --bind "$out/hidden.empty" "$f" ;;
    esac
  done
  echo "libmicrohttpd-dev's files are hidden in this mount namespace"
else
  check "libmicrohttpd-dev is not installed" \
    bash -c '! dpkg-query -W -f="\${Status}" libmicrohttpd-dev 2>/dev/null | grep -q "install ok installed"'
fi
check "no usable libmicrohttpd: its header does not compile, pkg-config does not find it" \
  bash -c '! printf "#include <microhttpd.h>\nint main(void){return 0;}\n" | cc -x c -fsyntax-only - 2>/dev/null &&
           ! pkg-config --cflags libmicrohttpd >/dev/null 2>&1'

PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
PG_BINDIR=$("$PG_CONFIG" --bindir)
export PG_BINDIR
echo "PostgreSQL: $("$PG_CONFIG" --version) ($PG_CONFIG)"

# make && make install, as a DBA would, in a copy of the tree
src=$out/src-make
copy_tree "$src"
check "make builds the extension" make -C "$src" -s WERROR=-Werror
check "make builds no emulator" \
  bash -c "[ ! -e '$src/test/emulator/modelarts-emulator' ] && ! ls '$src'/test/emulator/*.o >/dev/null 2>&1"
check "make install installs it" make -C "$src" -s install WERROR=-Werror

. test/lib/pg.sh
pg_start "$out/pg" "$(free_port)" >/dev/null
check "CREATE EXTENSION modelarts_fdw (the library loads)" \
  bash -c 'v=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres \
             -c "CREATE EXTENSION modelarts_fdw" \
             -c "SELECT extversion FROM pg_extension WHERE extname = '\''modelarts_fdw'\''") &&
           echo "extversion $v" && [ "$v" = "$(sed -n "s/^EXTVERSION = //p" Makefile)" ]'
pg_stop "$out/pg"

# the Debian package (pg_buildext), in another copy
deb=$out/src-deb
copy_tree "$deb/modelarts-fdw"
check "dpkg-buildpackage -us -uc -b builds the package" \
  bash -c "cd '$deb/modelarts-fdw' && dpkg-buildpackage -us -uc -b >'$out/dpkg-buildpackage.log' 2>&1 ||
           { tail -50 '$out/dpkg-buildpackage.log'; false; }"
cp "$deb"/*.deb "$out"/ 2>/dev/null
for v in $(cd "$deb/modelarts-fdw" && pg_buildext supported-versions); do
  check "postgresql-$v-modelarts-fdw holds the library, the control file and the SQL script" \
    bash -c "c=\$(dpkg-deb -c '$out'/postgresql-$v-modelarts-fdw_*_*.deb) &&
             grep -q ' ./usr/lib/postgresql/$v/lib/modelarts_fdw.so\$' <<<\"\$c\" &&
             grep -q ' ./usr/share/postgresql/$v/extension/modelarts_fdw.control\$' <<<\"\$c\" &&
             grep -q ' ./usr/share/postgresql/$v/extension/modelarts_fdw--.*\\.sql\$' <<<\"\$c\""
done

echo "extension-only: $ci_passed passed, $ci_failed failed"
