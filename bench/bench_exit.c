// SPDX-License-Identifier: MIT
/*
 * bench_exit: what exiting costs a process that has a VM's worth of memory
 * pinned (a domain attached, all of it mapped). Run under uiommufd-run
 * (bench/run-exit.sh). Each case is a forked child that fills SIZE bytes,
 * maps them into an IOAS with a mock domain, and exits; the parent times
 * fork to waitpid. Printed as ratios to a child that only fills the
 * memory and exits, in the same run:
 *
 *   alone:  the child made the context; no other process can reach it, so
 *           its pinned pages need not outlive it;
 *   shared: the parent holds the context; the child's pinned pages must
 *           outlive it (they are copied at its exit).
 *
 *   bench_exit [MiB] (default 256)
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int domain_ioas(int fd, uint32_t *ioas)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &a))
		return -1;
	md.id = a.out_ioas_id;
	*ioas = a.out_ioas_id;
	return ioctl(fd, IOMMU_TEST_CMD, &md);
}

/* The child: fill, maybe pin through fd (-1: open its own), exit. */
static void child(size_t len, int mode, int fd, uint32_t ioas)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(1);
	memset(p, 0x5a, len);
	if (mode) {
		struct iommu_ioas_map m = {
			.size = sizeof(m),
			.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)p, .length = len };

		if (fd < 0) {
			fd = open("/dev/iommu", O_RDWR);
			if (fd < 0 || domain_ioas(fd, &ioas))
				_exit(2);
		}
		m.ioas_id = ioas;
		if (ioctl(fd, IOMMU_IOAS_MAP, &m))
			_exit(3);
	}
	exit(0);
}

static double run(size_t len, int mode, int fd, uint32_t ioas)
{
	double t0 = now();
	int status;
	pid_t pid = fork();

	if (pid == 0)
		child(len, mode, fd, ioas);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "bench_exit: the child failed\n");
		exit(1);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	size_t len = mib << 20;
	double base = 1e9, alone = 1e9, shared = 1e9;
	uint32_t ioas;
	int fd;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !mib)) {
		printf("usage: bench_exit [MiB]   (under uiommufd-run)\n");
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (fd < 0 || domain_ioas(fd, &ioas)) {
		fprintf(stderr, "bench_exit: no /dev/iommu (run it under uiommufd-run)\n");
		return 1;
	}
	/* Best of three, interleaved. */
	for (int i = 0; i < 3; i++) {
		double t;

		t = run(len, 0, -1, 0);
		base = t < base ? t : base;
		t = run(len, 1, -1, 0);
		alone = t < alone ? t : alone;
		t = run(len, 1, fd, ioas);
		shared = t < shared ? t : shared;
		/* The shared case's area goes before the next round. */
		{
			struct iommu_ioas_unmap u = { .size = sizeof(u),
						      .ioas_id = ioas,
						      .length = UINT64_MAX };

			ioctl(fd, IOMMU_IOAS_UNMAP, &u);
		}
	}
	printf("exit with %zu MiB pinned, context alone = %.2f x exit without (%.0f ms vs %.0f ms)\n",
	       mib, alone / base, alone * 1e3, base * 1e3);
	printf("exit with %zu MiB pinned, context shared = %.2f x exit without (%.0f ms vs %.0f ms)\n",
	       mib, shared / base, shared * 1e3, base * 1e3);
	return 0;
}
