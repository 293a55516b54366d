#!/usr/bin/env bash
# Starts examples/asset-server on a free port with a fresh SQLite file,
# runs the curl lines of README.md's asset-server section against it,
# checks every answer, and stops it. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/asset-server" ./examples/asset-server
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
ASSET_SERVER_TOKEN=dev-token "$tmp/asset-server" -addr "127.0.0.1:$port" -db "$tmp/assets.db" >"$tmp/out.log" 2>"$tmp/access.log" &
pid=$!
for _ in $(seq 100); do
	curl -sf "http://127.0.0.1:$port/api/v1/cam/openapi.json" >/dev/null && break
	sleep 0.1
done

# The README's lines, with the README's address replaced by this run's.
sed -n '/<!-- asset-server-curl:begin -->/,/<!-- asset-server-curl:end -->/p' README.md |
	grep -v -e '^<!--' -e '^```' -e '^#' -e '^$' | sed "s/127.0.0.1:8080/127.0.0.1:$port/" >"$tmp/lines.sh"
[ "$(wc -l <"$tmp/lines.sh")" -ge 15 ] || { echo "smoke: found too few curl lines in README.md"; exit 1; }

fail() { echo "smoke: FAIL: $1"; echo "  line: $line"; echo "  answer: ${out:0:400}"; tail -5 "$tmp/access.log"; exit 1; }
passed=0
while IFS= read -r line; do
	out=
	case "$line" in
	export\ *) eval "$line" ;;
	ACC=* | JOB=*)
		eval "$line"
		var=${line%%=*}
		[ -n "${!var}" ] || fail "$var is empty"
		;;
	*asset-events/stream*)
		out=$(eval "$line" || true)
		grep -q '^event: added' <<<"$out" || fail "the event stream sent no added event"
		grep -q '^id: ' <<<"$out" || fail "the event stream sent no event id"
		;;
	*openapi.json*)
		out=$(eval "$line" || true) # head closes the pipe early
		grep -q '"openapi"' <<<"$out" || fail "no OpenAPI document"
		;;
	*)
		out=$(eval "$line")
		grep -q '^{"code":0,"msg":"success"' <<<"$out" || fail "not a success envelope"
		case "$line" in
		*assets/discover*) grep -q '"count":25' <<<"$out" || fail "discover of cn-shenzhen did not list 25 instances" ;;
		*region=cn-shenzhen*) grep -q '"total":25' <<<"$out" || fail "query of cn-shenzhen did not total 25" ;;
		*statistics*) grep -q '"total_assets":100' <<<"$out" || fail "statistics do not count 100 assets" ;;
		*test-connection*) grep -q '"ok":true' <<<"$out" || fail "connection test failed" ;;
		*sync-jobs*) grep -q '"status":"\(running\|succeeded\)"' <<<"$out" || fail "job neither running nor succeeded" ;;
		esac
		;;
	esac
	if grep -q 'emulator-demo-secret' <<<"$out"; then fail "an answer holds the account secret"; fi
	passed=$((passed + 1))
done <"$tmp/lines.sh"

# Bad input answers an envelope, not a 5xx.
out=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$API/assets?limit=5000")
[ "$out" = 400 ] || { line="limit=5000"; fail "got $out, want 400"; }
out=$(curl -s -o /dev/null -w '%{http_code}' "$API/assets")
[ "$out" = 401 ] || { line="no token"; fail "got $out, want 401"; }
grep -q '"msg":"http request"' "$tmp/access.log" || { line="access log"; fail "no access log records"; }
passed=$((passed + 3))

# Async syncs are jobs in the server's database: once done, the job is
# still there after a restart.
line="GET /sync-jobs/$JOB"
for _ in $(seq 100); do
	out=$(curl -s -H "Authorization: Bearer $TOKEN" "$API/sync-jobs/$JOB")
	grep -q '"status":"running"' <<<"$out" || break
	sleep 0.1
done
grep -q '"id":"rq-[0-9]*","status":"succeeded"' <<<"$out" || fail "the async job did not succeed on the job queue"
kill "$pid"; wait "$pid" || true
ASSET_SERVER_TOKEN=dev-token "$tmp/asset-server" -addr "127.0.0.1:$port" -db "$tmp/assets.db" >>"$tmp/out.log" 2>>"$tmp/access.log" &
pid=$!
for _ in $(seq 100); do
	curl -sf "$API/openapi.json" >/dev/null && break
	sleep 0.1
done
out=$(curl -s -H "Authorization: Bearer $TOKEN" "$API/sync-jobs/$JOB")
grep -q '"status":"succeeded"' <<<"$out" || fail "the async job is gone after a restart"
passed=$((passed + 2))

kill "$pid"; wait "$pid" || true; pid=
echo "asset-server smoke: $passed passed, 0 failed"
