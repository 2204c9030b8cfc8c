// SPDX-License-Identifier: GPL-2.0
/*
 * lab/wanemu's frame parser: the DSCP it reads (past VLAN tags) and its
 * bleach. Invariants: a DSCP is -1 or 0..63; bleaching a frame with an IP
 * header gives it the new DSCP, keeps ECN and every other byte but the
 * checksum, and an IPv4 header whose checksum was right stays right; a
 * frame without one is not touched. The first input byte is the new DSCP.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lab/wanemu/wan_core.h"

/* Where the IPv4 header is, as the parser finds it (up to two tags). */
static size_t ip_at(const uint8_t *f, size_t len)
{
	size_t o = 12;

	for (int t = 0; t < 2 && o + 2 <= len && ((f[o] == 0x81 && f[o + 1] == 0x00) ||
						  (f[o] == 0x88 && f[o + 1] == 0xa8)); t++)
		o += 4;
	return o + 2;
}

static int csum_ok(const uint8_t *h, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)h[i] << 8 | h[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *f, *g;
	size_t len, o, ihl;
	int d, v, was_ok = 0;

	if (size < 1)
		return 0;
	v = data[0] & 63;
	len = size - 1;
	f = malloc(len ? len : 1);
	g = malloc(len ? len : 1);
	if (!f || !g)
		abort();
	memcpy(f, data + 1, len);
	memcpy(g, f, len);
	d = wan_frame_dscp(f, len);
	if (d < -1 || d > 63)
		abort();
	o = ip_at(f, len);
	ihl = d >= 0 && f[o] >> 4 == 4 ? (f[o] & 15) * 4u : 0;
	if (ihl >= 20 && o + ihl <= len)
		was_ok = csum_ok(f + o, ihl);
	wan_frame_bleach(g, len, v);
	if (d < 0) {
		if (memcmp(f, g, len))
			abort();
	} else {
		if (wan_frame_dscp(g, len) != v)
			abort();
		for (size_t i = 0; i < len; i++) {
			int tos = i == o || i == o + 1, ck = f[o] >> 4 == 4 && (i == o + 10 || i == o + 11);

			if (!tos && !ck && f[i] != g[i])
				abort();
		}
		/* ECN: the IPv4 TOS byte's, or the traffic class's, two low bits. */
		if (f[o] >> 4 == 4 ? (f[o + 1] & 3) != (g[o + 1] & 3) : (f[o + 1] & 0x30) != (g[o + 1] & 0x30))
			abort();
		if (was_ok && !csum_ok(g + o, ihl))
			abort();
	}
	free(f);
	free(g);
	return 0;
}
