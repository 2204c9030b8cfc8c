// SPDX-License-Identifier: GPL-2.0
/*
 * capdump [-f FILTER] [-w COPY] FILE|- : every packet capsrc delivers, one
 * a line, for comparing with what tshark reads from the same file:
 *
 *	SECONDS.NANOSECONDS IFID DLT CAPLEN WIRELEN
 *
 * and `reader libpcap|pcapng_read` on stderr (which of capsrc's readers
 * took the file: ifid is always 0 with libpcap). Exit 0; 1 with capsrc's
 * message when the file cannot be opened or read to its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capsrc.h"

static int print_pkt(void *ctx, const struct capsrc_pkt *p)
{
	(void)ctx;
	printf("%llu.%09llu %u %d %u %u\n", (unsigned long long)(p->ts_ns / 1000000000ULL),
	       (unsigned long long)(p->ts_ns % 1000000000ULL), p->ifid, p->linktype, p->caplen,
	       p->wirelen);
	return 0;
}

int main(int argc, char **argv)
{
	struct capsrc_opts o = { 0 };
	struct capsrc *c;
	char err[512];
	int opt, rc;

	while ((opt = getopt(argc, argv, "f:w:")) != -1) {
		if (opt == 'f') {
			o.filter = optarg;
		} else if (opt == 'w') {
			o.write = optarg;
		} else {
			fprintf(stderr, "usage: capdump [-f FILTER] [-w COPY] FILE|-\n");
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: capdump [-f FILTER] [-w COPY] FILE|-\n");
		return 2;
	}
	o.file = argv[optind];
	if (capsrc_open(&c, &o, err, sizeof(err))) {
		fprintf(stderr, "capdump: %s\n", err);
		return 1;
	}
	fprintf(stderr, "reader %s\n", capsrc_reader(c));
	rc = capsrc_loop(c, print_pkt, NULL);
	if (rc)
		fprintf(stderr, "capdump: %s\n", capsrc_error(c));
	if (!rc && capsrc_flush(c)) {
		fprintf(stderr, "capdump: %s\n", capsrc_error(c));
		rc = 1;
	}
	capsrc_close(c);
	if (fflush(stdout))
		return 1;
	return rc ? 1 : 0;
}
