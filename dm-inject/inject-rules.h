/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-inject rule engine: parsing, matching and formatting of the rule words
 * of the table line and of "add" messages. Pure logic, no block layer, so
 * the same file builds in the kernel module and in the host unit tests.
 */
#ifndef DM_INJECT_RULES_H
#define DM_INJECT_RULES_H

#include "dmtk-compat.h"
#include "dmtk-prng.h"

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/rcupdate.h>
#include <linux/mm.h>
#include <linux/refcount.h>

struct inj_ctr { atomic64_t v; };
struct inj_ref { refcount_t v; };
#define inj_ref_init(r)		refcount_set(&(r)->v, 1)
#define inj_ref_get(r)		refcount_inc(&(r)->v)
#define inj_ref_put(r)		refcount_dec_and_test(&(r)->v)
struct inj_state { atomic_t v; };
#define inj_ctr_read(c)		atomic64_read(&(c)->v)
#define inj_ctr_set(c, n)	atomic64_set(&(c)->v, n)
#define inj_ctr_inc(c)		atomic64_inc_return(&(c)->v)
#define inj_state_read(s)	atomic_read(&(s)->v)
#define inj_state_set(s, n)	atomic_set(&(s)->v, n)
#define inj_zalloc(sz)		kvzalloc(sz, GFP_KERNEL)
#define inj_free(p)		kvfree(p)

static inline bool inj_state_cmpxchg(struct inj_state *s, int old, int new)
{
	return atomic_try_cmpxchg(&s->v, &old, new);
}
#else
#include <stdio.h>

struct inj_ctr { s64 counter; };
struct inj_ref { int counter; };
#define inj_ref_init(r)		((r)->counter = 1)
#define inj_ref_get(r)		((r)->counter++)
#define inj_ref_put(r)		(!--(r)->counter)
struct inj_state { int counter; };
#define inj_ctr_read(c)		__atomic_load_n(&(c)->counter, __ATOMIC_RELAXED)
#define inj_ctr_set(c, v)	__atomic_store_n(&(c)->counter, (v), __ATOMIC_RELAXED)
#define inj_ctr_inc(c)		__atomic_add_fetch(&(c)->counter, 1, __ATOMIC_RELAXED)
#define inj_state_read(s)	__atomic_load_n(&(s)->counter, __ATOMIC_RELAXED)
#define inj_state_set(s, v)	__atomic_store_n(&(s)->counter, (v), __ATOMIC_RELAXED)
static inline bool inj_state_cmpxchg(struct inj_state *s, int old, int new)
{
	return __atomic_compare_exchange_n(&s->counter, &old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

#define inj_zalloc(sz)		calloc(1, sz)
#define inj_free(p)		free(p)
#define BIT(n)			(1UL << (n))
#endif

/* Longest accepted argument word, rule count cap and break tag length. */
#define INJ_WORD_MAX		255
#define INJ_MAX_RULES		4096
#define INJ_MAX_ARGS		(INJ_MAX_RULES + 4)
#define INJ_TAG_MAX		32
#define INJ_CORRUPT_MAX		4096

enum inj_event {
	INJ_EV_READ,
	INJ_EV_WRITE,
	INJ_EV_FLUSH,
	INJ_EV_DISCARD,
	INJ_EV_WRITE_ZEROES,
	INJ_EV_ZONE_APPEND,
	INJ_EV_ZONE_RESET,		/* and reset all */
	INJ_EV_ZONE_OPEN,
	INJ_EV_ZONE_CLOSE,
	INJ_EV_ZONE_FINISH,
	INJ_EV_NR,
};

#define INJ_EV_BIT(e)		(1U << (e))
#define INJ_EV_ALL		(INJ_EV_BIT(INJ_EV_NR) - 1)
/* The requests that change data and so heal a "heal" rule's range. */
#define INJ_EV_HEAL		(INJ_EV_BIT(INJ_EV_WRITE) | INJ_EV_BIT(INJ_EV_WRITE_ZEROES) | \
				 INJ_EV_BIT(INJ_EV_DISCARD) | INJ_EV_BIT(INJ_EV_ZONE_APPEND))
/* ev_name of a rule whose event= is a list */
#define INJ_EV_LIST		0xff

/* dm-delay's classes: reads, flushes, and every other request (writes). */
enum inj_delay_class { INJ_DC_READ, INJ_DC_WRITE, INJ_DC_FLUSH, INJ_DC_NR };

/* dm-delay's own limit: a delay is an unsigned int of milliseconds. */
#define INJ_DELAY_MAX_US	(4294967295ULL * 1000)
#define INJ_JITTER_MAX_US	2147483647U

enum inj_type {
	INJ_ERROR,
	INJ_STATE,
	INJ_DELAY,
	INJ_CORRUPT,
	INJ_DROP,
	INJ_TORN,
	INJ_MISDIRECT,
	INJ_BREAK,
	INJ_TYPE_NR,
};

/* Request flags a rule can require (flags=meta+fua+preflush+sync). */
#define INJ_F_META		BIT(0)
#define INJ_F_FUA		BIT(1)
#define INJ_F_PREFLUSH		BIT(2)
#define INJ_F_SYNC		BIT(3)

enum inj_count_mode { INJ_COUNT_ALL, INJ_COUNT_ONCE, INJ_COUNT_NTH, INJ_COUNT_EVERY };
enum inj_when { INJ_WHEN_WORKER, INJ_WHEN_IMMEDIATELY, INJ_WHEN_AFTER };
enum inj_corrupt_mode { INJ_CORRUPT_FLIP, INJ_CORRUPT_ZERO, INJ_CORRUPT_RANDOM, INJ_CORRUPT_SET };
enum inj_window_from { INJ_FROM_LOAD, INJ_FROM_RESUME };

struct inj_rule {
	u32 id;
	u8 type;
	u16 events;		/* INJ_EV_BIT mask */
	u8 ev_name;		/* enum inj_event, INJ_EV_NR for "any", INJ_EV_LIST */
	u8 req_flags;		/* INJ_F_* that must all be present */
	u8 count_mode;
	u8 probability;		/* percent; 0 = always */
	u8 has_range;
	u8 when;		/* error: enum inj_when */
	u8 silent;		/* torn: report success */
	u8 corrupt_mode;
	u8 delay_in_ms;		/* delay and jitter were given in ms */
	u8 delay_cls_set;	/* BIT(class) of read=, write=, flush= given */
	u8 corrupt_value;	/* mode=set */
	u8 has_window;		/* up= and down= */
	u8 window_from;		/* enum inj_window_from */
	u8 heal;		/* a write to the range heals the rule */
	u8 has_block;		/* block=: a dm-dust bad block */
	int state;		/* 0 = any state */
	int new_state;		/* 0 = no transition */
	int err;		/* positive errno for error and torn */
	u64 count_n;		/* nth / every */
	u64 lo, hi;		/* inclusive sector range */
	u64 delay_us;		/* ms= or us=, in us */
	u64 delay_cls_us[INJ_DC_NR];	/* read=, write=, flush=, in us */
	u32 jitter_us;
	u32 up_s, down_s;	/* window: acts in the down part of each cycle */
	u32 heal_n;		/* writes failed before one heals the rule */
	u64 block;		/* block=, in dust: blocks */
	u32 corrupt_bytes;
	s64 corrupt_offset;	/* -1 = random */
	u32 torn_sectors;	/* 0 = one block, see inj_rule_fit() */
	s64 shift;		/* misdirect, in sectors */
	char tag[INJ_TAG_MAX];
	struct inj_ctr matches;	/* requests that met the static conditions */
	struct inj_ctr hits;		/* actions taken */
	struct inj_ctr writes;		/* heal: writes that reached the range */
	/*
	 * References: the rule set's, and one per request a break rule holds,
	 * so that the tag outlives a remove (see inj_rule_put()).
	 */
	struct inj_ref ref;
};

struct inj_opts {
	u64 seed;
	u32 max_transfer;	/* bytes, 0 = unlimited */
	u32 align;		/* bytes, 0 = device's own */
	u32 dust_bs;		/* dust: block size in bytes, 0 = none */
	/* discard and write-zeroes geometry (blkdebug's), bytes, 0 = device's */
	u32 max_discard;
	u32 discard_granularity;
	u32 max_write_zeroes;
	bool seed_set;
	bool log;
	bool log_set;
};

struct inj_index;

/*
 * Rules of one event, in table order, with the sectors [lo, hi] they can act
 * on: hi is U64_MAX when one of them has no sector range, and lo > hi when
 * there is no rule.
 */
struct inj_evlist {
	u32 nr;
	u64 lo, hi;
	struct inj_rule **rules;
	struct inj_index *index;	/* NULL: walk the list (inject-index.h) */
};

struct inj_req {
	u8 ev;
	u8 flags;
	u64 sector;
	u64 nr_sectors;
	u64 now_ns;		/* monotonic clock, for up=/down= windows */
};

/* An immutable rule set; replaced as a whole (RCU in the kernel). */
struct inj_ruleset {
#ifdef __KERNEL__
	struct rcu_head rcu;
#endif
	u32 nr;
	u32 ev_mask;		/* events at least one rule cares about */
	struct inj_rule **rules;
	struct inj_evlist ev[INJ_EV_NR];
};

/*
 * Whether @req touches the span [lo, hi] of an event's rules; a span with no
 * upper bound takes every request, flushes included.
 */
static inline bool inj_span_hit(u64 lo, u64 hi, const struct inj_req *req)
{
	return hi == U64_MAX || (req->nr_sectors && req->sector <= hi &&
				 req->sector + req->nr_sectors - 1 >= lo);
}

/* Whether any rule of @rs may act on @req, checked before anything else. */
static inline bool inj_may_match(const struct inj_ruleset *rs, const struct inj_req *req)
{
	const struct inj_evlist *l;

	if (req->ev >= INJ_EV_NR || !(rs->ev_mask & INJ_EV_BIT(req->ev)))
		return false;
	l = &rs->ev[req->ev];
	return inj_span_hit(l->lo, l->hi, req);
}

struct inj_engine {
	struct inj_state state;
	struct inj_state dust_on;	/* dust "enable"d: block= rules act */
	struct inj_ctr load_ns;		/* epochs of up=/down= windows */
	struct inj_ctr resume_ns;
#ifdef __KERNEL__
	spinlock_t prng_lock;		/* serialises prng */
#endif
	struct dmtk_prng prng;
};

/* One request as the matcher sees it; sectors relative to the target. */
int inj_parse_word(const char *word, u64 dev_len, struct inj_opts *opts,
		   struct inj_rule **rule, const char **err);
int inj_parse_rule(const char *word, u64 dev_len, struct inj_rule **rule,
		   const char **err);
int inj_opts_fit(const struct inj_opts *o, u32 lbs, const char **err);
int inj_rule_fit(struct inj_rule *r, u32 lbs, u32 align, const char **err);
int inj_rule_fit_dust(struct inj_rule *r, u32 dust_bs, u64 dev_len, const char **err);
bool inj_rule_healed(const struct inj_rule *r);
u64 inj_rule_delay_us(const struct inj_rule *r, unsigned int ev);
int inj_format_rule(const struct inj_rule *r, char *buf, size_t len);
int inj_format_opts(const struct inj_opts *o, char *buf, size_t len);
unsigned int inj_nr_opts(const struct inj_opts *o);

void inj_rule_put(struct inj_rule *r);
struct inj_ruleset *inj_ruleset_build(struct inj_rule **rules, u32 nr);
void inj_ruleset_free(struct inj_ruleset *rs);
void inj_ruleset_free_all(struct inj_ruleset *rs);
int inj_ruleset_find(const struct inj_ruleset *rs, u32 id);

void inj_engine_init(struct inj_engine *eng, u64 seed);
u32 inj_engine_below(struct inj_engine *eng, u32 bound);
u64 inj_engine_next(struct inj_engine *eng);
struct inj_rule *inj_evaluate(const struct inj_ruleset *rs, struct inj_engine *eng,
			      const struct inj_req *req, u64 dev_len);
const char *inj_type_name(unsigned int type);
const char *inj_event_name(unsigned int ev);

#endif /* DM_INJECT_RULES_H */
