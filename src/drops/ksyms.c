// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols only (t/T): drop locations are return addresses in code. */
static int add(struct ksyms *ks, size_t *cap, size_t *used, size_t *ncap,
	       uint64_t addr, const char *name)
{
	size_t len = strlen(name) + 1;

	if (ks->n == *cap) {
		struct ksym *s = realloc(ks->sym, (*cap = *cap ? *cap * 2 : 4096) * sizeof(*s));

		if (!s)
			return -ENOMEM;
		ks->sym = s;
	}
	if (*used + len > *ncap) {
		/* Names are offsets until the end: the block may move. */
		char *n = realloc(ks->names, (*ncap = (*ncap + len) * 2));

		if (!n)
			return -ENOMEM;
		ks->names = n;
	}
	memcpy(ks->names + *used, name, len);
	ks->sym[ks->n].addr = addr;
	ks->sym[ks->n].name = (char *)(uintptr_t)*used;
	ks->n++;
	*used += len;
	return 0;
}

int ksyms_load(struct ksyms *ks, const char *path)
{
	size_t cap = 0, used = 0, ncap = 0;
	char line[512], name[256], type;
	unsigned long long addr;
	FILE *f;
	int err = 0;

	memset(ks, 0, sizeof(*ks));
	f = fopen(path ? path : "/proc/kallsyms", "re");
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3)
			continue;
		if ((type == 't' || type == 'T') && addr)
			err = add(ks, &cap, &used, &ncap, addr, name);
	}
	fclose(f);
	if (!err && !ks->n)
		err = -ENOENT;
	if (err) {
		ksyms_free(ks);
		return err;
	}
	for (size_t i = 0; i < ks->n; i++)
		ks->sym[i].name = ks->names + (uintptr_t)ks->sym[i].name;
	qsort(ks->sym, ks->n, sizeof(*ks->sym), by_addr);
	return 0;
}

void ksyms_free(struct ksyms *ks)
{
	free(ks->sym);
	free(ks->names);
	memset(ks, 0, sizeof(*ks));
}

const char *ksyms_format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = ks ? ks->n : 0;

	/* The last symbol at or below @addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->sym[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, ks->sym[lo - 1].name,
			 addr - ks->sym[lo - 1].addr);
	return buf;
}
