// SPDX-License-Identifier: GPL-2.0
/*
 * dm-verify sector range lock. A request that overlaps an earlier one in
 * flight must not run on the two legs at the same time, or the legs may
 * apply them in different orders and a healthy device would be reported
 * as corrupt. A new range counts the earlier ranges it conflicts with and
 * is granted when that count drops to zero. Reads share, writes are
 * exclusive. Reads skip the search while the lock holds no writer.
 *
 * The conflicting ranges are found in an interval tree: a treap keyed by
 * start, each node carrying the largest end in its subtree, so the search
 * visits O(log n) nodes plus the k that overlap, where a list walk visited
 * every range in flight (its cost grew linearly with the queue depth). The
 * kernel's interval_tree_generic.h would do in the kernel, but this file
 * also builds in userspace for its unit test, where lib/rbtree.c is not
 * available; a treap is small enough to own. Its priorities come from the
 * arrival number through a multiplicative hash, independent of the sectors
 * a user chooses, so the expected depth is logarithmic; insertion and
 * removal are iterative (no recursion on the kernel stack).
 */
#include "verify.h"

void vrl_init(struct vrl *rl)
{
	rl->head.prev = &rl->head;
	rl->head.next = &rl->head;
	rl->writers = 0;
	rl->root = NULL;
	rl->seq = 0;
}

static bool vrl_conflict(const struct vrl_range *a, const struct vrl_range *b)
{
	return a->start < b->end && b->start < a->end && (a->write || b->write);
}

static void vrl_update(struct vrl_range *n)
{
	u64 m = n->end;

	if (n->left && n->left->max_end > m)
		m = n->left->max_end;
	if (n->right && n->right->max_end > m)
		m = n->right->max_end;
	n->max_end = m;
}

/* Rotate @x above its parent, keeping the in-order sequence. */
static void vrl_rotate_up(struct vrl *rl, struct vrl_range *x)
{
	struct vrl_range *p = x->parent, *g = p->parent;

	if (p->left == x) {
		p->left = x->right;
		if (x->right)
			x->right->parent = p;
		x->right = p;
	} else {
		p->right = x->left;
		if (x->left)
			x->left->parent = p;
		x->left = p;
	}
	p->parent = x;
	x->parent = g;
	if (!g)
		rl->root = x;
	else if (g->left == p)
		g->left = x;
	else
		g->right = x;
	vrl_update(p);
	vrl_update(x);
}

static void vrl_tree_insert(struct vrl *rl, struct vrl_range *r)
{
	struct vrl_range *parent = NULL, **link = &rl->root;

	r->left = NULL;
	r->right = NULL;
	r->max_end = r->end;
	while (*link) {
		parent = *link;
		if (parent->max_end < r->end)
			parent->max_end = r->end;
		link = r->start < parent->start ? &parent->left : &parent->right;
	}
	r->parent = parent;
	*link = r;
	while (r->parent && r->parent->prio < r->prio)
		vrl_rotate_up(rl, r);
}

static void vrl_tree_erase(struct vrl *rl, struct vrl_range *r)
{
	struct vrl_range *c, *p;

	/* Rotate @r down to a leaf, the child of higher priority going up. */
	while (r->left || r->right) {
		if (!r->left)
			c = r->right;
		else if (!r->right)
			c = r->left;
		else
			c = r->left->prio > r->right->prio ? r->left : r->right;
		vrl_rotate_up(rl, c);
	}
	p = r->parent;
	if (!p)
		rl->root = NULL;
	else if (p->left == r)
		p->left = NULL;
	else
		p->right = NULL;
	for (; p; p = p->parent)
		vrl_update(p);
}

/* The first range in @n's subtree, in start order, overlapping [@s, @e). */
static struct vrl_range *vrl_first_in(struct vrl_range *n, u64 s, u64 e)
{
	/*
	 * A subtree whose largest end is above @s holds a range ending above
	 * @s; if that one starts at or after @e, so does everything after it,
	 * so descending into it never passes over an overlap elsewhere.
	 */
	for (;;) {
		if (n->left && n->left->max_end > s) {
			n = n->left;
			continue;
		}
		if (n->start >= e)
			return NULL;
		if (n->end > s)
			return n;
		if (!n->right || n->right->max_end <= s)
			return NULL;
		n = n->right;
	}
}

static struct vrl_range *vrl_first(struct vrl *rl, u64 s, u64 e)
{
	if (!rl->root || rl->root->max_end <= s || s >= e)
		return NULL;
	return vrl_first_in(rl->root, s, e);
}

/* The next range after @n, in start order, overlapping [@s, @e). */
static struct vrl_range *vrl_next(struct vrl_range *n, u64 s, u64 e)
{
	struct vrl_range *prev;

	for (;;) {
		if (n->right && n->right->max_end > s)
			return vrl_first_in(n->right, s, e);
		do {
			prev = n;
			n = n->parent;
			if (!n)
				return NULL;
		} while (n->right == prev);
		if (n->start >= e)
			return NULL;
		if (n->end > s)
			return n;
	}
}

/* Queue @r behind the ranges already held or waiting; true if granted now. */
bool vrl_acquire(struct vrl *rl, struct vrl_range *r)
{
	struct vrl_range *p;

	r->blockers = 0;
	r->seq = ++rl->seq;
	/* Fibonacci hashing: consecutive arrivals get well-spread priorities. */
	r->prio = (u32)((r->seq * 0x9e3779b97f4a7c15ULL) >> 32);
	if (r->write || rl->writers)
		for (p = vrl_first(rl, r->start, r->end); p;
		     p = vrl_next(p, r->start, r->end))
			if (p->write || r->write)
				r->blockers++;
	rl->writers += r->write;

	r->prev = rl->head.prev;
	r->next = &rl->head;
	rl->head.prev->next = r;
	rl->head.prev = r;
	vrl_tree_insert(rl, r);
	return !r->blockers;
}

/*
 * Drop @r; @grant is called for each range that @r was the last to block.
 * It must only hand the range on (queue work), not change the lock.
 */
void vrl_release(struct vrl *rl, struct vrl_range *r,
		 void (*grant)(struct vrl_range *r, void *context), void *context)
{
	struct vrl_range *p;

	r->prev->next = r->next;
	r->next->prev = r->prev;
	vrl_tree_erase(rl, r);
	rl->writers -= r->write;
	/* A read only ever blocks writers. */
	if (!r->write && !rl->writers)
		return;

	/* Only later arrivals count @r among their blockers. */
	for (p = vrl_first(rl, r->start, r->end); p; p = vrl_next(p, r->start, r->end))
		if (p->seq > r->seq && vrl_conflict(p, r) && !--p->blockers)
			grant(p, context);
}
