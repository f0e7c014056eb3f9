#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Writes docs/benchmarks.md and docs/benchmarks.png from the console logs of
# the benchmark VM runs (scripts/run-bench.sh calls it; run it by hand to
# redo the document from kept logs).
#
# Usage: scripts/bench/report.sh TIMED_LOG ICOUNT_LOG MD PNG
#   either log may be "-" when that run was left out.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
timed=$1
icount=$2
md=$3
png=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

set --
[ "$timed" != - ] && set -- "$@" mode=timed "$timed"
[ "$icount" != - ] && set -- "$@" mode=icount "$icount"
[ $# -gt 0 ] || { echo "report.sh: no log" >&2; exit 2; }
awk -f "$here/report.awk" -v meta="$tmp/meta" -v dat="$tmp/ratios.dat" "$@" > "$tmp/tables.md"

get() {
	sed -n "s/^$1=//p" "$tmp/meta" | head -n 1
}

qemu=$(qemu-system-x86_64 --version | head -n 1)
cpus=$(get cpus)
cpus=${cpus:-1}
jobsnote=
[ "$cpus" -gt 1 ] && jobsnote=", $cpus fio jobs at once"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
runs=
[ "$timed" != - ] && runs="A timed run ($(get timed_rounds) rounds of $(get timed_runtime) s per job, $(get timed_secs) s)"
if [ "$icount" != - ]; then
	if [ -n "$runs" ]; then runs="$runs and an"; else runs="An"; fi
	runs="$runs icount run ($(get icount_rounds) rounds of $(get icount_runtime) s of guest time per job)"
fi

commit=
[ -n "$(get timed_commit)" ] && commit="$(get timed_commit) (timed run)"
[ -n "$(get icount_commit)" ] && commit="${commit:+$commit, }$(get icount_commit) (icount run)"
tsum=$(get timed_sources)
isum=$(get icount_sources)
same=
if [ -n "$tsum" ] && [ -n "$isum" ]; then
	if [ "$tsum" = "$isum" ]; then
		same=" (the same code in both runs)"
	else
		same=" (the modules changed between the two runs: compare the two
  runs' figures of a kit target with care)"
	fi
fi
tload=$(get timed_load15)
iload=$(get icount_load15)
# More than about one runnable task per core besides the benchmark VM's
# own means other VMs shared the host during the timed run.
if awk -v l="${tload:-0}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2 + 0.5) }'; then
	loadnote="The host ran other VMs at
  the same time (the project's helpers test in parallel): with more than
  one runnable VM per core the timed ratios spread far beyond the 3-6 % of
  a quiet host, as their ranges show, and only large differences in them
  mean anything."
else
	loadnote="The host ran nothing else of
  note: the timed ratios spread as on a quiet host (3-6 %)."
fi

{
	cat <<EOF
# Benchmarks

Each kit target against dm-linear and against the stock target it replaces,
measured side by side in one VM boot. Run them with \`make bench\`
(scripts/run-bench.sh; about 35-40 minutes on a quiet 2-core host, more
when other VMs share it). This file and
[benchmarks.png](benchmarks.png) are written by that command: the figures
below are measured, never edited by hand.

![IOPS ratios to dm-linear](benchmarks.png)

## This run

- Kernel $(get kernel) (the project's test kernel), $(get fio), $qemu
  with software emulation (TCG, \`-cpu max -smp ${cpus}\`$jobsnote) on a $(nproc)-core
  host ($cpu); crc32c driver in the guest: $(get crc32c).
- $runs; $(date -u +%Y-%m-%d).
- Sources: commit ${commit:-unknown} plus the work tree's changes; digest
  of the modules' sources as built (md5 of Kbuild, dm-*/*.[ch],
  include/*.h): timed ${tsum:-none}, icount ${isum:-none}$same.
- Host load (15-minute load average at the end of each run, on $(nproc)
  cores): timed ${tload:-?}, icount ${iload:-?}. $loadnote The icount run
  is the robust figure: other load slows it down but does not change it.

## How it is measured

- Backing devices: brd ramdisks of 64 MiB, written in full before the first
  job (a read of a never-written brd page is a cheaper path). Single-device
  configurations use /dev/ram0; dm-verify, dm-mirror, dm-raid raid1 and the
  two dm-linear devices use /dev/ram1 (reference, first leg) and /dev/ram2
  (test device, second leg), as does dm-verify's two-leg quorum; dm-verify
  quorum over three legs and three-leg dm-raid raid1 use /dev/ram4..6 (kept
  apart, so they always hold the same data); the two loggers use /dev/ram3 for data and a
  256 GiB null_blk device without memory backing for the log, so the log
  never fills, takes no memory and costs both loggers the same.
- fio (scripts/bench/jobs.fio): direct=1, ioengine=libaio, the first 48 MiB
  of the device, time_based, the same random offsets in every run
  (randrepeat): 4k randread and randwrite at QD1 and QD32, 128k sequential
  write at QD8, and for the loggers 4k randwrite QD32 with a flush every 64
  writes. Each job runs on a freshly created device.
- Interleaving: a round runs every job over every configuration, job by job
  (the configurations of one job follow each other), so drift of the host
  hits them alike. Ratios are taken within a round and their median and
  range over the rounds are reported: absolute IOPS under software
  emulation mean little, ratios measured side by side hold.
- Two VM boots: a timed run (wall clock; one guest CPU, because with two
  the ratios spread 7-20 % against 3-6 % with one) and an icount run
  (\`-icount shift=0,sleep=off\`: the guest's clock counts instructions, so
  the same jobs repeat to within 0.1 %). icount measures the code path's
  cost, not cache or lock effects; it is the figure to compare between
  commits.
- Configurations: dm-flakey \`3600 0\` (always up); dm-delay with 0 ms;
  dm-inject with no rules, with 1 rule that never matches
  (\`error:event=any,sector=100000\`: every request is checked against it)
  and with 1,000 such rules on distinct sectors above the 48 MiB the jobs
  touch; dm-inject \`seed:1 error:event=any,probability=1\` (1 % of the
  requests fail; fio runs with continue_on_error=io and its IOPS count the
  requests that succeeded); dm-verify reads and writes, with and without
  \`verify_writes\`; dm-mirror (core log, nosync) and dm-raid raid1 (no
  metadata devices, nosync) on the same two ramdisks; dm-verify quorum
  (threshold 2) over 2 and over 3 legs, and dm-raid raid1 over the same 3
  (its reads go to one leg, quorum's to all three and are compared);
  "quorum, 2 legs / dm-verify" is the cost of a vote (sorting the legs into
  versions) against the two-leg comparison; dm-replay record and
  dm-log-writes on the same data and log devices.
- dm-replay in the timed run: its data CRC32C runs on crc32c-intel's
  \`crc32\` and \`pclmulqdq\` instructions, which TCG emulates through
  helper calls costing the host far more than the one instruction icount
  counts (or the cycle a CPU takes). Taking the CRC out of a build moved
  dm-replay / dm-log-writes in a timed run from 0.34-0.48 to 1.11-2.80
  (docs/dm-replay.rst); the timed dm-replay ratios measure qemu's emulation
  of those instructions more than the target.
- "2 × dm-linear" is one fio job over two dm-linear devices, one on each of
  dm-verify's ramdisks (fio alternates between them); its IOPS are halved,
  so it counts pairs of reads: the work of a verified read without the
  comparison. dm-verify / 2 × dm-linear near 1 means the comparison and the
  target's own overhead are cheap; dm-verify / dm-linear is bounded by 0.5.
- Loggers: dm-log-writes keeps each completed write in memory and logs it
  only when a flush comes, while dm-replay logs every write as it
  completes. After each job both get a flush and the time until the log
  stops growing (the drain) is measured; "incl. drain" rows count IOPS over
  the job's runtime plus the drain. Log bytes per data byte come from the
  targets' status (dm-log-writes' last used sector plus one, dm-replay's
  next free sector: both count the superblock and the final flush entry)
  and fio's bytes written. dm-replay's figure includes its completion
  order, which costs nothing for logged writes (each entry carries its
  own).
- Durations: 2 s per job in the timed run and 1 s of guest time per job
  under icount keep a full \`make bench\` near 35-40 minutes on a quiet
  2-core host (the timed run about 20, the icount run, where a guest second
  costs several seconds of host time, about 15); fio's start and the device set-up add about
  0.7 s per job that is not measured. Options of scripts/run-bench.sh
  (--rounds, --runtime, --icount-rounds, --configs, ...) change them.
- The guest loads crc32c-intel, as udev does on any host with SSE4.2, and
  points the kernel's module autoloader at /usr/sbin/modprobe (the
  initramfs has no /sbin/modprobe): without it crc32c falls back to the
  byte-table code, which costs dm-replay, whose log entries carry a
  CRC32C of their data, about 30 % of its write IOPS under icount.
- Memory: each configuration's device is created 8 times; the growth of
  unreclaimable slab and per-cpu memory divided by 8 is the cost of one
  device (dm core's part included: compare with dm-linear). The bio slab
  caches that appear are named by their object size: the bytes that one
  in-flight request costs in dm core's clone plus the target's per-bio
  data (targets with their own bio sets show more than one). A cache of a
  size that exists already (another device's, the block layer's) is shared
  and does not show up, so the list can be short. Pages or buffers a target
  takes per request from its own pools (dm-verify's reference buffer,
  dm-replay's copy of the data) are not in these figures, nor are the pages
  and entries dm-replay keeps for reuse once it has logged writes (up to a
  quarter of max_pending_mb, 4 MiB of pages by default). Module sizes are
  those of /proc/modules.
- A configuration that could not be set up is listed under "Not measured";
  "n/m" in a table means not measured, "·" that the job does not apply.

## Results

EOF
	cat "$tmp/tables.md"
	# make bench-scaling's section (scripts/bench/scaling-report.sh), kept.
	if [ -f "$(dirname "$md")/benchmarks-scaling.md" ]; then
		cat "$(dirname "$md")/benchmarks-scaling.md"
	fi
} > "$md"

t=1 i=1
[ "$timed" = - ] && t=0
[ "$icount" = - ] && i=0
gnuplot -e "dat='$tmp/ratios.dat'; out='$png'; timed=$t; icount=$i" "$here/ratios.gp"
echo "bench: wrote $md and $png"
