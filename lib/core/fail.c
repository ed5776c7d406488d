// SPDX-License-Identifier: MIT
/*
 * Fault injection in the manner of the kernel's fail_nth: every point that
 * can fail calls uio_should_fail(); when armed with N, the Nth such call in
 * this process fails, once. Allocation points fail with ENOMEM.
 *
 * Control: uiommufd_fail_nth() from the C API, or UIOMMUFD_FAIL_NTH=N in
 * the environment (read once, at the first failure point).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <uiommufd/uiommufd.h>

#include "core.h"


static atomic_ullong uio_fail_target;  /* 0: disarmed */
static atomic_ullong uio_fail_count;   /* points passed since arming */
static pthread_once_t uio_fail_once = PTHREAD_ONCE_INIT;

static void uio_fail_env(void)
{
	const char *v = getenv("UIOMMUFD_FAIL_NTH");

	if (v && *v)
		atomic_store(&uio_fail_target, strtoull(v, NULL, 0));
}

bool uio_should_fail(void)
{
	unsigned long long target;

	pthread_once(&uio_fail_once, uio_fail_env);
	target = atomic_load_explicit(&uio_fail_target, memory_order_relaxed);
	if (!target)
		return false;
	if (atomic_fetch_add(&uio_fail_count, 1) + 1 != target)
		return false;
	atomic_store(&uio_fail_target, 0);
	return true;
}

UIO_EXPORT void uiommufd_fail_nth(unsigned long long n)
{
	pthread_once(&uio_fail_once, uio_fail_env);
	atomic_store(&uio_fail_count, 0);
	atomic_store(&uio_fail_target, n);
}

UIO_EXPORT int uiommufd_fail_pending(void)
{
	return atomic_load(&uio_fail_target) != 0;
}
