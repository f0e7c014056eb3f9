// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replay: pass all I/O through to a data device and record every write,
 * with its data, every flush, FUA, discard and write_zeroes, and named
 * marks, in an ordered log on a second device. The dmreplay tool rebuilds
 * the device as it stood at any entry or mark of that log. The log format
 * is in include/dm-replay-log.h; docs/dm-replay.rst describes the target.
 *
 * Ordering. A write is queued for the log when it completes. A flush gets
 * its slot in the queue when it is submitted, so every write that completed
 * before it comes before it in the log, and every write that completed
 * after it was submitted comes after it: replaying up to a flush entry
 * gives the least the device must hold after that flush. The writer thread
 * writes the queue in order and waits at a flush until the flush completes.
 *
 * Bounds. A write's log space is reserved when it is mapped, so a logged
 * write always fits and a full log is known before the write is passed on.
 * Its data is copied into pages at map time; the pages held by queued
 * entries are capped (max_pending_mb), and map waits for room.
 */
#include <linux/device-mapper.h>

#include <linux/module.h>
#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mempool.h>
#include <linux/random.h>

#include "dm-replay-log.h"

#define DM_MSG_PREFIX "replay"

/* Writes are split to this size, so one log entry holds any write. */
#define REPLAY_MAX_IO_SECTORS	1024U
#define REPLAY_MAX_DATA_PAGES	(REPLAY_MAX_IO_SECTORS * SECTOR_SIZE / PAGE_SIZE)
#define REPLAY_MIN_LOG_BLOCKS	2	/* the superblock and one entry header */
#define REPLAY_DEF_PENDING_MB	16
#define REPLAY_MAX_PENDING_MB	1024
#define REPLAY_ENTRY_POOL	16
#define REPLAY_BIO_POOL		16

/* Options given in the table, to show them back in the same form. */
#define REPLAY_OPT_ON_FULL	BIT(0)
#define REPLAY_OPT_PENDING	BIT(1)

static const char * const replay_state_names[] = {
	[DMR_STATE_LOGGING] = "logging",
	[DMR_STATE_FULL] = "full",
	[DMR_STATE_FAILED] = "failed",
};

struct replay_c;

struct replay_entry {
	struct list_head list;
	struct replay_c *rc;
	struct dmr_rec rec;
	sector_t log_sectors;		/* log space reserved for it */
	unsigned int nr_pages;		/* header page and data pages */
	bool ready;			/* a flush waits in the queue until done */
	bool failed;			/* a flush that failed: not logged */
	struct completion *done;	/* a mark's sender waits for the commit */
	int *result;
	struct page *pages[1 + REPLAY_MAX_DATA_PAGES];
};

struct replay_c {
	struct dm_dev *dev;
	struct dm_dev *logdev;
	struct dm_target *ti;
	unsigned int opts;
	bool error_on_full;
	unsigned int max_pending_mb;
	unsigned int max_pending_pages;
	unsigned int block_size;
	unsigned int block_sectors;
	sector_t log_sectors;
	u64 log_id;

	spinlock_t lock;		/* protects the fields up to log_inflight */
	struct list_head queue;		/* entries in log order */
	sector_t reserved;		/* log sectors used or promised */
	unsigned int pending_pages;	/* pages held by live entries */
	enum dmr_state state;
	bool state_changed;		/* the superblock must learn the state */
	u64 failed_seq;			/* first entry whose log write failed */

	atomic_t log_inflight;		/* log writes submitted, not completed */
	atomic_t live;			/* entries allocated, not freed */
	wait_queue_head_t space_wait;	/* map waiting for pending_pages */
	wait_queue_head_t inflight_wait;
	wait_queue_head_t idle_wait;

	struct mutex log_lock;		/* serialises writing the log */
	u64 nr_entries;			/* entries submitted to the log */
	sector_t next_sector;
	u64 sb_entries;			/* as last written to the superblock */
	enum dmr_state sb_state;
	bool started;

	struct mutex pool_lock;		/* one drawer at a time from page_pool */
	mempool_t page_pool;
	mempool_t entry_pool;
	struct bio_set bs;
	struct page *sb_page;
	struct task_struct *writer;
};

struct replay_bio {
	struct replay_entry *entry;
};

static void replay_entry_free(struct replay_c *rc, struct replay_entry *e)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < e->nr_pages; i++)
		mempool_free(e->pages[i], &rc->page_pool);
	spin_lock_irqsave(&rc->lock, flags);
	rc->pending_pages -= e->nr_pages;
	spin_unlock_irqrestore(&rc->lock, flags);
	wake_up(&rc->space_wait);
	mempool_free(e, &rc->entry_pool);
	if (atomic_dec_and_test(&rc->live))
		wake_up(&rc->idle_wait);
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

/* Waits for room under the max_pending_mb cap; never fails. */
static struct replay_entry *replay_entry_alloc(struct replay_c *rc, unsigned int nr_pages)
{
	struct replay_entry *e;
	unsigned int i;

	wait_event(rc->space_wait, replay_take_pages(rc, nr_pages));
	e = mempool_alloc(&rc->entry_pool, GFP_NOIO);
	memset(e, 0, offsetof(struct replay_entry, pages));
	e->rc = rc;
	e->nr_pages = nr_pages;
	e->ready = true;
	atomic_inc(&rc->live);

	for (i = 0; i < nr_pages; i++) {
		e->pages[i] = alloc_page(GFP_NOIO | __GFP_NORETRY | __GFP_NOWARN);
		if (!e->pages[i])
			break;
	}
	if (i < nr_pages) {
		/* Partial sets drawn by several tasks could drain the pool. */
		mutex_lock(&rc->pool_lock);
		for (; i < nr_pages; i++)
			e->pages[i] = mempool_alloc(&rc->page_pool, GFP_NOIO);
		mutex_unlock(&rc->pool_lock);
	}
	return e;
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

/* Drop an entry that will not be logged, and give its log space back. */
static void replay_entry_drop(struct replay_c *rc, struct replay_entry *e)
{
	unsigned long flags;

	spin_lock_irqsave(&rc->lock, flags);
	rc->reserved -= e->log_sectors;
	spin_unlock_irqrestore(&rc->lock, flags);
	replay_entry_free(rc, e);
}

static void replay_queue(struct replay_c *rc, struct replay_entry *e)
{
	unsigned long flags;

	spin_lock_irqsave(&rc->lock, flags);
	list_add_tail(&e->list, &rc->queue);
	spin_unlock_irqrestore(&rc->lock, flags);
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

	spin_lock_irq(&rc->lock);
	sb.state = rc->state;
	sb.nr_entries = min(rc->nr_entries, rc->failed_seq);
	spin_unlock_irq(&rc->lock);
	sb.used_sectors = rc->next_sector;

	raw = kmap_local_page(rc->sb_page);
	memset(raw, 0, rc->block_size);
	dmr_super_encode(raw, &sb);
	kunmap_local(raw);

	bio = bio_alloc_bioset(rc->logdev->bdev, 1,
			       REQ_OP_WRITE | REQ_SYNC | REQ_PREFLUSH | REQ_FUA,
			       GFP_NOIO, &rc->bs);
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

static void replay_log_end_io(struct bio *bio)
{
	struct replay_entry *e = bio->bi_private;
	struct replay_c *rc = e->rc;
	unsigned long flags;

	if (bio->bi_status) {
		DMERR_LIMIT("%s: log write of entry %llu failed: %d", rc->logdev->name,
			    e->rec.seq, blk_status_to_errno(bio->bi_status));
		spin_lock_irqsave(&rc->lock, flags);
		if (rc->state != DMR_STATE_FAILED) {
			rc->state = DMR_STATE_FAILED;
			rc->state_changed = true;
		}
		rc->failed_seq = min(rc->failed_seq, e->rec.seq);
		spin_unlock_irqrestore(&rc->lock, flags);
		wake_up_process(rc->writer);
	}
	bio_put(bio);
	replay_entry_free(rc, e);
	if (atomic_dec_and_test(&rc->log_inflight))
		wake_up(&rc->inflight_wait);
}

static u32 replay_data_crc(struct replay_entry *e)
{
	size_t left = (size_t)e->rec.data_sectors << SECTOR_SHIFT;
	u32 crc = DMR_CRC_INIT;
	unsigned int i;

	for (i = 1; left; i++) {
		size_t len = min_t(size_t, left, PAGE_SIZE);
		void *p = kmap_local_page(e->pages[i]);

		crc = dmr_crc32c_update(crc, p, len);
		kunmap_local(p);
		left -= len;
	}
	return ~crc;
}

/* Called by the writer with log_lock held; consumes @e. */
static void replay_write_entry(struct replay_c *rc, struct replay_entry *e)
{
	struct completion *done = e->done;
	int *result = e->result;
	size_t left;
	struct bio *bio;
	bool commit;
	void *hdr;
	unsigned int i;

	if (e->failed || READ_ONCE(rc->state) == DMR_STATE_FAILED) {
		replay_entry_drop(rc, e);
		if (done) {
			*result = -EIO;
			complete(done);
		}
		return;
	}

	e->rec.seq = rc->nr_entries;
	if (e->rec.data_sectors)
		e->rec.data_crc = replay_data_crc(e);
	hdr = kmap_local_page(e->pages[0]);
	memset(hdr, 0, rc->block_size);
	dmr_entry_encode(hdr, &e->rec, rc->log_id);
	kunmap_local(hdr);

	bio = bio_alloc_bioset(rc->logdev->bdev, e->nr_pages, REQ_OP_WRITE, GFP_NOIO, &rc->bs);
	bio->bi_iter.bi_sector = rc->next_sector;
	bio->bi_end_io = replay_log_end_io;
	bio->bi_private = e;
	__bio_add_page(bio, e->pages[0], rc->block_size, 0);
	left = (size_t)round_up(e->rec.data_sectors, rc->block_sectors) << SECTOR_SHIFT;
	for (i = 1; left; i++) {
		size_t len = min_t(size_t, left, PAGE_SIZE);

		__bio_add_page(bio, e->pages[i], len, 0);
		left -= len;
	}

	commit = e->rec.type == DMR_TYPE_MARK || (e->rec.flags & DMR_F_FLUSH);
	rc->next_sector += e->log_sectors;
	rc->nr_entries++;
	atomic_inc(&rc->log_inflight);
	submit_bio(bio);

	if (commit) {
		int r = replay_commit(rc);

		if (done) {
			*result = r ?: (READ_ONCE(rc->state) == DMR_STATE_FAILED ? -EIO : 0);
			complete(done);
		}
	}
}

static bool replay_writer_work(struct replay_c *rc, struct replay_entry **e, bool *changed)
{
	struct replay_entry *first;

	*e = NULL;
	*changed = false;
	spin_lock_irq(&rc->lock);
	first = list_first_entry_or_null(&rc->queue, struct replay_entry, list);
	if (first && first->ready) {
		list_del(&first->list);
		*e = first;
	} else if (rc->state_changed) {
		rc->state_changed = false;
		*changed = true;
	}
	spin_unlock_irq(&rc->lock);
	return *e || *changed;
}

static int replay_writer(void *arg)
{
	struct replay_c *rc = arg;
	struct replay_entry *e;
	bool changed;

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!replay_writer_work(rc, &e, &changed)) {
			if (!kthread_should_stop())
				schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);

		mutex_lock(&rc->log_lock);
		if (e) {
			replay_write_entry(rc, e);
		} else {
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

static int replay_parse_opts(struct replay_c *rc, struct dm_arg_set *as, char **error)
{
	static const struct dm_arg _args[] = {
		{0, 2, "Invalid number of optional arguments"},
	};
	unsigned int argc, val;
	const char *arg;
	int r;

	rc->max_pending_mb = REPLAY_DEF_PENDING_MB;
	if (!as->argc)
		return 0;
	r = dm_read_arg_group(_args, as, &argc, error);
	if (r)
		return r;

	while (argc--) {
		arg = dm_shift_arg(as);
		if (str_has_prefix(arg, "on_log_full:")) {
			arg += strlen("on_log_full:");
			if (rc->opts & REPLAY_OPT_ON_FULL) {
				*error = "Duplicate on_log_full option";
				return -EINVAL;
			}
			rc->opts |= REPLAY_OPT_ON_FULL;
			if (!strcmp(arg, "error")) {
				rc->error_on_full = true;
			} else if (strcmp(arg, "passthrough")) {
				*error = "Invalid on_log_full: expected passthrough or error";
				return -EINVAL;
			}
		} else if (str_has_prefix(arg, "max_pending_mb:")) {
			arg += strlen("max_pending_mb:");
			if (rc->opts & REPLAY_OPT_PENDING) {
				*error = "Duplicate max_pending_mb option";
				return -EINVAL;
			}
			rc->opts |= REPLAY_OPT_PENDING;
			if (kstrtouint(arg, 10, &val) || !val || val > REPLAY_MAX_PENDING_MB) {
				*error = "Invalid max_pending_mb: expected 1 to 1024";
				return -EINVAL;
			}
			rc->max_pending_mb = val;
		} else {
			DMERR("unknown optional argument '%s'", arg);
			*error = "Unknown optional argument";
			return -EINVAL;
		}
	}
	if (as->argc) {
		*error = "Unexpected argument after the optional arguments";
		return -EINVAL;
	}
	return 0;
}

/*
 * Construct a recording mapping:
 *   record <data_dev> <log_dev> [<#opt_args> <opt_arg>...]
 */
static int replay_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct replay_c *rc;
	unsigned int bs;
	int r;

	if (argc < 3) {
		ti->error = "Invalid argument count: expected <mode> <data_dev> <log_dev>";
		return -EINVAL;
	}
	if (strcmp(dm_shift_arg(&as), "record")) {
		ti->error = "Invalid mode: expected record";
		return -EINVAL;
	}

	rc = kzalloc(sizeof(*rc), GFP_KERNEL);
	if (!rc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	rc->ti = ti;
	spin_lock_init(&rc->lock);
	INIT_LIST_HEAD(&rc->queue);
	atomic_set(&rc->log_inflight, 0);
	atomic_set(&rc->live, 0);
	init_waitqueue_head(&rc->space_wait);
	init_waitqueue_head(&rc->inflight_wait);
	init_waitqueue_head(&rc->idle_wait);
	mutex_init(&rc->log_lock);
	mutex_init(&rc->pool_lock);
	rc->failed_seq = U64_MAX;

	r = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table), &rc->dev);
	if (r) {
		ti->error = "Data device lookup failed";
		goto bad;
	}
	r = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table), &rc->logdev);
	if (r) {
		ti->error = "Log device lookup failed";
		goto bad_dev;
	}
	r = -EINVAL;
	if (rc->dev->bdev == rc->logdev->bdev) {
		ti->error = "Data and log device must be different devices";
		goto bad_logdev;
	}
	r = replay_parse_opts(rc, &as, &ti->error);
	if (r)
		goto bad_logdev;

	r = -EINVAL;

	bs = bdev_logical_block_size(rc->logdev->bdev);
	if (bs > DMR_MAX_BLOCK_SIZE || bs > PAGE_SIZE) {
		ti->error = "Log device block size above 4096 bytes is not supported";
		goto bad_logdev;
	}
	rc->block_size = bs;
	rc->block_sectors = bs >> SECTOR_SHIFT;
	rc->log_sectors = round_down(bdev_nr_sectors(rc->logdev->bdev), rc->block_sectors);
	if (rc->log_sectors < REPLAY_MIN_LOG_BLOCKS * rc->block_sectors) {
		ti->error = "Log device too small for the superblock and one entry";
		goto bad_logdev;
	}
	rc->max_pending_pages = rc->max_pending_mb << (20 - PAGE_SHIFT);
	rc->next_sector = rc->block_sectors;
	rc->reserved = rc->block_sectors;
	rc->log_id = get_random_u64();

	r = -ENOMEM;
	ti->error = "Cannot allocate memory pools";
	if (mempool_init_page_pool(&rc->page_pool, 1 + REPLAY_MAX_DATA_PAGES, 0))
		goto bad_logdev;
	if (mempool_init_kmalloc_pool(&rc->entry_pool, REPLAY_ENTRY_POOL,
				      sizeof(struct replay_entry)))
		goto bad_page_pool;
	if (bioset_init(&rc->bs, REPLAY_BIO_POOL, 0, BIOSET_NEED_BVECS))
		goto bad_entry_pool;
	rc->sb_page = alloc_page(GFP_KERNEL);
	if (!rc->sb_page)
		goto bad_bioset;

	r = dm_set_target_max_io_len(ti, REPLAY_MAX_IO_SECTORS);
	if (r) {
		ti->error = "Cannot set the maximum I/O size";
		goto bad_sb_page;
	}
	rc->writer = kthread_run(replay_writer, rc, "kdmreplay");
	if (IS_ERR(rc->writer)) {
		r = PTR_ERR(rc->writer);
		ti->error = "Cannot start the log writer thread";
		goto bad_sb_page;
	}

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->per_io_data_size = sizeof(struct replay_bio);
	ti->private = rc;
	return 0;

bad_sb_page:
	__free_page(rc->sb_page);
bad_bioset:
	bioset_exit(&rc->bs);
bad_entry_pool:
	mempool_exit(&rc->entry_pool);
bad_page_pool:
	mempool_exit(&rc->page_pool);
bad_logdev:
	dm_put_device(ti, rc->logdev);
bad_dev:
	dm_put_device(ti, rc->dev);
bad:
	kfree(rc);
	return r;
}

static void replay_dtr(struct dm_target *ti)
{
	struct replay_c *rc = ti->private;

	wait_event(rc->idle_wait, !atomic_read(&rc->live));
	mutex_lock(&rc->log_lock);
	if (rc->started && (rc->sb_entries != rc->nr_entries ||
			    rc->sb_state != READ_ONCE(rc->state)))
		replay_commit(rc);
	mutex_unlock(&rc->log_lock);
	kthread_stop(rc->writer);

	__free_page(rc->sb_page);
	bioset_exit(&rc->bs);
	mempool_exit(&rc->entry_pool);
	mempool_exit(&rc->page_pool);
	dm_put_device(ti, rc->logdev);
	dm_put_device(ti, rc->dev);
	kfree(rc);
}

static void replay_copy_data(struct replay_entry *e, struct bio *bio)
{
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
			kunmap_local(dst);
			done += len;
			pos += len;
		}
	}
}

static int replay_map(struct dm_target *ti, struct bio *bio)
{
	struct replay_c *rc = ti->private;
	struct replay_bio *pb = dm_per_bio_data(bio, sizeof(struct replay_bio));
	enum req_op op = bio_op(bio);
	bool flush = bio->bi_opf & REQ_PREFLUSH;
	u32 data_sectors = 0, flags = 0;
	unsigned int data_pages = 0;
	struct replay_entry *e;
	size_t data_bytes, padded;

	pb->entry = NULL;
	bio_set_dev(bio, rc->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	switch (op) {
	case REQ_OP_WRITE:
		data_sectors = bio_sectors(bio);
		if (!data_sectors && !flush)
			return DM_MAPIO_REMAPPED;
		break;
	case REQ_OP_DISCARD:
		flags |= DMR_F_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		flags |= DMR_F_ZEROES;
		break;
	default:
		return DM_MAPIO_REMAPPED;
	}

	if (!replay_reserve(rc, dmr_entry_log_sectors(rc->block_size, data_sectors))) {
		/* Logging has stopped: a write that would be missing fails. */
		if (rc->error_on_full && bio_sectors(bio))
			return DM_MAPIO_KILL;
		return DM_MAPIO_REMAPPED;
	}

	data_bytes = (size_t)data_sectors << SECTOR_SHIFT;
	padded = (size_t)round_up(data_sectors, rc->block_sectors) << SECTOR_SHIFT;
	data_pages = DIV_ROUND_UP(padded, PAGE_SIZE);
	e = replay_entry_alloc(rc, 1 + data_pages);
	e->log_sectors = dmr_entry_log_sectors(rc->block_size, data_sectors);
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
		replay_copy_data(e, bio);
		if (padded > data_bytes)
			memzero_page(e->pages[1 + (data_bytes >> PAGE_SHIFT)],
				     offset_in_page(data_bytes), padded - data_bytes);
	}

	pb->entry = e;
	if (flush) {
		/* Its place in the log is now; it is written once it completes. */
		e->ready = false;
		replay_queue(rc, e);
	}
	return DM_MAPIO_REMAPPED;
}

static int replay_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct replay_c *rc = ti->private;
	struct replay_bio *pb = dm_per_bio_data(bio, sizeof(struct replay_bio));
	struct replay_entry *e = pb->entry;
	unsigned long flags;

	if (!e)
		return DM_ENDIO_DONE;
	pb->entry = NULL;

	if (!(e->rec.flags & DMR_F_FLUSH)) {
		/* A failed write left the device in an unknown state: not logged. */
		if (*error)
			replay_entry_drop(rc, e);
		else
			replay_queue(rc, e);
		return DM_ENDIO_DONE;
	}

	spin_lock_irqsave(&rc->lock, flags);
	e->failed = *error != BLK_STS_OK;
	e->ready = true;
	spin_unlock_irqrestore(&rc->lock, flags);
	wake_up_process(rc->writer);
	return DM_ENDIO_DONE;
}

static void replay_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct replay_c *rc = ti->private;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("record %llu %llu %llu %s", READ_ONCE(rc->nr_entries),
		       (unsigned long long)READ_ONCE(rc->next_sector),
		       (unsigned long long)rc->log_sectors,
		       replay_state_names[READ_ONCE(rc->state)]);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("record %s %s", rc->dev->name, rc->logdev->name);
		if (rc->opts)
			DMEMIT(" %u", hweight32(rc->opts));
		if (rc->opts & REPLAY_OPT_ON_FULL)
			DMEMIT(" on_log_full:%s", rc->error_on_full ? "error" : "passthrough");
		if (rc->opts & REPLAY_OPT_PENDING)
			DMEMIT(" max_pending_mb:%u", rc->max_pending_mb);
		break;

	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int replay_mark(struct replay_c *rc, const char *name)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct replay_entry *e;
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
	if (!replay_reserve(rc, rc->block_sectors)) {
		DMERR("mark %s not recorded: log %s", name,
		      replay_state_names[READ_ONCE(rc->state)]);
		return -ENOSPC;
	}

	e = replay_entry_alloc(rc, 1);
	e->log_sectors = rc->block_sectors;
	e->rec.type = DMR_TYPE_MARK;
	strscpy(e->rec.name, name, sizeof(e->rec.name));
	e->done = &done;
	e->result = &r;
	/* Queued after every write that has completed so far. */
	replay_queue(rc, e);
	wait_for_completion(&done);
	if (r)
		DMERR("mark %s not recorded: log %s", name,
		      replay_state_names[READ_ONCE(rc->state)]);
	return r;
}

/*
 * Messages:
 *   mark <name>
 */
static int replay_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct replay_c *rc = ti->private;

	if (argc >= 1 && !strcasecmp(argv[0], "mark")) {
		if (argc != 2) {
			DMERR("mark takes one name without spaces, got %u words", argc - 1);
			return -EINVAL;
		}
		return replay_mark(rc, argv[1]);
	}
	DMERR("unrecognised message '%s'", argc ? argv[0] : "");
	return -EINVAL;
}

static void replay_postsuspend(struct dm_target *ti)
{
	struct replay_c *rc = ti->private;

	/* No I/O is in flight: every entry is queued or written. */
	wait_event(rc->idle_wait, !atomic_read(&rc->live));
	mutex_lock(&rc->log_lock);
	replay_commit(rc);
	mutex_unlock(&rc->log_lock);
}

/* A new recording starts on the first resume, not at load: a table
 * loaded over a live one must not clobber the log that one is writing.
 */
static int replay_preresume(struct dm_target *ti)
{
	struct replay_c *rc = ti->private;
	int r = 0;

	mutex_lock(&rc->log_lock);
	if (!rc->started) {
		r = replay_commit(rc);
		rc->started = !r;
	}
	mutex_unlock(&rc->log_lock);
	return r;
}

static int replay_iterate_devices(struct dm_target *ti,
				  iterate_devices_callout_fn fn, void *data)
{
	struct replay_c *rc = ti->private;

	return fn(ti, rc->dev, 0, ti->len, data);
}

static void replay_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	/* Let upper layers build writes that fit one log entry. */
	limits->max_sectors = min(limits->max_sectors, REPLAY_MAX_IO_SECTORS);
}

static struct target_type replay_target = {
	.name = "replay",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = replay_ctr,
	.dtr = replay_dtr,
	.map = replay_map,
	.end_io = replay_end_io,
	.status = replay_status,
	.message = replay_message,
	.postsuspend = replay_postsuspend,
	.preresume = replay_preresume,
	.iterate_devices = replay_iterate_devices,
	.io_hints = replay_io_hints,
};

static int __init dm_replay_init(void)
{
	int r = dm_register_target(&replay_target);

	if (r < 0)
		DMERR("register failed %d", r);
	return r;
}

static void __exit dm_replay_exit(void)
{
	dm_unregister_target(&replay_target);
}

module_init(dm_replay_init);
module_exit(dm_replay_exit);

MODULE_DESCRIPTION(DM_NAME " target recording every write to a replayable log");
MODULE_AUTHOR("dm-testkit");
MODULE_LICENSE("GPL");
