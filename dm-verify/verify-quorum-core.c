// SPDX-License-Identifier: GPL-2.0
/*
 * dm-verify quorum mode: the counts and option words of the table line and
 * the vote over the legs' data, kept free of kernel dependencies so they
 * are unit-tested on the host.
 */
#include "verify-quorum.h"

static const char *const quorum_noq_names[] = {
	[QUORUM_NOQ_ERROR] = "error",
	[QUORUM_NOQ_LOG] = "log",
};

static const char *const quorum_pattern_names[] = {
	[QUORUM_READ_QUORUM] = "quorum",
	[QUORUM_READ_FIFO] = "fifo",
};

const char *quorum_on_no_quorum_name(enum quorum_on_no_quorum p)
{
	return quorum_noq_names[p];
}

const char *quorum_read_pattern_name(enum quorum_read_pattern p)
{
	return quorum_pattern_names[p];
}

/*
 * A decimal number from 0 to @max: digits only (no sign, no blank, no
 * "0x"), checked for overflow digit by digit, nothing after it.
 */
int quorum_parse_uint(const char *s, unsigned int max, unsigned int *val)
{
	unsigned int v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

/* <threshold> <#legs>: 2 <= #legs <= QUORUM_MAX_LEGS, 1 <= threshold <= #legs. */
int quorum_parse_counts(const char *threshold, const char *legs, unsigned int *t,
			unsigned int *n, const char **error)
{
	if (quorum_parse_uint(legs, QUORUM_MAX_LEGS, n) || *n < QUORUM_MIN_LEGS) {
		*error = "Invalid number of quorum legs (2 to 8)";
		return -EINVAL;
	}
	if (quorum_parse_uint(threshold, *n, t) || !*t) {
		*error = "Invalid quorum threshold (1 to the number of legs)";
		return -EINVAL;
	}
	return 0;
}

static int quorum_parse_choice(const char *word, const char *const *names, size_t nr,
			       unsigned int *val)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!strcmp(word, names[i])) {
			*val = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Apply one optional table word to @opts; on error set @error and fail. */
int quorum_parse_opt(struct quorum_opts *opts, const char *word, const char **error)
{
	static const char noq[] = "on_no_quorum:";
	static const char pattern[] = "read_pattern:";
	unsigned int v;

	if (!strcmp(word, "repair")) {
		if (opts->repair) {
			*error = "Duplicate repair option";
			return -EINVAL;
		}
		opts->repair = true;
		return 0;
	}
	if (!strncmp(word, noq, sizeof(noq) - 1)) {
		if (opts->on_no_quorum_set) {
			*error = "Duplicate on_no_quorum option";
			return -EINVAL;
		}
		if (quorum_parse_choice(word + sizeof(noq) - 1, quorum_noq_names,
					ARRAY_SIZE(quorum_noq_names), &v)) {
			*error = "Invalid on_no_quorum policy (expected error or log)";
			return -EINVAL;
		}
		opts->on_no_quorum = v;
		opts->on_no_quorum_set = true;
		return 0;
	}
	if (!strncmp(word, pattern, sizeof(pattern) - 1)) {
		if (opts->read_pattern_set) {
			*error = "Duplicate read_pattern option";
			return -EINVAL;
		}
		if (quorum_parse_choice(word + sizeof(pattern) - 1, quorum_pattern_names,
					ARRAY_SIZE(quorum_pattern_names), &v)) {
			*error = "Invalid read_pattern (expected quorum or fifo)";
			return -EINVAL;
		}
		opts->read_pattern = v;
		opts->read_pattern_set = true;
		return 0;
	}
	*error = "Unknown quorum option (want repair, on_no_quorum:<p> or read_pattern:<p>)";
	return -EINVAL;
}

/* Options that only mean something when reads vote. */
int quorum_check_opts(const struct quorum_opts *opts, const char **error)
{
	if (opts->read_pattern != QUORUM_READ_FIFO)
		return 0;
	if (opts->repair) {
		*error = "repair needs read_pattern:quorum (fifo reads do not vote)";
		return -EINVAL;
	}
	if (opts->on_no_quorum_set) {
		*error = "on_no_quorum needs read_pattern:quorum (fifo reads do not vote)";
		return -EINVAL;
	}
	return 0;
}

/* The number of option words the table line echoes. */
unsigned int quorum_opt_count(const struct quorum_opts *opts)
{
	return opts->repair + opts->on_no_quorum_set + opts->read_pattern_set;
}

/*
 * Sort the @n legs into classes of equal data: @cls[i] is the first leg
 * with leg i's data, or QUORUM_FAILED if leg i's read failed (@ok[i]
 * false). Each leg is compared with the first leg of each class found so
 * far, so legs that all agree cost n - 1 comparisons. @same(@context, a, b)
 * compares the data of legs a and b.
 */
void quorum_classify(unsigned int n, const bool *ok,
		     bool (*same)(void *context, unsigned int a, unsigned int b),
		     void *context, u8 *cls)
{
	u8 first[QUORUM_MAX_LEGS];
	unsigned int nr = 0, i, c;

	for (i = 0; i < n; i++) {
		cls[i] = QUORUM_FAILED;
		if (!ok[i])
			continue;
		for (c = 0; c < nr; c++) {
			if (same(context, first[c], i)) {
				cls[i] = first[c];
				break;
			}
		}
		if (c == nr) {
			first[nr++] = i;
			cls[i] = i;
		}
	}
}

/*
 * The vote over the classes of quorum_classify(): the data most legs read
 * wins if at least @threshold legs read it; of two classes as large, the
 * one whose first leg comes first in the table wins. With a winner, every
 * other leg (a different version or a failed read) is outvoted. The legs
 * disagree unless they all read the same data or all failed.
 */
void quorum_vote(unsigned int n, unsigned int threshold, const u8 *cls,
		 struct quorum_result *res)
{
	unsigned int count[QUORUM_MAX_LEGS] = { 0 };
	unsigned int i, classes = 0, failed = 0, best = 0;
	int winner = -1;

	for (i = 0; i < n; i++) {
		if (cls[i] == QUORUM_FAILED) {
			failed++;
			continue;
		}
		if (!count[cls[i]]++)
			classes++;
	}
	for (i = 0; i < n; i++) {
		if (count[i] > best) {
			best = count[i];
			winner = i;
		}
	}

	res->disagreement = classes > 1 || (failed && classes);
	res->agree = best;
	res->lost = 0;
	if (winner < 0 || best < threshold) {
		res->winner = -1;
		return;
	}
	res->winner = winner;
	for (i = 0; i < n; i++)
		if (cls[i] != winner)
			res->lost |= 1u << i;
}
