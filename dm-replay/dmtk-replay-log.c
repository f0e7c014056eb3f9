// SPDX-License-Identifier: GPL-2.0
/*
 * dmtk-replay-log: the command line of fstests' replay-log
 * (src/log-writes/replay-log.c), its output and exit codes, over
 * dm-log-writes v1 logs and dm-replay logs. This file: the options, with
 * replay-log's checks and messages. See docs/dmtk-replay-log.8.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "dmtk-replay-log.h"

void rl_usage(void)
{
	fprintf(stderr,
"Usage: dmtk-replay-log --log <logfile> [options]\n"
"\t--replay <device> - replay onto a specific device\n"
"\t--limit <number> - number of entries to replay\n"
"\t--next-flush - replay to/find the next flush\n"
"\t--next-fua - replay to/find the next fua\n"
"\t--start-entry <entry> - start at the given entry #\n"
"\t--start-mark <mark> - mark to start from\n"
"\t--end-mark <mark> - replay to/find the given mark\n"
"\t--find - put replay-log in find mode, will search based on the other options\n"
"\t--num-entries - print the number of entries in the log\n"
"\t--no-discard - don't process discard entries\n"
"\t--fsck - the fsck command to run, must specify --check\n"
"\t--check [<number>|flush|fua|discard] when to check the file system, must specify --fsck\n"
"\t--start-sector <sector> - replay ops on region from <sector> onto <device>\n"
"\t--end-sector <sector> - replay ops on region to <sector> onto <device>\n"
"\t-v or --verbose - print replayed ops\n"
"\t-vv - print also skipped ops\n"
"Logs: dm-log-writes version 1 and dm-replay, told apart by their magic.\n");
	exit(1);
}

/* A number as replay-log takes it (strtoull base 0), with overflow refused. */
static u64 rl_num(const char *arg, const char *what)
{
	char *end;
	u64 v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || *end || !*arg || *arg == '-') {
		fprintf(stderr, "Invalid %s number\n", what);
		exit(1);
	}
	return v;
}

enum { O_NEXT_FLUSH = 256, O_NEXT_FUA, O_START_ENTRY, O_END_MARK, O_LOG, O_REPLAY, O_LIMIT,
	O_FIND, O_NUM_ENTRIES, O_NO_DISCARD, O_FSCK, O_CHECK, O_START_MARK, O_START_SECTOR,
	O_END_SECTOR };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "next-flush", no_argument, NULL, O_NEXT_FLUSH },
		{ "next-fua", no_argument, NULL, O_NEXT_FUA },
		{ "start-entry", required_argument, NULL, O_START_ENTRY },
		{ "end-mark", required_argument, NULL, O_END_MARK },
		{ "log", required_argument, NULL, O_LOG },
		{ "replay", required_argument, NULL, O_REPLAY },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "find", no_argument, NULL, O_FIND },
		{ "num-entries", no_argument, NULL, O_NUM_ENTRIES },
		{ "no-discard", no_argument, NULL, O_NO_DISCARD },
		{ "fsck", required_argument, NULL, O_FSCK },
		{ "check", required_argument, NULL, O_CHECK },
		{ "start-mark", required_argument, NULL, O_START_MARK },
		{ "start-sector", required_argument, NULL, O_START_SECTOR },
		{ "end-sector", required_argument, NULL, O_END_SECTOR },
		{ NULL, 0, NULL, 0 },
	};
	struct rl_opts o = { .end_sector = U64_MAX };
	int c;

	prog = "dmtk-replay-log";
	while ((c = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o.verbose++;
			break;
		case O_NEXT_FLUSH:
			o.stop_flags |= LW_F_FLUSH;
			break;
		case O_NEXT_FUA:
			o.stop_flags |= LW_F_FUA;
			break;
		case O_START_ENTRY:
			o.start_entry = rl_num(optarg, "entry");
			break;
		case O_START_MARK:
			o.start_mark = optarg;
			break;
		case O_END_MARK:
			o.end_mark = optarg;
			o.stop_flags |= LW_F_MARK;
			break;
		case O_LOG:
			o.log = optarg;
			break;
		case O_REPLAY:
			o.replay = optarg;
			break;
		case O_LIMIT:
			o.limit = rl_num(optarg, "entry");
			break;
		case O_FIND:
			o.find = true;
			break;
		case O_NUM_ENTRIES:
			o.num_entries = true;
			break;
		case O_NO_DISCARD:
			o.no_discard = true;
			break;
		case O_FSCK:
			o.fsck = optarg;
			break;
		case O_CHECK:
			if (!strcmp(optarg, "flush")) {
				o.check = RL_CHECK_FLUSH;
			} else if (!strcmp(optarg, "fua")) {
				o.check = RL_CHECK_FUA;
			} else if (!strcmp(optarg, "discard")) {
				o.check = RL_CHECK_DISCARD;
			} else {
				o.check = RL_CHECK_NUMBER;
				o.check_number = rl_num(optarg, "entry");
				if (!o.check_number) {
					fprintf(stderr, "Invalid entry number\n");
					exit(1);
				}
			}
			break;
		case O_START_SECTOR:
			o.start_sector = rl_num(optarg, "sector");
			break;
		case O_END_SECTOR:
			o.end_sector = rl_num(optarg, "sector");
			break;
		default:
			rl_usage();
		}
	}
	if (!o.log)
		rl_usage();
	return rl_run(&o);
}
