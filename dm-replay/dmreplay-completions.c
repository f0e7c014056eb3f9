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

static int load_completions(struct log *lg, struct completions *cs, enum next_result *res)
{
	u64 cap_recs = 0, cap_own = 0;
	struct dmr_comp *raw;
	struct dmr_rec rec;
	u32 i;

	memset(cs, 0, sizeof(*cs));
	while ((*res = log_next(lg, &rec, true)) == NEXT_ENTRY) {
		if (rec.type == DMR_TYPE_IO && (rec.flags & DMR_F_COMPLETED)) {
			grow(&cs->own, &cap_own, cs->nr_own, sizeof(*cs->own));
			cs->own[cs->nr_own].seq = rec.comp_seq;
			dmr_entry_crec(&rec, &cs->own[cs->nr_own++].c);
			continue;
		}
		if (rec.type != DMR_TYPE_COMPLETIONS)
			continue;
		if (rec.sector != cs->nr_recs) {
			err("%s: entry %" PRIu64 ": completion records start at %" PRIu64
			    ", expected %" PRIu64, lg->path, rec.seq, rec.sector, cs->nr_recs);
			return -EINVAL;
		}
		raw = (struct dmr_comp *)lg->data;
		for (i = 0; i < rec.nr_sectors; i++) {
			grow(&cs->recs, &cap_recs, cs->nr_recs, sizeof(*cs->recs));
			if (dmr_comp_decode(&raw[i], &cs->recs[cs->nr_recs])) {
				err("%s: entry %" PRIu64 ": invalid completion record %" PRIu64,
				    lg->path, rec.seq, cs->nr_recs);
				return -EINVAL;
			}
			cs->nr_recs++;
		}
	}
	return 0;
}

static void free_completions(struct completions *cs)
{
	free(cs->recs);
	free(cs->own);
}

int cmd_completions(int argc, char **argv)
{
	struct dmr_crec *order = NULL;
	struct completions cs;
	enum next_result res;
	u64 i, n, known;
	struct log lg;
	u8 *taken = NULL;
	int r;

	if (argc != 2)
		return usage_error("completions takes one argument: <log_dev>");
	r = log_open(&lg, argv[1]);
	if (r)
		return r;
	r = load_completions(&lg, &cs, &res);
	if (r) {
		r = EXIT_DAMAGED;
		goto out;
	}
	n = cs.nr_recs + cs.nr_own;
	order = calloc(n ?: 1, sizeof(*order));
	taken = calloc(n ?: 1, 1);
	if (!order || !taken) {
		err("%s: out of memory", lg.path);
		r = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < cs.nr_own; i++) {
		if (!dmr_comp_place(order, taken, n, cs.own[i].seq, &cs.own[i].c)) {
			err("%s: completion %" PRIu64 " is recorded twice", lg.path, cs.own[i].seq);
			r = EXIT_DAMAGED;
			goto out;
		}
	}
	known = dmr_comp_fill(order, taken, n, cs.recs, cs.nr_recs);
	for (i = 0; i < known; i++)
		printf("%" PRIu64 " %s %" PRIu64 " %u%s%s%s%s\n", i,
		       dmr_comp_op_str(order[i].op), order[i].sector, order[i].nr_sectors,
		       order[i].flags & DMR_CF_PREFLUSH ? " preflush" : "",
		       order[i].flags & DMR_CF_FUA ? " fua" : "",
		       order[i].flags & DMR_CF_META ? " meta" : "",
		       order[i].flags & DMR_CF_ERROR ? " error" : "");
	fflush(stdout);
	if (known < n)
		err("%s: completion %" PRIu64 " is missing from the log: the order of the %"
		    PRIu64 " after it is unknown", lg.path, known, n - known - 1);
	r = report_end(&lg, res);
out:
	free(order);
	free(taken);
	free_completions(&cs);
	log_close(&lg);
	return r;
}
