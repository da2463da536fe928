-- Joins with local tables: data_annotation_id = outer.col gives a
-- parameterized foreign scan, so a nested loop sends one job's requests per
-- outer row instead of reading every job.
SELECT count(*) >= 0 AS drained FROM emulator_requests();

CREATE TABLE my_jobs (team text, data_annotation_id bigint);
INSERT INTO my_jobs VALUES ('vision', 282), ('maps', 283), ('qa', 285);
ANALYZE my_jobs;

-- the join of the README: a parameterized scan, $n being the outer row's
-- job; annotation_images alone could not be read at all
EXPLAIN (VERBOSE, COSTS OFF)
SELECT j.team, i.image_name FROM my_jobs j JOIN annotation_images i USING (data_annotation_id)
WHERE i.tag_name = 'cat';
SELECT j.team, count(*), count(DISTINCT i.image_name), min(i.image_name), max(i.image_name)
FROM my_jobs j JOIN annotation_images i USING (data_annotation_id)
WHERE i.tag_name = 'cat' GROUP BY 1 ORDER BY 1;
-- one request stream per outer row, nothing for jobs not in my_jobs
SELECT * FROM emulator_requests();
-- the same rows as the join over the local table
SELECT count(*) AS differ FROM (
  (SELECT j.team, i.image_name FROM my_jobs j JOIN annotation_images i USING (data_annotation_id)
   WHERE i.tag_name = 'cat'
   EXCEPT ALL
   SELECT j.team, i.image_name FROM my_jobs j JOIN local_images i USING (data_annotation_id)
   WHERE i.tag_name = 'cat')
  UNION ALL
  (SELECT j.team, i.image_name FROM my_jobs j JOIN local_images i USING (data_annotation_id)
   WHERE i.tag_name = 'cat'
   EXCEPT ALL
   SELECT j.team, i.image_name FROM my_jobs j JOIN annotation_images i USING (data_annotation_id)
   WHERE i.tag_name = 'cat')) d;
SELECT count(*) AS requests FROM emulator_requests();

-- EXPLAIN ANALYZE: the foreign scan runs once per outer row
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT j.team, i.image_name FROM my_jobs j JOIN annotation_images i USING (data_annotation_id)
WHERE i.tag_name = 'dog';
SELECT * FROM emulator_requests();

-- without a tag: each outer row's job, tagged stream then untagged
SELECT j.team, count(*), count(i.tag_name) FROM my_jobs j
JOIN annotation_images i ON i.data_annotation_id = j.data_annotation_id
WHERE j.team = 'maps' GROUP BY 1;
SELECT * FROM emulator_requests();

-- an outer job that does not exist fails as a condition would
INSERT INTO my_jobs VALUES ('ghost', 999);
\set VERBOSITY terse
SELECT count(*) FROM my_jobs j JOIN annotation_images i USING (data_annotation_id)
WHERE i.tag_name = 'cat';
\set VERBOSITY default
DELETE FROM my_jobs WHERE team = 'ghost';
SELECT * FROM emulator_requests();

-- a table bound to job 282 joined with every team: only the agreeing outer
-- row sends requests
CREATE FOREIGN TABLE cats_only (data_annotation_id bigint, image_id text, tag_name text)
  SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT j.team, count(*) FROM my_jobs j JOIN cats_only c USING (data_annotation_id)
WHERE c.tag_name = 'cat' GROUP BY 1;
SELECT * FROM emulator_requests();

-- versions and tags: parameterized while the local side is small (the
-- alternative reads every job of the listing)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT j.team, v.version_name FROM my_jobs j JOIN annotation_versions v USING (data_annotation_id);
SELECT j.team, v.version_name, v.file_count
FROM my_jobs j JOIN annotation_versions v USING (data_annotation_id) ORDER BY 1, 2;
SELECT * FROM emulator_requests();
SELECT j.team, t.tag_name, t.image_count
FROM my_jobs j JOIN annotation_tags t USING (data_annotation_id)
WHERE j.team IN ('maps', 'qa') ORDER BY 1, 2;
SELECT * FROM emulator_requests();

-- projects: the listing carries these columns in one request, which beats
-- one request per outer row; the join is done here
EXPLAIN (VERBOSE, COSTS OFF)
SELECT j.team, p.project_name, p.image_count FROM my_jobs j JOIN annotation_projects p USING (data_annotation_id);
SELECT j.team, p.project_name, p.image_count
FROM my_jobs j JOIN annotation_projects p USING (data_annotation_id) ORDER BY 1;
SELECT * FROM emulator_requests();
-- version_num needs a call per job: per outer row is cheaper than per
-- listed job
EXPLAIN (VERBOSE, COSTS OFF)
SELECT j.team, p.version_num FROM my_jobs j JOIN annotation_projects p USING (data_annotation_id)
WHERE j.team = 'vision';
SELECT j.team, p.version_num FROM my_jobs j JOIN annotation_projects p USING (data_annotation_id)
WHERE j.team = 'vision';
SELECT * FROM emulator_requests();

-- a large local side with few distinct jobs: still parameterized, with
-- Memoize keeping one scan per distinct job
CREATE TABLE many_jobs AS
  SELECT g AS n, 282 + g % 4 AS data_annotation_id FROM generate_series(1, 400) g;
ANALYZE many_jobs;
EXPLAIN (COSTS OFF)
SELECT m.n, t.tag_name FROM many_jobs m JOIN annotation_tags t USING (data_annotation_id);
SELECT count(*), count(DISTINCT m.n) FROM many_jobs m JOIN annotation_tags t USING (data_annotation_id);
SELECT * FROM emulator_requests();
-- the same rows as over the local table
SELECT count(*) AS differ FROM (
  (SELECT m.n, t.tag_name, t.image_count FROM many_jobs m JOIN annotation_tags t USING (data_annotation_id)
   EXCEPT ALL
   SELECT m.n, t.tag_name, t.image_count FROM many_jobs m JOIN local_tags t USING (data_annotation_id))
  UNION ALL
  (SELECT m.n, t.tag_name, t.image_count FROM many_jobs m JOIN local_tags t USING (data_annotation_id)
   EXCEPT ALL
   SELECT m.n, t.tag_name, t.image_count FROM many_jobs m JOIN annotation_tags t USING (data_annotation_id))) d;
SELECT count(*) >= 0 AS drained FROM emulator_requests();

-- a large local side of distinct jobs: reading every job once through the
-- listing is cheaper than a request per outer row, and the planner takes
-- the plain scan
CREATE TABLE old_jobs AS
  SELECT g AS data_annotation_id FROM generate_series(1, 400) g
  UNION ALL VALUES (283), (285);
ANALYZE old_jobs;
EXPLAIN (COSTS OFF)
SELECT o.data_annotation_id, t.tag_name FROM old_jobs o JOIN annotation_tags t USING (data_annotation_id);
SELECT o.data_annotation_id, t.tag_name, t.image_count
FROM old_jobs o JOIN annotation_tags t USING (data_annotation_id) ORDER BY 1, 2;
SELECT * FROM emulator_requests();

-- LATERAL: the subquery's condition on the outer row's job is a parameter
-- too
SELECT j.team, x.n FROM my_jobs j,
  LATERAL (SELECT count(*) AS n FROM annotation_images i
           WHERE i.data_annotation_id = j.data_annotation_id AND i.tag_name IS NULL) x
ORDER BY 1;
SELECT * FROM emulator_requests();

-- the executor's memory stays flat over rescans of a parameterized scan:
-- each rescan's values and requests live in contexts reset at the next
-- one (ExecutorState, measured after the join in the same query, is the
-- same after 10 and after 2,000 rescans)
CREATE TABLE rescan_jobs AS SELECT 285::bigint AS job FROM generate_series(1, 2000);
ANALYZE rescan_jobs;
SET jit = off;
SET enable_memoize = off;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
-- (require_job_filter keeps the plain scan, which reads the listing once,
-- from winning over the parameterized one)
ALTER FOREIGN TABLE annotation_images OPTIONS (ADD require_job_filter 'true');
CREATE TEMP TABLE rescan_memory (rescans int, rows bigint, executor_bytes bigint);
-- (a first INSERT into the new table allocates more: it is the warm-up)
\set n 1
INSERT INTO rescan_memory
SELECT :n, (SELECT count(*) FROM (SELECT * FROM rescan_jobs LIMIT :n) o
            JOIN annotation_images i ON i.data_annotation_id = o.job AND i.tag_name = 'nope'),
       (SELECT sum(used_bytes) FROM pg_backend_memory_contexts WHERE name = 'ExecutorState');
\set n 10
INSERT INTO rescan_memory
SELECT :n, (SELECT count(*) FROM (SELECT * FROM rescan_jobs LIMIT :n) o
            JOIN annotation_images i ON i.data_annotation_id = o.job AND i.tag_name = 'nope'),
       (SELECT sum(used_bytes) FROM pg_backend_memory_contexts WHERE name = 'ExecutorState');
\set n 2000
INSERT INTO rescan_memory
SELECT :n, (SELECT count(*) FROM (SELECT * FROM rescan_jobs LIMIT :n) o
            JOIN annotation_images i ON i.data_annotation_id = o.job AND i.tag_name = 'nope'),
       (SELECT sum(used_bytes) FROM pg_backend_memory_contexts WHERE name = 'ExecutorState');
SELECT rescans, rows, executor_bytes = first_value(executor_bytes) OVER (ORDER BY rescans) AS same_memory
FROM rescan_memory WHERE rescans > 1 ORDER BY rescans;
SELECT count(*) AS requests FROM emulator_requests();
RESET jit;
RESET enable_memoize;
RESET enable_hashjoin;
RESET enable_mergejoin;
ALTER FOREIGN TABLE annotation_images OPTIONS (DROP require_job_filter);
DROP TABLE rescan_jobs;
