// SPDX-License-Identifier: GPL-2.0
/*
 * The topology's printing from a hand-built struct topo (tc's handle
 * syntax, the qdisc summary, the text line of a macvtap with a reader, the
 * JSON keys), then topo_collect() on this machine: the caller's namespace
 * always, every namespace as root (tests/netns/topo.sh runs this while
 * its lab stands, so the ASan build sees readers too).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pkt_sched.h>

#include "netns.h"
#include "topo.h"
#include "unit.h"

static void test_tc_handle(void)
{
	static const struct {
		uint32_t h;
		const char *want;
	} cases[] = {
		{ TC_H_ROOT, "root" },	{ 0, "none" },	       { 0x10000, "1:" },
		{ 0x10010, "1:10" },	{ 0x3, ":3" },	       { TC_H_INGRESS, "ffff:fff1" },
		{ 0x80010000, "8001:" },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(!strcmp(topo_tc_handle(cases[i].h, buf, sizeof(buf)), cases[i].want),
		      "%#x: %s, want %s", cases[i].h, buf, cases[i].want);
}

static void test_qdisc_summary(void)
{
	struct topo_qdisc htb[] = { { 0x10000, TC_H_ROOT, "htb" }, { 0x100000, 0x10010, "bfifo" } };
	struct topo_qdisc noq[] = { { 0, TC_H_ROOT, "noqueue" } };
	struct topo_qdisc ingress[] = { { 0xffff0000, TC_H_INGRESS, "ingress" } };
	struct topo_dev d = { .qdiscs = htb, .nqdiscs = 2 };

	topo_qdisc_summary(&d);
	CHECK(!strcmp(d.qdisc, "htb 1: root"), "'%s'", d.qdisc);
	d.qdiscs = noq;
	d.nqdiscs = 1;
	topo_qdisc_summary(&d);
	CHECK(!strcmp(d.qdisc, "noqueue"), "'%s'", d.qdisc);
	/* Only an ingress qdisc: no egress root to name. */
	d.qdiscs = ingress;
	topo_qdisc_summary(&d);
	CHECK(!d.qdisc[0], "'%s'", d.qdisc);
	d.nqdiscs = 0;
	topo_qdisc_summary(&d);
	CHECK(!d.qdisc[0], "'%s'", d.qdisc);
}

/* Host namespace 11 with vh0 (veth to vc0 in 12) and mvt0 on it; 12 not collected. */
static struct topo_reader reader = { 4242, "vmbackend" };
static struct topo_dev devs[] = {
	{ .netns = 11, .ifindex = 2, .ifname = "vh0", .kind = "veth", .mtu = 1500, .txqlen = 1000,
	  .operstate = 6, .up = true, .lower_up = true, .qdisc = "noqueue",
	  .peer = { .ifindex = 2, .netnsid = 0, .netns = 12 }, .lower = { .netnsid = -1 },
	  .gro = TOPO_OFFLOAD_OFF, .gso = TOPO_OFFLOAD_ON, .tso = TOPO_OFFLOAD_ON },
	{ .netns = 11, .ifindex = 3, .ifname = "mvt0", .kind = "macvtap", .mode = "bridge",
	  .mtu = 1500, .txqlen = 8, .operstate = 6, .up = true, .lower_up = true,
	  .peer = { .netnsid = -1 }, .lower = { .ifindex = 2, .netnsid = -1, .netns = 11,
						 .ifname = "vh0" },
	  .chr_major = 246, .chr_minor = 1, .readers = &reader, .nreaders = 1 },
};
static struct topo_ns nss[] = { { 11, "host" } };
static const struct topo topo = { .ns = nss, .nns = 1, .dev = devs, .ndev = 2 };

static char *render_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	topo_text(f, &topo);
	fclose(f);
	return buf;
}

static void test_text(void)
{
	char *s = render_text();
	const char *want =
		"netns host (inode 11)\n"
		"  vh0 (veth peer ifindex 2 in inum:12, txqueuelen 1000, mtu 1500, up, qdisc noqueue, "
		"gro off)\n"
		"  mvt0 (macvtap bridge on vh0, txqueuelen 8, mtu 1500, up, reader 4242 vmbackend)\n";

	CHECK(s && !strcmp(s, want), "got\n%s", s ? s : "(null)");
	free(s);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f, false);
	topo_json(&j, NULL, &topo);
	json_end(&j);
	fclose(f);
	CHECK(strstr(buf, "\"namespaces\":[{\"netns_inum\":11,\"netns\":\"host\"}]"), "%s", buf);
	CHECK(strstr(buf, "\"peer\":{\"ifindex\":2,\"netns_inum\":12,\"netns\":\"inum:12\","
			  "\"netnsid\":0,\"ifname\":null}"), "%s", buf);
	CHECK(strstr(buf, "\"lower\":{\"ifindex\":2,\"netns_inum\":11,\"netns\":\"host\","
			  "\"ifname\":\"vh0\"}"), "%s", buf);
	CHECK(strstr(buf, "\"offloads\":{\"gro\":\"off\",\"gso\":\"on\",\"tso\":\"on\"}"), "%s", buf);
	CHECK(strstr(buf, "\"chardev\":\"246:1\",\"readers\":[{\"pid\":4242,\"comm\":\"vmbackend\"}]"),
	      "%s", buf);
	CHECK(strstr(buf, "\"mode\":\"bridge\",\"mtu\":1500,\"txqueuelen\":8,\"operstate\":\"up\""),
	      "%s", buf);
	/* Keys that do not apply are absent: no master at all, no readers list for vh0. */
	CHECK(!strstr(buf, "\"master\"") && count(buf, "\"readers\"") == 1, "%s", buf);
	free(buf);
}

/* Invariants of any collected topology, and that this thread came back. */
static void check_collected(const struct topo *t, uint32_t self)
{
	uint32_t now = 0;

	CHECK(!netns_current_inum(&now) && now == self, "thread in %u, was in %u", now, self);
	for (size_t i = 0; i < t->ndev; i++) {
		const struct topo_dev *d = &t->dev[i];

		CHECK(topo_ns_name(t, d->netns), "%s: namespace %u not collected", d->ifname,
		      d->netns);
		CHECK(topo_find(t, d->netns, d->ifindex) == d, "%s: not found", d->ifname);
		CHECK(d->ifname[0] && d->kind[0] && d->mtu > 0, "%s kind %s mtu %u", d->ifname,
		      d->kind, d->mtu);
		if (!strcmp(d->kind, "loopback"))
			CHECK(d->ifindex == 1 && d->mtu == 65536, "lo %d %u", d->ifindex, d->mtu);
		if (d->lower.ifindex && d->lower.netns == d->netns)
			CHECK(d->lower.ifname[0], "%s: lower %d unnamed", d->ifname, d->lower.ifindex);
	}
}

static void test_collect_self(void)
{
	struct topo t;
	uint32_t self = 0;
	char why[256];
	int err;

	CHECK(!netns_current_inum(&self), "own namespace");
	err = topo_collect(&t, &self, 1, why, sizeof(why));
	CHECK(!err, "topo_collect: %d %s", err, why);
	if (err)
		return;
	CHECK(t.nns == 1 && t.ns[0].inum == self, "%zu namespaces", t.nns);
	CHECK(t.ndev >= 1 && !strcmp(t.dev[0].kind, "loopback"), "first device %s",
	      t.ndev ? t.dev[0].kind : "none");
	check_collected(&t, self);
	topo_free(&t);
	CHECK(!t.dev && !t.ndev, "freed");
	/* An inode that is no namespace: -ENOENT and a reason. */
	self = 1;
	err = topo_collect(&t, &self, 1, why, sizeof(why));
	CHECK(err == -ENOENT && strstr(why, "inode 1"), "%d %s", err, why);
}

static void test_collect_all(void)
{
	struct topo t;
	uint32_t self = 0;
	char why[256];
	int err;

	if (geteuid()) {
		SKIP("test_collect_all", "needs root");
		return;
	}
	netns_current_inum(&self);
	err = topo_collect(&t, NULL, 0, why, sizeof(why));
	CHECK(!err, "topo_collect: %d %s", err, why);
	if (err)
		return;
	CHECK(t.nns >= 1, "%zu namespaces", t.nns);
	check_collected(&t, self);
	topo_free(&t);
}

int main(void)
{
	RUN(test_tc_handle);
	RUN(test_qdisc_summary);
	RUN(test_text);
	RUN(test_json);
	RUN(test_collect_self);
	if (!geteuid())
		RUN(test_collect_all);
	else
		test_collect_all();
	return unit_done();
}
