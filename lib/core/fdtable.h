/* SPDX-License-Identifier: MIT */
/*
 * Process-local map from fd numbers to the contexts they refer to.
 *
 * The preload layer tells the core when an fd number stops meaning what it
 * meant (close, dup2/dup3 over it, close_range). Lookups of an fd number not
 * in the map ask the kernel (fstat and a header read, both raw syscalls) and
 * map the context into this process on first sight.
 */
#ifndef UIO_FDTABLE_H
#define UIO_FDTABLE_H

#include <stdbool.h>

struct uio_ctx;

/* The context behind fd, mapping it into this process if needed; NULL if fd
 * is not a context (errno untouched). */
struct uio_ctx *uio_fd_lookup(int fd);
/* fd's number no longer refers to what it did. */
void uio_fd_forget(int fd);
/* Forget every fd number in [lo, hi]. */
void uio_fd_forget_range(unsigned int lo, unsigned int hi);
/* Remember that fd refers to ctx (after open). */
void uio_fd_remember(int fd, struct uio_ctx *ctx);
/* Record a context this process created, and that fd refers to it. */
int uio_registry_add_fd(int fd, struct uio_ctx *ctx);
/* Forget a context this process is unmapping, and every fd cached for it. */
void uio_registry_remove(struct uio_ctx *ctx);

/*
 * Every entry point that may follow a context pointer brackets its work
 * with uio_core_enter() and uio_core_leave() (they nest). A released
 * context is handed to uio_ctx_unmap_deferred(): it is unmapped once no
 * thread of this process is inside the core, so a call racing the last
 * close finds a released context, never an unmapped one.
 */
void uio_core_enter(void);
void uio_core_leave(void);
void uio_ctx_unmap_deferred(struct uio_ctx *ctx);

/* fn on each context mapped here, under its lock (registry, then ctx). */
void uio_registry_for_each(void (*fn)(struct uio_ctx *ctx, void *arg),
			   void *arg);
/* ctx is mapped in this process. */
bool uio_registry_has(struct uio_ctx *ctx);
/* No context is mapped in this process (a hint, without locking). */
bool uio_registry_empty(void);

#endif
