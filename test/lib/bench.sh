# Shell helpers shared by the benchmarks under test/bench/; source after
# test/lib/pg.sh and test/lib/emulator.sh (they read EMULATOR_URL).

warmup_sql='SELECT count(*) FROM (SELECT * FROM imgs LIMIT 1) s;'
clock_sql='SELECT extract(epoch FROM clock_timestamp());'

now() { date +%s.%N; }
# hwm_mb PID: the process's peak resident memory (VmHWM) in MB
hwm_mb() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
# emu_stat NAME: a counter of /__emulator/stats, or "-" if there is no such field
emu_stat() {
  curl -sf "$EMULATOR_URL/__emulator/stats" |
    sed -n "s/.*[{,]\"$1\": *\([0-9][0-9]*\).*/\1/p" | grep . || echo -
}
emu_reset() { curl -sf -X POST "$EMULATOR_URL/__emulator/reset" >/dev/null; }

# bench_numbers VALUE...: exit 2 unless every VALUE is a whole number
bench_numbers() {
  local v
  for v in "$@"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "$0: not a number: $v" >&2; exit 2; }
  done
}

# bench_start NAME: build the emulator; make the work directory $work
# (/tmp/modelarts-NAME.XXXXXX; TMPDIR points there, so emulator_start's
# directories go with it); start a throwaway cluster in $work/pg and create
# the database "bench" (exported as PGDATABASE); set $project to the
# emulator's project id.  On exit, bench_cleanup stops the psql session in
# $psql_pid (if a script left one running), the emulator and the cluster and
# removes $work.  Needs test/lib/pg.sh and test/lib/emulator.sh.
bench_start() {
  emulator_build || exit 1
  work=$(mktemp -d "/tmp/modelarts-$1.XXXXXX")
  chmod 755 "$work"
  export TMPDIR=$work
  psql_pid=
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  pg_start "$work/pg" "$(free_port)"
  project=$EMULATOR_PROJECT
  export PGDATABASE=bench
  createdb bench
}
bench_cleanup() {
  if [ -n "$psql_pid" ]; then kill "$psql_pid" 2>/dev/null || true; wait "$psql_pid" 2>/dev/null || true; fi
  emulator_stop
  pg_stop "$work/pg"
  rm -rf "$work"
}
