#!/bin/bash
# The monitor's limit estimate on the WAN lab against the emulator's truth:
# the provider's capacity (committed 4.5 + best effort, ignore mode) steps
# 40 -> 15 -> 40 Mbit/s, 8 s each, under 8 bulk streams plus interactive rr.
# Read from the monitor port both ways, and outbound only (the capture
# filtered to DC1 -> DC2: what a mirror of the WAN egress alone carries).
# Each window of the bulk (more than 5 Mbit/s offered) at least 4 s into a step: the limit within 10% of the
# capacity wanemu reports for that window (its stats lines, the same
# CLOCK_MONOTONIC as the windows' t_ns; frame bits to IP bits at 1500/1514).
# The path type from both directions: shallow_queue for the queue.
# timeout: 200
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd iperf3
tmpdir_create D
SCHED=0:35.5M,12:10.5M,20:35.5M	# + the 4.5M committed: 40, 15, 40

# check NAME VIEW WANT_TYPE [EXPR...]: analyze NAME's mon0.pcap, compare with its truth
check() {
	local n=$1 view=$2 want=$3 bad=0 dir=$D/$1
	shift 3
	"$DS_BIN" -j analyze -r "$dir/mon0.pcap" --no-progress --monitor \
		--path dc:198.18.10.0/23=198.18.20.0/23 --windows "$dir/win.$view" "$@" \
		>"$dir/mon.$view.json" 2>"$dir/mon.$view.err" ||
		{ log_test "wan_limit $n $view: analyze" 1 "$(head -1 "$dir/mon.$view.err")"; return; }
	# Per window: the truth's capacity over it (min, max) and since when it held.
	jq -n -r --slurpfile w "$dir/win.$view" --slurpfile t "$dir/wanemu.ndjson" '
		[$t[] | select(.type == "stats" and .from == "pa")] as $s |
		$w[] | select(.type == "monitor_window" and .offered_bps > 5000000) | . as $x |
		[$s[] | select(.t_ns >= $x.t_ns and .t_ns < $x.t_ns + $x.window_s * 1e9) | .capacity_bps] as $c |
		select(($c | length) > 0 and ($c | min) == ($c | max)) |
		($c[0]) as $cap |
		([$s[] | select(.t_ns < $x.t_ns and .capacity_bps != $cap) | .t_ns] | max // 0) as $since |
		select(($x.t_ns - $since) >= 4e9) |
		"\($x.t_s) \($cap * 1500 / 1514 | floor) \($x.limit_bps // 0)"' >"$dir/cmp.$view"
	while read -r t cap lim; do
		awk -v l="$lim" -v c="$cap" 'BEGIN { exit !(l >= 0.9 * c && l <= 1.1 * c) }' ||
			{ echo "    $n $view: t $t s limit $lim, capacity $cap (IP bits)"; bad=$((bad + 1)); }
	done <"$dir/cmp.$view"
	local nwin low high typ
	nwin=$(wc -l <"$dir/cmp.$view")
	low=$(awk '$2 < 20e6' "$dir/cmp.$view" | wc -l) high=$(awk '$2 > 30e6' "$dir/cmp.$view" | wc -l)
	((low >= 3 && high >= 6)) || { echo "    $n $view: $low windows in the low step, $high in the high"; bad=$((bad + 1)); }
	typ=$(jq -r '.monitor.paths[0].path_type' "$dir/mon.$view.json")
	[[ $typ == "$want" ]] || { echo "    $n $view: type $typ, want $want"; bad=$((bad + 1)); }
	log_info "$n $view: $(awk '{ printf "%s:%.1f/%.1f ", $1, $3 / 1e6, $2 / 1e6 }' "$dir/cmp.$view")"
	log_test "wan_limit $n $view: limit within 10% of the truth in $nwin steady windows, type $typ" $((bad != 0))
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

if run queue; then
	check queue both shallow_queue
	check queue out unknown dst net 198.18.20.0/23
fi
tests_exit
