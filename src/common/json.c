// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->pretty = pretty;
	j->depth = 0;
	j->need_comma[0] = false;
	j->len = 0;
}

void json_flush(struct json *j)
{
	if (j->len)
		fwrite(j->buf, 1, j->len, j->f);
	j->len = 0;
}

/* Tokens gather in j->buf: an event line is one fwrite(). */
static void out(struct json *j, const void *p, size_t n)
{
	if (j->len + n > sizeof(j->buf)) {
		json_flush(j);
		if (n > sizeof(j->buf)) {
			fwrite(p, 1, n, j->f);
			return;
		}
	}
	memcpy(j->buf + j->len, p, n);
	j->len += n;
}

static void outc(struct json *j, char c)
{
	if (j->len == sizeof(j->buf))
		json_flush(j);
	j->buf[j->len++] = c;
}

static void outs(struct json *j, const char *s)
{
	out(j, s, strlen(s));
}

static void indent(struct json *j)
{
	if (!j->pretty)
		return;
	outc(j, '\n');
	for (int i = 0; i < j->depth; i++)
		out(j, "  ", 2);
}

/* Bytes of @s that need no escape, from the start. */
static size_t plain_len(const unsigned char *s)
{
	size_t n = 0;

	while (s[n] >= 0x20 && s[n] != '"' && s[n] != '\\')
		n++;
	return n;
}

static void put_string(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t n;

	outc(j, '"');
	for (;;) {
		n = plain_len(p);
		out(j, p, n);
		p += n;
		if (!*p)
			break;
		switch (*p) {
		case '"':  out(j, "\\\"", 2); break;
		case '\\': out(j, "\\\\", 2); break;
		case '\n': out(j, "\\n", 2); break;
		case '\t': out(j, "\\t", 2); break;
		case '\r': out(j, "\\r", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			out(j, esc, 6);
			break;
		}
		p++;
	}
	outc(j, '"');
}

/* printf's %llu costs more than the rest of an event line. */
static void put_u64(struct json *j, uint64_t v)
{
	char buf[24];
	int i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out(j, buf + i, sizeof(buf) - (size_t)i);
}

/* Separator, indentation and key before any value. */
static void begin_value(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		outc(j, ',');
	j->need_comma[j->depth] = true;
	if (j->depth > 0)
		indent(j);
	if (key) {
		put_string(j, key);
		outs(j, j->pretty ? ": " : ":");
	}
}

static void open_container(struct json *j, const char *key, char c)
{
	begin_value(j, key);
	outc(j, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	bool had = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	outc(j, c);
}

void json_obj_open(struct json *j, const char *key) { open_container(j, key, '{'); }
void json_obj_close(struct json *j) { close_container(j, '}'); }
void json_arr_open(struct json *j, const char *key) { open_container(j, key, '['); }
void json_arr_close(struct json *j) { close_container(j, ']'); }

void json_u64(struct json *j, const char *key, uint64_t v)
{
	begin_value(j, key);
	put_u64(j, v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	begin_value(j, key);
	if (v < 0)
		outc(j, '-');
	put_u64(j, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void json_double(struct json *j, const char *key, double v, int decimals)
{
	begin_value(j, key);
	/* JSON has no NaN or Infinity. */
	if (!isfinite(v)) {
		outs(j, "null");
	} else {
		char buf[352];		/* DBL_MAX has 309 digits */
		int n = snprintf(buf, sizeof(buf), "%.*f", decimals > 20 ? 20 : decimals, v);

		out(j, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	}
}

void json_str(struct json *j, const char *key, const char *s)
{
	begin_value(j, key);
	put_string(j, s);
}

void json_bool(struct json *j, const char *key, bool v)
{
	begin_value(j, key);
	outs(j, v ? "true" : "false");
}

void json_null(struct json *j, const char *key)
{
	begin_value(j, key);
	outs(j, "null");
}

void json_end_line(struct json *j)
{
	/* The next document (NDJSON) starts without a separator. */
	j->depth = 0;
	j->need_comma[0] = false;
	outc(j, '\n');
	json_flush(j);
}

void json_end(struct json *j)
{
	json_end_line(j);
	fflush(j->f);
}
