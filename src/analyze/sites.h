/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sites file names the monitor's paths: INI sections [site NAME] with
 * "prefix = ADDR/LEN" (several allowed) and [path NAME] with "from = SITE",
 * "to = SITE" and optional class "dscp = N", "port = N". Format in
 * doc/analyze.md. No file I/O here but sites_load_file()'s read.
 */
#ifndef DS_SITES_H
#define DS_SITES_H

#include <stdbool.h>
#include <stddef.h>

#include "monitor.h"

/**
 * sites_load() - add the paths of the sites file text @text (named @fname in
 * messages) to @m, in file order.
 * Return: 0, or -EINVAL (-ENOSPC: too many paths) with one line
 * "FILE:LINE: reason" in @err.
 */
int sites_load(struct monitor *m, const char *text, const char *fname, char *err, size_t errlen);
/**
 * sites_load_mode() - sites_load(), or with @skip_others the [site NAME] and
 * [path NAME] sections of a file that holds others too (the shaper's
 * configuration, src/shape/config.h): every other section and its keys are
 * skipped unread. At least one [path NAME] is still required.
 */
int sites_load_mode(struct monitor *m, const char *text, const char *fname, bool skip_others,
		    char *err, size_t errlen);
/* True when @section (as inih gives it) is a [site ...] or [path ...] header, well formed or not. */
bool sites_section(const char *section);
/* The same from the file @path; a file that cannot be read gives -errno and "FILE: reason". */
int sites_load_file(struct monitor *m, const char *path, char *err, size_t errlen);

#endif
