// SPDX-License-Identifier: GPL-2.0
/*
 * The state file's bytes checked without a kernel: a buffer built here the
 * way shape_state_save() writes one, then cut or corrupted, each refusal
 * with its reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "state.h"
#include "unit.h"

#define HDR 56	/* magic, ifindex, ifname, netns inode, time, length (native, padded) */

static _Alignas(8) char buf[512];
static char err[200];

/* A header for "lo" and one qdisc message with a TCA_KIND "htb": its length. */
static size_t build(void)
{
	struct nlmsghdr *nlh = (void *)(buf + HDR);
	struct nlattr *a;
	uint32_t len;
	int32_t ifindex = 1;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "DSSHAPE1", 8);
	memcpy(buf + 8, &ifindex, 4);
	memcpy(buf + 12, "lo", 3);
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	a = (void *)((char *)nlh + nlh->nlmsg_len);
	a->nla_type = TCA_KIND;
	a->nla_len = NLA_HDRLEN + 4;
	memcpy(a + 1, "htb", 4);
	nlh->nlmsg_len += NLA_ALIGN(a->nla_len);
	len = nlh->nlmsg_len;
	memcpy(buf + HDR - 8, &len, 4);
	return HDR + len;
}

static int parse(size_t len, struct shape_state_view *v)
{
	err[0] = 0;
	return shape_state_parse(buf, len, v, err, sizeof(err));
}

static void test_state_good(void)
{
	struct shape_state_view v;
	size_t len = build();

	CHECK(parse(len, &v) == 0, "%s", err);
	CHECK(v.ifindex == 1 && !strcmp(v.ifname, "lo") && v.n == 1 && v.msgs == buf + HDR &&
	      v.len == len - HDR, "view %d %s %u", v.ifindex, v.ifname, v.n);
	/* A header alone: a device that had nothing of its own saved. */
	memset(buf + HDR - 8, 0, 4);
	CHECK(parse(HDR, &v) == 0 && v.n == 0, "empty: %s", err);
}

static void test_state_bad(void)
{
	struct shape_state_view v;
	size_t len = build();
	struct nlmsghdr *nlh = (void *)(buf + HDR);
	struct nlattr *a = (void *)((char *)nlh + NLMSG_LENGTH(sizeof(struct tcmsg)));

	CHECK(parse(0, &v) == -EINVAL && strstr(err, "truncated header (0 of 56"), "%s", err);
	CHECK(parse(HDR - 1, &v) == -EINVAL && strstr(err, "truncated header"), "%s", err);
	CHECK(parse(len - 4, &v) == -EINVAL && strstr(err, "truncated: the header says"), "%s", err);
	CHECK(parse(len + 4, &v) == -EINVAL && strstr(err, "trailing bytes"), "%s", err);
	buf[7] = '2';
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "not a shaper state file"), "%s", err);
	build();
	memset(buf + 12, 'x', IF_NAMESIZE);
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "bad device"), "%s", err);
	build();
	nlh->nlmsg_len = 0xffff;
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "message 0: length 65535"), "%s", err);
	build();
	nlh->nlmsg_len = NLMSG_HDRLEN;
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "message 0: length 16"), "%s", err);
	build();
	nlh->nlmsg_type = RTM_NEWLINK;
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "not a qdisc, class or filter"), "%s", err);
	build();
	a->nla_len = 200;
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "attributes overrun"), "%s", err);
	build();
	a->nla_len = 2;
	CHECK(parse(len, &v) == -EINVAL && strstr(err, "attributes overrun"), "%s", err);
	CHECK(!strchr(err, '\n'), "one line");
}

int main(void)
{
	RUN(test_state_good);
	RUN(test_state_bad);
	return unit_done();
}
