// SPDX-License-Identifier: GPL-2.0
/*
 * Prints linkstats_dump() of the current namespace, one interface a line.
 * "linkdump badkind": asks to create a link of an unknown kind and prints
 * the errno and the kernel's extack message (checks nl.c's error path).
 */
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

int main(int argc, char **argv)
{
	struct link_stats *v;
	char err[256];
	size_t n;

	if (argc > 1 && !strcmp(argv[1], "badkind"))
		return bad_kind();
	if (linkstats_dump(&v, &n, err, sizeof(err))) {
		fprintf(stderr, "linkdump: %s\n", err);
		return 1;
	}
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
