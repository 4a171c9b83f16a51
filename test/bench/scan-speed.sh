#!/usr/bin/env bash
# `leakwatch scan` (every detection, default config) next to `wc -l` and Debian's fail2ban-regex with
# one filter, on the same access log (make bench: the 200,000-line Apache log from
# access-log-file.js). Prints figures, asserts nothing; each command is bounded by `timeout`.
#
#   bash test/bench/scan-speed.sh FILE [runs]    (runs of scan, default 3: median and range)
set -euo pipefail
cd "$(dirname "$0")/../.."
file="${1:?usage: scan-speed.sh FILE [runs]}"
runs="${2:-3}"
filter=/etc/fail2ban/filter.d/apache-badbots.conf
lines=$(wc -l <"$file")
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
span() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }

t0=$(now); wc -l "$file" >/dev/null; t1=$(now); wc_s=$(span "$t0" "$t1")

# scan: wall time from process start, and the rate scan reports itself (reading to summary)
: >"$tmp/scan.txt"
for _ in $(seq "$runs"); do
  t0=$(now)
  timeout --kill-after=10 300 node bin/leakwatch.js scan --no-progress --dev "$file" >"$tmp/alerts.ndjson" 2>"$tmp/scan.err"
  t1=$(now)
  wall=$(span "$t0" "$t1")
  own=$(tail -1 "$tmp/scan.err" | sed -n 's/.* \([0-9][0-9]*\) lines\/s$/\1/p')
  echo "$wall ${own:-0}" >>"$tmp/scan.txt"
done
read -r scan_s scan_min scan_max < <(sort -n "$tmp/scan.txt" | awk '{w[NR]=$1} END {print w[int((NR+1)/2)], w[1], w[NR]}')
read -r own_med own_min own_max < <(sort -n -k2 "$tmp/scan.txt" | awk '{r[NR]=$2} END {print r[int((NR+1)/2)], r[1], r[NR]}')
tail -1 "$tmp/scan.err"

awk -v n="$lines" -v w="$wc_s" -v s="$scan_s" -v a="$scan_min" -v b="$scan_max" -v o="$own_med" -v p="$own_min" -v q="$own_max" -v r="$runs" 'BEGIN {
  printf "wc -l:            %7.4f s  %10.0f lines/s\n", w, n / w
  printf "leakwatch scan:   %7.3f s  %10.0f lines/s wall, process start included (median of %d, %.3f-%.3f s)\n", s, n / s, r, a, b
  printf "                             %10.0f lines/s as scan reports it, reading to summary (%d-%d)\n", o, p, q
  printf "scan / wc -l:     %7.0fx slower\n", s / w
}'

if command -v fail2ban-regex >/dev/null && [ -r "$filter" ]; then
  t0=$(now)
  timeout --kill-after=10 600 fail2ban-regex "$file" "$filter" >"$tmp/f2b.txt" 2>&1 || true
  t1=$(now)
  f2b_s=$(span "$t0" "$t1")
  awk -v n="$lines" -v f="$f2b_s" -v s="$scan_s" -v m="$(grep -o '[0-9]* matched' "$tmp/f2b.txt" | head -1)" 'BEGIN {
    printf "fail2ban-regex:   %7.3f s  %10.0f lines/s (filter apache-badbots, %s)\n", f, n / f, m
    printf "scan vs fail2ban-regex: %.1fx faster (target >= 10x)\n", f / s
  }'
else
  echo "fail2ban-regex: not installed here (Debian: apt-get install fail2ban); comparison skipped"
fi
