# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/qemu_lib.sh - a real guest behind a macvtap, for lab/qemu.sh and
# tests/netns/qemu_lab.sh.  Source it after tests/lib.sh:
#
#	source "$(dirname "$0")/../lib.sh"
#	source "$(dirname "$0")/../qemu_lib.sh"
#	qemu_require || exit 4           # QEMU_WHY says what is missing
#	qemu_lab 16                      # CLI_NS - veth - HOST_NS macvtap (ring 16) - guest
#	qemu_wait_server 90000 || ...    # the guest's rr server answers
#	ip netns exec "$CLI_NS" "$DS_BIN" rr "$GUEST_IP" --streams 4 --duration 5
#
# The guest: Debian's linux-image-amd64 kernel under qemu-system-x86_64
# -accel tcg (KVM cannot boot a guest here), no disk, a busybox-static
# initramfs built under a private directory whose /init loads virtio_net,
# addresses eth0 and runs `dropscope rr --server`.  Its virtio-net is backed
# by the macvtap's character device, opened by the shell that execs QEMU
# and handed over as `-netdev tap,fd=3`: the libvirt way, no vhost.
#
# The kernel package is not installed: its postinst would build a host
# initramfs and pull in initramfs-tools (and a systemd upgrade with udev).
# `apt-get download` + `dpkg-deb` into QEMU_CACHE gives the same vmlinuz and
# the modules virtio_net needs, and leaves /boot alone; an installed
# linux-image-amd64 is used as it is.

[[ -n ${DS_QEMU_LIB_LOADED:-} ]] && return 0
DS_QEMU_LIB_LOADED=1

: "${QEMU_CACHE:=/var/tmp/dropscope-qemu}"	# the extracted kernel package, kept across runs
: "${QEMU_MEM_MB:=256}"
: "${QEMU_MAX_SECS:=240}"	# QEMU is killed after this whatever happens
: "${QEMU_PORT:=12867}"
QEMU_PKGS="qemu-system-x86 busybox-static cpio"

QEMU_WHY="" QEMU_PID="" QEMU_LOG="" QEMU_TAPDEV=""
QEMU_KERNEL="" QEMU_KVER="" QEMU_MODDIR=""
HOST_NS="" MVT_IF="" GUEST_IP="" GUEST_MAC=""

# qemu_require: install what is missing (apt-get), find the guest kernel; 1 with QEMU_WHY set if it cannot.
qemu_require() {
	local p missing=()

	for p in $QEMU_PKGS; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	if ((${#missing[@]})); then
		if ! ds__apt update -qq || ! ds__apt install -y -qq --no-install-recommends "${missing[@]}"; then
			QEMU_WHY="apt-get could not install ${missing[*]}"
			return 1
		fi
	fi
	qemu_kernel || return 1
}

# qemu_kernel: set QEMU_KERNEL, QEMU_KVER, QEMU_MODDIR from linux-image-amd64 (installed, or unpacked into QEMU_CACHE).
qemu_kernel() {
	local pkg deb
	local -a debs

	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [[ -z $pkg ]]; then
		QEMU_WHY="apt-cache knows no linux-image-amd64"
		return 1
	fi
	QEMU_KVER=${pkg#linux-image-}
	if dpkg -s "$pkg" >/dev/null 2>&1 && [[ -f /boot/vmlinuz-$QEMU_KVER ]]; then
		QEMU_KERNEL=/boot/vmlinuz-$QEMU_KVER
		QEMU_MODDIR=/lib/modules/$QEMU_KVER
		return 0
	fi
	QEMU_KERNEL=$QEMU_CACHE/$QEMU_KVER/boot/vmlinuz-$QEMU_KVER
	QEMU_MODDIR=$QEMU_CACHE/$QEMU_KVER/lib/modules/$QEMU_KVER
	[[ -f $QEMU_KERNEL && -d $QEMU_MODDIR ]] && return 0
	mkdir -p "$QEMU_CACHE/dl" || return 1
	# apt's _apt user must be able to write where it downloads.
	chown _apt "$QEMU_CACHE/dl" 2>/dev/null || true
	if ! (cd "$QEMU_CACHE/dl" && ds__apt download "$pkg"); then
		QEMU_WHY="apt-get download $pkg failed"
		return 1
	fi
	debs=("$QEMU_CACHE/dl/${pkg}_"*.deb)
	deb=${debs[0]}
	ds__kernel_unpack "$deb" "$QEMU_CACHE/$QEMU_KVER" && rm -f "$deb" || {
		QEMU_WHY="could not unpack $deb"
		return 1
	}
}

# ds__kernel_unpack DEB DIR: extract vmlinuz and the modules virtio_net can need (10 MB of 400) into DIR.
ds__kernel_unpack() {
	local deb=$1 dir=$2

	# Unpacked to a temporary name first: a cut-short run leaves no half kernel.
	rm -rf "$dir.new" && mkdir -p "$dir.new" || return 1
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$dir.new" --no-recursion --wildcards --no-wildcards-match-slash \
			'./boot/vmlinuz-*' './lib/modules/*/kernel/drivers/virtio/*.ko' \
			'./lib/modules/*/kernel/drivers/net/*.ko' './lib/modules/*/kernel/net/core/*.ko' &&
		mv -T "$dir.new" "$dir"
}

# ds__mod_deps KO: the modules KO depends on, from its .modinfo (no kmod needed).
ds__mod_deps() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

# ds__mod_order NAME...: print the .ko paths (under QEMU_MODDIR) to insmod, dependencies first.
ds__mod_order() {
	local name path
	local -A seen=()

	ds__mod_visit() {
		local n=$1 p d
		[[ -n ${seen[$n]:-} ]] && return 0
		seen[$n]=1
		# Module names use _ where files may use -.
		p=$(find "$QEMU_MODDIR/kernel" \( -name "$n.ko" -o -name "${n//_/-}.ko" \) | head -n 1)
		[[ -n $p ]] || {
			echo "qemu: no module $n under $QEMU_MODDIR" >&2
			return 1
		}
		for d in $(ds__mod_deps "$p"); do
			ds__mod_visit "$d" || return 1
		done
		echo "$p"
	}
	for name in "$@"; do
		ds__mod_visit "$name" || return 1
	done
}

# ds__copy_with_libs DIR BIN: copy BIN to DIR/ and the shared objects ldd lists (and the loader) to their own paths under DIR.
ds__copy_with_libs() {
	local dir=$1 bin=$2 lib

	cp "$bin" "$dir/" || return 1
	for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$dir$(dirname "$lib")" && cp -L "$lib" "$dir$lib" || return 1
	done
}

# ds__guest_init: the guest's /init (busybox sh); its address comes from ds.addr= on the kernel command line.
ds__guest_init() {
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.list); do insmod "$m" || echo "ds-guest: insmod $m failed"; done
addr=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^ds\.addr=//p')
port=$(tr ' ' '\n' </proc/cmdline | sed -n 's/^ds\.port=//p')
ip link set lo up
ip link set eth0 up && ip addr add "$addr" dev eth0 || echo "ds-guest: no eth0"
echo "ds-guest: eth0 $addr, starting rr server"
# When the server ends, /init ends: the kernel panics, -no-reboot ends QEMU.
/dropscope rr --server --bind "${addr%/*}" --port "$port"
echo "ds-guest: rr server exited $?"
poweroff -f
EOF
}

# qemu_initramfs DIR: build DIR/initramfs.gz (busybox, dropscope with its libraries, virtio_net's modules, /init).
qemu_initramfs() {
	local dir=$1 root=$1/root mods m

	mkdir -p "$root"/{bin,proc,sys,dev,mod} || return 1
	cp /bin/busybox "$root/bin/busybox" || return 1
	ds__copy_with_libs "$root" "$DS_BIN" || return 1
	mods=$(ds__mod_order virtio_pci virtio_net) || return 1
	: >"$root/modules.list"
	for m in $mods; do
		cp "$m" "$root/mod/" && echo "/mod/$(basename "$m")" >>"$root/modules.list" || return 1
	done
	ds__guest_init >"$root/init" && chmod +x "$root/init" || return 1
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initramfs.gz"
}

# qemu_lab QLEN: CLI_NS (198.18.0.1) - veth - HOST_NS with macvtap MVT_IF (bridge, ring QLEN); sets GUEST_IP GUEST_MAC QEMU_TAPDEV.
qemu_lab() {
	local qlen=$1 dir devno ifindex

	ns_create CLI_NS && ns_create HOST_NS || return 1
	veth_pair "$CLI_NS" cli0 "$HOST_NS" hst0 || return 1
	# Offloads off: each MTU-sized segment takes one slot of the macvtap's
	# ring, as frames from a physical NIC do, instead of one 64 KB GSO skb.
	veth_offloads "$CLI_NS" cli0 off && veth_offloads "$HOST_NS" hst0 off || return 1
	# txqueuelen sizes the macvtap's ring, made when the device is opened.
	ip -n "$HOST_NS" link add link hst0 name mvt0 txqueuelen "$qlen" type macvtap mode bridge &&
		ip -n "$HOST_NS" link set mvt0 up || return 1
	MVT_IF=mvt0
	CLI_IP=198.18.0.1
	GUEST_IP=198.18.0.2
	addr_add "$CLI_NS" cli0 "$CLI_IP/24" || return 1
	GUEST_MAC=$(ip -n "$HOST_NS" -j link show dev mvt0 | jq -er '.[0].address') &&
		ifindex=$(ip -n "$HOST_NS" -j link show dev mvt0 | jq -er '.[0].ifindex') || return 1
	# /dev holds the init namespace's nodes only: make ours privately.
	devno=$(ip netns exec "$HOST_NS" cat "/sys/class/net/mvt0/macvtap/tap$ifindex/dev") || return 1
	tmpdir_create dir || return 1
	QEMU_TAPDEV=$dir/tap$ifindex
	mknod "$QEMU_TAPDEV" c "${devno%:*}" "${devno#*:}"
}

# qemu_boot DIR: start QEMU in HOST_NS on DIR/initramfs.gz, the macvtap as fd 3; sets QEMU_PID QEMU_LOG.
qemu_boot() {
	local dir=$1

	QEMU_LOG=$dir/console.log
	# bash opens the character device as fd 3 and execs QEMU, so QEMU (same
	# PID as ip netns exec and that bash) ends up the only holder of it.
	# The guest MAC must be the macvtap's: bridge mode delivers by MAC.
	bg_run "$HOST_NS" QEMU_PID bash -c 'exec 3<>"$1" || exit 1; shift; exec "$@"' _ \
		"$QEMU_TAPDEV" qemu-system-x86_64 -accel tcg -cpu max -m "$QEMU_MEM_MB" -smp 1 \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none \
		-kernel "$QEMU_KERNEL" -initrd "$dir/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet ds.addr=$GUEST_IP/24 ds.port=$QEMU_PORT" \
		-netdev tap,fd=3,id=n0 -device "virtio-net-pci,netdev=n0,mac=$GUEST_MAC" \
		</dev/null >"$QEMU_LOG" 2>&1
	# A bound on the guest's life, whatever the caller does.  Stopped, the
	# watchdog takes its sleep with it and kills nothing (the PID may be reused).
	bash -c 'trap "kill \$s; exit 0" TERM; sleep "$1" & s=$!; wait $s; kill -KILL "$2"' _ \
		"$QEMU_MAX_SECS" "$QEMU_PID" >/dev/null 2>&1 &
	defer ds__bg_stop "$!"
}

# ds__guest_answers: true when a TCP connect from CLI_NS to the guest's rr port succeeds.
ds__guest_answers() {
	bg_alive "$QEMU_PID" || return 2
	ip netns exec "$CLI_NS" timeout 2 bash -c "exec 5<>/dev/tcp/$GUEST_IP/$QEMU_PORT" 2>/dev/null
}

# qemu_wait_server TIMEOUT_MS: wait until the guest's rr server accepts connections.
qemu_wait_server() {
	busywait "$1" ds__guest_answers
}

# tapdev_holders PATH: print the PIDs of the processes with PATH open (from /proc/*/fd).
tapdev_holders() {
	local fd

	for fd in /proc/[0-9]*/fd/*; do
		[[ $(readlink "$fd" 2>/dev/null) == "$1" ]] && { fd=${fd#/proc/}; echo "${fd%%/*}"; }
	done | sort -u
}
