// SPDX-License-Identifier: GPL-2.0
/* The topology as JSON and as text, both from the same struct topo. */
#include <stdio.h>
#include <string.h>
#include <net/if.h>	/* before <linux/if.h>, which then leaves out what libc has */
#include <linux/if.h>
#include <linux/pkt_sched.h>

#include "netns.h"
#include "topo.h"

static const char *const offload_name[] = { "unknown", "off", "on" };

const char *topo_tc_handle(uint32_t h, char *buf, size_t len)
{
	/* As tc prints a class id (iproute2's sprint_tc_classid). */
	if (h == TC_H_ROOT)
		snprintf(buf, len, "root");
	else if (h == TC_H_UNSPEC)
		snprintf(buf, len, "none");
	else if (!TC_H_MAJ(h))
		snprintf(buf, len, ":%x", TC_H_MIN(h));
	else if (!TC_H_MIN(h))
		snprintf(buf, len, "%x:", TC_H_MAJ(h) >> 16);
	else
		snprintf(buf, len, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	return buf;
}

/* A qdisc's own handle: tc always shows its major, "0:" too. */
static const char *qdisc_handle(uint32_t h, char *buf, size_t len)
{
	snprintf(buf, len, "%x:", TC_H_MAJ(h) >> 16);
	return buf;
}

void topo_qdisc_summary(struct topo_dev *d)
{
	const struct topo_qdisc *q = d->nqdiscs ? &d->qdiscs[0] : NULL;
	char h[16];

	d->qdisc[0] = 0;
	if (!q || q->parent != TC_H_ROOT)
		return;
	/* "htb 1: root" when it was given a handle; "noqueue", "pfifo_fast" when not. */
	if (TC_H_MAJ(q->handle))
		snprintf(d->qdisc, sizeof(d->qdisc), "%s %s root", q->kind,
			 qdisc_handle(q->handle, h, sizeof(h)));
	else
		snprintf(d->qdisc, sizeof(d->qdisc), "%s", q->kind);
}

const char *topo_operstate_name(uint8_t operstate)
{
	static const char *const names[] = {
		[IF_OPER_UNKNOWN] = "unknown",		[IF_OPER_NOTPRESENT] = "notpresent",
		[IF_OPER_DOWN] = "down",		[IF_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
		[IF_OPER_TESTING] = "testing",		[IF_OPER_DORMANT] = "dormant",
		[IF_OPER_UP] = "up",
	};

	return operstate < sizeof(names) / sizeof(names[0]) ? names[operstate] : "unknown";
}

static const char *ns_label(const struct topo *t, uint32_t inum, char *buf, size_t len)
{
	const char *name = topo_ns_name(t, inum);

	return name ? name : netns_unnamed(inum, buf, len);
}

static void json_link(struct json *j, const char *key, const struct topo *t,
		      const struct topo_link *k)
{
	char buf[32];

	if (!k->ifindex)
		return;
	json_obj_open(j, key);
	json_i64(j, "ifindex", k->ifindex);
	if (k->netns) {
		json_u64(j, "netns_inum", k->netns);
		json_str(j, "netns", ns_label(t, k->netns, buf, sizeof(buf)));
	} else {
		json_null(j, "netns_inum");
	}
	if (k->netnsid >= 0)
		json_i64(j, "netnsid", k->netnsid);
	if (k->ifname[0])
		json_str(j, "ifname", k->ifname);
	else
		json_null(j, "ifname");
	json_obj_close(j);
}

static void json_qdiscs(struct json *j, const struct topo_dev *d)
{
	char h[16];

	if (d->qdisc[0])
		json_str(j, "qdisc", d->qdisc);
	json_arr_open(j, "qdiscs");
	for (size_t i = 0; i < d->nqdiscs; i++) {
		json_obj_open(j, NULL);
		json_str(j, "handle", qdisc_handle(d->qdiscs[i].handle, h, sizeof(h)));
		json_str(j, "parent", topo_tc_handle(d->qdiscs[i].parent, h, sizeof(h)));
		json_str(j, "kind", d->qdiscs[i].kind);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void json_readers(struct json *j, const struct topo_dev *d)
{
	char buf[32];

	if (d->chr_major) {
		snprintf(buf, sizeof(buf), "%u:%u", d->chr_major, d->chr_minor);
		json_str(j, "chardev", buf);
	}
	if (!d->chr_major && strcmp(d->kind, "tun"))
		return;
	json_arr_open(j, "readers");
	for (size_t i = 0; i < d->nreaders; i++) {
		json_obj_open(j, NULL);
		json_i64(j, "pid", d->readers[i].pid);
		json_str(j, "comm", d->readers[i].comm);
		json_obj_close(j);
	}
	json_arr_close(j);
}

static void json_dev(struct json *j, const struct topo *t, const struct topo_dev *d)
{
	char buf[32];

	json_obj_open(j, NULL);
	json_u64(j, "netns_inum", d->netns);
	json_str(j, "netns", ns_label(t, d->netns, buf, sizeof(buf)));
	json_i64(j, "ifindex", d->ifindex);
	json_str(j, "ifname", d->ifname);
	json_str(j, "kind", d->kind);
	if (d->mode[0])
		json_str(j, "mode", d->mode);
	json_u64(j, "mtu", d->mtu);
	json_u64(j, "txqueuelen", d->txqlen);
	json_str(j, "operstate", topo_operstate_name(d->operstate));
	json_bool(j, "up", d->up);
	json_bool(j, "lower_up", d->lower_up);
	json_link(j, "peer", t, &d->peer);
	json_link(j, "lower", t, &d->lower);
	if (d->master) {
		json_obj_open(j, "master");
		json_i64(j, "ifindex", d->master);
		json_str(j, "ifname", d->master_name);
		json_obj_close(j);
	}
	json_qdiscs(j, d);
	json_obj_open(j, "offloads");
	json_str(j, "gro", offload_name[d->gro % 3]);
	json_str(j, "gso", offload_name[d->gso % 3]);
	json_str(j, "tso", offload_name[d->tso % 3]);
	json_obj_close(j);
	json_readers(j, d);
	json_obj_close(j);
}

void topo_json(struct json *j, const char *key, const struct topo *t)
{
	json_obj_open(j, key);
	json_arr_open(j, "namespaces");
	for (size_t i = 0; i < t->nns; i++) {
		json_obj_open(j, NULL);
		json_u64(j, "netns_inum", t->ns[i].inum);
		json_str(j, "netns", t->ns[i].name);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "devices");
	for (size_t i = 0; i < t->ndev; i++)
		json_dev(j, t, &t->dev[i]);
	json_arr_close(j);
	if (t->note[0])
		json_str(j, "note", t->note);
	json_obj_close(j);
}

/* " peer srv0 in ns-b", " on vh0": the name if known, the namespace if another. */
static void text_link(FILE *f, const struct topo *t, const struct topo_dev *d,
		      const char *how, const struct topo_link *k)
{
	char buf[32];

	if (!k->ifindex)
		return;
	if (k->ifname[0])
		fprintf(f, " %s %s", how, k->ifname);
	else
		fprintf(f, " %s ifindex %d", how, k->ifindex);
	if (k->netns != d->netns)
		fprintf(f, " in %s", k->netns ? ns_label(t, k->netns, buf, sizeof(buf)) : "?");
}

static void text_dev(FILE *f, const struct topo *t, const struct topo_dev *d)
{
	/* A tun says which of the two it is; the kind "tun" adds nothing. */
	fprintf(f, "  %s (%s", d->ifname, !strcmp(d->kind, "tun") && d->mode[0] ? d->mode : d->kind);
	if (d->mode[0] && strcmp(d->kind, "tun"))
		fprintf(f, " %s", d->mode);
	text_link(f, t, d, "peer", &d->peer);
	text_link(f, t, d, "on", &d->lower);
	if (d->master)
		fprintf(f, ", master %s", d->master_name[0] ? d->master_name : "?");
	fprintf(f, ", txqueuelen %u, mtu %u, %s", d->txqlen, d->mtu,
		d->up ? topo_operstate_name(d->operstate) : "admin down");
	if (d->qdisc[0])
		fprintf(f, ", qdisc %s", d->qdisc);
	if (d->gro == TOPO_OFFLOAD_OFF)
		fprintf(f, ", gro off");
	if (d->gso == TOPO_OFFLOAD_OFF)
		fprintf(f, ", gso off");
	if (d->tso == TOPO_OFFLOAD_OFF)
		fprintf(f, ", tso off");
	if ((d->chr_major || !strcmp(d->kind, "tun")) && !d->nreaders)
		fprintf(f, ", no reader");
	for (size_t i = 0; i < d->nreaders; i++)
		fprintf(f, ", reader %d %s", d->readers[i].pid, d->readers[i].comm);
	fprintf(f, ")\n");
}

void topo_text(FILE *f, const struct topo *t)
{
	for (size_t i = 0; i < t->nns; i++) {
		fprintf(f, "netns %s (inode %u)\n", t->ns[i].name, t->ns[i].inum);
		for (size_t k = 0; k < t->ndev; k++)
			if (t->dev[k].netns == t->ns[i].inum)
				text_dev(f, t, &t->dev[k]);
	}
	if (t->note[0])
		fprintf(f, "note: %s\n", t->note);
}
