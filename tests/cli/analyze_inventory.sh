#!/bin/bash
# `analyze --inventory` and `--far` against tests/pcap/inventory.scn, whose
# per-class counts are known from how it is built: each `# inventory: TABLE
# KEY field=value ...` line (TABLE dscp, subnet or port) must match the row
# of that key exactly, and `# inventory: rtt DSCP US` that class's RTT p50
# (within the histogram's 1/256).  The far capture is the same scenario as
# a provider that bleaches every DSCP to 0 delivers it, 1 ms later, without
# the segment the story loses downstream.
# timeout: 60
source "$(dirname "$0")/../lib.sh"
require_cmd jq

BIN=${DS_BIN:-$DS_ROOT/dropscope}
GEN=$DS_ROOT/.output/tools/pcapgen
SCN=$DS_ROOT/tests/pcap/inventory.scn
if [[ ! -x $GEN ]]; then
	log_test "analyze inventory" 4 "pcapgen not built (make tools)"
	exit 4
fi
tmpdir_create TMP
"$GEN" -o "$TMP/near.pcap" "$SCN" || exit 1

# --- the inventory's rows ---

"$BIN" -j analyze --inventory "$TMP/near.pcap" >"$TMP/inv.json" 2>"$TMP/err"
rc=$? bad=0 n=0
((rc == 0)) || echo "    exit $rc: $(head -n 1 "$TMP/err")"
while read -r table key fields; do
	case $table in
	dscp) sel=".by_dscp[] | select(.dscp == $key)" ;;
	subnet) sel=".by_subnet[] | select(.subnet == \"$key\")" ;;
	port) sel=".by_port[] | select(.port == $key)" ;;
	rtt)
		got=$(jq -r ".inventory.by_dscp[] | select(.dscp == $key) | .rtt_us.p50" "$TMP/inv.json")
		n=$((n + 1))
		awk -v g="$got" -v w="$fields" 'BEGIN { d = g - w; exit !(d <= w / 256 && -d <= w / 256) }' ||
			{ echo "    rtt of dscp $key: p50 $got us, want $fields"; bad=$((bad + 1)); }
		continue ;;
	*) echo "    bad line: $table $key $fields"; bad=$((bad + 1)); continue ;;
	esac
	for kv in $fields; do
		n=$((n + 1))
		got=$(jq -r ".inventory | [$sel] | if length == 1 then .[0].${kv%%=*} else \"rows: \\(length)\" end" \
			"$TMP/inv.json")
		[[ $got == "${kv#*=}" ]] || { echo "    $table $key ${kv%%=*}: got $got, want ${kv#*=}"; bad=$((bad + 1)); }
	done
done < <(sed -n 's/^#[[:space:]]*inventory:[[:space:]]*//p' "$SCN")
((n > 0 && rc == 0 && bad == 0))
log_test "analyze --inventory: $n values of inventory.scn" $?

# The rows add up to the capture's totals (every TCP packet, every payload byte).
jq -e '. as $r | .inventory | [.by_dscp, .by_subnet, .by_port] | map(map(.packets) | add) |
	all(. == $r.tcp_packets)' "$TMP/inv.json" >/dev/null &&
	jq -e '. as $r | .inventory | [.by_dscp, .by_subnet, .by_port] | map(map(.data_bytes) | add) |
	all(. == $r.data_bytes)' "$TMP/inv.json" >/dev/null
log_test "analyze --inventory: each table sums to tcp_packets, data_bytes" $?

"$BIN" -j analyze --inventory-prefix 16,48 "$TMP/near.pcap" |
	jq -e '.inventory.v4_prefix == 16 and (.inventory.by_subnet | length == 1) and
		.inventory.by_subnet[0].subnet == "198.18.0.0/16" and .inventory.by_subnet[0].packets == 24' \
		>/dev/null
log_test "analyze --inventory-prefix 16,48: one /16 of 24 packets" $?

"$BIN" analyze --inventory "$TMP/near.pcap" >"$TMP/out" 2>&1 &&
	grep -Eq '^  34 af41 +8 +1 +4,000 +1,000 +25.000%  10.0ms' "$TMP/out" &&
	grep -Eq '^  5201 +13 +2 +4,844 ' "$TMP/out"
log_test "analyze --inventory text: the AF41 and port 5201 rows" $?

rc=0
for bad_arg in 0 33 24,129 24x 24,64,1; do
	"$BIN" analyze --inventory-prefix "$bad_arg" "$TMP/near.pcap" >/dev/null 2>"$TMP/err"
	r=$?
	((r == 2 && $(wc -l <"$TMP/err") == 1)) || { echo "    --inventory-prefix $bad_arg: exit $r"; rc=1; }
done
log_test "analyze --inventory-prefix: bad lengths exit 2, one line" $rc

# --- the DSCP check against a far capture ---

# As delivered: DSCP 0, 1 ms later, without the frame lost downstream (its
# IPv4 ID taken by nothing: the next frame of A keeps its own).
awk '/^t / { $2 = sprintf("%.6f", $2 + 0.001) } { print }' "$SCN" |
	sed -E -e 's/ dscp=[0-9]+//' -e '/# lost downstream/d' \
		-e 's/^(t 0\.011200 A>B A +seq=2001 .*)$/\1 id=3/' >"$TMP/far.scn"
"$GEN" -o "$TMP/far.pcap" "$TMP/far.scn" || exit 1
"$BIN" -j analyze "$TMP/near.pcap" --far "$TMP/far.pcap" >"$TMP/far.json" 2>"$TMP/err"
jq -e '.dscp_check | .matched == 23 and .near_unmatched == 1 and .far_unmatched == 0 and
	.near_unmatched_by_dscp["34"] == 1 and (.far_to_near | length == 0) and
	([.near_to_far[] | "\(.sent_dscp)>\(.arrived_dscp):\(.matched):\(.verdict)"] ==
	 ["0>0:9:unchanged", "8>0:7:bleached", "34>0:7:bleached"])' "$TMP/far.json" >/dev/null
rc=$?
((rc == 0)) || jq -c .dscp_check "$TMP/far.json"
log_test "analyze --far: 34 and 8 bleached to 0, 1 lost, 23 matched" $rc

# Compared with itself every packet matches unchanged (stamps equal: near to far).
"$BIN" -j analyze "$TMP/near.pcap" --far "$TMP/near.pcap" |
	jq -e '.dscp_check | .matched == 24 and ([.near_to_far[].verdict] | unique == ["unchanged"])' \
		>/dev/null
log_test "analyze --far: a capture against itself is unchanged" $?

"$BIN" analyze "$TMP/near.pcap" --far "$TMP/nonexistent.pcap" >/dev/null 2>"$TMP/err"
(($? == 1 && $(wc -l <"$TMP/err") == 1)) && grep -q -- '--far' "$TMP/err"
log_test "analyze --far: a missing file exits 1, one line" $?

tests_exit
