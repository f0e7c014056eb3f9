// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replay, record mode: pass all I/O through to the data device and
 * write every write, with its data, every flush, FUA, discard and
 * write_zeroes, named marks and the completion order to the log device
 * (format: include/dm-replay-log.h).
 *
 * Ordering. A write is queued for the log when it completes. A flush gets
 * its slot in the queue when it is submitted, so every write that completed
 * before it comes before it in the log, and every write that completed
 * after it was submitted comes after it: replaying up to a flush entry
 * gives the least the device must hold after that flush. The writer thread
 * writes the queue in order and waits at a flush until the flush completes.
 *
 * Durability. A flush or FUA write completes upwards only after the writer
 * has committed it: its entry, every entry before it and the superblock
 * counting them are on the log device (end_io returns DM_ENDIO_INCOMPLETE,
 * the writer ends the request after the commit). The completion entry
 * being filled is sealed and queued with it, so the completion order is
 * durable too.
 *
 * Bounds. A write's log space is reserved when it is mapped, so a logged
 * write always fits and a full log is known before the write is passed on.
 * Its data is copied into pages at map time (its CRC computed on the way);
 * the pages held by queued entries are capped (max_pending_mb), and map
 * waits for room. Pages and entries the log is done with are kept for
 * reuse, up to a quarter of max_pending_mb of pages: the kernel may zero
 * every page and object it hands out (init_on_alloc, the default of
 * Debian's kernels, among others), which would cost a 4 KiB write the
 * zeroing of some 10 KiB. A cached entry keeps its pages, so the next
 * write of its size takes them without a list operation each, and its
 * header block, zero past the header, is not zeroed again (512 bytes of
 * memset, some 4 % of a 4 KiB write's instructions). Nothing else cached
 * is read before it is written.
 *
 * Batching. Completions only queue entries; the writer is woken when the
 * queue goes from empty to busy, when a flush or mark needs the log, or
 * when a quarter of max_pending_mb is queued. It then gathers for one tick
 * and writes the whole batch under one plug, coalescing consecutive
 * entries into bios of up to BIO_MAX_VECS pages, so the cost of a wake-up
 * and a bio is shared by many writes.
 *
 * Completion order. Every request (reads too) gets the next completion
 * sequence number when it completes. A write, flush, discard or
 * write_zeroes that completed and is logged carries it in its entry, which
 * stands for its completion record; any other completion gets a 16-byte
 * record, packed DMR_COMP_PER_ENTRY to a log entry. A record slot is
 * promised at map time (and given back when the entry carries the
 * completion), so end_io never allocates.
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/random.h>

#include "replay.h"

const char * const replay_state_names[] = {
	[DMR_STATE_LOGGING] = "logging",
	[DMR_STATE_FULL] = "full",
	[DMR_STATE_FAILED] = "failed",
};

/*
 * Record-mode targets, to find the ones on the same log device: a
 * recording that starts there supersedes them (a reloaded table, or a
 * second device on the same log), and a superseded one never writes the
 * log again, so it cannot clobber the newer recording's superblock.
 */
static DEFINE_MUTEX(replay_recordings_lock);
static LIST_HEAD(replay_recordings);

/* A mempool below its reserve: a drawer may be waiting in mempool_alloc(). */
static bool replay_pool_low(mempool_t *pool)
{
	return READ_ONCE(pool->curr_nr) < pool->min_nr;
}

/*
 * Give back an entry's pages and the entry, with rc->cache_lock held: to
 * the mempools first while they are below their reserve (a drawer waiting
 * there is woken only by mempool_free(), and the reserve is the
 * forward-progress guarantee under memory pressure), then to the caches
 * while they have room. A cached entry keeps its pages when they fit (they
 * count among the cached pages): the next entry of the same size takes
 * them with it, and its header block, zero past the header that
 * dmr_entry_encode() wrote, need not be zeroed again.
 */
static unsigned int replay_entry_put_locked(struct replay_c *rc, struct replay_entry *e)
{
	unsigned int i = 0, nr = e->nr_pages;
	bool keep;

	lockdep_assert_held(&rc->cache_lock);
	/* An entry per page at most is ever needed. */
	keep = !replay_pool_low(&rc->entry_pool) && rc->nr_cached_entries < rc->batch_pages / 2;
	e->nr_kept = 0;
	if (keep) {
		list_add(&e->list, &rc->entry_cache);
		rc->nr_cached_entries++;
		if (!replay_pool_low(&rc->page_pool) &&
		    rc->nr_cached_pages + nr <= rc->batch_pages) {
			i = nr;
			e->nr_kept = nr;
			rc->nr_cached_pages += nr;
		}
	}
	for (; i < nr; i++) {
		if (!replay_pool_low(&rc->page_pool) && rc->nr_cached_pages < rc->batch_pages) {
			list_add(&e->pages[i]->lru, &rc->page_cache);
			rc->nr_cached_pages++;
		} else {
			mempool_free(e->pages[i], &rc->page_pool);
		}
	}
	if (!e->nr_kept)
		e->hdr_zero = false;
	if (!keep)
		mempool_free(e, &rc->entry_pool);
	return nr;
}

static unsigned int replay_entry_put(struct replay_c *rc, struct replay_entry *e)
{
	unsigned long flags;
	unsigned int nr;

	spin_lock_irqsave(&rc->cache_lock, flags);
	nr = replay_entry_put_locked(rc, e);
	spin_unlock_irqrestore(&rc->cache_lock, flags);
	return nr;
}

/*
 * Take an entry and up to @nr of the pages it needs from the caches: the
 * pages the entry kept first, the surplus of them back to the page cache.
 */
static struct replay_entry *replay_cache_get(struct replay_c *rc, unsigned int nr,
					     unsigned int *got)
{
	struct replay_entry *e;
	struct page *page;
	unsigned int i;

	*got = 0;
	spin_lock_irq(&rc->cache_lock);
	e = list_first_entry_or_null(&rc->entry_cache, struct replay_entry, list);
	if (e) {
		list_del(&e->list);
		rc->nr_cached_entries--;
		*got = min(e->nr_kept, nr);
		for (i = *got; i < e->nr_kept; i++)
			list_add(&e->pages[i]->lru, &rc->page_cache);
		rc->nr_cached_pages -= *got;
		while (*got < nr && !list_empty(&rc->page_cache)) {
			page = list_first_entry(&rc->page_cache, struct page, lru);
			list_del(&page->lru);
			rc->nr_cached_pages--;
			e->pages[(*got)++] = page;
		}
	}
	spin_unlock_irq(&rc->cache_lock);
	if (e && !*got)
		e->hdr_zero = false;
	return e;
}

static void replay_cache_free(struct replay_c *rc)
{
	struct replay_entry *e, *etmp;
	struct page *page, *ptmp;
	unsigned int i;

	list_for_each_entry_safe(page, ptmp, &rc->page_cache, lru)
		__free_page(page);
	list_for_each_entry_safe(e, etmp, &rc->entry_cache, list) {
		for (i = 0; i < e->nr_kept; i++)
			__free_page(e->pages[i]);
		mempool_free(e, &rc->entry_pool);
	}
	INIT_LIST_HEAD(&rc->page_cache);
	INIT_LIST_HEAD(&rc->entry_cache);
	rc->nr_cached_pages = 0;
	rc->nr_cached_entries = 0;
}

/* The wake-ups are made under rc->lock, for replay_wait_idle(). */
static void replay_pages_done(struct replay_c *rc, unsigned int pages, unsigned int entries)
{
	unsigned long flags;

	spin_lock_irqsave(&rc->lock, flags);
	rc->pending_pages -= pages;
	wake_up(&rc->space_wait);
	if (atomic_sub_return(entries, &rc->live) <= rc->comp_parked)
		wake_up(&rc->idle_wait);
	spin_unlock_irqrestore(&rc->lock, flags);
}

static void replay_entry_free(struct replay_c *rc, struct replay_entry *e)
{
	replay_pages_done(rc, replay_entry_put(rc, e), 1);
}

/* Entries still to be written: all but the parked completion entries. */
static bool replay_idle(struct replay_c *rc)
{
	return atomic_read(&rc->live) == READ_ONCE(rc->comp_parked);
}

/* Make the writer write what is queued now, without gathering. */
static void replay_kick(struct replay_c *rc)
{
	unsigned long flags;

	spin_lock_irqsave(&rc->lock, flags);
	rc->urgent = true;
	rc->writer_idle = false;
	spin_unlock_irqrestore(&rc->lock, flags);
	wake_up_process(rc->writer);
}

/*
 * Write out everything queued and wait until it is on the log. The entry
 * that made the target idle may still be in replay_pages_done(): taking
 * rc->lock waits for it to be out, so the caller may then free the target.
 */
static void replay_wait_idle(struct replay_c *rc)
{
	replay_kick(rc);
	wait_event(rc->idle_wait, replay_idle(rc));
	spin_lock_irq(&rc->lock);
	spin_unlock_irq(&rc->lock);
}

static bool replay_take_pages(struct replay_c *rc, unsigned int nr)
{
	bool ok;

	spin_lock_irq(&rc->lock);
	ok = rc->pending_pages + nr <= rc->max_pending_pages;
	if (ok)
		rc->pending_pages += nr;
	spin_unlock_irq(&rc->lock);
	return ok;
}

/* An entry and up to @nr of its pages from the caches, else from the entry pool. */
static struct replay_entry *replay_entry_get(struct replay_c *rc, unsigned int nr_pages,
					     unsigned int *got)
{
	struct replay_entry *e;

	e = replay_cache_get(rc, nr_pages, got);
	if (!e) {
		e = mempool_alloc(&rc->entry_pool, GFP_NOIO);
		e->hdr_zero = false;
	}
	memset(e, 0, offsetof(struct replay_entry, pages));
	e->rc = rc;
	e->nr_pages = nr_pages;
	e->ready = true;
	atomic_inc(&rc->live);
	return e;
}

/* The pages of @e from @from on: from the page allocator, else from the pool. */
static unsigned int replay_entry_pages(struct replay_entry *e, unsigned int from)
{
	for (; from < e->nr_pages; from++) {
		e->pages[from] = alloc_page(GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
		if (!e->pages[from])
			break;
	}
	return from;
}

/*
 * Waits for room under the max_pending_mb cap (unless @taken: the caller
 * has its pages counted already); never fails. With @seal, a spare
 * completion entry (two pages) is allocated too, under the same wait: a
 * mapper never holds pages while it waits for more.
 */
static struct replay_entry *replay_entry_alloc2(struct replay_c *rc, unsigned int nr_pages,
						struct replay_entry **seal, bool taken)
{
	unsigned int total = nr_pages + (seal ? 2 : 0);
	struct replay_entry *e, *s = NULL;
	unsigned int i, j = 2;

	if (!taken && !replay_take_pages(rc, total)) {
		/* Full: what is queued must go to the log to make room. */
		replay_kick(rc);
		wait_event(rc->space_wait, replay_take_pages(rc, total));
	}
	e = replay_entry_get(rc, nr_pages, &i);
	i = replay_entry_pages(e, i);
	if (seal) {
		s = replay_entry_get(rc, 2, &j);
		j = replay_entry_pages(s, j);
		*seal = s;
	}
	if (i < nr_pages || j < 2) {
		/*
		 * Partial sets drawn by several tasks could drain the pool:
		 * one drawer at a time, and the pool holds a whole set.
		 */
		mutex_lock(&rc->pool_lock);
		for (; i < nr_pages; i++)
			e->pages[i] = mempool_alloc(&rc->page_pool, GFP_NOIO);
		for (; s && j < 2; j++)
			s->pages[j] = mempool_alloc(&rc->page_pool, GFP_NOIO);
		mutex_unlock(&rc->pool_lock);
	}
	return e;
}

static struct replay_entry *replay_entry_alloc(struct replay_c *rc, unsigned int nr_pages)
{
	return replay_entry_alloc2(rc, nr_pages, NULL, false);
}

/* Reserve log space for an entry; false once logging has stopped. */
static bool replay_reserve(struct replay_c *rc, sector_t sectors)
{
	bool ok, became_full = false;

	spin_lock_irq(&rc->lock);
	if (rc->state == DMR_STATE_LOGGING && rc->reserved + sectors > rc->log_sectors) {
		rc->state = DMR_STATE_FULL;
		rc->state_changed = true;
		became_full = true;
	}
	ok = rc->state == DMR_STATE_LOGGING;
	if (ok)
		rc->reserved += sectors;
	spin_unlock_irq(&rc->lock);
	if (became_full)
		wake_up_process(rc->writer);
	return ok;
}

/*
 * The common write's completion record slot (@comp), log space and pages
 * under one lock; false when any of them is not there at once (the caller
 * then takes them one by one, waiting or failing as each one says).
 */
static bool replay_take_all(struct replay_c *rc, bool comp, sector_t sectors, unsigned int pages)
{
	bool ok;

	spin_lock_irq(&rc->lock);
	ok = rc->state == DMR_STATE_LOGGING && (!comp || rc->comp_free) &&
	     rc->reserved + sectors <= rc->log_sectors &&
	     rc->pending_pages + pages <= rc->max_pending_pages;
	if (ok) {
		rc->comp_free -= comp;
		rc->reserved += sectors;
		rc->pending_pages += pages;
	}
	spin_unlock_irq(&rc->lock);
	return ok;
}

/* Drop an entry that will not be logged, and give its log space back. */
static void replay_entry_drop(struct replay_c *rc, struct replay_entry *e)
{
	unsigned long flags;

	spin_lock_irqsave(&rc->lock, flags);
	rc->reserved -= e->log_sectors;
	spin_unlock_irqrestore(&rc->lock, flags);
	replay_entry_free(rc, e);
}

/*
 * Queue @e with rc->lock held; returns whether the writer must be woken:
 * when it sleeps with nothing queued (it then gathers a batch), when a
 * flush or mark waits (@urgent), or when a batch's worth is queued.
 */
static bool replay_queue_locked(struct replay_c *rc, struct replay_entry *e, bool urgent)
{
	bool kick;

	lockdep_assert_held(&rc->lock);
	list_add_tail(&e->list, &rc->queue);
	rc->queued_pages += e->nr_pages;
	if (urgent)
		rc->urgent = true;
	kick = urgent || rc->writer_idle || rc->queued_pages >= rc->batch_pages;
	rc->writer_idle = false;
	return kick;
}

static void replay_queue(struct replay_c *rc, struct replay_entry *e, bool urgent)
{
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&rc->lock, flags);
	kick = replay_queue_locked(rc, e, urgent);
	spin_unlock_irqrestore(&rc->lock, flags);
	if (kick)
		wake_up_process(rc->writer);
}

/*
 * Write the superblock once every submitted entry is on the log, with a
 * preflush so the entries it counts are durable before the count is.
 */
static int replay_commit(struct replay_c *rc)
{
	struct dmr_super *raw;
	struct dmr_sb sb = {
		.version = DMR_VERSION,
		.block_size = rc->block_size,
		.data_block_size = bdev_logical_block_size(rc->dev->bdev),
		.log_id = rc->log_id,
		.log_sectors = rc->log_sectors,
		.dev_sectors = rc->ti->len,
	};
	struct bio *bio;
	int r;

	lockdep_assert_held(&rc->log_lock);
	wait_event(rc->inflight_wait, !atomic_read(&rc->log_inflight));
	/* The superblock is a newer recording's now. */
	if (rc->superseded)
		return -EBUSY;

	spin_lock_irq(&rc->lock);
	sb.state = rc->state;
	sb.nr_entries = min(rc->nr_entries, rc->failed_seq);
	spin_unlock_irq(&rc->lock);
	sb.used_sectors = rc->next_sector;

	raw = kmap_local_page(rc->sb_page);
	memset(raw, 0, rc->block_size);
	if (rc->lw)
		lw_super_encode(raw, rc->block_size, sb.nr_entries);
	else
		dmr_super_encode(raw, &sb);
	kunmap_local(raw);

	bio = replay_log_bio(rc, 1, REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA, GFP_NOIO);
	bio->bi_iter.bi_sector = 0;
	__bio_add_page(bio, rc->sb_page, rc->block_size, 0);
	r = submit_bio_wait(bio);
	bio_put(bio);
	if (r) {
		DMERR_LIMIT("%s: writing the log superblock failed: %d",
			    rc->logdev->name, r);
		spin_lock_irq(&rc->lock);
		rc->state = DMR_STATE_FAILED;
		spin_unlock_irq(&rc->lock);
		return r;
	}
	rc->sb_entries = sb.nr_entries;
	rc->sb_state = sb.state;
	return 0;
}

/* One log bio carries a run of consecutive entries: bi_private is the
 * first, the others hang on its list.
 */
static void replay_log_end_io(struct bio *bio)
{
	struct replay_entry *first = bio->bi_private, *e, *tmp;
	struct replay_c *rc = first->rc;
	unsigned int pages = 0, entries = 0;
	unsigned long flags;

	if (bio->bi_status) {
		DMERR_LIMIT("%s: log write of entries from %llu failed: %d", rc->logdev->name,
			    first->rec.seq, blk_status_to_errno(bio->bi_status));
		spin_lock_irqsave(&rc->lock, flags);
		if (rc->state != DMR_STATE_FAILED) {
			rc->state = DMR_STATE_FAILED;
			rc->state_changed = true;
		}
		rc->failed_seq = min(rc->failed_seq, first->rec.seq);
		spin_unlock_irqrestore(&rc->lock, flags);
		wake_up_process(rc->writer);
	}
	bio_put(bio);
	/* One cache_lock for the whole run of entries. */
	spin_lock_irqsave(&rc->cache_lock, flags);
	list_for_each_entry_safe(e, tmp, &first->list, list) {
		pages += replay_entry_put_locked(rc, e);
		entries++;
	}
	pages += replay_entry_put_locked(rc, first);
	spin_unlock_irqrestore(&rc->cache_lock, flags);
	if (atomic_dec_and_test(&rc->log_inflight))
		wake_up(&rc->inflight_wait);
	/* Last: once idle, the target may be destroyed (see replay_wait_idle()). */
	replay_pages_done(rc, pages, entries + 1);
}

static void replay_submit_log(struct replay_c *rc, struct bio *bio)
{
	atomic_inc(&rc->log_inflight);
	submit_bio(bio);
}

/* Complete upwards the requests held for a commit (their second end_io). */
static void replay_release_held(struct list_head *held)
{
	struct replay_bio *pb, *tmp;

	list_for_each_entry_safe(pb, tmp, held, list) {
		list_del_init(&pb->list);
		bio_endio(dm_bio_from_per_bio_data(pb, sizeof(struct replay_bio)));
	}
}

/*
 * Called by the writer with log_lock held; consumes the entries of @batch.
 * One commit at the end of the batch covers every flush and FUA write in
 * it (a mark commits at once: its sender waits for the result); the
 * requests held for it complete upwards after the commit, so a completed
 * flush is on the log with every entry before it, even after a power cut.
 */
static void replay_write_batch(struct replay_c *rc, struct list_head *batch)
{
	struct replay_entry *e, *tmp, *first = NULL;
	struct bio *bio = NULL;
	struct blk_plug plug;
	struct completion *done;
	bool commit = false;
	LIST_HEAD(held);
	unsigned int i;
	size_t left;
	int lw_r = 0, *result;
	void *hdr;

	blk_start_plug(&plug);
	list_for_each_entry_safe(e, tmp, batch, list) {
		list_del_init(&e->list);
		done = e->done;
		if (e->held)
			list_add_tail(&e->held->list, &held);
		if (e->failed || READ_ONCE(rc->state) == DMR_STATE_FAILED) {
			int *result = e->result;

			replay_entry_drop(rc, e);
			if (done) {
				*result = -EIO;
				complete(done);
			}
			continue;
		}

		e->rec.seq = rc->nr_entries;
		hdr = kmap_local_page(e->pages[0]);
		if (rc->lw) {
			/* It zeroes the whole block: a mark's name may lie past the header. */
			lw_r = lw_entry_encode(hdr, rc->block_size, &e->rec);
		} else {
			/* It zeroes its header; the rest of the block must be zero too. */
			if (!e->hdr_zero)
				memset(hdr, 0, rc->block_size);
			dmr_entry_encode(hdr, &e->rec, rc->log_id);
			e->hdr_zero = true;
		}
		kunmap_local(hdr);
		if (lw_r) {
			/* Nothing the map accepts in this format gets here. */
			DMERR_LIMIT("%s: entry %llu cannot be said in the log-writes format",
				    rc->logdev->name, e->rec.seq);
			spin_lock_irq(&rc->lock);
			rc->state = DMR_STATE_FAILED;
			rc->state_changed = true;
			spin_unlock_irq(&rc->lock);
			result = e->result;
			replay_entry_drop(rc, e);
			if (done) {
				*result = -EIO;
				complete(done);
			}
			continue;
		}

		if (bio && bio->bi_vcnt + e->nr_pages > bio->bi_max_vecs) {
			replay_submit_log(rc, bio);
			bio = NULL;
		}
		if (!bio) {
			bio = replay_log_bio(rc, BIO_MAX_VECS, REQ_OP_WRITE, GFP_NOIO);
			bio->bi_iter.bi_sector = rc->next_sector;
			bio->bi_end_io = replay_log_end_io;
			bio->bi_private = e;
			first = e;
		} else {
			list_add_tail(&e->list, &first->list);
		}
		__bio_add_page(bio, e->pages[0], rc->block_size, 0);
		left = (size_t)round_up(e->rec.data_sectors, rc->block_sectors) << SECTOR_SHIFT;
		for (i = 1; left; i++) {
			size_t len = min_t(size_t, left, PAGE_SIZE);

			__bio_add_page(bio, e->pages[i], len, 0);
			left -= len;
		}
		rc->next_sector += e->log_sectors;
		rc->nr_entries++;
		commit |= e->commit;

		if (done) {
			int *result = e->result;
			int r;

			/* @e may be freed once its bio is submitted. */
			replay_submit_log(rc, bio);
			bio = NULL;
			blk_finish_plug(&plug);
			r = replay_commit(rc);
			if (r == 0 && READ_ONCE(rc->state) == DMR_STATE_FAILED)
				r = -EIO;
			*result = r;
			complete(done);
			commit = false;
			replay_release_held(&held);
			blk_start_plug(&plug);
		}
	}
	if (bio)
		replay_submit_log(rc, bio);
	blk_finish_plug(&plug);
	if (commit)
		replay_commit(rc);
	replay_release_held(&held);
}

enum replay_writer_step { WRITER_IDLE, WRITER_GATHER, WRITER_WORK };

/*
 * What the writer does next: move the ready head of the queue to @batch,
 * or report a state change, or sleep (gathering a batch first).
 */
static enum replay_writer_step replay_writer_take(struct replay_c *rc, struct list_head *batch,
						  bool gathered, bool *changed)
{
	struct replay_entry *e, *tmp;

	*changed = false;
	spin_lock_irq(&rc->lock);
	e = list_first_entry_or_null(&rc->queue, struct replay_entry, list);
	if (e && e->ready) {
		if (!rc->urgent && !gathered && rc->queued_pages < rc->batch_pages) {
			spin_unlock_irq(&rc->lock);
			return WRITER_GATHER;
		}
		rc->urgent = false;
		list_for_each_entry_safe(e, tmp, &rc->queue, list) {
			if (!e->ready)
				break;
			rc->queued_pages -= e->nr_pages;
			list_move_tail(&e->list, batch);
		}
		spin_unlock_irq(&rc->lock);
		return WRITER_WORK;
	}
	if (rc->state_changed) {
		rc->state_changed = false;
		*changed = true;
		spin_unlock_irq(&rc->lock);
		return WRITER_WORK;
	}
	/* A flush in flight at the head wakes the writer when it completes. */
	rc->writer_idle = !e;
	spin_unlock_irq(&rc->lock);
	return WRITER_IDLE;
}

static int replay_writer(void *arg)
{
	struct replay_c *rc = arg;
	bool changed, gathered = false;
	LIST_HEAD(batch);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		switch (replay_writer_take(rc, &batch, gathered, &changed)) {
		case WRITER_IDLE:
			gathered = false;
			if (!kthread_should_stop())
				schedule();
			continue;
		case WRITER_GATHER:
			gathered = true;
			schedule_timeout(REPLAY_BATCH_JIFFIES);
			continue;
		case WRITER_WORK:
			break;
		}
		__set_current_state(TASK_RUNNING);
		gathered = false;

		mutex_lock(&rc->log_lock);
		if (!list_empty(&batch)) {
			replay_write_batch(rc, &batch);
		} else if (!rc->superseded) {
			DMERR("%s: log %s after %llu entries: later writes are not logged",
			      rc->logdev->name, replay_state_names[READ_ONCE(rc->state)],
			      rc->nr_entries);
			replay_commit(rc);
		}
		mutex_unlock(&rc->log_lock);
		if (changed)
			dm_table_event(rc->ti->table);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static sector_t replay_comp_log_sectors(struct replay_c *rc, u32 count)
{
	return dmr_entry_log_sectors(rc->block_size, dmr_comp_data_sectors(count));
}

/*
 * Promise a completion record slot to a request being mapped; false once
 * logging has stopped. An empty completion entry (with its log space) is
 * set aside when no slot is free, so end_io never allocates.
 */
static bool replay_comp_reserve(struct replay_c *rc)
{
	sector_t sectors = replay_comp_log_sectors(rc, DMR_COMP_PER_ENTRY);
	struct replay_entry *e;

	spin_lock_irq(&rc->lock);
	if (rc->state == DMR_STATE_LOGGING && rc->comp_free) {
		rc->comp_free--;
		spin_unlock_irq(&rc->lock);
		return true;
	}
	spin_unlock_irq(&rc->lock);
	if (!replay_reserve(rc, sectors))
		return false;
	e = replay_entry_alloc(rc, 2);
	e->log_sectors = sectors;
	e->rec.type = DMR_TYPE_COMPLETIONS;
	spin_lock_irq(&rc->lock);
	list_add_tail(&e->list, &rc->comp_spare);
	WRITE_ONCE(rc->comp_parked, rc->comp_parked + 1);
	rc->comp_free += DMR_COMP_PER_ENTRY - 1;
	spin_unlock_irq(&rc->lock);
	return true;
}

static void replay_comp_unreserve(struct replay_c *rc)
{
	spin_lock_irq(&rc->lock);
	rc->comp_free++;
	spin_unlock_irq(&rc->lock);
}

/* Queue the entry being filled, with rc->lock held; true to wake the writer. */
static bool replay_comp_seal_locked(struct replay_c *rc, bool urgent)
{
	struct replay_entry *e = rc->comp_cur;
	sector_t sectors;
	void *data;

	lockdep_assert_held(&rc->lock);
	rc->comp_cur = NULL;
	WRITE_ONCE(rc->comp_parked, rc->comp_parked - 1);
	e->rec.data_sectors = dmr_comp_data_sectors(e->rec.nr_sectors);
	/* A partial entry gives back the log space it does not use. */
	sectors = replay_comp_log_sectors(rc, e->rec.nr_sectors);
	rc->reserved -= e->log_sectors - sectors;
	e->log_sectors = sectors;
	data = kmap_local_page(e->pages[1]);
	memset(data + e->rec.nr_sectors * sizeof(struct dmr_comp), 0,
	       PAGE_SIZE - e->rec.nr_sectors * sizeof(struct dmr_comp));
	e->rec.data_crc = dmr_crc32c(data, (size_t)e->rec.data_sectors << SECTOR_SHIFT);
	kunmap_local(data);
	return replay_queue_locked(rc, e, urgent);
}

/*
 * Seal the partly filled completion entry at a commit point, with rc->lock
 * held: it is queued, and @spare (an empty completion entry with log space
 * for a whole one) takes its place among the spares, its slots replacing
 * the ones the sealed entry leaves unused. Returns the sealed entry.
 */
static struct replay_entry *replay_comp_seal_spare_locked(struct replay_c *rc,
							  struct replay_entry *spare)
{
	struct replay_entry *e = rc->comp_cur;
	u64 n = e->rec.nr_sectors;

	lockdep_assert_held(&rc->lock);
	replay_comp_seal_locked(rc, true);
	list_add_tail(&spare->list, &rc->comp_spare);
	WRITE_ONCE(rc->comp_parked, rc->comp_parked + 1);
	rc->comp_free += n;
	return e;
}

/* Append the completion record of a request to the log, in completion order. */
static void replay_comp_add(struct replay_c *rc, struct replay_bio *pb, blk_status_t error)
{
	struct dmr_crec c = pb->crec;
	struct replay_entry *e;
	struct dmr_comp *recs;
	unsigned long flags;
	bool kick = false;

	if (error)
		c.flags |= DMR_CF_ERROR;
	spin_lock_irqsave(&rc->lock, flags);
	e = rc->comp_cur;
	if (!e) {
		/* A slot was promised: a spare entry is there. */
		e = list_first_entry(&rc->comp_spare, struct replay_entry, list);
		list_del(&e->list);
		e->rec.sector = rc->comp_recs;
		rc->comp_cur = e;
	}
	recs = kmap_local_page(e->pages[1]);
	dmr_comp_encode(&recs[e->rec.nr_sectors], &c);
	kunmap_local(recs);
	rc->comp_seq++;
	rc->comp_recs++;
	if (++e->rec.nr_sectors == DMR_COMP_PER_ENTRY)
		kick = replay_comp_seal_locked(rc, false);
	spin_unlock_irqrestore(&rc->lock, flags);
	if (kick)
		wake_up_process(rc->writer);
}

/*
 * Let @e carry its request's completion, with rc->lock held: it takes the
 * next sequence number, and the record slot promised at map time is free
 * again.
 */
static void replay_comp_carry_locked(struct replay_c *rc, struct replay_entry *e)
{
	lockdep_assert_held(&rc->lock);
	e->rec.flags |= DMR_F_COMPLETED;
	e->rec.comp_seq = rc->comp_seq++;
	rc->comp_free++;
}

/* Queue a completed write; with @comp it carries its completion record. */
static void replay_queue_completed(struct replay_c *rc, struct replay_entry *e, bool comp)
{
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&rc->lock, flags);
	if (comp)
		replay_comp_carry_locked(rc, e);
	kick = replay_queue_locked(rc, e, false);
	spin_unlock_irqrestore(&rc->lock, flags);
	if (kick)
		wake_up_process(rc->writer);
}

/* With no I/O in flight: queue the partial completion entry, if any. */
static void replay_comp_flush(struct replay_c *rc)
{
	spin_lock_irq(&rc->lock);
	if (rc->comp_cur)
		replay_comp_seal_locked(rc, true);
	/* Every promised slot is used: the spares are all free. */
	rc->comp_free = rc->comp_parked * DMR_COMP_PER_ENTRY;
	spin_unlock_irq(&rc->lock);
}

static void replay_comp_free_spares(struct replay_c *rc)
{
	struct replay_entry *e, *tmp;

	list_for_each_entry_safe(e, tmp, &rc->comp_spare, list) {
		list_del(&e->list);
		WRITE_ONCE(rc->comp_parked, rc->comp_parked - 1);
		replay_entry_drop(rc, e);
	}
	rc->comp_free = 0;
}

/* The record mode's pools, writer and start of the log. */
int replay_record_init(struct replay_c *rc, char **error)
{
	rc->max_pending_pages = rc->max_pending_mb << (20 - PAGE_SHIFT);
	rc->batch_pages = max(rc->max_pending_pages / 4, 1U + REPLAY_MAX_DATA_PAGES);
	rc->next_sector = rc->block_sectors;
	rc->reserved = rc->block_sectors;
	rc->log_id = get_random_u64();

	spin_lock_init(&rc->cache_lock);
	INIT_LIST_HEAD(&rc->page_cache);
	INIT_LIST_HEAD(&rc->entry_cache);

	*error = "Cannot allocate memory pools";
	if (mempool_init_page_pool(&rc->page_pool, REPLAY_POOL_PAGES, 0))
		return -ENOMEM;
	if (mempool_init_kmalloc_pool(&rc->entry_pool, REPLAY_ENTRY_POOL,
				      sizeof(struct replay_entry)))
		goto bad_page_pool;
	rc->sb_page = alloc_page(GFP_KERNEL);
	if (!rc->sb_page)
		goto bad_entry_pool;
	rc->writer = kthread_run(replay_writer, rc, "kdmreplay");
	if (IS_ERR(rc->writer)) {
		*error = "Cannot start the log writer thread";
		__free_page(rc->sb_page);
		mempool_exit(&rc->entry_pool);
		mempool_exit(&rc->page_pool);
		return PTR_ERR(rc->writer);
	}
	mutex_lock(&replay_recordings_lock);
	list_add_tail(&rc->recordings, &replay_recordings);
	mutex_unlock(&replay_recordings_lock);
	return 0;

bad_entry_pool:
	mempool_exit(&rc->entry_pool);
bad_page_pool:
	mempool_exit(&rc->page_pool);
	return -ENOMEM;
}

static void replay_record_exit(struct replay_c *rc)
{
	kthread_stop(rc->writer);
	__free_page(rc->sb_page);
	replay_cache_free(rc);
	mempool_exit(&rc->entry_pool);
	mempool_exit(&rc->page_pool);
}

/* With no I/O left: write what is queued, commit if needed, and free. */
void replay_record_dtr(struct replay_c *rc)
{
	/* As the stock target does, the last entry says the device went away. */
	if (rc->lw && rc->started && READ_ONCE(rc->state) == DMR_STATE_LOGGING)
		replay_mark(rc, "dm-log-writes-end");
	replay_comp_flush(rc);
	replay_wait_idle(rc);
	replay_comp_free_spares(rc);
	mutex_lock(&rc->log_lock);
	if (rc->started && (rc->sb_entries != rc->nr_entries ||
			    rc->sb_state != READ_ONCE(rc->state)))
		replay_commit(rc);
	mutex_unlock(&rc->log_lock);
	mutex_lock(&replay_recordings_lock);
	list_del(&rc->recordings);
	mutex_unlock(&replay_recordings_lock);
	replay_record_exit(rc);
}

void replay_record_postsuspend(struct replay_c *rc)
{
	/* No I/O is in flight: every entry is queued or written. */
	replay_comp_flush(rc);
	replay_wait_idle(rc);
	mutex_lock(&rc->log_lock);
	replay_commit(rc);
	mutex_unlock(&rc->log_lock);
}

/* Copy a write's data for the log, computing its CRC while it is hot. */
static u32 replay_copy_data(struct replay_entry *e, struct bio *bio)
{
	u32 crc = DMR_CRC_INIT;
	struct bvec_iter iter;
	struct bio_vec bv;
	size_t pos = 0;

	bio_for_each_segment(bv, bio, iter) {
		unsigned int done = 0;

		while (done < bv.bv_len) {
			unsigned int off = offset_in_page(pos);
			unsigned int len = min_t(unsigned int, bv.bv_len - done, PAGE_SIZE - off);
			char *dst = kmap_local_page(e->pages[1 + (pos >> PAGE_SHIFT)]);

			memcpy_from_page(dst + off, bv.bv_page, bv.bv_offset + done, len);
			crc = dmr_crc32c_update(crc, dst + off, len);
			kunmap_local(dst);
			done += len;
			pos += len;
		}
	}
	return ~crc;
}

/* Record mode's part of map: the entry of a write, flush, discard or write_zeroes. */
int replay_record_map(struct replay_c *rc, struct bio *bio, struct replay_bio *pb)
{
	enum req_op op = bio_op(bio);
	bool flush = bio->bi_opf & REQ_PREFLUSH;
	bool seal = (bio->bi_opf & (REQ_PREFLUSH | REQ_FUA)) &&
		replay_records_completions(rc);
	bool comp = replay_records_completions(rc) && replay_bio_crec(bio, &pb->crec);
	sector_t sectors, seal_sectors = 0;
	u32 data_sectors = 0, flags = 0;
	unsigned int data_pages = 0;
	struct replay_entry *e;
	size_t data_bytes, padded;
	bool taken;

	switch (op) {
	case REQ_OP_WRITE:
		data_sectors = bio_sectors(bio);
		if (!data_sectors && !flush)
			goto unlogged;
		break;
	case REQ_OP_DISCARD:
		flags |= DMR_F_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		/* Not offered in this format (io_hints); one that comes anyway fails. */
		if (rc->lw) {
			DMERR_LIMIT("%s: write_zeroes cannot be logged in the log-writes format",
				    rc->dev->name);
			return DM_MAPIO_KILL;
		}
		flags |= DMR_F_ZEROES;
		break;
	default:
		goto unlogged;
	}

	/*
	 * A flush or FUA write seals the completion entry being filled when
	 * it completes: a spare takes its place, with log space for a whole
	 * entry (a partial one gives back what it does not use).
	 */
	sectors = dmr_entry_log_sectors(rc->block_size, data_sectors);
	data_bytes = (size_t)data_sectors << SECTOR_SHIFT;
	padded = (size_t)round_up(data_sectors, rc->block_sectors) << SECTOR_SHIFT;
	data_pages = DIV_ROUND_UP(padded, PAGE_SIZE);
	taken = !seal && replay_take_all(rc, comp, sectors, 1 + data_pages);
	if (taken) {
		pb->comp = comp;
	} else {
		if (comp)
			pb->comp = replay_comp_reserve(rc);
		if (seal)
			seal_sectors = replay_comp_log_sectors(rc, DMR_COMP_PER_ENTRY);
		if (!replay_reserve(rc, sectors + seal_sectors)) {
			/* Logging has stopped: a write that would be missing fails. */
			if (rc->error_on_full && bio_sectors(bio)) {
				if (pb->comp)
					replay_comp_unreserve(rc);
				pb->comp = false;
				return DM_MAPIO_KILL;
			}
			return DM_MAPIO_REMAPPED;
		}
	}

	e = replay_entry_alloc2(rc, 1 + data_pages, seal ? &pb->seal : NULL, taken);
	e->log_sectors = sectors;
	if (seal) {
		pb->seal->log_sectors = seal_sectors;
		pb->seal->rec.type = DMR_TYPE_COMPLETIONS;
	}
	e->rec.type = DMR_TYPE_IO;
	e->rec.sector = bio_sectors(bio) ? bio->bi_iter.bi_sector : 0;
	e->rec.nr_sectors = bio_sectors(bio);
	e->rec.data_sectors = data_sectors;
	if (flush)
		flags |= DMR_F_FLUSH;
	if (bio->bi_opf & REQ_FUA)
		flags |= DMR_F_FUA;
	if (bio->bi_opf & REQ_META)
		flags |= DMR_F_META;
	e->rec.flags = flags;
	if (data_sectors) {
		e->rec.data_crc = replay_copy_data(e, bio);
		if (padded > data_bytes)
			memzero_page(e->pages[1 + (data_bytes >> PAGE_SHIFT)],
				     offset_in_page(data_bytes), padded - data_bytes);
	}

	pb->entry = e;
	if (flush) {
		/* Its place in the log is now; it is written once it completes. */
		e->ready = false;
		replay_queue(rc, e, false);
	}
	return DM_MAPIO_REMAPPED;

unlogged:
	/* Reads and empty writes: only their completion is recorded. */
	if (comp)
		pb->comp = replay_comp_reserve(rc);
	return DM_MAPIO_REMAPPED;
}

/*
 * A completed flush or FUA write (@e, rc->lock held): it carries its
 * completion record; the completion entry being filled is sealed and
 * queued after it, @seal taking its place, so the order of every
 * completion before this one is logged with it. The request completes
 * upwards once the last of those entries is committed: the writer may do
 * so as soon as rc->lock is dropped, so @pb is not touched after that.
 * Returns the spare when there was nothing to seal.
 */
static struct replay_entry *replay_hold_locked(struct replay_c *rc, struct replay_bio *pb,
					       struct replay_entry *e, bool carry)
{
	struct replay_entry *last = e, *spare = pb->seal;

	lockdep_assert_held(&rc->lock);
	if (carry)
		replay_comp_carry_locked(rc, e);
	if (e->rec.flags & DMR_F_FLUSH)
		e->ready = true;
	else
		replay_queue_locked(rc, e, true);
	pb->seal = NULL;
	pb->comp = false;
	if (spare && rc->comp_cur) {
		last = replay_comp_seal_spare_locked(rc, spare);
		spare = NULL;
	}
	last->commit = true;
	last->held = pb;
	rc->urgent = true;
	rc->writer_idle = false;
	return spare;
}

/* Record mode's part of end_io; also the second call of a held request. */
int replay_record_end_io(struct replay_c *rc, struct replay_bio *pb, blk_status_t *error)
{
	struct replay_entry *e = pb->entry, *spare;
	unsigned long flags;
	bool comp;

	/* A logged request that completed is its own completion record. */
	comp = pb->comp && !(e && !*error);
	if (comp)
		replay_comp_add(rc, pb, *error);
	/* Also the second call, for a request held until its commit. */
	if (!e)
		return DM_ENDIO_DONE;
	pb->entry = NULL;

	if (*error) {
		if (pb->seal)
			replay_entry_drop(rc, pb->seal);
		pb->seal = NULL;
		pb->comp = false;
		/* A failed write left the device in an unknown state: not logged. */
		if (!(e->rec.flags & DMR_F_FLUSH)) {
			replay_entry_drop(rc, e);
			return DM_ENDIO_DONE;
		}
		spin_lock_irqsave(&rc->lock, flags);
		e->failed = true;
		e->ready = true;
		rc->urgent = true;
		rc->writer_idle = false;
		spin_unlock_irqrestore(&rc->lock, flags);
		wake_up_process(rc->writer);
		return DM_ENDIO_DONE;
	}

	if (!(e->rec.flags & (DMR_F_FLUSH | DMR_F_FUA))) {
		replay_queue_completed(rc, e, pb->comp);
		pb->comp = false;
		return DM_ENDIO_DONE;
	}

	/*
	 * Durable flush: the writer completes it upwards after the commit.
	 * The spare, while live, keeps the target from being freed.
	 */
	spin_lock_irqsave(&rc->lock, flags);
	spare = replay_hold_locked(rc, pb, e, pb->comp);
	wake_up_process(rc->writer);
	spin_unlock_irqrestore(&rc->lock, flags);
	if (spare)
		replay_entry_drop(rc, spare);
	return DM_ENDIO_INCOMPLETE;
}

int replay_mark(struct replay_c *rc, const char *name)
{
	DECLARE_COMPLETION_ONSTACK(done);
	bool seal = replay_records_completions(rc);
	sector_t seal_sectors = 0;
	struct replay_entry *e, *spare = NULL;
	bool kick;
	int r;

	r = dmr_mark_name_check(name);
	if (r == -ENAMETOOLONG) {
		DMERR("mark name too long: %zu bytes, at most %d", strlen(name), DMR_NAME_MAX);
		return -EINVAL;
	}
	if (r) {
		DMERR("invalid mark name: printable ASCII without spaces expected");
		return -EINVAL;
	}
	if (seal)
		seal_sectors = replay_comp_log_sectors(rc, DMR_COMP_PER_ENTRY);
	if (!replay_reserve(rc, rc->block_sectors + seal_sectors)) {
		DMERR("mark %s not recorded: log %s", name,
		      replay_state_names[READ_ONCE(rc->state)]);
		return -ENOSPC;
	}

	e = replay_entry_alloc2(rc, 1, seal ? &spare : NULL, false);
	e->log_sectors = rc->block_sectors;
	e->rec.type = DMR_TYPE_MARK;
	strscpy(e->rec.name, name, sizeof(e->rec.name));
	e->done = &done;
	e->result = &r;
	if (spare) {
		spare->log_sectors = seal_sectors;
		spare->rec.type = DMR_TYPE_COMPLETIONS;
	}
	/*
	 * Queued after every write that has completed so far, and after the
	 * completion records so far: the mark's commit covers their order.
	 */
	spin_lock_irq(&rc->lock);
	if (spare && rc->comp_cur) {
		replay_comp_seal_spare_locked(rc, spare);
		spare = NULL;
	}
	kick = replay_queue_locked(rc, e, true);
	spin_unlock_irq(&rc->lock);
	if (kick)
		wake_up_process(rc->writer);
	if (spare)
		replay_entry_drop(rc, spare);
	wait_for_completion(&done);
	if (r)
		DMERR("mark %s not recorded: log %s", name,
		      replay_state_names[READ_ONCE(rc->state)]);
	return r;
}

/*
 * A recording starting on @rc's log device, with replay_recordings_lock
 * held: every started recording there (the table this one replaces, or
 * another device) stops logging, once its log writes in flight are done,
 * and never writes the log again.
 */
static void replay_supersede_locked(struct replay_c *rc)
{
	struct replay_c *old;

	lockdep_assert_held(&replay_recordings_lock);
	list_for_each_entry(old, &replay_recordings, recordings) {
		if (old == rc || old->logdev->bdev != rc->logdev->bdev)
			continue;
		mutex_lock(&old->log_lock);
		if (!old->started || old->superseded) {
			mutex_unlock(&old->log_lock);
			continue;
		}
		wait_event(old->inflight_wait, !atomic_read(&old->log_inflight));
		old->superseded = true;
		spin_lock_irq(&old->lock);
		if (old->state != DMR_STATE_FAILED) {
			old->state = DMR_STATE_FAILED;
			old->state_changed = true;
		}
		spin_unlock_irq(&old->lock);
		mutex_unlock(&old->log_lock);
		DMERR("%s: log taken over by a newer recording after %llu entries",
		      old->logdev->name, old->nr_entries);
		wake_up_process(old->writer);
	}
}

/* A new recording starts on the first resume, not at load: a table
 * loaded over a live one must not clobber the log that one is writing.
 */
int replay_record_preresume(struct replay_c *rc)
{
	int r;

	/* Set here only; dm serialises the resumes of a table. */
	if (rc->started)
		return 0;
	mutex_lock(&replay_recordings_lock);
	replay_supersede_locked(rc);
	mutex_lock(&rc->log_lock);
	r = replay_commit(rc);
	rc->started = !r;
	mutex_unlock(&rc->log_lock);
	mutex_unlock(&replay_recordings_lock);
	return r;
}
