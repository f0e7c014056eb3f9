// SPDX-License-Identifier: GPL-2.0
/*
 * mklog: write a small dm-replay log with correct checksums, for the seed
 * corpus of the host fuzzers and for reproducers of hand-made damage (any
 * field can be given a value the recorder would never write; the CRCs are
 * computed over whatever is written).
 *
 * Usage: mklog [-b BLOCK] [-l DATA_BLOCK] [-d DEV_SECTORS] [-n COMMITTED] [-s STATE]
 *              [-t BYTES] OUT ENTRY...
 *   -b  log block size (default 512)
 *   -l  the recorded device's logical block size (default 512)
 *   -d  dev_sectors of the superblock (default 2048: a 1 MiB device)
 *   -n  nr_entries of the superblock (default: every entry); entries
 *       past it are the uncommitted tail
 *   -s  recording state (default 0)
 *   -t  cut the last BYTES bytes off the file (a torn tail)
 * ENTRY:
 *   w:SECTOR:NR[:c=SEQ]   write of NR sectors (data: a byte pattern),
 *                         with c=: COMPLETED as completion SEQ
 *   d:SECTOR:NR[:c=SEQ]   discard          z:SECTOR:NR[:c=SEQ]  write zeroes
 *   f[:c=SEQ]             empty flush      F:SECTOR:NR  write with FLUSH|FUA
 *   m:NAME                mark
 *   r:OP/SECTOR/NR/FLAGS[,OP/SECTOR/NR/FLAGS...]
 *                         completion entry holding these records
 * Numbers are C literals (0x... allowed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../dm-replay/replay-log.c"

static u8 *img;
static size_t img_len, img_cap;

static void put(const void *p, size_t len, size_t pad_to)
{
	size_t total = len ? (len + pad_to - 1) / pad_to * pad_to : pad_to;

	if (img_len + total > img_cap) {
		img_cap = (img_len + total) * 2;
		img = realloc(img, img_cap);
		if (!img) {
			perror("mklog");
			exit(1);
		}
	}
	memset(img + img_len, 0, total);
	memcpy(img + img_len, p, len);
	img_len += total;
}

static u64 num(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	if (end == s || (*end && *end != ':' && *end != '/' && *end != ',')) {
		fprintf(stderr, "mklog: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* The field after the @n-th separator of @s, or NULL. */
static const char *field(const char *s, int n, char sep)
{
	while (n--) {
		s = strchr(s, sep);
		if (!s)
			return NULL;
		s++;
	}
	return s;
}

int main(int argc, char **argv)
{
	struct dmr_sb sb = { .version = DMR_VERSION, .block_size = 512,
			     .data_block_size = 512, .log_id = 0x1d5eed,
			     .dev_sectors = 2048 };
	long long committed = -1, cut = 0;
	u64 seq = 0, rec_index = 0, used = 0;
	struct dmr_super super;
	FILE *f;
	int c, i;

	while ((c = getopt(argc, argv, "b:l:d:n:s:t:")) != -1) {
		switch (c) {
		case 'b': sb.block_size = num(optarg); break;
		case 'l': sb.data_block_size = num(optarg); break;
		case 'd': sb.dev_sectors = num(optarg); break;
		case 'n': committed = num(optarg); break;
		case 's': sb.state = num(optarg); break;
		case 't': cut = num(optarg); break;
		default: fprintf(stderr, "usage: see the comment in mklog.c\n"); return 2;
		}
	}
	if (optind >= argc)
		return 2;
	put("", 0, sb.block_size);		/* block 0 (a zero block), written last */

	for (i = optind + 1; i < argc; i++) {
		const char *e = argv[i], *cs = strstr(e, ":c=");
		struct dmr_rec rec = { .seq = seq, .type = DMR_TYPE_IO };
		struct dmr_entry hdr;
		u8 *data = NULL;
		size_t dlen = 0;

		switch (e[0]) {
		case 'w': case 'd': case 'z': case 'F':
			rec.sector = num(field(e, 1, ':'));
			rec.nr_sectors = num(field(e, 2, ':'));
			if (e[0] == 'd')
				rec.flags = DMR_F_DISCARD;
			else if (e[0] == 'z')
				rec.flags = DMR_F_ZEROES;
			else
				rec.data_sectors = rec.nr_sectors;
			if (e[0] == 'F')
				rec.flags = DMR_F_FLUSH | DMR_F_FUA;
			break;
		case 'f':
			rec.flags = DMR_F_FLUSH;
			break;
		case 'm':
			rec.type = DMR_TYPE_MARK;
			snprintf(rec.name, sizeof(rec.name), "%s", e + 2);
			break;
		case 'r': {
			const char *p = e + 2;
			u32 n = 0;

			rec.type = DMR_TYPE_COMPLETIONS;
			data = calloc(DMR_COMP_PER_ENTRY, sizeof(struct dmr_comp));
			while (p && *p && n < DMR_COMP_PER_ENTRY) {
				struct dmr_crec cr = {
					.op = num(p), .sector = num(field(p, 1, '/')),
					.nr_sectors = num(field(p, 2, '/')),
					.flags = num(field(p, 3, '/')),
				};

				dmr_comp_encode((struct dmr_comp *)data + n++, &cr);
				p = strchr(p, ',');
				if (p)
					p++;
			}
			rec.sector = rec_index;
			rec.nr_sectors = n;
			rec.data_sectors = dmr_comp_data_sectors(n);
			rec_index += n;
			break;
		}
		default:
			fprintf(stderr, "mklog: unknown entry '%s'\n", e);
			return 2;
		}
		if (cs) {
			rec.flags |= DMR_F_COMPLETED;
			rec.comp_seq = num(cs + 3);
		}
		if (rec.data_sectors) {
			dlen = (size_t)rec.data_sectors * 512;
			if (!data) {
				size_t k;

				data = malloc(dlen);
				for (k = 0; k < dlen; k++)
					data[k] = (u8)(rec.sector + k / 512 + k);
			}
			rec.data_crc = dmr_crc32c(data, dlen);
		}
		dmr_entry_encode(&hdr, &rec, sb.log_id);
		put(&hdr, sizeof(hdr), sb.block_size);
		if (dlen)
			put(data, dlen, sb.block_size);
		free(data);
		seq++;
		if (committed < 0 || (long long)seq <= committed) {
			sb.nr_entries = seq;
			used = img_len / 512;
		}
	}
	if (!used)
		used = sb.block_size / 512;
	sb.used_sectors = used;
	sb.log_sectors = img_len / 512 > used ? img_len / 512 : used;
	dmr_super_encode(&super, &sb);
	memcpy(img, &super, sizeof(super));

	f = fopen(argv[optind], "wb");
	if (!f || fwrite(img, 1, img_len - (size_t)cut, f) != img_len - (size_t)cut ||
	    fclose(f)) {
		perror(argv[optind]);
		return 1;
	}
	free(img);
	return 0;
}
