/* SPDX-License-Identifier: MIT */
/*
 * Process-local map from fd numbers to the contexts they refer to.
 *
 * Answers are cached in the process's fd -> file table (lib/kernel/file.h),
 * which the preload layer tells when an fd number stops meaning what it
 * meant (close, dup2/dup3 over it, close_range). Lookups of an fd number not
 * in the table ask the kernel (fstat and a header read, both raw syscalls)
 * and map the context into this process on first sight.
 */
#ifndef UIO_FDTABLE_H
#define UIO_FDTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "iommufd.h"

struct uio_ctx;

/* The context behind fd, mapping it into this process if needed, held for
 * the call; NULL if fd is not a context (errno untouched). */
struct uio_ctx *uio_fd_lookup(int fd);
/* 1 or 0 if this process already knows whether fd is a context, else -1.
 * Takes no reference and no lock. */
int uio_fd_known(int fd);
/*
 * The probe of kind UIO_FILE_IOMMUFD (file.h): 1 if fd, whose fstat is
 * *st, is a context (mapped here on first sight), with the index to cache.
 */
struct stat;
int uio_fd_ctx_probe(int fd, const struct stat *st, uint32_t *idx);
/* Record a context this process created, and that fd refers to it. */
int uio_registry_add_fd(int fd, struct uio_ctx *ctx);
/*
 * The context was released: stop serving it and drop the registry's
 * reference. It is unmapped when the last call holding it leaves the core.
 */
void uio_registry_remove(struct uio_ctx *ctx);

/*
 * Every entry point that may follow a context pointer brackets its work
 * with uio_core_enter() and uio_core_leave() (iommufd.h; they nest). Each
 * context the call reaches (uio_fd_lookup, uio_registry_has) is held until
 * the outermost leave, so a call racing the last close in another thread
 * finds a released context, never an unmapped one.
 */
/* This thread is inside the core now (maybe holding a context's lock). */
bool uio_core_entered(void);
/*
 * For a public call on fd: enter the core and return its context held and
 * locked, or NULL with errno ENOTTY, or ENOMEM if this process cannot map
 * what the context uses now (and the core left). uio_fd_ctx_unlock()
 * unlocks it and leaves.
 */
struct uio_ctx *uio_fd_ctx_lock(int fd);
void uio_fd_ctx_unlock(struct uio_ctx *ctx);

/*
 * Wait until no other call holds ctx (live, and held by the caller): the
 * commands already under way on it finish, as the kernel's in-flight file
 * references let them, before the last close releases it.
 */
void uio_registry_quiesce(struct uio_ctx *ctx);

/* fn on each context mapped here, under its lock (registry, then ctx). */
void uio_registry_for_each(void (*fn)(struct uio_ctx *ctx, void *arg),
			   void *arg);
/* ctx is live in this process; if so, held for the call. */
bool uio_registry_has(struct uio_ctx *ctx);
/* No context is mapped in this process (a hint, without locking). */
bool uio_registry_empty(void);

#endif
