// SPDX-License-Identifier: GPL-2.0
/*
 * dmr-mklw: write a dm-log-writes v1 log file from a text description
 * (stdin), entries encoded with dm-replay/replay-lw.c. A test helper: it
 * trusts its input. Sectors and counts are in log-writes sectors (the
 * superblock's sectorsize). One line each:
 *
 *   super ss=512 [entries=N] [version=N]  (entries: default all of them)
 *   write SECTOR COUNT [fill=BYTE] [flush] [fua] [meta]
 *   discard SECTOR COUNT
 *   flush [fua]                           (an empty flush)
 *   mark NAME
 *   raw SECTOR COUNT FLAGS DATA_LEN [pad=OFF:BYTE] [data=N]
 *                                         (any header; N data blocks follow)
 *   cut BYTES                             (the file ends there)
 *
 * Write data: every byte of the entry is BYTE (default: the entry index + 1).
 * Numbers in C syntax (0x.. for hex). Usage: dmr-mklw FILE < description
 */
#include <errno.h>
#include <stdio.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../dm-replay/replay-log.c"
#include "../../dm-replay/replay-lw.c"

static u64 num(const char *s)
{
	char *end;
	u64 v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s) {
		fprintf(stderr, "dmr-mklw: not a number: '%s'\n", s);
		exit(2);
	}
	return v;
}

static const char *val(const char *tok, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(tok, key, n) && tok[n] == '=' ? tok + n + 1 : NULL;
}

static FILE *out;
static u32 ss = 512;
static u64 nr, pos;
static u8 blk[65536];

static void put(const void *buf, size_t len)
{
	if (fseek(out, (long)pos, SEEK_SET) || fwrite(buf, 1, len, out) != len) {
		perror("dmr-mklw: write");
		exit(2);
	}
	pos += len;
}

static void data(u64 blocks, int fill)
{
	static u8 b[65536];

	memset(b, fill, ss);
	while (blocks--)
		put(b, ss);
}

static void entry(struct dmr_rec *r, int fill)
{
	if (lw_entry_encode(blk, ss, r)) {
		fprintf(stderr, "dmr-mklw: cannot encode entry %" PRIu64 "\n", nr);
		exit(2);
	}
	put(blk, ss);
	if (r->type == DMR_TYPE_IO && !(r->flags & DMR_F_DISCARD))
		data(r->nr_sectors / (ss >> 9), fill);
	nr++;
}

int main(int argc, char **argv)
{
	u64 entries = U64_MAX, version = LW_VERSION, cut = 0;
	char line[4096], *tok[16];
	struct lw_super *s;
	int nt, i, fill;

	if (argc != 2 || !(out = fopen(argv[1], "w+"))) {
		fprintf(stderr, "usage: dmr-mklw FILE < description\n");
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct dmr_rec r = { .type = DMR_TYPE_IO };

		for (nt = 0, tok[0] = strtok(line, " \t\n"); tok[nt] && nt < 15;
		     tok[++nt] = strtok(NULL, " \t\n"))
			;
		if (!nt || tok[0][0] == '#')
			continue;
		fill = (int)(nr + 1) & 0xff;
		if (!strcmp(tok[0], "super")) {
			for (i = 1; i < nt; i++) {
				if (val(tok[i], "ss"))
					ss = num(val(tok[i], "ss")) % 65537;
				else if (val(tok[i], "entries"))
					entries = num(val(tok[i], "entries"));
				else if (val(tok[i], "version"))
					version = num(val(tok[i], "version"));
			}
			pos = ss;
		} else if (!strcmp(tok[0], "write") || !strcmp(tok[0], "discard")) {
			r.sector = num(tok[1]) * (ss >> 9);
			r.nr_sectors = num(tok[2]) * (ss >> 9);
			if (tok[0][0] == 'd')
				r.flags |= DMR_F_DISCARD;
			for (i = 3; i < nt; i++) {
				if (!strcmp(tok[i], "flush"))
					r.flags |= DMR_F_FLUSH;
				else if (!strcmp(tok[i], "fua"))
					r.flags |= DMR_F_FUA;
				else if (!strcmp(tok[i], "meta"))
					r.flags |= DMR_F_META;
				else if (val(tok[i], "fill"))
					fill = (int)num(val(tok[i], "fill"));
			}
			entry(&r, fill);
		} else if (!strcmp(tok[0], "flush")) {
			r.flags = DMR_F_FLUSH | (nt > 1 ? DMR_F_FUA : 0);
			entry(&r, 0);
		} else if (!strcmp(tok[0], "mark")) {
			r.type = DMR_TYPE_MARK;
			snprintf(r.name, sizeof(r.name), "%s", tok[1]);
			entry(&r, 0);
		} else if (!strcmp(tok[0], "raw") && nt >= 5) {
			struct lw_entry *e = (struct lw_entry *)blk;
			u64 blocks = 0;

			memset(blk, 0, ss);
			e->sector = cpu_to_le64(num(tok[1]));
			e->nr_sectors = cpu_to_le64(num(tok[2]));
			e->flags = cpu_to_le64(num(tok[3]));
			e->data_len = cpu_to_le64(num(tok[4]));
			for (i = 5; i < nt; i++) {
				if (val(tok[i], "pad")) {
					char *c = strchr(tok[i], ':');

					*c = 0;
					blk[num(val(tok[i], "pad")) % ss] = (u8)num(c + 1);
				} else if (val(tok[i], "data")) {
					blocks = num(val(tok[i], "data"));
				}
			}
			put(blk, ss);
			data(blocks, fill);
			nr++;
		} else if (!strcmp(tok[0], "cut")) {
			cut = num(tok[1]);
		} else {
			fprintf(stderr, "dmr-mklw: bad line: %s\n", tok[0]);
			return 2;
		}
	}
	lw_super_encode(blk, 512, entries == U64_MAX ? nr : entries);
	s = (struct lw_super *)blk;
	s->version = cpu_to_le64(version);
	s->sectorsize = cpu_to_le32(ss);
	/* The kernel writes its 32-byte struct: the last 4 bytes are padding. */
	s->pad = cpu_to_le32(0xdeadbeef);
	pos = 0;
	put(blk, 512);
	if (pos < ss && fseek(out, 0, SEEK_END) == 0 && ftell(out) < (long)ss) {
		memset(blk, 0, sizeof(blk));
		pos = 512;
		put(blk, ss - 512);
	}
	if (fflush(out) || (cut && ftruncate(fileno(out), (off_t)cut))) {
		perror("dmr-mklw");
		return 2;
	}
	return fclose(out) ? 2 : 0;
}
