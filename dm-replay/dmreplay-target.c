// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: the target of replay and crash-states: opening it, writing
 * log entries onto it, and running a check command on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dmreplay.h"

/* Zero a range: BLKZEROOUT on a block device, plain writes on a file. */
int zero_range(int fd, u64 off, u64 len)
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

int apply_entry(int fd, const struct replay_opts *o, const struct dmr_rec *rec,
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

/*
 * Run a check command under sh, once @fd's data is on the device and out of
 * the page cache, with TARGET, DMREPLAY_TARGET, DMREPLAY_LOG and the
 * name/value pairs of @vars (NULL-terminated) in its environment. Returns
 * its exit status (or 128 + signal).
 */
int run_cmd(const char *cmd, const char *target, const char *log, int fd,
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

/* The target, opened for O_DIRECT; a block device must hold the recorded device. */
int open_target(const char *target, const struct log *lg, int *fd)
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
