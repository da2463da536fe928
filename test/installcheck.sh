#!/usr/bin/env bash
# make installcheck (the pg_regress suite, sql/ and expected/) against an
# installed modelarts_fdw, with the emulator the tests talk to:
#
#   test/installcheck.sh [--temp-instance] [MAKE_VARIABLE=VALUE...]
#
# Builds the emulator (make emulator: needs libmicrohttpd-dev), starts it with
# the sample data, the access log and the faults test/run-tests.sh uses
# (test/lib/regress.sh), and runs `make installcheck`:
#   - by default against the running server that libpq's PGHOST, PGPORT and
#     PGUSER name: a superuser, on this machine (the tests read the sample
#     and the emulator's access log with pg_read_file);
#   - with --temp-instance, against a throwaway cluster on a free port
#     (test/lib/pg.sh; as root it runs as "postgres"), stopped afterwards.
# PG_CONFIG chooses the PostgreSQL (default: pg_config in PATH); its
# pg_regress and psql are used, the extension is the one installed in it.
# Exit status: make installcheck's (regression.diffs shown on failure).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

temp=
if [ "${1:-}" = "--temp-instance" ]; then temp=1; shift; fi

PG_CONFIG=${PG_CONFIG:-pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir) || { echo "$0: no pg_config ($PG_CONFIG)" >&2; exit 2; }
export PG_CONFIG PG_BINDIR

. test/lib/pg.sh
. test/lib/emulator.sh
. test/lib/regress.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/modelarts-installcheck.XXXXXX")
chmod 755 "$work"
cleanup() {
  emulator_stop
  [ -n "$temp" ] && pg_stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

emulator_build || exit 1
regress_emulator_start "$work" || { echo "$0: the emulator did not start" >&2; exit 1; }
if [ -n "$temp" ]; then
  pg_start "$work/pg" "$(free_port)" || { echo "$0: cannot start PostgreSQL" >&2; exit 1; }
fi

rm -f regression.diffs
make installcheck PG_CONFIG="$PG_CONFIG" "$@"
rc=$?
if [ $rc -ne 0 ] && [ -f regression.diffs ]; then
  echo "**** regression.diffs ****"
  head -300 regression.diffs
fi
exit $rc
