# shellcheck shell=bash
# Shared by up.sh, down.sh and status.sh (sourced, not run): ports, paths and small helpers.
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Knobs (environment), with the defaults the project's config uses (services/shared/config.ts).
KAFKA_PORT="${LW_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${LW_KAFKA_CONTROLLER_PORT:-19093}"
CH_HTTP_PORT="${LW_CLICKHOUSE_HTTP_PORT:-18123}"
CH_TCP_PORT="${LW_CLICKHOUSE_TCP_PORT:-19000}"
# Absolute, because the services are started from their own run directories.
RUN_DIR="$(realpath -m "${LW_RUN_DIR:-$LOCAL_DIR/run}")"

KAFKA_RUN="$RUN_DIR/kafka"
KAFKA_PID_FILE="$KAFKA_RUN/broker.pid"
KAFKA_LOG="$KAFKA_RUN/broker.log"
KAFKA_LIBS="$LOCAL_DIR/kafka/libs"

CH_RUN="$RUN_DIR/clickhouse"
CH_PID_FILE="$CH_RUN/server.pid"
CH_LOG="$CH_RUN/server.log"

# EPOCHREALTIME uses the locale's decimal point; elapsed() needs a dot.
export LC_NUMERIC=C

# "kafka: message" — every line is prefixed so parallel output stays readable.
say() { printf '%s: %s\n' "$1" "$2"; }

# Seconds since $1 (an $EPOCHREALTIME value), one decimal.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# True if something accepts TCP connections on 127.0.0.1:$1 (any protocol).
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# True if a Kafka broker on $KAFKA_PORT answers Metadata with a broker and a controller (one attempt, <= 2 s).
kafka_answers() {
  KAFKA_BROKER="127.0.0.1:$KAFKA_PORT" READY_TIMEOUT_MS=0 node "$LOCAL_DIR/kafka-ready.mjs" >/dev/null 2>&1
}

# True if a ClickHouse server on $CH_HTTP_PORT answers /ping with "Ok." (any 200 is not enough: that
# could be some other HTTP server).
ch_answers() {
  [[ "$(curl -s --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/ping" 2>/dev/null)" == "Ok." ]]
}

# Alive and not a zombie (a zombie still passes kill -0 until its parent reaps it).
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

# The pid recorded in pid file $1 if that process is alive AND is the one we started: its command line
# contains $2 (our generated config path, unique to this run directory). Guards against pid reuse; we
# never look processes up by name.
# Prints the pid. Returns 0 = ours and alive, 1 = no pid file, 2 = stale (dead or not ours any more).
our_pid() {
  local file="$1" marker="$2" pid
  [[ -f "$file" ]] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [[ -n "$pid" ]] || return 2
  pid_alive "$pid" || return 2
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"   # no pipe into grep -q: pipefail + SIGPIPE
  [[ "$cmdline" == *"$marker"* ]] || return 2
  printf '%s\n' "$pid"
}

kafka_pid() { our_pid "$KAFKA_PID_FILE" "$KAFKA_RUN/server.properties"; }
ch_pid() { our_pid "$CH_PID_FILE" "$CH_RUN/config.xml"; }

# Last 30 lines of a log, indented and prefixed so they stand apart from the status lines.
show_log_tail() {
  local svc="$1" log="$2"
  if [[ -s "$log" ]]; then
    say "$svc" "last 30 lines of $log:"
    tail -n 30 "$log" | sed "s/^/$svc |   /"
  else
    say "$svc" "($log is empty or missing)"
  fi
}
