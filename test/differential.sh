#!/usr/bin/env bash
# The differential suite: the FDW's rows against the emulator under each
# variant of the service, compared with local tables built from the same
# data file (test/differential.sql, which compare.sql's approach extends to
# every table, four server configurations and IMPORT FOREIGN SCHEMA).
#
#   test/differential.sh [RUN...]     RUN: a name below; default: all of them
#
# Runs: "contract" (no variant, the control), each variant that changes
# answers alone (no-totals, page-totals, listing-offset-0, repeat-past-end,
# size-detection-only, string-fields), and all compatible variants at once,
# twice since no-totals and page-totals exclude each other ("all-no-totals",
# "all-page-totals", with gateway-errors and modern-codes too, which change
# only error answers).  Each run starts an emulator with the sample data and
# --variant, makes a fresh database with the extension, runs the queries and
# prints "rows differ: N" with the checks that differ or fail.  A run is one
# test: passed when no row differs and no query fails.  The last line is
#   differential: N passed, N failed
#
# It uses the PostgreSQL that PGHOST/PGPORT/PGUSER point at when psql can
# reach it (test/run-tests.sh's), with modelarts_fdw installed; otherwise it
# starts a throwaway cluster of its own (test/lib/pg.sh; the extension must
# be installed: make install).  It builds the emulator (make emulator).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

. test/lib/emulator.sh
. test/lib/pg.sh

declare -A RUN_VARIANTS=(
  [contract]=""
  [no-totals]="no-totals"
  [page-totals]="page-totals"
  [listing-offset-0]="listing-offset-0"
  [repeat-past-end]="repeat-past-end"
  [size-detection-only]="size-detection-only"
  [string-fields]="string-fields"
  [all-no-totals]="no-totals,listing-offset-0,repeat-past-end,size-detection-only,string-fields,gateway-errors,modern-codes"
  [all-page-totals]="page-totals,listing-offset-0,repeat-past-end,size-detection-only,string-fields,gateway-errors,modern-codes"
)
ORDER=(contract no-totals page-totals listing-offset-0 repeat-past-end
  size-detection-only string-fields all-no-totals all-page-totals)

runs=("$@")
[ ${#runs[@]} -eq 0 ] && runs=("${ORDER[@]}")
for r in "${runs[@]}"; do
  if [ -z "${RUN_VARIANTS[$r]+set}" ]; then
    echo "differential.sh: unknown run \"$r\" (valid: ${ORDER[*]})" >&2
    echo "differential: 0 passed, 1 failed"
    exit 2
  fi
done

work=$(mktemp -d /tmp/modelarts-differential.XXXXXX)
chmod 755 "$work"
own_pg=
cleanup() {
  emulator_stop
  [ -n "$own_pg" ] && pg_stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

fail_all() {
  echo "differential.sh: $1" >&2
  echo "differential: 0 passed, ${#runs[@]} failed"
  exit 1
}

if ! psql -X -q -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
  own_pg=1
  pg_start "$work/pg" "$(free_port)" >&2 || fail_all "cannot start PostgreSQL"
fi
emulator_build || fail_all "the emulator does not build: make emulator"
avail=$(psql -X -q -A -t -d postgres -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'modelarts_fdw'" 2>&1)
[ "$avail" = 1 ] || fail_all "modelarts_fdw is not installed in this PostgreSQL: make install"

# the server reads the sample with pg_read_file: a copy it can reach
cp test/data/sample.json "$work/sample.json"
chmod 644 "$work/sample.json"

passed=0
failed=0
for r in "${runs[@]}"; do
  v=${RUN_VARIANTS[$r]}
  db="differential_${r//-/_}"
  out=$work/$r.out
  err=$work/$r.err
  args=(--data "$work/sample.json")
  [ -n "$v" ] && args+=(--variant "$v")
  ok=
  if ! emulator_start "${args[@]}" 2>"$err"; then
    summary="the emulator did not start: $(head -c 300 "$err")"
  else
    dropdb --if-exists "$db" >/dev/null 2>&1
    if ! createdb "$db" 2>"$err" ||
       ! psql -X -q -d "$db" -c 'CREATE EXTENSION modelarts_fdw' >/dev/null 2>>"$err"; then
      summary="cannot create the database: $(head -c 300 "$err")"
    elif ! psql -X -q -d "$db" -v endpoint="$EMULATOR_URL" -v sample="$work/sample.json" \
           -v variants="$v" -f test/differential.sql >"$out" 2>"$err"; then
      summary="the queries stopped: $(grep -m1 ERROR "$err" || head -c 300 "$err")"
    else
      summary=$(grep '^checks: ' "$out" | tail -n1)
      differ=$(sed -n 's/.*rows differ: \([0-9]*\),.*/\1/p' <<<"$summary")
      errors=$(sed -n 's/.*query errors: \([0-9]*\)$/\1/p' <<<"$summary")
      [ "${differ:-x}" = 0 ] && [ "${errors:-x}" = 0 ] && ok=1
    fi
    emulator_stop
    dropdb --if-exists "$db" >/dev/null 2>&1
  fi
  if [ -n "$ok" ]; then
    passed=$((passed + 1))
    echo "differential $r${v:+ (--variant $v)}: ok: $summary"
  else
    failed=$((failed + 1))
    echo "differential $r${v:+ (--variant $v)}: FAILED: $summary"
    # the checks that differ or fail, at most 40 lines
    [ -f "$out" ] && grep -v '^checks: ' "$out" | head -n 40 | sed 's/^/    /'
  fi
done

echo "differential: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
