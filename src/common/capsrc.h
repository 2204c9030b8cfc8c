/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where packets come from: a pcap/pcapng file, standard input, or a live
 * interface, through libpcap, with an optional tcpdump-style filter.
 * Timestamps are delivered in nanoseconds whatever the file's precision.
 * pcapng files libpcap refuses (interfaces of different link types or
 * snaplens, sections of both byte orders) are read by pcapng_read.c
 * instead, and pcapng on standard input or a FIFO always is: see capsrc_ng.c.
 */
#ifndef DS_CAPSRC_H
#define DS_CAPSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capsrc;

struct capsrc_opts {
	const char *file;	/* path, or "-" for standard input */
	const char *iface;	/* live capture instead of a file */
	const char *filter;	/* tcpdump filter expression, or NULL */
	int snaplen;		/* live: 0 = 262144 */
	int buffer_mb;		/* live: kernel ring size, 0 = libpcap default */
	bool promisc;		/* live */
	bool inbound;		/* live: only what the interface receives (the kernel skips the rest) */
	const char *write;	/* also save what passes the filter here (pcap, ns;
				 * pcapng when pcapng_read.c reads the input) */
};

struct capsrc_stats {
	uint64_t received;	/* live: what libpcap's ps_recv says */
	uint64_t dropped;	/* live: ps_drop (ring full: capture loss) */
	uint64_t if_dropped;	/* live: ps_ifdrop */
};

/* One packet as the callback sees it; valid only during the call. */
struct capsrc_pkt {
	uint64_t ts_ns;		/* nanoseconds since the epoch */
	const uint8_t *data;
	uint32_t caplen;	/* bytes at @data */
	uint32_t wirelen;	/* the packet's original length */
	int linktype;		/* DLT_* (as capsrc_linktype()), per packet: pcapng mixes them */
	uint32_t ifid;		/* the file's interface, numbered across its sections;
				 * 0 for everything libpcap reads (it does not say) */
};

/* Return 0 to go on, non-zero to stop the loop (returned by capsrc_loop). */
typedef int (*capsrc_cb)(void *ctx, const struct capsrc_pkt *p);

/**
 * capsrc_open() - open a file, stdin or interface and apply the filter.
 * Return: 0, or -errno with a one-line reason in @err (no trailing newline):
 * "cannot open x.pcap: unknown file format", "no such device eth9",
 * "capture on eth0 needs CAP_NET_RAW (run as root)" (-EPERM),
 * "bad filter 'tcp port': syntax error" (-EINVAL).
 */
int capsrc_open(struct capsrc **out, const struct capsrc_opts *o, char *err, size_t errlen);

/**
 * capsrc_loop() - deliver packets until end of file, capsrc_break(), a
 * non-zero callback return, or an error.
 * Return: 0 at end of input or break, the callback's value, or -EIO with
 * the reason from capsrc_error() (e.g. a truncated last record).
 */
int capsrc_loop(struct capsrc *c, capsrc_cb cb, void *ctx);
void capsrc_break(struct capsrc *c);		/* async-signal-safe */
/* Live: an fd to poll (the capture is non-blocking from then on); files: -1. */
int capsrc_fd(struct capsrc *c);
int capsrc_dispatch(struct capsrc *c, int max, capsrc_cb cb, void *ctx);
/**
 * capsrc_drain() - live, after a stop: deliver what the kernel still holds
 * in its ring (up to 70 ms of waiting). Files: nothing.
 * Return: packets delivered, or -EIO.
 */
int capsrc_drain(struct capsrc *c, capsrc_cb cb, void *ctx);
/*
 * Live: true once the capture's interface was deleted (its packet socket
 * no longer has one). The kernel reports only the interface going down
 * (which libpcap does not call an error while the name still exists), and
 * nothing at the unregistration that follows: ask after an error event or
 * a stall. Files and "any": false.
 */
bool capsrc_gone(struct capsrc *c);
/* DLT_* of the source; with pcapng_read.c, the first interface's (-1: none yet). */
int capsrc_linktype(const struct capsrc *c);
const char *capsrc_error(const struct capsrc *c);
/* Which reader took the source: "libpcap" or "pcapng_read" (see capsrc_ng.h). */
const char *capsrc_reader(const struct capsrc *c);
/* Files: fraction of the file read so far, 0..1, or -1 when unknown (stdin). */
double capsrc_progress(const struct capsrc *c);
int capsrc_stats(struct capsrc *c, struct capsrc_stats *st);
/* Flush the saved copy (capsrc_opts.write): 0, or -EIO with capsrc_error(). */
int capsrc_flush(struct capsrc *c);
void capsrc_close(struct capsrc *c);

#endif
