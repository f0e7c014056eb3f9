/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal host unit-test harness. A test file #includes the kernel-free
 * source it covers, defines cases with UNIT_CASE() and calls them from
 * main() with UNIT_RUN(); unit_summary() prints the totals line that
 * scripts/run-tests.sh adds to the run's closing "N passed, N failed".
 */
#ifndef DMTK_UNIT_H
#define DMTK_UNIT_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

static int unit_checks_failed;
static int unit_cases_passed;
static int unit_cases_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "    %s:%d: expected %s\n",	\
				__FILE__, __LINE__, #cond);		\
			unit_checks_failed++;				\
		}							\
	} while (0)

#define CHECK_EQ(got, want)						\
	do {								\
		long long g_ = (long long)(got), w_ = (long long)(want);\
		if (g_ != w_) {						\
			fprintf(stderr, "    %s:%d: %s: expected %lld, got %lld\n", \
				__FILE__, __LINE__, #got, w_, g_);	\
			unit_checks_failed++;				\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!g_ || strcmp(g_, w_)) {				\
			fprintf(stderr, "    %s:%d: %s: expected \"%s\", got \"%s\"\n", \
				__FILE__, __LINE__, #got, w_, g_ ? g_ : "(null)"); \
			unit_checks_failed++;				\
		}							\
	} while (0)

#define UNIT_CASE(name) static void name(void)

#define UNIT_RUN(group, name)						\
	do {								\
		int before_ = unit_checks_failed;			\
		name();							\
		if (unit_checks_failed == before_) {			\
			unit_cases_passed++;				\
			printf("ok   unit/%s/%s\n", group, #name);	\
		} else {						\
			unit_cases_failed++;				\
			printf("FAIL unit/%s/%s\n", group, #name);	\
		}							\
	} while (0)

static inline int unit_summary(const char *group)
{
	printf("unit-totals %s passed=%d failed=%d\n", group,
	       unit_cases_passed, unit_cases_failed);
	return unit_cases_failed ? 1 : 0;
}

#endif /* DMTK_UNIT_H */
