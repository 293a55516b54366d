#!/usr/bin/env bash
# Makes sure a PostgreSQL server the tests can use is running on this
# machine, starting it (or installing it from Debian's packages, as root)
# when it is not, and prints its DSN on stdout. Progress goes to stderr.
#
# MULTICLOUD_TEST_POSTGRES_DSN, when already set, is used as it is.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

if [ -n "${MULTICLOUD_TEST_POSTGRES_DSN:-}" ]; then
	echo "$MULTICLOUD_TEST_POSTGRES_DSN"
	exit 0
fi

host=127.0.0.1
port=${PGPORT:-5432}
db=test

ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; }

as_postgres() {
	if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
		su postgres -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}

start_cluster() {
	if command -v pg_lsclusters >/dev/null 2>&1; then
		local version
		version=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1}')
		if [ -z "$version" ] && [ -d /etc/postgresql ]; then
			version=$(ls /etc/postgresql | sort -V | tail -n 1)
		fi
		if [ -z "$version" ]; then
			version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
			log "creating cluster $version/main"
			pg_createcluster "$version" main >&2
		fi
		log "starting cluster $version/main"
		pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
	fi
}

if ! ready; then
	start_cluster
fi
if ! ready && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	log "installing postgresql from Debian's packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql postgresql-client >&2
	start_cluster
fi
for _ in $(seq 1 30); do
	ready && break
	sleep 1
done
if ! ready; then
	log "no PostgreSQL server on $host:$port and none could be started"
	exit 1
fi

# Trust auth (as on the development machines) needs no password; a fresh
# Debian install asks for one on TCP, so give the postgres role a known one.
dsn="postgres://postgres@$host:$port/$db?sslmode=disable"
if ! psql "postgres://postgres@$host:$port/postgres?sslmode=disable" -Atqc 'select 1' >/dev/null 2>&1; then
	log "setting a password for role postgres (password auth on $host)"
	as_postgres "psql -q -c \"ALTER ROLE postgres PASSWORD 'postgres'\"" >&2
	dsn="postgres://postgres:postgres@$host:$port/$db?sslmode=disable"
fi
admin=${dsn/\/$db\?/\/postgres?}
if [ "$(psql "$admin" -Atqc "select 1 from pg_database where datname = '$db'")" != 1 ]; then
	log "creating database $db"
	psql "$admin" -qc "CREATE DATABASE $db" >&2
fi
echo "$dsn"
