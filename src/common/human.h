/* SPDX-License-Identifier: GPL-2.0 */
/* Numbers for people: "1,234,567", "41.2us", "212ms". */
#ifndef DS_HUMAN_H
#define DS_HUMAN_H

#include <stddef.h>
#include <stdint.h>

const char *human_count(char *buf, size_t len, uint64_t v);
const char *human_ns(char *buf, size_t len, uint64_t ns);

#endif
