// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "droptrace.h"
#include "drops.skel.h"
#include "log.h"

struct droptrace {
	struct drops_bpf *skel;
	struct ring_buffer *ring;
	enum probe_state state[PROBE_NR];
	int ncpu;
	int (*ev_cb)(void *ctx, void *data, size_t len);
	void *ev_ctx;
};

static const struct {
	const char *name;	/* as users know it: the tracepoint */
	const char *btf_type;	/* what tp_btf attaches through */
} probes[PROBE_NR] = {
	[PROBE_KFREE_SKB] = { "skb:kfree_skb", "btf_trace_kfree_skb" },
	[PROBE_TCP_RETRANSMIT] = { "tcp:tcp_retransmit_skb", "btf_trace_tcp_retransmit_skb" },
	[PROBE_TCP_SYNACK] = { "tcp:tcp_retransmit_synack", "btf_trace_tcp_retransmit_synack" },
};

const char *droptrace_probe_name(enum droptrace_probe p)
{
	return p < PROBE_NR ? probes[p].name : "?";
}

enum probe_state droptrace_probe_state(const struct droptrace *dt, enum droptrace_probe p)
{
	return dt && p < PROBE_NR ? dt->state[p] : PROBE_OFF;
}

/* libbpf speaks through our logger: its warnings at -v, its chatter at -vv. */
static int __attribute__((format(printf, 2, 0)))
libbpf_log(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char buf[512];

	if ((lvl == LIBBPF_WARN && log_level < LOG_INFO) ||
	    (lvl != LIBBPF_WARN && log_level < LOG_DEBUG))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_print(LOG_INFO, "libbpf: %s", buf);
	return 0;
}

static struct bpf_program *prog_of(struct drops_bpf *s, enum droptrace_probe p)
{
	switch (p) {
	case PROBE_KFREE_SKB:
		return s->progs.on_kfree_skb;
	case PROBE_TCP_RETRANSMIT:
		return s->progs.on_tcp_retransmit_skb;
	default:
		return s->progs.on_tcp_retransmit_synack;
	}
}

/* Decide per probe before load: a tracepoint this kernel lacks fails the whole load. */
static int plan_probes(struct droptrace *dt, const struct droptrace_opts *o,
		       char *why, size_t whylen)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int on = 0;

	if (!vmlinux) {
		snprintf(why, whylen, "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return -ENOENT;
	}
	for (int p = 0; p < PROBE_NR; p++) {
		if (o->disable[p])
			dt->state[p] = PROBE_DISABLED;
		else if (btf__find_by_name_kind(vmlinux, probes[p].btf_type, BTF_KIND_TYPEDEF) < 0)
			dt->state[p] = PROBE_MISSING;
		else
			dt->state[p] = PROBE_ON, on++;
		bpf_program__set_autoload(prog_of(dt->skel, p), dt->state[p] == PROBE_ON);
	}
	btf__free(vmlinux);
	if (!on) {
		snprintf(why, whylen, "no probe left to attach");
		return -ENOENT;
	}
	return 0;
}

static int on_ring(void *ctx, void *data, size_t len)
{
	struct droptrace *dt = ctx;

	return dt->ev_cb ? dt->ev_cb(dt->ev_ctx, data, len) : 0;
}

static int load_attach(struct droptrace *dt, const struct droptrace_opts *o,
		       char *why, size_t whylen)
{
	int err;

	dt->skel->rodata->targ_netns = o->netns;
	dt->skel->rodata->targ_ring = o->ring_bytes > 0;
	dt->skel->rodata->targ_wakeup = o->wakeup_bytes;
	if (o->ring_bytes) {
		/* A power of two, in whole pages. */
		size_t sz = 4096;

		while (sz < o->ring_bytes && sz < (1UL << 30))
			sz <<= 1;
		bpf_map__set_max_entries(dt->skel->maps.events, (__u32)sz);
	}
	err = drops_bpf__load(dt->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the BPF program: %s", strerror(-err));
		return err;
	}
	err = drops_bpf__attach(dt->skel);
	if (err) {
		snprintf(why, whylen, "cannot attach to the tracepoints: %s", strerror(-err));
		return err;
	}
	if (o->ring_bytes) {
		dt->ring = ring_buffer__new(bpf_map__fd(dt->skel->maps.events), on_ring, dt, NULL);
		if (!dt->ring) {
			err = -errno;
			snprintf(why, whylen, "cannot open the event ring: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

int droptrace_open(struct droptrace **out, const struct droptrace_opts *o,
		   char *why, size_t whylen)
{
	struct droptrace *dt;
	int err;

	*out = NULL;
	libbpf_set_print(libbpf_log);
	dt = calloc(1, sizeof(*dt));
	if (!dt)
		return -ENOMEM;
	dt->ncpu = libbpf_num_possible_cpus();
	if (dt->ncpu <= 0) {
		snprintf(why, whylen, "cannot count CPUs");
		free(dt);
		return -EINVAL;
	}
	dt->skel = drops_bpf__open();
	if (!dt->skel) {
		err = -errno;
		snprintf(why, whylen, "cannot open the BPF object: %s", strerror(-err));
		free(dt);
		return err;
	}
	err = plan_probes(dt, o, why, whylen);
	if (!err)
		err = load_attach(dt, o, why, whylen);
	if (err) {
		droptrace_close(dt);
		return err;
	}
	*out = dt;
	return 0;
}

void droptrace_close(struct droptrace *dt)
{
	if (!dt)
		return;
	ring_buffer__free(dt->ring);
	drops_bpf__destroy(dt->skel);
	free(dt);
}

void dt_snap_free(struct dt_snap *s)
{
	free(s->rec);
	s->rec = NULL;
	s->n = 0;
}

static size_t rec_size(const struct dt_snap *s)
{
	return s->ksz + 8 * s->nwords;
}

/* A snapshot record is a key then u64 words: keys keep those aligned. */
_Static_assert(sizeof(struct drop_key) % 8 == 0, "drop_key size");
_Static_assert(sizeof(struct rtx_key) % 8 == 0, "rtx_key size");

static size_t g_ksz;	/* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
	return memcmp(a, b, g_ksz);
}

/* Keys are only added while we walk; a key visited twice is harmless to drop. */
static int walk_percpu(int fd, int ncpu, struct dt_snap *s)
{
	uint64_t *vals = calloc((size_t)ncpu * s->nwords, sizeof(uint64_t));
	unsigned char key[64], next[64];
	size_t cap = 0, rs = rec_size(s);
	const void *prev = NULL;
	int err = 0;

	if (!vals || s->ksz > sizeof(key)) {
		free(vals);
		return -ENOMEM;
	}
	while (!bpf_map_get_next_key(fd, prev, next)) {
		uint64_t *sum;

		memcpy(key, next, s->ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;	/* gone meanwhile */
		if (s->n == cap) {
			unsigned char *r = realloc(s->rec, (cap = cap ? cap * 2 : 256) * rs);

			if (!r) {
				err = -ENOMEM;
				break;
			}
			s->rec = r;
		}
		memcpy(s->rec + s->n * rs, key, s->ksz);
		sum = (uint64_t *)(s->rec + s->n * rs + s->ksz);
		memset(sum, 0, 8 * s->nwords);
		for (int c = 0; c < ncpu; c++)
			for (size_t w = 0; w < s->nwords; w++)
				sum[w] += vals[(size_t)c * s->nwords + w];
		s->n++;
	}
	if (!err && errno != ENOENT)
		err = -errno;
	free(vals);
	return err;
}

int droptrace_snap(struct droptrace *dt, enum droptrace_map which, struct dt_snap *s)
{
	struct bpf_map *m = which == DT_DROPS ? dt->skel->maps.drops : dt->skel->maps.rtx;
	int err;

	dt_snap_free(s);
	/* Keys hold no padding holes that differ: BPF zero-fills them. */
	s->ksz = which == DT_DROPS ? sizeof(struct drop_key) : sizeof(struct rtx_key);
	s->nwords = (which == DT_DROPS ? sizeof(struct drop_val) : sizeof(struct rtx_val)) / 8;
	err = walk_percpu(bpf_map__fd(m), dt->ncpu, s);
	if (err) {
		dt_snap_free(s);
		return err;
	}
	dt_snap_sort(s);
	return 0;
}

void dt_snap_sort(struct dt_snap *s)
{
	g_ksz = s->ksz;
	if (s->n > 1)
		qsort(s->rec, s->n, rec_size(s), by_key);
}

void dt_snap_delta(const struct dt_snap *start, const struct dt_snap *end,
		   void (*cb)(const void *key, const uint64_t *delta, void *ctx), void *ctx)
{
	size_t rs = rec_size(end), i = 0, j = 0;
	uint64_t d[32];

	if (end->nwords > 32)
		return;
	/* Both sorted: a merge walk. */
	for (; j < end->n; j++) {
		const unsigned char *e = end->rec + j * rs, *b = NULL;
		const uint64_t *ev = (const uint64_t *)(e + end->ksz), *bv;
		bool any = false;

		while (start && i < start->n && memcmp(start->rec + i * rs, e, end->ksz) < 0)
			i++;
		if (start && i < start->n && !memcmp(start->rec + i * rs, e, end->ksz))
			b = start->rec + i * rs;
		bv = b ? (const uint64_t *)(b + end->ksz) : NULL;
		for (size_t w = 0; w < end->nwords; w++) {
			d[w] = ev[w] - (bv ? bv[w] : 0);
			any |= d[w] != 0;
		}
		if (any)
			cb(e, d, ctx);
	}
}

/*
 * A BPF program does not run when it is already running on that CPU (a
 * softirq drop arriving while the program handles one in process
 * context): the kernel counts those in the program's recursion_misses.
 */
static uint64_t recursion_misses(struct droptrace *dt)
{
	uint64_t n = 0;

	for (int p = 0; p < PROBE_NR; p++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		if (dt->state[p] != PROBE_ON)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog_of(dt->skel, p)), &info, &len))
			n += info.recursion_misses;
	}
	return n;
}

/* One of the tracer's own counters, summed over the CPUs. */
static uint64_t stat_sum(struct droptrace *dt, __u32 which)
{
	uint64_t *vals = calloc((size_t)dt->ncpu, sizeof(uint64_t)), n = 0;

	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(dt->skel->maps.stats), &which, vals))
		for (int c = 0; c < dt->ncpu; c++)
			n += vals[c];
	free(vals);
	return n;
}

uint64_t droptrace_lost(struct droptrace *dt)
{
	uint64_t lost = recursion_misses(dt);

	for (__u32 i = 0; i < DSTAT_NR; i++)
		lost += stat_sum(dt, i);
	return lost;
}

uint64_t droptrace_ring_lost(struct droptrace *dt)
{
	return dt->ring ? stat_sum(dt, DSTAT_RING_LOST) : 0;
}

int droptrace_ring_fd(const struct droptrace *dt)
{
	return dt && dt->ring ? ring_buffer__epoll_fd(dt->ring) : -1;
}

int droptrace_consume(struct droptrace *dt, int (*cb)(void *ctx, void *data, size_t len),
		      void *ctx)
{
	if (!dt->ring)
		return 0;
	dt->ev_cb = cb;
	dt->ev_ctx = ctx;
	return ring_buffer__consume(dt->ring);
}
