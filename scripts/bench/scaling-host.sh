#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The host-side curves of make bench-scaling, as lines that
# scripts/bench/scaling-report.sh parses. Instruction counts come from
# valgrind's callgrind (exact and repeatable on a loaded host), peak memory
# from GNU time's maximum resident set size.
#
#   SCALE-HOST-RES curve=NAME n=N ir=INSTRUCTIONS_PER_OP [rss_kib=N]
#   SCALE-HOST-META key=value...
#
# Curves:
#   vrl-MODE        dm-verify's range lock, instructions per acquire and
#                   release against the ranges in flight (MODE: write,
#                   mixed, overlap; tests/scaling/vrl-scale.c);
#                   vrl-list-MODE the same for the list walk it replaced
#                   (verify-lock.c of $VRL_BASE, when git has it)
#   inj-MODE        dm-inject, instructions of inj_evaluate() per request
#                   against the rules (tests/scaling/inj-scale.c)
#   inj-build       inj_ruleset_build() per call: what a message add or
#                   remove costs besides parsing one word
#   dmr-VERB        dmreplay VERB over a log of N one-block writes, a flush
#                   every 64 (tests/tool/dmr-mklog.c), whole-run
#                   instructions per entry and peak RSS
#                   (crash-states: the last four epochs, four states each)
#   dmr-crash-epoch crash-states over one epoch of N unflushed writes,
#                   16 states
#
# Environment: SCALE_MAX_LOG (largest log, default 1000000 entries),
#   VRL_BASE (default df0017d, the last commit with the list walk),
#   SCALE_PARTS (default "vrl inj dmr": the parts to run).
# $cflags and the verbs' source list are split on purpose.
# shellcheck disable=SC2086,SC2046
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
work=${DMTK_OUT:-$top/out}/scaling-host
max_log=${SCALE_MAX_LOG:-1000000}
base=${VRL_BASE:-df0017d}
mkdir -p "$work"
cflags="-O2 -fno-inline -g -D_GNU_SOURCE -I$top/include"

command -v valgrind > /dev/null || { echo "scaling-host: valgrind missing" >&2; exit 2; }

# ir PROGRAM_ARGS... -- FUNC...: instructions of FUNCs (inclusive) in one run
ir() {
	cgout=$work/cg.out
	args=
	while [ "$1" != -- ]; do args="$args $1"; shift; done
	shift
	# shellcheck disable=SC2086
	valgrind --tool=callgrind --callgrind-out-file="$cgout" $args > /dev/null 2>&1
	callgrind_annotate --inclusive=yes --threshold=100 "$cgout" 2> /dev/null |
		awk -v fns="$*" 'BEGIN { n = split(fns, f, " ") }
			/^ *[0-9,]+ / {
				for (i = 1; i <= n; i++)
					if (index($0, ":" f[i] " [")) {
						v = $1; gsub(",", "", v); s += v
					}
			}
			END { print s + 0 }'
}

# Total instructions of a whole run (callgrind's summary).
ir_total() {
	cgout=$work/cg.out
	valgrind --tool=callgrind --callgrind-out-file="$cgout" "$@" > /dev/null 2>&1
	callgrind_annotate "$cgout" 2> /dev/null |
		awk '/PROGRAM TOTALS/ { v = $1; gsub(",", "", v); print v; exit }'
}

parts=${SCALE_PARTS:-vrl inj dmr}
echo "SCALE-HOST-META valgrind=$(valgrind --version) cc=$(cc -dumpfullversion) cpu=$(nproc)"

# dm-verify's range lock.
case " $parts " in
*" vrl "*) ;;
*) skip_vrl=1 ;;
esac
[ -n "${skip_vrl:-}" ] || {
cc $cflags -o "$work/vrl-scale" "$top/tests/scaling/vrl-scale.c"
have_base=0
if git -C "$top" show "$base:dm-verify/verify-lock.c" > "$work/verify-lock-base.c" 2> /dev/null &&
	! grep -q vrl_tree_insert "$work/verify-lock-base.c"; then
	mkdir -p "$work/base/dm-verify" "$work/base/tests/scaling"
	cp "$work/verify-lock-base.c" "$work/base/dm-verify/verify-lock.c"
	git -C "$top" show "$base:dm-verify/verify.h" > "$work/base/dm-verify/verify.h"
	cp "$top/tests/scaling/vrl-scale.c" "$work/base/tests/scaling/"
	cc $cflags -o "$work/vrl-base" "$work/base/tests/scaling/vrl-scale.c" && have_base=1
fi
ops=20000
for mode in write mixed overlap; do
	for n in 1 4 16 64 256 1024 4096; do
		v=$(ir "$work/vrl-scale" "$n" "$mode" "$ops" -- vrl_acquire vrl_release)
		echo "SCALE-HOST-RES curve=vrl-$mode n=$n ir=$((v / ops))"
		[ $have_base = 1 ] || continue
		[ "$n" -le 1024 ] || continue
		v=$(ir "$work/vrl-base" "$n" "$mode" "$ops" -- vrl_acquire vrl_release)
		echo "SCALE-HOST-RES curve=vrl-list-$mode n=$n ir=$((v / ops))"
	done
done

}

# dm-inject's rules.
case " $parts " in
*" inj "*) ;;
*) skip_inj=1 ;;
esac
[ -n "${skip_inj:-}" ] || {
cc $cflags -o "$work/inj-scale" "$top/tests/scaling/inj-scale.c"
for mode in spread-miss spread-hit conc-miss conc-hit; do
	for n in 1 10 100 1000 10000 100000; do
		# Fewer requests where each may walk many rules.
		ops=$((2000000 / n))
		[ $ops -gt 2000 ] && ops=2000
		[ $ops -lt 20 ] && ops=20
		v=$(ir "$work/inj-scale" "$n" "$mode" "$ops" -- inj_evaluate)
		echo "SCALE-HOST-RES curve=inj-$mode n=$n ir=$((v / ops))"
	done
done
for n in 1 10 100 1000 10000 100000; do
	v=$(ir "$work/inj-scale" "$n" conc-miss 1 -- inj_ruleset_build)
	bytes=$("$work/inj-scale" "$n" conc-miss 1 | sed 's/.*rule_bytes=\([0-9]*\) slot_bytes=\([0-9]*\)/\1 \2/')
	echo "SCALE-HOST-RES curve=inj-build n=$n ir=$v rule_bytes=${bytes% *} slot_bytes=${bytes#* }"
done

}

# dmreplay's verbs over generated logs (an image of up to 4 GiB: a
# million entries of one block take 1 GiB).
case " $parts " in
*" dmr "*) ;;
*) exit 0 ;;
esac
cc -O2 -g -D_GNU_SOURCE -DLB_MAX_IMAGE='(4ULL << 30)' -I"$top/include" \
	-o "$work/dmr-mklog" "$top/tests/tool/dmr-mklog.c"
cc -O2 -g -D_GNU_SOURCE -I"$top/include" -o "$work/dmreplay" \
	$(ls "$top"/dm-replay/dmreplay*.c) "$top/dm-replay/replay-log.c" \
	"$top/dm-replay/crash-gen.c" -ldevmapper
# mklog N EPOCH FILE: N one-block writes on distinct blocks, a flush entry
# after every EPOCH writes.
mklog() {
	awk -v n="$1" -v ep="$2" 'BEGIN {
		dev = 2 * n + 64
		printf "super bs=512 dbs=512 dev=%d log=%d\n", dev, 4 * n + 64
		for (i = 0; i < n; i++) {
			printf "write %d 1 fill=%d\n", (i * 7919) % dev, i % 251
			if ((i + 1) % ep == 0)
				print "flush"
		}
	}' | "$work/dmr-mklog" "$3"
}
n=1000
while [ "$n" -le "$max_log" ]; do
	log=$work/log-$n
	tgt=$work/tgt-$n
	mklog "$n" 64 "$log"
	truncate -s $(((2 * n + 64) * 512)) "$tgt"
	for verb in info list replay; do
		case $verb in
		replay) set -- replay "$log" "$tgt" ;;
		*) set -- "$verb" "$log" ;;
		esac
		rss=$(/usr/bin/time -f %M "$work/dmreplay" "$@" 2>&1 > /dev/null | tail -n 1)
		v=0
		[ "$n" -le 100000 ] && v=$(ir_total "$work/dmreplay" "$@")
		echo "SCALE-HOST-RES curve=dmr-$verb n=$n ir=$((v / n)) rss_kib=$rss"
	done
	# The last four epochs only: the cost of reaching them grows with the
	# log, the states themselves do not (a check is a fork of /bin/sh).
	set -- crash-states "$log" "$tgt" --check true --max-states 4 --from-entry $((n - 256))
	rss=$(/usr/bin/time -f %M "$work/dmreplay" "$@" 2>&1 > /dev/null | tail -n 1)
	v=0
	[ "$n" -le 100000 ] && v=$(ir_total "$work/dmreplay" "$@")
	echo "SCALE-HOST-RES curve=dmr-crash-states n=$n ir=$((v / n)) rss_kib=$rss"
	rm -f "$log" "$tgt"
	n=$((n * 10))
done
# One epoch of N unflushed writes: the states of one epoch.
for n in 64 256 1024 4096 16384; do
	log=$work/epoch-$n
	tgt=$work/etgt-$n
	mklog "$n" $((n + 1)) "$log"
	truncate -s $(((2 * n + 64) * 512)) "$tgt"
	set -- crash-states "$log" "$tgt" --check true --max-states 16
	rss=$(/usr/bin/time -f %M "$work/dmreplay" "$@" 2>&1 > /dev/null | tail -n 1)
	v=$(ir_total "$work/dmreplay" "$@")
	echo "SCALE-HOST-RES curve=dmr-crash-epoch n=$n ir=$((v / n)) rss_kib=$rss"
	rm -f "$log" "$tgt"
done
