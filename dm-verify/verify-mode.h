/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-verify: what the two modes of the target share in the kernel. The
 * word after "verify" in the table picks the mode: "quorum" the N-leg
 * vote (verify-quorum.c), anything else the two-leg comparison of a test
 * device with a reference (verify-target.c). Each mode's context starts
 * with its enum verify_mode, so the target's methods know whose it is.
 */
#ifndef DM_VERIFY_MODE_H
#define DM_VERIFY_MODE_H

#include <linux/device-mapper.h>
#include <linux/slab.h>

/* Requests are split to this size so a bounce buffer stays bounded. */
#define VERIFY_MAX_IO_SECTORS	256
#define VERIFY_MAX_IO_PAGES	DIV_ROUND_UP(VERIFY_MAX_IO_SECTORS << SECTOR_SHIFT, PAGE_SIZE)
#define VERIFY_MIN_IOS		16
/* Flags of a read that its bounce-buffer twin carries too. */
#define VERIFY_READ_FLAGS	(REQ_SYNC | REQ_META | REQ_PRIO | REQ_RAHEAD)

enum verify_mode {
	VERIFY_MODE_PAIR,
	VERIFY_MODE_QUORUM,
};

static inline enum verify_mode verify_mode_of(struct dm_target *ti)
{
	return *(enum verify_mode *)ti->private;
}

/* Page-sized, page-aligned slab objects for the bounce buffers. */
extern struct kmem_cache *verify_page_cache;

int verify_quorum_ctr(struct dm_target *ti, unsigned int argc, char **argv);
void verify_quorum_dtr(struct dm_target *ti);
int verify_quorum_map(struct dm_target *ti, struct bio *bio);
void verify_quorum_status(struct dm_target *ti, status_type_t type, unsigned int status_flags,
			  char *result, unsigned int maxlen);
int verify_quorum_message(struct dm_target *ti, unsigned int argc, char **argv,
			  char *result, unsigned int maxlen);
int verify_quorum_iterate_devices(struct dm_target *ti, iterate_devices_callout_fn fn,
				  void *data);

#endif /* DM_VERIFY_MODE_H */
