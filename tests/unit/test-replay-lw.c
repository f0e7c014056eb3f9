// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the dm-log-writes v1 encoder and decoder
 * (dm-replay/replay-lw.c): byte layout as the stock target writes it, round
 * trips in 512- and 4096-byte sectors, and every refusal of the decoder.
 */
#include "../../dm-replay/replay-log.c"
#include "../../dm-replay/replay-lw.c"
#include "unit.h"

static u8 blk[4096];

static u64 get64(size_t off)
{
	u64 v;

	memcpy(&v, blk + off, 8);
	return le64_to_cpu(v);
}

static void put64(size_t off, u64 v)
{
	v = cpu_to_le64(v);
	memcpy(blk + off, &v, 8);
}

UNIT_CASE(super_layout)
{
	/* "rhswfsj\0": the magic as dm-log-writes.c and replay-log spell it. */
	static const u8 magic[8] = { 0x72, 0x68, 0x73, 0x77, 0x66, 0x73, 0x6a, 0 };
	struct lw_sb sb;
	size_t i;

	memset(blk, 0xaa, sizeof(blk));
	lw_super_encode(blk, 512, 77);
	CHECK(!memcmp(blk, magic, 8));
	CHECK_EQ(get64(8), 1);
	CHECK_EQ(get64(16), 77);
	CHECK_EQ(blk[24] | blk[25] << 8 | blk[26] << 16 | blk[27] << 24, 512);
	for (i = 28; i < 512; i++)
		CHECK_EQ(blk[i], 0);
	CHECK_EQ(blk[512], 0xaa);	/* one block, no more */
	CHECK(lw_is_super(blk, 512));
	CHECK_EQ(lw_super_decode(blk, 512, &sb), LW_OK);
	CHECK_EQ(sb.nr_entries, 77);
	CHECK_EQ(sb.sectorsize, 512);
}

UNIT_CASE(super_validation)
{
	struct lw_sb sb;

	lw_super_encode(blk, 4096, 3);
	CHECK_EQ(lw_super_decode(blk, 4096, &sb), LW_OK);
	CHECK_EQ(sb.sectorsize, 4096);
	CHECK_EQ(lw_super_decode(blk, 16, &sb), LW_E_MAGIC);	/* too short */
	put64(8, 2);
	CHECK_EQ(lw_super_decode(blk, 4096, &sb), LW_E_VERSION);
	put64(8, 1);
	blk[24] = 0x00;
	blk[25] = 0x03;	/* 768 */
	CHECK_EQ(lw_super_decode(blk, 4096, &sb), LW_E_SECTORSIZE);
	blk[25] = 0x20;	/* 8192 */
	CHECK_EQ(lw_super_decode(blk, 4096, &sb), LW_E_SECTORSIZE);
	blk[25] = 0x01;	/* 256 */
	CHECK_EQ(lw_super_decode(blk, 4096, &sb), LW_E_SECTORSIZE);
	blk[0] ^= 1;
	CHECK_EQ(lw_super_decode(blk, 4096, &sb), LW_E_MAGIC);
	CHECK(!lw_is_super(blk, 4096));
	/* A dm-replay superblock is not a log-writes one. */
	put64(0, DMR_SUPER_MAGIC);
	CHECK(!lw_is_super(blk, 4096));
}

static void round_trip(u32 ss, struct dmr_rec *in)
{
	struct dmr_rec out;

	CHECK_EQ(lw_entry_encode(blk, ss, in), 0);
	CHECK_EQ(lw_entry_decode(blk, ss, in->seq, &out), LW_OK);
	CHECK_EQ(out.seq, in->seq);
	CHECK_EQ(out.type, in->type);
	CHECK_EQ(out.sector, in->sector);
	CHECK_EQ(out.nr_sectors, in->nr_sectors);
	CHECK_EQ(out.flags, in->flags & ~DMR_F_COMPLETED);
	CHECK_EQ(out.data_sectors, in->flags & DMR_F_DISCARD ? 0 : in->nr_sectors);
	CHECK_STR(out.name, in->name);
}

UNIT_CASE(entry_layout)
{
	struct dmr_rec w = { .type = DMR_TYPE_IO, .sector = 64, .nr_sectors = 16,
			     .data_sectors = 16, .flags = DMR_F_FUA | DMR_F_META | DMR_F_FLUSH };
	struct dmr_rec m = { .type = DMR_TYPE_MARK, .name = "mkfs" };
	size_t i;

	/* 4096-byte sectors: sector 64 -> 8, 16 sectors -> 2. */
	CHECK_EQ(lw_entry_encode(blk, 4096, &w), 0);
	CHECK_EQ(get64(0), 8);
	CHECK_EQ(get64(8), 2);
	CHECK_EQ(get64(16), LW_F_FLUSH | LW_F_FUA | LW_F_METADATA);
	CHECK_EQ(get64(24), 0);
	for (i = 32; i < 4096; i++)
		CHECK_EQ(blk[i], 0);
	CHECK_EQ(lw_entry_encode(blk, 512, &m), 0);
	CHECK_EQ(get64(0), 0);
	CHECK_EQ(get64(8), 0);
	CHECK_EQ(get64(16), LW_F_MARK);
	CHECK_EQ(get64(24), 4);
	CHECK(!memcmp(blk + 32, "mkfs", 4));
	CHECK_EQ(blk[36], 0);
}

UNIT_CASE(entry_round_trips)
{
	struct dmr_rec r = { .type = DMR_TYPE_IO, .seq = 5, .sector = 8, .nr_sectors = 8,
			     .data_sectors = 8 };
	u32 ss;

	for (ss = 512; ss <= 4096; ss <<= 3) {
		r.flags = 0;
		round_trip(ss, &r);
		r.flags = DMR_F_FLUSH | DMR_F_FUA | DMR_F_META | DMR_F_COMPLETED;
		round_trip(ss, &r);
		r.flags = DMR_F_DISCARD;
		round_trip(ss, &r);
	}
	r.flags = DMR_F_FLUSH;
	r.sector = 0;
	r.nr_sectors = 0;
	r.data_sectors = 0;
	round_trip(512, &r);	/* an empty flush */
	memset(&r, 0, sizeof(r));
	r.type = DMR_TYPE_MARK;
	memset(r.name, 'n', DMR_NAME_MAX);
	CHECK_EQ(strlen(r.name), 63);
	round_trip(512, &r);
}

UNIT_CASE(encode_refusals)
{
	struct dmr_rec r = { .type = DMR_TYPE_IO, .sector = 8, .nr_sectors = 8,
			     .flags = DMR_F_ZEROES };

	CHECK_EQ(lw_entry_encode(blk, 512, &r), -EINVAL);	/* no write_zeroes */
	r.flags = 0;
	r.sector = 4;
	CHECK_EQ(lw_entry_encode(blk, 4096, &r), -EINVAL);	/* not whole blocks */
	r.sector = 8;
	r.nr_sectors = 12;
	CHECK_EQ(lw_entry_encode(blk, 4096, &r), -EINVAL);
	r.type = DMR_TYPE_COMPLETIONS;
	r.nr_sectors = 8;
	CHECK_EQ(lw_entry_encode(blk, 512, &r), -EINVAL);
	r.type = DMR_TYPE_IO;
	CHECK_EQ(lw_entry_encode(blk, 1000, &r), -EINVAL);
}

UNIT_CASE(decode_refusals)
{
	struct dmr_rec r;
	u64 lim = U64_MAX >> 10;

	memset(blk, 0, sizeof(blk));
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_ZERO);
	put64(8, 1);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_OK);
	put64(16, 0x20);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_FLAGS);
	put64(16, LW_F_MARK | LW_F_FUA);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_MARK);
	put64(16, LW_F_MARK);	/* a mark with sectors */
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_MARK);
	put64(8, 0);
	put64(24, 0);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_NAME);	/* empty */
	put64(24, 480);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_DATA_LEN);	/* no NUL room */
	put64(24, 64);
	memset(blk + 32, 'x', 64);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_NAME);	/* too long */
	put64(24, 3);
	memset(blk + 32, 0, 64);
	memcpy(blk + 32, "a b", 3);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_NAME);
	memcpy(blk + 32, "a\0b", 3);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_NAME);
	memcpy(blk + 32, "abc", 3);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_OK);
	CHECK_STR(r.name, "abc");
	blk[511] = 1;
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_PADDING);
	memset(blk, 0, sizeof(blk));
	put64(8, 1);
	put64(24, 1);	/* data_len on a write */
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_DATA_LEN);
	put64(24, 0);
	blk[32] = 1;	/* replay-log's own check: the byte after the header */
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_PADDING);
	blk[32] = 0;
	put64(0, lim);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_RANGE);
	put64(0, lim - 1);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_OK);
	put64(0, lim / 8);	/* fits in 512 but not in 4096-byte sectors */
	CHECK_EQ(lw_entry_decode(blk, 4096, 0, &r), LW_E_RANGE);
	put64(0, 0);
	put64(8, U64_MAX);
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_RANGE);
	put64(8, (u64)1 << 32);	/* data longer than dmr_rec holds */
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_E_RANGE);
	put64(16, LW_F_DISCARD);	/* a discard has no data: fine */
	CHECK_EQ(lw_entry_decode(blk, 512, 0, &r), LW_OK);
	CHECK_EQ(r.data_sectors, 0);
	CHECK_STR(lw_err_str(LW_E_NAME), "mark name empty, longer than 63 bytes or not printable ASCII");
}

int main(void)
{
	UNIT_RUN("replay-lw", super_layout);
	UNIT_RUN("replay-lw", super_validation);
	UNIT_RUN("replay-lw", entry_layout);
	UNIT_RUN("replay-lw", entry_round_trips);
	UNIT_RUN("replay-lw", encode_refusals);
	UNIT_RUN("replay-lw", decode_refusals);
	return unit_summary("replay-lw");
}
