// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snmp.h"

/* A piece of the caller's buffer: never NUL-terminated, never written. */
struct span {
	const char *p, *end;
};

static bool next_line(const char **cur, const char *end, struct span *line)
{
	const char *nl;

	if (*cur >= end)
		return false;
	nl = memchr(*cur, '\n', (size_t)(end - *cur));
	line->p = *cur;
	line->end = nl ? nl : end;
	*cur = nl ? nl + 1 : end;
	return true;
}

static bool next_tok(struct span *s, struct span *tok)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
	if (s->p == s->end)
		return false;
	tok->p = s->p;
	while (s->p < s->end && *s->p != ' ' && *s->p != '\t')
		s->p++;
	tok->end = s->p;
	return true;
}

static size_t count_tok(struct span s)
{
	struct span t;
	size_t n = 0;

	while (next_tok(&s, &t))
		n++;
	return n;
}

static size_t span_len(struct span s)
{
	return (size_t)(s.end - s.p);
}

/* Decimal, optionally negative; false on anything else or beyond 64 bits. */
static bool parse_dec(struct span t, uint64_t *out)
{
	bool neg = t.p < t.end && *t.p == '-';
	uint64_t v = 0, lim;

	if (neg)
		t.p++;
	if (t.p == t.end)
		return false;
	lim = neg ? (uint64_t)1 << 63 : UINT64_MAX;
	for (; t.p < t.end; t.p++) {
		unsigned int d = (unsigned char)*t.p - '0';

		if (d > 9 || v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? 0 - v : v;
	return true;
}

/* "Tcp:" -> true, and @s shortened to "Tcp". */
static bool is_prefix(struct span *s)
{
	if (span_len(*s) < 2 || s->end[-1] != ':' || span_len(*s) >= SNMP_NAME_MAX)
		return false;
	s->end--;
	return true;
}

/* Field names start with a letter: a line of numbers is never a header. */
static bool looks_like_header(struct span rest)
{
	struct span t;

	return !next_tok(&rest, &t) || isalpha((unsigned char)*t.p);
}

static bool printable(struct span t)
{
	for (; t.p < t.end; t.p++)
		if (!isgraph((unsigned char)*t.p))
			return false;
	return true;
}

static int do_pair(struct span prefix, struct span hdr, struct span val, snmp_cb cb,
		   void *arg, bool *bad)
{
	size_t plen = span_len(prefix), hlen;
	char name[SNMP_NAME_MAX];
	struct span h, v;
	uint64_t x;
	int err;

	/* Fields are matched by position: with the counts apart none can be trusted. */
	if (count_tok(hdr) != count_tok(val)) {
		*bad = true;
		return 0;
	}
	memcpy(name, prefix.p, plen);
	while (next_tok(&hdr, &h) && next_tok(&val, &v)) {
		hlen = span_len(h);
		if (plen + hlen >= sizeof(name) || !printable(h) || !parse_dec(v, &x)) {
			*bad = true;
			continue;
		}
		memcpy(name + plen, h.p, hlen);
		name[plen + hlen] = 0;
		err = cb(name, x, arg);
		if (err)
			return err;
	}
	return 0;
}

int snmp_parse(const char *buf, size_t len, snmp_cb cb, void *arg)
{
	const char *cur = buf, *end = buf + len;
	struct span line, rest, tok, hdr_prefix = { 0 }, hdr_rest = { 0 };
	bool pending = false, bad = false;
	int err;

	while (next_line(&cur, end, &line)) {
		rest = line;
		if (!next_tok(&rest, &tok))
			continue;
		if (!is_prefix(&tok)) {
			bad = true;
			continue;
		}
		if (pending && span_len(tok) == span_len(hdr_prefix) &&
		    !memcmp(tok.p, hdr_prefix.p, span_len(tok))) {
			pending = false;
			err = do_pair(hdr_prefix, hdr_rest, rest, cb, arg, &bad);
			if (err)
				return err;
			continue;
		}
		if (pending)
			bad = true;	/* a header whose values never came */
		pending = looks_like_header(rest);
		if (!pending)
			bad = true;	/* values whose header is missing */
		hdr_prefix = tok;
		hdr_rest = rest;
	}
	if (pending)
		bad = true;
	return bad ? -EINVAL : 0;
}

struct pick {
	const char *const *names;
	size_t n;
	uint64_t *vals;
	bool *found;
};

static int on_pick(const char *name, uint64_t value, void *arg)
{
	struct pick *p = arg;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(name, p->names[i]))
			continue;
		p->vals[i] = value;
		if (p->found)
			p->found[i] = true;
	}
	return 0;
}

int snmp_pick(const char *buf, size_t len, const char *const *names, size_t n,
	      uint64_t *vals, bool *found)
{
	struct pick p = { names, n, vals, found };

	if (found)
		memset(found, 0, n * sizeof(*found));
	return snmp_parse(buf, len, on_pick, &p);
}

/* /proc/net/netstat is 4 KiB today; a file this big is not one of ours. */
#define PROCBUF_MAX (16u << 20)

int procbuf_read(struct procbuf *b, int fd)
{
	ssize_t n;

	b->len = 0;
	for (;;) {
		if (b->cap - b->len < 4096 + 1) {
			size_t cap = b->cap ? b->cap * 2 : 16384;
			char *p;

			if (cap > PROCBUF_MAX)
				return -EFBIG;
			p = realloc(b->p, cap);
			if (!p)
				return -ENOMEM;
			b->p = p;
			b->cap = cap;
		}
		/*
		 * Offset 0 regenerates the text; later offsets continue the
		 * same generation, so a file longer than one read stays one
		 * consistent snapshot.
		 */
		n = pread(fd, b->p + b->len, b->cap - b->len - 1, (off_t)b->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->p[b->len] = 0;
	return 0;
}

void procbuf_free(struct procbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static bool parse_hex32(struct span t, uint32_t *out)
{
	uint32_t v = 0;

	if (t.p == t.end || span_len(t) > 8)
		return false;
	for (; t.p < t.end; t.p++) {
		if (!isxdigit((unsigned char)*t.p))
			return false;
		v = v << 4 | (uint32_t)(isdigit((unsigned char)*t.p) ? *t.p - '0'
								: (tolower((unsigned char)*t.p) - 'a' + 10));
	}
	*out = v;
	return true;
}

/* Columns we read, 0-based: see softnet_seq_show() in net/core/net-procfs.c. */
enum { SN_PROCESSED, SN_DROPPED, SN_SQUEEZE, SN_FLOW_LIMIT = 10, SN_CPU = 12, SN_COLS };

int softnet_parse(const char *buf, size_t len, struct softnet_stat *s)
{
	const char *cur = buf, *end = buf + len;
	struct span line, tok;
	uint32_t col[SN_COLS], extra;
	size_t cap = 0, row = 0, nt;
	bool bad = false, ok;

	memset(s, 0, sizeof(*s));
	while (next_line(&cur, end, &line)) {
		struct softnet_cpu *c;

		if (!count_tok(line))
			continue;
		memset(col, 0, sizeof(col));
		ok = true;
		for (nt = 0; next_tok(&line, &tok); nt++)
			if (!parse_hex32(tok, nt < SN_COLS ? &col[nt] : &extra))
				ok = false;
		if (!ok || nt <= SN_SQUEEZE) {
			bad = true;
			continue;
		}
		if (s->ncpu == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *p = realloc(s->cpu, ncap * sizeof(*s->cpu));

			if (!p) {
				softnet_free(s);
				return -ENOMEM;
			}
			s->cpu = p;
			cap = ncap;
		}
		c = &s->cpu[s->ncpu++];
		c->cpu = nt > SN_CPU ? col[SN_CPU] : (uint32_t)row;
		c->processed = col[SN_PROCESSED];
		c->dropped = col[SN_DROPPED];
		c->time_squeeze = col[SN_SQUEEZE];
		c->flow_limit_count = col[SN_FLOW_LIMIT];
		if (nt > SN_FLOW_LIMIT)
			s->has_flow_limit = true;
		s->sum.processed += c->processed;
		s->sum.dropped += c->dropped;
		s->sum.time_squeeze += c->time_squeeze;
		s->sum.flow_limit_count += c->flow_limit_count;
		row++;
	}
	return bad ? -EINVAL : 0;
}

void softnet_free(struct softnet_stat *s)
{
	free(s->cpu);
	s->cpu = NULL;
	s->ncpu = 0;
}

void softnet_delta(const struct softnet_stat *a, const struct softnet_stat *b,
		   struct softnet_sum *d)
{
	static const struct softnet_cpu zero;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < b->ncpu; i++) {
		const struct softnet_cpu *y = &b->cpu[i], *x = &zero;

		/* Same line, same CPU in the common case; else look for it. */
		if (i < a->ncpu && a->cpu[i].cpu == y->cpu)
			x = &a->cpu[i];
		else
			for (size_t j = 0; j < a->ncpu; j++)
				if (a->cpu[j].cpu == y->cpu)
					x = &a->cpu[j];
		d->processed += (uint32_t)(y->processed - x->processed);
		d->dropped += (uint32_t)(y->dropped - x->dropped);
		d->time_squeeze += (uint32_t)(y->time_squeeze - x->time_squeeze);
		d->flow_limit_count += (uint32_t)(y->flow_limit_count - x->flow_limit_count);
	}
}
