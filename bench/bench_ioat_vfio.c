// SPDX-License-Identifier: MIT
/*
 * bench_ioat_vfio: the ioat model through the whole stack, as a driver
 * sees it: VFIO, the trapped mmapped BAR0 (each register store a fault,
 * decoded and served), and DMA through the container's IO page table.
 * Run under uiommufd-run with an ioat device (bench/run-ioat.sh does):
 *
 *   uiommufd-run --vfio-device 0000:03:00.0@40,model=ioat -- bench_ioat_vfio
 *
 * Prints, each as a ratio against a baseline measured in the same run:
 *   - a 4 KiB and a 1 MiB copy (descriptor, doorbell, completion poll)
 *     against memcpy() of the same size between the same buffers;
 *   - 64-byte copies, 32 per doorbell: descriptors per second, and the
 *     cost of one against one getppid() system call;
 *   - a trapped 4-byte store and load against one getppid().
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define CHANCTRL 0x80
#define CHANCMD 0x84
#define DMACOUNT 0x86
#define CHANSTS 0x88
#define CHAINADDR 0x90
#define CHANCMP 0x98
#define CHANERR 0xa8
#define D_COMPL 0x008u

struct desc {
	uint32_t size, ctl;
	uint64_t src, dst, next;
	uint64_t rsvd[4];
};

#define RING 64
#define IOVA 0x10000000ull
#define BUF (8u << 20)
#define SRC_OFF (1u << 20)
#define DST_OFF (4u << 20)

static volatile uint8_t *bar;
static uint8_t *buf;
static struct desc *ring;
static volatile uint64_t *comp;
static uint16_t count;
static unsigned int head;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static uint64_t iova(const void *p)
{
	return IOVA + (uint64_t)((const uint8_t *)p - buf);
}

static void die(const char *what)
{
	perror(what);
	fprintf(stderr, "bench_ioat_vfio: run it under uiommufd-run "
		"--vfio-device 0000:03:00.0@40,model=ioat -- bench_ioat_vfio\n");
	exit(1);
}

static void setup(void)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE };
	uint16_t cmd = 0x6;
	int g = open("/dev/vfio/40", O_RDWR | O_CLOEXEC);
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), d;

	if (g < 0 || c < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("group");
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:03:00.0");
	if (d < 0)
		die("device");
	pwrite(d, &cmd, 2, (off_t)((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + 4);
	bar = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bar == MAP_FAILED || buf == MAP_FAILED)
		die("mmap");
	memset(buf, 1, BUF);
	m.vaddr = (uintptr_t)buf;
	m.iova = IOVA;
	m.size = BUF;
	if (ioctl(c, VFIO_IOMMU_MAP_DMA, &m))
		die("MAP_DMA");
	ring = (struct desc *)buf;
	comp = (volatile uint64_t *)(buf + 0x8000);
	for (unsigned int i = 0; i < RING; i++)
		ring[i].next = iova(&ring[(i + 1) % RING]);
	*(volatile uint8_t *)(bar + CHANCMD) = 0x20;
	*(volatile uint64_t *)(bar + CHANCMP) = iova((const void *)comp);
	*(volatile uint64_t *)(bar + CHAINADDR) = iova(ring);
}

static struct desc *enqueue(uint64_t src, uint64_t dst, uint32_t size,
			    uint32_t ctl)
{
	struct desc *d = &ring[head];

	d->size = size;
	d->ctl = ctl;
	d->src = src;
	d->dst = dst;
	head = (head + 1) % RING;
	count++;
	return d;
}

static void run(struct desc *d)
{
	*(volatile uint16_t *)(bar + DMACOUNT) = count;
	while ((*comp & ~0x3full) != iova(d))
		if ((*comp & 7) == 3) {
			fprintf(stderr, "channel halted: CHANERR 0x%x\n",
				*(volatile uint32_t *)(bar + CHANERR));
			exit(1);
		}
}

/* One copy of n bytes through the engine, and memcpy of the same: ns each. */
static void copy_ratio(const char *name, uint32_t n, int iters)
{
	double t0, t1, t2;
	void *volatile sink;

	for (int i = 0; i < 3; i++)
		run(enqueue(iova(buf + SRC_OFF), iova(buf + DST_OFF), n, D_COMPL));
	t0 = now();
	for (int i = 0; i < iters; i++)
		run(enqueue(iova(buf + SRC_OFF), iova(buf + DST_OFF), n, D_COMPL));
	t1 = now();
	for (int i = 0; i < iters; i++) {
		memcpy(buf + DST_OFF, buf + SRC_OFF, n);
		sink = buf + DST_OFF;
		(void)sink;
		__asm__ volatile("" ::: "memory");
	}
	t2 = now();
	printf("%s: ioat copy = %.2f x memcpy (%.0f ns vs %.0f ns; %.2f GB/s)\n",
	       name, (t1 - t0) / (t2 - t1), (t1 - t0) / iters, (t2 - t1) / iters,
	       (double)n * iters / (t1 - t0));
}

static double syscall_ns(int iters)
{
	double t0 = now();

	for (int i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return (now() - t0) / iters;
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	int n = quick ? 200 : 2000;
	double sys, t0, t1;
	struct desc *d = NULL;
	uint32_t v = 0;

	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: bench_ioat_vfio [--quick]\n"
		       "The ioat model through VFIO, trapped BAR stores and the IO page\n"
		       "table, as ratios to memcpy and to a system call in the same run.\n"
		       "Run it under uiommufd-run --vfio-device 0000:03:00.0@40,model=ioat.\n");
		return 0;
	}
	if (argc > 1 && !quick) {
		fprintf(stderr, "bench_ioat_vfio: unknown option %s (try --help)\n", argv[1]);
		return 2;
	}
	setup();
	sys = syscall_ns(n * 10);
	copy_ratio("4KiB", 4096, n);
	copy_ratio("1MiB", 1u << 20, quick ? 20 : 200);
	for (int i = 0; i < 3; i++)
		run(enqueue(iova(buf + SRC_OFF), iova(buf + DST_OFF), 64, D_COMPL));
	t0 = now();
	for (int b = 0; b < n; b++) {
		for (int k = 0; k < 32; k++)
			d = enqueue(iova(buf + SRC_OFF + 64 * k), iova(buf + DST_OFF + 64 * k),
				    64, k == 31 ? D_COMPL : 0);
		run(d);
	}
	t1 = now();
	printf("64B copies, 32 a doorbell: %.2f M descriptors/s; one = %.2f x getppid (%.0f ns vs %.0f ns)\n",
	       32.0 * n / (t1 - t0) * 1e3, (t1 - t0) / (32.0 * n) / sys,
	       (t1 - t0) / (32.0 * n), sys);
	t0 = now();
	for (int i = 0; i < n * 5; i++)
		*(volatile uint32_t *)(bar + 0xb0) = (uint32_t)i;
	t1 = now();
	printf("trapped 4-byte store = %.2f x getppid (%.0f ns)\n",
	       (t1 - t0) / (n * 5) / sys, (t1 - t0) / (n * 5));
	t0 = now();
	for (int i = 0; i < n * 5; i++)
		v += *(volatile uint32_t *)(bar + 0xb0);
	t1 = now();
	printf("trapped 4-byte load = %.2f x getppid (%.0f ns)%s\n",
	       (t1 - t0) / (n * 5) / sys, (t1 - t0) / (n * 5), v ? "" : " ");
	return 0;
}
