// SPDX-License-Identifier: GPL-2.0
#include "clock.h"
#include "rr_record.h"

const uint64_t rr_tail_ns[RR_NTAILS] = {
	200 * NSEC_PER_MSEC, 400 * NSEC_PER_MSEC, 800 * NSEC_PER_MSEC,
};

static void hand_out(const struct rr_config *cfg, const struct rr_track *t, uint64_t t0,
		     uint64_t t1, uint32_t req_len, uint32_t resp_len)
{
	struct rr_slow ev = {
		.stream = t->stream,
		.flow = &t->flow,
		.start_ns = t0,
		.end_ns = t1,
		.seq_valid = t->seq_valid,
		.req_len = req_len,
		.resp_len = resp_len,
	};

	if (t->seq_valid) {
		ev.req_seq = rr_seq_at(t->snd_base, t->sent);
		ev.resp_seq = rr_seq_at(t->rcv_base, t->rcvd);
	}
	cfg->on_slow(cfg->slow_ctx, &ev);
}

bool rr_record(const struct rr_config *cfg, struct rr_track *t, struct rr_stream_result *r,
	       uint64_t t0, uint64_t t1, uint32_t req_len, uint32_t resp_len)
{
	uint64_t lat = t1 - t0;
	bool slow = cfg->on_slow && lat >= cfg->slow_ns;

	hist_record(&r->hist, lat);
	r->transactions++;
	for (int i = 0; i < RR_NTAILS && lat >= rr_tail_ns[i]; i++)
		r->tail[i]++;
	if (slow)
		hand_out(cfg, t, t0, t1, req_len, resp_len);
	/* Every transaction moves the offsets, slow or not. */
	t->sent += req_len;
	t->rcvd += resp_len;
	return slow;
}
