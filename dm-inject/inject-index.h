/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-inject rule index: which rules of one event's list may act on a
 * request, found without walking the list. A rule set is immutable, so the
 * index is built once with it: the rules with a sector range sorted by
 * their first sector, as an implicit balanced search tree (the middle of
 * each slice is its root) in which every node also holds the largest last
 * sector of its slice. A lookup visits O(log n) nodes plus the k rules
 * whose range meets the request, and returns their positions in table
 * order, with the rules that have no range, so that the caller tries the
 * same rules in the same order as a walk of the whole list would, minus
 * those that cannot match. Pure code: it builds in userspace too.
 */
#ifndef DM_INJECT_INDEX_H
#define DM_INJECT_INDEX_H

#include "inject-rules.h"

/* Shorter lists are walked: a walk of a few rules costs less. */
#define INJ_INDEX_MIN		16
/* A lookup returns at most this many positions, else INJ_INDEX_ALL. */
#define INJ_INDEX_CAND		16
#define INJ_INDEX_ALL		0xffffffffU

struct inj_index_node {
	u64 lo, hi;		/* the rule's sectors, inclusive */
	u64 max_hi;		/* the largest hi in this node's slice */
	u32 pos;		/* the rule's position in the list */
};

struct inj_index {
	u32 nr;			/* rules with a range, in node[] */
	u32 nr_open;		/* rules without one */
	u32 *open;		/* their positions, ascending */
	struct inj_index_node node[];
};

struct inj_index *inj_index_build(struct inj_rule *const *rules, u32 nr);
void inj_index_free(struct inj_index *ix);
u32 inj_index_lookup(const struct inj_index *ix, u64 sector, u64 nr_sectors,
		     u32 cand[INJ_INDEX_CAND]);

#endif /* DM_INJECT_INDEX_H */
