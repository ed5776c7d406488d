// SPDX-License-Identifier: MIT
/*
 * Reserved IOVA ranges, added with the selftest driver's
 * IOMMU_TEST_OP_ADD_RESERVED: how IOVA_RANGES reports them, how MAP,
 * automatic IOVAs and ALLOW_IOVAS respect them, and the command's errors.
 * Needs CONFIG_IOMMUFD_TEST (the reference kernel has it).
 */
#include "conf.h"

static char *buf;

static int add_reserved(uint32_t ioas, uint64_t start, uint64_t length)
{
	struct iommu_test_cmd c = { .size = sizeof(c),
				    .op = IOMMU_TEST_OP_ADD_RESERVED,
				    .id = ioas,
				    .add_reserved = { start, length } };

	return xioctl(fd, IOMMU_TEST_CMD, &c);
}

static uint32_t ranges(uint32_t ioas, struct iommu_iova_range *r, uint32_t n)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = n,
					    .allowed_iovas = (uintptr_t)r };

	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	return q.num_iovas;
}

static int setup(void **state)
{
	(void)state;
	fd = iommufd_open();
	buf = aligned_buffer(16 * PAGE, PAGE);
	return 0;
}

static void test_ranges_report_holes(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_iova_range r[4];

	(void)state;
	assert_int_equal(add_reserved(ioas, 0, PAGE), 0);
	assert_int_equal(add_reserved(ioas, 0x10000, 0x10000), 0);
	/* Overlapping and touching reserved ranges merge in the report. */
	assert_int_equal(add_reserved(ioas, 0x18000, 0x10000), 0);
	assert_int_equal(add_reserved(ioas, 0x28000, PAGE), 0);
	assert_int_equal(ranges(ioas, r, 4), 2);
	assert_int_equal(r[0].start, PAGE);
	assert_int_equal(r[0].last, 0xffff);
	assert_int_equal(r[1].start, 0x29000);
	assert_int_equal(r[1].last, UINT64_MAX);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_map_respects_reserved(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova;

	(void)state;
	assert_int_equal(add_reserved(ioas, 0x1000, 0x3000), 0);
	/* Fixed into reserved: EINVAL (before the overlap check). */
	iova = 0x2000;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW | FIXED), EINVAL);
	iova = 0;
	assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW | FIXED), EINVAL);
	/* Automatic IOVAs go around it. */
	iova = 0;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW), 0);
	assert_int_equal(iova, 0x4000);
	/* Reserving over an area: EADDRINUSE. */
	assert_int_equal(add_reserved(ioas, 0x4000, PAGE), EADDRINUSE);
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_allowed_vs_reserved(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_iova_range allow = { 0x100000, 0x1fffff };
	struct iommu_ioas_allow_iovas a = { .size = sizeof(a), .ioas_id = ioas,
					    .num_iovas = 1,
					    .allowed_iovas = (uintptr_t)&allow };

	(void)state;
	assert_int_equal(add_reserved(ioas, 0x180000, PAGE), 0);
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a), EADDRINUSE);
	allow.start = 0x200000;
	allow.last = 0x2fffff;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &a), 0);
	/* Reserving inside an allowed range: EADDRINUSE. */
	assert_int_equal(add_reserved(ioas, 0x280000, PAGE), EADDRINUSE);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_errors(void **state)
{
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_test_cmd c = { .size = sizeof(c), .op = 0x7777, .id = ioas };

	(void)state;
	assert_int_equal(add_reserved(ioas, 0x1000, 0), EINVAL);
	assert_int_equal(add_reserved(ioas, UINT64_MAX, 2), EOVERFLOW);
	assert_int_equal(add_reserved(9999, 0x1000, PAGE), ENOENT);
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), EOPNOTSUPP);
	c.size = offsetof(struct iommu_test_cmd, last);
	assert_int_equal(xioctl(fd, IOMMU_TEST_CMD, &c), EINVAL);
	/* Numbers between the last command and IOMMU_TEST_CMD: ENOTTY. */
	struct iommu_destroy d = { .size = sizeof(d) };
	assert_int_equal(xioctl(fd, _IO(';', 0x80 + 20), &d), ENOTTY);
	assert_int_equal(xioctl(fd, _IO(';', 0x80 + 20), NULL), EFAULT);
	assert_int_equal(destroy(fd, ioas), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_report_holes),
		cmocka_unit_test(test_map_respects_reserved),
		cmocka_unit_test(test_allowed_vs_reserved),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, ctx_teardown);
}
