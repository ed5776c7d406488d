/* SPDX-License-Identifier: MIT */
/*
 * filecache: process-local tables of fd numbers seen to name a context's
 * anon-inode files (fault queues, selftest accesses: anon_inode.h). One
 * table per kind of file; the kind's code says what a file is, the table
 * only remembers which fd named which file.
 *
 * An entry is a hint: each use that matters checks the fd still names the
 * file (its dev and ino), because the number can be closed or reused
 * behind the table's back (exit, exec, a raw close). Entries are kept per
 * pid: a forked child starts with its parent's table, whose entries it
 * trusts only after that check.
 *
 * A table's lock is a leaf (core.h's lock order): nothing is called with
 * it held, so a caller never holds it while asking the registry for a
 * context.
 */
#ifndef UIO_FILECACHE_H
#define UIO_FILECACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct uio_ctx;

struct uio_filecache_ent {
	int fd;
	int32_t pid;            /* the process that saw it */
	struct uio_ctx *ctx;
	uint32_t id;            /* the object's id (0 if the kind needs none) */
	uint64_t dev, ino;      /* the file fd named when seen */
};

struct uio_filecache {
	pthread_mutex_t lock;
	unsigned int n;
	unsigned int max;
	struct uio_filecache_ent *ent;
};

/* The most entries a table may have. */
#define UIO_FILECACHE_MAX 256

/* A table `name` of at most max_ entries, static in the including file. */
#define UIO_FILECACHE_DEFINE(name, max_)                                       \
	_Static_assert((max_) <= UIO_FILECACHE_MAX, #name " too large");       \
	static struct uio_filecache_ent name##_ent[max_];                      \
	static struct uio_filecache name = {                                   \
		PTHREAD_MUTEX_INITIALIZER, 0, (max_), name##_ent               \
	}

/* No entry at all (a hint, without the lock). */
bool uio_filecache_empty(struct uio_filecache *c);

/*
 * Record that fd names file (dev, ino), object id of ctx, in this process
 * (replacing what the table had for fd here). The entry's index + 1, or 0
 * if the table is full (nothing recorded).
 */
uint32_t uio_filecache_note(struct uio_filecache *c, int fd,
			    struct uio_ctx *ctx, uint32_t id, uint64_t dev,
			    uint64_t ino);

/* Forget this process's entry for fd. */
void uio_filecache_drop(struct uio_filecache *c, int fd);

/* This process's entry for fd: its index + 1 with *e, or 0. Unchecked. */
uint32_t uio_filecache_get(struct uio_filecache *c, int fd,
			   struct uio_filecache_ent *e);

/* The same, if fd still names that file (fstat): true with *e. */
bool uio_filecache_get_checked(struct uio_filecache *c, int fd,
			       struct uio_filecache_ent *e);

/* Entry idx (an index + 1 from note or get) if it is still this process's
 * entry for fd: true with *e. */
bool uio_filecache_get_idx(struct uio_filecache *c, uint32_t idx, int fd,
			   struct uio_filecache_ent *e);

/*
 * The entry for fd that this process may use: its own, or one inherited
 * from an ancestor if fd still names that file (fstat). true with *e.
 */
bool uio_filecache_get_inherited(struct uio_filecache *c, int fd,
				 struct uio_filecache_ent *e);

/* An fd of this process naming file (dev, ino), object id of ctx, checked
 * with fstat; -1 if none is known. */
int uio_filecache_fd_of(struct uio_filecache *c, struct uio_ctx *ctx,
			uint32_t id, uint64_t dev, uint64_t ino);

/* The context is going away in this process: forget its files. */
void uio_filecache_forget_ctx(struct uio_filecache *c, struct uio_ctx *ctx);

/*
 * This image ends (exit, or exec when cloexec_only): the kernel closes its
 * fds without a close() the preload layer sees. close_fn(fd, &rc) runs on
 * each fd of the table, inherited ones too, that still names its file (and
 * is close-on-exec, when cloexec_only), so the kind can do its last-close
 * check. Not when reentered from inside a command (hooks.c).
 */
void uio_filecache_image_ending(struct uio_filecache *c, bool cloexec_only,
				int (*close_fn)(int fd, int *rc));

#endif
