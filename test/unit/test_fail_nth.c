// SPDX-License-Identifier: MIT
/*
 * The fail_nth sweep: run one sequence of commands with the Nth failure
 * point failing, for N = 1, 2, ... until the sequence completes without
 * reaching N. At every N: the failing command reports ENOMEM, the state is
 * what it was before that command (objects, areas, pages, invariants), and
 * after teardown every object, area and arena byte is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

static int fd;
static uint32_t ioas[3];
static uint64_t iovas[4];
static char buf[16 * 4096] __attribute__((aligned(4096)));

static int call(unsigned long req, void *arg)
{
	return uiommufd_ioctl(fd, req, arg) ? errno : 0;
}

static int step_alloc(int i)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int rc = call(IOMMU_IOAS_ALLOC, &a);

	if (!rc)
		ioas[i] = a.out_ioas_id;
	return rc;
}

static int step_map(int i, uint32_t flags, uint64_t iova, size_t off, size_t len)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas[0], .iova = iova,
		.flags = flags | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf + off, .length = len,
	};
	int rc = call(IOMMU_IOAS_MAP, &m);

	if (!rc)
		iovas[i] = m.iova;
	return rc;
}

static int run_step(int s)
{
	switch (s) {
	case 0: return step_alloc(0);
	case 1: return step_alloc(1);
	case 2: return step_map(0, IOMMU_IOAS_MAP_FIXED_IOVA, 0x100000, 0, 4 * 4096);
	case 3: return step_map(1, IOMMU_IOAS_MAP_FIXED_IOVA, 0x104000, 4 * 4096, 4 * 4096);
	case 4: return step_map(2, 0, 0, 8 * 4096, 4096);
	case 5: {
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .flags = IOMMU_IOAS_MAP_READABLE,
			.dst_ioas_id = ioas[1], .src_ioas_id = ioas[0],
			.length = 6 * 4096, .src_iova = 0x101000,
		};
		return call(IOMMU_IOAS_COPY, &c);
	}
	case 6: {
		struct iommu_iova_range r[3] = { { 0x10000000, 0x1fffffff },
						 { 0x40000000, 0x4fffffff },
						 { 0x60000000, 0x6fffffff } };
		struct iommu_ioas_allow_iovas a = { .size = sizeof(a),
						    .ioas_id = ioas[0], .num_iovas = 3,
						    .allowed_iovas = (uintptr_t)r };
		return call(IOMMU_IOAS_ALLOW_IOVAS, &a);
	}
	case 7: return step_map(3, 0, 0, 9 * 4096, 2 * 4096);
	case 8: return step_alloc(2);
	case 9: {
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas[0],
					      .iova = 0x100000, .length = 8 * 4096 };
		return call(IOMMU_IOAS_UNMAP, &u);
	}
	case 10: {
		struct iommu_destroy d = { .size = sizeof(d), .id = ioas[2] };
		return call(IOMMU_DESTROY, &d);
	}
	default:
		return -1;
	}
}

#define NSTEPS 11

static void snapshot(struct uiommufd_stats *st)
{
	assert_int_equal(uiommufd_stats(fd, st), 0);
}

/* Returns whether the sequence ran to its end. */
static bool run_sequence(unsigned long long n, bool *reached)
{
	struct uiommufd_stats before, after;
	bool completed = true;

	fd = uiommufd_open(O_RDWR);
	assert_true(fd >= 0);
	memset(ioas, 0, sizeof(ioas));
	uiommufd_fail_nth(n);
	for (int s = 0; s < NSTEPS; s++) {
		snapshot(&before);
		int rc = run_step(s);
		if (rc) {
			if (rc != ENOMEM)
				fail_msg("N=%llu step %d: errno %d, not ENOMEM", n, s, rc);
			snapshot(&after);
			assert_int_equal(after.objects, before.objects);
			assert_int_equal(after.areas, before.areas);
			assert_int_equal(after.pages_objs, before.pages_objs);
			assert_int_equal(uiommufd_check(fd), 0);
			completed = false;
			break;
		}
		assert_int_equal(uiommufd_check(fd), 0);
	}
	*reached = !uiommufd_fail_pending();
	uiommufd_fail_nth(0);
	/* Teardown with injection off: everything must go. */
	for (int i = 0; i < 3; i++) {
		struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas[i],
					      .length = UINT64_MAX };
		struct iommu_destroy d = { .size = sizeof(d), .id = ioas[i] };

		if (!ioas[i])
			continue;
		call(IOMMU_IOAS_UNMAP, &u);
		call(IOMMU_DESTROY, &d);
	}
	snapshot(&after);
	assert_int_equal(after.objects, 0);
	assert_int_equal(after.areas, 0);
	assert_int_equal(after.pages_objs, 0);
	return completed;
}

static void test_sweep(void **state)
{
	unsigned long long n;
	bool reached;

	(void)state;
	/* The uninjected run completes. */
	assert_true(run_sequence(0, &reached));
	assert_int_equal(uiommufd_close(fd), 0);
	for (n = 1; n < 10000; n++) {
		bool done = run_sequence(n, &reached);

		assert_int_equal(uiommufd_close(fd), 0);
		if (done && !reached)
			break;
		assert_true(reached);
	}
	/* Some failure points were swept. */
	assert_true(n > 10);
	printf("fail_nth sweep: %llu failure points\n", n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
