#!/usr/bin/env bash
# The modelarts_fdw demo, from a fresh clone on Debian 12:
#   installs what is missing, builds and installs the extension and the
#   emulator, starts the emulator with the sample data and a throwaway
#   PostgreSQL with the extension, runs a few example queries, and tells you
#   how to connect with psql.  Both keep running until `test/demo.sh stop`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

DEMO_DIR=${DEMO_DIR:-/tmp/modelarts-demo}
DEMO_PG_PORT=${DEMO_PG_PORT:-5499}
DEMO_EMULATOR_PORT=${DEMO_EMULATOR_PORT:-8089}

. test/lib/pg.sh

if [ "${1:-}" = "stop" ]; then
  pg_stop "$DEMO_DIR/pg"
  [ -f "$DEMO_DIR/emulator.pid" ] && kill "$(cat "$DEMO_DIR/emulator.pid")" 2>/dev/null || true
  rm -rf "$DEMO_DIR"
  echo "demo stopped"
  exit 0
fi

test/install-deps.sh
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
make -s all emulator >/dev/null
$SUDO make -s install >/dev/null

# a previous demo is replaced
if [ -d "$DEMO_DIR" ]; then "$0" stop >/dev/null; fi
mkdir -p "$DEMO_DIR"
chmod 755 "$DEMO_DIR"

# the emulator, in the background, logging every request it answers
setsid test/emulator/modelarts-emulator --data test/data/sample.json \
  --port "$DEMO_EMULATOR_PORT" --access-log "$DEMO_DIR/access.log" \
  >"$DEMO_DIR/emulator.out" 2>&1 < /dev/null &
echo $! >"$DEMO_DIR/emulator.pid"
for _ in $(seq 100); do [ -s "$DEMO_DIR/emulator.out" ] && break; sleep 0.05; done
kill -0 "$(cat "$DEMO_DIR/emulator.pid")" || { cat "$DEMO_DIR/emulator.out"; exit 1; }
endpoint=http://127.0.0.1:$DEMO_EMULATOR_PORT

pg_start "$DEMO_DIR/pg" "$DEMO_PG_PORT"
createdb demo
export PGDATABASE=demo

run() { echo; echo "demo=# $1"; psql -X -q -c "$1"; }

psql -X -q <<SQL
CREATE EXTENSION modelarts_fdw;
CREATE SERVER modelarts FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint '$endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
-- the emulator runs without authentication; against the real service use
-- OPTIONS (auth_token '...') or another mode (see README, Authentication)
CREATE USER MAPPING FOR CURRENT_USER SERVER modelarts;
IMPORT FOREIGN SCHEMA modelarts FROM SERVER modelarts INTO public;
-- one images table per labeling job, as a BI tool would browse them
CREATE SCHEMA jobs;
IMPORT FOREIGN SCHEMA jobs FROM SERVER modelarts INTO jobs;
CREATE TABLE my_jobs (team text, data_annotation_id bigint);
INSERT INTO my_jobs VALUES ('vision', 282), ('maps', 283);
-- the v2 dataset API on the same server (README, Datasets and samples)
CREATE FOREIGN TABLE dataset_samples (
  dataset_id text, sample_id text, sample_name text, url text OPTIONS (key 'source'),
  width int, height int, label_name text, labels text[], annotations jsonb,
  sample_time timestamptz, sample_status text
) SERVER modelarts OPTIONS (resource 'samples');
SQL

echo "modelarts_fdw demo: emulator at $endpoint (sample data), PostgreSQL on port $DEMO_PG_PORT"
run "SELECT image_name, url FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'cat' LIMIT 5 OFFSET 20;"
run "EXPLAIN (VERBOSE, COSTS OFF) SELECT image_name, url FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'cat' LIMIT 5 OFFSET 20;"
run "SELECT tag_name, count(*) AS images FROM annotation_images WHERE data_annotation_id = 282 GROUP BY 1 ORDER BY 2 DESC;"
run "SELECT data_annotation_id, project_name, image_count, tagged_count, untagged_count FROM annotation_projects ORDER BY 1;"
run "SELECT j.team, i.image_name, i.tag_name FROM my_jobs j JOIN annotation_images i USING (data_annotation_id) WHERE i.tag_name IN ('cat', 'car') LIMIT 6;"
run "SELECT tag_name, image_count FROM annotation_tags WHERE data_annotation_id = 283;"
run "SELECT image_name, tags, jsonb_array_length(annotations) AS boxes FROM jobs.street_signs WHERE tag_name = 'stop sign' LIMIT 3;"
run "SELECT sample_name, labels, width, height FROM dataset_samples WHERE dataset_id = 'ds283' AND label_name = 'stop sign' LIMIT 3 OFFSET 6;"
echo
echo "Requests the emulator answered for these queries:"
cat "$DEMO_DIR/access.log"
cat <<MSG

Connect:   psql -h $DEMO_DIR/pg -p $DEMO_PG_PORT -U postgres demo
Requests:  tail -f $DEMO_DIR/access.log
Stop:      test/demo.sh stop
MSG
