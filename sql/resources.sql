-- The job-level resources: projects, versions and tags.  For each, the rows
-- against the sample data, the requests each query sent (only the calls
-- that the referenced columns need), IN lists, parameters, a table option
-- that disagrees with a condition, and a comparison with local tables
-- loaded from the same sample file.
SELECT count(*) >= 0 AS drained FROM emulator_requests();

CREATE FOREIGN TABLE annotation_projects (
  data_annotation_id bigint,
  project_name text,
  project_desc text,
  project_type int,
  create_time timestamptz,
  version_num int,
  data_path text,
  image_count bigint,
  tagged_count bigint,
  untagged_count bigint
) SERVER ma OPTIONS (resource 'projects');

CREATE FOREIGN TABLE annotation_versions (
  data_annotation_id bigint,
  version_id text,
  version_name text,
  version_desc text,
  file_count bigint,
  status int,
  create_time timestamptz
) SERVER ma OPTIONS (resource 'versions');

CREATE FOREIGN TABLE annotation_tags (
  data_annotation_id bigint,
  tag_name text,
  image_count bigint
) SERVER ma OPTIONS (resource 'tags');

-- The same data as local tables: local_projects, local_versions and
-- local_tags, made by setup (test/sql/row_model.sql)

---------------------------------------------------------------- projects
-- no job given: the listing, page by page; nothing else for the columns
-- it carries
EXPLAIN (VERBOSE, COSTS OFF)
SELECT data_annotation_id, project_name, image_count, tagged_count, untagged_count
FROM annotation_projects;
SELECT data_annotation_id, project_name, project_desc, create_time, data_path,
       image_count, tagged_count, untagged_count
FROM annotation_projects ORDER BY 1;
SELECT * FROM emulator_requests();

-- project_type and version_num are not in the listing: one images call
-- (per_page=1) per listed job
EXPLAIN (VERBOSE, COSTS OFF)
SELECT data_annotation_id, project_type, version_num FROM annotation_projects;
SELECT data_annotation_id, project_type, version_num FROM annotation_projects ORDER BY 1;
SELECT * FROM emulator_requests();

-- a job given: its fields from the images call, its counts from tags/stats,
-- each only when a column needs it
EXPLAIN (VERBOSE, COSTS OFF)
SELECT project_name, version_num FROM annotation_projects WHERE data_annotation_id = 283;
SELECT project_name, version_num FROM annotation_projects WHERE data_annotation_id = 283;
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_count, tagged_count, untagged_count FROM annotation_projects WHERE data_annotation_id = 282;
SELECT image_count, tagged_count, untagged_count FROM annotation_projects WHERE data_annotation_id = 282;
SELECT * FROM emulator_requests();
SELECT * FROM annotation_projects WHERE data_annotation_id = 284;
SELECT * FROM emulator_requests();
-- no column at all: one call, to learn that the job exists
SELECT count(*) FROM annotation_projects WHERE data_annotation_id = 285;
SELECT * FROM emulator_requests();
\set VERBOSITY terse
SELECT count(*) FROM annotation_projects WHERE data_annotation_id = 999;
\set VERBOSITY default
SELECT * FROM emulator_requests();

-- IN: the listed jobs, duplicates and NULLs dropped
EXPLAIN (VERBOSE, COSTS OFF)
SELECT data_annotation_id, project_name FROM annotation_projects
WHERE data_annotation_id IN (285, 282, 285, NULL);
SELECT data_annotation_id, project_name FROM annotation_projects
WHERE data_annotation_id IN (285, 282, 285, NULL) ORDER BY 1;
SELECT * FROM emulator_requests();

-- a parameter (generic plan: the value is known only at execution)
SET plan_cache_mode = force_generic_plan;
PREPARE proj(bigint) AS
  SELECT project_name, untagged_count FROM annotation_projects WHERE data_annotation_id = $1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE proj(282);
EXECUTE proj(282);
EXECUTE proj(283);
SELECT * FROM emulator_requests();
DEALLOCATE proj;
RESET plan_cache_mode;

---------------------------------------------------------------- versions
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM annotation_versions WHERE data_annotation_id = 282;
SELECT * FROM annotation_versions WHERE data_annotation_id = 282 ORDER BY version_name;
SELECT * FROM emulator_requests();
SELECT data_annotation_id, version_name, file_count FROM annotation_versions
WHERE data_annotation_id IN (283, 284) ORDER BY 1, 2;
SELECT * FROM emulator_requests();
-- no job given: every job of the listing, one images call each
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM annotation_versions;
SELECT data_annotation_id, count(*), max(version_name) FROM annotation_versions
GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();

---------------------------------------------------------------- tags
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM annotation_tags WHERE data_annotation_id = 283;
SELECT * FROM annotation_tags WHERE data_annotation_id = 283 ORDER BY tag_name;
SELECT * FROM emulator_requests();
-- a condition on tag_name is a local filter here
SELECT * FROM annotation_tags WHERE data_annotation_id IN (282, 285) AND tag_name IN ('cat', 'x')
ORDER BY 1, 2;
SELECT * FROM emulator_requests();
-- no job given: every job of the listing, one tags/stats call each
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM annotation_tags;
SELECT data_annotation_id, count(*), sum(image_count) FROM annotation_tags
GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();

---------------------------------------------------------------- table option
-- bound to job 282: a condition on another job is no rows and no request
CREATE FOREIGN TABLE projects_282 (data_annotation_id bigint, project_name text, image_count bigint)
  SERVER ma OPTIONS (resource 'projects', data_annotation_id '282');
CREATE FOREIGN TABLE tags_282 (data_annotation_id bigint, tag_name text, image_count bigint)
  SERVER ma OPTIONS (resource 'tags', data_annotation_id '282');
CREATE FOREIGN TABLE images_282 (data_annotation_id bigint, image_id text, tag_name text)
  SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT * FROM projects_282;
SELECT * FROM emulator_requests();
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM projects_282 WHERE data_annotation_id = 283;
SELECT * FROM projects_282 WHERE data_annotation_id = 283;
SELECT count(*) FROM tags_282 WHERE data_annotation_id = 283;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM images_282 WHERE data_annotation_id = 283;
SELECT count(*) FROM images_282 WHERE data_annotation_id = 283;
SELECT * FROM emulator_requests();
-- agreeing, and a list where only the table's job remains
SELECT count(*) FROM tags_282 WHERE data_annotation_id IN (283, 282);
SELECT * FROM emulator_requests();

---------------------------------------------------------------- compare
-- the same queries over the local tables: rows that differ either way (0)
-- and rows compared
CREATE FUNCTION compare_resource(tab text, cond text)
RETURNS TABLE (differ bigint, compared bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    $q$WITH f AS (SELECT * FROM %1$I WHERE %3$s),
            l AS (SELECT * FROM %2$I WHERE %3$s)
       SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT ALL SELECT * FROM l) a) +
              (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM f) b),
              (SELECT count(*) FROM f)$q$,
    'annotation_' || tab, 'local_' || tab, cond);
END $$;
SELECT t AS resource, c AS condition, r.*
FROM (VALUES ('projects'), ('versions'), ('tags')) AS ts(t),
     (VALUES ($$true$$),
             ($$data_annotation_id = 282$$),
             ($$data_annotation_id = 284$$),
             ($$data_annotation_id IN (283, 285)$$),
             ($$data_annotation_id = ANY (ARRAY[282, 283, 284, 285])$$)) AS cs(c),
     LATERAL compare_resource(t, c) AS r
ORDER BY 1, 2;
SELECT count(*) >= 0 AS drained FROM emulator_requests();
