/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shaper's controller, pure: it decides the HTB root rate R once per
 * monitor window of the shaped path. No I/O and no clock reads: time comes
 * in the inputs (window ends, the caller's now for the blind check). Rules
 * and constants in doc/shape.md ("The controller").
 */
#ifndef DS_SHAPE_CTL_H
#define DS_SHAPE_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "json.h"
#include "monitor.h"

#define SHAPE_CTL_LOSS MON_OVER_SHARE	/* loss share at which a window is lossy */
#define SHAPE_CTL_FILL 0.9		/* demand ≥ 0.9 R: we fill R, the window teaches */
#define SHAPE_CTL_FELL 0.75		/* an alarm's delivered < 0.75 R: cut even while settling */
#define SHAPE_CTL_ROSE 1.1		/* a probe held above 1.1 x the last cut's limit: it rose */

/* One window of the shaped path, as the monitor closed it (rates: IP bits/s). */
struct shape_ctl_in {
	uint64_t ts_ns;			/* the window's end */
	uint64_t len_ns;
	uint64_t offered_bps;		/* sent onto the path: after our queue */
	uint64_t delivered_bps;
	double loss_share;		/* downstream loss / offered */
	enum mon_verdict verdict;
	uint64_t limit_bps;		/* the monitor's estimate; 0: none */
	uint64_t episode_bps;		/* this loss window's own estimate (mon_window's); 0: none */
	enum mon_type type;
	uint64_t our_drops;		/* packets our own qdisc dropped in the window */
	uint64_t demand_bps;		/* arrived at our queue (sent + our drops); 0: unknown */
};

struct shape_ctl_cfg {
	uint64_t floor_bps, line_bps;	/* R stays in floor..line */
	uint64_t start_bps;		/* R at init; 0: the floor */
	double gamma_policer;		/* R ← γ·L after a loss: 0.95 on a policer */
	double gamma_queue;		/* 0.90 on a queue (shallow, deep) or unknown */
	enum shape_path_type path_type;	/* auto: the monitor's type */
	double heavy_loss;		/* loss share of a heavy loss: 0.10 */
	double step_frac;		/* probe step: max(step_frac·R, step_line_frac·line) */
	double step_line_frac;		/* 0.10 and 0.01 */
	uint64_t probe_base_ns;		/* 2 s: probe interval, and the settle time after a cut */
	uint64_t probe_max_ns;		/* 4 s: the interval doubles up to it after a failed probe */
	uint64_t blind_ns;		/* 3 s without a window: R ← floor */
	uint64_t probe_hold_ns;		/* 500 ms loss-free: a probe held */
	uint64_t settle_ns;		/* 1 s: no second cut in a window centred this soon after a cut */
	double step_max_frac;		/* 0.5: the step doubles per held probe up to this share of R */
};

struct shape_ctl {
	struct shape_ctl_cfg cfg;
	uint64_t r_bps;			/* R now */
	uint64_t good_bps;		/* the highest R believed to hold (a probe that held) */
	uint64_t held_bps;		/* delivered in the last loss-free window that filled R */
	uint64_t interval_ns;		/* the probe interval now */
	uint64_t since_ns;		/* the last change of R or cut: the interval counts from it */
	uint64_t last_window_ns;	/* the last window's end (init: its now) */
	bool probing;			/* R raised by a probe and not yet held */
	uint64_t cut_ns;		/* the last cut (window end); 0: none */
	uint64_t cut_limit_bps;		/* the limit that cut measured */
	unsigned int streak;		/* probes held in a row above the good R: the step doubles */
	bool blind;			/* fallen back to the floor, no window since */
};

/* A decision: made once per window (or by the blind check), R may be unchanged. */
struct shape_decision {
	uint64_t ts_ns;
	uint64_t r_old_bps, r_new_bps;
	const char *reason;		/* static: "start", "loss", "heavy_loss", "probe", ... */
	const char *clamp;		/* NULL, or "floor" / "line" when R was clamped there */
	bool has_in;			/* a window's decision (not start, not blind) */
	struct shape_ctl_in in;		/* the window decided on */
};

/* The defaults around @floor and @line (start at the floor). */
void shape_ctl_cfg_default(struct shape_ctl_cfg *cfg, uint64_t floor, uint64_t line);

/**
 * shape_ctl_init() - a controller at R = start (clamped into floor..line),
 * its first decision (reason "start") in @first. @now_ns starts the blind
 * clock and the first probe interval.
 */
void shape_ctl_init(struct shape_ctl *c, const struct shape_ctl_cfg *cfg, uint64_t now_ns,
		    struct shape_decision *first);

/**
 * shape_ctl_window() - decide on one closed window @in: cut on loss, hold
 * when our demand does not fill R, probe up when the interval elapsed.
 * Return: true when R changed (@d is written either way).
 */
bool shape_ctl_window(struct shape_ctl *c, const struct shape_ctl_in *in, struct shape_decision *d);

/**
 * shape_ctl_alarm() - decide on the monitor's early alarm @in (a span of the
 * current window: len_ns its span, delivered_bps its ACKed rate): the cut
 * of a lossy window, now rather than at the window's end, unless it falls
 * in the settle time of the last cut. Return: true when R changed.
 */
bool shape_ctl_alarm(struct shape_ctl *c, const struct shape_ctl_in *in, struct shape_decision *d);

/**
 * shape_ctl_blind() - the fail-safe: no window for blind_ns before @now_ns
 * puts R at the floor (reason "blind"), once until windows return.
 * Return: true when it fell back now (@d written), else false.
 */
bool shape_ctl_blind(struct shape_ctl *c, uint64_t now_ns, struct shape_decision *d);

/* One decision as a JSON object (type "decision"); the caller ends the line. */
void shape_decision_json(struct json *j, const struct shape_decision *d);

#endif
