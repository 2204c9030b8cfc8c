// SPDX-License-Identifier: GPL-2.0
/* Event lines: one schema (type, t_ns first) for every engine's NDJSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze_report.h"
#include "event.h"
#include "flow.h"
#include "unit.h"

/* Read the whole of @path into a malloc'd string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n = f ? fread(buf, 1, 65535, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static void test_event_lines(void)
{
	char path[] = "/tmp/ds-test-event.XXXXXX";
	int fd = mkstemp(path);
	struct ev_out o;
	struct json *j;
	char *s;

	CHECK(fd >= 0, "mkstemp");
	close(fd);
	CHECK(ev_open(&o, path) == 0, "open");
	j = ev_begin(&o, "drop", 123456789);
	json_u64(j, "ifindex", 3);
	ev_end(&o);
	j = ev_begin(&o, "retrans", -5);	/* a file older than this boot */
	ev_end(&o);
	j = ev_interval(&o, 1000, 2 * 1000000000ULL, 3500000000ULL, 1000000000ULL);
	json_u64(j, "packets", 7);
	ev_end(&o);
	CHECK(o.n == 3, "count %llu", (unsigned long long)o.n);
	CHECK(ev_close(&o) == 0, "close");
	s = slurp(path);
	CHECK(!strcmp(s, "{\"type\":\"drop\",\"t_ns\":123456789,\"ifindex\":3}\n"
			 "{\"type\":\"retrans\",\"t_ns\":-5}\n"
			 "{\"type\":\"interval\",\"t_ns\":1000,\"t_s\":1.500000,\"interval_s\":1.000000,"
			 "\"packets\":7}\n"), "%s", s);
	free(s);
	unlink(path);
	CHECK(ev_open(&o, "/nonexistent-dir/x") == -ENOENT, "a clear errno");
}

static void test_event_analyze_retrans(void)
{
	char path[] = "/tmp/ds-test-event.XXXXXX";
	int fd = mkstemp(path);
	struct analyze_retrans r = { .ts_ns = 10, .frame = 42, .seq = 4294967295u, .len = 1448,
				     .cls = RTX_SPURIOUS, .trigger = RTX_TLP, .where = LOSS_UPSTREAM };
	uint8_t a[4], b[4];
	struct ev_out o;
	char *s;

	close(fd);
	inet_pton(AF_INET, "198.18.0.1", a);
	inet_pton(AF_INET, "198.18.0.2", b);
	flow_set(&r.flow, AF_INET, IPPROTO_TCP, a, 40000, b, 5201, 0);
	CHECK(ev_open(&o, path) == 0, "open");
	analyze_retrans_json(&o, 7, &r);
	CHECK(ev_close(&o) == 0, "close");
	s = slurp(path);
	CHECK(!strcmp(s, "{\"type\":\"retrans\",\"t_ns\":7,\"source\":\"capture\","
			 "\"saddr\":\"198.18.0.1\",\"sport\":40000,\"daddr\":\"198.18.0.2\","
			 "\"dport\":5201,\"seq\":4294967295,\"len\":1448,\"class\":\"spurious\","
			 "\"trigger\":\"tlp\",\"location\":\"upstream\",\"frame\":42}\n"), "%s", s);
	free(s);
	unlink(path);
}

int main(void)
{
	RUN(test_event_lines);
	RUN(test_event_analyze_retrans);
	return unit_done();
}
