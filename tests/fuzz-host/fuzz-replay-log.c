// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the dm-replay log decoder (dm-replay/replay-log.c).
 *
 * The input is a log image: superblock in block 0, then entry headers,
 * data and completion records, walked as docs/dm-replay.rst ("Reading a
 * log") describes. Each structure is handed to the decoder in a buffer of
 * exactly its size, so any read past it is an ASan report. Every input is
 * decoded twice: as it is, and with every checksum recomputed (superblock,
 * headers at block boundaries, data), so mutations get past the CRCs and
 * reach the field checks.
 *
 * Invariants: a superblock or header that decodes is within the
 * documented bounds (block sizes, state, used and log sectors, entry
 * count; entry types, flags, lengths, names, reserved bytes); a valid
 * header re-encodes to the same 192 bytes and a valid superblock to the
 * same fields; a completion entry's records fit in its data; a decoded
 * record is a known op with known flags and a length that is zero only
 * for an empty flush; the completion order dmr_comp_fill() builds puts
 * each COMPLETED entry at its comp_seq and the records, in order, in the
 * places left, and stops at the first empty one.
 */
#include "../../dm-replay/replay-log.c"
#include "fuzz-host.h"
#include "log-fixup.h"

/* a 64 KiB input holds at most 127 entries of 512-byte blocks */
#define MAX_ENTRIES	256
#define MAX_RECS	(MAX_ENTRIES * DMR_COMP_PER_ENTRY)

struct walk {
	struct dmr_sb sb;
	u64 nr;				/* valid entries */
	u64 nr_completed;		/* of them with DMR_F_COMPLETED */
	u64 comp_seq[MAX_ENTRIES];
	struct dmr_crec comp_rec[MAX_ENTRIES];
	struct dmr_crec recs[MAX_RECS];	/* records of the completion entries */
	u64 nr_recs;
};

static void check_super(const u8 *img, size_t size, struct walk *w)
{
	struct dmr_super *in = malloc(sizeof(*in)), out;
	struct dmr_sb sb2;
	enum dmr_err e;

	memcpy(in, img, sizeof(*in));
	e = dmr_super_decode(in, &w->sb);
	free(in);
	if (e != DMR_OK) {
		FUZZ_ASSERT(e > DMR_OK && e <= DMR_E_FIELD);
		FUZZ_ASSERT(strcmp(dmr_err_str(e), "unknown error"));
		w->sb.block_size = 0;
		return;
	}
	FUZZ_ASSERT(w->sb.version == DMR_VERSION);
	FUZZ_ASSERT(pow2(w->sb.block_size) && w->sb.block_size >= DMR_MIN_BLOCK_SIZE &&
		    w->sb.block_size <= DMR_MAX_BLOCK_SIZE);
	FUZZ_ASSERT(pow2(w->sb.data_block_size) && w->sb.data_block_size >= 512);
	FUZZ_ASSERT(w->sb.state <= DMR_STATE_FAILED);
	FUZZ_ASSERT(w->sb.used_sectors >= w->sb.block_size / 512 &&
		    w->sb.used_sectors <= w->sb.log_sectors);
	/* the committed entries, one block each at least, fit in used_sectors */
	FUZZ_ASSERT(w->sb.nr_entries <= w->sb.used_sectors / (w->sb.block_size / 512) - 1);

	dmr_super_encode(&out, &w->sb);
	FUZZ_ASSERT(dmr_super_decode(&out, &sb2) == DMR_OK);
	FUZZ_ASSERT(!memcmp(&sb2, &w->sb, sizeof(sb2)));
	/* the encoded fields are the input's, up to the reserved bytes */
	FUZZ_ASSERT(!memcmp(&out, img, offsetof(struct dmr_super, reserved)));
}

static void check_records(const u8 *data, const struct dmr_rec *rec, struct walk *w)
{
	u64 i;

	/* the records fit in the entry's data */
	FUZZ_ASSERT(rec->nr_sectors * sizeof(struct dmr_comp) <= (u64)rec->data_sectors * 512);
	for (i = 0; i < rec->nr_sectors; i++) {
		struct dmr_comp *in = malloc(sizeof(*in)), out;
		struct dmr_crec c;

		memcpy(in, data + i * sizeof(*in), sizeof(*in));
		if (dmr_comp_decode(in, &c) == DMR_OK) {
			FUZZ_ASSERT(c.op <= DMR_OP_MAX && !(c.flags & ~DMR_CF_KNOWN));
			FUZZ_ASSERT(!c.nr_sectors == (c.op == DMR_OP_FLUSH));
			FUZZ_ASSERT(strcmp(dmr_comp_op_str(c.op), "?"));
			dmr_comp_encode(&out, &c);
			FUZZ_ASSERT(!memcmp(&out, in, sizeof(out)));
			if (w->nr_recs < MAX_RECS)
				w->recs[w->nr_recs++] = c;
		}
		free(in);
	}
}

static void check_entry(const struct dmr_entry *in, const struct dmr_rec *rec)
{
	size_t name_len = strlen(rec->name);
	struct dmr_entry out;

	/* unknown informational types may carry any name bytes: skipped */
	FUZZ_ASSERT(name_len <= le16_to_cpu(in->name_len) &&
		    le16_to_cpu(in->name_len) <= DMR_NAME_MAX);
	if (rec->type != DMR_TYPE_IO && rec->type != DMR_TYPE_MARK &&
	    rec->type != DMR_TYPE_COMPLETIONS) {
		FUZZ_ASSERT(rec->type & DMR_TYPE_INFO);
		return;
	}
	FUZZ_ASSERT(name_len == le16_to_cpu(in->name_len));
	switch (rec->type) {
	case DMR_TYPE_IO:
		FUZZ_ASSERT(!(rec->flags & ~DMR_F_KNOWN) && !name_len);
		FUZZ_ASSERT(rec->flags & DMR_F_COMPLETED || !rec->comp_seq);
		if (rec->flags & (DMR_F_DISCARD | DMR_F_ZEROES))
			FUZZ_ASSERT(!rec->data_sectors &&
				    (rec->flags & (DMR_F_DISCARD | DMR_F_ZEROES)) !=
				    (DMR_F_DISCARD | DMR_F_ZEROES));
		else
			FUZZ_ASSERT(rec->data_sectors == rec->nr_sectors &&
				    (rec->nr_sectors || rec->flags & DMR_F_FLUSH));
		break;
	case DMR_TYPE_MARK:
		FUZZ_ASSERT(name_len && !dmr_mark_name_check(rec->name));
		FUZZ_ASSERT(!rec->flags && !rec->sector && !rec->nr_sectors &&
			    !rec->data_sectors && !rec->comp_seq);
		break;
	case DMR_TYPE_COMPLETIONS:
		FUZZ_ASSERT(rec->nr_sectors >= 1 && rec->nr_sectors <= DMR_COMP_PER_ENTRY);
		FUZZ_ASSERT(rec->data_sectors == dmr_comp_data_sectors(rec->nr_sectors));
		FUZZ_ASSERT(!rec->flags && !rec->comp_seq && !name_len);
		break;
	}
	/* a valid header of a known type is exactly what the encoder writes */
	dmr_entry_encode(&out, rec, le64_to_cpu(in->log_id));
	FUZZ_ASSERT(!memcmp(&out, in, sizeof(out)));
}

/* The documented completion order, built without dmr_comp_fill(). */
static void check_order(struct walk *w)
{
	u64 n = w->nr_completed + w->nr_recs, g, next = 0, known, i;
	struct dmr_crec *order, *model;
	u8 *taken;
	bool clash = false;

	if (n > MAX_RECS)
		return;
	order = calloc(n + 1, sizeof(*order));
	model = calloc(n + 1, sizeof(*model));
	taken = calloc(n + 1, 1);
	for (i = 0; i < w->nr_completed; i++) {
		u64 s = w->comp_seq[i];
		bool was = s < n && taken[s];

		if (!dmr_comp_place(order, taken, n, s, &w->comp_rec[i])) {
			FUZZ_ASSERT(was);	/* refused only for a place taken twice */
			clash = true;
		} else {
			FUZZ_ASSERT(!was && (s >= n || taken[s]));
		}
	}
	known = dmr_comp_fill(order, taken, n, w->recs, w->nr_recs);
	FUZZ_ASSERT(known <= n);
	for (g = 0; g < n; g++) {
		if (taken[g]) {
			model[g] = order[g];
			continue;
		}
		if (next == w->nr_recs)
			break;
		model[g] = w->recs[next++];
	}
	FUZZ_ASSERT(known == g);
	for (g = 0; g < known; g++)
		FUZZ_ASSERT(dmr_comp_match(&order[g], &model[g]) &&
			    order[g].flags == model[g].flags);
	(void)clash;
	free(order);
	free(model);
	free(taken);
}

/*
 * The device check dmreplay applies before it writes anything: an entry it
 * passes lies on the recorded device, in whole logical blocks, and one it
 * refuses does not.
 */
static void check_dev(const struct dmr_rec *rec, const struct dmr_sb *sb)
{
	u64 bs = sb->data_block_size / 512, end;
	enum dmr_err e = dmr_entry_check_dev(rec, sb);
	bool fits;

	if (rec->type != DMR_TYPE_IO || !rec->nr_sectors) {
		FUZZ_ASSERT(e == DMR_OK);
		return;
	}
	fits = !__builtin_add_overflow(rec->sector, rec->nr_sectors, &end) &&
	       end <= sb->dev_sectors;
	if (!fits)
		FUZZ_ASSERT(e == DMR_E_RANGE);
	else if (rec->sector % bs || rec->nr_sectors % bs)
		FUZZ_ASSERT(e == DMR_E_ALIGN);
	else
		FUZZ_ASSERT(e == DMR_OK);
}

static void walk_log(const u8 *img, size_t size)
{
	static struct walk walk;
	struct walk *w = &walk;
	u64 bs, off, i;

	memset(&w->sb, 0, sizeof(w->sb));
	w->nr = w->nr_completed = w->nr_recs = 0;
	if (size >= sizeof(struct dmr_super))
		check_super(img, size, w);
	bs = w->sb.block_size;
	if (!bs)
		return;
	for (i = 0, off = bs; i < MAX_ENTRIES && off + sizeof(struct dmr_entry) <= size; i++) {
		struct dmr_entry *in = malloc(sizeof(*in));
		struct dmr_rec rec;
		enum dmr_err e;
		u64 len, data_off = off + bs;

		memcpy(in, img + off, sizeof(*in));
		memset(&rec, 0xa5, sizeof(rec));
		e = dmr_entry_decode(in, w->sb.log_id, i, &rec);
		if (e != DMR_OK) {
			FUZZ_ASSERT(e > DMR_OK && e <= DMR_E_FIELD && e != DMR_E_VERSION);
			free(in);
			break;		/* where the log ends, or damage */
		}
		FUZZ_ASSERT(rec.seq == i);
		check_entry(in, &rec);
		check_dev(&rec, &w->sb);
		free(in);
		len = dmr_entry_log_sectors(bs, rec.data_sectors) * 512;
		FUZZ_ASSERT(len >= bs + (u64)rec.data_sectors * 512 && len % bs == 0);
		if (data_off > size || (u64)rec.data_sectors * 512 > size - data_off)
			break;		/* data cut off: damage */
		if (rec.data_sectors) {
			u8 *data = malloc((size_t)rec.data_sectors * 512);

			memcpy(data, img + data_off, (size_t)rec.data_sectors * 512);
			if (dmr_crc32c(data, (size_t)rec.data_sectors * 512) != rec.data_crc) {
				free(data);
				break;	/* torn or corrupt data: damage */
			}
			if (rec.type == DMR_TYPE_COMPLETIONS)
				check_records(data, &rec, w);
			free(data);
		}
		if (rec.type == DMR_TYPE_IO && rec.flags & DMR_F_COMPLETED) {
			w->comp_seq[w->nr_completed] = rec.comp_seq;
			dmr_entry_crec(&rec, &w->comp_rec[w->nr_completed]);
			FUZZ_ASSERT(w->comp_rec[w->nr_completed].op != DMR_OP_READ);
			w->nr_completed++;
		}
		w->nr++;
		off += len;
	}
	check_order(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *img;

	walk_log(data, size);
	img = malloc(size + 1);
	memcpy(img, data, size);
	fix_crcs(img, size);
	walk_log(img, size);
	free(img);
	return 0;
}
