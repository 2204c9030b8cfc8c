#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/monitor.sh - does `analyze --monitor` keep up with a mirror at the
# lab's line rate within 10% of one core?  CPU time (user + sys) of
# `dropscope analyze --monitor -r` on a big capture against the capture's
# own duration (the mirror's real time), and against `tcpdump -r -w
# /dev/null` (libpcap's read floor) and plain `analyze -r`.
#
# usage: bench/monitor.sh [-r ROUNDS] [-f FILE] [-h]
#   -r ROUNDS  timed runs per tool, the median shown (default 3)
#   -f FILE    the capture (default: bench/analyze.sh's, made there with
#              -d: /var/tmp/dropscope-bench/analyze.pcap, real TCP over veth)
# stdout: the table and the goal line. Exit 0 whatever the goal; 1 if a run
# failed, 2 usage, 3 a missing tool or capture.
set -u
ROUNDS=3 FILE=/var/tmp/dropscope-bench/analyze.pcap
while getopts "r:f:h" o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	f) FILE=$OPTARG ;;
	h) sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
top=$(cd "$(dirname "$0")/.." && pwd -P)
BIN=${DS_BIN:-$top/dropscope}
command -v tcpdump >/dev/null || { echo "bench/monitor.sh: tcpdump not found" >&2; exit 3; }
[[ -r $FILE ]] || { echo "bench/monitor.sh: no $FILE (run bench/analyze.sh)" >&2; exit 3; }

# cpu CMD...: user+sys seconds of one run (bash's times of children)
cpu() {
	local t
	TIMEFORMAT='%U %S'
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || return 1
	awk '{ printf "%.3f\n", $1 + $2 }' <<<"$t"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
run() {	# LABEL CMD...
	local label=$1 i v
	shift
	v=$(for ((i = 0; i < ROUNDS; i++)); do cpu "$@" || echo fail; done | median)
	[[ $v == fail ]] && { echo "bench/monitor.sh: $label failed" >&2; exit 1; }
	echo "$v"
}

read -r span pkts < <("$BIN" -j analyze -r "$FILE" --no-progress | jq -r '"\(.duration_s) \(.packets)"')
# bench/analyze.sh's server (198.18.0.2) sends to its client (198.18.0.1): one path.
mon=(--monitor --path lab:198.18.0.2/32=198.18.0.1/32 --windows /dev/null)
t_dump=$(run tcpdump tcpdump -r "$FILE" -w /dev/null)
t_an=$(run analyze "$BIN" -j analyze -r "$FILE" --no-progress)
t_mon=$(run monitor "$BIN" -j analyze -r "$FILE" --no-progress "${mon[@]}")
printf '%-34s %10s %10s\n' "capture: $pkts packets over" "${span} s" ""
printf '%-34s %10s %10s\n' tool "cpu s" "cpu/span"
for l in "tcpdump -r -w /dev/null:$t_dump" "analyze -r:$t_an" "analyze --monitor -r:$t_mon"; do
	awk -v n="${l%:*}" -v c="${l##*:}" -v s="$span" 'BEGIN { printf "%-34s %10.3f %9.2f%%\n", n, c, 100 * c / s }'
done
awk -v m="$t_mon" -v d="$t_dump" -v a="$t_an" -v s="$span" 'BEGIN {
	printf "monitor / tcpdump -r: %.2fx   monitor / analyze: %.2fx\n", m / d, m / a
	printf "goal: monitor <= 10%% of one core at the capture'\''s rate: %s (%.2f%%)\n",
		(m / s <= 0.10) ? "met" : "NOT met", 100 * m / s }'
