// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of dm-verify's range lock against the number of ranges in flight,
 * on the host (scripts/bench/scaling-host.sh runs it under callgrind and
 * counts the instructions of vrl_acquire() and vrl_release()).
 *
 *   vrl-scale N MODE OPS
 *
 * N ranges stay in flight: each step releases the oldest and acquires a
 * new one in its slot (the oldest is always granted: every earlier
 * conflicting range has left). MODE:
 *   write      8-sector writes at random distinct-ish offsets of 64 GiB
 *   mixed      as write, one in 8 a write and the rest reads
 *   read       reads only
 *   overlap    writes, all within the same 64 sectors (they queue)
 */
#include "../../dm-verify/verify-lock.c"
#include "dmtk-prng.h"
#include <stdio.h>
#include <stdlib.h>

static unsigned long granted;

static void grant(struct vrl_range *r, void *context)
{
	granted++;
}

int main(int argc, char **argv)
{
	unsigned long n, ops, i;
	struct vrl_range *r;
	struct dmtk_prng prng;
	struct vrl rl;
	const char *mode;

	if (argc != 4) {
		fprintf(stderr, "usage: vrl-scale N write|mixed|read|overlap OPS\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 0);
	mode = argv[2];
	ops = strtoul(argv[3], NULL, 0);
	r = calloc(n, sizeof(*r));
	if (!n || !r)
		return 2;
	dmtk_prng_seed(&prng, 1);
	vrl_init(&rl);
	for (i = 0; i < n + ops; i++) {
		struct vrl_range *s = &r[i % n];
		u64 start;

		if (i >= n)
			vrl_release(&rl, s, grant, NULL);
		if (!strcmp(mode, "overlap"))
			start = dmtk_prng_below(&prng, 56);
		else
			start = (dmtk_prng_next(&prng) % (1ULL << 27)) * 8;
		s->start = start;
		s->end = start + 8;
		if (!strcmp(mode, "read"))
			s->write = false;
		else if (!strcmp(mode, "mixed"))
			s->write = !dmtk_prng_below(&prng, 8);
		else
			s->write = true;
		vrl_acquire(&rl, s);
	}
	printf("n=%lu ops=%lu granted=%lu\n", n, ops, granted);
	free(r);
	return 0;
}
