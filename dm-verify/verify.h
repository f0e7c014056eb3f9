/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-verify: the kernel-free parts (option parsing, first-difference search
 * and the sector range lock), shared by the target and the host unit tests.
 */
#ifndef DM_VERIFY_H
#define DM_VERIFY_H

#include "dmtk-compat.h"

enum verify_policy {
	VERIFY_ON_MISMATCH_ERROR,
	VERIFY_ON_MISMATCH_LOG,
	VERIFY_ON_MISMATCH_REFERENCE,
};

struct verify_opts {
	enum verify_policy policy;
	bool policy_set;	/* on_mismatch was given: echo it in the table */
	bool verify_writes;
};

int verify_parse_opt(struct verify_opts *opts, const char *word, const char **error);
const char *verify_policy_name(enum verify_policy policy);
size_t verify_first_diff(const void *a, const void *b, size_t len);

/*
 * Reader/writer lock on sector ranges with FIFO order. Every range waits for
 * all earlier conflicting ranges (overlapping, at least one a writer), so
 * overlapping requests reach both legs in one order. A read only conflicts
 * with writers, so while none is in the lock reads come and go without a
 * search. The ranges in the lock (held or waiting) are kept in arrival order
 * and in an interval tree (a treap ordered by start, each node holding the
 * largest end of its subtree), so a request costs O(log n + k) for n ranges
 * in the lock and k conflicts, not O(n). The caller serialises calls to
 * these functions.
 */
struct vrl_range {
	struct vrl_range *prev, *next;
	u64 start, end;		/* [start, end) in sectors */
	bool write;
	unsigned int blockers;	/* earlier conflicting ranges still held */
	/* Private to verify-lock.c: the interval tree. */
	struct vrl_range *parent, *left, *right;
	u64 max_end;		/* the largest end in this subtree */
	u64 seq;		/* arrival number */
	u32 prio;		/* treap priority: a parent's is at least its children's */
};

struct vrl {
	struct vrl_range head;	/* sentinel of the list in arrival order */
	unsigned int writers;	/* write ranges in the list */
	struct vrl_range *root;	/* interval tree of the same ranges */
	u64 seq;		/* arrivals so far */
};

void vrl_init(struct vrl *rl);
bool vrl_acquire(struct vrl *rl, struct vrl_range *r);
void vrl_release(struct vrl *rl, struct vrl_range *r,
		 void (*grant)(struct vrl_range *r, void *context), void *context);

#endif /* DM_VERIFY_H */
