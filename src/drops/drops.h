/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What drops.bpf.c and the user side share: map keys, values and the
 * per-event records of the optional ring buffer. Fixed-size __u types only.
 */
#ifndef DS_BPF_DROPS_H
#define DS_BPF_DROPS_H

#define DROPS_MAX_KEYS	16384	/* distinct (location, netns, device, reason, protocol) */
#define RTX_MAX_FLOWS	16384	/* distinct retransmitting flows */
#define DROP_HDR_LEN	96	/* packet bytes copied from the network header on */

/* One kind of drop, counted per CPU: where, on which device, why. */
struct drop_key {
	__u64 location;		/* kernel address that freed the skb */
	__u32 netns;		/* net->ns.inum of the device, else of the socket; 0 unknown */
	__u32 ifindex;		/* skb->dev at the drop; 0 when none */
	__u32 reason;		/* enum skb_drop_reason, this kernel's numbering */
	__u16 protocol;		/* skb->protocol, host order (0x0800, 0x86dd, ...) */
	__u16 pad;
};

struct drop_val {
	__u64 packets;
	__u64 bytes;
};

/* How the kernel came to retransmit, read from the socket at the tracepoint. */
enum rtx_kind {
	RK_RTO,		/* icsk_ca_state == TCP_CA_Loss: after a timeout */
	RK_FAST,		/* TCP_CA_Recovery: fast retransmit / recovery */
	RK_PROBE,		/* the loss-probe timer is running it: TLP */
	RK_SYN,		/* SYN or SYN-ACK (connection not established) */
	RK_OTHER,		/* Open/Disorder/CWR without a probe: e.g. MTU probing */
	RK_NKINDS,
};

struct rtx_key {
	__u32 netns;
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 sport, dport;	/* host order; sport is the local port */
	__u16 pad;
	__u8 saddr[16], daddr[16];	/* IPv4 in the first 4 bytes */
	__u32 pad2;		/* to 8 bytes: snapshots store values right after keys */
};

struct rtx_val {
	__u64 segs;		/* tcp_skb_pcount() of those sent: what TcpRetransSegs adds */
	__u64 events;		/* tracepoint hits, failed ones included */
	__u64 bytes;		/* of those sent */
	__u64 failed;		/* segments whose transmit failed (err != 0): TCPRetransFail;
				 * err > 0 (a local drop after the counter) is in segs too */
	__u64 kind[RK_NKINDS];	/* segments sent, by kind */
};

/* The tracer's own losses, per CPU. */
enum drops_stat {
	DSTAT_DROP_MAP_FULL,
	DSTAT_RTX_MAP_FULL,
	DSTAT_RING_LOST,
	DSTAT_NR,
};

enum ev_type { EVT_DROP = 1, EVT_RTX = 2 };

/* Ring-buffer records, for a consumer that wants every event. */
struct drop_event {
	__u8 type;		/* EVT_DROP */
	__u8 pad[3];
	__u32 len;		/* skb->len */
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	struct drop_key key;
	__u16 caplen;		/* bytes in data[] */
	__u16 pad2;
	__u32 net_len;		/* bytes from the network header to the end (0: unknown) */
	__u8 data[DROP_HDR_LEN];	/* from the network header */
};

struct rtx_event {
	__u8 type;		/* EVT_RTX */
	__u8 kind;		/* enum rtx_kind */
	__u8 state;		/* sk_state */
	__u8 ca_state;
	__u32 seq, end_seq;
	__u32 segs;
	__s32 err;
	__u32 pad;
	__u64 ts_ns;
	struct rtx_key key;
};

#endif
