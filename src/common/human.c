// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "human.h"

const char *human_count(char *buf, size_t len, uint64_t v)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t o = 0;

	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

/* Three significant digits in the largest unit that keeps the value >= 1. */
const char *human_ns(char *buf, size_t len, uint64_t ns)
{
	static const struct { double div; const char *unit; } u[] = {
		{ 1e9, "s" }, { 1e6, "ms" }, { 1e3, "us" }, { 1, "ns" },
	};
	double v = (double)ns;

	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		double x = v / u[i].div;

		if (x >= 1 || i == sizeof(u) / sizeof(u[0]) - 1) {
			snprintf(buf, len, "%.*f%s", x >= 100 ? 0 : x >= 10 ? 1 : 2, x,
				 u[i].unit);
			return buf;
		}
	}
	return buf;
}
