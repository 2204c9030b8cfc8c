// SPDX-License-Identifier: GPL-2.0
/*
 * The sites file loader on known texts: a good file gives the paths it
 * names (prefixes, class, file order); each bad one gives one line naming
 * the file, the line the fault is on and the fault.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sites.h"
#include "unit.h"

static struct monitor m;
static char err[256];

static int load(const char *text)
{
	struct monitor_opts o = { 0 };

	monitor_init(&m, &o);
	err[0] = 0;
	return sites_load(&m, text, "t.ini", err, sizeof(err));
}

static const char good[] =
	"# two data centres and the WAN between them\n"
	"[site dc1]\n"
	"prefix = 198.18.10.0/24\n"
	"prefix = 198.18.11.0/24, 2001:db8:10::/48\n"
	"\n"
	"[path wan]\n"			/* paths may come before their sites */
	"from = dc1\n"
	"to = dc2\n"
	"\n"
	"[site dc2]\n"
	"prefix = 198.18.20.0/24 ; an inline comment\n"
	"prefix = 2001:db8:20::/48\n"
	"\n"
	"[path bulk]\n"
	"from = dc1\n"
	"to = dc2\n"
	"dscp = 8\n"
	"port = 5201\n";

static void test_sites_good(void)
{
	const struct mon_path *p;

	CHECK(load(good) == 0, "load: %s", err);
	CHECK(m.npaths == 2, "paths %u", m.npaths);
	p = &m.path[0];
	CHECK(!strcmp(p->name, "wan") && p->nsrc == 3 && p->ndst == 2, "wan %s %u %u", p->name,
	      p->nsrc, p->ndst);
	CHECK(p->src[1].family == 4 && p->src[1].len == 24 && p->src[1].addr[2] == 11, "src[1]");
	CHECK(p->src[2].family == 6 && p->src[2].len == 48, "src[2]");
	CHECK(p->dst[0].addr[2] == 20 && p->dscp == MON_ANY && p->port == MON_ANY, "dst, class");
	p = &m.path[1];
	CHECK(!strcmp(p->name, "bulk") && p->dscp == 8 && p->port == 5201, "bulk %s %d %d",
	      p->name, p->dscp, p->port);
}

static void test_sites_file(void)
{
	char path[] = "/tmp/test_sites_XXXXXX";
	int fd = mkstemp(path);
	struct monitor_opts o = { 0 };

	CHECK(fd >= 0, "mkstemp");
	CHECK(write(fd, good, sizeof(good) - 1) == (ssize_t)(sizeof(good) - 1), "write");
	close(fd);
	monitor_init(&m, &o);
	CHECK(sites_load_file(&m, path, err, sizeof(err)) == 0 && m.npaths == 2, "file: %s", err);
	unlink(path);
	CHECK(sites_load_file(&m, path, err, sizeof(err)) == -ENOENT, "missing");
	CHECK(strstr(err, "No such file") && !strncmp(err, path, strlen(path)), "err %s", err);
}

/* Each bad text and the one line it must give. */
static const struct {
	const char *text, *err;
	int ret;
} bad[] = {
	{ "[site a]\nprefix = 198.18.0.0/33\n", "t.ini:2: bad prefix '198.18.0.0/33'", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.300/24\n", "t.ini:2: bad prefix", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[path p]\nfrom = a\nto = b\n",
	  "t.ini:5: unknown site 'b'", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n\n[site a]\nprefix = 198.18.1.0/24\n",
	  "t.ini:4: duplicate [site a] (first at line 1)", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[path p]\nfrom = a\nto = a\n[path p]\nfrom = a\n",
	  "t.ini:6: duplicate [path p] (first at line 3)", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24, 198.18.0.0/24\n",
	  "t.ini:2: duplicate prefix '198.18.0.0/24'", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[path p]\nfrom = a\nfrom = a\n",
	  "t.ini:5: duplicate key 'from'", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[path p]\nfrom = a\nto = a\ndscp = 64\n",
	  "t.ini:6: bad dscp '64' (want 0 to 63)", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[path p]\nfrom = a\nto = a\nport = 0\n",
	  "t.ini:6: bad port '0'", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[path p]\nfrom = a\n",
	  "t.ini:3: [path p] needs from = SITE and to = SITE", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n[site b]\nprefix = 2001:db8::/32\n"
	  "[path p]\nfrom = a\nto = b\n", "t.ini:5: sites a and b share no address family",
	  -EINVAL },
	{ "[site a]\nmask = 24\n", "t.ini:2: unknown key 'mask' in [site a]", -EINVAL },
	{ "[host a]\nprefix = 198.18.0.0/24\n", "t.ini:1: bad section [host a]", -EINVAL },
	{ "[site a b]\nprefix = 198.18.0.0/24\n", "t.ini:1: bad section [site a b]", -EINVAL },
	{ "prefix = 198.18.0.0/24\n", "t.ini:1: key 'prefix' outside a section", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\ngarbage\n", "t.ini:3: syntax error", -EINVAL },
	{ "[site a]\nprefix = 198.18.0.0/24\n", "t.ini:2: no [path NAME] section", -EINVAL },
	{ "", "t.ini:1: no [path NAME] section", -EINVAL },
	/* A byte order mark before the first [section]: still its line (a fuzzer's find). */
	{ "\xef\xbb\xbf[path p]\nfrom = a\n", "t.ini:1: [path p] needs from = SITE and to = SITE",
	  -EINVAL },
	{ "\xef\xbb\xbf[site a]\nprefix = 198.18.0.0/24\n[site a]\nprefix = 198.18.1.0/24\n",
	  "t.ini:3: duplicate [site a] (first at line 1)", -EINVAL },
};

static void test_sites_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = load(bad[i].text);

		CHECK(ret == bad[i].ret, "#%zu ret %d", i, ret);
		CHECK(!strncmp(err, bad[i].err, strlen(bad[i].err)), "#%zu got '%s' want '%s'", i,
		      err, bad[i].err);
		CHECK(!strchr(err, '\n'), "#%zu one line", i);
	}
}

/* 17 paths: one too many, named at the 17th's line; a 9th prefix likewise. */
static void test_sites_limits(void)
{
	char text[4096], want[64];
	int n = snprintf(text, sizeof(text), "[site a]\nprefix = 198.18.0.0/24\n");

	for (int i = 0; i <= MON_MAX_PATHS; i++)
		n += snprintf(text + n, sizeof(text) - n, "[path p%d]\nfrom = a\nto = a\n", i);
	CHECK(load(text) == -ENOSPC, "17 paths: %s", err);
	snprintf(want, sizeof(want), "t.ini:%d: too many paths (at most %d)", 3 + 3 * MON_MAX_PATHS,
		 MON_MAX_PATHS);
	CHECK(!strcmp(err, want), "got '%s' want '%s'", err, want);
	n = snprintf(text, sizeof(text), "[site a]\n");
	for (int i = 0; i <= MON_MAX_PREFIXES; i++)
		n += snprintf(text + n, sizeof(text) - n, "prefix = 198.18.%d.0/24\n", i);
	CHECK(load(text) == -EINVAL && strstr(err, "t.ini:10: too many prefixes"), "%s", err);
	/* A line longer than inih's buffer is refused, not cut. */
	n = snprintf(text, sizeof(text), "[site a]\nprefix = ");
	while (n < 400)
		n += snprintf(text + n, sizeof(text) - n, "198.18.0.0/24 ");
	CHECK(load(text) == -EINVAL && strstr(err, "t.ini:2: line longer"), "%s", err);
	/* inih's buffer holds 200 bytes: 198 characters, the newline and the NUL. */
	for (int len = 197; len <= 199; len++) {
		n = snprintf(text, sizeof(text), "[site a]\nprefix = 198.18.0.0/24");
		while (n < len + 9)
			text[n++] = ' ';
		n += snprintf(text + n, sizeof(text) - n, "\n[path p]\nfrom = a\nto = a\n");
		CHECK(strchr(text + 9, '\n') - (text + 9) == len, "built %d", len);
		if (len <= 198)
			CHECK(load(text) == 0, "%d characters: %s", len, err);
		else
			CHECK(load(text) == -EINVAL && strstr(err, "t.ini:2: line longer than 198"),
			      "%d characters: %s", len, err);
	}
}

/* The shaper's file: its own sections skipped unread, the sites and paths as in a sites file. */
static void test_sites_skip_others(void)
{
	static const char text[] =
		"[shape]\n"
		"device = wan0\n"
		"[class voice]\n"
		"rate = 2mbit\n"
		"[site a]\n"
		"prefix = 198.18.0.0/24\n"
		"[bogus section]\n"
		"anything = at all\n"
		"[path p]\n"
		"from = a\n"
		"to = a\n"
		"dscp = 46\n";
	struct monitor_opts o = { 0 };

	monitor_init(&m, &o);
	CHECK(sites_load_mode(&m, text, "t.ini", true, err, sizeof(err)) == 0, "skip: %s", err);
	CHECK(m.npaths == 1 && !strcmp(m.path[0].name, "p") && m.path[0].dscp == 46, "path");
	/* Without the mode, the same text stops at the first foreign section. */
	CHECK(load(text) == -EINVAL && strstr(err, "t.ini:1: bad section [shape]"), "%s", err);
	/* Sections of ours are still checked, and a path is still required. */
	monitor_init(&m, &o);
	CHECK(sites_load_mode(&m, "[shape]\ndevice = x\n[site a b]\nprefix = 198.18.0.0/24\n",
			      "t.ini", true, err, sizeof(err)) == -EINVAL &&
	      strstr(err, "t.ini:3: bad section [site a b]"), "%s", err);
	CHECK(sites_load_mode(&m, "[shape]\ndevice = x\n", "t.ini", true, err, sizeof(err)) ==
	      -EINVAL && strstr(err, "no [path NAME] section"), "%s", err);
	CHECK(sites_section("site a") && sites_section("path") && !sites_section("sites a") &&
	      !sites_section("class path"), "sites_section");
}

int main(void)
{
	RUN(test_sites_good);
	RUN(test_sites_file);
	RUN(test_sites_bad);
	RUN(test_sites_limits);
	RUN(test_sites_skip_others);
	return unit_done();
}
