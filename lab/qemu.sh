#!/bin/bash
# A real VM behind a macvtap: a TCG guest (Debian's kernel, a busybox
# initramfs built here) runs `dropscope rr --server`; the client runs in its
# own namespace on the far end of the veth the macvtap sits on.  A small
# macvtap ring (-q) overflows because a TCG guest drains it slowly: the
# macvtap's rx_dropped (FULL_RING) grows.  Everything (QEMU, namespaces,
# the temporary directory) is removed on exit.  Requests are 16 KB by
# default: with 1-byte ones each stream has at most a request and an ACK
# in flight, so 4 streams never fill a ring of 16; 16 KB is 12 segments
# a stream, sent at once in the first window.
#
# usage: lab/qemu.sh [-j] [-q TXQUEUELEN] [-n STREAMS] [-d SECONDS] [-s REQ[,RESP]] [-- extra rr options]
#   -j: JSON (dropscope -j -p); the macvtap's counters then go to stderr
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tests/lib.sh"
source "$top/tests/qemu_lib.sh"

qlen=16 streams=4 secs=5 size=16384,1 global=()
while getopts "jq:n:d:s:h" o; do
	case $o in
	j) global=(-j -p) ;;
	q) qlen=$OPTARG ;;
	n) streams=$OPTARG ;;
	d) secs=$OPTARG ;;
	s) size=$OPTARG ;;
	*) sed -n '2,12p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

[ "$(id -u)" -eq 0 ] || { echo "lab/qemu.sh: needs root (network namespaces)" >&2; exit 3; }
[ -x "$DS_BIN" ] || { echo "lab/qemu.sh: $DS_BIN not built (run make)" >&2; exit 1; }
qemu_require || { echo "lab/qemu.sh: $QEMU_WHY" >&2; exit 3; }

# mvt_stat KEY: the macvtap's stats64.KEY.
mvt_stat() {
	ip -n "$HOST_NS" -s -j link show dev "$MVT_IF" | jq -er ".[0].stats64.$1"
}

tmpdir_create dir
qemu_initramfs "$dir" || { echo "lab/qemu.sh: could not build the initramfs" >&2; exit 1; }
qemu_lab "$qlen" || { echo "lab/qemu.sh: could not build the namespaces" >&2; exit 1; }
t0=$SECONDS
qemu_boot "$dir"
echo "lab: booting $QEMU_KERNEL under TCG (QEMU pid $QEMU_PID), macvtap ring $qlen" >&2
if ! qemu_wait_server 120000; then
	echo "lab/qemu.sh: the guest's rr server did not answer; console:" >&2
	tail -n 20 "$QEMU_LOG" >&2
	exit 1
fi
echo "lab: guest $GUEST_IP answers after $((SECONDS - t0)) s; $streams streams of $size B, $secs s" >&2
echo >&2
d0=$(mvt_stat rx.dropped)
ip netns exec "$CLI_NS" timeout $((secs + 60)) "$DS_BIN" "${global[@]}" rr "$GUEST_IP" \
	--port "$QEMU_PORT" --streams "$streams" --duration "$secs" --size "$size" "$@"
rc=$?
truth="ground truth: $MVT_IF (ring $qlen) rx_dropped +$(($(mvt_stat rx.dropped) - d0)), held by pid $(tapdev_holders "$QEMU_TAPDEV" | tr '\n' ' ')(QEMU $QEMU_PID)"
if [ ${#global[@]} -gt 0 ]; then echo "$truth" >&2; else printf '\n%s\n' "$truth"; fi
exit $rc
