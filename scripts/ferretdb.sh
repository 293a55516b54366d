#!/usr/bin/env bash
# Makes sure a FerretDB server (the MongoDB wire protocol over SQLite) the
# tests can use is running on a loopback port, building it from the Go
# module proxy when needed, and prints its mongodb:// URI on stdout.
# Progress goes to stderr. Idempotent: the built binary is reused and a
# running server is left as it is.
#
# MULTICLOUD_TEST_MONGO_URI, when already set, is used as it is (a real
# MongoDB runs the same suite). FERRETDB_PORT (default 27217) picks the
# port; the server's SQLite files live under $dir/data (see below), which
# the secret-sealing test reads through MULTICLOUD_TEST_FERRETDB_DATA.
#
# With the argument "postgresql" it serves FerretDB over PostgreSQL
# instead, on FERRETDB_PG_PORT (default 27218), in a database "ferretdb"
# (created afresh at start) of the server MULTICLOUD_TEST_POSTGRES_DSN
# names (else the one scripts/postgres.sh provides);
# MULTICLOUD_TEST_MONGO_PG_URI, when set, is used as it is. With
# "postgresql-dsn" it prints the DSN of that database.
#
# The module zip of FerretDB lacks the generated build/version/version.txt
# its binary needs at start, so the source is copied into the cache folder
# and the file written there before `go build ./cmd/ferretdb`.
set -euo pipefail

log() { echo "ferretdb.sh: $*" >&2; }

# in_db DSN DB prints DSN with its database (the path) replaced by DB.
in_db() {
	local base=${1%%\?*}
	echo "${base%/*}/$2${1#"$base"}"
}

handler=${1:-sqlite}
if [ "$handler" = postgresql-dsn ]; then
	# The DSN of the database FerretDB over PostgreSQL keeps its data in.
	in_db "${MULTICLOUD_TEST_POSTGRES_DSN:-$("$(dirname "$0")/postgres.sh")}" ferretdb
	exit 0
fi
case $handler in
sqlite)
	preset=${MULTICLOUD_TEST_MONGO_URI:-}
	port=${FERRETDB_PORT:-27217}
	run=ferretdb-run
	;;
postgresql)
	preset=${MULTICLOUD_TEST_MONGO_PG_URI:-}
	port=${FERRETDB_PG_PORT:-27218}
	run=ferretdb-pg-run
	;;
*)
	log "unknown handler $handler (want sqlite or postgresql)"
	exit 2
	;;
esac
if [ -n "$preset" ]; then
	echo "$preset"
	exit 0
fi

version=v1.24.2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/multicloud
src=$cache/ferretdb-$version
bin=$src/bin/ferretdb
dir=$cache/$run
host=127.0.0.1
uri="mongodb://$host:$port/"

up() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

if up; then
	echo "$uri"
	exit 0
fi

if [ ! -x "$bin" ]; then
	command -v go >/dev/null 2>&1 || { log "go is not installed"; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	log "downloading github.com/FerretDB/FerretDB@$version from the module proxy"
	modsrc=$(cd "$tmp" && go mod init ferretdb-fetch >/dev/null 2>&1 &&
		go mod download -json "github.com/FerretDB/FerretDB@$version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	if [ -z "$modsrc" ] || [ ! -d "$modsrc" ]; then
		log "could not download FerretDB $version"
		exit 1
	fi
	log "building FerretDB $version in $src (the first build takes minutes)"
	rm -rf "$src"
	mkdir -p "$src"
	cp -R "$modsrc/." "$src/"
	chmod -R u+w "$src"
	echo "$version" >"$src/build/version/version.txt"
	(cd "$src" && GOFLAGS=-mod=mod go build -trimpath -o bin/ferretdb ./cmd/ferretdb) >&2
fi

# The data is the tests' and disposable: start from none.
rm -rf "$dir/data"
mkdir -p "$dir/data" "$dir/state"
# No telemetry, no debug HTTP listener: the server opens only its loopback
# port.
args=(--listen-addr="$host:$port" --state-dir="$dir/state" --debug-addr=- --telemetry=disable --log-level=warn)
if [ "$handler" = sqlite ]; then
	log "starting FerretDB over SQLite on $host:$port (SQLite files in $dir/data, log in $dir/ferretdb.log)"
	# Write transactions take SQLite's lock when they begin
	# (_txlock=immediate): concurrent writers then queue behind the busy
	# timeout instead of deadlocking on a read lock each wants to upgrade.
	# The timeout is 60 s, not FerretDB's 10 s: an update there scans the
	# table under the lock for each document it names, so a loaded machine
	# makes writers wait for long.
	args+=(--handler=sqlite
		--sqlite-url="file:$dir/data/?_txlock=immediate&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(60000)")
else
	pgdsn=${MULTICLOUD_TEST_POSTGRES_DSN:-}
	if [ -z "$pgdsn" ]; then
		pgdsn=$("$(dirname "$0")/postgres.sh")
	fi
	command -v psql >/dev/null 2>&1 || { log "psql is not installed"; exit 1; }
	# The same server, database "ferretdb".
	admin=$(in_db "$pgdsn" postgres)
	log "creating database ferretdb afresh (its data is the tests')"
	psql "$admin" -qc 'DROP DATABASE IF EXISTS ferretdb' >&2
	psql "$admin" -qc 'CREATE DATABASE ferretdb' >&2
	log "starting FerretDB over PostgreSQL on $host:$port (log in $dir/ferretdb.log)"
	args+=(--handler=postgresql --postgresql-url="$(in_db "$pgdsn" ferretdb)")
fi
nohup "$bin" "${args[@]}" >"$dir/ferretdb.log" 2>&1 </dev/null &
echo $! >"$dir/ferretdb.pid"
for _ in $(seq 1 60); do
	up && break
	if ! kill -0 "$(cat "$dir/ferretdb.pid")" 2>/dev/null; then
		log "FerretDB exited; its log:"
		tail -n 20 "$dir/ferretdb.log" >&2
		exit 1
	fi
	sleep 0.5
done
if ! up; then
	log "FerretDB did not open $host:$port"
	exit 1
fi
echo "$uri"
