// SPDX-License-Identifier: MIT
/*
 * anon_inode: files of the kernel's anon_inode_getfile() as FIFOs a whole
 * launch can name; see anon_inode.h.
 *
 * A file is made under a temporary name, opened, locked, and only then
 * renamed to its final name, so a final name without a lock is a file no
 * one holds any more (or one whose holder was killed): any process may
 * unlink it.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "anon_inode.h"
#include "dir.h"
#include "sys.h"

/* The directory, chosen once per process. */
static pthread_once_t uio_anon_once = PTHREAD_ONCE_INIT;
static char uio_anon_dir[UIO_ANON_PATH_MAX - 64];
static int uio_anon_dir_err = -ENOENT;

/* dir exists (or is made), is a directory of ours, mode 0700. */
static int uio_anon_dir_try(const char *dir)
{
	struct stat st;
	long rc;
	int fd;

	if (strlen(dir) >= sizeof(uio_anon_dir))
		return -ENAMETOOLONG;
	rc = UIO_SYS(SYS_mkdirat, AT_FDCWD, dir, 0700);
	if (rc && rc != -EEXIST)
		return (int)rc;
	fd = uio_sys_openat(AT_FDCWD, dir,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fd;
	rc = uio_sys_fstat(fd, &st);
	uio_sys_close(fd);
	if (rc)
		return (int)rc;
	/* Someone else's directory, or one others can write: not ours. */
	if (st.st_uid != (uid_t)UIO_SYS(SYS_geteuid) || (st.st_mode & 0077))
		return -EPERM;
	strcpy(uio_anon_dir, dir);
	return 0;
}

/*
 * Files left by processes that were killed holding the last fd of an
 * object whose context no one used again: a final name (no leading dot)
 * with no lock on it is no one's. Once per process, at its first file.
 */
static int uio_anon_sweep_one(const char *name, unsigned char type, void *arg)
{
	struct uio_anon_file f;
	struct stat st;
	int k;

	(void)arg;
	if (name[0] == '.' || type != DT_FIFO)
		return 0;
	k = snprintf(f.path, sizeof(f.path), "%s/%s", uio_anon_dir, name);
	if (k < 0 || (size_t)k >= sizeof(f.path) ||
	    UIO_SYS(SYS_newfstatat, AT_FDCWD, f.path, &st, AT_SYMLINK_NOFOLLOW))
		return 0;
	f.dev = st.st_dev;
	f.ino = st.st_ino;
	if (!uio_anon_alive(&f))
		uio_anon_unlink(&f);
	return 0;
}

static void uio_anon_sweep(void)
{
	int dir = uio_sys_openat(AT_FDCWD, uio_anon_dir,
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		return;
	uio_dir_each(dir, uio_anon_sweep_one, NULL);
	uio_sys_close(dir);
}

static void uio_anon_dir_init(void)
{
	const char *rundir = getenv("UIOMMUFD_RUNDIR");
	const char *tmp = getenv("TMPDIR");
	char dir[sizeof(uio_anon_dir) + 1];
	long uid = UIO_SYS(SYS_geteuid);
	int n;

	if (rundir && *rundir == '/') {
		n = snprintf(dir, sizeof(dir), "%s/anon", rundir);
		if (n > 0 && (size_t)n < sizeof(dir) &&
		    !(uio_anon_dir_err = uio_anon_dir_try(dir)))
			return;
	}
	n = snprintf(dir, sizeof(dir), "/dev/shm/uiommufd-%ld", uid);
	if (n > 0 && (size_t)n < sizeof(dir) &&
	    !(uio_anon_dir_err = uio_anon_dir_try(dir)))
		return;
	n = snprintf(dir, sizeof(dir), "%s/uiommufd-%ld",
		     tmp && *tmp == '/' ? tmp : "/tmp", uid);
	if (n > 0 && (size_t)n < sizeof(dir))
		uio_anon_dir_err = uio_anon_dir_try(dir);
}

static void uio_anon_init(void)
{
	uio_anon_dir_init();
	if (!uio_anon_dir_err)
		uio_anon_sweep();
}

static int uio_anon_lock(int fd)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 1 };

	return uio_sys_fcntl(fd, F_OFD_SETLK, &lk);
}

int uio_anon_create(const char *tag, uint64_t ctx_id, uint32_t id,
		    struct uio_anon_file *f)
{
	static _Atomic unsigned long seq;
	char tmp[UIO_ANON_PATH_MAX];
	struct stat st;
	long rc;
	int fd, n;

	pthread_once(&uio_anon_once, uio_anon_init);
	if (uio_anon_dir_err)
		return uio_anon_dir_err;
	n = snprintf(tmp, sizeof(tmp), "%s/.new-%d-%lu", uio_anon_dir,
		     uio_sys_getpid(), seq++);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	rc = UIO_SYS(SYS_mknodat, AT_FDCWD, tmp, S_IFIFO | 0600, 0);
	if (rc)
		return (int)rc;
	/* Read-write: opening a FIFO so never waits for a peer. */
	fd = uio_sys_openat(AT_FDCWD, tmp, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto out_unlink;
	}
	rc = uio_anon_lock(fd);
	if (!rc)
		rc = uio_sys_fstat(fd, &st);
	if (rc)
		goto out_close;
	n = snprintf(f->path, sizeof(f->path), "%s/%016llx.%s.%u.%llu",
		     uio_anon_dir, (unsigned long long)ctx_id, tag, id,
		     (unsigned long long)st.st_ino);
	if (n < 0 || (size_t)n >= sizeof(f->path)) {
		rc = -ENAMETOOLONG;
		goto out_close;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	rc = UIO_SYS(SYS_renameat, AT_FDCWD, tmp, AT_FDCWD, f->path);
	if (rc)
		goto out_close;
	return fd;

out_close:
	uio_sys_close(fd);
out_unlink:
	UIO_SYS(SYS_unlinkat, AT_FDCWD, tmp, 0);
	return (int)rc;
}

int uio_anon_identify(int fd, const char *tag, uint64_t *ctx_id, uint32_t *id,
		      struct uio_anon_file *f)
{
	char link[32], path[UIO_ANON_PATH_MAX + 16], t[16];
	unsigned long long c, ino;
	const char *base;
	struct stat st;
	unsigned int i;
	long n;
	int end = 0;

	if (uio_sys_fstat(fd, &st) || !S_ISFIFO(st.st_mode))
		return -ENOENT;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = UIO_SYS(SYS_readlinkat, AT_FDCWD, link, path, sizeof(path) - 1);
	/* An anonymous pipe reads "pipe:[N]": no directory. */
	if (n <= 0 || path[0] != '/')
		return -ENOENT;
	path[n] = 0;
	/* Unlinked (its object gone, or being released): " (deleted)". */
	if (n > 10 && !strcmp(path + n - 10, " (deleted)"))
		path[n - 10] = 0;
	base = strrchr(path, '/') + 1;
	if (sscanf(base, "%16llx.%15[a-z].%u.%llu%n", &c, t, &i, &ino, &end) != 4 ||
	    base[end] || strcmp(t, tag) || ino != (unsigned long long)st.st_ino ||
	    strlen(path) >= sizeof(f->path))
		return -ENOENT;
	*ctx_id = c;
	*id = i;
	strcpy(f->path, path);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	return 0;
}

/* f by name, if it is still that file: an fd, or -errno. */
static int uio_anon_open(const struct uio_anon_file *f)
{
	struct stat st;
	int fd = uio_sys_openat(AT_FDCWD, f->path,
				O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return fd;
	if (uio_sys_fstat(fd, &st) || (uint64_t)st.st_ino != f->ino ||
	    (uint64_t)st.st_dev != f->dev) {
		uio_sys_close(fd);
		return -ENOENT;
	}
	return fd;
}

bool uio_anon_alive(const struct uio_anon_file *f)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 0, .l_len = 1 };
	int fd = uio_anon_open(f);
	bool alive;

	/* Gone by name: released, or swept after its holder died. */
	if (fd < 0)
		return false;
	alive = uio_sys_fcntl(fd, F_OFD_GETLK, &lk) || lk.l_type != F_UNLCK;
	uio_sys_close(fd);
	return alive;
}

void uio_anon_set_ready(const struct uio_anon_file *f, int fd, bool ready)
{
	int own = fd < 0 ? uio_anon_open(f) : -1;
	int use = fd < 0 ? own : fd;
	char b[64] = { 1 };

	if (use < 0)
		return;
	if (ready) {
		uio_sys_write(use, b, 1);
	} else if (own >= 0) {
		while (uio_sys_read(own, b, sizeof(b)) > 0)
			;
	} else {
		/* The caller's fd may block: take exactly what is there. */
		int avail = 0;

		if (!UIO_SYS(SYS_ioctl, use, FIONREAD, &avail) && avail > 0)
			uio_sys_read(use, b, avail < (int)sizeof(b) ? (size_t)avail :
								  sizeof(b));
	}
	if (own >= 0)
		uio_sys_close(own);
}

void uio_anon_unlink(const struct uio_anon_file *f)
{
	struct stat st;

	/* Only if the name is still this file's. */
	if (!UIO_SYS(SYS_newfstatat, AT_FDCWD, f->path, &st, AT_SYMLINK_NOFOLLOW) &&
	    (uint64_t)st.st_ino == f->ino && (uint64_t)st.st_dev == f->dev)
		UIO_SYS(SYS_unlinkat, AT_FDCWD, f->path, 0);
}
