# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/diagnose_lib.sh - the ground truth a `dropscope diagnose` verdict is
# checked against, from captures the test takes itself, read by tshark (not
# by dropscope's parser).  Source it after tests/lib.sh:
#
#	truth_start CNS CIF SNS SIF [NFLOG_NS GROUP]   # before the workload
#	...diagnose runs...
#	truth_stop SERVER_IP CTL_PORT THRESHOLD_MS     # sets TRUTH_JSON
#
# Two captures frame the drop points: C on the client's side of them (what
# the client sent, what reached it), S on the server's side.  A packet from
# the client seen in C but not in S was dropped between them, and one from
# the server seen in S but not in C; packets are matched by addresses, ports,
# IP ID, sequence number, length and flags.  A drop after S (an nft rule at
# the server's input, which AF_PACKET sees before netfilter) comes from an
# NFLOG capture of the rule's `log group`: each packet in it was dropped.
#
# Each dropped packet is classed as its sender sent it (C for the client's,
# S for the server's), as the issue's reconciliation table does: request /
# response (data, the first copy of its sequence number), retransmission
# (data again), ack, dsack (an ACK whose first SACK block lies below its ACK
# number or inside its second block, RFC 2883), fin, syn, other (no TCP, the
# rr control connection to CTL_PORT, RSTs).
#
# The tails come from C: on each rr data connection the k-th distinct
# request sequence number pairs with the k-th distinct response one (one
# transaction in flight per connection); latency is the response's first
# arrival in C minus the request's first copy.  A tail >= THRESHOLD_MS is
# request_dropped when its request's first copy was dropped (and
# request_redropped when a second copy was too), else response_dropped when
# the response's first copy was, else no_drop.
#
# TRUTH_JSON:
#   {"cs_gap": CLASSES, "sc_gap": CLASSES, "nflog": CLASSES,
#    "tails": {"count", "request_dropped", "request_redropped",
#              "response_dropped", "no_drop"},
#    "packets": {"c", "s", "nflog"}, "capture_loss": "C S N stats"}
#   CLASSES: {"total", "request", "response", "retransmission", "ack",
#             "dsack", "fin", "syn", "other"}

[[ -n ${DS_DIAGNOSE_LIB_LOADED:-} ]] && return 0
DS_DIAGNOSE_LIB_LOADED=1

TRUTH_JSON="" TRUTH_DIR=""
TRUTH__C="" TRUTH__S="" TRUTH__N=""

# require_truth_tools: SKIP the file unless tshark, tcpdump and jq are there.
require_truth_tools() {
	require_cmd tshark tcpdump jq
}

# truth_start CNS CIF SNS SIF [NFLOG_NS GROUP]: start the captures (C, S, and NFLOG GROUP in NFLOG_NS).
truth_start() {
	local cns=$1 cif=$2 sns=$3 sif=$4 nns=${5:-} group=${6:-}

	tmpdir_create TRUTH_DIR || return 1
	TRUTH__N=""
	# "ip": a filter, so filtered_captures can tell when the capture has begun.
	cap_start "$cns" "$cif" "$TRUTH_DIR/c.pcap" 32768 TRUTH__C ip &&
		cap_start "$sns" "$sif" "$TRUTH_DIR/s.pcap" 32768 TRUTH__S ip || return 1
	if [[ -n $nns ]]; then
		CAP_SNAPLEN=65535 cap_start "$nns" "nflog:$group" "$TRUTH_DIR/n.pcap" 8192 TRUTH__N || return 1
	fi
	busywait 5000 filtered_captures "$cns" "$cif" 1 && busywait 5000 filtered_captures "$sns" "$sif" 1
}

# truth__fields PCAP: one tab-separated line per packet, as tshark decodes it.
truth__fields() {
	[[ -s $1 ]] || return 0
	tshark -n -r "$1" -o tcp.relative_sequence_numbers:FALSE \
		-o tcp.analyze_sequence_numbers:FALSE -T fields -E separator=/t \
		-E occurrence=a -E aggregator=, -e frame.time_epoch -e ip.src -e ip.dst -e ip.id -e ip.proto \
		-e tcp.srcport -e tcp.dstport -e tcp.seq -e tcp.ack -e tcp.len \
		-e tcp.flags.syn -e tcp.flags.fin -e tcp.flags.reset \
		-e tcp.options.sack_le -e tcp.options.sack_re 2>/dev/null
}

# truth_stop SERVER_IP CTL_PORT THRESHOLD_MS: stop the captures and compute TRUTH_JSON.
truth_stop() {
	local srv=$1 ctl=$2 thr=$3 c s n="0 0 0" f rc=0

	if [[ -n $TRUTH__N ]]; then
		cap_stop "$TRUTH__C" "$TRUTH_DIR/c.pcap" c "$TRUTH__S" "$TRUTH_DIR/s.pcap" s \
			"$TRUTH__N" "$TRUTH_DIR/n.pcap" n || rc=1
	else
		cap_stop "$TRUTH__C" "$TRUTH_DIR/c.pcap" c "$TRUTH__S" "$TRUTH_DIR/s.pcap" s || rc=1
	fi
	for f in c s n; do
		truth__fields "$TRUTH_DIR/$f.pcap" >"$TRUTH_DIR/$f.txt"
	done
	TRUTH_JSON=$(awk -F'\t' -v srv="$srv" -v ctl="$ctl" -v thr="$thr" -v loss="C $c S $s N $n" \
		-f "$DS_ROOT/tests/diagnose_truth.awk" \
		"$TRUTH_DIR/n.txt" "$TRUTH_DIR/s.txt" "$TRUTH_DIR/c.txt") || return 1
	((rc == 0)) || echo "truth_stop: a capture lost packets ($c / $s / $n): the truth is incomplete" >&2
	return "$rc"
}

# truth_get JQ: a number from TRUTH_JSON.
truth_get() {
	jq -rc "$1" <<<"$TRUTH_JSON"
}
