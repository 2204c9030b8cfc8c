/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shaper replaces, saved before its first change and put back:
 * the device's egress qdiscs, classes and filters as raw rtnetlink
 * messages behind a small header (see doc/shape.md).
 */
#ifndef DS_SHAPE_STATE_H
#define DS_SHAPE_STATE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "nl.h"

/* A state file's contents, checked; msgs points into the parsed buffer. */
struct shape_state_view {
	int ifindex;
	char ifname[IF_NAMESIZE];	/* NUL-terminated */
	uint64_t netns_ino, time;
	const char *msgs;		/* @n rtnetlink messages, each padded to 4 bytes */
	uint32_t len;
	unsigned int n;
};

/**
 * shape_state_parse() - check the bytes of a state file (no I/O): the
 * header (magic, device, the messages' length equal to what follows) and
 * the framing of every message (a qdisc, class or filter, its length and
 * its attributes inside the buffer, at most what a replay can send).
 * Return: 0 with @v filled, or -EINVAL with the reason in @err.
 */
int shape_state_parse(const void *buf, size_t len, struct shape_state_view *v, char *err,
		      size_t errlen);

/*
 * The device a state file was saved for, into @ifname; a file that cannot be
 * read or fails shape_state_parse() gives -errno and "PATH: reason" in @err.
 */
int shape_state_device(const char *path, char *ifname, size_t len, char *err, size_t errlen);

/* Return: 0 or -errno (nl->err holds the kernel's reason). */
int shape_state_save(struct nl *nl, int ifindex, const char *path);

/*
 * Delete our root, then re-create what @path holds. A file that cannot be
 * read, fails shape_state_parse() or is for another device or namespace
 * touches nothing. Return: 0 or -errno, with "PATH: reason" (or the
 * kernel's extack text) in nl->err.
 */
int shape_state_restore(struct nl *nl, const char *path);

#endif
