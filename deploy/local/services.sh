#!/usr/bin/env bash
# Starts, stops and reports the leakwatch services (collector, detector, archiver, baselines, incidents, api, notifier) as
# background processes of this checkout, with pid files and logs under run/services/. Stops by PID, never by name.
#   services.sh start [env-file]   start detector, archiver, baselines, incidents, api, notifier (the collector is started by demo.sh)
#   services.sh start-one NAME ARGS...
#   services.sh stop | status
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
REPO="$(cd "$LOCAL_DIR/../.." && pwd)"
SVC_RUN="$RUN_DIR/services"
mkdir -p "$SVC_RUN"

start_one() {
  local name="$1"; shift
  local pidf="$SVC_RUN/$name.pid"
  if [[ -f "$pidf" ]] && pid_alive "$(cat "$pidf")"; then
    say "$name" "already running (pid $(cat "$pidf"))"
    return 0
  fi
  [[ -f "$SVC_RUN/$name.log" ]] && mv -f "$SVC_RUN/$name.log" "$SVC_RUN/$name.log.1"
  setsid nohup node "$REPO/bin/leakwatch.js" "$@" >"$SVC_RUN/$name.log" 2>&1 < /dev/null &
  echo $! > "$pidf"
  say "$name" "started (pid $!, log $SVC_RUN/$name.log)"
}

stop_one() {
  local name="$1" pidf="$SVC_RUN/$1.pid" pid
  [[ -f "$pidf" ]] || return 0
  pid="$(cat "$pidf")"
  # only a process whose command line is our bin (guards against pid reuse)
  if pid_alive "$pid" && grep -q "bin/leakwatch.js" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do pid_alive "$pid" || break; sleep 0.2; done
    if pid_alive "$pid"; then say "$name" "did not stop in 30 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    say "$name" "stopped"
  fi
  rm -f "$pidf"
}

case "${1:-status}" in
  start)
    for s in detector archiver incidents api notifier; do start_one "$s" "$s"; done
    start_one baselines baselines --schedule ;;
  start-one)
    shift; start_one "$@" ;;
  stop)
    for s in collector notifier api incidents baselines archiver detector; do stop_one "$s"; done
    # the demo's webhook sink (deploy/local/webhook-sink.mjs), by its pid file and command line
    if [[ -f "$SVC_RUN/webhook-sink.pid" ]]; then
      pid="$(cat "$SVC_RUN/webhook-sink.pid")"
      if pid_alive "$pid" && grep -q "webhook-sink.mjs" "/proc/$pid/cmdline" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
      rm -f "$SVC_RUN/webhook-sink.pid"
    fi ;;
  status)
    for s in detector archiver baselines incidents api notifier collector; do
      pidf="$SVC_RUN/$s.pid"
      if [[ -f "$pidf" ]] && pid_alive "$(cat "$pidf")"; then say "$s" "running (pid $(cat "$pidf"))"; else say "$s" "stopped"; fi
    done ;;
  *) echo "usage: $0 start|start-one NAME ARGS...|stop|status" >&2; exit 2 ;;
esac
