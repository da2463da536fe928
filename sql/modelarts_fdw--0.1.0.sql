/* modelarts_fdw--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION modelarts_fdw" to load this file. \quit

CREATE FUNCTION modelarts_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION modelarts_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER modelarts_fdw
  HANDLER modelarts_fdw_handler
  VALIDATOR modelarts_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER modelarts_fdw
  IS 'foreign data wrapper for ModelArts (Huawei Cloud) image-labeling jobs';
