// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend - a bounded UDP sender for drop tests.
 *
 *	udpsend [-4|-6] [-e] -c COUNT [-s SIZE] [-r PPS] [-t SECONDS] [-I IFNAME] DEST PORT
 *
 * Tries COUNT datagrams of SIZE payload bytes (default 64) to DEST PORT,
 * each exactly once, at most PPS a second (default: as fast as it can),
 * and stops early when SECONDS (default 10) have passed.  Prints one line
 * on stdout at the end:
 *
 *	sent S enobufs E eagain A icmp I
 *
 * S sendto() calls succeeded, E failed with ENOBUFS (a local queue was
 * full), A with EAGAIN (the socket send buffer was full; sends never
 * block).  Failed datagrams are not retried.  Without -e the kernel hides
 * a qdisc's or driver's drop from a UDP sender (it returns success); -e
 * sets IP_RECVERR/IPV6_RECVERR so those drops come back as ENOBUFS.  A
 * RECVERR socket also fails its next send once with the error of any ICMP
 * reply (port unreachable from a receiver without a socket): I counts
 * those, and the datagram is tried once more.  Any other error ends the
 * run (exit 1) after the line is printed.
 *
 * The payload starts with the 32-bit sequence number, network order.
 * DEST must be in 198.18.0.0/15 or 2001:2::/48: this tool only ever
 * talks to the benchmarking prefixes the tests use.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>

#define MAX_COUNT 10000000L
#define MAX_PPS 10000000L
#define MAX_SECONDS 600.0
#define MAX_PAYLOAD 65507	/* IPv4's limit; IPv6 allows 20 more, unused */

struct opts {
	int family;
	int recverr;
	long count;
	long size;
	long pps;
	double seconds;
	const char *ifname;
	const char *dest;
	const char *port;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: udpsend [-4|-6] [-e] -c COUNT [-s SIZE] [-r PPS] [-t SECONDS] [-I IFNAME] DEST PORT\n"
		"  -c COUNT    datagrams to try, 1..%ld (required)\n"
		"  -s SIZE     payload bytes, 0..%d (default 64)\n"
		"  -r PPS      at most PPS datagrams a second (default: no pacing)\n"
		"  -t SECONDS  stop after SECONDS, at most %.0f (default 10)\n"
		"  -I IFNAME   send through IFNAME (SO_BINDTODEVICE)\n"
		"  -e          report local queue drops as ENOBUFS (IP_RECVERR)\n"
		"Prints \"sent S enobufs E eagain A icmp I\". DEST in 198.18.0.0/15 or 2001:2::/48.\n",
		MAX_COUNT, MAX_PAYLOAD, MAX_SECONDS);
}

static int parse_long(const char *s, long min, long max, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	return errno || end == s || *end || *v < min || *v > max ? -1 : 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	char *end;
	int opt;

	*o = (struct opts){ .family = AF_UNSPEC, .count = -1, .size = 64, .seconds = 10 };
	while ((opt = getopt(argc, argv, "46ec:s:r:t:I:h")) != -1) {
		switch (opt) {
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'e':
			o->recverr = 1;
			break;
		case 'c':
			if (parse_long(optarg, 1, MAX_COUNT, &o->count)) {
				fprintf(stderr, "udpsend: -c wants 1..%ld, got '%s'\n", MAX_COUNT, optarg);
				return -1;
			}
			break;
		case 's':
			if (parse_long(optarg, 0, MAX_PAYLOAD, &o->size)) {
				fprintf(stderr, "udpsend: -s wants 0..%d, got '%s'\n", MAX_PAYLOAD, optarg);
				return -1;
			}
			break;
		case 'r':
			if (parse_long(optarg, 1, MAX_PPS, &o->pps)) {
				fprintf(stderr, "udpsend: -r wants 1..%ld, got '%s'\n", MAX_PPS, optarg);
				return -1;
			}
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->seconds > 0) ||
			    o->seconds > MAX_SECONDS) {
				fprintf(stderr, "udpsend: -t wants seconds in (0, %.0f], got '%s'\n",
					MAX_SECONDS, optarg);
				return -1;
			}
			break;
		case 'I':
			if (strlen(optarg) >= IFNAMSIZ) {
				fprintf(stderr, "udpsend: interface name '%s' is too long\n", optarg);
				return -1;
			}
			o->ifname = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->count < 0) {
		fprintf(stderr, "udpsend: -c COUNT is required\n");
		return -1;
	}
	if (argc - optind != 2) {
		usage(stderr);
		return -1;
	}
	o->dest = argv[optind];
	o->port = argv[optind + 1];
	return 0;
}

/* Only the benchmarking prefixes (RFC 2544, RFC 5180): a typo in a test
 * must not send a burst anywhere real. */
static int dest_allowed(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);

		return (a & 0xfffe0000u) == 0xc6120000u;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 2 && b[4] == 0 &&
		       b[5] == 0;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = (time_t)t };

	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* 0 or the errno of one non-blocking send. */
static int send_one(int fd, const void *buf, size_t len, const struct addrinfo *ai)
{
	return sendto(fd, buf, len, MSG_DONTWAIT, ai->ai_addr, ai->ai_addrlen) < 0 ? errno : 0;
}

/* Errors an ICMP reply leaves on a RECVERR socket (sk_err); the next send
 * fails with it once, before anything is sent. */
static int async_icmp_error(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH ||
	       err == EHOSTDOWN || err == EPROTO || err == EMSGSIZE;
}

/* Read and discard a RECVERR socket's queued ICMP errors: left there,
 * close() frees them as drops (QUEUE_PURGE) that would blur a count. */
static void drain_errqueue(int fd)
{
	char data[64], ctl[512];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr mh;

	do {
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	} while (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0);
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	long sent = 0, nobufs = 0, again = 0, icmp = 0, i;
	double start, deadline;
	struct addrinfo *ai;
	unsigned char *buf;
	struct opts o;
	int fd, err, rc = 0, one = 1;
	uint32_t seq;

	if (parse_opts(argc, argv, &o))
		return 2;
	hints.ai_family = o.family;
	err = getaddrinfo(o.dest, o.port, &hints, &ai);
	if (err) {
		fprintf(stderr, "udpsend: '%s' port '%s': %s (numeric address and port wanted)\n",
			o.dest, o.port, gai_strerror(err));
		return 2;
	}
	if (!dest_allowed(ai->ai_addr)) {
		fprintf(stderr, "udpsend: %s is outside 198.18.0.0/15 and 2001:2::/48\n", o.dest);
		freeaddrinfo(ai);
		return 2;
	}

	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "udpsend: socket: %s\n", strerror(errno));
		freeaddrinfo(ai);
		return 1;
	}
	if (o.ifname &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o.ifname, strlen(o.ifname) + 1) < 0) {
		err = errno;
		fprintf(stderr, "udpsend: cannot bind to device %s: %s\n", o.ifname, strerror(err));
		rc = err == EPERM ? 3 : 1;
		goto out_close;
	}
	if (o.recverr &&
	    (ai->ai_family == AF_INET ?
		     setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) :
		     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one))) < 0) {
		fprintf(stderr, "udpsend: cannot set RECVERR: %s\n", strerror(errno));
		rc = 1;
		goto out_close;
	}
	buf = calloc(1, o.size ? (size_t)o.size : 1);
	if (!buf) {
		fprintf(stderr, "udpsend: out of memory\n");
		rc = 1;
		goto out_close;
	}

	start = now_s();
	deadline = start + o.seconds;
	for (i = 0; i < o.count; i++) {
		if (o.pps) {
			double t = start + (double)i / (double)o.pps;

			if (t >= deadline)
				break;
			sleep_until(t);
		}
		if (now_s() >= deadline)
			break;
		seq = htonl((uint32_t)i);
		memcpy(buf, &seq, o.size < 4 ? (size_t)o.size : 4);
		err = send_one(fd, buf, (size_t)o.size, ai);
		if (err > 0 && o.recverr && async_icmp_error(err)) {
			/* The error belongs to an earlier datagram's ICMP reply and
			 * was cleared by reporting it: this one was not sent yet. */
			icmp++;
			drain_errqueue(fd);
			err = send_one(fd, buf, (size_t)o.size, ai);
		}
		errno = err;
		if (!err) {
			sent++;
		} else if (errno == ENOBUFS) {
			nobufs++;
		} else if (errno == EAGAIN) {
			again++;
		} else {
			fprintf(stderr, "udpsend: sendto %s port %s, datagram %ld: %s\n", o.dest, o.port,
				i, strerror(errno));
			rc = 1;
			break;
		}
	}
	if (i < o.count && !rc)
		fprintf(stderr, "udpsend: time limit of %g s reached after %ld of %ld datagrams\n",
			o.seconds, i, o.count);
	if (o.recverr)
		drain_errqueue(fd);
	printf("sent %ld enobufs %ld eagain %ld icmp %ld\n", sent, nobufs, again, icmp);
	free(buf);
out_close:
	close(fd);
	freeaddrinfo(ai);
	return rc;
}
