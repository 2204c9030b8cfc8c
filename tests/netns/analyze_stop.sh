#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 60
#
# analyze_stop.sh - Ctrl-C keeps what was captured.  A live capture's last
# block stays in the kernel until it fills or its 50 ms timeout passes; a
# stop right after traffic must still analyse it.  20 connection attempts
# to a closed port (SYN, RST each) from CLI_NS, SIGINT 20 ms after the
# last one: analyze -i cli0's tcp_packets must equal what nft counted on
# cli0 (both directions), and the stop must be quick (~70 ms; asserted
# < 500 ms for a loaded machine).

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq nft

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
TABLE=dsstop_$$
N=20
tmpdir_create TMP

lab_pair off
defer ds__nft_del "$CLI_NS" "$TABLE"
ip netns exec "$CLI_NS" nft -f - <<EOF
table inet $TABLE {
	counter seen { }
	chain in { type filter hook input priority filter; iifname "cli0" meta l4proto tcp counter name seen; }
	chain out { type filter hook output priority filter; oifname "cli0" meta l4proto tcp counter name seen; }
}
EOF
bg_run "$CLI_NS" an "$BIN" -j analyze -i cli0 --no-progress tcp >"$TMP/an.json" 2>"$TMP/an.err"
busywait 5000 filtered_captures "$CLI_NS" cli0 1
for ((i = 0; i < N; i++)); do
	ip netns exec "$CLI_NS" timeout 1 bash -c "echo >/dev/tcp/$SRV_IP/9" 2>/dev/null
done
nap 0.02
t0=$(date +%s%N)
kill -INT "$an"
wait "$an"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
seen=$(ds__nft_counter "$CLI_NS" "$TABLE" seen)
got=$(json_num "$TMP/an.json" tcp_packets)
echo "  nft counted $seen TCP packets on cli0; analyze: $got; stopped in $ms ms"
((rc == 0))
log_test "$NAME: SIGINT: exit 0 with a report" $? "exit $rc: $(head -c 200 "$TMP/an.err")"
[[ $got == "$seen" ]] && ((seen >= 2 * N))
log_test "$NAME: the packets before the stop are all analysed ($got == $seen)" $?
((ms < 500))
log_test "$NAME: the stop takes $ms ms (< 500)" $?
tests_exit
