/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer harnesses of tests/fuzz-host/: an assertion
 * that survives NDEBUG and names the broken invariant, and libFuzzer's
 * entry point.
 */
#ifndef DMTK_FUZZ_HOST_H
#define DMTK_FUZZ_HOST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant broken: %s\n",\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* DMTK_FUZZ_HOST_H */
