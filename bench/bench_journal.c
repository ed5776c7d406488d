// SPDX-License-Identifier: MIT
/*
 * bench_journal: what the undo journal (docs/DESIGN.md, "Crash safety")
 * costs the fixed 4 KiB map + unmap cycle of bench_ioas, in process. The
 * same cycle runs with the journal and without it (uio_j_off: the saves
 * then cost their test of the thread's journal only), in alternating
 * rounds of the same run, timed by the thread's CPU clock; the ratio is
 * printed, with the record bytes each command of the cycle journals.
 * Linked with the core itself (its internals), not the shared library.
 *
 * Usage: bench_journal [--quick]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <uiommufd/uapi.h>
#include <uiommufd/uiommufd.h>

#include "core.h"
#include "fdtable.h"

static int fd;
static char *buf;

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_journal: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static void map(uint32_t ioas)
{
	struct iommu_ioas_map m = {
		.size = sizeof(m), .ioas_id = ioas, .user_va = (uintptr_t)buf,
		.length = 4096, .iova = 1ull << 20,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
	};

	check(uiommufd_ioctl(fd, IOMMU_IOAS_MAP, &m), "IOAS_MAP");
}

static void unmap(uint32_t ioas)
{
	struct iommu_ioas_unmap u = { .size = sizeof(u), .ioas_id = ioas,
				      .iova = 1ull << 20, .length = 4096 };

	check(uiommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &u), "IOAS_UNMAP");
}

static double cycle(uint32_t ioas, int iters)
{
	double t = cpu_ns();

	for (int i = 0; i < iters; i++) {
		map(ioas);
		unmap(ioas);
	}
	return (cpu_ns() - t) / iters;
}

/* The record bytes of one command: the journal's high-water mark. */
static uint64_t record_bytes(struct uio_ctx *ctx, uint32_t ioas, bool do_map)
{
	ctx->journal.high = 0;
	if (do_map)
		map(ioas);
	else
		unmap(ioas);
	return ctx->journal.high;
}

int main(int argc, char **argv)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	double on = 1e18, off = 1e18;
	struct uio_ctx *ctx;
	int iters = 200000;
	uint64_t mb, ub;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			iters = 20000;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: bench_journal [--quick]\n"
			       "The undo journal's cost: a 4 KiB fixed-IOVA map + "
			       "unmap through the C API,\n"
			       "with the journal as a ratio to the same without it "
			       "(thread CPU time,\n"
			       "alternating rounds of one run), and the record bytes "
			       "of each command\n"
			       "  --quick  fewer iterations\n");
			return 0;
		} else {
			fprintf(stderr, "bench_journal: unknown argument %s "
				"(try --help)\n", argv[i]);
			return 2;
		}
	}
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = uiommufd_open(O_RDWR | O_CLOEXEC);
	if (buf == MAP_FAILED || fd < 0) {
		perror("bench_journal: setup");
		return 1;
	}
	check(uiommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &a), "IOAS_ALLOC");
	uio_core_enter();
	ctx = uio_fd_lookup(fd);
	/* Warm: the process record, the arena's free blocks. */
	cycle(a.out_ioas_id, iters / 10);
	mb = record_bytes(ctx, a.out_ioas_id, true);
	ub = record_bytes(ctx, a.out_ioas_id, false);
	for (int round = 0; round < 10; round++) {
		double t;

		uio_j_off = round % 2;
		t = cycle(a.out_ioas_id, iters / 5);
		if (uio_j_off && t < off)
			off = t;
		if (!uio_j_off && t < on)
			on = t;
	}
	uio_j_off = false;
	uio_core_leave();
	printf("journal: fixed 4KiB map+unmap with the undo journal = %.2f x "
	       "without (%.0f ns vs %.0f ns, thread CPU); records: map %llu "
	       "bytes, unmap %llu bytes\n", on / off, on, off,
	       (unsigned long long)mb, (unsigned long long)ub);
	uiommufd_close(fd);
	return 0;
}
