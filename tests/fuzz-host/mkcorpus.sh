#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Writes the seed corpus of the host fuzzers into tests/fuzz-host/corpus/:
# small valid inputs of every kind and the reproducers of issues 13 and 14.
# The files are in the repository; run this after changing a seed
# (make fuzz-host-build first: the logs are written by out/fuzz-host/bin/mklog;
# the dm-log-writes ones by out/tool/dmr-mklw, built by make test-tool).
#
# Usage: tests/fuzz-host/mkcorpus.sh
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
c=$top/tests/fuzz-host/corpus
mklog=$top/out/fuzz-host/bin/mklog
mkdir -p "$c/inject-rules" "$c/verify-opts" "$c/replay-log" "$c/replay-lw"

# le N VALUE: VALUE as N little-endian bytes.
le() {
	n=$1
	v=$2
	while [ "$n" -gt 0 ]; do
		printf "\\$(printf %03o $((v & 255)))"
		v=$((v >> 8))
		n=$((n - 1))
	done
}

# req EVENT FLAGS SECTOR LEN: one request of the inject harness
# (event 0 read, 1 write, 2 flush, 3 discard, 4 write_zeroes, 5 other).
req() {
	le 1 "$1"
	le 1 "$2"
	le 6 "$3"
	le 4 "$4"
}

# inj NAME DEVLEN-INDEX WORDS [REQUEST...]: words, NUL, device length, requests.
inj() {
	name=$1 dl=$2 words=$3
	shift 3
	{
		printf '%s' "$words"
		printf '\000'
		le 1 "$dl"
		for r in "$@"; do
			# shellcheck disable=SC2086
			req $r
		done
	} > "$c/inject-rules/$name"
}

# a read, a write, an empty flush, a discard, write zeroes at a few places
mix="0 0 0 8|1 0 8 8|2 132 0 0|3 0 16 64|4 0 100 8|1 10 131064 8|0 1 131071 1|1 0 0 256"
old_ifs=$IFS
IFS='|'
# shellcheck disable=SC2086
set -- $mix
IFS=$old_ifs

inj every-type 3 "error:event=read,errno=28 state:event=write,state=1,new_state=2 \
delay:event=any,ms=10,jitter=5 corrupt:event=read,mode=zero,bytes=16,offset=100 \
drop:event=write,sectors=8-15 torn:event=write,sectors=0-99,sectors=2,silent \
misdirect:event=write,sector=100,shift=-100 break:event=write,tag=w1.a-b_C" "$@"
inj counting 3 "error:event=any,sector=131071,nth=3,probability=50,flags=sync+meta \
error:event=discard,every=2,flags=fua+preflush error:event=write_zeroes,errno=95,once" "$@" "$@"
inj state-machine 3 "seed:7 state:event=write,new_state=2 state:event=write,state=2,new_state=3 \
error:event=read,state=3,errno=61,after torn:event=write,state=2,errno=5 \
error:event=flush_to_disk,immediately" "$@" "$@"
inj options 3 "seed:18446744073709551615 log:1 max_transfer:1073741824 align:4096 \
error:event=read_aio,probability=100" "$@"
inj aliases 1 "error:event=write_aio,sector=7 delay:event=read,us=300 \
corrupt:event=write,mode=random corrupt:event=write,offset=4095 drop:event=flush" \
	"1 0 0 8" "0 0 7 1" "2 128 0 0" "1 0 0 1"
inj big-device 7 "error:event=read,sectors=18014398509481982-18014398509481983 \
misdirect:event=write,shift=-9007199254740992 error:event=write,sector=4294967296" \
	"0 0 281474976710655 1" "1 0 9007199254740992 8" "1 0 4294967296 1"
printf '%s' "error:event=read,immediately,after error:event=write,after,errno=61,immediately" \
	> "$c/inject-rules/immediately-after"
# issue 13 reproducers: rule ids and numbers past 2^64, 2^32 and 2^31, and
# the sub-block settings of a 4Kn device
inj issue13-wrap 3 "error:event=read,sector=18446744073709551617 \
error:event=read,nth=18446744073709551617 state:event=read,new_state=4294967297 \
delay:event=read,us=4294967297 corrupt:event=read,bytes=4294967297 \
misdirect:event=write,shift=-18446744073709551615 probability=4294967397 \
error:event=read,every=18446744073709551615" "$@"
inj issue13-4kn 3 "max_transfer:6144 misdirect:event=write,shift=1 \
torn:event=write align:4096" "1 0 0 8" "1 0 8 16"
inj issue13-remove-id 3 "remove 18446744073709551617 state 4294967297" "$@"
# issue 15: dm-flakey's windows (flags bits 4-5 advance the clock 700 ms
# per step, bit 6 toggles dm-dust's enable), event lists, heal, dust blocks,
# dm-delay's classes and flakey's corrupt_bio_byte
inj issue15-flakey 3 "error:event=read,up=1,down=2 drop:event=write+flush+discard+write_zeroes,up=0,down=1,from=resume \
corrupt:event=read,offset=0,mode=set,value=7,up=2,down=1" \
	"0 0 0 8" "0 48 0 8" "1 48 8 8" "0 48 0 8" "2 176 0 0" "3 16 0 8" "0 48 0 8"
inj issue15-dust 3 "dust:4096 error:event=read,block=1,heal error:event=read,block=2,heal=2 \
delay:event=any,ms=10000,write=0,flush=3,jitter=0" \
	"0 64 8 8" "1 0 8 8" "0 0 8 8" "1 0 16 1" "1 0 16 1" "4 0 16 8" "0 0 16 8" "0 64 16 1" "0 0 16 1"

pv() { printf '%s' "$2" > "$c/verify-opts/$1"; }
pv policies "on_mismatch:error on_mismatch:log on_mismatch:reference"
pv writes "verify_writes on_mismatch:reference"
pv twice "verify_writes verify_writes on_mismatch:log on_mismatch:log"
pv bad "on_mismatch: on_mismatch:Log verify_writesx on_mismatch"

lg() { "$mklog" "$@"; }
l=$c/replay-log
lg "$l/writes" w:0:8 w:8:8 w:2040:8
lg "$l/every-entry" w:0:8 f m:hello d:16:8 z:32:8 F:100:8
lg "$l/completed" w:0:8:c=0 w:8:8:c=2 r:0/0/8/0 F:100:8:c=3 f:c=4 d:16:8:c=5 z:24:8:c=6 \
	r:0/0/8/8,2/0/0/1
lg -b 4096 -d 8192 "$l/block-4096" w:0:8:c=0 m:after-first w:8:8:c=2 r:0/0/8/0
lg -s 1 -n 2 "$l/state-full" w:0:8 f w:8:8
# issue 14 reproducers: a write at a sector whose byte offset wraps, an
# 8 GiB discard on a 1 MiB device, a torn uncommitted tail, an unsealed
# completion entry (records 1 and 3 missing) and a 4096-byte log
lg "$l/issue14-sector-wrap" w:0x80000000000008:8
lg "$l/issue14-discard-8g" d:0:0x1000000
lg "$l/issue14-zeroes-past-end" z:2040:16 w:2047:2
lg -n 2 -t 1024 "$l/issue14-torn-tail" w:0:8 f w:8:8 w:16:8
lg "$l/issue14-unsealed-completions" w:0:8:c=0 w:8:8:c=2 w:16:8:c=3
lg "$l/issue14-comp-seq-past-log" w:0:8:c=18446744073709551615 r:0/0/8/0
lg -b 4096 -d 2048 "$l/issue14-4kn-log" w:0:8 w:8:1 f m:m1
# a 4Kn recorded device: an entry of 1 sector at sector 8 is refused (DMR_E_ALIGN)
lg -b 4096 -l 4096 -d 2048 "$l/data-4kn" w:0:8 w:8:1 w:16:8 f
# a file too small for a superblock (dmreplay's log_open() leaked its buffer)
printf 'D' > "$l/tiny"

# dm-log-writes v1 logs (fuzz-replay-lw, and fuzz-dmreplay through run.sh)
lw() { "$top/out/tool/dmr-mklw" "$c/replay-lw/$1"; }
printf 'super ss=512\nwrite 0 2 fua meta\nmark mkfs\ndiscard 8 4\nflush\nwrite 3 1 flush\n' | lw every-entry
printf 'super ss=4096\nwrite 0 1\nmark m1\ndiscard 1 1\n' | lw sectorsize-4096
printf 'super ss=512 entries=1\nwrite 0 1\nwrite 1 1\n' | lw partly-committed
printf 'super ss=512\nwrite 0 1\nraw 0x3ffffffffffff0 0x20 4 0\n' | lw discard-wraps
printf 'super ss=512 entries=5\nwrite 0 1\nmark last\n' | lw count-past-end
