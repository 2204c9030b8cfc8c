#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/rr.sh - dropscope rr against sockperf ping-pong (TCP), side by side on
# one veth pair between two namespaces: transactions/s, ratio, CPU use.
#
# usage: bench/rr.sh [-d SECONDS] [-r ROUNDS] [-n STREAMS] [-p] [-h]
#   -d SECONDS  length of every run (default 10, at least 2)
#   -r ROUNDS   rounds; within a case the tool order flips every round (default 3)
#   -n STREAMS  connections of the many-stream case (default 16)
#   -p          pin the 1-stream client and server to CPU 0 (else the scheduler
#               decides; a ping-pong split across two CPUs runs ~10x slower)
#
# Both tools send 14-byte requests and 14-byte responses, sockperf's minimum
# message size.  Cases: 1 stream (dropscope --streams 1 / one sockperf
# ping-pong client) and STREAMS streams (dropscope --streams STREAMS / that
# many concurrent sockperf clients).  stdout: the table and the goal lines.
# Exit 0 whatever the ratios; 1 if a tool failed, 2 usage, 3 not root or no
# sockperf (make deps).
# shellcheck disable=SC2317  # run_ds/run_sp and ready checks are called indirectly
set -u

MSG=14			# sockperf 3.7 rejects -m below 14 ("min: 14")
DS_PORT=12867		# dropscope server for one stream (pinned with -p)
DS_MPORT=12868		# dropscope server for many streams
SP_PORT=11111		# sockperf server for one stream: blocking recvfrom()
SP_MPORT=11112		# sockperf epoll server for many streams: one port per thread
SECS=10 ROUNDS=3 MANY=16 PIN=()

usage() {
	sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'
}

while getopts "d:r:n:ph" o; do
	case $o in
	d) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	n) MANY=$OPTARG ;;
	p) PIN=(taskset -c 0) ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($#)) || ! [[ $SECS =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ && $MANY =~ ^[0-9]+$ ]] ||
	((SECS < 2 || SECS > 3600 || ROUNDS < 1 || ROUNDS > 100 || MANY < 2 || MANY > 256)); then
	usage >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd -P)
BIN=${DS_BIN:-$top/dropscope}
((EUID == 0)) || { echo "bench/rr.sh: needs root (network namespaces)" >&2; exit 3; }
command -v sockperf >/dev/null ||
	{ echo "bench/rr.sh: sockperf not found; run 'make deps'" >&2; exit 3; }
for c in jq ss; do
	command -v $c >/dev/null || { echo "bench/rr.sh: $c not found; run 'make deps'" >&2; exit 3; }
done
[[ -x $BIN ]] || { echo "bench/rr.sh: $BIN not built (run make)" >&2; exit 1; }

# shellcheck source=SCRIPTDIR/../tests/lib.sh
source "$top/tests/lib.sh"

NCPU=$(nproc)
HZ=$(getconf CLK_TCK)
FAILED=0
CPU="" RES=""

say() { printf '%s\n' "$*" >&2; }

# cpu_snap VAR: wall clock (us), CPU ticks of every process in both
# namespaces, then busy and total ticks per core from /proc/stat.
cpu_snap() {
	local __var=$1 __pid __st __pt=0
	local -a __f

	for __pid in $(ip netns pids "$CLI_NS" 2>/dev/null) $(ip netns pids "$SRV_NS" 2>/dev/null); do
		read -r __st 2>/dev/null <"/proc/$__pid/stat" || continue
		read -r -a __f <<<"${__st##*) }"	# from field 3 (state) on
		__pt=$((__pt + __f[11] + __f[12]))	# utime + stime, whole process
	done
	# busy = user nice system irq softirq steal; total adds idle and iowait
	printf -v "$__var" '%s %s %s' "${EPOCHREALTIME//[!0-9]/}" "$__pt" \
		"$(awk '/^cpu[0-9]+ / { b = $2 + $3 + $4 + $7 + $8 + $9; printf "%d %d ", b, b + $5 + $6 }' /proc/stat)"
}

# cpu_diff SNAP0 SNAP1: "ALL% C0/C1/.. PROCS" - busy % of all cores, of each
# core, and how many CPUs the namespaces' processes used, between two snaps.
cpu_diff() {
	awk -v a="$1" -v b="$2" -v hz="$HZ" 'BEGIN {
		n = split(a, x); split(b, y)
		secs = (y[1] - x[1]) / 1e6
		for (i = 3; i < n; i += 2) {
			db = y[i] - x[i]; dt = y[i + 1] - x[i + 1]
			sb += db; st += dt
			per = per (per == "" ? "" : "/") sprintf("%d", dt ? 100 * db / dt + 0.5 : 0)
		}
		printf "%d %s %.2f\n", st ? 100 * sb / st + 0.5 : 0, per, (y[2] - x[2]) / hz / secs
	}'
}

# cli_established N: true once CLI_NS has N established TCP connections to the server.
cli_established() {
	(($(ip netns exec "$CLI_NS" ss -Htn state established dst "$SRV_IP" | wc -l) >= $1))
}

# all_started N DIR: true once every sockperf client in DIR said its test started.
all_started() {
	(($(grep -l 'Starting test' "$2"/sp.*.out 2>/dev/null | wc -l) >= $1))
}

# measure_cpu READY_CMD...: wait until the run is in its timed phase, then
# sample CPU over its middle SECS-1 seconds; sets CPU to cpu_diff's line, or
# to "- - -".  Runs in this shell, not in $(...), so that a TERM cleans up at
# once: bash holds a trap until a command substitution has returned.
measure_cpu() {
	local s0 s1

	CPU="- - -"
	busywait 10000 "$@" || return 0
	nap 0.5
	cpu_snap s0
	nap $((SECS - 1))
	cpu_snap s1
	CPU=$(cpu_diff "$s0" "$s1")
}

# run_ds STREAMS DIR: one dropscope client run; sets RES to "TPS ALL% PER PROCS".
run_ds() {
	local streams=$1 dir=$2 pid rc tps port=$DS_MPORT
	local -a pin=()

	((streams == 1)) && port=$DS_PORT pin=("${PIN[@]}")
	bg_run "$CLI_NS" pid timeout $((SECS + 30)) "${pin[@]}" "$BIN" -j rr "$SRV_IP" --port "$port" \
		--streams "$streams" --duration "$SECS" --size "$MSG,$MSG" \
		>"$dir/ds.json" 2>"$dir/ds.err"
	# a control connection plus one per stream
	measure_cpu cli_established $((streams + 1))
	wait "$pid"
	rc=$?
	tps=$(jq -er 'select(.interrupted == false and .transactions > 0) |
		"\(.transactions) \(.duration_s)"' "$dir/ds.json" 2>/dev/null |
		awk '$2 > 0 { printf "%.1f\n", $1 / $2 }')
	if ((rc != 0)) || [[ -z $tps ]]; then
		say "bench/rr.sh: dropscope rr --streams $streams failed (exit $rc):"
		tail -n 5 "$dir/ds.err" "$dir/ds.json" >&2
		return 1
	fi
	RES="$tps $CPU"
}

# sp_tps FILE: completed round trips / run time from one ping-pong client's
# "[Total Run] RunTime=S sec; ...; ReceivedMessages=N" line.
sp_tps() {
	awk '/\[Total Run\]/ {
		for (i = 1; i <= NF; i++) {
			f = $i; sub(/;$/, "", f)
			if (f ~ /^RunTime=/) rt = substr(f, 9) + 0
			if (f ~ /^ReceivedMessages=/) rx = substr(f, 18) + 0
		}
	}
	END {
		if (rt <= 0 || rx <= 0)
			exit 1
		printf "%.1f\n", rx / rt
	}' "$1"
}

# run_sp STREAMS DIR: STREAMS concurrent sockperf ping-pong clients; sets RES
# to "TPS ALL% PER PROCS", TPS the sum of the clients' rates.
run_sp() {
	local streams=$1 dir=$2 i port rc bad=0 tps=0 t
	local -a pids=() pin=()

	rm -f "$dir"/sp.*.out
	for ((i = 0; i < streams; i++)); do
		port=$((SP_MPORT + i % NCPU)) pin=()
		((streams == 1)) && port=$SP_PORT pin=("${PIN[@]}")
		bg_run "$CLI_NS" "pids[$i]" timeout $((SECS + 30)) "${pin[@]}" sockperf ping-pong --tcp \
			-i "$SRV_IP" -p "$port" -t "$SECS" -m "$MSG" >"$dir/sp.$i.out" 2>&1
	done
	measure_cpu all_started "$streams" "$dir"
	for ((i = 0; i < streams; i++)); do
		wait "${pids[i]}"
		rc=$?
		# sockperf exits 0 even when the server never answered: the
		# summary line is the proof of a run.
		if ! t=$(sp_tps "$dir/sp.$i.out") || ((rc != 0)); then
			say "bench/rr.sh: sockperf ping-pong client $i failed (exit $rc):"
			tail -n 5 "$dir/sp.$i.out" >&2
			bad=1
			continue
		fi
		tps=$(awk -v a="$tps" -v b="$t" 'BEGIN { printf "%.1f", a + b }')
	done
	((bad)) && return 1
	RES="$tps $CPU"
}

# run_one TOOL STREAMS ROUND: one run, appended to the results file.
run_one() {
	local tool=$1 streams=$2 round=$3

	if "run_$tool" "$streams" "$T"; then
		say "  round $round  $tool  streams $streams: $RES"
		echo "$tool $streams $round $RES" >>"$T/results"
	else
		FAILED=1
		echo "$tool $streams $round - - - -" >>"$T/results"
	fi
}

# report: medians per tool and case, the table and the goal lines (stdout).
report() {
	awk -v many="$MANY" -v ncpu="$NCPU" -v secs="$SECS" -v rounds="$ROUNDS" \
	    -v msg="$MSG" -v base="$BASELINE" -v dsv="$DS_VERSION" -v spv="$SP_VERSION" \
	    -v pin="${PIN[*]}" '
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
	function add(k, f, x) {
		if (x != "-")
			L[k, f] = L[k, f] " " x
	}
	function grp(x,    s, r) {		# 123456.7 -> 123,457
		s = sprintf("%.0f", x); r = ""
		while (length(s) > 3) {
			r = "," substr(s, length(s) - 2) r
			s = substr(s, 1, length(s) - 3)
		}
		return s r
	}
	function range(k) {
		return (k in lo) ? grp(lo[k]) ".." grp(hi[k]) : "-"
	}
	function cpu(k,    c, s, per) {
		if (med(L[k, "all"]) == "-")
			return "-"
		per = ""
		for (c = 1; c <= ncpu; c++)
			per = per (c > 1 ? "/" : "") sprintf("%d", med(L[k, "c" c]) + 0.5)
		return sprintf("%3d%% (%s) %.2f", med(L[k, "all"]), per, med(L[k, "procs"]))
	}
	{
		k = $1 SUBSEP $2
		add(k, "tps", $4); add(k, "all", $5); add(k, "procs", $7)
		if ($4 != "-") {
			if (!(k in lo) || $4 + 0 < lo[k]) lo[k] = $4 + 0
			if (!(k in hi) || $4 + 0 > hi[k]) hi[k] = $4 + 0
		}
		if ($6 != "-") {
			n = split($6, pc, "/")
			for (c = 1; c <= n; c++)
				add(k, "c" c, pc[c])
		}
	}
	END {
		printf "# dropscope rr vs sockperf ping-pong, TCP, one veth pair (default offloads),\n"
		printf "#   %d-byte request and %d-byte response for both (sockperf'"'"'s minimum -m),\n", msg, msg
		printf "#   %d s per run, %d round(s), tool order flipped every round; medians of rounds\n", secs, rounds
		printf "# %s; %s; %d CPUs\n", dsv, spv, ncpu
		printf "# sockperf servers: -i (blocking) for 1 stream; -f feed -F e --threads-num %d\n", ncpu
		printf "#   (%d ports, clients spread over them) for %d streams\n", ncpu, many
		printf "# 1-stream client and server: %s\n",
		       pin == "" ? "not pinned (the scheduler places them)" : "pinned, " pin
		printf "# cpu: \"ALL%% (CPU0/CPU1/..) PROCS\": busy %% of all cores and of each from\n"
		printf "#   /proc/stat, and how many CPUs the benchmark'"'"'s own processes used; sampled\n"
		printf "#   over the middle %d s of each run\n", secs - 1
		printf "# before the runs the machine was %d%% busy (other load skews both columns)\n\n", base
		printf "%-11s %13s %13s %6s   %-24s %s\n", "case", "dropscope tps", "sockperf tps",
		       "ratio", "dropscope cpu", "sockperf cpu"
		split("1 " many, cases, " ")
		for (i = 1; i <= 2; i++) {
			s = cases[i]
			d = med(L["ds", s, "tps"]); p = med(L["sp", s, "tps"])
			ratio[s] = (d != "-" && p != "-" && p > 0) ? sprintf("%.3f", d / p) : "-"
			printf "%-11s %13s %13s %6s   %-24s %s\n",
			       s == 1 ? "1 stream" : s " streams",
			       d == "-" ? "-" : grp(d), p == "-" ? "-" : grp(p), ratio[s],
			       cpu("ds" SUBSEP s), cpu("sp" SUBSEP s)
		}
		printf "\n"
		for (i = 1; i <= 2; i++) {
			s = cases[i]
			printf "%s %-11s dropscope %-19s sockperf %s\n",
			       i == 1 ? "# tps range of rounds:" : "#                     ",
			       s == 1 ? "1 stream" : s " streams", range("ds" SUBSEP 1 * s),
			       range("sp" SUBSEP 1 * s)
		}
		split("ds sp", tools, " ")
		for (i = 1; i <= 2; i++) {
			k = tools[i] SUBSEP 1
			if (pin == "" && (k in lo) && lo[k] > 0 && hi[k] / lo[k] > 1.5)
				wide = 1
		}
		if (wide)
			printf "# 1-stream rounds differ > 1.5x: a ping-pong whose two ends the scheduler puts\n" \
			       "#   on different CPUs runs several times slower; -p pins both to CPU 0\n"
		printf "\n"
		r = ratio[1]
		printf "goal 1 stream: ratio >= 0.97                %s\n",
		       r == "-" ? "not measured" : (r + 0 >= 0.97 ? "met" : "NOT met") " (" r ")"
		per = ""; busy = 1
		for (c = 1; c <= ncpu; c++) {
			v = med(L["ds", many, "c" c])
			if (v != "-")
				v = sprintf("%d", v + 0.5)
			per = per (c > 1 ? "/" : "") v
			if (v == "-" || v + 0 < 90)
				busy = 0
		}
		printf "goal %d streams: %s cores busy (>= 90%%)   %s (dropscope cores %s%%)\n",
		       many, ncpu == 2 ? "both" : "all", busy ? "met" : "NOT met", per
	}' "$T/results"
}

tmpdir_create T
: >"$T/results"
DS_VERSION=$("$BIN" -V 2>&1 | head -n 1)
SP_VERSION=$(sockperf --version 2>&1 | head -n 1)

lab_pair || { say "bench/rr.sh: cannot build the veth pair"; exit 1; }

# Every server outlives all runs but no more.
budget=$((ROUNDS * 4 * (SECS + 30) + 60))
bg_run "$SRV_NS" ds_srv timeout $budget "${PIN[@]}" "$BIN" rr --server --bind "$SRV_IP" \
	--port $DS_PORT >"$T/ds-server.log" 2>&1
bg_run "$SRV_NS" dsm_srv timeout $budget "$BIN" rr --server --bind "$SRV_IP" --port $DS_MPORT \
	>"$T/dsm-server.log" 2>&1
bg_run "$SRV_NS" sp_srv timeout $budget "${PIN[@]}" sockperf server --tcp -i "$SRV_IP" \
	-p $SP_PORT >"$T/sp-server.log" 2>&1
# One sockperf server with -i serves a single connection at a time (blocking
# recvfrom()); many connections need a feed file and epoll.  One listening
# port per thread: --threads-num deals out the feed's sockets, not connections.
for ((i = 0; i < NCPU; i++)); do
	echo "T:$SRV_IP:$((SP_MPORT + i))"
done >"$T/sp.feed"
bg_run "$SRV_NS" spm_srv timeout $budget sockperf server -f "$T/sp.feed" -F e \
	--threads-num "$NCPU" >"$T/spm-server.log" 2>&1
for port in $DS_PORT $DS_MPORT $SP_PORT $(seq $SP_MPORT $((SP_MPORT + NCPU - 1))); do
	busywait 5000 ns_listening "$SRV_NS" "$port" || {
		say "bench/rr.sh: no server listening on port $port:"
		tail -n 5 "$T"/*server.log >&2
		exit 1
	}
done

b0="" b1=""
cpu_snap b0
nap 1
cpu_snap b1
read -r BASELINE _ < <(cpu_diff "$b0" "$b1")
((BASELINE > 10)) && say "bench/rr.sh: warning: the machine is already ${BASELINE}% busy"

say "bench/rr.sh: $ROUNDS round(s) x 2 cases x 2 tools x ${SECS} s, ${MSG}-byte messages"
for ((r = 1; r <= ROUNDS; r++)); do
	for s in 1 "$MANY"; do
		if ((r % 2)); then
			run_one ds "$s" "$r"
			run_one sp "$s" "$r"
		else
			run_one sp "$s" "$r"
			run_one ds "$s" "$r"
		fi
	done
done

report
exit $((FAILED ? 1 : 0))
