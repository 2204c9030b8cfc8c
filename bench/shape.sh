#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/shape.sh - does `dropscope shape` keep the interactive class whole on
# a WAN path whose capacity moves, without giving up the bulk's goodput?
# One lab/wan.sh run per mode, the same schedule in each, one at a time:
#   unshaped   no shaper of ours: the provider's queue takes the bulk's excess
#   static     -e 4.5mbit: an HTB at the committed rate (the floor), bfifo 15000
#   oracle     -O: the same HTB, its rate set to the true capacity C(t) on time
#   adaptive   -A CONFIG: dropscope shape (lab/wan-shape.ini)
# The path (scale 1/10): total capacity C = committed 4.5 + best effort, 40
# Mbit/s, 15 from t = 17 s (about 8 s after bulk starts, -b 8), 30 from t = 29
# s (bulk + 20 s); -d 48 (19 s after the step up). wanemu schedule (best
# effort = C - 4.5M): 0:35.5M,17:10.5M,29:25.5M; t is wanemu's time.
#
# usage: bench/shape.sh [-o DIR] [-m MODES] [-C CONFIG] [-r] [-h]
#   -o DIR     results, one directory per mode (default
#              /var/tmp/dropscope-bench/shape)
#   -m MODES   comma-separated (default unshaped,static,oracle,adaptive)
#   -C CONFIG  the adaptive mode's config (default lab/wan-shape.ini)
#   -r         run nothing: print the table from DIR's results
#
# Per mode: AF41 (interactive) loss = packets DC1 sent during bulk (its nft
#   counter) lost at our edge (DC1's count - wanemu's in, whole run) or in the
#   provider (wanemu's per-DSCP drops); rr p50/p99 during bulk against the
#   base RTT (rr before bulk, p50); goodput = iperf3's received bits/s, and
#   over the oracle's. Adaptive, from DIR/adaptive/shape.ndjson: R at the end
#   of each phase; the time from each step until R is first within
#   [0.85 C, C] and the share of the phase's later decisions in that band;
#   the settle time: from the step until R stays in band to the phase's end
#   (a probe's own window aside); R's min/max against floor/line; reasons.
# Goals (issue 12): AF41 loss < 0.1%, p99 <= 2x base, goodput >= 0.9x
# oracle, settle <= 2 s after the step down, <= 30 s after the step up.
# stdout: the table and PASS/MISS per goal. Exit 0 whatever the goals; 1 if
# a lab run failed, 2 usage, 3 not root or not built.
set -u
top=$(cd "$(dirname "$0")/.." && pwd -P)
DIR=/var/tmp/dropscope-bench/shape MODES=unshaped,static,oracle,adaptive
CFG=$top/lab/wan-shape.ini report=0
while getopts "o:m:C:rh" o; do
	case $o in
	o) DIR=$OPTARG ;; m) MODES=$OPTARG ;; C) CFG=$OPTARG ;; r) report=1 ;;
	h) sed -n '3,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
SECS=48 BULK=8 T_DOWN=17 T_UP=29
C0=40000000 C1=15000000 C2=30000000 CIR=4500000 FLOOR=4500000 LINE=62200000
SCHED="0:$((C0 - CIR)),$T_DOWN:$((C1 - CIR)),$T_UP:$((C2 - CIR))"

run_mode() {	# MODE
	local m=$1 d=$DIR/$1
	local -a arg=()
	case $m in
	unshaped) ;;
	static) arg=(-e 4.5mbit) ;;
	oracle) arg=(-O) ;;
	adaptive) arg=(-A "$CFG") ;;
	*) echo "bench/shape.sh: unknown mode $m" >&2; exit 2 ;;
	esac
	rm -rf "$d" && mkdir -p "$d" || exit 1
	echo "bench/shape.sh: $m ..." >&2
	"$top/lab/wan.sh" -d "$SECS" -b "$BULK" -s "$SCHED" -o "$d" "${arg[@]}" >"$d/lab.out" 2>"$d/lab.err" ||
		{ echo "bench/shape.sh: $m: lab/wan.sh failed: $(tail -2 "$d/lab.err")" >&2; return 1; }
}

# af41 DIR: "SENT_DURING_BULK EDGE_LOST PROVIDER_DROPS"
af41() {
	local d=$1 bulk end
	cnt() { jq '[.nftables[] | .rule? // empty | select(.comment == "interactive") |
		.expr[] | .counter? // empty | .packets] | first // 0' "$1"; }
	bulk=$(cnt "$d/nft_dc1_bulk.json") end=$(cnt "$d/nft_dc1_end.json")
	jq -rs --argjson b "$bulk" --argjson e "$end" '
		[.[] | select(.type == "summary" and .from == "pa")] | last | [.classes[] | select(.dscp == 34)] | first // {} |
		"\($e - $b) \($e - (.in_pkts // 0)) \((.drops_tail // 0) + (.drops_red // 0) + (.drops_random // 0))"' "$d/wanemu.ndjson"
}
# rr DIR PHASE: "P50_US P99_US"
rr() {
	jq -r '"\(.latency_us.p50 // .latency.p50_us) \(.latency_us.p99 // .latency.p99_us)"' "$1/rr_$2.json" 2>/dev/null || echo "- -"
}
goodput() { jq -r '.end.sum_received.bits_per_second // empty' "$1/iperf3.json" 2>/dev/null; }
flag() { if [[ $1 == 1 ]]; then echo PASS; else echo MISS; fi; }

row() {	# MODE ORACLE_BPS
	local m=$1 ob=$2 d=$DIR/$1 sent lost pdrop b50 b99 p50 p99 gp
	[[ -s $d/wanemu.ndjson && -s $d/iperf3.json ]] || { printf '%-9s (no results in %s)\n' "$m" "$d"; return; }
	read -r sent lost pdrop < <(af41 "$d")
	read -r b50 b99 < <(rr "$d" before)
	read -r p50 p99 < <(rr "$d" during)
	gp=$(goodput "$d")
	awk -v m="$m" -v s="$sent" -v l="$lost" -v p="$pdrop" -v b="$b50" -v p50="$p50" -v p99="$p99" \
		-v g="$gp" -v o="$ob" 'BEGIN {
		loss = s > 0 ? 100 * (l + p) / s : 0
		gr = o > 0 ? g / o : 0
		printf "%-9s %7d %5d %5d %7.3f%% %7.2f %7.2f %7.2f %5.2fx %7.2f %6s   loss %s  p99 %s  goodput %s\n",
			m, s, l, p, loss, b / 1000, p50 / 1000, p99 / 1000, p99 / b, g / 1e6,
			(o > 0 ? sprintf("%.3f", gr) : "-"), (loss < 0.1 ? "PASS" : "MISS"),
			(p99 <= 2 * b ? "PASS" : "MISS"), (o > 0 ? (gr >= 0.9 ? "PASS" : "MISS") : "-") }'
}

# The adaptive shaper's R against C(t), from its decisions (ts_ns on the
# monotonic clock, or the realtime one: moved onto wanemu's time either way).
adaptive_report() {
	local d=$DIR/adaptive
	[[ -s $d/shape.ndjson && -s $d/lab.env ]] || { echo "adaptive: no $d/shape.ndjson"; return; }
	(
		# shellcheck disable=SC1091
		source "$d/lab.env"
		jq -r --argjson t0 "$WANEMU_T0_NS" --argjson rmm "$REAL_MINUS_MONO_US" \
			'select(.type == "decision") | (if ((.ts_ns - $t0) | fabs) < 1e12 then .ts_ns else .ts_ns - $rmm * 1000 end) as $ts |
			"\(($ts - $t0) / 1e9) \(.r_new_bps) \(.reason)"' "$d/shape.ndjson" |
			awk -v bulk="$(((BULK_T_NS - WANEMU_T0_NS) / 1000000))" -v td="$T_DOWN" -v tu="$T_UP" \
				-v c0="$C0" -v c1="$C1" -v c2="$C2" -v fl="$FLOOR" -v li="$LINE" -v end="$SECS" '
			function ph(t) { return t < td ? 0 : t < tu ? 1 : 2 }
			BEGIN { bulk /= 1000; st[0] = bulk; st[1] = td; st[2] = tu; C[0] = c0; C[1] = c1; C[2] = c2
				nm[0] = "bulk start"; nm[1] = "step down"; nm[2] = "step up"; min = -1 }
			{ t = $1; r = $2; why[$3]++; n++
			  if (min < 0 || r < min) min = r; if (r > max) max = r
			  if (t < bulk) next
			  p = ph(t); last[p] = r; inb = r >= 0.85 * C[p] && r <= C[p]
			  if (!(p in first) && inb) first[p] = t - st[p]
			  if (p in first) { after[p]++; inband[p] += inb }
			  # Settled: in band from then on to the phase end, the windows of
			  # probes aside (as the controller test counts).
			  if ($3 == "probe" && !inb) next
			  if (!inb) delete settle[p]
			  else if (!(p in settle)) settle[p] = t - st[p] }
			END {
				for (p = 0; p < 3; p++) {
					goal = p == 1 ? 2 : p == 2 ? 30 : -1
					printf "adaptive %-10s t=%5.1f s C %5.1f Mbit/s: R at phase end %6.2f Mbit/s, ", nm[p], st[p], C[p] / 1e6, last[p] / 1e6
					if (p in first) printf "first in band after %4.1f s (then %3.0f%% of windows), ", first[p], 100 * inband[p] / after[p]
					if (p in settle) printf "settled (in band to the end) after %4.1f s", settle[p]
					else printf "not settled within the phase (%.1f s)", (p < 2 ? st[p + 1] : end) - st[p]
					if (goal > 0) printf "  (goal <= %d s: %s)", goal, (p in settle) && settle[p] <= goal ? "PASS" : "MISS"
					printf "\n"
				}
				printf "adaptive R min %.2f max %.2f Mbit/s; floor %.2f line %.2f: %s; %d decisions:", min / 1e6, max / 1e6,
					fl / 1e6, li / 1e6, (min >= fl && max <= li ? "within" : "OUTSIDE"), n
				for (w in why) printf " %s %d", w, why[w]
				printf "\n"
			}'
	)
}

[[ $(id -u) -eq 0 ]] || { echo "bench/shape.sh: needs root" >&2; exit 3; }
[[ -x $top/dropscope ]] || { echo "bench/shape.sh: build first (make)" >&2; exit 3; }
if ((!report)); then
	IFS=, read -ra todo <<<"$MODES"
	for m in "${todo[@]}"; do run_mode "$m" || exit 1; done
fi
ob=$(goodput "$DIR/oracle" 2>/dev/null)
echo "schedule: C $((C0 / 1000000)) -> $((C1 / 1000000)) Mbit/s at t=$T_DOWN s -> $((C2 / 1000000)) at t=$T_UP s (wanemu --schedule $SCHED), bulk from ~$BULK s to $SECS s, 8 streams"
printf '%-9s %7s %5s %5s %8s %7s %7s %7s %6s %7s %6s   %s\n' mode af41 edge prov "loss" "base" "p50" "p99" "p99/b" "Mbit/s" "/orac" "goals: loss<0.1% p99<=2x goodput>=0.9x"
printf '%-9s %7s %5s %5s %8s %7s %7s %7s %6s %7s %6s\n' "" sent lost drop "" ms ms ms "" goodput ""
for m in unshaped static oracle adaptive; do
	[[ -d $DIR/$m ]] && row "$m" "${ob:-0}"
done
[[ -d $DIR/adaptive ]] && adaptive_report
exit 0
