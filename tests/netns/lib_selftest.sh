#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# lib_selftest.sh - proves tests/lib.sh: everything it creates is gone after
# any way out, and loss_add drops exactly the TCP segments that carry payload,
# counts every drop, and never touches SYN, FIN, RST or pure ACKs.
#
# shellcheck disable=SC2016 # perl and bash -c bodies expand in the child
# shellcheck disable=SC2317 # helpers called through busywait

# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd ip nft jq ethtool ss timeout iperf3 perl

PORT=5201
tmpdir_create TMP

# A TCP sink that never sends payload: accepts, reads to EOF, closes (FIN),
# so nothing it was sent is ever aborted by a RST.  Bounded by alarm.
# Args: ADDR PORT [once]; with "once" it serves one connection, prints the
# bytes it read and exits.
SINK_PL='
use strict; use warnings; use Socket qw(:all);
my ($addr, $port, $once) = @ARGV;
alarm 25;
my $v6 = $addr =~ /:/;
my $af = $v6 ? AF_INET6 : AF_INET;
my $sa = $v6 ? pack_sockaddr_in6($port, inet_pton(AF_INET6, $addr))
	     : pack_sockaddr_in($port, inet_aton($addr));
socket(my $l, $af, SOCK_STREAM, IPPROTO_TCP) or die "socket: $!";
setsockopt($l, SOL_SOCKET, SO_REUSEADDR, 1) or die "setsockopt: $!";
bind($l, $sa) or die "bind: $!";
listen($l, 16) or die "listen: $!";
while (accept(my $c, $l)) {
	my ($buf, $n, $total) = ("", 0, 0);
	$total += $n while ($n = sysread($c, $buf, 65536));
	close($c);
	if ($once) { print "$total\n"; last; }
}'

# Sends hand-built TCP segments through a raw socket (the kernel fills in the
# IPv4 checksum; TCP checksums stay 0: the stack drops them after the input
# hook, which is all we look at).  Args: SRC DST SPEC...; SPEC is
# IPHDR:DOFF:FLAGS:PAYLEN:DPORT where IPHDR is the IPv4 IHL, or for IPv6 "-"
# (TCP right after the fixed header) or "hbh" (a hop-by-hop header first).
CRAFT_PL='
use strict; use warnings; use Socket qw(:all);
my ($src, $dst, @specs) = @ARGV;
my $v6 = $dst =~ /:/;
socket(my $s, $v6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW) or die "socket: $!";
my $to = $v6 ? pack_sockaddr_in6(0, inet_pton(AF_INET6, $dst))
	     : pack_sockaddr_in(0, inet_aton($dst));
my %bit = (F => 1, S => 2, R => 4, P => 8, A => 16);
my $seq = 1000;
for my $spec (@specs) {
	my ($iph, $doff, $flags, $plen, $dport) = split /:/, $spec;
	my $fl = 0;
	$fl |= $bit{$_} for split //, $flags;
	my $tcp = pack("nnNNCCnnn", 40000, $dport, $seq++, 1, $doff << 4, $fl, 65535, 0, 0)
		. ("\x01" x (4 * ($doff - 5))) . ("x" x $plen);
	my $pkt;
	if (!$v6) {
		my $opts = "\x01" x (4 * ($iph - 5));	# IP options: NOPs
		$pkt = pack("CCnnnCCna4a4", 0x40 | $iph, 0, 4 * $iph + length $tcp, 0,
			    0x4000, 64, 6, 0, inet_aton($src), inet_aton($dst)) . $opts . $tcp;
	} else {
		my ($nh, $ext) = (6, "");
		($nh, $ext) = (0, pack("CCCCN", 6, 0, 1, 4, 0)) if $iph eq "hbh";  # PadN
		$pkt = pack("NnCC", 0x60000000, length($ext) + length($tcp), $nh, 64)
			. inet_pton(AF_INET6, $src) . inet_pton(AF_INET6, $dst) . $ext . $tcp;
	}
	send($s, $pkt, 0, $to) or die "send $spec: $!";
}'

# ok_if_empty WHY: 0 when WHY is empty, else 1 (a log_test RC).
ok_if_empty() {
	[[ -z $1 ]] && echo 0 || echo 1
}

# ns_gone NS: true when NS is no longer listed by ip netns.
ns_gone() {
	! ip netns list | awk '{ print $1 }' | grep -qxF "$1"
}

# sleep_gone PID: true unless PID is still our "sleep 30".
sleep_gone() {
	local cmd
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 0
	[[ $cmd != "sleep 30 " ]]
}

# peer_states NS PORT: TCP states of sockets in NS talking to remote PORT.
peer_states() {
	ip netns exec "$1" ss -Htan "dport = :$2" | awk '{ print $1 }'
}

# tcp_settled NS: no socket in NS still has data or a FIN in flight.
tcp_settled() {
	[[ -z $(ip netns exec "$1" ss -Htn state established state syn-sent \
		state fin-wait-1 state closing state last-ack) ]]
}

# counter_at_least NS TABLE N: the table's drop counter has reached N.
counter_at_least() {
	local n
	n=$(loss_count "$1" "$2") && ((n >= $3))
}

# ---------------------------------------------------------------------------
# Cleanup: a child that sources lib.sh, builds a pair, a loss table and a
# background sleep, then dies by `set -e` error or by TERM.

CHILD_SH='
set -eu
source "$DS_ROOT/tests/lib.sh"
lab_pair off
loss_add "$SRV_NS" 10
bg_run "$SRV_NS" spid sleep 30
kill -0 "$spid"
defer echo "deferred first"
defer false
defer echo "deferred last"
printf "%s %s %s\n" "$CLI_NS" "$SRV_NS" "$spid" >"$1.tmp"
mv "$1.tmp" "$1"
case $2 in
error) false ;;
term) wait "$spid" ;;
esac
echo "not reached"
'

# check_child_cleanup NAME WANT_RC RC STATE OUT: namespaces, sleep and order after a child exit.
check_child_cleanup() {
	local name=$1 want_rc=$2 rc=$3 state=$4 out=$5 cli srv spid why=""

	read -r cli srv spid 2>/dev/null <"$state" || why="child built nothing"
	if [[ -z $why ]]; then
		[[ $rc == "$want_rc" ]] || why="exit $rc, want $want_rc"
		ns_gone "$cli" && ns_gone "$srv" || why+=" namespace left"
		sleep_gone "$spid" || why+=" sleep $spid left"
		[[ $(grep '^deferred' "$out" | tr '\n' ,) == "deferred last,deferred first," ]] ||
			why+=" defer order/abort"
	fi
	[[ -z $why ]] || sed 's/^/# child: /' "$out"
	log_test "$name" "$(ok_if_empty "$why")" "$why"
}

test_cleanup() {
	local state out rc cpid

	state=$TMP/err.state out=$TMP/err.out
	bash -c "$CHILD_SH" child "$state" error >"$out" 2>&1
	rc=$?
	check_child_cleanup "cleanup: error exit removes namespaces, nft, processes" 1 "$rc" "$state" "$out"

	state=$TMP/term.state out=$TMP/term.out
	bash -c "$CHILD_SH" child "$state" term >"$out" 2>&1 &
	cpid=$!
	busywait 10000 test -s "$state"
	kill -TERM "$cpid" 2>/dev/null
	wait "$cpid"
	rc=$?
	check_child_cleanup "cleanup: SIGTERM removes namespaces, nft, processes" 143 "$rc" "$state" "$out"
}

# ---------------------------------------------------------------------------
# The reporting and the guards fail when they should.

test_reporting() {
	local out rc why=""

	out=$(bash -c 'source "$DS_ROOT/tests/lib.sh"; log_test a 0; log_test b 1 why; log_test c 4 later; tests_exit' 2>&1)
	rc=$?
	((rc == 1)) || why="tests_exit after a FAIL: exit $rc"
	grep -qE '^TEST: b +\[FAIL\] why$' <<<"$out" || why+=" no FAIL line"
	grep -qE '^TEST: c +\[SKIP\] later$' <<<"$out" || why+=" no SKIP line"
	out=$(bash -c 'source "$DS_ROOT/tests/lib.sh"; require_cmd sh ds-no-such-command; echo reached' 2>&1)
	rc=$?
	((rc == 4)) || why+=" require_cmd: exit $rc"
	grep -qE '^TEST: .*\[SKIP\] needs ds-no-such-command$' <<<"$out" || why+=" require_cmd: no SKIP line"
	log_test "log_test, tests_exit, require_cmd report FAIL and SKIP" "$(ok_if_empty "$why")" "$why"

	why=""
	lab_pair
	addr_add "$CLI_NS" cli0 10.0.0.1/24 2>/dev/null && why="took 10.0.0.1"
	addr_add "$CLI_NS" cli0 2001:db8::1/64 2>/dev/null && why+=" took 2001:db8::1"
	addr_add "$CLI_NS" cli0 2001:2:1::1/64 2>/dev/null && why+=" took 2001:2:1::1"
	addr_add "$CLI_NS" cli0 198.20.0.1/24 2>/dev/null && why+=" took 198.20.0.1"
	addr_add "$CLI_NS" cli0 198.19.255.1/24 || why+=" refused 198.19.255.1"
	addr_add "$CLI_NS" cli0 2001:2:0:ff::1/64 || why+=" refused 2001:2:0:ff::1"
	loss_add "$SRV_NS" 1001 2>/dev/null && why+=" took permille 1001"
	loss_add "$SRV_NS" 2% 2>/dev/null && why+=" took permille 2%"
	loss_add "$SRV_NS" 1/0 2>/dev/null && why+=" took 1/0"
	[[ -z $(ip netns exec "$CLI_NS" ip route show default) ]] || why+=" default route"
	log_test "addr_add and loss_add refuse what they must" "$(ok_if_empty "$why")" "$why"
}

# ---------------------------------------------------------------------------
# Control segments at 100% payload loss on both sides: the handshake, both
# FINs and a RST still get through and are not counted; one byte is dropped.

test_control() {
	local fam=$1 srv=$2 st ct spid rc t0 t1 why drops

	lab_pair off
	loss_add "$SRV_NS" 1000
	st=$LOSS_TABLE
	loss_add "$CLI_NS" 1000
	ct=$LOSS_TABLE
	bg_run "$SRV_NS" spid perl -e "$SINK_PL" "$srv" "$PORT"
	busywait 5000 ns_listening "$SRV_NS" "$PORT"

	# connect, close: SYN, SYN-ACK, ACK, FIN, FIN, ACK, no payload
	timeout 5 ip netns exec "$CLI_NS" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$srv" "$PORT"
	rc=$?
	why=""
	((rc == 0)) || why="connect failed ($rc)"
	busywait 3000 eval '[[ $(peer_states "$CLI_NS" "$PORT") == TIME-WAIT ]]' ||
		why+=" client not in TIME-WAIT: $(peer_states "$CLI_NS" "$PORT" | tr '\n' ' ')"
	drops="$(loss_count "$SRV_NS" "$st")/$(loss_count "$CLI_NS" "$ct")"
	[[ $drops == 0/0 ]] || why+=" drops srv/cli $drops"
	log_test "$fam 100%: handshake and FINs pass, nothing counted" "$(ok_if_empty "$why")" "$why"

	# a closed port answers RST, which must reach the client at once
	t0=${EPOCHREALTIME//[!0-9]/}
	timeout 5 ip netns exec "$CLI_NS" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$srv" 9 2>/dev/null
	rc=$?
	t1=${EPOCHREALTIME//[!0-9]/}
	why=""
	((rc == 1)) || why="connect to closed port: exit $rc"
	(((t1 - t0) / 1000 < 900)) || why+=" refused after $(((t1 - t0) / 1000)) ms (RST lost?)"
	drops="$(loss_count "$SRV_NS" "$st")/$(loss_count "$CLI_NS" "$ct")"
	[[ $drops == 0/0 ]] || why+=" drops srv/cli $drops"
	log_test "$fam 100%: RST passes, nothing counted" "$(ok_if_empty "$why")" "$why"

	# one byte of payload is dropped (and keeps being retransmitted)
	timeout 5 ip netns exec "$CLI_NS" bash -c 'exec 3<>"/dev/tcp/$1/$2"; printf x >&3' _ "$srv" "$PORT"
	busywait 3000 counter_at_least "$SRV_NS" "$st" 1
	log_test "$fam 100%: a 1-byte segment is dropped and counted" $? \
		"drops $(loss_count "$SRV_NS" "$st")"
}

# ---------------------------------------------------------------------------
# Hand-built segments at 100%: exactly the ones with payload (and not sent to
# the MATCH-excluded port 9) are counted, over IPv4 options and TCP options.

test_crafted() {
	local fam=$1 src=$2 dst=$3 want=$4 got seen why=""

	shift 4
	lab_pair off
	loss_add "$SRV_NS" 1000 tcp dport != 9
	if ! ip netns exec "$CLI_NS" perl -e "$CRAFT_PL" "$src" "$dst" "$@"; then
		log_test "$fam crafted: exactly the $want payload segments dropped" 1 "raw send failed"
		return
	fi
	busywait 2000 counter_at_least "$SRV_NS" "$LOSS_TABLE" "$want"
	sleep 0.2	# would a stray extra drop still arrive?
	got=$(loss_count "$SRV_NS")
	seen=$(loss_seen "$SRV_NS")
	[[ $got == "$want" ]] || why="dropped $got"
	[[ $seen == "$want" ]] || why+=" seen $seen"
	log_test "$fam crafted: exactly the $want payload segments dropped" "$(ok_if_empty "$why")" "$why"
}

# ---------------------------------------------------------------------------
# Bulk transfers through PERMILLE loss on the server's input.  iperf3 is the
# realistic one; but with -n the client ends the test once it has *written*
# the bytes, and the server then closes a data socket that still has data in
# flight, so the kernel answers with RST and some dropped segments are never
# retransmitted.  The retransmission bound is therefore checked on a plain
# stream into a sink that reads to EOF: there every dropped segment has to
# be sent again.

XFER_BYTES=4194304

# transfer iperf3|sink ADDR PERMILLE: sets XFER_WHY ("" on success), RCVD, DROPS, SEEN, RETRANS.
transfer() {
	local kind=$1 addr=$2 permille=$3 spid r0 r1 rc log=$TMP/$1.$2.${3//\//-}

	lab_pair off
	# A retransmission may merge small segments into one; without that,
	# every dropped segment costs at least one RetransSegs.
	ns_sysctl "$CLI_NS" net.ipv4.tcp_retrans_collapse=0
	loss_add "$SRV_NS" "$permille"
	r0=$(snmp_get "$CLI_NS" TcpRetransSegs)
	XFER_WHY=""
	RCVD=""
	if [[ $kind == iperf3 ]]; then
		bg_run "$SRV_NS" spid timeout 30 iperf3 -s -1 -B "$addr" -p "$PORT" >"$log.srv" 2>&1
	else
		bg_run "$SRV_NS" spid perl -e "$SINK_PL" "$addr" "$PORT" once >"$log.srv" 2>&1
	fi
	busywait 5000 ns_listening "$SRV_NS" "$PORT" || XFER_WHY="server did not listen"
	if [[ $kind == iperf3 ]]; then
		timeout 30 ip netns exec "$CLI_NS" iperf3 -c "$addr" -p "$PORT" -n "$XFER_BYTES" \
			--connect-timeout 3000 >"$log" 2>&1
	else
		timeout 30 ip netns exec "$CLI_NS" bash -c \
			'head -c "$3" /dev/zero >"/dev/tcp/$1/$2"' _ "$addr" "$PORT" "$XFER_BYTES" >"$log" 2>&1
	fi
	rc=$?
	((rc == 0)) || XFER_WHY+=" client exit $rc"
	wait "$spid"
	rc=$?
	((rc == 0)) || XFER_WHY+=" server exit $rc"
	[[ $kind == sink ]] && RCVD=$(tail -n 1 "$log.srv")
	[[ -z $XFER_WHY ]] || sed 's/^/# server: /' "$log.srv"
	[[ -z $XFER_WHY ]] || sed 's/^/# client: /' "$log"
	# Orphaned sockets may still be retransmitting after the client exited.
	busywait 5000 tcp_settled "$CLI_NS" || XFER_WHY+=" client sockets not settled"
	DROPS=$(loss_count "$SRV_NS")
	SEEN=$(loss_seen "$SRV_NS")
	r1=$(snmp_get "$CLI_NS" TcpRetransSegs)
	RETRANS=$((r1 - r0))
	log_info "$kind to $addr at $permille/1000: payload segments $SEEN," \
		"dropped $DROPS, client retransmitted $RETRANS${RCVD:+, sink read $RCVD bytes}"
}

# within_binomial N K PERMILLE: K is within 5 sigma (+1) of N*p.
within_binomial() {
	awk -v n="$1" -v k="$2" -v p="$3" 'BEGIN {
		p /= 1000; m = n * p; s = sqrt(n * p * (1 - p))
		d = k - m; if (d < 0) d = -d
		exit !(d <= 5 * s + 1)
	}'
}

test_loss() {
	local fam=$1 addr=$2

	transfer iperf3 "$addr" 20
	log_test "$fam 2%: iperf3 transfer completes (handshake, FIN pass)" "$(ok_if_empty "$XFER_WHY")" "$XFER_WHY"
	((DROPS > 0))
	log_test "$fam 2%: iperf3 drops counted" $? "drops $DROPS"

	transfer sink "$addr" 20
	[[ -z $XFER_WHY && $RCVD == "$XFER_BYTES" ]]
	log_test "$fam 2%: stream to sink delivers every byte" $? "$XFER_WHY read ${RCVD:-nothing}"
	((DROPS > 0 && RETRANS >= DROPS))
	log_test "$fam 2%: client retransmits >= nft drops > 0" $? "retransmits $RETRANS drops $DROPS"
	within_binomial "$SEEN" "$DROPS" 20
	log_test "$fam 2%: drop rate matches permille" $? "$DROPS of $SEEN"
}

# 1/N: every Nth payload segment, exactly floor(seen / N) of them.
test_every() {
	transfer sink 198.18.0.2 1/50
	[[ -z $XFER_WHY && $RCVD == "$XFER_BYTES" ]] && ((SEEN > 50 && DROPS == SEEN / 50))
	log_test "ipv4 1/50: every 50th payload segment dropped ($DROPS of $SEEN)" $? \
		"$XFER_WHY read ${RCVD:-nothing}"
}

test_no_loss() {
	transfer iperf3 198.18.0.2 0
	[[ -z $XFER_WHY ]] && ((SEEN > 0 && DROPS == 0))
	log_test "ipv4 0%: transfer seen by the rules, nothing dropped" $? \
		"$XFER_WHY seen $SEEN drops $DROPS"
}

log_info "lib.sh self-test: cleanup, control segments, crafted segments, bulk loss"
test_cleanup
test_reporting

# Pure control segments, then payload, over IPv4 options and TCP options.
test_crafted ipv4 198.18.0.1 198.18.0.2 6 \
	5:5:S:0:80 5:5:F:0:80 5:5:R:0:80 5:5:A:0:80 5:10:S:0:80 5:15:FA:0:80 \
	6:5:S:0:80 15:15:RA:0:80 \
	5:5:PA:1:80 5:8:PA:1:80 5:15:PA:1:80 6:5:PA:1:80 15:15:PA:1:80 15:5:FA:1:80 \
	5:5:PA:1:9 6:8:PA:100:9
# The hop-by-hop segment is the documented gap: extension headers pass.
test_crafted ipv6 2001:2::1 2001:2::2 3 \
	-:5:S:0:80 -:10:SA:0:80 -:5:R:0:80 -:15:FA:0:80 \
	-:5:PA:1:80 -:10:PA:1:80 -:15:PA:1:80 \
	hbh:5:PA:1:80 hbh:5:S:0:80 -:5:PA:1:9

test_control ipv4 198.18.0.2
test_control ipv6 2001:2::2
test_loss ipv4 198.18.0.2
test_loss ipv6 2001:2::2
test_no_loss
test_every

tests_exit
