#!/bin/bash
# pcapng files libpcap 1.10 refuses (interfaces of several link types and
# snaplens, several sections, both byte orders, if_tsresol/if_tsoffset,
# SPB and PB), read by dropscope's own reader and judged against what the
# generator wrote and what tshark reads: every tests/pcap/pcapng*.scn is
# built by .output/tools/pcapgen -n, then per file
#  - tshark's packets (records with an interface: custom blocks are not)
#    and TCP frames are the scenario's `packets=` and `tcp_packets=`; each
#    frame's seq is the scenario's seq=, its time the scenario's within the
#    interface's resolution (frames of SPBs have none);
#  - capsrc (.output/tools/capdump) delivers each frame with tshark's time,
#    caplen and length, through the reader the rules name;
#  - `dropscope -j analyze -r` (file, standard input, a FIFO) reports tshark's
#    packets, tcp_packets and the duration between its first and last stamp.
# Then on the three-link-type file: a filter per link type, a filter that
# cannot compile for one interface, the pcapng copy (-w), a truncated end.
# timeout: 180
source "$(dirname "$0")/../lib.sh"
require_cmd jq
require_cmd tshark

BIN=${DS_BIN:-$DS_ROOT/dropscope}
GEN=$DS_ROOT/.output/tools/pcapgen
DUMP=$DS_ROOT/.output/tools/capdump
if [[ ! -x $GEN || ! -x $DUMP ]]; then
	log_test "pcapng_multi" 4 "pcapgen/capdump not built (make tools)"
	exit 4
fi
tmpdir_create TMP

expect_of() {	# SCN KEY: the scenario's expected value of KEY
	sed -n 's/^#[[:space:]]*expect:[[:space:]]*//p' "$1" | tr -s ' \t' '\n' |
		sed -n "s/^$2=//p"
}

# tshark's records that belong to an interface: time (empty for SPB), caplen, len, seq.
tshark_frames() {
	tshark -r "$1" -T fields -E separator='|' -e frame.interface_id -e frame.time_epoch \
		-e frame.cap_len -e frame.len -e tcp.seq_raw 2>/dev/null |
		awk -F'|' '$1 != "" { print ($2 == "" ? "-" : $2), $3, $4, ($5 == "" ? "-" : $5) }'
}

# The scenario's packet lines, in order: SECONDS SEQ (hex lines: SECONDS -).
scenario_frames() {
	sed 's/#.*//' "$1" | awk '$1 == "t" { seq = "-"
			for (i = 4; i <= NF; i++) if ($i ~ /^seq=/) seq = substr($i, 5)
			print $2, seq }
		$1 == "hex" { print $2, "-" }'
}

# ns_diff A B: |A - B| in ns for two SECONDS.FRACTION stamps.
ns_of() { local s=${1%.*} f=${1#*.}; f=${f}000000000; echo $((s * 1000000000 + 10#${f:0:9})); }

check_file() {
	local scn=$1 name f bad=0 want_pk want_tcp got_pk got_tcp reader want_reader
	local first last dur json

	name=$(basename -- "$scn" .scn)
	f=$TMP/$name.pcapng
	if ! "$GEN" -n -o "$f" "$scn" 2>"$TMP/err"; then
		log_test "pcapng $name: generated" 1 "$(head -n 1 "$TMP/err")"
		return
	fi
	want_pk=$(expect_of "$scn" packets) want_tcp=$(expect_of "$scn" tcp_packets)
	tshark_frames "$f" >"$TMP/$name.ts"
	got_pk=$(wc -l <"$TMP/$name.ts")
	got_tcp=$(awk '$4 != "-"' "$TMP/$name.ts" | wc -l)
	[[ $got_pk == "$want_pk" && $got_tcp == "$want_tcp" ]]
	log_test "pcapng $name: tshark reads $want_pk packets, $want_tcp TCP" $? \
		"tshark: $got_pk packets, $got_tcp TCP"

	# What the generator wrote, as tshark reads it: seq exact, time within 1 us.
	scenario_frames "$scn" >"$TMP/$name.want"
	paste -d ' ' "$TMP/$name.want" "$TMP/$name.ts" >"$TMP/$name.pair"
	while read -r wt wseq tt _ _ tseq; do
		if [[ $wseq != - && $wseq != "$tseq" ]]; then
			echo "    seq $wseq written, tshark $tseq"
			bad=$((bad + 1))
		fi
		[[ $tt == - ]] && continue
		d=$(($(ns_of "$wt") - $(ns_of "$tt")))
		if ((d > 1000 || d < -1000)); then
			echo "    time $wt written, tshark $tt"
			bad=$((bad + 1))
		fi
	done <"$TMP/$name.pair"
	((bad == 0))
	log_test "pcapng $name: tshark's seq and times are the scenario's" $? "$bad differ"

	# capsrc against tshark, frame by frame (an SPB's time is the previous packet's).
	"$DUMP" "$f" >"$TMP/$name.dump" 2>"$TMP/$name.dumperr"
	reader=$(sed -n 's/^reader //p' "$TMP/$name.dumperr")
	want_reader=libpcap
	grep -Eq '^[[:space:]]*(interface|section)[[:space:]]' "$scn" && want_reader=pcapng_read
	paste -d ' ' "$TMP/$name.dump" "$TMP/$name.ts" |
		awk '{ if ($6 == "-") $6 = $1 } $1 != $6 || $4 != $7 || $5 != $8 { n++; if (n < 4) print "    " $0 }
		     END { exit n > 0 }' && [[ $(wc -l <"$TMP/$name.dump") == "$got_pk" ]]
	log_test "pcapng $name: capsrc ($reader) delivers tshark's times and lengths" $? \
		"want reader $want_reader; $(grep -v '^reader' "$TMP/$name.dumperr" | head -n 1)"
	[[ $reader == "$want_reader" ]]
	log_test "pcapng $name: read by $want_reader" $? "got $reader"

	first=$(awk '$1 != "-" { print $1; exit }' "$TMP/$name.ts")
	last=$(awk '$1 != "-" { t = $1 } END { print t }' "$TMP/$name.ts")
	dur=$(awk -v d=$(($(ns_of "$last") - $(ns_of "$first"))) 'BEGIN { printf "%.6f", d / 1e9 }')
	for how in file stdin fifo; do
		json=$TMP/$name.$how.json
		case $how in
		file) "$BIN" -j analyze -r "$f" >"$json" 2>"$TMP/err" ;;
		stdin) "$BIN" -j analyze -r - <"$f" >"$json" 2>"$TMP/err" ;;
		fifo) "$BIN" -j analyze -r <(cat "$f") >"$json" 2>"$TMP/err" ;;
		esac
		got=$(jq -r '"\(.packets) \(.tcp_packets) \(.duration_s | tostring)"' "$json" 2>/dev/null)
		got_dur=$(awk -v d="${got##* }" 'BEGIN { printf "%.6f", d }')
		[[ ${got% *} == "$got_pk $got_tcp" && $got_dur == "$dur" && ! -s $TMP/err ]]
		log_test "pcapng $name: analyze ($how) = tshark: $got_pk packets, $got_tcp TCP, ${dur} s" $? \
			"analyze: $got; $(head -n 1 "$TMP/err")"
	done
}

shopt -s nullglob
scns=("$DS_ROOT"/tests/pcap/pcapng*.scn)
((${#scns[@]} >= 4)) || log_test "pcapng scenarios" 1 "only ${#scns[@]} tests/pcap/pcapng*.scn"
for scn in "${scns[@]}"; do
	check_file "$scn"
done

# pcap through a FIFO stays libpcap's, behind the four bytes read to tell.
if "$GEN" -o "$TMP/clean.pcap" "$DS_ROOT/tests/pcap/clean.scn" 2>"$TMP/err"; then
	got=$("$BIN" -j analyze -r <(cat "$TMP/clean.pcap") | jq -r '"\(.packets) \(.data_bytes)"')
	[[ $got == "$(expect_of "$DS_ROOT/tests/pcap/clean.scn" packets) $(expect_of "$DS_ROOT/tests/pcap/clean.scn" data_bytes)" ]]
	log_test "pcap through a FIFO: clean.scn's packets and bytes" $? "analyze: $got"
else
	log_test "pcap through a FIFO" 1 "$(head -n 1 "$TMP/err")"
fi

# Custom Blocks (here after every `on`) are skipped: tshark shows them as
# records without an interface, analyze does not count them.
S=$DS_ROOT/tests/pcap/pcapng_sections.scn
sed 's/^on .*/&\ncustom/' "$S" >"$TMP/custom.scn"
if "$GEN" -n -o "$TMP/custom.pcapng" "$TMP/custom.scn" 2>"$TMP/err"; then
	recs=$(tshark -r "$TMP/custom.pcapng" 2>/dev/null | wc -l)
	custom=$(grep -c '^custom' "$TMP/custom.scn")
	got=$("$BIN" -j analyze -r "$TMP/custom.pcapng" | jq -r '"\(.packets) \(.retrans_segs)"')
	[[ $recs == $(($(expect_of "$S" packets) + custom)) && $custom -ge 3 &&
		$got == "$(expect_of "$S" packets) $(expect_of "$S" retrans_segs)" ]]
	log_test "pcapng custom blocks: tshark $recs records, analyze counts $(expect_of "$S" packets) packets" $? \
		"analyze: $got, $custom custom blocks"
else
	log_test "pcapng custom blocks" 1 "$(head -n 1 "$TMP/err")"
fi

# Filters on the three-link-type file: one expression, compiled per link type.
F=$TMP/pcapng_mixed_links.pcapng
if [[ -f $F ]]; then
	for expr in "host 198.18.0.3" "host 198.18.0.5 and tcp[tcpflags] & tcp-syn != 0" "ip"; do
		want=$(tshark -r "$F" -Y "$(sed -e 's/host /ip.addr == /' \
			-e 's/tcp\[tcpflags\] & tcp-syn != 0/tcp.flags.syn == 1/' <<<"$expr")" \
			2>/dev/null | wc -l)
		set -f		# the words of the expression, unglobbed
		# shellcheck disable=SC2086
		got=$("$BIN" -j analyze -r "$F" $expr 2>"$TMP/err" | jq -r .packets)
		set +f
		[[ $got == "$want" && $want -gt 0 ]]
		log_test "pcapng filter '$expr': $want packets as tshark -Y" $? "analyze: $got $(head -n 1 "$TMP/err")"
	done

	# libpcap has no VLAN for Linux cooked v1: the first such interface is named.
	"$BIN" -j analyze -r "$F" vlan 5 >"$TMP/out" 2>"$TMP/err"
	rc=$?
	msg=$(jq -r .error "$TMP/out" 2>/dev/null)
	((rc == 1)) && [[ $(wc -l <"$TMP/err") == 1 && $msg == "bad filter 'vlan 5' for interface 1 (LINUX_SLL): "* ]]
	log_test "pcapng filter that cannot compile for one interface: exit 1, names it" $? \
		"rc $rc: $msg"

	# The copy of what passes: pcapng (pcap holds one link type), read back by tshark.
	"$BIN" -j analyze -r "$F" -w "$TMP/copy.out" not host 198.18.0.1 >/dev/null 2>"$TMP/err"
	rc=$?
	tshark_frames "$TMP/copy.out" | cut -d' ' -f1-3 >"$TMP/copy.got"
	grep -v -e '^-' "$TMP/pcapng_mixed_links.ts" | cut -d' ' -f1-3 | tail -n +18 >"$TMP/copy.want"
	((rc == 0)) && [[ $(head -c 4 "$TMP/copy.out" | od -An -tx1 | tr -d ' ') == 0a0d0d0a ]] &&
		cmp -s "$TMP/copy.want" "$TMP/copy.got" &&
		[[ $(tshark -r "$TMP/copy.out" -T fields -e frame.protocols 2>/dev/null | cut -d: -f1 | uniq | tr '\n' ' ') == "sll raw " ]]
	log_test "pcapng -w: the 26 frames that pass, as pcapng, with their link types and stamps" $? \
		"rc $rc $(head -n 1 "$TMP/err"); $(wc -l <"$TMP/copy.got") frames"

	# Cut inside the last block: what came before is analysed, one warning.
	cp "$F" "$TMP/cut.pcapng"
	truncate -s -10 "$TMP/cut.pcapng"
	"$BIN" -j analyze -r "$TMP/cut.pcapng" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	got=$(jq -r .packets "$TMP/out" 2>/dev/null)
	((rc == 0)) && [[ $got == 42 ]] && grep -q "cannot read .*cut.pcapng: truncated block at offset [0-9]*: its length is [0-9]*, the file ends after [0-9]*" "$TMP/err"
	log_test "pcapng cut in its last block: 42 packets, 'truncated block' warning" $? \
		"rc $rc packets $got: $(head -n 1 "$TMP/err")"

	if command -v tcpdump >/dev/null; then
		tcpdump -r "$F" -nn >/dev/null 2>"$TMP/tcpdump.err"
		log_info "libpcap (tcpdump) on it: $(grep -v '^reading' "$TMP/tcpdump.err" | head -n 1)"
	fi
fi
tests_exit
