// SPDX-License-Identifier: GPL-2.0
/* Host tests for dm-verify's option words and first-difference search. */
#include "../../dm-verify/verify-core.c"
#include "unit.h"

UNIT_CASE(opts_defaults_and_each_word)
{
	struct verify_opts o = { 0 };
	const char *err = NULL;

	CHECK_EQ(o.policy, VERIFY_ON_MISMATCH_ERROR);
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:reference", &err), 0);
	CHECK_EQ(o.policy, VERIFY_ON_MISMATCH_REFERENCE);
	CHECK(o.policy_set);
	CHECK(!o.verify_writes);
	CHECK_EQ(verify_parse_opt(&o, "verify_writes", &err), 0);
	CHECK(o.verify_writes);
	CHECK(!err);

	o = (struct verify_opts){ 0 };
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:log", &err), 0);
	CHECK_EQ(o.policy, VERIFY_ON_MISMATCH_LOG);
	o = (struct verify_opts){ 0 };
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:error", &err), 0);
	CHECK_EQ(o.policy, VERIFY_ON_MISMATCH_ERROR);
	CHECK(o.policy_set);
}

UNIT_CASE(opts_policy_names_round_trip)
{
	int p;

	for (p = VERIFY_ON_MISMATCH_ERROR; p <= VERIFY_ON_MISMATCH_REFERENCE; p++) {
		struct verify_opts o = { 0 };
		char word[64];
		const char *err = NULL;

		snprintf(word, sizeof(word), "on_mismatch:%s", verify_policy_name(p));
		CHECK_EQ(verify_parse_opt(&o, word, &err), 0);
		CHECK_EQ(o.policy, p);
	}
	CHECK_STR(verify_policy_name(VERIFY_ON_MISMATCH_REFERENCE), "reference");
}

UNIT_CASE(opts_rejects)
{
	struct verify_opts o = { 0 };
	const char *err = NULL;

	CHECK_EQ(verify_parse_opt(&o, "foo", &err), -EINVAL);
	CHECK(err && !strncmp(err, "Unknown option", 14));
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch", &err), -EINVAL);
	CHECK(err && !strncmp(err, "Unknown option", 14));
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:", &err), -EINVAL);
	CHECK(err && !strncmp(err, "Invalid on_mismatch policy", 26));
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:Log", &err), -EINVAL);
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:logx", &err), -EINVAL);
	CHECK_EQ(verify_parse_opt(&o, "verify_writesx", &err), -EINVAL);
	CHECK(!o.policy_set && !o.verify_writes);

	CHECK_EQ(verify_parse_opt(&o, "verify_writes", &err), 0);
	CHECK_EQ(verify_parse_opt(&o, "verify_writes", &err), -EINVAL);
	CHECK_STR(err, "Duplicate verify_writes option");
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:log", &err), 0);
	CHECK_EQ(verify_parse_opt(&o, "on_mismatch:log", &err), -EINVAL);
	CHECK_STR(err, "Duplicate on_mismatch option");
	CHECK_EQ(o.policy, VERIFY_ON_MISMATCH_LOG);
}

UNIT_CASE(first_diff_positions)
{
	unsigned char a[4096], b[4096];
	size_t i;

	memset(a, 0xcd, sizeof(a));
	memcpy(b, a, sizeof(b));
	CHECK_EQ(verify_first_diff(a, b, sizeof(a)), sizeof(a));
	CHECK_EQ(verify_first_diff(a, b, 0), 0);

	for (i = 0; i < sizeof(a); i += 511) {
		b[i] ^= 1;
		CHECK_EQ(verify_first_diff(a, b, sizeof(a)), i);
		/* A later difference does not hide the first one. */
		b[sizeof(b) - 1] ^= 0x80;
		CHECK_EQ(verify_first_diff(a, b, sizeof(a)), i);
		b[sizeof(b) - 1] ^= 0x80;
		b[i] ^= 1;
	}
	b[4095] = 0;
	CHECK_EQ(verify_first_diff(a, b, sizeof(a)), 4095);
	CHECK_EQ(verify_first_diff(a, b, 4095), 4095);
	/* The seed example: 0xcd against zero differs at byte 0, sector 0. */
	memset(b, 0, sizeof(b));
	CHECK_EQ(verify_first_diff(a, b, 512) >> 9, 0);
}

/* Word-aligned buffers take the cache-line path; odd ones the memcmp() one. */
UNIT_CASE(first_diff_aligned_and_not)
{
	unsigned long wa[1024 / sizeof(unsigned long) + 1], wb[1024 / sizeof(unsigned long) + 1];
	unsigned char *a = (unsigned char *)wa, *b = (unsigned char *)wb;
	size_t len, i, skew;

	for (skew = 0; skew < 2; skew++) {
		for (len = 0; len <= 1024; len += len < 130 ? 1 : 127) {
			memset(wa, 0x5a, sizeof(wa));
			memset(wb, 0x5a, sizeof(wb));
			CHECK_EQ(verify_first_diff(a + skew, b + skew, len), len);
			for (i = 0; i < len; i += 1 + i / 3) {
				b[skew + i] = 0xa5;
				CHECK_EQ(verify_first_diff(a + skew, b + skew, len), i);
				/* A difference just past the end is not seen. */
				CHECK_EQ(verify_first_diff(a + skew, b + skew, i), i);
				b[skew + i] = 0x5a;
			}
		}
	}
}

int main(void)
{
	UNIT_RUN("verify-core", opts_defaults_and_each_word);
	UNIT_RUN("verify-core", opts_policy_names_round_trip);
	UNIT_RUN("verify-core", opts_rejects);
	UNIT_RUN("verify-core", first_diff_positions);
	UNIT_RUN("verify-core", first_diff_aligned_and_not);
	return unit_summary("verify-core");
}
