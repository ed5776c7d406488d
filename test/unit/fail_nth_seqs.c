// SPDX-License-Identifier: MIT
/*
 * The command sequences the fail_nth sweep runs (test_fail_nth.c). Each
 * step is one command; its flags say what the kernel keeps when it fails
 * (fail_nth.h), as 6.12's drivers/iommu/iommufd/ does:
 *   IOAS_MAP, IOAS_COPY, IOAS_UNMAP (ioas.c): the work stays when
 *     iommufd_ucmd_respond() fails;
 *   IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, IOMMU_TEST_OP_DIRTY (selftest.c):
 *     the replacement and the dirty bits stay;
 *   HWPT_INVALIDATE (hw_pagetable.c): the invalidation stays, EFAULT;
 *   VFIO_IOMMU_UNMAP_DMA (vfio_compat.c): the unmap stays when the answer's
 *     copy_to_user() fails, and iopt_cut_iova() keeps the cuts it made;
 * while IOAS_ALLOC, HWPT_ALLOC, FAULT_QUEUE_ALLOC, MOCK_DOMAIN(_FLAGS),
 * CREATE_ACCESS and ACCESS_PAGES abort what they made.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "fail_nth.h"

#define PG 4096ul
#define K FN_KEEP_EFAULT

static int add_fd(int *fds, int fd)
{
	for (int i = 0; i < FN_MAX_FDS; i++) {
		if (fds[i] < 0) {
			fds[i] = fd;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* helpers: one command each, 0 or errno */

static int ioas_alloc(uint32_t *id)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = fn_ioctl(IOMMU_IOAS_ALLOC, &a);

	if (!rc)
		*id = a.out_ioas_id;
	return rc;
}

static int ioas_map(uint32_t ioas, uint32_t flags, uint64_t iova, void *va,
		    uint64_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .iova = iova,
		.flags = flags | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)va, .length = len,
	};

	return fn_ioctl(IOMMU_IOAS_MAP, &m);
}

static int ioas_map_fixed(uint32_t ioas, uint64_t iova, void *va, uint64_t len)
{
	return ioas_map(ioas, IOMMU_IOAS_MAP_FIXED_IOVA, iova, va, len);
}

static int ioas_unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = iova, .length = len };

	return fn_ioctl(IOMMU_IOAS_UNMAP, &u);
}

static int destroy(uint32_t id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return fn_ioctl(IOMMU_DESTROY, &d);
}

static int mock_domain(uint32_t pt_id, uint32_t dev_flags, int slot,
		       int hwpt_slot)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .id = pt_id,
		.op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
				  IOMMU_TEST_OP_MOCK_DOMAIN,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc = fn_ioctl(IOMMU_TEST_CMD, &c);

	if (!rc) {
		R.stdev[slot] = c.mock_domain.out_stdev_id;
		R.idev[slot] = c.mock_domain.out_idev_id;
		R.hwpt[hwpt_slot] = c.mock_domain.out_hwpt_id;
	}
	return rc;
}

static int mock_replace(int slot, uint32_t pt_id)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .id = R.stdev[slot],
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.mock_domain_replace = { .pt_id = pt_id },
	};

	return fn_ioctl(IOMMU_TEST_CMD, &c);
}

static int hwpt_alloc(uint32_t dev, uint32_t pt, uint32_t flags,
		      uint32_t data_type, void *data, uint32_t data_len,
		      uint32_t fault_id, int slot)
{
	struct iommu_hwpt_alloc a = {
		.size = sizeof(a), .flags = flags, .dev_id = dev, .pt_id = pt,
		.data_type = data_type, .data_len = data_len,
		.data_uptr = (uintptr_t)data, .fault_id = fault_id,
	};
	int rc = fn_ioctl(IOMMU_HWPT_ALLOC, &a);

	if (!rc)
		R.hwpt[slot] = a.out_hwpt_id;
	return rc;
}

/* MD_CHECK_MAP of [iova, iova + len) against va: whether it is mapped so. */
static bool md_mapped(uint32_t hwpt, uint64_t iova, void *va, uint64_t len)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
		.check_map = { .iova = iova, .length = len, .uptr = (uintptr_t)va },
	};

	return hwpt && !fn_ioctl(IOMMU_TEST_CMD, &c);
}

/* One bit per (hwpt slot, range): where the domains map what. */
struct range {
	uint64_t iova;
	char *va;
	uint64_t len;
};

static uint64_t map_bits(const struct range *r, int nr, int nslots)
{
	uint64_t bits = 0;
	int b = 0;

	for (int h = 0; h < nslots; h++)
		for (int i = 0; i < nr; i++, b++)
			/* The first and the last IO page stand for the range. */
			if (md_mapped(R.hwpt[h], r[i].iova, r[i].va, PG / 2) &&
			    md_mapped(R.hwpt[h], r[i].iova + r[i].len - PG / 2,
				      r[i].va + r[i].len - PG / 2, PG / 2))
				bits |= 1ull << b;
	return bits;
}

/* ------------------------------------------------------------------ */
/* IOAS: alloc, map (fixed, automatic), copy, allowed ranges, unmap */

static char ioas_buf[16 * PG] __attribute__((aligned(PG)));

static int ioas_step(int s)
{
	switch (s) {
	case 0: return ioas_alloc(&R.ioas[0]);
	case 1: return ioas_alloc(&R.ioas[1]);
	case 2: return ioas_map_fixed(R.ioas[0], 0x100000, ioas_buf, 4 * PG);
	case 3: return ioas_map_fixed(R.ioas[0], 0x104000, ioas_buf + 4 * PG, 4 * PG);
	case 4: return ioas_map(R.ioas[0], 0, 0, ioas_buf + 8 * PG, PG);
	case 5: {
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .flags = IOMMU_IOAS_MAP_READABLE,
			.dst_ioas_id = R.ioas[1], .src_ioas_id = R.ioas[0],
			.length = 6 * PG, .src_iova = 0x101000,
		};
		return fn_ioctl(IOMMU_IOAS_COPY, &c);
	}
	case 6: {
		struct iommu_iova_range r[3] = { { 0x10000000, 0x1fffffff },
						 { 0x40000000, 0x4fffffff },
						 { 0x60000000, 0x6fffffff } };
		struct iommu_ioas_allow_iovas a = { .size = sizeof(a),
						    .ioas_id = R.ioas[0], .num_iovas = 3,
						    .allowed_iovas = (uintptr_t)r };
		return fn_ioctl(IOMMU_IOAS_ALLOW_IOVAS, &a);
	}
	case 7: return ioas_map(R.ioas[0], 0, 0, ioas_buf + 9 * PG, 2 * PG);
	case 8: {
		struct iommu_iova_range r[4];
		struct iommu_ioas_iova_ranges q = {
			.size = sizeof(q), .ioas_id = R.ioas[0], .num_iovas = 4,
			.allowed_iovas = (uintptr_t)r };
		return fn_ioctl(IOMMU_IOAS_IOVA_RANGES, &q);
	}
	case 9: return ioas_alloc(&R.ioas[2]);
	case 10: return ioas_unmap(R.ioas[0], 0x100000, 8 * PG);
	case 11: return destroy(R.ioas[2]);
	default: return -1;
	}
}

static const unsigned int ioas_flags[] = { 0, 0, K, K, K, K, 0, K, 0, 0, K, 0 };

const struct fn_seq fn_seq_ioas = {
	"ioas", 12, ioas_flags, ioas_step, NULL,
};

/* ------------------------------------------------------------------ */
/* mock devices and domains: auto domains, flags, HWPT_ALLOC, replace */

#define DOM_A MOCK_APERTURE_START
#define DOM_B (MOCK_APERTURE_START + 0x100000)

static char dom_buf[16 * PG] __attribute__((aligned(PG)));

static const struct range dom_ranges[] = {
	{ DOM_A, dom_buf, 4 * PG },
	{ DOM_A + 0x10000, dom_buf + 4 * PG, 4 * PG },
	{ DOM_B, dom_buf + 8 * PG, 4 * PG },
	{ DOM_A + 0x20000, dom_buf + 8 * PG, 4 * PG },
};

static int dom_step(int s)
{
	switch (s) {
	case 0: return ioas_alloc(&R.ioas[0]);
	case 1: return ioas_alloc(&R.ioas[1]);
	case 2: return ioas_map_fixed(R.ioas[0], DOM_A, dom_buf, 4 * PG);
	/* An auto domain over an IOAS with a mapping: pin and fill. */
	case 3: return mock_domain(R.ioas[0], 0, 0, 0);
	case 4: return ioas_map_fixed(R.ioas[0], DOM_A + 0x10000, dom_buf + 4 * PG, 4 * PG);
	case 5: return mock_domain(R.ioas[1], MOCK_FLAGS_DEVICE_HUGE_IOVA, 1, 1);
	case 6: return ioas_map_fixed(R.ioas[1], DOM_B, dom_buf + 8 * PG, 4 * PG);
	/* A second domain on IOAS 0: fills from the existing pins. */
	case 7: return hwpt_alloc(R.idev[0], R.ioas[0], 0, 0, NULL, 0, 0, 2);
	/* The auto domain loses its last device and goes. */
	case 8: return mock_replace(0, R.hwpt[2]);
	/* Onto IOAS 1: its auto domain, or a new one for this device. */
	case 9: return mock_replace(0, R.ioas[1]);
	case 10: return ioas_unmap(R.ioas[0], DOM_A, 4 * PG);
	case 11: {
		struct iommu_ioas_copy c = {
			.size = sizeof(c),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA,
			.dst_ioas_id = R.ioas[0], .src_ioas_id = R.ioas[1],
			.length = 4 * PG, .src_iova = DOM_B, .dst_iova = DOM_A + 0x20000,
		};
		return fn_ioctl(IOMMU_IOAS_COPY, &c);
	}
	case 12: return mock_domain(R.ioas[0], MOCK_FLAGS_DEVICE_NO_DIRTY, 2, 3);
	case 13: return destroy(R.stdev[1]);
	case 14: return destroy(R.hwpt[2]);
	default: return -1;
	}
}

static uint64_t dom_extra(void)
{
	return map_bits(dom_ranges, 4, 4);
}

static const unsigned int dom_flags[] = { 0, 0, K, 0, K, 0, K, 0, K, K, K, K, 0, 0, 0 };

const struct fn_seq fn_seq_domain = {
	"domains", 15, dom_flags, dom_step, dom_extra,
};

/* ------------------------------------------------------------------ */
/* HWPT_ALLOC (paging, NEST_PARENT, nested), fault queues, invalidation */

#define HW_IOVA MOCK_APERTURE_START
#define HW_IOTLB 0x1234u

static char hw_buf[8 * PG] __attribute__((aligned(PG)));

static int invalidate(uint32_t hwpt, uint32_t flags, uint32_t iotlb_id)
{
	struct iommu_hwpt_invalidate_selftest e = { .flags = flags,
						    .iotlb_id = iotlb_id };
	struct iommu_hwpt_invalidate c = {
		.size = sizeof(c), .hwpt_id = hwpt, .data_uptr = (uintptr_t)&e,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		.entry_len = sizeof(e), .entry_num = 1,
	};

	return fn_ioctl(IOMMU_HWPT_INVALIDATE, &c);
}

static int hw_step(int s)
{
	struct iommu_hwpt_selftest data = { .iotlb = HW_IOTLB };

	switch (s) {
	case 0: return ioas_alloc(&R.ioas[0]);
	case 1: return mock_domain(R.ioas[0], 0, 0, 0);
	case 2: return ioas_map_fixed(R.ioas[0], HW_IOVA, hw_buf, 8 * PG);
	case 3: return hwpt_alloc(R.idev[0], R.ioas[0], 0, 0, NULL, 0, 0, 1);
	case 4: return hwpt_alloc(R.idev[0], R.ioas[0], IOMMU_HWPT_ALLOC_NEST_PARENT,
				  0, NULL, 0, 0, 2);
	case 5: return hwpt_alloc(R.idev[0], R.hwpt[2], 0, IOMMU_HWPT_DATA_SELFTEST,
				  &data, sizeof(data), 0, 3);
	case 6: {
		struct iommu_fault_alloc f = { .size = sizeof(f) };
		int rc = fn_ioctl(IOMMU_FAULT_QUEUE_ALLOC, &f);

		if (!rc) {
			R.fault_id = f.out_fault_id;
			add_fd(R.fault_fd, (int)f.out_fault_fd);
		}
		return rc;
	}
	case 7: return hwpt_alloc(R.idev[0], R.hwpt[2], IOMMU_HWPT_FAULT_ID_VALID,
				  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
				  R.fault_id, 4);
	case 8: return invalidate(R.hwpt[3], 0, 1);
	case 9: return invalidate(R.hwpt[4], IOMMU_TEST_INVALIDATE_FLAG_ALL, 0);
	case 10: return mock_replace(0, R.hwpt[3]);
	case 11: return mock_replace(0, R.hwpt[1]);
	case 12: {
		struct iommu_hw_info h = { .size = sizeof(h), .dev_id = R.idev[0],
					   .data_len = sizeof(struct iommu_test_hw_info) + 8,
					   .data_uptr = (uintptr_t)hw_buf };
		return fn_ioctl(IOMMU_GET_HW_INFO, &h);
	}
	case 13: return destroy(R.hwpt[4]);
	case 14: return ioas_unmap(R.ioas[0], 0, UINT64_MAX);
	default: return -1;
	}
}

static uint64_t hw_extra(void)
{
	static const struct range r = { HW_IOVA, hw_buf, 8 * PG };
	uint64_t bits = map_bits(&r, 1, 3);

	/* Which IOTLB entries of the nested domains still hold HW_IOTLB. */
	for (int h = 3; h <= 4; h++) {
		for (uint32_t i = 0; i <= MOCK_NESTED_DOMAIN_IOTLB_ID_MAX; i++) {
			struct iommu_test_cmd c = {
				.size = sizeof(c), .op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
				.id = R.hwpt[h],
				.check_iotlb = { .id = i, .iotlb = HW_IOTLB },
			};

			if (R.hwpt[h] && !fn_ioctl(IOMMU_TEST_CMD, &c))
				bits |= 1ull << (8 + (h - 3) * 8 + i);
		}
	}
	return bits;
}

static const unsigned int hw_flags[] = { 0, 0, K, 0, 0, 0, 0, 0, K, K, K, K, 0, 0, K };

const struct fn_seq fn_seq_hwpt = {
	"hwpt", 15, hw_flags, hw_step, hw_extra,
};

/* ------------------------------------------------------------------ */
/* dirty tracking */

#define DT_IOVA MOCK_APERTURE_START
#define DT_PAGES 8

static char dt_buf[DT_PAGES * PG] __attribute__((aligned(PG)));
static uint64_t dt_bitmap[2];

/* Bit i: IO page i (the mock driver's index is iova / page_size). */
static int dt_mark(uint16_t bits)
{
	uint64_t map = bits;
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_DIRTY, .id = R.hwpt[1],
		.dirty = { .iova = DT_IOVA, .length = DT_PAGES * PG,
			   .page_size = PG / 2, .uptr = (uintptr_t)&map },
	};

	return fn_ioctl(IOMMU_TEST_CMD, &c);
}

static int dt_read(uint32_t flags, uint64_t *out)
{
	struct iommu_hwpt_get_dirty_bitmap g = {
		.size = sizeof(g), .hwpt_id = R.hwpt[1], .flags = flags,
		.iova = DT_IOVA, .length = DT_PAGES * PG, .page_size = PG,
		.data = (uintptr_t)out,
	};

	*out = 0;
	return fn_ioctl(IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
}

static int dt_track(bool on)
{
	struct iommu_hwpt_set_dirty_tracking t = {
		.size = sizeof(t), .hwpt_id = R.hwpt[1],
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	};

	return fn_ioctl(IOMMU_HWPT_SET_DIRTY_TRACKING, &t);
}

static int dt_step(int s)
{
	switch (s) {
	case 0: return ioas_alloc(&R.ioas[0]);
	case 1: return mock_domain(R.ioas[0], 0, 0, 0);
	case 2: return hwpt_alloc(R.idev[0], R.ioas[0], IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				  0, NULL, 0, 0, 1);
	case 3: return mock_replace(0, R.hwpt[1]);
	case 4: return ioas_map_fixed(R.ioas[0], DT_IOVA, dt_buf, DT_PAGES * PG);
	case 5: return dt_track(true);
	case 6: return dt_mark(0x25);
	case 7: return dt_read(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &dt_bitmap[0]);
	case 8: return dt_read(0, &dt_bitmap[1]);
	case 9: return dt_mark(0x81);
	case 10: return dt_track(false);
	case 11: return ioas_unmap(R.ioas[0], 0, UINT64_MAX);
	default: return -1;
	}
}

static uint64_t dt_extra(void)
{
	static const struct range r = { DT_IOVA, dt_buf, DT_PAGES * PG };
	uint64_t bits = 0;

	/* The dirty bits as a NO_CLEAR read sees them, and the mapping. */
	if (R.hwpt[1])
		dt_read(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &bits);
	return bits | map_bits(&r, 1, 2) << 32;
}

static const unsigned int dt_flags[] = { 0, 0, 0, K, K, 0, K, 0, 0, K, 0, K };

const struct fn_seq fn_seq_dirty = {
	"dirty", 12, dt_flags, dt_step, dt_extra,
};

/* ------------------------------------------------------------------ */
/* accesses */

#define AC_IOVA 0x200000ul

static char ac_buf[4 * PG] __attribute__((aligned(PG)));
static char ac_data[2 * PG];

static int create_access(uint32_t ioas, uint32_t flags, int slot)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas,
		.create_access = { .flags = flags },
	};
	int rc = fn_ioctl(IOMMU_TEST_CMD, &c);

	if (!rc)
		R.access_fd[slot] = (int)c.create_access.out_access_fd;
	return rc;
}

static int access_pages(int slot, uint64_t iova, uint64_t len, uint32_t flags,
			void *uptr, int item)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = (uint32_t)R.access_fd[slot],
		.access_pages = { .flags = flags, .iova = iova, .length = len,
				  .uptr = (uintptr_t)uptr },
	};
	int rc = fn_ioctl(IOMMU_TEST_CMD, &c);

	if (!rc)
		R.item[item] = c.access_pages.out_access_pages_id;
	return rc;
}

static int access_rw(int slot, uint64_t iova, uint64_t len, uint32_t flags)
{
	struct iommu_test_cmd c = {
		.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_RW,
		.id = (uint32_t)R.access_fd[slot],
		.access_rw = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)ac_data, .flags = flags },
	};

	return fn_ioctl(IOMMU_TEST_CMD, &c);
}

static int ac_step(int s)
{
	switch (s) {
	case 0: return ioas_alloc(&R.ioas[0]);
	case 1: return ioas_alloc(&R.ioas[1]);
	case 2: return ioas_map_fixed(R.ioas[0], AC_IOVA, ac_buf, 4 * PG);
	case 3: return ioas_map_fixed(R.ioas[1], AC_IOVA, ac_buf, 4 * PG);
	case 4: return create_access(R.ioas[0], MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, 0);
	case 5: return create_access(R.ioas[0], 0, 1);
	case 6: return access_pages(0, AC_IOVA, 2 * PG, 0, ac_buf, 0);
	case 7: return access_rw(1, AC_IOVA + 100, 64, MOCK_ACCESS_RW_WRITE);
	case 8: return access_rw(1, AC_IOVA + 100, 64, 0);
	case 9: return access_rw(1, AC_IOVA, 2 * PG, MOCK_ACCESS_RW_SLOW_PATH);
	case 10: {
		struct iommu_test_cmd c = {
			.size = sizeof(c), .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
			.id = (uint32_t)R.access_fd[0],
			.destroy_access_pages = { .access_pages_id = R.item[0] },
		};
		return fn_ioctl(IOMMU_TEST_CMD, &c);
	}
	case 11: return access_pages(0, AC_IOVA + PG, 3 * PG, MOCK_FLAGS_ACCESS_WRITE,
				     ac_buf + PG, 1);
	case 12: {
		struct iommu_test_cmd c = {
			.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
			.id = (uint32_t)R.access_fd[0],
			.access_replace_ioas = { .ioas_id = R.ioas[1] },
		};
		return fn_ioctl(IOMMU_TEST_CMD, &c);
	}
	case 13: return access_pages(0, AC_IOVA, PG, 0, ac_buf, 2);
	/* The access gives the pin back when told of the unmap. */
	case 14: return ioas_unmap(R.ioas[1], 0, UINT64_MAX);
	default: return -1;
	}
}

/* The pins on each page of ac_buf (MD_CHECK_REFS), 4 bits a page. */
static uint64_t ac_extra(void)
{
	uint64_t bits = 0;

	for (unsigned int p = 0; p < 4; p++) {
		for (uint32_t refs = 0; refs < 4; refs++) {
			struct iommu_test_cmd c = {
				.size = sizeof(c), .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				.check_refs = { .length = PG,
						.uptr = (uintptr_t)ac_buf + p * PG,
						.refs = refs },
			};

			if (!fn_ioctl(IOMMU_TEST_CMD, &c)) {
				bits |= (uint64_t)(refs + 1) << (4 * p);
				break;
			}
		}
	}
	return bits;
}

static const unsigned int ac_flags[] = { 0, 0, K, K, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, K };

const struct fn_seq fn_seq_access = {
	"access", 15, ac_flags, ac_step, ac_extra,
};

/* ------------------------------------------------------------------ */
/* the VFIO type1 container on the iommufd fd */

/* In the mock aperture, so that a domain can join later. */
#define VF_IOVA (MOCK_APERTURE_START + 0x400000ul)

static char vf_buf[16 * PG] __attribute__((aligned(PG)));

static int vfio_ioas(uint16_t op, uint32_t ioas)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = op, .ioas_id = ioas };

	return fn_ioctl(IOMMU_VFIO_IOAS, &v);
}

static int vfio_map(uint64_t iova, void *va, uint64_t len)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va, .iova = iova, .size = len,
	};

	return fn_ioctl(VFIO_IOMMU_MAP_DMA, &m);
}

static int vfio_unmap(uint64_t iova, uint64_t len, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u), .flags = flags, .iova = iova, .size = len,
	};

	return fn_ioctl(VFIO_IOMMU_UNMAP_DMA, &u);
}

static int vf_step(int s)
{
	switch (s) {
	case 0: return ioas_alloc(&R.ioas[0]);
	case 1: return vfio_ioas(IOMMU_VFIO_IOAS_SET, R.ioas[0]);
	case 2: return vfio_ioas(IOMMU_VFIO_IOAS_GET, 0);
	/* v1: any part of a mapping may be unmapped. */
	case 3: return fn_ioctl(VFIO_SET_IOMMU, (void *)(uintptr_t)VFIO_TYPE1_IOMMU);
	case 4: return vfio_map(VF_IOVA, vf_buf, 8 * PG);
	case 5: return vfio_map(VF_IOVA + 0x100000, vf_buf + 8 * PG, 4 * PG);
	case 6: {
		char info[256];
		struct vfio_iommu_type1_info *i = (void *)info;

		memset(info, 0, sizeof(info));
		i->argsz = sizeof(info);
		return fn_ioctl(VFIO_IOMMU_GET_INFO, i);
	}
	/* Cut twice, unmap the middle. */
	case 7: return vfio_unmap(VF_IOVA + 2 * PG, 2 * PG, 0);
	/* A domain on the compat IOAS: pins and maps every area. */
	case 8: return mock_domain(R.ioas[0], 0, 0, 0);
	case 9: return vfio_map(MOCK_APERTURE_START, vf_buf + 12 * PG, 4 * PG);
	/* Cuts of pinned, mapped areas: the pins are shared, never retaken. */
	case 10: return vfio_unmap(MOCK_APERTURE_START + PG, PG, 0);
	case 11: return vfio_unmap(0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	case 12: return vfio_ioas(IOMMU_VFIO_IOAS_CLEAR, 0);
	default: return -1;
	}
}

static uint64_t vf_extra(void)
{
	static const struct range r[] = {
		{ MOCK_APERTURE_START, vf_buf + 12 * PG, PG },
		{ MOCK_APERTURE_START + PG, vf_buf + 13 * PG, PG },
		{ MOCK_APERTURE_START + 2 * PG, vf_buf + 14 * PG, 2 * PG },
		{ VF_IOVA, vf_buf, 2 * PG },
	};

	return map_bits(r, 4, 1);
}

#define CUT (FN_CUT_MAY_STAY | K)
static const unsigned int vf_flags[] = { 0, 0, 0, 0, 0, 0, 0, CUT, 0, 0, CUT, K, 0 };

const struct fn_seq fn_seq_vfio = {
	"vfio", 13, vf_flags, vf_step, vf_extra,
};
