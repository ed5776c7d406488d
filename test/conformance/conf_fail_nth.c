// SPDX-License-Identifier: MIT
/*
 * Fault injection the kernel's way: /proc/self/task/TID/fail-nth, as the
 * kernel's iommufd_fail_nth selftest drives it. For N = 1, 2, ... the
 * test arms the Nth failure point of this thread, runs a sequence of
 * commands, disarms, and reads back what is left: "0" means the Nth point
 * was reached and failed; anything else means the sequence ran through
 * without reaching it, and the sweep is over. After every run the state
 * must still be usable: each object the sequence made is destroyed, the
 * context closes, and a fresh sequence works.
 *
 * Sequences: the IOAS uAPI, a mock domain with an IOAS mapped into it, an
 * access with ACCESS_RW and ACCESS_PAGES, and the VFIO type1 compat on
 * /dev/iommu. In the reference kernel every slab and page allocation and
 * user copy of the calls counts; under uiommufd its own failure points do
 * (docs: lib/kernel/fail.c). Both must go through cleanly.
 */
#include "conf.h"

#include <stdbool.h>
#include <sys/syscall.h>

#define MAX_ITER 2000

static int nth_fd = -1;
static char *buf;

static int nth_setup(void **state)
{
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
	nth_fd = open(path, O_RDWR | O_CLOEXEC);
	buf = aligned_buffer(1 << 20, 0);
	return 0;
}

static void nth_arm(unsigned int n)
{
	char num[16];
	int len = snprintf(num, sizeof(num), "%u", n);

	assert_int_equal(pwrite(nth_fd, num, (size_t)len, 0), len);
}

/* Disarm; true if the armed point was reached (it read "0"). */
static bool nth_fired(void)
{
	char num[16] = "";
	ssize_t r = pread(nth_fd, num, sizeof(num) - 1, 0);

	assert_int_equal(pwrite(nth_fd, "0", 1, 0), 1);
	assert_true(r >= 2);
	return !strcmp(num, "0\n");
}

typedef int (*sequence_fn)(int fd);

/* IOAS_ALLOC that may fail: the id, or 0. */
static uint32_t try_ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	return xioctl(fd, IOMMU_IOAS_ALLOC, &a) ? 0 : a.out_ioas_id;
}

static int seq_ioas(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	uint64_t iova = 0, iova2 = 0x40000000;
	int rc;

	rc = xioctl(fd, IOMMU_IOAS_ALLOC, &a);
	if (rc)
		return rc;
	rc = map(fd, a.out_ioas_id, buf, 256 * 1024, &iova, RW);
	if (!rc)
		rc = map(fd, a.out_ioas_id, buf, 256 * 1024, &iova2, RW | FIXED);
	if (!rc)
		rc = unmap(fd, a.out_ioas_id, iova, 256 * 1024, NULL);
	if (!rc)
		rc = unmap(fd, a.out_ioas_id, 0, UINT64_MAX, NULL);
	return rc;
}

static int seq_domain(int fd)
{
	struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas;
	int rc;

	ioas = try_ioas_alloc(fd);
	if (!ioas)
		return -1;
	rc = map(fd, ioas, buf, 512 * 1024, &iova, RW | FIXED);
	if (rc)
		return rc;
	md.id = ioas;
	rc = test_cmd(fd, &md);
	if (rc)
		return rc;
	iova = MOCK_APERTURE_START + (1 << 20);
	rc = map(fd, ioas, buf, 256 * 1024, &iova, RW | FIXED);
	if (!rc)
		rc = check_map(fd, md.mock_domain.out_hwpt_id, iova, buf, 256 * 1024);
	if (!rc)
		rc = destroy(fd, md.mock_domain.out_stdev_id);
	return rc;
}

static int seq_access(int fd)
{
	uint64_t iova = MOCK_APERTURE_START;
	uint32_t ioas, item;
	char tmp[64];
	int afd = -1, rc;

	ioas = try_ioas_alloc(fd);
	if (!ioas)
		return -1;
	rc = map(fd, ioas, buf, 256 * 1024, &iova, RW | FIXED);
	if (!rc)
		rc = create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd);
	if (!rc)
		rc = access_rw(fd, afd, iova + 100, tmp, sizeof(tmp), 0);
	if (!rc)
		rc = access_pages(fd, afd, iova, 4 * PAGE, buf, 0, &item);
	if (!rc)
		rc = unpin(fd, afd, item);
	if (afd >= 0)
		close(afd);
	return rc;
}

static int seq_vfio(int fd)
{
	uint32_t ioas = try_ioas_alloc(fd);
	int rc;

	if (!ioas)
		return -1;
	/* The compat IOAS, as a group's SET_CONTAINER makes it. */
	rc = (int)vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas);
	if (!rc)
		rc = (int)vioctl(fd, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU);
	if (rc)
		return rc;
	rc = (int)vmap(fd, buf, 0x100000, 256 * 1024,
		       VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	if (!rc)
		rc = (int)vunmap(fd, 0x100000, 256 * 1024, 0, NULL);
	return rc;
}

/* Sweep one sequence: every N until one runs through. */
static void sweep(sequence_fn seq)
{
	unsigned int n, failed = 0;

	if (nth_fd < 0)
		skip(); /* no fault injection (debugfs) here */
	for (n = 1; n < MAX_ITER; n++) {
		int fd = iommufd_open(), rc;
		bool fired;

		nth_arm(n);
		rc = seq(fd);
		fired = nth_fired();
		/* A run that did not reach N must have succeeded. */
		if (!fired) {
			assert_int_equal(rc, 0);
			assert_int_equal(close(fd), 0);
			break;
		}
		failed += rc != 0;
		/* Whatever it left is released with the context. */
		assert_int_equal(close(fd), 0);
		/* And a fresh run goes through. */
		fd = iommufd_open();
		assert_int_equal(seq(fd), 0);
		assert_int_equal(close(fd), 0);
	}
	assert_true(n > 1);
	assert_true(n < MAX_ITER);
	print_message("# %u failure points swept, %u failed the sequence\n",
		      n - 1, failed);
}

static void test_ioas(void **state)
{
	(void)state;
	sweep(seq_ioas);
}

static void test_domain(void **state)
{
	(void)state;
	sweep(seq_domain);
}

static void test_access(void **state)
{
	(void)state;
	sweep(seq_access);
}

static void test_vfio_compat(void **state)
{
	(void)state;
	sweep(seq_vfio);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioas),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_vfio_compat),
	};

	return cmocka_run_group_tests(tests, nth_setup, NULL);
}
