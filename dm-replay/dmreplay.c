// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: read a dm-replay log, list it, replay it onto a device up to
 * any entry or mark (optionally running a check at every flush, FUA or
 * mark), and add marks to a recording device. See docs/dmreplay.8.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libdevmapper.h>

#include "dm-replay-log.h"
#include "crash-gen.h"

#define EXIT_DAMAGED	1	/* damaged log, or a check failed */
#define EXIT_USAGE	2
#define EXIT_RUNTIME	3	/* I/O error, missing device or mark, refused message */

#define ALIGNMENT	4096

/* From linux/fs.h, whose __le64 clashes with the one of dmtk-compat.h. */
#define BLKFLSBUF	_IO(0x12, 97)
#define BLKGETSIZE64	_IOR(0x12, 114, size_t)
#define BLKDISCARD	_IO(0x12, 119)
#define BLKZEROOUT	_IO(0x12, 127)

static const char *prog = "dmreplay";

static void usage(FILE *f)
{
	fprintf(f,
"Usage: dmreplay info   <log_dev>\n"
"       dmreplay list   <log_dev>\n"
"       dmreplay completions <log_dev>\n"
"       dmreplay replay <log_dev> <target_dev> [options]\n"
"       dmreplay crash-states <log_dev> <target_dev> --check CMD [options]\n"
"       dmreplay crash-state <log_dev> <target_dev> --prefix N [--entries LIST]\n"
"       dmreplay mark   <dm_name> <mark>\n"
"\n"
"info     the log's superblock and a summary of its entries\n"
"list     one line per entry: <index> <sector> <sectors> <flags> [<mark>]\n"
"         (completion entries: <index> <first> <count> completions)\n"
"completions  the recorded completion order, one request a line:\n"
"         <seq> <op> <sector> <sectors> [<flags>]\n"
"replay   write the logged entries onto target_dev in log order; the target\n"
"         must hold what the recorded device held when recording started\n"
"crash-states  for each flush epoch, write crash states (subsets of the\n"
"         epoch's writes) onto target_dev and run CMD on each; report every\n"
"         state CMD fails with the crash-state command that rebuilds it\n"
"crash-state  rebuild one state: the first N entries, then the LIST ones\n"
"mark     add a named mark to the log of a recording dm-replay device\n"
"\n"
"replay options:\n"
"  --from-mark NAME    start after mark NAME; the target already holds the\n"
"  --from-entry N      state up to it (or: start at entry N)\n"
"  --to-mark NAME      stop after the first mark NAME (after the start)\n"
"  --to-entry N        stop after entry N (inclusive)\n"
"  --check CMD         run CMD with /bin/sh -c at each check point; stop at\n"
"                      the first failure. Environment: TARGET, DMREPLAY_LOG,\n"
"                      DMREPLAY_ENTRY, DMREPLAY_MARK, DMREPLAY_FLAGS\n"
"  --check-at POINT    flush (default), fua, mark or every entry\n"
"  --discard MODE      discard entries: zero (default), discard or skip\n"
"  -v, --verbose       print each entry as it is replayed\n"
"\n"
"crash-states options:\n"
"  --check CMD         run with /bin/sh -c on each state; environment: TARGET,\n"
"                      DMREPLAY_LOG, DMREPLAY_EPOCH, DMREPLAY_ENTRIES. CMD must\n"
"                      not write to the target (e2fsck -fn, not a mount)\n"
"  --from-mark NAME, --from-entry N   explore epochs after this point only\n"
"  --max-states N      states per epoch (default 64): in-order prefixes first,\n"
"                      then all other subsets if they fit, else random ones\n"
"  --seed S            seed of the random subsets (default 1)\n"
"crash-state options:\n"
"  --prefix N          replay entries 0..N-1 in full\n"
"  --entries LIST      then these entries (e.g. 12,14-16), in log order\n"
"\n"
"Exit status: 0 success; 1 the log is damaged (torn, corrupt or truncated)\n"
"or a check failed (crash-states: any state failed); 2 usage error; 3 runtime error (I/O error, missing\n"
"device, mark or entry not in the log, mark refused by the kernel).\n");
}

static void err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'dmreplay --help'.\n");
	return EXIT_USAGE;
}

static void *aligned_alloc_or_die(size_t size)
{
	void *p;

	if (posix_memalign(&p, ALIGNMENT, size)) {
		err("out of memory (%zu bytes)", size);
		exit(EXIT_RUNTIME);
	}
	return p;
}

/* Open with O_DIRECT when the file allows it, so we never see stale cache. */
static int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT | O_CLOEXEC);

	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags | O_CLOEXEC);
	return fd;
}

static int dev_size(int fd, u64 *bytes)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes) ? -errno : 0;
	*bytes = st.st_size;
	return 0;
}

static int pread_full(int fd, void *buf, size_t len, u64 off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		done += n;
	}
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, u64 off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/* A log being read entry by entry. */
struct log {
	const char *path;
	int fd;
	u64 size_sectors;	/* what the device or file really holds */
	u64 end_sectors;	/* where entries may end: min(size, log_sectors) */
	struct dmr_sb sb;
	u64 index;		/* of the next entry */
	u64 pos;		/* its header's sector */
	u8 *hdr;		/* one log block */
	u8 *data;
	size_t data_cap;
	char why[160];		/* what is wrong, when damaged */
};

enum next_result { NEXT_ENTRY, NEXT_END, NEXT_DAMAGED, NEXT_IO_ERROR };

static int log_open(struct log *lg, const char *path)
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

static void log_close(struct log *lg)
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
static enum next_result log_next(struct log *lg, struct dmr_rec *rec, bool want_data)
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

static const char *flags_str(const struct dmr_rec *rec, char *buf, size_t len)
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

static const char *state_str(u32 state)
{
	static const char * const names[] = { "logging", "full", "failed" };

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

static int report_end(struct log *lg, enum next_result res)
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

static int cmd_list(int argc, char **argv)
{
	struct dmr_rec rec;
	enum next_result res;
	struct log lg;
	char flags[64];
	int r;

	if (argc != 2)
		return usage_error("list takes one argument: <log_dev>");
	r = log_open(&lg, argv[1]);
	if (r)
		return r;
	while ((res = log_next(&lg, &rec, true)) == NEXT_ENTRY)
		printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %s%s%s\n", rec.seq, rec.sector,
		       rec.nr_sectors, flags_str(&rec, flags, sizeof(flags)),
		       rec.type == DMR_TYPE_MARK ? " " : "", rec.name);
	fflush(stdout);
	r = report_end(&lg, res);
	log_close(&lg);
	return r;
}

static int cmd_info(int argc, char **argv)
{
	u64 writes = 0, data = 0, flushes = 0, fua = 0, discards = 0, zeroes = 0;
	u64 marks = 0, info = 0, comps = 0;
	struct dmr_rec rec;
	enum next_result res;
	struct log lg;
	int r;

	if (argc != 2)
		return usage_error("info takes one argument: <log_dev>");
	r = log_open(&lg, argv[1]);
	if (r)
		return r;
	printf("log:               %s\n", lg.path);
	printf("version:           %u\n", lg.sb.version);
	printf("log id:            %016" PRIx64 "\n", lg.sb.log_id);
	printf("state:             %s\n", state_str(lg.sb.state));
	printf("block size:        %u\n", lg.sb.block_size);
	printf("data block size:   %u\n", lg.sb.data_block_size);
	printf("device sectors:    %" PRIu64 "\n", lg.sb.dev_sectors);
	printf("log sectors:       %" PRIu64 "\n", lg.sb.log_sectors);
	printf("used sectors:      %" PRIu64 " (at the last superblock update)\n",
	       lg.sb.used_sectors);
	printf("committed entries: %" PRIu64 "\n", lg.sb.nr_entries);
	fflush(stdout);

	while ((res = log_next(&lg, &rec, true)) == NEXT_ENTRY) {
		if (rec.type == DMR_TYPE_MARK) {
			marks++;
			continue;
		}
		if (rec.type == DMR_TYPE_COMPLETIONS) {
			comps += rec.nr_sectors;
			continue;
		}
		if (rec.type != DMR_TYPE_IO) {
			info++;
			continue;
		}
		comps += !!(rec.flags & DMR_F_COMPLETED);
		flushes += !!(rec.flags & DMR_F_FLUSH);
		fua += !!(rec.flags & DMR_F_FUA);
		if (rec.flags & DMR_F_DISCARD)
			discards++;
		else if (rec.flags & DMR_F_ZEROES)
			zeroes++;
		else if (rec.nr_sectors)
			writes++;
		data += rec.data_sectors;
	}
	printf("entries:           %" PRIu64 "\n", lg.index);
	printf("log end:           sector %" PRIu64 "\n", lg.pos);
	printf("writes:            %" PRIu64 " (%" PRIu64 " data sectors)\n", writes, data);
	printf("flushes:           %" PRIu64 "\n", flushes);
	printf("fua:               %" PRIu64 "\n", fua);
	printf("discards:          %" PRIu64 "\n", discards);
	printf("write_zeroes:      %" PRIu64 "\n", zeroes);
	printf("marks:             %" PRIu64 "\n", marks);
	printf("completions:       %" PRIu64 "\n", comps);
	if (info)
		printf("other entries:     %" PRIu64 "\n", info);
	if (lg.sb.state != DMR_STATE_LOGGING)
		printf("note:              logging stopped (%s): later writes to the "
		       "device are not in this log\n", state_str(lg.sb.state));
	fflush(stdout);
	r = report_end(&lg, res);
	log_close(&lg);
	return r;
}

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
	bool has_to_entry, verbose;
	enum check_at check_at;
	enum discard_mode discard;
};

static int parse_u64(const char *s, u64 *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* Option 'F' (--from-mark) or 'f' (--from-entry) into @sp. */
static int start_point_opt(struct start_point *sp, int c, const char *arg)
{
	if (c == 'F') {
		sp->mark = arg;
	} else {
		if (parse_u64(arg, &sp->entry))
			return usage_error("--from-entry: not a number: '%s'", arg);
		sp->has_entry = true;
	}
	if (sp->mark && sp->has_entry)
		return usage_error("--from-mark and --from-entry exclude each other");
	return 0;
}

/* Zero a range: BLKZEROOUT on a block device, plain writes on a file. */
static int zero_range(int fd, u64 off, u64 len)
{
	static u8 *zeros;
	const size_t chunk = 1 << 20;
	u64 range[2] = { off, len };
	int r;

	if (!ioctl(fd, BLKZEROOUT, range))
		return 0;
	if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP)
		return -errno;
	if (!zeros) {
		zeros = aligned_alloc_or_die(chunk);
		memset(zeros, 0, chunk);
	}
	while (len) {
		size_t n = len < chunk ? len : chunk;

		r = pwrite_full(fd, zeros, n, off);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

static int apply_entry(int fd, const struct replay_opts *o, const struct dmr_rec *rec,
		       const u8 *data)
{
	u64 off = rec->sector << 9, len = rec->nr_sectors << 9;
	u64 range[2] = { off, len };

	if (rec->type != DMR_TYPE_IO)
		return 0;
	if ((rec->flags & DMR_F_FLUSH) && fdatasync(fd))
		return -errno;
	if (rec->flags & DMR_F_DISCARD) {
		if (o->discard == DISCARD_ZERO)
			return zero_range(fd, off, len);
		if (o->discard == DISCARD_DISCARD && ioctl(fd, BLKDISCARD, range))
			return -errno;
	} else if (rec->flags & DMR_F_ZEROES) {
		return zero_range(fd, off, len);
	} else if (len) {
		int r = pwrite_full(fd, data, len, off);

		if (r)
			return r;
	}
	if ((rec->flags & DMR_F_FUA) && fdatasync(fd))
		return -errno;
	return 0;
}

static bool is_check_point(const struct replay_opts *o, const struct dmr_rec *rec)
{
	switch (o->check_at) {
	case CHECK_FLUSH:
		return rec->type == DMR_TYPE_IO && (rec->flags & DMR_F_FLUSH);
	case CHECK_FUA:
		return rec->type == DMR_TYPE_IO && (rec->flags & DMR_F_FUA);
	case CHECK_MARK:
		return rec->type == DMR_TYPE_MARK;
	case CHECK_EVERY:
		return !(rec->type & DMR_TYPE_INFO);
	}
	return false;
}

/*
 * Run a check command under sh, once @fd's data is on the device and out of
 * the page cache, with TARGET, DMREPLAY_TARGET, DMREPLAY_LOG and the
 * name/value pairs of @vars (NULL-terminated) in its environment. Returns
 * its exit status (or 128 + signal).
 */
static int run_cmd(const char *cmd, const char *target, const char *log, int fd,
		   const char *const *vars)
{
	int status;
	pid_t pid;

	if (fdatasync(fd))
		return -errno;
	ioctl(fd, BLKFLSBUF, 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setenv("TARGET", target, 1);
		setenv("DMREPLAY_TARGET", target, 1);
		setenv("DMREPLAY_LOG", log, 1);
		for (; *vars; vars += 2)
			setenv(vars[0], vars[1], 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* The check of replay at entry @rec. */
static int run_check(const char *cmd, const char *target, const char *log,
		     const struct dmr_rec *rec, const char *mark, int fd)
{
	char entry[32], flags[64];
	const char *vars[] = {
		"DMREPLAY_ENTRY", entry, "DMREPLAY_MARK", mark,
		"DMREPLAY_FLAGS", flags, NULL,
	};

	snprintf(entry, sizeof(entry), "%" PRIu64, rec->seq);
	flags_str(rec, flags, sizeof(flags));
	return run_cmd(cmd, target, log, fd, vars);
}

/*
 * First pass: find the range to replay and make sure every entry in it is
 * intact, so a damaged log never leaves the target half replayed.
 */
static int replay_plan(struct log *lg, const struct replay_opts *o, u64 *start, u64 *stop)
{
	bool have_start = !o->from.mark, have_stop = false;
	struct dmr_rec rec;
	enum next_result res;

	*start = o->from.has_entry ? o->from.entry : 0;
	while ((res = log_next(lg, &rec, true)) == NEXT_ENTRY) {
		if (!have_start) {
			if (rec.type == DMR_TYPE_MARK && !strcmp(rec.name, o->from.mark)) {
				*start = rec.seq + 1;
				have_start = true;
			}
			continue;
		}
		if (rec.seq < *start)
			continue;
		if (o->to_mark && rec.type == DMR_TYPE_MARK && !strcmp(rec.name, o->to_mark)) {
			*stop = rec.seq;
			have_stop = true;
			break;
		}
		if (o->has_to_entry && rec.seq == o->to_entry) {
			*stop = rec.seq;
			have_stop = true;
			break;
		}
	}
	if (res == NEXT_DAMAGED || res == NEXT_IO_ERROR)
		return report_end(lg, res);
	if (!have_start) {
		err("mark '%s' is not in the log", o->from.mark);
		return EXIT_RUNTIME;
	}
	if (o->to_mark && !have_stop) {
		err("mark '%s' is not in the log%s", o->to_mark,
		    o->from.mark || o->from.has_entry ? " after the start point" : "");
		return EXIT_RUNTIME;
	}
	if (o->has_to_entry && !have_stop) {
		err("entry %" PRIu64 " is not in the log (%" PRIu64 " entries%s)", o->to_entry,
		    lg->index, *start > o->to_entry ? ", or it is before the start" : "");
		return EXIT_RUNTIME;
	}
	if (!have_stop) {
		if (*start > lg->index) {
			err("start entry %" PRIu64 " is past the end of the log (%" PRIu64
			    " entries)", *start, lg->index);
			return EXIT_RUNTIME;
		}
		*stop = lg->index;	/* exclusive: the whole log */
		return 0;
	}
	(*stop)++;
	return 0;
}

/* The target, opened for O_DIRECT; a block device must hold the recorded device. */
static int open_target(const char *target, const struct log *lg, int *fd)
{
	struct stat st;
	u64 tsize;

	*fd = open_direct(target, O_RDWR);
	if (*fd < 0) {
		err("cannot open target %s: %s", target, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (!dev_size(*fd, &tsize) && tsize < lg->sb.dev_sectors << 9 &&
	    !fstat(*fd, &st) && S_ISBLK(st.st_mode)) {
		err("target %s has %" PRIu64 " sectors, the recorded device had %" PRIu64,
		    target, tsize >> 9, lg->sb.dev_sectors);
		close(*fd);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from-mark", required_argument, NULL, 'F' },
		{ "from-entry", required_argument, NULL, 'f' },
		{ "to-mark", required_argument, NULL, 'T' },
		{ "to-entry", required_argument, NULL, 't' },
		{ "check", required_argument, NULL, 'c' },
		{ "check-at", required_argument, NULL, 'a' },
		{ "discard", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct replay_opts o = { .check_at = CHECK_FLUSH };
	const char *logpath, *target, *check_at = NULL;
	u64 start, stop = 0, writes = 0, bytes = 0, checks = 0;
	char mark[DMR_NAME_MAX + 1] = "", flags[64];
	struct dmr_rec rec;
	enum next_result res;
	struct log lg;
	int c, fd, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
		case 'f':
			r = start_point_opt(&o.from, c, optarg);
			if (r)
				return r;
			break;
		case 'T':
			o.to_mark = optarg;
			break;
		case 't':
			if (parse_u64(optarg, &o.to_entry))
				return usage_error("--to-entry: not a number: '%s'", optarg);
			o.has_to_entry = true;
			break;
		case 'c':
			o.check = optarg;
			break;
		case 'a':
			check_at = optarg;
			break;
		case 'd':
			if (!strcmp(optarg, "zero"))
				o.discard = DISCARD_ZERO;
			else if (!strcmp(optarg, "discard"))
				o.discard = DISCARD_DISCARD;
			else if (!strcmp(optarg, "skip"))
				o.discard = DISCARD_SKIP;
			else
				return usage_error("--discard: expected zero, discard or skip");
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("replay: invalid option");
		}
	}
	if (argc - optind != 2)
		return usage_error("replay takes two arguments: <log_dev> <target_dev>");
	if (o.to_mark && o.has_to_entry)
		return usage_error("--to-mark and --to-entry exclude each other");
	if (check_at && !o.check)
		return usage_error("--check-at needs --check");
	if (check_at) {
		if (!strcmp(check_at, "flush"))
			o.check_at = CHECK_FLUSH;
		else if (!strcmp(check_at, "fua"))
			o.check_at = CHECK_FUA;
		else if (!strcmp(check_at, "mark"))
			o.check_at = CHECK_MARK;
		else if (!strcmp(check_at, "every"))
			o.check_at = CHECK_EVERY;
		else
			return usage_error("--check-at: expected flush, fua, mark or every");
	}
	logpath = argv[optind];
	target = argv[optind + 1];

	r = log_open(&lg, logpath);
	if (r)
		return r;
	r = replay_plan(&lg, &o, &start, &stop);
	if (r)
		goto out_log;

	r = open_target(target, &lg, &fd);
	if (r)
		goto out_log;

	/* Second pass: apply, reading each entry's data again. */
	lg.index = 0;
	lg.pos = lg.sb.block_size >> 9;
	while (lg.index < stop) {
		res = log_next(&lg, &rec, lg.index >= start);
		if (res != NEXT_ENTRY) {
			r = report_end(&lg, res);
			if (!r) {
				err("%s: the log changed while it was replayed", logpath);
				r = EXIT_RUNTIME;
			}
			goto out_fd;
		}
		if (rec.type == DMR_TYPE_MARK)
			memcpy(mark, rec.name, sizeof(mark));
		if (rec.seq < start)
			continue;
		if (o.verbose)
			printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %s%s%s\n", rec.seq, rec.sector,
			       rec.nr_sectors, flags_str(&rec, flags, sizeof(flags)),
			       rec.type == DMR_TYPE_MARK ? " " : "", rec.name);
		r = apply_entry(fd, &o, &rec, lg.data);
		if (r) {
			err("entry %" PRIu64 ": writing %s at sector %" PRIu64 " failed: %s",
			    rec.seq, target, rec.sector, strerror(-r));
			r = EXIT_RUNTIME;
			goto out_fd;
		}
		if (rec.type == DMR_TYPE_IO && rec.data_sectors) {
			writes++;
			bytes += rec.data_sectors << 9;
		}
		if (o.check && is_check_point(&o, &rec)) {
			checks++;
			r = run_check(o.check, target, logpath, &rec, mark, fd);
			if (r < 0) {
				err("cannot run the check: %s", strerror(-r));
				r = EXIT_RUNTIME;
				goto out_fd;
			}
			if (r) {
				flags_str(&rec, flags, sizeof(flags));
				err("check failed at entry %" PRIu64 " (%s), last mark '%s': "
				    "exit status %d", rec.seq, flags, mark, r);
				err("rebuild this state with: dmreplay replay %s <dev> --to-entry %"
				    PRIu64, logpath, rec.seq);
				r = EXIT_DAMAGED;
				goto out_fd;
			}
		}
	}
	if (fdatasync(fd)) {
		err("syncing %s failed: %s", target, strerror(errno));
		r = EXIT_RUNTIME;
		goto out_fd;
	}
	if (stop > start)
		printf("replayed entries %" PRIu64 "-%" PRIu64 ": %" PRIu64 " writes, %" PRIu64
		       " bytes, %" PRIu64 " checks passed\n", start, stop - 1, writes, bytes,
		       checks);
	else
		printf("nothing to replay\n");
	r = 0;
out_fd:
	close(fd);
out_log:
	log_close(&lg);
	return r;
}

/* An entry that is its own completion record. */
struct own_comp {
	u64 seq;
	struct dmr_crec c;
};

/* Completions as the log has them: records, and entries that are their own. */
struct completions {
	struct dmr_crec *recs;		/* records of completion entries, in order */
	u64 nr_recs;
	struct own_comp *own;
	u64 nr_own;
};

/* Room for element @nr of the array at *@p, doubling its capacity *@cap. */
static void grow(void *p, u64 *cap, u64 nr, size_t size)
{
	void **array = p;

	if (nr < *cap)
		return;
	*cap = *cap ? *cap * 2 : 256;
	*array = realloc(*array, *cap * size);
	if (!*array) {
		err("out of memory for %" PRIu64 " completions", *cap);
		exit(EXIT_RUNTIME);
	}
}

static int load_completions(struct log *lg, struct completions *cs, enum next_result *res)
{
	u64 cap_recs = 0, cap_own = 0;
	struct dmr_comp *raw;
	struct dmr_rec rec;
	u32 i;

	memset(cs, 0, sizeof(*cs));
	while ((*res = log_next(lg, &rec, true)) == NEXT_ENTRY) {
		if (rec.type == DMR_TYPE_IO && (rec.flags & DMR_F_COMPLETED)) {
			grow(&cs->own, &cap_own, cs->nr_own, sizeof(*cs->own));
			cs->own[cs->nr_own].seq = rec.comp_seq;
			dmr_entry_crec(&rec, &cs->own[cs->nr_own++].c);
			continue;
		}
		if (rec.type != DMR_TYPE_COMPLETIONS)
			continue;
		if (rec.sector != cs->nr_recs) {
			err("%s: entry %" PRIu64 ": completion records start at %" PRIu64
			    ", expected %" PRIu64, lg->path, rec.seq, rec.sector, cs->nr_recs);
			return -EINVAL;
		}
		raw = (struct dmr_comp *)lg->data;
		for (i = 0; i < rec.nr_sectors; i++) {
			grow(&cs->recs, &cap_recs, cs->nr_recs, sizeof(*cs->recs));
			if (dmr_comp_decode(&raw[i], &cs->recs[cs->nr_recs])) {
				err("%s: entry %" PRIu64 ": invalid completion record %" PRIu64,
				    lg->path, rec.seq, cs->nr_recs);
				return -EINVAL;
			}
			cs->nr_recs++;
		}
	}
	return 0;
}

static void free_completions(struct completions *cs)
{
	free(cs->recs);
	free(cs->own);
}

static int cmd_completions(int argc, char **argv)
{
	struct dmr_crec *order = NULL;
	struct completions cs;
	enum next_result res;
	u64 i, n, known;
	struct log lg;
	u8 *taken = NULL;
	int r;

	if (argc != 2)
		return usage_error("completions takes one argument: <log_dev>");
	r = log_open(&lg, argv[1]);
	if (r)
		return r;
	r = load_completions(&lg, &cs, &res);
	if (r) {
		r = EXIT_DAMAGED;
		goto out;
	}
	n = cs.nr_recs + cs.nr_own;
	order = calloc(n ?: 1, sizeof(*order));
	taken = calloc(n ?: 1, 1);
	if (!order || !taken) {
		err("%s: out of memory", lg.path);
		r = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < cs.nr_own; i++) {
		if (!dmr_comp_place(order, taken, n, cs.own[i].seq, &cs.own[i].c)) {
			err("%s: completion %" PRIu64 " is recorded twice", lg.path, cs.own[i].seq);
			r = EXIT_DAMAGED;
			goto out;
		}
	}
	known = dmr_comp_fill(order, taken, n, cs.recs, cs.nr_recs);
	for (i = 0; i < known; i++)
		printf("%" PRIu64 " %s %" PRIu64 " %u%s%s%s%s\n", i,
		       dmr_comp_op_str(order[i].op), order[i].sector, order[i].nr_sectors,
		       order[i].flags & DMR_CF_PREFLUSH ? " preflush" : "",
		       order[i].flags & DMR_CF_FUA ? " fua" : "",
		       order[i].flags & DMR_CF_META ? " meta" : "",
		       order[i].flags & DMR_CF_ERROR ? " error" : "");
	fflush(stdout);
	if (known < n)
		err("%s: completion %" PRIu64 " is missing from the log: the order of the %"
		    PRIu64 " after it is unknown", lg.path, known, n - known - 1);
	r = report_end(&lg, res);
out:
	free(order);
	free(taken);
	free_completions(&cs);
	log_close(&lg);
	return r;
}

/* The entries of a whole log, headers only; data is read again when needed. */
struct entries {
	struct dmr_rec *rec;
	u64 *pos;		/* header sector */
	u64 nr;
};

static int load_entries(struct log *lg, struct entries *es)
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

static void free_entries(struct entries *es)
{
	free(es->rec);
	free(es->pos);
}

/* Read entry @i's data (checked) into a fresh aligned buffer. */
static u8 *entry_data(struct log *lg, const struct entries *es, u64 i)
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

/* Apply entries [from, to) of the log onto @fd in full. */
static int apply_range(struct log *lg, const struct entries *es, int fd, u64 from, u64 to,
		       const char *target)
{
	static const struct replay_opts o = { .discard = DISCARD_ZERO };
	u64 i;
	int r;

	for (i = from; i < to; i++) {
		u8 *data = entry_data(lg, es, i);

		r = apply_entry(fd, &o, &es->rec[i], data);
		free(data);
		if (r) {
			err("entry %" PRIu64 ": writing %s at sector %" PRIu64 " failed: %s", i,
			    target, es->rec[i].sector, strerror(-r));
			return EXIT_RUNTIME;
		}
	}
	return 0;
}

static bool changes_data(const struct dmr_rec *rec)
{
	return rec->type == DMR_TYPE_IO && rec->nr_sectors;
}

/* "3,5-7" into a sorted set of entry flags over [0, nr). */
static int parse_list(const char *s, bool *set, u64 nr)
{
	while (*s) {
		u64 a, b;
		char *end;

		if (*s < '0' || *s > '9')
			return -1;
		a = b = strtoull(s, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -1;
			b = strtoull(end + 1, &end, 10);
		}
		if (a > b || b >= nr || (*end && *end != ','))
			return -1;
		while (a <= b)
			set[a++] = true;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* Entry indices of a subset as "3,5-7" (empty string for none). */
static char *format_list(const u64 *idx, const bool *in, u32 n)
{
	size_t cap = 32 + (size_t)n * 22, len = 0;
	char *buf = malloc(cap);
	u32 i = 0, j;

	if (!buf) {
		err("out of memory");
		exit(EXIT_RUNTIME);
	}
	buf[0] = '\0';
	while (i < n) {
		if (!in[i]) {
			i++;
			continue;
		}
		for (j = i; j + 1 < n && in[j + 1] && idx[j + 1] == idx[j] + 1; j++)
			;
		len += snprintf(buf + len, cap - len, "%s%" PRIu64, len ? "," : "", idx[i]);
		if (j > i)
			len += snprintf(buf + len, cap - len, "-%" PRIu64, idx[j]);
		i = j + 1;
	}
	return buf;
}

/* The check of crash-states on a state of @epoch made of @entries. */
static int run_state_check(const char *cmd, const char *target, const char *log, int fd,
			   u64 epoch, const char *entries)
{
	char ep[32];
	const char *vars[] = { "DMREPLAY_EPOCH", ep, "DMREPLAY_ENTRIES", entries, NULL };

	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	return run_cmd(cmd, target, log, fd, vars);
}

struct crash_opts {
	struct start_point from;
	const char *check;
	u64 seed;
	u32 max_states;
};

/*
 * One epoch: writes idx[0..n) between entry @base (everything before it is
 * on the target) and the next flush. Each state is written onto the
 * target's epoch-start contents, checked, and undone.
 */
static int explore_epoch(struct log *lg, const struct entries *es, int fd, const char *target,
			 const struct crash_opts *o, u64 epoch, u64 base, const u64 *idx, u32 n,
			 bool with_empty, u64 *states, u64 *failed)
{
	u8 **data = calloc(n, sizeof(*data)), **orig = calloc(n, sizeof(*orig));
	bool *fua = calloc(n, sizeof(*fua)), *in = calloc(n, sizeof(*in));
	static const struct replay_opts ro = { .discard = DISCARD_ZERO };
	struct dmr_crash_gen gen;
	int r = 0, st;
	u32 i;

	if (!data || !orig || !fua || !in) {
		err("out of memory");
		exit(EXIT_RUNTIME);
	}
	for (i = 0; i < n; i++) {
		const struct dmr_rec *rec = &es->rec[idx[i]];
		size_t len = (size_t)rec->nr_sectors << 9;

		fua[i] = rec->flags & DMR_F_FUA;
		data[i] = entry_data(lg, es, idx[i]);
		orig[i] = aligned_alloc_or_die(len);
		r = pread_full(fd, orig[i], len, rec->sector << 9);
		if (r) {
			err("reading %s at sector %" PRIu64 " failed: %s", target, rec->sector,
			    strerror(-r));
			r = EXIT_RUNTIME;
			goto out;
		}
	}
	if (dmr_crash_gen_init(&gen, n, fua, o->max_states, with_empty,
			       o->seed ^ (epoch * 0x9e3779b97f4a7c15ULL))) {
		err("out of memory");
		exit(EXIT_RUNTIME);
	}
	while (dmr_crash_gen_next(&gen, in)) {
		char *list = format_list(idx, in, n);

		for (i = 0; i < n && !r; i++)
			if (in[i])
				r = apply_entry(fd, &ro, &es->rec[idx[i]], data[i]);
		if (r) {
			err("writing a crash state onto %s failed: %s", target, strerror(-r));
			free(list);
			r = EXIT_RUNTIME;
			break;
		}
		(*states)++;
		st = run_state_check(o->check, target, lg->path, fd, epoch, list);
		if (st < 0) {
			err("cannot run the check: %s", strerror(-st));
			free(list);
			r = EXIT_RUNTIME;
			break;
		}
		if (st) {
			(*failed)++;
			printf("FAIL epoch %" PRIu64 " (entries %" PRIu64 "-%" PRIu64
			       ") state with entries {%s}: check exit status %d\n", epoch, idx[0],
			       idx[n - 1], list, st);
			printf("  rebuild: dmreplay crash-state %s <target_dev> --prefix %" PRIu64
			       "%s%s\n", lg->path, base, *list ? " --entries " : "", list);
		}
		free(list);
		/* Undo: what the epoch's writes covered, as it was. */
		for (i = 0; i < n && !r; i++) {
			const struct dmr_rec *rec = &es->rec[idx[i]];

			if (in[i])
				r = pwrite_full(fd, orig[i], (size_t)rec->nr_sectors << 9,
						rec->sector << 9);
		}
		if (r) {
			err("restoring %s failed: %s", target, strerror(-r));
			r = EXIT_RUNTIME;
			break;
		}
	}
	dmr_crash_gen_free(&gen);
out:
	for (i = 0; i < n; i++) {
		free(data[i]);
		free(orig[i]);
	}
	free(data);
	free(orig);
	free(fua);
	free(in);
	return r;
}

static int cmd_crash_states(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, 'c' },
		{ "from-mark", required_argument, NULL, 'F' },
		{ "from-entry", required_argument, NULL, 'f' },
		{ "max-states", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct crash_opts o = { .max_states = 64, .seed = 1 };
	u64 start = 0, i, base, epoch = 0, states = 0, failed = 0, epochs = 0, v;
	const char *logpath, *target;
	struct entries es;
	struct log lg;
	u64 *idx;
	u32 n;
	int c, fd, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.check = optarg;
			break;
		case 'F':
		case 'f':
			r = start_point_opt(&o.from, c, optarg);
			if (r)
				return r;
			break;
		case 'm':
			if (parse_u64(optarg, &v) || !v || v > 1000000)
				return usage_error("--max-states: expected 1 to 1000000");
			o.max_states = v;
			break;
		case 's':
			if (parse_u64(optarg, &o.seed))
				return usage_error("--seed: not a number: '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("crash-states: invalid option");
		}
	}
	if (argc - optind != 2)
		return usage_error("crash-states takes two arguments: <log_dev> <target_dev>");
	if (!o.check)
		return usage_error("crash-states needs --check CMD");
	logpath = argv[optind];
	target = argv[optind + 1];

	r = log_open(&lg, logpath);
	if (r)
		return r;
	r = load_entries(&lg, &es);
	if (r)
		goto out_log;
	if (o.from.mark) {
		for (i = 0; i < es.nr; i++)
			if (es.rec[i].type == DMR_TYPE_MARK && !strcmp(es.rec[i].name, o.from.mark))
				break;
		if (i == es.nr) {
			err("mark '%s' is not in the log", o.from.mark);
			r = EXIT_RUNTIME;
			goto out_entries;
		}
		start = i + 1;
	} else if (o.from.has_entry) {
		if (o.from.entry > es.nr) {
			err("start entry %" PRIu64 " is past the end of the log (%" PRIu64
			    " entries)", o.from.entry, es.nr);
			r = EXIT_RUNTIME;
			goto out_entries;
		}
		start = o.from.entry;
	}
	r = open_target(target, &lg, &fd);
	if (r)
		goto out_entries;
	idx = malloc((es.nr + 1) * sizeof(*idx));
	if (!idx) {
		err("out of memory");
		exit(EXIT_RUNTIME);
	}
	/* Up to the start point, everything is taken as persisted. */
	r = apply_range(&lg, &es, fd, 0, start, target);
	for (i = 0; i < start; i++)
		epoch += es.rec[i].type == DMR_TYPE_IO && (es.rec[i].flags & DMR_F_FLUSH);

	base = start;
	while (!r && base < es.nr) {
		/* The epoch: data-changing entries up to the next flush. */
		n = 0;
		for (i = base; i < es.nr; i++) {
			if (es.rec[i].type == DMR_TYPE_IO && (es.rec[i].flags & DMR_F_FLUSH))
				break;
			if (changes_data(&es.rec[i]))
				idx[n++] = i;
		}
		if (n) {
			epochs++;
			r = explore_epoch(&lg, &es, fd, target, &o, epoch, base, idx, n,
					  base == start, &states, &failed);
			if (r)
				break;
		}
		/* Then the whole epoch and its flush, as the next epoch's start. */
		r = apply_range(&lg, &es, fd, base, i < es.nr ? i + 1 : i, target);
		base = i + 1;
		epoch++;
	}
	free(idx);
	close(fd);
	if (r)
		goto out_entries;
	printf("crash-states: %" PRIu64 " epochs, %" PRIu64 " states checked, %" PRIu64
	       " failed\n", epochs, states, failed);
	r = failed ? EXIT_DAMAGED : 0;
out_entries:
	free_entries(&es);
out_log:
	log_close(&lg);
	return r;
}

static int cmd_crash_state(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "entries", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *logpath, *target, *list = "";
	u64 prefix = 0, i, applied = 0;
	bool has_prefix = false, *set;
	struct entries es;
	struct log lg;
	int c, fd, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, &prefix))
				return usage_error("--prefix: not a number: '%s'", optarg);
			has_prefix = true;
			break;
		case 'e':
			list = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("crash-state: invalid option");
		}
	}
	if (argc - optind != 2)
		return usage_error("crash-state takes two arguments: <log_dev> <target_dev>");
	if (!has_prefix)
		return usage_error("crash-state needs --prefix N");
	logpath = argv[optind];
	target = argv[optind + 1];

	r = log_open(&lg, logpath);
	if (r)
		return r;
	r = load_entries(&lg, &es);
	if (r)
		goto out_log;
	if (prefix > es.nr) {
		err("--prefix %" PRIu64 ": the log has %" PRIu64 " entries", prefix, es.nr);
		r = EXIT_RUNTIME;
		goto out_entries;
	}
	set = calloc(es.nr + 1, sizeof(*set));
	if (!set) {
		err("out of memory");
		exit(EXIT_RUNTIME);
	}
	if (parse_list(list, set, es.nr)) {
		free(set);
		r = usage_error("--entries: expected indices below %" PRIu64
				" like 3,5-7, got '%s'", es.nr, list);
		goto out_entries;
	}
	for (i = 0; i < prefix; i++) {
		if (set[i]) {
			free(set);
			r = usage_error("--entries: entry %" PRIu64 " is inside the prefix", i);
			goto out_entries;
		}
	}
	r = open_target(target, &lg, &fd);
	if (r) {
		free(set);
		goto out_entries;
	}
	r = apply_range(&lg, &es, fd, 0, prefix, target);
	for (i = prefix; !r && i < es.nr; i++) {
		if (!set[i])
			continue;
		r = apply_range(&lg, &es, fd, i, i + 1, target);
		applied++;
	}
	if (!r && fdatasync(fd)) {
		err("syncing %s failed: %s", target, strerror(errno));
		r = EXIT_RUNTIME;
	}
	if (!r)
		printf("crash state: entries 0-%" PRId64 " and %" PRIu64 " more%s%s\n",
		       (int64_t)prefix - 1, applied, *list ? ": " : "", list);
	free(set);
	close(fd);
out_entries:
	free_entries(&es);
out_log:
	log_close(&lg);
	return r;
}

static int cmd_mark(int argc, char **argv)
{
	const char *name = argv[1];
	char msg[16 + DMR_NAME_MAX];
	struct dm_task *dmt;
	int r;

	if (argc != 3)
		return usage_error("mark takes two arguments: <dm_name> <mark>");
	if (!strncmp(name, "/dev/mapper/", 12))
		name += 12;
	r = dmr_mark_name_check(argv[2]);
	if (r == -ENAMETOOLONG)
		return usage_error("mark name too long: %zu bytes, at most %d",
				   strlen(argv[2]), DMR_NAME_MAX);
	if (r)
		return usage_error("invalid mark name '%s': printable ASCII without spaces "
				   "expected", argv[2]);
	snprintf(msg, sizeof(msg), "mark %s", argv[2]);

	dmt = dm_task_create(DM_DEVICE_TARGET_MSG);
	if (!dmt) {
		err("cannot create a device-mapper task");
		return EXIT_RUNTIME;
	}
	r = EXIT_RUNTIME;
	if (!dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg)) {
		err("cannot prepare the device-mapper message");
		goto out;
	}
	if (!dm_task_run(dmt)) {
		err("%s refused mark '%s' (is it a recording dm-replay device? "
		    "see the kernel log)", name, argv[2]);
		goto out;
	}
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage_error("missing command");
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (argc >= 3 && strcmp(cmd, "replay") && strncmp(cmd, "crash-state", 11) &&
	    (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "completions"))
		return cmd_completions(argc - 1, argv + 1);
	if (!strcmp(cmd, "crash-states"))
		return cmd_crash_states(argc - 1, argv + 1);
	if (!strcmp(cmd, "crash-state"))
		return cmd_crash_state(argc - 1, argv + 1);
	if (!strcmp(cmd, "mark"))
		return cmd_mark(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
