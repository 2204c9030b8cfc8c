/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the rr client does with one completed transaction, free of I/O so
 * that it is unit-tested with synthetic transactions: its latency into the
 * stream's histogram and tail counts, and a slow event (cfg->on_slow) when
 * it took cfg->slow_ns or more, with the TCP sequence numbers of its first
 * request and response bytes.
 */
#ifndef DS_RR_RECORD_H
#define DS_RR_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"
#include "rr.h"

/* Per stream: what turns a transaction's byte offsets into sequence numbers. */
struct rr_track {
	uint32_t stream;
	struct flow_id flow;		/* client side: local > server */
	bool seq_valid;			/* the bases below were read */
	uint32_t snd_base, rcv_base;	/* snd_nxt and rcv_nxt before the first byte */
	uint64_t sent, rcvd;		/* payload of the transactions before */
};

/* Sequence number of the byte @off bytes after @base: TCP's modulo 2^32. */
static inline uint32_t rr_seq_at(uint32_t base, uint64_t off)
{
	return base + (uint32_t)off;
}

/**
 * rr_record() - account one completed transaction of @t's stream.
 * @t0, @t1: when its request started and its response completed (ns)
 * @req_len, @resp_len: its payload in bytes, which advance @t's offsets
 *
 * Return: true when it was handed to @cfg->on_slow.
 */
bool rr_record(const struct rr_config *cfg, struct rr_track *t, struct rr_stream_result *r,
	       uint64_t t0, uint64_t t1, uint32_t req_len, uint32_t resp_len);

#endif
