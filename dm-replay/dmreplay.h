/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmreplay: what its files share: exit codes, the log reader
 * (dmreplay-log.c), the target's I/O (dmreplay-target.c, dmreplay-io.c),
 * the options of replay and crash-states, and the verbs (one file each).
 */
#ifndef DMREPLAY_H
#define DMREPLAY_H

#include <stdio.h>

#include "dm-replay-log.h"
#include "dm-log-writes-format.h"

#define EXIT_DAMAGED	1	/* damaged log, or a check failed */
#define EXIT_USAGE	2
#define EXIT_RUNTIME	3	/* I/O error, missing device or mark, refused message */

#define ALIGNMENT	4096

/* From linux/fs.h, whose __le64 clashes with the one of dmtk-compat.h. */
#define BLKFLSBUF	_IO(0x12, 97)
#define BLKGETSIZE64	_IOR(0x12, 114, size_t)
#define BLKDISCARD	_IO(0x12, 119)
#define BLKZEROOUT	_IO(0x12, 127)

#define CHUNK		(1024U * 1024)	/* data is read and written in pieces of this */

/* Why a walk over the log stopped. */
enum next_result {
	NEXT_ENTRY,		/* an entry: go on */
	NEXT_END,		/* the log ends there */
	NEXT_TORN,		/* a torn entry after the last commit: a crash */
	NEXT_DAMAGED,		/* corrupt, truncated or out of range */
	NEXT_IO_ERROR,
};

/* A log being read entry by entry. */
struct log {
	const char *path;
	int fd;
	u32 align;		/* O_DIRECT alignment of its reads, 1 when buffered */
	u64 size_sectors;	/* what the device or file really holds */
	u64 end_sectors;	/* where entries may end: min(size, log_sectors) */
	struct dmr_sb sb;
	bool lw;		/* a dm-log-writes v1 log (dmreplay-lw.c) */
	u64 lw_max_end;		/* lw: the highest sector its entries reach */
	u64 index;		/* of the next entry */
	u64 pos;		/* its header's sector */
	u8 *hdr;		/* one log block */
	u8 *data;		/* a completion entry's records (CHUNK bytes) */
	u8 *bounce;		/* CHUNK bytes for reads the device cannot align */
	/* Completions so far, to check the sequence numbers of entries. */
	u64 nr_own, nr_recs, last_comp;
	/* What log_scan() found: */
	u64 nr_intact;		/* entries before the end or the problem */
	u64 last_flush_end;	/* index after the last flush or FUA entry, 0: none */
	enum next_result end;	/* NEXT_END, or what is wrong at nr_intact */
	char why[256];		/* what is wrong */
};

/* Where a walk over the log stops: --to-entry N or --to-last-flush. */
struct log_limit {
	u64 to_entry;
	bool has_to_entry, to_last_flush;
};

enum check_at { CHECK_FLUSH, CHECK_FUA, CHECK_MARK, CHECK_EVERY };
enum discard_mode { DISCARD_ZERO, DISCARD_DISCARD, DISCARD_SKIP };

/* --from-mark NAME or --from-entry N, of replay and crash-states. */
struct start_point {
	const char *mark;
	u64 entry;
	bool has_entry;
};

struct replay_opts {
	struct start_point from;
	const char *to_mark, *check;
	u64 to_entry;
	bool has_to_entry, to_last_flush, grow, verbose;
	enum check_at check_at;
	enum discard_mode discard;
};

/* The entries of a whole log, headers only; data is read again when needed. */
struct entries {
	struct dmr_rec *rec;
	u64 *pos;		/* header sector */
	u64 nr;
};

/* dmreplay-msg.c: messages and numbers */
extern const char *prog;
void err(const char *fmt, ...);
int usage_error(const char *fmt, ...);
int parse_u64(const char *s, u64 *v);

/* dmreplay.c: usage and options */
void usage(FILE *f);
int start_point_opt(struct start_point *sp, int c, const char *arg);
int walk_args(int argc, char **argv, const char *verb, struct log_limit *lim,
	      const char **path);

/* dmreplay-io.c: aligned buffers and whole reads and writes */
void *aligned_alloc_or_die(size_t size);
int open_direct(const char *path, int flags);
int dev_size(int fd, u64 *bytes);
int pread_full(int fd, void *buf, size_t len, u64 off);
int pwrite_full(int fd, const void *buf, size_t len, u64 off);

/* dmreplay-lw.c: the reader of dm-log-writes v1 logs */
int lw_log_open(struct log *lg);
enum next_result lw_log_next(struct log *lg, struct dmr_rec *rec);
void lw_log_scanned(struct log *lg);
int lw_no_completions(const struct log *lg);

/* dmreplay-log.c: the log reader */
int log_open(struct log *lg, const char *path);
void log_close(struct log *lg);
void log_rewind(struct log *lg);
int log_read(struct log *lg, void *buf, size_t len, u64 off);
enum next_result log_next(struct log *lg, struct dmr_rec *rec, bool want_data);
int log_scan(struct log *lg);
int limit_opt(struct log_limit *l, int c, const char *arg);
int log_limit_stop(struct log *lg, const struct log_limit *l, u64 *stop);
int log_check_stop(struct log *lg, u64 stop, bool asked);
const char *flags_str(const struct dmr_rec *rec, char *buf, size_t len);
const char *state_str(u32 state);
int report_end(struct log *lg, enum next_result res);
int load_entries(struct log *lg, struct entries *es, u64 stop);
void free_entries(struct entries *es);
bool is_flush_point(const struct dmr_rec *rec);

/* dmreplay-target.c: the target, its writes and the checks run on it */
struct target {
	const char *path;
	int fd;
	bool is_file, is_blk;
	u32 lbs;		/* logical block size */
	u8 *buf;		/* CHUNK bytes */
};

int target_open(struct target *t, const char *path, const struct log *lg, bool grow);
void target_close(struct target *t);
int target_zero(struct target *t, u64 off, u64 len, bool punch);
int apply_entry(struct target *t, struct log *lg, enum discard_mode discard,
		const struct dmr_rec *rec, u64 pos);
int run_cmd(const char *cmd, struct target *t, const char *log, const char *const *vars);

/* The verbs */
int cmd_info(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_completions(int argc, char **argv);
int cmd_crash_states(int argc, char **argv);
int cmd_crash_state(int argc, char **argv);
int cmd_mark(int argc, char **argv);

#endif /* DMREPLAY_H */
