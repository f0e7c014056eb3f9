// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the dm-log-writes v1 decoder (dm-replay/replay-lw.c).
 *
 * The input is a log image: the superblock in block 0, then entry headers
 * and data, walked as dmreplay's reader does (dm-replay/dmreplay-lw.c):
 * nr_entries headers of sectorsize bytes, each followed by its data unless
 * it is a discard. Each block is handed to the decoder in a buffer of
 * exactly its size, so any read past it is an ASan report.
 *
 * Invariants: a superblock that decodes has a power-of-two sectorsize in
 * 512..4096; a header that decodes is an I/O entry or a mark: its range
 * fits in byte offsets (sector + length below 2^54 sectors) and is in
 * whole sectorsize blocks, its data length is its length (none for a
 * discard) and fits in 32 bits, a mark has a printable name of 1..63
 * bytes and no range; and it re-encodes (lw_entry_encode) to exactly the
 * same block, so the decoder accepts nothing the format cannot say.
 */
#include "../../dm-replay/replay-log.c"
#include "../../dm-replay/replay-lw.c"
#include "fuzz-host.h"

static void check_entry(const u8 *blk, u32 ss, u64 index, struct dmr_rec *rec)
{
	u8 *in = malloc(ss), *out = malloc(ss);
	enum lw_err e;
	size_t i, len;

	memcpy(in, blk, ss);
	e = lw_entry_decode(in, ss, index, rec);
	if (e == LW_OK) {
		FUZZ_ASSERT(rec->seq == index);
		if (rec->type == DMR_TYPE_MARK) {
			len = strlen(rec->name);
			FUZZ_ASSERT(len >= 1 && len <= DMR_NAME_MAX);
			for (i = 0; i < len; i++)
				FUZZ_ASSERT(rec->name[i] > ' ' && rec->name[i] <= '~');
			FUZZ_ASSERT(!rec->sector && !rec->nr_sectors && !rec->data_sectors);
		} else {
			FUZZ_ASSERT(rec->type == DMR_TYPE_IO);
			FUZZ_ASSERT(!(rec->flags & ~(DMR_F_FLUSH | DMR_F_FUA | DMR_F_DISCARD |
						     DMR_F_META)));
			FUZZ_ASSERT(rec->sector <= U64_MAX >> 10);
			FUZZ_ASSERT(rec->nr_sectors <= (U64_MAX >> 10) - rec->sector);
			FUZZ_ASSERT(!(rec->sector % (ss >> 9)) && !(rec->nr_sectors % (ss >> 9)));
			FUZZ_ASSERT(rec->data_sectors ==
				    (rec->flags & DMR_F_DISCARD ? 0 : rec->nr_sectors));
			FUZZ_ASSERT(rec->flags || rec->nr_sectors);
		}
		FUZZ_ASSERT(!lw_entry_encode(out, ss, rec) || !"a decoded entry encodes");
		FUZZ_ASSERT(!memcmp(in, out, ss) || !"a decoded entry re-encodes to its block");
	} else {
		FUZZ_ASSERT(e > LW_OK && e <= LW_E_PADDING);
		FUZZ_ASSERT(strcmp(lw_err_str(e), "unknown error"));
	}
	free(in);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmr_rec rec;
	struct lw_sb sb;
	u8 *sup;
	u64 pos, i;
	enum lw_err e;

	if (size < 512)
		return 0;
	sup = malloc(512);
	memcpy(sup, data, 512);
	e = lw_super_decode(sup, 512, &sb);
	free(sup);
	if (e != LW_OK)
		return 0;
	FUZZ_ASSERT(sb.sectorsize >= 512 && sb.sectorsize <= 4096 &&
		    !(sb.sectorsize & (sb.sectorsize - 1)));
	pos = sb.sectorsize;
	for (i = 0; i < sb.nr_entries && pos + sb.sectorsize <= size; i++) {
		check_entry(data + pos, sb.sectorsize, i, &rec);
		if (rec.type == DMR_TYPE_IO && rec.data_sectors) {
			/* the data, in whole blocks: past the input ends the walk */
			if (rec.data_sectors > (size - pos) >> 9)
				break;
			pos += (u64)rec.data_sectors << 9;
		}
		pos += sb.sectorsize;
	}
	return 0;
}
