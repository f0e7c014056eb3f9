// SPDX-License-Identifier: GPL-2.0
/*
 * dm-verify sector range lock. A request that overlaps an earlier one in
 * flight must not run on the two legs at the same time, or the legs may
 * apply them in different orders and a healthy device would be reported
 * as corrupt. Ranges are kept in arrival order; a new range counts the
 * earlier ranges it conflicts with and is granted when that count drops
 * to zero. Reads share, writes are exclusive. The list holds only the
 * requests in flight, and reads skip the walk while it holds no writer,
 * so a read-only load pays O(1) per request at any queue depth.
 */
#include "verify.h"

void vrl_init(struct vrl *rl)
{
	rl->head.prev = &rl->head;
	rl->head.next = &rl->head;
	rl->writers = 0;
}

static bool vrl_conflict(const struct vrl_range *a, const struct vrl_range *b)
{
	return a->start < b->end && b->start < a->end && (a->write || b->write);
}

/* Queue @r behind the ranges already held or waiting; true if granted now. */
bool vrl_acquire(struct vrl *rl, struct vrl_range *r)
{
	struct vrl_range *p;

	r->blockers = 0;
	if (r->write || rl->writers)
		for (p = rl->head.next; p != &rl->head; p = p->next)
			if (vrl_conflict(p, r))
				r->blockers++;
	rl->writers += r->write;

	r->prev = rl->head.prev;
	r->next = &rl->head;
	rl->head.prev->next = r;
	rl->head.prev = r;
	return !r->blockers;
}

/*
 * Drop @r; @grant is called for each range that @r was the last to block.
 * It must only hand the range on (queue work), not change the list.
 */
void vrl_release(struct vrl *rl, struct vrl_range *r,
		 void (*grant)(struct vrl_range *r, void *context), void *context)
{
	struct vrl_range *p;

	r->prev->next = r->next;
	r->next->prev = r->prev;
	rl->writers -= r->write;
	/* A read only ever blocks writers. */
	if (!r->write && !rl->writers)
		return;

	for (p = r->next; p != &rl->head; p = p->next)
		if (vrl_conflict(p, r) && !--p->blockers)
			grant(p, context);
}
