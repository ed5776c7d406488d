/* SPDX-License-Identifier: MIT */
/*
 * journal: the undo log that makes a command on shared state all or
 * nothing when the process running it dies (docs/DESIGN.md, "Crash
 * safety").
 *
 * Concepts
 * --------
 * region    The shared memory a journal protects: [lo, fresh) holds what
 *           existed when the command began; memory above `fresh` (the
 *           arena's break then) is new in this command and needs no undo.
 * save      uio_j_save(p, n) before the first store of a command to bytes
 *           [p, p + n) of the region: a record (address, length, the old
 *           bytes) is appended, then published by one store of `used`.
 *           Saves outside the region (stacks, the heap, new memory) and
 *           saves with no command under way are free and do nothing.
 *           A save already made in this command (same address, at least
 *           as long) is mostly not repeated.
 * commit    `used = 0`, one aligned store, at the end of the command (just
 *           before its unlock). A process that dies before it leaves the
 *           records; the next locker undoes them, newest first, restoring
 *           the region as it was when the command began.
 * gen       Counts commands begun. The arena stamps a freed block with it,
 *           so a block freed and reused within one command is saved whole.
 * kill      uio_kill_point(): when armed with N (uiommufd_kill_nth), the
 *           Nth point this process passes SIGKILLs it; the crash sweep
 *           (test/unit/test_crash.c) does this at every save.
 *
 * The current journal is per thread: the lock of a context makes its
 * journal current (uio_j_begin) and the unlock commits it (uio_j_commit).
 */
#ifndef UIO_JOURNAL_H
#define UIO_JOURNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Saves made in this command, to skip repeating them: one probe of a
 * small table indexed by the offset (an entry of an older command does
 * not count: gen).
 */
#define UIO_J_SLOTS 64

struct uio_jslot {
	uintptr_t addr;
	uint64_t gen;
	uint64_t len;
};

struct uio_journal {
	/* Bytes of records; 0 when nothing is to be undone. */
	volatile uint64_t used;
	uint64_t gen;
	uintptr_t lo;
	uintptr_t fresh;
	const uintptr_t *brk;      /* the arena's break */
	char *rec;                 /* the record area, cap bytes */
	uint64_t cap;
	uint64_t high;             /* most record bytes a command used since the last trim */
	/* process-local: record bytes the lock holder can write (uio_j_mem) */
	uint64_t room;
	uint32_t overflowed;       /* a command outgrew rec: it cannot be undone */
	uint32_t pad_;
	struct uio_journal *prev;  /* process-local: the locker's previous one */
	struct uio_jslot slots[UIO_J_SLOTS];
};

/* The journal of the command this thread runs, or NULL. */
extern __thread struct uio_journal *uio_j_cur
	__attribute__((tls_model("initial-exec")));

void uio_j_save_slow(struct uio_journal *j, const void *p, size_t n);

/* Keep the old contents of [p, p + n) for undo; call before storing there. */
static inline void uio_j_save(const void *p, size_t n)
{
	struct uio_journal *j = uio_j_cur;

	if (j && (uintptr_t)p - j->lo < j->fresh - j->lo)
		uio_j_save_slow(j, p, n);
}

#define UIO_J(ptr) uio_j_save((ptr), sizeof(*(ptr)))

/*
 * Keep the old contents of the n 8-byte words at words[0..n) (8-byte
 * aligned, in any order), as one record: for the scattered words a walk
 * to a tree's root stores. Words outside the region are left out.
 */
void uio_j_save_words(void *const *words, size_t n);

/* The current command's number, 0 outside commands. */
static inline uint64_t uio_j_gen(void)
{
	return uio_j_cur ? uio_j_cur->gen : 0;
}

/*
 * Set up j for the region [lo, ...) whose new memory starts at *brk, with
 * records in [rec, rec + cap).
 */
void uio_j_init(struct uio_journal *j, uintptr_t lo, const uintptr_t *brk,
		void *rec, uint64_t cap);
/*
 * Where the region's owner maps the record area in parts, as a context
 * does (ctx.c): room(j, bytes) makes at least [rec, rec + bytes) usable in
 * this process and returns how much is (room(j, 0): how much is now), or
 * -errno; trim(j, keep) gives back what lies past rec + keep, contents
 * and all, and returns how much stays usable. Process-wide, set once.
 * Without it the whole record area is usable.
 */
struct uio_j_mem {
	int64_t (*room)(struct uio_journal *j, uint64_t bytes);
	int64_t (*trim)(struct uio_journal *j, uint64_t keep);
};
void uio_j_set_mem(const struct uio_j_mem *mem);
/*
 * Benchmarks only (bench_journal): while set, the commands this process
 * begins run without a journal, as before crash safety; a process killed
 * in one leaves torn state. Change it only between commands.
 */
extern bool uio_j_off;
/* A command begins on j (its lock is held): j becomes this thread's. */
void uio_j_begin(struct uio_journal *j);
/* The command is complete: nothing to undo; the previous journal returns. */
void uio_j_commit(struct uio_journal *j);
/*
 * Undo what j records, newest first (the lock's previous owner died).
 * 1 if something was undone, 0 if nothing was, -1 if the records are
 * incomplete (the command overflowed the journal): then nothing is undone.
 */
int uio_j_undo(struct uio_journal *j);
/* Undo without clearing, for the verifier: 0, or -1 as uio_j_undo. */
int uio_j_replay(struct uio_journal *j);

/*
 * Kill points: disarmed, one relaxed load. Armed with N, the Nth point
 * passed in this process kills it with SIGKILL.
 */
extern atomic_ullong uio_kill_target;
void uio_kill_point_armed(void);
static inline void uio_kill_point(void)
{
	if (__builtin_expect(atomic_load_explicit(&uio_kill_target,
						  memory_order_relaxed) != 0, 0))
		uio_kill_point_armed();
}
/* Points passed since the last arming (the sweep's count). */
unsigned long long uio_kill_points_passed(void);

#endif
