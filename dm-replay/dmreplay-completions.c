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
	u64 entry;		/* its index in the log */
	struct dmr_crec c;
};

static int own_cmp(const void *a, const void *b)
{
	const struct own_comp *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_comp(u64 place, const struct dmr_crec *c)
{
	printf("%" PRIu64 " %s %" PRIu64 " %u%s%s%s%s\n", place, dmr_comp_op_str(c->op),
	       c->sector, c->nr_sectors, c->flags & DMR_CF_PREFLUSH ? " preflush" : "",
	       c->flags & DMR_CF_FUA ? " fua" : "", c->flags & DMR_CF_META ? " meta" : "",
	       c->flags & DMR_CF_ERROR ? " error" : "");
}

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
			cs->own[cs->nr_own].entry = rec.seq;
			dmr_entry_crec(&rec, &cs->own[cs->nr_own++].c);
			if (rec.comp_seq + 1 > *places)
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
	struct log_limit lim = { 0 };
	u64 i, j, n, own_places, known, stop;
	struct completions cs = { 0 };
	const char *path;
	struct log lg;
	int r, r2;

	r = walk_args(argc, argv, "completions", &lim, &path);
	if (r)
		return r < 0 ? 0 : r;
	r = log_open(&lg, path);
	if (r)
		goto out;
	if (lg.lw) {
		r = lw_no_completions(&lg);
		goto out;
	}
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
	/* Entries in completion order; the records fill the other places. */
	if (cs.nr_own)
		qsort(cs.own, cs.nr_own, sizeof(*cs.own), own_cmp);
	for (i = 1; i < cs.nr_own; i++) {
		if (cs.own[i].seq == cs.own[i - 1].seq) {
			err("%s: damaged log: entry %" PRIu64 ": completion sequence number %"
			    PRIu64 " duplicated (entry %" PRIu64 " has it too)", lg.path,
			    cs.own[i].entry > cs.own[i - 1].entry ? cs.own[i].entry :
			    cs.own[i - 1].entry, cs.own[i].seq,
			    cs.own[i].entry > cs.own[i - 1].entry ? cs.own[i - 1].entry :
			    cs.own[i].entry);
			r = EXIT_DAMAGED;
			goto out;
		}
	}
	for (known = 0, i = 0, j = 0;; known++) {
		if (i < cs.nr_own && cs.own[i].seq == known)
			print_comp(known, &cs.own[i++].c);
		else if (j < cs.nr_recs)
			print_comp(known, &cs.recs[j++]);
		else
			break;
	}
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
	free_completions(&cs);
	log_close(&lg);
	return r;
}
