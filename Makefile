# modelarts_fdw: PostgreSQL foreign data wrapper for the ModelArts v1 labeling API

EXTENSION = modelarts_fdw
EXTVERSION = 0.1.0
MODULE_big = modelarts_fdw
OBJS = src/modelarts_fdw.o src/option.o src/plan.o src/convert.o \
	src/connection.o src/transport.o src/client.o src/request.o \
	src/scan.o src/auth.o src/resource.o src/import.o src/perimeter.o \
	src/stats.o src/estimate.o src/aggregate.o src/v2.o
DATA = sql/modelarts_fdw--0.1.0.sql
PGFILEDESC = "modelarts_fdw - foreign data wrapper for ModelArts labeling jobs"

REGRESS = setup options row_model conversion pushdown limit_offset errors compare resources join bi_queries import nonsuperuser validation estimates aggregates v2
REGRESS_OPTS = --load-extension=modelarts_fdw

PG_CONFIG ?= pg_config
PG_CPPFLAGS = -I$(srcdir)/src $(shell curl-config --cflags) $(shell pkg-config --cflags libcjson)
SHLIB_LINK = $(shell curl-config --libs) $(shell pkg-config --libs libcjson) -lcrypto

# Warnings are errors in our own code; set WERROR= to build without.
WERROR ?= -Werror
PG_CFLAGS = -Wall $(WERROR)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: emulator
emulator:
	$(MAKE) -C test/emulator

all: emulator
