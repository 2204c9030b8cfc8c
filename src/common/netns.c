// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>

#include "netns.h"

/* How an entry got its name; a lower rank names a namespace first. */
enum { RANK_INIT, RANK_NAMED, RANK_PID };

struct cand {
	struct netns ns;
	int rank;
	long pid;
};

struct scan {
	struct cand *v;
	size_t n, cap;
};

/*
 * Open a namespace file and check that it is one of a network namespace:
 * a /run/netns file whose bind mount was lost is a plain empty file, and
 * its tmpfs inode number would pose as a namespace.
 */
static int ns_open(const char *path, uint32_t *inum)
{
	struct stat st;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		return -EINVAL;
	}
	*inum = (uint32_t)st.st_ino;
	return fd;
}

static bool better(const struct cand *c, int rank, const char *name, long pid)
{
	if (rank != c->rank)
		return rank < c->rank;
	if (rank == RANK_NAMED)
		return strcmp(name, c->ns.name) < 0;
	return pid < c->pid;
}

/*
 * Take @fd (ours from now on) as namespace @inum. A namespace seen before
 * keeps its first fd and only changes its name, when this one ranks higher.
 */
static int scan_add(struct scan *s, int fd, uint32_t inum, int rank, const char *name,
		    long pid)
{
	struct cand *c = NULL;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ns.inum == inum)
			c = &s->v[i];
	if (c) {
		close(fd);
		if (!better(c, rank, name, pid))
			return 0;
	} else {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			struct cand *v = realloc(s->v, cap * sizeof(*v));

			if (!v) {
				close(fd);
				return -ENOMEM;
			}
			s->v = v;
			s->cap = cap;
		}
		c = &s->v[s->n++];
		c->ns.inum = inum;
		c->ns.fd = fd;
	}
	c->rank = rank;
	c->pid = pid;
	/* ip(8) allows longer names than fit: netns_find() still matches them by inode. */
	snprintf(c->ns.name, sizeof(c->ns.name), "%s", name);
	return 0;
}

/* Errors that mean "this process or file is gone or not ours to see". */
static bool skippable(int err)
{
	return err == -ENOENT || err == -ESRCH || err == -EACCES || err == -EPERM ||
	       err == -EINVAL || err == -ENOTDIR;
}

static int add_path(struct scan *s, const char *path, int rank, const char *name, long pid)
{
	uint32_t inum;
	int fd = ns_open(path, &inum);

	if (fd < 0)
		return skippable(fd) ? 0 : fd;
	return scan_add(s, fd, inum, rank, name, pid);
}

static int scan_run_dir(struct scan *s)
{
	char path[sizeof(NETNS_RUN_DIR) + 256 + 1];
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;	/* no `ip netns add` yet */
	while (!err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, de->d_name);
		err = add_path(s, path, RANK_NAMED, de->d_name, 0);
	}
	closedir(d);
	return err;
}

static long parse_pid(const char *s)
{
	long pid = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || pid > 100000000)
			return -1;
		pid = pid * 10 + (*s - '0');
	}
	return pid;
}

static int scan_procs(struct scan *s)
{
	char path[64], name[32];
	DIR *d = opendir("/proc");
	struct dirent *de;
	int err = 0;
	long pid;

	if (!d)
		return -errno;
	while (!err && (de = readdir(d))) {
		pid = parse_pid(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		snprintf(name, sizeof(name), "pid:%ld", pid);
		err = add_path(s, path, pid == 1 ? RANK_INIT : RANK_PID, pid == 1 ? "init" : name,
			       pid);
	}
	closedir(d);
	return err;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->rank == RANK_NAMED)
		return strcmp(a->ns.name, b->ns.name);
	return (a->pid > b->pid) - (a->pid < b->pid);
}

/*
 * PID 1 out of sight (no privilege, or a sandbox hiding it even from root):
 * a 6.18+ kernel still tells init_net apart by its inode.
 */
static void name_init(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].rank == RANK_INIT)
			return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ns.inum == NETNS_INIT_INO_FIXED) {
			s->v[i].rank = RANK_INIT;
			snprintf(s->v[i].ns.name, sizeof(s->v[i].ns.name), "init");
		}
}

int netns_scan(struct netns **out, size_t *n)
{
	struct scan s = { 0 };
	struct netns *v;
	char name[32];
	int err;

	err = scan_run_dir(&s);
	if (!err)
		err = scan_procs(&s);
	/* This thread may have left its process's namespace (setns). */
	if (!err) {
		snprintf(name, sizeof(name), "pid:%d", gettid());
		err = add_path(&s, "/proc/thread-self/ns/net", RANK_PID, name, gettid());
	}
	if (err) {
		for (size_t i = 0; i < s.n; i++)
			close(s.v[i].ns.fd);
		free(s.v);
		return err;
	}
	name_init(&s);
	qsort(s.v, s.n, sizeof(*s.v), cand_cmp);
	v = calloc(s.n ? s.n : 1, sizeof(*v));
	if (!v) {
		for (size_t i = 0; i < s.n; i++)
			close(s.v[i].ns.fd);
		free(s.v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s.n; i++)
		v[i] = s.v[i].ns;
	free(s.v);
	*out = v;
	*n = s.n;
	return 0;
}

void netns_free(struct netns *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		if (v[i].fd >= 0)
			close(v[i].fd);
	free(v);
}

int netns_find(const struct netns *v, size_t n, const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + 256 + 1];
	uint32_t inum;
	long pid;
	int fd;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return (int)i;
	if (!strcmp(name, "init")) {
		snprintf(path, sizeof(path), "/proc/1/ns/net");
	} else if (!strncmp(name, "pid:", 4)) {
		pid = parse_pid(name + 4);
		if (pid <= 0)
			return -ENOENT;
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	} else {
		/* A name, never a path: "../../proc/1/ns/net" is not one. */
		if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
		    strlen(name) > 255)
			return -ENOENT;
		snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	}
	fd = ns_open(path, &inum);
	if (fd < 0)
		return fd == -EINVAL ? -ENOENT : fd;
	close(fd);
	for (size_t i = 0; i < n; i++)
		if (v[i].inum == inum)
			return (int)i;
	return -ENOENT;
}

int netns_current_inum(uint32_t *inum)
{
	struct stat st;

	/* thread-self, not self: setns() moves one thread, not the process. */
	if (stat("/proc/thread-self/ns/net", &st))
		return -errno;
	*inum = (uint32_t)st.st_ino;
	return 0;
}

const char *netns_unnamed(uint32_t inum, char *buf, size_t len)
{
	if (inum)
		snprintf(buf, len, "inum:%u", inum);
	else
		snprintf(buf, len, "?");
	return buf;
}

int netns_enter(int fd, int *saved)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int err;

	if (self < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET)) {
		err = -errno;
		close(self);
		return err;
	}
	*saved = self;
	return 0;
}

int netns_restore(int saved)
{
	int err = setns(saved, CLONE_NEWNET) ? -errno : 0;

	close(saved);
	return err;
}
