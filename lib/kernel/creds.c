// SPDX-License-Identifier: MIT
/*
 * The calling process's credentials, as the kernel's current_user(),
 * current->group_leader and capable() see them.
 *
 * Reading them costs three system calls, more than a whole map command is
 * allowed to, so they are cached per process. The cache is dropped in the
 * child after fork and whenever the preload layer sees the program change
 * its credentials (uio_creds_invalidate).
 */
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "sys.h"

struct uio_creds {
	int32_t pid;
	uint64_t start_time;
	struct uio_exec_id exec_id;
	uint32_t uid;
	uint32_t cap_effective[2];
};

static struct uio_creds uio_creds_cache;
static atomic_bool uio_creds_valid;
static pthread_once_t uio_creds_once = PTHREAD_ONCE_INIT;

void uio_creds_invalidate(void)
{
	atomic_store(&uio_creds_valid, false);
}

static void uio_creds_atfork(void)
{
	pthread_atfork(NULL, NULL, uio_creds_invalidate);
}

/* Field 22 of /proc/self/stat: when the process started, in clock ticks. */
static uint64_t uio_read_start_time(void)
{
	char buf[1024], *p;
	long n;
	int fd, field;

	fd = uio_sys_openat(AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = uio_sys_read(fd, buf, sizeof(buf) - 1);
	uio_sys_close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The command name (field 2) may hold spaces: count from its ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

/*
 * The 16 random bytes the kernel puts on the stack at each exec (AT_RANDOM):
 * with their address they tell one program image from the next in the
 * same process, which pid and start time cannot.
 */
static void uio_read_exec_id(struct uio_exec_id *id)
{
	const void *p = (const void *)getauxval(AT_RANDOM);

	memset(id, 0, sizeof(*id));
	if (!p)
		return;
	id->addr = (uintptr_t)p;
	memcpy(id->bytes, p, sizeof(id->bytes));
}

static const struct uio_creds *uio_creds_get(void)
{
	/* Valid only once the fork handler that invalidates it is set. */
	if (atomic_load_explicit(&uio_creds_valid, memory_order_acquire))
		return &uio_creds_cache;
	pthread_once(&uio_creds_once, uio_creds_atfork);
	if (!atomic_load_explicit(&uio_creds_valid, memory_order_acquire)) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
		struct __user_cap_data_struct data[2];
		struct uio_creds c;

		memset(data, 0, sizeof(data));
		c.pid = (int32_t)UIO_SYS(SYS_getpid);
		c.start_time = uio_read_start_time();
		uio_read_exec_id(&c.exec_id);
		c.uid = (uint32_t)UIO_SYS(SYS_getuid);
		if (UIO_SYS(SYS_capget, &hdr, data))
			memset(data, 0, sizeof(data));
		c.cap_effective[0] = data[0].effective;
		c.cap_effective[1] = data[1].effective;
		/* Racing fillers write the same values. */
		uio_creds_cache = c;
		atomic_store_explicit(&uio_creds_valid, true, memory_order_release);
	}
	return &uio_creds_cache;
}

bool uio_capable(int cap)
{
	return uio_creds_get()->cap_effective[cap / 32] & (1u << (cap % 32));
}

int32_t uio_current_pid(void)
{
	return uio_creds_get()->pid;
}

uint32_t uio_current_uid(void)
{
	return uio_creds_get()->uid;
}

uint64_t uio_current_start_time(void)
{
	return uio_creds_get()->start_time;
}

/* capable() as of now, for decisions the program may change under us
 * with a raw capset (pin accounting): one capget, no cache. */
bool uio_capable_now(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (UIO_SYS(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

bool uio_exec_id_alive(int32_t pid, const struct uio_exec_id *id)
{
	uint8_t bytes[sizeof(id->bytes)];
	struct iovec local = { .iov_base = bytes, .iov_len = sizeof(bytes) };
	struct iovec remote = { .iov_base = (void *)id->addr,
				.iov_len = sizeof(bytes) };

	if (!id->addr)
		return false;
	/* Every argument a long: syscall() reads the flags from the stack. */
	if (UIO_SYS(SYS_process_vm_readv, (long)pid, &local, 1L, &remote, 1L,
		    0L) != (long)sizeof(bytes))
		return false;
	return !memcmp(bytes, id->bytes, sizeof(bytes));
}

const struct uio_exec_id *uio_current_exec_id(void)
{
	return &uio_creds_get()->exec_id;
}

bool uio_current_is(int32_t pid, uint64_t start_time,
		    const struct uio_exec_id *id)
{
	const struct uio_creds *c = uio_creds_get();

	return c->pid == pid && c->start_time == start_time &&
	       !memcmp(&c->exec_id, id, sizeof(*id));
}
