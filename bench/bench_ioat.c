// SPDX-License-Identifier: MIT
/*
 * bench_ioat: the cost of the ioat device model (lib/hw/models/ioat.c) on a
 * fake bus, in process: this file's uiommufd_dev_dma() is a bounds check
 * and a memcpy over one flat IOVA window, so what is measured is the
 * model's own work (register decode, descriptor fetch, the bounce buffer,
 * the completion write-back), not translation.
 *
 *  1. copy 4 KiB / copy 1 MiB: a descriptor written to the ring, one
 *     DMACOUNT doorbell, then a poll of the completion write-back, against
 *     memcpy() of the same size between the same buffers in the same run
 *     (the model copies twice, through its stack bounce buffer).
 *  2. 64-byte copies: descriptors per second, with a doorbell per 32
 *     descriptors and with a doorbell for each.
 *
 * Usage: bench_ioat [--quick] [--help]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <uiommufd/model.h>

#include "../lib/hw/models/models.h"

#define IOVA0 0x100000000ull
#define RING_N 256u
#define MEM_SIZE (8ull << 20)
#define RING (IOVA0)
#define STATUS (IOVA0 + 64 * 1024)
#define SRC (IOVA0 + (1ull << 20))
#define DST (IOVA0 + (4ull << 20))

#define R_CHANCTRL 0x80
#define R_CHANCMD 0x84
#define R_DMACOUNT 0x86
#define R_CHANSTS 0x88
#define R_CHAINADDR 0x90
#define R_CHANCMP 0x98
#define R_CHANERR 0xa8
#define CMD_RESET 0x20
#define C_COMPL 0x008u
#define ST_IDLE 1
#define ST_ARMED 4

struct uiommufd_dev {
	int unused;
};

static struct uiommufd_dev dev;
static uint8_t *mem;
static const struct uiommufd_model *m = &uio_model_ioat;
static void *st;
static uint16_t count;
static unsigned int head;

int uiommufd_dev_dma(struct uiommufd_dev *d, uint64_t iova, void *buf,
		     size_t len, unsigned int flags)
{
	(void)d;
	if (iova < IOVA0 || iova - IOVA0 > MEM_SIZE ||
	    len > MEM_SIZE - (iova - IOVA0)) {
		errno = EFAULT;
		return -1;
	}
	if (flags & UIOMMUFD_DEV_DMA_WRITE)
		memcpy(mem + (iova - IOVA0), buf, len);
	else
		memcpy(buf, mem + (iova - IOVA0), len);
	return 0;
}

int uiommufd_dev_dma_copy(struct uiommufd_dev *d, uint64_t dst, uint64_t src,
			  size_t len, uint64_t *bad)
{
	(void)d;
	if (src < IOVA0 || src - IOVA0 > MEM_SIZE ||
	    len > MEM_SIZE - (src - IOVA0)) {
		*bad = src;
		errno = EFAULT;
		return -1;
	}
	if (dst < IOVA0 || dst - IOVA0 > MEM_SIZE ||
	    len > MEM_SIZE - (dst - IOVA0)) {
		*bad = dst;
		errno = EFAULT;
		return -1;
	}
	memmove(mem + (dst - IOVA0), mem + (src - IOVA0), len);
	return 0;
}

int uiommufd_dev_irq(struct uiommufd_dev *d, unsigned int vector)
{
	(void)d;
	(void)vector;
	return 0;
}

bool uiommufd_dev_bus_master(struct uiommufd_dev *d)
{
	(void)d;
	return true;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ioat: %s\n", what);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t rd(uint64_t off, unsigned int width)
{
	return m->bar_read(&dev, st, 0, off, width);
}

static void wr(uint64_t off, unsigned int width, uint64_t v)
{
	m->bar_write(&dev, st, 0, off, width, v);
}

static uint8_t *hp(uint64_t iova)
{
	return mem + (iova - IOVA0);
}

static uint64_t desc_addr(unsigned int i)
{
	return RING + (uint64_t)(i % RING_N) * 64;
}

static void put_desc(unsigned int i, uint32_t size, uint32_t ctl,
		     uint64_t src, uint64_t dst)
{
	uint8_t *d = hp(desc_addr(i));

	memcpy(d, &size, 4);
	memcpy(d + 4, &ctl, 4);
	memcpy(d + 8, &src, 8);
	memcpy(d + 16, &dst, 8);
}

static uint64_t status(void)
{
	uint64_t v;

	memcpy(&v, hp(STATUS), 8);
	return v;
}

/* Reset the channel and arm it on a ring of RING_N descriptors. */
static void ring_start(void)
{
	m->reset(&dev, st);
	wr(R_CHANCMD, 1, CMD_RESET);
	for (unsigned int i = 0; i < RING_N; i++) {
		uint64_t next = desc_addr(i + 1);

		memset(hp(desc_addr(i)), 0, 64);
		memcpy(hp(desc_addr(i)) + 24, &next, 8);
	}
	wr(R_CHAINADDR, 8, RING);
	wr(R_CHANCMP, 8, STATUS);
	wr(R_CHANCTRL, 2, 0x0c);
	if (rd(R_CHANSTS, 8) != ST_ARMED)
		die("channel not armed");
	count = 0;
	head = 0;
}

/* Submit n copies of size bytes with one doorbell, and wait for them. */
static void submit(unsigned int n, uint32_t size)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int k = head + i;
		uint64_t off = size < 4096 ? (k % 64) * 64ull : 0;

		put_desc(k, size, i == n - 1 ? C_COMPL : 0, SRC + off, DST + off);
	}
	head += n;
	count = (uint16_t)(count + n);
	wr(R_DMACOUNT, 2, count);
	while (status() != (desc_addr(head - 1) | ST_IDLE))
		if (rd(R_CHANERR, 4))
			die("channel halted");
}

static double best_of(double (*fn)(uint32_t, unsigned int, int), uint32_t a,
		      unsigned int b, int iters)
{
	double best = 1e18;

	for (int round = 0; round < 5; round++) {
		double t = fn(a, b, iters);

		if (t < best)
			best = t;
	}
	return best;
}

/* ns per batch of `batch` copies of size bytes through the model */
static double model_cost(uint32_t size, unsigned int batch, int iters)
{
	double t = now_ns();

	for (int i = 0; i < iters; i++)
		submit(batch, size);
	return (now_ns() - t) / iters;
}

/* ns per memcpy of size bytes between the same buffers */
static double memcpy_cost(uint32_t size, unsigned int unused, int iters)
{
	double t = now_ns();

	(void)unused;
	for (int i = 0; i < iters; i++) {
		memcpy(hp(DST), hp(SRC), size);
		__asm__ __volatile__("" : : "r"(mem) : "memory");
	}
	return (now_ns() - t) / iters;
}

static void copy_case(const char *name, uint32_t size, int iters)
{
	ring_start();
	double model = best_of(model_cost, size, 1, iters);
	double base = best_of(memcpy_cost, size, 1, iters);

	if (memcmp(hp(DST), hp(SRC), size))
		die("copy differs");
	printf("%s: one descriptor = %.2f x memcpy (%.0f ns vs %.0f ns)\n",
	       name, model / base, model, base);
}

int main(int argc, char **argv)
{
	bool quick = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: bench_ioat [--quick]\n"
			       "The ioat device model on a fake bus (a flat IOVA "
			       "window, memcpy DMA):\n"
			       "  copy4k, copy1m: one descriptor, doorbell and "
			       "completion poll, as a ratio to memcpy\n"
			       "                  of the same size in the same run\n"
			       "  desc64: 64-byte copies per second, a doorbell per "
			       "32 descriptors and per descriptor\n"
			       "  --quick  fewer iterations\n");
			return 0;
		} else {
			fprintf(stderr, "bench_ioat: unknown argument %s "
				"(try --help)\n", argv[i]);
			return 2;
		}
	}
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	st = calloc(1, m->state_size);
	if (mem == MAP_FAILED || !st)
		die("out of memory");
	for (uint64_t i = 0; i < (2ull << 20); i++)
		hp(SRC)[i] = (uint8_t)(i * 131 + 7);

	int k = quick ? 10 : 1;

	copy_case("copy4k", 4096, 200000 / k);
	copy_case("copy1m", 1u << 20, 2000 / k);

	ring_start();
	double batched = best_of(model_cost, 64, 32, 20000 / k) / 32;
	double single = best_of(model_cost, 64, 1, 200000 / k);
	double base = best_of(memcpy_cost, 64, 1, 2000000 / k);

	printf("desc64: %.2f M descriptors/s with a doorbell per 32 "
	       "(%.0f ns each), %.2f M/s with one each (%.0f ns); "
	       "memcpy of 64 bytes: %.1f ns\n", 1e3 / batched, batched,
	       1e3 / single, single, base);
	free(st);
	munmap(mem, MEM_SIZE);
	return 0;
}
