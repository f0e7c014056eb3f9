// SPDX-License-Identifier: GPL-2.0
/*
 * dmtk-fuzz: seeded fuzzing of a device-mapper target's control plane.
 *
 * For one target at a time it generates table lines from the target's
 * grammar, mutates most of them (wrong counts, huge and negative numbers,
 * overflowing ranges, long, empty and escaped words, non-UTF-8 bytes,
 * duplicated options, devices that do not exist) and loads each into the
 * inactive slot of one device through libdevmapper, so no process is
 * started per line. A rejected line must leave a specific error in the
 * kernel log (never dm core's default "Unknown error"). An accepted line is
 * made live and must then work: small O_DIRECT reads and writes complete
 * (with any status), status and table queries succeed, and the table it
 * reports loads again and reports itself unchanged (round trip). Messages,
 * generated and mutated the same way, are sent to the live table.
 *
 * I/O that a generated rule holds (a breakpoint, a long delay) is released
 * the way a user would: "resume all", then a suspend, which must never hang.
 * The kernel log is read after every step; the first BUG, WARNING, Oops or
 * sanitizer report stops the run and names the input that caused it.
 *
 * Exit codes: 0 clean, 1 findings (printed), 2 usage or set-up error,
 * 4 I/O that did not complete even after a suspend (a hang).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libdevmapper.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "dmtk-prng.h"

#define MAX_WORDS 64
#define MAX_LINE 16384
/* Findings printed in full before the rest are only counted. */
#define MAX_REPORTS 20

struct words {
	int n;
	char *w[MAX_WORDS];
};

struct target_gen {
	const char *name;
	void (*table)(struct words *ws);
	void (*message)(struct words *ws);
};

static struct dmtk_prng prng;
static const char *dev_a = "/dev/ram1", *dev_b = "/dev/ram2", *dev_c = "/dev/ram3";
static u64 dev_sectors = 131072;
static bool dry_run, verbose;
static int kmsg_fd = -1;
static double io_timeout = 3.0;

static struct {
	u64 lines, rejected, rejected_at_resume, accepted, msgs, msg_rejected, msg_accepted;
	u64 logged, unspecific, roundtrip, io_errors, held, splats, dm_failures;
} st;

static unsigned int rnd(unsigned int n)
{
	return n ? dmtk_prng_below(&prng, n) : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

static char *fmt(const char *f, ...)
{
	char buf[MAX_LINE];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	return xstrdup(buf);
}

static void add(struct words *ws, char *w)
{
	if (ws->n < MAX_WORDS)
		ws->w[ws->n++] = w;
	else
		free(w);
}

static void clear_words(struct words *ws)
{
	int i;

	for (i = 0; i < ws->n; i++)
		free(ws->w[i]);
	ws->n = 0;
}

static const char *const interesting[] = {
	"0", "1", "-1", "2", "3", "7", "8", "9", "100", "101", "511", "512", "4096",
	"65535", "65536", "131071", "131072", "131073", "2147483647", "2147483648",
	"-2147483648", "4294967295", "4294967296", "9223372036854775807",
	"9223372036854775808", "-9223372036854775808", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999999", "0x10", "010", "1e3",
	"+5", "1.5", "5k", "-0", "00000000000000000000000000001",
};

static const char *num(void)
{
	return interesting[rnd(ARRAY_SIZE(interesting))];
}

/* A small number most of the time, an interesting one sometimes. */
static char *small(unsigned int bound)
{
	return chance(90) ? fmt("%u", rnd(bound)) : xstrdup(num());
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd(n)];
}

#define PICK(...) ({ static const char *const _v[] = { __VA_ARGS__ }; \
	pick(_v, ARRAY_SIZE(_v)); })

static char *device(const char *usual)
{
	if (chance(85))
		return xstrdup(usual);
	return xstrdup(PICK("/dev/ram1", "/dev/ram2", "/dev/ram3", "/dev/ram4",
			    "/dev/nonexistent", "/dev/null", "/dev/mapper/control",
			    "1:1", "1:2", "1:999", "0:0", "999:999", "-1:1",
			    "4294967296:1", "/dev/ram", "ram1", "/", "/dev/ram1/"));
}

static char *sector_arg(void)
{
	switch (rnd(4)) {
	case 0:
		return xstrdup(num());
	case 1:
		return fmt("%" PRIu64, dev_sectors - rnd(4));
	default:
		return fmt("%u", rnd(64));
	}
}

/* ---- dm-inject ---- */

static char *inject_rule(void)
{
	static const char *const types[] = { "error", "state", "delay", "corrupt", "drop",
		"torn", "misdirect", "break" };
	char buf[1024];
	int i, n = rnd(4);
	const char *type = chance(95) ? types[rnd(ARRAY_SIZE(types))] :
		PICK("bogus", "", "error:", "ERROR", "delay2");
	size_t len;

	len = snprintf(buf, sizeof(buf), "%s:", type);
	if (chance(95))
		len += snprintf(buf + len, sizeof(buf) - len, "event=%s",
				PICK("read", "write", "flush", "discard", "write_zeroes",
				     "any", "read_aio", "write_aio", "flush_to_disk", "bogus",
				     "", "read+write"));
	for (i = 0; i < n && len < sizeof(buf) - 64; i++) {
		const char *a;
		char *v = NULL;

		switch (rnd(24)) {
		case 0:
			a = "sector";
			v = sector_arg();
			break;
		case 1:
			a = "sectors";
			v = fmt("%s-%s", num(), chance(50) ? num() : "10");
			break;
		case 2:
			a = "sectors";
			v = fmt("%u-%u", rnd(100), rnd(100));
			break;
		case 3:
			a = "state";
			v = small(4);
			break;
		case 4:
			a = "new_state";
			v = small(4);
			break;
		case 5:
			a = "once";
			break;
		case 6:
			a = "nth";
			v = small(5);
			break;
		case 7:
			a = "every";
			v = small(5);
			break;
		case 8:
			a = "probability";
			v = small(120);
			break;
		case 9:
			a = "flags";
			v = xstrdup(PICK("meta", "fua", "preflush", "sync", "meta+fua",
					 "fua+fua", "+", "", "bogus", "meta+"));
			break;
		case 10:
			a = "errno";
			v = xstrdup(PICK("5", "28", "61", "3", "0", "-5",
					 "12", "95", "110", "999", "4294967301"));
			break;
		case 11:
			a = "immediately";
			break;
		case 12:
			a = "after";
			break;
		case 13:
			a = "ms";
			v = small(20);
			break;
		case 14:
			a = "us";
			v = small(2000);
			break;
		case 15:
			a = "jitter";
			v = small(20);
			break;
		case 16:
			a = "mode";
			v = xstrdup(PICK("flip", "zero", "random", "bogus", ""));
			break;
		case 17:
			a = "bytes";
			v = small(600);
			break;
		case 18:
			a = "offset";
			v = small(5000);
			break;
		case 19:
			a = "shift";
			v = chance(50) ? fmt("%u", rnd(64)) : xstrdup(num());
			break;
		case 20:
			a = "tag";
			v = xstrdup(PICK("t1", "t2", "x", "", "all",
					 "a-very-long-tag-name-that-goes-on-and-on-and-on-and-on"));
			break;
		case 21:
			a = "silent";
			break;
		case 22:
			a = "sectors";
			v = small(9);
			break;
		default:
			a = PICK("bogus", "event", "=", "ms=1=2", ",");
			break;
		}
		len += snprintf(buf + len, sizeof(buf) - len, ",%s%s%s", a, v ? "=" : "",
				v ? v : "");
		free(v);
	}
	return xstrdup(buf);
}

static void inject_table(struct words *ws)
{
	int i, n = rnd(5), count;

	add(ws, device(dev_a));
	add(ws, chance(90) ? xstrdup("0") : sector_arg());
	count = ws->n;
	add(ws, NULL);
	for (i = 0; i < n; i++) {
		switch (rnd(6)) {
		case 0:
			add(ws, fmt("seed:%s", chance(80) ? "42" : num()));
			break;
		case 1:
			add(ws, fmt("log:%s", PICK("0", "1", "2", "yes", "")));
			break;
		case 2:
			add(ws, fmt("max_transfer:%s",
				    PICK("4096", "512", "65536", "1000", "0", "1", "-4096",
					 "4294967296"))); break;
		case 3:
			add(ws, fmt("align:%s", PICK("4096", "512", "1024", "3000", "0",
						     "65536", "8192", "-512"))); break;
		default:
			add(ws, inject_rule());
			break;
		}
	}
	ws->w[count] = fmt("%d", ws->n - count - 1);
	if (n == 0 && chance(50)) {
		/* No optional arguments at all. */
		free(ws->w[count]);
		ws->n = count;
	}
}

static void inject_message(struct words *ws)
{
	switch (rnd(10)) {
	case 0:
	case 1:
	case 2:
		add(ws, xstrdup("add"));
		add(ws, inject_rule());
		break;
	case 3:
		add(ws, xstrdup("remove"));
		add(ws, small(6));
		break;
	case 4:
		add(ws, xstrdup("clear"));
		break;
	case 5:
		add(ws, xstrdup("state"));
		add(ws, small(5));
		break;
	case 6:
		add(ws, xstrdup("resume"));
		add(ws, xstrdup(PICK("all", "t1", "t2", "x")));
		break;
	case 7:
		add(ws, xstrdup("remove_break"));
		add(ws, xstrdup(PICK("t1", "t2", "all")));
		break;
	case 8:
		add(ws, xstrdup("reset"));
		break;
	default:
		add(ws, xstrdup(PICK("bogus", "ADD", "add", "resume", "state", "")));
		break;
	}
}

/* ---- dm-verify ---- */

static void verify_table(struct words *ws)
{
	int i, n = rnd(4), count;

	add(ws, device(dev_a));
	add(ws, chance(90) ? xstrdup("0") : sector_arg());
	add(ws, device(dev_b));
	add(ws, chance(90) ? xstrdup("0") : sector_arg());
	count = ws->n;
	add(ws, NULL);
	for (i = 0; i < n; i++) {
		if (chance(60))
			add(ws, fmt("on_mismatch:%s", PICK("error", "log", "reference",
							   "bogus", "", "ERROR")));
		else
			add(ws, xstrdup(PICK("verify_writes", "verify_writes:1", "on_mismatch",
					     "bogus")));
	}
	ws->w[count] = fmt("%d", ws->n - count - 1);
	if (n == 0 && chance(50)) {
		free(ws->w[count]);
		ws->n = count;
	}
}

static void verify_message(struct words *ws)
{
	add(ws, xstrdup(chance(70) ? "clear" : PICK("CLEAR", "bogus", "clear", "")));
	if (chance(20))
		add(ws, small(3));
}

/* ---- dm-replay ---- */

static void replay_table(struct words *ws)
{
	int i, n = rnd(4), count;

	add(ws, xstrdup(chance(95) ? "record" : PICK("replay", "RECORD", "", "bogus")));
	add(ws, device(dev_b));
	add(ws, device(dev_c));
	count = ws->n;
	add(ws, NULL);
	for (i = 0; i < n; i++) {
		if (chance(50))
			add(ws, fmt("on_log_full:%s", PICK("error", "passthrough", "bogus", "")));
		else
			add(ws, fmt("max_pending_mb:%s", chance(50) ? "4" : num()));
	}
	ws->w[count] = fmt("%d", ws->n - count - 1);
	if (n == 0 && chance(50)) {
		free(ws->w[count]);
		ws->n = count;
	}
}

static void replay_message(struct words *ws)
{
	add(ws, xstrdup(chance(80) ? "mark" : PICK("MARK", "bogus", "")));
	if (chance(90))
		add(ws, xstrdup(PICK("m1", "m2", "a", "", "name-with-dash",
				     "x123456789012345678901234567890123456789012345678901234567890")));
}

/* ---- stock targets, to check the fuzzer itself ---- */

static void flakey_table(struct words *ws)
{
	int count;

	add(ws, device(dev_a));
	add(ws, xstrdup("0"));
	add(ws, small(5));
	add(ws, small(5));
	if (chance(30))
		return;
	count = ws->n;
	add(ws, NULL);
	switch (rnd(4)) {
	case 0:
		add(ws, xstrdup("drop_writes"));
		break;
	case 1:
		add(ws, xstrdup("error_writes"));
		break;
	default:
		add(ws, xstrdup("corrupt_bio_byte"));
		add(ws, small(600));
		add(ws, xstrdup(PICK("r", "w")));
		add(ws, small(16));
		add(ws, small(256));
	}
	ws->w[count] = fmt("%d", ws->n - count - 1);
}

static void no_message(struct words *ws)
{
	add(ws, xstrdup(PICK("bogus", "clear", "")));
}

static const struct target_gen targets[] = {
	{ "inject", inject_table, inject_message },
	{ "verify", verify_table, verify_message },
	{ "replay", replay_table, replay_message },
	{ "flakey", flakey_table, no_message },
};

/* ---- mutations ---- */

static char *long_word(void)
{
	size_t n = chance(50) ? 100 + rnd(400) : 1000 + rnd(9000);
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memset(p, PICK("A", "9", "-", ",", ":", "=")[0], n);
	if (chance(50))
		memcpy(p, "error:event=read,", 17 < n ? 17 : n);
	p[n] = '\0';
	return p;
}

/* Bytes that are not UTF-8, control characters and escapes, never NUL or space. */
static char *odd_bytes(const char *base)
{
	static const char *const odd[] = { "\xff", "\xfe\xff", "\xc3\x28", "\x80", "\xed\xa0\x80",
		"\x01", "\x7f", "\x1b[0m", "\\", "\\ ", "%s%n", "\xf4\x90\x80\x80" };
	size_t bl = strlen(base), at = rnd(bl + 1);
	const char *o = odd[rnd(ARRAY_SIZE(odd))];

	return fmt("%.*s%s%s", (int)at, base, o, base + at);
}

static char *mutate_value(const char *w)
{
	const char *sep = strrchr(w, chance(50) ? '=' : ':');

	if (!sep)
		sep = strchr(w, '=');
	if (!sep)
		return xstrdup(num());
	return fmt("%.*s%s", (int)(sep - w + 1), w, num());
}

static void mutate(struct words *ws)
{
	int i, j, n = 1 + rnd(2);
	char *t;

	for (; n > 0; n--) {
		if (!ws->n) {
			add(ws, xstrdup(num()));
			continue;
		}
		i = rnd(ws->n);
		switch (rnd(11)) {
		case 0:	/* a number where anything was */
			free(ws->w[i]);
			ws->w[i] = xstrdup(num());
			break;
		case 1:
			t = mutate_value(ws->w[i]);
			free(ws->w[i]);
			ws->w[i] = t;
			break;
		case 2:
			free(ws->w[i]);
			ws->w[i] = long_word();
			break;
		case 3:
			t = odd_bytes(ws->w[i]);
			free(ws->w[i]);
			ws->w[i] = t;
			break;
		case 4:	/* duplicate a word: repeated options and rules */
			if (ws->n < MAX_WORDS) {
				memmove(ws->w + i + 1, ws->w + i, (ws->n - i) * sizeof(char *));
				ws->w[i + 1] = xstrdup(ws->w[i]);
				ws->n++;
			}
			break;
		case 5:
			free(ws->w[i]);
			memmove(ws->w + i, ws->w + i + 1, (ws->n - i - 1) * sizeof(char *));
			ws->n--;
			break;
		case 6:
			j = rnd(ws->n);
			t = ws->w[i];
			ws->w[i] = ws->w[j];
			ws->w[j] = t;
			break;
		case 7:	/* truncate */
			ws->w[i][rnd(strlen(ws->w[i]) + 1)] = '\0';
			if (!ws->w[i][0]) {
				free(ws->w[i]);
				ws->w[i] = xstrdup("\\");
			}
			break;
		case 8:	/* repeat an attribute inside a word */
			t = strchr(ws->w[i], ',');
			t = fmt("%s%s", ws->w[i], t ? t : ",once,once");
			free(ws->w[i]);
			ws->w[i] = t;
			break;
		case 9:	/* a count that does not match */
			for (j = 0; j < ws->n; j++) {
				char *end;
				long v = strtol(ws->w[j], &end, 10);

				if (*end || j < 1)
					continue;
				free(ws->w[j]);
				ws->w[j] = fmt("%ld", v + (chance(50) ? 1 : -1) * (1 + rnd(3)));
				break;
			}
			break;
		default:
			add(ws, chance(50) ? xstrdup(num()) : odd_bytes(""));
			break;
		}
	}
}

static void join(const struct words *ws, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < ws->n && len < size - 1; i++)
		len += snprintf(buf + len, size - len, "%s%s", i ? " " : "", ws->w[i]);
}

/* Printable form of an input for the report. */
static void show(const char *what, const char *s)
{
	size_t n = strlen(s);
	size_t i;

	printf("    %s '", what);
	for (i = 0; i < n && i < 300; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("'%s\n", n > 300 ? "..." : "");
}

/* ---- kernel log ---- */

static const char *const splat_words[] = { "BUG:", "WARNING:", "Oops", "general protection",
	"kernel BUG", "list_add corruption", "list_del corruption", "hung task",
	"blocked for more than", "refcount_t", "UBSAN", "soft lockup", "KASAN",
	"unreferenced object", "Call Trace" };

/*
 * Reads new kernel log records; returns bit 0 for an unspecific ctr error,
 * bit 1 for a splat, bit 2 for any device-mapper line.
 */
static int read_kmsg(void)
{
	char rec[8192];
	ssize_t n;
	size_t i;
	int found = 0;

	if (kmsg_fd < 0)
		return 0;
	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, ": Unknown error"))
			found |= 1;
		if (strstr(rec, "device-mapper:"))
			found |= 4;
		for (i = 0; i < ARRAY_SIZE(splat_words); i++)
			if (strstr(rec, splat_words[i])) {
				found |= 2;
				printf("    kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			}
	}
	return found;
}

/* ---- device-mapper ---- */

static void dm_quiet(int level, const char *file, int line, int dm_errno, const char *f, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, f);
	vfprintf(stderr, f, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct dm_task *task(int type, const char *name)
{
	struct dm_task *dmt = dm_task_create(type);

	if (!dmt || !dm_task_set_name(dmt, name))
		abort();
	dm_task_no_open_count(dmt);
	return dmt;
}

static bool dm_simple(int type, const char *name)
{
	struct dm_task *dmt = task(type, name);
	bool ok = dm_task_run(dmt);

	dm_task_destroy(dmt);
	return ok;
}

/* Loads "start len type params" lines (separated by '\n') into the inactive slot. */
static bool dm_load(const char *name, const char *table)
{
	struct dm_task *dmt = task(DM_DEVICE_RELOAD, name);
	char *copy = xstrdup(table), *line, *save = NULL;
	bool ok = true;

	for (line = strtok_r(copy, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long start, len;
		char type[64];
		int off = 0;

		if (sscanf(line, "%llu %llu %63s %n", &start, &len, type, &off) < 3) {
			ok = false;
			break;
		}
		ok = dm_task_add_target(dmt, start, len, type, line + off);
	}
	ok = ok && dm_task_run(dmt);
	dm_task_destroy(dmt);
	free(copy);
	return ok;
}

/* The live table as "start len type params" lines. */
static bool dm_get(const char *name, int type, char *buf, size_t size)
{
	struct dm_task *dmt = task(type, name);
	uint64_t start, len;
	char *ttype, *params;
	void *next = NULL;
	size_t used = 0;
	bool ok = dm_task_run(dmt);

	buf[0] = '\0';
	while (ok) {
		next = dm_get_next_target(dmt, next, &start, &len, &ttype, &params);
		if (!ttype)
			break;
		used += snprintf(buf + used, size - used, "%s%" PRIu64 " %" PRIu64 " %s %s",
				 used ? "\n" : "", start, len, ttype, params ? params : "");
		if (used >= size)
			ok = false;
		if (!next)
			break;
	}
	dm_task_destroy(dmt);
	return ok;
}

static bool dm_message(const char *name, const char *msg)
{
	struct dm_task *dmt = task(DM_DEVICE_TARGET_MSG, name);
	bool ok;

	dm_task_set_sector(dmt, 0);
	ok = dm_task_set_message(dmt, msg) && dm_task_run(dmt);
	dm_task_destroy(dmt);
	return ok;
}

static int dm_minor(const char *name)
{
	struct dm_task *dmt = task(DM_DEVICE_INFO, name);
	struct dm_info info;
	int minor = -1;

	if (dm_task_run(dmt) && dm_task_get_info(dmt, &info) && info.exists)
		minor = info.minor;
	dm_task_destroy(dmt);
	return minor;
}

/* ---- I/O with a time limit ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char path[64];
	bool busy;
	int result;
} io = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* Writes and reads the first and last blocks; returns 0 or the first errno. */
static int small_io(const char *path)
{
	u64 bytes = 0;
	int lbs = 512, fd, err = 0;
	off_t where[2];
	void *buf;
	int i;

	fd = open(path, O_RDWR | O_DIRECT);
	if (fd < 0)
		return errno;
	if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &lbs) || lbs < 512 ||
	    lbs > 65536 || posix_memalign(&buf, 4096, lbs)) {
		err = errno ? errno : EINVAL;
		close(fd);
		return err;
	}
	where[0] = 0;
	where[1] = bytes >= (u64)lbs ? bytes - lbs : 0;
	for (i = 0; i < 2 && !err; i++) {
		if (pread(fd, buf, lbs, where[i]) != lbs)
			err = errno ? errno : EIO;
		else if (pwrite(fd, buf, lbs, where[i]) != lbs)
			err = errno ? errno : EIO;
	}
	if (!err && fdatasync(fd))
		err = errno;
	free(buf);
	close(fd);
	return err;
}

static void *io_thread(void *arg)
{
	char path[64];

	pthread_mutex_lock(&io.lock);
	for (;;) {
		while (!io.busy || io.result != -1)
			pthread_cond_wait(&io.cond, &io.lock);
		memcpy(path, io.path, sizeof(path));
		pthread_mutex_unlock(&io.lock);
		errno = 0;
		int r = small_io(path);

		pthread_mutex_lock(&io.lock);
		io.result = r;
		pthread_cond_broadcast(&io.cond);
	}
	return NULL;
}

static void report_input(const char *kind, const char *input, const char *extra);

/* Waits up to secs for the I/O; returns its result or -1. */
static int io_wait_once(double secs)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)secs;
	ts.tv_nsec += (long)((secs - (time_t)secs) * 1e9);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&io.lock);
	while (io.result == -1)
		if (pthread_cond_timedwait(&io.cond, &io.lock, &ts))
			break;
	r = io.result;
	if (r != -1)
		io.busy = false;
	pthread_mutex_unlock(&io.lock);
	return r;
}

/*
 * The same, watching the kernel log: I/O stuck behind an oops would hide
 * the input that caused it, so a splat ends the run here, naming it.
 */
static int io_wait(double secs, const char *input)
{
	int r = -1;

	for (; secs > 0 && r == -1; secs -= 0.2) {
		r = io_wait_once(secs < 0.2 ? secs : 0.2);
		if (read_kmsg() & 2) {
			report_input("kernel splat during I/O after", input, NULL);
			fflush(stdout);
			_exit(1);
		}
	}
	return r;
}

static void report_input(const char *kind, const char *input, const char *extra)
{
	printf("dmtk-fuzz: %s\n", kind);
	show("input", input);
	if (extra)
		show("detail", extra);
}

/*
 * Small I/O on the live device. Held I/O is released with "resume all"
 * (breakpoints) and then a suspend and resume (delays); a suspend that does
 * not release it is a hang: exit 4 (the I/O thread cannot be cancelled).
 */
static int check_io(const char *name, const char *input)
{
	int minor = dm_minor(name), r;

	if (minor < 0)
		return -1;
	pthread_mutex_lock(&io.lock);
	snprintf(io.path, sizeof(io.path), "/dev/dm-%d", minor);
	io.busy = true;
	io.result = -1;
	pthread_cond_broadcast(&io.cond);
	pthread_mutex_unlock(&io.lock);

	r = io_wait(io_timeout, input);
	if (r != -1)
		return r;
	st.held++;
	dm_message(name, "resume all");
	r = io_wait(1.0, input);
	if (r != -1)
		return r;
	if (st.held <= MAX_REPORTS && verbose)
		report_input("I/O held; suspending", input, NULL);
	if (!dm_simple(DM_DEVICE_SUSPEND, name) || !dm_simple(DM_DEVICE_RESUME, name)) {
		report_input("suspend or resume failed with I/O held", input, NULL);
		st.dm_failures++;
	}
	r = io_wait(30.0, input);
	if (r == -1) {
		report_input("HANG: I/O did not complete after a suspend and resume", input, NULL);
		fflush(stdout);
		_exit(4);
	}
	return r;
}

static bool kernel_check(const char *input)
{
	int k = read_kmsg();

	if (k & 2) {
		st.splats++;
		report_input("kernel splat after", input, NULL);
		return false;
	}
	return true;
}

static void run_one_table(const char *name, const char *line)
{
	static char table[MAX_LINE], again[MAX_LINE];
	int k;

	st.lines++;
	read_kmsg();
	if (!dm_load(name, line)) {
		st.rejected++;
		k = read_kmsg();
		if (k & 4)
			st.logged++;
		if (k & 1 && ++st.unspecific <= MAX_REPORTS)
			report_input("rejected with dm core's default \"Unknown error\"",
				     line, NULL);
		if (k & 2)
			kernel_check(line);
		return;
	}
	st.accepted++;
	if (verbose)
		show("accepted", line);
	/*
	 * dm core checks the device areas when the table goes live: a line
	 * that maps past the end of its device fails here. The old table stays
	 * and the device stays suspended until the next resume.
	 */
	if (!dm_simple(DM_DEVICE_RESUME, name)) {
		st.accepted--;
		st.rejected_at_resume++;
		if (!dm_simple(DM_DEVICE_RESUME, name) && ++st.dm_failures <= MAX_REPORTS)
			report_input("resume of the old table failed after", line, NULL);
		kernel_check(line);
		return;
	}
	if (check_io(name, line) > 0)
		st.io_errors++;
	if (!dm_get(name, DM_DEVICE_STATUS, again, sizeof(again)) ||
	    !dm_get(name, DM_DEVICE_TABLE, table, sizeof(table))) {
		if (++st.dm_failures <= MAX_REPORTS)
			report_input("status or table query failed", line, NULL);
		return;
	}
	/* The reported table must load again and report itself unchanged. */
	if (!dm_load(name, table) || !dm_simple(DM_DEVICE_RESUME, name) ||
	    !dm_get(name, DM_DEVICE_TABLE, again, sizeof(again)) || strcmp(table, again)) {
		if (++st.roundtrip <= MAX_REPORTS)
			report_input("table round trip failed", line, table);
		dm_simple(DM_DEVICE_CLEAR, name);
	}
	kernel_check(line);
}

static void run_one_message(const char *name, const char *msg)
{
	st.msgs++;
	read_kmsg();
	if (!dm_message(name, msg)) {
		st.msg_rejected++;
	} else {
		st.msg_accepted++;
		if (check_io(name, msg) > 0)
			st.io_errors++;
		if (!dm_simple(DM_DEVICE_STATUS, name) && ++st.dm_failures <= MAX_REPORTS)
			report_input("status failed after message", msg, NULL);
	}
	kernel_check(msg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmtk-fuzz [options] TARGET\n"
		"  TARGET            inject, verify, replay (or flakey, to check the fuzzer)\n"
		"  --seed N          PRNG seed (default: from the clock; always printed)\n"
		"  --count N         table lines plus messages (default 20000)\n"
		"  --devices A,B,C   the devices the lines refer to (default /dev/ram1,2,3)\n"
		"  --io-timeout S    seconds before held I/O is released (default 3)\n"
		"  --dry-run         print the inputs, touch nothing\n"
		"  --verbose         print accepted lines and libdevmapper's errors\n"
		"Exit: 0 clean, 1 findings, 2 usage error, 4 hang.\n");
}

int main(int argc, char **argv)
{
	const struct target_gen *gen = NULL;
	u64 seed = (u64)time(NULL) ^ ((u64)getpid() << 32), count = 20000, i;
	char name[64], line[MAX_LINE], seg[MAX_LINE];
	struct words ws = { 0 };
	struct timespec t0, t1;
	pthread_t thr;
	double secs;
	size_t t;
	int a, fd;

	for (a = 1; a < argc; a++) {
		const char *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "--dry-run")) {
			dry_run = true;
		} else if (!strcmp(argv[a], "--verbose")) {
			verbose = true;
		} else if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		} else if (v && !strcmp(argv[a], "--seed")) {
			seed = strtoull(v, NULL, 0);
			a++;
		} else if (v && !strcmp(argv[a], "--count")) {
			count = strtoull(v, NULL, 0);
			a++;
		} else if (v && !strcmp(argv[a], "--io-timeout")) {
			io_timeout = atof(v);
			a++;
		} else if (v && !strcmp(argv[a], "--devices")) {
			char *d = xstrdup(v);

			dev_a = strtok(d, ",");
			dev_b = strtok(NULL, ",");
			dev_c = strtok(NULL, ",");
			if (!dev_a || !dev_b || !dev_c) {
				usage(stderr);
				return 2;
			}
			a++;
		} else if (argv[a][0] != '-' && !gen) {
			for (t = 0; t < ARRAY_SIZE(targets); t++)
				if (!strcmp(argv[a], targets[t].name))
					gen = &targets[t];
			if (!gen) {
				fprintf(stderr, "dmtk-fuzz: unknown target %s\n", argv[a]);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!gen) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dmtk_prng_seed(&prng, seed);
	printf("dmtk-fuzz: target=%s seed=%" PRIu64 " count=%" PRIu64 "\n", gen->name, seed, count);
	printf("dmtk-fuzz: reproduce with: dmtk-fuzz --seed %" PRIu64 " --count %" PRIu64
	       " --devices %s,%s,%s %s\n", seed, count, dev_a, dev_b, dev_c, gen->name);

	if (!dry_run) {
		fd = open(dev_a, O_RDONLY);
		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &dev_sectors)) {
			fprintf(stderr, "dmtk-fuzz: %s: %s\n", dev_a, strerror(errno));
			return 2;
		}
		close(fd);
		dev_sectors >>= 9;
		dm_log_with_errno_init(dm_quiet);
		kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
		if (kmsg_fd >= 0)
			lseek(kmsg_fd, 0, SEEK_END);
		snprintf(name, sizeof(name), "fuzz-%s", gen->name);
		if (!dm_simple(DM_DEVICE_CREATE, name)) {
			fprintf(stderr, "dmtk-fuzz: cannot create %s\n", name);
			return 2;
		}
		if (pthread_create(&thr, NULL, io_thread, NULL))
			return 2;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		bool is_msg = i > 0 && chance(25);
		bool two = !is_msg && chance(10);
		u64 len = chance(90) ? dev_sectors : 1 + rnd(dev_sectors + 8);

		clear_words(&ws);
		if (is_msg)
			gen->message(&ws);
		else
			gen->table(&ws);
		if (chance(50))
			mutate(&ws);
		join(&ws, seg, sizeof(seg));
		if (is_msg) {
			snprintf(line, sizeof(line), "%s", seg);
		} else if (two) {
			/* Two segments: the second target starts past sector 0. */
			snprintf(line, sizeof(line), "0 %" PRIu64 " %s %s\n%" PRIu64 " %" PRIu64
				 " %s %s", len / 2, gen->name, seg, len / 2, len - len / 2,
				 gen->name, seg);
		} else {
			snprintf(line, sizeof(line), "0 %" PRIu64 " %s %s", len, gen->name, seg);
		}
		if (dry_run) {
			show(is_msg ? "message" : "table", line);
			continue;
		}
		if (is_msg)
			run_one_message(name, line);
		else
			run_one_table(name, line);
		if (st.splats)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	clear_words(&ws);
	if (dry_run)
		return 0;

	/* Leave nothing held, then remove the device. */
	dm_message(name, "resume all");
	if (!dm_simple(DM_DEVICE_REMOVE, name)) {
		printf("dmtk-fuzz: removing %s failed\n", name);
		st.dm_failures++;
	}
	read_kmsg();
	printf("dmtk-fuzz: %s lines=%" PRIu64 " accepted=%" PRIu64 " rejected=%" PRIu64
	       " rejected_at_resume=%" PRIu64 " messages=%" PRIu64 " msg_accepted=%" PRIu64
	       " msg_rejected=%" PRIu64 "\n", gen->name, st.lines, st.accepted, st.rejected,
	       st.rejected_at_resume, st.msgs, st.msg_accepted, st.msg_rejected);
	printf("dmtk-fuzz: %s rejected_logged=%" PRIu64 " io_errors=%" PRIu64 " held=%" PRIu64
	       " unspecific=%" PRIu64
	       " roundtrip_failures=%" PRIu64 " dm_failures=%" PRIu64 " splats=%" PRIu64 "\n",
	       gen->name, st.logged, st.io_errors, st.held, st.unspecific, st.roundtrip, st.dm_failures,
	       st.splats);
	printf("dmtk-fuzz: %s seconds=%.1f inputs_per_sec=%.0f\n", gen->name, secs,
	       secs > 0 ? (st.lines + st.msgs) / secs : 0.0);
	if (st.unspecific || st.roundtrip || st.dm_failures || st.splats) {
		printf("dmtk-fuzz: FAILED (seed %" PRIu64 ")\n", seed);
		return 1;
	}
	return 0;
}
