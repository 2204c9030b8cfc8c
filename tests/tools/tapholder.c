// SPDX-License-Identifier: GPL-2.0
/*
 * tapholder - hold a tun/tap queue open and never read it, so the device's
 * ring fills and every further packet is dropped with a known reason
 * (FULL_RING): the tap's tx_dropped, or a macvtap's rx_dropped, is then
 * exact ground truth for drop tests.
 *
 *	tapholder [-t SECONDS] tap NAME    attach to (or create) tap NAME in
 *	                                   this namespace, IFF_TAP|IFF_NO_PI
 *	tapholder [-t SECONDS] open PATH   open a character device (a macvtap's
 *	                                   /dev/tapN) read-write
 *
 * Prints "ready" on stdout once attached, then waits for SIGTERM or SIGINT
 * or SECONDS (default 60) and exits 0.  A tap created here is not
 * persistent: it goes away with this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#define MAX_SECONDS 3600

static void usage(FILE *f)
{
	fprintf(f, "usage: tapholder [-t SECONDS] tap NAME\n"
		   "       tapholder [-t SECONDS] open PATH\n"
		   "Attach to a tap (or open a macvtap's character device), never read it,\n"
		   "print \"ready\", wait for SIGTERM/SIGINT or SECONDS (default 60, max %d).\n",
		MAX_SECONDS);
}

static int attach_tap(const char *name)
{
	struct ifreq ifr;
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "tapholder: interface name '%s' is longer than %d\n", name,
			IFNAMSIZ - 1);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tapholder: cannot open /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		/* EINVAL here usually means NAME exists with other flags
		 * (tun, pi, vnet_hdr, multi_queue) or is no tun device. */
		int err = errno;

		fprintf(stderr, "tapholder: cannot attach to tap %s: %s%s\n", name, strerror(err),
			err == EINVAL ? " (a tun, or a tap made with pi, vnet_hdr or multi_queue?)" : "");
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int open_chardev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "tapholder: cannot open %s: %s\n", path, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	struct timespec limit = { .tv_sec = 60 }, deadline, now;
	sigset_t set;
	char *end;
	int fd, opt, sig;
	double secs;

	while ((opt = getopt(argc, argv, "t:h")) != -1) {
		switch (opt) {
		case 't':
			errno = 0;
			secs = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(secs > 0) || secs > MAX_SECONDS) {
				fprintf(stderr, "tapholder: -t wants seconds in (0, %d], got '%s'\n",
					MAX_SECONDS, optarg);
				return 2;
			}
			limit.tv_sec = (time_t)secs;
			limit.tv_nsec = (long)((secs - (double)limit.tv_sec) * 1e9);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}

	/* Blocked before attaching: a TERM sent right after "ready" must
	 * not be lost, nor kill us with a non-zero status. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (!strcmp(argv[optind], "tap")) {
		fd = attach_tap(argv[optind + 1]);
	} else if (!strcmp(argv[optind], "open")) {
		fd = open_chardev(argv[optind + 1]);
	} else {
		fprintf(stderr, "tapholder: unknown mode '%s' (tap or open)\n", argv[optind]);
		return 2;
	}
	if (fd < 0)
		return errno == EPERM || errno == EACCES ? 3 : 1;

	printf("ready\n");
	if (fflush(stdout)) {
		fprintf(stderr, "tapholder: cannot write to stdout: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += limit.tv_sec;
	deadline.tv_nsec += limit.tv_nsec;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		sig = sigtimedwait(&set, NULL, &limit);
		if (sig > 0 || errno == EAGAIN)	/* a signal, or the time limit */
			break;
		if (errno != EINTR) {
			fprintf(stderr, "tapholder: sigtimedwait: %s\n", strerror(errno));
			return 1;
		}
		/* Interrupted (SIGSTOP/SIGCONT): wait only for what is left. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		limit.tv_sec = deadline.tv_sec - now.tv_sec;
		limit.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (limit.tv_nsec < 0) {
			limit.tv_sec--;
			limit.tv_nsec += 1000000000L;
		}
		if (limit.tv_sec < 0)
			break;
	}
	close(fd);
	return 0;
}
