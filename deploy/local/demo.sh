#!/usr/bin/env bash
# make demo: Kafka + ClickHouse up, migrations, every service started, a sample of a real access log
# with an injected ID-walk replayed through the collector, then the alerts the API returns.
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
# shellcheck disable=SC1091
source "$DEMO_RUN/secrets.env"
export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" CLICKHOUSE_URL="http://127.0.0.1:$CH_HTTP_PORT"
export CLICKHOUSE_DATABASE=leakwatch_demo LEAKWATCH_TENANT=demo-shop
export API_TOKENS="$API_TOKEN:responder" COLLECTOR_REDACTION_KEY API_PORT="${API_PORT:-8080}"

node "$REPO/bin/leakwatch.js" migrate

SHARED="${LEAKWATCH_SHARED_DIR:-$REPO/../shared}"
node "$LOCAL_DIR/demo-log.mjs" "$DEMO_RUN/access.log" "$SHARED/data/real/apache-elastic-examples/apache_logs" 3000

bash "$LOCAL_DIR/services.sh" start
bash "$LOCAL_DIR/services.sh" start-one collector collector "$DEMO_RUN/access.log"

API="http://127.0.0.1:$API_PORT"
echo "waiting for alerts from $API (up to 120 s)..."
deadline=$((SECONDS + 120))
alerts='[]'
while (( SECONDS < deadline )); do
  alerts="$(curl -s --max-time 3 -H "Authorization: Bearer $API_TOKEN" "$API/api/v1/alerts?limit=20" || true)"
  [[ "$alerts" == \[\{* ]] && break
  sleep 1
done
if [[ "$alerts" != \[\{* ]]; then
  echo "no alert arrived within 120 s. Service logs: $RUN_DIR/services/*.log" >&2
  bash "$LOCAL_DIR/services.sh" status >&2
  exit 1
fi

node -e '
const alerts = JSON.parse(process.argv[1]);
console.log(`\n${alerts.length} alert(s):`);
for (const a of alerts) {
  console.log(`\n  [${a.severity}] ${a.title}`);
  console.log(`    rule ${a.rule}, entity ${a.entity.type}:${a.entity.value}, observed ${a.explanation.observed} (${a.explanation.feature})`);
  console.log(`    first ${new Date(a.first_seen).toISOString()}  last ${new Date(a.last_seen).toISOString()}  id ${a.alert_id}`);
  console.log(`    top: ${a.explanation.top_resources.slice(0, 3).join(", ")}`);
}' "$alerts"

cat <<INFO

Look around (services keep running; \`make down\` stops everything):
  API           $API/api/v1/alerts   (header: Authorization: Bearer \$API_TOKEN from $DEMO_RUN/secrets.env)
  OpenAPI       $API/docs
  metrics       http://127.0.0.1:9101/metrics (collector)  :9102 (detector)  :9103 (archiver)  $API/metrics
  ClickHouse    $CLICKHOUSE_URL  database $CLICKHOUSE_DATABASE  (tables access_events, alerts, access_by_resource)
  dead letters  Kafka topic leakwatch.deadletter.v1 at $KAFKA_BROKERS
  service logs  $RUN_DIR/services/*.log
  dashboards    $REPO/dashboards/ (import into Grafana)
  append lines to $DEMO_RUN/access.log: the collector follows it.
INFO
