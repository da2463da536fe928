#!/usr/bin/env bash
# The whole test suite of modelarts_fdw, from a fresh clone:
#   installs what is missing (Debian 12), builds and installs the extension,
#   builds the emulator (make emulator), starts the emulator and a throwaway
#   PostgreSQL, runs the pg_regress suite and the TAP tests, and ends with
#   one line: "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

test/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
# warnings are errors in development and CI (not in a release build)
export WERROR=-Werror
make -s all emulator WERROR=-Werror >/dev/null &&
  $SUDO make -s install WERROR=-Werror >/dev/null || {
  echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

. test/lib/pg.sh
. test/lib/emulator.sh
. test/lib/regress.sh

work=$(mktemp -d /tmp/modelarts-fdw-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  emulator_stop
  pg_stop "$work/pg"
}
trap cleanup EXIT

# The emulator the regression tests talk to (test/lib/regress.sh), and the
# MODELARTS_* variables they read.
regress_emulator_start "$work" || { echo "0 passed, 1 failed"; exit 1; }

pg_start "$work/pg" "$(free_port)" || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

# pg_regress: SQL files under sql/, expected output under expected/
regress_out=$work/regress.out
make -s installcheck PG_CONFIG="${PG_CONFIG:-pg_config}" 2>&1 | tee "$regress_out"
rp=$(grep -cE '\.\.\. ok' "$regress_out" || true)
rf=$(grep -cE '\.\.\. FAILED' "$regress_out" || true)
if [ "$rp" -eq 0 ] && [ "$rf" -eq 0 ]; then rf=1; fi
[ -f regression.diffs ] && [ "$rf" -gt 0 ] && head -200 regression.diffs
passed=$((passed + rp)); failed=$((failed + rf))
echo "pg_regress: $rp passed, $rf failed"

# TAP: what SQL files cannot do (the emulator itself, cancellation, auth...)
emulator_stop
tap_out=$work/tap.out
perl test/lib/run_tap.pl test/t/*.t 2>&1 | tee "$tap_out"
tp=$(sed -n 's/^TAP: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$tap_out")
tf=$(sed -n 's/^TAP: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$tap_out")
[ -z "$tp" ] && { tp=0; tf=1; }
passed=$((passed + tp)); failed=$((failed + tf))

# the differential suite: the same rows as the data file under each variant
# of the service (one test per variant run)
diff_out=$work/differential.out
bash test/differential.sh 2>&1 | tee "$diff_out"
dp=$(sed -n 's/^differential: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$diff_out")
df=$(sed -n 's/^differential: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$diff_out")
[ -z "$dp" ] && { dp=0; df=1; }
passed=$((passed + dp)); failed=$((failed + df))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
