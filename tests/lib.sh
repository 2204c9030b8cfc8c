# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/lib.sh - namespaces, veth pairs, known loss and cleanup for network
# tests and lab/ scenarios.  Source it from bash:
#
#	source "$(dirname "$0")/../lib.sh"
#	require_root; require_cmd iperf3
#	lab_pair off                      # CLI_NS/SRV_NS, cli0<->srv0, 198.18.0.1/.2
#	loss_add "$SRV_NS" 20             # drop 2% of payload segments
#	(or lab_chain off: CLI_NS - RTR_NS - SRV_NS, loss_add_hook "$RTR_NS" forward 20)
#	...; log_test "my check" $?; tests_exit
#
# And for HTML reports: require_chromium (installs it when absent), then
# html_screenshot PAGE PNG, or html_check_figures PAGE PNG N (N <svg>
# figures laid out and painted; tests/cli/html_render.sh).
#
# Rules this library enforces or makes easy: both endpoints live in namespaces
# it creates (never the root namespace), addresses come from 198.18.0.0/15 and
# 2001:2::/48 only (addr_add refuses others), no default route is ever added,
# and everything created is removed on any exit through `defer`.  Do not set
# your own EXIT/INT/TERM trap after sourcing; register cleanups with defer.
# Wait with `wait PID` rather than a long foreground command: bash runs the
# TERM trap only once its foreground child has returned.
#
# All helpers are `set -eu` safe; they return non-zero on failure and say why
# on stderr.

[[ -n ${DS_LIB_LOADED:-} ]] && return 0
DS_LIB_LOADED=1

: "${DS_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}"
: "${DS_BIN:=$DS_ROOT/dropscope}"
: "${DS_ASAN_BIN:=$DS_ROOT/.output/asan/dropscope}"
export DS_ROOT DS_BIN DS_ASAN_BIN

DS_DEFER_CMDS=()	# cleanup commands, run last-in first-out
DS_DEFER_OWNER=()	# BASHPID that registered each one
DS_TRAP_PID=""		# process whose EXIT trap runs the cleanups
DS_NS_SEQ=0
DS_LOSS_SEQ=0
DS_TESTS_FAILED=0
LOSS_TABLE=""
CLI_NS="" RTR_NS="" SRV_NS=""
CLI_IP="" SRV_IP="" CLI_IP6="" SRV_IP6=""

# ds__run_deferred: run this process's deferred commands in reverse order; failures are ignored.
ds__run_deferred() {
	local i
	trap '' INT TERM	# a second signal must not cut the cleanup short
	for ((i = ${#DS_DEFER_CMDS[@]} - 1; i >= 0; i--)); do
		[[ ${DS_DEFER_OWNER[i]} == "$BASHPID" ]] || continue
		eval "${DS_DEFER_CMDS[i]}" || true
		unset 'DS_DEFER_CMDS[i]' 'DS_DEFER_OWNER[i]'
	done
	DS_DEFER_CMDS=("${DS_DEFER_CMDS[@]}")
	DS_DEFER_OWNER=("${DS_DEFER_OWNER[@]}")
}

# ds__on_exit: EXIT trap; cleans up and keeps the script's exit status.
ds__on_exit() {
	local rc=$?
	ds__run_deferred
	exit "$rc"
}

# ds__install_traps: make the current process (script or subshell) clean up on exit and signals.
ds__install_traps() {
	trap ds__on_exit EXIT
	# The handlers ignore further signals first: timeout(1) sends TERM to
	# the test and then to its whole process group, and a second TERM
	# landing inside the EXIT trap would cut the cleanup short.  Sourced
	# into an interactive shell (a lab session), Ctrl-C must not exit it.
	if [[ $- != *i* ]]; then
		trap 'trap "" INT TERM; exit 130' INT
		trap 'trap "" INT TERM; exit 143' TERM
	fi
	DS_TRAP_PID=$BASHPID
}

# defer CMD [ARG...]: register CMD to run, in reverse order, when this shell exits in any way.
defer() {
	# A subshell, e.g. $(...), does not inherit the traps: give it its own,
	# so it removes what it created and nothing of its parent's.
	[[ $DS_TRAP_PID == "$BASHPID" ]] || ds__install_traps
	DS_DEFER_CMDS+=("$(printf '%q ' "$@")")
	DS_DEFER_OWNER+=("$BASHPID")
}

# ns_exec NS CMD [ARG...]: run CMD inside namespace NS.
ns_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ns_destroy NS: end every process left in NS (TERM, then KILL), then delete NS.
ns_destroy() {
	local ns=$1 pid i
	local -a pids=()

	mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
	if ((${#pids[@]})); then
		for pid in "${pids[@]}"; do
			[[ $pid == "$$" || $pid == "$BASHPID" ]] || kill -TERM "$pid" 2>/dev/null
		done
		for ((i = 0; i < 20; i++)); do
			[[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
			sleep 0.05
		done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			[[ $pid == "$$" || $pid == "$BASHPID" ]] || kill -KILL "$pid" 2>/dev/null
		done
	fi
	ip netns del "$ns" 2>/dev/null || true
}

# ns_create VAR: make a uniquely named namespace with lo up, store its name in VAR, defer its deletion.
ns_create() {
	local __var=$1 __ns

	DS_NS_SEQ=$((DS_NS_SEQ + 1))
	printf -v __ns 'ds-%s-%s-%04x' "$BASHPID" "$DS_NS_SEQ" "$RANDOM"
	# Deferred before it exists: a signal between the two must not leak it.
	defer ns_destroy "$__ns"
	ip netns add "$__ns" || return 1
	ip -n "$__ns" link set lo up || return 1
	# No sysctl is needed for determinism today: a new namespace starts with
	# kernel defaults and empty TCP metrics.  Tests that pin the recovery
	# algorithm would set here (via ns_sysctl) net.ipv4.tcp_recovery,
	# tcp_early_retrans, tcp_sack, tcp_timestamps, tcp_ecn, tcp_no_metrics_save.
	printf -v "$__var" '%s' "$__ns"
}

# ns_sysctl NS KEY=VALUE...: set sysctls inside NS (net.* keys are per namespace).
ns_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -qw "$@"
}

# ds__oper_up NS IF: true when IF in NS reports operstate UP (carrier on, qdisc attached).
ds__oper_up() {
	[[ $(ip -n "$1" -br link show dev "$2" 2>/dev/null | awk '{ print $2 }') == UP ]]
}

# ds__link_del NS IF: delete a link quietly (it is gone already if NS was deleted).
ds__link_del() {
	ip -n "$1" link del "$2" 2>/dev/null || true
}

# veth_pair NS_A IFA NS_B IFB: veth with IFA in NS_A and IFB in NS_B, both up and carrying.
veth_pair() {
	local ns_a=$1 if_a=$2 ns_b=$3 if_b=$4

	# Created from inside NS_A, so the link never exists in the root namespace.
	defer ds__link_del "$ns_a" "$if_a"
	ip -n "$ns_a" link add "$if_a" type veth peer name "$if_b" netns "$ns_b" || return 1
	ip -n "$ns_a" link set "$if_a" up || return 1
	ip -n "$ns_b" link set "$if_b" up || return 1
	# Until linkwatch sees the carrier the device still has the noop qdisc,
	# which drops: wait for it so the first SYN is not lost.
	if ! busywait 2000 ds__oper_up "$ns_a" "$if_a" ||
		! busywait 2000 ds__oper_up "$ns_b" "$if_b"; then
		echo "veth_pair: $if_a/$if_b did not come up" >&2
		return 1
	fi
}

# veth_offloads NS IF on|off: switch tso, gso, gro, tx and rx checksumming; fixed features are left alone.
veth_offloads() {
	local ns=$1 ifname=$2 want=$3 feat bad
	local -a order

	command -v ethtool >/dev/null || {
		echo "veth_offloads: ethtool not found" >&2
		return 1
	}
	case $want in
	on) order=(tx rx gso tso gro) ;;	# tso needs tx checksumming first
	off) order=(gro tso gso rx tx) ;;
	*)
		echo "veth_offloads: want on|off, got '$want'" >&2
		return 2
		;;
	esac
	# One feature per call: a feature the device lacks or has fixed makes
	# ethtool fail for that call only.  What counts is the state read back.
	for feat in "${order[@]}"; do
		ip netns exec "$ns" ethtool -K "$ifname" "$feat" "$want" >/dev/null 2>&1 || true
	done
	bad=$(ip netns exec "$ns" ethtool -k "$ifname" | awk -v want="$want" '
		/^(tx-checksumming|rx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):/ {
			if ($2 != want && $0 !~ /\[fixed\]/)
				printf " %s", $1
		}') || return 1
	if [[ -n $bad ]]; then
		echo "veth_offloads: $ifname in $ns: could not turn$bad $want" >&2
		return 1
	fi
}

# rps_cpus NS IF MASK: steer what IF receives to the backlogs of the CPUs in hex MASK (1: CPU 0 only).
rps_cpus() {
	# A veth has one receive queue.  The path must be opened inside NS,
	# where /sys shows NS's devices.
	printf '%s\n' "$3" | ip netns exec "$1" tee "/sys/class/net/$2/queues/rx-0/rps_cpus" >/dev/null
}

# ds__addr_allowed ADDR: true for 198.18.0.0/15 and 2001:2::/48, the benchmarking prefixes.
ds__addr_allowed() {
	[[ $1 =~ ^198\.1[89]\.[0-9]+\.[0-9]+$ ]] ||
		[[ ${1,,} =~ ^2001:0{0,3}2:(:|0{1,4}:) ]]
}

# addr_add NS IF ADDR/PLEN: add an IPv4 or IPv6 address (v6 with nodad, usable at once).
addr_add() {
	local ns=$1 ifname=$2 cidr=$3

	if [[ $cidr != */* ]] || ! ds__addr_allowed "${cidr%/*}"; then
		echo "addr_add: '$cidr' is not ADDR/PLEN inside 198.18.0.0/15 or 2001:2::/48" >&2
		return 2
	fi
	if [[ $cidr == *:* ]]; then
		ip -n "$ns" -6 addr add "$cidr" dev "$ifname" nodad
	else
		ip -n "$ns" addr add "$cidr" dev "$ifname"
	fi
}

# lab_pair [on|off]: new CLI_NS/SRV_NS joined by cli0/srv0 with CLI_IP, SRV_IP, CLI_IP6, SRV_IP6; no default route.
lab_pair() {
	local offloads=${1:-}

	ns_create CLI_NS || return 1
	ns_create SRV_NS || return 1
	veth_pair "$CLI_NS" cli0 "$SRV_NS" srv0 || return 1
	CLI_IP=198.18.0.1
	SRV_IP=198.18.0.2
	CLI_IP6=2001:2::1
	SRV_IP6=2001:2::2
	addr_add "$CLI_NS" cli0 "$CLI_IP/24" &&
		addr_add "$SRV_NS" srv0 "$SRV_IP/24" &&
		addr_add "$CLI_NS" cli0 "$CLI_IP6/64" &&
		addr_add "$SRV_NS" srv0 "$SRV_IP6/64" || return 1
	if [[ -n $offloads ]]; then
		veth_offloads "$CLI_NS" cli0 "$offloads" &&
			veth_offloads "$SRV_NS" srv0 "$offloads" || return 1
	fi
}

# lab_chain [on|off]: new CLI_NS - RTR_NS - SRV_NS over cli0/rtr0 and rtr1/srv0, IPv4 only, CLI_IP and SRV_IP routed via RTR_NS; no default route.
lab_chain() {
	local offloads=${1:-} ns

	ns_create CLI_NS && ns_create RTR_NS && ns_create SRV_NS || return 1
	# IPv4 only: no router solicitations or MLD reports trickle into
	# captures after the traffic, when tcpdump is about to stop.  Set
	# before the links exist, so they never get an IPv6 address.
	for ns in "$CLI_NS" "$RTR_NS" "$SRV_NS"; do
		ns_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
	done
	veth_pair "$CLI_NS" cli0 "$RTR_NS" rtr0 &&
		veth_pair "$RTR_NS" rtr1 "$SRV_NS" srv0 || return 1
	CLI_IP=198.18.0.1
	SRV_IP=198.18.1.2
	CLI_IP6="" SRV_IP6=""
	addr_add "$CLI_NS" cli0 "$CLI_IP/24" &&
		addr_add "$RTR_NS" rtr0 198.18.0.254/24 &&
		addr_add "$RTR_NS" rtr1 198.18.1.254/24 &&
		addr_add "$SRV_NS" srv0 "$SRV_IP/24" || return 1
	ip -n "$CLI_NS" route add 198.18.1.0/24 via 198.18.0.254 &&
		ip -n "$SRV_NS" route add 198.18.0.0/24 via 198.18.1.254 &&
		ns_sysctl "$RTR_NS" net.ipv4.ip_forward=1 || return 1
	if [[ -n $offloads ]]; then
		veth_offloads "$CLI_NS" cli0 "$offloads" &&
			veth_offloads "$RTR_NS" rtr0 "$offloads" &&
			veth_offloads "$RTR_NS" rtr1 "$offloads" &&
			veth_offloads "$SRV_NS" srv0 "$offloads" || return 1
	fi
}

# ds__nft_del NS TABLE: delete an inet table quietly.
ds__nft_del() {
	ip netns exec "$1" nft delete table inet "$2" 2>/dev/null || true
}

# loss_add NS PERMILLE [MATCH...]: drop PERMILLE/1000 of TCP segments with payload arriving in NS
# (random), or with PERMILLE 1/N every Nth of them (as many whatever the timing); sets LOSS_TABLE.
loss_add() {
	local ns=$1

	shift
	loss_add_hook "$ns" input "$@"
}

# loss_add_hook NS HOOK PERMILLE [MATCH...]: loss_add on netfilter HOOK (e.g. forward in a router); sets LOSS_TABLE.
#
# nft cannot subtract one field from another, so "payload > 0" is spelled out
# for every header size: IPv4 IHL 5..15 x TCP data offset 5..15 as
# `ip length > 4*(ihl+doff)`, IPv6 data offset 5..15 as `ip6 length > 4*doff`
# (ip6 length is the payload length).  IPv6 counts only when TCP follows the
# fixed header directly (ip6 nexthdr tcp): with extension headers the length
# test would be wrong, so such segments, like anything else no rule matches,
# pass untouched.  IPv4 fragments are reassembled before the input hook (on
# the others only if conntrack runs in NS).  A drop on output is no loss on
# the wire: the sender's TCP sees its transmit fail and sends it again later.
# SYN, FIN, RST and pure ACKs carry no payload and are never dropped.  Two
# named counters: lossseen counts payload segments considered (after MATCH),
# lossdrops only the ones this table dropped.  With LOSS_NFLOG=GROUP set, each
# dropped packet is also logged to that NFLOG group (tcpdump -i nflog:GROUP).
loss_add_hook() {
	local ns=$1 hook=${2:-} permille=${3:-} extra ihl doff table verdict rules who=loss_add_hook

	[[ ${FUNCNAME[1]:-} == loss_add ]] && who=loss_add
	shift 3 || true
	extra="$*"
	case $hook in
	prerouting | input | forward | output | postrouting) ;;
	*)
		echo "$who: HOOK must be prerouting, input, forward, output or postrouting, got '$hook'" >&2
		return 2
		;;
	esac
	if [[ $permille =~ ^1/([1-9][0-9]*)$ ]]; then
		# Every Nth payload segment: as many drops whatever the timing.
		verdict="numgen inc mod ${BASH_REMATCH[1]} == $((BASH_REMATCH[1] - 1)) counter name lossdrops ${LOSS_NFLOG:+log group $LOSS_NFLOG }drop"
		permille=-1
	elif ! [[ $permille =~ ^[0-9]+$ ]] || ((10#$permille > 1000)); then
		echo "$who: PERMILLE must be 0..1000 or 1/N, got '$permille'" >&2
		return 2
	fi
	((permille >= 0)) && permille=$((10#$permille))
	# numgen's range is 0..999, so "< 1000" is rejected by nft: 1000 is "always".
	if ((permille < 0)); then
		:
	elif ((permille == 1000)); then
		verdict="counter name lossdrops ${LOSS_NFLOG:+log group $LOSS_NFLOG }drop"
	else
		verdict="numgen random mod 1000 < $permille counter name lossdrops ${LOSS_NFLOG:+log group $LOSS_NFLOG }drop"
	fi
	DS_LOSS_SEQ=$((DS_LOSS_SEQ + 1))
	table="dsloss${DS_LOSS_SEQ}_${BASHPID}"

	rules="table inet $table {
	counter lossdrops { }
	counter lossseen { }
	chain $hook {
		type filter hook $hook priority filter; policy accept;
		meta l4proto != tcp return
		meta nfproto ipv4 goto v4
		meta nfproto ipv6 goto v6
	}
	chain v4 {"
	for ((ihl = 5; ihl <= 15; ihl++)); do
		for ((doff = 5; doff <= 15; doff++)); do
			rules+="
		ip hdrlength $ihl tcp doff $doff ip length > $((4 * (ihl + doff))) $extra goto lossy"
		done
		# The common header size first; its pure ACKs stop here.
		((ihl == 5)) && rules+="
		ip hdrlength 5 return"
	done
	rules+="
	}
	chain v6 {"
	for ((doff = 5; doff <= 15; doff++)); do
		rules+="
		ip6 nexthdr tcp tcp doff $doff ip6 length > $((4 * doff)) $extra goto lossy"
	done
	rules+="
	}
	chain lossy {
		counter name lossseen
		$verdict
	}
}"
	defer ds__nft_del "$ns" "$table"
	ip netns exec "$ns" nft -f - <<<"$rules" || {
		echo "$who: nft rejected the loss table in $ns" >&2
		return 1
	}
	LOSS_TABLE=$table
}

# ds__nft_counter NS TABLE NAME: packets of a named counter in an inet table.
ds__nft_counter() {
	ip netns exec "$1" nft -j list counter inet "$2" "$3" |
		jq -er '.nftables[] | select(.counter) | .counter.packets'
}

# loss_count NS [TABLE]: print how many segments the loss table (default LOSS_TABLE) dropped.
loss_count() {
	ds__nft_counter "$1" "${2:-$LOSS_TABLE}" lossdrops
}

# loss_seen NS [TABLE]: print how many payload segments the loss table considered.
loss_seen() {
	ds__nft_counter "$1" "${2:-$LOSS_TABLE}" lossseen
}

# json_num FILE KEY: print the number at .KEY of a JSON file, or "missing" (which fails every numeric test).
json_num() {
	jq -er ".$2 | numbers" "$1" 2>/dev/null || echo missing
}

# tcptrace_rexmt FILE: sum "rexmt data pkts" of both directions in `tcptrace -l` output (FILE - is stdin).
tcptrace_rexmt() {
	awk '/rexmt data pkts:/ { n += $4 + $8 } END { print n + 0 }' "$1"
}

# snmp_get NS FIELD: print a counter of /proc/net/snmp or /proc/net/netstat in NS (TcpRetransSegs, TcpExtTCPTimeouts or TCPTimeouts).
#
# Both files hold pairs of lines, names then values, each starting with the
# section ("Tcp:", "TcpExt:").  FIELD is section+name as nstat spells it; a
# bare name is accepted when only one section has it.
snmp_get() {
	local ns=$1 field=$2

	ip netns exec "$ns" cat /proc/net/snmp /proc/net/netstat | awk -v want="$field" '
		{
			sect = $1
			sub(/:$/, "", sect)
			if (!(sect in names)) {
				names[sect] = $0
				next
			}
			n = split(names[sect], hdr)
			delete names[sect]
			for (i = 2; i <= n && i <= NF; i++) {
				if (sect hdr[i] == want) {
					exact = $i
					found = 1
				} else if (hdr[i] == want) {
					bare = $i
					nbare++
				}
			}
		}
		END {
			if (found)
				print exact
			else if (nbare == 1)
				print bare
			else {
				printf "snmp_get: no single counter named %s\n", want > "/dev/stderr"
				exit 1
			}
		}'
}

# bg_alive PID: true while PID is a live (not zombie) child of this shell.
bg_alive() {
	local stat state ppid
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*") "}	# comm may hold spaces and parentheses
	read -r state ppid _ <<<"$stat"
	# The parent check keeps a recycled PID (ours reaped long ago) safe.
	[[ $state != Z && $ppid == "$BASHPID" ]]
}

# ds__bg_stop PID: TERM, then KILL after 2 s, then reap a background child.
ds__bg_stop() {
	local pid=$1 i

	if bg_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 40; i++)); do
			bg_alive "$pid" || break
			sleep 0.05
		done
		bg_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null || true
}

# bg_run NS VAR CMD [ARG...]: start CMD in the background inside NS, PID in VAR, defer its kill and reap.
bg_run() {
	local __ns=$1 __var=$2 __pid

	shift 2
	# ip netns exec execs CMD, so $! is CMD itself.
	ip netns exec "$__ns" "$@" &
	__pid=$!
	defer ds__bg_stop "$__pid"
	printf -v "$__var" '%s' "$__pid"
}

# ds__sub_stop PID: TERM a sub_run subshell still running, then wait for it (its cleanup takes what it takes).
ds__sub_stop() {
	bg_alive "$1" && kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null || true
}

# sub_run CMD [ARG...]: run CMD in a subshell, so all it creates is gone when it returns; return its status.
sub_run() {
	local pid

	("$@") &
	pid=$!
	defer ds__sub_stop "$pid"	# for an exit (a signal) before it is done
	wait "$pid"
}

# expects FILE: the `# expect: key=value ...` pairs of a scenario (tests/pcap/*.scn)
# or of a real capture's .expect file, one a line.
expects() {
	sed -n 's/^#[[:space:]]*expect:[[:space:]]*//p' "$1" | tr -s ' \t' '\n' | sed '/^$/d'
}

# values JSON KEY...: print KEY=VALUE for each jq path (dots; numbers index
# arrays: stalls.0.ended), "missing" when absent.
values() {
	local json=$1

	shift
	jq -r '$ARGS.positional[] as $k
		| (try getpath($k | split(".") | map(tonumber? // .)) catch null) as $v
		| "\($k)=\(if $v == null then "missing" else $v end)"' "$json" --args "$@"
}

# tcp_how NS: "NAME VALUE" lines of the kernel's own count of how NS's TCP
# re-sent: tail-loss probes, timer firings (SYN, SYN-ACK and data), fast
# (SACK/dupACK/RACK recovery) and slow-start (go-back-N after a timeout)
# retransmissions.
tcp_how() {
	local c v

	for c in TCPLossProbes TCPTimeouts TCPFastRetrans TCPSlowStartRetrans TCPSpuriousRtxHostQueues; do
		v=$(snmp_get "$1" "$c") || return 1
		echo "$c $v"
	done
}

# retrans_how_check LABEL EVENTS SADDR HOW0 HOW1: how `analyze --events`
# says SADDR sent each retransmission (its "trigger", whatever its class:
# also needless ones, which the capture may know were, and SYN/FINs)
# against the growth of SADDR's kernel counters from tcp_how file HOW0 to
# HOW1: fast == TCPFastRetrans; rto == TCPTimeouts + TCPSlowStartRetrans;
# tlp <= TCPLossProbes (a probe may carry new data instead of a re-send).
# Exact but for what no capture can see: Linux skips a probe, or a
# timeout's re-send, while the original is still queued in the host (a
# macvtap ring whose reader stalls), and counts each skip in
# TCPSpuriousRtxHostQueues; a skipped probe is followed by the RTO's
# re-send.  The tolerance is that count (0 where nothing queues).
# Needs every retransmission of SADDR in the capture (it is upstream of
# every drop of SADDR's segments).
retrans_how_check() {
	local label=$1 ev=$2 ip=$3 h0=$4 h1=$5 k_tlp k_to k_fast k_ss k_hq e_tlp e_rto e_fast d

	# how_delta NAME: the counter's growth.
	how_delta() {
		awk -v n="$1" 'FNR == 1 { f++ } $1 == n { v[f] = $2 } END { print v[2] - v[1] }' "$h0" "$h1"
	}
	# ev_trigger HOW: retrans events of segments ip sent HOW.
	ev_trigger() {
		jq -r --arg s "$ip" --arg c "$1" \
			'select(.type == "retrans" and .saddr == $s and .trigger == $c) | .frame' "$ev" | wc -l
	}
	k_tlp=$(how_delta TCPLossProbes) k_to=$(how_delta TCPTimeouts)
	k_fast=$(how_delta TCPFastRetrans) k_ss=$(how_delta TCPSlowStartRetrans)
	k_hq=$(how_delta TCPSpuriousRtxHostQueues)
	e_tlp=$(ev_trigger tlp) e_rto=$(ev_trigger rto) e_fast=$(ev_trigger fast)
	log_info "$label kernel probes=$k_tlp timeouts=$k_to fast=$k_fast slowstart=$k_ss" \
		"host-queue skips=$k_hq | analyze sent as tlp=$e_tlp rto=$e_rto fast=$e_fast"
	((e_fast == k_fast))
	log_test "$label fast retransmissions $e_fast == TCPFastRetrans $k_fast" $?
	d=$((e_rto - k_to - k_ss))
	((d <= k_hq && -d <= k_hq))
	log_test "$label timeout-driven $e_rto == TCPTimeouts+TCPSlowStartRetrans $k_to+$k_ss (+-$k_hq host-queue skips)" $?
	((e_tlp <= k_tlp + k_hq))
	log_test "$label probes $e_tlp <= TCPLossProbes $k_tlp (+$k_hq host-queue skips)" $?
}

# cap_start NS IF FILE BUFKB VAR [FILTER...]: tcpdump IF (snaplen CAP_SNAPLEN, 128) into FILE, stderr to FILE.err, PID in VAR; returns once it captures.
#
# An nflog:GROUP capture needs CAP_SNAPLEN=65535: libpcap reads NFLOG with a
# buffer of snaplen + 128 bytes, and the kernel batches several packets in one
# netlink message, so a small snaplen truncates the batch and loses packets.
cap_start() {
	local __ns=$1 __if=$2 __file=$3 __buf=$4 __var=$5

	shift 5
	bg_run "$__ns" "$__var" tcpdump -n -i "$__if" -s "${CAP_SNAPLEN:-128}" -B "$__buf" -w "$__file" "$@" \
		2>"$__file.err"
	busywait 5000 grep -q "listening on" "$__file.err" || {
		echo "tcpdump on $__if did not start:" >&2
		cat "$__file.err" >&2
		return 1
	}
}

# cap_stop PID FILE VAR [PID FILE VAR...]: stop cap_start's tcpdumps, "captured received dropped" in each VAR; 1 if one lost packets.
#
# libpcap's TPACKET_V3 ring hands a block over when it is full or after
# tcpdump's 1 s timeout: stopped earlier, tcpdump loses the last block.
# "dropped" is -1 when tcpdump did not report it.  Call it in this shell,
# not in $(...): only this shell can wait for its children.
cap_stop() {
	local __stats __c __r __d __rc=0

	if (($# == 0 || $# % 3)); then
		echo "cap_stop: want PID FILE VAR triples, got $# arguments" >&2
		return 2
	fi
	nap 1.5
	while (($#)); do
		kill -INT "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		__stats=$(awk '/packets captured$/ { c = $1 } /packets received by filter$/ { r = $1 }
			/packets dropped by kernel$/ { d = $1 }
			END { print c + 0, r + 0, (d == "" ? -1 : d) }' "$2.err")
		read -r __c __r __d <<<"$__stats"
		((__c == __r && __d == 0)) || __rc=1
		printf -v "$3" '%s' "$__stats"
		shift 3
	done
	return "$__rc"
}

# filtered_captures NS IF N: true once N packet sockets on IF in NS have their filter.
#
# libpcap binds first, then drops what came before the filter
# (it drains the socket), so a capture counts as started only from then on.
filtered_captures() {
	(($(ip netns exec "$1" ss -0 -b -n | awk -v dev="*:$2" '
		$1 ~ /^p_/ { on = ($4 == dev) }
		on && /bpf filter \(/ {
			n = $0
			sub(/.*bpf filter \(/, "", n)
			if (n + 0 > 1)	# the drain filter is one "ret #0"
				k++
		}
		END { print k + 0 }') >= $3))
}

# busywait TIMEOUT_MS CMD [ARG...]: retry CMD every 50 ms until it succeeds; else return its last status.
busywait() {
	local timeout_ms=$1 start now rc

	shift
	start=${EPOCHREALTIME//[!0-9]/}
	while :; do
		"$@" && return 0
		rc=$?
		now=${EPOCHREALTIME//[!0-9]/}
		(((now - start) / 1000 >= timeout_ms)) && return "$rc"
		sleep 0.05
	done
}

# nap SECS: sleep as a waited-for child, so a TERM runs the cleanup at once.
nap() {
	sleep "$1" &
	wait $!
}

# ns_listening NS PORT: true if a TCP socket listens on PORT in NS.
ns_listening() {
	[[ -n $(ip netns exec "$1" ss -Htln "sport = :$2") ]]
}

# no_tcp NS...: true when the namespaces hold no TCP socket but TIME-WAIT ones.
no_tcp() {
	local ns

	for ns in "$@"; do
		[[ -z $(ip netns exec "$ns" ss -Htan exclude time-wait) ]] || return 1
	done
}

# tmpdir_create VAR: make a private temporary directory, name in VAR, defer its removal.
tmpdir_create() {
	local __var=$1 __dir

	__dir=$(mktemp -d "${TMPDIR:-/tmp}/ds-test.XXXXXX") || return 1
	defer rm -rf "$__dir"
	printf -v "$__var" '%s' "$__dir"
}

# log_info MSG...: a comment line in the test output (not tallied).
log_info() {
	printf '# %s\n' "$*"
}

# log_test NAME RC [REASON]: print TEST: NAME [ OK ] (RC 0), [SKIP] REASON (RC 4) or [FAIL] REASON.
log_test() {
	local name=$1 rc=$2 reason=${3:-}

	case $rc in
	0) printf 'TEST: %-60s [ OK ]\n' "$name" ;;
	4) printf 'TEST: %-60s [SKIP]%s\n' "$name" "${reason:+ $reason}" ;;
	*)
		printf 'TEST: %-60s [FAIL]%s\n' "$name" "${reason:+ $reason}"
		DS_TESTS_FAILED=1
		;;
	esac
}

# tests_exit: exit 1 if any log_test failed, else 0.
tests_exit() {
	exit $((DS_TESTS_FAILED ? 1 : 0))
}

# ds__file_name: this test file's name, for file-wide SKIP lines.
ds__file_name() {
	local f
	f=$(basename -- "$0")
	printf '%s\n' "${f%.sh}"
}

# require_root: print one SKIP line for the file and exit 4 unless root.
require_root() {
	if ((EUID != 0)); then
		log_test "$(ds__file_name)" 4 "needs root"
		exit 4
	fi
}

# ds__apt ARG...: apt-get, quiet and non-interactive, bounded in time.
ds__apt() {
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get "$@" >/dev/null 2>&1
}

# require_chromium: set CHROMIUM, installing Debian's chromium when absent (root); else one SKIP line and exit 4.
#
# Not in scripts/deps.sh: 23 packages (GTK, codecs) that only the HTML
# rendering tests need.  The install time is logged.
require_chromium() {
	local t0 t1

	CHROMIUM=$(command -v chromium) && return 0
	if ((EUID != 0)); then
		log_test "$(ds__file_name)" 4 "needs chromium (root would install it)"
		exit 4
	fi
	t0=${EPOCHREALTIME//[!0-9]/}
	if ! ds__apt update -qq || ! ds__apt install -y -qq --no-install-recommends chromium ||
		! CHROMIUM=$(command -v chromium); then
		log_test "$(ds__file_name)" 4 "apt-get could not install chromium"
		exit 4
	fi
	t1=${EPOCHREALTIME//[!0-9]/}
	log_info "chromium installed in $(((t1 - t0) / 1000000)).$((((t1 - t0) / 100000) % 10)) s"
}

# ds__chromium TMP ARG...: headless Chromium that cannot reach any network, bounded in time (CHROMIUM_SECS, 60).
#
# Offline three times over: in a network namespace of its own when root
# (only a down loopback: nothing to reach), every host name resolving to
# nothing, every proxied request sent to a closed port.  Its profile,
# cache and crash dumps stay in TMP.  Root needs --no-sandbox.
ds__chromium() {
	local tmp=$1
	local -a pre=()

	shift
	((EUID == 0)) && unshare --net true 2>/dev/null && pre=(unshare --net)
	mkdir -p "$tmp/home" || return 1
	HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home XDG_CACHE_HOME=$tmp/home \
		timeout -k 5 "${CHROMIUM_SECS:-60}" "${pre[@]}" "$CHROMIUM" \
		--headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$tmp/profile" --no-first-run --no-default-browser-check \
		--disable-extensions --disable-background-networking --disable-component-update \
		--disable-sync --disable-default-apps --disable-domain-reliability --no-pings \
		--disable-breakpad --host-resolver-rules="MAP * ~NOTFOUND" \
		--proxy-server=127.0.0.1:9 --proxy-bypass-list="<-loopback>" \
		--hide-scrollbars --force-device-scale-factor=1 --window-size="${CHROMIUM_WINDOW:-1200,1600}" \
		--run-all-compositor-stages-before-draw --virtual-time-budget=5000 "$@"
}

# ds__file_url FILE: file:// URL of FILE (absolute, percent-encoded where it matters).
ds__file_url() {
	local f

	f=$(realpath -- "$1") || return 1
	f=${f//%/%25}
	f=${f// /%20}
	f=${f//#/%23}
	f=${f//\?/%3F}
	printf 'file://%s\n' "$f"
}

# html_screenshot HTML PNG: render local HTML to a PNG of the window (CHROMIUM_WINDOW, 1200,1600) with headless Chromium (require_chromium first).
html_screenshot() {
	local html=$1 png=$2 tmp rc

	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ds-chromium.XXXXXX") || return 1
	rm -f "$png"
	ds__chromium "$tmp" --screenshot="$(realpath -m -- "$png")" "$(ds__file_url "$html")" \
		>"$tmp/out" 2>&1
	rc=$?
	if ((rc != 0)) || [[ ! -s $png ]]; then
		echo "html_screenshot: chromium exit $rc, no $png:" >&2
		tail -n 5 "$tmp/out" >&2
		rc=1
	fi
	rm -rf "$tmp"
	return "$rc"
}

# html_svg_boxes HTML [PNG]: print "x y width height" (CSS px, rounded) of each <svg> of HTML as Chromium lays it out; PNG: screenshot of the same run.
#
# A copy of the page gets a script at its end, which runs after the parser
# has seen every figure, forces layout and writes their boxes into
# <body data-svg-boxes>; --dump-dom prints the DOM that results.  No
# timing is involved: the boxes exist once the script has run.  The
# script changes no pixel, so the screenshot is the page's.
html_svg_boxes() {
	local html=$1 png=${2:-} tmp rc copy
	local -a shot=()

	tmp=$(mktemp -d "${TMPDIR:-/tmp}/ds-chromium.XXXXXX") || return 1
	copy=$tmp/boxes.html	# a self-contained page renders the same from anywhere
	{
		cat -- "$html"
		printf '%s\n' '<script>document.body.dataset.svgBoxes = Array.from(' \
			'document.querySelectorAll("svg"), s => { const b = s.getBoundingClientRect();' \
			'return [b.x, b.y, b.width, b.height].map(Math.round).join(" "); }).join(";");</script>'
	} >"$copy" || return 1
	if [[ -n $png ]]; then
		rm -f -- "$png"
		shot=(--screenshot="$(realpath -m -- "$png")")
	fi
	ds__chromium "$tmp" --dump-dom "${shot[@]}" "$(ds__file_url "$copy")" >"$tmp/dom" 2>"$tmp/err"
	rc=$?
	[[ -z $png || -s $png ]] || rc=1
	if ((rc == 0)); then
		sed -n 's/.*data-svg-boxes="\([^"]*\)".*/\1/p' "$tmp/dom" | tr ';' '\n' | sed '/^$/d'
	else
		echo "html_svg_boxes: chromium exit $rc:" >&2
		tail -n 5 "$tmp/err" >&2
	fi
	rm -rf "$tmp"
	return "$rc"
}

# html_check_figures HTML PNG N: true when Chromium lays out exactly N <svg> figures of HTML, each of nonzero size, inside the PNG screenshot it takes, and each with at least 1% of its pixels not white; the boxes stay in HTML_BOXES.
#
# Layout (html_svg_boxes) and paint (pngink on the screenshot of the same
# run) together: a figure that is in the DOM but not drawn, or drawn off
# the 1200x1600 window, fails.  Says why on stderr.
html_check_figures() {
	local html=$1 png=$2 want=$3 ink=$DS_ROOT/.output/tools/pngink
	local n=0 x y w h painted total pw ph

	HTML_BOXES=""
	if [[ ! -x $ink ]]; then
		echo "html_check_figures: $ink not built (make tools)" >&2
		return 1
	fi
	HTML_BOXES=$(html_svg_boxes "$html" "$png") && read -r pw ph < <("$ink" "$png") || return 1
	while read -r x y w h; do
		[[ -n $x ]] || continue
		n=$((n + 1))
		if ! ((w > 0 && h > 0 && x >= 0 && y >= 0 && x + w <= pw && y + h <= ph)); then
			echo "html_check_figures: figure $n at $x $y, $w x $h: empty or outside the ${pw}x$ph screenshot" >&2
			return 1
		fi
		read -r painted total < <("$ink" "$png" "$x" "$y" "$w" "$h") || return 1
		if ((painted * 100 < total)); then
			echo "html_check_figures: figure $n: $painted of $total pixels painted" >&2
			return 1
		fi
	done <<<"$HTML_BOXES"
	if ((n != want)); then
		echo "html_check_figures: $n figures laid out, want $want" >&2
		return 1
	fi
}

# require_cmd CMD...: print one SKIP line for the file and exit 4 if a command is missing.
require_cmd() {
	local c

	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			log_test "$(ds__file_name)" 4 "needs $c"
			exit 4
		fi
	done
}

ds__install_traps
