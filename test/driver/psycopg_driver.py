#!/usr/bin/python3
"""One scenario of a real driver (psycopg 3, Debian's python3-psycopg) against
modelarts_fdw: the extended protocol, server-side prepared statements, bound
parameters typed as psycopg types them, a server-side cursor.  Run by
test/t/330_driver_psycopg.t, which counts the requests the emulator logged
after each scenario and checks the rows printed here.

  psycopg_driver.py DBNAME SCENARIO

Prints one JSON document on stdout: {"rows": [...], "types": [...]}.
Connection parameters come from the environment (PGHOST, PGPORT, PGUSER).
"""
import json
import sys

import psycopg
from psycopg.types.numeric import Int4, Int8

WINDOW = ("SELECT image_id FROM images "
          "WHERE data_annotation_id = %s AND tag_name = %s LIMIT %s OFFSET %s")


def window(conn, wrap, executions, mode):
    """The same window, prepared on the server, executed again and again
    (a plan-cache mode of None keeps the server's default, auto: a generic
    plan from the sixth execution on)."""
    results = []
    types = []
    if mode:
        conn.execute("SET plan_cache_mode = " + mode)
    for _ in range(executions):
        cur = conn.execute(WINDOW, (wrap(282), "cat", wrap(10), wrap(20)),
                           prepare=True)
        results.append([r[0] for r in cur.fetchall()])
    # what the server was told the parameters are
    cur = conn.execute(
        "SELECT parameter_types::text FROM pg_prepared_statements "
        "WHERE statement LIKE '%%LIMIT $3 OFFSET $4%%'")
    types = [r[0] for r in cur.fetchall()]
    plans = conn.execute(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
        "WHERE statement LIKE '%%LIMIT $3 OFFSET $4%%'").fetchall()
    return {"rows": results, "types": types, "plans": [list(p) for p in plans]}


def preview(conn):
    """A BI tool's first look at a table: no job, a bound LIMIT."""
    cur = conn.execute("SELECT image_id, tag_name FROM images LIMIT %s",
                       (200,), prepare=True)
    return {"rows": [[r[0], r[1]] for r in cur.fetchall()]}


def server_cursor(conn):
    """psycopg's server-side cursor (DECLARE ... FETCH 50 at a time)."""
    rows = []
    with conn.transaction():
        with conn.cursor(name="images_cursor") as cur:
            cur.itersize = 50
            cur.execute("SELECT image_id FROM images "
                        "WHERE data_annotation_id = %s AND tag_name = %s",
                        (282, "cat"))
            while True:
                batch = cur.fetchmany(50)
                if not batch:
                    break
                rows.extend(r[0] for r in batch)
    return {"rows": rows}


def optional_filter(conn):
    """The optional-filter idiom tools generate, under a generic plan: the
    tag given, then NULL (every tag)."""
    conn.execute("SET plan_cache_mode = force_generic_plan")
    # a named placeholder used twice is one parameter ($2), as tools bind it
    q = ("SELECT count(*) FROM images WHERE data_annotation_id = %(job)s "
         "AND (tag_name = %(tag)s::text OR %(tag)s::text IS NULL)")
    given = conn.execute(q, {"job": 282, "tag": "cat"},
                         prepare=True).fetchone()[0]
    null = conn.execute(q, {"job": 282, "tag": None},
                        prepare=True).fetchone()[0]
    return {"rows": [given, null]}


def main():
    dbname, scenario = sys.argv[1], sys.argv[2]
    with psycopg.connect(dbname=dbname, autocommit=True) as conn:
        if scenario == "window-auto":
            out = window(conn, int, 12, None)
        elif scenario == "window-int4-generic":
            out = window(conn, Int4, 3, "force_generic_plan")
        elif scenario == "window-int8-generic":
            out = window(conn, Int8, 3, "force_generic_plan")
        elif scenario == "window-int8-custom":
            out = window(conn, Int8, 3, "force_custom_plan")
        elif scenario == "preview":
            out = preview(conn)
        elif scenario == "server-cursor":
            out = server_cursor(conn)
        elif scenario == "optional-filter":
            out = optional_filter(conn)
        else:
            sys.exit("unknown scenario " + scenario)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
