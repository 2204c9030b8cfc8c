// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "event.h"

int ev_open(struct ev_out *o, const char *path)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	if (!strcmp(path, "-")) {
		o->f = stdout;
	} else {
		o->f = fopen(path, "w");
		if (!o->f)
			return -errno;
		o->own = true;
	}
	/*
	 * A reader that follows a pipe or terminal sees each event as it
	 * happens; a file takes them in large writes (at 1% loss, analyze
	 * writes an event every 100 packets).
	 */
	if (!fstat(fileno(o->f), &st) && !S_ISREG(st.st_mode))
		setvbuf(o->f, NULL, _IOLBF, 0);
	else
		setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	json_init(&o->j, o->f, false);
	return 0;
}

struct json *ev_begin(struct ev_out *o, const char *type, int64_t t_ns)
{
	json_obj_open(&o->j, NULL);
	json_str(&o->j, "type", type);
	json_i64(&o->j, "t_ns", t_ns);
	return &o->j;
}

void ev_end(struct ev_out *o)
{
	json_obj_close(&o->j);
	json_end_line(&o->j);	/* a pipe or terminal is line buffered: see ev_open() */
	o->n++;
}

struct json *ev_interval(struct ev_out *o, int64_t t_ns, uint64_t first_ns,
			 uint64_t start_ns, uint64_t len_ns)
{
	struct json *j = ev_begin(o, "interval", t_ns);

	json_double(j, "t_s", start_ns > first_ns ? (double)(start_ns - first_ns) / 1e9 : 0, 6);
	json_double(j, "interval_s", (double)len_ns / 1e9, 6);
	return j;
}

int ev_close(struct ev_out *o)
{
	int err = 0;

	if (!o->f)
		return 0;
	errno = 0;		/* a stale one would name the wrong failure */
	if (fflush(o->f) || ferror(o->f))
		err = errno ? -errno : -EIO;
	if (o->own && fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	return err;
}
