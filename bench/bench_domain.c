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
 *   rw64k     the same, 64 KiB.
 *
 * Each is the median of several runs, printed in ns with its ratio to a
 * memcpy of the same number of bytes measured in the same run
 * (`name ns ratio_to_memcpy`).
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

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	int reps = quick ? 3 : 7, rw_reps = quick ? 201 : 2001;
	size_t len = quick ? GIB / 8 : GIB;
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_test_cmd ca = { .size = sizeof(ca),
				     .op = IOMMU_TEST_OP_CREATE_ACCESS };
	double tmap[16], tunmap[16], *trw, base;
	char *buf, *dst;

	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	check(fd < 0, "open /dev/iommu");
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

			for (int i = 0; i < rw_reps; i++) {
				double t0 = now_ns();

				check(ioctl(fd, IOMMU_TEST_CMD, &rw), "ACCESS_RW");
				trw[i] = now_ns() - t0;
			}
			{
				double tb[64];

				for (int i = 0; i < 63; i++) {
					double t0 = now_ns();

					memcpy(dst, buf, sizes[s]);
					__asm__ volatile("" ::"r"(dst) : "memory");
					tb[i] = now_ns() - t0;
				}
				b = median(tb, 63);
			}
			printf("rw%zuk %.0f %.2f\n", sizes[s] >> 10,
			       median(trw, rw_reps), median(trw, rw_reps) / b);
		}
	}
	free(trw);
	return 0;
}
