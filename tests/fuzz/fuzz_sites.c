// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a sites file's text through sites_load() (inih with our
 * line-counting reader, our section and key handlers, the prefix and class
 * parsers). The text is copied NUL-terminated, as sites_load_file() gives it.
 * Any accepted file must give paths that fit the monitor and say so; any
 * refused one a single line naming the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct monitor m;
	struct monitor_opts o = { 0 };
	char err[256], *text;
	int ret;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	monitor_init(&m, &o);
	err[0] = 0;
	ret = sites_load(&m, text, "f.ini", err, sizeof(err));
	if (!ret && (!m.npaths || m.npaths > MON_MAX_PATHS))
		abort();
	if (ret && (strncmp(err, "f.ini:", 6) || strchr(err, '\n')))
		abort();
	for (uint32_t i = 0; !ret && i < m.npaths; i++)
		if (!m.path[i].nsrc || !m.path[i].ndst || m.path[i].nsrc > MON_MAX_PREFIXES ||
		    m.path[i].ndst > MON_MAX_PREFIXES)
			abort();
	free(text);
	return 0;
}
