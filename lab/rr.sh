#!/bin/bash
# The first story in one run: a TCP_RR workload between two network
# namespaces, with a lossy hop, shows the 200 ms / 400 ms RTO modes in the
# latency histogram; nft's own counter is printed beside them as the truth.
# Everything it creates (namespaces, nft table, server) is removed on exit.
#
# usage: lab/rr.sh [-j] [-l PERMILLE] [-n STREAMS] [-d SECONDS] [-- extra rr options]
#   -j: JSON (dropscope -j -p); the nft ground truth then goes to stderr
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tests/lib.sh"

permille=2 streams=16 secs=5 global=()
while getopts "jl:n:d:h" o; do
	case $o in
	j) global=(-j -p) ;;
	l) permille=$OPTARG ;;
	n) streams=$OPTARG ;;
	d) secs=$OPTARG ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

BIN=${DS_BIN:-$top/dropscope}
PORT=12867
[ "$(id -u)" -eq 0 ] || { echo "lab/rr.sh: needs root (network namespaces)" >&2; exit 3; }
[ -x "$BIN" ] || { echo "lab/rr.sh: $BIN not built (run make)" >&2; exit 1; }

lab_pair
[ "$permille" -gt 0 ] && loss_add "$SRV_NS" "$permille" "tcp dport != $PORT"
bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
busywait 5000 ns_listening "$SRV_NS" $PORT || { echo "lab/rr.sh: server did not start" >&2; exit 1; }

echo "lab: client $CLI_NS ($CLI_IP) -> server $SRV_NS ($SRV_IP)," \
     "nft drops $permille/1000 of request segments; $streams streams, $secs s" >&2
echo >&2
ip netns exec "$CLI_NS" "$BIN" "${global[@]}" rr "$SRV_IP" --port $PORT --streams "$streams" \
	--duration "$secs" "$@"
rc=$?
if [ "$permille" -gt 0 ]; then
	truth="ground truth: nft dropped $(loss_count "$SRV_NS") request segments on the server's input"
	if [ ${#global[@]} -gt 0 ]; then echo "$truth" >&2; else printf '\n%s\n' "$truth"; fi
fi
exit $rc
