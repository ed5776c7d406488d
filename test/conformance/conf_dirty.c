// SPDX-License-Identifier: MIT
/*
 * Dirty tracking: IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP
 * (with and without NO_CLEAR, at several page sizes and an unaligned
 * bitmap) and the mock driver's IOMMU_TEST_OP_DIRTY, on a paging hwpt
 * allocated with DIRTY_TRACKING for a mock device. Every expectation is the
 * reference kernel's answer (6.12.118), including its quirks:
 * GET_DIRTY_BITMAP fails with EINVAL on a range the areas do not cover and
 * and with tracking switched off, but not for a bitmap it cannot write
 * (those bits are lost); TEST_OP_DIRTY indexes the mock IO pages by iova / page_size.
 */
#include "conf.h"

#define MOCK_IO_PAGE (PAGE / 2)
#define BUF_LEN (4ul << 20)

static uint32_t ioas, idev, stdev, auto_hwpt, hwpt;
static char *buf;

/* The bits 0, 2, 31, and 800..807 */
static const unsigned char marks[256] = { [0] = 0x05, [3] = 0x80,
					  [100] = 0xff };

/*
 * A mock device (flags as given) on a fresh IOAS, moved to a DIRTY_TRACKING
 * paging hwpt, and 4 MiB mapped at the start of the aperture.
 */
static int setup_dev(uint32_t dev_flags)
{
	struct iommu_test_cmd md = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.mock_domain_flags.dev_flags = dev_flags };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha),
				       .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	uint64_t iova = MOCK_APERTURE_START;

	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	md.id = ioas;
	assert_int_equal(test_cmd(fd, &md), 0);
	idev = md.mock_domain.out_idev_id;
	stdev = md.mock_domain.out_stdev_id;
	auto_hwpt = md.mock_domain.out_hwpt_id;
	ha.dev_id = idev;
	ha.pt_id = ioas;
	assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
	hwpt = ha.out_hwpt_id;
	rp.id = stdev;
	rp.mock_domain_replace.pt_id = hwpt;
	assert_int_equal(test_cmd(fd, &rp), 0);
	buf = aligned_buffer(BUF_LEN, 0);
	assert_int_equal(map(fd, ioas, buf, BUF_LEN, &iova, FIXED | RW), 0);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_dev(0);
}

static int setup_huge(void **state)
{
	(void)state;
	return setup_dev(MOCK_FLAGS_DEVICE_HUGE_IOVA);
}

static int teardown(void **state)
{
	(void)state;
	munmap(buf, BUF_LEN);
	close(fd);
	return 0;
}

static void assert_bytes(const unsigned char *got, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		assert_int_equal(got[i], v);
	}
}

static void test_marks_and_reads(void **state)
{
	unsigned char bm[256];
	uint64_t n;

	(void)state;
	/* Marking needs tracking on. */
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, MOCK_IO_PAGE,
			      marks, NULL), EINVAL);
	assert_int_equal(set_tracking(fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, MOCK_IO_PAGE,
			      marks, &n), 0);
	assert_int_equal(n, 11);

	/* NO_CLEAR at the IO page size shows exactly the marks... */
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 65536, MOCK_IO_PAGE,
				    bm, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), 0);
	assert_bytes(bm, "0500008000000000");
	/* ...at 4 KiB pages they fold two to a bit, and reading clears. */
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 65536, PAGE, bm, 0), 0);
	assert_bytes(bm, "0380000000000000");
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 65536, PAGE, bm, 0), 0);
	assert_bytes(bm, "0000000000000000");
}

static void test_unaligned_bitmap_and_page_sizes(void **state)
{
	unsigned char bm[256];
	uint64_t n;

	(void)state;
	assert_int_equal(set_tracking(fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	/*
	 * page_size 4096: the mock driver looks up entry iova / 4096, an IO
	 * page index below the mapping here, so nothing is marked.
	 */
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, PAGE, marks, &n), 0);
	assert_int_equal(n, 0);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, 8192,
				    bm + 1, 0), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(bm[i], 0);
	/* 8 KiB pages into a bitmap at an odd address. */
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, MOCK_IO_PAGE,
			      marks, &n), 0);
	assert_int_equal(n, 11);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, 8192,
				    bm + 1, 0), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(bm[i], i == 1 ? 0x81 : i == 26 ? 0x03 : 0);

	/* A range starting one page in: bits shift with it. */
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, MOCK_IO_PAGE,
			      marks, NULL), 0);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START + PAGE,
				    BUF_LEN - PAGE, PAGE, bm, 0), 0);
	assert_bytes(bm, "0140000000000000");
}

static void test_bitmap_errors(void **state)
{
	unsigned char bm[64];

	(void)state;
	assert_int_equal(set_tracking(fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START + 1, BUF_LEN,
				    PAGE, bm, 0), EINVAL);
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, 0, bm, 0), EINVAL);
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 0, PAGE, bm, 0), EINVAL);
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, BUF_LEN,
				    PAGE, bm, 2), EOPNOTSUPP);
	assert_int_equal(get_bitmap(fd, ioas, MOCK_APERTURE_START, BUF_LEN, PAGE, bm, 0), ENOENT);
	/* The auto domain has no dirty ops, but is a paging hwpt. */
	assert_int_equal(get_bitmap(fd, auto_hwpt, MOCK_APERTURE_START, BUF_LEN,
				    PAGE, bm, 0), ENOENT);
	/* A bitmap that cannot be written loses its bits, silently. */
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, PAGE, NULL, 0), 0);
	/* A range the areas do not cover to its end, or at all. */
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 2 * BUF_LEN, PAGE, bm, 0), EINVAL);
	assert_int_equal(get_bitmap(fd, hwpt, 0, PAGE, PAGE, bm, 0), EINVAL);
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START - PAGE, 2 * PAGE, PAGE,
				    bm, 0), EINVAL);
}

static void test_tracking_switch(void **state)
{
	unsigned char bm[8];

	(void)state;
	assert_int_equal(set_tracking(fd, hwpt, 2), EOPNOTSUPP);
	assert_int_equal(set_tracking(fd, hwpt, 0), 0);
	assert_int_equal(set_tracking(fd, auto_hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ENOENT);
	assert_int_equal(set_tracking(fd, 99, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ENOENT);
	/* Off: marking and reading are refused. */
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN,
				    PAGE, marks, NULL), EINVAL);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 65536, PAGE, bm, 0), EINVAL);
	assert_bytes(bm, "0000000000000000");
	/* Off and past the areas: the hole is found first only if no area
	 * starts the range. */
	assert_int_equal(get_bitmap(fd, hwpt, 0, PAGE, PAGE, bm, 0), EINVAL);
	/* Enabling starts from clean entries. */
	assert_int_equal(set_tracking(fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN,
				    MOCK_IO_PAGE, marks, NULL), 0);
	assert_int_equal(set_tracking(fd, hwpt, 0), 0);
	assert_int_equal(set_tracking(fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), 0);
	memset(bm, 0, sizeof(bm));
	assert_int_equal(get_bitmap(fd, hwpt, MOCK_APERTURE_START, 65536, MOCK_IO_PAGE, bm, 0), 0);
	assert_bytes(bm, "0000000000000000");
	/* TEST_OP_DIRTY's own argument checks. */
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN, 3,
				    marks, NULL), EINVAL);
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, 0,
				    MOCK_IO_PAGE, marks, NULL), EINVAL);
	assert_int_equal(mark_dirty(fd, hwpt, MOCK_APERTURE_START, BUF_LEN,
				    MOCK_IO_PAGE, NULL, NULL), EINVAL);
}

/* A device without dirty tracking cannot have a dirty domain. */
static void test_no_dirty_device(void **state)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				     .id = ioas,
				     .mock_domain_flags.dev_flags =
					     MOCK_FLAGS_DEVICE_NO_DIRTY };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha),
				       .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				       .pt_id = ioas };
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				     .mock_domain_replace.pt_id = hwpt };

	(void)state;
	assert_int_equal(test_cmd(fd, &md), 0);
	ha.dev_id = md.mock_domain.out_idev_id;
	assert_int_equal(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), EOPNOTSUPP);
	rp.id = md.mock_domain.out_stdev_id;
	assert_int_equal(test_cmd(fd, &rp), EINVAL);
	assert_int_equal(destroy(fd, md.mock_domain.out_stdev_id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_marks_and_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_marks_and_reads, setup_huge, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_bitmap_and_page_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unaligned_bitmap_and_page_sizes, setup_huge, teardown),
		cmocka_unit_test_setup_teardown(test_bitmap_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracking_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_dirty_device, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
