-- Pushdown of data_annotation_id and tag_name: the plan (EXPLAIN VERBOSE),
-- the rows, and the requests the emulator logged, for each case.
SELECT count(*) >= 0 AS drained FROM emulator_requests();

-- tag_name = v: one stream with tag_name=v
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'black cat';
SELECT count(*), count(DISTINCT image_id), min(tag_name), max(tag_name)
FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'black cat';
SELECT * FROM emulator_requests();

-- case matters, as it does on the service
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'Cat';
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = 'cat';
SELECT * FROM emulator_requests();

-- non-ASCII, spaces and characters that would break a URL: percent-encoded
SELECT tag_name, count(*) FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name IN ('猫', 'a&per_page=1000', 'x#y', '100%')
GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();

-- IS NULL: tag_name=__none__
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 282 AND tag_name IS NULL;
SELECT count(*), count(DISTINCT image_id) FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name IS NULL;
SELECT * FROM emulator_requests();

-- IS NOT NULL: no tag_name, every tagged image
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 283 AND tag_name IS NOT NULL;
SELECT count(*), count(DISTINCT image_id) FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name IS NOT NULL;
SELECT * FROM emulator_requests();

-- no condition on tag_name: the tagged stream, then the untagged one
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 283;
SELECT count(*), count(tag_name) FROM annotation_images WHERE data_annotation_id = 283;
SELECT * FROM emulator_requests();

-- IN and = ANY: one stream per distinct non-NULL value
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name IN ('car', 'person', 'car', NULL);
SELECT tag_name, count(*) FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name IN ('car', 'person', 'car', NULL)
GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();
SELECT tag_name, count(*) FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name = ANY (ARRAY['stop sign', 'nothing'])
GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();

-- data_annotation_id IN (...): one stream per job
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id IN (283, 285) AND tag_name = 'x';
SELECT data_annotation_id, count(*) FROM annotation_images
WHERE data_annotation_id IN (283, 285, NULL) AND tag_name = 'x' GROUP BY 1;
SELECT * FROM emulator_requests();

-- values the API would read differently are never sent as a filter:
-- '__none__' and '' are read through the tagged stream and filtered here
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images WHERE data_annotation_id = 283 AND tag_name = '__none__';
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 283 AND tag_name = '__none__';
SELECT * FROM emulator_requests();
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 283 AND tag_name = '';
SELECT * FROM emulator_requests();
SELECT tag_name, count(*) FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name IN ('__none__', 'car') GROUP BY 1;
SELECT * FROM emulator_requests();

-- a nondeterministic collation: equality is not byte equality, not pushed
CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name = 'CAT' COLLATE case_insensitive;
SELECT tag_name, count(*) FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name = 'CAT' COLLATE case_insensitive
GROUP BY 1 ORDER BY 1;
SELECT * FROM emulator_requests();

-- other conditions stay local filters
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name LIKE 'c%' AND width > 100;
SELECT count(*) FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name LIKE 'c%';
SELECT * FROM emulator_requests();

-- two conditions on tag_name: one pushed, the other checked here
EXPLAIN (VERBOSE, COSTS OFF)
SELECT image_name FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name = 'car' AND tag_name = 'person';
SELECT count(*) FROM annotation_images
WHERE data_annotation_id = 283 AND tag_name = 'car' AND tag_name = 'person';
SELECT * FROM emulator_requests();

-- NULL values: no rows, no request
SELECT count(*) FROM annotation_images WHERE data_annotation_id = NULL;
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 282 AND tag_name = NULL;
SELECT * FROM emulator_requests();

-- a table option and a condition that disagree: no rows, no request
CREATE FOREIGN TABLE job_285 (data_annotation_id bigint, image_name text, tag_name text)
  SERVER ma OPTIONS (data_annotation_id '285');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM job_285 WHERE data_annotation_id = 282;
SELECT * FROM job_285 WHERE data_annotation_id = 282;
SELECT count(*) FROM job_285 WHERE data_annotation_id IN (282, 285) AND tag_name = 'x';
SELECT * FROM emulator_requests();
DROP FOREIGN TABLE job_285;

-- parameters, as drivers and BI tools send them: pushed like constants and
-- evaluated at execution, in custom and in generic plans
PREPARE by_tag(bigint, text) AS
  SELECT count(*) FROM annotation_images WHERE data_annotation_id = $1 AND tag_name = $2;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_tag(283, 'car');
EXECUTE by_tag(283, 'car');
EXECUTE by_tag(283, 'stop sign');
SELECT * FROM emulator_requests();
PREPARE by_tags(bigint[], text[]) AS
  SELECT tag_name, count(*) FROM annotation_images
  WHERE data_annotation_id = ANY ($1) AND tag_name = ANY ($2) GROUP BY 1 ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_tags('{283}', '{car,person}');
EXECUTE by_tags('{283}', '{car,person,NULL}');
SELECT * FROM emulator_requests();
PREPARE by_null(bigint, boolean) AS
  SELECT count(*) FROM annotation_images WHERE data_annotation_id = $1 AND tag_name IS NULL;
EXECUTE by_null(283, true);
SELECT * FROM emulator_requests();
RESET plan_cache_mode;
EXECUTE by_tag(285, 'x');
SELECT * FROM emulator_requests();
DEALLOCATE ALL;
