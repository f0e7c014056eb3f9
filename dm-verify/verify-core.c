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

/*
 * Offset of the first byte where @a and @b differ, or @len if they are
 * equal. memcmp() settles the common equal case; only a mismatch pays for
 * the byte walk.
 */
size_t verify_first_diff(const void *a, const void *b, size_t len)
{
	const u8 *pa = a, *pb = b;
	size_t i;

	if (!memcmp(pa, pb, len))
		return len;
	for (i = 0; i < len && pa[i] == pb[i]; i++)
		;
	return i;
}
