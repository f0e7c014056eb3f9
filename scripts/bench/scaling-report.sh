#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The document of make bench-scaling: tables, fitted growth and plots of
# the VM's per-request curves (scripts/guest/bench-scaling.sh) and the
# host's curves (scripts/bench/scaling-host.sh).
#
#   scaling-report.sh VM_LOG HOST_LOG DOC_DIR
#
# Writes DOC_DIR/benchmarks-scaling.md and DOC_DIR/scaling-*.png, and puts
# the same section at the end of DOC_DIR/benchmarks.md (replacing an older
# one); scripts/bench/report.sh appends it again when make bench rewrites
# that file. A missing log leaves its part out. docs/benchmarks-by-hand.md,
# figures measured by hand, is appended to the section as it stands.
#
# Fit: least squares of log(cost) against log(n) over all points (the
# slope: 0 constant, 1 linear) and over the upper half of the points
# (where the growth shows); the growth named is the upper half's: below
# 0.05 constant, below 0.4 logarithmic (a + b log n has slope
# b / (a + b ln n), about 0.1-0.3 over these ranges), below 1.3 linear,
# else super-linear. "per doubling" is b of a + b log2(n).
set -eu

vm=$1
host=$2
doc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
md=$doc/benchmarks-scaling.md
[ -f "$vm" ] || vm=/dev/null
[ -f "$host" ] || host=/dev/null

# Curves as "curve n cost" lines.
# VM: instructions per request = busy centiseconds x 10^7 / requests.
awk '/^SCALE-RES/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["ios"] > 0)
		printf "qd-%s-%s %d %.0f\n", v["wl"], v["cfg"], v["qd"], v["busy_cs"] * 1e7 / v["ios"]
}' "$vm" > "$tmp/vm.dat"
awk '/^SCALE-HOST-RES/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["ir"] > 0)
		printf "%s %d %d\n", v["curve"], v["n"], v["ir"]
	if (v["rss_kib"] != "")
		printf "rss-%s %d %d\n", v["curve"], v["n"], v["rss_kib"]
	delete v
}' "$host" > "$tmp/host.dat"

# fit: "curve first last slope slope_upper per_doubling growth points"
fit() {
	sort -k1,1 -k2,2n "$1" | awk '
	function flush(   i, h, sx, sy, sxx, sxy, k, s, su, b, g, sl, lx) {
		if (!m) return
		sx = sy = sxx = sxy = 0
		for (i = 1; i <= m; i++) {
			sx += log(x[i]); sy += log(y[i]); sxx += log(x[i])^2; sxy += log(x[i]) * log(y[i])
		}
		s = m > 1 && (m * sxx - sx^2) ? (m * sxy - sx * sy) / (m * sxx - sx^2) : 0
		h = int(m / 2) + 1
		if (m - h + 1 < 2) h = 1
		sx = sy = sxx = sxy = 0; k = 0
		for (i = h; i <= m; i++) {
			k++; sx += log(x[i]); sy += log(y[i]); sxx += log(x[i])^2; sxy += log(x[i]) * log(y[i])
		}
		su = k > 1 && (k * sxx - sx^2) ? (k * sxy - sx * sy) / (k * sxx - sx^2) : 0
		# cost = a + b log2(n)
		sx = sy = sxx = sxy = 0
		for (i = 1; i <= m; i++) {
			lx = log(x[i]) / log(2); sx += lx; sy += y[i]; sxx += lx^2; sxy += lx * y[i]
		}
		b = m > 1 && (m * sxx - sx^2) ? (m * sxy - sx * sy) / (m * sxx - sx^2) : 0
		g = su < 0.05 ? "constant" : su < 0.4 ? "logarithmic" : su < 1.3 ? "linear" : "super-linear"
		printf "%s %d %d %.3f %.3f %.0f %s %d\n", c, y[1], y[m], s, su, b, g, m
		m = 0
	}
	$1 != c { flush(); c = $1 }
	{ m++; x[m] = $2; y[m] = $3 }
	END { flush() }'
}
fit "$tmp/vm.dat" > "$tmp/vm.fit"
fit "$tmp/host.dat" > "$tmp/host.fit"

# table DAT FIT PREFIX LABEL: one row per curve whose name starts with
# PREFIX, one column per n, then the fit.
table() {
	awk -v p="$3" -v label="$4" '
	NR == FNR { if (index($1, p) == 1) fit[$1] = $0; next }
	index($1, p) == 1 { v[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; ns[++nn] = $2 }
		if (!($1 in cs)) { cs[$1] = 1; cv[++nc] = $1 } }
	END {
		# n ascending
		for (i = 1; i <= nn; i++) for (j = i + 1; j <= nn; j++)
			if (ns[j] + 0 < ns[i] + 0) { t = ns[i]; ns[i] = ns[j]; ns[j] = t }
		printf "| %s |", label
		for (i = 1; i <= nn; i++) printf " %s |", ns[i]
		print " slope (all / upper half) | per doubling | growth |"
		printf "|---|"
		for (i = 1; i <= nn; i++) printf "---|"
		print "---|---|---|"
		for (k = 1; k <= nc; k++) {
			c = cv[k]; name = substr(c, length(p) + 1)
			printf "| %s |", name
			for (i = 1; i <= nn; i++)
				printf " %s |", ((c, ns[i]) in v) ? v[c, ns[i]] : "n/m"
			split(fit[c], f, " ")
			printf " %.2f / %.2f | %+d | %s |\n", f[4], f[5], f[6], f[7]
		}
	}' "$2" "$1"
}

# plot DAT PREFIX PNG TITLE YLABEL [LOGY]: one line per curve.
plot() {
	grep "^$2" "$1" | sort -k1,1 -k2,2n > "$tmp/plot.dat" || return 0
	curves=$(cut -d' ' -f1 "$tmp/plot.dat" | uniq)
	cmd=
	i=0
	for c in $curves; do
		grep "^$c " "$tmp/plot.dat" > "$tmp/c$i.dat"
		cmd="$cmd${cmd:+, }'$tmp/c$i.dat' using 2:3 with linespoints lw 2 title '${c#"$2"}'"
		i=$((i + 1))
	done
	gnuplot -e "set terminal pngcairo size 900,560 font 'DejaVu Sans,10'; set output '$3';
		set termoption noenhanced; set logscale x 2; ${6:+set logscale y;}
		set grid; set key outside right; set title '$4'; set xlabel 'n'; set ylabel '$5';
		plot $cmd"
}

png() {
	plot "$1" "$2" "$doc/scaling-$3.png" "$4" "$5" "${6:-}"
	[ -f "$doc/scaling-$3.png" ] && echo "![$4](scaling-$3.png)"
}

{
	cat << 'EOF'
<!-- bench-scaling: written by scripts/bench/scaling-report.sh (make bench-scaling) -->
## How cost grows (make bench-scaling)

Written by `make bench-scaling` (scripts/run-bench-scaling.sh); the figures
are measured, never edited by hand. Each curve carries its fitted growth:
the least-squares slope of log(cost) against log(n) over all points and
over the upper half (0: constant, 1: linear), the growth that the upper
half's slope names (below 0.05 constant, below 0.4 logarithmic, below 1.3
linear), and the cost added per doubling of n (b of a + b log2 n).

What the curves showed, and what was done about it:

- dm-verify's range lock walked every request in flight on each write
  (and on each read while a write was in flight), under the spinlock
  that its completions take in hard-IRQ context: linear in the queue
  depth (the vrl-list-* curves). It is now an interval tree
  (dm-verify/verify-lock.c): O(log n + k), k the requests the new one
  overlaps. k is the work the ordering must do (each overlapping request
  counts and releases every earlier conflicting one), so a load of
  overlapping writes stays linear in them (vrl-overlap, and dm-verify's
  ow curve, where from QD 16 on every write also waits and is started
  from the worker).
- dm-inject walked every rule of the request's event when the rules'
  span covered the request: linear in the rules (about 35 instructions
  each). Lists of 16 rules or more now carry an interval index
  (dm-inject/inject-index.c): logarithmic (the inj-spread-* and inj-conc-*
  curves; the VM's inject1kw, 1,000 rules in the span, costs what no rules
  cost). A table holds at most 4,096 rules (INJ_MAX_RULES); the host
  curves go to 100,000 to show the growth. A message add or remove copies
  the rule set (RCU copy on write): linear in the rules, once per message
  (inj-build).
- dmreplay's verbs: whole-run instructions per entry against the log's
  length (dmr-* below): a flat curve is a verb linear in the log.

EOF
	meta=$(grep -m1 '^SCALE-META' "$vm" | cut -d' ' -f2- || true)
	hmeta=$(grep -m1 '^SCALE-HOST-META' "$host" | cut -d' ' -f2- || true)
	src=$(grep -m1 '^SCALE-HOST ' "$vm" | cut -d' ' -f2- || true)
	if [ -s "$tmp/vm.dat" ]; then
		cat << EOF
### Per-request cost against queue depth (VM, instruction-count clock)

- Run: $meta; $src.
- One guest CPU under \`-icount shift=0,sleep=off\`: a guest nanosecond is
  one instruction and idle time passes without any. The busy time (elapsed
  minus idle and iowait, from /proc/uptime and /proc/stat, to 10 ms)
  divided by the requests fio completed is the instructions one request
  costs, fio's and dm core's share included: compare with dm-linear. At
  about 10,000 requests a point the resolution is 1-4 %.
- Devices: memory-backed null_blk (configfs, 32 MiB, 512-byte blocks, one
  queue of 1,024 tags, irqmode=2) completing each request
  QD x 100 µs after it arrives, so QD requests stay in flight in the
  target; fresh devices for every point. fio 4k, libaio, direct, 1 s of
  guest time per point: rr random reads and rw random writes over 24 MiB,
  ow random writes within 64 KiB (16 blocks: from QD 16 on they overlap
  and dm-verify orders them).
EOF
		if grep -q '^qd-.*-before ' "$tmp/vm.dat"; then
			cat << EOF
- Rows named *-before: the same points measured on the code before the
  fixes (dm-verify's list walk, dm-inject's rule walk): a run of
  scripts/run-bench-scaling.sh on an export of commit
  $(grep -m1 '^SCALE-BEFORE' "$vm" | cut -d' ' -f2- || true), whose SCALE-RES lines were added to
  this log with the configuration renamed.
EOF
		fi
		cat << EOF
- inject1k: 1,000 rules above the I/O (the rule span check skips them);
  inject1kw: 1,000 rules whose span covers the I/O, none matching (every
  request walks all of them); replay: record, log on null_blk without
  memory.

EOF
		for wl in rr rw ow; do
			case $wl in
			rr) t="4k random reads" ;;
			rw) t="4k random writes" ;;
			ow) t="4k random writes, overlapping (64 KiB)" ;;
			esac
			grep -q "^qd-$wl-" "$tmp/vm.dat" || continue
			echo "#### $t: guest instructions per request"
			echo
			table "$tmp/vm.dat" "$tmp/vm.fit" "qd-$wl-" "config \\ QD"
			echo
			png "$tmp/vm.dat" "qd-$wl-" "qd-$wl" "$t: instructions per request against QD" "instructions per request"
			echo
		done
	fi
	if [ -s "$tmp/host.dat" ]; then
		cat << EOF
### Host-side curves (callgrind instruction counts, GNU time peak RSS)

- $hmeta. The pure code is built -O2 -fno-inline so that callgrind can
  attribute instructions to each function (inlined, the kernel's figures
  are somewhat lower, the growth the same).

#### dm-verify's range lock: instructions per acquire + release against the ranges in flight

tests/scaling/vrl-scale.c: each step releases the oldest range and takes
a new 8-sector one. write: all writes at random offsets; mixed: one in 8 a
write; overlap: writes within 64 sectors (each one conflicts with most of
the others: the k in O(log n + k)). vrl-list-*: the list walk that the
interval tree replaced.

EOF
		table "$tmp/host.dat" "$tmp/host.fit" "vrl-" "curve \\ ranges in flight"
		echo
		png "$tmp/host.dat" "vrl-" "vrl" "dm-verify range lock: instructions per acquire+release" "instructions" log
		cat << EOF

#### dm-inject: instructions of inj_evaluate() per request against the rules

tests/scaling/inj-scale.c: rules \`error:event=any,sector=S\`, one-sector
requests. spread: rules on odd sectors over the whole device (the span
covers every request); conc: rules on consecutive sectors in the upper
half; miss: requests that match no rule, hit: requests on a random rule's
sector. build: inj_ruleset_build() once, the copy a message add or
remove makes of the rule set (per call, not per rule).

EOF
		table "$tmp/host.dat" "$tmp/host.fit" "inj-" "curve \\ rules"
		echo
		bytes=$(awk '/curve=inj-build/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
			END { if (v["rule_bytes"] != "") printf "%d bytes of struct inj_rule (a kmalloc of the next size class) and %d bytes of pointers in the rule set", v["rule_bytes"], v["slot_bytes"] }' "$host")
		[ -n "$bytes" ] && { echo "Memory per rule (event=any): $bytes."; echo; }
		png "$tmp/host.dat" "inj-" "inject" "dm-inject: instructions per request (inj_evaluate) and per rule set build" "instructions" log
		cat << EOF

#### dmreplay: whole-run instructions per log entry and peak RSS against the entries

Logs of N one-block writes with a flush every 64 (tests/tool/dmr-mklog.c);
crash-states checks the last four epochs (\`--from-entry N-256
--max-states 4 --check true\`); crash-epoch: one epoch of N unflushed
writes, 16 states. Instructions are counted up to 10^5 entries (callgrind
slows the tool fifty-fold), peak RSS (KiB) up to the largest log.

EOF
		table "$tmp/host.dat" "$tmp/host.fit" "dmr-" "instructions per entry \\ entries"
		echo
		table "$tmp/host.dat" "$tmp/host.fit" "rss-dmr-" "peak RSS KiB \\ entries"
		echo
		png "$tmp/host.dat" "dmr-" "dmreplay" "dmreplay: instructions per log entry" "instructions per entry" log
		echo
		png "$tmp/host.dat" "rss-dmr-" "dmreplay-rss" "dmreplay: peak RSS (KiB)" "KiB" log
		echo
	fi
	# Figures measured by hand (docs/benchmarks-by-hand.md: the commands
	# are given there), kept below the generated part.
	hand=$(dirname "$0")/../../docs/benchmarks-by-hand.md
	if [ -f "$hand" ]; then
		cat "$hand"
	fi
} > "$md"

# The same section at the end of benchmarks.md.
if [ -f "$doc/benchmarks.md" ]; then
	sed '/^<!-- bench-scaling:/,$d' "$doc/benchmarks.md" > "$tmp/b.md"
	cat "$tmp/b.md" "$md" > "$doc/benchmarks.md"
fi
echo "bench-scaling: wrote $md and $doc/scaling-*.png"
