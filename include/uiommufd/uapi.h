/* SPDX-License-Identifier: MIT */
/*
 * uiommufd/uapi.h - the /dev/iommu uAPI of Linux 6.12, as uiommufd serves it.
 *
 * Three parts, each using the kernel's own identifiers and values so that
 * programs written for the kernel headers build against this file as is:
 *
 *   1. iommufd            <linux/iommufd.h>, complete
 *   2. selftest ABI       drivers/iommu/iommufd/iommufd_test.h, complete
 *   3. VFIO               <linux/vfio.h>: the container/type1 ioctls, the
 *                         group and device calls uiommufd handles, and the
 *                         cdev (iommufd) binding ioctls
 *
 * This header REPLACES <linux/iommufd.h>; do not include both (the
 * definitions would collide). <linux/vfio.h> may be included as well, but
 * only before this header: the VFIO part steps aside when VFIO_API_VERSION
 * is already defined, and adds only the pieces older installed copies lack.
 *
 * Struct layouts, ioctl numbers and constants are facts of the kernel ABI;
 * the text here is uiommufd's own. Every struct size and member offset is
 * pinned by a static assertion in the last section (on LP64 targets).
 */
#ifndef UIOMMUFD_UAPI_H
#define UIOMMUFD_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifdef _UAPI_IOMMUFD_H
#error "<uiommufd/uapi.h> replaces <linux/iommufd.h>; include only one of them"
#endif

/* ====================================================================== */
/* Part 1: iommufd                                                        */
/* ====================================================================== */

/* --- ioctl numbering: _IO(';', 0x80 + n), no size or direction bits --- */

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE                    = 0x80,
	IOMMUFD_CMD_DESTROY                 = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC              = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS        = 0x82,
	IOMMUFD_CMD_IOAS_COPY               = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES        = 0x84,
	IOMMUFD_CMD_IOAS_MAP                = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP              = 0x86,
	IOMMUFD_CMD_OPTION                  = 0x87,
	IOMMUFD_CMD_VFIO_IOAS               = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC              = 0x89,
	IOMMUFD_CMD_GET_HW_INFO             = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP   = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE         = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC       = 0x8e,
};

/*
 * Every command struct starts with a __u32 size: the caller's sizeof, so
 * the struct may grow at the end. Fields named __reserved must be zero.
 */

/* --- object lifetime --- */

/* Drop the caller's reference to any object, by id. */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* --- IO address spaces (IOAS) --- */

/* New empty IOAS; its id comes back in out_ioas_id. */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;		/* none defined: must be 0 */
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* A closed interval of IOVA: [start, last]. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * Read the IOVA ranges usable in an IOAS. num_iovas is in/out (array
 * capacity in, range count out; too small an array gives EMSGSIZE).
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;		/* user ptr: iommu_iova_range[] */
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/* Limit where the kernel may place IOVA it picks itself (0 ranges: no limit). */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;		/* user ptr: iommu_iova_range[] */
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,	/* use iova as given */
	IOMMU_IOAS_MAP_WRITEABLE  = 1 << 1,	/* device may write */
	IOMMU_IOAS_MAP_READABLE   = 1 << 2,	/* device may read */
};

/* Map [user_va, user_va + length) into an IOAS; iova is in/out. */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* Map pages already mapped in src_ioas_id into dst_ioas_id too. */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;		/* in/out, like iommu_ioas_map.iova */
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/* Unmap whole areas in a range (iova 0, length ~0: everything); length is in/out. */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* --- options --- */

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,	/* fd-wide; object_id 0 */
	IOMMU_OPTION_HUGE_PAGES  = 1,	/* per IOAS */
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/* Set or read one option; val64 is the value in (SET) or out (GET). */
struct iommu_option {
	__u32 size;
	__u32 option_id;	/* enum iommufd_option */
	__u16 op;		/* enum iommufd_option_ops */
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/* --- the IOAS behind the VFIO container compatibility layer --- */

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET   = 0,
	IOMMU_VFIO_IOAS_SET   = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;		/* in for SET, out for GET */
	__u16 op;		/* enum iommufd_vfio_ioas_op */
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* --- hardware page tables (HWPT) --- */

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT     = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING  = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID        = 1 << 2,	/* fault_id is set */
};

enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE  = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE  = 1 << 2,
};

/* Driver data for an Intel VT-d stage-1 (nested) table. */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;	/* enum iommu_hwpt_vtd_s1_flags */
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE   = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
};

/*
 * Allocate a HWPT for a device. pt_id names an IOAS (paging table) or a
 * nest-parent HWPT (nested table described by data_type/data_uptr).
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;		/* enum iommufd_hwpt_alloc_flags */
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;	/* enum iommu_hwpt_data_type */
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* --- IOMMU hardware information --- */

enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* Intel VT-d registers, as reported by IOMMU_GET_HW_INFO. */
struct iommu_hw_info_vtd {
	__u32 flags;		/* enum iommu_hw_info_vtd_flags */
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE      = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
};

enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/* Describe the IOMMU serving dev_id; driver data goes to data_uptr. */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;		/* in: buffer size; out: bytes written */
	__aligned_u64 data_uptr;
	__u32 out_data_type;	/* enum iommu_hw_info_type */
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;	/* enum iommufd_hw_capabilities */
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* --- dirty tracking --- */

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/* Start (flag set) or stop (flag clear) dirty tracking on a HWPT. */
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

/* Read (and by default clear) dirty bits: one bit per page_size of IOVA. */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;		/* user ptr: the bitmap */
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* --- cache invalidation for nested HWPTs --- */

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/* One VT-d stage-1 invalidation request. */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;		/* enum iommu_hwpt_vtd_s1_invalidate_flags */
	__u32 __reserved;
};

/*
 * Submit entry_num requests of entry_len bytes each; entry_num comes back
 * as the count handled.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;	/* enum iommu_hwpt_invalidate_data_type */
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* --- IO page faults (read/write on the fd of a fault queue) --- */

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE   = 1 << 1,
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ  = 1 << 0,
	IOMMU_PGFAULT_PERM_WRITE = 1 << 1,
	IOMMU_PGFAULT_PERM_EXEC  = 1 << 2,
	IOMMU_PGFAULT_PERM_PRIV  = 1 << 3,
};

/* One fault message, as read(). */
struct iommu_hwpt_pgfault {
	__u32 flags;		/* enum iommu_hwpt_pgfault_flags */
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;		/* enum iommu_hwpt_pgfault_perm */
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/* One response to a fault group, as write(). */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;		/* enum iommufd_page_response_code */
};

/* Create a fault queue: an object id plus a file descriptor. */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
#define IOMMU_FAULT_QUEUE_ALLOC \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ====================================================================== */
/* Part 2: selftest ABI (kernels built with CONFIG_IOMMUFD_TEST)          */
/* ====================================================================== */

/* IOMMU_TEST_CMD operations; the numbering starts at 1. */
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

/* IOVA aperture of the mock IOMMU domain (inclusive). */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST  = (1UL << 31) - 1,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ   = 1 << 16,
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE     = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY  = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
};

/* The mock nested domain's IOTLB: entries 0..ID_MAX. */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM    = 4,
};

/* Argument of IOMMU_TEST_CMD; the union member is chosen by op. */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;		/* IOMMU_TEST_OP_* */
	__u32 id;		/* object the op applies to */
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;	/* a normal bound-device id */
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;	/* MOCK_FLAGS_DEVICE_* */
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

/* IOMMU_GET_HW_INFO on a mock device */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;		/* IOMMU_HW_INFO_SELFTEST_REGVAL */
};

/* IOMMU_HWPT_ALLOC data_type of a mock nested domain */
#define IOMMU_HWPT_DATA_SELFTEST	0xdead
#define IOMMU_TEST_IOTLB_DEFAULT	0xbadbeef

struct iommu_hwpt_selftest {
	__u32 iotlb;		/* initial value of every IOTLB entry */
};

/* IOMMU_HWPT_INVALIDATE data_type for a mock nested domain */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST		0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID	0xdadbeef

#define IOMMU_TEST_INVALIDATE_FLAG_ALL	(1 << 0)	/* ignore iotlb_id */

struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* ====================================================================== */
/* Part 3: VFIO (container / type1, group, device, cdev binding)          */
/* ====================================================================== */

#ifndef VFIO_API_VERSION	/* else <linux/vfio.h> came first: use it */

#define VFIO_API_VERSION 0
#define UIOMMUFD_UAPI_OWN_VFIO 1	/* the pins below apply */

/* --- extensions, for VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU --- */

#define VFIO_TYPE1_IOMMU		1
#define VFIO_SPAPR_TCE_IOMMU		2
#define VFIO_TYPE1v2_IOMMU		3
#define VFIO_DMA_CC_IOMMU		4	/* DMA is cache coherent */
#define VFIO_EEH			5
#define VFIO_TYPE1_NESTING_IOMMU	6
#define VFIO_SPAPR_TCE_v2_IOMMU		7
#define VFIO_NOIOMMU_IOMMU		8
#define VFIO_UNMAP_ALL			9	/* VFIO_DMA_UNMAP_FLAG_ALL */
#define VFIO_UPDATE_VADDR		10	/* the *_FLAG_VADDR flags */

/* --- ioctl numbering: _IO(';', 100 + n), sized by argsz instead --- */

#define VFIO_TYPE	(';')
#define VFIO_BASE	100

/* Header of each entry in an INFO capability chain (offsets from buffer start). */
struct vfio_info_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;		/* 0 ends the chain */
};

/* --- container fd (/dev/vfio/vfio) --- */

#define VFIO_GET_API_VERSION	_IO(VFIO_TYPE, VFIO_BASE + 0)
#define VFIO_CHECK_EXTENSION	_IO(VFIO_TYPE, VFIO_BASE + 1)
#define VFIO_SET_IOMMU		_IO(VFIO_TYPE, VFIO_BASE + 2)

/* --- group fd (/dev/vfio/N) --- */

struct vfio_group_status {
	__u32 argsz;
	__u32 flags;
#define VFIO_GROUP_FLAGS_VIABLE		(1 << 0)
#define VFIO_GROUP_FLAGS_CONTAINER_SET	(1 << 1)
};
#define VFIO_GROUP_GET_STATUS		_IO(VFIO_TYPE, VFIO_BASE + 3)
#define VFIO_GROUP_SET_CONTAINER	_IO(VFIO_TYPE, VFIO_BASE + 4)	/* arg: int * */
#define VFIO_GROUP_UNSET_CONTAINER	_IO(VFIO_TYPE, VFIO_BASE + 5)
#define VFIO_GROUP_GET_DEVICE_FD	_IO(VFIO_TYPE, VFIO_BASE + 6)	/* arg: name */

/* --- device fd --- */

struct vfio_device_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FLAGS_RESET		(1 << 0)
#define VFIO_DEVICE_FLAGS_PCI		(1 << 1)
#define VFIO_DEVICE_FLAGS_PLATFORM	(1 << 2)
#define VFIO_DEVICE_FLAGS_AMBA		(1 << 3)
#define VFIO_DEVICE_FLAGS_CCW		(1 << 4)
#define VFIO_DEVICE_FLAGS_AP		(1 << 5)
#define VFIO_DEVICE_FLAGS_FSL_MC	(1 << 6)
#define VFIO_DEVICE_FLAGS_CAPS		(1 << 7)	/* cap_offset is valid */
#define VFIO_DEVICE_FLAGS_CDX		(1 << 8)
	__u32 num_regions;
	__u32 num_irqs;
	__u32 cap_offset;
	__u32 pad;
};
#define VFIO_DEVICE_GET_INFO		_IO(VFIO_TYPE, VFIO_BASE + 7)

/* index is in; the rest is out. offset is where to pread/pwrite/mmap. */
struct vfio_region_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_REGION_INFO_FLAG_READ	(1 << 0)
#define VFIO_REGION_INFO_FLAG_WRITE	(1 << 1)
#define VFIO_REGION_INFO_FLAG_MMAP	(1 << 2)
#define VFIO_REGION_INFO_FLAG_CAPS	(1 << 3)	/* cap_offset is valid */
	__u32 index;
	__u32 cap_offset;
	__aligned_u64 size;
	__aligned_u64 offset;
};
#define VFIO_DEVICE_GET_REGION_INFO	_IO(VFIO_TYPE, VFIO_BASE + 8)

/* Region capabilities (chained from cap_offset). */
#define VFIO_REGION_INFO_CAP_SPARSE_MMAP	1

struct vfio_region_sparse_mmap_area {
	__aligned_u64 offset;		/* of the mmappable area in the region */
	__aligned_u64 size;
};

struct vfio_region_info_cap_sparse_mmap {
	struct vfio_info_cap_header header;
	__u32 nr_areas;
	__u32 reserved;
	struct vfio_region_sparse_mmap_area areas[];
};

#define VFIO_REGION_INFO_CAP_TYPE	2

struct vfio_region_info_cap_type {
	struct vfio_info_cap_header header;
	__u32 type;
	__u32 subtype;
};

/* The MSI-X table of this BAR may be mmapped (interrupt remapping). */
#define VFIO_REGION_INFO_CAP_MSIX_MAPPABLE	3

/* Device capabilities (vfio_device_info.cap_offset). */
#define VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP	5

struct vfio_device_info_cap_pci_atomic_comp {
	struct vfio_info_cap_header header;
	__u32 flags;
#define VFIO_PCI_ATOMIC_COMP32	(1 << 0)
#define VFIO_PCI_ATOMIC_COMP64	(1 << 1)
#define VFIO_PCI_ATOMIC_COMP128	(1 << 2)
	__u32 reserved;
};

struct vfio_irq_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IRQ_INFO_EVENTFD		(1 << 0)
#define VFIO_IRQ_INFO_MASKABLE		(1 << 1)
#define VFIO_IRQ_INFO_AUTOMASKED	(1 << 2)
#define VFIO_IRQ_INFO_NORESIZE		(1 << 3)
	__u32 index;
	__u32 count;
};
#define VFIO_DEVICE_GET_IRQ_INFO	_IO(VFIO_TYPE, VFIO_BASE + 9)

struct vfio_irq_set {
	__u32 argsz;
	__u32 flags;
#define VFIO_IRQ_SET_DATA_NONE		(1 << 0)	/* no data */
#define VFIO_IRQ_SET_DATA_BOOL		(1 << 1)	/* __u8 per IRQ */
#define VFIO_IRQ_SET_DATA_EVENTFD	(1 << 2)	/* __s32 per IRQ */
#define VFIO_IRQ_SET_ACTION_MASK	(1 << 3)
#define VFIO_IRQ_SET_ACTION_UNMASK	(1 << 4)
#define VFIO_IRQ_SET_ACTION_TRIGGER	(1 << 5)
	__u32 index;
	__u32 start;
	__u32 count;
	__u8 data[];
};
#define VFIO_DEVICE_SET_IRQS		_IO(VFIO_TYPE, VFIO_BASE + 10)

#define VFIO_IRQ_SET_DATA_TYPE_MASK	(VFIO_IRQ_SET_DATA_NONE | \
					 VFIO_IRQ_SET_DATA_BOOL | \
					 VFIO_IRQ_SET_DATA_EVENTFD)
#define VFIO_IRQ_SET_ACTION_TYPE_MASK	(VFIO_IRQ_SET_ACTION_MASK | \
					 VFIO_IRQ_SET_ACTION_UNMASK | \
					 VFIO_IRQ_SET_ACTION_TRIGGER)

#define VFIO_DEVICE_RESET		_IO(VFIO_TYPE, VFIO_BASE + 11)

/* Fixed region indexes of a vfio-pci device. */
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
	VFIO_PCI_NUM_REGIONS = 9,
};

/* Fixed IRQ indexes of a vfio-pci device. */
enum {
	VFIO_PCI_INTX_IRQ_INDEX,
	VFIO_PCI_MSI_IRQ_INDEX,
	VFIO_PCI_MSIX_IRQ_INDEX,
	VFIO_PCI_ERR_IRQ_INDEX,
	VFIO_PCI_REQ_IRQ_INDEX,
	VFIO_PCI_NUM_IRQS
};

/* A device a hot reset of this one also resets. */
struct vfio_pci_dependent_device {
	union {
		__u32 group_id;
		__u32 devid;
#define VFIO_PCI_DEVID_OWNED		0
#define VFIO_PCI_DEVID_NOT_OWNED	-1
	};
	__u16 segment;
	__u8 bus;
	__u8 devfn;
};

struct vfio_pci_hot_reset_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID		(1 << 0)
#define VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED	(1 << 1)
	__u32 count;
	struct vfio_pci_dependent_device devices[];
};
#define VFIO_DEVICE_GET_PCI_HOT_RESET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 12)

struct vfio_pci_hot_reset {
	__u32 argsz;
	__u32 flags;
	__u32 count;
	__s32 group_fds[];
};
#define VFIO_DEVICE_PCI_HOT_RESET	_IO(VFIO_TYPE, VFIO_BASE + 13)

struct vfio_device_ioeventfd {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_IOEVENTFD_8		(1 << 0)
#define VFIO_DEVICE_IOEVENTFD_16	(1 << 1)
#define VFIO_DEVICE_IOEVENTFD_32	(1 << 2)
#define VFIO_DEVICE_IOEVENTFD_64	(1 << 3)
#define VFIO_DEVICE_IOEVENTFD_SIZE_MASK	(0xf)
	__aligned_u64 offset;		/* device fd offset of the write */
	__aligned_u64 data;
	__s32 fd;			/* -1 to remove */
	__u32 reserved;
};
#define VFIO_DEVICE_IOEVENTFD		_IO(VFIO_TYPE, VFIO_BASE + 16)

struct vfio_device_feature {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_FEATURE_MASK	(0xffff)	/* feature index */
#define VFIO_DEVICE_FEATURE_GET		(1 << 16)
#define VFIO_DEVICE_FEATURE_SET		(1 << 17)
#define VFIO_DEVICE_FEATURE_PROBE	(1 << 18)
	__u8 data[];
};
#define VFIO_DEVICE_FEATURE		_IO(VFIO_TYPE, VFIO_BASE + 17)

/* Feature indexes. */
#define VFIO_DEVICE_FEATURE_PCI_VF_TOKEN		(0)
#define VFIO_DEVICE_FEATURE_MIGRATION			1
#define VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE		2
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY		3
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP	4
#define VFIO_DEVICE_FEATURE_LOW_POWER_EXIT		5
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_START		6
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP		7
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT		8
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE		9

/* --- type1 IOMMU, on the container fd --- */

struct vfio_iommu_type1_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_INFO_PGSIZES	(1 << 0)	/* iova_pgsizes is valid */
#define VFIO_IOMMU_INFO_CAPS	(1 << 1)	/* cap_offset is valid */
	__aligned_u64 iova_pgsizes;
	__u32 cap_offset;
	__u32 pad;
};

/* Capability: the usable IOVA ranges. */
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1

struct vfio_iova_range {
	__u64 start;
	__u64 end;		/* inclusive */
};

struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	__u32 nr_iovas;
	__u32 reserved;
	struct vfio_iova_range iova_ranges[];
};

/* Capability: dirty page tracking limits. */
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2

struct vfio_iommu_type1_info_cap_migration {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u64 pgsize_bitmap;
	__u64 max_dirty_bitmap_size;	/* bytes */
};

/* Capability: how many more DMA mappings are allowed. */
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3

struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	__u32 avail;
};

#define VFIO_IOMMU_GET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 12)

struct vfio_iommu_type1_dma_map {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_MAP_FLAG_READ	(1 << 0)
#define VFIO_DMA_MAP_FLAG_WRITE	(1 << 1)
#define VFIO_DMA_MAP_FLAG_VADDR	(1 << 2)	/* only replace the vaddr */
	__u64 vaddr;
	__u64 iova;
	__u64 size;
};
#define VFIO_IOMMU_MAP_DMA	_IO(VFIO_TYPE, VFIO_BASE + 13)

/* A user dirty bitmap: one bit per pgsize bytes, size bytes long. */
struct vfio_bitmap {
	__u64 pgsize;
	__u64 size;
	__u64 *data;
};

/* size is in/out (bytes unmapped); data[] holds a vfio_bitmap with GET_DIRTY_BITMAP. */
struct vfio_iommu_type1_dma_unmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP	(1 << 0)
#define VFIO_DMA_UNMAP_FLAG_ALL			(1 << 1)
#define VFIO_DMA_UNMAP_FLAG_VADDR		(1 << 2)
	__u64 iova;
	__u64 size;
	__u8 data[];
};
#define VFIO_IOMMU_UNMAP_DMA	_IO(VFIO_TYPE, VFIO_BASE + 14)

#define VFIO_IOMMU_ENABLE	_IO(VFIO_TYPE, VFIO_BASE + 15)
#define VFIO_IOMMU_DISABLE	_IO(VFIO_TYPE, VFIO_BASE + 16)

/* Exactly one flag per call; GET_BITMAP takes a dirty_bitmap_get in data[]. */
struct vfio_iommu_type1_dirty_bitmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START	(1 << 0)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP	(1 << 1)
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP	(1 << 2)
	__u8 data[];
};

struct vfio_iommu_type1_dirty_bitmap_get {
	__u64 iova;
	__u64 size;
	struct vfio_bitmap bitmap;
};
#define VFIO_IOMMU_DIRTY_PAGES	_IO(VFIO_TYPE, VFIO_BASE + 17)

#endif /* !VFIO_API_VERSION */

/* The CDX device flag appeared in 6.4; older <linux/vfio.h> lacks it. */
#ifndef VFIO_DEVICE_FLAGS_CDX
#define VFIO_DEVICE_FLAGS_CDX		(1 << 8)
#endif

/*
 * --- device cdev (/dev/vfio/devices/vfioN) bound to an iommufd ---
 * New in 6.6, so supplied here even after an older <linux/vfio.h>.
 */
#ifndef VFIO_DEVICE_BIND_IOMMUFD
#define UIOMMUFD_UAPI_OWN_VFIO_CDEV 1

struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;		/* in: the iommufd file descriptor */
	__u32 out_devid;	/* the dev_id used in iommufd calls */
};
#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

/* pt_id is in/out: an IOAS in, possibly the auto-created HWPT out. */
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
};
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
};
#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)

#endif /* !VFIO_DEVICE_BIND_IOMMUFD */

/* ====================================================================== */
/* Layout pins: sizeof and offsetof of every struct and member            */
/* ====================================================================== */

/*
 * The numbers are those of the kernel's own headers, measured on x86_64;
 * they hold on every LP64 ABI (u64 and pointers 8-byte aligned). VFIO
 * structs are pinned only when this file defined them.
 */
#if defined(__LP64__) || defined(_LP64)

#ifdef __cplusplus
#define UIOMMUFD_UAPI_ASSERT(expr) static_assert(expr, #expr)
#else
#define UIOMMUFD_UAPI_ASSERT(expr) _Static_assert(expr, #expr)
#endif
#define UIOMMUFD_UAPI_SIZE(tag, n) \
	UIOMMUFD_UAPI_ASSERT(sizeof(struct tag) == (n))
#define UIOMMUFD_UAPI_OFF(tag, member, n) \
	UIOMMUFD_UAPI_ASSERT(__builtin_offsetof(struct tag, member) == (n))

/* --- iommufd --- */

UIOMMUFD_UAPI_SIZE(iommu_destroy, 8);
UIOMMUFD_UAPI_OFF(iommu_destroy, size, 0);
UIOMMUFD_UAPI_OFF(iommu_destroy, id, 4);

UIOMMUFD_UAPI_SIZE(iommu_ioas_alloc, 12);
UIOMMUFD_UAPI_OFF(iommu_ioas_alloc, size, 0);
UIOMMUFD_UAPI_OFF(iommu_ioas_alloc, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_ioas_alloc, out_ioas_id, 8);

UIOMMUFD_UAPI_SIZE(iommu_iova_range, 16);
UIOMMUFD_UAPI_OFF(iommu_iova_range, start, 0);
UIOMMUFD_UAPI_OFF(iommu_iova_range, last, 8);

UIOMMUFD_UAPI_SIZE(iommu_ioas_iova_ranges, 32);
UIOMMUFD_UAPI_OFF(iommu_ioas_iova_ranges, size, 0);
UIOMMUFD_UAPI_OFF(iommu_ioas_iova_ranges, ioas_id, 4);
UIOMMUFD_UAPI_OFF(iommu_ioas_iova_ranges, num_iovas, 8);
UIOMMUFD_UAPI_OFF(iommu_ioas_iova_ranges, __reserved, 12);
UIOMMUFD_UAPI_OFF(iommu_ioas_iova_ranges, allowed_iovas, 16);
UIOMMUFD_UAPI_OFF(iommu_ioas_iova_ranges, out_iova_alignment, 24);

UIOMMUFD_UAPI_SIZE(iommu_ioas_allow_iovas, 24);
UIOMMUFD_UAPI_OFF(iommu_ioas_allow_iovas, size, 0);
UIOMMUFD_UAPI_OFF(iommu_ioas_allow_iovas, ioas_id, 4);
UIOMMUFD_UAPI_OFF(iommu_ioas_allow_iovas, num_iovas, 8);
UIOMMUFD_UAPI_OFF(iommu_ioas_allow_iovas, __reserved, 12);
UIOMMUFD_UAPI_OFF(iommu_ioas_allow_iovas, allowed_iovas, 16);

UIOMMUFD_UAPI_SIZE(iommu_ioas_map, 40);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, size, 0);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, ioas_id, 8);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, __reserved, 12);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, user_va, 16);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, length, 24);
UIOMMUFD_UAPI_OFF(iommu_ioas_map, iova, 32);

UIOMMUFD_UAPI_SIZE(iommu_ioas_copy, 40);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, size, 0);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, dst_ioas_id, 8);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, src_ioas_id, 12);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, length, 16);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, dst_iova, 24);
UIOMMUFD_UAPI_OFF(iommu_ioas_copy, src_iova, 32);

UIOMMUFD_UAPI_SIZE(iommu_ioas_unmap, 24);
UIOMMUFD_UAPI_OFF(iommu_ioas_unmap, size, 0);
UIOMMUFD_UAPI_OFF(iommu_ioas_unmap, ioas_id, 4);
UIOMMUFD_UAPI_OFF(iommu_ioas_unmap, iova, 8);
UIOMMUFD_UAPI_OFF(iommu_ioas_unmap, length, 16);

UIOMMUFD_UAPI_SIZE(iommu_option, 24);
UIOMMUFD_UAPI_OFF(iommu_option, size, 0);
UIOMMUFD_UAPI_OFF(iommu_option, option_id, 4);
UIOMMUFD_UAPI_OFF(iommu_option, op, 8);
UIOMMUFD_UAPI_OFF(iommu_option, __reserved, 10);
UIOMMUFD_UAPI_OFF(iommu_option, object_id, 12);
UIOMMUFD_UAPI_OFF(iommu_option, val64, 16);

UIOMMUFD_UAPI_SIZE(iommu_vfio_ioas, 12);
UIOMMUFD_UAPI_OFF(iommu_vfio_ioas, size, 0);
UIOMMUFD_UAPI_OFF(iommu_vfio_ioas, ioas_id, 4);
UIOMMUFD_UAPI_OFF(iommu_vfio_ioas, op, 8);
UIOMMUFD_UAPI_OFF(iommu_vfio_ioas, __reserved, 10);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_vtd_s1, 24);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1, flags, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1, pgtbl_addr, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1, addr_width, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1, __reserved, 20);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_alloc, 48);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, size, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, dev_id, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, pt_id, 12);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, out_hwpt_id, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, __reserved, 20);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, data_type, 24);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, data_len, 28);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, data_uptr, 32);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, fault_id, 40);
UIOMMUFD_UAPI_OFF(iommu_hwpt_alloc, __reserved2, 44);

UIOMMUFD_UAPI_SIZE(iommu_hw_info_vtd, 24);
UIOMMUFD_UAPI_OFF(iommu_hw_info_vtd, flags, 0);
UIOMMUFD_UAPI_OFF(iommu_hw_info_vtd, __reserved, 4);
UIOMMUFD_UAPI_OFF(iommu_hw_info_vtd, cap_reg, 8);
UIOMMUFD_UAPI_OFF(iommu_hw_info_vtd, ecap_reg, 16);

UIOMMUFD_UAPI_SIZE(iommu_hw_info, 40);
UIOMMUFD_UAPI_OFF(iommu_hw_info, size, 0);
UIOMMUFD_UAPI_OFF(iommu_hw_info, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_hw_info, dev_id, 8);
UIOMMUFD_UAPI_OFF(iommu_hw_info, data_len, 12);
UIOMMUFD_UAPI_OFF(iommu_hw_info, data_uptr, 16);
UIOMMUFD_UAPI_OFF(iommu_hw_info, out_data_type, 24);
UIOMMUFD_UAPI_OFF(iommu_hw_info, out_max_pasid_log2, 28);
UIOMMUFD_UAPI_OFF(iommu_hw_info, __reserved, 29);
UIOMMUFD_UAPI_OFF(iommu_hw_info, out_capabilities, 32);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_set_dirty_tracking, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_set_dirty_tracking, size, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_set_dirty_tracking, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_hwpt_set_dirty_tracking, hwpt_id, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_set_dirty_tracking, __reserved, 12);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_get_dirty_bitmap, 48);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, size, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, flags, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, __reserved, 12);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, iova, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, length, 24);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, page_size, 32);
UIOMMUFD_UAPI_OFF(iommu_hwpt_get_dirty_bitmap, data, 40);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_vtd_s1_invalidate, 24);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, addr, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, npages, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, flags, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_vtd_s1_invalidate, __reserved, 20);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_invalidate, 32);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, size, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, hwpt_id, 4);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, data_uptr, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, data_type, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, entry_len, 20);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, entry_num, 24);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate, __reserved, 28);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_pgfault, 40);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, flags, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, dev_id, 4);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, pasid, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, grpid, 12);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, perm, 16);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, __reserved, 20);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, addr, 24);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, length, 32);
UIOMMUFD_UAPI_OFF(iommu_hwpt_pgfault, cookie, 36);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_page_response, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_page_response, cookie, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_page_response, code, 4);

UIOMMUFD_UAPI_SIZE(iommu_fault_alloc, 16);
UIOMMUFD_UAPI_OFF(iommu_fault_alloc, size, 0);
UIOMMUFD_UAPI_OFF(iommu_fault_alloc, flags, 4);
UIOMMUFD_UAPI_OFF(iommu_fault_alloc, out_fault_id, 8);
UIOMMUFD_UAPI_OFF(iommu_fault_alloc, out_fault_fd, 12);

/* --- selftest --- */

UIOMMUFD_UAPI_SIZE(iommu_test_cmd, 72);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, size, 0);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, op, 4);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, id, 8);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, __reserved, 12);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, add_reserved, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, add_reserved.start, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, add_reserved.length, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain.out_stdev_id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain.out_hwpt_id, 20);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain.out_idev_id, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_flags, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_flags.out_stdev_id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_flags.out_hwpt_id, 20);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_flags.out_idev_id, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_flags.dev_flags, 28);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_replace, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, mock_domain_replace.pt_id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_map, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_map.iova, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_map.length, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_map.uptr, 32);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_refs, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_refs.length, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_refs.uptr, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_refs.refs, 32);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, create_access, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, create_access.out_access_fd, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, create_access.flags, 20);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, destroy_access_pages, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, destroy_access_pages.access_pages_id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_pages, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_pages.flags, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_pages.out_access_pages_id, 20);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_pages.iova, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_pages.length, 32);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_pages.uptr, 40);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_rw, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_rw.iova, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_rw.length, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_rw.uptr, 32);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_rw.flags, 40);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, memory_limit, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, memory_limit.limit, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_replace_ioas, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, access_replace_ioas.ioas_id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty.flags, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty.iova, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty.length, 32);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty.page_size, 40);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty.uptr, 48);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, dirty.out_nr_dirty, 56);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_iotlb, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_iotlb.id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, check_iotlb.iotlb, 20);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, trigger_iopf, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, trigger_iopf.dev_id, 16);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, trigger_iopf.pasid, 20);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, trigger_iopf.grpid, 24);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, trigger_iopf.perm, 28);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, trigger_iopf.addr, 32);
UIOMMUFD_UAPI_OFF(iommu_test_cmd, last, 64);

UIOMMUFD_UAPI_SIZE(iommu_test_hw_info, 8);
UIOMMUFD_UAPI_OFF(iommu_test_hw_info, flags, 0);
UIOMMUFD_UAPI_OFF(iommu_test_hw_info, test_reg, 4);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_selftest, 4);
UIOMMUFD_UAPI_OFF(iommu_hwpt_selftest, iotlb, 0);

UIOMMUFD_UAPI_SIZE(iommu_hwpt_invalidate_selftest, 8);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate_selftest, flags, 0);
UIOMMUFD_UAPI_OFF(iommu_hwpt_invalidate_selftest, iotlb_id, 4);

/* --- VFIO --- */

#ifdef UIOMMUFD_UAPI_OWN_VFIO
UIOMMUFD_UAPI_SIZE(vfio_info_cap_header, 8);
UIOMMUFD_UAPI_OFF(vfio_info_cap_header, id, 0);
UIOMMUFD_UAPI_OFF(vfio_info_cap_header, version, 2);
UIOMMUFD_UAPI_OFF(vfio_info_cap_header, next, 4);

UIOMMUFD_UAPI_SIZE(vfio_group_status, 8);
UIOMMUFD_UAPI_OFF(vfio_group_status, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_group_status, flags, 4);

UIOMMUFD_UAPI_SIZE(vfio_device_info, 24);
UIOMMUFD_UAPI_OFF(vfio_device_info, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_device_info, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_device_info, num_regions, 8);
UIOMMUFD_UAPI_OFF(vfio_device_info, num_irqs, 12);
UIOMMUFD_UAPI_OFF(vfio_device_info, cap_offset, 16);
UIOMMUFD_UAPI_OFF(vfio_device_info, pad, 20);

UIOMMUFD_UAPI_SIZE(vfio_region_info, 32);
UIOMMUFD_UAPI_OFF(vfio_region_info, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_region_info, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_region_info, index, 8);
UIOMMUFD_UAPI_OFF(vfio_region_info, cap_offset, 12);
UIOMMUFD_UAPI_OFF(vfio_region_info, size, 16);
UIOMMUFD_UAPI_OFF(vfio_region_info, offset, 24);

UIOMMUFD_UAPI_SIZE(vfio_region_sparse_mmap_area, 16);
UIOMMUFD_UAPI_SIZE(vfio_region_info_cap_sparse_mmap, 16);
UIOMMUFD_UAPI_OFF(vfio_region_info_cap_sparse_mmap, nr_areas, 8);
UIOMMUFD_UAPI_OFF(vfio_region_info_cap_sparse_mmap, areas, 16);
UIOMMUFD_UAPI_SIZE(vfio_region_info_cap_type, 16);
UIOMMUFD_UAPI_OFF(vfio_region_info_cap_type, type, 8);
UIOMMUFD_UAPI_OFF(vfio_region_info_cap_type, subtype, 12);
UIOMMUFD_UAPI_SIZE(vfio_device_info_cap_pci_atomic_comp, 16);
UIOMMUFD_UAPI_OFF(vfio_device_info_cap_pci_atomic_comp, flags, 8);

UIOMMUFD_UAPI_SIZE(vfio_irq_info, 16);
UIOMMUFD_UAPI_OFF(vfio_irq_info, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_irq_info, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_irq_info, index, 8);
UIOMMUFD_UAPI_OFF(vfio_irq_info, count, 12);

UIOMMUFD_UAPI_SIZE(vfio_irq_set, 20);
UIOMMUFD_UAPI_OFF(vfio_irq_set, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_irq_set, index, 8);
UIOMMUFD_UAPI_OFF(vfio_irq_set, start, 12);
UIOMMUFD_UAPI_OFF(vfio_irq_set, count, 16);
UIOMMUFD_UAPI_OFF(vfio_irq_set, data, 20);

UIOMMUFD_UAPI_SIZE(vfio_pci_dependent_device, 8);
UIOMMUFD_UAPI_OFF(vfio_pci_dependent_device, segment, 4);
UIOMMUFD_UAPI_OFF(vfio_pci_dependent_device, bus, 6);
UIOMMUFD_UAPI_OFF(vfio_pci_dependent_device, devfn, 7);
UIOMMUFD_UAPI_SIZE(vfio_pci_hot_reset_info, 12);
UIOMMUFD_UAPI_OFF(vfio_pci_hot_reset_info, count, 8);
UIOMMUFD_UAPI_OFF(vfio_pci_hot_reset_info, devices, 12);
UIOMMUFD_UAPI_SIZE(vfio_pci_hot_reset, 12);
UIOMMUFD_UAPI_OFF(vfio_pci_hot_reset, group_fds, 12);

UIOMMUFD_UAPI_SIZE(vfio_device_ioeventfd, 32);
UIOMMUFD_UAPI_OFF(vfio_device_ioeventfd, offset, 8);
UIOMMUFD_UAPI_OFF(vfio_device_ioeventfd, data, 16);
UIOMMUFD_UAPI_OFF(vfio_device_ioeventfd, fd, 24);

UIOMMUFD_UAPI_SIZE(vfio_device_feature, 8);
UIOMMUFD_UAPI_OFF(vfio_device_feature, data, 8);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_info, 24);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info, iova_pgsizes, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info, cap_offset, 16);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info, pad, 20);

UIOMMUFD_UAPI_SIZE(vfio_iova_range, 16);
UIOMMUFD_UAPI_OFF(vfio_iova_range, start, 0);
UIOMMUFD_UAPI_OFF(vfio_iova_range, end, 8);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_info_cap_iova_range, 16);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_iova_range, header, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_iova_range, reserved, 12);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_iova_range, iova_ranges, 16);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_info_cap_migration, 32);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_migration, header, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_migration, flags, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_migration, pgsize_bitmap, 16);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size, 24);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_info_dma_avail, 12);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_dma_avail, header, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_info_dma_avail, avail, 8);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_dma_map, 32);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_map, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_map, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_map, vaddr, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_map, iova, 16);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_map, size, 24);

UIOMMUFD_UAPI_SIZE(vfio_bitmap, 24);
UIOMMUFD_UAPI_OFF(vfio_bitmap, pgsize, 0);
UIOMMUFD_UAPI_OFF(vfio_bitmap, size, 8);
UIOMMUFD_UAPI_OFF(vfio_bitmap, data, 16);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_dma_unmap, 24);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_unmap, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_unmap, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_unmap, iova, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_unmap, size, 16);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dma_unmap, data, 24);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_dirty_bitmap, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dirty_bitmap, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dirty_bitmap, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dirty_bitmap, data, 8);

UIOMMUFD_UAPI_SIZE(vfio_iommu_type1_dirty_bitmap_get, 40);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dirty_bitmap_get, iova, 0);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dirty_bitmap_get, size, 8);
UIOMMUFD_UAPI_OFF(vfio_iommu_type1_dirty_bitmap_get, bitmap, 16);
#endif

#ifdef UIOMMUFD_UAPI_OWN_VFIO_CDEV
UIOMMUFD_UAPI_SIZE(vfio_device_bind_iommufd, 16);
UIOMMUFD_UAPI_OFF(vfio_device_bind_iommufd, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_device_bind_iommufd, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_device_bind_iommufd, iommufd, 8);
UIOMMUFD_UAPI_OFF(vfio_device_bind_iommufd, out_devid, 12);

UIOMMUFD_UAPI_SIZE(vfio_device_attach_iommufd_pt, 12);
UIOMMUFD_UAPI_OFF(vfio_device_attach_iommufd_pt, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_device_attach_iommufd_pt, flags, 4);
UIOMMUFD_UAPI_OFF(vfio_device_attach_iommufd_pt, pt_id, 8);

UIOMMUFD_UAPI_SIZE(vfio_device_detach_iommufd_pt, 8);
UIOMMUFD_UAPI_OFF(vfio_device_detach_iommufd_pt, argsz, 0);
UIOMMUFD_UAPI_OFF(vfio_device_detach_iommufd_pt, flags, 4);
#endif

#undef UIOMMUFD_UAPI_OFF
#undef UIOMMUFD_UAPI_SIZE
#undef UIOMMUFD_UAPI_ASSERT

#endif /* LP64 */

#undef UIOMMUFD_UAPI_OWN_VFIO
#undef UIOMMUFD_UAPI_OWN_VFIO_CDEV

#endif /* UIOMMUFD_UAPI_H */
