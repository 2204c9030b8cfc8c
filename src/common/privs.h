/* SPDX-License-Identifier: GPL-2.0 */
/* Giving up capabilities once the privileged set-up is done. */
#ifndef DS_PRIVS_H
#define DS_PRIVS_H

/**
 * privs_drop() - clear every capability (effective, permitted, inheritable)
 * and forbid regaining any (no_new_privs). Open descriptors (BPF maps, ring
 * buffers, netlink sockets, /proc files) keep working.
 * Return: 0 or -errno.
 */
int privs_drop(void);

/* The effective capability mask of this process, as /proc shows CapEff. */
unsigned long long privs_effective(void);

#endif
