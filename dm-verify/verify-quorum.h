/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-verify quorum mode: the kernel-free parts (the counts and option words
 * of the table line, and the vote), shared by the target and the host unit
 * tests.
 */
#ifndef DM_VERIFY_QUORUM_H
#define DM_VERIFY_QUORUM_H

#include "dmtk-compat.h"

/*
 * At most 8 legs: a request carries a buffer and a status per leg in its
 * per-bio data, the target reserves a maximal bounce buffer per leg but
 * the first, and a set of legs is a bitmask of one byte. A vote over more
 * copies than that buys nothing a workload can use (QEMU's tests vote
 * over 3).
 */
#define QUORUM_MIN_LEGS		2
#define QUORUM_MAX_LEGS		8
#define QUORUM_MAX_OPTS		3
/* Class of a leg whose read failed: it has no version to vote for. */
#define QUORUM_FAILED		0xff

enum quorum_on_no_quorum {
	QUORUM_NOQ_ERROR,
	QUORUM_NOQ_LOG,
};

enum quorum_read_pattern {
	QUORUM_READ_QUORUM,
	QUORUM_READ_FIFO,
};

struct quorum_opts {
	bool repair;
	enum quorum_on_no_quorum on_no_quorum;
	bool on_no_quorum_set;	/* given in the table: echo it */
	enum quorum_read_pattern read_pattern;
	bool read_pattern_set;
};

struct quorum_result {
	int winner;		/* leg whose data is returned; -1: no quorum */
	unsigned int agree;	/* legs with the winner's data */
	u8 lost;		/* legs outvoted by the winner (bit i: leg i) */
	bool disagreement;	/* not all legs read the same data */
};

int quorum_parse_uint(const char *s, unsigned int max, unsigned int *val);
int quorum_parse_counts(const char *threshold, const char *legs, unsigned int *t,
			unsigned int *n, const char **error);
int quorum_parse_opt(struct quorum_opts *opts, const char *word, const char **error);
int quorum_check_opts(const struct quorum_opts *opts, const char **error);
unsigned int quorum_opt_count(const struct quorum_opts *opts);
const char *quorum_on_no_quorum_name(enum quorum_on_no_quorum p);
const char *quorum_read_pattern_name(enum quorum_read_pattern p);

void quorum_classify(unsigned int n, const bool *ok,
		     bool (*same)(void *context, unsigned int a, unsigned int b),
		     void *context, u8 *cls);
void quorum_vote(unsigned int n, unsigned int threshold, const u8 *cls,
		 struct quorum_result *res);

#endif /* DM_VERIFY_QUORUM_H */
