/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pcapng writer (libpcap reads pcapng but writes only pcap): one section
 * whose header names dropscope, interfaces with names and nanosecond
 * stamps, and packets that each may carry a comment, e.g. why the kernel
 * dropped it. Wireshark, tshark and libpcap read what it writes.
 */
#ifndef DS_PCAPNG_H
#define DS_PCAPNG_H

#include <stdint.h>

/*
 * Link types (LINKTYPE_*, the values files carry, not DLT_*). RAW: packets
 * that start at the IPv4 or IPv6 header, as the drop tracer's do; IPV4 and
 * IPV6: the same for one family only.
 */
#define PCAPNG_LINKTYPE_ETHERNET	1
#define PCAPNG_LINKTYPE_RAW		101
#define PCAPNG_LINKTYPE_IPV4		228
#define PCAPNG_LINKTYPE_IPV6		229
/* The largest caplen libpcap and Wireshark accept (libpcap's MAXIMUM_SNAPLEN). */
#define PCAPNG_MAX_CAPLEN		262144U

struct pcapng_writer;

/**
 * pcapng_open() - create (or truncate) @path and write the section header
 * @w: the writer, set on success
 * @path: the file
 *
 * The Section Header Block carries shb_userappl "dropscope <version>",
 * shb_os and shb_hardware from uname(2). Host byte order, as pcapng allows.
 *
 * Return: 0, or -errno (nothing is left open).
 */
int pcapng_open(struct pcapng_writer **w, const char *path);

/**
 * pcapng_add_if() - write an Interface Description Block
 * @w: writer
 * @linktype: LINKTYPE_* value (PCAPNG_LINKTYPE_RAW for the tracer's packets)
 * @snaplen: the longest caplen its packets may have; 0: no limit
 * @name: if_name, e.g. "srv0"; NULL or "" for none
 * @description: if_description, e.g. "netns srv, nft input"; NULL or "" for none
 *
 * Its stamps are nanoseconds (if_tsresol 9). An interface may be added
 * after packets of others: pcapng wants it only before its own first packet.
 *
 * Wireshark and tshark read any mix of interfaces. libpcap (tcpdump,
 * dropscope analyze) stops at the first interface whose linktype or
 * snaplen differs from the first one's, and (Debian 12's 1.10.3, and
 * upstream's sf-pcapng.c still) compares a later IDB's LINKTYPE with the
 * first one's DLT: for RAW, 101 against DLT_RAW 12, so it reads no file
 * with two RAW interfaces. Files
 * for libpcap: one RAW interface, or IPV4 (or IPV6) interfaces only, whose
 * LINKTYPE and DLT values agree.
 *
 * Return: the interface id (0, 1, ... in order of addition), or -errno:
 * -EINVAL for a linktype above 65535 or a string longer than 65535 bytes.
 */
int pcapng_add_if(struct pcapng_writer *w, int linktype, uint32_t snaplen,
		  const char *name, const char *description);

/**
 * pcapng_add_packet() - write an Enhanced Packet Block
 * @w: writer
 * @ifid: an id pcapng_add_if() returned
 * @ts_ns: nanoseconds since the UNIX epoch; an event's CLOCK_MONOTONIC
 *	   t_ns becomes one with mono_offset_ns() added
 * @data: the @caplen bytes captured
 * @caplen: bytes in @data, at most the interface's snaplen and PCAPNG_MAX_CAPLEN
 * @wirelen: the packet's length when it was whole, >= @caplen
 * @comment: opt_comment (UTF-8, at most 65535 bytes); NULL or "" for none
 *
 * Return: 0, or -errno: -EINVAL (nothing written) for an unknown @ifid or
 * lengths out of bounds, else the first write error of @w.
 */
int pcapng_add_packet(struct pcapng_writer *w, int ifid, uint64_t ts_ns,
		      const void *data, uint32_t caplen, uint32_t wirelen,
		      const char *comment);

/**
 * pcapng_flush() - hand what @w wrote so far to the kernel
 *
 * Return: 0, or -errno of the first write that failed since pcapng_open(),
 * this flush included.
 */
int pcapng_flush(struct pcapng_writer *w);

/**
 * pcapng_close() - flush, close and free @w (NULL: nothing to do)
 *
 * Return: 0, or -errno of the first write that failed since pcapng_open(),
 * this flush and close included. The file stays either way.
 */
int pcapng_close(struct pcapng_writer *w);

#endif
