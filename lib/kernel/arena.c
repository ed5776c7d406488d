// SPDX-License-Identifier: MIT
/* Shared-region allocator; see arena.h. */
#include "arena.h"

#include <string.h>

#include "journal.h"

static const uint32_t uio_class_size[UIO_ARENA_NCLASSES] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};

/*
 * A free block starts with its link and the number of the command that
 * freed it (journal.h): a block freed and reused within one command is
 * journaled whole, as its old contents are what an undo brings back.
 * Every other store here is journaled before it is made: the arena's own
 * fields, and the link words of the blocks going in or out of a list.
 */
struct uio_arena_small {
	struct uio_arena_small *next;
	uint64_t stamp;
};

struct uio_arena_large {
	struct uio_arena_large *next;
	size_t bytes;
	uint64_t stamp;
};

/* The old contents of a block leaving a free list. */
static void uio_arena_save_block(void *p, uint64_t stamp, size_t head,
				 size_t size)
{
	uint64_t gen = uio_j_gen();

	uio_j_save(p, gen && stamp == gen ? size : head);
}

static int uio_class_of(size_t n)
{
	for (int i = 0; i < UIO_ARENA_NCLASSES; i++)
		if (n <= uio_class_size[i])
			return i;
	return -1;
}

static size_t uio_round_up(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

static int (*uio_arena_grow)(struct uio_arena *a, uintptr_t to);

void uio_arena_set_grow(int (*fn)(struct uio_arena *a, uintptr_t to))
{
	__atomic_store_n(&uio_arena_grow, fn, __ATOMIC_RELAXED);
}

void uio_arena_init(struct uio_arena *a, void *start, void *limit)
{
	memset(a, 0, sizeof(*a));
	a->brk = uio_round_up((uintptr_t)start, 64);
	a->limit = a->end = (uintptr_t)limit;
}

/* Whether [p, p + n) is usable, after growing the region if it must. */
static int uio_arena_reach(struct uio_arena *a, uintptr_t p, size_t n)
{
	int (*grow)(struct uio_arena *, uintptr_t);

	if (p <= a->limit && a->limit - p >= n)
		return 1;
	if (p > a->end || a->end - p < n)
		return 0;
	grow = __atomic_load_n(&uio_arena_grow, __ATOMIC_RELAXED);
	return grow && !grow(a, p + n) && p <= a->limit && a->limit - p >= n;
}

static void *uio_arena_carve(struct uio_arena *a, size_t n, size_t align)
{
	uintptr_t p = uio_round_up(a->brk, align);

	if (!uio_arena_reach(a, p, n))
		return NULL;
	UIO_J(a);
	a->brk = p + n;
	return (void *)p;
}

static void *uio_arena_large_alloc(struct uio_arena *a, size_t n)
{
	struct uio_arena_large **pp, *blk;

	for (pp = &a->free_large; (blk = *pp); pp = &blk->next) {
		if (blk->bytes < n)
			continue;
		uio_arena_save_block(blk, blk->stamp, sizeof(*blk), blk->bytes);
		UIO_J(a);
		uio_j_save(pp, sizeof(*pp));
		*pp = blk->next;
		uio_kill_point();
		if (blk->bytes > n) {
			/* Return the tail to the free list (blk's old bytes). */
			struct uio_arena_large *rest = (void *)((char *)blk + n);

			rest->bytes = blk->bytes - n;
			rest->stamp = blk->stamp;
			rest->next = a->free_large;
			a->free_large = rest;
			uio_kill_point();
		}
		return blk;
	}
	return uio_arena_carve(a, n, UIO_ARENA_PAGE);
}

void *uio_arena_zalloc(struct uio_arena *a, size_t n)
{
	int c = uio_class_of(n ? n : 1);
	void *p;
	size_t sz;

	if (c >= 0) {
		sz = uio_class_size[c];
		p = a->free_small[c];
		if (p) {
			struct uio_arena_small *s = p;

			uio_arena_save_block(s, s->stamp, sizeof(*s), sz);
			UIO_J(a);
			a->free_small[c] = s->next;
			uio_kill_point();
		} else
			p = uio_arena_carve(a, sz, sz >= 64 ? 64 : 16);
	} else {
		sz = uio_round_up(n, UIO_ARENA_PAGE);
		p = uio_arena_large_alloc(a, sz);
	}
	if (!p)
		return NULL;
	memset(p, 0, sz);
	UIO_J(a);
	a->bytes_in_use += sz;
	a->allocs_in_use++;
	return p;
}

void uio_arena_free(struct uio_arena *a, void *p, size_t n)
{
	int c;

	if (!p)
		return;
	c = uio_class_of(n ? n : 1);
	UIO_J(a);
	if (c >= 0) {
		struct uio_arena_small *s = p;

		UIO_J(s);
		s->next = a->free_small[c];
		s->stamp = uio_j_gen();
		uio_kill_point();
		a->free_small[c] = s;
		a->bytes_in_use -= uio_class_size[c];
	} else {
		struct uio_arena_large *l = p;

		UIO_J(l);
		l->bytes = uio_round_up(n, UIO_ARENA_PAGE);
		l->next = a->free_large;
		l->stamp = uio_j_gen();
		uio_kill_point();
		a->free_large = l;
		a->bytes_in_use -= l->bytes;
	}
	a->allocs_in_use--;
}

void uio_arena_for_each_free(const struct uio_arena *a,
			     void (*fn)(void *arg, uintptr_t p, size_t size,
					size_t head),
			     void *arg)
{
	long budget = 1000000;

	for (int c = 0; c < UIO_ARENA_NCLASSES; c++)
		for (const struct uio_arena_small *s = a->free_small[c];
		     s && budget-- > 0; s = s->next)
			fn(arg, (uintptr_t)s, uio_class_size[c], sizeof(*s));
	for (const struct uio_arena_large *l = a->free_large; l && budget-- > 0;
	     l = l->next)
		fn(arg, (uintptr_t)l, l->bytes, sizeof(*l));
}
