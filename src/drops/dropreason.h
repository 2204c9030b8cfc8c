/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the kernel's skb drop reasons, read at run time from BTF: the
 * numbers of enum skb_drop_reason differ between kernel versions, so a
 * table compiled in would lie on the next kernel.
 */
#ifndef DS_DROPREASON_H
#define DS_DROPREASON_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct drop_reasons {
	char **name;		/* by value; NULL where the enum has a gap */
	uint32_t n;		/* highest value + 1 */
};

/**
 * drop_reasons_load() - read enum skb_drop_reason from BTF.
 * @btf_path: a raw BTF file, or NULL for the running kernel's
 *            (/sys/kernel/btf/vmlinux).
 * Names are stored without their SKB_DROP_REASON_ (or SKB_) prefix:
 * "NETFILTER_DROP", "QDISC_DROP", "CONSUMED".
 * Return: 0, -ENOENT if the kernel has no BTF or no such enum, or -errno.
 */
int drop_reasons_load(struct drop_reasons *dr, const char *btf_path);

/* The name of @val, or NULL when unknown (a subsystem's reason, a newer kernel). */
const char *drop_reason_name(const struct drop_reasons *dr, uint32_t val);

void drop_reasons_free(struct drop_reasons *dr);

/* Which device-level counter, if any, also counts a drop of this reason. */
enum reason_class {
	RC_OTHER,	/* no device counter: netfilter, sockets, routing ... */
	RC_QDISC,	/* the qdisc's drops */
	RC_DEVICE,	/* the device's rx/tx dropped */
};

/* @name as drop_reason_name() gives it; NULL is RC_OTHER. */
enum reason_class drop_reason_class(const char *name);

/*
 * Whether @name frees a packet that was not lost: a copy the receiver
 * already had (a spurious retransmission's, TCP_OLD_DATA) or a socket's
 * own queue emptied as it closes. diagnose keeps these apart from losses.
 */
bool drop_reason_benign(const char *name);

/**
 * drop_reason_hint() - what usually causes drops of @name, in a few words.
 * @kind: the device's kind ("tun", "macvtap", "veth", "" ...) or NULL.
 */
const char *drop_reason_hint(const char *name, const char *kind);

#endif
