-- Strict validation at CREATE/ALTER, each rule both ways, and the
-- superuser's list of allowed endpoints (modelarts_fdw.allowed_endpoints).
\set VERBOSITY default
\getenv endpoint MODELARTS_ENDPOINT

CREATE SERVER v FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://x', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');

-- project_id: 1 to 64 letters, digits, "-" or "_"
ALTER SERVER v OPTIONS (SET project_id 'p');
ALTER SERVER v OPTIONS (SET project_id 'my_project-1');
ALTER SERVER v OPTIONS (SET project_id '0123456789012345678901234567890123456789012345678901234567890123');
ALTER SERVER v OPTIONS (SET project_id '01234567890123456789012345678901234567890123456789012345678901234');
ALTER SERVER v OPTIONS (SET project_id '..');
ALTER SERVER v OPTIONS (SET project_id 'a/b');
ALTER SERVER v OPTIONS (SET project_id 'a%2fb');
ALTER SERVER v OPTIONS (SET project_id 'a.b');
ALTER SERVER v OPTIONS (SET project_id ' p');
ALTER SERVER v OPTIONS (SET project_id 'é');
ALTER SERVER v OPTIONS (SET project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');

-- endpoint: scheme, host, port 1-65535, path (which may hold "@")
ALTER SERVER v OPTIONS (SET endpoint 'http://127.0.0.1:1');
ALTER SERVER v OPTIONS (SET endpoint 'HTTPS://Modelarts.Example.com:65535/');
ALTER SERVER v OPTIONS (SET endpoint 'http://[::1]:8080/gw/api');
ALTER SERVER v OPTIONS (SET endpoint 'http://host/p@th');
ALTER SERVER v OPTIONS (SET endpoint 'http://host/a%20b/c_d-e~f');
ALTER SERVER v OPTIONS (SET endpoint 'http://127.0.0.1:');
ALTER SERVER v OPTIONS (SET endpoint 'http://x:99999');
ALTER SERVER v OPTIONS (SET endpoint 'http://x:0');
ALTER SERVER v OPTIONS (SET endpoint 'http://x:+80');
ALTER SERVER v OPTIONS (SET endpoint 'http://x:0x50');
ALTER SERVER v OPTIONS (SET endpoint 'http://:80');
ALTER SERVER v OPTIONS (SET endpoint 'http:///path');
ALTER SERVER v OPTIONS (SET endpoint 'http://x\y');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/a\b');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/a/../b');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/./b');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/%2e%2E/b');
ALTER SERVER v OPTIONS (SET endpoint 'http://x//b');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/a%zz');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/a%2');
ALTER SERVER v OPTIONS (SET endpoint 'http://u:secret@x');
ALTER SERVER v OPTIONS (SET endpoint 'http://x#frag');
ALTER SERVER v OPTIONS (SET endpoint 'http://x/a?q=1');
ALTER SERVER v OPTIONS (SET endpoint 'http://x y');
ALTER SERVER v OPTIONS (SET endpoint 'http://x%41');
ALTER SERVER v OPTIONS (SET endpoint 'http://[::1');
ALTER SERVER v OPTIONS (SET endpoint 'socks5://x');
ALTER SERVER v OPTIONS (SET endpoint 'x');
-- iam_endpoint: the same rules
ALTER SERVER v OPTIONS (ADD iam_endpoint 'https://iam.example.com:443/');
ALTER SERVER v OPTIONS (SET iam_endpoint 'https://iam.example.com:70000');
ALTER SERVER v OPTIONS (SET iam_endpoint 'https://iam.example.com/../x');
ALTER SERVER v OPTIONS (DROP iam_endpoint);

-- proxy: http, https, socks5, socks5h; no credentials; no path (no Unix
-- socket); credentials go into the user mapping
ALTER SERVER v OPTIONS (ADD proxy 'http://proxy.example.com:3128');
ALTER SERVER v OPTIONS (SET proxy 'socks5h://proxy');
ALTER SERVER v OPTIONS (SET proxy 'https://proxy:443/');
ALTER SERVER v OPTIONS (SET proxy 'http://user:Sec-ProxyPass@proxy:3128');
ALTER SERVER v OPTIONS (SET proxy 'socks5h://localhost/var/run/postgresql/.s.PGSQL.5432');
ALTER SERVER v OPTIONS (SET proxy 'socks4://proxy');
ALTER SERVER v OPTIONS (SET proxy 'proxy:3128');
ALTER SERVER v OPTIONS (SET proxy 'file:///etc/passwd');
ALTER SERVER v OPTIONS (DROP proxy);
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'v';

-- numbers: decimal, nothing around them
ALTER SERVER v OPTIONS (ADD connect_timeout '2.5');
ALTER SERVER v OPTIONS (SET connect_timeout '10');
ALTER SERVER v OPTIONS (SET connect_timeout '0.001');
ALTER SERVER v OPTIONS (SET connect_timeout '0x10');
ALTER SERVER v OPTIONS (SET connect_timeout ' 5');
ALTER SERVER v OPTIONS (SET connect_timeout '5 ');
ALTER SERVER v OPTIONS (SET connect_timeout '1e2');
ALTER SERVER v OPTIONS (SET connect_timeout '+5');
ALTER SERVER v OPTIONS (SET connect_timeout '.5');
ALTER SERVER v OPTIONS (SET connect_timeout '5.');
ALTER SERVER v OPTIONS (SET connect_timeout 'inf');
ALTER SERVER v OPTIONS (SET connect_timeout 'nan');
ALTER SERVER v OPTIONS (ADD page_size '050');
ALTER SERVER v OPTIONS (SET page_size ' 50');
ALTER SERVER v OPTIONS (SET page_size '0x32');
ALTER SERVER v OPTIONS (SET page_size '+50');
ALTER SERVER v OPTIONS (SET page_size '50 ');
ALTER SERVER v OPTIONS (ADD max_retries '0');
ALTER SERVER v OPTIONS (SET max_retries '-0');
ALTER SERVER v OPTIONS (SET max_retries '00000000003');
ALTER SERVER v OPTIONS (SET max_retries '99999999999999999999');
CREATE FOREIGN TABLE v_ok (a int) SERVER v OPTIONS (data_annotation_id '282');
CREATE FOREIGN TABLE v_bad1 (a int) SERVER v OPTIONS (data_annotation_id '0x11a');
CREATE FOREIGN TABLE v_bad2 (a int) SERVER v OPTIONS (data_annotation_id ' 282');
CREATE FOREIGN TABLE v_bad3 (a int) SERVER v OPTIONS (data_annotation_id '+282');
CREATE FOREIGN TABLE v_bad4 (a int) SERVER v OPTIONS (requests_in_flight '8 ');

-- ca_file: an absolute path (a superuser's option, see nonsuperuser.sql)
ALTER SERVER v OPTIONS (ADD ca_file '/etc/ssl/certs/ca-certificates.crt');
ALTER SERVER v OPTIONS (SET ca_file 'ca.pem');
ALTER SERVER v OPTIONS (DROP ca_file);

-- user mapping: proxy_user, proxy_password, password_required
CREATE USER MAPPING FOR CURRENT_USER SERVER v
  OPTIONS (auth_token 'tok-1', proxy_user 'pu', proxy_password 'Sec-ProxyPass', password_required 'false');
ALTER USER MAPPING FOR CURRENT_USER SERVER v OPTIONS (SET password_required 'maybe');
ALTER USER MAPPING FOR CURRENT_USER SERVER v OPTIONS (SET proxy_password '');
ALTER USER MAPPING FOR CURRENT_USER SERVER v OPTIONS (SET proxy_user E'a\r\nX-Injected: 1');
DROP USER MAPPING FOR CURRENT_USER SERVER v;

-- modelarts_fdw.allowed_endpoints: URL prefixes, matched by component
SHOW modelarts_fdw.allowed_endpoints;
SET modelarts_fdw.allowed_endpoints = 'ftp://x';
SET modelarts_fdw.allowed_endpoints = 'http://u:p@x';
SET modelarts_fdw.allowed_endpoints = 'allowed.example.com';
SET modelarts_fdw.allowed_endpoints = 'http://allowed.example.com', 'https://api.example.com:8443/gw/', 'socks5h://proxy.example.com';
SHOW modelarts_fdw.allowed_endpoints;
ALTER SERVER v OPTIONS (SET endpoint 'http://allowed.example.com');
ALTER SERVER v OPTIONS (SET endpoint 'HTTP://ALLOWED.Example.COM:80/v1');
ALTER SERVER v OPTIONS (SET endpoint 'https://api.example.com:8443/gw');
ALTER SERVER v OPTIONS (SET endpoint 'https://api.example.com:8443/gw/x/y');
-- not a string prefix: another host, port, scheme or path segment
ALTER SERVER v OPTIONS (SET endpoint 'http://allowed.example.com.evil.org');
ALTER SERVER v OPTIONS (SET endpoint 'http://allowed.example.com:8080');
ALTER SERVER v OPTIONS (SET endpoint 'https://allowed.example.com');
ALTER SERVER v OPTIONS (SET endpoint 'https://api.example.com:8443/gwx');
ALTER SERVER v OPTIONS (SET endpoint 'https://api.example.com/gw');
ALTER SERVER v OPTIONS (SET endpoint 'https://api.example.com:8443');
-- iam_endpoint and proxy too
ALTER SERVER v OPTIONS (ADD iam_endpoint 'https://iam.example.com');
ALTER SERVER v OPTIONS (ADD iam_endpoint 'https://api.example.com:8443/gw/iam');
ALTER SERVER v OPTIONS (ADD proxy 'http://proxy.example.com:1080');
ALTER SERVER v OPTIONS (ADD proxy 'socks5h://proxy.example.com:1080');
CREATE SERVER v2 FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint 'http://169.254.169.254', project_id 'p');
RESET modelarts_fdw.allowed_endpoints;

-- checked again when the connection is used: the setting may change after
-- the server was made
CREATE SERVER v_emu FOREIGN DATA WRAPPER modelarts_fdw
  OPTIONS (endpoint :'endpoint', project_id '0f1e2d3c4b5a69788796a5b4c3d2e1f0');
CREATE USER MAPPING FOR CURRENT_USER SERVER v_emu;
CREATE FOREIGN TABLE v_images (image_id text) SERVER v_emu OPTIONS (data_annotation_id '282');
SELECT count(*) FROM v_images;
SET modelarts_fdw.allowed_endpoints = 'https://modelarts.cn-north-4.myhuaweicloud.com';
SELECT try_query('SELECT count(*) FROM v_images');
SELECT set_config('modelarts_fdw.allowed_endpoints', :'endpoint', false) IS NOT NULL AS set;
SELECT count(*) FROM v_images;
RESET modelarts_fdw.allowed_endpoints;

-- only a superuser may set it
CREATE ROLE regress_ma_guc;
SET ROLE regress_ma_guc;
SET modelarts_fdw.allowed_endpoints = '';
RESET ROLE;
DROP ROLE regress_ma_guc;

DROP SERVER v CASCADE;
DROP SERVER v_emu CASCADE;
