// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of dm-inject's rule engine (dm-inject/inject-rules.c).
 *
 * Input: table words (options and rules) separated by blanks, a NUL byte,
 * then a binary request sequence. The words are parsed as the target's
 * constructor does, and each also as a "message add" word
 * (inj_parse_rule(): the same rule or the same refusal); every rule is
 * checked against the bounds
 * docs/dm-inject.rst promises and must round-trip through its canonical
 * (table/status) form: parse(print(r)) == r, print(parse(print(r))) ==
 * print(r). The requests then run through inj_evaluate() and, side by side,
 * through a model written from the documentation (table order, state
 * rules go on, transitions after the walk, counting before probability,
 * the same seeded generator): the acting rule, every rule's hits and
 * match counters and the engine's state must agree after every request,
 * and a rule with a sector condition never acts outside its range.
 *
 * Binary part: byte 0 picks the device length; then 12 bytes per request:
 * event, flags, sector (6 bytes, reduced into the device), length (4
 * bytes, clamped to the device's end). The flags byte also carries the
 * clock and dm-dust's switch: bits 4-5 advance the monotonic clock by
 * that many 700 ms steps before the request (for up=/down= windows), bit
 * 6 toggles "enable"/"disable" (block= rules), bit 7 makes a flush empty.
 * block= rules are fitted to the dust: block size (512 without one) once
 * every word is in, as the target does; a rule that does not fit is left
 * out.
 */
#include "../../dm-inject/inject-rules.c"
#include "../../dm-inject/inject-index.c"
#include "fuzz-host.h"

#define MAX_WORDS	64
#define MAX_REQS	512

/*
 * Lengths the target can have: a dm table's length is bounded by its
 * underlying device, whose byte size fits a loff_t, so below 2^54 sectors.
 */
static const u64 dev_lens[] = {
	1, 8, 4096, 131072, 2097152, 0xffffffffULL, 0x100000008ULL, 1ULL << 54,
};

static const int carried[] = {
	5, 11, 12, 16, 19, 28, 52, 61, 67, 75, 84, 95, 109, 110, 121,
};

/* The model's view of one rule: its own counters. */
struct model_rule {
	u64 matches;
	u64 hits;
	u64 writes;		/* heal: writes that reached its range */
};

/* The engine's epochs in the harness: table load at 0, resume at 1.5 s. */
#define LOAD_NS		0ULL
#define RESUME_NS	1500000000ULL

static void check_bounds(const struct inj_rule *r, u64 dev_len)
{
	bool ok = false;
	size_t i;

	FUZZ_ASSERT(r->type < INJ_TYPE_NR);
	FUZZ_ASSERT(r->ev_name <= INJ_EV_NR || r->ev_name == INJ_EV_LIST);
	FUZZ_ASSERT(r->events && !(r->events & ~INJ_EV_ALL));
	if (r->ev_name != INJ_EV_LIST)
		FUZZ_ASSERT(r->events == (r->ev_name == INJ_EV_NR ? INJ_EV_ALL :
					  INJ_EV_BIT(r->ev_name)));
	FUZZ_ASSERT(!r->has_window || (u64)r->up_s + r->down_s > 0);
	FUZZ_ASSERT(r->has_window || (!r->up_s && !r->down_s && !r->window_from));
	FUZZ_ASSERT(r->window_from <= INJ_FROM_RESUME);
	if (r->heal)
		FUZZ_ASSERT(r->type == INJ_ERROR && (r->has_range || r->has_block) &&
			    !(r->events & INJ_EV_HEAL));
	else
		FUZZ_ASSERT(!r->heal_n);
	FUZZ_ASSERT(!r->has_block || (r->type == INJ_ERROR && !r->has_range));
	FUZZ_ASSERT(!(r->req_flags & ~0xfU));
	FUZZ_ASSERT(r->probability <= 100);
	FUZZ_ASSERT(r->state >= 0 && r->new_state >= 0);
	FUZZ_ASSERT(r->type != INJ_STATE || r->new_state > 0);
	FUZZ_ASSERT(r->count_mode <= INJ_COUNT_EVERY);
	FUZZ_ASSERT(r->count_mode == INJ_COUNT_ALL || r->count_n >= 1);
	FUZZ_ASSERT(r->count_mode != INJ_COUNT_ONCE || r->count_n == 1);
	if (r->has_range) {
		FUZZ_ASSERT(r->has_range <= 2);
		FUZZ_ASSERT(r->lo <= r->hi && r->hi < dev_len);
		FUZZ_ASSERT(r->has_range == 2 || r->lo == r->hi);
	}
	for (i = 0; i < ARRAY_SIZE(carried); i++)
		ok |= r->err == carried[i];
	FUZZ_ASSERT(ok);
	switch (r->type) {
	case INJ_DELAY:
		FUZZ_ASSERT(r->delay_us + r->jitter_us <= INJ_DELAY_MAX_US &&
			    r->jitter_us <= r->delay_us && r->jitter_us <= INJ_JITTER_MAX_US);
		FUZZ_ASSERT(!r->delay_in_ms || (!(r->delay_us % 1000) && !(r->jitter_us % 1000)));
		FUZZ_ASSERT(!(r->delay_cls_set & ~7U));
		for (i = 0; i < INJ_DC_NR; i++) {
			u64 d = r->delay_cls_us[i];

			if (!(r->delay_cls_set & (1U << i))) {
				FUZZ_ASSERT(!d);
				continue;
			}
			FUZZ_ASSERT(d + r->jitter_us <= INJ_DELAY_MAX_US && r->jitter_us <= d);
			FUZZ_ASSERT(!r->delay_in_ms || !(d % 1000));
		}
		break;
	case INJ_CORRUPT:
		FUZZ_ASSERT(r->corrupt_bytes >= 1 && r->corrupt_bytes <= INJ_CORRUPT_MAX);
		FUZZ_ASSERT(r->corrupt_mode <= INJ_CORRUPT_SET);
		FUZZ_ASSERT(r->corrupt_mode == INJ_CORRUPT_SET || !r->corrupt_value);
		FUZZ_ASSERT(r->corrupt_offset >= -1 && r->corrupt_offset <= 0x7fffffffLL);
		FUZZ_ASSERT(!(r->events & ~(INJ_EV_BIT(INJ_EV_READ) | INJ_EV_BIT(INJ_EV_WRITE))));
		break;
	case INJ_DROP:
		FUZZ_ASSERT(!(r->events & INJ_EV_BIT(INJ_EV_READ)));
		break;
	case INJ_TORN:
		/* sectors= unset (0): one logical block, set when the rule is fitted */
		FUZZ_ASSERT(r->events == INJ_EV_BIT(INJ_EV_WRITE));
		break;
	case INJ_MISDIRECT:
		FUZZ_ASSERT(r->events == INJ_EV_BIT(INJ_EV_WRITE) && r->shift);
		FUZZ_ASSERT((r->shift < 0 ? (u64)-r->shift : (u64)r->shift) < dev_len);
		if (r->has_range)
			FUZZ_ASSERT((s64)r->lo + r->shift >= 0 &&
				    (s64)r->hi + r->shift < (s64)dev_len);
		break;
	case INJ_BREAK:
		FUZZ_ASSERT(r->tag[0] && strlen(r->tag) < INJ_TAG_MAX);
		break;
	}
}

/* Two rules are the same rule when every field but id and counters is. */
static bool same_rule(const struct inj_rule *a, const struct inj_rule *b)
{
	struct inj_rule x = *a, y = *b;

	x.id = y.id = 0;
	inj_ctr_set(&x.writes, 0);
	inj_ctr_set(&y.writes, 0);
	inj_ctr_set(&x.matches, 0);
	inj_ctr_set(&y.matches, 0);
	inj_ctr_set(&x.hits, 0);
	inj_ctr_set(&y.hits, 0);
	return !memcmp(&x, &y, sizeof(x));
}

static void check_roundtrip(const struct inj_rule *r, u64 dev_len)
{
	char buf[1024], buf2[1024];
	struct inj_rule *r2 = NULL;
	const char *err = NULL;
	int n, n2;

	n = inj_format_rule(r, buf, sizeof(buf));
	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(buf) - 1 && (size_t)n == strlen(buf));
	if (inj_parse_rule(buf, dev_len, &r2, &err)) {
		fprintf(stderr, "canonical form '%s' rejected: %s\n", buf, err);
		FUZZ_ASSERT(!"canonical form parses");
	}
	if (!same_rule(r, r2)) {
		fprintf(stderr, "canonical form '%s' parses to another rule\n", buf);
		FUZZ_ASSERT(!"parse(print(r)) == r");
	}
	n2 = inj_format_rule(r2, buf2, sizeof(buf2));
	FUZZ_ASSERT(n2 == n && !strcmp(buf, buf2));
	kfree(r2);
}

static void check_opts_roundtrip(const struct inj_opts *o)
{
	struct inj_opts o2 = { 0 };
	char buf[256] = "", *p, *save = NULL;
	unsigned int words = 0;
	int n;

	if (o->max_transfer)
		FUZZ_ASSERT(o->max_transfer >= 4096 && o->max_transfer <= (1U << 30) &&
			    !(o->max_transfer % 512));
	if (o->align)
		FUZZ_ASSERT(o->align >= 512 && o->align <= 4096 && !(o->align & (o->align - 1)));
	n = inj_format_opts(o, buf, sizeof(buf));
	FUZZ_ASSERT(n >= 0 && (size_t)n < sizeof(buf) - 1);
	for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		struct inj_rule *r = NULL;
		const char *err = NULL;

		words++;
		if (inj_parse_word(p, 8, &o2, &r, &err)) {
			fprintf(stderr, "option word '%s' rejected: %s\n", p, err);
			FUZZ_ASSERT(!"canonical options parse");
		}
		FUZZ_ASSERT(!r);
	}
	FUZZ_ASSERT(words == inj_nr_opts(o));
	FUZZ_ASSERT(o2.seed_set == o->seed_set && o2.seed == (o->seed_set ? o->seed : 0));
	FUZZ_ASSERT(o2.log == o->log && o2.max_transfer == o->max_transfer &&
		    o2.align == o->align && o2.dust_bs == o->dust_bs);
	if (o->dust_bs)
		FUZZ_ASSERT(o->dust_bs >= 512 && o->dust_bs <= (1U << 30) &&
			    !(o->dust_bs & (o->dust_bs - 1)));
}

static bool model_cond(const struct inj_rule *r, const struct inj_req *q, u64 dev_len);

/* dm-flakey's test: whole seconds since the epoch, modulo the cycle. */
static bool model_down(const struct inj_rule *r, u64 now)
{
	u64 epoch = r->window_from == INJ_FROM_RESUME ? RESUME_NS : LOAD_NS;
	u64 secs = (now > epoch ? now - epoch : 0) / 1000000000ULL;

	return secs % ((u64)r->up_s + r->down_s) >= r->up_s;
}

/* The documented matching rules, independent of inj_evaluate(). */
static bool model_static(const struct inj_rule *r, const struct inj_req *q, u64 dev_len)
{
	if (!(r->events & INJ_EV_BIT(q->ev)))
		return false;
	return model_cond(r, q, dev_len);
}

/* Everything but the event. */
static bool model_cond(const struct inj_rule *r, const struct inj_req *q, u64 dev_len)
{
	if ((q->flags & r->req_flags) != r->req_flags)
		return false;
	/* a sector condition never holds for a request without sectors */
	if (r->has_range && (!q->nr_sectors || q->sector + q->nr_sectors <= r->lo ||
			     q->sector > r->hi))
		return false;
	switch (r->type) {
	case INJ_TORN:		/* only writes longer than the torn length */
		return q->nr_sectors > r->torn_sectors;
	case INJ_MISDIRECT:	/* only when the shifted write stays inside */
		if (r->shift < 0)
			return q->sector >= (u64)-r->shift;
		return q->sector + q->nr_sectors + (u64)r->shift <= dev_len;
	case INJ_CORRUPT:	/* an explicit offset must lie inside the data */
		return q->nr_sectors && (r->corrupt_offset < 0 ||
					 (u64)r->corrupt_offset < q->nr_sectors * 512);
	}
	return true;
}

static int model_eval(struct inj_rule **rules, struct model_rule *m, u32 nr, int *state,
		      bool dust_on, struct dmtk_prng *prng, const struct inj_req *q, u64 dev_len)
{
	int move = -1, act = -1;
	u32 i;

	for (i = 0; i < nr; i++) {
		const struct inj_rule *r = rules[i];

		if (r->state && r->state != *state)
			continue;
		/* block= rules act while dm-dust's messages have enabled them */
		if (r->has_block && !dust_on)
			continue;
		if (r->has_window && !model_down(r, q->now_ns))
			continue;
		if (r->heal) {
			/* healed: a write reached it after heal= failed ones */
			if (m[i].writes > r->heal_n)
				continue;
			if ((INJ_EV_BIT(q->ev) & INJ_EV_HEAL)) {
				if (!model_cond(r, q, dev_len) || ++m[i].writes > r->heal_n)
					continue;
				if (r->new_state)
					move = i;
				act = i;
				break;
			}
		}
		if (!model_static(r, q, dev_len))
			continue;
		if (r->count_mode != INJ_COUNT_ALL) {
			u64 c = ++m[i].matches;

			if (r->count_mode == INJ_COUNT_EVERY ? c % r->count_n : c != r->count_n)
				continue;
		}
		if (r->probability && dmtk_prng_below(prng, 100) >= r->probability)
			continue;
		/*
		 * As docs/dm-inject.rst says: the last matching rule with a
		 * new_state makes the transition and counts a hit (a state rule
		 * counts the transitions it made), and so does the acting rule.
		 */
		if (r->new_state)
			move = i;
		if (r->type != INJ_STATE) {
			act = i;
			break;
		}
	}
	if (move >= 0) {
		*state = rules[move]->new_state;
		if (move != act)
			m[move].hits++;
	}
	if (act >= 0)
		m[act].hits++;
	return act;
}

static u64 get_le(const u8 *p, unsigned int n)
{
	u64 v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inj_rule *rules[MAX_WORDS];
	struct model_rule model[MAX_WORDS];
	struct inj_opts opts = { 0 };
	struct inj_ruleset *rs;
	struct inj_engine eng;
	struct dmtk_prng prng;
	const u8 *bin = memchr(data, 0, size);
	size_t text_len = bin ? (size_t)(bin - data) : size, bin_len = 0;
	char *text, *p, *save = NULL;
	u64 dev_len = 131072;
	u32 nr = 0, i, j;
	int state = 1, nreq = 0;
	bool dust_on = false;
	u64 now = 0;

	if (bin) {
		bin++;
		bin_len = size - text_len - 1;
		if (bin_len) {
			dev_len = dev_lens[bin[0] % ARRAY_SIZE(dev_lens)];
			bin++;
			bin_len--;
		}
	}
	text = malloc(text_len + 1);
	memcpy(text, data, text_len);
	text[text_len] = '\0';

	for (p = strtok_r(text, " \t\n", &save); p && nr < MAX_WORDS;
	     p = strtok_r(NULL, " \t\n", &save)) {
		struct inj_rule *r = NULL, *m = NULL;
		const char *err = NULL, *merr = NULL;
		struct inj_opts before = opts;
		int ret = inj_parse_word(p, dev_len, &opts, &r, &err);
		/* "message add" parses rules only, with inj_parse_rule() */
		int mret = inj_parse_rule(p, dev_len, &m, &merr);

		FUZZ_ASSERT(mret ? mret < 0 && merr && *merr && !m : !!m);
		if (ret) {
			/* refused: a message, nothing allocated, no option set */
			FUZZ_ASSERT(ret < 0 && err && *err && !r);
			FUZZ_ASSERT(!memcmp(&before, &opts, sizeof(opts)));
			FUZZ_ASSERT(mret);
			continue;
		}
		/* a table rule is the same rule as a message */
		FUZZ_ASSERT(!r == !!mret);
		if (r)
			FUZZ_ASSERT(same_rule(r, m));
		kfree(m);
		FUZZ_ASSERT(strlen(p) <= INJ_WORD_MAX);
		if (!r)
			continue;		/* an option */
		check_bounds(r, dev_len);
		check_roundtrip(r, dev_len);
		r->id = nr + 1;
		rules[nr++] = r;
	}
	check_opts_roundtrip(&opts);
	/* block= rules get their sectors once the dust: option is known */
	for (i = j = 0; i < nr; i++) {
		const char *err = NULL;

		if (inj_rule_fit_dust(rules[i], opts.dust_bs ?: 512, dev_len, &err)) {
			FUZZ_ASSERT(rules[i]->has_block && err && *err);
			kfree(rules[i]);
			continue;
		}
		if (rules[i]->has_block)
			FUZZ_ASSERT(rules[i]->has_range && rules[i]->lo <= rules[i]->hi &&
				    rules[i]->hi < dev_len);
		rules[i]->id = j + 1;
		rules[j++] = rules[i];
	}
	nr = j;

	rs = inj_ruleset_build(rules, nr);
	FUZZ_ASSERT(rs && rs->nr == nr);
	for (i = 0; i < nr; i++)
		FUZZ_ASSERT(inj_ruleset_find(rs, i + 1) == (int)i);
	FUZZ_ASSERT(inj_ruleset_find(rs, nr + 1) == -1);
	memset(model, 0, sizeof(model));
	inj_engine_init(&eng, opts.seed);
	inj_ctr_set(&eng.load_ns, LOAD_NS);
	inj_ctr_set(&eng.resume_ns, RESUME_NS);
	dmtk_prng_seed(&prng, opts.seed);

	while (bin_len >= 12 && nreq++ < MAX_REQS) {
		struct inj_req q = { 0 };
		struct inj_rule *act;
		u64 len;
		int want;

		q.ev = bin[0] % (INJ_EV_NR + 1);	/* INJ_EV_NR: an op no event names */
		q.flags = bin[1] & 0xf;
		q.sector = get_le(bin + 2, 6) % dev_len;
		now += ((bin[1] >> 4) & 3) * 700000000ULL;
		q.now_ns = now;
		if (bin[1] & 0x40) {
			dust_on = !dust_on;
			inj_state_set(&eng.dust_on, dust_on);
		}
		len = get_le(bin + 8, 4);
		if (q.ev == INJ_EV_FLUSH && (bin[1] & 0x80))
			len = 0;			/* an empty flush */
		q.nr_sectors = len > dev_len - q.sector ? dev_len - q.sector : len;
		if (q.ev == INJ_EV_FLUSH && !q.nr_sectors)
			q.sector = 0;
		bin += 12;
		bin_len -= 12;

		act = inj_evaluate(rs, &eng, &q, dev_len);
		want = q.ev < INJ_EV_NR ?
			model_eval(rules, model, nr, &state, dust_on, &prng, &q, dev_len) : -1;
		if ((act ? (int)act->id - 1 : -1) != want) {
			fprintf(stderr, "request ev=%u flags=%#x sector=%llu len=%llu: rule %d acted, the documented walk says %d\n",
				q.ev, q.flags, (unsigned long long)q.sector,
				(unsigned long long)q.nr_sectors, act ? (int)act->id : 0, want + 1);
			FUZZ_ASSERT(!"inj_evaluate() follows the documented walk");
		}
		if (act && act->has_range)
			FUZZ_ASSERT(q.nr_sectors && q.sector <= act->hi &&
				    q.sector + q.nr_sectors - 1 >= act->lo);
		if (act)
			FUZZ_ASSERT((act->events & INJ_EV_BIT(q.ev)) ||
				    (act->heal && (INJ_EV_BIT(q.ev) & INJ_EV_HEAL)));
		if (act && act->has_window)
			FUZZ_ASSERT(model_down(act, q.now_ns));
		FUZZ_ASSERT(inj_state_read(&eng.state) == state);
		for (i = 0; i < nr; i++) {
			FUZZ_ASSERT((u64)inj_ctr_read(&rules[i]->hits) == model[i].hits);
			if (rules[i]->count_mode != INJ_COUNT_ALL)
				FUZZ_ASSERT((u64)inj_ctr_read(&rules[i]->matches) ==
					    model[i].matches);
			if (rules[i]->heal)
				FUZZ_ASSERT((u64)inj_ctr_read(&rules[i]->writes) == model[i].writes);
		}
	}
	inj_ruleset_free_all(rs);
	free(text);
	return 0;
}
