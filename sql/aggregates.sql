-- Aggregate pushdown: counts grouped by tag answered from tags/stats.
-- Every shape is compared with the same aggregate over the sample's rows
-- (local_images, from setup), and shown pushed or not; then the requests a
-- pushed aggregate sends, HAVING / ORDER BY / LIMIT above it, and the ways
-- to turn it off.  Job 282 and 285 are classification jobs, 283 a
-- detection job, 284 an empty one.
SELECT count(*) >= 0 AS drained FROM emulator_requests();
-- the requests: settled_requests() (setup.sql), not the stalled job 9604's
\getenv endpoint MODELARTS_ENDPOINT
CREATE SERVER ma_agg FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_agg;
CREATE FOREIGN TABLE agg_images (
  data_annotation_id bigint,
  image_id text,
  image_name text,
  tag_name text
) SERVER ma_agg OPTIONS (resource 'images');
CREATE FOREIGN TABLE agg_tags (
  data_annotation_id bigint,
  tag_name text,
  image_count bigint
) SERVER ma_agg OPTIONS (resource 'tags');

-- agg_check(jobs, filter, grouping, aggregates): is the query pushed (a
-- foreign scan of the aggregate), how many groups, and how many rows differ
-- from the same query over local_images (EXCEPT ALL both ways)
CREATE FUNCTION agg_check(jobs text, filter text, grp text, aggs text,
                          OUT pushed bool, OUT groups bigint, OUT differ bigint)
LANGUAGE plpgsql AS $$
DECLARE
  q text;
  l text;
BEGIN
  q := format('SELECT %s%s FROM agg_images WHERE data_annotation_id %s%s%s',
              coalesce(grp || ', ', ''), aggs, jobs,
              coalesce(' AND ' || filter, ''), coalesce(' GROUP BY ' || grp, ''));
  l := replace(q, 'agg_images', 'local_images');
  pushed := explain_json(q)::text LIKE '%Aggregate on (agg_images)%';
  EXECUTE format('SELECT count(*) FROM (%s) x', l) INTO groups;
  EXECUTE format('SELECT (SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) a) + '
                 '(SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) b)', q, l, l, q)
    INTO differ;
END $$;

-- every shape: jobs x tag_name condition x grouping x aggregates
CREATE TABLE agg_matrix AS
SELECT j AS jobs, f AS filter, g AS grp, a AS aggs, c.*
FROM (VALUES ('= 282'), ('IN (282, 285, 284)'), ('= 283'), ('IN (282, 283)')) AS js(j),
     (VALUES (NULL), ($$tag_name = 'cat'$$), ($$tag_name IN ('cat', 'dog', 'nope')$$),
             ('tag_name IS NULL'), ('tag_name IS NOT NULL')) AS fs(f),
     (VALUES ('tag_name'), ('data_annotation_id, tag_name'), ('data_annotation_id'),
             (NULL)) AS gs(g),
     (VALUES ('count(*)'), ('count(DISTINCT image_id)'),
             ('count(image_id), count(DISTINCT image_id)')) AS ags(a),
     LATERAL agg_check(j, f, g, a) c;
SELECT jobs, coalesce(filter, '-') AS filter, coalesce(grp, '-') AS grp, aggs,
       pushed, groups, differ
FROM agg_matrix ORDER BY 1, 2, 3, 4;
-- none differs; what is pushed and what is not
SELECT count(*) AS shapes, count(*) FILTER (WHERE pushed) AS pushed,
       count(*) FILTER (WHERE differ <> 0) AS differ
FROM agg_matrix;
-- the detection job is pushed only where tags_stat's image counts answer:
-- IS NULL, count(DISTINCT image_id) over its tagged or all images, the
-- tags present without a count
SELECT filter, grp, aggs FROM agg_matrix
WHERE jobs = '= 283' AND pushed ORDER BY 1, 2, 3;
EXPLAIN (COSTS OFF)
SELECT tag_name FROM agg_images WHERE data_annotation_id = 283 GROUP BY 1;
SELECT tag_name FROM agg_images WHERE data_annotation_id = 283 GROUP BY 1
EXCEPT ALL
SELECT DISTINCT tag_name FROM local_images WHERE data_annotation_id = 283;

-- The requests.  A change to the server expires the planner's cache, so
-- that planning asks anew: tags/stats for the estimate, and the job call
-- (images?per_page=1) for the job's type.
ALTER SERVER ma_agg OPTIONS (ADD estimate_cache_seconds '600');
SELECT count(*) >= 0 AS drained FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 282 GROUP BY tag_name;
SELECT * FROM settled_requests();
-- the query: one tags/stats per job, no image request
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 282
GROUP BY tag_name ORDER BY 2 DESC, 1;
SELECT * FROM settled_requests();
SELECT data_annotation_id, tag_name, count(*), count(DISTINCT image_id)
FROM agg_images WHERE data_annotation_id IN (282, 285) AND tag_name IN ('cat', 'x')
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM settled_requests();
-- count(*) with no grouping: one row, also for no rows at all
SELECT count(*) FROM agg_images WHERE data_annotation_id = 282;
SELECT count(*) FROM agg_images WHERE data_annotation_id = 284;
SELECT count(*), count(DISTINCT image_id) FROM agg_images
WHERE data_annotation_id = 285 AND tag_name = 'nope';
SELECT * FROM settled_requests();

-- HAVING runs in the foreign scan, ORDER BY and LIMIT above it
EXPLAIN (VERBOSE, COSTS OFF)
SELECT data_annotation_id, tag_name, count(*) + 0 AS n FROM agg_images
WHERE data_annotation_id IN (282, 285)
GROUP BY 1, 2 HAVING count(*) > 50 ORDER BY n DESC, 2 LIMIT 4;
SELECT data_annotation_id, tag_name, count(*) + 0 AS n FROM agg_images
WHERE data_annotation_id IN (282, 285)
GROUP BY 1, 2 HAVING count(*) > 50 ORDER BY n DESC, 2 LIMIT 4;
SELECT data_annotation_id, tag_name, count(*) + 0 AS n FROM local_images
WHERE data_annotation_id IN (282, 285)
GROUP BY 1, 2 HAVING count(*) > 50 ORDER BY n DESC, 2 LIMIT 4;
SELECT * FROM settled_requests();

-- not pushed, and still right: a detection job's per-tag counts (a tag's
-- "count" may count boxes there) ...
EXPLAIN (VERBOSE, COSTS OFF)
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 283 GROUP BY 1;
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 283 GROUP BY 1
EXCEPT ALL
SELECT tag_name, count(*) FROM local_images WHERE data_annotation_id = 283 GROUP BY 1;
-- ... a condition left local ...
EXPLAIN (VERBOSE, COSTS OFF)
SELECT tag_name, count(*) FROM agg_images
WHERE data_annotation_id = 282 AND image_name LIKE 'IMG_00%' GROUP BY 1;
SELECT (SELECT count(*) FROM (
  SELECT tag_name, count(*) FROM agg_images
  WHERE data_annotation_id = 282 AND image_name LIKE 'IMG_00%' GROUP BY 1
  EXCEPT ALL
  SELECT tag_name, count(*) FROM local_images
  WHERE data_annotation_id = 282 AND image_name LIKE 'IMG_00%' GROUP BY 1) a) AS differ;
-- ... another aggregate, a FILTER, a grouping on an expression, a
-- non-deterministic collation, a parameter in a generic plan
CREATE COLLATION agg_nocase (provider = icu, locale = 'und-u-ks-level2',
                             deterministic = false);
SELECT q, (SELECT plan::text LIKE '%Aggregate on%'
             FROM (SELECT explain_json(q) AS plan) p) AS pushed
FROM (VALUES
  ($$SELECT tag_name, min(image_name) FROM agg_images WHERE data_annotation_id = 282 GROUP BY 1$$),
  ($$SELECT count(*) FILTER (WHERE image_id > 'a') FROM agg_images WHERE data_annotation_id = 282$$),
  ($$SELECT lower(tag_name), count(*) FROM agg_images WHERE data_annotation_id = 282 GROUP BY 1$$),
  ($$SELECT tag_name COLLATE agg_nocase, count(*) FROM agg_images WHERE data_annotation_id = 282 GROUP BY 1$$),
  ($$SELECT count(tag_name) FROM agg_images WHERE data_annotation_id = 282$$),
  ($$SELECT count(DISTINCT image_id) FROM agg_images WHERE data_annotation_id IN (282, 285)$$),
  ($$SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 282 GROUP BY 1$$)
) AS v(q);
SET plan_cache_mode = force_generic_plan;
PREPARE agg_q(bigint) AS
  SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = $1 GROUP BY 1;
EXPLAIN (COSTS OFF) EXECUTE agg_q(282);
DEALLOCATE agg_q;
RESET plan_cache_mode;

-- the annotation_tags table reads the same answer the same way
SELECT (SELECT count(*) FROM (
  SELECT data_annotation_id, tag_name, image_count FROM agg_tags
  WHERE data_annotation_id IN (282, 283, 285)
  EXCEPT ALL
  SELECT data_annotation_id, tag_name, count(*) FROM agg_images
  WHERE data_annotation_id IN (282, 285) AND tag_name IS NOT NULL GROUP BY 1, 2
  EXCEPT ALL
  SELECT data_annotation_id, tag_name, count(*) FROM local_images
  WHERE data_annotation_id = 283 AND tag_name IS NOT NULL GROUP BY 1, 2) a) AS differ;

-- to compare, or to work around: the GUC, or use_remote_estimate off
SELECT count(*) >= 0 AS drained FROM emulator_requests();
SET modelarts_fdw.enable_aggregate_pushdown = off;
EXPLAIN (COSTS OFF)
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 285 GROUP BY 1;
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 285 GROUP BY 1;
SELECT * FROM settled_requests();
RESET modelarts_fdw.enable_aggregate_pushdown;
ALTER FOREIGN TABLE agg_images OPTIONS (ADD use_remote_estimate 'false');
EXPLAIN (COSTS OFF)
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 285 GROUP BY 1;
ALTER FOREIGN TABLE agg_images OPTIONS (DROP use_remote_estimate);
EXPLAIN (COSTS OFF)
SELECT tag_name, count(*) FROM agg_images WHERE data_annotation_id = 285 GROUP BY 1;
SELECT count(*) >= 0 AS drained FROM emulator_requests();

DROP COLLATION agg_nocase;
DROP TABLE agg_matrix;
DROP FUNCTION agg_check(text, text, text, text);
DROP SERVER ma_agg CASCADE;
