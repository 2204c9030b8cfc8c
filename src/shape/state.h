/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the shaper replaces, saved before its first change and put back:
 * the device's egress qdiscs, classes and filters as raw rtnetlink
 * messages behind a small header (see doc/shape.md).
 */
#ifndef DS_SHAPE_STATE_H
#define DS_SHAPE_STATE_H

#include "nl.h"

/* Return: 0 or -errno (nl->err holds the kernel's reason). */
int shape_state_save(struct nl *nl, int ifindex, const char *path);

/* Delete our root, then re-create what @path holds. Return: 0 or -errno. */
int shape_state_restore(struct nl *nl, const char *path);

#endif
