/* SPDX-License-Identifier: GPL-2.0 */
/* The shaper's status file, read back: by key, and as text for people. */
#ifndef DS_SHAPE_STATUS_H
#define DS_SHAPE_STATUS_H

#include <stdint.h>
#include <stdio.h>

/* The number after "KEY": in the status text @s (the first one); 0 when absent. */
uint64_t shape_status_u64(const char *s, const char *key);

/* The status text @s for people: R, limit, the classes, the last decisions. */
void shape_status_text(FILE *f, const char *s);

#endif
