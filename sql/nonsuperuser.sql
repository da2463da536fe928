-- What a role without superuser can and cannot do, as in postgres_fdw's own
-- tests: it must bring its own credentials, may not weaken TLS, and cannot
-- read other users' user mapping options.
\getenv endpoint MODELARTS_ENDPOINT
\set VERBOSITY terse

CREATE ROLE regress_ma_user LOGIN;
CREATE ROLE regress_ma_other;
GRANT USAGE ON FOREIGN DATA WRAPPER modelarts_fdw TO regress_ma_user;
GRANT CREATE ON SCHEMA public TO regress_ma_user;

-- a server of the superuser's, usable by regress_ma_user; a PUBLIC mapping
-- without credentials, and another user's mapping with a token
CREATE SERVER ma_nosu FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
GRANT USAGE ON FOREIGN SERVER ma_nosu TO regress_ma_user;
CREATE USER MAPPING FOR PUBLIC SERVER ma_nosu;
CREATE USER MAPPING FOR regress_ma_other SERVER ma_nosu
  OPTIONS (auth_token 'other-users-token');
CREATE FOREIGN TABLE nosu_images (
  data_annotation_id bigint,
  image_id text,
  tag_name text
) SERVER ma_nosu OPTIONS (resource 'images');
GRANT SELECT ON nosu_images TO regress_ma_user;

-- the superuser may use the mapping without credentials ...
SELECT count(*) FROM nosu_images WHERE data_annotation_id = 282 AND tag_name = 'cat';

-- ... a non-superuser may not, even in a session where the superuser just
-- did (the check is made at each use, not when the connection is cached)
SET ROLE regress_ma_user;
SELECT try_query($$SELECT count(*) FROM nosu_images WHERE data_annotation_id = 282 AND tag_name = 'cat'$$);

-- with credentials of its own, it may, if the endpoint checks them: this
-- emulator answers without credentials, which the first request of the
-- connection (sent without any) shows, so the scan is refused ...
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_nosu
  OPTIONS (auth_token 'regress-users-token');
SELECT try_query($$SELECT count(*) FROM nosu_images WHERE data_annotation_id = 282 AND tag_name = 'cat'$$);
-- ... and it may not waive that check itself
ALTER USER MAPPING FOR CURRENT_USER SERVER ma_nosu OPTIONS (ADD password_required 'false');
-- a superuser may: then the scan reads
RESET ROLE;
ALTER USER MAPPING FOR regress_ma_user SERVER ma_nosu OPTIONS (ADD password_required 'false');
SET ROLE regress_ma_user;
SELECT count(*) FROM nosu_images WHERE data_annotation_id = 282 AND tag_name = 'cat';
-- and the mapping is the superuser's to change now
ALTER USER MAPPING FOR CURRENT_USER SERVER ma_nosu OPTIONS (SET auth_token 'new');
RESET ROLE;
ALTER USER MAPPING FOR regress_ma_user SERVER ma_nosu OPTIONS (DROP password_required);
SET ROLE regress_ma_user;

-- it sees its own mapping's options, not another user's
SELECT usename, umoptions FROM pg_user_mappings
WHERE srvname = 'ma_nosu' ORDER BY usename;
-- and cannot change another user's mapping, nor make one for another user
ALTER USER MAPPING FOR regress_ma_other SERVER ma_nosu OPTIONS (SET auth_token 'x');
CREATE USER MAPPING FOR regress_ma_other SERVER ma_nosu;

-- dropping its credentials takes it back to the PUBLIC mapping: refused again
ALTER USER MAPPING FOR CURRENT_USER SERVER ma_nosu OPTIONS (DROP auth_token);
SELECT try_query($$SELECT count(*) FROM nosu_images WHERE data_annotation_id = 282$$);
DROP USER MAPPING FOR CURRENT_USER SERVER ma_nosu;
SELECT try_query($$SELECT count(*) FROM nosu_images WHERE data_annotation_id = 282$$);

-- its own server: it may not turn certificate verification off, nor name
-- a file for the server to read
CREATE SERVER ma_mine FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'https://modelarts.cn-north-4.myhuaweicloud.com',
           project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0', ssl_verify 'false');
CREATE SERVER ma_mine FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'https://modelarts.cn-north-4.myhuaweicloud.com',
           project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0', ssl_verify 'true');
ALTER SERVER ma_mine OPTIONS (SET ssl_verify 'off');
ALTER SERVER ma_mine OPTIONS (ADD ca_file '/etc/ssl/certs/ca-certificates.crt');
-- nor is a mix of authentication modes accepted from anyone
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_mine
  OPTIONS (auth_token 't', user_name 'u', password 'p', domain_name 'd');
CREATE USER MAPPING FOR CURRENT_USER SERVER ma_mine
  OPTIONS (access_key 'AK', secret_key 'SK');
SELECT umoptions FROM pg_user_mappings WHERE srvname = 'ma_mine';
RESET ROLE;

-- the superuser sees every mapping's options
SELECT srvname, usename, umoptions FROM pg_user_mappings
WHERE srvname IN ('ma_nosu', 'ma_mine') ORDER BY srvname, usename;

DROP SERVER ma_mine CASCADE;
DROP SERVER ma_nosu CASCADE;
REVOKE CREATE ON SCHEMA public FROM regress_ma_user;
REVOKE USAGE ON FOREIGN DATA WRAPPER modelarts_fdw FROM regress_ma_user;
DROP ROLE regress_ma_user;
DROP ROLE regress_ma_other;
