// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of dm-inject's rule matching against the number of rules, on the
 * host (scripts/bench/scaling-host.sh runs it under callgrind and counts
 * the instructions of inj_evaluate() and inj_ruleset_build()).
 *
 *   inj-scale N MODE OPS
 *
 * N rules error:event=any,sector=S; OPS one-sector requests. MODE:
 *   spread-miss   rules on odd sectors over the whole device, requests on
 *                 even ones: the rules' span covers every request, none
 *                 matches
 *   spread-hit    the same rules, each request on a random rule's sector
 *   conc-miss     rules on N consecutive sectors in the upper half,
 *                 requests in the lower half (outside the span)
 *   conc-hit      the same rules, each request on a random rule's sector
 * Prints the bytes one rule costs (the rule and its slots in the set).
 */
#include "../../dm-inject/inject-rules.c"
#include "../../dm-inject/inject-index.c"
#include <stdio.h>

#define DEV_LEN (1ULL << 32)

int main(int argc, char **argv)
{
	unsigned long n, ops, i;
	struct inj_rule **rules;
	struct inj_ruleset *rs;
	struct inj_engine eng;
	struct dmtk_prng prng;
	const char *mode, *err;
	unsigned long hits = 0;
	bool spread, hit;
	char word[64];

	if (argc != 4) {
		fprintf(stderr, "usage: inj-scale N spread-miss|spread-hit|conc-miss|conc-hit OPS\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	mode = argv[2];
	ops = strtoul(argv[3], NULL, 0);
	spread = !strncmp(mode, "spread", 6);
	hit = strstr(mode, "hit") != NULL;
	rules = calloc(n + 1, sizeof(*rules));
	if (!rules)
		return 2;
	for (i = 0; i < n; i++) {
		u64 s = spread ? (DEV_LEN / 2 / n) * 2 * i + 1 : DEV_LEN / 2 + i;

		snprintf(word, sizeof(word), "error:event=any,sector=%llu", (unsigned long long)s);
		err = NULL;
		if (inj_parse_rule(word, DEV_LEN, &rules[i], &err) ||
		    inj_rule_fit(rules[i], 512, 0, &err)) {
			fprintf(stderr, "inj-scale: %s: %s\n", word, err);
			return 1;
		}
	}
	rs = inj_ruleset_build(rules, n);
	if (!rs)
		return 1;
	inj_engine_init(&eng, 1);
	dmtk_prng_seed(&prng, 1);
	for (i = 0; i < ops; i++) {
		struct inj_req req = { .ev = INJ_EV_WRITE, .nr_sectors = 1 };

		if (hit && n)
			req.sector = rules[dmtk_prng_below(&prng, n)]->lo;
		else if (spread)
			req.sector = (dmtk_prng_next(&prng) % (DEV_LEN / 2)) * 2;
		else
			req.sector = dmtk_prng_next(&prng) % (DEV_LEN / 2);
		hits += inj_evaluate(rs, &eng, &req, DEV_LEN) != NULL;
	}
	printf("n=%lu ops=%lu hits=%lu rule_bytes=%zu slot_bytes=%zu\n", n, ops, hits,
	       sizeof(struct inj_rule),
	       n ? (1 + __builtin_popcount(rules[0]->events)) * sizeof(struct inj_rule *) : 0);
	inj_ruleset_free(rs);
	for (i = 0; i < n; i++)
		inj_rule_put(rules[i]);
	free(rules);
	return 0;
}
