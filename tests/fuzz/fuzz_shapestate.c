// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the bytes of a shaper state file through
 * shape_state_parse() (header, message and attribute framing). An accepted
 * buffer must give messages that lie inside it, each walkable the way the
 * restore walks them (libmnl's attribute loop); a refused one a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/rtnetlink.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shape_state_view v;
	char err[200] = "";
	unsigned int n = 0;
	uint32_t off = 0;
	/* Aligned, as the restore's malloc'ed buffer is. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (shape_state_parse(buf, size, &v, err, sizeof(err))) {
		if (!err[0] || memchr(err, '\n', strlen(err)))
			abort();
		free(buf);
		return 0;
	}
	if (v.msgs < buf || v.msgs + v.len != buf + size || !memchr(v.ifname, 0, sizeof(v.ifname)))
		abort();
	while (off < v.len) {
		const struct nlmsghdr *nlh = (const void *)(v.msgs + off);
		const struct nlattr *a;
		size_t sum = 0;

		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct tcmsg)) ||
		    NLMSG_ALIGN(nlh->nlmsg_len) > v.len - off)
			abort();
		mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
			sum += mnl_attr_get_payload_len(a);
		if (sum > nlh->nlmsg_len)
			abort();
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		n++;
	}
	if (n != v.n)
		abort();
	free(buf);
	return 0;
}
