#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the store's tests (Debian's
# packages; installs them when missing).
#   scripts/test-postgres.sh start DIR PORT   # prints the URL to export as FLUIDITY_TEST_POSTGRES
#   scripts/test-postgres.sh stop DIR
# The cluster lives in DIR, owned by the `postgres` user (the server refuses root),
# trusts loopback connections only, and listens on 127.0.0.1:PORT.
set -euo pipefail
action="$1"; dir="$2"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
case "$action" in
  start)
    port="$3"
    if [ -z "$bin" ]; then
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    # A server a killed run left behind holds the port: stop it first.
    [ -d "$dir/data" ] && as_postgres "$bin/pg_ctl -D '$dir/data' -m immediate stop >/dev/null 2>&1" || true
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_postgres "$bin/initdb -D '$dir/data' -U postgres --auth=trust -E UTF8 >/dev/null"
    as_postgres "$bin/pg_ctl -D '$dir/data' -l '$dir/log' -w -o \"-c listen_addresses=127.0.0.1 -p $port -k '$dir'\" start >/dev/null"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -n "$bin" ] && [ -d "$dir/data" ] && as_postgres "$bin/pg_ctl -D '$dir/data' -m fast stop >/dev/null" || true
    ;;
esac
