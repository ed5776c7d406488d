// SPDX-License-Identifier: MIT
/*
 * Contexts: one per open of /dev/iommu.
 *
 * The state lives in a memfd, so the program's handle is a real kernel fd and
 * the kernel itself shares it across dup(), fork(), exec() and SCM_RIGHTS.
 * Every process that uses a context maps the memfd at the address recorded
 * in its header (MAP_FIXED_NOREPLACE), chosen at random in a part of the
 * address space that programs, libraries and sanitizers leave empty. Equal
 * addresses mean the shared structs can hold ordinary pointers.
 *
 * The alternatives were worse: a per-process heap cannot be shared after
 * fork or fd passing, and a server process would cost a round trip on every
 * ioctl. Offsets instead of pointers would make every data structure harder
 * to read for no gain while the fixed address is free, which it is in
 * practice (the region is 1/4096 of a 64 TiB window).
 *
 * Release: the kernel frees a context on the last close of its open file.
 * The creator puts an open-file-description (OFD) read lock on the memfd;
 * such a lock lives exactly as long as the open file. A closer reopens the
 * memfd through /proc, closes its fd, and asks whether the lock is still
 * there: if not, it was the last reference anywhere and releases the
 * context (uiommufd_close in main.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "sys.h"
#include "uaccess.h"

#if defined(__SANITIZE_THREAD__)
#define UIO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UIO_TSAN 1
#endif
#endif

#ifdef UIO_TSAN
/* ThreadSanitizer allows application mappings only in a few windows. */
#define UIO_CTX_MAP_SIZE (1ull << 30)
#define UIO_CTX_ADDR_LO 0x1000000000ull /* 64 GiB */
#define UIO_CTX_ADDR_HI 0x7000000000ull /* 448 GiB, below TSan's 512 GiB */
#else
#define UIO_CTX_MAP_SIZE (16ull << 30)
#define UIO_CTX_ADDR_LO 0x200000000000ull
#define UIO_CTX_ADDR_HI 0x600000000000ull
#endif
/* The journal's records take the last eighth of the mapping. */
#define UIO_CTX_JOURNAL_SIZE (UIO_CTX_MAP_SIZE / 8)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

void *uio_zalloc(struct uio_ctx *ctx, size_t n)
{
	if (uio_should_fail())
		return NULL;
	return uio_arena_zalloc(&ctx->arena, n);
}

void uio_free(struct uio_ctx *ctx, void *p, size_t n)
{
	uio_arena_free(&ctx->arena, p, n);
}

/*
 * What undo cannot restore outside the context: fault queue files'
 * readiness (their FIFOs' bytes). After every recovery, whether or not
 * something was undone: a recovering process killed here has nothing left
 * to undo, and the next one must still resync.
 */
static void uio_ctx_resync(struct uio_ctx *ctx)
{
	for (struct uio_fault *f = ctx->faults; f; f = f->next)
		uio_fault_resync(ctx, f);
}

/*
 * The owner died inside a command (or its records are still there): undo
 * what the command stored, newest first, so the context is exactly as it
 * was before the command (DESIGN.md, "Crash safety"). Killed in here, the
 * next locker replays the same records again.
 */
static void uio_ctx_recover(struct uio_ctx *ctx)
{
	int rc = uio_j_undo(&ctx->journal);

	if (rc >= 0) {
		/*
		 * Short-term references are not journaled: none is held now,
		 * whether or not the dead command had stored anything yet.
		 */
		uio_objtable_drop_shortterm(ctx);
		uio_ctx_resync(ctx);
		return;
	}
	/*
	 * The command outgrew the journal: its records are incomplete and
	 * none is replayed. The old best effort: no command is in flight, and
	 * the counters are recomputed from the structures.
	 */
	fprintf(stderr, "uiommufd: a process died inside a command too large "
			"to undo; the context may be inconsistent\n");
	uio_objtable_drop_shortterm(ctx);
	uio_ctx_recount(ctx);
	ctx->journal.used = 0;
	uio_ctx_resync(ctx);
}

void uio_ctx_lock(struct uio_ctx *ctx)
{
	int rc = pthread_mutex_lock(&ctx->lock);

	if (rc == EOWNERDEAD || ctx->journal.used) {
		uio_ctx_recover(ctx);
		if (rc == EOWNERDEAD)
			pthread_mutex_consistent(&ctx->lock);
	}
	uio_j_begin(&ctx->journal);
	uio_jverify_begin(ctx);
}

/* The commit point of the command: nothing of it is undone after this. */
void uio_ctx_unlock(struct uio_ctx *ctx)
{
	uio_jverify_end(ctx);
	uio_j_commit(&ctx->journal);
	pthread_mutex_unlock(&ctx->lock);
}

static int uio_ctx_init_lock(struct uio_ctx *ctx)
{
	pthread_mutexattr_t attr;
	int rc;

	rc = pthread_mutexattr_init(&attr);
	if (rc)
		return -rc;
	rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!rc)
		rc = pthread_mutex_init(&ctx->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	return -rc;
}

/*
 * A mapping holds a reference to the open file it was made from, which
 * would keep the OFD lock (and so the context) alive forever. Map a second
 * open of the same memfd instead; it carries no lock.
 */
static int uio_reopen(int fd)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return uio_sys_openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
}

static void *uio_map_at(int fd, uintptr_t addr)
{
	int mapfd = uio_reopen(fd);
	long p;

	if (mapfd < 0)
		return NULL;
	p = uio_sys_mmap((void *)addr, UIO_CTX_MAP_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
			 mapfd, 0);
	uio_sys_close(mapfd);

	if (p < 0 && p > -4096)
		return NULL;
	if ((uintptr_t)p != addr) {
		/* A kernel without FIXED_NOREPLACE took it as a hint. */
		uio_sys_munmap((void *)p, UIO_CTX_MAP_SIZE);
		return NULL;
	}
	return (void *)p;
}

static void *uio_map_random(int fd)
{
	uint64_t slots = (UIO_CTX_ADDR_HI - UIO_CTX_ADDR_LO) / UIO_CTX_MAP_SIZE;

	for (int tries = 0; tries < 64; tries++) {
		uint64_t r = 0;
		void *p;

		if (uio_sys_getrandom(&r, sizeof(r)) != sizeof(r))
			r = (uint64_t)(uintptr_t)&r * 0x9e3779b97f4a7c15ull + tries;
		p = uio_map_at(fd, UIO_CTX_ADDR_LO + (r % slots) * UIO_CTX_MAP_SIZE);
		if (p)
			return p;
	}
	return NULL;
}

struct uio_ctx *uio_ctx_create(int flags, int *fd_out, int *err)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 1 };
	struct uio_ctx *ctx;
	int fd, rc;

	rc = uio_uaccess_init();
	if (rc)
		goto out;
	fd = uio_sys_memfd_create("uiommufd",
				  (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = uio_sys_ftruncate(fd, UIO_CTX_MAP_SIZE);
	if (rc)
		goto out_close;
	ctx = uio_map_random(fd);
	if (!ctx) {
		rc = -ENOMEM;
		goto out_close;
	}
	rc = uio_ctx_init_lock(ctx);
	if (rc)
		goto out_unmap;
	ctx->version = UIO_CTX_VERSION;
	ctx->header_size = sizeof(*ctx);
	ctx->map_size = UIO_CTX_MAP_SIZE;
	ctx->base = (uintptr_t)ctx;
	/* A name for the context that no other will have (iommufd.h). */
	if (uio_sys_getrandom(&ctx->id, sizeof(ctx->id)) != sizeof(ctx->id) ||
	    !ctx->id)
		ctx->id = ctx->base ^ ((uint64_t)uio_current_pid() << 32) ^
			  uio_current_start_time();
	ctx->account_mode = UIO_ACCOUNT_USER;
	ctx->nmappers = 1;
	uio_arena_init(&ctx->arena, ctx + 1,
		       (char *)ctx + UIO_CTX_MAP_SIZE - UIO_CTX_JOURNAL_SIZE);
	uio_objtable_init(&ctx->objs);
	uio_j_init(&ctx->journal, (uintptr_t)ctx, &ctx->arena.brk,
		   (char *)ctx + UIO_CTX_MAP_SIZE - UIO_CTX_JOURNAL_SIZE,
		   UIO_CTX_JOURNAL_SIZE);
	rc = uio_sys_fcntl(fd, F_OFD_SETLK, &lk);
	if (!rc) {
		struct stat st;

		rc = uio_sys_fstat(fd, &st);
		ctx->file_dev = st.st_dev;
		ctx->file_ino = st.st_ino;
	}
	if (rc)
		goto out_unmap;
	/* Published last: a reader that sees the magic sees a whole header. */
	__atomic_store_n(&ctx->magic, UIO_CTX_MAGIC, __ATOMIC_RELEASE);
	*fd_out = fd;
	return ctx;

out_unmap:
	uio_sys_munmap(ctx, UIO_CTX_MAP_SIZE);
out_close:
	uio_sys_close(fd);
out:
	*err = rc;
	return NULL;
}

/* Map the context behind fd into this process; NULL if fd is not one. */
struct uio_ctx *uio_ctx_map_fd(int fd, int *err)
{
	struct uio_ctx hdr;
	struct uio_ctx *ctx;
	long n;

	*err = -ENOTTY;
	n = uio_sys_pread(fd, &hdr, offsetof(struct uio_ctx, lock), 0);
	if (n != (long)offsetof(struct uio_ctx, lock) ||
	    hdr.magic != UIO_CTX_MAGIC || hdr.version != UIO_CTX_VERSION ||
	    hdr.map_size != UIO_CTX_MAP_SIZE || hdr.base % UIO_CTX_MAP_SIZE)
		return NULL;
	if (uio_uaccess_init())
		return NULL;
	ctx = uio_map_at(fd, hdr.base);
	if (!ctx) {
		/* The address is taken in this process: cannot serve it here. */
		*err = -ENOMEM;
		return NULL;
	}
	__atomic_add_fetch(&ctx->nmappers, 1, __ATOMIC_RELAXED);
	*err = 0;
	return ctx;
}

void uio_ctx_unmap(struct uio_ctx *ctx)
{
	uio_fault_fds_forget_ctx(ctx);
	uio_access_fds_forget_ctx(ctx);
	__atomic_sub_fetch(&ctx->nmappers, 1, __ATOMIC_RELAXED);
	uio_sys_munmap(ctx, UIO_CTX_MAP_SIZE);
}

/* The last close: tear everything down, as the kernel's release does. */
void uio_ctx_release(struct uio_ctx *ctx)
{
	uio_ctx_lock(ctx);
	if (!ctx->released) {
		uio_dump_event(ctx, "last-close");
		UIO_J(&ctx->released);
		ctx->released = true;
		/* Their drivers go with the file: drop the drivers' holds. */
		while (ctx->accesses)
			uio_access_destroy(ctx, ctx->accesses);
		uio_objtable_release_all(ctx);
		uio_objtable_destroy(ctx);
	}
	uio_ctx_unlock(ctx);
}
