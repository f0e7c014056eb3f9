/* SPDX-License-Identifier: GPL-2.0 */
/* Crash-state subset generator of dmreplay crash-states (crash-gen.c). */
#ifndef DM_REPLAY_CRASH_GEN_H
#define DM_REPLAY_CRASH_GEN_H

#include "dmtk-compat.h"
#include "dmtk-prng.h"

struct dmr_crash_gen {
	u32 n;			/* writes in the epoch */
	const bool *fua;	/* n flags: the write is FUA */
	u32 max;		/* subsets to give at most */
	u32 made;
	u32 prefix;		/* length of the next prefix */
	bool exhaustive;	/* all subsets fit the budget */
	u64 mask;		/* next mask, exhaustive */
	struct dmtk_prng prng;
	u64 *seen;		/* hash set of the random subsets given (0: empty) */
	u32 seen_mask;		/* its size - 1, a power of two above 2 * max */
	u32 nr_seen;
};

int dmr_crash_gen_init(struct dmr_crash_gen *g, u32 n, const bool *fua, u32 max,
		       bool with_empty, u64 seed);
bool dmr_crash_gen_next(struct dmr_crash_gen *g, bool *in);
void dmr_crash_gen_free(struct dmr_crash_gen *g);

#endif /* DM_REPLAY_CRASH_GEN_H */
