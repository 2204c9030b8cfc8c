/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer: one call per datum, commas and nesting
 * tracked for the caller. Output gathers in a buffer of the writer's own
 * and reaches the FILE at json_end(), json_end_line() or json_flush(). Keys are snake_case; integers carry their unit in
 * the key (rtt_us, rate_bps).
 */
#ifndef DS_JSON_H
#define DS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

#define JSON_BUF 1024

struct json {
	FILE *f;
	bool pretty;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	size_t len;			/* bytes in buf not yet on f */
	char buf[JSON_BUF];		/* one stdio call per line, not per token */
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v, int decimals);
void json_str(struct json *j, const char *key, const char *s);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline once the outermost value is closed. */
void json_end(struct json *j);
/* Ends an NDJSON line like json_end(), leaving @f's own buffering alone. */
void json_end_line(struct json *j);
/* What is buffered, onto f (json_end() does it). */
void json_flush(struct json *j);

#endif
