// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay crash-states and crash-state: the crash states of each flush
 * epoch (subsets of its writes, crash-gen.c) written onto a target and
 * checked one by one, and the rebuild of one such state.
 *
 * Memory stays bounded whatever the log holds: the headers of the entries
 * walked (struct entries), CHUNK-sized buffers, and the subset generator's
 * table. Data is read from the log again whenever a write is applied, and
 * what an epoch's writes overwrite is saved in an unlinked scratch file
 * (struct undo) rather than in memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmreplay.h"
#include "crash-gen.h"

/* Apply entries [from, to) of the log onto the target in full. */
static int apply_range(struct log *lg, const struct entries *es, struct target *t, u64 from,
		       u64 to)
{
	u64 i;
	int r;

	for (i = from; i < to; i++) {
		r = apply_entry(t, lg, DISCARD_ZERO, &es->rec[i], es->pos[i]);
		if (r) {
			err("entry %" PRIu64 ": writing %s at sector %" PRIu64 " failed: %s", i,
			    t->path, es->rec[i].sector, strerror(-r));
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

/*
 * What an epoch's writes overwrite on the target, saved at the same
 * offsets in an unlinked sparse scratch file: runs of zeros stay holes
 * there and are restored with target_zero(), so a discard of a whole
 * device costs neither memory nor scratch space.
 */
struct undo {
	int fd;
	u8 *buf;		/* CHUNK bytes */
};

static bool all_zero(const u8 *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

static int undo_open(struct undo *u, u64 dev_bytes)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];

	if (!dir || !*dir)
		dir = "/tmp";
	u->buf = aligned_alloc_or_die(CHUNK);
	u->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (u->fd < 0) {
		snprintf(path, sizeof(path), "%s/dmreplay-undo.XXXXXX", dir);
		u->fd = mkostemp(path, O_CLOEXEC);
		if (u->fd >= 0)
			unlink(path);
	}
	if (u->fd < 0 || ftruncate(u->fd, dev_bytes)) {
		err("cannot create a scratch file in %s: %s", dir, strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}

static void undo_close(struct undo *u)
{
	if (u->fd >= 0)
		close(u->fd);
	free(u->buf);
}

/* Save the target's [off, off + len). */
static int undo_save(struct undo *u, struct target *t, u64 off, u64 len)
{
	int r;

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		r = pread_full(t->fd, u->buf, n, off);
		if (r)
			return r;
		if (!all_zero(u->buf, n))
			r = pwrite_full(u->fd, u->buf, n, off);
		else if (fallocate(u->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, n))
			r = pwrite_full(u->fd, u->buf, n, off);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/* Put back what the target held at [off, off + len). */
static int undo_restore(struct undo *u, struct target *t, u64 off, u64 len)
{
	int r;

	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		r = pread_full(u->fd, u->buf, n, off);
		if (r)
			return r;
		if (all_zero(u->buf, n))
			r = target_zero(t, off, n, true);
		else
			r = pwrite_full(t->fd, u->buf, n, off);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

struct range {
	u64 off, len;
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Save the union of the ranges of entries idx[0..n): each byte once. */
static int save_epoch(struct undo *u, struct target *t, const struct entries *es,
		      const u64 *idx, u32 n)
{
	struct range *rg = calloc(n ? n : 1, sizeof(*rg));
	u64 end;
	u32 i, j;
	int r = 0;

	if (!rg) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++) {
		rg[i].off = es->rec[idx[i]].sector << 9;
		rg[i].len = es->rec[idx[i]].nr_sectors << 9;
	}
	qsort(rg, n, sizeof(*rg), range_cmp);
	for (i = 0; i < n && !r; i = j) {
		end = rg[i].off + rg[i].len;
		for (j = i + 1; j < n && rg[j].off <= end; j++)
			if (rg[j].off + rg[j].len > end)
				end = rg[j].off + rg[j].len;
		r = undo_save(u, t, rg[i].off, end - rg[i].off);
	}
	free(rg);
	if (r) {
		err("saving what %s holds failed: %s", t->path, strerror(-r));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The check of crash-states on a state of @epoch made of @entries. */
static int run_state_check(const char *cmd, struct target *t, const char *log, u64 epoch,
			   const char *entries)
{
	char ep[32];
	const char *vars[] = { "DMREPLAY_EPOCH", ep, "DMREPLAY_ENTRIES", entries, NULL };

	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	return run_cmd(cmd, t, log, vars);
}

struct crash_opts {
	struct start_point from;
	struct log_limit lim;
	const char *check;
	u64 seed;
	u32 max_states;
	bool grow;
};

/*
 * One epoch: writes idx[0..n) between entry @base (everything before it is
 * on the target) and the next flush. Each state is written onto the
 * target's epoch-start contents, checked, and undone.
 */
static int explore_epoch(struct log *lg, const struct entries *es, struct target *t,
			 struct undo *u, const struct crash_opts *o, u64 epoch, u64 base,
			 const u64 *idx, u32 n, bool with_empty, u64 *states, u64 *failed)
{
	bool *fua = calloc(n, sizeof(*fua)), *in = calloc(n, sizeof(*in));
	struct dmr_crash_gen gen;
	int r, st;
	u32 i;

	if (!fua || !in) {
		free(fua);
		free(in);
		err("out of memory");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++)
		fua[i] = es->rec[idx[i]].flags & DMR_F_FUA;
	r = save_epoch(u, t, es, idx, n);
	if (r)
		goto out;
	if (dmr_crash_gen_init(&gen, n, fua, o->max_states, with_empty,
			       o->seed ^ (epoch * 0x9e3779b97f4a7c15ULL))) {
		err("out of memory");
		r = EXIT_RUNTIME;
		goto out;
	}
	while (dmr_crash_gen_next(&gen, in)) {
		char *list = format_list(idx, in, n);

		for (i = 0; i < n && !r; i++)
			if (in[i])
				r = apply_entry(t, lg, DISCARD_ZERO, &es->rec[idx[i]],
						es->pos[idx[i]]);
		if (r) {
			err("writing a crash state onto %s failed: %s", t->path, strerror(-r));
			free(list);
			r = EXIT_RUNTIME;
			break;
		}
		(*states)++;
		st = run_state_check(o->check, t, lg->path, epoch, list);
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
		/* Undo: what the state's writes covered, as it was. */
		for (i = 0; i < n && !r; i++) {
			const struct dmr_rec *rec = &es->rec[idx[i]];

			if (in[i])
				r = undo_restore(u, t, rec->sector << 9, rec->nr_sectors << 9);
		}
		if (r) {
			err("restoring %s failed: %s", t->path, strerror(-r));
			r = EXIT_RUNTIME;
			break;
		}
	}
	dmr_crash_gen_free(&gen);
out:
	free(fua);
	free(in);
	return r;
}

/* Open, scan and load the log up to the stop point of @lim. */
static int load_log(struct log *lg, const char *path, const struct log_limit *lim,
		    struct entries *es)
{
	u64 stop;
	int r;

	memset(es, 0, sizeof(*es));
	r = log_open(lg, path);
	if (r)
		return r;
	r = log_scan(lg);
	if (r)
		return r;
	r = log_limit_stop(lg, lim, &stop);
	if (r)
		return r;
	r = log_check_stop(lg, stop, lim->has_to_entry || lim->to_last_flush);
	if (r)
		return r;
	return load_entries(lg, es, stop);
}

int cmd_crash_states(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, 'c' },
		{ "from-mark", required_argument, NULL, 'F' },
		{ "from-entry", required_argument, NULL, 'f' },
		{ "to-entry", required_argument, NULL, 't' },
		{ "to-last-flush", no_argument, NULL, 'L' },
		{ "max-states", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "grow", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct crash_opts o = { .max_states = 64, .seed = 1 };
	u64 start = 0, i, base, epoch = 0, states = 0, failed = 0, epochs = 0, v;
	struct undo u = { .fd = -1 };
	const char *logpath, *target;
	struct entries es = { 0 };
	struct target t = { .fd = -1 };
	struct log lg = { .fd = -1 };
	u64 *idx = NULL;
	u32 n;
	int c, r;

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
		case 't':
		case 'L':
			r = limit_opt(&o.lim, c, optarg);
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
		case 'g':
			o.grow = true;
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

	r = load_log(&lg, logpath, &o.lim, &es);
	if (r)
		goto out;
	if (o.from.mark) {
		for (i = 0; i < es.nr; i++)
			if (es.rec[i].type == DMR_TYPE_MARK && !strcmp(es.rec[i].name, o.from.mark))
				break;
		if (i == es.nr) {
			err("mark '%s' is not in the log", o.from.mark);
			r = EXIT_RUNTIME;
			goto out;
		}
		start = i + 1;
	} else if (o.from.has_entry) {
		if (o.from.entry > es.nr) {
			err("start entry %" PRIu64 " is past the end of the log (%" PRIu64
			    " entries)", o.from.entry, es.nr);
			r = EXIT_RUNTIME;
			goto out;
		}
		start = o.from.entry;
	}
	r = target_open(&t, target, &lg, o.grow);
	if (r)
		goto out;
	r = undo_open(&u, lg.sb.dev_sectors << 9);
	if (r)
		goto out;
	idx = malloc((es.nr + 1) * sizeof(*idx));
	if (!idx) {
		err("out of memory");
		r = EXIT_RUNTIME;
		goto out;
	}
	/* Up to the start point, everything is taken as persisted. */
	r = apply_range(&lg, &es, &t, 0, start);
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
			r = explore_epoch(&lg, &es, &t, &u, &o, epoch, base, idx, n,
					  base == start, &states, &failed);
			if (r)
				break;
		}
		/* Then the whole epoch and its flush, as the next epoch's start. */
		r = apply_range(&lg, &es, &t, base, i < es.nr ? i + 1 : i);
		base = i + 1;
		epoch++;
	}
	if (r)
		goto out;
	printf("crash-states: %" PRIu64 " epochs, %" PRIu64 " states checked, %" PRIu64
	       " failed\n", epochs, states, failed);
	r = failed ? EXIT_DAMAGED : 0;
out:
	free(idx);
	undo_close(&u);
	target_close(&t);
	free_entries(&es);
	log_close(&lg);
	return r;
}

int cmd_crash_state(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "entries", required_argument, NULL, 'e' },
		{ "to-entry", required_argument, NULL, 't' },
		{ "to-last-flush", no_argument, NULL, 'L' },
		{ "grow", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *logpath, *target, *list = "";
	u64 prefix = 0, i, applied = 0;
	bool has_prefix = false, grow = false, *set = NULL;
	struct log_limit lim = { 0 };
	struct entries es = { 0 };
	struct target t = { .fd = -1 };
	struct log lg = { .fd = -1 };
	int c, r;

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
		case 't':
		case 'L':
			r = limit_opt(&lim, c, optarg);
			if (r)
				return r;
			break;
		case 'g':
			grow = true;
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

	r = load_log(&lg, logpath, &lim, &es);
	if (r)
		goto out;
	if (prefix > es.nr) {
		err("--prefix %" PRIu64 ": the log has %" PRIu64 " entries", prefix, es.nr);
		r = EXIT_RUNTIME;
		goto out;
	}
	set = calloc(es.nr + 1, sizeof(*set));
	if (!set) {
		err("out of memory");
		r = EXIT_RUNTIME;
		goto out;
	}
	if (parse_list(list, set, es.nr)) {
		r = usage_error("--entries: expected indices below %" PRIu64
				" like 3,5-7, got '%s'", es.nr, list);
		goto out;
	}
	for (i = 0; i < prefix; i++) {
		if (set[i]) {
			r = usage_error("--entries: entry %" PRIu64 " is inside the prefix", i);
			goto out;
		}
	}
	r = target_open(&t, target, &lg, grow);
	if (r)
		goto out;
	r = apply_range(&lg, &es, &t, 0, prefix);
	for (i = prefix; !r && i < es.nr; i++) {
		if (!set[i])
			continue;
		r = apply_range(&lg, &es, &t, i, i + 1);
		applied++;
	}
	if (!r && fdatasync(t.fd)) {
		err("syncing %s failed: %s", target, strerror(errno));
		r = EXIT_RUNTIME;
	}
	if (!r)
		printf("crash state: entries 0-%" PRId64 " and %" PRIu64 " more%s%s\n",
		       (int64_t)prefix - 1, applied, *list ? ": " : "", list);
out:
	free(set);
	target_close(&t);
	free_entries(&es);
	log_close(&lg);
	return r;
}
