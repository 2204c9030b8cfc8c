/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The drops ledger: per device, what its counters say was dropped beside
 * what the tracer saw dropped there, by reason, and what is left
 * unexplained either way. Pure bookkeeping, no I/O.
 */
#ifndef DS_LEDGER_H
#define DS_LEDGER_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dropreason.h"

struct ledger_count {
	uint32_t reason;
	uint64_t n;
};

struct ledger_dev {
	uint32_t netns;			/* namespace inode */
	int ifindex;
	char ifname[IF_NAMESIZE];	/* "" when only events named it */
	char kind[16];
	int link, link_netnsid, master;	/* as rtnetlink reports them */
	bool counted;			/* present in the counter samples */
	/* counter deltas over the run */
	uint64_t rx_dropped, tx_dropped, rx_missed, qdisc_drops;
	struct ledger_count *ev;	/* traced drops here, by reason */
	size_t nev;
	/* set by ledger_settle() */
	uint64_t events, ev_device, ev_qdisc;
	uint64_t counted_unexplained;	/* counted drops no event accounts for */
	uint64_t events_unexplained;	/* events of a counted class beyond the counter */
};

/* Drops with no device at the drop point (local output, socket queues). */
struct ledger_nodev {
	uint32_t netns;
	uint32_t reason;
	uint64_t n;
};

struct ledger_site {
	uint64_t location;
	uint32_t reason;
	uint64_t n;
};

struct ledger {
	const struct drop_reasons *dr;
	struct ledger_dev *dev;
	size_t ndev, capdev;
	struct ledger_nodev *nodev;
	size_t nnodev, capnodev;
	struct ledger_site *site;
	size_t nsite, capsite;
	struct ledger_count *reason;	/* totals by reason, after settle */
	size_t nreason;
	uint64_t total;			/* traced drops */
};

void ledger_init(struct ledger *l, const struct drop_reasons *dr);
void ledger_free(struct ledger *l);

/* The device (@netns, @ifindex), or NULL when the ledger has none. */
const struct ledger_dev *ledger_find(const struct ledger *l, uint32_t netns, int ifindex);

/* The device (@netns, @ifindex), added when new; NULL on allocation failure. */
struct ledger_dev *ledger_dev(struct ledger *l, uint32_t netns, int ifindex);

/* @n traced drops of @reason at @location; @ifindex 0 means no device. */
int ledger_event(struct ledger *l, uint32_t netns, int ifindex, uint32_t reason,
		 uint64_t location, uint64_t n);

/*
 * Residuals per device, reason totals, everything sorted (devices by
 * namespace then ifindex, counts by size). Call once after the last input.
 */
int ledger_settle(struct ledger *l);

/* Whether a device has anything to report. */
bool ledger_dev_has_drops(const struct ledger_dev *d);

#endif
