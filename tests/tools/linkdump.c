// SPDX-License-Identifier: GPL-2.0
/*
 * Prints linkstats_dump() of the current namespace, one interface a line.
 * "linkdump badkind": asks to create a link of an unknown kind and prints
 * the errno and the kernel's extack message (checks nl.c's error path).
 * "linkdump abort": a link dump whose callback fails at once, then
 * linkstats_dump() on the same socket; prints both results and the count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "linkstats.h"
#include "nl.h"

static int bad_kind(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info;
	struct nl nl;
	int err;

	if (nl_open(&nl, NETLINK_ROUTE))
		return 1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "dsbad0");
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "nosuchkind");
	mnl_attr_nest_end(nlh, info);
	err = nl_request(&nl, nlh, NULL, NULL);
	printf("%d %s\n", err, nl.err);
	nl_close(&nl);
	return 0;
}

static int fail_at_once(const struct nlmsghdr *nlh, void *data)
{
	errno = ENOMEM;
	return MNL_CB_ERROR;
}

/* The failed dump's rest must not be mistaken for the next reply. */
static int abort_then_dump(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct link_stats *v = NULL;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nl nl;
	size_t n = 0;
	int e1, e2;

	if (nl_open(&nl, NETLINK_ROUTE))
		return 1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	e1 = nl_request(&nl, nlh, fail_at_once, NULL);
	e2 = linkstats_dump(&nl, &v, &n);
	printf("%d %d %zu\n", e1, e2, n);
	free(v);
	nl_close(&nl);
	return 0;
}

int main(int argc, char **argv)
{
	struct link_stats *v;
	struct nl nl;
	size_t n;
	int err;

	if (argc > 1 && !strcmp(argv[1], "badkind"))
		return bad_kind();
	if (argc > 1 && !strcmp(argv[1], "abort"))
		return abort_then_dump();
	err = nl_open(&nl, NETLINK_ROUTE);
	if (!err)
		err = linkstats_dump(&nl, &v, &n);
	if (err) {
		fprintf(stderr, "linkdump: %s\n", nl.err[0] ? nl.err : strerror(-err));
		nl_close(&nl);
		return 1;
	}
	nl_close(&nl);
	for (size_t i = 0; i < n; i++)
		printf("%d %s %s %d %d %d %llu %llu %llu %llu %llu %llu\n", v[i].ifindex,
		       v[i].ifname, v[i].kind[0] ? v[i].kind : "-", v[i].link,
		       v[i].link_netnsid, v[i].master,
		       (unsigned long long)v[i].rx_packets, (unsigned long long)v[i].tx_packets,
		       (unsigned long long)v[i].rx_bytes, (unsigned long long)v[i].tx_bytes,
		       (unsigned long long)v[i].rx_dropped, (unsigned long long)v[i].tx_dropped);
	free(v);
	return 0;
}
