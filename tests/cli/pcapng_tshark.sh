#!/bin/bash
# The pcapng writer (src/common/pcapng.c) read back by Wireshark's own reader
# (tshark, capinfos) and by libpcap's (tcpdump): a file built by
# .output/tools/pcapngw from a spec with known packets, whose comments,
# interface names and descriptions, lengths, addresses and nanosecond
# stamps must come back exactly.
# timeout: 120
source "$(dirname "$0")/../lib.sh"
require_cmd tshark

GEN=$DS_ROOT/.output/tools/pcapngw
if [[ ! -x $GEN ]]; then
	log_test "pcapng_tshark" 4 "pcapngw not built (make tools)"
	exit 4
fi
tmpdir_create TMP

IP4=450000280001000040060000c6120001c6120002		# 198.18.0.1 > 198.18.0.2, TCP, 40 bytes
IP6=60000000001406402001000200000000000000000000000120010002000000000000000000000002
TCP=3039005000000001000000005002ffff00000000		# 12345 > 80, SYN
ETH=0200000000020200000000010800			# then IPv4

# Two RAW interfaces, the second after a packet of the first; an odd
# caplen (padding); comments with markup and UTF-8, with a tab, none;
# an Ethernet interface added last (Wireshark reads mixed link types).
# The comment "tab<TAB>in it" holds a real tab, which tshark prints as \t.
cat >"$TMP/spec" <<EOF
if 101 262144 srv0 netns srv, nft input
pkt 0 1700000000123456789 40 $IP4$TCP dropped at nft (srv): NETFILTER_DROP
if 101 262144 mvt0
pkt 1 1700000000200000001 1500 $IP4${TCP:0:26} ≥200 ms <&> "q"
pkt 0 1700000001000000000 60 $IP6$TCP
pkt 1 4294967296 60 $IP6$TCP tab	in it
if 1 0 eth9 a third, Ethernet
pkt 2 1700000002000000005 54 $ETH$IP4$TCP eth
EOF
printf '%s\n' \
	$'dropped at nft (srv): NETFILTER_DROP|srv0|netns srv, nft input|1700000000.123456789|40|40|198.18.0.1|' \
	$'≥200 ms <&> "q"|mvt0||1700000000.200000001|33|1500|198.18.0.1|' \
	$'|srv0|netns srv, nft input|1700000001.000000000|60|60||2001:2::1' \
	$'tab\\tin it|mvt0||4.294967296|60|60||2001:2::1' \
	$'eth|eth9|a third, Ethernet|1700000002.000000005|54|54|198.18.0.1|' >"$TMP/want"

if ! "$GEN" "$TMP/a.pcapng" <"$TMP/spec" 2>"$TMP/gen.err"; then
	log_test "pcapngw writes the file" 1 "$(cat "$TMP/gen.err")"
	tests_exit
fi

tshark -r "$TMP/a.pcapng" -T fields -E separator='|' -e frame.comment \
	-e frame.interface_name -e frame.interface_description -e frame.time_epoch \
	-e frame.cap_len -e frame.len -e ip.src -e ipv6.src >"$TMP/got" 2>"$TMP/tshark.err"
rc=$?
# tshark warns when run as root; anything else on stderr is a complaint about the file
grep -v 'Running as user "root"' "$TMP/tshark.err" >"$TMP/complaints"
if ((rc == 0)) && [[ ! -s $TMP/complaints ]] && cmp -s "$TMP/want" "$TMP/got"; then
	log_test "tshark: comments, interfaces, ns times, lengths, addresses" 0
else
	diff "$TMP/want" "$TMP/got" | sed 's/^/  /'
	sed 's/^/  tshark: /' "$TMP/complaints"
	log_test "tshark: comments, interfaces, ns times, lengths, addresses" 1 "rc $rc"
fi

tshark -r "$TMP/a.pcapng" -T fields -e frame.protocols -e tcp.srcport >"$TMP/protos" 2>/dev/null
printf '%s\t12345\n' raw:ip:tcp raw:ip:tcp raw:ipv6:tcp raw:ipv6:tcp eth:ethertype:ip:tcp >"$TMP/protos.want"
cmp -s "$TMP/protos" "$TMP/protos.want"
log_test "tshark: RAW decodes as IP, Ethernet as Ethernet" $? \
	"$(tr '\t\n' ' ;' <"$TMP/protos")"

if command -v capinfos >/dev/null; then
	capinfos -M "$TMP/a.pcapng" >"$TMP/capinfos" 2>/dev/null
	ok=0
	for want in "File type: *pcapng" "Number of packets: *5" \
		"Capture application: *dropscope [0-9]" "Capture oper-sys: *$(uname -s) " \
		"Number of interfaces in file: *3" "Name = srv0" "Name = mvt0" "Name = eth9" \
		"Description = netns srv, nft input" "Encapsulation = Raw IP" \
		"Time precision = nanoseconds \(9\)"; do
		grep -Eq "$want" "$TMP/capinfos" || {
			echo "  capinfos: no '$want'"
			ok=1
		}
	done
	# every interface says nanoseconds
	(($(grep -c 'Time precision = nanoseconds' "$TMP/capinfos") == 3)) || ok=1
	log_test "capinfos: section header, 3 interfaces, nanoseconds" $ok
else
	log_test "capinfos: section header, 3 interfaces, nanoseconds" 4 "no capinfos"
fi

# libpcap: one RAW interface reads (two cannot: see pcapng.h).
if command -v tcpdump >/dev/null; then
	grep -v -e '^if 101 262144 mvt0' -e '^pkt [12] ' -e '^if 1 ' "$TMP/spec" >"$TMP/one.spec"
	"$GEN" "$TMP/one.pcapng" <"$TMP/one.spec" &&
		tcpdump -r "$TMP/one.pcapng" --time-stamp-precision=nano -tt -nn \
			>"$TMP/tcpdump" 2>"$TMP/tcpdump.err"
	rc=$?
	printf '%s\n' "1700000000.123456789 IP 198.18.0.1.12345 > 198.18.0.2.80: Flags [S]," \
		"1700000001.000000000 IP6 2001:2::1.12345 > 2001:2::2.80: Flags [S]," >"$TMP/tcpdump.want"
	cut -d, -f1 "$TMP/tcpdump" | sed 's/$/,/' >"$TMP/tcpdump.got"
	((rc == 0)) && cmp -s "$TMP/tcpdump.want" "$TMP/tcpdump.got"
	log_test "tcpdump (libpcap) reads one RAW interface, ns stamps" $? \
		"$(head -c 300 "$TMP/tcpdump" "$TMP/tcpdump.err")"
	tcpdump -r "$TMP/a.pcapng" -nn >/dev/null 2>"$TMP/tcpdump2.err" ||
		log_info "tcpdump on three interfaces, as expected: $(grep -v '^reading' "$TMP/tcpdump2.err")"
else
	log_test "tcpdump (libpcap) reads one RAW interface, ns stamps" 4 "no tcpdump"
fi

"$GEN" "$TMP/bad.pcapng" <<<"pkt 0 1 1 00" 2>"$TMP/bad.err"
rc=$?
[[ $rc == 2 ]] && grep -q "line 1: Invalid argument" "$TMP/bad.err"
log_test "pcapngw: a packet on no interface is refused (exit 2)" $? "rc $rc $(cat "$TMP/bad.err")"

tests_exit
