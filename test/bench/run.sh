#!/usr/bin/env bash
# make bench: prints figures, asserts nothing. One core each, no network in the timed loops.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "== collector: parse + redact + route + AccessEvent (nginx/Apache combined, real log repeated to 200k lines)"
node dist/test/bench/collector-parse.bench.js apache-elastic-examples/apache_logs 200000 --out "$tmp/events.ndjson"
echo "== detector engine: real events replayed to 300k"
node dist/test/bench/engine.bench.js "$tmp/events.ndjson" 300000
echo "== detector engine: synthetic mix (2000 browsing IPs + 20 walkers), 300k"
node dist/test/bench/engine.bench.js "" 300000
