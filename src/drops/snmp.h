/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's protocol counters as text: /proc/net/snmp and /proc/net/netstat
 * (pairs of lines, "Tcp: RtoAlgorithm RtoMin ..." then "Tcp: 1 200 ..."), and
 * the per-CPU backlog counters of /proc/net/softnet_stat. Parsers work on a
 * buffer; procbuf_read() fills one from an fd opened earlier, so a file opened
 * inside a namespace keeps being read from there without privilege.
 */
#ifndef DS_SNMP_H
#define DS_SNMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest "PrefixField" name passed on ("TcpExtTCPDSACKIgnoredNoUndo" is 27). */
#define SNMP_NAME_MAX 64

/*
 * Called once per counter with its nstat-style name ("TcpRetransSegs",
 * "TcpExtTCPTimeouts"). Return 0 to go on, a negative errno to stop.
 */
typedef int (*snmp_cb)(const char *name, uint64_t value, void *arg);

/**
 * snmp_parse() - the counters of a /proc/net/snmp or /proc/net/netstat text.
 * @buf: @len bytes, not necessarily NUL-terminated; several files may be
 *       concatenated.
 *
 * Each header line is matched with the next line of the same prefix. A pair
 * whose field counts differ, a header without values, a line without a
 * "Prefix:" and a value that is no decimal number within 64 bits are
 * skipped; the other counters are still passed on. Signed values (Tcp
 * MaxConn is -1) come as their two's complement.
 * Return: 0, -EINVAL if something was skipped, or the callback's error.
 */
int snmp_parse(const char *buf, size_t len, snmp_cb cb, void *arg);

/**
 * snmp_pick() - the values of @n counters named in @names, by snmp_parse().
 * @vals: set for each name found, left alone for the others.
 * @found: if not NULL, @found[i] tells whether @names[i] was there.
 * Return: as snmp_parse() (a name not found is no error).
 */
int snmp_pick(const char *buf, size_t len, const char *const *names, size_t n,
	      uint64_t *vals, bool *found);

/* A growable buffer for the contents of a /proc file. */
struct procbuf {
	char *p;
	size_t len, cap;
};

/**
 * procbuf_read() - read the whole file @fd from offset 0 into @b.
 *
 * pread() from 0 makes a seq_file produce fresh contents each time, so one
 * fd opened once serves every sample. @b->p is NUL-terminated.
 * Return: 0 or -errno.
 */
int procbuf_read(struct procbuf *b, int fd);

void procbuf_free(struct procbuf *b);

struct softnet_sum {
	uint64_t processed;	/* packets taken off the backlog by NAPI (col 1) */
	uint64_t dropped;	/* backlog full, netdev_max_backlog (col 2) */
	uint64_t time_squeeze;	/* net_rx_action ran out of budget or time (col 3) */
	uint64_t flow_limit_count; /* dropped by flow limit (col 11) */
};

struct softnet_cpu {
	uint32_t cpu;
	uint32_t processed, dropped, time_squeeze, flow_limit_count;
};

struct softnet_stat {
	struct softnet_sum sum;
	bool has_flow_limit;	/* the kernel prints column 11 */
	size_t ncpu;
	struct softnet_cpu *cpu; /* one per line, malloc'd: softnet_free() */
};

/**
 * softnet_parse() - /proc/net/softnet_stat: one line per online CPU, 32-bit
 * hex columns. The CPU number is column 13 where the kernel prints it
 * (5.10+), else the line number. A line with fewer than 3 columns or a
 * token that is no 32-bit hex number is skipped.
 * Return: 0, -EINVAL if a line was skipped, -ENOMEM; @s is usable unless -ENOMEM.
 */
int softnet_parse(const char *buf, size_t len, struct softnet_stat *s);

void softnet_free(struct softnet_stat *s);

/**
 * softnet_delta() - what happened between @a and @b, CPU by CPU.
 *
 * Per CPU and modulo 2^32: each column is a 32-bit counter that wraps (a
 * busy CPU passes 2^32 processed packets in hours), which a difference of
 * 64-bit sums would turn into a huge negative jump. A CPU missing from @a
 * (brought online since) counts from zero.
 */
void softnet_delta(const struct softnet_stat *a, const struct softnet_stat *b,
		   struct softnet_sum *d);

#endif
