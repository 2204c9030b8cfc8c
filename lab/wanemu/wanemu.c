// SPDX-License-Identifier: GPL-2.0
/*
 * wanemu: a provider path between two interfaces, in its own namespace.
 * Frames come in on an AF_PACKET socket per side (plain recvfrom: a few
 * thousand frames/s at lab rates, where a TPACKET_V3 ring buys nothing but
 * code), go through the model of wan_core.c and leave on the other side's
 * socket when due.  One poll() on both sockets, a timerfd armed for the next
 * model event and a signalfd: no busy polling.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "wan_core.h"

#define SLOTS 16384
#define SLOT_SIZE 2048

enum { DSCP_HONOUR, DSCP_IGNORE, DSCP_BLEACH };

struct cls_stats {
	uint64_t in_pkts, in_bytes, delivered_pkts, delivered_bytes;
	uint64_t drops_tail, drops_red, drops_random;
};

struct side {
	const char *ifname;
	int ifindex, fd;
	struct wan_dir dir;	/* what this side received, bound for the other */
	struct cls_stats tot, cls[64];
	uint64_t drops_oversize, drops_nobuf, send_errors;
	uint64_t sock_packets, sock_drops;
};

/* [0]: IF_A to IF_B, [1]: IF_B to IF_A (--dir scopes the model's options). */
struct opts {
	struct wan_cfg cfg[2];
	struct wan_sched sched[2];
	int dscp_mode, bleach;
	uint64_t committed_mask;
	const char *stats_path;
	uint64_t interval_ns, duration_ns;
};

static unsigned char pool[SLOTS][SLOT_SIZE];
static uint32_t free_slots[SLOTS], nfree;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fputs(
"NAME\n"
"    wanemu - a provider WAN path between two interfaces\n"
"SYNOPSIS\n"
"    wanemu [OPTIONS] IF_A IF_B\n"
"DESCRIPTION\n"
"    Forwards every frame received on IF_A to IF_B and back (AF_PACKET, L2),\n"
"    each direction through its own model: line rate, committed rate for\n"
"    DSCP classes, best-effort capacity on a schedule, a shallow queue with\n"
"    tail drop or RED, one-way delay with bounded jitter, random loss.\n"
"    Turn off TSO/GSO/GRO and checksum offloads on the links that feed it.\n"
"OPTIONS\n"
"    --line RATE        line rate (serialization cap), default 62.2M\n"
"    --cir RATE         committed rate, default 0\n"
"    --cir-burst BYTES  committed bucket depth, default 15000\n"
"    --be RATE          constant best-effort capacity, default 40M\n"
"    --schedule SPEC    best effort over time: T:RATE (step at T s) or\n"
"                       T~RATE (ramp reaching RATE at T), comma-separated\n"
"    --schedule-file F  lines 't_s rate_bps' ('~' before t_s: a ramp), # comments\n"
"    --walk LO,HI,STEP,PERIOD_S  seeded random walk of best effort\n"
"    --limit N          queue depth per class queue, packets (default 32)\n"
"    --limit-bytes N    queue depth in bytes instead\n"
"    --red MIN,MAX,PMAX[,W]  RED on the queue (limit's unit), W default 0.002\n"
"    --delay MS         one-way delay, default 10\n"
"    --jitter MS        extra delay uniform in [0, MS], never reordering\n"
"    --loss PCT         random loss before the queue\n"
"    --dscp MODE        honour | ignore | bleach[=VALUE] (default honour)\n"
"    --committed LIST   DSCP values given the committed rate, default 46,34\n"
"    --seed N           random seed (loss, RED, jitter, walk), default 1\n"
"    --stats FILE       NDJSON ground truth every --interval and at exit\n"
"    --interval MS      default 100\n"
"    --duration S       stop after S seconds (default: until SIGINT/SIGTERM)\n"
"    --dir a2b|b2a|both the model's options after it (line, cir, cir-burst,\n"
"                       be, schedule, schedule-file, walk, limit, limit-bytes,\n"
"                       red, delay, jitter, loss, seed) apply to IF_A -> IF_B,\n"
"                       IF_B -> IF_A or both (default both); the others to both\n"
"    -h, --help\n"
"RATES\n"
"    bit/s with k, M, G suffixes (powers of 1000): 62.2M, 4500k.\n"
"EXIT STATUS\n"
"    0 on a signal or at the end of --duration, 1 runtime error, 2 usage,\n"
"    3 no privilege.\n", f);
}

static int bad(const char *opt, const char *val)
{
	fprintf(stderr, "wanemu: invalid %s '%s'\n", opt, val);
	return 2;
}

static int parse_dscp_list(const char *s, uint64_t *mask)
{
	char *end;

	*mask = 0;
	while (*s) {
		long v = strtol(s, &end, 0);

		if (end == s || v < 0 || v > 63)
			return -1;
		*mask |= 1ULL << v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

static int load_schedule(struct wan_sched *s, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int n = 0;

	if (!f) {
		fprintf(stderr, "wanemu: cannot open %s: %s\n", path, strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		bool ramp = false;
		double t;
		uint64_t r;

		n++;
		p += strspn(p, " \t");
		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (*p == '~') {
			ramp = true;
			p++;
		}
		t = strtod(p, &end);
		if (end == p || sscanf(end, " %lu", &r) != 1 || wan_sched_add(s, t, r, ramp)) {
			fprintf(stderr, "wanemu: %s:%d: want 't_s rate_bps' in time order\n", path, n);
			fclose(f);
			return 2;
		}
	}
	fclose(f);
	return s->n ? 0 : bad("--schedule-file (empty)", path);
}

/* The walk of one direction: --walk's numbers until the duration is known. */
struct walk_opt {
	uint64_t v[3];
	double period;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "line", 1, 0, 'L' }, { "cir", 1, 0, 'C' }, { "cir-burst", 1, 0, 'B' },
		{ "be", 1, 0, 'E' }, { "schedule", 1, 0, 'S' }, { "schedule-file", 1, 0, 'F' },
		{ "walk", 1, 0, 'W' }, { "limit", 1, 0, 'l' }, { "limit-bytes", 1, 0, 'b' },
		{ "red", 1, 0, 'R' }, { "delay", 1, 0, 'd' }, { "jitter", 1, 0, 'j' },
		{ "loss", 1, 0, 'p' }, { "dscp", 1, 0, 'D' }, { "committed", 1, 0, 'c' },
		{ "seed", 1, 0, 's' }, { "stats", 1, 0, 'o' }, { "interval", 1, 0, 'i' },
		{ "duration", 1, 0, 't' }, { "dir", 1, 0, 'r' }, { "help", 0, 0, 'h' }, { 0 }
	};
	uint64_t be[2] = { 40000000, 40000000 }, u;
	struct walk_opt walk[2] = { 0 }, w;
	struct wan_sched sc;
	struct wan_cfg x;
	bool have_sched[2] = { false, false };
	unsigned int dirs = 3, k;
	double v;
	int ch, rc;

	memset(&x, 0, sizeof(x));
	x.line_bps = 62200000;
	x.cir_burst = 15000;
	x.limit = 32;
	x.delay_ns = 10000000;
	x.red_w = 0.002;
	x.seed = 1;
	o->cfg[0] = o->cfg[1] = x;
	o->committed_mask = (1ULL << 46) | (1ULL << 34);
	o->interval_ns = 100000000;
/* Each direction --dir selects. */
#define EACH(stmt) do { for (k = 0; k < 2; k++) if (dirs >> k & 1) { struct wan_cfg *c = &o->cfg[k]; (void)c; stmt; } } while (0)
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'r':
			if (!strcmp(optarg, "a2b")) dirs = 1;
			else if (!strcmp(optarg, "b2a")) dirs = 2;
			else if (!strcmp(optarg, "both")) dirs = 3;
			else return bad("--dir (a2b|b2a|both)", optarg);
			break;
		case 'L': if (wan_parse_rate(optarg, &u) || !u) return bad("--line", optarg); EACH(c->line_bps = u); break;
		case 'C': if (wan_parse_rate(optarg, &u)) return bad("--cir", optarg); EACH(c->cir_bps = u); break;
		case 'B': u = strtoull(optarg, NULL, 0); EACH(c->cir_burst = u); break;
		case 'E': if (wan_parse_rate(optarg, &u)) return bad("--be", optarg); EACH(be[k] = u); break;
		case 'S':
		case 'F':
			/* A schedule replaces the direction's earlier one. */
			memset(&sc, 0, sizeof(sc));
			if (ch == 'S' && wan_sched_parse(&sc, optarg)) return bad("--schedule", optarg);
			if (ch == 'F' && (rc = load_schedule(&sc, optarg))) return rc;
			EACH((o->sched[k] = sc, have_sched[k] = true, walk[k].period = 0));
			break;
		case 'W':
			if (sscanf(optarg, "%lu,%lu,%lu,%lf", &w.v[0], &w.v[1], &w.v[2], &w.period) != 4)
				return bad("--walk (LO,HI,STEP,PERIOD_S in bit/s and s)", optarg);
			if (w.period <= 0 || w.v[0] > w.v[1]) return bad("--walk", optarg);
			EACH((walk[k] = w, have_sched[k] = true));
			break;
		case 'l': u = strtoul(optarg, NULL, 0); if (!u) return bad("--limit", optarg); EACH((c->limit = u, c->limit_bytes = false)); break;
		case 'b': u = strtoul(optarg, NULL, 0); if (!u) return bad("--limit-bytes", optarg); EACH((c->limit = u, c->limit_bytes = true)); break;
		case 'R':
			x.red_w = 0.002;
			if (sscanf(optarg, "%lf,%lf,%lf,%lf", &x.red_min, &x.red_max, &x.red_pmax, &x.red_w) < 3 ||
			    x.red_min < 0 || x.red_max <= x.red_min || x.red_pmax <= 0 || x.red_pmax > 1 ||
			    x.red_w <= 0 || x.red_w > 1)
				return bad("--red (MIN,MAX,PMAX[,W])", optarg);
			EACH((c->red_min = x.red_min, c->red_max = x.red_max, c->red_pmax = x.red_pmax,
			      c->red_w = x.red_w, c->red = true));
			break;
		case 'd': v = atof(optarg); if (v < 0) return bad("--delay", optarg); EACH(c->delay_ns = v * 1e6); break;
		case 'j': v = atof(optarg); if (v < 0) return bad("--jitter", optarg); EACH(c->jitter_ns = v * 1e6); break;
		case 'p': v = atof(optarg); if (v < 0 || v > 100) return bad("--loss", optarg); EACH(c->loss_ppm = v * 1e4 + 0.5); break;
		case 'D':
			if (!strcmp(optarg, "honour") || !strcmp(optarg, "honor")) o->dscp_mode = DSCP_HONOUR;
			else if (!strcmp(optarg, "ignore")) o->dscp_mode = DSCP_IGNORE;
			else if (!strncmp(optarg, "bleach", 6) && (!optarg[6] || optarg[6] == '=')) {
				o->dscp_mode = DSCP_BLEACH;
				o->bleach = optarg[6] ? atoi(optarg + 7) : 0;
				if (o->bleach < 0 || o->bleach > 63) return bad("--dscp", optarg);
			} else return bad("--dscp (honour|ignore|bleach[=V])", optarg);
			break;
		case 'c': if (parse_dscp_list(optarg, &o->committed_mask)) return bad("--committed", optarg); break;
		case 's': u = strtoull(optarg, NULL, 0); EACH(c->seed = u); break;
		case 'o': o->stats_path = optarg; break;
		case 'i': v = atof(optarg); if (v <= 0) return bad("--interval", optarg); o->interval_ns = v * 1e6; break;
		case 't': v = atof(optarg); if (v <= 0) return bad("--duration", optarg); o->duration_ns = v * 1e9; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
#undef EACH
	for (k = 0; k < 2; k++) {
		if (walk[k].period > 0) {
			o->sched[k].n = 0;
			if (wan_sched_walk(&o->sched[k], walk[k].v[0], walk[k].v[1], walk[k].v[2],
					   walk[k].period * 1e9, o->duration_ns ? o->duration_ns : 3600e9,
					   o->cfg[k].seed))
				return bad("--walk (too many steps)", "");
		}
		if (!have_sched[k])
			wan_sched_add(&o->sched[k], 0, be[k], false);
	}
	if (argc - optind != 2) {
		fprintf(stderr, "wanemu: want two interfaces: IF_A IF_B (see --help)\n");
		return 2;
	}
	return 0;
}

static int open_side(struct side *s)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	int one = 1, buf = 8 << 20;

	s->ifindex = if_nametoindex(s->ifname);
	if (!s->ifindex) {
		fprintf(stderr, "wanemu: no interface %s: %s\n", s->ifname, strerror(errno));
		return 1;
	}
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (s->fd < 0) {
		fprintf(stderr, "wanemu: AF_PACKET socket: %s\n", strerror(errno));
		return errno == EPERM ? 3 : 1;
	}
	sll.sll_ifindex = s->ifindex;
	mr.mr_ifindex = s->ifindex;
	/* Our own transmissions would come back as PACKET_OUTGOING: never see them. */
	if (setsockopt(s->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    bind(s->fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "wanemu: %s: %s\n", s->ifname, strerror(errno));
		return 1;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;
}

static void count_drop(struct cls_stats *c, enum wan_verdict v)
{
	if (v == WAN_DROP_TAIL)
		c->drops_tail++;
	else if (v == WAN_DROP_RED)
		c->drops_red++;
	else
		c->drops_random++;
}

static void receive(struct side *s, const struct opts *o, uint64_t now)
{
	for (;;) {
		uint32_t slot;
		ssize_t n;
		int dscp;
		struct wan_pkt p;
		enum wan_verdict v;
		struct cls_stats *c;

		if (!nfree) {
			unsigned char tmp[SLOT_SIZE];

			if (recv(s->fd, tmp, sizeof(tmp), MSG_TRUNC) < 0)
				return;
			s->drops_nobuf++;
			continue;
		}
		slot = free_slots[nfree - 1];
		n = recv(s->fd, pool[slot], SLOT_SIZE, MSG_TRUNC);
		if (n < 0)
			return;
		if (n > SLOT_SIZE) {
			s->drops_oversize++;	/* a GSO frame: offloads left on */
			continue;
		}
		dscp = wan_frame_dscp(pool[slot], n);
		c = &s->cls[dscp < 0 ? 0 : dscp];
		p = (struct wan_pkt){ .t_in = now, .len = n, .slot = slot,
				      .dscp = dscp < 0 ? 0 : dscp };
		p.committed = o->dscp_mode == DSCP_HONOUR && dscp >= 0 &&
			      (o->committed_mask >> dscp & 1);
		c->in_pkts++;
		c->in_bytes += n;
		s->tot.in_pkts++;
		s->tot.in_bytes += n;
		v = wan_enqueue(&s->dir, now, &p);
		if (v != WAN_QUEUED) {
			count_drop(c, v);
			count_drop(&s->tot, v);
			continue;
		}
		nfree--;
	}
}

static void deliver(struct side *s, struct side *to, const struct opts *o, uint64_t now)
{
	struct wan_pkt *p;

	wan_service(&s->dir, now);
	while ((p = wan_due(&s->dir, now))) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = to->ifindex,
					   .sll_halen = ETH_ALEN };
		struct cls_stats *c = &s->cls[p->dscp];

		if (o->dscp_mode == DSCP_BLEACH)
			wan_frame_bleach(pool[p->slot], p->len, o->bleach);
		memcpy(sll.sll_addr, pool[p->slot], ETH_ALEN);
		if (sendto(to->fd, pool[p->slot], p->len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			s->send_errors++;
		} else {
			c->delivered_pkts++;
			c->delivered_bytes += p->len;
			s->tot.delivered_pkts++;
			s->tot.delivered_bytes += p->len;
		}
		free_slots[nfree++] = p->slot;
		wan_fifo_pop(&s->dir.line);
	}
}

static void sock_stats(struct side *s)
{
	struct tpacket_stats st;
	socklen_t l = sizeof(st);

	/* Reading resets the kernel's counters: accumulate. */
	if (!getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &l)) {
		s->sock_packets += st.tp_packets;
		s->sock_drops += st.tp_drops;
	}
}

static void print_cls(FILE *f, const struct cls_stats *c)
{
	fprintf(f, "\"in_pkts\":%lu,\"in_bytes\":%lu,\"delivered_pkts\":%lu,\"delivered_bytes\":%lu,"
		"\"drops_tail\":%lu,\"drops_red\":%lu,\"drops_random\":%lu",
		c->in_pkts, c->in_bytes, c->delivered_pkts, c->delivered_bytes,
		c->drops_tail, c->drops_red, c->drops_random);
}

static void write_stats(FILE *f, const char *type, struct side *s, struct side *to,
			uint64_t now, uint64_t t0)
{
	const struct wan_dir *d = &s->dir;
	int i, first = 1;

	sock_stats(s);
	fprintf(f, "{\"type\":\"%s\",\"t_ns\":%lu,\"elapsed_ms\":%lu,\"dir\":\"%s>%s\",\"from\":\"%s\",\"to\":\"%s\","
		"\"capacity_bps\":%lu,\"be_bps\":%lu,\"cir_bps\":%lu,\"line_bps\":%lu,"
		"\"qlen_pkts\":%u,\"qlen_bytes\":%lu,\"qlen_committed_pkts\":%u,\"inflight_pkts\":%u,",
		type, now, (now - t0) / 1000000, s->ifname, to->ifname, s->ifname, to->ifname,
		wan_capacity(d, now), wan_sched_rate(d->sched, now - t0), d->cfg->cir_bps,
		d->cfg->line_bps, d->q[0].n + d->q[1].n, d->q[0].bytes + d->q[1].bytes,
		d->q[0].n, d->line.n);
	print_cls(f, &s->tot);
	fprintf(f, ",\"drops_oversize\":%lu,\"drops_nobuf\":%lu,\"send_errors\":%lu,"
		"\"sock_rx_pkts\":%lu,\"sock_rx_drops\":%lu,\"classes\":[",
		s->drops_oversize, s->drops_nobuf, s->send_errors, s->sock_packets, s->sock_drops);
	for (i = 0; i < 64; i++) {
		if (!s->cls[i].in_pkts)
			continue;
		fprintf(f, "%s{\"dscp\":%d,", first ? "" : ",", i);
		print_cls(f, &s->cls[i]);
		fputc('}', f);
		first = 0;
	}
	fputs("]}\n", f);
	fflush(f);
}

static void arm(int tfd, uint64_t at)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = at / 1000000000ULL;
	its.it_value.tv_nsec = at % 1000000000ULL;
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int run(struct side sd[2], const struct opts *o, FILE *out)
{
	uint64_t t0 = now_ns(), next_stats = t0 + o->interval_ns, now = t0;
	struct rusage ru;
	struct pollfd pfd[4];
	sigset_t mask;
	int tfd, sfd, i, stop = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sfd < 0 || tfd < 0) {
		fprintf(stderr, "wanemu: signalfd/timerfd: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < 2; i++)
		if (wan_dir_init(&sd[i].dir, &o->cfg[i], &o->sched[i], t0, SLOTS)) {
			fprintf(stderr, "wanemu: out of memory\n");
			return 1;
		}
	pfd[0] = (struct pollfd){ .fd = sd[0].fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sd[1].fd, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = tfd, .events = POLLIN };
	pfd[3] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	while (!stop) {
		uint64_t next = next_stats, e;
		uint64_t junk;

		for (i = 0; i < 2; i++) {
			e = wan_next_event(&sd[i].dir);
			if (e < next)
				next = e;
		}
		arm(tfd, next);
		if (poll(pfd, 4, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "wanemu: poll: %s\n", strerror(errno));
			return 1;
		}
		now = now_ns();
		if (pfd[3].revents)
			stop = 1;
		if (pfd[2].revents && read(tfd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
			return 1;
		for (i = 0; i < 2; i++) {
			deliver(&sd[i], &sd[!i], o, now);
			if (pfd[i].revents & POLLIN)
				receive(&sd[i], o, now);
			deliver(&sd[i], &sd[!i], o, now);
		}
		if (o->duration_ns && now - t0 >= o->duration_ns)
			stop = 1;
		if (now >= next_stats || stop) {
			for (i = 0; out && i < 2; i++)
				write_stats(out, stop ? "summary" : "stats", &sd[i], &sd[!i], now, t0);
			while (next_stats <= now)
				next_stats += o->interval_ns;
		}
	}
	if (!getrusage(RUSAGE_SELF, &ru))
		fprintf(stderr, "wanemu: %.1f s, cpu %.2f s user %.2f s sys\n", (now - t0) / 1e9,
			ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
			ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	for (i = 0; i < 2; i++) {
		struct cls_stats *c = &sd[i].tot;

		fprintf(stderr, "wanemu: %s>%s: in %lu delivered %lu tail %lu red %lu random %lu"
			" own drops: sock %lu nobuf %lu oversize %lu send %lu\n",
			sd[i].ifname, sd[!i].ifname, c->in_pkts, c->delivered_pkts, c->drops_tail,
			c->drops_red, c->drops_random, sd[i].sock_drops, sd[i].drops_nobuf,
			sd[i].drops_oversize, sd[i].send_errors);
		wan_dir_free(&sd[i].dir);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct opts o;
	static struct side sd[2];
	FILE *out = NULL;
	uint32_t i;
	int rc;

	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	sd[0].ifname = argv[optind];
	sd[1].ifname = argv[optind + 1];
	for (i = 0; i < 2; i++)
		if ((rc = open_side(&sd[i])))
			return rc;
	if (o.stats_path) {
		out = fopen(o.stats_path, "w");
		if (!out) {
			fprintf(stderr, "wanemu: cannot write %s: %s\n", o.stats_path, strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < SLOTS; i++)
		free_slots[nfree++] = i;
	rc = run(sd, &o, out);
	if (out)
		fclose(out);
	return rc;
}
