#!/bin/bash
# scripts/with-postgres.sh CMD [ARGS...]: runs CMD beside a throwaway PostgreSQL 15 cluster and
# stops the cluster when CMD ends (or is interrupted). The cluster lives in a new temp folder,
# listens on a unix socket only (no TCP), and runs with fsync off: it is for tests, never data.
#
# CMD sees MCIDCTL_TEST_PG, a libpq URI of the cluster's `postgres` database as the superuser
# `postgres` (no password: trust authentication on the socket); tests create their own databases
# from it. As root, initdb and the server run as the `postgres` user (initdb refuses root);
# otherwise as the calling user. Installs postgresql-15 when it is missing (Debian 12, root).
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb ]] && { echo "$d"; return 0; }
  done
  return 1
}
if ! PGBIN=$(pg_bindir); then
  [[ $(id -u) -eq 0 ]] || { echo "with-postgres: postgresql-15 is not installed (apt-get install postgresql-15)" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  PGBIN=$(pg_bindir)
fi

as_owner=()
if [[ $(id -u) -eq 0 ]]; then as_owner=(runuser -u postgres --); fi
DIR=$(mktemp -d /tmp/mcid-pg.XXXXXX)
chmod 0755 "$DIR"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$DIR"
stop() {
  "${as_owner[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_owner[@]}" "$PGBIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
PORT=$((20000 + RANDOM % 20000))
"${as_owner[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 -o \
  "-p $PORT -k $DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null 2>&1 || { cat "$DIR/server.log" >&2; exit 1; }

export MCIDCTL_TEST_PG="postgresql:///postgres?host=$DIR&port=$PORT&user=postgres"
status=0
"$@" || status=$?
exit "$status"
