#!/bin/bash
# Three kinds of loss at once, and `dropscope drops` naming each by device:
# rr traffic through an nft rule that drops 1% of request segments, a UDP
# burst into an HTB class whose small bfifo overflows, and a tap whose
# reader never reads (a VM that stopped draining its queue). Each queue's
# own counter is printed after the report as the truth. Everything it
# creates (namespaces, nft table, processes) is removed on exit.
#
# usage: lab/drops.sh [-j] [-- extra drops options]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/tests/lib.sh"
source "$top/tests/drops_lib.sh"

global=()
while getopts "jh" o; do
	case $o in
	j) global=(-j -p) ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

BIN=${DS_BIN:-$top/dropscope}
PORT=12867
[ "$(id -u)" -eq 0 ] || { echo "lab/drops.sh: needs root (namespaces, BPF)" >&2; exit 3; }
[ -x "$BIN" ] && [ -x "$DS_TOOLS/udpsend" ] ||
	{ echo "lab/drops.sh: run make && make tools first" >&2; exit 1; }

lab_pair off || exit 1
loss_add "$SRV_NS" 10 "tcp dport != $PORT" || exit 1
htb_overflow "$CLI_NS" "$SRV_NS" 21 3000 || exit 1
tap_overflow "$SRV_NS" 22 16 || exit 1
bg_run "$SRV_NS" srv "$BIN" rr --server --once --bind "$SRV_IP" --port $PORT
busywait 5000 ns_listening "$SRV_NS" $PORT || { echo "lab/drops.sh: no server" >&2; exit 1; }

out=$(mktemp "${TMPDIR:-/tmp}/ds-lab.XXXXXX") || exit 1
defer rm -f "$out" "$out.err"
# Every namespace of the host: the lab's two, and whatever else drops meanwhile.
"$BIN" -v "${global[@]}" drops -d 60 "$@" >"$out" 2>"$out.err" &
drops=$!
defer ds__bg_stop "$drops"
busywait 10000 grep -qs 'drops: ready' "$out.err" || { cat "$out.err" >&2; exit 1; }

echo "lab: client $CLI_NS -> server $SRV_NS: rr 8 streams 3 s through nft 1% loss; 200 x 1000 B" \
     "into a 3000 B bfifo under HTB 1mbit; 300 datagrams into a tap nobody reads" >&2
q0=$(qdisc_stat "$CLI_NS" "$HTB_IF" "$HTB_LEAF" drops)
t0=$(link_stat "$SRV_NS" "$TAP_IF" tx.dropped)
ip netns exec "$CLI_NS" "$BIN" -q rr "$SRV_IP" --port $PORT --streams 8 --duration 3 >/dev/null
udp_send "$CLI_NS" "$HTB_DST" 200 -s 1000
udp_send "$SRV_NS" "$TAP_DST" 300
kill -INT "$drops"
wait "$drops"
cat "$out"
truth="ground truth: nft dropped $(loss_count "$SRV_NS") segments;"
truth+=" bfifo dropped $(($(qdisc_stat "$CLI_NS" "$HTB_IF" "$HTB_LEAF" drops) - q0));"
truth+=" $TAP_IF tx_dropped +$(($(link_stat "$SRV_NS" "$TAP_IF" tx.dropped) - t0))"
if [ ${#global[@]} -gt 0 ]; then echo "$truth" >&2; else printf '\n%s\n' "$truth"; fi
