/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel text symbols from /proc/kallsyms, to name where a drop happened.
 * Load while privileged: kptr_restrict shows zeros to everybody else.
 */
#ifndef DS_KSYMS_H
#define DS_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *sym;	/* sorted by address */
	size_t n;
	char *names;		/* one block for every name */
};

/* Return: 0, -ENOENT when the file shows no addresses, or -errno. */
int ksyms_load(struct ksyms *ks, const char *path);
void ksyms_free(struct ksyms *ks);

/* "symbol+0x1c" into @buf; the address in hex when unknown. Returns @buf. */
const char *ksyms_format(const struct ksyms *ks, uint64_t addr, char *buf, size_t len);

#endif
