/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The project's one netlink helper (libmnl): requests with extended acks,
 * so a failure carries the kernel's own reason, as iproute2 prints it.
 */
#ifndef DS_NL_H
#define DS_NL_H

#include <stddef.h>
#include <libmnl/libmnl.h>

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char err[256];		/* the kernel's extack message of the last failure */
};

/* Return: 0 or -errno. */
int nl_open(struct nl *nl, int bus);
void nl_close(struct nl *nl);

/**
 * nl_request() - send @nlh (seq is set here) and run @cb (may be NULL) on
 * every reply message until the dump or ack ends.
 *
 * After @cb returns MNL_CB_STOP or MNL_CB_ERROR (with errno set) it is not
 * called again, but the reply is still read to its end, so the socket is
 * ready for the next request.
 * Return: 0, the callback's -errno, or -errno with nl->err holding the
 * extack text when the kernel gave one.
 */
int nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

/**
 * nl_dump() - dump every object of rtnetlink message @type (RTM_GETLINK,
 * RTM_GETQDISC ...) in all families: the request carries a zeroed family
 * header of @hdrlen bytes (struct ifinfomsg, struct tcmsg ...), whose first
 * byte is the family, AF_UNSPEC. @cb sees each reply as in nl_request().
 * Return: as nl_request().
 */
int nl_dump(struct nl *nl, uint16_t type, size_t hdrlen, mnl_cb_t cb, void *data);

/* What a dump callback collects: @n elements of @size bytes at @v. */
struct nl_array {
	void *v;
	size_t n, cap;
};

/* A zeroed element appended to @a (the array grows); NULL when out of memory. */
void *nl_array_add(struct nl_array *a, size_t size);
/**
 * nl_dump_array() - nl_dump() whose @cb appends to the struct nl_array it
 * is given (nl_array_add()). Return: 0 with the array in @out (free() it)
 * and its length in @n, or -errno with nothing kept.
 */
int nl_dump_array(struct nl *nl, uint16_t type, size_t hdrlen, mnl_cb_t cb, void **out,
		  size_t *n);

/**
 * nl_genl_msg() - start a generic netlink request in @buf (at least
 * MNL_SOCKET_BUFFER_SIZE bytes): family @family, command @cmd of version
 * @version, nlmsg_flags @flags (NLM_F_REQUEST is added). Attributes follow
 * with mnl_attr_put*(); send it with nl_request().
 */
struct nlmsghdr *nl_genl_msg(char *buf, uint16_t family, uint8_t cmd, uint8_t version,
			     uint16_t flags);

/**
 * nl_genl_family() - the id of generic netlink family @name ("ethtool") over
 * @nl (NETLINK_GENERIC). Ids are the kernel's, the same in every namespace.
 * Return: 0, -ENOENT when this kernel has no such family, or -errno.
 */
int nl_genl_family(struct nl *nl, const char *name, uint16_t *id);

#endif
