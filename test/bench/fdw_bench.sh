#!/usr/bin/env bash
# Benchmark of a full scan through modelarts_fdw against the emulator, for
# 10,000 / 100,000 / 1,000,000 images (one generated job each, 20 tags, 10%
# untagged).  For each size it prints:
#   rows       rows the scan returned (one per image and tag)
#   requests   pages requested (per_page=100)
#   fdw_s      seconds for SELECT count(*) over the foreign table
#   rows/s     rows per second through the FDW
#   curl_s     seconds for curl to fetch the same pages sequentially over one
#              keep-alive connection (the transport baseline)
#   ratio      fdw_s / curl_s: what parsing and tuple building add
#   hwm0_mb    the backend's peak resident memory (VmHWM) after a one-row query
#   hwm_mb     its peak after the full scan: flat memory keeps it near hwm0_mb
# Run: test/bench/fdw_bench.sh [sizes...]   (needs the project built and
# installed; run as root or as a user who can start PostgreSQL)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 1000000)

. test/lib/pg.sh
. test/lib/emulator.sh
work=$(mktemp -d /tmp/modelarts-bench.XXXXXX)
chmod 755 "$work"
trap 'emulator_stop; pg_stop "$work/pg"; rm -rf "$work"' EXIT
pg_start "$work/pg" "$(free_port)"
project=0f1e2d3c4b5a69788796a5b4c3d2e1f0

printf '%-9s %9s %8s %8s %10s %8s %7s %7s %7s\n' images rows requests fdw_s rows/s curl_s ratio hwm0_mb hwm_mb
for n in "${sizes[@]}"; do
  emulator_start --generate "seed=1,jobs=1,images=$n,tags=20,untagged=0.1"
  db=bench_$n
  createdb "$db"
  psql -X -q -d "$db" <<SQL
CREATE EXTENSION modelarts_fdw;
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$EMULATOR_URL', project_id '$project');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE imgs (image_id text, image_name text, url text, tag_name text,
  width int, height int, create_time timestamptz)
  SERVER ma OPTIONS (data_annotation_id '1');
SQL
  # one session: the scan, timed by the server clock
  out=$(psql -X -q -A -t -d "$db" <<'SQL'
SELECT pg_backend_pid();
SELECT extract(epoch FROM clock_timestamp());
SELECT count(*) FROM (SELECT image_id, image_name, url, tag_name, width, height, create_time FROM imgs) s;
SELECT extract(epoch FROM clock_timestamp());
SQL
)
  t0=$(sed -n 2p <<<"$out"); rows=$(sed -n 3p <<<"$out"); t1=$(sed -n 4p <<<"$out")

  # memory: a session kept open so that /proc can be read while it lives;
  # its peak after a one-row query, then after the full scan
  coproc PSQL { psql -X -q -A -t -d "$db"; }
  echo "SELECT pg_backend_pid();" >&"${PSQL[1]}"
  read -r bpid <&"${PSQL[0]}"
  echo "SELECT count(*) FROM (SELECT * FROM imgs LIMIT 1) s;" >&"${PSQL[1]}"
  read -r _ <&"${PSQL[0]}"
  hwm0=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$bpid/status")
  echo "SELECT count(*) FROM (SELECT image_id, image_name, url, tag_name, width, height, create_time FROM imgs) s;" >&"${PSQL[1]}"
  read -r _ <&"${PSQL[0]}"
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$bpid/status")
  exec {PSQL[1]}>&-
  wait "$PSQL_PID" 2>/dev/null || true

  # the transport baseline: the same pages (tagged stream, then untagged)
  tagged=$(curl -s "$EMULATOR_URL/v1/$project/data-annotations/1/images?per_page=1&page=1" |
    sed -n 's/.*"image_count": *\([0-9]*\).*/\1/p')
  untagged=$(curl -s "$EMULATOR_URL/v1/$project/data-annotations/1/images?tag_name=__none__&per_page=1&page=1" |
    sed -n 's/.*"image_count": *\([0-9]*\).*/\1/p')
  urls=$work/urls
  : >"$urls"
  for ((p = 1; p <= (tagged + 99) / 100; p++)); do
    echo "url = \"$EMULATOR_URL/v1/$project/data-annotations/1/images?per_page=100&page=$p\"" >>"$urls"
    echo "output = /dev/null" >>"$urls"
  done
  for ((p = 1; p <= (untagged + 99) / 100; p++)); do
    echo "url = \"$EMULATOR_URL/v1/$project/data-annotations/1/images?tag_name=__none__&per_page=100&page=$p\"" >>"$urls"
    echo "output = /dev/null" >>"$urls"
  done
  requests=$(( (tagged + 99) / 100 + (untagged + 99) / 100 ))
  c0=$(date +%s.%N); curl -s -K "$urls"; c1=$(date +%s.%N)

  awk -v n="$n" -v rows="$rows" -v req="$requests" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
      -v hwm0="$hwm0" -v hwm="$hwm" 'BEGIN {
    f = t1 - t0; c = c1 - c0;
    printf "%-9d %9d %8d %8.2f %10.0f %8.2f %7.2f %7s %7s\n", n, rows, req, f, rows / f, c, f / c, hwm0, hwm }'
  emulator_stop
done
