// SPDX-License-Identifier: GPL-2.0
/*
 * dmr-fuzz-tool: fuzz dmreplay (built with ASan and UBSan) with dm-replay
 * logs. Each input is a valid log from a seeded generator (writes,
 * discards, write_zeroes, flushes, FUA, marks, completion records and
 * entries that carry their own, a commit count, sometimes a torn tail),
 * which is then, most of the time, mutated field by field (superblock
 * fields, entry ranges, flags, types, sequence and completion numbers,
 * completion records, lengths) with its checksums computed again so the
 * mutation gets past them, or damaged below them (a flipped data byte, a
 * broken header checksum, a cut file).
 *
 * Every verb runs on each input: info, list, completions, replay onto a
 * file target, crash-states (--check true) and crash-state, some of them
 * with --to-last-flush. The findings:
 *   - a sanitizer report, a signal, an exit status other than 0..3;
 *   - a refusal (exit 1 or 3) without a specific message;
 *   - a target changed by a refused replay (it must be untouched), grown,
 *     or written past the recorded device (a canary tail follows it);
 *   - an unmutated log whose replay (or crash-states) does not leave the
 *     device as the generator's model says.
 * Findings are kept under --keep DIR (log, target, command). Exit 0 when
 * there are none.
 *
 * Usage: dmr-fuzz-tool --tool DMREPLAY [--seed S] [--count N | --seconds N]
 *                      [--keep DIR] [-v]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <regex.h>
#include <spawn.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "logbuild.h"
#include "dmtk-prng.h"

#define CANARY_BYTES	65536
#define INIT_BYTE	0x5a
#define TAIL_BYTE	0xc3

extern char **environ;

static const char *tool;
static char dir[4096];
static const char *keep;
static bool verbose;
static struct dmtk_prng rng;

static struct {
	u64 inputs, mutated, runs, accepted, refused, findings;
	u64 verb_ok[8], verb_refused[8];
} st;

static u32 below(u32 n)
{
	return n ? dmtk_prng_below(&rng, n) : 0;
}

static bool chance(u32 percent)
{
	return below(100) < percent;
}

static u64 rnd64(void)
{
	return dmtk_prng_next(&rng);
}

/* ---- the generator ---- */

struct model {
	u8 *dev;		/* the device after every entry */
	u64 bytes;
};

static void gen_log(struct lb_log *lg, struct model *m)
{
	static const u32 bss[] = { 512, 1024, 4096 };
	u32 bs = bss[below(3)], dbs = chance(70) ? 512 : 4096, unit = dbs >> 9;
	u64 dev = (u64)(16 + below(4096 / unit)) * unit;
	u32 nr = below(40), i, pending = 0, emitted = 0;
	u64 comp = 0;
	bool comps = chance(60), torn_tail = chance(20);

	lb_init(lg, bs, dev, 0);
	lg->sb.data_block_size = dbs;
	lg->sb.log_id = rnd64();
	m->bytes = dev << 9;
	m->dev = lb_xcalloc(m->bytes, 1);
	memset(m->dev, INIT_BYTE, m->bytes);
	for (i = 0; i < nr; i++) {
		struct lb_entry *e;
		u32 kind = below(100);

		/* Completion records of reads, errors: pending until sealed. */
		if (comps && chance(30) && pending < DMR_COMP_PER_ENTRY - 1) {
			pending++;
			comp++;
		}
		if (comps && pending && chance(15)) {
			struct dmr_comp *raw;
			u32 k;

			e = lb_add(lg);
			e->rec.type = DMR_TYPE_COMPLETIONS;
			e->rec.sector = emitted;
			e->rec.nr_sectors = pending;
			e->rec.data_sectors = dmr_comp_data_sectors(pending);
			e->data = lb_xcalloc(e->rec.data_sectors, 512);
			e->data_len = e->rec.data_sectors << 9;
			raw = (struct dmr_comp *)e->data;
			for (k = 0; k < pending; k++) {
				struct dmr_crec c = { 0 };

				c.op = chance(80) ? DMR_OP_READ : DMR_OP_WRITE;
				c.nr_sectors = unit * (1 + below(8));
				c.sector = below((u32)(dev - c.nr_sectors) / unit + 1) * (u64)unit;
				c.flags = chance(10) ? DMR_CF_ERROR : 0;
				dmr_comp_encode(&raw[k], &c);
			}
			emitted += pending;
			pending = 0;
			continue;
		}
		e = lb_add(lg);
		if (kind < 8) {
			e->rec.type = DMR_TYPE_MARK;
			snprintf(e->rec.name, sizeof(e->rec.name), "m%u", below(4));
			continue;
		}
		e->rec.type = DMR_TYPE_IO;
		if (kind < 20) {
			e->rec.flags = DMR_F_FLUSH;
		} else {
			u64 len = (u64)unit * (1 + below(kind < 30 ? 512 : 32));

			if (len > dev)
				len = dev;
			e->rec.nr_sectors = len;
			e->rec.sector = below((u32)((dev - len) / unit) + 1) * (u64)unit;
			if (kind < 26) {
				e->rec.flags = DMR_F_DISCARD;
				memset(m->dev + (e->rec.sector << 9), 0, len << 9);
			} else if (kind < 30) {
				e->rec.flags = DMR_F_ZEROES;
				memset(m->dev + (e->rec.sector << 9), 0, len << 9);
			} else {
				e->rec.data_sectors = (u32)len;
				e->data = lb_xcalloc(len, 512);
				e->data_len = (u32)len << 9;
				memset(e->data, (int)(1 + below(250)), len << 9);
				e->data[below((u32)(len << 9))] ^= (u8)rnd64();
				memcpy(m->dev + (e->rec.sector << 9), e->data, len << 9);
			}
			e->rec.flags |= chance(10) ? DMR_F_FUA : 0;
			e->rec.flags |= chance(8) ? DMR_F_FLUSH : 0;
			e->rec.flags |= chance(10) ? DMR_F_META : 0;
		}
		if (comps && chance(90)) {
			e->rec.flags |= DMR_F_COMPLETED;
			e->rec.comp_seq = comp++;
		}
	}
	/* A clean stop seals the partial completion entry; a crash loses it. */
	lg->sb.nr_entries = lg->nr ? below(lg->nr + 1) : 0;
	lg->raw_nr_entries = !chance(40);
	if (torn_tail && lg->nr && lg->sb.nr_entries < lg->nr) {
		struct lb_entry *last = &lg->e[lg->nr - 1];

		if (last->data && chance(70))
			last->bad_data_crc = true;
		else
			last->bad_hdr_crc = true;
	}
	lg->sb.log_sectors = lb_used_sectors(lg) + (bs >> 9) * below(4);
}

/* ---- mutations ---- */

static u64 wild(u64 near)
{
	switch (below(9)) {
	case 0:
		return 0;
	case 1:
		return near + 1;
	case 2:
		return near ? near - 1 : 0;
	case 3:
		return 0x80000000000008ULL;
	case 4:
		return U64_MAX - below(16);
	case 5:
		return 0x1000000;
	case 6:
		return 1ULL << (32 + below(31));
	case 7:
		return near * 2 + 8;
	default:
		return rnd64() >> below(64);
	}
}

static bool mutate(struct lb_log *lg, u64 *cut)
{
	struct lb_entry *e = lg->nr ? &lg->e[below(lg->nr)] : NULL;
	struct dmr_sb *sb = &lg->sb;

	switch (below(e ? 20 : 6)) {
	case 0:
		sb->dev_sectors = chance(50) ? below((u32)sb->dev_sectors + 1) :
			wild(sb->dev_sectors);
		return true;
	case 1:
		sb->nr_entries = chance(50) ? below(lg->nr + 3) : wild(sb->nr_entries);
		lg->raw_nr_entries = true;
		return true;
	case 2:
		sb->used_sectors = wild(sb->used_sectors);
		lg->raw_used = true;
		return true;
	case 3:
		if (chance(50))
			sb->log_sectors = wild(sb->log_sectors);
		else
			sb->block_size = 256U << below(6);
		return true;
	case 4:
		sb->data_block_size = chance(50) ? 512U << below(8) : (u32)wild(512);
		return true;
	case 5:
		*cut = below((u32)(lb_used_sectors(lg) << 9) + 1);
		return true;
	case 6:
	case 7:
		e->rec.sector = wild(e->rec.sector);
		return true;
	case 8:
	case 9:
		e->rec.nr_sectors = wild(e->rec.nr_sectors);
		if (chance(30) && e->rec.nr_sectors < 4096 && e->rec.type == DMR_TYPE_IO &&
		    !(e->rec.flags & (DMR_F_DISCARD | DMR_F_ZEROES))) {
			/* A write whose data matches its new length. */
			free(e->data);
			e->rec.data_sectors = (u32)e->rec.nr_sectors;
			e->data = e->rec.data_sectors ? lb_xcalloc(e->rec.data_sectors, 512) : NULL;
			e->data_len = e->rec.data_sectors << 9;
		}
		return true;
	case 10:
		e->rec.flags ^= 1U << below(chance(80) ? 6 : 32);
		return true;
	case 11:
		e->rec.type = chance(50) ? (u16)below(4) : (u16)(DMR_TYPE_INFO | below(4));
		return true;
	case 12:
		e->rec.seq = chance(50) ? e->rec.seq + below(3) - 1 : wild(e->rec.seq);
		return true;
	case 13:
	case 14:
		e->rec.flags |= DMR_F_COMPLETED;
		e->rec.comp_seq = chance(60) ? e->rec.comp_seq + below(600) - 300 :
			wild(e->rec.comp_seq);
		return true;
	case 15:
		if (e->rec.type == DMR_TYPE_COMPLETIONS && e->data) {
			struct dmr_comp *raw = (struct dmr_comp *)e->data;
			struct dmr_comp *c = &raw[below((u32)e->rec.nr_sectors)];

			switch (below(5)) {
			case 0:
				c->sector = cpu_to_le64(wild(le64_to_cpu(c->sector)));
				break;
			case 1:
				c->nr_sectors = cpu_to_le32((u32)wild(le32_to_cpu(c->nr_sectors)));
				break;
			case 2:
				c->op = (u8)below(8);
				break;
			case 3:
				c->flags = (u8)rnd64();
				break;
			default:
				c->reserved = (u16)rnd64();
			}
		} else {
			e->rec.sector = wild(e->rec.sector);
		}
		return true;
	case 16:
		if (e->rec.type == DMR_TYPE_COMPLETIONS)
			e->rec.sector = chance(50) ? e->rec.sector + 1 : wild(e->rec.sector);
		else if (e->rec.type == DMR_TYPE_MARK)
			e->rec.name[below(4)] = (char)(below(2) ? ' ' : 0x7f);
		else
			e->rec.data_sectors = (u32)wild(e->rec.data_sectors);
		return true;
	case 17:
		if (e->data)
			e->bad_data_crc = true;
		else
			e->bad_hdr_crc = true;
		return true;
	case 18:
		/* Two entries swap places (their sequence numbers follow). */
		if (lg->nr > 1) {
			struct lb_entry *f = &lg->e[below(lg->nr)], tmp = *e;
			u64 s = e->rec.seq;

			*e = *f;
			*f = tmp;
			f->rec.seq = e->rec.seq;
			e->rec.seq = s;
		}
		return true;
	default:
		e->rec.flags ^= DMR_F_DISCARD << below(2);
		return true;
	}
}

/* ---- running the tool ---- */

static int run(char *const argv[], const char *errfile)
{
	posix_spawn_file_actions_t fa;
	int status;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		perror("posix_spawn");
		exit(3);
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			exit(3);
	st.runs++;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = lb_xcalloc(n + 1, 1);
	n = fread(buf, 1, n, f);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "dmr-fuzz-tool: cannot write %s\n", path);
		exit(3);
	}
}

enum { V_INFO, V_LIST, V_COMP, V_REPLAY, V_CRASH, V_STATE, V_NR };
static const char * const verb_names[] = {
	"info", "list", "completions", "replay", "crash-states", "crash-state",
};

static regex_t specific;

/* A message that says what is wrong, or (for runtime errors) what failed. */
static const char *specific_re =
	"^dmreplay: .*(entry [0-9]+|superblock|not a dm-replay log|too small|"
	"version|completion order|is a file of|has [0-9]+ sectors|logical blocks|"
	"is the log itself|is not in the log|before the start|past the end|"
	"--prefix|--entries)";

static u64 input_no;

static void finding(const char *why, const char *verb, const char *log, const char *tgt,
		    const char *err)
{
	char path[4200];

	st.findings++;
	fprintf(stderr, "FINDING input %" PRIu64 " (%s): %s\n", input_no, verb, why);
	if (err && *err)
		fprintf(stderr, "%.2000s\n", err);
	if (!keep)
		return;
	mkdir(keep, 0755);
	snprintf(path, sizeof(path), "cp %s %s/input-%" PRIu64 ".log; cp %s %s/input-%"
		 PRIu64 ".target 2>/dev/null", log, keep, input_no, tgt, keep, input_no);
	if (system(path))
		fprintf(stderr, "cannot keep input %" PRIu64 "\n", input_no);
}

/* Whether the tool's run is clean; counts the verb's outcome. */
static bool check_run(int rc, int verb, const char *name, const char *log, const char *tgt,
		      const char *errfile)
{
	char *err = slurp(errfile, NULL);
	bool ok = true;

	if (err && (strstr(err, "Sanitizer") || strstr(err, "runtime error:"))) {
		finding("sanitizer report", name, log, tgt, err);
		ok = false;
	} else if (rc > 3) {
		finding("crash or unexpected exit status", name, log, tgt, err);
		ok = false;
	} else if (rc == 1 || rc == 3) {
		char *line, *save = NULL, *copy = strdup(err ? err : "");
		bool found = false;

		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			found |= !regexec(&specific, line, 0, NULL, 0);
		free(copy);
		if (!found) {
			finding("refused without a specific error", name, log, tgt, err);
			ok = false;
		}
		st.verb_refused[verb]++;
	} else if (rc == 2 && verb == V_STATE && err &&
		   (strstr(err, "dmreplay: --entries: ") || strstr(err, "dmreplay: --prefix"))) {
		/* The fuzzer guesses --entries; a log of fewer entries refuses it. */
		st.verb_refused[verb]++;
	} else if (rc == 2) {
		finding("usage error on a valid command line", name, log, tgt, err);
		ok = false;
	} else {
		st.verb_ok[verb]++;
	}
	if (verbose)
		fprintf(stderr, "input %" PRIu64 " %s: exit %d %s", input_no, name, rc,
			err ? err : "");
	free(err);
	return ok;
}

static void make_target(const char *tgt, u64 dev_bytes)
{
	u8 *buf = lb_xcalloc(dev_bytes + CANARY_BYTES, 1);

	memset(buf, INIT_BYTE, dev_bytes);
	memset(buf + dev_bytes, TAIL_BYTE, CANARY_BYTES);
	write_file(tgt, buf, dev_bytes + CANARY_BYTES);
	free(buf);
}

/*
 * After a run on a target made by make_target(): refused, it must be
 * untouched; accepted, it must not have grown, its canary tail (and all
 * past the device the log claims) must be intact, and an unmutated log
 * must have left the model's device.
 */
static void check_target(int rc, const char *name, const char *log, const char *tgt,
			 u64 dev_bytes, u64 claimed_bytes, const struct model *m, bool exact)
{
	size_t len;
	u8 *buf = (u8 *)slurp(tgt, &len);
	u64 i, from = claimed_bytes < dev_bytes ? claimed_bytes : dev_bytes;

	if (len != dev_bytes + CANARY_BYTES) {
		finding("the target changed size", name, log, tgt, NULL);
		goto out;
	}
	for (i = dev_bytes; i < len; i++)
		if (buf[i] != TAIL_BYTE) {
			finding("written past the recorded device", name, log, tgt, NULL);
			goto out;
		}
	if (rc != 0) {
		for (i = 0; i < dev_bytes; i++)
			if (buf[i] != INIT_BYTE) {
				finding("a refused run changed the target", name, log, tgt, NULL);
				goto out;
			}
		goto out;
	}
	for (i = from; i < dev_bytes; i++)
		if (buf[i] != INIT_BYTE) {
			finding("written past the device the log claims", name, log, tgt, NULL);
			goto out;
		}
	if (exact && memcmp(buf, m->dev, dev_bytes))
		finding("the replayed device differs from the model", name, log, tgt, NULL);
out:
	free(buf);
}


static void one_input(u64 seed)
{
	char log[4200], tgt[4200], errf[4200], prefix[32];
	struct lb_log lg;
	struct model m;
	u64 cut = 0, dev_bytes, claimed;
	bool mutated = false, flush_cut, exact;
	size_t len;
	u8 *img;
	int rc, k, nmut;

	dmtk_prng_seed(&rng, seed);
	gen_log(&lg, &m);
	dev_bytes = lg.sb.dev_sectors << 9;
	if (chance(75)) {
		nmut = 1 + below(3);
		for (k = 0; k < nmut; k++)
			mutated |= mutate(&lg, &cut);
	}
	st.inputs++;
	st.mutated += mutated;
	lg.cut_bytes = cut;
	len = lb_build(&lg, &img);
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(tgt, sizeof(tgt), "%s/target", dir);
	snprintf(errf, sizeof(errf), "%s/err", dir);
	write_file(log, img, len);
	free(img);
	/* What the (mutated) superblock says the device holds. */
	claimed = lg.sb.dev_sectors > (U64_MAX >> 10) ? U64_MAX : lg.sb.dev_sectors << 9;
	flush_cut = chance(30);
	/* Unmutated, all committed, no torn tail: replay must give the model. */
	exact = !mutated && !flush_cut && lg.sb.nr_entries == lg.nr &&
		(!lg.nr || (!lg.e[lg.nr - 1].bad_data_crc && !lg.e[lg.nr - 1].bad_hdr_crc));

	{
		char *a[] = { (char *)tool, "info", log, NULL };

		check_run(run(a, errf), V_INFO, "info", log, tgt, errf);
	}
	{
		char *a[] = { (char *)tool, "list", log, flush_cut ? "--to-last-flush" : NULL,
			      NULL };

		check_run(run(a, errf), V_LIST, "list", log, tgt, errf);
	}
	{
		char *a[] = { (char *)tool, "completions", log, NULL };

		check_run(run(a, errf), V_COMP, "completions", log, tgt, errf);
	}
	{
		char *a[] = { (char *)tool, "replay", log, tgt,
			      flush_cut ? "--to-last-flush" : NULL, NULL };

		make_target(tgt, dev_bytes);
		rc = run(a, errf);
		if (check_run(rc, V_REPLAY, "replay", log, tgt, errf))
			check_target(rc, "replay", log, tgt, dev_bytes, claimed, &m, exact);
		if (rc)
			st.refused++;
		else
			st.accepted++;
	}
	{
		char *a[] = { (char *)tool, "crash-states", log, tgt, "--check", "true",
			      "--max-states", "3", flush_cut ? "--to-last-flush" : NULL, NULL };

		make_target(tgt, dev_bytes);
		rc = run(a, errf);
		if (check_run(rc, V_CRASH, "crash-states", log, tgt, errf))
			check_target(rc, "crash-states", log, tgt, dev_bytes, claimed, &m, exact);
	}
	if (chance(40)) {
		char *a[] = { (char *)tool, "crash-state", log, tgt, "--prefix", prefix,
			      "--entries", "", "--to-entry", "", NULL };
		char list[32], to[32];

		snprintf(prefix, sizeof(prefix), "%u", below(lg.nr + 2));
		snprintf(list, sizeof(list), "%u-%u", lg.nr / 2 + 1, lg.nr / 2 + 1 + below(3));
		snprintf(to, sizeof(to), "%u", lg.nr ? lg.nr - 1 : 0);
		a[7] = list;
		a[9] = to;
		if (chance(50))
			a[6] = NULL;
		make_target(tgt, dev_bytes);
		rc = run(a, errf);
		if (check_run(rc, V_STATE, "crash-state", log, tgt, errf))
			check_target(rc, "crash-state", log, tgt, dev_bytes, claimed, &m, false);
	}
	lb_free(&lg);
	free(m.dev);
}

int main(int argc, char **argv)
{
	u64 seed = 1, count = 0, seconds = 0, i;
	const char *tmp = getenv("TMPDIR");
	time_t t0 = time(NULL);
	int a, v;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--tool") && a + 1 < argc)
			tool = argv[++a];
		else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--count") && a + 1 < argc)
			count = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--seconds") && a + 1 < argc)
			seconds = strtoull(argv[++a], NULL, 0);
		else if (!strcmp(argv[a], "--keep") && a + 1 < argc)
			keep = argv[++a];
		else if (!strcmp(argv[a], "-v"))
			verbose = true;
		else
			break;
	}
	if (a < argc || !tool || (!count && !seconds)) {
		fprintf(stderr, "usage: dmr-fuzz-tool --tool DMREPLAY [--seed S] "
			"[--count N | --seconds N] [--keep DIR] [-v]\n");
		return 2;
	}
	if (regcomp(&specific, specific_re, REG_EXTENDED | REG_NOSUB))
		return 3;
	snprintf(dir, sizeof(dir), "%s/dmr-fuzz-tool.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 3;
	}
	setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0", 0);
	setenv("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1", 0);
	for (i = 0; count ? i < count : (u64)(time(NULL) - t0) < seconds; i++) {
		input_no = i;
		one_input(seed * 0x100000001b3ULL + i);
	}
	printf("%s tool/fuzz  seed %" PRIu64 ": %" PRIu64 " inputs (%" PRIu64 " mutated), %"
	       PRIu64 " tool runs in %lds; replay accepted %" PRIu64 ", refused %" PRIu64
	       "; findings %" PRIu64 "\n", st.findings ? "FAIL" : "ok  ", seed, st.inputs, st.mutated, st.runs,
	       (long)(time(NULL) - t0), st.accepted, st.refused, st.findings);
	for (v = 0; v < V_NR; v++)
		printf("    %-13s ok %" PRIu64 ", refused %" PRIu64 "\n", verb_names[v],
		       st.verb_ok[v], st.verb_refused[v]);
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	regfree(&specific);
	return st.findings ? 1 : 0;
}
