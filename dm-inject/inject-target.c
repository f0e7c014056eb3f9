// SPDX-License-Identifier: GPL-2.0
/*
 * dm-inject: rule-based I/O fault injection for any block device.
 *
 * Rules (see inject-rules.c and Documentation in docs/dm-inject.rst) pick
 * requests by event, sector range, state and counters; the first matching
 * action rule fails, delays, damages, drops, tears, misdirects or holds the
 * request. The rule set is immutable and replaced under RCU, so map() takes
 * no lock unless a rule acts.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/bio.h>
#include <linux/ctype.h>
#include <linux/blkdev.h>
#include <linux/hrtimer.h>
#include <linux/mempool.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <linux/device-mapper.h>

#include "inject-rules.h"

#define DM_MSG_PREFIX "inject"

/* Order-2 bounce blocks: a corrupted span of at most 4096 bytes rounded out to blocks. */
#define INJECT_BOUNCE_ORDER	2
#define INJECT_BOUNCE_MIN	2
#define INJECT_CORRUPT_MIN	16

/* The sectors an event's rules can act on, as struct inj_evlist has them. */
struct inject_span {
	u64 lo, hi;
};

struct inject_c {
	struct dm_target *ti;
	struct dm_dev *dev;
	sector_t start;
	struct mapped_device *md;
	struct inj_opts opts;
	struct inj_engine eng;

	struct inj_ruleset __rcu *rules;
	/* the rule set's event mask and spans, read in map() without RCU */
	u32 ev_mask;
	struct inject_span span[INJ_EV_NR];
	struct mutex rules_lock;	/* serialises rule set replacement */
	u32 next_id;
	bool dust_quiet;		/* dm-dust's "quiet": no log lines */

	spinlock_t lock;		/* protects everything below */
	struct bio_list complete;	/* failed requests to end from the worker */
	struct bio_list corrupt;	/* writes to damage through a bounce */
	struct bio_list release;	/* held requests to pass on */
	struct bio_list delayed;
	struct bio_list held;		/* in the order they were held */
	unsigned int nr_held;
	bool suspending;		/* presuspend: nothing more is held */

	struct hrtimer timer;		/* earliest delayed request */
	struct workqueue_struct *wq;
	struct work_struct work;
	struct work_struct event_work;	/* dm_table_event() may sleep */
	struct bio_set bs;
	mempool_t *bounce_pool;
	mempool_t *corrupt_pool;
};

/* Where a corrupt rule strikes, drawn in map() so that it is reproducible. */
struct inject_corrupt {
	struct inject_c *ic;
	struct bvec_iter iter;		/* the data as mapped, for read damage */
	u32 off;			/* bytes into the request */
	u32 len;
	u64 seed;
	u8 mode;
	u8 value;			/* mode=set */
};

/*
 * Per-bio data, touched only by requests a rule acts on: a request no rule
 * takes costs map() a test or two and nothing at completion, because the
 * target has no end_io; an action that needs the completion hooks its own
 * bi_end_io in front of dm's instead. Nothing zeroes it (dm core takes the
 * clone, this in front of it, from its bio set and per-cpu cache and sets
 * only its own fields; init_on_alloc, where on, covers fresh slab objects
 * only), so every field is written before it is read: end_io by
 * inject_hook(), status before the completion that reads it, the union
 * member by the action that uses it. Kept small, as it is part of every
 * clone: what a rarely used action needs beyond this lives in an
 * allocation of its own.
 */
struct inject_pb {
	bio_end_io_t *end_io;			/* dm's, while ours is hooked */
	blk_status_t status;			/* inject_status_endio() */
	union {
		ktime_t expires;		/* delayed */
		struct inj_rule *brk;		/* held: a reference to its rule */
		struct inject_corrupt *corrupt;	/* inject_corrupt_endio() */
	};
};

static inline struct inject_pb *inject_pb(struct bio *bio)
{
	return dm_per_bio_data(bio, sizeof(struct inject_pb));
}

/* Run @end_io when the device completes @bio, then dm's own completion. */
static void inject_hook(struct bio *bio, bio_end_io_t *end_io)
{
	inject_pb(bio)->end_io = bio->bi_end_io;
	bio->bi_end_io = end_io;
}

static void inject_unhook_endio(struct bio *bio)
{
	bio->bi_end_io = inject_pb(bio)->end_io;
	bio_endio(bio);
}

/*
 * Copy what map() checks first out of @rs. map() reads these without RCU, so
 * a request racing the change may see a mix of the two sets' fields; every
 * mix still lets through any rule both sets have (each set's span covers
 * it), and a request racing a change may miss a rule being added or see
 * one being removed, as it may under RCU.
 */
static void inject_publish_filter(struct inject_c *ic, const struct inj_ruleset *rs)
{
	unsigned int e;

	for (e = 0; e < INJ_EV_NR; e++) {
		WRITE_ONCE(ic->span[e].lo, rs->ev[e].lo);
		WRITE_ONCE(ic->span[e].hi, rs->ev[e].hi);
	}
	WRITE_ONCE(ic->ev_mask, rs->ev_mask);
}

static struct inj_ruleset *inject_rules(struct inject_c *ic)
{
	return rcu_dereference_protected(ic->rules, lockdep_is_held(&ic->rules_lock));
}

/* Swap in @rs; the old index is freed once no map() can see it. */
static void inject_replace_rules(struct inject_c *ic, struct inj_ruleset *rs)
{
	struct inj_ruleset *old = inject_rules(ic);

	rcu_assign_pointer(ic->rules, rs);
	inject_publish_filter(ic, rs);
	synchronize_rcu();
	inj_ruleset_free(old);
}

static void inject_remap(struct inject_c *ic, struct bio *bio)
{
	bio_set_dev(bio, ic->dev->bdev);
	bio->bi_iter.bi_sector = ic->start + dm_target_offset(ic->ti, bio->bi_iter.bi_sector);
}

static void inject_submit_list(struct bio *bio)
{
	struct bio *next;

	while (bio) {
		next = bio->bi_next;
		bio->bi_next = NULL;
		dm_submit_bio_remap(bio, NULL);
		bio = next;
	}
}

static void inject_damage(u8 *p, u32 len, const struct inject_corrupt *c,
			  struct dmtk_prng *prng)
{
	u32 i;

	for (i = 0; i < len; i++) {
		if (c->mode == INJ_CORRUPT_FLIP)
			p[i] ^= 0xff;
		else if (c->mode == INJ_CORRUPT_ZERO)
			p[i] = 0;
		else if (c->mode == INJ_CORRUPT_SET)
			p[i] = c->value;
		else
			p[i] ^= 1 + dmtk_prng_below(prng, 255);
	}
}

/* Damage [off, off + len) of the data read, as it was mapped. */
static void inject_damage_bio(struct bio *bio, const struct inject_corrupt *c)
{
	u32 off = c->off, end = c->off + c->len, pos = 0;
	struct dmtk_prng prng;
	struct bvec_iter iter;
	struct bio_vec bv;

	dmtk_prng_seed(&prng, c->seed);
	__bio_for_each_segment(bv, bio, iter, c->iter) {
		u32 a = max(off, pos), b = min(end, pos + bv.bv_len);

		if (a < b) {
			u8 *p = bvec_kmap_local(&bv);

			inject_damage(p + (a - pos), b - a, c, &prng);
			kunmap_local(p);
		}
		pos += bv.bv_len;
		if (pos >= end)
			break;
	}
}

/* A request failed after the device did it (when=after), or torn. */
static void inject_status_endio(struct bio *bio)
{
	if (!bio->bi_status)
		bio->bi_status = inject_pb(bio)->status;
	inject_unhook_endio(bio);
}

static void inject_corrupt_endio(struct bio *bio)
{
	struct inject_corrupt *c = inject_pb(bio)->corrupt;

	if (!bio->bi_status && bio_data_dir(bio) == READ)
		inject_damage_bio(bio, c);
	mempool_free(c, c->ic->corrupt_pool);
	inject_unhook_endio(bio);
}

static void inject_bounce_endio(struct bio *bounce)
{
	struct inject_c *ic = container_of(bounce->bi_pool, struct inject_c, bs);
	struct bio *parent = bounce->bi_private;

	if (bounce->bi_status && !parent->bi_status)
		parent->bi_status = bounce->bi_status;
	mempool_free(bounce->bi_io_vec[0].bv_page, ic->bounce_pool);
	bio_put(bounce);
	bio_endio(parent);
}

/*
 * Write the blocks holding the damaged bytes from a bounce copy, the rest
 * straight from the caller's pages, which are never modified. Runs in the
 * worker, one allocation at a time, so the pools always make progress.
 */
static void inject_corrupt_write(struct inject_c *ic, struct bio *bio)
{
	struct inject_corrupt *c = inject_pb(bio)->corrupt;
	unsigned int lbs = bdev_logical_block_size(bio->bi_bdev);
	u32 first, last, done = 0;
	struct bvec_iter iter, it;
	struct bio *head, *bounce;
	struct dmtk_prng prng;
	struct page *page;
	struct bio_vec bv;
	u8 *buf;

	if (ic->opts.align > lbs)
		lbs = ic->opts.align;
	first = round_down(c->off, lbs);
	last = min(round_up(c->off + c->len, lbs), bio->bi_iter.bi_size);

	/*
	 * dm polls only its own clone, @bio: a bio of ours that went to a
	 * poll queue would never be reaped. Nor do ours wait on REQ_NOWAIT:
	 * this is a worker, which may sleep, and EAGAIN here would fail a
	 * request the submitter was told had been queued.
	 */
	if (first) {
		head = bio_split(bio, first >> SECTOR_SHIFT, GFP_NOIO, &ic->bs);
		head->bi_opf &= ~(REQ_POLLED | REQ_NOWAIT);
		bio_chain(head, bio);
		dm_submit_bio_remap(bio, head);
	}

	page = mempool_alloc(ic->bounce_pool, GFP_NOIO);
	buf = page_address(page);
	iter = bio->bi_iter;
	iter.bi_size = last - first;
	__bio_for_each_segment(bv, bio, it, iter) {
		memcpy_from_bvec(buf + done, &bv);
		done += bv.bv_len;
	}
	dmtk_prng_seed(&prng, c->seed);
	inject_damage(buf + c->off - first, min(c->len, done - (c->off - first)), c, &prng);

	bounce = bio_alloc_bioset(bio->bi_bdev, 1, bio->bi_opf & ~(REQ_POLLED | REQ_NOWAIT),
				  GFP_NOIO, &ic->bs);
	bounce->bi_iter.bi_sector = bio->bi_iter.bi_sector;
	__bio_add_page(bounce, page, done, 0);
	bounce->bi_end_io = inject_bounce_endio;
	bounce->bi_private = bio;
	bio_inc_remaining(bio);
	bio_advance(bio, done);
	dm_submit_bio_remap(bio, bounce);

	if (bio->bi_iter.bi_size)
		dm_submit_bio_remap(bio, NULL);
	else
		bio_endio(bio);
}

static enum hrtimer_restart inject_timer_fn(struct hrtimer *timer)
{
	struct inject_c *ic = container_of(timer, struct inject_c, timer);

	queue_work(ic->wq, &ic->work);
	return HRTIMER_NORESTART;
}

/* Caller holds ic->lock. */
static void inject_arm_timer(struct inject_c *ic, ktime_t expires)
{
	if (!hrtimer_is_queued(&ic->timer) ||
	    ktime_before(expires, hrtimer_get_expires(&ic->timer)))
		hrtimer_start(&ic->timer, expires, HRTIMER_MODE_ABS);
}

static void inject_work(struct work_struct *work)
{
	struct inject_c *ic = container_of(work, struct inject_c, work);
	struct bio_list complete, corrupt, delayed, submit;
	ktime_t now = ktime_get(), next = 0;
	struct bio *bio;

	spin_lock_irq(&ic->lock);
	complete = ic->complete;
	corrupt = ic->corrupt;
	submit = ic->release;
	delayed = ic->delayed;
	bio_list_init(&ic->complete);
	bio_list_init(&ic->corrupt);
	bio_list_init(&ic->release);
	bio_list_init(&ic->delayed);
	while ((bio = bio_list_pop(&delayed))) {
		ktime_t expires = inject_pb(bio)->expires;

		if (ktime_after(expires, now)) {
			if (!next || ktime_before(expires, next))
				next = expires;
			bio_list_add(&ic->delayed, bio);
		} else {
			bio_list_add(&submit, bio);
		}
	}
	if (next)
		inject_arm_timer(ic, next);
	spin_unlock_irq(&ic->lock);

	while ((bio = bio_list_pop(&complete))) {
		bio->bi_status = inject_pb(bio)->status;
		bio_endio(bio);
	}
	while ((bio = bio_list_pop(&corrupt)))
		inject_corrupt_write(ic, bio);
	inject_submit_list(bio_list_get(&submit));
}

static void inject_event_work(struct work_struct *work)
{
	struct inject_c *ic = container_of(work, struct inject_c, event_work);

	dm_table_event(ic->ti->table);
}

static void inject_dtr(struct dm_target *ti)
{
	struct inject_c *ic = ti->private;

	hrtimer_cancel(&ic->timer);
	cancel_work_sync(&ic->event_work);
	if (ic->wq)
		destroy_workqueue(ic->wq);
	mempool_destroy(ic->corrupt_pool);
	mempool_destroy(ic->bounce_pool);
	bioset_exit(&ic->bs);
	inj_ruleset_free_all(rcu_dereference_raw(ic->rules));
	if (ic->dev)
		dm_put_device(ti, ic->dev);
	mutex_destroy(&ic->rules_lock);
	kfree(ic);
}

/*
 * A decimal number of the table line or of a message, up to @max.
 * kstrtoull() refuses overflow but takes a leading '+': numbers here are
 * digits only, as in the rule words, so "+1" is as wrong as "0x1".
 */
static int inject_parse_ull(const char *s, unsigned long long max, unsigned long long *v)
{
	if (!isdigit(*s) || kstrtoull(s, 10, v) || *v > max)
		return -EINVAL;
	return 0;
}

static int inject_ctr_rules(struct dm_target *ti, struct inject_c *ic, struct dm_arg_set *as)
{
	static const struct dm_arg _args[] = {
		{0, INJ_MAX_ARGS,
		 "Invalid <#args>: a decimal count up to 4100 of the words that follow"},
	};
	unsigned int lbs = bdev_logical_block_size(ic->dev->bdev);
	struct inj_ruleset *rs;
	struct inj_rule **rules;
	unsigned int nr_args = 0, nr = 0, i;
	unsigned long long n;
	const char *err;
	int r = 0;

	if (as->argc) {
		/* dm core reads the count with sscanf("%u"): 2^32 would be 0 */
		if (inject_parse_ull(as->argv[0], INJ_MAX_ARGS, &n)) {
			ti->error = _args[0].error;
			return -EINVAL;
		}
		r = dm_read_arg_group(_args, as, &nr_args, &ti->error);
		if (r)
			return r;
	}
	rules = kvcalloc(nr_args ?: 1, sizeof(*rules), GFP_KERNEL);
	if (!rules) {
		ti->error = "Cannot allocate rules";
		return -ENOMEM;
	}

	for (i = 0; i < nr_args; i++) {
		const char *word = dm_shift_arg(as);
		struct inj_rule *rule;

		r = inj_parse_word(word, ti->len, &ic->opts, &rule, &err);
		if (r) {
			ti->error = (char *)err;	/* dm core logs it */
			goto out;
		}
		if (!rule)
			continue;
		if (nr == INJ_MAX_RULES) {
			kfree(rule);
			ti->error = "Too many rules: at most 4096";
			r = -EINVAL;
			goto out;
		}
		rule->id = ++ic->next_id;
		rules[nr++] = rule;
	}
	if (as->argc) {
		ti->error = "Unexpected arguments after the option and rule group";
		r = -EINVAL;
		goto out;
	}

	/* the block checks need align: and dust:, which may follow the rules */
	r = inj_opts_fit(&ic->opts, lbs, &err);
	for (i = 0; !r && i < nr; i++) {
		r = inj_rule_fit(rules[i], lbs, ic->opts.align, &err);
		if (!r)
			r = inj_rule_fit_dust(rules[i], ic->opts.dust_bs, ti->len, &err);
	}
	if (r) {
		ti->error = (char *)err;
		goto out;
	}

	rs = inj_ruleset_build(rules, nr);
	if (!rs) {
		ti->error = "Cannot allocate rule index";
		r = -ENOMEM;
		goto out;
	}
	RCU_INIT_POINTER(ic->rules, rs);
	inject_publish_filter(ic, rs);
	nr = 0;
out:
	while (nr)
		kfree(rules[--nr]);
	kvfree(rules);
	return r;
}

static int inject_ctr_opts(struct dm_target *ti, struct inject_c *ic)
{
	sector_t align = ic->opts.align >> SECTOR_SHIFT;
	u32 io_len;

	if (align && ((ti->begin | ti->len | ic->start) & (align - 1))) {
		ti->error = "Target start, length and offset must be multiples of align:";
		return -EINVAL;
	}
	if (ic->opts.align && ic->opts.max_transfer % ic->opts.align) {
		ti->error = "max_transfer: must be a multiple of align:";
		return -EINVAL;
	}
	/*
	 * dust: splits requests at its blocks, as dm-dust does, so that a
	 * write heals or fails one block and the others land.
	 */
	io_len = ic->opts.max_transfer >> SECTOR_SHIFT;
	if (ic->opts.dust_bs && (!io_len || ic->opts.dust_bs >> SECTOR_SHIFT < io_len))
		io_len = ic->opts.dust_bs >> SECTOR_SHIFT;
	if (io_len && dm_set_target_max_io_len(ti, io_len))
		return -EINVAL;
	return 0;
}

/*
 * Construct an inject mapping:
 *   <dev> <offset> [<#args> <arg>...]
 * where each arg is an option <name>:<value> or a rule <type>:<attr>,...
 */
static int inject_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as;
	struct inject_c *ic;
	unsigned long long tmpll;
	sector_t dev_len;
	int r;

	if (argc < 2) {
		ti->error = "Requires <dev> <offset> [<#args> <arg>...]";
		return -EINVAL;
	}

	ic = kzalloc(sizeof(*ic), GFP_KERNEL);
	if (!ic) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ti->private = ic;
	ic->ti = ti;
	ic->md = dm_table_get_md(ti->table);
	mutex_init(&ic->rules_lock);
	spin_lock_init(&ic->lock);
	bio_list_init(&ic->complete);
	bio_list_init(&ic->corrupt);
	bio_list_init(&ic->release);
	bio_list_init(&ic->delayed);
	bio_list_init(&ic->held);
	INIT_WORK(&ic->work, inject_work);
	INIT_WORK(&ic->event_work, inject_event_work);
	hrtimer_init(&ic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	ic->timer.function = inject_timer_fn;

	if (inject_parse_ull(argv[1], (sector_t)~0ULL, &tmpll)) {
		ti->error = "Invalid device offset";
		r = -EINVAL;
		goto bad;
	}
	ic->start = tmpll;

	r = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table), &ic->dev);
	if (r) {
		ti->error = "Device lookup failed";
		goto bad;
	}
	/* written so that no sum can wrap: dm core checks the area later */
	dev_len = bdev_nr_sectors(ic->dev->bdev);
	if (ic->start >= dev_len || ti->len > dev_len - ic->start) {
		ti->error = "Device offset past the end of the device";
		r = -EINVAL;
		goto bad;
	}

	as.argc = argc - 2;
	as.argv = argv + 2;
	r = inject_ctr_rules(ti, ic, &as);
	if (r)
		goto bad;
	r = inject_ctr_opts(ti, ic);
	if (r)
		goto bad;
	inj_engine_init(&ic->eng, ic->opts.seed);
	/* up=/down= windows count from here (and from=resume from each resume) */
	inj_ctr_set(&ic->eng.load_ns, ktime_get_ns());
	inj_ctr_set(&ic->eng.resume_ns, ktime_get_ns());

	r = bioset_init(&ic->bs, 16, 0, BIOSET_NEED_BVECS);
	if (r) {
		ti->error = "Cannot allocate bio set";
		goto bad;
	}
	ic->bounce_pool = mempool_create_page_pool(INJECT_BOUNCE_MIN, INJECT_BOUNCE_ORDER);
	ic->corrupt_pool = mempool_create_kmalloc_pool(INJECT_CORRUPT_MIN,
						       sizeof(struct inject_corrupt));
	if (!ic->bounce_pool || !ic->corrupt_pool) {
		ti->error = "Cannot allocate bounce pools";
		r = -ENOMEM;
		goto bad;
	}
	ic->wq = alloc_workqueue("kinjectd", WQ_MEM_RECLAIM, 0);
	if (!ic->wq) {
		ti->error = "Cannot allocate workqueue";
		r = -ENOMEM;
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct inject_pb);
	return 0;

bad:
	inject_dtr(ti);
	return r;
}

/* The request's event, or INJ_EV_NR for ops no rule can name. */
static inline u8 inject_event(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return INJ_EV_READ;
	case REQ_OP_WRITE:
		return (bio->bi_opf & REQ_PREFLUSH) && !bio_sectors(bio) ?
			INJ_EV_FLUSH : INJ_EV_WRITE;
	case REQ_OP_DISCARD:
		return INJ_EV_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return INJ_EV_WRITE_ZEROES;
	case REQ_OP_ZONE_APPEND:
		return INJ_EV_ZONE_APPEND;
	case REQ_OP_ZONE_RESET:
	case REQ_OP_ZONE_RESET_ALL:
		return INJ_EV_ZONE_RESET;
	case REQ_OP_ZONE_OPEN:
		return INJ_EV_ZONE_OPEN;
	case REQ_OP_ZONE_CLOSE:
		return INJ_EV_ZONE_CLOSE;
	case REQ_OP_ZONE_FINISH:
		return INJ_EV_ZONE_FINISH;
	default:
		return INJ_EV_NR;
	}
}

/*
 * The sectors of @bio as the rules see them. A zone operation carries no
 * data but acts on its zone, reset all (which 6.12 sends to a target that
 * maps every zone) on the whole target; a flush has no sectors.
 */
static void inject_req_span(struct inject_c *ic, struct bio *bio, struct inj_req *req)
{
	struct dm_target *ti = ic->ti;

	if (bio_op(bio) == REQ_OP_ZONE_RESET_ALL) {
		req->sector = 0;
		req->nr_sectors = ti->len;
	} else if (op_is_zone_mgmt(bio_op(bio))) {
		req->sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
		req->nr_sectors = min_t(u64, bdev_zone_sectors(ic->dev->bdev),
					ti->len - req->sector);
	} else {
		req->nr_sectors = bio_sectors(bio);
		req->sector = req->nr_sectors ? dm_target_offset(ti, bio->bi_iter.bi_sector) : 0;
	}
}

static inline u8 inject_req_flags(blk_opf_t opf)
{
	return (opf & REQ_META ? INJ_F_META : 0) | (opf & REQ_FUA ? INJ_F_FUA : 0) |
	       (opf & REQ_PREFLUSH ? INJ_F_PREFLUSH : 0) | (opf & REQ_SYNC ? INJ_F_SYNC : 0);
}

/*
 * Where in @bio a corrupt rule strikes, drawn now so that it is
 * reproducible. The pool's elements all come back when their requests
 * complete, so waiting for one always ends; a REQ_NOWAIT request must not
 * wait, and is failed with BLK_STS_AGAIN if none is free (false).
 */
static bool inject_corrupt_setup(struct inject_c *ic, struct bio *bio,
				 const struct inj_rule *r)
{
	struct inject_corrupt *c;
	struct inject_pb *pb = inject_pb(bio);
	u32 size = bio->bi_iter.bi_size;
	u32 len = min(r->corrupt_bytes, size);

	c = mempool_alloc(ic->corrupt_pool, bio->bi_opf & REQ_NOWAIT ? GFP_NOWAIT : GFP_NOIO);
	if (!c) {
		bio_wouldblock_error(bio);
		return false;
	}

	if (r->corrupt_offset >= 0) {
		c->off = r->corrupt_offset;
		len = min(len, size - c->off);
	} else {
		c->off = inj_engine_below(&ic->eng, size - len + 1);
	}
	c->len = len;
	c->mode = r->corrupt_mode;
	c->value = r->corrupt_value;
	c->seed = inj_engine_next(&ic->eng);
	c->iter = bio->bi_iter;
	c->ic = ic;
	pb->corrupt = c;
	inject_hook(bio, inject_corrupt_endio);
	return true;
}

/*
 * Hold @bio unless the device is suspending; false if not held. A break
 * rule's request keeps @brk, the reference to its rule map() took: the tag
 * is read from there, and nothing is allocated, so no request passes a
 * breakpoint for want of memory.
 */
static bool inject_hold(struct inject_c *ic, struct bio *bio, const struct inj_rule *r,
			struct inj_rule *brk, u8 ev)
{
	struct inject_pb *pb = inject_pb(bio);
	unsigned long flags;
	ktime_t expires = 0;

	if (r->type == INJ_DELAY) {
		/* jitter is at most every class's delay and below 2^31 us */
		u64 us = inj_rule_delay_us(r, ev);

		if (r->jitter_us)
			us = us + inj_engine_below(&ic->eng, 2 * r->jitter_us + 1) - r->jitter_us;
		expires = ktime_add_us(ktime_get(), us);
	}

	spin_lock_irqsave(&ic->lock, flags);
	if (ic->suspending) {
		spin_unlock_irqrestore(&ic->lock, flags);
		if (brk)
			inj_rule_put(brk);
		return false;
	}
	if (r->type == INJ_DELAY) {
		pb->expires = expires;
		bio_list_add(&ic->delayed, bio);
		inject_arm_timer(ic, expires);
	} else {
		pb->brk = brk;
		bio_list_add(&ic->held, bio);
		ic->nr_held++;
	}
	spin_unlock_irqrestore(&ic->lock, flags);

	if (r->type == INJ_BREAK)
		schedule_work(&ic->event_work);
	return true;
}

static void inject_queue(struct inject_c *ic, struct bio_list *list, struct bio *bio)
{
	unsigned long flags;

	spin_lock_irqsave(&ic->lock, flags);
	bio_list_add(list, bio);
	spin_unlock_irqrestore(&ic->lock, flags);
	queue_work(ic->wq, &ic->work);
}

static int inject_act(struct inject_c *ic, struct bio *bio, const struct inj_rule *r,
		      struct inj_rule *brk, u8 ev)
{
	struct inject_pb *pb = inject_pb(bio);

	switch (r->type) {
	case INJ_ERROR:
		pb->status = errno_to_blk_status(-r->err);
		if (r->when == INJ_WHEN_AFTER) {
			inject_hook(bio, inject_status_endio);
			break;
		}
		if (r->when == INJ_WHEN_IMMEDIATELY) {
			bio->bi_status = pb->status;
			bio_endio(bio);
		} else {
			inject_queue(ic, &ic->complete, bio);
		}
		return DM_MAPIO_SUBMITTED;
	case INJ_DELAY:
	case INJ_BREAK:
		inject_remap(ic, bio);
		if (inject_hold(ic, bio, r, brk, ev))
			return DM_MAPIO_SUBMITTED;
		return DM_MAPIO_REMAPPED;
	case INJ_CORRUPT:
		inject_remap(ic, bio);
		if (!inject_corrupt_setup(ic, bio, r))
			return DM_MAPIO_SUBMITTED;
		if (bio_data_dir(bio) == WRITE) {
			inject_queue(ic, &ic->corrupt, bio);
			return DM_MAPIO_SUBMITTED;
		}
		return DM_MAPIO_REMAPPED;
	case INJ_DROP:
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	case INJ_TORN:
		/*
		 * torn_sectors is whole blocks (inj_rule_fit()) and the rule
		 * only matched a longer request, made of whole blocks too.
		 */
		bio_trim(bio, 0, r->torn_sectors);
		pb->status = r->silent ? BLK_STS_OK : errno_to_blk_status(-r->err);
		inject_hook(bio, inject_status_endio);
		break;
	case INJ_MISDIRECT:
		inject_remap(ic, bio);
		bio->bi_iter.bi_sector += r->shift;
		return DM_MAPIO_REMAPPED;
	}
	inject_remap(ic, bio);
	return DM_MAPIO_REMAPPED;
}

/*
 * A rule may act on @req: find it and act. Kept out of line so that map()'s
 * common path carries none of its locals: the rule copy is large, and with
 * CONFIG_INIT_STACK_ALL_ZERO (Debian's kernels have it) the compiler
 * zero-fills every stack variable on entry. Nothing here relies on that:
 * @rule is only read once copied, @req is filled by map() and here.
 */
static noinline int inject_map_rules(struct dm_target *ti, struct bio *bio,
				     struct inj_req *req)
{
	struct inject_c *ic = ti->private;
	struct inj_rule *r, rule, *brk = NULL;

	req->flags = inject_req_flags(bio->bi_opf);
	req->now_ns = ktime_get_ns();
	rcu_read_lock();
	r = inj_evaluate(rcu_dereference(ic->rules), &ic->eng, req, ti->len);
	if (r) {
		rule = *r;	/* a message may free the rule once we unlock */
		/* the set's reference keeps @r alive until we unlock */
		if (r->type == INJ_BREAK) {
			inj_ref_get(&r->ref);
			brk = r;
		}
	}
	rcu_read_unlock();
	if (!r) {
		inject_remap(ic, bio);
		return DM_MAPIO_REMAPPED;
	}

	if (ic->opts.log)
		DMINFO_LIMIT("%s: rule %u %s on %s sector %llu len %llu",
			     dm_device_name(ic->md), rule.id, inj_type_name(rule.type),
			     inj_event_name(req->ev), (unsigned long long)req->sector,
			     (unsigned long long)req->nr_sectors);
	return inject_act(ic, bio, &rule, brk, req->ev);
}

static int inject_map(struct dm_target *ti, struct bio *bio)
{
	struct inject_c *ic = ti->private;
	struct inj_req req;

	req.ev = inject_event(bio);
	/*
	 * The common cases, no rule for this event or none for these sectors,
	 * cost a test or two and no RCU (see inject_publish_filter()).
	 */
	if (likely(req.ev == INJ_EV_NR || !(READ_ONCE(ic->ev_mask) & INJ_EV_BIT(req.ev))))
		goto remap;
	inject_req_span(ic, bio, &req);
	if (inj_span_hit(READ_ONCE(ic->span[req.ev].lo), READ_ONCE(ic->span[req.ev].hi), &req))
		return inject_map_rules(ti, bio, &req);
remap:
	inject_remap(ic, bio);
	return DM_MAPIO_REMAPPED;
}

/* Pass on every held and delayed request: suspend must never wait on a rule. */
static void inject_presuspend(struct dm_target *ti)
{
	struct inject_c *ic = ti->private;
	struct bio_list release = BIO_EMPTY_LIST;
	struct bio *bio;

	spin_lock_irq(&ic->lock);
	ic->suspending = true;
	while ((bio = bio_list_pop(&ic->held))) {
		inj_rule_put(inject_pb(bio)->brk);
		bio_list_add(&release, bio);
	}
	ic->nr_held = 0;
	bio_list_merge(&release, &ic->delayed);
	bio_list_init(&ic->delayed);
	spin_unlock_irq(&ic->lock);

	hrtimer_cancel(&ic->timer);
	inject_submit_list(bio_list_get(&release));
}

static void inject_presuspend_undo(struct dm_target *ti)
{
	struct inject_c *ic = ti->private;

	spin_lock_irq(&ic->lock);
	ic->suspending = false;
	spin_unlock_irq(&ic->lock);
}

/* A resume starts the from=resume windows over. */
static void inject_resume(struct dm_target *ti)
{
	struct inject_c *ic = ti->private;

	inj_ctr_set(&ic->eng.resume_ns, ktime_get_ns());
	inject_presuspend_undo(ti);
}

static void inject_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct inject_c *ic = ti->private;
	struct inj_ruleset *rs;
	unsigned int sz = 0;
	struct bio *bio;
	u32 i;

	switch (type) {
	case STATUSTYPE_INFO:
		rcu_read_lock();
		rs = rcu_dereference(ic->rules);
		spin_lock_irq(&ic->lock);
		DMEMIT("%d %u %u", inj_state_read(&ic->eng.state), rs->nr, ic->nr_held);
		for (i = 0; i < rs->nr; i++)
			DMEMIT(" %u:%lld", rs->rules[i]->id,
			       (long long)inj_ctr_read(&rs->rules[i]->hits));
		bio_list_for_each(bio, &ic->held)
			DMEMIT(" %s", inject_pb(bio)->brk->tag);
		spin_unlock_irq(&ic->lock);
		rcu_read_unlock();
		break;

	case STATUSTYPE_TABLE:
		rcu_read_lock();
		rs = rcu_dereference(ic->rules);
		DMEMIT("%s %llu %u", ic->dev->name, (unsigned long long)ic->start,
		       inj_nr_opts(&ic->opts) + rs->nr);
		if (sz < maxlen)
			sz += inj_format_opts(&ic->opts, result + sz, maxlen - sz);
		for (i = 0; i < rs->nr; i++) {
			DMEMIT(" ");
			if (sz < maxlen)
				sz += inj_format_rule(rs->rules[i], result + sz, maxlen - sz);
		}
		rcu_read_unlock();
		break;

	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int inject_msg_add(struct inject_c *ic, const char *word, char *result,
			  unsigned int maxlen, bool reply)
{
	struct inj_ruleset *old = inject_rules(ic), *rs;
	struct inj_rule **rules, *rule;
	unsigned int sz = 0;
	const char *err;
	int r;

	if (old->nr >= INJ_MAX_RULES) {
		DMERR("%s: add: too many rules: at most %u", dm_device_name(ic->md),
		      INJ_MAX_RULES);
		return -EINVAL;
	}
	r = inj_parse_rule(word, ic->ti->len, &rule, &err);
	if (!r) {
		r = inj_rule_fit(rule, bdev_logical_block_size(ic->dev->bdev), ic->opts.align,
				 &err);
		if (!r)
			r = inj_rule_fit_dust(rule, ic->opts.dust_bs, ic->ti->len, &err);
		if (r)
			kfree(rule);
	}
	if (r) {
		DMERR("%s: add: bad rule '%.80s': %s", dm_device_name(ic->md), word, err);
		return r;
	}
	rules = kvcalloc(old->nr + 1, sizeof(*rules), GFP_KERNEL);
	if (!rules)
		goto nomem;
	memcpy(rules, old->rules, old->nr * sizeof(*rules));
	rules[old->nr] = rule;
	rs = inj_ruleset_build(rules, old->nr + 1);
	kvfree(rules);
	if (!rs)
		goto nomem;
	rule->id = ++ic->next_id;
	inject_replace_rules(ic, rs);
	if (!reply)
		return 0;
	DMEMIT("%u", rule->id);
	return 1;
nomem:
	kfree(rule);
	DMERR("%s: add: out of memory", dm_device_name(ic->md));
	return -ENOMEM;
}

/* Rebuild without the rules @drop selects; they are freed after a grace period. */
static int inject_msg_drop(struct inject_c *ic, bool (*drop)(struct inj_rule *, const void *),
			   const void *arg)
{
	struct inj_ruleset *old = inject_rules(ic), *rs;
	struct inj_rule **keep, **gone;
	u32 i, nk = 0, ng = 0;

	keep = kvcalloc(old->nr ?: 1, sizeof(*keep), GFP_KERNEL);
	gone = kvcalloc(old->nr ?: 1, sizeof(*gone), GFP_KERNEL);
	if (!keep || !gone) {
		kvfree(keep);
		kvfree(gone);
		return -ENOMEM;
	}
	for (i = 0; i < old->nr; i++) {
		if (drop(old->rules[i], arg))
			gone[ng++] = old->rules[i];
		else
			keep[nk++] = old->rules[i];
	}
	if (!ng) {
		kvfree(keep);
		kvfree(gone);
		return -ENOENT;
	}
	rs = inj_ruleset_build(keep, nk);
	kvfree(keep);
	if (!rs) {
		kvfree(gone);
		return -ENOMEM;
	}
	inject_replace_rules(ic, rs);
	/* a rule that still holds requests lives on until they are released */
	while (ng)
		inj_rule_put(gone[--ng]);
	kvfree(gone);
	return 0;
}

static bool drop_by_id(struct inj_rule *r, const void *arg)
{
	return r->id == *(const u32 *)arg;
}

static bool drop_all(struct inj_rule *r, const void *arg)
{
	return true;
}

static bool drop_break(struct inj_rule *r, const void *arg)
{
	return r->type == INJ_BREAK && !strcmp(r->tag, arg);
}

/* Release held requests with @tag (NULL: all); returns how many. */
static unsigned int inject_release(struct inject_c *ic, const char *tag)
{
	struct bio_list held;
	unsigned int n = 0;
	struct bio *bio;

	spin_lock_irq(&ic->lock);
	held = ic->held;
	bio_list_init(&ic->held);
	while ((bio = bio_list_pop(&held))) {
		struct inject_pb *pb = inject_pb(bio);

		if (tag && strcmp(pb->brk->tag, tag)) {
			bio_list_add(&ic->held, bio);
			continue;
		}
		inj_rule_put(pb->brk);
		bio_list_add(&ic->release, bio);
		ic->nr_held--;
		n++;
	}
	spin_unlock_irq(&ic->lock);
	if (n)
		queue_work(ic->wq, &ic->work);
	return n;
}

static void inject_reset(struct inject_c *ic)
{
	struct inj_ruleset *rs = inject_rules(ic);
	u32 i;

	for (i = 0; i < rs->nr; i++) {
		inj_ctr_set(&rs->rules[i]->hits, 0);
		inj_ctr_set(&rs->rules[i]->matches, 0);
		inj_ctr_set(&rs->rules[i]->writes, 0);
	}
	inj_ctr_set(&ic->eng.load_ns, ktime_get_ns());
	inj_ctr_set(&ic->eng.resume_ns, ktime_get_ns());
	spin_lock_irq(&ic->eng.prng_lock);
	dmtk_prng_seed(&ic->eng.prng, ic->opts.seed);
	spin_unlock_irq(&ic->eng.prng_lock);
	inj_state_set(&ic->eng.state, 1);
}

/*
 * dm-dust's messages, as sugar over block= rules: a bad block is the rule
 * "error:event=read,block=<b>,heal=<n>", which a write heals, and a healed
 * rule is a block dm-dust has forgotten. The replies are dm-dust's.
 */
static bool drop_block(struct inj_rule *r, const void *arg)
{
	return r->has_block && r->block == *(const u64 *)arg;
}

static bool drop_all_blocks(struct inj_rule *r, const void *arg)
{
	return r->has_block;
}

static bool inject_is_badblock(const struct inj_rule *r)
{
	return r->has_block && !inj_rule_healed(r);
}

static struct inj_rule *inject_find_badblock(struct inject_c *ic, u64 block)
{
	struct inj_ruleset *rs = inject_rules(ic);
	u32 i;

	for (i = 0; i < rs->nr; i++)
		if (inject_is_badblock(rs->rules[i]) && rs->rules[i]->block == block)
			return rs->rules[i];
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int inject_dust_list(struct inject_c *ic, char *result, unsigned int maxlen)
{
	struct inj_ruleset *rs = inject_rules(ic);
	unsigned int sz = 0;
	u32 i, n = 0;
	u64 *blocks;

	blocks = kvcalloc(rs->nr ?: 1, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	for (i = 0; i < rs->nr; i++)
		if (inject_is_badblock(rs->rules[i]))
			blocks[n++] = rs->rules[i]->block;
	sort(blocks, n, sizeof(*blocks), cmp_u64, NULL);
	for (i = 0; i < n; i++)
		DMEMIT("%llu\n", (unsigned long long)blocks[i]);
	if (!n)
		DMEMIT("No blocks in badblocklist");
	kvfree(blocks);
	return 1;
}

static const char * const dust_msgs[] = {
	"addbadblock", "removebadblock", "queryblock", "clearbadblocks",
	"countbadblocks", "listbadblocks", "enable", "disable", "quiet",
};

/* A dm-dust message; -ENOTTY when @argv[0] is not one. */
static int inject_dust_message(struct inject_c *ic, unsigned int argc, char **argv,
			       char *result, unsigned int maxlen)
{
	const char *name = dm_device_name(ic->md);
	unsigned long long block = 0, cnt = 0;
	u64 spb = ic->opts.dust_bs >> SECTOR_SHIFT;
	char word[64];
	unsigned int i, sz = 0;
	bool takes_block;
	int r;

	for (i = 0; i < ARRAY_SIZE(dust_msgs); i++)
		if (!strcasecmp(argv[0], dust_msgs[i]))
			break;
	if (i == ARRAY_SIZE(dust_msgs))
		return -ENOTTY;
	if (!spb) {
		DMERR("%s: %s: dm-dust's messages need the dust:<block size> option", name,
		      dust_msgs[i]);
		return -EINVAL;
	}
	takes_block = i < 3;
	if (argc != 1 + takes_block + (i == 0 && argc == 3)) {
		if (takes_block && argc == 1)
			DMERR("%s: %s requires an additional argument", name, dust_msgs[i]);
		else
			DMERR("%s: %s: invalid number of arguments '%u'", name, dust_msgs[i], argc);
		return -EINVAL;
	}
	if (takes_block) {
		if (inject_parse_ull(argv[1], U64_MAX, &block)) {
			DMERR("%s: %s: invalid block number '%.32s'", name, dust_msgs[i], argv[1]);
			return -EINVAL;
		}
		/* dm-dust's wording; blocks count from the start of the target */
		if (block >= div64_u64(ic->ti->len + spb - 1, spb)) {
			DMERR("%s: selected block value out of range", name);
			return -EINVAL;
		}
	}
	if (argc == 3 && (inject_parse_ull(argv[2], 255, &cnt))) {
		DMERR("%s: selected write fail count out of range", name);
		return -EINVAL;
	}

	switch (i) {
	case 0:		/* addbadblock <block> [<write fail count>] */
		if (inject_find_badblock(ic, block)) {
			if (!ic->dust_quiet)
				DMERR("%s: dust_add_block: block %llu already in badblocklist",
				      name, block);
			return -EINVAL;
		}
		/* a healed rule for the block is a block dm-dust has forgotten */
		r = inject_msg_drop(ic, drop_block, &block);
		if (r && r != -ENOENT)
			return r;
		snprintf(word, sizeof(word), "error:event=read,block=%llu,heal=%llu", block, cnt);
		r = inject_msg_add(ic, word, result, maxlen, false);
		if (!r && !ic->dust_quiet)
			DMINFO("%s: badblock added at block %llu with write fail count %llu",
			       name, block, cnt);
		return r;
	case 1:		/* removebadblock <block> */
		if (!inject_find_badblock(ic, block)) {
			if (!ic->dust_quiet)
				DMERR("%s: dust_remove_block: block %llu not found in badblocklist",
				      name, block);
			return -EINVAL;
		}
		r = inject_msg_drop(ic, drop_block, &block);
		if (!r && !ic->dust_quiet)
			DMINFO("%s: badblock removed at block %llu", name, block);
		return r;
	case 2:		/* queryblock <block> */
		DMEMIT("dust_query_block: block %llu %sfound in badblocklist", block,
		       inject_find_badblock(ic, block) ? "" : "not ");
		return 1;
	case 3: {	/* clearbadblocks */
		struct inj_ruleset *rs = inject_rules(ic);
		bool any = false;
		u32 j;

		for (j = 0; j < rs->nr; j++)
			any |= inject_is_badblock(rs->rules[j]);
		r = inject_msg_drop(ic, drop_all_blocks, NULL);
		if (r && r != -ENOENT)
			return r;
		DMEMIT("dust_clear_badblocks: %s",
		       any ? "badblocks cleared" : "no badblocks found");
		return 1;
	}
	case 4: {	/* countbadblocks */
		struct inj_ruleset *rs = inject_rules(ic);
		u32 j, n = 0;

		for (j = 0; j < rs->nr; j++)
			n += inject_is_badblock(rs->rules[j]);
		DMEMIT("countbadblocks: %u badblock(s) found", n);
		return 1;
	}
	case 5:		/* listbadblocks */
		return inject_dust_list(ic, result, maxlen);
	case 6:		/* enable */
	case 7:		/* disable */
		DMINFO("%s: %s read failures on bad sectors", name,
		       i == 6 ? "enabling" : "disabling");
		inj_state_set(&ic->eng.dust_on, i == 6);
		return 0;
	default:	/* quiet: toggles, as dm-dust's does */
		ic->dust_quiet = !ic->dust_quiet;
		return 0;
	}
}

static int inject_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct inject_c *ic = ti->private;
	const char *name = dm_device_name(ic->md);
	unsigned long long n;
	int r = -EINVAL;

	if (!argc) {
		DMERR("%s: empty message", name);
		return -EINVAL;
	}

	mutex_lock(&ic->rules_lock);
	r = inject_dust_message(ic, argc, argv, result, maxlen);
	if (r != -ENOTTY) {
		if (r == -ENOMEM)
			DMERR("%s: %s: out of memory", name, argv[0]);
		goto out;
	}
	r = -EINVAL;
	if (!strcasecmp(argv[0], "add") && argc == 2) {
		r = inject_msg_add(ic, argv[1], result, maxlen, true);
	} else if (!strcasecmp(argv[0], "remove") && argc == 2) {
		u32 id;

		if (inject_parse_ull(argv[1], U32_MAX, &n) || !n) {
			DMERR("%s: remove: invalid rule id '%.32s'", name, argv[1]);
			goto out;
		}
		id = n;
		r = inject_msg_drop(ic, drop_by_id, &id);
		if (r == -ENOENT)
			DMERR("%s: remove: no rule with id %u", name, id);
	} else if (!strcasecmp(argv[0], "clear") && argc == 1) {
		r = inject_msg_drop(ic, drop_all, NULL);
		if (r == -ENOENT)
			r = 0;
	} else if (!strcasecmp(argv[0], "state") && argc == 2) {
		if (inject_parse_ull(argv[1], INT_MAX, &n) || !n) {
			DMERR("%s: state: must be 1..2147483647, not '%.32s'", name, argv[1]);
			goto out;
		}
		inj_state_set(&ic->eng.state, (int)n);
		r = 0;
	} else if (!strcasecmp(argv[0], "resume") && argc == 2) {
		bool all = !strcmp(argv[1], "all");

		if (!inject_release(ic, all ? NULL : argv[1]) && !all) {
			DMERR("%s: resume: no request held with tag '%.32s'", name, argv[1]);
			goto out;
		}
		r = 0;
	} else if (!strcasecmp(argv[0], "remove_break") && argc == 2) {
		r = inject_msg_drop(ic, drop_break, argv[1]);
		if (r == -ENOENT) {
			DMERR("%s: remove_break: no break rule with tag '%.32s'", name, argv[1]);
			goto out;
		}
		if (!r)
			inject_release(ic, argv[1]);
	} else if (!strcasecmp(argv[0], "reset") && argc == 1) {
		inject_reset(ic);
		r = 0;
	} else {
		DMERR("%s: unknown message '%.32s' or wrong argument count (%u)",
		      name, argv[0], argc);
		goto out;
	}
	if (r == -ENOMEM)
		DMERR("%s: %s: out of memory", name, argv[0]);
	else if (r == -ENOENT)
		r = -EINVAL;
out:
	mutex_unlock(&ic->rules_lock);
	return r;
}

static int inject_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				  void *data)
{
	struct inject_c *ic = ti->private;

	return fn(ti, ic->dev, ic->start, ti->len, data);
}

/*
 * blkdebug's discard and write-zeroes geometry: the options cap what the
 * device takes (a device without discard or write zeroes keeps 0) and
 * coarsen the discard granularity; the block layer splits requests by them.
 */
static void inject_geometry_hints(const struct inj_opts *o, struct queue_limits *limits)
{
	if (o->max_discard) {
		unsigned int sectors = o->max_discard >> SECTOR_SHIFT;

		limits->max_discard_sectors = min(limits->max_discard_sectors, sectors);
		limits->max_hw_discard_sectors = min(limits->max_hw_discard_sectors, sectors);
	}
	if (o->discard_granularity)
		limits->discard_granularity = max(limits->discard_granularity,
						  o->discard_granularity);
	if (o->max_write_zeroes)
		limits->max_write_zeroes_sectors = min(limits->max_write_zeroes_sectors,
						       o->max_write_zeroes >> SECTOR_SHIFT);
}

static void inject_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	struct inject_c *ic = ti->private;

	if (ic->opts.max_transfer) {
		unsigned int sectors = ic->opts.max_transfer >> SECTOR_SHIFT;

		limits->max_hw_sectors = min(limits->max_hw_sectors, sectors);
		limits->max_sectors = min(limits->max_sectors, sectors);
	}
	if (ic->opts.align) {
		limits->logical_block_size = max(limits->logical_block_size, ic->opts.align);
		limits->physical_block_size = max(limits->physical_block_size, ic->opts.align);
		limits->io_min = max(limits->io_min, ic->opts.align);
	}
	inject_geometry_hints(&ic->opts, limits);
}

/*
 * ioctls the block layer does not handle itself (SG_IO, NVMe passthrough,
 * persistent reservations) go to the device, past every rule, and only when
 * the target maps all of it; on a part of it dm core requires CAP_SYS_RAWIO.
 */
static int inject_prepare_ioctl(struct dm_target *ti, struct block_device **bdev)
{
	struct inject_c *ic = ti->private;

	*bdev = ic->dev->bdev;
	if (ic->start || ti->len != bdev_nr_sectors(*bdev))
		return 1;
	return 0;
}

#ifdef CONFIG_BLK_DEV_ZONED
static int inject_report_zones(struct dm_target *ti, struct dm_report_zones_args *args,
			       unsigned int nr_zones)
{
	struct inject_c *ic = ti->private;

	return dm_report_zones(ic->dev->bdev, ic->start,
			       ic->start + dm_target_offset(ti, args->next_sector),
			       args, nr_zones);
}
#else
#define inject_report_zones NULL
#endif

static struct target_type inject_target = {
	.name		 = "inject",
	.version	 = {1, 1, 0},
	/*
	 * map() never sleeps on a REQ_NOWAIT request (see
	 * inject_corrupt_setup()): io_uring, and polled I/O, which always
	 * carries REQ_NOWAIT, reach the target.
	 */
	.features	 = DM_TARGET_NOWAIT | DM_TARGET_ZONED_HM,
	.module		 = THIS_MODULE,
	.ctr		 = inject_ctr,
	.dtr		 = inject_dtr,
	.map		 = inject_map,
	.presuspend	 = inject_presuspend,
	.presuspend_undo = inject_presuspend_undo,
	.resume		 = inject_resume,
	.status		 = inject_status,
	.message	 = inject_message,
	.iterate_devices = inject_iterate_devices,
	.io_hints	 = inject_io_hints,
	.prepare_ioctl	 = inject_prepare_ioctl,
	.report_zones	 = inject_report_zones,
};

static int __init dm_inject_init(void)
{
	int r = dm_register_target(&inject_target);

	if (r < 0)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_inject_exit(void)
{
	dm_unregister_target(&inject_target);
}

module_init(dm_inject_init);
module_exit(dm_inject_exit);

MODULE_DESCRIPTION(DM_NAME " rule-based I/O fault injection target");
MODULE_AUTHOR("dm-testkit");
MODULE_LICENSE("GPL");
