// SPDX-License-Identifier: GPL-2.0
/* The JSON writer: commas, nesting, escaping, no NaN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static char *render(void (*fn)(struct json *), bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f, pretty);
	fn(&j);
	fclose(f);
	return buf;
}

static void doc(struct json *j)
{
	json_obj_open(j, NULL);
	json_u64(j, "a", 1);
	json_arr_open(j, "l");
	json_obj_open(j, NULL);
	json_i64(j, "x", -2);
	json_obj_close(j);
	json_obj_open(j, NULL);
	json_obj_close(j);
	json_arr_close(j);
	json_str(j, "s", "q\"\\\n\x01");
	json_double(j, "d", 1.5, 2);
	json_double(j, "nan", NAN, 2);
	json_bool(j, "t", true);
	json_null(j, "n");
	json_arr_open(j, "e");
	json_arr_close(j);
	json_obj_close(j);
	json_end(j);
}

static void test_json_compact(void)
{
	char *s = render(doc, false);
	const char *want = "{\"a\":1,\"l\":[{\"x\":-2},{}],\"s\":\"q\\\"\\\\\\n\\u0001\","
			   "\"d\":1.50,\"nan\":null,\"t\":true,\"n\":null,\"e\":[]}\n";

	CHECK(!strcmp(s, want), "got  %s\nwant %s", s, want);
	free(s);
}

static void test_json_pretty_same_tokens(void)
{
	char *p = render(doc, true), *c = render(doc, false);
	char *q = p, *o = p;

	/* Pretty output differs only by whitespace outside strings. */
	for (; *q; q++)
		if (*q != ' ' && *q != '\n')
			*o++ = *q;
	*o = 0;
	c[strlen(c) - 1] = 0;
	CHECK(!strcmp(p, c), "pretty %s\ncompact %s", p, c);
	free(p);
	free(c);
}

static void numbers(struct json *j)
{
	json_arr_open(j, NULL);
	json_u64(j, NULL, 0);
	json_u64(j, NULL, UINT64_MAX);
	json_i64(j, NULL, INT64_MIN);
	json_i64(j, NULL, INT64_MAX);
	json_i64(j, NULL, -1);
	json_str(j, NULL, "");
	json_str(j, NULL, "\"\x1f/\t");
	json_arr_close(j);
	json_end(j);
}

/* The integer and string writers' edges: no printf behind them. */
static void test_json_number_edges(void)
{
	char *s = render(numbers, false);
	const char *want = "[0,18446744073709551615,-9223372036854775808,9223372036854775807,-1,"
			   "\"\",\"\\\"\\u001f/\\t\"]\n";

	CHECK(!strcmp(s, want), "got  %s\nwant %s", s, want);
	free(s);
}

int main(void)
{
	RUN(test_json_compact);
	RUN(test_json_number_edges);
	RUN(test_json_pretty_same_tokens);
	return unit_done();
}
