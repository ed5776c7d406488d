// SPDX-License-Identifier: MIT
/*
 * Config space through the config region (drivers/vfio/pci/
 * vfio_pci_config.c of 6.12): BAR sizing on the virtual BARs, the
 * command register (memory and I/O enable reach the device and gate BAR
 * access; INTx disable is virtual), read-only registers kept (ids, class,
 * capability pointers, the interrupt pin), the capability chain, power
 * management (D3hot turns the BARs off), PCI Express (FLR, the
 * virtualized fields), reads and writes of every size and alignment, the
 * region's bounds and bad buffers.
 *
 *     test_vfio_config BDF[@GROUP]
 */
#include <linux/pci_regs.h>
#include <sys/mman.h>

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

static uint32_t cfg_size(int d)
{
	struct vfio_region_info ri;

	assert_int_equal(vt_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri), 0);
	return (uint32_t)ri.size;
}

static uint64_t scratch_read(int d, const struct vt_model *m)
{
	uint64_t v = 0;

	assert_int_equal(vt_pread(d, &v, 8, VT_REGION(m->bar) + (off_t)m->scratch), 8);
	return v;
}

static void scratch_write(int d, const struct vt_model *m, uint64_t v)
{
	assert_int_equal(vt_pwrite(d, &v, 8, VT_REGION(m->bar) + (off_t)m->scratch), 8);
}

/* Write all ones over a read-only register: it keeps its value. */
static void check_ro(int d, unsigned int off, unsigned int len)
{
	uint32_t v = vt_cfg_read(d, off, len);

	vt_cfg_write(d, off, len, 0xffffffffu);
	assert_int_equal(vt_cfg_read(d, off, len), v);
	vt_cfg_write(d, off, len, 0);
	assert_int_equal(vt_cfg_read(d, off, len), v);
}

static void test_readonly_header(void **state)
{
	int d = gd.device;
	uint32_t id = vt_cfg_read(d, PCI_VENDOR_ID, 4);

	(void)state;
	assert_true((id & 0xffff) != 0xffff && (id & 0xffff) != 0);
	check_ro(d, PCI_VENDOR_ID, 2);
	check_ro(d, PCI_DEVICE_ID, 2);
	check_ro(d, PCI_VENDOR_ID, 4);
	check_ro(d, PCI_CLASS_REVISION, 4);
	check_ro(d, PCI_HEADER_TYPE, 1);
	check_ro(d, PCI_SUBSYSTEM_VENDOR_ID, 4);
	check_ro(d, PCI_CAPABILITY_LIST, 1);
	check_ro(d, PCI_INTERRUPT_PIN, 1);
	assert_int_equal(vt_cfg_read(d, PCI_HEADER_TYPE, 1) & 0x7f, PCI_HEADER_TYPE_NORMAL);
	/* The capability-list bit of the status register is vfio's. */
	{
		uint16_t st = (uint16_t)vt_cfg_read(d, PCI_STATUS, 2);

		vt_cfg_write(d, PCI_STATUS, 2, st ^ PCI_STATUS_CAP_LIST);
		assert_int_equal(vt_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
				 st & PCI_STATUS_CAP_LIST);
	}
	/* The interrupt line is the program's to keep. */
	vt_cfg_write(d, PCI_INTERRUPT_LINE, 1, 0x5a);
	assert_int_equal(vt_cfg_read(d, PCI_INTERRUPT_LINE, 1), 0x5a);
	vt_cfg_write(d, PCI_INTERRUPT_LINE, 1, 0xa5);
	assert_int_equal(vt_cfg_read(d, PCI_INTERRUPT_LINE, 1), 0xa5);
	/* Both ids unchanged by everything above. */
	assert_int_equal(vt_cfg_read(d, PCI_VENDOR_ID, 4), id);
}

static void test_bar_sizing(void **state)
{
	struct vfio_region_info ri;
	int d = gd.device;

	(void)state;
	for (unsigned int i = 0; i < 6; i++) {
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		uint32_t orig = vt_cfg_read(d, off, 4), flags, got;
		bool io = orig & PCI_BASE_ADDRESS_SPACE_IO;
		bool mem64 = !io && (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
					    PCI_BASE_ADDRESS_MEM_TYPE_64;

		assert_int_equal(vt_region_info(d, i, &ri), 0);
		if (!ri.size) {
			/* No BAR: reads 0, whatever is written. */
			assert_int_equal(orig, 0);
			vt_cfg_write(d, off, 4, 0xffffffff);
			assert_int_equal(vt_cfg_read(d, off, 4), 0);
			continue;
		}
		flags = orig & (io ? 0x3u : 0xfu);
		vt_cfg_write(d, off, 4, 0xffffffff);
		got = vt_cfg_read(d, off, 4);
		/* The size mask with the flags kept. */
		assert_int_equal(got & (io ? 0x3u : 0xfu), flags);
		assert_int_equal(got & ~(io ? 0x3u : 0xfu),
				 (uint32_t)~(ri.size - 1) & ~(io ? 0x3u : 0xfu));
		/* Written in bytes and halves alike. */
		vt_cfg_write(d, off, 2, 0);
		vt_cfg_write(d, off + 2, 2, 0);
		assert_int_equal(vt_cfg_read(d, off, 4), flags);
		vt_cfg_write(d, off + 3, 1, 0xff);
		assert_int_equal(vt_cfg_read(d, off, 4),
				 (0xff000000u & (uint32_t)~(ri.size - 1)) | flags);
		vt_cfg_write(d, off, 4, orig);
		assert_int_equal(vt_cfg_read(d, off, 4), orig);
		if (mem64) {
			uint32_t hi = vt_cfg_read(d, off + 4, 4);

			vt_cfg_write(d, off + 4, 4, 0xffffffff);
			assert_int_equal(vt_cfg_read(d, off + 4, 4),
					 (uint32_t)(~(ri.size - 1) >> 32));
			vt_cfg_write(d, off + 4, 4, hi);
			assert_int_equal(vt_cfg_read(d, off + 4, 4), hi);
			i++;
		}
	}
	/* The ROM BAR: the size mask and the enable bit, or nothing. */
	assert_int_equal(vt_region_info(d, VFIO_PCI_ROM_REGION_INDEX, &ri), 0);
	{
		uint32_t orig = vt_cfg_read(d, PCI_ROM_ADDRESS, 4);

		vt_cfg_write(d, PCI_ROM_ADDRESS, 4, 0xffffffff);
		if (!orig && !ri.size)
			assert_int_equal(vt_cfg_read(d, PCI_ROM_ADDRESS, 4), 0);
		vt_cfg_write(d, PCI_ROM_ADDRESS, 4, orig);
		assert_int_equal(vt_cfg_read(d, PCI_ROM_ADDRESS, 4), orig);
	}
}

/* BAR writes stay virtual: the device keeps decoding where it was. */
static void test_bars_virtual(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	int d = gd.device;
	unsigned int off;
	uint32_t orig;

	(void)state;
	if (!m)
		skip();
	off = PCI_BASE_ADDRESS_0 + 4 * m->bar;
	orig = vt_cfg_read(d, off, 4);
	scratch_write(d, m, 0x1240);
	vt_cfg_write(d, off, 4, 0x10000000);
	assert_int_equal(scratch_read(d, m), 0x1240);
	vt_cfg_write(d, off, 4, orig);
}

static void test_command_register(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	int d = gd.device, bar = vt_first_mem_bar(d, &ri);
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	uint64_t v = 0;

	(void)state;
	/* vfio-pci enabled memory decoding at open, and bus mastering off. */
	if (bar >= 0)
		assert_true(cmd & PCI_COMMAND_MEMORY);
	assert_false(cmd & PCI_COMMAND_MASTER);
	assert_false(cmd & PCI_COMMAND_INTX_DISABLE);
	/* Memory decoding off: BAR reads and writes are EIO. */
	if (bar >= 0) {
		vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
		assert_false(vt_cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
		assert_int_equal(vt_pread(d, &v, 4, VT_REGION(bar)), -EIO);
		assert_int_equal(vt_pwrite(d, &v, 4, VT_REGION(bar)), -EIO);
		/* A byte write of the register's low half counts too. */
		vt_cfg_write(d, PCI_COMMAND, 1, (cmd | PCI_COMMAND_MEMORY) & 0xff);
		assert_int_equal(vt_pread(d, &v, 4, VT_REGION(bar)), 4);
		vt_cfg_write(d, PCI_COMMAND, 1, cmd & ~PCI_COMMAND_MEMORY & 0xff);
		assert_int_equal(vt_pread(d, &v, 4, VT_REGION(bar)), -EIO);
		vt_cfg_write(d, PCI_COMMAND, 2, cmd);
		assert_int_equal(vt_pread(d, &v, 4, VT_REGION(bar)), 4);
	}
	/* Bus master reaches the device and reads back. */
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER);
	assert_true(vt_cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_MASTER);
	/* INTx disable: virtual, reads back. */
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_true(vt_cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	vt_cfg_write(d, PCI_COMMAND + 1, 1, 0);
	assert_false(vt_cfg_read(d, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_int_equal(vt_cfg_read(d, PCI_COMMAND, 2), cmd);
	(void)m;
}

/* The copy engine's DMA follows the bus master bit (model-specific). */
static void test_bus_master_reaches_device(void **state)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
						.flags = VFIO_DMA_MAP_FLAG_READ |
							 VFIO_DMA_MAP_FLAG_WRITE };
	int d = gd.device;
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	char *buf;
	uint64_t regs[4], st;

	(void)state;
	if (vt_fd_id(d) != VT_ID_COPY_ENGINE)
		skip();
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	strcpy(buf, "master");
	map.vaddr = (uintptr_t)buf;
	map.iova = 1ull << 24;
	map.size = 8192;
	assert_int_equal(vt_ioctl(gd.container, VFIO_IOMMU_MAP_DMA, &map), 0);
	regs[0] = map.iova;
	regs[1] = map.iova + 4096;
	regs[2] = 7;
	regs[3] = 1;
	assert_int_equal(vt_pwrite(d, regs, sizeof(regs), 0), sizeof(regs));
	assert_int_equal(vt_pread(d, &st, 8, 0x20), 8);
	assert_int_equal(st, 2 | (EPERM << 8));
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER);
	assert_int_equal(vt_pwrite(d, regs, sizeof(regs), 0), sizeof(regs));
	assert_int_equal(vt_pread(d, &st, 8, 0x20), 8);
	assert_int_equal(st, 1);
	assert_string_equal(buf + 4096, "master");
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	munmap(buf, 8192);
}

static void test_capability_chain(void **state)
{
	int d = gd.device;
	unsigned int pos, n = 0, seen[64];
	uint32_t size = cfg_size(d);

	(void)state;
	if (!(vt_cfg_read(d, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) {
		assert_int_equal(vt_cfg_read(d, PCI_CAPABILITY_LIST, 1), 0);
		return;
	}
	pos = vt_cfg_read(d, PCI_CAPABILITY_LIST, 1);
	assert_true(pos >= PCI_STD_HEADER_SIZEOF);
	while (pos) {
		uint8_t id = (uint8_t)vt_cfg_read(d, pos, 1);
		uint8_t next = (uint8_t)vt_cfg_read(d, pos + 1, 1);

		assert_true(pos >= PCI_STD_HEADER_SIZEOF && pos < 256 && !(pos & 3));
		assert_true(n < 48);
		for (unsigned int i = 0; i < n; i++)
			assert_true(seen[i] != pos);
		seen[n++] = pos;
		/* Only capabilities vfio-pci knows are shown. */
		assert_true(id != 0);
		/* The id and next pointer are vfio's: read-only. */
		check_ro(d, pos, 1);
		check_ro(d, pos + 1, 1);
		/* A word read gives both. */
		assert_int_equal(vt_cfg_read(d, pos, 2), (uint32_t)(id | next << 8));
		pos = next;
	}
	if (size > 256) {
		/* Extended space: the first header, or nothing. */
		uint32_t h = vt_cfg_read(d, 0x100, 4);

		if (h)
			assert_true((h >> 20) == 0 || (h >> 20) >= 0x100);
	}
}

static void test_access_sizes(void **state)
{
	int d = gd.device;
	uint32_t size = cfg_size(d);
	uint8_t whole[4096], part[64];

	(void)state;
	/* The whole space in one read, then in pieces of every size at
	 * every alignment: the same bytes (nothing here has read side
	 * effects). */
	assert_int_equal(vt_pread(d, whole, size, VT_CFG), (long)size);
	for (unsigned int len = 1; len <= 16; len++) {
		for (unsigned int off = 0; off + len <= 256; off += 1 + (len > 4) * 3) {
			memset(part, 0xee, sizeof(part));
			assert_int_equal(vt_pread(d, part, len, VT_CFG + off), (long)len);
			/* The BARs read as the host left them; the status
			 * register's error bits may change under us. */
			if (off < PCI_STATUS + 2 && off + len > PCI_STATUS)
				continue;
			assert_memory_equal(part, whole + off, len);
		}
	}
}

/* Writes of every size and alignment to a writable virtual register. */
static void test_write_sizes(void **state)
{
	int d = gd.device;
	unsigned int msi = vt_find_cap(d, PCI_CAP_ID_MSI), reg;
	uint32_t orig;

	(void)state;
	if (!msi)
		skip();
	reg = msi + PCI_MSI_ADDRESS_LO;
	orig = vt_cfg_read(d, reg, 4);
	vt_cfg_write(d, reg, 4, 0x11223344);
	assert_int_equal(vt_cfg_read(d, reg, 4), 0x11223344);
	vt_cfg_write(d, reg + 1, 1, 0xaa);
	assert_int_equal(vt_cfg_read(d, reg, 4), 0x1122aa44);
	vt_cfg_write(d, reg + 2, 2, 0xbbcc);
	assert_int_equal(vt_cfg_read(d, reg, 4), 0xbbccaa44);
	assert_int_equal(vt_cfg_read(d, reg + 1, 2), 0xccaa);
	assert_int_equal(vt_cfg_read(d, reg + 1, 3), 0xbbccaa);
	{
		uint8_t b[3] = { 0x01, 0x02, 0x03 };

		/* An unaligned 3-byte write: a byte and a word. */
		assert_int_equal(vt_pwrite(d, b, 3, VT_CFG + reg + 1), 3);
		assert_int_equal(vt_cfg_read(d, reg, 4), 0x03020144);
	}
	vt_cfg_write(d, reg, 4, orig);
}

static void test_bounds_and_buffers(void **state)
{
	int d = gd.device;
	uint32_t size = cfg_size(d);
	uint8_t buf[16];
	void *volatile null = NULL;
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);

	(void)state;
	assert_int_equal(vt_pread(d, buf, 4, VT_CFG + size - 4), 4);
	/* Past the end, or running over it: EFAULT. */
	assert_int_equal(vt_pread(d, buf, 4, VT_CFG + size), -EFAULT);
	assert_int_equal(vt_pread(d, buf, 8, VT_CFG + size - 4), -EFAULT);
	assert_int_equal(vt_pwrite(d, buf, 8, VT_CFG + size - 4), -EFAULT);
	assert_int_equal(vt_pread(d, buf, 1, VT_CFG + (1ull << 39)), -EFAULT);
	/* Nothing to do is done before anything is checked. */
	assert_int_equal(vt_pread(d, buf, 0, VT_CFG + size + 100), 0);
	assert_int_equal(vt_pwrite(d, buf, 0, VT_CFG + size + 100), 0);
	assert_int_equal(vt_pread(d, buf, 0, VT_REGION(50)), 0);
	/* Regions past the end. */
	assert_int_equal(vt_pread(d, buf, 4, VT_REGION(50)), -EINVAL);
	assert_int_equal(vt_pwrite(d, buf, 4, VT_REGION(0x7ffff)), -EINVAL);
	/* A bad buffer. */
	assert_int_equal(vt_pread(d, null, 4, VT_CFG), -EFAULT);
	assert_int_equal(vt_pwrite(d, null, 4, VT_CFG + PCI_INTERRUPT_LINE), -EFAULT);
	/* A write to a read-only capability never reads the buffer. */
	if (msix)
		assert_int_equal(vt_pwrite(d, null, 4, VT_CFG + msix), 4);
}

static void test_power_management(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_region_info ri;
	int d = gd.device, bar = vt_first_mem_bar(d, &ri);
	unsigned int pm = vt_find_cap(d, PCI_CAP_ID_PM);
	uint16_t ctrl, pmc, cmd;
	uint64_t v;

	(void)state;
	if (!pm)
		skip();
	pmc = (uint16_t)vt_cfg_read(d, pm + PCI_PM_PMC, 2);
	ctrl = (uint16_t)vt_cfg_read(d, pm + PCI_PM_CTRL, 2);
	/* No PME for the program: support and enable read as none. */
	assert_int_equal(pmc & PCI_PM_CAP_PME_MASK, 0);
	assert_int_equal(ctrl & (PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS), 0);
	vt_cfg_write(d, pm + PCI_PM_CTRL, 2, ctrl | PCI_PM_CTRL_PME_ENABLE);
	assert_false(vt_cfg_read(d, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_PME_ENABLE);
	check_ro(d, pm + PCI_PM_PMC, 2);
	assert_int_equal(ctrl & PCI_PM_CTRL_STATE_MASK, 0);
	if (bar < 0)
		return;
	cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	if (m)
		scratch_write(d, m, 0x40);
	/* D3hot: the power state reads back; the BARs are off. */
	vt_cfg_write(d, pm + PCI_PM_CTRL, 2, (ctrl & ~PCI_PM_CTRL_STATE_MASK) | 3);
	assert_int_equal(vt_cfg_read(d, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK, 3);
	assert_int_equal(vt_pread(d, &v, 4, VT_REGION(bar)), -EIO);
	assert_int_equal(vt_pwrite(d, &v, 4, VT_REGION(bar)), -EIO);
	/* Config space stays. */
	assert_int_equal(vt_cfg_read(d, PCI_COMMAND, 2), cmd);
	/* D0 again: back, config restored; a device without NoSoftRst
	 * was reset on the way. */
	vt_cfg_write(d, pm + PCI_PM_CTRL, 2, ctrl & ~PCI_PM_CTRL_STATE_MASK);
	assert_int_equal(vt_cfg_read(d, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	assert_int_equal(vt_pread(d, &v, 4, VT_REGION(bar)), 4);
	assert_int_equal(vt_cfg_read(d, PCI_COMMAND, 2), cmd);
	if (m)
		assert_int_equal(scratch_read(d, m),
				 (ctrl & PCI_PM_CTRL_NO_SOFT_RESET) ? 0x40 : 0);
	/* Closing the device takes it back to D0. */
	vt_cfg_write(d, pm + PCI_PM_CTRL, 2, (ctrl & ~PCI_PM_CTRL_STATE_MASK) | 3);
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(vt_cfg_read(gd.device, pm + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	assert_int_equal(vt_pread(gd.device, &v, 4, VT_REGION(bar)), 4);
}

static void test_pci_express(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	int d = gd.device;
	unsigned int exp = vt_find_cap(d, PCI_CAP_ID_EXP);
	uint16_t ctl, ctl2, cmd;

	(void)state;
	if (!exp)
		skip();
	check_ro(d, exp + PCI_EXP_FLAGS, 2);
	check_ro(d, exp + PCI_EXP_DEVCAP, 4);
	ctl = (uint16_t)vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2);
	assert_false(ctl & PCI_EXP_DEVCTL_BCR_FLR);
	/* Payload and read request sizes: the program's own values. */
	vt_cfg_write(d, exp + PCI_EXP_DEVCTL, 2,
		     (ctl & ~(PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ)) |
			     (1 << 5) | (3 << 12));
	assert_int_equal(vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2) &
			 (PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ),
			 (1 << 5) | (3 << 12));
	vt_cfg_write(d, exp + PCI_EXP_DEVCTL, 2, ctl);
	assert_int_equal(vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2), ctl);
	/* ARI forwarding is the host's. */
	ctl2 = (uint16_t)vt_cfg_read(d, exp + PCI_EXP_DEVCTL2, 2);
	vt_cfg_write(d, exp + PCI_EXP_DEVCTL2, 2, ctl2 ^ PCI_EXP_DEVCTL2_ARI);
	assert_int_equal(vt_cfg_read(d, exp + PCI_EXP_DEVCTL2, 2) & PCI_EXP_DEVCTL2_ARI,
			 ctl2 & PCI_EXP_DEVCTL2_ARI);
	vt_cfg_write(d, exp + PCI_EXP_DEVCTL2, 2, ctl2);
	/* FLR: reads as zero, resets a device that has it, config kept. */
	cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER);
	if (m)
		scratch_write(d, m, 0x80);
	vt_cfg_write(d, exp + PCI_EXP_DEVCTL, 2, ctl | PCI_EXP_DEVCTL_BCR_FLR);
	assert_false(vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2) & PCI_EXP_DEVCTL_BCR_FLR);
	assert_int_equal(vt_cfg_read(d, PCI_COMMAND, 2), cmd | PCI_COMMAND_MASTER);
	if (m)
		assert_int_equal(scratch_read(d, m),
				 (vt_cfg_read(d, exp + PCI_EXP_DEVCAP, 4) & PCI_EXP_DEVCAP_FLR) ?
					 0 : 0x80);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
}

/* VFIO_DEVICE_RESET resets the device, as a model shows. */
static void test_reset_device_state(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	struct vfio_device_info di = { .argsz = sizeof(di) };

	(void)state;
	if (!m)
		skip();
	assert_int_equal(vt_ioctl(gd.device, VFIO_DEVICE_GET_INFO, &di), 0);
	if (!(di.flags & VFIO_DEVICE_FLAGS_RESET))
		skip();
	scratch_write(gd.device, m, 0xc0);
	assert_int_equal(scratch_read(gd.device, m), 0xc0);
	assert_int_equal(vt_ioctl(gd.device, VFIO_DEVICE_RESET, NULL), 0);
	assert_int_equal(scratch_read(gd.device, m), 0);
	/* The first open resets too. */
	scratch_write(gd.device, m, 0xc0);
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(scratch_read(gd.device, m), 0);
}

/* Closing the device puts back the config space saved at open. */
static void test_config_restored_at_close(void **state)
{
	int d = gd.device;
	unsigned int exp = vt_find_cap(d, PCI_CAP_ID_EXP);
	uint8_t cls = (uint8_t)vt_cfg_read(d, PCI_CACHE_LINE_SIZE, 1);
	uint16_t ctl = exp ? (uint16_t)vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2) : 0;

	(void)state;
	vt_cfg_write(d, PCI_CACHE_LINE_SIZE, 1, cls ^ 0x10);
	/* (A device may hardwire it: then there is nothing to restore.) */
	if (vt_cfg_read(d, PCI_CACHE_LINE_SIZE, 1) != (uint8_t)(cls ^ 0x10))
		assert_int_equal(vt_cfg_read(d, PCI_CACHE_LINE_SIZE, 1), cls);
	if (exp) {
		vt_cfg_write(d, exp + PCI_EXP_DEVCTL, 2, ctl ^ PCI_EXP_DEVCTL_RELAX_EN);
		assert_int_equal(vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2),
				 ctl ^ PCI_EXP_DEVCTL_RELAX_EN);
	}
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	d = gd.device;
	assert_int_equal(vt_cfg_read(d, PCI_CACHE_LINE_SIZE, 1), cls);
	if (exp)
		assert_int_equal(vt_cfg_read(d, exp + PCI_EXP_DEVCTL, 2), ctl);
}

static const struct CMUnitTest tests[] = {
	DEV_TEST(test_readonly_header),
	DEV_TEST(test_bar_sizing),
	DEV_TEST(test_bars_virtual),
	DEV_TEST(test_command_register),
	DEV_TEST(test_bus_master_reaches_device),
	DEV_TEST(test_capability_chain),
	DEV_TEST(test_access_sizes),
	DEV_TEST(test_write_sizes),
	DEV_TEST(test_bounds_and_buffers),
	DEV_TEST(test_power_management),
	DEV_TEST(test_pci_express),
	DEV_TEST(test_reset_device_state),
	DEV_TEST(test_config_restored_at_close),
};

VT_MAIN(tests)
