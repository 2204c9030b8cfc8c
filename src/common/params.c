// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#define MAX_OPTS PARAMS_MAX

/* "5", "2.5", "2.5s", "500ms", "3m", "1h" -> seconds. */
int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		;
	else if (!strcmp(end, "ms"))
		v /= 1e3;
	else if (!strcmp(end, "us"))
		v /= 1e6;
	else if (!strcmp(end, "m"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_unsigned(const char *s, unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return (errno || *end) ? -EINVAL : 0;
}

static int store(const struct opt *o, const char *arg, char *cfg)
{
	void *field = cfg + o->off;
	unsigned long long u;
	double d;

	switch (o->type) {
	case OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case OPT_STRING:
		*(const char **)field = arg;
		return 0;
	case OPT_CUSTOM:
		return o->parse(arg, field);
	case OPT_SECONDS:
		if (parse_seconds(arg, &d))
			return -EINVAL;
		if ((o->min && d * 1e3 < o->min) || (o->max && d * 1e3 > o->max))
			return -ERANGE;
		*(double *)field = d;
		return 0;
	case OPT_U32:
	case OPT_U64:
		if (parse_unsigned(arg, &u))
			return -EINVAL;
		if (u < o->min || (o->max && u > o->max))
			return -ERANGE;
		if (o->type == OPT_U32)
			*(uint32_t *)field = (uint32_t)u;
		else
			*(uint64_t *)field = u;
		return 0;
	}
	return -EINVAL;
}

static void range_hint(const struct opt *o, char *buf, size_t len)
{
	buf[0] = 0;
	if (o->type == OPT_SECONDS && o->max)
		snprintf(buf, len, " (expected %g..%g s)", o->min / 1e3, o->max / 1e3);
	else if ((o->type == OPT_U32 || o->type == OPT_U64) && o->max)
		snprintf(buf, len, " (expected %llu..%llu)", o->min, o->max);
}

int params_parse(const char *cmd, const char *synopsis, const struct opt *opts,
		 int argc, char **argv, void *cfg, char *why, size_t whylen)
{
	struct option lopts[MAX_OPTS + 2];
	char sopts[MAX_OPTS * 2 + 4] = "h";
	size_t n = 0, s = 1;
	int c, idx;

	for (const struct opt *o = opts; o->name && n < MAX_OPTS; o++, n++) {
		lopts[n] = (struct option){ o->name,
			o->type == OPT_FLAG ? no_argument : required_argument,
			NULL, 0 };
		if (o->short_opt) {
			sopts[s++] = (char)o->short_opt;
			if (o->type != OPT_FLAG)
				sopts[s++] = ':';
		}
	}
	lopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	lopts[n] = (struct option){ 0 };
	sopts[s] = 0;

	optind = 0;	/* glibc: 0 fully reinitialises getopt after main()'s pass */
	opterr = 0;
	while ((c = getopt_long(argc, argv, sopts, lopts, &idx)) != -1) {
		const struct opt *o = NULL;
		char hint[64];
		int err;

		if (c == 'h') {
			params_usage(stdout, cmd, synopsis, opts);
			return -2;
		}
		if (c == '?' || c == ':') {
			snprintf(why, whylen, "%s '%s' (see 'dropscope %s --help')",
				 c == ':' ? "missing value for" : "unknown option",
				 argv[optind - 1], cmd);
			return -1;
		}
		if (c == 0)
			o = &opts[idx];
		for (const struct opt *p = opts; !o && p->name; p++)
			if (p->short_opt == c)
				o = p;
		if (!o) {
			snprintf(why, whylen, "unknown option '%s'", argv[optind - 1]);
			return -1;
		}
		err = store(o, optarg, cfg);
		if (err) {
			range_hint(o, hint, sizeof(hint));
			snprintf(why, whylen, "--%s: invalid value '%s'%s", o->name, optarg, hint);
			return -1;
		}
	}
	return optind;
}

void params_usage(FILE *f, const char *cmd, const char *synopsis,
		  const struct opt *opts)
{
	fprintf(f, "Usage: %s\n\nOptions:\n", synopsis);
	for (const struct opt *o = opts; o->name; o++) {
		char left[48];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s",
			 o->short_opt ? '-' : ' ', o->short_opt ? o->short_opt : ' ',
			 o->short_opt ? ", " : "  ", o->name,
			 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help");
	(void)cmd;
}

int params_cat(struct opt *dst, size_t cap, const struct opt *src, size_t shift)
{
	size_t n = 0, m = 0;

	while (dst[n].name)
		n++;
	while (src[m].name)
		m++;
	if (n + m + 1 > cap)
		return -1;
	for (size_t i = 0; i < m; i++) {
		dst[n + i] = src[i];
		dst[n + i].off += shift;
	}
	dst[n + m] = (struct opt)OPT_END;
	return (int)(n + m);
}
