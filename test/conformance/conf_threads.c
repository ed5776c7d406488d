// SPDX-License-Identifier: MIT
/*
 * Several threads issue commands on one fd at once: each maps, copies and
 * unmaps with automatic IOVAs in a shared IOAS and in a private one, and
 * allocates and destroys IOASes. Every automatic IOVA handed out must be
 * free at that moment (a fixed re-map of it must fail with EEXIST), every
 * unmap must return exactly what that thread mapped, and at the end every
 * object is destroyable and the shared IOAS is empty.
 *
 * Then the last close of the fd races commands on it from other threads:
 * each command completes on the objects as they were (a command under way
 * holds the file, as the kernel's in-flight reference does), or finds the
 * fd closed (EBADF); none finds its objects gone.
 */
#include <pthread.h>

#include "conf.h"

#define NTHREADS 4
#define ITERS 400

static uint32_t shared_ioas;
static char *buf;

static void *worker(void *arg)
{
	uintptr_t me = (uintptr_t)arg;
	uint32_t mine = ioas_alloc(fd);
	uint64_t iovas[8];

	for (int it = 0; it < ITERS; it++) {
		uint32_t ioas = (it & 1) ? mine : shared_ioas;
		int n = 1 + (int)((it + me) % 8);

		for (int i = 0; i < n; i++) {
			iovas[i] = 0;
			assert_int_equal(map(fd, ioas, buf + i * PAGE, PAGE * (1 + i % 3),
					     &iovas[i], RW), 0);
		}
		for (int i = 0; i < n; i++) {
			uint64_t again = iovas[i];

			/* Nobody else got this IOVA. */
			assert_int_equal(map(fd, ioas, buf, PAGE, &again, RW | FIXED),
					 EEXIST);
		}
		/* A copy of our first mapping into our private IOAS. */
		struct iommu_ioas_copy c = { .size = sizeof(c),
					     .flags = IOMMU_IOAS_MAP_READABLE,
					     .dst_ioas_id = mine, .src_ioas_id = ioas,
					     .length = PAGE, .src_iova = iovas[0] };
		assert_int_equal(xioctl(fd, IOMMU_IOAS_COPY, &c), 0);
		for (int i = 0; i < n; i++) {
			uint64_t got;

			assert_int_equal(unmap(fd, ioas, iovas[i], PAGE * (1 + i % 3),
					       &got), 0);
			assert_int_equal(got, PAGE * (1 + i % 3));
		}
		assert_int_equal(unmap(fd, mine, c.dst_iova, PAGE, NULL), 0);
		if (it % 50 == 0) {
			uint32_t t = ioas_alloc(fd);

			assert_int_equal(destroy(fd, t), 0);
		}
	}
	uint64_t left;
	assert_int_equal(unmap(fd, mine, 0, UINT64_MAX, &left), 0);
	assert_int_equal(left, 0);
	assert_int_equal(destroy(fd, mine), 0);
	return NULL;
}

static void test_concurrent(void **state)
{
	pthread_t th[NTHREADS];
	uint64_t left;

	(void)state;
	fd = iommufd_open();
	buf = aligned_buffer(16 * PAGE, PAGE);
	shared_ioas = ioas_alloc(fd);
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(unmap(fd, shared_ioas, 0, UINT64_MAX, &left), 0);
	assert_int_equal(left, 0);
	assert_int_equal(destroy(fd, shared_ioas), 0);
	/* Everything is gone: the lowest id is free again. */
	assert_int_equal(ioas_alloc(fd), 1);
	close(fd);
}

#define CLOSE_ROUNDS 100
#define CLOSE_THREADS 3

static int race_fd;
static uint32_t race_ioas;

static void *racer(void *arg)
{
	struct iommu_iova_range r[4];

	(void)arg;
	for (;;) {
		struct iommu_ioas_iova_ranges q = {
			.size = sizeof(q), .ioas_id = race_ioas, .num_iovas = 4,
			.allowed_iovas = (uintptr_t)r };
		uint64_t iova = 0;
		int rc = xioctl(race_fd, IOMMU_IOAS_IOVA_RANGES, &q);

		if (rc == EBADF)
			return NULL;
		if (rc != 0)
			return (void *)(uintptr_t)rc;
		rc = map(race_fd, race_ioas, buf, PAGE, &iova, RW);
		if (rc == EBADF)
			return NULL;
		if (rc != 0)
			return (void *)(uintptr_t)rc;
		rc = unmap(race_fd, race_ioas, iova, PAGE, NULL);
		if (rc != 0 && rc != EBADF)
			return (void *)(uintptr_t)rc;
	}
}

static void test_close_races_commands(void **state)
{
	(void)state;
	buf = aligned_buffer(16 * PAGE, PAGE);
	for (int round = 0; round < CLOSE_ROUNDS; round++) {
		pthread_t th[CLOSE_THREADS];
		volatile unsigned int spin = 0;

		race_fd = iommufd_open();
		race_ioas = ioas_alloc(race_fd);
		for (int i = 0; i < CLOSE_THREADS; i++)
			assert_int_equal(pthread_create(&th[i], NULL, racer, NULL), 0);
		while (spin < (unsigned int)(round * 997 % 50000))
			spin++;
		assert_int_equal(close(race_fd), 0);
		for (int i = 0; i < CLOSE_THREADS; i++) {
			void *ret;

			pthread_join(th[i], &ret);
			assert_int_equal((uintptr_t)ret, 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_close_races_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
