// SPDX-License-Identifier: GPL-2.0
/*
 * The shaper's configuration on known texts: a good file gives the values
 * it names and the defaults it leaves out; each bad one gives one line
 * naming the file, the line of the fault and the key or class. The rate
 * and DSCP parsers on their edges.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sites.h"
#include "unit.h"

#define MBIT 1000000ULL

static struct shape_config c;
static char err[256];

static int parse(const char *text)
{
	err[0] = 0;
	return shape_config_parse(&c, text, "t.ini", err, sizeof(err));
}

/* The example of doc/shape.md. */
static const char good[] =
	"# dropscope shape: wan0 to the provider\n"
	"[shape]\n"
	"device = wan0\n"
	"capture = wan0-mirror\n"
	"floor = 40mbit        ; the committed rate\n"
	"line = 100mbit\n"
	"start = 60mbit\n"
	"window = 1s\n"
	"path_type = policer\n"
	"decisions = /var/log/dropscope/shape-wan0.ndjson\n"
	"\n"
	"[class voice]\n"
	"rate = 2mbit\n"
	"ceil = 4mbit\n"
	"prio = 0\n"
	"depth = 20ms\n"
	"dscp = ef\n"
	"\n"
	"[class video]\n"
	"rate = 10mbit\n"
	"prio = 1\n"
	"depth = 100 packets\n"
	"src = 198.18.10.0/24\n"
	"dport = 5004-5005\n"
	"proto = udp\n"
	"set_dscp = af41\n"
	"\n"
	"[class bulk]\n"
	"rate = 8mbit\n"
	"prio = 7\n"
	"depth = 200p\n"
	"dst = 198.18.20.0/24\n"
	"sport = 873\n"
	"set_dscp = cs1\n"
	"\n"
	"[class other]\n"
	"rate = 20mbit\n"
	"depth = 100\n"
	"default = yes\n"
	"\n"
	"[site office]\n"
	"prefix = 198.18.10.0/24\n"
	"[site dc]\n"
	"prefix = 198.18.20.0/24\n"
	"[path wan]\n"
	"from = office\n"
	"to = dc\n"
	;

static void test_config_good(void)
{
	const struct shape_desc *d = &c.desc;

	CHECK(parse(good) == 0, "parse: %s", err);
	CHECK(!strcmp(c.file, "t.ini") && !strcmp(c.device, "wan0") &&
	      !strcmp(c.capture, "wan0-mirror"), "%s %s", c.device, c.capture);
	CHECK(d->floor_bps == 40 * MBIT && d->line_bps == 100 * MBIT && d->root_bps == 60 * MBIT,
	      "%llu %llu %llu", (unsigned long long)d->floor_bps, (unsigned long long)d->line_bps,
	      (unsigned long long)d->root_bps);
	CHECK(c.window_ns == 1000000000ULL && c.path_type == SHAPE_PATH_POLICER, "window, type");
	CHECK(!strcmp(c.decisions, "/var/log/dropscope/shape-wan0.ndjson"), "%s", c.decisions);
	CHECK(!strcmp(c.state, "/run/dropscope/shape-wan0.state") &&
	      !strcmp(c.status, "/run/dropscope/shape-wan0.json"), "%s %s", c.state, c.status);
	CHECK(c.has_paths && d->n == 4 && d->default_class == 3 && d->mtu == 0, "n %u def %d",
	      d->n, d->default_class);
	/* voice: matched by the DSCP it arrives with (EF), not marked. */
	CHECK(!strcmp(d->cls[0].name, "voice") && d->cls[0].rate_bps == 2 * MBIT &&
	      d->cls[0].ceil_bps == 4 * MBIT && d->cls[0].prio == 0 && d->cls[0].depth == 20 &&
	      d->cls[0].depth_ms && d->cls[0].dscp == 46, "voice");
	CHECK(c.cls[0].has_match && c.cls[0].match.dscp == 46 && c.cls[0].set_dscp == -1 &&
	      c.cls[0].match.proto == -1 && !c.cls[0].match.has_src && c.cls[0].line == 12,
	      "voice match, line %d", c.cls[0].line);
	/* video: a subnet, ports and proto, marked AF41, classified on it. */
	CHECK(d->cls[1].rate_bps == 10 * MBIT && d->cls[1].ceil_bps == 0 && d->cls[1].prio == 1 &&
	      d->cls[1].depth == 100 && !d->cls[1].depth_ms && d->cls[1].dscp == 34, "video");
	CHECK(c.cls[1].match.has_src && c.cls[1].match.src.family == 4 &&
	      c.cls[1].match.src.len == 24 && c.cls[1].match.src.addr[2] == 10 &&
	      c.cls[1].match.dport_lo == 5004 && c.cls[1].match.dport_hi == 5005 &&
	      c.cls[1].match.sport_lo == 0 && c.cls[1].match.proto == 17 &&
	      c.cls[1].match.dscp == -1 && c.cls[1].set_dscp == 34, "video match");
	CHECK(d->cls[2].depth == 200 && d->cls[2].prio == 7 && d->cls[2].dscp == 8 &&
	      c.cls[2].match.has_dst && c.cls[2].match.sport_lo == 873 &&
	      c.cls[2].match.sport_hi == 873, "bulk");
	/* other: the default, reached by nothing else. */
	CHECK(d->cls[3].depth == 100 && !d->cls[3].depth_ms && d->cls[3].dscp == -1 &&
	      !c.cls[3].has_match, "other");
}

/* The same file's [site]/[path] sections, read by the monitor's loader. */
static void test_config_sites(void)
{
	static struct monitor m;
	struct monitor_opts o = { 0 };

	monitor_init(&m, &o);
	CHECK(sites_load_mode(&m, good, "t.ini", true, err, sizeof(err)) == 0, "%s", err);
	CHECK(m.npaths == 1 && !strcmp(m.path[0].name, "wan"), "paths %u", m.npaths);
}

#define SHAPE "[shape]\ndevice = wan0\nfloor = 40mbit\nline = 100mbit\n"	/* lines 1-4 */
#define DEF "[class d]\nrate = 1mbit\ndepth = 10\ndefault = yes\n"		/* lines 5-8 */

static void test_config_defaults(void)
{
	CHECK(parse(SHAPE DEF) == 0, "%s", err);
	CHECK(!strcmp(c.capture, "wan0") && c.window_ns == 500000000ULL &&
	      c.path_type == SHAPE_PATH_AUTO && !c.decisions[0] && !c.has_paths, "shape");
	CHECK(!strcmp(c.state, "/run/dropscope/shape-wan0.state") &&
	      !strcmp(c.status, "/run/dropscope/shape-wan0.json"), "%s %s", c.state, c.status);
	CHECK(c.desc.root_bps == 40 * MBIT && c.desc.n == 1 && c.desc.default_class == 0, "root");
	CHECK(c.desc.cls[0].ceil_bps == 0 && c.desc.cls[0].prio == 0 && c.desc.cls[0].dscp == -1,
	      "class");
	/* Window forms; ports without a proto (tcp or udp); a class marked and matched. */
	CHECK(parse("[shape]\ndevice=wan0\nfloor=40mbit\nline=100mbit\nwindow=0.5\n" DEF) == 0 &&
	      c.window_ns == 500000000ULL, "0.5: %s", err);
	CHECK(parse(SHAPE "window = 50ms\n" DEF) == 0 && c.window_ns == 50000000ULL, "%s", err);
	CHECK(parse(SHAPE "window = 10s\n" DEF) == 0 && c.window_ns == 10000000000ULL, "%s", err);
	CHECK(parse(SHAPE DEF "[class v]\nrate = 1m\ndepth = 10\ndport = 443\nset_dscp = 10\n"
		    "dscp = 0\n") == 0 && c.desc.cls[1].dscp == 10 && c.cls[1].match.dscp == 0,
	      "%s", err);
	/* A default class may match too: its DSCP goes to it by filter as well. */
	CHECK(parse(SHAPE "[class d]\nrate = 1mbit\ndepth = 10\ndefault = TRUE\ndscp = cs1\n") ==
	      0 && c.desc.cls[0].dscp == 8, "%s", err);
	CHECK(parse(SHAPE "[class d]\nrate = 1mbit\ndepth = 10\ndefault = 1\n"
		    "[class e]\nrate = 1mbit\ndepth = 10\ndefault = no\ndscp = 1\n") == 0 &&
	      c.desc.default_class == 0, "%s", err);
	/* A comment, blank lines, an empty [path] (the monitor's to judge). */
	CHECK(parse("; shaper\n\n" SHAPE DEF "[path p]\n") == 0 && c.has_paths, "%s", err);
}

/* Each bad text and the start of the one line it must give. */
static const struct {
	const char *text, *err;
} bad[] = {
	{ DEF, "t.ini:1: no [shape] section" },
	{ "[shape]\nfloor = 40mbit\nline = 100mbit\n" DEF, "t.ini:1: [shape] needs device = IFNAME" },
	{ "[shape]\ndevice = wan0\nline = 100mbit\n" DEF, "t.ini:1: [shape] needs floor = RATE" },
	{ "[shape]\ndevice = wan0\nfloor = 40mbit\n" DEF, "t.ini:1: [shape] needs line = RATE" },
	{ "[shape]\ndevice = wan0\nfloor = 200mbit\nline = 100mbit\n" DEF,
	  "t.ini:3: floor 200000000 bit/s above line 100000000 bit/s" },
	{ SHAPE "start = 30mbit\n" DEF, "t.ini:5: start 30000000 bit/s not within floor" },
	{ SHAPE "start = 101mbit\n" DEF, "t.ini:5: start 101000000 bit/s not within floor" },
	{ SHAPE "window = 20ms\n" DEF, "t.ini:5: window '20ms' out of range (want 50ms to 10s)" },
	{ SHAPE "window = 11s\n" DEF, "t.ini:5: window '11s' out of range" },
	{ SHAPE "window = soon\n" DEF, "t.ini:5: bad window 'soon'" },
	{ SHAPE "path_type = fifo\n" DEF, "t.ini:5: bad path_type 'fifo'" },
	{ "[shape]\ndevice = wan0123456789abc\n", "t.ini:2: bad device 'wan0123456789abc'" },
	{ "[shape]\ndevice = wan/0\n", "t.ini:2: bad device 'wan/0'" },
	{ SHAPE "capture = a b\n", "t.ini:5: bad capture 'a b'" },
	{ SHAPE "state =\n", "t.ini:5: bad state ''" },
	{ SHAPE "color = red\n" DEF, "t.ini:5: unknown key 'color' in [shape] (want device," },
	{ SHAPE "floor = 40mbit\n" DEF, "t.ini:5: duplicate key 'floor' in [shape] (first at line 3)" },
	{ SHAPE DEF "[qos]\nx = 1\n", "t.ini:9: unknown section [qos]" },
	{ SHAPE DEF "[qos]\n", "t.ini:9: unknown section [qos]" },
	{ SHAPE DEF "[shape]\n", "t.ini:9: duplicate [shape] (first at line 1)" },
	{ "x = 1\n" SHAPE DEF, "t.ini:1: key 'x' outside a section" },
	{ SHAPE DEF "garbage\n", "t.ini:9: syntax error" },
	{ SHAPE DEF "[class v\n", "t.ini:9: syntax error" },
	/* Classes. */
	{ SHAPE, "t.ini:4: no [class NAME] section" },
	{ SHAPE DEF "[class v]\ndepth = 10\ndscp = 46\n", "t.ini:9: [class v] needs rate = RATE" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\ndscp = 46\n", "t.ini:9: [class v] needs depth" },
	{ SHAPE DEF "[class v]\n", "t.ini:9: [class v] needs rate" },
	{ SHAPE DEF "[class a b]\n", "t.ini:9: bad section [class a b]" },
	{ SHAPE DEF "[class]\n", "t.ini:9: bad section [class]" },
	{ SHAPE DEF "[class a/b]\n", "t.ini:9: bad section [class a/b]" },
	{ SHAPE DEF "[class d]\n", "t.ini:9: duplicate [class d] (first at line 5)" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\nceil = 200mbit\ndepth = 1\n",
	  "t.ini:11: ceil of [class v] 200000000 bit/s above line 100000000 bit/s" },
	{ SHAPE DEF "[class v]\nrate = 5mbit\nceil = 4mbit\ndepth = 10\ndscp = 46\n",
	  "t.ini:10: rate of [class v] 5000000 bit/s above its ceil 4000000" },
	{ SHAPE DEF "[class v]\nrate = 39.5mbit\ndepth = 10\ndscp = 46\n",
	  "t.ini:10: the guaranteed rates up to [class v] sum to 40500000 bit/s, above floor "
	  "40000000" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\ndepth = 10\ndscp = 46\ndefault = yes\n",
	  "t.ini:13: a second default class [class v] (the first: [class d] at line 5)" },
	{ SHAPE "[class v]\nrate = 1mbit\ndepth = 10\ndscp = 46\n", "t.ini:5: no default class" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\ndepth = 10\nsrc = 198.18.0.0/24\n",
	  "t.ini:9: [class v] needs set_dscp = N: the HTB classifies by DSCP" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\ndepth = 10\ndport = 443\nproto = tcp\n",
	  "t.ini:9: [class v] needs set_dscp = N" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\ndepth = 10\n",
	  "t.ini:9: [class v] is unreachable: no match" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\ndepth = 10\nset_dscp = ef\n",
	  "t.ini:9: [class v] is unreachable: no match" },
	{ SHAPE DEF "[class v]\nrate = 1m\ndepth = 10\ndscp = ef\n"
	  "[class w]\nrate = 1m\ndepth = 10\nsrc = 198.18.0.0/16\nset_dscp = 46\n",
	  "t.ini:13: [class w] is unreachable: DSCP 46 already goes to [class v] (line 9)" },
	{ SHAPE "[class d]\nrate = 1mbit\ndepth = 10\ndefault = yes\ndscp = 8\n"
	  "[class v]\nrate = 1m\ndepth = 10\ndscp = cs1\n",
	  "t.ini:10: [class v] is unreachable: DSCP 8 already goes to [class d] (line 5)" },
	{ SHAPE DEF "[class v]\nrate = 1m\ndepth = 10\nsrc = 198.18.0.0/24\ndst = 2001:db8::/32\n"
	  "set_dscp = 1\n", "t.ini:13: src and dst of [class v] are of different families" },
	{ SHAPE DEF "[class v]\nrate = 1m\ndepth = 10\ndst = 2001:db8::/32\nsrc = 198.18.0.1\n"
	  "set_dscp = 1\n", "t.ini:13: src and dst of [class v] are of different families" },
	{ SHAPE DEF "[class v]\nrate = 1m\ndepth = 10\ndport = 80\nproto = icmp\nset_dscp = 1\n",
	  "t.ini:13: proto 1 of [class v] has no ports" },
	{ SHAPE DEF "[class v]\nsport = 2000-1000\n",
	  "t.ini:10: bad sport '2000-1000': range from 2000 down to 1000" },
	{ SHAPE DEF "[class v]\ndport = 0\n", "t.ini:10: bad dport '0'" },
	{ SHAPE DEF "[class v]\ndport = 65536\n", "t.ini:10: bad dport '65536'" },
	{ SHAPE DEF "[class v]\ndport = 80-\n", "t.ini:10: bad dport '80-'" },
	{ SHAPE DEF "[class v]\ndport = 80x\n", "t.ini:10: bad dport '80x'" },
	{ SHAPE DEF "[class v]\nsrc = 198.18.0.0/33\n", "t.ini:10: bad src '198.18.0.0/33'" },
	{ SHAPE DEF "[class v]\nproto = gre\n", "t.ini:10: bad proto 'gre'" },
	{ SHAPE DEF "[class v]\nproto = 256\n", "t.ini:10: bad proto '256'" },
	{ SHAPE DEF "[class v]\nprio = 8\n", "t.ini:10: bad prio '8' (want 0 to 7" },
	{ SHAPE DEF "[class v]\ndepth = 0\n", "t.ini:10: bad depth '0'" },
	{ SHAPE DEF "[class v]\ndepth = 10s\n", "t.ini:10: bad depth '10s'" },
	{ SHAPE DEF "[class v]\ndepth = 10001ms\n", "t.ini:10: depth '10001ms' too deep" },
	{ SHAPE DEF "[class v]\ndefault = maybe\n", "t.ini:10: bad default 'maybe' (want yes or no)" },
	{ SHAPE DEF "[class v]\ndscp = af44\n", "t.ini:10: bad dscp 'af44'" },
	{ SHAPE DEF "[class v]\nset_dscp = 64\n", "t.ini:10: bad set_dscp '64'" },
	{ SHAPE DEF "[class v]\nrate = 1mbps\n",
	  "t.ini:10: bad rate '1mbps': ambiguous unit (tc reads mbps as megabytes per second)" },
	{ SHAPE DEF "[class v]\nrate = 0\n", "t.ini:10: bad rate '0': must be above 0" },
	{ SHAPE DEF "[class v]\nceil = 11000gbit\n", "t.ini:10: bad ceil '11000gbit': above 10 Tbit/s" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\nrate = 2mbit\n",
	  "t.ini:11: duplicate key 'rate' in [class v] (first at line 10)" },
	{ SHAPE DEF "[class v]\nmark = 1\n", "t.ini:10: unknown key 'mark' in [class v] (want rate," },
	/* inih's continued value: refused, not glued onto the key. */
	{ SHAPE DEF "[class v]\nrate = 1mbit\n  2mbit\n",
	  "t.ini:11: an indented line continues the value of 'rate'" },
	{ SHAPE DEF "[class v]\nrate = 1mbit\n  [class w]\n",
	  "t.ini:11: an indented line continues the value of 'rate'" },
	/* The monitor's sections: only their kind is looked at here. */
	{ SHAPE DEF "[sites a]\n", "t.ini:9: unknown section [sites a]" },
};

static void test_config_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i].text);

		CHECK(ret == -EINVAL, "#%zu ret %d", i, ret);
		CHECK(!strncmp(err, bad[i].err, strlen(bad[i].err)), "#%zu got '%s' want '%s'", i,
		      err, bad[i].err);
		CHECK(!strchr(err, '\n'), "#%zu one line", i);
	}
}

/* 33 classes: the 33rd named; a line longer than inih's buffer. */
static void test_config_limits(void)
{
	static char text[8192];
	int n = snprintf(text, sizeof(text), SHAPE);
	char want[64];

	for (int i = 0; i <= SHAPE_MAX_CLASSES; i++)
		n += snprintf(text + n, sizeof(text) - n, "[class c%d]\nrate = 1k\ndepth = 1\n"
			      "dscp = %d\n", i, i);
	CHECK(parse(text) == -EINVAL, "33 classes");
	snprintf(want, sizeof(want), "t.ini:%d: too many classes (at most %d)",
		 5 + 4 * SHAPE_MAX_CLASSES, SHAPE_MAX_CLASSES);
	CHECK(!strcmp(err, want), "got '%s' want '%s'", err, want);
	/* 32 of them, the first the default: accepted. */
	n = snprintf(text, sizeof(text), SHAPE);
	for (int i = 0; i < SHAPE_MAX_CLASSES; i++)
		n += snprintf(text + n, sizeof(text) - n, "[class c%d]\nrate = 1k\ndepth = 1\n"
			      "%s = %d\n", i, i ? "dscp" : "default", i ? i : 1);
	CHECK(parse(text) == 0 && c.desc.n == SHAPE_MAX_CLASSES, "32: %s", err);
	n = snprintf(text, sizeof(text), SHAPE "decisions = ");
	while (n < 300)
		text[n++] = 'x';
	text[n] = 0;
	CHECK(parse(text) == -EINVAL && strstr(err, "t.ini:5: line longer than 198"), "%s", err);
	/* A 31-character class name is the longest. */
	CHECK(parse(SHAPE "[class abcdefghijklmnopqrstuvwxyz01234]\nrate=1m\ndepth=1\ndefault=1\n")
	      == 0, "31: %s", err);
	CHECK(parse(SHAPE "[class abcdefghijklmnopqrstuvwxyz012345]\n") == -EINVAL &&
	      strstr(err, "t.ini:5: bad section"), "32: %s", err);
}

static void test_parse_rate(void)
{
	static const struct {
		const char *s;
		uint64_t bps;
	} ok[] = {
		{ "45mbit", 45 * MBIT }, { "4.5M", 4500000 }, { "622000000", 622000000 },
		{ "1gbit", 1000000000 }, { "1G", 1000000000 }, { "800k", 800000 },
		{ "800Kbit", 800000 }, { "100bit", 100 }, { "2.25kbit", 2250 },
		{ "45 mbit", 45 * MBIT }, { "1.5", 1 }, { "0.000000001g", 1 },
		{ "10000gbit", 10000000000000ULL }, { "007m", 7 * MBIT },
	};
	static const char *const no[] = {
		"", "0", "0.0m", "0.5", "-1", "-1m", "1mbps", "1 Mbps", "1kbps", "1gbps", "1bps",
		"1e6", "1.", ".5m", "1..5m", "1.5.5m", "18446744073709551616", "10001gbit",
		"99999999999999999999999g", "1mbitx", "mbit", "1 m bit", "1t", "0x10", " 1m",
		"1.0000000001g", "1,5m",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(shape_parse_rate(ok[i].s, &v) == 0 && v == ok[i].bps, "'%s' -> %llu", ok[i].s,
		      (unsigned long long)v);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(shape_parse_rate(no[i], &v) == -EINVAL, "'%s' accepted", no[i]);
}

static void test_parse_dscp(void)
{
	static const struct {
		const char *s;
		int dscp;
	} ok[] = {
		{ "0", 0 }, { "63", 63 }, { "34", 34 }, { "be", 0 }, { "BE", 0 }, { "cs0", 0 },
		{ "cs1", 8 }, { "CS5", 40 }, { "cs7", 56 }, { "af11", 10 }, { "af12", 12 },
		{ "af13", 14 }, { "af21", 18 }, { "af22", 20 }, { "af23", 22 }, { "af31", 26 },
		{ "af32", 28 }, { "af33", 30 }, { "af41", 34 }, { "AF42", 36 }, { "af43", 38 },
		{ "ef", 46 }, { "EF", 46 }, { "va", 44 }, { "Va", 44 },
	};
	static const char *const no[] = {
		"", "64", "-1", "af14", "af51", "af10", "cs8", "e f", "0x2e", "46 ", "efx", "cs",
		"af1", "100", "3.0",
	};
	int v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(shape_parse_dscp(ok[i].s, &v) == 0 && v == ok[i].dscp, "'%s' -> %d", ok[i].s,
		      v);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(shape_parse_dscp(no[i], &v) == -EINVAL, "'%s' accepted", no[i]);
}

static void test_config_load(void)
{
	char path[] = "/tmp/test_shape_config_XXXXXX";
	int fd = mkstemp(path);
	char *big;

	CHECK(fd >= 0, "mkstemp");
	CHECK(write(fd, good, sizeof(good) - 1) == (ssize_t)(sizeof(good) - 1), "write");
	CHECK(shape_config_load(&c, path, err, sizeof(err)) == 0 && c.desc.n == 4 &&
	      !strcmp(c.file, path), "load: %s", err);
	/* More than 1 MiB of comment: refused before parsing. */
	big = malloc(1 << 20);
	CHECK(big != NULL, "malloc");
	if (big) {
		memset(big, '#', 1 << 20);
		CHECK(write(fd, big, 1 << 20) == 1 << 20, "write big");
		free(big);
	}
	close(fd);
	CHECK(shape_config_load(&c, path, err, sizeof(err)) == -EFBIG && strstr(err, "too large"),
	      "big: %s", err);
	unlink(path);
	CHECK(shape_config_load(&c, path, err, sizeof(err)) == -ENOENT &&
	      !strncmp(err, path, strlen(path)) && strstr(err, "No such file"), "missing: %s", err);
}

int main(void)
{
	RUN(test_config_good);
	RUN(test_config_sites);
	RUN(test_config_defaults);
	RUN(test_config_bad);
	RUN(test_config_limits);
	RUN(test_parse_rate);
	RUN(test_parse_dscp);
	RUN(test_config_load);
	return unit_done();
}
