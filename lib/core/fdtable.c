// SPDX-License-Identifier: MIT
/*
 * Process-local fd -> context map; see fdtable.h.
 *
 * Fast path: one atomic load per lookup for fds below UIO_FDTABLE_SIZE.
 * Slow path (first sight of an fd number): fstat, then the registry of
 * contexts already mapped in this process by inode, then a header read and
 * a mapping. Negative answers are cached too; the preload layer forgets an
 * fd number whenever it is closed or replaced.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core.h"
#include "fdtable.h"
#include "sys.h"

#define UIO_FDTABLE_SIZE 65536
#define UIO_FD_UNKNOWN ((uintptr_t)0)
#define UIO_FD_NOT_CTX ((uintptr_t)1)
#define UIO_REGISTRY_MAX 256

static _Atomic(uintptr_t) uio_fdtable[UIO_FDTABLE_SIZE];

struct uio_registry_entry {
	dev_t dev;
	ino_t ino;
	struct uio_ctx *ctx;
};

static pthread_mutex_t uio_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uio_registry_entry uio_registry[UIO_REGISTRY_MAX];
static unsigned int uio_nregistry;

/* A fork while another thread holds the registry lock must not leave the
 * child with a lock nobody will release. */
static void uio_registry_prefork(void)
{
	pthread_mutex_lock(&uio_registry_lock);
}

static void uio_registry_postfork(void)
{
	pthread_mutex_unlock(&uio_registry_lock);
}

static void uio_quiesce_postfork_child(void);

static void uio_registry_postfork_child(void)
{
	uio_quiesce_postfork_child();
	pthread_mutex_unlock(&uio_registry_lock);
}

static pthread_once_t uio_registry_once = PTHREAD_ONCE_INIT;

static void uio_registry_init(void)
{
	pthread_atfork(uio_registry_prefork, uio_registry_postfork,
		       uio_registry_postfork_child);
}

static struct uio_ctx *uio_registry_find(dev_t dev, ino_t ino)
{
	for (unsigned int i = 0; i < uio_nregistry; i++)
		if (uio_registry[i].dev == dev && uio_registry[i].ino == ino)
			return uio_registry[i].ctx;
	return NULL;
}

static int uio_registry_add(dev_t dev, ino_t ino, struct uio_ctx *ctx)
{
	if (uio_nregistry == UIO_REGISTRY_MAX)
		return -EMFILE;
	uio_registry[uio_nregistry++] = (struct uio_registry_entry){ dev, ino, ctx };
	return 0;
}

void uio_registry_remove(struct uio_ctx *ctx)
{
	pthread_mutex_lock(&uio_registry_lock);
	for (unsigned int i = 0; i < uio_nregistry; i++) {
		if (uio_registry[i].ctx == ctx) {
			uio_registry[i] = uio_registry[--uio_nregistry];
			break;
		}
	}
	pthread_mutex_unlock(&uio_registry_lock);
	for (unsigned int fd = 0; fd < UIO_FDTABLE_SIZE; fd++)
		if (atomic_load_explicit(&uio_fdtable[fd], memory_order_relaxed) ==
		    (uintptr_t)ctx)
			atomic_store(&uio_fdtable[fd], UIO_FD_UNKNOWN);
}

/* Register a context this process just created. */
int uio_registry_add_fd(int fd, struct uio_ctx *ctx)
{
	struct stat st;
	int rc = uio_sys_fstat(fd, &st);

	if (rc)
		return rc;
	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	rc = uio_registry_add(st.st_dev, st.st_ino, ctx);
	pthread_mutex_unlock(&uio_registry_lock);
	if (!rc)
		uio_fd_remember(fd, ctx);
	return rc;
}

static struct uio_ctx *uio_fd_resolve(int fd)
{
	struct uio_ctx *ctx;
	struct stat st;
	int err;

	if (uio_sys_fstat(fd, &st) || !S_ISREG(st.st_mode))
		return NULL;
	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	ctx = uio_registry_find(st.st_dev, st.st_ino);
	if (!ctx) {
		ctx = uio_ctx_map_fd(fd, &err);
		if (ctx && uio_registry_add(st.st_dev, st.st_ino, ctx)) {
			uio_ctx_unmap(ctx);
			ctx = NULL;
		}
	}
	pthread_mutex_unlock(&uio_registry_lock);
	return ctx;
}

struct uio_ctx *uio_fd_lookup(int fd)
{
	uintptr_t v;
	struct uio_ctx *ctx;

	if (fd < 0)
		return NULL;
	if (fd >= UIO_FDTABLE_SIZE)
		return uio_fd_resolve(fd);
	v = atomic_load_explicit(&uio_fdtable[fd], memory_order_acquire);
	if (v == UIO_FD_NOT_CTX)
		return NULL;
	if (v != UIO_FD_UNKNOWN)
		return (struct uio_ctx *)v;
	ctx = uio_fd_resolve(fd);
	/* Only cache answers about fds that exist. */
	if (ctx || uio_sys_fcntl(fd, F_GETFD, NULL) >= 0)
		atomic_store_explicit(&uio_fdtable[fd],
				      ctx ? (uintptr_t)ctx : UIO_FD_NOT_CTX,
				      memory_order_release);
	return ctx;
}

void uio_fd_forget(int fd)
{
	if (fd >= 0 && fd < UIO_FDTABLE_SIZE)
		atomic_store_explicit(&uio_fdtable[fd], UIO_FD_UNKNOWN,
				      memory_order_release);
}

void uio_fd_forget_range(unsigned int lo, unsigned int hi)
{
	if (hi >= UIO_FDTABLE_SIZE)
		hi = UIO_FDTABLE_SIZE - 1;
	for (unsigned int fd = lo; fd <= hi && lo <= hi; fd++)
		uio_fd_forget((int)fd);
}

void uio_fd_remember(int fd, struct uio_ctx *ctx)
{
	if (fd >= 0 && fd < UIO_FDTABLE_SIZE)
		atomic_store_explicit(&uio_fdtable[fd], (uintptr_t)ctx,
				      memory_order_release);
}

/*
 * Run fn on every context mapped in this process, each under its lock,
 * with the registry held so none is unmapped meanwhile. Lock order:
 * registry, then a context's lock.
 */
void uio_registry_for_each(void (*fn)(struct uio_ctx *ctx, void *arg),
			   void *arg)
{
	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	for (unsigned int i = 0; i < uio_nregistry; i++) {
		struct uio_ctx *ctx = uio_registry[i].ctx;

		uio_ctx_lock(ctx);
		fn(ctx, arg);
		uio_ctx_unlock(ctx);
	}
	pthread_mutex_unlock(&uio_registry_lock);
}

bool uio_registry_empty(void)
{
	return !__atomic_load_n(&uio_nregistry, __ATOMIC_RELAXED);
}

/* Whether ctx is mapped in this process (its pointer safe to follow). */
bool uio_registry_has(struct uio_ctx *ctx)
{
	bool found = false;

	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	for (unsigned int i = 0; i < uio_nregistry; i++)
		if (uio_registry[i].ctx == ctx)
			found = true;
	pthread_mutex_unlock(&uio_registry_lock);
	return found;
}

/*
 * Quiescence (see fdtable.h). uio_inside counts the threads of this process
 * inside the core. A context is deferred only after its fd slots and its
 * registry entry are gone, so a thread that enters later cannot find it;
 * one that entered earlier is counted, and the last thread out unmaps.
 * Every thread inside finishes its call without waiting for another, so
 * the count reaches zero whenever the process pauses between calls.
 */
static _Atomic long uio_inside;
static _Thread_local unsigned int uio_depth;
static pthread_mutex_t uio_deferred_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uio_ctx **uio_deferred;
static unsigned int uio_ndeferred, uio_deferred_cap;
static _Atomic unsigned int uio_deferred_hint;

void uio_core_enter(void)
{
	if (uio_depth++ == 0)
		atomic_fetch_add(&uio_inside, 1);
}

static void uio_deferred_drain(void)
{
	pthread_mutex_lock(&uio_deferred_lock);
	if (atomic_load(&uio_inside) == 0) {
		for (unsigned int i = 0; i < uio_ndeferred; i++)
			uio_ctx_unmap(uio_deferred[i]);
		uio_ndeferred = 0;
		atomic_store(&uio_deferred_hint, 0);
	}
	pthread_mutex_unlock(&uio_deferred_lock);
}

void uio_core_leave(void)
{
	if (--uio_depth)
		return;
	if (atomic_fetch_sub(&uio_inside, 1) == 1 &&
	    atomic_load(&uio_deferred_hint))
		uio_deferred_drain();
}

void uio_ctx_unmap_deferred(struct uio_ctx *ctx)
{
	pthread_mutex_lock(&uio_deferred_lock);
	if (uio_ndeferred == uio_deferred_cap) {
		unsigned int ncap = uio_deferred_cap ? 2 * uio_deferred_cap : 8;
		struct uio_ctx **n = realloc(uio_deferred, ncap * sizeof(*n));

		if (!n) {
			/* No room to wait: keep it mapped (address space only). */
			pthread_mutex_unlock(&uio_deferred_lock);
			return;
		}
		uio_deferred = n;
		uio_deferred_cap = ncap;
	}
	uio_deferred[uio_ndeferred++] = ctx;
	atomic_store(&uio_deferred_hint, 1);
	pthread_mutex_unlock(&uio_deferred_lock);
}

/* In a child, only the forking thread exists, and it is not inside. */
static void uio_quiesce_postfork_child(void)
{
	atomic_store(&uio_inside, uio_depth ? 1 : 0);
	pthread_mutex_init(&uio_deferred_lock, NULL);
}
