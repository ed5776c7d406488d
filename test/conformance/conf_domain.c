// SPDX-License-Identifier: MIT
/*
 * Mock devices and their domains: IOMMU_TEST_OP_MOCK_DOMAIN(_FLAGS) ids and
 * refusals, destroy ordering, automatic domains shared or not, the mock
 * geometry (aperture, IO page size) as the IOAS shows it, MD_CHECK_MAP
 * against real entries, MOCK_DOMAIN_REPLACE between IOASes and paging
 * hwpts, IOMMU_HWPT_ALLOC of paging hwpts, and IOMMU_GET_HW_INFO.
 */
#include "conf.h"

#define MOCK_IO_PAGE (PAGE / 2)

static uint32_t ioas;
static char *buf;

struct dev {
	uint32_t stdev, hwpt, idev;
};

static int mock_dev(uint32_t pt, uint32_t flags, struct dev *d)
{
	struct iommu_test_cmd c = { .op = flags == UINT32_MAX ?
					  IOMMU_TEST_OP_MOCK_DOMAIN :
					  IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
				    .id = pt,
				    .mock_domain_flags.dev_flags =
					    flags == UINT32_MAX ? 0 : flags };
	int rc = test_cmd(fd, &c);

	if (!rc && d)
		*d = (struct dev){ c.mock_domain.out_stdev_id,
				   c.mock_domain.out_hwpt_id,
				   c.mock_domain.out_idev_id };
	return rc;
}

static int replace(uint32_t stdev, uint32_t *pt)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
				    .id = stdev,
				    .mock_domain_replace.pt_id = *pt };
	int rc = test_cmd(fd, &c);

	if (!rc)
		*pt = c.mock_domain_replace.pt_id;
	return rc;
}

static int setup(void **state)
{
	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	buf = aligned_buffer(64 * PAGE, 0);
	memset(buf, 1, 64 * PAGE);
	return 0;
}

static void test_ids_and_lifetimes(void **state)
{
	struct dev d;

	(void)state;
	assert_int_equal(mock_dev(99, UINT32_MAX, NULL), ENOENT);
	assert_int_equal(mock_dev(ioas, 1u << 2, NULL), EINVAL);
	assert_int_equal(mock_dev(ioas, UINT32_MAX, &d), 0);
	/* The selftest object, then the bound device, then the domain. */
	assert_int_equal(d.stdev, 2);
	assert_int_equal(d.idev, 3);
	assert_int_equal(d.hwpt, 4);
	/* A device id is no IO page table. */
	assert_int_equal(mock_dev(d.idev, UINT32_MAX, NULL), EINVAL);
	assert_int_equal(destroy(fd, ioas), EBUSY);
	assert_int_equal(destroy(fd, d.hwpt), EBUSY);
	assert_int_equal(destroy(fd, d.idev), EBUSY);
	/* Destroying the device takes its automatic domain with it. */
	assert_int_equal(destroy(fd, d.stdev), 0);
	assert_int_equal(destroy(fd, d.hwpt), ENOENT);
	assert_int_equal(destroy(fd, d.idev), ENOENT);
	assert_int_equal(destroy(fd, ioas), 0);
	assert_int_equal(ioas_alloc(fd), 1);
}

static void test_auto_domain_sharing(void **state)
{
	struct dev a, b, c, e;

	(void)state;
	assert_int_equal(mock_dev(ioas, UINT32_MAX, &a), 0);
	/* Compatible devices share the automatic domain... */
	assert_int_equal(mock_dev(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &b), 0);
	assert_int_equal(b.hwpt, a.hwpt);
	assert_int_equal(mock_dev(ioas, MOCK_FLAGS_DEVICE_HUGE_IOVA, &c), 0);
	assert_int_equal(c.hwpt, a.hwpt);
	/* ...which stays while one of them is attached. */
	assert_int_equal(destroy(fd, a.stdev), 0);
	assert_int_equal(destroy(fd, a.hwpt), EBUSY);
	assert_int_equal(destroy(fd, b.stdev), 0);
	assert_int_equal(destroy(fd, c.stdev), 0);
	assert_int_equal(destroy(fd, a.hwpt), ENOENT);
	/* A dirty-tracking domain the NO_DIRTY device cannot join. */
	assert_int_equal(mock_dev(ioas, UINT32_MAX, &a), 0);
	{
		uint32_t dirty, pt;

		assert_int_equal(hwpt_alloc(fd, a.idev, ioas,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0,
					    &dirty), 0);
		assert_int_equal(mock_dev(dirty, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL), EINVAL);
		assert_int_equal(mock_dev(dirty, UINT32_MAX, &e), 0);
		assert_int_equal(e.hwpt, dirty);
		pt = ioas;
		assert_int_equal(replace(e.stdev, &pt), 0);
		/* Back on the IOAS: its existing automatic domain. */
		assert_int_equal(pt, a.hwpt);
		assert_int_equal(destroy(fd, dirty), 0);
	}
}

static void test_geometry(void **state)
{
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .num_iovas = 4,
					    .allowed_iovas = (uintptr_t)r };
	uint64_t iova = 0x1000;
	struct dev d;

	(void)state;
	/* An area outside the aperture keeps the domain out. */
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, FIXED | RW), 0);
	assert_int_equal(mock_dev(ioas, UINT32_MAX, NULL), EADDRINUSE);
	assert_int_equal(unmap(fd, ioas, 0x1000, PAGE, NULL), 0);
	/* A 2 KiB area that is not IO-page aligned keeps it out too. */
	iova = MOCK_APERTURE_START + 1024;
	assert_int_equal(map(fd, ioas, buf, 1024, &iova, FIXED | RW), 0);
	assert_int_equal(mock_dev(ioas, UINT32_MAX, NULL), EADDRINUSE);
	assert_int_equal(unmap(fd, ioas, iova, 1024, NULL), 0);

	assert_int_equal(mock_dev(ioas, UINT32_MAX, &d), 0);
	q.ioas_id = ioas;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.num_iovas, 1);
	assert_int_equal(r[0].start, MOCK_APERTURE_START);
	assert_int_equal(r[0].last, MOCK_APERTURE_LAST);
	assert_int_equal(q.out_iova_alignment, MOCK_IO_PAGE);
	/* Outside the aperture is reserved: a fixed map there is EINVAL. */
	iova = MOCK_APERTURE_START - PAGE;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, FIXED | RW), EINVAL);
	iova = MOCK_APERTURE_START + 1024;
	assert_int_equal(map(fd, ioas, buf, MOCK_IO_PAGE, &iova, FIXED | RW), EINVAL);
	iova = MOCK_APERTURE_START;
	assert_int_equal(map(fd, ioas, buf, 1024, &iova, FIXED | RW), EINVAL);
	/* Half-page IO pages: 2 KiB maps and offsets work. */
	assert_int_equal(map(fd, ioas, buf + MOCK_IO_PAGE, MOCK_IO_PAGE, &iova,
			     FIXED | RW), 0);
	/* Automatic IOVAs land in the aperture. */
	iova = 0;
	assert_int_equal(map(fd, ioas, buf, 4 * PAGE, &iova, RW), 0);
	assert_true(iova >= MOCK_APERTURE_START && iova < MOCK_APERTURE_LAST);
	/* After the last domain goes, alignment and aperture go too. */
	assert_int_equal(destroy(fd, d.stdev), 0);
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.num_iovas, 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(q.out_iova_alignment, 1);
}

static void test_check_map(void **state)
{
	uint64_t iova = MOCK_APERTURE_START;
	struct dev d;

	(void)state;
	assert_int_equal(mock_dev(ioas, UINT32_MAX, &d), 0);
	assert_int_equal(map(fd, ioas, buf, 16 * PAGE, &iova, FIXED | RW), 0);
	assert_int_equal(check_map(fd, d.hwpt, iova, buf, 16 * PAGE), 0);
	assert_int_equal(check_map(fd, d.hwpt, iova + MOCK_IO_PAGE, buf + MOCK_IO_PAGE,
				   MOCK_IO_PAGE), 0);
	/* Entries of other pages, nothing mapped, misalignment, wrong type. */
	assert_int_equal(check_map(fd, d.hwpt, iova, buf + PAGE, PAGE), EINVAL);
	assert_int_equal(check_map(fd, d.hwpt, iova + 16 * PAGE, buf, PAGE), EINVAL);
	assert_int_equal(check_map(fd, d.hwpt, iova + 1, buf, PAGE), EINVAL);
	assert_int_equal(check_map(fd, d.hwpt, iova, buf + 1, PAGE), EINVAL);
	assert_int_equal(check_map(fd, ioas, iova, buf, PAGE), ENOENT);
	assert_int_equal(check_map(fd, d.hwpt, iova, NULL, PAGE), EFAULT);
	/* Unmapping empties the domain. */
	assert_int_equal(unmap(fd, ioas, iova, 16 * PAGE, NULL), 0);
	assert_int_equal(check_map(fd, d.hwpt, iova, buf, PAGE), EINVAL);
	/* A second domain is filled from the IOAS's areas when it arrives. */
	assert_int_equal(map(fd, ioas, buf, 16 * PAGE, &iova, FIXED | RW), 0);
	{
		uint32_t h2;

		assert_int_equal(hwpt_alloc(fd, d.idev, ioas, 0, 0, NULL, 0, &h2), 0);
		assert_int_equal(check_map(fd, h2, iova, buf, 16 * PAGE), 0);
		assert_int_equal(destroy(fd, h2), 0);
	}
}

static void test_replace(void **state)
{
	uint32_t ioas2 = ioas_alloc(fd), pt, paging, id;
	uint64_t iova = MOCK_APERTURE_START;
	struct dev d;

	(void)state;
	assert_int_equal(mock_dev(ioas, UINT32_MAX, &d), 0);
	assert_int_equal(map(fd, ioas2, buf, 8 * PAGE, &iova, FIXED | RW), 0);
	pt = ioas2;
	assert_int_equal(replace(d.stdev, &pt), 0);
	/* A new automatic domain on ioas2; the old one is gone. */
	assert_int_equal(destroy(fd, d.hwpt), ENOENT);
	assert_int_equal(check_map(fd, pt, iova, buf, 8 * PAGE), 0);
	assert_int_equal(destroy(fd, ioas), 0);
	/* To a paging hwpt allocated for the device, and to itself. */
	assert_int_equal(hwpt_alloc(fd, d.idev, ioas2, 0, 0, NULL, 0, &paging), 0);
	id = paging;
	assert_int_equal(replace(d.stdev, &id), 0);
	assert_int_equal(id, paging);
	assert_int_equal(replace(d.stdev, &id), 0);
	assert_int_equal(destroy(fd, pt), ENOENT);
	assert_int_equal(destroy(fd, paging), EBUSY);
	/* Refusals: unknown ids, not a selftest device, not a table. */
	id = 99;
	assert_int_equal(replace(d.stdev, &id), ENOENT);
	id = ioas2;
	assert_int_equal(replace(d.idev, &id), ENOENT);
	id = d.idev;
	assert_int_equal(replace(d.stdev, &id), EINVAL);
	assert_int_equal(destroy(fd, d.stdev), 0);
	assert_int_equal(destroy(fd, paging), 0);
	assert_int_equal(destroy(fd, ioas2), 0);
}

static void test_hwpt_alloc_and_hw_info(void **state)
{
	struct iommu_test_hw_info info;
	unsigned char big[32];
	struct iommu_hw_info hi = { .size = sizeof(hi) };
	struct dev d, nd;
	uint32_t h;

	(void)state;
	assert_int_equal(mock_dev(ioas, UINT32_MAX, &d), 0);
	assert_int_equal(mock_dev(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd), 0);
	assert_int_equal(hwpt_alloc(fd, d.idev, ioas, 1u << 3, 0, NULL, 0, &h), EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, d.idev, ioas, IOMMU_HWPT_FAULT_ID_VALID,
				    0, NULL, 0, &h), EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, nd.idev, ioas,
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, &h),
			 EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, d.idev, 99, 0, 0, NULL, 0, &h), EINVAL);
	assert_int_equal(hwpt_alloc(fd, ioas, ioas, 0, 0, NULL, 0, &h), ENOENT);
	assert_int_equal(hwpt_alloc(fd, d.idev, ioas,
				    IOMMU_HWPT_ALLOC_NEST_PARENT, 0, NULL, 0, &h), 0);
	/* A hwpt holds its IOAS. */
	assert_int_equal(destroy(fd, d.stdev), 0);
	assert_int_equal(destroy(fd, nd.stdev), 0);
	assert_int_equal(destroy(fd, ioas), EBUSY);
	assert_int_equal(destroy(fd, h), 0);

	assert_int_equal(mock_dev(ioas, UINT32_MAX, &d), 0);
	assert_int_equal(mock_dev(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY, &nd), 0);
	memset(big, 0xee, sizeof(big));
	hi.dev_id = d.idev;
	hi.data_len = sizeof(big);
	hi.data_uptr = (uintptr_t)big;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.out_data_type, IOMMU_HW_INFO_TYPE_SELFTEST);
	assert_int_equal(hi.data_len, sizeof(info));
	assert_int_equal(hi.out_capabilities, IOMMU_HW_CAP_DIRTY_TRACKING);
	memcpy(&info, big, sizeof(info));
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.test_reg, IOMMU_HW_INFO_SELFTEST_REGVAL);
	/* The rest of a larger buffer is cleared. */
	for (size_t i = sizeof(info); i < sizeof(big); i++)
		assert_int_equal(big[i], 0);
	/* A shorter buffer gets a prefix; the full length is reported. */
	memset(&info, 0xff, sizeof(info));
	hi.data_len = 2;
	hi.data_uptr = (uintptr_t)&info;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.data_len, sizeof(info));
	assert_int_equal(info.flags, 0xffff0000);
	hi.dev_id = nd.idev;
	hi.data_len = 0;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), 0);
	assert_int_equal(hi.out_capabilities, 0);
	hi.dev_id = ioas;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), ENOENT);
	hi.dev_id = d.idev;
	hi.__reserved[1] = 1;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), EOPNOTSUPP);
	hi.__reserved[1] = 0;
	hi.flags = 1;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), EOPNOTSUPP);
	hi.flags = 0;
	hi.data_len = sizeof(info);
	hi.data_uptr = 8;
	assert_int_equal(xioctl(fd, IOMMU_GET_HW_INFO, &hi), EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_and_lifetimes, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_auto_domain_sharing, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_geometry, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_check_map, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_hwpt_alloc_and_hw_info, setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
