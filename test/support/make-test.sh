#!/usr/bin/env bash
# make test: unit tests, then integration and end-to-end tests against real Kafka and ClickHouse.
# Services come from KAFKA_BROKERS/CLICKHOUSE_URL, testcontainers, or deploy/local (started here and
# stopped again at the end if this run started them). Every suite runs; the exit code says if any failed.
set -uo pipefail
cd "$(dirname "$0")/../.."
t0=$SECONDS
failed=()

echo "== unit tests"
npm run --silent test:unit || failed+=(unit)

started_here=0
if [[ -z "${KAFKA_BROKERS:-}" || -z "${CLICKHOUSE_URL:-}" ]]; then
  if ! bash deploy/local/status.sh >/dev/null 2>&1; then started_here=1; fi
  echo "== services (deploy/local)"
  if ! bash deploy/local/up.sh; then
    echo "make test: could not start Kafka/ClickHouse (see above)" >&2
    exit 1
  fi
fi
cleanup() {
  if [[ $started_here == 1 ]]; then echo "== stopping the services this run started"; bash deploy/local/down.sh; fi
}
trap cleanup EXIT

echo "== chDB (current ClickHouse engine) for the compatibility test"
if ! LEAKWATCH_CHDB_PYTHON="$(bash test/support/chdb-env.sh)"; then
  echo "make test: could not install chdb-core" >&2
  failed+=(chdb-setup)
fi
export LEAKWATCH_CHDB_PYTHON

echo "== integration tests"
npm run --silent test:integration || failed+=(integration)
echo "== end-to-end tests"
npm run --silent test:e2e || failed+=(e2e)
echo "== API fuzzing (schemathesis, test/fuzz/run.sh; also \`make fuzz\`)"
LEAKWATCH_FUZZ_MAX_TIME=${LEAKWATCH_FUZZ_MAX_TIME:-60} bash test/fuzz/run.sh || failed+=(fuzz)

echo "make test: $((SECONDS - t0)) s"
if (( ${#failed[@]} )); then
  echo "make test: FAILED suites: ${failed[*]}"
  exit 1
fi
echo "make test: all suites passed"
