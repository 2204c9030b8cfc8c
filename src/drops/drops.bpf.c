// SPDX-License-Identifier: GPL-2.0
/*
 * Where the kernel drops packets and why, and every TCP retransmission:
 * counted in per-CPU maps (cheap per event), optionally streamed to a
 * ring buffer for consumers that want each event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "drops.h"

char LICENSE[] SEC("license") = "GPL";

/* Not in BTF: #defines of include/net/inet_connection_sock.h and tcp.h. */
#define ICSK_TIME_LOSS_PROBE	5
#define TCP_CA_RECOVERY		3
#define TCP_CA_LOSS		4
#define AF_INET			2
#define AF_INET6		10
#define TCPF_SYN_STATES		((1 << 2) | (1 << 3))	/* SYN_SENT, SYN_RECV */

const volatile __u32 targ_netns = 0;	/* 0: every namespace */
const volatile bool targ_ring = false;	/* also stream each event */
const volatile __u64 targ_wakeup = 0;	/* ring bytes waiting that wake the reader; 0: each record */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DROPS_MAX_KEYS);
	__type(key, struct drop_key);
	__type(value, struct drop_val);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, RTX_MAX_FLOWS);
	__type(key, struct rtx_key);
	__type(value, struct rtx_val);
} rtx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DSTAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Sized by the user side: one page when no one reads events. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

/*
 * Waking the reader costs the traced CPU more than the record itself (an
 * irq_work and a wake-up per drop, which cut a sender's rate to a third):
 * with targ_wakeup only once that much waits, and the reader also drains
 * on a short timer of its own, so a quiet ring is still read promptly.
 */
static __always_inline void ring_submit(void *e)
{
	__u64 flags = 0;

	if (targ_wakeup)
		flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= targ_wakeup ?
			BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

/* The per-CPU value for @key, created zeroed when new; NULL when the map is full. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero,
					    __u32 full_stat)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	/* -EEXIST means another CPU created it first: fine. */
	if (bpf_map_update_elem(map, key, zero, BPF_NOEXIST) && !bpf_map_lookup_elem(map, key)) {
		stat_inc(full_stat);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return sk ? BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) : 0;
}

/*
 * The device's namespace names where a drop happened; a socket's stands in
 * when the skb no longer has a device (local output, socket queues).
 */
static __always_inline void drop_place(struct sk_buff *skb, struct sock *rx_sk,
				       struct drop_key *k)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk;

	if (dev) {
		k->ifindex = BPF_CORE_READ(dev, ifindex);
		k->netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		if (k->netns)
			return;
	}
	k->ifindex = 0;
	sk = BPF_CORE_READ(skb, sk);
	k->netns = sk_netns(sk ? sk : rx_sk);
}

static __always_inline void ring_drop(struct sk_buff *skb, const struct drop_key *k)
{
	struct drop_event *e;
	unsigned char *head;
	__u16 nh, caplen = DROP_HDR_LEN;
	__u32 tail, off;
	__s64 data_off, net;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(DSTAT_RING_LOST);
		return;
	}
	e->type = EVT_DROP;
	/* Reserved ring memory is not zeroed: no stale kernel bytes in the padding. */
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	e->pad2 = 0;
	e->len = BPF_CORE_READ(skb, len);
	e->ts_ns = bpf_ktime_get_ns();
	e->key = *k;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	tail = BPF_CORE_READ(skb, tail);
	e->net_len = 0;
	/* ~0 means "not set"; the copy stops at the linear data's end. */
	if (nh == (__u16)~0U || nh >= tail) {
		caplen = 0;
	} else {
		/*
		 * skb->len counts from skb->data, which may sit before the
		 * network header (a device's output) or past it (TCP, after
		 * the IP header was pulled): measure from the header instead.
		 */
		data_off = (__s64)((unsigned char *)BPF_CORE_READ(skb, data) - head);
		net = (__s64)e->len + data_off - nh;
		e->net_len = net > 0 && net < 0xffffffffLL ? (__u32)net : 0;
		off = tail - nh;
		if (off < caplen)
			caplen = off;
		if (bpf_probe_read_kernel(e->data, DROP_HDR_LEN, head + nh))
			caplen = 0;
	}
	e->caplen = caplen;
	ring_submit(e);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(on_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason, struct sock *rx_sk)
{
	static const struct drop_val zero;
	struct drop_key k = {};
	struct drop_val *v;

	/* Freed after use, not dropped (older kernels send these here too). */
	if (reason == bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED))
		return 0;
	drop_place(skb, rx_sk, &k);
	if (targ_netns && k.netns != targ_netns)
		return 0;
	k.location = (__u64)location;
	k.reason = reason;
	k.protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	v = lookup_or_init(&drops, &k, &zero, DSTAT_DROP_MAP_FULL);
	if (v) {
		v->packets++;
		v->bytes += BPF_CORE_READ(skb, len);
	}
	if (targ_ring)
		ring_drop(skb, &k);
	return 0;
}

static __always_inline void flow_key(const struct sock *sk, struct rtx_key *k)
{
	k->netns = sk_netns(sk);
	k->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	k->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	k->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (k->family == AF_INET6) {
		BPF_CORE_READ_INTO(&k->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&k->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)k->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)k->daddr, sk, __sk_common.skc_daddr);
	}
}

static __always_inline void count_rtx(const struct rtx_key *k, __u32 kind, __u32 segs,
				      __u32 bytes, int err)
{
	static const struct rtx_val zero;
	struct rtx_val *v;

	v = lookup_or_init(&rtx, k, &zero, DSTAT_RTX_MAP_FULL);
	if (!v)
		return;
	v->events++;
	/*
	 * TcpRetransSegs counts a retransmission once __tcp_retransmit_skb()
	 * hands it to tcp_transmit_skb(): what fails before (-EBUSY, still in
	 * the host's queue; -ENOMEM) is not in it, but a local queue's drop on
	 * the way out (NET_XMIT_DROP, err 1) is, as well as in TCPRetransFail.
	 * Counting every failure out left the flows 1 or 2 short of the counter.
	 */
	if (err)
		v->failed += segs;
	if (err < 0)
		return;
	v->segs += segs;
	v->bytes += bytes;
	if (kind < RK_NKINDS)
		v->kind[kind] += segs;
}

static __always_inline __u32 rtx_kind(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = (const void *)sk;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	__u8 ca = BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);

	if ((1 << state) & TCPF_SYN_STATES)
		return RK_SYN;
	if (ca == TCP_CA_LOSS)
		return RK_RTO;
	if (ca == TCP_CA_RECOVERY)
		return RK_FAST;
	/* tcp_write_timer_handler() leaves icsk_pending set while the probe runs. */
	if (BPF_CORE_READ(icsk, icsk_pending) == ICSK_TIME_LOSS_PROBE)
		return RK_PROBE;
	return RK_OTHER;
}

/* One retransmission into the ring; state and ca_state from @sk (the listener for a SYN-ACK). */
static __always_inline void ring_rtx(const struct sock *sk, const struct rtx_key *k, __u32 kind,
				     __u32 seq, __u32 end_seq, __u32 segs, int err)
{
	struct rtx_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(DSTAT_RING_LOST);
		return;
	}
	e->type = EVT_RTX;
	e->kind = kind;
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->ca_state = BPF_CORE_READ_BITFIELD_PROBED((const struct inet_connection_sock *)sk,
						     icsk_ca_state);
	e->seq = seq;
	e->end_seq = end_seq;
	e->segs = segs;
	e->err = err;
	e->pad = 0;
	e->ts_ns = bpf_ktime_get_ns();
	e->key = *k;
	ring_submit(e);
}

/*
 * __tcp_retransmit_skb() fires this whether or not the transmit worked;
 * TcpRetransSegs grows by tcp_skb_pcount() only when it did (a failure
 * goes to TcpExtTCPRetransFail): so segs of err == 0 sum to that counter.
 */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(on_tcp_retransmit_skb, const struct sock *sk, const struct sk_buff *skb, int err)
{
	const struct tcp_skb_cb *cb = (const void *)skb->cb;
	struct rtx_key k = {};
	__u32 kind, segs;

	flow_key(sk, &k);
	if (targ_netns && k.netns != targ_netns)
		return 0;
	kind = rtx_kind(sk);
	segs = BPF_CORE_READ(cb, tcp_gso_segs);
	if (!segs)
		segs = 1;
	count_rtx(&k, kind, segs, BPF_CORE_READ(skb, len), err);
	if (targ_ring)
		ring_rtx(sk, &k, kind, BPF_CORE_READ(cb, seq), BPF_CORE_READ(cb, end_seq), segs, err);
	return 0;
}

/*
 * tcp_rtx_synack() adds one to TcpRetransSegs without the tracepoint above.
 * The SYN-ACK's sequence number is the request's initial one, and the SYN
 * takes one: streamed as [snt_isn, snt_isn + 1).
 */
SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(on_tcp_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	struct rtx_key k = {};
	__u32 isn;

	k.netns = sk_netns(sk);
	if (targ_netns && k.netns != targ_netns)
		return 0;
	k.family = BPF_CORE_READ(req, __req_common.skc_family);
	k.sport = BPF_CORE_READ(req, __req_common.skc_num);
	k.dport = bpf_ntohs(BPF_CORE_READ(req, __req_common.skc_dport));
	if (k.family == AF_INET6) {
		BPF_CORE_READ_INTO(&k.saddr, req, __req_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&k.daddr, req, __req_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)k.saddr, req, __req_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)k.daddr, req, __req_common.skc_daddr);
	}
	count_rtx(&k, RK_SYN, 1, 0, 0);
	if (targ_ring) {
		isn = BPF_CORE_READ((const struct tcp_request_sock *)req, snt_isn);
		ring_rtx(sk, &k, RK_SYN, isn, isn + 1, 1, 0);
	}
	return 0;
}
