// SPDX-License-Identifier: MIT
/*
 * The undo journal; see journal.h and docs/DESIGN.md ("Crash safety").
 *
 * Record: [address u64][length u64][old bytes, padded to 8][record size
 * u64]. The trailing size lets undo walk newest first. A record is written
 * in full, then published by one store of `used`; the store it protects
 * comes after. A process killed anywhere therefore leaves every store it
 * made to old memory covered by a published record.
 */
#include "journal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <uiommufd/uiommufd.h>

#include "kernel.h"
#include "sys.h"

__thread struct uio_journal *uio_j_cur
	__attribute__((tls_model("initial-exec")));

/* Record bytes kept backed after a command; more is given back. */
#define UIO_J_KEEP (256u << 10)
#define UIO_J_HDR 16u
#define UIO_J_TRAILER 8u
/* A record's address for a record of words (uio_j_save_words). */
#define UIO_J_WORDS 1u

static const struct uio_j_mem *uio_j_mem;

void uio_j_set_mem(const struct uio_j_mem *mem)
{
	__atomic_store_n(&uio_j_mem, mem, __ATOMIC_RELEASE);
}

void uio_j_init(struct uio_journal *j, uintptr_t lo, const uintptr_t *brk,
		void *rec, uint64_t cap)
{
	memset(j, 0, sizeof(*j));
	j->lo = lo;
	j->brk = brk;
	j->rec = rec;
	j->cap = cap;
	j->room = cap;
	j->fresh = lo;
}

/* Make [rec, rec + bytes) writable here; false if it cannot be. */
static bool uio_j_grow(struct uio_journal *j, uint64_t bytes)
{
	const struct uio_j_mem *mem = __atomic_load_n(&uio_j_mem,
						      __ATOMIC_ACQUIRE);
	int64_t r = mem ? mem->room(j, bytes) : -1;

	if (r < 0 || (uint64_t)r < bytes)
		return false;
	j->room = (uint64_t)r;
	return true;
}

void uio_j_save_slow(struct uio_journal *j, const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, off = a - j->lo;
	/* By offset: the same command saves the same way in any context. */
	struct uio_jslot *s = &j->slots[((off >> 4) ^ (off >> 10)) &
					(UIO_J_SLOTS - 1)];
	uint64_t used = j->used, len, words, sz;
	uint64_t *r;

	/* The part above the break is new memory. */
	if (n > j->fresh - a)
		n = j->fresh - a;
	if (s->addr == a && s->gen == j->gen && s->len >= n)
		return;
	len = n;
	words = (len + 7) / 8;
	sz = UIO_J_HDR + words * 8 + UIO_J_TRAILER;
	if (__builtin_expect(j->overflowed || sz > j->cap - used ||
			     (sz > j->room - used && !uio_j_grow(j, used + sz)),
			     0)) {
		/* Unable to record: the command cannot be undone. */
		j->overflowed = 1;
		return;
	}
	r = (uint64_t *)(j->rec + used);
	r[0] = a;
	r[1] = len;
	/*
	 * Whole words, the last one maybe past the saved bytes (still inside
	 * the region: p + n <= fresh, below the arena's end); undo writes back
	 * len bytes only.
	 */
	if (words <= 32) {
		const char *src = p;

		for (uint64_t k = 0; k < words; k++)
			__builtin_memcpy(r + 2 + k, src + 8 * k, 8);
	} else {
		memcpy(r + 2, p, len);
	}
	r[words + 2] = sz;
	/* The record is whole before it counts, and counts before the store. */
	atomic_signal_fence(memory_order_seq_cst);
	j->used = used + sz;
	atomic_signal_fence(memory_order_seq_cst);
	s->addr = a;
	s->gen = j->gen;
	s->len = len;
	uio_kill_point();
}

/*
 * Record: [UIO_J_WORDS][16 * k][k pairs (address, old word)][record size].
 * One record for words a walk finds one by one, at the cost of a save.
 */
void uio_j_save_words(void *const *words, size_t n)
{
	struct uio_journal *j = uio_j_cur;
	uint64_t used, sz, k = 0, *r;

	if (!j || !n)
		return;
	used = j->used;
	sz = UIO_J_HDR + 16 * (uint64_t)n + UIO_J_TRAILER;
	if (__builtin_expect(j->overflowed || sz > j->cap - used ||
			     (sz > j->room - used && !uio_j_grow(j, used + sz)),
			     0)) {
		j->overflowed = 1;
		return;
	}
	r = (uint64_t *)(j->rec + used);
	for (size_t i = 0; i < n; i++) {
		uintptr_t a = (uintptr_t)words[i];

		/* Only old memory (the break, so fresh, is 16-aligned). */
		if (a - j->lo >= j->fresh - j->lo)
			continue;
		r[2 + 2 * k] = a;
		memcpy(&r[3 + 2 * k], words[i], 8);
		k++;
	}
	if (!k)
		return;
	r[0] = UIO_J_WORDS;
	r[1] = 16 * k;
	sz = UIO_J_HDR + 16 * k + UIO_J_TRAILER;
	r[2 + 2 * k] = sz;
	atomic_signal_fence(memory_order_seq_cst);
	j->used = used + sz;
	atomic_signal_fence(memory_order_seq_cst);
	uio_kill_point();
}

bool uio_j_off;

void uio_j_begin(struct uio_journal *j)
{
	j->prev = uio_j_cur;
	if (__builtin_expect(uio_j_off, 0)) {
		uio_j_cur = NULL;
		return;
	}
	j->gen++;
	j->overflowed = 0;
	j->fresh = *j->brk;
	{
		const struct uio_j_mem *mem =
			__atomic_load_n(&uio_j_mem, __ATOMIC_ACQUIRE);
		int64_t r = mem ? mem->room(j, 0) : (int64_t)j->cap;

		j->room = r > 0 ? (uint64_t)r : 0;
	}
	uio_j_cur = j;
}

void uio_j_commit(struct uio_journal *j)
{
	uint64_t used = j->used;

	if (__builtin_expect(uio_j_cur != j, 0)) {
		/* Begun with uio_j_off. */
		uio_j_cur = j->prev;
		j->prev = NULL;
		return;
	}
	/* Every store made, none committed. */
	uio_kill_point();
	atomic_signal_fence(memory_order_seq_cst);
	j->used = 0;
	atomic_signal_fence(memory_order_seq_cst);
	/* Committed, the lock still held. */
	uio_kill_point();
	if (used > j->high)
		j->high = used;
	if (j->high > UIO_J_KEEP) {
		/* A big command: give the record pages back to the system. */
		const struct uio_j_mem *mem =
			__atomic_load_n(&uio_j_mem, __ATOMIC_ACQUIRE);

		if (mem) {
			int64_t r = mem->trim(j, UIO_J_KEEP);

			j->room = r > 0 ? (uint64_t)r : 0;
		} else {
			uio_sys_madvise(j->rec + UIO_J_KEEP,
					j->high - UIO_J_KEEP, MADV_REMOVE);
		}
		j->high = UIO_J_KEEP;
	}
	uio_j_cur = j->prev;
	j->prev = NULL;
}

static int uio_j_replay_points(struct uio_journal *j, bool points)
{
	uint64_t end = j->used;

	if (!end)
		return 0;
	if (j->overflowed || end > j->cap)
		return -1;
	/* Check the chain first: nothing is written unless all of it is sound. */
	for (uint64_t e = end; e;) {
		uint64_t sz;

		memcpy(&sz, j->rec + e - UIO_J_TRAILER, 8);
		if (sz < UIO_J_HDR + UIO_J_TRAILER || sz > e || sz % 8)
			return -1;
		e -= sz;
	}
	while (end) {
		uint64_t sz, a, len;
		char *r;

		memcpy(&sz, j->rec + end - UIO_J_TRAILER, 8);
		r = j->rec + end - sz;
		memcpy(&a, r, 8);
		memcpy(&len, r + 8, 8);
		if (a == UIO_J_WORDS) {
			/* (address, old word) pairs, each put back. */
			for (uint64_t k = 0; k + 16 <= len; k += 16) {
				uint64_t wa;

				memcpy(&wa, r + UIO_J_HDR + k, 8);
				memcpy((void *)wa, r + UIO_J_HDR + k + 8, 8);
			}
		} else {
			memcpy((void *)a, r + UIO_J_HDR, len);
		}
		end -= sz;
		/* The recovering process may die too: the sweep's second level. */
		if (points)
			uio_kill_point();
	}
	return 1;
}

int uio_j_replay(struct uio_journal *j)
{
	return uio_j_replay_points(j, false);
}

int uio_j_undo(struct uio_journal *j)
{
	int rc = uio_j_replay_points(j, true);

	/* Killed here, the next locker replays the same records again. */
	atomic_signal_fence(memory_order_seq_cst);
	if (rc >= 0)
		j->used = 0;
	return rc;
}

/* ------------------------------------------------------------------ */
/* kill points */

atomic_ullong uio_kill_target;        /* 0: disarmed */
static atomic_ullong uio_kill_count;  /* points passed since arming */

__attribute__((constructor)) static void uio_kill_env(void)
{
	const char *v = getenv("UIOMMUFD_KILL_NTH");

	if (v && *v)
		atomic_store(&uio_kill_target, strtoull(v, NULL, 0));
}

void uio_kill_point_armed(void)
{
	unsigned long long target = atomic_load(&uio_kill_target);

	if (target && atomic_fetch_add(&uio_kill_count, 1) + 1 == target)
		UIO_SYS(SYS_kill, UIO_SYS(SYS_getpid), SIGKILL);
}

unsigned long long uio_kill_points_passed(void)
{
	return atomic_load(&uio_kill_count);
}

UIO_EXPORT void uiommufd_kill_nth(unsigned long long n)
{
	atomic_store(&uio_kill_target, 0);
	atomic_store(&uio_kill_count, 0);
	atomic_store(&uio_kill_target, n);
}

UIO_EXPORT unsigned long long uiommufd_kill_points(void)
{
	return uio_kill_points_passed();
}
