#!/bin/bash
# `dropscope analyze` against hand-built captures whose truth is known by
# construction: every tests/pcap/*.scn is turned into a capture by
# .output/tools/pcapgen (pcapng for names starting with "pcapng"), analysed
# with the options of its `# args:` line if it has one, and each
# of its `# expect: key=value` pairs (a jq path into `-j analyze` output) must
# match exactly (decimals as numbers: 2.01005 is 2.010050), and its `# events: FRAME:CLASS:LOCATION ...` (or `none`) are
# the retransmission events `--events` must list, in order (each one a frame
# the scenario's comments name as re-sent), and its `# reclass: ...` lines
# (none when absent) the ones a later D-SACK or late original judged again.  For every scenario, also:
# by_class adds up to retrans_segs, lost_downstream + lost_upstream <=
# retrans_segs, and every event's seq and len are tshark's for its frame.  Then the file-level
# edges: a text file, a capture cut in the middle of its last record.
# timeout: 300
source "$(dirname "$0")/../lib.sh"

BIN=${DS_BIN:-$DS_ROOT/dropscope}
GEN=$DS_ROOT/.output/tools/pcapgen

if ! "$BIN" analyze --help >/dev/null 2>&1; then
	log_test "analyze pcap scenarios" 4 "analyze not built"
	exit 4
fi
require_cmd jq
if [[ ! -x $GEN ]]; then
	log_test "analyze pcap scenarios" 4 "pcapgen not built (make tools)"
	exit 4
fi
tmpdir_create TMP

# gen SCN OUT: build the capture for a scenario; pcapng when its name says so.
gen() {
	local args=()

	[[ $(basename -- "$1") == pcapng* ]] && args=(-n)
	"$GEN" "${args[@]}" -o "$2" "$1"
}

# tshark_args SCN: the scenario's `# tshark: ARGS` (decode-as for a port
# tshark does not know, such as VXLAN on Linux's 8472), unquoted words.
tshark_args() {
	sed -n 's/^#[[:space:]]*tshark:[[:space:]]*//p' "$1"
}

# tshark_dump SCN PCAP: one line per frame, tab-separated, as tshark reads
# it with checksums checked: frame number, TCP seq (raw), TCP payload length,
# TCP ports, TCP and IP checksum status, expert severities.  Read once per
# capture (tshark takes a second to start) by every check below.
tshark_dump() {
	local -a targs

	read -ra targs < <(tshark_args "$1")
	tshark "${targs[@]}" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -r "$2" \
		-T fields -e frame.number -e tcp.seq_raw -e tcp.len -e tcp.srcport -e tcp.dstport \
		-e tcp.checksum.status -e ip.checksum.status -e _ws.expert.severity 2>/dev/null
}

# check_events SCN EVENTS PCAP: the events the scenario names, and each
# one's seq/len as tshark reads its frame.  Prints what differs; 1 if any.
check_events() {
	local want got frame seq len tseq tlen rc=0

	# Several `# events:` lines are one list, in order.
	want=$(sed -n 's/^#[[:space:]]*events:[[:space:]]*//p' "$1" | tr '\n' ' ')
	want=${want% }
	got=$(jq -r 'select(.type == "retrans") | "\(.frame):\(.class):\(.location)"' "$2" |
		tr '\n' ' ')
	got=${got% }
	if [[ -z $want ]]; then
		echo "    no '# events:' line"
		return 1
	fi
	if [[ ${got:-none} != "$want" ]]; then
		echo "    events: expected $want, got ${got:-none}"
		rc=1
	fi
	# Retransmissions judged again later (FRAME:CLASS:LOCATION:BY_FRAME); none unless named.
	want=$(sed -n 's/^#[[:space:]]*reclass:[[:space:]]*//p' "$1")
	got=$(jq -r 'select(.type == "reclass") | "\(.frame):\(.class):\(.location):\(.by_frame)"' \
		"$2" | tr '\n' ' ')
	got=${got% }
	if [[ ${got:-none} != "${want:-none}" ]]; then
		echo "    reclass events: expected ${want:-none}, got ${got:-none}"
		rc=1
	fi
	[[ -s $3.tsv ]] || return $rc
	while read -r frame seq len; do
		read -r tseq tlen < <(awk -F'\t' -v f="$frame" '$1 == f { print $2, $3 }' "$3.tsv")
		if [[ $tseq != "$seq" || $tlen != "$len" ]]; then
			echo "    event at frame $frame: seq $seq len $len, tshark $tseq $tlen"
			rc=1
		fi
	done < <(jq -r 'select(.type == "retrans") | "\(.frame) \(.seq) \(.len)"' "$2")
	return $rc
}

# check_scenario SCN: one TEST line for it.
check_scenario() {
	local scn=$1 name pcap json err rc kv key want got bad=0
	local -a keys=() wants=() args=()
	local -A have=()

	name=$(basename -- "$scn" .scn)
	pcap=$TMP/$name.pcap json=$TMP/$name.json err=$TMP/$name.err
	while IFS= read -r kv; do
		if [[ ! $kv =~ ^([a-z0-9_]+(\.[a-z0-9_]+)*)=([0-9]+(\.[0-9]+)?|[a-z_]+)$ ]]; then
			log_test "analyze $name" 1 "bad expect '$kv' in $scn"
			return
		fi
		keys+=("${BASH_REMATCH[1]}")
		wants+=("${BASH_REMATCH[3]}")
	done < <(expects "$scn")
	if ((${#keys[@]} == 0)); then
		log_test "analyze $name" 1 "no '# expect:' line in $scn"
		return
	fi
	if ! gen "$scn" "$pcap" 2>"$err"; then
		log_test "analyze $name" 1 "$(head -n 1 "$err")"
		return
	fi
	read -ra args < <(sed -n 's/^#[[:space:]]*args:[[:space:]]*//p' "$scn")
	command -v tshark >/dev/null && tshark_dump "$scn" "$pcap" >"$pcap.tsv"
	"$BIN" -j analyze -r "$pcap" --events "$TMP/$name.ev" "${args[@]}" >"$json" 2>"$err"
	rc=$?
	if ((rc != 0)) || ! jq -e 'type == "object"' "$json" >/dev/null 2>&1; then
		log_test "analyze $name" 1 "exit $rc, $(head -n 1 "$err")"
		return
	fi
	while IFS= read -r kv; do
		have[${kv%%=*}]=${kv#*=}
	done < <(values "$json" "${keys[@]}")

	for i in "${!keys[@]}"; do
		key=${keys[i]} want=${wants[i]} got=${have[${keys[i]}]}
		if [[ $want == *.* && $got =~ ^[0-9.]+$ ]] &&
			awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }'; then
			continue
		fi
		if [[ $got != "$want" ]]; then
			printf '    %-20s expected %s, got %s\n' "$key" "$want" "$got"
			bad=$((bad + 1))
		fi
	done
	# The invariants hold whatever the scenario: each retransmission is in
	# exactly one class, and at most one loss per retransmission.
	got=$(jq -r '([.by_class[]? | numbers] | add // 0) as $sum
		| if $sum == .retrans_segs then empty
		  else "by_class sums to \($sum), retrans_segs is \(.retrans_segs)" end' "$json")
	if [[ -n $got ]]; then
		printf '    %s\n' "$got"
		bad=$((bad + 1))
	fi
	got=$(jq -r 'if (.lost_downstream + .lost_upstream) <= .retrans_segs then empty
		else "lost_downstream + lost_upstream = \(.lost_downstream + .lost_upstream) > retrans_segs \(.retrans_segs)" end' \
		"$json" 2>&1)
	if [[ -n $got ]]; then
		printf '    %s\n' "$got"
		bad=$((bad + 1))
	fi
	check_events "$scn" "$TMP/$name.ev" "$pcap" || bad=$((bad + 1))
	((bad == 0)) ||
		log_info "reproduce: $GEN -o /tmp/$name.pcap $scn; $BIN -j analyze -r /tmp/$name.pcap"
	log_test "analyze $name" $((bad != 0)) "$bad mismatches (${#keys[@]} expectations, events, 2 invariants)"
}

shopt -s nullglob
scenarios=("$DS_ROOT"/tests/pcap/*.scn)
if ((${#scenarios[@]} == 0)); then
	log_test "analyze pcap scenarios" 1 "no tests/pcap/*.scn"
	tests_exit
fi
for scn in "${scenarios[@]}"; do
	check_scenario "$scn"
done

# The generator judged by Wireshark: as many frames as `packets=` says, no
# bad checksum, and exactly `skipped.malformed=` + `ip_len_trimmed=` frames
# with an error (the ones broken on purpose: tshark, too, says an IP length
# exceeds the packet).  A wrong capture would make every result above
# meaningless.
if command -v tshark >/dev/null; then
	bad=0
	for scn in "${scenarios[@]}"; do
		name=$(basename -- "$scn" .scn)
		[[ -f $TMP/$name.pcap ]] || continue
		want_frames=$(expects "$scn" | sed -n 's/^packets=//p')
		want_bad=$(expects "$scn" | sed -n 's/^skipped\.malformed=//p')
		want_trim=$(expects "$scn" | sed -n 's/^ip_len_trimmed=//p')
		want_bad=$((${want_bad:-0} + ${want_trim:-0}))
		# status 0 is "bad"; 8388608 is the expert severity "error"
		got=$(awk -F'\t' '{ n++ } $6 ~ /(^|,)0(,|$)/ || $7 ~ /(^|,)0(,|$)/ || $8 ~ /8388608/ { b++ }
			END { print n + 0, b + 0 }' "$TMP/$name.pcap.tsv")
		if [[ $got != "${want_frames:-${got% *}} ${want_bad:-0}" ]]; then
			echo "    $name: tshark frames/errors $got, expected ${want_frames:-?} ${want_bad:-0}"
			bad=$((bad + 1))
		fi
	done
	log_test "pcapgen: tshark agrees with every capture" $((bad != 0)) "$bad captures"
else
	log_test "pcapgen: tshark agrees with every capture" 4 "needs tshark"
fi

# Every frame of a scenario with an `encap` is, to tshark, the flow's TCP
# segment inside the tunnels: TCP between the two ports of its `flow` line.
if command -v tshark >/dev/null; then
	bad=0 n=0
	for scn in "${scenarios[@]}"; do
		name=$(basename -- "$scn" .scn)
		grep -qE '^[[:space:]]*encap[[:space:]]|encap=' "$scn" || continue
		[[ -f $TMP/$name.pcap ]] || continue
		n=$((n + 1))
		read -r pa pb < <(sed -n 's/^flow [^ ]*:\([0-9]*\) [^ ]*:\([0-9]*\).*/\1 \2/p' "$scn" | head -n 1)
		want=$(expects "$scn" | sed -n 's/^tcp_packets=//p')
		got=$(awk -F'\t' -v a="$pa" -v b="$pb" '($4 == a && $5 == b) || ($4 == b && $5 == a) { n++ }
			END { print n + 0 }' "$TMP/$name.pcap.tsv")
		if [[ $got != "$want" ]]; then
			echo "    $name: tshark sees $got TCP frames between ports $pa and $pb, expected $want"
			bad=$((bad + 1))
		fi
	done
	log_test "pcapgen: tshark decodes every tunnel frame to the flow's TCP" $((bad != 0)) \
		"$n scenarios, $bad wrong"
fi

# The flow key's VLAN stack and VNI, as analyze -s lists them, against the
# stacks tshark reads in the frames (802.1ad IDs outer, 802.1Q inner).
if command -v tshark >/dev/null; then
	bad=0
	for name in vlan_key vni_key; do
		[[ -f $TMP/$name.pcap ]] || continue
		want=$(tshark -r "$TMP/$name.pcap" -T fields -E separator=';' -e ieee8021ad.id \
			-e vlan.id -e vxlan.vni 2>/dev/null |
			awk -F';' '{ v = $1; if ($2 != "") v = v (v != "" ? "," : "") $2
				gsub(",", ".", v); print "vlan=" v " vni=" $3 }' | sort -u | tr '\n' ' ')
		got=$("$BIN" -j -s analyze -r "$TMP/$name.pcap" 2>/dev/null |
			jq -r '.flows_list[] | "vlan=\((.vlan // []) | map(tostring) | join(".")) vni=\(.vni // "")"' |
			sort | tr '\n' ' ')
		if [[ $got != "$want" ]]; then
			echo "    $name: flows $got, tshark's frames $want"
			bad=$((bad + 1))
		fi
	done
	log_test "analyze -s: each flow's VLAN stack and VNI as tshark reads the frames" $((bad != 0))
fi

# The same captures through the sanitized build: the malformed, truncated
# and wrapped ones are what a decoder or a sequence comparison gets wrong.
if [[ -x $DS_ASAN_BIN ]] && "$DS_ASAN_BIN" analyze --help >/dev/null 2>&1; then
	bad=0
	for pcap in "$TMP"/*.pcap; do
		if ! "$DS_ASAN_BIN" -j analyze -r "$pcap" >/dev/null 2>"$TMP/asan.err" ||
			grep -qE 'Sanitizer|runtime error' "$TMP/asan.err"; then
			echo "    $(basename -- "$pcap"):"
			sed 's/^/    /' "$TMP/asan.err"
			bad=$((bad + 1))
		fi
	done
	log_test "analyze under ASan/UBSan: every scenario capture" $((bad != 0)) "$bad captures"
else
	log_test "analyze under ASan/UBSan" 4 "no sanitized build with analyze (make asan)"
fi

# A file that is no capture at all: one line on stderr, exit 1; with -j the
# error is also a JSON document on stdout.
printf 'this is not a capture\n' >"$TMP/text.pcap"
"$BIN" analyze -r "$TMP/text.pcap" >"$TMP/out" 2>"$TMP/err"
rc=$?
((rc == 1)) && [[ -s $TMP/err && $(wc -l <"$TMP/err") -eq 1 ]]
log_test "analyze text file: exit 1, one line on stderr (rc=$rc: $(head -n 1 "$TMP/err"))" $?
"$BIN" -j analyze -r "$TMP/text.pcap" >"$TMP/out" 2>/dev/null
rc=$?
((rc == 1)) && jq -e '.error | type == "string"' "$TMP/out" >/dev/null 2>&1
log_test "analyze -j text file: exit 1, {\"error\": ...} on stdout" $?

# A capture cut 10 bytes before its end (inside the last record's data):
# the 16 whole records are analyzed, exit 0, a warning on stderr.
if gen "$DS_ROOT/tests/pcap/fast_retransmit.scn" "$TMP/cut.pcap" 2>"$TMP/err"; then
	truncate -s -10 "$TMP/cut.pcap"
	"$BIN" -j analyze -r "$TMP/cut.pcap" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	got=$(jq -r '.packets' "$TMP/out" 2>/dev/null)
	((rc == 0)) && [[ $got == 16 && -s $TMP/err ]]
	log_test "analyze capture cut mid-record: exit 0, 16 packets, a warning (rc=$rc packets=$got)" $?
else
	log_test "analyze capture cut mid-record" 1 "$(head -n 1 "$TMP/err")"
fi

tests_exit
