// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a drops ring record (struct drop_event) through
 * drop_event_decode(). The first byte picks skb->protocol, the next two
 * give caplen (any value: the decoder must clip it), the next two net_len,
 * the rest are the header bytes. The bytes of data[] beyond caplen are
 * poisoned, so ASan reports any read of what the BPF side did not copy.
 */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "dropevent.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t protocols[] = { 0x0800, 0x86dd, 0, 0x0806 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drop_event *e;
	struct drop_pkt p;
	size_t n, cap;

	if (size < 5)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return 0;
	e->type = EVT_DROP;
	e->key.protocol = protocols[data[0] % 4];
	e->caplen = (uint16_t)(data[1] << 8 | data[2]);
	e->net_len = (uint32_t)(data[3] << 8 | data[4]);
	e->len = e->net_len;
	n = size - 5 < DROP_HDR_LEN ? size - 5 : DROP_HDR_LEN;
	memcpy(e->data, data + 5, n);
	cap = e->caplen < DROP_HDR_LEN ? e->caplen : DROP_HDR_LEN;
	ASAN_POISON_MEMORY_REGION(e->data + cap, DROP_HDR_LEN - cap);
	if (drop_event_decode(e, sizeof(*e), &p))
		abort();
	if ((p.kind == DPKT_TCP || p.kind == DPKT_UDP) &&
	    ((p.flow.family != 2 && p.flow.family != 10) || p.flow.netns != e->key.netns))
		abort();
	ASAN_UNPOISON_MEMORY_REGION(e->data + cap, DROP_HDR_LEN - cap);
	free(e);
	return 0;
}
