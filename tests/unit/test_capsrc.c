// SPDX-License-Identifier: GPL-2.0
/*
 * capsrc against captures built here with known frames and timestamps:
 * pcap written by libpcap's own writer (nano and micro), pcapng written byte
 * by byte from the spec (what our own pcapng writer will emit), and the
 * error paths a user meets (missing file, text file, truncation, bad filter).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capsrc.h"
#include "unit.h"

#define MAXPK 2048

struct frame {
	uint64_t ts_ns;
	uint32_t caplen, len;
	int linktype;		/* as delivered */
	uint32_t ifid;
	uint8_t data[128];
};

struct got {
	struct capsrc *c;
	int n;
	int stop_at;		/* 1-based packet whose callback returns stop_rc */
	int stop_rc;
	bool brk;		/* at stop_at, call capsrc_break() and return 0 */
	double prog;		/* last progress seen, -2 before any */
	bool prog_backwards;
	struct frame pk[MAXPK];
};

static char tmpdir[] = "/tmp/ds-test-capsrc-XXXXXX";
static struct got g;

static const char *tmp(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", tmpdir, name);
	return path[i];
}

/* Ethernet + IPv4 (198.18.0.1 -> 198.18.0.2) + TCP or UDP + pattern payload. */
static void build(struct frame *f, uint64_t ts_ns, int proto, uint16_t sport,
		  uint16_t dport, uint32_t paylen, uint32_t caplen)
{
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0 };
	uint32_t l4 = proto == IPPROTO_TCP ? 20 : 8;
	uint32_t iplen = 20 + l4 + paylen;
	uint8_t *p = f->data;

	memset(f, 0, sizeof(*f));
	f->ts_ns = ts_ns;
	f->len = 14 + iplen;
	f->caplen = caplen && caplen < f->len ? caplen : f->len;
	if (f->caplen > sizeof(f->data))
		f->caplen = sizeof(f->data);
	memcpy(p, eth, 14);
	p += 14;
	p[0] = 0x45;
	p[2] = iplen >> 8, p[3] = iplen;
	p[6] = 0x40;		/* DF, fragment offset 0: filters look at it */
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, (uint8_t[]){ 198, 18, 0, 1, 198, 18, 0, 2 }, 8);
	p += 20;
	p[0] = sport >> 8, p[1] = sport, p[2] = dport >> 8, p[3] = dport;
	if (proto == IPPROTO_TCP) {
		p[12] = 5 << 4;
		p[13] = 0x18;
	} else {
		p[4] = (8 + paylen) >> 8, p[5] = 8 + paylen;
	}
	for (uint32_t i = 14 + 20 + l4; i < f->caplen; i++)
		f->data[i] = (uint8_t)(i * 7 + ts_ns);
}

/* The three frames of the brief: 1.000000001 s, 1.5 s, 2.25 s; one snapped. */
static void three(struct frame *f)
{
	build(&f[0], 1000000001ULL, IPPROTO_TCP, 40000, 80, 10, 0);
	build(&f[1], 1500000000ULL, IPPROTO_UDP, 5353, 53, 30, 0);
	build(&f[2], 2250000000ULL, IPPROTO_TCP, 80, 40000, 1460, 54);
}

static void write_pcap(const char *path, int prec, const struct frame *f, int n)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, prec);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint64_t div = prec == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;

	for (int i = 0; d && i < n; i++) {
		struct pcap_pkthdr h = {
			.ts.tv_sec = f[i].ts_ns / 1000000000ULL,
			.ts.tv_usec = f[i].ts_ns % 1000000000ULL / div,
			.caplen = f[i].caplen,
			.len = f[i].len,
		};

		pcap_dump((u_char *)d, &h, f[i].data);
	}
	CHECK(d, "pcap_dump_open %s: %s", path, pcap_geterr(dead));
	if (d)
		pcap_dump_close(d);
	pcap_close(dead);
}

struct buf {
	uint8_t b[8192];
	size_t n;
};

static void put(struct buf *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b->b[b->n++] = v >> (8 * i);	/* little-endian section */
}

static void put_bytes(struct buf *b, const void *p, size_t len)
{
	memcpy(b->b + b->n, p, len);
	b->n += len;
	while (b->n % 4)
		b->b[b->n++] = 0;
}

/* Block total length appears before and after the body; patch the first. */
static void end_block(struct buf *b, size_t start)
{
	uint32_t total = b->n - start + 4;

	put(b, total, 4);
	for (int i = 0; i < 4; i++)
		b->b[start + 4 + i] = total >> (8 * i);
}

/* pcapng: SHB, IDB (EN10MB, if_tsresol = 9 i.e. ns), one EPB per frame. */
static void write_pcapng(const char *path, const struct frame *f, int n)
{
	static struct buf b;
	size_t s;
	FILE *fp;

	b.n = 0;
	s = b.n;
	put(&b, 0x0A0D0D0A, 4), put(&b, 0, 4);
	put(&b, 0x1A2B3C4D, 4), put(&b, 1, 2), put(&b, 0, 2);
	put(&b, UINT64_MAX, 8);			/* section length unknown */
	end_block(&b, s);

	s = b.n;
	put(&b, 1, 4), put(&b, 0, 4);
	put(&b, DLT_EN10MB, 2), put(&b, 0, 2), put(&b, 0, 4);
	put(&b, 9, 2), put(&b, 1, 2), put_bytes(&b, "\x09", 1);	/* if_tsresol */
	put(&b, 0, 2), put(&b, 0, 2);				/* opt_endofopt */
	end_block(&b, s);

	for (int i = 0; i < n; i++) {
		s = b.n;
		put(&b, 6, 4), put(&b, 0, 4);
		put(&b, 0, 4);				/* interface 0 */
		put(&b, f[i].ts_ns >> 32, 4), put(&b, (uint32_t)f[i].ts_ns, 4);
		put(&b, f[i].caplen, 4), put(&b, f[i].len, 4);
		put_bytes(&b, f[i].data, f[i].caplen);
		end_block(&b, s);
	}
	fp = fopen(path, "wb");
	CHECK(fp && fwrite(b.b, 1, b.n, fp) == b.n, "write %s", path);
	if (fp)
		fclose(fp);
}

static int collect(void *ctx, const struct capsrc_pkt *k)
{
	uint64_t ts_ns = k->ts_ns;
	const uint8_t *data = k->data;
	uint32_t caplen = k->caplen, wirelen = k->wirelen;
	struct got *w = ctx;
	struct frame *f = &w->pk[w->n % MAXPK];
	double p = capsrc_progress(w->c);

	if (p < w->prog)
		w->prog_backwards = true;
	w->prog = p;
	f->ts_ns = ts_ns;
	f->caplen = caplen;
	f->len = wirelen;
	f->linktype = k->linktype;
	f->ifid = k->ifid;
	memcpy(f->data, data, caplen < sizeof(f->data) ? caplen : sizeof(f->data));
	if (++w->n != w->stop_at)
		return 0;
	if (w->brk) {
		capsrc_break(w->c);
		return 0;
	}
	return w->stop_rc;
}

/* Open @path (with @filter) into g; 0 or the capsrc_open() error. */
static int open_into_g(const char *path, const char *filter, char *err, size_t len)
{
	struct capsrc_opts o = { .file = path, .filter = filter };

	memset(&g, 0, sizeof(g));
	g.prog = -2;
	err[0] = 0;
	return capsrc_open(&g.c, &o, err, len);
}

static void check_frames(const struct frame *want, const int *idx, int n)
{
	CHECK(g.n == n, "got %d packets, want %d", g.n, n);
	for (int i = 0; i < n && i < g.n; i++) {
		const struct frame *w = &want[idx ? idx[i] : i], *f = &g.pk[i];

		CHECK(f->ts_ns == w->ts_ns, "pkt %d ts %" PRIu64 " want %" PRIu64,
		      i, f->ts_ns, w->ts_ns);
		CHECK(f->caplen == w->caplen && f->len == w->len,
		      "pkt %d caplen %u len %u want %u %u", i, f->caplen, f->len,
		      w->caplen, w->len);
		CHECK(!memcmp(f->data, w->data, w->caplen), "pkt %d bytes differ", i);
	}
}

/* Read @path expecting exactly @want, all of it, linktype Ethernet. */
static void read_expect(const char *path, const struct frame *want, int n)
{
	struct capsrc_stats st = { 1, 1, 1 };
	char err[256];
	int rc = open_into_g(path, NULL, err, sizeof(err));

	CHECK(rc == 0, "open %s: %d %s", path, rc, err);
	if (rc)
		return;
	CHECK(capsrc_linktype(g.c) == DLT_EN10MB, "linktype %d", capsrc_linktype(g.c));
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0, "loop %d: %s", rc, capsrc_error(g.c));
	check_frames(want, NULL, n);
	CHECK(capsrc_progress(g.c) == 1.0, "progress %f", capsrc_progress(g.c));
	CHECK(capsrc_stats(g.c, &st) == 0 && !st.received && !st.dropped &&
	      !st.if_dropped, "file stats not zero");
	capsrc_close(g.c);
}

static void test_pcap_nano(void)
{
	struct frame f[3];

	three(f);
	write_pcap(tmp("nano.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 3);
	read_expect(tmp("nano.pcap"), f, 3);
}

static void test_pcap_micro_scaled(void)
{
	struct frame f[3];

	build(&f[0], 1000001000ULL, IPPROTO_TCP, 1, 80, 0, 0);
	build(&f[1], 1500000000ULL, IPPROTO_TCP, 1, 80, 1, 0);
	build(&f[2], 4294967295999999000ULL, IPPROTO_TCP, 1, 80, 2, 0);
	write_pcap(tmp("micro.pcap"), PCAP_TSTAMP_PRECISION_MICRO, f, 3);
	read_expect(tmp("micro.pcap"), f, 3);
}

static void test_pcapng_tsresol_ns(void)
{
	struct frame f[3];

	three(f);
	write_pcapng(tmp("ns.pcapng"), f, 3);
	read_expect(tmp("ns.pcapng"), f, 3);
}

static void test_filter_tcp_port_80(void)
{
	static const int keep[] = { 0, 3 };
	struct frame f[5];
	char err[256];
	int rc;

	build(&f[0], 1000, IPPROTO_TCP, 40000, 80, 5, 0);
	build(&f[1], 2000, IPPROTO_TCP, 40000, 443, 5, 0);
	build(&f[2], 3000, IPPROTO_UDP, 40000, 80, 5, 0);
	build(&f[3], 4000, IPPROTO_TCP, 80, 40001, 5, 0);
	build(&f[4], 5000, IPPROTO_UDP, 80, 53, 5, 0);
	write_pcap(tmp("mixed.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 5);
	rc = open_into_g(tmp("mixed.pcap"), "tcp port 80", err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0, "loop %d: %s", rc, capsrc_error(g.c));
	check_frames(f, keep, 2);
	capsrc_close(g.c);
}

static void test_bad_filter(void)
{
	struct frame f[3];
	char err[256];
	int rc;

	three(f);
	write_pcap(tmp("bf.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 3);
	rc = open_into_g(tmp("bf.pcap"), "tcp port", err, sizeof(err));
	CHECK(rc == -EINVAL, "rc %d", rc);
	CHECK(!g.c, "source left open on error");
	CHECK(strstr(err, "bad filter 'tcp port': "), "err '%s'", err);
	CHECK(!strchr(err, '\n'), "newline in '%s'", err);
}

static void test_nonexistent_file(void)
{
	char err[256];
	int rc = open_into_g(tmp("missing.pcap"), NULL, err, sizeof(err));
	char want[300];

	snprintf(want, sizeof(want), "cannot open %s: No such file or directory",
		 tmp("missing.pcap"));
	CHECK(rc == -ENOENT, "rc %d", rc);
	CHECK(!strcmp(err, want), "err '%s'", err);
}

static void test_text_file(void)
{
	const char *path = tmp("notes.txt");
	FILE *fp = fopen(path, "w");
	char err[256], want[300];
	int rc;

	fputs("this is not a capture, just some words\n", fp);
	fclose(fp);
	rc = open_into_g(path, NULL, err, sizeof(err));
	snprintf(want, sizeof(want), "cannot open %s: unknown file format", path);
	CHECK(rc == -EINVAL, "rc %d", rc);
	CHECK(!strcmp(err, want), "err '%s'", err);
}

static void test_truncated_last_record(void)
{
	const char *path = tmp("trunc.pcap");
	struct frame f[3];
	char err[256];
	int rc;

	build(&f[0], 1000, IPPROTO_TCP, 1, 80, 40, 0);
	build(&f[1], 2000, IPPROTO_TCP, 1, 80, 40, 0);
	build(&f[2], 3000, IPPROTO_TCP, 1, 80, 40, 0);
	write_pcap(path, PCAP_TSTAMP_PRECISION_NANO, f, 3);
	/* Cut 20 bytes into the last record's data, past its 16-byte header. */
	CHECK(truncate(path, 24 + 2 * (16 + f[0].caplen) + 16 + 20) == 0,
	      "truncate: %s", strerror(errno));
	rc = open_into_g(path, NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == -EIO, "loop %d", rc);
	check_frames(f, NULL, 2);
	CHECK(strstr(capsrc_error(g.c), path) && strstr(capsrc_error(g.c), "truncated"),
	      "error '%s'", capsrc_error(g.c));
	CHECK(!strchr(capsrc_error(g.c), '\n'), "newline in '%s'", capsrc_error(g.c));
	capsrc_close(g.c);
}

static void test_callback_stops_with_7(void)
{
	struct frame f[3];
	char err[256];
	int rc;

	three(f);
	write_pcap(tmp("cb.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 3);
	rc = open_into_g(tmp("cb.pcap"), NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	g.stop_at = 2;
	g.stop_rc = 7;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 7 && g.n == 2, "rc %d after %d packets", rc, g.n);
	/* A stop by the callback is not a break: the next loop resumes. */
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0, "second loop %d", rc);
	check_frames(f, NULL, 3);
	capsrc_close(g.c);
}

static void test_break_is_sticky(void)
{
	struct frame f[3];
	char err[256];
	int rc;

	three(f);
	write_pcap(tmp("brk.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 3);
	rc = open_into_g(tmp("brk.pcap"), NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	g.stop_at = 1;
	g.brk = true;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0 && g.n == 1, "rc %d after %d packets", rc, g.n);
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0 && g.n == 1, "after break: rc %d, %d packets", rc, g.n);
	capsrc_close(g.c);
}

static void test_progress_reaches_one(void)
{
	static struct frame f[1000];
	char err[256];
	double p0;
	int rc;

	for (int i = 0; i < 1000; i++)
		build(&f[i], 1000000000ULL + i * 1000ULL, IPPROTO_TCP, 1, 80, i % 64, 0);
	write_pcap(tmp("prog.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 1000);
	rc = open_into_g(tmp("prog.pcap"), NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	p0 = capsrc_progress(g.c);
	CHECK(p0 >= 0 && p0 < 0.1, "progress at open %f", p0);
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0 && g.n == 1000, "rc %d, %d packets", rc, g.n);
	CHECK(!g.prog_backwards, "progress went backwards");
	CHECK(g.prog > 0 && g.prog <= 1.0, "last progress in callback %f", g.prog);
	CHECK(capsrc_progress(g.c) == 1.0, "progress at end %f", capsrc_progress(g.c));
	capsrc_close(g.c);
}

/*
 * Child side of the stdin tests: read "-" and report through the exit code.
 * 0 all good, 10+ open failed, 20+ wrong packets; @want_err instead expects
 * that open error text.
 */
static int stdin_child(const struct frame *want, int n, const char *want_err)
{
	char err[256];
	int rc = open_into_g("-", NULL, err, sizeof(err));

	if (want_err)
		return rc == -EINVAL && !strcmp(err, want_err) ? 0 : 11;
	if (rc)
		return 10;
	if (capsrc_progress(g.c) != -1)
		return 12;
	rc = capsrc_loop(g.c, collect, &g);
	if (rc || g.n != n)
		return 20;
	for (int i = 0; i < n; i++)
		if (g.pk[i].ts_ns != want[i].ts_ns || g.pk[i].caplen != want[i].caplen ||
		    memcmp(g.pk[i].data, want[i].data, want[i].caplen))
			return 21;
	capsrc_close(g.c);
	return 0;
}

/* Feed @path through a pipe onto a forked child's fd 0. */
static int run_stdin(const char *path, const struct frame *want, int n,
		     const char *want_err)
{
	char chunk[4096];
	int pfd[2], fd, st = -1;
	ssize_t r;
	pid_t pid;

	fflush(stdout);
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(pfd[1]);
		dup2(pfd[0], 0);
		close(pfd[0]);
		_exit(stdin_child(want, n, want_err));
	}
	close(pfd[0]);
	fd = open(path, O_RDONLY);
	while (fd >= 0 && (r = read(fd, chunk, sizeof(chunk))) > 0)
		if (write(pfd[1], chunk, r) != r)
			break;
	if (fd >= 0)
		close(fd);
	close(pfd[1]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_stdin_pipe(void)
{
	FILE *fp = fopen(tmp("stdin.txt"), "w");
	struct frame f[3];
	int rc;

	fputs("GET / HTTP/1.0\r\n\r\n", fp);
	fclose(fp);
	three(f);
	write_pcap(tmp("stdin.pcap"), PCAP_TSTAMP_PRECISION_NANO, f, 3);
	write_pcapng(tmp("stdin.pcapng"), f, 3);
	rc = run_stdin(tmp("stdin.pcap"), f, 3, NULL);
	CHECK(rc == 0, "pcap on stdin: child exit %d", rc);
	rc = run_stdin(tmp("stdin.pcapng"), f, 3, NULL);
	CHECK(rc == 0, "pcapng on stdin: child exit %d", rc);
	rc = run_stdin(tmp("stdin.txt"), NULL, 0,
		       "cannot open standard input: unknown file format");
	CHECK(rc == 0, "text on stdin: child exit %d", rc);
}

static void test_live_no_such_device(void)
{
	struct capsrc_opts o = { .iface = "ds-nonexistent0" };
	struct capsrc *c = NULL;
	char err[256] = "";
	int rc = capsrc_open(&c, &o, err, sizeof(err));

	/* Without CAP_NET_RAW the socket() fails before the device lookup. */
	if (geteuid() && rc == -EPERM)
		return;
	CHECK(rc == -ENODEV, "rc %d: %s", rc, err);
	CHECK(!strcmp(err, "no such device ds-nonexistent0"), "err '%s'", err);
	CHECK(!c, "source left open on error");
}

static void test_file_xor_iface(void)
{
	struct capsrc_opts both = { .file = "x.pcap", .iface = "lo" };
	struct capsrc_opts none = { 0 };
	struct capsrc *c = NULL;
	char err[256] = "";

	CHECK(capsrc_open(&c, &both, err, sizeof(err)) == -EINVAL && !c, "both");
	CHECK(capsrc_open(&c, &none, err, sizeof(err)) == -EINVAL && !c, "none");
	CHECK(err[0], "no message");
}

/* Interfaces for write_pcapng_ifs(): LINKTYPE and snaplen. */
struct ng_if {
	uint16_t lt;
	uint32_t snap;
};

/* pcapng: SHB, the IDBs of @ifs (ns stamps), frame i on interface @on[i]. */
static void write_pcapng_ifs(const char *path, const struct ng_if *ifs, int nifs,
			     const struct frame *f, const int *on, int n)
{
	static struct buf b;
	size_t s;
	FILE *fp;

	b.n = 0;
	s = b.n;
	put(&b, 0x0A0D0D0A, 4), put(&b, 0, 4);
	put(&b, 0x1A2B3C4D, 4), put(&b, 1, 2), put(&b, 0, 2), put(&b, UINT64_MAX, 8);
	end_block(&b, s);
	for (int i = 0; i < nifs; i++) {
		s = b.n;
		put(&b, 1, 4), put(&b, 0, 4);
		put(&b, ifs[i].lt, 2), put(&b, 0, 2), put(&b, ifs[i].snap, 4);
		put(&b, 9, 2), put(&b, 1, 2), put_bytes(&b, "\x09", 1), put(&b, 0, 4);
		end_block(&b, s);
	}
	for (int i = 0; i < n; i++) {
		s = b.n;
		put(&b, 6, 4), put(&b, 0, 4), put(&b, on[i], 4);
		put(&b, f[i].ts_ns >> 32, 4), put(&b, (uint32_t)f[i].ts_ns, 4);
		put(&b, f[i].caplen, 4), put(&b, f[i].len, 4);
		put_bytes(&b, f[i].data, f[i].caplen);
		end_block(&b, s);
	}
	fp = fopen(path, "wb");
	CHECK(fp && fwrite(b.b, 1, b.n, fp) == b.n, "write %s", path);
	if (fp)
		fclose(fp);
}

/* The frame without its Ethernet header: what a raw-IP interface captures. */
static void to_raw(struct frame *f)
{
	memmove(f->data, f->data + 14, f->caplen - 14);
	f->caplen -= 14;
	f->len -= 14;
}

/* Ethernet (whole frames) and raw IP (snaplen 100): what libpcap 1.10 refuses. */
static const struct ng_if eth_raw[] = { { DLT_EN10MB, 0 }, { 101, 100 } };
static const int on4[] = { 0, 1, 1, 0 };

static void four_mixed(struct frame *f)
{
	build(&f[0], 1000000001ULL, IPPROTO_TCP, 40000, 80, 10, 0);
	build(&f[1], 1500000000ULL, IPPROTO_TCP, 40001, 443, 20, 0);
	build(&f[2], 2000000000ULL, IPPROTO_TCP, 80, 40002, 30, 0);
	build(&f[3], 2250000000ULL, IPPROTO_UDP, 5353, 53, 30, 0);
	to_raw(&f[1]);
	to_raw(&f[2]);
}

static void test_pcapng_mixed_linktypes(void)
{
	static const int dlt[] = { DLT_EN10MB, DLT_RAW, DLT_RAW, DLT_EN10MB };
	struct frame f[4];
	char err[256];
	int rc;

	four_mixed(f);
	write_pcapng_ifs(tmp("mixed.pcapng"), eth_raw, 2, f, on4, 4);
	rc = open_into_g(tmp("mixed.pcapng"), NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	CHECK(!strcmp(capsrc_reader(g.c), "pcapng_read"), "reader %s", capsrc_reader(g.c));
	CHECK(capsrc_linktype(g.c) == DLT_EN10MB, "linktype %d", capsrc_linktype(g.c));
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0, "loop %d: %s", rc, capsrc_error(g.c));
	check_frames(f, NULL, 4);
	for (int i = 0; i < g.n; i++)
		CHECK(g.pk[i].linktype == dlt[i] && g.pk[i].ifid == (uint32_t)on4[i],
		      "pkt %d: linktype %d ifid %u", i, g.pk[i].linktype, g.pk[i].ifid);
	CHECK(!g.prog_backwards && capsrc_progress(g.c) == 1.0, "progress %f",
	      capsrc_progress(g.c));
	capsrc_close(g.c);
}

/* Two Ethernet interfaces alike: libpcap reads that, so libpcap it stays. */
static void test_pcapng_alike_stays_libpcap(void)
{
	static const struct ng_if two_eth[] = { { DLT_EN10MB, 0 }, { DLT_EN10MB, 262144 } };
	struct frame f[3];
	char err[256];
	int rc;

	three(f);
	write_pcapng_ifs(tmp("alike.pcapng"), two_eth, 2, f, (const int[]){ 0, 1, 0 }, 3);
	rc = open_into_g(tmp("alike.pcapng"), NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	CHECK(!strcmp(capsrc_reader(g.c), "libpcap"), "reader %s", capsrc_reader(g.c));
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0, "loop %d: %s", rc, capsrc_error(g.c));
	check_frames(f, NULL, 3);
	CHECK(g.pk[1].ifid == 0 && g.pk[1].linktype == DLT_EN10MB, "libpcap: ifid %u",
	      g.pk[1].ifid);
	capsrc_close(g.c);
}

/* One expression compiled per link type; the copy is pcapng and reads back the same. */
static void test_pcapng_mixed_filter_and_copy(void)
{
	static const int keep[] = { 0, 2 };
	struct capsrc_opts o = { .file = tmp("mixedf.pcapng"), .filter = "tcp port 80",
				 .write = tmp("copy.pcapng") };
	struct frame f[4];
	char err[256] = "";
	int rc;

	four_mixed(f);
	write_pcapng_ifs(o.file, eth_raw, 2, f, on4, 4);
	memset(&g, 0, sizeof(g));
	g.prog = -2;
	rc = capsrc_open(&g.c, &o, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0 && capsrc_flush(g.c) == 0, "loop %d: %s", rc, capsrc_error(g.c));
	check_frames(f, keep, 2);
	capsrc_close(g.c);

	rc = open_into_g(tmp("copy.pcapng"), NULL, err, sizeof(err));
	CHECK(rc == 0, "open copy: %d %s", rc, err);
	if (rc)
		return;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == 0, "loop copy %d: %s", rc, capsrc_error(g.c));
	check_frames(f, keep, 2);
	CHECK(g.n == 2 && g.pk[0].linktype == DLT_EN10MB && g.pk[1].linktype == DLT_RAW &&
	      g.pk[1].ifid == 1, "copy: linktypes %d %d", g.pk[0].linktype, g.pk[1].linktype);
	capsrc_close(g.c);

	/* An expression Raw IP cannot take names the interface. */
	o.filter = "ether host 02:00:00:00:00:01";
	o.write = NULL;
	rc = capsrc_open(&g.c, &o, err, sizeof(err));
	CHECK(rc == -EINVAL && !g.c, "rc %d", rc);
	CHECK(strstr(err, "bad filter 'ether host 02:00:00:00:00:01' for interface 1 (RAW): "),
	      "err '%s'", err);
}

static void test_pcapng_mixed_truncated_and_stdin(void)
{
	const char *path = tmp("mixedt.pcapng");
	struct frame f[4];
	char err[256];
	int rc;

	four_mixed(f);
	write_pcapng_ifs(path, eth_raw, 2, f, on4, 4);
	rc = run_stdin(path, f, 4, NULL);
	CHECK(rc == 0, "mixed pcapng on stdin: child exit %d", rc);
	CHECK(truncate(path, 28 + 2 * 32 + (32 + 68) + (32 + 56) + (32 + 60) + 40) == 0,
	      "truncate: %s", strerror(errno));
	rc = open_into_g(path, NULL, err, sizeof(err));
	CHECK(rc == 0, "open: %d %s", rc, err);
	if (rc)
		return;
	rc = capsrc_loop(g.c, collect, &g);
	CHECK(rc == -EIO, "loop %d", rc);
	check_frames(f, NULL, 3);
	CHECK(strstr(capsrc_error(g.c), path) && strstr(capsrc_error(g.c), "truncated block"),
	      "error '%s'", capsrc_error(g.c));
	capsrc_close(g.c);
	rc = run_stdin(path, f, 3, NULL);
	CHECK(rc == 20, "cut pcapng on stdin: child exit %d (3 packets, then an error)", rc);
}

static void cleanup(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlink(tmp(e->d_name));
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_pcap_nano);
	RUN(test_pcap_micro_scaled);
	RUN(test_pcapng_tsresol_ns);
	RUN(test_filter_tcp_port_80);
	RUN(test_bad_filter);
	RUN(test_nonexistent_file);
	RUN(test_text_file);
	RUN(test_truncated_last_record);
	RUN(test_callback_stops_with_7);
	RUN(test_break_is_sticky);
	RUN(test_progress_reaches_one);
	RUN(test_stdin_pipe);
	RUN(test_live_no_such_device);
	RUN(test_file_xor_iface);
	RUN(test_pcapng_mixed_linktypes);
	RUN(test_pcapng_alike_stays_libpcap);
	RUN(test_pcapng_mixed_filter_and_copy);
	RUN(test_pcapng_mixed_truncated_and_stdin);
	cleanup();
	return unit_done();
}
