/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing a shape_tree over rtnetlink (libmnl via nl.c, no fork of tc):
 * the HTB root, its classes, their leaf fifos, and a class change in place.
 * Errors are -errno with the kernel's extack text in nl->err.
 */
#ifndef DS_SHAPE_TCNL_H
#define DS_SHAPE_TCNL_H

#include <stdint.h>

#include "nl.h"
#include "tree.h"

/**
 * tcnl_rtab() - the 256-slot rate table iproute2's tc_calc_rtable() builds
 * for @bps and frames up to @mtu bytes: transmit time of (i+1) << cell_log
 * bytes in psched ticks (64 ns). Return: the cell_log used.
 */
int tcnl_rtab(uint64_t bps, unsigned int mtu, uint32_t rtab[256]);

/* Bytes sent at @bps in 64 ns ticks: what HTB's buffer/cbuffer carry. */
uint32_t tcnl_bytes2ticks(uint64_t bps, uint32_t bytes);

/* Delete device @ifindex's root qdisc (its default back); none to delete is 0. */
int tcnl_root_delete(struct nl *nl, int ifindex);

/**
 * tcnl_tree_create() - qdisc 1: htb, every class of @t and its leaf fifo
 * on device @ifindex (the root qdisc replaced), and for each class with a
 * DSCP a u32 filter on 1: (prio 1 IPv4, prio 2 IPv6). Return: 0 or -errno.
 */
int tcnl_tree_create(struct nl *nl, int ifindex, const struct shape_tree *t);

/**
 * tcnl_plan_write() - the writes of @p, in order, each a change in place.
 * Return: 0 or the first failure's -errno (the writes before it stay).
 */
int tcnl_plan_write(struct nl *nl, int ifindex, const struct shape_plan *p);

#endif
