// SPDX-License-Identifier: GPL-2.0
/* dmreplay mark: add a named mark to the log of a recording device. */
#include <errno.h>
#include <string.h>

#include <libdevmapper.h>

#include "dmreplay.h"

int cmd_mark(int argc, char **argv)
{
	const char *name = argv[1];
	char msg[16 + DMR_NAME_MAX];
	struct dm_task *dmt;
	int r;

	if (argc != 3)
		return usage_error("mark takes two arguments: <dm_name> <mark>");
	if (!strncmp(name, "/dev/mapper/", 12))
		name += 12;
	r = dmr_mark_name_check(argv[2]);
	if (r == -ENAMETOOLONG)
		return usage_error("mark name too long: %zu bytes, at most %d",
				   strlen(argv[2]), DMR_NAME_MAX);
	if (r)
		return usage_error("invalid mark name '%s': printable ASCII without spaces "
				   "expected", argv[2]);
	snprintf(msg, sizeof(msg), "mark %s", argv[2]);

	dmt = dm_task_create(DM_DEVICE_TARGET_MSG);
	if (!dmt) {
		err("cannot create a device-mapper task");
		return EXIT_RUNTIME;
	}
	r = EXIT_RUNTIME;
	if (!dm_task_set_name(dmt, name) || !dm_task_set_sector(dmt, 0) ||
	    !dm_task_set_message(dmt, msg)) {
		err("cannot prepare the device-mapper message");
		goto out;
	}
	if (!dm_task_run(dmt)) {
		err("%s refused mark '%s' (is it a recording dm-replay device? "
		    "see the kernel log)", name, argv[2]);
		goto out;
	}
	r = 0;
out:
	dm_task_destroy(dmt);
	return r;
}
