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

# bench_args [--bare-sizes] "NAME..." ARG...: a benchmark's arguments.  -h or
# --help first: print the script's header comment (line 2 to "set -e") and
# exit 0; NAME=VALUE, NAME one of the NAMEs: set NAME; with --bare-sizes, a
# bare number is one of the SIZES (they replace SIZES=); anything else: print
# the usage and exit 2.
bench_args() {
  local bare_sizes= names arg name usage="usage: $0" bare=()
  if [ "${1:-}" = --bare-sizes ]; then bare_sizes=1; shift; fi
  names=$1
  shift
  for name in $names; do usage+=" [$name=...]"; done
  case "${1:-}" in -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
  for arg in "$@"; do
    name=${arg%%=*}
    if [[ $arg == *=* && " $names " == *" $name "* ]]; then
      printf -v "$name" '%s' "${arg#*=}"
    elif [ -n "$bare_sizes" ] && [[ $arg == [0-9]* ]]; then
      bare+=("$arg")
    else
      echo "$usage" >&2
      exit 2
    fi
  done
  if [ ${#bare[@]} -gt 0 ]; then SIZES="${bare[*]}"; fi
}

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
