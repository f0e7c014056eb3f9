// SPDX-License-Identifier: GPL-2.0
/*
 * dmreplay info and list: a log's superblock, a summary, its entries; up
 * to --to-entry N or --to-last-flush, else up to where the log ends.
 */
#include <inttypes.h>

#include "dmreplay.h"

int cmd_list(int argc, char **argv)
{
	struct log_limit lim = { 0 };
	const char *path;
	struct dmr_rec rec;
	struct log lg;
	char flags[64];
	u64 stop;
	int r;

	r = walk_args(argc, argv, "list", &lim, &path);
	if (r)
		return r < 0 ? 0 : r;
	r = log_open(&lg, path);
	if (r)
		goto out;
	r = log_scan(&lg);
	if (r)
		goto out;
	r = log_limit_stop(&lg, &lim, &stop);
	if (r)
		goto out;
	while (lg.index < stop && log_next(&lg, &rec, false) == NEXT_ENTRY)
		printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %s%s%s\n", rec.seq, rec.sector,
		       rec.nr_sectors, flags_str(&rec, flags, sizeof(flags)),
		       rec.type == DMR_TYPE_MARK ? " " : "", rec.name);
	fflush(stdout);
	r = log_check_stop(&lg, stop, lim.has_to_entry || lim.to_last_flush);
out:
	log_close(&lg);
	return r;
}

/* What a dm-log-writes superblock says, and what the format does not. */
static void print_lw_super(const struct log *lg)
{
	printf("format:            dm-log-writes\n");
	printf("version:           %u\n", lg->sb.version);
	printf("block size:        %u\n", lg->sb.block_size);
	printf("data block size:   %u\n", lg->sb.data_block_size);
	printf("device sectors:    unknown (entries reach sector %" PRIu64 ")\n",
	       lg->sb.dev_sectors);
	printf("log sectors:       %" PRIu64 "\n", lg->sb.log_sectors);
	printf("used sectors:      %" PRIu64 " (by the committed entries)\n",
	       lg->sb.used_sectors);
	printf("unavailable:       log id, state, checksums, completion order, write_zeroes, "
	       "entries after the last superblock update\n");
}

int cmd_info(int argc, char **argv)
{
	u64 writes = 0, data = 0, flushes = 0, fua = 0, discards = 0, zeroes = 0;
	u64 marks = 0, info = 0, comps = 0, stop;
	struct log_limit lim = { 0 };
	const char *path;
	struct dmr_rec rec;
	struct log lg;
	int r;

	r = walk_args(argc, argv, "info", &lim, &path);
	if (r)
		return r < 0 ? 0 : r;
	r = log_open(&lg, path);
	if (r)
		goto out;
	r = log_scan(&lg);
	if (r)
		goto out;
	r = log_limit_stop(&lg, &lim, &stop);
	if (r)
		goto out;
	printf("log:               %s\n", lg.path);
	if (lg.lw) {
		print_lw_super(&lg);
	} else {
		printf("format:            dm-replay\n");
		printf("version:           %u\n", lg.sb.version);
		printf("log id:            %016" PRIx64 "\n", lg.sb.log_id);
		printf("state:             %s\n", state_str(lg.sb.state));
		printf("block size:        %u\n", lg.sb.block_size);
		printf("data block size:   %u\n", lg.sb.data_block_size);
		printf("device sectors:    %" PRIu64 "\n", lg.sb.dev_sectors);
		printf("log sectors:       %" PRIu64 "\n", lg.sb.log_sectors);
		printf("used sectors:      %" PRIu64 " (at the last superblock update)\n",
		       lg.sb.used_sectors);
	}
	printf("committed entries: %" PRIu64 "\n", lg.sb.nr_entries);
	fflush(stdout);

	while (lg.index < stop && log_next(&lg, &rec, false) == NEXT_ENTRY) {
		if (rec.type == DMR_TYPE_MARK) {
			marks++;
			continue;
		}
		if (rec.type == DMR_TYPE_COMPLETIONS) {
			comps += rec.nr_sectors;
			continue;
		}
		if (rec.type != DMR_TYPE_IO) {
			info++;
			continue;
		}
		comps += !!(rec.flags & DMR_F_COMPLETED);
		flushes += !!(rec.flags & DMR_F_FLUSH);
		fua += !!(rec.flags & DMR_F_FUA);
		if (rec.flags & DMR_F_DISCARD)
			discards++;
		else if (rec.flags & DMR_F_ZEROES)
			zeroes++;
		else if (rec.nr_sectors)
			writes++;
		data += rec.data_sectors;
	}
	printf("entries:           %" PRIu64 "%s\n", lg.index,
	       stop < lg.nr_intact ? " (up to the stop point)" : "");
	printf("log end:           sector %" PRIu64 "\n", lg.pos);
	printf("writes:            %" PRIu64 " (%" PRIu64 " data sectors)\n", writes, data);
	printf("flushes:           %" PRIu64 "\n", flushes);
	printf("fua:               %" PRIu64 "\n", fua);
	printf("discards:          %" PRIu64 "\n", discards);
	printf("write_zeroes:      %" PRIu64 "\n", zeroes);
	printf("marks:             %" PRIu64 "\n", marks);
	if (lg.lw)
		printf("completions:       unavailable (not in the dm-log-writes format)\n");
	else
		printf("completions:       %" PRIu64 "\n", comps);
	if (info)
		printf("other entries:     %" PRIu64 "\n", info);
	if (lg.sb.state != DMR_STATE_LOGGING)
		printf("note:              logging stopped (%s): later writes to the "
		       "device are not in this log\n", state_str(lg.sb.state));
	if (lg.end == NEXT_TORN)
		printf("torn tail:         entry %" PRIu64 " (after the last commit)\n",
		       lg.nr_intact);
	else if (lg.end != NEXT_END)
		printf("damaged:           from entry %" PRIu64 "\n", lg.nr_intact);
	if (lg.last_flush_end)
		printf("last flush point:  entry %" PRIu64 "\n", lg.last_flush_end - 1);
	fflush(stdout);
	r = log_check_stop(&lg, stop, lim.has_to_entry || lim.to_last_flush);
out:
	log_close(&lg);
	return r;
}
