// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "dropreason.h"

/* Far above any real reason count: a corrupt BTF must not make us allocate GBs. */
#define MAX_REASONS 4096

static const char *strip_prefix(const char *s)
{
	if (!strncmp(s, "SKB_DROP_REASON_", 16))
		return s + 16;
	if (!strncmp(s, "SKB_", 4))
		return s + 4;
	return s;
}

static int put(struct drop_reasons *dr, uint64_t val, const char *name)
{
	if (val >= MAX_REASONS)
		return 0;	/* subsystem-encoded or bogus: looked up as unknown */
	if (val >= dr->n) {
		char **n = realloc(dr->name, (val + 1) * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + dr->n, 0, (val + 1 - dr->n) * sizeof(*n));
		dr->name = n;
		dr->n = (uint32_t)val + 1;
	}
	free(dr->name[val]);
	dr->name[val] = strdup(strip_prefix(name));
	return dr->name[val] ? 0 : -ENOMEM;
}

static int read_enum(struct drop_reasons *dr, const struct btf *btf, int id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int err = 0;

	for (int i = 0; i < btf_vlen(t) && !err; i++) {
		/* ENUM64 since Linux 6.0; this enum is 32-bit, but accept both. */
		if (btf_is_enum(t))
			err = put(dr, (uint32_t)btf_enum(t)[i].val,
				  btf__name_by_offset(btf, btf_enum(t)[i].name_off));
		else
			err = put(dr, btf_enum64_value(&btf_enum64(t)[i]),
				  btf__name_by_offset(btf, btf_enum64(t)[i].name_off));
	}
	return err;
}

int drop_reasons_load(struct drop_reasons *dr, const char *btf_path)
{
	struct btf *btf;
	int id, err;

	memset(dr, 0, sizeof(*dr));
	/* libbpf 1.x: NULL and errno on failure. */
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return errno ? -errno : -ENOENT;
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM64);
	err = id < 0 ? -ENOENT : read_enum(dr, btf, id);
	btf__free(btf);
	if (err)
		drop_reasons_free(dr);
	return err;
}

const char *drop_reason_name(const struct drop_reasons *dr, uint32_t val)
{
	return val < dr->n ? dr->name[val] : NULL;
}

void drop_reasons_free(struct drop_reasons *dr)
{
	for (uint32_t i = 0; i < dr->n; i++)
		free(dr->name[i]);
	free(dr->name);
	dr->name = NULL;
	dr->n = 0;
}
