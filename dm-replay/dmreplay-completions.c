// SPDX-License-Identifier: GPL-2.0
/* dmreplay completions: the recorded completion order, one request a line. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dmreplay.h"

/* An entry that is its own completion record. */
struct own_comp {
	u64 seq;
	struct dmr_crec c;
};

/* Completions as the log has them: records, and entries that are their own. */
struct completions {
	struct dmr_crec *recs;		/* records of completion entries, in order */
	u64 nr_recs;
	struct own_comp *own;
	u64 nr_own;
};

/* Room for element @nr of the array at *@p, doubling its capacity *@cap. */
static void grow(void *p, u64 *cap, u64 nr, size_t size)
{
	void **array = p;

	if (nr < *cap)
		return;
	*cap = *cap ? *cap * 2 : 256;
	*array = realloc(*array, *cap * size);
	if (!*array) {
		err("out of memory for %" PRIu64 " completions", *cap);
		exit(EXIT_RUNTIME);
	}
}

/* The completions of entries [0, @stop) of a scanned log. */
static int load_completions(struct log *lg, struct completions *cs, u64 stop, u64 *places)
{
	u64 cap_recs = 0, cap_own = 0;
	struct dmr_comp *raw;
	struct dmr_rec rec;
	u32 i;

	memset(cs, 0, sizeof(*cs));
	*places = 0;
	log_rewind(lg);
	while (lg->index < stop) {
		if (log_next(lg, &rec, true) != NEXT_ENTRY) {
			err("%s: the log changed while it was read", lg->path);
			return EXIT_RUNTIME;
		}
		if (rec.type == DMR_TYPE_IO && (rec.flags & DMR_F_COMPLETED)) {
			grow(&cs->own, &cap_own, cs->nr_own, sizeof(*cs->own));
			cs->own[cs->nr_own].seq = rec.comp_seq;
			dmr_entry_crec(&rec, &cs->own[cs->nr_own++].c);
			/* The reader checked they rise, and by how much. */
			*places = rec.comp_seq + 1;
			continue;
		}
		if (rec.type != DMR_TYPE_COMPLETIONS)
			continue;
		raw = (struct dmr_comp *)lg->data;
		for (i = 0; i < rec.nr_sectors; i++) {
			grow(&cs->recs, &cap_recs, cs->nr_recs, sizeof(*cs->recs));
			dmr_comp_decode(&raw[i], &cs->recs[cs->nr_recs++]);
		}
	}
	return 0;
}

static void free_completions(struct completions *cs)
{
	free(cs->recs);
	free(cs->own);
}

/*
 * The completion order: every place up to the first one the log has no
 * record for. A record is missing when the completion entry that held it
 * was never written (the recording did not stop cleanly: a crash); the
 * places after it are unknown. Without a stop point that is a failure;
 * with one, only if a place the entries before the stop need is missing.
 */
int cmd_completions(int argc, char **argv)
{
	struct dmr_crec *order = NULL;
	struct log_limit lim = { 0 };
	u64 i, n, own_places, known, stop;
	struct completions cs = { 0 };
	const char *path;
	u8 *taken = NULL;
	struct log lg;
	int r, r2;

	r = walk_args(argc, argv, "completions", &lim, &path);
	if (r)
		return r < 0 ? 0 : r;
	r = log_open(&lg, path);
	if (r)
		goto out;
	r = log_scan(&lg);
	if (r)
		goto out;
	r = log_limit_stop(&lg, &lim, &stop);
	if (r)
		goto out;
	r = load_completions(&lg, &cs, stop, &own_places);
	if (r)
		goto out;
	n = cs.nr_recs + cs.nr_own;
	if (own_places > n)
		n = own_places;
	order = calloc(n ?: 1, sizeof(*order));
	taken = calloc(n ?: 1, 1);
	if (!order || !taken) {
		err("%s: out of memory", lg.path);
		r = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < cs.nr_own; i++)
		dmr_comp_place(order, taken, n, cs.own[i].seq, &cs.own[i].c);
	known = dmr_comp_fill(order, taken, n, cs.recs, cs.nr_recs);
	for (i = 0; i < known; i++)
		printf("%" PRIu64 " %s %" PRIu64 " %u%s%s%s%s\n", i,
		       dmr_comp_op_str(order[i].op), order[i].sector, order[i].nr_sectors,
		       order[i].flags & DMR_CF_PREFLUSH ? " preflush" : "",
		       order[i].flags & DMR_CF_FUA ? " fua" : "",
		       order[i].flags & DMR_CF_META ? " meta" : "",
		       order[i].flags & DMR_CF_ERROR ? " error" : "");
	fflush(stdout);
	if (known < n) {
		bool asked = lim.has_to_entry || lim.to_last_flush;

		if (known)
			err("%s: completion order known only up to completion %" PRIu64
			    " (of at least %" PRIu64 "): completion %" PRIu64 " is missing (its "
			    "record was in a completion entry never written: the recording "
			    "did not stop cleanly)", lg.path, known - 1, n, known);
		else
			err("%s: completion order unknown (of at least %" PRIu64 " completions): "
			    "completion 0 is missing (its record was in a completion entry never "
			    "written: the recording did not stop cleanly)", lg.path, n);
		if (!asked || known < own_places)
			r = EXIT_DAMAGED;
	}
	r2 = log_check_stop(&lg, stop, lim.has_to_entry || lim.to_last_flush);
	if (!r)
		r = r2;
out:
	free(order);
	free(taken);
	free_completions(&cs);
	log_close(&lg);
	return r;
}
