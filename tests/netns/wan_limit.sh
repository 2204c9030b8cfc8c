#!/bin/bash
# The monitor's limit estimate on the WAN lab against the emulator's truth:
# the provider's capacity (committed 4.5 + best effort, ignore mode) steps
# 40 -> 15 -> 40 Mbit/s, 8 s each, under 8 bulk streams plus interactive rr.
# Read from the monitor port both ways, and outbound only (the capture
# filtered to DC1 -> DC2: what a mirror of the WAN egress alone carries).
# Each window of the bulk (more than 5 Mbit/s offered) at least 4 s into a step: the limit within 10% of the
# capacity wanemu reports for that window (its stats lines, the same
# CLOCK_MONOTONIC as the windows' t_ns; frame bits to IP bits at 1500/1514).
# The path type from both directions: shallow_queue for the queue, policer
# for a policer (the kernel's tbf with a tiny queue, stepped likewise).
# timeout: 240
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd iperf3
tmpdir_create D
SCHED=0:35.5M,12:10.5M,20:35.5M	# + the 4.5M committed: 40, 15, 40

# check NAME VIEW WANT_TYPE [EXPR...]: analyze NAME's mon0.pcap, compare with
# NAME/truth.txt ("t_ns capacity_bps" at each change of the capacity, in
# frame bits: wanemu and tbf count Ethernet frames without FCS).
check() {
	local n=$1 view=$2 want=$3 bad=0 dir=$D/$1
	shift 3
	"$DS_BIN" -j analyze -r "$dir/mon0.pcap" --no-progress --monitor \
		--path dc:198.18.10.0/23=198.18.20.0/23 --windows "$dir/win.$view" "$@" \
		>"$dir/mon.$view.json" 2>"$dir/mon.$view.err" ||
		{ log_test "wan_limit $n $view: analyze" 1 "$(head -1 "$dir/mon.$view.err")"; return; }
	# The bulk's windows (more than 5 Mbit/s offered) but its first (the bulk
	# starts inside it: a part of an episode), with no change of the capacity
	# in them and none in the 4 s before: "t_s capacity(IP bits) limit".
	jq -r 'select(.type == "monitor_window" and .offered_bps > 5000000) |
		"\(.t_ns) \(.window_s) \(.t_s) \(.limit_bps // 0)"' "$dir/win.$view" | tail -n +2 |
		awk 'NR == FNR { ct[++nc] = $1; cv[nc] = $2; next }
		{ a = $1; b = $1 + $2 * 1e9; cap = -1; last = 0; moved = 0
		  for (i = 1; i <= nc; i++) {
			if (ct[i] <= a) { cap = cv[i]; last = ct[i] }
			else if (ct[i] < b) moved = 1
		  }
		  if (cap > 0 && !moved && a - last >= 4e9)
			printf "%s %d %s\n", $3, cap * 1500 / 1514, $4 }' "$dir/truth.txt" - >"$dir/cmp.$view"
	while read -r t cap lim; do
		awk -v l="$lim" -v c="$cap" 'BEGIN { exit !(l >= 0.9 * c && l <= 1.1 * c) }' ||
			{ echo "    $n $view: t $t s limit $lim, capacity $cap (IP bits)"; bad=$((bad + 1)); }
	done <"$dir/cmp.$view"
	local nwin low high typ
	nwin=$(wc -l <"$dir/cmp.$view")
	low=$(awk '$2 < 20e6' "$dir/cmp.$view" | wc -l) high=$(awk '$2 > 30e6' "$dir/cmp.$view" | wc -l)
	((low >= 3 && high >= 5)) || { echo "    $n $view: $low windows in the low step, $high in the high"; bad=$((bad + 1)); }
	typ=$(jq -r '.monitor.paths[0].path_type' "$dir/mon.$view.json")
	[[ $typ == "$want" ]] || { echo "    $n $view: type $typ, want $want"; bad=$((bad + 1)); }
	log_info "$n $view: $(awk '{ printf "%s:%.1f/%.1f ", $1, $3 / 1e6, $2 / 1e6 }' "$dir/cmp.$view")"
	log_test "wan_limit $n $view: limit within 10% of the truth in $nwin steady windows, type $typ" $((bad != 0))
}

# wanemu_truth NAME: the capacity's changes from wanemu's own stats lines
wanemu_truth() {
	jq -r 'select(.type == "stats" and .from == "pa") | "\(.t_ns) \(.capacity_bps)"' "$D/$1/wanemu.ndjson" |
		awk '$2 != prev { print; prev = $2 }' >"$D/$1/truth.txt"
}

# run NAME [-- wanemu options]: the lab with the step schedule, captured
run() {
	local n=$1
	shift
	"$DS_ROOT/lab/wan.sh" -d 28 -b 4 -s "$SCHED" -c -o "$D/$n" "$@" >"$D/$n.out" 2>"$D/$n.err"
	local rc=$?
	log_test "wan_limit $n: lab/wan.sh runs (rc $rc)" "$rc"
	[[ $rc -eq 0 ]] || sed 's/^/# /' "$D/$n.err" | tail -5
	return "$rc"
}

mono_ns() { awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime; }	# boot time: CLOCK_MONOTONIC here (%d is 32-bit in mawk)

# A policer-like provider: the kernel's tbf on the provider's exit toward DC2
# (a 30 kB bucket, a 3 kB queue: loss without queueing delay) stepped by
# this script 40 -> 15 -> 40 Mbit/s, wanemu at line rate behind it.  The
# truth is what the tbf was set to, and when.
policer() {
	local n=policer lab tq
	mkdir -p "$D/$n"
	"$DS_ROOT/lab/wan.sh" -d 28 -b 4 -s 0:57.7M -c -o "$D/$n" >"$D/$n.out" 2>"$D/$n.err" &
	lab=$!
	defer ds__bg_stop "$lab"
	busywait 10000 test -s "$D/$n/lab.env" || return 1
	PROV_NS=$(sed -n 's/^PROV_NS=//p' "$D/$n/lab.env")
	tq() { ip netns exec "$PROV_NS" tc qdisc "$1" dev pb root handle 1: tbf rate "$2" burst 30000 limit 3000; }
	tq add 40mbit && echo "$(mono_ns) 40000000" >"$D/$n/truth.txt" || return 1
	nap 12
	tq change 15mbit && echo "$(mono_ns) 15000000" >>"$D/$n/truth.txt"
	nap 8
	tq change 40mbit && echo "$(mono_ns) 40000000" >>"$D/$n/truth.txt"
	wait "$lab"
}

if policer; then
	log_test "wan_limit policer: lab/wan.sh with a stepped tbf runs" 0
	check policer both policer
	check policer out unknown dst net 198.18.20.0/23
else
	log_test "wan_limit policer: lab/wan.sh with a stepped tbf runs" 1 "$(tail -2 "$D/policer.err")"
fi
if run queue; then
	wanemu_truth queue
	check queue both shallow_queue
	check queue out unknown dst net 198.18.20.0/23
fi
tests_exit
