// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "dropreason.h"

/* Far above any real reason count: a corrupt BTF must not make us allocate GBs. */
#define MAX_REASONS 4096

static const char *strip_prefix(const char *s)
{
	if (!strncmp(s, "SKB_DROP_REASON_", 16))
		return s + 16;
	if (!strncmp(s, "SKB_", 4))
		return s + 4;
	return s;
}

static int put(struct drop_reasons *dr, uint64_t val, const char *name)
{
	if (val >= MAX_REASONS)
		return 0;	/* subsystem-encoded or bogus: looked up as unknown */
	if (val >= dr->n) {
		char **n = realloc(dr->name, (val + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + dr->n, 0, (val + 1 - dr->n) * sizeof(*n));
		dr->name = n;
		dr->n = (uint32_t)val + 1;
	}
	free(dr->name[val]);
	dr->name[val] = strdup(strip_prefix(name));
	return dr->name[val] ? 0 : -ENOMEM;
}

static int read_enum(struct drop_reasons *dr, const struct btf *btf, int id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int err = 0;

	for (int i = 0; i < btf_vlen(t) && !err; i++) {
		/* ENUM64 since Linux 6.0; this enum is 32-bit, but accept both. */
		if (btf_is_enum(t))
			err = put(dr, (uint32_t)btf_enum(t)[i].val,
				  btf__name_by_offset(btf, btf_enum(t)[i].name_off));
		else
			err = put(dr, btf_enum64_value(&btf_enum64(t)[i]),
				  btf__name_by_offset(btf, btf_enum64(t)[i].name_off));
	}
	return err;
}

int drop_reasons_load(struct drop_reasons *dr, const char *btf_path)
{
	struct btf *btf;
	int id, err;

	memset(dr, 0, sizeof(*dr));
	/* libbpf 1.x: NULL and errno on failure. */
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return errno ? -errno : -ENOENT;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM64);
	err = id < 0 ? -ENOENT : read_enum(dr, btf, id);
	btf__free(btf);
	if (err)
		drop_reasons_free(dr);
	return err;
}

const char *drop_reason_name(const struct drop_reasons *dr, uint32_t val)
{
	return val < dr->n ? dr->name[val] : NULL;
}

void drop_reasons_free(struct drop_reasons *dr)
{
	for (uint32_t i = 0; i < dr->n; i++)
		free(dr->name[i]);
	free(dr->name);
	dr->name = NULL;
	dr->n = 0;
}

/*
 * Reasons whose drops a device or qdisc counter also counts: qdiscs count
 * their own drops; FULL_RING is tun's tx_dropped and macvtap's rx_dropped,
 * CPU_BACKLOG and UNHANDLED_PROTO bump the device's rx_dropped in
 * __netif_receive_skb_core()/enqueue_to_backlog(), DEV_READY its tx_dropped.
 */
static const struct {
	const char *name;
	enum reason_class cls;
} classes[] = {
	{ "QDISC_DROP", RC_QDISC },	{ "QDISC_OVERLIMIT", RC_QDISC },
	{ "QDISC_CONGESTED", RC_QDISC },	{ "CAKE_FLOOD", RC_QDISC },
	{ "FQ_BAND_LIMIT", RC_QDISC },	{ "FQ_HORIZON_LIMIT", RC_QDISC },
	{ "FQ_FLOW_LIMIT", RC_QDISC },	{ "DUALPI2_STEP_DROP", RC_QDISC },
	{ "FULL_RING", RC_DEVICE },	{ "CPU_BACKLOG", RC_DEVICE },
	{ "UNHANDLED_PROTO", RC_DEVICE },	{ "DEV_READY", RC_DEVICE },
	{ "TAP_FILTER", RC_DEVICE },	{ "TAP_TXFILTER", RC_DEVICE },
};

enum reason_class drop_reason_class(const char *name)
{
	if (!name)
		return RC_OTHER;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(classes[i].name, name))
			return classes[i].cls;
	return RC_OTHER;
}

bool drop_reason_benign(const char *name)
{
	static const char *const benign[] = {
		"TCP_OLD_DATA", "TCP_OLD_SEQUENCE", "TCP_OLD_ACK", "TCP_OFOMERGE",
		"QUEUE_PURGE", "SOCKET_CLOSE",
	};

	for (size_t i = 0; name && i < sizeof(benign) / sizeof(benign[0]); i++)
		if (!strcmp(benign[i], name))
			return true;
	return false;
}

/* First match wins: exact names, then prefixes ending in '_'. */
static const struct {
	const char *name;
	const char *hint;
} hints[] = {
	{ "NETFILTER_DROP", "a netfilter rule dropped it (nft list ruleset; iptables -L -v)" },
	{ "QDISC_", "the qdisc's queue limit: raise its limit or shape before the bottleneck" },
	{ "CAKE_FLOOD", "the qdisc's queue limit: raise its limit or shape before the bottleneck" },
	{ "FQ_", "the qdisc's per-flow or band limit" },
	{ "CPU_BACKLOG", "per-CPU backlog full: raise net.core.netdev_max_backlog or spread with RPS" },
	{ "SOCKET_RCVBUFF", "socket receive buffer full: the application reads too slowly" },
	{ "SOCKET_BACKLOG", "socket backlog full while the application held the socket" },
	{ "TCP_LISTEN_OVERFLOW", "accept queue full: raise the listen backlog / somaxconn" },
	{ "NO_SOCKET", "nobody listens on that port (closed or never opened)" },
	{ "SOCKET_CLOSE", "data for a socket being closed" },
	{ "SOCKET_FILTER", "a socket filter (BPF) rejected it" },
	{ "QUEUE_PURGE", "a queue was purged: socket or device closed with packets queued" },
	{ "TCP_OLD_DATA", "data already received: the peer re-sent it (spurious retransmit or lost ACK)" },
	{ "TCP_OFO_QUEUE_PRUNE", "out-of-order queue pruned: receive memory pressure" },
	{ "TCP_OFO_DROP", "out-of-order data beyond the receive window or memory" },
	{ "TCP_ZEROWINDOW", "the receive window was zero: the application does not read" },
	{ "NEIGH_", "neighbour (ARP/ND) resolution failed or its queue (unres_qlen) overflowed" },
	{ "IP_OUTNOROUTES", "no route to the destination" },
	{ "IP_INNOROUTES", "no route for the received packet" },
	{ "IP_RPFILTER", "reverse-path filter (rp_filter) rejected the source" },
	{ "OTHERHOST", "frame for another host (promiscuous device)" },
	{ "UNHANDLED_PROTO", "no handler for the protocol: usually harmless (LLDP, STP, ...)" },
	{ "TC_", "a tc filter or action dropped it" },
	{ "XDP", "an XDP program dropped it" },
	{ "BPF_CGROUP_EGRESS", "a cgroup BPF program dropped it" },
	{ "DEV_READY", "the device was down or not ready" },
	{ "NOMEM", "out of memory" },
	{ "PKT_TOO_SMALL", "malformed packet" },
	{ "PKT_TOO_BIG", "larger than the MTU and not fragmentable" },
	{ "NOT_SPECIFIED", "the code site gave no reason: see its location (-s)" },
};

const char *drop_reason_hint(const char *name, const char *kind)
{
	if (!name)
		return "a reason this tool does not know: see its location (-s)";
	if (!strcmp(name, "FULL_RING")) {
		if (kind && (!strcmp(kind, "tun") || !strcmp(kind, "macvtap") ||
			     !strcmp(kind, "ipvtap")))
			return "the reader (VM, vhost, the process holding the tap) does not drain its queue";
		return "a device ring is full: the reader or the hardware is too slow";
	}
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		size_t n = strlen(hints[i].name);

		if (hints[i].name[n - 1] == '_' ? !strncmp(name, hints[i].name, n)
						 : !strcmp(name, hints[i].name))
			return hints[i].hint;
	}
	if (strstr(name, "CSUM") || strstr(name, "HDR"))
		return "corrupted or malformed packet";
	return "see the location (-s) for the code site";
}
