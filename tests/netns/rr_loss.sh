#!/bin/bash
# rr against ground truth: nft drops of request segments and both kernels'
# TcpRetransSegs. 16 streams of 1-byte RR; every dropped request stalls its
# transaction for an RTO/TLP (>= 200 ms), so the >=200ms tail counts drops.
# timeout: 240
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
PORT=12867
tmpdir_create TMP

# rr_run NAME PERMILLE SECONDS: a fresh pair, optional loss, one rr run.
# Leaves the JSON in $TMP/NAME.json and sets DROPS and KERNEL_RETRANS.
rr_run()
{
	local name=$1 permille=$2 secs=$3 c0 s0 c1 s1 srv
	lab_pair off
	# The control connection is kept out of the loss: only data segments drop.
	[ "$permille" -gt 0 ] && loss_add "$SRV_NS" "$permille" "tcp dport != $PORT"
	bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
	busywait 5000 ns_listening "$SRV_NS" $PORT || return 1
	c0=$(snmp_get "$CLI_NS" TcpRetransSegs); s0=$(snmp_get "$SRV_NS" TcpRetransSegs)
	ip netns exec "$CLI_NS" timeout $((secs + 60)) \
		"$BIN" -j rr "$SRV_IP" --port $PORT --streams 16 --duration "$secs" \
		>"$TMP/$name.json" || return 1
	# The server ends its session after answering DONE; let it exit.
	busywait 5000 sh -c "! kill -0 $srv 2>/dev/null"
	c1=$(snmp_get "$CLI_NS" TcpRetransSegs); s1=$(snmp_get "$SRV_NS" TcpRetransSegs)
	KERNEL_RETRANS=$(( (c1 - c0) + (s1 - s0) ))
	DROPS=0
	[ "$permille" -gt 0 ] && DROPS=$(loss_count "$SRV_NS")
	return 0
}

j() { jq -r "$1" "$TMP/$2.json"; }

if rr_run loss 10 5; then
	tail=$(j .tail_ge_200ms loss); retr=$(j '.local_retrans + .remote_retrans' loss)
	tx=$(j .transactions loss)
	echo "  transactions=$tx nft_drops=$DROPS tail_ge_200ms=$tail" \
	     "retrans(local+remote)=$retr kernel_TcpRetransSegs=$KERNEL_RETRANS"
	[ "$DROPS" -ge 50 ]
	log_test "rr 1% loss: nft dropped enough segments to measure ($DROPS)" $?
	tol=$(( DROPS * 5 / 100 )); [ $tol -lt 3 ] && tol=3
	diff=$(( tail - DROPS )); diff=${diff#-}
	[ "$diff" -le "$tol" ]
	log_test "rr 1% loss: tail_ge_200ms $tail ~ nft drops $DROPS (+-$tol)" $?
	[ "$retr" -eq "$KERNEL_RETRANS" ]
	log_test "rr 1% loss: local+remote retrans $retr == kernels' $KERNEL_RETRANS" $?
	# Per-stream figures add up to the totals, and the server saw every stream.
	[ "$(j '[.streams[].transactions] | add' loss)" -eq "$tx" ] &&
	[ "$(j '[.streams[] | select(.remote_retrans != null)] | length' loss)" -eq 16 ]
	log_test "rr 1% loss: per-stream counts sum to totals, all matched remotely" $?
else
	log_test "rr 1% loss: run" 1
fi

if rr_run clean 0 3; then
	tail=$(j .tail_ge_200ms clean); retr=$(j '.local_retrans + .remote_retrans' clean)
	echo "  transactions=$(j .transactions clean) tail_ge_200ms=$tail retrans=$retr" \
	     "kernel=$KERNEL_RETRANS p99.9=$(j .latency_us.p999 clean)us"
	[ "$tail" -eq 0 ] && [ "$(j .transactions clean)" -gt 1000 ]
	log_test "rr no loss: no transaction >= 200 ms" $?
	[ "$retr" -eq "$KERNEL_RETRANS" ]
	log_test "rr no loss: retrans $retr == kernels' $KERNEL_RETRANS" $?
else
	log_test "rr no loss: run" 1
fi

tests_exit
