// SPDX-License-Identifier: MIT
/*
 * The uAPI header against independent facts: the VFIO subset against the
 * system's <linux/vfio.h> (compiled in a separate unit), and the iommufd
 * ioctl numbers against their documented encoding.
 * (vfio_device_info is left out: it grew a pad field after 6.1, the
 * system header's version; the in-header assertions pin its 6.12 size.) Struct sizes and offsets
 * are pinned by static assertions inside the header itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

#include "uapi_facts.h"

#define FACT(x) { #x, (unsigned long long)(x) },
const struct uapi_fact our_vfio_facts[] = {
#include "vfio_facts.inc"
	{ NULL, 0 },
};

static void test_vfio_matches_system_header(void **state)
{
	(void)state;
	for (int i = 0; sys_vfio_facts[i].name; i++) {
		assert_string_equal(sys_vfio_facts[i].name, our_vfio_facts[i].name);
		if (sys_vfio_facts[i].value != our_vfio_facts[i].value)
			fail_msg("%s: system %llu, ours %llu", sys_vfio_facts[i].name,
				 sys_vfio_facts[i].value, our_vfio_facts[i].value);
	}
}

/* _IO(';', nr): no direction, no size; type in bits 8..15. */
static unsigned long io(unsigned int nr)
{
	return ((unsigned long)';' << 8) | nr;
}

static void test_iommufd_ioctl_numbers(void **state)
{
	(void)state;
	assert_int_equal(IOMMU_DESTROY, io(0x80));
	assert_int_equal(IOMMU_IOAS_ALLOC, io(0x81));
	assert_int_equal(IOMMU_IOAS_ALLOW_IOVAS, io(0x82));
	assert_int_equal(IOMMU_IOAS_COPY, io(0x83));
	assert_int_equal(IOMMU_IOAS_IOVA_RANGES, io(0x84));
	assert_int_equal(IOMMU_IOAS_MAP, io(0x85));
	assert_int_equal(IOMMU_IOAS_UNMAP, io(0x86));
	assert_int_equal(IOMMU_OPTION, io(0x87));
	assert_int_equal(IOMMU_VFIO_IOAS, io(0x88));
	assert_int_equal(IOMMU_HWPT_ALLOC, io(0x89));
	assert_int_equal(IOMMU_GET_HW_INFO, io(0x8a));
	assert_int_equal(IOMMU_HWPT_SET_DIRTY_TRACKING, io(0x8b));
	assert_int_equal(IOMMU_HWPT_GET_DIRTY_BITMAP, io(0x8c));
	assert_int_equal(IOMMU_HWPT_INVALIDATE, io(0x8d));
	assert_int_equal(IOMMU_FAULT_QUEUE_ALLOC, io(0x8e));
	assert_int_equal(IOMMU_TEST_CMD, io(0xa0));
	assert_int_equal(VFIO_IOMMU_MAP_DMA, io(100 + 13));
}

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct iommu_ioas_map), 40);
	assert_int_equal(sizeof(struct iommu_test_cmd), 72);
	assert_int_equal(offsetof(struct iommu_test_cmd, last), 64);
	assert_int_equal(MOCK_APERTURE_START, 1ul << 24);
	assert_int_equal(MOCK_APERTURE_LAST, (1ul << 31) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_matches_system_header),
		cmocka_unit_test(test_iommufd_ioctl_numbers),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
