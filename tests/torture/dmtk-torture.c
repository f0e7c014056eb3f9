// SPDX-License-Identifier: GPL-2.0
/*
 * dmtk-torture: seeded random block I/O for long runs over a dm-verify stack.
 *
 * N worker threads issue O_DIRECT reads and writes, fdatasync flushes and
 * BLKDISCARD discards of random sizes at random, overlapping offsets of a
 * region of a block device. Each worker draws its requests from its own
 * SplitMix64 stream, seeded from (seed, worker id), so one seed always gives
 * the same request stream per worker; how the workers' streams interleave
 * depends on scheduling (use --threads 1 for a fully repeatable sequence).
 * The oracle is dm-verify below: with on_mismatch:error a corrupt read fails
 * with EIO, and every failed request is reported here and makes the exit
 * code non-zero. --check adds an oracle of its own: workers get disjoint
 * stripes and every read is compared with what the worker last wrote.
 *
 * Exit codes: 0 clean run, 1 I/O errors, 2 usage or set-up error,
 * 3 data mismatches found by --check (possibly with I/O errors too).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dmtk-prng.h"

#include <linux/fs.h>

enum { OP_READ, OP_WRITE, OP_FLUSH, OP_DISCARD, NR_OPS };

static bool is_file;

static const char *const op_names[NR_OPS] = { "read", "write", "flush", "discard" };

/* Errors printed per worker before the rest are only counted. */
#define MAX_REPORTS 10
/* A sector's tag in --check mode: nothing known about its contents. */
#define TAG_UNKNOWN 0

struct options {
	const char *dev;
	u64 seed;
	u64 ops;
	unsigned int threads;
	u64 offset;		/* first sector of the region */
	u64 region;		/* sectors; 0: the device from offset on */
	unsigned int max_sectors;
	unsigned int mix[NR_OPS];
	const char *diff;
	bool check;
	bool quiet;
};

struct worker {
	pthread_t thread;
	unsigned int id;
	const struct options *opt;
	int fd;
	unsigned int lbs;	/* logical block size in sectors */
	u64 first, nr_sectors;	/* the sectors this worker may touch */
	u64 ops;
	u64 *tags;		/* --check: the tag of each sector written */
	u64 done[NR_OPS];
	u64 errors[NR_OPS];
	u64 unsupported;
	u64 mismatches;
	u64 bytes;
	u64 stream_hash;	/* FNV-1a over (op, sector, length) */
	unsigned int reports;
	int first_errno;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmtk-torture [options] DEVICE\n"
		"  --seed N          PRNG seed (default: from the clock; always printed)\n"
		"  --ops N           total requests over all workers (default 20000)\n"
		"  --threads N       workers, i.e. requests in flight (default 16)\n"
		"  --offset S        first sector of the region (default 0)\n"
		"  --region S        region length in sectors, or with a K/M/G suffix in\n"
		"                    bytes (default: the device from the offset on)\n"
		"  --size S          the same as --region\n"
		"  --max-sectors N   largest request in sectors (default 256)\n"
		"  --mix R:W:F:D     weights of read, write, flush, discard (default 50:40:5:5)\n"
		"  --check           disjoint stripes per worker; compare every read with\n"
		"                    the data last written (an oracle without dm-verify)\n"
		"  --quiet           print only the summary\n"
		"  --diff OTHER      no I/O load: compare the region of DEVICE and OTHER in\n"
		"                    chunks of --max-sectors and print how many chunks differ\n"
		"                    and the first differing sector (exit 1 if any)\n"
		"Exit: 0 clean, 1 I/O errors, 2 usage error, 3 --check mismatches.\n");
}

static bool parse_u64(const char *s, u64 *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

/* Sectors, or bytes with a K, M or G suffix. */
static bool parse_sectors(const char *s, u64 *v)
{
	size_t n = strlen(s);
	char buf[64];
	int shift = 0;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n + 1);
	switch (buf[n - 1]) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	}
	if (shift)
		buf[n - 1] = '\0';
	if (!parse_u64(buf, v))
		return false;
	if (shift) {
		if (*v > (UINT64_MAX >> shift))
			return false;
		*v = (*v << shift) >> 9;
	}
	return true;
}

static bool parse_mix(const char *s, unsigned int mix[NR_OPS])
{
	unsigned int total = 0;
	int i, n;

	if (sscanf(s, "%u:%u:%u:%u%n", &mix[0], &mix[1], &mix[2], &mix[3], &n) != 4 ||
	    s[n])
		return false;
	for (i = 0; i < NR_OPS; i++) {
		if (mix[i] > 1000000)
			return false;
		total += mix[i];
	}
	return total > 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hash_request(struct worker *w, int op, u64 sector, u64 len)
{
	u64 v[3] = { (u64)op, sector, len };
	const unsigned char *p = (const unsigned char *)v;
	size_t i;

	for (i = 0; i < sizeof(v); i++) {
		w->stream_hash ^= p[i];
		w->stream_hash *= 0x100000001b3ULL;
	}
}

/*
 * The contents of one written sector: its own number and the write's tag
 * in the first 16 bytes (so a misdirected write is recognisable in a hex
 * dump), then bytes from a PRNG seeded by both.
 */
static void fill_sector(u8 *p, u64 sector, u64 tag)
{
	struct dmtk_prng prng;
	u64 v;
	int i;

	memcpy(p, &sector, 8);
	memcpy(p + 8, &tag, 8);
	dmtk_prng_seed(&prng, tag ^ (sector * 0x9e3779b97f4a7c15ULL));
	for (i = 16; i < 512; i += 8) {
		v = dmtk_prng_next(&prng);
		memcpy(p + i, &v, 8);
	}
}

static void report(struct worker *w, int op, u64 sector, u64 len, const char *what)
{
	if (w->opt->quiet || ++w->reports > MAX_REPORTS)
		return;
	fprintf(stderr, "dmtk-torture: worker %u: %s sector=%" PRIu64 " sectors=%" PRIu64
		": %s\n", w->id, op_names[op], sector, len, what);
}

static void check_read(struct worker *w, const u8 *buf, u64 sector, u64 len)
{
	u8 want[512];
	char what[96];
	u64 i, tag;

	for (i = 0; i < len; i++) {
		tag = w->tags[sector + i - w->first];
		if (tag == TAG_UNKNOWN)
			continue;
		fill_sector(want, sector + i, tag);
		if (!memcmp(want, buf + i * 512, 512))
			continue;
		w->mismatches++;
		snprintf(what, sizeof(what), "data mismatch at sector %" PRIu64, sector + i);
		report(w, OP_READ, sector, len, what);
		return;
	}
}

/* --diff: chunks of the region that differ between two devices. */
static int diff_devices(int fd, const struct options *opt)
{
	u64 len = opt->max_sectors, s, n, chunks = 0, first = 0, i;
	u8 *a, *b;
	int other;

	other = open(opt->diff, O_RDONLY | O_DIRECT);
	if (other < 0 || posix_memalign((void **)&a, 4096, len * 512) ||
	    posix_memalign((void **)&b, 4096, len * 512)) {
		fprintf(stderr, "dmtk-torture: %s: %s\n", opt->diff, strerror(errno));
		return 2;
	}
	for (s = opt->offset; s < opt->offset + opt->region; s += n) {
		n = opt->offset + opt->region - s < len ? opt->offset + opt->region - s : len;
		if (pread(fd, a, n * 512, s * 512) != (ssize_t)n * 512 ||
		    pread(other, b, n * 512, s * 512) != (ssize_t)n * 512) {
			fprintf(stderr, "dmtk-torture: read at sector %" PRIu64 " failed\n", s);
			return 2;
		}
		if (!memcmp(a, b, n * 512))
			continue;
		for (i = 0; !chunks && i < n; i++)
			if (memcmp(a + i * 512, b + i * 512, 512)) {
				first = s + i;
				break;
			}
		chunks++;
	}
	if (chunks)
		printf("dmtk-torture: diff chunks=%" PRIu64 " first_sector=%" PRIu64 "\n",
		       chunks, first);
	else
		printf("dmtk-torture: diff chunks=0 first_sector=-\n");
	free(a);
	free(b);
	close(other);
	return chunks ? 1 : 0;
}

static int pick_op(struct dmtk_prng *prng, const unsigned int mix[NR_OPS], u32 total)
{
	u32 r = dmtk_prng_below(prng, total);
	int op;

	for (op = 0; op < NR_OPS - 1; op++) {
		if (r < mix[op])
			return op;
		r -= mix[op];
	}
	return op;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const struct options *opt = w->opt;
	u32 total = opt->mix[0] + opt->mix[1] + opt->mix[2] + opt->mix[3];
	u64 max_len = opt->max_sectors, n, sector, len, range[2];
	unsigned int lbs = w->lbs;
	struct dmtk_prng prng;
	char what[64];
	ssize_t r;
	u8 *buf;
	int op;

	/* The worker's own stream: the seed mixed with its id. */
	dmtk_prng_seed(&prng, opt->seed ^ ((u64)(w->id + 1) * 0xd1b54a32d192ed03ULL));
	dmtk_prng_next(&prng);
	w->stream_hash = 0xcbf29ce484222325ULL;
	if (max_len > w->nr_sectors)
		max_len = w->nr_sectors;
	max_len -= max_len % lbs;
	if (posix_memalign((void **)&buf, 4096, max_len * 512)) {
		fprintf(stderr, "dmtk-torture: out of memory\n");
		w->errors[OP_READ]++;
		return NULL;
	}

	for (n = 0; n < w->ops; n++) {
		op = pick_op(&prng, opt->mix, total);
		/* Half the requests are 4 KiB multiples, as filesystems issue. */
		if (dmtk_prng_below(&prng, 2) && max_len >= 8 && lbs <= 8)
			len = 8 * (1 + dmtk_prng_below(&prng, max_len / 8));
		else
			len = lbs * (1 + dmtk_prng_below(&prng, max_len / lbs));
		sector = dmtk_prng_below(&prng, (w->nr_sectors - len) / lbs + 1) * lbs;
		sector += w->first;
		if (op == OP_FLUSH) {
			sector = 0;
			len = 0;
		}
		hash_request(w, op, sector, len);

		switch (op) {
		case OP_READ:
			r = pread(w->fd, buf, len * 512, sector * 512);
			break;
		case OP_WRITE: {
			u64 tag = dmtk_prng_next(&prng) | 1, i;

			for (i = 0; i < len; i++)
				fill_sector(buf + i * 512, sector + i, tag);
			r = pwrite(w->fd, buf, len * 512, sector * 512);
			if (w->tags)
				for (i = 0; i < len; i++)
					w->tags[sector + i - w->first] = r == (ssize_t)len * 512 ?
						tag : TAG_UNKNOWN;
			break;
		}
		case OP_FLUSH:
			r = fdatasync(w->fd);
			break;
		default:
			range[0] = sector * 512;
			range[1] = len * 512;
			if (is_file)
				r = fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					      range[0], range[1]);
			else
				r = ioctl(w->fd, BLKDISCARD, range);
			if (r < 0 && errno == EOPNOTSUPP) {
				w->unsupported++;
				continue;
			}
			if (w->tags)
				memset(w->tags + (sector - w->first), 0, len * sizeof(u64));
			break;
		}
		if (r < 0 || (op <= OP_WRITE && r != (ssize_t)len * 512)) {
			if (!w->first_errno)
				w->first_errno = r < 0 ? errno : EIO;
			w->errors[op]++;
			snprintf(what, sizeof(what), "%s",
				 r < 0 ? strerror(errno) : "short transfer");
			report(w, op, sector, len, what);
			continue;
		}
		w->done[op]++;
		if (op <= OP_WRITE)
			w->bytes += len * 512;
		if (op == OP_READ && w->tags)
			check_read(w, buf, sector, len);
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct options opt = {
		.ops = 20000, .threads = 16, .max_sectors = 256,
		.mix = { 50, 40, 5, 5 },
	};
	u64 dev_sectors, total[NR_OPS] = { 0 }, errors[NR_OPS] = { 0 };
	u64 unsupported = 0, mismatches = 0, bytes = 0, hash = 0, stripe;
	bool seeded = false;
	struct worker *w;
	struct stat st;
	unsigned int i;
	int fd, lbs, op, rc = 0;
	double t0, secs;

	for (i = 1; i < (unsigned int)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (unsigned int)argc ? argv[i + 1] : NULL;
		u64 x;
		bool ok = true;

		if (!strcmp(a, "--check")) {
			opt.check = true;
			continue;
		} else if (!strcmp(a, "--quiet")) {
			opt.quiet = true;
			continue;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (a[0] != '-') {
			if (opt.dev) {
				usage(stderr);
				return 2;
			}
			opt.dev = a;
			continue;
		}
		if (!v) {
			fprintf(stderr, "dmtk-torture: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--seed")) {
			ok = parse_u64(v, &opt.seed);
			seeded = true;
		} else if (!strcmp(a, "--ops")) {
			ok = parse_u64(v, &opt.ops);
		} else if (!strcmp(a, "--threads")) {
			ok = parse_u64(v, &x) && x >= 1 && x <= 1024;
			opt.threads = x;
		} else if (!strcmp(a, "--offset")) {
			ok = parse_sectors(v, &opt.offset);
		} else if (!strcmp(a, "--region") || !strcmp(a, "--size")) {
			ok = parse_sectors(v, &opt.region) && opt.region;
		} else if (!strcmp(a, "--max-sectors")) {
			ok = parse_u64(v, &x) && x >= 1 && x <= 8192;
			opt.max_sectors = x;
		} else if (!strcmp(a, "--diff")) {
			opt.diff = v;
		} else if (!strcmp(a, "--mix")) {
			ok = parse_mix(v, opt.mix);
		} else {
			fprintf(stderr, "dmtk-torture: unknown option %s\n", a);
			return 2;
		}
		if (!ok) {
			fprintf(stderr, "dmtk-torture: bad value for %s: '%s'\n", a, v);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!opt.dev) {
		usage(stderr);
		return 2;
	}
	if (!seeded)
		opt.seed = (u64)time(NULL) ^ ((u64)getpid() << 32);

	/* A regular file also works (host tests): discard punches holes. */
	fd = open(opt.dev, O_RDWR | O_DIRECT);
	if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode)) {
		is_file = true;
		dev_sectors = st.st_size;
		lbs = 512;
	} else if (fd < 0 || ioctl(fd, BLKGETSIZE64, &dev_sectors) ||
		   ioctl(fd, BLKSSZGET, &lbs)) {
		fprintf(stderr, "dmtk-torture: %s: %s\n", opt.dev, strerror(errno));
		return 2;
	}
	dev_sectors >>= 9;
	lbs /= 512;
	if (!opt.region && opt.offset < dev_sectors)
		opt.region = dev_sectors - opt.offset;
	if (opt.offset % lbs || opt.region % lbs || opt.offset + opt.region > dev_sectors ||
	    opt.region < (u64)lbs || opt.max_sectors < (unsigned int)lbs) {
		fprintf(stderr, "dmtk-torture: region %" PRIu64 "+%" PRIu64
			" does not fit %s (%" PRIu64 " sectors, %d-sector blocks)\n",
			opt.offset, opt.region, opt.dev, dev_sectors, lbs);
		return 2;
	}
	if (opt.diff)
		return diff_devices(fd, &opt);
	stripe = opt.region / opt.threads / lbs * lbs;
	if (opt.check && !stripe) {
		fprintf(stderr,
			"dmtk-torture: --check needs a region of at least one block per thread\n");
		return 2;
	}

	printf("dmtk-torture: seed=%" PRIu64 " ops=%" PRIu64 " threads=%u device=%s\n",
	       opt.seed, opt.ops, opt.threads, opt.dev);
	printf("dmtk-torture: reproduce with: dmtk-torture --seed %" PRIu64 " --ops %" PRIu64
	       " --threads %u --offset %" PRIu64 " --region %" PRIu64 " --max-sectors %u"
	       " --mix %u:%u:%u:%u%s %s\n", opt.seed, opt.ops, opt.threads, opt.offset,
	       opt.region, opt.max_sectors, opt.mix[0], opt.mix[1], opt.mix[2], opt.mix[3],
	       opt.check ? " --check" : "", opt.dev);
	fflush(stdout);

	w = calloc(opt.threads, sizeof(*w));
	if (!w)
		return 2;
	t0 = now();
	for (i = 0; i < opt.threads; i++) {
		w[i].id = i;
		w[i].opt = &opt;
		w[i].fd = fd;
		w[i].lbs = lbs;
		w[i].ops = opt.ops / opt.threads + (i < opt.ops % opt.threads);
		w[i].first = opt.offset;
		w[i].nr_sectors = opt.region;
		if (opt.check) {
			w[i].first = opt.offset + i * stripe;
			w[i].nr_sectors = stripe;
			w[i].tags = calloc(stripe, sizeof(u64));
			if (!w[i].tags)
				return 2;
		}
		if (pthread_create(&w[i].thread, NULL, worker_run, &w[i])) {
			fprintf(stderr, "dmtk-torture: cannot start worker %u\n", i);
			return 2;
		}
	}
	for (i = 0; i < opt.threads; i++) {
		pthread_join(w[i].thread, NULL);
		for (op = 0; op < NR_OPS; op++) {
			total[op] += w[i].done[op];
			errors[op] += w[i].errors[op];
		}
		unsupported += w[i].unsupported;
		mismatches += w[i].mismatches;
		bytes += w[i].bytes;
		hash = hash * 31 + w[i].stream_hash;
		free(w[i].tags);
	}
	secs = now() - t0;
	close(fd);

	printf("dmtk-torture: done ops=%" PRIu64 " reads=%" PRIu64 " writes=%" PRIu64
	       " flushes=%" PRIu64 " discards=%" PRIu64 " discards_unsupported=%" PRIu64 "\n",
	       opt.ops, total[OP_READ], total[OP_WRITE], total[OP_FLUSH], total[OP_DISCARD],
	       unsupported);
	printf("dmtk-torture: errors read=%" PRIu64 " write=%" PRIu64 " flush=%" PRIu64
	       " discard=%" PRIu64 " mismatches=%" PRIu64 "\n", errors[OP_READ],
	       errors[OP_WRITE], errors[OP_FLUSH], errors[OP_DISCARD], mismatches);
	printf("dmtk-torture: stream=%016" PRIx64 " seconds=%.1f ops_per_sec=%.0f MiB_per_sec=%.1f\n",
	       hash, secs, secs > 0 ? opt.ops / secs : 0.0,
	       secs > 0 ? bytes / secs / 1048576 : 0.0);
	for (op = 0; op < NR_OPS; op++)
		if (errors[op])
			rc = 1;
	if (mismatches)
		rc = 3;
	if (rc)
		printf("dmtk-torture: FAILED (seed %" PRIu64 ")\n", opt.seed);
	free(w);
	return rc;
}
