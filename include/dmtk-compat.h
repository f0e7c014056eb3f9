/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types and helpers shared by kernel code and the host builds of the same
 * files, so pure logic (rule parsing, log encoding, the PRNG) is unit-tested
 * in userspace.
 */
#ifndef DMTK_COMPAT_H
#define DMTK_COMPAT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/blkdev.h>

/*
 * The mode a table opens its devices with: fmode_t and FMODE_* until 6.4,
 * blk_mode_t and BLK_OPEN_* from 6.5 (dm_table_get_mode() and
 * dm_get_device() follow the kernel's type). BLK_OPEN_READ is a macro
 * exactly where blk_mode_t exists.
 */
#ifdef BLK_OPEN_READ
#define dmtk_mode_t blk_mode_t
#define DMTK_MODE_READ BLK_OPEN_READ
#else
#define dmtk_mode_t fmode_t
#define DMTK_MODE_READ FMODE_READ
#endif
#else
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <endian.h>

/*
 * The C library's fixed-width types under the kernel's names (spelled with
 * the compiler's macros, which stdint.h uses too), so userspace code prints
 * them with PRIu64; linux/types.h gives __le16/32/64, as glibc's own headers
 * would.
 */
#include <linux/types.h>
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;
typedef u64 sector_t;
#define U64_MAX UINT64_MAX

#define cpu_to_le16(x) htole16(x)
#define cpu_to_le32(x) htole32(x)
#define cpu_to_le64(x) htole64(x)
#define le16_to_cpu(x) le16toh(x)
#define le32_to_cpu(x) le32toh(x)
#define le64_to_cpu(x) le64toh(x)

#define GFP_KERNEL 0
#define kmalloc(size, gfp) malloc(size)
#define kzalloc(size, gfp) calloc(1, size)
#define kcalloc(n, size, gfp) calloc(n, size)
#define kfree(p) free(p)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#endif /* DMTK_COMPAT_H */
