// SPDX-License-Identifier: MIT
/*
 * bench_close: what a context's last close costs, as an ordinary
 * /dev/iommu program (run it under uiommufd-run). The last close of a
 * context releases it and forgets what the process cached about its fds;
 * that must cost O(the context's own fds and objects), never a pass over
 * the process's whole fd -> file table (65,536 slots).
 *
 * Three closes, in alternating rounds of one run, each round's median:
 *   last    close() of the only fd of a context holding one IOAS;
 *   other   close() of a dup of a context's fd, the context staying open;
 *   plain   close() of a memfd;
 *   scan    for scale, a pass over 65,536 atomic slots forgetting each
 *           as the table forgets an fd: what the release adds to a close
 *           is printed against it.
 * Printed as ratios: last against other (what the release adds to a close
 * of the same file), and both against plain, which under uiommufd-run is
 * the close of a file not uiommufd's, its first sight included. With
 * `--fds N` (default 0; at most RLIMIT_NOFILE's hard limit less 64) the
 * process holds N more fds, each seen once, so the table holds them too:
 * the last close must not cost more for them.
 *
 * Usage: bench_close [--quick] [--fds N]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "bench_close: %s: %s\n", what, strerror(errno));
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

/* A context with one IOAS, as a program's would have. */
static int ctx_open(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "bench_close: open /dev/iommu: %s: run it under "
			"uiommufd-run -- bench_close\n", strerror(errno));
		exit(1);
	}
	check(ioctl(fd, IOMMU_IOAS_ALLOC, &a), "IOAS_ALLOC");
	return fd;
}

/*
 * For scale: one pass over 65,536 atomic 32-bit slots, each forgotten as
 * the fd -> file table forgets an fd (a generation bump, a store): the
 * least a scan of the whole table on every last close would add.
 */
static _Atomic uint32_t slots[65536];
static _Atomic unsigned long gen;

static double time_scan(void)
{
	double t0 = now_ns();

	for (int i = 0; i < 65536; i++) {
		atomic_fetch_add(&gen, 1);
		atomic_store_explicit(&slots[i], 0, memory_order_release);
	}
	return now_ns() - t0;
}

static double time_close(int fd)
{
	double t0 = now_ns();

	check(close(fd), "close");
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	int rounds = 301, nfds = 0;
	double *tl, *to, *tp, *ts, last, other, plain, scan;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			rounds = 31;
		} else if (!strcmp(argv[i], "--fds") && i + 1 < argc) {
			nfds = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: bench_close [--quick] [--fds N]   (under "
			       "uiommufd-run)\n"
			       "A context's last close against the close of "
			       "another fd of it and against close() of a memfd,\n"
			       "medians of alternating rounds (--quick: 31, else "
			       "301); --fds N: with N more fds open\n");
			return 0;
		} else {
			fprintf(stderr, "bench_close: unknown argument %s "
				"(try --help)\n", argv[i]);
			return 2;
		}
	}
	if (nfds > 0) {
		struct rlimit rl;
		int base = open("/dev/null", O_RDONLY | O_CLOEXEC);

		check(base < 0, "open /dev/null");
		check(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
		if (rl.rlim_max < (rlim_t)nfds + 64)
			nfds = rl.rlim_max > 64 ? (int)(rl.rlim_max - 64) : 0;
		if (rl.rlim_cur < (rlim_t)nfds + 64) {
			rl.rlim_cur = (rlim_t)nfds + 64 < rl.rlim_max ?
				      (rlim_t)nfds + 64 : rl.rlim_max;
			check(setrlimit(RLIMIT_NOFILE, &rl), "setrlimit");
		}
		/* Each used once, so the fd -> file table knows it. */
		for (int i = 0; i < nfds; i++) {
			int d = fcntl(base, F_DUPFD_CLOEXEC, 0);
			struct iommu_ioas_alloc a = { .size = sizeof(a) };

			check(d < 0, "dup");
			(void)!ioctl(d, IOMMU_IOAS_ALLOC, &a);
		}
	}
	tl = calloc(rounds, sizeof(*tl));
	to = calloc(rounds, sizeof(*to));
	tp = calloc(rounds, sizeof(*tp));
	ts = calloc(rounds, sizeof(*ts));
	check(!tl || !to || !tp || !ts, "calloc");
	for (int r = 0; r < rounds; r++) {
		int fd = ctx_open(), d = dup(fd), m;

		check(d < 0, "dup");
		to[r] = time_close(d);
		tl[r] = time_close(fd);
		m = memfd_create("bench_close", MFD_CLOEXEC);
		check(m < 0, "memfd_create");
		tp[r] = time_close(m);
		ts[r] = time_scan();
	}
	last = median(tl, rounds);
	other = median(to, rounds);
	plain = median(tp, rounds);
	scan = median(ts, rounds);
	printf("last close = %.2f x close of another fd of it (%.0f ns vs %.0f ns"
	       "; %d other fds open)\n", last / other, last, other, nfds);
	printf("last close = %.1f x close() of a memfd, another fd's = %.1f x "
	       "(%.0f ns)\n", last / plain, other / plain, plain);
	printf("last close - another's = %.2f x one pass over 65536 fd slots "
	       "(%.0f ns vs %.0f ns)\n", (last - other) / scan, last - other,
	       scan);
	free(tl);
	free(to);
	free(tp);
	free(ts);
	return 0;
}
