# SPDX-License-Identifier: GPL-2.0
#
# blkdebug2dm: pick the blkdebug node's keys out of flat options (-F tab).
# Writes OUT/node (its rule and geometry keys, prefix dropped), OUT/config
# (its config file) and OUT/image (the image file it opens, if named).

function fail(o, msg) {
	printf "blkdebug2dm: %s: %s\n", o, msg > "/dev/stderr"
	failed = 1
	exit 1
}
{
	key[NR] = $1
	val[NR] = $2
	org[NR] = $3
	if (($1 == "driver" || $1 ~ /\.driver$/) && $2 == "blkdebug") {
		p = $1
		sub(/driver$/, "", p)
		if (np++)
			fail($3, "a second blkdebug node (" p "); convert one at a time")
		prefix = p
	}
	n = NR
}
END {
	if (failed)
		exit 1
	if (!np) {
		# bare options or a config file: the keys are the node's
		for (i = 1; i <= n; i++)
			if (key[i] == "driver" || key[i] ~ /\.driver$/)
				fail(org[i], "no blkdebug node in these options (driver=" val[i] ")")
		prefix = ""
	}
	printf "" > (out "/node")
	if (prefix != "") {
		parent = substr(prefix, 1, length(prefix) - 1)
		sub(/\.?[^.]*$/, "", parent)
		for (i = 1; i <= n; i++)
			if (key[i] == (parent == "" ? "" : parent ".") "driver" && val[i] != "raw")
				printf "blkdebug2dm: note: blkdebug sits under a %s node: keep %s on top of the kit device\n", \
					val[i], val[i] > "/dev/stderr"
	}
	for (i = 1; i <= n; i++) {
		k = key[i]
		if (substr(k, 1, length(prefix)) != prefix)
			continue
		k = substr(k, length(prefix) + 1)
		if (k == "config") {
			print val[i] > (out "/config")
		} else if (k == "x-image") {
			image = val[i]
		} else if (k == "image.filename") {
			image = val[i]
		} else if (k == "image") {
			node = val[i]
		} else if (k ~ /^(inject-error|set-state)\./ || \
			   k ~ /^(align|max-transfer|opt-write-zero|max-write-zero|opt-discard|max-discard)$/) {
			printf "%s\t%s\t%s\n", k, val[i], org[i] > (out "/node")
		} else if (k ~ /^(take|unshare)-child-perms\./) {
			if (!perms++)
				printf "blkdebug2dm: note: %s: permissions within QEMU's block graph; a block device has none: ignored\n", \
					org[i] > "/dev/stderr"
		} else if (k ~ /^(driver|node-name|cache\.|discard$|detect-zeroes$|read-only$|auto-read-only$|force-share$|image\.)/) {
			continue
		} else {
			fail(org[i], "unknown blkdebug option " k)
		}
	}
	if (image != "")
		print image > (out "/image")
	else if (node != "")
		printf "blkdebug2dm: note: the image is node %s: give its device\n", node > "/dev/stderr"
}
