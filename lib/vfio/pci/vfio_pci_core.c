// SPDX-License-Identifier: MIT
/*
 * vfio-pci's device ioctls, region accesses and mmap, as drivers/vfio/pci/
 * vfio_pci_core.c: GET_INFO, GET_REGION_INFO (with the capability chain:
 * MSI-X mappable on the MSI-X BAR), GET_IRQ_INFO, SET_IRQS (validated as
 * vfio_set_irqs_validate_and_prepare), RESET, GET_PCI_HOT_RESET_INFO and
 * PCI_HOT_RESET, IOEVENTFD's checks (the rest in vfio_pci_rdwr.c), and
 * the open and close of the device (vfio_pci_core_enable/disable): bus
 * mastering off, a function-level reset, memory decoding on, config
 * virtualization set up.
 *
 * The emulated host: every device sits on its own bus behind a root port
 * unless the launch put several on one bus (bus 0 has no upstream bridge:
 * no bus reset there, ENODEV, as pci_probe_reset_bus() on a root bus);
 * Intel's interrupt remapping lets the MSI-X table be mmapped; dynamic
 * MSI-X allocation works (x86 with 6.12).
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <uiommufd/uapi.h>

#include "file.h"
#include "debug.h"
#include "kernel.h"
#include "sys.h"
#include "trap.h"
#include "uaccess.h"
#include "vfio_pci_priv.h"

#define UIO_PAGE 4096ull

size_t uio_vpci_size(void)
{
	return (sizeof(struct uio_vfio_pci) + 63) & ~(size_t)63;
}

static struct uio_vfio_pci *uio_v(struct uio_vfio_registry *r,
				  struct uio_vfio_device *d)
{
	return uio_vfio_vpci(r, d);
}

static struct uio_pci_dev *uio_p(struct uio_vfio_registry *r,
				 struct uio_vfio_device *d)
{
	return uio_vfio_pci(r, d);
}

/* vfio_pci_probe_mmaps(): memory BARs are mmappable (page-aligned starts). */
void uio_vpci_init(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	memset(v, 0, sizeof(*v));
	v->irq_type = UIO_VPCI_IRQ_NONE;
	v->msix_bar = 0xff;
	for (unsigned int i = 0; i < UIO_PCI_NUM_BARS; i++)
		v->bar_mmap[i] = pdev->bars[i].size &&
				 !(pdev->bars[i].flags & UIOMMUFD_BAR_IO) &&
				 !(pdev->bars[i].start & (UIO_PAGE - 1));
}

static void uio_vpci_pm_exit(struct uio_vfio_pci *v);

/* ------------------------------------------------------------------ */
/* open and close (vfio_pci_core_enable, vfio_pci_core_disable) */

static bool uio_reset_works(struct uio_pci_dev *pdev)
{
	/* A PCIe FLR, or a PM reset from D3hot without NoSoftRst. */
	if (pdev->cap_exp && (uio_pci_cfg_read(pdev, pdev->cap_exp + PCI_EXP_DEVCAP, 4) &
			      PCI_EXP_DEVCAP_FLR))
		return true;
	return pdev->cap_pm && !(uio_pci_cfg_read(pdev, pdev->cap_pm + PCI_PM_CTRL, 2) &
				 PCI_PM_CTRL_NO_SOFT_RESET);
}

/* The host's pci_enable_device() and the reset at open. */
static void uio_vpci_enable_hw(struct uio_pci_dev *pdev)
{
	uint16_t cmd = (uint16_t)uio_pci_cfg_read(pdev, PCI_COMMAND, 2);

	cmd &= (uint16_t)~(PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	for (unsigned int i = 0; i < UIO_PCI_NUM_BARS; i++) {
		if (!pdev->bars[i].size)
			continue;
		cmd |= (pdev->bars[i].flags & UIOMMUFD_BAR_IO) ? PCI_COMMAND_IO :
								 PCI_COMMAND_MEMORY;
	}
	uio_pci_cfg_write(pdev, PCI_COMMAND, 2, cmd);
}

int uio_vpci_open_device(struct uio_vfio_registry *r, struct uio_vfio_device *d)
{
	struct uio_vfio_pci *v = uio_v(r, d);
	struct uio_pci_dev *pdev = uio_p(r, d);
	uint32_t table;
	uint16_t flags;

	if (!uio_pci_model(pdev))
		return -ENODEV;
	v->reset_works = uio_reset_works(pdev);
	if (v->reset_works)
		uio_pci_reset(pdev);
	uio_pci_lock(pdev);
	uio_vpci_enable_hw(pdev);
	uio_pci_save_state(pdev, &v->saved);
	uio_vpci_config_init(v, pdev);
	if (pdev->cap_msix) {
		flags = (uint16_t)uio_pci_cfg_read(pdev, pdev->cap_msix + PCI_MSIX_FLAGS, 2);
		table = uio_pci_cfg_read(pdev, pdev->cap_msix + PCI_MSIX_TABLE, 4);
		v->msix_bar = table & PCI_MSIX_TABLE_BIR;
		v->msix_offset = table & PCI_MSIX_TABLE_OFFSET;
		v->msix_size = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1u) * 16;
	} else {
		v->msix_bar = 0xff;
	}
	v->irq_type = UIO_VPCI_IRQ_NONE;
	v->intx_masked = v->intx_pending = false;
	v->nvec = 0;
	v->power_state = 0;
	uio_pci_unlock(pdev);
	return 0;
}

void uio_vpci_close_device(struct uio_vfio_registry *r, struct uio_vfio_device *d)
{
	struct uio_vfio_pci *v = uio_v(r, d);
	struct uio_pci_dev *pdev = uio_p(r, d);
	uint16_t cmd;

	/* Out of low power (no wakeup signalled), back to D0, stop DMA,
	 * then every interrupt. */
	uio_vpci_pm_exit(v);
	uio_pci_lock(pdev);
	uio_vpci_set_power_state(v, pdev, 0);
	cmd = (uint16_t)uio_pci_cfg_read(pdev, PCI_COMMAND, 2);
	uio_pci_cfg_write(pdev, PCI_COMMAND, 2, cmd & (uint16_t)~PCI_COMMAND_MASTER);
	uio_pci_unlock(pdev);
	if (v->irq_type != UIO_VPCI_IRQ_NONE)
		uio_vpci_set_irqs(v, pdev, (uint32_t)(d - r->devices),
				  VFIO_IRQ_SET_DATA_NONE |
				  VFIO_IRQ_SET_ACTION_TRIGGER, v->irq_type, 0, 0,
				  NULL);
	uio_vpci_ioeventfds_release(v);
	uio_vpci_triggers_release(v);
	v->virq_disabled = false;
	/* Reset, and the config saved at open put back (whatever the program
	 * wrote to the device goes), bus mastering off (pci_disable_device). */
	uio_pci_lock(pdev);
	if (v->reset_works)
		uio_pci_reset_locked(pdev);
	uio_pci_restore_state(pdev, &v->saved);
	cmd = (uint16_t)uio_pci_cfg_read(pdev, PCI_COMMAND, 2);
	uio_pci_cfg_write(pdev, PCI_COMMAND, 2, cmd & (uint16_t)~PCI_COMMAND_MASTER);
	uio_pci_unlock(pdev);
}

/* ------------------------------------------------------------------ */
/* the device's name (vfio_pci_core_match) */

/* uuid_is_valid(): 8-4-4-4-12 hex digits. */
static bool uio_uuid_valid(const char *s)
{
	for (unsigned int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];

		if (dash ? c != '-' : !((c >= '0' && c <= '9') ||
					(c >= 'a' && c <= 'f') ||
					(c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int uio_vpci_match(struct uio_vfio_device *d, const char *buf)
{
	size_t n = strlen(d->bdf);
	bool vf_token = false;

	if (strncmp(d->bdf, buf, n))
		return 0;
	/* Options may follow the name, after whitespace. */
	if (strlen(buf) > n) {
		buf += n;
		if (*buf != ' ')
			return 0;
		while (*buf) {
			if (*buf == ' ') {
				buf++;
				continue;
			}
			if (vf_token || strncmp(buf, "vf_token=", 9))
				return -EINVAL;
			buf += 9;
			if (strlen(buf) < 36 || !uio_uuid_valid(buf))
				return -EINVAL;
			vf_token = true;
			buf += 36;
		}
	}
	/*
	 * vfio_pci_validate_vf_token(): the emulated functions are neither
	 * SR-IOV PFs nor VFs, so a token is provided in error.
	 */
	return vf_token ? -EINVAL : 1;
}

/* ------------------------------------------------------------------ */
/* capability chains of the info ioctls (vfio_info_add_capability) */

struct uio_caps {
	uint8_t buf[64];
	uint32_t size;
	uint32_t last;  /* offset of the last header, +1; 0: none */
};

static void uio_caps_add(struct uio_caps *c, const void *cap, uint32_t len)
{
	struct vfio_info_cap_header *h;

	if (c->size + len > sizeof(c->buf))
		return;
	memcpy(c->buf + c->size, cap, len);
	if (c->last) {
		h = (struct vfio_info_cap_header *)(c->buf + c->last - 1);
		h->next = c->size;
	}
	c->last = c->size + 1;
	c->size += len;
}

/* Make the chain's next offsets absolute from the start of the struct. */
static void uio_caps_shift(struct uio_caps *c, uint32_t offset)
{
	for (uint32_t at = 0; at < c->size;) {
		struct vfio_info_cap_header *h = (void *)(c->buf + at);
		uint32_t next = h->next;

		if (next)
			h->next = next + offset;
		else
			break;
		at = next;
	}
}

/* ------------------------------------------------------------------ */
/* ioctls */

static long uio_get_info(struct uio_vfio_pci *v, void *arg)
{
	uint32_t minsz = offsetof(struct vfio_device_info, num_irqs) +
			 sizeof(uint32_t);
	struct vfio_device_info info = { 0 };

	if (uio_copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* What the caller has room for, up to the whole struct: cap_offset
	 * is written too (0 without a chain). */
	if (info.argsz < sizeof(info))
		minsz = info.argsz;
	else
		minsz = sizeof(info);
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (v->reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	/* No AtomicOps completer here: no capability chain. */
	return uio_copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long uio_get_region_info(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
				void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_region_info, offset) +
			       sizeof(uint64_t);
	struct vfio_region_info info;
	struct uio_caps caps = { .size = 0 };

	if (uio_copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.offset = (uint64_t)info.index << UIO_VPCI_OFFSET_SHIFT;
		info.size = pdev->cfg_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info.offset = (uint64_t)info.index << UIO_VPCI_OFFSET_SHIFT;
		info.size = pdev->bars[info.index].size;
		if (!info.size) {
			info.flags = 0;
			break;
		}
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		if (v->bar_mmap[info.index]) {
			info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
			if (info.index == v->msix_bar) {
				struct vfio_info_cap_header h = {
					.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
					.version = 1 };

				uio_caps_add(&caps, &h, sizeof(h));
			}
		}
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		/* No option ROM. */
		info.offset = (uint64_t)info.index << UIO_VPCI_OFFSET_SHIFT;
		info.flags = 0;
		info.size = 0;
		break;
	case VFIO_PCI_VGA_REGION_INDEX:
		/* Not a VGA device. */
		return -EINVAL;
	default:
		return -EINVAL;
	}
	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
			info.cap_offset = 0;
		} else {
			uio_caps_shift(&caps, sizeof(info));
			if (uio_copy_to_user(UIO_UPTR(arg, sizeof(info)), caps.buf,
					     caps.size))
				return -EFAULT;
			info.cap_offset = sizeof(info);
		}
	}
	return uio_copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long uio_get_irq_info(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			     void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_irq_info, count) +
			       sizeof(uint32_t);
	struct vfio_irq_info info;

	if (uio_copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pdev->cap_exp)
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = uio_vpci_irq_count(v, pdev, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX)
		/* MSI-X grows on demand (dynamic allocation). */
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return uio_copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long uio_set_irqs(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			 uint32_t dev, void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_irq_set, count) +
			       sizeof(uint32_t);
	struct vfio_irq_set hdr;
	uint8_t stackbuf[256], *data = NULL;
	size_t size = 0, data_size = 0;
	unsigned int max;
	long rc;

	if (uio_copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	max = uio_vpci_irq_count(v, pdev, hdr.index);
	/* vfio_set_irqs_validate_and_prepare() */
	if (hdr.argsz < minsz || hdr.index >= VFIO_PCI_NUM_IRQS ||
	    hdr.count >= UINT32_MAX - hdr.start ||
	    (hdr.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			   VFIO_IRQ_SET_ACTION_TYPE_MASK)))
		return -EINVAL;
	if (hdr.start >= max || hdr.start + hdr.count > max)
		return -EINVAL;
	switch (hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		size = 0;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(uint8_t);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(int32_t);
		break;
	default:
		return -EINVAL;
	}
	if (size) {
		if (hdr.argsz - minsz < hdr.count * size)
			return -EINVAL;
		data_size = hdr.count * size;
	}
	if (data_size) {
		data = data_size <= sizeof(stackbuf) ? stackbuf :
			(uio_should_fail() ? NULL : malloc(data_size));
		if (!data)
			return -ENOMEM;
		if (uio_copy_from_user(data, UIO_UPTR(arg, minsz), data_size)) {
			rc = -EFAULT;
			goto out;
		}
	}
	rc = uio_vpci_set_irqs(v, pdev, dev, hdr.flags, hdr.index, hdr.start,
			       hdr.count, data);
out:
	if (data != stackbuf)
		free(data);
	return rc;
}

/* The devices a bus reset of d reaches: those on d's domain and bus. */
static bool uio_same_bus(const struct uio_vfio_device *a,
			 const struct uio_vfio_device *b)
{
	return !strncmp(a->bdf, b->bdf, 7); /* "DDDD:BB" */
}

static bool uio_on_root_bus(const struct uio_vfio_device *d)
{
	return !strncmp(d->bdf + 5, "00:", 3);
}

static void uio_bdf_parse(const char *bdf, uint16_t *seg, uint8_t *bus,
			  uint8_t *devfn)
{
	unsigned int s = 0, b = 0, dv = 0, f = 0;

	sscanf(bdf, "%x:%x:%x.%x", &s, &b, &dv, &f);
	*seg = (uint16_t)s;
	*bus = (uint8_t)b;
	*devfn = (uint8_t)(dv << 3 | f);
}

/*
 * vfio_iommufd_get_dev_id(o, ictx of d): o's device id if it is bound in
 * d's iommufd; VFIO_PCI_DEVID_OWNED (0) if not, but a device of its
 * group is (iommufd_ctx_has_group: that iommufd owns the group); else
 * VFIO_PCI_DEVID_NOT_OWNED.
 */
static int32_t uio_dev_id_in(struct uio_vfio_registry *r, struct uio_vfio_device *o,
			     uint64_t iommufd)
{
	if (!iommufd)
		return VFIO_PCI_DEVID_NOT_OWNED;
	if (o->iommufd == iommufd)
		return (int32_t)o->devid;
	for (uint32_t i = 0; i < r->ndevices; i++)
		if (r->devices[i].group == o->group && r->devices[i].iommufd == iommufd)
			return VFIO_PCI_DEVID_OWNED;
	return VFIO_PCI_DEVID_NOT_OWNED;
}

/* vfio_pci_for_each_slot_or_bus(..., vfio_pci_count_devs): the devices a
 * bus reset of d reaches (every one here is bound to vfio-pci). */
static uint32_t uio_bus_count(struct uio_vfio_registry *r, struct uio_vfio_device *d)
{
	uint32_t count = 0;

	for (uint32_t i = 0; i < r->ndevices; i++)
		count += uio_same_bus(d, &r->devices[i]);
	return count;
}

static long uio_hot_reset_info(struct uio_vfio_registry *r,
			       struct uio_vfio_device *d, void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_pci_hot_reset_info, count) +
			       sizeof(uint32_t);
	struct vfio_pci_hot_reset_info hdr;
	struct vfio_pci_dependent_device dev;
	uint32_t count, n = 0, flags = 0;

	if (uio_copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	hdr.flags = 0;
	/* No slot or bus reset: a root bus has no bridge to reset it. */
	if (uio_on_root_bus(d))
		return -ENODEV;
	count = uio_bus_count(r, d);
	if (count > (hdr.argsz - sizeof(hdr)) / sizeof(dev)) {
		hdr.count = count;
		return uio_copy_to_user(arg, &hdr, minsz) ? -EFAULT : -ENOSPC;
	}
	if (d->cdev_opened)
		flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
			VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	/* vfio_pci_fill_devs() */
	for (uint32_t i = 0; i < r->ndevices; i++) {
		struct uio_vfio_device *o = &r->devices[i];

		if (!uio_same_bus(d, o))
			continue;
		memset(&dev, 0, sizeof(dev));
		uio_bdf_parse(o->bdf, &dev.segment, &dev.bus, &dev.devfn);
		if (flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID) {
			uio_vfio_sweep_device(r, o);
			dev.devid = (uint32_t)uio_dev_id_in(r, o, d->iommufd);
			if (dev.devid == (uint32_t)VFIO_PCI_DEVID_NOT_OWNED)
				flags &= ~(uint32_t)VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
		} else {
			dev.group_id = r->groups[o->group].number;
		}
		if (uio_copy_to_user(UIO_UPTR(arg, sizeof(hdr) + n * sizeof(dev)),
				     &dev, sizeof(dev)))
			return -EFAULT;
		n++;
	}
	hdr.count = n;
	hdr.flags = flags;
	return uio_copy_to_user(arg, &hdr, minsz) ? -EFAULT : 0;
}

static long uio_hot_reset(struct uio_vfio_registry *r, struct uio_vfio_device *d,
			  void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_pci_hot_reset, count) +
			       sizeof(uint32_t);
	struct vfio_pci_hot_reset hdr;
	uint32_t groups[UIO_VFIO_MAX_DEVICES];

	if (uio_copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	/* A zero-length array is only for cdev-opened devices. */
	if (!!hdr.count == d->cdev_opened)
		return -EINVAL;
	if (uio_on_root_bus(d))
		return -ENODEV;
	if (hdr.count) {
		/* vfio_pci_ioctl_pci_hot_reset_groups(): no more fds than
		 * devices; each an open group file. */
		if (hdr.count > uio_bus_count(r, d))
			return -EINVAL;
		for (uint32_t i = 0; i < hdr.count; i++) {
			int32_t fd;
			int g;

			if (uio_copy_from_user(&fd, UIO_UPTR(arg, minsz + i * sizeof(fd)),
					       sizeof(fd)))
				return -EFAULT;
			g = uio_vfio_group_of_fd(fd);
			if (g < 0)
				return g;
			groups[i] = (uint32_t)g;
		}
	}
	/*
	 * vfio_pci_dev_set_hot_reset(): every device the reset reaches must
	 * be the caller's: in one of the groups given, or (cdev) bound in
	 * the caller's iommufd or in a group that iommufd owns. Else EINVAL.
	 */
	for (uint32_t i = 0; i < r->ndevices; i++) {
		struct uio_vfio_device *o = &r->devices[i];
		bool owned = false;

		if (!uio_same_bus(d, o))
			continue;
		if (hdr.count) {
			for (uint32_t k = 0; k < hdr.count && !owned; k++)
				owned = groups[k] == o->group;
		} else {
			uio_vfio_sweep_device(r, o);
			owned = uio_dev_id_in(r, o, d->iommufd) != VFIO_PCI_DEVID_NOT_OWNED;
		}
		if (!owned)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < r->ndevices; i++) {
		struct uio_pci_dev *p;

		if (!uio_same_bus(d, &r->devices[i]))
			continue;
		/* Each device in D0, then the bus reset (config restored). */
		p = uio_vfio_pci(r, &r->devices[i]);
		uio_pci_lock(p);
		uio_vpci_set_power_state(uio_vfio_vpci(r, &r->devices[i]), p, 0);
		uio_pci_reset_locked(p);
		uio_pci_unlock(p);
	}
	return 0;
}

static long uio_ioeventfd(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			  uint32_t dev, void *arg)
{
	const uint32_t minsz = offsetof(struct vfio_device_ioeventfd, fd) +
			       sizeof(int32_t);
	struct vfio_device_ioeventfd ev;
	unsigned int count;

	/* vfio_pci_ioctl_ioeventfd() */
	if (uio_copy_from_user(&ev, arg, minsz))
		return -EFAULT;
	if (ev.argsz < minsz)
		return -EINVAL;
	if (ev.flags & ~VFIO_DEVICE_IOEVENTFD_SIZE_MASK)
		return -EINVAL;
	count = ev.flags & VFIO_DEVICE_IOEVENTFD_SIZE_MASK;
	if (__builtin_popcount(count) != 1 || ev.fd < -1)
		return -EINVAL;
	return uio_vpci_ioeventfd(v, pdev, dev, ev.offset, ev.data, count, ev.fd);
}

long uio_vpci_ioctl(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		    unsigned long cmd, void *arg)
{
	struct uio_vfio_pci *v = uio_v(r, d);
	struct uio_pci_dev *pdev = uio_p(r, d);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return uio_get_info(v, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return uio_get_region_info(v, pdev, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return uio_get_irq_info(v, pdev, arg);
	case VFIO_DEVICE_SET_IRQS:
		return uio_set_irqs(v, pdev, (uint32_t)(d - r->devices), arg);
	case VFIO_DEVICE_RESET:
		/* vfio_pci_ioctl_reset(): in D0 first. */
		if (!v->reset_works)
			return -EINVAL;
		uio_pci_lock(pdev);
		uio_vpci_set_power_state(v, pdev, 0);
		uio_pci_reset_locked(pdev);
		uio_pci_unlock(pdev);
		return 0;
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return uio_hot_reset_info(r, d, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return uio_hot_reset(r, d, arg);
	case VFIO_DEVICE_IOEVENTFD:
		return uio_ioeventfd(v, pdev, (uint32_t)(d - r->devices), arg);
	default:
		return -ENOTTY;
	}
}

/* vfio_check_feature(): 1 to go on, else what to return. */
static int uio_check_feature(uint32_t flags, size_t argsz, uint32_t supported,
			     size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~supported)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/*
 * Runtime PM, as vfio_pci_runtime_pm_entry/exit and the runtime suspend
 * and resume callbacks: engaged, the device suspends once nothing holds
 * it (here at once: the ioctl that engaged it returns); each later ioctl
 * or region access resumes it for its duration, and a resume with a
 * wakeup eventfd signals it and leaves low power. Mapped accesses never
 * resume it. Registry locked.
 */
static int uio_vpci_pm_entry(struct uio_vfio_pci *v, int wake_fd)
{
	int rc;

	if (v->pm_engaged)
		return -EINVAL;
	if (wake_fd >= 0) {
		rc = uio_vpci_trigger_set(&v->pm_wake, wake_fd);
		if (rc)
			return rc;
	}
	v->pm_engaged = true;
	return 0;
}

static void uio_vpci_pm_exit(struct uio_vfio_pci *v)
{
	if (!v->pm_engaged)
		return;
	v->pm_engaged = false;
	uio_vpci_trigger_clear(&v->pm_wake);
}

void uio_vpci_runtime_resume(struct uio_vfio_registry *r, struct uio_vfio_device *d)
{
	struct uio_vfio_pci *v = uio_v(r, d);

	if (!v->pm_engaged || !atomic_load(&v->pm_wake.word))
		return;
	uio_vpci_trigger_signal(&v->pm_wake);
	uio_vpci_pm_exit(v);
}

long uio_vpci_feature(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		      uint32_t flags, void *data, size_t len)
{
	struct uio_vfio_pci *v = uio_v(r, d);
	struct {
		int32_t wakeup_eventfd;
		uint32_t reserved;
	} entry;
	int rc;

	/* vfio_pci_core_ioctl_feature(); no VF token (no SR-IOV PF here). */
	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		rc = uio_check_feature(flags, len, VFIO_DEVICE_FEATURE_SET, 0);
		return rc != 1 ? rc : uio_vpci_pm_entry(v, -1);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		rc = uio_check_feature(flags, len, VFIO_DEVICE_FEATURE_SET,
				       sizeof(entry));
		if (rc != 1)
			return rc;
		if (uio_copy_from_user(&entry, data, sizeof(entry)))
			return -EFAULT;
		if (entry.wakeup_eventfd < 0)
			return -EINVAL;
		if (v->pm_engaged) {
			/* The eventfd is taken, then found not needed. */
			struct uio_vpci_trigger t = { 0 };

			rc = uio_vpci_trigger_set(&t, entry.wakeup_eventfd);
			uio_vpci_trigger_clear(&t);
			return rc ? rc : -EINVAL;
		}
		return uio_vpci_pm_entry(v, entry.wakeup_eventfd);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		rc = uio_check_feature(flags, len, VFIO_DEVICE_FEATURE_SET, 0);
		if (rc != 1)
			return rc;
		uio_vpci_pm_exit(v);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* ------------------------------------------------------------------ */
/* regions */

long uio_vpci_rw(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		 void *buf, size_t count, uint64_t pos, bool write)
{
	struct uio_vfio_pci *v = uio_v(r, d);
	struct uio_pci_dev *pdev = uio_p(r, d);
	unsigned int index = UIO_VPCI_INDEX(pos);
	uint64_t off = pos & UIO_VPCI_OFFSET_MASK;

	/* vfio_pci_core_read/write(): nothing to do is done at once. */
	if (!count)
		return 0;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	/* vfio_pci_rw()'s pm_runtime_resume_and_get(); the registry lock
	 * only when low power is engaged at all. */
	if (__atomic_load_n(&v->pm_engaged, __ATOMIC_RELAXED)) {
		uio_vfio_lock(r);
		uio_vpci_runtime_resume(r, d);
		uio_vfio_unlock(r);
	}
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return uio_vpci_config_rw(v, pdev, buf, count, off, write);
	case VFIO_PCI_ROM_REGION_INDEX:
		/* Read-only, and there is no ROM. */
		return -EINVAL;
	case VFIO_PCI_VGA_REGION_INDEX:
		return -EINVAL;
	default:
		return uio_vpci_bar_rw(v, pdev, index, buf, count, off, write);
	}
}

static int uio_vpci_map_access(void *priv, uint64_t off, void *buf,
			       unsigned int len, bool write)
{
	const struct uio_vpci_map *m = priv;
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_vfio_device *d;
	struct uio_vfio_pci *v;

	if (!r || m->dev >= r->ndevices)
		return -EIO;
	d = &r->devices[m->dev];
	v = uio_v(r, d);
	/*
	 * x86 has no write-only pages: PROT_WRITE maps readable too
	 * (protection_map[VM_WRITE | VM_SHARED] is PAGE_SHARED). PROT_EXEC
	 * alone stays unreadable, as with protection keys (execute-only).
	 */
	if (!(m->prot & (write ? PROT_WRITE : PROT_READ | PROT_WRITE)))
		return -EFAULT;
	/* Low power engaged, or memory decoding off (or D3hot): the kernel's
	 * fault handler answers VM_FAULT_SIGBUS (vfio_pci_mmap_huge_fault). */
	if (v->pm_engaged || !uio_vpci_memory_enabled(v))
		return UIO_TRAP_SIGBUS;
	return uio_pci_bar_rw(uio_p(r, d), m->bar, m->start + off, buf, len,
			      write);
}

/* The mapping's last piece is gone: its hold on the device file too. */
static void uio_vpci_map_release(void *priv)
{
	struct uio_vpci_map *m = priv;

	uio_vfio_device_file_put(m->fd, m->file);
	free(m);
}

static const struct uio_trap_ops uio_vpci_map_ops = {
	.access = uio_vpci_map_access,
	.release = uio_vpci_map_release,
};

long uio_vpci_mmap(struct uio_vfio_registry *r, struct uio_vfio_device *d,
		   int fd, uint32_t file, void *addr, size_t len, int prot,
		   int flags, uint64_t off)
{
	struct uio_vfio_pci *v = uio_v(r, d);
	struct uio_pci_dev *pdev = uio_p(r, d);
	unsigned int index = UIO_VPCI_INDEX(off);
	uint64_t start = off & UIO_VPCI_OFFSET_MASK, phys_len;
	struct uio_vpci_map *m;
	long at;
	int rc;

	/* vfio_pci_core_mmap() (the system call's checks were made). */
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (!(flags & MAP_SHARED))
		return -EINVAL;
	if (index >= VFIO_PCI_ROM_REGION_INDEX || !v->bar_mmap[index])
		return -EINVAL;
	phys_len = (pdev->bars[index].size + UIO_PAGE - 1) & ~(UIO_PAGE - 1);
	len = (len + UIO_PAGE - 1) & ~(size_t)(UIO_PAGE - 1);
	if (start + len > phys_len)
		return -EINVAL;
	/* The mapping's state and its hold on the file (get_file()). */
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct uio_vpci_map){ .dev = (uint32_t)(d - r->devices),
				    .bar = index, .prot = prot, .start = start,
				    .file = file };
	m->fd = uio_vpci_dup_private(fd);
	if (m->fd < 0) {
		free(m);
		return -ENOMEM;
	}
	if ((flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE))
		uio_trap_remove(addr, len);
	at = uio_sys_mmap(addr, len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				  (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)),
			  -1, 0);
	if (at < 0 && at > -4096) {
		rc = (int)at;
		goto err;
	}
	rc = uio_trap_add((void *)at, len, &uio_vpci_map_ops, m);
	uio_debug(UIO_DEBUG_MMIO, "BAR%u [%#llx, +%#zx) at %p: %s", index, (unsigned long long)start, len, (void *)at, rc ? "not trapped (uio_trap_add failed)" : "trapped");
	if (rc) {
		uio_sys_munmap((void *)at, len);
		goto err;
	}
	return at;

err:
	/* The program's fd holds the file still: a plain close. */
	uio_sys_close(m->fd);
	free(m);
	return rc;
}
