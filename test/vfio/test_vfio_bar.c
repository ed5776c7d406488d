// SPDX-License-Identifier: MIT
/*
 * BAR regions through pread and pwrite (drivers/vfio/pci/vfio_pci_rdwr.c
 * of 6.12): accesses of 1, 2, 4 and 8 bytes and odd lengths (split into
 * naturally aligned pieces), the end of the BAR (EINVAL at it, short
 * counts over it), BARs without size and the ROM (EINVAL), memory
 * decoding off (EIO), the MSI-X table kept out (reads all ones, writes
 * dropped), the file mode. Register values are model-specific (an 8-byte
 * scratch register of uiommufd's models); the rest holds for any device.
 *
 *     test_vfio_bar BDF[@GROUP]
 */
#include <linux/pci_regs.h>

#include "vfio_test.h"

static struct vt_gdev gd;

static int open_dev(void **state)
{
	vt_test_setup(state);
	vt_gdev_open(vt_dev(), &gd);
	return 0;
}

static int close_dev(void **state)
{
	vt_gdev_close(&gd);
	return vt_test_teardown(state);
}

#define DEV_TEST(f) cmocka_unit_test_setup_teardown(f, open_dev, close_dev)

static void test_bar_widths(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	int d = gd.device;
	off_t r;
	uint64_t v, pat = 0x8877665544332211ull & ~0x3full;
	uint8_t b[8];

	(void)state;
	if (!m)
		skip();
	r = VT_REGION(m->bar) + (off_t)m->scratch;
	assert_int_equal(vt_pwrite(d, &pat, 8, r), 8);
	v = 0;
	assert_int_equal(vt_pread(d, &v, 8, r), 8);
	assert_int_equal(v, pat);
	/* Every width at every aligned place reads its bytes. */
	for (unsigned int w = 1; w <= 8; w *= 2) {
		for (unsigned int o = 0; o < 8; o += w) {
			memset(b, 0, sizeof(b));
			assert_int_equal(vt_pread(d, b, w, r + o), (long)w);
			assert_memory_equal(b, (uint8_t *)&pat + o, w);
		}
	}
	/* Odd lengths and places: split, the same bytes. */
	for (unsigned int o = 0; o < 8; o++) {
		for (unsigned int n = 1; o + n <= 8; n++) {
			memset(b, 0, sizeof(b));
			assert_int_equal(vt_pread(d, b, n, r + o), (long)n);
			assert_memory_equal(b, (uint8_t *)&pat + o, n);
		}
	}
	/* Writes of each width change just their bytes. */
	v = 0x40;
	assert_int_equal(vt_pwrite(d, &v, 8, r), 8);
	b[0] = 0xc0;
	assert_int_equal(vt_pwrite(d, b, 1, r), 1);
	*(uint16_t *)b = 0xbeef;
	assert_int_equal(vt_pwrite(d, b, 2, r + 2), 2);
	*(uint32_t *)b = 0xfeedface;
	assert_int_equal(vt_pwrite(d, b, 4, r + 4), 4);
	assert_int_equal(vt_pread(d, &v, 8, r), 8);
	assert_int_equal(v, 0xfeedfacebeef00c0ull);
	/* Three bytes at 5: a byte and a word. */
	b[0] = 1;
	b[1] = 2;
	b[2] = 3;
	assert_int_equal(vt_pwrite(d, b, 3, r + 5), 3);
	assert_int_equal(vt_pread(d, &v, 8, r), 8);
	assert_int_equal(v, 0x030201cebeef00c0ull);
	v = 0;
	assert_int_equal(vt_pwrite(d, &v, 8, r), 8);
}

/* The copy engine's read-only ID register (model-specific). */
static void test_bar_identity(void **state)
{
	int d = gd.device;
	char id[9] = { 0 };
	uint8_t ver;

	(void)state;
	if (vt_fd_id(d) == VT_ID_COPY_ENGINE) {
		assert_int_equal(vt_pread(d, id, 8, 0x28), 8);
		assert_string_equal(id, "ufuiommu");
		assert_int_equal(vt_pread(d, id, 3, 0x2b), 3);
		assert_memory_equal(id, "iom", 3);
		/* Read-only. */
		assert_int_equal(vt_pwrite(d, "xxxxxxxx", 8, 0x28), 8);
		assert_int_equal(vt_pread(d, id, 8, 0x28), 8);
		assert_memory_equal(id, "ufuiommu", 8);
	} else if (vt_fd_id(d) == VT_ID_IOAT) {
		/* CHANCNT 1, XFERCAP 20, CBVER 3.3 */
		assert_int_equal(vt_pread(d, id, 2, 0x00), 2);
		assert_int_equal(id[0], 1);
		assert_int_equal(id[1], 20);
		assert_int_equal(vt_pread(d, &ver, 1, 0x08), 1);
		assert_int_equal(ver, 0x33);
	} else {
		skip();
	}
}

/* read() and write() at the file position: from 0, which is BAR 0. */
static void test_bar_file_position(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	int d = gd.device;
	uint64_t v = 0, w;

	(void)state;
	if (!m || m->bar != 0)
		skip();
	assert_int_equal(vt_pwrite(d, &v, 8, (off_t)m->scratch), 8);
	/* Up to the scratch register, then it. */
	for (uint64_t o = 0; o < m->scratch; o += 8)
		assert_int_equal(read(d, &w, 8), 8);
	v = 0x2c0;
	assert_int_equal(write(d, &v, 8), 8);
	assert_int_equal(vt_pread(d, &w, 8, (off_t)m->scratch), 8);
	assert_int_equal(w, 0x2c0);
	v = 0;
	assert_int_equal(vt_pwrite(d, &v, 8, (off_t)m->scratch), 8);
}

static void test_bar_bounds(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device, bar = vt_first_mem_bar(d, &ri);
	uint8_t buf[64];
	void *volatile null = NULL;

	(void)state;
	if (bar < 0)
		skip();
	/* The last bytes, at the end, over it: a short count. */
	assert_int_equal(vt_pread(d, buf, 4, VT_REGION(bar) + (off_t)ri.size - 4), 4);
	assert_int_equal(vt_pread(d, buf, 16, VT_REGION(bar) + (off_t)ri.size - 4), 4);
	assert_int_equal(vt_pread(d, buf, 4, VT_REGION(bar) + (off_t)ri.size), -EINVAL);
	assert_int_equal(vt_pwrite(d, buf, 4, VT_REGION(bar) + (off_t)ri.size), -EINVAL);
	assert_int_equal(vt_pread(d, buf, 1, VT_REGION(bar) + (1ll << 39)), -EINVAL);
	/* Nothing to do: 0, before anything. */
	assert_int_equal(vt_pread(d, buf, 0, VT_REGION(bar) + (off_t)ri.size), 0);
	/* A bad buffer. */
	assert_int_equal(vt_pread(d, null, 4, VT_REGION(bar)), -EFAULT);
	assert_int_equal(vt_pwrite(d, null, 4, VT_REGION(bar)), -EFAULT);
	/* BARs without size, and the ROM without a ROM: EINVAL. */
	for (unsigned int i = 0; i <= VFIO_PCI_ROM_REGION_INDEX; i++) {
		assert_int_equal(vt_region_info(d, i, &ri), 0);
		if (ri.size)
			continue;
		assert_int_equal(vt_pread(d, buf, 4, VT_REGION(i)), -EINVAL);
		assert_int_equal(vt_pwrite(d, buf, 4, VT_REGION(i)), -EINVAL);
	}
	/* The ROM is never written. */
	assert_int_equal(vt_pwrite(d, buf, 4, VT_REGION(VFIO_PCI_ROM_REGION_INDEX)), -EINVAL);
	/* The VGA region of a device that has none. */
	if ((vt_cfg_read(d, PCI_CLASS_REVISION, 4) >> 16) != 0x0300)
		assert_int_equal(vt_pread(d, buf, 4, VT_REGION(VFIO_PCI_VGA_REGION_INDEX)),
				 -EINVAL);
}

static void test_bar_memory_disabled(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device, bar = vt_first_mem_bar(d, &ri);
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	uint8_t buf[8];

	(void)state;
	if (bar < 0)
		skip();
	vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	for (unsigned int n = 1; n <= 8; n++) {
		assert_int_equal(vt_pread(d, buf, n, VT_REGION(bar)), -EIO);
		assert_int_equal(vt_pwrite(d, buf, n, VT_REGION(bar)), -EIO);
	}
	/* EIO comes after the bounds. */
	assert_int_equal(vt_pread(d, buf, 4, VT_REGION(bar) + (off_t)ri.size), -EINVAL);
	/* The buffer is copied before a write is refused. */
	{
		void *volatile null = NULL;

		assert_int_equal(vt_pwrite(d, null, 4, VT_REGION(bar)), -EFAULT);
	}
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_int_equal(vt_pread(d, buf, 8, VT_REGION(bar)), 8);
}

static void test_bar_msix_excluded(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device;
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	uint32_t table, nvec, bar, off;
	uint8_t buf[64], ones[64];
	void *volatile null = NULL;

	(void)state;
	if (!msix)
		skip();
	table = vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4);
	nvec = (vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1;
	bar = table & PCI_MSIX_TABLE_BIR;
	off = table & PCI_MSIX_TABLE_OFFSET;
	assert_int_equal(vt_region_info(d, bar, &ri), 0);
	memset(ones, 0xff, sizeof(ones));
	/* The table reads all ones, at any width. */
	for (unsigned int n = 1; n <= 16; n++) {
		memset(buf, 0, sizeof(buf));
		assert_int_equal(vt_pread(d, buf, n, VT_REGION(bar) + off), (long)n);
		assert_memory_equal(buf, ones, n);
	}
	/* Writes are dropped, the buffer never read. */
	assert_int_equal(vt_pwrite(d, null, 16, VT_REGION(bar) + off), 16);
	memset(buf, 0, 16);
	assert_int_equal(vt_pwrite(d, buf, 16, VT_REGION(bar) + off), 16);
	assert_int_equal(vt_pread(d, buf, 16, VT_REGION(bar) + off), 16);
	assert_memory_equal(buf, ones, 16);
	/* The last entry's last byte, and the byte after the table. */
	assert_int_equal(vt_pread(d, buf, 1, VT_REGION(bar) + off + nvec * 16 - 1), 1);
	assert_int_equal(buf[0], 0xff);
	/* An access across the table's start: bytes before it are the
	 * device's, the table's part all ones. */
	if (off >= 8) {
		assert_int_equal(vt_pread(d, buf, 16, VT_REGION(bar) + off - 8), 16);
		assert_memory_equal(buf + 8, ones, 8);
	}
	/* Memory decoding off: the table part needs no decoding. */
	{
		uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);

		vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
		assert_int_equal(vt_pread(d, buf, 16, VT_REGION(bar) + off), 16);
		assert_memory_equal(buf, ones, 16);
		vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	}
}

/* The MSI-X table stays the host's: what the program wrote never lands. */
static void test_bar_msix_table_is_hosts(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	int d = gd.device;
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	uint32_t table, entry[4] = { 0x12345678, 0, 0xabcd, 0 };

	(void)state;
	if (!msix || !m)
		skip();
	table = vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4);
	assert_int_equal(vt_pwrite(d, entry, 16, VT_REGION(table & PCI_MSIX_TABLE_BIR) +
					       (table & PCI_MSIX_TABLE_OFFSET)), 16);
	/* The PBA is not excluded: it reads as the device has it. */
	{
		uint32_t pba = vt_cfg_read(d, msix + PCI_MSIX_PBA, 4);
		uint64_t v = 0xdead;

		assert_int_equal(vt_pread(d, &v, 8, VT_REGION(pba & PCI_MSIX_PBA_BIR) +
						    (pba & PCI_MSIX_PBA_OFFSET)), 8);
		assert_int_equal(v, 0);
	}
}

/* An address in the kernel's half: no user memory whatever the paging. */
#define KERNEL_ADDR ((void *)0xffff888000000000ull)

/*
 * What the VFS decides before vfio-pci sees a read or a write, in its
 * order (ksys_pread64, vfs_read, rw_verify_area): a negative offset of
 * pread/pwrite (EINVAL), a buffer outside user memory (access_ok: EFAULT,
 * for a zero count too, and for a count that wraps), an end past the
 * largest offset (EINVAL); only then does a zero count read nothing.
 */
static void test_vfs_checks(void **state)
{
	volatile size_t huge = SIZE_MAX; /* hidden from the compiler's checks */
	uint8_t buf[8];
	int d = gd.device;

	(void)state;
	assert_int_equal(vt_pread(d, buf, 4, -1), -EINVAL);
	assert_int_equal(vt_pwrite(d, buf, 4, -8), -EINVAL);
	assert_int_equal(vt_pread(d, KERNEL_ADDR, 4, VT_CFG), -EFAULT);
	assert_int_equal(vt_pread(d, KERNEL_ADDR, 0, VT_CFG), -EFAULT);
	assert_int_equal(vt_pwrite(d, KERNEL_ADDR, 0, VT_REGION(99)), -EFAULT);
	assert_int_equal(vt_pread(d, buf, SIZE_MAX, VT_CFG), -EFAULT);
	assert_int_equal(vt_pread(d, buf, (size_t)1 << 63, VT_CFG), -EFAULT);
	assert_int_equal(vt_pread(d, buf, 8, INT64_MAX - 4), -EINVAL);
	assert_int_equal(vt_pread(d, buf, 0, VT_REGION(99)), 0);
	assert_int_equal(vt_pread(d, buf, 0, VT_CFG), 0);
	assert_int_equal(read(d, KERNEL_ADDR, 0), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(write(d, buf, huge), -1);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(read(d, buf, 0), 0);
	/* NULL passes access_ok: the copies fault. */
	assert_int_equal(vt_pread(d, NULL, 4, VT_CFG), -EFAULT);
	assert_int_equal(vt_pwrite(d, NULL, 2, VT_CFG + PCI_COMMAND), -EFAULT);
}

/* A NULL buffer at a BAR: the copy faults (no arithmetic on it either). */
static void test_bar_null_buffer(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device, bar = vt_first_mem_bar(d, &ri);

	(void)state;
	if (bar < 0)
		skip();
	assert_int_equal(vt_pread(d, NULL, 8, VT_REGION(bar)), -EFAULT);
	assert_int_equal(vt_pwrite(d, NULL, 8, VT_REGION(bar)), -EFAULT);
}

/* The offset comes before the file's mode; an unbound cdev refuses the rest. */
static void test_vfs_checks_cdev(void **state)
{
	uint8_t buf[8];
	int d;

	(void)state;
	vt_gdev_close(&gd);
	VT_REQUIRE_CDEV(vt_dev());
	d = open(vt_dev()->cdev_path, O_WRONLY | O_CLOEXEC);
	assert_true(d >= 0);
	assert_int_equal(vt_pread(d, buf, 4, -1), -EINVAL);
	assert_int_equal(vt_pread(d, buf, 4, VT_CFG), -EBADF);
	assert_int_equal(vt_pwrite(d, KERNEL_ADDR, 1, VT_CFG), -EFAULT);
	/* vfio_device_fops_write: no access before BIND, a zero count too */
	assert_int_equal(vt_pwrite(d, buf, 0, VT_CFG), -EINVAL);
	close(d);
}

/* A cdev opened read-only cannot write, and no file reads what it may not. */
static void test_file_mode(void **state)
{
	struct vfio_device_bind_iommufd b = { .argsz = sizeof(b) };
	uint8_t buf[4];
	int d, fd;

	(void)state;
	vt_gdev_close(&gd);
	VT_REQUIRE_CDEV(vt_dev());
	fd = vt_iommufd_open();
	d = open(vt_dev()->cdev_path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && d >= 0);
	/* Before binding: the VFS refuses the write first. */
	assert_int_equal(vt_pwrite(d, buf, 4, VT_CFG), -EBADF);
	b.iommufd = fd;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(vt_pread(d, buf, 4, VT_CFG), 4);
	assert_int_equal(vt_pwrite(d, buf, 4, VT_CFG), -EBADF);
	assert_int_equal(write(d, buf, 4), -1);
	assert_int_equal(errno, EBADF);
	close(d);
	d = open(vt_dev()->cdev_path, O_WRONLY | O_CLOEXEC);
	assert_true(d >= 0);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
	assert_int_equal(vt_pread(d, buf, 4, VT_CFG), -EBADF);
	assert_int_equal(vt_pwrite(d, buf, 1, VT_CFG + PCI_INTERRUPT_LINE), 1);
	close(d);
	close(fd);
}

/*
 * An I/O BAR: no memory decoding test (vfio_pci_bar_rw tests memory BARs
 * only), accesses of up to 4 bytes each; a BAR of less than a page.
 * Model-specific: the suite's wide model has both, with scratch bytes.
 */
static void test_bar_io_and_small(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device;
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	uint64_t v = 0x1122334455667788ull, w = 0;
	uint8_t buf[300];

	(void)state;
	if (vt_fd_id(d) != VT_ID_WIDE)
		skip();
	assert_int_equal(vt_region_info(d, 4, &ri), 0);
	assert_int_equal(ri.size, 32);
	assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	assert_true(vt_cfg_read(d, PCI_BASE_ADDRESS_4, 4) & PCI_BASE_ADDRESS_SPACE_IO);
	assert_true(cmd & PCI_COMMAND_IO);
	assert_int_equal(vt_pwrite(d, &v, 8, VT_REGION(4) + 8), 8);
	assert_int_equal(vt_pread(d, &w, 8, VT_REGION(4) + 8), 8);
	assert_int_equal(w, v);
	/* Memory decoding off does not stop I/O space. */
	vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	assert_int_equal(vt_pread(d, &w, 4, VT_REGION(4) + 8), 4);
	assert_int_equal(vt_pread(d, &w, 4, VT_REGION(3)), -EIO);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	/* The end of the I/O BAR. */
	assert_int_equal(vt_pread(d, buf, 64, VT_REGION(4) + 16), 16);
	assert_int_equal(vt_pread(d, buf, 1, VT_REGION(4) + 32), -EINVAL);
	/* A 256-byte memory BAR: a short count at its end. */
	assert_int_equal(vt_region_info(d, 3, &ri), 0);
	assert_int_equal(ri.size, 256);
	assert_int_equal(vt_pwrite(d, &v, 8, VT_REGION(3) + 248), 8);
	assert_int_equal(vt_pread(d, buf, sizeof(buf), VT_REGION(3)), 256);
	assert_memory_equal(buf + 248, &v, 8);
	assert_int_equal(vt_pread(d, buf, 1, VT_REGION(3) + 256), -EINVAL);
}

/*
 * The bytes of a BAR that holds the MSI-X table and PBA outside both are
 * the device's (vfio_pci_bar_rw excludes the table only). Model-specific:
 * the wide model's BAR 2 has scratch bytes from 0x900 to its end; its
 * accessor computed their address out of its array's bounds (clang's
 * UBSan, found by fuzz_vfio).
 */
static void test_bar_msix_bar_scratch(void **state)
{
	int d = gd.device;
	uint64_t v = 0x0102030405060708ull, w = 0;
	uint8_t b = 0x5a, c = 0;

	(void)state;
	if (vt_fd_id(d) != VT_ID_WIDE)
		skip();
	assert_int_equal(vt_pwrite(d, &v, 8, VT_REGION(2) + 0x900), 8);
	assert_int_equal(vt_pread(d, &w, 8, VT_REGION(2) + 0x900), 8);
	assert_int_equal(w, v);
	assert_int_equal(vt_pwrite(d, &b, 1, VT_REGION(2) + 0xfff), 1);
	assert_int_equal(vt_pread(d, &c, 1, VT_REGION(2) + 0xfff), 1);
	assert_int_equal(c, b);
	assert_int_equal(vt_pread(d, &w, 8, VT_REGION(2) + 0xff8), 8);
	assert_int_equal(w >> 56, b);
}

static const struct CMUnitTest tests[] = {
	DEV_TEST(test_bar_widths),
	DEV_TEST(test_bar_identity),
	DEV_TEST(test_bar_file_position),
	DEV_TEST(test_bar_bounds),
	DEV_TEST(test_bar_memory_disabled),
	DEV_TEST(test_bar_msix_excluded),
	DEV_TEST(test_bar_msix_table_is_hosts),
	DEV_TEST(test_bar_io_and_small),
	DEV_TEST(test_bar_msix_bar_scratch),
	DEV_TEST(test_vfs_checks),
	DEV_TEST(test_bar_null_buffer),
	DEV_TEST(test_vfs_checks_cdev),
	DEV_TEST(test_file_mode),
};

VT_MAIN(tests)
