// SPDX-License-Identifier: GPL-2.0
/*
 * dm-verify option words and the search for the first differing byte,
 * kept free of kernel dependencies so they are unit-tested on the host.
 */
#include "verify.h"

static const char *const verify_policy_names[] = {
	[VERIFY_ON_MISMATCH_ERROR] = "error",
	[VERIFY_ON_MISMATCH_LOG] = "log",
	[VERIFY_ON_MISMATCH_REFERENCE] = "reference",
};

const char *verify_policy_name(enum verify_policy policy)
{
	return verify_policy_names[policy];
}

/* Apply one optional table word to @opts; on error set @error and fail. */
int verify_parse_opt(struct verify_opts *opts, const char *word, const char **error)
{
	static const char prefix[] = "on_mismatch:";
	size_t i;

	if (!strcmp(word, "verify_writes")) {
		if (opts->verify_writes) {
			*error = "Duplicate verify_writes option";
			return -EINVAL;
		}
		opts->verify_writes = true;
		return 0;
	}

	if (strncmp(word, prefix, sizeof(prefix) - 1)) {
		*error = "Unknown option (want on_mismatch:<policy> or verify_writes)";
		return -EINVAL;
	}
	if (opts->policy_set) {
		*error = "Duplicate on_mismatch option";
		return -EINVAL;
	}
	word += sizeof(prefix) - 1;
	for (i = 0; i < ARRAY_SIZE(verify_policy_names); i++) {
		if (!strcmp(word, verify_policy_names[i])) {
			opts->policy = i;
			opts->policy_set = true;
			return 0;
		}
	}
	*error = "Invalid on_mismatch policy (expected error, log or reference)";
	return -EINVAL;
}

/* Words compared per step of the equal-data loop (one cache line). */
#define VERIFY_CMP_WORDS	8
#define VERIFY_CMP_BYTES	(VERIFY_CMP_WORDS * sizeof(unsigned long))

/*
 * True if the @len bytes at the word-aligned @a and @b are equal, @len a
 * multiple of VERIFY_CMP_BYTES. OR-ing the XORs of a whole cache line
 * takes about three instructions per word where memcmp() takes seven or
 * eight, and every clean read pays this.
 */
static bool verify_same_lines(const unsigned long *a, const unsigned long *b, size_t len)
{
	unsigned long diff = 0;

	for (; len && !diff; len -= VERIFY_CMP_BYTES) {
		diff = (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		       (a[4] ^ b[4]) | (a[5] ^ b[5]) | (a[6] ^ b[6]) | (a[7] ^ b[7]);
		a += VERIFY_CMP_WORDS;
		b += VERIFY_CMP_WORDS;
	}
	return !diff;
}

/*
 * Offset of the first byte where @a and @b differ, or @len if they are
 * equal. The common equal case is settled a cache line at a time (sector
 * buffers are word-aligned); only a mismatch pays for the byte walk.
 */
size_t verify_first_diff(const void *a, const void *b, size_t len)
{
	const u8 *pa = a, *pb = b;
	size_t lines = len - len % VERIFY_CMP_BYTES;
	size_t i;

	if (((uintptr_t)pa | (uintptr_t)pb) % sizeof(unsigned long) == 0 &&
	    verify_same_lines(a, b, lines)) {
		if (!memcmp(pa + lines, pb + lines, len - lines))
			return len;
	} else if (!memcmp(pa, pb, len)) {
		return len;
	}
	for (i = 0; i < len && pa[i] == pb[i]; i++)
		;
	return i;
}
