/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shaper's configuration: one INI file (inih). Sections:
 *
 *   [shape]          device, capture, floor, line, start, window, path_type,
 *                    state, decisions, status
 *   [class NAME]     rate, ceil, prio, depth, default, set_dscp, and the
 *                    match: src, dst, sport, dport, proto, dscp
 *   [site NAME] / [path NAME]   the monitor's paths, as in a sites file
 *                    (src/analyze/sites.h): read by sites_load() in its
 *                    mode that skips the other sections.
 *
 * Format and checks in doc/shape.md. No I/O but shape_config_load()'s read.
 */
#ifndef DS_SHAPE_CONFIG_H
#define DS_SHAPE_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor.h"
#include "tree.h"

#define SHAPE_PATH_LEN 256

enum shape_path_type {
	SHAPE_PATH_AUTO,	/* from the monitor's verdict on the path's type */
	SHAPE_PATH_POLICER,	/* gamma 0.95 */
	SHAPE_PATH_QUEUE,	/* gamma 0.90 */
};

/* A class's match: every part given must hold (AND); none given: no match. */
struct shape_match {
	bool has_src, has_dst;
	struct mon_pfx src, dst;	/* one family per class */
	uint16_t sport_lo, sport_hi;	/* 0, 0: any */
	uint16_t dport_lo, dport_hi;
	int proto;			/* -1: any; else an IP protocol number */
	int dscp;			/* -1: any; else the DSCP as it arrives (0..63) */
};

struct shape_class_cfg {
	struct shape_match match;
	bool has_match;			/* some part of the match given */
	int set_dscp;			/* -1: left as it is; else marked with it (0..63) */
	int line;			/* of its [class NAME] line */
};

struct shape_config {
	char file[SHAPE_PATH_LEN];
	char device[IF_NAMESIZE];	/* the shaped device (its egress) */
	char capture[IF_NAMESIZE];	/* the monitor's capture device; default: device */
	char state[SHAPE_PATH_LEN];	/* default /run/dropscope/shape-DEVICE.state */
	char decisions[SHAPE_PATH_LEN];	/* NDJSON decisions; "" none */
	char status[SHAPE_PATH_LEN];	/* default /run/dropscope/shape-DEVICE.json */
	uint64_t window_ns;		/* the monitor's window, default 500 ms */
	enum shape_path_type path_type;	/* default auto */
	bool has_paths;			/* some [path NAME] section */
	/*
	 * floor_bps, line_bps; root_bps = start (default: floor); the classes
	 * in file order, each desc.cls[i].dscp = the DSCP the HTB classifies
	 * it on: set_dscp if given, else match.dscp, else -1 (the default
	 * class only); default_class; mtu 0 (the command reads the device's).
	 */
	struct shape_desc desc;
	struct shape_class_cfg cls[SHAPE_MAX_CLASSES];
};

/**
 * shape_config_parse() - the configuration in @text (named @fname in
 * messages) into @c, checked.
 * Return: 0, or -EINVAL with one line "FILE:LINE: reason" (naming the key)
 * in @err.
 */
int shape_config_parse(struct shape_config *c, const char *text, const char *fname, char *err,
		       size_t errlen);

/* The same from the file @path; one that cannot be read: -errno and "FILE: reason". */
int shape_config_load(struct shape_config *c, const char *path, char *err, size_t errlen);

/* "45mbit", "4.5M", "622000000", "1gbit" (bits per second) into @bps. Return: 0 or -EINVAL. */
int shape_parse_rate(const char *s, uint64_t *bps);

/* "34", "af41", "ef", "cs1", "be" into @dscp (0..63). Return: 0 or -EINVAL. */
int shape_parse_dscp(const char *s, int *dscp);

#endif
