// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: bytes a peer may send on the rr control connection,
 * through the buffered line reader and every line parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rr_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_all(const char *line)
{
	struct rr_conn_report c;
	struct rr_hello h;
	uint64_t v;

	rr_hello_parse(line, &h);
	rr_conn_parse(line, &c);
	rr_kv_u64(line, "port", 65535, &v);
	rr_kv_u64(line, "conns", RR_MAX_STREAMS, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[RR_LINE_MAX];
	struct rr_ctl ctl;
	int sv[2];

	/* The parsers see NUL-terminated lines; feed the raw input as one too. */
	if (size < RR_LINE_MAX) {
		memcpy(line, data, size);
		line[size] = 0;
		parse_all(line);
	}
	/* Larger than a socket buffer would block the writer: cap it. */
	if (size > 64 * 1024 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 0;
	if (write(sv[0], data, size) != (ssize_t)size) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	close(sv[0]);
	rr_ctl_init(&ctl, sv[1]);
	while (!rr_ctl_getline(&ctl, line, sizeof(line), 0))
		parse_all(line);
	close(sv[1]);
	return 0;
}
