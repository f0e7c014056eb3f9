# SPDX-License-Identifier: GPL-2.0
#
# blkdebug2dm: check the blkdebug node's flat keys (-F tab: KEY, VALUE,
# ORIGIN; config file rules first) and print the dm-inject table line.
# Variables: dev, offset, maplen, seed, qemu (1: reproduce QEMU's arming).
#
# QEMU arms an [inject-error] rule when its event fires in its state; the
# armed rule then fails every request of its iotype mask (default: read,
# write, write zeroes, discard, flush) at its sector until it is removed
# (once) or another event arms other rules. The default output follows
# blkdebug's documentation instead (each request meets each rule, the
# state checked per request) and notes where QEMU would differ; -q
# compiles QEMU's state and armed rules into dm-inject states.

function fail(o, msg) {
	printf "blkdebug2dm: %s: %s\n", o, msg > "/dev/stderr"
	failed = 1
	exit 1
}
function note(msg) {
	printf "blkdebug2dm: note: %s\n", msg > "/dev/stderr"
}
# Numbers stay decimal strings: awk computes in doubles, which print past
# 2^31 as "3e+09" and round past 2^53.
function number(o, key, v) {
	if (v !~ /^[0-9]+$/)
		fail(o, key " = \"" v "\" is not a number")
	sub(/^0+/, "", v)
	return v == "" ? "0" : v
}
# -1, 0 or 1 as the decimal strings a < b, a = b, a > b (no leading zeros).
function dec_cmp(a, b) {
	a = a ""
	b = b ""
	if (length(a) != length(b))
		return length(a) < length(b) ? -1 : 1
	return a < b ? -1 : a > b ? 1 : 0
}
function boolean(o, key, v) {
	if (v ~ /^(on|yes|true|y|1)$/)
		return 1
	if (v ~ /^(off|no|false|n|0)$/)
		return 0
	fail(o, key " = \"" v "\" is not on or off")
}
# QEMU's size: digits with an optional B, K, M, G or T suffix (powers of
# 1024); blkdebug takes less than 2^31.
function size(o, key, v,   n, u, m) {
	if (v !~ /^[0-9]+[bBkKmMgGtT]?$/ || length(v) > 12)
		fail(o, key " = \"" v "\" is not a size (bytes, or with a K, M, G or T suffix)")
	u = substr(v, length(v))
	m = 1
	if (u !~ /[0-9]/) {
		v = substr(v, 1, length(v) - 1)
		m = u ~ /[kK]/ ? 1024 : u ~ /[mM]/ ? 1048576 : u ~ /[gG]/ ? 1073741824 : \
			u ~ /[tT]/ ? 1099511627776 : 1
	}
	n = v * m
	if (n >= 2147483647)
		fail(o, key " " v u " is not below 2^31 (QEMU refuses it too)")
	return n + 0
}
function pow2(n) {
	while (n > 1 && n % 2 == 0)
		n /= 2
	return n == 1
}
BEGIN {
	sub(/^0+/, "", maplen)
	maplen = maplen == "" ? "0" : maplen
	# blkdebug event -> dm-inject event; others have no bio equivalent
	ev["read_aio"] = "read"; ev["write_aio"] = "write"
	ev["flush_to_disk"] = "flush"; ev["flush_to_os"] = "flush"
	ev["pwritev"] = "write"; ev["pwritev_zero"] = "write_zeroes"
	ev["none"] = "none"
	split("read write flush discard write_zeroes any", own, " ")
	for (i in own)
		ev[own[i]] = own[i]
	iot["read"] = "read"; iot["write"] = "write"; iot["write-zeroes"] = "write_zeroes"
	iot["discard"] = "discard"; iot["flush"] = "flush"
	# errno_to_blk_status() keeps these apart; anything else becomes EIO
	split("5 11 12 16 19 28 52 61 67 75 84 95 109 110 121", ok, " ")
	for (i in ok)
		carried[ok[i]] = 1
	split("state sector errno iotype once immediately delay-ns event", kk, " ")
	for (i in kk)
		inj_key[kk[i]] = 1
	# sector in [set-state] is the converter's own (QEMU has none): the
	# default output keeps it, -q refuses it
	split("event state new_state sector", kk, " ")
	for (i in kk)
		set_key[kk[i]] = 1
}
# Why event @e cannot be converted.
function why_not(e) {
	if (e ~ /^(l1_|l2_|refblock_|reftable_|cluster_|cow_|read_backing|read_compressed|write_compressed|empty_image|cor_write|l1_shrink)/)
		return "a qcow2-internal event (its metadata I/O): a block device sees only the requests, use sector or state rules"
	if (e ~ /^pwritev_rmw/)
		return "QEMU's own read-modify-write of an unaligned request: the block layer never sends one (use align)"
	if (e ~ /^vmstate_/)
		return "a VM state save or load: not disk I/O"
	if (e == "pwritev_done")
		return "the completion of a write: dm-inject acts on submission (use error ... after, see dm-inject.rst)"
	if (e == "block-status")
		return "QEMU's allocation query (SEEK_DATA): a block device has no such request"
	return "not a blkdebug event"
}
{
	k = $1
	if (k ~ /^(align|max-transfer|opt-write-zero|max-write-zero|opt-discard|max-discard)$/) {
		if (k in geo)
			fail($3, k " given twice")
		geo[k] = size($3, k, $2)
		geo_org[k] = $3
		next
	}
	dot1 = index(k, ".")
	sect = substr(k, 1, dot1 - 1)
	rest = substr(k, dot1 + 1)
	dot2 = index(rest, ".")
	if (!dot2)
		fail($3, "option " k " has no rule index and key")
	id = substr(rest, 1, dot2 - 1)
	key = substr(rest, dot2 + 1)
	if (id !~ /^(f[0-9]+|[0-9]+)$/)
		fail($3, "\"" id "\" is not a rule index")
	rk = sect "." id
	if (!(rk in rno)) {
		rno[rk] = ++nr
		rsect[nr] = sect
		rid[nr] = id
		rorg[nr] = $3
		if (id ~ /^[0-9]+$/) {
			nopt[sect]++
		}
	}
	r = rno[rk]
	if (key == "@")
		next
	if ((r, key) in kv)
		fail($3, key " given twice")
	rkeys[r] = rkeys[r] " " key
	kv[r, key] = $2
	korg[r, key] = $3
}
# "[set-state]" for a config section, "set-state.0" for an option.
function rname(r) {
	return rid[r] ~ /^f/ ? "[" rsect[r] "]" : rsect[r] "." rid[r]
}
# The rules in QEMU's order: config file sections, then options by index
# (0, 1, ... without gaps, as QEMU's list crumpling wants).
function order(   r, i, j, s, t, cnt) {
	n = 0
	for (r = 1; r <= nr; r++)
		if (rid[r] ~ /^f/)
			rule[++n] = r
	for (r = 1; r <= nr; r++) {
		if (rid[r] !~ /^[0-9]+$/)
			continue
		cnt = 0
		for (j = 1; j <= nr; j++)
			if (rsect[j] == rsect[r] && rid[j] ~ /^[0-9]+$/ && rid[j] + 0 < rid[r] + 0)
				cnt++
		if (rid[r] + 0 != cnt)
			fail(rorg[r], rsect[r] "." rid[r] " without " rsect[r] "." cnt ": QEMU wants indices 0, 1, ...")
	}
	for (s = 0; s < 2; s++) {
		t = s ? "set-state" : "inject-error"
		for (i = 0; i < nopt[t]; i++)
			for (r = 1; r <= nr; r++)
				if (rsect[r] == t && rid[r] == i "")
					rule[++n] = r
	}
}
# Check rule @r's keys; fill R* arrays.
function check(r,   key, o, v, e, j, nk, ks) {
	if (rsect[r] != "inject-error" && rsect[r] != "set-state")
		fail(rorg[r], "section [" rsect[r] "] is not inject-error or set-state")
	if (!((r, "event") in kv))
		fail(rorg[r], rname(r) " has no event")
	nk = split(rkeys[r], ks, " ")
	for (j = 1; j <= nk; j++) {
		key = ks[j]
		if (rsect[r] == "set-state" ? !(key in set_key) : !(key in inj_key))
			fail(korg[r, key], "unknown key " key " in [" rsect[r] "]")
	}
	if (rsect[r] == "set-state" && !((r, "new_state") in kv))
		fail(rorg[r], rname(r) " has no new_state")
	e = kv[r, "event"]
	if (!(e in ev))
		fail(korg[r, "event"], "event \"" e "\" has no block-layer equivalent: " why_not(e))
	Rev[r] = e
	Rstate[r] = 0
	if ((r, "state") in kv) {
		Rstate[r] = number(korg[r, "state"], "state", kv[r, "state"])
		if (dec_cmp(Rstate[r], "2147483647") > 0)
			fail(korg[r, "state"], "state " Rstate[r] " is not 0 to 2147483647")
	}
	if (rsect[r] == "set-state") {
		v = number(korg[r, "new_state"], "new_state", kv[r, "new_state"])
		if (v == "0")
			fail(korg[r, "new_state"], "new_state must be at least 1")
		if (dec_cmp(v, "2147483647") > 0)
			fail(korg[r, "new_state"], "new_state " v " is not 1 to 2147483647")
		Rnew[r] = v
	}
	Rsector[r] = ""
	if ((r, "sector") in kv) {
		v = number(korg[r, "sector"], "sector", kv[r, "sector"])
		if (dec_cmp(v, maplen) >= 0)
			fail(korg[r, "sector"], "sector " v " is past the end of the mapping")
		Rsector[r] = v
		if (rsect[r] == "set-state" && qemu)
			fail(korg[r, "sector"], "sector in [set-state] is not QEMU's (-q models QEMU)")
	}
	if (rsect[r] == "set-state")
		return
	Rerrno[r] = 5
	if ((r, "errno") in kv) {
		v = number(korg[r, "errno"], "errno", kv[r, "errno"])
		if (v != "0" && !(v in carried))
			fail(korg[r, "errno"], "errno " v " cannot be carried by a bio; use one of 5 11 12 16 19 28 52 61 67 75 84 95 109 110 121")
		Rerrno[r] = v
	}
	Rdelay[r] = ""
	if ((r, "delay-ns") in kv) {
		o = korg[r, "delay-ns"]
		v = number(o, "delay-ns", kv[r, "delay-ns"])
		if (Rerrno[r] != "0")
			fail(o, "delay-ns needs errno = 0: a dm-inject rule delays or fails, not both")
		if (dec_cmp(v, "60000000000") > 0)
			fail(o, "delay-ns " v " is longer than dm-inject's 60 seconds")
		Rdelay[r] = int((v + 999) / 1000)
		if (v % 1000)
			note(o ": delay-ns " v " rounded up to " Rdelay[r] " us")
	}
	Ronce[r] = ((r, "once") in kv) ? boolean(korg[r, "once"], "once", kv[r, "once"]) : 0
	Rimm[r] = ((r, "immediately") in kv) ? boolean(korg[r, "immediately"], "immediately", kv[r, "immediately"]) : 0
	Riot[r] = ""
	if ((r, "iotype") in kv) {
		v = kv[r, "iotype"]
		if (!(v in iot))
			fail(korg[r, "iotype"], "iotype \"" v "\" has no block-layer equivalent: " why_not(v))
		Riot[r] = iot[v]
	}
	if (Rerrno[r] == "0" && Rimm[r])
		note(korg[r, "immediately"] ": immediately means nothing to a rule that does not fail")
}
# The geometry options.
function geometry(   a, w) {
	w = ""
	a = ("align" in geo) ? geo["align"] : 0
	if ("align" in geo) {
		if (a != 512 && a != 1024 && a != 2048 && a != 4096)
			fail(geo_org["align"], "align " a ": dm-inject takes 512, 1024, 2048 or 4096 (a logical block size)")
	}
	if ("max-transfer" in geo) {
		v = geo["max-transfer"]
		if (v % 512 || v < 4096 || v > 1073741824)
			fail(geo_org["max-transfer"], "max-transfer " v ": dm-inject takes a multiple of 512 from 4096 to 1 GiB")
		if (a && v % a)
			fail(geo_org["max-transfer"], "max-transfer " v " is not a multiple of align " a)
		w = w " max_transfer:" v
	}
	if (a)
		w = w " align:" a
	if ("opt-write-zero" in geo)
		fail(geo_org["opt-write-zero"], "opt-write-zero: the block layer has no write-zeroes alignment limit to set (use max-write-zero)")
	geo_word("max-write-zero", "max_write_zeroes", a)
	geo_word("opt-discard", "discard_granularity", a)
	geo_word("max-discard", "max_discard", a)
	if (("opt-discard" in geo) && ("max-discard" in geo) && geo["max-discard"] % geo["opt-discard"])
		fail(geo_org["max-discard"], "max-discard is not a multiple of opt-discard")
	return w gw
}
function geo_word(q, d, a,   v) {
	if (!(q in geo))
		return
	v = geo[q]
	if (v % 512 || v < 512)
		fail(geo_org[q], q " " v ": dm-inject takes a multiple of 512")
	if (a && v % a)
		fail(geo_org[q], q " " v " is not a multiple of align " a)
	gw = gw " " d ":" v
	nopts++
}
# The per-request words (blkdebug's documentation).
function emit_doc(   i, r, w, init, hasset, e, mask) {
	init = 1
	for (i = 1; i <= n; i++) {
		r = rule[i]
		if (rsect[r] == "set-state") {
			hasset = 1
			if (Rev[r] == "none" && init == 1 && Rstate[r] <= 1 && !initset) {
				init = Rnew[r]
				initset = 1
			}
		}
	}
	if (init != 1)
		note("set-state on event none starts QEMU in state " init ": states 1 and " init " swapped (dm-inject starts in state 1)")
	for (i = n; i >= 1; i--) {
		r = rule[i]
		if (rsect[r] != "set-state" || Rev[r] == "none")
			continue
		w = "state:event=" ev[Rev[r]]
		if (Rsector[r] != "")
			w = w ",sector=" Rsector[r]
		if (Rstate[r] != 0)
			w = w ",state=" swap(Rstate[r], init)
		words[++nw] = w ",new_state=" swap(Rnew[r], init)
	}
	for (i = 1; i <= n; i++) {
		r = rule[i]
		if (rsect[r] != "inject-error")
			continue
		e = Riot[r] != "" ? Riot[r] : Rev[r] == "none" ? "any" : ev[Rev[r]]
		w = (Rerrno[r] == "0" ? "delay" : "error") ":event=" e
		if (Rsector[r] != "")
			w = w ",sector=" Rsector[r]
		if (Rstate[r] != 0)
			w = w ",state=" swap(Rstate[r], init)
		if (Ronce[r])
			w = w ",once"
		if (Rerrno[r] == "0")
			w = w ",us=" (Rdelay[r] == "" ? 0 : Rdelay[r])
		else
			w = w ",errno=" Rerrno[r] (Rimm[r] ? ",immediately" : "")
		words[++nw] = w
		if (Rerrno[r] == "0" && Rdelay[r] == "")
			note(rname(r) ": errno 0 lets the request pass (QEMU: it only shadows later rules): a delay of 0")
		mask = Riot[r] != "" ? Riot[r] : "read, write, write-zeroes, discard and flush"
		if (Rev[r] == "none") {
			if (Rstate[r] > 1 || (Rstate[r] == 1 && hasset))
				note(rname(r) ": QEMU arms it at open only in state 1 and then fails " mask \
					" requests whatever the state; this line checks the state per request (-q: as QEMU)")
			continue
		}
		if (Riot[r] != "" && Riot[r] != ev[Rev[r]] && Rev[r] != "any")
			note(rname(r) ": QEMU arms it at the first " Rev[r] " and then fails " Riot[r] \
				" requests; this line fails " Riot[r] " requests from the start (-q: as QEMU)")
		else if (!(Ronce[r] && Rsector[r] == "") && (Riot[r] == "" || (Rstate[r] != 0 && hasset)))
			note(rname(r) ": QEMU arms it at the first " Rev[r] (Rstate[r] ? " in state " Rstate[r] : "") \
				" and then fails every " mask " request" (Rsector[r] != "" ? " at sector " Rsector[r] : "") \
				" until removed; this line fails only " e " requests" (Rstate[r] ? " in state " Rstate[r] : "") \
				" (-q: as QEMU)")
	}
}
function swap(s, init) {
	return init == 1 ? s : s == 1 ? init : s == init ? 1 : s
}
END {
	if (failed)
		exit 1
	order()
	for (i = 1; i <= n; i++)
		check(rule[i])
	if (failed)
		exit 1
	g = geometry()
	if (failed)
		exit 1
	nw = 0
	if (qemu)
		emit_qemu()
	else
		emit_doc()
	if (failed)
		exit 1
	if (nw > 4096)
		fail("rules", nw " rules: more than dm-inject's 4096")
	ng = split(g, gws, " ")
	line = "0 " maplen " inject " dev " " offset " " (nw + ng + (seed != ""))
	if (seed != "")
		line = line " seed:" seed
	line = line g
	for (i = 1; i <= nw; i++)
		line = line " " words[i]
	print line
}

# -q: QEMU's model. A combined state is "q|A|D": QEMU's state q, the armed
# (A) and the removed (D) inject-error rules as 0/1 strings in config
# order. A request of type t fires QEMU's events of t in QEMU's order
# (raw format over blkdebug: a write fires write_aio then pwritev, a flush
# flush_to_os then flush_to_disk, a discard none), then dm-inject's own
# name of t and "any"; then the first armed rule of t's iotype at its
# sector acts. The combined states reachable from the one QEMU opens in
# (after event none) are numbered from 1 and compiled into state rules
# (the transitions) and error or delay rules carrying the next state.
function fire(c, e,   p, q, A, D, i, r, nq, armed, hit) {
	split(c, p, "|")
	q = p[1]
	A = p[2]
	D = p[3]
	nq = ""
	armed = ""
	hit = 0
	for (i = 1; i <= n; i++) {
		r = rule[i]
		if (Rev[r] != e || (Rstate[r] != 0 && Rstate[r] != q))
			continue
		if (rsect[r] == "set-state") {
			if (nq == "")
				nq = Rnew[r]
		} else if (substr(D, Eidx[r], 1) == "0") {
			hit = 1
			armed = armed Eidx[r] " "
		}
	}
	if (hit) {
		A = ""
		for (i = 1; i <= ne; i++)
			A = A (index(" " armed, " " i " ") ? "1" : "0")
	}
	return (nq == "" ? q : nq) "|" A "|" D
}
function events_of(t) {
	if (t == "read")
		return "read_aio read any"
	if (t == "write")
		return "write_aio pwritev write any"
	if (t == "write_zeroes")
		return "pwritev_zero write_zeroes any"
	if (t == "flush")
		return "flush_to_os flush_to_disk flush any"
	return t " any"
}
function sid(c) {
	if (!(c in cid)) {
		cid[c] = ++ncs
		cstate[ncs] = c
		if (ncs > 256)
			fail("rules", "QEMU's model of these rules needs more than 256 states")
	}
	return cid[c]
}
function emit_qemu(   i, r, z, c, c2, c3, t, ts, nts, evs, nev, j, p, A, D, w, k, act) {
	ne = 0
	for (i = 1; i <= n; i++) {
		r = rule[i]
		if (rsect[r] == "inject-error")
			Eidx[r] = ++ne
		if (Rev[r] == "any" && rsect[r] == "inject-error")
			;
	}
	z = ""
	for (i = 1; i <= ne; i++)
		z = z "0"
	c = fire("1|" z "|" z, "none")
	sid(c)
	nts = split("read write write_zeroes discard flush", ts, " ")
	nact = 0
	for (k = 1; k <= ncs; k++) {
		c = cstate[k]
		for (j = 1; j <= nts; j++) {
			t = ts[j]
			nev = split(events_of(t), evs, " ")
			c2 = c
			for (i = 1; i <= nev; i++)
				c2 = fire(c2, evs[i])
			if (c2 != c)
				words[++nw] = "state:event=" t ",state=" k ",new_state=" sid(c2)
			split(c2, p, "|")
			A = p[2]
			D = p[3]
			for (i = 1; i <= n; i++) {
				r = rule[i]
				if (rsect[r] != "inject-error" || substr(A, Eidx[r], 1) != "1")
					continue
				if (Riot[r] != "" ? Riot[r] != t : t !~ /^(read|write|write_zeroes|discard|flush)$/)
					continue
				if (t == "flush" && Rsector[r] != "")
					continue
				c3 = c2
				if (Ronce[r] && Rerrno[r] != "0")
					c3 = p[1] "|" substr(A, 1, Eidx[r] - 1) "0" substr(A, Eidx[r] + 1) "|" \
						substr(D, 1, Eidx[r] - 1) "1" substr(D, Eidx[r] + 1)
				w = (Rerrno[r] == "0" ? "delay" : "error") ":event=" t
				if (Rsector[r] != "")
					w = w ",sector=" Rsector[r]
				w = w ",state=" k
				if (Rerrno[r] == "0")
					w = w ",us=" (Rdelay[r] == "" ? 0 : Rdelay[r])
				else
					w = w ",errno=" Rerrno[r] (Rimm[r] ? ",immediately" : "")
				if (c3 != c || c2 != c)
					w = w ",new_state=" sid(c3)
				acts[++nact] = w
				if (Rsector[r] == "")
					break
			}
		}
	}
	for (i = 1; i <= nact; i++)
		words[++nw] = acts[i]
	note("-q: " ncs " state" (ncs > 1 ? "s" : "") " model QEMU's state and armed rules (1: as opened)")
}
