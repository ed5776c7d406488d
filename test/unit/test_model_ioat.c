// SPDX-License-Identifier: MIT
/*
 * The ioat model (lib/hw/models/ioat.c) on a fake bus: this file defines
 * uiommufd_dev_dma(), uiommufd_dev_irq() and uiommufd_dev_bus_master()
 * over a fake IO page table (4 KiB pages of a test arena, each unmapped,
 * read-only, write-only or read-write, with errors to inject) and a log of
 * raised vectors, and drives the model only through bar_read/bar_write as
 * a driver written to the register spec does: reset, a ring of chained
 * descriptors, CHAINADDR, CHANCMP, DMACOUNT doorbells, then CHANSTS, the
 * completion write-back and the interrupt log.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <uiommufd/model.h>

#include "../../lib/hw/models/models.h"
#include "xorshift.h"

/* ------------------------------------------------------------------ */
/* the fake bus                                                        */
/* ------------------------------------------------------------------ */

struct uiommufd_dev {
	int unused;
};

#define PG 4096ull
#define NPG 1024ull                      /* 4 MiB of fake memory */
#define IOVA0 0x7f0000000ull             /* IOVA of page 0 */
#define P_R 1u
#define P_W 2u

static uint8_t *mem;                     /* NPG pages */
static uint8_t perm[NPG];
static struct uiommufd_dev dev;

static int inject_errno;                 /* fail accesses overlapping ... */
static uint64_t inject_lo, inject_hi;    /* ... [lo, hi) with it */
static unsigned long n_dma_read, n_dma_write, n_dma_bad;
static unsigned int irq_log[64], n_irq;
static bool bus_master = true;

int uiommufd_dev_dma(struct uiommufd_dev *d, uint64_t iova, void *buf,
		     size_t len, unsigned int flags)
{
	bool write = flags & UIOMMUFD_DEV_DMA_WRITE;
	uint8_t *b = buf;

	assert_ptr_equal(d, &dev);
	assert_true(len > 0);
	assert_int_equal(flags & ~UIOMMUFD_DEV_DMA_WRITE, 0);
	if (write)
		n_dma_write++;
	else
		n_dma_read++;
	if (!bus_master) {
		errno = EIO;
		return -1;
	}
	if (inject_errno && iova < inject_hi && iova + len > inject_lo) {
		errno = inject_errno;
		return -1;
	}
	if (iova < IOVA0 || iova - IOVA0 > NPG * PG ||
	    len > NPG * PG - (iova - IOVA0)) {
		n_dma_bad++;
		errno = EFAULT;
		return -1;
	}
	/* Page by page, as the real one: a prefix may be done on error. */
	while (len) {
		uint64_t o = iova - IOVA0, pg = o / PG;
		size_t n = PG - o % PG;

		if (n > len)
			n = len;
		if (!perm[pg]) {
			n_dma_bad++;
			errno = EFAULT;
			return -1;
		}
		if (!(perm[pg] & (write ? P_W : P_R))) {
			n_dma_bad++;
			errno = EPERM;
			return -1;
		}
		if (write)
			memcpy(mem + o, b, n);
		else
			memcpy(b, mem + o, n);
		iova += n;
		b += n;
		len -= n;
	}
	return 0;
}

/* The copy service as the PCI layer's fallback does it: read, then write. */
int uiommufd_dev_dma_copy(struct uiommufd_dev *d, uint64_t dst, uint64_t src,
			  size_t len, uint64_t *bad)
{
	uint8_t b[PG];

	while (len) {
		size_t n = len < sizeof(b) ? len : sizeof(b);

		if (uiommufd_dev_dma(d, src, b, n, 0)) {
			if (bad)
				*bad = src;
			return -1;
		}
		if (uiommufd_dev_dma(d, dst, b, n, UIOMMUFD_DEV_DMA_WRITE)) {
			if (bad)
				*bad = dst;
			return -1;
		}
		src += n;
		dst += n;
		len -= n;
	}
	return 0;
}

int uiommufd_dev_irq(struct uiommufd_dev *d, unsigned int vector)
{
	assert_ptr_equal(d, &dev);
	if (vector >= 1) {
		errno = EINVAL;
		return -1;
	}
	if (n_irq < sizeof(irq_log) / sizeof(irq_log[0]))
		irq_log[n_irq] = vector;
	n_irq++;
	return 0;
}

bool uiommufd_dev_bus_master(struct uiommufd_dev *d)
{
	assert_ptr_equal(d, &dev);
	return bus_master;
}

static void *hp(uint64_t iova)
{
	assert_true(iova >= IOVA0 && iova < IOVA0 + NPG * PG);
	return mem + (iova - IOVA0);
}

static void map(uint64_t iova, uint64_t len, uint8_t p)
{
	for (uint64_t a = iova & ~(PG - 1); a < iova + len; a += PG)
		perm[(a - IOVA0) / PG] = p;
}

static uint64_t get64(uint64_t iova)
{
	uint64_t v;

	memcpy(&v, hp(iova), 8);
	return v;
}

static void put64(uint64_t iova, uint64_t v)
{
	memcpy(hp(iova), &v, 8);
}

/* ------------------------------------------------------------------ */
/* the driver                                                          */
/* ------------------------------------------------------------------ */

#define R_CHANCNT 0x00
#define R_XFERCAP 0x01
#define R_GENCTRL 0x02
#define R_INTRCTRL 0x03
#define R_ATTNSTATUS 0x04
#define R_CBVER 0x08
#define R_INTRDELAY 0x0c
#define R_DMACAP 0x10
#define R_CHANCTRL 0x80
#define R_CHANCMD 0x84
#define R_DMACOUNT 0x86
#define R_CHANSTS 0x88
#define R_CHAINADDR 0x90
#define R_CHANCMP 0x98
#define R_CDAR 0xa0
#define R_CHANERR 0xa8
#define R_CHANERRMSK 0xac

#define CTRL_INT_DIS 0x0001
#define CTRL_ERR_COMPL 0x0004
#define CTRL_ERR_ABORT 0x0008
#define CTRL_ERR_INT 0x0010
#define CTRL_IN_USE 0x0100

#define CMD_SUSPEND 0x04
#define CMD_ABORT 0x08
#define CMD_RESUME 0x10
#define CMD_RESET 0x20

#define ST_ACTIVE 0
#define ST_IDLE 1
#define ST_SUSPENDED 2
#define ST_HALTED 3
#define ST_ARMED 4

#define E_SRC 0x0001u
#define E_DST 0x0002u
#define E_NEXT 0x0004u
#define E_ALIGN 0x0008u
#define E_CHAIN 0x0010u
#define E_CONTROL 0x0400u
#define E_LENGTH 0x0800u
#define E_COMPL 0x1000u

#define C_INT 0x001u
#define C_COMPL 0x008u
#define C_FENCE 0x010u
#define C_NULL 0x020u
#define C_SRC_BRK 0x040u
#define C_DST_BRK 0x080u
#define OP_FILL (0x01u << 24)

/* IOVA layout */
#define RING (IOVA0)                     /* pages 0-3: up to 256 descriptors */
#define STATUS (IOVA0 + 4 * PG)          /* the completion write-back */
#define SRC (IOVA0 + 16 * PG)            /* pages 16-399 */
#define DST (IOVA0 + 400 * PG)           /* pages 400-783 */
#define SPARE (IOVA0 + 800 * PG)         /* pages 800-1023 */

static const struct uiommufd_model *m = &uio_model_ioat;
static void *st;
static unsigned int ring_n;
static uint16_t count;                   /* the driver's DMACOUNT */

static uint64_t rd(uint64_t off, unsigned int width)
{
	return m->bar_read(&dev, st, 0, off, width);
}

static void wr(uint64_t off, unsigned int width, uint64_t v)
{
	m->bar_write(&dev, st, 0, off, width, v);
}

static uint64_t chansts(void)
{
	return rd(R_CHANSTS, 8);
}

static uint64_t desc_addr(unsigned int i)
{
	return RING + (uint64_t)(i % ring_n) * 64;
}

static void put_desc(unsigned int i, uint32_t size, uint32_t ctl,
		     uint64_t src, uint64_t dst)
{
	uint8_t *d = hp(desc_addr(i));

	memcpy(d, &size, 4);
	memcpy(d + 4, &ctl, 4);
	memcpy(d + 8, &src, 8);
	memcpy(d + 16, &dst, 8);
	memset(d + 32, 0, 32);
}

/* A ring of n descriptors, each pointing to the next, armed. */
static void ring_start(unsigned int n)
{
	ring_n = n;
	for (unsigned int i = 0; i < n; i++) {
		memset(hp(desc_addr(i)), 0, 64);
		put64(desc_addr(i) + 24, desc_addr(i + 1));
	}
	count = 0;
	wr(R_CHAINADDR, 8, RING);
	wr(R_CHANCMP, 8, STATUS);
	assert_int_equal(chansts(), ST_ARMED);
}

static void doorbell(unsigned int more)
{
	count = (uint16_t)(count + more);
	wr(R_DMACOUNT, 2, count);
}

/* Probe, claim and reset the channel, as DPDK's ioat driver does. */
static int setup(void **state)
{
	(void)state;
	mem = aligned_alloc(PG, NPG * PG);
	assert_non_null(mem);
	memset(mem, 0, NPG * PG);
	memset(perm, P_R | P_W, sizeof(perm));
	st = calloc(1, m->state_size);
	assert_non_null(st);
	m->reset(&dev, st);
	inject_errno = 0;
	bus_master = true;
	n_dma_read = n_dma_write = n_dma_bad = n_irq = 0;

	assert_int_equal(rd(R_CBVER, 1), 0x33);
	assert_int_equal(rd(R_CHANCNT, 1), 1);
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_IN_USE, 0);
	if (rd(R_CHANERR, 4))
		wr(R_CHANERR, 4, rd(R_CHANERR, 4));
	wr(R_CHANCMD, 1, CMD_SUSPEND);
	wr(R_CHANCMD, 1, CMD_RESET);
	assert_int_equal(rd(R_CHANCMD, 1) & CMD_RESET, 0);
	wr(R_CHANCTRL, 2, CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(st);
	free(mem);
	return 0;
}

static void fill_rand(uint64_t iova, uint64_t len, uint64_t seed)
{
	uint8_t *p = hp(iova);

	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)xorshift64(&seed);
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */

static void test_identity(void **state)
{
	(void)state;
	assert_int_equal(m->abi_version, UIOMMUFD_MODEL_ABI_VERSION);
	assert_string_equal(m->name, "ioat");
	assert_int_equal(m->vendor_id, 0x8086);
	assert_int_equal(m->device_id, 0x2021);
	assert_int_equal(m->class_code, 0x088000);
	assert_true(m->caps & UIOMMUFD_CAP_PCIE);
	assert_true(m->caps & UIOMMUFD_CAP_MSIX);
	assert_int_equal(m->msix_vectors, 1);
	assert_int_equal(m->bars[0].size, 16384);
	assert_int_equal(m->bars[0].flags, UIOMMUFD_BAR_MEM64);
	assert_int_equal(m->bars[1].size, 0);
	assert_int_equal(m->msix_table_bar, 0);
	assert_int_equal(m->msix_pba_bar, 0);
	assert_int_equal(m->msix_table_offset, 0x2000);
	assert_int_equal(m->msix_pba_offset, 0x3000);
	assert_true(m->state_size > 0);

	assert_int_equal(rd(R_XFERCAP, 1), 20);
	assert_int_equal(rd(R_DMACAP, 4) & 0x41, 0x41); /* page break, fill */
	assert_int_equal(rd(R_INTRDELAY, 2) & 0x8000, 0x8000);
	/* after reset: halted, nothing completed */
	assert_int_equal(chansts(), ST_HALTED);
	assert_int_equal(rd(R_DMACOUNT, 2), 0);
	/* one register through every width */
	assert_int_equal(rd(0x00, 8), 0x1401);
	assert_int_equal(rd(0x08, 4) & 0xff, 0x33);
	/* holes and other BARs read 0 and ignore writes */
	assert_int_equal(rd(0x40, 8), 0);
	wr(0x40, 8, ~0ull);
	assert_int_equal(rd(0x40, 8), 0);
	assert_int_equal(rd(0x3ff8, 8), 0);
	assert_int_equal(m->bar_read(&dev, st, 2, 0, 4), 0);
	m->bar_write(&dev, st, 2, R_CHANCMD, 1, CMD_RESET);
	/* read-only registers stay */
	wr(R_CBVER, 1, 0);
	wr(R_CHANSTS, 8, 0);
	wr(R_XFERCAP, 1, 5);
	assert_int_equal(rd(R_CBVER, 1), 0x33);
	assert_int_equal(rd(R_XFERCAP, 1), 20);
	assert_int_equal(chansts(), ST_HALTED);
}

static void test_in_use(void **state)
{
	(void)state;
	/* setup() claimed the channel with its first read, then wrote 0. */
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_IN_USE, 0);
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_IN_USE, CTRL_IN_USE);
	assert_int_equal(rd(R_CHANCTRL, 1), CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	wr(R_CHANCTRL, 2, CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	assert_int_equal(rd(R_CHANCTRL + 1, 1), 0);
	assert_int_equal(rd(R_CHANCTRL + 1, 1), 1);
}

static void test_copy(void **state)
{
	(void)state;
	fill_rand(SRC, 4096, 1);
	memset(hp(DST), 0xee, 8192);
	ring_start(16);
	put_desc(0, 4096, C_COMPL, SRC, DST);
	doorbell(1);
	assert_memory_equal(hp(DST), hp(SRC), 4096);
	assert_int_equal(*(uint8_t *)hp(DST + 4096), 0xee);
	assert_int_equal(chansts(), desc_addr(0) | ST_IDLE);
	assert_int_equal(get64(STATUS), desc_addr(0) | ST_IDLE);
	assert_int_equal(rd(R_CDAR, 8), desc_addr(0));
	assert_int_equal(rd(R_CHANERR, 4), 0);
	assert_int_equal(n_dma_bad, 0);

	/* unaligned source and destination, odd length */
	fill_rand(SRC + 3, 5001, 2);
	put_desc(1, 5001, C_COMPL, SRC + 3, DST + 8193);
	doorbell(1);
	assert_memory_equal(hp(DST + 8193), hp(SRC + 3), 5001);
	assert_int_equal(get64(STATUS), desc_addr(1) | ST_IDLE);
	assert_int_equal(rd(R_DMACOUNT, 2), 2);
}

static void test_copy_xfercap(void **state)
{
	uint64_t max = 1ull << rd(R_XFERCAP, 1);

	(void)state;
	fill_rand(SRC, max, 3);
	ring_start(4);
	put_desc(0, (uint32_t)max, C_COMPL, SRC, DST);
	doorbell(1);
	assert_memory_equal(hp(DST), hp(SRC), max);
	assert_int_equal(chansts(), desc_addr(0) | ST_IDLE);

	/* one byte more: a length error, nothing moved */
	memset(hp(DST), 0, max + 1);
	put_desc(1, (uint32_t)max + 1, C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(chansts(), desc_addr(0) | ST_HALTED);
	assert_int_equal(get64(STATUS), desc_addr(0) | ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), E_LENGTH);
	assert_int_equal(*(uint8_t *)hp(DST), 0);
}

static void test_fill(void **state)
{
	const unsigned int lengths[] = { 8, 64, 1024, 50, 100, 89, 1, 20000 };
	const uint64_t pattern = 0xfedcba9876543210ull;
	const uint8_t *pb = (const uint8_t *)&pattern;

	(void)state;
	ring_start(8);
	for (unsigned int i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		uint8_t *d = hp(DST);

		memset(d, 0, 32768);
		put_desc(i, lengths[i], OP_FILL | C_COMPL, pattern, DST);
		doorbell(1);
		assert_int_equal(get64(STATUS), desc_addr(i) | ST_IDLE);
		for (unsigned int j = 0; j < lengths[i]; j++)
			assert_int_equal(d[j], pb[j % 8]);
		for (unsigned int j = lengths[i]; j < 32768; j++)
			assert_int_equal(d[j], 0);
	}
	assert_int_equal(rd(R_CHANERR, 4), 0);
}

static void test_null_and_control(void **state)
{
	(void)state;
	ring_start(8);
	/* the Linux driver's null descriptor: size 1, nothing moved */
	n_dma_write = 0;
	put_desc(0, 1, C_NULL | C_INT | C_COMPL, 0, 0);
	doorbell(1);
	assert_int_equal(get64(STATUS), desc_addr(0) | ST_IDLE);
	assert_int_equal(n_dma_write, 1); /* the write-back only */
	/* size 0, even null: a length error */
	put_desc(1, 0, C_NULL | C_COMPL, 0, 0);
	doorbell(1);
	assert_int_equal(chansts(), desc_addr(0) | ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), E_LENGTH);
	/* an operation this engine lacks (XOR): a control error */
	wr(R_CHANERR, 4, E_LENGTH);
	wr(R_CHANCMD, 1, CMD_RESET);
	wr(R_CHANCTRL, 2, CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	ring_start(8);
	put_desc(0, 64, 0x87u << 24 | C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(chansts(), ST_HALTED);
	assert_int_equal(get64(STATUS), ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), E_CONTROL);
}

/* A ring driven round and round in batches, DMACOUNT past 2^16. */
static void test_ring_wrap(void **state)
{
	const unsigned int n = 32;
	unsigned int head = 0;
	uint64_t seed = 7;

	(void)state;
	ring_start(n);
	while (head < 70000) {
		unsigned int batch = 1 + (unsigned int)(xorshift64(&seed) % (n - 1));

		for (unsigned int i = 0; i < batch; i++) {
			unsigned int k = head + i;
			uint64_t s = SRC + (k % 512) * 8, d = DST + (k % 512) * 8;

			put64(s, 0x1234000000000000ull + k);
			put_desc(k, 8, C_COMPL, s, d);
		}
		doorbell(batch);
		head += batch;
		assert_int_equal(chansts(), desc_addr(head - 1) | ST_IDLE);
		assert_int_equal(get64(STATUS), desc_addr(head - 1) | ST_IDLE);
		assert_int_equal(get64(DST + ((head - 1) % 512) * 8),
				 0x1234000000000000ull + head - 1);
	}
	assert_int_equal(rd(R_DMACOUNT, 2), head & 0xffff);
	assert_int_equal(rd(R_CHANERR, 4), 0);

	/* one doorbell of more than the ring: the chain goes round */
	for (unsigned int i = 0; i < 3 * n; i++)
		put_desc(head + i, 8, 0, SRC, DST + 4096 + 8 * ((head + i) % n));
	put64(SRC, 42);
	doorbell(3 * n);
	head += 3 * n;
	assert_int_equal(chansts(), desc_addr(head - 1) | ST_IDLE);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(get64(DST + 4096 + 8 * i), 42);
}

/* A chain whose next pointer loops: DMACOUNT bounds the work. */
static void test_loop_bounded(void **state)
{
	(void)state;
	ring_start(1); /* the one descriptor points to itself */
	put_desc(0, 8, 0, SRC, DST);
	n_dma_read = 0;
	doorbell(5);
	assert_int_equal(n_dma_read, 10); /* 5 x (descriptor + source) */
	assert_int_equal(chansts(), RING | ST_IDLE);
	n_dma_read = 0;
	doorbell(0xffff);
	assert_int_equal(n_dma_read, 2 * 0xffff);
	assert_int_equal(chansts(), RING | ST_IDLE);
	assert_int_equal(rd(R_DMACOUNT, 2), (5 + 0xffff) & 0xffff);
	/* writing the same count again is no work */
	n_dma_read = 0;
	wr(R_DMACOUNT, 2, count);
	assert_int_equal(n_dma_read, 0);
}

/* The fence bit: a descriptor after a fence sees its predecessor's data. */
static void test_fence(void **state)
{
	(void)state;
	fill_rand(SRC, 4096, 9);
	ring_start(8);
	put_desc(0, 4096, C_FENCE, SRC, DST);
	put_desc(1, 4096, C_FENCE, DST, SPARE);
	put_desc(2, 4096, C_COMPL, SPARE, DST + 4096);
	doorbell(3);
	assert_memory_equal(hp(DST + 4096), hp(SRC), 4096);
	assert_int_equal(get64(STATUS), desc_addr(2) | ST_IDLE);
}

/* Write-back only for descriptors that ask; ACTIVE while more are due. */
static void test_completion_writeback(void **state)
{
	(void)state;
	ring_start(8);
	put64(STATUS, 0x5a5a);
	put_desc(0, 8, 0, SRC, DST);
	doorbell(1);
	assert_int_equal(get64(STATUS), 0x5a5a);
	assert_int_equal(chansts(), desc_addr(0) | ST_IDLE);
	put_desc(1, 8, C_COMPL, SRC, DST);
	put_desc(2, 8, 0, SRC, DST);
	doorbell(2);
	assert_int_equal(get64(STATUS), desc_addr(1) | ST_ACTIVE);
	assert_int_equal(chansts(), desc_addr(2) | ST_IDLE);
	/* CHANCMP and CHAINADDR as two 32-bit halves (the Linux driver) */
	wr(R_CHANCMD, 1, CMD_RESET);
	wr(R_CHANCMP, 4, (STATUS + 64) & 0xffffffff);
	wr(R_CHANCMP + 4, 4, (STATUS + 64) >> 32);
	wr(R_CHAINADDR, 4, desc_addr(3) & 0xffffffff);
	wr(R_CHAINADDR + 4, 4, desc_addr(3) >> 32);
	assert_int_equal(rd(R_CHANSTS, 4), ST_ARMED);
	assert_int_equal(rd(R_CHANSTS + 4, 4), 0);
	assert_int_equal(rd(R_CHANCMP, 8), STATUS + 64);
	put_desc(3, 8, C_COMPL, SRC, DST);
	/* DMACOUNT as two bytes: the low byte rings */
	wr(R_DMACOUNT, 1, 1);
	wr(R_DMACOUNT + 1, 1, 0);
	assert_int_equal(get64(STATUS + 64), desc_addr(3) | ST_IDLE);
	assert_int_equal(rd(R_CHANSTS, 4), (desc_addr(3) & 0xffffffff) | ST_IDLE);
	assert_int_equal(rd(R_CHANSTS + 4, 4), desc_addr(3) >> 32);
}

static void test_interrupts(void **state)
{
	(void)state;
	ring_start(16);
	/* master enable off: nothing */
	put_desc(0, 8, C_INT | C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(n_irq, 0);
	assert_int_equal(rd(R_ATTNSTATUS, 4), 0);
	/* on, but the descriptor does not ask */
	wr(R_INTRCTRL, 1, 0x01 | 0x08);
	assert_int_equal(rd(R_INTRCTRL, 1), 0x09);
	put_desc(1, 8, C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(n_irq, 0);
	/* it asks: vector 0, CHANCTRL bit 0 set, attention raised */
	put_desc(2, 8, C_INT | C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(n_irq, 1);
	assert_int_equal(irq_log[0], 0);
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_INT_DIS, CTRL_INT_DIS);
	assert_int_equal(rd(R_ATTNSTATUS, 4), 1);
	assert_int_equal(rd(R_INTRCTRL, 1), 0x0f);
	/* until re-armed, another is held, then raised by the re-arm */
	put_desc(3, 8, C_INT | C_COMPL, SRC, DST);
	put_desc(4, 8, C_INT | C_COMPL, SRC, DST);
	doorbell(2);
	assert_int_equal(n_irq, 1);
	wr(R_CHANCTRL, 2, CTRL_INT_DIS | CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	assert_int_equal(n_irq, 2);
	assert_int_equal(rd(R_ATTNSTATUS, 4), 1);
	wr(R_CHANCTRL, 2, CTRL_INT_DIS | CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	assert_int_equal(n_irq, 2);
	assert_int_equal(rd(R_ATTNSTATUS, 4), 0);
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_INT_DIS, 0);
	assert_int_equal(rd(R_INTRCTRL, 1), 0x09);
	/* a write of 0 to bit 0 does not re-arm; a write of 1 does */
	put_desc(5, 8, C_INT, SRC, DST);
	doorbell(1);
	assert_int_equal(n_irq, 3);
	wr(R_CHANCTRL, 2, CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_INT_DIS, CTRL_INT_DIS);
	wr(R_CHANCTRL, 1, CTRL_INT_DIS | CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	assert_int_equal(rd(R_CHANCTRL, 2) & CTRL_INT_DIS, 0);
	/* master off drops them */
	wr(R_INTRCTRL, 1, 0);
	put_desc(6, 8, C_INT, SRC, DST);
	doorbell(1);
	assert_int_equal(n_irq, 3);
	/* errors interrupt with CHANCTRL's error interrupt enable */
	wr(R_INTRCTRL, 1, 1);
	wr(R_CHANCTRL, 2, CTRL_ERR_INT | CTRL_ERR_COMPL);
	map(SRC, PG, 0);
	put_desc(7, 8, C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(n_irq, 4);
	assert_int_equal(rd(R_CHANERR, 4), E_SRC);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(irq_log[i], 0);
}

static void test_suspend_resume(void **state)
{
	(void)state;
	ring_start(16);
	/* suspended while armed: the doorbell waits for resume */
	wr(R_CHANCMD, 1, CMD_SUSPEND);
	assert_int_equal(chansts(), ST_SUSPENDED);
	put_desc(0, 8, C_COMPL, SRC, DST);
	put64(SRC, 77);
	doorbell(1);
	assert_int_equal(get64(DST), 0);
	assert_int_equal(chansts(), ST_SUSPENDED);
	wr(R_CHANCMD, 1, CMD_RESUME);
	assert_int_equal(get64(DST), 77);
	assert_int_equal(chansts(), desc_addr(0) | ST_IDLE);
	/* suspended while idle: keeps CHANSTS's address */
	wr(R_CHANCMD, 1, CMD_SUSPEND);
	assert_int_equal(chansts(), desc_addr(0) | ST_SUSPENDED);
	wr(R_CHANCMD, 1, CMD_RESUME);
	assert_int_equal(chansts(), desc_addr(0) | ST_IDLE);
	/* suspended, then re-armed by CHAINADDR (DPDK's stop and start) */
	wr(R_CHANCMD, 1, CMD_SUSPEND);
	wr(R_CHAINADDR, 8, desc_addr(1));
	assert_int_equal(chansts(), ST_ARMED);
	put_desc(1, 8, C_COMPL, SRC, DST + 8);
	wr(R_DMACOUNT, 2, 1);
	assert_int_equal(get64(DST + 8), 77);
	assert_int_equal(chansts(), desc_addr(1) | ST_IDLE);
	/* resume when not suspended does nothing; suspend when halted neither */
	wr(R_CHANCMD, 1, CMD_RESUME);
	assert_int_equal(chansts(), desc_addr(1) | ST_IDLE);
	wr(R_CHANCMD, 1, CMD_ABORT);
	assert_int_equal(chansts(), desc_addr(1) | ST_HALTED);
	wr(R_CHANCMD, 1, CMD_SUSPEND);
	assert_int_equal(chansts(), desc_addr(1) | ST_HALTED);
}

static void test_abort_reset(void **state)
{
	(void)state;
	ring_start(16);
	put_desc(0, 8, C_COMPL, SRC, DST);
	doorbell(1);
	wr(R_CHANCMD, 1, CMD_ABORT);
	assert_int_equal(chansts(), desc_addr(0) | ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), 0);
	/* halted: doorbells do nothing */
	put_desc(1, 8, C_COMPL, SRC, DST + 8);
	put64(SRC, 5);
	doorbell(1);
	assert_int_equal(get64(DST + 8), 0);
	/* reset: halted, nothing completed, registers cleared */
	wr(R_CHANCMD, 1, CMD_RESET);
	assert_int_equal(chansts(), ST_HALTED);
	assert_int_equal(rd(R_DMACOUNT, 2), 0);
	assert_int_equal(rd(R_CHAINADDR, 8), 0);
	assert_int_equal(rd(R_CHANCMP, 8), 0);
	assert_int_equal(rd(R_CHANCMD, 1), 0);
	/* CHAINADDR arms at once: CHANSTS is exactly ARMED (DPDK waits so) */
	wr(R_CHAINADDR, 8, desc_addr(1));
	assert_int_equal(chansts(), ST_ARMED);
	wr(R_CHANCMP, 8, STATUS);
	wr(R_DMACOUNT, 2, 1);
	assert_int_equal(get64(DST + 8), 5);
	assert_int_equal(get64(STATUS), desc_addr(1) | ST_IDLE);
	/* a CHAINADDR write while idle only sets the register */
	wr(R_CHAINADDR, 8, desc_addr(7));
	assert_int_equal(chansts(), desc_addr(1) | ST_IDLE);
	assert_int_equal(rd(R_CHAINADDR, 8), desc_addr(7));
	/* the reset callback: power-on state */
	wr(R_INTRCTRL, 1, 1);
	wr(R_CHANERRMSK, 4, 0xff);
	m->reset(&dev, st);
	assert_int_equal(chansts(), ST_HALTED);
	assert_int_equal(rd(R_INTRCTRL, 1), 0);
	assert_int_equal(rd(R_CHANERRMSK, 4), 0);
	assert_int_equal(rd(R_CHANCTRL, 2), 0);
}

/* Halt, then recover as DPDK's __ioat_recover does. */
static void recover(uint64_t chain)
{
	uint32_t err = (uint32_t)rd(R_CHANERR, 4);

	wr(R_CHANERR, 4, err);
	assert_int_equal(rd(R_CHANERR, 4), 0);
	wr(R_CHANCMD, 1, CMD_RESET);
	wr(R_CHAINADDR, 8, chain);
	wr(R_CHANCTRL, 2, CTRL_ERR_ABORT | CTRL_ERR_COMPL);
	wr(R_CHANCMP, 8, STATUS);
	assert_int_equal(chansts(), ST_ARMED);
	count = 0;
}

static void expect_halt(uint64_t last, uint32_t err)
{
	assert_int_equal(chansts(), last | ST_HALTED);
	assert_int_equal(get64(STATUS), last | ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), err);
}

static void test_faults(void **state)
{
	(void)state;
	fill_rand(SRC, 8192, 11);
	memset(hp(DST), 0xcc, 8192);
	ring_start(16);
	put_desc(0, 64, C_COMPL, SRC, DST);
	doorbell(1);

	/* read-only destination */
	map(DST + PG, PG, P_R);
	put_desc(1, 4096, C_COMPL, SRC, DST + PG);
	doorbell(1);
	expect_halt(desc_addr(0), E_DST);
	for (unsigned int i = 0; i < 4096; i++)
		assert_int_equal(((uint8_t *)hp(DST + PG))[i], 0xcc);
	/* CHANERR: write 1 to clear, nothing set by a write */
	wr(R_CHANERR, 4, E_SRC);
	assert_int_equal(rd(R_CHANERR, 4), E_DST);
	wr(R_CHANERR, 4, 0);
	assert_int_equal(rd(R_CHANERR, 4), E_DST);
	/* a halted channel ignores doorbells */
	doorbell(1);
	assert_int_equal(chansts(), desc_addr(0) | ST_HALTED);
	recover(desc_addr(2));
	map(DST + PG, PG, P_R | P_W);

	/* unmapped source */
	map(SRC + PG, PG, 0);
	put_desc(2, 64, C_COMPL, SRC, DST + 64);
	put_desc(3, 64, C_COMPL, SRC + PG, DST + 128);
	put_desc(4, 64, C_COMPL, SRC, DST + 192);
	doorbell(3);
	expect_halt(desc_addr(2), E_SRC);
	assert_memory_equal(hp(DST + 64), hp(SRC), 64);
	for (unsigned int i = 0; i < 128; i++)
		assert_int_equal(((uint8_t *)hp(DST + 128))[i], 0xcc);
	recover(desc_addr(4));
	map(SRC + PG, PG, P_R | P_W);
	doorbell(1);
	assert_memory_equal(hp(DST + 192), hp(SRC), 64);
	assert_int_equal(get64(STATUS), desc_addr(4) | ST_IDLE);

	/* a fill to a write-protected page */
	map(DST + PG, PG, P_R);
	put_desc(5, 16, OP_FILL | C_COMPL, 0x1111111111111111ull, DST + PG);
	doorbell(1);
	expect_halt(desc_addr(4), E_DST);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(((uint8_t *)hp(DST + PG))[i], 0xcc);
	recover(desc_addr(6));
	map(DST + PG, PG, P_R | P_W);

	/* completion write-back to a read-only page */
	map(STATUS, PG, P_R);
	put64(STATUS, 0);
	put_desc(6, 8, C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(chansts(), ST_HALTED);
	assert_int_equal(get64(STATUS), 0);
	assert_int_equal(rd(R_CHANERR, 4), E_COMPL);
	map(STATUS, PG, P_R | P_W);
	recover(desc_addr(6));
	doorbell(1);
	assert_int_equal(get64(STATUS), desc_addr(6) | ST_IDLE);
	/* a misaligned CHANCMP */
	wr(R_CHANCMP, 8, STATUS + 4);
	put_desc(7, 8, C_COMPL, SRC, DST);
	doorbell(1);
	assert_int_equal(chansts(), desc_addr(6) | ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), E_COMPL);
	recover(desc_addr(7));
	doorbell(1);
	assert_int_equal(get64(STATUS), desc_addr(7) | ST_IDLE);
	assert_int_equal(rd(R_CHANERR, 4), 0);
}

static void test_descriptor_faults(void **state)
{
	(void)state;
	ring_start(8);
	/* the next descriptor's page unmapped */
	put_desc(0, 8, C_COMPL, SRC, DST);
	put64(desc_addr(0) + 24, SPARE);
	map(SPARE, PG, 0);
	doorbell(2);
	expect_halt(desc_addr(0), E_NEXT);
	assert_int_equal(rd(R_CDAR, 8), desc_addr(0));
	/* write-only: no read permission either */
	map(SPARE, PG, P_W);
	recover(desc_addr(0));
	doorbell(2);
	expect_halt(desc_addr(0), E_NEXT);
	map(SPARE, PG, P_R | P_W);
	put64(desc_addr(0) + 24, desc_addr(1));
	/* CHAINADDR's descriptor unmapped, then misaligned */
	recover(SPARE + 2 * PG);
	map(SPARE + 2 * PG, PG, 0);
	doorbell(1);
	expect_halt(0, E_CHAIN);
	recover(desc_addr(1) + 8);
	doorbell(1);
	expect_halt(0, E_CHAIN);
	/* a misaligned next pointer */
	recover(desc_addr(1));
	put_desc(1, 8, C_COMPL, SRC, DST);
	put64(desc_addr(1) + 24, desc_addr(2) + 32);
	doorbell(2);
	expect_halt(desc_addr(1), E_ALIGN);
	/* nothing outside the grants was touched: the fake bus refused */
	assert_true(n_dma_bad > 0);
}

/* Ranges that would wrap past 2^64 are refused by the model itself. */
static void test_wrapping_ranges(void **state)
{
	unsigned long bad;

	(void)state;
	ring_start(8);
	put_desc(0, 4096, C_COMPL, ~0ull - 100, DST);
	n_dma_read = 0;
	bad = n_dma_bad;
	doorbell(1);
	expect_halt(0, E_SRC);
	assert_int_equal(n_dma_read, 1); /* the descriptor only */
	recover(desc_addr(1));
	put_desc(1, 4096, OP_FILL | C_COMPL, 0, ~0ull - 4000);
	n_dma_write = 0;
	doorbell(1);
	expect_halt(0, E_DST);
	assert_int_equal(n_dma_write, 1); /* the error write-back only */
	assert_int_equal(n_dma_bad, bad);
}

/* Every dev_dma errno halts the channel with the step's bit. */
static void test_dma_errnos(void **state)
{
	const int errs[] = { EAGAIN, ENODEV, EIO, EFAULT, EPERM };

	(void)state;
	for (unsigned int i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		ring_start(8);
		put_desc(0, 64, C_COMPL, SRC, DST);
		put_desc(1, 64, C_COMPL, SRC + 64, DST);
		put_desc(2, 64, C_COMPL, SRC, DST + 64);
		inject_errno = errs[i];
		inject_lo = SRC + 64;
		inject_hi = SRC + 128;
		doorbell(2);
		expect_halt(desc_addr(0), E_SRC);
		inject_lo = DST + 64;
		inject_hi = DST + 128;
		recover(desc_addr(2));
		doorbell(1);
		expect_halt(0, E_DST);
		inject_lo = RING + 64 * 3;
		inject_hi = RING + 64 * 4;
		recover(desc_addr(3));
		doorbell(1);
		expect_halt(0, E_CHAIN);
		inject_errno = 0;
		recover(RING);
	}
	/* bus mastering off: any access refused, the error write-back too */
	ring_start(8);
	put_desc(0, 64, C_COMPL, SRC, DST);
	bus_master = false;
	doorbell(1);
	assert_int_equal(chansts(), ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), E_CHAIN | E_COMPL);
	bus_master = true;
}

/* A masked error is not logged and does not halt; the step is skipped. */
static void test_chanerr_mask(void **state)
{
	(void)state;
	wr(R_CHANERRMSK, 4, E_SRC);
	assert_int_equal(rd(R_CHANERRMSK, 4), E_SRC);
	ring_start(8);
	map(SRC + PG, PG, 0);
	put64(SRC, 99);
	put_desc(0, 8, C_COMPL, SRC + PG, DST);
	put_desc(1, 8, C_COMPL, SRC, DST + 8);
	doorbell(2);
	assert_int_equal(chansts(), desc_addr(1) | ST_IDLE);
	assert_int_equal(rd(R_CHANERR, 4), 0);
	assert_int_equal(get64(DST), 0);
	assert_int_equal(get64(DST + 8), 99);
	/* a masked descriptor fetch failure still halts, unlogged */
	wr(R_CHANERRMSK, 4, E_NEXT);
	put_desc(2, 8, 0, SRC, DST + 16);
	put64(desc_addr(2) + 24, SPARE);
	map(SPARE, PG, 0);
	doorbell(2);
	assert_int_equal(chansts(), desc_addr(2) | ST_HALTED);
	assert_int_equal(rd(R_CHANERR, 4), 0);
}

static void test_page_break(void **state)
{
	uint8_t want[3000];

	(void)state;
	fill_rand(SRC, 8192, 13);
	ring_start(8);
	/* source breaks at its page end, then goes on at SRC + 6000 */
	put_desc(0, 3000, C_SRC_BRK | C_DST_BRK | C_COMPL, SRC + 4000, DST + 4090);
	put64(desc_addr(0) + 32, SRC + 6000);
	put64(desc_addr(0) + 40, SPARE);
	doorbell(1);
	assert_int_equal(get64(STATUS), desc_addr(0) | ST_IDLE);
	/* destination: 6 bytes to the page end at DST + 4090, then SPARE */
	memcpy(want, hp(SRC + 4000), 96);
	memcpy(want + 96, hp(SRC + 6000), 3000 - 96);
	assert_memory_equal(hp(DST + 4090), want, 6);
	assert_memory_equal(hp(SPARE), want + 6, 3000 - 6);
	/* no break bit: contiguous */
	put_desc(1, 3000, C_COMPL, SRC + 4000, DST + 8192);
	doorbell(1);
	assert_memory_equal(hp(DST + 8192), hp(SRC + 4000), 3000);
}

/* A random address in and around the fake memory, often aligned. */
static uint64_t rnd_addr(uint64_t *seed, uint64_t align)
{
	uint64_t a = IOVA0 - PG + xorshift64(seed) % ((NPG + 2) * PG);

	return xorshift64(seed) % 8 ? a & ~(align - 1) : a;
}

/*
 * Garbage descriptors, chains, doorbells, commands and register writes over
 * a fake IO page table with random holes and permissions: the model never
 * crashes (ASan and UBSan watch), never asks for memory outside the arena
 * but through the bus (which refuses it), and raises only vector 0.
 */
static void test_hostile(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned long halts = 0;

	(void)state;
	for (unsigned int p = 0; p < NPG; p++) {
		uint64_t r = xorshift64(&seed);

		perm[p] = (r & 3) ? (uint8_t)(1 + (r >> 2) % 3) : 0;
	}
	map(RING, 8 * PG, P_R | P_W);
	map(STATUS, PG, P_R | P_W);
	fill_rand(IOVA0, NPG * PG, 17);
	wr(R_INTRCTRL, 1, 1);
	wr(R_CHANCTRL, 2, CTRL_ERR_COMPL | CTRL_ERR_INT);
	wr(R_CHAINADDR, 8, RING);
	wr(R_CHANCMP, 8, STATUS);
	for (unsigned int i = 0; i < 50000; i++) {
		uint64_t r = xorshift64(&seed), v = xorshift64(&seed);
		unsigned int w = 1u << (v % 4);
		uint64_t off = (r >> 8) % 0xc0 & ~(uint64_t)(w - 1);

		switch (r % 10) {
		case 0: case 1: case 2: { /* a descriptor in the first 8 pages */
			uint64_t d = IOVA0 + (v >> 8) % (8 * PG / 64) * 64;
			uint32_t size = (uint32_t)(v >> 40) % 9000;
			uint32_t ctl = (uint32_t)xorshift64(&seed) & 0x7ff;
			uint64_t next = IOVA0 + xorshift64(&seed) % (8 * PG);

			if (v % 16 == 0)
				size = (uint32_t)(xorshift64(&seed) % (3u << 20));
			ctl |= (uint32_t)(v % 5 ? v % 2 : v >> 56) << 24;
			memcpy(hp(d), &size, 4);
			memcpy(hp(d) + 4, &ctl, 4);
			put64(d + 8, ctl >> 24 == 1 ? v : rnd_addr(&seed, 8));
			put64(d + 16, rnd_addr(&seed, 8));
			put64(d + 24, v % 32 ? next & ~63ull : next);
			put64(d + 32, rnd_addr(&seed, 8));
			put64(d + 40, rnd_addr(&seed, 8));
			break;
		}
		case 3: case 4: /* a doorbell */
			wr(R_DMACOUNT, 2, (uint16_t)(rd(R_DMACOUNT, 2) + v % 48));
			break;
		case 5: /* recover a halted channel somewhere */
			if ((chansts() & 7) != ST_HALTED)
				break;
			halts++;
			wr(R_CHANERR, 4, rd(R_CHANERR, 4));
			wr(R_CHANCMD, 1, CMD_RESET);
			wr(R_CHAINADDR, 8, v % 4 ? IOVA0 + v % (8 * PG) / 64 * 64 :
			   rnd_addr(&seed, 64));
			wr(R_CHANCTRL, 2, CTRL_ERR_COMPL | CTRL_ERR_INT |
			   (v >> 32 & CTRL_INT_DIS));
			wr(R_CHANCMP, 8, v % 8 ? STATUS : rnd_addr(&seed, 8));
			break;
		case 6: /* a command */
			wr(R_CHANCMD, 1, 1u << (v % 8));
			break;
		case 7: /* a register write, not a partial doorbell */
			if (off <= R_DMACOUNT + 1 && off + w > R_DMACOUNT)
				break;
			if (off <= R_CHANCMP + 7 && off + w > R_CHAINADDR)
				v = rnd_addr(&seed, 8);
			wr(off, w, v);
			break;
		default:
			rd(off, w);
			break;
		}
	}
	assert_true(halts > 1000);
	assert_true(n_dma_read > 10000 && n_dma_write > 5000 && n_dma_bad > 1000);
	assert_true(n_irq > 0);
	for (unsigned int i = 0; i < n_irq && i < 64; i++)
		assert_int_equal(irq_log[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_xfercap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_and_control, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ring_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion_writeback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suspend_resume, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_abort_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_faults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrapping_ranges, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dma_errnos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chanerr_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_break, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
