// SPDX-License-Identifier: GPL-2.0
/* The rr control-line parsers get untrusted input from the network. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rr_proto.h"
#include "unit.h"

static void test_kv_basic(void)
{
	uint64_t v = 0;

	CHECK(rr_kv_u64("OK port=40123", "port", 65535, &v) == 0 && v == 40123, "v=%llu",
	      (unsigned long long)v);
	CHECK(rr_kv_u64("CONN port=1 trans=2 retrans=3", "trans", UINT64_MAX, &v) == 0 &&
	      v == 2, "trans must not match retrans: v=%llu", (unsigned long long)v);
	CHECK(rr_kv_u64("CONN retrans=3", "trans", UINT64_MAX, &v) == -ENOENT,
	      "a key's suffix is not the key");
	CHECK(rr_kv_u64("x port=", "port", 65535, &v) == -EINVAL, "empty value");
	CHECK(rr_kv_u64("x port=12a", "port", 65535, &v) == -EINVAL, "trailing junk");
	CHECK(rr_kv_u64("x port=-1", "port", 65535, &v) == -EINVAL, "negative");
	CHECK(rr_kv_u64("x port=65536", "port", 65535, &v) == -EINVAL, "over max");
	CHECK(rr_kv_u64("x n=18446744073709551616", "n", UINT64_MAX, &v) == -EINVAL,
	      "u64 overflow");
	CHECK(rr_kv_u64("x n=18446744073709551615", "n", UINT64_MAX, &v) == 0 &&
	      v == UINT64_MAX, "u64 max");
}

static void test_hello(void)
{
	struct rr_hello h;

	CHECK(rr_hello_parse("DSRR1 streams=16 req=1 resp=1 limit_s=60", &h) == 0 &&
	      h.streams == 16 && h.req_size == 1 && h.resp_size == 1 && h.limit_s == 60,
	      "valid hello");
	CHECK(rr_hello_parse("DSRR2 streams=16 req=1 resp=1 limit_s=60", &h) == -EPROTO,
	      "wrong magic");
	CHECK(rr_hello_parse("GET / HTTP/1.1", &h) == -EPROTO, "garbage");
	CHECK(rr_hello_parse("DSRR1 streams=0 req=1 resp=1 limit_s=60", &h) == -EINVAL,
	      "zero streams");
	CHECK(rr_hello_parse("DSRR1 streams=1025 req=1 resp=1 limit_s=60", &h) == -EINVAL,
	      "too many streams");
	CHECK(rr_hello_parse("DSRR1 streams=1 req=16777217 resp=1 limit_s=60", &h) == -EINVAL,
	      "request too large");
	CHECK(rr_hello_parse("DSRR1 streams=1 req=1 limit_s=60", &h) == -EINVAL,
	      "missing resp");
	CHECK(rr_hello_parse("", &h) == -EPROTO, "empty line");
}

static void test_conn(void)
{
	struct rr_conn_report c;

	CHECK(rr_conn_parse("CONN port=5001 trans=99 retrans=4 rto=3", &c) == 0 &&
	      c.port == 5001 && c.transactions == 99 && c.retrans == 4 && c.rto == 3,
	      "valid conn");
	CHECK(rr_conn_parse("CONN port=5001 trans=99 retrans=4 rto=-1", &c) == 0 &&
	      c.rto == -1, "unknown rto");
	CHECK(rr_conn_parse("CONN port=70000 trans=1 retrans=0 rto=0", &c) == -EINVAL,
	      "port out of range");
	CHECK(rr_conn_parse("RESULT conns=1", &c) == -EPROTO, "not a CONN line");
}

int main(void)
{
	RUN(test_kv_basic);
	RUN(test_hello);
	RUN(test_conn);
	return unit_done();
}
