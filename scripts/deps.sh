#!/bin/sh
# Install every Debian 12 package that dropscope's build, tests and benchmarks need.
# Idempotent: apt-get skips what is already installed.
set -eu

PKGS="
build-essential pkg-config
clang llvm libclang-rt-14-dev libbpf-dev bpftool libmnl-dev
iproute2 nftables ethtool procps
jq libpcap-dev tcpdump time
sockperf iperf3 tcptrace tshark bpftrace
"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: must run as root (apt-get install)" >&2
	exit 3
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
echo "deps: installed: $(echo $PKGS)"
