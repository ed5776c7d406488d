/* SPDX-License-Identifier: MIT */
/*
 * The iommufd uAPI of Linux 6.12, written for uiommufd.
 *
 * Identifiers, struct layouts, ioctl numbers and constant values are those
 * of the kernel's <linux/iommufd.h>, the VFIO type1 part of <linux/vfio.h>
 * and the selftest ABI (drivers/iommu/iommufd/iommufd_test.h), so code
 * written against those headers compiles against this one. Include this
 * header instead of <linux/iommufd.h>, not beside it. Every size and offset
 * is pinned at the end of the file.
 */
#ifndef UIOMMUFD_UAPI_H
#define UIOMMUFD_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* ================================================================== */
/* iommufd                                                             */
/* ================================================================== */

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
};

/* Destroy any object by id. */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* Create an IO address space. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* An inclusive IOVA range. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/* Report the usable IOVA ranges of an IOAS. */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;      /* user pointer to iommu_iova_range[] */
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/* Restrict automatic IOVA allocation to the given ranges. */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/* Map user memory at an IOVA (fixed or chosen by the kernel). */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* Map the pages behind a range of one IOAS into another. */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/* Unmap the areas inside a range. */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* Get or set a global or per-object option. */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/* Choose the IOAS the VFIO container compatibility layer uses. */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
};

enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/* Intel VT-d stage-1 page table description. */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
};

/* Allocate a HW page table (paging or nested). */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
};

enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/* Describe the IOMMU behind a device. */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 out_data_type;
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/* Flush a nested HW page table's caches with driver-specific entries. */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1,
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = 1 << 0,
	IOMMU_PGFAULT_PERM_WRITE = 1 << 1,
	IOMMU_PGFAULT_PERM_EXEC = 1 << 2,
	IOMMU_PGFAULT_PERM_PRIV = 1 << 3,
};

/* One IO page fault, as read() from a fault queue fd. */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/* The answer to a fault group, as write() to a fault queue fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ================================================================== */
/* selftest ABI (IOMMU_TEST_CMD, CONFIG_IOMMUFD_TEST)                  */
/* ================================================================== */

enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
};

enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
};

enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;  /* the device id for IOMMU_HWPT_ALLOC etc. */
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;    /* MOCK_FLAGS_DEVICE_* */
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

struct iommu_hwpt_selftest {
	__u32 iotlb;
};

#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

struct iommu_hwpt_invalidate_selftest {
	__u32 flags;    /* IOMMU_TEST_INVALIDATE_FLAG_ALL */
	__u32 iotlb_id;
};

/* ================================================================== */
/* VFIO: the type1 container, group and device subset                  */
/* ================================================================== */

#ifndef VFIO_API_VERSION /* <linux/vfio.h> already seen: it defines these */

#define VFIO_API_VERSION 0

#define VFIO_TYPE1_IOMMU 1
#define VFIO_SPAPR_TCE_IOMMU 2
#define VFIO_TYPE1v2_IOMMU 3
#define VFIO_DMA_CC_IOMMU 4
#define VFIO_EEH 5
#define VFIO_TYPE1_NESTING_IOMMU 6
#define VFIO_SPAPR_TCE_v2_IOMMU 7
#define VFIO_NOIOMMU_IOMMU 8
#define VFIO_UNMAP_ALL 9
#define VFIO_UPDATE_VADDR 10

#define VFIO_TYPE (';')
#define VFIO_BASE 100

struct vfio_info_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;
};

#define VFIO_GET_API_VERSION _IO(VFIO_TYPE, VFIO_BASE + 0)
#define VFIO_CHECK_EXTENSION _IO(VFIO_TYPE, VFIO_BASE + 1)
#define VFIO_SET_IOMMU _IO(VFIO_TYPE, VFIO_BASE + 2)

struct vfio_group_status {
	__u32 argsz;
	__u32 flags;
#define VFIO_GROUP_FLAGS_VIABLE (1 << 0)
#define VFIO_GROUP_FLAGS_CONTAINER_SET (1 << 1)
};
#define VFIO_GROUP_GET_STATUS _IO(VFIO_TYPE, VFIO_BASE + 3)
#define VFIO_GROUP_SET_CONTAINER _IO(VFIO_TYPE, VFIO_BASE + 4)
#define VFIO_GROUP_UNSET_CONTAINER _IO(VFIO_TYPE, VFIO_BASE + 5)
#define VFIO_GROUP_GET_DEVICE_FD _IO(VFIO_TYPE, VFIO_BASE + 6)

struct vfio_device_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FLAGS_RESET (1 << 0)
#define VFIO_DEVICE_FLAGS_PCI (1 << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM (1 << 2)
#define VFIO_DEVICE_FLAGS_AMBA (1 << 3)
#define VFIO_DEVICE_FLAGS_CCW (1 << 4)
#define VFIO_DEVICE_FLAGS_AP (1 << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC (1 << 6)
#define VFIO_DEVICE_FLAGS_CAPS (1 << 7)
#define VFIO_DEVICE_FLAGS_CDX (1 << 8)
	__u32 num_regions;
	__u32 num_irqs;
	__u32 cap_offset;
	__u32 pad;
};
#define VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)

struct vfio_region_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_REGION_INFO_FLAG_READ (1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE (1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP (1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS (1 << 3)
	__u32 index;
	__u32 cap_offset;
	__aligned_u64 size;
	__aligned_u64 offset;
};
#define VFIO_DEVICE_GET_REGION_INFO _IO(VFIO_TYPE, VFIO_BASE + 8)
#define VFIO_DEVICE_RESET _IO(VFIO_TYPE, VFIO_BASE + 11)

enum {
	VFIO_PCI_BAR0_REGION_INDEX,
	VFIO_PCI_BAR1_REGION_INDEX,
	VFIO_PCI_BAR2_REGION_INDEX,
	VFIO_PCI_BAR3_REGION_INDEX,
	VFIO_PCI_BAR4_REGION_INDEX,
	VFIO_PCI_BAR5_REGION_INDEX,
	VFIO_PCI_ROM_REGION_INDEX,
	VFIO_PCI_CONFIG_REGION_INDEX,
	VFIO_PCI_VGA_REGION_INDEX,
	VFIO_PCI_NUM_REGIONS = 9
};

/* cdev path (VFIO_DEVICE_CDEV) */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
};
#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)

/* type1 container */
struct vfio_iommu_type1_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_INFO_PGSIZES (1 << 0)
#define VFIO_IOMMU_INFO_CAPS (1 << 1)
	__aligned_u64 iova_pgsizes;
	__u32 cap_offset;
	__u32 pad;
};

#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1

struct vfio_iova_range {
	__u64 start;
	__u64 end;
};

struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	__u32 nr_iovas;
	__u32 reserved;
	struct vfio_iova_range iova_ranges[];
};

#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2

struct vfio_iommu_type1_info_cap_migration {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u64 pgsize_bitmap;
	__u64 max_dirty_bitmap_size;
};

#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	__u32 avail;
};

#define VFIO_IOMMU_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 12)

struct vfio_iommu_type1_dma_map {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_MAP_FLAG_READ (1 << 0)
#define VFIO_DMA_MAP_FLAG_WRITE (1 << 1)
#define VFIO_DMA_MAP_FLAG_VADDR (1 << 2)
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};
#define VFIO_IOMMU_MAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 13)

struct vfio_bitmap {
	__u64 pgsize;
	__u64 size;
	__u64 *data;
};

struct vfio_iommu_type1_dma_unmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP (1 << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL (1 << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR (1 << 2)
	__u64 iova;
	__u64 size;
	__u8 data[];
};
#define VFIO_IOMMU_UNMAP_DMA _IO(VFIO_TYPE, VFIO_BASE + 14)

#define VFIO_IOMMU_ENABLE _IO(VFIO_TYPE, VFIO_BASE + 15)
#define VFIO_IOMMU_DISABLE _IO(VFIO_TYPE, VFIO_BASE + 16)

struct vfio_iommu_type1_dirty_bitmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START (1 << 0)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP (1 << 1)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP (1 << 2)
	__u8 data[];
};

struct vfio_iommu_type1_dirty_bitmap_get {
	__u64 iova;
	__u64 size;
	struct vfio_bitmap bitmap;
};
#define VFIO_IOMMU_DIRTY_PAGES _IO(VFIO_TYPE, VFIO_BASE + 17)

#endif /* VFIO_API_VERSION */

/* ================================================================== */
/* layout pins (x86_64 and every LP64 ABI)                             */
/* ================================================================== */

#ifdef __cplusplus
#define UIO_UAPI_ASSERT(e) static_assert(e, #e)
#else
#define UIO_UAPI_ASSERT(e) _Static_assert(e, #e)
#endif
#define UIO_UAPI_SIZE(t, n) UIO_UAPI_ASSERT(sizeof(struct t) == (n))
#define UIO_UAPI_OFF(t, f, n) UIO_UAPI_ASSERT(__builtin_offsetof(struct t, f) == (n))

UIO_UAPI_SIZE(iommu_destroy, 8);
UIO_UAPI_OFF(iommu_destroy, id, 4);
UIO_UAPI_SIZE(iommu_ioas_alloc, 12);
UIO_UAPI_OFF(iommu_ioas_alloc, flags, 4);
UIO_UAPI_OFF(iommu_ioas_alloc, out_ioas_id, 8);
UIO_UAPI_SIZE(iommu_iova_range, 16);
UIO_UAPI_OFF(iommu_iova_range, last, 8);
UIO_UAPI_SIZE(iommu_ioas_iova_ranges, 32);
UIO_UAPI_OFF(iommu_ioas_iova_ranges, ioas_id, 4);
UIO_UAPI_OFF(iommu_ioas_iova_ranges, num_iovas, 8);
UIO_UAPI_OFF(iommu_ioas_iova_ranges, __reserved, 12);
UIO_UAPI_OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
UIO_UAPI_OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);
UIO_UAPI_SIZE(iommu_ioas_allow_iovas, 24);
UIO_UAPI_OFF(iommu_ioas_allow_iovas, ioas_id, 4);
UIO_UAPI_OFF(iommu_ioas_allow_iovas, num_iovas, 8);
UIO_UAPI_OFF(iommu_ioas_allow_iovas, __reserved, 12);
UIO_UAPI_OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);
UIO_UAPI_SIZE(iommu_ioas_map, 40);
UIO_UAPI_OFF(iommu_ioas_map, flags, 4);
UIO_UAPI_OFF(iommu_ioas_map, ioas_id, 8);
UIO_UAPI_OFF(iommu_ioas_map, __reserved, 12);
UIO_UAPI_OFF(iommu_ioas_map, user_va, 16);
UIO_UAPI_OFF(iommu_ioas_map, length, 24);
UIO_UAPI_OFF(iommu_ioas_map, iova, 32);
UIO_UAPI_SIZE(iommu_ioas_copy, 40);
UIO_UAPI_OFF(iommu_ioas_copy, flags, 4);
UIO_UAPI_OFF(iommu_ioas_copy, dst_ioas_id, 8);
UIO_UAPI_OFF(iommu_ioas_copy, src_ioas_id, 12);
UIO_UAPI_OFF(iommu_ioas_copy, length, 16);
UIO_UAPI_OFF(iommu_ioas_copy, dst_iova, 24);
UIO_UAPI_OFF(iommu_ioas_copy, src_iova, 32);
UIO_UAPI_SIZE(iommu_ioas_unmap, 24);
UIO_UAPI_OFF(iommu_ioas_unmap, ioas_id, 4);
UIO_UAPI_OFF(iommu_ioas_unmap, iova, 8);
UIO_UAPI_OFF(iommu_ioas_unmap, length, 16);
UIO_UAPI_SIZE(iommu_option, 24);
UIO_UAPI_OFF(iommu_option, option_id, 4);
UIO_UAPI_OFF(iommu_option, op, 8);
UIO_UAPI_OFF(iommu_option, __reserved, 10);
UIO_UAPI_OFF(iommu_option, object_id, 12);
UIO_UAPI_OFF(iommu_option, val64, 16);
UIO_UAPI_SIZE(iommu_vfio_ioas, 12);
UIO_UAPI_OFF(iommu_vfio_ioas, ioas_id, 4);
UIO_UAPI_OFF(iommu_vfio_ioas, op, 8);
UIO_UAPI_OFF(iommu_vfio_ioas, __reserved, 10);
UIO_UAPI_SIZE(iommu_hwpt_vtd_s1, 24);
UIO_UAPI_OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
UIO_UAPI_OFF(iommu_hwpt_vtd_s1, addr_width, 16);
UIO_UAPI_OFF(iommu_hwpt_vtd_s1, __reserved, 20);
UIO_UAPI_SIZE(iommu_hwpt_alloc, 48);
UIO_UAPI_OFF(iommu_hwpt_alloc, flags, 4);
UIO_UAPI_OFF(iommu_hwpt_alloc, dev_id, 8);
UIO_UAPI_OFF(iommu_hwpt_alloc, pt_id, 12);
UIO_UAPI_OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
UIO_UAPI_OFF(iommu_hwpt_alloc, __reserved, 20);
UIO_UAPI_OFF(iommu_hwpt_alloc, data_type, 24);
UIO_UAPI_OFF(iommu_hwpt_alloc, data_len, 28);
UIO_UAPI_OFF(iommu_hwpt_alloc, data_uptr, 32);
UIO_UAPI_OFF(iommu_hwpt_alloc, fault_id, 40);
UIO_UAPI_OFF(iommu_hwpt_alloc, __reserved2, 44);
UIO_UAPI_SIZE(iommu_hw_info_vtd, 24);
UIO_UAPI_OFF(iommu_hw_info_vtd, __reserved, 4);
UIO_UAPI_OFF(iommu_hw_info_vtd, cap_reg, 8);
UIO_UAPI_OFF(iommu_hw_info_vtd, ecap_reg, 16);
UIO_UAPI_SIZE(iommu_hw_info, 40);
UIO_UAPI_OFF(iommu_hw_info, flags, 4);
UIO_UAPI_OFF(iommu_hw_info, dev_id, 8);
UIO_UAPI_OFF(iommu_hw_info, data_len, 12);
UIO_UAPI_OFF(iommu_hw_info, data_uptr, 16);
UIO_UAPI_OFF(iommu_hw_info, out_data_type, 24);
UIO_UAPI_OFF(iommu_hw_info, out_max_pasid_log2, 28);
UIO_UAPI_OFF(iommu_hw_info, __reserved, 29);
UIO_UAPI_OFF(iommu_hw_info, out_capabilities, 32);
UIO_UAPI_SIZE(iommu_hwpt_set_dirty_tracking, 16);
UIO_UAPI_OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
UIO_UAPI_OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
UIO_UAPI_OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);
UIO_UAPI_SIZE(iommu_hwpt_get_dirty_bitmap, 48);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
UIO_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, data, 40);
UIO_UAPI_SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
UIO_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
UIO_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
UIO_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);
UIO_UAPI_SIZE(iommu_hwpt_invalidate, 32);
UIO_UAPI_OFF(iommu_hwpt_invalidate, hwpt_id, 4);
UIO_UAPI_OFF(iommu_hwpt_invalidate, data_uptr, 8);
UIO_UAPI_OFF(iommu_hwpt_invalidate, data_type, 16);
UIO_UAPI_OFF(iommu_hwpt_invalidate, entry_len, 20);
UIO_UAPI_OFF(iommu_hwpt_invalidate, entry_num, 24);
UIO_UAPI_OFF(iommu_hwpt_invalidate, __reserved, 28);
UIO_UAPI_SIZE(iommu_hwpt_pgfault, 40);
UIO_UAPI_OFF(iommu_hwpt_pgfault, dev_id, 4);
UIO_UAPI_OFF(iommu_hwpt_pgfault, pasid, 8);
UIO_UAPI_OFF(iommu_hwpt_pgfault, grpid, 12);
UIO_UAPI_OFF(iommu_hwpt_pgfault, perm, 16);
UIO_UAPI_OFF(iommu_hwpt_pgfault, __reserved, 20);
UIO_UAPI_OFF(iommu_hwpt_pgfault, addr, 24);
UIO_UAPI_OFF(iommu_hwpt_pgfault, length, 32);
UIO_UAPI_OFF(iommu_hwpt_pgfault, cookie, 36);
UIO_UAPI_SIZE(iommu_hwpt_page_response, 8);
UIO_UAPI_OFF(iommu_hwpt_page_response, code, 4);
UIO_UAPI_SIZE(iommu_fault_alloc, 16);
UIO_UAPI_OFF(iommu_fault_alloc, flags, 4);
UIO_UAPI_OFF(iommu_fault_alloc, out_fault_id, 8);
UIO_UAPI_OFF(iommu_fault_alloc, out_fault_fd, 12);

UIO_UAPI_SIZE(iommu_test_cmd, 72);
UIO_UAPI_OFF(iommu_test_cmd, op, 4);
UIO_UAPI_OFF(iommu_test_cmd, id, 8);
UIO_UAPI_OFF(iommu_test_cmd, __reserved, 12);
UIO_UAPI_OFF(iommu_test_cmd, add_reserved.start, 16);
UIO_UAPI_OFF(iommu_test_cmd, add_reserved.length, 24);
UIO_UAPI_OFF(iommu_test_cmd, mock_domain.out_idev_id, 24);
UIO_UAPI_OFF(iommu_test_cmd, mock_domain_flags.dev_flags, 28);
UIO_UAPI_OFF(iommu_test_cmd, check_map.uptr, 32);
UIO_UAPI_OFF(iommu_test_cmd, check_refs.refs, 32);
UIO_UAPI_OFF(iommu_test_cmd, create_access.flags, 20);
UIO_UAPI_OFF(iommu_test_cmd, access_pages.out_access_pages_id, 20);
UIO_UAPI_OFF(iommu_test_cmd, access_pages.iova, 24);
UIO_UAPI_OFF(iommu_test_cmd, access_pages.uptr, 40);
UIO_UAPI_OFF(iommu_test_cmd, access_rw.flags, 40);
UIO_UAPI_OFF(iommu_test_cmd, dirty.iova, 24);
UIO_UAPI_OFF(iommu_test_cmd, dirty.page_size, 40);
UIO_UAPI_OFF(iommu_test_cmd, dirty.uptr, 48);
UIO_UAPI_OFF(iommu_test_cmd, dirty.out_nr_dirty, 56);
UIO_UAPI_OFF(iommu_test_cmd, check_iotlb.iotlb, 20);
UIO_UAPI_OFF(iommu_test_cmd, trigger_iopf.perm, 28);
UIO_UAPI_OFF(iommu_test_cmd, trigger_iopf.addr, 32);
UIO_UAPI_OFF(iommu_test_cmd, last, 64);
UIO_UAPI_SIZE(iommu_test_hw_info, 8);
UIO_UAPI_SIZE(iommu_hwpt_selftest, 4);
UIO_UAPI_SIZE(iommu_hwpt_invalidate_selftest, 8);
UIO_UAPI_OFF(iommu_hwpt_invalidate_selftest, iotlb_id, 4);

UIO_UAPI_SIZE(vfio_info_cap_header, 8);
UIO_UAPI_SIZE(vfio_group_status, 8);
UIO_UAPI_SIZE(vfio_device_info, 24);
UIO_UAPI_OFF(vfio_device_info, cap_offset, 16);
UIO_UAPI_SIZE(vfio_region_info, 32);
UIO_UAPI_OFF(vfio_region_info, size, 16);
UIO_UAPI_OFF(vfio_region_info, offset, 24);
UIO_UAPI_SIZE(vfio_device_bind_iommufd, 16);
UIO_UAPI_OFF(vfio_device_bind_iommufd, out_devid, 12);
UIO_UAPI_SIZE(vfio_device_attach_iommufd_pt, 12);
UIO_UAPI_SIZE(vfio_device_detach_iommufd_pt, 8);
UIO_UAPI_SIZE(vfio_iommu_type1_info, 24);
UIO_UAPI_OFF(vfio_iommu_type1_info, iova_pgsizes, 8);
UIO_UAPI_OFF(vfio_iommu_type1_info, cap_offset, 16);
UIO_UAPI_SIZE(vfio_iova_range, 16);
UIO_UAPI_SIZE(vfio_iommu_type1_info_cap_iova_range, 16);
UIO_UAPI_SIZE(vfio_iommu_type1_info_cap_migration, 32);
UIO_UAPI_SIZE(vfio_iommu_type1_info_dma_avail, 12);
UIO_UAPI_SIZE(vfio_iommu_type1_dma_map, 32);
UIO_UAPI_OFF(vfio_iommu_type1_dma_map, vaddr, 8);
UIO_UAPI_OFF(vfio_iommu_type1_dma_map, iova, 16);
UIO_UAPI_OFF(vfio_iommu_type1_dma_map, size, 24);
UIO_UAPI_SIZE(vfio_bitmap, 24);
UIO_UAPI_SIZE(vfio_iommu_type1_dma_unmap, 24);
UIO_UAPI_OFF(vfio_iommu_type1_dma_unmap, data, 24);
UIO_UAPI_SIZE(vfio_iommu_type1_dirty_bitmap, 8);
UIO_UAPI_SIZE(vfio_iommu_type1_dirty_bitmap_get, 40);

#undef UIO_UAPI_SIZE
#undef UIO_UAPI_OFF

#endif /* UIOMMUFD_UAPI_H */
