#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# analyze_truth.sh - dropscope analyze against ground truth.  The same drops
# are captured on both sides of the lossy hop in one run:
#   cli0 (CLI_NS) -- rtr0 [RTR_NS: nft drops 1%] rtr1 -- srv0 (SRV_NS)
# The servers send (4 bulk streams of 1 MB responses, 16 streams of 1-byte
# request/response, and meanwhile up to 60 short sessions one after another,
# each 8 connections that carry 40 transactions of 3000-byte responses and
# close); the router drops 1% of their payload segments in its forward
# hook.  Captured on srv0, upstream of the drops:
#   retrans_segs == both namespaces' TcpRetransSegs deltas, exactly (every
#     retransmission either kernel makes crosses srv0);
#   lost_downstream within 3% of the nft drop counter, lost_upstream 0.
#   and each side's retransmissions by how the kernel sent them (its own
#   TcpExt counters): fast == TCPFastRetrans, rto == TCPTimeouts +
#   TCPSlowStartRetrans, tlp (+ spurious) <= TCPLossProbes, exactly.
# Captured on cli0, downstream of the drops, the same drops are lost_upstream
# - those that show there as a hole.  A lost tail segment (nothing sent after
# it, as in every 1-byte response) is retransmitted by TLP or RTO and reaches
# cli0 in order, where nothing tells it from a first transmission.  Matching
# both captures segment by segment (IP ID) splits the drops exactly: into
# retransmissions and first transmissions, and these into holes seen on cli0
# or not.  Then, exactly (a hole fill is either lost_upstream or reordering):
#   lost_upstream + reordering == first transmissions dropped, seen as holes;
#   retrans_segs + reordering == kernels' delta - retransmissions dropped
#                                - first transmissions dropped, not seen.
# and lost_upstream within 3% of the holes (this lab never reorders).
#
# What makes the truth exact, checked in every run (else retried once, then
# SKIP): tcpdump dropped nothing and wrote all it received, and no veth
# dropped anything (only nft drops).  Two settings keep it so:
#  - RPS sends every packet to CPU 0: veth hands packets to the backlog of
#    the CPU that sends them, and segments of one connection sent from two
#    CPUs (process and softirq) overtake each other: spurious retransmissions;
#  - the client's tcp_rmem caps the windows so that what is in flight stays
#    below netdev_max_backlog (1000): else the one backlog overflows.
# The premises are tests of their own, whatever analyze says: the segments
# missing on cli0 are the nft drops, and (with tcptrace installed) tcptrace's
# retransmission count of the srv0 capture is the kernels'.
#
# Without `dropscope analyze` the file is one SKIP; DS_ANALYZE_PLUMBING=1
# runs the lab and the premises anyway.
#
# shellcheck disable=SC2317 # helpers called through busywait

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd tcpdump jq nft ethtool ss

BIN=${DS_BIN:-$DS_ROOT/dropscope}
NAME=$(basename "$0" .sh)
BULK_PORT=12867		# rr control ports; data connections use ephemeral ones
RR_PORT=12868
SHORT_PORT=12869
SHORT_RUNS=60		# short sessions at most, started within SECS
SHORT_STREAMS=8
SHORT_TX=40
SECS=5
PERMILLE=10

HAVE_ANALYZE=0
"$BIN" analyze --help >/dev/null 2>&1 && HAVE_ANALYZE=1
if ((!HAVE_ANALYZE)) && [[ ${DS_ANALYZE_PLUMBING:-} != 1 ]]; then
	log_test "$NAME" 4 "dropscope analyze not built"
	exit 4
fi
HAVE_TCPTRACE=0
command -v tcptrace >/dev/null && HAVE_TCPTRACE=1

tmpdir_create TMP

# exact_chain: lab_chain with offloads off and the two settings that keep
# the truth exact (see above).
exact_chain() {
	local p

	lab_chain off || return 1
	# At most 256 KB of receive buffer caps each window below ~180
	# segments: the 4 bulk connections together stay well under the 1000
	# packets (netdev_max_backlog) of the one backlog RPS leaves; the
	# others have at most a few segments in flight.
	ns_sysctl "$CLI_NS" "net.ipv4.tcp_rmem=4096 131072 262144" || return 1
	for p in "$CLI_NS cli0" "$RTR_NS rtr0" "$RTR_NS rtr1" "$SRV_NS srv0"; do
		# shellcheck disable=SC2086 # "NS IF"
		rps_cpus $p 1 || return 1
	done
}

# veth_drops NS...: packets every veth in the namespaces dropped on receive
# (a veth counts its peer's transmit drops as its own receive drops).
veth_drops() {
	local ns

	for ns in "$@"; do
		ip -n "$ns" -s -j link show type veth
	done | jq -s '[.[][] | .stats64.rx.dropped] | add // 0'
}

# short_runs: rr sessions of SHORT_STREAMS connections and SHORT_TX
# transactions against the SHORT_PORT server, one after another, until
# SHORT_RUNS or SECS are over: many connections that open, lose a few
# segments and close while the capture runs.  Sets SHORT_MADE (runs),
# SHORT_OK (of them exit 0) and TX_SHORT (their transactions); a failed
# run's exit status and stderr go to $TMP/short.fail, for the report.
short_runs() {
	local i ok=0 tx=0 t rc end=$((SECONDS + SECS))

	: >"$TMP/short.fail"
	for ((i = 0; i < SHORT_RUNS && SECONDS < end; i++)); do
		# In the background and waited for, so a TERM is handled at once.
		ip netns exec "$CLI_NS" timeout 30 "$BIN" -j rr "$SRV_IP" --port "$SHORT_PORT" \
			--streams "$SHORT_STREAMS" --transactions "$SHORT_TX" --size 1,3000 \
			>"$TMP/short.json" 2>"$TMP/short.err" &
		wait $!
		rc=$?
		t=$(jq -r '.transactions | numbers' "$TMP/short.json" 2>/dev/null)
		if ((rc == 0)) && [[ -n $t ]]; then
			ok=$((ok + 1)) tx=$((tx + t))
		else
			{
				echo "short run $i: exit $rc"
				head -n 3 "$TMP/short.err"
			} >>"$TMP/short.fail"
		fi
	done
	SHORT_MADE=$i SHORT_OK=$ok TX_SHORT=$tx
}

# gone PID: true once the background child PID has exited.
gone() {
	! bg_alive "$1"
}

# truth_run BUFKB: one run in its own namespaces; writes $TMP/a.pcap,
# $TMP/b.pcap and $TMP/run.vars.  Returns 4 (reason in $TMP/why) when the
# run is not ground truth.
truth_run() {
	local buf=$1 bsrv rsrv ssrv capa capb bpid rpid rc_b rc_r rc_s c0 s0 c1 s1 d0 d1 a b cap_rc

	rm -f "$TMP"/a.pcap* "$TMP"/b.pcap* "$TMP"/run.vars "$TMP"/why "$TMP"/short.*
	exact_chain || return 1
	# Only the servers' data segments: the control connections must live.
	loss_add_hook "$RTR_NS" forward "$PERMILLE" \
		"iifname rtr1 tcp sport != { $BULK_PORT, $RR_PORT, $SHORT_PORT }" || return 1
	bg_run "$SRV_NS" bsrv "$BIN" rr --server --once --bind "$SRV_IP" --port "$BULK_PORT"
	bg_run "$SRV_NS" rsrv "$BIN" rr --server --once --bind "$SRV_IP" --port "$RR_PORT"
	# Not --once: it serves every short session, until TERM.
	bg_run "$SRV_NS" ssrv "$BIN" rr --server --bind "$SRV_IP" --port "$SHORT_PORT"
	busywait 5000 ns_listening "$SRV_NS" "$BULK_PORT" &&
		busywait 5000 ns_listening "$SRV_NS" "$RR_PORT" &&
		busywait 5000 ns_listening "$SRV_NS" "$SHORT_PORT" || return 1
	cap_start "$SRV_NS" srv0 "$TMP/a.pcap" "$buf" capa &&
		cap_start "$CLI_NS" cli0 "$TMP/b.pcap" "$buf" capb || return 1

	c0=$(snmp_get "$CLI_NS" TcpRetransSegs) && s0=$(snmp_get "$SRV_NS" TcpRetransSegs) &&
		d0=$(veth_drops "$CLI_NS" "$RTR_NS" "$SRV_NS") || return 1
	tcp_how "$CLI_NS" >"$TMP/how.cli0" && tcp_how "$SRV_NS" >"$TMP/how.srv0" || return 1
	bg_run "$CLI_NS" bpid timeout $((SECS + 60)) "$BIN" -j rr "$SRV_IP" --port "$BULK_PORT" \
		--streams 4 --duration "$SECS" --size 1,1000000 >"$TMP/bulk.json"
	bg_run "$CLI_NS" rpid timeout $((SECS + 60)) "$BIN" -j rr "$SRV_IP" --port "$RR_PORT" \
		--streams 16 --duration "$SECS" >"$TMP/rr.json"
	short_runs
	wait "$bpid"
	rc_b=$?
	wait "$rpid"
	rc_r=$?
	if ((rc_b || rc_r)); then
		echo "rr failed: bulk exit $rc_b, request/response exit $rc_r" >&2
		return 1
	fi
	# The short sessions are over: stop their server (exit 0 on TERM).
	kill -TERM "$ssrv"
	if ! busywait 5000 gone "$ssrv"; then
		echo "the short sessions' rr server did not exit on TERM" >&2
		return 1
	fi
	wait "$ssrv"
	rc_s=$?
	if ((rc_s)); then
		echo "the short sessions' rr server exited $rc_s" >&2
		return 1
	fi
	# Counters are final once every connection is closed (FINs acked) and
	# the servers have closed their listeners.
	if ! busywait 10000 no_tcp "$CLI_NS" "$SRV_NS"; then
		echo "connections did not close" >&2
		return 1
	fi
	if ! wait "$bsrv" || ! wait "$rsrv"; then
		echo "an rr server failed" >&2
		return 1
	fi
	c1=$(snmp_get "$CLI_NS" TcpRetransSegs) && s1=$(snmp_get "$SRV_NS" TcpRetransSegs) &&
		d1=$(veth_drops "$CLI_NS" "$RTR_NS" "$SRV_NS") || return 1
	tcp_how "$CLI_NS" >"$TMP/how.cli1" && tcp_how "$SRV_NS" >"$TMP/how.srv1" || return 1
	cap_stop "$capa" "$TMP/a.pcap" a "$capb" "$TMP/b.pcap" b
	cap_rc=$?
	cat >"$TMP/run.vars" <<EOF
K_CLI=$((c1 - c0))
K_SRV=$((s1 - s0))
DROPS=$(loss_count "$RTR_NS")
SEEN=$(loss_seen "$RTR_NS")
TX_BULK=$(jq -r .transactions "$TMP/bulk.json")
TX_RR=$(jq -r .transactions "$TMP/rr.json")
SHORT_MADE=$SHORT_MADE
SHORT_OK=$SHORT_OK
TX_SHORT=$TX_SHORT
CAP_A="$a"
CAP_B="$b"
CLI_IP=$CLI_IP
SRV_IP=$SRV_IP
EOF
	if ((cap_rc != 0)); then
		echo "tcpdump lost packets (captured received dropped: srv0 $a, cli0 $b)" >"$TMP/why"
		return 4
	fi
	if ((d1 != d0)); then
		echo "veths dropped $((d1 - d0)) packets besides nft's" >"$TMP/why"
		return 4
	fi
	return 0
}

# Each run in a subshell: its namespaces are gone when it returns.
sub_run truth_run 16384
rc=$?
if ((rc == 4)); then
	log_info "not ground truth: $(cat "$TMP/why"); again with a 128 MB buffer"
	sub_run truth_run 131072
	rc=$?
fi
if ((rc == 4)); then
	log_test "$NAME: run" 4 "not ground truth: $(cat "$TMP/why")"
	tests_exit
elif ((rc != 0)); then
	log_test "$NAME: run" 1 "the lab failed (exit $rc)"
	tests_exit
fi
# shellcheck source=/dev/null
source "$TMP/run.vars"
K=$((K_CLI + K_SRV))
# Connections made, control ones included: rr makes streams + 1.
CONNS=$((4 + 1 + 16 + 1 + SHORT_OK * (SHORT_STREAMS + 1)))
read -r PKT_A _ <<<"$CAP_A"
read -r PKT_B _ <<<"$CAP_B"
TOL=$((DROPS * 3 / 100))

[[ $DROPS -ge 100 ]]
log_test "$NAME: nft dropped enough segments to measure ($DROPS)" $?
# A short session that fails says why here; the run stays ground truth
# (its sockets still live in the two namespaces), so only too few fail it.
if [[ -s $TMP/short.fail ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		log_info "$line"
	done <"$TMP/short.fail"
fi
((SHORT_OK * SHORT_STREAMS >= 40))
log_test "$NAME: short sessions: $SHORT_OK of $SHORT_MADE ran, $((SHORT_OK * SHORT_STREAMS)) data connections" $?

# seg_keys PCAP: "FLOW SEQ:END IPID" for every IPv4 TCP segment with payload,
# and "FLOW SEQ:SEQ -" for every pure ACK (its seq shows how far the sender
# had sent), read by tshark.  Linux numbers the IP ID of a connection's
# packets one by one, so a retransmission differs from its original there
# and nowhere else.
seg_keys() {
	tshark -r "$1" -T fields -E separator=' ' -e ip.src -e tcp.srcport -e ip.dst \
		-e tcp.dstport -e tcp.seq_raw -e tcp.len -e ip.id -e tcp.flags.syn \
		-e tcp.flags.reset 2>/dev/null |
		awk 'NF == 9 { f = $1 "." $2 ">" $3 "." $4
			if ($6 > 0)
				print f, $5 ":" sprintf("%.0f", ($5 + $6) % 4294967296), $7
			else if ($8 == 0 && $9 == 0)
				print f, $5 ":" $5, "-" }'
}

# drop_truth KEYS_SENDER KEYS_RECEIVER: "ORIG RE VIS INVIS".  The segments
# the sender-side capture has and the receiver-side one lacks are the drops:
# ORIG first transmissions, RE retransmissions (they start below the highest
# sequence sent so far; nothing is lost upstream of the sender's veth).  Of
# ORIG, VIS reach the receiver's capture later (retransmitted) as a hole
# fill: something above them arrived first (data, or a pure ACK whose
# sequence number is beyond them).  INVIS arrive in order: a lost
# tail, recovered by a TLP or an RTO, looks there like a first transmission.
drop_truth() {
	awk 'function ahead(a, b,    d) {	# a after b, in sequence space mod 2^32
		d = (a - b) % 4294967296
		if (d < 0)
			d += 4294967296
		return d > 0 && d < 2147483648
	}
	FNR == 1 { pass++ }
	pass < 3 && $3 == "-" { next }
	pass == 1 { rcvd[$0]++; next }
	{ split($2, r, ":") }
	pass == 2 {
		re = ($1 in nxt) && ahead(nxt[$1], r[1])
		if (!($1 in nxt) || ahead(r[2], nxt[$1]))
			nxt[$1] = r[2]
		if (rcvd[$0]) {
			rcvd[$0]--
		} else if (re) {
			nre++
		} else {
			norig++
			lost[$1 " " r[1]] = 1
		}
		next
	}
	{
		k = $1 " " r[1]
		if ($3 != "-" && (k in lost)) {
			if (($1 in top) && ahead(top[$1], r[1]))
				vis++
			else
				invis++
			delete lost[k]
		}
		if (!($1 in top) || ahead(r[2], top[$1]))
			top[$1] = r[2]
	}
	END { print norig + 0, nre + 0, vis + 0, invis + 0 }' "$2" "$1" "$2"
}

seg_keys "$TMP/a.pcap" >"$TMP/a.keys" && seg_keys "$TMP/b.pcap" >"$TMP/b.keys" &&
	read -r D_ORIG D_RE D_VIS D_INVIS < <(drop_truth "$TMP/a.keys" "$TMP/b.keys")
[[ ${D_ORIG:-x} =~ ^[0-9]+$ ]] && ((D_ORIG + D_RE == DROPS && D_VIS + D_INVIS == D_ORIG))
log_test "$NAME: premise: segments missing on cli0 ${D_ORIG:-?}+${D_RE:-?} == nft drops $DROPS" $?

TT_A=-
if ((HAVE_TCPTRACE)); then
	TT_A=$(tcptrace -n -l "$TMP/a.pcap" | tcptrace_rexmt -)
	[[ $TT_A -eq $K ]]
	log_test "$NAME: premise: tcptrace rexmt on srv0 $TT_A == kernels' $K" $?
fi

# summary FILE: analyze's figures in one short string.
summary() {
	jq -r '"packets=\(.packets) retrans_segs=\(.retrans_segs) bytes=\(.retrans_bytes)" +
	       " down=\(.lost_downstream) up=\(.lost_upstream) reord=\(.reordering)" +
	       " gaps=\(.capture_gaps) class=\(.by_class | [.fast, .rto, .tlp, .spurious, .syn_fin] | join("/"))"' "$1"
}

A=- B=-
if ((HAVE_ANALYZE)); then
	"$BIN" -j analyze -r "$TMP/a.pcap" >"$TMP/a.json" 2>"$TMP/a.err"
	log_test "$NAME: analyze -r srv0 capture: exit 0, JSON" $? "$(head -c 200 "$TMP/a.err")"
	"$BIN" -j analyze -r "$TMP/b.pcap" >"$TMP/b.json" 2>"$TMP/b.err"
	log_test "$NAME: analyze -r cli0 capture: exit 0, JSON" $? "$(head -c 200 "$TMP/b.err")"
	A=$(summary "$TMP/a.json" 2>&1) B=$(summary "$TMP/b.json" 2>&1)
fi
echo "  transactions=$TX_BULK+$TX_RR+$TX_SHORT short_sessions=$SHORT_OK/$SHORT_MADE" \
	"connections=$CONNS nft_drops=$DROPS (of $SEEN; $D_RE retransmissions," \
	"$D_VIS+$D_INVIS first sent, seen+unseen as a hole on cli0)" \
	"kernel_TcpRetransSegs=$K (cli $K_CLI, srv $K_SRV)" \
	"tcptrace_srv0=$TT_A | srv0 records=$PKT_A $A | cli0 records=$PKT_B $B"
((HAVE_ANALYZE)) || tests_exit

# near X Y TOL: |X - Y| <= TOL, both numbers.
near() {
	[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] && (($1 - $2 <= $3 && $2 - $1 <= $3))
}
# classes_add_up FILE: the five classes partition retrans_segs.
classes_add_up() {
	jq -e '([.by_class | .fast, .rto, .tlp, .spurious, .syn_fin] | add) == .retrans_segs' \
		"$1" >/dev/null 2>&1
}

a=$TMP/a.json b=$TMP/b.json
x=$(json_num "$a" packets)
[[ $x == "$PKT_A" ]]
log_test "$NAME: srv0: packets $x == records in the file $PKT_A" $?
# No other TCP crosses the lab, and no 4-tuple is reused: one flow per
# connection, but for a failed short session's (not counted in CONNS).
x=$(json_num "$a" flows) y=$(json_num "$b" flows) op="=="
((SHORT_OK == SHORT_MADE)) || op=">="
[[ $x =~ ^[0-9]+$ && $y =~ ^[0-9]+$ ]] && ((x >= CONNS && y >= CONNS)) &&
	{ [[ $op == ">=" ]] || ((x == CONNS && y == CONNS)); }
log_test "$NAME: flows srv0 $x, cli0 $y $op connections made $CONNS" $?
x=$(json_num "$a" retrans_segs)
[[ $x == "$K" ]]
log_test "$NAME: srv0: retrans_segs $x == kernels' TcpRetransSegs $K" $?
x=$(json_num "$a" lost_downstream)
near "$x" "$DROPS" $TOL
log_test "$NAME: srv0: lost_downstream $x ~ nft drops $DROPS (+-$TOL)" $?
x=$(json_num "$a" lost_upstream) y=$(json_num "$a" capture_gaps) z=$(json_num "$a" reordering)
[[ $x == 0 && $y == 0 && $z == 0 ]]
log_test "$NAME: srv0: lost_upstream $x, capture_gaps $y, reordering $z all 0" $?
classes_add_up "$a"
log_test "$NAME: srv0: by_class adds up to retrans_segs" $?

# Exact but for analyze's reordering test (a hole fill too soon after the
# hole is reordering): this lab never reorders.
x=$(json_num "$b" lost_upstream) y=$(json_num "$b" reordering)
near "$x" "$D_VIS" $((D_VIS * 3 / 100))
log_test "$NAME: cli0: lost_upstream $x ~ drops seen as holes $D_VIS (+-3%)" $?
[[ $x =~ ^[0-9]+$ && $y =~ ^[0-9]+$ ]] && ((x + y == D_VIS))
log_test "$NAME: cli0: lost_upstream + reordering $x+$y == drops seen as holes $D_VIS" $?
x=$(json_num "$b" retrans_segs)
[[ $x =~ ^[0-9]+$ && $y =~ ^[0-9]+$ ]] && ((x + y == K - D_RE - D_INVIS))
log_test "$NAME: cli0: retrans_segs + reordering $x+$y == kernels' - $D_RE dropped - $D_INVIS unseen" $?
x=$(json_num "$b" lost_downstream) y=$(json_num "$b" capture_gaps)
near "$x" 0 $TOL && [[ $y == 0 ]]
log_test "$NAME: cli0: lost_downstream $x <= $TOL, capture_gaps $y == 0" $?
classes_add_up "$b"
log_test "$NAME: cli0: by_class adds up to retrans_segs" $?

# How each retransmission was sent, against the kernels' own counts: at
# srv0 every retransmission of either side is seen.
"$BIN" -j analyze -r "$TMP/a.pcap" --events "$TMP/a.ev" >/dev/null 2>&1
log_test "$NAME: analyze --events srv0 capture: exit 0" $?
retrans_how_check "$NAME: srv0: cli's" "$TMP/a.ev" "$CLI_IP" "$TMP/how.cli0" "$TMP/how.cli1"
retrans_how_check "$NAME: srv0: srv's" "$TMP/a.ev" "$SRV_IP" "$TMP/how.srv0" "$TMP/how.srv1"

tests_exit
