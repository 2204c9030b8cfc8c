#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/analyze.sh - dropscope analyze against tcptrace, tshark and the
# libpcap read floor (tcpdump -r -w /dev/null) on one capture of real TCP
# over a veth pair with 1% loss: packets/s, peak RSS, retransmissions found;
# and what --events (one NDJSON line per retransmission, to a file) costs.
#
# usage: bench/analyze.sh [-f] [-d SECONDS] [-r ROUNDS] [-n PACKETS] [-o DIR] [-h]
#   -f          make a new capture even if DIR holds one
#   -d SECONDS  traffic time of a new capture (default 20: ~10 M packets on 2 CPUs)
#   -r ROUNDS   timed runs per tool; the median is shown (default 3)
#   -n PACKETS  tshark reads a slice: the first PACKETS of the capture
#               (default 500000; tshark does ~30 k packets/s)
#   -o DIR      cache directory (default /var/tmp/dropscope-bench)
#
# The capture (DIR/analyze.pcap, snaplen 128) is made once and reused: two
# namespaces, offloads off, nft drops 1% of the server's data segments on
# the client's input, and tcpdump on the server's veth, upstream of the
# drops.  The server sends 8 streams of 1 MB responses and 256 streams of
# 1-byte request/response (dropscope rr).  Both kernels' TcpRetransSegs
# deltas are kept beside it (DIR/analyze.meta): with nothing lost by tcpdump,
# that is the exact retransmission count of the file.
# stdout: the table and the goal lines.  Exit 0 whatever the goals; 1 if the
# capture could not be made or a peer failed, 2 usage, 3 not root or a
# missing tool (make deps).
# shellcheck disable=SC2317 # helpers called through busywait
set -u

BULK_PORT=12867 RR_PORT=12868
SECS=20 ROUNDS=3 SLICE=500000 DIR=/var/tmp/dropscope-bench FORCE=0

usage() {
	sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'
}

while getopts "fd:r:n:o:h" o; do
	case $o in
	f) FORCE=1 ;;
	d) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	n) SLICE=$OPTARG ;;
	o) DIR=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($#)) || ! [[ $SECS =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ && $SLICE =~ ^[0-9]+$ ]] ||
	((SECS < 2 || SECS > 600 || ROUNDS < 1 || ROUNDS > 20 || SLICE < 1000)); then
	usage >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd -P)
BIN=${DS_BIN:-$top/dropscope}
say() { printf '%s\n' "$*" >&2; }

((EUID == 0)) || { say "bench/analyze.sh: needs root (network namespaces)"; exit 3; }
for c in tcpdump tcptrace tshark editcap jq nft ethtool ss; do
	command -v $c >/dev/null || { say "bench/analyze.sh: $c not found; run 'make deps'"; exit 3; }
done
[[ -x $BIN ]] || { say "bench/analyze.sh: $BIN not built (run make)"; exit 1; }
GNU_TIME=/usr/bin/time
if ! [[ -x $GNU_TIME ]] || ! $GNU_TIME -f %M true >/dev/null 2>&1; then
	say "bench/analyze.sh: GNU time (Debian package 'time') not found: no peak RSS"
	GNU_TIME=""
fi
HAVE_DS=0
"$BIN" analyze --help >/dev/null 2>&1 && HAVE_DS=1

# shellcheck source=SCRIPTDIR/../tests/lib.sh
source "$top/tests/lib.sh"

PCAP=$DIR/analyze.pcap
META=$DIR/analyze.meta

# make_capture: the lab run that writes $PCAP and $META (via a partial file,
# so an interrupted run leaves no half capture behind).
make_capture() {
	local part=$DIR/analyze.partial.pcap cap bsrv rsrv bpid rpid rc_b rc_r c0 s0 c1 s1 stats
	local n_cap n_rcv n_drop

	mkdir -p "$DIR" || return 1
	rm -f "$PCAP" "$META" "$DIR"/analyze.slice-*.pcap
	defer rm -f "$part" "$part.err"
	lab_pair off || return 1
	loss_add "$CLI_NS" 10 "tcp sport != { $BULK_PORT, $RR_PORT }" || return 1
	bg_run "$SRV_NS" bsrv timeout $((SECS + 120)) "$BIN" rr --server --once \
		--bind "$SRV_IP" --port "$BULK_PORT"
	bg_run "$SRV_NS" rsrv timeout $((SECS + 120)) "$BIN" rr --server --once \
		--bind "$SRV_IP" --port "$RR_PORT"
	busywait 5000 ns_listening "$SRV_NS" "$BULK_PORT" &&
		busywait 5000 ns_listening "$SRV_NS" "$RR_PORT" || return 1
	# The name ends in .pcap: Debian's AppArmor profile lets tcpdump write only those.
	cap_start "$SRV_NS" srv0 "$part" 262144 cap || return 1

	say "bench/analyze.sh: making the capture: ${SECS} s of TCP with 1% loss -> $PCAP"
	c0=$(snmp_get "$CLI_NS" TcpRetransSegs) s0=$(snmp_get "$SRV_NS" TcpRetransSegs)
	bg_run "$CLI_NS" bpid timeout $((SECS + 60)) "$BIN" -q rr "$SRV_IP" --port "$BULK_PORT" \
		--streams 8 --duration "$SECS" --size 1,1000000 >/dev/null
	bg_run "$CLI_NS" rpid timeout $((SECS + 60)) "$BIN" -q rr "$SRV_IP" --port "$RR_PORT" \
		--streams 256 --duration "$SECS" >/dev/null
	wait "$bpid"
	rc_b=$?
	wait "$rpid"
	rc_r=$?
	if ((rc_b || rc_r)); then
		say "bench/analyze.sh: rr failed (bulk exit $rc_b, request/response exit $rc_r)"
		return 1
	fi
	busywait 10000 no_tcp "$CLI_NS" "$SRV_NS" || say "bench/analyze.sh: warning: connections left open"
	wait "$bsrv"
	wait "$rsrv"
	c1=$(snmp_get "$CLI_NS" TcpRetransSegs) s1=$(snmp_get "$SRV_NS" TcpRetransSegs)
	# Whatever tcpdump lost is written down: the report says "NOT exact".
	cap_stop "$cap" "$part" stats
	read -r n_cap n_rcv n_drop <<<"$stats"
	cat >"$META.partial" <<EOF || return 1
PACKETS=$n_cap
RECEIVED=$n_rcv
PCAP_DROPS=$n_drop
KERNEL_RETRANS=$(((c1 - c0) + (s1 - s0)))
NFT_DROPS=$(loss_count "$CLI_NS")
SECONDS_OF_TRAFFIC=$SECS
MADE="$(date -u '+%Y-%m-%d %H:%M UTC')"
KERNEL="$(uname -r)"
EOF
	mv "$part" "$PCAP" && mv "$META.partial" "$META"
}

if ((FORCE)) || ! [[ -s $PCAP && -s $META ]]; then
	# In a subshell: its namespaces are gone before the timing starts.
	sub_run make_capture || { say "bench/analyze.sh: could not make the capture"; exit 1; }
fi
# shellcheck source=/dev/null
source "$META"
SLICE_PCAP=$DIR/analyze.slice-$SLICE.pcap
if ((SLICE > PACKETS)); then
	SLICE=$PACKETS
	SLICE_PCAP=$PCAP
elif ! [[ -s $SLICE_PCAP ]]; then
	editcap -r "$PCAP" "$SLICE_PCAP" "1-$SLICE" || exit 1
fi

tmpdir_create T
FAILED=0

# uptime_cs: CLOCK_BOOTTIME in centiseconds.  Not the wall clock: a VM's
# wall clock can be stepped in the middle of a run.
uptime_cs() {
	local u
	read -r u _ </proc/uptime
	echo $((10#${u/./}))
}

# timed NAME CMD...: one run, stdout to $T/NAME.out; appends "NAME CS RSS_KB" to $T/runs.
timed() {
	local name=$1 t0 t1 rss=- rc

	shift
	t0=$(uptime_cs)
	if [[ -n $GNU_TIME ]]; then
		$GNU_TIME -f %M -o "$T/$name.rss" "$@" >"$T/$name.out" 2>"$T/$name.err"
		rc=$?
	else
		"$@" >"$T/$name.out" 2>"$T/$name.err"
		rc=$?
	fi
	t1=$(uptime_cs)
	[[ -n $GNU_TIME ]] && rss=$(tail -n 1 "$T/$name.rss")
	if ((rc != 0)); then
		say "bench/analyze.sh: $name failed (exit $rc):"
		tail -n 3 "$T/$name.err" >&2
		FAILED=1
		return 1
	fi
	echo "$name $((t1 - t0)) $rss" >>"$T/runs"
}

# retrans NAME: the retransmissions a tool's last output reports.
retrans() {
	case $1 in
	ds | ds_slice | ds_ev) jq -r .retrans_segs "$T/$1.out" ;;
	tcptrace) tcptrace_rexmt "$T/$1.out" ;;
	tshark) awk -F'\t' '$1 != "" { n++ } END { print n + 0 }' "$T/$1.out" ;;
	*) echo - ;;
	esac
}

say "bench/analyze.sh: warming the page cache"
cat "$PCAP" "$SLICE_PCAP" >/dev/null
: >"$T/runs"
# tcp.analysis.retransmission includes the fast ones.  tshark calls some
# retransmissions otherwise: those are counted apart.
TSHARK_FIELDS=(tcp.analysis.retransmission tcp.analysis.keep_alive tcp.analysis.out_of_order)
TSHARK_FILTER="${TSHARK_FIELDS[0]} || ${TSHARK_FIELDS[1]} || ${TSHARK_FIELDS[2]}"
for ((r = 1; r <= ROUNDS; r++)); do
	say "bench/analyze.sh: round $r of $ROUNDS"
	if ((HAVE_DS)); then
		timed ds "$BIN" -j analyze -r "$PCAP" --no-progress
		timed ds_ev "$BIN" -j analyze -r "$PCAP" --no-progress --events "$T/events.ndjson"
		timed ds_slice "$BIN" -j analyze -r "$SLICE_PCAP" --no-progress
	fi
	timed tcptrace tcptrace -n -l "$PCAP"
	timed floor tcpdump -r "$PCAP" -w /dev/null
done
# tshark runs once: it is slow, and its rate is steady.
timed tshark tshark -n -r "$SLICE_PCAP" -Y "$TSHARK_FILTER" -T fields -E occurrence=f \
	-e "${TSHARK_FIELDS[0]}" -e "${TSHARK_FIELDS[1]}" -e "${TSHARK_FIELDS[2]}"
TS_KA=- TS_OOO=-
[[ -s $T/tshark.out ]] && read -r TS_KA TS_OOO < <(awk -F'\t' '$1 == "" && $2 != "" { k++ }
	$1 == "" && $2 == "" && $3 != "" { o++ } END { print k + 0, o + 0 }' "$T/tshark.out")

FLOWS=-
((HAVE_DS)) && [[ -s $T/ds.out ]] && FLOWS=$(jq -r .flows "$T/ds.out")
declare -A RETRANS
for n in ds ds_ev ds_slice tcptrace tshark floor; do
	RETRANS[$n]=-
	[[ -s $T/$n.out ]] && RETRANS[$n]=$(retrans $n)
done

awk -v packets="$PACKETS" -v slice="$SLICE" -v rounds="$ROUNDS" -v have_ds="$HAVE_DS" \
    -v pcap="$PCAP" -v bytes="$(stat -c %s "$PCAP")" -v made="$MADE" -v secs="$SECONDS_OF_TRAFFIC" \
    -v kretr="$KERNEL_RETRANS" -v drops="$NFT_DROPS" -v pdrops="$PCAP_DROPS" \
    -v received="$RECEIVED" -v flows="$FLOWS" -v kernel="$KERNEL" -v ncpu="$(nproc)" \
    -v r_ds="${RETRANS[ds]}" -v r_dse="${RETRANS[ds_ev]}" -v r_dss="${RETRANS[ds_slice]}" -v r_tt="${RETRANS[tcptrace]}" \
    -v n_ev="$( ((HAVE_DS)) && grep -c '"type":"retrans"' "$T/events.ndjson" 2>/dev/null || echo -)" \
    -v r_ts="${RETRANS[tshark]}" -v ts_ka="$TS_KA" -v ts_ooo="$TS_OOO" -v has_rss="${GNU_TIME:+1}" \
    -v v_ds="$("$BIN" -V 2>&1 | head -n 1)" -v v_tt="$(tcptrace -v 2>&1 | awk -F'-- ' 'NR == 1 { print $2 }')" \
    -v v_ts="$(tshark -v 2>/dev/null | head -n 1)" -v v_td="$(tcpdump --version 2>&1 | head -n 2 | paste -sd ' ')" '
function med(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	if (!n)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function grp(x,    s, r) {		# 1234567 -> 1,234,567
	if (x == "-" || x == "")
		return "-"
	s = sprintf("%.0f", x); r = ""
	while (length(s) > 3) {
		r = "," substr(s, length(s) - 2) r
		s = substr(s, 1, length(s) - 3)
	}
	return s r
}
{ cs[$1] = cs[$1] " " $2; if ($3 != "-") rss[$1] = rss[$1] " " $3 }
function row(name, label, pk, retr,    c, p, m) {
	c = med(cs[name])
	if (c == "" || c <= 0) {
		printf "%-26s %s\n", label, "failed or not run"
		return
	}
	p = pk / (c / 100)
	pps[name] = p
	m = med(rss[name])
	peak[name] = m
	printf "%-26s %11s %8.2f %11s %9s %10s %10s\n", label, grp(pk), c / 100, grp(p),
	       m == "" ? "-" : sprintf("%.1f MB", m / 1024), grp(retr),
	       name ~ /^ds_/ || ratio("ds", name, "%.2f") == "" ? "-" : ratio("ds", name, "%.2f")
}
function ratio(a, b, fmt) {	# packets/s of a over b, or "" when either is missing
	if (!(a in pps) || !(b in pps) || pps[b] <= 0)
		return ""
	return sprintf(fmt, pps[a] / pps[b])
}
# goal TEXT VALUE MIN: met when VALUE (a number) >= MIN; "" is not measured.
function goal(text, val, min, shown) {
	printf "goal %-38s %s\n", text,
	       val == "" ? "not measured" : (val + 0 >= min ? "met" : "NOT met") " (" shown ")"
}
END {
	printf "# dropscope analyze vs peers on %s\n", pcap
	printf "#   %s packets, %.2f GB, snaplen 128, made %s (%s s of TCP over veth,\n",
	       grp(packets), bytes / 1e9, made, secs
	printf "#   1%% of the server'"'"'s data segments dropped by nft; kernel %s)\n", kernel
	printf "# truth: both kernels'"'"' TcpRetransSegs deltas %s (%s: tcpdump dropped %s,\n",
	       grp(kretr), pdrops == 0 && packets == received ? "exact" : "NOT exact", grp(pdrops)
	printf "#   wrote %s of %s received); nft dropped %s\n", grp(packets), grp(received), grp(drops)
	printf "# %s\n# %s; tcptrace %s\n# %s; %d CPUs\n", v_ds, v_ts, v_tt, v_td, ncpu
	printf "# page cache warm; median of %d run(s); tshark: 1 run on the first %s packets,\n",
	       rounds, grp(slice)
	printf "#   counting tcp.analysis.retransmission (fast ones included)\n"
	printf "# wall: CLOCK_BOOTTIME, 10 ms steps; peak RSS: GNU time %%M%s\n",
	       has_rss ? "" : " (not installed: none)"
	printf "# speedup: dropscope'"'"'s packets/s (whole file) over the tool'"'"'s\n\n"
	printf "%-26s %11s %8s %11s %9s %10s %10s\n", "tool", "packets", "wall s", "packets/s",
	       "peak RSS", "retrans", "speedup"
	if (have_ds)
		row("ds", "dropscope analyze", packets, r_ds)
	else
		printf "%-26s %s\n", "dropscope analyze", "dropscope analyze: not built"
	if (have_ds)
		row("ds_ev", "dropscope --events FILE", packets, r_dse)
	row("tcptrace", "tcptrace -n -l", packets, r_tt)
	row("floor", "tcpdump -r -w /dev/null", packets, "-")
	if (have_ds)
		row("ds_slice", "dropscope analyze (slice)", slice, r_dss)
	row("tshark", "tshark -Y (slice)", slice, r_ts)
	printf "\n"
	if (have_ds && r_ds != "" && kretr != "")
		printf "# retrans vs truth: dropscope %+d, tcptrace %+d\n", r_ds - kretr, r_tt - kretr
	else
		printf "# retrans vs truth: tcptrace %+d\n", r_tt - kretr
	if (ts_ka != "-")
		printf "# tshark labels another %s of the slice'"'"'s segments keep-alive (a retransmitted\n" \
		       "#   1-byte segment looks like one) and %s out-of-order\n", grp(ts_ka), grp(ts_ooo)
	if (have_ds)
		printf "# flows in the file (dropscope): %s; an upper bound of the live flows\n", grp(flows)
	printf "\n"
	d = ("ds" in pps) ? pps["ds"] / 1e6 : ""
	goal("dropscope >= 5 M packets/s", d, 5, sprintf("%.2f M", d))
	r = ratio("ds", "floor", "%.2f")
	goal(">= 0.5x the libpcap floor", r, 0.5, r "x")
	r = ratio("ds", "tcptrace", "%.2f")
	goal(">= 2x tcptrace", r, 2, r "x")
	r = ratio("ds", "tshark", "%.0f")
	goal(">= 70x tshark", r, 70, r "x")
	r = ratio("ds_ev", "ds", "%.3f")
	# Without --events the hooks cost nothing measurable (README: callgrind);
	# here every retransmission (1% of the packets) is written as a line.
	goal("--events at 1% loss costs <= 5%", r, 0.95,
	     r "x, " grp(n_ev) " events for " grp(r_dse) " retrans")
	lim = (64 * 1048576 + 200 * (flows + 0)) / 1048576
	m = ("ds" in peak) && peak["ds"] != "" ? peak["ds"] / 1024 : ""
	goal("peak RSS <= 64 MB + 200 B per flow", m == "" ? "" : lim - m, 0,
	     sprintf("%.1f MB of %.1f MB", m, lim))
}' "$T/runs"
exit $((FAILED ? 1 : 0))
