// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "dropmon.h"
#include "dropscope.h"
#include "hist_plot.h"
#include "json.h"
#include "pcapng.h"
#include "report.h"
#include "rr.h"
#include "timeline_plot.h"

static const struct hist_mark rto_marks[] = {
	{ 200 * NSEC_PER_MSEC, "RTO" },
	{ 400 * NSEC_PER_MSEC, "2xRTO" },
	{ 800 * NSEC_PER_MSEC, "3xRTO" },
};

/* Write @path whole through a temporary file: @fill returns 0 or -errno. */
static int write_file(const char *dir, const char *name, int (*fill)(FILE *f, const void *ctx),
		      const void *ctx, char *why, size_t len)
{
	char path[4096], tmp[4120];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "we");
	if (!f) {
		err = -errno;
		snprintf(why, len, "cannot write %s: %s", tmp, strerror(errno));
		return err;
	}
	err = fill(f, ctx);
	if (fflush(f) || ferror(f))
		err = err ? err : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		snprintf(why, len, "cannot write %s: %s", path, strerror(-err));
	}
	return err;
}

static int fill_json(FILE *f, const void *ctx)
{
	const struct dg_report_in *in = ctx;
	struct json j;

	json_init(&j, f, true);
	json_obj_open(&j, NULL);
	in->json(&j, in->json_ctx);
	json_obj_close(&j);
	json_end(&j);
	return 0;
}

/* ---- the HTML page ---- */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* What @fn prints, HTML-escaped, as a <pre>. */
static void html_pre(FILE *f, void (*fn)(FILE *f, const void *ctx), const void *ctx)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);

	if (!m)
		return;
	fn(m, ctx);
	fclose(m);
	fputs("<pre>", f);
	html_text(f, buf);
	fputs("</pre>\n", f);
	free(buf);
}

/* Lanes: the slow transactions, then each drop point that dropped anything. */
static int timeline(FILE *f, const struct dg_report_in *in)
{
	const struct dg_data *d = in->d;
	const struct dg_verdict_ctx *vc = in->vc;
	size_t nl = 1 + vc->ncauses, ne = d->nslow + d->ndrops, k = 0;
	struct tl_lane *lanes = calloc(nl, sizeof(*lanes));
	struct tl_event *ev = calloc(ne ? ne : 1, sizeof(*ev));
	char (*labels)[160] = calloc(nl, sizeof(*labels));
	uint32_t *lane_of = calloc(d->npoints ? d->npoints : 1, sizeof(*lane_of));
	int err = -ENOMEM;

	if (!lanes || !ev || !labels || !lane_of)
		goto out;
	snprintf(labels[0], sizeof(labels[0]), "slow transactions (>= %.0f ms)",
		 vc->threshold_ms);
	lanes[0].label = labels[0];
	for (size_t i = 0; i < vc->ncauses; i++) {
		const struct dg_cause *c = &vc->causes[i];

		/* Numbered as the verdict lists causes: short enough for the lane's margin. */
		snprintf(labels[1 + i], sizeof(labels[0]), "%zu. %s at %s", i + 1, c->reason,
			 c->ifname[0] ? c->ifname : "no device");
		lanes[1 + i].label = labels[1 + i];
		lane_of[c->point] = (uint32_t)(1 + i);
	}
	for (size_t i = 0; i < d->nslow; i++)
		ev[k++] = (struct tl_event){
			.lane = 0, .start_ns = d->slow[i].start_ns, .end_ns = d->slow[i].end_ns,
			.cls = tl_latency_class(d->slow[i].end_ns - d->slow[i].start_ns) };
	for (size_t i = 0; i < d->ndrops; i++)
		ev[k++] = (struct tl_event){ .lane = lane_of[d->drops[i].where],
					     .start_ns = d->drops[i].t_ns,
					     .end_ns = d->drops[i].t_ns, .cls = TL_DROP };
	err = timeline_write_svg(f, "Slow transactions and drops per device", in->t0_ns,
				 in->t1_ns > in->t0_ns ? in->t1_ns : in->t0_ns + 1, lanes, nl, ev,
				 k);
out:
	free(lanes);
	free(ev);
	free(labels);
	free(lane_of);
	return err;
}

static int fill_html(FILE *f, const void *ctx)
{
	const struct dg_report_in *in = ctx;
	int err;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>dropscope diagnose</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;max-width:1100px}\n"
	      "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:13px}\n"
	      "figure{margin:1em 0}\n</style></head><body>\n", f);
	fprintf(f, "<h1>");
	html_text(f, in->title);
	fprintf(f, "</h1>\n<p>dropscope %s. %s</p>\n", DS_VERSION,
		in->vc->interrupted ? "<strong>Interrupted: a partial verdict.</strong>" : "");
	fputs("<h2>Verdict</h2>\n", f);
	html_pre(f, in->text, in->json_ctx);
	fputs("<h2>Latency</h2>\n<figure id=\"histogram\">\n", f);
	err = hist_write_svg(f, in->hist, "Latency", rto_marks,
			     sizeof(rto_marks) / sizeof(rto_marks[0]));
	fputs("</figure>\n<h2>Timeline</h2>\n<figure id=\"timeline\">\n", f);
	if (!err)
		err = timeline(f, in);
	fputs("</figure>\n</body></html>\n", f);
	return err;
}

/* ---- the pcapng of dropped headers ---- */

static int write_pcapng(const struct dg_report_in *in, char *why, size_t len)
{
	const struct dg_data *d = in->d;
	const struct dg_verdict_ctx *vc = in->vc;
	struct pcapng_writer *w;
	char path[4096], tmp[4120];
	int64_t off = mono_offset_ns();
	int *ifid = calloc(d->npoints ? d->npoints : 1, sizeof(int));
	int err, fam = 0, linktype;

	snprintf(path, sizeof(path), "%s/drops.pcapng", in->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	if (!ifid)
		return -ENOMEM;
	err = pcapng_open(&w, tmp);
	if (err) {
		snprintf(why, len, "cannot write %s: %s", tmp, strerror(-err));
		free(ifid);
		return err;
	}
	/*
	 * One interface per drop point, in the verdict's order. libpcap (tcpdump)
	 * reads several interfaces only of one type, and RAW's two numbers
	 * (101, DLT 12) defeat its check: IPv4 (228) or IPv6 (229) when all
	 * drops are of one family (others are few: ARP), RAW (Wireshark only) when mixed.
	 */
	for (size_t i = 0; i < d->nhdrs; i++) {
		int v = d->hdrs[i].caplen ? d->hdrs[i].data[0] >> 4 : 0;

		fam |= v == 4 ? 1 : v == 6 ? 2 : 0;
	}
	linktype = fam == 1 || !fam ? PCAPNG_LINKTYPE_IPV4 : fam == 2 ? PCAPNG_LINKTYPE_IPV6
								      : PCAPNG_LINKTYPE_RAW;
	for (size_t i = 0; i < vc->ncauses && !err; i++) {
		const struct dg_cause *c = &vc->causes[i];
		char name[128], desc[256];
		int id;

		snprintf(name, sizeof(name), "%s@%s", c->ifname[0] ? c->ifname : "-", c->netns);
		snprintf(desc, sizeof(desc), "%s drops at %s", c->reason, c->site);
		id = pcapng_add_if(w, linktype, DROP_HDR_LEN, name, desc);
		if (id < 0)
			err = id;
		else
			ifid[c->point] = id;
	}
	for (size_t i = 0; i < d->nhdrs && !err; i++) {
		const struct dg_drop *x = &d->drops[i];
		const struct dg_cause *c = NULL;
		char comment[256];

		for (size_t k = 0; k < vc->ncauses; k++)
			if (vc->causes[k].point == x->where)
				c = &vc->causes[k];
		if (!c)
			continue;
		snprintf(comment, sizeof(comment), "dropped: %s at %s (netns %s, %s); carried: %s",
			 c->reason, c->ifname[0] ? c->ifname : "no device", c->netns, c->site,
			 dg_payload_name[in->o->payload[i]]);
		err = pcapng_add_packet(w, ifid[x->where], (uint64_t)((int64_t)x->t_ns + off),
					d->hdrs[i].data, d->hdrs[i].caplen, d->hdrs[i].wirelen,
					comment);
	}
	free(ifid);
	if (pcapng_close(w) && !err)
		err = -EIO;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		snprintf(why, len, "cannot write %s: %s", path, strerror(-err));
	}
	return err;
}

int dg_report_write(const struct dg_report_in *in, char *why, size_t len)
{
	struct stat st;
	int err;

	if (mkdir(in->dir, 0755) && errno != EEXIST) {
		err = -errno;
		snprintf(why, len, "cannot create %s: %s", in->dir, strerror(errno));
		return err;
	}
	if (stat(in->dir, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, len, "%s: not a directory", in->dir);
		return -ENOTDIR;
	}
	err = write_file(in->dir, "verdict.json", fill_json, in, why, len);
	if (!err)
		err = write_file(in->dir, "report.html", fill_html, in, why, len);
	if (!err)
		err = write_pcapng(in, why, len);
	return err;
}
