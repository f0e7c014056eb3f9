// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding, decoding and validation of the dm-replay log format
 * (include/dm-replay-log.h). Builds in the kernel and in userspace; the
 * userspace build carries its own CRC32C, the kernel uses crc32c().
 */
#include "dm-replay-log.h"
#ifndef __KERNEL__
#include <assert.h>
#endif

static_assert(sizeof(struct dmr_super) == 128, "superblock is 128 bytes");
static_assert(sizeof(struct dmr_entry) == 192, "entry header is 192 bytes");
static_assert(sizeof(struct dmr_comp) == 16, "completion record is 16 bytes");
static_assert(DMR_COMP_PER_ENTRY * sizeof(struct dmr_comp) == 4096,
	      "a full completion entry is one 4 KiB page of data");

const char *dmr_err_str(enum dmr_err err)
{
	switch (err) {
	case DMR_OK:
		return "ok";
	case DMR_E_MAGIC:
		return "bad magic";
	case DMR_E_CRC:
		return "header checksum mismatch";
	case DMR_E_VERSION:
		return "unsupported version";
	case DMR_E_LOG_ID:
		return "entry of another recording";
	case DMR_E_SEQ:
		return "sequence number out of order";
	case DMR_E_FIELD:
		return "invalid field";
	case DMR_E_RANGE:
		return "beyond the recorded device";
	case DMR_E_ALIGN:
		return "not aligned to the recorded device's blocks";
	}
	return "unknown error";
}

#ifndef __KERNEL__
/* Slice-by-8 tables for the reflected Castagnoli polynomial 0x82f63b78. */
static u32 crc_table[8][256];
static bool crc_table_ready;

static void crc_table_init(void)
{
	u32 i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (c & 1 ? 0x82f63b78U : 0);
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_table[j][i] = (crc_table[j - 1][i] >> 8) ^
					  crc_table[0][crc_table[j - 1][i] & 0xff];
	crc_table_ready = true;
}

u32 dmr_crc32c_update(u32 state, const void *buf, size_t len)
{
	const u8 *p = buf;
	u64 w;

	if (!crc_table_ready)
		crc_table_init();
	while (len && ((uintptr_t)p & 7)) {
		state = (state >> 8) ^ crc_table[0][(state ^ *p++) & 0xff];
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		w = le64toh(w) ^ state;
		state = crc_table[7][w & 0xff] ^
			crc_table[6][(w >> 8) & 0xff] ^
			crc_table[5][(w >> 16) & 0xff] ^
			crc_table[4][(w >> 24) & 0xff] ^
			crc_table[3][(w >> 32) & 0xff] ^
			crc_table[2][(w >> 40) & 0xff] ^
			crc_table[1][(w >> 48) & 0xff] ^
			crc_table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		state = (state >> 8) ^ crc_table[0][(state ^ *p++) & 0xff];
	return state;
}
#endif

/*
 * 0 for a valid mark name, -ENAMETOOLONG above DMR_NAME_MAX bytes, -EINVAL
 * when empty or with a byte that is not printable ASCII (spaces included).
 */
int dmr_mark_name_check(const char *name)
{
	size_t i, len = strlen(name);

	if (!len)
		return -EINVAL;
	if (len > DMR_NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return -EINVAL;
	return 0;
}

void dmr_super_encode(struct dmr_super *out, const struct dmr_sb *sb)
{
	memset(out, 0, sizeof(*out));
	out->magic = cpu_to_le64(DMR_SUPER_MAGIC);
	out->version = cpu_to_le32(sb->version);
	out->block_size = cpu_to_le32(sb->block_size);
	out->data_block_size = cpu_to_le32(sb->data_block_size);
	out->state = cpu_to_le32(sb->state);
	out->log_id = cpu_to_le64(sb->log_id);
	out->nr_entries = cpu_to_le64(sb->nr_entries);
	out->used_sectors = cpu_to_le64(sb->used_sectors);
	out->log_sectors = cpu_to_le64(sb->log_sectors);
	out->dev_sectors = cpu_to_le64(sb->dev_sectors);
	out->features = cpu_to_le64(sb->features);
	out->crc = cpu_to_le32(dmr_crc32c(out, offsetof(struct dmr_super, crc)));
}

static bool block_size_valid(u32 bs)
{
	return bs >= DMR_MIN_BLOCK_SIZE && bs <= DMR_MAX_BLOCK_SIZE && !(bs & (bs - 1));
}

enum dmr_err dmr_super_decode(const struct dmr_super *in, struct dmr_sb *sb)
{
	if (le64_to_cpu(in->magic) != DMR_SUPER_MAGIC)
		return DMR_E_MAGIC;
	if (le32_to_cpu(in->crc) != dmr_crc32c(in, offsetof(struct dmr_super, crc)))
		return DMR_E_CRC;
	sb->version = le32_to_cpu(in->version);
	if (sb->version != DMR_VERSION)
		return DMR_E_VERSION;
	sb->block_size = le32_to_cpu(in->block_size);
	sb->data_block_size = le32_to_cpu(in->data_block_size);
	sb->state = le32_to_cpu(in->state);
	sb->log_id = le64_to_cpu(in->log_id);
	sb->nr_entries = le64_to_cpu(in->nr_entries);
	sb->used_sectors = le64_to_cpu(in->used_sectors);
	sb->log_sectors = le64_to_cpu(in->log_sectors);
	sb->dev_sectors = le64_to_cpu(in->dev_sectors);
	sb->features = le64_to_cpu(in->features);
	if (!block_size_valid(sb->block_size) ||
	    sb->data_block_size < 512 || (sb->data_block_size & (sb->data_block_size - 1)) ||
	    sb->state > DMR_STATE_FAILED ||
	    sb->used_sectors < sb->block_size / 512 ||
	    sb->used_sectors > sb->log_sectors ||
	    sb->nr_entries > (sb->used_sectors - sb->block_size / 512) / (sb->block_size / 512))
		return DMR_E_FIELD;
	return DMR_OK;
}

void dmr_entry_encode(struct dmr_entry *out, const struct dmr_rec *rec, u64 log_id)
{
	size_t name_len = strnlen(rec->name, DMR_NAME_MAX);

	memset(out, 0, sizeof(*out));
	out->magic = cpu_to_le32(DMR_ENTRY_MAGIC);
	out->type = cpu_to_le16(rec->type);
	out->name_len = cpu_to_le16(name_len);
	out->log_id = cpu_to_le64(log_id);
	out->seq = cpu_to_le64(rec->seq);
	out->sector = cpu_to_le64(rec->sector);
	out->nr_sectors = cpu_to_le64(rec->nr_sectors);
	out->flags = cpu_to_le32(rec->flags);
	out->data_sectors = cpu_to_le32(rec->data_sectors);
	out->data_crc = cpu_to_le32(rec->data_crc);
	out->comp_seq = cpu_to_le64(rec->comp_seq);
	memcpy(out->name, rec->name, name_len);
	out->hdr_crc = cpu_to_le32(dmr_crc32c(out, offsetof(struct dmr_entry, hdr_crc)));
}

static bool entry_fields_valid(const struct dmr_entry *in, const struct dmr_rec *rec,
			       size_t name_len)
{
	size_t i;

	if (in->reserved0 || in->reserved2)
		return false;
	for (i = 0; i < ARRAY_SIZE(in->reserved); i++)
		if (in->reserved[i])
			return false;
	for (i = 0; i < ARRAY_SIZE(in->reserved1); i++)
		if (in->reserved1[i])
			return false;
	for (i = name_len; i < sizeof(in->name); i++)
		if (in->name[i])
			return false;

	switch (rec->type) {
	case DMR_TYPE_IO:
		if (name_len || (rec->flags & ~DMR_F_KNOWN))
			return false;
		if (!(rec->flags & DMR_F_COMPLETED) && rec->comp_seq)
			return false;
		/* Discard and write_zeroes carry no data; writes carry all. */
		if (rec->flags & (DMR_F_DISCARD | DMR_F_ZEROES))
			return !rec->data_sectors &&
			       !(rec->flags & DMR_F_DISCARD && rec->flags & DMR_F_ZEROES);
		if (rec->data_sectors != rec->nr_sectors)
			return false;
		/* An I/O entry without data must be a flush. */
		return rec->nr_sectors || (rec->flags & DMR_F_FLUSH);
	case DMR_TYPE_MARK:
		return name_len && strlen(rec->name) == name_len && !rec->flags && !rec->comp_seq &&
		       !rec->data_sectors && !rec->sector && !rec->nr_sectors &&
		       dmr_mark_name_check(rec->name) == 0;
	case DMR_TYPE_COMPLETIONS:
		return !name_len && !rec->flags && !rec->comp_seq && rec->nr_sectors &&
		       rec->nr_sectors <= DMR_COMP_PER_ENTRY &&
		       rec->data_sectors == dmr_comp_data_sectors(rec->nr_sectors);
	default:
		return (rec->type & DMR_TYPE_INFO) != 0;
	}
}

/*
 * Decode the header expected as entry @seq of recording @log_id. Bad magic
 * or a foreign log id is where a log normally ends; the other errors mean
 * damage.
 */
enum dmr_err dmr_entry_decode(const struct dmr_entry *in, u64 log_id, u64 seq,
			      struct dmr_rec *rec)
{
	size_t name_len;

	if (le32_to_cpu(in->magic) != DMR_ENTRY_MAGIC)
		return DMR_E_MAGIC;
	if (le32_to_cpu(in->hdr_crc) != dmr_crc32c(in, offsetof(struct dmr_entry, hdr_crc)))
		return DMR_E_CRC;
	if (le64_to_cpu(in->log_id) != log_id)
		return DMR_E_LOG_ID;
	rec->seq = le64_to_cpu(in->seq);
	if (rec->seq != seq)
		return DMR_E_SEQ;
	rec->type = le16_to_cpu(in->type);
	rec->sector = le64_to_cpu(in->sector);
	rec->nr_sectors = le64_to_cpu(in->nr_sectors);
	rec->flags = le32_to_cpu(in->flags);
	rec->data_sectors = le32_to_cpu(in->data_sectors);
	rec->data_crc = le32_to_cpu(in->data_crc);
	rec->comp_seq = le64_to_cpu(in->comp_seq);
	name_len = le16_to_cpu(in->name_len);
	if (name_len > DMR_NAME_MAX)
		return DMR_E_FIELD;
	memcpy(rec->name, in->name, name_len);
	rec->name[name_len] = '\0';
	if (!entry_fields_valid(in, rec, name_len))
		return DMR_E_FIELD;
	return DMR_OK;
}

/*
 * Check a decoded entry against the recorded device of superblock @sb
 * (dmr_entry_decode() checks the entry alone): the range of an I/O entry
 * lies on the device and is aligned to its logical blocks. An empty flush
 * has no range.
 */
enum dmr_err dmr_entry_check_dev(const struct dmr_rec *rec, const struct dmr_sb *sb)
{
	u64 mask = (sb->data_block_size >> 9) - 1;

	if (rec->type != DMR_TYPE_IO || !rec->nr_sectors)
		return DMR_OK;
	if (!dmr_range_fits(rec->sector, rec->nr_sectors, sb->dev_sectors))
		return DMR_E_RANGE;
	if ((rec->sector | rec->nr_sectors) & mask)
		return DMR_E_ALIGN;
	return DMR_OK;
}

void dmr_comp_encode(struct dmr_comp *out, const struct dmr_crec *c)
{
	out->sector = cpu_to_le64(c->sector);
	out->nr_sectors = cpu_to_le32(c->nr_sectors);
	out->op = c->op;
	out->flags = c->flags;
	out->reserved = 0;
}

enum dmr_err dmr_comp_decode(const struct dmr_comp *in, struct dmr_crec *c)
{
	c->sector = le64_to_cpu(in->sector);
	c->nr_sectors = le32_to_cpu(in->nr_sectors);
	c->op = in->op;
	c->flags = in->flags;
	if (c->op > DMR_OP_MAX || (c->flags & ~DMR_CF_KNOWN) || in->reserved)
		return DMR_E_FIELD;
	/* Only an empty flush has no length. */
	if (!c->nr_sectors != !!(c->op == DMR_OP_FLUSH))
		return DMR_E_FIELD;
	return DMR_OK;
}

/* Play mode matches a request to a record by operation, sector and length. */
bool dmr_comp_match(const struct dmr_crec *a, const struct dmr_crec *b)
{
	return a->op == b->op && a->sector == b->sector && a->nr_sectors == b->nr_sectors;
}

/* The completion record a DMR_F_COMPLETED entry stands for. */
void dmr_entry_crec(const struct dmr_rec *rec, struct dmr_crec *c)
{
	c->sector = rec->sector;
	c->nr_sectors = rec->nr_sectors;
	if (rec->flags & DMR_F_DISCARD)
		c->op = DMR_OP_DISCARD;
	else if (rec->flags & DMR_F_ZEROES)
		c->op = DMR_OP_ZEROES;
	else
		c->op = rec->nr_sectors ? DMR_OP_WRITE : DMR_OP_FLUSH;
	c->flags = (rec->flags & DMR_F_FLUSH ? DMR_CF_PREFLUSH : 0) |
		   (rec->flags & DMR_F_FUA ? DMR_CF_FUA : 0) |
		   (rec->flags & DMR_F_META ? DMR_CF_META : 0);
}

/*
 * Put the record @c of the entry that is completion @seq at its place in
 * @order, one of @n; a completion beyond them is left out (a record before
 * it was lost). False when the place is taken already: damage.
 */
bool dmr_comp_place(struct dmr_crec *order, u8 *taken, u64 n, u64 seq,
		    const struct dmr_crec *c)
{
	if (seq >= n)
		return true;
	if (taken[seq])
		return false;
	taken[seq] = 1;
	order[seq] = *c;
	return true;
}

/*
 * The order of @n completions: @order[g] holds the record of each entry that
 * is its own completion record (g its comp_seq, @taken[g] set); the @nr_recs
 * records of the completion entries fill the other places in their order.
 * Returns how many places lead up to the first one left empty: after a lost
 * record (a log cut short) the place of every later completion is unknown.
 */
u64 dmr_comp_fill(struct dmr_crec *order, const u8 *taken, u64 n,
		  const struct dmr_crec *recs, u64 nr_recs)
{
	u64 g, next = 0;

	for (g = 0; g < n; g++) {
		if (taken[g])
			continue;
		if (next == nr_recs)
			return g;
		order[g] = recs[next++];
	}
	return n;
}

const char *dmr_comp_op_str(u8 op)
{
	static const char * const names[] = {
		[DMR_OP_READ] = "read", [DMR_OP_WRITE] = "write", [DMR_OP_FLUSH] = "flush",
		[DMR_OP_DISCARD] = "discard", [DMR_OP_ZEROES] = "zeroes",
	};

	return op <= DMR_OP_MAX ? names[op] : "?";
}
