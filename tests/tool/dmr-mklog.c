// SPDX-License-Identifier: GPL-2.0
/*
 * dmr-mklog: write a dm-replay log file from a text description (stdin),
 * with every checksum right unless asked otherwise. A test helper: it
 * trusts its input. One line each:
 *
 *   super bs=512 dbs=512 dev=SECTORS log=SECTORS [commit=N] [used=N]
 *         [state=N] [id=N] [badcrc]
 *   write SECTOR COUNT [fill=BYTE] [OPTS]      (COUNT sectors of data)
 *   discard SECTOR COUNT [OPTS]
 *   zeroes SECTOR COUNT [OPTS]
 *   flush [OPTS]                               (an empty flush)
 *   mark NAME
 *   comps FIRST OP:SECTOR:COUNT[:FLAGS] ...    (a completion entry)
 *   cut BYTES                                  (the file ends there)
 *
 * OPTS: fua flush meta comp=N (its own completion record) seq=N (a wrong
 * sequence number) torn (a data byte changed after its CRC) tornhdr (the
 * header checksum broken). commit=N: entries the superblock counts
 * (default all). Numbers in C syntax (0x.. for hex).
 */
#include <errno.h>
#include "logbuild.h"

static u64 num(const char *s)
{
	char *end;
	u64 v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s) {
		fprintf(stderr, "dmr-mklog: not a number: '%s'\n", s);
		exit(2);
	}
	return v;
}

static const char *val(const char *tok, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(tok, key, n) && tok[n] == '=' ? tok + n + 1 : NULL;
}

static void opts(struct lb_entry *e, char **tok, int nt)
{
	const char *v;
	int i;

	for (i = 0; i < nt; i++) {
		if (!strcmp(tok[i], "fua"))
			e->rec.flags |= DMR_F_FUA;
		else if (!strcmp(tok[i], "flush"))
			e->rec.flags |= DMR_F_FLUSH;
		else if (!strcmp(tok[i], "meta"))
			e->rec.flags |= DMR_F_META;
		else if ((v = val(tok[i], "comp"))) {
			e->rec.flags |= DMR_F_COMPLETED;
			e->rec.comp_seq = num(v);
		} else if ((v = val(tok[i], "seq")))
			e->rec.seq = num(v);
		else if (!strcmp(tok[i], "torn"))
			e->bad_data_crc = true;
		else if (!strcmp(tok[i], "tornhdr"))
			e->bad_hdr_crc = true;
		else if (!val(tok[i], "fill")) {
			fprintf(stderr, "dmr-mklog: unknown option '%s'\n", tok[i]);
			exit(2);
		}
	}
}

static u8 comp_op(const char *s)
{
	static const char * const ops[] = { "read", "write", "flush", "discard", "zeroes" };
	u8 i;

	for (i = 0; i < 5; i++)
		if (!strcmp(s, ops[i]))
			return i;
	return (u8)num(s);
}

int main(int argc, char **argv)
{
	struct lb_log lg;
	char line[4096], *tok[300];
	bool have_super = false;
	size_t len;
	FILE *f;
	u8 *img;
	int nt, i;

	if (argc != 2) {
		fprintf(stderr, "usage: dmr-mklog FILE < description\n");
		return 2;
	}
	lb_init(&lg, 512, 2048, 4096);
	while (fgets(line, sizeof(line), stdin)) {
		struct lb_entry *e;
		const char *v;

		nt = 0;
		for (tok[nt] = strtok(line, " \t\n"); tok[nt] && nt < 299;
		     tok[++nt] = strtok(NULL, " \t\n"))
			;
		if (!nt || tok[0][0] == '#')
			continue;
		if (!strcmp(tok[0], "super")) {
			have_super = true;
			for (i = 1; i < nt; i++) {
				if ((v = val(tok[i], "bs")))
					lg.sb.block_size = num(v);
				else if ((v = val(tok[i], "dbs")))
					lg.sb.data_block_size = num(v);
				else if ((v = val(tok[i], "dev")))
					lg.sb.dev_sectors = num(v);
				else if ((v = val(tok[i], "log")))
					lg.sb.log_sectors = num(v);
				else if ((v = val(tok[i], "state")))
					lg.sb.state = num(v);
				else if ((v = val(tok[i], "id")))
					lg.sb.log_id = num(v);
				else if ((v = val(tok[i], "commit"))) {
					lg.sb.nr_entries = num(v);
					lg.raw_nr_entries = true;
				} else if ((v = val(tok[i], "used"))) {
					lg.sb.used_sectors = num(v);
					lg.raw_used = true;
				} else if (!strcmp(tok[i], "badcrc"))
					lg.bad_super_crc = true;
				else
					goto bad;
			}
			continue;
		}
		if (!strcmp(tok[0], "cut") && nt == 2) {
			lg.cut_bytes = num(tok[1]);
			continue;
		}
		if (!have_super)
			goto bad;
		e = lb_add(&lg);
		if ((!strcmp(tok[0], "write") || !strcmp(tok[0], "discard") ||
		     !strcmp(tok[0], "zeroes")) && nt >= 3) {
			e->rec.type = DMR_TYPE_IO;
			e->rec.sector = num(tok[1]);
			e->rec.nr_sectors = num(tok[2]);
			if (tok[0][0] == 'd')
				e->rec.flags |= DMR_F_DISCARD;
			if (tok[0][0] == 'z')
				e->rec.flags |= DMR_F_ZEROES;
			if (tok[0][0] == 'w') {
				u8 fill = (u8)(e->rec.seq + 1);

				for (i = 3; i < nt; i++)
					if ((v = val(tok[i], "fill")))
						fill = (u8)num(v);
				e->rec.data_sectors = (u32)e->rec.nr_sectors;
				e->data = lb_xcalloc(e->rec.data_sectors, 512);
				e->data_len = e->rec.data_sectors << 9;
				memset(e->data, fill, (size_t)e->rec.data_sectors << 9);
			}
			opts(e, tok + 3, nt - 3);
		} else if (!strcmp(tok[0], "flush")) {
			e->rec.type = DMR_TYPE_IO;
			e->rec.flags = DMR_F_FLUSH;
			opts(e, tok + 1, nt - 1);
		} else if (!strcmp(tok[0], "mark") && nt == 2) {
			e->rec.type = DMR_TYPE_MARK;
			snprintf(e->rec.name, sizeof(e->rec.name), "%s", tok[1]);
		} else if (!strcmp(tok[0], "comps") && nt >= 3) {
			struct dmr_comp *raw;

			e->rec.type = DMR_TYPE_COMPLETIONS;
			e->rec.sector = num(tok[1]);
			e->rec.nr_sectors = nt - 2;
			e->rec.data_sectors = dmr_comp_data_sectors(nt - 2);
			e->data = lb_xcalloc(e->rec.data_sectors, 512);
			e->data_len = e->rec.data_sectors << 9;
			raw = (struct dmr_comp *)e->data;
			for (i = 2; i < nt; i++) {
				struct dmr_crec c = { 0 };
				char *f1 = strtok(tok[i], ":"), *f2 = strtok(NULL, ":");
				char *f3 = strtok(NULL, ":"), *f4 = strtok(NULL, ":");

				if (!f1 || !f2 || !f3)
					goto bad;
				c.op = comp_op(f1);
				c.sector = num(f2);
				c.nr_sectors = (u32)num(f3);
				c.flags = f4 ? (u8)num(f4) : 0;
				dmr_comp_encode(&raw[i - 2], &c);
			}
		} else {
			goto bad;
		}
	}
	len = lb_build(&lg, &img);
	f = fopen(argv[1], "w");
	if (!f || fwrite(img, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "dmr-mklog: cannot write %s\n", argv[1]);
		return 3;
	}
	free(img);
	lb_free(&lg);
	return 0;
bad:
	fprintf(stderr, "dmr-mklog: bad line starting '%s'\n", tok[0]);
	return 2;
}
