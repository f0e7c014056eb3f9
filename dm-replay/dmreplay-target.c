// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: the target of replay and crash-states: opening it (refusing
 * the log itself, a device too small or of larger logical blocks than
 * the recorded one), writing log entries onto it a piece at a time,
 * zeroing and discarding ranges, and running a check command on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dmreplay.h"

extern char **environ;

#define BLKSSZGET	_IO(0x12, 104)

/* Whether two stats are the same file or the same block device. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Open @path as the target of log @lg. A block device is opened with
 * O_DIRECT and must hold the recorded device, with logical blocks no
 * larger than its; a regular file shorter than the recorded device is
 * refused, or with @grow extended (sparse) to its size.
 */
int target_open(struct target *t, const char *path, const struct log *lg, bool grow)
{
	u64 dev_bytes = lg->sb.dev_sectors << 9, size;
	struct stat st, lst;
	int lbs, r;

	memset(t, 0, sizeof(*t));
	t->path = path;
	t->fd = -1;
	t->lbs = 512;
	if (stat(path, &st)) {
		err("cannot open target %s: %s", path, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (!fstat(lg->fd, &lst) && same_file(&st, &lst)) {
		err("target %s is the log itself (%s)", path, lg->path);
		return EXIT_USAGE;
	}
	t->is_blk = S_ISBLK(st.st_mode);
	t->is_file = S_ISREG(st.st_mode);
	t->fd = t->is_blk ? open_direct(path, O_RDWR) : open(path, O_RDWR | O_CLOEXEC);
	if (t->fd < 0 || fstat(t->fd, &st)) {
		err("cannot open target %s: %s", path, strerror(errno));
		target_close(t);
		return EXIT_RUNTIME;
	}
	if (same_file(&st, &lst)) {
		err("target %s is the log itself (%s)", path, lg->path);
		target_close(t);
		return EXIT_USAGE;
	}
	r = dev_size(t->fd, &size);
	if (r) {
		err("cannot get the size of %s: %s", path, strerror(-r));
		target_close(t);
		return EXIT_RUNTIME;
	}
	if (t->is_blk && !ioctl(t->fd, BLKSSZGET, &lbs) && lbs > 0)
		t->lbs = lbs;
	if (t->lbs > lg->sb.data_block_size) {
		err("target %s has %u-byte logical blocks, larger than the %u-byte blocks of "
		    "the recorded device", path, t->lbs, lg->sb.data_block_size);
		target_close(t);
		return EXIT_RUNTIME;
	}
	if (size < dev_bytes && t->is_file && grow) {
		if (ftruncate(t->fd, dev_bytes)) {
			err("cannot grow %s to %" PRIu64 " bytes: %s", path, dev_bytes,
			    strerror(errno));
			target_close(t);
			return EXIT_RUNTIME;
		}
	} else if (size < dev_bytes && t->is_file) {
		err("target %s is a file of %" PRIu64 " bytes, the %s %" PRIu64 " (%" PRIu64
		    " sectors); --grow extends it", path, size,
		    lg->lw ? "log's writes reach byte" : "recorded device had", dev_bytes,
		    lg->sb.dev_sectors);
		target_close(t);
		return EXIT_RUNTIME;
	} else if (size < dev_bytes) {
		err("target %s has %" PRIu64 " sectors, the %s %" PRIu64, path, size >> 9,
		    lg->lw ? "log's writes reach sector" : "recorded device had",
		    lg->sb.dev_sectors);
		target_close(t);
		return EXIT_RUNTIME;
	}
	t->buf = aligned_alloc_or_die(CHUNK);
	return 0;
}

void target_close(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->buf);
	t->buf = NULL;
}

static int write_zeros(struct target *t, u64 off, u64 len)
{
	int r;

	memset(t->buf, 0, CHUNK);
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		r = pwrite_full(t->fd, t->buf, n, off);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

static bool unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOTTY || e == EINVAL || e == ENOSYS;
}

/*
 * Zero a range the target holds: a file gets its blocks zeroed
 * (FALLOC_FL_ZERO_RANGE) or, with @punch, deallocated (a hole reads
 * zeros), never growing it; a block device gets BLKZEROOUT. Where those
 * are not supported, zeros are written.
 */
int target_zero(struct target *t, u64 off, u64 len, bool punch)
{
	u64 range[2] = { off, len };

	if (!len)
		return 0;
	if (t->is_file) {
		if (!punch && !fallocate(t->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
					 off, len))
			return 0;
		if (!fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
			return 0;
		if (!unsupported(errno))
			return -errno;
	} else if (t->is_blk) {
		if (!ioctl(t->fd, BLKZEROOUT, range))
			return 0;
		if (!unsupported(errno))
			return -errno;
	}
	return write_zeros(t, off, len);
}

/* Write the data of the entry at log sector @pos, a piece at a time. */
static int copy_data(struct target *t, struct log *lg, const struct dmr_rec *rec, u64 pos)
{
	u32 bs = lg->sb.block_size, st = DMR_CRC_INIT;
	u64 src = (pos + (bs >> 9)) << 9, dst = rec->sector << 9;
	u64 left = rec->nr_sectors << 9;
	int r;

	while (left) {
		size_t n = left < CHUNK ? left : CHUNK;

		r = log_read(lg, t->buf, (n + bs - 1) / bs * bs, src);
		if (r) {
			err("%s: entry %" PRIu64 ": read error in its data: %s", lg->path,
			    rec->seq, strerror(-r));
			return -EIO;
		}
		st = dmr_crc32c_update(st, t->buf, n);
		r = pwrite_full(t->fd, t->buf, n, dst);
		if (r)
			return r;
		src += n;
		dst += n;
		left -= n;
	}
	/* A dm-log-writes log has no checksums to hold the data to. */
	if (!lg->lw && ~st != rec->data_crc) {
		err("%s: entry %" PRIu64 ": its data changed since it was checked", lg->path,
		    rec->seq);
		return -EIO;
	}
	return 0;
}

/*
 * Apply entry @rec, whose header is at log sector @pos, onto the target:
 * its flush, its data (read from the log again), discard or zeroes, FUA.
 * Log scanning checked the entry lies on the recorded device.
 */
int apply_entry(struct target *t, struct log *lg, enum discard_mode discard,
		const struct dmr_rec *rec, u64 pos)
{
	u64 off = rec->sector << 9, len = rec->nr_sectors << 9;
	u64 range[2] = { off, len };
	int r = 0;

	if (rec->type != DMR_TYPE_IO)
		return 0;
	if ((rec->flags & DMR_F_FLUSH) && fdatasync(t->fd))
		return -errno;
	if (rec->flags & DMR_F_DISCARD) {
		if (discard == DISCARD_ZERO) {
			r = target_zero(t, off, len, true);
		} else if (discard == DISCARD_DISCARD) {
			if (t->is_file)
				r = target_zero(t, off, len, true);
			else if (ioctl(t->fd, BLKDISCARD, range))
				r = -errno;
		}
	} else if (rec->flags & DMR_F_ZEROES) {
		r = target_zero(t, off, len, false);
	} else if (len) {
		r = copy_data(t, lg, rec, pos);
	}
	if (r)
		return r;
	if ((rec->flags & DMR_F_FUA) && fdatasync(t->fd))
		return -errno;
	return 0;
}

/* @env with NAME=VALUE for @name set (added or replaced); NULL when out of memory. */
static char **env_set(char **env, size_t *n, const char *name, const char *value)
{
	size_t len = strlen(name), i;
	char *kv = malloc(len + strlen(value) + 2), **grown;

	if (!kv)
		return NULL;
	sprintf(kv, "%s=%s", name, value);
	for (i = 0; i < *n; i++) {
		if (!strncmp(env[i], name, len) && env[i][len] == '=') {
			env[i] = kv;
			return env;
		}
	}
	grown = realloc(env, (*n + 2) * sizeof(*env));
	if (!grown) {
		free(kv);
		return NULL;
	}
	grown[(*n)++] = kv;
	grown[*n] = NULL;
	return grown;
}

/*
 * Run a check command under sh, once the target's data is on the device
 * and out of the page cache, with TARGET, DMREPLAY_TARGET, DMREPLAY_LOG and
 * the name/value pairs of @vars (NULL-terminated) in its environment.
 * Returns its exit status (or 128 + signal). posix_spawn: no copy of a
 * large process per state.
 */
int run_cmd(const char *cmd, struct target *t, const char *log, const char *const *vars)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	size_t n = 0, base, i;
	char **env;
	int status, r;
	pid_t pid;

	if (fdatasync(t->fd))
		return -errno;
	if (t->is_blk)
		ioctl(t->fd, BLKFLSBUF, 0);
	fflush(stdout);
	fflush(stderr);
	while (environ[n])
		n++;
	env = malloc((n + 1) * sizeof(*env));
	if (!env)
		return -ENOMEM;
	memcpy(env, environ, (n + 1) * sizeof(*env));
	base = n;
	env = env_set(env, &n, "TARGET", t->path);
	if (env)
		env = env_set(env, &n, "DMREPLAY_TARGET", t->path);
	if (env)
		env = env_set(env, &n, "DMREPLAY_LOG", log);
	for (; env && *vars; vars += 2)
		env = env_set(env, &n, vars[0], vars[1]);
	if (!env)
		return -ENOMEM;
	r = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, env);
	/* The strings this call made: the replaced and the added ones. */
	for (i = 0; i < n; i++)
		if (i >= base || env[i] != environ[i])
			free(env[i]);
	free(env);
	if (r)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
