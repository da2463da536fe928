-- The v2 dataset API (issue 13): the samples table against annotation_images,
-- job by job, on the same emulator data (every job is also a dataset, its
-- dataset_id "ds" and the job's ID), and the requests each query sends.

CREATE FOREIGN TABLE samples (
  dataset_id text,
  sample_id text,
  sample_name text,
  url text OPTIONS (key 'source'),
  width int,
  height int,
  label_name text,
  labels text[],
  annotations jsonb,
  sample_time timestamptz,
  sample_status text,
  camera text
) SERVER ma OPTIONS (resource 'samples');

-- the requests logged since the last call, the project masked in v2 paths too
CREATE FUNCTION v2_requests() RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT replace(r, '/v2/0f1e2d3c4b5a69788796a5b4c3d2e1f0/', '/v2/P/')
  FROM emulator_requests() AS r
$$;

-- v1 rows in v2's shape: the dataset ID, the image as a sample, and the
-- boxes of a detection job as v2's [[x1, y1], [x2, y2]] features
CREATE VIEW v1_as_v2 AS
SELECT 'ds' || data_annotation_id AS dataset_id, image_id AS sample_id,
       image_name AS sample_name, url, width, height, tag_name AS label_name,
       tags AS labels, create_time AS sample_time,
       (SELECT jsonb_agg(jsonb_build_array(coalesce(e->>'tag', e#>>'{}'),
                 CASE WHEN e ? 'pos' THEN
                   jsonb_build_array(jsonb_build_array(e->'pos'->0, e->'pos'->1),
                                     jsonb_build_array(e->'pos'->2, e->'pos'->3)) END)
                 ORDER BY o)
          FROM jsonb_array_elements(annotations) WITH ORDINALITY AS a(e, o)) AS boxes,
       data_annotation_id
FROM annotation_images;
\set cols 'dataset_id, sample_id, sample_name, url, width, height, label_name, labels, sample_time, boxes'

CREATE VIEW v2_rows AS
SELECT dataset_id, sample_id, sample_name, url, width, height, label_name,
       labels, sample_time,
       (SELECT jsonb_agg(jsonb_build_array(e->>'name',
                 e->'property'->'@modelarts:feature') ORDER BY o)
          FROM jsonb_array_elements(annotations) WITH ORDINALITY AS a(e, o)) AS boxes
FROM samples;

-- differ(a, b): the rows of query a not in b and of b not in a, as
-- multisets; 0 when the two give the same rows (each query runs twice, so
-- each request is logged twice)
CREATE FUNCTION differ(a text, b text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (((%s) EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL (%s))) d',
                 a, b, b, a) INTO n;
  RETURN n;
END $$;

-- every job, each filter: the same rows through v1 and v2
SELECT f AS filter,
       differ(format('SELECT %s FROM v1_as_v2 WHERE data_annotation_id IN (282, 283, 284, 285) %s', :'cols', cond),
              format('SELECT * FROM v2_rows WHERE dataset_id IN (''ds282'', ''ds283'', ''ds284'', ''ds285'') %s', cond)) AS differ,
       (SELECT count(*) FROM local_images li WHERE CASE f
          WHEN 'none' THEN true
          WHEN '= cat' THEN tag_name = 'cat'
          WHEN 'IN (car, indoor, x)' THEN tag_name IN ('car', 'indoor', 'x')
          WHEN 'IS NULL' THEN tag_name IS NULL
          ELSE tag_name IS NOT NULL END) AS rows
FROM (VALUES ('none', ''),
             ('= cat', 'AND label_name = ''cat'''),
             ('IN (car, indoor, x)', 'AND label_name IN (''car'', ''indoor'', ''x'')'),
             ('IS NULL', 'AND label_name IS NULL'),
             ('IS NOT NULL', 'AND label_name IS NOT NULL'))
     AS t(f, cond);
SELECT count(*) > 0 AS logged FROM v2_requests();

-- job by job: dataset_id = each, as a join parameter too
SELECT j.id,
       differ(format('SELECT %s FROM v1_as_v2 WHERE data_annotation_id = %s', :'cols', j.id),
              format('SELECT * FROM v2_rows WHERE dataset_id = %L', 'ds' || j.id)) AS differ
FROM (VALUES (282), (283), (284), (285)) AS j(id) ORDER BY 1;
CREATE TABLE wanted_datasets (dataset_id text);
INSERT INTO wanted_datasets VALUES ('ds283'), ('ds285');
ANALYZE wanted_datasets;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.dataset_id, s.sample_id FROM wanted_datasets w JOIN samples s USING (dataset_id)
WHERE s.label_name = 'x';
SELECT count(*) FROM v2_requests();
SELECT w.dataset_id, count(*) FROM wanted_datasets w JOIN samples s USING (dataset_id)
GROUP BY 1 ORDER BY 1;
SELECT * FROM v2_requests();
RESET enable_hashjoin;
RESET enable_mergejoin;

-- the requests of each filter, for one dataset
SELECT count(*) FROM samples WHERE dataset_id = 'ds283';
SELECT * FROM v2_requests();
SELECT count(*) FROM samples WHERE dataset_id = 'ds283' AND label_name = 'car';
SELECT * FROM v2_requests();
SELECT count(*) FROM samples WHERE dataset_id = 'ds283' AND label_name IN ('car', 'person');
SELECT * FROM v2_requests();
SELECT count(*) FROM samples WHERE dataset_id = 'ds283' AND label_name IS NULL;
SELECT * FROM v2_requests();
SELECT count(*) FROM samples WHERE dataset_id = 'ds283' AND label_name IS NOT NULL;
SELECT * FROM v2_requests();

-- no dataset: the dataset list, then each dataset's streams
EXPLAIN (VERBOSE, COSTS OFF) SELECT sample_id FROM samples WHERE label_name IS NULL;
SELECT differ('SELECT ' || :'cols' || ' FROM v1_as_v2 WHERE data_annotation_id IN (282, 283, 284, 285)',
              'SELECT * FROM v2_rows') AS differ;
SELECT * FROM v2_requests();

-- LIMIT/OFFSET: one stream of one row per sample maps the window onto
-- pages, in v2's default order (descending sample_id in the emulator):
-- OFFSET 20 LIMIT 10 is limit=10&offset=2, one request
EXPLAIN (VERBOSE, COSTS OFF)
SELECT sample_id FROM samples WHERE dataset_id = 'ds282' AND label_name = 'cat' LIMIT 10 OFFSET 20;
SELECT differ(
  'SELECT sample_id, label_name FROM samples WHERE dataset_id = ''ds282'' AND label_name = ''cat'' LIMIT 10 OFFSET 20',
  'SELECT * FROM (SELECT image_id, tag_name FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = ''cat'' ORDER BY image_id DESC LIMIT 10 OFFSET 20) w') AS differ;
SELECT * FROM v2_requests();
SELECT differ(
  'SELECT sample_id FROM samples WHERE dataset_id = ''ds282'' AND label_name IS NULL LIMIT 7 OFFSET 5',
  'SELECT * FROM (SELECT image_id FROM annotation_images WHERE data_annotation_id = 282 AND tag_name IS NULL ORDER BY image_id DESC LIMIT 7 OFFSET 5) w') AS differ;
SELECT * FROM v2_requests();
-- a window across pages, and one past the end
SELECT differ(
  'SELECT sample_id FROM samples WHERE dataset_id = ''ds285'' AND label_name = ''x'' LIMIT 30 OFFSET 85',
  'SELECT * FROM (SELECT image_id FROM annotation_images WHERE data_annotation_id = 285 AND tag_name = ''x'' ORDER BY image_id DESC LIMIT 30 OFFSET 85) w') AS differ;
SELECT * FROM v2_requests();
SELECT count(*) FROM (SELECT * FROM samples WHERE dataset_id = 'ds285' AND label_name = 'x' OFFSET 100 LIMIT 5) s;
SELECT * FROM v2_requests();
-- several streams: pages sized to the window, read until it is full, the
-- same rows as the scan without the window (in the scan's order)
SELECT differ(
  'SELECT sample_id, label_name FROM samples WHERE dataset_id = ''ds283'' LIMIT 15 OFFSET 40',
  'SELECT sample_id, label_name FROM (SELECT sample_id, label_name, row_number() OVER () AS n FROM samples WHERE dataset_id = ''ds283'') s WHERE n BETWEEN 41 AND 55') AS differ;
SELECT * FROM v2_requests();

-- a published version: version_id on every request
CREATE FOREIGN TABLE samples_v001 (dataset_id text, sample_id text, label_name text)
  SERVER ma OPTIONS (resource 'samples', dataset_id 'ds282', version_id 'v36f50de');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM samples_v001 WHERE label_name = 'dog';
SELECT count(*) FROM samples_v001 WHERE label_name = 'dog';
SELECT * FROM v2_requests();
-- the table option and a condition naming another dataset: no request
SELECT count(*) FROM samples_v001 WHERE dataset_id = 'ds283';
SELECT * FROM v2_requests();
-- a dataset that does not exist
\set VERBOSITY terse
SELECT try_query('SELECT * FROM samples WHERE dataset_id = ''nope''');
\set VERBOSITY default
SELECT * FROM v2_requests();

-- a prepared statement: the dataset as a parameter, in a generic plan too
PREPARE one_dataset(text, text) AS
  SELECT count(*) FROM samples WHERE dataset_id = $1 AND label_name = $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE one_dataset('ds283', 'person');
EXECUTE one_dataset('ds283', 'person');
EXECUTE one_dataset('ds282', 'person');
RESET plan_cache_mode;
SELECT * FROM v2_requests();
DEALLOCATE one_dataset;

-- each ID option belongs to its API's tables
\set VERBOSITY terse
CREATE FOREIGN TABLE bad1 (x text) SERVER ma OPTIONS (resource 'images', dataset_id 'ds282');
CREATE FOREIGN TABLE bad2 (x text) SERVER ma OPTIONS (resource 'samples', data_annotation_id '282');
CREATE FOREIGN TABLE bad3 (x text) SERVER ma OPTIONS (resource 'datasets', version_id 'v1');
-- v1's require_job_filter and missing_job: a v2 table reads the dataset list
CREATE FOREIGN TABLE bad3b (x text) SERVER ma OPTIONS (resource 'samples', require_job_filter 'true');
CREATE FOREIGN TABLE bad3c (x text) SERVER ma OPTIONS (resource 'dataset_versions', missing_job 'empty');
CREATE FOREIGN TABLE bad4 (x text) SERVER ma OPTIONS (resource 'samples', dataset_id '');
ALTER FOREIGN TABLE samples_v001 OPTIONS (SET resource 'dataset_labels');
\set VERBOSITY default

-- the dataset-level tables
CREATE FOREIGN TABLE datasets (
  dataset_id text, dataset_name text, dataset_type int, description text,
  create_time timestamptz, current_version_name text,
  total_sample_count bigint, annotated_sample_count bigint, data_url text
) SERVER ma OPTIONS (resource 'datasets');
SELECT * FROM datasets ORDER BY dataset_id;
SELECT * FROM v2_requests();
CREATE FOREIGN TABLE dataset_versions (
  dataset_id text, version_id text, version_name text, description text,
  create_time timestamptz, total_sample_count bigint, status int
) SERVER ma OPTIONS (resource 'dataset_versions');
SELECT * FROM dataset_versions ORDER BY 1, 2;
SELECT * FROM v2_requests();
CREATE FOREIGN TABLE dataset_labels (
  dataset_id text, label_name text OPTIONS (key 'name'), label_type int OPTIONS (key 'type'),
  sample_count bigint, count bigint
) SERVER ma OPTIONS (resource 'dataset_labels');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM dataset_labels WHERE dataset_id IN ('ds283', 'ds285');
SELECT * FROM dataset_labels WHERE dataset_id IN ('ds283', 'ds285') ORDER BY 1, 2;
SELECT * FROM v2_requests();
-- sample_count is v1's per-tag image count; count differs where boxes repeat
SELECT l.dataset_id, l.label_name, l.sample_count, l.count,
       (SELECT count(DISTINCT image_id) FROM local_images li
         WHERE 'ds' || li.data_annotation_id = l.dataset_id AND li.tag_name = l.label_name) AS images
FROM dataset_labels l WHERE l.dataset_id = 'ds283' ORDER BY 2;
SELECT count(*) > 0 AS logged FROM v2_requests();

-- commented_columns(s): per table of schema s, its columns and how many
-- of them have a comment
CREATE FUNCTION commented_columns(s name)
RETURNS TABLE (relname name, columns bigint, commented bigint)
LANGUAGE sql AS $$
  SELECT c.relname, count(*), count(col_description(c.oid, a.attnum))
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
  WHERE n.nspname = s GROUP BY 1 ORDER BY 1
$$;

-- IMPORT FOREIGN SCHEMA modelarts_v2: the four tables, no request
CREATE SCHEMA v2_all;
IMPORT FOREIGN SCHEMA modelarts_v2 FROM SERVER ma INTO v2_all;
\det+ v2_all.*
-- every column commented (IMPORT's comments, as for v1's tables)
SELECT * FROM commented_columns('v2_all');
SELECT col_description('v2_all.dataset_labels'::regclass, 4) AS sample_count,
       col_description('v2_all.dataset_labels'::regclass, 5) AS count;
SELECT * FROM v2_requests();
SELECT dataset_id, dataset_name, total_sample_count FROM v2_all.datasets ORDER BY 1;
SELECT count(*), count(DISTINCT sample_id), count(label_name)
FROM v2_all.dataset_samples WHERE dataset_id = 'ds282';
SELECT * FROM v2_all.dataset_labels WHERE dataset_id = 'ds285';
SELECT * FROM v2_all.dataset_versions WHERE dataset_id = 'ds285';
SELECT * FROM v2_requests();
-- IMPORT FOREIGN SCHEMA datasets: one samples table per dataset, named
-- after it, bound to it by the table option dataset_id
CREATE SCHEMA v2_bi;
IMPORT FOREIGN SCHEMA datasets EXCEPT (empty_job) FROM SERVER ma INTO v2_bi;
\det+ v2_bi.*
SELECT * FROM commented_columns('v2_bi');
SELECT * FROM v2_requests();
SELECT count(*), count(DISTINCT sample_id), count(label_name) FROM v2_bi.street_signs;
SELECT * FROM v2_requests();
SELECT differ('SELECT ' || :'cols' || ' FROM v1_as_v2 WHERE data_annotation_id = 283',
              'SELECT dataset_id, sample_id, sample_name, url, width, height, label_name, labels, sample_time,
                 (SELECT jsonb_agg(jsonb_build_array(e->>''name'', e->''property''->''@modelarts:feature'') ORDER BY o)
                    FROM jsonb_array_elements(annotations) WITH ORDINALITY AS a(e, o))
               FROM v2_bi.street_signs') AS differ;
\set VERBOSITY terse
IMPORT FOREIGN SCHEMA nope FROM SERVER ma INTO v2_bi;
\set VERBOSITY default

-- EXPLAIN ANALYZE (issue 11's "requests sent") of v2 scans: a given
-- dataset's pages (offset=K, v2's page index), the dataset list and the
-- samples of each listed dataset
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT sample_id FROM samples WHERE dataset_id = 'ds285' AND label_name IS NULL;
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT sample_id FROM samples WHERE label_name = 'cat';
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT dataset_id FROM datasets;
SELECT * FROM v2_requests();
-- v1's optional-filter idiom on dataset_id: in a generic plan a local
-- filter (the scan knows when it is made whether it reads the dataset
-- list); a custom plan folds it; the same rows either way
PREPARE v2opt(text) AS
SELECT count(*) FROM samples WHERE (dataset_id = $1 OR $1 IS NULL) AND label_name = 'cat';
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE v2opt('ds282');
EXECUTE v2opt('ds282');
EXECUTE v2opt(NULL);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE v2opt('ds282');
EXECUTE v2opt('ds282');
EXECUTE v2opt(NULL);
RESET plan_cache_mode;
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'cat';
SELECT count(*) FROM annotation_images WHERE tag_name = 'cat';
-- dataset_id is text: a range on it stays local too
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM samples WHERE dataset_id BETWEEN 'ds282' AND 'ds283' AND label_name = 'cat';
SELECT count(*) FROM samples WHERE dataset_id BETWEEN 'ds282' AND 'ds283' AND label_name = 'cat';
SELECT * FROM v2_requests();
DEALLOCATE v2opt;
