// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the dm-replay log format (dm-replay/replay-log.c) and
 * of the crash-state subset generator (dm-replay/crash-gen.c).
 */
#include "../../dm-replay/replay-log.c"
#include "../../dm-replay/crash-gen.c"
#include "unit.h"

static struct dmr_sb sample_sb(void)
{
	struct dmr_sb sb = {
		.version = DMR_VERSION, .block_size = 512, .data_block_size = 512,
		.state = DMR_STATE_FULL, .log_id = 0x1122334455667788ULL,
		.nr_entries = 3, .used_sectors = 40, .log_sectors = 2048,
		.dev_sectors = 131072,
	};
	return sb;
}

static struct dmr_rec sample_write(void)
{
	struct dmr_rec r = {
		.seq = 7, .sector = 123456, .nr_sectors = 8, .data_sectors = 8,
		.flags = DMR_F_FUA | DMR_F_META, .data_crc = 0xdeadbeef,
		.type = DMR_TYPE_IO,
	};
	return r;
}

UNIT_CASE(crc32c_known_vectors)
{
	static const u8 zeros[32], ones[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	u8 inc[32];
	char buf[64];
	u32 st;
	int i;

	for (i = 0; i < 32; i++)
		inc[i] = i;
	/* RFC 3720 B.4 test vectors, and the classic check value. */
	CHECK_EQ(dmr_crc32c("123456789", 9), 0xe3069283);
	CHECK_EQ(dmr_crc32c(zeros, 32), 0x8a9136aa);
	CHECK_EQ(dmr_crc32c(ones, 32), 0x62a8ab43);
	CHECK_EQ(dmr_crc32c(inc, 32), 0x46dd794e);
	CHECK_EQ(dmr_crc32c("", 0), 0);
	/* Incremental, at every split and from an unaligned start. */
	for (i = 0; i <= 9; i++) {
		st = dmr_crc32c_update(DMR_CRC_INIT, "123456789", i);
		st = dmr_crc32c_update(st, "123456789" + i, 9 - i);
		CHECK_EQ(~st, 0xe3069283);
	}
	memcpy(buf + 3, "123456789", 9);
	CHECK_EQ(dmr_crc32c(buf + 3, 9), 0xe3069283);
}

UNIT_CASE(super_round_trip)
{
	struct dmr_sb in = sample_sb(), out;
	struct dmr_super raw;

	dmr_super_encode(&raw, &in);
	CHECK_EQ(le64_to_cpu(raw.magic), DMR_SUPER_MAGIC);
	CHECK(!memcmp(&raw, "DMREPLAY", 8));
	memset(&out, 0, sizeof(out));
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_OK);
	CHECK(!memcmp(&in, &out, sizeof(in)));
}

UNIT_CASE(super_validation)
{
	struct dmr_sb sb = sample_sb(), out;
	struct dmr_super raw;
	u8 *bytes = (u8 *)&raw;

	dmr_super_encode(&raw, &sb);
	bytes[0] ^= 1;
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_MAGIC);

	dmr_super_encode(&raw, &sb);
	bytes[offsetof(struct dmr_super, nr_entries)] ^= 0x10;
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_CRC);

	sb.version = 2;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_VERSION);

	sb = sample_sb();
	sb.block_size = 1000;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_FIELD);

	sb = sample_sb();
	sb.block_size = 8192;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_FIELD);

	sb = sample_sb();
	sb.used_sectors = 4096;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_FIELD);

	sb = sample_sb();
	sb.state = 3;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_FIELD);

	/* 40 sectors hold the superblock and at most 39 headers. */
	sb = sample_sb();
	sb.nr_entries = 40;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_E_FIELD);
	sb.nr_entries = 39;
	dmr_super_encode(&raw, &sb);
	CHECK_EQ(dmr_super_decode(&raw, &out), DMR_OK);
}

UNIT_CASE(entry_round_trip)
{
	struct dmr_rec in = sample_write(), out;
	struct dmr_entry raw;

	dmr_entry_encode(&raw, &in, 42);
	memset(&out, 0x55, sizeof(out));
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_OK);
	CHECK_EQ(out.seq, 7);
	CHECK_EQ(out.sector, 123456);
	CHECK_EQ(out.nr_sectors, 8);
	CHECK_EQ(out.data_sectors, 8);
	CHECK_EQ(out.flags, DMR_F_FUA | DMR_F_META);
	CHECK_EQ(out.data_crc, 0xdeadbeef);
	CHECK_EQ(out.type, DMR_TYPE_IO);
	CHECK_STR(out.name, "");

	memset(&in, 0, sizeof(in));
	in.type = DMR_TYPE_MARK;
	in.seq = 9;
	strcpy(in.name, "after-mkfs");
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(le16_to_cpu(raw.name_len), 10);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 9, &out), DMR_OK);
	CHECK_EQ(out.type, DMR_TYPE_MARK);
	CHECK_STR(out.name, "after-mkfs");

	memset(&in, 0, sizeof(in));
	in.type = DMR_TYPE_IO;
	in.flags = DMR_F_FLUSH;
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 0, &out), DMR_OK);
	CHECK_EQ(out.flags, DMR_F_FLUSH);

	in.flags = DMR_F_DISCARD;
	in.sector = 8;
	in.nr_sectors = 2048;
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 0, &out), DMR_OK);
	CHECK_EQ(out.nr_sectors, 2048);
	CHECK_EQ(out.data_sectors, 0);
}

UNIT_CASE(entry_corruption_detected)
{
	struct dmr_rec in = sample_write(), out;
	struct dmr_entry raw;
	u8 *bytes = (u8 *)&raw;
	size_t i;
	int bad = 0;

	/* Every single-bit flip in the covered bytes is caught. */
	for (i = 0; i < offsetof(struct dmr_entry, hdr_crc) * 8; i++) {
		dmr_entry_encode(&raw, &in, 42);
		bytes[i / 8] ^= 1 << (i % 8);
		if (dmr_entry_decode(&raw, 42, 7, &out) == DMR_OK)
			bad++;
	}
	CHECK_EQ(bad, 0);

	dmr_entry_encode(&raw, &in, 42);
	raw.hdr_crc ^= cpu_to_le32(1);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_E_CRC);

	dmr_entry_encode(&raw, &in, 42);
	raw.magic = 0;
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_E_MAGIC);

	/* A stale entry of an older recording, or a gap in the sequence. */
	dmr_entry_encode(&raw, &in, 41);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_E_LOG_ID);
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 8, &out), DMR_E_SEQ);

	memset(bytes, 0, sizeof(raw));
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_E_MAGIC);
}

UNIT_CASE(entry_field_validation)
{
	struct dmr_rec in = sample_write(), out;
	struct dmr_entry raw;

	in.flags |= 1U << 7;
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_E_FIELD);

	in = sample_write();
	in.data_sectors = 4;
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_E_FIELD);

	in = sample_write();
	in.flags = DMR_F_DISCARD;
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_E_FIELD);

	in = sample_write();
	in.nr_sectors = in.data_sectors = 0;
	in.flags = 0;
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_E_FIELD);

	in = sample_write();
	in.type = 3;
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_E_FIELD);
	in.type = DMR_TYPE_INFO | 2;	/* unknown, informational: skipped */
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_OK);

	memset(&in, 0, sizeof(in));
	in.type = DMR_TYPE_MARK;
	strcpy(in.name, "has space");
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 0, &out), DMR_E_FIELD);
	in.name[0] = '\0';
	dmr_entry_encode(&raw, &in, 1);
	CHECK_EQ(dmr_entry_decode(&raw, 1, 0, &out), DMR_E_FIELD);

	/* Reserved bytes must stay zero (they are covered by the CRC). */
	in = sample_write();
	dmr_entry_encode(&raw, &in, 1);
	raw.reserved[2] = cpu_to_le64(1);
	raw.hdr_crc = cpu_to_le32(dmr_crc32c(&raw, offsetof(struct dmr_entry, hdr_crc)));
	CHECK_EQ(dmr_entry_decode(&raw, 1, 7, &out), DMR_E_FIELD);
}

UNIT_CASE(mark_names)
{
	char name[80];

	CHECK_EQ(dmr_mark_name_check("m1"), 0);
	CHECK_EQ(dmr_mark_name_check("after_mkfs.v2-x"), 0);
	CHECK_EQ(dmr_mark_name_check(""), -EINVAL);
	CHECK_EQ(dmr_mark_name_check("a b"), -EINVAL);
	CHECK_EQ(dmr_mark_name_check("tab\there"), -EINVAL);
	CHECK_EQ(dmr_mark_name_check("caf\xc3\xa9"), -EINVAL);
	memset(name, 'x', sizeof(name));
	name[DMR_NAME_MAX] = '\0';
	CHECK_EQ(dmr_mark_name_check(name), 0);
	name[DMR_NAME_MAX] = 'x';
	name[DMR_NAME_MAX + 1] = '\0';
	CHECK_EQ(dmr_mark_name_check(name), -ENAMETOOLONG);
}

UNIT_CASE(entry_log_sectors)
{
	CHECK_EQ(dmr_entry_log_sectors(512, 0), 1);
	CHECK_EQ(dmr_entry_log_sectors(512, 8), 9);
	CHECK_EQ(dmr_entry_log_sectors(4096, 0), 8);
	CHECK_EQ(dmr_entry_log_sectors(4096, 1), 16);
	CHECK_EQ(dmr_entry_log_sectors(4096, 8), 16);
	CHECK_EQ(dmr_entry_log_sectors(4096, 9), 24);
}

UNIT_CASE(completion_records)
{
	struct dmr_crec in = { .sector = 0x123456789aULL, .nr_sectors = 8, .op = DMR_OP_WRITE,
			       .flags = DMR_CF_FUA | DMR_CF_META }, out;
	struct dmr_comp raw;
	const u8 *b = (const u8 *)&raw;

	dmr_comp_encode(&raw, &in);
	/* Little-endian on the log whatever the host. */
	CHECK_EQ(b[0], 0x9a);
	CHECK_EQ(b[4], 0x12);
	CHECK_EQ(b[8], 8);
	CHECK_EQ(b[12], DMR_OP_WRITE);
	CHECK_EQ(b[13], DMR_CF_FUA | DMR_CF_META);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_OK);
	CHECK(dmr_comp_match(&in, &out));
	CHECK_EQ(out.flags, in.flags);

	/* Reads carry a length; an empty flush has none; nothing else is empty. */
	in.op = DMR_OP_READ;
	dmr_comp_encode(&raw, &in);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_OK);
	in.nr_sectors = 0;
	dmr_comp_encode(&raw, &in);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_E_FIELD);
	in.op = DMR_OP_FLUSH;
	in.sector = 0;
	dmr_comp_encode(&raw, &in);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_OK);
	in.nr_sectors = 8;
	dmr_comp_encode(&raw, &in);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_E_FIELD);

	/* Unknown op, unknown flag, reserved bytes. */
	in.op = DMR_OP_MAX + 1;
	dmr_comp_encode(&raw, &in);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_E_FIELD);
	in.op = DMR_OP_WRITE;
	dmr_comp_encode(&raw, &in);
	raw.flags = 0x10;
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_E_FIELD);
	dmr_comp_encode(&raw, &in);
	raw.reserved = cpu_to_le16(1);
	CHECK_EQ(dmr_comp_decode(&raw, &out), DMR_E_FIELD);

	/* Matching is by op, sector and length, not flags. */
	out = in;
	out.flags ^= DMR_CF_FUA;
	CHECK(dmr_comp_match(&in, &out));
	out.sector++;
	CHECK(!dmr_comp_match(&in, &out));
	out = in;
	out.op = DMR_OP_READ;
	CHECK(!dmr_comp_match(&in, &out));
	CHECK_STR(dmr_comp_op_str(DMR_OP_ZEROES), "zeroes");
}

/* Entries that are their own completion record, and the records around them. */
UNIT_CASE(entries_carry_completions)
{
	struct dmr_rec in = sample_write(), out;
	struct dmr_crec c, order[6], recs[3] = {
		{ .op = DMR_OP_READ, .sector = 1, .nr_sectors = 8 },
		{ .op = DMR_OP_WRITE, .sector = 2, .nr_sectors = 8, .flags = DMR_CF_ERROR },
		{ .op = DMR_OP_READ, .sector = 3, .nr_sectors = 8 },
	};
	u8 taken[6] = { 0 };
	struct dmr_entry raw;

	in.flags |= DMR_F_COMPLETED;
	in.comp_seq = 1ULL << 40;
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_OK);
	CHECK(out.comp_seq == 1ULL << 40);
	dmr_entry_crec(&out, &c);
	CHECK_EQ(c.op, DMR_OP_WRITE);
	CHECK_EQ(c.sector, 123456);
	CHECK_EQ(c.nr_sectors, 8);
	CHECK_EQ(c.flags, DMR_CF_FUA | DMR_CF_META);
	/* A number without the flag, or on a mark, is damage. */
	in.flags &= ~DMR_F_COMPLETED;
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 7, &out), DMR_E_FIELD);
	memset(&in, 0, sizeof(in));
	in.type = DMR_TYPE_MARK;
	strcpy(in.name, "m");
	in.comp_seq = 3;
	dmr_entry_encode(&raw, &in, 42);
	CHECK_EQ(dmr_entry_decode(&raw, 42, 0, &out), DMR_E_FIELD);

	/* An empty flush and a discard stand for their own records too. */
	memset(&in, 0, sizeof(in));
	in.type = DMR_TYPE_IO;
	in.flags = DMR_F_FLUSH | DMR_F_COMPLETED;
	dmr_entry_crec(&in, &c);
	CHECK_EQ(c.op, DMR_OP_FLUSH);
	CHECK_EQ(c.flags, DMR_CF_PREFLUSH);
	in.flags = DMR_F_DISCARD | DMR_F_COMPLETED;
	in.nr_sectors = 16;
	dmr_entry_crec(&in, &c);
	CHECK_EQ(c.op, DMR_OP_DISCARD);

	/* Entries at 0, 2 and 5; the records fill 1, 3 and 4 in their order. */
	CHECK(dmr_comp_place(order, taken, 6, 0, &c));
	CHECK(dmr_comp_place(order, taken, 6, 2, &c));
	CHECK(dmr_comp_place(order, taken, 6, 5, &c));
	CHECK(taken[0] && taken[2] && taken[5] && !taken[1] && !taken[3] && !taken[4]);
	/* The same place twice is damage; one beyond the count is left out. */
	CHECK(!dmr_comp_place(order, taken, 6, 2, &c));
	CHECK(dmr_comp_place(order, taken, 6, 6, &c));
	CHECK_EQ(dmr_comp_fill(order, taken, 6, recs, 3), 6);
	CHECK_EQ(order[1].sector, 1);
	CHECK_EQ(order[3].sector, 2);
	CHECK_EQ(order[4].sector, 3);
	CHECK_EQ(order[5].op, DMR_OP_DISCARD);
	/* A lost record: the order is known up to its place. */
	CHECK_EQ(dmr_comp_fill(order, taken, 6, recs, 1), 3);
	CHECK_EQ(dmr_comp_fill(order, taken, 6, recs, 0), 1);
}

UNIT_CASE(completion_entries)
{
	struct dmr_rec rec = { .seq = 4, .type = DMR_TYPE_COMPLETIONS, .sector = 256,
			       .nr_sectors = 256, .data_sectors = 8 }, out;
	struct dmr_entry raw;

	CHECK_EQ(dmr_comp_data_sectors(1), 1);
	CHECK_EQ(dmr_comp_data_sectors(32), 1);
	CHECK_EQ(dmr_comp_data_sectors(33), 2);
	CHECK_EQ(dmr_comp_data_sectors(DMR_COMP_PER_ENTRY), 8);
	dmr_entry_encode(&raw, &rec, 77);
	CHECK_EQ(dmr_entry_decode(&raw, 77, 4, &out), DMR_OK);
	CHECK_EQ(out.type, DMR_TYPE_COMPLETIONS);
	CHECK_EQ(out.sector, 256);
	CHECK_EQ(out.nr_sectors, 256);
	/* Informational: a reader that knows only bit 0x8000 accepts it too. */
	CHECK(out.type & DMR_TYPE_INFO);
	/* Counts out of range or inconsistent with the data length. */
	rec.nr_sectors = DMR_COMP_PER_ENTRY + 1;
	rec.data_sectors = dmr_comp_data_sectors(rec.nr_sectors);
	dmr_entry_encode(&raw, &rec, 77);
	CHECK_EQ(dmr_entry_decode(&raw, 77, 4, &out), DMR_E_FIELD);
	rec.nr_sectors = 0;
	rec.data_sectors = 0;
	dmr_entry_encode(&raw, &rec, 77);
	CHECK_EQ(dmr_entry_decode(&raw, 77, 4, &out), DMR_E_FIELD);
	rec.nr_sectors = 40;
	rec.data_sectors = 1;
	dmr_entry_encode(&raw, &rec, 77);
	CHECK_EQ(dmr_entry_decode(&raw, 77, 4, &out), DMR_E_FIELD);
	rec.data_sectors = 2;
	rec.flags = DMR_F_FUA;
	dmr_entry_encode(&raw, &rec, 77);
	CHECK_EQ(dmr_entry_decode(&raw, 77, 4, &out), DMR_E_FIELD);
}

UNIT_CASE(entry_device_checks)
{
	struct dmr_sb sb = sample_sb();
	struct dmr_rec rec = sample_write();

	/* 131072 sectors of 512 bytes. */
	CHECK(dmr_range_fits(0, 131072, 131072));
	CHECK(dmr_range_fits(131072, 0, 131072));
	CHECK(!dmr_range_fits(131072, 1, 131072));
	CHECK(!dmr_range_fits(131073, 0, 131072));
	CHECK(!dmr_range_fits(8, U64_MAX - 7, 131072));
	CHECK(!dmr_range_fits(U64_MAX, 1, 131072));

	rec.sector = 131064;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_OK);
	rec.sector = 131065;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_E_RANGE);
	/* sector << 9 would wrap to byte 4096: still beyond the device. */
	rec.sector = 0x80000000000008ULL;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_E_RANGE);
	rec.sector = 0;
	rec.nr_sectors = 0x1000000;
	rec.flags = DMR_F_DISCARD;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_E_RANGE);
	/* An empty flush has no range: its sector is not looked at. */
	rec.sector = U64_MAX;
	rec.nr_sectors = 0;
	rec.flags = DMR_F_FLUSH;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_OK);
	/* Marks and completion entries are not I/O. */
	rec.type = DMR_TYPE_COMPLETIONS;
	rec.sector = U64_MAX;
	rec.nr_sectors = 4;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_OK);

	/* On a device of 4096-byte blocks, whole blocks only. */
	sb.data_block_size = 4096;
	rec = sample_write();
	rec.sector = 16;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_OK);
	rec.sector = 12;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_E_ALIGN);
	rec.sector = 16;
	rec.nr_sectors = 4;
	CHECK_EQ(dmr_entry_check_dev(&rec, &sb), DMR_E_ALIGN);
	CHECK_STR(dmr_err_str(DMR_E_RANGE), "beyond the recorded device");
	CHECK_STR(dmr_err_str(DMR_E_ALIGN), "not aligned to the recorded device's blocks");
}

static u32 mask_of(const bool *in, u32 n)
{
	u32 m = 0, i;

	for (i = 0; i < n; i++)
		m |= (u32)in[i] << i;
	return m;
}

UNIT_CASE(crash_gen_exhaustive)
{
	static const bool nofua[4];
	struct dmr_crash_gen g;
	bool in[4], seen[16] = { false };
	u32 count = 0, m;

	/* 4 writes, room for all: 4 prefixes first, then the 11 others. */
	CHECK_EQ(dmr_crash_gen_init(&g, 4, nofua, 100, false, 1), 0);
	while (dmr_crash_gen_next(&g, in)) {
		m = mask_of(in, 4);
		if (count < 4)
			CHECK_EQ(m, (1U << (count + 1)) - 1);
		CHECK(!seen[m]);
		seen[m] = true;
		count++;
	}
	CHECK_EQ(count, 15);
	CHECK(!seen[0]);
	dmr_crash_gen_free(&g);

	/* The first epoch also has the empty state. */
	CHECK_EQ(dmr_crash_gen_init(&g, 4, nofua, 100, true, 1), 0);
	CHECK(dmr_crash_gen_next(&g, in));
	CHECK_EQ(mask_of(in, 4), 0);
	count = 1;
	while (dmr_crash_gen_next(&g, in))
		count++;
	CHECK_EQ(count, 16);
	dmr_crash_gen_free(&g);

	/* A budget below the prefixes: the shortest prefixes only. */
	CHECK_EQ(dmr_crash_gen_init(&g, 4, nofua, 2, false, 1), 0);
	CHECK(dmr_crash_gen_next(&g, in));
	CHECK_EQ(mask_of(in, 4), 1);
	CHECK(dmr_crash_gen_next(&g, in));
	CHECK_EQ(mask_of(in, 4), 3);
	CHECK(!dmr_crash_gen_next(&g, in));
	dmr_crash_gen_free(&g);
}

UNIT_CASE(crash_gen_fua_closure)
{
	/* Write 1 is FUA: any state with write 2 or 3 holds it. */
	static const bool fua[4] = { false, true, false, false };
	struct dmr_crash_gen g;
	bool in[4];
	u32 count = 0, m;

	CHECK_EQ(dmr_crash_gen_init(&g, 4, fua, 100, false, 1), 0);
	while (dmr_crash_gen_next(&g, in)) {
		m = mask_of(in, 4);
		if (m & 0xc)
			CHECK(m & 0x2);
		count++;
	}
	/* 15 non-empty subsets less the 6 with write 2 or 3 but not 1. */
	CHECK_EQ(count, 9);
	dmr_crash_gen_free(&g);
}

UNIT_CASE(crash_gen_random)
{
	static bool fua[40];
	struct dmr_crash_gen g;
	bool in[40], in2[40];
	u64 hashes[60];
	u32 count = 0, i, j;

	fua[10] = true;
	/* 40 writes: 40 prefixes, then 20 distinct random subsets. */
	CHECK_EQ(dmr_crash_gen_init(&g, 40, fua, 60, false, 42), 0);
	CHECK(!g.exhaustive);
	while (dmr_crash_gen_next(&g, in)) {
		if (count >= 40) {
			CHECK(!gen_is_prefix(&g, in));
			CHECK(gen_is_closed(&g, in));
		}
		hashes[count++] = gen_hash(&g, in);
	}
	CHECK_EQ(count, 60);
	for (i = 0; i < count; i++)
		for (j = i + 1; j < count; j++)
			CHECK(hashes[i] != hashes[j]);
	dmr_crash_gen_free(&g);

	/* The same seed gives the same subsets; another seed others. */
	CHECK_EQ(dmr_crash_gen_init(&g, 40, fua, 41, false, 42), 0);
	for (i = 0; i < 41; i++)
		CHECK(dmr_crash_gen_next(&g, in));
	dmr_crash_gen_free(&g);
	CHECK_EQ(gen_hash(&g, in), hashes[40]);
	CHECK_EQ(dmr_crash_gen_init(&g, 40, fua, 41, false, 43), 0);
	for (i = 0; i < 41; i++)
		CHECK(dmr_crash_gen_next(&g, in2));
	CHECK(gen_hash(&g, in2) != hashes[40]);
	dmr_crash_gen_free(&g);
}

static int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

UNIT_CASE(crash_gen_many_states)
{
	/* --max-states 200000 over 50 writes: distinct subsets, found in O(1) each. */
	static bool fua[50];
	struct dmr_crash_gen g;
	u64 *hashes = calloc(200000, sizeof(*hashes));
	bool in[50];
	u32 count = 0, i, dups = 0;

	CHECK(hashes != NULL);
	if (!hashes)
		return;
	CHECK_EQ(dmr_crash_gen_init(&g, 50, fua, 200000, false, 7), 0);
	while (dmr_crash_gen_next(&g, in))
		hashes[count++] = gen_hash(&g, in);
	CHECK_EQ(count, 200000);
	CHECK_EQ(g.nr_seen, 200000 - 50);
	CHECK(g.seen_mask + 1 >= 2 * g.nr_seen);
	qsort(hashes, count, sizeof(*hashes), u64_cmp);
	for (i = 1; i < count; i++)
		dups += hashes[i] == hashes[i - 1];
	CHECK_EQ(dups, 0);
	dmr_crash_gen_free(&g);
	free(hashes);
}

int main(void)
{
	UNIT_RUN("replay-log", crc32c_known_vectors);
	UNIT_RUN("replay-log", super_round_trip);
	UNIT_RUN("replay-log", super_validation);
	UNIT_RUN("replay-log", entry_round_trip);
	UNIT_RUN("replay-log", entry_corruption_detected);
	UNIT_RUN("replay-log", entry_field_validation);
	UNIT_RUN("replay-log", mark_names);
	UNIT_RUN("replay-log", entry_log_sectors);
	UNIT_RUN("replay-log", completion_records);
	UNIT_RUN("replay-log", completion_entries);
	UNIT_RUN("replay-log", entries_carry_completions);
	UNIT_RUN("replay-log", entry_device_checks);
	UNIT_RUN("replay-log", crash_gen_exhaustive);
	UNIT_RUN("replay-log", crash_gen_fua_closure);
	UNIT_RUN("replay-log", crash_gen_random);
	UNIT_RUN("replay-log", crash_gen_many_states);
	return unit_summary("replay-log");
}
