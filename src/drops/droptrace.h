/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of `drops`: a BPF program on skb:kfree_skb and the TCP
 * retransmit tracepoints, counting in per-CPU maps, optionally streaming
 * each event to a ring buffer. Read the counts at any time; they grow
 * from attach on.
 */
#ifndef DS_DROPTRACE_H
#define DS_DROPTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "drops.h"

enum droptrace_probe {
	PROBE_KFREE_SKB,		/* skb:kfree_skb */
	PROBE_TCP_RETRANSMIT,		/* tcp:tcp_retransmit_skb */
	PROBE_TCP_SYNACK,		/* tcp:tcp_retransmit_synack */
	PROBE_NR,
};

struct droptrace_opts {
	uint32_t netns;			/* only this namespace (inode); 0 = all */
	size_t ring_bytes;		/* 0: no per-event stream */
	size_t wakeup_bytes;		/* wake the reader once this much waits; 0: each record */
	bool disable[PROBE_NR];		/* leave a probe out, as if the kernel lacked it */
};

enum probe_state { PROBE_OFF, PROBE_ON, PROBE_MISSING, PROBE_DISABLED };

struct droptrace;

/**
 * droptrace_open() - load and attach.
 * Probes whose tracepoint the kernel lacks are left out and marked
 * PROBE_MISSING; the rest still run.
 * Return: 0; -EPERM/-EACCES without privilege; -ENOENT/-EOPNOTSUPP without
 * BTF or BPF support; other -errno. @why says what failed in a few words.
 */
int droptrace_open(struct droptrace **out, const struct droptrace_opts *o,
		   char *why, size_t whylen);
void droptrace_close(struct droptrace *dt);

const char *droptrace_probe_name(enum droptrace_probe p);
enum probe_state droptrace_probe_state(const struct droptrace *dt, enum droptrace_probe p);

enum droptrace_map { DT_DROPS, DT_RTX };

/*
 * A copy of one map at one moment, per-CPU values summed, sorted by key:
 * the maps only grow from attach on, so a run's figures are the
 * difference of two snapshots.
 */
struct dt_snap {
	size_t ksz, nwords;	/* key bytes; value as u64 words */
	size_t n;
	unsigned char *rec;	/* n records of ksz + 8 * nwords bytes */
};

/* Return: 0 or -errno. @s is replaced (freed first if it held one). */
int droptrace_snap(struct droptrace *dt, enum droptrace_map which, struct dt_snap *s);
void dt_snap_free(struct dt_snap *s);
/* Sort @s by key: for snapshots built elsewhere (events counted by hand). */
void dt_snap_sort(struct dt_snap *s);

/* Call @cb with @end - @start for every key of @end with a non-zero change. */
void dt_snap_delta(const struct dt_snap *start, const struct dt_snap *end,
		   void (*cb)(const void *key, const uint64_t *delta, void *ctx), void *ctx);

/* What the tracer itself lost: map-full misses, ring-buffer overruns, and
 * events the kernel did not run the program for (recursion on a CPU). */
uint64_t droptrace_lost(struct droptrace *dt);

/* The ring buffer's epoll fd, readable when records wait; -1 without a ring. */
int droptrace_ring_fd(const struct droptrace *dt);

/*
 * Hand every waiting record (struct drop_event or struct rtx_event, told
 * apart by the first byte) to @cb, without waiting. Return: records, or -errno.
 */
int droptrace_consume(struct droptrace *dt, int (*cb)(void *ctx, void *data, size_t len),
		      void *ctx);

/* Records the BPF side could not put in the ring (it was full), since attach. */
uint64_t droptrace_ring_lost(struct droptrace *dt);

#endif
