#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/drops_events.sh - does `dropscope drops --events` keep up? A UDP
# sender in a namespace fills a tap nobody reads, so every datagram past
# the ring's 16 is dropped (FULL_RING, the tap's tx_dropped: the truth),
# while drops streams every drop event to a file; events the full BPF ring
# could not take are counted (events_lost) and must account for the rest.
#
# usage: bench/drops_events.sh [-d SECONDS] [-r ROUNDS] [-m MB] [-h]
#   -d SECONDS   length of every send (default 5; env SECS)
#   -r ROUNDS    sends, one after the other (default 3; env ROUNDS)
#   -m MB        ring size for drops --ring-mb (default: drops' own, 8)
#
# The sender (udpsend, 18-byte datagrams) goes as fast as it can: its
# pacing sleeps per datagram and cannot hold 200k/s, so the rate is what
# one sender reaches while traced.  drops runs with --netns on the
# sender's namespace (the BPF program skips everything else this machine
# does) and writes events to a file in a temporary directory.  Per round,
# stdout gets one line: drops/s, drops (the tap's tx_dropped delta),
# events received, events lost, received/drops, and "exact" when received
# + lost + the tracer's other losses (recursion misses) == drops.  Then a
# goal line: every round that reached 200k drops/s received every event
# (rounds a loaded machine kept slower do not count either way).
# Exit 0 whatever the figures; 1 if a run failed, 2 usage, 3 not root or a
# missing tool.
set -u

SECS=${SECS:-5} ROUNDS=${ROUNDS:-3} RING_MB=""
GOAL_PPS=200000

usage() {
	awk 'NR > 3 && !/^#/ { exit } NR > 3 { sub(/^# ?/, ""); print }' "$0"
}

while getopts "d:r:m:h" o; do
	case $o in
	d) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	m) RING_MB=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($#)) || ! [[ $SECS =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ && $RING_MB =~ ^[0-9]*$ ]] ||
	((SECS < 1 || SECS > 600 || ROUNDS < 1 || ROUNDS > 50)); then
	usage >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd -P)
BIN=${DS_BIN:-$top/dropscope}
say() { printf '%s\n' "$*" >&2; }

((EUID == 0)) || { say "bench/drops_events.sh: needs root (namespaces, BPF)"; exit 3; }
for c in jq tc; do
	command -v $c >/dev/null || { say "bench/drops_events.sh: $c not found; run 'make deps'"; exit 3; }
done
[[ -x $BIN ]] || { say "bench/drops_events.sh: $BIN not built (run make)"; exit 1; }
[[ -x $top/.output/tools/udpsend ]] || { say "bench/drops_events.sh: run 'make tools'"; exit 1; }

# shellcheck source=SCRIPTDIR/../tests/lib.sh
source "$top/tests/lib.sh"
# shellcheck source=SCRIPTDIR/../tests/drops_lib.sh
source "$top/tests/drops_lib.sh"
DROPS_HOLD_SECS=$((SECS * ROUNDS + 120))

tmpdir_create T
ns_create NS || exit 1
tap_overflow "$NS" 41 16 || exit 1

# run ROUND: one send with drops streaming; prints the round's line, sets MET=0 below the goal.
run() {
	local out=$T/r$1.json ev=$T/r$1.ndjson d0 d1 t0 t1 truth got lost tlost secs
	local -a ring=()

	[[ -n $RING_MB ]] && ring=(--ring-mb "$RING_MB")
	drops_start "$out" --netns "$NS" --events "$ev" "${ring[@]}" || return 1
	d0=$(link_stat "$NS" "$TAP_IF" tx.dropped) || return 1
	t0=${EPOCHREALTIME/./}
	udp_send "$NS" "$TAP_DST" 10000000 -s 18 -t "$SECS" 2>/dev/null
	t1=${EPOCHREALTIME/./}
	d1=$(link_stat "$NS" "$TAP_IF" tx.dropped) || return 1
	drops_stop || return 1
	truth=$((d1 - d0))
	got=$(jq -c --arg i "$TAP_IF" 'select(.type == "drop" and .ifname == $i and
		.reason == "FULL_RING")' "$ev" | wc -l)
	rm -f "$ev"	# a few hundred MB a round
	lost=$(jq -r '.events_lost' "$out")
	tlost=$(jq -r '.tracer_lost - .events_lost' "$out")
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
	awk -v i="$1" -v n="$truth" -v s="$secs" -v g="$got" -v l="$lost" -v t="$tlost" 'BEGIN {
		printf "%-5s %10.0f %10d %10d %8d %8.4f  %s\n", i, n / s, n, g, l, n ? g / n : 0,
			g + l + t == n ? "exact" : "NOT EXACT (other losses " t ")"
	}'
	# A round the sender could not drive to the goal's rate says nothing of it.
	awk -v n="$truth" -v s="$secs" -v g="$GOAL_PPS" 'BEGIN { exit !(n / s >= g) }' || return 0
	FAST=$((FAST + 1))
	((lost == 0 && got == truth)) || MET=0
}

printf '%-5s %10s %10s %10s %8s %8s  %s\n' round drops/s drops received lost ratio accounted
rc=0 MET=1 FAST=0
for ((i = 1; i <= ROUNDS; i++)); do
	run "$i" || { say "bench/drops_events.sh: round $i failed"; rc=1; MET=0; }
done
((FAST)) || MET=0
echo "goal: every event received at >= $GOAL_PPS drops/s (ring ${RING_MB:-8} MB):" \
	"$( ((MET)) && echo met || echo NOT met) ($FAST of $ROUNDS rounds reached that rate)"
exit $rc
