// SPDX-License-Identifier: GPL-2.0
/*
 * Host property test of scripts/dm2inject: every fstests table form and
 * seeded random dm-flakey, dm-delay, dm-dust and dm-error lines are
 * converted; each converted line must parse as the target parses it
 * (options, rules, block fit), and the rules, run through the engine
 * (inj_evaluate() at chosen times), must do to each kind of request what
 * the stock target does to it, as read from its source (dm-flakey.c,
 * dm-delay.c, dm-error in dm-target.c of 6.12). Lines the stock target
 * would refuse, or that have no dm-inject form, must exit 1 naming the
 * part; usage errors exit 2.
 *
 * Runs from the top of the tree (make unit): the script is
 * scripts/dm2inject.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "../../dm-inject/inject-rules.c"
#include "../../dm-inject/inject-index.c"

#define LEN	131072ULL
#define SEC	1000000000ULL

struct conv {
	int rc;
	char out[2048];
	char err[1024];
};

/* Run dm2inject with @args (split on blanks) or, when @stdin_line, fed it. */
static void run(const char *args, const char *stdin_line, struct conv *c)
{
	char cmd[2048];
	FILE *f;
	int st;
	size_t n;

	if (stdin_line)
		snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | sh scripts/dm2inject 2>/tmp/dm2inject-err.%d",
			 stdin_line, (int)getpid());
	else
		snprintf(cmd, sizeof(cmd), "sh scripts/dm2inject %s 2>/tmp/dm2inject-err.%d",
			 args, (int)getpid());
	f = popen(cmd, "r");
	if (!f) {
		c->rc = -1;
		return;
	}
	n = fread(c->out, 1, sizeof(c->out) - 1, f);
	c->out[n] = '\0';
	if (n && c->out[n - 1] == '\n')
		c->out[n - 1] = '\0';
	st = pclose(f);
	c->rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	snprintf(cmd, sizeof(cmd), "/tmp/dm2inject-err.%d", (int)getpid());
	f = fopen(cmd, "r");
	c->err[0] = '\0';
	if (f) {
		n = fread(c->err, 1, sizeof(c->err) - 1, f);
		c->err[n] = '\0';
		fclose(f);
		unlink(cmd);
	}
}

/* A converted line as the target builds it. */
struct table {
	struct inj_opts opts;
	struct inj_ruleset *rs;
	char dev[64];
	u64 off;
};

static int load(const char *line, u64 len, struct table *t)
{
	char buf[2048], *save = NULL, *p;
	struct inj_rule *rules[64];
	unsigned long long start, l, n;
	const char *err = NULL;
	u32 nr = 0, i;

	memset(t, 0, sizeof(*t));
	snprintf(buf, sizeof(buf), "%s", line);
	if (sscanf(buf, "%llu %llu inject %63s %llu %llu", &start, &l, t->dev,
		   (unsigned long long *)&t->off, &n) != 5 || l != len) {
		fprintf(stderr, "    not an inject line: '%s'\n", line);
		return -1;
	}
	/* skip the six fixed fields */
	p = strtok_r(buf, " ", &save);
	for (i = 0; i < 6 && p; i++)
		p = strtok_r(NULL, " ", &save);
	for (i = 0; p; p = strtok_r(NULL, " ", &save), i++) {
		struct inj_rule *r = NULL;

		if (inj_parse_word(p, len, &t->opts, &r, &err)) {
			fprintf(stderr, "    '%s' in '%s' refused: %s\n", p, line, err);
			return -1;
		}
		if (r) {
			r->id = nr + 1;
			rules[nr++] = r;
		}
	}
	if (i != n) {
		fprintf(stderr, "    '%s': #args %llu, %u words\n", line, n, i);
		return -1;
	}
	if (inj_opts_fit(&t->opts, 512, &err))
		return -1;
	for (i = 0; i < nr; i++)
		if (inj_rule_fit(rules[i], 512, t->opts.align, &err) ||
		    inj_rule_fit_dust(rules[i], t->opts.dust_bs, len, &err))
			return -1;
	t->rs = inj_ruleset_build(rules, nr);
	return t->rs ? 0 : -1;
}

/* What happens to a request: passed, failed, dropped, corrupted. */
enum fate { PASS, FAIL, DROP, CORRUPT };

static enum fate inject_fate(struct table *t, struct inj_engine *eng, unsigned int ev,
			     u64 now, u64 nr_sectors)
{
	struct inj_req q = { .ev = ev, .sector = 0, .nr_sectors = nr_sectors, .now_ns = now };
	struct inj_rule *r;

	if (ev == INJ_EV_FLUSH)
		q.nr_sectors = 0;
	r = inj_evaluate(t->rs, eng, &q, LEN);
	if (!r)
		return PASS;
	switch (r->type) {
	case INJ_ERROR:
		return FAIL;
	case INJ_DROP:
		return DROP;
	case INJ_CORRUPT:
		return CORRUPT;
	case INJ_DELAY:
		return PASS;
	}
	return -1;
}

/* dm-flakey (6.12): features and what a request meets at @now. */
struct flakey {
	u32 up, down;
	bool error_reads, drop_writes, error_writes;
	int corrupt_dir;	/* 0 none, 1 read, 2 write */
	u32 corrupt_byte;
};

static enum fate flakey_fate(const struct flakey *f, unsigned int ev, u64 now, u64 nr_sectors)
{
	bool er = f->error_reads, ew = f->error_writes;
	u64 secs = now / SEC;

	if (ev >= INJ_EV_ZONE_RESET)			/* op_is_zone_mgmt() */
		return PASS;
	if (secs % ((u64)f->up + f->down) < f->up)	/* up */
		return PASS;
	if (!er && !ew && !f->drop_writes && !f->corrupt_dir)
		er = ew = true;
	if (ev == INJ_EV_READ) {
		if (er)
			return FAIL;
		if (f->corrupt_dir == 1 && nr_sectors * 512 >= f->corrupt_byte)
			return CORRUPT;
		return PASS;
	}
	if (f->drop_writes)
		return DROP;
	if (ew)
		return FAIL;
	/* a write with data, and the byte within it */
	if (f->corrupt_dir == 2 && ev == INJ_EV_WRITE && nr_sectors * 512 >= f->corrupt_byte)
		return CORRUPT;
	return PASS;
}

static u64 rnd(struct dmtk_prng *p, u64 bound)
{
	return dmtk_prng_next(p) % bound;
}

static const u64 req_lens[] = { 1, 8, 256 };

static void check_flakey(const struct flakey *f, struct dmtk_prng *seed)
{
	char args[512], feat[256] = "";
	struct table t;
	struct inj_engine eng;
	struct conv c;
	unsigned int nf = 0, ev, k, l;

	if (f->error_reads)
		nf += 1, strcat(feat, " error_reads");
	if (f->drop_writes)
		nf += 1, strcat(feat, " drop_writes");
	if (f->error_writes)
		nf += 1, strcat(feat, " error_writes");
	if (f->corrupt_dir) {
		nf += 5;
		snprintf(feat + strlen(feat), sizeof(feat) - strlen(feat),
			 " corrupt_bio_byte %u %c 255 0", f->corrupt_byte,
			 f->corrupt_dir == 1 ? 'r' : 'w');
	}
	if (nf)
		snprintf(args, sizeof(args), "0 %llu flakey /dev/ram1 0 %u %u %u%s", LEN, f->up,
			 f->down, nf, feat);
	else
		snprintf(args, sizeof(args), "0 %llu flakey /dev/ram1 0 %u %u", LEN, f->up,
			 f->down);
	run(args, NULL, &c);
	CHECK_EQ(c.rc, 0);
	if (c.rc) {
		fprintf(stderr, "    '%s': %s\n", args, c.err);
		return;
	}
	CHECK_EQ(load(c.out, LEN, &t), 0);
	if (!t.rs)
		return;
	inj_engine_init(&eng, 0);
	for (k = 0; k < 24; k++) {
		/* whole seconds and the edges around them */
		u64 now = k < 12 ? k * SEC : rnd(seed, 4 * ((u64)f->up + f->down + 1)) * SEC +
			  rnd(seed, 3) * (SEC / 2) - (k & 1);

		if (now > (u64)1 << 62)
			now = 0;
		for (ev = 0; ev < INJ_EV_NR; ev++) {
			for (l = 0; l < ARRAY_SIZE(req_lens); l++) {
				enum fate want = flakey_fate(f, ev, now, req_lens[l]);
				enum fate got = inject_fate(&t, &eng, ev, now, req_lens[l]);

				if (ev == INJ_EV_FLUSH && want == CORRUPT)
					want = PASS;
				if (got != want) {
					fprintf(stderr, "    '%s' -> '%s': %s of %llu sectors at %llu ns: flakey %d, inject %d\n",
						args, c.out, inj_event_name(ev),
						(unsigned long long)req_lens[l],
						(unsigned long long)now, want, got);
					CHECK_EQ(got, want);
					goto out;
				}
			}
		}
	}
out:
	inj_ruleset_free_all(t.rs);
}

UNIT_CASE(fstests_forms_convert)
{
	static const struct {
		const char *line, *want;
	} forms[] = {
		/* common/dmflakey */
		{ "0 131072 flakey /dev/ram1 0 180 0", "0 131072 inject /dev/ram1 0 0" },
		{ "0 131072 flakey /dev/ram1 0 0 180 1 drop_writes",
		  "0 131072 inject /dev/ram1 0 1 drop:event=write+flush+discard+write_zeroes+zone_append" },
		{ "0 131072 flakey /dev/ram1 0 0 180 1 error_writes",
		  "0 131072 inject /dev/ram1 0 1 error:event=write+flush+discard+write_zeroes+zone_append" },
		/* xfs/051, xfs/438 */
		{ "0 131072 flakey /dev/ram1 0 5 180",
		  "0 131072 inject /dev/ram1 0 1 error:event=read+write+flush+discard+write_zeroes+zone_append,up=5,down=180" },
		{ "1024 130048 flakey /dev/ram1 1024 0 1 1 error_writes",
		  "1024 130048 inject /dev/ram1 1024 1 error:event=write+flush+discard+write_zeroes+zone_append" },
		/* common/dmdust, common/dmdelay */
		{ "0 131072 dust /dev/ram1 0 512", "0 131072 inject /dev/ram1 0 1 dust:512" },
		{ "0 131072 delay /dev/ram1 0 0", "0 131072 inject /dev/ram1 0 0" },
		{ "0 131072 delay /dev/ram1 0 10000 /dev/ram1 0 0",
		  "0 131072 inject /dev/ram1 0 1 delay:event=read,ms=10000" },
		/* common/dmerror */
		{ "0 131072 error /dev/ram1 0",
		  "0 131072 inject /dev/ram1 0 1 error:event=read+write+discard+write_zeroes+zone_append+zone_reset+zone_open+zone_close+zone_finish" },
		{ "0 1024 linear /dev/ram1 0", "0 1024 inject /dev/ram1 0 0" },
	};
	struct conv c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		run(forms[i].line, NULL, &c);
		CHECK_EQ(c.rc, 0);
		CHECK_STR(c.out, forms[i].want);
		/* the same line on stdin */
		run(NULL, forms[i].line, &c);
		CHECK_EQ(c.rc, 0);
		CHECK_STR(c.out, forms[i].want);
	}
}

UNIT_CASE(flakey_lines_behave_as_flakey)
{
	static const struct flakey fixed[] = {
		{ .up = 5, .down = 180 }, { .up = 0, .down = 180 }, { .up = 180, .down = 0 },
		{ .up = 1, .down = 1 }, { .up = 2, .down = 1, .drop_writes = true },
		{ .up = 1, .down = 2, .error_writes = true },
		{ .up = 1, .down = 1, .error_reads = true },
		{ .up = 1, .down = 1, .error_reads = true, .drop_writes = true },
		{ .up = 1, .down = 1, .corrupt_dir = 1, .corrupt_byte = 1 },
		{ .up = 1, .down = 1, .corrupt_dir = 2, .corrupt_byte = 4096 },
		{ .up = 1, .down = 1, .corrupt_dir = 1, .corrupt_byte = 4097, .error_writes = true },
		{ .up = 4294967294U, .down = 1 }, { .up = 1, .down = 4294967294U },
	};
	struct dmtk_prng seed;
	unsigned int i;

	dmtk_prng_seed(&seed, 15);
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		check_flakey(&fixed[i], &seed);
	for (i = 0; i < 40; i++) {
		struct flakey f = { 0 };
		unsigned int w = rnd(&seed, 4);

		f.up = rnd(&seed, 4);
		f.down = rnd(&seed, 4) + !f.up;
		f.error_reads = rnd(&seed, 2);
		f.drop_writes = w == 1;
		f.error_writes = w == 2;
		f.corrupt_dir = rnd(&seed, 3);
		if (f.corrupt_dir == 2 && w)
			f.corrupt_dir = 1;
		f.corrupt_byte = 1 + rnd(&seed, 2 * 131072);
		check_flakey(&f, &seed);
	}
}

UNIT_CASE(delay_lines_delay_as_dm_delay)
{
	static const u32 vals[] = { 0, 1, 10000, 4294967295U };
	unsigned int i, ev, form;
	struct dmtk_prng seed;

	dmtk_prng_seed(&seed, 7);
	for (i = 0; i < 40; i++) {
		u32 d[3] = { vals[rnd(&seed, 4)], vals[rnd(&seed, 4)], vals[rnd(&seed, 4)] };
		char args[512];
		struct inj_engine eng;
		struct table t;
		struct conv c;

		form = rnd(&seed, 3);
		if (form == 0)
			d[1] = d[2] = d[0];
		else if (form == 1)
			d[2] = d[1];
		if (form == 0)
			snprintf(args, sizeof(args), "0 %llu delay /dev/ram1 8 %u", LEN, d[0]);
		else if (form == 1)
			snprintf(args, sizeof(args), "0 %llu delay /dev/ram1 8 %u /dev/ram1 8 %u",
				 LEN, d[0], d[1]);
		else
			snprintf(args, sizeof(args),
				 "0 %llu delay /dev/ram1 8 %u /dev/ram1 8 %u /dev/ram1 8 %u",
				 LEN, d[0], d[1], d[2]);
		run(args, NULL, &c);
		CHECK_EQ(c.rc, 0);
		if (c.rc || load(c.out, LEN, &t)) {
			fprintf(stderr, "    '%s' -> '%s' %s\n", args, c.out, c.err);
			CHECK(0);
			continue;
		}
		CHECK_EQ(t.off, 8);
		inj_engine_init(&eng, 0);
		for (ev = 0; ev < INJ_EV_NR; ev++) {
			struct inj_req q = { .ev = ev, .nr_sectors = ev == INJ_EV_FLUSH ? 0 : 8 };
			struct inj_rule *r = inj_evaluate(t.rs, &eng, &q, LEN);
			u64 got = r ? inj_rule_delay_us(r, ev) : 0;
			/* dm-delay: flush (REQ_PREFLUSH), else write direction, else read */
			u32 want = ev == INJ_EV_READ ? d[0] : ev == INJ_EV_FLUSH ? d[2] : d[1];

			CHECK(!r || r->type == INJ_DELAY);
			if (got != (u64)want * 1000) {
				fprintf(stderr, "    '%s' -> '%s': %s delayed %llu us\n", args, c.out,
					inj_event_name(ev), (unsigned long long)got);
				CHECK_EQ(got, (u64)want * 1000);
			}
		}
		inj_ruleset_free_all(t.rs);
	}
}

UNIT_CASE(error_and_dust_lines)
{
	struct inj_engine eng;
	struct table t;
	struct conv c;
	unsigned int ev;
	u32 bs;

	run("0 131072 error /dev/ram1 0", NULL, &c);
	CHECK(!c.rc && !load(c.out, LEN, &t));
	inj_engine_init(&eng, 0);
	/* dm-error fails every request it sees; the empty flush it never sees */
	for (ev = 0; ev < INJ_EV_NR && t.rs; ev++)
		CHECK_EQ(inject_fate(&t, &eng, ev, 0, 8), ev == INJ_EV_FLUSH ? PASS : FAIL);
	inj_ruleset_free_all(t.rs);

	for (bs = 512; bs && bs <= (1U << 30); bs <<= 3) {
		char args[128], want[128];

		snprintf(args, sizeof(args), "0 131072 dust /dev/ram1 0 %u", bs);
		snprintf(want, sizeof(want), "0 131072 inject /dev/ram1 0 1 dust:%u", bs);
		run(args, NULL, &c);
		CHECK_STR(c.out, want);
		CHECK(!load(c.out, LEN, &t) && t.opts.dust_bs == bs);
		inj_ruleset_free_all(t.rs);
	}
}

UNIT_CASE(unconvertible_parts_are_named)
{
	static const struct {
		const char *args, *err;
		int rc;
	} bad[] = {
		{ "0 8 error", "error: no device", 1 },
		{ "0 8 striped 2 8 /dev/a 0 /dev/b 0", "target 'striped'", 1 },
		{ "0 8 flakey /dev/a 0 0 0", "Total (up + down) interval is zero", 1 },
		{ "0 8 flakey /dev/a 0 4294967295 1", "Interval overflow", 1 },
		{ "0 8 flakey /dev/a 0 4294967296 0", "up interval '4294967296' is larger than 4294967295", 1 },
		{ "0 8 flakey /dev/a 0 1 1 2 drop_writes error_writes", "conflicts", 1 },
		{ "0 8 flakey /dev/a 0 1 1 2 drop_writes drop_writes", "duplicated", 1 },
		{ "0 8 flakey /dev/a 0 1 1 1 sometimes", "feature 'sometimes'", 1 },
		{ "0 8 flakey /dev/a 0 1 1 2 drop_writes", "says 2, 1 follow", 1 },
		{ "0 8 flakey /dev/a 0 1 1 5 corrupt_bio_byte 1 r 1 8", "bio_flags 8", 1 },
		{ "0 8 flakey /dev/a 0 1 1 5 corrupt_bio_byte 1 x 1 0", "direction 'x'", 1 },
		{ "0 8 flakey /dev/a 0 1 1 5 corrupt_bio_byte 1 r 256 0", "value '256'", 1 },
		{ "0 8 flakey /dev/a 0 1 1 5 corrupt_bio_byte 0 r 1 0", "counts from 1", 1 },
		{ "0 8 flakey /dev/a 0 1 1 5 corrupt_bio_byte 2147483649 r 1 0", "offset= limit", 1 },
		{ "0 8 flakey /dev/a 0 1 1 6 drop_writes corrupt_bio_byte 1 w 1 0", "incompatible", 1 },
		{ "0 8 flakey /dev/a 0 1 1 2 random_read_corrupt 5", "whole percent", 1 },
		{ "0 8 flakey /dev/a 0 1 1 2 random_read_corrupt 1000000001", "larger than", 1 },
		{ "0 8 flakey /dev/a 0 1 1 7 corrupt_bio_byte 1 r 1 0 random_read_corrupt 10000000",
		  "acts once", 1 },
		{ "0 8 delay /dev/a 0 1 /dev/b 0 1", "write device '/dev/b 0' differs", 1 },
		{ "0 8 delay /dev/a 0 1 /dev/a 8 1", "write device '/dev/a 8' differs", 1 },
		{ "0 8 delay /dev/a 0 1 /dev/a 0 1 /dev/c 0 1", "flush device '/dev/c 0' differs", 1 },
		{ "0 8 delay /dev/a 0 4294967296", "read delay '4294967296' is larger", 1 },
		{ "0 8 delay /dev/a 0 1 2", "exactly 3, 6 or 9", 1 },
		{ "0 8 dust /dev/a 0 1000", "power of two", 1 },
		{ "0 8 dust /dev/a 0 256", "power of two", 1 },
		{ "0 8 dust /dev/a 18446744073709551616 512", "offset '18446744073709551616' is larger", 1 },
		{ "0 8 linear /dev/a -1", "not a decimal number", 1 },
		{ "0 8", "Usage", 2 },
		{ "x 8 linear /dev/a 0", "start 'x'", 2 },
		{ "0 18446744073709551616 linear /dev/a 0", "length '18446744073709551616'", 2 },
	};
	struct conv c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		run(bad[i].args, NULL, &c);
		if (c.rc != bad[i].rc || !strstr(c.err, bad[i].err) || c.out[0])
			fprintf(stderr, "    '%s': exit %d, '%s', stdout '%s'\n", bad[i].args, c.rc,
				c.err, c.out);
		CHECK_EQ(c.rc, bad[i].rc);
		CHECK(strstr(c.err, bad[i].err));
		CHECK(!c.out[0]);
	}
}

int main(void)
{
	UNIT_RUN("dm2inject", fstests_forms_convert);
	UNIT_RUN("dm2inject", flakey_lines_behave_as_flakey);
	UNIT_RUN("dm2inject", delay_lines_delay_as_dm_delay);
	UNIT_RUN("dm2inject", error_and_dust_lines);
	UNIT_RUN("dm2inject", unconvertible_parts_are_named);
	return unit_summary("dm2inject");
}
