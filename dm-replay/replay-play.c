// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replay, play mode: read the completion order a recording logged when
 * the table is loaded, pass all I/O through to the data device, and hold
 * each completion until every completion recorded before it has been
 * delivered, so a concurrent workload completes in the recorded order.
 */
#include <linux/vmalloc.h>

#include "replay.h"

const char * const replay_play_state_names[] = {
	[PLAY_PLAYING] = "playing",
	[PLAY_DIVERGED] = "diverged",
	[PLAY_DONE] = "done",
};

/* Play mode: reading the recorded completion order at construction. */
static int replay_read_log(struct replay_c *rc, struct page *page, sector_t sector,
			   unsigned int bytes)
{
	struct bio *bio;
	int r;

	bio = replay_log_bio(rc, 1, REQ_OP_READ, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	__bio_add_page(bio, page, bytes, 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	return r;
}

/* Decode the records of a completion entry into @recs. */
static int replay_play_load_entry(struct replay_c *rc, struct page *page, sector_t pos,
				  const struct dmr_rec *rec, struct dmr_crec *recs, char **error)
{
	const struct dmr_comp *raw = page_address(page);
	u32 i;
	int r;

	r = replay_read_log(rc, page, pos + rc->block_sectors,
			    round_up(rec->data_sectors, rc->block_sectors) << SECTOR_SHIFT);
	if (r) {
		*error = "Reading the log failed";
		return r;
	}
	if (dmr_crc32c(raw, (size_t)rec->data_sectors << SECTOR_SHIFT) != rec->data_crc) {
		*error = "Damaged log: completion records fail their checksum";
		return -EINVAL;
	}
	for (i = 0; i < rec->nr_sectors; i++) {
		if (dmr_comp_decode(&raw[i], &recs[i])) {
			*error = "Damaged log: invalid completion record";
			return -EINVAL;
		}
	}
	return 0;
}

/* What replay_play_walk() counts, or where it loads what it finds. */
struct replay_play_walk {
	u64 nr_recs;			/* records of completion entries */
	u64 nr;				/* completions in all */
	struct dmr_crec *recs;		/* load: those records, in order */
	struct dmr_crec *order;		/* load: entries that are their own record */
	u8 *taken;			/* load: places of those in @order */
};

/*
 * Walk the log's entries: count the completions (@w->recs NULL), or load
 * them. Entries the superblock counts must all be valid; after them the
 * first invalid header ends the log, as for the dmreplay tool.
 */
static int replay_play_walk(struct replay_c *rc, const struct dmr_sb *sb, struct page *page,
			    struct replay_play_walk *w, char **error)
{
	sector_t end = min_t(sector_t, sb->log_sectors, bdev_nr_sectors(rc->logdev->bdev));
	sector_t pos = rc->block_sectors;
	u64 idx, n = 0, nr_recs = 0;
	bool load = w->recs;
	struct dmr_rec rec;
	enum dmr_err e;
	int r;

	for (idx = 0; pos + rc->block_sectors <= end; idx++) {
		r = replay_read_log(rc, page, pos, rc->block_size);
		if (r) {
			*error = "Reading the log failed";
			return r;
		}
		e = dmr_entry_decode(page_address(page), sb->log_id, idx, &rec);
		if (e && idx < sb->nr_entries) {
			*error = "Damaged log: a committed entry header is invalid";
			return -EINVAL;
		}
		if (e)
			break;
		if (rec.type == DMR_TYPE_COMPLETIONS) {
			if (rec.sector != nr_recs) {
				*error = "Damaged log: completion records out of order";
				return -EINVAL;
			}
			if (load && nr_recs + rec.nr_sectors > w->nr_recs) {
				*error = "Damaged log: the log changed while read";
				return -EINVAL;
			}
			if (load) {
				r = replay_play_load_entry(rc, page, pos, &rec,
							   w->recs + nr_recs, error);
				if (r)
					return r;
			}
			nr_recs += rec.nr_sectors;
			n += rec.nr_sectors;
		} else if (rec.type == DMR_TYPE_IO && (rec.flags & DMR_F_COMPLETED)) {
			struct dmr_crec c;

			dmr_entry_crec(&rec, &c);
			if (load && !dmr_comp_place(w->order, w->taken, w->nr, rec.comp_seq, &c)) {
				*error = "Damaged log: a completion recorded twice";
				return -EINVAL;
			}
			n++;
		}
		if (n > REPLAY_PLAY_MAX_RECORDS) {
			*error = "Too many completion records (above 4194304)";
			return -E2BIG;
		}
		pos += dmr_entry_log_sectors(rc->block_size, rec.data_sectors);
	}
	if (load && (n != w->nr || nr_recs != w->nr_recs)) {
		*error = "Damaged log: the log changed while read";
		return -EINVAL;
	}
	w->nr = n;
	w->nr_recs = nr_recs;
	return 0;
}

/* The recorded completion order, up to the first completion whose place is unknown. */
static int replay_play_load_order(struct replay_c *rc, const struct dmr_sb *sb,
				  struct page *page, char **error)
{
	struct replay_play *p = &rc->play;
	struct replay_play_walk w = { };
	int r;

	r = replay_play_walk(rc, sb, page, &w, error);
	if (r)
		return r;
	if (!w.nr) {
		*error = "The log holds no completion records";
		return -EINVAL;
	}
	r = -ENOMEM;
	*error = "Cannot allocate memory for the completion records";
	p->recs = kvmalloc_array(w.nr, sizeof(*p->recs), GFP_KERNEL);
	p->claimed = kvcalloc(BITS_TO_LONGS(w.nr), sizeof(unsigned long), GFP_KERNEL);
	p->done = kvcalloc(BITS_TO_LONGS(w.nr), sizeof(unsigned long), GFP_KERNEL);
	w.recs = kvmalloc_array(w.nr_recs ?: 1, sizeof(*w.recs), GFP_KERNEL);
	w.taken = kvzalloc(w.nr, GFP_KERNEL);
	w.order = p->recs;
	if (!p->recs || !p->claimed || !p->done || !w.recs || !w.taken)
		goto out;
	r = replay_play_walk(rc, sb, page, &w, error);
	if (r)
		goto out;
	p->nr = dmr_comp_fill(p->recs, w.taken, w.nr, w.recs, w.nr_recs);
	if (p->nr < w.nr)
		DMWARN("%s: completion %llu of %llu was not recorded: playing the %llu before it",
		       rc->logdev->name, p->nr, w.nr, p->nr);
	r = 0;
	if (!p->nr) {
		*error = "The log holds no completion records";
		r = -EINVAL;
	}
out:
	kvfree(w.recs);
	kvfree(w.taken);
	return r;
}

int replay_play_load(struct replay_c *rc, char **error)
{
	struct page *page;
	struct dmr_sb sb;
	enum dmr_err e;
	int r;

	page = alloc_page(GFP_KERNEL);
	if (!page) {
		*error = "Cannot allocate memory";
		return -ENOMEM;
	}
	r = replay_read_log(rc, page, 0, rc->block_size);
	if (r) {
		*error = "Reading the log superblock failed";
		goto out;
	}
	r = -EINVAL;
	e = dmr_super_decode(page_address(page), &sb);
	if (e == DMR_E_MAGIC) {
		*error = "The log device holds no dm-replay log";
		goto out;
	}
	if (e == DMR_E_VERSION) {
		*error = "Unsupported log version";
		goto out;
	}
	if (e) {
		*error = "Damaged log superblock";
		goto out;
	}
	if (sb.block_size != rc->block_size) {
		*error = "Log block size differs from the log device's block size";
		goto out;
	}
	r = replay_play_load_order(rc, &sb, page, error);
out:
	__free_page(page);
	return r;
}

static void replay_play_free(struct replay_play *p)
{
	kvfree(p->recs);
	kvfree(p->claimed);
	kvfree(p->done);
}

/* Play mode: delivering completions in the recorded order. */

/* Mark entry @idx delivered and move @next past delivered entries. */
static void replay_play_done_locked(struct replay_play *p, u64 idx)
{
	__set_bit(idx, p->done);
	while (p->next < p->nr && test_bit(p->next, p->done))
		p->next++;
	if (p->next == p->nr && p->state == PLAY_PLAYING) {
		p->state = PLAY_DONE;
		p->enforcing = false;
	}
}

/* Queue @pb for delivery after whatever is queued before it. */
static void replay_play_release_locked(struct replay_play *p, struct replay_bio *pb)
{
	list_move_tail(&pb->list, &p->release);
	replay_play_done_locked(p, pb->idx);
}

/* Held completions whose turn has come go to the release list, in order. */
static void replay_play_pull_locked(struct replay_play *p)
{
	struct replay_bio *pb;
	bool found = true;

	while (found && p->next < p->nr) {
		found = false;
		list_for_each_entry(pb, &p->held, list) {
			if (pb->idx == p->next) {
				replay_play_release_locked(p, pb);
				found = true;
				break;
			}
		}
	}
}

static void replay_play_release_all_locked(struct replay_play *p)
{
	struct replay_bio *pb, *tmp;

	list_for_each_entry_safe(pb, tmp, &p->held, list)
		replay_play_release_locked(p, pb);
}

/* Start delivering the release list, with p->lock held. */
static void replay_play_kick_locked(struct replay_play *p)
{
	if (!list_empty(&p->release) && !p->releasing) {
		p->releasing = true;
		queue_work(p->wq, &p->release_work);
	}
}

static void replay_play_release_work(struct work_struct *work)
{
	struct replay_play *p = container_of(work, struct replay_play, release_work);
	struct replay_bio *pb;

	for (;;) {
		spin_lock_irq(&p->lock);
		pb = list_first_entry_or_null(&p->release, struct replay_bio, list);
		if (!pb) {
			p->releasing = false;
			spin_unlock_irq(&p->lock);
			return;
		}
		list_del_init(&pb->list);
		pb->play = PB_RELEASED;
		spin_unlock_irq(&p->lock);
		/* dm's clone end_io runs again and completes it upwards. */
		bio_endio(dm_bio_from_per_bio_data(pb, sizeof(struct replay_bio)));
	}
}

static void replay_play_event_work(struct work_struct *work)
{
	struct replay_c *rc = container_of(work, struct replay_c, play.event_work);

	dm_table_event(rc->ti->table);
}

static void replay_play_timeout_work(struct work_struct *work)
{
	struct replay_c *rc = container_of(to_delayed_work(work), struct replay_c,
					   play.timeout_work);
	struct replay_play *p = &rc->play;
	unsigned int held = 0;
	struct replay_bio *pb;
	struct dmr_crec c;
	u64 next;

	spin_lock_irq(&p->lock);
	if (!p->enforcing || list_empty(&p->held)) {
		spin_unlock_irq(&p->lock);
		return;
	}
	if (p->next != p->timer_next) {
		/* Progress since the timer was armed: wait again. */
		p->timer_next = p->next;
		queue_delayed_work(p->wq, &p->timeout_work, msecs_to_jiffies(p->timeout_ms));
		spin_unlock_irq(&p->lock);
		return;
	}
	next = p->next;
	c = p->recs[next];
	list_for_each_entry(pb, &p->held, list)
		held++;
	if (p->state == PLAY_PLAYING) {
		p->state = PLAY_DIVERGED;
		p->diverged_at = next;
	}
	p->enforcing = false;
	replay_play_release_all_locked(p);
	replay_play_kick_locked(p);
	spin_unlock_irq(&p->lock);

	DMERR_LIMIT("%s: stalled at entry %llu (%s %llu+%u) for %u ms: released %u, unordered now",
		    rc->dev->name, next, dmr_comp_op_str(c.op), c.sector, c.nr_sectors,
		    p->timeout_ms, held);
	dm_table_event(rc->ti->table);
}

/*
 * Match a request to the first unclaimed entry with its operation, sector
 * and length, at most REPLAY_PLAY_WINDOW entries past the first unclaimed
 * one. No match is a divergence.
 */
int replay_play_map(struct replay_c *rc, struct bio *bio, struct replay_bio *pb)
{
	struct replay_play *p = &rc->play;
	bool first, kill;
	struct dmr_crec want;
	u64 i, end, at;

	if (!replay_bio_crec(bio, &pb->crec))
		return DM_MAPIO_REMAPPED;
	spin_lock_irq(&p->lock);
	/* Requests after the last recorded one pass through. */
	if (!p->enforcing || p->scan >= p->nr) {
		spin_unlock_irq(&p->lock);
		return DM_MAPIO_REMAPPED;
	}
	end = min_t(u64, p->nr, p->scan + REPLAY_PLAY_WINDOW);
	for (i = p->scan; i < end; i++)
		if (!test_bit(i, p->claimed) && dmr_comp_match(&p->recs[i], &pb->crec))
			break;
	if (i < end) {
		__set_bit(i, p->claimed);
		pb->idx = i;
		pb->play = PB_MATCHED;
		while (p->scan < p->nr && test_bit(p->scan, p->claimed))
			p->scan++;
		spin_unlock_irq(&p->lock);
		return DM_MAPIO_REMAPPED;
	}

	at = p->scan;
	want = p->recs[at];
	first = p->state == PLAY_PLAYING;
	if (first) {
		p->state = PLAY_DIVERGED;
		p->diverged_at = at;
	}
	kill = p->fail_on_divergence;
	if (!kill) {
		p->enforcing = false;
		replay_play_release_all_locked(p);
		replay_play_kick_locked(p);
	}
	spin_unlock_irq(&p->lock);
	if (first) {
		DMERR_LIMIT("%s: diverged at entry %llu: expected %s %llu+%u, got %s %llu+%u; %s",
			    rc->dev->name, at, dmr_comp_op_str(want.op), want.sector,
			    want.nr_sectors, dmr_comp_op_str(pb->crec.op), pb->crec.sector,
			    pb->crec.nr_sectors,
			    kill ? "failing unmatched requests" : "passing everything through");
		schedule_work(&p->event_work);
	}
	return kill ? DM_MAPIO_KILL : DM_MAPIO_REMAPPED;
}

int replay_play_end_io(struct replay_c *rc, struct replay_bio *pb)
{
	struct replay_play *p = &rc->play;
	unsigned long flags;
	int r = DM_ENDIO_DONE;

	if (pb->play != PB_MATCHED)
		return DM_ENDIO_DONE;
	spin_lock_irqsave(&p->lock, flags);
	if (!p->enforcing || p->bypass) {
		replay_play_done_locked(p, pb->idx);
	} else if (pb->idx != p->next) {
		pb->play = PB_HELD;
		list_add_tail(&pb->list, &p->held);
		if (p->timeout_ms && !delayed_work_pending(&p->timeout_work)) {
			p->timer_next = p->next;
			queue_delayed_work(p->wq, &p->timeout_work,
					   msecs_to_jiffies(p->timeout_ms));
		}
		r = DM_ENDIO_INCOMPLETE;
	} else {
		list_add_tail(&pb->list, &p->release);
		replay_play_done_locked(p, pb->idx);
		replay_play_pull_locked(p);
		if (list_is_singular(&p->release) && !p->releasing) {
			/* Its turn, nothing before it: complete it now. */
			list_del_init(&pb->list);
		} else {
			pb->play = PB_HELD;
			replay_play_kick_locked(p);
			r = DM_ENDIO_INCOMPLETE;
		}
	}
	spin_unlock_irqrestore(&p->lock, flags);
	return r;
}

int replay_play_init(struct replay_c *rc, char **error)
{
	struct replay_play *p = &rc->play;

	INIT_LIST_HEAD(&p->held);
	INIT_LIST_HEAD(&p->release);
	INIT_WORK(&p->release_work, replay_play_release_work);
	INIT_WORK(&p->event_work, replay_play_event_work);
	INIT_DELAYED_WORK(&p->timeout_work, replay_play_timeout_work);
	p->wq = alloc_workqueue("kdmreplay-play", WQ_MEM_RECLAIM, 1);
	if (!p->wq) {
		*error = "Cannot allocate the workqueue";
		return -ENOMEM;
	}
	p->state = PLAY_PLAYING;
	p->enforcing = true;
	return 0;
}

void replay_play_exit(struct replay_play *p)
{
	cancel_delayed_work_sync(&p->timeout_work);
	cancel_work_sync(&p->event_work);
	destroy_workqueue(p->wq);
	replay_play_free(p);
}

/* A held completion must never hold up a suspend. */
void replay_play_presuspend(struct replay_c *rc)
{
	struct replay_play *p = &rc->play;

	spin_lock_irq(&p->lock);
	p->bypass = true;
	replay_play_release_all_locked(p);
	replay_play_kick_locked(p);
	spin_unlock_irq(&p->lock);
}

void replay_play_preresume(struct replay_c *rc)
{
	spin_lock_irq(&rc->play.lock);
	rc->play.bypass = false;
	spin_unlock_irq(&rc->play.lock);
}
