/* SPDX-License-Identifier: MIT */
/*
 * arena: the allocator for a context's shared state.
 *
 * Concepts
 * --------
 * region    The context's memfd, mapped at the same address in every process
 *           that uses it (see ctx.h), so the objects carved from it are plain
 *           C structs with plain pointers, valid in all those processes.
 * classes   Small blocks come from per-size-class free lists; blocks above
 *           the largest class are whole pages with a first-fit free list.
 *           Callers give the size back on free (as with sized delete), so
 *           blocks carry no header.
 * growth    The region's usable part is [start, limit); it may grow up to
 *           end. A block that would cross limit asks the grow hook (set by
 *           the region's owner, process-local) to make more usable and raise
 *           limit; the owner maps the region in chunks (ctx.c).
 *
 * Not thread-safe: the owning context's lock protects it.
 * Why not a library: no packaged allocator manages a caller-provided region
 * shared between processes without per-process state of its own.
 */
#ifndef UIO_ARENA_H
#define UIO_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define UIO_ARENA_NCLASSES 14
#define UIO_ARENA_PAGE 4096u

struct uio_arena_large;

struct uio_arena {
	uintptr_t brk;   /* next unused byte */
	uintptr_t limit; /* end of the usable part of the region */
	uintptr_t end;   /* how far limit may grow; == limit: never */
	void *free_small[UIO_ARENA_NCLASSES];
	struct uio_arena_large *free_large;
	uint64_t bytes_in_use;
	uint64_t allocs_in_use;
};

void uio_arena_init(struct uio_arena *a, void *start, void *limit);
/*
 * Process-wide: fn(a, to) makes a's region usable up to at least `to`
 * (<= a->end), raises a->limit and returns 0, or fails with -errno.
 */
void uio_arena_set_grow(int (*fn)(struct uio_arena *a, uintptr_t to));
/* Zeroed block of n bytes, or NULL when the region is exhausted. */
void *uio_arena_zalloc(struct uio_arena *a, size_t n);
void uio_arena_free(struct uio_arena *a, void *p, size_t n);
/*
 * Each free block: fn(arg, block, size, head), head being the bytes of it
 * the allocator uses (the rest holds nothing). Stops at 1,000,000 blocks.
 */
void uio_arena_for_each_free(const struct uio_arena *a,
			     void (*fn)(void *arg, uintptr_t p, size_t size,
					size_t head),
			     void *arg);

#endif
