// SPDX-License-Identifier: GPL-2.0
/* Host tests for dm-inject's rule index (dm-inject/inject-index.c). */
#include "unit.h"
#include "../../dm-inject/inject-rules.c"
#include "../../dm-inject/inject-index.c"

#define DEV_LEN 100000ULL

static struct inj_rule *rule(const char *word)
{
	const char *err = NULL;
	struct inj_rule *r = NULL;

	if (inj_parse_rule(word, DEV_LEN, &r, &err) || inj_rule_fit(r, 512, 0, &err)) {
		fprintf(stderr, "    '%s' rejected: %s\n", word, err);
		return NULL;
	}
	return r;
}

/* What a lookup must return, by a walk of every rule. */
static u32 brute(struct inj_rule **rules, u32 nr, u64 sector, u64 nr_sectors, u32 *out)
{
	u32 i, k = 0;

	for (i = 0; i < nr; i++) {
		const struct inj_rule *r = rules[i];

		if (r->has_range && (!nr_sectors || sector > r->hi ||
				     sector + nr_sectors - 1 < r->lo))
			continue;
		if (k == INJ_INDEX_CAND)
			return INJ_INDEX_ALL;
		out[k++] = i;
	}
	return k;
}

/* Random rule sets (ranges of every width, some rules without a range). */
static void random_lookups(u64 seed, u32 nr, u32 open_one_in, u64 max_width)
{
	struct inj_rule **rules = calloc(nr, sizeof(*rules));
	u32 want[INJ_INDEX_CAND], got[INJ_INDEX_CAND];
	struct dmtk_prng prng;
	struct inj_index *ix;
	u32 i, q, nw, ng;
	char word[96];

	dmtk_prng_seed(&prng, seed);
	for (i = 0; i < nr; i++) {
		u64 lo = dmtk_prng_below(&prng, DEV_LEN);
		u64 hi = lo + dmtk_prng_below(&prng, max_width);

		if (hi >= DEV_LEN)
			hi = DEV_LEN - 1;
		if (open_one_in && !dmtk_prng_below(&prng, open_one_in))
			snprintf(word, sizeof(word), "error:event=write");
		else
			snprintf(word, sizeof(word), "error:event=write,sectors=%llu-%llu",
				 (unsigned long long)lo, (unsigned long long)hi);
		rules[i] = rule(word);
		CHECK(rules[i]);
		if (!rules[i])
			return;
	}
	ix = inj_index_build(rules, nr);
	CHECK(ix);
	for (q = 0; q < 4000; q++) {
		u64 sector = dmtk_prng_below(&prng, DEV_LEN);
		u64 len = q % 17 ? 1 + dmtk_prng_below(&prng, q % 3 ? 8 : 4096) : 0;

		if (sector + len > DEV_LEN)
			len = DEV_LEN - sector;
		nw = brute(rules, nr, sector, len, want);
		ng = inj_index_lookup(ix, sector, len, got);
		CHECK_EQ(ng, nw);
		if (ng == nw && nw != INJ_INDEX_ALL)
			for (i = 0; i < nw; i++)
				CHECK_EQ(got[i], want[i]);
	}
	inj_index_free(ix);
	for (i = 0; i < nr; i++)
		inj_rule_put(rules[i]);
	free(rules);
}

UNIT_CASE(lookup_matches_walk_narrow)
{
	random_lookups(1, 2000, 0, 16);
}

UNIT_CASE(lookup_matches_walk_wide)
{
	/* Wide ranges: many lookups overflow to INJ_INDEX_ALL. */
	random_lookups(2, 300, 0, 20000);
}

UNIT_CASE(lookup_matches_walk_open_rules)
{
	random_lookups(3, 500, 50, 64);
	/* More open rules than a lookup returns: always a walk. */
	random_lookups(4, 200, 2, 64);
}

UNIT_CASE(lookup_small_sets)
{
	u32 n;

	for (n = 1; n <= 40; n++)
		random_lookups(100 + n, n, 7, 2000);
}

static int pos(struct inj_rule **rules, u32 nr, const struct inj_rule *r)
{
	u32 i;

	for (i = 0; i < nr; i++)
		if (rules[i] == r)
			return i;
	return -1;
}

/*
 * inj_evaluate() with the index and with the walk it replaces: the same
 * rule acts on every request, counters and state transitions included
 * (nth=, every=, state rules change what later requests see).
 */
UNIT_CASE(evaluate_same_with_and_without_index)
{
	enum { NR = 200 };
	struct inj_rule *a[NR], *b[NR];
	struct inj_ruleset *ra, *rb;
	struct inj_engine ea, eb;
	struct dmtk_prng prng;
	char word[128];
	u32 i, q, e;

	dmtk_prng_seed(&prng, 9);
	for (i = 0; i < NR; i++) {
		u64 lo = dmtk_prng_below(&prng, DEV_LEN - 64);
		u64 hi = lo + dmtk_prng_below(&prng, 64);

		switch (dmtk_prng_below(&prng, 5)) {
		case 0:
			snprintf(word, sizeof(word), "error:event=write,sectors=%llu-%llu,every=3",
				 (unsigned long long)lo, (unsigned long long)hi);
			break;
		case 1:
			snprintf(word, sizeof(word), "state:event=write,sectors=%llu-%llu,new_state=%u",
				 (unsigned long long)lo, (unsigned long long)hi,
				 1 + dmtk_prng_below(&prng, 3));
			break;
		case 2:
			snprintf(word, sizeof(word), "error:event=write,sectors=%llu-%llu,state=%u",
				 (unsigned long long)lo, (unsigned long long)hi,
				 1 + dmtk_prng_below(&prng, 3));
			break;
		default:
			snprintf(word, sizeof(word), "error:event=write,sectors=%llu-%llu,nth=%u",
				 (unsigned long long)lo, (unsigned long long)hi,
				 1 + dmtk_prng_below(&prng, 4));
			break;
		}
		a[i] = rule(word);
		b[i] = rule(word);
		CHECK(a[i] && b[i]);
		if (!a[i] || !b[i])
			return;
	}
	ra = inj_ruleset_build(a, NR);
	rb = inj_ruleset_build(b, NR);
	CHECK(ra && rb);
	if (!ra || !rb)
		return;
	CHECK(ra->ev[INJ_EV_WRITE].index != NULL);
	for (e = 0; e < INJ_EV_NR; e++) {
		inj_index_free(rb->ev[e].index);
		rb->ev[e].index = NULL;
	}
	inj_engine_init(&ea, 5);
	inj_engine_init(&eb, 5);
	for (q = 0; q < 20000; q++) {
		struct inj_req req = { .ev = INJ_EV_WRITE };
		struct inj_rule *ga, *gb;

		req.sector = dmtk_prng_below(&prng, DEV_LEN - 16);
		req.nr_sectors = 1 + dmtk_prng_below(&prng, 16);
		ga = inj_evaluate(ra, &ea, &req, DEV_LEN);
		gb = inj_evaluate(rb, &eb, &req, DEV_LEN);
		CHECK_EQ(pos(a, NR, ga), pos(b, NR, gb));
		CHECK_EQ(inj_state_read(&ea.state), inj_state_read(&eb.state));
	}
	for (i = 0; i < NR; i++) {
		CHECK_EQ(inj_ctr_read(&a[i]->hits), inj_ctr_read(&b[i]->hits));
		CHECK_EQ(inj_ctr_read(&a[i]->matches), inj_ctr_read(&b[i]->matches));
	}
	inj_ruleset_free_all(ra);
	inj_ruleset_free_all(rb);
}

int main(void)
{
	UNIT_RUN("inject-index", lookup_matches_walk_narrow);
	UNIT_RUN("inject-index", lookup_matches_walk_wide);
	UNIT_RUN("inject-index", lookup_matches_walk_open_rules);
	UNIT_RUN("inject-index", lookup_small_sets);
	UNIT_RUN("inject-index", evaluate_same_with_and_without_index);
	return unit_summary("inject-index");
}
