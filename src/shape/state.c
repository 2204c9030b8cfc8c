// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "state.h"
#include "tcnl.h"

#define STATE_MAGIC "DSSHAPE1"
#define STATE_FILE_MAX (64U << 20)
/* A replayed request is built in MNL_SOCKET_BUFFER_SIZE, at least a 4 KiB page. */
#define STATE_MSG_MAX (4096U - 64)

struct state_hdr {
	char magic[8];
	int32_t ifindex;
	char ifname[IF_NAMESIZE];
	uint64_t netns_ino, time;
	uint32_t len;		/* bytes of messages that follow */
};

struct buf {
	char *p;
	size_t n, cap;
	int ifindex;
};

static int keep(const struct nlmsghdr *nlh, void *data)
{
	struct buf *b = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm) || tcm->tcm_ifindex != b->ifindex)
		return MNL_CB_OK;
	/* Ingress and clsact are never touched by the shaper: not saved. */
	/* (TC_H_ROOT shares their major ffff:, so compare whole ids.) */
	if (tcm->tcm_parent != TC_H_ROOT &&
	    (TC_H_MAJ(tcm->tcm_parent) == TC_H_MAJ(TC_H_INGRESS) ||
	     TC_H_MAJ(tcm->tcm_handle) == TC_H_MAJ(TC_H_INGRESS)))
		return MNL_CB_OK;
	if (b->n + len > b->cap) {
		size_t cap = (b->cap + len) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return MNL_CB_ERROR;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, nlh, nlh->nlmsg_len);
	memset(b->p + b->n + nlh->nlmsg_len, 0, len - nlh->nlmsg_len);
	b->n += len;
	return MNL_CB_OK;
}

static int dump(struct nl *nl, uint16_t type, int ifindex, uint32_t parent, struct buf *b)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct tcmsg *tcm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	return nl_request(nl, nlh, keep, b);
}

/* Filters hang on classful qdiscs and on classes: dump each such parent's. */
static int dump_filters(struct nl *nl, int ifindex, struct buf *b)
{
	size_t end = b->n;
	int err = 0;

	for (size_t off = 0; !err && off < end;) {
		const struct nlmsghdr *nlh = (const void *)(b->p + off);
		const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_type == RTM_NEWTCLASS ||
		    (nlh->nlmsg_type == RTM_NEWQDISC && tcm->tcm_handle))
			err = dump(nl, RTM_GETTFILTER, ifindex, tcm->tcm_handle, b);
	}
	return err;
}

static int write_file(const char *path, const struct state_hdr *h, const struct buf *b)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	if (fwrite(h, sizeof(*h), 1, f) != 1 || (b->n && fwrite(b->p, b->n, 1, f) != 1))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		remove(tmp);
	return err;
}

int shape_state_save(struct nl *nl, int ifindex, const char *path)
{
	struct state_hdr h = { .magic = STATE_MAGIC, .ifindex = ifindex };
	struct buf b = { .ifindex = ifindex };
	struct stat st;
	int err;

	if (!if_indextoname(ifindex, h.ifname))
		return -ENODEV;
	if (!stat("/proc/self/ns/net", &st))
		h.netns_ino = st.st_ino;
	h.time = (uint64_t)time(NULL);
	err = dump(nl, RTM_GETQDISC, ifindex, 0, &b);
	if (!err)
		err = dump(nl, RTM_GETTCLASS, ifindex, 0, &b);
	if (!err)
		err = dump_filters(nl, ifindex, &b);
	h.len = (uint32_t)b.n;
	if (!err)
		err = write_file(path, &h, &b);
	free(b.p);
	return err;
}

/* The whole file into *@buf (free() it), at most STATE_FILE_MAX bytes. */
static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "r");
	struct stat st;
	int err = 0;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st))
		err = -errno;
	else if (st.st_size > (off_t)STATE_FILE_MAX)
		err = -EFBIG;
	*len = err ? 0 : (size_t)st.st_size;
	if (!err && !(*buf = malloc(*len ? *len : 1)))
		err = -ENOMEM;
	/* A file that changes size under us is read as what it held at fstat(). */
	if (!err && *len && fread(*buf, *len, 1, f) != 1)
		err = -EIO;
	fclose(f);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* The attributes that configure an object; stats and the like stay out. */
static bool config_attr(uint16_t type)
{
	return type == TCA_KIND || type == TCA_OPTIONS || type == TCA_STAB || type == TCA_CHAIN;
}

/*
 * HTB dumps its version as HTB_VER (0x30011) but its init wants the major
 * alone (3): patch the copy. A no-op for every other kind.
 */
static void htb_version(struct nlmsghdr *nlh)
{
	struct nlattr *a, *o;
	bool htb = false;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
		if (mnl_attr_get_type(a) == TCA_KIND && !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			htb = !strcmp(mnl_attr_get_str(a), "htb");
	if (!htb)
		return;
	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg)) {
		if (mnl_attr_get_type(a) != TCA_OPTIONS)
			continue;
		mnl_attr_for_each_nested(o, a) {
			struct tc_htb_glob g;

			if (mnl_attr_get_type(o) != TCA_HTB_INIT ||
			    mnl_attr_get_payload_len(o) < sizeof(g))
				continue;
			memcpy(&g, mnl_attr_get_payload(o), sizeof(g));
			g.version = 3;	/* HTB_VER >> 16: sch_htb.c keeps HTB_VER private */
			g.direct_pkts = 0;
			memcpy(mnl_attr_get_payload(o), &g, sizeof(g));
		}
	}
}

/* u32 dumps the state bit "not in hardware", which a request may not carry. */
static void u32_flags(struct nlmsghdr *nlh)
{
	struct nlattr *a, *o;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg)) {
		if (mnl_attr_get_type(a) != TCA_OPTIONS)
			continue;
		mnl_attr_for_each_nested(o, a) {
			uint32_t f;

			if (mnl_attr_get_type(o) != TCA_U32_FLAGS || mnl_attr_validate(o, MNL_TYPE_U32))
				continue;
			f = mnl_attr_get_u32(o) & ~(TCA_CLS_FLAGS_IN_HW | TCA_CLS_FLAGS_NOT_IN_HW);
			memcpy(mnl_attr_get_payload(o), &f, sizeof(f));
		}
	}
}

/*
 * A u32 hash table of one bucket: the root table the kernel makes with a
 * filter chain's first key (800: for a qdisc's first chain, 801: for the
 * next chain of the same qdisc, on a class too: they share one handle
 * space). Re-created by hand it exists already (EEXIST).
 */
static bool u32_root_table(const struct nlmsghdr *nlh)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *o;
	bool u32 = false, one = false;

	if (!t->tcm_handle || (t->tcm_handle & 0xfffff))
		return false;	/* the chain's own line, or a key */
	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg)) {
		if (mnl_attr_get_type(a) == TCA_KIND)
			u32 = !mnl_attr_validate(a, MNL_TYPE_NUL_STRING) &&
			      !strcmp(mnl_attr_get_str(a), "u32");
		if (mnl_attr_get_type(a) != TCA_OPTIONS)
			continue;
		mnl_attr_for_each_nested(o, a)
			if (mnl_attr_get_type(o) == TCA_U32_DIVISOR &&
			    !mnl_attr_validate(o, MNL_TYPE_U32))
				one = mnl_attr_get_u32(o) == 1;
	}
	return u32 && one;
}

static int replay(struct nl *nl, const struct nlmsghdr *saved, uint16_t type)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const struct nlattr *a;
	struct tcmsg *tcm;

	if (saved->nlmsg_len > sizeof(buf) - 64)
		return -E2BIG;
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	memcpy(tcm, mnl_nlmsg_get_payload(saved), sizeof(*tcm));
	/* A dump's tcm_info is a refcnt (qdisc) or the leaf (class); a filter's, prio and protocol. */
	if (type != RTM_NEWTFILTER)
		tcm->tcm_info = 0;
	mnl_attr_for_each(a, saved, sizeof(*tcm))
		if (config_attr(mnl_attr_get_type(a)))
			mnl_attr_put(nlh, mnl_attr_get_type(a), mnl_attr_get_payload_len(a),
				     mnl_attr_get_payload(a));
	if (type == RTM_NEWQDISC)
		htb_version(nlh);
	if (type == RTM_NEWTFILTER)
		u32_flags(nlh);
	return nl_request(nl, nlh, NULL, NULL);
}

__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A message's attributes tile its payload after the tcmsg: each inside, none short. */
static bool attrs_ok(const char *p, uint32_t len)
{
	uint32_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct tcmsg));

	while (off < len) {
		struct nlattr a;

		if (len - off < sizeof(a))
			return false;
		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len - off)
			return false;
		off += NLA_ALIGN(a.nla_len);
	}
	return true;
}

/* Message @i at @p, @left bytes to the end: framed as the saver writes it. */
static int msg_ok(const char *p, uint32_t left, unsigned int i, char *err, size_t errlen)
{
	struct nlmsghdr h;

	if (left < sizeof(h))
		return bad(err, errlen, "message %u cut after %u bytes", i, left);
	memcpy(&h, p, sizeof(h));
	if (h.nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) || NLMSG_ALIGN(h.nlmsg_len) > left ||
	    NLMSG_ALIGN(h.nlmsg_len) < h.nlmsg_len)
		return bad(err, errlen, "message %u: length %u, %u bytes left", i, h.nlmsg_len,
			   left);
	if (h.nlmsg_len > STATE_MSG_MAX)
		return bad(err, errlen, "message %u: length %u above %u", i, h.nlmsg_len,
			   STATE_MSG_MAX);
	if (h.nlmsg_type != RTM_NEWQDISC && h.nlmsg_type != RTM_NEWTCLASS &&
	    h.nlmsg_type != RTM_NEWTFILTER)
		return bad(err, errlen, "message %u: type %u, not a qdisc, class or filter", i,
			   h.nlmsg_type);
	if (!attrs_ok(p, h.nlmsg_len))
		return bad(err, errlen, "message %u: attributes overrun it", i);
	return 0;
}

int shape_state_parse(const void *buf, size_t len, struct shape_state_view *v, char *err,
		      size_t errlen)
{
	const char *p = buf;
	struct state_hdr h;
	int ret;

	memset(v, 0, sizeof(*v));
	if (len < sizeof(h))
		return bad(err, errlen, "truncated header (%zu of %zu bytes)", len, sizeof(h));
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, STATE_MAGIC, sizeof(h.magic)))
		return bad(err, errlen, "not a shaper state file (no magic %s)", STATE_MAGIC);
	if (h.len != len - sizeof(h))
		return bad(err, errlen, "%s: the header says %u bytes of messages, the file holds %zu",
			   h.len > len - sizeof(h) ? "truncated" : "trailing bytes", h.len,
			   len - sizeof(h));
	if (h.ifindex <= 0 || !h.ifname[0] || !memchr(h.ifname, 0, sizeof(h.ifname)))
		return bad(err, errlen, "bad device (ifindex %d)", h.ifindex);
	for (uint32_t off = 0; off < h.len; v->n++) {
		struct nlmsghdr m;

		ret = msg_ok(p + sizeof(h) + off, h.len - off, v->n, err, errlen);
		if (ret)
			return ret;
		memcpy(&m, p + sizeof(h) + off, sizeof(m));
		off += NLMSG_ALIGN(m.nlmsg_len);
	}
	v->ifindex = h.ifindex;
	memcpy(v->ifname, h.ifname, sizeof(v->ifname));
	v->netns_ino = h.netns_ino;
	v->time = h.time;
	v->msgs = p + sizeof(h);
	v->len = h.len;
	return 0;
}

#define FOR_MSG(nlh, p, len)                                                   \
	for (const struct nlmsghdr *nlh = (const void *)(p);                   \
	     (const char *)nlh < (p) + (len);                                  \
	     nlh = (const void *)((const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len)))

static bool has(const uint32_t *v, unsigned int n, uint32_t x)
{
	for (unsigned int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/*
 * Qdiscs and classes, each once its parent exists: a class dump is in hash
 * order, not parent first. A non-root qdisc of handle 0 is its parent's
 * default and comes back with it.
 */
static int replay_tree(struct nl *nl, const char *p, uint32_t len)
{
	uint32_t made[1024];
	unsigned int n = 0, before;
	int err = 0;

	do {
		before = n;
		FOR_MSG(nlh, p, len) {
			const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
			bool q = nlh->nlmsg_type == RTM_NEWQDISC;
			uint32_t id = q ? TC_H_MAJ(t->tcm_handle) : t->tcm_handle;
			bool ready;

			if ((nlh->nlmsg_type != RTM_NEWQDISC && nlh->nlmsg_type != RTM_NEWTCLASS) ||
			    !t->tcm_handle || has(made, n, id) || n == 1024)
				continue;
			if (q)
				ready = t->tcm_parent == TC_H_ROOT || has(made, n, t->tcm_parent);
			else
				ready = has(made, n, TC_H_MAJ(t->tcm_handle)) &&
					(t->tcm_parent == TC_H_ROOT || has(made, n, t->tcm_parent));
			if (!ready)
				continue;
			err = replay(nl, nlh, q ? RTM_NEWQDISC : RTM_NEWTCLASS);
			/* tbf's 5:1, prio's bands: classes that come with their qdisc. */
			if (err == -EEXIST && !q)
				err = 0;
			if (err)
				return err;
			made[n++] = id;
		}
	} while (n != before);
	return 0;
}

static int replay_filters(struct nl *nl, const char *p, uint32_t len)
{
	int err = 0;

	FOR_MSG(nlh, p, len) {
		const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != RTM_NEWTFILTER)
			continue;
		/* Handle 0 is the filter chain's own line; a root table comes with its first key. */
		if (!t->tcm_handle || u32_root_table(nlh))
			continue;
		err = replay(nl, nlh, RTM_NEWTFILTER);
		if (err)
			return err;
	}
	return 0;
}

int shape_state_device(const char *path, char *ifname, size_t len, char *err, size_t errlen)
{
	struct shape_state_view v;
	char why[200], *buf;
	size_t n;
	int ret = read_file(path, &buf, &n);

	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 ret == -EFBIG ? "too large for a state file" : strerror(-ret));
		return ret;
	}
	ret = shape_state_parse(buf, n, &v, why, sizeof(why));
	if (ret)
		snprintf(err, errlen, "%s: %s", path, why);
	else
		snprintf(ifname, len, "%s", v.ifname);
	free(buf);
	return ret;
}

int shape_state_restore(struct nl *nl, const char *path)
{
	struct shape_state_view v;
	char name[IF_NAMESIZE], why[200], *buf;
	struct stat st;
	size_t len;
	int err = read_file(path, &buf, &len);

	if (err) {
		snprintf(nl->err, sizeof(nl->err), "%s: %s", path,
			 err == -EFBIG ? "too large for a state file" : strerror(-err));
		return err;
	}
	err = shape_state_parse(buf, len, &v, why, sizeof(why));
	if (err)
		snprintf(nl->err, sizeof(nl->err), "%s: %s", path, why);
	/* The same device of the same namespace, or nothing is touched. */
	if (!err && (!if_indextoname(v.ifindex, name) || strcmp(name, v.ifname))) {
		err = -ENODEV;
		snprintf(nl->err, sizeof(nl->err), "%s: saved for %s (ifindex %d), not here", path,
			 v.ifname, v.ifindex);
	}
	if (!err && (stat("/proc/self/ns/net", &st) || st.st_ino != v.netns_ino)) {
		err = -EXDEV;
		snprintf(nl->err, sizeof(nl->err), "%s: saved in another network namespace", path);
	}
	if (!err)
		err = tcnl_root_delete(nl, v.ifindex);
	if (!err)
		err = replay_tree(nl, v.msgs, v.len);
	if (!err)
		err = replay_filters(nl, v.msgs, v.len);
	free(buf);
	return err;
}
