#!/usr/bin/env bash
# Benchmark of full scans through modelarts_fdw against the emulator for
# several values of the server option requests_in_flight (how many page
# requests the FDW keeps in flight at once), at several emulator latencies
# (--latency-ms) and job sizes (one generated job: 20 tags, 10% untagged).
# A benchmark, not a test: it prints figures and asserts nothing.
#
# Run (as root: the throwaway cluster then belongs to "postgres"; the project
# must be built and installed, e.g. make -s && make -s install; the script
# builds the emulator itself, make emulator):
#   test/bench/pipeline_bench.sh [NAME=VALUE...]
# where NAME is one of these (also read from the environment; arguments win):
#   SIZES="20000 100000"   images in the job
#   LATENCIES="0 20"       emulator --latency-ms: delay of every API answer
#   FLIGHTS="1 4 8 16"     requests_in_flight values (the option takes 1..64)
#   CURL_PARALLEL="1 8"    curl --parallel-max values of the transport baseline
#   READ_TIMEOUT=900       seconds to wait for any one query before giving up
# e.g.  test/bench/pipeline_bench.sh SIZES=2000 LATENCIES="0 5" FLIGHTS="1 4"
# The default run should take about two minutes, most of it at 20 ms with
# in_flight=1 and curl:1 (about 1,000 sequential requests each at 100,000).
#
# One table; for each size and latency, one row per in_flight value, then
# the curl baseline rows.  Columns:
#   latency_ms     the emulator's --latency-ms
#   images         images in the job
#   in_flight      requests_in_flight of the scan; "curl:K" on a baseline row:
#                  the same page URLs as the FDW's scan requested (from the
#                  emulator's access log), fetched by
#                  curl -s --parallel --parallel-max K -K urls (one process,
#                  its connections kept alive), a transport reference
#   rows           rows of SELECT count(*), sum(length(image_id)) FROM imgs
#                  (one row per image and tag, every page fetched, a column
#                  converted)
#   requests       the emulator's "images" request counter for the scan
#                  (POST /__emulator/reset just before it)
#   seconds        the scan by the server clock (clock_timestamp() before and
#                  after, in the same session), after a one-row warm-up
#                  query in that session, so the session's first request,
#                  library load and catalog lookups are not in it; on a curl
#                  row the wall time of the curl process
#   floor_s        requests x latency: what strictly sequential requests
#                  cannot beat ("-" at 0 ms)
#   ratio          seconds / floor_s: below 1 only when requests overlap
#                  ("-" at 0 ms)
#   speedup        seconds of in_flight=1 (of curl:1 on a curl row) of the
#                  same size and latency / seconds ("-" without that row)
#   max_in_flight  the most requests the emulator served at once during the
#                  scan ("max_in_flight" of /__emulator/stats; "-" if the
#                  emulator does not report it)
#   hwm_mb         the backend's peak resident memory (VmHWM, /proc) after
#                  the scan; every row has a fresh backend (its own psql
#                  session), so this is per configuration
#   hwm_grow_mb    hwm_mb minus VmHWM after the warm-up: what the scan added
# A row of "n/a" means the server refused requests_in_flight with that value
# (e.g. a build without the option); the reason is printed on stderr once.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

. test/lib/pg.sh
. test/lib/emulator.sh
. test/lib/bench.sh
bench_args "SIZES LATENCIES FLIGHTS CURL_PARALLEL READ_TIMEOUT" "$@"
read -r -a sizes <<<"${SIZES:-20000 100000}"
read -r -a latencies <<<"${LATENCIES:-0 20}"
read -r -a flights <<<"${FLIGHTS:-1 4 8 16}"
read -r -a curl_ks <<<"${CURL_PARALLEL:-1 8}"
timeout=${READ_TIMEOUT:-900}
bench_numbers "${sizes[@]}" "${latencies[@]}" "${flights[@]}" "${curl_ks[@]}" "$timeout"
bench_start pipeline-bench
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION modelarts_fdw;
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://127.0.0.1:1', project_id '$project');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE imgs (image_id text, image_name text, url text, tag_name text,
  width int, height int, create_time timestamptz)
  SERVER ma OPTIONS (data_annotation_id '1');
SQL

scan_sql='SELECT count(*), sum(length(image_id)) FROM imgs;'

# set_flight K: give the server requests_in_flight K (ADD the first time,
# SET afterwards); fails, with the reason in $work/alter.err, if refused
set_flight() {
  local verb=ADD
  if [ -n "$(psql -X -q -A -t -c "SELECT 1 FROM pg_foreign_server, unnest(srvoptions) o
             WHERE srvname = 'ma' AND o LIKE 'requests_in_flight=%'")" ]; then
    verb=SET
  fi
  psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SERVER ma OPTIONS ($verb requests_in_flight '$1')" \
    >/dev/null 2>"$work/alter.err"
}

# q SQL: send one statement to the open session, its one-line answer in $ans
q() {
  printf '%s\n' "$1" >&"$p_out" || return 1
  IFS= read -r -t "$timeout" ans <&"$p_in" || return 1
}

# measure: one scan in a fresh session; sets rows requests secs maxf hwm grow
# and the access-log range [log0, log1) of the scan.  Fails if a query fails.
measure() {
  local ok=1 bpid t0 t1 hwm0
  # the session: psql between two FIFOs (it stops at the first error, so a
  # failed query ends the answers: read sees end of file)
  rm -f "$work/to_psql" "$work/from_psql"
  mkfifo "$work/to_psql" "$work/from_psql"
  psql -X -q -A -t -v ON_ERROR_STOP=1 <"$work/to_psql" >"$work/from_psql" &
  psql_pid=$!
  exec {p_out}>"$work/to_psql" {p_in}<"$work/from_psql"
  {
    q 'SELECT pg_backend_pid();' && bpid=$ans &&
      q "$warmup_sql" && hwm0=$(hwm_mb "$bpid") &&
      emu_reset && log0=$(wc -l <"$work/access.log") &&
      q "$clock_sql" && t0=$ans &&
      q "$scan_sql" && rows=${ans%%|*} &&
      q "$clock_sql" && t1=$ans &&
      log1=$(wc -l <"$work/access.log") &&
      hwm=$(hwm_mb "$bpid") &&
      requests=$(emu_stat images) && maxf=$(emu_stat max_in_flight)
  } || ok=0
  exec {p_out}>&- {p_in}<&-
  if [ $ok -eq 0 ]; then kill "$psql_pid" 2>/dev/null || true; fi
  wait "$psql_pid" 2>/dev/null || true
  psql_pid=
  [ $ok -eq 1 ] || return 1
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  grow=$(awk -v a="$hwm0" -v b="$hwm" 'BEGIN {printf "%.1f", b - a}')
}

fmt='%10s %7s %9s %9s %8s %8s %7s %6s %7s %13s %7s %11s\n'
# row LAT N LABEL ROWS REQUESTS SECS BASE_SECS MAXF HWM GROW
row() {
  awk -v lat="$1" -v n="$2" -v label="$3" -v rows="$4" -v req="$5" -v s="$6" \
      -v base="$7" -v maxf="$8" -v hwm="$9" -v grow="${10}" -v fmt="$fmt" 'BEGIN {
    fl = "-"; ratio = "-"; sp = "-";
    if (lat > 0) { f = req * lat / 1000; fl = sprintf("%.2f", f);
                   if (f > 0) ratio = sprintf("%.2f", s / f); }
    if (base != "-" && s > 0) sp = sprintf("%.2f", base / s);
    printf fmt, lat, n, label, rows, req, sprintf("%.3f", s), fl, ratio, sp, maxf, hwm, grow }'
}

printf "$fmt" latency_ms images in_flight rows requests seconds floor_s ratio speedup \
  max_in_flight hwm_mb hwm_grow_mb
refused_said=0
for n in "${sizes[@]}"; do
  for lat in "${latencies[@]}"; do
    emulator_start --generate "seed=1,jobs=1,images=$n,tags=20,untagged=0.1" \
      --latency-ms "$lat" --access-log "$work/access.log"
    psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SERVER ma OPTIONS (SET endpoint '$EMULATOR_URL')"
    lines=()          # the group's rows, printed once in_flight=1 is known
    base=-
    urls_from=        # access-log range of the group's first scan
    for k in "${flights[@]}"; do
      if ! set_flight "$k"; then
        if [ $refused_said -eq 0 ]; then
          echo "requests_in_flight refused: $(head -n1 "$work/alter.err")" >&2
          refused_said=1
        fi
        lines+=("$(printf "$fmt" "$lat" "$n" "$k" n/a n/a n/a n/a n/a n/a n/a n/a n/a)")
        continue
      fi
      if ! measure; then
        echo "scan failed: latency $lat ms, $n images, in_flight $k" >&2
        lines+=("$(printf "$fmt" "$lat" "$n" "$k" error - - - - - - - -)")
        continue
      fi
      [ "$k" = 1 ] && base=$secs
      [ -z "$urls_from" ] && urls_from="$log0 $log1"
      lines+=("$k $rows $requests $secs $maxf $hwm $grow")
    done
    for l in "${lines[@]}"; do
      if [[ $l == *n/a* || $l == *error* ]]; then
        printf '%s\n' "$l"
      else
        read -r k rows requests secs maxf hwm grow <<<"$l"
        row "$lat" "$n" "$k" "$rows" "$requests" "$secs" "$base" "$maxf" "$hwm" "$grow"
      fi
    done

    # the transport baseline: the pages of the first scan, or, with no scan
    # done, every page of the tagged then the untagged stream (per_page=100)
    urls=$work/urls
    : >"$urls"
    if [ -n "$urls_from" ]; then
      read -r a b <<<"$urls_from"
      awk -v a="$a" -v b="$b" -v u="$EMULATOR_URL" \
        'NR > a && NR <= b && $1 == "GET" && $2 ~ /\/images\?/ {
           printf "url = \"%s%s\"\noutput = /dev/null\n", u, $2 }' "$work/access.log" >>"$urls"
    else
      for tag in "" "tag_name=__none__&"; do
        cnt=$(curl -sf "$EMULATOR_URL/v1/$project/data-annotations/1/images?${tag}per_page=1&page=1" |
          sed -n 's/.*"image_count": *\([0-9]*\).*/\1/p')
        for ((p = 1; p <= (cnt + 99) / 100; p++)); do
          printf 'url = "%s"\noutput = /dev/null\n' \
            "$EMULATOR_URL/v1/$project/data-annotations/1/images?${tag}per_page=100&page=$p" >>"$urls"
        done
      done
    fi
    cbase=-
    for c in "${curl_ks[@]}"; do
      emu_reset
      c0=$(now)
      if ! curl -sS --no-progress-meter --parallel --parallel-max "$c" -K "$urls" 2>"$work/curl.err"; then
        echo "curl failed: latency $lat ms, $n images, --parallel-max $c: $(head -n1 "$work/curl.err")" >&2
        printf "$fmt" "$lat" "$n" "curl:$c" - error - - - - - - -
        continue
      fi
      c1=$(now)
      secs=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.3f", b - a}')
      [ "$c" = 1 ] && cbase=$secs
      row "$lat" "$n" "curl:$c" - "$(emu_stat images)" "$secs" "$cbase" "$(emu_stat max_in_flight)" - -
    done
    emulator_stop
  done
done
