// SPDX-License-Identifier: MIT
/*
 * Signals and errno: a signal handler that issues iommufd ioctls while the
 * interrupted thread is in the middle of its own must not deadlock, and a
 * successful call leaves errno as it was.
 */
#include <signal.h>
#include <sys/time.h>

#include "conf.h"

static uint32_t ioas;
static volatile sig_atomic_t handled, handler_failed;
static char *buf;

static void on_alarm(int sig)
{
	uint64_t iova = 0;
	int e = errno;

	(void)sig;
	if (map(fd, ioas, buf, PAGE, &iova, RW) ||
	    unmap(fd, ioas, iova, PAGE, NULL))
		handler_failed = 1;
	handled++;
	errno = e;
}

static void test_handler_ioctls_while_interrupted(void **state)
{
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	struct sigaction sa = { .sa_handler = on_alarm };

	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	buf = aligned_buffer(PAGE, 0);
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	for (int i = 0; handled < 200 && i < 5000000; i++) {
		uint64_t iova = 0;

		assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW), 0);
		assert_int_equal(unmap(fd, ioas, iova, 2 * PAGE, NULL), 0);
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	assert_true(handled >= 200);
	assert_false(handler_failed);
	uint64_t left;
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, &left), 0);
	assert_int_equal(left, 0);
	close(fd);
}

static void test_errno_preserved(void **state)
{
	int f = iommufd_open();
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	(void)state;
	errno = 1234;
	assert_int_equal(ioctl(f, IOMMU_IOAS_ALLOC, &a), 0);
	assert_int_equal(errno, 1234);
	errno = 4321;
	assert_int_equal(close(f), 0);
	assert_int_equal(errno, 4321);
	errno = 77;
	f = open("/dev/iommu", O_RDWR);
	assert_true(f >= 0);
	assert_int_equal(errno, 77);
	close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_ioctls_while_interrupted),
		cmocka_unit_test(test_errno_preserved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
