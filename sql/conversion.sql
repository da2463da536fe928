-- Typed conversions.  The common types are filled directly from the JSON
-- value (int2, int4, int8, float4, float8, bool, text, varchar, timestamps,
-- text[], jsonb); any other type, and any value the direct way cannot take,
-- goes through the type's input function.  Either way: the same values and
-- the same errors, and an error names the column and the table.
--
-- Each comparison below counts, over every image of the sample, the rows
-- that differ from the same value computed in SQL from the sample file (0).

-- numbers: into every numeric type, from integers (size, epoch milliseconds
-- beyond 2^31) and from fractions (score)
CREATE FOREIGN TABLE conv_numbers (
  image_id text,
  w2 smallint OPTIONS (key 'width'),
  w4 int OPTIONS (key 'width'),
  w8 bigint OPTIONS (key 'width'),
  h4 real OPTIONS (key 'height'),
  c8 bigint OPTIONS (key 'create_time'),
  cn numeric OPTIONS (key 'create_time'),
  cf4 real OPTIONS (key 'create_time'),
  cf8 float8 OPTIONS (key 'create_time'),
  ct text OPTIONS (key 'create_time'),
  cvc varchar OPTIONS (key 'create_time'),
  s4 real OPTIONS (key 'score'),
  s8 float8 OPTIONS (key 'score'),
  sn numeric OPTIONS (key 'score'),
  st text OPTIONS (key 'score'),
  id4 int OPTIONS (key 'data_annotation_id'),
  id2 smallint OPTIONS (key 'data_annotation_id'),
  idn numeric OPTIONS (key 'data_annotation_id'),
  idt text OPTIONS (key 'data_annotation_id')
) SERVER ma OPTIONS (resource 'images', data_annotation_id '282');

SELECT DISTINCT image_id, w2, w4, w8, h4, c8, cn, cf4, cf8, ct, cvc, s4, s8,
       sn, st, id4, id2, idn, idt
FROM conv_numbers WHERE s4 IS NOT NULL ORDER BY image_id LIMIT 3;

WITH l AS (SELECT i->>'image_id' AS image_id, i->'size'->>0 AS w,
                  i->'size'->>1 AS h, i->>'create_time' AS c, i->>'score' AS s
           FROM sample_doc, jsonb_array_elements(doc->'jobs') AS j,
                jsonb_array_elements(j->'images') AS i
           WHERE j->>'project_id' = '282')
SELECT count(*) AS rows,
       count(*) FILTER (WHERE w2 IS DISTINCT FROM w::smallint
                           OR w4 IS DISTINCT FROM w::int
                           OR w8 IS DISTINCT FROM w::bigint
                           OR h4 IS DISTINCT FROM h::real) AS size_differ,
       count(*) FILTER (WHERE c8 IS DISTINCT FROM c::bigint
                           OR cn IS DISTINCT FROM c::numeric
                           OR cf4 IS DISTINCT FROM c::real
                           OR cf8 IS DISTINCT FROM c::float8
                           OR ct IS DISTINCT FROM c
                           OR cvc IS DISTINCT FROM c) AS create_time_differ,
       count(*) FILTER (WHERE s4 IS DISTINCT FROM s::real
                           OR s8 IS DISTINCT FROM s::float8
                           OR sn IS DISTINCT FROM s::numeric
                           OR st IS DISTINCT FROM s) AS score_differ,
       count(*) FILTER (WHERE s IS NOT NULL) AS with_score,
       count(*) FILTER (WHERE id4 <> 282 OR id2 <> 282 OR idn <> 282
                           OR idt <> '282') AS id_differ
FROM conv_numbers f JOIN l USING (image_id);

-- booleans, text, varchar, arrays and objects as text, text[]
CREATE FOREIGN TABLE conv_other (
  data_annotation_id bigint,
  image_id text,
  reviewed boolean,
  rt text OPTIONS (key 'reviewed'),
  name varchar OPTIONS (key 'image_name'),
  name40 varchar(40) OPTIONS (key 'image_name'),
  name_bp char(24) OPTIONS (key 'image_name'),
  size_text text OPTIONS (key 'size'),
  tags text[],
  created timestamptz OPTIONS (key 'create_time'),
  created_ts timestamp OPTIONS (key 'create_time')
) SERVER ma OPTIONS (resource 'images');

SELECT DISTINCT image_id, reviewed, rt, name, name40, name_bp, size_text,
       tags, created, created_ts
FROM conv_other WHERE data_annotation_id = 282 AND reviewed IS NOT NULL
ORDER BY image_id LIMIT 3;

WITH l AS (SELECT j->>'project_id' AS job, i->>'image_id' AS image_id,
                  i->'reviewed' AS r, i->>'image_name' AS name,
                  i->'size' AS size, i->>'create_time' AS c,
                  coalesce((SELECT array_agg(x.tag ORDER BY x.first)
                              FROM (SELECT coalesce(e->>'tag', e#>>'{}') AS tag, min(o) AS first
                                      FROM jsonb_array_elements(i->'tags') WITH ORDINALITY AS a(e, o)
                                     GROUP BY 1) x), '{}') AS tags
           FROM sample_doc, jsonb_array_elements(doc->'jobs') AS j,
                jsonb_array_elements(j->'images') AS i)
SELECT job, count(*) AS images,
       count(*) FILTER (WHERE reviewed IS DISTINCT FROM (r #>> '{}')::boolean
                           OR rt IS DISTINCT FROM r #>> '{}') AS reviewed_differ,
       count(*) FILTER (WHERE f.name IS DISTINCT FROM l.name
                           OR name40 IS DISTINCT FROM l.name::varchar(40)
                           OR name_bp IS DISTINCT FROM l.name::char(24)) AS name_differ,
       count(*) FILTER (WHERE size_text IS DISTINCT FROM replace(size::text, ' ', '')) AS size_differ,
       count(*) FILTER (WHERE f.tags IS DISTINCT FROM l.tags) AS tags_differ,
       count(*) FILTER (WHERE created IS DISTINCT FROM to_timestamp(c::bigint / 1000.0)
                           OR created_ts IS DISTINCT FROM to_timestamp(c::bigint / 1000.0) AT TIME ZONE 'UTC')
         AS time_differ
FROM (SELECT DISTINCT ON (image_id) * FROM conv_other
      WHERE data_annotation_id IN (282, 283, 285)) f
JOIN l USING (image_id)
GROUP BY job ORDER BY job;

-- annotations into jsonb is built from the parsed answer, without printing
-- it and parsing it again; into json it is the text printed.  The jsonb is
-- the one the printed text makes (the value, and its text: the same
-- numerics to the digit), and the one the sample file makes.
CREATE FOREIGN TABLE conv_json (
  data_annotation_id bigint,
  image_id text,
  annotations jsonb,
  annotations_json json OPTIONS (key 'annotations'),
  size jsonb,
  size_json json OPTIONS (key 'size'),
  score jsonb,
  name jsonb OPTIONS (key 'image_name'),
  reviewed jsonb
) SERVER ma OPTIONS (resource 'images');

SELECT DISTINCT image_id, annotations, annotations_json::text, size, score,
       name, reviewed
FROM conv_json WHERE data_annotation_id = 283
ORDER BY image_id LIMIT 2;

SELECT data_annotation_id AS job, count(*) AS rows,
       count(*) FILTER (WHERE annotations IS DISTINCT FROM annotations_json::jsonb
                           OR annotations::text IS DISTINCT FROM annotations_json::jsonb::text
                           OR size IS DISTINCT FROM size_json::jsonb
                           OR size::text IS DISTINCT FROM size_json::jsonb::text) AS differ_from_printed,
       count(*) FILTER (WHERE annotations IS DISTINCT FROM i->'tags'
                           OR annotations::text IS DISTINCT FROM (i->'tags')::text
                           OR size IS DISTINCT FROM i->'size'
                           OR score IS DISTINCT FROM i->'score'
                           OR name IS DISTINCT FROM i->'image_name'
                           OR reviewed IS DISTINCT FROM i->'reviewed') AS differ_from_file
FROM conv_json f
JOIN (SELECT i FROM sample_doc, jsonb_array_elements(doc->'jobs') AS j,
                    jsonb_array_elements(j->'images') AS i) l
  ON f.image_id = l.i->>'image_id'
WHERE data_annotation_id IN (282, 283, 285)
GROUP BY 1 ORDER BY 1;

-- what does not convert is an error naming the column and the table:
-- a number out of range for int4 (epoch milliseconds) or int2
CREATE FOREIGN TABLE conv_bad (
  c4 int OPTIONS (key 'create_time'),
  c2 smallint OPTIONS (key 'create_time'),
  s8 bigint OPTIONS (key 'score'),
  s2 smallint OPTIONS (key 'score'),
  wb boolean OPTIONS (key 'width'),
  rn int OPTIONS (key 'reviewed'),
  id numeric OPTIONS (key 'image_id'),
  name5 varchar(5) OPTIONS (key 'image_name'),
  name_time timestamptz OPTIONS (key 'image_name'),
  size_int int OPTIONS (key 'size')
) SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT c4 FROM conv_bad LIMIT 1;
SELECT c2 FROM conv_bad LIMIT 1;
-- a fraction into an integer type
SELECT s8 FROM conv_bad WHERE s8 IS NOT NULL LIMIT 1;
SELECT s2 FROM conv_bad WHERE s2 IS NOT NULL LIMIT 1;
-- a number into bool, a boolean into int, a string into numeric
SELECT wb FROM conv_bad LIMIT 1;
SELECT rn FROM conv_bad WHERE rn IS NOT NULL LIMIT 1;
SELECT id FROM conv_bad LIMIT 1;
-- too long for varchar(5); not a time; an array into int
SELECT name5 FROM conv_bad LIMIT 1;
SELECT name_time FROM conv_bad LIMIT 1;
SELECT size_int FROM conv_bad LIMIT 1;

-- a domain keeps its input function, and so its constraint
CREATE DOMAIN wide_int AS int CHECK (VALUE >= 1000);
CREATE FOREIGN TABLE conv_domain (w wide_int OPTIONS (key 'width'))
  SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT min(w) FROM conv_domain;

-- A timestamp out of range cannot be shown here: every number of the
-- sample file is a valid time in milliseconds (the largest is about 1.6e12;
-- the range ends near 9.2e15).  test/t/220_tags.t serves one.

DROP FOREIGN TABLE conv_numbers, conv_other, conv_json, conv_bad, conv_domain;
DROP DOMAIN wide_int;
SELECT count(*) > 0 AS logged FROM emulator_requests();
