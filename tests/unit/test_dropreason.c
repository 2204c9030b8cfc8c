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

/*
 * Which counter also counts a reason, from the kernel's code: qdisc_drop()
 * and its kin add to the qdisc's drops; enqueue_to_backlog() and
 * __netif_receive_skb_core() bump the device's rx_dropped, tun/tap their
 * tx/rx_dropped, __dev_queue_xmit() a down device's tx_dropped.
 */
static const char *const qdisc_reasons[] = {
	"QDISC_DROP", "QDISC_OVERLIMIT", "QDISC_CONGESTED", "CAKE_FLOOD",
	"FQ_BAND_LIMIT", "FQ_HORIZON_LIMIT", "FQ_FLOW_LIMIT", "DUALPI2_STEP_DROP",
};
static const char *const device_reasons[] = {
	"FULL_RING", "CPU_BACKLOG", "UNHANDLED_PROTO", "DEV_READY", "TAP_FILTER", "TAP_TXFILTER",
};
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_dropreason_class(void)
{
	static const char *const other[] = {
		"NETFILTER_DROP", "NOT_SPECIFIED", "NO_SOCKET", "SOCKET_RCVBUFF", "TCP_OLD_DATA",
		"NEIGH_QUEUEFULL", "TC_EGRESS", "TC_INGRESS", "XDP", "OTHERHOST", "NOMEM",
		"CONSUMED", "", "WIDGET_JAMMED",
		/* Near misses: the class table is exact names. */
		"QDISC", "qdisc_drop", "FULL_RING_", "CPU_BACKLOG2",
	};

	for (size_t i = 0; i < N_OF(qdisc_reasons); i++)
		CHECK(drop_reason_class(qdisc_reasons[i]) == RC_QDISC, "%s: qdisc", qdisc_reasons[i]);
	for (size_t i = 0; i < N_OF(device_reasons); i++)
		CHECK(drop_reason_class(device_reasons[i]) == RC_DEVICE, "%s: device",
		      device_reasons[i]);
	for (size_t i = 0; i < N_OF(other); i++)
		CHECK(drop_reason_class(other[i]) == RC_OTHER, "'%s': other", other[i]);
	CHECK(drop_reason_class(NULL) == RC_OTHER, "NULL: other");
}

/* A hint is for people: never NULL or empty, whatever comes in. */
static bool hint_ok(const char *h)
{
	return h && *h;
}

static void test_dropreason_hint(void)
{
	const char *generic = drop_reason_hint("WIDGET_JAMMED", NULL);
	const char *null_hint = drop_reason_hint(NULL, NULL);
	const char *ring_tap = drop_reason_hint("FULL_RING", "tun");
	const char *ring_dev = drop_reason_hint("FULL_RING", NULL);
	const char *q = drop_reason_hint("QDISC_DROP", NULL);
	const char *neigh = drop_reason_hint("NEIGH_FAILED", NULL);
	const char *tc = drop_reason_hint("TC_EGRESS", NULL);
	const char *fq = drop_reason_hint("FQ_FLOW_LIMIT", NULL);

	CHECK(hint_ok(generic) && hint_ok(null_hint) && hint_ok(ring_tap) && hint_ok(ring_dev) &&
	      hint_ok(q) && hint_ok(neigh) && hint_ok(tc) && hint_ok(fq), "a hint for each");
	if (!hint_ok(generic) || !hint_ok(null_hint) || !hint_ok(ring_tap) || !hint_ok(ring_dev) ||
	    !hint_ok(q) || !hint_ok(neigh) || !hint_ok(tc) || !hint_ok(fq))
		return;

	/* FULL_RING: the tap's reader for tun/macvtap/ipvtap, a ring elsewhere. */
	CHECK(strcmp(ring_tap, ring_dev), "tun and no kind differ");
	CHECK(!strcmp(drop_reason_hint("FULL_RING", "macvtap"), ring_tap), "macvtap as tun");
	CHECK(!strcmp(drop_reason_hint("FULL_RING", "ipvtap"), ring_tap), "ipvtap as tun");
	CHECK(!strcmp(drop_reason_hint("FULL_RING", "veth"), ring_dev), "veth as no kind");
	CHECK(!strcmp(drop_reason_hint("FULL_RING", ""), ring_dev), "empty kind as no kind");
	CHECK(!strcmp(drop_reason_hint("FULL_RING", "tuntap"), ring_dev), "kind matched exactly");
	CHECK(strstr(ring_tap, "reader") != NULL, "tap hint names the reader: %s", ring_tap);
	CHECK(strcmp(ring_dev, generic) && strcmp(ring_tap, generic), "FULL_RING is known");

	/* Prefix entries: every member shares the family's hint, the kind never matters. */
	CHECK(strstr(q, "qdisc") != NULL, "qdisc hint: %s", q);
	CHECK(!strcmp(drop_reason_hint("QDISC_OVERLIMIT", "veth"), q) &&
	      !strcmp(drop_reason_hint("QDISC_CONGESTED", NULL), q) &&
	      !strcmp(drop_reason_hint("QDISC_FUTURE_THING", NULL), q), "QDISC_* one hint");
	CHECK(!strcmp(drop_reason_hint("NEIGH_QUEUEFULL", NULL), neigh) &&
	      !strcmp(drop_reason_hint("NEIGH_CREATEFAIL", "tun"), neigh) &&
	      !strcmp(drop_reason_hint("NEIGH_DEAD", NULL), neigh), "NEIGH_* one hint");
	CHECK(strstr(neigh, "neighbour") != NULL, "neigh hint: %s", neigh);
	CHECK(!strcmp(drop_reason_hint("FQ_BAND_LIMIT", NULL), fq) &&
	      !strcmp(drop_reason_hint("FQ_HORIZON_LIMIT", NULL), fq), "FQ_* one hint");
	CHECK(!strcmp(drop_reason_hint("TC_INGRESS", NULL), tc) &&
	      !strcmp(drop_reason_hint("TC_CHAIN_NOTFOUND", NULL), tc) &&
	      !strcmp(drop_reason_hint("TC_RECLASSIFY_LOOP", NULL), tc), "TC_* one hint");
	CHECK(strstr(tc, "tc") != NULL, "tc hint: %s", tc);
	/* TCP_* must not fall into TC_*, nor a bare family name into its prefix. */
	CHECK(strcmp(drop_reason_hint("TCP_OLD_DATA", NULL), tc), "TCP_OLD_DATA is not TC_");
	CHECK(!strcmp(drop_reason_hint("TCP_FLAGS", NULL), generic), "TCP_FLAGS: generic");
	CHECK(!strcmp(drop_reason_hint("QDISC", NULL), generic), "QDISC alone: generic");
	CHECK(!strcmp(drop_reason_hint("TC", NULL), generic), "TC alone: generic");
	/* Exact entries do not act as prefixes. */
	CHECK(!strcmp(drop_reason_hint("NETFILTER_DROP_MORE", NULL), generic),
	      "NETFILTER_DROP_MORE: generic");
	CHECK(strcmp(drop_reason_hint("NETFILTER_DROP", NULL), generic), "NETFILTER_DROP known");

	/* Unknown names: one generic hint; NULL (a number without a name) its own. */
	CHECK(!strcmp(drop_reason_hint("ANOTHER_UNKNOWN", "tun"), generic), "unknown: generic");
	CHECK(!strcmp(drop_reason_hint("", NULL), generic), "empty name: generic");
	CHECK(strcmp(null_hint, generic), "NULL differs from the generic hint");
	CHECK(!strcmp(drop_reason_hint(NULL, "tun"), null_hint), "NULL whatever the kind");
	CHECK(strcmp(null_hint, q) && strcmp(generic, q) && strcmp(generic, neigh),
	      "the generic hints are not a family's");
	/* Checksum and header errors share one hint. */
	CHECK(!strcmp(drop_reason_hint("TCP_CSUM", NULL), drop_reason_hint("IP_INHDR", NULL)) &&
	      strcmp(drop_reason_hint("TCP_CSUM", NULL), generic), "CSUM and HDR: malformed");
}

/* The class table's names are spelled as this kernel spells them. */
static void test_dropreason_class_names_in_kernel(void)
{
	struct drop_reasons dr;
	int missing = 0;

	if (drop_reasons_load(&dr, NULL)) {
		CHECK(0, "cannot load the running kernel's reasons");
		return;
	}
	for (size_t k = 0; k < N_OF(qdisc_reasons) + N_OF(device_reasons); k++) {
		const char *want = k < N_OF(qdisc_reasons) ? qdisc_reasons[k]
							    : device_reasons[k - N_OF(qdisc_reasons)];
		bool found = false;

		for (uint32_t v = 0; v < dr.n && !found; v++)
			found = dr.name[v] && !strcmp(dr.name[v], want);
		if (!found && missing++ < 3)
			printf("  %s not in this kernel's enum\n", want);
	}
	/* Every name this kernel has gets a hint. */
	for (uint32_t v = 0; v < dr.n; v++)
		CHECK(hint_ok(drop_reason_hint(dr.name[v], NULL)), "value %u: no hint", v);
	CHECK(missing == 0, "%d class names unknown to this kernel", missing);
	drop_reasons_free(&dr);
}

int main(void)
{
	RUN(test_dropreason_synthetic);
	RUN(test_dropreason_no_enum);
	RUN(test_dropreason_class);
	RUN(test_dropreason_hint);
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP("test_dropreason_class_names_in_kernel", "no /sys/kernel/btf/vmlinux");
	else
		RUN(test_dropreason_class_names_in_kernel);
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		SKIP("test_dropreason_kernel_vs_bpftool", "no /sys/kernel/btf/vmlinux");
	else if (system("command -v bpftool >/dev/null 2>&1"))
		SKIP("test_dropreason_kernel_vs_bpftool", "no bpftool (make deps)");
	else
		RUN(test_dropreason_kernel_vs_bpftool);
	return unit_done();
}
