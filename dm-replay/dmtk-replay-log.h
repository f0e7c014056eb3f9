/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmtk-replay-log: fstests' replay-log command line over both log formats.
 * dmtk-replay-log.c parses the command line; dmtk-rl-run.c walks the log
 * as replay-log does (seek, find, replay, checks) with dmreplay's reader.
 */
#ifndef DMTK_REPLAY_LOG_H
#define DMTK_REPLAY_LOG_H

#include "dmreplay.h"

enum rl_check { RL_CHECK_NONE, RL_CHECK_NUMBER, RL_CHECK_FUA, RL_CHECK_FLUSH, RL_CHECK_DISCARD };

struct rl_opts {
	const char *log, *replay, *fsck, *end_mark, *start_mark;
	u64 stop_flags;		/* LW_F_FLUSH, LW_F_FUA, LW_F_MARK */
	u64 start_entry, start_sector, end_sector, limit, check_number;
	enum rl_check check;
	int verbose;
	bool find, num_entries, no_discard;
};

int rl_run(const struct rl_opts *o);
void rl_usage(void);

#endif /* DMTK_REPLAY_LOG_H */
