// SPDX-License-Identifier: MIT
/*
 * bench_ioas: the cost of IOAS_MAP and IOAS_UNMAP, in process, through the
 * C API (no preload layer).
 *
 *  1. scale: a 4 KiB map + unmap with automatic IOVA into an IOAS that holds
 *     N other areas, for N = 10 and N = 1,000,000. Printed as the ratio of
 *     the two: 1.0 means the cost does not grow with the number of areas.
 *  2. cycle: a 4 KiB fixed-IOVA map + unmap cycle, printed against the cost
 *     of one trivial system call measured in the same run (the machine is
 *     noisy; ratios drift far less than absolute times).
 *
 * Usage: bench_ioas [--quick]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

static int fd;
static char *buf;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_ioas: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc c = { .size = sizeof(c) };

	check(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &c), "IOAS_ALLOC");
	return c.out_ioas_id;
}

static uint64_t map(uint32_t ioas, uint64_t iova, uint32_t flags)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)buf,
		.length = 4096, .iova = iova,
		.flags = flags | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
	};

	check(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m), "IOAS_MAP");
	return m.iova;
}

static void unmap(uint32_t ioas, uint64_t iova)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = iova, .length = 4096 };

	check(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), "IOAS_UNMAP");
}

/* ns per auto-IOVA map + unmap in an IOAS already holding `fill` areas. */
static double auto_map_cost(uint32_t fill, int iters)
{
	uint32_t ioas = ioas_alloc();
	double best = 1e18;

	for (uint32_t i = 0; i < fill; i++)
		map(ioas, 0, 0);
	for (int round = 0; round < 5; round++) {
		double t = now_ns();

		for (int i = 0; i < iters; i++)
			unmap(ioas, map(ioas, 0, 0));
		t = (now_ns() - t) / iters;
		if (t < best)
			best = t;
	}
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .length = UINT64_MAX };
	check(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), "unmap all");
	struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
	check(uiommufd_ioctl(fd, IOMMU_DESTROY, &d), "DESTROY");
	return best;
}

static double syscall_cost(int iters)
{
	double best = 1e18;

	for (int round = 0; round < 5; round++) {
		double t = now_ns();

		for (int i = 0; i < iters; i++)
			syscall(SYS_getppid);
		t = (now_ns() - t) / iters;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	int quick = 0;
	uint32_t big;
	int iters;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: bench_ioas [--quick]\n"
			       "IOAS_MAP and IOAS_UNMAP through the C API, in process:\n"
			       "  scale: a 4 KiB automatic-IOVA map + unmap into an IOAS "
			       "of 1,000,000 areas,\n"
			       "         as a ratio to the same with 10 areas (1.0: no "
			       "growth with the areas)\n"
			       "  cycle: a 4 KiB fixed-IOVA map + unmap, as a ratio to "
			       "one getppid system call\n"
			       "  --quick  100,000 areas and fewer iterations\n");
			return 0;
		} else {
			fprintf(stderr, "bench_ioas: unknown argument %s "
				"(try --help)\n", argv[i]);
			return 2;
		}
	}
	big = quick ? 100000 : 1000000;
	iters = quick ? 20000 : 200000;

	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = uiommufd_open(O_RDWR | O_CLOEXEC);
	if (buf == MAP_FAILED || fd < 0) {
		perror("bench_ioas: setup");
		return 1;
	}

	double small = auto_map_cost(10, iters);
	double large = auto_map_cost(big, iters);
	printf("scale: auto-IOVA 4KiB map+unmap with %u areas vs 10 areas: "
	       "ratio %.2f (%.0f ns vs %.0f ns)\n", big, large / small, large,
	       small);

	uint32_t ioas = ioas_alloc();
	double sys = syscall_cost(iters);
	double best = 1e18;
	for (int round = 0; round < 5; round++) {
		double t = now_ns();

		for (int i = 0; i < iters; i++)
			unmap(ioas, map(ioas, 1ull << 20, IOMMU_IOAS_MAP_FIXED_IOVA));
		t = (now_ns() - t) / iters;
		if (t < best)
			best = t;
	}
	printf("cycle: fixed 4KiB map+unmap = %.2f x one getppid() syscall "
	       "(%.0f ns vs %.0f ns)\n", best / sys, best, sys);
	uiommufd_close(fd);
	return 0;
}
