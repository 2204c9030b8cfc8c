#!/bin/sh
# Install every Debian 12 package that dropscope's build, tests and benchmarks need.
# Idempotent: apt-get skips what is already installed.
set -eu

PKGS="
build-essential pkg-config
clang llvm libclang-rt-14-dev libbpf-dev bpftool libmnl-dev libnftables-dev
iproute2 nftables ethtool procps
jq libpcap-dev libinih-dev tcpdump time
sockperf iperf3 iputils-ping tcptrace tshark bpftrace
libxml2-utils zlib1g-dev libsystemd-dev
"
# Not here: qemu-system-x86, busybox-static and cpio (31 packages with
# QEMU's libraries) and Debian's kernel package, only for
# tests/netns/qemu_lab.sh and lab/qemu.sh, which fetch them themselves
# (tests/qemu_lib.sh: qemu_require) or skip; likewise chromium (23
# packages), only for tests/cli/html_render.sh (tests/lib.sh:
# require_chromium).

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root (apt-get install)" >&2
	exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
echo "deps: installed: $(echo $PKGS)"
