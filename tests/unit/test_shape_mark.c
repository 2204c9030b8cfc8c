// SPDX-License-Identifier: GPL-2.0
/*
 * The DSCP marking's nft script for hand-built configurations (pure), then
 * applied, replaced and removed in a network namespace of the test's own
 * (unshare), read back with `nft -j list table`; skipped without the
 * privilege.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark.h"
#include "monitor.h"
#include "unit.h"

static void cfg_init(struct shape_config *c, const char *dev)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->device, sizeof(c->device), "%s", dev);
	c->desc.default_class = -1;
}

/* A new class NAME setting @set (-1: none), matching nothing yet. */
static struct shape_match *add_class(struct shape_config *c, const char *name, int set)
{
	unsigned int i = c->desc.n++;

	snprintf(c->desc.cls[i].name, SHAPE_NAME_LEN, "%s", name);
	c->desc.cls[i].dscp = set;
	c->cls[i].set_dscp = set;
	c->cls[i].match.proto = -1;
	c->cls[i].match.dscp = -1;
	return &c->cls[i].match;
}

/* The last class's match is given: has_match, and src/dst from text. */
static void match_pfx(struct shape_config *c, const char *src, const char *dst)
{
	struct shape_class_cfg *k = &c->cls[c->desc.n - 1];

	k->has_match = true;
	if (src) {
		k->match.has_src = true;
		CHECK(monitor_parse_prefix(src, strlen(src), &k->match.src) == 0, "%s", src);
	}
	if (dst) {
		k->match.has_dst = true;
		CHECK(monitor_parse_prefix(dst, strlen(dst), &k->match.dst) == 0, "%s", dst);
	}
}

static char buf[16384];

static int text(const struct shape_config *c)
{
	return shape_mark_ruleset(c, buf, sizeof(buf));
}

/* Position of @s in buf, or -1: the order of rules. */
static long at(const char *s)
{
	const char *p = strstr(buf, s);

	return p ? p - buf : -1;
}

static void test_ruleset_v4(void)
{
	struct shape_config c;
	struct shape_match *m;
	int n;

	cfg_init(&c, "wan0");
	m = add_class(&c, "voice", 46);
	match_pfx(&c, "198.18.1.7/24", NULL);
	m->proto = 17;
	m->dport_lo = 5000;
	m->dport_hi = 5010;
	n = text(&c);
	CHECK(n == (int)strlen(buf), "%d", n);
	CHECK(!strcmp(buf,
		      "table inet dropscope_shape_wan0 {\n"
		      "\tchain shape {\n"
		      "\t\ttype filter hook postrouting priority mangle; policy accept;\n"
		      "\t\toifname \"wan0\" ip saddr 198.18.1.0/24 meta l4proto 17 th dport 5000-5010"
		      " counter ip dscp set 46 accept comment \"voice\"\n"
		      "\t}\n}\n"),
	      "%s", buf);
}

static void test_ruleset_v6_ports(void)
{
	struct shape_config c;
	struct shape_match *m;

	cfg_init(&c, "wan0");
	m = add_class(&c, "dns", 34);
	match_pfx(&c, NULL, "2001:2:0:1::5/64");
	m->sport_lo = m->sport_hi = 53;
	m->dport_lo = 1024;
	CHECK(text(&c) > 0, "ruleset");
	CHECK(strstr(buf, "oifname \"wan0\" ip6 daddr 2001:2:0:1::/64"
			  " meta l4proto { tcp, udp, udplite, sctp, dccp } th sport 53 th dport 1024"
			  " counter ip6 dscp set 34 accept comment \"dns\"\n"), "%s", buf);
	CHECK(!strstr(buf, "nfproto"), "%s", buf);
	/* A /0 fixes the family only. */
	cfg_init(&c, "wan0");
	add_class(&c, "any6", 8);
	match_pfx(&c, "::/0", NULL);
	CHECK(text(&c) > 0 && strstr(buf, "\"wan0\" meta nfproto ipv6 counter ip6 dscp set 8 accept"),
	      "%s", buf);
}

/* A dscp match (or only ports) with no address: one rule per family, v4 first. */
static void test_ruleset_two_families(void)
{
	struct shape_config c;
	struct shape_match *m;

	cfg_init(&c, "eth1");
	m = add_class(&c, "remark", 12);
	c.cls[0].has_match = true;
	m->dscp = 10;
	m = add_class(&c, "ssh", 16);
	c.cls[1].has_match = true;
	m->proto = 6;
	m->dport_lo = m->dport_hi = 22;
	CHECK(text(&c) > 0, "ruleset");
	CHECK(at("\"eth1\" ip dscp 10 counter ip dscp set 12 accept comment \"remark\"\n") >= 0 &&
	      at("\"eth1\" ip dscp 10") < at("\"eth1\" ip6 dscp 10 counter ip6 dscp set 12 accept") &&
	      at("ip6 dscp set 12") < at("\"eth1\" meta nfproto ipv4 meta l4proto 6 th dport 22"
					 " counter ip dscp set 16 accept") &&
	      at("ip dscp set 16") < at("\"eth1\" meta nfproto ipv6 meta l4proto 6 th dport 22"
					" counter ip6 dscp set 16 accept"),
	      "%s", buf);
}

/*
 * A class without set_dscp keeps its place with `accept`; the default with
 * no match marks all that is left, last; a class that is neither writes
 * nothing.
 */
static void test_ruleset_default_accept(void)
{
	struct shape_config c;
	struct shape_match *m;

	cfg_init(&c, "wan0");
	add_class(&c, "voice", 46);
	match_pfx(&c, "198.18.2.0/24", NULL);
	m = add_class(&c, "bulk", -1);
	c.cls[1].has_match = true;
	m->dport_lo = m->dport_hi = 6000;
	add_class(&c, "rest", 8);
	add_class(&c, "unmatched", 10);
	c.desc.default_class = 2;
	CHECK(text(&c) > 0, "ruleset");
	CHECK(at("ip saddr 198.18.2.0/24 counter ip dscp set 46 accept comment \"voice\"") >= 0 &&
	      at("comment \"voice\"") <
		      at("\"wan0\" meta l4proto { tcp, udp, udplite, sctp, dccp } th dport 6000"
			 " counter accept comment \"bulk\"\n") &&
	      at("comment \"bulk\"") <
		      at("\"wan0\" meta nfproto ipv4 counter ip dscp set 8 accept comment \"rest\"") &&
	      at("ip dscp set 8") <
		      at("\"wan0\" meta nfproto ipv6 counter ip6 dscp set 8 accept comment \"rest\""),
	      "%s", buf);
	CHECK(!strstr(buf, "unmatched") && !strstr(buf, "dscp set 10"), "%s", buf);
}

static void test_ruleset_nothing_and_limits(void)
{
	struct shape_config c;
	char small[64], name[SHAPE_MARK_TABLE_LEN];
	int n;

	cfg_init(&c, "wan0");
	add_class(&c, "bulk", -1);
	match_pfx(&c, "198.18.2.0/24", NULL);
	add_class(&c, "other", 10);	/* a set_dscp, but no match, not the default */
	c.desc.default_class = 0;
	CHECK(!shape_mark_needed(&c), "needed");
	CHECK(text(&c) == 0 && buf[0] == 0, "%s", buf);
	c.desc.default_class = 1;
	n = text(&c);
	CHECK(n > 0, "%d", n);
	CHECK(shape_mark_ruleset(&c, small, sizeof(small)) == -ENOSPC, "small");
	CHECK(shape_mark_ruleset(&c, buf, (size_t)n) == -ENOSPC, "no room for the NUL");
	CHECK(shape_mark_ruleset(&c, buf, (size_t)n + 1) == n, "exact");
	/* src and dst of two families */
	add_class(&c, "mixed", 4);
	match_pfx(&c, "198.18.2.0/24", "2001:2::/64");
	CHECK(text(&c) == -EINVAL, "mixed");
	/* Device names: sanitised, or refused. */
	CHECK(shape_mark_table("br-x@1.5", name, sizeof(name)) == 0 &&
	      !strcmp(name, "dropscope_shape_br-x_1.5"), "%s", name);
	CHECK(shape_mark_table("", name, sizeof(name)) == -EINVAL, "empty");
	CHECK(shape_mark_table("a\"b", name, sizeof(name)) == -EINVAL, "quote");
	CHECK(shape_mark_table("abcdefghijklmnop", name, sizeof(name)) == -EINVAL, "16 bytes");
	memset(c.device, 'a', sizeof(c.device));
	CHECK(text(&c) == -EINVAL, "device without its NUL");
}

/* `nft -n -j list table inet dropscope_shape_@dev` into buf; its exit status. */
static int nft_list(const char *dev)
{
	char cmd[128];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nft -n -j list table inet dropscope_shape_%s 2>/dev/null", dev);
	buf[0] = 0;
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	return pclose(f);
}

static int count(const char *s)
{
	int n = 0;

	for (const char *p = buf; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

/* voice (v4 source prefix), bulk (accept only), rest (the default, both families). */
static void live_cfg(struct shape_config *c, int voice_dscp)
{
	struct shape_match *m;

	cfg_init(c, "dsm0");
	m = add_class(c, "voice", voice_dscp);
	match_pfx(c, "198.18.2.0/24", NULL);
	m->dport_lo = 5000;
	m->dport_hi = 5010;
	m = add_class(c, "bulk", -1);
	c->cls[1].has_match = true;
	m->dport_lo = m->dport_hi = 6000;
	add_class(c, "rest", 8);
	c->desc.default_class = 2;
}

static bool in_netns;	/* test_apply_remove's own namespace, for what follows */

static void test_apply_remove(void)
{
	struct shape_config c;
	char err[256] = "";
	int ret;

	if (unshare(CLONE_NEWNET)) {
		SKIP("test_apply_remove", "no CAP_SYS_ADMIN for a network namespace");
		return;
	}
	in_netns = true;
	if (system("nft --version >/dev/null 2>&1")) {
		SKIP("test_apply_remove", "no nft to read the table back");
		return;
	}
	live_cfg(&c, 46);
	ret = shape_mark_apply(&c, err, sizeof(err));
	CHECK(ret == 0, "apply %d %s", ret, err);
	CHECK(nft_list("dsm0") == 0, "list");
	CHECK(count("\"rule\": {") == 4 && count("\"counter\": {") == 4, "%s", buf);
	CHECK(strstr(buf, "\"hook\": \"postrouting\", \"prio\": -150") &&
	      strstr(buf, "\"comment\": \"voice\"") && strstr(buf, "\"comment\": \"bulk\"") &&
	      count("\"comment\": \"rest\"") == 2 && count("\"value\": 46") == 1, "%s", buf);
	/* Again, with voice at 34: replaced, not added to. */
	live_cfg(&c, 34);
	ret = shape_mark_apply(&c, err, sizeof(err));
	CHECK(ret == 0, "apply again %d %s", ret, err);
	CHECK(nft_list("dsm0") == 0 && count("\"table\": {") == 1 && count("\"rule\": {") == 4 &&
	      count("\"value\": 34") == 1 && !count("\"value\": 46"), "%s", buf);
	ret = shape_mark_remove("dsm0", err, sizeof(err));
	CHECK(ret == 0, "remove %d %s", ret, err);
	CHECK(nft_list("dsm0") != 0, "still there: %s", buf);
	ret = shape_mark_remove("dsm0", err, sizeof(err));
	CHECK(ret == 0, "remove what is absent %d %s", ret, err);
}

static void test_apply_errors(void)
{
	struct shape_config c;
	char err[256] = "";
	int ret;

	if (!in_netns || system("nft list tables >/dev/null 2>&1")) {
		SKIP("test_apply_errors", "no network namespace of our own, or no nft");
		return;
	}
	live_cfg(&c, 46);
	memset(c.device, 'x', sizeof(c.device));
	ret = shape_mark_apply(&c, err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "device 'xxxxxxxxxxxxxxxx': not a name"), "%d %s", ret,
	      err);
	ret = shape_mark_remove("a-name-too-long-x", err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "not a name"), "%d %s", ret, err);
	/* A good table, then a bad value: nft's message, the good table unchanged. */
	live_cfg(&c, 46);
	CHECK(shape_mark_apply(&c, err, sizeof(err)) == 0, "%s", err);
	live_cfg(&c, 64);
	err[0] = 0;
	ret = shape_mark_apply(&c, err, sizeof(err));
	CHECK(ret == -EINVAL && strstr(err, "table inet dropscope_shape_dsm0: Error: ") &&
	      strstr(err, "exceeds valid range 0-63") && !strchr(err, '\n'), "%d %s", ret, err);
	CHECK(nft_list("dsm0") == 0 && count("\"rule\": {") == 4 && count("\"value\": 46") == 1,
	      "%s", buf);
	/* Nothing to mark: the old table goes, none comes. */
	cfg_init(&c, "dsm0");
	add_class(&c, "bulk", -1);
	match_pfx(&c, "198.18.2.0/24", NULL);
	ret = shape_mark_apply(&c, err, sizeof(err));
	CHECK(ret == 0 && nft_list("dsm0") != 0, "%d %s %s", ret, err, buf);
}

int main(void)
{
	RUN(test_ruleset_v4);
	RUN(test_ruleset_v6_ports);
	RUN(test_ruleset_two_families);
	RUN(test_ruleset_default_accept);
	RUN(test_ruleset_nothing_and_limits);
	RUN(test_apply_remove);
	RUN(test_apply_errors);
	return unit_done();
}
