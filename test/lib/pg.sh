# Shell helpers for a throwaway PostgreSQL cluster; source this file.
#
# pg_start DIR PORT   initdb DIR and start a server on 127.0.0.1:PORT with its
#                     socket in DIR; sets PGHOST, PGPORT, PGUSER, PGDATABASE.
# pg_stop DIR         stop it.
#
# PostgreSQL refuses to run as root: as root the cluster belongs to the
# "postgres" system user (which the Debian package creates).

PG_BINDIR=${PG_BINDIR:-$(pg_config --bindir)}

pg_run_as() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  pg_run_as "$PG_BINDIR/initdb" -D "$dir/data" -U postgres -A trust \
    --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log"; return 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
log_min_messages = info
logging_collector = off
CONF
  pg_run_as "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    >/dev/null || { cat "$dir/server.log"; return 1; }
  export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

pg_stop() {
  local dir=$1
  [ -d "$dir/data" ] && pg_run_as "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

# A free TCP port on 127.0.0.1
free_port() {
  perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0)->sockport, "\n"'
}
