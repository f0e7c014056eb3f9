/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kit's seeded PRNG (SplitMix64). Shared by the kernel targets, the
 * userspace tools and the host unit tests so one seed gives one sequence
 * everywhere.
 */
#ifndef DMTK_PRNG_H
#define DMTK_PRNG_H

#include "dmtk-compat.h"

struct dmtk_prng {
	u64 state;
};

static inline void dmtk_prng_seed(struct dmtk_prng *prng, u64 seed)
{
	prng->state = seed;
}

static inline u64 dmtk_prng_next(struct dmtk_prng *prng)
{
	u64 z = (prng->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound); bound must be non-zero. Bias is < 2^-32 for u32 bounds. */
static inline u32 dmtk_prng_below(struct dmtk_prng *prng, u32 bound)
{
	return (u32)(((dmtk_prng_next(prng) >> 32) * (u64)bound) >> 32);
}

#endif /* DMTK_PRNG_H */
