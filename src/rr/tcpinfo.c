// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/tcp.h>

#include "tcpinfo.h"

/*
 * Debian 12's uapi struct tcp_info ends at tcpi_snd_wnd; Linux 6.7 appended
 * tcpi_rcv_wnd, tcpi_rehash (u32 each), then tcpi_total_rto (u16). The
 * kernel copies min(optlen, its size), so the returned length tells whether
 * the field exists.
 */
#define TCPI_TOTAL_RTO_OFF (offsetof(struct tcp_info, tcpi_snd_wnd) + 4 + 4 + 4)

int tcpinfo_read(int fd, struct tcp_retrans *r)
{
	unsigned char buf[512];
	struct tcp_info ti;
	socklen_t len = sizeof(buf);
	uint16_t rto;

	memset(buf, 0, sizeof(buf));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, buf, &len))
		return -errno;
	memcpy(&ti, buf, sizeof(ti));
	r->total_retrans = ti.tcpi_total_retrans;
	r->rtt_us = ti.tcpi_rtt;
	r->min_rtt_us = ti.tcpi_min_rtt;
	r->total_rto = -1;
	if (len >= TCPI_TOTAL_RTO_OFF + sizeof(rto)) {
		memcpy(&rto, buf + TCPI_TOTAL_RTO_OFF, sizeof(rto));
		r->total_rto = rto;
	}
	return 0;
}

static int queue_seq(int fd, int queue, uint32_t *seq)
{
	socklen_t len = sizeof(*seq);

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue)) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &len))
		return -errno;
	return 0;
}

int tcp_seq_read(int fd, uint32_t *snd_nxt, uint32_t *rcv_nxt)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, reuse = 0, err;
	socklen_t len = sizeof(reuse);

	if (getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &len))
		return -errno;
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)))
		return -errno;
	err = queue_seq(fd, TCP_SEND_QUEUE, snd_nxt);
	if (!err)
		err = queue_seq(fd, TCP_RECV_QUEUE, rcv_nxt);
	/*
	 * Leaving repair mode with TCP_REPAIR_OFF would send a window probe;
	 * the connection is live and needs none. Failing to leave it would
	 * leave a socket that sends nothing: report that as the error.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)))
		err = -errno;
	/*
	 * Leaving repair mode also clears sk_reuse, which the connection's
	 * TIME-WAIT socket inherits: without SO_REUSEADDR back, the next run
	 * with the same --sport-base could not bind for a minute.
	 */
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)) && !err)
		err = -errno;
	return err;
}
