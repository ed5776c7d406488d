// SPDX-License-Identifier: MIT
/*
 * The core's decoders for the trace (lib/kernel/trace.h): every ioctl of a
 * context (/dev/iommu and /dev/vfio/vfio alike, as the kernel's iommufd
 * answers both families on either): the iommufd commands, each
 * IOMMU_TEST_CMD op with its union member, the VFIO type1 container
 * commands with IOMMU_GET_INFO's capability chain; and the records read
 * from and written to a fault queue.
 *
 *   IOMMU_IOAS_MAP(3, {size=40, flags=READABLE, ioas_id=1, ...}) = 0 => {iova=0x10000}
 *   IOMMU_TEST_CMD(3, {size=72, op=MOCK_DOMAIN, id=1}) = 0 => {mock_domain={out_stdev_id=2, ...}}
 *   VFIO_CHECK_EXTENSION(3, VFIO_TYPE1v2_IOMMU) = 1
 *   read(7, [{flags=LAST_PAGE, dev_id=3, ...}], 80) = 40
 */
#include <string.h>

#include <uiommufd/uapi.h>

#include "core.h"
#include "trace.h"

#define IN UIO_TF_IN
#define OUT UIO_TF_OUT
#define IO UIO_TF_INOUT
#define DEC UIO_TF_DEC
#define SDEC UIO_TF_SDEC
#define HEX UIO_TF_HEX
#define FLAGS UIO_TF_FLAGS
#define ENUM UIO_TF_ENUM
#define F(t, f, fmt, dir) UIO_TF(t, f, fmt, dir, NULL)
#define FX(t, f, fmt, dir, x) UIO_TF(t, f, fmt, dir, x)
#define END UIO_TF_END

/* ------------------------------------------------------------------ */
/* names */

static const struct uio_trace_xlat map_flags[] = {
	UIO_XLAT(IOMMU_IOAS_MAP_FIXED_IOVA, "FIXED_IOVA"),
	UIO_XLAT(IOMMU_IOAS_MAP_WRITEABLE, "WRITEABLE"),
	UIO_XLAT(IOMMU_IOAS_MAP_READABLE, "READABLE"), UIO_XLAT_END,
};
static const struct uio_trace_xlat option_ids[] = {
	UIO_XLAT(IOMMU_OPTION_RLIMIT_MODE, "RLIMIT_MODE"),
	UIO_XLAT(IOMMU_OPTION_HUGE_PAGES, "HUGE_PAGES"), UIO_XLAT_END,
};
static const struct uio_trace_xlat option_ops[] = {
	UIO_XLAT(IOMMU_OPTION_OP_SET, "SET"), UIO_XLAT(IOMMU_OPTION_OP_GET, "GET"),
	UIO_XLAT_END,
};
static const struct uio_trace_xlat vfio_ioas_ops[] = {
	UIO_XLAT(IOMMU_VFIO_IOAS_GET, "GET"), UIO_XLAT(IOMMU_VFIO_IOAS_SET, "SET"),
	UIO_XLAT(IOMMU_VFIO_IOAS_CLEAR, "CLEAR"), UIO_XLAT_END,
};
static const struct uio_trace_xlat hwpt_alloc_flags[] = {
	UIO_XLAT(IOMMU_HWPT_ALLOC_NEST_PARENT, "NEST_PARENT"),
	UIO_XLAT(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, "DIRTY_TRACKING"),
	UIO_XLAT(IOMMU_HWPT_FAULT_ID_VALID, "FAULT_ID_VALID"), UIO_XLAT_END,
};
static const struct uio_trace_xlat hwpt_data_types[] = {
	UIO_XLAT(IOMMU_HWPT_DATA_NONE, "NONE"),
	UIO_XLAT(IOMMU_HWPT_DATA_VTD_S1, "VTD_S1"),
	UIO_XLAT(IOMMU_HWPT_DATA_SELFTEST, "SELFTEST"), UIO_XLAT_END,
};
static const struct uio_trace_xlat hw_info_types[] = {
	UIO_XLAT(IOMMU_HW_INFO_TYPE_NONE, "NONE"),
	UIO_XLAT(IOMMU_HW_INFO_TYPE_INTEL_VTD, "INTEL_VTD"),
	UIO_XLAT(IOMMU_HW_INFO_TYPE_SELFTEST, "SELFTEST"), UIO_XLAT_END,
};
static const struct uio_trace_xlat hw_caps[] = {
	UIO_XLAT(IOMMU_HW_CAP_DIRTY_TRACKING, "DIRTY_TRACKING"),
	UIO_XLAT(IOMMU_HW_CAP_PCI_PASID_EXEC, "PCI_PASID_EXEC"),
	UIO_XLAT(IOMMU_HW_CAP_PCI_PASID_PRIV, "PCI_PASID_PRIV"), UIO_XLAT_END,
};
static const struct uio_trace_xlat dirty_tracking_flags[] = {
	UIO_XLAT(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, "ENABLE"), UIO_XLAT_END,
};
static const struct uio_trace_xlat dirty_bitmap_flags[] = {
	UIO_XLAT(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, "NO_CLEAR"), UIO_XLAT_END,
};
static const struct uio_trace_xlat invalidate_types[] = {
	UIO_XLAT(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, "VTD_S1"),
	UIO_XLAT(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, "SELFTEST"),
	UIO_XLAT(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, "SELFTEST_INVALID"),
	UIO_XLAT_END,
};
static const struct uio_trace_xlat test_ops[] = {
	UIO_XLAT(IOMMU_TEST_OP_ADD_RESERVED, "ADD_RESERVED"),
	UIO_XLAT(IOMMU_TEST_OP_MOCK_DOMAIN, "MOCK_DOMAIN"),
	UIO_XLAT(IOMMU_TEST_OP_MD_CHECK_MAP, "MD_CHECK_MAP"),
	UIO_XLAT(IOMMU_TEST_OP_MD_CHECK_REFS, "MD_CHECK_REFS"),
	UIO_XLAT(IOMMU_TEST_OP_CREATE_ACCESS, "CREATE_ACCESS"),
	UIO_XLAT(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, "DESTROY_ACCESS_PAGES"),
	UIO_XLAT(IOMMU_TEST_OP_ACCESS_PAGES, "ACCESS_PAGES"),
	UIO_XLAT(IOMMU_TEST_OP_ACCESS_RW, "ACCESS_RW"),
	UIO_XLAT(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, "SET_TEMP_MEMORY_LIMIT"),
	UIO_XLAT(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, "MOCK_DOMAIN_REPLACE"),
	UIO_XLAT(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, "ACCESS_REPLACE_IOAS"),
	UIO_XLAT(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, "MOCK_DOMAIN_FLAGS"),
	UIO_XLAT(IOMMU_TEST_OP_DIRTY, "DIRTY"),
	UIO_XLAT(IOMMU_TEST_OP_MD_CHECK_IOTLB, "MD_CHECK_IOTLB"),
	UIO_XLAT(IOMMU_TEST_OP_TRIGGER_IOPF, "TRIGGER_IOPF"), UIO_XLAT_END,
};
static const struct uio_trace_xlat access_pages_flags[] = {
	UIO_XLAT(MOCK_FLAGS_ACCESS_WRITE, "WRITE"),
	UIO_XLAT(MOCK_FLAGS_ACCESS_SYZ, "SYZ"), UIO_XLAT_END,
};
static const struct uio_trace_xlat access_rw_flags[] = {
	UIO_XLAT(MOCK_ACCESS_RW_WRITE, "WRITE"),
	UIO_XLAT(MOCK_ACCESS_RW_SLOW_PATH, "SLOW_PATH"), UIO_XLAT_END,
};
static const struct uio_trace_xlat create_access_flags[] = {
	UIO_XLAT(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, "NEEDS_PIN_PAGES"),
	UIO_XLAT_END,
};
static const struct uio_trace_xlat mock_dev_flags[] = {
	UIO_XLAT(MOCK_FLAGS_DEVICE_NO_DIRTY, "NO_DIRTY"),
	UIO_XLAT(MOCK_FLAGS_DEVICE_HUGE_IOVA, "HUGE_IOVA"), UIO_XLAT_END,
};
static const struct uio_trace_xlat pgfault_flags[] = {
	UIO_XLAT(IOMMU_PGFAULT_FLAGS_PASID_VALID, "PASID_VALID"),
	UIO_XLAT(IOMMU_PGFAULT_FLAGS_LAST_PAGE, "LAST_PAGE"), UIO_XLAT_END,
};
static const struct uio_trace_xlat pgfault_perm[] = {
	UIO_XLAT(IOMMU_PGFAULT_PERM_READ, "READ"),
	UIO_XLAT(IOMMU_PGFAULT_PERM_WRITE, "WRITE"),
	UIO_XLAT(IOMMU_PGFAULT_PERM_EXEC, "EXEC"),
	UIO_XLAT(IOMMU_PGFAULT_PERM_PRIV, "PRIV"), UIO_XLAT_END,
};
static const struct uio_trace_xlat page_resp_codes[] = {
	UIO_XLAT(IOMMUFD_PAGE_RESP_SUCCESS, "SUCCESS"),
	UIO_XLAT(IOMMUFD_PAGE_RESP_INVALID, "INVALID"), UIO_XLAT_END,
};

/* VFIO type1 */
static const struct uio_trace_xlat vfio_extensions[] = {
	UIO_XLAT(VFIO_TYPE1_IOMMU, "VFIO_TYPE1_IOMMU"),
	UIO_XLAT(VFIO_SPAPR_TCE_IOMMU, "VFIO_SPAPR_TCE_IOMMU"),
	UIO_XLAT(VFIO_TYPE1v2_IOMMU, "VFIO_TYPE1v2_IOMMU"),
	UIO_XLAT(VFIO_DMA_CC_IOMMU, "VFIO_DMA_CC_IOMMU"),
	UIO_XLAT(VFIO_EEH, "VFIO_EEH"),
	UIO_XLAT(VFIO_TYPE1_NESTING_IOMMU, "VFIO_TYPE1_NESTING_IOMMU"),
	UIO_XLAT(VFIO_SPAPR_TCE_v2_IOMMU, "VFIO_SPAPR_TCE_v2_IOMMU"),
	UIO_XLAT(VFIO_NOIOMMU_IOMMU, "VFIO_NOIOMMU_IOMMU"),
	UIO_XLAT(VFIO_UNMAP_ALL, "VFIO_UNMAP_ALL"),
	UIO_XLAT(VFIO_UPDATE_VADDR, "VFIO_UPDATE_VADDR"), UIO_XLAT_END,
};
static const struct uio_trace_xlat type1_info_flags[] = {
	UIO_XLAT(VFIO_IOMMU_INFO_PGSIZES, "PGSIZES"),
	UIO_XLAT(VFIO_IOMMU_INFO_CAPS, "CAPS"), UIO_XLAT_END,
};
static const struct uio_trace_xlat type1_caps[] = {
	UIO_XLAT(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, "IOVA_RANGE"),
	UIO_XLAT(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, "MIGRATION"),
	UIO_XLAT(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, "DMA_AVAIL"), UIO_XLAT_END,
};
static const struct uio_trace_xlat dma_map_flags[] = {
	UIO_XLAT(VFIO_DMA_MAP_FLAG_READ, "READ"),
	UIO_XLAT(VFIO_DMA_MAP_FLAG_WRITE, "WRITE"),
	UIO_XLAT(VFIO_DMA_MAP_FLAG_VADDR, "VADDR"), UIO_XLAT_END,
};
static const struct uio_trace_xlat dma_unmap_flags[] = {
	UIO_XLAT(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, "GET_DIRTY_BITMAP"),
	UIO_XLAT(VFIO_DMA_UNMAP_FLAG_ALL, "ALL"),
	UIO_XLAT(VFIO_DMA_UNMAP_FLAG_VADDR, "VADDR"), UIO_XLAT_END,
};
static const struct uio_trace_xlat dirty_pages_flags[] = {
	UIO_XLAT(VFIO_IOMMU_DIRTY_PAGES_FLAG_START, "START"),
	UIO_XLAT(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP, "STOP"),
	UIO_XLAT(VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, "GET_BITMAP"),
	UIO_XLAT_END,
};

/* ------------------------------------------------------------------ */
/* iommufd */

static const struct uio_trace_field f_destroy[] = {
	F(iommu_destroy, size, DEC, IN), F(iommu_destroy, id, DEC, IN), END };
static const struct uio_trace_field f_alloc[] = {
	F(iommu_ioas_alloc, size, DEC, IN), F(iommu_ioas_alloc, flags, HEX, IN),
	F(iommu_ioas_alloc, out_ioas_id, DEC, OUT), END };
static const struct uio_trace_field f_allow[] = {
	F(iommu_ioas_allow_iovas, size, DEC, IN),
	F(iommu_ioas_allow_iovas, ioas_id, DEC, IN),
	F(iommu_ioas_allow_iovas, num_iovas, DEC, IN),
	F(iommu_ioas_allow_iovas, allowed_iovas, HEX, IN), END };
static const struct uio_trace_field f_copy[] = {
	F(iommu_ioas_copy, size, DEC, IN),
	FX(iommu_ioas_copy, flags, FLAGS, IN, map_flags),
	F(iommu_ioas_copy, dst_ioas_id, DEC, IN),
	F(iommu_ioas_copy, src_ioas_id, DEC, IN), F(iommu_ioas_copy, length, HEX, IN),
	F(iommu_ioas_copy, dst_iova, HEX, IO), F(iommu_ioas_copy, src_iova, HEX, IN),
	END };
static const struct uio_trace_field f_ranges[] = {
	F(iommu_ioas_iova_ranges, size, DEC, IN),
	F(iommu_ioas_iova_ranges, ioas_id, DEC, IN),
	F(iommu_ioas_iova_ranges, num_iovas, DEC, IO),
	F(iommu_ioas_iova_ranges, allowed_iovas, HEX, IN),
	F(iommu_ioas_iova_ranges, out_iova_alignment, HEX, OUT), END };
static const struct uio_trace_field f_map[] = {
	F(iommu_ioas_map, size, DEC, IN), FX(iommu_ioas_map, flags, FLAGS, IN, map_flags),
	F(iommu_ioas_map, ioas_id, DEC, IN), F(iommu_ioas_map, user_va, HEX, IN),
	F(iommu_ioas_map, length, HEX, IN), F(iommu_ioas_map, iova, HEX, IO), END };
static const struct uio_trace_field f_unmap[] = {
	F(iommu_ioas_unmap, size, DEC, IN), F(iommu_ioas_unmap, ioas_id, DEC, IN),
	F(iommu_ioas_unmap, iova, HEX, IN), F(iommu_ioas_unmap, length, HEX, IO), END };
static const struct uio_trace_field f_option[] = {
	F(iommu_option, size, DEC, IN),
	FX(iommu_option, option_id, ENUM, IN, option_ids),
	FX(iommu_option, op, ENUM, IN, option_ops),
	F(iommu_option, object_id, DEC, IN), F(iommu_option, val64, DEC, IO), END };
static const struct uio_trace_field f_vfio_ioas[] = {
	F(iommu_vfio_ioas, size, DEC, IN), F(iommu_vfio_ioas, ioas_id, DEC, IO),
	FX(iommu_vfio_ioas, op, ENUM, IN, vfio_ioas_ops), END };
static const struct uio_trace_field f_hwpt_alloc[] = {
	F(iommu_hwpt_alloc, size, DEC, IN),
	FX(iommu_hwpt_alloc, flags, FLAGS, IN, hwpt_alloc_flags),
	F(iommu_hwpt_alloc, dev_id, DEC, IN), F(iommu_hwpt_alloc, pt_id, DEC, IN),
	F(iommu_hwpt_alloc, out_hwpt_id, DEC, OUT),
	FX(iommu_hwpt_alloc, data_type, ENUM, IN, hwpt_data_types),
	F(iommu_hwpt_alloc, data_len, DEC, IN), F(iommu_hwpt_alloc, data_uptr, HEX, IN),
	F(iommu_hwpt_alloc, fault_id, DEC, IN), END };
static const struct uio_trace_field f_hw_info[] = {
	F(iommu_hw_info, size, DEC, IN), F(iommu_hw_info, flags, HEX, IN),
	F(iommu_hw_info, dev_id, DEC, IN), F(iommu_hw_info, data_len, DEC, IO),
	F(iommu_hw_info, data_uptr, HEX, IN),
	FX(iommu_hw_info, out_data_type, ENUM, OUT, hw_info_types),
	F(iommu_hw_info, out_max_pasid_log2, DEC, OUT),
	FX(iommu_hw_info, out_capabilities, FLAGS, OUT, hw_caps), END };
static const struct uio_trace_field f_set_dirty[] = {
	F(iommu_hwpt_set_dirty_tracking, size, DEC, IN),
	FX(iommu_hwpt_set_dirty_tracking, flags, FLAGS, IN, dirty_tracking_flags),
	F(iommu_hwpt_set_dirty_tracking, hwpt_id, DEC, IN), END };
static const struct uio_trace_field f_get_dirty[] = {
	F(iommu_hwpt_get_dirty_bitmap, size, DEC, IN),
	F(iommu_hwpt_get_dirty_bitmap, hwpt_id, DEC, IN),
	FX(iommu_hwpt_get_dirty_bitmap, flags, FLAGS, IN, dirty_bitmap_flags),
	F(iommu_hwpt_get_dirty_bitmap, iova, HEX, IN),
	F(iommu_hwpt_get_dirty_bitmap, length, HEX, IN),
	F(iommu_hwpt_get_dirty_bitmap, page_size, HEX, IN),
	F(iommu_hwpt_get_dirty_bitmap, data, HEX, IN), END };
static const struct uio_trace_field f_invalidate[] = {
	F(iommu_hwpt_invalidate, size, DEC, IN),
	F(iommu_hwpt_invalidate, hwpt_id, DEC, IN),
	F(iommu_hwpt_invalidate, data_uptr, HEX, IN),
	FX(iommu_hwpt_invalidate, data_type, ENUM, IN, invalidate_types),
	F(iommu_hwpt_invalidate, entry_len, DEC, IN),
	F(iommu_hwpt_invalidate, entry_num, DEC, IO), END };
static const struct uio_trace_field f_fault_alloc[] = {
	F(iommu_fault_alloc, size, DEC, IN), F(iommu_fault_alloc, flags, HEX, IN),
	F(iommu_fault_alloc, out_fault_id, DEC, OUT),
	F(iommu_fault_alloc, out_fault_fd, SDEC, OUT), END };

/* IOMMU_TEST_CMD: the common head, then the op's union member. */
static const struct uio_trace_field f_test[] = {
	F(iommu_test_cmd, size, DEC, IN), FX(iommu_test_cmd, op, ENUM, IN, test_ops),
	F(iommu_test_cmd, id, DEC, IN), END };

#define TF(m, f, fmt, dir, x)                                                 \
	UIO_TF_AT(#f, __builtin_offsetof(struct iommu_test_cmd, m.f),         \
		  sizeof(((struct iommu_test_cmd *)0)->m.f), fmt, dir, x)

static const struct uio_trace_field t_add_reserved[] = {
	TF(add_reserved, start, HEX, IN, NULL), TF(add_reserved, length, HEX, IN, NULL),
	END };
static const struct uio_trace_field t_mock_domain[] = {
	TF(mock_domain, out_stdev_id, DEC, OUT, NULL),
	TF(mock_domain, out_hwpt_id, DEC, OUT, NULL),
	TF(mock_domain, out_idev_id, DEC, OUT, NULL), END };
static const struct uio_trace_field t_mock_domain_flags[] = {
	TF(mock_domain_flags, out_stdev_id, DEC, OUT, NULL),
	TF(mock_domain_flags, out_hwpt_id, DEC, OUT, NULL),
	TF(mock_domain_flags, out_idev_id, DEC, OUT, NULL),
	TF(mock_domain_flags, dev_flags, FLAGS, IN, mock_dev_flags), END };
static const struct uio_trace_field t_mock_domain_replace[] = {
	TF(mock_domain_replace, pt_id, DEC, IO, NULL), END };
static const struct uio_trace_field t_check_map[] = {
	TF(check_map, iova, HEX, IN, NULL), TF(check_map, length, HEX, IN, NULL),
	TF(check_map, uptr, HEX, IN, NULL), END };
static const struct uio_trace_field t_check_refs[] = {
	TF(check_refs, length, HEX, IN, NULL), TF(check_refs, uptr, HEX, IN, NULL),
	TF(check_refs, refs, DEC, IN, NULL), END };
static const struct uio_trace_field t_create_access[] = {
	TF(create_access, out_access_fd, SDEC, OUT, NULL),
	TF(create_access, flags, FLAGS, IN, create_access_flags), END };
static const struct uio_trace_field t_destroy_access_pages[] = {
	TF(destroy_access_pages, access_pages_id, DEC, IN, NULL), END };
static const struct uio_trace_field t_access_pages[] = {
	TF(access_pages, flags, FLAGS, IN, access_pages_flags),
	TF(access_pages, out_access_pages_id, DEC, OUT, NULL),
	TF(access_pages, iova, HEX, IN, NULL), TF(access_pages, length, HEX, IN, NULL),
	TF(access_pages, uptr, HEX, IN, NULL), END };
static const struct uio_trace_field t_access_rw[] = {
	TF(access_rw, iova, HEX, IN, NULL), TF(access_rw, length, HEX, IN, NULL),
	TF(access_rw, uptr, HEX, IN, NULL),
	TF(access_rw, flags, FLAGS, IN, access_rw_flags), END };
static const struct uio_trace_field t_memory_limit[] = {
	TF(memory_limit, limit, DEC, IN, NULL), END };
static const struct uio_trace_field t_access_replace_ioas[] = {
	TF(access_replace_ioas, ioas_id, DEC, IN, NULL), END };
static const struct uio_trace_field t_dirty[] = {
	TF(dirty, flags, HEX, IN, NULL), TF(dirty, iova, HEX, IN, NULL),
	TF(dirty, length, HEX, IN, NULL), TF(dirty, page_size, HEX, IN, NULL),
	TF(dirty, uptr, HEX, IN, NULL), TF(dirty, out_nr_dirty, DEC, OUT, NULL), END };
static const struct uio_trace_field t_check_iotlb[] = {
	TF(check_iotlb, id, DEC, IN, NULL), TF(check_iotlb, iotlb, HEX, IN, NULL), END };
static const struct uio_trace_field t_trigger_iopf[] = {
	TF(trigger_iopf, dev_id, DEC, IN, NULL), TF(trigger_iopf, pasid, DEC, IN, NULL),
	TF(trigger_iopf, grpid, DEC, IN, NULL),
	TF(trigger_iopf, perm, FLAGS, IN, pgfault_perm),
	TF(trigger_iopf, addr, HEX, IN, NULL), END };

/* Each op's union member, by the member's name. */
static const struct {
	uint32_t op;
	const char *member;
	const struct uio_trace_field *fields;
} test_members[] = {
	{ IOMMU_TEST_OP_ADD_RESERVED, "add_reserved", t_add_reserved },
	{ IOMMU_TEST_OP_MOCK_DOMAIN, "mock_domain", t_mock_domain },
	{ IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, "mock_domain_flags", t_mock_domain_flags },
	{ IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, "mock_domain_replace", t_mock_domain_replace },
	{ IOMMU_TEST_OP_MD_CHECK_MAP, "check_map", t_check_map },
	{ IOMMU_TEST_OP_MD_CHECK_REFS, "check_refs", t_check_refs },
	{ IOMMU_TEST_OP_CREATE_ACCESS, "create_access", t_create_access },
	{ IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, "destroy_access_pages", t_destroy_access_pages },
	{ IOMMU_TEST_OP_ACCESS_PAGES, "access_pages", t_access_pages },
	{ IOMMU_TEST_OP_ACCESS_RW, "access_rw", t_access_rw },
	{ IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, "memory_limit", t_memory_limit },
	{ IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, "access_replace_ioas", t_access_replace_ioas },
	{ IOMMU_TEST_OP_DIRTY, "dirty", t_dirty },
	{ IOMMU_TEST_OP_MD_CHECK_IOTLB, "check_iotlb", t_check_iotlb },
	{ IOMMU_TEST_OP_TRIGGER_IOPF, "trigger_iopf", t_trigger_iopf },
};

/* "name={fields of dir}" if any such field is there; sep before it. */
static void member(struct uio_trace_line *l, const char *name,
		   const struct uio_trace_field *f, const void *s, size_t n,
		   unsigned int dir, bool *first)
{
	size_t mark = l->n;
	bool none = true;

	uio_tl_printf(l, "%s%s={", *first ? "" : ", ", name);
	uio_tl_fields(l, s, n, f, dir, &none);
	if (none) {
		l->n = mark;
		return;
	}
	uio_tl_puts(l, "}");
	*first = false;
}

static int test_member(const void *s, size_t n)
{
	uint32_t op;

	if (n < offsetof(struct iommu_test_cmd, op) + sizeof(op))
		return -1;
	memcpy(&op, (const char *)s + offsetof(struct iommu_test_cmd, op), sizeof(op));
	for (size_t i = 0; i < sizeof(test_members) / sizeof(test_members[0]); i++)
		if (test_members[i].op == op)
			return (int)i;
	return -1;
}

static void test_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	int i = test_member(c->snap, c->nsnap);
	bool first = false;

	if (i >= 0)
		member(l, test_members[i].member, test_members[i].fields, c->snap,
		       c->nsnap, IN, &first);
}

static void test_out(struct uio_trace_line *l, const struct uio_trace_call *c,
		     const void *after, size_t n, bool *first)
{
	/* The op as passed: the answer is read by it. */
	int i = test_member(c->snap, c->nsnap);

	if (i >= 0)
		member(l, test_members[i].member, test_members[i].fields, after, n,
		       OUT, first);
}

/* ------------------------------------------------------------------ */
/* VFIO type1, on the container */

static const struct uio_trace_field f_type1_info[] = {
	F(vfio_iommu_type1_info, argsz, DEC, IO),
	FX(vfio_iommu_type1_info, flags, FLAGS, OUT, type1_info_flags),
	F(vfio_iommu_type1_info, iova_pgsizes, HEX, OUT),
	F(vfio_iommu_type1_info, cap_offset, DEC, OUT), END };
static const struct uio_trace_field f_dma_map[] = {
	F(vfio_iommu_type1_dma_map, argsz, DEC, IN),
	FX(vfio_iommu_type1_dma_map, flags, FLAGS, IN, dma_map_flags),
	F(vfio_iommu_type1_dma_map, vaddr, HEX, IN),
	F(vfio_iommu_type1_dma_map, iova, HEX, IN),
	F(vfio_iommu_type1_dma_map, size, HEX, IN), END };
static const struct uio_trace_field f_dma_unmap[] = {
	F(vfio_iommu_type1_dma_unmap, argsz, DEC, IN),
	FX(vfio_iommu_type1_dma_unmap, flags, FLAGS, IN, dma_unmap_flags),
	F(vfio_iommu_type1_dma_unmap, iova, HEX, IN),
	F(vfio_iommu_type1_dma_unmap, size, HEX, IO), END };
static const struct uio_trace_field f_dirty_pages[] = {
	F(vfio_iommu_type1_dirty_bitmap, argsz, DEC, IN),
	FX(vfio_iommu_type1_dirty_bitmap, flags, FLAGS, IN, dirty_pages_flags), END };
static const struct uio_trace_field f_bitmap[] = {
	F(vfio_bitmap, pgsize, HEX, IN), F(vfio_bitmap, size, HEX, IN),
	F(vfio_bitmap, data, HEX, IN), END };
static const struct uio_trace_field f_dirty_get[] = {
	F(vfio_iommu_type1_dirty_bitmap_get, iova, HEX, IN),
	F(vfio_iommu_type1_dirty_bitmap_get, size, HEX, IN), END };

static uint32_t u32_at(const void *s, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

/* ", bitmap={pgsize=..., size=..., data=...}" from off of the snapshot. */
static void bitmap_in(struct uio_trace_line *l, const struct uio_trace_call *c,
		      size_t off)
{
	bool first = false;

	if (c->nsnap >= off + sizeof(struct vfio_bitmap))
		member(l, "bitmap", f_bitmap, c->snap + off, sizeof(struct vfio_bitmap),
		       IN, &first);
}

static void dma_unmap_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	if (c->nsnap >= 8 && (u32_at(c->snap, 4) & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP))
		bitmap_in(l, c, sizeof(struct vfio_iommu_type1_dma_unmap));
}

static void dirty_pages_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	const size_t off = sizeof(struct vfio_iommu_type1_dirty_bitmap);
	bool first = false;

	if (c->nsnap < 8 || !(u32_at(c->snap, 4) & VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP))
		return;
	if (c->nsnap >= off + sizeof(struct vfio_iommu_type1_dirty_bitmap_get)) {
		uio_tl_fields(l, c->snap + off, c->nsnap - off, f_dirty_get, IN, &first);
		bitmap_in(l, c, off + offsetof(struct vfio_iommu_type1_dirty_bitmap_get,
					       bitmap));
	}
}

/* The capability chain of IOMMU_GET_INFO, as written back. */
static void type1_caps_out(struct uio_trace_line *l, const struct uio_trace_call *c,
			   const void *after, size_t n, bool *first)
{
	uint8_t buf[2048];
	uint32_t argsz = u32_at(c->snap, 0), off, flags;
	size_t have;
	int caps = 0;

	if (n < sizeof(struct vfio_iommu_type1_info))
		return;
	flags = u32_at(after, offsetof(struct vfio_iommu_type1_info, flags));
	off = u32_at(after, offsetof(struct vfio_iommu_type1_info, cap_offset));
	if (!(flags & VFIO_IOMMU_INFO_CAPS) || !off)
		return;
	/* The chain lies within the buffer the program gave. */
	have = argsz < sizeof(buf) ? argsz : sizeof(buf);
	if (uio_trace_peek(buf, c->arg, have))
		return;
	uio_tl_printf(l, "%scaps=[", *first ? "" : ", ");
	*first = false;
	while (off && off + sizeof(struct vfio_info_cap_header) <= have && caps < 16) {
		struct vfio_info_cap_header h;

		memcpy(&h, buf + off, sizeof(h));
		uio_tl_printf(l, "%s{id=", caps ? ", " : "");
		uio_tl_enum(l, h.id, type1_caps);
		uio_tl_printf(l, ", version=%u", h.version);
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= have) {
			struct vfio_iommu_type1_info_cap_iova_range r;

			memcpy(&r, buf + off, sizeof(r));
			uio_tl_printf(l, ", nr_iovas=%u, iova_ranges=[", r.nr_iovas);
			for (uint32_t i = 0; i < r.nr_iovas; i++) {
				size_t at = off + sizeof(r) + i * sizeof(struct vfio_iova_range);
				struct vfio_iova_range v;

				if (at + sizeof(v) > have || i == 32) {
					uio_tl_puts(l, i ? ", ..." : "...");
					break;
				}
				memcpy(&v, buf + at, sizeof(v));
				uio_tl_printf(l, "%s{start=0x%llx, end=0x%llx}", i ? ", " : "",
					      (unsigned long long)v.start,
					      (unsigned long long)v.end);
			}
			uio_tl_puts(l, "]");
		} else if (h.id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
			   off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= have) {
			struct vfio_iommu_type1_info_dma_avail a;

			memcpy(&a, buf + off, sizeof(a));
			uio_tl_printf(l, ", avail=%u", a.avail);
		} else if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION &&
			   off + sizeof(struct vfio_iommu_type1_info_cap_migration) <= have) {
			struct vfio_iommu_type1_info_cap_migration m;

			memcpy(&m, buf + off, sizeof(m));
			uio_tl_printf(l, ", flags=0x%x, pgsize_bitmap=0x%llx, "
				      "max_dirty_bitmap_size=%llu", m.flags,
				      (unsigned long long)m.pgsize_bitmap,
				      (unsigned long long)m.max_dirty_bitmap_size);
		}
		uio_tl_puts(l, "}");
		caps++;
		/* Forward only: a loop in the chain ends here. */
		if (h.next <= off)
			break;
		off = h.next;
	}
	uio_tl_puts(l, "]");
}

static const struct uio_trace_cmd ctx_cmds[] = {
	{ IOMMU_DESTROY, "IOMMU_DESTROY", UIO_TA_SIZED, f_destroy, NULL, NULL, NULL },
	{ IOMMU_IOAS_ALLOC, "IOMMU_IOAS_ALLOC", UIO_TA_SIZED, f_alloc, NULL, NULL, NULL },
	{ IOMMU_IOAS_ALLOW_IOVAS, "IOMMU_IOAS_ALLOW_IOVAS", UIO_TA_SIZED, f_allow,
	  NULL, NULL, NULL },
	{ IOMMU_IOAS_COPY, "IOMMU_IOAS_COPY", UIO_TA_SIZED, f_copy, NULL, NULL, NULL },
	{ IOMMU_IOAS_IOVA_RANGES, "IOMMU_IOAS_IOVA_RANGES", UIO_TA_SIZED, f_ranges,
	  NULL, NULL, NULL },
	{ IOMMU_IOAS_MAP, "IOMMU_IOAS_MAP", UIO_TA_SIZED, f_map, NULL, NULL, NULL },
	{ IOMMU_IOAS_UNMAP, "IOMMU_IOAS_UNMAP", UIO_TA_SIZED, f_unmap, NULL, NULL, NULL },
	{ IOMMU_OPTION, "IOMMU_OPTION", UIO_TA_SIZED, f_option, NULL, NULL, NULL },
	{ IOMMU_VFIO_IOAS, "IOMMU_VFIO_IOAS", UIO_TA_SIZED, f_vfio_ioas, NULL, NULL, NULL },
	{ IOMMU_HWPT_ALLOC, "IOMMU_HWPT_ALLOC", UIO_TA_SIZED, f_hwpt_alloc, NULL, NULL,
	  NULL },
	{ IOMMU_GET_HW_INFO, "IOMMU_GET_HW_INFO", UIO_TA_SIZED, f_hw_info, NULL, NULL,
	  NULL },
	{ IOMMU_HWPT_SET_DIRTY_TRACKING, "IOMMU_HWPT_SET_DIRTY_TRACKING", UIO_TA_SIZED,
	  f_set_dirty, NULL, NULL, NULL },
	{ IOMMU_HWPT_GET_DIRTY_BITMAP, "IOMMU_HWPT_GET_DIRTY_BITMAP", UIO_TA_SIZED,
	  f_get_dirty, NULL, NULL, NULL },
	{ IOMMU_HWPT_INVALIDATE, "IOMMU_HWPT_INVALIDATE", UIO_TA_SIZED, f_invalidate,
	  NULL, NULL, NULL },
	{ IOMMU_FAULT_QUEUE_ALLOC, "IOMMU_FAULT_QUEUE_ALLOC", UIO_TA_SIZED,
	  f_fault_alloc, NULL, NULL, NULL },
	{ IOMMU_TEST_CMD, "IOMMU_TEST_CMD", UIO_TA_SIZED, f_test, NULL, test_in,
	  test_out },
	/* the type1 container (vfio_compat.c) */
	{ VFIO_GET_API_VERSION, "VFIO_GET_API_VERSION", UIO_TA_NONE, NULL, NULL, NULL,
	  NULL },
	{ VFIO_CHECK_EXTENSION, "VFIO_CHECK_EXTENSION", UIO_TA_VALUE, NULL,
	  vfio_extensions, NULL, NULL },
	{ VFIO_SET_IOMMU, "VFIO_SET_IOMMU", UIO_TA_VALUE, NULL, vfio_extensions, NULL,
	  NULL },
	{ VFIO_IOMMU_GET_INFO, "VFIO_IOMMU_GET_INFO", UIO_TA_SIZED, f_type1_info, NULL,
	  NULL, type1_caps_out },
	{ VFIO_IOMMU_MAP_DMA, "VFIO_IOMMU_MAP_DMA", UIO_TA_SIZED, f_dma_map, NULL, NULL,
	  NULL },
	{ VFIO_IOMMU_UNMAP_DMA, "VFIO_IOMMU_UNMAP_DMA", UIO_TA_SIZED, f_dma_unmap, NULL,
	  dma_unmap_in, NULL },
	{ VFIO_IOMMU_ENABLE, "VFIO_IOMMU_ENABLE", UIO_TA_NONE, NULL, NULL, NULL, NULL },
	{ VFIO_IOMMU_DISABLE, "VFIO_IOMMU_DISABLE", UIO_TA_NONE, NULL, NULL, NULL, NULL },
	{ VFIO_IOMMU_DIRTY_PAGES, "VFIO_IOMMU_DIRTY_PAGES", UIO_TA_SIZED, f_dirty_pages,
	  NULL, dirty_pages_in, NULL },
	UIO_TRACE_CMDS_END,
};

static void ctx_before(struct uio_trace_call *c)
{
	if (c->op == UIO_TRACE_IOCTL)
		uio_trace_cmds_before(c, ctx_cmds);
}

static bool ctx_decode(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	return c->op == UIO_TRACE_IOCTL && uio_trace_cmds_decode(l, c, ctx_cmds);
}

const struct uio_trace_ops uio_iommufd_trace = {
	.before = ctx_before,
	.decode = ctx_decode,
};

/* ------------------------------------------------------------------ */
/* fault queues: read() gives fault records, write() takes responses */

static const struct uio_trace_field f_pgfault[] = {
	FX(iommu_hwpt_pgfault, flags, FLAGS, IN, pgfault_flags),
	F(iommu_hwpt_pgfault, dev_id, DEC, IN), F(iommu_hwpt_pgfault, pasid, DEC, IN),
	F(iommu_hwpt_pgfault, grpid, DEC, IN),
	FX(iommu_hwpt_pgfault, perm, FLAGS, IN, pgfault_perm),
	F(iommu_hwpt_pgfault, addr, HEX, IN), F(iommu_hwpt_pgfault, length, DEC, IN),
	F(iommu_hwpt_pgfault, cookie, DEC, IN), END };
static const struct uio_trace_field f_page_response[] = {
	F(iommu_hwpt_page_response, cookie, DEC, IN),
	FX(iommu_hwpt_page_response, code, ENUM, IN, page_resp_codes), END };

/* "[{...}, {...}]": the whole records among n bytes at p. */
static void records(struct uio_trace_line *l, const uint8_t *p, size_t n,
		    size_t size, const struct uio_trace_field *f)
{
	uio_tl_puts(l, "[");
	for (size_t i = 0; i * size + size <= n; i++) {
		bool first = true;

		uio_tl_puts(l, i ? ", {" : "{");
		uio_tl_fields(l, p + i * size, size, f, IN, &first);
		uio_tl_puts(l, "}");
	}
	uio_tl_puts(l, "]");
}

static bool fault_decode(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	const size_t rec = sizeof(struct iommu_hwpt_pgfault);
	uint8_t buf[8 * sizeof(struct iommu_hwpt_pgfault)];

	if (c->op == UIO_TRACE_READ) {
		size_t n = c->rc > 0 ? (size_t)c->rc : 0, got = n < sizeof(buf) ? n : sizeof(buf);

		uio_tl_printf(l, "read(%d, ", c->fd);
		if (!n || uio_trace_peek(buf, c->arg, got))
			uio_tl_ptr(l, c->arg);
		else
			records(l, buf, got, rec, f_pgfault);
		if (n > got)
			uio_tl_puts(l, "...");
	} else if (c->op == UIO_TRACE_WRITE) {
		uio_tl_printf(l, "write(%d, ", c->fd);
		records(l, c->snap, c->nsnap < c->len ? c->nsnap : c->len,
			sizeof(struct iommu_hwpt_page_response), f_page_response);
		if (c->len > c->nsnap)
			uio_tl_puts(l, "...");
	} else {
		return false;
	}
	uio_tl_printf(l, ", %zu)", c->len);
	uio_tl_result(l, c->rc);
	return true;
}

const struct uio_trace_ops uio_fault_trace = {
	.decode = fault_decode,
};
