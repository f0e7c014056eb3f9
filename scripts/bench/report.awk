# SPDX-License-Identifier: GPL-2.0
#
# Turns the benchmark VM's console logs into docs/benchmarks.md's tables and
# the bar chart's data file. Run by scripts/bench/report.sh as
#   awk -f report.awk -v meta=FILE -v dat=FILE mode=timed T.log mode=icount I.log
# Each ratio is taken within one round (the configurations of a round ran
# side by side), then the median and the range over the rounds are given.
# POSIX awk (mawk): no asort, no length(array).

function label(c) {
	return (c in LABEL) ? LABEL[c] : c
}

# Sorts v[1..n] in place (insertion sort: n is the number of rounds).
function isort(v, n,    i, j, x) {
	for (i = 2; i <= n; i++) {
		x = v[i]
		for (j = i - 1; j >= 1 && v[j] > x; j--)
			v[j + 1] = v[j]
		v[j + 1] = x
	}
}

# The median of v[1..n], which it sorts.
function median(v, n) {
	isort(v, n)
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

# The median over the rounds of A[mode, cfg, job, round], "" without any.
function round_median(A, m, c, j,    r, n, v) {
	n = 0
	for (r = 1; r <= ROUNDS[m]; r++)
		if ((m, c, j, r) in A)
			v[++n] = A[m, c, j, r]
	return n ? median(v, n) : ""
}

# stats(mode, num, den, job): per-round ratios num/den; sets S_MED, S_MIN,
# S_MAX, S_N. den "" means the value itself.
function stats(m, num, den, job,    r, n, v, a, b) {
	n = 0
	for (r = 1; r <= ROUNDS[m]; r++) {
		if (!((m, num, job, r) in VAL))
			continue
		a = VAL[m, num, job, r]
		if (den != "") {
			if (!((m, den, job, r) in VAL) || VAL[m, den, job, r] == 0)
				continue
			b = VAL[m, den, job, r]
		} else {
			b = 1
		}
		v[++n] = a / b
	}
	S_N = n
	if (n == 0)
		return 0
	S_MED = median(v, n)
	S_MIN = v[1]
	S_MAX = v[n]
	return 1
}

# One table cell: the median ratio and, when there are several rounds, the
# range. A configuration that was not measured says why in a footnote.
function cell(m, num, den, job, digits) {
	if (!applies(num, job) || (den != "" && (den in HAVE) && !applies(den, job)))
		return "·"
	if (!(num in HAVE) || (den != "" && !(den in HAVE)))
		return "n/m"
	if (!stats(m, num, den, job))
		return "fail"
	if (S_N == 1)
		return sprintf("%." digits "f", S_MED)
	return sprintf("%." digits "f (%." digits "f–%." digits "f)", S_MED, S_MIN, S_MAX)
}

function applies(c, job) {
	return (c, job) in APPLIES
}

function header(title,    j) {
	printf "| %s |", title
	for (j = 1; j <= NJOBS; j++)
		printf " %s |", JLABEL[JOBS[j]]
	printf "\n|---|"
	for (j = 1; j <= NJOBS; j++)
		printf "---|"
	printf "\n"
}

function row(m, name, num, den, digits,    j) {
	printf "| %s |", name
	for (j = 1; j <= NJOBS; j++)
		printf " %s |", cell(m, num, den, JOBS[j], digits)
	printf "\n"
}

# worst(mode, num, den, jobs): the lowest median ratio over the jobs.
function worst(m, num, den, jobs,    n, k, w, jl) {
	n = split(jobs, jl, " ")
	w = ""
	for (k = 1; k <= n; k++) {
		if (!(num in HAVE) || !(den in HAVE) || !stats(m, num, den, jl[k]))
			return ""
		if (w == "" || S_MED < w) {
			w = S_MED
			WORST_JOB = jl[k]
		}
	}
	return w
}

# target(text, num, den, jobs, limit): a line of the targets table, from
# the timed and the icount medians; the verdict follows the icount figure
# when there is one (the timed one moves with the host's load).
function target(text, num, den, jobs, limit,    m, k, w, out, ok) {
	out = ""
	ok = -1
	for (k = 1; k <= 2; k++) {
		m = k == 1 ? "timed" : "icount"
		if (!ROUNDS[m])
			continue
		w = worst(m, num, den, jobs)
		if (w == "") {
			out = out " | not measured"
			if (m == "icount" || !ROUNDS["icount"])
				ok = -1
			continue
		}
		out = out sprintf(" | %.3f (%s)", w, JLABEL[WORST_JOB])
		if (m == "icount" || !ROUNDS["icount"])
			ok = w >= limit
	}
	printf "| %s%s | %s |\n", text, out, ok == 1 ? "met" : ok == 0 ? "**not met**" : "not measured"
}

BEGIN {
	NJOBS = split("rr1 rr32 rw1 rw32 sw128 rwf", JOBS, " ")
	JLABEL["rr1"] = "4k randread QD1"
	JLABEL["rr32"] = "4k randread QD32"
	JLABEL["rw1"] = "4k randwrite QD1"
	JLABEL["rw32"] = "4k randwrite QD32"
	JLABEL["sw128"] = "128k write QD8"
	JLABEL["rwf"] = "4k randwrite QD32, flush/64"
	LABEL["raw"] = "raw brd"
	LABEL["linear"] = "dm-linear"
	LABEL["flakey"] = "dm-flakey (up)"
	LABEL["delay"] = "dm-delay 0 ms"
	LABEL["inject0"] = "dm-inject, no rules"
	LABEL["inject1"] = "dm-inject, 1 rule"
	LABEL["inject1k"] = "dm-inject, 1,000 rules"
	LABEL["injectp1"] = "dm-inject, error probability=1"
	LABEL["linear2"] = "2 × dm-linear (pairs/s)"
	LABEL["verify"] = "dm-verify"
	LABEL["verify_vw"] = "dm-verify verify_writes"
	LABEL["mirror"] = "dm-mirror"
	LABEL["raid1"] = "dm-raid raid1"
	LABEL["quorum2"] = "dm-verify quorum, 2 legs"
	LABEL["quorum3"] = "dm-verify quorum, 3 legs"
	LABEL["raid1_3"] = "dm-raid raid1, 3 legs"
	LABEL["logwrites"] = "dm-log-writes"
	LABEL["replay"] = "dm-replay record"
	LABEL["logwrites_d"] = "dm-log-writes, incl. drain"
	LABEL["replay_d"] = "dm-replay record, incl. drain"
	NCFG = split("raw linear flakey delay inject0 inject1 inject1k injectp1 " \
		"linear2 verify verify_vw quorum2 quorum3 mirror raid1 raid1_3 logwrites logwrites_d replay replay_d",
		CFGS, " ")
}

# The serial console may end lines with a carriage return.
{
	sub(/\r$/, "")
}

/BENCH-META / {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		META[mode, kv[1]] = kv[2]
	}
}

/BENCH-SKIP cfg=/ {
	c = $2
	sub(/^cfg=/, "", c)
	if (!(c in SKIP)) {
		s = $0
		sub(/.*BENCH-SKIP cfg=[^ ]* /, "", s)
		SKIP[c] = s
	}
}

/BENCH-RES / {
	delete f
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	r = f["round"] + 0
	c = f["cfg"]
	j = f["job"]
	iops = f["iops"] + 0
	# Two linear devices in one job: a pair of reads is the unit.
	if (c == "linear2")
		iops /= 2
	VAL[mode, c, j, r] = iops
	HAVE[c] = 1
	APPLIES[c, j] = 1
	if (r > ROUNDS[mode])
		ROUNDS[mode] = r
	if (f["errors"] > 0)
		ERRS[mode, c, j, r] = f["errors"] / (f["errors"] + iops * f["ms"] / 1000)
	if (c == "logwrites" || c == "replay") {
		# IOPS over the run plus the time the log took to catch up.
		d = c "_d"
		VAL[mode, d, j, r] = iops * f["ms"] / (f["ms"] + f["drain_cs"] * 10)
		HAVE[d] = 1
		APPLIES[d, j] = 1
		if (f["kib"] > 0 && f["log_sectors"] > 0) {
			LOGR[mode, c, j, r] = f["log_sectors"] * 512 / (f["kib"] * 1024)
			# Data bytes per log byte: higher is better, as for IOPS.
			d = c "_lb"
			VAL[mode, d, j, r] = 1 / LOGR[mode, c, j, r]
			HAVE[d] = 1
			APPLIES[d, j] = 1
		}
		DRAIN[mode, c, j, r] = f["drain_cs"] * 10
	}
}

/BENCH-MEM / {
	c = $2
	sub(/^cfg=/, "", c)
	MEM[c] = $0
	MEMC[++NMEM] = c
}

/BENCH-MOD / {
	split($2, a, "=")
	split($3, b, "=")
	MOD[a[2]] = b[2]
}

/BENCH-HOST / {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		META[mode, kv[1]] = kv[2]
	}
}

/BENCH-END / {
	split($2, a, "=")
	RSECS[mode] = a[2]
}

END {
	for (k = 1; k <= 2; k++) {
		m = k == 1 ? "timed" : "icount"
		if (!ROUNDS[m])
			continue
		printf "%s_rounds=%d\n%s_runtime=%s\n%s_secs=%d\nkernel=%s\nfio=%s\ncrc32c=%s\ncpus=%s\n",
			m, ROUNDS[m], m, META[m, "runtime"], m, RSECS[m],
			META[m, "kernel"], META[m, "fio"], META[m, "crc32c"], META[m, "cpus"] > meta
		printf "%s_commit=%s\n%s_sources=%s\n%s_load15=%s\n", m, META[m, "commit"], m,
			META[m, "sources"], m, META[m, "load15"] > meta
	}

	for (k = 1; k <= 2; k++) {
		m = k == 1 ? "timed" : "icount"
		if (!ROUNDS[m])
			continue
		title = m == "timed" ? "Timed run" : "icount run (instruction-count clock)"
		printf "### %s: ratio to dm-linear, median (min–max) of %d rounds\n\n", title, ROUNDS[m]
		header("configuration")
		for (i = 1; i <= NCFG; i++) {
			c = CFGS[i]
			if (c == "linear")
				row(m, "dm-linear / raw brd", "linear", "raw", 2 + (m == "icount"))
			else if (c != "raw")
				row(m, label(c), c, "linear", 2 + (m == "icount"))
		}
		printf "\n"

		printf "#### %s: ratio to the stock target each one replaces\n\n", title
		header("kit target / stock target")
		row(m, "dm-inject, no rules / dm-flakey", "inject0", "flakey", 2 + (m == "icount"))
		row(m, "dm-inject, 1 rule / dm-flakey", "inject1", "flakey", 2 + (m == "icount"))
		row(m, "dm-inject, 1,000 rules / dm-flakey", "inject1k", "flakey", 2 + (m == "icount"))
		row(m, "dm-inject, no rules / dm-delay 0 ms", "inject0", "delay", 2 + (m == "icount"))
		row(m, "dm-inject, probability=1 / dm-flakey", "injectp1", "flakey", 2 + (m == "icount"))
		row(m, "dm-verify / 2 × dm-linear", "verify", "linear2", 2 + (m == "icount"))
		row(m, "dm-verify / dm-mirror", "verify", "mirror", 2 + (m == "icount"))
		row(m, "dm-verify / dm-raid raid1", "verify", "raid1", 2 + (m == "icount"))
		row(m, "dm-verify verify_writes / dm-mirror", "verify_vw", "mirror", 2 + (m == "icount"))
		row(m, "dm-verify verify_writes / dm-raid raid1", "verify_vw", "raid1", 2 + (m == "icount"))
		row(m, "dm-verify quorum, 3 legs / dm-raid raid1, 3 legs", "quorum3", "raid1_3",
		    2 + (m == "icount"))
		row(m, "dm-verify quorum, 2 legs / dm-verify (the cost of a vote)", "quorum2",
		    "verify", 2 + (m == "icount"))
		row(m, "dm-verify quorum, 3 legs / 2 legs", "quorum3", "quorum2", 2 + (m == "icount"))
		row(m, "dm-replay / dm-log-writes", "replay", "logwrites", 2 + (m == "icount"))
		row(m, "dm-replay / dm-log-writes, incl. drain", "replay_d", "logwrites_d", 2 + (m == "icount"))
		printf "\n"
	}

	m = ROUNDS["icount"] ? "icount" : "timed"
	printf "### Targets of the issue (worst job; %s)\n\n", ROUNDS["icount"] && ROUNDS["timed"] ? "timed | icount" : m
	printf "| target |"
	if (ROUNDS["timed"])
		printf " timed |"
	if (ROUNDS["icount"])
		printf " icount |"
	printf " verdict |\n|---|"
	if (ROUNDS["timed"])
		printf "---|"
	if (ROUNDS["icount"])
		printf "---|"
	printf "---|\n"
	all = "rr1 rr32 rw1 rw32 sw128"
	wr = "rw1 rw32 sw128"
	target("dm-inject, no rules ≥ 0.95 × dm-linear", "inject0", "linear", all, 0.95)
	target("dm-inject, 1 rule ≥ 0.95 × dm-linear", "inject1", "linear", all, 0.95)
	target("dm-inject, 1,000 rules ≥ 0.95 × dm-linear", "inject1k", "linear", all, 0.95)
	target("dm-inject, no rules ≥ dm-flakey", "inject0", "flakey", all, 1)
	target("dm-inject, 1 rule ≥ dm-flakey", "inject1", "flakey", all, 1)
	target("dm-inject, 1,000 rules ≥ dm-flakey", "inject1k", "flakey", all, 1)
	target("dm-verify reads ≥ 0.45 × dm-linear", "verify", "linear", "rr1 rr32", 0.45)
	target("dm-verify writes ≥ dm-mirror", "verify", "mirror", wr, 1)
	target("dm-verify writes ≥ dm-raid raid1", "verify", "raid1", wr, 1)
	target("dm-replay ≥ dm-log-writes (fio IOPS)", "replay", "logwrites", wr " rwf", 1)
	target("dm-replay ≥ dm-log-writes (incl. drain)", "replay_d", "logwrites_d", wr " rwf", 1)
	target("dm-replay log bytes per data byte ≤ dm-log-writes' (ratio: theirs / ours)",
		"replay_lb", "logwrites_lb", wr " rwf", 1)
	printf "\n"
	printf "The figure is the lowest median over the jobs that apply: all five for\n"
	printf "dm-inject, the reads for dm-verify reads, the writes for dm-verify writes and\n"
	printf "dm-replay (with the flush job). The verdict follows the icount run\n"
	printf "when there is one: it repeats to 0.1 %%, while the timed ratios move with the\n"
	printf "host's load (see their ranges above).\n\n"

	printf "### Median IOPS (for scale only: software emulation)\n\n"
	for (k = 1; k <= 2; k++) {
		m = k == 1 ? "timed" : "icount"
		if (!ROUNDS[m])
			continue
		header(m)
		for (i = 1; i <= NCFG; i++) {
			c = CFGS[i]
			printf "| %s |", label(c)
			for (j = 1; j <= NJOBS; j++) {
				if (!applies(c, JOBS[j]))
					printf " · |"
				else if (stats(m, c, "", JOBS[j]))
					printf " %d |", S_MED + 0.5
				else
					printf " fail |"
			}
			printf "\n"
		}
		printf "\n"
	}

	printf "### Loggers: log bytes per byte of data written, and drain time\n\n"
	printf "| run | job | dm-log-writes | dm-replay | log-writes drain (ms) | replay drain (ms) |\n"
	printf "|---|---|---|---|---|---|\n"
	for (k = 1; k <= 2; k++) {
		m = k == 1 ? "timed" : "icount"
		if (!ROUNDS[m])
			continue
		split("rw1 rw32 sw128 rwf", lj, " ")
		for (q = 1; q <= 4; q++) {
			j = lj[q]
			printf "| %s | %s |", m, JLABEL[j]
			for (p = 1; p <= 2; p++) {
				med = round_median(LOGR, m, p == 1 ? "logwrites" : "replay", j)
				printf "%s", med == "" ? " n/m |" : sprintf(" %.4f |", med)
			}
			for (p = 1; p <= 2; p++) {
				med = round_median(DRAIN, m, p == 1 ? "logwrites" : "replay", j)
				printf "%s", med == "" ? " n/m |" : sprintf(" %d |", med)
			}
			printf "\n"
		}
	}
	printf "\n"

	printf "### dm-inject probability=1: share of requests that failed\n\n"
	printf "| run |"
	for (j = 1; j <= 5; j++)
		printf " %s |", JLABEL[JOBS[j]]
	printf "\n|---|---|---|---|---|---|\n"
	for (k = 1; k <= 2; k++) {
		m = k == 1 ? "timed" : "icount"
		if (!ROUNDS[m])
			continue
		printf "| %s |", m
		for (j = 1; j <= 5; j++) {
			med = round_median(ERRS, m, "injectp1", JOBS[j])
			printf "%s", med == "" ? " n/m |" : sprintf(" %.2f %% |", 100 * med)
		}
		printf "\n"
	}
	printf "\n"

	printf "### Memory\n\n"
	printf "| configuration | unreclaimable slab per device (KiB) | per-cpu per device (KiB) | bio slab caches a device creates (object bytes per in-flight request) |\n"
	printf "|---|---|---|---|\n"
	for (i = 1; i <= NMEM; i++) {
		c = MEMC[i]
		split(MEM[c], a, " ")
		delete f
		for (q = 2; q in a; q++) {
			split(a[q], kv, "=")
			f[kv[1]] = kv[2]
		}
		bl = f["bios"]
		gsub(/bio-/, "", bl)
		gsub(/,/, ", ", bl)
		printf "| %s | %.1f | %.1f | %s |\n", label(c), f["slab_kib"] / f["devs"],
			f["percpu_kib"] / f["devs"], bl
	}
	printf "\n| module | size in /proc/modules (bytes) |\n|---|---|\n"
	split("dm_mod dm_flakey dm_delay dm_inject dm_verify dm_replay dm_log_writes " \
		"dm_mirror dm_region_hash dm_log dm_raid raid1 md_mod", mods, " ")
	for (i = 1; i in mods; i++)
		if (mods[i] in MOD)
			printf "| %s | %d |\n", mods[i], MOD[mods[i]]
	printf "\n"

	n = 0
	for (c in SKIP)
		n++
	if (n) {
		printf "### Not measured\n\n"
		for (i = 1; i <= NCFG; i++)
			if (CFGS[i] in SKIP)
				printf "- %s: %s\n", label(CFGS[i]), SKIP[CFGS[i]]
		printf "\n"
	}

	# The chart's data: one line per configuration, the median ratio to
	# dm-linear per job, timed then icount ("-" where not measured).
	line = "configuration"
	for (k = 1; k <= 2; k++)
		for (j = 1; j <= NJOBS; j++)
			line = line " \"" JLABEL[JOBS[j]] "\""
	print line > dat
	for (i = 1; i <= NCFG; i++) {
		c = CFGS[i]
		if (c == "raw" || c == "linear" || c ~ /_d$/)
			continue
		line = "\"" label(c) "\""
		for (k = 1; k <= 2; k++) {
			m = k == 1 ? "timed" : "icount"
			for (j = 1; j <= NJOBS; j++)
				line = line " " (applies(c, JOBS[j]) && stats(m, c, "linear", JOBS[j]) ? sprintf("%.4f", S_MED) : "-")
		}
		print line > dat
	}
}
