// SPDX-License-Identifier: GPL-2.0
/*
 * vmbackend - the NIC backend of a pretend VM that is sometimes descheduled.
 *
 * It bridges frames between a macvtap's character device (/dev/tapN, opened
 * in this process's network namespace, the "host") and a tap device it
 * creates in another namespace (the "VM", whose own IP stack is the guest):
 * what the macvtap receives is written to the tap, what the VM sends on the
 * tap is written back to the macvtap.  This is what QEMU's tap backend or
 * vhost-net does for a guest on a macvtap.
 *
 * Every PERIOD ms it stops for the last STALL ms of the period, reading
 * neither side, as a vhost thread or vCPU does when the host deschedules
 * it.  Meanwhile the macvtap's ring (txqueuelen frames, sized when the
 * character device is opened) fills and the kernel drops what follows:
 * FULL_RING, counted in the macvtap's rx_dropped.  Outside the stalls it
 * sleeps in poll() and drains up to a batch of frames per wake-up, so its
 * own CPU use is not what overflows the ring.
 *
 *	vmbackend [-t SECONDS] [-p PERIOD_MS] [-s STALL_MS] -n NETNS CHARDEV TAPNAME
 *
 *	-n NETNS   namespace for the tap: a name in /run/netns or a path
 *	-p, -s     period and stall in ms (defaults 1000 and 0: no stalls)
 *	-t         lifetime in seconds (default 60, at most 3600)
 *
 * Frames are plain Ethernet on both sides: IFF_VNET_HDR, which a macvtap
 * turns on by default, is switched off, so no virtio header and no GSO
 * pass through (the kernel segments and checksums before the ring).
 * Prints "ready" on stdout once both ends are open, and at exit one line
 * on stderr: "vmbackend: to_vm N to_host N stalls N write_errors N".
 * Exits 0 on SIGTERM, SIGINT or the time limit; 3 without privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <linux/if_tun.h>

#define MAX_SECONDS 3600
#define MAX_MS 600000
#define BATCH 64		/* frames per side per wake-up: bounds each turn */
#define FRAME_MAX 65536		/* an Ethernet frame without GSO fits */

struct opts {
	long period_ms, stall_ms, secs;
	const char *netns, *chardev, *tapname;
};

struct stats {
	unsigned long long to_vm, to_host, stalls, write_errors;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmbackend [-t SECONDS] [-p PERIOD_MS] [-s STALL_MS] -n NETNS CHARDEV TAPNAME\n"
		"Bridge a macvtap's character device (CHARDEV, this namespace) and a new tap\n"
		"TAPNAME in NETNS (name in /run/netns or path); every PERIOD_MS (default 1000)\n"
		"read nothing for STALL_MS (default 0), like a descheduled VM. Prints \"ready\",\n"
		"runs until SIGTERM/SIGINT or SECONDS (default 60, max %d).\n",
		MAX_SECONDS);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int opt;

	*o = (struct opts){ .period_ms = 1000, .stall_ms = 0, .secs = 60 };
	while ((opt = getopt(argc, argv, "t:p:s:n:h")) != -1) {
		switch (opt) {
		case 't':
			if (parse_long(optarg, 1, MAX_SECONDS, &o->secs))
				goto bad_value;
			break;
		case 'p':
			if (parse_long(optarg, 1, MAX_MS, &o->period_ms))
				goto bad_value;
			break;
		case 's':
			if (parse_long(optarg, 0, MAX_MS, &o->stall_ms))
				goto bad_value;
			break;
		case 'n':
			o->netns = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (argc - optind != 2 || !o->netns) {
		usage(stderr);
		return -1;
	}
	if (o->stall_ms >= o->period_ms) {
		fprintf(stderr, "vmbackend: the stall (%ld ms) must be shorter than the period (%ld ms)\n",
			o->stall_ms, o->period_ms);
		return -1;
	}
	o->chardev = argv[optind];
	o->tapname = argv[optind + 1];
	return 0;
bad_value:
	fprintf(stderr, "vmbackend: bad value '%s' for -%c\n", optarg, opt);
	return -1;
}

/* open_macvtap: the macvtap queue, switched to plain frames (no vnet header). */
static int open_macvtap(const char *path)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vmbackend: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* macvtap accepts TUNSETIFF only to change IFF_VNET_HDR. */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "vmbackend: cannot turn off the vnet header on %s: %s\n", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int create_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "vmbackend: tap name '%s' is longer than %d\n", name, IFNAMSIZ - 1);
		errno = EINVAL;
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vmbackend: cannot open /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "vmbackend: cannot create tap %s: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * open_tap_in: create the tap inside NETNS and come back.  tun makes its
 * device in the namespace the /dev/net/tun file was opened in, so only the
 * open and the ioctl happen there; the process itself stays in the host's
 * namespace, where a real backend lives.
 */
static int open_tap_in(const char *netns, const char *name)
{
	char path[PATH_MAX];
	int self, target, fd = -1;

	if (strchr(netns, '/'))
		snprintf(path, sizeof(path), "%s", netns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		fprintf(stderr, "vmbackend: cannot open namespace %s: %s\n",
			self < 0 ? "/proc/self/ns/net" : path, strerror(errno));
		goto err_close;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		fprintf(stderr, "vmbackend: cannot enter %s: %s\n", path, strerror(errno));
		goto err_close;
	}
	fd = create_tap(name);
	if (setns(self, CLONE_NEWNET) < 0) {
		fprintf(stderr, "vmbackend: cannot return to the host namespace: %s\n",
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
err_close:
	if (target >= 0)
		close(target);
	if (self >= 0)
		close(self);
	return fd;
}

/* pump: move up to BATCH frames from one fd to the other; false once the reader is empty. */
static int pump(int from, int to, unsigned long long *moved, struct stats *st)
{
	static unsigned char buf[FRAME_MAX];
	int i;

	for (i = 0; i < BATCH; i++) {
		ssize_t n = read(from, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;	/* EAGAIN: drained (other errors: poll says) */
		/* A frame the other side refuses is lost, as on a real NIC. */
		if (write(to, buf, (size_t)n) != n)
			st->write_errors++;
		else
			(*moved)++;
	}
	return 1;
}

/* stall_left: ms until the current stall ends (0: running); the stall is each period's end. */
static long stall_left(const struct opts *o, uint64_t start, uint64_t now)
{
	long in_period = (long)((now - start) % (uint64_t)o->period_ms);
	long run_ms = o->period_ms - o->stall_ms;

	return in_period >= run_ms ? o->period_ms - in_period : 0;
}

/* next_stall_in: ms until the next stall begins (LONG_MAX without stalls). */
static long next_stall_in(const struct opts *o, uint64_t start, uint64_t now)
{
	long in_period = (long)((now - start) % (uint64_t)o->period_ms);

	if (!o->stall_ms)
		return LONG_MAX;
	return o->period_ms - o->stall_ms - in_period;
}

static int run(const struct opts *o, int mvt, int tap, int sfd, struct stats *st)
{
	uint64_t start = now_ms(), end = start + (uint64_t)o->secs * 1000, now;
	struct pollfd pfd[3] = {
		{ .fd = sfd, .events = POLLIN },
		{ .fd = mvt, .events = POLLIN },
		{ .fd = tap, .events = POLLIN },
	};
	int was_stalled = 0;

	while ((now = now_ms()) < end) {
		long stalled = stall_left(o, start, now), wait;
		int nfds = stalled ? 1 : 3;	/* stalled: only a signal wakes us */

		if (stalled && !was_stalled)
			st->stalls++;
		was_stalled = stalled != 0;
		wait = stalled ? stalled : next_stall_in(o, start, now);
		if (wait > (long)(end - now))
			wait = (long)(end - now);
		if (poll(pfd, (nfds_t)nfds, (int)wait) < 0 && errno != EINTR) {
			fprintf(stderr, "vmbackend: poll: %s\n", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			return 0;
		if (nfds == 1)
			continue;
		if ((pfd[1].revents | pfd[2].revents) & (POLLERR | POLLHUP | POLLNVAL)) {
			fprintf(stderr, "vmbackend: a device went away\n");
			return 1;
		}
		if (pfd[1].revents & POLLIN)
			pump(mvt, tap, &st->to_vm, st);
		if (pfd[2].revents & POLLIN)
			pump(tap, mvt, &st->to_host, st);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct stats st = { 0 };
	struct opts o;
	sigset_t set;
	int mvt, tap, sfd, rc = 1;

	if (parse_opts(argc, argv, &o))
		return 2;
	/* Blocked before anything opens: a TERM right after "ready" is not lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "vmbackend: signalfd: %s\n", strerror(errno));
		return 1;
	}
	mvt = open_macvtap(o.chardev);
	if (mvt < 0) {
		rc = errno == EPERM || errno == EACCES ? 3 : 1;
		goto err_close_sfd;
	}
	tap = open_tap_in(o.netns, o.tapname);
	if (tap < 0) {
		rc = errno == EPERM || errno == EACCES ? 3 : 1;
		goto err_close_mvt;
	}
	printf("ready\n");
	if (fflush(stdout)) {
		fprintf(stderr, "vmbackend: cannot write to stdout: %s\n", strerror(errno));
		goto err_close_tap;
	}
	rc = run(&o, mvt, tap, sfd, &st);
	fprintf(stderr, "vmbackend: to_vm %llu to_host %llu stalls %llu write_errors %llu\n",
		st.to_vm, st.to_host, st.stalls, st.write_errors);
err_close_tap:
	close(tap);
err_close_mvt:
	close(mvt);
err_close_sfd:
	close(sfd);
	return rc;
}
