// SPDX-License-Identifier: GPL-2.0
/*
 * dm-inject rule engine: the words of the table line and of "add" messages,
 * the per-event rule index and the matcher. No block layer here: the target
 * turns a bio into a struct inj_req and acts on the rule returned.
 */
#include "inject-rules.h"
#include "inject-index.h"

#ifdef __KERNEL__
#include <linux/math64.h>
#else
#ifndef NSEC_PER_SEC
#define NSEC_PER_SEC	1000000000ULL
#endif
static inline u64 div64_u64_rem(u64 a, u64 b, u64 *rem)
{
	*rem = a % b;
	return a / b;
}
#endif

#ifndef __KERNEL__
#include <stdarg.h>
#define scnprintf inj_scnprintf
static int inj_scnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return (size_t)n >= size ? (int)size - 1 : n;
}
#endif

static const char * const type_names[INJ_TYPE_NR] = {
	[INJ_ERROR] = "error",
	[INJ_STATE] = "state",
	[INJ_DELAY] = "delay",
	[INJ_CORRUPT] = "corrupt",
	[INJ_DROP] = "drop",
	[INJ_TORN] = "torn",
	[INJ_MISDIRECT] = "misdirect",
	[INJ_BREAK] = "break",
};

static const char * const event_names[INJ_EV_NR + 1] = {
	[INJ_EV_READ] = "read",
	[INJ_EV_WRITE] = "write",
	[INJ_EV_FLUSH] = "flush",
	[INJ_EV_DISCARD] = "discard",
	[INJ_EV_WRITE_ZEROES] = "write_zeroes",
	[INJ_EV_ZONE_APPEND] = "zone_append",
	[INJ_EV_ZONE_RESET] = "zone_reset",
	[INJ_EV_ZONE_OPEN] = "zone_open",
	[INJ_EV_ZONE_CLOSE] = "zone_close",
	[INJ_EV_ZONE_FINISH] = "zone_finish",
	[INJ_EV_NR] = "any",
};

/* blkdebug's event names, accepted as aliases. */
static const struct {
	const char *name;
	u8 ev;
} event_aliases[] = {
	{ "read_aio", INJ_EV_READ },
	{ "write_aio", INJ_EV_WRITE },
	{ "flush_to_disk", INJ_EV_FLUSH },
};

static const char * const corrupt_modes[] = {
	[INJ_CORRUPT_FLIP] = "flip",
	[INJ_CORRUPT_ZERO] = "zero",
	[INJ_CORRUPT_RANDOM] = "random",
	[INJ_CORRUPT_SET] = "set",
};

static const char * const window_froms[] = {
	[INJ_FROM_LOAD] = "load",
	[INJ_FROM_RESUME] = "resume",
};

static const char * const delay_classes[INJ_DC_NR] = {
	[INJ_DC_READ] = "read",
	[INJ_DC_WRITE] = "write",
	[INJ_DC_FLUSH] = "flush",
};

static const char * const flag_names[] = { "meta", "fua", "preflush", "sync" };

/*
 * The errnos errno_to_blk_status() maps to a distinct status, so they reach
 * the submitter unchanged; EREMCHG is dm's internal requeue and excluded.
 */
static const int carried_errnos[] = {
	EIO, EAGAIN, ENOMEM, EBUSY, ENODEV, ENOSPC, EBADE, ENODATA, ENOLINK,
	EOVERFLOW, EILSEQ, EOPNOTSUPP, ETOOMANYREFS, ETIMEDOUT, EREMOTEIO,
};

#define ERR_EVENT "Unknown event: use read, write, flush, discard, write_zeroes, zone_append, zone_reset, zone_open, zone_close, zone_finish, a list of them joined by + or any"
#define ERR_ERRNO "Unsupported errno: a bio can only carry 5 11 12 16 19 28 52 61 67 75 84 95 109 110 121"

const char *inj_type_name(unsigned int type)
{
	return type < INJ_TYPE_NR ? type_names[type] : "?";
}

const char *inj_event_name(unsigned int ev)
{
	return ev <= INJ_EV_NR ? event_names[ev] : "?";
}

/* Decimal only, no sign, no empty string, no overflow, nothing after. */
static int parse_u64(const char *s, size_t len, u64 *val)
{
	u64 v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = s[i] - '0';
		if (v > (~0ULL - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*val = v;
	return 0;
}

static int parse_u32(const char *s, size_t len, u32 *val)
{
	u64 v;

	if (parse_u64(s, len, &v) || v > 0xffffffffULL)
		return -EINVAL;
	*val = v;
	return 0;
}

static int parse_int(const char *s, size_t len, int *val)
{
	u64 v;

	if (parse_u64(s, len, &v) || v > 0x7fffffffULL)
		return -EINVAL;
	*val = v;
	return 0;
}

static bool word_eq(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && !memcmp(s, name, len);
}

static int lookup(const char *s, size_t len, const char * const *names, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (names[i] && word_eq(s, len, names[i]))
			return i;
	return -1;
}

enum attr_key {
	K_EVENT, K_SECTOR, K_SECTORS, K_STATE, K_NEW_STATE, K_ONCE, K_NTH,
	K_EVERY, K_PROBABILITY, K_FLAGS, K_ERRNO, K_IMMEDIATELY, K_AFTER,
	K_MS, K_US, K_JITTER, K_MODE, K_BYTES, K_OFFSET, K_TORN_SECTORS,
	K_SILENT, K_SHIFT, K_TAG, K_UP, K_DOWN, K_FROM, K_HEAL, K_BLOCK,
	K_READ_D, K_WRITE_D, K_FLUSH_D, K_VALUE, K_NR,
};

#define T(x)		(1U << (x))
#define T_ALL		(T(INJ_TYPE_NR) - 1)
#define TK(x)		(1ULL << (x))
/* attrs[].flag: a value is required, refused, or optional (heal[=<n>]) */
#define A_VALUE		0
#define A_BARE		1
#define A_EITHER	2

static const struct {
	const char *name;
	u8 flag;		/* A_VALUE, A_BARE or A_EITHER */
	u32 types;		/* rule types it is valid for */
} attrs[K_NR] = {
	[K_EVENT]	= { "event", A_VALUE, T_ALL },
	[K_SECTOR]	= { "sector", A_VALUE, T_ALL },
	[K_SECTORS]	= { "sectors", A_VALUE, T_ALL },
	[K_STATE]	= { "state", A_VALUE, T_ALL },
	[K_NEW_STATE]	= { "new_state", A_VALUE, T_ALL },
	[K_ONCE]	= { "once", A_BARE, T_ALL },
	[K_NTH]		= { "nth", A_VALUE, T_ALL },
	[K_EVERY]	= { "every", A_VALUE, T_ALL },
	[K_PROBABILITY]	= { "probability", A_VALUE, T_ALL },
	[K_FLAGS]	= { "flags", A_VALUE, T_ALL },
	[K_ERRNO]	= { "errno", A_VALUE, T(INJ_ERROR) | T(INJ_TORN) },
	[K_IMMEDIATELY]	= { "immediately", A_BARE, T(INJ_ERROR) },
	[K_AFTER]	= { "after", A_BARE, T(INJ_ERROR) },
	[K_MS]		= { "ms", A_VALUE, T(INJ_DELAY) },
	[K_US]		= { "us", A_VALUE, T(INJ_DELAY) },
	[K_JITTER]	= { "jitter", A_VALUE, T(INJ_DELAY) },
	[K_MODE]	= { "mode", A_VALUE, T(INJ_CORRUPT) },
	[K_BYTES]	= { "bytes", A_VALUE, T(INJ_CORRUPT) },
	[K_OFFSET]	= { "offset", A_VALUE, T(INJ_CORRUPT) },
	/* torn's "sectors=N"; "sectors=A-B" is the range condition */
	[K_TORN_SECTORS] = { "sectors", A_VALUE, T(INJ_TORN) },
	[K_SILENT]	= { "silent", A_BARE, T(INJ_TORN) },
	[K_SHIFT]	= { "shift", A_VALUE, T(INJ_MISDIRECT) },
	[K_TAG]		= { "tag", A_VALUE, T(INJ_BREAK) },
	[K_UP]		= { "up", A_VALUE, T_ALL },
	[K_DOWN]	= { "down", A_VALUE, T_ALL },
	[K_FROM]	= { "from", A_VALUE, T_ALL },
	[K_HEAL]	= { "heal", A_EITHER, T(INJ_ERROR) },
	[K_BLOCK]	= { "block", A_VALUE, T(INJ_ERROR) },
	[K_READ_D]	= { "read", A_VALUE, T(INJ_DELAY) },
	[K_WRITE_D]	= { "write", A_VALUE, T(INJ_DELAY) },
	[K_FLUSH_D]	= { "flush", A_VALUE, T(INJ_DELAY) },
	[K_VALUE]	= { "value", A_VALUE, T(INJ_CORRUPT) },
};

static int parse_one_event(const char *v, size_t len)
{
	unsigned int i;
	int ev = lookup(v, len, event_names, INJ_EV_NR + 1);

	if (ev < 0) {
		for (i = 0; i < ARRAY_SIZE(event_aliases); i++)
			if (word_eq(v, len, event_aliases[i].name))
				ev = event_aliases[i].ev;
	}
	return ev;
}

/*
 * event=<event> or a list event=<event>+<event>...: every event once, and
 * "any" alone.
 */
static int parse_event(const char *v, size_t len, struct inj_rule *r, const char **err)
{
	const char *plus = memchr(v, '+', len);
	int ev;

	*err = ERR_EVENT;
	if (!plus) {
		ev = parse_one_event(v, len);
		if (ev < 0)
			return -EINVAL;
		r->ev_name = ev;
		r->events = ev == INJ_EV_NR ? INJ_EV_ALL : INJ_EV_BIT(ev);
		return 0;
	}
	r->ev_name = INJ_EV_LIST;
	while (len) {
		size_t n;

		plus = memchr(v, '+', len);
		n = plus ? (size_t)(plus - v) : len;
		ev = parse_one_event(v, n);
		if (ev < 0 || (plus && n + 1 == len)) {
			*err = ERR_EVENT;
			return -EINVAL;
		}
		if (ev == INJ_EV_NR) {
			*err = "event=any cannot be part of a list";
			return -EINVAL;
		}
		if (r->events & INJ_EV_BIT(ev)) {
			*err = "event= names an event twice";
			return -EINVAL;
		}
		r->events |= INJ_EV_BIT(ev);
		if (!plus)
			break;
		v += n + 1;
		len -= n + 1;
	}
	return 0;
}

static int parse_flags(const char *v, size_t len, struct inj_rule *r)
{
	while (len) {
		const char *plus = memchr(v, '+', len);
		size_t n = plus ? (size_t)(plus - v) : len;
		int f = lookup(v, n, flag_names, ARRAY_SIZE(flag_names));

		if (f < 0 || (plus && n + 1 == len))
			return -EINVAL;
		r->req_flags |= 1U << f;
		if (!plus)
			break;
		v += n + 1;
		len -= n + 1;
	}
	return r->req_flags ? 0 : -EINVAL;
}

static int parse_errno(const char *v, size_t len, struct inj_rule *r, const char **err)
{
	unsigned int i;
	int e;

	if (parse_int(v, len, &e)) {
		*err = "Invalid errno";
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(carried_errnos); i++) {
		if (carried_errnos[i] == e) {
			r->err = e;
			return 0;
		}
	}
	*err = ERR_ERRNO;
	return -EINVAL;
}

static bool valid_tag(const char *v, size_t len)
{
	size_t i;

	if (!len || len >= INJ_TAG_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static int parse_shift(const char *v, size_t len, s64 *shift)
{
	bool neg = len && v[0] == '-';
	u64 n;

	if (neg) {
		v++;
		len--;
	}
	if (parse_u64(v, len, &n) || n > (u64)0x7fffffffffffffffLL)
		return -EINVAL;
	*shift = neg ? -(s64)n : (s64)n;
	return 0;
}

#define BAD_JITTER "Invalid number in rule attribute jitter=: decimal, at most the delay and 2147483647 us"
#define BAD_CLASS(c) "Invalid number in rule attribute " c "=: decimal, in ms= or us= units"
#define ERR_HEAL_EV "heal: event= must not include write, write_zeroes, discard or zone_append: they heal the rule"
#define ERR_DELAY_MAX "Delay plus jitter longer than dm-delay's limit, 4294967295 ms"
#define ERR_DROP_READ "drop applies to every event but read: name them, e.g. event=write+flush+discard+write_zeroes"

/*
 * What a value that is not a number in range gets: each word says which
 * attribute and what it takes, so a wrapped or signed value is reported as
 * such and never read as another number.
 */
static const char * const bad_numbers[K_NR] = {
	[K_SECTOR]	= "Invalid number in rule attribute sector=: a decimal sector below 2^64",
	[K_NTH]		= "Invalid number in rule attribute nth=: decimal 1 to 2^64-1",
	[K_EVERY]	= "Invalid number in rule attribute every=: decimal 1 to 2^64-1",
	[K_MS]		= "Invalid number in rule attribute ms=: decimal 0 to 4294967295",
	[K_US]		= "Invalid number in rule attribute us=: decimal 0 to 4294967295000",
	[K_JITTER]	= BAD_JITTER,
	[K_READ_D]	= BAD_CLASS("read"),
	[K_WRITE_D]	= BAD_CLASS("write"),
	[K_FLUSH_D]	= BAD_CLASS("flush"),
	[K_UP]		= "Invalid number in rule attribute up=: decimal seconds 0 to 4294967295",
	[K_DOWN]	= "Invalid number in rule attribute down=: decimal seconds 0 to 4294967295",
	[K_HEAL]	= "Invalid number in rule attribute heal=: decimal 0 to 4294967295",
	[K_BLOCK]	= "Invalid number in rule attribute block=: a decimal block below 2^64",
	[K_VALUE]	= "Invalid number in rule attribute value=: decimal 0 to 255",
	[K_OFFSET]	= "Invalid number in rule attribute offset=: decimal 0 to 2147483647",
	[K_SHIFT]	= "Invalid number in rule attribute shift=: decimal, may start with -",
};

/* One attr; *err is set on failure. */
static int parse_attr(struct inj_rule *r, int key, const char *v, size_t len,
		      u64 dev_len, const char **err)
{
	const char *dash;
	u64 a, b;
	u32 u;

	switch (key) {
	case K_EVENT:
		return parse_event(v, len, r, err);
	case K_SECTOR:
		if (parse_u64(v, len, &a))
			goto bad_number;
		if (a >= dev_len)
			goto past_end;
		r->has_range = 1;
		r->lo = a;
		r->hi = a;
		return 0;
	case K_SECTORS:
		dash = memchr(v, '-', len);
		if (!dash || parse_u64(v, dash - v, &a) ||
		    parse_u64(dash + 1, len - (dash - v) - 1, &b)) {
			*err = "sectors= needs an inclusive range A-B";
			return -EINVAL;
		}
		if (a > b) {
			*err = "sectors= range is reversed";
			return -EINVAL;
		}
		if (b >= dev_len)
			goto past_end;
		r->has_range = 2;
		r->lo = a;
		r->hi = b;
		return 0;
	case K_STATE:
		if (parse_int(v, len, &r->state) || !r->state)
			goto bad_state;
		return 0;
	case K_NEW_STATE:
		if (parse_int(v, len, &r->new_state) || !r->new_state)
			goto bad_state;
		return 0;
	case K_ONCE:
		r->count_mode = INJ_COUNT_ONCE;
		r->count_n = 1;
		return 0;
	case K_NTH:
	case K_EVERY:
		if (parse_u64(v, len, &r->count_n))
			goto bad_number;
		if (!r->count_n) {
			*err = "nth= and every= must be at least 1";
			return -EINVAL;
		}
		r->count_mode = key == K_NTH ? INJ_COUNT_NTH : INJ_COUNT_EVERY;
		return 0;
	case K_PROBABILITY:
		if (parse_u32(v, len, &u) || u < 1 || u > 100) {
			*err = "probability= must be 1..100";
			return -EINVAL;
		}
		r->probability = u;
		return 0;
	case K_FLAGS:
		if (parse_flags(v, len, r)) {
			*err = "flags= takes meta, fua, preflush, sync joined by +";
			return -EINVAL;
		}
		return 0;
	case K_ERRNO:
		return parse_errno(v, len, r, err);
	case K_IMMEDIATELY:
		r->when = INJ_WHEN_IMMEDIATELY;
		return 0;
	case K_AFTER:
		r->when = INJ_WHEN_AFTER;
		return 0;
	case K_MS:
	case K_US:
		/* the unit's cap is checked with the jitter in check_rule() */
		if (parse_u64(v, len, &a) || a > (key == K_MS ? INJ_DELAY_MAX_US / 1000 :
						  INJ_DELAY_MAX_US))
			goto bad_number;
		r->delay_us = a;
		if (key == K_MS)
			r->delay_in_ms = 1;
		return 0;
	case K_JITTER:
		if (parse_u32(v, len, &u) || u > INJ_JITTER_MAX_US)
			goto bad_number;
		r->jitter_us = u;
		return 0;
	case K_READ_D:
	case K_WRITE_D:
	case K_FLUSH_D:
		if (parse_u64(v, len, &a) || a > INJ_DELAY_MAX_US)
			goto bad_number;
		r->delay_cls_us[key - K_READ_D] = a;
		r->delay_cls_set |= 1U << (key - K_READ_D);
		return 0;
	case K_UP:
	case K_DOWN:
		if (parse_u32(v, len, &u))
			goto bad_number;
		if (key == K_UP)
			r->up_s = u;
		else
			r->down_s = u;
		r->has_window = 1;
		return 0;
	case K_FROM:
		u = lookup(v, len, window_froms, ARRAY_SIZE(window_froms));
		if ((int)u < 0) {
			*err = "from= must be load or resume";
			return -EINVAL;
		}
		r->window_from = u;
		return 0;
	case K_HEAL:
		r->heal = 1;
		if (v && parse_u32(v, len, &r->heal_n))
			goto bad_number;
		return 0;
	case K_BLOCK:
		if (parse_u64(v, len, &r->block))
			goto bad_number;
		r->has_block = 1;
		return 0;
	case K_VALUE:
		if (parse_u32(v, len, &u) || u > 255)
			goto bad_number;
		r->corrupt_value = u;
		return 0;
	case K_MODE:
		u = lookup(v, len, corrupt_modes, ARRAY_SIZE(corrupt_modes));
		if ((int)u < 0) {
			*err = "mode= must be flip, zero, random or set";
			return -EINVAL;
		}
		r->corrupt_mode = u;
		return 0;
	case K_BYTES:
		if (parse_u32(v, len, &r->corrupt_bytes) || !r->corrupt_bytes ||
		    r->corrupt_bytes > INJ_CORRUPT_MAX) {
			*err = "bytes= must be 1..4096";
			return -EINVAL;
		}
		return 0;
	case K_OFFSET:
		if (parse_u64(v, len, &a) || a > 0x7fffffffULL)
			goto bad_number;
		r->corrupt_offset = a;
		return 0;
	case K_TORN_SECTORS:
		if (parse_u32(v, len, &r->torn_sectors) || !r->torn_sectors) {
			*err = "torn sectors= must be 1..4294967295";
			return -EINVAL;
		}
		return 0;
	case K_SILENT:
		r->silent = 1;
		return 0;
	case K_SHIFT:
		if (parse_shift(v, len, &r->shift))
			goto bad_number;
		return 0;
	case K_TAG:
		if (!valid_tag(v, len)) {
			*err = "tag= must be 1-31 characters of A-Z a-z 0-9 _ . -";
			return -EINVAL;
		}
		memcpy(r->tag, v, len);
		r->tag[len] = '\0';
		return 0;
	}
	*err = "Unknown rule attribute";
	return -EINVAL;

bad_number:
	*err = bad_numbers[key];
	return -EINVAL;
past_end:
	*err = "Sector range past the end of the device";
	return -EINVAL;
bad_state:
	*err = "state= and new_state= must be 1..2147483647";
	return -EINVAL;
}

/* Cross-attribute checks once every attr is known. */
static int check_rule(struct inj_rule *r, u64 seen, u64 dev_len, const char **err)
{
	u64 counts = seen & (TK(K_ONCE) | TK(K_NTH) | TK(K_EVERY));
	u64 cap, d;
	unsigned int c;
	bool set;

	if (!r->events) {
		*err = "Rule needs event=";
		return -EINVAL;
	}
	if (counts & (counts - 1)) {
		*err = "once, nth= and every= are exclusive";
		return -EINVAL;
	}
	if ((seen & TK(K_SECTOR)) && (seen & TK(K_SECTORS))) {
		*err = "sector= and sectors= are exclusive";
		return -EINVAL;
	}
	if ((seen & TK(K_BLOCK)) && (seen & (TK(K_SECTOR) | TK(K_SECTORS)))) {
		*err = "block= and sector=, sectors= are exclusive";
		return -EINVAL;
	}
	if (!(seen & TK(K_UP)) != !(seen & TK(K_DOWN))) {
		*err = "up= and down= go together";
		return -EINVAL;
	}
	if (r->has_window && !r->up_s && !r->down_s) {
		*err = "up= plus down= must be at least 1 second";
		return -EINVAL;
	}
	if ((seen & TK(K_FROM)) && !r->has_window) {
		*err = "from= needs up= and down=";
		return -EINVAL;
	}
	if (r->heal && !r->has_range && !r->has_block) {
		*err = "heal needs sector=, sectors= or block=";
		return -EINVAL;
	}
	if (r->heal && (r->events & INJ_EV_HEAL)) {
		*err = ERR_HEAL_EV;
		return -EINVAL;
	}

	switch (r->type) {
	case INJ_ERROR:
		if ((seen & TK(K_IMMEDIATELY)) && (seen & TK(K_AFTER))) {
			*err = "immediately and after are exclusive";
			return -EINVAL;
		}
		break;
	case INJ_STATE:
		if (!r->new_state) {
			*err = "state rule needs new_state=";
			return -EINVAL;
		}
		break;
	case INJ_DELAY:
		if (!(seen & (TK(K_MS) | TK(K_US))) || ((seen & TK(K_MS)) && (seen & TK(K_US)))) {
			*err = "delay rule needs exactly one of ms= and us=";
			return -EINVAL;
		}
		/*
		 * Every class's hold, delay plus jitter, is bounded by
		 * dm-delay's own limit, 2^32-1 ms, and at least the jitter.
		 */
		cap = r->delay_in_ms ? INJ_DELAY_MAX_US / 1000 : INJ_DELAY_MAX_US;
		if (r->delay_in_ms && r->jitter_us > INJ_JITTER_MAX_US / 1000) {
			*err = bad_numbers[K_JITTER];
			return -EINVAL;
		}
		for (c = 0; c <= INJ_DC_NR; c++) {
			d = c == INJ_DC_NR ? r->delay_us : r->delay_cls_us[c];
			if (c < INJ_DC_NR && !(r->delay_cls_set & (1U << c)))
				continue;
			if (r->jitter_us > d) {
				*err = "jitter= larger than the delay";
				return -EINVAL;
			}
			if (d > cap || r->jitter_us > cap - d) {
				*err = ERR_DELAY_MAX;
				return -EINVAL;
			}
		}
		if (r->delay_in_ms) {
			r->delay_us *= 1000;
			r->jitter_us *= 1000;
			for (c = 0; c < INJ_DC_NR; c++)
				r->delay_cls_us[c] *= 1000;
		}
		break;
	case INJ_CORRUPT:
		if (r->events & ~(INJ_EV_BIT(INJ_EV_READ) | INJ_EV_BIT(INJ_EV_WRITE))) {
			*err = "corrupt applies to event=read or event=write only";
			return -EINVAL;
		}
		set = r->corrupt_mode == INJ_CORRUPT_SET;
		if (!!(seen & TK(K_VALUE)) != set) {
			*err = "value= goes with mode=set, and mode=set needs value=";
			return -EINVAL;
		}
		break;
	case INJ_DROP:
		if (r->events & INJ_EV_BIT(INJ_EV_READ)) {
			*err = ERR_DROP_READ;
			return -EINVAL;
		}
		break;
	case INJ_TORN:
		if (r->events != INJ_EV_BIT(INJ_EV_WRITE)) {
			*err = "torn applies to event=write only";
			return -EINVAL;
		}
		/* A silent tear reports success: an errno= would be lost. */
		if ((seen & TK(K_SILENT)) && (seen & TK(K_ERRNO))) {
			*err = "silent and errno= are exclusive";
			return -EINVAL;
		}
		break;
	case INJ_MISDIRECT:
		if (r->events != INJ_EV_BIT(INJ_EV_WRITE)) {
			*err = "misdirect applies to event=write only";
			return -EINVAL;
		}
		if (!r->shift) {
			*err = "misdirect rule needs a non-zero shift=";
			return -EINVAL;
		}
		if ((r->shift < 0 ? (u64)-r->shift : (u64)r->shift) >= dev_len ||
		    (r->has_range && ((s64)r->lo + r->shift < 0 ||
				      (s64)r->hi + r->shift >= (s64)dev_len))) {
			*err = "shift= moves writes past the device";
			return -EINVAL;
		}
		break;
	case INJ_BREAK:
		if (!r->tag[0]) {
			*err = "break rule needs tag=";
			return -EINVAL;
		}
		break;
	}
	return 0;
}

/*
 * The errors of inj_opts_fit() and inj_rule_fit(), one per block size from
 * 512 bytes to 64 KiB, so that the message names the size it was checked
 * against: an error is a static string (ti->error outlives the target).
 */
#define MT_ERR(bs)	"max_transfer: must be a multiple of the device's " bs \
			"-byte logical block size"
#define AL_ERR(bs)	"align: must be a multiple of the device's " bs "-byte logical block size"
#define SH_ERR(bs)	"misdirect shift= must be a multiple of the " bs \
			"-byte block (logical block size or align:)"
#define DU_ERR(bs)	"dust: block size must be a multiple of the " bs \
			"-byte block (logical block size or align:)"
#define TO_ERR(bs)	"torn sectors= must be a multiple of the " bs \
			"-byte block (logical block size or align:)"

static const char * const err_max_transfer[] = {
	MT_ERR("512"), MT_ERR("1024"), MT_ERR("2048"), MT_ERR("4096"),
	MT_ERR("8192"), MT_ERR("16384"), MT_ERR("32768"), MT_ERR("65536"),
};

static const char * const err_align[] = {
	AL_ERR("512"), AL_ERR("1024"), AL_ERR("2048"), AL_ERR("4096"),
	AL_ERR("8192"), AL_ERR("16384"), AL_ERR("32768"), AL_ERR("65536"),
};

static const char * const err_shift[] = {
	SH_ERR("512"), SH_ERR("1024"), SH_ERR("2048"), SH_ERR("4096"),
	SH_ERR("8192"), SH_ERR("16384"), SH_ERR("32768"), SH_ERR("65536"),
};

static const char * const err_torn[] = {
	TO_ERR("512"), TO_ERR("1024"), TO_ERR("2048"), TO_ERR("4096"),
	TO_ERR("8192"), TO_ERR("16384"), TO_ERR("32768"), TO_ERR("65536"),
};

static const char * const err_dust[] = {
	DU_ERR("512"), DU_ERR("1024"), DU_ERR("2048"), DU_ERR("4096"),
	DU_ERR("8192"), DU_ERR("16384"), DU_ERR("32768"), DU_ERR("65536"),
};

static const char *bs_error(const char * const *errs, u32 bs)
{
	unsigned int i = 0;

	while (i < 7 && (512U << i) < bs)
		i++;
	return errs[i];
}

#define GEO_ERR_RANGE \
	"max_discard, discard_granularity, max_write_zeroes: must be a multiple of 512 from 512 to 2147483136"
#define GEO_ERR_BLOCK \
	"max_discard, discard_granularity, max_write_zeroes: must be multiples of the block (logical block size or align:)"

/*
 * The discard and write-zeroes geometry options (blkdebug's opt-discard,
 * max-discard and max-write-zero): bytes, multiples of 512 below 2^31.
 * Returns 1 when @name is none of them.
 */
static int parse_geometry_option(const char *name, size_t nlen, const char *v,
				 struct inj_opts *o, const char **err)
{
	u32 *field;
	u64 n;

	if (word_eq(name, nlen, "max_discard"))
		field = &o->max_discard;
	else if (word_eq(name, nlen, "discard_granularity"))
		field = &o->discard_granularity;
	else if (word_eq(name, nlen, "max_write_zeroes"))
		field = &o->max_write_zeroes;
	else
		return 1;
	if (*field) {
		*err = "Option given twice";
		return -EINVAL;
	}
	if (parse_u64(v, strlen(v), &n) || !n || n % 512 || n > 2147483136) {
		*err = GEO_ERR_RANGE;
		return -EINVAL;
	}
	*field = n;
	return 0;
}

/* The geometry options against the block (logical block size or align:). */
static int geometry_fit(const struct inj_opts *o, u32 lbs, const char **err)
{
	u32 block = o->align > lbs ? o->align : lbs;

	if (o->max_discard % block || o->discard_granularity % block ||
	    o->max_write_zeroes % block) {
		*err = GEO_ERR_BLOCK;
		return -EINVAL;
	}
	if (o->discard_granularity && o->max_discard % o->discard_granularity) {
		*err = "max_discard: must be a multiple of discard_granularity";
		return -EINVAL;
	}
	return 0;
}

/*
 * The options against the underlying device's logical block size @lbs: a
 * request of a fraction of a block cannot be sent to it.
 */
int inj_opts_fit(const struct inj_opts *o, u32 lbs, const char **err)
{
	if (o->max_transfer % lbs) {
		*err = bs_error(err_max_transfer, lbs);
		return -EINVAL;
	}
	if (o->align % lbs) {
		*err = bs_error(err_align, lbs);
		return -EINVAL;
	}
	if (o->dust_bs) {
		u32 block = o->align > lbs ? o->align : lbs;

		if (o->dust_bs % block) {
			*err = bs_error(err_dust, block);
			return -EINVAL;
		}
	}
	return geometry_fit(o, lbs, err);
}

/*
 * A block= rule's sectors, once the dust: option's block size @dust_bs is
 * known: block <b> is sectors b * (dust_bs / 512) on, counted from the
 * start of the target, cut at its end.
 */
int inj_rule_fit_dust(struct inj_rule *r, u32 dust_bs, u64 dev_len, const char **err)
{
	u64 spb = dust_bs >> 9;

	if (!r->has_block)
		return 0;
	if (!spb) {
		*err = "block= needs the dust:<block size> option";
		return -EINVAL;
	}
	if (r->block >= dev_len / spb + !!(dev_len % spb)) {
		*err = "block= past the end of the device";
		return -EINVAL;
	}
	r->has_range = 2;
	r->lo = r->block * spb;
	r->hi = r->lo + spb - 1 < dev_len ? r->lo + spb - 1 : dev_len - 1;
	return 0;
}

/* A heal rule that a write has healed acts no more (until "reset"). */
bool inj_rule_healed(const struct inj_rule *r)
{
	return r->heal && (u64)inj_ctr_read(&r->writes) > r->heal_n;
}

/* How long a delay rule holds a request of event @ev, in us. */
u64 inj_rule_delay_us(const struct inj_rule *r, unsigned int ev)
{
	unsigned int c = ev == INJ_EV_READ ? INJ_DC_READ :
			 ev == INJ_EV_FLUSH ? INJ_DC_FLUSH : INJ_DC_WRITE;

	return r->delay_cls_set & (1U << c) ? r->delay_cls_us[c] : r->delay_us;
}

/*
 * A parsed rule against the block it acts in, the larger of the underlying
 * device's logical block size @lbs and the align: option @align (0: none):
 * the requests it sees are whole blocks, so a misdirected write moves and a
 * torn write is cut by whole blocks, or it would send the device part of
 * one. torn's default length, one block, is set here.
 */
int inj_rule_fit(struct inj_rule *r, u32 lbs, u32 align, const char **err)
{
	u32 block = align > lbs ? align : lbs;
	u32 sectors = block >> 9;
	u64 shift;

	switch (r->type) {
	case INJ_MISDIRECT:
		shift = r->shift < 0 ? -(u64)r->shift : (u64)r->shift;
		if (shift % sectors) {
			*err = bs_error(err_shift, block);
			return -EINVAL;
		}
		break;
	case INJ_TORN:
		if (!r->torn_sectors)
			r->torn_sectors = sectors;
		if (r->torn_sectors % sectors) {
			*err = bs_error(err_torn, block);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

/*
 * A rule word. Torn's default length and the block checks are left to
 * inj_rule_fit(), which needs the device and, in a table, the align: option
 * that may come after the rule.
 */
int inj_parse_rule(const char *word, u64 dev_len, struct inj_rule **rule, const char **err)
{
	const char *colon, *p, *end;
	struct inj_rule *r;
	u64 seen = 0;
	int type;

	*rule = NULL;
	if (strlen(word) > INJ_WORD_MAX) {
		*err = "Argument too long";
		return -EINVAL;
	}
	colon = strchr(word, ':');
	if (!colon) {
		*err = "Argument is not <type>:<attr>,... or <option>:<value>";
		return -EINVAL;
	}
	type = lookup(word, colon - word, type_names, INJ_TYPE_NR);
	if (type < 0) {
		*err = "Unknown rule type or option";
		return -EINVAL;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		*err = "Cannot allocate rule";
		return -ENOMEM;
	}
	inj_ref_init(&r->ref);
	r->type = type;
	r->err = EIO;
	r->corrupt_bytes = 1;
	r->corrupt_offset = -1;

	end = word + strlen(word);
	for (p = colon + 1; ; p++) {
		const char *comma = strchr(p, ',');
		const char *aend = comma ? comma : end;
		const char *eq = memchr(p, '=', aend - p);
		size_t klen = eq ? (size_t)(eq - p) : (size_t)(aend - p);
		const char *v = eq ? eq + 1 : NULL;
		size_t vlen = eq ? (size_t)(aend - v) : 0;
		int key;

		if (aend == p) {
			*err = "Empty rule attribute";
			goto bad;
		}
		for (key = 0; key < K_NR; key++)
			if (word_eq(p, klen, attrs[key].name))
				break;
		if (key == K_NR) {
			*err = "Unknown rule attribute";
			goto bad;
		}
		/* sectors=N is torn's length, sectors=A-B the range condition */
		if (key == K_SECTORS && type == INJ_TORN && v && !memchr(v, '-', vlen))
			key = K_TORN_SECTORS;
		if (!(attrs[key].types & T(type))) {
			*err = "Attribute not valid for this rule type";
			goto bad;
		}
		if (attrs[key].flag == A_BARE && v) {
			*err = "Attribute takes no value";
			goto bad;
		}
		if (attrs[key].flag == A_VALUE && !v) {
			*err = "Attribute needs a value";
			goto bad;
		}
		if (seen & TK(key)) {
			*err = "Rule attribute given twice";
			goto bad;
		}
		seen |= TK(key);
		if (parse_attr(r, key, v, vlen, dev_len, err))
			goto bad;
		if (!comma)
			break;
		p = comma;
	}

	if (check_rule(r, seen, dev_len, err))
		goto bad;
	*rule = r;
	return 0;
bad:
	kfree(r);
	return -EINVAL;
}

static int parse_option(const char *name, size_t nlen, const char *v, struct inj_opts *o,
			const char **err)
{
	size_t vlen = strlen(v);
	u64 n;

	if (word_eq(name, nlen, "seed")) {
		if (o->seed_set)
			goto twice;
		if (parse_u64(v, vlen, &o->seed)) {
			*err = "Invalid seed";
			return -EINVAL;
		}
		o->seed_set = true;
		return 0;
	}
	if (word_eq(name, nlen, "log")) {
		if (o->log_set)
			goto twice;
		if (!word_eq(v, vlen, "1") && !word_eq(v, vlen, "0")) {
			*err = "log: takes 0 or 1";
			return -EINVAL;
		}
		o->log = v[0] == '1';
		o->log_set = true;
		return 0;
	}
	if (word_eq(name, nlen, "max_transfer")) {
		if (o->max_transfer)
			goto twice;
		if (parse_u64(v, vlen, &n) || n < 4096 || n % 512 || n > (1U << 30)) {
			*err = "max_transfer: must be a multiple of 512 from 4096 to 1073741824";
			return -EINVAL;
		}
		o->max_transfer = n;
		return 0;
	}
	if (word_eq(name, nlen, "dust")) {
		if (o->dust_bs)
			goto twice;
		/* dm-dust's own limits */
		if (parse_u64(v, vlen, &n) || n < 512 || n > (1U << 30) || (n & (n - 1))) {
			*err = "dust: block size must be a power of two from 512 to 1073741824";
			return -EINVAL;
		}
		o->dust_bs = n;
		return 0;
	}
	if (word_eq(name, nlen, "align")) {
		if (o->align)
			goto twice;
		if (parse_u64(v, vlen, &n) || n < 512 || n > 4096 || (n & (n - 1))) {
			*err = "align: must be 512, 1024, 2048 or 4096";
			return -EINVAL;
		}
		o->align = n;
		return 0;
	}
	return parse_geometry_option(name, nlen, v, o, err);
twice:
	*err = "Option given twice";
	return -EINVAL;
}

/*
 * A table word: an option (*rule stays NULL) or a rule. Options are checked
 * against each other by the caller once all words are in (see the target).
 */
int inj_parse_word(const char *word, u64 dev_len, struct inj_opts *opts,
		   struct inj_rule **rule, const char **err)
{
	const char *colon = strchr(word, ':');
	int r;

	*rule = NULL;
	if (strlen(word) > INJ_WORD_MAX) {
		*err = "Argument too long";
		return -EINVAL;
	}
	if (colon) {
		r = parse_option(word, colon - word, colon + 1, opts, err);
		if (r <= 0)
			return r;
	}
	return inj_parse_rule(word, dev_len, rule, err);
}

unsigned int inj_nr_opts(const struct inj_opts *o)
{
	return o->seed_set + o->log + !!o->max_transfer + !!o->align + !!o->dust_bs +
	       !!o->max_discard + !!o->discard_granularity + !!o->max_write_zeroes;
}

int inj_format_opts(const struct inj_opts *o, char *buf, size_t len)
{
	int sz = 0;

	if (o->seed_set)
		sz += scnprintf(buf + sz, len - sz, " seed:%llu", (unsigned long long)o->seed);
	if (o->log)
		sz += scnprintf(buf + sz, len - sz, " log:1");
	if (o->max_transfer)
		sz += scnprintf(buf + sz, len - sz, " max_transfer:%u", o->max_transfer);
	if (o->align)
		sz += scnprintf(buf + sz, len - sz, " align:%u", o->align);
	if (o->dust_bs)
		sz += scnprintf(buf + sz, len - sz, " dust:%u", o->dust_bs);
	if (o->max_discard)
		sz += scnprintf(buf + sz, len - sz, " max_discard:%u", o->max_discard);
	if (o->discard_granularity)
		sz += scnprintf(buf + sz, len - sz, " discard_granularity:%u",
				o->discard_granularity);
	if (o->max_write_zeroes)
		sz += scnprintf(buf + sz, len - sz, " max_write_zeroes:%u", o->max_write_zeroes);
	return sz;
}

/* The canonical word of a rule: parsing it gives the same rule back. */
int inj_format_rule(const struct inj_rule *r, char *buf, size_t len)
{
	int sz = 0;
	unsigned int i;

	if (!len)
		return 0;
	sz += scnprintf(buf + sz, len - sz, "%s:event", type_names[r->type]);
	if (r->events == INJ_EV_ALL) {
		sz += scnprintf(buf + sz, len - sz, "=any");
	} else {
		char sep = '=';

		for (i = 0; i < INJ_EV_NR; i++) {
			if (r->events & INJ_EV_BIT(i)) {
				sz += scnprintf(buf + sz, len - sz, "%c%s", sep, event_names[i]);
				sep = '+';
			}
		}
	}
	if (r->has_block)
		sz += scnprintf(buf + sz, len - sz, ",block=%llu", (unsigned long long)r->block);
	else if (r->has_range == 1)
		sz += scnprintf(buf + sz, len - sz, ",sector=%llu", (unsigned long long)r->lo);
	else if (r->has_range == 2)
		sz += scnprintf(buf + sz, len - sz, ",sectors=%llu-%llu",
				(unsigned long long)r->lo, (unsigned long long)r->hi);
	if (r->state)
		sz += scnprintf(buf + sz, len - sz, ",state=%d", r->state);
	if (r->count_mode == INJ_COUNT_ONCE)
		sz += scnprintf(buf + sz, len - sz, ",once");
	else if (r->count_mode != INJ_COUNT_ALL)
		sz += scnprintf(buf + sz, len - sz, ",%s=%llu",
				r->count_mode == INJ_COUNT_NTH ? "nth" : "every",
				(unsigned long long)r->count_n);
	if (r->probability)
		sz += scnprintf(buf + sz, len - sz, ",probability=%u", r->probability);
	if (r->has_window)
		sz += scnprintf(buf + sz, len - sz, ",up=%u,down=%u%s", r->up_s, r->down_s,
				r->window_from == INJ_FROM_RESUME ? ",from=resume" : "");
	if (r->req_flags) {
		char sep = '=';

		sz += scnprintf(buf + sz, len - sz, ",flags");
		for (i = 0; i < ARRAY_SIZE(flag_names); i++) {
			if (r->req_flags & (1U << i)) {
				sz += scnprintf(buf + sz, len - sz, "%c%s", sep, flag_names[i]);
				sep = '+';
			}
		}
	}

	switch (r->type) {
	case INJ_ERROR:
		sz += scnprintf(buf + sz, len - sz, ",errno=%d%s", r->err,
				r->when == INJ_WHEN_IMMEDIATELY ? ",immediately" :
				r->when == INJ_WHEN_AFTER ? ",after" : "");
		if (r->heal && r->heal_n)
			sz += scnprintf(buf + sz, len - sz, ",heal=%u", r->heal_n);
		else if (r->heal)
			sz += scnprintf(buf + sz, len - sz, ",heal");
		break;
	case INJ_DELAY: {
		u32 div = r->delay_in_ms ? 1000 : 1;
		const char *unit = r->delay_in_ms ? "ms" : "us";

		sz += scnprintf(buf + sz, len - sz, ",%s=%llu", unit,
				(unsigned long long)(r->delay_us / div));
		for (i = 0; i < INJ_DC_NR; i++)
			if (r->delay_cls_set & (1U << i))
				sz += scnprintf(buf + sz, len - sz, ",%s=%llu", delay_classes[i],
						(unsigned long long)(r->delay_cls_us[i] / div));
		if (r->jitter_us)
			sz += scnprintf(buf + sz, len - sz, ",jitter=%u", r->jitter_us / div);
		break;
	}
	case INJ_CORRUPT:
		sz += scnprintf(buf + sz, len - sz, ",mode=%s,bytes=%u",
				corrupt_modes[r->corrupt_mode], r->corrupt_bytes);
		if (r->corrupt_offset >= 0)
			sz += scnprintf(buf + sz, len - sz, ",offset=%lld",
					(long long)r->corrupt_offset);
		if (r->corrupt_mode == INJ_CORRUPT_SET)
			sz += scnprintf(buf + sz, len - sz, ",value=%u", r->corrupt_value);
		break;
	case INJ_TORN:
		/* 0: one block, until inj_rule_fit() has seen the device */
		if (r->torn_sectors)
			sz += scnprintf(buf + sz, len - sz, ",sectors=%u", r->torn_sectors);
		if (r->silent)
			sz += scnprintf(buf + sz, len - sz, ",silent");
		else
			sz += scnprintf(buf + sz, len - sz, ",errno=%d", r->err);
		break;
	case INJ_MISDIRECT:
		sz += scnprintf(buf + sz, len - sz, ",shift=%lld", (long long)r->shift);
		break;
	case INJ_BREAK:
		sz += scnprintf(buf + sz, len - sz, ",tag=%s", r->tag);
		break;
	}
	if (r->new_state)
		sz += scnprintf(buf + sz, len - sz, ",new_state=%d", r->new_state);
	return sz;
}

/* The events a rule is indexed under: its own, and the writes that heal it. */
static u32 inj_index_events(const struct inj_rule *r)
{
	return r->events | (r->heal ? INJ_EV_HEAL : 0);
}

/*
 * Index a rule array (table order) by event. The ruleset references the
 * rules; inj_ruleset_free() leaves them alone, inj_ruleset_free_all() does
 * not.
 */
struct inj_ruleset *inj_ruleset_build(struct inj_rule **rules, u32 nr)
{
	struct inj_ruleset *rs;
	struct inj_rule **slot;
	size_t total = nr;
	u32 i, e;

	for (i = 0; i < nr; i++)
		for (e = 0; e < INJ_EV_NR; e++)
			total += !!(inj_index_events(rules[i]) & INJ_EV_BIT(e));

	rs = inj_zalloc(sizeof(*rs) + total * sizeof(*slot));
	if (!rs)
		return NULL;
	slot = (struct inj_rule **)(rs + 1);
	rs->nr = nr;
	rs->rules = slot;
	if (nr)
		memcpy(slot, rules, nr * sizeof(*slot));
	slot += nr;

	for (e = 0; e < INJ_EV_NR; e++) {
		struct inj_evlist *l = &rs->ev[e];

		l->rules = slot;
		l->lo = U64_MAX;
		l->hi = 0;
		for (i = 0; i < nr; i++) {
			struct inj_rule *r = rules[i];

			if (!(inj_index_events(r) & INJ_EV_BIT(e)))
				continue;
			l->rules[l->nr++] = r;
			if (!r->has_range) {
				l->lo = 0;
				l->hi = U64_MAX;
			} else if (l->hi != U64_MAX) {
				if (r->lo < l->lo)
					l->lo = r->lo;
				if (r->hi > l->hi)
					l->hi = r->hi;
			}
		}
		if (l->nr)
			rs->ev_mask |= INJ_EV_BIT(e);
		slot += l->nr;
		if (l->nr >= INJ_INDEX_MIN) {
			l->index = inj_index_build(l->rules, l->nr);
			if (!l->index) {
				inj_ruleset_free(rs);
				return NULL;
			}
		}
	}
	return rs;
}

/* Drop a reference to @r; the last one frees it. */
void inj_rule_put(struct inj_rule *r)
{
	if (inj_ref_put(&r->ref))
		kfree(r);
}

void inj_ruleset_free(struct inj_ruleset *rs)
{
	u32 e;

	if (!rs)
		return;
	for (e = 0; e < INJ_EV_NR; e++)
		inj_index_free(rs->ev[e].index);
	inj_free(rs);
}

void inj_ruleset_free_all(struct inj_ruleset *rs)
{
	u32 i;

	if (!rs)
		return;
	for (i = 0; i < rs->nr; i++)
		inj_rule_put(rs->rules[i]);
	inj_ruleset_free(rs);
}

int inj_ruleset_find(const struct inj_ruleset *rs, u32 id)
{
	u32 i;

	for (i = 0; i < rs->nr; i++)
		if (rs->rules[i]->id == id)
			return i;
	return -1;
}

void inj_engine_init(struct inj_engine *eng, u64 seed)
{
	inj_state_set(&eng->state, 1);
	inj_state_set(&eng->dust_on, 0);
	inj_ctr_set(&eng->load_ns, 0);
	inj_ctr_set(&eng->resume_ns, 0);
#ifdef __KERNEL__
	spin_lock_init(&eng->prng_lock);
#endif
	dmtk_prng_seed(&eng->prng, seed);
}

u64 inj_engine_next(struct inj_engine *eng)
{
	u64 v;
#ifdef __KERNEL__
	unsigned long flags;

	spin_lock_irqsave(&eng->prng_lock, flags);
	v = dmtk_prng_next(&eng->prng);
	spin_unlock_irqrestore(&eng->prng_lock, flags);
#else
	v = dmtk_prng_next(&eng->prng);
#endif
	return v;
}

/* Uniform in [0, bound); bound must be non-zero. */
u32 inj_engine_below(struct inj_engine *eng, u32 bound)
{
	return (u32)(((inj_engine_next(eng) >> 32) * (u64)bound) >> 32);
}

/* Conditions that depend only on the request and the rule. */
static bool static_match(const struct inj_rule *r, const struct inj_req *req, u64 dev_len)
{
	if ((req->flags & r->req_flags) != r->req_flags)
		return false;
	if (r->has_range &&
	    (!req->nr_sectors || req->sector > r->hi ||
	     req->sector + req->nr_sectors - 1 < r->lo))
		return false;

	switch (r->type) {
	case INJ_TORN:
		return req->nr_sectors > r->torn_sectors;
	case INJ_MISDIRECT:
		return (s64)req->sector + r->shift >= 0 &&
		       (s64)(req->sector + req->nr_sectors) + r->shift <= (s64)dev_len;
	case INJ_CORRUPT:
		return req->nr_sectors && (r->corrupt_offset < 0 ||
					   (u64)r->corrupt_offset < req->nr_sectors * 512);
	}
	return true;
}

/*
 * Whether @now lies in the down part of a window: dm-flakey's cycle of up=
 * seconds passing requests, then down= seconds in which the rule acts,
 * from the table load or the last resume (from=).
 */
static bool window_down(const struct inj_rule *r, const struct inj_engine *eng, u64 now)
{
	u64 epoch = inj_ctr_read(r->window_from == INJ_FROM_RESUME ? &eng->resume_ns :
				 &eng->load_ns);
	u64 period = ((u64)r->up_s + r->down_s) * NSEC_PER_SEC, rem;

	div64_u64_rem(now > epoch ? now - epoch : 0, period, &rem);
	return rem >= (u64)r->up_s * NSEC_PER_SEC;
}

static bool count_match(struct inj_rule *r)
{
	s64 n;

	if (r->count_mode == INJ_COUNT_ALL)
		return true;
	n = inj_ctr_inc(&r->matches);
	if (r->count_mode == INJ_COUNT_EVERY)
		return !(n % r->count_n);
	return (u64)n == r->count_n;
}

/*
 * The rule that acts on @req, or NULL. Rules are tried in table order; every
 * rule sees the state the request found, state rules (and any acting rule
 * with new_state) transition once the walk is over, the last one winning,
 * as in blkdebug.
 *
 * The transition is a compare-and-exchange from the state the walk found:
 * of concurrent requests that found the same state and want to move it,
 * one does; the others' walks are void, as if they had come after it, and
 * are done again in the new state. So a transition happens once however
 * many requests race for it, and hits only count walks that stood. A voided
 * walk's counting conditions and probability draws are not taken back: a
 * request that lost a race has been counted by the rules it met twice.
 */
struct inj_rule *inj_evaluate(const struct inj_ruleset *rs, struct inj_engine *eng,
			      const struct inj_req *req, u64 dev_len)
{
	const struct inj_evlist *l;
	struct inj_rule *act, *move;
	u32 cand[INJ_INDEX_CAND], nc, lim, i;
	int state;

	if (!inj_may_match(rs, req))
		return NULL;
	l = &rs->ev[req->ev];
	/* Only the rules that can match, in table order (inject-index.c). */
	nc = l->index ? inj_index_lookup(l->index, req->sector, req->nr_sectors, cand) :
			INJ_INDEX_ALL;
	lim = nc == INJ_INDEX_ALL ? l->nr : nc;

again:
	act = NULL;
	move = NULL;
	state = inj_state_read(&eng->state);
	for (i = 0; i < lim; i++) {
		struct inj_rule *r = l->rules[nc == INJ_INDEX_ALL ? i : cand[i]];

		if (r->state && r->state != state)
			continue;
		if (r->has_block && !inj_state_read(&eng->dust_on))
			continue;
		if (r->has_window && !window_down(r, eng, req->now_ns))
			continue;
		if (r->heal) {
			if (inj_rule_healed(r))
				continue;
			/*
			 * A write to the range: the first heal_n fail, the
			 * next heals the rule and goes on down the walk.
			 */
			if (INJ_EV_BIT(req->ev) & INJ_EV_HEAL) {
				if (!static_match(r, req, dev_len) ||
				    (u64)inj_ctr_inc(&r->writes) > r->heal_n)
					continue;
				if (r->new_state)
					move = r;
				act = r;
				break;
			}
		}
		if (!static_match(r, req, dev_len) || !count_match(r))
			continue;
		if (r->probability && inj_engine_below(eng, 100) >= r->probability)
			continue;
		if (r->new_state)
			move = r;
		if (r->type != INJ_STATE) {
			act = r;
			break;
		}
	}
	if (move) {
		if (!inj_state_cmpxchg(&eng->state, state, move->new_state))
			goto again;
		if (move != act)
			inj_ctr_inc(&move->hits);
	}
	if (act)
		inj_ctr_inc(&act->hits);
	return act;
}
