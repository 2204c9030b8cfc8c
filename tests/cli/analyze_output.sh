#!/bin/bash
# What `analyze` says beyond the counters, against hand-built captures: the
# clock-jump line and --interval on captures whose clock jumps (a bounded,
# exact number of lines), evicted flows, '-' for a direction without an RTT
# sample, and "interrupted" after SIGINT/SIGTERM on a slow pipe and live.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
GEN=$DS_ROOT/.output/tools/pcapgen
if [[ ! -x $GEN ]]; then
	log_test "analyze output" 4 "pcapgen not built (make tools)"
	exit 4
fi
tmpdir_create TMP

for scn in clock_future clock_back max_flows fast_retransmit; do
	"$GEN" -o "$TMP/$scn.pcap" "$DS_ROOT/tests/pcap/$scn.scn" || exit 1
done
"$GEN" -n -o "$TMP/ng.pcapng" "$DS_ROOT/tests/pcap/pcapng_clock_future.scn" || exit 1

# --- the clock ---

"$BIN" analyze "$TMP/clock_future.pcap" >"$TMP/out" 2>&1
grep -q '^clock jumps: 2 (stamps over 1 s back or 24 h ahead' "$TMP/out" &&
	grep -q '^.*clock_future.pcap: 9 packets, 9 TCP, 1 flows, 2.010 s$' "$TMP/out"
log_test "analyze text: 2 clock jumps, 2.010 s (one frame from 2061)" $?
"$BIN" analyze "$TMP/fast_retransmit.pcap" >"$TMP/out" 2>&1
! grep -q 'clock jumps' "$TMP/out"
log_test "analyze text: no clock line without a jump" $?

# interval_lines PCAP WANT: -j --interval 1 prints WANT "packets" per interval, then the summary.
interval_lines() {
	local got

	got=$(timeout 20 "$BIN" -j analyze --interval 1 "$1" | head -n 100 |
		jq -r 'if .type == "interval" then .packets else .type end' | tr '\n' ' ')
	[[ ${got% } == "$2" ]] || { echo "    $1: got '${got% }', want '$2'"; return 1; }
}
# Frames by analysis time: 2061 adds none, the hour back none.
interval_lines "$TMP/clock_future.pcap" "3 3 3 summary"
log_test "analyze --interval 1, a frame from 2061: 3 intervals (3 3 3 packets)" $?
interval_lines "$TMP/ng.pcapng" "3 4 3 summary"
log_test "analyze --interval 1, pcapng, 3 frames from 2061: 3 intervals (3 4 3)" $?
interval_lines "$TMP/clock_back.pcap" "3 2 5 2 summary"
log_test "analyze --interval 1, an hour back: 4 intervals (3 2 5 2)" $?
n=$("$BIN" analyze --interval 1 "$TMP/clock_back.pcap" | grep -c '^t=')
((n == 4))
log_test "analyze --interval 1 text, an hour back: 4 lines (got $n)" $?

# --- the flow table ---

"$BIN" analyze --max-flows 2 "$TMP/max_flows.pcap" >"$TMP/out" 2>&1
grep -qx 'flows evicted (over --max-flows 2): 5' "$TMP/out"
log_test "analyze text: 'flows evicted (over --max-flows 2): 5' of 7 flows" $?
"$BIN" analyze "$TMP/max_flows.pcap" >"$TMP/out" 2>&1
! grep -q 'evicted' "$TMP/out"
log_test "analyze text: no eviction line when nothing was evicted" $?

# --- RTT per direction ---

# A's data, never ACKed in view (B's ACKs took another path): no sample.
cat >"$TMP/oneway.scn" <<'SCN'
flow 198.18.0.1:40000 198.18.0.2:5001
t 0.000000 A>B A  seq=1001 ack=5001 len=1000
t 0.000100 A>B A  seq=2001 ack=5001 len=1000
SCN
"$GEN" -o "$TMP/oneway.pcap" "$TMP/oneway.scn" || exit 1
"$BIN" -s analyze "$TMP/oneway.pcap" >"$TMP/out" 2>&1
grep -q '^  198.18.0.1:40000 > 198.18.0.2:5001  data 2 .* rtt min -$' "$TMP/out"
log_test "analyze -s text: a direction without an RTT sample shows 'rtt min -'" $?
"$BIN" -j -s analyze "$TMP/oneway.pcap" >"$TMP/out" 2>&1
jq -e '.flows_list[0].dirs[0].rtt_us == {} and .rtt_us == {}' "$TMP/out" >/dev/null
log_test "analyze -j -s: no RTT sample is an empty rtt_us object" $?
"$BIN" -s analyze "$TMP/fast_retransmit.pcap" >"$TMP/out" 2>&1
grep -q '^  198.18.0.1:40000 > 198.18.0.2:5001  data 6 .* rtt min 10000us$' "$TMP/out"
log_test "analyze -s text: a sampled direction shows its minimum (10000us)" $?

# --- interrupted ---

# reading_pipe PID: blocked reading a pipe, its handler for SIGINT in place.
reading_pipe() {
	local cgt

	[[ $(cat "/proc/$1/wchan" 2>/dev/null) == *pipe* ]] || return 1
	cgt=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status")
	(((0x$cgt & 0x4002) == 0x4002))
}

# interrupt SIG JSON|TEXT: 17 frames into a pipe that stays open, then SIG.
interrupt() {
	local sig=$1 mode=$2 pid rc fifo=$TMP/fifo.$1 args=()

	[[ $mode == json ]] && args=(-j)
	mkfifo "$fifo"
	"$BIN" "${args[@]}" analyze --no-progress -r - <"$fifo" >"$TMP/int.out" 2>"$TMP/int.err" &
	pid=$!
	exec 3>"$fifo"
	cat "$TMP/fast_retransmit.pcap" >&3
	busywait 5000 reading_pipe "$pid"
	kill -"$sig" "$pid"
	busywait 5000 eval '! bg_alive '"$pid"
	bg_alive "$pid" && kill -KILL "$pid"
	wait "$pid"
	rc=$?
	exec 3>&-
	rm -f "$fifo"
	return $rc
}

interrupt INT json
rc=$?
((rc == 0)) && jq -se 'length == 1 and .[0].interrupted == true and .[0].packets == 17 and
	.[0].retrans_segs == 1 and (.[0] | has("error") | not)' "$TMP/int.out" >/dev/null
log_test "analyze -j -r - (pipe held open), SIGINT: interrupted, 17 packets (rc=$rc)" $?
interrupt TERM text
rc=$?
((rc == 0)) && grep -qx 'interrupted by SIGTERM after 17 packets: the report covers those' \
	"$TMP/int.out"
log_test "analyze -r - (pipe held open), SIGTERM: 'interrupted by SIGTERM after 17 packets'" $?
"$BIN" -j analyze "$TMP/fast_retransmit.pcap" | jq -e '.interrupted == false' >/dev/null
log_test "analyze -j to the end of a file: interrupted false" $?

# Live, in a namespace of its own: stopped by SIGINT, as a user stops it.
# blocking PID: SIGINT and SIGTERM blocked for the loop's signalfd.
blocking() {
	local blk

	blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
	[[ -n $blk ]] && (((0x$blk & 0x4002) == 0x4002))
}
if [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null; then
	ns_create NS
	bg_run "$NS" pid "$BIN" -j analyze --no-progress -i lo >"$TMP/live.out" 2>"$TMP/live.err"
	busywait 5000 blocking "$pid"
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	((rc == 0)) && jq -se 'length == 1 and .[0].interrupted == true and .[0].packets == 0' \
		"$TMP/live.out" >/dev/null
	log_test "analyze -j -i lo (a namespace's, idle), SIGINT: interrupted, 0 packets (rc=$rc)" $?
else
	log_test "analyze -j -i lo, SIGINT" 4 "needs root for a namespace"
fi
tests_exit
