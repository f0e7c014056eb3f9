// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay replay: write a log's entries onto a target in log order, from
 * and to any entry or mark, checking every entry before the first write
 * and running a check command at flush, FUA or mark points.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "dmreplay.h"

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

/* The check of replay at entry @rec. */
static int run_check(const char *cmd, struct target *t, const char *log,
		     const struct dmr_rec *rec, const char *mark)
{
	char entry[32], flags[64];
	const char *vars[] = {
		"DMREPLAY_ENTRY", entry, "DMREPLAY_MARK", mark,
		"DMREPLAY_FLAGS", flags, NULL,
	};

	snprintf(entry, sizeof(entry), "%" PRIu64, rec->seq);
	flags_str(rec, flags, sizeof(flags));
	return run_cmd(cmd, t, log, vars);
}

/*
 * The range to replay, [*start, *stop), in a scanned log (log_scan()
 * checked every entry, so a bad log never leaves the target half
 * replayed). A torn tail or damage after the stop point asked for is left
 * out; without one, it fails the replay.
 */
static int replay_plan(struct log *lg, const struct replay_opts *o, u64 *start, u64 *stop)
{
	bool have_start = !o->from.mark, have_stop = false;
	bool asked = o->to_mark || o->has_to_entry || o->to_last_flush;
	struct dmr_rec rec;

	*start = o->from.has_entry ? o->from.entry : 0;
	while (lg->index < lg->nr_intact && log_next(lg, &rec, false) == NEXT_ENTRY) {
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
	log_rewind(lg);
	if (!have_start || (asked && !have_stop && !o->to_last_flush) ||
	    (!asked && lg->end != NEXT_END)) {
		/* What is wrong with the log, if anything, comes first. */
		if (lg->end != NEXT_END)
			log_check_stop(lg, lg->nr_intact, false);
	}
	if (!have_start) {
		err("mark '%s' is not in the log", o->from.mark);
		return lg->end == NEXT_END ? EXIT_RUNTIME : EXIT_DAMAGED;
	}
	if (o->to_mark && !have_stop) {
		err("mark '%s' is not in the log%s", o->to_mark,
		    o->from.mark || o->from.has_entry ? " after the start point" : "");
		return EXIT_RUNTIME;
	}
	if (o->has_to_entry && !have_stop) {
		err("entry %" PRIu64 " is not in the log (%" PRIu64 " intact entries%s)",
		    o->to_entry, lg->nr_intact,
		    *start > o->to_entry ? ", or it is before the start" : "");
		return EXIT_RUNTIME;
	}
	if (have_stop) {
		*stop += 1;
	} else if (o->to_last_flush) {
		*stop = lg->last_flush_end;
		if (*stop < *start) {
			err("the last flush point (entry %" PRId64 ") is before the start (entry %"
			    PRIu64 ")", (int64_t)*stop - 1, *start);
			return EXIT_RUNTIME;
		}
	} else {
		if (lg->end != NEXT_END)
			return EXIT_DAMAGED;	/* reported above */
		*stop = lg->nr_intact;	/* exclusive: the whole log */
	}
	if (*start > *stop) {
		err("start entry %" PRIu64 " is past the end of the log (%" PRIu64
		    " entries)", *start, lg->nr_intact);
		return EXIT_RUNTIME;
	}
	return asked ? log_check_stop(lg, *stop, true) : 0;
}

int cmd_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from-mark", required_argument, NULL, 'F' },
		{ "from-entry", required_argument, NULL, 'f' },
		{ "to-mark", required_argument, NULL, 'T' },
		{ "to-entry", required_argument, NULL, 't' },
		{ "to-last-flush", no_argument, NULL, 'L' },
		{ "grow", no_argument, NULL, 'g' },
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
	struct target t;
	struct log lg;
	int c, r;
	u64 pos;

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
		case 'L':
			o.to_last_flush = true;
			break;
		case 'g':
			o.grow = true;
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
	if (!!o.to_mark + o.has_to_entry + o.to_last_flush > 1)
		return usage_error("--to-mark, --to-entry and --to-last-flush exclude each other");
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
		goto out_log;
	r = log_scan(&lg);
	if (r)
		goto out_log;
	r = replay_plan(&lg, &o, &start, &stop);
	if (r)
		goto out_log;
	r = target_open(&t, target, &lg, o.grow);
	if (r)
		goto out_log;

	/* Second pass: apply, reading each entry's data again. */
	while (lg.index < stop) {
		pos = lg.pos;
		if (log_next(&lg, &rec, false) != NEXT_ENTRY) {
			err("%s: the log changed while it was replayed", logpath);
			r = EXIT_RUNTIME;
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
		r = apply_entry(&t, &lg, o.discard, &rec, pos);
		if (r) {
			err("entry %" PRIu64 ": writing %s at sector %" PRIu64 " failed: %s",
			    rec.seq, target, rec.sector, strerror(-r));
			r = EXIT_RUNTIME;
			goto out_fd;
		}
		if (rec.type == DMR_TYPE_IO && rec.data_sectors) {
			writes++;
			bytes += (u64)rec.data_sectors << 9;
		}
		if (o.check && is_check_point(&o, &rec)) {
			checks++;
			r = run_check(o.check, &t, logpath, &rec, mark);
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
	if (fdatasync(t.fd)) {
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
	target_close(&t);
out_log:
	log_close(&lg);
	return r;
}
