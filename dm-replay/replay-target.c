// SPDX-License-Identifier: GPL-2.0
/*
 * dm-replay: pass all I/O through to a data device and record every write,
 * with its data, every flush, FUA, discard and write_zeroes, and named
 * marks, in an ordered log on a second device. The dmreplay tool rebuilds
 * the device as it stood at any entry or mark of that log. The log format
 * is in include/dm-replay-log.h; docs/dm-replay.rst describes the target.
 *
 * This file is the target: its table line, constructor and destructor,
 * map and end_io (which hand a request to record mode, replay-record.c, or
 * play mode, replay-play.c), status, messages and suspend/resume.
 */
#include <linux/module.h>

#include "replay.h"

/* The optional arguments: "<name>:<value>", or "<name>" alone. */
static const struct replay_optdef {
	const char *name;
	unsigned int bit;
	bool has_value;
	bool record;		/* of record mode, else of play mode */
	char *dup_error;
} replay_optdefs[] = {
	{ "on_log_full", REPLAY_OPT_ON_FULL, true, true, "Duplicate on_log_full option" },
	{ "max_pending_mb", REPLAY_OPT_PENDING, true, true, "Duplicate max_pending_mb option" },
	{ "no_completions", REPLAY_OPT_NO_COMP, false, true, "Duplicate no_completions option" },
	{ "format", REPLAY_OPT_FORMAT, true, true, "Duplicate format option" },
	{ "on_divergence", REPLAY_OPT_ON_DIV, true, false, "Duplicate on_divergence option" },
	{ "timeout_ms", REPLAY_OPT_TIMEOUT, true, false, "Duplicate timeout_ms option" },
};

/* The option bit of @arg for this mode (0 if none), its value in @value. */
static unsigned int replay_opt(struct replay_c *rc, const char *arg, const char **value,
			       char **error)
{
	bool record = rc->mode == REPLAY_RECORD;
	const struct replay_optdef *d;
	size_t len;

	for (d = replay_optdefs; d < replay_optdefs + ARRAY_SIZE(replay_optdefs); d++) {
		len = strlen(d->name);
		if (d->record != record || strncmp(arg, d->name, len) ||
		    arg[len] != (d->has_value ? ':' : '\0'))
			continue;
		if (rc->opts & d->bit) {
			*error = d->dup_error;
			return 0;
		}
		rc->opts |= d->bit;
		*value = arg + len + d->has_value;
		return d->bit;
	}
	return 0;
}

static int replay_parse_opts(struct replay_c *rc, struct dm_arg_set *as, char **error)
{
	static const struct dm_arg _args[] = {
		{0, 4, "Invalid number of optional arguments"},
	};
	const char *arg, *value;
	unsigned int argc, val;
	int r;

	rc->max_pending_mb = REPLAY_DEF_PENDING_MB;
	rc->play.timeout_ms = REPLAY_DEF_TIMEOUT_MS;
	if (!as->argc)
		return 0;
	/* dm_read_arg_group() reads the count with sscanf("%u"), which wraps. */
	if (kstrtouint(as->argv[0], 10, &argc)) {
		*error = _args[0].error;
		return -EINVAL;
	}
	r = dm_read_arg_group(_args, as, &argc, error);
	if (r)
		return r;

	while (argc--) {
		arg = dm_shift_arg(as);
		*error = NULL;
		switch (replay_opt(rc, arg, &value, error)) {
		case REPLAY_OPT_ON_FULL:
			if (!strcmp(value, "error")) {
				rc->error_on_full = true;
			} else if (strcmp(value, "passthrough")) {
				*error = "Invalid on_log_full: expected passthrough or error";
				return -EINVAL;
			}
			break;
		case REPLAY_OPT_PENDING:
			if (kstrtouint(value, 10, &val) || !val || val > REPLAY_MAX_PENDING_MB) {
				*error = "Invalid max_pending_mb: expected 1 to 1024";
				return -EINVAL;
			}
			rc->max_pending_mb = val;
			break;
		case REPLAY_OPT_NO_COMP:
			break;
		case REPLAY_OPT_FORMAT:
			if (!strcmp(value, "log-writes")) {
				rc->lw = true;
			} else if (strcmp(value, "dm-replay")) {
				*error = "Invalid format: expected dm-replay or log-writes";
				return -EINVAL;
			}
			break;
		case REPLAY_OPT_ON_DIV:
			if (!strcmp(value, "fail")) {
				rc->play.fail_on_divergence = true;
			} else if (strcmp(value, "passthrough")) {
				*error = "Invalid on_divergence: expected passthrough or fail";
				return -EINVAL;
			}
			break;
		case REPLAY_OPT_TIMEOUT:
			if (kstrtouint(value, 10, &val) || val > REPLAY_MAX_TIMEOUT_MS) {
				*error = "Invalid timeout_ms: expected 0 to 3600000";
				return -EINVAL;
			}
			rc->play.timeout_ms = val;
			break;
		default:
			if (*error)
				return -EINVAL;
			*error = rc->mode == REPLAY_RECORD ?
				"Unknown optional argument for record mode" :
				"Unknown optional argument for play mode";
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
 * The completion record of a request, taken when it is mapped (a lower
 * device may advance bi_iter before it completes); false for operations
 * the log does not describe.
 */
bool replay_bio_crec(struct bio *bio, struct dmr_crec *c)
{
	c->sector = bio_sectors(bio) ? bio->bi_iter.bi_sector : 0;
	c->nr_sectors = bio_sectors(bio);
	c->flags = 0;
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		c->op = DMR_OP_READ;
		break;
	case REQ_OP_WRITE:
		c->op = c->nr_sectors ? DMR_OP_WRITE : DMR_OP_FLUSH;
		break;
	case REQ_OP_DISCARD:
		c->op = DMR_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		c->op = DMR_OP_ZEROES;
		break;
	default:
		return false;
	}
	if (c->op == DMR_OP_FLUSH && !(bio->bi_opf & REQ_PREFLUSH))
		return false;
	if (bio->bi_opf & REQ_PREFLUSH)
		c->flags |= DMR_CF_PREFLUSH;
	if (bio->bi_opf & REQ_FUA)
		c->flags |= DMR_CF_FUA;
	if (bio->bi_opf & REQ_META)
		c->flags |= DMR_CF_META;
	return true;
}

/*
 * Construct a mapping:
 *   record <data_dev> <log_dev> [<#opt_args> <opt_arg>...]
 *   play <data_dev> <log_dev> [<#opt_args> <opt_arg>...]
 */
static int replay_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	struct replay_c *rc;
	const char *mode;
	unsigned int bs;
	dmtk_mode_t log_mode;
	int r;

	if (argc < 3) {
		ti->error = "Invalid argument count: expected <mode> <data_dev> <log_dev>";
		return -EINVAL;
	}
	mode = dm_shift_arg(&as);
	if (strcmp(mode, "record") && strcmp(mode, "play")) {
		ti->error = "Invalid mode: expected record or play";
		return -EINVAL;
	}

	rc = kzalloc(sizeof(*rc), GFP_KERNEL);
	if (!rc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	rc->ti = ti;
	rc->mode = strcmp(mode, "record") ? REPLAY_PLAY : REPLAY_RECORD;
	spin_lock_init(&rc->lock);
	INIT_LIST_HEAD(&rc->queue);
	INIT_LIST_HEAD(&rc->comp_spare);
	atomic_set(&rc->log_inflight, 0);
	atomic_set(&rc->live, 0);
	init_waitqueue_head(&rc->space_wait);
	init_waitqueue_head(&rc->inflight_wait);
	init_waitqueue_head(&rc->idle_wait);
	mutex_init(&rc->log_lock);
	mutex_init(&rc->pool_lock);
	spin_lock_init(&rc->play.lock);
	rc->failed_seq = U64_MAX;

	r = dm_get_device(ti, dm_shift_arg(&as), dm_table_get_mode(ti->table), &rc->dev);
	if (r) {
		ti->error = "Data device lookup failed";
		goto bad;
	}
	/* Play mode only reads the log. */
	log_mode = rc->mode == REPLAY_PLAY ? DMTK_MODE_READ : dm_table_get_mode(ti->table);
	r = dm_get_device(ti, dm_shift_arg(&as), log_mode, &rc->logdev);
	if (r) {
		ti->error = "Log device lookup failed";
		goto bad_dev;
	}
	r = -EINVAL;
	if (rc->dev->bdev == rc->logdev->bdev) {
		ti->error = "Data and log device must be different devices";
		goto bad_logdev;
	}
	/*
	 * A zoned data device takes zone operations and sequential writes
	 * the log cannot describe; a zoned log cannot be rewritten in place.
	 */
	if (bdev_is_zoned(rc->dev->bdev)) {
		ti->error = "Zoned data devices are not supported";
		goto bad_logdev;
	}
	if (bdev_is_zoned(rc->logdev->bdev)) {
		ti->error = "Zoned log devices are not supported";
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
	/* dm-log-writes' log blocks are the data device's logical blocks. */
	if (rc->lw) {
		if (bdev_logical_block_size(rc->dev->bdev) < bs) {
			ti->error = "format:log-writes needs log blocks no larger than data blocks";
			goto bad_logdev;
		}
		bs = bdev_logical_block_size(rc->dev->bdev);
		if (bs > DMR_MAX_BLOCK_SIZE || bs > PAGE_SIZE) {
			ti->error = "format:log-writes: data block size above 4096 bytes";
			goto bad_logdev;
		}
	}
	rc->block_size = bs;
	rc->block_sectors = bs >> SECTOR_SHIFT;
	rc->log_sectors = round_down(bdev_nr_sectors(rc->logdev->bdev), rc->block_sectors);
	if (rc->log_sectors < REPLAY_MIN_LOG_BLOCKS * rc->block_sectors) {
		ti->error = "Log device too small for the superblock and one entry";
		goto bad_logdev;
	}
	r = -ENOMEM;
	if (bioset_init(&rc->bs, REPLAY_BIO_POOL, 0, BIOSET_NEED_BVECS)) {
		ti->error = "Cannot allocate memory pools";
		goto bad_logdev;
	}

	if (rc->mode == REPLAY_RECORD) {
		r = replay_record_init(rc, &ti->error);
		if (r)
			goto bad_bioset;
	} else {
		r = replay_play_init(rc, &ti->error);
		if (r)
			goto bad_bioset;
		r = replay_play_load(rc, &ti->error);
		if (r) {
			replay_play_exit(&rc->play);
			goto bad_bioset;
		}
	}

	ti->num_flush_bios = 1;
	ti->flush_supported = true;
	ti->num_discard_bios = 1;
	/* dm-log-writes has no write_zeroes entry: the block layer writes zeroes. */
	ti->num_write_zeroes_bios = rc->lw ? 0 : 1;
	ti->per_io_data_size = sizeof(struct replay_bio);
	ti->private = rc;
	return 0;

bad_bioset:
	bioset_exit(&rc->bs);
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

	if (rc->mode == REPLAY_PLAY)
		replay_play_exit(&rc->play);
	else
		replay_record_dtr(rc);
	bioset_exit(&rc->bs);
	dm_put_device(ti, rc->logdev);
	dm_put_device(ti, rc->dev);
	kfree(rc);
}

static int replay_map(struct dm_target *ti, struct bio *bio)
{
	struct replay_c *rc = ti->private;
	struct replay_bio *pb = dm_per_bio_data(bio, sizeof(struct replay_bio));
	enum req_op op = bio_op(bio);

	pb->entry = NULL;
	pb->seal = NULL;
	pb->comp = false;
	pb->play = PB_NONE;
	/*
	 * One log entry holds any write: a longer one is taken in parts. Not
	 * with dm_set_target_max_io_len(), which would also cut every write
	 * to the queue's max_sectors (255 sectors on a ramdisk).
	 */
	if (op == REQ_OP_WRITE && bio_sectors(bio) > REPLAY_MAX_IO_SECTORS)
		dm_accept_partial_bio(bio, REPLAY_MAX_IO_SECTORS);
	bio_set_dev(bio, rc->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = dm_target_offset(ti, bio->bi_iter.bi_sector);

	if (rc->mode == REPLAY_PLAY)
		return replay_play_map(rc, bio, pb);

	return replay_record_map(rc, bio, pb);
}

static int replay_end_io(struct dm_target *ti, struct bio *bio, blk_status_t *error)
{
	struct replay_c *rc = ti->private;
	struct replay_bio *pb = dm_per_bio_data(bio, sizeof(struct replay_bio));

	if (rc->mode == REPLAY_PLAY)
		return replay_play_end_io(rc, pb);
	return replay_record_end_io(rc, pb, error);
}

static void replay_status(struct dm_target *ti, status_type_t type,
			  unsigned int status_flags, char *result, unsigned int maxlen)
{
	struct replay_c *rc = ti->private;
	struct replay_play *p = &rc->play;
	unsigned int sz = 0;

	switch (type) {
	case STATUSTYPE_INFO:
		if (rc->mode == REPLAY_PLAY) {
			spin_lock_irq(&p->lock);
			DMEMIT("play %llu %llu %s", p->next, p->nr,
			       replay_play_state_names[p->state]);
			spin_unlock_irq(&p->lock);
			break;
		}
		DMEMIT("record %llu %llu %llu %s", READ_ONCE(rc->nr_entries),
		       (unsigned long long)READ_ONCE(rc->next_sector),
		       (unsigned long long)rc->log_sectors,
		       replay_state_names[READ_ONCE(rc->state)]);
		if (rc->lw)
			DMEMIT(" format:log-writes");
		break;

	case STATUSTYPE_TABLE:
		DMEMIT("%s %s %s", rc->mode == REPLAY_PLAY ? "play" : "record",
		       rc->dev->name, rc->logdev->name);
		if (rc->opts)
			DMEMIT(" %u", hweight32(rc->opts));
		if (rc->opts & REPLAY_OPT_ON_FULL)
			DMEMIT(" on_log_full:%s", rc->error_on_full ? "error" : "passthrough");
		if (rc->opts & REPLAY_OPT_PENDING)
			DMEMIT(" max_pending_mb:%u", rc->max_pending_mb);
		if (rc->opts & REPLAY_OPT_NO_COMP)
			DMEMIT(" no_completions");
		if (rc->opts & REPLAY_OPT_FORMAT)
			DMEMIT(" format:%s", rc->lw ? "log-writes" : "dm-replay");
		if (rc->opts & REPLAY_OPT_ON_DIV)
			DMEMIT(" on_divergence:%s", p->fail_on_divergence ? "fail" : "passthrough");
		if (rc->opts & REPLAY_OPT_TIMEOUT)
			DMEMIT(" timeout_ms:%u", p->timeout_ms);
		break;

	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

/*
 * Messages (record mode):
 *   mark <name>
 */
static int replay_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen)
{
	struct replay_c *rc = ti->private;

	if (argc >= 1 && !strcasecmp(argv[0], "mark")) {
		if (rc->mode != REPLAY_RECORD) {
			DMERR("marks are recorded in record mode only");
			return -EINVAL;
		}
		if (argc != 2) {
			DMERR("mark takes one name without spaces, got %u words", argc - 1);
			return -EINVAL;
		}
		return replay_mark(rc, argv[1]);
	}
	DMERR("unrecognised message '%s'", argc ? argv[0] : "");
	return -EINVAL;
}

/* Play mode: a held completion must never hold up a suspend. */
static void replay_presuspend(struct dm_target *ti)
{
	struct replay_c *rc = ti->private;

	if (rc->mode == REPLAY_PLAY)
		replay_play_presuspend(rc);
}

static void replay_postsuspend(struct dm_target *ti)
{
	struct replay_c *rc = ti->private;

	if (rc->mode == REPLAY_RECORD)
		replay_record_postsuspend(rc);
}

static int replay_preresume(struct dm_target *ti)
{
	struct replay_c *rc = ti->private;

	if (rc->mode == REPLAY_PLAY) {
		replay_play_preresume(rc);
		return 0;
	}
	return replay_record_preresume(rc);
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
	.version = {1, 2, 0},
	.module = THIS_MODULE,
	.ctr = replay_ctr,
	.dtr = replay_dtr,
	.map = replay_map,
	.end_io = replay_end_io,
	.status = replay_status,
	.message = replay_message,
	.presuspend = replay_presuspend,
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

MODULE_DESCRIPTION(DM_NAME " target recording writes and completion order to a log, and playing the order back");
MODULE_AUTHOR("dm-testkit");
MODULE_LICENSE("GPL");
