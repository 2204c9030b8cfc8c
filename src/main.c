// SPDX-License-Identifier: GPL-2.0
/* dropscope: global flags, the command table and dispatch. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dropscope.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "params.h"

struct ds_globals ds;

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "rr", do_rr, "request/response workload with RTO-aware latency histograms" },
	{ "analyze", do_analyze, "TCP loss analysis of a capture file or a live interface" },
	{ "drops", do_drops, "where the kernel drops packets: counters and traced drops per device" },
	{ "diagnose", do_diagnose, "one run, one verdict: which device dropped which segment of which slow transaction" },
	{ "shape", do_shape, "the inline shaper: DSCP classes in an HTB tree whose rate follows the path's limit" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

void ds_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dropscope %s: %s\n", cmd, msg);
	ds_error_json(msg);
}

void ds_error_json(const char *msg)
{
	struct json j;

	if (!ds.json)
		return;
	json_init(&j, stdout, ds.pretty);
	json_obj_open(&j, NULL);
	json_str(&j, "error", msg);
	json_obj_close(&j);
	json_end(&j);
}

int ds_options(const char *cmd, const char *synopsis, const struct opt *opts, int argc,
	       char **argv, void *args, int *pos)
{
	char why[320];
	int p = params_parse(cmd, synopsis, opts, argc, argv, args, why, sizeof(why));

	if (p == -2)
		return EXIT_OK;
	if (p == -1)
		ds_error(cmd, "%s", why);
	if (p < 0)
		return EXIT_USAGE;
	*pos = p;
	return -1;
}

int ds_loop_init(const char *cmd, struct loop *l)
{
	int err = loop_init(l);

	if (err)
		ds_error(cmd, "cannot set up the run loop: %s", strerror(-err));
	return err ? EXIT_FAIL : EXIT_OK;
}

void ds_report(const char *type, void (*json)(struct json *j, const void *ctx),
	       void (*text)(FILE *f, const void *ctx), const void *ctx)
{
	struct json j;

	if (!ds.json) {
		text(stdout, ctx);
		fflush(stdout);
		return;
	}
	json_init(&j, stdout, ds.pretty && !type);
	json_obj_open(&j, NULL);
	if (type)
		json_str(&j, "type", type);
	json(&j, ctx);
	json_obj_close(&j);
	json_end(&j);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: dropscope [-j] [-p] [-s] [-v|-q] <command> [options]\n"
		   "       dropscope <command> --help\n\n"
		   "Finds where packets are lost, and keeps them from being lost.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\nGlobal options:\n"
		   "  -j, --json      one JSON document on stdout\n"
		   "  -p, --pretty    indent JSON\n"
		   "  -s, --stats     more detail (repeatable)\n"
		   "  -v, --verbose   more messages on stderr (repeatable)\n"
		   "  -q, --quiet     errors only\n"
		   "  -V, --version   print the version\n");
}

/* Exact name, or a unique prefix of one ("dropscope r" is rr). */
static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *hit = NULL;

	for (size_t i = 0; i < NCMDS; i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
		if (!strncmp(cmds[i].name, name, strlen(name))) {
			if (hit)
				return NULL;
			hit = &cmds[i];
		}
	}
	return hit;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "stats", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct cmd *cmd;
	int c;

	/* '+': stop at the command name; its options are its own. */
	while ((c = getopt_long(argc, argv, "+jpsvqVh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': ds.json = true; break;
		case 'p': ds.pretty = true; break;
		case 's': ds.stats++; break;
		case 'v': log_level++; break;
		case 'q': log_level = LOG_QUIET; break;
		case 'V': printf("dropscope %s\n", DS_VERSION); return EXIT_OK;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd) {
		fprintf(stderr, "dropscope: unknown or ambiguous command '%s' (try 'dropscope help')\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	return cmd->fn(argc - optind, argv + optind);
}
