// SPDX-License-Identifier: GPL-2.0
/*
 * dm-verify: mirror-compare verification, QEMU's blkverify for any block
 * device. Every write goes to a trusted reference device and to the device
 * under test; every read is issued to both at once and the data compared,
 * so the first corrupt read is caught where it happens.
 *
 * The target owns each request (map returns DM_MAPIO_SUBMITTED): it takes a
 * sector range lock so overlapping requests reach the two legs in the same
 * order, clones the request to both legs (reads of the reference land in a
 * bounce buffer from a mempool of slab pages), and completes it when both
 * are back. The completion of the second leg compares the data and ends a
 * clean request itself, in whatever context it runs; only a mismatch, which
 * raises a dm event (that sleeps), and a verify_writes read-back go to a
 * worker.
 */
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "verify.h"
#include "verify-mode.h"

#define DM_MSG_PREFIX "verify"

enum verify_leg_id {
	VERIFY_REF,
	VERIFY_TEST,
	VERIFY_NR_LEGS,
};

enum verify_stage {
	VERIFY_STAGE_IO,	/* the request itself, on both legs */
	VERIFY_STAGE_READBACK,	/* verify_writes: reading the test leg back */
};

struct verify_leg {
	struct dm_dev *dev;
	sector_t start;
};

struct verify_c {
	enum verify_mode mode;	/* VERIFY_MODE_PAIR; first, see verify-mode.h */
	struct dm_target *ti;
	struct verify_leg leg[VERIFY_NR_LEGS];
	struct verify_opts opts;

	/* One bio set per leg: a request holds at most one bio of each. */
	struct bio_set bs[VERIFY_NR_LEGS];
	mempool_t page_pool;	/* of verify_page_cache objects */
	/* Only one request at a time may wait for the page reserve. */
	struct mutex alloc_lock;
	/* Submission may wait for memory; completion never does. */
	struct workqueue_struct *submit_wq;
	struct workqueue_struct *done_wq;

	spinlock_t range_lock;	/* ranges; taken in bio completion */
	struct vrl ranges;

	atomic64_t reads;
	atomic64_t writes;

	spinlock_t stats_lock;	/* the mismatch record below */
	u64 mismatches;
	u64 read_mismatches;
	u64 status_mismatches;
	u64 readback_mismatches;
	sector_t first_mismatch;
	sector_t last_mismatch;
};

struct verify_io {
	struct verify_c *vc;
	struct bio *bio;
	struct bio *buf;	/* reference read or read-back; owns its pages */
	struct vrl_range range;
	struct work_struct work;
	atomic_t pending;
	blk_status_t status[VERIFY_NR_LEGS];
	enum verify_stage stage;
	bool locked;
};

enum verify_kind {
	VERIFY_KIND_READ,
	VERIFY_KIND_STATUS,
	VERIFY_KIND_READBACK,
};

/*
 * Page-sized, page-aligned slab objects for the bounce buffers of both
 * modes: a SLUB per-cpu allocation costs a fraction of the page
 * allocator's, and every read takes one per page.
 */
struct kmem_cache *verify_page_cache;

static bool verify_is_zeroing(struct bio *bio)
{
	return bio_op(bio) == REQ_OP_DISCARD || bio_op(bio) == REQ_OP_WRITE_ZEROES;
}

static const char *verify_op_name(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		return "read";
	case REQ_OP_WRITE:
		return bio_sectors(bio) ? "write" : "flush";
	case REQ_OP_DISCARD:
		return "discard";
	case REQ_OP_WRITE_ZEROES:
		return "write_zeroes";
	default:
		return "unknown";
	}
}

/* Constructor errors per leg: ti->error is the only message (dm prints it). */
static const struct {
	const char *bad_offset;
	const char *lookup_failed;
	const char *too_small;
	const char *zoned;
} verify_leg_errors[VERIFY_NR_LEGS] = {
	[VERIFY_REF] = {
		"Invalid reference offset", "Reference device lookup failed",
		"Reference device too small for the mapped length",
		"Zoned devices are not supported (reference)",
	},
	[VERIFY_TEST] = {
		"Invalid test offset", "Test device lookup failed",
		"Test device too small for the mapped length",
		"Zoned devices are not supported (test)",
	},
};

static int verify_get_leg(struct dm_target *ti, struct verify_c *vc, enum verify_leg_id id,
			  struct dm_arg_set *as)
{
	struct verify_leg *leg = &vc->leg[id];
	const char *path = dm_shift_arg(as);
	const char *offset = dm_shift_arg(as);
	unsigned long long start;
	sector_t size;
	int r;

	/* kstrtoull, unlike sscanf, refuses values that overflow. */
	if (kstrtoull(offset, 10, &start) || start != (sector_t)start) {
		ti->error = (char *)verify_leg_errors[id].bad_offset;
		return -EINVAL;
	}
	leg->start = start;

	r = dm_get_device(ti, path, dm_table_get_mode(ti->table), &leg->dev);
	if (r) {
		ti->error = (char *)verify_leg_errors[id].lookup_failed;
		return r;
	}

	if (bdev_is_zoned(leg->dev->bdev)) {
		ti->error = (char *)verify_leg_errors[id].zoned;
		return -EINVAL;
	}

	size = bdev_nr_sectors(leg->dev->bdev);
	if (leg->start > size || size - leg->start < ti->len) {
		ti->error = (char *)verify_leg_errors[id].too_small;
		return -EINVAL;
	}
	return 0;
}

/*
 * <#opt_args> is parsed here rather than by dm_read_arg_group(): dm core
 * reads it with sscanf("%u"), which takes 4294967297 for 1.
 */
static int verify_parse_opts(struct dm_target *ti, struct verify_c *vc, struct dm_arg_set *as)
{
	unsigned int nr;
	int r;

	if (!as->argc)
		return 0;

	if (kstrtouint(dm_shift_arg(as), 10, &nr) || nr > 2 || nr > as->argc) {
		ti->error = "Invalid number of optional arguments (0 to 2)";
		return -EINVAL;
	}

	while (nr--) {
		const char *error;

		r = verify_parse_opt(&vc->opts, dm_shift_arg(as), &error);
		if (r) {
			ti->error = (char *)error;
			return r;
		}
	}

	if (as->argc) {
		ti->error = "Too many arguments";
		return -EINVAL;
	}
	return 0;
}

static void verify_put_devices(struct dm_target *ti, struct verify_c *vc)
{
	int i;

	for (i = 0; i < VERIFY_NR_LEGS; i++)
		if (vc->leg[i].dev)
			dm_put_device(ti, vc->leg[i].dev);
}

static void verify_free(struct dm_target *ti, struct verify_c *vc)
{
	int i;

	if (vc->done_wq)
		destroy_workqueue(vc->done_wq);
	if (vc->submit_wq)
		destroy_workqueue(vc->submit_wq);
	mempool_exit(&vc->page_pool);
	for (i = 0; i < VERIFY_NR_LEGS; i++)
		bioset_exit(&vc->bs[i]);
	verify_put_devices(ti, vc);
	kfree(vc);
}

/*
 * Construct a verify mapping:
 * <reference_dev> <reference_offset> <test_dev> <test_offset>
 * [<#opt_args> <opt_arg>...]
 * or, with "quorum" as the first word, a quorum mapping (verify-quorum.c):
 * quorum <threshold> <#legs> <dev> <offset> [<dev> <offset>]...
 * [<#opt_args> <opt_arg>...]
 */
static int verify_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct verify_c *vc;
	int i, r;

	if (argc && !strcmp(argv[0], "quorum"))
		return verify_quorum_ctr(ti, argc, argv);

	if (argc < 4) {
		ti->error = "Not enough arguments (need 2 devices, each with an offset)";
		return -EINVAL;
	}

	vc = kzalloc(sizeof(*vc), GFP_KERNEL);
	if (!vc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	vc->mode = VERIFY_MODE_PAIR;
	vc->ti = ti;

	r = verify_get_leg(ti, vc, VERIFY_REF, &as);
	if (r)
		goto bad;
	r = verify_get_leg(ti, vc, VERIFY_TEST, &as);
	if (r)
		goto bad;
	if (vc->leg[VERIFY_REF].dev->bdev == vc->leg[VERIFY_TEST].dev->bdev) {
		ti->error = "Reference and test must be different devices";
		r = -EINVAL;
		goto bad;
	}

	r = verify_parse_opts(ti, vc, &as);
	if (r)
		goto bad;

	r = -ENOMEM;
	for (i = 0; i < VERIFY_NR_LEGS; i++) {
		if (bioset_init(&vc->bs[i], VERIFY_MIN_IOS, 0, BIOSET_NEED_BVECS)) {
			ti->error = "Cannot allocate bio set";
			goto bad;
		}
	}
	if (mempool_init_slab_pool(&vc->page_pool, VERIFY_MAX_IO_PAGES, verify_page_cache)) {
		ti->error = "Cannot allocate page mempool";
		goto bad;
	}
	vc->submit_wq = alloc_workqueue("dm-verify-submit", WQ_MEM_RECLAIM, 0);
	vc->done_wq = alloc_workqueue("dm-verify-done", WQ_MEM_RECLAIM, 0);
	if (!vc->submit_wq || !vc->done_wq) {
		ti->error = "Cannot allocate workqueue";
		goto bad;
	}

	r = dm_set_target_max_io_len(ti, VERIFY_MAX_IO_SECTORS);
	if (r)
		goto bad;

	mutex_init(&vc->alloc_lock);
	spin_lock_init(&vc->range_lock);
	vrl_init(&vc->ranges);
	spin_lock_init(&vc->stats_lock);

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	/* Discards become zeroing on both legs, so they need no leg support. */
	ti->discards_supported = true;
	ti->per_io_data_size = sizeof(struct verify_io);
	ti->private = vc;
	return 0;

bad:
	verify_free(ti, vc);
	return r;
}

static void verify_dtr(struct dm_target *ti)
{
	if (verify_mode_of(ti) == VERIFY_MODE_QUORUM) {
		verify_quorum_dtr(ti);
		return;
	}
	verify_free(ti, ti->private);
}

static void verify_free_buf(struct verify_c *vc, struct bio *buf)
{
	struct bio_vec *bv;
	struct bvec_iter_all iter_all;

	bio_for_each_segment_all(bv, buf, iter_all)
		mempool_free(page_address(bv->bv_page), &vc->page_pool);
	bio_put(buf);
}

/* A read bio of @size bytes into pages of its own; NULL only without reclaim. */
static struct bio *verify_alloc_buf(struct verify_c *vc, enum verify_leg_id leg,
				    struct bio *bio, gfp_t gfp)
{
	unsigned int size = bio->bi_iter.bi_size;
	blk_opf_t opf = REQ_OP_READ | (bio->bi_opf & VERIFY_READ_FLAGS);
	struct bio *buf;

	buf = bio_alloc_bioset(vc->leg[leg].dev->bdev, DIV_ROUND_UP(size, PAGE_SIZE), opf,
			       gfp, &vc->bs[leg]);
	if (!buf)
		return NULL;

	while (size) {
		unsigned int len = min_t(unsigned int, size, PAGE_SIZE);
		void *page = mempool_alloc(&vc->page_pool, gfp);

		if (!page) {
			verify_free_buf(vc, buf);
			return NULL;
		}
		__bio_add_page(buf, virt_to_page(page), len, 0);
		size -= len;
	}
	return buf;
}

static void verify_record(struct verify_c *vc, enum verify_kind kind, sector_t sector)
{
	spin_lock(&vc->stats_lock);
	if (!vc->mismatches)
		vc->first_mismatch = sector;
	vc->last_mismatch = sector;
	vc->mismatches++;
	switch (kind) {
	case VERIFY_KIND_READ:
		vc->read_mismatches++;
		break;
	case VERIFY_KIND_STATUS:
		vc->status_mismatches++;
		break;
	case VERIFY_KIND_READBACK:
		vc->readback_mismatches++;
		break;
	}
	spin_unlock(&vc->stats_lock);
	dm_table_event(vc->ti->table);
}

static void verify_start_work(struct work_struct *work);

/* Called under range_lock when the last conflicting request has left. */
static void verify_grant(struct vrl_range *range, void *context)
{
	struct verify_c *vc = context;
	struct verify_io *io = container_of(range, struct verify_io, range);

	INIT_WORK(&io->work, verify_start_work);
	queue_work(vc->submit_wq, &io->work);
}

static void verify_finish(struct verify_io *io, blk_status_t status)
{
	struct verify_c *vc = io->vc;
	unsigned long flags;

	if (io->locked) {
		spin_lock_irqsave(&vc->range_lock, flags);
		vrl_release(&vc->ranges, &io->range, verify_grant, vc);
		spin_unlock_irqrestore(&vc->range_lock, flags);
	}
	io->bio->bi_status = status;
	bio_endio(io->bio);
}

/*
 * Walk @data (from @diter) and @buf (from its start) side by side: find the
 * first differing byte, or with @copy set, copy @buf over @data.
 */
static bool verify_walk(struct bio *data, struct bio *buf, bool copy, sector_t *sector)
{
	struct bvec_iter diter = data->bi_iter;
	struct bvec_iter biter = {
		.bi_size = data->bi_iter.bi_size,
	};
	unsigned int done = 0;

	while (diter.bi_size) {
		struct bio_vec a = bio_iter_iovec(data, diter);
		struct bio_vec b = bio_iter_iovec(buf, biter);
		unsigned int n = min(a.bv_len, b.bv_len);
		u8 *pa = bvec_kmap_local(&a);
		u8 *pb = bvec_kmap_local(&b);
		size_t diff = n;

		if (copy)
			memcpy(pa, pb, n);
		else
			diff = verify_first_diff(pa, pb, n);
		kunmap_local(pb);
		kunmap_local(pa);
		if (diff < n) {
			*sector = data->bi_iter.bi_sector + ((done + diff) >> SECTOR_SHIFT);
			return true;
		}
		done += n;
		bio_advance_iter_single(data, &diter, n);
		bio_advance_iter_single(buf, &biter, n);
	}
	return false;
}

static void verify_done_work(struct work_struct *work);

/*
 * True if both legs (or the read-back) agree and the request needs nothing
 * more: no mismatch to record, no read-back to start. Reads and read-backs
 * are compared here, in the completion, with kmap_local and no sleeping.
 */
static bool verify_clean(struct verify_io *io)
{
	struct verify_c *vc = io->vc;
	struct bio *bio = io->bio;
	blk_status_t status = io->status[VERIFY_TEST];
	sector_t sector;

	if (io->stage == VERIFY_STAGE_READBACK)
		return !status && !verify_walk(bio, io->buf, false, &sector);
	if (io->status[VERIFY_REF] != status)
		return false;
	if (bio_op(bio) == REQ_OP_READ)
		return status || !verify_walk(bio, io->buf, false, &sector);
	return status || !vc->opts.verify_writes || bio_op(bio) != REQ_OP_WRITE ||
	       !bio_sectors(bio);
}

/* Both legs (or the read-back) are back: finish or hand on to a worker. */
static void verify_legs_done(struct verify_io *io)
{
	struct verify_c *vc = io->vc;

	if (!verify_clean(io)) {
		INIT_WORK(&io->work, verify_done_work);
		queue_work(vc->done_wq, &io->work);
		return;
	}
	if (io->buf) {
		verify_free_buf(vc, io->buf);
		io->buf = NULL;
	}
	verify_finish(io, io->status[VERIFY_TEST]);
}

static void verify_leg_status(struct verify_io *io, enum verify_leg_id leg, blk_status_t status)
{
	io->status[leg] = status;
	if (atomic_dec_and_test(&io->pending))
		verify_legs_done(io);
}

static void verify_leg_endio(struct bio *clone, enum verify_leg_id leg)
{
	struct verify_io *io = clone->bi_private;
	blk_status_t status = clone->bi_status;

	if (clone != io->buf)
		bio_put(clone);
	verify_leg_status(io, leg, status);
}

static void verify_ref_endio(struct bio *clone)
{
	verify_leg_endio(clone, VERIFY_REF);
}

static void verify_test_endio(struct bio *clone)
{
	verify_leg_endio(clone, VERIFY_TEST);
}

static bio_end_io_t *const verify_endio[VERIFY_NR_LEGS] = {
	[VERIFY_REF] = verify_ref_endio,
	[VERIFY_TEST] = verify_test_endio,
};

/*
 * Aim a bio of ours at @leg. A clone inherits REQ_POLLED from a polled
 * request, but dm polls only its own clone of the request, never the bios
 * a target allocates: one left polled would wait in the leg's poll queue,
 * which nobody polls, until it times out. Ours complete by interrupt.
 */
static void verify_prep_leg(struct verify_io *io, struct bio *clone, enum verify_leg_id leg)
{
	struct verify_c *vc = io->vc;

	bio_clear_polled(clone);
	clone->bi_opf &= ~REQ_NOWAIT;
	if (bio_sectors(io->bio))
		clone->bi_iter.bi_sector = vc->leg[leg].start +
			dm_target_offset(vc->ti, io->bio->bi_iter.bi_sector);
	clone->bi_end_io = verify_endio[leg];
	clone->bi_private = io;
}

/*
 * Send a read, write or flush to both legs. Either everything is allocated
 * and submitted or nothing is and -ENOMEM tells the caller to wait for
 * memory in the submit worker.
 */
static int verify_submit_legs(struct verify_io *io, gfp_t gfp)
{
	struct verify_c *vc = io->vc;
	struct bio *bio = io->bio;
	struct bio *clone[VERIFY_NR_LEGS];
	int i;

	clone[VERIFY_TEST] = bio_alloc_clone(vc->leg[VERIFY_TEST].dev->bdev, bio, gfp,
					     &vc->bs[VERIFY_TEST]);
	if (!clone[VERIFY_TEST])
		return -ENOMEM;

	if (bio_op(bio) == REQ_OP_READ)
		clone[VERIFY_REF] = verify_alloc_buf(vc, VERIFY_REF, bio, gfp);
	else
		clone[VERIFY_REF] = bio_alloc_clone(vc->leg[VERIFY_REF].dev->bdev, bio, gfp,
						    &vc->bs[VERIFY_REF]);
	if (!clone[VERIFY_REF]) {
		bio_put(clone[VERIFY_TEST]);
		return -ENOMEM;
	}
	if (bio_op(bio) == REQ_OP_READ)
		io->buf = clone[VERIFY_REF];

	atomic_set(&io->pending, VERIFY_NR_LEGS);
	for (i = 0; i < VERIFY_NR_LEGS; i++)
		verify_prep_leg(io, clone[i], i);
	/* The second completion may free @io: touch nothing after submitting. */
	for (i = 0; i < VERIFY_NR_LEGS; i++)
		submit_bio_noacct(clone[i]);
	return 0;
}

static int verify_submit_readback(struct verify_io *io, gfp_t gfp)
{
	struct bio *buf = verify_alloc_buf(io->vc, VERIFY_TEST, io->bio, gfp);

	if (!buf)
		return -ENOMEM;
	io->buf = buf;
	atomic_set(&io->pending, 1);
	verify_prep_leg(io, buf, VERIFY_TEST);
	submit_bio_noacct(buf);
	return 0;
}

static int verify_submit(struct verify_io *io, gfp_t gfp)
{
	if (io->stage == VERIFY_STAGE_READBACK)
		return verify_submit_readback(io, gfp);
	return verify_submit_legs(io, gfp);
}

/*
 * Discards and write_zeroes zero the range on both legs: after it the legs
 * must read the same, which a discard does not promise. Each leg is zeroed
 * with blkdev_issue_zeroout(), REQ_OP_WRITE_ZEROES where the leg has it and
 * zero pages where it has not or refuses it, in as many bios as the leg's
 * limits need, and waited for (this runs in the submit worker). The legs are
 * zeroed one after the other: the request's range stays locked throughout.
 */
static void verify_zeroout(struct verify_io *io)
{
	struct verify_c *vc = io->vc;
	struct bio *bio = io->bio;
	unsigned int flags = (bio->bi_opf & REQ_NOUNMAP) ? BLKDEV_ZERO_NOUNMAP : 0;
	sector_t offset = dm_target_offset(vc->ti, bio->bi_iter.bi_sector);
	sector_t nr = bio_sectors(bio);
	int err[VERIFY_NR_LEGS];
	int i;

	for (i = 0; i < VERIFY_NR_LEGS; i++)
		err[i] = blkdev_issue_zeroout(vc->leg[i].dev->bdev, vc->leg[i].start + offset,
					      nr, GFP_NOIO, flags);

	/* The second call may free @io. */
	atomic_set(&io->pending, VERIFY_NR_LEGS);
	for (i = 0; i < VERIFY_NR_LEGS; i++)
		verify_leg_status(io, i, errno_to_blk_status(err[i]));
}

/* Submission that may sleep: zeroing, or waiting for memory. */
static void verify_start_work(struct work_struct *work)
{
	struct verify_io *io = container_of(work, struct verify_io, work);
	struct verify_c *vc = io->vc;

	if (io->stage == VERIFY_STAGE_IO && verify_is_zeroing(io->bio)) {
		verify_zeroout(io);
		return;
	}
	if (!verify_submit(io, GFP_NOWAIT))
		return;

	/*
	 * With reclaim allowed the bio sets and the page pool wait for a free
	 * element instead of failing; serialising the waiters means the page
	 * reserve (one maximal request) is never split between them.
	 */
	mutex_lock(&vc->alloc_lock);
	verify_submit(io, GFP_NOIO);
	mutex_unlock(&vc->alloc_lock);
}

/* Start a request whose range is held; from map, must not sleep. */
static void verify_start(struct verify_io *io)
{
	if ((io->stage == VERIFY_STAGE_IO && verify_is_zeroing(io->bio)) ||
	    verify_submit(io, GFP_NOWAIT)) {
		INIT_WORK(&io->work, verify_start_work);
		queue_work(io->vc->submit_wq, &io->work);
	}
}

static blk_status_t verify_status_mismatch(struct verify_io *io)
{
	struct verify_c *vc = io->vc;
	struct bio *bio = io->bio;
	blk_status_t ref = io->status[VERIFY_REF], test = io->status[VERIFY_TEST];

	DMERR_LIMIT("%s: %s sector %llu len %u: status mismatch: reference %d, test %d",
		    dm_table_device_name(vc->ti->table), verify_op_name(bio),
		    (unsigned long long)bio->bi_iter.bi_sector, bio_sectors(bio),
		    blk_status_to_errno(ref), blk_status_to_errno(test));
	verify_record(vc, VERIFY_KIND_STATUS, bio->bi_iter.bi_sector);

	switch (vc->opts.policy) {
	case VERIFY_ON_MISMATCH_LOG:
		return test;
	case VERIFY_ON_MISMATCH_REFERENCE:
		if (!ref && bio_op(bio) == REQ_OP_READ)
			verify_walk(bio, io->buf, true, NULL);
		return ref;
	default:
		return test ? test : ref;
	}
}

static blk_status_t verify_read_done(struct verify_io *io)
{
	struct verify_c *vc = io->vc;
	struct bio *bio = io->bio;
	sector_t sector;

	if (io->status[VERIFY_REF] != io->status[VERIFY_TEST]) {
		/* Readahead may fail at will on either leg; a real read follows. */
		if (bio->bi_opf & REQ_RAHEAD)
			return BLK_STS_IOERR;
		return verify_status_mismatch(io);
	}
	if (io->status[VERIFY_TEST] || !verify_walk(bio, io->buf, false, &sector))
		return io->status[VERIFY_TEST];

	DMERR_LIMIT("%s: read sector %llu len %u: contents mismatch in sector %llu",
		    dm_table_device_name(vc->ti->table),
		    (unsigned long long)bio->bi_iter.bi_sector, bio_sectors(bio),
		    (unsigned long long)sector);
	verify_record(vc, VERIFY_KIND_READ, sector);

	switch (vc->opts.policy) {
	case VERIFY_ON_MISMATCH_LOG:
		return BLK_STS_OK;
	case VERIFY_ON_MISMATCH_REFERENCE:
		verify_walk(bio, io->buf, true, NULL);
		return BLK_STS_OK;
	default:
		return BLK_STS_IOERR;
	}
}

static blk_status_t verify_readback_done(struct verify_io *io)
{
	struct verify_c *vc = io->vc;
	struct bio *bio = io->bio;
	blk_status_t status = io->status[VERIFY_TEST];
	sector_t sector = bio->bi_iter.bi_sector;

	if (status) {
		DMERR_LIMIT("%s: write sector %llu len %u: read-back failed with %d",
			    dm_table_device_name(vc->ti->table), (unsigned long long)sector,
			    bio_sectors(bio), blk_status_to_errno(status));
	} else if (verify_walk(bio, io->buf, false, &sector)) {
		DMERR_LIMIT("%s: write sector %llu len %u: read-back mismatch in sector %llu",
			    dm_table_device_name(vc->ti->table),
			    (unsigned long long)bio->bi_iter.bi_sector, bio_sectors(bio),
			    (unsigned long long)sector);
	} else {
		return BLK_STS_OK;
	}
	verify_record(vc, VERIFY_KIND_READBACK, sector);
	if (vc->opts.policy != VERIFY_ON_MISMATCH_ERROR)
		return BLK_STS_OK;
	return status ? status : BLK_STS_IOERR;
}

/* Completion that needs a comparison, a dm event or a read-back. */
static void verify_done_work(struct work_struct *work)
{
	struct verify_io *io = container_of(work, struct verify_io, work);
	struct verify_c *vc = io->vc;
	blk_status_t status;

	if (io->stage == VERIFY_STAGE_READBACK) {
		status = verify_readback_done(io);
	} else if (bio_op(io->bio) == REQ_OP_READ) {
		status = verify_read_done(io);
	} else if (io->status[VERIFY_REF] != io->status[VERIFY_TEST]) {
		status = verify_status_mismatch(io);
	} else {
		/* A successful write with verify_writes: read the test leg back. */
		io->stage = VERIFY_STAGE_READBACK;
		verify_start(io);
		return;
	}

	if (io->buf) {
		verify_free_buf(vc, io->buf);
		io->buf = NULL;
	}
	verify_finish(io, status);
}

static int verify_map(struct dm_target *ti, struct bio *bio)
{
	struct verify_c *vc = ti->private;
	struct verify_io *io = dm_per_bio_data(bio, sizeof(struct verify_io));
	unsigned long flags;
	bool granted;

	if (verify_mode_of(ti) == VERIFY_MODE_QUORUM)
		return verify_quorum_map(ti, bio);

	io->vc = vc;
	io->bio = bio;
	io->buf = NULL;
	io->stage = VERIFY_STAGE_IO;
	io->locked = false;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		atomic64_inc(&vc->reads);
		break;
	case REQ_OP_WRITE:
		if (!bio_sectors(bio)) {
			/* An empty flush changes no data: no range to order. */
			verify_start(io);
			return DM_MAPIO_SUBMITTED;
		}
		fallthrough;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		atomic64_inc(&vc->writes);
		break;
	default:
		return DM_MAPIO_KILL;
	}

	io->range.start = bio->bi_iter.bi_sector;
	io->range.end = bio_end_sector(bio);
	io->range.write = bio_op(bio) != REQ_OP_READ;
	io->locked = true;
	spin_lock_irqsave(&vc->range_lock, flags);
	granted = vrl_acquire(&vc->ranges, &io->range);
	spin_unlock_irqrestore(&vc->range_lock, flags);

	/* Otherwise verify_grant() starts it when the conflicts are gone. */
	if (granted)
		verify_start(io);
	return DM_MAPIO_SUBMITTED;
}

static void verify_emit_sector(char *result, unsigned int maxlen, unsigned int *szp,
			       bool any, sector_t sector)
{
	unsigned int sz = *szp;

	if (any)
		DMEMIT(" %llu", (unsigned long long)sector);
	else
		DMEMIT(" -");
	*szp = sz;
}

static void verify_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct verify_c *vc = ti->private;
	unsigned int sz = 0;
	u64 mismatches, read_mm, status_mm, readback_mm;
	sector_t first, last;

	if (verify_mode_of(ti) == VERIFY_MODE_QUORUM) {
		verify_quorum_status(ti, type, status_flags, result, maxlen);
		return;
	}

	switch (type) {
	case STATUSTYPE_INFO:
		spin_lock(&vc->stats_lock);
		mismatches = vc->mismatches;
		read_mm = vc->read_mismatches;
		status_mm = vc->status_mismatches;
		readback_mm = vc->readback_mismatches;
		first = vc->first_mismatch;
		last = vc->last_mismatch;
		spin_unlock(&vc->stats_lock);

		DMEMIT("%llu %llu %llu", (unsigned long long)atomic64_read(&vc->reads),
		       (unsigned long long)atomic64_read(&vc->writes), mismatches);
		verify_emit_sector(result, maxlen, &sz, mismatches, first);
		verify_emit_sector(result, maxlen, &sz, mismatches, last);
		DMEMIT(" %llu %llu %llu", read_mm, status_mm, readback_mm);
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s %llu %s %llu", vc->leg[VERIFY_REF].dev->name,
		       (unsigned long long)vc->leg[VERIFY_REF].start,
		       vc->leg[VERIFY_TEST].dev->name,
		       (unsigned long long)vc->leg[VERIFY_TEST].start);
		if (vc->opts.policy_set || vc->opts.verify_writes)
			DMEMIT(" %u", vc->opts.policy_set + vc->opts.verify_writes);
		if (vc->opts.policy_set)
			DMEMIT(" on_mismatch:%s", verify_policy_name(vc->opts.policy));
		if (vc->opts.verify_writes)
			DMEMIT(" verify_writes");
		break;

	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int verify_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct verify_c *vc = ti->private;

	if (verify_mode_of(ti) == VERIFY_MODE_QUORUM)
		return verify_quorum_message(ti, argc, argv, result, maxlen);

	if (argc != 1 || strcmp(argv[0], "clear")) {
		DMERR("%s: unrecognised message '%s'%s (the only message is 'clear')",
		      dm_table_device_name(ti->table), argv[0],
		      argc > 1 ? " with arguments" : "");
		return -EINVAL;
	}

	spin_lock(&vc->stats_lock);
	atomic64_set(&vc->reads, 0);
	atomic64_set(&vc->writes, 0);
	vc->mismatches = 0;
	vc->read_mismatches = 0;
	vc->status_mismatches = 0;
	vc->readback_mismatches = 0;
	vc->first_mismatch = 0;
	vc->last_mismatch = 0;
	spin_unlock(&vc->stats_lock);
	return 0;
}

static int verify_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn, void *data)
{
	struct verify_c *vc = ti->private;
	int i, r;

	if (verify_mode_of(ti) == VERIFY_MODE_QUORUM)
		return verify_quorum_iterate_devices(ti, fn, data);

	for (i = 0; i < VERIFY_NR_LEGS; i++) {
		r = fn(ti, vc->leg[i].dev, vc->leg[i].start, ti->len, data);
		if (r)
			return r;
	}
	return 0;
}

static void verify_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	/* Both modes zero every leg for a discard, whatever the legs support. */
	limits->discard_granularity = limits->logical_block_size;
	limits->max_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
	limits->max_hw_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
	limits->max_sectors = min_t(unsigned int, limits->max_sectors, VERIFY_MAX_IO_SECTORS);
}

static struct target_type verify_target = {
	.name = "verify",
	.version = {1, 1, 0},
	.features = DM_TARGET_NOWAIT,
	.module = THIS_MODULE,
	.ctr = verify_ctr,
	.dtr = verify_dtr,
	.map = verify_map,
	.status = verify_status,
	.message = verify_message,
	.iterate_devices = verify_iterate_devices,
	.io_hints = verify_io_hints,
};

static int __init dm_verify_init(void)
{
	int r;

	verify_page_cache = kmem_cache_create("dm_verify_page", PAGE_SIZE, PAGE_SIZE, 0, NULL);
	if (!verify_page_cache)
		return -ENOMEM;

	r = dm_register_target(&verify_target);
	if (r < 0) {
		DMERR("register failed %d", r);
		kmem_cache_destroy(verify_page_cache);
	}
	return r;
}

static void __exit dm_verify_exit(void)
{
	dm_unregister_target(&verify_target);
	kmem_cache_destroy(verify_page_cache);
}

module_init(dm_verify_init);
module_exit(dm_verify_exit);

MODULE_DESCRIPTION(DM_NAME " target comparing a test device with a reference, or N legs by vote, on every I/O");
MODULE_AUTHOR("dm-testkit");
MODULE_LICENSE("GPL");
