// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: one captured frame through pkt_decode(). The first byte
 * picks the link type, the rest is the frame, captured whole; its own first
 * byte also stretches the wire length, as a snaplen cut would. libFuzzer's
 * buffer is exactly the frame, so ASan sees any read past caplen. Tunnels
 * (see the corpus: one seed per kind) come out with a bounded VLAN stack,
 * 12-bit IDs, a 24-bit VNI and only known tunnel bits.
 */
#include <stdint.h>
#include <stdlib.h>

#include <pcap/dlt.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Every link type pkt_decode() knows, by the first byte: the first eleven
 * as the corpus was made; from 0xf0 on, PPP in HDLC framing, Cisco HDLC,
 * PPP with a direction byte, and one it does not know (802.11).
 */
static const int linktypes[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, 12, 14, 101,
	DLT_IPV4, DLT_IPV6, DLT_NULL, 108, DLT_PPP,
};
static const int linktypes_hi[] = { 50, 104, 204, 105 };

#define TS_CANARY 0x0123456789abcdefULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t nlt = sizeof(linktypes) / sizeof(linktypes[0]);
	struct tcp_seg seg;
	uint32_t caplen, wirelen;
	int lt;

	if (size < 1)
		return 0;
	lt = data[0] >= 0xf0 ? linktypes_hi[(data[0] - 0xf0) % 4] : linktypes[data[0] % nlt];
	caplen = size - 1;
	wirelen = caplen + (caplen ? data[1] % 64 : 0);
	seg.ts_ns = TS_CANARY;
	seg.ifid = (uint32_t)TS_CANARY;
	if (pkt_decode(lt, data + 1, caplen, wirelen, &seg) != PKT_TCP)
		return 0;
	if (seg.nsack > PKT_MAX_SACK || (seg.family != 4 && seg.family != 6) ||
	    seg.payload_len > wirelen || seg.ts_ns != TS_CANARY ||
	    seg.ifid != (uint32_t)TS_CANARY || seg.nvlan > PKT_MAX_VLAN ||
	    seg.tunnels >> PKT_TUN_N || (seg.has_vni && seg.vni >> 24))
		abort();
	for (int i = 0; i < seg.nvlan; i++)
		if (seg.vlan[i] > 4095)
			abort();
	return 0;
}
