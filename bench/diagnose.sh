#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/diagnose.sh - what diagnose's tracing and capture cost the workload:
# `dropscope rr` alone against `dropscope diagnose rr` (the same workload
# with the drop tracer on every namespace and the analyzer on a live
# capture of the client's interface), in one run, on one veth pair between
# two namespaces.  Goal: diagnose's transactions/s >= 95% of rr's.
#
# usage: bench/diagnose.sh [-d SECONDS] [-r ROUNDS] [-n STREAMS] [-h]
#   -d SECONDS  length of every run (default 5, at least 2)
#   -r ROUNDS   rounds; the arm that runs first alternates (default 6: even, so
#               each arm goes first as often)
#   -n STREAMS  concurrent connections (default 16)
#
# Both arms: 1-byte requests and responses, no loss.  The table gives each
# arm's median transactions/s over the rounds, the ratio of the medians and
# the geometric mean of each round's own ratio (the two runs of a round are
# neighbours in time; the first of a pair tends to run faster, and with an
# even number of rounds that bias cancels out in the mean); each round's
# figures are printed as they come.  DIAG_ARGS adds options to the diagnose arm
# (e.g. --no-capture, to see what the tracer alone costs).  Exit 0 whatever the
# ratio; 1 if a run failed, 2 usage, 3 not root.
set -u

SECS=5 ROUNDS=6 STREAMS=16 PORT=12867

usage() {
	sed -n '3,/^set -u$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

while getopts "d:r:n:h" o; do
	case $o in
	d) SECS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	n) STREAMS=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if (($#)) || ! [[ $SECS =~ ^[0-9]+$ && $ROUNDS =~ ^[0-9]+$ && $STREAMS =~ ^[0-9]+$ ]] ||
	((SECS < 2 || SECS > 600 || ROUNDS < 1 || ROUNDS > 50 || STREAMS < 1 || STREAMS > 256)); then
	usage >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd -P)
BIN=${DS_BIN:-$top/dropscope}
((EUID == 0)) || { echo "bench/diagnose.sh: needs root (namespaces, tracing)" >&2; exit 3; }
[[ -x $BIN ]] || { echo "bench/diagnose.sh: $BIN not built (run make)" >&2; exit 1; }
# shellcheck source=SCRIPTDIR/../tests/lib.sh
source "$top/tests/lib.sh"
tmpdir_create TMP

# arm NAME: one run; its transactions/s on stdout.
arm() {
	local srv out=$TMP/$1.json cmd=(rr)

	# shellcheck disable=SC2206 # DIAG_ARGS: words on purpose
	[[ $1 == diagnose ]] && cmd=(diagnose ${DIAG_ARGS:-} rr)
	bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
	busywait 5000 ns_listening "$SRV_NS" $PORT || return 1
	ip netns exec "$CLI_NS" timeout $((SECS + 60)) "$BIN" -j "${cmd[@]}" "$SRV_IP" \
		--port $PORT --streams "$STREAMS" --duration "$SECS" >"$out" 2>"$TMP/$1.err" ||
		{ cat "$TMP/$1.err" >&2; return 1; }
	busywait 5000 sh -c "! kill -0 $srv 2>/dev/null"
	if [[ $1 == diagnose ]]; then
		jq -r '.workload.rate_tps' "$out"
	else
		jq -r '.rate_tps' "$out"
	fi
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

lab_pair off || exit 1
echo "# bench/diagnose.sh: $STREAMS streams of 1-byte rr over a veth pair, $SECS s per run," \
	"$ROUNDS rounds, the first arm alternating${DIAG_ARGS:+; diagnose $DIAG_ARGS}"
: >"$TMP/rr.tps"
: >"$TMP/diagnose.tps"
: >"$TMP/ratio"
for ((i = 0; i < ROUNDS; i++)); do
	order=(rr diagnose)
	((i % 2)) && order=(diagnose rr)
	for a in "${order[@]}"; do
		tps=$(arm "$a") || { echo "bench/diagnose.sh: the $a run failed" >&2; exit 1; }
		echo "$tps" >>"$TMP/$a.tps"
		printf "  round %d %-9s %12.0f transactions/s\n" $((i + 1)) "$a" "$tps"
	done
	awk -v a="$(tail -n 1 "$TMP/diagnose.tps")" -v b="$(tail -n 1 "$TMP/rr.tps")" \
		'BEGIN { print a / b }' >>"$TMP/ratio"
done
rr=$(median <"$TMP/rr.tps")
dg=$(median <"$TMP/diagnose.tps")
pr=$(awk '{ s += log($1) } END { print exp(s / NR) }' "$TMP/ratio")
awk -v rr="$rr" -v dg="$dg" -v pr="$pr" 'BEGIN {
	printf "%-24s %14s\n", "arm", "median tps"
	printf "%-24s %14.0f\n", "rr alone", rr
	printf "%-24s %14.0f\n", "diagnose rr", dg
	printf "ratio of the medians diagnose/rr %.3f (cost %.1f%%)\n", dg / rr, 100 * (1 - dg / rr)
	printf "geometric mean of per-round ratios %.3f (cost %.1f%%); goal >= 0.950: %s\n", pr,
		100 * (1 - pr), (pr >= 0.95) ? "met" : "NOT met"
}'
