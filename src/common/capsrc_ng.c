// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O and policy around pcapng_read.c for capsrc: which files need it,
 * the bytes it parses (a buffer filled from the file or pipe in 1 MiB
 * reads: a mapping would count the whole file in the resident set), a
 * filter per link type, and the pcapng copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capsrc_ng.h"
#include "pcapng.h"
#include "pcapng_read.h"

#define READ_CHUNK	(1U << 20)
/* libpcap's MAXIMUM_SNAPLEN: what it makes of a snaplen of 0 or beyond. */
#define PCAP_MAX_SNAP	262144U

struct ngfilt {
	uint16_t linktype;
	struct bpf_program prog;
};

struct ngsrc {
	struct pcapng_rd rd;
	struct pcapng_rd scan;	/* a file's every interface, from the probe */
	char *name;
	uint64_t size;		/* a regular file's; 0 for a pipe */
	int fd;
	bool own_fd;		/* not standard input: ours to close */
	uint8_t *buf;		/* the stream's bytes [start, end) not yet parsed */
	size_t cap, start, end;
	bool eof, done;
	bool failed;		/* a stream broke before its first packet: say so at dispatch */
	uint64_t consumed;	/* bytes parsed (read by a progress thread too) */
	struct pcapng_pkt pending;	/* a stream's first packet, read at open */
	bool has_pending;
	uint32_t synced;	/* interfaces given a filter and a writer entry */
	char *filter;
	struct ngfilt *filts;
	size_t nfilts;
	struct pcapng_writer *w;
	char *wpath;
	char err[256 + PCAP_ERRBUF_SIZE];
};

/* The DLT_ libpcap uses for a LINKTYPE_; the same number but for these. */
static int lt_to_dlt(int lt)
{
	switch (lt) {
	case 100:
		return DLT_ATM_RFC1483;
	case 101:
		return DLT_RAW;
	case 102:
		return DLT_SLIP_BSDOS;
	case 103:
		return DLT_PPP_BSDOS;
	}
	return lt;
}

static uint32_t pcap_snap(uint32_t s)
{
	return !s || s > PCAP_MAX_SNAP ? PCAP_MAX_SNAP : s;
}

/*
 * What libpcap 1.10's sf-pcapng.c refuses: a later interface whose link
 * type or (adjusted) snaplen differs from the first one's, where it
 * compares the later LINKTYPE with the first one's DLT (so a second RAW
 * interface, 101 against DLT_RAW 12, is refused too), and sections of
 * both byte orders.
 */
static bool libpcap_refuses(const struct pcapng_rd *r)
{
	const struct pcapng_if *f = r->ifs;

	if (r->mixed_order)
		return true;
	for (uint32_t i = 1; i < r->nifs; i++)
		if (r->ifs[i].linktype != lt_to_dlt(f->linktype) ||
		    pcap_snap(r->ifs[i].snaplen) != pcap_snap(f->snaplen))
			return true;
	return false;
}

static struct ngsrc *ngsrc_new(const char *name)
{
	struct ngsrc *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->fd = -1;
	s->buf = malloc(READ_CHUNK);
	s->cap = READ_CHUNK;
	pcapng_rd_init(&s->rd);
	pcapng_rd_init(&s->scan);
	s->name = strdup(name);
	if (!s->name || !s->buf) {
		free(s->name);
		free(s->buf);
		free(s);
		return NULL;
	}
	return s;
}

static int next_block(struct ngsrc *s, struct pcapng_rd *r, struct pcapng_pkt *pkt);

/* Every block of the file through @s->scan, then back to its start; true if it is ours. */
static bool scan_needs_us(struct ngsrc *s, bool force)
{
	struct pcapng_pkt pkt;
	bool ours;
	int rc;

	while ((rc = next_block(s, &s->scan, &pkt)) >= 0 && rc != 3)
		;
	/* What was read before an error: the interfaces libpcap would meet first. */
	ours = libpcap_refuses(&s->scan);
	/*
	 * A file broken before any reason to refuse it stays libpcap's, as
	 * before; one libpcap cannot open is ours if we read it to the end.
	 */
	if (force && rc == 3)
		ours = true;
	s->start = s->end = 0;
	s->eof = false;
	s->consumed = 0;
	s->err[0] = 0;
	return ours && lseek(s->fd, 0, SEEK_SET) == 0;
}

int ngsrc_probe(struct ngsrc **out, const char *path, const char *name, bool force)
{
	struct ngsrc *s;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint32_t magic;

	*out = NULL;
	if (fd < 0)
		return 0;	/* libpcap says why, as it always did */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 12 ||
	    pread(fd, &magic, 4, 0) != 4 || magic != PCAPNG_BT_SHB) {
		close(fd);
		return 0;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s = ngsrc_new(name);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->own_fd = true;
	s->size = st.st_size;
	if (!scan_needs_us(s, force)) {
		ngsrc_close(s);
		return 0;
	}
	*out = s;
	return 1;
}

/* Read from the stream until @need bytes are buffered or it ends; 0 or -EIO. */
static int fill(struct ngsrc *s, size_t need)
{
	ssize_t n;

	if (s->start) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	if (s->cap < need + READ_CHUNK) {
		uint8_t *b = realloc(s->buf, need + READ_CHUNK);

		if (!b) {
			snprintf(s->err, sizeof(s->err), "out of memory for a %zu-byte block", need);
			return -EIO;
		}
		s->buf = b;
		s->cap = need + READ_CHUNK;
	}
	while (s->end < need && !s->eof) {
		n = read(s->fd, s->buf + s->end, s->cap - s->end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(s->err, sizeof(s->err), "%s", strerror(errno));
			return -EIO;
		}
		s->eof = n == 0;
		s->end += n;
	}
	return 0;
}

/* The next block through @r: a pcapng_rd_status, 3 at the end, or -EIO with @s->err. */
static int next_block(struct ngsrc *s, struct pcapng_rd *r, struct pcapng_pkt *pkt)
{
	const uint8_t *p;
	size_t n, used;
	int rc;

	for (;;) {
		p = s->buf + s->start;
		n = s->end - s->start;
		rc = pcapng_rd_next(r, p, n, &used, pkt);
		if (rc >= 0) {
			s->start += used;
			__atomic_store_n(&s->consumed, s->consumed + used, __ATOMIC_RELAXED);
			return rc;
		}
		if (rc == -EAGAIN && s->eof) {
			if (!pcapng_rd_end(r, p, n))
				return 3;
			rc = -EINVAL;
		}
		if (rc != -EAGAIN) {
			snprintf(s->err, sizeof(s->err), "%s", r->err);
			return -EIO;
		}
		if (fill(s, used))
			return -EIO;
	}
}

static const char *lt_name(int lt)
{
	const char *n = pcap_datalink_val_to_name(lt_to_dlt(lt));

	return n ? n : "unknown link type";
}

/* The filter's program for interface @i's link type, compiled the first time. */
static int filter_for(struct ngsrc *s, const struct pcapng_if *f, uint32_t i,
		      struct bpf_program **prog)
{
	struct ngfilt *n;
	pcap_t *dead;
	int rc;

	for (size_t k = 0; k < s->nfilts; k++)
		if (s->filts[k].linktype == f->linktype) {
			*prog = &s->filts[k].prog;
			return 0;
		}
	n = realloc(s->filts, (s->nfilts + 1) * sizeof(*n));
	dead = n ? pcap_open_dead(lt_to_dlt(f->linktype), pcap_snap(f->snaplen)) : NULL;
	if (n)
		s->filts = n;
	if (!dead) {
		snprintf(s->err, sizeof(s->err), "out of memory compiling '%s'", s->filter);
		return -ENOMEM;
	}
	n = &s->filts[s->nfilts];
	n->linktype = f->linktype;
	rc = pcap_compile(dead, &n->prog, s->filter, 1, PCAP_NETMASK_UNKNOWN);
	if (rc) {
		char where[64] = "";

		if (f->section)
			snprintf(where, sizeof(where), "section %u's interface %u, ", f->section,
				 f->local_id);
		snprintf(s->err, sizeof(s->err), "bad filter '%s' for interface %u (%s%s): %.*s",
			 s->filter, i, where, lt_name(f->linktype),
			 (int)strcspn(pcap_geterr(dead), "\r\n"), pcap_geterr(dead));
	}
	pcap_close(dead);
	if (rc)
		return -EINVAL;
	*prog = &s->filts[s->nfilts++].prog;
	return 0;
}

/* Interfaces read since the last call: their filter compiled, a copy of each in the writer. */
static int sync_ifs(struct ngsrc *s)
{
	struct bpf_program *prog;
	int rc;

	for (; s->synced < s->rd.nifs; s->synced++) {
		const struct pcapng_if *f = &s->rd.ifs[s->synced];

		if (s->filter && (rc = filter_for(s, f, s->synced, &prog)))
			return rc;
		if (s->w && pcapng_add_if(s->w, f->linktype, f->snaplen, NULL, NULL) < 0) {
			snprintf(s->err, sizeof(s->err), "cannot write %s: %s", s->wpath,
				 strerror(errno ? errno : EIO));
			return -EIO;
		}
	}
	return 0;
}

/*
 * A stream: its blocks up to the first packet are read now (dumpcap writes
 * every interface there), so a filter meets them at open; that packet is
 * kept for the first dispatch.
 */
int ngsrc_open_fd(struct ngsrc **out, int fd, bool own, const char *name, const uint8_t *head,
		  size_t n)
{
	struct ngsrc *s = ngsrc_new(name);
	int rc = 0;

	*out = NULL;
	if (!s) {
		if (own)
			close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->own_fd = own;
	memcpy(s->buf, head, n);
	s->end = n;
	while (rc == PCAPNG_RD_BLOCK || rc == PCAPNG_RD_IF)
		rc = next_block(s, &s->rd, &s->pending);
	s->has_pending = rc == PCAPNG_RD_PACKET;
	s->failed = rc < 0;
	s->done = rc != PCAPNG_RD_PACKET;
	*out = s;
	return 0;
}

/* A file's interfaces are all known from the probe: each is checked up front. */
int ngsrc_set_filter(struct ngsrc *s, const char *expr)
{
	struct bpf_program *prog;
	int rc = 0;

	s->filter = strdup(expr);
	if (!s->filter)
		return -ENOMEM;
	for (uint32_t i = 0; !rc && i < s->scan.nifs; i++)
		rc = filter_for(s, &s->scan.ifs[i], i, &prog);
	return rc ? rc : sync_ifs(s);
}

int ngsrc_open_write(struct ngsrc *s, const char *path)
{
	int rc = pcapng_open(&s->w, path);

	if (rc) {
		snprintf(s->err, sizeof(s->err), "cannot write %s: %s", path, strerror(-rc));
		return rc;
	}
	s->wpath = strdup(path);
	return s->wpath ? sync_ifs(s) : -ENOMEM;
}

/* One packet read: filtered, copied, delivered. 1 if delivered, 0 if filtered out, -EIO. */
static int deliver(struct ngsrc *s, const struct pcapng_pkt *k, capsrc_cb cb, void *ctx,
		   int *cbrc)
{
	const struct pcapng_if *f = &s->rd.ifs[k->ifid];
	struct capsrc_pkt p = { .ts_ns = k->ts_ns, .data = k->data, .caplen = k->caplen,
				.wirelen = k->wirelen, .linktype = lt_to_dlt(f->linktype),
				.ifid = k->ifid };
	struct pcap_pkthdr h = { .caplen = k->caplen, .len = k->wirelen };
	struct bpf_program *prog;

	if (s->filter) {
		if (filter_for(s, f, k->ifid, &prog))
			return -EIO;
		if (!pcap_offline_filter(prog, &h, k->data))
			return 0;
	}
	/* Write errors stick in the writer: ngsrc_flush() reports them. */
	if (s->w)
		pcapng_add_packet(s->w, (int)k->ifid, k->ts_ns, k->data,
				  k->caplen < PCAPNG_MAX_CAPLEN ? k->caplen : PCAPNG_MAX_CAPLEN,
				  k->wirelen > k->caplen ? k->wirelen : k->caplen, NULL);
	*cbrc = cb(ctx, &p);
	return 1;
}

int ngsrc_dispatch(struct ngsrc *s, int max, const volatile sig_atomic_t *stop, capsrc_cb cb,
		   void *ctx, int *cbrc)
{
	struct pcapng_pkt pkt;
	int n = 0, rc;

	*cbrc = 0;
	if (s->failed) {
		s->failed = false;
		return -EIO;
	}
	while ((max < 0 || n < max) && !*stop && !*cbrc) {
		if (s->has_pending) {
			pkt = s->pending;
			s->has_pending = false;
			rc = PCAPNG_RD_PACKET;
		} else if (s->done) {
			break;
		} else {
			rc = next_block(s, &s->rd, &pkt);
		}
		if (rc < 0 || rc == 3) {
			s->done = true;
			if (rc < 0)
				return rc;
			break;
		}
		if (rc == PCAPNG_RD_IF && sync_ifs(s)) {
			s->done = true;
			return -EIO;
		}
		if (rc != PCAPNG_RD_PACKET)
			continue;
		rc = deliver(s, &pkt, cb, ctx, cbrc);
		if (rc < 0) {
			s->done = true;
			return rc;
		}
		n += rc;
	}
	return n;
}

/* The first interface's: a file's from the probe, a stream's once read. */
int ngsrc_linktype(const struct ngsrc *s)
{
	const struct pcapng_rd *r = s->rd.nifs ? &s->rd : &s->scan;

	return r->nifs ? lt_to_dlt(r->ifs[0].linktype) : -1;
}

double ngsrc_progress(const struct ngsrc *s)
{
	uint64_t pos = __atomic_load_n(&s->consumed, __ATOMIC_RELAXED);

	if (!s->size)
		return -1;
	return pos >= s->size ? 1.0 : (double)pos / (double)s->size;
}

int ngsrc_flush(struct ngsrc *s)
{
	int rc = s->w ? pcapng_flush(s->w) : 0;

	if (rc)
		snprintf(s->err, sizeof(s->err), "cannot write %s: %s", s->wpath, strerror(-rc));
	return rc ? -EIO : 0;
}

const char *ngsrc_error(const struct ngsrc *s)
{
	return s->err;
}

void ngsrc_close(struct ngsrc *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < s->nfilts; k++)
		pcap_freecode(&s->filts[k].prog);
	free(s->filts);
	pcapng_close(s->w);
	if (s->own_fd)
		close(s->fd);
	pcapng_rd_free(&s->rd);
	pcapng_rd_free(&s->scan);
	free(s->buf);
	free(s->filter);
	free(s->wpath);
	free(s->name);
	free(s);
}
