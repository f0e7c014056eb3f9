// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of the dmreplay tool's log reader and replay
 * (dm-replay/dmreplay.c, included with its main() renamed), over
 * file-backed logs and targets.
 *
 * The input is a log image whose checksums are recomputed (log-fixup.h).
 * It is written to a memfd and read by "list", "info" and "completions",
 * then replayed onto a 1 MiB zeroed memfd target. Invariants (issue 14,
 * docs/dmreplay.8):
 *   - a replay that fails (any non-zero exit) has written nothing: a
 *     damaged or out-of-range log is refused before the first write;
 *   - a replay that succeeds replayed only entries inside the recorded
 *     device, wrote nothing past it (bytes past dev_sectors stay zero) and
 *     did not grow the target.
 * File writes are capped at 64 MiB (RLIMIT_FSIZE, SIGXFSZ ignored) so a
 * log that asks for terabytes fails with EFBIG instead of filling memory
 * (run with -handle_xfsz=0, as run.sh does).
 *
 * A dm-log-writes v1 image (its magic at offset 0) is taken as it is (the
 * format has no checksums); it has no device size: the device is the
 * target, which a replay must neither grow nor write past, and every entry
 * of a successful replay lies inside it.
 *
 * Not in make test's list while the tool is being hardened (issue 14):
 * run it with "tests/fuzz-host/run.sh dmreplay" (make fuzz-host-dmreplay).
 */
#define main dmreplay_main
#include "../../dm-replay/dmreplay.c"
#undef main
#include "../../dm-replay/replay-log.c"
#include "../../dm-replay/crash-gen.c"
#include "fuzz-host.h"
#include "log-fixup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define TARGET_BYTES	(1 << 20)
#define FSIZE_CAP	(64ULL << 20)

static int log_fd = -1, target_fd = -1;
static char log_path[64], target_path[64];
static u8 *zero_buf;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rlimit rl = { FSIZE_CAP, FSIZE_CAP };
	int null = open("/dev/null", O_WRONLY);

	signal(SIGXFSZ, SIG_IGN);
	FUZZ_ASSERT(!setrlimit(RLIMIT_FSIZE, &rl));
	log_fd = memfd_create("dmreplay-fuzz-log", 0);
	target_fd = memfd_create("dmreplay-fuzz-target", 0);
	FUZZ_ASSERT(log_fd >= 0 && target_fd >= 0 && null >= 0);
	snprintf(log_path, sizeof(log_path), "/proc/self/fd/%d", log_fd);
	snprintf(target_path, sizeof(target_path), "/proc/self/fd/%d", target_fd);
	/* the tool's listings are not the point */
	FUZZ_ASSERT(dup2(null, STDOUT_FILENO) == STDOUT_FILENO);
	close(null);
	zero_buf = calloc(1, TARGET_BYTES);
	return 0;
}

/*
 * The descriptors open now, as a bitmap of the first 1024. The tool leaks
 * the log's descriptor when it refuses a log (issue 14); unclosed, 1024
 * refused logs would leave every later input failing at open(), so leaked
 * ones are closed here, and counted as a finding unless
 * FUZZ_DMREPLAY_KNOWN_LEAKS is set in the environment.
 */
static void open_fds(u8 *map)
{
	int fd;

	memset(map, 0, 1024);
	for (fd = 0; fd < 1024; fd++)
		map[fd] = fcntl(fd, F_GETFD) != -1;
}

static void close_leaked_fds(const u8 *before)
{
	u8 now[1024];
	int fd, leaked = 0;

	open_fds(now);
	for (fd = 0; fd < 1024; fd++) {
		if (now[fd] && !before[fd]) {
			close(fd);
			leaked++;
		}
	}
	if (leaked && !getenv("FUZZ_DMREPLAY_KNOWN_LEAKS")) {
		fprintf(stderr, "dmreplay left %d descriptor(s) open\n", leaked);
		FUZZ_ASSERT(!"no descriptor leaked");
	}
}

static int run(const char *a0, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = a3 ? 4 : a2 ? 3 : 2;
	u8 before[1024];
	int r;

	open_fds(before);
	optind = 1;
	r = dmreplay_main(argc, argv);
	close_leaked_fds(before);
	return r;
}

/*
 * After a successful replay: every I/O entry of the log lies inside the
 * recorded device (the tool refuses the others, issue 14), read back with
 * the tool's own reader.
 */
static void check_in_device(void)
{
	struct dmr_rec rec;
	struct log lg;

	FUZZ_ASSERT(!log_open(&lg, log_path));
	if (lg.lw) {
		/* the size the scan finds, held to the target's */
		FUZZ_ASSERT(!log_scan(&lg));
		FUZZ_ASSERT(lg.sb.dev_sectors <= TARGET_BYTES / 512);
	}
	while (log_next(&lg, &rec, false) == NEXT_ENTRY) {
		if (rec.type != DMR_TYPE_IO)
			continue;
		if (rec.sector > lg.sb.dev_sectors ||
		    rec.nr_sectors > lg.sb.dev_sectors - rec.sector) {
			fprintf(stderr, "replayed entry %llu: sectors %llu+%llu of a %llu-sector device\n",
				(unsigned long long)rec.seq, (unsigned long long)rec.sector,
				(unsigned long long)rec.nr_sectors,
				(unsigned long long)lg.sb.dev_sectors);
			FUZZ_ASSERT(!"a replayed entry lies inside the recorded device");
		}
	}
	log_close(&lg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 *back;
	struct dmr_sb sb = { 0 };
	struct stat st;
	u64 dev_bytes;
	bool lw;
	u8 *img;
	int r;

	img = malloc(size + 1);
	memcpy(img, data, size);
	lw = lw_is_super(img, size);
	if (!lw)
		fix_crcs(img, size);
	FUZZ_ASSERT(!ftruncate(log_fd, 0) && !ftruncate(log_fd, size));
	FUZZ_ASSERT(pwrite(log_fd, img, size, 0) == (ssize_t)size);
	if (lw)
		sb.dev_sectors = TARGET_BYTES / 512;
	else if (size >= sizeof(struct dmr_super))
		dmr_super_decode((const struct dmr_super *)img, &sb);
	free(img);

	r = run("dmreplay", "list", log_path, NULL);
	FUZZ_ASSERT(r == 0 || r == EXIT_DAMAGED || r == EXIT_RUNTIME);
	r = run("dmreplay", "info", log_path, NULL);
	FUZZ_ASSERT(r == 0 || r == EXIT_DAMAGED || r == EXIT_RUNTIME);
	r = run("dmreplay", "completions", log_path, NULL);
	FUZZ_ASSERT(r == 0 || r == EXIT_DAMAGED || r == EXIT_RUNTIME);

	FUZZ_ASSERT(!ftruncate(target_fd, 0) && !ftruncate(target_fd, TARGET_BYTES));
	r = run("dmreplay", "replay", log_path, target_path);
	FUZZ_ASSERT(r == 0 || r == EXIT_DAMAGED || r == EXIT_RUNTIME);
	FUZZ_ASSERT(!fstat(target_fd, &st));
	if (!back)
		back = malloc(TARGET_BYTES);
	if (r) {
		if (st.st_size != TARGET_BYTES)
			fprintf(stderr, "refused replay resized the target to %lld bytes\n",
				(long long)st.st_size);
		FUZZ_ASSERT(st.st_size == TARGET_BYTES);
		FUZZ_ASSERT(pread(target_fd, back, TARGET_BYTES, 0) == TARGET_BYTES);
		FUZZ_ASSERT(!memcmp(back, zero_buf, TARGET_BYTES) ||
			    !"a refused replay wrote nothing");
		return 0;
	}
	check_in_device();
	if (st.st_size != TARGET_BYTES)
		fprintf(stderr, "replay of a %llu-sector device resized a %d-byte target to %lld bytes\n",
			(unsigned long long)sb.dev_sectors, TARGET_BYTES, (long long)st.st_size);
	FUZZ_ASSERT(st.st_size == TARGET_BYTES);
	dev_bytes = sb.dev_sectors < TARGET_BYTES / 512 ? sb.dev_sectors * 512 : TARGET_BYTES;
	FUZZ_ASSERT(pread(target_fd, back, TARGET_BYTES, 0) == TARGET_BYTES);
	if (memcmp(back + dev_bytes, zero_buf, TARGET_BYTES - dev_bytes))
		fprintf(stderr, "replay wrote past the recorded device's %llu sectors\n",
			(unsigned long long)sb.dev_sectors);
	FUZZ_ASSERT(!memcmp(back + dev_bytes, zero_buf, TARGET_BYTES - dev_bytes));
	return 0;
}
