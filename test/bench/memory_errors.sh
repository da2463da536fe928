#!/usr/bin/env bash
# Memory on the error paths: one backend runs the same failing scans over and
# over (API error, invalid JSON, a body cut short, a closed connection, a
# conversion error mid-page) and a good scan, each error caught by PL/pgSQL,
# and prints its resident memory after 200 rounds and after 2,000.  libcurl and
# cJSON memory is malloc'd, outside PostgreSQL's memory contexts: a leak on an
# error path shows as growth between the two figures.
# Retries are off (max_retries 0): each error comes at once, and 2,000
# rounds take seconds, not the back-off of every retried failure.
# Run: test/bench/memory_errors.sh   (needs the extension built and installed;
# it builds the emulator, make emulator)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
. test/lib/pg.sh
. test/lib/emulator.sh
emulator_build
work=$(mktemp -d /tmp/modelarts-mem.XXXXXX)
chmod 755 "$work"
trap 'emulator_stop; pg_stop "$work/pg"; rm -rf "$work"' EXIT
pg_start "$work/pg" "$(free_port)"
emulator_start --data test/data/sample.json \
  --fault badjson:1@/data-annotations/9601/ \
  --fault truncate:1@/data-annotations/9602/ \
  --fault close:1@/data-annotations/9603/
psql -X -q <<SQL
CREATE EXTENSION modelarts_fdw;
-- use_remote_estimate off: the scans' error paths are what is measured
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$EMULATOR_URL', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
           max_retries '0', use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;
CREATE FOREIGN TABLE imgs (data_annotation_id bigint, image_name text, tag_name text,
  tags text[], annotations jsonb) SERVER ma;
CREATE FOREIGN TABLE badtype (data_annotation_id bigint, score int) SERVER ma;
CREATE FUNCTION rounds(n int) RETURNS int LANGUAGE plpgsql AS \$\$
DECLARE errors int := 0; job bigint;
BEGIN
  FOR i IN 1..n LOOP
    FOREACH job IN ARRAY ARRAY[999, 9601, 9602, 9603] LOOP
      BEGIN
        PERFORM count(*) FROM imgs WHERE data_annotation_id = job;
      EXCEPTION WHEN OTHERS THEN errors := errors + 1;
      END;
    END LOOP;
    BEGIN
      PERFORM count(*) FROM badtype WHERE data_annotation_id = 282;
    EXCEPTION WHEN OTHERS THEN errors := errors + 1;
    END;
    PERFORM count(*) FROM imgs WHERE data_annotation_id = 282;
  END LOOP;
  RETURN errors;
END \$\$;
SQL
coproc PSQL { psql -X -q -A -t; }
echo "SELECT pg_backend_pid();" >&"${PSQL[1]}"; read -r pid <&"${PSQL[0]}"
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }
echo "SELECT rounds(200);" >&"${PSQL[1]}"; read -r e1 <&"${PSQL[0]}"; r1=$(rss)
echo "SELECT rounds(1800);" >&"${PSQL[1]}"; read -r e2 <&"${PSQL[0]}"; r2=$(rss)
exec {PSQL[1]}>&-
echo "errors caught: $e1 in the first 200 rounds, $e2 in the next 1,800"
echo "backend VmRSS after 200 rounds: $r1 MB; after 2,000 rounds: $r2 MB"
