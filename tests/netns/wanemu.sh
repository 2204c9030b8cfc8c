#!/bin/bash
# lab/wanemu against its own truth: delivered rate and the schedule's step
# (nft byte counters at the far end), one-way delay (ping), queue drops
# exactly (nft counters on both sides against the emulator's per-class
# counts), DSCP bleaching (a far-end tcpdump), RED drops.
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd iperf3
require_cmd tcpdump
EMU=${WANEMU:-$DS_ROOT/.output/wanemu}	# WANEMU=.output/asan/wanemu: the sanitized build
[[ -x $EMU ]] || { log_test wanemu 1 "$EMU not built"; tests_exit; }

ns_create A; ns_create P; ns_create B
veth_pair "$A" a0 "$P" pa && veth_pair "$P" pb "$B" b0 || exit 1
for x in "$A a0" "$P pa" "$P pb" "$B b0"; do veth_offloads $x off || exit 1; done
addr_add "$A" a0 198.18.1.1/24 && addr_add "$B" b0 198.18.1.2/24 || exit 1
tmpdir_create D
ip netns exec "$A" nft add table ip t && ip netns exec "$A" nft add chain ip t o '{ type filter hook output priority 0; }' &&
	ip netns exec "$A" nft add rule ip t o udp dport 5201 counter
ip netns exec "$B" nft add table ip t && ip netns exec "$B" nft add chain ip t i '{ type filter hook input priority 0; }' &&
	ip netns exec "$B" nft add rule ip t i udp dport 5201 counter
cnt() { ip netns exec "$1" nft -j list table ip t | jq ".nftables[] | .rule? // empty | .expr[] | .counter? // empty | .$2"; }

# emu NAME ARGS...: start wanemu with ARGS, truth in $D/NAME.ndjson
emu() {
	local n=$1
	shift
	bg_run "$P" EMU_PID "$EMU" --stats "$D/$n.ndjson" "$@" pa pb
	busywait 3000 test -s "$D/$n.ndjson"
}
emu_stop() { kill -TERM "$EMU_PID" && wait "$EMU_PID"; }
summ() { jq -s -r "[.[] | select(.type == \"summary\" and .from == \"pa\")][0] | $2" "$D/$1.ndjson"; }

# 0. idle: no busy polling. 3 s without traffic (stats every 100 ms) cost
# under 1% of a core (getrusage, as wanemu reports it at exit).
ip netns exec "$P" "$EMU" --duration 3 --stats "$D/idle.ndjson" pa pb 2>"$D/idle.err"
cpu=$(awk '/cpu/ { for (i = 1; i <= NF; i++) if ($i == "user" || $i == "sys") s += $(i - 2) } END { print s + 0 }' "$D/idle.err")
awk -v c="$cpu" 'BEGIN { exit !(c < 0.03) }'
log_test "wanemu: idle 3 s costs ${cpu} s of CPU (< 1% of a core)" $?

# 1. delay: 10 ms each way, nothing queued.
emu delay --delay 10 --be 40M
ip netns exec "$A" ping -n -q -c 1 198.18.1.2 >/dev/null	# ARP first, outside the average
rtt=$(ip netns exec "$A" ping -n -q -c 20 -i 0.05 198.18.1.2 | tee "$D/ping_delay.txt" | awk -F/ "/^rtt/ { print \$5 }")
emu_stop
ok=$(awk -v r="$rtt" 'BEGIN { d = r / 2 - 10; print (d > -0.5 && d < 0.5) ? 0 : 1 }')
log_test "wanemu: one-way delay 10 ms within 0.5 ms (rtt ${rtt} ms)" "$ok"

# 2. rate, step, exact drops: 45 Mbit/s of UDP (DSCP 8) into 10 then 20 Mbit/s.
emu rate --delay 5 --be 10M --schedule 0:10M,5:20M --limit 30
bg_run "$B" SRV iperf3 -s -1 -B 198.18.1.2 --logfile "$D/srv.txt"
busywait 3000 ns_listening "$B" 5201
t_go=${EPOCHREALTIME/./}
bg_run "$A" CLI iperf3 -c 198.18.1.2 -u -b 45M -l 1400 -t 9 -S 0x20 --logfile "$D/cli.txt"
sample() { local b; b=$(cnt "$B" bytes); echo "${EPOCHREALTIME/./} $b"; }
nap 1.5; s1=$(sample); nap 2.5; s2=$(sample); nap 1.5; s3=$(sample); nap 2; s4=$(sample)
wait "$CLI"; nap 0.5
emu_stop
rate() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f", (y[2] - x[2]) * 8 / ((y[1] - x[1]) / 1e6) }'; }
r1=$(rate "$s1" "$s2") r2=$(rate "$s3" "$s4")
# nft counts IP bytes, wanemu serializes frames: 1428 of every 1442 bytes.
within() { awk -v r="$1" -v c="$2" 'BEGIN { e = c * 1428 / 1442; exit !(r > e * 0.98 && r < e * 1.02) }'; }
within "$r1" 10000000; log_test "wanemu: delivered rate 10 Mbit/s within 2% (got $r1 bit/s IP)" $?
within "$r2" 20000000; log_test "wanemu: schedule step to 20 Mbit/s within 2% (got $r2 bit/s IP)" $?
sent=$(cnt "$A" packets) got=$(cnt "$B" packets)
drops=$(summ rate '.classes[] | select(.dscp == 8) | .drops_tail + .drops_red + .drops_random')
own=$(summ rate '.sock_rx_drops + .drops_nobuf + .drops_oversize + .send_errors')
[[ $((sent - got)) -eq $drops && $drops -gt 0 && $own -eq 0 ]]
log_test "wanemu: queue drops exact (sent $sent - received $got == $drops, own drops $own)" $?

# 3. DSCP bleach: EF pings arrive with DSCP 10, IPv4 checksum right (replies come back).
emu bleach --dscp bleach=10
cap=$D/bleach.txt
bg_run "$B" tpid timeout 10 tcpdump -l -n -v -i b0 -c 5 icmp >"$cap" 2>/dev/null
nap 1
ip netns exec "$A" ping -n -q -c 5 -i 0.1 -Q 0xb8 198.18.1.2 >"$D/ping.txt"
prc=$?
wait "$tpid" 2>/dev/null
emu_stop
[[ $prc -eq 0 && $(grep -c 'tos 0x28' "$cap") -ge 5 && $(grep -c 'tos 0xb8' "$cap") -eq 0 ]]
log_test "wanemu: bleach=10 rewrites DSCP 46 to 10, checksum valid" $?

# 4. RED: a queue whose average crosses min drops early, before the tail.
emu red --be 10M --limit 60 --red 5,20,0.1,0.02
bg_run "$B" SRV2 iperf3 -s -1 -B 198.18.1.2 --logfile "$D/srv2.txt"
busywait 3000 ns_listening "$B" 5201
ip netns exec "$A" iperf3 -c 198.18.1.2 -u -b 20M -l 1400 -t 3 >/dev/null
nap 0.3
emu_stop
red=$(summ red .drops_red) tail=$(summ red .drops_tail)
[[ $red -gt 0 ]]
log_test "wanemu: RED drops present ($red red, $tail tail)" $?
# 5. Oversize: frames above wanemu's 2048-byte
# slots are its own drops, counted as such: 5 pings of 3000 bytes over a
# 4000-byte MTU (one 3042-byte frame each way at most: none gets through),
# with 3 small ones that must pass.
ip -n "$A" link set a0 mtu 4000 && ip -n "$P" link set pa mtu 4000 || exit 1
emu oversize --delay 1
ip netns exec "$A" ping -n -q -c 3 -i 0.1 -W 1 198.18.1.2 >/dev/null; small=$?
ip netns exec "$A" ping -n -q -c 5 -i 0.1 -W 1 -s 3000 -M dont 198.18.1.2 >/dev/null
emu_stop
ip -n "$A" link set a0 mtu 1500; ip -n "$P" link set pa mtu 1500
over=$(summ oversize .drops_oversize)
[[ $small -eq 0 && $over -eq 5 ]]
log_test "wanemu: 5 frames of 3042 bytes are drops_oversize ($over), small ones pass ($small)" $?

# 6. per direction: --dir b2a gives IF_B -> IF_A its own best effort.
# UDP at 25 Mbit/s each way in turn: 10 Mbit/s A -> B, 20 Mbit/s B -> A,
# each within 2% by the receiver's nft counter.
ip netns exec "$A" nft add table ip t2 && ip netns exec "$A" nft add chain ip t2 i '{ type filter hook input priority 0; }' &&
	ip netns exec "$A" nft add rule ip t2 i udp sport 5201 counter
ip netns exec "$B" nft add table ip t2 && ip netns exec "$B" nft add chain ip t2 i '{ type filter hook input priority 0; }' &&
	ip netns exec "$B" nft add rule ip t2 i udp dport 5201 counter
cnt2() { ip netns exec "$1" nft -j list table ip t2 | jq ".nftables[] | .rule? // empty | .expr[] | .counter? // empty | .bytes"; }
emu perdir --delay 5 --limit 30 --be 10M --dir b2a --be 20M
# dir_rate NS IPERF_ARGS...: the IP bit rate NS receives, seconds 1.5 to 3.5 of 4
dir_rate() {
	local ns=$1 s1 s2
	shift
	bg_run "$B" SRV3 iperf3 -s -1 -B 198.18.1.2 --logfile "$D/srv3.txt"
	busywait 3000 ns_listening "$B" 5201
	bg_run "$A" CLI3 iperf3 -c 198.18.1.2 -u -b 25M -l 1400 -t 4 "$@" --logfile "$D/cli3.txt"
	nap 1.5; s1="${EPOCHREALTIME/./} $(cnt2 "$ns")"; nap 2; s2="${EPOCHREALTIME/./} $(cnt2 "$ns")"
	wait "$CLI3"; wait "$SRV3" 2>/dev/null
	rate "$s1" "$s2"
}
ra=$(dir_rate "$B") rb=$(dir_rate "$A" -R)
emu_stop
within "$ra" 10000000; log_test "wanemu: --dir: A -> B 10 Mbit/s within 2% (got $ra bit/s IP)" $?
within "$rb" 20000000; log_test "wanemu: --dir b2a: B -> A 20 Mbit/s within 2% (got $rb bit/s IP)" $?
tests_exit
