#!/bin/bash
# The second story: two datacenters on a leased path whose provider queue is
# shallow and whose best-effort capacity moves with the provider's load.
# DC1 (interactive 198.18.10.0/24, SAN 198.18.11.0/24) - EDGE (our router,
# optionally with its own shaper, -e) - the WAN link, tapped both ways to a
# monitor port (after our edge's queue, as a tap on the wire sees it) -
# PROVIDER (lab/wanemu) - DC2 (198.18.20.1 interactive, 198.18.21.1 replication).
# Interactive `dropscope rr` runs all along; bulk replication (iperf3, several
# TCP streams) joins at -b seconds.  Scaled 1/S of 622 Mbit/s line, 45 Mbit/s
# committed, best effort 100-400 Mbit/s (S=10: 62.2M, 4.5M, 10-40M).
# Everything it creates is removed on exit, also on failure or Ctrl-C.
#
# usage: lab/wan.sh [-d SECONDS] [-b BULK_START_S] [-S SCALE] [-P STREAMS]
#                   [-s SCHEDULE] [-q LIMIT] [-Q tail|red] [-D DSCP_MODE]
#                   [-n RR_STREAMS] [-e RATE[,BYTES] | -O | -A CONFIG] [-M both|out]
#                   [-o DIR] [-c] [-f] [-k] [-H S] [-- extra wanemu options]
#   -d  duration (30), -b  bulk start (10), -S  scale divisor (10)
#   -P  replication TCP streams (8), -n  rr streams (4)
#   -s  best-effort schedule, wanemu --schedule syntax in full-scale bit/s / S
#       (default at S=10: 40M until -b, ramp to 10M over 5 s, back to 40M
#       over 10 s), -q  queue limit in packets (20)
#   -Q  red (default: min q/4, max 3q/4, p 0.2, w 0.002) or tail,
#   -D  wanemu --dscp (default ignore: the CIR for everyone)
#   -e  our edge's own shaper on its WAN egress: an HTB class of RATE (tc
#       syntax, e.g. 10mbit) with a bfifo leaf of BYTES (15000)
#   -O  the oracle: -e's HTB class and bfifo (15000 bytes), its rate changed
#       in place (tc class change) to follow the provider's true capacity
#       (wanemu's: min(line, committed + best effort(t)) by -s; along a ramp
#       "T~RATE" a step every 0.5 s, each the lower end of its half second)
#   -A  the adaptive shaper: `dropscope shape -c CONFIG` on EDGE wan (e.g.
#       lab/wan-shape.ini), from before the rr before bulk to the end of the
#       scenario (after -k/-H), then TERM; it must exit 0.  DIR/shape.ndjson
#       (its decisions), shape.state, shape.json (status), shape.out, shape.err
#   -M  what the tap copies: both directions (default) or out (DC1 -> DC2 only)
#   -o  keep results in DIR: wanemu.ndjson (the truth), rr_before.json,
#       rr_during.json, iperf3.json, nstat_dc1.txt, nft_dc1_{bulk,end}.txt
#       (DC1's per-class packet counters when bulk starts and at the end),
#       oracle.txt (-O: the rates it set, when), lab.env
#   -c  capture the monitor port (TCP, 128 bytes a frame) into DIR/mon0.pcap
#   -f  capture DC2's wan0 (the far end, after the provider) into DIR/far.pcap
#   -k  keep the lab up after the scenario until Ctrl-C (for other tools)
#   -H  hold the lab up S seconds after the scenario, then remove it
# The monitor's paths for it: lab/wan-sites.ini (analyze --monitor --sites).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tests/lib.sh"

secs=30 bulk_at=10 scale=10 streams=8 rr_streams=4 sched="" limit=20 qtype=red
dscp=ignore outdir="" keep=0 capture=0 edge="" hold=0 tap=both far=0 oracle=0 shapecfg=""
while getopts "d:b:S:P:n:s:q:Q:D:e:M:o:cfkH:OA:h" o; do
	case $o in
	d) secs=$OPTARG ;; b) bulk_at=$OPTARG ;; S) scale=$OPTARG ;;
	P) streams=$OPTARG ;; n) rr_streams=$OPTARG ;; s) sched=$OPTARG ;;
	q) limit=$OPTARG ;; Q) qtype=$OPTARG ;; D) dscp=$OPTARG ;;
	o) outdir=$OPTARG ;; k) keep=1 ;; c) capture=1 ;; f) far=1 ;;
	e) edge=$OPTARG ;; H) hold=$OPTARG ;; M) tap=$OPTARG ;;
	O) oracle=1 ;; A) shapecfg=$OPTARG ;;
	*) sed -n "2,45p" "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
die() { echo "lab/wan.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "lab/wan.sh: needs root (network namespaces)" >&2; exit 3; }
BIN=${DS_BIN:-$top/dropscope}
EMU=${WANEMU:-$top/.output/wanemu}
[ -x "$BIN" ] && [ -x "$EMU" ] || die "$BIN or $EMU not built (run make)"
command -v iperf3 >/dev/null || die "iperf3 missing (make deps)"
((bulk_at < secs)) || die "-b must be below -d"
[[ $qtype == tail || $qtype == red ]] || { echo "lab/wan.sh: -Q tail|red" >&2; exit 2; }
[[ $tap == both || $tap == out ]] || { echo "lab/wan.sh: -M both|out" >&2; exit 2; }
(($(( ${#edge} > 0 )) + oracle + $(( ${#shapecfg} > 0 )) <= 1)) ||
	{ echo "lab/wan.sh: one of -e, -O, -A" >&2; exit 2; }
[[ -z $shapecfg || -r $shapecfg ]] || die "no config $shapecfg"

rate() { awk -v r="$1" -v s="$scale" 'BEGIN { printf "%d", r / s }'; }
line=$(rate 622000000) cir=$(rate 45000000)
[[ -n $sched ]] || sched="0:$(rate 400000000),$bulk_at:$(rate 400000000),$((bulk_at + 5))~$(rate 100000000),$((bulk_at + 15))~$(rate 400000000)"
queue=(--limit "$limit")
[[ $qtype == red ]] && queue+=(--red "$((limit / 4)),$((limit * 3 / 4)),0.2,0.002")

if [[ -n $outdir ]]; then mkdir -p "$outdir" || die "cannot make $outdir"; else tmpdir_create outdir; fi

ns_create DC1; ns_create EDGE; ns_create PROV; ns_create DC2; ns_create MON
for ns in "$DC1" "$EDGE" "$PROV" "$DC2" "$MON"; do
	ns_sysctl "$ns" net.ipv6.conf.all.disable_ipv6=1 >/dev/null
done
veth_pair "$DC1" lan0 "$EDGE" lan && veth_pair "$EDGE" wan "$PROV" pa &&
	veth_pair "$PROV" pb "$DC2" wan0 && veth_pair "$PROV" mon "$MON" mon0 || die "links"
# wanemu forwards frames as they are: full-size, checksummed ones only.
for x in "$DC1 lan0" "$EDGE lan" "$EDGE wan" "$PROV pa" "$PROV pb" "$DC2 wan0" "$PROV mon" "$MON mon0"; do
	# shellcheck disable=SC2086
	veth_offloads $x off || die "offloads"
done
addr_add "$DC1" lan0 198.18.10.1/24 && addr_add "$DC1" lan0 198.18.11.1/24 &&
	addr_add "$EDGE" lan 198.18.10.254/24 && addr_add "$EDGE" lan 198.18.11.254/24 &&
	addr_add "$EDGE" wan 198.18.12.1/30 && addr_add "$DC2" wan0 198.18.12.2/30 &&
	addr_add "$DC2" wan0 198.18.20.1/24 && addr_add "$DC2" wan0 198.18.21.1/24 || die "addresses"
ip -n "$DC1" route add 198.18.20.0/23 via 198.18.10.254 src 198.18.10.1 &&
	ip -n "$EDGE" route add 198.18.20.0/23 via 198.18.12.2 &&
	ip -n "$DC2" route add 198.18.10.0/23 via 198.18.12.1 || die "routes"
ns_sysctl "$EDGE" net.ipv4.ip_forward=1 >/dev/null
ip -n "$MON" link set mon0 promisc on
# The monitor port: a copy of every frame on the WAN link, both ways, taken
# where the link meets the provider: what our edge sent (after its own queue:
# what that dropped never reaches the wire) and what came back.
ip netns exec "$PROV" tc qdisc add dev pa clsact &&
	ip netns exec "$PROV" tc filter add dev pa ingress protocol all u32 match u32 0 0 \
		action mirred egress mirror dev mon || die "mirror"
if [[ $tap == both ]]; then
	ip netns exec "$PROV" tc filter add dev pa egress protocol all u32 match u32 0 0 \
		action mirred egress mirror dev mon || die "mirror"
fi
# oracle_points: the capacity wanemu computes by the schedule, as "T_S
# RATE_BPS" lines where it changes (wan_sched_rate(): before the first point
# its rate; over [T(i), T(i+1)) the rate of point i, or the ramp towards
# point i+1 when that one is "T~RATE", here in half seconds, each at the
# lower of its ends so the oracle never offers more than the provider takes).
oracle_points() {
	awk -v spec="$sched" -v cir="$cir" -v line="$line" '
	function rate(s,   v, m) {
		v = s + 0; m = 1; sub(/^[0-9.]+/, "", s)
		if (s ~ /^[kK]/) m = 1e3; else if (s ~ /^[mM]/) m = 1e6; else if (s ~ /^[gG]/) m = 1e9
		return int(v * m + 0.5)
	}
	function emit(t, be,   c) {
		c = cir + be < line ? cir + be : line
		if (c != last) printf "%.3f %d\n", t, c
		last = c
	}
	function at(j, t) { return pr[j] + (t - pt[j]) / (pt[j + 1] - pt[j]) * (pr[j + 1] - pr[j]) }
	BEGIN {
		n = split(spec, tok, ","); last = -1
		for (i = 1; i <= n; i++) {
			ramp[i] = index(tok[i], "~") > 0
			split(tok[i], f, /[:~]/); pt[i] = f[1] + 0; pr[i] = rate(f[2])
		}
		emit(0, pr[1])
		for (j = 1; j < n; j++) {
			if (!ramp[j + 1]) { emit(pt[j], pr[j]); continue }
			for (t = pt[j]; t < pt[j + 1] - 1e-9; t += 0.5) {
				e = t + 0.5 < pt[j + 1] ? t + 0.5 : pt[j + 1]
				a = at(j, t); b = at(j, e); emit(t, a < b ? a : b)
			}
		}
		emit(pt[n], pr[n])
	}'
}
# mono_us: CLOCK_MONOTONIC in us (wanemu's clock; /proc/uptime reads it, in cs).
mono_us() { local up _; read -r up _ </proc/uptime; echo $((${up/./} * 10000)); }
# real_minus_mono_us: EPOCHREALTIME - CLOCK_MONOTONIC, at the edge of a
# /proc/uptime tick (so within ~1 ms, not 10).
real_minus_mono_us() {
	local a b
	a=$(mono_us)
	while b=$(mono_us) && ((b == a)); do :; done
	echo $((${EPOCHREALTIME/./} - b))
}
# oracle_run T0_REAL_US: set the edge class's rate at each point's time.
oracle_run() {
	local t0=$1 t r d
	while read -r t r; do
		d=$((t0 + 10#${t/./} * 1000 - ${EPOCHREALTIME/./}))
		((d > 0)) && nap "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))"
		ip netns exec "$EDGE" tc class change dev wan parent 1: classid 1:10 htb \
			rate "${r}bit" ceil "${r}bit" || echo "lab: oracle: tc class change to $r failed" >&2
		echo "$t $r $(((${EPOCHREALTIME/./} - t0) / 1000))" >>"$outdir/oracle.txt"
	done < <(oracle_points)
}
((oracle)) && edge="$(oracle_points | awk 'NR == 1 { print $2 "bit" }')"
if [[ -n $edge ]]; then
	erate=${edge%%,*} ebytes=15000
	[[ $edge == *,* ]] && ebytes=${edge#*,}
	ip netns exec "$EDGE" tc qdisc add dev wan root handle 1: htb default 10 &&
		ip netns exec "$EDGE" tc class add dev wan parent 1: classid 1:10 htb rate "$erate" ceil "$erate" &&
		ip netns exec "$EDGE" tc qdisc add dev wan parent 1:10 handle 10: bfifo limit "$ebytes" ||
		die "edge shaper -e $edge"
fi
# Classes by DSCP as DC1's hosts mark them: interactive AF41, replication CS1.
ip netns exec "$DC1" nft -f - <<'NFT' || die "nft"
table ip wanlab {
	chain out {
		type filter hook output priority 0;
		ip saddr 198.18.10.0/24 counter ip dscp set af41 comment "interactive"
		ip saddr 198.18.11.0/24 counter ip dscp set cs1 comment "replication"
	}
}
NFT

truth=$outdir/wanemu.ndjson
# A provider's router is not starved by our hosts: under two CPU hogs a
# normal-priority wanemu queued frames in its socket for 2-5 ms, a queue the
# path does not have (a policer then looked like a shallow queue). It never
# spins (poll, timerfd), so real-time FIFO priority costs nothing else.
bg_run "$PROV" EMU_PID chrt -f 10 "$EMU" --line "$line" --cir "$cir" --schedule "$sched" "${queue[@]}" \
	--delay 10 --dscp "$dscp" --stats "$truth" "$@" pa pb
busywait 3000 test -s "$truth" || die "wanemu did not start"
# wanemu's schedule time 0, on CLOCK_MONOTONIC (its t_ns) and EPOCHREALTIME.
t0_mono_ns=$(head -1 "$truth" | jq -r '.t_ns - .elapsed_ms * 1000000')
rmm_us=$(real_minus_mono_us)
t0_real_us=$((t0_mono_ns / 1000 + rmm_us))
shaper_desc=${edge:-none}
((oracle)) && shaper_desc=oracle
[[ -n $shapecfg ]] && shaper_desc=adaptive
# Sourceable by bash: NAME=value, no shell metacharacters.
cat >"$outdir/lab.env" <<ENV
DC1_NS=$DC1
EDGE_NS=$EDGE
PROV_NS=$PROV
DC2_NS=$DC2
MON_NS=$MON
MON_IF=mon0
WAN_IF=wan
EDGE_SHAPER=$shaper_desc
TRUTH=$truth
INTERACTIVE_SRC=198.18.10.1
INTERACTIVE_DST=198.18.20.1
INTERACTIVE_DSCP=34
REPLICATION_SRC=198.18.11.1
REPLICATION_DST=198.18.21.1
REPLICATION_DSCP=8
WANEMU_T0_NS=$t0_mono_ns
REAL_MINUS_MONO_US=$rmm_us
ENV
if ((oracle)); then
	: >"$outdir/oracle.txt"
	oracle_run "$t0_real_us" &
	ORC=$!
	defer ds__bg_stop "$ORC"
fi
echo "lab: line $line bit/s, committed $cir, best effort $sched, queue $limit pkts $qtype, dscp $dscp" >&2
echo "lab: monitor port: namespace $MON interface mon0 (a tap on the WAN link $EDGE wan - $PROV pa: $tap)" >&2
((oracle)) && echo "lab: our edge's shaper: $EDGE wan htb, the oracle: $(oracle_points | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $1, $2 }')" >&2
((oracle)) || [[ -z $edge ]] || echo "lab: our edge's shaper: $EDGE wan htb $edge" >&2
echo "lab: truth: $truth; names: $outdir/lab.env" >&2

if ((capture)); then
	cap_start "$MON" mon0 "$outdir/mon0.pcap" 32768 CAP tcp || die "capture on mon0"
	echo "lab: capturing the monitor port into $outdir/mon0.pcap" >&2
fi
if ((far)); then
	cap_start "$DC2" wan0 "$outdir/far.pcap" 32768 CAPF tcp || die "capture on DC2 wan0"
	echo "lab: capturing DC2 wan0 into $outdir/far.pcap" >&2
fi
bg_run "$DC2" RRS "$BIN" rr --server --bind 198.18.20.1 --port 12867
bg_run "$DC2" IPS iperf3 -s -1 -B 198.18.21.1 -p 5201 --logfile "$outdir/iperf3_server.txt"
busywait 5000 ns_listening "$DC2" 12867 && busywait 5000 ns_listening "$DC2" 5201 || die "servers"
if [[ -n $shapecfg ]]; then
	# A state file left by an earlier lab is for a namespace gone since.
	rm -f "$outdir/shape.state"
	bg_run "$EDGE" SHP "$BIN" shape -c "$shapecfg" --decisions "$outdir/shape.ndjson" \
		--state "$outdir/shape.state" --status "$outdir/shape.json" \
		>"$outdir/shape.out" 2>"$outdir/shape.err"
	busywait 5000 grep -q "ready" "$outdir/shape.err" || die "dropscope shape not ready: $(tail -1 "$outdir/shape.err")"
	echo "lab: our edge's shaper: dropscope shape -c $shapecfg ($(grep -m1 ready "$outdir/shape.err"))" >&2
fi
ip netns exec "$DC1" nstat -n
ip netns exec "$DC1" "$BIN" -j rr 198.18.20.1 --port 12867 --streams "$rr_streams" \
	--duration "$bulk_at" >"$outdir/rr_before.json" || die "rr before bulk"
# The rr during bulk connects first: a SYN lost to the bulk would hold a
# stream back by 1, 3, 7 s of SYN backoff and move its share of the run out
# of the capacity dip.
rr_up() { (($(ip netns exec "$DC1" ss -Htn state established dst 198.18.20.1 | wc -l) > rr_streams)); }
# --timeout 30: at 20% loss a transaction may wait out 6 RTOs (12.6 s), a
# stall the lab is there to show, not to fail on (rr's default is 10 s).
bg_run "$DC1" RRD sh -c 'exec "$0" -j rr 198.18.20.1 --port 12867 --streams "$1" --duration "$2" --timeout 30 >"$3"' \
	"$BIN" "$rr_streams" $((secs - bulk_at - 1)) "$outdir/rr_during.json"
busywait 5000 rr_up || die "rr during bulk did not connect"
echo "BULK_T_NS=$(($(mono_us) * 1000))" >>"$outdir/lab.env"
ip netns exec "$DC1" nft -j list table ip wanlab >"$outdir/nft_dc1_bulk.json"
bg_run "$DC1" IPC iperf3 -c 198.18.21.1 -B 198.18.11.1 -p 5201 -P "$streams" \
	-t $((secs - bulk_at)) -J --logfile "$outdir/iperf3.json"
wait "$RRD" || die "rr during bulk"
wait "$IPC" 2>/dev/null
ip netns exec "$DC1" nstat -a >"$outdir/nstat_dc1.txt"
ip netns exec "$DC1" nft -j list table ip wanlab >"$outdir/nft_dc1_end.json"
if ((capture)); then
	cap_stop "$CAP" "$outdir/mon0.pcap" capstat ||
		echo "lab: the capture of mon0 lost packets: $capstat" >&2
	echo "lab: mon0.pcap: captured received dropped $capstat" >&2
fi
if ((far)); then
	cap_stop "$CAPF" "$outdir/far.pcap" capstat ||
		echo "lab: the capture of DC2 wan0 lost packets: $capstat" >&2
	echo "lab: far.pcap: captured received dropped $capstat" >&2
fi
if ((keep)); then
	echo "lab: up; Ctrl-C to remove it" >&2
	wait "$EMU_PID"
elif [[ $hold != 0 ]]; then
	echo "lab: up for $hold s more" >&2
	nap "$hold"
fi
shape_rc=0
if [[ -n $shapecfg ]]; then
	kill -TERM "$SHP" && wait "$SHP"
	shape_rc=$?
	echo "$shape_rc" >"$outdir/shape.rc"
	((shape_rc == 0)) || echo "lab: dropscope shape exited $shape_rc on TERM (want 0): $(tail -1 "$outdir/shape.err")" >&2
fi
((oracle)) && ds__bg_stop "$ORC"
# TERM: wanemu writes its summary lines and exits 0.
kill -TERM "$EMU_PID" && wait "$EMU_PID"
summary() {
	jq -rs --arg f "$1" '[.[] | select(.type == "summary" and .from == $f)] as $s |
		($s | last) as $l | "\($l.dir): in \($l.in_pkts) delivered \($l.delivered_pkts) drops tail \($l.drops_tail) red \($l.drops_red) (\(if $l.in_pkts > 0 then ($l.drops_tail + $l.drops_red + $l.drops_random) * 100 / $l.in_pkts | floor else 0 end)%)",
		($l.classes[] | "  dscp \(.dscp): in \(.in_pkts) drops \(.drops_tail + .drops_red + .drops_random) (\((.drops_tail + .drops_red + .drops_random) * 1000 / .in_pkts | floor / 10)%)")' "$truth"
}
summary pa
for f in before during; do
	jq -r --arg f "$f" '"rr \($f) bulk: \(.transactions // .total.transactions) transactions, p50 \(.latency_us.p50 // .latency.p50_us) us, p99 \(.latency_us.p99 // .latency.p99_us) us"' \
		"$outdir/rr_$f.json" 2>/dev/null
done
((shape_rc == 0)) || exit 1
exit 0
