// SPDX-License-Identifier: MIT
/*
 * path: where a path goes (path.h), in the manner of umockdev's
 * trap_path(): the launcher built the emulated tree under RUNDIR
 * (lib/sysfs/sysfs.c) and listed in RUNDIR/index what differs from the
 * host; this file only maps names.
 *
 *   M DIR   a merged directory: DIR itself is RUNDIR's (listing ours and
 *           the host's entries); its other entries are the host's.
 *   O PATH  ours, with everything below it.
 *   P PATH  never ours (served by the preload itself).
 *
 * The longest entry that is PATH or a parent of it decides. A path
 * relative to a directory fd or the cwd is first made absolute from where
 * that directory is, which for a directory inside RUNDIR means its name
 * in the emulated tree ("unmapping" RUNDIR), so that ".." and host
 * entries of merged directories resolve as the program expects. Finding
 * where a directory fd is costs a readlink of /proc/self/fd/N, done only
 * for fds this layer opened by name on directories that can lead into the
 * tree, and their copies (a bitmap); for the cwd, chdir keeps its name.
 *
 * Everything the kernel is asked here is asked with raw system calls: the
 * preload interposes the libc functions.
 */
#include "debug.h"
#include "path.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

#define UIO_SYSFS_MAGIC 0x62656572L
#define UIO_DEBUGFS_MAGIC 0x64626720L
#define UIO_TMPFS_MAGIC 0x01021994L

enum { FS_NONE, FS_SYSFS, FS_DEBUGFS, FS_DEVTMPFS };

struct entry {
	const char *path;
	uint32_t len;
	char kind;
};

/* The index, read once. */
static char idx_text[64 * 1024];
static struct entry idx[2048];
static unsigned int nidx;
static char firsts[8][32]; /* first components of the entries ("sys", "dev") */
static size_t firsts_len[8];
static unsigned int nfirsts;
static char rundir[PATH_MAX];
static size_t rundir_len;
static _Atomic bool active;

static _Atomic int init_state; /* 0 not yet, 1 under way, 2 done */
static _Atomic long init_tid;

/* What the last uio_path_redirect of this thread found. */
static __thread struct {
	unsigned char redirected, relevant, fs, binattr, merged;
	const char *virt; /* in the caller's buffer: valid until it returns */
} last;

/* Directory fds that may lead into the tree: bit per fd. */
#define MARK_FDS (1u << 20)
static _Atomic uint64_t marks[MARK_FDS / 64];

/* The cwd, as the program knows it (a seqlock: written by chdir). */
static struct {
	_Atomic unsigned int seq;
	atomic_flag lock;
	_Atomic bool relevant, in_rundir;
	_Atomic bool stale; /* a refresh could not take the lock: ask the kernel */
	char virt[PATH_MAX];
} cwd = { .lock = ATOMIC_FLAG_INIT };

static void cwd_refresh(void);

/* ------------------------------------------------------------------ */
/* loading the index */

static long path_gettid(void)
{
	return syscall(SYS_gettid);
}

static void load_index(void)
{
	char path[PATH_MAX + 8];
	const char *env = getenv("UIOMMUFD_RUNDIR");
	size_t n = env ? strlen(env) : 0, got = 0;
	int fd;

	while (n > 1 && env[n - 1] == '/')
		n--;
	if (!n || env[0] != '/' || n + sizeof("/index") > sizeof(rundir)) {
		uio_debug(UIO_DEBUG_VFIO, "no emulated tree: UIOMMUFD_RUNDIR is %s (run under uiommufd-run)", n ? "not an absolute path" : "not set");
		return;
	}
	memcpy(rundir, env, n);
	rundir[n] = 0;
	rundir_len = n;
	memcpy(path, rundir, n);
	memcpy(path + n, "/index", sizeof("/index"));
	fd = uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		uio_debug(UIO_DEBUG_VFIO, "no emulated tree: cannot open %s: %s", path, strerror(-fd));
		return;
	}
	for (;;) {
		long r = uio_sys_read(fd, idx_text + got, sizeof(idx_text) - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	uio_sys_close(fd);
	idx_text[got] = 0;
	for (char *p = idx_text; *p && nidx < sizeof(idx) / sizeof(idx[0]);) {
		char *nl = strchr(p, '\n');
		struct entry *e;

		if (!nl)
			break;
		*nl = 0;
		if (p[0] && p[1] == ' ' && p[2] == '/' &&
		    (p[0] == 'M' || p[0] == 'O' || p[0] == 'P')) {
			const char *first = p + 3;
			size_t flen = strcspn(first, "/");
			unsigned int i;

			e = &idx[nidx++];
			e->kind = p[0];
			e->path = p + 2;
			e->len = (uint32_t)strlen(e->path);
			for (i = 0; i < nfirsts; i++)
				if (firsts_len[i] == flen && !memcmp(firsts[i], first, flen))
					break;
			if (i == nfirsts && nfirsts < 8 && flen < sizeof(firsts[0])) {
				memcpy(firsts[nfirsts], first, flen);
				firsts[nfirsts][flen] = 0;
				firsts_len[nfirsts++] = flen;
			}
		}
		p = nl + 1;
	}
	active = nidx > 0;
}

/* Whether a tree is in use; loads the index on first use. */
static bool ready(void)
{
	int s = atomic_load_explicit(&init_state, memory_order_acquire);
	int zero = 0;

	if (s == 2)
		return active;
	if (s == 0 && atomic_compare_exchange_strong(&init_state, &zero, 1)) {
		atomic_store(&init_tid, path_gettid());
		load_index();
		atomic_store_explicit(&init_state, 2, memory_order_release);
		if (active)
			cwd_refresh();
		return active;
	}
	/* A signal handler interrupting the load in this thread: not yet. */
	if (atomic_load(&init_tid) == path_gettid())
		return false;
	while (atomic_load_explicit(&init_state, memory_order_acquire) != 2)
		uio_sys_sched_yield();
	return active;
}

bool uio_path_active(void)
{
	return ready();
}

/* ------------------------------------------------------------------ */
/* names */

/*
 * Normalise base + "/" + rel (base NULL: rel is absolute) lexically into
 * out: no "//", ".", ".." or trailing '/'. False if it does not fit.
 */
static bool normalise(const char *base, const char *rel, char *out, size_t outsz)
{
	size_t n = 0;

	for (int part = base ? 0 : 1; part < 2; part++) {
		const char *in = part ? rel : base;

		while (*in) {
			const char *seg;
			size_t len;

			while (*in == '/')
				in++;
			seg = in;
			while (*in && *in != '/')
				in++;
			len = (size_t)(in - seg);
			if (len == 0 || (len == 1 && seg[0] == '.'))
				continue;
			if (len == 2 && seg[0] == '.' && seg[1] == '.') {
				while (n > 0 && out[n - 1] != '/')
					n--;
				if (n > 0)
					n--;
				continue;
			}
			if (n + 1 + len + 1 > outsz)
				return false;
			out[n++] = '/';
			memcpy(out + n, seg, len);
			n += len;
		}
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
	return true;
}

/* An absolute path that cannot name the tree, seen without normalising. */
static bool surely_outside(const char *path)
{
	const char *p = path;
	size_t n;

	while (*p == '/')
		p++;
	if (*p == '.')
		return false;
	n = strcspn(p, "/");
	for (unsigned int i = 0; i < nfirsts; i++)
		if (firsts_len[i] == n && !memcmp(firsts[i], p, n))
			return false;
	/* "/x/../sys" could climb back in. */
	return !strstr(p, "/..");
}

static bool ends_as_dir(const char *path)
{
	size_t n = strlen(path);

	return n && (path[n - 1] == '/' || (path[n - 1] == '.' &&
		     (n == 1 || path[n - 2] == '/' ||
		      (path[n - 2] == '.' && (n == 2 || path[n - 3] == '/')))));
}

static bool has_dotdot(const char *rel)
{
	for (const char *p = rel; (p = strstr(p, "..")); p += 2)
		if ((p == rel || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
			return true;
	return false;
}

/*
 * Whether the normalised path v is RUNDIR's; *relevant: whether it is
 * ours or a directory above ours (a lookup below it may lead in).
 */
static bool classify_merged(const char *v, size_t vlen, bool *relevant,
			    bool *merged)
{
	const struct entry *best = NULL;
	bool rel = vlen == 1; /* "/" */
	bool ours;

	for (unsigned int i = 0; i < nidx; i++) {
		const struct entry *e = &idx[i];

		if (e->len <= vlen) {
			if ((v[e->len] == 0 || v[e->len] == '/') &&
			    !memcmp(e->path, v, e->len) && (!best || e->len > best->len))
				best = e;
		} else if (!rel && e->path[vlen] == '/' && !memcmp(e->path, v, vlen)) {
			rel = true;
		}
	}
	ours = best && (best->kind == 'O' || (best->kind == 'M' && best->len == vlen));
	*relevant = rel || ours;
	*merged = ours && best->kind == 'M';
	return ours;
}

static bool classify(const char *v, size_t vlen, bool *relevant)
{
	bool merged;

	return classify_merged(v, vlen, relevant, &merged);
}

static unsigned char fs_of(const char *v)
{
	if (!strncmp(v, "/sys/kernel/debug/", 18) || !strcmp(v, "/sys/kernel/debug"))
		return FS_DEBUGFS;
	if (!strncmp(v, "/sys/", 5) || !strcmp(v, "/sys"))
		return FS_SYSFS;
	if (!strncmp(v, "/dev/", 5) || !strcmp(v, "/dev"))
		return FS_DEVTMPFS;
	return FS_NONE;
}

/* sysfs binary attributes keep their size: config, rom, resourceN[_wc]. */
static bool is_binattr(const char *v)
{
	const char *b = strrchr(v, '/');
	const char *p;

	b = b ? b + 1 : v;
	if (!strcmp(b, "config") || !strcmp(b, "rom"))
		return true;
	if (strncmp(b, "resource", 8) || !(b[8] >= '0' && b[8] <= '9'))
		return false;
	for (p = b + 8; *p >= '0' && *p <= '9'; p++)
		;
	return !*p || !strcmp(p, "_wc");
}

char *uio_path_unmap(char *path)
{
	if (path && ready() && !strncmp(path, rundir, rundir_len) &&
	    path[rundir_len] == '/')
		memmove(path, path + rundir_len, strlen(path + rundir_len) + 1);
	return path;
}

/* Where fd is, as the program knows it, into out; false if not a path. */
static bool fd_virtual(int fd, char *out, size_t outsz, bool *in_rundir)
{
	char proc[32] = "/proc/self/fd/";
	char digits[12];
	int nd = 0;
	long n;

	if (fd < 0)
		return false;
	do
		digits[nd++] = (char)('0' + fd % 10);
	while ((fd /= 10) && nd < 11);
	for (int i = 0; i < nd; i++)
		proc[14 + i] = digits[nd - 1 - i];
	proc[14 + nd] = 0;
	n = UIO_SYS(SYS_readlinkat, AT_FDCWD, proc, out, outsz - 1);
	if (n <= 0 || out[0] != '/')
		return false;
	out[n] = 0;
	*in_rundir = !strncmp(out, rundir, rundir_len) &&
		     (out[rundir_len] == '/' || !out[rundir_len]);
	if (*in_rundir) {
		if (!out[rundir_len])
			return false; /* RUNDIR itself is nothing the program knows */
		memmove(out, out + rundir_len, (size_t)n - rundir_len + 1);
	}
	return true;
}

bool uio_path_fd_in_rundir(int fd)
{
	char p[PATH_MAX];
	bool in = false;

	return ready() && fd_virtual(fd, p, sizeof(p), &in) && in;
}

static bool fd_marked(int fd)
{
	if (fd < 0)
		return false;
	if ((unsigned int)fd >= MARK_FDS)
		return true; /* unknown: look */
	return atomic_load_explicit(&marks[fd / 64], memory_order_relaxed) &
	       (1ull << (fd % 64));
}

static bool cwd_from_kernel(char *out, size_t outsz, bool *in_rundir)
{
	bool rel = false;

	if (UIO_SYS(SYS_getcwd, out, outsz) <= 0 || out[0] != '/')
		return false;
	*in_rundir = !strncmp(out, rundir, rundir_len) && out[rundir_len] == '/';
	uio_path_unmap(out);
	classify(out, strlen(out), &rel);
	return rel || *in_rundir;
}

/* The cwd into out if lookups below it may lead into the tree. */
static bool cwd_get(char *out, size_t outsz, bool *in_rundir)
{
	unsigned int spins = 0;

	if (atomic_load_explicit(&cwd.stale, memory_order_acquire))
		return cwd_from_kernel(out, outsz, in_rundir);
	for (;;) {
		unsigned int s = atomic_load_explicit(&cwd.seq, memory_order_acquire);
		bool rel;

		if (s & 1) {
			/* A writer interrupted by us (a signal handler): ask the kernel. */
			if (++spins > 1000)
				return cwd_from_kernel(out, outsz, in_rundir);
			uio_sys_sched_yield();
			continue;
		}
		rel = atomic_load_explicit(&cwd.relevant, memory_order_relaxed);
		*in_rundir = atomic_load_explicit(&cwd.in_rundir, memory_order_relaxed);
		if (rel) {
			size_t n = strnlen(cwd.virt, sizeof(cwd.virt) - 1);

			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, cwd.virt, n);
			out[n] = 0;
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&cwd.seq, memory_order_relaxed) == s)
			return rel;
	}
}

static void cwd_refresh(void)
{
	char p[PATH_MAX];
	bool in = false, rel = false;
	long n = UIO_SYS(SYS_getcwd, p, sizeof(p));

	if (n > 0 && p[0] == '/') {
		in = !strncmp(p, rundir, rundir_len) && p[rundir_len] == '/';
		uio_path_unmap(p);
		classify(p, strlen(p), &rel);
		rel = rel || in;
	} else {
		p[0] = 0;
	}
	for (unsigned int spins = 0;
	     atomic_flag_test_and_set_explicit(&cwd.lock, memory_order_acquire); spins++) {
		if (spins > 1000) {
			/* Its holder is the thread we interrupted. */
			atomic_store_explicit(&cwd.stale, true, memory_order_release);
			return;
		}
		uio_sys_sched_yield();
	}
	atomic_fetch_add_explicit(&cwd.seq, 1, memory_order_acq_rel);
	memcpy(cwd.virt, p, strlen(p) + 1);
	atomic_store_explicit(&cwd.relevant, rel, memory_order_relaxed);
	atomic_store_explicit(&cwd.in_rundir, in, memory_order_relaxed);
	atomic_fetch_add_explicit(&cwd.seq, 1, memory_order_release);
	atomic_flag_clear_explicit(&cwd.lock, memory_order_release);
}

void uio_path_cwd_changed(void)
{
	if (ready())
		cwd_refresh();
}

/* ------------------------------------------------------------------ */
/* the decision */

const char *uio_path_redirect(int dirfd, const char *path, char *buf, size_t len)
{
	char base[PATH_MAX], v[PATH_MAX];
	bool base_in_rundir = false, rel, ours, merged;
	size_t vlen;

	last.redirected = last.relevant = last.merged = 0;
	if (!path || !ready())
		return path;
	if (path[0] == '/') {
		if (surely_outside(path))
			return path;
		if (!normalise(NULL, path, v, sizeof(v)))
			return path;
	} else {
		if (!path[0])
			return path; /* AT_EMPTY_PATH */
		if (dirfd == AT_FDCWD) {
			if (!cwd_get(base, sizeof(base), &base_in_rundir)) {
				if (!has_dotdot(path))
					return path;
				if (UIO_SYS(SYS_getcwd, base, sizeof(base)) <= 0 || base[0] != '/')
					return path;
				base_in_rundir = !strncmp(base, rundir, rundir_len) &&
						 base[rundir_len] == '/';
				uio_path_unmap(base);
			}
		} else {
			/*
			 * Only directories this layer opened by name: one opened
			 * by its RUNDIR path keeps that path's meaning.
			 */
			if (!fd_marked(dirfd))
				return path;
			if (!fd_virtual(dirfd, base, sizeof(base), &base_in_rundir))
				return path;
		}
		if (!normalise(base, path, v, sizeof(v)))
			return path;
	}
	vlen = strlen(v);
	ours = classify_merged(v, vlen, &rel, &merged);
	/* "dir/", "dir/." and "dir/..": the kernel follows and wants a directory. */
	if (vlen > 1 && ends_as_dir(path) && vlen + 1 < sizeof(v)) {
		v[vlen++] = '/';
		v[vlen] = 0;
	}
	last.relevant = rel || base_in_rundir;
	if (ours) {
		if (rundir_len + vlen + 1 > len)
			return path;
		memcpy(buf, rundir, rundir_len);
		memcpy(buf + rundir_len, v, vlen + 1);
		/*
		 * A process that outlives the launch (a daemon PROG left
		 * behind) finds RUNDIR gone: the merged directories (/dev
		 * among them) are the host's again.
		 */
		if (merged && UIO_SYS(SYS_faccessat, AT_FDCWD, rundir, F_OK) == -ENOENT) {
			active = false;
			last.relevant = 0;
			return path;
		}
		last.redirected = 1;
		last.merged = merged;
		last.virt = buf + rundir_len;
		last.fs = fs_of(v);
		last.binattr = is_binattr(v);
		uio_debug(UIO_DEBUG_PATH, "%s -> %s", path, buf);
		return buf;
	}
	/* A host entry named from inside RUNDIR: its host path. */
	if (base_in_rundir && vlen + 1 <= len) {
		memcpy(buf, v, vlen + 1);
		return buf;
	}
	return path;
}

bool uio_path_redirected(void)
{
	return last.redirected;
}

/* ------------------------------------------------------------------ */
/* fds, stat */

void uio_path_opened(int fd)
{
	uint64_t bit;

	if (fd < 0 || (unsigned int)fd >= MARK_FDS)
		return;
	bit = 1ull << (fd % 64);
	if (last.relevant)
		atomic_fetch_or_explicit(&marks[fd / 64], bit, memory_order_relaxed);
	else if (atomic_load_explicit(&marks[fd / 64], memory_order_relaxed) & bit)
		atomic_fetch_and_explicit(&marks[fd / 64], ~bit, memory_order_relaxed);
}

void uio_path_closed(int fd)
{
	uint64_t bit;

	if (fd < 0 || (unsigned int)fd >= MARK_FDS)
		return;
	bit = 1ull << (fd % 64);
	if (atomic_load_explicit(&marks[fd / 64], memory_order_relaxed) & bit)
		atomic_fetch_and_explicit(&marks[fd / 64], ~bit, memory_order_relaxed);
}

void uio_path_dup(int oldfd, int newfd)
{
	if (newfd < 0 || (unsigned int)newfd >= MARK_FDS)
		return;
	if (fd_marked(oldfd) && oldfd >= 0)
		atomic_fetch_or_explicit(&marks[newfd / 64], 1ull << (newfd % 64),
					 memory_order_relaxed);
	else
		uio_path_closed(newfd);
}

/*
 * A merged directory is the host's, listed with our entries: its
 * attributes are the host directory's, its device and inode RUNDIR's (a
 * program compares them with an fstat of what it opened).
 */
static bool host_dir_stat(struct stat *h)
{
	return last.merged && last.virt &&
	       !UIO_SYS(SYS_newfstatat, AT_FDCWD, last.virt, h, 0) && S_ISDIR(h->st_mode);
}

/* sysfs and debugfs: root's, sizes as kernfs and debugfs report them. */
void uio_path_fix_stat(struct stat *st)
{
	struct stat h;

	if (!last.redirected || last.fs == FS_NONE)
		return;
	if (S_ISDIR(st->st_mode) && host_dir_stat(&h)) {
		h.st_dev = st->st_dev;
		h.st_ino = st->st_ino;
		*st = h;
		return;
	}
	st->st_uid = 0;
	st->st_gid = 0;
	if (last.fs == FS_DEVTMPFS)
		return;
	st->st_blocks = 0;
	if (S_ISDIR(st->st_mode) || S_ISLNK(st->st_mode) || last.fs == FS_DEBUGFS)
		st->st_size = 0;
	else if (S_ISREG(st->st_mode) && !last.binattr)
		st->st_size = 4096;
}

void uio_path_fix_statx(struct statx *stx)
{
	struct stat h;

	if (!last.redirected || last.fs == FS_NONE)
		return;
	if (S_ISDIR(stx->stx_mode) && host_dir_stat(&h)) {
		stx->stx_mode = (uint16_t)h.st_mode;
		stx->stx_nlink = (uint32_t)h.st_nlink;
		stx->stx_uid = h.st_uid;
		stx->stx_gid = h.st_gid;
		stx->stx_size = (uint64_t)h.st_size;
		stx->stx_blocks = (uint64_t)h.st_blocks;
		stx->stx_atime.tv_sec = h.st_atim.tv_sec;
		stx->stx_atime.tv_nsec = (uint32_t)h.st_atim.tv_nsec;
		stx->stx_mtime.tv_sec = h.st_mtim.tv_sec;
		stx->stx_mtime.tv_nsec = (uint32_t)h.st_mtim.tv_nsec;
		stx->stx_ctime.tv_sec = h.st_ctim.tv_sec;
		stx->stx_ctime.tv_nsec = (uint32_t)h.st_ctim.tv_nsec;
		return;
	}
	stx->stx_uid = 0;
	stx->stx_gid = 0;
	if (last.fs == FS_DEVTMPFS)
		return;
	stx->stx_blocks = 0;
	if (S_ISDIR(stx->stx_mode) || S_ISLNK(stx->stx_mode) || last.fs == FS_DEBUGFS)
		stx->stx_size = 0;
	else if (S_ISREG(stx->stx_mode) && !last.binattr)
		stx->stx_size = 4096;
}

long uio_path_fs_magic(void)
{
	if (!last.redirected)
		return 0;
	switch (last.fs) {
	case FS_SYSFS:
		return UIO_SYSFS_MAGIC;
	case FS_DEBUGFS:
		return UIO_DEBUGFS_MAGIC;
	case FS_DEVTMPFS:
		return UIO_TMPFS_MAGIC;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* directory streams */

struct tracked_dir {
	DIR *d;
	unsigned char fs;
	char *virt;
};

static struct tracked_dir dirs[64];
static _Atomic unsigned int ndirs;
static pthread_mutex_t dirs_lock = PTHREAD_MUTEX_INITIALIZER;

static void track(DIR *d, const char *virt)
{
	size_t n = strlen(virt) + 1;
	char *copy = malloc(n);

	if (!copy)
		return;
	memcpy(copy, virt, n);
	pthread_mutex_lock(&dirs_lock);
	for (unsigned int i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i].d)
			continue;
		dirs[i].d = d;
		dirs[i].fs = fs_of(virt);
		dirs[i].virt = copy;
		copy = NULL;
		atomic_fetch_add(&ndirs, 1);
		break;
	}
	pthread_mutex_unlock(&dirs_lock);
	free(copy);
}

void uio_path_dir_opened(DIR *d, const char *used)
{
	if (d && used && ready() && !strncmp(used, rundir, rundir_len) &&
	    used[rundir_len] == '/')
		track(d, used + rundir_len);
}

void uio_path_fdir_opened(DIR *d, int fd)
{
	char p[PATH_MAX];
	bool in = false;

	if (!d || !fd_marked(fd) || !ready() || !fd_virtual(fd, p, sizeof(p), &in) || !in)
		return;
	track(d, p);
}

void uio_path_dir_closed(DIR *d)
{
	char *virt = NULL;

	if (!atomic_load_explicit(&ndirs, memory_order_relaxed))
		return;
	pthread_mutex_lock(&dirs_lock);
	for (unsigned int i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i].d != d)
			continue;
		virt = dirs[i].virt;
		dirs[i].d = NULL;
		dirs[i].virt = NULL;
		atomic_fetch_sub(&ndirs, 1);
		break;
	}
	pthread_mutex_unlock(&dirs_lock);
	free(virt);
}

void uio_path_dirent(DIR *d, struct dirent *e)
{
	char v[PATH_MAX];
	unsigned char fs = FS_NONE;
	bool found = false, rel;
	size_t n;

	if (!e || !atomic_load_explicit(&ndirs, memory_order_relaxed))
		return;
	pthread_mutex_lock(&dirs_lock);
	for (unsigned int i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i].d != d)
			continue;
		n = strlen(dirs[i].virt);
		if (n + 2 + strlen(e->d_name) <= sizeof(v)) {
			memcpy(v, dirs[i].virt, n);
			v[n] = '/';
			strcpy(v + n + 1, e->d_name);
			fs = dirs[i].fs;
			found = true;
		}
		break;
	}
	pthread_mutex_unlock(&dirs_lock);
	if (!found || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
		return;
	if (e->d_type == DT_LNK && !classify(v, strlen(v), &rel)) {
		/* A host entry, mirrored by a symlink: the host's type. */
		struct stat st;

		if (!UIO_SYS(SYS_newfstatat, AT_FDCWD, v, &st, AT_SYMLINK_NOFOLLOW))
			e->d_type = (unsigned char)IFTODT(st.st_mode);
	} else if (e->d_type == DT_REG && fs == FS_DEVTMPFS) {
		e->d_type = DT_CHR; /* device node stand-ins */
	}
}
