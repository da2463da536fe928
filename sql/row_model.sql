-- The row model on the sample data: one row per (image, distinct tag), one
-- row with a NULL tag for an untagged image.

-- a classification image with two tags is two rows
SELECT image_id, image_name, tag_name, tags, width, height, create_time, annotations
FROM annotation_images
WHERE data_annotation_id = 282 AND image_name = 'IMG_0001.jpg'
ORDER BY tag_name;

-- an untagged image is one row with a NULL tag and an empty tag list
SELECT image_name, tag_name, tags, annotations
FROM annotation_images
WHERE data_annotation_id = 282 AND tag_name IS NULL
ORDER BY image_id LIMIT 2;

-- detection: a tag counts once however many boxes carry it; annotations
-- keeps every box
SELECT image_name, tag_name, tags, jsonb_array_length(annotations) AS boxes
FROM annotation_images
WHERE data_annotation_id = 283 AND image_name IN ('street_001.jpg', 'street_002.jpg', 'street_003.jpg')
ORDER BY image_name, tag_name;

-- counts per job: rows, images, untagged images
SELECT data_annotation_id, count(*) AS rows, count(DISTINCT image_id) AS images,
       count(*) FILTER (WHERE tag_name IS NULL) AS untagged
FROM annotation_images WHERE data_annotation_id IN (282, 283, 284, 285)
GROUP BY 1 ORDER BY 1;

-- any subset of columns, in any order, and extra image keys by name or key
CREATE FOREIGN TABLE images_extra (
  score numeric,
  shot_with text OPTIONS (key 'camera'),
  reviewed boolean,
  name text OPTIONS (key 'image_name'),
  created bigint OPTIONS (key 'create_time'),
  size jsonb,
  missing_key text
) SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT name, score, shot_with, reviewed, created, size, missing_key
FROM images_extra WHERE score IS NOT NULL ORDER BY name LIMIT 5;
SELECT count(*) FILTER (WHERE shot_with IS NOT NULL) AS with_camera,
       count(*) FILTER (WHERE reviewed) AS reviewed
FROM images_extra;

-- a value that does not convert names the column and the table
CREATE FOREIGN TABLE images_badtype (image_name int)
  SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT * FROM images_badtype LIMIT 1;
CREATE FOREIGN TABLE images_badtype2 (score int)
  SERVER ma OPTIONS (resource 'images', data_annotation_id '282');
SELECT * FROM images_badtype2 WHERE score IS NOT NULL LIMIT 1;

-- an empty job has no rows
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 284;

-- a table without the tag_name column still has one row per (image, tag)
CREATE FOREIGN TABLE images_notag (image_id text)
  SERVER ma OPTIONS (data_annotation_id '282');
SELECT count(*), count(DISTINCT image_id) FROM images_notag;

DROP FOREIGN TABLE images_extra, images_badtype, images_badtype2, images_notag;
SELECT count(*) > 0 AS logged FROM emulator_requests();
