#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/drops.sh - what tracing costs: iperf3 throughput over one veth pair
# between two namespaces with no tracer, with `dropscope drops` and with a
# bpftrace one-liner on the same three tracepoints (the peer); ratios.
#
# usage: bench/drops.sh [-d SECONDS] [-r ROUNDS] [-l PERMILLE,...] [-o on|off] [-p] [-n] [-h]
#   -d SECONDS   length of every iperf3 run (default 10; env SECS)
#   -r ROUNDS    rounds of the three arms; the arm that runs first rotates
#                every round (default 3; env ROUNDS)
#   -l LIST      cases: per mille of the client's data segments that nft drops
#                on the server's input, comma-separated (default 10,0: 1% and
#                none; env LOSS)
#   -o on|off    veth offloads (default off: one MSS per segment, so the rule
#                drops wire segments, not 64 KB GSO packets; env OFFLOADS)
#   -p           pin the iperf3 client and server to CPU 0 (env PIN=1)
#   -n           do not measure the tracers' BPF run time (by default the
#                sysctl kernel.bpf_stats_enabled is 1 during the script and
#                restored at exit; env BPF_STATS=0)
#
# One iperf3 stream (client -> server) per run, both ends in namespaces.
# Arms: none; `dropscope drops -d SECONDS+30` (tp_btf programs, per-CPU hash
# maps) stopped with SIGINT after the run; bpftrace counting the tracepoints
# skb:kfree_skb, tcp:tcp_retransmit_skb and tcp:tcp_retransmit_synack in
# maps.  Both tracers run in the root namespace and see every namespace.  A
# run starts only once bpftool lists the tracer's three programs as attached.
# Throughput is iperf3's receiver side; the ratio is the arm's median over
# the untraced median.  On a 2-vCPU VM one 10 s run differs from the next
# by up to +-10%, more than the 3% the goal is about, so the kernel's run
# time of the tracer's BPF programs (bpf_stats) is also read and divided by
# the busy CPU time of the run: the direct cost of tracing, which a second
# goal line holds against 3%.  stdout: the table and the goal lines.
# Exit 0 whatever the ratios; 1 if a run failed, 2 usage, 3 not root or a
# missing tool (make deps).
# shellcheck disable=SC2317  # helpers called through busywait and sub_run
set -u

PORT=5201
SECS=${SECS:-10} ROUNDS=${ROUNDS:-3} LOSS=${LOSS:-10,0} OFFLOADS=${OFFLOADS:-off}
PIN=${PIN:-0} BPF_STATS=${BPF_STATS:-1}
# bpftrace 0.17 tracepoint args; keys like dropscope's (drop site and
# reason, retransmitting socket), so both tools do a hash update per event.
BT_PROG='tracepoint:skb:kfree_skb { @drops[args->location, args->reason] = count(); }
tracepoint:tcp:tcp_retransmit_skb { @rtx[args->skaddr] = count(); }
tracepoint:tcp:tcp_retransmit_synack { @synack[args->skaddr] = count(); }'
ARMS=(none ds bt)

usage() {
	awk 'NR > 3 && !/^#/ { exit } NR > 3 && !/^# shellcheck/ { sub(/^# ?/, ""); print }' "$0"
}

while getopts "d:r:l:o:pnh" o; do
	case $o in
	d) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	l) LOSS=$OPTARG ;;
	o) OFFLOADS=$OPTARG ;;
	p) PIN=1 ;;
	n) BPF_STATS=0 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($#)) || ! [[ $SECS =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ && $LOSS =~ ^[0-9]+(,[0-9]+)*$ &&
	$OFFLOADS =~ ^(on|off)$ && $PIN =~ ^[01]$ && $BPF_STATS =~ ^[01]$ ]] ||
	((SECS < 2 || SECS > 600 || ROUNDS < 1 || ROUNDS > 50)); then
	usage >&2
	exit 2
fi
IFS=, read -r -a CASES <<<"$LOSS"
for l in "${CASES[@]}"; do
	((10#$l <= 1000)) || { usage >&2; exit 2; }
done
PIN_CMD=()
((PIN)) && PIN_CMD=(taskset -c 0)
NCPU=$(nproc)

top=$(cd "$(dirname "$0")/.." && pwd -P)
BIN=${DS_BIN:-$top/dropscope}
say() { printf '%s\n' "$*" >&2; }

((EUID == 0)) || { say "bench/drops.sh: needs root (namespaces, BPF)"; exit 3; }
for c in iperf3 bpftrace bpftool nft ethtool jq ss; do
	command -v $c >/dev/null || { say "bench/drops.sh: $c not found; run 'make deps'"; exit 3; }
done
[[ -x $BIN ]] || { say "bench/drops.sh: $BIN not built (run make)"; exit 1; }

# shellcheck source=SCRIPTDIR/../tests/lib.sh
source "$top/tests/lib.sh"

tmpdir_create T
: >"$T/results"

MY_SID=$(awk '{ sub(/^.*\) /, ""); print $4 }' /proc/self/stat)

# stat_busy VAR FILE: "busy total" ticks of all cores from /proc/stat in
# VAR; in FILE "pid:starttime ticks" (utime + stime) of every live user
# process of other sessions: other users' load (their tests, builds).
stat_busy() {
	printf -v "$1" '%s' "$(awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b, b + $5 + $6 }' /proc/stat)"
	# One cat: it goes on past a process that is gone (awk would stop).
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$MY_SID" 'NF {
		pid = $1
		sub(/^.*\) /, "")	# comm may hold spaces and parentheses
		# fields from 3 (state) on; not kernel threads (PF_KTHREAD)
		if ($4 != sid && $4 != 0 && int($7 / 2097152) % 2 == 0)
			print pid ":" $20, $12 + $13
	}' >"$2"
}

# busy_pct SNAP0 SNAP1 FILE0 FILE1: "BUSY% OTHER%" of all cores between
# two stat_busy.  A process that started in between counts whole; one that
# ended in between is missed.
busy_pct() {
	# Process times and /proc/stat are both in USER_HZ ticks.
	awk -v a="$1" -v b="$2" 'FNR == NR { t0[$1] = $2; next }
		{ other += $2 - ($1 in t0 ? t0[$1] : 0) }
		END {
			split(a, x); split(b, y)
			if (y[2] <= x[2]) { print "0 0"; exit }
			printf "%d %d\n", 100 * (y[1] - x[1]) / (y[2] - x[2]) + 0.5,
			       100 * other / (y[2] - x[2]) + 0.5
		}' "$3" "$4"
}

# tp_progs: "pid prog_id tracepoint" of every BPF program on the three
# tracepoints (bpftool perf show lists all processes whatever it is given).
tp_progs() {
	bpftool -j perf show 2>/dev/null | jq -r '.[] |
		select(.tracepoint == "kfree_skb" or .tracepoint == "tcp_retransmit_skb" or
		       .tracepoint == "tcp_retransmit_synack") | "\(.pid) \(.prog_id) \(.tracepoint)"'
}

# tracer_pids PID: " PID " for awk's index(), or " " without a tracer.
tracer_pids() {
	echo " ${1:+$1 }"
}

# attached PID: true once PID holds programs on all three tracepoints.
attached() {
	(($(tp_progs | awk -v p="$(tracer_pids "$1")" 'index(p, " " $1 " ") { n[$3] = 1 }
		END { print length(n) }') == 3))
}

# foreign_progs [PID]: programs on the three tracepoints not held by PID (other users' tracers).
foreign_progs() {
	local mine=" "

	[[ -n ${1:-} ]] && mine=$(tracer_pids "$1")
	tp_progs | awk -v p="$mine" '!index(p, " " $1 " ") { n++ } END { print n + 0 }'
}

# bpf_stats PID: "RUN_TIME_NS RUN_CNT" summed over PID's programs on the
# three tracepoints (kernel.bpf_stats_enabled; "0 0" with -n).
bpf_stats() {
	local id ns=0 cnt=0 t c

	((BPF_STATS)) || { echo "0 0"; return; }
	for id in $(tp_progs | awk -v p="$(tracer_pids "$1")" 'index(p, " " $1 " ") { print $2 }'); do
		read -r t c < <(bpftool -j prog show id "$id" 2>/dev/null |
			jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')
		ns=$((ns + ${t:-0})) cnt=$((cnt + ${c:-0}))
	done
	echo "$ns $cnt"
}

# tracer_start ARM DIR VAR: start the arm's tracer, PID in VAR; returns once its programs are attached.
tracer_start() {
	local __arm=$1 __dir=$2 __var=$3 __pid

	case $__arm in
	ds) "$BIN" -v -j drops -d $((SECS + 30)) >"$__dir/ds.json" 2>"$__dir/ds.err" & ;;
	bt)
		# "Attaching 3 probes..." and BEGIN come 1-2 s before the
		# programs are attached: bpftool tells when they are.  It ends
		# itself (interval), not through timeout(1): killing timeout
		# would leave bpftrace running, attached.
		bpftrace -e "$BT_PROG
interval:s:$((SECS + 60)) { exit(); }" >"$__dir/bt.out" 2>"$__dir/bt.err" &
		;;
	esac
	__pid=$!
	defer ds__bg_stop "$__pid"
	printf -v "$__var" '%s' "$__pid"
	busywait 20000 attached "$__pid" && return 0
	say "bench/drops.sh: $__arm tracer did not attach:"
	tail -n 5 "$__dir/$__arm".* >&2
	ds__bg_stop "$__pid"	# not left beside the next run
	return 1
}

# tracer_gone PID: true once PID has exited (a zombie counts as exited).
tracer_gone() {
	! bg_alive "$1"
}

# tracer_stop PID: SIGINT the tracer (both print their maps then), wait for
# it at most 10 s; returns its exit status.
tracer_stop() {
	kill -INT "$1" 2>/dev/null
	busywait 10000 tracer_gone "$1" || kill -KILL "$1" 2>/dev/null
	wait "$1"
}

# tracer_events ARM DIR: "KFREE RTX" events the tracer counted, or "- -".
tracer_events() {
	case $1 in
	ds) jq -er '"\([.reasons[]] | add // 0) \([.tcp.flows[].events] | add // 0)"' "$2/ds.json" 2>/dev/null ||
		echo "- -" ;;
	bt) awk '/^@drops\[/ { d += $NF } /^@(rtx|synack)\[/ { r += $NF } /^@/ { seen = 1 }
		END { if (seen) print d + 0, r + 0; else print "- -" }' "$2/bt.out" ;;
	*) echo "- -" ;;
	esac
}

# run_one CASE ROUND ARM: one iperf3 run beside the arm's tracer; appends "permille
# round arm bps secs nft_drops retrans kfree rtx busy% other% foreign bpf_ns bpf_runs".
run_one() {
	local permille=$1 round=$2 arm=$3 dir=$T/run.$1.$2.$3 tpid="" cpid rc n0 n1 s0 s1
	local bps secs rtx kfree trtx foreign busy other bpf0 bpf1 bns bcnt

	mkdir "$dir" || return 1
	if [[ $arm != none ]]; then
		tracer_start "$arm" "$dir" tpid || return 1
	fi
	foreign=$(foreign_progs "$tpid")
	bpf0=$(bpf_stats "$tpid")
	n0=$(loss_count "$SRV_NS") || return 1
	stat_busy s0 "$dir/procs0"
	bg_run "$CLI_NS" cpid timeout $((SECS + 30)) "${PIN_CMD[@]}" iperf3 -c "$SRV_IP" -p "$PORT" \
		-t "$SECS" -J >"$dir/iperf.json" 2>"$dir/iperf.err"
	wait "$cpid"
	rc=$?
	stat_busy s1 "$dir/procs1"
	n1=$(loss_count "$SRV_NS") || return 1
	if [[ -n $tpid ]]; then
		bpf1=$(bpf_stats "$tpid")
		if ! tracer_stop "$tpid"; then
			say "bench/drops.sh: $arm tracer failed:"
			tail -n 5 "$dir/$arm".* >&2
			return 1
		fi
	else
		bpf1=$bpf0
	fi
	read -r bps secs rtx < <(jq -er '.end | select(.sum_received.seconds > 0) |
		"\(.sum_received.bits_per_second) \(.sum_received.seconds) \(.sum_sent.retransmits)"' \
		"$dir/iperf.json" 2>/dev/null)
	if ((rc != 0)) || [[ -z ${bps:-} ]]; then
		say "bench/drops.sh: iperf3 failed (exit $rc):"
		tail -n 5 "$dir/iperf.err" "$dir/iperf.json" >&2
		return 1
	fi
	read -r kfree trtx < <(tracer_events "$arm" "$dir")
	read -r busy other < <(busy_pct "$s0" "$s1" "$dir/procs0" "$dir/procs1")
	read -r bns bcnt < <(awk -v a="$bpf0" -v b="$bpf1" 'BEGIN { split(a, x); split(b, y)
		print y[1] - x[1], y[2] - x[2] }')
	echo "$permille $round $arm $bps $secs $((n1 - n0)) $rtx $kfree $trtx $busy $other $foreign $bns $bcnt" \
		>>"$T/results"
	awk -v a="$arm" -v r="$round" -v p="$permille" -v bps="$bps" -v s="$secs" -v n=$((n1 - n0)) \
	    -v k="$kfree" -v f="$foreign" -v o="$other" 'BEGIN {
		printf "  loss %s/1000  round %s  %-4s %6.2f Gbit/s  nft drops %d/s  kfree_skb %s/s%s%s\n",
		       p, r, a, bps / 1e9, n / s, k == "-" ? "-" : sprintf("%d", k / s),
		       (o > 5 ? "  other load " o "%" : ""),
		       (f ? "  (" f " foreign BPF programs on the tracepoints)" : "") }' >&2
}

# run_case PERMILLE: its own namespaces, loss table and iperf3 server; every round runs all arms.
run_case() {
	# shellcheck disable=SC2034 # srv is set by bg_run
	local permille=$1 srv r i arm

	lab_pair "$OFFLOADS" || return 1
	# With 0 the table is there too: both cases pay for the same rule.
	loss_add "$SRV_NS" "$permille" || return 1
	bg_run "$SRV_NS" srv timeout $((ROUNDS * ${#ARMS[@]} * (SECS + 90))) "${PIN_CMD[@]}" \
		iperf3 -s -B "$SRV_IP" -p "$PORT" >"$T/server.$permille.log" 2>&1
	busywait 5000 ns_listening "$SRV_NS" "$PORT" ||
		{ say "bench/drops.sh: iperf3 -s not listening"; return 1; }
	# Not counted: the first run after the namespaces are made warms up
	# the neighbour entries, the server and the caches.
	ip netns exec "$CLI_NS" timeout 30 "${PIN_CMD[@]}" iperf3 -c "$SRV_IP" -p "$PORT" -t 2 \
		>/dev/null 2>&1 &
	wait $! || { say "bench/drops.sh: the warm-up run of iperf3 failed"; return 1; }
	for ((r = 1; r <= ROUNDS; r++)); do
		for ((i = 0; i < ${#ARMS[@]}; i++)); do
			arm=${ARMS[(r - 1 + i) % ${#ARMS[@]}]}
			run_one "$permille" "$r" "$arm" ||
				echo "$permille $r $arm - - - - - - - - - - -" >>"$T/results"
		done
	done
}

# report: medians per case and arm, ratios to the untraced arm, the goal lines (stdout).
report() {
	awk -v secs="$SECS" -v rounds="$ROUNDS" -v offl="$OFFLOADS" -v cases="${CASES[*]}" \
	    -v base="$BASELINE" -v dsv="$DS_VERSION" -v btv="$BT_VERSION" -v ipv="$IP_VERSION" \
	    -v ncpu="$NCPU" -v kver="$(uname -r)" -v btprog="$BT_PROG" -v pin="$PIN" \
	    -v bstats="$BPF_STATS" '
	function med(list,    v, n, i, j, t) {
		n = split(list, v, " ")
		if (!n)
			return "-"
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	function grp(x,    s, r) {		# 12345.6 -> 12,346
		if (x == "-")
			return "-"
		s = sprintf("%.0f", x); r = ""
		while (length(s) > 3) {
			r = "," substr(s, length(s) - 2) r
			s = substr(s, 1, length(s) - 3)
		}
		return s r
	}
	function lossname(p) {
		return p == 0 ? "none" : sprintf("%g%%", p / 10)
	}
	$4 == "-" { failed[$1, $3]++; next }
	{
		k = $1 SUBSEP $3
		G[k] = G[k] " " $4 / 1e9
		N[k] = N[k] " " $6 / $5
		R[k] = R[k] " " $7 / $5
		if ($8 != "-") {
			K[k] = K[k] " " $8 / $5
			E[k] = E[k] " " ($8 + $9) / $5
		}
		C[k] = C[k] " " $10
		O[k] = O[k] " " $11
		if ($11 > 5)
			busy_runs++
		if ($12 > 0)
			foreign++
		if ($14 >= 1000)	# a few cold runs (cache misses) say nothing
			NS[k] = NS[k] " " $13 / $14
		if (bstats && $3 != "none" && $10 > 0)	# BPF time / busy CPU time
			BP[k] = BP[k] " " 100 * $13 / 1e9 / ($10 / 100 * ncpu * $5)
		g = $4 / 1e9
		if (!(k in lo) || g < lo[k]) lo[k] = g
		if (!(k in hi) || g > hi[k]) hi[k] = g
	}
	END {
		printf "# tracing cost: iperf3, 1 TCP stream, over one veth pair between two namespaces\n"
		printf "#   %d s per run, %d round(s), the first arm rotated every round; medians of rounds\n",
		       secs, rounds
		printf "#   veth offloads %s; nft drops the given share of the client'"'"'s data segments\n", offl
		printf "#   on the server'"'"'s input (\"none\": the same rule dropping nothing)\n"
		printf "# dropscope: drops -d %d, SIGINT after the run (%s)\n", secs + 30, dsv
		printf "# bpftrace:  %s, program:\n", btv
		n = split(btprog, line, "\n")
		for (i = 1; i <= n; i++)
			printf "#   %s\n", line[i]
		printf "#   interval:s:%d { exit(); }   (its own end, never reached)\n", secs + 60
		printf "# %s; kernel %s; %d CPUs; %s\n", ipv, kver, ncpu,
		       pin ? "iperf3 client and server pinned to CPU 0" : "nothing pinned"
		printf "# nft drop/s, retrans/s: the nft counter and iperf3'"'"'s retransmits per second of\n"
		printf "#   traffic; kfree_skb/s, events/s: what the tracer counted (every namespace;\n"
		printf "#   events adds tcp_retransmit_skb and _synack); cpu: busy %% of all cores;\n"
		printf "#   other: CPU of other sessions'"'"' processes (other users'"'"' load), %% of all cores\n"
		if (bstats)
			printf "# ns/event: BPF run time per program run; bpf: BPF run time, %% of the busy CPU time\n"
		printf "# before the runs the machine was %d%% busy\n\n", base
		printf "%-5s %-10s %6s %6s %10s %9s %11s %9s", "loss", "arm", "Gbit/s", "ratio",
		       "nft drop/s", "retrans/s", "kfree_skb/s", "events/s"
		if (bstats)
			printf " %8s %6s", "ns/event", "bpf"
		printf " %4s %5s   %s\n", "cpu", "other", "Gbit/s of rounds"
		nc = split(cases, cs, " ")
		split("none ds bt", arms, " ")
		name["none"] = "no tracer"; name["ds"] = "dropscope"; name["bt"] = "bpftrace"
		for (c = 1; c <= nc; c++) {
			p = cs[c] + 0
			base_g = med(G[p, "none"])
			for (a = 1; a <= 3; a++) {
				k = p SUBSEP arms[a]
				g = med(G[k])
				ratio[k] = (g != "-" && base_g != "-" && base_g > 0) ? sprintf("%.3f", g / base_g) : "-"
				rounds_g = ""
				n = split(G[k], v, " ")
				for (i = 1; i <= n; i++)
					rounds_g = rounds_g (i > 1 ? " " : "") sprintf("%.2f", v[i])
				if (failed[p, arms[a]])
					rounds_g = rounds_g " (" failed[p, arms[a]] " failed)"
				printf "%-5s %-10s %6s %6s %10s %9s %11s %9s",
				       a == 1 ? lossname(p) : "", name[arms[a]],
				       g == "-" ? "-" : sprintf("%.2f", g), a == 1 ? "1" : ratio[k],
				       grp(med(N[k])), grp(med(R[k])), grp(med(K[k])), grp(med(E[k]))
				if (bstats)
					printf " %8s %6s", med(NS[k]) == "-" ? "-" : sprintf("%.0f", med(NS[k])),
					       med(BP[k]) == "-" ? "-" : sprintf("%.3f%%", med(BP[k]))
				printf " %3s%% %4s%%   %s\n", med(C[k]), med(O[k]), rounds_g
			}
			k = p SUBSEP "none"
			if ((k in lo) && base_g > 0)
				spread[p] = (hi[k] - lo[k]) / base_g
		}
		printf "\n"
		if (foreign)
			printf "# %d run(s) had other BPF programs on these tracepoints (another user tracing)\n",
			       foreign
		if (busy_runs)
			printf "# %d run(s) shared the CPUs with other users'"'"' processes (other > 5%%)\n", busy_runs
		for (c = 1; c <= nc; c++) {
			p = cs[c] + 0
			if (p in spread && spread[p] > 0.03)
				printf "# loss %s: the untraced rounds spread %.1f%% (max - min over median),\n" \
				       "#   more than the 3%% the goal is about: more rounds (-r) or a quiet machine\n",
				       lossname(p), 100 * spread[p]
		}
		printf "\n"
		for (c = 1; c <= nc; c++) {
			p = cs[c] + 0
			r = ratio[p, "ds"]; b = ratio[p, "bt"]
			printf "goal loss %-5s dropscope costs <= 3%% throughput (ratio >= 0.97)   %s   bpftrace %s\n",
			       lossname(p), r == "-" ? "not measured" : (r + 0 >= 0.97 ? "PASS" : "FAIL") " (" r ")",
			       b == "-" ? "-" : b
			if (!bstats)
				continue
			d = med(BP[p, "ds"]); b = med(BP[p, "bt"])
			verdict = d == "-" ? "not measured" : (d + 0 <= 3 ? "PASS" : "FAIL") sprintf(" (%.3f%%)", d)
			printf "goal loss %-5s dropscope BPF time <= 3%% of busy CPU time         %s   bpftrace %s\n",
			       lossname(p), verdict, b == "-" ? "-" : sprintf("%.3f%%", b)
		}
	}' "$T/results"
}

DS_VERSION=$("$BIN" -V 2>&1 | head -n 1)
BT_VERSION=$(bpftrace --version 2>&1 | head -n 1)
IP_VERSION=$(iperf3 --version 2>&1 | head -n 1 | cut -d' ' -f1,2)
if ((BPF_STATS)); then
	old=$(sysctl -n kernel.bpf_stats_enabled) || exit 1
	defer sysctl -qw "kernel.bpf_stats_enabled=$old"
	sysctl -qw kernel.bpf_stats_enabled=1 || exit 1
fi
b0="" b1=""
stat_busy b0 "$T/procs0"
nap 1
stat_busy b1 "$T/procs1"
read -r BASELINE _ < <(busy_pct "$b0" "$b1" "$T/procs0" "$T/procs1")
((BASELINE > 10)) && say "bench/drops.sh: warning: the machine is already ${BASELINE}% busy"
f=$(foreign_progs)
((f)) && say "bench/drops.sh: warning: $f BPF programs of another user are on these tracepoints"

FAILED=0
say "bench/drops.sh: ${#CASES[@]} case(s) x $ROUNDS round(s) x ${#ARMS[@]} arms x ${SECS} s"
for l in "${CASES[@]}"; do
	# A subshell per case: its namespaces and server are gone before the next.
	sub_run run_case "$((10#$l))" || FAILED=1
done
grep -q ' - - - - - - - - - - -$' "$T/results" && FAILED=1
report
exit $((FAILED ? 1 : 0))
