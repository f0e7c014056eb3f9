/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building dm-replay logs in memory for the host tests of dmreplay: the
 * log writer (dmr-mklog.c) and the tool fuzzer (dmr-fuzz-tool.c). Entries
 * are encoded with dm-replay/replay-log.c, so every checksum is right
 * unless an entry asks for a wrong one.
 */
#ifndef DMR_LOGBUILD_H
#define DMR_LOGBUILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dm-replay/replay-log.c"

struct lb_entry {
	struct dmr_rec rec;
	u8 *data;		/* data_len bytes, or NULL */
	u32 data_len;		/* data_sectors * 512 unless a test changed those */
	bool bad_hdr_crc;	/* a torn or corrupt header */
	bool bad_data_crc;	/* a torn or corrupt data block */
	bool raw_data_crc;	/* keep rec.data_crc as set */
};

struct lb_log {
	struct dmr_sb sb;
	struct lb_entry *e;
	u32 nr, cap;
	bool raw_nr_entries;	/* keep sb.nr_entries as set (else: all) */
	bool raw_used;		/* keep sb.used_sectors as set */
	bool bad_super_crc;
	u64 cut_bytes;		/* nonzero: the image ends there */
};

static inline void *lb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "logbuild: out of memory\n");
		exit(3);
	}
	return p;
}

static inline void lb_init(struct lb_log *lg, u32 block_size, u64 dev_sectors, u64 log_sectors)
{
	memset(lg, 0, sizeof(*lg));
	lg->sb.version = DMR_VERSION;
	lg->sb.block_size = block_size;
	lg->sb.data_block_size = 512;
	lg->sb.state = DMR_STATE_LOGGING;
	lg->sb.log_id = 0x0123456789abcdefULL;
	lg->sb.dev_sectors = dev_sectors;
	lg->sb.log_sectors = log_sectors;
}

static inline struct lb_entry *lb_add(struct lb_log *lg)
{
	struct lb_entry *e;

	if (lg->nr == lg->cap) {
		lg->cap = lg->cap ? lg->cap * 2 : 64;
		lg->e = realloc(lg->e, lg->cap * sizeof(*lg->e));
		if (!lg->e) {
			fprintf(stderr, "logbuild: out of memory\n");
			exit(3);
		}
	}
	e = &lg->e[lg->nr];
	memset(e, 0, sizeof(*e));
	e->rec.seq = lg->nr++;
	return e;
}

static inline void lb_free(struct lb_log *lg)
{
	u32 i;

	for (i = 0; i < lg->nr; i++)
		free(lg->e[i].data);
	free(lg->e);
	lg->e = NULL;
	lg->nr = lg->cap = 0;
}

/* The block size entries are laid out by (a mutated one may be invalid). */
static inline u32 lb_layout_bs(const struct lb_log *lg)
{
	u32 bs = lg->sb.block_size;

	return bs >= 512 && bs <= DMR_MAX_BLOCK_SIZE && !(bs & (bs - 1)) ? bs : 512;
}

/* Log sectors the entries take, superblock block included. */
static inline u64 lb_used_sectors(const struct lb_log *lg)
{
	u64 s = lb_layout_bs(lg) >> 9;
	u32 i;

	for (i = 0; i < lg->nr; i++)
		s += dmr_entry_log_sectors(lb_layout_bs(lg), lg->e[i].rec.data_sectors);
	return s;
}

/* Images are at most this big, whatever the fields say. */
#ifndef LB_MAX_IMAGE
#define LB_MAX_IMAGE	(64ULL << 20)
#endif

/*
 * The image of the log: log_sectors * 512 bytes or what the entries take
 * (at most LB_MAX_IMAGE, or up to cut_bytes). Entries are laid out by
 * their data_sectors field, whatever data they carry; an entry whose
 * header or data would not fit the image is left out. Returns its length;
 * *@out is malloc()ed.
 */
static inline size_t lb_build(struct lb_log *lg, u8 **out)
{
	u64 used = lb_used_sectors(lg), size, pos;
	u32 bs = lb_layout_bs(lg), i;
	u8 *img;

	if (!lg->raw_nr_entries)
		lg->sb.nr_entries = lg->nr;
	if (!lg->raw_used)
		lg->sb.used_sectors = used;
	size = lg->sb.log_sectors > used ? lg->sb.log_sectors : used;
	size = size > LB_MAX_IMAGE >> 9 ? LB_MAX_IMAGE : size << 9;
	if (size < DMR_MAX_BLOCK_SIZE)
		size = DMR_MAX_BLOCK_SIZE;
	img = lb_xcalloc(size, 1);
	dmr_super_encode((struct dmr_super *)img, &lg->sb);
	if (lg->bad_super_crc)
		img[offsetof(struct dmr_super, crc)] ^= 0x5a;
	pos = bs;
	for (i = 0; i < lg->nr; i++) {
		struct lb_entry *e = &lg->e[i];
		u64 len = (u64)e->rec.data_sectors << 9;
		u64 copy = e->data_len < len ? e->data_len : len;

		if (pos + bs > size)
			break;
		if (e->data)
			memcpy(img + pos + bs, e->data, pos + bs + copy <= size ? copy : 0);
		if (pos + bs + len <= size && !e->raw_data_crc && len)
			e->rec.data_crc = dmr_crc32c(img + pos + bs, len);
		dmr_entry_encode((struct dmr_entry *)(img + pos), &e->rec, lg->sb.log_id);
		if (e->bad_hdr_crc)
			img[pos + offsetof(struct dmr_entry, hdr_crc)] ^= 0xa5;
		if (e->bad_data_crc && len && pos + bs + len / 2 < size)
			img[pos + bs + len / 2] ^= 0xff;
		pos += dmr_entry_log_sectors(bs, e->rec.data_sectors) << 9;
	}
	if (lg->cut_bytes && lg->cut_bytes < size)
		size = lg->cut_bytes;
	*out = img;
	return size;
}

#endif /* DMR_LOGBUILD_H */
