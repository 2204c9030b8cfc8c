#!/bin/bash
# linkstats (rtnetlink via libmnl) against iproute2's view of the same
# namespace: index, name, kind, peer, peer namespace, master, and the 64-bit
# packet/byte/drop counters, after some bounded traffic has moved them.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq

TOOL=$DS_ROOT/.output/tools/linkdump
[ -x "$TOOL" ] || { log_test "linkstats: tool" 4 "not built (make tools)"; exit 4; }
tmpdir_create TMP

lab_pair
ip -n "$CLI_NS" link add br0 type bridge
ip -n "$CLI_NS" link add port0 master br0 type veth peer name port1
ip -n "$CLI_NS" link set br0 up
ip -n "$CLI_NS" link set port0 up
# Bounded traffic: 20 connection attempts to a closed port (SYN, RST each).
for i in $(seq 20); do
	ip netns exec "$CLI_NS" timeout 5 "$DS_BIN" rr "$SRV_IP" --port 9 --timeout 1 \
		>/dev/null 2>&1
done

# ip_view FILE: iproute2's view in our line format. iproute2 gives a peer in
# another namespace as link_index, one in the same namespace by name: map
# names back to indexes.
ip_view() {
	ip -n "$CLI_NS" -s -d -j link show | jq -r '
	(map({(.ifname): .ifindex}) | add) as $idx | .[] | [.ifindex, .ifname,
	(.linkinfo.info_kind // "-"),
	(if .link_index then .link_index elif .link then $idx[.link] else 0 end),
	(if .link_netnsid != null then .link_netnsid else -1 end), 0,
	.stats64.rx.packets, .stats64.tx.packets, .stats64.rx.bytes, .stats64.tx.bytes,
	.stats64.rx.dropped, .stats64.tx.dropped] | map(tostring) | join(" ")' >"$1"
}

# A late IPv6 packet (DAD, MLD) may move a counter between two reads: take
# ours between two equal views of ip's.
for try in 1 2 3 4 5; do
	ip_view "$TMP/ip"
	ip netns exec "$CLI_NS" "$TOOL" >"$TMP/ours" 2>"$TMP/err"
	rc=$?
	ip_view "$TMP/ip2"
	cmp -s "$TMP/ip" "$TMP/ip2" && break
	sleep 0.5
done
log_test "linkstats: dump in a namespace" $rc "$(cat "$TMP/err")"
# ip prints the master by name: check it apart, by index.
master=$(awk '$2 == "port0" {print $6}' "$TMP/ours")
br=$(ip -n "$CLI_NS" -j link show br0 | jq '.[0].ifindex')
awk '{$6 = 0; print}' "$TMP/ours" >"$TMP/ours0"
if diff "$TMP/ip" "$TMP/ours0" >"$TMP/diff"; then
	log_test "linkstats: every field equals ip -s -d -j link ($(wc -l <"$TMP/ours") links)" 0
else
	cat "$TMP/diff"
	log_test "linkstats: every field equals ip -s -d -j link" 1
fi
[ "$master" = "$br" ]
log_test "linkstats: port0's master is br0 (ifindex $br)" $?
peer=$(awk '$2 == "cli0" {print $3, ($4 > 0), ($5 >= 0)}' "$TMP/ours")
[ "$peer" = "veth 1 1" ] && [ "$(awk '$2 == "cli0" {print ($7 > 0 && $8 > 0)}' "$TMP/ours")" = 1 ]
log_test "linkstats: cli0 is a veth with a peer in another namespace, counters moved" $?
# The kernel's reason comes back through the extended ack, as iproute2 shows it.
out=$(ip netns exec "$CLI_NS" "$TOOL" badkind)
want=$(ip -n "$CLI_NS" link add dsbad0 type nosuchkind 2>&1)
[[ "$out" == "-95 "* ]] && [ -n "${out#-95 }" ] && [[ "$want" == *"${out#-95 }"* ]]
log_test "nl: error with the kernel's extack message ('${out#* }' / ip: '$want')" $?
# A dump whose callback failed is read to its end: the socket still works.
out=$(ip netns exec "$CLI_NS" "$TOOL" abort)
[ "$out" = "-12 0 $(ip -n "$CLI_NS" -j link show | jq length)" ]
log_test "nl: after a failed callback the same socket dumps again ($out)" $?
tests_exit
