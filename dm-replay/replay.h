/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-replay's private header: the target's state, shared by the glue
 * (replay-target.c), record mode (replay-record.c) and play mode
 * (replay-play.c).
 */
#ifndef DM_REPLAY_H
#define DM_REPLAY_H

#include <linux/device-mapper.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/mempool.h>
#include <linux/workqueue.h>

#include "dm-replay-log.h"
#include "dm-log-writes-format.h"

#define DM_MSG_PREFIX "replay"

/* Writes are split to this size, so one log entry holds any write. */
#define REPLAY_MAX_IO_SECTORS	1024U
#define REPLAY_MAX_DATA_PAGES	(REPLAY_MAX_IO_SECTORS * SECTOR_SIZE / PAGE_SIZE)
/* The most pages one mapper draws: a write's entry and a spare completion entry. */
#define REPLAY_POOL_PAGES	(1 + REPLAY_MAX_DATA_PAGES + 2)
#define REPLAY_MIN_LOG_BLOCKS	2	/* the superblock and one entry header */
#define REPLAY_DEF_PENDING_MB	16
#define REPLAY_MAX_PENDING_MB	1024
#define REPLAY_ENTRY_POOL	16
#define REPLAY_BIO_POOL		16
/* The writer gathers a batch this long after the first entry of it. */
#define REPLAY_BATCH_JIFFIES	1

/* Play mode: records held in memory, and how far ahead a request is matched. */
#define REPLAY_PLAY_MAX_RECORDS	BIT(22)
#define REPLAY_PLAY_WINDOW	1024
#define REPLAY_DEF_TIMEOUT_MS	10000
#define REPLAY_MAX_TIMEOUT_MS	3600000

/* Options given in the table, to show them back in the same form. */
#define REPLAY_OPT_ON_FULL	BIT(0)
#define REPLAY_OPT_PENDING	BIT(1)
#define REPLAY_OPT_ON_DIV	BIT(2)
#define REPLAY_OPT_TIMEOUT	BIT(3)
#define REPLAY_OPT_NO_COMP	BIT(4)
#define REPLAY_OPT_FORMAT	BIT(5)

enum replay_mode { REPLAY_RECORD, REPLAY_PLAY };

enum replay_play_state { PLAY_PLAYING, PLAY_DIVERGED, PLAY_DONE };

extern const char * const replay_play_state_names[];
extern const char * const replay_state_names[];

struct replay_c;

struct replay_entry {
	struct list_head list;
	struct replay_c *rc;
	struct dmr_rec rec;
	sector_t log_sectors;		/* log space reserved for it */
	unsigned int nr_pages;		/* header page and data pages */
	bool ready;			/* a flush waits in the queue until done */
	bool failed;			/* a flush that failed: not logged */
	bool commit;			/* the superblock is written after it */
	struct replay_bio *held;	/* completes once it is committed */
	struct completion *done;	/* a mark's sender waits for the commit */
	int *result;
	struct page *pages[1 + REPLAY_MAX_DATA_PAGES];
	/* Not cleared on reuse (replay-record.c, replay_entry_put_locked()): */
	unsigned int nr_kept;		/* cached: pages it kept, pages[0] on */
	bool hdr_zero;			/* pages[0] is zero past the header */
};

/* Play mode: the recorded completion order and where the workload is in it. */
struct replay_play {
	spinlock_t lock;		/* protects everything below but the works */
	struct dmr_crec *recs;		/* kvmalloc'd, nr of them */
	unsigned long *claimed;		/* matched to a request */
	unsigned long *done;		/* completion delivered */
	u64 nr;
	u64 next;			/* first entry not delivered */
	u64 scan;			/* first entry not claimed */
	u64 diverged_at;
	enum replay_play_state state;
	bool enforcing;			/* holding completions */
	bool bypass;			/* suspending: deliver at once */
	bool fail_on_divergence;
	bool releasing;			/* release_work is delivering */
	struct list_head held;		/* completions waiting their turn */
	struct list_head release;	/* in order, for release_work */
	unsigned int timeout_ms;
	u64 timer_next;			/* next when the timer was armed */
	struct workqueue_struct *wq;
	struct work_struct release_work;
	struct work_struct event_work;
	struct delayed_work timeout_work;
};

struct replay_c {
	struct dm_dev *dev;
	struct dm_dev *logdev;
	struct dm_target *ti;
	enum replay_mode mode;
	unsigned int opts;
	bool lw;			/* format:log-writes (replay-lw.c) */
	bool error_on_full;
	unsigned int max_pending_mb;
	unsigned int max_pending_pages;
	unsigned int block_size;
	unsigned int block_sectors;
	sector_t log_sectors;
	u64 log_id;

	spinlock_t lock;		/* protects the fields up to log_inflight */
	struct list_head queue;		/* entries in log order */
	unsigned int queued_pages;	/* pages of entries in the queue */
	unsigned int batch_pages;	/* wake the writer at this many */
	bool writer_idle;		/* asleep with nothing queued */
	bool urgent;			/* a flush or mark waits: write now */
	struct replay_entry *comp_cur;	/* completion records being filled */
	struct list_head comp_spare;	/* empty completion entries */
	unsigned int comp_parked;	/* entries in comp_cur and comp_spare */
	unsigned int comp_free;		/* record slots not promised yet */
	u64 comp_seq;			/* next completion sequence number */
	u64 comp_recs;			/* completion records filled so far */
	sector_t reserved;		/* log sectors used or promised */
	unsigned int pending_pages;	/* pages held by live entries */
	enum dmr_state state;
	bool state_changed;		/* the superblock must learn the state */
	u64 failed_seq;			/* first entry whose log write failed */

	atomic_t log_inflight;		/* log writes submitted, not completed */
	atomic_t live;			/* entries allocated, not freed */
	wait_queue_head_t space_wait;	/* map waiting for pending_pages */
	wait_queue_head_t inflight_wait;
	wait_queue_head_t idle_wait;

	struct mutex log_lock;		/* serialises writing the log */
	u64 nr_entries;			/* entries submitted to the log */
	sector_t next_sector;
	u64 sb_entries;			/* as last written to the superblock */
	enum dmr_state sb_state;
	bool started;
	bool superseded;		/* a newer recording owns the log */
	struct list_head recordings;	/* on replay_recordings */

	struct mutex pool_lock;		/* one drawer at a time from page_pool */
	mempool_t page_pool;
	mempool_t entry_pool;
	spinlock_t cache_lock;		/* protects the caches below */
	struct list_head page_cache;	/* pages for reuse, on page->lru */
	unsigned int nr_cached_pages;
	struct list_head entry_cache;	/* entries for reuse */
	unsigned int nr_cached_entries;
	struct bio_set bs;
	struct page *sb_page;
	struct task_struct *writer;

	struct replay_play play;
};

enum replay_bio_play { PB_NONE, PB_MATCHED, PB_HELD, PB_RELEASED };

struct replay_bio {
	struct replay_entry *entry;
	struct replay_entry *seal;	/* PREFLUSH/FUA: spare completion entry */
	bool comp;			/* a completion record slot is promised */
	struct dmr_crec crec;		/* the request, as mapped */
	u8 play;			/* enum replay_bio_play */
	u64 idx;			/* play: the entry it matched */
	struct list_head list;		/* play: held or release list */
};

/*
 * A bio of the target's own to the log device. dm polls only its clones of
 * the requests it was given (REQ_POLLED), never a bio a target allocates:
 * this one completes by interrupt.
 */
static inline struct bio *replay_log_bio(struct replay_c *rc, unsigned short nr_vecs,
					 blk_opf_t opf, gfp_t gfp)
{
	struct bio *bio = bio_alloc_bioset(rc->logdev->bdev, nr_vecs, opf, gfp, &rc->bs);

	bio_clear_polled(bio);
	return bio;
}

/*
 * Whether requests' completions are recorded: not with no_completions, nor
 * in the dm-log-writes format, which has no place for them.
 */
static inline bool replay_records_completions(const struct replay_c *rc)
{
	return !(rc->opts & REPLAY_OPT_NO_COMP) && !rc->lw;
}

/* replay-target.c */
bool replay_bio_crec(struct bio *bio, struct dmr_crec *c);

/* replay-record.c */
int replay_record_init(struct replay_c *rc, char **error);
void replay_record_dtr(struct replay_c *rc);
int replay_record_map(struct replay_c *rc, struct bio *bio, struct replay_bio *pb);
int replay_record_end_io(struct replay_c *rc, struct replay_bio *pb, blk_status_t *error);
int replay_mark(struct replay_c *rc, const char *name);
void replay_record_postsuspend(struct replay_c *rc);
int replay_record_preresume(struct replay_c *rc);

/* replay-play.c */
int replay_play_init(struct replay_c *rc, char **error);
void replay_play_exit(struct replay_play *p);
int replay_play_load(struct replay_c *rc, char **error);
int replay_play_map(struct replay_c *rc, struct bio *bio, struct replay_bio *pb);
int replay_play_end_io(struct replay_c *rc, struct replay_bio *pb);
void replay_play_presuspend(struct replay_c *rc);
void replay_play_preresume(struct replay_c *rc);

#endif /* DM_REPLAY_H */
