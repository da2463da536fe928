#!/usr/bin/env bash
# Benchmark of full scans through modelarts_fdw against the emulator (no
# latency: the backend's CPU decides), compared with curl fetching the very
# same pages.  One generated job per size (--generate
# seed=1,jobs=1,images=N,tags=20,untagged=0.1).  A benchmark, not a test: it
# prints figures and asserts nothing.
#
# Run (as root: the throwaway cluster then belongs to "postgres"; the project
# must be built and installed, e.g. make -s && make -s install; the script
# builds the emulator itself, make emulator):
#   test/bench/fdw_bench.sh [NAME=VALUE...]
# where NAME is one of these (also read from the environment; arguments win):
#   SIZES="10000 100000 1000000"  images in the job (one job per size)
#   IN_FLIGHT=8        the server option requests_in_flight (set explicitly;
#                      8 is its default), and K of the curl:K floor
#   RUNS=5             runs of every measurement; the best one is reported
#   READ_TIMEOUT=900   seconds to wait for any one query before giving up
# e.g.  test/bench/fdw_bench.sh SIZES=2000
# (bare numbers are taken as SIZES too: test/bench/fdw_bench.sh 2000 20000)
# The default run takes a few minutes, most of it at 1,000,000 images.
#
# The foreign table declares image_id, image_name, url, tag_name (text),
# width, height (int), create_time (timestamptz) and annotations (jsonb).
# The FDW's queries, each a full scan (one row per image and tag):
#   count(*)  SELECT count(*) FROM imgs
#             -- no column converted
#   4 cols    SELECT count(image_id), count(tag_name), count(width),
#             count(height) FROM imgs
#   8 cols    SELECT count(image_id), count(image_name), count(url),
#             count(tag_name), count(width), count(height),
#             count(create_time), count(annotations) FROM imgs
# (count(col) is not flattened away as count(*) over a subquery is: the
# column must be converted to be counted.)  Before the table, on stderr:
#   Column probe   proof of what each query converts, on a 200-image job:
#                  for each column a table where that column alone has a
#                  domain refusing every value (CHECK (VALUE IS NULL)); a
#                  query fails on it iff the FDW converts the column.  A
#                  WARNING for any column converted or not against the list.
#   EXPLAIN VERBOSE  the Aggregate's and the Foreign Scan's "Output:" of
#                  each query (at the first size).  The scan's Output is the
#                  planner's physical target list, every declared column even
#                  under count(*), so it cannot tell; the FDW converts the
#                  columns of the scan's reltarget, those the Aggregate reads
#                  (a WARNING if one is missing there).
#
# One table; per size two curl rows, then one row per query.  Columns:
#   images     images in the job
#   what       curl:1   the page URLs the FDW's first scan of that size
#                       requested (from the emulator's --access-log), fetched
#                       by curl -s -K urls: sequentially, one keep-alive
#                       connection
#              curl:K   the same, curl -s --parallel --parallel-max K -K urls
#                       (K = IN_FLIGHT): the FDW's concurrency, THE floor
#              a query name above: the FDW
#   rows       rows the query counted (count(*) / count(image_id)); "-" for
#              curl
#   requests   the emulator's "images" request counter for the scan or the
#              curl run (/__emulator/stats, reset just before it)
#   best_s     seconds, the best of RUNS runs.  FDW: by the server clock
#              (clock_timestamp() before and after, in the same session),
#              in a fresh session that first ran a one-row warm-up query
#              (SELECT count(*) FROM (SELECT * FROM imgs LIMIT 1) s), so the
#              session's first request, library load and catalog lookups
#              are not in it.  curl: the wall time of the curl process minus
#              curl's start (printed once, "# curl times": the best of 5
#              runs of curl -K with one tiny request), so neither side
#              counts its process or session start
#   worst_s    the worst of the RUNS runs: the spread
#   ratio      best_s / best_s of curl:K of the same size (curl:K is 1.00;
#              curl:1 shows what K connections gain curl)
#   vs_curl1   best_s / best_s of curl:1: against curl fetching the same
#              pages one at a time over one connection (the baseline of the
#              issue "The CPU path")
#   rows/s     rows / best_s (FDW rows)
#   hwm1_mb    the backend's peak resident memory (VmHWM, /proc) after the
#              one-row warm-up query
#   hwm_mb     its peak after the query; flat memory keeps it near hwm1_mb
#              (both from the run whose hwm_mb is the largest)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

. test/lib/pg.sh
. test/lib/emulator.sh
. test/lib/bench.sh
bench_args --bare-sizes "SIZES IN_FLIGHT RUNS READ_TIMEOUT" "$@"
read -r -a sizes <<<"${SIZES:-10000 100000 1000000}"
in_flight=${IN_FLIGHT:-8}
runs=${RUNS:-5}
timeout=${READ_TIMEOUT:-900}

bench_numbers "${sizes[@]}" "$in_flight" "$runs" "$timeout"
[ "$runs" -ge 1 ] || { echo "$0: RUNS must be at least 1" >&2; exit 2; }
bench_start fdw-bench
if ! psql -X -q -v ON_ERROR_STOP=1 2>"$work/setup.err" <<SQL
CREATE EXTENSION modelarts_fdw;
-- use_remote_estimate off: this measures scans, and count(*) of a
-- classification job would be answered from tags/stats (see agg_bench.sh)
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://127.0.0.1:1', project_id '$project',
           requests_in_flight '$in_flight', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE imgs (image_id text, image_name text, url text, tag_name text,
  width int, height int, create_time timestamptz, annotations jsonb)
  SERVER ma OPTIONS (data_annotation_id '1');
SQL
then
  echo "$0: setup failed: $(cat "$work/setup.err")" >&2
  exit 1
fi

names=("count(*)" "4 cols" "8 cols")
queries=(
  'SELECT count(*) FROM imgs'
  'SELECT count(image_id), count(tag_name), count(width), count(height) FROM imgs'
  'SELECT count(image_id), count(image_name), count(url), count(tag_name), count(width), count(height), count(create_time), count(annotations) FROM imgs'
)
# the columns each query's Foreign Scan must output
want=(
  ''
  'image_id tag_name width height'
  'image_id image_name url tag_name width height create_time annotations'
)
. test/lib/bench.sh

# check_plans: on stderr, for each query, the Output of EXPLAIN VERBOSE's
# Aggregate and Foreign Scan; a WARNING for each column the query should
# convert that the Aggregate does not read.  (The Foreign Scan's Output is
# the planner's physical target list, every declared column even under
# count(*); the FDW converts the columns of the scan's reltarget, the ones
# the Aggregate reads.)
check_plans() {
  local i out agg scan c missing
  echo "EXPLAIN VERBOSE (the scan's Output is the physical target list; the FDW converts the columns the Aggregate reads):" >&2
  for i in "${!queries[@]}"; do
    if ! out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -c "EXPLAIN (VERBOSE, COSTS OFF) ${queries[$i]}" 2>&1); then
      echo "  ${names[$i]}: EXPLAIN failed: $out" >&2
      continue
    fi
    # the first Output line (the Aggregate's), and the one under Foreign Scan
    agg=$(awk '/Output:/ {sub(/^ *Output: */, ""); print; exit}' <<<"$out")
    scan=$(awk '/Foreign Scan/ {f = 1; next} f && /Output:/ {sub(/^ *Output: */, ""); print; exit}' <<<"$out")
    printf '  %-9s Aggregate Output: %s\n  %-9s Foreign Scan Output: %s\n' \
      "${names[$i]}" "${agg:-(none)}" "" "${scan:-(none)}" >&2
    [[ $out == *"Foreign Scan"* ]] || echo "WARNING: ${names[$i]}: no Foreign Scan in the plan" >&2
    missing=
    for c in ${want[$i]}; do
      [[ $agg == *"count(imgs.$c)"* || $agg == *"count($c)"* ]] || missing+=" $c"
    done
    [ -z "$missing" ] || echo "WARNING: ${names[$i]}: the Aggregate does not read:$missing" >&2
  done
}

# probe_columns: proof that each query converts exactly its columns.  For
# each column, a table imgs_probe_COL like imgs but COL of a domain that
# refuses every value: a query fails on it iff the FDW converts COL.  Run
# against a small job (an emulator of its own), once; a WARNING on stderr
# for each surprise, one summary line otherwise.
probe_columns() {
  local cols=(image_id image_name url tag_name width height create_time annotations)
  local types=(text text text text int int timestamptz jsonb)
  local i j c decl sql conv ok=1
  emulator_start --generate "seed=1,jobs=1,images=200,tags=20,untagged=0.1" || return 1
  {
    for t in text int timestamptz jsonb; do
      echo "CREATE DOMAIN probe_$t AS $t CHECK (VALUE IS NULL);"
    done
    echo "CREATE SERVER probe FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$EMULATOR_URL', project_id '$project');"
    echo "CREATE USER MAPPING FOR CURRENT_USER SERVER probe;"
    for i in "${!cols[@]}"; do
      decl=
      for j in "${!cols[@]}"; do
        [ -n "$decl" ] && decl+=", "
        if [ "$i" = "$j" ]; then decl+="${cols[$j]} probe_${types[$j]}"; else decl+="${cols[$j]} ${types[$j]}"; fi
      done
      echo "CREATE FOREIGN TABLE imgs_probe_${cols[$i]} ($decl) SERVER probe OPTIONS (data_annotation_id '1');"
    done
  } | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
  for i in "${!queries[@]}"; do
    conv=
    for c in "${cols[@]}"; do
      sql=${queries[$i]/%FROM imgs/FROM imgs_probe_$c}
      if psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$sql" >/dev/null 2>"$work/probe.err"; then
        [[ " ${want[$i]} " == *" $c "* ]] && { echo "WARNING: ${names[$i]}: $c is not converted" >&2; ok=0; }
      elif grep -q "probe_" "$work/probe.err"; then
        conv+=" $c"
        [[ " ${want[$i]} " == *" $c "* ]] || { echo "WARNING: ${names[$i]}: $c is converted" >&2; ok=0; }
      else
        echo "WARNING: ${names[$i]} on imgs_probe_$c: $(head -n1 "$work/probe.err")" >&2; ok=0
      fi
    done
    printf '  %-9s converts:%s\n' "${names[$i]}" "${conv:- nothing}" >&2
  done
  [ $ok -eq 1 ] && echo "  (each column checked on a table where it alone refuses every value)" >&2
  emulator_stop
}

# curl_start_time: curl_start gets the best of 5 wall times of curl -s -K
# with one tiny request (/__emulator/stats): curl's process start, taken off
# every curl time (the FDW's session start is not in its times either)
curl_start_time() {
  local r c0 c1 t
  printf 'url = "%s/__emulator/stats"\noutput = /dev/null\n' "$EMULATOR_URL" >"$work/one_url"
  curl_start=
  for ((r = 1; r <= 5; r++)); do
    c0=$(now)
    curl -sS --no-progress-meter -K "$work/one_url" || return 1
    c1=$(now)
    t=$(awk -v a="$c0" -v b="$c1" -v m="$curl_start" 'BEGIN {
      t = b - a; if (m != "" && m + 0 < t) t = m; printf "%.4f", t }')
    curl_start=$t
  done
}

# q SQL: send one statement to the open session, its one-line answer in $ans
q() {
  printf '%s\n' "$1" >&"$p_out" || return 1
  IFS= read -r -t "$timeout" ans <&"$p_in" || return 1
}

# measure SQL: the query in a fresh session after the warm-up; sets rows
# requests secs hwm1 hwm and the access-log range [log0, log1) of the query.
# Fails if a query fails.
measure() {
  local sql=$1 ok=1 bpid t0 t1
  # the session: psql between two FIFOs (it stops at the first error, so a
  # failed query ends the answers: read sees end of file)
  rm -f "$work/to_psql" "$work/from_psql"
  mkfifo "$work/to_psql" "$work/from_psql"
  psql -X -q -A -t -v ON_ERROR_STOP=1 <"$work/to_psql" >"$work/from_psql" 2>"$work/psql.err" &
  psql_pid=$!
  exec {p_out}>"$work/to_psql" {p_in}<"$work/from_psql"
  {
    q 'SELECT pg_backend_pid();' && bpid=$ans &&
      q "$warmup_sql" && hwm1=$(hwm_mb "$bpid") &&
      emu_reset && log0=$(wc -l <"$work/access.log") &&
      q "$clock_sql" && t0=$ans &&
      q "$sql;" && rows=${ans%%|*} &&
      q "$clock_sql" && t1=$ans &&
      log1=$(wc -l <"$work/access.log") &&
      hwm=$(hwm_mb "$bpid") &&
      requests=$(emu_stat images)
  } || ok=0
  exec {p_out}>&- {p_in}<&-
  if [ $ok -eq 0 ]; then kill "$psql_pid" 2>/dev/null || true; fi
  wait "$psql_pid" 2>/dev/null || true
  psql_pid=
  [ $ok -eq 1 ] || return 1
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')
}

# curl_run K: fetch $work/urls with curl, --parallel-max K (1: sequentially,
# without --parallel); sets secs requests.  Fails if curl fails.
curl_run() {
  local k=$1 c0 c1 par=()
  [ "$k" -gt 1 ] && par=(--parallel --parallel-max "$k")
  emu_reset
  c0=$(now)
  curl -sS --no-progress-meter "${par[@]}" -K "$work/urls" 2>"$work/curl.err" || return 1
  c1=$(now)
  secs=$(awk -v a="$c0" -v b="$c1" -v s="$curl_start" 'BEGIN {
    t = b - a - s; if (t < 0) t = 0; printf "%.4f", t }')
  requests=$(emu_stat images)
}

fmt='%9s %-9s %9s %8s %8s %8s %6s %8s %9s %7s %7s\n'
# row N WHAT ROWS REQUESTS BEST WORST FLOOR HWM1 HWM CURL1
row() {
  awk -v n="$1" -v what="$2" -v rows="$3" -v req="$4" -v best="$5" -v worst="$6" \
      -v fl="$7" -v hwm1="$8" -v hwm="$9" -v c1="${10:--}" -v fmt="$fmt" 'BEGIN {
    ratio = "-"; rps = "-"; r1 = "-";
    num = "^[0-9]+([.][0-9]*)?$";
    if (best ~ num && fl ~ num && fl > 0) ratio = sprintf("%.2f", best / fl);
    if (best ~ num && c1 ~ num && c1 > 0) r1 = sprintf("%.2f", best / c1);
    if (best ~ num && rows ~ num && best > 0) rps = sprintf("%.0f", rows / best);
    printf fmt, n, what, rows, req, best, worst, ratio, r1, rps, hwm1, hwm }'
}
# keep_best: fold $secs into best/worst
keep_best() {
  read -r best worst < <(awk -v s="$secs" -v b="$best" -v w="$worst" 'BEGIN {
    if (b == "" || s + 0 < b + 0) b = s; if (w == "" || s + 0 > w + 0) w = s;
    print b, w }')
}

echo "Column probe (what each query converts):" >&2
probe_columns || echo "WARNING: the column probe could not run" >&2
checked=0
for n in "${sizes[@]}"; do
  emulator_start --generate "seed=1,jobs=1,images=$n,tags=20,untagged=0.1" \
    --access-log "$work/access.log"
  psql -X -q -v ON_ERROR_STOP=1 -c "ALTER SERVER ma OPTIONS (SET endpoint '$EMULATOR_URL')"
  if [ $checked -eq 0 ]; then
    check_plans
    curl_start_time || { echo "$0: curl cannot reach the emulator" >&2; exit 1; }
    echo "# requests_in_flight=$in_flight; best of $runs runs; the floor (ratio 1.00) is curl:$in_flight"
    printf '# curl times: wall time minus curl'"'"'s start, %s s (best of 5 single tiny requests)\n' "$curl_start"
    printf "$fmt" images what rows requests best_s worst_s ratio vs_curl1 rows/s hwm1_mb hwm_mb
    checked=1
  fi

  lines=()        # the FDW rows, printed once the floor is known
  urls_from=      # access-log range of the size's first scan
  for i in "${!queries[@]}"; do
    best='' worst='' bhwm1=- bhwm=- brows=- breq=- failed=0
    for ((r = 1; r <= runs; r++)); do
      if ! measure "${queries[$i]}"; then
        echo "${names[$i]} failed at $n images: $(head -n1 "$work/psql.err")" >&2
        failed=1
        break
      fi
      [ -z "$urls_from" ] && urls_from="$log0 $log1"
      keep_best
      brows=$rows breq=$requests
      if [ "$bhwm" = - ] || awk -v a="$hwm" -v b="$bhwm" 'BEGIN {exit !(a > b)}'; then
        bhwm=$hwm bhwm1=$hwm1
      fi
    done
    if [ $failed -eq 1 ]; then
      lines+=("$(printf "$fmt" "$n" "${names[$i]}" error - - - - - - - -)")
    else
      lines+=("$i $brows $breq $best $worst $bhwm1 $bhwm")
    fi
  done

  # the floor: the pages of the first scan, as the FDW requested them
  : >"$work/urls"
  if [ -n "$urls_from" ]; then
    read -r a b <<<"$urls_from"
    awk -v a="$a" -v b="$b" -v u="$EMULATOR_URL" \
      'NR > a && NR <= b && $1 == "GET" && $2 ~ /\/images\?/ {
         printf "url = \"%s%s\"\noutput = /dev/null\n", u, $2 }' "$work/access.log" >>"$work/urls"
  fi
  ks=(1)
  [ "$in_flight" != 1 ] && ks+=("$in_flight")
  floor=-
  curl1=-
  crows=()        # the curl rows, printed once the floor is known
  for k in "${ks[@]}"; do
    if [ ! -s "$work/urls" ]; then
      crows+=("$n curl:$k - - - -"); continue
    fi
    best='' worst='' failed=0
    for ((r = 1; r <= runs; r++)); do
      if ! curl_run "$k"; then
        echo "curl failed at $n images, --parallel-max $k: $(head -n1 "$work/curl.err")" >&2
        failed=1
        break
      fi
      keep_best
    done
    if [ $failed -eq 1 ]; then
      crows+=("$n curl:$k - error - -")
      continue
    fi
    [ "$k" = "$in_flight" ] && floor=$best
    [ "$k" = 1 ] && curl1=$best
    crows+=("$n curl:$k - $requests $best $worst")
  done
  for l in "${crows[@]}"; do
    read -r -a f <<<"$l"
    row "${f[@]}" "$floor" - - "$curl1"
  done
  for l in "${lines[@]}"; do
    if [[ $l == *error* ]]; then
      printf '%s\n' "$l"
    else
      read -r i rows requests best worst h1 h <<<"$l"
      row "$n" "${names[$i]}" "$rows" "$requests" "$best" "$worst" "$floor" "$h1" "$h" "$curl1"
    fi
  done
  emulator_stop
done
