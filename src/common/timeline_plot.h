/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An SVG timeline: one horizontal lane per row ("slow transactions",
 * "drops at mvt0 (host)"), events as ticks (points) or bars (spans) over
 * a time axis in seconds since the run's start.
 */
#ifndef DS_TIMELINE_PLOT_H
#define DS_TIMELINE_PLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* An event's colour and legend entry. */
enum tl_cls {
	TL_DROP,		/* "drop" */
	TL_LAT_FAST,		/* "< 200 ms" */
	TL_LAT_200,		/* ">= 200 ms": one RTO */
	TL_LAT_400,		/* ">= 400 ms": two */
	TL_LAT_800,		/* ">= 800 ms": three or more */
	TL_NCLS,
};

struct tl_lane {
	const char *label;	/* escaped for XML; NULL: none */
};

struct tl_event {
	uint32_t lane;		/* index into the lanes */
	uint64_t start_ns, end_ns;	/* end == start: a point (a tick) */
	uint8_t cls;		/* enum tl_cls */
};

/* The class of a transaction that took @latency_ns: the RTO multiples. */
uint8_t tl_latency_class(uint64_t latency_ns);

/**
 * timeline_write_svg() - write a self-contained SVG timeline
 * @f: stream
 * @title: plot title, escaped for XML; may be NULL
 * @t0_ns: the run's start, the axis' 0 (any clock, the events' one)
 * @t1_ns: the run's end; equal to @t0_ns: the axis spans one second
 * @lanes: rows, top to bottom, labelled on the left; may be NULL if @nlanes is 0
 * @nlanes: number of @lanes; the plot is 26 px taller per lane
 * @ev: events in any order; may be NULL if @nev is 0
 * @nev: number of @ev
 *
 * Points are ticks across the lane, spans are bars in its middle; each lane
 * shows on the right how many of its events lie in [@t0_ns, @t1_ns].
 * Events outside it are neither drawn nor counted; spans that straddle an
 * end are cut there. A legend names the classes that occur.
 *
 * Drawn at the resolution of the screen: the axis is 640 one-pixel columns,
 * and in each lane a column takes the highest class of the bars that cover
 * it and, on top, of the points that fall in it; adjacent columns of one
 * class join into one rectangle, and all of one lane, kind and class are
 * one <path> (its <title> has their number). Events closer than a column
 * (the axis title says its width) merge; none is lost from sight. The size
 * depends on the lanes, not on the events: at most ~25 KB per lane however
 * many there are (16 lanes: < 500 KB), no scripts or external resources.
 *
 * Return: 0; -EINVAL (nothing written) for @t1_ns < @t0_ns, an event's lane
 * beyond @nlanes, end before start or class beyond TL_NCLS; -ENOMEM; or
 * -EIO if writing to @f failed.
 */
int timeline_write_svg(FILE *f, const char *title, uint64_t t0_ns, uint64_t t1_ns,
		       const struct tl_lane *lanes, size_t nlanes,
		       const struct tl_event *ev, size_t nev);

#endif
