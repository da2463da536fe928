-- LIMIT/OFFSET pushed into per_page and page: the plan, the rows, the
-- requests.  Job 285 has 100 images, all tagged "x"; job 282 has 240.
SELECT count(*) >= 0 AS drained FROM emulator_requests();

-- the reference: the stream's rows in the order the service pages them
CREATE TEMP TABLE x_rows AS
SELECT row_number() OVER () - 1 AS n, image_name
FROM annotation_images WHERE data_annotation_id = 285 AND tag_name = 'x';
SELECT count(*) FROM x_rows;
SELECT * FROM emulator_requests();

-- aligned: OFFSET 20 LIMIT 10 is page 3 of 10
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 20;
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 20;
SELECT * FROM emulator_requests();

-- unaligned: the page size covering the window in one request, leading
-- rows dropped here
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 5;
SELECT * FROM emulator_requests();
SELECT (SELECT array_agg(image_name) FROM (
          SELECT image_name FROM annotation_images
          WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 95) f)
     = (SELECT array_agg(image_name ORDER BY n) FROM x_rows WHERE n >= 95 AND n < 105) AS same_rows;
SELECT * FROM emulator_requests();
SELECT (SELECT array_agg(image_name) FROM (
          SELECT image_name FROM annotation_images
          WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 7 OFFSET 45) f)
     = (SELECT array_agg(image_name ORDER BY n) FROM x_rows WHERE n >= 45 AND n < 52) AS same_rows;
SELECT * FROM emulator_requests();

-- per_page 1 and per_page 100 at the edges: the last row, the last full
-- page, a window past the end
SELECT image_name = (SELECT image_name FROM x_rows WHERE n = 99) AS last_row
FROM annotation_images WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 1 OFFSET 99;
SELECT count(*) FROM (SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 100) f;
SELECT count(*) FROM (SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 100) f;
SELECT * FROM emulator_requests();

-- windows over 100 rows take 100-row pages
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name IS NULL LIMIT 150 OFFSET 10;
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 282 AND tag_name IS NOT NULL LIMIT 250 OFFSET 30) f;
SELECT * FROM emulator_requests();

-- several streams (or one with several rows per image): pages from the
-- first, sized to what is still needed, stopping once enough rows are out
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT image_name, tag_name FROM annotation_images
WHERE data_annotation_id = 283 LIMIT 5 OFFSET 2;
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 283 LIMIT 3 OFFSET 100) f;
SELECT * FROM emulator_requests();
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id IN (283, 285) AND tag_name = 'x' LIMIT 20) f;
SELECT * FROM emulator_requests();

-- LIMIT 0: no request at all
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM annotation_images WHERE data_annotation_id = 285 LIMIT 0;
SELECT * FROM annotation_images WHERE data_annotation_id = 285 LIMIT 0;
SELECT * FROM emulator_requests();

-- LIMIT NULL and LIMIT ALL: no limit
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT NULL) f;
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT ALL OFFSET 90) f;
SELECT * FROM emulator_requests();

-- OFFSET without LIMIT: whole pages skipped, with page_size pages
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 282 AND tag_name IS NULL OFFSET 25) f;
ALTER SERVER ma OPTIONS (ADD page_size '10');
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 282 AND tag_name IS NULL OFFSET 25) f;
ALTER SERVER ma OPTIONS (DROP page_size);
SELECT * FROM emulator_requests();

-- negative values: the errors PostgreSQL gives
SELECT * FROM annotation_images WHERE data_annotation_id = 285 LIMIT -1;
SELECT * FROM annotation_images WHERE data_annotation_id = 285 OFFSET -1;
SELECT * FROM emulator_requests();

-- parameters, in a generic plan
PREPARE win(bigint, bigint) AS
  SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT $1 OFFSET $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE win(3, 30);
EXECUTE win(3, 30);
EXECUTE win(0, 0);
EXECUTE win(NULL, 98);
EXECUTE win(-1, 0);
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
DEALLOCATE win;

-- not pushed: a local filter, ORDER BY, aggregates, WITH TIES
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' AND width > 1000 LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' ORDER BY image_name LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' ORDER BY image_name FETCH FIRST 2 ROWS WITH TIES;

-- without a pushed LIMIT the scan still stops asking once the executor
-- stops: one page for the first matching row
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name IS NOT NULL AND width > 0 LIMIT 1;
SELECT * FROM emulator_requests();
SELECT EXISTS (SELECT 1 FROM annotation_images WHERE data_annotation_id = 282);
SELECT * FROM emulator_requests();

-- EXPLAIN shows what is sent, from the same request plan: a repeated job
-- is one stream, so the window maps onto its pages
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id IN (285, 285) AND tag_name = 'x' LIMIT 10 OFFSET 20;
SELECT count(*) FROM (SELECT image_name FROM annotation_images
  WHERE data_annotation_id IN (285, 285) AND tag_name = 'x' LIMIT 10 OFFSET 20) f;
SELECT * FROM emulator_requests();

-- an OFFSET past any page the API can serve: no rows, no request (the page
-- arithmetic saturates instead of overflowing)
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 9223372036854775807;
SELECT count(*) FROM (SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 10 OFFSET 9223372036854775807) f;
SELECT count(*) FROM (SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' OFFSET 9223372036854775807) f;
SELECT count(*) FROM (SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT 9223372036854775807 OFFSET 9223372036854775000) f;
SELECT * FROM emulator_requests();

-- LIMIT and OFFSET bound as int4, as drivers send them (the parser wraps
-- them in int8()), and arithmetic on parameters: pushed in generic plans
-- too, one request for an aligned window
PREPARE win4(int, int) AS
  SELECT image_name FROM annotation_images
  WHERE data_annotation_id = 285 AND tag_name = 'x' LIMIT $1 OFFSET $2 * 10;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE win4(10, 2);
EXECUTE win4(10, 2);
-- the same rows as the reference's 20th to 29th
SELECT string_agg(image_name, ' ' ORDER BY n) FROM x_rows WHERE n >= 20 AND n < 30;
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
DEALLOCATE win4;
