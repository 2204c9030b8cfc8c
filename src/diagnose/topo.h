/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network topology a verdict records: for a set of network namespaces,
 * every device with its kind, peer or lower device, bridge master, queue
 * (txqueuelen, qdisc tree), offloads, and the processes that read a tun,
 * tap or macvtap. Collected once, read only, early (as root: see
 * topo_collect()); the caller then prints it or looks devices up.
 */
#ifndef DS_DIAGNOSE_TOPO_H
#define DS_DIAGNOSE_TOPO_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

struct topo_ns {
	uint32_t inum;		/* nsfs inode, as BPF reads net->ns.inum */
	char name[64];		/* as netns_scan() names it: "init", a /run/netns name, "pid:N" */
};

struct topo_reader {
	int pid;
	char comm[16];		/* /proc/PID/comm */
};

/* The device at the other end of IFLA_LINK: a veth's peer, a macvlan's lower device. */
struct topo_link {
	int ifindex;		/* 0: none */
	int netnsid;		/* IFLA_LINK_NETNSID as the device's namespace numbers it; -1: same */
	uint32_t netns;		/* its namespace's inode; 0 when it could not be resolved */
	char ifname[IF_NAMESIZE];	/* "" unless its namespace was collected */
};

struct topo_qdisc {
	uint32_t handle, parent;	/* tc's maj:min as one number; parent TC_H_ROOT, TC_H_INGRESS ... */
	char kind[16];
};

/* An offload's state; the values of enum eth_state (ethtool.h). */
enum { TOPO_OFFLOAD_UNKNOWN, TOPO_OFFLOAD_OFF, TOPO_OFFLOAD_ON };

struct topo_dev {
	uint32_t netns;		/* inode of its namespace */
	int ifindex;
	char ifname[IF_NAMESIZE];
	char kind[16];		/* IFLA_INFO_KIND ("veth", "macvtap", "tun" ...), "loopback", "device" */
	char mode[16];		/* macvlan/macvtap mode ("bridge" ...), tun type ("tun", "tap"); else "" */
	uint32_t mtu, txqlen;
	uint8_t operstate;	/* IF_OPER_* */
	bool up, lower_up;	/* IFF_UP, IFF_LOWER_UP */
	struct topo_link peer;	/* veth (and other pairs): the other end */
	struct topo_link lower;	/* any other kind with IFLA_LINK: macvlan, macvtap, vlan ... */
	int master;		/* IFLA_MASTER (same namespace), 0 if none */
	char master_name[IF_NAMESIZE];
	char qdisc[40];		/* the egress root as tc names it: "htb 1: root", "noqueue"; "" if none */
	struct topo_qdisc *qdiscs;	/* every qdisc of the device, root first */
	size_t nqdiscs;
	uint8_t gro, gso, tso;	/* TOPO_OFFLOAD_* (ethtool -k's legacy names) */
	unsigned int chr_major, chr_minor;	/* a macvtap's (ipvtap's) character device; else 0 */
	struct topo_reader *readers;	/* processes holding a tun/tap or macvtap open */
	size_t nreaders;
};

struct topo {
	struct topo_ns *ns;	/* the namespaces collected, in the caller's order */
	size_t nns;
	struct topo_dev *dev;	/* grouped by namespace as @ns, in ifindex order inside each */
	size_t ndev;
	char note[160];		/* what could not be collected (not fatal); "" when all was */
};

/**
 * topo_collect() - the topology of namespaces @inums (inodes), or of every
 * namespace netns_scan() finds when @n is 0.
 *
 * Enters each namespace other than the caller's (setns, this thread only,
 * and back before returning), so it needs CAP_SYS_ADMIN for those; finding
 * readers needs to look into other users' /proc/PID/fd, reading a
 * macvtap's dev_t needs a detached sysfs mount of its namespace, and a
 * tun's namespace is asked of a copy of the reader's fd (pidfd_getfd):
 * call it early, as root. Nothing is changed. What cannot be read for
 * lack of privilege or kernel support is left unknown and named in
 * @t->note; a namespace that cannot be entered fails the whole call.
 * @why: on failure, one line naming the object and the reason.
 * Return: 0, -ENOENT (no namespace with such an inode), -EPERM (cannot
 * enter one), or another -errno; on failure @t holds nothing.
 */
int topo_collect(struct topo *t, const uint32_t *inums, size_t n, char *why, size_t len);

/** topo_find() - device @ifindex of namespace @netns in @t, or NULL. */
const struct topo_dev *topo_find(const struct topo *t, uint32_t netns, int ifindex);

/** topo_ns_name() - the name of namespace @inum if collected, else NULL. */
const char *topo_ns_name(const struct topo *t, uint32_t inum);

/**
 * topo_json() - @t as the object @key (NULL inside an array):
 * {"namespaces": [{"netns_inum", "netns"}], "devices": [...]}, each device
 * with netns_inum, netns, ifindex, ifname, kind, mode, mtu, txqueuelen,
 * operstate, up, lower_up, peer/lower {ifindex, netns_inum, netns, netnsid,
 * ifname}, master {ifindex, ifname}, qdisc and qdiscs [{handle, parent,
 * kind}], offloads {gro, gso, tso}, chardev "maj:min", readers [{pid,
 * comm}]; absent what does not apply; then "note" if @t->note says anything.
 */
void topo_json(struct json *j, const char *key, const struct topo *t);

/**
 * topo_text() - @t for people: one line per namespace, then one per device,
 * e.g. `mvt0 (macvtap bridge on vh0, txqueuelen 8, mtu 1500, reader 4242 vmbackend)`.
 */
void topo_text(FILE *f, const struct topo *t);

/** topo_free() - free what topo_collect() allocated; @t is then empty. */
void topo_free(struct topo *t);

/* Shared by topo*.c, not for callers: */

/* A class id as tc prints it: "1:", "1:10", ":3", "root", "none", "ffff:fff1" (ingress). */
const char *topo_tc_handle(uint32_t h, char *buf, size_t len);
/* @d->qdisc from @d->qdiscs: the root's kind, with "<handle> root" when it has one. */
void topo_qdisc_summary(struct topo_dev *d);
/* "up", "down", "lowerlayerdown" ... as /sys/class/net/X/operstate says. */
const char *topo_operstate_name(uint8_t operstate);
/* Fill every tun/tap and macvtap's readers from /proc; problems go to @t->note. */
int topo_readers_find(struct topo *t);

#endif
