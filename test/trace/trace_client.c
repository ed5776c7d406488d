// SPDX-License-Identifier: MIT
/*
 * A client for the trace's test: at least one call for each decoder.
 * Run by check-trace.sh under
 *
 *   uiommufd-run --trace FILE --trace-mmio --vfio-device 0000:00:04.0@7 \
 *                --vfio-device 0000:01:00.0@8 -- trace_client
 *
 * whose trace it compares with expected.txt (pids and addresses elided).
 * Part 1 is a type1 client of 0000:00:04.0 (container, group, device
 * ioctls, interrupts, regions, a mapped BAR); part 2 binds 0000:01:00.0's
 * cdev to /dev/iommu and runs iommufd commands, every IOMMU_TEST_CMD op and
 * a fault queue; part 3 is a forked child's call. Every call's result is
 * checked, so a change of behaviour fails here too, not only a change of
 * the trace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uiommufd/uapi.h>

#define CFG ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define BAR0 0ull

static int failures;

/* ioctl's result as 0 or errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? errno : 0;
}

#define want(expr, expect)                                                  \
	do {                                                                \
		long got_ = (long)(expr);                                   \
		if (got_ != (long)(expect)) {                               \
			fprintf(stderr, "trace_client:%d: %s = %ld, want %ld\n", \
				__LINE__, #expr, got_, (long)(expect));     \
			failures++;                                         \
		}                                                           \
	} while (0)

static void *buffer(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 0x5a, len);
	return p;
}

/* ------------------------------------------------------------------ */
/* 1. VFIO type1: container, group, device */

static void type1(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info dinfo = { .argsz = sizeof(dinfo) };
	union {
		struct vfio_region_info info;
		uint8_t buf[64]; /* room for the capability chain */
	} bar0 = { .info = { .argsz = sizeof(bar0), .index = VFIO_PCI_BAR0_REGION_INDEX } };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg),
					.index = VFIO_PCI_CONFIG_REGION_INDEX };
	struct vfio_region_info vga = { .argsz = sizeof(vga),
					.index = VFIO_PCI_VGA_REGION_INDEX };
	struct vfio_irq_info msix = { .argsz = sizeof(msix), .index = VFIO_PCI_MSIX_IRQ_INDEX };
	struct vfio_irq_info intx = { .argsz = sizeof(intx), .index = VFIO_PCI_INTX_IRQ_INDEX };
	struct vfio_pci_hot_reset_info hri = { .argsz = sizeof(hri) };
	struct vfio_device_ioeventfd ioev = {
		.argsz = sizeof(ioev), .flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = BAR0 + 0x18, .data = 1 };
	struct vfio_device_feature feat = {
		.argsz = sizeof(feat), .flags = VFIO_DEVICE_FEATURE_PROBE |
			VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = 0x10000 };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .size = 0x20000 };
	union {
		struct vfio_iommu_type1_dirty_bitmap h;
		uint8_t buf[sizeof(struct vfio_iommu_type1_dirty_bitmap) +
			    sizeof(struct vfio_iommu_type1_dirty_bitmap_get)];
	} dirty = { .h = { .argsz = sizeof(dirty),
			   .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP } };
	struct vfio_iommu_type1_dirty_bitmap_get get = {
		.iova = 0, .size = 0x10000, .bitmap = { .pgsize = 4096, .size = 8 } };
	union {
		struct vfio_irq_set s;
		uint8_t buf[sizeof(struct vfio_irq_set) + 4];
	} irq;
	uint8_t info_buf[256] = { 0 }, cfg64[64];
	struct vfio_iommu_type1_info *info = (void *)info_buf;
	uint64_t v = 0, bitmap = 0;
	int c, g, d, ev, mask = 1;
	uint32_t id;
	uint16_t cmd;
	char *src, *dst;
	volatile uint64_t *regs;

	c = open("/dev/vfio/vfio", O_RDWR);
	want(c, 3);
	want(ioctl(c, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	want(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	want(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU), 0);
	g = open("/dev/vfio/7", O_RDWR);
	want(g, 4);
	want(xioctl(g, VFIO_GROUP_GET_STATUS, &status), 0);
	want(xioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	want(xioctl(c, VFIO_SET_IOMMU, (void *)VFIO_TYPE1v2_IOMMU), 0);
	/* A number no file of ours knows: _IOC(...) and ENOTTY. */
	want(xioctl(g, _IOWR(VFIO_TYPE, 0x99, struct vfio_group_status), &status), ENOTTY);
	want(xioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), ENODEV);
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0");
	want(d, 5);

	info->argsz = sizeof(info_buf);
	want(xioctl(c, VFIO_IOMMU_GET_INFO, info), 0);
	src = buffer(0x10000);
	dst = buffer(0x10000);
	map.vaddr = (uintptr_t)src;
	want(xioctl(c, VFIO_IOMMU_MAP_DMA, &map), 0);
	map.vaddr = (uintptr_t)dst;
	map.iova = 0x10000;
	want(xioctl(c, VFIO_IOMMU_MAP_DMA, &map), 0);
	get.bitmap.data = (__u64 *)&bitmap;
	memcpy(dirty.buf + sizeof(dirty.h), &get, sizeof(get));
	want(xioctl(c, VFIO_IOMMU_DIRTY_PAGES, &dirty), ENOTTY);

	want(xioctl(d, VFIO_DEVICE_GET_INFO, &dinfo), 0);
	want(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &bar0), 0);
	want(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &cfg), 0);
	want(xioctl(d, VFIO_DEVICE_GET_REGION_INFO, &vga), EINVAL);
	want(xioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &msix), 0);
	want(xioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &intx), 0);

	/* Interrupts: MSI-X by eventfd, off; INTx by eventfd, masked, unmasked, off. */
	ev = eventfd(0, EFD_CLOEXEC);
	want(ev, 6);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
				       VFIO_IRQ_SET_ACTION_TRIGGER,
				       .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 1 };
	memcpy(irq.s.data, &ev, sizeof(ev));
	want(xioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq.s), .flags = VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_TRIGGER,
				       .index = VFIO_PCI_MSIX_IRQ_INDEX, .count = 0 };
	want(xioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq), .flags = VFIO_IRQ_SET_DATA_EVENTFD |
				       VFIO_IRQ_SET_ACTION_TRIGGER,
				       .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1 };
	memcpy(irq.s.data, &ev, sizeof(ev));
	want(xioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq.s) + 1, .flags = VFIO_IRQ_SET_DATA_BOOL |
				       VFIO_IRQ_SET_ACTION_MASK,
				       .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1 };
	irq.s.data[0] = (uint8_t)mask;
	want(xioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq.s), .flags = VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_UNMASK,
				       .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 1 };
	want(xioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);
	irq.s = (struct vfio_irq_set){ .argsz = sizeof(irq.s), .flags = VFIO_IRQ_SET_DATA_NONE |
				       VFIO_IRQ_SET_ACTION_TRIGGER,
				       .index = VFIO_PCI_INTX_IRQ_INDEX, .count = 0 };
	want(xioctl(d, VFIO_DEVICE_SET_IRQS, &irq), 0);

	want(xioctl(d, VFIO_DEVICE_RESET, NULL), 0);
	/* 0000:00 is a root bus: no bus reset there. */
	want(xioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hri), ENODEV);
	ioev.fd = ev;
	want(xioctl(d, VFIO_DEVICE_IOEVENTFD, &ioev), 0);
	ioev.fd = -1;
	want(xioctl(d, VFIO_DEVICE_IOEVENTFD, &ioev), 0);
	want(xioctl(d, VFIO_DEVICE_FEATURE, &feat), ENOTTY);
	/* A group's number on a device fd is no device ioctl. */
	want(xioctl(d, VFIO_GROUP_GET_STATUS, &status), ENOTTY);

	/* Regions, with UIOMMUFD_TRACE_MMIO: config space, then BAR0's DMA engine. */
	want(pread(d, &id, 4, (off_t)(CFG + 0)), 4);
	want(pread(d, &cmd, 2, (off_t)(CFG + 4)), 2);
	cmd |= 0x6;
	want(pwrite(d, &cmd, 2, (off_t)(CFG + 4)), 2);
	want(pread(d, cfg64, sizeof(cfg64), (off_t)CFG), (long)sizeof(cfg64));
	v = 0;
	want(pwrite(d, &v, 8, (off_t)(BAR0 + 0x00)), 8);
	v = 0x10000;
	want(pwrite(d, &v, 8, (off_t)(BAR0 + 0x08)), 8);
	v = 0x100;
	want(pwrite(d, &v, 8, (off_t)(BAR0 + 0x10)), 8);
	/* read() and write() at the file position: it starts at 0 (BAR0's
	 * region), each moves it, and lseek cannot set it (no llseek). */
	want(lseek(d, (off_t)(BAR0 + 0x18), SEEK_SET) < 0 ? errno : 0, ESPIPE);
	v = 0;
	want(write(d, &v, 8), 8);
	want(read(d, &v, 8), 8);
	want(v, 0x10000);
	/* The same registers through a mapping: trapped loads and stores. */
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, d, (off_t)BAR0);
	want(regs != MAP_FAILED, 1);
	if (regs != MAP_FAILED) {
		regs[0x10 / 8] = 0x80;
		want(regs[0x10 / 8], 0x80);
		munmap((void *)regs, 4096);
	}

	want(xioctl(c, VFIO_IOMMU_UNMAP_DMA, &unmap), 0);
	close(ev);
	close(d);
	close(g);
	close(c);
	munmap(src, 0x10000);
	munmap(dst, 0x10000);
}

/* ------------------------------------------------------------------ */
/* 2. the cdev on /dev/iommu, iommufd commands, IOMMU_TEST_CMD, a fault queue */

static int test_cmd(int fd, struct iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return xioctl(fd, IOMMU_TEST_CMD, c);
}

static uint32_t ioas_alloc(int fd)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };

	want(xioctl(fd, IOMMU_IOAS_ALLOC, &a), 0);
	return a.out_ioas_id;
}

static void iommufd(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct vfio_pci_hot_reset_info *hri;
	struct vfio_pci_hot_reset hr = { .argsz = sizeof(hr) };
	struct iommu_hw_info_vtd vtd;
	struct iommu_hw_info hw = { .size = sizeof(hw), .data_len = sizeof(vtd),
				    .data_uptr = (uintptr_t)&vtd };
	struct iommu_vfio_ioas vi = { .size = sizeof(vi), .op = IOMMU_VFIO_IOAS_GET };
	struct iommu_option opt = { .size = sizeof(opt), .option_id = IOMMU_OPTION_RLIMIT_MODE,
				    .op = IOMMU_OPTION_OP_GET };
	struct iommu_test_cmd t;
	struct iommu_ioas_map map = { .size = sizeof(map), .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
				      .length = 0x2000, .iova = MOCK_APERTURE_START };
	struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };
	struct iommu_hwpt_set_dirty_tracking sd = { .size = sizeof(sd),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE };
	struct iommu_hwpt_get_dirty_bitmap gd = { .size = sizeof(gd),
		.iova = MOCK_APERTURE_START, .length = 0x2000, .page_size = 0x800 };
	static const struct iommu_hwpt_selftest sel = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	struct iommu_hwpt_invalidate_selftest inv = { .flags = 0, .iotlb_id = 1 };
	struct iommu_hwpt_invalidate hi = { .size = sizeof(hi), .data_uptr = (uintptr_t)&inv,
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, .entry_len = sizeof(inv),
		.entry_num = 1 };
	struct iommu_fault_alloc fa = { .size = sizeof(fa) };
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = { .cookie = 1, .code = IOMMUFD_PAGE_RESP_SUCCESS };
	struct iommu_destroy ds = { .size = sizeof(ds) };
	uint8_t hri_buf[sizeof(*hri) + 4 * sizeof(struct vfio_pci_dependent_device)];
	uint32_t ioas, ioas2, ioas3, stdev, hwpt, idev, dirty_hwpt, parent, nested;
	uint32_t fault_id, iopf_hwpt, access_pages;
	uint64_t bitmap[4] = { 0 };
	char *buf = buffer(0x4000), rw[16];
	int fd, d, access, ffd;

	fd = open("/dev/iommu", O_RDWR);
	want(fd, 3);
	d = open("/dev/vfio/devices/vfio1", O_RDWR);
	want(d, 4);
	bind.iommufd = fd;
	want(xioctl(d, VFIO_DEVICE_BIND_IOMMUFD, &bind), 0);
	ioas = ioas_alloc(fd);
	at.pt_id = ioas;
	want(xioctl(d, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	hw.dev_id = bind.out_devid;
	want(xioctl(fd, IOMMU_GET_HW_INFO, &hw), 0);
	hri = (void *)hri_buf;
	*hri = (struct vfio_pci_hot_reset_info){ .argsz = sizeof(hri_buf) };
	want(xioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, hri), 0);
	want(xioctl(d, VFIO_DEVICE_PCI_HOT_RESET, &hr), 0);
	want(xioctl(d, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);

	/* The VFIO compat IOAS and options. */
	want(xioctl(fd, IOMMU_VFIO_IOAS, &vi), ENODEV);
	vi.op = IOMMU_VFIO_IOAS_SET;
	vi.ioas_id = ioas;
	want(xioctl(fd, IOMMU_VFIO_IOAS, &vi), 0);
	want(ioctl(fd, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	want(xioctl(fd, IOMMU_OPTION, &opt), 0);
	opt = (struct iommu_option){ .size = sizeof(opt), .option_id = IOMMU_OPTION_HUGE_PAGES,
				     .op = IOMMU_OPTION_OP_SET, .object_id = ioas, .val64 = 0 };
	want(xioctl(fd, IOMMU_OPTION, &opt), 0);

	/* Mock domains and the checks of what they map. */
	ioas2 = ioas_alloc(fd);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas2 };
	want(test_cmd(fd, &t), 0);
	stdev = t.mock_domain.out_stdev_id;
	hwpt = t.mock_domain.out_hwpt_id;
	idev = t.mock_domain.out_idev_id;
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = ioas2,
				     .mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_HUGE_IOVA };
	want(test_cmd(fd, &t), 0);
	map.ioas_id = ioas2;
	map.user_va = (uintptr_t)buf;
	want(xioctl(fd, IOMMU_IOAS_MAP, &map), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt,
				     .check_map = { .iova = MOCK_APERTURE_START,
						    .length = 0x2000, .uptr = (uintptr_t)buf } };
	want(test_cmd(fd, &t), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MD_CHECK_REFS,
				     .check_refs = { .length = 0x2000, .uptr = (uintptr_t)buf,
						     .refs = 1 } };
	want(test_cmd(fd, &t), 0);
	ioas3 = ioas_alloc(fd);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas3,
				     .add_reserved = { .start = 0x100000, .length = 0x1000 } };
	want(test_cmd(fd, &t), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
				     .mock_domain_replace.pt_id = ioas3 };
	want(test_cmd(fd, &t), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
				     .memory_limit.limit = 65536 };
	want(test_cmd(fd, &t), 0);

	/* An access: pages, reads and writes, another IOAS. */
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas2,
				     .create_access.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES };
	want(test_cmd(fd, &t), 0);
	access = (int)t.create_access.out_access_fd;
	want(access, 5);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)access,
				     .access_pages = { .flags = MOCK_FLAGS_ACCESS_WRITE,
						       .iova = MOCK_APERTURE_START,
						       .length = 0x1000,
						       .uptr = (uintptr_t)buf } };
	want(test_cmd(fd, &t), 0);
	access_pages = t.access_pages.out_access_pages_id;
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)access,
				     .access_rw = { .iova = MOCK_APERTURE_START + 8,
						    .length = sizeof(rw),
						    .uptr = (uintptr_t)rw,
						    .flags = MOCK_ACCESS_RW_SLOW_PATH } };
	want(test_cmd(fd, &t), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
				     .id = (uint32_t)access,
				     .destroy_access_pages.access_pages_id = access_pages };
	want(test_cmd(fd, &t), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
				     .id = (uint32_t)access,
				     .access_replace_ioas.ioas_id = ioas3 };
	want(test_cmd(fd, &t), 0);
	/* An access fd has no ioctl. */
	want(xioctl(access, IOMMU_DESTROY, &ds), ENOTTY);
	close(access);

	/* Dirty tracking on a hwpt of the mock device. */
	ha = (struct iommu_hwpt_alloc){ .size = sizeof(ha),
					.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
					.dev_id = idev, .pt_id = ioas2 };
	want(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
	dirty_hwpt = ha.out_hwpt_id;
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
				     .mock_domain_replace.pt_id = dirty_hwpt };
	want(test_cmd(fd, &t), 0);
	sd.hwpt_id = dirty_hwpt;
	want(xioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &sd), 0);
	bitmap[0] = 1;
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_DIRTY, .id = dirty_hwpt,
				     .dirty = { .iova = MOCK_APERTURE_START, .length = 0x2000,
						.page_size = 0x800, .uptr = (uintptr_t)bitmap } };
	want(test_cmd(fd, &t), 0);
	gd.hwpt_id = dirty_hwpt;
	gd.data = (uintptr_t)bitmap;
	want(xioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &gd), 0);

	/* A nested hwpt: its IOTLB, an invalidation. */
	ha = (struct iommu_hwpt_alloc){ .size = sizeof(ha), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT,
					.dev_id = idev, .pt_id = ioas2 };
	want(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
	parent = ha.out_hwpt_id;
	ha = (struct iommu_hwpt_alloc){ .size = sizeof(ha), .dev_id = idev, .pt_id = parent,
					.data_type = IOMMU_HWPT_DATA_SELFTEST,
					.data_len = sizeof(sel), .data_uptr = (uintptr_t)&sel };
	want(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
	nested = ha.out_hwpt_id;
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = nested,
				     .check_iotlb = { .id = 1, .iotlb = IOMMU_TEST_IOTLB_DEFAULT } };
	want(test_cmd(fd, &t), 0);
	hi.hwpt_id = nested;
	want(xioctl(fd, IOMMU_HWPT_INVALIDATE, &hi), 0);

	/* A fault queue, a page request, its record and the response. */
	want(xioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &fa), 0);
	fault_id = fa.out_fault_id;
	ffd = (int)fa.out_fault_fd;
	ha = (struct iommu_hwpt_alloc){ .size = sizeof(ha), .flags = IOMMU_HWPT_FAULT_ID_VALID,
					.dev_id = idev, .pt_id = parent,
					.data_type = IOMMU_HWPT_DATA_SELFTEST,
					.data_len = sizeof(sel), .data_uptr = (uintptr_t)&sel,
					.fault_id = fault_id };
	want(xioctl(fd, IOMMU_HWPT_ALLOC, &ha), 0);
	iopf_hwpt = ha.out_hwpt_id;
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev,
				     .mock_domain_replace.pt_id = iopf_hwpt };
	want(test_cmd(fd, &t), 0);
	t = (struct iommu_test_cmd){ .op = IOMMU_TEST_OP_TRIGGER_IOPF,
				     .trigger_iopf = { .dev_id = idev, .pasid = 0, .grpid = 7,
						       .perm = IOMMU_PGFAULT_PERM_READ |
							       IOMMU_PGFAULT_PERM_WRITE,
						       .addr = 0x2000 } };
	want(test_cmd(fd, &t), 0);
	want(read(ffd, rec, sizeof(rec)), (long)sizeof(rec[0]));
	want(write(ffd, &resp, sizeof(resp)), (long)sizeof(resp));
	want(write(ffd, &resp, sizeof(resp)), -1);

	/* A number iommufd does not know. */
	want(xioctl(fd, _IO(IOMMUFD_TYPE, 0x99), &ds), ENOTTY);
	ds.id = ioas3;
	want(xioctl(fd, IOMMU_DESTROY, &ds), 0);
	close(ffd);
	close(d);
	close(fd);
	munmap(buf, 0x4000);
}

/* ------------------------------------------------------------------ */
/* 3. a child's calls land in the same file, under its pid */

static void child(void)
{
	struct iommu_destroy ds = { .size = sizeof(ds), .id = 99 };
	int status, fd = open("/dev/iommu", O_RDWR);
	pid_t pid;

	want(fd, 3);
	pid = fork();
	if (!pid) {
		failures = 0;
		want(xioctl(fd, IOMMU_DESTROY, &ds), ENOENT);
		_exit(failures ? 1 : 0);
	}
	want(waitpid(pid, &status, 0), pid);
	want(status, 0);
	close(fd);
}

/*
 * 4. the program closes every descriptor but its standard ones (as a
 * daemon or a child before exec does): the trace's goes too, and the next
 * call's line still arrives.
 */
static void closes_everything(void)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	int fd;

	want(syscall(SYS_close_range, 3, ~0u, 0), 0);
	fd = open("/dev/iommu", O_RDWR);
	want(fd, 3);
	want(xioctl(fd, IOMMU_IOAS_ALLOC, &a), 0);
	close(fd);
}

/*
 * --stress: PROCS processes of CALLS calls each, all at once: every line
 * must arrive whole (check-trace.sh counts and matches them).
 */
#define PROCS 4
#define CALLS 500

static int stress(void)
{
	struct iommu_destroy ds = { .size = sizeof(ds), .id = 99 };
	int fd = open("/dev/iommu", O_RDWR), status, bad = 0;

	for (int p = 0; p < PROCS; p++) {
		if (fork())
			continue;
		for (int i = 0; i < CALLS; i++)
			if (xioctl(fd, IOMMU_DESTROY, &ds) != ENOENT)
				_exit(1);
		_exit(0);
	}
	for (int p = 0; p < PROCS; p++)
		bad |= wait(&status) < 0 || status;
	return bad;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--stress"))
		return stress();
	/* For check-trace.sh, which must run instrumented programs only
	 * (clang's ASan runtime is in the executable, not the preload). */
	if (argc > 1 && !strcmp(argv[1], "--nothing"))
		return 0;
	if (argc > 3 && !strcmp(argv[1], "--chdir-exec")) {
		if (chdir(argv[2]))
			return 126;
		execv(argv[3], &argv[3]);
		return 127;
	}
	type1();
	iommufd();
	child();
	closes_everything();
	if (failures)
		fprintf(stderr, "trace_client: %d failures\n", failures);
	return failures ? 1 : 0;
}
