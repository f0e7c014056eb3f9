# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers of the tests/vm cases: a QEMU guest inside the test VM (nested
# TCG) with a kit device as its raw virtio-blk disk. The guest is the same
# kernel with scripts/guest/nested-init as /init; it runs the scenario
# named on its command line and prints "DMTKG ..." lines on its serial
# console, a file here. QMP talks over the guest QEMU's stdin and stdout.
# The group is not in the default run (make test T=vm): see
# docs/testing.md for the timings.

NESTED=/dmtk/nested
NG=/tmp/nested

# nested_start DEV SCENARIO [DRIVE_OPTIONS]: boot the guest with DEV as its
# virtio-blk disk (raw, cache=none, aio=native, plus DRIVE_OPTIONS).
nested_start() {
	[ -x /usr/bin/qemu-system-x86_64 ] || skip "no QEMU in the VM (run make test T=vm)"
	rm -rf "$NG"
	mkdir -p "$NG"
	mkfifo "$NG/qmp.in"
	exec 3<> "$NG/qmp.in"
	nested_t0=$(now_cs)
	qemu-system-x86_64 -M pc -accel tcg -m 192 -smp 1 -L "$NESTED/fw" -bios qboot.rom \
		-kernel "$NESTED/vmlinuz" -initrd "$NESTED/initrd.cpio" \
		-append "console=ttyS0 quiet panic=-1 no_timer_check nokaslr mitigations=off tsc=unstable rdinit=/init dmtkg=$2" \
		-display none -vga none -nic none -no-reboot -monitor none \
		-serial "file:$NG/serial.log" -qmp stdio \
		-drive "file=$1,format=raw,if=none,id=d0,cache=none,aio=native${3:+,$3}" \
		-device virtio-blk-pci,drive=d0 < "$NG/qmp.in" > "$NG/qmp.out" 2> "$NG/qemu.err" &
	nested_pid=$!
	qmp '{"execute":"qmp_capabilities"}'
}

# qmp JSON: send one QMP command.
qmp() {
	printf '%s\n' "$1" >&3
}

# nested_wait FILE REGEX SECONDS: until FILE ($NG/serial.log or
# $NG/qmp.out) matches, or fail (with what the guest and QEMU said).
nested_wait() {
	end=$(($(now_cs) + $3 * 100))
	i=0
	until grep -Eq "$2" "$NG/$1" 2> /dev/null; do
		i=$((i + 1))
		if [ "$(now_cs)" -gt $end ] || ! kill -0 "$nested_pid" 2> /dev/null; then
			echo "--- serial" >&2; cat "$NG/serial.log" >&2
			echo "--- qmp" >&2; cat "$NG/qmp.out" >&2
			echo "--- qemu" >&2; cat "$NG/qemu.err" >&2
			fail "no /$2/ in $1 after $(nested_elapsed) s"
		fi
		sleep 0.5
	done
}

# nested_elapsed: seconds since nested_start (one decimal).
nested_elapsed() {
	t=$(($(now_cs) - nested_t0))
	echo "$((t / 100)).$((t % 100 / 10))"
}

# nested_stop: quit QEMU (if the guest has not powered off) and reap it.
nested_stop() {
	if kill -0 "$nested_pid" 2> /dev/null; then
		qmp '{"execute":"quit"}'
		i=0
		while kill -0 "$nested_pid" 2> /dev/null && [ $i -lt 50 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		kill "$nested_pid" 2> /dev/null
	fi
	wait "$nested_pid" 2> /dev/null
	exec 3>&-
}
