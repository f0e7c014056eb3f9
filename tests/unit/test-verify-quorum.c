// SPDX-License-Identifier: GPL-2.0
/* Host tests for dm-verify's quorum line (counts, options) and the vote. */
#include "../../dm-verify/verify-quorum-core.c"
#include "unit.h"

UNIT_CASE(parse_uint_bounds)
{
	unsigned int v = 77;

	CHECK_EQ(quorum_parse_uint("0", 8, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(quorum_parse_uint("8", 8, &v), 0);
	CHECK_EQ(v, 8);
	CHECK_EQ(quorum_parse_uint("9", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("10", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("4294967295", 0xffffffffu, &v), 0);
	CHECK_EQ(v, 0xffffffffu);
	/* 2^32 + 3 would wrap to 3 in a 32-bit sscanf("%u"). */
	CHECK_EQ(quorum_parse_uint("4294967299", 0xffffffffu, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("4294967296", 0xffffffffu, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("18446744073709551619", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint(NULL, 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("-1", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("+3", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("0x3", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("3 ", 8, &v), -EINVAL);
	CHECK_EQ(quorum_parse_uint("007", 8, &v), 0);
	CHECK_EQ(v, 7);
}

UNIT_CASE(counts_valid_and_refused)
{
	unsigned int t = 0, n = 0, tt, nn;
	const char *err = NULL;
	char ts[16], ns[16];

	for (nn = 0; nn <= 9; nn++) {
		for (tt = 0; tt <= 9; tt++) {
			bool valid = nn >= 2 && nn <= 8 && tt >= 1 && tt <= nn;

			snprintf(ts, sizeof(ts), "%u", tt);
			snprintf(ns, sizeof(ns), "%u", nn);
			err = NULL;
			CHECK_EQ(quorum_parse_counts(ts, ns, &t, &n, &err), valid ? 0 : -EINVAL);
			if (valid) {
				CHECK_EQ(t, tt);
				CHECK_EQ(n, nn);
				CHECK(!err);
			} else if (nn < 2 || nn > 8) {
				CHECK_STR(err, "Invalid number of quorum legs (2 to 8)");
			} else {
				CHECK_STR(err, "Invalid quorum threshold (1 to the number of legs)");
			}
		}
	}
	CHECK_EQ(quorum_parse_counts("2", "4294967299", &t, &n, &err), -EINVAL);
	CHECK_STR(err, "Invalid number of quorum legs (2 to 8)");
	CHECK_EQ(quorum_parse_counts("4294967298", "3", &t, &n, &err), -EINVAL);
	CHECK_STR(err, "Invalid quorum threshold (1 to the number of legs)");
	CHECK_EQ(quorum_parse_counts("two", "3", &t, &n, &err), -EINVAL);
	CHECK_STR(err, "Invalid quorum threshold (1 to the number of legs)");
}

UNIT_CASE(opts_each_word_and_echo)
{
	struct quorum_opts o = { 0 };
	const char *err = NULL;

	CHECK_EQ(quorum_opt_count(&o), 0);
	CHECK_EQ(o.on_no_quorum, QUORUM_NOQ_ERROR);
	CHECK_EQ(o.read_pattern, QUORUM_READ_QUORUM);
	CHECK_EQ(quorum_parse_opt(&o, "repair", &err), 0);
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:log", &err), 0);
	CHECK_EQ(quorum_parse_opt(&o, "read_pattern:quorum", &err), 0);
	CHECK(o.repair && o.on_no_quorum_set && o.read_pattern_set);
	CHECK_EQ(o.on_no_quorum, QUORUM_NOQ_LOG);
	CHECK_EQ(o.read_pattern, QUORUM_READ_QUORUM);
	CHECK_EQ(quorum_opt_count(&o), 3);
	CHECK_EQ(quorum_check_opts(&o, &err), 0);
	CHECK(!err);
	CHECK_STR(quorum_on_no_quorum_name(QUORUM_NOQ_LOG), "log");
	CHECK_STR(quorum_on_no_quorum_name(QUORUM_NOQ_ERROR), "error");
	CHECK_STR(quorum_read_pattern_name(QUORUM_READ_FIFO), "fifo");
	CHECK_STR(quorum_read_pattern_name(QUORUM_READ_QUORUM), "quorum");

	o = (struct quorum_opts){ 0 };
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:error", &err), 0);
	CHECK_EQ(o.on_no_quorum, QUORUM_NOQ_ERROR);
	CHECK_EQ(quorum_parse_opt(&o, "read_pattern:fifo", &err), 0);
	CHECK_EQ(o.read_pattern, QUORUM_READ_FIFO);
	CHECK_EQ(quorum_opt_count(&o), 2);
}

UNIT_CASE(opts_refused)
{
	struct quorum_opts o = { 0 };
	const char *err = NULL;

	CHECK_EQ(quorum_parse_opt(&o, "repairs", &err), -EINVAL);
	CHECK(err && !strncmp(err, "Unknown quorum option", 21));
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum", &err), -EINVAL);
	CHECK(err && !strncmp(err, "Unknown quorum option", 21));
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:", &err), -EINVAL);
	CHECK_STR(err, "Invalid on_no_quorum policy (expected error or log)");
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:reference", &err), -EINVAL);
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:Log", &err), -EINVAL);
	CHECK_EQ(quorum_parse_opt(&o, "read_pattern:round-robin", &err), -EINVAL);
	CHECK_STR(err, "Invalid read_pattern (expected quorum or fifo)");
	CHECK_EQ(quorum_parse_opt(&o, "on_mismatch:log", &err), -EINVAL);
	CHECK_EQ(quorum_parse_opt(&o, "verify_writes", &err), -EINVAL);
	CHECK_EQ(quorum_opt_count(&o), 0);

	CHECK_EQ(quorum_parse_opt(&o, "repair", &err), 0);
	CHECK_EQ(quorum_parse_opt(&o, "repair", &err), -EINVAL);
	CHECK_STR(err, "Duplicate repair option");
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:log", &err), 0);
	CHECK_EQ(quorum_parse_opt(&o, "on_no_quorum:error", &err), -EINVAL);
	CHECK_STR(err, "Duplicate on_no_quorum option");
	CHECK_EQ(o.on_no_quorum, QUORUM_NOQ_LOG);
	CHECK_EQ(quorum_parse_opt(&o, "read_pattern:fifo", &err), 0);
	CHECK_EQ(quorum_parse_opt(&o, "read_pattern:quorum", &err), -EINVAL);
	CHECK_STR(err, "Duplicate read_pattern option");

	/* fifo reads do not vote: repair and on_no_quorum mean nothing there. */
	CHECK_EQ(quorum_check_opts(&o, &err), -EINVAL);
	CHECK_STR(err, "repair needs read_pattern:quorum (fifo reads do not vote)");
	o.repair = false;
	CHECK_EQ(quorum_check_opts(&o, &err), -EINVAL);
	CHECK_STR(err, "on_no_quorum needs read_pattern:quorum (fifo reads do not vote)");
	o.on_no_quorum_set = false;
	CHECK_EQ(quorum_check_opts(&o, &err), 0);
}

/* Legs' data as one byte each: legs are equal when their bytes are. */
static bool same_byte(void *context, unsigned int a, unsigned int b)
{
	const unsigned char *data = context;

	return data[a] == data[b];
}

static int compares;

static bool same_counted(void *context, unsigned int a, unsigned int b)
{
	compares++;
	return same_byte(context, a, b);
}

/*
 * Vote over legs described by @data (one byte per leg, 'x' a failed read)
 * and check the winner, the agreeing count, the lost mask and the flag.
 */
static void vote_case(const char *data, unsigned int threshold, int winner,
		      unsigned int agree, unsigned int lost, bool disagreement)
{
	unsigned int n = strlen(data), i;
	bool ok[QUORUM_MAX_LEGS];
	u8 cls[QUORUM_MAX_LEGS];
	struct quorum_result res;

	for (i = 0; i < n; i++)
		ok[i] = data[i] != 'x';
	quorum_classify(n, ok, same_byte, (void *)data, cls);
	quorum_vote(n, threshold, cls, &res);
	if (res.winner != winner || res.agree != agree || res.lost != lost ||
	    res.disagreement != disagreement) {
		fprintf(stderr, "    vote \"%s\" threshold %u: expected winner %d agree %u lost %#x disagreement %d, got %d %u %#x %d\n",
			data, threshold, winner, agree, lost, disagreement,
			res.winner, res.agree, res.lost, res.disagreement);
		unit_checks_failed++;
	}
}

UNIT_CASE(classify_classes)
{
	const char *data = "abaxcb";
	bool ok[6] = { true, true, true, false, true, true };
	u8 cls[QUORUM_MAX_LEGS];

	quorum_classify(6, ok, same_byte, (void *)data, cls);
	CHECK_EQ(cls[0], 0);
	CHECK_EQ(cls[1], 1);
	CHECK_EQ(cls[2], 0);
	CHECK_EQ(cls[3], QUORUM_FAILED);
	CHECK_EQ(cls[4], 4);
	CHECK_EQ(cls[5], 1);

	/* Legs that all agree cost n - 1 comparisons. */
	compares = 0;
	quorum_classify(8, (bool[8]){ 1, 1, 1, 1, 1, 1, 1, 1 }, same_counted,
			(void *)"aaaaaaaa", cls);
	CHECK_EQ(compares, 7);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(cls[i], 0);
}

UNIT_CASE(vote_majority_and_lost)
{
	vote_case("aaa", 2, 0, 3, 0, false);
	vote_case("aab", 2, 0, 2, 0x4, true);
	vote_case("aba", 2, 0, 2, 0x2, true);
	/* The first leg is the one outvoted: the winner is leg 1's version. */
	vote_case("baa", 2, 1, 2, 0x1, true);
	vote_case("baa", 3, -1, 2, 0, true);
	vote_case("abc", 2, -1, 1, 0, true);
	vote_case("abc", 1, 0, 1, 0x6, true);
	/* A failed read has no version and is outvoted when a version wins. */
	vote_case("axa", 2, 0, 2, 0x2, true);
	vote_case("xaa", 2, 1, 2, 0x1, true);
	vote_case("axx", 2, -1, 1, 0, true);
	vote_case("axx", 1, 0, 1, 0x6, true);
	/* All failed: nothing to vote for, but no disagreement either. */
	vote_case("xxx", 1, -1, 0, 0, false);
	vote_case("xx", 2, -1, 0, 0, false);
	/* Two legs: a difference can only win at threshold 1 (table order). */
	vote_case("ab", 2, -1, 1, 0, true);
	vote_case("ab", 1, 0, 1, 0x2, true);
	vote_case("aa", 2, 0, 2, 0, false);
	/* Ties of the largest classes go to the class of the earlier leg. */
	vote_case("abab", 2, 0, 2, 0xa, true);
	vote_case("baab", 2, 0, 2, 0x6, true);
	vote_case("abbcc", 2, 1, 2, 0x19, true);
	vote_case("abcbc", 3, -1, 2, 0, true);
	vote_case("aaaabbbc", 4, 0, 4, 0xf0, true);
	vote_case("abbbbbbb", 7, 1, 7, 0x1, true);
	vote_case("abbbbbbb", 8, -1, 7, 0, true);
	vote_case("aaaaaaaa", 8, 0, 8, 0, false);
	vote_case("aaaaaaax", 8, -1, 7, 0, true);
}

int main(void)
{
	UNIT_RUN("verify-quorum", parse_uint_bounds);
	UNIT_RUN("verify-quorum", counts_valid_and_refused);
	UNIT_RUN("verify-quorum", opts_each_word_and_echo);
	UNIT_RUN("verify-quorum", opts_refused);
	UNIT_RUN("verify-quorum", classify_classes);
	UNIT_RUN("verify-quorum", vote_majority_and_lost);
	return unit_summary("verify-quorum");
}
