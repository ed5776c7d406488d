// SPDX-License-Identifier: MIT
/*
 * bench_domain: costs with an IOMMU domain attached, as an ordinary
 * /dev/iommu program, so the same binary runs in the reference kernel and
 * under uiommufd-run (bench/run-domain.sh runs both and compares).
 *
 *   map1g     IOAS_MAP of 1 GiB of 4 KiB pages (already faulted in) with
 *             one mock domain attached: pins, charges and fills the domain;
 *   unmap1g   IOAS_UNMAP of it;
 *   rw4k      IOMMU_TEST_OP_ACCESS_RW reading 4 KiB through an access;
 *   rw64k     the same, 64 KiB;
 *   ioas_cycle4k   IOAS_MAP + IOAS_UNMAP of 4 KiB with the domain;
 *   vfio_map1g, vfio_unmap1g, vfio_cycle4k
 *             the same through the VFIO type1 container ioctls
 *             (VFIO_IOMMU_MAP_DMA / UNMAP_DMA on the IOAS chosen with
 *             IOMMU_VFIO_IOAS).
 *
 * Each is the median of several runs, printed in ns with a ratio
 * (`name ns ratio`): to a memcpy of the same number of bytes measured in
 * the same run, except for vfio_* cases, whose ratio is to the same case
 * through the IOAS path (ioas_cycle4k: to one getppid system call).
 * rw4k and rw64k: the median of 201 rounds of 100 calls, each round
 * followed by 100 memcpys, whose median is the baseline.
 *
 * Usage: bench_domain [--quick]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define GIB (1ul << 30)

static int fd;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_domain: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Median ns of one memcpy of len bytes between two faulted-in buffers. */
static double memcpy_ns(char *dst, const char *src, size_t len, int reps)
{
	double t[64];

	for (int i = 0; i < reps; i++) {
		double t0 = now_ns();

		memcpy(dst, src, len);
		__asm__ volatile("" ::"r"(dst) : "memory");
		t[i] = now_ns() - t0;
	}
	return median(t, reps);
}

#include <sys/syscall.h>

static double cycle_ns(int iters, uint32_t ioas, char *buf, int vfio)
{
	double t[9];

	for (int r = 0; r < 9; r++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			if (vfio) {
				struct vfio_iommu_type1_dma_map m = {
					.argsz = sizeof(m),
					.flags = VFIO_DMA_MAP_FLAG_READ |
						 VFIO_DMA_MAP_FLAG_WRITE,
					.vaddr = (uintptr_t)buf,
					.iova = MOCK_APERTURE_START, .size = 4096 };
				struct vfio_iommu_type1_dma_unmap u = {
					.argsz = sizeof(u),
					.iova = MOCK_APERTURE_START, .size = 4096 };

				check(ioctl(fd, VFIO_IOMMU_MAP_DMA, &m), "MAP_DMA");
				check(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u), "UNMAP_DMA");
			} else {
				struct iommu_ioas_map m = {
					.size = sizeof(m), .ioas_id = ioas,
					.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
						 IOMMU_IOAS_MAP_READABLE |
						 IOMMU_IOAS_MAP_WRITEABLE,
					.user_va = (uintptr_t)buf, .length = 4096,
					.iova = MOCK_APERTURE_START };
				struct iommu_ioas_unmap u = {
					.size = sizeof(u), .ioas_id = ioas,
					.iova = MOCK_APERTURE_START, .length = 4096 };

				check(ioctl(fd, IOMMU_IOAS_MAP, &m), "IOAS_MAP");
				check(ioctl(fd, IOMMU_IOAS_UNMAP, &u), "IOAS_UNMAP");
			}
		}
		t[r] = (now_ns() - t0) / iters;
	}
	return median(t, 9);
}

/* The type1 container's MAP_DMA/UNMAP_DMA against the IOAS path. */
static void vfio_cases(uint32_t ioas, char *buf, size_t len, double ioas_map,
		       double ioas_unmap, int reps, int quick)
{
	struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_SET,
				     .ioas_id = ioas };
	double tmap[16], tunmap[16], ioas_cycle, vfio_cycle, sys;
	int iters = quick ? 2000 : 20000;

	check(ioctl(fd, IOMMU_VFIO_IOAS, &v), "IOMMU_VFIO_IOAS");
	check(ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), "VFIO_SET_IOMMU");
	for (int i = 0; i < reps; i++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)buf, .iova = MOCK_APERTURE_START,
			.size = len };
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u), .iova = MOCK_APERTURE_START,
			.size = len };
		double t0 = now_ns();

		check(ioctl(fd, VFIO_IOMMU_MAP_DMA, &m), "MAP_DMA");
		tmap[i] = now_ns() - t0;
		t0 = now_ns();
		check(ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &u), "UNMAP_DMA");
		tunmap[i] = now_ns() - t0;
	}
	ioas_cycle = cycle_ns(iters, ioas, buf, 0);
	vfio_cycle = cycle_ns(iters, ioas, buf, 1);
	{
		double t0 = now_ns();

		for (int i = 0; i < iters; i++)
			syscall(SYS_getppid);
		sys = (now_ns() - t0) / iters;
	}
	printf("vfio_map%s %.0f %.3f\n", quick ? "128m" : "1g", median(tmap, reps),
	       median(tmap, reps) / ioas_map);
	printf("vfio_unmap%s %.0f %.3f\n", quick ? "128m" : "1g",
	       median(tunmap, reps), median(tunmap, reps) / ioas_unmap);
	printf("ioas_cycle4k %.0f %.2f\n", ioas_cycle, ioas_cycle / sys);
	printf("vfio_cycle4k %.0f %.3f\n", vfio_cycle, vfio_cycle / ioas_cycle);
}

int main(int argc, char **argv)
{
	int quick = 0, reps, rw_reps;
	size_t len;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd ca = { .size = sizeof(ca),
				     .op = IOMMU_TEST_OP_CREATE_ACCESS };
	double tmap[16], tunmap[16], *trw, *tcp, base;
	char *buf, *dst;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: bench_domain [--quick]\n"
			       "Costs with a mock IOMMU domain attached, as an ordinary "
			       "/dev/iommu program\n"
			       "(run under uiommufd-run, or in the reference kernel: "
			       "bench/run-domain.sh runs both).\n"
			       "One line per case, `name ns ratio`:\n"
			       "  map1g, unmap1g   IOAS_MAP/IOAS_UNMAP of 1 GiB of 4 KiB "
			       "pages; ratio to memcpy of 1 GiB\n"
			       "  rw4k, rw64k      IOMMU_TEST_OP_ACCESS_RW; ratio to "
			       "memcpy of the same size\n"
			       "  vfio_map1g, vfio_unmap1g, vfio_cycle4k\n"
			       "                   the same through VFIO type1; ratio "
			       "to the IOAS case\n"
			       "  ioas_cycle4k     a 4 KiB map + unmap; ratio to one "
			       "getppid system call\n"
			       "  --quick  1/8 GiB and fewer repetitions\n");
			return 0;
		} else {
			fprintf(stderr, "bench_domain: unknown argument %s "
				"(try --help)\n", argv[i]);
			return 2;
		}
	}
	reps = quick ? 3 : 7;
	rw_reps = quick ? 21 : 201;
	len = quick ? GIB / 8 : GIB;
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bench_domain: open /dev/iommu: %s: run it under "
			"uiommufd-run -- bench_domain (bench/run-domain.sh does)\n",
			strerror(errno));
		return 1;
	}
	check(ioctl(fd, IOMMU_IOAS_ALLOC, &alloc), "IOAS_ALLOC");
	md.id = alloc.out_ioas_id;
	check(ioctl(fd, IOMMU_TEST_CMD, &md), "MOCK_DOMAIN");
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(buf == MAP_FAILED || dst == MAP_FAILED, "mmap");
	memset(buf, 0x5a, len);
	memset(dst, 0, len);
	trw = calloc(rw_reps, sizeof(*trw));
	tcp = calloc(rw_reps, sizeof(*tcp));
	check(!trw || !tcp, "calloc");

	for (int i = 0; i < reps; i++) {
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = alloc.out_ioas_id,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)buf, .length = len,
			.iova = MOCK_APERTURE_START };
		struct iommu_ioas_unmap u = {
			.size = sizeof(u), .ioas_id = alloc.out_ioas_id,
			.iova = MOCK_APERTURE_START, .length = len };
		double t0 = now_ns();

		check(ioctl(fd, IOMMU_IOAS_MAP, &m), "IOAS_MAP");
		tmap[i] = now_ns() - t0;
		t0 = now_ns();
		check(ioctl(fd, IOMMU_IOAS_UNMAP, &u), "IOAS_UNMAP");
		tunmap[i] = now_ns() - t0;
	}
	base = memcpy_ns(dst, buf, len, reps);
	printf("# %s of %zu MiB with a mock domain; memcpy %.0f ns\n",
	       "IOAS_MAP/UNMAP", len >> 20, base);
	printf("map%s %.0f %.4f\n", quick ? "128m" : "1g", median(tmap, reps),
	       median(tmap, reps) / base);
	printf("unmap%s %.0f %.4f\n", quick ? "128m" : "1g",
	       median(tunmap, reps), median(tunmap, reps) / base);

	/* ACCESS_RW through an access on the same IOAS, 4 KiB and 64 KiB. */
	{
		struct iommu_ioas_map m = {
			.size = sizeof(m), .ioas_id = alloc.out_ioas_id,
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)buf, .length = 1ul << 20,
			.iova = MOCK_APERTURE_START };
		size_t sizes[2] = { 4096, 65536 };

		check(ioctl(fd, IOMMU_IOAS_MAP, &m), "IOAS_MAP");
		ca.id = alloc.out_ioas_id;
		check(ioctl(fd, IOMMU_TEST_CMD, &ca), "CREATE_ACCESS");
		for (int s = 0; s < 2; s++) {
			struct iommu_test_cmd rw = {
				.size = sizeof(rw), .op = IOMMU_TEST_OP_ACCESS_RW,
				.id = ca.create_access.out_access_fd,
				.access_rw = { .iova = MOCK_APERTURE_START,
					       .length = sizes[s],
					       .uptr = (uintptr_t)dst } };
			double b;

			/*
			 * Rounds of 100 ACCESS_RW, then 100 memcpy of the same
			 * size between the same buffers, in turn: load on the
			 * machine falls on both alike, and the clock's own cost
			 * is spread over 100 operations.
			 */
			for (int i = 0; i < rw_reps; i++) {
				double t0 = now_ns();

				for (int k = 0; k < 100; k++)
					check(ioctl(fd, IOMMU_TEST_CMD, &rw),
					      "ACCESS_RW");
				trw[i] = (now_ns() - t0) / 100;
				t0 = now_ns();
				for (int k = 0; k < 100; k++) {
					memcpy(dst, buf, sizes[s]);
					__asm__ volatile("" ::"r"(dst) : "memory");
				}
				tcp[i] = (now_ns() - t0) / 100;
			}
			b = median(tcp, rw_reps);
			printf("rw%zuk %.0f %.2f\n", sizes[s] >> 10,
			       median(trw, rw_reps), median(trw, rw_reps) / b);
		}
	}
	free(trw);
	free(tcp);
	{
		struct iommu_ioas_unmap u = { .size = sizeof(u),
					      .ioas_id = alloc.out_ioas_id,
					      .length = UINT64_MAX };

		check(ioctl(fd, IOMMU_IOAS_UNMAP, &u), "IOAS_UNMAP all");
	}
	vfio_cases(alloc.out_ioas_id, buf, len, median(tmap, reps),
		   median(tunmap, reps), reps, quick);
	return 0;
}
