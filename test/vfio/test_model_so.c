// SPDX-License-Identifier: MIT
/*
 * An out-of-tree model loaded by path (examples/models/ticker.c, built as a
 * shared object): the launch gives it a device, and a VFIO client drives
 * it. Run by meson as
 *   uiommufd-run --vfio-device 0000:02:00.0@30,model=PATH/libticker.so -- THIS
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

#define BDF "0000:02:00.0"
#define CFG ((off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)

static int g, c, d;

static int setup(void **state)
{
	(void)state;
	g = open("/dev/vfio/30", O_RDWR | O_CLOEXEC);
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (g < 0 || c < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -1;
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF);
	return d < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(d);
	close(g);
	close(c);
	return 0;
}

static uint64_t rd(off_t off)
{
	uint64_t v = 0;

	assert_int_equal(pread(d, &v, 8, off), 8);
	return v;
}

static void wr(off_t off, uint64_t v)
{
	assert_int_equal(pwrite(d, &v, 8, off), 8);
}

static void test_identity_and_registers(void **state)
{
	uint16_t id[2];

	(void)state;
	assert_int_equal(pread(d, id, 4, CFG), 4);
	assert_int_equal(id[0], 0x1b36);
	assert_int_equal(id[1], 0x10f1);
	/* Each read of TICKS counts, wherever it comes from. */
	uint64_t t0 = rd(0x00);
	assert_int_equal(rd(0x00), t0 + 1);
	wr(0x08, 0x1122334455667788ull);
	assert_int_equal(rd(0x08), 0x1122334455667788ull);
}

/* A child process's reads reach the same device state. */
static void test_fork(void **state)
{
	uint64_t t0;
	pid_t pid;
	int st;

	(void)state;
	t0 = rd(0x00);
	pid = fork();
	if (!pid) {
		uint64_t v = 0;

		_exit(pread(d, &v, 8, 0) == 8 && v == t0 + 1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(rd(0x00), t0 + 2);
}

/* STORE writes by DMA through the container's IOAS, then interrupts. */
static void test_dma_and_msix(void **state)
{
	uint64_t *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = 0x100000, .size = 4096 };
	struct {
		/* vfio_irq_set's head (its data[] may not sit inside a struct) */
		struct { __u32 argsz, flags, index, start, count; } s;
		int32_t fd;
	} irq = { { .argsz = sizeof(irq), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
			VFIO_IRQ_SET_ACTION_TRIGGER, .index = VFIO_PCI_MSIX_IRQ_INDEX,
		    .start = 0, .count = 1 }, -1 };
	uint16_t cmd = 0x6; /* memory, bus master */
	uint64_t n = 0;

	(void)state;
	assert_int_equal(ioctl(c, VFIO_IOMMU_MAP_DMA, &m), 0);
	assert_int_equal(pwrite(d, &cmd, 2, CFG + 4), 2);
	irq.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(irq.fd >= 0);
	assert_int_equal(ioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	wr(0x10, 0x100008);
	wr(0x18, 0xfeedfacecafebeefull);
	assert_int_equal(rd(0x20), 0);
	assert_int_equal(buf[1], 0xfeedfacecafebeefull);
	assert_int_equal(read(irq.fd, &n, 8), 8);
	assert_int_equal(n, 1);
	/* An IOVA the container does not map: the model sees EFAULT. */
	wr(0x10, 0x900000);
	wr(0x18, 1);
	assert_int_equal(rd(0x20), EFAULT);
	close(irq.fd);
	munmap(buf, 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_and_registers),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_dma_and_msix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
