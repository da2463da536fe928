# Shell helpers shared by the benchmarks under test/bench/; source after
# test/lib/emulator.sh (they read EMULATOR_URL).

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
