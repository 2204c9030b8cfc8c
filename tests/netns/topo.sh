#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
#
# topo.sh - topo_collect() (tests/tools/topodump) against what ip, tc,
# ethtool and sysfs say of a lab built here, and the PIDs started here:
#   A: a0 --veth-- B: b0 (HTB root 1:, class 1:10, bfifo 10:)
#   B: bridge br0 with port bp0 (veth bp0-bp1, both in B)
#   A: a1 --veth-- H: h0, GRO off on a0 and on on b0, ingress qdisc on a1
#   H: macvtap mvt0 (bridge, txqueuelen 8) on h0, its char device mknod'ed
#      here and held as fd 3 by a sleep (as QEMU holds -netdev tap,fd=3);
#      macvtap mvt1 (vepa) on h0, held by no one
#   V: tap0 held by tapholder; tapm created in H by its tapholder (which
#      stays in H), then moved to V; H gets another, reader-less tapm
#   E1..E6: three more veth pairs, for the timing (>= 10 namespaces)
# Checks: every field per device against `ip -d -j link`, the qdisc trees
# against `tc -j qdisc`, GRO/GSO/TSO against `ethtool -k`, peers, lower
# devices and masters by construction, each macvtap's dev_t against its
# sysfs dev file, the readers against the PIDs; a namespace subset; the
# text line; that nothing changed; -EPERM without privilege; < 200 ms.
# shellcheck disable=SC2317,SC2153 # helpers called through busywait; NS_* set by ns_create
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"
require_root
require_cmd jq ethtool tc setpriv
TOOL=$DS_ROOT/.output/tools/topodump
HOLDER=$DS_ROOT/.output/tools/tapholder
for t in "$TOOL" "$HOLDER"; do
	[[ -x $t ]] || { log_test "topo: tools" 4 "needs $t (make tools)"; exit 4; }
done
tmpdir_create TMP

# inum NS: the inode of namespace NS, as topo_collect() keys it.
inum() {
	stat -L -c %i "/run/netns/$1"
}

# holder_ready FILE: true once a tapholder printed "ready" into FILE.
holder_ready() {
	grep -qx ready "$1" 2>/dev/null
}

# holds_fd3 PID NODE: true once PID is a sleep with NODE open as fd 3.
holds_fd3() {
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == sleep && $(readlink "/proc/$1/fd/3") == "$2" ]]
}

build() {
	local devno

	ns_create NS_A && ns_create NS_B && ns_create NS_H && ns_create NS_V || return 1
	veth_pair "$NS_A" a0 "$NS_B" b0 && veth_pair "$NS_A" a1 "$NS_H" h0 || return 1
	addr_add "$NS_A" a0 198.18.40.1/24 && addr_add "$NS_B" b0 198.18.40.2/24 || return 1
	ip -n "$NS_B" link add br0 type bridge &&
		ip -n "$NS_B" link add bp0 type veth peer name bp1 &&
		ip -n "$NS_B" link set bp0 master br0 &&
		ip -n "$NS_B" link set br0 up && ip -n "$NS_B" link set bp0 up &&
		ip -n "$NS_B" link set bp1 up || return 1
	tc -n "$NS_B" qdisc add dev b0 root handle 1: htb default 10 &&
		tc -n "$NS_B" class add dev b0 parent 1: classid 1:10 htb rate 100mbit &&
		tc -n "$NS_B" qdisc add dev b0 parent 1:10 handle 10: bfifo limit 30000 &&
		tc -n "$NS_A" qdisc add dev a1 ingress || return 1
	# veth starts with GRO off: turn it on at b0, so both states are seen.
	ip netns exec "$NS_A" ethtool -K a0 gro off && ip netns exec "$NS_B" ethtool -K b0 gro on ||
		return 1
	ip -n "$NS_H" link add link h0 name mvt0 txqueuelen 8 type macvtap mode bridge &&
		ip -n "$NS_H" link add link h0 name mvt1 type macvtap mode vepa &&
		ip -n "$NS_H" link set mvt0 up || return 1
	devno=$(ip netns exec "$NS_H" sh -c 'cat /sys/class/net/mvt0/macvtap/tap*/dev')
	mknod "$TMP/mvt0" c "${devno%:*}" "${devno#*:}" || return 1
	# shellcheck disable=SC2016 # $1 is the inner bash's
	bg_run "$NS_H" MVT_PID bash -c 'exec 3<>"$1"; exec sleep 60' _ "$TMP/mvt0"
	busywait 3000 holds_fd3 "$MVT_PID" "$TMP/mvt0" || { echo "no sleep holds mvt0" >&2; return 1; }
	bg_run "$NS_V" TAP_PID "$HOLDER" -t 60 tap tap0 >"$TMP/tap0.out"
	bg_run "$NS_H" MOVED_PID "$HOLDER" -t 60 tap tapm >"$TMP/tapm.out"
	if ! busywait 3000 holder_ready "$TMP/tap0.out" ||
		! busywait 3000 holder_ready "$TMP/tapm.out"; then
		echo "tapholder did not start" >&2
		return 1
	fi
	ip -n "$NS_H" link set tapm netns "$NS_V" &&
		ip -n "$NS_H" tuntap add tapm mode tap || return 1
	for _ in 1 2 3; do
		ns_create E1 && ns_create E2 && veth_pair "$E1" e1 "$E2" e2 || return 1
		EXTRA+=("$E1" "$E2")
	done
}

EXTRA=()
if ! build; then
	log_test "topo: lab built" 1
	tests_exit
fi
NSS=("$NS_A" "$NS_B" "$NS_H" "$NS_V")

# snapshot FILE: what must not change: links (but the bridge's running timers), qdiscs, nsids.
snapshot() {
	local ns
	for ns in "${NSS[@]}" "${EXTRA[@]}"; do
		ip -n "$ns" -d -j link show | jq -c 'walk(if type == "object" then
			with_entries(select(.key | test("_timer$") | not)) else . end)'
		tc -n "$ns" -j qdisc show
		ip -n "$ns" netns list-id
	done >"$1"
}

snapshot "$TMP/before"
"$TOOL" >"$TMP/topo.json" 2>"$TMP/topo.err"
rc=$?
snapshot "$TMP/after"
log_test "topo: topodump of every namespace ($(head -1 "$TMP/topo.err"))" $rc "$(cat "$TMP/topo.err")"
jq -e . "$TMP/topo.json" >/dev/null
log_test "topo: valid JSON" $?
cmp -s "$TMP/before" "$TMP/after"
log_test "topo: links, qdiscs and nsids unchanged (and the thread came back)" $?

# Namespaces: each lab one by inode and name.
bad=""
for ns in "${NSS[@]}" "${EXTRA[@]}"; do
	jq -e --argjson i "$(inum "$ns")" --arg n "$ns" \
		'[.namespaces[] | select(.netns_inum == $i and .netns == $n)] | length == 1' \
		"$TMP/topo.json" >/dev/null || bad+=" $ns"
done
[[ -z $bad ]]
log_test "topo: every lab namespace by inode and name" $? "missing:$bad"

# dev NS IF: topodump's device IF of namespace NS, as compact JSON.
dev() {
	jq -c --argjson i "$(inum "$1")" --arg d "$2" \
		'.devices[] | select(.netns_inum == $i and .ifname == $d)' "$TMP/topo.json"
}

# Every device's own fields, namespace by namespace, as ip sees them.
for ns in "${NSS[@]}"; do
	ip -n "$ns" -d -j link show | jq -c 'map({ifindex, ifname,
		kind: (.linkinfo.info_kind // (if any(.flags[]; . == "LOOPBACK") then "loopback"
			else "device" end)),
		mode: (if .linkinfo.info_kind == "tun" then .linkinfo.info_data.type
			elif .linkinfo.info_kind == "macvtap" or .linkinfo.info_kind == "macvlan"
			then .linkinfo.info_data.mode else null end),
		mtu, txqueuelen: .txqlen, operstate: (.operstate | ascii_downcase),
		up: any(.flags[]; . == "UP"), lower_up: any(.flags[]; . == "LOWER_UP")})
		| sort_by(.ifindex)' >"$TMP/ip.$ns"
	jq -c --argjson i "$(inum "$ns")" '[.devices[] | select(.netns_inum == $i) |
		{ifindex, ifname, kind, mode, mtu, txqueuelen, operstate, up, lower_up}]
		| sort_by(.ifindex)' "$TMP/topo.json" >"$TMP/ours.$ns"
	if diff <(jq . "$TMP/ip.$ns") <(jq . "$TMP/ours.$ns") >"$TMP/diff"; then
		log_test "topo: $ns: $(jq length "$TMP/ip.$ns") devices as ip -d -j link shows them" 0
	else
		cat "$TMP/diff"
		log_test "topo: $ns: devices as ip -d -j link shows them" 1
	fi
done

# Qdisc trees as tc shows them (as sets: tc lists them in hash order).
bad=""
for ns in "${NSS[@]}"; do
	for d in $(ip -n "$ns" -j link show | jq -r '.[].ifname'); do
		want=$(tc -n "$ns" -j qdisc show dev "$d" | jq -c '[.[] | {handle,
			parent: (if .root then "root" else .parent end), kind}] | sort_by(.handle)')
		got=$(dev "$ns" "$d" | jq -c '.qdiscs | sort_by(.handle)')
		[[ $want == "$got" ]] || bad+=" $d:$got!=$want"
	done
done
[[ -z $bad ]]
log_test "topo: every device's qdiscs as tc -j qdisc shows them" $? "$bad"
[[ $(dev "$NS_B" b0 | jq -r .qdisc) == "htb 1: root" &&
	$(dev "$NS_A" a0 | jq -r .qdisc) == noqueue &&
	$(dev "$NS_A" a1 | jq -c '[.qdisc, .qdiscs[0].kind, .qdiscs[1].parent]') == '["noqueue","noqueue","ffff:fff1"]' ]]
log_test "topo: qdisc summary 'htb 1: root' on b0, 'noqueue' on a0 and on a1 (root before ingress)" $?

# Offloads as ethtool -k names them.
bad=""
for ns in "${NSS[@]}"; do
	for d in $(ip -n "$ns" -j link show | jq -r '.[].ifname'); do
		want=$(ip netns exec "$ns" ethtool -k "$d" | awk '
			/^generic-receive-offload:/ { g = $2 } /^generic-segmentation-offload:/ { s = $2 }
			/^tcp-segmentation-offload:/ { t = $2 } END { print g, s, t }')
		got=$(dev "$ns" "$d" | jq -r '.offloads | "\(.gro) \(.gso) \(.tso)"')
		[[ $want == "$got" ]] || bad+=" $d:'$got'!='$want'"
	done
done
[[ -z $bad ]]
log_test "topo: GRO/GSO/TSO of every device as ethtool -k shows them" $? "$bad"
[[ $(dev "$NS_A" a0 | jq -r .offloads.gro) == off && $(dev "$NS_B" b0 | jq -r .offloads.gro) == on ]]
log_test "topo: GRO off on a0, on at its peer b0 (ethtool -K)" $?

# link_is NS IF KEY PEER_NS PEER_IF: KEY (peer, lower) of IF is PEER_IF of PEER_NS, by index, inode and name.
link_is() {
	local want_idx want_nsid
	want_idx=$(ip -n "$4" -j link show dev "$5" | jq '.[0].ifindex')
	want_nsid=$(ip -n "$1" -j link show dev "$2" | jq '.[0].link_netnsid // -1')
	dev "$1" "$2" | jq -e --arg k "$3" --argjson idx "$want_idx" --argjson i "$(inum "$4")" \
		--arg n "$5" --argjson nsid "$want_nsid" '.[$k] | .ifindex == $idx and
		.netns_inum == $i and .ifname == $n and (.netnsid // -1) == $nsid' >/dev/null
}
link_is "$NS_A" a0 peer "$NS_B" b0 && link_is "$NS_B" b0 peer "$NS_A" a0 &&
	link_is "$NS_H" h0 peer "$NS_A" a1 && link_is "$NS_B" bp0 peer "$NS_B" bp1
log_test "topo: veth peers across namespaces (netnsid as ip says) and within one" $?
link_is "$NS_H" mvt0 lower "$NS_H" h0 && link_is "$NS_H" mvt1 lower "$NS_H" h0 &&
	[[ $(dev "$NS_H" mvt0 | jq -r '"\(.mode) \(.txqueuelen)"') == "bridge 8" &&
		$(dev "$NS_H" mvt1 | jq -r .mode) == vepa ]]
log_test "topo: macvtaps on h0: mvt0 bridge with txqueuelen 8, mvt1 vepa" $?
br=$(ip -n "$NS_B" -j link show dev br0 | jq '.[0].ifindex')
dev "$NS_B" bp0 | jq -e --argjson b "$br" '.master == {ifindex: $b, ifname: "br0"}' >/dev/null &&
	[[ $(dev "$NS_B" br0 | jq -r .kind) == bridge && -z $(dev "$NS_B" b0 | jq -r '.master // empty') ]]
log_test "topo: bp0's master is bridge br0 (ifindex $br), b0 has none" $?

# Readers and the macvtaps' device numbers.
bad=""
for m in mvt0 mvt1; do
	want=$(ip netns exec "$NS_H" sh -c "cat /sys/class/net/$m/macvtap/tap*/dev")
	got=$(dev "$NS_H" $m | jq -r .chardev)
	idx=$(dev "$NS_H" $m | jq -r .ifindex)
	log_info "$m: ifindex $idx, char device $got"
	[[ $want == "$got" ]] || bad+=" $m:$got!=$want"
done
[[ -z $bad ]]
log_test "topo: macvtap device numbers as their sysfs dev files say" $? "$bad"
[[ $(dev "$NS_H" mvt0 | jq -c .readers) == "[{\"pid\":$MVT_PID,\"comm\":\"sleep\"}]" &&
	$(dev "$NS_H" mvt1 | jq -c .readers) == "[]" ]]
log_test "topo: mvt0 read through fd 3 of its mknod'ed node (pid $MVT_PID), mvt1 by none" $? \
	"$(dev "$NS_H" mvt0 | jq -c .readers)"
[[ $(dev "$NS_V" tap0 | jq -c '[.mode, .readers]') == "[\"tap\",[{\"pid\":$TAP_PID,\"comm\":\"tapholder\"}]]" ]]
log_test "topo: tap0 in V read by tapholder $TAP_PID" $? "$(dev "$NS_V" tap0 | jq -c .readers)"
[[ $(dev "$NS_V" tapm | jq -c .readers) == "[{\"pid\":$MOVED_PID,\"comm\":\"tapholder\"}]" &&
	$(dev "$NS_H" tapm | jq -c .readers) == "[]" ]]
log_test "topo: tapm moved to V keeps its reader $MOVED_PID (in H), H's own tapm has none" $? \
	"V: $(dev "$NS_V" tapm | jq -c .readers) H: $(dev "$NS_H" tapm | jq -c .readers)"
[[ -z $(jq -r '.note // empty' "$TMP/topo.json") ]]
log_test "topo: nothing left unknown (no note)" $? "$(jq -r .note "$TMP/topo.json")"

# Only A: its devices alone; a0's peer known by inode and index, not by name.
"$TOOL" "$NS_A" >"$TMP/a.json" 2>"$TMP/a.err"
jq -e --argjson a "$(inum "$NS_A")" --argjson b "$(inum "$NS_B")" '(.namespaces | length == 1) and
	all(.devices[]; .netns_inum == $a) and (.devices[] | select(.ifname == "a0") |
	.peer.netns_inum == $b and .peer.ifname == null)' "$TMP/a.json" >/dev/null
log_test "topo: one namespace asked, one collected; a0's peer by inode only" $? "$(cat "$TMP/a.err")"

# The text form.
"$TOOL" -t >"$TMP/topo.txt" 2>/dev/null
grep -Eq "^  mvt0 \(macvtap bridge on h0, txqueuelen 8, mtu 1500, up, qdisc [a-z_]+(, [a-z]+ off)*, reader $MVT_PID sleep\)$" \
	"$TMP/topo.txt"
log_test "topo: text line of mvt0" $? "$(grep mvt0 "$TMP/topo.txt")"

# Without privilege: -EPERM (exit 3) and a reason, nothing else.
setpriv --reuid=65534 --regid=65534 --clear-groups "$TOOL" "$NS_B" >"$TMP/np.json" 2>"$TMP/np.err"
rc=$?
[[ $rc == 3 && ! -s $TMP/np.json ]] && grep -q "cannot enter namespace $NS_B" "$TMP/np.err"
log_test "topo: unprivileged: exit 3, '$(cat "$TMP/np.err")'" $?

# Time: best of 5 collections of every namespace.
n=$(jq '.namespaces | length' "$TMP/topo.json")
"$TOOL" -r 5 >/dev/null 2>"$TMP/time.err"
us=$(sed -n 's/^topodump: collected in \([0-9]*\) us.*/\1/p' "$TMP/time.err")
[[ -n $us ]] && ((us < 200000))
log_test "topo: $n namespaces, $(jq '.devices | length' "$TMP/topo.json") devices in ${us:-?} us (< 200 ms)" $?

# The sanitized unit test collects everything while the lab stands: readers under ASan too.
asan=$DS_ROOT/.output/asan/tests/test_topo
if [[ -x $asan ]]; then
	"$asan" >"$TMP/asan.out" 2>&1
	rc=$?
	((rc == 0)) || cat "$TMP/asan.out"
	log_test "topo: ASan test_topo with the lab up" $rc
fi
tests_exit
