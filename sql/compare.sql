-- Pushed queries return exactly what the same queries return over a plain
-- table holding the same data (local_images, loaded from the sample file in
-- setup).  Each line: the number of rows that differ either way (0), and the
-- number of rows compared.
CREATE FUNCTION compare_with_local(cond text) RETURNS TABLE (differ bigint, compared bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    $q$WITH f AS (SELECT data_annotation_id, image_id, image_name, url, width, height,
                        tag_name, tags, annotations, create_time
                   FROM annotation_images WHERE %1$s),
            l AS (SELECT data_annotation_id, image_id, image_name, url, width, height,
                         tag_name, tags, annotations, create_time
                    FROM local_images WHERE %1$s)
       SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT ALL SELECT * FROM l) a) +
              (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM f) b),
              (SELECT count(*) FROM f)$q$, cond);
END $$;

SELECT c AS condition, r.*
FROM unnest(ARRAY[
  $$data_annotation_id = 282$$,
  $$data_annotation_id = 283$$,
  $$data_annotation_id = 285$$,
  $$data_annotation_id = 284$$,
  $$data_annotation_id IN (282, 283, 284, 285)$$,
  $$data_annotation_id = 282 AND tag_name = 'cat'$$,
  $$data_annotation_id = 282 AND tag_name = 'Cat'$$,
  $$data_annotation_id = 282 AND tag_name = 'black cat'$$,
  $$data_annotation_id = 282 AND tag_name = '猫'$$,
  $$data_annotation_id = 282 AND tag_name = 'a&per_page=1000'$$,
  $$data_annotation_id = 282 AND tag_name = 'x#y'$$,
  $$data_annotation_id = 282 AND tag_name = '100%'$$,
  $$data_annotation_id = 282 AND tag_name IS NULL$$,
  $$data_annotation_id = 282 AND tag_name IS NOT NULL$$,
  $$data_annotation_id = 283 AND tag_name IN ('car', 'person', NULL, 'car')$$,
  $$data_annotation_id IN (282, 283) AND tag_name = ANY (ARRAY['cat', 'car', '__none__', ''])$$,
  $$data_annotation_id = 283 AND tag_name = '__none__'$$,
  $$data_annotation_id = 283 AND tag_name LIKE '%r%'$$,
  $$data_annotation_id = 282 AND tag_name = 'CAT' COLLATE case_insensitive$$,
  $$data_annotation_id = 282 AND 'stop sign' = tag_name$$,
  $$data_annotation_id = 283 AND tag_name = 'stop sign' AND width > 0$$
]) AS c, LATERAL compare_with_local(c) AS r;

-- LIMIT/OFFSET windows: the same rows as the window over the full stream
-- (the stream's order is the service's: image_id ascending)
CREATE FUNCTION compare_window(cond text, lim bigint, off bigint)
RETURNS TABLE (differ bigint, compared bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format(
    $q$WITH f AS (SELECT row_number() OVER () AS n, image_id, tag_name
                   FROM (SELECT image_id, tag_name FROM annotation_images
                         WHERE %1$s LIMIT %2$s OFFSET %3$s) w),
            l AS (SELECT row_number() OVER () AS n, image_id, tag_name
                   FROM (SELECT image_id, tag_name FROM local_images
                         WHERE %1$s ORDER BY image_id LIMIT %2$s OFFSET %3$s) w)
       SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT ALL SELECT * FROM l) a) +
              (SELECT count(*) FROM (SELECT * FROM l EXCEPT ALL SELECT * FROM f) b),
              (SELECT count(*) FROM f)$q$, cond, coalesce(lim::text, 'ALL'), off);
END $$;

SELECT c AS condition, lim, off, r.*
FROM (VALUES ($$data_annotation_id = 285 AND tag_name = 'x'$$),
             ($$data_annotation_id = 282 AND tag_name = 'cat'$$),
             ($$data_annotation_id = 282 AND tag_name IS NULL$$)) AS cs(c),
     (VALUES (1::bigint), (7), (10), (50), (99), (100), (101), (150), (NULL)) AS ls(lim),
     (VALUES (0::bigint), (1), (20), (45), (63), (95), (99), (100), (250)) AS os(off),
     LATERAL compare_window(c, lim, off) AS r
WHERE r.differ <> 0;
SELECT count(*) AS windows_compared
FROM (VALUES (1::bigint), (7), (10), (50), (99), (100), (101), (150), (NULL)) AS ls(lim),
     (VALUES (0::bigint), (1), (20), (45), (63), (95), (99), (100), (250)) AS os(off),
     LATERAL compare_window($$data_annotation_id = 285 AND tag_name = 'x'$$, lim, off) AS r
WHERE r.differ = 0;
