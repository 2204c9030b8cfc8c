/* SPDX-License-Identifier: GPL-2.0 */
/*
 * capsrc's second reader, private to capsrc.c: pcapng files that libpcap
 * 1.10 refuses, and pcapng on standard input, read with pcapng_read.c;
 * filters compiled per link type and run with pcap_offline_filter(); the
 * saved copy written as pcapng (pcap holds one link type only).
 */
#ifndef DS_CAPSRC_NG_H
#define DS_CAPSRC_NG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capsrc.h"

struct ngsrc;

/**
 * ngsrc_probe() - should @path be read by pcapng_read.c rather than libpcap?
 * @out: the open source when 1 is returned
 * @path: a file; @name: how messages call it
 * @force: a pcapng file libpcap could not open: read it ourselves if ours can
 *
 * The file is read once through a scratch reader (block headers and IDBs),
 * since an interface may be declared after packets of others; then back to
 * its start for the real read, if ours.
 * Return: 1 (ours), 0 (libpcap's: not pcapng, broken before any reason
 * to refuse it, or not a regular file), or -ENOMEM.
 */
int ngsrc_probe(struct ngsrc **out, const char *path, const char *name, bool force);

/* A pcapng stream on @fd whose first @n bytes (the magic) were read already; @own: close it. */
int ngsrc_open_fd(struct ngsrc **out, int fd, bool own, const char *name, const uint8_t *head,
		  size_t n);

/* 0, or -EINVAL ("bad filter 'X' for interface 1 (LINUX_SLL): ...") in ngsrc_error(). */
int ngsrc_set_filter(struct ngsrc *s, const char *expr);
int ngsrc_open_write(struct ngsrc *s, const char *path);

/**
 * ngsrc_dispatch() - deliver up to @max packets (-1: all) that pass the filter.
 * @stop: checked before each packet; @cbrc: set to the callback's non-zero value
 * Return: packets delivered (0 at the end), or -EIO with ngsrc_error().
 */
int ngsrc_dispatch(struct ngsrc *s, int max, const volatile sig_atomic_t *stop, capsrc_cb cb,
		   void *ctx, int *cbrc);
int ngsrc_linktype(const struct ngsrc *s);
double ngsrc_progress(const struct ngsrc *s);
int ngsrc_flush(struct ngsrc *s);
const char *ngsrc_error(const struct ngsrc *s);
void ngsrc_close(struct ngsrc *s);

#endif
