// SPDX-License-Identifier: GPL-2.0
/*
 * dm-inject rule index (see inject-index.h). The rule walk it spares grew
 * linearly with the rules of an event: with 1,000 rules whose span covers
 * the I/O, a request cost about 34 instructions per rule before any rule
 * matched (tests/scaling/inj-scale.c).
 */
#include "inject-index.h"

#ifdef __KERNEL__
#include <linux/sort.h>
#define inj_sort(base, n, size, cmp)	sort(base, n, size, cmp, NULL)
#else
#define inj_sort(base, n, size, cmp)	qsort(base, n, size, cmp)
#endif

static int inj_index_cmp(const void *a, const void *b)
{
	const struct inj_index_node *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Fill max_hi over node[a, b); returns it (0 for an empty slice). */
static u64 inj_index_fill(struct inj_index_node *node, u32 a, u32 b)
{
	u64 m, l, r;
	u32 mid;

	if (a >= b)
		return 0;
	mid = a + (b - a) / 2;
	l = inj_index_fill(node, a, mid);
	r = inj_index_fill(node, mid + 1, b);
	m = node[mid].hi;
	if (l > m)
		m = l;
	if (r > m)
		m = r;
	node[mid].max_hi = m;
	return m;
}

struct inj_index *inj_index_build(struct inj_rule *const *rules, u32 nr)
{
	struct inj_index *ix;
	u32 i, nr_range = 0;

	for (i = 0; i < nr; i++)
		nr_range += !!rules[i]->has_range;
	ix = inj_zalloc(sizeof(*ix) + nr_range * sizeof(ix->node[0]) +
			(nr - nr_range) * sizeof(u32));
	if (!ix)
		return NULL;
	ix->open = (u32 *)&ix->node[nr_range];
	for (i = 0; i < nr; i++) {
		const struct inj_rule *r = rules[i];

		if (r->has_range) {
			ix->node[ix->nr].lo = r->lo;
			ix->node[ix->nr].hi = r->hi;
			ix->node[ix->nr].pos = i;
			ix->nr++;
		} else {
			ix->open[ix->nr_open++] = i;
		}
	}
	inj_sort(ix->node, ix->nr, sizeof(ix->node[0]), inj_index_cmp);
	inj_index_fill(ix->node, 0, ix->nr);
	return ix;
}

void inj_index_free(struct inj_index *ix)
{
	inj_free(ix);
}

/*
 * The positions, ascending, of the rules that may act on the request
 * [@sector, @sector + @nr_sectors): those whose range it meets and those
 * without a range. INJ_INDEX_ALL when there are more than INJ_INDEX_CAND:
 * then the caller walks the list.
 */
u32 inj_index_lookup(const struct inj_index *ix, u64 sector, u64 nr_sectors,
		     u32 cand[INJ_INDEX_CAND])
{
	/* Depth-first: at most one pending sibling per level of 2^32 nodes. */
	struct {
		u32 a, b;
	} stack[40];
	u64 last = sector + nr_sectors - 1;
	u32 k = 0, i, j, a, b, mid, t;
	int sp = 0;

	if (ix->nr_open > INJ_INDEX_CAND)
		return INJ_INDEX_ALL;
	for (i = 0; i < ix->nr_open; i++)
		cand[k++] = ix->open[i];
	if (nr_sectors && ix->nr) {
		stack[sp].a = 0;
		stack[sp++].b = ix->nr;
	}
	while (sp) {
		const struct inj_index_node *n;

		sp--;
		a = stack[sp].a;
		b = stack[sp].b;
		if (a >= b)
			continue;
		mid = a + (b - a) / 2;
		n = &ix->node[mid];
		/* Nothing in the slice reaches the request. */
		if (n->max_hi < sector)
			continue;
		stack[sp].a = a;
		stack[sp++].b = mid;
		/* This rule and those right of it start after the request. */
		if (n->lo > last)
			continue;
		if (n->hi >= sector) {
			if (k == INJ_INDEX_CAND)
				return INJ_INDEX_ALL;
			cand[k++] = n->pos;
		}
		stack[sp].a = mid + 1;
		stack[sp++].b = b;
	}
	/* Table order: an insertion sort of at most INJ_INDEX_CAND. */
	for (i = 1; i < k; i++) {
		t = cand[i];
		for (j = i; j > 0 && cand[j - 1] > t; j--)
			cand[j] = cand[j - 1];
		cand[j] = t;
	}
	return k;
}
