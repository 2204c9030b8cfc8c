#!/bin/bash
# A VM that stops draining its NIC now and then: rr from a client to a
# "guest" behind a macvtap, whose backend (tests/tools/vmbackend) is
# descheduled for STALL ms of every PERIOD ms.  The macvtap's ring
# (txqueuelen frames) overflows during each stall; the dropped requests
# come back as >= 200 ms RTO/TLP tails in rr, and the macvtap's own
# rx_dropped (FULL_RING drops) is printed beside them as the truth.
#
#   client ns: vc0 198.18.30.1 --veth-- host ns: vh0 + macvtap mvt0 (bridge)
#   host ns:   vmbackend reads /dev/tapN of mvt0 <-> writes tap vm0 in the
#   VM ns:     vm0 198.18.30.2 (the macvtap's MAC), dropscope rr --server
#
# The guest is a network namespace whose IP stack stands in for the guest
# kernel, with a plain tap as its NIC; vmbackend moves frames as QEMU's tap
# backend does.  Real QEMU would need an image and KVM for the same story.
# IPv6 is off and neighbours are static, so the only frames in the ring
# are rr's.  Everything (namespaces, backend, server) goes on exit.
#
# usage: lab/vm.sh [-j] [-D [-o DIR]] [-p PERIOD_MS] [-s STALL_MS] [-q TXQUEUELEN] [-n STREAMS] [-d SECONDS]
#   defaults: -p 1000 -s 300 -q 8 -n 16 -d 5; -s 0: no stalls (the control)
#   -j: rr's JSON on stdout, the ground truth on stderr
#   -D: run `dropscope diagnose rr` instead of rr (its verdict, then the truth);
#       -o DIR: and its --report DIR
# Sourced (tests/netns/vm_lab.sh), it only defines vm_lab_build and vm_lab_rr.

# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib.sh"
# shellcheck source=tests/drops_lib.sh
source "$DS_ROOT/tests/drops_lib.sh"

VM_PORT=12867
VM_CLI_IP=198.18.30.1
VM_IP=198.18.30.2
# shellcheck disable=SC2034 # set by bg_run, read by the sourcing test
HOST_NS="" VM_NS="" MVT_IF="" VM_BACKEND="" VM_BACKEND_LOG="" VM_SERVER=""
VM_RX_DROPPED="" VM_RR_JSON=""

# vm__ns NAME_VAR: a namespace where no device will ever have IPv6 (no MLD or DAD frames).
vm__ns() {
	ns_create "$1" || return 1
	ns_sysctl "${!1}" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# vm__macvtap QLEN DIR: macvtap mvt0 (bridge) on vh0 in HOST_NS with a QLEN ring; its character device as DIR/tap.
vm__macvtap() {
	local qlen=$1 dir=$2 devno

	ip -n "$HOST_NS" link add link vh0 name mvt0 txqueuelen "$qlen" type macvtap mode bridge &&
		ip -n "$HOST_NS" link set dev mvt0 up || return 1
	busywait 2000 ds__oper_up "$HOST_NS" mvt0 || {
		echo "vm.sh: mvt0 did not come up" >&2
		return 1
	}
	# /dev/tapN (N: its ifindex) exists only where udev runs: make our own node.
	devno=$(ip netns exec "$HOST_NS" sh -c 'cat /sys/class/net/mvt0/macvtap/tap*/dev')
	[[ $devno =~ ^[0-9]+:[0-9]+$ ]] || {
		echo "vm.sh: no character device for mvt0 ('$devno')" >&2
		return 1
	}
	mknod "$dir/tap" c "${devno%:*}" "${devno#*:}" && MVT_IF=mvt0
}

# vm__backend PERIOD STALL SECS DIR: start vmbackend in HOST_NS on DIR/tap, its tap vm0 in VM_NS.
vm__backend() {
	local period=$1 stall=$2 secs=$3 dir=$4

	VM_BACKEND_LOG=$dir/backend.err
	bg_run "$HOST_NS" VM_BACKEND "$DS_TOOLS/vmbackend" -t "$secs" -p "$period" -s "$stall" \
		-n "$VM_NS" "$dir/tap" vm0 >"$dir/backend.out" 2>"$VM_BACKEND_LOG"
	busywait 3000 grep -qx ready "$dir/backend.out" || {
		echo "vm.sh: vmbackend did not start: $(cat "$VM_BACKEND_LOG")" >&2
		return 1
	}
}

# vm__lower_up NS IF: true once IF has its carrier (a tap says operstate UNKNOWN, never UP).
vm__lower_up() {
	ip -n "$1" -j link show dev "$2" | jq -e '.[0].flags | index("LOWER_UP")' >/dev/null
}

# vm__addresses: the guest's NIC takes the macvtap's MAC (as a VM's does); static neighbours both ways.
vm__addresses() {
	local mac_mvt mac_cli

	mac_mvt=$(ip -n "$HOST_NS" -j link show dev mvt0 | jq -er '.[0].address') &&
		mac_cli=$(ip -n "$CLI_NS" -j link show dev vc0 | jq -er '.[0].address') || return 1
	ip -n "$VM_NS" link set dev vm0 address "$mac_mvt" up &&
		addr_add "$VM_NS" vm0 "$VM_IP/24" &&
		addr_add "$CLI_NS" vc0 "$VM_CLI_IP/24" &&
		ip -n "$VM_NS" neigh add "$VM_CLI_IP" lladdr "$mac_cli" dev vm0 nud permanent &&
		ip -n "$CLI_NS" neigh add "$VM_IP" lladdr "$mac_mvt" dev vc0 nud permanent || return 1
	busywait 2000 vm__lower_up "$VM_NS" vm0 || {
		echo "vm.sh: vm0 did not come up" >&2
		return 1
	}
}

# vm_lab_build QLEN PERIOD_MS STALL_MS SECS: the whole lab, rr server listening; sets CLI_NS HOST_NS VM_NS MVT_IF VM_BACKEND.
vm_lab_build() {
	local qlen=$1 period=$2 stall=$3 secs=$4 dir

	[[ -x $DS_TOOLS/vmbackend ]] || {
		echo "vm.sh: $DS_TOOLS/vmbackend not built (make tools)" >&2
		return 1
	}
	vm__ns CLI_NS && vm__ns HOST_NS && vm__ns VM_NS || return 1
	veth_pair "$CLI_NS" vc0 "$HOST_NS" vh0 || return 1
	tmpdir_create dir || return 1
	vm__macvtap "$qlen" "$dir" || return 1
	# The ring is allocated txqueuelen long when the backend opens it.
	vm__backend "$period" "$stall" "$secs" "$dir" || return 1
	vm__addresses || return 1
	VM_RR_JSON=$dir/rr.json
	bg_run "$VM_NS" VM_SERVER "$DS_BIN" rr --server --once --bind "$VM_IP" --port "$VM_PORT"
	busywait 5000 ns_listening "$VM_NS" "$VM_PORT" || {
		echo "vm.sh: rr server did not start" >&2
		return 1
	}
}

# vm_lab_rr STREAMS SECS [RR_ARG...]: rr -j from CLI_NS into VM_RR_JSON; VM_RX_DROPPED: mvt0's rx_dropped delta.
#
# The delta is read once every connection is closed, so the FINs of the
# last stall are in it too.
vm_lab_rr() {
	local streams=$1 secs=$2 r0 r1 rc=0

	shift 2
	r0=$(link_stat "$HOST_NS" mvt0 rx.dropped) || return 1
	ip netns exec "$CLI_NS" timeout $((secs + 60)) "$DS_BIN" -j rr "$VM_IP" --port "$VM_PORT" \
		--streams "$streams" --duration "$secs" "$@" >"$VM_RR_JSON" || rc=$?
	busywait 10000 no_tcp "$CLI_NS" "$VM_NS" || echo "vm.sh: connections still open" >&2
	r1=$(link_stat "$HOST_NS" mvt0 rx.dropped) || return 1
	VM_RX_DROPPED=$((r1 - r0))
	return "$rc"
}

# vm_lab_diagnose STREAMS SECS JSON REPORT_DIR: diagnose rr from CLI_NS, verdict on stdout; VM_RX_DROPPED as vm_lab_rr.
vm_lab_diagnose() {
	local streams=$1 secs=$2 json=$3 report=$4 r0 r1 rc=0 args=()

	((json)) && args+=(-j)
	r0=$(link_stat "$HOST_NS" mvt0 rx.dropped) || return 1
	ip netns exec "$CLI_NS" timeout $((secs + 60)) "$DS_BIN" "${args[@]}" diagnose \
		${report:+--report "$report"} rr "$VM_IP" --port "$VM_PORT" \
		--streams "$streams" --duration "$secs" || rc=$?
	busywait 10000 no_tcp "$CLI_NS" "$VM_NS" || echo "vm.sh: connections still open" >&2
	r1=$(link_stat "$HOST_NS" mvt0 rx.dropped) || return 1
	VM_RX_DROPPED=$((r1 - r0))
	return "$rc"
}

# vm__main ARG...: the lab as a command.
vm__main() {
	local period=1000 stall=300 qlen=8 streams=16 secs=5 json=0 diag=0 report="" o rc=0 truth

	while getopts "jDo:p:s:q:n:d:h" o; do
		case $o in
		j) json=1 ;;
		D) diag=1 ;;
		o) report=$OPTARG ;;
		p) period=$OPTARG ;;
		s) stall=$OPTARG ;;
		q) qlen=$OPTARG ;;
		n) streams=$OPTARG ;;
		d) secs=$OPTARG ;;
		*) sed -n '2,24p' "$0"; exit 2 ;;
		esac
	done
	((EUID == 0)) || { echo "vm.sh: needs root (namespaces, macvtap)" >&2; exit 3; }
	[[ -x $DS_BIN ]] || { echo "vm.sh: $DS_BIN not built (run make)" >&2; exit 1; }
	vm_lab_build "$qlen" "$period" "$stall" $((secs + 60)) || exit 1
	echo "lab: client $CLI_NS ($VM_CLI_IP) -> macvtap $MVT_IF (ring $qlen) in $HOST_NS ->" \
		"vmbackend (stalls ${stall} ms every ${period} ms) -> guest $VM_NS ($VM_IP);" \
		"$streams streams, $secs s" >&2
	if ((diag)); then
		vm_lab_diagnose "$streams" "$secs" "$json" "$report" || rc=$?
		echo "ground truth: $MVT_IF rx_dropped +$VM_RX_DROPPED (FULL_RING)" >&2
		exit "$rc"
	fi
	vm_lab_rr "$streams" "$secs" || rc=$?
	truth="ground truth: $MVT_IF rx_dropped +$VM_RX_DROPPED (FULL_RING: the backend did not drain its ring)"
	if ((json)); then
		cat "$VM_RR_JSON"
		echo "$truth" >&2
		exit "$rc"
	fi
	jq -r '"rr: \(.transactions) transactions, p50 \(.latency_us.p50) us, max \(.latency_us.max) us\n" +
		"RTO tails: >=200ms \(.tail_ge_200ms)  >=400ms \(.tail_ge_400ms)  >=800ms \(.tail_ge_800ms);" +
		" retransmits local \(.local_retrans) (rto \(.local_rto)) remote \(.remote_retrans)"' \
		"$VM_RR_JSON" || rc=1
	echo "$truth"
	exit "$rc"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u
	vm__main "$@"
fi
