// SPDX-License-Identifier: GPL-2.0
/*
 * Regressions found by the host fuzzers' property test of
 * scripts/blkdebug2dm (tests/fuzz-host/blkdebug-prop.c), each with its
 * minimised config: the converter's table line must parse with
 * dm-inject's own rule parser, or the converter must refuse the config.
 * awk turned every number into a double, so numbers past 2^31 came out
 * as "3e+09" and numbers past 2^53 were rounded.
 */
#include <libgen.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "../../dm-inject/inject-rules.c"
#include "../../dm-inject/inject-index.c"

static char script[4096];

/* Run the converter on @config; its exit code, stdout+stderr in @out. */
static int convert(const char *config, const char *args, char *out, size_t len)
{
	char cfg[] = "/tmp/dmtk-blkdebug-XXXXXX", cmd[8192];
	size_t n = 0;
	FILE *p;
	int fd, st;

	fd = mkstemp(cfg);
	if (fd < 0 || write(fd, config, strlen(config)) != (ssize_t)strlen(config)) {
		perror("mkstemp");
		return -1;
	}
	close(fd);
	/* its notes (where QEMU would act otherwise) are not what is checked */
	snprintf(cmd, sizeof(cmd),
		 "{ sh '%s' %s '%s' /dev/fake 2>&1; echo $? > '%s.rc'; } | grep -v '^blkdebug2dm: note: '",
		 script, args, cfg, cfg);
	p = popen(cmd, "r");
	if (p)
		n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = p ? pclose(p) : -1;
	unlink(cfg);
	snprintf(cmd, sizeof(cmd), "%s.rc", cfg);
	p = fopen(cmd, "r");
	if (!p || fscanf(p, "%d", &st) != 1)
		st = -1;
	if (p)
		fclose(p);
	unlink(cmd);
	return st;
}

/* The rule words of a table line, each parsed for a device of @dev_len. */
static int parse_line(char *line, u64 dev_len, struct inj_opts *o, struct inj_rule **rules,
		      int max)
{
	char *p, *save = NULL;
	int i = 0, w = 0;

	for (p = strtok_r(line, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		const char *err = NULL;
		struct inj_rule *r = NULL;

		if (w++ < 6)	/* 0 LEN inject DEV OFFSET N */
			continue;
		if (inj_parse_word(p, dev_len, o, &r, &err)) {
			fprintf(stderr, "    word '%s' refused: %s\n", p, err);
			return -1;
		}
		if (r && i < max)
			rules[i++] = r;
		else
			kfree(r);
	}
	return i;
}

/* Sector 3000000000 on a 2 TiB mapping came out as sector=3e+09. */
UNIT_CASE(sector_past_2_31_is_printed_whole)
{
	char out[4096];
	struct inj_opts o = { 0 };
	struct inj_rule *r[2] = { 0 };

	CHECK_EQ(convert("[inject-error]\nevent = \"read_aio\"\nsector = \"3000000000\"\n",
			 "-l 4294967301", out, sizeof(out)), 0);
	CHECK_STR(out, "0 4294967301 inject /dev/fake 0 1 "
		  "error:event=read,sector=3000000000,errno=5\n");
	CHECK_EQ(parse_line(out, 4294967301ULL, &o, r, 2), 1);
	if (r[0])
		CHECK_EQ(r[0]->lo, 3000000000ULL);
	kfree(r[0]);
}

/* The last sector of a 2^62-sector mapping was refused as past the end. */
UNIT_CASE(sector_past_2_53_is_exact)
{
	char out[4096];

	CHECK_EQ(convert("[inject-error]\nevent = \"write_aio\"\nsector = \"4611686018427387903\"\n",
			 "-l 4611686018427387904", out, sizeof(out)), 0);
	CHECK_STR(out, "0 4611686018427387904 inject /dev/fake 0 1 "
		  "error:event=write,sector=4611686018427387903,errno=5\n");
	CHECK_EQ(convert("[inject-error]\nevent = \"write_aio\"\nsector = \"4611686018427387904\"\n",
			 "-l 4611686018427387904", out, sizeof(out)), 1);
	CHECK(strstr(out, ":3: sector 4611686018427387904 is past the end of the mapping"));
}

/* new_state=4294967296 was accepted and printed as new_state=4.29497e+09. */
UNIT_CASE(state_past_2_31_is_refused)
{
	char out[4096];

	CHECK_EQ(convert("[set-state]\nevent = \"write_aio\"\nnew_state = \"4294967296\"\n",
			 "-l 8", out, sizeof(out)), 1);
	CHECK(strstr(out, ":3: new_state 4294967296 is not 1 to 2147483647"));
	CHECK_EQ(convert("[inject-error]\nevent = \"read\"\nstate = \"2147483648\"\n",
			 "-l 8", out, sizeof(out)), 1);
	CHECK(strstr(out, ":3: state 2147483648 is not 0 to 2147483647"));
	CHECK_EQ(convert("[set-state]\nevent = \"read\"\nstate = \"002147483647\"\n"
			 "new_state = \"2147483647\"\n", "-l 8", out, sizeof(out)), 0);
	CHECK_STR(out, "0 8 inject /dev/fake 0 1 "
		  "state:event=read,state=2147483647,new_state=2147483647\n");
}

/* -s 18446744073709551616 gave a seed: word the target refuses. */
UNIT_CASE(seed_past_2_64_is_a_usage_error)
{
	char out[4096];

	CHECK_EQ(convert("[inject-error]\nevent = \"read\"\n", "-l 8 -s 18446744073709551616",
			 out, sizeof(out)), 2);
	CHECK(strstr(out, "blkdebug2dm: '18446744073709551616' is larger than 18446744073709551615"));
	CHECK_EQ(convert("[inject-error]\nevent = \"read\"\n", "-l 8 -s 18446744073709551615",
			 out, sizeof(out)), 0);
	CHECK_STR(out, "0 8 inject /dev/fake 0 2 seed:18446744073709551615 "
		  "error:event=read,errno=5\n");
}

int main(int argc, char **argv)
{
	char self[4096];

	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(script, sizeof(script), "%s/../../scripts/blkdebug2dm", dirname(self));
	UNIT_RUN("fuzz-regress-blkdebug2dm", sector_past_2_31_is_printed_whole);
	UNIT_RUN("fuzz-regress-blkdebug2dm", sector_past_2_53_is_exact);
	UNIT_RUN("fuzz-regress-blkdebug2dm", state_past_2_31_is_refused);
	UNIT_RUN("fuzz-regress-blkdebug2dm", seed_past_2_64_is_a_usage_error);
	return unit_summary("fuzz-regress-blkdebug2dm");
}
