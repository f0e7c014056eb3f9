// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness of dm-verify's kernel-free core (dm-verify/verify-core.c).
 *
 * The input's blank-separated words are fed to verify_parse_opt() in turn,
 * as the constructor feeds its optional words: each is accepted or refused
 * with a message and -EINVAL, a refused word changes nothing, and the
 * options the table line then shows (the words STATUSTYPE_TABLE prints,
 * see docs/dm-verify.rst) parse back to the same options. The same input,
 * split in two halves at a fuzzer-chosen alignment, checks
 * verify_first_diff() against a byte-by-byte search.
 */
#include "../../dm-verify/verify-core.c"
#include "fuzz-host.h"

#define MAX_WORDS	32

/* The optional words of the table line, as the target prints them. */
static unsigned int table_words(const struct verify_opts *o, char words[2][64])
{
	unsigned int n = 0;

	if (o->policy_set)
		snprintf(words[n++], 64, "on_mismatch:%s", verify_policy_name(o->policy));
	if (o->verify_writes)
		snprintf(words[n++], 64, "verify_writes");
	return n;
}

static void check_words(const uint8_t *data, size_t size)
{
	struct verify_opts o = { 0 }, o2 = { 0 };
	char *text = malloc(size + 1), *p, *save = NULL;
	char words[2][64];
	unsigned int i, n, nw = 0;

	memcpy(text, data, size);
	text[size] = '\0';
	for (p = strtok_r(text, " \t\n", &save); p && nw < MAX_WORDS;
	     p = strtok_r(NULL, " \t\n", &save), nw++) {
		struct verify_opts before = o;
		const char *err = NULL;
		int r = verify_parse_opt(&o, p, &err);

		if (r) {
			FUZZ_ASSERT(r == -EINVAL && err && *err);
			FUZZ_ASSERT(!memcmp(&before, &o, sizeof(o)));
			continue;
		}
		/* only the documented words are accepted */
		FUZZ_ASSERT(!strcmp(p, "verify_writes") ||
			    !strcmp(p, "on_mismatch:error") || !strcmp(p, "on_mismatch:log") ||
			    !strcmp(p, "on_mismatch:reference"));
		FUZZ_ASSERT(o.policy <= VERIFY_ON_MISMATCH_REFERENCE);
	}
	FUZZ_ASSERT(o.policy_set || o.policy == VERIFY_ON_MISMATCH_ERROR);

	n = table_words(&o, words);
	for (i = 0; i < n; i++) {
		const char *err = NULL;

		FUZZ_ASSERT(verify_parse_opt(&o2, words[i], &err) == 0);
	}
	FUZZ_ASSERT(o2.policy == o.policy && o2.policy_set == o.policy_set &&
		    o2.verify_writes == o.verify_writes);
	free(text);
}

static void check_first_diff(const uint8_t *data, size_t size)
{
	/* word-aligned copies at a chosen misalignment, as sector buffers are */
	unsigned long abuf[64 + 2], bbuf[64 + 2];
	size_t off_a, off_b, half, i, want;
	u8 *a, *b;

	if (size < 2)
		return;
	off_a = data[0] % 8;
	off_b = data[0] / 8 % 8;
	half = (size - 1) / 2;
	if (half > 64 * sizeof(unsigned long))
		half = 64 * sizeof(unsigned long);
	a = (u8 *)abuf + off_a;
	b = (u8 *)bbuf + off_b;
	memcpy(a, data + 1, half);
	memcpy(b, data + 1 + half, half);
	/* mostly equal buffers reach the line-at-a-time path */
	if (data[0] & 0x80)
		for (i = 0; i < half; i++)
			if (b[i] != 0xa5)
				b[i] = a[i];
	for (want = 0; want < half && a[want] == b[want]; want++)
		;
	FUZZ_ASSERT(verify_first_diff(a, b, half) == want);
	FUZZ_ASSERT(verify_first_diff(a, a, half) == half);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_words(data, size);
	check_first_diff(data, size);
	return 0;
}
