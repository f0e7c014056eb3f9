// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: the log reader. Opens a log, reads it entry by entry with
 * every header and data checksum checked and every field checked against
 * the recorded device, says where and why it ends (the end, a torn tail
 * after the last commit, or damage), and loads the headers of a log for
 * the verbs that need random access.
 *
 * Every verb first walks the whole log (log_scan()) and only then acts on
 * the entries before the stop point it was given (log_limit_stop()), so
 * nothing is written on the strength of a log that turns out bad later.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "dmreplay.h"

#define BLKSSZGET	_IO(0x12, 104)

int log_open(struct log *lg, const char *path)
{
	struct dmr_super *raw;
	struct stat st;
	enum dmr_err e;
	u64 bytes;
	int r, lbs;

	memset(lg, 0, sizeof(*lg));
	lg->path = path;
	lg->align = 1;
	lg->hdr = aligned_alloc_or_die(DMR_MAX_BLOCK_SIZE);
	memset(lg->hdr, 0, DMR_MAX_BLOCK_SIZE);
	lg->data = aligned_alloc_or_die(CHUNK);
	lg->bounce = aligned_alloc_or_die(CHUNK);
	/* Only a block device needs O_DIRECT to see what is on it. */
	lg->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (lg->fd < 0 || fstat(lg->fd, &st)) {
		err("cannot open log %s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (S_ISBLK(st.st_mode)) {
		close(lg->fd);
		lg->fd = open_direct(path, O_RDONLY);
		if (lg->fd < 0) {
			err("cannot open log %s: %s", path, strerror(errno));
			return EXIT_RUNTIME;
		}
		if ((fcntl(lg->fd, F_GETFL) & O_DIRECT) && !ioctl(lg->fd, BLKSSZGET, &lbs) &&
		    lbs > 0)
			lg->align = lbs;
	}
	r = dev_size(lg->fd, &bytes);
	if (r) {
		err("cannot get the size of %s: %s", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	lg->size_sectors = bytes >> 9;
	if (bytes < DMR_MIN_BLOCK_SIZE) {
		err("%s: too small to hold a dm-replay log (%" PRIu64 " bytes)", path, bytes);
		return EXIT_DAMAGED;
	}
	r = log_read(lg, lg->hdr, bytes < DMR_MAX_BLOCK_SIZE ? DMR_MIN_BLOCK_SIZE :
		     DMR_MAX_BLOCK_SIZE, 0);
	if (r) {
		err("cannot read the superblock of %s: %s", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	if (lw_is_super(lg->hdr, DMR_MIN_BLOCK_SIZE))
		return lw_log_open(lg);
	raw = (struct dmr_super *)lg->hdr;
	e = dmr_super_decode(raw, &lg->sb);
	if (e == DMR_E_MAGIC) {
		err("%s: not a dm-replay log nor a dm-log-writes one (no superblock)", path);
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
	/* Byte offsets on the device must not overflow. */
	if (lg->sb.dev_sectors > U64_MAX >> 10 || lg->sb.log_sectors > U64_MAX >> 10) {
		err("%s: damaged superblock: device of %" PRIu64 " sectors, log of %" PRIu64
		    " sectors", path, lg->sb.dev_sectors, lg->sb.log_sectors);
		return EXIT_DAMAGED;
	}
	lg->end_sectors = lg->sb.log_sectors < lg->size_sectors ? lg->sb.log_sectors :
			  lg->size_sectors;
	log_rewind(lg);
	return 0;
}

/* Back to entry 0. */
void log_rewind(struct log *lg)
{
	lg->index = 0;
	lg->pos = lg->sb.block_size >> 9;
	lg->nr_own = 0;
	lg->nr_recs = 0;
	lg->last_comp = 0;
}

void log_close(struct log *lg)
{
	if (lg->fd >= 0)
		close(lg->fd);
	lg->fd = -1;
	free(lg->hdr);
	free(lg->data);
	free(lg->bounce);
	lg->hdr = lg->data = lg->bounce = NULL;
}

/*
 * Read @len bytes at byte @off into the aligned @buf. A block device read
 * with O_DIRECT wants offset and length aligned to its logical blocks: an
 * unaligned read goes through the bounce buffer, a piece at a time.
 */
int log_read(struct log *lg, void *buf, size_t len, u64 off)
{
	u64 a = lg->align;

	if (!(off % a) && !(len % a))
		return pread_full(lg->fd, buf, len, off);
	while (len) {
		u64 start = off / a * a, skip = off - start;
		size_t n = CHUNK - skip < len ? CHUNK - skip : len;
		size_t span = (skip + n + a - 1) / a * a;
		int r;

		if (span > CHUNK) {	/* never with a <= 4096 */
			span = CHUNK;
			n = span - skip;
		}
		r = pread_full(lg->fd, lg->bounce, span, start);
		if (r)
			return r;
		memcpy(buf, lg->bounce + skip, n);
		buf = (u8 *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
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

/* An entry after the last superblock commit that the crash cut short. */
static enum next_result torn(struct log *lg, const char *what)
{
	snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": torn tail after the last "
		 "commit (%" PRIu64 " entries committed): %s", lg->index, lg->sb.nr_entries,
		 what);
	return NEXT_TORN;
}

/* The data checksum of the entry at the current position, read in pieces. */
static int data_crc(struct log *lg, const struct dmr_rec *rec, u32 *crc)
{
	u64 off = (lg->pos + (lg->sb.block_size >> 9)) << 9;
	u64 left = (u64)rec->data_sectors << 9;
	u32 st = DMR_CRC_INIT;
	int r;

	while (left) {
		size_t n = left < CHUNK ? left : CHUNK;

		/* The log holds the data padded to whole blocks. */
		r = log_read(lg, lg->data, (n + lg->sb.block_size - 1) /
			     lg->sb.block_size * lg->sb.block_size, off);
		if (r)
			return r;
		st = dmr_crc32c_update(st, lg->data, n);
		off += n;
		left -= n;
	}
	*crc = ~st;
	return 0;
}

/*
 * The completion sequence number of an entry that is its own record. Log
 * order is not completion order (entries held back by the pending cap are
 * logged later), and entries lost in a torn tail leave gaps, so the only
 * bound is the log's size: every completion takes a log block of its own,
 * or a place in a completion entry (256 a block or more), or one of the
 * fewer than 256 places of the partial entry a crash loses. Duplicates are
 * found by completions, which orders them.
 */
static enum next_result check_comp_seq(struct log *lg, const struct dmr_rec *rec)
{
	u64 max = (lg->sb.log_sectors / (lg->sb.block_size >> 9) + 1) * DMR_COMP_PER_ENTRY;

	if (rec->comp_seq >= max)
		return damaged(lg, "completion sequence number %" PRIu64 " is beyond the log "
			       "(a log of %" PRIu64 " sectors holds fewer than %" PRIu64
			       " completions)", rec->comp_seq, lg->sb.log_sectors, max);
	lg->nr_own++;
	return NEXT_ENTRY;
}

/* The records of a completion entry, read into lg->data. */
static enum next_result check_comp_recs(struct log *lg, const struct dmr_rec *rec)
{
	const struct dmr_comp *raw = (const struct dmr_comp *)lg->data;
	struct dmr_crec c;
	u32 i;

	if (rec->sector != lg->nr_recs)
		return damaged(lg, "completion records start at %" PRIu64 ", expected %" PRIu64,
			       rec->sector, lg->nr_recs);
	for (i = 0; i < rec->nr_sectors; i++) {
		if (dmr_comp_decode(&raw[i], &c))
			return damaged(lg, "invalid completion record %" PRIu64, lg->nr_recs + i);
		if (!dmr_range_fits(c.sector, c.nr_sectors, lg->sb.dev_sectors))
			return damaged(lg, "completion record %" PRIu64 " (%s of %u sectors at %"
				       PRIu64 ") is beyond the recorded device (%" PRIu64
				       " sectors)", lg->nr_recs + i, dmr_comp_op_str(c.op),
				       c.nr_sectors, c.sector, lg->sb.dev_sectors);
	}
	lg->nr_recs += rec->nr_sectors;
	return NEXT_ENTRY;
}

/* Why the header at the current position is not entry lg->index. */
static enum next_result bad_header(struct log *lg, enum dmr_err e, const struct dmr_rec *rec,
				   bool committed)
{
	const struct dmr_entry *raw = (const struct dmr_entry *)lg->hdr;

	if (!committed) {
		/* After the count, the first block not of this recording ends the log. */
		if (e == DMR_E_MAGIC || e == DMR_E_LOG_ID)
			return NEXT_END;
		if (e == DMR_E_CRC) {
			if (le64_to_cpu(raw->log_id) != lg->sb.log_id)
				return NEXT_END;
			return torn(lg, "header checksum mismatch");
		}
	}
	if (e == DMR_E_SEQ)
		return damaged(lg, "bad header at log sector %" PRIu64 ": sequence number %"
			       PRIu64 ", expected %" PRIu64, lg->pos, rec->seq, lg->index);
	return damaged(lg, "bad header at log sector %" PRIu64 ": %s", lg->pos, dmr_err_str(e));
}

/*
 * Read and check the next entry. With @want_data false its data is
 * neither read nor checked (for a walk over entries log_scan() checked).
 * Entries up to the superblock's count must all be there; after it, the
 * first block that is not a header of this recording ends the log, and an
 * entry the crash cut short is a torn tail.
 */
enum next_result log_next(struct log *lg, struct dmr_rec *rec, bool want_data)
{
	u32 bs = lg->sb.block_size, bss = bs >> 9, crc;
	bool committed = lg->index < lg->sb.nr_entries;
	enum next_result res;
	enum dmr_err e;
	u64 sectors;
	int r;

	if (lg->lw)
		return lw_log_next(lg, rec);
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
	r = log_read(lg, lg->hdr, bs, lg->pos << 9);
	if (r) {
		snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64 ": read error at sector %"
			 PRIu64 ": %s", lg->index, lg->pos, strerror(-r));
		return NEXT_IO_ERROR;
	}
	e = dmr_entry_decode((struct dmr_entry *)lg->hdr, lg->sb.log_id, lg->index, rec);
	if (e)
		return bad_header(lg, e, rec, committed);
	e = dmr_entry_check_dev(rec, &lg->sb);
	if (e == DMR_E_RANGE)
		return damaged(lg, "%" PRIu64 " sectors at sector %" PRIu64 " are beyond the "
			       "recorded device (%" PRIu64 " sectors)", rec->nr_sectors, rec->sector,
			       lg->sb.dev_sectors);
	if (e)
		return damaged(lg, "%" PRIu64 " sectors at sector %" PRIu64 " are not aligned to "
			       "the recorded device's %u-byte blocks", rec->nr_sectors, rec->sector,
			       lg->sb.data_block_size);
	sectors = dmr_entry_log_sectors(bs, rec->data_sectors);
	if (lg->pos + sectors > lg->end_sectors) {
		if (lg->pos + sectors > lg->size_sectors) {
			if (!committed)
				return torn(lg, "the log ends inside its data");
			return damaged(lg, "log truncated inside the entry's data (sector %"
				       PRIu64 ")", lg->size_sectors);
		}
		if (!committed)
			return torn(lg, "its data runs past the end of the log");
		return damaged(lg, "data runs past the end of the log");
	}
	if (want_data && rec->data_sectors) {
		r = data_crc(lg, rec, &crc);
		if (r) {
			snprintf(lg->why, sizeof(lg->why), "entry %" PRIu64
				 ": read error in its data: %s", lg->index, strerror(-r));
			return NEXT_IO_ERROR;
		}
		if (crc != rec->data_crc) {
			if (!committed)
				return torn(lg, "data checksum mismatch");
			return damaged(lg, "data checksum mismatch (torn or corrupt entry, "
				       "data at log sector %" PRIu64 ")", lg->pos + bss);
		}
	}
	if (rec->type == DMR_TYPE_IO && (rec->flags & DMR_F_COMPLETED)) {
		res = check_comp_seq(lg, rec);
		if (res != NEXT_ENTRY)
			return res;
	}
	if (rec->type == DMR_TYPE_COMPLETIONS) {
		if (want_data) {
			res = check_comp_recs(lg, rec);
			if (res != NEXT_ENTRY)
				return res;
		} else {
			lg->nr_recs += rec->nr_sectors;
		}
	}
	lg->pos += sectors;
	lg->index++;
	return NEXT_ENTRY;
}

/* A flush point of --to-last-flush: a flush or a FUA write. */
bool is_flush_point(const struct dmr_rec *rec)
{
	return rec->type == DMR_TYPE_IO && (rec->flags & (DMR_F_FLUSH | DMR_F_FUA));
}

/*
 * Walk the whole log once and check all of it: how many entries are
 * intact, why the walk ended, where the last flush point is. Then back to
 * entry 0. Returns EXIT_RUNTIME on a read error, else 0.
 */
int log_scan(struct log *lg)
{
	struct dmr_rec rec;
	enum next_result res;

	log_rewind(lg);
	while ((res = log_next(lg, &rec, true)) == NEXT_ENTRY)
		if (is_flush_point(&rec))
			lg->last_flush_end = lg->index;
	lg->nr_intact = lg->index;
	lg->end = res;
	if (lg->lw)
		lw_log_scanned(lg);
	log_rewind(lg);
	if (res == NEXT_IO_ERROR) {
		err("%s: %s", lg->path, lg->why);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* Option 't' (--to-entry) or 'L' (--to-last-flush) into @l. */
int limit_opt(struct log_limit *l, int c, const char *arg)
{
	if (c == 't') {
		if (parse_u64(arg, &l->to_entry))
			return usage_error("--to-entry: not a number: '%s'", arg);
		l->has_to_entry = true;
	} else {
		l->to_last_flush = true;
	}
	if (l->has_to_entry && l->to_last_flush)
		return usage_error("--to-entry and --to-last-flush exclude each other");
	return 0;
}

/*
 * After log_scan(): whether a walk that stops before entry @stop may go
 * on. A problem at or after @stop is left out when the stop was @asked
 * for (it is reported as a note); else it fails the walk.
 */
int log_check_stop(struct log *lg, u64 stop, bool asked)
{
	if (lg->end == NEXT_END)
		return 0;
	if (asked && stop <= lg->nr_intact) {
		err("%s: %s; stopped before it", lg->path, lg->why);
		return 0;
	}
	return report_end(lg, lg->end);
}

/*
 * After log_scan(): the entries a verb walks, [0, *stop), as @l asks.
 * Without a limit the walk is the intact entries, and a torn tail or
 * damage after them is the verb's failure (see log_check_stop()).
 */
int log_limit_stop(struct log *lg, const struct log_limit *l, u64 *stop)
{
	if (l->has_to_entry) {
		if (l->to_entry >= lg->nr_intact) {
			if (lg->end != NEXT_END)
				err("%s: %s", lg->path, lg->why);
			err("entry %" PRIu64 " is not in the log (%" PRIu64 " intact entries)",
			    l->to_entry, lg->nr_intact);
			return EXIT_RUNTIME;
		}
		*stop = l->to_entry + 1;
	} else if (l->to_last_flush) {
		*stop = lg->last_flush_end;
	} else {
		*stop = lg->nr_intact;
	}
	return 0;
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
	if (res == NEXT_TORN) {
		err("%s: %s", lg->path, lg->why);
		if (lg->last_flush_end)
			err("entries before %" PRIu64 " are intact; stop before the tail with "
			    "--to-last-flush (entry %" PRIu64 ") or --to-entry %" PRIu64,
			    lg->nr_intact, lg->last_flush_end - 1, lg->nr_intact - 1);
		else if (lg->nr_intact)
			err("entries before %" PRIu64 " are intact, none of them a flush; stop "
			    "before the tail with --to-entry %" PRIu64, lg->nr_intact,
			    lg->nr_intact - 1);
		else
			err("no entry before it is intact");
		return EXIT_DAMAGED;
	}
	if (res == NEXT_DAMAGED) {
		err("%s: damaged log: %s", lg->path, lg->why);
		if (lg->nr_intact)
			err("entries before %" PRIu64 " are intact; replay no further than "
			    "--to-entry %" PRIu64, lg->nr_intact, lg->nr_intact - 1);
		else
			err("no entry before it is intact");
		return EXIT_DAMAGED;
	}
	if (res == NEXT_IO_ERROR) {
		err("%s: %s", lg->path, lg->why);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The headers of entries [0, @stop) of a scanned log. */
int load_entries(struct log *lg, struct entries *es, u64 stop)
{
	enum next_result res;

	memset(es, 0, sizeof(*es));
	es->rec = calloc(stop ? stop : 1, sizeof(*es->rec));
	es->pos = calloc(stop ? stop : 1, sizeof(*es->pos));
	if (!es->rec || !es->pos) {
		free_entries(es);
		err("out of memory for %" PRIu64 " entries", stop);
		return EXIT_RUNTIME;
	}
	log_rewind(lg);
	while (es->nr < stop) {
		es->pos[es->nr] = lg->pos;
		res = log_next(lg, &es->rec[es->nr], false);
		if (res != NEXT_ENTRY) {
			free_entries(es);
			err("%s: the log changed while it was read", lg->path);
			return EXIT_RUNTIME;
		}
		es->nr++;
	}
	return 0;
}

void free_entries(struct entries *es)
{
	free(es->rec);
	free(es->pos);
	es->rec = NULL;
	es->pos = NULL;
}
