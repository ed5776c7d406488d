// SPDX-License-Identifier: MIT
/*
 * The contexts mapped in this process, and fd -> context lookups; see
 * fdtable.h. An fd's answer is cached in the process's one fd -> file
 * table (lib/kernel/file.c) as kind UIO_FILE_IOMMUFD with the registry
 * slot and that slot's generation.
 *
 * Fast path, for fds below UIO_FILE_SLOTS: one atomic load of the fd's
 * slot, one reference taken on the context's registry entry, one check
 * that the entry is still live and of the same generation, one load to
 * check the fd still names it. Slow path (first sight of an fd number):
 * fstat, then the registry of contexts already mapped in this process by
 * inode, then a header read and a mapping. Negative answers are cached
 * too; the preload layer forgets an fd number whenever it is closed or
 * replaced, and a released context bumps its slot's generation, so no
 * cached answer outlives it (no scan of the fd table).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "core.h"
#include "dir.h"
#include "fdtable.h"
#include "file.h"
#include "sys.h"

#define UIO_REGISTRY_MAX 256
#define UIO_HELD_MAX 32

/* The cached value of an fd naming registry slot i of generation gen. */
#define UIO_CTX_VAL(i, gen) \
	UIO_FILE_VAL(UIO_FILE_IOMMUFD, ((uint32_t)(gen) << 8) | (i))
#define UIO_CTX_VAL_SLOT(v) (UIO_FILE_IDX(v) & 0xff)
#define UIO_CTX_VAL_GEN(v) (UIO_FILE_IDX(v) >> 8)

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
	/* Bumped when the slot stops naming its context: fd answers cached
	 * with an older one are stale. 16 bits, in the cached value. */
	_Atomic uint32_t gen;
};

static pthread_mutex_t uio_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uio_registry_entry uio_registry[UIO_REGISTRY_MAX];
static unsigned int uio_nslots;  /* slots in use or once used */
static _Atomic unsigned int uio_nlive;

/* The entries this thread holds in its current call (fdtable.h);
 * initial-exec as uaccess.c's uio_recover, for every call uses it. */
static _Thread_local struct {
	unsigned int depth, n;
	unsigned short idx[UIO_HELD_MAX];
} uio_held __attribute__((tls_model("initial-exec")));

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
			/* One more process has it mapped: this child. */
			__atomic_add_fetch(&e->ctx->nmappers, 1, __ATOMIC_RELAXED);
		} else {
			/* Its fault and access fds were forgotten at release;
			 * no other lock may be taken here. */
			atomic_store(&e->refs, 0);
			uio_ctx_munmap(e->ctx);
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

bool uio_core_entered(void)
{
	return uio_held.depth != 0;
}

struct uio_ctx *uio_fd_ctx_lock(int fd)
{
	struct uio_ctx *ctx;

	int rc;

	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	rc = ctx ? uio_ctx_lock(ctx) : -ENOTTY;
	if (rc) {
		uio_core_leave();
		errno = -rc;
		return NULL;
	}
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

/* Every fd answer cached for registry slot i is stale from now on. */
static void uio_fd_forget_entry(unsigned int i)
{
	atomic_fetch_add(&uio_registry[i].gen, 1);
}

static uint32_t uio_entry_val(unsigned int i)
{
	return UIO_CTX_VAL(i, atomic_load(&uio_registry[i].gen) & 0xffff);
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
	uio_file_set(fd, uio_entry_val((unsigned int)rc));
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

/* The registry slot fd's cached value names, held, if still current. */
static int uio_fd_cached(int fd, uint32_t v)
{
	unsigned int i = UIO_CTX_VAL_SLOT(v);

	if (UIO_FILE_KIND(v) != UIO_FILE_IOMMUFD || i >= UIO_REGISTRY_MAX)
		return -1;
	/*
	 * Held, still live, of the same generation, and the fd still names
	 * the slot: the slot cannot have been let go of and reused between.
	 */
	if (uio_hold(i) && atomic_load(&uio_registry[i].live) &&
	    (atomic_load(&uio_registry[i].gen) & 0xffff) == UIO_CTX_VAL_GEN(v) &&
	    uio_file_peek(fd) == v)
		return (int)i;
	return -1;
}

struct uio_ctx *uio_fd_lookup(int fd)
{
	unsigned long gen;
	uint32_t v;
	int i;

	if (fd < 0)
		return NULL;
	v = uio_file_peek(fd);
	if (v != UIO_FILE_UNKNOWN) {
		if (UIO_FILE_KIND(v) != UIO_FILE_IOMMUFD)
			return NULL;
		i = uio_fd_cached(fd, v);
		if (i >= 0)
			return uio_registry[i].ctx;
	}
	gen = uio_file_forget_gen();
	uio_file_probe_begin();
	i = uio_fd_resolve(fd);
	if (i >= 0)
		uio_file_set_unless_forgotten(fd, uio_entry_val((unsigned int)i), gen);
	else if (uio_file_closes_are_seen() && uio_sys_fd_valid(fd) &&
		 v == UIO_FILE_UNKNOWN)
		/* only about fds that exist, and not over another kind */
		uio_file_set_unless_forgotten(fd, UIO_FILE_NOT_OURS, gen);
	uio_file_probe_end();
	return i >= 0 ? uio_registry[i].ctx : NULL;
}

/*
 * The probe of kind UIO_FILE_IOMMUFD for the fd -> file table: whether fd
 * is a context, mapping it here on first sight. Holds nothing after.
 */
int uio_fd_ctx_probe(int fd, const struct stat *st, uint32_t *idx)
{
	int i;

	if (!S_ISREG(st->st_mode))
		return 0;
	uio_core_enter();
	i = uio_fd_resolve(fd);
	uio_core_leave();
	if (i < 0)
		return 0;
	*idx = UIO_FILE_IDX(uio_entry_val((unsigned int)i));
	return 1;
}

int uio_fd_known(int fd)
{
	uint32_t v = uio_file_peek(fd);

	return v == UIO_FILE_UNKNOWN ? -1 : UIO_FILE_KIND(v) == UIO_FILE_IOMMUFD;
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

		/* One this process cannot map any more is left alone. */
		if (!uio_registry[i].live || uio_ctx_lock(ctx))
			continue;
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
	uio_file_probes_settle();
	uio_fd_forget_entry((unsigned int)i);
	for (long spins = 0; atomic_load(&uio_registry[i].refs) > 2 &&
			     spins < 1000000; spins++)
		uio_sys_sched_yield();
}

/* ------------------------------------------------------------------ */
/* the kAPI's view of contexts (iommufd.h) */

struct uio_ctx *uio_iommufd_ctx_from_fd(int fd, int *err)
{
	struct uio_ctx *ctx = uio_fd_lookup(fd);

	if (!ctx)
		*err = uio_sys_fd_valid(fd) ? -EBADFD : -EBADF;
	else if (ctx->released) {
		ctx = NULL;
		*err = -EBADFD;
	}
	return ctx;
}

uint64_t uio_iommufd_ctx_id(const struct uio_ctx *ctx)
{
	return ctx->id;
}

/* Under nothing: the live context named id mapped here, held, or NULL. */
static struct uio_ctx *uio_registry_find_id(uint64_t id)
{
	struct uio_ctx *found = NULL;

	pthread_once(&uio_registry_once, uio_registry_init);
	pthread_mutex_lock(&uio_registry_lock);
	for (unsigned int i = 0; i < uio_nslots && !found; i++) {
		struct uio_registry_entry *e = &uio_registry[i];

		if (e->live && e->ctx && e->ctx->id == id && !e->ctx->released &&
		    uio_hold(i))
			found = e->ctx;
	}
	pthread_mutex_unlock(&uio_registry_lock);
	return found;
}

struct uio_ctx_hunt {
	uint64_t id;
	int dir;
	struct uio_ctx *ctx;
};

static int uio_ctx_hunt_fd(long fd, void *arg)
{
	struct uio_ctx_hunt *h = arg;
	struct uio_ctx *ctx;

	if (fd == h->dir || fd > INT32_MAX)
		return 0;
	ctx = uio_fd_lookup((int)fd);
	if (!ctx || ctx->id != h->id || ctx->released)
		return 0;
	h->ctx = ctx;
	return 1;
}

/*
 * A process that has not used a context yet may still hold an fd of it
 * (inherited over exec, received): look through its fds once.
 */
struct uio_ctx *uio_iommufd_ctx_find(uint64_t id)
{
	struct uio_ctx_hunt h = { id, -1, uio_registry_find_id(id) };

	if (h.ctx || !id)
		return h.ctx;
	h.dir = uio_sys_openat(AT_FDCWD, "/proc/self/fd",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h.dir < 0)
		return NULL;
	uio_dir_each_number(h.dir, uio_ctx_hunt_fd, &h);
	uio_sys_close(h.dir);
	return h.ctx;
}
