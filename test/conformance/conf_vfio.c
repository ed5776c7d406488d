// SPDX-License-Identifier: MIT
/*
 * The VFIO type1 container served by iommufd (IOMMUFD_VFIO_CONTAINER):
 * /dev/vfio/vfio and the same ioctls on /dev/iommu, IOMMU_VFIO_IOAS, and
 * each container ioctl's answers: extensions, SET_IOMMU, GET_INFO with its
 * capability chain and argsz rules, MAP_DMA, UNMAP_DMA in v1 and v2
 * semantics, and the refusals of flags the compat layer does not serve.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "conf.h"

static uint32_t ioas;
static char *buf;

static long ext(int f, unsigned long e)
{
	return vioctl(f, VFIO_CHECK_EXTENSION, (void *)e);
}

static long set_iommu(int f, unsigned long type)
{
	return vioctl(f, VFIO_SET_IOMMU, (void *)type);
}

static int setup(void **state)
{
	(void)state;
	fd = iommufd_open();
	ioas = ioas_alloc(fd);
	buf = aligned_buffer(1ul << 20, 0);
	return 0;
}

static void test_container_node(void **state)
{
	struct iommu_option o = { .size = sizeof(o),
				  .option_id = IOMMU_OPTION_RLIMIT_MODE,
				  .op = IOMMU_OPTION_OP_GET };
	static const long want[13] = { 0, 1, 0, 1, -ENODEV, 0, 0, 0, 0, 1, 0, 0, 0 };
	struct stat st;
	int c;

	(void)state;
	assert_int_equal(stat("/dev/vfio/vfio", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 10);
	assert_int_equal(minor(st.st_rdev), 196);
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	assert_true(c >= 0);
	assert_int_equal(fstat(c, &st), 0);
	assert_int_equal(minor(st.st_rdev), 196);
	assert_int_equal(vioctl(c, VFIO_GET_API_VERSION, NULL), VFIO_API_VERSION);
	/* CC needs the compat IOAS, which a fresh container has not. */
	for (unsigned long e = 0; e <= 12; e++)
		assert_int_equal(ext(c, e), want[e]);
	assert_int_equal(set_iommu(c, VFIO_TYPE1v2_IOMMU), -ENODEV);
	assert_int_equal(set_iommu(c, 7), -EINVAL);
	{
		struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

		assert_int_equal(vioctl(c, VFIO_IOMMU_GET_INFO, &info), -ENODEV);
	}
	assert_int_equal(vmap(fd, buf, 0x100000, PAGE, 3), -ENODEV); /* on fd: same */
	/* The dirty-pages ioctl is not served: ENOTTY. */
	assert_int_equal(vioctl(c, VFIO_IOMMU_DIRTY_PAGES, buf), -ENOTTY);
	/* /dev/vfio/vfio charges pins per process, /dev/iommu per user. */
	assert_int_equal(vioctl(c, IOMMU_OPTION, &o), 0);
	assert_int_equal(o.val64, 1);
	assert_int_equal(vioctl(fd, IOMMU_OPTION, &o), 0);
	assert_int_equal(o.val64, 0);
	close(c);
}

static void test_vfio_ioas(void **state)
{
	uint32_t id = 0;

	(void)state;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), -ENODEV);
	assert_int_equal(vfio_ioas(fd, 3, &id), -EOPNOTSUPP);
	id = 99;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), -ENOENT);
	id = ioas;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), 0);
	id = 0;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), 0);
	assert_int_equal(id, ioas);
	{
		struct iommu_vfio_ioas v = { .size = sizeof(v),
					     .op = IOMMU_VFIO_IOAS_GET,
					     .__reserved = 1 };

		assert_int_equal(vioctl(fd, IOMMU_VFIO_IOAS, &v), -EOPNOTSUPP);
	}
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, NULL), 0);
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), -ENODEV);
	/* Destroying the compat IOAS clears it. */
	id = ioas;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), 0);
	assert_int_equal(destroy(fd, ioas), 0);
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), -ENODEV);
}

/* GET_INFO into a buffer of argsz bytes; returns rc, fills *info. */
static long get_info(uint32_t argsz, unsigned char *b, size_t blen)
{
	memset(b, 0xee, blen);
	((struct vfio_iommu_type1_info *)b)->argsz = argsz;
	return vioctl(fd, VFIO_IOMMU_GET_INFO, b);
}

static void test_get_info(void **state)
{
	unsigned char b[512];
	struct vfio_iommu_type1_info *info = (void *)b;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info_cap_iova_range *range;
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	uint32_t id = ioas;

	(void)state;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), 0);
	assert_int_equal(ext(fd, VFIO_DMA_CC_IOMMU), 1);
	assert_int_equal(get_info(8, b, sizeof(b)), -EINVAL);
	/* The minimum: flags and page sizes, argsz says what all would take. */
	assert_int_equal(get_info(16, b, sizeof(b)), 0);
	assert_int_equal(info->argsz, 72);
	assert_int_equal(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	assert_int_equal(info->iova_pgsizes, 0xfffffffffffff000ull);
	assert_int_equal(info->cap_offset, 0xeeeeeeee); /* not written */
	/* Too small for the caps: none is announced, what fits is written. */
	assert_int_equal(get_info(40, b, sizeof(b)), 0);
	assert_int_equal(info->cap_offset, 0);
	assert_int_equal(b[24], VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	assert_int_equal(b[40], 0xee);
	/* Room for all: DMA_AVAIL, then the IOVA ranges. */
	assert_int_equal(get_info(sizeof(b), b, sizeof(b)), 0);
	assert_int_equal(info->argsz, 72);
	assert_int_equal(info->cap_offset, 24);
	avail = (void *)(b + 24);
	assert_int_equal(avail->header.id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	assert_int_equal(avail->header.version, 1);
	assert_int_equal(avail->header.next, 40);
	assert_int_equal(avail->avail, UINT32_MAX);
	range = (void *)(b + 40);
	assert_int_equal(range->header.id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	assert_int_equal(range->header.next, 0);
	assert_int_equal(range->nr_iovas, 1);
	assert_int_equal(range->iova_ranges[0].start, 0);
	assert_int_equal(range->iova_ranges[0].end, UINT64_MAX);

	/* A mock domain: its page size, its aperture, and no CC. */
	md.id = ioas;
	assert_int_equal(vioctl(fd, IOMMU_TEST_CMD, &md), 0);
	assert_int_equal(ext(fd, VFIO_DMA_CC_IOMMU), 0);
	assert_int_equal(get_info(sizeof(b), b, sizeof(b)), 0);
	assert_int_equal(info->iova_pgsizes, PAGE);
	assert_int_equal(range->nr_iovas, 1);
	assert_int_equal(range->iova_ranges[0].start, MOCK_APERTURE_START);
	assert_int_equal(range->iova_ranges[0].end, MOCK_APERTURE_LAST);
	assert_int_equal(destroy(fd, md.mock_domain.out_stdev_id), 0);
}

static void test_map_unmap_v2(void **state)
{
	struct vfio_iommu_type1_dma_map small = { .argsz = 16 };
	uint32_t id = ioas;
	uint64_t n;

	(void)state;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), 0);
	assert_int_equal(set_iommu(fd, VFIO_TYPE1v2_IOMMU), 0);
	/* VADDR (and any other flag) refused; no flags maps nothing usable but maps. */
	assert_int_equal(vmap(fd, buf, 0x100000, 65536, VFIO_DMA_MAP_FLAG_VADDR), -EINVAL);
	assert_int_equal(vmap(fd, buf, 0x100000, 65536, 3), 0);
	assert_int_equal(vmap(fd, buf, 0x200000, 65536, 0), 0);
	assert_int_equal(vioctl(fd, VFIO_IOMMU_MAP_DMA, &small), -EINVAL);
	/* v2: a range that cuts a mapping unmaps nothing. */
	assert_int_equal(vunmap(fd, 0x100000, PAGE, 0, &n), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(vunmap(fd, 0x100000, 65536,
				VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, &n), -EINVAL);
	assert_int_equal(vunmap(fd, 0x100000, 65536, VFIO_DMA_UNMAP_FLAG_VADDR, &n), -EINVAL);
	assert_int_equal(vunmap(fd, 0x100000, 1, VFIO_DMA_UNMAP_FLAG_ALL, &n), -EINVAL);
	assert_int_equal(vunmap(fd, 0, 0x180000, 0, &n), 0);
	assert_int_equal(n, 0x10000);
	assert_int_equal(vunmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n), 0);
	assert_int_equal(n, 0x10000);
}

static void test_map_unmap_v1(void **state)
{
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	uint32_t id = ioas;
	uint64_t n;

	(void)state;
	assert_int_equal(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), 0);
	md.id = ioas;
	assert_int_equal(vioctl(fd, IOMMU_TEST_CMD, &md), 0);
	assert_int_equal(set_iommu(fd, VFIO_TYPE1_IOMMU), 0);
	/* TYPE1 may unmap inside a mapping: it is cut. */
	assert_int_equal(vmap(fd, buf, MOCK_APERTURE_START, 65536, 3), 0);
	assert_int_equal(vunmap(fd, MOCK_APERTURE_START + PAGE, 2 * PAGE, 0, &n), 0);
	assert_int_equal(n, 2 * PAGE);
	assert_int_equal(vunmap(fd, MOCK_APERTURE_START, 65536, 0, &n), 0);
	assert_int_equal(n, 65536 - 2 * PAGE);
	assert_int_equal(vunmap(fd, MOCK_APERTURE_START + 2048, 2048, 0, &n), 0);
	assert_int_equal(n, 0);
	/* Large pages stay off after switching to v2. */
	assert_int_equal(set_iommu(fd, VFIO_TYPE1v2_IOMMU), 0);
	assert_int_equal(vmap(fd, buf, MOCK_APERTURE_START, 65536, 3), 0);
	assert_int_equal(vunmap(fd, MOCK_APERTURE_START + PAGE, 2 * PAGE, 0, &n), 0);
	assert_int_equal(n, 2 * PAGE);
	assert_int_equal(destroy(fd, md.mock_domain.out_stdev_id), 0);
	assert_int_equal(vunmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &n), 0);
	assert_int_equal(n, 65536 - 2 * PAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_container_node, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_vfio_ioas, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_get_info, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_map_unmap_v2, setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_map_unmap_v1, setup, ctx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
