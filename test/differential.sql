-- The differential suite's queries (run by test/differential.sh, once per
-- variant of the service, in a fresh database with the extension): the rows
-- of every table, read through the FDW from an emulator serving the sample
-- data under that variant, are compared with local tables built from the
-- same data file, as sql/compare.sql does for the contract.
--
-- psql variables: endpoint (the emulator's URL), sample (the data file, a
-- path the server can read), variants (the emulator's --variant names,
-- comma-separated, '' for none).
--
-- Each check is one query over the foreign tables and the same query over
-- the local tables; it counts the rows that differ either way (EXCEPT ALL
-- both ways).  A check that raises an error counts as a query error, with
-- its message.  Every check runs against four servers: requests_in_flight
-- 1 and 8, and page_size 100 (one page for most filters, one listing page),
-- 3 (210 tagged images of job 282 are exactly 70 pages; the 4 jobs a full
-- listing page and a short one) and 2 (the 4 jobs exactly 2 listing pages).
--
-- Output, unaligned: one line per check that differs or fails
-- ("server check: differ N of M" or "server check: ERROR ..."), then
--   checks: K, rows compared: M, rows differ: N, query errors: E
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on
SET client_min_messages = warning;
-- Not UTC, so that a time taken in the session's zone shows: the service
-- is in this zone, its Datetime strings (string-fields) are UTC
SET TimeZone = 'Asia/Shanghai';

CREATE TABLE variant AS SELECT string_to_array(:'variants', ',') AS names;
CREATE FUNCTION has_variant(text) RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT $1 = ANY (names) FROM variant $$;

------------------------------------------------------------ local tables
-- The sample in the row models of the four resources, as the variant
-- serves it: under size-detection-only a classification image has no size
-- (width and height NULL).  Under string-fields the listing's create_time
-- is to the second: the sample's job times are whole seconds.
SELECT 'size-detection-only' = ANY (names) AS size_detection_only FROM variant \gset
\i test/sql/row_model.sql

------------------------------------------------------------ servers
-- One server per (requests_in_flight, page_size), each with a schema of
-- the four tables.
CREATE TABLE servers (srv text, rif int, page_size int);
INSERT INTO servers VALUES ('f1', 1, 100), ('f8', 8, 100), ('f1p3', 1, 3), ('f8p2', 8, 2);
SELECT set_config('diff.endpoint', :'endpoint', false) IS NOT NULL AS endpoint_set \gset
DO $$
DECLARE
  s record;
BEGIN
  FOR s IN SELECT * FROM servers LOOP
    EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER modelarts_fdw OPTIONS '
                   '(endpoint %L, project_id %L, requests_in_flight %L, page_size %L)',
                   s.srv, current_setting('diff.endpoint'),
                   '0f1e2d3c4b5a69788796a5b4c3d2e1f0', s.rif::text, s.page_size::text);
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I', s.srv);
    EXECUTE format('CREATE SCHEMA %I', s.srv);
    EXECUTE format($t$
      CREATE FOREIGN TABLE %1$I.annotation_images (
        data_annotation_id bigint, image_id text, image_name text, url text,
        width int, height int, tag_name text, tags text[], annotations jsonb,
        create_time timestamptz
      ) SERVER %1$I OPTIONS (resource 'images');
      CREATE FOREIGN TABLE %1$I.annotation_projects (
        data_annotation_id bigint, project_name text, project_desc text,
        project_type int, create_time timestamptz, version_num int, data_path text,
        image_count bigint, tagged_count bigint, untagged_count bigint
      ) SERVER %1$I OPTIONS (resource 'projects');
      CREATE FOREIGN TABLE %1$I.annotation_versions (
        data_annotation_id bigint, version_id text, version_name text,
        version_desc text, file_count bigint, status int, create_time timestamptz
      ) SERVER %1$I OPTIONS (resource 'versions');
      CREATE FOREIGN TABLE %1$I.annotation_tags (
        data_annotation_id bigint, tag_name text, image_count bigint
      ) SERVER %1$I OPTIONS (resource 'tags');
    $t$, s.srv);
  END LOOP;
END $$;

------------------------------------------------------------ checks
-- name, the foreign query (S: the server's schema), the local query.  The
-- two select the same columns.
CREATE TABLE checks (ord serial, name text, fq text, lq text);
CREATE FUNCTION add_image_checks(VARIADIC conds text[]) RETURNS bigint
LANGUAGE sql AS $$
  WITH i AS (
    INSERT INTO checks (name, fq, lq)
    SELECT 'images ' || c,
           'SELECT * FROM S.annotation_images WHERE ' || c,
           'SELECT * FROM local_images WHERE ' || c
    FROM unnest(conds) AS c
    RETURNING 1)
  SELECT count(*) FROM i;
$$;
SELECT add_image_checks(
  $$data_annotation_id = 282$$,
  $$data_annotation_id = 283$$,
  $$data_annotation_id = 284$$,
  $$data_annotation_id = 285$$,
  $$data_annotation_id IN (282, 283, 284, 285)$$,
  $$data_annotation_id = 282 AND tag_name = 'cat'$$,
  $$data_annotation_id = 282 AND tag_name = '猫'$$,
  $$data_annotation_id = 282 AND tag_name = 'a&per_page=1000'$$,
  $$data_annotation_id = 282 AND tag_name IS NULL$$,
  $$data_annotation_id = 282 AND tag_name IS NOT NULL$$,
  $$data_annotation_id = 283 AND tag_name IN ('car', 'person', NULL)$$,
  $$data_annotation_id = 283 AND tag_name = '__none__'$$,
  $$data_annotation_id = 285 AND tag_name = 'x'$$,
  $$data_annotation_id = 283 AND tag_name = 'stop sign' AND width > 0$$
) AS image_checks \gset

-- LIMIT/OFFSET windows over the stream (its order: image_id ascending),
-- on filters of one row per image (an image's tags have no order here)
INSERT INTO checks (name, fq, lq)
SELECT format('images window %s LIMIT %s OFFSET %s', c, l, o),
       format('SELECT row_number() OVER () AS n, image_id, tag_name FROM '
              '(SELECT image_id, tag_name FROM S.annotation_images WHERE %s LIMIT %s OFFSET %s) w', c, l, o),
       format('SELECT row_number() OVER () AS n, image_id, tag_name FROM '
              '(SELECT image_id, tag_name FROM local_images WHERE %s ORDER BY image_id LIMIT %s OFFSET %s) w', c, l, o)
FROM (VALUES ($$data_annotation_id = 285 AND tag_name = 'x'$$, 'ALL', 0),
             ($$data_annotation_id = 285 AND tag_name = 'x'$$, '50', 50),
             ($$data_annotation_id = 285 AND tag_name = 'x'$$, '10', 95),
             ($$data_annotation_id = 282 AND tag_name = 'cat'$$, '7', 20),
             ($$data_annotation_id = 282 AND tag_name IS NULL$$, '10', 25)) AS v(c, l, o);

INSERT INTO checks (name, fq, lq) VALUES
  ('projects: the listing''s columns (no job given)',
   'SELECT data_annotation_id, project_name, project_desc, create_time, data_path, image_count, tagged_count, untagged_count FROM S.annotation_projects',
   'SELECT data_annotation_id, project_name, project_desc, create_time, data_path, image_count, tagged_count, untagged_count FROM local_projects'),
  ('projects: every column (no job given)',
   'SELECT * FROM S.annotation_projects',
   'SELECT * FROM local_projects'),
  ('projects: the jobs given',
   'SELECT * FROM S.annotation_projects WHERE data_annotation_id IN (282, 283, 284, 285)',
   'SELECT * FROM local_projects'),
  ('versions (no job given)',
   'SELECT * FROM S.annotation_versions',
   'SELECT * FROM local_versions'),
  ('versions: the jobs given',
   'SELECT * FROM S.annotation_versions WHERE data_annotation_id IN (282, 283, 284, 285)',
   'SELECT * FROM local_versions'),
  ('tags (no job given)',
   'SELECT * FROM S.annotation_tags',
   'SELECT * FROM local_tags'),
  ('tags: the jobs given',
   'SELECT * FROM S.annotation_tags WHERE data_annotation_id IN (282, 283, 284, 285)',
   'SELECT * FROM local_tags'),
  ('join: the listed jobs'' images',
   'SELECT p.data_annotation_id, p.project_name, i.image_id, i.tag_name FROM S.annotation_projects p JOIN S.annotation_images i ON i.data_annotation_id = p.data_annotation_id',
   'SELECT p.data_annotation_id, p.project_name, i.image_id, i.tag_name FROM local_projects p JOIN local_images i ON i.data_annotation_id = p.data_annotation_id');

-- run_check(server, check): the rows that differ and the rows compared,
-- or the error
CREATE FUNCTION run_check(srv text, c checks, OUT differ bigint, OUT compared bigint, OUT error text)
LANGUAGE plpgsql AS $$
DECLARE
  fq text := replace(c.fq, 'S.', quote_ident(srv) || '.');
BEGIN
  EXECUTE format(
    'WITH f AS (%s), l AS (%s)
     SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT ALL SELECT * FROM l) a) +
            (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM f) b),
            (SELECT count(*) FROM l)', fq, c.lq)
    INTO differ, compared;
EXCEPTION WHEN OTHERS THEN
  error := SQLSTATE || ': ' || left(SQLERRM, 300);
END $$;

-- import_check(server): IMPORT FOREIGN SCHEMA jobs lists every job (the
-- listing), one table per job, each with the job's rows
CREATE FUNCTION import_check(srv text, OUT differ bigint, OUT compared bigint, OUT error text)
LANGUAGE plpgsql AS $$
DECLARE
  sch text := srv || '_jobs';
  t record;
  d bigint;
BEGIN
  EXECUTE format('CREATE SCHEMA %I', sch);
  EXECUTE format('IMPORT FOREIGN SCHEMA jobs FROM SERVER %I INTO %I', srv, sch);
  -- the jobs imported against the jobs of the file, either way
  SELECT count(*) INTO differ FROM (
    (SELECT data_annotation_id FROM local_projects
     EXCEPT ALL
     SELECT substr(o, length('data_annotation_id=') + 1)::bigint
     FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid,
          unnest(ft.ftoptions) AS o
     WHERE c.relnamespace = sch::regnamespace AND o LIKE 'data_annotation_id=%')
    UNION ALL
    (SELECT substr(o, length('data_annotation_id=') + 1)::bigint
     FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid,
          unnest(ft.ftoptions) AS o
     WHERE c.relnamespace = sch::regnamespace AND o LIKE 'data_annotation_id=%'
     EXCEPT ALL
     SELECT data_annotation_id FROM local_projects)) x;
  compared := (SELECT count(*) FROM local_projects);
  FOR t IN
    SELECT c.relname, substr(o, length('data_annotation_id=') + 1)::bigint AS job
    FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid,
         unnest(ft.ftoptions) AS o
    WHERE c.relnamespace = sch::regnamespace AND o LIKE 'data_annotation_id=%'
  LOOP
    EXECUTE format(
      'WITH f AS (SELECT * FROM %1$I.%2$I), l AS (SELECT * FROM local_images WHERE data_annotation_id = %3$s)
       SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT ALL SELECT * FROM l) a) +
              (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM f) b)',
      sch, t.relname, t.job) INTO d;
    differ := differ + d;
    compared := compared + (SELECT count(*) FROM local_images WHERE data_annotation_id = t.job);
  END LOOP;
EXCEPTION WHEN OTHERS THEN
  differ := NULL;
  error := SQLSTATE || ': ' || left(SQLERRM, 300);
END $$;

CREATE TABLE results (srv text, ord int, name text, differ bigint, compared bigint, error text);
INSERT INTO results
SELECT s.srv, c.ord, c.name, r.differ, r.compared, r.error
FROM servers s CROSS JOIN checks c, LATERAL run_check(s.srv, c) r
ORDER BY s.srv, c.ord;
INSERT INTO results
SELECT s.srv, 1000, 'IMPORT FOREIGN SCHEMA jobs', r.differ, r.compared, r.error
FROM servers s, LATERAL import_check(s.srv) r;

------------------------------------------------------------ report
SELECT srv || ' ' || name || ': ' ||
       CASE WHEN error IS NOT NULL THEN 'ERROR ' || error
            ELSE format('differ %s of %s', differ, compared) END
FROM results
WHERE error IS NOT NULL OR differ <> 0
ORDER BY srv, ord;
SELECT format('checks: %s, rows compared: %s, rows differ: %s, query errors: %s',
              count(*), coalesce(sum(compared) FILTER (WHERE error IS NULL), 0),
              coalesce(sum(differ), 0), count(*) FILTER (WHERE error IS NOT NULL))
FROM results;
