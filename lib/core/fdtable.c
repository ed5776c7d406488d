// SPDX-License-Identifier: MIT
/*
 * Process-local fd -> context map; see fdtable.h.
 *
 * Fast path, for fds below UIO_FDTABLE_SIZE: one atomic load of the fd's
 * slot, one reference taken on the context's registry entry, one load to
 * check the fd still names it. Slow path (first sight of an fd number): fstat, then the registry of
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
#define UIO_FD_ENTRY(i) ((uintptr_t)(i) + 2)
#define UIO_REGISTRY_MAX 256
#define UIO_HELD_MAX 32

/* fd number -> UIO_FD_UNKNOWN, UIO_FD_NOT_CTX or UIO_FD_ENTRY(registry slot) */
static _Atomic(uintptr_t) uio_fdtable[UIO_FDTABLE_SIZE];

/*
 * A context mapped in this process. Slots never move, so an fd slot can
 * name one. refs counts the registry's own reference (while live) and one
 * per thread call holding it; the last put unmaps the context and frees
 * the slot (ctx NULL). A slot is reused only once refs is 0 and ctx NULL.
 */
struct uio_registry_entry {
	dev_t dev;
	ino_t ino;
	struct uio_ctx *ctx;
	_Atomic long refs;
	atomic_bool live;  /* found by inode; its fds are served */
};

static pthread_mutex_t uio_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uio_registry_entry uio_registry[UIO_REGISTRY_MAX];
static unsigned int uio_nslots;  /* slots in use or once used */
static _Atomic unsigned int uio_nlive;
static atomic_bool uio_closes_seen; /* uio_fd_closes_seen() */
/*
 * Threads of this process in the slow path of a lookup, whose system calls
 * on the fd (fstat, pread, reopen, fcntl) hold its open file for a moment.
 */
static _Atomic int uio_fd_probes;
/* Bumped by every forget: a lookup that raced one does not cache. */
static _Atomic unsigned long uio_forget_gen;

/* The entries this thread holds in its current call (fdtable.h). */
static _Thread_local struct {
	unsigned int depth, n;
	unsigned short idx[UIO_HELD_MAX];
} uio_held;

static pthread_once_t uio_registry_once = PTHREAD_ONCE_INIT;

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

/*
 * In the child only the forking thread exists, and it is not inside the
 * core: every entry keeps just the registry's reference, and a context
 * that was being let go of in the parent is unmapped here at once.
 */
static void uio_registry_postfork_child(void)
{
	for (unsigned int i = 0; i < uio_nslots; i++) {
		struct uio_registry_entry *e = &uio_registry[i];

		if (!e->ctx)
			continue;
		if (e->live) {
			atomic_store(&e->refs, 1);
		} else {
			/* Its fault and access fds were forgotten at release;
			 * no other lock may be taken here. */
			atomic_store(&e->refs, 0);
			uio_sys_munmap(e->ctx, e->ctx->map_size);
			e->ctx = NULL;
		}
	}
	uio_held.depth = uio_held.n = 0;
	pthread_mutex_unlock(&uio_registry_lock);
}

static void uio_registry_init(void)
{
	pthread_atfork(uio_registry_prefork, uio_registry_postfork,
		       uio_registry_postfork_child);
}

static bool uio_entry_tryget(struct uio_registry_entry *e)
{
	long r = atomic_load(&e->refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&e->refs, &r, r + 1))
			return true;
	return false;
}

static void uio_entry_put(struct uio_registry_entry *e)
{
	struct uio_ctx *ctx;

	if (atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	/* Nobody can take it again (refs 0): unmap, then free the slot. */
	ctx = e->ctx;
	uio_ctx_unmap(ctx);
	pthread_mutex_lock(&uio_registry_lock);
	e->ctx = NULL;
	pthread_mutex_unlock(&uio_registry_lock);
}

/* Hold slot i for the rest of this thread's call; false if it is going. */
static bool uio_hold(unsigned int i)
{
	unsigned int k;

	if (!uio_held.depth)
		abort(); /* a lookup outside uio_core_enter/leave */
	for (unsigned int k = 0; k < uio_held.n; k++)
		if (uio_held.idx[k] == i)
			return true;
	if (uio_held.n == UIO_HELD_MAX || !uio_entry_tryget(&uio_registry[i]))
		return false;
	/*
	 * A signal handler that calls in here finds the entry only once it is
	 * listed, and then it is ours to put. (One that interrupts between
	 * the two stores below may list its own hold over ours: a leaked
	 * reference, which keeps a released context mapped, never too few.)
	 */
	k = uio_held.n;
	uio_held.idx[k] = (unsigned short)i;
	atomic_signal_fence(memory_order_seq_cst);
	uio_held.n = k + 1;
	return true;
}

void uio_core_enter(void)
{
	uio_held.depth++;
}

struct uio_ctx *uio_fd_ctx_lock(int fd)
{
	struct uio_ctx *ctx;

	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	if (!ctx) {
		uio_core_leave();
		errno = ENOTTY;
		return NULL;
	}
	uio_ctx_lock(ctx);
	return ctx;
}

void uio_fd_ctx_unlock(struct uio_ctx *ctx)
{
	uio_ctx_unlock(ctx);
	uio_core_leave();
}

void uio_core_leave(void)
{
	if (--uio_held.depth)
		return;
	/* Unlist each entry before its put: a signal handler that calls in
	 * meanwhile must not find (and put) a reference we are putting. */
	while (uio_held.n) {
		unsigned int i = uio_held.idx[uio_held.n - 1];

		uio_held.n--;
		atomic_signal_fence(memory_order_seq_cst);
		uio_entry_put(&uio_registry[i]);
		atomic_signal_fence(memory_order_seq_cst);
	}
}

/* Under the registry lock: the live slot of (dev, ino) or of ctx, or -1. */
static int uio_registry_find(dev_t dev, ino_t ino, const struct uio_ctx *ctx)
{
	for (unsigned int i = 0; i < uio_nslots; i++) {
		const struct uio_registry_entry *e = &uio_registry[i];

		if (e->live && (ctx ? e->ctx == ctx : e->dev == dev && e->ino == ino))
			return (int)i;
	}
	return -1;
}

/* Under the registry lock: a new live slot for ctx, or -EMFILE. */
static int uio_registry_add(dev_t dev, ino_t ino, struct uio_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < uio_nslots; i++)
		if (!uio_registry[i].ctx && !atomic_load(&uio_registry[i].refs))
			break;
	if (i == UIO_REGISTRY_MAX)
		return -EMFILE;
	if (i == uio_nslots)
		uio_nslots++;
	uio_registry[i].dev = dev;
	uio_registry[i].ino = ino;
	uio_registry[i].ctx = ctx;
	uio_registry[i].live = true;
	atomic_store(&uio_registry[i].refs, 1);
	atomic_fetch_add(&uio_nlive, 1);
	return (int)i;
}

/* Forget every fd slot that names registry slot i. */
static void uio_fd_forget_entry(unsigned int i)
{
	atomic_fetch_add(&uio_forget_gen, 1);
	for (unsigned int fd = 0; fd < UIO_FDTABLE_SIZE; fd++)
		if (atomic_load_explicit(&uio_fdtable[fd], memory_order_relaxed) ==
		    UIO_FD_ENTRY(i))
			atomic_store(&uio_fdtable[fd], UIO_FD_UNKNOWN);
}

void uio_registry_remove(struct uio_ctx *ctx)
{
	int i;

	pthread_mutex_lock(&uio_registry_lock);
	i = uio_registry_find(0, 0, ctx);
	if (i >= 0) {
		atomic_store(&uio_registry[i].live, false);
		atomic_fetch_sub(&uio_nlive, 1);
	}
	pthread_mutex_unlock(&uio_registry_lock);
	if (i < 0)
		return;
	uio_fd_forget_entry((unsigned int)i);
	uio_entry_put(&uio_registry[i]);
}

static void uio_fd_cache(int fd, uintptr_t v)
{
	if (fd >= 0 && fd < UIO_FDTABLE_SIZE)
		atomic_store_explicit(&uio_fdtable[fd], v, memory_order_release);
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
	if (rc < 0)
		return rc;
	uio_fd_cache(fd, UIO_FD_ENTRY(rc));
	return 0;
}

/* The slot of the context behind fd, held; mapped on first sight. -1 if
 * fd is no context. */
static int uio_fd_resolve(int fd)
{
	struct uio_ctx *ctx;
	struct stat st;
	int err, i;

	if (uio_sys_fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -1;
	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	i = uio_registry_find(st.st_dev, st.st_ino, NULL);
	if (i < 0) {
		ctx = uio_ctx_map_fd(fd, &err);
		if (ctx) {
			i = uio_registry_add(st.st_dev, st.st_ino, ctx);
			if (i < 0)
				uio_ctx_unmap(ctx);
		}
	}
	/* A live slot has the registry's reference: this cannot fail. */
	if (i >= 0 && !uio_hold((unsigned int)i))
		i = -1;
	pthread_mutex_unlock(&uio_registry_lock);
	return i;
}

/*
 * Cache what was found for fd, unless a forget ran since gen was read: the
 * answer may be about a file the number no longer names. A forget bumps
 * the generation before it clears its slot, so one that comes between the
 * store and the check is seen, and the store undone.
 */
static void uio_fd_cache_unless_forgotten(int fd, uintptr_t v, unsigned long gen)
{
	uintptr_t unknown = UIO_FD_UNKNOWN;

	if (fd < 0 || fd >= UIO_FDTABLE_SIZE ||
	    !atomic_compare_exchange_strong(&uio_fdtable[fd], &unknown, v))
		return;
	if (atomic_load(&uio_forget_gen) != gen)
		atomic_compare_exchange_strong(&uio_fdtable[fd], &v, UIO_FD_UNKNOWN);
}

struct uio_ctx *uio_fd_lookup(int fd)
{
	unsigned long gen;
	uintptr_t v;
	int i;

	if (fd < 0)
		return NULL;
	if (fd < UIO_FDTABLE_SIZE) {
		v = atomic_load_explicit(&uio_fdtable[fd], memory_order_acquire);
		if (v == UIO_FD_NOT_CTX)
			return NULL;
		/*
		 * Held, still live, and the fd still names the slot: the slot
		 * cannot have been let go of and reused in between.
		 */
		if (v != UIO_FD_UNKNOWN && uio_hold((unsigned int)(v - 2)) &&
		    atomic_load(&uio_registry[v - 2].live) &&
		    atomic_load_explicit(&uio_fdtable[fd], memory_order_acquire) == v)
			return uio_registry[v - 2].ctx;
	}
	gen = atomic_load(&uio_forget_gen);
	atomic_fetch_add(&uio_fd_probes, 1);
	i = uio_fd_resolve(fd);
	if (i >= 0)
		uio_fd_cache_unless_forgotten(fd, UIO_FD_ENTRY(i), gen);
	else if (atomic_load_explicit(&uio_closes_seen, memory_order_relaxed) &&
		 uio_sys_fd_valid(fd)) /* only about fds that exist */
		uio_fd_cache_unless_forgotten(fd, UIO_FD_NOT_CTX, gen);
	atomic_fetch_sub(&uio_fd_probes, 1);
	return i >= 0 ? uio_registry[i].ctx : NULL;
}

bool uio_fd_probes_settle(void)
{
	if (!atomic_load(&uio_fd_probes))
		return false;
	while (atomic_load(&uio_fd_probes))
		uio_sys_sched_yield();
	return true;
}

void uio_fd_closes_seen(void)
{
	atomic_store(&uio_closes_seen, true);
}

int uio_fd_known(int fd)
{
	uintptr_t v;

	if (fd < 0 || fd >= UIO_FDTABLE_SIZE)
		return -1;
	v = atomic_load_explicit(&uio_fdtable[fd], memory_order_acquire);
	return v == UIO_FD_UNKNOWN ? -1 : v != UIO_FD_NOT_CTX;
}

void uio_fd_forget(int fd)
{
	atomic_fetch_add(&uio_forget_gen, 1);
	uio_fd_cache(fd, UIO_FD_UNKNOWN);
}

void uio_fd_forget_range(unsigned int lo, unsigned int hi)
{
	if (hi >= UIO_FDTABLE_SIZE)
		hi = UIO_FDTABLE_SIZE - 1;
	for (unsigned int fd = lo; fd <= hi && lo <= hi; fd++)
		uio_fd_forget((int)fd);
}

/*
 * Run fn on every context mapped in this process, each under its lock,
 * with the registry held so none is let go of meanwhile. Lock order:
 * registry, then a context's lock.
 */
void uio_registry_for_each(void (*fn)(struct uio_ctx *ctx, void *arg),
			   void *arg)
{
	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	for (unsigned int i = 0; i < uio_nslots; i++) {
		struct uio_ctx *ctx = uio_registry[i].ctx;

		if (!uio_registry[i].live)
			continue;
		uio_ctx_lock(ctx);
		fn(ctx, arg);
		uio_ctx_unlock(ctx);
	}
	pthread_mutex_unlock(&uio_registry_lock);
}

bool uio_registry_empty(void)
{
	return !atomic_load_explicit(&uio_nlive, memory_order_relaxed);
}

/* Whether ctx is live here; if so it is held for the rest of the call. */
bool uio_registry_has(struct uio_ctx *ctx)
{
	int i;

	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	i = uio_registry_find(0, 0, ctx);
	if (i >= 0 && !uio_hold((unsigned int)i))
		i = -1;
	pthread_mutex_unlock(&uio_registry_lock);
	return i >= 0;
}

void uio_registry_quiesce(struct uio_ctx *ctx)
{
	int i;

	pthread_mutex_lock(&uio_registry_lock);
	i = uio_registry_find(0, 0, ctx);
	pthread_mutex_unlock(&uio_registry_lock);
	if (i < 0)
		return;
	/*
	 * Lookups that began before the close may still take a reference,
	 * and cache the closed fd's slot again: once they are done, clear
	 * every slot naming the context (a lookup that still gets through a
	 * slot has taken its reference first). Then every reference but ours
	 * and the registry's goes with its call. Bounded, as calls keep no
	 * one waiting.
	 */
	uio_fd_probes_settle();
	uio_fd_forget_entry((unsigned int)i);
	for (long spins = 0; atomic_load(&uio_registry[i].refs) > 2 &&
			     spins < 1000000; spins++)
		uio_sys_sched_yield();
}
