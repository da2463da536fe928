-- The sample data as local tables in the row models of the four resources:
-- what the FDW must return, built from the same data file as the emulator
-- serves.  Included by sql/setup.sql (the pg_regress suite) and
-- test/differential.sql, so that both compare with one model.
--
-- psql variables: sample (the data file, a path the server can read),
-- size_detection_only ('true' when the emulator runs with the variant
-- size-detection-only: a classification image has no size, width and
-- height NULL; else 'false').
--
-- local_images: one row per (image, distinct tag), one row with a NULL tag
-- for an untagged image.
CREATE TABLE sample_doc AS SELECT pg_read_file(:'sample')::jsonb AS doc;
CREATE TABLE local_images AS
SELECT (j->>'project_id')::bigint AS data_annotation_id,
       i->>'image_id' AS image_id,
       i->>'image_name' AS image_name,
       i->>'url' AS url,
       CASE WHEN :'size_detection_only'::boolean
                 AND coalesce((j->>'project_type')::int, 0) = 0 THEN NULL
            ELSE (i->'size'->>0)::int END AS width,
       CASE WHEN :'size_detection_only'::boolean
                 AND coalesce((j->>'project_type')::int, 0) = 0 THEN NULL
            ELSE (i->'size'->>1)::int END AS height,
       t.tag AS tag_name,
       coalesce((SELECT array_agg(x.tag ORDER BY x.first)
                   FROM (SELECT coalesce(e->>'tag', e#>>'{}') AS tag, min(o) AS first
                           FROM jsonb_array_elements(i->'tags') WITH ORDINALITY AS a(e, o)
                          GROUP BY 1) x), '{}') AS tags,
       i->'tags' AS annotations,
       to_timestamp((i->>'create_time')::bigint / 1000.0) AS create_time
FROM sample_doc,
     jsonb_array_elements(doc->'jobs') AS j,
     jsonb_array_elements(j->'images') AS i
     LEFT JOIN LATERAL (
       SELECT DISTINCT coalesce(e->>'tag', e#>>'{}') AS tag
       FROM jsonb_array_elements(i->'tags') AS e) t ON true;
CREATE TABLE local_projects AS
SELECT (j->>'project_id')::bigint AS data_annotation_id,
       j->>'project_name' AS project_name,
       j->>'project_desc' AS project_desc,
       (j->>'project_type')::int AS project_type,
       to_timestamp((j->>'create_time')::bigint / 1000.0) AS create_time,
       (j->>'version_num')::int AS version_num,
       j->>'data_path' AS data_path,
       jsonb_array_length(j->'images')::bigint AS image_count,
       (SELECT count(*) FROM jsonb_array_elements(j->'images') i
         WHERE jsonb_array_length(i->'tags') > 0) AS tagged_count,
       (SELECT count(*) FROM jsonb_array_elements(j->'images') i
         WHERE jsonb_array_length(i->'tags') = 0) AS untagged_count
FROM sample_doc, jsonb_array_elements(doc->'jobs') AS j;
CREATE TABLE local_versions AS
SELECT (j->>'project_id')::bigint AS data_annotation_id,
       v->>'version_id' AS version_id,
       v->>'version_name' AS version_name,
       v->>'version_desc' AS version_desc,
       (v->>'file_count')::bigint AS file_count,
       (v->>'status')::int AS status,
       to_timestamp((v->>'create_time')::bigint / 1000.0) AS create_time
FROM sample_doc, jsonb_array_elements(doc->'jobs') AS j,
     jsonb_array_elements(j->'versions') AS v;
CREATE TABLE local_tags AS
SELECT data_annotation_id, tag_name, count(*) AS image_count
FROM local_images WHERE tag_name IS NOT NULL GROUP BY 1, 2;
