// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of the dm-replay log format (dm-replay/replay-log.c). */
#include "../../dm-replay/replay-log.c"
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
	in.type = DMR_TYPE_INFO | 1;
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
	return unit_summary("replay-log");
}
