// SPDX-License-Identifier: GPL-2.0
/* Host tests for dm-verify's sector range lock. */
#include "../../dm-verify/verify-lock.c"
#include "unit.h"
#include "dmtk-prng.h"

struct grants {
	struct vrl_range *got[512];
	int n;
};

static void record_grant(struct vrl_range *r, void *context)
{
	struct grants *g = context;

	g->got[g->n++] = r;
}

static void set(struct vrl_range *r, u64 start, u64 end, bool write)
{
	r->start = start;
	r->end = end;
	r->write = write;
}

UNIT_CASE(readers_share_writers_wait)
{
	struct vrl rl;
	struct vrl_range r1, r2, w, r3;
	struct grants g = { .n = 0 };

	vrl_init(&rl);
	set(&r1, 0, 8, false);
	set(&r2, 4, 12, false);
	set(&w, 6, 7, true);
	set(&r3, 6, 8, false);
	CHECK(vrl_acquire(&rl, &r1));
	CHECK(vrl_acquire(&rl, &r2));
	CHECK(!vrl_acquire(&rl, &w));
	CHECK_EQ(w.blockers, 2);
	/* FIFO: a reader behind a waiting writer waits too. */
	CHECK(!vrl_acquire(&rl, &r3));
	CHECK_EQ(r3.blockers, 1);

	vrl_release(&rl, &r1, record_grant, &g);
	CHECK_EQ(g.n, 0);
	vrl_release(&rl, &r2, record_grant, &g);
	CHECK_EQ(g.n, 1);
	CHECK(g.got[0] == &w);
	vrl_release(&rl, &w, record_grant, &g);
	CHECK_EQ(g.n, 2);
	CHECK(g.got[1] == &r3);
	vrl_release(&rl, &r3, record_grant, &g);
	CHECK(rl.head.next == &rl.head && rl.head.prev == &rl.head);
}

UNIT_CASE(adjacent_ranges_do_not_conflict)
{
	struct vrl rl;
	struct vrl_range a, b, c;

	vrl_init(&rl);
	set(&a, 0, 8, true);
	set(&b, 8, 16, true);
	set(&c, 16, 24, false);
	CHECK(vrl_acquire(&rl, &a));
	CHECK(vrl_acquire(&rl, &b));
	CHECK(vrl_acquire(&rl, &c));
}

UNIT_CASE(release_out_of_order)
{
	struct vrl rl;
	struct vrl_range w1, w2, w3;
	struct grants g = { .n = 0 };

	vrl_init(&rl);
	set(&w1, 0, 16, true);
	set(&w2, 8, 24, true);
	set(&w3, 0, 32, true);
	CHECK(vrl_acquire(&rl, &w1));
	CHECK(!vrl_acquire(&rl, &w2));
	CHECK(!vrl_acquire(&rl, &w3));
	CHECK_EQ(w3.blockers, 2);
	vrl_release(&rl, &w1, record_grant, &g);
	CHECK_EQ(g.n, 1);
	CHECK(g.got[0] == &w2);
	CHECK_EQ(w3.blockers, 1);
	vrl_release(&rl, &w2, record_grant, &g);
	CHECK_EQ(g.n, 2);
	CHECK(g.got[1] == &w3);
}

/*
 * Random acquire/release: no two conflicting ranges are ever granted at
 * once, every range is granted in the end, and conflicting ranges are
 * granted in arrival order. One range in @write_one_in is a write (reads
 * skip the walk while no writer is in the list: mostly reads test that).
 */
static void random_invariants(u64 seed, unsigned int write_one_in)
{
	enum { N = 40, ROUNDS = 2000 };
	struct vrl rl;
	struct vrl_range r[N];
	int state[N];	/* 0 free, 1 waiting, 2 granted */
	unsigned long seq[N], clock = 0;
	struct grants g;
	struct dmtk_prng prng;
	int round, i, j, k;

	dmtk_prng_seed(&prng, seed);
	vrl_init(&rl);
	memset(state, 0, sizeof(state));
	for (round = 0; round < ROUNDS; round++) {
		i = dmtk_prng_below(&prng, N);
		g.n = 0;
		if (state[i] == 0) {
			u64 start = dmtk_prng_below(&prng, 64);

			set(&r[i], start, start + 1 + dmtk_prng_below(&prng, 16),
			    !dmtk_prng_below(&prng, write_one_in));
			seq[i] = ++clock;
			state[i] = vrl_acquire(&rl, &r[i]) ? 2 : 1;
		} else if (state[i] == 2) {
			vrl_release(&rl, &r[i], record_grant, &g);
			state[i] = 0;
		} else {
			continue;
		}
		for (k = 0; k < g.n; k++) {
			j = g.got[k] - r;
			CHECK_EQ(state[j], 1);
			state[j] = 2;
		}
		for (j = 0; j < N; j++) {
			for (k = 0; k < N; k++) {
				if (j == k || !state[j] || !state[k] || !vrl_conflict(&r[j], &r[k]))
					continue;
				CHECK(!(state[j] == 2 && state[k] == 2));
				if (seq[j] < seq[k] && state[k] == 2)
					CHECK(state[j] == 0);
			}
		}
	}
	/* Drain: releasing all granted ranges eventually grants everything. */
	for (round = 0; round < 4 * N; round++) {
		for (i = 0; i < N; i++) {
			if (state[i] != 2)
				continue;
			g.n = 0;
			vrl_release(&rl, &r[i], record_grant, &g);
			state[i] = 0;
			for (k = 0; k < g.n; k++)
				state[g.got[k] - r] = 2;
		}
	}
	for (i = 0; i < N; i++)
		CHECK_EQ(state[i], 0);
	CHECK(rl.head.next == &rl.head);
	CHECK_EQ(rl.writers, 0);
}

UNIT_CASE(random_invariants_half_writes)
{
	random_invariants(42, 2);
}

UNIT_CASE(random_invariants_mostly_reads)
{
	u64 seed;

	for (seed = 1; seed <= 8; seed++)
		random_invariants(seed, 8);
}

/* The tree's shape: in start order, heap-ordered priorities, exact max_end. */
static int tree_check(const struct vrl_range *n, const struct vrl_range *parent,
		      u64 lo, u64 hi, u64 *max_end)
{
	u64 lmax = 0, rmax = 0, m;
	int count;

	if (!n) {
		*max_end = 0;
		return 0;
	}
	CHECK(n->parent == parent);
	CHECK(n->start >= lo && n->start <= hi);
	if (parent)
		CHECK(n->prio <= parent->prio);
	count = 1 + tree_check(n->left, n, lo, n->start, &lmax) +
		tree_check(n->right, n, n->start, hi, &rmax);
	m = n->end;
	if (lmax > m)
		m = lmax;
	if (rmax > m)
		m = rmax;
	CHECK_EQ(n->max_end, m);
	*max_end = m;
	return count;
}

/*
 * Many ranges in flight over a wide space: after every step the tree holds
 * exactly the ranges in the list, its shape is valid, and each waiting
 * range's blocker count equals a brute-force count of the earlier
 * conflicting ranges still in the lock.
 */
UNIT_CASE(tree_matches_brute_force)
{
	enum { N = 300, ROUNDS = 6000 };
	static struct vrl_range r[N];
	int state[N];	/* 0 free, 1 waiting, 2 granted */
	struct grants g;
	struct dmtk_prng prng;
	struct vrl rl;
	int round, i, j, k, live;
	u64 max_end;

	dmtk_prng_seed(&prng, 7);
	vrl_init(&rl);
	memset(state, 0, sizeof(state));
	for (round = 0; round < ROUNDS; round++) {
		i = dmtk_prng_below(&prng, N);
		g.n = 0;
		if (state[i] == 0) {
			u64 start = dmtk_prng_below(&prng, 4096);
			u64 len = dmtk_prng_below(&prng, 4) ?
				1 + dmtk_prng_below(&prng, 16) : 1 + dmtk_prng_below(&prng, 1024);

			set(&r[i], start, start + len, !dmtk_prng_below(&prng, 3));
			state[i] = vrl_acquire(&rl, &r[i]) ? 2 : 1;
		} else if (state[i] == 2) {
			vrl_release(&rl, &r[i], record_grant, &g);
			state[i] = 0;
		} else {
			continue;
		}
		for (k = 0; k < g.n; k++) {
			j = g.got[k] - r;
			CHECK_EQ(state[j], 1);
			state[j] = 2;
		}
		live = 0;
		for (j = 0; j < N; j++) {
			unsigned int want = 0;

			if (!state[j])
				continue;
			live++;
			for (k = 0; k < N; k++)
				if (state[k] && r[k].seq < r[j].seq && vrl_conflict(&r[k], &r[j]))
					want++;
			CHECK_EQ(r[j].blockers, want);
			CHECK_EQ(state[j] == 2, want == 0);
		}
		CHECK_EQ(tree_check(rl.root, NULL, 0, ~0ULL, &max_end), live);
	}
}

int main(void)
{
	UNIT_RUN("verify-lock", readers_share_writers_wait);
	UNIT_RUN("verify-lock", adjacent_ranges_do_not_conflict);
	UNIT_RUN("verify-lock", release_out_of_order);
	UNIT_RUN("verify-lock", random_invariants_half_writes);
	UNIT_RUN("verify-lock", random_invariants_mostly_reads);
	UNIT_RUN("verify-lock", tree_matches_brute_force);
	return unit_summary("verify-lock");
}
