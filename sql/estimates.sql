-- Remote estimates: the planner's row counts from tags/stats.  A server
-- with the default options (use_remote_estimate true, estimate_cache_seconds
-- 60), the row estimates of EXPLAIN against the true counts of the sample
-- (local_images, from setup), the requests planning sends, the cache, and
-- what happens without a constant job or when the call fails.
SELECT count(*) >= 0 AS drained FROM emulator_requests();
-- the requests: settled_requests() (setup.sql), not the stalled job 9604's

-- the options are checked when they are set
CREATE SERVER est_bad FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://x', project_id 'p', use_remote_estimate 'maybe');
CREATE SERVER est_bad FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://x', project_id 'p', estimate_cache_seconds '-1');
CREATE SERVER est_bad FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://x', project_id 'p', estimate_cache_seconds '86401');
\getenv endpoint MODELARTS_ENDPOINT
CREATE SERVER ma_est FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_est;
-- not a user mapping option
ALTER USER MAPPING FOR CURRENT_USER SERVER ma_est
  OPTIONS (ADD use_remote_estimate 'true');
CREATE FOREIGN TABLE est_images (
  data_annotation_id bigint,
  image_id text,
  image_name text,
  tag_name text
) SERVER ma_est OPTIONS (resource 'images');
CREATE FOREIGN TABLE est_images_off (
  data_annotation_id bigint,
  image_id text,
  tag_name text
) SERVER ma_est OPTIONS (resource 'images', use_remote_estimate 'false');
CREATE FOREIGN TABLE est_images_bad (
  data_annotation_id bigint
) SERVER ma_est OPTIONS (resource 'images', use_remote_estimate 'sometimes');

-- est_rows(q): the planner's row estimate of the query's top node
CREATE FUNCTION est_rows(q text) RETURNS bigint
LANGUAGE sql AS $$
  SELECT (explain_json(q)->0->'Plan'->>'Plan Rows')::bigint
$$;

-- The estimate of each condition against the true count of the sample.
-- Job 282 is a classification job, 283 a detection job (its emulated
-- counts count images), 284 an empty one.
CREATE TABLE est_cases (n int, cond text);
INSERT INTO est_cases VALUES
  (1, $$data_annotation_id = 282$$),
  (2, $$data_annotation_id = 282 AND tag_name = 'cat'$$),
  (3, $$data_annotation_id = 282 AND tag_name = 'no such tag'$$),
  (4, $$data_annotation_id = 282 AND tag_name IN ('cat', 'dog', '猫')$$),
  (5, $$data_annotation_id = 282 AND tag_name IS NULL$$),
  (6, $$data_annotation_id = 282 AND tag_name IS NOT NULL$$),
  (7, $$data_annotation_id IN (282, 283, 285)$$),
  (8, $$data_annotation_id IN (282, 283) AND tag_name = 'cat'$$),
  (9, $$data_annotation_id = 283$$),
  (10, $$data_annotation_id = 283 AND tag_name IS NULL$$),
  (11, $$data_annotation_id = 284$$),
  (12, $$data_annotation_id = 285 AND tag_name IN ('x', '__none__', '')$$);
-- true_rows(cond): the rows of the sample that meet the condition
CREATE FUNCTION true_rows(cond text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM local_images WHERE ' || cond INTO n;
  RETURN n;
END $$;
SELECT n, cond, est, actual,
       est BETWEEN greatest(actual, 1) / 2.0 AND greatest(actual, 1) * 2.0 AS within_2x
FROM (SELECT n, cond, est_rows('SELECT * FROM est_images WHERE ' || cond) AS est,
             true_rows(cond) AS actual
      FROM est_cases) s
ORDER BY n;

-- planning asked each job's tags/stats once: the answers are cached
SELECT * FROM settled_requests();
SELECT est_rows('SELECT * FROM est_images WHERE data_annotation_id = 282') AS est;
SELECT * FROM settled_requests();

-- the estimate is what EXPLAIN shows, and joins are planned with it
EXPLAIN SELECT image_name FROM est_images WHERE data_annotation_id = 282 AND tag_name IS NULL;
EXPLAIN SELECT * FROM est_images WHERE data_annotation_id = 285;

-- a change to the server expires the cache: planning asks again
ALTER SERVER ma_est OPTIONS (ADD estimate_cache_seconds '0');
SELECT est_rows('SELECT * FROM est_images WHERE data_annotation_id = 282') AS est;
SELECT * FROM settled_requests();
-- estimate_cache_seconds 0: every planning asks
SELECT est_rows('SELECT * FROM est_images WHERE data_annotation_id = 282') AS est;
SELECT * FROM settled_requests();
ALTER SERVER ma_est OPTIONS (SET estimate_cache_seconds '60');

-- use_remote_estimate false (table option over the server's): the default
-- estimate, no request at plan time
SELECT est_rows('SELECT * FROM est_images_off WHERE data_annotation_id = 282') AS est;
SELECT * FROM settled_requests();
ALTER FOREIGN TABLE est_images_off OPTIONS (SET use_remote_estimate 'true');
SELECT est_rows('SELECT * FROM est_images_off WHERE data_annotation_id = 282') AS est;
ALTER SERVER ma_est OPTIONS (ADD use_remote_estimate 'false');
SELECT est_rows('SELECT * FROM est_images_off WHERE data_annotation_id = 282') AS table_says_true,
       est_rows('SELECT * FROM est_images WHERE data_annotation_id = 282') AS server_says_false;
ALTER SERVER ma_est OPTIONS (DROP use_remote_estimate);
SELECT * FROM settled_requests();

-- no constant job: a parameter in a generic plan, or a join: the default
SET plan_cache_mode = force_generic_plan;
PREPARE est_q(bigint) AS SELECT * FROM est_images WHERE data_annotation_id = $1;
EXPLAIN EXECUTE est_q(282);
DEALLOCATE est_q;
RESET plan_cache_mode;
SELECT * FROM settled_requests();

-- a failed call does not fail planning: the default estimate and a DEBUG1
-- message; the scan raises its own error if it runs
SET client_min_messages = debug1;
EXPLAIN SELECT * FROM est_images WHERE data_annotation_id = 9999;
RESET client_min_messages;
SELECT count(*) FROM est_images WHERE data_annotation_id = 9999;
-- ... and the failure is cached too: no second attempt within the period
EXPLAIN SELECT * FROM est_images WHERE data_annotation_id = 9999;
SELECT * FROM settled_requests();

-- no user mapping for the server: no estimate, no error at plan time
CREATE SERVER ma_est_nouser FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
CREATE FOREIGN TABLE est_nouser (data_annotation_id bigint)
  SERVER ma_est_nouser OPTIONS (resource 'images');
EXPLAIN SELECT * FROM est_nouser WHERE data_annotation_id = 282;
SELECT * FROM settled_requests();

DROP SERVER ma_est_nouser CASCADE;
DROP SERVER ma_est CASCADE;
DROP TABLE est_cases;
DROP FUNCTION true_rows(text);
DROP FUNCTION est_rows(text);
