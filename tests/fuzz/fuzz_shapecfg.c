// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the shaper's configuration text through
 * shape_config_parse() (inih with our line-counting reader, the section and
 * key tables, the rate, DSCP, port and prefix parsers, the whole-file
 * checks), and its [site]/[path] sections through sites_load_mode(). An
 * accepted file must hold what the checks promise and give a tree; a
 * refused one a single line naming the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sites.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_good(const struct shape_config *c)
{
	static struct shape_tree t;
	struct shape_desc d = c->desc;
	uint64_t sum = 0;
	char err[256];

	if (!d.n || d.n > SHAPE_MAX_CLASSES || d.default_class < 0 ||
	    (unsigned int)d.default_class >= d.n || d.mtu)
		abort();
	if (!d.floor_bps || d.floor_bps > d.root_bps || d.root_bps > d.line_bps)
		abort();
	if (!c->device[0] || !c->capture[0] || !c->state[0] || !c->status[0])
		abort();
	for (unsigned int i = 0; i < d.n; i++) {
		const struct shape_class_desc *k = &d.cls[i];

		sum += k->rate_bps;
		if (k->dscp < -1 || k->dscp > 63 || (k->dscp < 0 && (int)i != d.default_class))
			abort();
		for (unsigned int j = 0; j < i; j++)
			if (k->dscp >= 0 && d.cls[j].dscp == k->dscp)
				abort();
	}
	if (sum > d.floor_bps)
		abort();
	d.mtu = 1500;
	if (shape_tree_build(&d, &t, err, sizeof(err)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shape_config c;
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
	err[0] = 0;
	ret = shape_config_parse(&c, text, "f.ini", err, sizeof(err));
	if (ret && (strncmp(err, "f.ini:", 6) || strchr(err, '\n')))
		abort();
	if (!ret)
		check_good(&c);
	monitor_init(&m, &o);
	err[0] = 0;
	ret = sites_load_mode(&m, text, "f.ini", true, err, sizeof(err));
	if (ret && (strncmp(err, "f.ini:", 6) || strchr(err, '\n')))
		abort();
	if (!ret && (!m.npaths || m.npaths > MON_MAX_PATHS))
		abort();
	free(text);
	return 0;
}
