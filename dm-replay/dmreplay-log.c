// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: the log reader. Opens a log, reads it entry by entry with
 * every header and data checksum checked, says where and why it ends, and
 * loads the headers of a whole log for the verbs that need random access.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmreplay.h"

int log_open(struct log *lg, const char *path)
{
	struct dmr_super *raw;
	enum dmr_err e;
	u64 bytes;
	int r;

	memset(lg, 0, sizeof(*lg));
	lg->path = path;
	lg->fd = open_direct(path, O_RDONLY);
	if (lg->fd < 0) {
		err("cannot open log %s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	r = dev_size(lg->fd, &bytes);
	if (r) {
		err("cannot get the size of %s: %s", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	lg->size_sectors = bytes >> 9;
	lg->hdr = aligned_alloc_or_die(DMR_MAX_BLOCK_SIZE);
	memset(lg->hdr, 0, DMR_MAX_BLOCK_SIZE);
	if (bytes < DMR_MIN_BLOCK_SIZE) {
		err("%s: too small to hold a dm-replay log (%" PRIu64 " bytes)", path, bytes);
		return EXIT_DAMAGED;
	}
	r = pread_full(lg->fd, lg->hdr, bytes < DMR_MAX_BLOCK_SIZE ? DMR_MIN_BLOCK_SIZE :
		       DMR_MAX_BLOCK_SIZE, 0);
	if (r) {
		err("cannot read the superblock of %s: %s", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	raw = (struct dmr_super *)lg->hdr;
	e = dmr_super_decode(raw, &lg->sb);
	if (e == DMR_E_MAGIC) {
		err("%s: not a dm-replay log (no superblock)", path);
		return EXIT_DAMAGED;
	}
	if (e == DMR_E_VERSION) {
		err("%s: log version %u is not supported (this tool reads version %d)",
		    path, le32_to_cpu(raw->version), DMR_VERSION);
		return EXIT_DAMAGED;
	}
	if (e) {
		err("%s: damaged superblock: %s", path, dmr_err_str(e));
		return EXIT_DAMAGED;
	}
	lg->end_sectors = lg->sb.log_sectors < lg->size_sectors ? lg->sb.log_sectors :
			  lg->size_sectors;
	lg->pos = lg->sb.block_size >> 9;
	return 0;
}

void log_close(struct log *lg)
{
	if (lg->fd >= 0)
		close(lg->fd);
	free(lg->hdr);
	free(lg->data);
}

static enum next_result damaged(struct log *lg, const char *fmt, ...)
{
	int n = snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": ", lg->index);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lg->why + n, sizeof(lg->why) - n, fmt, ap);
	va_end(ap);
	return NEXT_DAMAGED;
}

/*
 * Read the next entry. With @want_data false the data is neither read nor
 * checked. Entries up to the superblock's count must all be there; after
 * it, the first block that is not a header of this recording ends the log.
 */
enum next_result log_next(struct log *lg, struct dmr_rec *rec, bool want_data)
{
	u32 bs = lg->sb.block_size, bss = bs >> 9;
	bool committed = lg->index < lg->sb.nr_entries;
	u64 sectors;
	size_t len;
	enum dmr_err e;
	int r;

	if (lg->pos + bss > lg->end_sectors) {
		if (!committed)
			return NEXT_END;
		if (lg->pos + bss > lg->size_sectors)
			return damaged(lg, "log truncated: it ends at sector %" PRIu64
				       " but the superblock counts %" PRIu64 " entries",
				       lg->size_sectors, lg->sb.nr_entries);
		return damaged(lg, "missing: the log is full but the superblock counts %"
			       PRIu64 " entries", lg->sb.nr_entries);
	}
	r = pread_full(lg->fd, lg->hdr, bs, lg->pos << 9);
	if (r) {
		snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": read error at sector %"
			 PRIu64 ": %s", lg->index, lg->pos, strerror(-r));
		return NEXT_IO_ERROR;
	}
	e = dmr_entry_decode((struct dmr_entry *)lg->hdr, lg->sb.log_id, lg->index, rec);
	if (e) {
		if (!committed)
			return NEXT_END;
		return damaged(lg, "bad header at log sector %" PRIu64 ": %s", lg->pos,
			       dmr_err_str(e));
	}
	sectors = dmr_entry_log_sectors(bs, rec->data_sectors);
	if (lg->pos + sectors > lg->end_sectors) {
		if (lg->pos + sectors > lg->size_sectors)
			return damaged(lg, "log truncated inside the entry's data (sector %"
				       PRIu64 ")", lg->size_sectors);
		return damaged(lg, "data runs past the end of the log");
	}
	if (want_data && rec->data_sectors) {
		len = (size_t)(sectors - bss) << 9;
		if (len > lg->data_cap) {
			free(lg->data);
			lg->data = aligned_alloc_or_die(len);
			lg->data_cap = len;
		}
		r = pread_full(lg->fd, lg->data, len, (lg->pos + bss) << 9);
		if (r) {
			snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64
				 ": read error in its data: %s", lg->index, strerror(-r));
			return NEXT_IO_ERROR;
		}
		if (dmr_crc32c(lg->data, (size_t)rec->data_sectors << 9) != rec->data_crc)
			return damaged(lg, "data checksum mismatch (torn or corrupt entry, "
				       "data at log sector %" PRIu64 ")", lg->pos + bss);
	}
	lg->pos += sectors;
	lg->index++;
	return NEXT_ENTRY;
}

const char *flags_str(const struct dmr_rec *rec, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
#define ADD(name) (n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", name))
	if (rec->type == DMR_TYPE_MARK) {
		ADD("mark");
		return buf;
	}
	if (rec->type == DMR_TYPE_COMPLETIONS) {
		ADD("completions");
		return buf;
	}
	if (rec->type != DMR_TYPE_IO) {
		snprintf(buf, len, "info:0x%04x", rec->type);
		return buf;
	}
	if (rec->flags & DMR_F_FLUSH)
		ADD("flush");
	if (rec->flags & DMR_F_DISCARD)
		ADD("discard");
	else if (rec->flags & DMR_F_ZEROES)
		ADD("zeroes");
	else if (rec->nr_sectors)
		ADD("write");
	if (rec->flags & DMR_F_FUA)
		ADD("fua");
	if (rec->flags & DMR_F_META)
		ADD("meta");
#undef ADD
	return buf;
}

const char *state_str(u32 state)
{
	static const char * const names[] = { "logging", "full", "failed" };

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

int report_end(struct log *lg, enum next_result res)
{
	if (res == NEXT_DAMAGED) {
		err("%s: damaged log: %s", lg->path, lg->why);
		err("entries before %" PRIu64 " are intact; replay no further than "
		    "--to-entry %" PRId64, lg->index, (int64_t)lg->index - 1);
		return EXIT_DAMAGED;
	}
	if (res == NEXT_IO_ERROR) {
		err("%s: %s", lg->path, lg->why);
		return EXIT_RUNTIME;
	}
	return 0;
}

int load_entries(struct log *lg, struct entries *es)
{
	enum next_result res;
	struct dmr_rec rec;
	u64 cap = 0, pos;

	memset(es, 0, sizeof(*es));
	for (;;) {
		pos = lg->pos;
		res = log_next(lg, &rec, true);
		if (res != NEXT_ENTRY)
			break;
		if (es->nr == cap) {
			cap = cap ? cap * 2 : 256;
			es->rec = realloc(es->rec, cap * sizeof(*es->rec));
			es->pos = realloc(es->pos, cap * sizeof(*es->pos));
			if (!es->rec || !es->pos) {
				err("out of memory for %" PRIu64 " entries", cap);
				exit(EXIT_RUNTIME);
			}
		}
		es->rec[es->nr] = rec;
		es->pos[es->nr++] = pos;
	}
	return report_end(lg, res);
}

void free_entries(struct entries *es)
{
	free(es->rec);
	free(es->pos);
}

/* Read entry @i's data (checked) into a fresh aligned buffer. */
u8 *entry_data(struct log *lg, const struct entries *es, u64 i)
{
	const struct dmr_rec *rec = &es->rec[i];
	size_t len = (size_t)rec->data_sectors << 9;
	u8 *buf;

	if (!len)
		return NULL;
	buf = aligned_alloc_or_die(len);
	if (pread_full(lg->fd, buf, len, (es->pos[i] + (lg->sb.block_size >> 9)) << 9) ||
	    dmr_crc32c(buf, len) != rec->data_crc) {
		err("%s: entry %" PRIu64 ": cannot read its data again (the log changed?)",
		    lg->path, i);
		exit(EXIT_RUNTIME);
	}
	return buf;
}
