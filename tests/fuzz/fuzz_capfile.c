// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input as a capture file (pcap or pcapng, libpcap
 * decides) through the capture source and the analyzer, as `analyze -r`.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyze.h"
#include "capsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_packet(void *ctx, const struct capsrc_pkt *p)
{
	analyzer_packet(ctx, p->linktype, p->ifid, p->ts_ns, p->data, p->caplen, p->wirelen);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct analyzer a;
	struct analyze_opts o = { .max_flows = 8, .top_flows = 2 };
	struct capsrc_opts so = { 0 };
	struct capsrc *src;
	char path[64], err[256];
	int fd = memfd_create("capfile", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size)
		goto out;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	so.file = path;
	if (capsrc_open(&src, &so, err, sizeof(err)))
		goto out;
	if (!analyzer_init(&a, &o)) {
		capsrc_loop(src, on_packet, &a);
		analyzer_finish(&a);
		analyzer_free(&a);
	}
	capsrc_close(src);
out:
	close(fd);
	return 0;
}
