// SPDX-License-Identifier: GPL-2.0
/*
 * The shaper's controller: R from the monitor's windows of the shaped path.
 * Rates from the monitor are IP bits/s, R is HTB's (it counts the Ethernet
 * header too): the 1% between them is below every margin used here.
 */
#include <string.h>

#include "ctl.h"

void shape_ctl_cfg_default(struct shape_ctl_cfg *cfg, uint64_t floor, uint64_t line)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->floor_bps = floor;
	cfg->line_bps = line;
	cfg->start_bps = floor;
	cfg->gamma_policer = 0.95;
	cfg->gamma_queue = 0.90;
	cfg->path_type = SHAPE_PATH_AUTO;
	cfg->heavy_loss = 0.10;
	cfg->step_frac = 0.10;
	cfg->step_line_frac = 0.01;
	cfg->probe_base_ns = 2000000000ULL;
	cfg->probe_max_ns = 4000000000ULL;
	cfg->blind_ns = 3000000000ULL;
	cfg->settle_ns = 1000000000ULL;
	cfg->probe_hold_ns = 500000000ULL;
	cfg->step_max_frac = 0.5;
}

/* Clamp @r into floor..line, record the decision, apply it. */
static bool decide(struct shape_ctl *c, uint64_t ts_ns, const struct shape_ctl_in *in, uint64_t r,
		   const char *why, struct shape_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (r < c->cfg.floor_bps) {
		r = c->cfg.floor_bps;
		d->clamp = "floor";
	} else if (r > c->cfg.line_bps) {
		r = c->cfg.line_bps;
		d->clamp = "line";
	}
	d->ts_ns = ts_ns;
	d->r_old_bps = c->r_bps;
	d->r_new_bps = r;
	d->reason = why;
	if (in) {
		d->has_in = true;
		d->in = *in;
	}
	if (r == c->r_bps)
		return false;
	c->r_bps = r;
	c->since_ns = ts_ns;
	return true;
}

void shape_ctl_init(struct shape_ctl *c, const struct shape_ctl_cfg *cfg, uint64_t now_ns,
		    struct shape_decision *first)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->interval_ns = cfg->probe_base_ns;
	c->since_ns = now_ns;
	c->last_window_ns = now_ns;
	decide(c, now_ns, NULL, cfg->start_bps ? cfg->start_bps : cfg->floor_bps, "start", first);
	c->r_bps = first->r_new_bps;
	c->good_bps = c->r_bps;
}

static bool lossy(const struct shape_ctl_in *in)
{
	return in->verdict == MON_OVER || in->loss_share >= SHAPE_CTL_LOSS;
}

/*
 * Our demand fills R: the window says something about the path at R. Drops
 * in our queues alone are no sign of it: a class's own ceiling or a small
 * leaf drops too while the root idles.
 */
static bool filled(const struct shape_ctl *c, const struct shape_ctl_in *in)
{
	uint64_t demand = in->demand_bps ? in->demand_bps : in->offered_bps;

	return (double)demand >= SHAPE_CTL_FILL * (double)c->r_bps;
}

static double gamma_for(const struct shape_ctl *c, enum mon_type t)
{
	if (c->cfg.path_type == SHAPE_PATH_POLICER)
		return c->cfg.gamma_policer;
	if (c->cfg.path_type == SHAPE_PATH_QUEUE)
		return c->cfg.gamma_queue;
	return t == MON_POLICER ? c->cfg.gamma_policer : c->cfg.gamma_queue;
}

/*
 * The path's limit as this lossy window shows it: its own episode rate (what
 * got through while the path dropped, monitor.c), else its delivered rate
 * (the freshest measures after a step down; a window of slow start's
 * overshoot delivers less than the path carries, its episode does not),
 * or the monitor's estimate when lower.
 * That estimate is a median over past loss episodes: below a rate the path
 * has carried loss-free since, it is from before a step up and is ignored.
 * Never above R: the path lost what we sent, at most R.
 */
static uint64_t limit_now(const struct shape_ctl *c, const struct shape_ctl_in *in)
{
	uint64_t l = in->episode_bps ? in->episode_bps : in->delivered_bps;

	if (in->limit_bps && in->limit_bps >= c->held_bps && in->limit_bps < l)
		l = in->limit_bps;
	return l < c->r_bps ? l : c->r_bps;
}

static uint64_t scale(double g, uint64_t v)
{
	return (uint64_t)(g * (double)v);
}

/* @early: on the monitor's alarm, not at a window's end (the reasons say so). */
static const char *on_loss(struct shape_ctl *c, const struct shape_ctl_in *in, uint64_t *r,
			   bool early)
{
	double g = gamma_for(c, in->type);
	uint64_t l = limit_now(c, in);
	const char *why = early ? "early_loss" : "loss";

	*r = scale(g, l);
	if (c->probing) {
		why = "probe_failed";
		c->probing = false;
		c->interval_ns *= 2;
		if (c->interval_ns > c->cfg.probe_max_ns)
			c->interval_ns = c->cfg.probe_max_ns;
		/*
		 * R is γ·L all the same, not the last good R below it: after a
		 * grown step (up to +50%) that good R was far under the path (the
		 * lab: 29 Mbit/s on a 40 Mbit/s path, L measured 38.9).
		 */
	}
	/* Heavy loss names the cut; the cut is γ·L all the same (L is measured, not guessed). */
	if (in->loss_share >= c->cfg.heavy_loss)
		why = early ? "early_heavy_loss" : "heavy_loss";
	/* A rate above the limit just measured is no longer good. */
	if (c->good_bps > l)
		c->good_bps = l;
	c->cut_limit_bps = l;
	c->since_ns = in->ts_ns;	/* settle: the interval restarts, even at the floor */
	c->cut_ns = in->ts_ns;
	c->streak = 0;
	return why;
}

/*
 * max(step_frac·R, step_line_frac·line), the first share doubling with each
 * probe held in a row (up to step_max_frac): from the floor to a 40 Mbit/s
 * path of the lab in 7 probes, not 23.
 */
static uint64_t step(const struct shape_ctl *c)
{
	double f = c->cfg.step_frac, most = c->cfg.step_max_frac;
	uint64_t a, b = scale(c->cfg.step_line_frac, c->cfg.line_bps);

	for (unsigned int i = 0; i < c->streak && f < most; i++)
		f = f * 2 < most ? f * 2 : most;
	a = scale(f, c->r_bps);
	return a > b ? a : b;
}

/*
 * Far from a loss: none yet, the last cut probe_max ago, or R 10% above the
 * limit that cut measured (the limit rose: a step up of the path; within
 * 10%, the measure's own error: the lab's alarms read 2-8% under C).
 */
static bool far_from_loss(const struct shape_ctl *c, uint64_t ts_ns)
{
	return !c->cut_ns || ts_ns - c->cut_ns >= c->cfg.probe_max_ns ||
	       (double)c->r_bps > SHAPE_CTL_ROSE * (double)c->cut_limit_bps;
}

/* A loss-free window that filled R: a probe held; time for the next? */
static const char *on_hold(struct shape_ctl *c, const struct shape_ctl_in *in, uint64_t *r)
{
	bool far = far_from_loss(c, in->ts_ns);
	const char *why = "steady";

	c->held_bps = in->delivered_bps;
	/*
	 * Near the last loss a probe holds after 500 ms loss-free, not after
	 * one window: its loss may show in the second one (a queue filling at
	 * a small excess; retransmissions an RTT or more after the drop) and
	 * was taken for a plain loss, with no backoff. Far from it, after one
	 * window: the monitor's early alarm cuts a probe whose loss shows later.
	 */
	if (c->probing && in->ts_ns - c->since_ns < (far ? in->len_ns : c->cfg.probe_hold_ns))
		return "probe_wait";
	if (c->probing) {
		c->probing = false;
		why = "probe_held";
		/* Back up to a rate already good is no news: the backoff stays. */
		if (c->r_bps > c->good_bps) {
			c->good_bps = c->r_bps;
			c->interval_ns = c->cfg.probe_base_ns;
			/* Far from the last loss only: near the limit, steps stay small. */
			if (far)
				c->streak++;
		}
	}
	/*
	 * Probes held in a row far from a loss come every window, their steps
	 * growing: nothing known above is at stake (the floor to the lab's 40
	 * Mbit/s in 7 windows).
	 */
	if (c->r_bps < c->cfg.line_bps && in->ts_ns >= c->since_ns &&
	    in->ts_ns - c->since_ns >= (c->streak ? in->len_ns : c->interval_ns)) {
		*r = c->r_bps + step(c);
		c->probing = true;
		c->since_ns = in->ts_ns;
		why = "probe";
	}
	return why;
}

bool shape_ctl_window(struct shape_ctl *c, const struct shape_ctl_in *in, struct shape_decision *d)
{
	uint64_t r = c->r_bps;
	const char *why;

	c->last_window_ns = in->ts_ns;
	c->blind = false;
	/*
	 * The window right after a cut still shows losses of before it: the
	 * retransmissions of what the cut window lost (the monitor counts a loss
	 * where its retransmission is seen) and a RED queue's averaged length
	 * (0.4 s in the lab). A second cut there halved R below the path.
	 */
	if (lossy(in) && c->cfg.settle_ns && c->cut_ns && !c->probing &&
	    in->ts_ns - in->len_ns / 2 < c->cut_ns + c->cfg.settle_ns) {
		why = "settle";
		c->streak = 0;
	} else if (lossy(in))
		why = on_loss(c, in, &r, false);
	else if (!filled(c, in))
		why = "hold_low_demand";
	else
		why = on_hold(c, in, &r);
	return decide(c, in->ts_ns, in, r, why, d);
}

bool shape_ctl_alarm(struct shape_ctl *c, const struct shape_ctl_in *in, struct shape_decision *d)
{
	uint64_t r = c->r_bps;
	const char *why;

	/*
	 * An alarm without ACKs cannot size a cut. In the settle time after a
	 * cut (the window's own rule) only a limit well under R cuts again: the
	 * echo of the last cut's losses (their retransmissions, a RED queue's
	 * average) comes with what R gets through; a step down of the path in
	 * that second (the lab: 0.35 s after a failed probe) does not.
	 */
	if (!in->delivered_bps)
		return false;
	if (c->cfg.settle_ns && c->cut_ns && !c->probing && in->ts_ns < c->cut_ns + c->cfg.settle_ns &&
	    (double)in->delivered_bps >= SHAPE_CTL_FELL * (double)c->r_bps)
		return false;
	why = on_loss(c, in, &r, true);
	return decide(c, in->ts_ns, in, r, why, d);
}

bool shape_ctl_blind(struct shape_ctl *c, uint64_t now_ns, struct shape_decision *d)
{
	if (c->blind || now_ns < c->last_window_ns + c->cfg.blind_ns)
		return false;
	c->blind = true;
	c->probing = false;
	c->streak = 0;
	c->good_bps = c->cfg.floor_bps;	/* nothing known: climb back from the floor */
	c->held_bps = 0;
	c->interval_ns = c->cfg.probe_base_ns;
	decide(c, now_ns, NULL, c->cfg.floor_bps, "blind", d);
	c->since_ns = now_ns;
	return true;
}

static void in_json(struct json *j, const struct shape_ctl_in *in)
{
	json_obj_open(j, "in");
	json_u64(j, "window_ns", in->len_ns);
	json_u64(j, "offered_bps", in->offered_bps);
	json_u64(j, "delivered_bps", in->delivered_bps);
	if (in->episode_bps)
		json_u64(j, "episode_bps", in->episode_bps);
	else
		json_null(j, "episode_bps");
	json_double(j, "loss_share", in->loss_share, 4);
	json_str(j, "verdict", in->verdict < MON_NVERDICTS ? mon_verdict_name[in->verdict] : "unknown");
	if (in->limit_bps)
		json_u64(j, "limit_bps", in->limit_bps);
	else
		json_null(j, "limit_bps");
	json_str(j, "path_type", in->type < MON_NTYPES ? mon_type_name[in->type] : "unknown");
	json_u64(j, "our_drops", in->our_drops);
	if (in->demand_bps)
		json_u64(j, "demand_bps", in->demand_bps);
	else
		json_null(j, "demand_bps");
	json_obj_close(j);
}

void shape_decision_json(struct json *j, const struct shape_decision *d)
{
	json_obj_open(j, NULL);
	json_str(j, "type", "decision");
	json_u64(j, "ts_ns", d->ts_ns);
	json_u64(j, "r_old_bps", d->r_old_bps);
	json_u64(j, "r_new_bps", d->r_new_bps);
	json_str(j, "reason", d->reason);
	if (d->clamp)
		json_str(j, "clamp", d->clamp);
	else
		json_null(j, "clamp");
	if (d->has_in)
		in_json(j, &d->in);
	else
		json_null(j, "in");
	json_obj_close(j);
}
