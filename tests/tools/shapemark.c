// SPDX-License-Identifier: GPL-2.0
/*
 * shapemark - the shaper's DSCP marking (src/shape/mark.c) from the
 * command line, for tests/netns/shape_mark.sh, on a configuration built
 * from the arguments (not from a file: config.c's parser is not used).
 *
 *	shapemark apply|print DEVICE CLASS...
 *	shapemark remove DEVICE
 *
 * CLASS is NAME[:KEY=VALUE,...], KEY one of src, dst (prefixes), sport,
 * dport (N or N-M), proto (a number), dscp (the DSCP matched), set (the
 * DSCP set), or the word `default` (the default class).
 *
 * print writes shape_mark_ruleset()'s script on stdout. Exits 0, 1 with
 * the reason on stderr, 2 for a bad command line, 3 on -EPERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark.h"
#include "monitor.h"

static int num(const char *s, long lo, long hi, long *v)
{
	char *end;

	*v = strtol(s, &end, 10);
	return (end == s || *end || *v < lo || *v > hi) ? -EINVAL : 0;
}

static int ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	char a[16];
	const char *dash = strchr(s, '-');
	long l, h;

	snprintf(a, sizeof(a), "%.*s", dash ? (int)(dash - s) : (int)strlen(s), s);
	if (num(a, 1, 65535, &l) || (dash && num(dash + 1, 0, 65535, &h)))
		return -EINVAL;
	*lo = (uint16_t)l;
	*hi = dash ? (uint16_t)h : (uint16_t)l;
	return 0;
}

/* One KEY=VALUE of class @i. */
static int class_key(struct shape_config *c, unsigned int i, char *kv)
{
	struct shape_class_cfg *k = &c->cls[i];
	struct shape_match *m = &k->match;
	char *val = strchr(kv, '=');
	long v;

	if (!strcmp(kv, "default")) {
		c->desc.default_class = (int)i;
		return 0;
	}
	if (!val)
		return -EINVAL;
	*val++ = 0;
	if (!strcmp(kv, "set"))
		return num(val, 0, 255, &v) ? -EINVAL : (k->set_dscp = (int)v, 0);
	k->has_match = true;
	if (!strcmp(kv, "src"))
		return (m->has_src = true, monitor_parse_prefix(val, strlen(val), &m->src));
	if (!strcmp(kv, "dst"))
		return (m->has_dst = true, monitor_parse_prefix(val, strlen(val), &m->dst));
	if (!strcmp(kv, "sport"))
		return ports(val, &m->sport_lo, &m->sport_hi);
	if (!strcmp(kv, "dport"))
		return ports(val, &m->dport_lo, &m->dport_hi);
	if (!strcmp(kv, "proto"))
		return num(val, 0, 255, &v) ? -EINVAL : (m->proto = (int)v, 0);
	if (!strcmp(kv, "dscp"))
		return num(val, 0, 255, &v) ? -EINVAL : (m->dscp = (int)v, 0);
	return -EINVAL;
}

static int add_class(struct shape_config *c, char *spec)
{
	unsigned int i = c->desc.n;
	char *colon = strchr(spec, ':'), *kv, *save = NULL;

	if (i == SHAPE_MAX_CLASSES)
		return -EINVAL;
	c->desc.n++;
	c->cls[i].set_dscp = c->cls[i].match.proto = c->cls[i].match.dscp = -1;
	if (colon)
		*colon++ = 0;
	snprintf(c->desc.cls[i].name, SHAPE_NAME_LEN, "%s", spec);
	for (kv = colon ? strtok_r(colon, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save))
		if (class_key(c, i, kv)) {
			fprintf(stderr, "shapemark: class %s: bad '%s'\n", spec, kv);
			return -EINVAL;
		}
	c->desc.cls[i].dscp = c->cls[i].set_dscp >= 0 ? c->cls[i].set_dscp : c->cls[i].match.dscp;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: shapemark apply|print DEVICE CLASS...\n"
			"       shapemark remove DEVICE\n"
			"CLASS: NAME[:src=P,dst=P,sport=N[-M],dport=N[-M],proto=N,dscp=N,set=N,default]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct shape_config c;
	static char script[65536];
	char err[512] = "";
	int ret;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "remove")) {
		ret = shape_mark_remove(argv[2], err, sizeof(err));
		goto out;
	}
	if (strcmp(argv[1], "apply") && strcmp(argv[1], "print"))
		return usage();
	c.desc.default_class = -1;
	snprintf(c.device, sizeof(c.device), "%s", argv[2]);
	if (strlen(argv[2]) >= sizeof(c.device))
		memcpy(c.device, argv[2], sizeof(c.device));	/* shape_mark_*() refuses it */
	for (int i = 3; i < argc; i++)
		if (add_class(&c, argv[i]))
			return usage();
	if (!strcmp(argv[1], "print")) {
		ret = shape_mark_ruleset(&c, script, sizeof(script));
		if (ret >= 0) {
			fputs(script, stdout);
			return 0;
		}
		snprintf(err, sizeof(err), "%s", strerror(-ret));
	} else {
		ret = shape_mark_apply(&c, err, sizeof(err));
	}
out:
	if (!ret)
		return 0;
	fprintf(stderr, "shapemark: %s\n", err);
	return ret == -EPERM ? 3 : 1;
}
