#!/usr/bin/env bash
# Makes Prometheus's and Alertmanager's tools available (prometheus, promtool, amtool, prometheus-alertmanager), from the
# Debian packages `prometheus` and `prometheus-alertmanager`, the way up.sh installs ClickHouse: once, with
# apt-get, as root. Neither package's system service is used: tests and the demo run their own processes.
#
#   bash deploy/local/observability.sh ensure     install when missing, then print the tool paths
#   bash deploy/local/observability.sh paths      print the tool paths (exit 1 if one is missing)
#
# Sourceable too: `source observability.sh` defines ensure_prometheus and obs_find.
set -euo pipefail

OBS_APT_INSTALL=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends prometheus prometheus-alertmanager)

# Path of tool $1 (Debian puts some in /usr/bin, a non-root PATH may lack /usr/sbin).
obs_find() {
  local p
  p="$(command -v "$1" 2>/dev/null)" && { echo "$p"; return 0; }
  for p in "/usr/bin/$1" "/usr/sbin/$1" "/usr/local/bin/$1"; do
    [[ -x "$p" ]] && { echo "$p"; return 0; }
  done
  return 1
}

obs_have_all() { obs_find prometheus >/dev/null && obs_find promtool >/dev/null && obs_find amtool >/dev/null && obs_find prometheus-alertmanager >/dev/null; }

ensure_prometheus() {
  obs_have_all && return 0
  if [[ $EUID -ne 0 ]]; then
    echo "observability: promtool/amtool/prometheus-alertmanager missing. Install once as root: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${OBS_APT_INSTALL[*]}" >&2
    return 1
  fi
  command -v apt-get >/dev/null || { echo "observability: no apt-get; install Prometheus and Alertmanager and put promtool, amtool, prometheus-alertmanager on PATH" >&2; return 1; }
  local log
  log="$(mktemp -t leakwatch-obs-apt.XXXXXX)"
  echo "observability: installing prometheus and prometheus-alertmanager with apt-get (first run only; log: $log)" >&2
  # policy-rc.d 101: the packages' own services are not started (we run our own processes).
  local policy=/usr/sbin/policy-rc.d created=0
  if [[ ! -e "$policy" ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1; fi
  local rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update &&
    DEBIAN_FRONTEND=noninteractive "${OBS_APT_INSTALL[@]}"; } >"$log" 2>&1 || rc=$?
  ((created)) && rm -f "$policy"
  if ((rc != 0)); then
    tail -n 30 "$log" | sed 's/^/observability |   /' >&2
    echo "observability: apt-get failed; re-run by hand: apt-get update && DEBIAN_FRONTEND=noninteractive ${OBS_APT_INSTALL[*]}" >&2
    return 1
  fi
  obs_have_all || { echo "observability: installed, but a tool is still missing" >&2; return 1; }
}

obs_paths() {
  local t p
  for t in prometheus promtool amtool prometheus-alertmanager; do
    p="$(obs_find "$t")" || { echo "observability: $t not found" >&2; return 1; }
    printf '%s=%s\n' "$t" "$p"
  done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-ensure}" in
    ensure) ensure_prometheus && obs_paths ;;
    paths) obs_paths ;;
    *) echo "usage: $0 ensure|paths" >&2; exit 64 ;;
  esac
fi
