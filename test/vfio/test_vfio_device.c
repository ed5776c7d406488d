// SPDX-License-Identifier: MIT
/*
 * vfio-pci's device ioctls (drivers/vfio/pci/vfio_pci_core.c and
 * vfio_main.c of 6.12) other than SET_IRQS: GET_INFO, GET_REGION_INFO for
 * every index with the MSI-X-mappable capability chain, GET_IRQ_INFO with
 * counts from config space, DEVICE_FEATURE's checks and vfio-pci's
 * low-power features, RESET, GET_PCI_HOT_RESET_INFO and PCI_HOT_RESET on
 * the group and cdev paths, IOEVENTFD (its checks, its limit, the writes
 * its eventfd makes).
 *
 *     test_vfio_device BDF[@GROUP] [BDF2[@GROUP2]]
 *
 * A second device on the same bus lets the hot reset tests see a reset
 * that reaches two devices.
 */
#include <linux/pci_regs.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>

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

/*
 * The uAPI structs ending in a flexible array, as fixed headers that can
 * lead a struct of ours (a flexible array member may not).
 */
struct feature_hdr {
	uint32_t argsz, flags;
};
struct hri_hdr {
	uint32_t argsz, flags, count;
};
struct hr_hdr {
	uint32_t argsz, flags, count;
};
_Static_assert(sizeof(struct feature_hdr) == sizeof(struct vfio_device_feature), "layout");
_Static_assert(sizeof(struct hri_hdr) == sizeof(struct vfio_pci_hot_reset_info), "layout");
_Static_assert(sizeof(struct hr_hdr) == sizeof(struct vfio_pci_hot_reset), "layout");

static bool is_pcie(int d)
{
	return vt_find_cap(d, PCI_CAP_ID_EXP) != 0;
}

static void test_get_info(void **state)
{
	struct vfio_device_info di;
	int d = gd.device;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, NULL), -EFAULT);
	memset(&di, 0, sizeof(di));
	di.argsz = offsetof(struct vfio_device_info, num_irqs) + 3;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), -EINVAL);
	/* The short form: argsz, flags, num_regions, num_irqs. */
	memset(&di, 0xa5, sizeof(di));
	di.argsz = offsetof(struct vfio_device_info, num_irqs) + 4;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.argsz, offsetof(struct vfio_device_info, num_irqs) + 4);
	assert_true(di.flags & VFIO_DEVICE_FLAGS_PCI);
	assert_true(di.num_regions >= VFIO_PCI_NUM_REGIONS);
	assert_int_equal(di.num_irqs, VFIO_PCI_NUM_IRQS);
	assert_int_equal(di.cap_offset, 0xa5a5a5a5);
	/* The whole struct: cap_offset is written (zero without caps). */
	memset(&di, 0xa5, sizeof(di));
	di.argsz = sizeof(di);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	assert_int_equal(di.argsz, sizeof(di));
	assert_int_equal(di.flags & ~(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET |
				      VFIO_DEVICE_FLAGS_CAPS), 0);
	if (!(di.flags & VFIO_DEVICE_FLAGS_CAPS))
		assert_int_equal(di.cap_offset, 0);
	else
		assert_true(di.cap_offset >= sizeof(di));
}

/* The size of BAR i as sizing through config space finds it. */
static uint64_t bar_size_from_config(int d, unsigned int i, bool *mem64, bool *io)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
	uint32_t orig = vt_cfg_read(d, off, 4), lo, hi = 0xffffffff, orig_hi = 0;
	uint64_t mask;

	*io = orig & PCI_BASE_ADDRESS_SPACE_IO;
	*mem64 = !*io && (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;
	vt_cfg_write(d, off, 4, 0xffffffff);
	lo = vt_cfg_read(d, off, 4);
	vt_cfg_write(d, off, 4, orig);
	if (*mem64) {
		orig_hi = vt_cfg_read(d, off + 4, 4);
		vt_cfg_write(d, off + 4, 4, 0xffffffff);
		hi = vt_cfg_read(d, off + 4, 4);
		vt_cfg_write(d, off + 4, 4, orig_hi);
	}
	if (!lo)
		return 0;
	mask = (uint64_t)hi << 32 | (lo & (*io ? ~3u : ~0xfu));
	return ~mask + 1;
}

static void test_region_info_bars(void **state)
{
	struct vfio_region_info ri;
	struct vfio_irq_info ii;
	int d = gd.device;
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	int msix_bar = msix ? (int)(vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4) &
				   PCI_MSIX_TABLE_BIR) : -1;

	(void)state;
	(void)ii;
	for (unsigned int i = VFIO_PCI_BAR0_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		bool mem64 = false, io = false;
		uint64_t size;

		assert_int_equal(vt_region_info(d, i, &ri), 0);
		assert_int_equal(ri.index, i);
		assert_int_equal(ri.offset, (uint64_t)i << 40);
		size = bar_size_from_config(d, i, &mem64, &io);
		assert_int_equal(ri.size, size);
		if (!ri.size) {
			assert_int_equal(ri.flags, 0);
			continue;
		}
		assert_true(!(ri.size & (ri.size - 1)));
		assert_int_equal(ri.flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE),
				 VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
		/* I/O BARs are never mmappable; memory BARs of a page or
		 * more always are (vfio_pci_probe_mmaps). */
		if (io)
			assert_false(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
		else if (ri.size >= VT_PAGE)
			assert_true(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
		if ((int)i == msix_bar && (ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
			assert_true(ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
		else
			assert_false(ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
		if (mem64) {
			/* The upper half's index is a BAR without size. */
			i++;
			assert_int_equal(vt_region_info(d, i, &ri), 0);
			assert_int_equal(ri.size, 0);
			assert_int_equal(ri.flags, 0);
			assert_int_equal(ri.offset, (uint64_t)i << 40);
		}
	}
}

/* The MSI-X BAR's capability chain, argsz too small to hold it and enough. */
static void test_region_info_msix_cap(void **state)
{
	struct {
		struct vfio_region_info ri;
		struct vfio_info_cap_header cap;
		uint8_t more[64];
	} big;
	struct vfio_region_info ri;
	int d = gd.device;
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	uint32_t bar;

	(void)state;
	if (!msix)
		skip();
	bar = vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_BIR;
	assert_int_equal(vt_region_info(d, bar, &ri), 0);
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		skip();
	/* Too small: flags say there are caps, argsz says how much room. */
	assert_true(ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
	assert_int_equal(ri.argsz, sizeof(ri) + sizeof(struct vfio_info_cap_header));
	assert_int_equal(ri.cap_offset, 0);
	/* Enough: the chain at cap_offset, the only link. */
	memset(&big, 0xa5, sizeof(big));
	big.ri.argsz = sizeof(big);
	big.ri.index = bar;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &big), 0);
	assert_int_equal(big.ri.argsz, sizeof(big));
	assert_true(big.ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
	assert_int_equal(big.ri.cap_offset, sizeof(struct vfio_region_info));
	assert_int_equal(big.cap.id, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	assert_int_equal(big.cap.version, 1);
	assert_int_equal(big.cap.next, 0);
	/* Nothing written past the chain. */
	assert_int_equal(big.more[0], 0xa5);
	/* Exactly enough room. */
	memset(&big, 0, sizeof(big));
	big.ri.argsz = sizeof(struct vfio_region_info) + sizeof(struct vfio_info_cap_header);
	big.ri.index = bar;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &big), 0);
	assert_int_equal(big.ri.cap_offset, sizeof(struct vfio_region_info));
	assert_int_equal(big.cap.id, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	/* One byte short. */
	memset(&big, 0, sizeof(big));
	big.ri.argsz = sizeof(struct vfio_region_info) + sizeof(struct vfio_info_cap_header) - 1;
	big.ri.index = bar;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &big), 0);
	assert_int_equal(big.ri.cap_offset, 0);
	assert_int_equal(big.ri.argsz, sizeof(struct vfio_region_info) +
				       sizeof(struct vfio_info_cap_header));
	assert_int_equal(big.cap.id, 0);
	/* Room for the struct but not for the chain's place: an argsz
	 * below the struct's size is still enough for the fixed part. */
	memset(&big, 0, sizeof(big));
	big.ri.argsz = offsetof(struct vfio_region_info, offset) + 8;
	big.ri.index = bar;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &big), 0);
	assert_int_equal(big.ri.cap_offset, 0);
}

static void test_region_info_others(void **state)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_region_info ri;
	int d = gd.device;
	uint32_t class_code;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	/* Config space: 256 bytes, or 4 KiB for PCI Express. */
	assert_int_equal(vt_region_info(d, VFIO_PCI_CONFIG_REGION_INDEX, &ri), 0);
	assert_int_equal(ri.offset, (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40);
	assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	if (is_pcie(d))
		assert_int_equal(ri.size, 4096);
	else
		assert_true(ri.size == 256 || ri.size == 4096);
	/* ROM: read-only if there is one. */
	assert_int_equal(vt_region_info(d, VFIO_PCI_ROM_REGION_INDEX, &ri), 0);
	assert_int_equal(ri.offset, (uint64_t)VFIO_PCI_ROM_REGION_INDEX << 40);
	if (ri.size)
		assert_int_equal(ri.flags, VFIO_REGION_INFO_FLAG_READ);
	else
		assert_int_equal(ri.flags, 0);
	/* VGA: only VGA devices (with vfio-pci's VGA support). */
	class_code = vt_cfg_read(d, PCI_CLASS_REVISION, 4) >> 8;
	if (class_code >> 8 != 0x0300)
		assert_int_equal(vt_region_info(d, VFIO_PCI_VGA_REGION_INDEX, &ri), -EINVAL);
	/* Device specific regions carry their type. */
	for (uint32_t i = VFIO_PCI_NUM_REGIONS; i < di.num_regions; i++) {
		assert_int_equal(vt_region_info(d, i, &ri), 0);
		assert_true(ri.flags & VFIO_REGION_INFO_FLAG_CAPS);
	}
	/* Past the end. */
	assert_int_equal(vt_region_info(d, di.num_regions, &ri), -EINVAL);
	assert_int_equal(vt_region_info(d, 0xffffffffu, &ri), -EINVAL);
	assert_int_equal(vt_region_info(d, 0x80000000u, &ri), -EINVAL);
	/* argsz and a bad pointer. */
	memset(&ri, 0, sizeof(ri));
	ri.argsz = offsetof(struct vfio_region_info, offset) + 7;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &ri), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, NULL), -EFAULT);
}

static void test_irq_info(void **state)
{
	struct vfio_irq_info ii;
	int d = gd.device;
	unsigned int msi = vt_find_cap(d, PCI_CAP_ID_MSI);
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	uint8_t pin = (uint8_t)vt_cfg_read(d, PCI_INTERRUPT_PIN, 1);

	(void)state;
	assert_int_equal(vt_irq_info(d, VFIO_PCI_INTX_IRQ_INDEX, &ii), 0);
	assert_int_equal(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
				   VFIO_IRQ_INFO_AUTOMASKED);
	/* The (virtual) interrupt pin says whether there is INTx. */
	assert_int_equal(ii.count, pin ? 1 : 0);

	assert_int_equal(vt_irq_info(d, VFIO_PCI_MSI_IRQ_INDEX, &ii), 0);
	assert_int_equal(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	if (!msi)
		assert_int_equal(ii.count, 0);
	else
		/* A power of two; the capability shows only what was enabled. */
		assert_true(ii.count >= 1 && ii.count <= 32 && !(ii.count & (ii.count - 1)));

	assert_int_equal(vt_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, &ii), 0);
	/* NORESIZE unless the platform allocates MSI-X vectors dynamically. */
	assert_int_equal(ii.flags & ~VFIO_IRQ_INFO_NORESIZE, VFIO_IRQ_INFO_EVENTFD);
	if (!msix)
		assert_int_equal(ii.count, 0);
	else
		assert_int_equal(ii.count, (vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2) &
					    PCI_MSIX_FLAGS_QSIZE) + 1);

	if (is_pcie(d)) {
		assert_int_equal(vt_irq_info(d, VFIO_PCI_ERR_IRQ_INDEX, &ii), 0);
		assert_int_equal(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
		assert_int_equal(ii.count, 1);
	} else {
		assert_int_equal(vt_irq_info(d, VFIO_PCI_ERR_IRQ_INDEX, &ii), -EINVAL);
	}
	assert_int_equal(vt_irq_info(d, VFIO_PCI_REQ_IRQ_INDEX, &ii), 0);
	assert_int_equal(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	assert_int_equal(ii.count, 1);

	assert_int_equal(vt_irq_info(d, VFIO_PCI_NUM_IRQS, &ii), -EINVAL);
	assert_int_equal(vt_irq_info(d, 0xffffffffu, &ii), -EINVAL);
	memset(&ii, 0, sizeof(ii));
	ii.argsz = sizeof(ii) - 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &ii), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, NULL), -EFAULT);
	/* A larger argsz is fine. */
	{
		struct {
			struct vfio_irq_info ii;
			uint32_t tail;
		} big = { .ii.argsz = sizeof(big), .ii.index = VFIO_PCI_REQ_IRQ_INDEX,
			  .tail = 0x5a5a5a5a };

		assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &big), 0);
		assert_int_equal(big.ii.count, 1);
		assert_int_equal(big.tail, 0x5a5a5a5a);
	}
}

/* VFIO_DEVICE_FEATURE with flags and argsz, nothing after. */
static long feature(int d, uint32_t flags, uint32_t argsz)
{
	struct {
		struct feature_hdr f;
		uint8_t data[64];
	} a;

	memset(&a, 0, sizeof(a));
	a.f.argsz = argsz;
	a.f.flags = flags;
	return vt_ioctl(d, VFIO_DEVICE_FEATURE, &a);
}

static void test_feature_checks(void **state)
{
	const uint32_t G = VFIO_DEVICE_FEATURE_GET, S = VFIO_DEVICE_FEATURE_SET,
		       P = VFIO_DEVICE_FEATURE_PROBE, sz = sizeof(struct vfio_device_feature);
	int d = gd.device;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, NULL), -EFAULT);
	assert_int_equal(feature(d, P | VFIO_DEVICE_FEATURE_MIGRATION, sz - 1), -EINVAL);
	/* Unknown flag bits. */
	assert_int_equal(feature(d, (1u << 19) | G | VFIO_DEVICE_FEATURE_MIGRATION, sz), -EINVAL);
	assert_int_equal(feature(d, 0x80000000u | P, sz), -EINVAL);
	/* GET and SET together only with PROBE. */
	assert_int_equal(feature(d, G | S | VFIO_DEVICE_FEATURE_MIGRATION, sz), -EINVAL);
	assert_int_equal(feature(d, G | S | 0x1234, sz), -EINVAL);
	/* vfio-pci without a variant driver: no migration, no dirty logging. */
	for (uint32_t f = VFIO_DEVICE_FEATURE_MIGRATION; f <= VFIO_DEVICE_FEATURE_MIG_DATA_SIZE; f++) {
		if (f >= VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY &&
		    f <= VFIO_DEVICE_FEATURE_LOW_POWER_EXIT)
			continue;
		assert_int_equal(feature(d, G | f, 256), -ENOTTY);
		assert_int_equal(feature(d, P | G | S | f, sz), -ENOTTY);
	}
	/* Features nobody has. */
	assert_int_equal(feature(d, P | 0xffff, sz), -ENOTTY);
	assert_int_equal(feature(d, G | 0x1234, sz), -ENOTTY);
	assert_int_equal(feature(d, 0x4321, sz), -ENOTTY);
}

/* Runtime PM of the device allowed (sysfs power/control "auto", or none). */
static bool runtime_pm_allowed(void)
{
	char path[256], buf[16] = "auto";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/power/control",
		 vt_dev()->bdf);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return !strncmp(buf, "auto", 4);
}

/* A real device suspends asynchronously after the ioctl that allowed it. */
static void settle(void)
{
	if (!vt_uiommufd())
		usleep(200 * 1000);
}

/* vfio-pci's low power features (vfio_check_feature's rules). */
static void test_feature_low_power(void **state)
{
	const uint32_t G = VFIO_DEVICE_FEATURE_GET, S = VFIO_DEVICE_FEATURE_SET,
		       P = VFIO_DEVICE_FEATURE_PROBE, sz = sizeof(struct vfio_device_feature);
	const uint32_t ENTRY = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY,
		       WAKE = VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		       EXIT = VFIO_DEVICE_FEATURE_LOW_POWER_EXIT;
	struct {
		struct feature_hdr f;
		struct vt_low_power_wakeup w;
	} a;
	int d = gd.device, efd = vt_eventfd(), null = open("/dev/null", O_RDWR), bad;
	uint32_t id = vt_fd_id(d);

	(void)state;
	bad = dup(0);
	close(bad);
	/* PROBE: SET is supported, GET is not. */
	assert_int_equal(feature(d, P | S | ENTRY, sz), 0);
	assert_int_equal(feature(d, P | ENTRY, sz), 0);
	assert_int_equal(feature(d, P | G | ENTRY, sz), -EINVAL);
	assert_int_equal(feature(d, P | G | S | ENTRY, sz), -EINVAL);
	assert_int_equal(feature(d, P | S | WAKE, sz), 0);
	assert_int_equal(feature(d, P | S | EXIT, sz), 0);
	assert_int_equal(feature(d, P | G | EXIT, sz), -EINVAL);
	/* Neither GET nor SET without PROBE. */
	assert_int_equal(feature(d, ENTRY, sz), -EINVAL);
	assert_int_equal(feature(d, G | ENTRY, sz), -EINVAL);
	/* Entry and exit. */
	assert_int_equal(feature(d, S | ENTRY, sz), 0);
	assert_int_equal(feature(d, S | ENTRY, sz), -EINVAL);
	/* Config space and the device stay reachable meanwhile. */
	assert_int_equal(vt_fd_id(d), id);
	assert_int_equal(feature(d, S | EXIT, sz), 0);
	assert_int_equal(feature(d, S | EXIT, sz), 0);
	/* With a wakeup eventfd: its argument. */
	assert_int_equal(feature(d, S | WAKE, sz + 7), -EINVAL);
	memset(&a, 0, sizeof(a));
	a.f.argsz = sizeof(a);
	a.f.flags = S | WAKE;
	a.w.wakeup_eventfd = -1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &a), -EINVAL);
	a.w.wakeup_eventfd = bad;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &a), -EBADF);
	a.w.wakeup_eventfd = null;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &a), -EINVAL);
	a.w.wakeup_eventfd = efd;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &a), 0);
	/*
	 * The device suspends (asynchronously: give it a moment); the next
	 * ioctl resumes it, which signals the eventfd and leaves low power,
	 * so entering again works. Only with runtime PM allowed.
	 */
	if (runtime_pm_allowed()) {
		struct vfio_device_info di = { .argsz = sizeof(di) };

		settle();
		assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
		assert_int_equal(vt_efd_read(efd), 1);
		assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &a), 0);
		settle();
		/* Exit is an ioctl too: the resume signals first. */
		assert_int_equal(feature(d, S | EXIT, sz), 0);
		assert_int_equal(vt_efd_read(efd), 1);
		assert_int_equal(feature(d, S | EXIT, sz), 0);
		assert_int_equal(vt_efd_read(efd), 0);
	} else {
		assert_int_equal(feature(d, S | EXIT, sz), 0);
	}
	/* Without a wakeup eventfd, a resume leaves low power engaged. */
	assert_int_equal(feature(d, S | ENTRY, sz), 0);
	settle();
	assert_int_equal(vt_fd_id(d), id);
	assert_int_equal(feature(d, S | ENTRY, sz), -EINVAL);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_FEATURE, &a), -EINVAL);
	assert_int_equal(feature(d, S | EXIT, sz), 0);
	/* Low power left with the device closed too. */
	assert_int_equal(feature(d, S | ENTRY, sz), 0);
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(feature(gd.device, S | ENTRY, sz), 0);
	assert_int_equal(feature(gd.device, S | EXIT, sz), 0);
	close(efd);
	close(null);
}

static void test_reset(void **state)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int d = gd.device;
	uint16_t cmd;
	uint8_t cls;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di), 0);
	if (!(di.flags & VFIO_DEVICE_FLAGS_RESET)) {
		assert_int_equal(vt_ioctl(d, VFIO_DEVICE_RESET, NULL), -EINVAL);
		return;
	}
	cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	vt_cfg_write(d, PCI_CACHE_LINE_SIZE, 1, 0x10);
	vt_cfg_write(d, PCI_INTERRUPT_LINE, 1, 0x5c);
	cls = (uint8_t)vt_cfg_read(d, PCI_CACHE_LINE_SIZE, 1);
	/* A function reset with config space saved and restored around it. */
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_RESET, NULL), 0);
	assert_int_equal(vt_cfg_read(d, PCI_COMMAND, 2) &
			 (PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY),
			 PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	/* (A device may hardwire the cache line size: what it held.) */
	assert_int_equal(vt_cfg_read(d, PCI_CACHE_LINE_SIZE, 1), cls);
	assert_int_equal(vt_cfg_read(d, PCI_INTERRUPT_LINE, 1), 0x5c);
	/* The argument is not looked at. */
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_RESET, (void *)1), 0);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
}

/* ------------------------------------------------------------------ */
/* hot reset */

struct hri {
	struct hri_hdr h;
	struct vfio_pci_dependent_device dev[VT_MAX_DEVS * 8];
};

static long hot_reset_info(int d, struct hri *r)
{
	memset(r, 0, sizeof(*r));
	r->h.argsz = sizeof(*r);
	return vt_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, r);
}

static long hot_reset(int d, uint32_t count, const int32_t *fds)
{
	struct {
		struct hr_hdr h;
		int32_t fds[16];
	} a;

	memset(&a, 0, sizeof(a));
	a.h.argsz = (uint32_t)(sizeof(a.h) + 4 * count);
	a.h.count = count;
	if (count)
		memcpy(a.fds, fds, 4 * (count < 16 ? count : 16));
	return vt_ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, &a);
}

static bool bdf_is(const struct vfio_pci_dependent_device *e, const char *bdf)
{
	char s[32];

	snprintf(s, sizeof(s), "%04x:%02x:%02x.%x", e->segment, e->bus,
		 e->devfn >> 3, e->devfn & 7);
	return !strcmp(s, bdf);
}

static void test_hot_reset_info_group(void **state)
{
	struct vfio_pci_hot_reset_info h;
	struct hri r;
	int d = gd.device, self = -1;
	long rc;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, NULL), -EFAULT);
	memset(&h, 0, sizeof(h));
	h.argsz = sizeof(h) - 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &h), -EINVAL);
	h.argsz = sizeof(h);
	h.flags = 0xff;
	rc = vt_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &h);
	if (rc == -ENODEV) {
		/* No slot or bus reset here (a root bus): nothing written. */
		assert_int_equal(h.flags, 0xff);
		return;
	}
	/* No room: the count needed, flags cleared. */
	assert_int_equal(rc, -ENOSPC);
	assert_true(h.count >= 1);
	assert_int_equal(h.flags, 0);
	assert_int_equal(hot_reset_info(d, &r), 0);
	assert_int_equal(r.h.count, h.count);
	assert_int_equal(r.h.flags, 0);
	for (uint32_t i = 0; i < r.h.count; i++) {
		if (bdf_is(&r.dev[i], vt_dev()->bdf))
			self = (int)i;
		/* The group path reports group ids. */
		if (vt_dev2() && bdf_is(&r.dev[i], vt_dev2()->bdf))
			assert_int_equal(r.dev[i].group_id, (uint32_t)vt_dev2()->group);
	}
	assert_true(self >= 0);
	assert_int_equal(r.dev[self].group_id, (uint32_t)vt_dev()->group);
	/* Room for exactly one less. */
	memset(&r, 0, sizeof(r));
	r.h.argsz = (uint32_t)(sizeof(r.h) + (h.count - 1) * sizeof(r.dev[0]));
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &r), -ENOSPC);
	assert_int_equal(r.h.count, h.count);
}

static void test_hot_reset_group(void **state)
{
	struct hri r;
	struct vfio_pci_hot_reset h;
	int d = gd.device, null = open("/dev/null", O_RDWR), bad, others = 0;
	int32_t fds[4];
	long rc;

	(void)state;
	bad = dup(0);
	close(bad);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, NULL), -EFAULT);
	memset(&h, 0, sizeof(h));
	h.argsz = sizeof(h) - 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, &h), -EINVAL);
	h.argsz = sizeof(h);
	h.flags = 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, &h), -EINVAL);
	/* The group path needs group fds. */
	assert_int_equal(hot_reset(d, 0, NULL), -EINVAL);
	rc = hot_reset_info(d, &r);
	if (rc == -ENODEV) {
		fds[0] = gd.group;
		assert_int_equal(hot_reset(d, 1, fds), -ENODEV);
		return;
	}
	assert_int_equal(rc, 0);
	for (uint32_t i = 0; i < r.h.count; i++)
		others += r.dev[i].group_id != (uint32_t)vt_dev()->group;
	/* More fds than devices: EINVAL before the fds are looked at. */
	fds[0] = fds[1] = fds[2] = fds[3] = bad;
	if (r.h.count < 4)
		assert_int_equal(hot_reset(d, r.h.count + 1, fds), -EINVAL);
	assert_int_equal(hot_reset(d, 1, fds), -EBADF);
	fds[0] = null;
	assert_int_equal(hot_reset(d, 1, fds), -EINVAL);
	fds[0] = d;
	assert_int_equal(hot_reset(d, 1, fds), -EINVAL);
	fds[0] = gd.container;
	assert_int_equal(hot_reset(d, 1, fds), -EINVAL);
	/* The array itself unreadable. */
	{
		struct vfio_pci_hot_reset *p = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE,
						    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		assert_true(p != MAP_FAILED);
		munmap((char *)p + VT_PAGE, VT_PAGE);
		p = (void *)((char *)p + VT_PAGE - sizeof(*p));
		p->argsz = sizeof(*p) + 4;
		p->count = 1;
		assert_int_equal(vt_ioctl(d, VFIO_DEVICE_PCI_HOT_RESET, p), -EFAULT);
		munmap((char *)p - VT_PAGE + sizeof(*p), VT_PAGE);
	}
	fds[0] = gd.group;
	if (others) {
		/* Devices of other groups on the bus: not ours to reset. */
		assert_int_equal(hot_reset(d, 1, fds), -EINVAL);
	} else {
		uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);

		assert_int_equal(hot_reset(d, 1, fds), 0);
		/* Config space restored around the reset. */
		assert_int_equal(vt_cfg_read(d, PCI_COMMAND, 2), cmd);
		/* The same group twice is fine (no more fds than devices). */
		fds[1] = gd.group;
		assert_int_equal(hot_reset(d, 2, fds), r.h.count >= 2 ? 0 : -EINVAL);
	}
	close(null);
}

/* The other device on the bus, its group given too: the reset is allowed. */
static void test_hot_reset_two_groups(void **state)
{
	const struct vt_dev *o = vt_dev_other_group();
	struct hri r;
	struct vt_gdev g2;
	int32_t fds[2];
	bool listed = false;

	(void)state;
	if (!o || !vt_same_bus(vt_dev(), o) || hot_reset_info(gd.device, &r))
		skip();
	for (uint32_t i = 0; i < r.h.count; i++)
		listed |= bdf_is(&r.dev[i], o->bdf);
	assert_true(listed);
	if (r.h.count != 2)
		skip();
	fds[0] = gd.group;
	/* Its group need not be opened by a device fd of ours... */
	fds[1] = open(o->group_path, O_RDWR | O_CLOEXEC);
	assert_true(fds[1] >= 0);
	assert_int_equal(hot_reset(gd.device, 2, fds), 0);
	close(fds[1]);
	/* ...and with it open too. */
	vt_gdev_open(o, &g2);
	fds[1] = g2.group;
	assert_int_equal(hot_reset(gd.device, 2, fds), 0);
	/* Either order. */
	fds[0] = g2.group;
	fds[1] = gd.group;
	assert_int_equal(hot_reset(g2.device, 2, fds), 0);
	vt_gdev_close(&g2);
}

static void test_hot_reset_cdev(void **state)
{
	const struct vt_dev *o = vt_dev_other_group();
	struct vt_cdev c, c2;
	struct hri r;
	int32_t fd;
	long rc;
	int self = -1, other = -1;

	(void)state;
	vt_gdev_close(&gd);
	VT_REQUIRE_CDEV(vt_dev());
	assert_true(vt_cdev_open(vt_dev(), &c, true));
	rc = hot_reset_info(c.device, &r);
	if (rc == -ENODEV) {
		assert_int_equal(hot_reset(c.device, 0, NULL), -ENODEV);
		vt_cdev_close(&c);
		return;
	}
	assert_int_equal(rc, 0);
	/* The cdev path reports device ids in the caller's iommufd. */
	assert_true(r.h.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	for (uint32_t i = 0; i < r.h.count; i++) {
		if (bdf_is(&r.dev[i], vt_dev()->bdf))
			self = (int)i;
		if (o && bdf_is(&r.dev[i], o->bdf))
			other = (int)i;
	}
	assert_true(self >= 0);
	assert_int_equal(r.dev[self].devid, c.devid);
	/* A group fd array is for the group path. */
	fd = c.iommufd;
	assert_int_equal(hot_reset(c.device, 1, &fd), -EINVAL);
	if (other >= 0) {
		/* Not bound anywhere: not owned, no reset. */
		assert_int_equal(r.dev[other].devid, (uint32_t)VFIO_PCI_DEVID_NOT_OWNED);
		assert_false(r.h.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
		assert_int_equal(hot_reset(c.device, 0, NULL), -EINVAL);
		/* Bound in another iommufd: still not owned. */
		assert_true(vt_cdev_open(o, &c2, false));
		assert_int_equal(hot_reset_info(c.device, &r), 0);
		assert_int_equal(r.dev[other].devid, (uint32_t)VFIO_PCI_DEVID_NOT_OWNED);
		assert_int_equal(hot_reset(c.device, 0, NULL), -EINVAL);
		vt_cdev_close(&c2);
		/* Bound in ours: owned, its id. */
		{
			struct vfio_device_bind_iommufd b = { .argsz = sizeof(b),
							      .iommufd = c.iommufd };
			int d2 = open(o->cdev_path, O_RDWR | O_CLOEXEC);

			assert_true(d2 >= 0);
			assert_int_equal(vt_ioctl(d2, VFIO_DEVICE_BIND_IOMMUFD, &b), 0);
			assert_int_equal(hot_reset_info(c.device, &r), 0);
			assert_int_equal(r.dev[other].devid, b.out_devid);
			assert_int_equal(r.h.flags, VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
						    VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED);
			assert_int_equal(hot_reset(c.device, 0, NULL), 0);
			close(d2);
		}
	} else if (r.h.flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED) {
		assert_int_equal(hot_reset(c.device, 0, NULL), 0);
	}
	vt_cdev_close(&c);
}

/* ------------------------------------------------------------------ */
/* ioeventfd */

static long ioeventfd(int d, uint32_t flags, uint64_t offset, uint64_t data, int32_t fd)
{
	struct vfio_device_ioeventfd e = { .argsz = sizeof(e), .flags = flags,
					   .offset = offset, .data = data, .fd = fd };

	return vt_ioctl(d, VFIO_DEVICE_IOEVENTFD, &e);
}

static void test_ioeventfd_checks(void **state)
{
	struct vfio_device_ioeventfd e;
	struct vfio_region_info ri;
	int d = gd.device, efd = vt_eventfd(), null = open("/dev/null", O_RDWR), bad;
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	int bar = vt_first_mem_bar(d, &ri);
	uint64_t off;

	(void)state;
	bad = dup(0);
	close(bad);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_IOEVENTFD, NULL), -EFAULT);
	memset(&e, 0, sizeof(e));
	e.argsz = offsetof(struct vfio_device_ioeventfd, fd) + 3;
	e.flags = VFIO_DEVICE_IOEVENTFD_32;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_IOEVENTFD, &e), -EINVAL);
	/* Flags: one size, nothing else; fd -1 or an fd. */
	assert_int_equal(ioeventfd(d, 0x10 | VFIO_DEVICE_IOEVENTFD_32, 0, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, 0, 0, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32 | VFIO_DEVICE_IOEVENTFD_8,
				   0, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, 0, 0, -2), -EINVAL);
	/* Only BARs. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, VT_CFG, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32,
				   VT_REGION(VFIO_PCI_ROM_REGION_INDEX), 0, efd), -EINVAL);
	if (bar < 0)
		return;
	/* Past the BAR's end, or straddling it. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32,
				   VT_REGION(bar) + ri.size, 0, efd), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64,
				   VT_REGION(bar) + ri.size - 4, 0, efd), -EINVAL);
	/* A BAR without size. */
	for (int i = 0; i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		struct vfio_region_info r0;

		if (!vt_region_info(d, (uint32_t)i, &r0) && !r0.size) {
			assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_8, VT_REGION(i),
						   0, efd), -EINVAL);
			break;
		}
	}
	/* Over the MSI-X table. */
	if (msix) {
		uint32_t t = vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4);

		assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32,
					   VT_REGION(t & PCI_MSIX_TABLE_BIR) +
						   (t & PCI_MSIX_TABLE_OFFSET),
					   0, efd), -EINVAL);
	}
	/* A place of the BAR outside the table. */
	off = VT_REGION(bar);
	if (msix && (vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_BIR) ==
			    (uint32_t)bar &&
	    !(vt_cfg_read(d, msix + PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_OFFSET))
		off += ((vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1) * 16;
	/* Removing what was never there. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, -1), -ENODEV);
	/* The eventfd: a bad fd, a file that is no eventfd. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, bad), -EBADF);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, null), -EINVAL);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, efd), 0);
	/* The same place, value and size: EEXIST, whatever the fd. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, efd), -EEXIST);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, bad), -EEXIST);
	/* Another value, or another size, at the same place is another one. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 1, efd), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_16, off, 0, efd), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, -1), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0, -1), -ENODEV);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 1, -1), 0);
	/* The device's close removes the rest. */
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	d = gd.device;
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_16, off, 0, -1), -ENODEV);
	close(efd);
	close(null);
}

/*
 * At most VFIO_PCI_IOEVENTFD_MAX (1000) ioeventfds a device: ENOSPC past
 * them, before the fd is looked at; a removal makes room.
 */
static void test_ioeventfd_limit(void **state)
{
	struct vfio_region_info ri;
	struct rlimit rl;
	int d = gd.device, efd = vt_eventfd(), bad, bar = vt_first_mem_bar(d, &ri);
	uint64_t off;

	(void)state;
	if (bar < 0 || ri.size < 4096)
		skip();
	/* uiommufd holds each eventfd with an fd of the process's. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < 8192 && rl.rlim_max >= 8192) {
		rl.rlim_cur = 8192;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (vt_uiommufd() && (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < 8192))
		skip();
	bad = dup(0);
	close(bad);
	/* A place clear of an MSI-X table at the start of the BAR. */
	off = VT_REGION(bar) + ri.size - 8;
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, i, efd), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 1000, efd), -ENOSPC);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 1000, bad), -ENOSPC);
	/* An existing one is still found first. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 5, efd), -EEXIST);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 5, -1), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 1000, efd), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 5, efd), -ENOSPC);
	for (uint64_t i = 0; i <= 1000; i++)
		assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, i, -1),
				 i == 5 ? -ENODEV : 0);
	close(efd);
}

/* The register at reg reads want within a few seconds (the write of an
 * ioeventfd may be done by a worker, after the eventfd's write returns). */
static bool reg_becomes(int d, off_t reg, uint64_t want)
{
	for (int i = 0; i < 2000; i++) {
		uint64_t v = 0;

		assert_int_equal(vt_pread(d, &v, 8, reg), 8);
		if (v == want)
			return true;
		usleep(1000);
	}
	return false;
}

/* Signal efd (add 1 to its count). */
static void efd_signal(int efd)
{
	uint64_t one = 1;

	assert_int_equal(write(efd, &one, 8), 8);
}

/*
 * The eventfd's count is consumed (by the ioeventfd) within a while; then
 * an ioctl, after which what the signal did is done (uiommufd's worker
 * consumes and acts under the lock its ioctls take).
 */
static bool efd_drains(int d, int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	struct vfio_device_info di = { .argsz = sizeof(di) };

	for (int i = 0; i < 2000; i++) {
		if (poll(&p, 1, 0) == 0)
			return vt_ioctl(d, VFIO_DEVICE_GET_INFO, &di) == 0;
		usleep(1000);
	}
	return false;
}

/*
 * A signalled ioeventfd writes its value to the device (model-specific:
 * the model's scratch register): each signal consumes the count; a 4-byte
 * one writes 4 bytes; with memory decoding off the write is dropped; once
 * removed, a signal stays in the eventfd; a signal from another process
 * works; the process that set it acts, whichever signals.
 */
static void test_ioeventfd_write(void **state)
{
	const struct vt_model *m = vt_model(gd.device);
	int d = gd.device, efd = vt_eventfd(), e2 = vt_eventfd();
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	uint64_t v = 0x11, off;
	int to_child[2], to_parent[2];
	pid_t pid;
	char c;

	(void)state;
	if (!m)
		skip();
	off = VT_REGION(m->bar) + m->scratch;
	assert_int_equal(vt_pwrite(d, &v, 8, (off_t)off), 8);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x1122334455667788ull,
				   efd), 0);
	assert_true(reg_becomes(d, (off_t)off, 0x11));
	efd_signal(efd);
	assert_true(reg_becomes(d, (off_t)off, 0x1122334455667788ull));
	assert_true(efd_drains(d, efd));
	/* 4 bytes of the value. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0xaabbccdd000000c0ull,
				   e2), 0);
	efd_signal(e2);
	assert_true(reg_becomes(d, (off_t)off, 0x11223344000000c0ull));
	/* Decoding off: signalled, consumed, not written. */
	v = 0;
	assert_int_equal(vt_pwrite(d, &v, 8, (off_t)off), 8);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
	efd_signal(efd);
	assert_true(efd_drains(d, efd));
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_true(reg_becomes(d, (off_t)off, 0));
	/* Another process signals: the write is done all the same. */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		uint64_t one = 1;

		_exit(write(efd, &one, 8) == 8 ? 0 : 1);
	}
	assert_int_equal(vt_wait(pid), 0);
	assert_true(reg_becomes(d, (off_t)off, 0x1122334455667788ull));
	/* Removed: a signal stays in the eventfd. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x1122334455667788ull,
				   -1), 0);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_32, off, 0xaabbccdd000000c0ull,
				   -1), 0);
	v = 0;
	assert_int_equal(vt_pwrite(d, &v, 8, (off_t)off), 8);
	efd_signal(efd);
	usleep(20 * 1000);
	assert_true(reg_becomes(d, (off_t)off, 0));
	/* Set while already signalled: the write is done at once. */
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x6c0, efd), 0);
	assert_true(reg_becomes(d, (off_t)off, 0x6c0));
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x6c0, -1), 0);
	vt_efd_read(efd);
	/* Set by a child (sharing the device fd): its signal from here is
	 * acted on while the child lives. */
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		c = ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x7c0, efd) ? 'f' : 's';
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	assert_int_equal(c, 's');
	efd_signal(efd);
	assert_true(reg_becomes(d, (off_t)off, 0x7c0));
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x7c0, efd), -EEXIST);
	assert_int_equal(ioeventfd(d, VFIO_DEVICE_IOEVENTFD_64, off, 0x7c0, -1), 0);
	assert_int_equal(write(to_child[1], "x", 1), 1);
	assert_int_equal(vt_wait(pid), 0);
	v = 0;
	assert_int_equal(vt_pwrite(d, &v, 8, (off_t)off), 8);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	close(efd);
	close(e2);
}

/* ------------------------------------------------------------------ */
/* the copy engine's DMA (model-specific) */

/* Copy len bytes from src to dst (IOVAs): the engine's STATUS. */
static uint64_t ce_copy(int d, uint64_t src, uint64_t dst, uint64_t len)
{
	uint64_t regs[4] = { src, dst, len, 1 }, st = 0;

	assert_int_equal(vt_pwrite(d, regs, sizeof(regs), 0), sizeof(regs));
	assert_int_equal(vt_pread(d, &st, 8, 0x20), 8);
	return st;
}

static void test_ce_dma_container(void **state)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof(m),
					      .flags = VFIO_DMA_MAP_FLAG_READ |
						       VFIO_DMA_MAP_FLAG_WRITE };
	const uint64_t iova = 1ull << 24;
	int d = gd.device;
	uint16_t cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	char *buf;

	(void)state;
	if (vt_fd_id(d) != VT_ID_COPY_ENGINE)
		skip();
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	strcpy(buf, "engine");
	m.vaddr = (uintptr_t)buf;
	m.iova = iova;
	m.size = 8192;
	assert_int_equal(vt_ioctl(gd.container, VFIO_IOMMU_MAP_DMA, &m), 0);
	/* Bus mastering is off after open: no DMA. */
	assert_int_equal(ce_copy(d, iova, iova + 4096, 7), 2 | (EPERM << 8));
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER);
	assert_int_equal(ce_copy(d, iova, iova + 4096, 7), 1);
	assert_string_equal(buf + 4096, "engine");
	assert_int_equal(ce_copy(d, iova, iova + 4096, 0), 2 | (EINVAL << 8));
	/* Where the IOMMU maps nothing, or maps read-only. */
	assert_int_equal(ce_copy(d, iova, 0x1000, 7), 2 | (EFAULT << 8));
	m.flags = VFIO_DMA_MAP_FLAG_READ;
	m.iova = iova + 0x100000;
	assert_int_equal(vt_ioctl(gd.container, VFIO_IOMMU_MAP_DMA, &m), 0);
	assert_int_equal(ce_copy(d, iova, iova + 0x100000, 7), 2 | (EPERM << 8));
	munmap(buf, 8192);
}

static void test_ce_dma_cdev(void **state)
{
	struct iommu_ioas_map map = { .size = sizeof(map),
				      .flags = IOMMU_IOAS_MAP_FIXED_IOVA |
					       IOMMU_IOAS_MAP_READABLE |
					       IOMMU_IOAS_MAP_WRITEABLE };
	struct vfio_device_detach_iommufd_pt dt = { .argsz = sizeof(dt) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	const uint64_t iova = 1ull << 24;
	struct vt_cdev c;
	char *buf;

	(void)state;
	if (vt_fd_id(gd.device) != VT_ID_COPY_ENGINE)
		skip();
	vt_gdev_close(&gd);
	if (!vt_cdev_open(vt_dev(), &c, false))
		skip();
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	strcpy(buf, "cdev");
	map.ioas_id = c.ioas;
	map.user_va = (uintptr_t)buf;
	map.length = 8192;
	map.iova = iova;
	assert_int_equal(vt_ioctl(c.iommufd, IOMMU_IOAS_MAP, &map), 0);
	vt_cfg_write(c.device, PCI_COMMAND, 2,
		     vt_cfg_read(c.device, PCI_COMMAND, 2) | PCI_COMMAND_MASTER);
	/* Bound, not attached: no IO page table to go through. */
	assert_int_equal(ce_copy(c.device, iova, iova + 4096, 5) & 0xff, 2);
	at.pt_id = c.ioas;
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), 0);
	assert_int_equal(ce_copy(c.device, iova, iova + 4096, 5), 1);
	assert_string_equal(buf + 4096, "cdev");
	assert_int_equal(vt_ioctl(c.device, VFIO_DEVICE_DETACH_IOMMUFD_PT, &dt), 0);
	assert_int_equal(ce_copy(c.device, iova, iova + 4096, 5) & 0xff, 2);
	vt_cdev_close(&c);
	munmap(buf, 8192);
}

static const struct CMUnitTest tests[] = {
	DEV_TEST(test_get_info),
	DEV_TEST(test_region_info_bars),
	DEV_TEST(test_region_info_msix_cap),
	DEV_TEST(test_region_info_others),
	DEV_TEST(test_irq_info),
	DEV_TEST(test_feature_checks),
	DEV_TEST(test_feature_low_power),
	DEV_TEST(test_reset),
	DEV_TEST(test_hot_reset_info_group),
	DEV_TEST(test_hot_reset_group),
	DEV_TEST(test_hot_reset_two_groups),
	DEV_TEST(test_hot_reset_cdev),
	DEV_TEST(test_ioeventfd_checks),
	DEV_TEST(test_ioeventfd_limit),
	DEV_TEST(test_ioeventfd_write),
	DEV_TEST(test_ce_dma_container),
	DEV_TEST(test_ce_dma_cdev),
};

VT_MAIN(tests)
