// SPDX-License-Identifier: MIT
/*
 * calltrace.so: an ltrace-like logger of the libc calls a VFIO client makes
 * on /sys, /dev and /proc paths and on VFIO and iommufd file descriptors,
 * with the VFIO ioctls decoded (arguments in and results out), every mmap
 * of such an fd, every pread/pwrite (offset, size, value) and the entries
 * readdir returns from such directories. Used by scripts/real-clients.sh
 * --record, loaded in front of libuiommufd-preload.so:
 *
 *   uiommufd-run ... -- env LD_PRELOAD=calltrace.so:$LIB \
 *       CALLTRACE=FILE PROG ...
 *
 * so it sees the program's own calls, as the program makes them, before
 * uiommufd serves or passes them on. Logs to $CALLTRACE (appended, one
 * line a call, "[pid] call(args) = result"). A tool of the test harness,
 * not part of uiommufd.
 */
#define _GNU_SOURCE
#undef _FILE_OFFSET_BITS
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static int logfd = -1;
static pid_t logpid;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char buf[2048];
	int n, saved = errno;
	va_list ap;

	if (logfd < 0 || logpid != getpid()) {
		const char *p = getenv("CALLTRACE");

		if (!p) {
			errno = saved;
			return;
		}
		logfd = (int)syscall(SYS_openat, AT_FDCWD, p,
				     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		logpid = getpid();
		if (logfd < 0) {
			errno = saved;
			return;
		}
	}
	n = snprintf(buf, sizeof(buf), "[%d] ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	syscall(SYS_write, logfd, buf, (size_t)n);
	errno = saved;
}

/* ------------------------------------------------------------------ */
/* what is interesting */

enum kind { K_NONE, K_CONTAINER, K_IOMMUFD, K_GROUP, K_DEVICE, K_SYSFS };
#define MAXFD 4096
static unsigned char fdkind[MAXFD];

static int interesting_path(const char *p)
{
	if (!p)
		return 0;
	/* CPU and NUMA topology: the real sysfs, read in loops; left out. */
	if (!strncmp(p, "/sys/devices/system/", 20))
		return 0;
	return !strncmp(p, "/sys", 4) || !strncmp(p, "/dev", 4) ||
	       !strncmp(p, "/proc/self/pagemap", 18) ||
	       !strncmp(p, "/proc/modules", 13) ||
	       !strncmp(p, "/proc/cmdline", 13) || !strncmp(p, "/run/dpdk", 9) ||
	       !strncmp(p, "/var/run/dpdk", 13) || !strncmp(p, "/tmp/uiommufd", 13);
}

static enum kind path_kind(const char *p)
{
	if (!p)
		return K_NONE;
	if (!strcmp(p, "/dev/vfio/vfio"))
		return K_CONTAINER;
	if (!strcmp(p, "/dev/iommu"))
		return K_IOMMUFD;
	if (!strncmp(p, "/dev/vfio/devices/", 18))
		return K_DEVICE;
	if (!strncmp(p, "/dev/vfio/", 10))
		return K_GROUP;
	if (!strncmp(p, "/sys/", 5))
		return K_SYSFS;
	return K_NONE;
}

static void set_kind(int fd, enum kind k)
{
	if (fd >= 0 && fd < MAXFD)
		fdkind[fd] = (unsigned char)k;
}

static enum kind get_kind(int fd)
{
	return fd >= 0 && fd < MAXFD ? (enum kind)fdkind[fd] : K_NONE;
}

static int vfio_fd(int fd)
{
	enum kind k = get_kind(fd);

	return k != K_NONE && k != K_SYSFS;
}

#define NEXT(name) ({                                             \
		static __typeof__(&name) next_;                   \
		if (!next_)                                       \
			next_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name); \
		next_; })

#define RES(r) (r), ((r) < 0 ? " " : ""), ((r) < 0 ? strerrorname_np(errno) : "")

/* ------------------------------------------------------------------ */
/* opens */

static void log_open(const char *fn, int dirfd, const char *p, int flags, int r)
{
	if (!interesting_path(p))
		return;
	if (dirfd == AT_FDCWD)
		logf_("%s(\"%s\", 0%o) = %d%s%s", fn, p, flags, RES(r));
	else
		logf_("%s(%d, \"%s\", 0%o) = %d%s%s", fn, dirfd, p, flags, RES(r));
	if (r >= 0)
		set_kind(r, path_kind(p));
}

#define MODE() ({ mode_t m_ = 0; if (flags & (O_CREAT | O_TMPFILE)) { \
		va_list ap_; va_start(ap_, flags); m_ = va_arg(ap_, mode_t); va_end(ap_); } m_; })

EXPORT int open(const char *p, int flags, ...)
{
	mode_t m = MODE();
	int r = NEXT(open)(p, flags, m);

	log_open("open", AT_FDCWD, p, flags, r);
	return r;
}

EXPORT int open64(const char *p, int flags, ...)
{
	mode_t m = MODE();
	int r = NEXT(open64)(p, flags, m);

	log_open("open64", AT_FDCWD, p, flags, r);
	return r;
}

EXPORT int openat(int d, const char *p, int flags, ...)
{
	mode_t m = MODE();
	int r = NEXT(openat)(d, p, flags, m);

	log_open("openat", d, p, flags, r);
	return r;
}

EXPORT int openat64(int d, const char *p, int flags, ...)
{
	mode_t m = MODE();
	int r = NEXT(openat64)(d, p, flags, m);

	log_open("openat64", d, p, flags, r);
	return r;
}

EXPORT int __open_2(const char *p, int flags)
{
	int r = NEXT(__open_2)(p, flags);

	log_open("__open_2", AT_FDCWD, p, flags, r);
	return r;
}

EXPORT int __open64_2(const char *p, int flags)
{
	int r = NEXT(__open64_2)(p, flags);

	log_open("__open64_2", AT_FDCWD, p, flags, r);
	return r;
}

EXPORT FILE *fopen(const char *p, const char *mode)
{
	FILE *f = NEXT(fopen)(p, mode);

	if (interesting_path(p))
		logf_("fopen(\"%s\", \"%s\") = %s%s", p, mode, f ? "FILE" : "NULL ",
		      f ? "" : strerrorname_np(errno));
	return f;
}

EXPORT FILE *fopen64(const char *p, const char *mode)
{
	FILE *f = NEXT(fopen64)(p, mode);

	if (interesting_path(p))
		logf_("fopen64(\"%s\", \"%s\") = %s%s", p, mode, f ? "FILE" : "NULL ",
		      f ? "" : strerrorname_np(errno));
	return f;
}

EXPORT int close(int fd)
{
	enum kind k = get_kind(fd);
	int r = NEXT(close)(fd);

	if (k != K_NONE && k != K_SYSFS)
		logf_("close(%d) = %d", fd, r);
	set_kind(fd, K_NONE);
	return r;
}

/* ------------------------------------------------------------------ */
/* stat, access, links, directories */

#define LOG_PATH(fn, p, r) do { if (interesting_path(p)) \
		logf_("%s(\"%s\") = %d%s%s", fn, p, RES(r)); } while (0)

EXPORT int stat(const char *p, struct stat *st)
{
	int r = NEXT(stat)(p, st);

	LOG_PATH("stat", p, r);
	return r;
}

EXPORT int stat64(const char *p, struct stat64 *st)
{
	int r = NEXT(stat64)(p, st);

	LOG_PATH("stat64", p, r);
	return r;
}

EXPORT int lstat(const char *p, struct stat *st)
{
	int r = NEXT(lstat)(p, st);

	LOG_PATH("lstat", p, r);
	return r;
}

EXPORT int lstat64(const char *p, struct stat64 *st)
{
	int r = NEXT(lstat64)(p, st);

	LOG_PATH("lstat64", p, r);
	return r;
}

EXPORT int __xstat(int v, const char *p, struct stat *st)
{
	int r = NEXT(__xstat)(v, p, st);

	LOG_PATH("__xstat", p, r);
	return r;
}

EXPORT int __xstat64(int v, const char *p, struct stat64 *st)
{
	int r = NEXT(__xstat64)(v, p, st);

	LOG_PATH("__xstat64", p, r);
	return r;
}

EXPORT int __lxstat(int v, const char *p, struct stat *st)
{
	int r = NEXT(__lxstat)(v, p, st);

	LOG_PATH("__lxstat", p, r);
	return r;
}

EXPORT int __lxstat64(int v, const char *p, struct stat64 *st)
{
	int r = NEXT(__lxstat64)(v, p, st);

	LOG_PATH("__lxstat64", p, r);
	return r;
}

EXPORT int fstatat(int d, const char *p, struct stat *st, int fl)
{
	int r = NEXT(fstatat)(d, p, st, fl);

	LOG_PATH("fstatat", p, r);
	return r;
}

EXPORT int fstatat64(int d, const char *p, struct stat64 *st, int fl)
{
	int r = NEXT(fstatat64)(d, p, st, fl);

	LOG_PATH("fstatat64", p, r);
	return r;
}

EXPORT int statx(int d, const char *p, int fl, unsigned int mask, struct statx *st)
{
	int r = NEXT(statx)(d, p, fl, mask, st);

	LOG_PATH("statx", p, r);
	return r;
}

EXPORT int access(const char *p, int mode)
{
	int r = NEXT(access)(p, mode);

	if (interesting_path(p))
		logf_("access(\"%s\", %d) = %d%s%s", p, mode, RES(r));
	return r;
}

EXPORT int faccessat(int d, const char *p, int mode, int fl)
{
	int r = NEXT(faccessat)(d, p, mode, fl);

	if (interesting_path(p))
		logf_("faccessat(\"%s\", %d) = %d%s%s", p, mode, RES(r));
	return r;
}

EXPORT int euidaccess(const char *p, int mode)
{
	int r = NEXT(euidaccess)(p, mode);

	if (interesting_path(p))
		logf_("euidaccess(\"%s\", %d) = %d%s%s", p, mode, RES(r));
	return r;
}

static void log_link(const char *fn, const char *p, const char *buf, ssize_t r)
{
	if (!interesting_path(p))
		return;
	if (r >= 0)
		logf_("%s(\"%s\") = \"%.*s\"", fn, p, (int)r, buf);
	else
		logf_("%s(\"%s\") = -1 %s", fn, p, strerrorname_np(errno));
}

EXPORT ssize_t readlink(const char *p, char *buf, size_t len)
{
	ssize_t r = NEXT(readlink)(p, buf, len);

	log_link("readlink", p, buf, r);
	return r;
}

EXPORT ssize_t readlinkat(int d, const char *p, char *buf, size_t len)
{
	ssize_t r = NEXT(readlinkat)(d, p, buf, len);

	log_link("readlinkat", p, buf, r);
	return r;
}

EXPORT char *realpath(const char *p, char *resolved)
{
	char *r = NEXT(realpath)(p, resolved);

	if (interesting_path(p))
		logf_("realpath(\"%s\") = %s%s%s%s", p, r ? "\"" : "NULL ",
		      r ? r : strerrorname_np(errno), r ? "\"" : "", "");
	return r;
}

#define MAXDIRS 32
static DIR *dirs[MAXDIRS];

EXPORT DIR *opendir(const char *p)
{
	DIR *d = NEXT(opendir)(p);

	if (interesting_path(p)) {
		logf_("opendir(\"%s\") = %s%s", p, d ? "DIR" : "NULL ",
		      d ? "" : strerrorname_np(errno));
		for (int i = 0; d && i < MAXDIRS; i++)
			if (!dirs[i]) {
				dirs[i] = d;
				break;
			}
	}
	return d;
}

static int dir_logged(DIR *d)
{
	for (int i = 0; i < MAXDIRS; i++)
		if (dirs[i] == d)
			return 1;
	return 0;
}

EXPORT struct dirent *readdir(DIR *d)
{
	struct dirent *e = NEXT(readdir)(d);

	if (dir_logged(d))
		logf_("  readdir -> %s", e ? e->d_name : "(end)");
	return e;
}

EXPORT struct dirent64 *readdir64(DIR *d)
{
	struct dirent64 *e = NEXT(readdir64)(d);

	if (dir_logged(d))
		logf_("  readdir64 -> %s", e ? e->d_name : "(end)");
	return e;
}

EXPORT int closedir(DIR *d)
{
	for (int i = 0; i < MAXDIRS; i++)
		if (dirs[i] == d)
			dirs[i] = NULL;
	return NEXT(closedir)(d);
}

/* ------------------------------------------------------------------ */
/* regions */

/* Calls made inside a logged call (a _chk entry point's own pread). */
static __thread int depth;

static void log_rw(const char *fn, int fd, const void *buf, size_t n, off64_t off,
		   ssize_t r)
{
	uint64_t v = 0;
	char val[32] = "";

	if (get_kind(fd) != K_DEVICE || depth)
		return;
	if (r > 0 && r <= 8) {
		memcpy(&v, buf, (size_t)r);
		snprintf(val, sizeof(val), " value 0x%llx", (unsigned long long)v);
	}
	logf_("%s(%d, region %lld + 0x%llx, %zu) = %zd%s%s%s", fn, fd,
	      (long long)((uint64_t)off >> 40), (long long)((uint64_t)off & ((1ull << 40) - 1)),
	      n, RES(r), val);
}

EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = NEXT(pread)(fd, buf, n, off);

	log_rw("pread", fd, buf, n, off, r);
	return r;
}

EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	ssize_t r = NEXT(pread64)(fd, buf, n, off);

	log_rw("pread64", fd, buf, n, off, r);
	return r;
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r = NEXT(pwrite)(fd, buf, n, off);

	log_rw("pwrite", fd, buf, n, off, r < 0 ? r : (ssize_t)n > 8 ? r : (ssize_t)n);
	return r;
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	ssize_t r = NEXT(pwrite64)(fd, buf, n, off);

	log_rw("pwrite64", fd, buf, n, off, r);
	return r;
}

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r = NEXT(read)(fd, buf, n);

	if (vfio_fd(fd))
		logf_("read(%d, %zu) = %zd%s%s", fd, n, RES(r));
	return r;
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r = NEXT(write)(fd, buf, n);

	if (vfio_fd(fd))
		logf_("write(%d, %zu) = %zd%s%s", fd, n, RES(r));
	return r;
}

static void log_mmap(const char *fn, void *a, size_t len, int prot, int fl, int fd,
		     off64_t off, void *r)
{
	if (!vfio_fd(fd))
		return;
	logf_("%s(%p, 0x%zx, prot 0x%x, flags 0x%x, %d, region %lld + 0x%llx) = %p%s%s",
	      fn, a, len, prot, fl, fd, (long long)((uint64_t)off >> 40),
	      (long long)((uint64_t)off & ((1ull << 40) - 1)), r,
	      r == MAP_FAILED ? " " : "", r == MAP_FAILED ? strerrorname_np(errno) : "");
}

EXPORT void *mmap(void *a, size_t len, int prot, int fl, int fd, off_t off)
{
	void *r = NEXT(mmap)(a, len, prot, fl, fd, off);

	log_mmap("mmap", a, len, prot, fl, fd, off, r);
	return r;
}

EXPORT void *mmap64(void *a, size_t len, int prot, int fl, int fd, off64_t off)
{
	void *r = NEXT(mmap64)(a, len, prot, fl, fd, off);

	log_mmap("mmap64", a, len, prot, fl, fd, off, r);
	return r;
}

/* ------------------------------------------------------------------ */
/* ioctls */

static const char *vfio_name(enum kind k, unsigned long cmd)
{
	static const char *const common[] = {
		[0] = "VFIO_GET_API_VERSION", [1] = "VFIO_CHECK_EXTENSION",
		[2] = "VFIO_SET_IOMMU", [3] = "VFIO_GROUP_GET_STATUS",
		[4] = "VFIO_GROUP_SET_CONTAINER", [5] = "VFIO_GROUP_UNSET_CONTAINER",
		[6] = "VFIO_GROUP_GET_DEVICE_FD", [7] = "VFIO_DEVICE_GET_INFO",
		[8] = "VFIO_DEVICE_GET_REGION_INFO", [9] = "VFIO_DEVICE_GET_IRQ_INFO",
		[10] = "VFIO_DEVICE_SET_IRQS", [11] = "VFIO_DEVICE_RESET",
	};
	static const char *const dev[] = {
		[12] = "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", [13] = "VFIO_DEVICE_PCI_HOT_RESET",
		[14] = "VFIO_DEVICE_QUERY_GFX_PLANE", [15] = "VFIO_DEVICE_GET_GFX_DMABUF",
		[16] = "VFIO_DEVICE_IOEVENTFD", [17] = "VFIO_DEVICE_FEATURE",
		[18] = "VFIO_DEVICE_BIND_IOMMUFD", [19] = "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
		[20] = "VFIO_DEVICE_DETACH_IOMMUFD_PT",
	};
	static const char *const cont[] = {
		[12] = "VFIO_IOMMU_GET_INFO", [13] = "VFIO_IOMMU_MAP_DMA",
		[14] = "VFIO_IOMMU_UNMAP_DMA", [15] = "VFIO_IOMMU_ENABLE",
		[16] = "VFIO_IOMMU_DISABLE", [17] = "VFIO_IOMMU_DIRTY_PAGES",
	};
	unsigned n;

	if (((cmd >> 8) & 0xff) != ';')
		return NULL;
	n = (unsigned)(cmd & 0xff);
	if (n >= 100 && n < 112)
		return common[n - 100];
	if (n >= 112 && n <= 120)
		return k == K_DEVICE ? dev[n - 100] :
		       n <= 117 ? cont[n - 100] : NULL;
	if (n >= 0x80)
		return "IOMMUFD ioctl";
	return NULL;
}

static void decode_in(char *s, size_t sz, unsigned n, enum kind k, void *arg)
{
	switch (n) {
	case 101: case 102:
		snprintf(s, sz, "%lu", (unsigned long)arg);
		break;
	case 104:
		snprintf(s, sz, "&%d", *(int *)arg);
		break;
	case 106:
		snprintf(s, sz, "\"%s\"", (char *)arg);
		break;
	case 107: case 103:
		snprintf(s, sz, "{argsz=%u}", *(uint32_t *)arg);
		break;
	case 108: {
		struct vfio_region_info *i = arg;

		snprintf(s, sz, "{argsz=%u, index=%u}", i->argsz, i->index);
		break;
	}
	case 109: {
		struct vfio_irq_info *i = arg;

		snprintf(s, sz, "{argsz=%u, index=%u}", i->argsz, i->index);
		break;
	}
	case 110: {
		struct vfio_irq_set *i = arg;
		int nfd = (i->flags & VFIO_IRQ_SET_DATA_EVENTFD) ? (int)i->count : 0;
		size_t o;

		o = (size_t)snprintf(s, sz, "{argsz=%u, flags=0x%x, index=%u, start=%u, count=%u",
				     i->argsz, i->flags, i->index, i->start, i->count);
		for (int j = 0; j < nfd && j < 8 && o < sz; j++)
			o += (size_t)snprintf(s + o, sz - o, "%s%d", j ? "," : ", fds=",
					      ((int32_t *)i->data)[j]);
		if (o < sz)
			snprintf(s + o, sz - o, "}");
		break;
	}
	case 112:
		snprintf(s, sz, "{argsz=%u}", *(uint32_t *)arg);
		break;
	case 113:
		if (k == K_DEVICE) {
			snprintf(s, sz, "{argsz=%u}", *(uint32_t *)arg);
		} else {
			struct vfio_iommu_type1_dma_map *m = arg;

			snprintf(s, sz, "{flags=0x%x, vaddr=%#llx, iova=%#llx, size=%#llx}",
				 m->flags, (unsigned long long)m->vaddr,
				 (unsigned long long)m->iova, (unsigned long long)m->size);
		}
		break;
	case 114:
		if (k != K_DEVICE) {
			struct vfio_iommu_type1_dma_unmap *m = arg;

			snprintf(s, sz, "{argsz=%u, flags=0x%x, iova=%#llx, size=%#llx}",
				 m->argsz, m->flags, (unsigned long long)m->iova,
				 (unsigned long long)m->size);
			break;
		}
		/* fall through */
	default:
		snprintf(s, sz, "%p", arg);
	}
}

static void decode_out(char *s, size_t sz, unsigned n, enum kind k, void *arg)
{
	s[0] = 0;
	switch (n) {
	case 103:
		snprintf(s, sz, " => {flags=0x%x}", ((uint32_t *)arg)[1]);
		break;
	case 107: {
		struct vfio_device_info *i = arg;

		snprintf(s, sz, " => {flags=0x%x, num_regions=%u, num_irqs=%u%s}", i->flags,
			 i->num_regions, i->num_irqs,
			 i->argsz >= 20 ? "" : "");
		break;
	}
	case 108: {
		struct vfio_region_info *i = arg;

		snprintf(s, sz, " => {argsz=%u, flags=0x%x, cap_offset=%u, size=%#llx, offset=%#llx}",
			 i->argsz, i->flags, i->cap_offset, (unsigned long long)i->size,
			 (unsigned long long)i->offset);
		break;
	}
	case 109: {
		struct vfio_irq_info *i = arg;

		snprintf(s, sz, " => {flags=0x%x, count=%u}", i->flags, i->count);
		break;
	}
	case 112:
		if (k != K_DEVICE) {
			struct vfio_iommu_type1_info *i = arg;

			snprintf(s, sz, " => {argsz=%u, flags=0x%x, iova_pgsizes=%#llx, cap_offset=%u}",
				 i->argsz, i->flags, (unsigned long long)i->iova_pgsizes,
				 i->argsz >= sizeof(*i) ? i->cap_offset : 0);
		}
		break;
	case 113:
		if (k != K_DEVICE)
			snprintf(s, sz, " => {iova=%#llx}",
				 (unsigned long long)((struct vfio_iommu_type1_dma_map *)arg)->iova);
		break;
	case 114:
		if (k != K_DEVICE)
			snprintf(s, sz, " => {size=%#llx}",
				 (unsigned long long)((struct vfio_iommu_type1_dma_unmap *)arg)->size);
		break;
	}
}

EXPORT int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;
	enum kind k = get_kind(fd);
	const char *name;
	char in[256], out[256];
	unsigned n = (unsigned)(cmd & 0xff);
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	name = vfio_fd(fd) ? vfio_name(k, cmd) : NULL;
	if (name && n != 101 && n != 102 && n != 100 && n != 105 && n != 111 &&
	    !(n == 115 || n == 116))
		decode_in(in, sizeof(in), n, k, arg);
	else
		snprintf(in, sizeof(in), "%p", arg);
	r = NEXT(ioctl)(fd, cmd, arg);
	if (!vfio_fd(fd))
		return r;
	if (name && (n == 101 || n == 102))
		snprintf(in, sizeof(in), "%lu", (unsigned long)arg);
	out[0] = 0;
	if (name && r >= 0)
		decode_out(out, sizeof(out), n, k, arg);
	if (name && !strcmp(name, "IOMMUFD ioctl"))
		logf_("ioctl(%d, IOMMUFD 0x%lx, %s) = %d%s%s", fd, cmd, in, RES(r));
	else if (name)
		logf_("ioctl(%d, %s, %s) = %d%s%s%s", fd, name, in, RES(r), out);
	else
		logf_("ioctl(%d, 0x%lx, %p) = %d%s%s", fd, cmd, arg, RES(r));
	if (name && n == 106 && r >= 0)
		set_kind(r, K_DEVICE);
	return r;
}

/* the _FORTIFY_SOURCE entry points */
EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen)
{
	ssize_t r;

	depth++;
	r = NEXT(__pread64_chk)(fd, buf, n, off, buflen);
	depth--;

	log_rw("__pread64_chk", fd, buf, n, off, r);
	return r;
}

EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	ssize_t r;

	depth++;
	r = NEXT(__pread_chk)(fd, buf, n, off, buflen);
	depth--;

	log_rw("__pread_chk", fd, buf, n, off, r);
	return r;
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	ssize_t r = NEXT(__read_chk)(fd, buf, n, buflen);

	if (vfio_fd(fd))
		logf_("__read_chk(%d, %zu) = %zd%s%s", fd, n, RES(r));
	return r;
}

EXPORT char *__realpath_chk(const char *p, char *resolved, size_t len)
{
	char *r = NEXT(__realpath_chk)(p, resolved, len);

	if (interesting_path(p))
		logf_("__realpath_chk(\"%s\") = %s%s%s", p, r ? "\"" : "NULL ",
		      r ? r : strerrorname_np(errno), r ? "\"" : "");
	return r;
}

EXPORT ssize_t __readlink_chk(const char *p, char *buf, size_t len, size_t buflen)
{
	ssize_t r = NEXT(__readlink_chk)(p, buf, len, buflen);

	log_link("__readlink_chk", p, buf, r);
	return r;
}
