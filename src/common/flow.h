/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One flow identity for every engine: a TCP or UDP 5-tuple in a network
 * namespace, built from a parsed packet, a BPF map key or a socket; one
 * printer and one set of JSON keys (saddr sport daddr dport, netns when
 * known), so that the events of rr, analyze and drops join on it.
 */
#ifndef DS_FLOW_H
#define DS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json;
struct tcp_seg;

struct flow_id {
	uint32_t netns;			/* net->ns.inum; 0 when unknown (a file) */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t sport, dport;		/* host order */
	uint8_t saddr[16], daddr[16];	/* IPv4 in the first 4 bytes, rest zero */
	uint16_t pad;			/* zero: flows compare and hash as bytes */
};

_Static_assert(sizeof(struct flow_id) == 44, "flow_id is compared as bytes");

/* "[2001:db8::1]:40000 > [2001:db8::2]:5201": room for the longest. */
#define FLOW_STR_LEN 104

/**
 * flow_set() - fill @f from its parts; the unused address bytes are zeroed.
 * @family: AF_INET or AF_INET6; @saddr, @daddr: 4 or 16 bytes.
 */
void flow_set(struct flow_id *f, int family, int proto, const void *saddr, uint16_t sport,
	      const void *daddr, uint16_t dport, uint32_t netns);
/* From a decoded segment (TCP, netns unknown): source to destination. */
void flow_from_seg(struct flow_id *f, const struct tcp_seg *s);
/*
 * The same in canonical form (flow_canon()), for a flow table's hot path.
 * Return: 1 when @s travels from the flow's destination to its source.
 */
int flow_canon_seg(struct flow_id *f, const struct tcp_seg *s);
/**
 * flow_from_socket() - local end as source, peer as destination, and the
 * calling thread's network namespace. Return: 0 or -errno.
 */
int flow_from_socket(struct flow_id *f, int fd);

void flow_reverse(struct flow_id *out, const struct flow_id *f);
/**
 * flow_canon() - the one form both directions share: the lower (address,
 * port) as source. Return: 1 when @f is the other direction (@out is it
 * reversed), else 0.
 */
int flow_canon(struct flow_id *out, const struct flow_id *f);
bool flow_eq(const struct flow_id *a, const struct flow_id *b);
/* Same flow in either direction (netns 0 on one side matches any). */
bool flow_same(const struct flow_id *a, const struct flow_id *b);
/* The same connection, either direction, seen from any namespaces. */
bool flow_same_addrs(const struct flow_id *a, const struct flow_id *b);

/* The one address printer: @af AF_INET or AF_INET6, "?" if it cannot. */
const char *addr_str(int af, const uint8_t *addr, char *buf, size_t len);
const char *flow_addr_str(const struct flow_id *f, const uint8_t *addr, char *buf, size_t len);
/* "198.18.0.1:40000 > 198.18.0.2:5201"; @len at least FLOW_STR_LEN. */
const char *flow_str(const struct flow_id *f, char *buf, size_t len);
/**
 * flow_json() - the flow's keys into the open object @j: saddr, sport,
 * daddr, dport, and netns (@netns_name, else "inum:N" when known).
 */
void flow_json(struct json *j, const struct flow_id *f, const char *netns_name);

#endif
