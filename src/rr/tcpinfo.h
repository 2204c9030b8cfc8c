/* SPDX-License-Identifier: GPL-2.0 */
/* Per-socket retransmission counters from TCP_INFO. */
#ifndef DS_TCPINFO_H
#define DS_TCPINFO_H

#include <stdint.h>

struct tcp_retrans {
	uint32_t total_retrans;	/* segments; counted with TcpRetransSegs */
	int32_t total_rto;	/* RTO expirations, -1 where the kernel lacks it */
	uint32_t rtt_us;
	uint32_t min_rtt_us;
};

/**
 * tcpinfo_read() - read the retransmission counters of TCP socket @fd.
 * Return: 0 or -errno.
 */
int tcpinfo_read(int fd, struct tcp_retrans *r);

/**
 * tcp_seq_read() - the next sequence number @fd sends (snd_nxt, as
 * write_seq with nothing queued) and the next it expects (rcv_nxt), read
 * in TCP repair mode, which is left at once without a window probe. Call
 * it on an established socket before any data. Needs CAP_NET_ADMIN.
 * Return: 0, -EPERM without the privilege, or another -errno.
 */
int tcp_seq_read(int fd, uint32_t *snd_nxt, uint32_t *rcv_nxt);

#endif
