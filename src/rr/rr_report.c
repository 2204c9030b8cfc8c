// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "hist_plot.h"
#include "human.h"
#include "rr_report.h"

static const struct hist_mark rto_marks[] = {
	{ 200 * NSEC_PER_MSEC, "RTO" },
	{ 400 * NSEC_PER_MSEC, "2xRTO" },
	{ 800 * NSEC_PER_MSEC, "3xRTO" },
};
#define NMARKS (sizeof(rto_marks) / sizeof(rto_marks[0]))

static const struct { const char *key; double pct; } pcts[] = {
	{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p999", 99.9 },
};

static void json_latency(struct json *j, const struct hist *h)
{
	json_obj_open(j, "latency_us");
	if (!h->count) {
		json_obj_close(j);
		return;
	}
	json_double(j, "min", h->min / 1e3, 3);
	json_double(j, "mean", hist_mean(h) / 1e3, 3);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		json_double(j, pcts[i].key, hist_percentile(h, pcts[i].pct) / 1e3, 3);
	json_double(j, "max", h->max / 1e3, 3);
	json_obj_close(j);
}

static void json_tails(struct json *j, const uint64_t *tail)
{
	json_u64(j, "tail_ge_200ms", tail[0]);
	json_u64(j, "tail_ge_400ms", tail[1]);
	json_u64(j, "tail_ge_800ms", tail[2]);
}

static void json_opt_i64(struct json *j, const char *key, bool valid, int64_t v)
{
	if (valid && v >= 0)
		json_i64(j, key, v);
	else
		json_null(j, key);
}

static void json_stream(struct json *j, uint32_t idx, const struct rr_stream_result *s)
{
	json_obj_open(j, NULL);
	json_u64(j, "stream", idx);
	json_u64(j, "sport", s->sport);
	json_u64(j, "transactions", s->transactions);
	json_latency(j, &s->hist);
	json_tails(j, s->tail);
	json_u64(j, "local_retrans", s->local.total_retrans);
	json_opt_i64(j, "local_rto", true, s->local.total_rto);
	json_opt_i64(j, "remote_retrans", s->remote_valid, (int64_t)s->remote_retrans);
	json_opt_i64(j, "remote_rto", s->remote_valid, s->remote_rto);
	json_opt_i64(j, "remote_transactions", s->remote_valid,
		     (int64_t)s->remote_transactions);
	json_u64(j, "rtt_us", s->local.rtt_us);
	json_obj_close(j);
}

void rr_report_json(struct json *j, const struct rr_config *cfg,
		    const struct rr_result *res)
{
	const struct hist *h = &res->total;

	json_str(j, "server", res->server);
	json_u64(j, "streams_count", cfg->streams);
	json_u64(j, "request_bytes", cfg->req_size);
	json_u64(j, "response_bytes", cfg->resp_size);
	json_double(j, "duration_s", res->elapsed_s, 3);
	json_u64(j, "transactions", res->transactions);
	json_double(j, "rate_tps", res->elapsed_s > 0 ? res->transactions / res->elapsed_s : 0, 1);
	json_latency(j, h);
	json_tails(j, res->tail);
	json_u64(j, "local_retrans", res->local_retrans);
	json_opt_i64(j, "local_rto", true, res->local_rto);
	json_opt_i64(j, "remote_retrans", res->remote_valid, (int64_t)res->remote_retrans);
	json_opt_i64(j, "remote_rto", res->remote_valid, res->remote_rto);
	json_bool(j, "interrupted", res->interrupted);
	json_arr_open(j, "histogram");
	for (size_t i = 0; i < HIST_NBUCKETS; i++) {
		if (!h->buckets[i])
			continue;
		json_obj_open(j, NULL);
		json_u64(j, "lo_ns", hist_bucket_lo(i));
		json_u64(j, "hi_ns", hist_bucket_hi(i));
		json_u64(j, "count", h->buckets[i]);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "streams");
	for (uint32_t i = 0; i < res->nstreams; i++)
		json_stream(j, i, &res->streams[i]);
	json_arr_close(j);
	if (res->error[0])
		json_str(j, "error", res->error);
}

static const char *opt_num(char *buf, size_t len, bool valid, int64_t v)
{
	if (!valid || v < 0)
		return "-";
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

static void text_streams(FILE *f, const struct rr_result *res)
{
	char a[24], b[24], c[24], d[32], e[32];

	fprintf(f, "\n%6s %6s %12s %10s %10s %8s %8s %8s %8s\n", "stream", "sport",
		"transactions", "p50", "p99.9", ">=200ms", "retrans", "rto", "remote");
	for (uint32_t i = 0; i < res->nstreams; i++) {
		const struct rr_stream_result *s = &res->streams[i];

		fprintf(f, "%6u %6u %12s %10s %10s %8llu %8u %8s %8s\n", i, s->sport,
			human_count(a, sizeof(a), s->transactions),
			human_ns(d, sizeof(d), hist_percentile(&s->hist, 50)),
			human_ns(e, sizeof(e), hist_percentile(&s->hist, 99.9)),
			(unsigned long long)s->tail[0], s->local.total_retrans,
			opt_num(b, sizeof(b), true, s->local.total_rto),
			opt_num(c, sizeof(c), s->remote_valid, (int64_t)s->remote_retrans));
	}
}

void rr_report_text(FILE *f, const struct rr_config *cfg,
		    const struct rr_result *res, int detail)
{
	const struct hist *h = &res->total;
	char a[32], b[32], c[32];
	double tx = (double)(res->transactions ? res->transactions : 1);

	fprintf(f, "rr to %s: %u stream%s, request %u B, response %u B, %.2f s%s\n\n",
		res->server, cfg->streams, cfg->streams == 1 ? "" : "s", cfg->req_size,
		cfg->resp_size, res->elapsed_s, res->interrupted ? " (interrupted)" : "");
	hist_print_text(f, h, rto_marks, NMARKS);
	fprintf(f, "\ntransactions  %s (%s/s)\n", human_count(a, sizeof(a), res->transactions),
		human_count(b, sizeof(b), (uint64_t)(res->elapsed_s > 0 ?
					res->transactions / res->elapsed_s : 0)));
	if (h->count) {
		fprintf(f, "latency       min %s  mean %s", human_ns(a, sizeof(a), h->min),
			human_ns(b, sizeof(b), (uint64_t)hist_mean(h)));
		for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
			fprintf(f, "  %s %s", pcts[i].key,
				human_ns(c, sizeof(c), hist_percentile(h, pcts[i].pct)));
		fprintf(f, "  max %s\n", human_ns(a, sizeof(a), h->max));
	}
	fprintf(f, "RTO tails     >=200ms %llu (%.4f%%)  >=400ms %llu  >=800ms %llu\n",
		(unsigned long long)res->tail[0], 100.0 * res->tail[0] / tx,
		(unsigned long long)res->tail[1], (unsigned long long)res->tail[2]);
	fprintf(f, "retransmits   local %llu (rto %s)  remote %s (rto %s)\n",
		(unsigned long long)res->local_retrans,
		opt_num(a, sizeof(a), true, res->local_rto),
		opt_num(b, sizeof(b), res->remote_valid, (int64_t)res->remote_retrans),
		opt_num(c, sizeof(c), res->remote_valid, res->remote_rto));
	if (detail > 0 || res->nstreams > 1)
		text_streams(f, res);
}

static int write_svg(FILE *f, const struct rr_config *cfg, const struct rr_result *res)
{
	char title[160];

	snprintf(title, sizeof(title), "rr to %s: %u streams, %llu transactions",
		 res->server, cfg->streams, (unsigned long long)res->transactions);
	return hist_write_svg(f, &res->total, title, rto_marks, NMARKS);
}

int rr_report_svg(const char *path, const struct rr_config *cfg,
		  const struct rr_result *res)
{
	struct stat sb;
	char tmp[4096];
	FILE *f;
	int err;

	/*
	 * Only a plain file is replaced atomically; a symlink (/dev/stdout), a
	 * device or a FIFO is written in place: renaming over it would replace it.
	 */
	if (!lstat(path, &sb) && !S_ISREG(sb.st_mode)) {
		f = fopen(path, "w");
		if (!f)
			return -errno;
		err = write_svg(f, cfg, res);
		return fclose(f) && !err ? -errno : err;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	err = write_svg(f, cfg, res);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
