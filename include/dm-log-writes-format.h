/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The on-disk format of the stock dm-log-writes target, version 1, as far
 * as the kit writes (dm-replay's format:log-writes) and reads (dmreplay)
 * it. Every multi-byte field is little-endian. Sizes are in "log-writes
 * sectors": the data device's logical block size (super.sectorsize).
 *
 *   block 0     superblock (struct lw_super, rest of the block zero)
 *   block 1     header of entry 0 (struct lw_entry; a mark's name follows
 *               the 32 bytes of the header; the rest of the block is zero)
 *   block 2..   entry 0's data, nr_sectors blocks (none for a discard)
 *   next block  header of entry 1, and so on, for super.nr_entries entries
 *
 * The format has no magic or checksum in entries, no log id, no device
 * size, no completion order and no write_zeroes: a reader stops at
 * nr_entries, the count as of the last superblock update.
 */
#ifndef DM_LOG_WRITES_FORMAT_H
#define DM_LOG_WRITES_FORMAT_H

#include "dm-replay-log.h"

#define LW_MAGIC		0x6a736677736872ULL
#define LW_VERSION		1

#define LW_F_FLUSH		0x01U
#define LW_F_FUA		0x02U
#define LW_F_DISCARD		0x04U
#define LW_F_MARK		0x08U
#define LW_F_METADATA		0x10U
#define LW_F_KNOWN		0x1fU

/* The first 28 bytes of block 0 (the kernel writes sizeof() == 32). */
struct lw_super {
	__le64 magic;		/* LW_MAGIC */
	__le64 version;		/* LW_VERSION */
	__le64 nr_entries;	/* entries on the log at the last update */
	__le32 sectorsize;	/* data device's logical block size */
	__le32 pad;		/* written as whatever the stack held; ignored */
};

/* The first 32 bytes of an entry's header block. */
struct lw_entry {
	__le64 sector;		/* in sectorsize units */
	__le64 nr_sectors;	/* in sectorsize units; 0 for a mark, empty flush */
	__le64 flags;		/* LW_F_* */
	__le64 data_len;	/* bytes of mark name after the header, else 0 */
};

/* The superblock in CPU byte order. */
struct lw_sb {
	u64 nr_entries;
	u32 sectorsize;
};

/* Why a log-writes block is not what was expected. */
enum lw_err {
	LW_OK = 0,
	LW_E_MAGIC,		/* not a dm-log-writes superblock */
	LW_E_VERSION,		/* a version other than 1 */
	LW_E_SECTORSIZE,	/* not a power of two in 512..4096 */
	LW_E_ZERO,		/* an all-zero header: no entry was written here */
	LW_E_FLAGS,		/* unknown flags */
	LW_E_MARK,		/* a mark with other flags, a sector or a length */
	LW_E_RANGE,		/* sector or length that overflows in bytes */
	LW_E_DATA_LEN,		/* data_len on a non-mark, or past the block */
	LW_E_NAME,		/* a mark name dmreplay cannot keep */
	LW_E_PADDING,		/* nonzero bytes after the header (or the name) */
};

const char *lw_err_str(enum lw_err err);
bool lw_is_super(const void *blk, size_t len);
void lw_super_encode(void *blk, u32 sectorsize, u64 nr_entries);
enum lw_err lw_super_decode(const void *blk, size_t len, struct lw_sb *sb);
int lw_entry_encode(void *blk, u32 sectorsize, const struct dmr_rec *rec);
enum lw_err lw_entry_decode(const void *blk, u32 sectorsize, u64 index, struct dmr_rec *rec);

#endif /* DM_LOG_WRITES_FORMAT_H */
