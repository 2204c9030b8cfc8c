#!/bin/bash
# analyze --monitor per class and from a sites file, against the known bytes
# of tests/pcap/monitor_classes.scn (two flows, DSCP 8 to port 5201 and DSCP
# 46; their rounds, losses and ACKs are counted out in its comments): each
# path's one 1 s window must carry exactly its flows' offered, lost and
# acknowledged bytes. The same paths named by a --sites file must give the
# same windows. Bad sites files: one line FILE:LINE: reason on stderr, exit 2.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
GEN=$DS_ROOT/.output/tools/pcapgen
SCN=$DS_ROOT/tests/pcap/monitor_classes.scn
if [[ ! -x $GEN ]]; then
	log_test "analyze monitor classes" 4 "pcapgen not built (make tools)"
	exit 4
fi
tmpdir_create TMP
"$GEN" -o "$TMP/c.pcap" "$SCN" || { log_test "analyze monitor classes: capture" 1; tests_exit; }
read -ra args < <(sed -n 's/^#[[:space:]]*args:[[:space:]]*//p' "$SCN")

# The truth, from the scenario's construction (bytes x 8 over 1 s), in IP
# bytes as the monitor counts them (1000-byte segments with 20 + 20 bytes of
# headers: x 1.04; the ACKed payload scaled by the same share):
# X (DSCP 8, port 5201): 44 segments offered, 4 lost, 40000 payload bytes acknowledged
# (the handshake's ACK of the SYN, one sequence number, is no payload);
# Y (DSCP 46, from 198.18.10.2): 62, 2, 60000.
declare -A want=(
	[wan]="881920 49920 832000 acks"
	[bulk]="366080 33280 332800 acks"
	[iperf]="366080 33280 332800 acks"
	[voice]="515840 16640 499200 acks"
	[host]="515840 16640 499200 acks"
	[idle]="0 0 0 data"
)

# check_windows NAME FILE: every path's one window against want[].
check_windows() {
	local name=$1 file=$2 bad=0 path got
	for path in "${!want[@]}"; do
		got=$(jq -r --arg p "$path" 'select(.type == "monitor_window" and .path == $p)
			| "\(.offered_bps) \(.down_rtx_bps) \(.delivered_bps) \(.delivered_from)"' "$file")
		if [[ $got != "${want[$path]}" ]]; then
			echo "    $path: offered lost delivered from: want ${want[$path]}, got ${got:-none}"
			bad=$((bad + 1))
		fi
	done
	got=$(jq -s '[.[] | select(.type == "monitor_window")] | length' "$file")
	[[ $got == "${#want[@]}" ]] || { echo "    $got windows, want ${#want[@]}"; bad=$((bad + 1)); }
	log_test "analyze monitor classes: $name: each class's bytes" $((bad != 0))
}

"$BIN" -j analyze -r "$TMP/c.pcap" "${args[@]}" --windows "$TMP/w.ndjson" >"$TMP/out.json" 2>"$TMP/err"
log_test "analyze monitor classes: --path with @dscp/@port exits 0" $? "$(head -n 1 "$TMP/err")"
check_windows "--path" "$TMP/w.ndjson"

cat >"$TMP/sites.ini" <<'INI'
# the scenario's paths, by site
[site ours]
prefix = 198.18.10.0/23
[site host2]
prefix = 198.18.10.2/32
[site far]
prefix = 198.18.20.0/24, 2001:db8:20::/48

[path wan]
from = ours
to = far
[path bulk]
from = ours
to = far
dscp = 8
[path voice]
from = ours
to = far
dscp = 46
[path iperf]
from = ours
to = far
port = 5201
[path host]
from = host2
to = far
[path idle]
from = ours
to = far
dscp = 34
INI
"$BIN" -j analyze -r "$TMP/c.pcap" --monitor --window 1s --sites "$TMP/sites.ini" \
	--windows "$TMP/ws.ndjson" >"$TMP/outs.json" 2>"$TMP/err"
log_test "analyze monitor classes: --sites exits 0" $? "$(head -n 1 "$TMP/err")"
check_windows "--sites" "$TMP/ws.ndjson"
got=$(jq -r '.monitor.paths | map("\(.name):\(.dscp // "-"):\(.port // "-")") | join(" ")' "$TMP/outs.json")
[[ $got == "wan:-:- bulk:8:- voice:46:- iperf:-:5201 host:-:- idle:34:-" ]]
log_test "analyze monitor classes: --sites paths in file order with their class" $? "$got"

# Text output names the class.
"$BIN" analyze -r "$TMP/c.pcap" --no-progress "${args[@]}" >"$TMP/text" 2>&1
grep -q '^monitor bulk: 198.18.10.0/23 -> 198.18.20.0/24 dscp 8,' "$TMP/text"
log_test "analyze monitor classes: text names the class" $?

# bad_sites NAME 'TEXT' 'LINE: REASON': exit 2, that one line on stderr.
bad_sites() {
	local rc
	printf '%b' "$2" >"$TMP/bad.ini"
	"$BIN" analyze -r "$TMP/c.pcap" --monitor --sites "$TMP/bad.ini" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if ((rc == 2)) && [[ ! -s $TMP/out && $(wc -l <"$TMP/err") -eq 1 ]] &&
		grep -qF "$TMP/bad.ini:$3" "$TMP/err"; then
		log_test "analyze --sites: $1 (exit 2, file:line)" 0
	else
		echo "    rc=$rc stderr=$(cat "$TMP/err")"
		log_test "analyze --sites: $1 (exit 2, file:line)" 1
	fi
}
S='[site a]\nprefix = 198.18.10.0/24\n'
bad_sites "bad prefix" '[site a]\nprefix = 198.18.10.0/33\n' "2: bad prefix '198.18.10.0/33'"
bad_sites "unknown site" "$S"'[path p]\nfrom = a\nto = b\n' "5: unknown site 'b'"
bad_sites "duplicate site" "$S$S"'[path p]\nfrom = a\nto = a\n' "3: duplicate [site a]"
bad_sites "bad dscp" "$S"'[path p]\nfrom = a\nto = a\ndscp = 99\n' "6: bad dscp '99'"
p17=$S
for i in $(seq 0 16); do p17+="[path p$i]\\nfrom = a\\nto = a\\n"; done
bad_sites "17 paths" "$p17" "51: too many paths (at most 16)"
bad_sites "syntax" "$S"'what\n' "3: syntax error"
"$BIN" analyze -r "$TMP/c.pcap" --monitor --sites "$TMP/nope.ini" >/dev/null 2>"$TMP/err"
rc=$?
((rc == 1)) && grep -q "nope.ini: No such file" "$TMP/err"
log_test "analyze --sites: missing file (exit 1)" $? "rc=$rc $(cat "$TMP/err")"
"$BIN" analyze -r "$TMP/c.pcap" --monitor --path '198.18.10.0/23=198.18.20.0/24@dscp=64' \
	>/dev/null 2>"$TMP/err"
rc=$?
((rc == 2)) && [[ $(wc -l <"$TMP/err") -eq 1 ]]
log_test "analyze --path @dscp=64 (exit 2, one line)" $? "rc=$rc"
tests_exit
