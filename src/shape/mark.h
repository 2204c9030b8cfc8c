/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shaper's DSCP marking: an nftables table of our own per shaped
 * device, `table inet dropscope_shape_DEVICE`, one chain hooked at
 * postrouting, priority mangle (before the egress qdisc classifies on the
 * DSCP). One rule per class with a match or a set_dscp, in class order,
 * each ending in `accept` so that the first matching class wins; every rule
 * has a `counter` and the class's name as its comment.
 */
#ifndef DS_SHAPE_MARK_H
#define DS_SHAPE_MARK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define SHAPE_MARK_TABLE_PREFIX "dropscope_shape_"
#define SHAPE_MARK_TABLE_LEN (sizeof(SHAPE_MARK_TABLE_PREFIX) + IF_NAMESIZE)
#define SHAPE_MARK_CHAIN "shape"

/**
 * shape_mark_table() - the name of @device's table into @name: the prefix,
 * then the device name with every character that is not a letter, digit,
 * '_', '-' or '.' (nft's identifier characters) as '_'.
 * Return: 0, or -EINVAL for a name empty, of IF_NAMESIZE bytes or more,
 * or holding a quote, a backslash or a control character.
 */
int shape_mark_table(const char *device, char *name, size_t len);

/* True when some class sets a DSCP: only then is there a table to write. */
bool shape_mark_needed(const struct shape_config *c);

/**
 * shape_mark_ruleset() - the nft script of @c's table (`table inet NAME {
 * chain shape { ... } }`) into @buf. Pure. A class with set_dscp and a
 * match: its match, `counter`, `ip dscp set N` or `ip6 dscp set N`,
 * `accept`; one rule per family when the match does not fix the family
 * (no src or dst) but must know it (a dscp match or a DSCP to set). A
 * class with a match and no set_dscp: its match, `counter`, `accept`, so
 * that no later class re-marks its packets. The default class with a
 * set_dscp and no match: last, marking everything left (one rule per
 * family). Ports without a protocol hold only for TCP, UDP, UDP-Lite,
 * SCTP and DCCP (`th` alone would read ICMP's type and code as a port).
 * Return: bytes written (without the NUL; 0 when !shape_mark_needed()),
 * -ENOSPC when @len is too short, -EINVAL for a bad device name or a class
 * whose src and dst are of two families.
 */
int shape_mark_ruleset(const struct shape_config *c, char *buf, size_t len);

/**
 * shape_mark_apply() - replace @c's table in the kernel (one nft
 * transaction: add, delete, add with its rules, so an old table of a run
 * that crashed goes, and nothing changes when one part fails). When
 * !shape_mark_needed() an old table is removed and none is created.
 * Return: 0, or -errno (-EINVAL for what nft refused, -EPERM without the
 * privilege) with "table inet NAME: " and nft's first line in @err.
 */
int shape_mark_apply(const struct shape_config *c, char *err, size_t errlen);

/**
 * shape_mark_remove() - delete @device's table; absent is success.
 * Return: 0 or -errno, as shape_mark_apply().
 */
int shape_mark_remove(const char *device, char *err, size_t errlen);

#endif
