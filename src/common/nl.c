// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"

int nl_open(struct nl *nl, int bus)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sock = mnl_socket_open(bus);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID)) {
		int err = -errno;

		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return err;
	}
	/* Like iproute2: ask for the kernel's reason with every error. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* mnl hands one pointer to every callback: the socket and the caller's. */
struct req_ctx {
	struct nl *nl;
	mnl_cb_t cb;
	void *data;
	int cb_err;		/* the caller's callback failed: -errno */
	bool cb_stop;		/* ... or asked to stop */
};

/*
 * When the caller's callback fails or stops, the rest of the reply is still
 * read, just not passed on: left in the socket it would be the start of the
 * next request's reply, refused for its sequence number (EPROTO), and a
 * socket kept open to sample a namespace for hours would fail from then on.
 */
static int on_data(const struct nlmsghdr *nlh, void *p)
{
	struct req_ctx *c = p;
	int ret;

	if (!c->cb || c->cb_err || c->cb_stop)
		return MNL_CB_OK;
	errno = 0;
	ret = c->cb(nlh, c->data);
	if (ret == MNL_CB_ERROR)
		c->cb_err = errno ? -errno : -EIO;
	else if (ret == MNL_CB_STOP)
		c->cb_stop = true;
	return MNL_CB_OK;
}

static int extack_attr(const struct nlattr *a, void *data)
{
	struct nl *nl = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
		snprintf(nl->err, sizeof(nl->err), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: errno from the header, the message from the extack TLVs. */
static int on_error(const struct nlmsghdr *nlh, void *p)
{
	struct req_ctx *c = p;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned int off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	if (!e->error)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* Without NLM_F_CAPPED the request is echoed before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		mnl_attr_parse(nlh, off, extack_attr, c->nl);
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

/*
 * With a control array, libmnl runs no default for the entries left NULL:
 * DONE must stop the loop itself. It may carry a dump's error code too.
 */
static int on_done(const struct nlmsghdr *nlh, void *p)
{
	int err = 0;

	(void)p;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

int nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = on_error,
		[NLMSG_DONE] = on_done,
	};
	struct req_ctx c = { .nl = nl, .cb = cb, .data = data };
	char buf[32768];	/* as iproute2: room for a dump batch */
	unsigned int seq = ++nl->seq;
	ssize_t n;
	int ret;

	nl->err[0] = 0;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		/* A signal (Ctrl-C before a last sample) must not cut a reply in two. */
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		errno = 0;
		ret = mnl_cb_run2(buf, (size_t)n, seq, nl->portid, on_data, &c, ctl,
				  NLMSG_MIN_TYPE);
		if (ret <= MNL_CB_STOP)
			break;
	}
	if (c.cb_err)
		return c.cb_err;
	return ret < 0 ? (errno ? -errno : -EIO) : 0;
}

int nl_dump(struct nl *nl, uint16_t type, size_t hdrlen, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	mnl_nlmsg_put_extra_header(nlh, hdrlen);	/* zeroed: AF_UNSPEC */
	return nl_request(nl, nlh, cb, data);
}

void *nl_array_add(struct nl_array *a, size_t size)
{
	char *slot;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void *v = realloc(a->v, cap * size);

		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	slot = (char *)a->v + a->n++ * size;
	memset(slot, 0, size);
	return slot;
}

int nl_dump_array(struct nl *nl, uint16_t type, size_t hdrlen, mnl_cb_t cb, void **out,
		  size_t *n)
{
	struct nl_array a = { 0 };
	int err = nl_dump(nl, type, hdrlen, cb, &a);

	if (err) {
		free(a.v);
		return err;
	}
	*out = a.v;
	*n = a.n;
	return 0;
}

struct nlmsghdr *nl_genl_msg(char *buf, uint16_t family, uint8_t cmd, uint8_t version,
			     uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct family_id {
	uint16_t id;
	bool found;
};

static int family_attr(const struct nlattr *a, void *data)
{
	struct family_id *f = data;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && !mnl_attr_validate(a, MNL_TYPE_U16)) {
		f->id = mnl_attr_get_u16(a);
		f->found = true;
	}
	return MNL_CB_OK;
}

static int on_family(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, data);
	return MNL_CB_OK;
}

int nl_genl_family(struct nl *nl, const char *name, uint16_t *id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_id f = { 0 };
	struct nlmsghdr *nlh;
	int err;

	/* The ack ends the exchange: a plain request has no NLMSG_DONE. */
	nlh = nl_genl_msg(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = nl_request(nl, nlh, on_family, &f);
	if (err)
		return err;
	if (!f.found)
		return -ENOENT;
	*id = f.id;
	return 0;
}
