// SPDX-License-Identifier: GPL-2.0
/*
 * pcapng writer (draft-ietf-opsawg-pcapng): SHB, IDB and EPB with their
 * options. Each block is built whole in a buffer, its total length patched
 * in at both ends, then handed to stdio in one call; a write error sticks
 * and pcapng_close() reports it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "dropscope.h"
#include "pcapng.h"

#define BT_SHB		0x0a0d0d0aU
#define BT_IDB		0x00000001U
#define BT_EPB		0x00000006U
#define BYTE_ORDER_MAGIC 0x1a2b3c4dU

#define OPT_ENDOFOPT	0
#define OPT_COMMENT	1
#define SHB_HARDWARE	2
#define SHB_OS		3
#define SHB_USERAPPL	4
#define IF_NAME		2
#define IF_DESCRIPTION	3
#define IF_TSRESOL	9
#define TSRESOL_NS	9	/* 10^-9 s per unit */

#define OPT_MAX		0xffffU

struct pcapng_writer {
	FILE *f;
	int err;		/* first write error, -errno */
	uint32_t nif;
	uint32_t *snaplen;	/* per interface; 0: no limit */
	unsigned char *buf;	/* the block being built */
	size_t len, cap;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Makes room for @n more bytes of the block; 0 or -ENOMEM. */
static int blk_reserve(struct pcapng_writer *w, size_t n)
{
	unsigned char *p;
	size_t cap = w->cap ? w->cap : 512;

	if (w->len + n <= w->cap)
		return 0;
	while (cap < w->len + n)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p)
		return -ENOMEM;
	w->buf = p;
	w->cap = cap;
	return 0;
}

/* Appends @n bytes and zeros up to a 32-bit boundary; room was reserved. */
static void blk_put(struct pcapng_writer *w, const void *p, size_t n)
{
	if (n)
		memcpy(w->buf + w->len, p, n);
	memset(w->buf + w->len + n, 0, pad4(n) - n);
	w->len += pad4(n);
}

static void blk_u32(struct pcapng_writer *w, uint32_t v)
{
	blk_put(w, &v, 4);
}

static void blk_u16(struct pcapng_writer *w, uint16_t a, uint16_t b)
{
	uint16_t v[2] = { a, b };

	blk_put(w, v, 4);
}

/* An option: code, length, value padded to 32 bits. */
static void blk_opt(struct pcapng_writer *w, uint16_t code, const void *p, size_t n)
{
	blk_u16(w, code, (uint16_t)n);
	blk_put(w, p, n);
}

/* Option bytes a string takes; 0 when it is absent. */
static size_t opt_size(const char *s)
{
	return s && *s ? 4 + pad4(strlen(s)) : 0;
}

static void blk_opt_str(struct pcapng_writer *w, uint16_t code, const char *s)
{
	if (s && *s)
		blk_opt(w, code, s, strlen(s));
}

/* Starts a block of @type with room for @body bytes after its header. */
static int blk_begin(struct pcapng_writer *w, uint32_t type, size_t body)
{
	int ret;

	w->len = 0;
	ret = blk_reserve(w, 8 + body + 4);
	if (ret)
		return ret;
	blk_u32(w, type);
	blk_u32(w, 0);		/* total length, known at blk_end() */
	return 0;
}

/* Closes options that were written (@opts), patches the lengths, writes. */
static int blk_end(struct pcapng_writer *w, int opts)
{
	uint32_t total;

	if (opts)
		blk_u16(w, OPT_ENDOFOPT, 0);
	total = (uint32_t)(w->len + 4);
	memcpy(w->buf + 4, &total, 4);
	blk_u32(w, total);
	if (w->err)
		return w->err;
	if (fwrite(w->buf, 1, w->len, w->f) != w->len)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

static int write_shb(struct pcapng_writer *w)
{
	static const char appl[] = "dropscope " DS_VERSION;
	struct utsname u;
	char os[2 * sizeof(u.sysname) + 2] = "";
	size_t body;
	int ret;

	if (uname(&u) == 0)
		snprintf(os, sizeof(os), "%s %s", u.sysname, u.release);
	else
		u.machine[0] = '\0';
	body = 16 + opt_size(appl) + opt_size(os) + opt_size(u.machine) + 4;
	ret = blk_begin(w, BT_SHB, body);
	if (ret)
		return ret;
	blk_u32(w, BYTE_ORDER_MAGIC);
	blk_u16(w, 1, 0);		/* version 1.0 */
	blk_u32(w, 0xffffffffU);	/* section length -1: not given */
	blk_u32(w, 0xffffffffU);
	blk_opt_str(w, SHB_HARDWARE, u.machine);
	blk_opt_str(w, SHB_OS, os);
	blk_opt_str(w, SHB_USERAPPL, appl);
	return blk_end(w, 1);
}

int pcapng_open(struct pcapng_writer **wp, const char *path)
{
	struct pcapng_writer *w;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->f = fopen(path, "we");
	if (!w->f) {
		ret = -errno;
		goto err_free;
	}
	ret = write_shb(w);
	if (ret)
		goto err_close;
	*wp = w;
	return 0;

err_close:
	fclose(w->f);
err_free:
	free(w->buf);
	free(w);
	return ret;
}

static int str_too_long(const char *s)
{
	return s && strlen(s) > OPT_MAX;
}

int pcapng_add_if(struct pcapng_writer *w, int linktype, uint32_t snaplen,
		  const char *name, const char *description)
{
	static const uint8_t tsresol = TSRESOL_NS;
	uint32_t *sl;
	int ret;

	if (linktype < 0 || linktype > 0xffff || str_too_long(name) ||
	    str_too_long(description) || w->nif >= (uint32_t)INT32_MAX)
		return -EINVAL;
	sl = realloc(w->snaplen, (w->nif + 1) * sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	w->snaplen = sl;
	ret = blk_begin(w, BT_IDB, 8 + opt_size(name) + opt_size(description) + 8 + 4);
	if (ret)
		return ret;
	blk_u16(w, (uint16_t)linktype, 0);
	blk_u32(w, snaplen);
	blk_opt_str(w, IF_NAME, name);
	blk_opt_str(w, IF_DESCRIPTION, description);
	blk_opt(w, IF_TSRESOL, &tsresol, 1);
	ret = blk_end(w, 1);
	if (ret)
		return ret;
	sl[w->nif] = snaplen;
	return (int)w->nif++;
}

int pcapng_add_packet(struct pcapng_writer *w, int ifid, uint64_t ts_ns,
		      const void *data, uint32_t caplen, uint32_t wirelen,
		      const char *comment)
{
	size_t copt = opt_size(comment);
	int ret;

	if (ifid < 0 || (uint32_t)ifid >= w->nif || caplen > wirelen ||
	    caplen > PCAPNG_MAX_CAPLEN || (caplen && !data) || str_too_long(comment) ||
	    (w->snaplen[ifid] && caplen > w->snaplen[ifid]))
		return -EINVAL;
	ret = blk_begin(w, BT_EPB, 20 + pad4(caplen) + copt + (copt ? 4 : 0));
	if (ret)
		return ret;
	blk_u32(w, (uint32_t)ifid);
	blk_u32(w, (uint32_t)(ts_ns >> 32));
	blk_u32(w, (uint32_t)ts_ns);
	blk_u32(w, caplen);
	blk_u32(w, wirelen);
	blk_put(w, data, caplen);
	blk_opt_str(w, OPT_COMMENT, comment);
	return blk_end(w, copt != 0);
}

int pcapng_flush(struct pcapng_writer *w)
{
	if (fflush(w->f) == EOF && !w->err)
		w->err = errno ? -errno : -EIO;
	return w->err;
}

int pcapng_close(struct pcapng_writer *w)
{
	int ret;

	if (!w)
		return 0;
	ret = w->err;
	if (fflush(w->f) == EOF && !ret)
		ret = -errno;
	if (fclose(w->f) == EOF && !ret)
		ret = -errno;
	free(w->snaplen);
	free(w->buf);
	free(w);
	return ret;
}
