// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input as a pcapng stream through pcapng_read.c,
 * twice: whole (an exact-size copy), then in pieces of a size the input's
 * last byte picks, or of what a block says it needs (as capsrc_ng.c
 * buffers a file or pipe). Both reads must agree; every packet must lie
 * inside its buffer, within its interface's snaplen, on a declared
 * interface. The reader alone: fuzz_capfile takes packets on through
 * capsrc and the analyzer, at a third of the speed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	int rc;			/* last status: 0 at a clean end */
	uint64_t npkts, sum;	/* a digest of what was delivered */
};

static void check_pkt(const struct pcapng_rd *r, const struct pcapng_pkt *p, const uint8_t *buf,
		      size_t len, struct run *o)
{
	const struct pcapng_if *i;

	if (p->ifid >= r->nifs || p->data < buf || p->caplen > len ||
	    (size_t)(p->data - buf) > len - p->caplen)
		abort();
	i = &r->ifs[p->ifid];
	if (i->snaplen && p->caplen > i->snaplen)
		abort();
	o->npkts++;
	/* every delivered byte read: ASan sees data that is not inside the input */
	for (uint32_t k = 0; k < p->caplen; k++)
		o->sum += p->data[k];
	o->sum = o->sum * 31 + p->ts_ns + p->caplen + p->wirelen + p->ifid + i->linktype;
}

static void read_whole(const uint8_t *buf, size_t len, struct run *o)
{
	struct pcapng_rd r;
	struct pcapng_pkt p;
	size_t off = 0, used;

	pcapng_rd_init(&r);
	while ((o->rc = pcapng_rd_next(&r, buf + off, len - off, &used, &p)) >= 0) {
		if (used > len - off)
			abort();
		if (o->rc == PCAPNG_RD_PACKET)
			check_pkt(&r, &p, buf + off, len - off, o);
		off += used;
	}
	if (o->rc == -EAGAIN)
		o->rc = pcapng_rd_end(&r, buf + off, len - off);
	pcapng_rd_free(&r);
}

/* The same stream arriving @chunk bytes at a time into a buffer that grows. */
static void read_chunked(const uint8_t *in, size_t len, size_t chunk, struct run *o)
{
	struct pcapng_rd r;
	struct pcapng_pkt p;
	size_t have = 0, start = 0, used;
	uint8_t *buf = malloc(1);	/* never NULL: no arithmetic on a null pointer */

	if (!buf)
		abort();
	pcapng_rd_init(&r);
	for (;;) {
		o->rc = pcapng_rd_next(&r, buf + start, have - start, &used, &p);
		if (o->rc >= 0) {
			if (o->rc == PCAPNG_RD_PACKET)
				check_pkt(&r, &p, buf + start, have - start, o);
			start += used;
			continue;
		}
		if (o->rc != -EAGAIN)
			break;
		if (have == len) {
			o->rc = pcapng_rd_end(&r, buf + start, have - start);
			break;
		}
		/*
		 * At least @chunk more, at least what the block said it needs;
		 * a fresh exact-size buffer each time: ASan sees any read past it.
		 */
		{
			size_t n = have + chunk > start + used ? have + chunk : start + used;

			n = n < len ? n : len;
			uint8_t *nb = malloc(n - start);

			if (!nb)
				abort();
			memcpy(nb, in + start, n - start);
			free(buf);
			buf = nb;
			have = n - start;
			len -= start;
			in += start;
			start = 0;
		}
	}
	free(buf);
	pcapng_rd_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole = { 0 }, pieces = { 0 };
	uint8_t *copy;

	if (!size)
		return 0;
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	read_whole(copy, size, &whole);
	free(copy);
	read_chunked(data, size, 1 + data[size - 1] % 97, &pieces);
	/* Where the bytes end does not change what they say. */
	if (whole.npkts != pieces.npkts || whole.sum != pieces.sum ||
	    (whole.rc < 0) != (pieces.rc < 0))
		abort();
	return 0;
}
