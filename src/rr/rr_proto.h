/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rr control protocol: short text lines on a connection of its own, so the
 * data connections carry nothing but request and response payload.
 *
 *   client                                  server
 *   DSRR1 streams=N req=R resp=S limit_s=L  ->
 *                                           <- OK port=P      (data listener)
 *   (N data connections to port P)
 *                                           <- READY
 *   ... transactions on the data connections ...
 *   DONE                                    ->
 *                                           <- RESULT conns=N
 *                                           <- CONN port=SPORT trans=T retrans=R rto=X   (N lines)
 *                                           <- END
 * Any step may instead be answered with "ERR <reason>".
 */
#ifndef DS_RR_PROTO_H
#define DS_RR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define RR_PROTO_MAGIC	"DSRR1"
#define RR_LINE_MAX	256
#define RR_MAX_STREAMS	1024
#define RR_MAX_SIZE	(16u << 20)
#define RR_MAX_LIMIT_S	(7 * 24 * 3600)

struct rr_hello {
	uint32_t streams;
	uint32_t req_size;
	uint32_t resp_size;
	uint32_t limit_s;	/* the server ends the session after this */
};

struct rr_conn_report {
	uint16_t port;		/* the client's source port of that connection */
	uint64_t transactions;
	uint64_t retrans;
	int64_t rto;		/* -1: kernel does not report it */
};

/* Buffered line reader/writer over the control socket. */
struct rr_ctl {
	int fd;
	size_t have;
	char buf[2048];
};

/**
 * rr_kv_u64() - find "key=<decimal>" among the space-separated tokens of @line.
 * Return: 0, -ENOENT if absent, -EINVAL if not a decimal or out of range.
 */
int rr_kv_u64(const char *line, const char *key, uint64_t max, uint64_t *out);

int rr_hello_parse(const char *line, struct rr_hello *h);
int rr_conn_parse(const char *line, struct rr_conn_report *c);

/*
 * Client and server spread N connections over worker threads the same way:
 * at most one thread per online CPU (or @requested), contiguous slices.
 */
uint32_t rr_workers(uint32_t items, uint32_t requested);
/* Slice @i of @items over @workers: first index in *@first, length returned. */
uint32_t rr_slice(uint32_t items, uint32_t workers, uint32_t i, uint32_t *first);

void rr_ctl_init(struct rr_ctl *c, int fd);
/* Return: 0, -ETIMEDOUT, -ECONNRESET on EOF, -EPROTO on an over-long line. */
int rr_ctl_getline(struct rr_ctl *c, char *line, size_t max, int timeout_ms);
int rr_ctl_printf(struct rr_ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
