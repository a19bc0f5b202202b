#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the journal's SQL tests and prints
# the shell line that points the tests at it:
#
#   eval "$(bash .ci/postgres.sh)"      # sets ESCOTT_TEST_POSTGRES and ESCOTT_TEST_POSTGRES_DATA
#   go test -race ./journal/...
#   bash .ci/postgres.sh stop           # stops the server in $ESCOTT_TEST_POSTGRES_DATA, removes it
#
# It installs the Debian package when the server binaries are missing,
# initialises a cluster in a temporary directory owned by the postgres user
# (initdb refuses to run as root), listens on 127.0.0.1 only, on a free port,
# with trust authentication: it is for tests, never for data that matters.
# Everything but the final export lines goes to stderr. Where it cannot
# install or start a server (not Debian, not root), it says how to point the
# tests at an existing server with ESCOTT_TEST_POSTGRES instead.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; fi
}

as_owner() { # run a command as the cluster owner when we are root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "${1:-}" = stop ]; then
  data=${ESCOTT_TEST_POSTGRES_DATA:?ESCOTT_TEST_POSTGRES_DATA is not set}
  bin=$(bindir)
  as_owner "$bin/pg_ctl" -D "$data/db" -m fast -w stop >&2 || true
  rm -rf "$data"
  exit 0
fi

# cannot explains what to do where this script cannot start a server itself.
cannot() {
  log "$1"
  log "The SQL tests need a PostgreSQL server. Point them at one you already have"
  log "(the tests create and drop their own tables in it):"
  log "  export ESCOTT_TEST_POSTGRES='postgres://USER:PASSWORD@HOST:5432/DBNAME?sslmode=disable'"
  log "then run the tests (go test -race ./internal/pgtest/...). On macOS: brew install postgresql && brew services start postgresql;"
  log "on other Linux distributions install the server package as root and run this script again."
  exit 1
}

bin=$(bindir)
if [ -z "$bin" ]; then
  command -v apt-get >/dev/null 2>&1 || cannot "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin, and no apt-get to install them (not Debian or Ubuntu)"
  [ "$(id -u)" = 0 ] || cannot "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin, and installing them needs root"
  log "installing postgresql (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(bindir)
  [ -n "$bin" ] || cannot "no PostgreSQL server binaries after installing the package"
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  cannot "running as root, but there is no postgres user to own the cluster"
fi

data=$(mktemp -d /tmp/escott-pg.XXXXXX)
chmod 0755 "$data"
[ "$(id -u)" = 0 ] && chown postgres: "$data"

log "initialising a cluster in $data/db with $bin"
as_owner "$bin/initdb" -D "$data/db" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 ||
  as_owner "$bin/initdb" -D "$data/db" -U postgres --auth=trust -E UTF8 --no-locale >"$data/initdb.log" 2>&1 ||
  { cat "$data/initdb.log" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

started=""
for _ in $(seq 1 20); do
  port=$((20000 + RANDOM % 30000))
  port_free "$port" || continue
  if as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 30 \
    -o "-h 127.0.0.1 -p $port -k $data -c fsync=off -c full_page_writes=off" start >&2; then
    started=$port; break
  fi
  log "could not start on port $port, trying another"
done
[ -n "$started" ] || { cat "$data/server.log" >&2 || true; exit 1; }

"$bin/psql" -h 127.0.0.1 -p "$started" -U postgres -d postgres -qtA -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE escott_test" >&2

url="postgres://postgres@127.0.0.1:$started/escott_test?sslmode=disable"
log "ready: $url"
echo "export ESCOTT_TEST_POSTGRES='$url'"
echo "export ESCOTT_TEST_POSTGRES_DATA='$data'"
