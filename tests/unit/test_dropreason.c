// SPDX-License-Identifier: GPL-2.0
/* Drop-reason names from BTF: a synthetic enum, then the running kernel's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>

#include "dropreason.h"
#include "unit.h"

static void test_dropreason_synthetic(void)
{
	char path[] = "/tmp/ds-btf-XXXXXX";
	struct btf *btf = btf__new_empty();
	struct drop_reasons dr;
	const void *raw;
	__u32 size;
	int fd, id;

	id = btf__add_enum(btf, "skb_drop_reason", 4);
	btf__add_enum_value(btf, "SKB_NOT_DROPPED_YET", 0);
	btf__add_enum_value(btf, "SKB_CONSUMED", 1);
	btf__add_enum_value(btf, "SKB_DROP_REASON_NOT_SPECIFIED", 2);
	btf__add_enum_value(btf, "SKB_DROP_REASON_NETFILTER_DROP", 5);
	btf__add_enum_value(btf, "SKB_DROP_REASON_SUBSYS_MASK", 0xffff0000);
	raw = btf__raw_data(btf, &size);
	fd = mkstemp(path);
	CHECK(id > 0 && raw && fd >= 0 && write(fd, raw, size) == (ssize_t)size, "write BTF");
	close(fd);
	CHECK(drop_reasons_load(&dr, path) == 0, "load");
	CHECK(dr.n == 6, "n %u (highest value 5 + 1; the mask is not a reason)", dr.n);
	CHECK(drop_reason_name(&dr, 5) && !strcmp(drop_reason_name(&dr, 5), "NETFILTER_DROP"),
	      "prefix stripped");
	CHECK(drop_reason_name(&dr, 1) && !strcmp(drop_reason_name(&dr, 1), "CONSUMED"),
	      "SKB_ stripped");
	CHECK(!drop_reason_name(&dr, 3) && !drop_reason_name(&dr, 4), "gaps are unknown");
	CHECK(!drop_reason_name(&dr, 6) && !drop_reason_name(&dr, 0x10001), "beyond: unknown");
	drop_reasons_free(&dr);
	unlink(path);
	btf__free(btf);
}

static void test_dropreason_no_enum(void)
{
	char path[] = "/tmp/ds-btf-XXXXXX";
	struct btf *btf = btf__new_empty();
	struct drop_reasons dr;
	const void *raw;
	__u32 size;
	int fd;

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	raw = btf__raw_data(btf, &size);
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, raw, size) == (ssize_t)size, "write BTF");
	close(fd);
	CHECK(drop_reasons_load(&dr, path) == -ENOENT, "no enum: -ENOENT");
	CHECK(drop_reasons_load(&dr, "/nonexistent/btf") < 0, "no file: an error");
	unlink(path);
	btf__free(btf);
}

/*
 * Ground truth from another tool: bpftool's dump of the same BTF, lines
 *   [12211] ENUM 'skb_drop_reason' encoding=UNSIGNED size=4 vlen=130
 *   	'SKB_NOT_DROPPED_YET' val=0
 */
static void test_dropreason_kernel_vs_bpftool(void)
{
	FILE *p = popen("bpftool btf dump file /sys/kernel/btf/vmlinux format raw 2>/dev/null", "r");
	struct drop_reasons dr;
	char line[512], name[256];
	bool in_enum = false;
	unsigned long val;
	int seen = 0, bad = 0;

	CHECK(drop_reasons_load(&dr, NULL) == 0, "load the running kernel's BTF");
	while (p && fgets(line, sizeof(line), p)) {
		const char *ours, *want;

		if (line[0] == '[') {
			if (in_enum)
				break;
			in_enum = strstr(line, "ENUM 'skb_drop_reason'") != NULL;
			continue;
		}
		if (!in_enum || sscanf(line, " '%255[^']' val=%lu", name, &val) != 2)
			continue;
		seen++;
		want = !strncmp(name, "SKB_DROP_REASON_", 16) ? name + 16 : name + 4;
		ours = drop_reason_name(&dr, (uint32_t)val);
		if (val < 4096 && (!ours || strcmp(ours, want))) {
			if (bad++ < 3)
				printf("  value %lu: bpftool %s, ours %s\n", val, want,
				       ours ? ours : "(none)");
		}
	}
	if (p)
		pclose(p);
	CHECK(seen > 50, "bpftool listed %d values", seen);
	CHECK(bad == 0, "%d values differ", bad);
	drop_reasons_free(&dr);
}

int main(void)
{
	RUN(test_dropreason_synthetic);
	RUN(test_dropreason_no_enum);
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP("test_dropreason_kernel_vs_bpftool", "no /sys/kernel/btf/vmlinux");
	else if (system("command -v bpftool >/dev/null 2>&1"))
		SKIP("test_dropreason_kernel_vs_bpftool", "no bpftool (make deps)");
	else
		RUN(test_dropreason_kernel_vs_bpftool);
	return unit_done();
}
