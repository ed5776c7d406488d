// SPDX-License-Identifier: MIT
/*
 * The journal verifier, for tests (UIOMMUFD_JOURNAL_VERIFY=1): every
 * command is undone at its unlock, in place, and the context compared with
 * a copy taken at its lock; then the command's state is put back and it
 * commits as usual. A store the journal missed shows up as bytes that the
 * undo did not bring back, reported with their offset in the context and
 * the command, and the process aborts. Free blocks are compared only in
 * the bytes the allocator uses (the rest holds nothing).
 *
 * Contexts larger than 8 MiB of arena are not checked. Process-local.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define UIO_JVERIFY_MAX (8ul << 20)

static pthread_once_t uio_jverify_once = PTHREAD_ONCE_INIT;
static bool uio_jverify_on;
/* 0 not known yet, 1 off, 2 on: the commands' fast path is one load. */
static int uio_jverify_state;

static __thread char *uio_jv_snap;
static __thread size_t uio_jv_len;
static __thread unsigned long uio_jv_cmd;

static void uio_jverify_init(void)
{
	const char *v = getenv("UIOMMUFD_JOURNAL_VERIFY");

	uio_jverify_on = v && *v && strcmp(v, "0");
	__atomic_store_n(&uio_jverify_state, uio_jverify_on ? 2 : 1,
			 __ATOMIC_RELEASE);
}

static bool uio_jverify_enabled(void)
{
	int st = __atomic_load_n(&uio_jverify_state, __ATOMIC_ACQUIRE);

	if (__builtin_expect(st == 1, 1))
		return false;
	if (!st)
		pthread_once(&uio_jverify_once, uio_jverify_init);
	return uio_jverify_on;
}

void uio_jverify_note(unsigned long cmd)
{
	if (uio_jverify_enabled())
		uio_jv_cmd = cmd;
}

void uio_jverify_begin(struct uio_ctx *ctx)
{
	size_t len;

	if (!uio_jverify_enabled())
		return;
	uio_jv_len = 0;
	len = ctx->arena.brk - (uintptr_t)ctx;
	if (len > UIO_JVERIFY_MAX)
		return;
	free(uio_jv_snap);
	uio_jv_snap = malloc(len);
	if (!uio_jv_snap)
		return;
	memcpy(uio_jv_snap, ctx, len);
	uio_jv_len = len;
}

struct uio_jv_fix {
	struct uio_ctx *ctx;
	size_t len;
};

/* Make the unused bytes of a free block compare equal. */
static void uio_jv_free_block(void *arg, uintptr_t p, size_t size, size_t head)
{
	struct uio_jv_fix *f = arg;
	uintptr_t base = (uintptr_t)f->ctx;

	if (p < base || p + size > base + f->len || size <= head)
		return;
	memcpy((char *)p + head, uio_jv_snap + (p - base) + head, size - head);
}

/* The journal itself compares equal. */
static void uio_jv_same(struct uio_ctx *ctx, const void *field, size_t n)
{
	size_t off = (uintptr_t)field - (uintptr_t)ctx;

	memcpy((char *)field, uio_jv_snap + off, n);
}

/*
 * Bytes never written here, nor compared: the lock's (processes waiting
 * for it set bits in its word meanwhile, FUTEX_WAITERS) and nmappers
 * (changed atomically outside the lock by processes mapping or leaving the
 * context; never journaled). In offset order.
 */
static const struct {
	size_t off, len;
} uio_jv_skips[] = {
	{ offsetof(struct uio_ctx, lock), sizeof(pthread_mutex_t) },
	{ offsetof(struct uio_ctx, nmappers), sizeof(uint32_t) },
};

#define UIO_JV_NSKIPS (sizeof(uio_jv_skips) / sizeof(uio_jv_skips[0]))

static bool uio_jv_skipped(size_t i)
{
	for (size_t k = 0; k < UIO_JV_NSKIPS; k++)
		if (i - uio_jv_skips[k].off < uio_jv_skips[k].len)
			return true;
	return false;
}

static void uio_jv_copy_back(struct uio_ctx *ctx, const char *cur, size_t n)
{
	size_t from = 0;

	for (size_t k = 0; k < UIO_JV_NSKIPS; k++) {
		memcpy((char *)ctx + from, cur + from, uio_jv_skips[k].off - from);
		from = uio_jv_skips[k].off + uio_jv_skips[k].len;
	}
	memcpy((char *)ctx + from, cur + from, n - from);
}

void uio_jverify_end(struct uio_ctx *ctx)
{
	struct uio_jv_fix fix = { ctx, uio_jv_len };
	size_t now, bad = 0;
	char *cur;
	int rc;

	if (!uio_jverify_enabled() || !uio_jv_len)
		return;
	now = ctx->arena.brk - (uintptr_t)ctx;
	if (now < uio_jv_len)
		now = uio_jv_len;
	cur = malloc(now);
	if (!cur)
		return;
	memcpy(cur, ctx, now);
	rc = uio_j_replay(&ctx->journal);
	/*
	 * Short-term references are not journaled (the recovery zeroes them):
	 * they compare as they were when the command began.
	 */
	for (uint32_t id = 1; rc >= 0 && id < ctx->objs.next_id &&
			      id < ctx->objs.nslots; id++) {
		struct uio_obj *obj = ctx->objs.slots[id];

		if (obj && (uintptr_t)obj - (uintptr_t)ctx < uio_jv_len)
			uio_jv_same(ctx, &obj->shortterm, sizeof(obj->shortterm));
	}
	if (rc < 0) {
		fprintf(stderr, "uiommufd journal verify: cmd 0x%lx: journal "
				"overflowed or broken\n", uio_jv_cmd);
		abort();
	}
	uio_jv_same(ctx, &ctx->journal, sizeof(ctx->journal));
	uio_arena_for_each_free(&ctx->arena, uio_jv_free_block, &fix);
	for (size_t i = 0; i < uio_jv_len; i++) {
		size_t j;

		if (uio_jv_skipped(i) || ((char *)ctx)[i] == uio_jv_snap[i])
			continue;
		for (j = i; j < uio_jv_len && ((char *)ctx)[j] != uio_jv_snap[j] &&
			    !uio_jv_skipped(j); j++)
			;
		if (bad++ < 16) {
			uint64_t was = 0, is = 0;

			memcpy(&was, uio_jv_snap + (i & ~7ul), 8);
			memcpy(&is, (char *)ctx + (i & ~7ul), 8);
			fprintf(stderr, "uiommufd journal verify: cmd 0x%lx: "
					"[+0x%zx, +0x%zx) not restored (word was "
					"0x%llx, undone 0x%llx, ctx %p)\n",
				uio_jv_cmd, i, j, (unsigned long long)was,
				(unsigned long long)is, (void *)ctx);
		}
		i = j;
	}
	uio_jv_copy_back(ctx, cur, now);
	free(cur);
	if (bad)
		abort();
}
