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
 * Each ratio's two sides run in alternating rounds of 2,000 operations
 * (400 and 200 rounds), and each side's best round is its cost: load on
 * the machine falls on both sides alike, and the best round is the one
 * it disturbed least.
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

static void ioas_destroy(uint32_t ioas)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .length = UINT64_MAX };
	struct iommu_destroy d = { .size = sizeof(d), .id = ioas };

	check(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), "unmap all");
	check(uiommufd_ioctl(fd, IOMMU_DESTROY, &d), "DESTROY");
}

/* An IOAS already holding `fill` auto-IOVA areas. */
static uint32_t ioas_filled(uint32_t fill)
{
	uint32_t ioas = ioas_alloc();

	for (uint32_t i = 0; i < fill; i++)
		map(ioas, 0, 0);
	return ioas;
}

/* ns per auto-IOVA map + unmap in ioas, over iters. */
static double auto_map_round(uint32_t ioas, int iters)
{
	double t = now_ns();

	for (int i = 0; i < iters; i++)
		unmap(ioas, map(ioas, 0, 0));
	return (now_ns() - t) / iters;
}

/*
 * The scale ratio: rounds alternate between an IOAS of 10 areas and one
 * of `big`, both alive in the same context, so that load on the machine
 * falls on both alike; each side's best round is its cost.
 */
static void scale(uint32_t big, int rounds, int iters)
{
	uint32_t small_ioas = ioas_filled(10), big_ioas = ioas_filled(big);
	double small = 1e18, large = 1e18;

	for (int r = 0; r < rounds; r++) {
		double t = auto_map_round(small_ioas, iters);

		small = t < small ? t : small;
		t = auto_map_round(big_ioas, iters);
		large = t < large ? t : large;
	}
	ioas_destroy(big_ioas);
	ioas_destroy(small_ioas);
	printf("scale: auto-IOVA 4KiB map+unmap with %u areas vs 10 areas: "
	       "ratio %.2f (%.0f ns vs %.0f ns; best of %d interleaved rounds)\n",
	       big, large / small, large, small, rounds);
}

/* ns per getppid() system call, over iters. */
static double syscall_round(int iters)
{
	double t = now_ns();

	for (int i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return (now_ns() - t) / iters;
}

/* ns per fixed-IOVA 4 KiB map + unmap, over iters. */
static double cycle_round(uint32_t ioas, int iters)
{
	double t = now_ns();

	for (int i = 0; i < iters; i++)
		unmap(ioas, map(ioas, 1ull << 20, IOMMU_IOAS_MAP_FIXED_IOVA));
	return (now_ns() - t) / iters;
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
	iters = 2000;

	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = uiommufd_open(O_RDWR | O_CLOEXEC);
	if (buf == MAP_FAILED || fd < 0) {
		perror("bench_ioas: setup");
		return 1;
	}

	scale(big, quick ? 40 : 400, iters);

	/* Interleaved rounds again, each side's best. */
	uint32_t ioas = ioas_alloc();
	double sys = 1e18, best = 1e18;
	int rounds = quick ? 40 : 200;

	for (int r = 0; r < rounds; r++) {
		double t = syscall_round(iters);

		sys = t < sys ? t : sys;
		t = cycle_round(ioas, iters);
		best = t < best ? t : best;
	}
	printf("cycle: fixed 4KiB map+unmap = %.2f x one getppid() syscall "
	       "(%.0f ns vs %.0f ns)\n", best / sys, best, sys);
	uiommufd_close(fd);
	return 0;
}
