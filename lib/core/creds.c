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
#include <string.h>

#include "core.h"
#include "sys.h"

struct uio_creds {
	int32_t pid;
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

static const struct uio_creds *uio_creds_get(void)
{
	pthread_once(&uio_creds_once, uio_creds_atfork);
	if (!atomic_load_explicit(&uio_creds_valid, memory_order_acquire)) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
		struct __user_cap_data_struct data[2];
		struct uio_creds c;

		memset(data, 0, sizeof(data));
		c.pid = (int32_t)UIO_SYS(SYS_getpid);
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
