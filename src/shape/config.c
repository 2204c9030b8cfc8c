// SPDX-License-Identifier: GPL-2.0
/*
 * The shaper's configuration file: INI through inih, its lines counted by
 * ini_text_read() (src/common/initext.h) so that every error names
 * FILE:LINE. Sections are opened as their header line is read, not when
 * their first key comes (inih calls the handler for keys only), so an empty
 * [class NAME] or an unknown empty section is still seen. The keys of each
 * section are a table; the checks that need the whole file run after it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ini.h>

#include "config.h"
#include "initext.h"
#include "params.h"
#include "sites.h"

#define RATE_MAX 10000000000000ULL	/* 10 Tbit/s: 32 classes sum without overflow */
#define WINDOW_MIN_NS 50000000ULL
#define WINDOW_MAX_NS 10000000000ULL
#define DEPTH_MAX_PKTS 1000000
#define DEPTH_MAX_MS 10000
#define SECTION_MAX 49			/* inih keeps 49 characters of a [section] */

enum section { SEC_NONE, SEC_SHAPE, SEC_CLASS, SEC_SITES };

struct loader;
typedef int (*key_fn)(struct loader *l, const char *key, const char *value);

struct key {
	const char *name;
	key_fn set;
};

enum { SK_DEVICE, SK_CAPTURE, SK_FLOOR, SK_LINE, SK_START, SK_WINDOW, SK_PATH_TYPE, SK_STATE,
       SK_DECISIONS, SK_STATUS, SK_N };
enum { CK_RATE, CK_CEIL, CK_PRIO, CK_DEPTH, CK_DEFAULT, CK_SET_DSCP, CK_SRC, CK_DST, CK_SPORT,
       CK_DPORT, CK_PROTO, CK_DSCP, CK_N };

struct loader {
	struct shape_config *c;
	const char *fname;
	char *err;
	size_t errlen;
	int err_line;			/* 0: no error yet */
	struct ini_text rd;
	enum section sec;
	int cur;			/* the class being read */
	int shape_line;			/* of [shape]; 0: none yet */
	bool key_since_header;		/* inih: an indented line now continues a value */
	char last_key[64];
	int sline[SK_N];		/* the line of each [shape] key given, 0 if not */
	int cline[SHAPE_MAX_CLASSES][CK_N];
};

__attribute__((format(printf, 3, 4)))
static int fail(struct loader *l, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ini_text_fail(&l->rd, &l->err_line, l->err, l->errlen, l->fname, line, fmt, ap);
	va_end(ap);
	return 0;
}

/* "4.5" and a unit of 10^@exp: exact in integers (at most 9 decimals). */
static int decimal(const char *s, const char **end, uint64_t mult, uint64_t *out)
{
	uint64_t v = 0, frac = 0, scale = 1;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++) {
			if (scale == 1000000000ULL)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*s - '0');
			scale *= 10;
		}
	}
	*end = s;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	/* frac < scale <= 10^9 and mult <= 10^9: no overflow. */
	v *= mult;
	if (v > UINT64_MAX - frac * mult / scale)
		return -ERANGE;
	*out = v + frac * mult / scale;
	return 0;
}

/* The unit after a rate's number: *@mult, or -EINVAL (-EDOM: a bytes-or-bits one). */
static int rate_unit(const char *u, uint64_t *mult)
{
	static const struct {
		const char *name;
		uint64_t mult;
	} units[] = {
		{ "", 1 }, { "bit", 1 }, { "k", 1000 }, { "kbit", 1000 }, { "m", 1000000 },
		{ "mbit", 1000000 }, { "g", 1000000000 }, { "gbit", 1000000000 },
	};

	while (*u == ' ' || *u == '\t')
		u++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(u, units[i].name)) {
			*mult = units[i].mult;
			return 0;
		}
	/* tc reads "mbps" as megabytes per second; people often mean megabits. */
	if (!strcasecmp(u, "bps") || !strcasecmp(u, "kbps") || !strcasecmp(u, "mbps") ||
	    !strcasecmp(u, "gbps"))
		return -EDOM;
	return -EINVAL;
}

/* A rate, and why not in *@why. */
static int rate_parse(const char *s, uint64_t *bps, const char **why)
{
	const char *num_end, *end = NULL;
	uint64_t mult, v;
	int ret;

	*why = "want bit/s: 45mbit, 4.5m, 800k, 1gbit, 622000000";
	/* The unit first: it scales the digits. */
	for (num_end = s; isdigit((unsigned char)*num_end) || *num_end == '.'; num_end++)
		;
	ret = rate_unit(num_end, &mult);
	if (ret == -EDOM)
		*why = "ambiguous unit (tc reads mbps as megabytes per second): write mbit, kbit, gbit";
	if (ret)
		return -EINVAL;
	ret = decimal(s, &end, mult, &v);
	if (!ret && end != num_end)
		return -EINVAL;
	if (ret == -ERANGE || (!ret && v > RATE_MAX))
		*why = "above 10 Tbit/s";
	else if (!ret && !v)
		*why = "must be above 0";
	if (ret || !v || v > RATE_MAX)
		return -EINVAL;
	*bps = v;
	return 0;
}

int shape_parse_rate(const char *s, uint64_t *bps)
{
	const char *why;

	return rate_parse(s, bps, &why);
}

/* A decimal number in @lo..@hi, nothing else. */
static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

int shape_parse_dscp(const char *s, int *dscp)
{
	long v;

	if (!number(s, 0, 63, &v)) {
		*dscp = (int)v;
		return 0;
	}
	if (!strcasecmp(s, "be")) {
		*dscp = 0;
	} else if (!strcasecmp(s, "ef")) {
		*dscp = 46;
	} else if (!strcasecmp(s, "va")) {
		*dscp = 44;	/* VOICE-ADMIT, RFC 5865 */
	} else if (!strncasecmp(s, "cs", 2) && s[2] >= '0' && s[2] <= '7' && !s[3]) {
		*dscp = (s[2] - '0') * 8;
	} else if (!strncasecmp(s, "af", 2) && s[2] >= '1' && s[2] <= '4' && s[3] >= '1' &&
		   s[3] <= '3' && !s[4]) {
		/* AF class x, drop precedence y: 8x + 2y (RFC 2597). */
		*dscp = (s[2] - '0') * 8 + (s[3] - '0') * 2;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* --- [shape] --- */

static int set_ifname(struct loader *l, const char *key, const char *v, char *dst)
{
	size_t n = strlen(v);

	/* As the kernel's dev_valid_name(): no '/', ':' or blank, not "." or "..". */
	if (!n || n >= IF_NAMESIZE || strpbrk(v, "/: \t") || !strcmp(v, ".") || !strcmp(v, ".."))
		return fail(l, l->rd.line, "bad %s '%s' (want an interface name of 1 to %d "
			    "characters)", key, v, IF_NAMESIZE - 1);
	memcpy(dst, v, n + 1);
	return 1;
}

static int sk_device(struct loader *l, const char *key, const char *v)
{
	return set_ifname(l, key, v, l->c->device);
}

static int sk_capture(struct loader *l, const char *key, const char *v)
{
	return set_ifname(l, key, v, l->c->capture);
}

static int set_rate(struct loader *l, const char *key, const char *v, uint64_t *dst)
{
	const char *why;

	if (rate_parse(v, dst, &why))
		return fail(l, l->rd.line, "bad %s '%s': %s", key, v, why);
	return 1;
}

static int sk_floor(struct loader *l, const char *key, const char *v)
{
	return set_rate(l, key, v, &l->c->desc.floor_bps);
}

static int sk_line(struct loader *l, const char *key, const char *v)
{
	return set_rate(l, key, v, &l->c->desc.line_bps);
}

static int sk_start(struct loader *l, const char *key, const char *v)
{
	return set_rate(l, key, v, &l->c->desc.root_bps);
}

static int sk_window(struct loader *l, const char *key, const char *v)
{
	double s;
	uint64_t ns;

	if (parse_seconds(v, &s) || s > 3600)
		return fail(l, l->rd.line, "bad %s '%s' (want a duration: 500ms, 1s, 0.5)", key, v);
	ns = (uint64_t)(s * 1e9 + 0.5);
	if (ns < WINDOW_MIN_NS || ns > WINDOW_MAX_NS)
		return fail(l, l->rd.line, "%s '%s' out of range (want 50ms to 10s)", key, v);
	l->c->window_ns = ns;
	return 1;
}

static int sk_path_type(struct loader *l, const char *key, const char *v)
{
	static const char *const names[] = { "auto", "policer", "queue" };

	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i])) {
			l->c->path_type = (enum shape_path_type)i;
			return 1;
		}
	return fail(l, l->rd.line, "bad %s '%s' (want auto, policer or queue)", key, v);
}

static int set_path(struct loader *l, const char *key, const char *v, char *dst, bool empty_ok)
{
	size_t n = strlen(v);

	if ((!n && !empty_ok) || n >= SHAPE_PATH_LEN)
		return fail(l, l->rd.line, "bad %s '%.40s' (want a path of 1 to %d characters)",
			    key, v, SHAPE_PATH_LEN - 1);
	memcpy(dst, v, n + 1);
	return 1;
}

static int sk_state(struct loader *l, const char *key, const char *v)
{
	return set_path(l, key, v, l->c->state, false);
}

static int sk_decisions(struct loader *l, const char *key, const char *v)
{
	return set_path(l, key, v, l->c->decisions, true);
}

static int sk_status(struct loader *l, const char *key, const char *v)
{
	return set_path(l, key, v, l->c->status, false);
}

static const struct key shape_keys[SK_N] = {
	[SK_DEVICE] = { "device", sk_device },		[SK_CAPTURE] = { "capture", sk_capture },
	[SK_FLOOR] = { "floor", sk_floor },		[SK_LINE] = { "line", sk_line },
	[SK_START] = { "start", sk_start },		[SK_WINDOW] = { "window", sk_window },
	[SK_PATH_TYPE] = { "path_type", sk_path_type },	[SK_STATE] = { "state", sk_state },
	[SK_DECISIONS] = { "decisions", sk_decisions },	[SK_STATUS] = { "status", sk_status },
};

/* --- [class NAME] --- */

static struct shape_class_cfg *cur_cfg(struct loader *l)
{
	return &l->c->cls[l->cur];
}

static struct shape_class_desc *cur_desc(struct loader *l)
{
	return &l->c->desc.cls[l->cur];
}

static int ck_rate(struct loader *l, const char *key, const char *v)
{
	return set_rate(l, key, v, &cur_desc(l)->rate_bps);
}

static int ck_ceil(struct loader *l, const char *key, const char *v)
{
	return set_rate(l, key, v, &cur_desc(l)->ceil_bps);
}

static int ck_prio(struct loader *l, const char *key, const char *v)
{
	long p;

	if (number(v, 0, 7, &p))
		return fail(l, l->rd.line, "bad %s '%s' (want 0 to 7, 0 first)", key, v);
	cur_desc(l)->prio = (unsigned int)p;
	return 1;
}

/* "100", "100p", "100 packets": packets; "20ms": ms at the class's guaranteed rate. */
static int ck_depth(struct loader *l, const char *key, const char *v)
{
	struct shape_class_desc *d = cur_desc(l);
	char *end;
	unsigned long n;

	errno = 0;
	n = isdigit((unsigned char)*v) ? strtoul(v, &end, 10) : 0;
	if (!n || errno)
		goto bad;
	while (*end == ' ' || *end == '\t')
		end++;
	d->depth_ms = !strcasecmp(end, "ms");
	if (!d->depth_ms && *end && strcasecmp(end, "p") && strcasecmp(end, "packet") &&
	    strcasecmp(end, "packets"))
		goto bad;
	if (n > (d->depth_ms ? DEPTH_MAX_MS : DEPTH_MAX_PKTS))
		return fail(l, l->rd.line, "%s '%s' too deep (at most %d packets or %d ms)", key, v,
			    DEPTH_MAX_PKTS, DEPTH_MAX_MS);
	d->depth = (unsigned int)n;
	return 1;
bad:
	return fail(l, l->rd.line, "bad %s '%s' (want packets: 100, 100p, 100 packets; or "
		    "ms at the class rate: 20ms)", key, v);
}

static int ck_default(struct loader *l, const char *key, const char *v)
{
	static const char *const yes[] = { "yes", "true", "1" }, *const no[] = { "no", "false", "0" };
	struct shape_desc *d = &l->c->desc;

	for (int i = 0; i < 3; i++) {
		if (!strcasecmp(v, no[i]))
			return 1;
		if (strcasecmp(v, yes[i]))
			continue;
		if (d->default_class >= 0)
			return fail(l, l->rd.line, "a second default class [class %s] (the first: "
				    "[class %s] at line %d)", cur_desc(l)->name,
				    d->cls[d->default_class].name, l->c->cls[d->default_class].line);
		d->default_class = l->cur;
		return 1;
	}
	return fail(l, l->rd.line, "bad %s '%s' (want yes or no)", key, v);
}

static int set_dscp(struct loader *l, const char *key, const char *v, int *dst)
{
	if (shape_parse_dscp(v, dst))
		return fail(l, l->rd.line, "bad %s '%s' (want 0 to 63, or be, cs0..cs7, af11..af43, "
			    "ef, va)", key, v);
	return 1;
}

static int ck_set_dscp(struct loader *l, const char *key, const char *v)
{
	return set_dscp(l, key, v, &cur_cfg(l)->set_dscp);
}

static int ck_dscp(struct loader *l, const char *key, const char *v)
{
	cur_cfg(l)->has_match = true;
	return set_dscp(l, key, v, &cur_cfg(l)->match.dscp);
}

static int set_prefix(struct loader *l, const char *key, const char *v, struct mon_pfx *p)
{
	if (monitor_parse_prefix(v, strlen(v), p))
		return fail(l, l->rd.line, "bad %s '%s' (want ADDR/LEN, IPv4 or IPv6)", key, v);
	cur_cfg(l)->has_match = true;
	return 1;
}

static int ck_src(struct loader *l, const char *key, const char *v)
{
	cur_cfg(l)->match.has_src = true;
	return set_prefix(l, key, v, &cur_cfg(l)->match.src);
}

static int ck_dst(struct loader *l, const char *key, const char *v)
{
	cur_cfg(l)->match.has_dst = true;
	return set_prefix(l, key, v, &cur_cfg(l)->match.dst);
}

/* "80" or "1024-2047". */
static int set_ports(struct loader *l, const char *key, const char *v, uint16_t *lo, uint16_t *hi)
{
	char a[16], b[16], junk;
	long x, y;
	int n = sscanf(v, "%15[0-9] - %15[0-9] %c", a, b, &junk);

	if ((n != 1 && n != 2) || (n == 1 && strspn(v, "0123456789") != strlen(v)) ||
	    number(a, 1, 65535, &x) || (n == 2 && number(b, 1, 65535, &y)))
		return fail(l, l->rd.line, "bad %s '%s' (want a port 1 to 65535, or LO-HI)", key, v);
	if (n == 1)
		y = x;
	if (x > y)
		return fail(l, l->rd.line, "bad %s '%s': range from %ld down to %ld", key, v, x, y);
	*lo = (uint16_t)x;
	*hi = (uint16_t)y;
	cur_cfg(l)->has_match = true;
	return 1;
}

static int ck_sport(struct loader *l, const char *key, const char *v)
{
	return set_ports(l, key, v, &cur_cfg(l)->match.sport_lo, &cur_cfg(l)->match.sport_hi);
}

static int ck_dport(struct loader *l, const char *key, const char *v)
{
	return set_ports(l, key, v, &cur_cfg(l)->match.dport_lo, &cur_cfg(l)->match.dport_hi);
}

static int ck_proto(struct loader *l, const char *key, const char *v)
{
	static const struct {
		const char *name;
		int nr;
	} protos[] = { { "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 }, { "sctp", 132 } };
	long n;

	cur_cfg(l)->has_match = true;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(v, protos[i].name)) {
			cur_cfg(l)->match.proto = protos[i].nr;
			return 1;
		}
	if (number(v, 0, 255, &n))
		return fail(l, l->rd.line, "bad %s '%s' (want tcp, udp, icmp, icmpv6, sctp or 0 to "
			    "255)", key, v);
	cur_cfg(l)->match.proto = (int)n;
	return 1;
}

static const struct key class_keys[CK_N] = {
	[CK_RATE] = { "rate", ck_rate },	[CK_CEIL] = { "ceil", ck_ceil },
	[CK_PRIO] = { "prio", ck_prio },	[CK_DEPTH] = { "depth", ck_depth },
	[CK_DEFAULT] = { "default", ck_default }, [CK_SET_DSCP] = { "set_dscp", ck_set_dscp },
	[CK_SRC] = { "src", ck_src },		[CK_DST] = { "dst", ck_dst },
	[CK_SPORT] = { "sport", ck_sport },	[CK_DPORT] = { "dport", ck_dport },
	[CK_PROTO] = { "proto", ck_proto },	[CK_DSCP] = { "dscp", ck_dscp },
};

/* --- sections and keys --- */

static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= SHAPE_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

static int open_class(struct loader *l, const char *section)
{
	char kind[8], name[SHAPE_NAME_LEN + 1], extra;
	struct shape_desc *d = &l->c->desc;
	int line = l->rd.line;

	if (sscanf(section, "%7s %32s %c", kind, name, &extra) != 2 || !good_name(name))
		return fail(l, line, "bad section [%s] (want [class NAME], NAME of at most %d "
			    "letters, digits, '_', '-', '.')", section, SHAPE_NAME_LEN - 1);
	for (unsigned int i = 0; i < d->n; i++)
		if (!strcmp(d->cls[i].name, name))
			return fail(l, line, "duplicate [class %s] (first at line %d)", name,
				    l->c->cls[i].line);
	if (d->n == SHAPE_MAX_CLASSES)
		return fail(l, line, "too many classes (at most %d)", SHAPE_MAX_CLASSES);
	l->cur = (int)d->n++;
	memcpy(d->cls[l->cur].name, name, strlen(name) + 1);
	d->cls[l->cur].dscp = -1;
	l->c->cls[l->cur] = (struct shape_class_cfg){
		.match = { .proto = -1, .dscp = -1 }, .set_dscp = -1, .line = line,
	};
	l->sec = SEC_CLASS;
	return 1;
}

/* A [section] line @section (its text between the brackets). */
static int open_section(struct loader *l, const char *section)
{
	size_t kind = strcspn(section, " \t");

	l->key_since_header = false;
	if (sites_section(section)) {
		/* The monitor's: sites_load_mode() reads and checks them. */
		l->sec = SEC_SITES;
		if (!strncmp(section, "path", 4))
			l->c->has_paths = true;
		return 1;
	}
	if (!strcmp(section, "shape")) {
		if (l->shape_line)
			return fail(l, l->rd.line, "duplicate [shape] (first at line %d)",
				    l->shape_line);
		l->shape_line = l->rd.line;
		l->sec = SEC_SHAPE;
		return 1;
	}
	if (kind == 5 && !strncmp(section, "class", 5))
		return open_class(l, section);
	return fail(l, l->rd.line, "unknown section [%.*s] (want [shape], [class NAME], [site NAME] "
		    "or [path NAME])", SECTION_MAX, section);
}

/*
 * inih's reader, which also opens each section as its header comes. inih
 * takes the text up to the first ']' (or an inline comment) as the name,
 * and an indented line after a key as that key's continued value, header
 * or not: the same here, so both agree on where a section begins.
 */
static char *reader(char *str, int num, void *stream)
{
	struct loader *l = stream;
	char *ret = ini_text_read(str, num, &l->rd);
	const char *p, *end;
	bool was_space = false;

	if (!ret || !l->rd.header || (l->rd.indented && l->key_since_header))
		return ret;
	for (p = end = l->rd.start + 1; *end && *end != ']' && !(was_space && *end == ';'); end++)
		was_space = isspace((unsigned char)*end);
	if (*end == ']') {
		char section[256];

		/* A longer one is no name of ours; inih would cut it. */
		snprintf(section, sizeof(section), "%.*s", (int)(end - p), p);
		open_section(l, section);
	}
	return ret;
}

static int set_key(struct loader *l, const struct key *keys, int nkeys, int *lines,
		   const char *sec, const char *name, const char *value)
{
	char want[160];
	size_t n = 0;

	for (int i = 0; i < nkeys; i++) {
		if (strcmp(name, keys[i].name))
			continue;
		if (lines[i])
			return fail(l, l->rd.line, "duplicate key '%s' in %s (first at line %d)",
				    name, sec, lines[i]);
		lines[i] = l->rd.line;
		return keys[i].set(l, name, value);
	}
	for (int i = 0; i < nkeys && n < sizeof(want); i++)
		n += snprintf(want + n, sizeof(want) - n, "%s%s", i ? ", " : "", keys[i].name);
	return fail(l, l->rd.line, "unknown key '%.40s' in %s (want %s)", name, sec, want);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *l = user;
	char sec[64];

	if (l->err_line)
		return 0;
	if (l->rd.indented && l->key_since_header && !strcmp(name, l->last_key))
		return fail(l, l->rd.line, "an indented line continues the value of '%s' (not "
			    "allowed: start the line in the first column)", name);
	l->key_since_header = true;
	snprintf(l->last_key, sizeof(l->last_key), "%s", name);
	switch (l->sec) {
	case SEC_NONE:
		return fail(l, l->rd.line, "key '%.40s' outside a section", name);
	case SEC_SITES:
		return 1;
	case SEC_SHAPE:
		return set_key(l, shape_keys, SK_N, l->sline, "[shape]", name, value);
	case SEC_CLASS:
		snprintf(sec, sizeof(sec), "[class %s]", l->c->desc.cls[l->cur].name);
		return set_key(l, class_keys, CK_N, l->cline[l->cur], sec, name, value);
	}
	return 0;
}

/* --- the checks of the whole file --- */

static int check_shape(struct loader *l)
{
	struct shape_config *c = l->c;
	struct shape_desc *d = &c->desc;
	static const int required[] = { SK_DEVICE, SK_FLOOR, SK_LINE };

	if (!l->shape_line)
		return fail(l, 1, "no [shape] section");
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!l->sline[required[i]])
			return fail(l, l->shape_line, "[shape] needs %s = %s",
				    shape_keys[required[i]].name,
				    required[i] == SK_DEVICE ? "IFNAME" : "RATE");
	if (d->floor_bps > d->line_bps)
		return fail(l, l->sline[SK_FLOOR], "floor %llu bit/s above line %llu bit/s (line %d)",
			    (unsigned long long)d->floor_bps, (unsigned long long)d->line_bps,
			    l->sline[SK_LINE]);
	if (!l->sline[SK_START])
		d->root_bps = d->floor_bps;
	else if (d->root_bps < d->floor_bps || d->root_bps > d->line_bps)
		return fail(l, l->sline[SK_START], "start %llu bit/s not within floor %llu .. line "
			    "%llu bit/s", (unsigned long long)d->root_bps,
			    (unsigned long long)d->floor_bps, (unsigned long long)d->line_bps);
	if (!c->capture[0])
		memcpy(c->capture, c->device, sizeof(c->capture));
	if (!l->sline[SK_STATE])
		snprintf(c->state, sizeof(c->state), "/run/dropscope/shape-%s.state", c->device);
	if (!l->sline[SK_STATUS])
		snprintf(c->status, sizeof(c->status), "/run/dropscope/shape-%s.json", c->device);
	return 1;
}

/* A class's own values: required keys, rate <= ceil <= line, its match consistent. */
static int check_class(struct loader *l, int i)
{
	const struct shape_class_desc *d = &l->c->desc.cls[i];
	const struct shape_class_cfg *k = &l->c->cls[i];
	const struct shape_match *m = &k->match;
	const int *ln = l->cline[i];
	uint64_t ceil = d->ceil_bps ? d->ceil_bps : l->c->desc.line_bps;

	if (!ln[CK_RATE] || !ln[CK_DEPTH])
		return fail(l, k->line, "[class %s] needs %s", d->name,
			    !ln[CK_RATE] ? "rate = RATE (its guaranteed rate)" :
			    "depth = N packets or N ms");
	if (d->ceil_bps > l->c->desc.line_bps)
		return fail(l, ln[CK_CEIL], "ceil of [class %s] %llu bit/s above line %llu bit/s",
			    d->name, (unsigned long long)d->ceil_bps,
			    (unsigned long long)l->c->desc.line_bps);
	if (d->rate_bps > ceil)
		return fail(l, ln[CK_RATE], "rate of [class %s] %llu bit/s above its %s %llu bit/s",
			    d->name, (unsigned long long)d->rate_bps,
			    d->ceil_bps ? "ceil" : "ceil (the line)", (unsigned long long)ceil);
	if (m->has_src && m->has_dst && m->src.family != m->dst.family)
		return fail(l, ln[CK_SRC] > ln[CK_DST] ? ln[CK_SRC] : ln[CK_DST],
			    "src and dst of [class %s] are of different families (IPv%d, IPv%d)",
			    d->name, m->src.family, m->dst.family);
	if ((ln[CK_SPORT] || ln[CK_DPORT]) && m->proto >= 0 && m->proto != 6 && m->proto != 17 &&
	    m->proto != 132)
		return fail(l, ln[CK_PROTO], "proto %d of [class %s] has no ports (sport/dport "
			    "want tcp, udp or sctp)", m->proto, d->name);
	return 1;
}

/*
 * Every class reachable: the HTB classifies by DSCP alone (one u32 filter
 * per class, src/shape/tcnl.c), so a class is reached by its DSCP (set_dscp
 * when it marks, else the DSCP it matches) or as the default.
 */
static int check_reach(struct loader *l, int i)
{
	struct shape_desc *d = &l->c->desc;
	struct shape_class_desc *cd = &d->cls[i];
	const struct shape_class_cfg *k = &l->c->cls[i];

	cd->dscp = k->set_dscp >= 0 ? k->set_dscp : k->match.dscp;
	if (i != d->default_class && !k->has_match)
		return fail(l, k->line, "[class %s] is unreachable: no match (src, dst, sport, dport, "
			    "proto, dscp) and not the default", cd->name);
	if (i != d->default_class && cd->dscp < 0)
		return fail(l, k->line, "[class %s] needs set_dscp = N: the HTB classifies by DSCP",
			    cd->name);
	for (int j = 0; cd->dscp >= 0 && j < i; j++)
		if (d->cls[j].dscp == cd->dscp)
			return fail(l, k->line, "[class %s] is unreachable: DSCP %d already goes to "
				    "[class %s] (line %d)", cd->name, cd->dscp, d->cls[j].name,
				    l->c->cls[j].line);
	return 1;
}

static int check_classes(struct loader *l)
{
	struct shape_desc *d = &l->c->desc;
	uint64_t sum = 0;

	if (!d->n)
		return fail(l, l->rd.line ? l->rd.line : 1, "no [class NAME] section");
	for (unsigned int i = 0; i < d->n; i++) {
		if (!check_class(l, (int)i))
			return 0;
		sum += d->cls[i].rate_bps;	/* each <= 10 Tbit/s: no overflow */
		if (sum > d->floor_bps)
			return fail(l, l->cline[i][CK_RATE], "the guaranteed rates up to [class %s] "
				    "sum to %llu bit/s, above floor %llu bit/s", d->cls[i].name,
				    (unsigned long long)sum, (unsigned long long)d->floor_bps);
	}
	if (d->default_class < 0)
		return fail(l, l->c->cls[0].line, "no default class (set default = yes in one "
			    "[class NAME])");
	for (unsigned int i = 0; i < d->n; i++)
		if (!check_reach(l, (int)i))
			return 0;
	return 1;
}

/* The tree's own rules, on a copy with a typical MTU: the command builds it with the device's. */
static int check_tree(struct loader *l)
{
	struct shape_tree *t = malloc(sizeof(*t));
	struct shape_desc d = l->c->desc;
	char why[160];
	int ret;

	if (!t)
		return fail(l, 1, "out of memory");
	d.mtu = 1500;
	ret = shape_tree_build(&d, t, why, sizeof(why));
	free(t);
	if (ret) {
		/* Not a line's fault: "FILE: reason". */
		l->err_line = -1;
		snprintf(l->err, l->errlen, "%s: %s", l->fname, why);
		return 0;
	}
	return 1;
}

static void defaults(struct shape_config *c, const char *fname)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", fname);
	c->window_ns = 500000000ULL;
	c->path_type = SHAPE_PATH_AUTO;
	c->desc.default_class = -1;
}

int shape_config_parse(struct shape_config *c, const char *text, const char *fname, char *err,
		       size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	int ret;

	if (!l) {
		snprintf(err, errlen, "%s: out of memory", fname);
		return -ENOMEM;
	}
	defaults(c, fname);
	*l = (struct loader){ .c = c, .fname = fname, .err = err, .errlen = errlen };
	ini_text_init(&l->rd, text);
	ret = ini_parse_stream(reader, l, handler, l);
	if (l->rd.long_line)
		fail(l, l->rd.long_line, "line longer than %d characters", l->rd.max_len);
	/* inih's own complaint (a line neither [section] nor KEY = VALUE) came first. */
	if (ret > 0 && (!l->err_line || ret < l->err_line)) {
		l->err_line = 0;
		fail(l, ret, "syntax error (want [SECTION] or KEY = VALUE)");
	} else if (ret < 0 && !l->err_line) {
		fail(l, l->rd.line, "out of memory");
	}
	if (!l->err_line && check_shape(l) && check_classes(l))
		check_tree(l);
	ret = l->err_line ? -EINVAL : 0;
	free(l);
	return ret;
}

int shape_config_load(struct shape_config *c, const char *path, char *err, size_t errlen)
{
	char *text;
	int ret = ini_text_load(path, &text, err, errlen);

	if (!ret)
		ret = shape_config_parse(c, text, path, err, errlen);
	free(text);
	return ret;
}
