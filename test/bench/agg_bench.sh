#!/usr/bin/env bash
# Benchmark of aggregate pushdown: SELECT tag_name, count(*) ... GROUP BY
# tag_name over one generated classification job (20 tags, 10% untagged),
# answered from tags/stats (pushed) and computed locally over a scan of every
# page (modelarts_fdw.enable_aggregate_pushdown = off).
# A benchmark, not a test: it prints figures and asserts nothing (but it
# says so when the two answers differ).
#
# Run (as root: the throwaway cluster then belongs to "postgres"; the project
# must be built and installed, e.g. make -s && make -s install; the script
# builds the emulator itself, make emulator):
#   test/bench/agg_bench.sh [NAME=VALUE...]
# where NAME is one of (also read from the environment; arguments win):
#   SIZES="100000"        images in the job
#   LATENCIES="0 20"      emulator --latency-ms: delay of every API answer
#   READ_TIMEOUT=900      seconds to wait for any one session
#
# One row per size, latency, mode and run.  Columns:
#   latency_ms   the emulator's --latency-ms
#   images       images in the job
#   mode         pushed, or local (the GUC off)
#   run          cold: a new session, the planner's cache empty, so its
#                plan-time calls (tags/stats, and the job call that tells a
#                classification job) are in the figures; warm: the same
#                query again in that session, within estimate_cache_seconds
#   groups       rows of the answer (tags, plus the untagged group)
#   rows         the sum of the counts: the rows of the job
#   requests     API requests the emulator served for the query (planning
#                included), from /__emulator/stats reset just before it
#   images_req   ... of which images pages (and job calls, per_page=1)
#   stats_req    ... of which tags/stats
#   seconds      the query by the server clock (clock_timestamp() before and
#                after, in the same session), planning included
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

. test/lib/pg.sh
. test/lib/emulator.sh
. test/lib/bench.sh
bench_args "SIZES LATENCIES READ_TIMEOUT" "$@"
read -r -a sizes <<<"${SIZES:-100000}"
read -r -a latencies <<<"${LATENCIES:-0 20}"
timeout=${READ_TIMEOUT:-900}
bench_numbers "${sizes[@]}" "${latencies[@]}" "$timeout"
bench_start agg-bench
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION modelarts_fdw;
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://127.0.0.1:1', project_id '$project');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE imgs (data_annotation_id bigint, image_id text, tag_name text)
  SERVER ma OPTIONS (data_annotation_id '1');
SQL

query='SELECT tag_name, count(*) AS n FROM imgs GROUP BY tag_name'

# session MODE: one psql session, the query twice (cold, warm), each after
# resetting the emulator's counters; prints, per run, the clock, "groups
# rows md5-of-the-answer", the clock; then the plan
session() {
  local guc=on
  [ "$1" = local ] && guc=off
  timeout "$timeout" psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 <<SQL >"$work/session.out"
SET modelarts_fdw.enable_aggregate_pushdown = $guc;
\\! curl -sf -X POST $EMULATOR_URL/__emulator/reset >/dev/null
$clock_sql
SELECT count(*), sum(n), md5(string_agg(coalesce(tag_name, '-') || '=' || n, ',' ORDER BY tag_name, n)) FROM ($query) s;
$clock_sql
\\! curl -sf $EMULATOR_URL/__emulator/stats >$work/stats1.json
\\! curl -sf -X POST $EMULATOR_URL/__emulator/reset >/dev/null
$clock_sql
SELECT count(*), sum(n), md5(string_agg(coalesce(tag_name, '-') || '=' || n, ',' ORDER BY tag_name, n)) FROM ($query) s;
$clock_sql
\\! curl -sf $EMULATOR_URL/__emulator/stats >$work/stats2.json
EXPLAIN (COSTS OFF) $query;
SQL
}

# stat FILE NAME: a counter of a saved /__emulator/stats answer
stat() { sed -n "s/.*[{,]\"$2\": *\([0-9][0-9]*\).*/\1/p" "$1" | grep . || echo -; }

fmt='%10s %7s %7s %5s %7s %8s %9s %10s %9s %8s\n'
printf "$fmt" latency_ms images mode run groups rows requests images_req stats_req seconds
for n in "${sizes[@]}"; do
  for lat in "${latencies[@]}"; do
    emulator_start --generate "seed=1,jobs=1,images=$n,tags=20,untagged=0.1" \
      --latency-ms "$lat"
    psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SERVER ma OPTIONS (SET endpoint '$EMULATOR_URL')"
    answers=()
    for mode in pushed local; do
      if ! session "$mode"; then
        echo "session failed: $mode, latency $lat ms, $n images" >&2
        continue
      fi
      mapfile -t out <"$work/session.out"
      # out: t0, "groups rows md5", t1, t0, "groups rows md5", t1, plan...
      plan=${out[6]}
      case "$mode:$plan" in
        pushed:"Foreign Scan"*) ;;
        local:*Aggregate*) ;;
        *) echo "$mode: unexpected plan: $plan" >&2 ;;
      esac
      for r in 0 1; do
        t0=${out[$((r * 3))]}
        read -r groups rows sum <<<"${out[$((r * 3 + 1))]}"
        t1=${out[$((r * 3 + 2))]}
        f=$work/stats$((r + 1)).json
        secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
        printf "$fmt" "$lat" "$n" "$mode" "$([ $r = 0 ] && echo cold || echo warm)" \
          "$groups" "$rows" "$(stat "$f" total)" "$(stat "$f" images)" \
          "$(stat "$f" tags_stats)" "$secs"
        answers+=("$groups $rows $sum")
      done
    done
    if [ "${#answers[@]}" -eq 4 ] && [ "$(printf '%s\n' "${answers[@]}" | sort -u | wc -l)" -ne 1 ]; then
      echo "the answers differ: ${answers[*]}" >&2
    fi
    emulator_stop
  done
done
