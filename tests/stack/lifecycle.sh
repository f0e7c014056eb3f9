# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers for the lifecycle-under-load cases (stack/010 onwards): fio in
# the background, dmsetup commands under a time limit (a hang fails the case
# long before the 30 s hung-task report, which would fail it too).

# start_fio DEV SECONDS [FIO_ARGS...]: random 4 KiB reads and writes, 16 in
# flight, over the first 32 MiB of DEV; FIO_PID, output in /tmp/fio.out.
start_fio() {
	dev=$1
	secs=$2
	shift 2
	fio --name=load --filename="$dev" --direct=1 --ioengine=libaio --iodepth=16 \
		--rw=randrw --bs=4k --size=32M --time_based --runtime="$secs" \
		--randrepeat=0 --norandommap "$@" > /tmp/fio.out 2>&1 &
	FIO_PID=$!
	# Until fio has the device open (fio starts slowly under TCG).
	n=0
	while [ "$(dmsetup info -c --noheadings -o open "$(basename "$dev")")" = 0 ]; do
		n=$((n + 1))
		[ $n -le 100 ] || fail "fio did not open $dev: $(cat /tmp/fio.out)"
		sleep 0.1
	done
	sleep 0.5
}

# wait_fio LIMIT: fio's exit code; fails the case if fio does not end in time.
wait_fio() {
	n=0
	while kill -0 "$FIO_PID" 2> /dev/null; do
		n=$((n + 1))
		[ $n -le $(($1 * 10)) ] || { kill -9 "$FIO_PID"; fail "fio did not finish in $1 s"; }
		sleep 0.1
	done
	wait "$FIO_PID"
}

fio_errors() {
	sed -n 's/.*err= *\([0-9]*\).*/\1/p' /tmp/fio.out | head -n 1
}

# tmo CMD...: the command must finish within 25 s.
tmo() {
	timeout -s KILL 25 "$@"
	rc=$?
	[ $rc = 137 ] && fail "hung: '$*' did not finish in 25 s"
	return $rc
}

# held_count DEV: dm-inject's number of held requests.
held_count() {
	dm_status "$1" | awk '{ print $3 }'
}

# wait_held DEV N: until at least N requests are held (at most 20 s).
wait_held() {
	n=0
	while [ "$(held_count "$1")" -lt "$2" ]; do
		n=$((n + 1))
		[ $n -le 200 ] || fail "$1: expected $2 or more held requests, status '$(dm_status "$1")'"
		sleep 0.1
	done
}

# acked_write_survives_suspend DEV SECTOR BYTE LOWER...: writes 64 sectors of
# BYTE with O_DIRECT and fsync, suspends DEV, checks that every LOWER
# device holds them, resumes.
acked_write_survives_suspend() {
	dev=$1
	sector=$2
	byte=$3
	shift 3
	xfs_io -d -c "pwrite -q -S $byte -b 32768 $((sector * 512)) 32768" -c fsync "$dev" ||
		fail "write before suspend failed"
	tmo dmsetup suspend "$(basename "$dev")" || fail "suspend $dev failed"
	want=$(pattern_md5 64 "$byte")
	for lower in "$@"; do
		expect_eq "acknowledged write on $lower while $dev is suspended" "$want" \
			"$(dio_read_md5 "$lower" "$sector" 64)"
	done
	tmo dmsetup resume "$(basename "$dev")" || fail "resume $dev failed"
}
