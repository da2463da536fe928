# modelarts_fdw: PostgreSQL foreign data wrapper for the ModelArts labeling APIs (v1 labeling jobs, v2 datasets)
#
#   make && make install    the extension alone (PostgreSQL's server headers,
#                           libcurl, cJSON, OpenSSL)
#   make installcheck       the pg_regress suite against a running server; it
#                           needs the emulator: test/installcheck.sh starts it
#   make emulator           the ModelArts emulator the tests use (libmicrohttpd)
#   make dist               the PGXN zip, modelarts_fdw-$(EXTVERSION).zip
#
# Warnings are not errors by default (a newer compiler must still build a
# release); the test scripts and CI build with WERROR=-Werror.

EXTENSION = modelarts_fdw
EXTVERSION = 0.1.0
MODULE_big = modelarts_fdw
OBJS = src/modelarts_fdw.o src/option.o src/plan.o src/convert.o \
	src/connection.o src/transport.o src/client.o src/request.o \
	src/scan.o src/auth.o src/resource.o src/import.o src/perimeter.o \
	src/stats.o src/estimate.o src/aggregate.o src/v2.o src/json.o
DATA = sql/modelarts_fdw--0.1.0.sql
PGFILEDESC = "modelarts_fdw - foreign data wrapper for ModelArts labeling jobs"

REGRESS = setup options row_model conversion pushdown limit_offset errors compare resources join bi_queries import nonsuperuser validation estimates aggregates v2
REGRESS_OPTS = --load-extension=modelarts_fdw

PG_CONFIG ?= pg_config
# (quiet when the libraries' development files are missing, as for
# installcheck against an installed package: a build then fails on the
# missing header, which says what is missing)
PG_CPPFLAGS = -I$(srcdir)/src $(shell curl-config --cflags 2>/dev/null) $(shell pkg-config --cflags libcjson 2>/dev/null)
SHLIB_LINK = $(shell curl-config --libs 2>/dev/null) $(shell pkg-config --libs libcjson 2>/dev/null) -lcrypto

WERROR ?=
PG_CFLAGS = -Wall $(WERROR)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object depends on the one
# private header, so that a changed struct never leaves a stale object.
$(OBJS): src/modelarts_fdw.h
src/json.o src/client.o src/convert.o: src/json.h

# The emulator and its build are test tools: not part of all or install.
.PHONY: emulator emulator-clean dist
emulator:
	$(MAKE) -C test/emulator WERROR=$(WERROR)

# (the files themselves: test/emulator/Makefile asks pkg-config for
# libmicrohttpd, which a machine building only the extension does not have)
emulator-clean:
	rm -f test/emulator/modelarts-emulator test/emulator/*.o

clean: emulator-clean

# The PGXN distribution: the committed tree at HEAD (git archive), under
# modelarts_fdw-VERSION/, without what .gitattributes marks export-ignore;
# written into DISTDIR (default: here).
DISTNAME = $(EXTENSION)-$(EXTVERSION)
DISTDIR = .
dist:
	git archive --format=zip --prefix=$(DISTNAME)/ -o $(DISTDIR)/$(DISTNAME).zip HEAD
