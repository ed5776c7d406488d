// SPDX-License-Identifier: MIT
/*
 * A small Intel I/OAT (CBDMA) driver, written to the register spec (the
 * layouts Linux's drivers/dma/ioat and DPDK's ioat driver program), that
 * drives an emulated device through VFIO and its trapped, mmapped BAR0:
 * every register access below is a CPU load or store to the mapping, and
 * every byte the engine moves goes through the container's IO page table.
 *
 * Run by meson as
 *   uiommufd-run --vfio-device 0000:03:00.0@40,model=ioat -- THIS
 * Given another BDF and group (IOAT_BDF, IOAT_GROUP), it drives a real
 * CBDMA bound to vfio-pci the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

/* Registers (BAR0). */
#define CHANCNT 0x00
#define INTRCTRL 0x03
#define CBVER 0x08
#define CHANCTRL 0x80
#define CHANCMD 0x84
#define DMACOUNT 0x86
#define CHANSTS 0x88
#define CHAINADDR 0x90
#define CHANCMP 0x98
#define CHANERR 0xa8

#define INTRCTRL_MASTER 0x01
#define CTRL_INT_REARM 0x0001
#define CTRL_ERR_COMPL 0x0004
#define CMD_ABORT 0x08
#define CMD_RESET 0x20
#define STS_ACTIVE 0
#define STS_IDLE 1
#define STS_HALTED 3
#define STS_ARMED 4
#define STS_MASK 7ull
#define ERR_SRC 0x0001
#define ERR_DST 0x0002

/* Descriptor control bits and operations. */
#define D_INT 0x001u
#define D_COMPL 0x008u
#define D_FENCE 0x010u
#define D_NULL 0x020u
#define OP_COPY 0x00u
#define OP_FILL 0x01u

struct desc {
	uint32_t size, ctl;
	uint64_t src, dst, next;
	uint64_t rsvd[4];
};

#define RING 16
#define IOVA 0x10000000ull               /* where the buffer is mapped */
#define BUF (4u << 20)
#define RING_OFF 0x0000u                 /* descriptors */
#define COMP_OFF 0x1000u                 /* completion write-back */
#define DATA_OFF 0x10000u                /* data */

static int g, c, d;
static volatile uint8_t *bar;
static uint8_t *buf;
static struct desc *ring;
static volatile uint64_t *comp;
static uint16_t count;                   /* DMACOUNT */
static unsigned int head;                /* next ring slot */

static uint8_t r8(unsigned int o) { return *(volatile uint8_t *)(bar + o); }

static uint32_t r32(unsigned int o) { return *(volatile uint32_t *)(bar + o); }
static uint64_t r64(unsigned int o) { return *(volatile uint64_t *)(bar + o); }
static void w8(unsigned int o, uint8_t v) { *(volatile uint8_t *)(bar + o) = v; }
static void w16(unsigned int o, uint16_t v) { *(volatile uint16_t *)(bar + o) = v; }
static void w32(unsigned int o, uint32_t v) { *(volatile uint32_t *)(bar + o) = v; }
static void w64(unsigned int o, uint64_t v) { *(volatile uint64_t *)(bar + o) = v; }

static uint64_t iova(const void *p)
{
	return IOVA + (uint64_t)((const uint8_t *)p - buf);
}

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

static int map_iova(uint64_t at, void *va, uint64_t len, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m), .flags = flags,
					      .vaddr = (uintptr_t)va, .iova = at,
					      .size = len };

	return ioctl(c, VFIO_IOMMU_MAP_DMA, &m);
}

/* Reset the channel, arm it on a fresh ring. */
static void channel_start(void)
{
	w8(CHANCMD, CMD_RESET);
	for (int i = 0; i < 1000 && (r8(CHANCMD) & CMD_RESET); i++)
		usleep(100);
	assert_int_equal(r8(CHANCMD) & CMD_RESET, 0);
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_HALTED);
	w32(CHANERR, r32(CHANERR));     /* clear what is logged */
	memset(ring, 0, RING * sizeof(*ring));
	for (unsigned int i = 0; i < RING; i++)
		ring[i].next = iova(&ring[(i + 1) % RING]);
	*comp = 0;
	w64(CHANCMP, iova((const void *)comp));
	w16(CHANCTRL, CTRL_ERR_COMPL);
	w64(CHAINADDR, iova(ring));
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_ARMED);
	count = 0;
	head = 0;
}

static int setup(void **state)
{
	char path[64];
	uint16_t cmd = 0x6; /* memory, bus master */

	(void)state;
	snprintf(path, sizeof(path), "/dev/vfio/%s", env_or("IOAT_GROUP", "40"));
	g = open(path, O_RDWR | O_CLOEXEC);
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (g < 0 || c < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -1;
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, env_or("IOAT_BDF", "0000:03:00.0"));
	if (d < 0)
		return -1;
	if (pwrite(d, &cmd, 2, (off_t)((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + 4) != 2)
		return -1;
	bar = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
	buf = mmap(NULL, BUF, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (bar == MAP_FAILED || buf == MAP_FAILED ||
	    map_iova(IOVA, buf, BUF, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -1;
	ring = (struct desc *)(buf + RING_OFF);
	comp = (volatile uint64_t *)(buf + COMP_OFF);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap((void *)bar, 0x4000);
	close(d);
	close(g);
	close(c);
	return 0;
}

/* Put an operation in the next ring slot; it runs at the next doorbell. */
static struct desc *enqueue(uint32_t op, uint64_t src, uint64_t dst,
			    uint32_t size, uint32_t flags)
{
	struct desc *dsc = &ring[head];

	dsc->size = size;
	dsc->ctl = (op << 24) | flags;
	dsc->src = src;
	dsc->dst = dst;
	head = (head + 1) % RING;
	count++;
	return dsc;
}

static void doorbell(void)
{
	w16(DMACOUNT, count);
}

/* Wait for the write-back naming dsc as done (the channel is synchronous
 * here, but a driver polls as for hardware). */
static void wait_done(const struct desc *dsc)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t v = *comp;

		if ((v & ~0x3full) == iova(dsc) &&
		    ((v & STS_MASK) == STS_IDLE || (v & STS_MASK) == STS_ACTIVE))
			return;
		if ((v & STS_MASK) == STS_HALTED)
			break;
	}
	fail_msg("no completion for descriptor at 0x%llx: CHANSTS 0x%llx CHANERR 0x%x",
		 (unsigned long long)iova(dsc), (unsigned long long)r64(CHANSTS),
		 r32(CHANERR));
}

static uint8_t *data(unsigned int off)
{
	return buf + DATA_OFF + off;
}

static void test_identity(void **state)
{
	(void)state;
	assert_int_equal(r8(CHANCNT), 1);
	assert_int_equal(r8(CBVER), 0x33);
	channel_start();
}

static void test_copy(void **state)
{
	struct desc *dsc;

	(void)state;
	channel_start();
	for (int i = 0; i < 4096; i++)
		data(0)[i] = (uint8_t)(i * 7);
	memset(data(0x10000), 0, 4096);
	dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x10000)), 4096, D_COMPL);
	doorbell();
	wait_done(dsc);
	assert_memory_equal(data(0), data(0x10000), 4096);
	/* 1 MiB, the transfer cap, in one descriptor. */
	memset(data(0x100000), 0x5a, 1 << 20);
	dsc = enqueue(OP_COPY, iova(data(0x100000)), iova(data(0x200000)), 1 << 20,
		      D_COMPL);
	doorbell();
	wait_done(dsc);
	assert_memory_equal(data(0x100000), data(0x200000), 1 << 20);
}

static void test_fill(void **state)
{
	const uint64_t pat = 0x0123456789abcdefull;
	struct desc *dsc;

	(void)state;
	channel_start();
	memset(data(0), 0, 8192);
	dsc = enqueue(OP_FILL, pat, iova(data(8)), 4096, D_COMPL);
	doorbell();
	wait_done(dsc);
	for (int i = 0; i < 4096 / 8; i++)
		assert_memory_equal(data(8 + 8 * i), &pat, 8);
	assert_int_equal(data(0)[7], 0);
	assert_int_equal(data(8 + 4096)[0], 0);
}

/* A batch of chained descriptors, one doorbell, one write-back at the end;
 * then round and round the ring, past the 16-bit doorbell's wrap. */
static void test_chain_and_wrap(void **state)
{
	struct desc *dsc = NULL;

	(void)state;
	channel_start();
	for (unsigned int i = 0; i < RING - 1; i++) {
		data(0x1000 * i)[0] = (uint8_t)(i + 1);
		dsc = enqueue(OP_COPY, iova(data(0x1000 * i)),
			      iova(data(0x80000 + 0x1000 * i)), 64,
			      i == RING - 2 ? D_COMPL : (i == 3 ? D_FENCE : 0));
	}
	doorbell();
	wait_done(dsc);
	for (unsigned int i = 0; i < RING - 1; i++)
		assert_int_equal(data(0x80000 + 0x1000 * i)[0], i + 1);
	/* 70,000 more, four a doorbell, every eighth a null descriptor. */
	for (unsigned int n = 0; n < 70000; n += 4) {
		for (unsigned int k = 0; k < 4; k++)
			dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x1000)), 8,
				      (k == 3 ? D_COMPL : 0) |
				      ((n + k) % 8 == 5 ? D_NULL : 0));
		doorbell();
		wait_done(dsc);
	}
	assert_int_equal(count, (uint16_t)(RING - 1 + 70000));
}

static void test_interrupt(void **state)
{
	struct {
		/* vfio_irq_set's head (its data[] may not sit inside a struct) */
		struct { __u32 argsz, flags, index, start, count; } s;
		int32_t fd;
	} irq = { { .argsz = sizeof(irq), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX,
		    .start = 0, .count = 1 }, -1 };
	struct desc *dsc;
	uint64_t n = 0;

	(void)state;
	channel_start();
	irq.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_int_equal(ioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	w8(INTRCTRL, INTRCTRL_MASTER);
	dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x1000)), 64, D_COMPL | D_INT);
	doorbell();
	wait_done(dsc);
	assert_int_equal(read(irq.fd, &n, 8), 8);
	assert_int_equal(n, 1);
	/* Not re-armed: the next one waits for the re-arm. */
	dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x1000)), 64, D_COMPL | D_INT);
	doorbell();
	wait_done(dsc);
	assert_int_equal(read(irq.fd, &n, 8), -1);
	assert_int_equal(errno, EAGAIN);
	w16(CHANCTRL, CTRL_ERR_COMPL | CTRL_INT_REARM);
	assert_int_equal(read(irq.fd, &n, 8), 8);
	w8(INTRCTRL, 0);
	irq.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.s.count = 0;
	irq.s.argsz = sizeof(irq.s);
	assert_int_equal(ioctl(d, VFIO_DEVICE_SET_IRQS, &irq.s), 0);
	close(irq.fd);
}

static void test_abort_and_reset(void **state)
{
	struct desc *dsc;

	(void)state;
	channel_start();
	w8(CHANCMD, CMD_ABORT);
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_HALTED);
	/* Re-armed by CHAINADDR, it works again. */
	w64(CHAINADDR, iova(&ring[head]));
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_ARMED);
	count = 0;
	dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x1000)), 64, D_COMPL);
	doorbell();
	wait_done(dsc);
	/* VFIO's reset is the function's: the channel comes back halted. */
	assert_int_equal(ioctl(d, VFIO_DEVICE_RESET), 0);
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_HALTED);
}

/* IO page faults: nothing outside what the IO page table grants. */
static void test_faults(void **state)
{
	uint8_t *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const uint64_t ro_iova = IOVA + BUF + 0x100000;
	struct desc *dsc;

	(void)state;
	memset(ro, 0x77, 4096);
	assert_int_equal(map_iova(ro_iova, ro, 4096, VFIO_DMA_MAP_FLAG_READ), 0);
	/* A destination the table maps read-only. */
	channel_start();
	memset(data(0), 0x11, 64);
	dsc = enqueue(OP_COPY, iova(data(0)), ro_iova, 64, D_COMPL);
	doorbell();
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_HALTED);
	assert_int_equal(r32(CHANERR) & ERR_DST, ERR_DST);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(ro[i], 0x77);
	(void)dsc;
	/* A destination nothing maps. */
	channel_start();
	dsc = enqueue(OP_COPY, iova(data(0)), 0x7f000000, 64, D_COMPL);
	doorbell();
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_HALTED);
	assert_int_equal(r32(CHANERR) & ERR_DST, ERR_DST);
	/* A source nothing maps. */
	channel_start();
	memset(data(0x1000), 0x22, 64);
	dsc = enqueue(OP_COPY, 0x7f000000, iova(data(0x1000)), 64, D_COMPL);
	doorbell();
	assert_int_equal(r64(CHANSTS) & STS_MASK, STS_HALTED);
	assert_int_equal(r32(CHANERR) & ERR_SRC, ERR_SRC);
	assert_int_equal(data(0x1000)[0], 0x22);
	/* CHANERR clears by writing its bits; the channel restarts. */
	w32(CHANERR, r32(CHANERR));
	assert_int_equal(r32(CHANERR), 0);
	channel_start();
	dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x1000)), 64, D_COMPL);
	doorbell();
	wait_done(dsc);
	munmap(ro, 4096);
}

/* A forked child drives the same device through the inherited mapping. */
static void test_fork(void **state)
{
	int st;
	pid_t pid;

	(void)state;
	channel_start();
	memset(data(0), 0x3c, 4096);
	memset(data(0x2000), 0, 4096);
	pid = fork();
	if (!pid) {
		struct desc *dsc = enqueue(OP_COPY, iova(data(0)), iova(data(0x2000)),
					   4096, D_COMPL);

		doorbell();
		for (int i = 0; i < 100000; i++)
			if ((*comp & ~0x3full) == iova(dsc))
				_exit(0);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_memory_equal(data(0), data(0x2000), 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_fill),
		cmocka_unit_test(test_chain_and_wrap),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_abort_and_reset),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_fork),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
