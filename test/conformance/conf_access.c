// SPDX-License-Identifier: MIT
/*
 * Accesses, the kAPI of emulated-device drivers, through the selftest
 * driver: IOMMU_TEST_OP_CREATE_ACCESS and its fd, ACCESS_RW on its fast
 * and slow paths (reads and writes), ACCESS_PAGES and
 * DESTROY_ACCESS_PAGES, ACCESS_REPLACE_IOAS, the unmap notification that
 * takes pins back, and the object's lifetime.
 */
#include "conf.h"

#define LEN (4 * PAGE)

static uint32_t ioas;
static char *buf;

static int setup(void **state)
{
	uint64_t iova = MOCK_APERTURE_START;

	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	buf = aligned_buffer(LEN, 0);
	memset(buf, 0x5a, LEN);
	assert_int_equal(map(fd, ioas, buf, LEN, &iova, FIXED | RW), 0);
	return 0;
}

static void test_create_and_lifetime(void **state)
{
	int afd, afd2;
	uint32_t id;

	(void)state;
	assert_int_equal(create_access(fd, ioas, 2, &afd), EOPNOTSUPP);
	assert_int_equal(create_access(fd, 99, 0, &afd), ENOENT);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(fcntl(afd, F_GETFD), FD_CLOEXEC);
	/* The access takes an id (2) and holds the IOAS. */
	id = ioas_alloc(fd);
	assert_int_equal(id, 3);
	assert_int_equal(destroy(fd, 2), EBUSY);
	assert_int_equal(destroy(fd, ioas), EBUSY);
	/* Not an access fd. */
	{
		char b[8];

		assert_int_equal(access_rw(fd, fd, MOCK_APERTURE_START, b, 8, 0), EBADFD);
		assert_int_equal(access_rw(fd, -1, MOCK_APERTURE_START, b, 8, 0), EBADFD);
	}
	/* Closing the fd destroys the access. */
	assert_int_equal(create_access(fd, ioas, 0, &afd2), 0);
	assert_int_equal(close(afd), 0);
	assert_int_equal(destroy(fd, 2), ENOENT);
	assert_int_equal(close(afd2), 0);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_rw_paths(void **state)
{
	static char out[LEN];
	int afd;

	(void)state;
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, out, LEN, 0), 0);
	for (size_t i = 0; i < LEN; i++)
		assert_int_equal((unsigned char)out[i], 0x5a);
	/* Writes, unaligned, across pages, both paths. */
	memset(out, 0x11, 100);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START + PAGE - 50, out, 100,
			    MOCK_ACCESS_RW_WRITE), 0);
	assert_int_equal(buf[PAGE - 51], 0x5a);
	assert_int_equal(buf[PAGE - 50], 0x11);
	assert_int_equal(buf[PAGE + 49], 0x11);
	assert_int_equal(buf[PAGE + 50], 0x5a);
	memset(out, 0x22, 3000);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START + 3 * PAGE - 1000, out, 3000,
			    MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH), 0);
	assert_int_equal(buf[3 * PAGE - 1000], 0x22);
	assert_int_equal(buf[LEN - 1], 0x5a);
	/* Errors: flags, length, holes, overflow, bad user buffer. */
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, out, 8, 1u << 5), EOPNOTSUPP);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, out, 0, 0), EINVAL);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START + LEN - 8, out, 16, 0), ENOENT);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START - 8, out, 16, 0), ENOENT);
	assert_int_equal(access_rw(fd, afd, UINT64_MAX - 4, out, 16, 0), EOVERFLOW);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, NULL, 16, 0), EFAULT);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, NULL, 16,
				   MOCK_ACCESS_RW_WRITE), EFAULT);
	assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, out, (16ul << 20) + 1, 0), ENOMEM);
	close(afd);
}

static void test_rw_permissions(void **state)
{
	uint64_t iova = MOCK_APERTURE_START + 0x100000;
	char *ro = aligned_buffer(PAGE, 0);
	char out[16];
	int afd;

	(void)state;
	/* A read-only IOMMU mapping of writable memory. */
	assert_int_equal(map(fd, ioas, ro, PAGE, &iova, FIXED | IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(create_access(fd, ioas, 0, &afd), 0);
	assert_int_equal(access_rw(fd, afd, iova, out, 16, 0), 0);
	assert_int_equal(access_rw(fd, afd, iova, out, 16, MOCK_ACCESS_RW_WRITE), EPERM);
	assert_int_equal(access_rw(fd, afd, iova, out, 16, MOCK_ACCESS_RW_WRITE |
			    MOCK_ACCESS_RW_SLOW_PATH), EPERM);
	close(afd);
}

static void test_pages(void **state)
{
	uint32_t item0, item1, item;
	int afd, plain;

	(void)state;
	assert_int_equal(create_access(fd, ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
	assert_int_equal(create_access(fd, ioas, 0, &plain), 0);
	/* Only pinning accesses pin. */
	assert_int_equal(access_pages(fd, plain, MOCK_APERTURE_START, LEN, buf,
				      0, NULL), EOPNOTSUPP);
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START, LEN, buf,
				      1u << 3, NULL), EOPNOTSUPP);
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START, LEN, buf, 0, &item0), 0);
	assert_int_equal(item0, 0);
	assert_int_equal(check_refs(fd, buf, LEN, 1), 0);
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START, LEN, buf, 0, &item1), 0);
	assert_int_equal(item1, 1);
	/* The same pages: still one pin each. */
	assert_int_equal(check_refs(fd, buf, LEN, 1), 0);
	/* The wrong user address for the check. */
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START, PAGE,
				      buf + PAGE, 0, NULL), EBADE);
	/* Unaligned inside, a hole, an empty range. */
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START + 100, 200,
				      buf + 100, 0, NULL), EINVAL);
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START - PAGE, LEN,
				      buf, 0, NULL), ENOENT);
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START, 0, buf, 0, NULL), EINVAL);
	assert_int_equal(unpin(fd, afd, item0), 0);
	assert_int_equal(unpin(fd, afd, item0), ENOENT);
	assert_int_equal(unpin(fd, afd, 7), ENOENT);
	assert_int_equal(unpin(fd, fd, 0), EBADFD);
	assert_int_equal(check_refs(fd, buf, LEN, 1), 0);
	/* Pinning accesses need page-aligned areas: a 2 KiB map is refused. */
	{
		uint64_t iova = MOCK_APERTURE_START + 0x100000 + 2048;

		assert_int_equal(map(fd, ioas, buf, 2048, &iova, FIXED | RW), EINVAL);
	}
	/* An unmap over pinned pages makes the driver give them up. */
	{
		uint64_t n;

		assert_int_equal(unmap(fd, ioas, MOCK_APERTURE_START, LEN, &n), 0);
		assert_int_equal(n, LEN);
	}
	assert_int_equal(check_refs(fd, buf, LEN, 0), 0);
	assert_int_equal(unpin(fd, afd, item1), ENOENT);
	/* New items keep counting. */
	{
		uint64_t iova = MOCK_APERTURE_START;

		assert_int_equal(map(fd, ioas, buf, LEN, &iova, FIXED | RW), 0);
		assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START,
					      PAGE, buf, 0, &item), 0);
		assert_int_equal(item, 2);
	}
	/* Closing the fd drops its pins. */
	assert_int_equal(close(afd), 0);
	assert_int_equal(check_refs(fd, buf, LEN, 0), 0);
	close(plain);
}

static void test_replace_ioas(void **state)
{
	uint32_t ioas2 = ioas_alloc(fd);
	uint64_t iova = MOCK_APERTURE_START;
	char *other = aligned_buffer(PAGE, 0);
	char out[8];
	int afd;

	(void)state;
	memset(other, 0x77, PAGE);
	assert_int_equal(map(fd, ioas2, other, PAGE, &iova, FIXED | RW), 0);
	assert_int_equal(create_access(fd, ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), 0);
	assert_int_equal(access_pages(fd, afd, MOCK_APERTURE_START, PAGE, buf, 0, NULL), 0);
	{
		struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
					    .id = (uint32_t)afd,
					    .access_replace_ioas.ioas_id = 99 };

		assert_int_equal(test_cmd(fd, &c), ENOENT);
		c.access_replace_ioas.ioas_id = ioas2;
		assert_int_equal(test_cmd(fd, &c), 0);
		/* Pins on the old IOAS are gone; reads see the new one. */
		assert_int_equal(check_refs(fd, buf, PAGE, 0), 0);
		assert_int_equal(access_rw(fd, afd, MOCK_APERTURE_START, out, 8, 0), 0);
		assert_int_equal((unsigned char)out[0], 0x77);
		assert_int_equal(destroy(fd, ioas), 0);
		assert_int_equal(destroy(fd, ioas2), EBUSY);
		c.id = (uint32_t)fd;
		assert_int_equal(test_cmd(fd, &c), EBADFD);
	}
	close(afd);
	assert_int_equal(destroy(fd, ioas2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_lifetime, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rw_paths, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_rw_permissions, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_replace_ioas, setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
