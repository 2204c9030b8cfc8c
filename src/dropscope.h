/* SPDX-License-Identifier: GPL-2.0 */
/* What main() hands to every command: the global flags and exit codes. */
#ifndef DS_DROPSCOPE_H
#define DS_DROPSCOPE_H

#include <stdbool.h>
#include <stdio.h>

struct json;
struct loop;
struct opt;

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
/* Only the -j half: {"error": @msg} on stdout (the message went to stderr before). */
void ds_error_json(const char *msg);

/*
 * The prologue and epilogue every command shares, once.
 *
 * ds_options() - parse the command's options into @args (params_parse()):
 * --help printed, an error reported as ds_error() does.
 * Return: -1 to go on, with the first operand's index in @pos; else the
 * exit code to return (EXIT_OK after --help, EXIT_USAGE).
 */
int ds_options(const char *cmd, const char *synopsis, const struct opt *opts, int argc,
	       char **argv, void *args, int *pos);
/* loop_init() with its failure reported. Return: EXIT_OK or EXIT_FAIL. */
int ds_loop_init(const char *cmd, struct loop *l);
/*
 * The final report on standard output: with -j one JSON object whose keys
 * @json writes (after "type": @type when one is given, as the last line
 * of an NDJSON stream: then compact), else what @text prints.
 */
void ds_report(const char *type, void (*json)(struct json *j, const void *ctx),
	       void (*text)(FILE *f, const void *ctx), const void *ctx);

int do_rr(int argc, char **argv);
int do_analyze(int argc, char **argv);
int do_drops(int argc, char **argv);
int do_diagnose(int argc, char **argv);
int do_shape(int argc, char **argv);

#endif
