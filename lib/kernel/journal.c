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

void uio_j_init(struct uio_journal *j, uintptr_t lo, const uintptr_t *brk,
		void *rec, uint64_t cap)
{
	memset(j, 0, sizeof(*j));
	j->lo = lo;
	j->brk = brk;
	j->rec = rec;
	j->cap = cap;
	j->fresh = lo;
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
	if (__builtin_expect(j->overflowed || sz > j->cap - used, 0)) {
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
		uio_sys_madvise(j->rec + UIO_J_KEEP, j->high - UIO_J_KEEP,
				MADV_REMOVE);
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
		memcpy((void *)a, r + UIO_J_HDR, len);
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
