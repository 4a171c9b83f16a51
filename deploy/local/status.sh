#!/usr/bin/env bash
# One line per local service; exit 0 if both Kafka and ClickHouse are reachable (ours or external), else 3.
#
#   bash deploy/local/status.sh
#
#   kafka: running (pid N, 127.0.0.1:19092)     started by this checkout and answering
#   kafka: reachable (external) at 127.0.0.1:19092   answering, but not started by this checkout
#   kafka: stopped
# Read-only: creates nothing, signals nothing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

reachable=0

report() { # svc pid-fn answers-fn addr port protocol
  local svc="$1" pidfn="$2" answers="$3" addr="$4" port="$5" proto="$6" pid rc=0
  pid="$("$pidfn")" || rc=$?
  if "$answers"; then
    reachable=$((reachable + 1))
    if [[ $rc -eq 0 ]]; then say "$svc" "running (pid $pid, $addr)"; else say "$svc" "reachable (external) at $addr"; fi
  elif [[ $rc -eq 0 ]]; then
    say "$svc" "starting or unresponsive (pid $pid, not answering at $addr)"
  elif port_open "$port"; then
    say "$svc" "stopped (port $port is in use by something that does not answer as $proto: ss -ltnp 'sport = :$port')"
  else
    say "$svc" "stopped"
  fi
}

report kafka kafka_pid kafka_answers "127.0.0.1:$KAFKA_PORT" "$KAFKA_PORT" Kafka
report clickhouse ch_pid ch_answers "127.0.0.1:$CH_HTTP_PORT" "$CH_HTTP_PORT" ClickHouse
[[ $reachable -eq 2 ]] && exit 0
exit 3
