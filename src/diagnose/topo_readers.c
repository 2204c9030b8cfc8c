// SPDX-License-Identifier: GPL-2.0
/*
 * Who reads a tun/tap or a macvtap: every process's open files, by device
 * number. A macvtap is opened through its own character device, wherever
 * its node is (lab/vm.sh mknods one in a temporary directory), so the
 * file's st_rdev names it, as topo.c read its dev_t from sysfs. Every tun
 * and tap is opened through the one /dev/net/tun (10:200): the fd's
 * fdinfo names the device (`iff:`), but only by name, and a name is only
 * unique inside a namespace -- which is not always the reader's (vmbackend
 * creates its tap in the "VM" namespace from the host one) nor the one
 * the fd was opened in (a tun moved with `ip link set netns` stays
 * attached). The kernel says the device's namespace when asked through
 * the fd itself (TUNGETDEVNETNS), so a copy of the fd is taken with
 * pidfd_getfd(), needing the right to ptrace the reader.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/if_tun.h>

#include "topo.h"

/* /dev/net/tun: MISC_MAJOR, TUN_MINOR of the kernel's <linux/miscdevice.h>. */
#define TUN_DEV makedev(10, 200)

struct scan {
	struct topo *t;
	int denied;		/* processes whose fds we may not look at */
	int by_name;		/* tun readers placed by their device's name alone */
	int unplaced;		/* ... or not at all: the name is in several namespaces */
	int copy_err;		/* why a tun fd could not be asked (-errno) */
	int comm_pid;		/* whose comm is in comm[] */
	char comm[16];
};

static int add_reader(struct scan *s, struct topo_dev *d, int pid)
{
	struct topo_reader *v;
	char path[32];
	ssize_t n;
	int fd;

	for (size_t i = 0; i < d->nreaders; i++)
		if (d->readers[i].pid == pid)
			return 0;	/* another queue of the same reader */
	v = realloc(d->readers, (d->nreaders + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->readers = v;
	if (s->comm_pid != pid) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, s->comm, sizeof(s->comm) - 1);
		if (fd >= 0)
			close(fd);
		s->comm[n > 0 ? n : 0] = 0;
		s->comm[strcspn(s->comm, "\n")] = 0;
		s->comm_pid = pid;
	}
	v[d->nreaders].pid = pid;
	memcpy(v[d->nreaders++].comm, s->comm, sizeof(s->comm));
	return 0;
}

/* The name in a tun fd's fdinfo ("iff:\tNAME"), or -ENOENT (not attached). */
static int fdinfo_iff(int pid, const char *fd, char name[IF_NAMESIZE])
{
	char path[300], buf[1024], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -ENOENT;
	buf[n] = 0;
	p = strstr(buf, "\niff:\t");
	if (!p)
		return -ENOENT;
	p += 6;
	p[strcspn(p, "\n")] = 0;
	if (!*p || strlen(p) >= IF_NAMESIZE)
		return -ENOENT;
	memcpy(name, p, strlen(p) + 1);
	return 0;
}

/*
 * The namespace of the device reader @pid's fd @fdnum is attached to.
 * Our copy shares the open file: should the reader close its fd meanwhile,
 * our close is the last and detaches the queue, as the reader's would have.
 */
static int tun_netns(int pid, int fdnum, const char *name, uint32_t *inum)
{
	struct ifreq ifr;
	struct stat st;
	int pidfd, fd, nsfd, err = 0;

	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0)
		return -errno;
	fd = pidfd_getfd(pidfd, fdnum, 0);
	err = fd < 0 ? -errno : 0;
	close(pidfd);
	if (err)
		return err;
	memset(&ifr, 0, sizeof(ifr));
	/* The fd number may have been reused since fdinfo was read: check the name. */
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		err = -errno;
	else if (strncmp(ifr.ifr_name, name, IF_NAMESIZE))
		err = -ESTALE;
	nsfd = err ? -1 : ioctl(fd, TUNGETDEVNETNS);
	if (!err && nsfd < 0)
		err = -errno;
	if (!err && fstat(nsfd, &st))
		err = -errno;
	if (!err)
		*inum = (uint32_t)st.st_ino;
	if (nsfd >= 0)
		close(nsfd);
	close(fd);
	return err;
}

/* The collected tun named @name, in namespace @inum, or the only one (@inum 0). */
static struct topo_dev *find_tun(struct topo *t, uint32_t inum, const char *name, int *count)
{
	struct topo_dev *hit = NULL;

	*count = 0;
	for (size_t i = 0; i < t->ndev; i++) {
		struct topo_dev *d = &t->dev[i];

		if (strcmp(d->kind, "tun") || strcmp(d->ifname, name) || (inum && d->netns != inum))
			continue;
		hit = d;
		(*count)++;
	}
	return hit;
}

static int on_tun(struct scan *s, int pid, const char *fd)
{
	char name[IF_NAMESIZE];
	struct topo_dev *d;
	uint32_t inum = 0;
	int n, err;

	/* Cheap first: fds of tuns we did not collect cost no fd copy. */
	if (fdinfo_iff(pid, fd, name))
		return 0;
	d = find_tun(s->t, 0, name, &n);
	if (!d)
		return 0;
	err = tun_netns(pid, atoi(fd), name, &inum);
	if (err == -ESTALE || err == -EBADFD || err == -EBADF || err == -ESRCH)
		return 0;	/* closed, detached or the process gone meanwhile */
	if (!err)
		d = find_tun(s->t, inum, name, &n);
	else if (!s->copy_err)
		s->copy_err = err;
	/* Not allowed to ask (or a kernel before 5.6): by the name alone, if unique. */
	if (err && n == 1)
		s->by_name++;
	else if (err)
		s->unplaced++;
	return d && (!err || n == 1) ? add_reader(s, d, pid) : 0;
}

static int on_chr(struct scan *s, int pid, const char *fd, dev_t rdev)
{
	if (rdev == TUN_DEV)
		return on_tun(s, pid, fd);
	for (size_t i = 0; i < s->t->ndev; i++) {
		struct topo_dev *d = &s->t->dev[i];

		if (d->chr_major && rdev == makedev(d->chr_major, d->chr_minor))
			return add_reader(s, d, pid);
	}
	return 0;
}

static int scan_pid(struct scan *s, int pid)
{
	char path[32];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int dfd, err = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		s->denied += errno == EACCES || errno == EPERM;
		return 0;	/* or gone */
	}
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return errno == ENOMEM ? -ENOMEM : 0;
	}
	while (!err && (de = readdir(dir))) {
		/* Follows the magic link: the open file's own inode, wherever its node is. */
		if (de->d_name[0] == '.' || fstatat(dfd, de->d_name, &st, 0) ||
		    !S_ISCHR(st.st_mode))
			continue;
		err = on_chr(s, pid, de->d_name, st.st_rdev);
	}
	closedir(dir);
	return err;
}

static bool wanted(const struct topo *t)
{
	for (size_t i = 0; i < t->ndev; i++)
		if (t->dev[i].chr_major || !strcmp(t->dev[i].kind, "tun"))
			return true;
	return false;
}

static void notes(struct scan *s)
{
	if (s->denied)
		snprintf(s->t->note, sizeof(s->t->note),
			 "readers incomplete: %d processes' fds not readable", s->denied);
	else if (s->unplaced || s->by_name)
		snprintf(s->t->note, sizeof(s->t->note),
			 "tun readers: %d by name only, %d not placed (pidfd_getfd: %s)", s->by_name,
			 s->unplaced, strerror(-s->copy_err));
}

int topo_readers_find(struct topo *t)
{
	struct scan s = { .t = t };
	struct dirent *de;
	DIR *proc;
	char *end;
	long pid;
	int err = 0;

	if (!wanted(t))
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while (!err && (de = readdir(proc))) {
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		err = scan_pid(&s, (int)pid);
	}
	closedir(proc);
	if (!t->note[0])
		notes(&s);
	return err;
}
