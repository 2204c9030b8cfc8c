// SPDX-License-Identifier: GPL-2.0
/*
 * topodump - topo_collect() of every namespace (or of those named) and its
 * topo_json() on stdout, for tests/netns/topo.sh to check against ip, tc
 * and ethtool.
 *
 *	topodump [-t] [-r N] [NETNS...]
 *
 *	-t     topo_text() instead of JSON
 *	-r N   collect N times (timing); the last one is printed
 *	NETNS  "init", a /run/netns name or "pid:N" (netns_find())
 *
 * On stderr: "topodump: collected in N us (best of R)", and the note if
 * any. Exits 1 when topo_collect() fails (its reason on stderr) or leaves
 * the thread in another namespace than it found it in, 3 on -EPERM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "netns.h"
#include "topo.h"

static int names_to_inums(char **names, int n, uint32_t *inums)
{
	struct netns *v;
	size_t nv;
	int err = netns_scan(&v, &nv), idx;

	if (err) {
		fprintf(stderr, "topodump: netns_scan: %s\n", strerror(-err));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		idx = netns_find(v, nv, names[i]);
		if (idx < 0) {
			fprintf(stderr, "topodump: no namespace %s\n", names[i]);
			netns_free(v, nv);
			return -1;
		}
		inums[i] = v[idx].inum;
	}
	netns_free(v, nv);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t inums[64];
	uint64_t t0, best = UINT64_MAX;
	uint32_t before = 0, after = 0;
	struct topo t = { 0 };
	char why[256];
	int opt, text = 0, rounds = 1, n, err = 0;
	struct json j;

	while ((opt = getopt(argc, argv, "tr:")) != -1) {
		if (opt == 't')
			text = 1;
		else if (opt == 'r' && atoi(optarg) > 0)
			rounds = atoi(optarg);
		else
			return 2;
	}
	n = argc - optind;
	if (n > 64 || names_to_inums(argv + optind, n, inums))
		return 2;
	netns_current_inum(&before);
	for (int r = 0; r < rounds; r++) {
		topo_free(&t);
		t0 = now_ns();
		err = topo_collect(&t, inums, (size_t)n, why, sizeof(why));
		if (err)
			break;
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
	}
	if (netns_current_inum(&after) || after != before) {
		fprintf(stderr, "topodump: left in namespace %u, was in %u\n", after, before);
		return 1;
	}
	if (err) {
		fprintf(stderr, "topodump: %s\n", why);
		return err == -EPERM ? 3 : 1;
	}
	fprintf(stderr, "topodump: collected in %llu us (best of %d)\n",
		(unsigned long long)(best / NSEC_PER_USEC), rounds);
	if (t.note[0])
		fprintf(stderr, "topodump: note: %s\n", t.note);
	if (text) {
		topo_text(stdout, &t);
	} else {
		json_init(&j, stdout, true);
		topo_json(&j, NULL, &t);
		json_end(&j);
	}
	topo_free(&t);
	return 0;
}
