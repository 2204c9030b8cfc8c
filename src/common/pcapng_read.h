/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pcapng reader for what libpcap 1.10 refuses: interfaces with different
 * link types or snapshot lengths, several sections, either byte order.
 * Parsing only: the caller owns the bytes (a mapped file, or a buffer it
 * fills from a pipe) and hands them over one block at a time; nothing here
 * reads, seeks or allocates beyond the interface table.
 */
#ifndef DS_PCAPNG_READ_H
#define DS_PCAPNG_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCAPNG_BT_SHB		0x0a0d0d0aU
/* Larger blocks are refused: no real capture has one, and a fuzzed length must not make a pipe reader buffer gigabytes. */
#define PCAPNG_RD_MAX_BLOCK	(16U << 20)
/* Interfaces per file, all sections together (each costs a table entry). */
#define PCAPNG_RD_MAX_IFS	65536U

struct pcapng_if {
	uint32_t section;	/* 0 for the file's first Section Header Block */
	uint32_t local_id;	/* its id inside the section, as packets name it */
	uint16_t linktype;	/* LINKTYPE_* as the file carries it */
	uint32_t snaplen;	/* 0: no limit */
	uint8_t tsresol;	/* if_tsresol as written (default 6: microseconds) */
	uint64_t units;		/* timestamp units per second, from if_tsresol */
	int64_t tsoffset_s;	/* if_tsoffset: seconds added to every timestamp */
	bool has_ifdrop;	/* an ISB gave isb_ifdrop */
	uint64_t ifdrop;	/* the last such count */
};

struct pcapng_pkt {
	uint64_t ts_ns;		/* ns since the epoch; SPB (no stamp): the previous packet's */
	const uint8_t *data;	/* inside the caller's buffer */
	uint32_t caplen;	/* bytes at @data: never beyond the block nor the snaplen */
	uint32_t wirelen;	/* the packet's original length, as written */
	uint32_t ifid;		/* index into pcapng_rd.ifs: numbered across sections */
};

struct pcapng_rd {
	uint64_t offset;	/* bytes of the stream consumed so far */
	bool in_section;	/* a Section Header Block was read */
	bool swap;		/* this section's byte order is not the host's */
	bool mixed_order;	/* sections with both byte orders were seen */
	bool first_swap;	/* the first section's byte order */
	uint32_t nsections;
	uint32_t sec_first;	/* this section's first interface in @ifs */
	uint64_t last_ts_ns;	/* for SPBs */
	struct pcapng_if *ifs;	/* every interface of the file, in order */
	uint32_t nifs, cap;
	char err[160];		/* why the last call failed, one line */
};

enum pcapng_rd_status {
	PCAPNG_RD_BLOCK = 0,	/* a block with nothing to deliver (SHB, ISB, unknown ...) */
	PCAPNG_RD_PACKET = 1,	/* @pkt filled */
	PCAPNG_RD_IF = 2,	/* a new interface: ifs[nifs - 1] */
};

void pcapng_rd_init(struct pcapng_rd *r);
void pcapng_rd_free(struct pcapng_rd *r);

/**
 * pcapng_rd_next() - parse the block that starts at @buf.
 * @r: the reader; @buf, @len: the bytes at stream offset @r->offset
 * @used: set to the block's length when it was consumed; with -EAGAIN, the
 *	  bytes the block needs (at least @len + 1)
 * @pkt: filled for PCAPNG_RD_PACKET; @pkt->data points into @buf
 *
 * Never reads outside @buf[0..len). A caplen beyond the block is an error;
 * one beyond the interface's snaplen is cut to it, as libpcap does.
 *
 * Return: a pcapng_rd_status, -EAGAIN when @buf does not hold the whole
 * block yet, -EINVAL for a broken file or -ENOMEM, with a one-line reason
 * in @r->err naming the offset ("block at offset 64: length 13 is not a
 * multiple of 4").
 */
int pcapng_rd_next(struct pcapng_rd *r, const uint8_t *buf, size_t len, size_t *used,
		   struct pcapng_pkt *pkt);

/**
 * pcapng_rd_end() - the stream ended with @left bytes not consumed.
 * Return: 0 when @left is 0, else -EINVAL with "truncated block at offset N
 * (...)" in @r->err.
 */
int pcapng_rd_end(struct pcapng_rd *r, const uint8_t *buf, size_t left);

#endif
