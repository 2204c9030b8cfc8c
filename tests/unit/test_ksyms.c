// SPDX-License-Identifier: GPL-2.0
/* Kernel symbols: synthetic kallsyms files, then the running kernel's. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ksyms.h"
#include "unit.h"

static char g_dir[] = "/tmp/ds-ksyms-XXXXXX";

/* Write @text to a file in the test's directory; its path in @path. */
static int write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", g_dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static const char *fmt(const struct ksyms *ks, uint64_t addr)
{
	static char buf[128];

	return ksyms_format(ks, addr, buf, sizeof(buf));
}

/* Out of order, with data symbols between and module symbols at the end. */
static const char unsorted[] =
	"ffffffff81000300 T gamma\n"
	"ffffffff81000100 T alpha\n"
	"ffffffff81000150 D some_data\n"
	"ffffffff81000180 d local_data\n"
	"ffffffff81000190 b a_bss\n"
	"ffffffff810001a0 B big_bss\n"
	"ffffffff810001b0 r rodata_local\n"
	"ffffffff810001c0 R rodata_global\n"
	"ffffffff81000200 t beta\n"
	"ffffffff810001e0 A abs_sym\n"
	"ffffffff810001f0 W weak_sym\n"
	"ffffffffc0a01000 t mod_fn\t[nf_tables]\n"
	"ffffffffc0a00800 T mod_init\t[veth]\n";

static void test_ksyms_synthetic(void)
{
	struct ksyms ks;
	char path[256];

	CHECK(!write_file("kallsyms", unsorted, path, sizeof(path)), "write");
	CHECK(ksyms_load(&ks, path) == 0, "load");
	/* Text only: gamma alpha beta mod_fn mod_init. */
	CHECK(ks.n == 5, "n %zu, want 5 (t/T only)", ks.n);
	for (size_t i = 1; i < ks.n; i++)
		CHECK(ks.sym[i - 1].addr < ks.sym[i].addr, "not sorted at %zu", i);
	if (ks.n == 5) {
		CHECK(!strcmp(ks.sym[0].name, "alpha") && ks.sym[0].addr == 0xffffffff81000100ULL,
		      "first %s", ks.sym[0].name);
		CHECK(!strcmp(ks.sym[1].name, "beta") && !strcmp(ks.sym[2].name, "gamma"),
		      "then beta, gamma: %s %s", ks.sym[1].name, ks.sym[2].name);
		/* The "[module]" column is not part of the name. */
		CHECK(!strcmp(ks.sym[3].name, "mod_init") && !strcmp(ks.sym[4].name, "mod_fn"),
		      "modules: '%s' '%s'", ks.sym[3].name, ks.sym[4].name);
	}
	CHECK(!strcmp(fmt(&ks, 0xffffffff8100011cULL), "alpha+0x1c"), "%s",
	      fmt(&ks, 0xffffffff8100011cULL));
	CHECK(!strcmp(fmt(&ks, 0xffffffff81000100ULL), "alpha+0x0"), "%s",
	      fmt(&ks, 0xffffffff81000100ULL));
	/* Data symbols in between do not count: 0x160 is still alpha's. */
	CHECK(!strcmp(fmt(&ks, 0xffffffff81000160ULL), "alpha+0x60"), "%s",
	      fmt(&ks, 0xffffffff81000160ULL));
	CHECK(!strcmp(fmt(&ks, 0xffffffff810001ffULL), "alpha+0xff"), "%s",
	      fmt(&ks, 0xffffffff810001ffULL));
	CHECK(!strcmp(fmt(&ks, 0xffffffff81000200ULL), "beta+0x0"), "%s",
	      fmt(&ks, 0xffffffff81000200ULL));
	CHECK(!strcmp(fmt(&ks, 0xffffffff81000305ULL), "gamma+0x5"), "%s",
	      fmt(&ks, 0xffffffff81000305ULL));
	CHECK(!strcmp(fmt(&ks, 0xffffffffc0a00810ULL), "mod_init+0x10"), "%s",
	      fmt(&ks, 0xffffffffc0a00810ULL));
	CHECK(!strcmp(fmt(&ks, 0xffffffffc0a01abcULL), "mod_fn+0xabc"), "%s",
	      fmt(&ks, 0xffffffffc0a01abcULL));
	/* Below the first symbol: the address alone. */
	CHECK(!strcmp(fmt(&ks, 0xffffffff810000ffULL), "0xffffffff810000ff"), "%s",
	      fmt(&ks, 0xffffffff810000ffULL));
	CHECK(!strcmp(fmt(&ks, 0), "0x0"), "%s", fmt(&ks, 0));
	ksyms_free(&ks);
	CHECK(ks.n == 0 && !ks.sym && !ks.names, "freed and zeroed");
	unlink(path);
}

static void test_ksyms_format_small_buffer(void)
{
	struct ksyms ks;
	char path[256], buf[8];

	CHECK(!write_file("small", unsorted, path, sizeof(path)), "write");
	CHECK(ksyms_load(&ks, path) == 0, "load");
	/* Truncated, still terminated: "alpha+0" in 8 bytes. */
	ksyms_format(&ks, 0xffffffff81000100ULL, buf, sizeof(buf));
	CHECK(!strcmp(buf, "alpha+0"), "'%s'", buf);
	ksyms_free(&ks);
	unlink(path);
}

static void test_ksyms_no_table(void)
{
	char buf[64];

	/* No symbols loaded (no privilege): every address in hex. */
	CHECK(!strcmp(ksyms_format(NULL, 0xffffffff81e44f40ULL, buf, sizeof(buf)),
		      "0xffffffff81e44f40"), "%s", buf);
	CHECK(ksyms_format(NULL, 0x1c, buf, sizeof(buf)) == buf && !strcmp(buf, "0x1c"), "%s",
	      buf);
}

/* What a reader without privilege sees under kptr_restrict: all zeros. */
static void test_ksyms_zero_addresses(void)
{
	static const char zeros[] =
		"0000000000000000 T _text\n"
		"0000000000000000 t alpha\n"
		"0000000000000000 T beta\n"
		"0000000000000000 t mod_fn\t[veth]\n";
	struct ksyms ks;
	char path[256];

	CHECK(!write_file("zeros", zeros, path, sizeof(path)), "write");
	CHECK(ksyms_load(&ks, path) == -ENOENT, "zeros: -ENOENT");
	CHECK(ks.n == 0 && !ks.sym && !ks.names, "nothing kept");
	unlink(path);
}

static void test_ksyms_only_data(void)
{
	static const char data[] =
		"ffffffff81000150 D some_data\n"
		"ffffffff81000180 d local_data\n"
		"ffffffff81000190 b a_bss\n"
		"ffffffff810001b0 r rodata_local\n";
	struct ksyms ks;
	char path[256];

	CHECK(!write_file("data", data, path, sizeof(path)), "write");
	CHECK(ksyms_load(&ks, path) == -ENOENT, "no text symbol: -ENOENT");
	CHECK(!write_file("empty", "", path, sizeof(path)), "write");
	CHECK(ksyms_load(&ks, path) == -ENOENT, "empty file: -ENOENT");
	unlink(path);
	snprintf(path, sizeof(path), "%s/data", g_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nonexistent", g_dir);
	CHECK(ksyms_load(&ks, path) == -ENOENT, "missing file: -ENOENT");
}

/* Garbage lines are skipped, not fatal. */
static void test_ksyms_junk_lines(void)
{
	static const char junk[] =
		"\n"
		"not a symbol line\n"
		"ffffffff81000100\n"
		"ffffffff81000100 T\n"
		"ffffffff81000400 T delta\n";
	struct ksyms ks;
	char path[256];

	CHECK(!write_file("junk", junk, path, sizeof(path)), "write");
	CHECK(ksyms_load(&ks, path) == 0, "load");
	CHECK(ks.n == 1 && !strcmp(ks.sym[0].name, "delta"), "only delta: n %zu", ks.n);
	ksyms_free(&ks);
	unlink(path);
}

/* Many symbols: the name block is reallocated while names are added. */
static void test_ksyms_many(void)
{
	enum { N = 20000 };
	struct ksyms ks;
	char path[256], name[64];
	FILE *f;
	int bad = 0;

	snprintf(path, sizeof(path), "%s/many", g_dir);
	f = fopen(path, "w");
	CHECK(f != NULL, "open");
	if (!f)
		return;
	/* Descending addresses, so the sort has work to do. */
	for (int i = N - 1; i >= 0; i--)
		fprintf(f, "%016" PRIx64 " %c function_number_%d\n",
			(uint64_t)0xffffffff82000000ULL + (uint64_t)i * 0x40, i % 2 ? 't' : 'T', i);
	fclose(f);
	CHECK(ksyms_load(&ks, path) == 0 && ks.n == N, "n %zu", ks.n);
	for (int i = 0; i < N && ks.n == N; i += 997) {
		snprintf(name, sizeof(name), "function_number_%d+0x3f", i);
		if (strcmp(fmt(&ks, 0xffffffff82000000ULL + (uint64_t)i * 0x40 + 0x3f), name) &&
		    bad++ < 3)
			printf("  %s, want %s\n",
			       fmt(&ks, 0xffffffff82000000ULL + (uint64_t)i * 0x40 + 0x3f), name);
	}
	CHECK(bad == 0, "%d wrong", bad);
	ksyms_free(&ks);
	unlink(path);
}

/* @got is "NAME@off" with NAME one of the space-delimited @aliases. */
static bool named_at(const char *got, const char *aliases, const char *off)
{
	size_t len = strlen(got), olen = strlen(off);
	char name[300];

	if (len <= olen || strcmp(got + len - olen, off))
		return false;
	snprintf(name, sizeof(name), " %.*s ", (int)(len - olen), got);
	return strstr(aliases, name) != NULL;
}

/* Whether /proc/kallsyms shows this reader real addresses (kptr_restrict). */
static bool kallsyms_has_addresses(void)
{
	unsigned long long addr = 0;
	char line[512];
	FILE *f = fopen("/proc/kallsyms", "r");
	bool any = false;

	while (f && !any && fgets(line, sizeof(line), f))
		any = sscanf(line, "%llx", &addr) == 1 && addr;
	if (f)
		fclose(f);
	return any;
}

/*
 * The running kernel's table, read as root: a drop function's address, as
 * /proc/kallsyms lists it (read here independently), formats as
 * "name+0x0", or as an alias sharing the address.
 */
static void test_ksyms_kernel(void)
{
	static const char *const wanted[] = {
		"sk_skb_reason_drop", "kfree_skb_reason", "kfree_skb_list_reason", "__kfree_skb",
	};
	char line[512], name[256], type, aliases[1024] = "";
	unsigned long long addr, target = 0, next = ~0ULL;
	const char *sym = NULL;
	struct ksyms ks;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	CHECK(f != NULL, "open /proc/kallsyms");
	if (!f)
		return;
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]) && !sym; w++) {
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
			    (type == 't' || type == 'T') && !strcmp(name, wanted[w]) && addr) {
				sym = wanted[w];
				target = addr;
				break;
			}
	}
	CHECK(sym != NULL, "none of the drop functions in /proc/kallsyms");
	if (!sym) {
		fclose(f);
		return;
	}
	/* Other text symbols at the same address, and the next one above it. */
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 ||
		    (type != 't' && type != 'T'))
			continue;
		if (addr == target && strlen(aliases) + strlen(name) + 3 < sizeof(aliases)) {
			strcat(aliases, " ");
			strcat(aliases, name);
			strcat(aliases, " ");
		}
		if (addr > target && addr < next)
			next = addr;
	}
	fclose(f);

	CHECK(ksyms_load(&ks, NULL) == 0, "load /proc/kallsyms");
	CHECK(ks.n > 10000, "only %zu text symbols", ks.n);
	CHECK(named_at(fmt(&ks, target), aliases, "+0x0"), "%s at %llx: '%s' (aliases:%s)", sym,
	      target, fmt(&ks, target), aliases);
	/* Inside the function: the offset from its start. */
	if (next > target + 0x10)
		CHECK(named_at(fmt(&ks, target + 0x10), aliases, "+0x10"), "'%s'",
		      fmt(&ks, target + 0x10));
	ksyms_free(&ks);
}

/*
 * The same file opened by nobody: the kernel decides at open time, by the
 * opener's credentials, whether to show addresses; with zeros the load
 * must say -ENOENT so that the caller prints hex instead of wrong names.
 */
static void test_ksyms_kernel_unprivileged(void)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		struct ksyms ks;
		int err;
		bool shown;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		shown = kallsyms_has_addresses();
		err = ksyms_load(&ks, NULL);
		if (!err)
			ksyms_free(&ks);
		_exit(shown ? (err == 0 ? 0 : 11) : (err == -ENOENT ? 0 : 12));
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child exit %d (10: setuid, 11: addresses shown but no load, 12: zeros but loaded)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	if (!mkdtemp(g_dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_ksyms_synthetic);
	RUN(test_ksyms_format_small_buffer);
	RUN(test_ksyms_no_table);
	RUN(test_ksyms_zero_addresses);
	RUN(test_ksyms_only_data);
	RUN(test_ksyms_junk_lines);
	RUN(test_ksyms_many);
	if (access("/proc/kallsyms", R_OK))
		SKIP("test_ksyms_kernel", "no /proc/kallsyms");
	else if (geteuid() != 0 || !kallsyms_has_addresses())
		SKIP("test_ksyms_kernel", "addresses hidden (not root, or kptr_restrict=2)");
	else
		RUN(test_ksyms_kernel);
	if (geteuid() != 0 || access("/proc/kallsyms", R_OK))
		SKIP("test_ksyms_kernel_unprivileged", "needs root to become nobody");
	else
		RUN(test_ksyms_kernel_unprivileged);
	rmdir(g_dir);
	return unit_done();
}
