#!/usr/bin/env bash
# Checks cloudemu against widely used peer clients, side by side on one
# emulator: the AWS CLI (botocore) on the AWS face, and Alibaba Cloud's
# official Node RPC client (@alicloud/pop-core) on the Aliyun face. Each
# runs a full lifecycle and checks every answer (scripts/peer/); the
# current Tea-based client (@alicloud/ecs20140526, V3 signatures) runs a
# shorter check. Exits
# non-zero on any failure.
#
# The Node clients are installed with npm into PEER_NODE_DIR (default
# ~/.cache/multicloud/peer-node) on first use. A peer tool that is not
# installed (aws, node/npm) is skipped with a note, unless PEER_REQUIRE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS=${GOFLAGS:--buildvcs=false}
node_dir=${PEER_NODE_DIR:-$HOME/.cache/multicloud/peer-node}
node_packages="@alicloud/pop-core@1.8.0 @alicloud/ecs20140526@7.11.6 @alicloud/openapi-client@0.4.15"

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
skip() {
	if [ "${PEER_REQUIRE:-0}" = 1 ]; then echo "peer-check: $1" >&2; exit 1; fi
	echo "peer-check: skipped: $1"
}

go build -o "$tmp/cloudemu" ./cmd/cloudemu
"$tmp/cloudemu" -addr 127.0.0.1:0 -aws-addr 127.0.0.1:0 -ca-file "" >"$tmp/out" 2>"$tmp/log" &
pid=$!
for _ in $(seq 100); do
	grep -q "cloudemu AWS listening" "$tmp/out" 2>/dev/null && break
	sleep 0.1
done
aliyun=$(sed -n 's/^cloudemu listening on \(.*\)$/http:\/\/\1/p' "$tmp/out")
aws_url=$(sed -n 's/^cloudemu AWS listening on \([^ ]*\).*$/\1/p' "$tmp/out")
[ -n "$aliyun" ] && [ -n "$aws_url" ] || { cat "$tmp/out" "$tmp/log" >&2; echo "peer-check: cloudemu did not start" >&2; exit 1; }
echo "peer-check: cloudemu Aliyun $aliyun, AWS $aws_url"

failed=0
if command -v aws >/dev/null; then
	echo "peer-check: $(aws --version 2>&1)"
	scripts/peer/aws-lifecycle.sh "$aws_url" || failed=1
else
	skip "aws (the AWS CLI) is not on PATH"
fi

if command -v node >/dev/null && command -v npm >/dev/null; then
	m="$node_dir/node_modules/@alicloud"
	if [ ! -f "$m/pop-core/package.json" ] || [ ! -f "$m/ecs20140526/package.json" ]; then
		mkdir -p "$node_dir"
		echo "peer-check: installing $node_packages into $node_dir"
		# shellcheck disable=SC2086
		npm install --prefix "$node_dir" --no-audit --no-fund --silent $node_packages >&2 ||
			skip "npm install of the Alibaba Cloud Node clients failed"
	fi
	if [ -f "$m/pop-core/package.json" ] && [ -f "$m/ecs20140526/package.json" ]; then
		echo "peer-check: node $(node --version), @alicloud/pop-core $(node -p "require('$m/pop-core/package.json').version"), @alicloud/ecs20140526 $(node -p "require('$m/ecs20140526/package.json').version")"
		NODE_PATH="$node_dir/node_modules" node scripts/peer/aliyun-lifecycle.js "$aliyun" || failed=1
		NODE_PATH="$node_dir/node_modules" node scripts/peer/aliyun-tea.js "$aliyun" || failed=1
	fi
else
	skip "node and npm are not on PATH"
fi

if ! kill -0 "$pid" 2>/dev/null; then
	echo "peer-check: cloudemu exited during the run" >&2
	cat "$tmp/log" >&2
	failed=1
fi
[ "$failed" = 0 ] || { echo "peer-check: FAILED" >&2; exit 1; }
echo "peer-check: all peer clients passed"
