-- Shared set-up for the regression tests: a server on the emulator started
-- by test/run-tests.sh, the foreign table, a helper that reads back the
-- requests the emulator logged, and the sample data as a plain table.
\getenv endpoint MODELARTS_ENDPOINT
\getenv access_log MODELARTS_ACCESS_LOG
\getenv sample MODELARTS_SAMPLE

-- use_remote_estimate off: the tests count the requests each query sends,
-- and the planner's own calls (estimates.sql, aggregates.sql) would add to
-- them; it also keeps aggregates local (they need those calls to push)
CREATE SERVER ma FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
           use_remote_estimate 'false');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma;

CREATE FOREIGN TABLE annotation_images (
  data_annotation_id bigint,
  image_id text,
  image_name text,
  url text,
  width int,
  height int,
  tag_name text,
  tags text[],
  annotations jsonb,
  create_time timestamptz
) SERVER ma OPTIONS (resource 'images');

-- emulator_requests(): the requests logged since the last call, without the
-- byte counts (they follow the JSON layout, not the FDW's behaviour), sorted:
-- with several requests in flight the log's order is the order in which the
-- answers were sent, which varies from run to run
CREATE TABLE emulator_log (path text, pos int);
INSERT INTO emulator_log VALUES (:'access_log', 0);
CREATE FUNCTION emulator_requests() RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  p text;
  n int;
  content text;
BEGIN
  SELECT path, pos INTO p, n FROM emulator_log;
  content := pg_read_file(p);
  UPDATE emulator_log SET pos = length(content);
  RETURN QUERY
    SELECT regexp_replace(
             replace(l, '/v1/0f1e2d3c4b5a69788796a5b4c3d2e1f0/', '/v1/P/'),
             ' [0-9]+$', '')
    FROM regexp_split_to_table(substr(content, n + 1), E'\n') WITH ORDINALITY AS t(l, i)
    WHERE l <> ''
    ORDER BY 1;
END $$;
SELECT count(*) >= 0 AS drained FROM emulator_requests();

-- try_query(q): run q; its error as SQLSTATE and message, with the
-- emulator's port (which changes from run to run) masked
CREATE FUNCTION try_query(q text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN regexp_replace(SQLSTATE || ': ' || SQLERRM,
                        '127\.0\.0\.1:[0-9]+', '127.0.0.1:PORT', 'g');
END $$;

-- settled_requests(): emulator_requests() but for the one job errors.sql
-- stalls (9604): that request may end, and be logged, during a later test
-- (estimates.sql, aggregates.sql)
CREATE FUNCTION settled_requests() RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT r FROM emulator_requests() AS r WHERE r NOT LIKE '%/data-annotations/9604/%'
$$;

-- explain_json(q): the plan of q, as JSON (EXPLAIN (FORMAT JSON))
CREATE FUNCTION explain_json(q text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN plan;
END $$;

-- The sample data as local tables in the FDW's row models (local_images,
-- local_projects, local_versions, local_tags; shared with the differential
-- suite)
\set size_detection_only false
\i test/sql/row_model.sql
SELECT data_annotation_id, count(*) AS rows, count(DISTINCT image_id) AS images,
       count(*) FILTER (WHERE tag_name IS NULL) AS untagged
FROM local_images GROUP BY 1 ORDER BY 1;
