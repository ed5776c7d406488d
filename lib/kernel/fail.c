// SPDX-License-Identifier: MIT
/*
 * Fault injection in the manner of the kernel's fail_nth: every point that
 * can fail calls uio_should_fail(); when armed with N, the Nth such call in
 * this process fails, once. The caller reports what the kernel would for
 * that kind of failure:
 *   - allocations (uio_zalloc, and the private buffers of commands that
 *     the kernel allocates with kmalloc/kvzalloc, like the dirty bitmap's
 *     iterator): ENOMEM;
 *   - pinning (pages.c, before the pages are taken, and before they are
 *     charged): ENOMEM;
 *   - page-table growth (pgtable.c, each table a map or a new domain
 *     allocates): ENOMEM, after the table's rollback of that call;
 *   - copies of ioctl arguments and answers from and to the caller
 *     (uio_copy_from_user, uio_copy_to_user, uio_clear_user and the
 *     zero-tail check of uio_copy_struct_from_user): EFAULT.
 * Accesses to memory the kernel would reach through a pin (pinned pages,
 * the dirty bitmap) and get_user_pages()-style probes are no failure points.
 *
 * Disarmed, a failure point costs one relaxed atomic load. Control:
 * uiommufd_fail_nth() from the C API, or UIOMMUFD_FAIL_NTH=N in the
 * environment, read once when the library is loaded (the Nth point of the
 * process); or, as the kernel's /proc/<pid>/task/<tid>/fail-nth, per
 * thread: writing N there arms that thread, every failure point it
 * reaches counts N down, and the one that reaches 0 fails; reading gives
 * what is left (0 once it fired). The preload layer serves those files
 * (uio_failnth_fops); fault-injection tests written for the kernel then
 * sweep uiommufd's failure points unmodified.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uiommufd/uiommufd.h>

#include "kernel.h"
#include "fail.h"
#include "file.h"
#include "sys.h"

static atomic_ullong uio_fail_target;  /* 0: disarmed */
static atomic_ullong uio_fail_count;   /* points passed since arming */

__attribute__((constructor)) static void uio_fail_env(void)
{
	const char *v = getenv("UIOMMUFD_FAIL_NTH");

	if (v && *v)
		atomic_store(&uio_fail_target, strtoull(v, NULL, 0));
}

static __attribute__((noinline)) bool uio_should_fail_armed(void)
{
	unsigned long long target = atomic_load(&uio_fail_target);

	if (!target || atomic_fetch_add(&uio_fail_count, 1) + 1 != target)
		return false;
	/* Once: only the thread that reached N disarms. */
	return atomic_compare_exchange_strong(&uio_fail_target, &target, 0);
}

/*
 * Per-thread countdowns (fail-nth), by thread id. A thread finds its own
 * slot once and keeps a pointer to it; threads armed by others (writes to
 * their file) are found by id. Slots are never freed: a thread id that
 * comes back takes its old slot.
 */
#define UIO_FAIL_THREADS 1024

static struct {
	_Atomic int32_t tid;
	_Atomic unsigned int nth;
} uio_fail_threads[UIO_FAIL_THREADS];
static _Atomic unsigned int uio_fail_threads_armed; /* any nth set */
static pthread_mutex_t uio_fail_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local int uio_fail_my_slot = -1;

/* The slot of thread tid, made if make; -1 if none. */
static int uio_fail_slot(int32_t tid, bool make)
{
	int free_slot = -1, slot = -1;

	for (int i = 0; i < UIO_FAIL_THREADS; i++) {
		int32_t t = atomic_load(&uio_fail_threads[i].tid);

		if (t == tid)
			return i;
		if (!t && free_slot < 0)
			free_slot = i;
	}
	if (!make)
		return -1;
	pthread_mutex_lock(&uio_fail_threads_lock);
	for (int i = 0; i < UIO_FAIL_THREADS && slot < 0; i++)
		if (atomic_load(&uio_fail_threads[i].tid) == tid)
			slot = i;
	if (slot < 0 && free_slot >= 0) {
		for (int i = free_slot; i < UIO_FAIL_THREADS && slot < 0; i++)
			if (!atomic_load(&uio_fail_threads[i].tid)) {
				atomic_store(&uio_fail_threads[i].tid, tid);
				slot = i;
			}
	}
	pthread_mutex_unlock(&uio_fail_threads_lock);
	return slot;
}

static __attribute__((noinline)) bool uio_should_fail_thread(void)
{
	unsigned int n;

	if (uio_fail_my_slot < 0) {
		uio_fail_my_slot = uio_fail_slot((int32_t)UIO_SYS(SYS_gettid), false);
		if (uio_fail_my_slot < 0)
			return false;
	}
	n = atomic_load(&uio_fail_threads[uio_fail_my_slot].nth);
	while (n) {
		if (atomic_compare_exchange_weak(&uio_fail_threads[uio_fail_my_slot].nth,
						 &n, n - 1))
			return n == 1;
	}
	return false;
}

bool uio_should_fail(void)
{
	if (__builtin_expect(atomic_load_explicit(&uio_fail_threads_armed,
						  memory_order_relaxed), 0) &&
	    uio_should_fail_thread())
		return true;
	if (__builtin_expect(!atomic_load_explicit(&uio_fail_target,
						   memory_order_relaxed), 1))
		return false;
	return uio_should_fail_armed();
}

/* A fork's child is one thread: its slot is found again by its own id. */
static void uio_fail_atfork_child(void)
{
	uio_fail_my_slot = -1;
}

__attribute__((constructor)) static void uio_fail_threads_init(void)
{
	pthread_atfork(NULL, NULL, uio_fail_atfork_child);
}

/* ------------------------------------------------------------------ */
/* /proc/<pid>/task/<tid>/fail-nth: the file kind UIO_FILE_FAILNTH */

/* Whether path names the fail-nth file of a thread of this process. */
bool uio_failnth_path(const char *path, int32_t *tid)
{
	int32_t pid = (int32_t)UIO_SYS(SYS_getpid), t;
	const char *p;
	char *end;

	if (!path || strncmp(path, "/proc/", 6))
		return false;
	p = path + 6;
	if (!strcmp(p, "thread-self/fail-nth")) {
		*tid = (int32_t)UIO_SYS(SYS_gettid);
		return true;
	}
	if (!strncmp(p, "self/", 5)) {
		p += 5;
	} else {
		t = (int32_t)strtol(p, &end, 10);
		if (end == p || *end != '/' || t != pid)
			return false;
		p = end + 1;
	}
	if (!strcmp(p, "fail-nth")) {
		*tid = pid;
		return true;
	}
	if (strncmp(p, "task/", 5))
		return false;
	t = (int32_t)strtol(p + 5, &end, 10);
	if (end == p + 5 || strcmp(end, "/fail-nth") || t <= 0)
		return false;
	/* A thread of this process (its /proc/self/task entry exists). */
	{
		char probe[64];

		snprintf(probe, sizeof(probe), "/proc/self/task/%d", (int)t);
		if (UIO_SYS(SYS_faccessat, AT_FDCWD, probe, F_OK, 0))
			return false;
	}
	*tid = t;
	return true;
}

/* open() of it: a file of ours standing for the thread's countdown. */
int uio_failnth_open(int32_t tid, int flags)
{
	int fd = uio_sys_memfd_create("fail-nth",
				      (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);

	if (fd < 0)
		return fd;
	if (uio_fail_slot(tid, true) < 0) {
		uio_sys_close(fd);
		return -ENOMEM;
	}
	uio_file_set(fd, UIO_FILE_VAL(UIO_FILE_FAILNTH, (uint32_t)tid));
	return fd;
}

static long uio_failnth_pread(int fd, uint32_t idx, void *buf, size_t n,
			      uint64_t off)
{
	int slot = uio_fail_slot((int32_t)idx, true);
	char num[16];
	size_t len;

	(void)fd;
	if (slot < 0)
		return -ESRCH;
	len = (size_t)snprintf(num, sizeof(num), "%u\n",
			       atomic_load(&uio_fail_threads[slot].nth));
	if (off >= len)
		return 0;
	if (n > len - off)
		n = len - (size_t)off;
	memcpy(buf, num + off, n);
	return (long)n;
}

/* kstrtouint_from_user(buf, count, 0): base from the prefix, one trailing
 * newline allowed. */
static long uio_failnth_pwrite(int fd, uint32_t idx, const void *buf, size_t n,
			       uint64_t off)
{
	char num[32], *end;
	unsigned long long v;
	int slot;

	(void)fd;
	(void)off;
	if (n >= sizeof(num))
		return -EINVAL;
	memcpy(num, buf, n);
	num[n] = 0;
	if (n && num[n - 1] == '\n')
		num[n - 1] = 0;
	if (!num[0] || num[0] == '-' || num[0] == '+')
		return num[0] == '+' ? -EINVAL : -EINVAL;
	errno = 0;
	v = strtoull(num, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > 0xffffffffull)
		return -ERANGE;
	slot = uio_fail_slot((int32_t)idx, true);
	if (slot < 0)
		return -ESRCH;
	atomic_store(&uio_fail_threads[slot].nth, (unsigned int)v);
	if (v)
		atomic_store(&uio_fail_threads_armed, 1);
	return (long)n;
}

/* read() and write() at the file position, which the memfd keeps. */
static long uio_failnth_read(int fd, uint32_t idx, void *buf, size_t n)
{
	long pos = UIO_SYS(SYS_lseek, fd, 0, SEEK_CUR), rc;

	if (pos < 0)
		return pos;
	rc = uio_failnth_pread(fd, idx, buf, n, (uint64_t)pos);
	if (rc > 0)
		UIO_SYS(SYS_lseek, fd, pos + rc, SEEK_SET);
	return rc;
}

static long uio_failnth_write(int fd, uint32_t idx, const void *buf, size_t n)
{
	return uio_failnth_pwrite(fd, idx, buf, n, 0);
}

static int uio_failnth_close(int fd, uint32_t idx)
{
	(void)idx;
	return uio_sys_close(fd);
}

const struct uio_file_ops uio_failnth_fops = {
	.name = "fail-nth",
	.read = uio_failnth_read,
	.write = uio_failnth_write,
	.pread = uio_failnth_pread,
	.pwrite = uio_failnth_pwrite,
	.close = uio_failnth_close,
};

UIO_EXPORT void uiommufd_fail_nth(unsigned long long n)
{
	atomic_store(&uio_fail_target, 0);
	atomic_store(&uio_fail_count, 0);
	atomic_store(&uio_fail_target, n);
}

UIO_EXPORT int uiommufd_fail_pending(void)
{
	return atomic_load(&uio_fail_target) != 0;
}
