-- Options: each validated when it is set, with a hint listing the valid ones.
\set VERBOSITY default
\getenv endpoint MODELARTS_ENDPOINT

-- server: required options, URLs, numbers
CREATE SERVER bad1 FOREIGN DATA WRAPPER modelarts_fdw;
CREATE SERVER bad2 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x');
CREATE SERVER bad3 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'ftp://x', project_id 'p');
CREATE SERVER bad4 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://', project_id 'p');
CREATE SERVER bad5 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x/?a=1', project_id 'p');
CREATE SERVER bad6 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://user:secret@x', project_id 'p');
CREATE SERVER bad7 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', page_size '0');
CREATE SERVER bad8 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', page_size '101');
CREATE SERVER bad9 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', page_size 'ten');
CREATE SERVER bad10 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', connect_timeout '-1');
CREATE SERVER bad11 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', request_timeout 'soon');
CREATE SERVER bad12 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', ssl_verify 'maybe');
CREATE SERVER bad13 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', colour 'blue');
CREATE SERVER bad14 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id '');
CREATE SERVER bad15 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', max_retries '11');
-- requests_in_flight: 1 to 64, on the server or a foreign table
CREATE SERVER bad16 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', requests_in_flight '0');
CREATE SERVER bad17 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', requests_in_flight '65');
CREATE SERVER bad18 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', requests_in_flight 'many');
CREATE SERVER bad16 FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x', project_id 'p', iam_endpoint 'iam.example.com');

-- a good server, then ALTER: a bad value fails at ALTER time
CREATE SERVER opt_srv FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'https://modelarts.cn-north-4.myhuaweicloud.com/', project_id 'p',
           connect_timeout '2.5', request_timeout '30', page_size '50', max_retries '0');
ALTER SERVER opt_srv OPTIONS (SET page_size '1000');
ALTER SERVER opt_srv OPTIONS (DROP endpoint);
ALTER SERVER opt_srv OPTIONS (SET page_size '1');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'opt_srv';

-- user mapping: one authentication mode, complete, no CR/LF in header values
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (colour 'blue');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (auth_token 't', access_key 'a', secret_key 's');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (user_name 'u', password 'p');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (access_key 'a');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (auth_token E'abc\r\nX-Injected: 1');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (auth_token '');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (auth_token 'tok');
ALTER USER MAPPING FOR CURRENT_USER SERVER opt_srv OPTIONS (ADD secret_key 'sk');
DROP USER MAPPING FOR CURRENT_USER SERVER opt_srv;

-- foreign table and column options
CREATE FOREIGN TABLE opt_t1 (a int) SERVER opt_srv OPTIONS (resource 'pictures');
CREATE FOREIGN TABLE opt_t2 (a int) SERVER opt_srv OPTIONS (data_annotation_id 'abc');
CREATE FOREIGN TABLE opt_t3 (a int) SERVER opt_srv OPTIONS (data_annotation_id '-5');
CREATE FOREIGN TABLE opt_t4 (a int) SERVER opt_srv OPTIONS (limit '5');
CREATE FOREIGN TABLE opt_t4b (a int) SERVER opt_srv OPTIONS (requests_in_flight '-1');
CREATE FOREIGN TABLE opt_t5 (a int OPTIONS (key '')) SERVER opt_srv;
CREATE FOREIGN TABLE opt_t6 (a int OPTIONS (colour 'x')) SERVER opt_srv;
CREATE FOREIGN TABLE opt_ok (name text OPTIONS (key 'image_name'))
  SERVER opt_srv OPTIONS (resource 'images', data_annotation_id '282');
ALTER FOREIGN TABLE opt_ok OPTIONS (SET data_annotation_id '0');
ALTER FOREIGN TABLE opt_ok ALTER COLUMN name OPTIONS (SET key '');
-- the wrapper itself takes no options
ALTER FOREIGN DATA WRAPPER modelarts_fdw OPTIONS (endpoint 'http://x');

-- a table with neither a job condition nor a job option reads the jobs of
-- the listing; require_job_filter (table or server) refuses that clearly
CREATE FOREIGN TABLE opt_nojob (image_name text, data_annotation_id bigint)
  SERVER ma OPTIONS (resource 'images');
SELECT count(*) FROM opt_nojob;
SELECT count(*) FROM opt_nojob WHERE data_annotation_id > 283;
ALTER FOREIGN TABLE opt_nojob OPTIONS (ADD require_job_filter 'true');
SELECT * FROM opt_nojob;
SELECT try_query('SELECT * FROM opt_nojob');
SELECT count(*) FROM opt_nojob WHERE data_annotation_id > 283;
ALTER FOREIGN TABLE opt_nojob OPTIONS (SET require_job_filter 'false');
ALTER SERVER ma OPTIONS (ADD require_job_filter 'true');
SELECT count(*) FROM opt_nojob;
ALTER FOREIGN TABLE opt_nojob OPTIONS (DROP require_job_filter);
SELECT try_query('SELECT * FROM opt_nojob');
ALTER SERVER ma OPTIONS (DROP require_job_filter);
CREATE FOREIGN TABLE opt_bad_missing (a int) SERVER ma OPTIONS (missing_job 'ignore');
CREATE FOREIGN TABLE opt_bad_require (a int) SERVER ma OPTIONS (require_job_filter 'maybe');

DROP SERVER opt_srv CASCADE;
DROP FOREIGN TABLE opt_nojob;
