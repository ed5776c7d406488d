// SPDX-License-Identifier: MIT
/*
 * Runtime checks of <uiommufd/uapi.h>. The header pins every struct size
 * and member offset with static assertions; this test adds what those do
 * not cover:
 *  - every ioctl request number against _IO(';', nr) spelled with literal
 *    numbers (the 6.12 values), and that no two requests collide;
 *  - the command-number and selftest-op enums, a few constants and sizes;
 *  - the VFIO subset against the system's <linux/vfio.h>, compiled in a
 *    separate unit (uapi_sysvfio.c; the rows are in vfio_facts.inc).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

#include "uapi_facts.h"

/* --- VFIO subset vs. the installed kernel header --- */

#define FACT(x) { #x, (unsigned long long)(x) },
const struct uapi_fact our_vfio_facts[] = {
#include "vfio_facts.inc"
	{ NULL, 0 },
};

static void test_vfio_matches_system_header(void **state)
{
	(void)state;
	for (int i = 0; sys_vfio_facts[i].name; i++) {
		assert_non_null(our_vfio_facts[i].name);
		assert_string_equal(sys_vfio_facts[i].name, our_vfio_facts[i].name);
		if (sys_vfio_facts[i].value != our_vfio_facts[i].value)
			fail_msg("%s: system %llu, ours %llu", sys_vfio_facts[i].name,
				 sys_vfio_facts[i].value, our_vfio_facts[i].value);
	}
}

/* --- ioctl request numbers --- */

struct req {
	const char *name;
	unsigned long got;
	unsigned long want;
};

#define REQ(name, nr) { #name, (unsigned long)(name), (unsigned long)_IO(';', nr) }

/* iommufd: 0x80 + n; selftest: 0x80 + 32; VFIO: 100 + n. */
static const struct req reqs[] = {
	REQ(IOMMU_DESTROY, 0x80),
	REQ(IOMMU_IOAS_ALLOC, 0x81),
	REQ(IOMMU_IOAS_ALLOW_IOVAS, 0x82),
	REQ(IOMMU_IOAS_COPY, 0x83),
	REQ(IOMMU_IOAS_IOVA_RANGES, 0x84),
	REQ(IOMMU_IOAS_MAP, 0x85),
	REQ(IOMMU_IOAS_UNMAP, 0x86),
	REQ(IOMMU_OPTION, 0x87),
	REQ(IOMMU_VFIO_IOAS, 0x88),
	REQ(IOMMU_HWPT_ALLOC, 0x89),
	REQ(IOMMU_GET_HW_INFO, 0x8a),
	REQ(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x8b),
	REQ(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x8c),
	REQ(IOMMU_HWPT_INVALIDATE, 0x8d),
	REQ(IOMMU_FAULT_QUEUE_ALLOC, 0x8e),
	REQ(IOMMU_TEST_CMD, 0xa0),

	REQ(VFIO_GET_API_VERSION, 100),
	REQ(VFIO_CHECK_EXTENSION, 101),
	REQ(VFIO_SET_IOMMU, 102),
	REQ(VFIO_GROUP_GET_STATUS, 103),
	REQ(VFIO_GROUP_SET_CONTAINER, 104),
	REQ(VFIO_GROUP_UNSET_CONTAINER, 105),
	REQ(VFIO_GROUP_GET_DEVICE_FD, 106),
	REQ(VFIO_DEVICE_GET_INFO, 107),
	REQ(VFIO_DEVICE_GET_REGION_INFO, 108),
	REQ(VFIO_DEVICE_RESET, 111),
	REQ(VFIO_IOMMU_GET_INFO, 112),
	REQ(VFIO_IOMMU_MAP_DMA, 113),
	REQ(VFIO_IOMMU_UNMAP_DMA, 114),
	REQ(VFIO_IOMMU_ENABLE, 115),
	REQ(VFIO_IOMMU_DISABLE, 116),
	REQ(VFIO_IOMMU_DIRTY_PAGES, 117),
	REQ(VFIO_DEVICE_BIND_IOMMUFD, 118),
	REQ(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 119),
	REQ(VFIO_DEVICE_DETACH_IOMMUFD_PT, 120),
};

#define NREQS (sizeof(reqs) / sizeof(reqs[0]))

static void test_ioctl_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < NREQS; i++)
		if (reqs[i].got != reqs[i].want)
			fail_msg("%s = %#lx, want %#lx", reqs[i].name, reqs[i].got,
				 reqs[i].want);
}

static void test_ioctl_numbers_distinct(void **state)
{
	(void)state;
	for (size_t i = 0; i < NREQS; i++)
		for (size_t j = i + 1; j < NREQS; j++)
			if (reqs[i].got == reqs[j].got)
				fail_msg("%s and %s share %#lx", reqs[i].name,
					 reqs[j].name, reqs[i].got);
}

static void test_ioctl_encoding(void **state)
{
	(void)state;
	/* _IO: no direction, no size, type ';' in bits 8..15. */
	assert_int_equal(_IOC_DIR(IOMMU_IOAS_MAP), _IOC_NONE);
	assert_int_equal(_IOC_SIZE(IOMMU_IOAS_MAP), 0);
	assert_int_equal(_IOC_TYPE(IOMMU_IOAS_MAP), ';');
	assert_int_equal(_IOC_NR(IOMMU_IOAS_MAP), 0x85);
	assert_int_equal(_IOC_TYPE(VFIO_IOMMU_MAP_DMA), ';');
	assert_int_equal(_IOC_NR(VFIO_IOMMU_MAP_DMA), 113);
#if defined(__x86_64__) || defined(__i386__)
	assert_int_equal(IOMMU_IOAS_MAP, 0x3b85);
	assert_int_equal(IOMMU_TEST_CMD, 0x3ba0);
	assert_int_equal(VFIO_IOMMU_MAP_DMA, 0x3b71);
#endif
}

/* --- enums and constants --- */

static void test_command_enums(void **state)
{
	(void)state;
	assert_int_equal(IOMMUFD_TYPE, ';');
	assert_int_equal(IOMMUFD_CMD_BASE, 0x80);
	assert_int_equal(IOMMUFD_CMD_DESTROY, 0x80);
	assert_int_equal(IOMMUFD_CMD_FAULT_QUEUE_ALLOC, 0x8e);
	assert_int_equal(VFIO_TYPE, ';');
	assert_int_equal(VFIO_BASE, 100);
	assert_int_equal(VFIO_API_VERSION, 0);

	assert_int_equal(IOMMU_TEST_OP_ADD_RESERVED, 1);
	assert_int_equal(IOMMU_TEST_OP_MOCK_DOMAIN, 2);
	assert_int_equal(IOMMU_TEST_OP_MD_CHECK_MAP, 3);
	assert_int_equal(IOMMU_TEST_OP_MD_CHECK_REFS, 4);
	assert_int_equal(IOMMU_TEST_OP_CREATE_ACCESS, 5);
	assert_int_equal(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, 6);
	assert_int_equal(IOMMU_TEST_OP_ACCESS_PAGES, 7);
	assert_int_equal(IOMMU_TEST_OP_ACCESS_RW, 8);
	assert_int_equal(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 9);
	assert_int_equal(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 10);
	assert_int_equal(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, 11);
	assert_int_equal(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, 12);
	assert_int_equal(IOMMU_TEST_OP_DIRTY, 13);
	assert_int_equal(IOMMU_TEST_OP_MD_CHECK_IOTLB, 14);
	assert_int_equal(IOMMU_TEST_OP_TRIGGER_IOPF, 15);
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(IOMMU_IOAS_MAP_FIXED_IOVA, 1);
	assert_int_equal(IOMMU_IOAS_MAP_WRITEABLE, 2);
	assert_int_equal(IOMMU_IOAS_MAP_READABLE, 4);
	assert_int_equal(IOMMU_OPTION_RLIMIT_MODE, 0);
	assert_int_equal(IOMMU_OPTION_HUGE_PAGES, 1);
	assert_int_equal(IOMMU_HWPT_FAULT_ID_VALID, 4);
	assert_int_equal(IOMMU_PGFAULT_PERM_PRIV, 8);

	assert_int_equal(MOCK_APERTURE_START, 1ul << 24);
	assert_int_equal(MOCK_APERTURE_LAST, (1ul << 31) - 1);
	assert_int_equal(MOCK_FLAGS_ACCESS_SYZ, 1 << 16);
	assert_int_equal(MOCK_ACCESS_RW_SLOW_PATH, 4);
	assert_int_equal(MOCK_NESTED_DOMAIN_IOTLB_NUM, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1);
	assert_int_equal(IOMMU_HW_INFO_TYPE_SELFTEST, 0xfeedbeef);
	assert_int_equal(IOMMU_HWPT_DATA_SELFTEST, 0xdead);
	assert_int_equal(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
	assert_int_equal(IOMMU_TEST_INVALIDATE_FLAG_ALL, 1);

	assert_int_equal(VFIO_TYPE1v2_IOMMU, 3);
	assert_int_equal(VFIO_UPDATE_VADDR, 10);
	assert_int_equal(VFIO_DMA_UNMAP_FLAG_ALL, 2);
	assert_int_equal(VFIO_PCI_NUM_REGIONS, 9);
}

/* --- a few sizes (all of them are pinned in the header) --- */

static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct iommu_destroy), 8);
	assert_int_equal(sizeof(struct iommu_ioas_map), 40);
	assert_int_equal(sizeof(struct iommu_hwpt_alloc), 48);
	assert_int_equal(sizeof(struct iommu_hw_info), 40);
	assert_int_equal(sizeof(struct iommu_hwpt_pgfault), 40);
	assert_int_equal(sizeof(struct iommu_test_cmd), 72);
	assert_int_equal(offsetof(struct iommu_test_cmd, add_reserved), 16);
	assert_int_equal(offsetof(struct iommu_test_cmd, last), 64);
	assert_int_equal(sizeof(struct vfio_iommu_type1_dma_map), 32);
	assert_int_equal(sizeof(struct vfio_iommu_type1_dma_unmap), 24);
	assert_int_equal(sizeof(struct vfio_device_bind_iommufd), 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_matches_system_header),
		cmocka_unit_test(test_ioctl_numbers),
		cmocka_unit_test(test_ioctl_numbers_distinct),
		cmocka_unit_test(test_ioctl_encoding),
		cmocka_unit_test(test_command_enums),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
