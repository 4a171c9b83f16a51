#!/usr/bin/env bash
# make fuzz: schemathesis (PyPI) against /openapi.json of a running API on real ClickHouse.
#  - a venv with schemathesis under .local/ (test/fuzz/schemathesis-env.sh, once per machine);
#  - a fresh, migrated database with alerts of two tenants, a new token (LEAKWATCH_FUZZ_ROLE, responder: reads and writes);
#  - `node bin/leakwatch.js api` on a free port; schemathesis with the checks not_a_server_error and
#    response_schema_conformance, bounded by LEAKWATCH_FUZZ_MAX_EXAMPLES per operation and
#    LEAKWATCH_FUZZ_MAX_TIME seconds; the number of requests the API answered is printed;
#  - the API is stopped by its PID and the database dropped, whatever happened.
# ClickHouse comes from CLICKHOUSE_URL, else deploy/local (started if needed).
set -uo pipefail
cd "$(dirname "$0")/../.."
t0=$SECONDS
MAX_EXAMPLES=${LEAKWATCH_FUZZ_MAX_EXAMPLES:-100}
MAX_TIME=${LEAKWATCH_FUZZ_MAX_TIME:-90}
ROLE=${LEAKWATCH_FUZZ_ROLE:-responder}
SEED=${LEAKWATCH_FUZZ_SEED:-$RANDOM}

[ -f dist/services/cli/main.js ] || { echo "fuzz: not built; run make build" >&2; exit 1; }
SCHEMATHESIS=$(bash test/fuzz/schemathesis-env.sh) || { echo "fuzz: could not install schemathesis" >&2; exit 1; }
if [ -z "${CLICKHOUSE_URL:-}" ]; then
  bash deploy/local/up.sh >/dev/null || { echo "fuzz: could not start ClickHouse (deploy/local/up.sh)" >&2; exit 1; }
  export CLICKHOUSE_URL=http://127.0.0.1:18123
fi
export CLICKHOUSE_DATABASE="lwfuzz_$(date +%s)_$RANDOM"
export LOG_LEVEL=${LOG_LEVEL:-warn}
WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  curl -s "$CLICKHOUSE_URL/" --data-binary "DROP DATABASE IF EXISTS $CLICKHOUSE_DATABASE" >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

node bin/leakwatch.js migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 1; }
# alerts of two tenants, so the list and the by-id routes answer with data (and their response schema is checked)
node --input-type=module -e "
import { insertAlerts, makeAlert } from './dist/test/support/alerts.js';
import { quietClickHouse } from './dist/test/support/api.js';
const ch = quietClickHouse(process.env.CLICKHOUSE_URL);
const alerts = [];
for (let i = 0; i < 20; i++) alerts.push(makeAlert(i % 2 ? 'tenant-a' : 'tenant-b', i, i % 3 ? 'alice' : 'bob'));
await insertAlerts(ch, process.env.CLICKHOUSE_DATABASE, alerts);
await ch.close();
" || exit 1

TOKEN="lw_fuzz_$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)"
export API_TOKENS="fuzz:$ROLE:$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"
export API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export API_HOST=127.0.0.1 API_RATE_LIMIT_PER_MINUTE=1000000 KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:19092}
BASE="http://127.0.0.1:$API_PORT"
node bin/leakwatch.js api >"$WORK/api.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/healthz" >/dev/null || { echo "fuzz: the API did not start" >&2; cat "$WORK/api.log" >&2; exit 1; }

requests() { curl -s "$BASE/metrics" | awk '/^leakwatch_api_requests_total\{/ && $0 !~ /route="\/metrics"/ { n += $NF } END { printf "%d", n }'; }
before=$(requests)
echo "fuzz: schemathesis $("$SCHEMATHESIS" --version 2>/dev/null | awk '{print $NF}') against $BASE/openapi.json as $ROLE, seed $SEED, max $MAX_EXAMPLES examples per operation, $MAX_TIME s"
# run from the scratch directory: schemathesis keeps a .schemathesis/ cache in its working directory
(cd "$WORK" && "$SCHEMATHESIS" run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --seed "$SEED" \
  --workers 2 --no-color --output-truncate true \
  --suppress-health-check too_slow,filter_too_much) | tee "$WORK/schemathesis.out"
status=${PIPESTATUS[0]}
# schemathesis exits 1 for a failed check and also for an error of its own (a case it could not
# generate: "Runtime Error", e.g. CPython's "AST constructor recursion depth mismatch" in hypothesis).
# The latter says nothing about the API: pass when no check failed, every error is of that kind, no
# 5xx was logged and the API still answers.
summary=$(grep -E '^=+ .* in [0-9.]+s =+$' "$WORK/schemathesis.out" | tail -1)
errors=$(printf '%s' "$summary" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || echo 0)
runtime=$(grep -c '^Runtime Error$' "$WORK/schemathesis.out" || true)
if [ $status -ne 0 ] && ! printf '%s' "$summary" | grep -q 'failed' && [ "$errors" -gt 0 ] && [ "$runtime" -eq "$errors" ] \
  && [ "$(grep -c '"level":50' "$WORK/api.log" || true)" -eq 0 ] && curl -sf "$BASE/healthz" >/dev/null; then
  echo "fuzz: schemathesis hit $errors internal error(s) generating cases (Runtime Error, not an API failure); no check failed"
  status=0
fi
after=$(requests)
echo "fuzz: the API answered $((after - before)) requests from schemathesis; 5xx in the API log: $(grep -c '"level":50' "$WORK/api.log" || true)"
if [ $status -ne 0 ]; then
  echo "fuzz: FAILED (schemathesis exit $status); API log tail:" >&2
  tail -20 "$WORK/api.log" >&2
fi
echo "fuzz: $((SECONDS - t0)) s"
exit $status
