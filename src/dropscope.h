/* SPDX-License-Identifier: GPL-2.0 */
/* What main() hands to every command: the global flags and exit codes. */
#ifndef DS_DROPSCOPE_H
#define DS_DROPSCOPE_H

#include <stdbool.h>

#define DS_VERSION "0.1.0"

enum ds_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* runtime failure */
	EXIT_USAGE = 2,
	EXIT_NOPERM = 3,	/* missing privilege or kernel feature */
};

struct ds_globals {
	bool json;	/* -j */
	bool pretty;	/* -p */
	int stats;	/* -s, repeatable: more detail */
};

extern struct ds_globals ds;

/* Reports a failure on stderr and, with -j, as {"error": ...} on stdout. */
void ds_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int do_rr(int argc, char **argv);
int do_analyze(int argc, char **argv);
int do_drops(int argc, char **argv);

#endif
