// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initext.h"

void ini_text_init(struct ini_text *t, const char *text)
{
	memset(t, 0, sizeof(*t));
	t->pos = text;
	t->next_line = 1;
}

char *ini_text_read(char *str, int num, void *stream)
{
	struct ini_text *t = stream;
	const char *p = t->pos, *s;
	int n = 0;

	if (t->stop || t->long_line || !*p)
		return NULL;
	/* Room for the newline and the NUL: a longer line is refused, not cut. */
	while (n < num - 2 && p[n] && p[n] != '\n')
		n++;
	if (p[n] && p[n] != '\n') {
		t->long_line = t->next_line;
		t->max_len = num - 2;
		return NULL;
	}
	if (p[n] == '\n')
		n++;
	memcpy(str, p, n);
	str[n] = 0;
	t->pos = p + n;
	t->line = t->next_line++;
	s = str;
	/* inih skips a UTF-8 byte order mark on the first line (INI_ALLOW_BOM): so do we. */
	if (t->line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	t->indented = *s == ' ' || *s == '\t';
	for (; isspace((unsigned char)*s); s++)
		;
	t->start = s;
	t->header = *s == '[';
	if (t->header) {
		t->header_line = t->line;
		t->headers++;
	}
	return str;
}

int ini_text_load(const char *path, char **text, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	*text = NULL;
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *b = cap < INI_TEXT_MAX ? realloc(buf, cap + 8192) : NULL;

			if (!b) {
				snprintf(err, errlen, "%s: too large (at most 1 MiB)", path);
				ret = -EFBIG;
				break;
			}
			buf = b;
			cap += 8192;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got)
			continue;
		if (ferror(f)) {
			ret = -EIO;
			snprintf(err, errlen, "%s: %s", path, strerror(EIO));
		}
		break;
	}
	fclose(f);
	if (!ret) {
		buf[n] = 0;
		if (memchr(buf, 0, n)) {
			snprintf(err, errlen, "%s: not a text file (holds a NUL byte)", path);
			ret = -EINVAL;
		}
	}
	if (ret)
		free(buf);
	else
		*text = buf;
	return ret;
}

void ini_text_fail(struct ini_text *t, int *err_line, char *err, size_t errlen, const char *fname,
		   int line, const char *fmt, va_list ap)
{
	int n;

	if (*err_line)
		return;
	t->stop = true;
	*err_line = line > 0 ? line : 1;
	n = snprintf(err, errlen, "%s:%d: ", fname, *err_line);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - n, fmt, ap);
}
