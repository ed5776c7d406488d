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
 * Only the part the arena uses is mapped: a context starts as one chunk
 * and grows in chunks as its arena does (the arena's limit, in the
 * header, is that shared high-water mark), up to UIO_CTX_MAP_SIZE, never
 * shrinking. The process that grows the arena extends its own mapping in
 * place (mremap, which refuses rather than clobbers; valgrind refuses
 * always, and then the next part is mapped from an fd of the context the
 * process holds), and every other process extends its own at its next
 * uio_ctx_lock, before it can follow a pointer into the new part.
 * The undo journal's records (journal.h) live at the slot's end, mapped
 * apart the same way: a first chunk with the context, more in place as a
 * command's records need, given back after a big command; a process that
 * recovers a dead command maps what its records span.
 * Nothing outside the used prefix is mapped,
 * so mlockall() locks and faults in only what is in use (a mapping of the
 * whole 16 GiB, even PROT_NONE, counts in full in VmLck and against
 * RLIMIT_MEMLOCK once locked). The rest of the 16 GiB slot is left free
 * by convention: slots are aligned, one per context, in a window nothing
 * else uses.
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
#include <sys/stat.h>

#include "core.h"
#include "dir.h"
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
/*
 * The journal's records take the last eighth of the slot (its offset in
 * the memfd too), a mapping of their own, mapped from its start as far as
 * commands have needed, a chunk of its own at a time.
 */
#define UIO_CTX_JOURNAL_SIZE (UIO_CTX_MAP_SIZE / 8)
#define UIO_CTX_JOURNAL_OFF (UIO_CTX_MAP_SIZE - UIO_CTX_JOURNAL_SIZE)
#define UIO_CTX_JCHUNK (256ull << 10)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* A context's mapping grows by this much at a time (and starts at it). */
#define UIO_CTX_CHUNK (2ull << 20)
#define UIO_CTX_SLOTS ((UIO_CTX_ADDR_HI - UIO_CTX_ADDR_LO) / UIO_CTX_MAP_SIZE)

/*
 * Process-local, per context slot (indexed by the context's address): how
 * many bytes of it this process maps, from its start (the header and the
 * arena) and from UIO_CTX_JOURNAL_OFF (the journal's records). Changed
 * only under the context's lock, at its mapping (before it is published
 * to the registry) and at its unmapping (when nothing holds it).
 */
static struct uio_ctx_map {
	uint64_t mapped;
	uint64_t jmapped;
} uio_ctx_maps[UIO_CTX_SLOTS];

static struct uio_ctx_map *uio_ctx_map_of(const struct uio_ctx *ctx)
{
	return &uio_ctx_maps[((uintptr_t)ctx - UIO_CTX_ADDR_LO) /
			     UIO_CTX_MAP_SIZE];
}

static int uio_reopen(int fd);

struct uio_map_by_fd {
	struct uio_ctx *ctx;
	uint64_t off, len;
	int dir;
	int rc;
};

/* 1 once mapped or when the range is taken; 0 to try the next fd. */
static int uio_map_by_one_fd(long fd, void *arg)
{
	struct uio_map_by_fd *m = arg;
	char *at = (char *)m->ctx + m->off;
	struct stat st;
	int mapfd;
	long p;

	if (fd == m->dir || fd > INT32_MAX || uio_sys_fstat((int)fd, &st) ||
	    (uint64_t)st.st_dev != m->ctx->file_dev ||
	    (uint64_t)st.st_ino != m->ctx->file_ino)
		return 0;
	mapfd = uio_reopen((int)fd);
	if (mapfd < 0)
		return 0;
	p = uio_sys_mmap(at, m->len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
			 mapfd, (long)m->off);
	uio_sys_close(mapfd);
	if (p == (long)(uintptr_t)at) {
		m->rc = 0;
		return 1;
	}
	if (p >= 0 || p <= -4096) {
		uio_sys_munmap((void *)p, m->len);
		return 0;
	}
	return 1; /* the range is taken */
}

/*
 * Map [off, off + len) of the context, at ctx + off, from an fd of it that
 * this process holds, for when a mapping cannot be extended in place
 * (valgrind refuses to grow a file mapping). 0 or -ENOMEM.
 */
static int uio_ctx_map_by_fd(struct uio_ctx *ctx, uint64_t off, uint64_t len)
{
	struct uio_map_by_fd m = { ctx, off, len, -1, -ENOMEM };

	m.dir = uio_sys_openat(AT_FDCWD, "/proc/self/fd",
			       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m.dir < 0)
		return -ENOMEM;
	uio_dir_each_number(m.dir, uio_map_by_one_fd, &m);
	uio_sys_close(m.dir);
	return m.rc;
}

/*
 * Extend this process's mapping of the part of ctx at offset off, *mapped
 * bytes long (at least one page), to `bytes`. 0 or -errno.
 */
static int uio_ctx_extend(struct uio_ctx *ctx, uint64_t off, uint64_t *mapped,
			  uint64_t bytes)
{
	char *at = (char *)ctx + off;
	long p;

	if (bytes <= *mapped)
		return 0;
	/* Without MREMAP_MAYMOVE: in place, or ENOMEM if the range is taken. */
	p = uio_sys_mremap(at, *mapped, bytes, 0);
	if (p != (long)(uintptr_t)at) {
		if (p >= 0 || p <= -4096)
			return -ENOMEM; /* cannot happen without MAYMOVE */
		if (uio_ctx_map_by_fd(ctx, off + *mapped, bytes - *mapped))
			return (int)p;
	}
	*mapped = bytes;
	return 0;
}

/* Extend this process's mapping of ctx to `bytes`. 0 or -errno. */
static int uio_ctx_map_to(struct uio_ctx *ctx, uint64_t bytes)
{
	return uio_ctx_extend(ctx, 0, &uio_ctx_map_of(ctx)->mapped, bytes);
}

/*
 * The arena's grow hook: map the chunks covering [limit, to) here, then
 * publish the new limit, which the other processes map up to at their
 * next lock (uio_ctx_follow). Under the context's lock, inside a command:
 * the limit is journaled with the arena (an undo lowers it again, the
 * chunks staying mapped where they were, unused until the arena grows
 * into them again; the memfd already spans the whole slot).
 */
static int uio_ctx_arena_grow(struct uio_arena *a, uintptr_t to)
{
	struct uio_ctx *ctx = uio_container_of(a, struct uio_ctx, arena);
	uintptr_t limit = ((to - 1) | (UIO_CTX_CHUNK - 1)) + 1;
	int rc;

	if (limit > a->end)
		limit = a->end;
	rc = uio_ctx_map_to(ctx, limit - (uintptr_t)ctx);
	if (rc)
		return rc;
	UIO_J(a);
	a->limit = limit;
	return 0;
}

/* Map what the arena uses, as another process may have grown it. */
static int uio_ctx_follow(struct uio_ctx *ctx)
{
	uint64_t used = ctx->arena.limit - (uintptr_t)ctx;

	if (used > UIO_CTX_JOURNAL_OFF)
		return -ENOMEM;
	return uio_ctx_map_to(ctx, used);
}

/*
 * The journal's record memory (journal.h, uio_j_mem): grown here in place
 * as a command's records need it (geometrically), given back past `keep`
 * after a command that needed much (unlocked first: a locked range, as
 * under mlockall(MCL_FUTURE), cannot be discarded). Another process that
 * recovers a dead command maps what its records span (uio_ctx_jfollow).
 */
static int64_t uio_ctx_jroom(struct uio_journal *j, uint64_t bytes)
{
	struct uio_ctx *ctx = uio_container_of(j, struct uio_ctx, journal);
	struct uio_ctx_map *m = uio_ctx_map_of(ctx);
	uint64_t want = bytes;
	int rc;

	if (bytes > m->jmapped) {
		if (want < 2 * m->jmapped)
			want = 2 * m->jmapped;
		want = ((want - 1) | (UIO_CTX_JCHUNK - 1)) + 1;
		if (want > UIO_CTX_JOURNAL_SIZE)
			want = UIO_CTX_JOURNAL_SIZE;
		if (bytes > want)
			return -ENOMEM;
		rc = uio_ctx_extend(ctx, UIO_CTX_JOURNAL_OFF, &m->jmapped, want);
		if (rc)
			return rc;
	}
	return (int64_t)m->jmapped;
}

static int64_t uio_ctx_jtrim(struct uio_journal *j, uint64_t keep)
{
	struct uio_ctx *ctx = uio_container_of(j, struct uio_ctx, journal);
	struct uio_ctx_map *m = uio_ctx_map_of(ctx);
	char *at = (char *)ctx + UIO_CTX_JOURNAL_OFF;

	keep = ((keep - 1) | (UIO_CTX_JCHUNK - 1)) + 1;
	if (m->jmapped > keep) {
		UIO_SYS(SYS_munlock, at + keep, m->jmapped - keep);
		uio_sys_madvise(at + keep, m->jmapped - keep, MADV_REMOVE);
		uio_sys_munmap(at + keep, m->jmapped - keep);
		m->jmapped = keep;
	}
	return (int64_t)m->jmapped;
}

static const struct uio_j_mem uio_ctx_jmem = {
	.room = uio_ctx_jroom,
	.trim = uio_ctx_jtrim,
};

/* Map the records a dead command left, for their undo. 0 or -errno. */
static int uio_ctx_jfollow(struct uio_ctx *ctx)
{
	uint64_t used = ctx->journal.used;
	int64_t r;

	if (!used)
		return 0;
	if (used > UIO_CTX_JOURNAL_SIZE)
		return 0; /* broken: uio_j_undo refuses it */
	r = uio_ctx_jroom(&ctx->journal, used);
	return r < 0 ? (int)r : 0;
}

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

int uio_ctx_lock(struct uio_ctx *ctx)
{
	int rc = pthread_mutex_lock(&ctx->lock);

	/*
	 * Before anything past the header is read: the arena may have grown
	 * in another process, and a dead command's records are to be read.
	 * If this process cannot map them, the command fails; a recovery owed
	 * to a dead owner is left to the next locker.
	 */
	if (uio_ctx_follow(ctx) || uio_ctx_jfollow(ctx)) {
		if (rc == EOWNERDEAD) {
			ctx->recover_pending = true;
			pthread_mutex_consistent(&ctx->lock);
		}
		pthread_mutex_unlock(&ctx->lock);
		return -ENOMEM;
	}
	if (rc == EOWNERDEAD || ctx->recover_pending || ctx->journal.used) {
		uio_ctx_recover(ctx);
		ctx->recover_pending = false;
		if (rc == EOWNERDEAD)
			pthread_mutex_consistent(&ctx->lock);
	}
	uio_j_begin(&ctx->journal);
	uio_jverify_begin(ctx);
	return 0;
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

/* Map the first chunk of the context at addr; it grows from there. */
static void *uio_map_at(int fd, uintptr_t addr)
{
	int mapfd = uio_reopen(fd);
	long p;

	if (mapfd < 0)
		return NULL;
	p = uio_sys_mmap((void *)addr, UIO_CTX_CHUNK, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_NORESERVE,
			 mapfd, 0);
	if ((uintptr_t)p == addr) {
		/* The journal's first chunk: it grows in place from there. */
		long j = uio_sys_mmap((void *)(addr + UIO_CTX_JOURNAL_OFF),
				      UIO_CTX_JCHUNK, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_FIXED_NOREPLACE |
				      MAP_NORESERVE, mapfd,
				      (long)UIO_CTX_JOURNAL_OFF);

		if (j != (long)(addr + UIO_CTX_JOURNAL_OFF)) {
			if (j >= 0 || j <= -4096)
				uio_sys_munmap((void *)j, UIO_CTX_JCHUNK);
			uio_sys_munmap((void *)p, UIO_CTX_CHUNK);
			p = -ENOMEM;
		}
	}
	uio_sys_close(mapfd);

	if (p < 0 && p > -4096)
		return NULL;
	if ((uintptr_t)p != addr) {
		/* A kernel without FIXED_NOREPLACE took it as a hint. */
		uio_sys_munmap((void *)p, UIO_CTX_CHUNK);
		return NULL;
	}
	uio_ctx_map_of((void *)p)->mapped = UIO_CTX_CHUNK;
	uio_ctx_map_of((void *)p)->jmapped = UIO_CTX_JCHUNK;
	uio_arena_set_grow(uio_ctx_arena_grow);
	uio_j_set_mem(&uio_ctx_jmem);
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
	uio_arena_init(&ctx->arena, ctx + 1, (char *)ctx + UIO_CTX_CHUNK);
	ctx->arena.end = ctx->base + UIO_CTX_JOURNAL_OFF;
	uio_objtable_init(&ctx->objs);
	uio_j_init(&ctx->journal, (uintptr_t)ctx, &ctx->arena.brk,
		   (char *)ctx + UIO_CTX_JOURNAL_OFF, UIO_CTX_JOURNAL_SIZE);
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
	uio_ctx_munmap(ctx);
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
	    hdr.map_size != UIO_CTX_MAP_SIZE || hdr.base % UIO_CTX_MAP_SIZE ||
	    hdr.base < UIO_CTX_ADDR_LO || hdr.base >= UIO_CTX_ADDR_HI)
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

void uio_ctx_munmap(struct uio_ctx *ctx)
{
	struct uio_ctx_map *m = uio_ctx_map_of(ctx);

	uio_sys_munmap(ctx, m->mapped);
	uio_sys_munmap((char *)ctx + UIO_CTX_JOURNAL_OFF, m->jmapped);
	m->mapped = 0;
	m->jmapped = 0;
}

void uio_ctx_unmap(struct uio_ctx *ctx)
{
	uio_fault_fds_forget_ctx(ctx);
	uio_access_fds_forget_ctx(ctx);
	__atomic_sub_fetch(&ctx->nmappers, 1, __ATOMIC_RELAXED);
	uio_ctx_munmap(ctx);
}

/* The last close: tear everything down, as the kernel's release does. */
void uio_ctx_release(struct uio_ctx *ctx)
{
	/* Unable to map it here: its objects stay, and go with the memfd. */
	if (uio_ctx_lock(ctx))
		return;
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
