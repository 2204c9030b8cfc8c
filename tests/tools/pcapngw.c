// SPDX-License-Identifier: GPL-2.0
/*
 * pcapngw - write a pcapng file with src/common/pcapng.c from a text spec,
 * so shell tests can read it back with tshark and capinfos.
 *
 *	pcapngw OUT <SPEC
 *
 * One directive per line, `#` at the start of a line is a comment:
 *	if LINKTYPE SNAPLEN NAME [DESCRIPTION...]	NAME "-": none
 *	pkt IFID TS_NS WIRELEN HEX [COMMENT...]		HEX "-": no bytes
 * An interface's id is its place among the `if` lines, from 0. A bad line
 * exits 2 naming it; a writer error exits 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define MAXDATA 65536

static unsigned int lineno;

static void __attribute__((noreturn)) bad(const char *why)
{
	fprintf(stderr, "pcapngw: line %u: %s\n", lineno, why);
	exit(2);
}

static uint64_t num(char **save)
{
	char *s = strtok_r(NULL, " \t\n", save), *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		bad("want a number");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno)
		bad("want a number");
	return v;
}

/* What is left of the line after the separator, without its newline; NULL if nothing. */
static char *rest(char **save)
{
	char *s = *save;

	if (!s)
		return NULL;
	s += strspn(s, " \t");
	s[strcspn(s, "\n")] = '\0';
	return *s ? s : NULL;
}

static uint32_t hex(const char *s, uint8_t *out)
{
	uint32_t n = 0;
	unsigned int b;

	if (!strcmp(s, "-"))
		return 0;
	for (; s[0] && s[1] && n < MAXDATA; s += 2) {
		if (sscanf(s, "%2x", &b) != 1)
			bad("bad hex");
		out[n++] = (uint8_t)b;
	}
	if (*s)
		bad("hex of an odd length, or too long");
	return n;
}

static int line(struct pcapng_writer *w, char *l)
{
	static uint8_t data[MAXDATA];
	char *save = NULL, *kw = strtok_r(l, " \t\n", &save), *name, *h;
	uint64_t a, b, c;
	uint32_t n;

	if (!kw || kw[0] == '#')
		return 0;
	if (!strcmp(kw, "if")) {
		a = num(&save);
		b = num(&save);
		name = strtok_r(NULL, " \t\n", &save);
		if (!name)
			bad("want a name");
		return pcapng_add_if(w, (int)a, (uint32_t)b, strcmp(name, "-") ? name : NULL,
				     rest(&save));
	}
	if (strcmp(kw, "pkt"))
		bad("want if or pkt");
	a = num(&save);
	b = num(&save);
	c = num(&save);
	h = strtok_r(NULL, " \t\n", &save);
	if (!h)
		bad("want HEX");
	n = hex(h, data);
	return pcapng_add_packet(w, (int)a, b, data, n, (uint32_t)c, rest(&save));
}

int main(int argc, char **argv)
{
	struct pcapng_writer *w;
	char buf[4 * MAXDATA];
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: pcapngw OUT <SPEC\n");
		return 2;
	}
	ret = pcapng_open(&w, argv[1]);
	if (ret) {
		fprintf(stderr, "pcapngw: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	while (fgets(buf, sizeof(buf), stdin)) {
		lineno++;
		ret = line(w, buf);
		if (ret < 0) {
			fprintf(stderr, "pcapngw: line %u: %s\n", lineno, strerror(-ret));
			pcapng_close(w);
			return ret == -EINVAL ? 2 : 1;
		}
	}
	ret = pcapng_close(w);
	if (ret) {
		fprintf(stderr, "pcapngw: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	return 0;
}
