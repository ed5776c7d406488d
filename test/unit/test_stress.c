// SPDX-License-Identifier: MIT
/*
 * Threads against one context through the C API (built with TSan in the
 * test script): each thread maps, copies and unmaps with automatic IOVAs in
 * a shared IOAS and a private one, allocates and destroys IOASes, and runs
 * the invariant checker, for a bounded number of rounds. Afterwards the
 * invariants hold and every counter is back to zero.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#define NTHREADS 4
#define ROUNDS 2000

static int fd;
static uint32_t shared_ioas;
static char page[8 * 4096] __attribute__((aligned(4096)));
static _Atomic int failures;

#define CHECK(e) do { if (!(e)) failures++; } while (0)

static uint32_t alloc_ioas(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &a) == 0);
	return a.out_ioas_id;
}

static void *worker(void *arg)
{
	uint32_t mine = alloc_ioas();

	for (int r = 0; r < ROUNDS; r++) {
		uint32_t ioas = ((uintptr_t)arg + r) & 1 ? mine : shared_ioas;
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = ioas,
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)page + 4096 * (r % 8),
			.length = 4096 * (1 + r % 3),
		};
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m) == 0);
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .flags = IOMMU_IOAS_MAP_READABLE,
			.dst_ioas_id = mine, .src_ioas_id = ioas,
			.length = 4096, .src_iova = m.iova,
		};
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_COPY, &c) == 0);
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
					      .iova = m.iova, .length = m.length };
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0);
		CHECK(u.length == m.length);
		u = (struct iommu_ioas_unmap){ .size = sizeof(u), .ioas_id = mine,
					       .iova = c.dst_iova, .length = 4096 };
		CHECK(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u) == 0);
		if (r % 64 == 0) {
			struct iommu_destroy d = { .size = sizeof(d), .id = alloc_ioas() };

			CHECK(uiommufd_ioctl(fd, IOMMU_DESTROY, &d) == 0);
			CHECK(uiommufd_check(fd) == 0);
		}
	}
	struct iommu_destroy d = { .size = sizeof(d), .id = mine };
	CHECK(uiommufd_ioctl(fd, IOMMU_DESTROY, &d) == 0);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[NTHREADS];
	struct uiommufd_stats st;

	(void)state;
	fd = uiommufd_open(O_RDWR);
	assert_true(fd >= 0);
	shared_ioas = alloc_ioas();
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(failures, 0);
	assert_int_equal(uiommufd_check(fd), 0);
	assert_int_equal(uiommufd_stats(fd, &st), 0);
	assert_int_equal(st.objects, 1);
	assert_int_equal(st.areas, 0);
	assert_int_equal(st.pages_objs, 0);
	assert_int_equal(uiommufd_close(fd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
