// SPDX-License-Identifier: GPL-2.0
/*
 * dm-verify quorum mode: QEMU's quorum driver for any set of block devices.
 * Every write goes to all N legs and succeeds when at least <threshold> of
 * them took it; every read is issued to all legs at once, their data is
 * sorted into versions, and the version at least <threshold> legs read is
 * returned. The legs it outvoted are named in the kernel log, counted, and
 * with "repair" rewritten with the winning data. With read_pattern:fifo a
 * read goes to the first leg and falls over to the next only on an error.
 *
 * Requests are owned as in the two-leg mode (verify-target.c): a sector
 * range lock (verify-lock.c) orders overlapping requests so they reach
 * every leg in one order, leg 0 reads into the request's own pages and
 * legs 1..N-1 into bounce buffers, and the last completion compares the
 * legs and ends a clean request itself. A disagreement, a failed leg or a
 * repair goes to a worker.
 */
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "verify.h"
#include "verify-quorum.h"
#include "verify-mode.h"

#define DM_MSG_PREFIX "verify"

/* Room for "i (major:minor), " per leg in a log line. */
#define QUORUM_LEGS_NAME_LEN	(QUORUM_MAX_LEGS * 24)

struct quorum_leg {
	struct dm_dev *dev;
	sector_t start;
};

struct quorum_c {
	enum verify_mode mode;	/* VERIFY_MODE_QUORUM; first, see verify-mode.h */
	struct dm_target *ti;
	unsigned int nr_legs;
	unsigned int threshold;
	struct quorum_opts opts;
	struct quorum_leg leg[QUORUM_MAX_LEGS];

	/* One bio set per leg: a request holds at most one bio of each. */
	struct bio_set bs[QUORUM_MAX_LEGS];
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
	atomic64_t votes;
	atomic64_t no_quorum;
	atomic64_t repairs;
	atomic64_t lost[QUORUM_MAX_LEGS];
	/* Set by the constructor and by "clear": the next disagreement raises an event. */
	atomic_t event_armed;
};

struct quorum_io {
	struct quorum_c *qc;
	struct bio *bio;
	/* Reads: bounce buffers of legs 1..N-1, owning their pages; [0] unused. */
	struct bio *buf[QUORUM_MAX_LEGS];
	struct vrl_range range;
	struct work_struct work;
	atomic_t pending;
	blk_status_t status[QUORUM_MAX_LEGS];
	/* A leg's bio points at leg_id[leg], which holds leg: see quorum_io_of(). */
	u8 leg_id[QUORUM_MAX_LEGS];
	unsigned int fifo_leg;	/* read_pattern:fifo: the leg being read */
	bool locked;
};

/* Constructor errors per leg: ti->error must outlive the call, so no printf. */
#define QUORUM_LEG_ERRORS(n) {						\
	"Invalid offset of quorum leg " #n,				\
	"Device lookup failed for quorum leg " #n,			\
	"Quorum leg " #n " too small for the mapped length",		\
	"Zoned devices are not supported (quorum leg " #n ")",		\
	"Quorum leg " #n " is the same device as an earlier leg",	\
}

static const struct {
	const char *bad_offset;
	const char *lookup_failed;
	const char *too_small;
	const char *zoned;
	const char *duplicate;
} quorum_leg_errors[QUORUM_MAX_LEGS] = {
	QUORUM_LEG_ERRORS(1), QUORUM_LEG_ERRORS(2), QUORUM_LEG_ERRORS(3),
	QUORUM_LEG_ERRORS(4), QUORUM_LEG_ERRORS(5), QUORUM_LEG_ERRORS(6),
	QUORUM_LEG_ERRORS(7), QUORUM_LEG_ERRORS(8),
};

static bool quorum_is_zeroing(struct bio *bio)
{
	return bio_op(bio) == REQ_OP_DISCARD || bio_op(bio) == REQ_OP_WRITE_ZEROES;
}

static bool quorum_is_fifo_read(struct quorum_io *io)
{
	return bio_op(io->bio) == REQ_OP_READ &&
	       io->qc->opts.read_pattern == QUORUM_READ_FIFO;
}

static const char *quorum_op_name(struct bio *bio)
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

/* One rate-limited line about a request: "<dm device>: <op> sector <s> len <n>: ...". */
static __printf(2, 3) void quorum_err(struct quorum_io *io, const char *fmt, ...)
{
	struct bio *bio = io->bio;
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	DMERR_LIMIT("%s: %s sector %llu len %u: %pV", dm_table_device_name(io->qc->ti->table),
		    quorum_op_name(bio), (unsigned long long)bio->bi_iter.bi_sector,
		    bio_sectors(bio), &vaf);
	va_end(args);
}

/* "2 (7:1), 3 (7:2)": the legs in @legs, numbered from 1 in table order. */
static void quorum_legs_name(struct quorum_c *qc, unsigned int legs, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < qc->nr_legs; i++)
		if (legs & BIT(i))
			len += scnprintf(buf + len, size - len, "%s%u (%s)", len ? ", " : "",
					 i + 1, qc->leg[i].dev->name);
}

static int quorum_get_leg(struct dm_target *ti, struct quorum_c *qc, unsigned int i,
			  struct dm_arg_set *as)
{
	struct quorum_leg *leg = &qc->leg[i];
	const char *path = dm_shift_arg(as);
	const char *offset = dm_shift_arg(as);
	unsigned long long start;
	sector_t size;
	unsigned int j;
	int r;

	/* kstrtoull, unlike sscanf, refuses values that overflow. */
	if (kstrtoull(offset, 10, &start) || start != (sector_t)start) {
		ti->error = (char *)quorum_leg_errors[i].bad_offset;
		return -EINVAL;
	}
	leg->start = start;

	r = dm_get_device(ti, path, dm_table_get_mode(ti->table), &leg->dev);
	if (r) {
		ti->error = (char *)quorum_leg_errors[i].lookup_failed;
		return r;
	}
	for (j = 0; j < i; j++) {
		if (qc->leg[j].dev->bdev == leg->dev->bdev) {
			ti->error = (char *)quorum_leg_errors[i].duplicate;
			return -EINVAL;
		}
	}
	if (bdev_is_zoned(leg->dev->bdev)) {
		ti->error = (char *)quorum_leg_errors[i].zoned;
		return -EINVAL;
	}
	size = bdev_nr_sectors(leg->dev->bdev);
	if (leg->start > size || size - leg->start < ti->len) {
		ti->error = (char *)quorum_leg_errors[i].too_small;
		return -EINVAL;
	}
	return 0;
}

/* [<#opt_args> <opt_arg>...], the count read strictly (not dm's sscanf). */
static int quorum_parse_opts(struct dm_target *ti, struct quorum_c *qc, struct dm_arg_set *as)
{
	const char *error;
	unsigned int nr;

	if (!as->argc)
		return 0;

	if (quorum_parse_uint(dm_shift_arg(as), QUORUM_MAX_OPTS, &nr)) {
		ti->error = "Invalid number of optional arguments (0 to 3)";
		return -EINVAL;
	}
	if (nr > as->argc) {
		ti->error = "Fewer optional arguments than <#opt_args> says";
		return -EINVAL;
	}
	while (nr--) {
		if (quorum_parse_opt(&qc->opts, dm_shift_arg(as), &error)) {
			ti->error = (char *)error;
			return -EINVAL;
		}
	}
	if (as->argc) {
		ti->error = "Too many arguments";
		return -EINVAL;
	}
	if (quorum_check_opts(&qc->opts, &error)) {
		ti->error = (char *)error;
		return -EINVAL;
	}
	return 0;
}

static void quorum_free(struct dm_target *ti, struct quorum_c *qc)
{
	unsigned int i;

	if (qc->done_wq)
		destroy_workqueue(qc->done_wq);
	if (qc->submit_wq)
		destroy_workqueue(qc->submit_wq);
	mempool_exit(&qc->page_pool);
	for (i = 0; i < QUORUM_MAX_LEGS; i++) {
		bioset_exit(&qc->bs[i]);
		if (qc->leg[i].dev)
			dm_put_device(ti, qc->leg[i].dev);
	}
	kfree(qc);
}

/*
 * Construct a quorum mapping:
 * quorum <threshold> <#legs> <dev> <offset> [<dev> <offset>]...
 * [<#opt_args> <opt_arg>...]
 */
int verify_quorum_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	const char *threshold, *legs, *error;
	unsigned int t, n, i;
	struct quorum_c *qc;
	int r;

	dm_shift_arg(&as);	/* "quorum" */
	if (as.argc < 2) {
		ti->error = "Not enough arguments (quorum <threshold> <#legs> <dev> <offset>...)";
		return -EINVAL;
	}
	threshold = dm_shift_arg(&as);
	legs = dm_shift_arg(&as);
	if (quorum_parse_counts(threshold, legs, &t, &n, &error)) {
		ti->error = (char *)error;
		return -EINVAL;
	}
	if (as.argc < 2 * n) {
		ti->error = "Not enough arguments (<dev> <offset> for each of <#legs> legs)";
		return -EINVAL;
	}

	qc = kzalloc(sizeof(*qc), GFP_KERNEL);
	if (!qc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	qc->mode = VERIFY_MODE_QUORUM;
	qc->ti = ti;
	qc->threshold = t;
	qc->nr_legs = n;

	for (i = 0; i < n; i++) {
		r = quorum_get_leg(ti, qc, i, &as);
		if (r)
			goto bad;
	}
	r = quorum_parse_opts(ti, qc, &as);
	if (r)
		goto bad;

	r = -ENOMEM;
	for (i = 0; i < n; i++) {
		if (bioset_init(&qc->bs[i], VERIFY_MIN_IOS, 0, BIOSET_NEED_BVECS)) {
			ti->error = "Cannot allocate bio set";
			goto bad;
		}
	}
	/* A maximal read of legs 1..N-1 (leg 0 reads into the request). */
	if (mempool_init_slab_pool(&qc->page_pool, (n - 1) * VERIFY_MAX_IO_PAGES,
				   verify_page_cache)) {
		ti->error = "Cannot allocate page mempool";
		goto bad;
	}
	qc->submit_wq = alloc_workqueue("dm-verify-quorum-submit", WQ_MEM_RECLAIM, 0);
	qc->done_wq = alloc_workqueue("dm-verify-quorum-done", WQ_MEM_RECLAIM, 0);
	if (!qc->submit_wq || !qc->done_wq) {
		ti->error = "Cannot allocate workqueue";
		goto bad;
	}

	r = dm_set_target_max_io_len(ti, VERIFY_MAX_IO_SECTORS);
	if (r)
		goto bad;

	mutex_init(&qc->alloc_lock);
	spin_lock_init(&qc->range_lock);
	vrl_init(&qc->ranges);
	atomic_set(&qc->event_armed, 1);

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	/* Discards become zeroing on every leg, so they need no leg support. */
	ti->discards_supported = true;
	ti->per_io_data_size = sizeof(struct quorum_io);
	ti->private = qc;
	return 0;

bad:
	quorum_free(ti, qc);
	return r;
}

void verify_quorum_dtr(struct dm_target *ti)
{
	quorum_free(ti, ti->private);
}

static void quorum_free_buf(struct quorum_c *qc, struct bio *buf)
{
	struct bio_vec *bv;
	struct bvec_iter_all iter_all;

	bio_for_each_segment_all(bv, buf, iter_all)
		mempool_free(page_address(bv->bv_page), &qc->page_pool);
	bio_put(buf);
}

static void quorum_free_bufs(struct quorum_io *io)
{
	unsigned int i;

	for (i = 1; i < io->qc->nr_legs; i++) {
		if (io->buf[i]) {
			quorum_free_buf(io->qc, io->buf[i]);
			io->buf[i] = NULL;
		}
	}
}

/* A read bio of the request's size into pages of its own; NULL only without reclaim. */
static struct bio *quorum_alloc_buf(struct quorum_c *qc, unsigned int leg, struct bio *bio,
				    gfp_t gfp)
{
	unsigned int size = bio->bi_iter.bi_size;
	blk_opf_t opf = REQ_OP_READ | (bio->bi_opf & VERIFY_READ_FLAGS);
	struct bio *buf;

	buf = bio_alloc_bioset(qc->leg[leg].dev->bdev, DIV_ROUND_UP(size, PAGE_SIZE), opf,
			       gfp, &qc->bs[leg]);
	if (!buf)
		return NULL;

	while (size) {
		unsigned int len = min_t(unsigned int, size, PAGE_SIZE);
		void *page = mempool_alloc(&qc->page_pool, gfp);

		if (!page) {
			quorum_free_buf(qc, buf);
			return NULL;
		}
		__bio_add_page(buf, virt_to_page(page), len, 0);
		size -= len;
	}
	return buf;
}

static void quorum_start_work(struct work_struct *work);

/* Called under range_lock when the last conflicting request has left. */
static void quorum_grant(struct vrl_range *range, void *context)
{
	struct quorum_c *qc = context;
	struct quorum_io *io = container_of(range, struct quorum_io, range);

	INIT_WORK(&io->work, quorum_start_work);
	queue_work(qc->submit_wq, &io->work);
}

static void quorum_finish(struct quorum_io *io, blk_status_t status)
{
	struct quorum_c *qc = io->qc;
	unsigned long flags;

	if (io->locked) {
		spin_lock_irqsave(&qc->range_lock, flags);
		vrl_release(&qc->ranges, &io->range, quorum_grant, qc);
		spin_unlock_irqrestore(&qc->range_lock, flags);
	}
	io->bio->bi_status = status;
	bio_endio(io->bio);
}

/* Leg 0's data is the request itself; the other legs' are their buffers. */
static void quorum_leg_data(struct quorum_io *io, unsigned int leg, struct bio **bio,
			    struct bvec_iter *iter)
{
	if (!leg) {
		*bio = io->bio;
		*iter = io->bio->bi_iter;
		return;
	}
	*bio = io->buf[leg];
	*iter = (struct bvec_iter){ .bi_size = io->bio->bi_iter.bi_size };
}

/*
 * True if the data of legs @a and @b differ; with @copy, copy leg @b's
 * data over leg @a's instead. Runs in completion context: kmap_local only.
 */
static bool quorum_walk(struct quorum_io *io, unsigned int a, unsigned int b, bool copy)
{
	struct bio *da, *db;
	struct bvec_iter ia, ib;

	quorum_leg_data(io, a, &da, &ia);
	quorum_leg_data(io, b, &db, &ib);
	while (ia.bi_size) {
		struct bio_vec va = bio_iter_iovec(da, ia);
		struct bio_vec vb = bio_iter_iovec(db, ib);
		unsigned int n = min(va.bv_len, vb.bv_len);
		u8 *pa = bvec_kmap_local(&va);
		u8 *pb = bvec_kmap_local(&vb);
		bool differ = false;

		if (copy)
			memcpy(pa, pb, n);
		else
			differ = verify_first_diff(pa, pb, n) < n;
		kunmap_local(pb);
		kunmap_local(pa);
		if (differ)
			return true;
		bio_advance_iter_single(da, &ia, n);
		bio_advance_iter_single(db, &ib, n);
	}
	return false;
}

static bool quorum_same(void *context, unsigned int a, unsigned int b)
{
	return !quorum_walk(context, a, b, false);
}

static void quorum_done_work(struct work_struct *work);

/* Every leg answered and agreed: nothing to count, log or repair. */
static bool quorum_clean(struct quorum_io *io)
{
	unsigned int i;

	for (i = 0; i < io->qc->nr_legs; i++)
		if (io->status[i])
			return false;
	if (bio_op(io->bio) != REQ_OP_READ)
		return true;
	for (i = 1; i < io->qc->nr_legs; i++)
		if (quorum_walk(io, 0, i, false))
			return false;
	return true;
}

/* All legs are back: finish a clean request here, hand the rest to a worker. */
static void quorum_legs_done(struct quorum_io *io)
{
	if (!quorum_clean(io)) {
		INIT_WORK(&io->work, quorum_done_work);
		queue_work(io->qc->done_wq, &io->work);
		return;
	}
	quorum_free_bufs(io);
	quorum_finish(io, BLK_STS_OK);
}

/* A fifo read's leg is back: done, or on an error fall over to the next leg. */
static void quorum_fifo_done(struct quorum_io *io, blk_status_t status)
{
	struct quorum_c *qc = io->qc;
	struct bio *bio = io->bio;
	unsigned int leg = io->fifo_leg;

	/* Readahead may fail at will; a real read follows. */
	if (!status || (bio->bi_opf & REQ_RAHEAD) || leg + 1 >= qc->nr_legs) {
		quorum_finish(io, status);
		return;
	}
	atomic64_inc(&qc->lost[leg]);
	quorum_err(io, "leg %u (%s) failed with %d, reading leg %u", leg + 1,
		   qc->leg[leg].dev->name, blk_status_to_errno(status), leg + 2);
	io->fifo_leg++;
	INIT_WORK(&io->work, quorum_start_work);
	queue_work(qc->submit_wq, &io->work);
}

/* bi_private of a leg's bio is &io->leg_id[leg], and leg_id[leg] == leg. */
static struct quorum_io *quorum_io_of(struct bio *clone, unsigned int *leg)
{
	u8 *id = clone->bi_private;

	*leg = *id;
	return container_of(id - *id, struct quorum_io, leg_id[0]);
}

static void quorum_endio(struct bio *clone)
{
	unsigned int leg;
	struct quorum_io *io = quorum_io_of(clone, &leg);
	blk_status_t status = clone->bi_status;

	if (clone != io->buf[leg])
		bio_put(clone);
	if (quorum_is_fifo_read(io)) {
		quorum_fifo_done(io, status);
		return;
	}
	io->status[leg] = status;
	if (atomic_dec_and_test(&io->pending))
		quorum_legs_done(io);
}

/*
 * Aim a bio of ours at @leg. Ours complete by interrupt, never polled (dm
 * polls only its own clone of the request), and may wait.
 */
static void quorum_prep_leg(struct quorum_io *io, struct bio *clone, unsigned int leg)
{
	struct quorum_c *qc = io->qc;

	bio_clear_polled(clone);
	clone->bi_opf &= ~REQ_NOWAIT;
	if (bio_sectors(io->bio))
		clone->bi_iter.bi_sector = qc->leg[leg].start +
			dm_target_offset(qc->ti, io->bio->bi_iter.bi_sector);
	clone->bi_end_io = quorum_endio;
	clone->bi_private = &io->leg_id[leg];
}

/* A fifo read: the request's own pages, from the current leg. */
static int quorum_submit_fifo(struct quorum_io *io, gfp_t gfp)
{
	struct quorum_c *qc = io->qc;
	unsigned int leg = io->fifo_leg;
	struct bio *clone;

	clone = bio_alloc_clone(qc->leg[leg].dev->bdev, io->bio, gfp, &qc->bs[leg]);
	if (!clone)
		return -ENOMEM;
	quorum_prep_leg(io, clone, leg);
	submit_bio_noacct(clone);
	return 0;
}

/*
 * Send a read, write or flush to every leg. Either everything is allocated
 * and submitted or nothing is and -ENOMEM tells the caller to wait for
 * memory in the submit worker.
 */
static int quorum_submit(struct quorum_io *io, gfp_t gfp)
{
	struct quorum_c *qc = io->qc;
	struct bio *bio = io->bio;
	bool read = bio_op(bio) == REQ_OP_READ;
	struct bio *clone[QUORUM_MAX_LEGS];
	unsigned int i;

	if (quorum_is_fifo_read(io))
		return quorum_submit_fifo(io, gfp);

	for (i = 0; i < qc->nr_legs; i++) {
		if (read && i)
			clone[i] = quorum_alloc_buf(qc, i, bio, gfp);
		else
			clone[i] = bio_alloc_clone(qc->leg[i].dev->bdev, bio, gfp, &qc->bs[i]);
		if (!clone[i])
			goto nomem;
	}

	atomic_set(&io->pending, qc->nr_legs);
	for (i = 0; i < qc->nr_legs; i++) {
		if (read && i)
			io->buf[i] = clone[i];
		quorum_prep_leg(io, clone[i], i);
	}
	/* The last completion may free @io: touch nothing after submitting. */
	for (i = 0; i < qc->nr_legs; i++)
		submit_bio_noacct(clone[i]);
	return 0;

nomem:
	while (i--) {
		if (read && i)
			quorum_free_buf(qc, clone[i]);
		else
			bio_put(clone[i]);
	}
	return -ENOMEM;
}

/*
 * Discards and write_zeroes zero the range on every leg, one after the
 * other, with blkdev_issue_zeroout() (as the two-leg mode does: after it
 * the legs must read the same, which a discard does not promise).
 */
static void quorum_zeroout(struct quorum_io *io)
{
	struct quorum_c *qc = io->qc;
	struct bio *bio = io->bio;
	unsigned int flags = (bio->bi_opf & REQ_NOUNMAP) ? BLKDEV_ZERO_NOUNMAP : 0;
	sector_t offset = dm_target_offset(qc->ti, bio->bi_iter.bi_sector);
	unsigned int i;

	for (i = 0; i < qc->nr_legs; i++) {
		int err = blkdev_issue_zeroout(qc->leg[i].dev->bdev, qc->leg[i].start + offset,
					       bio_sectors(bio), GFP_NOIO, flags);

		io->status[i] = errno_to_blk_status(err);
	}
	quorum_legs_done(io);
}

/* Submission that may sleep: zeroing, a fifo fall-over, or waiting for memory. */
static void quorum_start_work(struct work_struct *work)
{
	struct quorum_io *io = container_of(work, struct quorum_io, work);
	struct quorum_c *qc = io->qc;

	if (quorum_is_zeroing(io->bio)) {
		quorum_zeroout(io);
		return;
	}
	if (!quorum_submit(io, GFP_NOWAIT))
		return;

	/*
	 * With reclaim allowed the bio sets and the page pool wait for a free
	 * element instead of failing; serialising the waiters means the page
	 * reserve (one maximal request) is never split between them.
	 */
	mutex_lock(&qc->alloc_lock);
	quorum_submit(io, GFP_NOIO);
	mutex_unlock(&qc->alloc_lock);
}

/* Start a request whose range is held; from map, must not sleep. */
static void quorum_start(struct quorum_io *io)
{
	if (quorum_is_zeroing(io->bio) || quorum_submit(io, GFP_NOWAIT)) {
		INIT_WORK(&io->work, quorum_start_work);
		queue_work(io->qc->submit_wq, &io->work);
	}
}

/* The first disagreement after the constructor or a "clear" raises an event. */
static void quorum_event(struct quorum_c *qc)
{
	if (atomic_xchg(&qc->event_armed, 0))
		dm_table_event(qc->ti->table);
}

/*
 * Rewrite each leg in @lost with the winning data, now in the request's
 * pages. The request's range is still held, so no write can come between
 * the vote and the repair. A leg's buffer goes back before its repair bio
 * is taken from the same bio set.
 */
static void quorum_repair(struct quorum_io *io, unsigned int lost)
{
	struct quorum_c *qc = io->qc;
	struct bio *bio = io->bio;
	unsigned int i;

	for (i = 0; i < qc->nr_legs; i++) {
		struct bio *w;
		int err;

		if (!(lost & BIT(i)))
			continue;
		if (io->buf[i]) {
			quorum_free_buf(qc, io->buf[i]);
			io->buf[i] = NULL;
		}
		w = bio_alloc_clone(qc->leg[i].dev->bdev, bio, GFP_NOIO, &qc->bs[i]);
		w->bi_opf = REQ_OP_WRITE | REQ_SYNC;
		w->bi_iter.bi_sector = qc->leg[i].start +
			dm_target_offset(qc->ti, bio->bi_iter.bi_sector);
		err = submit_bio_wait(w);
		bio_put(w);
		if (err) {
			quorum_err(io, "repair of leg %u (%s) failed with %d",
				   i + 1, qc->leg[i].dev->name, err);
			continue;
		}
		atomic64_inc(&qc->repairs);
	}
}

static blk_status_t quorum_read_done(struct quorum_io *io)
{
	struct quorum_c *qc = io->qc;
	struct bio *bio = io->bio;
	char legs[QUORUM_LEGS_NAME_LEN];
	bool ok[QUORUM_MAX_LEGS];
	u8 cls[QUORUM_MAX_LEGS];
	struct quorum_result res;
	int first_ok = -1;
	bool failed = false;
	unsigned int i;

	for (i = 0; i < qc->nr_legs; i++) {
		ok[i] = !io->status[i];
		failed |= !ok[i];
		if (ok[i] && first_ok < 0)
			first_ok = i;
	}
	/* Readahead may fail at will on any leg; a real read follows. */
	if ((bio->bi_opf & REQ_RAHEAD) && failed)
		return BLK_STS_IOERR;

	quorum_classify(qc->nr_legs, ok, quorum_same, io, cls);
	quorum_vote(qc->nr_legs, qc->threshold, cls, &res);

	if (res.disagreement) {
		atomic64_inc(&qc->votes);
		for (i = 0; i < qc->nr_legs; i++)
			if (res.lost & BIT(i))
				atomic64_inc(&qc->lost[i]);
		quorum_event(qc);
	}

	if (res.winner < 0) {
		bool use_first = qc->opts.on_no_quorum == QUORUM_NOQ_LOG && first_ok >= 0;

		atomic64_inc(&qc->no_quorum);
		quorum_err(io, "no quorum: %u of %u legs agree, threshold %u%s",
			   res.agree, qc->nr_legs, qc->threshold,
			    use_first ? ", returning the first leg's data" : "");
		if (!use_first)
			return first_ok < 0 ? io->status[0] : BLK_STS_IOERR;
		if (first_ok)
			quorum_walk(io, 0, first_ok, true);
		return BLK_STS_OK;
	}

	if (res.lost) {
		quorum_legs_name(qc, res.lost, legs, sizeof(legs));
		quorum_err(io, "outvoted %s: %u of %u legs agree, threshold %u",
			   legs, res.agree, qc->nr_legs, qc->threshold);
	}
	if (res.winner)
		quorum_walk(io, 0, res.winner, true);
	if (qc->opts.repair && res.lost)
		quorum_repair(io, res.lost);
	return BLK_STS_OK;
}

/*
 * A write, flush or zeroing that failed on some legs. It succeeds if at
 * least threshold legs took it; the failed legs keep their old data, to
 * be outvoted (and with repair rewritten) when the range is read.
 */
static blk_status_t quorum_write_done(struct quorum_io *io)
{
	struct quorum_c *qc = io->qc;
	char legs[QUORUM_LEGS_NAME_LEN];
	blk_status_t first_err = BLK_STS_OK;
	unsigned int i, failed = 0, good = 0;

	for (i = 0; i < qc->nr_legs; i++) {
		if (!io->status[i]) {
			good++;
			continue;
		}
		failed |= BIT(i);
		if (!first_err)
			first_err = io->status[i];
	}
	quorum_legs_name(qc, failed, legs, sizeof(legs));
	quorum_err(io, "failed on leg %s: %u of %u legs succeeded, threshold %u",
		   legs, good, qc->nr_legs, qc->threshold);
	return good >= qc->threshold ? BLK_STS_OK : first_err;
}

/* Completion that needs a vote, a log line, an event or a repair. */
static void quorum_done_work(struct work_struct *work)
{
	struct quorum_io *io = container_of(work, struct quorum_io, work);
	blk_status_t status;

	if (bio_op(io->bio) == REQ_OP_READ)
		status = quorum_read_done(io);
	else
		status = quorum_write_done(io);
	quorum_free_bufs(io);
	quorum_finish(io, status);
}

int verify_quorum_map(struct dm_target *ti, struct bio *bio)
{
	struct quorum_c *qc = ti->private;
	struct quorum_io *io = dm_per_bio_data(bio, sizeof(struct quorum_io));
	unsigned long flags;
	unsigned int i;
	bool granted;

	io->qc = qc;
	io->bio = bio;
	io->fifo_leg = 0;
	io->locked = false;
	for (i = 0; i < QUORUM_MAX_LEGS; i++) {
		io->buf[i] = NULL;
		io->status[i] = BLK_STS_OK;
		io->leg_id[i] = i;
	}

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		atomic64_inc(&qc->reads);
		break;
	case REQ_OP_WRITE:
		if (!bio_sectors(bio)) {
			/* An empty flush changes no data: no range to order. */
			quorum_start(io);
			return DM_MAPIO_SUBMITTED;
		}
		fallthrough;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		atomic64_inc(&qc->writes);
		break;
	default:
		return DM_MAPIO_KILL;
	}

	io->range.start = bio->bi_iter.bi_sector;
	io->range.end = bio_end_sector(bio);
	io->range.write = bio_op(bio) != REQ_OP_READ;
	io->locked = true;
	spin_lock_irqsave(&qc->range_lock, flags);
	granted = vrl_acquire(&qc->ranges, &io->range);
	spin_unlock_irqrestore(&qc->range_lock, flags);

	/* Otherwise quorum_grant() starts it when the conflicts are gone. */
	if (granted)
		quorum_start(io);
	return DM_MAPIO_SUBMITTED;
}

void verify_quorum_status(struct dm_target *ti, status_type_t type, unsigned int status_flags,
			  char *result, unsigned int maxlen)
{
	struct quorum_c *qc = ti->private;
	unsigned int sz = 0;
	unsigned int i;

	switch (type) {
	case STATUSTYPE_INFO:
		DMEMIT("%llu %llu %llu %llu %llu",
		       (unsigned long long)atomic64_read(&qc->reads),
		       (unsigned long long)atomic64_read(&qc->writes),
		       (unsigned long long)atomic64_read(&qc->votes),
		       (unsigned long long)atomic64_read(&qc->no_quorum),
		       (unsigned long long)atomic64_read(&qc->repairs));
		for (i = 0; i < qc->nr_legs; i++)
			DMEMIT(" %llu", (unsigned long long)atomic64_read(&qc->lost[i]));
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("quorum %u %u", qc->threshold, qc->nr_legs);
		for (i = 0; i < qc->nr_legs; i++)
			DMEMIT(" %s %llu", qc->leg[i].dev->name,
			       (unsigned long long)qc->leg[i].start);
		if (quorum_opt_count(&qc->opts))
			DMEMIT(" %u", quorum_opt_count(&qc->opts));
		if (qc->opts.repair)
			DMEMIT(" repair");
		if (qc->opts.on_no_quorum_set)
			DMEMIT(" on_no_quorum:%s",
			       quorum_on_no_quorum_name(qc->opts.on_no_quorum));
		if (qc->opts.read_pattern_set)
			DMEMIT(" read_pattern:%s",
			       quorum_read_pattern_name(qc->opts.read_pattern));
		break;

	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

int verify_quorum_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct quorum_c *qc = ti->private;
	unsigned int i;

	if (argc != 1 || strcmp(argv[0], "clear")) {
		DMERR("%s: unrecognised message '%s'%s (the only message is 'clear')",
		      dm_table_device_name(ti->table), argv[0],
		      argc > 1 ? " with arguments" : "");
		return -EINVAL;
	}

	atomic64_set(&qc->reads, 0);
	atomic64_set(&qc->writes, 0);
	atomic64_set(&qc->votes, 0);
	atomic64_set(&qc->no_quorum, 0);
	atomic64_set(&qc->repairs, 0);
	for (i = 0; i < qc->nr_legs; i++)
		atomic64_set(&qc->lost[i], 0);
	atomic_set(&qc->event_armed, 1);
	return 0;
}

int verify_quorum_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				  void *data)
{
	struct quorum_c *qc = ti->private;
	unsigned int i;
	int r;

	for (i = 0; i < qc->nr_legs; i++) {
		r = fn(ti, qc->leg[i].dev, qc->leg[i].start, ti->len, data);
		if (r)
			return r;
	}
	return 0;
}
