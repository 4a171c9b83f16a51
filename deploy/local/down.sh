#!/usr/bin/env bash
# Stops what deploy/local/up.sh started from this checkout (run dir), and nothing else.
#
#   bash deploy/local/down.sh [kafka|clickhouse|all]    (default: all)
#
# Only by the pid in our pid file, and only if that process's command line still names our generated
# config (so a reused pid is never signalled); never by process name. SIGTERM, up to 30 s for a clean
# shutdown (Kafka after SIGKILL restarts slowly: session fencing + log recovery), then SIGKILL.
# Data stays in deploy/local/run/; wipe it with: rm -rf deploy/local/run
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STOP_TIMEOUT_S=30

usage() { echo "usage: $0 [kafka|clickhouse|all]" >&2; exit 64; }
what="${1:-all}"
case "$what" in kafka | clickhouse | all) ;; *) usage ;; esac

stop_one() { # svc pidfile marker port answers-fn
  local svc="$1" pidfile="$2" marker="$3" port="$4" answers="$5" pid rc=0 t0=$EPOCHREALTIME
  pid="$(our_pid "$pidfile" "$marker")" || rc=$?
  if [[ $rc -ne 0 ]]; then
    local why="not running (nothing started by this checkout)"
    [[ $rc -eq 2 ]] && { rm -f "$pidfile"; why="not running (removed stale pid file $pidfile)"; }
    if "$answers"; then why="$why; something else answers at 127.0.0.1:$port, left alone"; fi
    say "$svc" "$why"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  if pid_alive "$pid"; then
    say "$svc" "pid $pid still alive after ${STOP_TIMEOUT_S} s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.1; done
    rm -f "$pidfile"
    say "$svc" "killed (pid $pid) after $(elapsed "$t0") s"
  else
    rm -f "$pidfile"
    say "$svc" "stopped (pid $pid) in $(elapsed "$t0") s"
  fi
}

case "$what" in
  all) services=(kafka clickhouse) ;;
  *) services=("$what") ;;
esac
declare -A bg=()
for s in "${services[@]}"; do
  case "$s" in
    kafka) stop_one kafka "$KAFKA_PID_FILE" "$KAFKA_RUN/server.properties" "$KAFKA_PORT" kafka_answers & ;;
    clickhouse) stop_one clickhouse "$CH_PID_FILE" "$CH_RUN/config.xml" "$CH_HTTP_PORT" ch_answers & ;;
  esac
  bg[$s]=$!
done
rc=0
for s in "${services[@]}"; do wait "${bg[$s]}" || rc=1; done
exit "$rc"
