/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal unit-test harness. Each test prints one `TEST: name [ OK ]` or
 * `[FAIL]` line, which tests/run.sh tallies; the binary exits 1 on any failure.
 *
 *	static void test_x(void) { CHECK(a == b, "a=%d b=%d", a, b); }
 *	int main(void) { RUN(test_x); return unit_done(); }
 */
#ifndef DS_UNIT_H
#define DS_UNIT_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int unit_failed_total;
static int unit_failed_now;
static const char *unit_skipped_now;	/* a SKIP()'s name: when RUN()'s own, no pass line */

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			if (unit_failed_now++ < 5) {                        \
				fprintf(stdout, "  %s:%d: check failed: %s: ", \
					__FILE__, __LINE__, #cond);          \
				fprintf(stdout, __VA_ARGS__);               \
				fputc('\n', stdout);                        \
			}                                                   \
		}                                                           \
	} while (0)

#define RUN(fn)                                                             \
	do {                                                                \
		unit_failed_now = 0;                                        \
		unit_skipped_now = NULL;                                    \
		fn();                                                       \
		if (unit_skipped_now && !strcmp(unit_skipped_now, #fn) &&   \
		    !unit_failed_now)                                       \
			break;                                              \
		printf("TEST: %-60s [%s]\n", #fn,                           \
		       unit_failed_now ? "FAIL" : " OK ");                  \
		if (unit_failed_now)                                        \
			unit_failed_total++;                                \
		fflush(stdout);                                             \
	} while (0)

/* A test that cannot run here (no privilege, no kernel feature): never a pass. */
#define SKIP(name, why)                                                     \
	do {                                                                \
		printf("TEST: %-60s [SKIP] %s\n", name, why);              \
		fflush(stdout);                                             \
		unit_skipped_now = (name);                                  \
	} while (0)

/* xorshift64*: a fixed seed (set unit_rng_state), so a failure reproduces. */
static uint64_t unit_rng_state = 0x9e3779b97f4a7c15ULL;

static inline uint64_t unit_rng(void)
{
	unit_rng_state ^= unit_rng_state >> 12;
	unit_rng_state ^= unit_rng_state << 25;
	unit_rng_state ^= unit_rng_state >> 27;
	return unit_rng_state * 0x2545F4914F6CDD1DULL;
}

static inline int unit_done(void)
{
	return unit_failed_total ? 1 : 0;
}

#endif
