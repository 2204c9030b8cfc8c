#!/bin/bash
# `dropscope analyze` against real captures taken from other projects' test
# suites (tests/pcap/real/SOURCES says where each comes from and under which
# licence).  Each capture FILE has FILE.expect beside it: `# expect:
# key=value` lines (jq paths into `-j analyze -r FILE` output, exact values)
# reasoned out frame by frame in its comments, never copied from a tool's
# output.  One TEST line per capture; every expected key must match, and the
# invariants hold: by_class adds up to retrans_segs, lost_downstream +
# lost_upstream <= retrans_segs, packets = tcp_packets + all of skipped.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

BIN=${DS_BIN:-$DS_ROOT/dropscope}
REAL=$DS_ROOT/tests/pcap/real

if ! "$BIN" analyze --help >/dev/null 2>&1; then
	log_test "analyze real captures" 4 "analyze not built"
	exit 4
fi
require_cmd jq
tmpdir_create TMP

# invariants JSON: one line per invariant that does not hold.
invariants() {
	jq -r '([.by_class[]? | numbers] | add // 0) as $sum
		| (if $sum == .retrans_segs then empty
		   else "by_class sums to \($sum), retrans_segs is \(.retrans_segs)" end),
		  (if ((.lost_downstream // 0) + (.lost_upstream // 0)) <= .retrans_segs then empty
		   else "lost_downstream + lost_upstream > retrans_segs" end),
		  (([.skipped[]? | numbers] | add // 0) as $sk
		   | if .tcp_packets + $sk == .packets then empty
		     else "packets \(.packets) != tcp_packets \(.tcp_packets) + skipped \($sk)" end)' "$1"
}

# check_capture FILE: one TEST line for it.
check_capture() {
	local pcap=$1 name exp json err rc kv key bad=0 line i
	local -a keys=() wants=()
	local -A have=()

	name=$(basename -- "$pcap")
	exp=$pcap.expect json=$TMP/$name.json err=$TMP/$name.err
	if [[ ! -f $exp ]]; then
		log_test "analyze real $name" 1 "no $name.expect"
		return
	fi
	while IFS= read -r kv; do
		if [[ ! $kv =~ ^([a-z0-9_]+(\.[a-z0-9_]+)*)=([0-9]+)$ ]]; then
			log_test "analyze real $name" 1 "bad expect '$kv' in $exp"
			return
		fi
		keys+=("${BASH_REMATCH[1]}")
		wants+=("${BASH_REMATCH[3]}")
	done < <(expects "$exp")
	if ((${#keys[@]} == 0)); then
		log_test "analyze real $name" 1 "no '# expect:' line in $exp"
		return
	fi
	"$BIN" -j analyze -r "$pcap" >"$json" 2>"$err"
	rc=$?
	if ((rc != 0)) || ! jq -e 'type == "object"' "$json" >/dev/null 2>&1; then
		log_test "analyze real $name" 1 "exit $rc, $(head -n 1 "$err")"
		return
	fi
	while IFS= read -r kv; do
		have[${kv%%=*}]=${kv#*=}
	done < <(values "$json" "${keys[@]}")
	for i in "${!keys[@]}"; do
		key=${keys[i]}
		if [[ ${have[$key]} != "${wants[i]}" ]]; then
			printf '    %-24s expected %s, got %s\n' "$key" "${wants[i]}" "${have[$key]}"
			bad=$((bad + 1))
		fi
	done
	while IFS= read -r line; do
		[[ -n $line ]] || continue
		printf '    %s\n' "$line"
		bad=$((bad + 1))
	done < <(invariants "$json")
	((bad == 0)) || log_info "reproduce: $BIN -j analyze -r $pcap"
	log_test "analyze real $name" $((bad != 0)) "$bad mismatches (${#keys[@]} expectations, 3 invariants)"
}

shopt -s nullglob
captures=()
for f in "$REAL"/*; do
	case $f in
	*.expect | */SOURCES) ;;
	*) captures+=("$f") ;;
	esac
done
if ((${#captures[@]} == 0)); then
	log_test "analyze real captures" 1 "no captures in tests/pcap/real"
	tests_exit
fi
for pcap in "${captures[@]}"; do
	check_capture "$pcap"
done

tests_exit
