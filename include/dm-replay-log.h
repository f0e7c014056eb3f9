/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dm-replay log format, shared by the dm-replay target (which writes
 * it) and the dmreplay tool (which reads and replays it). The format is
 * documented in docs/dm-replay.rst; every multi-byte field is little-endian.
 *
 * Layout of the log device, in log blocks of super.block_size bytes:
 *
 *   block 0            superblock (struct dmr_super, rest of the block zero)
 *   block 1            header of entry 0 (struct dmr_entry, rest zero)
 *   block 2..          data of entry 0, padded to a block boundary
 *   next block         header of entry 1, and so on
 *
 * A log ends at the first block that is not a valid header of this
 * recording (wrong magic, log id, sequence number or header CRC).
 *
 * Completion order. Every request that completed (reads included) has a
 * completion sequence number, its place in the order of completions. A
 * logged write, flush, discard or write_zeroes that completed without error
 * is its own completion record: its entry has DMR_F_COMPLETED and the
 * number in comp_seq, and costs no log space beyond the entry. Every other
 * completion (reads, errors, requests that were not logged) gets a 16-byte
 * record, packed DMR_COMP_PER_ENTRY to an informational entry of type
 * DMR_TYPE_COMPLETIONS; these records fill, in their order, the places no
 * entry takes (dmr_comp_fill()).
 */
#ifndef DM_REPLAY_LOG_H
#define DM_REPLAY_LOG_H

#include "dmtk-compat.h"

#define DMR_SUPER_MAGIC		0x59414c5045524d44ULL	/* "DMREPLAY" */
#define DMR_ENTRY_MAGIC		0x45524d44U		/* "DMRE" */
#define DMR_VERSION		1

/* Log block sizes: the log device's logical block size, within these. */
#define DMR_MIN_BLOCK_SIZE	512
#define DMR_MAX_BLOCK_SIZE	4096

/* Mark names: 1..DMR_NAME_MAX bytes of printable ASCII, no spaces. */
#define DMR_NAME_MAX		63

/* Recording state, as last written to the superblock. */
enum dmr_state {
	DMR_STATE_LOGGING = 0,	/* recording, or stopped cleanly */
	DMR_STATE_FULL = 1,	/* log filled up: later writes are missing */
	DMR_STATE_FAILED = 2,	/* a log write failed: later writes missing */
};

/*
 * Entry types. Types with DMR_TYPE_INFO set carry no state change and may
 * be skipped by readers that do not know them; any other unknown type
 * makes the log unreadable.
 */
#define DMR_TYPE_IO		1	/* write, flush, discard, write_zeroes */
#define DMR_TYPE_MARK		2	/* named mark, no data */
#define DMR_TYPE_INFO		0x8000
/*
 * Completion records: sector = index of the first record among the records
 * of all completion entries, nr_sectors = number of records
 * (1..DMR_COMP_PER_ENTRY), data = the records (struct dmr_comp),
 * zero-padded to whole sectors.
 */
#define DMR_TYPE_COMPLETIONS	(DMR_TYPE_INFO | 1)
#define DMR_COMP_PER_ENTRY	256

/* Entry flags (DMR_TYPE_IO). Unknown flags make an entry invalid. */
#define DMR_F_FLUSH		0x01U		/* REQ_PREFLUSH */
#define DMR_F_FUA		0x02U		/* REQ_FUA */
#define DMR_F_DISCARD		0x04U		/* REQ_OP_DISCARD, no data */
#define DMR_F_ZEROES		0x08U		/* REQ_OP_WRITE_ZEROES, no data */
#define DMR_F_META		0x10U		/* REQ_META */
#define DMR_F_COMPLETED		0x20U		/* its own completion record */
#define DMR_F_KNOWN		0x3fU

/* Completion record operations and flags. */
enum dmr_comp_op {
	DMR_OP_READ = 0,
	DMR_OP_WRITE = 1,
	DMR_OP_FLUSH = 2,	/* an empty flush */
	DMR_OP_DISCARD = 3,
	DMR_OP_ZEROES = 4,
	DMR_OP_MAX = DMR_OP_ZEROES,
};

#define DMR_CF_PREFLUSH		0x01U
#define DMR_CF_FUA		0x02U
#define DMR_CF_META		0x04U
#define DMR_CF_ERROR		0x08U		/* completed with an error */
#define DMR_CF_KNOWN		0x0fU

/* A completion record: 16 bytes, the order of records is the order of
 * completions; its sequence number is its position in that order.
 */
struct dmr_comp {
	__le64 sector;		/* first 512-byte sector on the data device */
	__le32 nr_sectors;	/* length in 512-byte sectors */
	u8 op;			/* enum dmr_comp_op */
	u8 flags;		/* DMR_CF_* */
	__le16 reserved;	/* zero */
};

/* A completion record in CPU byte order. */
struct dmr_crec {
	u64 sector;
	u32 nr_sectors;
	u8 op;
	u8 flags;
};

/* The superblock: 128 bytes at offset 0 of the log device. */
struct dmr_super {
	__le64 magic;		/* DMR_SUPER_MAGIC */
	__le32 version;		/* DMR_VERSION; readers refuse newer ones */
	__le32 block_size;	/* log block size in bytes */
	__le32 data_block_size;	/* logical block size of the data device */
	__le32 state;		/* enum dmr_state */
	__le64 log_id;		/* random per recording, in every entry */
	__le64 nr_entries;	/* entries known to be complete on the log */
	__le64 used_sectors;	/* log sectors those entries use, block 0 incl. */
	__le64 log_sectors;	/* usable size of the log device */
	__le64 dev_sectors;	/* size of the recorded device */
	__le64 features;	/* compatible feature bits; 0 in version 1 */
	__le64 reserved[6];	/* zero */
	__le32 reserved2;	/* zero */
	__le32 crc;		/* CRC32C of the 124 bytes before it */
};

/* An entry header: 192 bytes at the start of a log block. */
struct dmr_entry {
	__le32 magic;		/* DMR_ENTRY_MAGIC */
	__le16 type;		/* DMR_TYPE_* */
	__le16 name_len;	/* bytes of name used (marks), else 0 */
	__le64 log_id;		/* the superblock's log_id */
	__le64 seq;		/* entry index, from 0, no gaps */
	__le64 sector;		/* first 512-byte sector on the data device */
	__le64 nr_sectors;	/* length in 512-byte sectors */
	__le32 flags;		/* DMR_F_* */
	__le32 data_sectors;	/* 512-byte sectors of data that follow */
	__le32 data_crc;	/* CRC32C of those data bytes, 0 without data */
	__le32 reserved0;	/* zero */
	__le64 comp_seq;	/* DMR_F_COMPLETED: completion sequence number */
	__le64 reserved[4];	/* zero */
	char name[DMR_NAME_MAX + 1];	/* mark name, NUL padded */
	__le64 reserved1[3];	/* zero */
	__le32 reserved2;	/* zero */
	__le32 hdr_crc;		/* CRC32C of the 188 bytes before it */
};

/* An entry in CPU byte order. */
struct dmr_rec {
	u64 seq;
	u64 sector;
	u64 nr_sectors;
	u64 comp_seq;
	u32 flags;
	u32 data_sectors;
	u32 data_crc;
	u16 type;
	char name[DMR_NAME_MAX + 1];
};

/* The superblock in CPU byte order. */
struct dmr_sb {
	u32 version;
	u32 block_size;
	u32 data_block_size;
	u32 state;
	u64 log_id;
	u64 nr_entries;
	u64 used_sectors;
	u64 log_sectors;
	u64 dev_sectors;
	u64 features;
};

/* Why a block is not what was expected. */
enum dmr_err {
	DMR_OK = 0,
	DMR_E_MAGIC,		/* not a superblock / entry header */
	DMR_E_CRC,		/* header CRC mismatch */
	DMR_E_VERSION,		/* superblock of an unknown version */
	DMR_E_LOG_ID,		/* entry of another recording */
	DMR_E_SEQ,		/* entry out of sequence */
	DMR_E_FIELD,		/* a field out of range or reserved bits set */
	DMR_E_RANGE,		/* beyond the recorded device */
	DMR_E_ALIGN,		/* not aligned to the recorded device's blocks */
};

const char *dmr_err_str(enum dmr_err err);

/* CRC32C (Castagnoli), as in iSCSI and ext4: crc32c("123456789") = 0xe3069283. */
#ifdef __KERNEL__
#include <linux/crc32c.h>
static inline u32 dmr_crc32c_update(u32 state, const void *buf, size_t len)
{
	return crc32c(state, buf, len);
}
#else
u32 dmr_crc32c_update(u32 state, const void *buf, size_t len);
#endif

/* Start with DMR_CRC_INIT, feed with dmr_crc32c_update, finish with ~. */
#define DMR_CRC_INIT		0xffffffffU

static inline u32 dmr_crc32c(const void *buf, size_t len)
{
	return ~dmr_crc32c_update(DMR_CRC_INIT, buf, len);
}

/* 512-byte sectors an entry takes on the log: header block + padded data. */
static inline u64 dmr_entry_log_sectors(u32 block_size, u64 data_sectors)
{
	u64 bs = block_size >> 9;

	return bs + (data_sectors + bs - 1) / bs * bs;
}

/* Data sectors of a completion entry holding @count records. */
static inline u32 dmr_comp_data_sectors(u32 count)
{
	return (count * sizeof(struct dmr_comp) + 511) / 512;
}

/*
 * Whether [@sector, @sector + @nr) lies on a device of @dev_sectors
 * sectors; never overflows, whatever the fields hold.
 */
static inline bool dmr_range_fits(u64 sector, u64 nr, u64 dev_sectors)
{
	return sector <= dev_sectors && nr <= dev_sectors - sector;
}

int dmr_mark_name_check(const char *name);
void dmr_super_encode(struct dmr_super *out, const struct dmr_sb *sb);
enum dmr_err dmr_super_decode(const struct dmr_super *in, struct dmr_sb *sb);
void dmr_entry_encode(struct dmr_entry *out, const struct dmr_rec *rec, u64 log_id);
enum dmr_err dmr_entry_decode(const struct dmr_entry *in, u64 log_id, u64 seq,
			      struct dmr_rec *rec);
void dmr_comp_encode(struct dmr_comp *out, const struct dmr_crec *c);
enum dmr_err dmr_entry_check_dev(const struct dmr_rec *rec, const struct dmr_sb *sb);
enum dmr_err dmr_comp_decode(const struct dmr_comp *in, struct dmr_crec *c);
bool dmr_comp_match(const struct dmr_crec *a, const struct dmr_crec *b);
void dmr_entry_crec(const struct dmr_rec *rec, struct dmr_crec *c);
bool dmr_comp_place(struct dmr_crec *order, u8 *taken, u64 n, u64 seq,
		    const struct dmr_crec *c);
u64 dmr_comp_fill(struct dmr_crec *order, const u8 *taken, u64 n,
		  const struct dmr_crec *recs, u64 nr_recs);
const char *dmr_comp_op_str(u8 op);

#endif /* DM_REPLAY_LOG_H */
