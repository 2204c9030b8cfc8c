/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command options declared as a table that fills a per-command config
 * struct; the same table prints the usage text, so help never drifts.
 */
#ifndef DS_PARAMS_H
#define DS_PARAMS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_FLAG,	/* bool, set to true */
	OPT_U32,	/* unsigned, range-checked against min..max */
	OPT_U64,
	OPT_SECONDS,	/* double seconds: "5", "2.5", "500ms", "1m" */
	OPT_STRING,	/* const char *, points into argv */
	OPT_CUSTOM,	/* parse() fills the field */
};

struct opt {
	const char *name;
	int short_opt;			/* 0: long form only */
	enum opt_type type;
	size_t off;			/* offsetof(config struct, field) */
	const char *metavar;
	const char *help;
	unsigned long long min, max;	/* OPT_U32/U64 range; OPT_SECONDS in ms */
	int (*parse)(const char *arg, void *field);	/* OPT_CUSTOM: 0 or -EINVAL */
};

#define OPT_END { 0 }
#define PARAMS_MAX 64		/* options one table may hold */

/**
 * params_cat() - append @src's options to table @dst (OPT_END-terminated,
 * room for @cap entries with the end), each offset moved by @shift: a
 * command embedding a shared struct at @shift takes its options whole.
 * Return: entries in @dst, or -1 (nothing appended) when they do not fit.
 */
int params_cat(struct opt *dst, size_t cap, const struct opt *src, size_t shift);

/**
 * params_parse() - parse argv against an option table into @cfg.
 * @cmd:  command name used in messages ("rr")
 * @why:  on -1, the one-line error (without "dropscope CMD: "), for the
 *        caller to report with ds_error(): stderr, and {"error"} with -j
 * Return: index of the first positional argument, or -1 (the caller exits
 * 2). "-h/--help" returns -2 after usage.
 */
int params_parse(const char *cmd, const char *synopsis, const struct opt *opts,
		 int argc, char **argv, void *cfg, char *why, size_t whylen);

void params_usage(FILE *f, const char *cmd, const char *synopsis,
		  const struct opt *opts);

int parse_seconds(const char *s, double *out);

#endif
