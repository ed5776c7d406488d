// SPDX-License-Identifier: MIT
/*
 * The fd side of /dev/iommu: dup, dup2, dup3, fcntl(F_DUPFD*), close_range
 * and stat/access of the node. A duplicate is the same open file, so it
 * sees the same objects, and the objects live until the last one closes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/stat.h>

#include "conf.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void test_stat_and_access(void **state)
{
	struct stat st;
	int fd = iommufd_open();

	(void)state;
	assert_int_equal(stat("/dev/iommu", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(access("/dev/iommu", R_OK | W_OK), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
	assert_true(S_ISCHR(st.st_mode));
	close(fd);
}

static void test_dups_share_objects(void **state)
{
	int fd = iommufd_open();
	uint32_t ioas = ioas_alloc(fd);
	int d1 = dup(fd);
	int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	int d3 = fcntl(fd, F_DUPFD, 0);

	(void)state;
	assert_true(d1 >= 0 && d2 >= 100 && d3 >= 0);
	assert_int_equal(fcntl(d2, F_GETFD), FD_CLOEXEC);
	close(fd);
	/* Each duplicate sees the object created through the original. */
	assert_int_equal(destroy(d1, ioas), 0);
	assert_int_equal(ioas_alloc(d2), ioas);
	assert_int_equal(ioas_alloc(d3), ioas + 1);
	close(d1);
	close(d2);
	/* The last one still works, and is the same context. */
	assert_int_equal(destroy(d3, ioas + 1), 0);
	close(d3);
}

static void test_dup2_over_context(void **state)
{
	int a = iommufd_open(), b = iommufd_open();
	uint32_t ia = ioas_alloc(a);

	(void)state;
	ioas_alloc(b);
	ioas_alloc(b);
	/* b's number now refers to a's context; b's context is released. */
	assert_int_equal(dup2(a, b), b);
	assert_int_equal(destroy(b, ia), 0);
	assert_int_equal(destroy(b, 2), ENOENT);
	/* dup3 onto a plain fd, and back. */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup3(a, p[0], O_CLOEXEC), p[0]);
	assert_int_equal(ioas_alloc(p[0]), ia);
	/* An ioctl of another subsystem on a context fd is not ours. */
	int n = 0;
	assert_int_equal(xioctl(a, FIONREAD, &n), ENOTTY);
	close(p[0]);
	close(p[1]);
	close(a);
	close(b);
}

static void test_close_range(void **state)
{
	int fd = iommufd_open();
	int d = fcntl(fd, F_DUPFD, 200);
	uint32_t ioas = ioas_alloc(fd);

	(void)state;
	assert_true(d >= 200);
	/* CLOEXEC flavour closes nothing. */
	assert_int_equal(close_range(200, 300, CLOSE_RANGE_CLOEXEC), 0);
	assert_int_equal(destroy(d, ioas), 0);
	assert_int_equal(close_range(200, 300, 0), 0);
	assert_int_equal(xioctl(d, IOMMU_IOAS_ALLOC, &(struct iommu_ioas_alloc){
					   .size = sizeof(struct iommu_ioas_alloc) }),
			 EBADF);
	assert_int_equal(ioas_alloc(fd), ioas);
	close(fd);
}

static void test_closed_fd_ebadf(void **state)
{
	int fd = iommufd_open();
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	(void)state;
	close(fd);
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOC, &a), EBADF);
	assert_int_equal(close(fd), -1);
	assert_int_equal(errno, EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_and_access),
		cmocka_unit_test(test_dups_share_objects),
		cmocka_unit_test(test_dup2_over_context),
		cmocka_unit_test(test_close_range),
		cmocka_unit_test(test_closed_fd_ebadf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
