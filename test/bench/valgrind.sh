#!/usr/bin/env bash
# Memory errors in the backend's use of libcurl, cJSON and PostgreSQL's
# memory: a single-user backend under valgrind (memcheck) runs scans of
# every table, a pushed LIMIT window, a parameterized join (rescans),
# retried and final errors (500, a closed connection, invalid JSON, a
# missing job; at plan time too, for the remote estimates), aggregates
# answered from tags/stats, v2's samples, dataset list and labels, a missing
# dataset, and IMPORT FOREIGN SCHEMA against the emulator, then prints what
# valgrind reported from outside PostgreSQL's own known noise (the WAL
# writer's padding bytes).  A check to run by hand, not a test: it takes a
# minute or two.
# Run: test/bench/valgrind.sh   (as root; needs valgrind and the extension
# built and installed; it builds the emulator, make emulator)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/emulator.sh
emulator_build
work=$(mktemp -d /tmp/modelarts-vg.XXXXXX)
chmod 755 "$work"
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
trap 'emulator_stop; rm -rf "$work"' EXIT
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

as_pg "$(pg_config --bindir)/initdb" -D "$work/data" -A trust --no-sync -E UTF8 \
  --locale=C.UTF-8 >/dev/null
emulator_start --data test/data/sample.json \
  --fault 500:1@/data-annotations/9500/ \
  --fault close:1@/data-annotations/9603/ \
  --fault badjson:1@/data-annotations/9601/

cat >"$work/script.sql" <<SQL
CREATE EXTENSION modelarts_fdw;
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint '$EMULATOR_URL', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0', page_size '10', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE im (data_annotation_id bigint, image_id text, tag_name text, width int, annotations jsonb, tags text[]) SERVER ma;
CREATE FOREIGN TABLE pr (data_annotation_id bigint, project_name text, image_count bigint) SERVER ma OPTIONS (resource 'projects');
CREATE FOREIGN TABLE tg (data_annotation_id bigint, tag_name text, image_count bigint) SERVER ma OPTIONS (resource 'tags');
SELECT count(*), count(annotations), count(width) FROM im WHERE data_annotation_id IN (282, 283, 285);
SELECT count(*) FROM (SELECT * FROM im WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 7 OFFSET 13) s;
SELECT count(*) FROM pr;
SELECT count(*) FROM tg;
SELECT tag_name, count(*), count(DISTINCT image_id) FROM im WHERE data_annotation_id IN (282, 285) GROUP BY 1 HAVING count(*) > 2;
SELECT count(*) FROM im WHERE data_annotation_id = 283 AND tag_name IS NULL;
SELECT count(*) FROM im WHERE data_annotation_id = 9500;
SELECT count(*) FROM im WHERE data_annotation_id = 9603;
SELECT count(*) FROM im WHERE data_annotation_id = 9601;
SELECT count(*) FROM im WHERE data_annotation_id = 999;
CREATE TABLE j AS SELECT g % 3 + 283 AS job FROM generate_series(1, 30) g;
SET enable_hashjoin = off; SET enable_mergejoin = off; SET enable_memoize = off;
SELECT count(*) FROM j JOIN im ON im.data_annotation_id = j.job AND im.tag_name IS NULL;
IMPORT FOREIGN SCHEMA jobs FROM SERVER ma INTO public;
SELECT count(*) FROM im WHERE data_annotation_id = 282 LIMIT 1;
CREATE FOREIGN TABLE sa (dataset_id text, sample_id text, label_name text, labels text[], annotations jsonb, width int) SERVER ma OPTIONS (resource 'samples');
CREATE FOREIGN TABLE dl (dataset_id text, name text, count bigint, sample_count bigint) SERVER ma OPTIONS (resource 'dataset_labels');
SELECT count(*), count(annotations), count(width) FROM sa WHERE dataset_id IN ('ds282', 'ds283', 'ds285');
SELECT count(*) FROM (SELECT * FROM sa WHERE dataset_id = 'ds285' AND label_name = 'x' LIMIT 7 OFFSET 13) s;
SELECT count(*) FROM sa;
SELECT count(*) FROM dl;
SELECT count(*) FROM sa WHERE dataset_id = 'nope';
CREATE TABLE d AS SELECT 'ds' || (g % 3 + 283) AS ds FROM generate_series(1, 30) g;
SELECT count(*) FROM d JOIN sa ON sa.dataset_id = d.ds AND sa.label_name IS NULL;
CREATE SCHEMA v2d;
IMPORT FOREIGN SCHEMA datasets FROM SERVER ma INTO v2d;
SELECT count(*) FROM v2d.street_signs;
SQL
chmod 644 "$work/script.sql"
touch "$work/vg.log" && chmod 666 "$work/vg.log"
as_pg valgrind --quiet --log-file="$work/vg.log" "$(pg_config --bindir)/postgres" \
  --single -D "$work/data" -c jit=off postgres <"$work/script.sql" >"$work/out.txt" 2>&1 || true

echo "statements: $(grep -c '^SELECT\|^CREATE\|^IMPORT\|^SET' "$work/script.sql"); results: $(grep -c 'count = ' "$work/out.txt"); errors: $(grep -c ' ERROR: ' "$work/out.txt") (5 expected)"
# valgrind's reports, less the WAL writer's uninitialised padding (pwrite
# from XLogFlush / XLogWrite), PostgreSQL's own well-known noise
awk '/^==[0-9]+== [A-Z]/ {if (blk != "" && blk !~ /pwrite/) print blk; blk = $0; next}
     /^==[0-9]+==/ {blk = blk "\n" $0} END {if (blk != "" && blk !~ /pwrite/) print blk}' "$work/vg.log" \
  | grep -v '^==[0-9]*== *$' >"$work/reports" || true
n=$(grep -c '^==[0-9]*== [A-Z]' "$work/reports" || true)
echo "valgrind reports outside the WAL writer: $n"
[ "$n" -gt 0 ] && head -80 "$work/reports"
exit 0
