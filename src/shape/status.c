// SPDX-License-Identifier: GPL-2.0
/*
 * The running shaper's status file (written by cmd_shape.c through the JSON
 * writer, each window) read back for `dropscope shape status`: its keys by
 * name, rendered for people. No I/O but the FILE it prints to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "status.h"
#include "tree.h"

/* The value after "KEY": in @s, as a number; 0 when absent. */
uint64_t shape_status_u64(const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(s, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static void scan_str(const char *s, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	out[0] = 0;
	p = strstr(s, pat);
	if (!p)
		return;
	p += strlen(pat);
	e = strchr(p, '"');
	if (e && (size_t)(e - p) < len)
		snprintf(out, len, "%.*s", (int)(e - p), p);
}

void shape_status_text(FILE *f, const char *s)
{
	const char *c, *d;
	char dev[IF_NAMESIZE + 1], type[16], name[SHAPE_NAME_LEN + 1], id[16], reason[32];
	uint64_t limit = shape_status_u64(s, "limit_bps");

	scan_str(s, "device", dev, sizeof(dev));
	scan_str(s, "path_type", type, sizeof(type));
	fprintf(f, "%s: R %.2f Mbit/s (floor %.2f, line %.2f), ", dev, shape_status_u64(s, "r_bps") / 1e6,
	       shape_status_u64(s, "floor_bps") / 1e6, shape_status_u64(s, "line_bps") / 1e6);
	if (limit)
		fprintf(f, "limit %.2f Mbit/s", limit / 1e6);
	else
		fprintf(f, "limit unknown");
	fprintf(f, ", path %s%s\n", type, strstr(s, "\"dry_run\":true") ? ", dry run" : "");
	fprintf(f, "  %-6s %-16s %10s %10s %4s %14s %10s %8s %10s\n", "class", "name", "rate", "ceil",
	       "prio", "sent", "drops", "backlog", "now");
	c = strstr(s, "\"classes\":[");
	d = strstr(s, "\"decisions\":[");
	while (c && (c = strstr(c + 1, "{\"name\":")) && (!d || c < d)) {
		scan_str(c, "name", name, sizeof(name));
		scan_str(c, "classid", id, sizeof(id));
		fprintf(f, "  %-6s %-16s %10.3f %10.3f %4llu %14llu %10llu %8llu %10.3f\n", id, name,
		       shape_status_u64(c, "rate_bps") / 1e6, shape_status_u64(c, "ceil_bps") / 1e6,
		       (unsigned long long)shape_status_u64(c, "prio"),
		       (unsigned long long)shape_status_u64(c, "sent_bytes"),
		       (unsigned long long)shape_status_u64(c, "drops"),
		       (unsigned long long)shape_status_u64(c, "backlog_bytes"),
		       shape_status_u64(c, "rate_now_bps") / 1e6);
	}
	fprintf(f, "  (rates in Mbit/s, sent in bytes)\nlast decisions:\n");
	while (d && (d = strstr(d + 1, "{\"type\":\"decision\""))) {
		scan_str(d, "reason", reason, sizeof(reason));
		fprintf(f, "  %-16s R %.2f -> %.2f Mbit/s\n", reason, shape_status_u64(d, "r_old_bps") / 1e6,
		       shape_status_u64(d, "r_new_bps") / 1e6);
	}
}

