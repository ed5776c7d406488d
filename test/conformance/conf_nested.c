// SPDX-License-Identifier: MIT
/*
 * Mock nested hwpts: IOMMU_HWPT_ALLOC with IOMMU_HWPT_DATA_SELFTEST on a
 * NEST_PARENT paging hwpt, IOMMU_HWPT_INVALIDATE with the selftest request
 * type (entry arrays, partial progress in entry_num, the kernel's errnos)
 * and IOMMU_TEST_OP_MD_CHECK_IOTLB reading the result; attaching a device
 * to a nested hwpt by replace, and the references that keep parents alive.
 */
#include "conf.h"

static uint32_t ioas, idev, stdev, auto_hwpt, parent, nested;

static int check_iotlb(uint32_t id, uint32_t iotlb_id, uint32_t val)
{
	struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = id,
				    .check_iotlb = { .id = iotlb_id,
						     .iotlb = val } };

	return test_cmd(fd, &c);
}

static const struct iommu_hwpt_selftest cfg = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

static int setup(void **state)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };

	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	md.id = ioas;
	assert_int_equal(test_cmd(fd, &md), 0);
	stdev = md.mock_domain.out_stdev_id;
	idev = md.mock_domain.out_idev_id;
	auto_hwpt = md.mock_domain.out_hwpt_id;
	assert_int_equal(hwpt_alloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				    NULL, 0, &parent), 0);
	assert_int_equal(hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, sizeof(cfg), &nested), 0);
	return 0;
}

static void test_ids_and_refusals(void **state)
{
	uint32_t plain, id;

	(void)state;
	/* stdev, idev, auto hwpt, then the parent and the nested one. */
	assert_int_equal(stdev, 2);
	assert_int_equal(idev, 3);
	assert_int_equal(auto_hwpt, 4);
	assert_int_equal(parent, 5);
	assert_int_equal(nested, 6);
	assert_int_equal(hwpt_alloc(fd, idev, ioas, 0, 0, NULL, 0, &plain), 0);
	/* Driver data for a paging hwpt: the mock takes none. */
	assert_int_equal(hwpt_alloc(fd, idev, ioas, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, sizeof(cfg), &id), EOPNOTSUPP);
	/* Parents must be NEST_PARENT and not automatic. */
	assert_int_equal(hwpt_alloc(fd, idev, plain, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, sizeof(cfg), &id), EINVAL);
	assert_int_equal(hwpt_alloc(fd, idev, auto_hwpt, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, sizeof(cfg), &id), EINVAL);
	/* Driver data sizes: shorter or longer than the struct, or none. */
	assert_int_equal(hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, 2, &id), EINVAL);
	assert_int_equal(hwpt_alloc(fd, idev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, 8, &id), EINVAL);
	assert_int_equal(hwpt_alloc(fd, idev, parent, 0, 0, NULL, 0, &id), EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, idev, parent, 0, 7, &cfg, 4, &id), EOPNOTSUPP);
	assert_int_equal(hwpt_alloc(fd, idev, parent, IOMMU_HWPT_ALLOC_NEST_PARENT,
				    IOMMU_HWPT_DATA_SELFTEST, &cfg, 4, &id),
			 EOPNOTSUPP);
	/* Not on a nested one, an unknown id, a non-device, a length alone. */
	assert_int_equal(hwpt_alloc(fd, idev, nested, 0, IOMMU_HWPT_DATA_SELFTEST,
				    &cfg, 4, &id), EINVAL);
	assert_int_equal(hwpt_alloc(fd, idev, 999, 0, 0, NULL, 0, &id), EINVAL);
	assert_int_equal(hwpt_alloc(fd, ioas, ioas, 0, 0, NULL, 0, &id), ENOENT);
	assert_int_equal(hwpt_alloc(fd, idev, ioas, 0, 0, NULL, 4, &id), EINVAL);
	assert_int_equal(destroy(fd, plain), 0);
}

static void test_iotlb_and_invalidate(void **state)
{
	struct iommu_hwpt_invalidate_selftest inv[3] = { { 0, 1 }, { 0, 5 }, { 0, 2 } };
	uint32_t n;

	(void)state;
	for (uint32_t i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++)
		assert_int_equal(check_iotlb(nested, i, IOMMU_TEST_IOTLB_DEFAULT), 0);
	assert_int_equal(check_iotlb(nested, 4, IOMMU_TEST_IOTLB_DEFAULT), EINVAL);
	assert_int_equal(check_iotlb(nested, 3, 0), EINVAL);
	assert_int_equal(check_iotlb(parent, 0, IOMMU_TEST_IOTLB_DEFAULT), ENOENT);

	/* The second entry's id is out of range: one done, then EINVAL. */
	n = 3;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, sizeof(inv[0]), &n), EINVAL);
	assert_int_equal(n, 1);
	assert_int_equal(check_iotlb(nested, 1, 0), 0);
	assert_int_equal(check_iotlb(nested, 2, IOMMU_TEST_IOTLB_DEFAULT), 0);

	/* Entries longer (non-zero tail) or shorter than the kernel's. */
	n = 1;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 12, &n), EINVAL);
	assert_int_equal(n, 0);
	n = 1;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 4, &n), EINVAL);
	assert_int_equal(n, 0);
	/* No entries: nothing to do. */
	n = 0;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 4, &n), 0);
	assert_int_equal(n, 0);
	n = 1;
	assert_int_equal(invalidate(fd, nested, 7, inv, 8, &n), EINVAL);
	n = 1;
	assert_int_equal(invalidate(fd, parent, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 8, &n), ENOENT);
	/* Unknown flags; FLAG_ALL still wants a valid id, then clears all. */
	inv[0].flags = 2;
	n = 1;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 8, &n), EOPNOTSUPP);
	assert_int_equal(n, 0);
	inv[0].flags = IOMMU_TEST_INVALIDATE_FLAG_ALL;
	inv[0].iotlb_id = 77;
	n = 1;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 8, &n), EINVAL);
	assert_int_equal(n, 0);
	inv[0].iotlb_id = 3;
	n = 1;
	assert_int_equal(invalidate(fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				    inv, 8, &n), 0);
	assert_int_equal(n, 1);
	for (uint32_t i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++)
		assert_int_equal(check_iotlb(nested, i, 0), 0);
}

static void test_attach_and_lifetimes(void **state)
{
	struct iommu_test_cmd rp = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };

	(void)state;
	rp.id = stdev;
	rp.mock_domain_replace.pt_id = nested;
	assert_int_equal(test_cmd(fd, &rp), 0);
	assert_int_equal(rp.mock_domain_replace.pt_id, nested);
	/* The auto domain went with its last device. */
	assert_int_equal(destroy(fd, auto_hwpt), ENOENT);
	/* A device holds the nested hwpt, which holds its parent. */
	assert_int_equal(destroy(fd, nested), EBUSY);
	assert_int_equal(destroy(fd, parent), EBUSY);
	rp.mock_domain_replace.pt_id = ioas;
	assert_int_equal(test_cmd(fd, &rp), 0);
	/* A new auto domain, at the lowest free id: the old one's. */
	assert_int_equal(rp.mock_domain_replace.pt_id, auto_hwpt);
	assert_int_equal(destroy(fd, parent), EBUSY);
	assert_int_equal(destroy(fd, nested), 0);
	assert_int_equal(destroy(fd, parent), 0);
	assert_int_equal(destroy(fd, ioas), EBUSY);
	assert_int_equal(destroy(fd, stdev), 0);
	assert_int_equal(destroy(fd, auto_hwpt), ENOENT);
	assert_int_equal(destroy(fd, ioas), 0);
	assert_int_equal(ioas_alloc(fd), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_and_refusals, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_iotlb_and_invalidate, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_attach_and_lifetimes, setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
