-- Errors: API error answers, malformed answers, transport failures, a
-- stalled request cut by statement_timeout.  The emulator answers faults on
-- job IDs that no sample job uses (see test/run-tests.sh).
\set VERBOSITY default
\getenv endpoint MODELARTS_ENDPOINT
SELECT count(*) >= 0 AS drained FROM emulator_requests();
-- one request at a time: with several in flight, how many retries of the
-- other stream reach the log before the error varies from run to run (see
-- test/t/190_pipeline_faults.t for faults with several in flight)
ALTER SERVER ma OPTIONS (ADD requests_in_flight '1');

-- an API error: HTTP status and error_code, error_msg as detail, the
-- request as context
SELECT * FROM annotation_images WHERE data_annotation_id = 999;
SELECT * FROM annotation_images WHERE data_annotation_id = 9500;
-- 503 and 429 are retried (max_retries, honouring Retry-After); here
-- without retries
ALTER SERVER ma OPTIONS (ADD max_retries '0');
SELECT * FROM annotation_images WHERE data_annotation_id = 9503;
SELECT * FROM annotation_images WHERE data_annotation_id = 9429;
SELECT * FROM emulator_requests();
-- with one retry: the 429 on every second request is retried once, and the
-- query succeeds
ALTER SERVER ma OPTIONS (SET max_retries '1');
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 282 AND tag_name = 'indoor' LIMIT 7) f;
SELECT count(*) FROM (SELECT * FROM annotation_images
  WHERE data_annotation_id = 282 AND tag_name = 'indoor' LIMIT 7) f;
SELECT * FROM emulator_requests();
ALTER SERVER ma OPTIONS (DROP max_retries);

-- a project_id that is not the dataset's
CREATE SERVER ma_other FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id 'ffffffffffffffffffffffffffffffff',
           requests_in_flight '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_other;
CREATE FOREIGN TABLE other_images (image_name text) SERVER ma_other
  OPTIONS (data_annotation_id '282');
SELECT * FROM other_images;

-- malformed answers: not JSON, cut short, connection closed
SELECT * FROM annotation_images WHERE data_annotation_id = 9601;
-- JSON, but not the expected shape
SELECT * FROM annotation_images WHERE data_annotation_id = 9605;
-- (try_query masks the emulator's port, which changes from run to run)
SELECT try_query('SELECT * FROM annotation_images WHERE data_annotation_id = 9602');
SELECT try_query('SELECT * FROM annotation_images WHERE data_annotation_id = 9603');
SELECT * FROM emulator_requests();

-- the connection is still good after all that
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 285 AND tag_name = 'x';

-- connection refused names the endpoint
CREATE SERVER ma_down FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://127.0.0.1:1', project_id 'p', connect_timeout '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_down;
CREATE FOREIGN TABLE down_images (image_name text) SERVER ma_down
  OPTIONS (data_annotation_id '282');
SELECT try_query('SELECT * FROM down_images');

-- a stalled request is cut by statement_timeout with the standard error
SELECT clock_timestamp() AS stall_start \gset
SET statement_timeout = '500ms';
SELECT * FROM annotation_images WHERE data_annotation_id = 9604;
RESET statement_timeout;
-- and by the server's request_timeout
ALTER SERVER ma OPTIONS (ADD request_timeout '0.5');
SELECT try_query('SELECT * FROM annotation_images WHERE data_annotation_id = 9604');
ALTER SERVER ma OPTIONS (DROP request_timeout);
SELECT count(*) FROM annotation_images WHERE data_annotation_id = 285 AND tag_name = 'x';
-- the emulator logs the stalled requests when their 5 s stall ends: wait
-- for that here, so that no later test finds them in the log
SELECT pg_sleep(greatest(0, 5.8 - extract(epoch FROM clock_timestamp() - :'stall_start'::timestamptz))) IS NOT NULL AS waited;
SELECT count(*) >= 0 AS drained FROM emulator_requests();

DROP SERVER ma_other CASCADE;
DROP SERVER ma_down CASCADE;
ALTER SERVER ma OPTIONS (DROP requests_in_flight);
