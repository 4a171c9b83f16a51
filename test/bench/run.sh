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
echo "== detector engine: state per active entity (100k entities x 10 events, half on id routes)"
node --expose-gc dist/test/bench/engine-memory.bench.js 100000 10
echo "== leakwatch scan on a 200,000-line access log, next to wc -l and fail2ban-regex on the same file"
node dist/test/bench/access-log-file.js "$tmp/access.log" 200000 >/dev/null
bash test/bench/scan-speed.sh "$tmp/access.log" 3
node dist/test/bench/collector-kafka.bench.js "$tmp/access.log" 5
timeout --kill-after=30 300 node dist/test/bench/kafka-clients.bench.js "$tmp/access.log"
timeout --kill-after=30 600 node dist/test/bench/streaming.bench.js all  # e2e 300k lines, 60 s at 20k/s, 1M events/100k entities
echo "== API: access history over 10M stored events, the alert list over 1M alerts (ClickHouse, loopback)"
timeout --kill-after=30 1500 node dist/test/bench/api.bench.js  # 10M events, 1M alerts, 10 s, 10 in flight
