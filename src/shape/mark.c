// SPDX-License-Identifier: GPL-2.0
/*
 * The shaper's DSCP marking: the nft script of a configuration (pure) and
 * its one-transaction replacement through libnftables.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nftables/libnftables.h>

#include "mark.h"

/* A bounded text writer: once full it stays full and writes nothing more. */
struct sbuf {
	char *p;
	size_t len, off;
	bool full;
};

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->off) {
		b->full = true;
		return;
	}
	b->off += (size_t)n;
}

static int check_device(const char *device)
{
	size_t n = strnlen(device, IF_NAMESIZE);

	if (n == 0 || n == IF_NAMESIZE)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (device[i] == '"' || device[i] == '\\' || (unsigned char)device[i] < 0x20)
			return -EINVAL;
	return 0;
}

int shape_mark_table(const char *device, char *name, size_t len)
{
	size_t p = sizeof(SHAPE_MARK_TABLE_PREFIX) - 1, n = strnlen(device, IF_NAMESIZE);

	if (check_device(device) || len < p + n + 1)
		return -EINVAL;
	memcpy(name, SHAPE_MARK_TABLE_PREFIX, p);
	for (size_t i = 0; i < n; i++) {
		char ch = device[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';

		name[p + i] = ok ? ch : '_';
	}
	name[p + n] = 0;
	return 0;
}

bool shape_mark_needed(const struct shape_config *c)
{
	for (unsigned int i = 0; i < c->desc.n && i < SHAPE_MAX_CLASSES; i++)
		if (c->cls[i].set_dscp >= 0 &&
		    (c->cls[i].has_match || (int)i == c->desc.default_class))
			return true;
	return false;
}

/* The family a match fixes by its addresses: 0 (none), 4 or 6; -EINVAL for both. */
static int match_family(const struct shape_match *m)
{
	int s = m->has_src ? m->src.family : 0, d = m->has_dst ? m->dst.family : 0;

	if ((s && s != 4 && s != 6) || (d && d != 4 && d != 6) || (s && d && s != d))
		return -EINVAL;
	return s ? s : d;
}

static void put_pfx(struct sbuf *b, const char *dir, const struct mon_pfx *p)
{
	uint8_t a[16] = { 0 };
	unsigned int bytes = p->len / 8;
	char txt[INET6_ADDRSTRLEN];
	int af = p->family == 4 ? AF_INET : AF_INET6;

	/* nft wants the host bits clear: the prefix as written, masked. */
	memcpy(a, p->addr, bytes);
	if (p->len % 8)
		a[bytes] = p->addr[bytes] & (uint8_t)(0xff00 >> (p->len % 8));
	inet_ntop(af, a, txt, sizeof(txt));
	sb_printf(b, " %s %s %s/%u", p->family == 4 ? "ip" : "ip6", dir, txt, p->len);
}

static void put_ports(struct sbuf *b, const char *dir, uint16_t lo, uint16_t hi)
{
	if (!lo && !hi)
		return;
	/* A range upside down is written as given: nft says what is wrong with it. */
	if (hi && hi != lo)
		sb_printf(b, " th %s %u-%u", dir, lo, hi);
	else
		sb_printf(b, " th %s %u", dir, lo);
}

/* A name fit for an nft comment string. */
static void put_comment(struct sbuf *b, const char *name)
{
	char s[SHAPE_NAME_LEN];
	size_t n = strnlen(name, SHAPE_NAME_LEN - 1);

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		s[i] = (name[i] == '"' || name[i] == '\\' || (unsigned char)name[i] < 0x20) ?
			       '_' : name[i];
	s[n] = 0;
	sb_printf(b, " comment \"%s\"", s);
}

/*
 * One rule of class @i for family @fam (0: a rule that needs none); @all:
 * the default class's rule that takes everything left.
 */
static void put_rule(struct sbuf *b, const struct shape_config *c, unsigned int i, int fam,
		     bool all)
{
	const struct shape_class_cfg *k = &c->cls[i];
	const struct shape_match *m = &k->match;
	const char *ip = fam == 6 ? "ip6" : "ip";
	bool addr = !all && ((m->has_src && m->src.len) || (m->has_dst && m->dst.len));
	bool ports = !all && (m->sport_lo || m->sport_hi || m->dport_lo || m->dport_hi);

	sb_printf(b, "\t\toifname \"%.*s\"", IF_NAMESIZE, c->device);
	/*
	 * The family test first: nft puts the one implied by `ip dscp set`
	 * after the counter, which would then count the other family too.
	 */
	if (fam && !addr && (all || m->dscp < 0))
		sb_printf(b, " meta nfproto ipv%d", fam);
	if (!all) {
		if (m->has_src && m->src.len)
			put_pfx(b, "saddr", &m->src);
		if (m->has_dst && m->dst.len)
			put_pfx(b, "daddr", &m->dst);
		if (m->proto >= 0)
			sb_printf(b, " meta l4proto %d", m->proto);
		else if (ports)
			sb_printf(b, " meta l4proto { tcp, udp, udplite, sctp, dccp }");
		put_ports(b, "sport", m->sport_lo, m->sport_hi);
		put_ports(b, "dport", m->dport_lo, m->dport_hi);
		if (m->dscp >= 0)
			sb_printf(b, " %s dscp %d", ip, m->dscp);
	}
	sb_printf(b, " counter");
	if (k->set_dscp >= 0)
		sb_printf(b, " %s dscp set %d", ip, k->set_dscp);
	sb_printf(b, " accept");
	put_comment(b, c->desc.cls[i].name);
	sb_printf(b, "\n");
}

/* Class @i's rules in their place in the order (the default's catch-all comes last). */
static int put_class(struct sbuf *b, const struct shape_config *c, unsigned int i)
{
	const struct shape_class_cfg *k = &c->cls[i];
	int fam = match_family(&k->match);

	if (fam < 0)
		return fam;
	if (!k->has_match)
		return 0;
	if (fam || (k->match.dscp < 0 && k->set_dscp < 0)) {
		put_rule(b, c, i, fam, false);
		return 0;
	}
	put_rule(b, c, i, 4, false);
	put_rule(b, c, i, 6, false);
	return 0;
}

int shape_mark_ruleset(const struct shape_config *c, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0, false };
	char table[SHAPE_MARK_TABLE_LEN];
	unsigned int n = c->desc.n < SHAPE_MAX_CLASSES ? c->desc.n : SHAPE_MAX_CLASSES;
	int d = c->desc.default_class, ret;

	if (shape_mark_table(c->device, table, sizeof(table)))
		return -EINVAL;
	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	if (!shape_mark_needed(c))
		return 0;
	sb_printf(&b, "table inet %s {\n\tchain " SHAPE_MARK_CHAIN " {\n"
		  "\t\ttype filter hook postrouting priority mangle; policy accept;\n", table);
	for (unsigned int i = 0; i < n; i++) {
		ret = put_class(&b, c, i);
		if (ret)
			return ret;
	}
	if (d >= 0 && (unsigned int)d < n && !c->cls[d].has_match && c->cls[d].set_dscp >= 0) {
		put_rule(&b, c, (unsigned int)d, 4, true);
		put_rule(&b, c, (unsigned int)d, 6, true);
	}
	sb_printf(&b, "\t}\n}\n");
	return b.full ? -ENOSPC : (int)b.off;
}

/* nft's errno as ours: its netlink errors keep errno; a script it refused does not. */
static int nft_errno(const char *msg, int saved)
{
	if (saved == EPERM || saved == EACCES || strstr(msg, "Operation not permitted"))
		return -EPERM;
	if (saved == ENOMEM || saved == ENOBUFS)
		return -saved;
	return -EINVAL;
}

/* Run @script in one nft transaction; nft's first error line into @err. */
static int nft_run(const char *table, const char *script, char *err, size_t errlen)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *msg;
	int ret = 0, saved;

	if (!nft) {
		snprintf(err, errlen, "table inet %s: cannot make an nft context", table);
		return -ENOMEM;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	errno = 0;
	if (nft_run_cmd_from_buffer(nft, script)) {
		saved = errno;
		msg = nft_ctx_get_error_buffer(nft);
		msg = msg ? msg : "";
		snprintf(err, errlen, "table inet %s: %.*s", table, (int)strcspn(msg, "\n"),
			 *msg ? msg : "nft failed");
		ret = nft_errno(msg, saved);
	}
	nft_ctx_free(nft);
	return ret;
}

int shape_mark_remove(const char *device, char *err, size_t errlen)
{
	char table[SHAPE_MARK_TABLE_LEN], script[2 * SHAPE_MARK_TABLE_LEN + 64];

	if (shape_mark_table(device, table, sizeof(table))) {
		snprintf(err, errlen, "device '%.*s': not a name for an nft table (1..%d bytes, "
			 "no quote or backslash)", IF_NAMESIZE, device, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	/* Added first, so that a table that is not there is no error. */
	snprintf(script, sizeof(script), "add table inet %s\ndelete table inet %s\n", table,
		 table);
	return nft_run(table, script, err, errlen);
}

/* Room for the worst case: every class two rules of some 300 bytes. */
#define MARK_SCRIPT_MAX (4096 + 2 * (SHAPE_MAX_CLASSES + 1) * 512)

int shape_mark_apply(const struct shape_config *c, char *err, size_t errlen)
{
	char table[SHAPE_MARK_TABLE_LEN];
	size_t head;
	char *script;
	int ret;

	if (!shape_mark_needed(c))
		return shape_mark_remove(c->device, err, errlen);
	if (shape_mark_table(c->device, table, sizeof(table)))
		return shape_mark_remove(c->device, err, errlen);	/* its message */
	script = malloc(MARK_SCRIPT_MAX);
	if (!script) {
		snprintf(err, errlen, "table inet %s: %s", table, strerror(ENOMEM));
		return -ENOMEM;
	}
	head = (size_t)snprintf(script, MARK_SCRIPT_MAX, "add table inet %s\ndelete table inet %s\n",
				table, table);
	ret = shape_mark_ruleset(c, script + head, MARK_SCRIPT_MAX - head);
	if (ret == -EINVAL)
		snprintf(err, errlen, "table inet %s: a class's src and dst are of two families",
			 table);
	else if (ret < 0)
		snprintf(err, errlen, "table inet %s: %s", table, strerror(-ret));
	else
		ret = nft_run(table, script, err, errlen);
	free(script);
	return ret;
}
