// SPDX-License-Identifier: MIT
/*
 * IOAS commands: ids, IOVA_RANGES, ALLOW_IOVAS, MAP, UNMAP, COPY and
 * IOMMU_OPTION, with every errno path the kernel has for them when no
 * device is attached. Buffers are 2 MiB aligned plus a 4 KiB offset, so the
 * automatic IOVA alignment (min(roundup_pow_of_two(length), buffer
 * alignment), capped at HPAGE_SIZE) is 4 KiB both in the reference kernel,
 * which has no THP and caps at 4 KiB, and on x86_64 kernels, which cap at
 * 2 MiB.
 */
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/syscall.h>

#include "conf.h"

static char *buf;

static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}
#define BUFSZ (1ul << 20)

static int setup(void **state)
{
	(void)state;
	fd = iommufd_open();
	buf = aligned_buffer(BUFSZ, PAGE);
	return 0;
}

static void test_ids(void **state)
{
	(void)state;
	uint32_t a = ioas_alloc(fd), b = ioas_alloc(fd), c = ioas_alloc(fd);

	assert_int_equal(b, a + 1);
	assert_int_equal(c, a + 2);
	assert_int_equal(destroy(fd, b), 0);
	assert_int_equal(destroy(fd, b), ENOENT);
	assert_int_equal(ioas_alloc(fd), b); /* lowest free id */
	assert_int_equal(destroy(fd, 0), ENOENT);
	assert_int_equal(destroy(fd, 0x7fffffff), ENOENT);
	assert_int_equal(destroy(fd, a), 0);
	assert_int_equal(destroy(fd, b), 0);
	assert_int_equal(destroy(fd, c), 0);
	/* A fresh fd starts from 1. */
	int fd2 = iommufd_open();
	assert_int_equal(ioas_alloc(fd2), 1);
	close(fd2);
}

static void test_iova_ranges(void **state)
{
	(void)state;
	uint32_t ioas = ioas_alloc(fd);
	struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = 4,
					    .allowed_iovas = (uintptr_t)r };

	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.num_iovas, 1);
	assert_int_equal(r[0].start, 0);
	assert_int_equal(r[0].last, UINT64_MAX);
	assert_int_equal(q.out_iova_alignment, 1); /* no domain: byte granular */

	q.num_iovas = 0;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), EMSGSIZE);
	assert_int_equal(q.num_iovas, 1);

	q.num_iovas = 1;
	q.allowed_iovas = 8; /* bad pointer */
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), EFAULT);
	q.ioas_id = 9999;
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), ENOENT);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_allow_iovas(void **state)
{
	(void)state;
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova;
	struct iommu_iova_range r[3] = {
		{ 0x100000, 0x1fffff }, { 0x400000, 0x400000 + 2 * PAGE - 1 },
		{ 0x150000, 0x250000 },
	};

	/* Overlapping ranges, start >= last, bad pointer, bad id. */
	assert_int_equal(allow(fd, ioas, r, 3), EINVAL);
	struct iommu_iova_range bad = { 0x5000, 0x5000 };
	assert_int_equal(allow(fd, ioas, &bad, 1), EINVAL);
	assert_int_equal(allow(fd, ioas, (void *)8, 1), EFAULT);
	assert_int_equal(allow(fd, 9999, r, 1), ENOENT);

	assert_int_equal(allow(fd, ioas, r, 2), 0);
	/* Automatic IOVAs come from the allowed ranges, first fit. */
	iova = 0;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW), 0);
	assert_int_equal(iova, 0x100000);
	assert_int_equal(map(fd, ioas, buf, 0x100000 - PAGE, &iova, RW), 0);
	assert_int_equal(iova, 0x101000);
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW), 0);
	assert_int_equal(iova, 0x400000);
	assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW), ENOSPC);
	/* Fixed IOVAs are not restricted by allowed ranges. */
	iova = 0x800000;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW | FIXED), 0);

	/* The IOVA ranges report is about reserved ranges, not allowed ones. */
	struct iommu_iova_range out[2];
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = 2,
					    .allowed_iovas = (uintptr_t)out };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.num_iovas, 1);

	/* Clearing: num 0 removes the restriction. */
	assert_int_equal(allow(fd, ioas, NULL, 0), 0);
	assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW), 0);
	assert_int_equal(iova, PAGE);
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_map_errors(void **state)
{
	(void)state;
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova;

	/* Neither READABLE nor WRITEABLE. */
	assert_int_equal(map(fd, ioas, buf, PAGE, NULL, 0), EINVAL);
	assert_int_equal(map(fd, ioas, buf, PAGE, NULL, FIXED), EINVAL);
	/* iova or length >= ULONG_MAX. */
	iova = UINT64_MAX;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW | FIXED), EOVERFLOW);
	assert_int_equal(map(fd, ioas, buf, UINT64_MAX, NULL, RW), EOVERFLOW);
	/* Unknown IOAS. */
	assert_int_equal(map(fd, 9999, buf, PAGE, NULL, RW), ENOENT);
	/* Zero length. */
	assert_int_equal(map(fd, ioas, buf, 0, NULL, RW), EINVAL);
	/* uptr + length wraps. */
	struct iommu_ioas_map m = { .size = sizeof(m), .flags = RW,
				    .ioas_id = ioas, .user_va = UINT64_MAX - PAGE,
				    .length = 2 * PAGE };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_MAP, &m), EOVERFLOW);
	/* Huge automatic lengths. */
	assert_int_equal(map(fd, ioas, buf, UINT64_MAX / 2, NULL, RW), EOVERFLOW);
	/* iova + length - 1 wraps. */
	iova = UINT64_MAX - PAGE + 1;
	assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW | FIXED),
			 EOVERFLOW);
	/* Overlap with an area. */
	iova = 0x10000;
	assert_int_equal(map(fd, ioas, buf, 4 * PAGE, &iova, RW | FIXED), 0);
	iova = 0x10000 + 3 * PAGE;
	assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW | FIXED), EEXIST);
	iova = 0x10000 - PAGE;
	assert_int_equal(map(fd, ioas, buf, 2 * PAGE, &iova, RW | FIXED), EEXIST);
	/* Without a domain nothing is pinned: unmapped memory maps. */
	iova = 0x100000;
	assert_int_equal(map(fd, ioas, (void *)0x1000, PAGE, &iova, RW | FIXED), 0);
	/* ... and byte granularity is allowed. */
	iova = 0x200001;
	assert_int_equal(map(fd, ioas, buf + 1, 3, &iova, RW | FIXED), 0);
	uint64_t n;
	assert_int_equal(unmap(fd, ioas, 0x200001, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_auto_iova_sequence(void **state)
{
	(void)state;
	uint32_t ioas = ioas_alloc(fd);
	static const uint64_t lens[] = { PAGE, 2 * PAGE, PAGE, 3 * PAGE,
					 16 * PAGE, 100, PAGE };
	static const uint64_t expect[] = { 0x1000, 0x2000, 0x4000, 0x5000,
					   0x8000, 0x18000, 0x19000 };
	uint64_t iova;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		iova = 0;
		assert_int_equal(map(fd, ioas, buf, lens[i], &iova, RW), 0);
		if (iova != expect[i])
			fail_msg("map %zu of %lu: iova 0x%lx, kernel 0x%lx", i,
				 (unsigned long)lens[i], (unsigned long)iova,
				 (unsigned long)expect[i]);
	}
	/* A hole left by an unmap is reused first fit. */
	assert_int_equal(unmap(fd, ioas, 0x2000, 2 * PAGE, NULL), 0);
	iova = 0;
	assert_int_equal(map(fd, ioas, buf, PAGE, &iova, RW), 0);
	assert_int_equal(iova, 0x2000);
	/* A page offset in the buffer is kept in the IOVA. */
	iova = 0;
	assert_int_equal(map(fd, ioas, buf + 0x10, PAGE, &iova, RW), 0);
	assert_int_equal(iova & (PAGE - 1), 0x10);
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, NULL), 0);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_unmap(void **state)
{
	(void)state;
	uint32_t ioas = ioas_alloc(fd);
	uint64_t iova, n;

	for (int i = 0; i < 4; i++) {
		iova = 0x100000 + i * 4 * PAGE;
		assert_int_equal(map(fd, ioas, buf, 4 * PAGE, &iova, RW | FIXED), 0);
	}
	/* Nothing there. */
	assert_int_equal(unmap(fd, ioas, 0x900000, PAGE, NULL), ENOENT);
	/* Cutting the first area. */
	assert_int_equal(unmap(fd, ioas, 0x100000 + PAGE, 4 * PAGE, NULL), ENOENT);
	assert_int_equal(unmap(fd, ioas, 0x100000, PAGE, NULL), ENOENT);
	/* A range covering area 0 whole and cutting area 1: area 0 goes. */
	assert_int_equal(unmap(fd, ioas, 0x100000, 6 * PAGE, &n), ENOENT);
	assert_int_equal(unmap(fd, ioas, 0x100000, 4 * PAGE, NULL), ENOENT);
	/* A whole area with empty space before it. */
	assert_int_equal(unmap(fd, ioas, 0x100000, 8 * PAGE, &n), 0);
	assert_int_equal(n, 4 * PAGE);
	/* Length zero, overflow. */
	assert_int_equal(unmap(fd, ioas, 0x100000, 0, NULL), EINVAL);
	assert_int_equal(unmap(fd, ioas, UINT64_MAX, PAGE, NULL), EOVERFLOW);
	assert_int_equal(unmap(fd, ioas, PAGE, UINT64_MAX - 1, NULL), EOVERFLOW);
	assert_int_equal(unmap(fd, ioas, 3, UINT64_MAX - 1, NULL), EOVERFLOW);
	/* iova 0 length U64_MAX: all of it, the length returned. */
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 8 * PAGE);
	/* And again on an empty IOAS: success, zero bytes. */
	assert_int_equal(unmap(fd, ioas, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(unmap(fd, 9999, 0, UINT64_MAX, &n), ENOENT);
	assert_int_equal(destroy(fd, ioas), 0);
}

static void test_copy(void **state)
{
	(void)state;
	uint32_t a = ioas_alloc(fd), b = ioas_alloc(fd);
	uint64_t iova, n;

	iova = 0x100000;
	assert_int_equal(map(fd, a, buf, 4 * PAGE, &iova, RW | FIXED), 0);
	iova = 0x104000;
	assert_int_equal(map(fd, a, buf, 4 * PAGE, &iova, IOMMU_IOAS_MAP_READABLE | FIXED), 0);

	/* Across two contiguous areas, automatic destination. */
	iova = 0;
	assert_int_equal(copy(fd, b, a, 0x102000, 4 * PAGE, &iova,
			      IOMMU_IOAS_MAP_READABLE), 0);
	assert_int_equal(iova, PAGE);
	/* It is one range in b made of two areas: a cut is refused. */
	assert_int_equal(unmap(fd, b, PAGE, 2 * PAGE, NULL), 0);
	assert_int_equal(unmap(fd, b, 3 * PAGE, PAGE, NULL), ENOENT);
	assert_int_equal(unmap(fd, b, 3 * PAGE, 2 * PAGE, &n), 0);
	assert_int_equal(n, 2 * PAGE);

	/* Writeable copy of a read-only area. */
	iova = 0x200000;
	assert_int_equal(copy(fd, b, a, 0x104000, PAGE, &iova, RW | FIXED), EPERM);
	/* Source not fully mapped. */
	assert_int_equal(copy(fd, b, a, 0x106000, 4 * PAGE, &iova, RW), ENOENT);
	assert_int_equal(copy(fd, b, a, 0x0ff000, 2 * PAGE, &iova, RW), ENOENT);
	/* Flags, overflow, zero length, ids. */
	assert_int_equal(copy(fd, b, a, 0x100000, PAGE, &iova, 0), EINVAL);
	assert_int_equal(copy(fd, b, a, 0x100000, PAGE, &iova, 1u << 5), EOPNOTSUPP);
	assert_int_equal(copy(fd, b, a, UINT64_MAX, PAGE, &iova, RW), EOVERFLOW);
	assert_int_equal(copy(fd, b, a, 0x100000, 0, &iova, RW), EINVAL);
	assert_int_equal(copy(fd, b, 9999, 0x100000, PAGE, &iova, RW), ENOENT);
	assert_int_equal(copy(fd, 9999, a, 0x100000, PAGE, &iova, RW), ENOENT);
	/* Fixed destination that collides. */
	iova = 0x300000;
	assert_int_equal(copy(fd, b, a, 0x100000, PAGE, &iova, RW | FIXED), 0);
	assert_int_equal(copy(fd, b, a, 0x100000, PAGE, &iova, RW | FIXED), EEXIST);

	/* The source can be unmapped while the copy stays. */
	assert_int_equal(unmap(fd, a, 0, UINT64_MAX, &n), 0);
	assert_int_equal(n, 8 * PAGE);
	assert_int_equal(unmap(fd, b, 0x300000, PAGE, &n), 0);
	assert_int_equal(destroy(fd, a), 0);
	assert_int_equal(destroy(fd, b), 0);
}

static int option(uint32_t id, uint32_t object, uint16_t op, uint64_t *val)
{
	struct iommu_option o = { .size = sizeof(o), .option_id = id,
				  .op = op, .object_id = object,
				  .val64 = val ? *val : 0 };
	int rc = xioctl(fd, IOMMU_OPTION, &o);

	if (!rc && val)
		*val = o.val64;
	return rc;
}

static void test_option(void **state)
{
	(void)state;
	uint64_t v;
	int fresh = iommufd_open(), saved = fd;

	/* RLIMIT_MODE is per context and needs an empty object table to set. */
	fd = fresh;
	v = 7;
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 0, IOMMU_OPTION_OP_GET, &v), 0);
	assert_int_equal(v, 0);
	/* Setting it needs CAP_SYS_RESOURCE, checked before anything else. */
	int setrc = has_cap(CAP_SYS_RESOURCE) ? 0 : EPERM;
	v = 1;
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 0, IOMMU_OPTION_OP_SET, &v), setrc);
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 0, IOMMU_OPTION_OP_GET, &v), 0);
	assert_int_equal(v, setrc ? 0 : 1);
	v = 2;
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 0, IOMMU_OPTION_OP_SET, &v),
			 setrc ? setrc : EINVAL);
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 1, IOMMU_OPTION_OP_GET, &v), EOPNOTSUPP);
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 0, 2, &v), EOPNOTSUPP);
	uint32_t ioas = ioas_alloc(fd);
	v = 0;
	assert_int_equal(option(IOMMU_OPTION_RLIMIT_MODE, 0, IOMMU_OPTION_OP_SET, &v),
			 setrc ? setrc : EBUSY);

	/* HUGE_PAGES is per IOAS. */
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, IOMMU_OPTION_OP_GET, &v), 0);
	assert_int_equal(v, 1);
	v = 0;
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, IOMMU_OPTION_OP_SET, &v), 0);
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, IOMMU_OPTION_OP_GET, &v), 0);
	assert_int_equal(v, 0);
	/* Disabling large pages makes the IOAS page granular. */
	struct iommu_iova_range r;
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ioas,
					    .num_iovas = 1,
					    .allowed_iovas = (uintptr_t)&r };
	assert_int_equal(xioctl(fd, IOMMU_IOAS_IOVA_RANGES, &q), 0);
	assert_int_equal(q.out_iova_alignment, PAGE);
	uint64_t iova = 0x10000;
	assert_int_equal(map(fd, ioas, buf, 100, &iova, RW | FIXED), EINVAL);
	v = 1;
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, IOMMU_OPTION_OP_SET, &v), 0);
	assert_int_equal(map(fd, ioas, buf + 1, 100, &iova, RW | FIXED), 0);
	/* An unaligned area blocks disabling them again. */
	v = 0;
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, IOMMU_OPTION_OP_SET, &v), EADDRINUSE);
	v = 2;
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, IOMMU_OPTION_OP_SET, &v), EINVAL);
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, 9999, IOMMU_OPTION_OP_GET, &v), ENOENT);
	assert_int_equal(option(IOMMU_OPTION_HUGE_PAGES, ioas, 5, &v), EOPNOTSUPP);
	assert_int_equal(option(77, 0, IOMMU_OPTION_OP_GET, &v), EOPNOTSUPP);
	fd = saved;
	close(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_iova_ranges),
		cmocka_unit_test(test_allow_iovas),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_auto_iova_sequence),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_option),
	};

	return cmocka_run_group_tests(tests, setup, ctx_teardown);
}
