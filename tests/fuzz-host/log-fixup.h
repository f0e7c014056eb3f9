/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the log harnesses of tests/fuzz-host/: recompute every checksum of a
 * log image (superblock, entry headers at block boundaries, entry data),
 * so that mutated fields get past the CRCs. Include after replay-log.c.
 */
#ifndef DMTK_LOG_FIXUP_H
#define DMTK_LOG_FIXUP_H

static bool pow2(u64 v)
{
	return v && !(v & (v - 1));
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static u32 get_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* Recompute every checksum the walk will look at. */
static void fix_crcs(u8 *img, size_t size)
{
	u64 bs, off;
	u32 v;

	if (size < sizeof(struct dmr_super))
		return;
	put_le32(img + offsetof(struct dmr_super, crc),
		 dmr_crc32c(img, offsetof(struct dmr_super, crc)));
	bs = get_le32(img + offsetof(struct dmr_super, block_size));
	if (!pow2(bs) || bs < DMR_MIN_BLOCK_SIZE || bs > DMR_MAX_BLOCK_SIZE)
		return;
	for (off = bs; off + sizeof(struct dmr_entry) <= size;) {
		u8 *h = img + off;
		u64 dlen;

		v = get_le32(h + offsetof(struct dmr_entry, data_sectors));
		dlen = (u64)v * 512;
		if (dlen && off + bs <= size && dlen <= size - off - bs)
			put_le32(h + offsetof(struct dmr_entry, data_crc),
				 dmr_crc32c(h + bs, dlen));
		put_le32(h + offsetof(struct dmr_entry, hdr_crc),
			 dmr_crc32c(h, offsetof(struct dmr_entry, hdr_crc)));
		off += dmr_entry_log_sectors(bs, v) * 512;
		if (off >= size)
			break;
	}
}

#endif /* DMTK_LOG_FIXUP_H */
