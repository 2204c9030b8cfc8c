/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Event streams (--events FILE|-): NDJSON, one object per line, the same
 * schema in every command. Each line starts with "type" and "t_ns", the
 * event's time on CLOCK_MONOTONIC in nanoseconds (pcap stamps mapped with
 * the offset measured at start), so events of different engines compare.
 * Interval lines are events too: type "interval", with "t_s" (since the
 * start) and "interval_s". Flows use flow_json()'s keys.
 */
#ifndef DS_EVENT_H
#define DS_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

struct ev_out {
	FILE *f;
	bool own;			/* opened here: closed by ev_close() */
	struct json j;
	uint64_t n;			/* events written */
};

/**
 * ev_open() - events to @path ("-": standard output, line by line).
 * Return: 0 or -errno.
 */
int ev_open(struct ev_out *o, const char *path);
/*
 * Start event @type at @t_ns: the object is open for the caller's keys.
 * Signed: a capture file older than this boot maps to before it.
 */
struct json *ev_begin(struct ev_out *o, const char *type, int64_t t_ns);
/* End it: one line, flushed when the stream is a pipe or a terminal. */
void ev_end(struct ev_out *o);
/**
 * ev_interval() - start an interval line at @t_ns (its start on the
 * events' clock): t_s since @first_ns, interval_s, both from the engine's
 * own stamps. Close it with ev_end() after the counters.
 */
struct json *ev_interval(struct ev_out *o, int64_t t_ns, uint64_t first_ns,
			 uint64_t start_ns, uint64_t len_ns);
/* Flush and close. Return: 0, or -errno of the first write that failed. */
int ev_close(struct ev_out *o);

#endif
