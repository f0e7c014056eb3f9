// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay crash-states and crash-state: the crash states of each flush
 * epoch (subsets of its writes, crash-gen.c) written onto a target and
 * checked one by one, and the rebuild of one such state.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmreplay.h"
#include "crash-gen.h"

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

int cmd_crash_states(int argc, char **argv)
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

int cmd_crash_state(int argc, char **argv)
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
