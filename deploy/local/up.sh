#!/usr/bin/env bash
# Starts a local Kafka broker and/or ClickHouse server for leakwatch, without Docker.
#
#   bash deploy/local/up.sh [kafka|clickhouse|all]      (default: all)
#
# Idempotent: a service this checkout already runs, or that something else already serves on the port, is
# left alone. First run provisions: Kafka jars from Maven Central (needs java >= 17 and mvn), ClickHouse from
# apt (needs root). Services run in the background in their own session, so they outlive the calling shell
# (make recipes); state and logs go to deploy/local/run/ (LW_RUN_DIR). Stop with down.sh.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_READY_TIMEOUT_S=90
CH_READY_TIMEOUT_S=30
# C1 only + serial GC: ready in about 4 s instead of about 7 s on 2 cores, same client throughput (measured).
KAFKA_JVM_FLAGS=(-Xms512m -Xmx512m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
  "-Dlog4j2.configurationFile=$LOCAL_DIR/kafka/log4j2.properties")
# The storage tool is two short JVM runs: no big heap needed.
KAFKA_TOOL_FLAGS=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC
  "-Dlog4j2.configurationFile=$LOCAL_DIR/kafka/log4j2.properties")
APT_INSTALL=(apt-get -o DPkg::Lock::Timeout=600 install -y clickhouse-server clickhouse-client)

usage() { echo "usage: $0 [kafka|clickhouse|all]" >&2; exit 64; }
what="${1:-all}"
case "$what" in kafka | clickhouse | all) ;; -h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;; *) usage ;; esac
[[ $# -le 1 ]] || usage

# Both functions below run in a background subshell with errexit on: die() ends only that service.
SVC=""
die() { say "$SVC" "ERROR: $*" >&2; exit 1; }

port_taken() { # port, by-what
  die "port 127.0.0.1:$1 is already in use by $2. Find the process with: ss -ltnp 'sport = :$1' (then stop it, or choose other ports with the LW_*_PORT knobs)"
}

# Runs a command in the background, detached from this shell: new session (no SIGHUP/SIGINT from the
# terminal or make), stdin from /dev/null, output to $log, lock fd 9 closed (else the service would hold
# up.sh's lock forever). The child writes its own pid (bash $$, then exec keeps the pid), so the pid file
# names the service itself whether or not setsid had to fork.
spawn() { # dir pidfile log cmd...
  local dir="$1" pidfile="$2" log="$3"
  shift 3
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$ and $@ are for the inner bash
  (cd "$dir" && exec nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >"$log" 2>&1 9>&-) &
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.05
  done
  die "the process did not start (no $pidfile after 5 s); see $log"
}

# Keep the previous log next to the new one: the interesting lines are often from the run that broke.
rotate_log() { if [[ -f "$1" ]]; then mv -f "$1" "$1.1"; fi; }

# ---------------------------------------------------------------- Kafka

kafka_check_java() {
  command -v java >/dev/null ||
    die "java not found. Install a JRE >= 17, e.g.: apt-get install -y openjdk-17-jre-headless maven"
  local major
  major="$(java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]) + 0; exit }')" || true
  [[ "${major:-0}" -ge 17 ]] ||
    die "java ${major:-?} found, Kafka 4.4 needs >= 17. Install e.g.: apt-get install -y openjdk-17-jre-headless maven"
}

# Copies the broker's jars from Maven Central into kafka/libs, once. The marker holds pom.xml's sha256, so
# editing the pom (version bump) refetches; an interrupted copy leaves no marker and is redone.
kafka_fetch_jars() {
  local marker="$KAFKA_LIBS/.fetched" want
  want="$(sha256sum "$LOCAL_DIR/kafka/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$marker" && "$(cat "$marker")" == "$want" ]]; then return 0; fi
  command -v mvn >/dev/null ||
    die "mvn not found (needed once, to fetch the Kafka jars). Install: apt-get install -y openjdk-17-jre-headless maven"
  say kafka "fetching broker jars from Maven Central into $KAFKA_LIBS (first run only)"
  local t0=$EPOCHREALTIME
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  if ! mvn -q -B -f "$LOCAL_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >"$KAFKA_RUN/maven.log" 2>&1; then
    show_log_tail kafka "$KAFKA_RUN/maven.log"
    die "Maven could not fetch the jars (network? proxy? see ~/.m2/settings.xml)"
  fi
  echo "$want" >"$marker"
  say kafka "fetched $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $(elapsed "$t0") s"
}

# The broker's config = the checked-in server.properties with ports and an absolute log.dirs filled in.
kafka_render_config() {
  {
    grep -vE '^[[:space:]]*(listeners|advertised\.listeners|controller\.quorum\.voters|log\.dirs)[[:space:]]*=' \
      "$LOCAL_DIR/kafka/server.properties"
    echo
    echo "# ---- written by deploy/local/up.sh from deploy/local/kafka/server.properties; edit that file instead"
    echo "listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT"
    echo "controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT"
    echo "log.dirs=$KAFKA_RUN/data"
  } >"$KAFKA_RUN/server.properties"
}

# KRaft storage must be formatted once with a cluster id before the first start.
kafka_format() {
  [[ -f "$KAFKA_RUN/data/meta.properties" ]] && return 0
  local t0=$EPOCHREALTIME cid log="$KAFKA_RUN/format.log"
  : >"$log"
  cid="$(java "${KAFKA_TOOL_FLAGS[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>>"$log" | tail -n 1)" || true
  [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || { show_log_tail kafka "$log"; die "StorageTool random-uuid failed (got '$cid')"; }
  if ! (cd "$KAFKA_RUN" && java "${KAFKA_TOOL_FLAGS[@]}" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool \
    format -t "$cid" -c "$KAFKA_RUN/server.properties") >>"$log" 2>&1; then
    show_log_tail kafka "$log"
    die "formatting $KAFKA_RUN/data failed; to start over: rm -rf $KAFKA_RUN"
  fi
  say kafka "formatted $KAFKA_RUN/data (cluster id $cid) in $(elapsed "$t0") s"
}

kafka_fail_hint() { # why
  show_log_tail kafka "$KAFKA_LOG"
  if grep -q 'Address already in use' "$KAFKA_LOG" 2>/dev/null; then
    say kafka "hint: a port is taken; see ss -ltnp 'sport = :$KAFKA_PORT' and ss -ltnp 'sport = :$KAFKA_CONTROLLER_PORT'"
  elif grep -qiE 'cluster.?id|meta\.properties|InconsistentClusterId' "$KAFKA_LOG" 2>/dev/null; then
    say kafka "hint: the data directory does not match this config; wipe it with: rm -rf $KAFKA_RUN/data"
  else
    say kafka "hint: full log in $KAFKA_LOG; to start from scratch: bash $LOCAL_DIR/down.sh kafka && rm -rf $KAFKA_RUN"
  fi
  die "$1"
}

kafka_wait_ready() { # pid
  local rc=0 out
  out="$(KAFKA_BROKER="127.0.0.1:$KAFKA_PORT" READY_TIMEOUT_MS=$((KAFKA_READY_TIMEOUT_S * 1000)) WATCH_PID="$1" \
    node "$LOCAL_DIR/kafka-ready.mjs" 2>&1)" || rc=$?
  case "$rc" in
    0) return 0 ;;
    2) rm -f "$KAFKA_PID_FILE"; kafka_fail_hint "the broker exited during start-up ($out)" ;;
    *) kafka_fail_hint "not ready after ${KAFKA_READY_TIMEOUT_S} s ($out); pid $1 left running, stop it with: bash $LOCAL_DIR/down.sh kafka" ;;
  esac
}

kafka_up() {
  SVC=kafka
  local pid rc=0 t0=$EPOCHREALTIME
  pid="$(kafka_pid)" || rc=$?
  if [[ $rc -eq 0 ]]; then
    if kafka_answers; then say kafka "already running (pid $pid)"; return 0; fi
    say kafka "pid $pid is running but not answering yet; waiting up to ${KAFKA_READY_TIMEOUT_S} s"
    kafka_wait_ready "$pid"
    say kafka "ready at 127.0.0.1:$KAFKA_PORT (pid $pid) after $(elapsed "$t0") s"
    return 0
  fi
  [[ $rc -eq 2 ]] && rm -f "$KAFKA_PID_FILE" # stale: the process is gone (or the pid was reused)

  if port_open "$KAFKA_PORT"; then
    if kafka_answers; then
      say kafka "already reachable at 127.0.0.1:$KAFKA_PORT (not started by this checkout), using it"
      return 0
    fi
    port_taken "$KAFKA_PORT" "something that does not answer as a Kafka broker"
  fi
  port_open "$KAFKA_CONTROLLER_PORT" && port_taken "$KAFKA_CONTROLLER_PORT" "another process (this broker's KRaft controller needs it)"

  kafka_check_java
  mkdir -p "$KAFKA_RUN"
  kafka_fetch_jars
  kafka_render_config
  kafka_format

  rotate_log "$KAFKA_LOG"
  local t1=$EPOCHREALTIME
  # Started from its run dir so that anything relative it may write lands there (log.dirs is absolute anyway).
  spawn "$KAFKA_RUN" "$KAFKA_PID_FILE" "$KAFKA_LOG" \
    java "${KAFKA_JVM_FLAGS[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_RUN/server.properties"
  pid="$(cat "$KAFKA_PID_FILE")"
  say kafka "started broker (pid $pid), waiting up to ${KAFKA_READY_TIMEOUT_S} s for it to answer"
  kafka_wait_ready "$pid"
  say kafka "ready at 127.0.0.1:$KAFKA_PORT (pid $pid): broker start $(elapsed "$t1") s, total $(elapsed "$t0") s"
}

# ---------------------------------------------------------------- ClickHouse

ch_find_server() {
  local p
  p="$(command -v clickhouse-server 2>/dev/null)" && { echo "$p"; return 0; }
  # Debian puts it in /usr/sbin, which is not on a non-root PATH.
  for p in /usr/sbin/clickhouse-server /usr/bin/clickhouse-server /usr/local/bin/clickhouse-server; do
    [[ -x "$p" ]] && { echo "$p"; return 0; }
  done
  return 1
}

ch_install() {
  if [[ $EUID -ne 0 ]]; then
    die "clickhouse-server is not installed. Install it (once) as root, then re-run: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${APT_INSTALL[*]}"
  fi
  command -v apt-get >/dev/null ||
    die "clickhouse-server is not installed and there is no apt-get; install a ClickHouse server and put clickhouse-server on PATH"
  local t0=$EPOCHREALTIME log="$CH_RUN/apt.log"
  say clickhouse "installing clickhouse-server and clickhouse-client with apt-get (first run only; log: $log)"
  # The package's system service is not used (and not needed): we run our own server below.
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive "${APT_INSTALL[@]}"; } >"$log" 2>&1; then
    show_log_tail clickhouse "$log"
    die "apt-get failed; re-run by hand to see why: apt-get update && DEBIAN_FRONTEND=noninteractive ${APT_INSTALL[*]}"
  fi
  say clickhouse "installed $(dpkg-query -W -f '${Version}' clickhouse-server 2>/dev/null || echo '?') in $(elapsed "$t0") s"
}

ch_render_config() {
  local tpl
  tpl="$(cat "$LOCAL_DIR/clickhouse/config.xml.in")"
  # Quoted replacements: bash 5.2 would otherwise expand '&' in them.
  tpl="${tpl//@HTTP_PORT@/"$CH_HTTP_PORT"}"
  tpl="${tpl//@TCP_PORT@/"$CH_TCP_PORT"}"
  tpl="${tpl//@DATA_DIR@/"$CH_RUN/data"}"
  tpl="${tpl//@USERS_XML@/"$LOCAL_DIR/clickhouse/users.xml"}"
  printf '%s\n' "$tpl" >"$CH_RUN/config.xml"
}

ch_fail_hint() { # why
  show_log_tail clickhouse "$CH_LOG"
  if grep -q 'Address already in use' "$CH_LOG" 2>/dev/null; then
    say clickhouse "hint: a port is taken; see ss -ltnp 'sport = :$CH_HTTP_PORT' and ss -ltnp 'sport = :$CH_TCP_PORT'"
  else
    say clickhouse "hint: full log in $CH_LOG; config in $CH_RUN/config.xml; to start from scratch: rm -rf $CH_RUN"
  fi
  die "$1"
}

ch_wait_ready() { # pid
  local deadline=$((SECONDS + CH_READY_TIMEOUT_S))
  until ch_answers; do
    if ! pid_alive "$1"; then rm -f "$CH_PID_FILE"; ch_fail_hint "the server exited during start-up"; fi
    if ((SECONDS >= deadline)); then
      ch_fail_hint "no answer on http://127.0.0.1:$CH_HTTP_PORT/ping after ${CH_READY_TIMEOUT_S} s; pid $1 left running, stop it with: bash $LOCAL_DIR/down.sh clickhouse"
    fi
    sleep 0.1
  done
}

clickhouse_up() {
  SVC=clickhouse
  local pid rc=0 t0=$EPOCHREALTIME server
  pid="$(ch_pid)" || rc=$?
  if [[ $rc -eq 0 ]]; then
    if ch_answers; then say clickhouse "already running (pid $pid)"; return 0; fi
    say clickhouse "pid $pid is running but not answering yet; waiting up to ${CH_READY_TIMEOUT_S} s"
    ch_wait_ready "$pid"
    say clickhouse "ready at 127.0.0.1:$CH_HTTP_PORT (pid $pid) after $(elapsed "$t0") s"
    return 0
  fi
  [[ $rc -eq 2 ]] && rm -f "$CH_PID_FILE"

  if port_open "$CH_HTTP_PORT"; then
    if ch_answers; then
      say clickhouse "already reachable at 127.0.0.1:$CH_HTTP_PORT (not started by this checkout), using it"
      return 0
    fi
    port_taken "$CH_HTTP_PORT" "something that does not answer as ClickHouse (GET /ping -> Ok.)"
  fi
  port_open "$CH_TCP_PORT" && port_taken "$CH_TCP_PORT" "another process (ClickHouse's native protocol needs it)"

  mkdir -p "$CH_RUN/data"
  server="$(ch_find_server)" || { ch_install; server="$(ch_find_server)" || die "clickhouse-server still not found after apt-get install"; }
  ch_render_config

  rotate_log "$CH_LOG"
  local t1=$EPOCHREALTIME
  spawn "$CH_RUN" "$CH_PID_FILE" "$CH_LOG" "$server" --config-file="$CH_RUN/config.xml"
  pid="$(cat "$CH_PID_FILE")"
  say clickhouse "started server (pid $pid), waiting up to ${CH_READY_TIMEOUT_S} s for it to answer"
  ch_wait_ready "$pid"
  say clickhouse "ready at http://127.0.0.1:$CH_HTTP_PORT (native 127.0.0.1:$CH_TCP_PORT, pid $pid): server start $(elapsed "$t1") s, total $(elapsed "$t0") s"
}

# ---------------------------------------------------------------- main

command -v node >/dev/null || { echo "up.sh: node not found (the Kafka readiness probe is a Node script)" >&2; exit 1; }
command -v curl >/dev/null || { echo "up.sh: curl not found (ClickHouse readiness check); apt-get install -y curl" >&2; exit 1; }

# One up.sh at a time per run dir: two concurrent runs would both see "stopped" and start twice.
mkdir -p "$RUN_DIR"
exec 9>"$RUN_DIR/.up.lock"
flock -w 900 9 || { echo "up.sh: another up.sh is still running for $RUN_DIR" >&2; exit 1; }

case "$what" in
  all) services=(kafka clickhouse) ;; # Kafka first: it is the slow one; both start in parallel
  *) services=("$what") ;;
esac

# Each service runs in a background subshell (also when alone: errexit is not suspended there, unlike in
# `if f` or `f || ...`); lines are prefixed with the service name so parallel output stays readable.
declare -A bg=()
for s in "${services[@]}"; do
  "${s}_up" &
  bg[$s]=$!
done
failed=()
for s in "${services[@]}"; do
  wait "${bg[$s]}" || failed+=("$s")
done
if ((${#failed[@]})); then
  echo "up.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
