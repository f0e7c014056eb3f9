// SPDX-License-Identifier: GPL-2.0
/*
 * dmtk-replay-log: the walk over the log, as fstests' replay-log does it
 * (start at an entry or after a mark, find an entry, print the count or
 * the summary, replay with checks), on dmreplay's reader: the whole log is
 * checked before anything is written, every range against the target.
 *
 * Units as replay-log prints them: log positions ("N@pos") in log blocks
 * (dm-log-writes' sectorsize), entry sectors in the data device's blocks,
 * replayed sizes in bytes. The position of a found entry is where the
 * next one starts; the position of a replayed one is where its data starts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dmtk-replay-log.h"

#define RL_MAX_ZERO	(128ULL << 20)	/* replay-log's max_zero_size */
#define RL_F_ZEROES	0x20U		/* a dm-replay write_zeroes entry */

struct rl {
	const struct rl_opts *o;
	struct log lg;
	struct entries es;
	u32 bss, dss;		/* log block and data block, in 512-byte sectors */
	bool discard_unsupported;
};

/* The entry's flags in dm-log-writes' bits. */
static u64 rl_flags(const struct dmr_rec *rec)
{
	u64 f = 0;

	if (rec->type == DMR_TYPE_MARK)
		return LW_F_MARK;
	if (rec->type != DMR_TYPE_IO)
		return 0;
	if (rec->flags & DMR_F_FLUSH)
		f |= LW_F_FLUSH;
	if (rec->flags & DMR_F_FUA)
		f |= LW_F_FUA;
	if (rec->flags & DMR_F_DISCARD)
		f |= LW_F_DISCARD;
	if (rec->flags & DMR_F_META)
		f |= LW_F_METADATA;
	if (rec->flags & DMR_F_ZEROES)
		f |= RL_F_ZEROES;
	return f;
}

/* replay-log's entry_flags_to_str(). */
static const char *rl_flags_str(u64 f, char *buf, size_t len)
{
	static const char * const names[] = { "FLUSH", "FUA", "DISCARD", "MARK", "METADATA",
					      "ZEROES" };
	size_t n = 0, i;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (f & (1ULL << i))
			n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i]);
	if (!n)
		snprintf(buf, len, "NONE");
	return buf;
}

/* replay-log's should_stop(): a mark stop wants the mark's name too. */
static bool rl_should_stop(const struct dmr_rec *rec, u64 stop_flags, const char *mark)
{
	u64 f = rl_flags(rec);

	if (!(f & stop_flags))
		return false;
	if (!(stop_flags & LW_F_MARK))
		return true;
	return (f & LW_F_MARK) && mark && !strcmp(mark, rec->name);
}

/* Log blocks: where entry @i's header starts, and where its data ends. */
static u64 rl_hdr_pos(const struct rl *r, u64 i)
{
	return r->es.pos[i] / r->bss;
}

static u64 rl_end_pos(const struct rl *r, u64 i)
{
	return (r->es.pos[i] + dmr_entry_log_sectors(r->lg.sb.block_size,
						     r->es.rec[i].data_sectors)) / r->bss;
}

/* -vv lines of replay-log's seeks: log_seek_entry() and log_seek_next_entry(). */
static void rl_seek_line(const struct rl *r, u64 i, bool next)
{
	const struct dmr_rec *rec = &r->es.rec[i];
	char fs[128];

	if (r->o->verbose < 2)
		return;
	if (next)
		printf("seek entry %d@%" PRIu64 ": %" PRIu64 ", size %" PRIu64 ", flags 0x%" PRIx64
		       "(%s)\n", (int)i, rl_hdr_pos(r, i) + 1, rec->sector / r->dss,
		       rec->nr_sectors / r->dss, rl_flags(rec),
		       rl_flags_str(rl_flags(rec), fs, sizeof(fs)));
	else
		printf("seek entry %d@%" PRIu64 ": %" PRIu64 ", size %" PRIu64 ", flags 0x%" PRIx64
		       "\n", (int)i, rl_hdr_pos(r, i), rec->sector / r->dss,
		       rec->nr_sectors / r->dss, rl_flags(rec));
}

/* The first entry to act on: after --start-mark, or --start-entry. */
static int rl_start(struct rl *r, u64 *start)
{
	const struct rl_opts *o = r->o;
	u64 i;

	if (o->start_mark) {
		for (i = 0; i < r->es.nr; i++) {
			rl_seek_line(r, i, true);
			if (rl_should_stop(&r->es.rec[i], LW_F_MARK, o->start_mark)) {
				*start = i + 1;
				return 0;
			}
		}
		fprintf(stderr, "Couldn't find starting mark\n");
		return 1;
	}
	if (o->start_entry >= r->es.nr) {
		fprintf(stderr, "Invalid entry number\n");
		return 1;
	}
	for (i = 0; i < o->start_entry; i++)
		rl_seek_line(r, i, false);
	*start = o->start_entry;
	return 0;
}

static int rl_find(struct rl *r, u64 start)
{
	const struct rl_opts *o = r->o;
	u64 i, n = 0;

	for (i = start; i < r->es.nr; i++) {
		rl_seek_line(r, i, true);
		n++;
		if ((o->limit && n == o->limit) ||
		    rl_should_stop(&r->es.rec[i], o->stop_flags, o->end_mark)) {
			printf("%" PRIu64 "@%" PRIu64 "\n", i, rl_end_pos(r, i));
			return 0;
		}
	}
	fprintf(stderr, "Couldn't find entry\n");
	return 1;
}

/* A discard: discarded where the target can, else zeroed up to 128 MiB. */
static int rl_discard(struct rl *r, struct target *t, const struct dmr_rec *rec)
{
	u64 off = rec->sector << 9, len = rec->nr_sectors << 9;
	u64 range[2] = { off, len };

	if (r->o->no_discard)
		return 0;
	if (!r->discard_unsupported && t->is_blk && !ioctl(t->fd, BLKDISCARD, range))
		return 0;
	if (!r->discard_unsupported && r->o->verbose)
		printf("replay device doesn't support discard, switching to writing zeros\n");
	r->discard_unsupported = true;
	if (len > RL_MAX_ZERO) {
		if (r->o->verbose)
			printf("discard len %" PRIu64 " larger than max %llu\n", len, RL_MAX_ZERO);
		return 0;
	}
	return target_zero(t, off, len, false);
}

/* Whether --start-sector/--end-sector leave the entry out (log-writes units). */
static bool rl_skip(const struct rl *r, const struct dmr_rec *rec)
{
	u64 sector = rec->sector / r->dss, nr = rec->nr_sectors / r->dss;

	return nr && (sector + nr <= r->o->start_sector || sector > r->o->end_sector);
}

static bool rl_check_due(const struct rl *r, const struct dmr_rec *rec, u64 n)
{
	switch (r->o->check) {
	case RL_CHECK_NUMBER:
		return !(n % r->o->check_number);
	case RL_CHECK_FUA:
		return rl_flags(rec) & LW_F_FUA;
	case RL_CHECK_FLUSH:
		return rl_flags(rec) & LW_F_FLUSH;
	case RL_CHECK_DISCARD:
		return rl_flags(rec) & LW_F_DISCARD;
	default:
		return false;
	}
}

static int rl_replay(struct rl *r, u64 start)
{
	static const char *const no_vars[] = { NULL };
	const struct rl_opts *o = r->o;
	const struct dmr_rec *rec;
	struct target t;
	u64 i, n = 0;
	char fs[128];
	int ret = 0;
	bool skip;

	if (target_open(&t, o->replay, &r->lg, false))
		return 1;
	for (i = start; i < r->es.nr; i++) {
		rec = &r->es.rec[i];
		n++;
		skip = rl_skip(r, rec);
		if (o->verbose > 1 || (o->verbose && !skip))
			printf("%s %d@%" PRIu64 ": sector %" PRIu64 ", size %" PRIu64 ", flags 0x%"
			       PRIx64 "(%s)\n", skip ? "skipping" : "replaying", (int)i,
			       rl_hdr_pos(r, i) + 1, rec->sector / r->dss, rec->nr_sectors << 9,
			       rl_flags(rec), rl_flags_str(rl_flags(rec), fs, sizeof(fs)));
		if (rec->type != DMR_TYPE_IO || !rec->nr_sectors)
			ret = 0;
		else if (rec->flags & DMR_F_DISCARD)
			ret = rl_discard(r, &t, rec);
		else if (skip)
			ret = 0;
		else
			ret = apply_entry(&t, &r->lg, DISCARD_SKIP, rec, r->es.pos[i]);
		if (ret) {
			err("entry %" PRIu64 ": writing %s failed: %s", i, o->replay, strerror(-ret));
			break;
		}
		if (o->fsck && rl_check_due(r, rec, n)) {
			ret = run_cmd(o->fsck, &t, o->log, no_vars);
			if (ret) {
				fprintf(stderr, "Fsck errored out on entry %" PRIu64 "\n", i);
				break;
			}
		}
		if ((o->limit && n == o->limit) || rl_should_stop(rec, o->stop_flags, o->end_mark))
			break;
	}
	if (fdatasync(t.fd) && !ret) {
		err("syncing %s failed: %s", o->replay, strerror(errno));
		ret = -errno;
	}
	target_close(&t);
	return ret ? 1 : 0;
}

int rl_run(const struct rl_opts *o)
{
	struct rl r = { .o = o };
	u64 start;
	int ret = 1;

	if (log_open(&r.lg, o->log))
		goto out;
	/* The whole log first: a damaged one is refused before any write. */
	if (log_scan(&r.lg) || report_end(&r.lg, r.lg.end))
		goto out;
	r.bss = r.lg.sb.block_size >> 9;
	r.dss = r.lg.sb.data_block_size >> 9;
	if (load_entries(&r.lg, &r.es, r.lg.nr_intact))
		goto out;
	if (rl_start(&r, &start))
		goto out_entries;
	if (!o->fsck != !o->check) {
		free_entries(&r.es);
		log_close(&r.lg);
		rl_usage();
	}
	if (o->find)
		ret = rl_find(&r, start);
	else if (o->num_entries)
		ret = printf("%" PRIu64 "\n", r.lg.sb.nr_entries) < 0;
	else if (!o->replay)
		ret = printf("Log version=1, sectorsize=%u, entries=%" PRIu64 "\n",
			     r.lg.sb.block_size, r.lg.sb.nr_entries) < 0;
	else
		ret = rl_replay(&r, start);
out_entries:
	free_entries(&r.es);
out:
	log_close(&r.lg);
	fflush(stdout);
	return ret;
}
