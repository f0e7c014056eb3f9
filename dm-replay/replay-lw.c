// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding and decoding of the stock dm-log-writes on-disk format, version
 * 1 (include/dm-log-writes-format.h): the target writes it in record mode
 * with format:log-writes, dmreplay reads it. Pure: builds in the kernel
 * and in userspace (tests/unit/test-replay-lw.c, tests/fuzz-host).
 *
 * Entries are described by struct dmr_rec, in 512-byte sectors, so both
 * formats go through the same record and replay code; a log-writes sector
 * is sectorsize bytes.
 */
#include "dm-log-writes-format.h"
#ifndef __KERNEL__
#include <assert.h>
#endif

static_assert(sizeof(struct lw_super) == 32, "log-writes superblock is 32 bytes");
static_assert(sizeof(struct lw_entry) == 32, "log-writes entry header is 32 bytes");

const char *lw_err_str(enum lw_err err)
{
	switch (err) {
	case LW_OK:
		return "ok";
	case LW_E_MAGIC:
		return "not a dm-log-writes superblock";
	case LW_E_VERSION:
		return "unsupported dm-log-writes version";
	case LW_E_SECTORSIZE:
		return "sector size not a power of two from 512 to 4096";
	case LW_E_ZERO:
		return "all-zero entry header (no entry was written there)";
	case LW_E_FLAGS:
		return "unknown flags";
	case LW_E_MARK:
		return "a mark with other flags, a sector or a length";
	case LW_E_RANGE:
		return "sector or length out of range";
	case LW_E_DATA_LEN:
		return "data_len on an entry that is not a mark, or past its block";
	case LW_E_NAME:
		return "mark name empty, longer than 63 bytes or not printable ASCII";
	case LW_E_PADDING:
		return "nonzero bytes after the header";
	}
	return "unknown error";
}

static bool lw_sectorsize_valid(u32 ss)
{
	return ss >= 512 && ss <= DMR_MAX_BLOCK_SIZE && !(ss & (ss - 1));
}

/* Whether the @len bytes at @blk start with a dm-log-writes superblock's magic. */
bool lw_is_super(const void *blk, size_t len)
{
	const struct lw_super *s = blk;

	return len >= sizeof(*s) && le64_to_cpu(s->magic) == LW_MAGIC;
}

/* The superblock into @blk, a zeroed block of @sectorsize bytes. */
void lw_super_encode(void *blk, u32 sectorsize, u64 nr_entries)
{
	struct lw_super *s = blk;

	memset(blk, 0, sectorsize);
	s->magic = cpu_to_le64(LW_MAGIC);
	s->version = cpu_to_le64(LW_VERSION);
	s->nr_entries = cpu_to_le64(nr_entries);
	s->sectorsize = cpu_to_le32(sectorsize);
}

enum lw_err lw_super_decode(const void *blk, size_t len, struct lw_sb *sb)
{
	const struct lw_super *s = blk;

	if (!lw_is_super(blk, len))
		return LW_E_MAGIC;
	if (le64_to_cpu(s->version) != LW_VERSION)
		return LW_E_VERSION;
	sb->sectorsize = le32_to_cpu(s->sectorsize);
	if (!lw_sectorsize_valid(sb->sectorsize))
		return LW_E_SECTORSIZE;
	sb->nr_entries = le64_to_cpu(s->nr_entries);
	return LW_OK;
}

/*
 * The header block of @rec (a write, flush or discard of DMR_TYPE_IO, or a
 * mark) into @blk, @sectorsize bytes, zeroed first. -EINVAL for what the
 * format cannot say: write_zeroes, other entry types, ranges not in whole
 * sectorsize blocks.
 */
int lw_entry_encode(void *blk, u32 sectorsize, const struct dmr_rec *rec)
{
	struct lw_entry *e = blk;
	u64 mult = sectorsize >> 9, flags = 0;
	size_t len;

	if (!lw_sectorsize_valid(sectorsize))
		return -EINVAL;
	memset(blk, 0, sectorsize);
	if (rec->type == DMR_TYPE_MARK) {
		len = strnlen(rec->name, sizeof(rec->name));
		if (len + sizeof(*e) >= sectorsize)
			return -EINVAL;
		e->flags = cpu_to_le64(LW_F_MARK);
		e->data_len = cpu_to_le64(len);
		memcpy((u8 *)blk + sizeof(*e), rec->name, len);
		return 0;
	}
	if (rec->type != DMR_TYPE_IO || (rec->flags & DMR_F_ZEROES) ||
	    rec->sector % mult || rec->nr_sectors % mult)
		return -EINVAL;
	if (rec->flags & DMR_F_FLUSH)
		flags |= LW_F_FLUSH;
	if (rec->flags & DMR_F_FUA)
		flags |= LW_F_FUA;
	if (rec->flags & DMR_F_DISCARD)
		flags |= LW_F_DISCARD;
	if (rec->flags & DMR_F_META)
		flags |= LW_F_METADATA;
	e->sector = cpu_to_le64(rec->sector / mult);
	e->nr_sectors = cpu_to_le64(rec->nr_sectors / mult);
	e->flags = cpu_to_le64(flags);
	return 0;
}

static bool lw_zero(const u8 *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/*
 * The header block @blk (@sectorsize bytes, a valid size) of entry @index
 * into @rec, in 512-byte sectors. Every field is checked: the result fits
 * in byte offsets (below 2^54 sectors) and in dmr_rec.
 */
enum lw_err lw_entry_decode(const void *blk, u32 sectorsize, u64 index, struct dmr_rec *rec)
{
	const struct lw_entry *e = blk;
	const u8 *name = (const u8 *)blk + sizeof(*e);
	u64 mult = sectorsize >> 9, lim = (U64_MAX >> 10) / mult;
	u64 sector = le64_to_cpu(e->sector), nr = le64_to_cpu(e->nr_sectors);
	u64 flags = le64_to_cpu(e->flags), len = le64_to_cpu(e->data_len);
	u64 i;

	memset(rec, 0, sizeof(*rec));
	rec->seq = index;
	if (!flags && !nr)
		return LW_E_ZERO;
	if (flags & ~(u64)LW_F_KNOWN)
		return LW_E_FLAGS;
	if (flags & LW_F_MARK) {
		if (flags != LW_F_MARK || sector || nr)
			return LW_E_MARK;
		if (len > sectorsize - sizeof(*e) - 1)
			return LW_E_DATA_LEN;
		if (!len || len > DMR_NAME_MAX)
			return LW_E_NAME;
		for (i = 0; i < len; i++)
			if (name[i] <= ' ' || name[i] > '~')
				return LW_E_NAME;
		if (!lw_zero(name + len, sectorsize - sizeof(*e) - len))
			return LW_E_PADDING;
		rec->type = DMR_TYPE_MARK;
		memcpy(rec->name, name, len);
		return LW_OK;
	}
	if (len)
		return LW_E_DATA_LEN;
	if (!lw_zero(name, sectorsize - sizeof(*e)))
		return LW_E_PADDING;
	if (sector > lim || nr > lim || nr > lim - sector)
		return LW_E_RANGE;
	rec->type = DMR_TYPE_IO;
	rec->sector = sector * mult;
	rec->nr_sectors = nr * mult;
	if (flags & LW_F_FLUSH)
		rec->flags |= DMR_F_FLUSH;
	if (flags & LW_F_FUA)
		rec->flags |= DMR_F_FUA;
	if (flags & LW_F_METADATA)
		rec->flags |= DMR_F_META;
	if (flags & LW_F_DISCARD) {
		rec->flags |= DMR_F_DISCARD;
	} else {
		if (rec->nr_sectors > (u64)(u32)~0U)
			return LW_E_RANGE;
		rec->data_sectors = rec->nr_sectors;
	}
	return LW_OK;
}
