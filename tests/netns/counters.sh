#!/bin/bash
# counters (netns, linkstats, qdiscstats, snmp) against the kernel's own
# view of the same traffic: `ip -s -j link`, `tc -s -j qdisc`, the SNMP files
# read inside each namespace, and stat(1) of /run/netns. countdump runs in
# the root namespace, opens every namespace, gives up every capability and
# only then samples; run as nobody it still reports its own namespace and
# says the others were skipped.
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq tc setpriv

TOOL=$DS_ROOT/.output/tools/countdump
[ -x "$TOOL" ] || { log_test "counters: tool" 4 "not built (make tools)"; exit 4; }
PORT=12869
SNMP_NAMES="TcpRetransSegs TcpExtTCPTimeouts TcpExtTCPLossProbes TcpExtTCPFastRetrans
	TcpExtTCPSynRetrans TcpExtTCPLostRetransmit IpInDiscards IpOutDiscards
	UdpRcvbufErrors UdpInErrors TcpExtListenDrops TcpExtTCPBacklogDrop"
tmpdir_create TMP
OUT=$TMP/out	# countdump's output, read by the helpers below

# Two namespaces and nothing that talks unasked: no IPv6 (router
# solicitations, MLD), static neighbours (no ARP refresh). Between the
# snapshots only the test's own traffic moves a counter.
ns_create A && ns_create B || exit 1
for ns in "$A" "$B"; do
	ns_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
veth_pair "$A" a0 "$B" b0 || exit 1
addr_add "$A" a0 198.18.0.1/24 && addr_add "$B" b0 198.18.0.2/24 || exit 1
mac() { ip -n "$1" -j link show "$2" | jq -r '.[0].address'; }
ip -n "$A" neigh replace 198.18.0.2 lladdr "$(mac "$B" b0)" dev a0 nud permanent
ip -n "$B" neigh replace 198.18.0.1 lladdr "$(mac "$A" a0)" dev b0 nud permanent
# B's egress: 1 Mbit/s into a 3000-byte fifo; HTB's root counts the leaf's drops.
tc -n "$B" qdisc add dev b0 root handle 1: htb default 10 &&
	tc -n "$B" class add dev b0 parent 1: classid 1:10 htb rate 1mbit &&
	tc -n "$B" qdisc add dev b0 parent 1:10 handle 10: bfifo limit 3000 || exit 1
INUM_A=$(stat -L -c %i "/run/netns/$A")
INUM_B=$(stat -L -c %i "/run/netns/$B")

# truth NS FILE: what ip, tc and the SNMP files of NS say now.
truth() {
	local name
	ip -n "$1" -s -j link show >"$2.link"
	tc -n "$1" -s -j qdisc show >"$2.qdisc"
	for name in $SNMP_NAMES; do
		echo "$name $(snmp_get "$1" "$name")"
	done | sort >"$2.snmp"
}

# tool_quit PID: end a countdump left running (a failed test).
tool_quit() {
	bg_alive "$1" && kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# tool_start OUT CMD...: run CMD (countdump, maybe wrapped) with stdin from a
# fifo this shell holds open; return once it has taken its first sample.
tool_start() {
	local out=$1
	shift
	# A "ready" left in OUT by an earlier run must not be read as this one's.
	rm -f "$TMP/ctl" "$out" "$out.err"
	mkfifo "$TMP/ctl"
	timeout 60 "$@" >"$out" 2>"$out.err" <"$TMP/ctl" &
	TOOL_PID=$!
	defer tool_quit "$TOOL_PID"
	exec {CTL}>"$TMP/ctl"
	busywait 10000 grep -qx ready "$out"
}

# tool_stop: close countdump's stdin (it samples again and prints), wait for it.
tool_stop() {
	exec {CTL}>&-
	wait "$TOOL_PID"
}

# quiet: nothing queued on b0, no TCP connection but TIME-WAIT in A or B.
quiet() {
	[ "$(tc -n "$B" -s -j qdisc show dev b0 | jq '[.[].qlen] | add')" = 0 ] && no_tcp "$A" "$B"
}

# link_deltas INUM BEFORE AFTER: per device of the namespace, ip's view
# "ifindex name rxp txp rxb txb rxdrop txdrop" next to countdump's, one
# file each for diff.
link_deltas() {
	jq -r --slurpfile b "$2.link" '.[] | . as $x |
		($b[0][] | select(.ifindex == $x.ifindex)) as $y |
		[$x.ifindex, $x.ifname,
		 $x.stats64.rx.packets - $y.stats64.rx.packets,
		 $x.stats64.tx.packets - $y.stats64.tx.packets,
		 $x.stats64.rx.bytes - $y.stats64.rx.bytes,
		 $x.stats64.tx.bytes - $y.stats64.tx.bytes,
		 $x.stats64.rx.dropped - $y.stats64.rx.dropped,
		 $x.stats64.tx.dropped - $y.stats64.tx.dropped] | map(tostring) | join(" ")' \
		"$3.link" | sort -n >"$TMP/want.$1"
	awk -v ns="$1" '$1 == "link" && $2 == ns { print $3, $4, $6, $7, $8, $9, $10, $11 }' \
		"$OUT" | sort -n >"$TMP/got.$1"
	diff "$TMP/want.$1" "$TMP/got.$1"
}

# qdisc_deltas NS INUM DEV BEFORE AFTER: the same for DEV's qdiscs,
# "handle parent kind bytes packets drops overlimits requeues".
qdisc_deltas() {
	local ifindex
	ifindex=$(ip -n "$1" -j link show "$3" | jq '.[0].ifindex')
	jq -r --arg dev "$3" --slurpfile b "$4.qdisc" '.[] | select(.dev == $dev) | . as $x |
		($b[0][] | select(.dev == $dev and .handle == $x.handle)) as $y |
		[$x.handle, ($x.parent // "root"), $x.kind, $x.bytes - $y.bytes,
		 $x.packets - $y.packets, $x.drops - $y.drops,
		 $x.overlimits - $y.overlimits, $x.requeues - $y.requeues] |
		map(tostring) | join(" ")' "$5.qdisc" | sort >"$TMP/qwant.$3"
	awk -v ns="$2" -v ix="$ifindex" '$1 == "qdisc" && $2 == ns && $3 == ix {
		print $4, $5, $6, $7, $8, $9, $10, $11 }' "$OUT" | sort >"$TMP/qgot.$3"
	diff "$TMP/qwant.$3" "$TMP/qgot.$3"
}

# snmp_deltas NS INUM BEFORE AFTER: every sampled SNMP counter's change.
snmp_deltas() {
	join "$3.snmp" "$4.snmp" | awk '{ print $1, $3 - $2 }' | sort >"$TMP/swant.$2"
	awk -v ns="$2" '$1 == "snmp" && $2 == ns { print $3, $4 }' "$OUT" |
		sort >"$TMP/sgot.$2"
	diff "$TMP/swant.$2" "$TMP/sgot.$2"
}

# --- privileged run: every namespace, capabilities dropped before sampling ---
truth "$A" "$TMP/a0"
truth "$B" "$TMP/b0"
if ! tool_start "$OUT" "$TOOL"; then
	log_test "counters: countdump opens every namespace" 1 "$(cat "$OUT.err")"
	tests_exit
fi
# Bounded traffic: 300 UDP datagrams of 1400 bytes from B into b0's
# 1 Mbit/s HTB (most overflow the 3000-byte fifo), 50 pings, and TCP
# request/response with 3% of A's request segments dropped by nft in B.
ip netns exec "$B" bash -c 'for i in $(seq 300); do
	printf "%1400s" x >/dev/udp/198.18.0.1/9; done' 2>/dev/null
ip netns exec "$A" ping -q -c 50 -i 0.01 -w 10 198.18.0.2 >/dev/null
loss_add "$B" 30 "tcp dport != $PORT"
bg_run "$B" SRV "$DS_BIN" rr --server --once --bind 198.18.0.2 --port $PORT
busywait 5000 ns_listening "$B" $PORT
ip netns exec "$A" timeout 60 "$DS_BIN" rr 198.18.0.2 --port $PORT --streams 4 \
	--transactions 1000 >/dev/null
log_test "counters: traffic ran (rr exit $?)" $?
busywait 5000 sh -c "! kill -0 $SRV 2>/dev/null"
busywait 20000 quiet
tool_stop
log_test "counters: countdump sampled twice" $? "$(cat "$OUT.err")"
truth "$A" "$TMP/a1"
truth "$B" "$TMP/b1"

# (d) the namespace list: init first, the test's with their names and inodes.
first=$(awk '$1 == "ns" { print $2, $3; exit }' "$OUT")
if init_ino=$(stat -L -c %i /proc/1/ns/net 2>/dev/null); then
	[ "$first" = "$init_ino init" ]
	log_test "counters: init first, with PID 1's inode ($first)" $?
elif printf '%s\n' 6.18 "$(uname -r)" | sort -VC; then
	# PID 1 hidden even from root (a sandbox): 6.18+ gives init_net a fixed inode.
	[ "$first" = "$((0xEFFFFFF9)) init" ]
	log_test "counters: init first, with init_net's fixed inode ($first)" $?
else
	log_test "counters: init first" 4 "cannot stat /proc/1/ns/net here"
fi
grep -qx "ns $INUM_A $A" "$OUT" && grep -qx "ns $INUM_B $B" "$OUT"
log_test "counters: $A and $B listed with their /run/netns inodes" $?
[ "$(grep -c "^ns [0-9]* $A\$" "$OUT")" = 1 ] && grep -qx 'skipped 0 0' "$OUT"
log_test "counters: each namespace once, none skipped as root" $?
# (e) sampling happened with no capability left.
grep -qx 'caps 0000000000000000' "$OUT"
log_test "counters: both samples taken with CapEff 0" $?
! grep -q '^nserr' "$OUT"
log_test "counters: no namespace failed to sample" $? "$(grep '^nserr' "$OUT")"

# (a) interfaces: every device of A and B, every counter ip shows.
link_deltas "$INUM_A" "$TMP/a0" "$TMP/a1" >"$TMP/diff.a"
rc=$?
link_deltas "$INUM_B" "$TMP/b0" "$TMP/b1" >"$TMP/diff.b" || rc=1
log_test "counters: link deltas equal ip -s -j link's (A and B, all devices)" $rc \
	"$(cat "$TMP/diff.a" "$TMP/diff.b")"
read -r rx_a0 <<<"$(awk '$2 == "a0" { print $3 }' "$TMP/want.$INUM_A")"
[ "${rx_a0:-0}" -gt 50 ]
log_test "counters: traffic moved a0's counters (rx $rx_a0 packets)" $?

# (b) qdiscs: HTB root and bfifo leaf of b0, noqueue of a0.
qdisc_deltas "$B" "$INUM_B" b0 "$TMP/b0" "$TMP/b1" >"$TMP/qdiff.b"
rc=$?
qdisc_deltas "$A" "$INUM_A" a0 "$TMP/a0" "$TMP/a1" >"$TMP/qdiff.a" || rc=1
log_test "counters: qdisc deltas equal tc -s -j qdisc's (b0 htb+bfifo, a0)" $rc \
	"$(cat "$TMP/qdiff.b" "$TMP/qdiff.a")"
leaf=$(awk '$3 == "bfifo" { print $6 }' "$TMP/qwant.b0")
root=$(awk '$3 == "htb" { print $6 }' "$TMP/qwant.b0")
dev=$(awk -v ns="$INUM_B" '$1 == "link" && $2 == ns && $4 == "b0" { print $12 }' "$OUT")
echo "  bfifo drops $leaf, htb root drops $root, device qdisc drops $dev"
[ "${leaf:-0}" -gt 100 ] && [ "$root" = "$leaf" ] && [ "$dev" = "$root" ]
log_test "counters: b0 device qdisc drops = HTB root's = bfifo's ($dev)" $?

# (c) SNMP: TCP retransmissions and the other sampled counters, A and B.
snmp_deltas "$A" "$INUM_A" "$TMP/a0" "$TMP/a1" >"$TMP/sdiff.a"
rc=$?
snmp_deltas "$B" "$INUM_B" "$TMP/b0" "$TMP/b1" >"$TMP/sdiff.b" || rc=1
log_test "counters: SNMP deltas equal /proc/net/snmp+netstat in A and B" $rc \
	"$(cat "$TMP/sdiff.a" "$TMP/sdiff.b")"
retr=$(awk '$1 == "TcpRetransSegs" { print $2 }' "$TMP/sgot.$INUM_A")
drops=$(loss_count "$B")
echo "  nft dropped $drops request segments; A's TcpRetransSegs +$retr"
[ "${drops:-0}" -gt 0 ] && [ "${retr:-0}" -ge "$drops" ]
log_test "counters: A retransmitted at least what nft dropped ($retr >= $drops)" $?

# --- one namespace by name, pid:N; errors ---
"$TOOL" -w 0 "$B" >"$TMP/one" 2>&1
[ "$(grep -c '^ns ' "$TMP/one")" = 1 ] && grep -qx "ns $INUM_B $B" "$TMP/one" &&
	grep -q "^link $INUM_B [0-9]* b0 " "$TMP/one" && ! grep -q "^link $INUM_A" "$TMP/one"
log_test "counters: one namespace by name: that one only" $?
bg_run "$A" SLEEPER sleep 30
busywait 2000 sh -c "[ \"\$(stat -L -c %i /proc/$SLEEPER/ns/net)\" = $INUM_A ]"
"$TOOL" -w 0 "pid:$SLEEPER" >"$TMP/pid" 2>&1
grep -qx "ns $INUM_A $A" "$TMP/pid"
log_test "counters: pid:N finds the process's namespace (named $A)" $?
"$TOOL" -w 0 ds-no-such-namespace >/dev/null 2>&1
[ $? = 1 ]
log_test "counters: an unknown namespace fails (exit 1)" $?

# --- (f) unprivileged: only its own namespace, the others skipped ---
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
if ! "${NOBODY[@]}" test -x "$TOOL"; then
	log_test "counters: unprivileged run" 4 "nobody cannot execute $TOOL"
	tests_exit
fi
truth "$A" "$TMP/u0"
OUT=$TMP/out.nobody
if tool_start "$OUT" ip netns exec "$A" "${NOBODY[@]}" "$TOOL"; then
	ip netns exec "$A" ping -q -c 20 -i 0.01 -w 10 198.18.0.2 >/dev/null
	busywait 5000 quiet
	tool_stop
	log_test "counters: as nobody in $A: sampled twice" $? "$(cat "$OUT.err")"
else
	log_test "counters: as nobody in $A: started" 1 "$(cat "$OUT.err")"
fi
truth "$A" "$TMP/u1"
[ "$(grep -c '^ns ' "$OUT")" = 1 ] && grep -qx "ns $INUM_A $A" "$OUT"
log_test "counters: as nobody: its own namespace, named and with its inode" $?
read -r _ nskip why <<<"$(grep '^skipped' "$OUT")"
[ "${nskip:-0}" -ge 1 ] && [ "$why" = -1 ]
log_test "counters: as nobody: the others skipped ($nskip, EPERM)" $?
link_deltas "$INUM_A" "$TMP/u0" "$TMP/u1" >"$TMP/diff.u"
rc=$?
snmp_deltas "$A" "$INUM_A" "$TMP/u0" "$TMP/u1" >>"$TMP/diff.u" || rc=1
log_test "counters: as nobody: link and SNMP deltas equal ip's and /proc's" $rc \
	"$(cat "$TMP/diff.u")"
ip netns exec "$A" "${NOBODY[@]}" "$TOOL" -w 0 "$B" >/dev/null 2>&1
[ $? = 3 ]
log_test "counters: as nobody: another namespace by name is exit 3 (EPERM)" $?
tests_exit
