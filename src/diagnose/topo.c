// SPDX-License-Identifier: GPL-2.0
/*
 * Collecting the topology: each namespace is entered once, and its links,
 * qdiscs, offloads, netnsids and macvtap device numbers are read there;
 * then peers, lower devices and masters are named across namespaces, and
 * the readers of tun/tap and macvtap devices are found (topo_readers.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include "ethtool.h"
#include "linkstats.h"
#include "netns.h"
#include "nl.h"
#include "qdiscstats.h"
#include "topo.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000	/* <linux/if.h>, which clashes with <net/if.h> */
#endif

/* What one namespace gave, before it becomes topo_devs. */
struct ns_raw {
	uint32_t inum;
	struct link_stats *links;
	size_t nlinks;
	struct qdisc_stats *qd;
	size_t nqd;
	struct eth_offloads *off;
	size_t noff;
	struct nsid_inum { int id; uint32_t inum; } *ids;	/* netnsid -> inode, as resolved */
	size_t nids;
	unsigned int (*chr)[2];	/* per link: a macvtap's major:minor, else 0:0 */
};

struct ctx {
	struct topo *t;
	const struct netns *all;	/* every namespace netns_scan() found */
	size_t nall;
	uint32_t self;
	uint16_t ethtool_family;	/* 0: not looked up yet or absent */
	bool ethtool_absent;
	char *why;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void note(struct topo *t, const char *fmt, ...)
{
	va_list ap;

	if (t->note[0])
		return;		/* the first problem is the one to fix first */
	va_start(ap, fmt);
	vsnprintf(t->note, sizeof(t->note), fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->len)
		return err;
	va_start(ap, fmt);
	n = vsnprintf(c->why, c->len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < c->len)
		snprintf(c->why + n, c->len - (size_t)n, ": %s", strerror(-err));
	return err;
}

static bool is_pair(const char *kind)
{
	return !strcmp(kind, "veth") || !strcmp(kind, "netkit") || !strcmp(kind, "vxcan");
}

/* The sysfs class a tap-like kind's character device is in, or NULL. */
static const char *tap_class(const char *kind)
{
	if (!strcmp(kind, "macvtap") || !strcmp(kind, "ipvtap"))
		return kind;
	return NULL;
}

/*
 * An nsid is a number this namespace gave another one, and nothing names
 * a namespace by it: ask, for each namespace we hold an fd of, which id it
 * has here. RTM_GETNSID with NETNSA_FD reads an id without assigning one.
 */
static int on_nsid(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct rtgenmsg))
		if (mnl_attr_get_type(a) == NETNSA_NSID && !mnl_attr_validate(a, MNL_TYPE_U32))
			*(int *)data = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int nsid_of(struct nl *nl, int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int id = -1;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtgenmsg));
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	return nl_request(nl, nlh, on_nsid, &id) ? -1 : id;
}

static bool nsid_wanted(const struct ns_raw *r, int id)
{
	for (size_t i = 0; i < r->nlinks; i++)
		if (r->links[i].link_netnsid == id)
			return true;
	return false;
}

/*
 * Our namespaces are asked in netns_scan()'s order, init first: the peer of
 * a container's veth is usually there, and the asking stops once every id
 * is known.
 */
static int resolve_nsids(struct ctx *c, struct nl *nl, struct ns_raw *r)
{
	size_t want = 0;
	int id;

	for (size_t i = 0; i < r->nlinks; i++)
		if (r->links[i].link_netnsid >= 0)
			want++;
	if (!want)
		return 0;
	r->ids = calloc(want, sizeof(*r->ids));	/* at most one id per link */
	if (!r->ids)
		return -ENOMEM;
	for (size_t i = 0; want && i < c->nall; i++) {
		if (c->all[i].inum == r->inum)
			continue;
		id = nsid_of(nl, c->all[i].fd);
		if (id < 0 || !nsid_wanted(r, id))
			continue;
		r->ids[r->nids].id = id;
		r->ids[r->nids++].inum = c->all[i].inum;
		for (size_t k = 0; k < r->nlinks; k++)
			if (r->links[k].link_netnsid == id)
				want--;
	}
	return 0;
}

static uint32_t nsid_inum(const struct ns_raw *r, int id)
{
	for (size_t i = 0; i < r->nids; i++)
		if (r->ids[i].id == id)
			return r->ids[i].inum;
	return 0;
}

/* Offloads over ethtool netlink; a kernel without it leaves them unknown. */
static void read_offloads(struct ctx *c, struct ns_raw *r)
{
	struct nl g;
	int err = nl_open(&g, NETLINK_GENERIC);

	if (!err && !c->ethtool_family && !c->ethtool_absent) {
		err = nl_genl_family(&g, "ethtool", &c->ethtool_family);
		c->ethtool_absent = err != 0;
	}
	if (!err && c->ethtool_family)
		err = ethtool_offloads_dump(&g, c->ethtool_family, &r->off, &r->noff);
	if (err)
		note(c->t, "offloads unknown: ethtool netlink: %s", strerror(-err));
	nl_close(&g);
}

/*
 * A detached sysfs mount made here shows this namespace's devices (sysfs
 * tags a superblock with the mounter's namespace): nothing is attached to
 * any mount tree, and closing the fd ends it. Needs CAP_SYS_ADMIN.
 */
static int sysfs_here(void)
{
	int fs = fsopen("sysfs", FSOPEN_CLOEXEC), mnt;

	if (fs < 0)
		return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		mnt = -errno;
		close(fs);
		return mnt;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		mnt = -errno;
	close(fs);
	return mnt;
}

/*
 * A macvtap's minor is the lowest free one of its major (an IDR in
 * drivers/net/tap.c), not its ifindex: read the dev file of the class
 * device the driver names "tap<ifindex>".
 */
static int read_chr(int mnt, const struct link_stats *l, const char *cls, unsigned int *mm)
{
	char path[96], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "class/net/%s/%s/tap%d/dev", l->ifname, cls, l->ifindex);
	fd = openat(mnt, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	return sscanf(buf, "%u:%u", &mm[0], &mm[1]) == 2 ? 0 : -EIO;
}

static void read_chardevs(struct ctx *c, struct ns_raw *r)
{
	int mnt = -1, err = 0;
	const char *cls;

	for (size_t i = 0; i < r->nlinks && !err; i++) {
		cls = tap_class(r->links[i].kind);
		if (!cls)
			continue;
		if (mnt < 0 && (mnt = sysfs_here()) < 0) {
			err = mnt;
			break;
		}
		err = read_chr(mnt, &r->links[i], cls, r->chr[i]);
		if (err == -ENOENT)	/* gone since the dump */
			err = 0;
	}
	if (mnt >= 0)
		close(mnt);
	if (err)
		note(c->t, "macvtap readers unknown: its sysfs device: %s", strerror(-err));
}

/* Everything read inside the namespace; the caller has entered it. */
static int read_ns(struct ctx *c, struct ns_raw *r, const char *name)
{
	struct nl nl;
	int err = nl_open(&nl, NETLINK_ROUTE);

	if (err)
		return fail(c, err, "cannot open rtnetlink in namespace %s", name);
	err = linkstats_dump(&nl, &r->links, &r->nlinks);
	if (err) {
		fail(c, err, "cannot list the links of namespace %s", name);
		goto err_close;
	}
	err = qdiscstats_dump(&nl, &r->qd, &r->nqd);
	if (err) {
		fail(c, err, "cannot list the qdiscs of namespace %s", name);
		goto err_close;
	}
	r->chr = calloc(r->nlinks ? r->nlinks : 1, sizeof(*r->chr));
	if (!r->chr || resolve_nsids(c, &nl, r)) {
		err = fail(c, -ENOMEM, "namespace %s", name);
		goto err_close;
	}
	read_offloads(c, r);
	read_chardevs(c, r);
err_close:
	nl_close(&nl);
	return err;
}

static void raw_free(struct ns_raw *r)
{
	free(r->links);
	free(r->qd);
	free(r->off);
	free(r->chr);
	free(r->ids);
	memset(r, 0, sizeof(*r));
}

static const char *macvlan_mode_name(uint32_t m)
{
	switch (m) {
	case MACVLAN_MODE_PRIVATE:
		return "private";
	case MACVLAN_MODE_VEPA:
		return "vepa";
	case MACVLAN_MODE_BRIDGE:
		return "bridge";
	case MACVLAN_MODE_PASSTHRU:
		return "passthru";
	case MACVLAN_MODE_SOURCE:
		return "source";
	}
	return "";
}

/* Root first, then the rest as the dump gave them. */
static int dev_qdiscs(struct topo_dev *d, const struct ns_raw *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nqd; i++)
		n += r->qd[i].ifindex == d->ifindex;
	if (!n)
		return 0;
	d->qdiscs = calloc(n, sizeof(*d->qdiscs));
	if (!d->qdiscs)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->nqd; i++) {
			const struct qdisc_stats *q = &r->qd[i];
			struct topo_qdisc *o = &d->qdiscs[d->nqdiscs];

			if (q->ifindex != d->ifindex || q->root != !pass)
				continue;
			o->handle = q->handle;
			o->parent = q->parent;
			memcpy(o->kind, q->kind, sizeof(o->kind));
			d->nqdiscs++;
		}
	topo_qdisc_summary(d);
	return 0;
}

static void dev_link(struct topo_dev *d, const struct link_stats *l, const struct ns_raw *r)
{
	struct topo_link *k = is_pair(d->kind) ? &d->peer : &d->lower;

	if (!l->link)
		return;
	k->ifindex = l->link;
	k->netnsid = l->link_netnsid;
	k->netns = l->link_netnsid < 0 ? r->inum : nsid_inum(r, l->link_netnsid);
}

static void dev_offloads(struct topo_dev *d, const struct ns_raw *r)
{
	for (size_t i = 0; i < r->noff; i++)
		if (r->off[i].ifindex == d->ifindex) {
			d->gro = r->off[i].gro;
			d->gso = r->off[i].gso;
			d->tso = r->off[i].tso;
		}
}

static int dev_from(struct topo_dev *d, const struct ns_raw *r, size_t i)
{
	const struct link_stats *l = &r->links[i];

	d->netns = r->inum;
	d->ifindex = l->ifindex;
	memcpy(d->ifname, l->ifname, sizeof(d->ifname));
	if (l->kind[0])
		memcpy(d->kind, l->kind, sizeof(d->kind));
	else
		snprintf(d->kind, sizeof(d->kind), "%s",
			 l->flags & IFF_LOOPBACK ? "loopback" : "device");
	if (l->tun_type)
		snprintf(d->mode, sizeof(d->mode), "%s",
			 l->tun_type == IFF_TAP ? "tap" : l->tun_type == IFF_TUN ? "tun" : "");
	else
		snprintf(d->mode, sizeof(d->mode), "%s", macvlan_mode_name(l->macvlan_mode));
	d->mtu = l->mtu;
	d->txqlen = l->txqlen;
	d->operstate = l->operstate;
	d->up = l->flags & IFF_UP;
	d->lower_up = l->flags & IFF_LOWER_UP;
	d->peer.netnsid = d->lower.netnsid = -1;
	dev_link(d, l, r);
	d->master = l->master;
	dev_offloads(d, r);
	d->chr_major = r->chr[i][0];
	d->chr_minor = r->chr[i][1];
	return dev_qdiscs(d, r);
}

static int dev_cmp(const void *pa, const void *pb)
{
	const struct topo_dev *a = pa, *b = pb;

	return (a->ifindex > b->ifindex) - (a->ifindex < b->ifindex);
}

static int add_devs(struct topo *t, const struct ns_raw *r)
{
	struct topo_dev *v = realloc(t->dev, (t->ndev + r->nlinks + 1) * sizeof(*v));
	size_t first = t->ndev;
	int err = 0;

	if (!v)
		return -ENOMEM;
	t->dev = v;
	for (size_t i = 0; i < r->nlinks && !err; i++) {
		memset(&v[t->ndev], 0, sizeof(*v));
		err = dev_from(&v[t->ndev++], r, i);
	}
	qsort(v + first, t->ndev - first, sizeof(*v), dev_cmp);
	return err;
}

/* Enter @ns (unless it is ours), read it, come back. */
static int visit(struct ctx *c, const struct netns *ns)
{
	struct ns_raw r = { .inum = ns->inum };
	int saved = -1, err, rerr;

	if (ns->inum != c->self) {
		err = netns_enter(ns->fd, &saved);
		if (err)
			return fail(c, err, "cannot enter namespace %s%s", ns->name,
				    err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	}
	err = read_ns(c, &r, ns->name);
	if (saved >= 0) {
		/* Then this thread is stuck there: nothing more is read. */
		rerr = netns_restore(saved);
		if (rerr)
			err = fail(c, rerr, "cannot return from namespace %s", ns->name);
	}
	if (!err) {
		err = add_devs(c->t, &r);
		if (err)
			fail(c, err, "namespace %s", ns->name);
	}
	raw_free(&r);
	return err;
}

static void name_link(const struct topo *t, struct topo_link *k)
{
	const struct topo_dev *o;

	if (!k->ifindex || !k->netns)
		return;
	o = topo_find(t, k->netns, k->ifindex);
	if (o)
		memcpy(k->ifname, o->ifname, sizeof(k->ifname));
}

static void name_links(struct topo *t)
{
	const struct topo_dev *m;

	for (size_t i = 0; i < t->ndev; i++) {
		struct topo_dev *d = &t->dev[i];

		name_link(t, &d->peer);
		name_link(t, &d->lower);
		m = d->master ? topo_find(t, d->netns, d->master) : NULL;
		if (m)
			memcpy(d->master_name, m->ifname, sizeof(d->master_name));
	}
}

/* The namespaces asked for, in the caller's order, each once. */
static int pick(struct ctx *c, const uint32_t *inums, size_t n)
{
	struct topo *t = c->t;
	size_t want = n ? n : c->nall;

	t->ns = calloc(want ? want : 1, sizeof(*t->ns));
	if (!t->ns)
		return fail(c, -ENOMEM, "namespaces");
	for (size_t i = 0; i < want; i++) {
		uint32_t inum = n ? inums[i] : c->all[i].inum;
		size_t k;

		if (topo_ns_name(t, inum))
			continue;
		for (k = 0; k < c->nall && c->all[k].inum != inum; k++)
			;
		if (k == c->nall) {
			snprintf(c->why, c->len, "no network namespace with inode %u", inum);
			return -ENOENT;
		}
		t->ns[t->nns].inum = inum;
		memcpy(t->ns[t->nns++].name, c->all[k].name, sizeof(t->ns->name));
	}
	return 0;
}

static const struct netns *find_all(const struct ctx *c, uint32_t inum)
{
	for (size_t i = 0; i < c->nall; i++)
		if (c->all[i].inum == inum)
			return &c->all[i];
	return NULL;
}

int topo_collect(struct topo *t, const uint32_t *inums, size_t n, char *why, size_t len)
{
	struct netns *all = NULL;
	struct ctx c = { .t = t, .why = why, .len = len };
	int err;

	memset(t, 0, sizeof(*t));
	if (len)
		why[0] = 0;
	err = netns_current_inum(&c.self);
	if (err)
		return fail(&c, err, "cannot read this thread's namespace");
	err = netns_scan(&all, &c.nall);
	if (err)
		return fail(&c, err, "cannot list the network namespaces");
	c.all = all;
	err = pick(&c, inums, n);
	for (size_t i = 0; !err && i < t->nns; i++)
		err = visit(&c, find_all(&c, t->ns[i].inum));
	netns_free(all, c.nall);
	if (!err) {
		name_links(t);
		err = topo_readers_find(t);
		if (err)
			fail(&c, err, "cannot look for the readers of tun and macvtap devices");
	}
	if (err)
		topo_free(t);
	return err;
}

const struct topo_dev *topo_find(const struct topo *t, uint32_t netns, int ifindex)
{
	for (size_t i = 0; i < t->ndev; i++)
		if (t->dev[i].netns == netns && t->dev[i].ifindex == ifindex)
			return &t->dev[i];
	return NULL;
}

const char *topo_ns_name(const struct topo *t, uint32_t inum)
{
	for (size_t i = 0; i < t->nns; i++)
		if (t->ns[i].inum == inum)
			return t->ns[i].name;
	return NULL;
}

void topo_free(struct topo *t)
{
	for (size_t i = 0; i < t->ndev; i++) {
		free(t->dev[i].qdiscs);
		free(t->dev[i].readers);
	}
	free(t->dev);
	free(t->ns);
	memset(t, 0, sizeof(*t));
}
