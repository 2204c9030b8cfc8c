/* SPDX-License-Identifier: GPL-2.0 */
/*
 * INI text for inih, line by line with the lines counted: Debian's inih is
 * built without INI_HANDLER_LINENO, so a handler cannot say where a key is.
 * ini_text_read() is the reader for ini_parse_stream(); the loader reads
 * the line numbers (and whether the line is a [section]) from the struct.
 * Used by the sites file (src/analyze/sites.c) and the shaper's
 * configuration (src/shape/config.c).
 */
#ifndef DS_INITEXT_H
#define DS_INITEXT_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

#define INI_TEXT_MAX (1U << 20)	/* a configuration file of more is refused */

struct ini_text {
	const char *pos;	/* the text not read yet */
	int line;		/* of the line given last (1 ...) */
	int next_line;
	bool stop;		/* set by the loader (an error): give no more lines */
	int long_line;		/* 0, or the line longer than inih's buffer (refused, not cut) */
	int max_len;		/* that buffer's characters */
	bool header;		/* the line given last is a [section] line */
	bool indented;		/* ... starts with a blank (inih: a continued value) */
	int header_line;	/* of the last [section] line */
	int headers;		/* [section] lines given */
	const char *start;	/* the line given last, its BOM and leading blanks skipped */
};

void ini_text_init(struct ini_text *t, const char *text);

/* inih's reader (@stream: a struct ini_text): one line of at most @num - 2 characters. */
char *ini_text_read(char *str, int num, void *stream);

/**
 * ini_text_load() - the file @path, NUL-terminated, into *@text (free() it).
 * Return: 0, or -errno with "FILE: reason" in @err (more than
 * INI_TEXT_MAX bytes: -EFBIG; a NUL byte inside: -EINVAL).
 */
int ini_text_load(const char *path, char **text, char *err, size_t errlen);

/**
 * ini_text_fail() - a loader's first error: "FILE:LINE: " and the message
 * into @err, its line (at least 1) into @err_line, no more lines from @t.
 * Later errors are dropped: the first one is the reader's cause.
 */
void ini_text_fail(struct ini_text *t, int *err_line, char *err, size_t errlen, const char *fname,
		   int line, const char *fmt, va_list ap) __attribute__((format(printf, 7, 0)));

#endif
