#!/usr/bin/env bash
# make demo: Kafka + ClickHouse up, migrations, every service started, then the streaming path
# collector -> Kafka -> detector -> Kafka -> archiver -> ClickHouse -> API on a controlled leak
# simulation (`leakwatch simulate`: every detection's attacks mixed into 3 hours of a real access log
# from ../shared/data/real, or generated traffic without it). Prints the alerts the API returns and
# scores them against the simulation's labels (`leakwatch eval`).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
REPO="$(cd "$LOCAL_DIR/../.." && pwd)"
DEMO_RUN="$RUN_DIR/demo"
mkdir -p "$DEMO_RUN"
chmod 700 "$DEMO_RUN"

bash "$LOCAL_DIR/up.sh"

# Secrets for this machine's demo, made once, readable only by us.
if [[ ! -f "$DEMO_RUN/secrets.env" ]]; then
  umask 077
  {
    echo "API_TOKEN=demo-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    echo "COLLECTOR_REDACTION_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  } > "$DEMO_RUN/secrets.env"
fi
# The notifier's webhook secret (added to older secrets files too).
if ! grep -q '^NOTIFIER_WEBHOOK_SECRET=' "$DEMO_RUN/secrets.env"; then
  (umask 077; echo "NOTIFIER_WEBHOOK_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> "$DEMO_RUN/secrets.env")
fi
# shellcheck disable=SC1091
source "$DEMO_RUN/secrets.env"
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" CLICKHOUSE_URL="http://127.0.0.1:$CH_HTTP_PORT"
export CLICKHOUSE_DATABASE=leakwatch_demo LEAKWATCH_TENANT=demo-shop
# The demo's own topics and groups (never the defaults a real deployment on this machine would use).
export LEAKWATCH_TOPIC_ACCESS=leakwatch-demo.access.v1 LEAKWATCH_TOPIC_ACCESS_BY_ROUTE=leakwatch-demo.access-by-route.v1
export LEAKWATCH_TOPIC_ALERTS=leakwatch-demo.alerts.v1 LEAKWATCH_TOPIC_STATUS=leakwatch-demo.status.v1 LEAKWATCH_TOPIC_DEADLETTER=leakwatch-demo.deadletter.v1
export DETECTOR_GROUP_ID=leakwatch-demo-detector ARCHIVER_GROUP_ID=leakwatch-demo-archiver NOTIFIER_GROUP_ID=leakwatch-demo-notifier
export INCIDENTS_GROUP_ID=leakwatch-demo-incidents
# Paging: the notifier posts signed pages to a small local sink (webhook-sink.mjs) that prints them.
SINK_PORT="${LW_DEMO_SINK_PORT:-9190}"
export NOTIFIER_WEBHOOK_URL="http://127.0.0.1:$SINK_PORT/" NOTIFIER_WEBHOOK_SECRET NOTIFIER_API_BASE_URL="http://127.0.0.1:${API_PORT:-8080}" NOTIFIER_GROUP_WAIT_MS=3000
# API_TOKENS holds only the token's SHA-256 (what `leakwatch token create` prints).
API_TOKENS="demo:responder:$(printf %s "$API_TOKEN" | sha256sum | cut -d' ' -f1)"
export API_TOKENS COLLECTOR_REDACTION_KEY API_PORT="${API_PORT:-8080}"

# Start from empty topics and tables: see demo-reset.mjs.
bash "$LOCAL_DIR/services.sh" stop
DEMO_GROUPS="$DETECTOR_GROUP_ID $ARCHIVER_GROUP_ID $INCIDENTS_GROUP_ID $NOTIFIER_GROUP_ID" node "$LOCAL_DIR/demo-reset.mjs" "$KAFKA_BROKERS" "$CLICKHOUSE_URL" \
  "$CLICKHOUSE_DATABASE" "$LEAKWATCH_TOPIC_ACCESS" "$LEAKWATCH_TOPIC_ACCESS_BY_ROUTE" "$LEAKWATCH_TOPIC_ALERTS" \
  "$LEAKWATCH_TOPIC_DEADLETTER" "$LEAKWATCH_TOPIC_STATUS"
node "$REPO/bin/leakwatch.js" migrate

SHARED="${LEAKWATCH_SHARED_DIR:-$REPO/../shared}"
REAL_LOG="$SHARED/data/real/apache-elastic-examples/apache_logs"
SIM="$DEMO_RUN/sim"
background=()
[[ -f "$REAL_LOG" ]] && background=(--background "$REAL_LOG")
node "$REPO/bin/leakwatch.js" simulate --out "$SIM" --hours 3 --seed 7 --tenant "$LEAKWATCH_TENANT" "${background[@]}" 2>&1 | grep '^wrote'
# The simulation writes nginx lines with the session cookie and break-glass header the rules read.
COLLECTOR_FORMAT=nginx
COLLECTOR_LOG_FORMAT="$(node --input-type=module -e "import { SIM_LOG_FORMAT } from '$REPO/dist/services/simulate/format.js'; process.stdout.write(SIM_LOG_FORMAT)")"
export COLLECTOR_FORMAT COLLECTOR_LOG_FORMAT

# The webhook sink the notifier pages (stopped with the services: services.sh stop-one webhook-sink).
SINK_LOG="$RUN_DIR/services/webhook-sink.log"
if [[ -f "$RUN_DIR/services/webhook-sink.pid" ]] && pid_alive "$(cat "$RUN_DIR/services/webhook-sink.pid")"; then
  kill -TERM "$(cat "$RUN_DIR/services/webhook-sink.pid")" 2>/dev/null || true
fi
mkdir -p "$RUN_DIR/services"
WEBHOOK_SECRET="$NOTIFIER_WEBHOOK_SECRET" setsid nohup node "$LOCAL_DIR/webhook-sink.mjs" "$SINK_PORT" >"$SINK_LOG" 2>&1 </dev/null &
echo $! >"$RUN_DIR/services/webhook-sink.pid"
bash "$LOCAL_DIR/services.sh" start
bash "$LOCAL_DIR/services.sh" start-one collector collector "$SIM/sim.log"

API="http://127.0.0.1:$API_PORT"
# Done when alerts have stopped changing for 10 s (the detector and archiver have caught up).
echo "waiting for alerts from $API (up to 180 s)..."
deadline=$((SECONDS + 180))
alerts='[]'
last=''
stable_since=$SECONDS
while (( SECONDS < deadline )); do
  alerts="$(curl -s --max-time 5 -H "Authorization: Bearer $API_TOKEN" "$API/api/v1/alerts?limit=1000" || true)"
  if [[ "$alerts" == \[\{* ]]; then
    now="$(printf '%s' "$alerts" | sha256sum)"
    if [[ "$now" != "$last" ]]; then last="$now"; stable_since=$SECONDS; fi
    (( SECONDS - stable_since >= 10 )) && break
  fi
  sleep 2
done
if [[ "$alerts" != \[\{* ]]; then
  echo "no alert arrived within 180 s. Service logs: $RUN_DIR/services/*.log" >&2
  bash "$LOCAL_DIR/services.sh" status >&2
  exit 1
fi
printf '%s' "$alerts" | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{for(const a of JSON.parse(s))console.log(JSON.stringify(a))})' >"$SIM/alerts.ndjson"

node -e '
const { readFileSync } = require("node:fs");
const alerts = readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const byRule = {};
for (const a of alerts) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
console.log(`\n${alerts.length} alert(s) by rule: ${JSON.stringify(byRule)}`);' "$SIM/alerts.ndjson"

# What a responder reads: incidents (one per actor), their 72-hour clocks and affected records.
API_TOKEN="$API_TOKEN" node "$LOCAL_DIR/demo-incidents.mjs" "$API" "$SIM/incidents.json"

echo
echo "pages the notifier sent to the webhook sink ($SINK_LOG):"
sleep 5
sed 's/^/  /' "$SINK_LOG" | tail -n 15
echo
echo "scored against the simulation's labels (leakwatch eval). The API keeps each alert's newest version, so"
echo "time to detect here is when the alert last grew; \`leakwatch scan\` + \`eval\` time the first emission."
echo "Incidents are scored on grouping (per attack) and on the records each lists as disclosed against the"
echo "records the simulated attacker was served (the simulated log parsed with the same key):"
node "$REPO/bin/leakwatch.js" parse "$SIM/sim.log" --format nginx --log-format "$COLLECTOR_LOG_FORMAT" \
  --tenant "$LEAKWATCH_TENANT" --redaction-key "$COLLECTOR_REDACTION_KEY" > "$SIM/events.ndjson" 2>/dev/null
node "$REPO/bin/leakwatch.js" eval --labels "$SIM/sim.labels.ndjson" --alerts "$SIM/alerts.ndjson" \
  --redaction-key "$COLLECTOR_REDACTION_KEY" --incidents "$SIM/incidents.json" --events "$SIM/events.ndjson"

cat <<INFO

Look around (services keep running; \`make down\` stops everything):
  API           $API/api/v1/alerts   (header: Authorization: Bearer \$API_TOKEN from $DEMO_RUN/secrets.env)
  OpenAPI       $API/docs
  metrics       http://127.0.0.1:9101/metrics (collector)  :9102 (detector)  :9103 (archiver)  :9104 (incidents)  :9105 (notifier)  :9106 (baselines)  $API/metrics
  pages         $SINK_LOG (signed webhook pages the notifier sent; tail -f it)
  ClickHouse    $CLICKHOUSE_URL  database $CLICKHOUSE_DATABASE  (tables access_events, alerts, access_by_resource)
  dead letters  Kafka topic $LEAKWATCH_TOPIC_DEADLETTER at $KAFKA_BROKERS
  service logs  $RUN_DIR/services/*.log
  dashboards    $REPO/dashboards/ (Grafana: deploy/grafana/provisioning, or import them after creating the datasources in dashboards/README.md)
  simulation    $SIM/sim.log (labels: sim.labels.ndjson); the collector follows it: append lines to it
INFO
