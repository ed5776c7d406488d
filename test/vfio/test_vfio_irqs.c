// SPDX-License-Identifier: MIT
/*
 * VFIO_DEVICE_SET_IRQS (vfio_set_irqs_validate_and_prepare() and
 * drivers/vfio/pci/vfio_pci_intrs.c of 6.12): every validation error,
 * every action and data type for each index, enable and disable, start
 * and count sub-ranges, the loopback (DATA_NONE and DATA_BOOL triggers
 * signal the eventfd), INTx masking, MSI and MSI-X config space as
 * SET_IRQS leaves it, eventfds closed by the program after SET_IRQS. The
 * model-specific part (the copy engine's doorbell raises vector 0) checks
 * automasking, the unmask eventfd and delivery.
 *
 *     test_vfio_irqs BDF[@GROUP]
 */
#include <linux/pci_regs.h>
#include <poll.h>
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

#define NONE VFIO_IRQ_SET_DATA_NONE
#define BOOL VFIO_IRQ_SET_DATA_BOOL
#define EVFD VFIO_IRQ_SET_DATA_EVENTFD
#define MASK VFIO_IRQ_SET_ACTION_MASK
#define UNMASK VFIO_IRQ_SET_ACTION_UNMASK
#define TRIG VFIO_IRQ_SET_ACTION_TRIGGER

static uint32_t irq_count(int d, uint32_t index)
{
	struct vfio_irq_info ii;

	if (vt_irq_info(d, index, &ii))
		return 0;
	return ii.count;
}

static long set1(int d, uint32_t flags, uint32_t index, int32_t v)
{
	uint8_t b = (uint8_t)v;

	return vt_set_irqs(d, flags, index, 0, 1,
			   (flags & EVFD) ? (const void *)&v : (const void *)&b);
}

/* ------------------------------------------------------------------ */
/* validation */

static void test_validate(void **state)
{
	struct vfio_irq_set s;
	int d = gd.device, efd = vt_eventfd();
	uint32_t idx = VFIO_PCI_REQ_IRQ_INDEX; /* count 1 on every device */
	char *page;

	(void)state;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_SET_IRQS, NULL), -EFAULT);
	memset(&s, 0, sizeof(s));
	s.argsz = offsetof(struct vfio_irq_set, count) + 3;
	s.flags = NONE | TRIG;
	s.index = idx;
	s.count = 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	/* Index past the end, for any max. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_NUM_IRQS, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0xffffffffu, 0, 0, NULL), -EINVAL);
	/* count >= U32_MAX - start. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 1, 0xfffffffeu, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0xffffffffu, NULL), -EINVAL);
	/* Unknown flags. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG | 0x40, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG | 0x80000000u, idx, 0, 1, NULL), -EINVAL);
	/* start and count against the index's count. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 1, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 2, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 1, 1, NULL), -EINVAL);
	/* Exactly one data type. */
	assert_int_equal(vt_set_irqs(d, TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | BOOL | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, BOOL | EVFD | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | EVFD | TRIG, idx, 0, 1, NULL), -EINVAL);
	/* argsz too small for the data. */
	memset(&s, 0, sizeof(s));
	s.argsz = sizeof(s);
	s.flags = EVFD | TRIG;
	s.index = idx;
	s.count = 1;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	s.argsz = sizeof(s) + 3;
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	s.flags = BOOL | TRIG;
	s.argsz = sizeof(s);
	assert_int_equal(vt_ioctl(d, VFIO_DEVICE_SET_IRQS, &s), -EINVAL);
	/* Data that cannot be read. */
	page = mmap(NULL, 2 * VT_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(page != MAP_FAILED);
	munmap(page + VT_PAGE, VT_PAGE);
	{
		struct vfio_irq_set *p = (void *)(page + VT_PAGE - sizeof(*p));

		p->argsz = sizeof(*p) + 4;
		p->flags = EVFD | TRIG;
		p->index = idx;
		p->count = 1;
		assert_int_equal(vt_ioctl(d, VFIO_DEVICE_SET_IRQS, p), -EFAULT);
	}
	munmap(page, VT_PAGE);
	/* Validation passed, no handler: ENOTTY. */
	assert_int_equal(vt_set_irqs(d, NONE, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | MASK | TRIG, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | MASK | UNMASK, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | MASK, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(set1(d, EVFD | MASK, idx, efd), -ENOTTY);
	close(efd);
}

/* ------------------------------------------------------------------ */
/* ERR and REQ */

static void single_trigger(int d, uint32_t idx)
{
	int e1 = vt_eventfd(), e2 = vt_eventfd(), null = open("/dev/null", O_RDWR), bad;
	uint8_t yes = 1, no = 0;

	bad = dup(0);
	close(bad);
	/* Nothing set: DATA_NONE is EINVAL, DATA_BOOL does nothing. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 1, &yes), 0);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, idx, 0, 0, NULL), -EINVAL);
	assert_int_equal(set1(d, EVFD | TRIG, idx, -2), -EINVAL);
	assert_int_equal(set1(d, EVFD | TRIG, idx, bad), -EBADF);
	assert_int_equal(set1(d, EVFD | TRIG, idx, null), -EINVAL);
	/* Removing nothing is fine. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, -1), 0);
	assert_int_equal(set1(d, EVFD | TRIG, idx, e1), 0);
	/* Loopback. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 1);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 1, &yes), 0);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 1, &yes), 0);
	assert_int_equal(vt_efd_read(e1), 2);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 1, &no), 0);
	assert_int_equal(vt_efd_read(e1), 0);
	/* Replace. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, e2), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 0);
	assert_int_equal(vt_efd_read(e2), 1);
	/* A failed replace keeps the old one. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, null), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e2), 1);
	/* DATA_NONE with count 0 removes it. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_efd_read(e2), 0);
	/* The program's own fd may go: the eventfd stays set. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, e1), 0);
	{
		int keep = dup(e1);

		close(e1);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
		assert_int_equal(vt_efd_read(keep), 1);
		e1 = keep;
	}
	assert_int_equal(set1(d, EVFD | TRIG, idx, -1), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	/* Only TRIGGER. */
	assert_int_equal(vt_set_irqs(d, NONE | MASK, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, idx, 0, 1, NULL), -ENOTTY);
	close(e1);
	close(e2);
	close(null);
}

static void test_req(void **state)
{
	(void)state;
	single_trigger(gd.device, VFIO_PCI_REQ_IRQ_INDEX);
}

static void test_err(void **state)
{
	int d = gd.device;

	(void)state;
	if (!irq_count(d, VFIO_PCI_ERR_IRQ_INDEX)) {
		/* Not PCI Express: count 0, so validation refuses. */
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 1, NULL),
				 -EINVAL);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_ERR_IRQ_INDEX, 0, 0, NULL),
				 -EINVAL);
		return;
	}
	single_trigger(d, VFIO_PCI_ERR_IRQ_INDEX);
}

/* The ERR and REQ triggers go with the device's close. */
static void test_triggers_released_at_close(void **state)
{
	int efd = vt_eventfd();

	(void)state;
	assert_int_equal(set1(gd.device, EVFD | TRIG, VFIO_PCI_REQ_IRQ_INDEX, efd), 0);
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(vt_set_irqs(gd.device, NONE | TRIG, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, NULL),
			 -EINVAL);
	assert_int_equal(vt_efd_read(efd), 0);
	close(efd);
}

/* ------------------------------------------------------------------ */
/* INTx */

static void test_intx(void **state)
{
	int d = gd.device, e1 = vt_eventfd(), e2 = vt_eventfd();
	int null = open("/dev/null", O_RDWR), bad;
	uint8_t yes = 1, no = 0;
	uint16_t cmd;

	(void)state;
	bad = dup(0);
	close(bad);
	if (!irq_count(d, VFIO_PCI_INTX_IRQ_INDEX)) {
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_INTX_IRQ_INDEX, e1), -EINVAL);
		goto out;
	}
	/* Not enabled: loopback, mask and unmask are EINVAL. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, 0, 0, 1, &yes), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | MASK, 0, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), -EINVAL);
	assert_int_equal(set1(d, EVFD | MASK, 0, e1), -EINVAL);
	/* A bad eventfd is refused before anything is enabled. */
	assert_int_equal(set1(d, EVFD | TRIG, 0, bad), -EBADF);
	assert_int_equal(set1(d, EVFD | TRIG, 0, null), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), -EINVAL);
	/* Enable. */
	assert_int_equal(set1(d, EVFD | TRIG, 0, e1), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 1);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, 0, 0, 1, &yes), 0);
	assert_int_equal(vt_efd_read(e1), 1);
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, 0, 0, 1, &no), 0);
	assert_int_equal(vt_efd_read(e1), 0);
	/* Only vector 0, only one at a time. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 2, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | MASK, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 0, NULL), -EINVAL);
	/* Masking: an eventfd is not implemented; mask and unmask are. */
	assert_int_equal(set1(d, EVFD | MASK, 0, e2), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | MASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_set_irqs(d, BOOL | MASK, 0, 0, 1, &yes), 0);
	assert_int_equal(vt_set_irqs(d, BOOL | MASK, 0, 0, 1, &no), 0);
	/* A loopback is not an interrupt: it signals even masked. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 1);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_set_irqs(d, BOOL | UNMASK, 0, 0, 1, &yes), 0);
	assert_int_equal(vt_set_irqs(d, BOOL | UNMASK, 0, 0, 1, &no), 0);
	/* An unmask eventfd (KVM's resampler): one at a time. */
	assert_int_equal(set1(d, EVFD | UNMASK, 0, bad), -EBADF);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, null), -EINVAL);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, e2), 0);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, e2), -EBUSY);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, -1), 0);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, -1), 0);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, e2), 0);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, -5), 0);
	/* The virtual INTx disable bit stops the loopback. */
	cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 0);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 1);
	/* Swap the trigger; a bad one leaves it. */
	assert_int_equal(set1(d, EVFD | TRIG, 0, e2), 0);
	assert_int_equal(set1(d, EVFD | TRIG, 0, null), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e1), 0);
	assert_int_equal(vt_efd_read(e2), 1);
	/* -1 (any negative) drops the trigger, INTx stays enabled. */
	assert_int_equal(set1(d, EVFD | TRIG, 0, -7), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e2), 0);
	if (irq_count(d, VFIO_PCI_MSI_IRQ_INDEX))
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, e1), -EINVAL);
	if (irq_count(d, VFIO_PCI_MSIX_IRQ_INDEX))
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, e1), -EINVAL);
	/* Disable: count 0 with DATA_NONE; then it is not enabled. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), -EINVAL);
	/* Enabling with no eventfd at all. */
	assert_int_equal(set1(d, EVFD | TRIG, 0, -1), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), 0);
	/* The program's fd may go; the interrupt still reaches the eventfd. */
	{
		int e3 = vt_eventfd(), keep = dup(e3);

		assert_int_equal(set1(d, EVFD | TRIG, 0, e3), 0);
		close(e3);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 1, NULL), 0);
		assert_int_equal(vt_efd_read(keep), 1);
		close(keep);
	}
out:
	close(e1);
	close(e2);
	close(null);
}

/* ------------------------------------------------------------------ */
/* MSI and MSI-X */

static void msi_common(int d, uint32_t idx)
{
	uint32_t n = irq_count(d, idx), other = idx == VFIO_PCI_MSI_IRQ_INDEX ?
							VFIO_PCI_MSIX_IRQ_INDEX :
							VFIO_PCI_MSI_IRQ_INDEX;
	int e[8], null = open("/dev/null", O_RDWR), bad;
	int32_t fds[8];
	uint8_t bools[8];

	for (int i = 0; i < 8; i++)
		e[i] = vt_eventfd();
	bad = dup(0);
	close(bad);
	assert_true(n >= 1);
	/* Not enabled: loopback EINVAL; masking never exists for MSI. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | MASK, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, idx, 0, 1, NULL), -ENOTTY);
	assert_int_equal(set1(d, EVFD | MASK, idx, e[0]), -ENOTTY);
	assert_int_equal(set1(d, EVFD | UNMASK, idx, e[0]), -ENOTTY);
	/* A bad eventfd: EBADF or EINVAL, and nothing stays enabled. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, bad), -EBADF);
	assert_int_equal(set1(d, EVFD | TRIG, idx, null), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	if (irq_count(d, VFIO_PCI_INTX_IRQ_INDEX)) {
		assert_int_equal(set1(d, EVFD | TRIG, 0, e[0]), 0);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), 0);
	}
	/* Enable vector 0. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, e[0]), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e[0]), 1);
	bools[0] = 1;
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 1, bools), 0);
	assert_int_equal(vt_efd_read(e[0]), 1);
	bools[0] = 0;
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, 0, 1, bools), 0);
	assert_int_equal(vt_efd_read(e[0]), 0);
	/* Other interrupt types are refused while it is on. */
	if (irq_count(d, other))
		assert_int_equal(set1(d, EVFD | TRIG, other, e[1]), -EINVAL);
	if (irq_count(d, VFIO_PCI_INTX_IRQ_INDEX))
		assert_int_equal(set1(d, EVFD | TRIG, 0, e[1]), -EINVAL);
	/* Swap vector 0's eventfd; a bad one leaves none there. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, e[1]), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e[0]), 0);
	assert_int_equal(vt_efd_read(e[1]), 1);
	assert_int_equal(set1(d, EVFD | TRIG, idx, null), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e[1]), 0);
	/* -1 drops a vector's eventfd; the type stays enabled. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, e[1]), 0);
	assert_int_equal(set1(d, EVFD | TRIG, idx, -1), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(e[1]), 0);
	/* The program's fd may go. */
	{
		int keep = dup(e[2]);

		assert_int_equal(set1(d, EVFD | TRIG, idx, e[2]), 0);
		close(e[2]);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
		assert_int_equal(vt_efd_read(keep), 1);
		e[2] = keep;
	}
	/* Disable. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), -EINVAL);
	/* Enabling with no eventfd. */
	assert_int_equal(set1(d, EVFD | TRIG, idx, -1), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 1, NULL), 0);
	if (irq_count(d, VFIO_PCI_INTX_IRQ_INDEX))
		assert_int_equal(set1(d, EVFD | TRIG, 0, e[1]), -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), 0);
	/* All vectors at once, each its eventfd; a sub-range loopback. */
	n = n > 8 ? 8 : n;
	for (uint32_t i = 0; i < n; i++)
		fds[i] = e[i];
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, idx, 0, n, fds), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, n, NULL), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(vt_efd_read(e[i]), 1);
	if (n >= 2) {
		memset(bools, 0, sizeof(bools));
		bools[1] = 1;
		assert_int_equal(vt_set_irqs(d, BOOL | TRIG, idx, n - 2, 2, bools), 0);
		assert_int_equal(vt_efd_read(e[n - 1]), 1);
		assert_int_equal(vt_efd_read(e[n - 2]), 0);
		/* A bad fd in the middle of a block undoes the block. */
		fds[0] = e[0];
		fds[1] = null;
		assert_int_equal(vt_set_irqs(d, EVFD | TRIG, idx, 0, 2, fds), -EINVAL);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, n, NULL), 0);
		assert_int_equal(vt_efd_read(e[0]), 0);
		assert_int_equal(vt_efd_read(e[1]), 0);
		for (uint32_t i = 2; i < n; i++)
			assert_int_equal(vt_efd_read(e[i]), 1);
	}
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx, 0, 0, NULL), 0);
	for (int i = 0; i < 8; i++)
		close(e[i]);
	close(null);
}

static void test_msi(void **state)
{
	int d = gd.device, efd = vt_eventfd();
	uint32_t n = irq_count(d, VFIO_PCI_MSI_IRQ_INDEX);

	(void)state;
	if (!n) {
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd), -EINVAL);
		close(efd);
		return;
	}
	msi_common(d, VFIO_PCI_MSI_IRQ_INDEX);
	/* Enabling vector n-1 alone enables n: vectors below stay unset. */
	if (n >= 2) {
		assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, n - 1, 1,
					     &efd), 0);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, n, NULL), 0);
		assert_int_equal(vt_efd_read(efd), 1);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL), 0);
	}
	close(efd);
}

static void test_msix(void **state)
{
	struct vfio_irq_info ii;
	int d = gd.device, e0 = vt_eventfd(), e1 = vt_eventfd();
	uint32_t n = irq_count(d, VFIO_PCI_MSIX_IRQ_INDEX);

	(void)state;
	if (!n) {
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, e0), -EINVAL);
		goto out;
	}
	msi_common(d, VFIO_PCI_MSIX_IRQ_INDEX);
	if (n < 2)
		goto out;
	/* Enabled with vector 0; vector n-1 later: dynamic allocation, or
	 * EINVAL (NORESIZE). */
	assert_int_equal(vt_irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, &ii), 0);
	assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, e0), 0);
	if (ii.flags & VFIO_IRQ_INFO_NORESIZE) {
		assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, n - 1, 1,
					     &e1), -EINVAL);
	} else {
		assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, n - 1, 1,
					     &e1), 0);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, n,
					     NULL), 0);
		assert_int_equal(vt_efd_read(e0), 1);
		assert_int_equal(vt_efd_read(e1), 1);
	}
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL), 0);
out:
	close(e0);
	close(e1);
}

/* MSI's config space: the enable bit only via SET_IRQS, the queue size. */
static void test_msi_config(void **state)
{
	int d = gd.device, efd = vt_eventfd();
	unsigned int msi = vt_find_cap(d, PCI_CAP_ID_MSI);
	uint16_t flags;

	(void)state;
	if (!msi || !irq_count(d, VFIO_PCI_MSI_IRQ_INDEX))
		skip();
	flags = (uint16_t)vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2);
	assert_false(flags & PCI_MSI_FLAGS_ENABLE);
	/* Writing the enable bit does not enable. */
	vt_cfg_write(d, msi + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE);
	assert_false(vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, NULL), -EINVAL);
	/*
	 * The capable count reads as the device's: vfio_msi_config_read()
	 * means to show what SET_IRQS last enabled, but writes it over the
	 * capability's id byte in vconfig, which reads from the device.
	 */
	assert_int_equal(1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1),
			 irq_count(d, VFIO_PCI_MSI_IRQ_INDEX));
	/* A queue size beyond what SET_IRQS last enabled is cut down to it:
	 * one vector, then all of them. */
	assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL), 0);
	vt_cfg_write(d, msi + PCI_MSI_FLAGS, 2, (flags & ~PCI_MSI_FLAGS_QSIZE) | (5 << 4));
	assert_int_equal(vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QSIZE, 0);
	assert_int_equal(vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_QMASK,
			 flags & PCI_MSI_FLAGS_QMASK);
	{
		uint32_t n = irq_count(d, VFIO_PCI_MSI_IRQ_INDEX);

		assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, n - 1, 1,
					     &efd), 0);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL), 0);
		vt_cfg_write(d, msi + PCI_MSI_FLAGS, 2, (flags & ~PCI_MSI_FLAGS_QSIZE) | (5 << 4));
		assert_int_equal(1u << ((vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) &
					 PCI_MSI_FLAGS_QSIZE) >> 4), n);
		vt_cfg_write(d, msi + PCI_MSI_FLAGS, 2, flags);
	}
	/* Enabled through SET_IRQS, the bit may be written. */
	assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd), 0);
	vt_cfg_write(d, msi + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE);
	assert_true(vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	/* The host masks what it does not use (the mask bits are the
	 * device's): vector 0 requested, the others masked; freed, masked. */
	if (vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_MASKBIT) {
		unsigned int mask = msi + ((vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) &
					    PCI_MSI_FLAGS_64BIT) ? PCI_MSI_MASK_64 :
								   PCI_MSI_MASK_32);
		uint32_t n = irq_count(d, VFIO_PCI_MSI_IRQ_INDEX);

		assert_int_equal(vt_cfg_read(d, mask, 4) & 1, 0);
		if (n > 1)
			assert_int_equal(vt_cfg_read(d, mask, 4) & 2, 2);
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, -1), 0);
		assert_int_equal(vt_cfg_read(d, mask, 4) & 1, 1);
		assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, efd), 0);
		assert_int_equal(vt_cfg_read(d, mask, 4) & 1, 0);
	}
	/* The address and data registers are the program's own. */
	vt_cfg_write(d, msi + PCI_MSI_ADDRESS_LO, 4, 0xfee01000);
	assert_int_equal(vt_cfg_read(d, msi + PCI_MSI_ADDRESS_LO, 4), 0xfee01000);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL), 0);
	/* Disabled: the host unmasked every vector again. */
	if (vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_MASKBIT)
		assert_int_equal(vt_cfg_read(d, msi + ((vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) &
							PCI_MSI_FLAGS_64BIT) ? PCI_MSI_MASK_64 :
									       PCI_MSI_MASK_32), 4),
				 0);
	/* Disabled: writing the bit clears it again. */
	vt_cfg_write(d, msi + PCI_MSI_FLAGS, 2, flags | PCI_MSI_FLAGS_ENABLE);
	assert_false(vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_ENABLE);
	close(efd);
}

/* MSI-X's capability is the hardware's: its enable bit follows SET_IRQS. */
static void test_msix_config(void **state)
{
	int d = gd.device, efd = vt_eventfd();
	unsigned int msix = vt_find_cap(d, PCI_CAP_ID_MSIX);
	uint16_t flags;

	(void)state;
	if (!msix || !irq_count(d, VFIO_PCI_MSIX_IRQ_INDEX))
		skip();
	flags = (uint16_t)vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2);
	assert_false(flags & PCI_MSIX_FLAGS_ENABLE);
	/* Read-only: writes are dropped. */
	vt_cfg_write(d, msix + PCI_MSIX_FLAGS, 2, flags | PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2), flags);
	assert_int_equal(set1(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, efd), 0);
	flags = (uint16_t)vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2);
	assert_true(flags & PCI_MSIX_FLAGS_ENABLE);
	assert_false(flags & PCI_MSIX_FLAGS_MASKALL);
	vt_cfg_write(d, msix + PCI_MSIX_FLAGS, 2, flags & ~PCI_MSIX_FLAGS_ENABLE);
	assert_true(vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL), 0);
	assert_false(vt_cfg_read(d, msix + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_ENABLE);
	close(efd);
}

/* Closing the device disables its interrupts. */
static void test_irqs_off_at_close(void **state)
{
	int efd = vt_eventfd();
	uint32_t idx = irq_count(gd.device, VFIO_PCI_MSIX_IRQ_INDEX) ? VFIO_PCI_MSIX_IRQ_INDEX :
		       irq_count(gd.device, VFIO_PCI_MSI_IRQ_INDEX) ? VFIO_PCI_MSI_IRQ_INDEX :
		       VFIO_PCI_INTX_IRQ_INDEX;

	(void)state;
	if (!irq_count(gd.device, idx))
		skip();
	assert_int_equal(set1(gd.device, EVFD | TRIG, idx, efd), 0);
	vt_gdev_close(&gd);
	vt_gdev_open(vt_dev(), &gd);
	assert_int_equal(vt_set_irqs(gd.device, NONE | TRIG, idx, 0, 1, NULL), -EINVAL);
	assert_int_equal(set1(gd.device, EVFD | TRIG, VFIO_PCI_REQ_IRQ_INDEX, efd), 0);
	close(efd);
}

/* ------------------------------------------------------------------ */
/* the copy engine: its doorbell raises vector 0 (model-specific) */

#define CE_LEN 0x10
#define CE_DOORBELL 0x18

static bool copy_engine(void)
{
	return vt_fd_id(gd.device) == VT_ID_COPY_ENGINE;
}

/* A doorbell with LEN 0: the engine fails at once and interrupts. */
static void ring(int d)
{
	uint64_t zero = 0, one = 1;

	assert_int_equal(vt_pwrite(d, &zero, 8, CE_LEN), 8);
	assert_int_equal(vt_pwrite(d, &one, 8, CE_DOORBELL), 8);
}

static void test_ce_intx_automask(void **state)
{
	int d = gd.device, efd = vt_eventfd();
	uint16_t cmd;

	(void)state;
	if (!copy_engine())
		skip();
	assert_int_equal(set1(d, EVFD | TRIG, 0, efd), 0);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 1);
	/* Masked by the interrupt itself: nothing until unmasked. */
	ring(d);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	/* Unmasking with the line still asserted signals again, masked. */
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(efd), 1);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(efd), 0);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 1);
	/* An explicit mask holds it the same way. */
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_set_irqs(d, NONE | MASK, 0, 0, 1, NULL), 0);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(efd), 1);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	/* The virtual INTx disable bit masks too; clearing it unmasks. */
	cmd = (uint16_t)vt_cfg_read(d, PCI_COMMAND, 2);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_INTX_DISABLE);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	/* UNMASK does not override the disable bit. */
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(efd), 0);
	vt_cfg_write(d, PCI_COMMAND, 2, cmd);
	assert_int_equal(vt_efd_read(efd), 1);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), 0);
	/* Disabled: the device's interrupt goes nowhere. */
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	close(efd);
}

/* The eventfd's count reads want within a few seconds (an unmask
 * eventfd's action may be done by a worker after its write returns). */
static bool efd_becomes(int efd, uint64_t want)
{
	uint64_t got = 0;

	for (int i = 0; i < 2000; i++) {
		got += vt_efd_read(efd);
		if (got >= want)
			return got == want;
		usleep(1000);
	}
	return false;
}

/*
 * The unmask eventfd's count is consumed within a while; then an ioctl,
 * after which the unmask is done (uiommufd's worker consumes and acts
 * under the lock its ioctls take).
 */
static bool efd_drains(int d, int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	struct vfio_irq_info ii;

	for (int i = 0; i < 2000; i++) {
		if (poll(&p, 1, 0) == 0)
			return vt_irq_info(d, VFIO_PCI_INTX_IRQ_INDEX, &ii) == 0;
		usleep(1000);
	}
	return false;
}

static void efd_signal(int efd)
{
	uint64_t one = 1;

	assert_int_equal(write(efd, &one, 8), 8);
}

/*
 * An unmask eventfd (vfio_virqfd: what KVM's resampler signals) unmasks
 * INTx as the UNMASK ioctl does: with the line still asserted the
 * interrupt is signalled again and stays masked; each signal consumes
 * the eventfd's count; once disabled (fd -1) or with INTx disabled, a
 * signal does nothing and stays in the eventfd.
 */
static void test_ce_intx_unmask_eventfd(void **state)
{
	int d = gd.device, efd = vt_eventfd(), ufd = vt_eventfd();

	(void)state;
	if (!copy_engine())
		skip();
	assert_int_equal(set1(d, EVFD | TRIG, 0, efd), 0);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, ufd), 0);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 1);
	/* Masked; asserted again meanwhile. */
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	efd_signal(ufd);
	assert_true(efd_becomes(efd, 1));
	/* Asserted while masked again: that unmask signals it, masked
	 * still; the next one opens the line. */
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	efd_signal(ufd);
	assert_true(efd_becomes(efd, 1));
	efd_signal(ufd);
	assert_true(efd_drains(d, ufd));
	ring(d);
	assert_true(efd_becomes(efd, 1));
	/* Disabled: a signal stays there; masking stays. */
	assert_int_equal(set1(d, EVFD | UNMASK, 0, -1), 0);
	efd_signal(ufd);
	usleep(20 * 1000);
	assert_int_equal(vt_efd_read(ufd), 1);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 0);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	assert_int_equal(vt_efd_read(efd), 1);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	/* Set again; a signal from another process unmasks too. */
	assert_int_equal(set1(d, EVFD | UNMASK, 0, ufd), 0);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 1);
	ring(d);
	{
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (!pid) {
			uint64_t one = 1;

			_exit(write(ufd, &one, 8) == 8 ? 0 : 1);
		}
		assert_int_equal(vt_wait(pid), 0);
	}
	assert_true(efd_becomes(efd, 1));
	/* Set while already signalled: it unmasks at once. */
	assert_int_equal(set1(d, EVFD | UNMASK, 0, -1), 0);
	assert_int_equal(vt_set_irqs(d, NONE | UNMASK, 0, 0, 1, NULL), 0);
	ring(d);
	assert_int_equal(vt_efd_read(efd), 1);
	ring(d);
	efd_signal(ufd);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, ufd), 0);
	assert_true(efd_becomes(efd, 1));
	/* INTx disabled: its unmask eventfd goes with it. */
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), 0);
	efd_signal(ufd);
	usleep(20 * 1000);
	assert_int_equal(vt_efd_read(ufd), 1);
	assert_int_equal(set1(d, EVFD | TRIG, 0, efd), 0);
	assert_int_equal(set1(d, EVFD | UNMASK, 0, ufd), 0);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, 0, 0, 0, NULL), 0);
	close(efd);
	close(ufd);
}

static void test_ce_msi_msix_delivery(void **state)
{
	int d = gd.device, efd = vt_eventfd();
	uint32_t idx[2] = { VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_MSIX_IRQ_INDEX };

	(void)state;
	if (!copy_engine())
		skip();
	for (int k = 0; k < 2; k++) {
		unsigned int msi = vt_find_cap(d, PCI_CAP_ID_MSI);
		bool maskable = idx[k] == VFIO_PCI_MSIX_IRQ_INDEX ||
				(vt_cfg_read(d, msi + PCI_MSI_FLAGS, 2) & PCI_MSI_FLAGS_MASKBIT);

		assert_int_equal(set1(d, EVFD | TRIG, idx[k], efd), 0);
		/* Edge interrupts: each one signals. */
		ring(d);
		ring(d);
		assert_int_equal(vt_efd_read(efd), 2);
		/* Without an eventfd the host masks the vector (free_irq):
		 * the interrupt waits in the pending bits and goes out when
		 * an eventfd is set again (request_irq unmasks). */
		assert_int_equal(set1(d, EVFD | TRIG, idx[k], -1), 0);
		ring(d);
		assert_int_equal(vt_efd_read(efd), 0);
		assert_int_equal(set1(d, EVFD | TRIG, idx[k], efd), 0);
		assert_int_equal(vt_efd_read(efd), maskable ? 1 : 0);
		assert_int_equal(vt_set_irqs(d, NONE | TRIG, idx[k], 0, 0, NULL), 0);
		ring(d);
		assert_int_equal(vt_efd_read(efd), 0);
	}
	close(efd);
}

/* The suite's wide model: RAISE (BAR 0, 0x200) raises any vector. */
static void raise_vec(int d, uint64_t v)
{
	assert_int_equal(vt_pwrite(d, &v, 8, 0x200), 8);
}

static void test_wide_vectors(void **state)
{
	int d = gd.device, e[8];
	int32_t fds[8];
	uint8_t bools[8] = { 0 };

	(void)state;
	if (vt_fd_id(d) != VT_ID_WIDE)
		skip();
	for (int i = 0; i < 8; i++)
		fds[i] = e[i] = vt_eventfd();
	/* MSI, vectors 1 and 2 given: 3 enabled, vector 0 without eventfd. */
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 1, 2, fds + 1), 0);
	raise_vec(d, 1);
	raise_vec(d, 2);
	raise_vec(d, 2);
	assert_int_equal(vt_efd_read(e[1]), 1);
	assert_int_equal(vt_efd_read(e[2]), 2);
	/* Past what was enabled: nothing goes out. */
	raise_vec(d, 3);
	/* Vector 0 is masked without an eventfd: held until one is set. */
	raise_vec(d, 0);
	assert_int_equal(vt_efd_read(e[0]), 0);
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, fds), 0);
	assert_int_equal(vt_efd_read(e[0]), 1);
	for (int i = 0; i < 8; i++)
		assert_int_equal(vt_efd_read(e[i]), 0);
	/* MSI cannot grow past what it was enabled with. */
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 3, 1, fds + 3),
			 -EINVAL);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSI_IRQ_INDEX, 0, 0, NULL), 0);
	/* MSI-X, vectors 2 to 4. */
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 2, 3, fds + 2), 0);
	for (int v = 0; v < 8; v++)
		raise_vec(d, (uint64_t)v);
	for (int v = 0; v < 8; v++)
		assert_int_equal(vt_efd_read(e[v]), v >= 2 && v <= 4 ? 1 : 0);
	/* A sub-range loopback. */
	bools[0] = 1;
	bools[2] = 1;
	assert_int_equal(vt_set_irqs(d, BOOL | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 2, 3, bools), 0);
	assert_int_equal(vt_efd_read(e[2]), 1);
	assert_int_equal(vt_efd_read(e[3]), 0);
	assert_int_equal(vt_efd_read(e[4]), 1);
	/* The vectors raised without an eventfd wait (masked, pending):
	 * setting one delivers it (vector 6 is allocated then, vector 0 was
	 * already). */
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 6, 1, fds + 6), 0);
	assert_int_equal(vt_efd_read(e[6]), 1);
	assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, fds), 0);
	assert_int_equal(vt_efd_read(e[0]), 1);
	/* Removing a sub-range: those vectors stop, the others go on. */
	{
		int32_t none[2] = { -1, -1 };

		assert_int_equal(vt_set_irqs(d, EVFD | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 2, 2, none),
				 0);
	}
	raise_vec(d, 2);
	raise_vec(d, 4);
	assert_int_equal(vt_efd_read(e[2]), 0);
	assert_int_equal(vt_efd_read(e[4]), 1);
	assert_int_equal(vt_set_irqs(d, NONE | TRIG, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL), 0);
	raise_vec(d, 4);
	assert_int_equal(vt_efd_read(e[4]), 0);
	for (int i = 0; i < 8; i++)
		close(e[i]);
}

static const struct CMUnitTest tests[] = {
	DEV_TEST(test_validate),
	DEV_TEST(test_req),
	DEV_TEST(test_err),
	DEV_TEST(test_triggers_released_at_close),
	DEV_TEST(test_intx),
	DEV_TEST(test_msi),
	DEV_TEST(test_msix),
	DEV_TEST(test_msi_config),
	DEV_TEST(test_msix_config),
	DEV_TEST(test_irqs_off_at_close),
	DEV_TEST(test_ce_intx_automask),
	DEV_TEST(test_ce_intx_unmask_eventfd),
	DEV_TEST(test_ce_msi_msix_delivery),
	DEV_TEST(test_wide_vectors),
};

VT_MAIN(tests)
