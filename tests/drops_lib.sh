# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # TAP_*, MVT_*, HTB_*, UDP_* are for the sourcing test
#
# tests/drops_lib.sh - packet drops with known truth, for the `dropscope
# drops` tests.  Source it after tests/lib.sh:
#
#	source "$(dirname "$0")/../lib.sh"
#	source "$(dirname "$0")/../drops_lib.sh"
#	require_root; require_drops_tools
#	ns_create NS
#	tap_overflow "$NS" 10 16                 # ring of 16, never read
#	d0=$(link_stat "$NS" "$TAP_IF" tx.dropped)
#	udp_send "$NS" "$TAP_DST" 200            # 184 of them dropped: FULL_RING
#	d1=$(link_stat "$NS" "$TAP_IF" tx.dropped)
#
# Three scenarios, each a queue that overflows while nothing else runs:
#
#   tap_overflow      tap ring full on transmit  reason FULL_RING   tap's tx.dropped
#   macvtap_overflow  macvtap ring full on rx    reason FULL_RING   macvtap's rx.dropped
#   htb_overflow      bfifo under a 1mbit class  reason QDISC_DROP  the bfifo's drops
#
# Measured on 6.18 (kfree_skb tracepoint events with that reason against
# the counter's delta): equal to the packet in every run, e.g. 984 of 1000
# through a ring of 16, 4936 of 5000 through a ring of 64, 196 of 200
# through a 3000-byte bfifo.  A fresh ring of QLEN drops max(0, N - QLEN)
# of N datagrams; a ring already full drops every one.  The counts stay
# exact only because nothing else reaches these queues: IPv6 is off on
# every device created here (else MLD reports, DAD and router
# solicitations land in the ring, at moments of the kernel's choosing),
# and every neighbour is static (no ARP request or reply joins the UDP).
#
# Each function creates its devices from inside the namespaces given,
# names them after OCTET (so several can share a namespace) and addresses
# them from 198.18.OCTET.0/24; no route beyond the connected /24.  All is
# removed with the namespaces; holder processes are stopped by defer.

[[ -n ${DS_DROPS_LIB_LOADED:-} ]] && return 0
DS_DROPS_LIB_LOADED=1

: "${DS_TOOLS:=$DS_ROOT/.output/tools}"
: "${DROPS_HOLD_SECS:=120}"	# how long a ring holder lives at most
: "${DROPS_PORT:=9}"		# UDP destination port (discard)

TAP_IF="" TAP_DST="" TAP_HOLDER=""
MVT_IF="" MVT_SRC_IF="" MVT_DST="" MVT_HOLDER=""
HTB_IF="" HTB_PEER_IF="" HTB_DST="" HTB_LEAF=""
UDP_SENT="" UDP_ENOBUFS="" UDP_EAGAIN="" UDP_ICMP=""

# require_drops_tools: print one SKIP line for the file and exit 4 unless tapholder, udpsend, jq and tc are there.
require_drops_tools() {
	local t

	require_cmd jq tc
	for t in tapholder udpsend; do
		if [[ ! -x $DS_TOOLS/$t ]]; then
			log_test "$(ds__file_name)" 4 "needs $DS_TOOLS/$t (make tools)"
			exit 4
		fi
	done
}

# link_stat NS IF KEY: print stats64.KEY of IF in NS (KEY as rx.dropped, tx.dropped, rx.packets).
link_stat() {
	ip -n "$1" -s -j link show dev "$2" | jq -er ".[0].stats64.$3"
}

# qdisc_stat NS IF HANDLE KEY: print KEY (drops, packets, bytes, backlog, qlen) of qdisc HANDLE ("10:") on IF.
qdisc_stat() {
	tc -n "$1" -s -j qdisc show dev "$2" |
		jq -er --arg h "$3" ".[] | select(.handle == \$h) | .$4"
}

# udp_send NS DEST COUNT [UDPSEND_ARG...]: send COUNT datagrams from NS to DEST port DROPS_PORT; sets UDP_SENT UDP_ENOBUFS UDP_EAGAIN UDP_ICMP.
#
# udpsend stops by itself after 10 s (-t to change); its status is
# returned.  Call it in this shell, not in $(...), to get the variables.
# -e makes a drop the sender's own queue reports (qdisc, noqueue tap)
# come back as ENOBUFS: UDP_ENOBUFS is then a third view of the truth.
udp_send() {
	local ns=$1 dest=$2 count=$3 out rc=0 k1 k2 k3 k4

	shift 3
	UDP_SENT="" UDP_ENOBUFS="" UDP_EAGAIN="" UDP_ICMP=""
	out=$(ip netns exec "$ns" "$DS_TOOLS/udpsend" "$@" -c "$count" "$dest" "$DROPS_PORT") || rc=$?
	read -r k1 UDP_SENT k2 UDP_ENOBUFS k3 UDP_EAGAIN k4 UDP_ICMP <<<"$out"
	if [[ "$k1 $k2 $k3 $k4" != "sent enobufs eagain icmp" ]]; then
		echo "udp_send: unexpected udpsend output '$out'" >&2
		return 1
	fi
	return "$rc"
}

# ds__holder_start NS VAR ARG...: start tapholder ARG... in NS, PID in VAR; returns once it holds the queue.
ds__holder_start() {
	local __ns=$1 __var=$2 __out __hpid

	shift 2
	__out=$(mktemp "${TMPDIR:-/tmp}/ds-holder.XXXXXX") || return 1
	defer rm -f "$__out"
	bg_run "$__ns" __hpid "$DS_TOOLS/tapholder" -t "$DROPS_HOLD_SECS" "$@" >"$__out"
	if ! busywait 3000 grep -qx ready "$__out"; then
		echo "tapholder $* in $__ns did not get ready" >&2
		return 1
	fi
	printf -v "$__var" '%s' "$__hpid"
}

# ds__ipv6_off_new NS...: make devices created from now on in each NS start without IPv6; prints the old defaults.
ds__ipv6_off_new() {
	local ns

	for ns in "$@"; do
		ip netns exec "$ns" sysctl -n net.ipv6.conf.default.disable_ipv6 || return 1
		ns_sysctl "$ns" net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
}

# ds__ipv6_restore NS OLD [NS OLD...]: put back the defaults ds__ipv6_off_new printed.
ds__ipv6_restore() {
	while (($# >= 2)); do
		ns_sysctl "$1" "net.ipv6.conf.default.disable_ipv6=$2" || return 1
		shift 2
	done
}

# tap_overflow NS OCTET QLEN: tap dtOCTET in NS with a QLEN ring nobody reads; sets TAP_IF TAP_DST TAP_HOLDER.
#
# dtOCTET has 198.18.OCTET.1/24, a permanent neighbour TAP_DST =
# 198.18.OCTET.2, no IPv6 and the noqueue qdisc, so a datagram to TAP_DST
# goes straight to tun's ring: the first QLEN fill it, every later one is
# dropped (FULL_RING, tx.dropped of TAP_IF; ENOBUFS with udp_send -e).
# Returns 4 without /dev/net/tun.
tap_overflow() {
	local ns=$1 octet=$2 qlen=$3 ifname

	[[ -c /dev/net/tun ]] || {
		echo "tap_overflow: no /dev/net/tun" >&2
		return 4
	}
	ifname=dt$octet
	# Persistent and created down, so IPv6 is off before the link is up.
	defer ds__link_del "$ns" "$ifname"
	ip -n "$ns" tuntap add dev "$ifname" mode tap || return 1
	ns_sysctl "$ns" "net.ipv6.conf.$ifname.disable_ipv6=1" || return 1
	ds__holder_start "$ns" TAP_HOLDER tap "$ifname" || return 1
	# txqueuelen sizes tun's ring (resized at once if a queue is attached).
	ip -n "$ns" link set dev "$ifname" txqueuelen "$qlen" up &&
		tc -n "$ns" qdisc replace dev "$ifname" root noqueue &&
		addr_add "$ns" "$ifname" "198.18.$octet.1/24" &&
		ip -n "$ns" neigh add "198.18.$octet.2" lladdr 02:00:00:00:00:02 \
			dev "$ifname" nud permanent || return 1
	busywait 2000 ds__oper_up "$ns" "$ifname" || {
		echo "tap_overflow: $ifname did not come up" >&2
		return 1
	}
	TAP_IF=$ifname
	TAP_DST=198.18.$octet.2
}

# macvtap_overflow NS_A NS_B OCTET QLEN [MODE]: NS_A's veth to a macvtap in NS_B whose QLEN ring nobody reads; sets MVT_IF MVT_SRC_IF MVT_DST MVT_HOLDER.
#
# dmOCTETa (NS_A, 198.18.OCTET.1/24) - dmOCTETb (NS_B) carries macvtap
# dmOCTETt (MODE bridge by default, vepa works alike).  NS_A has MVT_DST =
# 198.18.OCTET.2 as a permanent neighbour at the macvtap's MAC: what NS_A
# sends there fills the macvtap's ring, then is dropped (FULL_RING,
# rx.dropped of MVT_IF in NS_B, which macvlan also counts as rx.errors).
# The character device is made in a private directory.  Returns 4 when
# the kernel has no macvtap.
macvtap_overflow() {
	local ns_a=$1 ns_b=$2 octet=$3 qlen=$4 mode=${5:-bridge}
	local va=dm${octet}a vb=dm${octet}b mvt=dm${octet}t mac devno dir err
	local -a old

	mapfile -t old < <(ds__ipv6_off_new "$ns_a" "$ns_b") && ((${#old[@]} == 2)) || return 1
	veth_pair "$ns_a" "$va" "$ns_b" "$vb" || {
		ds__ipv6_restore "$ns_a" "${old[0]}" "$ns_b" "${old[1]}"
		return 1
	}
	if ! err=$(ip -n "$ns_b" link add link "$vb" name "$mvt" txqueuelen "$qlen" \
		type macvtap mode "$mode" 2>&1); then
		ds__ipv6_restore "$ns_a" "${old[0]}" "$ns_b" "${old[1]}"
		echo "macvtap_overflow: $err" >&2
		[[ $err == *"Unknown device type"* ]] && return 4
		return 1
	fi
	ds__ipv6_restore "$ns_a" "${old[0]}" "$ns_b" "${old[1]}" || return 1
	ip -n "$ns_b" link set dev "$mvt" up || return 1
	busywait 2000 ds__oper_up "$ns_b" "$mvt" || {
		echo "macvtap_overflow: $mvt did not come up" >&2
		return 1
	}
	# The ring is made when the character device is opened, txqueuelen long.
	devno=$(ip netns exec "$ns_b" sh -c "cat /sys/class/net/$mvt/macvtap/tap*/dev")
	if ! [[ $devno =~ ^[0-9]+:[0-9]+$ ]]; then
		echo "macvtap_overflow: no character device for $mvt ('$devno')" >&2
		return 1
	fi
	tmpdir_create dir || return 1
	mknod "$dir/tap" c "${devno%:*}" "${devno#*:}" || return 1
	ds__holder_start "$ns_b" MVT_HOLDER open "$dir/tap" || return 1
	mac=$(ip -n "$ns_b" -j link show dev "$mvt" | jq -er '.[0].address') || return 1
	addr_add "$ns_a" "$va" "198.18.$octet.1/24" &&
		ip -n "$ns_a" neigh add "198.18.$octet.2" lladdr "$mac" dev "$va" nud permanent ||
		return 1
	MVT_IF=$mvt
	MVT_SRC_IF=$va
	MVT_DST=198.18.$octet.2
}

# htb_overflow NS_A NS_B OCTET LIMIT_BYTES [RATE]: HTB (class 1:10 at RATE, 1mbit by default) over a bfifo of LIMIT_BYTES on NS_A's veth to NS_B; sets HTB_IF HTB_PEER_IF HTB_DST HTB_LEAF.
#
# dhOCTETa (NS_A, 198.18.OCTET.1/24) - dhOCTETb (NS_B, HTB_DST =
# 198.18.OCTET.2/24), permanent neighbours both ways so only UDP passes
# the qdisc.  A burst to HTB_DST overflows the bfifo: its drops (qdisc_stat
# NS_A HTB_IF HTB_LEAF drops; the HTB root counts the same again) are the
# QDISC_DROP events, and udp_send -e sees each as ENOBUFS.  What passes
# reaches a closed port in NS_B: one NO_SOCKET drop there per datagram
# delivered, and ICMP errors back (udp_send -e counts them in UDP_ICMP).
htb_overflow() {
	local ns_a=$1 ns_b=$2 octet=$3 limit=$4 rate=${5:-1mbit}
	local va=dh${octet}a vb=dh${octet}b mac_a mac_b
	local -a old

	mapfile -t old < <(ds__ipv6_off_new "$ns_a" "$ns_b") && ((${#old[@]} == 2)) || return 1
	veth_pair "$ns_a" "$va" "$ns_b" "$vb" || {
		ds__ipv6_restore "$ns_a" "${old[0]}" "$ns_b" "${old[1]}"
		return 1
	}
	ds__ipv6_restore "$ns_a" "${old[0]}" "$ns_b" "${old[1]}" || return 1
	mac_a=$(ip -n "$ns_a" -j link show dev "$va" | jq -er '.[0].address') &&
		mac_b=$(ip -n "$ns_b" -j link show dev "$vb" | jq -er '.[0].address') || return 1
	addr_add "$ns_a" "$va" "198.18.$octet.1/24" &&
		addr_add "$ns_b" "$vb" "198.18.$octet.2/24" &&
		ip -n "$ns_a" neigh add "198.18.$octet.2" lladdr "$mac_b" dev "$va" nud permanent &&
		ip -n "$ns_b" neigh add "198.18.$octet.1" lladdr "$mac_a" dev "$vb" nud permanent ||
		return 1
	tc -n "$ns_a" qdisc add dev "$va" root handle 1: htb default 10 &&
		tc -n "$ns_a" class add dev "$va" parent 1: classid 1:10 htb rate "$rate" &&
		tc -n "$ns_a" qdisc add dev "$va" parent 1:10 handle 10: bfifo limit "$limit" ||
		return 1
	HTB_IF=$va
	HTB_PEER_IF=$vb
	HTB_DST=198.18.$octet.2
	HTB_LEAF=10:
}

# drops_start OUT ARG...: run `dropscope -v -j drops ARG...` (at most DROPS_MAX_SECS) in the background, JSON to OUT, stderr to OUT.err; returns once it is attached and sampling. Sets DROPS_PID.
#
# The tracer runs in the test's own namespace: it only attaches BPF and
# reads counters, it sends nothing.  drops_stop ends it with SIGINT, which
# makes it sample a last time and print the report.
drops_start() {
	local out=$1

	shift
	"${DROPS_BIN:-${DS_BIN:-$DS_ROOT/dropscope}}" -v -j drops -d "${DROPS_MAX_SECS:-180}" "$@" >"$out" 2>"$out.err" &
	DROPS_PID=$!
	DROPS_OUT=$out
	defer ds__bg_stop "$DROPS_PID"
	if ! busywait 10000 grep -qs 'drops: ready' "$out.err"; then
		echo "drops_start: dropscope did not get ready: $(head -c 300 "$out.err")" >&2
		return 1
	fi
}

# drops_stop: SIGINT the drops_start process and wait for its report; returns its exit status.
drops_stop() {
	local rc=0

	kill -INT "$DROPS_PID" 2>/dev/null || return 1
	wait "$DROPS_PID" || rc=$?
	((rc == 0)) || echo "drops_stop: dropscope exited $rc: $(head -c 2000 "$DROPS_OUT.err")" >&2
	return "$rc"
}
