// SPDX-License-Identifier: MIT
/*
 * vfio-pci config space virtualization, as drivers/vfio/pci/
 * vfio_pci_config.c does it over a real device.
 *
 * Each byte of config space belongs to a capability (the map: the basic
 * header counts as capability 0, bytes outside every capability are
 * "unassigned"). Each capability has permission bits: per bit, whether
 * it is virtualized (kept in vconfig, never reaching the device) and
 * whether the program may write it. Reads merge vconfig's virtualized
 * bits with the device's others; writes put writable virtualized bits in
 * vconfig and writable others in the device. Unassigned bytes go to the
 * device raw. Some registers have their own behaviour on top:
 *   - BARs are wholly virtual: sizing works as on hardware, the device's
 *     BARs keep the host's addresses;
 *   - the command register's INTx disable bit is virtual and masks INTx;
 *     memory and I/O enable are remembered in vconfig too (pread/pwrite
 *     and mapped accesses of a disabled BAR fail, as vfio-pci's);
 *   - MSI's enable bit only follows VFIO_DEVICE_SET_IRQS, and its queue
 *     size is capped to what was enabled;
 *   - PCI Express' FLR bit resets the function;
 *   - MSI-X and every capability without permissions are read-only,
 *     straight from the device (the next pointers from vconfig).
 * Accesses are chopped into naturally aligned pieces of 1, 2 or 4 bytes
 * that do not cross a capability or a dword.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include <uiommufd/uapi.h>

#include "uaccess.h"
#include "vfio_pci_priv.h"

#define UIO_CAP_INVALID 0xff
#define UIO_HDR_SIZE PCI_STD_HEADER_SIZEOF

/* Permission bits of a capability: virtualized and writable, per byte. */
struct uio_perm {
	uint8_t virt[64];
	uint8_t write[64];
};

static void p_set(struct uio_perm *p, unsigned int off, unsigned int len,
		  uint32_t virt, uint32_t write)
{
	for (unsigned int i = 0; i < len; i++) {
		p->virt[off + i] = (uint8_t)(virt >> (8 * i));
		p->write[off + i] = (uint8_t)(write >> (8 * i));
	}
}

static struct uio_perm uio_basic_perm, uio_pm_perm, uio_exp_perm;
static pthread_once_t uio_perm_once = PTHREAD_ONCE_INIT;

static void uio_perm_init(void)
{
	struct uio_perm *p = &uio_basic_perm;

	p_set(p, PCI_VENDOR_ID, 2, 0xffff, 0);
	p_set(p, PCI_DEVICE_ID, 2, 0xffff, 0);
	p_set(p, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, 0xffff);
	p_set(p, PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0);
	p_set(p, PCI_CACHE_LINE_SIZE, 1, 0, 0xff);
	p_set(p, PCI_LATENCY_TIMER, 1, 0, 0xff);
	p_set(p, PCI_BIST, 1, 0, 0xff);
	for (unsigned int b = PCI_BASE_ADDRESS_0; b <= PCI_BASE_ADDRESS_5; b += 4)
		p_set(p, b, 4, 0xffffffff, 0xffffffff);
	p_set(p, PCI_ROM_ADDRESS, 4, 0xffffffff, 0xffffffff);
	p_set(p, PCI_CAPABILITY_LIST, 1, 0xff, 0);
	p_set(p, PCI_INTERRUPT_LINE, 1, 0xff, 0xff);
	p_set(p, PCI_INTERRUPT_PIN, 1, 0xff, 0);

	p = &uio_pm_perm;
	p_set(p, PCI_CAP_LIST_NEXT, 1, 0xff, 0);
	p_set(p, PCI_PM_PMC, 2, PCI_PM_CAP_PME_MASK, 0);
	p_set(p, PCI_PM_CTRL, 4, PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
	      ~(uint32_t)(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS |
			  PCI_PM_CTRL_STATE_MASK));

	p = &uio_exp_perm;
	p_set(p, PCI_CAP_LIST_NEXT, 1, 0xff, 0);
	p_set(p, PCI_EXP_DEVCTL, 2,
	      PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_PAYLOAD |
		      PCI_EXP_DEVCTL_READRQ,
	      (uint16_t)~PCI_EXP_DEVCTL_PHANTOM);
	p_set(p, PCI_EXP_DEVCTL2, 2, 0, (uint16_t)~PCI_EXP_DEVCTL2_ARI);
}

/* MSI's permissions depend on its flags (64-bit, per-vector masking). */
static void uio_msi_perm(struct uio_perm *p, uint16_t flags)
{
	memset(p, 0, sizeof(*p));
	p_set(p, PCI_CAP_LIST_NEXT, 1, 0xff, 0);
	p_set(p, PCI_MSI_FLAGS, 1, 0xff, 0xff);
	p_set(p, PCI_MSI_ADDRESS_LO, 4, 0xffffffff, 0xffffffff);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		p_set(p, PCI_MSI_ADDRESS_HI, 4, 0xffffffff, 0xffffffff);
		p_set(p, PCI_MSI_DATA_64, 2, 0xffff, 0xffff);
		if (flags & PCI_MSI_FLAGS_MASKBIT) {
			p_set(p, PCI_MSI_MASK_64, 4, 0, 0xffffffff);
			p_set(p, PCI_MSI_PENDING_64, 4, 0, 0xffffffff);
		}
	} else {
		p_set(p, PCI_MSI_DATA_32, 2, 0xffff, 0xffff);
		if (flags & PCI_MSI_FLAGS_MASKBIT) {
			p_set(p, PCI_MSI_MASK_32, 4, 0, 0xffffffff);
			p_set(p, PCI_MSI_PENDING_32, 4, 0, 0xffffffff);
		}
	}
}

static unsigned int uio_msi_len(uint16_t flags)
{
	return 10 + ((flags & PCI_MSI_FLAGS_64BIT) ? 4 : 0) +
	       ((flags & PCI_MSI_FLAGS_MASKBIT) ? 10 : 0);
}

/* ------------------------------------------------------------------ */
/* set-up (vfio_config_init) */

static unsigned int uio_cap_len(struct uio_pci_dev *pdev, uint8_t cap,
				unsigned int pos)
{
	switch (cap) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_MSI:
		return uio_msi_len((uint16_t)uio_pci_cfg_read(pdev, pos + PCI_MSI_FLAGS, 2));
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_EXP:
		return (uio_pci_cfg_read(pdev, pos + PCI_EXP_FLAGS, 2) &
			PCI_EXP_FLAGS_VERS) == 1 ? PCI_CAP_EXP_ENDPOINT_SIZEOF_V1 :
						   PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	default:
		/* Capabilities vfio-pci does not know are hidden. */
		return 0;
	}
}

static void uio_fill_vconfig(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			     unsigned int pos, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		v->vconfig[pos + i] = (uint8_t)uio_pci_cfg_read(pdev, pos + i, 1);
}

void uio_vpci_config_init(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	unsigned int pos, loops, caps = 0;
	uint8_t *prev;

	pthread_once(&uio_perm_once, uio_perm_init);
	memset(v->map, 0, UIO_HDR_SIZE);
	memset(v->map + UIO_HDR_SIZE, UIO_CAP_INVALID,
	       sizeof(v->map) - UIO_HDR_SIZE);
	memset(v->vconfig, 0, sizeof(v->vconfig));
	uio_fill_vconfig(v, pdev, 0, UIO_HDR_SIZE);
	v->bardirty = true;
	v->virq_disabled = false;
	if (!(uio_pci_cfg_read(pdev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return;
	pos = uio_pci_cfg_read(pdev, PCI_CAPABILITY_LIST, 1);
	prev = &v->vconfig[PCI_CAPABILITY_LIST];
	loops = (256 - UIO_HDR_SIZE) / PCI_CAP_SIZEOF;
	while (pos && loops--) {
		uint8_t cap = (uint8_t)uio_pci_cfg_read(pdev, pos, 1);
		uint8_t next = (uint8_t)uio_pci_cfg_read(pdev, pos + 1, 1);
		unsigned int len = cap ? uio_cap_len(pdev, cap, pos) : 0;

		if (!len) {
			/* Hidden: the chain skips it. */
			*prev = next;
			pos = next;
			continue;
		}
		memset(v->map + pos, cap, len);
		uio_fill_vconfig(v, pdev, pos, len);
		if (cap == PCI_CAP_ID_PM) {
			/* No PME: clear PME support, status and enable. */
			uint16_t pmc = (uint16_t)(v->vconfig[pos + PCI_PM_PMC] |
						  v->vconfig[pos + PCI_PM_PMC + 1] << 8);

			pmc &= (uint16_t)~PCI_PM_CAP_PME_MASK;
			v->vconfig[pos + PCI_PM_PMC] = (uint8_t)pmc;
			v->vconfig[pos + PCI_PM_PMC + 1] = (uint8_t)(pmc >> 8);
			v->vconfig[pos + PCI_PM_CTRL] &= (uint8_t)~PCI_PM_CTRL_PME_ENABLE;
			v->vconfig[pos + PCI_PM_CTRL + 1] &=
				(uint8_t)~(PCI_PM_CTRL_PME_STATUS >> 8);
		}
		prev = &v->vconfig[pos + PCI_CAP_LIST_NEXT];
		pos = next;
		caps++;
	}
	if (!caps)
		v->vconfig[PCI_STATUS] &= (uint8_t)~PCI_STATUS_CAP_LIST;
	/* No extended capability: the extended space is unassigned. */
}

/* ------------------------------------------------------------------ */
/* helpers */

static uint32_t uio_vget(const struct uio_vfio_pci *v, unsigned int pos,
			 unsigned int len)
{
	uint32_t val = 0;

	for (unsigned int i = 0; i < len; i++)
		val |= (uint32_t)v->vconfig[pos + i] << (8 * i);
	return val;
}

static void uio_vput(struct uio_vfio_pci *v, unsigned int pos,
		     unsigned int len, uint32_t val)
{
	for (unsigned int i = 0; i < len; i++)
		v->vconfig[pos + i] = (uint8_t)(val >> (8 * i));
}

static uint32_t uio_pget(const uint8_t *bits, unsigned int off,
			 unsigned int len)
{
	uint32_t val = 0;

	for (unsigned int i = 0; i < len; i++)
		val |= (uint32_t)bits[off + i] << (8 * i);
	return val;
}

static unsigned int uio_cap_start(const struct uio_vfio_pci *v,
				  unsigned int pos)
{
	uint8_t cap = v->map[pos];

	if (pos < UIO_HDR_SIZE)
		return 0;
	while (pos - 1 >= UIO_HDR_SIZE && v->map[pos - 1] == cap)
		pos--;
	return pos;
}

/* __vfio_pci_memory_enabled(): decoding on, and not in D3hot. */
bool uio_vpci_memory_enabled(struct uio_vfio_pci *v)
{
	return v->power_state < 3 && (uio_vget(v, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
}

void uio_vpci_set_power_state(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			      unsigned int state)
{
	if (!uio_pci_set_power_state_locked(pdev, state) && pdev->cap_pm)
		v->power_state = (uint8_t)state;
}

/* vfio_bar_fixup(): the virtual BARs as sizing leaves them. */
static void uio_bar_fixup(struct uio_vfio_pci *v, struct uio_pci_dev *pdev)
{
	if (!v->bardirty)
		return;
	for (unsigned int i = 0; i < UIO_PCI_NUM_BARS; i++) {
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		const struct uio_pci_bar *b = &pdev->bars[i];
		uint64_t mask;
		uint32_t bar, flags;

		if (!b->size || !b->start) {
			uio_vput(v, off, 4, 0);
			continue;
		}
		mask = ~(b->size - 1);
		if (b->flags & UIOMMUFD_BAR_IO)
			flags = PCI_BASE_ADDRESS_SPACE_IO;
		else
			flags = PCI_BASE_ADDRESS_SPACE_MEMORY |
				(b->flags & UIOMMUFD_BAR_PREFETCH ?
					 PCI_BASE_ADDRESS_MEM_PREFETCH : 0) |
				(b->flags & UIOMMUFD_BAR_MEM64 ?
					 PCI_BASE_ADDRESS_MEM_TYPE_64 : 0);
		bar = (uio_vget(v, off, 4) & (uint32_t)mask) | flags;
		uio_vput(v, off, 4, bar);
		if (b->flags & UIOMMUFD_BAR_MEM64) {
			uio_vput(v, off + 4, 4,
				 uio_vget(v, off + 4, 4) & (uint32_t)(mask >> 32));
			i++;
		}
	}
	/* No ROM. */
	uio_vput(v, PCI_ROM_ADDRESS, 4, 0);
	v->bardirty = false;
}

/* ------------------------------------------------------------------ */
/* reads and writes by permission */

static uint32_t uio_default_read(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
				 const struct uio_perm *perm, unsigned int pos,
				 unsigned int off, unsigned int len)
{
	uint32_t virt = uio_pget(perm->virt, off, len);
	uint32_t val = uio_vget(v, pos, len);
	uint32_t all = len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;

	if (virt != all)
		val = (uio_pci_cfg_read(pdev, pos, len) & ~virt) | (val & virt);
	return val;
}

static void uio_default_write(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			      const struct uio_perm *perm, unsigned int pos,
			      unsigned int off, unsigned int len, uint32_t val)
{
	uint32_t write = uio_pget(perm->write, off, len);
	uint32_t virt = uio_pget(perm->virt, off, len);

	if (!write)
		return;
	if (write & virt)
		uio_vput(v, pos, len,
			 (uio_vget(v, pos, len) & ~(write & virt)) |
				 (val & write & virt));
	if (write & ~virt) {
		uint32_t phys = uio_pci_cfg_read(pdev, pos, len);

		phys &= ~(write & ~virt);
		phys |= val & (write & ~virt);
		uio_pci_cfg_write(pdev, pos, len, phys);
	}
}

/* Read-only straight from the device, with vfio's own chain pointers. */
static uint32_t uio_direct_read(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
				unsigned int pos, unsigned int off, unsigned int len)
{
	uint32_t val = uio_pci_cfg_read(pdev, pos, len);

	if (pos >= 256) {
		if (off < 4)
			val = uio_vget(v, pos, len);
	} else if (pos >= UIO_HDR_SIZE) {
		if (off == PCI_CAP_LIST_ID && len > 1) {
			unsigned int n = len < PCI_CAP_FLAGS ? len : PCI_CAP_FLAGS;
			uint32_t keep = n == 4 ? 0 : ~0u << (8 * n);

			val = (val & keep) | (uio_vget(v, pos, n) & ~keep);
		} else if (off == PCI_CAP_LIST_NEXT) {
			val = (val & ~0xffu) | v->vconfig[pos];
		}
	}
	return val;
}

static void uio_basic_write(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			    unsigned int pos, unsigned int len, uint32_t val)
{
	bool intx_off;

	uio_default_write(v, pdev, &uio_basic_perm, pos, pos, len, val);
	/* Remember memory and I/O enable in vconfig. */
	if (pos == PCI_COMMAND) {
		uint16_t mask = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
		uint16_t cmd = (uint16_t)uio_vget(v, PCI_COMMAND, 2);

		uio_vput(v, PCI_COMMAND, 2, (cmd & ~mask) | (val & mask));
	}
	/* Emulate INTx disable. */
	if (pos >= PCI_COMMAND && pos <= PCI_COMMAND + 1) {
		intx_off = uio_vget(v, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;
		if (intx_off && !v->virq_disabled) {
			v->virq_disabled = true;
			uio_vpci_intx_mask(v, pdev);
		} else if (!intx_off && v->virq_disabled) {
			v->virq_disabled = false;
			uio_vpci_intx_unmask(v, pdev);
		}
	}
	if ((pos >= PCI_BASE_ADDRESS_0 && pos < PCI_BASE_ADDRESS_5 + 4) ||
	    (pos >= PCI_ROM_ADDRESS && pos < PCI_ROM_ADDRESS + 4))
		v->bardirty = true;
}

static uint32_t uio_msi_read(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			     const struct uio_perm *perm, unsigned int pos,
			     unsigned int off, unsigned int len)
{
	/* The queue size available: what SET_IRQS enabled, or the device's. */
	if (off <= PCI_MSI_FLAGS && off + len >= PCI_MSI_FLAGS) {
		unsigned int start = uio_cap_start(v, pos);
		uint8_t *flags = &v->vconfig[start];

		*flags = (uint8_t)((*flags & ~PCI_MSI_FLAGS_QMASK) | (v->msi_qmax << 1));
	}
	return uio_default_read(v, pdev, perm, pos, off, len);
}

static void uio_msi_write(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			  const struct uio_perm *perm, unsigned int pos,
			  unsigned int off, unsigned int len, uint32_t val)
{
	uio_default_write(v, pdev, perm, pos, off, len, val);
	if (off <= PCI_MSI_FLAGS && off + len >= PCI_MSI_FLAGS) {
		unsigned int start = uio_cap_start(v, pos);
		uint16_t flags = (uint16_t)uio_vget(v, start + PCI_MSI_FLAGS, 2);

		/* MSI is enabled by SET_IRQS only. */
		if (v->irq_type != VFIO_PCI_MSI_IRQ_INDEX)
			flags &= (uint16_t)~PCI_MSI_FLAGS_ENABLE;
		if (((flags & PCI_MSI_FLAGS_QSIZE) >> 4) > v->msi_qmax) {
			flags &= (uint16_t)~PCI_MSI_FLAGS_QSIZE;
			flags |= (uint16_t)(v->msi_qmax << 4);
		}
		uio_vput(v, start + PCI_MSI_FLAGS, 2, flags);
		uio_pci_cfg_write(pdev, start + PCI_MSI_FLAGS, 2, flags);
	}
}

static void uio_exp_write(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			  unsigned int pos, unsigned int off, unsigned int len,
			  uint32_t val)
{
	unsigned int ctrl = pos - off + PCI_EXP_DEVCTL;
	uint16_t c;

	uio_default_write(v, pdev, &uio_exp_perm, pos, off, len, val);
	c = (uint16_t)uio_vget(v, ctrl, 2);
	if (c & PCI_EXP_DEVCTL_BCR_FLR) {
		/* Reads as zero; resets the function if it has FLR. */
		uio_vput(v, ctrl, 2, c & (uint16_t)~PCI_EXP_DEVCTL_BCR_FLR);
		if (uio_pci_cfg_read(pdev, pos - off + PCI_EXP_DEVCAP, 4) &
		    PCI_EXP_DEVCAP_FLR)
			uio_pci_reset_locked(pdev);
	}
}

/* ------------------------------------------------------------------ */
/* vfio_pci_config_rw */

/* Bytes from pos to the end of its dword within the same capability. */
static unsigned int uio_cap_remaining_dword(const struct uio_vfio_pci *v,
					    unsigned int pos)
{
	unsigned int i;

	for (i = 1; (pos + i) % 4 && v->map[pos + i] == v->map[pos]; i++)
		;
	return i;
}

/* One aligned piece inside one capability: its length, or -errno. */
static long uio_config_do_rw(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			     uint8_t *buf, size_t count, unsigned int pos,
			     bool write)
{
	struct uio_perm msi;
	unsigned int len, start, off;
	uint8_t cap;
	uint32_t val = 0;

	len = uio_cap_remaining_dword(v, pos);
	if (count < len)
		len = (unsigned int)count;
	if (len >= 4 && !(pos % 4))
		len = 4;
	else if (len >= 2 && !(pos % 2))
		len = 2;
	else
		len = 1;
	cap = v->map[pos];
	start = cap == UIO_CAP_INVALID ? pos : uio_cap_start(v, pos);
	off = pos - start;
	/*
	 * A write to a capability without a write function (MSI-X and every
	 * read-only one) is dropped before the user's buffer is read; every
	 * other write reads it first, writable bits or not.
	 */
	if (write && cap != UIO_CAP_INVALID && pos >= UIO_HDR_SIZE &&
	    cap != PCI_CAP_ID_PM && cap != PCI_CAP_ID_MSI && cap != PCI_CAP_ID_EXP)
		return len;
	if (write && uio_copy_from_user(&val, buf, len))
		return -EFAULT;

	if (cap == UIO_CAP_INVALID) {
		/* Unassigned: raw. */
		if (write)
			uio_pci_cfg_write(pdev, pos, len, val);
		else
			val = uio_pci_cfg_read(pdev, pos, len);
	} else if (pos < UIO_HDR_SIZE) {
		if (write) {
			uio_basic_write(v, pdev, pos, len, val);
		} else {
			if ((pos >= PCI_BASE_ADDRESS_0 && pos < PCI_BASE_ADDRESS_5 + 4) ||
			    (pos >= PCI_ROM_ADDRESS && pos < PCI_ROM_ADDRESS + 4))
				uio_bar_fixup(v, pdev);
			val = uio_default_read(v, pdev, &uio_basic_perm, pos, pos, len);
		}
	} else if (cap == PCI_CAP_ID_PM) {
		if (write) {
			uio_default_write(v, pdev, &uio_pm_perm, pos, off, len, val);
			/* vfio_pm_config_write(): the state bits are the
			 * host's to change, on the program's request. */
			if (off == PCI_PM_CTRL)
				uio_vpci_set_power_state(v, pdev,
							 val & PCI_PM_CTRL_STATE_MASK);
		} else
			val = uio_default_read(v, pdev, &uio_pm_perm, pos, off, len);
	} else if (cap == PCI_CAP_ID_MSI) {
		uio_msi_perm(&msi, (uint16_t)uio_pci_cfg_read(pdev, start + PCI_MSI_FLAGS, 2));
		if (write)
			uio_msi_write(v, pdev, &msi, pos, off, len, val);
		else
			val = uio_msi_read(v, pdev, &msi, pos, off, len);
	} else if (cap == PCI_CAP_ID_EXP) {
		if (write)
			uio_exp_write(v, pdev, pos, off, len, val);
		else
			val = uio_default_read(v, pdev, &uio_exp_perm, pos, off, len);
	} else if (!write) {
		/* MSI-X and the rest: read-only, from the device. */
		val = uio_direct_read(v, pdev, pos, off, len);
	}
	if (!write && uio_copy_to_user(buf, &val, len))
		return -EFAULT;
	return len;
}

long uio_vpci_config_rw(struct uio_vfio_pci *v, struct uio_pci_dev *pdev,
			uint8_t *buf, size_t count, uint64_t pos, bool write)
{
	size_t done = 0;

	if (pos >= pdev->cfg_size || pos + count > pdev->cfg_size)
		return -EFAULT;
	uio_pci_lock(pdev);
	while (done < count) {
		long n = uio_config_do_rw(v, pdev, UIO_UPTR(buf, done), count - done,
					  (unsigned int)(pos + done), write);

		if (n < 0) {
			uio_pci_unlock(pdev);
			return n;
		}
		done += (size_t)n;
	}
	uio_pci_unlock(pdev);
	return (long)done;
}
