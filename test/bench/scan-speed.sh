#!/usr/bin/env bash
# `leakwatch scan` (every detection, default config) next to `wc -l` and Debian's fail2ban-regex with
# one filter, on the same access log (make bench: the 200,000-line Apache log from
# access-log-file.js). Prints figures, asserts nothing; each command is bounded by `timeout`.
#
#   bash test/bench/scan-speed.sh FILE [runs]    (runs of scan, default 3: median and range)
#   SCAN_BASE=DIR bash test/bench/scan-speed.sh FILE [runs]
#       also runs DIR's leakwatch (a copy of another build: bin/, dist/, package.json, node_modules)
#       interleaved with this one, and prints both with their ratio: on a shared machine the CPU
#       seconds (user + sys) and the ratios of one run mean more than wall times on their own.
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

# scan: wall time from process start, CPU seconds (user + sys, both threads), and the rate scan
# reports itself (reading to summary)
cpu_of() { # prints "wall cpu" of one command (its stdout and stderr to files); CPU from bash's times
  local t0 t1
  t0=$(now)
  "$@" >"$tmp/alerts.ndjson" 2>"$tmp/scan.err"
  t1=$(now)
  times >"$tmp/times"
  echo "$(span "$t0" "$t1") $(tail -1 "$tmp/times" | awk '{ split($1, u, /m|s/); split($2, s, /m|s/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')"
}
one_scan() { # DIR OUT: one scan by DIR's leakwatch; appends "wall own cpu" to OUT
  local dir="$1" out="$2" r
  r=$( (cd "$dir" && cpu_of timeout --kill-after=10 300 node bin/leakwatch.js scan --no-progress --dev "$file") )
  own=$(tail -1 "$tmp/scan.err" | sed -n 's/.* \([0-9][0-9]*\) lines\/s$/\1/p')
  echo "${r% *} ${own:-0} ${r#* }" >>"$out"
}
case "$file" in /*) ;; *) file="$PWD/$file" ;; esac
: >"$tmp/scan.txt"
: >"$tmp/base.txt"
for _ in $(seq "$runs"); do
  [ -n "${SCAN_BASE:-}" ] && one_scan "$SCAN_BASE" "$tmp/base.txt"
  one_scan "$PWD" "$tmp/scan.txt"
done
med() { sort -n -k"$2" "$1" | awk -v k="$2" '{v[NR]=$k} END {print v[int((NR+1)/2)], v[1], v[NR]}'; }
read -r scan_s scan_min scan_max < <(med "$tmp/scan.txt" 1)
read -r own_med own_min own_max < <(med "$tmp/scan.txt" 2)
read -r cpu_med cpu_min cpu_max < <(med "$tmp/scan.txt" 3)
tail -1 "$tmp/scan.err"

awk -v n="$lines" -v w="$wc_s" -v s="$scan_s" -v a="$scan_min" -v b="$scan_max" -v o="$own_med" -v p="$own_min" -v q="$own_max" -v r="$runs" 'BEGIN {
  printf "wc -l:            %7.4f s  %10.0f lines/s\n", w, n / w
  printf "leakwatch scan:   %7.3f s  %10.0f lines/s wall, process start included (median of %d, %.3f-%.3f s)\n", s, n / s, r, a, b
  printf "                             %10.0f lines/s as scan reports it, reading to summary (%d-%d)\n", o, p, q
  printf "scan / wc -l:     %7.0fx slower\n", s / w
}'
awk -v c="$cpu_med" -v a="$cpu_min" -v b="$cpu_max" -v n="$lines" 'BEGIN {
  printf "scan CPU:         %7.3f s user+sys (%.3f-%.3f), %.2f us per line\n", c, a, b, 1e6 * c / n
}'
if [ -n "${SCAN_BASE:-}" ]; then
  read -r base_s base_min base_max < <(med "$tmp/base.txt" 1)
  read -r bcpu_med bcpu_min bcpu_max < <(med "$tmp/base.txt" 3)
  awk -v n="$lines" -v s="$base_s" -v a="$base_min" -v b="$base_max" -v c="$bcpu_med" -v x="$bcpu_min" -v y="$bcpu_max" -v ns="$scan_s" -v nc="$cpu_med" -v d="$SCAN_BASE" 'BEGIN {
    printf "base (%s): %7.3f s wall (%.3f-%.3f), %10.0f lines/s; %.3f s CPU (%.3f-%.3f)\n", d, s, a, b, n / s, c, x, y
    printf "this / base:      wall %.2fx, CPU %.2fx (same runs, interleaved)\n", ns / s, nc / c
  }'
fi

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
