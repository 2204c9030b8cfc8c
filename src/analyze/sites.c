// SPDX-License-Identifier: GPL-2.0
/*
 * The sites file: INI through inih. inih's handler does not get line numbers
 * in Debian's build (INI_HANDLER_LINENO 0), so the text is fed through
 * ini_text_read(), which counts them; every error names FILE:LINE.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "initext.h"
#include "sites.h"

#define SITES_MAX 64
#define NAME_MAX_LEN 31

struct site {
	char name[NAME_MAX_LEN + 1];
	struct mon_pfx pfx[MON_MAX_PREFIXES];
	int n, line;
};

struct spath {
	char name[NAME_MAX_LEN + 1];
	char from[NAME_MAX_LEN + 1], to[NAME_MAX_LEN + 1];
	int from_line, to_line, line;
	struct mon_path def;		/* the class: dscp, port */
};

struct loader {
	const char *fname;
	char *err;
	size_t errlen;
	int err_line;			/* 0: no error yet */
	struct ini_text rd;		/* the reader's: line numbers */
	bool skip_others;		/* sections but [site]/[path] ignored */
	int cur_headers;		/* rd.headers when the current section opened */
	char cur[2 * NAME_MAX_LEN + 8];	/* the section the last key was in */
	bool cur_is_site, cur_skipped;
	int cur_idx;
	struct site site[SITES_MAX];
	int nsites;
	struct spath path[MON_MAX_PATHS];
	int npaths;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct loader *l, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ini_text_fail(&l->rd, &l->err_line, l->err, l->errlen, l->fname, line, fmt, ap);
	va_end(ap);
	return 0;
}

static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

bool sites_section(const char *section)
{
	size_t k = strcspn(section, " \t");

	return k == 4 && (!strncmp(section, "site", 4) || !strncmp(section, "path", 4));
}

/* A new section: "site NAME" or "path NAME", each name once. */
static int open_section(struct loader *l, const char *section)
{
	char kind[8], name[NAME_MAX_LEN + 2], extra;
	int line = l->rd.header_line;

	snprintf(l->cur, sizeof(l->cur), "%s", section);
	/* Another file's sections (the shaper's [shape], [class NAME]): not ours. */
	l->cur_skipped = l->skip_others && !sites_section(section);
	if (l->cur_skipped)
		return 1;
	if (sscanf(section, "%7s %32s %c", kind, name, &extra) != 2 || !good_name(name) ||
	    (strcmp(kind, "site") && strcmp(kind, "path")))
		return fail(l, line, "bad section [%s] (want [site NAME] or [path NAME], NAME of "
			    "at most %d letters, digits, '_', '-', '.')", section, NAME_MAX_LEN);
	l->cur_is_site = !strcmp(kind, "site");
	if (l->cur_is_site) {
		for (int i = 0; i < l->nsites; i++)
			if (!strcmp(l->site[i].name, name))
				return fail(l, line, "duplicate [site %s] (first at line %d)", name,
					    l->site[i].line);
		if (l->nsites == SITES_MAX)
			return fail(l, line, "too many sites (at most %d)", SITES_MAX);
		l->cur_idx = l->nsites++;
		memcpy(l->site[l->cur_idx].name, name, strlen(name) + 1);
		l->site[l->cur_idx].line = line;
		return 1;
	}
	for (int i = 0; i < l->npaths; i++)
		if (!strcmp(l->path[i].name, name))
			return fail(l, line, "duplicate [path %s] (first at line %d)", name,
				    l->path[i].line);
	if (l->npaths == MON_MAX_PATHS)
		return fail(l, line, "too many paths (at most %d)", MON_MAX_PATHS);
	l->cur_idx = l->npaths++;
	memcpy(l->path[l->cur_idx].name, name, strlen(name) + 1);
	l->path[l->cur_idx].line = line;
	l->path[l->cur_idx].def.dscp = l->path[l->cur_idx].def.port = MON_ANY;
	return 1;
}

/* "prefix = P[, P...]": one or more, a site at most MON_MAX_PREFIXES. */
static int site_key(struct loader *l, struct site *s, const char *name, const char *value)
{
	const char *p = value;

	if (strcmp(name, "prefix"))
		return fail(l, l->rd.line, "unknown key '%s' in [site %s] (want prefix)", name,
			    s->name);
	do {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, " \t,");
		if (!n)
			break;
		if (s->n == MON_MAX_PREFIXES)
			return fail(l, l->rd.line, "too many prefixes in [site %s] (at most %d)",
				    s->name, MON_MAX_PREFIXES);
		if (monitor_parse_prefix(p, n, &s->pfx[s->n]))
			return fail(l, l->rd.line, "bad prefix '%.*s' (want ADDR/LEN)", (int)n, p);
		for (int i = 0; i < s->n; i++)
			if (!memcmp(&s->pfx[i], &s->pfx[s->n], sizeof(s->pfx[i])))
				return fail(l, l->rd.line, "duplicate prefix '%.*s' in [site %s]",
					    (int)n, p, s->name);
		s->n++;
		p += n;
	} while (*p);
	if (!s->n)
		return fail(l, l->rd.line, "empty prefix in [site %s]", s->name);
	return 1;
}

static int path_key(struct loader *l, struct spath *p, const char *name, const char *value)
{
	char q[32];

	if (!strcmp(name, "from") || !strcmp(name, "to")) {
		bool from = name[0] == 'f';
		char *dst = from ? p->from : p->to;

		if (*dst)
			return fail(l, l->rd.line, "duplicate key '%s' in [path %s]", name, p->name);
		if (!good_name(value))
			return fail(l, l->rd.line, "bad site name '%s'", value);
		snprintf(dst, NAME_MAX_LEN + 1, "%s", value);
		*(from ? &p->from_line : &p->to_line) = l->rd.line;
		return 1;
	}
	if (strcmp(name, "dscp") && strcmp(name, "port"))
		return fail(l, l->rd.line, "unknown key '%s' in [path %s] (want from, to, dscp, port)",
			    name, p->name);
	if ((name[0] == 'd' ? p->def.dscp : p->def.port) != MON_ANY)
		return fail(l, l->rd.line, "duplicate key '%s' in [path %s]", name, p->name);
	snprintf(q, sizeof(q), "%s=%s", name, value);
	if (monitor_parse_class(&p->def, q))
		return fail(l, l->rd.line, "bad %s '%s' (want %s)", name, value,
			    name[0] == 'd' ? "0 to 63" : "1 to 65535");
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct loader *l = user;

	if (l->err_line)
		return 0;
	if (!section[0])
		return fail(l, l->rd.line, "key '%s' outside a section", name);
	/* A [section] line since the last key: a new section, maybe of a name seen before. */
	if ((l->rd.headers != l->cur_headers || strcmp(section, l->cur)) &&
	    !open_section(l, section))
		return 0;
	l->cur_headers = l->rd.headers;
	if (l->cur_skipped)
		return 1;
	if (l->cur_is_site)
		return site_key(l, &l->site[l->cur_idx], name, value);
	return path_key(l, &l->path[l->cur_idx], name, value);
}

static const struct site *find_site(const struct loader *l, const char *name)
{
	for (int i = 0; i < l->nsites; i++)
		if (!strcmp(l->site[i].name, name))
			return &l->site[i];
	return NULL;
}

static bool share_family(const struct site *a, const struct site *b)
{
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++)
			if (a->pfx[i].family == b->pfx[j].family)
				return true;
	return false;
}

/* Every path's sites exist (anywhere in the file) and it fits in @m. */
static int resolve(struct loader *l, struct monitor *m)
{
	for (int i = 0; i < l->npaths; i++) {
		struct spath *p = &l->path[i];
		const struct site *from, *to;
		int ret;

		if (!p->from[0] || !p->to[0])
			return fail(l, p->line, "[path %s] needs from = SITE and to = SITE",
				    p->name);
		from = find_site(l, p->from);
		to = find_site(l, p->to);
		if (!from || !to)
			return fail(l, from ? p->to_line : p->from_line, "unknown site '%s'",
				    from ? p->to : p->from);
		if (!share_family(from, to))
			return fail(l, p->line, "sites %s and %s share no address family",
				    from->name, to->name);
		snprintf(p->def.name, sizeof(p->def.name), "%s", p->name);
		memcpy(p->def.src, from->pfx, sizeof(p->def.src));
		memcpy(p->def.dst, to->pfx, sizeof(p->def.dst));
		p->def.nsrc = (uint8_t)from->n;
		p->def.ndst = (uint8_t)to->n;
		ret = monitor_add(m, &p->def);
		if (ret == -ENOSPC)
			return fail(l, p->line, "too many paths (at most %d with --path's)",
				    MON_MAX_PATHS);
		if (ret < 0)
			return fail(l, p->line, "bad [path %s]", p->name);
	}
	return 1;
}

int sites_load_mode(struct monitor *m, const char *text, const char *fname, bool skip_others,
		    char *err, size_t errlen)
{
	struct loader *l = calloc(1, sizeof(*l));
	int ret;

	if (!l) {
		snprintf(err, errlen, "%s: out of memory", fname);
		return -ENOMEM;
	}
	l->fname = fname;
	l->err = err;
	l->errlen = errlen;
	l->skip_others = skip_others;
	ini_text_init(&l->rd, text);
	ret = ini_parse_stream(ini_text_read, &l->rd, handler, l);
	if (l->rd.long_line)
		fail(l, l->rd.long_line, "line longer than %d characters", l->rd.max_len);
	/* inih's own complaint (a line neither [section] nor KEY = VALUE) came first. */
	if (ret > 0 && (!l->err_line || ret < l->err_line)) {
		l->err_line = 0;
		fail(l, ret, "syntax error (want [site NAME], [path NAME] or KEY = VALUE)");
	} else if (ret < 0 && !l->err_line) {
		fail(l, l->rd.line, "out of memory");
	}
	if (!l->err_line && !l->npaths)
		fail(l, l->rd.line ? l->rd.line : 1, "no [path NAME] section");
	if (!l->err_line)
		resolve(l, m);
	ret = !l->err_line ? 0 : strstr(err, "too many paths") ? -ENOSPC : -EINVAL;
	free(l);
	return ret;
}

int sites_load(struct monitor *m, const char *text, const char *fname, char *err, size_t errlen)
{
	return sites_load_mode(m, text, fname, false, err, errlen);
}

int sites_load_file(struct monitor *m, const char *path, char *err, size_t errlen)
{
	char *text;
	int ret = ini_text_load(path, &text, err, errlen);

	if (!ret)
		ret = sites_load(m, text, path, err, errlen);
	free(text);
	return ret;
}
