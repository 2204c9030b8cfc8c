// SPDX-License-Identifier: GPL-2.0
/* The one flow identity: both directions are one flow; the JSON keys. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "json.h"
#include "netns.h"
#include "pkt.h"
#include "unit.h"

static void seg4(struct tcp_seg *s, const char *sa, uint16_t sp, const char *da, uint16_t dp)
{
	memset(s, 0, sizeof(*s));
	s->family = 4;
	inet_pton(AF_INET, sa, s->saddr);
	inet_pton(AF_INET, da, s->daddr);
	s->sport = sp;
	s->dport = dp;
}

static void test_flow_ipv4_directions(void)
{
	struct tcp_seg s;
	struct flow_id a, b, ca, cb;
	char buf[FLOW_STR_LEN];

	seg4(&s, "198.18.0.2", 40000, "198.18.0.1", 5201);
	flow_from_seg(&a, &s);
	seg4(&s, "198.18.0.1", 5201, "198.18.0.2", 40000);
	flow_from_seg(&b, &s);
	CHECK(!flow_eq(&a, &b) && flow_same(&a, &b), "one flow, two directions");
	CHECK(flow_canon(&ca, &a) == 1 && flow_canon(&cb, &b) == 0 && flow_eq(&ca, &cb),
	      "one canonical form");
	seg4(&s, "198.18.0.2", 40000, "198.18.0.1", 5201);
	CHECK(flow_canon_seg(&cb, &s) == 1 && flow_eq(&ca, &cb), "the flow table's form is it");
	CHECK(!strcmp(flow_str(&a, buf, sizeof(buf)), "198.18.0.2:40000 > 198.18.0.1:5201"),
	      "%s", buf);
	CHECK(a.family == AF_INET && a.proto == IPPROTO_TCP && a.netns == 0, "fields");
	{
		const uint8_t edges[][4] = { { 0, 0, 0, 0 }, { 255, 255, 255, 255 }, { 10, 9, 100, 99 } };
		const char *want[] = { "0.0.0.0", "255.255.255.255", "10.9.100.99" };

		for (int i = 0; i < 3; i++)
			CHECK(!strcmp(addr_str(AF_INET, edges[i], buf, sizeof(buf)), want[i]), "%s", buf);
	}
	/* Same addresses, ports decide; netns 0 (a file) matches any namespace. */
	seg4(&s, "198.18.0.1", 6000, "198.18.0.1", 5000);
	flow_from_seg(&a, &s);
	CHECK(flow_canon(&ca, &a) == 1 && ca.sport == 5000, "ports order a loopback flow");
	b = a;
	b.netns = 4026531840u;
	CHECK(flow_same(&a, &b), "unknown netns matches");
	a.netns = 4026531841u;
	CHECK(!flow_same(&a, &b), "two namespaces are two flows");
}

static void test_flow_ipv6(void)
{
	uint8_t x[16], y[16];
	struct flow_id a, b;
	char buf[FLOW_STR_LEN];

	inet_pton(AF_INET6, "2001:2::2", x);
	inet_pton(AF_INET6, "2001:2::1", y);
	flow_set(&a, AF_INET6, IPPROTO_TCP, x, 40000, y, 5201, 7);
	flow_reverse(&b, &a);
	CHECK(flow_same(&a, &b) && b.sport == 5201 && b.netns == 7, "reverse");
	CHECK(!strcmp(flow_str(&a, buf, sizeof(buf)), "[2001:2::2]:40000 > [2001:2::1]:5201"),
	      "%s", buf);
	memset(x, 0xff, 16);
	memset(y, 0xee, 16);
	flow_set(&a, AF_INET6, IPPROTO_UDP, x, 65535, y, 65535, 0);
	flow_str(&a, buf, sizeof(buf));
	CHECK(strlen(buf) < FLOW_STR_LEN - 1, "the longest fits: %zu", strlen(buf));
}

static void test_flow_socket(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int ls = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s;
	struct flow_id fc, fs;
	uint32_t self = 0;

	CHECK(ls >= 0 && c >= 0, "sockets");
	CHECK(!bind(ls, (struct sockaddr *)&sin, sizeof(sin)) && !listen(ls, 1) &&
	      !getsockname(ls, (struct sockaddr *)&sin, &len), "listen");
	CHECK(!connect(c, (struct sockaddr *)&sin, sizeof(sin)), "connect");
	s = accept(ls, NULL, NULL);
	CHECK(s >= 0, "accept");
	CHECK(flow_from_socket(&fc, c) == 0 && flow_from_socket(&fs, s) == 0, "from sockets");
	CHECK(fc.dport == ntohs(sin.sin_port) && fs.sport == fc.dport && fs.dport == fc.sport,
	      "ends: %u>%u, %u>%u", fc.sport, fc.dport, fs.sport, fs.dport);
	netns_current_inum(&self);
	CHECK(fc.netns && fc.netns == self && flow_same(&fc, &fs), "one flow, netns %u",
	      fc.netns);
	CHECK(flow_from_socket(&fc, ls) < 0, "a listener has no flow");
	close(s);
	close(c);
	close(ls);
}

static void test_flow_json(void)
{
	struct tcp_seg s;
	struct flow_id f;
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	seg4(&s, "198.18.0.2", 40000, "198.18.0.1", 5201);
	flow_from_seg(&f, &s);
	json_init(&j, m, false);
	json_obj_open(&j, NULL);
	flow_json(&j, &f, NULL);
	json_obj_close(&j);
	f.netns = 12;
	json_obj_open(&j, NULL);
	flow_json(&j, &f, NULL);
	json_obj_close(&j);
	json_obj_open(&j, NULL);
	flow_json(&j, &f, "ds-a");
	json_obj_close(&j);
	json_flush(&j);
	fclose(m);
	CHECK(strstr(buf, "{\"saddr\":\"198.18.0.2\",\"sport\":40000,\"daddr\":\"198.18.0.1\","
			  "\"dport\":5201}") != NULL, "%s", buf);
	CHECK(strstr(buf, "{\"netns\":\"inum:12\",\"saddr\"") != NULL, "%s", buf);
	CHECK(strstr(buf, "{\"netns\":\"ds-a\",\"saddr\"") != NULL, "%s", buf);
	free(buf);
}

int main(void)
{
	RUN(test_flow_ipv4_directions);
	RUN(test_flow_ipv6);
	RUN(test_flow_socket);
	RUN(test_flow_json);
	return unit_done();
}
