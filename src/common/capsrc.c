// SPDX-License-Identifier: GPL-2.0
/*
 * Capture source over libpcap: pcap/pcapng files, standard input, or a live
 * interface. Everything is asked for in nanosecond precision, so libpcap
 * scales microsecond files itself and ts.tv_usec holds nanoseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capsrc.h"
#include "capsrc_ng.h"
#include "pcapng_read.h"

#define CAPSRC_SNAPLEN		262144
/* Short enough that capsrc_break() is noticed quickly even without traffic. */
#define CAPSRC_TIMEOUT_MS	50

struct capsrc {
	pcap_t *p;
	struct ngsrc *ng;	/* pcapng_read.c instead of libpcap (then @p is NULL) */
	int dlt;		/* libpcap's link type, for every packet it delivers */
	pcap_dumper_t *dump;	/* capsrc_opts.write */
	char *name;		/* file path, "standard input" or interface */
	bool live;
	bool stdin_src;
	bool nano;		/* false: live fallback, tv_usec is microseconds */
	off_t size;		/* regular file size, 0 for stdin and live */
	volatile sig_atomic_t stop;
	char err[PCAP_ERRBUF_SIZE + 128];
};

static __attribute__((format(printf, 4, 5)))
int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* libpcap texts sometimes end in a newline; our messages are one line. */
static char *one_line(char *s)
{
	s[strcspn(s, "\r\n")] = 0;
	return s;
}

/* A pipe for libpcap: the magic read to pick a reader, then the rest. */
struct replay {
	uint8_t head[4];
	size_t n, off;
	int fd;
	bool own;		/* not standard input: closed with the stream */
};

static ssize_t replay_read(void *cookie, char *buf, size_t size)
{
	struct replay *r = cookie;
	size_t k = r->n - r->off < size ? r->n - r->off : size;

	if (!k)
		return read(r->fd, buf, size);
	memcpy(buf, r->head + r->off, k);
	r->off += k;
	return (ssize_t)k;
}

static int replay_close(void *cookie)
{
	struct replay *r = cookie;

	if (r->own)
		close(r->fd);
	free(r);
	return 0;
}

/*
 * A pipe (standard input, a FIFO, `<(zcat x.pcapng.gz)`) cannot be looked
 * at twice: its first four bytes say which reader gets it. pcapng goes to
 * ours, whatever its interfaces (they are not known before they are read);
 * anything else to libpcap, behind a stdio stream that hands it those four
 * bytes first. @own: @fd is closed with the source.
 */
static int open_pipe(struct capsrc *c, int fd, bool own, char *ebuf)
{
	struct replay *r = calloc(1, sizeof(*r));
	uint32_t magic;
	ssize_t n;
	FILE *f;

	if (!r) {
		if (own)
			close(fd);
		return -ENOMEM;
	}
	r->fd = fd;
	r->own = own;
	while (r->n < 4 && ((n = read(fd, r->head + r->n, 4 - r->n)) > 0 ||
			    (n < 0 && errno == EINTR)))
		r->n += n > 0 ? (size_t)n : 0;
	memcpy(&magic, r->head, 4);
	if (r->n == 4 && magic == PCAPNG_BT_SHB) {
		n = ngsrc_open_fd(&c->ng, fd, own, c->name, r->head, r->n);
		free(r);
		return (int)n;
	}
	f = fopencookie(r, "r", (cookie_io_functions_t){ .read = replay_read,
							  .close = replay_close });
	if (!f) {
		snprintf(ebuf, PCAP_ERRBUF_SIZE, "%s", strerror(errno));
		replay_close(r);
		return -EINVAL;
	}
	/* pcap_close() fclose()s it; a failed open leaves it to us. */
	c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!c->p)
		fclose(f);
	return 0;
}

/* A path that is no regular file (a FIFO, /dev/stdin): read as a pipe; -1 if not one. */
static int pipe_fd(const char *path)
{
	struct stat st;

	if (stat(path, &st) || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int open_file(struct capsrc *c, const char *path, char *ebuf)
{
	size_t plen = strlen(path);
	const char *why;
	struct stat st;
	int rc = -EINVAL;
	FILE *f;

	int fd = strcmp(path, "-") ? pipe_fd(path) : STDIN_FILENO;

	if (fd >= 0) {
		c->stdin_src = true;	/* no size: progress unknown */
		rc = open_pipe(c, fd, fd != STDIN_FILENO, ebuf);
		if (c->ng || rc)
			return rc;
		rc = -EINVAL;
	} else {
		/* What libpcap 1.10 would refuse is ours; the rest stays libpcap's. */
		rc = ngsrc_probe(&c->ng, path, c->name, false);
		if (rc)
			return rc < 0 ? rc : 0;
		c->p = pcap_open_offline_with_tstamp_precision(path,
				PCAP_TSTAMP_PRECISION_NANO, ebuf);
		/* A pcapng file it cannot even open is ours if we read it whole. */
		if (!c->p && ngsrc_probe(&c->ng, path, c->name, true) == 1)
			return 0;
		rc = -EINVAL;
	}
	if (!c->p) {
		/*
		 * fopen() failures come back as "PATH: strerror" with errno
		 * still set; anything else is the content (unknown format).
		 */
		why = one_line(ebuf);
		if (!strncmp(why, path, plen) && !strncmp(why + plen, ": ", 2)) {
			why += plen + 2;
			rc = errno ? -errno : -EIO;
		}
		snprintf(c->err, sizeof(c->err), "cannot open %s: %s", c->name, why);
		return rc;
	}
	f = pcap_file(c->p);
	if (!c->stdin_src && f && !fstat(fileno(f), &st) && S_ISREG(st.st_mode))
		c->size = st.st_size;
	c->nano = true;
	c->dlt = pcap_datalink(c->p);
	return 0;
}

static int open_live(struct capsrc *c, const struct capsrc_opts *o, char *ebuf)
{
	const char *ifn = o->iface;
	int rc;

	if (o->buffer_mb < 0 || o->buffer_mb > 2047) {
		snprintf(c->err, sizeof(c->err),
			 "capture buffer of %d MB on %s is out of range (0..2047)",
			 o->buffer_mb, ifn);
		return -EINVAL;
	}
	c->live = true;
	c->p = pcap_create(ifn, ebuf);
	if (!c->p) {
		snprintf(c->err, sizeof(c->err), "cannot capture on %s: %s", ifn,
			 one_line(ebuf));
		return -EIO;
	}
	/*
	 * On Linux libpcap picks TPACKET_V3 by itself: a mmap'ed ring of blocks
	 * the kernel hands over when full or after the timeout. Immediate mode
	 * would make it use TPACKET_V2 and wake up for every packet.
	 */
	pcap_set_snaplen(c->p, o->snaplen > 0 ? o->snaplen : CAPSRC_SNAPLEN);
	pcap_set_promisc(c->p, o->promisc);
	pcap_set_timeout(c->p, CAPSRC_TIMEOUT_MS);
	pcap_set_immediate_mode(c->p, 0);
	if (o->buffer_mb)
		pcap_set_buffer_size(c->p, o->buffer_mb << 20);
	/* NOTSUP leaves the handle at micro; the loop scales by 1000 then. */
	pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);

	rc = pcap_activate(c->p);
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
		snprintf(c->err, sizeof(c->err), "no such device %s", ifn);
		return -ENODEV;
	}
	if (rc == PCAP_ERROR_PERM_DENIED) {
		snprintf(c->err, sizeof(c->err),
			 "capture on %s needs CAP_NET_RAW (run as root)", ifn);
		return -EPERM;
	}
	if (rc < 0) {
		const char *why = one_line(pcap_geterr(c->p));

		snprintf(c->err, sizeof(c->err), "cannot capture on %s: %s", ifn,
			 *why ? why : pcap_statustostr(rc));
		return -EIO;
	}
	/* Positive values are warnings (e.g. promisc unsupported): go on. */
	c->dlt = pcap_datalink(c->p);
	c->nano = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO;
	if (o->inbound) {
		int one = 1;

		/*
		 * Outgoing packets are cloned for a packet socket before any
		 * filter runs; PACKET_IGNORE_OUTGOING (Linux 4.20) skips that.
		 */
		if (pcap_setdirection(c->p, PCAP_D_IN) ||
		    setsockopt(pcap_fileno(c->p), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			       sizeof(one))) {
			snprintf(c->err, sizeof(c->err), "cannot capture inbound only on %s: %s",
				 ifn, strerror(errno));
			return -EIO;
		}
	}
	return 0;
}

static int set_filter(struct capsrc *c, const char *expr)
{
	struct bpf_program prog;
	int rc = 0;

	/* The netmask only matters for "ip broadcast", which we do not need. */
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(c->err, sizeof(c->err), "bad filter '%s': %s", expr,
			 one_line(pcap_geterr(c->p)));
		return -EINVAL;
	}
	/* Live: attached to the socket; files: run by libpcap in userspace. */
	if (pcap_setfilter(c->p, &prog)) {
		snprintf(c->err, sizeof(c->err), "cannot set filter '%s': %s", expr,
			 one_line(pcap_geterr(c->p)));
		rc = -EINVAL;
	}
	pcap_freecode(&prog);
	return rc;
}

/*
 * The copy is written as libpcap writes it (tcpdump -w): a pcap file in the
 * handle's link type, snaplen and precision, nanoseconds here.
 */
static int open_write(struct capsrc *c, const char *path)
{
	errno = 0;
	c->dump = pcap_dump_open(c->p, path);
	if (!c->dump) {
		/* libpcap's own text repeats the path: the fopen() errno says it. */
		snprintf(c->err, sizeof(c->err), "cannot write %s: %s", path,
			 errno ? strerror(errno) : one_line(pcap_geterr(c->p)));
		return errno ? -errno : -EIO;
	}
	return 0;
}

/**
 * capsrc_open() - open a file, stdin or interface and apply the filter.
 * @out: the new source, NULL on failure
 * @o: what to open (exactly one of @o->file and @o->iface)
 * @err: one-line reason on failure, no trailing newline
 * @errlen: size of @err
 *
 * Return: 0, or -errno of fopen() or -EINVAL for an unreadable format (file),
 * -ENODEV/-EPERM/-EIO (live), -EINVAL (bad filter), -ENOMEM.
 */
int capsrc_open(struct capsrc **out, const struct capsrc_opts *o, char *err, size_t errlen)
{
	const char *name = o->file ? o->file : o->iface;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct capsrc *c;
	int rc;

	*out = NULL;
	if (!o->file == !o->iface)
		return fail(err, errlen, -EINVAL,
			    "give either a capture file or an interface");
	if (o->file && !strcmp(o->file, "-"))
		name = "standard input";
	c = calloc(1, sizeof(*c));
	if (c)
		c->name = strdup(name);
	if (!c || !c->name) {
		free(c);
		return fail(err, errlen, -ENOMEM, "out of memory opening %s", name);
	}
	errno = 0;
	rc = o->file ? open_file(c, o->file, ebuf) : open_live(c, o, ebuf);
	if (!rc && o->filter)
		rc = c->ng ? ngsrc_set_filter(c->ng, o->filter) : set_filter(c, o->filter);
	if (!rc && o->write)
		rc = c->ng ? ngsrc_open_write(c->ng, o->write) : open_write(c, o->write);
	if (rc) {
		if (c->ng && ngsrc_error(c->ng)[0])
			snprintf(c->err, sizeof(c->err), "%s", ngsrc_error(c->ng));
		else if (rc == -ENOMEM && !c->err[0])
			snprintf(c->err, sizeof(c->err), "out of memory opening %s", c->name);
		fail(err, errlen, rc, "%s", c->err);
		capsrc_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* e.g. "cannot read x.pcap: truncated dump file; tried to read 60 captured bytes, only got 20" */
static int read_error(struct capsrc *c)
{
	snprintf(c->err, sizeof(c->err), "cannot read %s: %s", c->name,
		 one_line(pcap_geterr(c->p)));
	return -EIO;
}

struct loop_ctx {
	struct capsrc *c;
	capsrc_cb cb;
	void *ctx;
	int rc;
};

static void deliver(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct loop_ctx *l = (struct loop_ctx *)user;
	int64_t sec = h->ts.tv_sec;
	struct capsrc_pkt p = { .data = data, .caplen = h->caplen, .wirelen = h->len,
				.linktype = l->c->dlt };
	int rc;

	/* libpcap may hand over the rest of a batch before it sees the break. */
	if (l->rc)
		return;
	/*
	 * libpcap 1.10 reads a pcap record's seconds as a signed 32-bit field,
	 * so stamps from 2038-01-19 on come back negative; the format (and
	 * pcapng, live) never means a time before 1970.
	 */
	if (sec < 0)
		sec += 1LL << 32;
	if (l->c->dump)
		pcap_dump((u_char *)l->c->dump, h, data);
	p.ts_ns = (uint64_t)sec * 1000000000ULL +
		  (uint64_t)h->ts.tv_usec * (l->c->nano ? 1 : 1000);
	rc = l->cb(l->ctx, &p);
	if (rc) {
		l->rc = rc;
		pcap_breakloop(l->c->p);
	}
}

/* e.g. "cannot read x.pcapng: truncated block at offset 1044: its length is 96, ..." */
static int ng_read_error(struct capsrc *c)
{
	snprintf(c->err, sizeof(c->err), "cannot read %s: %s", c->name, ngsrc_error(c->ng));
	return -EIO;
}

static int ng_loop(struct capsrc *c, capsrc_cb cb, void *ctx)
{
	int n, cbrc;

	do {
		n = ngsrc_dispatch(c->ng, -1, &c->stop, cb, ctx, &cbrc);
		if (cbrc)
			return cbrc;
		if (n < 0)
			return ng_read_error(c);
	} while (n > 0 && !c->stop);
	return 0;
}

/**
 * capsrc_loop() - deliver packets to @cb until the input ends or stops.
 * @c: the source
 * @cb: called once per packet with the timestamp in nanoseconds
 * @ctx: passed to @cb
 *
 * pcap_loop() rather than a pcap_next_ex() loop: on a 1M-packet file of
 * 100-byte frames it took ~72 ns (428 instructions) per packet against ~77
 * (492), since pcap_next_ex() re-enters the reader and goes through a
 * one-shot callback for every packet.
 * pcap_loop() keeps going across live read timeouts and returns on
 * pcap_breakloop(). A break is sticky: later calls return 0 at once.
 *
 * Return: 0 at end of input or after capsrc_break(), the callback's non-zero
 * value, or -EIO on a read error (reason in capsrc_error()).
 */
int capsrc_loop(struct capsrc *c, capsrc_cb cb, void *ctx)
{
	struct loop_ctx l = { .c = c, .cb = cb, .ctx = ctx };
	int rc;

	if (c->stop)
		return 0;
	if (c->ng)
		return ng_loop(c, cb, ctx);
	rc = pcap_loop(c->p, -1, deliver, (u_char *)&l);
	if (l.rc)
		return l.rc;
	if (rc == PCAP_ERROR)
		return read_error(c);
	return 0;	/* end of file, or PCAP_ERROR_BREAK */
}

int capsrc_fd(struct capsrc *c)
{
	if (!c->live)
		return -1;
	/* From now on pcap_dispatch() returns at once when nothing is ready. */
	if (pcap_setnonblock(c->p, 1, c->err) == PCAP_ERROR)
		return -1;
	return pcap_get_selectable_fd(c->p);
}

/**
 * capsrc_dispatch() - deliver what is ready, at most @max packets.
 * @c: the source; @max: a bound (-1: one live buffer, or all of a file)
 * @cb, @ctx: as for capsrc_loop()
 *
 * Return: packets delivered (0: none ready yet, live); -ENODATA at the end
 * of a file; -ECANCELED when @cb asked to stop; -EIO on a read error
 * (reason in capsrc_error()).
 */
int capsrc_dispatch(struct capsrc *c, int max, capsrc_cb cb, void *ctx)
{
	struct loop_ctx l = { .c = c, .cb = cb, .ctx = ctx };
	int n;

	if (c->ng) {
		n = ngsrc_dispatch(c->ng, max, &c->stop, cb, ctx, &l.rc);
		if (l.rc)
			return -ECANCELED;
		if (n < 0)
			return ng_read_error(c);
		return n ? n : -ENODATA;
	}
	n = pcap_dispatch(c->p, max, deliver, (u_char *)&l);

	if (l.rc)
		return -ECANCELED;
	if (n == PCAP_ERROR)
		return read_error(c);
	if (n == 0 && !c->live)
		return -ENODATA;
	return n < 0 ? 0 : n;
}

/*
 * TPACKET_V3 hands a block over when it is full or its timeout passed: at
 * a stop, the last CAPSRC_TIMEOUT_MS of packets are still in a block the
 * kernel holds. Wait for it (the timeout and 20 ms at most) and take them:
 * a stop then takes ~70 ms.
 */
int capsrc_drain(struct capsrc *c, capsrc_cb cb, void *ctx)
{
	int fd = c->live ? pcap_get_selectable_fd(c->p) : -1;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec t0, now;
	int n, left, total = 0;

	if (fd < 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = CAPSRC_TIMEOUT_MS + 20 - (int)((now.tv_sec - t0.tv_sec) * 1000 +
						    (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			return total;
		n = capsrc_dispatch(c, -1, cb, ctx);
		if (n < 0)
			return n == -ECANCELED ? total : n;
		total += n;
	}
}

/**
 * capsrc_break() - make capsrc_loop() return 0 soon; async-signal-safe.
 * @c: the source
 *
 * pcap_breakloop() is documented as safe in a signal handler; on Linux it
 * also wakes a poll() in progress. pcap_loop() clears libpcap's flag when it
 * returns, so our own flag makes the break stick for later capsrc_loop()s.
 */
void capsrc_break(struct capsrc *c)
{
	c->stop = 1;
	if (c->p)
		pcap_breakloop(c->p);
}

int capsrc_linktype(const struct capsrc *c)
{
	if (c->ng)
		return ngsrc_linktype(c->ng);
	return pcap_datalink(c->p);
}

bool capsrc_gone(struct capsrc *c)
{
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);
	int fd = c->live && c->p ? pcap_get_selectable_fd(c->p) : -1;

	/* packet_notifier() sets the socket's ifindex to -1 at NETDEV_UNREGISTER. */
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&sll, &len) ||
	    sll.sll_family != AF_PACKET)
		return false;
	if (sll.sll_ifindex == -1)
		snprintf(c->err, sizeof(c->err), "the interface disappeared");
	return sll.sll_ifindex == -1;
}

const char *capsrc_error(const struct capsrc *c)
{
	return c->err;
}

const char *capsrc_reader(const struct capsrc *c)
{
	return c->ng ? "pcapng_read" : "libpcap";
}

/*
 * libpcap reads files through stdio, so ftell() is exactly what it has
 * consumed; it takes the stream lock, so a progress thread may call this
 * while another runs capsrc_loop().
 */
double capsrc_progress(const struct capsrc *c)
{
	long pos;

	if (c->ng)
		return ngsrc_progress(c->ng);
	pos = c->size > 0 ? ftell(pcap_file(c->p)) : -1;

	if (pos < 0)
		return -1;
	return pos >= c->size ? 1.0 : (double)pos / (double)c->size;
}

/**
 * capsrc_stats() - kernel counters of a live capture; zeros for files.
 * @c: the source
 * @st: filled in
 *
 * Return: 0, or -EIO with the reason in capsrc_error().
 */
int capsrc_stats(struct capsrc *c, struct capsrc_stats *st)
{
	struct pcap_stat ps;

	memset(st, 0, sizeof(*st));
	if (!c->live)
		return 0;
	if (pcap_stats(c->p, &ps)) {
		snprintf(c->err, sizeof(c->err), "cannot read counters of %s: %s",
			 c->name, one_line(pcap_geterr(c->p)));
		return -EIO;
	}
	st->received = ps.ps_recv;
	st->dropped = ps.ps_drop;
	st->if_dropped = ps.ps_ifdrop;
	return 0;
}

int capsrc_flush(struct capsrc *c)
{
	if (c->ng && ngsrc_flush(c->ng)) {
		snprintf(c->err, sizeof(c->err), "%s", ngsrc_error(c->ng));
		return -EIO;
	}
	if (c->dump && pcap_dump_flush(c->dump)) {
		snprintf(c->err, sizeof(c->err), "cannot write the copy of %s: %s", c->name,
			 strerror(errno));
		return -EIO;
	}
	return 0;
}

void capsrc_close(struct capsrc *c)
{
	if (!c)
		return;
	if (c->dump)
		pcap_dump_close(c->dump);
	if (c->p)
		pcap_close(c->p);
	ngsrc_close(c->ng);
	free(c->name);
	free(c);
}
