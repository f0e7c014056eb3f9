// SPDX-License-Identifier: GPL-2.0
/*
 * The subsets of one flush epoch's writes that dmreplay crash-states turns
 * into crash states (pure logic, unit-tested on the host in
 * tests/unit/test-replay-log.c).
 *
 * Writes between two flushes may reach the medium in any subset before a
 * crash. The generator gives, up to a budget: first the in-order prefixes
 * (what a device that persists writes in completion order leaves), then
 * every other subset when they all fit the budget, else distinct random
 * ones from a seeded PRNG. A FUA write is durable once it completes, so a
 * subset that holds a write logged after a FUA write holds the FUA write.
 */
#include "crash-gen.h"

static bool gen_is_prefix(const struct dmr_crash_gen *g, const bool *in)
{
	u32 i = 0;

	while (i < g->n && in[i])
		i++;
	while (i < g->n && !in[i])
		i++;
	return i == g->n;
}

/* Whether @in already holds every FUA write before its last write. */
static bool gen_is_closed(const struct dmr_crash_gen *g, const bool *in)
{
	bool later = false;
	u32 i;

	for (i = g->n; i-- > 0;) {
		if (later && g->fua[i] && !in[i])
			return false;
		later |= in[i];
	}
	return true;
}

static void gen_close(const struct dmr_crash_gen *g, bool *in)
{
	bool later = false;
	u32 i;

	for (i = g->n; i-- > 0;) {
		if (later && g->fua[i])
			in[i] = true;
		later |= in[i];
	}
}

static u64 gen_hash(const struct dmr_crash_gen *g, const bool *in)
{
	u64 h = 0xcbf29ce484222325ULL;
	u32 i;

	for (i = 0; i < g->n; i++)
		h = (h ^ in[i]) * 0x100000001b3ULL;
	return h ? h : 1;	/* 0 marks a free slot of the set */
}

/* Add @h to the set of subsets given; false when it is there already. */
static bool gen_seen_add(struct dmr_crash_gen *g, u64 h)
{
	u32 i = (u32)(h ^ (h >> 32)) & g->seen_mask;

	/* Open addressing, linear probing; the set is never over half full. */
	while (g->seen[i]) {
		if (g->seen[i] == h)
			return false;
		i = (i + 1) & g->seen_mask;
	}
	g->seen[i] = h;
	g->nr_seen++;
	return true;
}

int dmr_crash_gen_init(struct dmr_crash_gen *g, u32 n, const bool *fua, u32 max,
		       bool with_empty, u64 seed)
{
	u32 prefixes = n + with_empty;

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->fua = fua;
	g->max = max;
	g->prefix = !with_empty;
	dmtk_prng_seed(&g->prng, seed);
	/* All 2^n - (n + 1) subsets that are not prefixes fit the budget. */
	g->exhaustive = n < 32 && (1ULL << n) - (n + 1) <=
			(u64)(max > prefixes ? max - prefixes : 0);
	if (!g->exhaustive && max > prefixes) {
		u32 size = 4;

		while (size < 2 * (max - prefixes))
			size *= 2;
		g->seen = kcalloc(size, sizeof(*g->seen), GFP_KERNEL);
		if (!g->seen)
			return -ENOMEM;
		g->seen_mask = size - 1;
	}
	return 0;
}

void dmr_crash_gen_free(struct dmr_crash_gen *g)
{
	kfree(g->seen);
	g->seen = NULL;
}

/* The next subset in @in (n flags); false when the budget or the subsets are spent. */
bool dmr_crash_gen_next(struct dmr_crash_gen *g, bool *in)
{
	u32 i, tries;

	if (g->made >= g->max)
		return false;
	/* In-order prefixes: lengths 1..n (0..n with the empty set). */
	if (g->prefix <= g->n) {
		for (i = 0; i < g->n; i++)
			in[i] = i < g->prefix;
		g->prefix++;
		g->made++;
		return true;
	}
	if (g->exhaustive) {
		/* Every mask of n bits that is not a prefix and is closed. */
		while (g->mask < (1ULL << g->n)) {
			u64 m = g->mask++;

			for (i = 0; i < g->n; i++)
				in[i] = (m >> i) & 1;
			if (!gen_is_prefix(g, in) && gen_is_closed(g, in)) {
				g->made++;
				return true;
			}
		}
		return false;
	}
	if (!g->seen)
		return false;
	/* Random distinct subsets: each write in with probability 1/2. */
	for (tries = 0; tries < 64; tries++) {
		u64 h;

		for (i = 0; i < g->n; i++)
			in[i] = dmtk_prng_next(&g->prng) >> 63;
		gen_close(g, in);
		if (gen_is_prefix(g, in))
			continue;
		h = gen_hash(g, in);
		if (!gen_seen_add(g, h))
			continue;
		g->made++;
		return true;
	}
	return false;
}
