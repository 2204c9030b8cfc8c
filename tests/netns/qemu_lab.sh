#!/bin/bash
# A real VM behind a macvtap (lab/qemu.sh's set-up): a TCG guest runs
# `dropscope rr --server`, the client in its own namespace sends 16 KB
# requests on 4 streams for 5 s through a macvtap ring of 16.  Asserts:
# transactions complete, the ring overflows (the macvtap's rx_dropped
# grows, and `drops` traces them as FULL_RING on it), and the process
# holding the macvtap's character device is QEMU.  Then `diagnose rr` on the
# same guest: its first cause is FULL_RING at the macvtap with as many drops
# as the macvtap's rx_dropped grew, and it names QEMU's PID as the reader.  Installs qemu-system-x86,
# busybox-static and cpio if missing, and unpacks Debian's kernel package
# into /var/tmp (SKIP if apt-get cannot).  Boot takes ~10 s under TCG.
# timeout: 300
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../qemu_lib.sh"
source "$(dirname "$0")/../drops_lib.sh"
require_root
require_cmd jq ldd gzip

SECS=5
QLEN=16
[[ -x $DS_BIN ]] || { log_test qemu_lab 4 "needs $DS_BIN (make)"; exit 4; }
qemu_require || { log_test qemu_lab 4 "$QEMU_WHY"; exit 4; }
tmpdir_create TMP

# mvt_dropped: the macvtap's rx_dropped.
mvt_dropped() {
	link_stat "$HOST_NS" "$MVT_IF" rx.dropped
}

# boot_case: build the initramfs and the namespaces, boot, wait for the server.
boot_case() {
	local t0

	qemu_initramfs "$TMP" || return 1
	qemu_lab "$QLEN" || return 1
	t0=${EPOCHREALTIME//[!0-9]/}
	qemu_boot "$TMP"
	# ~10 s on an idle machine; a loaded 2-core one may take several times that.
	if ! qemu_wait_server 90000; then
		log_test "qemu: guest rr server answers" 1 "console: $(tail -n 5 "$QEMU_LOG" | tr '\n' '|')"
		return 1
	fi
	log_info "guest answered after $(((${EPOCHREALTIME//[!0-9]/} - t0) / 1000)) ms"
	log_test "qemu: guest rr server answers (virtio-net on macvtap fd)" 0
}

# holder_case: the character device is held by QEMU and by nothing else.
holder_case() {
	local holders

	holders=$(tapdev_holders "$QEMU_TAPDEV" | paste -sd,)
	[[ $holders == "$QEMU_PID" && $(<"/proc/$QEMU_PID/comm") == qemu-system-x86* ]]
	log_test "qemu: $QEMU_TAPDEV is held by the QEMU pid only ($holders)" $?
}

# rr_case: rr 4 streams of 16 KB requests; transactions > 0, rx_dropped grows, FULL_RING traced.
rr_case() {
	local out=$TMP/rr.json d0 d1 n ev traced=1

	if drops_start "$TMP/drops.json" --netns "$HOST_NS"; then
		traced=0
	else
		log_info "drops could not trace; FULL_RING check skipped"
	fi
	d0=$(mvt_dropped) || return 1
	ip netns exec "$CLI_NS" timeout $((SECS + 60)) "$DS_BIN" -j rr "$GUEST_IP" \
		--port "$QEMU_PORT" --streams 4 --duration "$SECS" --size 16384,1 >"$out"
	log_test "qemu: rr to the guest exits 0" $?
	d1=$(mvt_dropped) || return 1
	n=$(json_num "$out" transactions)
	log_info "transactions $n ($(jq -r '.rate_tps' "$out")/s)," \
		"client retransmits $(json_num "$out" local_retrans), $MVT_IF rx_dropped +$((d1 - d0))"
	[[ $n != missing ]] && ((n > 0))
	log_test "qemu: rr transactions > 0 ($n)" $?
	((d1 - d0 > 0))
	log_test "qemu: macvtap ring of $QLEN overflows (rx_dropped +$((d1 - d0)))" $?
	((traced == 0)) || return 0
	drops_stop || return 1
	ev=$(jq -r --arg ns "$HOST_NS" --arg dv "$MVT_IF" \
		'[.devices[] | select(.netns == $ns and .ifname == $dv) | .events.FULL_RING // 0] | add // 0' \
		"$TMP/drops.json")
	# drops ran before d0 and after d1: it may see a few more, never fewer.
	((ev >= d1 - d0 && d1 > d0))
	log_test "qemu: drops traces them as FULL_RING on $MVT_IF ($ev)" $?
}

# diag_case: diagnose rr on the same workload names the macvtap, its counter and QEMU.
diag_case() {
	local out=$TMP/diag.json d0 d1 got

	d0=$(mvt_dropped) || return 1
	ip netns exec "$CLI_NS" timeout $((SECS + 60)) "$DS_BIN" -j diagnose rr "$GUEST_IP" \
		--port "$QEMU_PORT" --streams 4 --duration "$SECS" --size 16384,1 \
		>"$out" 2>"$TMP/diag.err"
	log_test "qemu: diagnose rr to the guest exits 0" $? "$(head -n 3 "$TMP/diag.err")"
	d1=$(mvt_dropped) || return 1
	got=$(jq -r '.causes[0] | "\(.ifname) \(.reason) \(.drops) \(.counter.delta) \(.reader.pid) \(.reader.comm)"' "$out")
	log_info "diagnose: first cause $got; slow $(jq -c .slow "$out"); $MVT_IF rx_dropped +$((d1 - d0))"
	[[ $got == "$MVT_IF FULL_RING $((d1 - d0)) $((d1 - d0)) $QEMU_PID qemu-system-x86"* ]] && ((d1 > d0))
	log_test "qemu: diagnose: FULL_RING at $MVT_IF, drops == rx_dropped, reader QEMU ($got)" $?
	jq -e --arg p "$QEMU_PID" '.causes[0].hint | contains("PID " + $p + " (qemu-system-x86")' \
		"$out" >/dev/null
	log_test "qemu: diagnose: the hint names QEMU's PID as the reader that does not drain it" $?
}

if boot_case; then
	holder_case
	rr_case || log_test "qemu: rr run" 1
	diag_case || log_test "qemu: diagnose run" 1
fi
tests_exit
