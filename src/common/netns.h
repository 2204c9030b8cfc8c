/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network namespaces reachable from here: named ones (/run/netns, as
 * `ip netns` makes them) and those of running processes, one entry per
 * namespace. The key is the namespace inode, the same number BPF reads as
 * net->ns.inum, so kernel events and counters meet on it.
 */
#ifndef DS_NETNS_H
#define DS_NETNS_H

#include <stddef.h>
#include <stdint.h>

#define NETNS_RUN_DIR "/run/netns"

/*
 * Linux >= 6.18 gives the initial network namespace a fixed inode
 * (NET_NS_INIT_INO in <linux/nsfs.h>); earlier kernels number it like any
 * other. Used only to name it "init" when PID 1 cannot be looked at.
 */
#define NETNS_INIT_INO_FIXED 0xEFFFFFF9U

struct netns {
	uint32_t inum;		/* st_ino of the nsfs file == net->ns.inum */
	char name[64];		/* "init", the /run/netns name, or "pid:N" */
	int fd;			/* open nsfs file, for netns_enter() */
};

/**
 * netns_scan() - every network namespace reachable from here, once each.
 * @out: set to a malloc'd array of @*n entries (free with netns_free()).
 *
 * Sources: /proc/1/ns/net (named "init"), the bind mounts in /run/netns
 * (named by their file), and /proc/PID/ns/net of every process (named
 * "pid:N" after the lowest PID in it). The namespace of PID 1 is always
 * "init", even when /run/netns also names it. Order: init, then named ones
 * sorted by name, then the rest by PID. Processes that exit during the
 * scan, and those we may not look at (other users' without privilege), are
 * left out; the caller's own namespace is always in the list.
 * Return: 0 or -errno.
 */
int netns_scan(struct netns **out, size_t *n);

/** netns_free() - close the fds of netns_scan()'s array and free it. */
void netns_free(struct netns *v, size_t n);

/**
 * netns_find() - index of the namespace @name in @v, or -ENOENT.
 * @name: a /run/netns name, "init" or "pid:N". A name that is not in @v
 * as such (a second /run/netns name of the same namespace, or the PID of
 * a process that is not the lowest in its namespace) is opened and
 * matched by inode.
 */
int netns_find(const struct netns *v, size_t n, const char *name);

/**
 * netns_current_inum() - inode of the calling thread's network namespace.
 * Return: 0 or -errno.
 */
int netns_current_inum(uint32_t *inum);
/* How a namespace without a name is shown: "inum:N", or "?" when unknown (0). */
const char *netns_unnamed(uint32_t inum, char *buf, size_t len);

/**
 * netns_enter() - move the calling thread (only) into the namespace @fd.
 * @saved: set to an fd of the namespace it was in, for netns_restore().
 * Needs CAP_SYS_ADMIN: -EPERM without it, and then nothing changed.
 * Return: 0 or -errno.
 */
int netns_enter(int fd, int *saved);

/**
 * netns_restore() - move the calling thread back to @saved and close it.
 * Return: 0 or -errno (the thread is then still in the other namespace).
 */
int netns_restore(int saved);

#endif
