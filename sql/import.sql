-- IMPORT FOREIGN SCHEMA: "modelarts" (the table of each resource, no
-- request) and "jobs" (one images table per labeling job of the listing),
-- with LIMIT TO and EXCEPT, and the tables queried straight away.
SELECT count(*) >= 0 AS drained FROM emulator_requests();

CREATE SCHEMA ma_all;
IMPORT FOREIGN SCHEMA modelarts FROM SERVER ma INTO ma_all;
\det+ ma_all.*
SELECT c.relname, string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE n.nspname = 'ma_all' GROUP BY 1 ORDER BY 1;
-- every table and column carries a comment: what it holds, where from
SELECT c.relname, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'ma_all' ORDER BY 1;
SELECT c.relname, a.attname, col_description(c.oid, a.attnum)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE n.nspname = 'ma_all' ORDER BY 1, a.attnum;
-- nothing was asked of the service
SELECT * FROM emulator_requests();

-- queried straight away
SELECT data_annotation_id, project_name, project_type, image_count, tagged_count, untagged_count
FROM ma_all.annotation_projects ORDER BY 1;
SELECT * FROM ma_all.annotation_versions WHERE data_annotation_id = 285;
SELECT * FROM ma_all.annotation_tags WHERE data_annotation_id = 283 ORDER BY tag_name;
SELECT count(*), count(DISTINCT image_id), count(tag_name)
FROM ma_all.annotation_images WHERE data_annotation_id = 282;
SELECT * FROM emulator_requests();

-- LIMIT TO and EXCEPT; a name the schema does not have is ignored
CREATE SCHEMA ma_some;
IMPORT FOREIGN SCHEMA modelarts LIMIT TO (annotation_tags, annotation_versions, no_such_table)
  FROM SERVER ma INTO ma_some;
CREATE SCHEMA ma_rest;
IMPORT FOREIGN SCHEMA modelarts EXCEPT (annotation_images) FROM SERVER ma INTO ma_rest;
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('ma_some', 'ma_rest') ORDER BY 1, 2;
-- with their comments
SELECT n.nspname, count(*) AS columns, count(col_description(c.oid, a.attnum)) AS commented,
       count(DISTINCT obj_description(c.oid, 'pg_class')) AS table_comments
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE n.nspname IN ('ma_some', 'ma_rest') GROUP BY 1 ORDER BY 1;

-- "jobs": one table per labeling job, named after the job, bound to it
CREATE SCHEMA bi;
IMPORT FOREIGN SCHEMA jobs FROM SERVER ma INTO bi;
\det+ bi.*
SELECT * FROM emulator_requests();
SELECT c.relname, obj_description(c.oid, 'pg_class'),
       count(*) AS columns, count(col_description(c.oid, a.attnum)) AS commented
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE n.nspname = 'bi' GROUP BY c.oid, 1 ORDER BY 1;
-- queried straight away: no condition needed, the table option names the job
SELECT count(*), count(DISTINCT image_id), count(tag_name) FROM bi.street_signs;
SELECT tag_name, count(*) FROM bi.cats_and_dogs WHERE tag_name IN ('cat', 'dog') GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM bi.empty_job;
SELECT image_name FROM bi.hundred LIMIT 3;
SELECT * FROM emulator_requests();
-- the same rows as the local table
SELECT count(*) AS differ FROM (
  (SELECT * FROM bi.street_signs EXCEPT ALL SELECT * FROM local_images WHERE data_annotation_id = 283)
  UNION ALL
  (SELECT * FROM local_images WHERE data_annotation_id = 283 EXCEPT ALL SELECT * FROM bi.street_signs)) d;
-- a condition on another job than the table's: no rows, no request
SELECT count(*) FROM bi.hundred WHERE data_annotation_id = 282;
SELECT count(*) >= 0 AS drained FROM emulator_requests();

CREATE SCHEMA bi_some;
IMPORT FOREIGN SCHEMA jobs LIMIT TO (hundred, street_signs) FROM SERVER ma INTO bi_some;
CREATE SCHEMA bi_rest;
IMPORT FOREIGN SCHEMA jobs EXCEPT (hundred, street_signs) FROM SERVER ma INTO bi_rest;
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('bi_some', 'bi_rest') ORDER BY 1, 2;
SELECT * FROM emulator_requests();

-- two imports run from one function (one memory context): both commented
DO $$ BEGIN
  CREATE SCHEMA ma_x1;
  CREATE SCHEMA ma_x2;
  EXECUTE 'IMPORT FOREIGN SCHEMA modelarts LIMIT TO (annotation_tags) FROM SERVER ma INTO ma_x1';
  EXECUTE 'IMPORT FOREIGN SCHEMA modelarts LIMIT TO (annotation_tags) FROM SERVER ma INTO ma_x2';
END $$;
SELECT obj_description('ma_x1.annotation_tags'::regclass, 'pg_class') =
       obj_description('ma_x2.annotation_tags'::regclass, 'pg_class') AS same_comment,
       col_description('ma_x2.annotation_tags'::regclass, 2) AS tag_name;
DROP SCHEMA ma_x1, ma_x2 CASCADE;

-- errors: an unknown remote schema, an option
IMPORT FOREIGN SCHEMA images FROM SERVER ma INTO bi_some;
IMPORT FOREIGN SCHEMA modelarts FROM SERVER ma INTO bi_some OPTIONS (import_default 'true');
-- an existing table: the usual error from CREATE FOREIGN TABLE
\set VERBOSITY terse
IMPORT FOREIGN SCHEMA jobs LIMIT TO (hundred) FROM SERVER ma INTO bi_some;
\set VERBOSITY default
SELECT count(*) >= 0 AS drained FROM emulator_requests();
