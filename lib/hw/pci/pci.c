// SPDX-License-Identifier: MIT
/*
 * An emulated PCI function: config space built from a model's descriptor,
 * the BAR dispatch every access goes through, the MSI-X table and PBA,
 * and the services models call (DMA, interrupts). See pci.h.
 *
 * Config space layout built here, in the order real devices use:
 *   0x00 header type 0; BARs as the descriptor says; interrupt pin;
 *   0x40 power management (if asked), then MSI (64-bit, per-vector
 *   masking), MSI-X and PCI Express (a version 2 endpoint), each
 *   capability's next pointer to the following one; 4 KiB config space
 *   for PCI Express, whose extended space holds no capability.
 * The hardware's writable bits are those the PCI specifications give each
 * register; vfio-pci virtualizes most of them above (lib/vfio/pci).
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <string.h>

#include "models.h"
#include "pci.h"

static const struct uio_pci_bus_ops *uio_pci_bus;

static void uio_pci_signal(struct uio_pci_dev *p, enum uio_pci_irq kind,
			   unsigned int v);

void uio_pci_set_bus(const struct uio_pci_bus_ops *ops)
{
	__atomic_store_n(&uio_pci_bus, ops, __ATOMIC_RELEASE);
}

static const struct uio_pci_bus_ops *uio_bus(void)
{
	return __atomic_load_n(&uio_pci_bus, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------ */
/* the device lock */

void uio_pci_lock(struct uio_pci_dev *pdev)
{
	if (pthread_mutex_lock(&pdev->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&pdev->lock);
}

void uio_pci_unlock(struct uio_pci_dev *pdev)
{
	pthread_mutex_unlock(&pdev->lock);
}

static void *uio_pci_state(struct uio_pci_dev *pdev)
{
	return (char *)pdev + pdev->state_off;
}

/* ------------------------------------------------------------------ */
/* descriptors */

static bool uio_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static bool uio_width_ok(uint8_t w)
{
	return w == 0 || w == 1 || w == 2 || w == 4 || w == 8;
}

int uio_pci_model_check(const struct uiommufd_model *m)
{
	if (!m || m->abi_version != UIOMMUFD_MODEL_ABI_VERSION || !m->name ||
	    !m->bar_read || !m->bar_write || m->intx_pin > 4 ||
	    (m->caps & ~(UIOMMUFD_CAP_PM | UIOMMUFD_CAP_MSI |
			 UIOMMUFD_CAP_MSIX | UIOMMUFD_CAP_PCIE)))
		return -EINVAL;
	if ((m->caps & UIOMMUFD_CAP_MSI) &&
	    (!uio_pow2(m->msi_vectors) || m->msi_vectors > UIO_PCI_MSI_MAX))
		return -EINVAL;
	for (unsigned int i = 0; i < UIO_PCI_NUM_BARS; i++) {
		const struct uiommufd_bar *b = &m->bars[i];

		if (!b->size)
			continue;
		if (!uio_pow2(b->size) || b->size < 16 ||
		    !uio_width_ok(b->min_access) || !uio_width_ok(b->max_access) ||
		    (b->min_access && b->max_access &&
		     b->min_access > b->max_access))
			return -EINVAL;
		if (b->flags & UIOMMUFD_BAR_MEM64) {
			if (i == UIO_PCI_NUM_BARS - 1 || m->bars[i + 1].size ||
			    (b->flags & UIOMMUFD_BAR_IO))
				return -EINVAL;
		} else if (!(b->flags & UIOMMUFD_BAR_IO) && b->size > (1ull << 31)) {
			return -EINVAL;
		}
		if ((b->flags & UIOMMUFD_BAR_IO) && b->size > 256)
			return -EINVAL;
	}
	if (m->caps & UIOMMUFD_CAP_MSIX) {
		const struct uiommufd_bar *t, *p;

		if (!m->msix_vectors || m->msix_vectors > UIO_PCI_MSIX_MAX ||
		    m->msix_table_bar >= UIO_PCI_NUM_BARS ||
		    m->msix_pba_bar >= UIO_PCI_NUM_BARS ||
		    (m->msix_table_offset | m->msix_pba_offset) & 7)
			return -EINVAL;
		t = &m->bars[m->msix_table_bar];
		p = &m->bars[m->msix_pba_bar];
		if (!t->size || !p->size || (t->flags | p->flags) & UIOMMUFD_BAR_IO ||
		    m->msix_table_offset + 16ull * m->msix_vectors > t->size ||
		    m->msix_pba_offset + (m->msix_vectors + 63) / 64 * 8ull > p->size)
			return -EINVAL;
	}
	return 0;
}

size_t uio_pci_dev_size(const struct uiommufd_model *m)
{
	size_t base = (sizeof(struct uio_pci_dev) + 63) & ~(size_t)63;

	return base + ((m->state_size + 63) & ~(size_t)63);
}

/* ------------------------------------------------------------------ */
/* config space construction */

static void uio_cfg_set(struct uio_pci_dev *p, unsigned int off,
			unsigned int len, uint32_t val)
{
	for (unsigned int i = 0; i < len; i++)
		p->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

static void uio_cfg_mask(uint8_t *mask, unsigned int off, unsigned int len,
			 uint32_t bits)
{
	for (unsigned int i = 0; i < len; i++)
		mask[off + i] = (uint8_t)(bits >> (8 * i));
}

/* Append a capability of len bytes at *pos; link it from *link. */
static unsigned int uio_cap_add(struct uio_pci_dev *p, unsigned int *pos,
				unsigned int *link, uint8_t id, unsigned int len)
{
	unsigned int at = *pos;

	p->cfg[*link] = (uint8_t)at;
	p->cfg[at] = id;
	p->cfg[at + 1] = 0;
	*link = at + 1;
	*pos = (at + len + 3) & ~3u;
	return at;
}

/* Config space at power-on: what uio_pci_dev_init and reset restore. */
static void uio_pci_build_config(struct uio_pci_dev *p,
				 const struct uiommufd_model *m)
{
	unsigned int pos = 0x40, link = PCI_CAPABILITY_LIST, at;

	memset(p->cfg, 0, sizeof(p->cfg));
	memset(p->wmask, 0, sizeof(p->wmask));
	memset(p->w1cmask, 0, sizeof(p->w1cmask));
	p->cfg_size = (m->caps & UIOMMUFD_CAP_PCIE) ? 4096 : 256;

	uio_cfg_set(p, PCI_VENDOR_ID, 2, m->vendor_id);
	uio_cfg_set(p, PCI_DEVICE_ID, 2, m->device_id);
	uio_cfg_set(p, PCI_REVISION_ID, 1, m->revision);
	uio_cfg_set(p, PCI_CLASS_PROG, 3, m->class_code);
	uio_cfg_set(p, PCI_SUBSYSTEM_VENDOR_ID, 2, m->subsystem_vendor_id);
	uio_cfg_set(p, PCI_SUBSYSTEM_ID, 2, m->subsystem_id);
	uio_cfg_set(p, PCI_INTERRUPT_PIN, 1, m->intx_pin);
	/* Command: I/O, memory, bus master, parity, SERR, INTx disable. */
	uio_cfg_mask(p->wmask, PCI_COMMAND, 2,
		     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		     PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
		     PCI_COMMAND_INTX_DISABLE);
	/* Status: the error bits are write-1-to-clear. */
	uio_cfg_mask(p->w1cmask, PCI_STATUS, 2,
		     PCI_STATUS_DETECTED_PARITY | PCI_STATUS_SIG_SYSTEM_ERROR |
		     PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_REC_TARGET_ABORT |
		     PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_PARITY);
	uio_cfg_mask(p->wmask, PCI_CACHE_LINE_SIZE, 1, 0xff);
	uio_cfg_mask(p->wmask, PCI_LATENCY_TIMER, 1, 0xff);
	uio_cfg_mask(p->wmask, PCI_INTERRUPT_LINE, 1, 0xff);

	for (unsigned int i = 0; i < UIO_PCI_NUM_BARS; i++) {
		const struct uiommufd_bar *b = &m->bars[i];
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		uint32_t flags;

		p->bars[i].size = b->size;
		p->bars[i].flags = b->flags;
		p->bars[i].min_access = b->min_access ? b->min_access : 1;
		p->bars[i].max_access = b->max_access ? b->max_access : 8;
		if (!b->size)
			continue;
		if (b->flags & UIOMMUFD_BAR_IO) {
			flags = PCI_BASE_ADDRESS_SPACE_IO;
			uio_cfg_set(p, off, 4, flags);
			uio_cfg_mask(p->wmask, off, 4, ~(uint32_t)(b->size - 1) & ~3u);
			continue;
		}
		flags = (b->flags & UIOMMUFD_BAR_MEM64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
			(b->flags & UIOMMUFD_BAR_PREFETCH ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
		uio_cfg_set(p, off, 4, flags);
		uio_cfg_mask(p->wmask, off, 4, (uint32_t)~(b->size - 1) & ~0xfu);
		if (b->flags & UIOMMUFD_BAR_MEM64)
			uio_cfg_mask(p->wmask, off + 4, 4,
				     (uint32_t)(~(b->size - 1) >> 32));
	}

	p->cap_pm = p->cap_msi = p->cap_msix = p->cap_exp = 0;
	if (m->caps & UIOMMUFD_CAP_PM) {
		at = uio_cap_add(p, &pos, &link, PCI_CAP_ID_PM, PCI_PM_SIZEOF);
		p->cap_pm = (uint8_t)at;
		/* Version 3, D0 only: no D1/D2, no PME. NoSoftRst-: a reset
		 * from D3hot resets the function. */
		uio_cfg_set(p, at + PCI_PM_PMC, 2, 3);
		uio_cfg_mask(p->wmask, at + PCI_PM_CTRL, 2, PCI_PM_CTRL_STATE_MASK);
	}
	if (m->caps & UIOMMUFD_CAP_MSI) {
		uint16_t flags = PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT |
				 (uint16_t)((__builtin_ctz(m->msi_vectors)) << 1);

		at = uio_cap_add(p, &pos, &link, PCI_CAP_ID_MSI, 24);
		p->cap_msi = (uint8_t)at;
		uio_cfg_set(p, at + PCI_MSI_FLAGS, 2, flags);
		uio_cfg_mask(p->wmask, at + PCI_MSI_FLAGS, 2,
			     PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
		uio_cfg_mask(p->wmask, at + PCI_MSI_ADDRESS_LO, 4, 0xfffffffc);
		uio_cfg_mask(p->wmask, at + PCI_MSI_ADDRESS_HI, 4, 0xffffffff);
		uio_cfg_mask(p->wmask, at + PCI_MSI_DATA_64, 2, 0xffff);
		uio_cfg_mask(p->wmask, at + PCI_MSI_MASK_64, 4,
			     m->msi_vectors == 32 ? 0xffffffffu :
						    (1u << m->msi_vectors) - 1);
	}
	if (m->caps & UIOMMUFD_CAP_MSIX) {
		at = uio_cap_add(p, &pos, &link, PCI_CAP_ID_MSIX, PCI_CAP_MSIX_SIZEOF);
		p->cap_msix = (uint8_t)at;
		uio_cfg_set(p, at + PCI_MSIX_FLAGS, 2, m->msix_vectors - 1u);
		uio_cfg_mask(p->wmask, at + PCI_MSIX_FLAGS, 2,
			     PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
		uio_cfg_set(p, at + PCI_MSIX_TABLE, 4,
			    m->msix_table_offset | m->msix_table_bar);
		uio_cfg_set(p, at + PCI_MSIX_PBA, 4,
			    m->msix_pba_offset | m->msix_pba_bar);
	}
	if (m->caps & UIOMMUFD_CAP_PCIE) {
		at = uio_cap_add(p, &pos, &link, PCI_CAP_ID_EXP, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2);
		p->cap_exp = (uint8_t)at;
		/* Version 2, an endpoint. */
		uio_cfg_set(p, at + PCI_EXP_FLAGS, 2,
			    2 | (PCI_EXP_TYPE_ENDPOINT << 4));
		/* 256-byte payloads, function-level reset. */
		uio_cfg_set(p, at + PCI_EXP_DEVCAP, 4,
			    1 | PCI_EXP_DEVCAP_FLR | PCI_EXP_DEVCAP_RBER);
		uio_cfg_set(p, at + PCI_EXP_DEVCTL, 2,
			    PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_NOSNOOP_EN |
			    (2 << 12) /* 512-byte read requests */);
		uio_cfg_mask(p->wmask, at + PCI_EXP_DEVCTL, 2, 0x7fff);
		uio_cfg_mask(p->w1cmask, at + PCI_EXP_DEVSTA, 2, 0x000f);
		/* Link: 8 GT/s x8, as a CBDMA's internal link reports it. */
		uio_cfg_set(p, at + PCI_EXP_LNKCAP, 4, 3 | (8 << 4));
		uio_cfg_set(p, at + PCI_EXP_LNKSTA, 2, 3 | (8 << 4));
		uio_cfg_mask(p->wmask, at + PCI_EXP_LNKCTL, 2, 0x0ffb);
		uio_cfg_set(p, at + PCI_EXP_DEVCAP2, 4,
			    PCI_EXP_DEVCAP2_COMP_TMOUT_DIS | 0xf);
		uio_cfg_mask(p->wmask, at + PCI_EXP_DEVCTL2, 2, 0x041f);
		uio_cfg_set(p, at + PCI_EXP_LNKCAP2, 4, 0xe);
		uio_cfg_set(p, at + PCI_EXP_LNKCTL2, 2, 3);
	}
	if (link != PCI_CAPABILITY_LIST)
		p->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
}

static void uio_pci_reset_msix(struct uio_pci_dev *p)
{
	/* Every vector masked, none pending (PCI spec). */
	for (unsigned int v = 0; v < UIO_PCI_MSIX_MAX; v++)
		p->msix[v] = (struct uio_pci_msix_entry){ .ctrl = 1 };
	memset(p->msix_pending, 0, sizeof(p->msix_pending));
}

int uio_pci_dev_init(struct uio_pci_dev *pdev, const struct uiommufd_model *m,
		     const char *ref)
{
	pthread_mutexattr_t ma;
	int rc = uio_pci_model_check(m);

	if (rc)
		return rc;
	if (strlen(ref) >= sizeof(pdev->model))
		return -ENAMETOOLONG;
	strcpy(pdev->model, ref);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	rc = pthread_mutex_init(&pdev->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	if (rc)
		return -rc;
	pdev->msi_vectors = (m->caps & UIOMMUFD_CAP_MSI) ? m->msi_vectors : 0;
	pdev->msix_vectors = (m->caps & UIOMMUFD_CAP_MSIX) ? m->msix_vectors : 0;
	pdev->msix_table_bar = m->msix_table_bar;
	pdev->msix_pba_bar = m->msix_pba_bar;
	pdev->msix_table_offset = m->msix_table_offset;
	pdev->msix_pba_offset = m->msix_pba_offset;
	pdev->state_off = (sizeof(struct uio_pci_dev) + 63) & ~(size_t)63;
	pdev->state_size = m->state_size;
	uio_pci_build_config(pdev, m);
	uio_pci_reset_msix(pdev);
	memset(uio_pci_state(pdev), 0, m->state_size);
	if (m->reset)
		m->reset((struct uiommufd_dev *)pdev, uio_pci_state(pdev));
	return 0;
}

const struct uiommufd_model *uio_pci_model(struct uio_pci_dev *pdev)
{
	return uio_model_find(pdev->model, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* config space, as the hardware answers */

uint32_t uio_pci_cfg_read(struct uio_pci_dev *pdev, unsigned int off,
			  unsigned int len)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < len && off + i < pdev->cfg_size; i++)
		v |= (uint32_t)pdev->cfg[off + i] << (8 * i);
	return v;
}

/* MSI vectors unmasked with an interrupt pending go out now. */
static void uio_msi_deliver_pending(struct uio_pci_dev *p)
{
	unsigned int mask_off = p->cap_msi + PCI_MSI_MASK_64;
	unsigned int pend_off = p->cap_msi + PCI_MSI_PENDING_64;
	uint32_t go = uio_pci_cfg_read(p, pend_off, 4) &
		      ~uio_pci_cfg_read(p, mask_off, 4);

	if (!go)
		return;
	uio_cfg_set(p, pend_off, 4, uio_pci_cfg_read(p, pend_off, 4) & ~go);
	for (unsigned int v = 0; v < 32; v++)
		if ((go & (1u << v)) && p->route_kind == UIO_PCI_IRQ_MSI + 1 &&
		    v < (unsigned int)p->route_count)
			uio_pci_signal(p, UIO_PCI_IRQ_MSI, v);
}

void uio_pci_cfg_write(struct uio_pci_dev *pdev, unsigned int off,
		       unsigned int len, uint32_t val)
{
	for (unsigned int i = 0; i < len && off + i < pdev->cfg_size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i)), w = pdev->wmask[off + i];
		uint8_t c = pdev->w1cmask[off + i] & b;

		pdev->cfg[off + i] = (uint8_t)(((pdev->cfg[off + i] & ~w) | (b & w)) & ~c);
	}
	if (pdev->cap_msi && off < pdev->cap_msi + PCI_MSI_MASK_64 + 4u &&
	    off + len > (unsigned int)(pdev->cap_msi + PCI_MSI_MASK_64))
		uio_msi_deliver_pending(pdev);
}

static uint16_t uio_pci_command(struct uio_pci_dev *pdev)
{
	return (uint16_t)uio_pci_cfg_read(pdev, PCI_COMMAND, 2);
}

/* ------------------------------------------------------------------ */
/* interrupts */

static bool uio_msix_masked(struct uio_pci_dev *p, unsigned int v)
{
	uint16_t ctl = (uint16_t)uio_pci_cfg_read(p, p->cap_msix + PCI_MSIX_FLAGS, 2);

	return (p->msix[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT) ||
	       (ctl & PCI_MSIX_FLAGS_MASKALL);
}

static void uio_pci_signal(struct uio_pci_dev *p, enum uio_pci_irq kind,
			   unsigned int v)
{
	const struct uio_pci_bus_ops *bus = uio_bus();

	if (bus && bus->signal)
		bus->signal(p, kind, v);
}

/* A vector of the MSI-X table was unmasked: what was pending goes out. */
static void uio_msix_deliver_pending(struct uio_pci_dev *p, unsigned int v)
{
	if (v >= p->msix_vectors || !(p->msix_pending[v / 64] & (1ull << (v % 64))) ||
	    uio_msix_masked(p, v))
		return;
	p->msix_pending[v / 64] &= ~(1ull << (v % 64));
	if (p->route_kind == UIO_PCI_IRQ_MSIX + 1 && v < (unsigned int)p->route_count)
		uio_pci_signal(p, UIO_PCI_IRQ_MSIX, v);
}

int uio_pci_raise(struct uio_pci_dev *pdev, unsigned int vector)
{
	switch (pdev->route_kind) {
	case UIO_PCI_IRQ_MSIX + 1:
		if (vector >= pdev->msix_vectors)
			return -EINVAL;
		if (uio_msix_masked(pdev, vector)) {
			pdev->msix_pending[vector / 64] |= 1ull << (vector % 64);
			return 0;
		}
		if (vector < (unsigned int)pdev->route_count)
			uio_pci_signal(pdev, UIO_PCI_IRQ_MSIX, vector);
		return 0;
	case UIO_PCI_IRQ_MSI + 1:
		if (vector >= pdev->msi_vectors)
			return -EINVAL;
		if (vector >= (unsigned int)pdev->route_count)
			return 0;
		/* Per-vector masking: left pending in the capability. */
		if (uio_pci_cfg_read(pdev, pdev->cap_msi + PCI_MSI_MASK_64, 4) &
		    (1u << vector)) {
			uio_cfg_set(pdev, pdev->cap_msi + PCI_MSI_PENDING_64, 4,
				    uio_pci_cfg_read(pdev, pdev->cap_msi +
						     PCI_MSI_PENDING_64, 4) |
					    (1u << vector));
			return 0;
		}
		uio_pci_signal(pdev, UIO_PCI_IRQ_MSI, vector);
		return 0;
	case UIO_PCI_IRQ_INTX + 1:
		if (vector)
			return -EINVAL;
		/* INTx disabled in the command register: the line stays low. */
		if (!(uio_pci_command(pdev) & PCI_COMMAND_INTX_DISABLE))
			uio_pci_signal(pdev, UIO_PCI_IRQ_INTX, 0);
		return 0;
	default: {
		/* No interrupt enabled: hardware drops it. */
		unsigned int max = pdev->msix_vectors > pdev->msi_vectors ?
					   pdev->msix_vectors : pdev->msi_vectors;

		if (!max && pdev->cfg[PCI_INTERRUPT_PIN])
			max = 1;
		return vector < max ? 0 : -EINVAL;
	}
	}
}

/* Every vector the MSI capability can have (msi_multi_mask()). */
static uint32_t uio_msi_multi_mask(struct uio_pci_dev *p)
{
	return p->msi_vectors >= 32 ? 0xffffffffu : (1u << p->msi_vectors) - 1;
}

void uio_pci_irq_route(struct uio_pci_dev *pdev, enum uio_pci_irq kind,
		       unsigned int count)
{
	bool msi_was = pdev->route_kind == UIO_PCI_IRQ_MSI + 1;
	bool msi_now = kind == UIO_PCI_IRQ_MSI && count;
	uint16_t ctl;

	/* msi_capability_init() masks them all; pci_msi_shutdown() unmasks
	 * them all (pending bits stay with the device). */
	if (pdev->cap_msi && msi_now && !msi_was)
		uio_cfg_set(pdev, pdev->cap_msi + PCI_MSI_MASK_64, 4,
			    uio_msi_multi_mask(pdev));
	else if (pdev->cap_msi && msi_was && !msi_now)
		uio_cfg_set(pdev, pdev->cap_msi + PCI_MSI_MASK_64, 4, 0);
	pdev->route_kind = count ? (uint8_t)(kind + 1) : 0;
	pdev->route_count = (uint16_t)count;
	/* The host kernel sets the capability's enable bit as it routes. */
	if (pdev->cap_msix) {
		ctl = (uint16_t)uio_pci_cfg_read(pdev, pdev->cap_msix + PCI_MSIX_FLAGS, 2);
		ctl = (kind == UIO_PCI_IRQ_MSIX && count) ?
			      (ctl | PCI_MSIX_FLAGS_ENABLE) :
			      (ctl & ~PCI_MSIX_FLAGS_ENABLE);
		uio_cfg_set(pdev, pdev->cap_msix + PCI_MSIX_FLAGS, 2, ctl);
	}
	if (pdev->cap_msi) {
		ctl = (uint16_t)uio_pci_cfg_read(pdev, pdev->cap_msi + PCI_MSI_FLAGS, 2);
		ctl = (kind == UIO_PCI_IRQ_MSI && count) ?
			      (ctl | PCI_MSI_FLAGS_ENABLE) :
			      (ctl & ~PCI_MSI_FLAGS_ENABLE);
		uio_cfg_set(pdev, pdev->cap_msi + PCI_MSI_FLAGS, 2, ctl);
	}
}

void uio_pci_msi_mask(struct uio_pci_dev *pdev, unsigned int vector,
		      bool masked)
{
	unsigned int off = pdev->cap_msi + PCI_MSI_MASK_64;
	uint32_t m;

	if (!pdev->cap_msi || vector >= pdev->msi_vectors)
		return;
	m = uio_pci_cfg_read(pdev, off, 4);
	m = masked ? m | (1u << vector) : m & ~(1u << vector);
	uio_cfg_set(pdev, off, 4, m);
	if (!masked)
		uio_msi_deliver_pending(pdev);
}

void uio_pci_msix_mask(struct uio_pci_dev *pdev, unsigned int vector,
		       bool masked)
{
	if (vector >= pdev->msix_vectors)
		return;
	if (masked) {
		pdev->msix[vector].ctrl |= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	} else {
		pdev->msix[vector].ctrl &= ~PCI_MSIX_ENTRY_CTRL_MASKBIT;
		uio_msix_deliver_pending(pdev, vector);
	}
}

/* ------------------------------------------------------------------ */
/* BARs */

/* Table and PBA accesses: dword or qword, naturally aligned. */
static bool uio_msix_access(struct uio_pci_dev *p, unsigned int bar,
			    uint64_t off, uint8_t *buf, unsigned int len,
			    bool write)
{
	uint64_t tstart = p->msix_table_offset, tlen = 16ull * p->msix_vectors;
	uint64_t pstart = p->msix_pba_offset, plen = (p->msix_vectors + 63) / 64 * 8;

	if (!p->cap_msix)
		return false;
	if (bar == p->msix_table_bar && off >= tstart && off < tstart + tlen) {
		for (unsigned int i = 0; i < len && off + i < tstart + tlen; i++) {
			uint64_t o = off + i - tstart;
			unsigned int v = (unsigned int)(o / 16);
			uint8_t *e = (uint8_t *)&p->msix[v] + o % 16;

			if (!write) {
				buf[i] = *e;
			} else if (o % 16 < 12) {
				*e = buf[i];
			} else if (o % 16 == 12) {
				/* Vector control: only the mask bit. */
				bool was = uio_msix_masked(p, v);

				*e = (uint8_t)((*e & ~1u) | (buf[i] & 1u));
				if (was && !uio_msix_masked(p, v))
					uio_msix_deliver_pending(p, v);
			}
		}
		return true;
	}
	if (bar == p->msix_pba_bar && off >= pstart && off < pstart + plen) {
		/* Read-only; writes are ignored. */
		for (unsigned int i = 0; i < len && !write; i++)
			buf[i] = off + i < pstart + plen ?
					 ((uint8_t *)p->msix_pending)[off + i - pstart] : 0;
		return true;
	}
	return false;
}

/* One model access of exactly width bytes, aligned. */
static void uio_model_rw(struct uio_pci_dev *p, const struct uiommufd_model *m,
			 unsigned int bar, uint64_t off, unsigned int width,
			 uint8_t *buf, bool write)
{
	uint64_t v = 0;

	if (write) {
		memcpy(&v, buf, width);
		m->bar_write((struct uiommufd_dev *)p, uio_pci_state(p), bar, off,
			     width, v);
	} else {
		v = m->bar_read((struct uiommufd_dev *)p, uio_pci_state(p), bar,
				off, width);
		memcpy(buf, &v, width);
	}
}

/*
 * An access of any width and alignment made into the model's: split into
 * aligned units no wider than max_access, and each unit narrower than
 * min_access widened to it (a write: read, merge, write).
 */
static void uio_model_access(struct uio_pci_dev *p,
			     const struct uiommufd_model *m, unsigned int bar,
			     uint64_t off, uint8_t *buf, unsigned int len,
			     bool write)
{
	const struct uio_pci_bar *b = &p->bars[bar];

	while (len) {
		unsigned int w = b->max_access;
		uint64_t unit_off;
		uint8_t unit[8];
		unsigned int skip, n;

		/* The largest aligned unit up to max_access covering off. */
		while (w > b->min_access && ((off & (w - 1)) || w > len))
			w /= 2;
		unit_off = off & ~(uint64_t)(w - 1);
		skip = (unsigned int)(off - unit_off);
		n = w - skip < len ? w - skip : len;
		if (unit_off + w > b->size) {
			/* A unit past the BAR's end: the bytes in it only. */
			if (!write)
				memset(buf, 0xff, n);
		} else if (!write) {
			uio_model_rw(p, m, bar, unit_off, w, unit, false);
			memcpy(buf, unit + skip, n);
		} else {
			if (skip || n < w)
				uio_model_rw(p, m, bar, unit_off, w, unit, false);
			memcpy(unit + skip, buf, n);
			uio_model_rw(p, m, bar, unit_off, w, unit, true);
		}
		off += n;
		buf += n;
		len -= n;
	}
}

int uio_pci_bar_rw(struct uio_pci_dev *pdev, unsigned int bar, uint64_t off,
		   void *buf, unsigned int len, bool write)
{
	const struct uiommufd_model *m;

	if (bar >= UIO_PCI_NUM_BARS || !pdev->bars[bar].size || !len ||
	    off >= pdev->bars[bar].size || len > pdev->bars[bar].size - off)
		return -EINVAL;
	m = uio_pci_model(pdev);
	if (!m)
		return -ENODEV;
	uio_pci_lock(pdev);
	if (!uio_msix_access(pdev, bar, off, buf, len, write))
		uio_model_access(pdev, m, bar, off, buf, len, write);
	uio_pci_unlock(pdev);
	return 0;
}

void uio_pci_reset_locked(struct uio_pci_dev *pdev)
{
	const struct uiommufd_model *m = uio_pci_model(pdev);

	memset(pdev->msix_pending, 0, sizeof(pdev->msix_pending));
	if (pdev->cap_msi)
		uio_cfg_set(pdev, pdev->cap_msi + PCI_MSI_PENDING_64, 4, 0);
	memset(uio_pci_state(pdev), 0, pdev->state_size);
	if (m && m->reset)
		m->reset((struct uiommufd_dev *)pdev, uio_pci_state(pdev));
}

void uio_pci_reset(struct uio_pci_dev *pdev)
{
	uio_pci_lock(pdev);
	uio_pci_reset_locked(pdev);
	uio_pci_unlock(pdev);
}

void uio_pci_save_state(struct uio_pci_dev *pdev, struct uio_pci_saved_state *st)
{
	unsigned int e = pdev->cap_exp;

	for (unsigned int i = 0; i < 16; i++)
		st->hdr[i] = uio_pci_cfg_read(pdev, 4 * i, 4);
	if (!e)
		return;
	st->devctl = (uint16_t)uio_pci_cfg_read(pdev, e + PCI_EXP_DEVCTL, 2);
	st->lnkctl = (uint16_t)uio_pci_cfg_read(pdev, e + PCI_EXP_LNKCTL, 2);
	st->devctl2 = (uint16_t)uio_pci_cfg_read(pdev, e + PCI_EXP_DEVCTL2, 2);
	st->lnkctl2 = (uint16_t)uio_pci_cfg_read(pdev, e + PCI_EXP_LNKCTL2, 2);
}

void uio_pci_restore_state(struct uio_pci_dev *pdev,
			   const struct uio_pci_saved_state *st)
{
	unsigned int e = pdev->cap_exp;

	/* pci_restore_config_space(): the header's dwords, last first, the
	 * status register's error bits left alone (they are W1C). */
	for (int i = 15; i >= 1; i--) {
		uint32_t v = st->hdr[i];

		if (i == PCI_COMMAND / 4)
			v &= 0xffff;
		if (uio_pci_cfg_read(pdev, 4 * (unsigned int)i, 4) != v)
			uio_pci_cfg_write(pdev, 4 * (unsigned int)i, 4, v);
	}
	if (!e)
		return;
	uio_pci_cfg_write(pdev, e + PCI_EXP_DEVCTL, 2, st->devctl);
	uio_pci_cfg_write(pdev, e + PCI_EXP_LNKCTL, 2, st->lnkctl);
	uio_pci_cfg_write(pdev, e + PCI_EXP_DEVCTL2, 2, st->devctl2);
	uio_pci_cfg_write(pdev, e + PCI_EXP_LNKCTL2, 2, st->lnkctl2);
}

int uio_pci_set_power_state_locked(struct uio_pci_dev *pdev, unsigned int state)
{
	unsigned int ctrl = pdev->cap_pm + PCI_PM_CTRL;
	uint16_t pmcsr, now;

	if (!pdev->cap_pm)
		return 0;
	if (state == 1 || state == 2 || state > 3)
		return -EIO;
	pmcsr = (uint16_t)uio_pci_cfg_read(pdev, ctrl, 2);
	now = pmcsr & PCI_PM_CTRL_STATE_MASK;
	if (now == state)
		return 0;
	uio_pci_cfg_write(pdev, ctrl, 2,
			  (pmcsr & ~PCI_PM_CTRL_STATE_MASK) | (uint16_t)state);
	if (now == 3 && state == 0 && !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET))
		uio_pci_reset_locked(pdev);
	return 0;
}

void uio_pci_set_bar_start(struct uio_pci_dev *pdev, unsigned int bar,
			   uint64_t start)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t lo = uio_pci_cfg_read(pdev, off, 4);

	if (bar >= UIO_PCI_NUM_BARS || !pdev->bars[bar].size)
		return;
	pdev->bars[bar].start = start;
	lo = (lo & ((pdev->bars[bar].flags & UIOMMUFD_BAR_IO) ? 3u : 0xfu)) |
	     ((uint32_t)start & ~(uint32_t)(pdev->bars[bar].size - 1));
	uio_cfg_set(pdev, off, 4, lo);
	if (pdev->bars[bar].flags & UIOMMUFD_BAR_MEM64)
		uio_cfg_set(pdev, off + 4, 4, (uint32_t)(start >> 32));
}

/* ------------------------------------------------------------------ */
/* the services of model.h (called from callbacks: the lock is held) */

__attribute__((visibility("default")))
int uiommufd_dev_dma(struct uiommufd_dev *dev, uint64_t iova, void *buf,
		     size_t len, unsigned int flags)
{
	struct uio_pci_dev *p = (struct uio_pci_dev *)dev;
	const struct uio_pci_bus_ops *bus = uio_bus();
	int rc;

	if (!(uio_pci_command(p) & PCI_COMMAND_MASTER))
		rc = -EIO;
	else if (!bus || !bus->dma)
		rc = -ENODEV;
	else
		rc = bus->dma(p, iova, buf, len, flags & UIOMMUFD_DEV_DMA_WRITE);
	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* Bounced through a stack buffer when the bus has no copy of its own. */
static int uio_bus_copy_bounced(const struct uio_pci_bus_ops *bus,
				struct uio_pci_dev *p, uint64_t dst,
				uint64_t src, size_t len, uint64_t *bad)
{
	char buf[1024];

	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		int rc;

		*bad = src;
		rc = bus->dma(p, src, buf, n, false);
		if (rc)
			return rc;
		*bad = dst;
		rc = bus->dma(p, dst, buf, n, true);
		if (rc)
			return rc;
		src += n;
		dst += n;
		len -= n;
	}
	return 0;
}

__attribute__((visibility("default")))
int uiommufd_dev_dma_copy(struct uiommufd_dev *dev, uint64_t dst,
			  uint64_t src, size_t len, uint64_t *bad)
{
	struct uio_pci_dev *p = (struct uio_pci_dev *)dev;
	const struct uio_pci_bus_ops *bus = uio_bus();
	uint64_t where = src;
	int rc;

	if (!(uio_pci_command(p) & PCI_COMMAND_MASTER))
		rc = -EIO;
	else if (!bus || !bus->dma)
		rc = -ENODEV;
	else if (bus->dma_copy)
		rc = bus->dma_copy(p, dst, src, len, &where);
	else
		rc = uio_bus_copy_bounced(bus, p, dst, src, len, &where);
	if (rc) {
		if (bad)
			*bad = where;
		errno = -rc;
		return -1;
	}
	return 0;
}

__attribute__((visibility("default")))
int uiommufd_dev_irq(struct uiommufd_dev *dev, unsigned int vector)
{
	int rc = uio_pci_raise((struct uio_pci_dev *)dev, vector);

	if (rc) {
		errno = -rc;
		return -1;
	}
	return 0;
}

__attribute__((visibility("default")))
bool uiommufd_dev_bus_master(struct uiommufd_dev *dev)
{
	return uio_pci_command((struct uio_pci_dev *)dev) & PCI_COMMAND_MASTER;
}
