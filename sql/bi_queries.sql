-- What BI tools and drivers send: prepared LIMIT/OFFSET bound as int4 and
-- int8, previews without a job, the filter shapes on data_annotation_id,
-- the optional-filter idioms, missing_job 'empty', EXPLAIN ANALYZE.
-- Checked by rows (against local_images, the sample as a local table) and
-- by the requests the emulator logged.
SELECT count(*) >= 0 AS drained FROM emulator_requests();

-- same_rows(w): the foreign table and the local copy give the same rows
-- for the condition w
CREATE FUNCTION same_rows(w text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  f text[];
  l text[];
BEGIN
  EXECUTE format('SELECT coalesce(array_agg(r ORDER BY r), ''{}'') FROM (SELECT data_annotation_id || ''/'' || image_id || ''/'' || coalesce(tag_name, ''-'') AS r FROM annotation_images WHERE %s) x', w) INTO f;
  EXECUTE format('SELECT coalesce(array_agg(r ORDER BY r), ''{}'') FROM (SELECT data_annotation_id || ''/'' || image_id || ''/'' || coalesce(tag_name, ''-'') AS r FROM local_images WHERE %s) x', w) INTO l;
  RETURN CASE WHEN f = l THEN 'same ' || cardinality(f) || ' rows'
              ELSE 'DIFFERENT: ' || cardinality(f) || ' rows vs ' || cardinality(l) END;
END $$;

-- the reference window: rows 20 to 29 of job 285's "x" stream
CREATE TEMP TABLE x_window AS
SELECT string_agg(image_name, ' ') AS names FROM (
  SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 20) f;
SELECT * FROM emulator_requests();

-- 1. drivers: LIMIT/OFFSET as int4 (setInt, PREPARE p(int, int)) and int8,
-- in generic and custom plans: the same rows, one request for the aligned
-- window each time
PREPARE w4(int, int) AS
  SELECT string_agg(image_name, ' ') AS names FROM (
    SELECT image_name FROM annotation_images
    WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT $1 OFFSET $2) f;
PREPARE w8(bigint, bigint) AS
  SELECT string_agg(image_name, ' ') AS names FROM (
    SELECT image_name FROM annotation_images
    WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT $1 OFFSET $2) f;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE w4(10, 20);
EXECUTE w4(10, 20) \gset
SELECT :'names' = (SELECT names FROM x_window) AS same_rows;
EXECUTE w8(10, 20) \gset
SELECT :'names' = (SELECT names FROM x_window) AS same_rows;
SELECT * FROM emulator_requests();
SET plan_cache_mode = force_custom_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE w4(10, 20);
EXECUTE w4(10, 20) \gset
SELECT :'names' = (SELECT names FROM x_window) AS same_rows;
EXECUTE w8(10, 20) \gset
SELECT :'names' = (SELECT names FROM x_window) AS same_rows;
SELECT * FROM emulator_requests();
-- EXPLAIN ANALYZE of the generic plan: the request sent, with its values
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE w4(10, 20);
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
DEALLOCATE w4;
DEALLOCATE w8;

-- 2. previews: no job condition, no table option: the jobs of the listing
-- in its order, the LIMIT across them: the listing page (offset 1; offset
-- 0, of a base not known yet, is asked last, by a read that gets there) and
-- two image pages for 200 rows, from the first preview of a session on.
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM annotation_images LIMIT 200;
SELECT count(*) FROM (SELECT * FROM annotation_images LIMIT 200) f;
SELECT * FROM emulator_requests();
SELECT count(*) FROM (SELECT * FROM annotation_images LIMIT 200) f;
SELECT * FROM emulator_requests();
-- the rows are the first job's first rows, as with the job given
SELECT (SELECT array_agg(image_id || coalesce(tag_name, '-')) FROM
          (SELECT * FROM annotation_images LIMIT 50 OFFSET 10) f)
     = (SELECT array_agg(image_id || coalesce(tag_name, '-')) FROM
          (SELECT * FROM annotation_images WHERE data_annotation_id = 282 LIMIT 50 OFFSET 10) f)
       AS same_rows;
SELECT count(*) FROM emulator_requests();
-- LIMIT 0 (DBeaver's and Metabase's look at the columns): no request
SELECT * FROM annotation_images LIMIT 0;
PREPARE zero(int) AS SELECT * FROM annotation_images LIMIT $1;
EXECUTE zero(0);
DEALLOCATE zero;
SELECT * FROM emulator_requests();
-- a window across jobs: 282 has 422 rows, so rows 420 to 429 are two of
-- 282's and eight of 283's
SELECT data_annotation_id, count(*) FROM
  (SELECT * FROM annotation_images LIMIT 10 OFFSET 420) f GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();
-- every row, every job
SELECT same_rows('true');
SELECT * FROM emulator_requests();
-- versions and tags read the listing too
SELECT count(*) FROM annotation_versions;
SELECT count(*) FROM annotation_tags;
SELECT * FROM emulator_requests();
-- ... unless require_job_filter says otherwise; a join still runs
ALTER FOREIGN TABLE annotation_tags OPTIONS (ADD require_job_filter 'true');
SELECT try_query('SELECT count(*) FROM annotation_tags');
SELECT count(*) FROM annotation_tags WHERE data_annotation_id = 285;
SELECT count(*) FROM (VALUES (283::bigint)) v(id)
  JOIN annotation_tags t ON t.data_annotation_id = v.id;
ALTER FOREIGN TABLE annotation_tags OPTIONS (DROP require_job_filter);
SELECT * FROM emulator_requests();
-- EXPLAIN ANALYZE of a job-level table read from the listing
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT version_name FROM annotation_versions WHERE data_annotation_id BETWEEN 283 AND 290;
SELECT * FROM emulator_requests();

-- 3. data_annotation_id: each shape, rows and requests
SELECT same_rows('data_annotation_id = 283');
SELECT same_rows('data_annotation_id IN (283, 285)');
SELECT same_rows('data_annotation_id = ANY (ARRAY[283, 285, 283])');
SELECT same_rows('data_annotation_id = 283 OR data_annotation_id = 285');
SELECT same_rows('(data_annotation_id = 283 OR data_annotation_id IN (285, 284))');
SELECT * FROM emulator_requests();
-- numeric, float8 and text constants that denote an integer
SELECT same_rows('data_annotation_id = 283.0');
SELECT same_rows('data_annotation_id = 283e0');
SELECT same_rows('data_annotation_id::text = ''283''');
SELECT same_rows('data_annotation_id IN (283.000, 285)');
SELECT * FROM emulator_requests();
-- values no job has: not integral, <= 0, another spelling: no rows, no
-- request
SELECT same_rows('data_annotation_id = 283.5');
SELECT same_rows('data_annotation_id = 0');
SELECT same_rows('data_annotation_id = -1');
SELECT same_rows('data_annotation_id IN (0, -1)');
SELECT same_rows('data_annotation_id::text = ''0283''');
SELECT same_rows('data_annotation_id = 283.5e0');
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 283.5;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 283 OR data_annotation_id = 285.0;
-- a float8 too large to name one bigint stays a local filter
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 1e300::float8;
-- a numeric or text parameter, as drivers bind a BigDecimal or a string
PREPARE num_id(numeric) AS SELECT count(*) FROM annotation_images WHERE data_annotation_id = $1;
PREPARE txt_id(text) AS SELECT count(*) FROM annotation_images WHERE data_annotation_id::text = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE num_id(283.0);
EXECUTE num_id(283.0);
EXECUTE num_id(283.25);
EXECUTE txt_id('283');
EXECUTE txt_id('+283');
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
DEALLOCATE num_id;
DEALLOCATE txt_id;
-- ranges: one value is that job; wider, the listing filtered by the range
SELECT same_rows('data_annotation_id BETWEEN 283 AND 283');
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id BETWEEN 283 AND 283;
SELECT same_rows('data_annotation_id BETWEEN 283 AND 284');
SELECT * FROM emulator_requests();
SELECT same_rows('data_annotation_id > 283');
SELECT same_rows('data_annotation_id < 284 AND data_annotation_id >= 283');
SELECT same_rows('data_annotation_id BETWEEN 290 AND 280');
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id BETWEEN 283 AND 284;
PREPARE rng(bigint, bigint) AS
  SELECT count(*) FROM annotation_images WHERE data_annotation_id BETWEEN $1 AND $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE rng(283, 285);
EXECUTE rng(283, 285);
EXECUTE rng(285, 285);
EXECUTE rng(285, NULL);
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
DEALLOCATE rng;

-- 4. the optional-filter idioms, settled at execution with the value bound
PREPARE opt_tag(text) AS SELECT count(*) FROM annotation_images
  WHERE data_annotation_id = 283 AND (tag_name = $1 OR $1 IS NULL);
PREPARE nd_tag(text) AS SELECT count(*) FROM annotation_images
  WHERE data_annotation_id = 283 AND tag_name IS NOT DISTINCT FROM $1;
PREPARE opt_id(bigint) AS SELECT count(*) FROM annotation_images
  WHERE (data_annotation_id = $1 OR $1 IS NULL) AND tag_name = 'x';
PREPARE nd_id(bigint) AS SELECT count(*) FROM annotation_images
  WHERE data_annotation_id IS NOT DISTINCT FROM $1 AND tag_name = 'x';
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE opt_tag('car');
EXECUTE opt_tag('car');
SELECT * FROM emulator_requests();
EXECUTE opt_tag(NULL);
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE nd_tag('car');
EXECUTE nd_tag('car');
EXECUTE nd_tag(NULL);
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE opt_id(285);
EXECUTE opt_id(285);
SELECT * FROM emulator_requests();
EXECUTE opt_id(NULL);
SELECT * FROM emulator_requests();
EXECUTE nd_id(285);
EXECUTE nd_id(NULL);
SELECT * FROM emulator_requests();
-- under require_job_filter, a NULL there is refused when the scan starts
ALTER FOREIGN TABLE annotation_images OPTIONS (ADD require_job_filter 'true');
PREPARE opt_id_req(bigint) AS SELECT count(*) FROM annotation_images
  WHERE (data_annotation_id = $1 OR $1 IS NULL) AND tag_name = 'x';
EXECUTE opt_id_req(285);
SELECT try_query('EXECUTE opt_id_req(NULL)');
DEALLOCATE opt_id_req;
ALTER FOREIGN TABLE annotation_images OPTIONS (DROP require_job_filter);
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
-- the same rows as the plain conditions
SELECT (SELECT count(*) FROM local_images WHERE data_annotation_id = 283 AND tag_name = 'car') AS car,
       (SELECT count(*) FROM local_images WHERE data_annotation_id = 283) AS all_283,
       (SELECT count(*) FROM local_images WHERE data_annotation_id = 283 AND tag_name IS NULL) AS untagged_283,
       (SELECT count(*) FROM local_images WHERE tag_name = 'x') AS x_any_job;
DEALLOCATE opt_tag;
DEALLOCATE nd_tag;
DEALLOCATE opt_id;
DEALLOCATE nd_id;

-- 5. missing_job 'empty': a deleted job in a local table does not break
-- the join; a WARNING names it, once per query
CREATE FOREIGN TABLE images_or_empty (data_annotation_id bigint, image_name text)
  SERVER ma OPTIONS (resource 'images', missing_job 'empty');
CREATE TEMP TABLE dash_jobs (job bigint);
INSERT INTO dash_jobs VALUES (285), (9999), (283), (9999);
ANALYZE dash_jobs;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_memoize = off;
EXPLAIN (COSTS OFF)
SELECT d.job, count(i.image_name)
FROM dash_jobs d LEFT JOIN images_or_empty i ON i.data_annotation_id = d.job
GROUP BY 1 ORDER BY 1;
SELECT d.job, count(i.image_name)
FROM dash_jobs d LEFT JOIN images_or_empty i ON i.data_annotation_id = d.job
GROUP BY 1 ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_memoize;
SELECT * FROM emulator_requests();
SELECT count(*) FROM images_or_empty WHERE data_annotation_id IN (285, 9998);
-- the default, 'error': the service's answer as an error
SELECT try_query('SELECT count(*) FROM annotation_images WHERE data_annotation_id = 9998');
-- the job-level tables too
CREATE FOREIGN TABLE versions_or_empty (data_annotation_id bigint, version_name text)
  SERVER ma OPTIONS (resource 'versions', missing_job 'empty');
SELECT data_annotation_id, count(*) FROM versions_or_empty
WHERE data_annotation_id IN (283, 9997) GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();
DROP FOREIGN TABLE images_or_empty, versions_or_empty;

-- 6. PostgreSQL's order of checks: OFFSET before LIMIT
SELECT * FROM annotation_images WHERE data_annotation_id = 285 LIMIT -1 OFFSET -1;
SELECT * FROM local_images LIMIT -1 OFFSET -1;
SELECT * FROM emulator_requests();

DROP FUNCTION same_rows(text);
