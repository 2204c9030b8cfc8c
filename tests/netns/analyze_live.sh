#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
#
# analyze_live.sh - `dropscope analyze -i` on a veth during lossy traffic
# finds what the file analysis of a tcpdump capture taken at the same time
# finds (the same retrans_segs and TCP packets), and reports its own capture
# drops (pcap_drops, a number: 0 here).  Both captures (filter "tcp") sit in
# the server's namespace on srv0, the sending side of 1% loss on the
# client's input; they both capture before the first segment is sent, and
# the live one ends (--duration) only after every connection is closed.
#
# shellcheck disable=SC2317 # helpers called through busywait

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd tcpdump jq nft ethtool ss

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
PORT=12867
SECS=3			# traffic
DURATION=10		# live capture: set-up + traffic + close, with room

if ! "$BIN" analyze --help >/dev/null 2>&1; then
	log_test "$NAME" 4 "dropscope analyze not built"
	exit 4
fi

tmpdir_create TMP
srv="" live="" cap=""		# PIDs, set by bg_run
cap_stats=""			# "captured received dropped", set by cap_stop

lab_pair off
loss_add "$CLI_NS" 10 "tcp sport != $PORT"	# the server's data segments only
bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
busywait 5000 ns_listening "$SRV_NS" $PORT || {
	log_test "$NAME: rr server" 1 "not listening"
	tests_exit
}

# Both filter "tcp": IPv6 router solicitations and the like may come at any
# time, even in the last moment of one capture but not the other.
bg_run "$SRV_NS" live timeout $((DURATION + 30)) "$BIN" -j analyze -i srv0 \
	--duration $DURATION --snaplen 128 --buffer 64 --no-progress tcp \
	>"$TMP/live.json" 2>"$TMP/live.err"
if ! cap_start "$SRV_NS" srv0 "$TMP/file.pcap" 65536 cap tcp ||
	! busywait 5000 filtered_captures "$SRV_NS" srv0 2; then
	log_test "$NAME: both captures start" 1 "$(cat "$TMP/live.err" "$TMP/file.pcap.err")"
	tests_exit
fi

c0=$(snmp_get "$CLI_NS" TcpRetransSegs) s0=$(snmp_get "$SRV_NS" TcpRetransSegs)
ip netns exec "$CLI_NS" timeout $((SECS + 30)) "$BIN" -j rr "$SRV_IP" --port $PORT \
	--streams 8 --duration $SECS --size 1,200000 >"$TMP/rr.json" &
wait $!
rc=$?
busywait 10000 no_tcp "$CLI_NS" "$SRV_NS"
closed=$?
wait "$srv"		# --once: gone with its session
srv_rc=$?
c1=$(snmp_get "$CLI_NS" TcpRetransSegs) s1=$(snmp_get "$SRV_NS" TcpRetransSegs)
# The live capture must outlast the traffic, or it would not see all of it.
bg_alive "$live"
outlasted=$?
wait "$live"
live_rc=$?
cap_stop "$cap" "$TMP/file.pcap" cap_stats
cap_lost=$?
read -r captured received dropped <<<"$cap_stats"

((rc == 0 && srv_rc == 0 && closed == 0 && outlasted == 0))
log_test "$NAME: lossy traffic ran and closed within the live capture" $? \
	"rr exit $rc, server exit $srv_rc, not closed $closed, capture ended first $outlasted"
[[ $live_rc -eq 0 ]] && jq -e . "$TMP/live.json" >/dev/null 2>&1
log_test "$NAME: analyze -i: exit 0, JSON" $? "exit $live_rc: $(head -c 200 "$TMP/live.err")"
"$BIN" -j analyze -r "$TMP/file.pcap" >"$TMP/file.json" 2>"$TMP/file.an.err"
log_test "$NAME: analyze -r of the tcpdump capture: exit 0, JSON" $? \
	"$(head -c 200 "$TMP/file.an.err")"

lr=$(json_num "$TMP/live.json" retrans_segs) fr=$(json_num "$TMP/file.json" retrans_segs)
lt=$(json_num "$TMP/live.json" tcp_packets) ft=$(json_num "$TMP/file.json" tcp_packets)
pd=$(json_num "$TMP/live.json" pcap_drops)
echo "  transactions=$(jq -r .transactions "$TMP/rr.json") nft_drops=$(loss_count "$CLI_NS")" \
	"kernel_TcpRetransSegs=$(((c1 - c0) + (s1 - s0))) tcpdump=$captured/$received/$dropped" \
	"(captured/received/dropped) | live: tcp_packets=$lt retrans_segs=$lr pcap_drops=$pd" \
	"| file: tcp_packets=$ft retrans_segs=$fr"

[[ $pd =~ ^[0-9]+$ ]]
log_test "$NAME: live JSON reports pcap_drops ($pd)" $?
if [[ $pd != 0 ]] || ((cap_lost)); then
	log_test "$NAME: live == file" 4 "a capture lost packets (pcap_drops $pd, tcpdump $dropped)"
	tests_exit
fi
[[ $lr =~ ^[0-9]+$ ]] && ((lr > 0)) && [[ $lr == "$fr" ]]
log_test "$NAME: live retrans_segs $lr == file's $fr (> 0)" $?
[[ $lt =~ ^[0-9]+$ && $lt == "$ft" ]]
log_test "$NAME: live tcp_packets $lt == file's $ft" $?

tests_exit
