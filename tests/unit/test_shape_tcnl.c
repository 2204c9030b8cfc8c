// SPDX-License-Identifier: GPL-2.0
/*
 * The tree written over rtnetlink, checked against what tc reads back, on
 * the loopback device of a network namespace of the test's own (unshare);
 * skipped without the privilege. The rate table against iproute2's rule.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "state.h"
#include "tcnl.h"
#include "unit.h"

#define MBIT 1000000ULL

static void test_rtab(void)
{
	uint32_t tab[256];
	/* 8 Mbit/s = 1 byte per us = 15.625 ticks; 1514 >> 3 = 189 <= 255: cell_log 3. */
	int cl = tcnl_rtab(8 * MBIT, 1514, tab);

	CHECK(cl == 3, "cell_log %d", cl);
	CHECK(tab[0] == 125 && tab[255] == 32000, "%u %u", tab[0], tab[255]);
	CHECK(tcnl_bytes2ticks(8 * MBIT, 1600) == 25000, "ticks");
}

/* The line of `tc class show dev lo` for @id, or "" */
static void class_line(const char *id, char *out, size_t len)
{
	char cmd[128], line[512];
	FILE *f;

	out[0] = 0;
	snprintf(cmd, sizeof(cmd), "tc class show dev lo classid %s 2>/dev/null", id);
	f = popen(cmd, "r");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f))
		snprintf(out, len, "%s", line);
	pclose(f);
}

/* voice's DSCP 46 (EF): tos 0xb8 of the IPv4 word, 0x0b800000 in IPv6's. */
static void filter_check(void)
{
	char all[4096] = "";
	size_t len = 0;
	FILE *f = popen("tc filter show dev lo parent 1: 2>/dev/null", "r");

	if (!f)
		return;
	len = fread(all, 1, sizeof(all) - 1, f);
	all[len] = 0;
	pclose(f);
	CHECK(strstr(all, "filter protocol ip pref 1 u32") &&
	      strstr(all, "flowid 1:10") && strstr(all, "match 00b80000/00fc0000 at 0"),
	      "%s", all);
	CHECK(strstr(all, "filter protocol ipv6 pref 2 u32") &&
	      strstr(all, "match 0b800000/0fc00000 at 0"), "%s", all);
}

/* Packets sent through class @id, from `tc -s class show`'s "Sent B bytes P pkt". */
static long class_pkts(const char *id)
{
	char cmd[128], line[512];
	long pkts = -1, b;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc -s class show dev lo classid %s 2>/dev/null", id);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " Sent %ld bytes %ld pkt", &b, &pkts) == 2)
			break;
	pclose(f);
	return pkts;
}

/*
 * 10 UDP datagrams to 127.0.0.1:9 with TOS @tos, lo brought up first; a
 * socket bound there takes them, so no ICMP error crosses the qdisc too.
 */
static void send_tos(int tos)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	int rx = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || rx < 0)
		goto close;
	ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ioctl(fd, SIOCSIFFLAGS, &ifr);
	if (bind(rx, (struct sockaddr *)&to, sizeof(to)))
		goto close;
	setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	for (int i = 0; i < 10; i++)
		sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
close:
	if (rx >= 0)
		close(rx);
	if (fd >= 0)
		close(fd);
}

static void desc(struct shape_desc *d, uint64_t root)
{
	memset(d, 0, sizeof(*d));
	d->mtu = 1500;
	d->floor_bps = 20 * MBIT;
	d->line_bps = 80 * MBIT;
	d->root_bps = root;
	d->n = 2;
	d->default_class = 1;
	d->cls[0] = (struct shape_class_desc){ "voice", 2 * MBIT, 5 * MBIT, 0, 20, false, 46 };
	d->cls[1] = (struct shape_class_desc){ "bulk", 8 * MBIT, 0, 7, 10, true, -1 };
}

static void test_create_change(void)
{
	struct shape_desc d;
	struct shape_tree a, b;
	struct shape_plan p;
	char err[128], line[512];
	struct nl nl;
	int ret;

	if (unshare(CLONE_NEWNET)) {
		SKIP("test_create_change", "no CAP_SYS_ADMIN for a network namespace");
		return;
	}
	desc(&d, 40 * MBIT);
	CHECK(shape_tree_build(&d, &a, err, sizeof(err)) == 0, "%s", err);
	desc(&d, 30 * MBIT);
	CHECK(shape_tree_build(&d, &b, err, sizeof(err)) == 0, "%s", err);
	CHECK(nl_open(&nl, NETLINK_ROUTE) == 0, "nl_open");
	ret = tcnl_tree_create(&nl, 1, &a);
	CHECK(ret == 0, "create %d %s", ret, nl.err);
	class_line("1:1", line, sizeof(line));
	CHECK(strstr(line, "rate 40Mbit ceil 40Mbit burst 5000b"), "%s", line);
	class_line("1:11", line, sizeof(line));
	/* bulk: ceil = R; bursts 1 ms at 8 Mbit = 1000 B -> one frame, 1514. */
	CHECK(strstr(line, "leaf 11: prio 7 rate 8Mbit ceil 40Mbit burst 1514b cburst 5000b"),
	      "%s", line);
	filter_check();
	/* EF (tos 0xb8) goes to voice, 1:10; tos 0 to the default, bulk 1:11. */
	send_tos(0xb8);
	send_tos(0);
	CHECK(class_pkts("1:10") == 10 && class_pkts("1:11") == 10, "voice %ld bulk %ld",
	      class_pkts("1:10"), class_pkts("1:11"));
	CHECK(shape_plan(&a, &b, &p) == 0 && p.n == 2, "plan %u", p.n);
	ret = tcnl_plan_write(&nl, 1, &p);
	CHECK(ret == 0, "change %d %s", ret, nl.err);
	class_line("1:11", line, sizeof(line));
	CHECK(strstr(line, "rate 8Mbit ceil 30Mbit burst 1514b cburst 3750b"), "%s", line);
	/* A change never creates: a class that is not there is ENOENT. */
	b.node[1].classid = 0x10099;
	p.n = 1;
	p.w[0] = (struct shape_write){ SHAPE_W_CLASS, 1 };
	p.result = b;
	ret = tcnl_plan_write(&nl, 1, &p);
	CHECK(ret == -ENOENT, "no class: %d '%s'", ret, nl.err);
	/* A refusal comes with the kernel's words (extack): replacing our root htb 1: by one. */
	{
		char buf[MNL_SOCKET_BUFFER_SIZE];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct tcmsg *tcm;

		nlh->nlmsg_type = RTM_NEWQDISC;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
		tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
		tcm->tcm_ifindex = 1;
		tcm->tcm_handle = 0x10000;
		tcm->tcm_parent = TC_H_ROOT;
		mnl_attr_put_strz(nlh, TCA_KIND, "htb");
		mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, TCA_OPTIONS));
		ret = nl_request(&nl, nlh, NULL, NULL);
		CHECK(ret == -EINVAL && strstr(nl.err, "Change operation not supported"),
		      "replace: %d '%s'", ret, nl.err);
	}
	nl_close(&nl);
}

/* What tc shows of @dev, counters aside (no -s). */
static void dev_state(const char *dev, char *out, size_t len)
{
	char cmd[256];
	FILE *f;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "tc qdisc show dev %s; tc class show dev %s; "
		 "tc filter show dev %s", dev, dev, dev);
	f = popen(cmd, "r");
	out[0] = 0;
	if (!f)
		return;
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	pclose(f);
}

/* A copy of state file @path at @out cut to @keep bytes, the u32 at @at (if >= 0) set to @v. */
static bool bad_copy(const char *path, const char *out, long keep, long at, uint32_t v)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	bool ok;

	if (f)
		fclose(f);
	if (!n || (size_t)keep > n || (at >= 0 && (size_t)at + 4 > n))
		return false;
	if (at >= 0)
		memcpy(buf + at, &v, sizeof(v));
	f = fopen(out, "w");
	if (!f)
		return false;
	ok = fwrite(buf, 1, keep, f) == (size_t)keep;
	return !fclose(f) && ok;
}

/* Each truncated or corrupt copy of @path: refused with its reason, @dev's state untouched. */
static void restore_refused(struct nl *nl, const char *dev, const char *path)
{
	static const char *const why[] = { "truncated header", "truncated: the header says",
					   "message 0: length" };
	static char before[16384], after[16384];
	const char *bad = "/tmp/ds_shape_state.bad";
	struct stat st;
	/* The header is 56 bytes; the first message's nlmsg_len right after it. */
	long size = stat(path, &st) ? 0 : (long)st.st_size;
	bool made[3];
	int ret;

	dev_state(dev, before, sizeof(before));
	for (int i = 0; i < 3; i++) {
		if (i == 0)
			made[i] = bad_copy(path, bad, 20, -1, 0);
		else if (i == 1)
			made[i] = size > 56 && bad_copy(path, bad, size - 4, -1, 0);
		else
			made[i] = size > 56 && bad_copy(path, bad, size, 56, 0xffff);
		if (!made[i])
			continue;
		ret = shape_state_restore(nl, bad);
		CHECK(ret == -EINVAL && strstr(nl->err, why[i]) && !strncmp(nl->err, bad, strlen(bad)),
		      "%s: bad copy %d: %d '%s'", dev, i, ret, nl->err);
		dev_state(dev, after, sizeof(after));
		CHECK(!strcmp(before, after), "%s: bad copy %d touched the device", dev, i);
	}
	/* lo's noqueue saves no message: a header alone. */
	CHECK(made[0] && (size == 56 || (made[1] && made[2])), "%s: copies of %ld bytes", dev, size);
	remove(bad);
}

/* @setup (a user's own tc state) survives our tree and its restore exactly. */
static void restore_case_on(struct nl *nl, const char *dev, const char *setup)
{
	char cmd[128];
	int ifindex = (int)if_nametoindex(dev);
	static char before[16384], after[16384];
	const char *path = "/tmp/ds_shape_state.test";
	struct shape_desc d;
	struct shape_tree t;
	char err[128];
	int ret;

	snprintf(cmd, sizeof(cmd), "tc qdisc del dev %s root 2>/dev/null; true", dev);
	if (!ifindex || system(cmd) || (setup[0] && system(setup))) {
		CHECK(0, "setup %s", setup);
		return;
	}
	dev_state(dev, before, sizeof(before));
	ret = shape_state_save(nl, ifindex, path);
	CHECK(ret == 0, "save %d %s", ret, nl->err);
	desc(&d, 40 * MBIT);
	CHECK(shape_tree_build(&d, &t, err, sizeof(err)) == 0, "%s", err);
	ret = tcnl_tree_create(nl, ifindex, &t);
	CHECK(ret == 0, "create %d %s", ret, nl->err);
	restore_refused(nl, dev, path);
	ret = shape_state_restore(nl, path);
	CHECK(ret == 0, "restore %d %s", ret, nl->err);
	dev_state(dev, after, sizeof(after));
	CHECK(!strcmp(before, after), "%s: before\n%s\nafter\n%s", setup, before, after);
	remove(path);
}

static void restore_case(struct nl *nl, const char *setup)
{
	restore_case_on(nl, "lo", setup);
}

static void test_restore(void)
{
	struct nl nl;

	if (unshare(CLONE_NEWNET)) {
		SKIP("test_restore", "no CAP_SYS_ADMIN for a network namespace");
		return;
	}
	CHECK(nl_open(&nl, NETLINK_ROUTE) == 0, "nl_open");
	restore_case(&nl, "");		/* lo's default: noqueue */
	restore_case(&nl, "tc qdisc add dev lo root handle 5: tbf rate 10mbit burst 10k latency 20ms");
	restore_case(&nl, "tc qdisc add dev lo root handle 7: htb default 20 && "
		     "tc class add dev lo parent 7: classid 7:10 htb rate 5mbit ceil 9mbit && "
		     "tc class add dev lo parent 7: classid 7:20 htb rate 3mbit && "
		     "tc qdisc add dev lo parent 7:10 handle 71: bfifo limit 30000 && "
		     "tc filter add dev lo parent 7: protocol ip prio 3 u32 "
		     "match ip dport 5001 0xffff flowid 7:10");
	/* ifb has a queue: its default is the default_qdisc sysctl's, mq with 2 queues. */
	if (system("ip link add ifb71 type ifb 2>/dev/null && ip link set ifb71 up && "
		   "ip link add ifb72 numtxqueues 2 type ifb && ip link set ifb72 up")) {
		SKIP("test_restore_ifb", "no ifb device");
	} else {
		restore_case_on(&nl, "ifb71", "");
		restore_case_on(&nl, "ifb72", "");
	}
	nl_close(&nl);
}

int main(void)
{
	RUN(test_rtab);
	RUN(test_create_change);
	RUN(test_restore);
	return unit_done();
}
