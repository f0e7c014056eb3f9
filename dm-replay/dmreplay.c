// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay: read a dm-replay log, list it, replay it onto a device up to
 * any entry or mark (optionally running a check at every flush, FUA or
 * mark), and add marks to a recording device. See docs/dmreplay.8.
 *
 * This file: usage, shared option parsing and the dispatch to the verbs (dmreplay-info.c, -replay.c, -completions.c, -crash.c, -mark.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dmreplay.h"

void usage(FILE *f)
{
	fprintf(f,
"Usage: dmreplay info   <log_dev> [--to-entry N | --to-last-flush]\n"
"       dmreplay list   <log_dev> [--to-entry N | --to-last-flush]\n"
"       dmreplay completions <log_dev> [--to-entry N | --to-last-flush]\n"
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
"  --to-last-flush     stop after the last flush or FUA entry before the end\n"
"                      or a torn tail (all verbs that read the log)\n"
"  --grow              extend a target file shorter than the recorded device\n"
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
"  --to-entry N, --to-last-flush, --grow   as for replay\n"
"crash-state options:\n"
"  --prefix N          replay entries 0..N-1 in full\n"
"  --entries LIST      then these entries (e.g. 12,14-16), in log order\n"
"  --to-entry N, --to-last-flush, --grow   as for replay\n"
"\n"
"Every verb checks the whole log first; a torn tail or damage fails it\n"
"unless a stop point before it is given (then it is reported as a note).\n"
"\n"
"Exit status: 0 success; 1 the log is damaged (torn tail, corrupt, truncated,\n"
"a field out of range), the completion order is incomplete, or a check\n"
"failed (crash-states: any state failed); 2 usage error (also: the log as\n"
"target); 3 runtime error (I/O error, missing device, target too small or of\n"
"larger blocks, mark or entry not in the log, mark refused by the kernel).\n");
}

/* Option 'F' (--from-mark) or 'f' (--from-entry) into @sp. */
int start_point_opt(struct start_point *sp, int c, const char *arg)
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

/*
 * The arguments of info, list and completions: <log_dev> [--to-entry N |
 * --to-last-flush]. Returns 0, an exit status, or -1 after --help.
 */
int walk_args(int argc, char **argv, const char *verb, struct log_limit *lim,
	      const char **path)
{
	static const struct option longopts[] = {
		{ "to-entry", required_argument, NULL, 't' },
		{ "to-last-flush", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
		case 'L':
			r = limit_opt(lim, c, optarg);
			if (r)
				return r;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			return usage_error("%s: invalid option", verb);
		}
	}
	if (argc - optind != 1)
		return usage_error("%s takes one argument: <log_dev>", verb);
	*path = argv[optind];
	return 0;
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
