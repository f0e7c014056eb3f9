// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: the reader of logs the stock dm-log-writes target wrote
 * (version 1, include/dm-log-writes-format.h). log_open() hands a log
 * whose superblock has that magic to lw_log_open(); log_next() then reads
 * entries through lw_log_next(), as struct dmr_rec in 512-byte sectors,
 * so every verb works on both formats.
 *
 * What the format does not carry: checksums (a damaged entry is found
 * only when a field is out of range), a log id, a recording state, the
 * recorded device's size (the highest sector the entries reach stands in
 * for it), write_zeroes and the completion order. Entries past the
 * superblock's count cannot be told from stale blocks: the log ends there.
 */
#include <inttypes.h>
#include <string.h>

#include "dmreplay.h"

int lw_log_open(struct log *lg)
{
	const struct lw_super *raw = (const struct lw_super *)lg->hdr;
	struct lw_sb lsb;
	enum lw_err e;

	e = lw_super_decode(lg->hdr, DMR_MIN_BLOCK_SIZE, &lsb);
	if (e == LW_E_VERSION) {
		err("%s: dm-log-writes log version %" PRIu64 " is not supported (this tool "
		    "reads version %d)", lg->path, (u64)le64_to_cpu(raw->version), LW_VERSION);
		return EXIT_DAMAGED;
	}
	if (e) {
		err("%s: damaged dm-log-writes superblock: %s (%u)", lg->path, lw_err_str(e),
		    le32_to_cpu(raw->sectorsize));
		return EXIT_DAMAGED;
	}
	if (lg->size_sectors < lsb.sectorsize >> 9) {
		err("%s: too small to hold a dm-log-writes log of %u-byte sectors (%" PRIu64
		    " bytes)", lg->path, lsb.sectorsize, lg->size_sectors << 9);
		return EXIT_DAMAGED;
	}
	lg->lw = true;
	memset(&lg->sb, 0, sizeof(lg->sb));
	lg->sb.version = LW_VERSION;
	lg->sb.block_size = lsb.sectorsize;
	lg->sb.data_block_size = lsb.sectorsize;
	lg->sb.state = DMR_STATE_LOGGING;
	lg->sb.nr_entries = lsb.nr_entries;
	/* Unknown: any range that fits in byte offsets, until the scan. */
	lg->sb.dev_sectors = U64_MAX >> 10;
	lg->sb.log_sectors = lg->size_sectors;
	lg->end_sectors = lg->size_sectors;
	lg->lw_max_end = 0;
	log_rewind(lg);
	return 0;
}

static enum next_result lw_damaged(struct log *lg, const char *what, u64 a)
{
	snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": %s%" PRIu64 ")", lg->index,
		 what, a);
	return NEXT_DAMAGED;
}

/* Entry lg->index, checked against the log; all of it lies before nr_entries. */
enum next_result lw_log_next(struct log *lg, struct dmr_rec *rec)
{
	u32 bs = lg->sb.block_size, bss = bs >> 9;
	enum lw_err e;
	u64 sectors;
	int r;

	if (lg->index >= lg->sb.nr_entries)
		return NEXT_END;
	if (lg->pos + bss > lg->end_sectors)
		return lw_damaged(lg, "log truncated: the superblock counts more entries than "
				  "the log holds (it ends at sector ", lg->size_sectors);
	r = log_read(lg, lg->hdr, bs, lg->pos << 9);
	if (r) {
		snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": read error at sector %"
			 PRIu64 ": %s", lg->index, lg->pos, strerror(-r));
		return NEXT_IO_ERROR;
	}
	e = lw_entry_decode(lg->hdr, bs, lg->index, rec);
	if (e) {
		snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": bad dm-log-writes header "
			 "at log sector %" PRIu64 ": %s", lg->index, lg->pos, lw_err_str(e));
		return NEXT_DAMAGED;
	}
	if (rec->type == DMR_TYPE_IO &&
	    !dmr_range_fits(rec->sector, rec->nr_sectors, lg->sb.dev_sectors))
		return lw_damaged(lg, "beyond the writes the log was scanned for (sector ",
				  rec->sector);
	sectors = dmr_entry_log_sectors(bs, rec->data_sectors);
	if (lg->pos + sectors > lg->end_sectors)
		return lw_damaged(lg, "log truncated inside the entry's data (it ends at "
				  "sector ", lg->size_sectors);
	if (rec->type == DMR_TYPE_IO && rec->sector + rec->nr_sectors > lg->lw_max_end)
		lg->lw_max_end = rec->sector + rec->nr_sectors;
	lg->pos += sectors;
	lg->index++;
	return NEXT_ENTRY;
}

/*
 * After log_scan(): the device the entries before the end need is the
 * recorded device's size as far as anyone can tell; the walks that follow
 * and target_open() hold them to it.
 */
void lw_log_scanned(struct log *lg)
{
	lg->sb.dev_sectors = lg->lw_max_end;
	lg->sb.used_sectors = lg->pos;
}

/* The completions verb on a dm-log-writes log: there is no order to show. */
int lw_no_completions(const struct log *lg)
{
	err("%s: a dm-log-writes log records no completion order (its entries are in the "
	    "order writes were flushed, which replay and crash-states use)", lg->path);
	return EXIT_DAMAGED;
}
