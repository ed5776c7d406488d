// SPDX-License-Identifier: MIT
/*
 * VFIO's decoders for the trace (lib/kernel/trace.h): the group's and the
 * device's ioctls (info ioctls with their capability chains, SET_IRQS with
 * its data array, hot reset, ioeventfd, features, the cdev's binding),
 * the device's region reads, writes and mmaps, and, with
 * UIOMMUFD_TRACE_MMIO, each trapped load or store to a mapped BAR.
 *
 *   VFIO_GROUP_GET_DEVICE_FD(4, "0000:00:04.0") = 5
 *   VFIO_DEVICE_SET_IRQS(5, {argsz=24, flags=DATA_EVENTFD|ACTION_TRIGGER, index=MSIX, start=0, count=1, data=[6]}) = 0
 *   pwrite64(5, 0x6, 2, CONFIG+0x4) = 2
 *   mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 5, BAR0+0x0) = 0x7f5c3a1e4000
 *   mmio_write(0000:00:04.0, BAR0+0x18, 8, 0x1) = 0
 */
#include <string.h>

#include <uiommufd/uapi.h>

#include "sys.h"
#include "trace.h"
#include "trap.h"
#include "uaccess.h"
#include "vfio.h"
#include "vfio_pci_priv.h"

#define IN UIO_TF_IN
#define OUT UIO_TF_OUT
#define IO UIO_TF_INOUT
#define DEC UIO_TF_DEC
#define SDEC UIO_TF_SDEC
#define HEX UIO_TF_HEX
#define FLAGS UIO_TF_FLAGS
#define ENUM UIO_TF_ENUM
#define F(t, f, fmt, dir) UIO_TF(t, f, fmt, dir, NULL)
#define FX(t, f, fmt, dir, x) UIO_TF(t, f, fmt, dir, x)
#define END UIO_TF_END

/* ------------------------------------------------------------------ */
/* names */

static const struct uio_trace_xlat group_flags[] = {
	UIO_XLAT(VFIO_GROUP_FLAGS_VIABLE, "VIABLE"),
	UIO_XLAT(VFIO_GROUP_FLAGS_CONTAINER_SET, "CONTAINER_SET"), UIO_XLAT_END,
};
static const struct uio_trace_xlat device_flags[] = {
	UIO_XLAT(VFIO_DEVICE_FLAGS_RESET, "RESET"), UIO_XLAT(VFIO_DEVICE_FLAGS_PCI, "PCI"),
	UIO_XLAT(VFIO_DEVICE_FLAGS_PLATFORM, "PLATFORM"),
	UIO_XLAT(VFIO_DEVICE_FLAGS_AMBA, "AMBA"), UIO_XLAT(VFIO_DEVICE_FLAGS_CCW, "CCW"),
	UIO_XLAT(VFIO_DEVICE_FLAGS_AP, "AP"), UIO_XLAT(VFIO_DEVICE_FLAGS_FSL_MC, "FSL_MC"),
	UIO_XLAT(VFIO_DEVICE_FLAGS_CAPS, "CAPS"), UIO_XLAT(VFIO_DEVICE_FLAGS_CDX, "CDX"),
	UIO_XLAT_END,
};
static const struct uio_trace_xlat device_caps[] = {
	UIO_XLAT(VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, "PCI_ATOMIC_COMP"), UIO_XLAT_END,
};
static const struct uio_trace_xlat atomic_comp_flags[] = {
	UIO_XLAT(VFIO_PCI_ATOMIC_COMP32, "COMP32"),
	UIO_XLAT(VFIO_PCI_ATOMIC_COMP64, "COMP64"),
	UIO_XLAT(VFIO_PCI_ATOMIC_COMP128, "COMP128"), UIO_XLAT_END,
};
static const struct uio_trace_xlat regions[] = {
	UIO_XLAT(VFIO_PCI_BAR0_REGION_INDEX, "BAR0"),
	UIO_XLAT(VFIO_PCI_BAR1_REGION_INDEX, "BAR1"),
	UIO_XLAT(VFIO_PCI_BAR2_REGION_INDEX, "BAR2"),
	UIO_XLAT(VFIO_PCI_BAR3_REGION_INDEX, "BAR3"),
	UIO_XLAT(VFIO_PCI_BAR4_REGION_INDEX, "BAR4"),
	UIO_XLAT(VFIO_PCI_BAR5_REGION_INDEX, "BAR5"),
	UIO_XLAT(VFIO_PCI_ROM_REGION_INDEX, "ROM"),
	UIO_XLAT(VFIO_PCI_CONFIG_REGION_INDEX, "CONFIG"),
	UIO_XLAT(VFIO_PCI_VGA_REGION_INDEX, "VGA"), UIO_XLAT_END,
};
static const struct uio_trace_xlat region_flags[] = {
	UIO_XLAT(VFIO_REGION_INFO_FLAG_READ, "READ"),
	UIO_XLAT(VFIO_REGION_INFO_FLAG_WRITE, "WRITE"),
	UIO_XLAT(VFIO_REGION_INFO_FLAG_MMAP, "MMAP"),
	UIO_XLAT(VFIO_REGION_INFO_FLAG_CAPS, "CAPS"), UIO_XLAT_END,
};
static const struct uio_trace_xlat region_caps[] = {
	UIO_XLAT(VFIO_REGION_INFO_CAP_SPARSE_MMAP, "SPARSE_MMAP"),
	UIO_XLAT(VFIO_REGION_INFO_CAP_TYPE, "TYPE"),
	UIO_XLAT(VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, "MSIX_MAPPABLE"), UIO_XLAT_END,
};
static const struct uio_trace_xlat irqs[] = {
	UIO_XLAT(VFIO_PCI_INTX_IRQ_INDEX, "INTX"), UIO_XLAT(VFIO_PCI_MSI_IRQ_INDEX, "MSI"),
	UIO_XLAT(VFIO_PCI_MSIX_IRQ_INDEX, "MSIX"), UIO_XLAT(VFIO_PCI_ERR_IRQ_INDEX, "ERR"),
	UIO_XLAT(VFIO_PCI_REQ_IRQ_INDEX, "REQ"), UIO_XLAT_END,
};
static const struct uio_trace_xlat irq_info_flags[] = {
	UIO_XLAT(VFIO_IRQ_INFO_EVENTFD, "EVENTFD"),
	UIO_XLAT(VFIO_IRQ_INFO_MASKABLE, "MASKABLE"),
	UIO_XLAT(VFIO_IRQ_INFO_AUTOMASKED, "AUTOMASKED"),
	UIO_XLAT(VFIO_IRQ_INFO_NORESIZE, "NORESIZE"), UIO_XLAT_END,
};
static const struct uio_trace_xlat irq_set_flags[] = {
	UIO_XLAT(VFIO_IRQ_SET_DATA_NONE, "DATA_NONE"),
	UIO_XLAT(VFIO_IRQ_SET_DATA_BOOL, "DATA_BOOL"),
	UIO_XLAT(VFIO_IRQ_SET_DATA_EVENTFD, "DATA_EVENTFD"),
	UIO_XLAT(VFIO_IRQ_SET_ACTION_MASK, "ACTION_MASK"),
	UIO_XLAT(VFIO_IRQ_SET_ACTION_UNMASK, "ACTION_UNMASK"),
	UIO_XLAT(VFIO_IRQ_SET_ACTION_TRIGGER, "ACTION_TRIGGER"), UIO_XLAT_END,
};
static const struct uio_trace_xlat hot_reset_flags[] = {
	UIO_XLAT(VFIO_PCI_HOT_RESET_FLAG_DEV_ID, "DEV_ID"),
	UIO_XLAT(VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, "DEV_ID_OWNED"), UIO_XLAT_END,
};
static const struct uio_trace_xlat ioeventfd_flags[] = {
	UIO_XLAT(VFIO_DEVICE_IOEVENTFD_8, "8"), UIO_XLAT(VFIO_DEVICE_IOEVENTFD_16, "16"),
	UIO_XLAT(VFIO_DEVICE_IOEVENTFD_32, "32"), UIO_XLAT(VFIO_DEVICE_IOEVENTFD_64, "64"),
	UIO_XLAT_END,
};
static const struct uio_trace_xlat feature_flags[] = {
	UIO_XLAT(VFIO_DEVICE_FEATURE_GET, "GET"), UIO_XLAT(VFIO_DEVICE_FEATURE_SET, "SET"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_PROBE, "PROBE"), UIO_XLAT_END,
};
static const struct uio_trace_xlat features[] = {
	UIO_XLAT(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN, "PCI_VF_TOKEN"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_MIGRATION, "MIGRATION"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, "MIG_DEVICE_STATE"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY, "LOW_POWER_ENTRY"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP,
		 "LOW_POWER_ENTRY_WITH_WAKEUP"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_LOW_POWER_EXIT, "LOW_POWER_EXIT"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, "DMA_LOGGING_START"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, "DMA_LOGGING_STOP"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, "DMA_LOGGING_REPORT"),
	UIO_XLAT(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, "MIG_DATA_SIZE"), UIO_XLAT_END,
};

static uint32_t u32_at(const void *s, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

static uint64_t u64_at(const void *s, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

/* A device fd offset as its region: "BAR0+0x18", "CONFIG+0x4". */
static void region_off(struct uio_trace_line *l, uint64_t off)
{
	const char *name = uio_trace_xlat_find(regions, UIO_VPCI_INDEX(off));

	if (name)
		uio_tl_printf(l, "%s+0x%llx", name,
			      (unsigned long long)(off & UIO_VPCI_OFFSET_MASK));
	else
		uio_tl_printf(l, "%#llx", (unsigned long long)off);
}

/* An access's bytes: the value if 1, 2, 4 or 8 of them, else the bytes. */
static void access_value(struct uio_trace_line *l, const void *p, size_t n)
{
	uint64_t v = 0;

	if (n == 1 || n == 2 || n == 4 || n == 8) {
		memcpy(&v, p, n); /* little endian */
		uio_tl_printf(l, "0x%llx", (unsigned long long)v);
	} else {
		uio_tl_bytes(l, p, n, 16);
	}
}

/* ------------------------------------------------------------------ */
/* capability chains (vfio_info_cap_header, offsets from the struct) */

typedef void cap_fn(struct uio_trace_line *l, uint16_t id, const uint8_t *cap,
		    size_t n);

/*
 * ", caps=[{id=..., version=..., ...}]" when flags (at flags_off of the
 * struct read back) has caps_flag and the chain starts at cap_offset (at
 * off_off); the chain is read from the program's buffer, argsz long.
 */
static void caps_out(struct uio_trace_line *l, const struct uio_trace_call *c,
		     const void *after, size_t n, bool *first, size_t flags_off,
		     uint32_t caps_flag, size_t off_off,
		     const struct uio_trace_xlat *names, cap_fn *decode)
{
	uint8_t buf[2048];
	uint32_t argsz = u32_at(c->snap, 0), off;
	size_t have;
	int caps = 0;

	if (n < off_off + sizeof(uint32_t) || !(u32_at(after, flags_off) & caps_flag))
		return;
	off = u32_at(after, off_off);
	have = argsz < sizeof(buf) ? argsz : sizeof(buf);
	if (!off || uio_trace_peek(buf, c->arg, have))
		return;
	uio_tl_printf(l, "%scaps=[", *first ? "" : ", ");
	*first = false;
	while (off && off + sizeof(struct vfio_info_cap_header) <= have && caps < 16) {
		struct vfio_info_cap_header h;

		memcpy(&h, buf + off, sizeof(h));
		uio_tl_printf(l, "%s{id=", caps ? ", " : "");
		uio_tl_enum(l, h.id, names);
		uio_tl_printf(l, ", version=%u", h.version);
		decode(l, h.id, buf + off, have - off);
		uio_tl_puts(l, "}");
		caps++;
		if (h.next <= off) /* forward only: no loop */
			break;
		off = h.next;
	}
	uio_tl_puts(l, "]");
}

static void device_cap(struct uio_trace_line *l, uint16_t id, const uint8_t *cap,
		       size_t n)
{
	if (id == VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP &&
	    n >= sizeof(struct vfio_device_info_cap_pci_atomic_comp)) {
		uio_tl_puts(l, ", flags=");
		uio_tl_flags(l, u32_at(cap, offsetof(struct vfio_device_info_cap_pci_atomic_comp,
						     flags)), atomic_comp_flags);
	}
}

static void region_cap(struct uio_trace_line *l, uint16_t id, const uint8_t *cap,
		       size_t n)
{
	if (id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
	    n >= sizeof(struct vfio_region_info_cap_sparse_mmap)) {
		uint32_t nr = u32_at(cap, offsetof(struct vfio_region_info_cap_sparse_mmap,
						   nr_areas));

		uio_tl_printf(l, ", nr_areas=%u, areas=[", nr);
		for (uint32_t i = 0; i < nr; i++) {
			size_t at = sizeof(struct vfio_region_info_cap_sparse_mmap) +
				    i * sizeof(struct vfio_region_sparse_mmap_area);

			if (at + sizeof(struct vfio_region_sparse_mmap_area) > n || i == 32) {
				uio_tl_puts(l, i ? ", ..." : "...");
				break;
			}
			uio_tl_printf(l, "%s{offset=0x%llx, size=0x%llx}", i ? ", " : "",
				      (unsigned long long)u64_at(cap, at),
				      (unsigned long long)u64_at(cap, at + 8));
		}
		uio_tl_puts(l, "]");
	} else if (id == VFIO_REGION_INFO_CAP_TYPE &&
		   n >= sizeof(struct vfio_region_info_cap_type)) {
		uio_tl_printf(l, ", type=%u, subtype=%u",
			      u32_at(cap, offsetof(struct vfio_region_info_cap_type, type)),
			      u32_at(cap, offsetof(struct vfio_region_info_cap_type, subtype)));
	}
}

static void device_info_out(struct uio_trace_line *l, const struct uio_trace_call *c,
			    const void *after, size_t n, bool *first)
{
	caps_out(l, c, after, n, first, offsetof(struct vfio_device_info, flags),
		 VFIO_DEVICE_FLAGS_CAPS, offsetof(struct vfio_device_info, cap_offset),
		 device_caps, device_cap);
}

static void region_info_out(struct uio_trace_line *l, const struct uio_trace_call *c,
			    const void *after, size_t n, bool *first)
{
	caps_out(l, c, after, n, first, offsetof(struct vfio_region_info, flags),
		 VFIO_REGION_INFO_FLAG_CAPS, offsetof(struct vfio_region_info, cap_offset),
		 region_caps, region_cap);
}

/* ------------------------------------------------------------------ */
/* the group */

static const struct uio_trace_field f_group_status[] = {
	F(vfio_group_status, argsz, DEC, IN),
	FX(vfio_group_status, flags, FLAGS, OUT, group_flags), END };

static const struct uio_trace_cmd group_cmds[] = {
	{ VFIO_GROUP_GET_STATUS, "VFIO_GROUP_GET_STATUS", UIO_TA_SIZED, f_group_status,
	  NULL, NULL, NULL },
	{ VFIO_GROUP_SET_CONTAINER, "VFIO_GROUP_SET_CONTAINER", UIO_TA_INT, NULL, NULL,
	  NULL, NULL },
	{ VFIO_GROUP_UNSET_CONTAINER, "VFIO_GROUP_UNSET_CONTAINER", UIO_TA_NONE, NULL,
	  NULL, NULL, NULL },
	{ VFIO_GROUP_GET_DEVICE_FD, "VFIO_GROUP_GET_DEVICE_FD", UIO_TA_STRING, NULL, NULL,
	  NULL, NULL },
	UIO_TRACE_CMDS_END,
};

static void group_before(struct uio_trace_call *c)
{
	if (c->op == UIO_TRACE_IOCTL)
		uio_trace_cmds_before(c, group_cmds);
}

static bool group_decode(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	return c->op == UIO_TRACE_IOCTL && uio_trace_cmds_decode(l, c, group_cmds);
}

const struct uio_trace_ops uio_vfio_group_trace = {
	.before = group_before,
	.decode = group_decode,
};

/* ------------------------------------------------------------------ */
/* the device's ioctls */

static const struct uio_trace_field f_device_info[] = {
	F(vfio_device_info, argsz, DEC, IO),
	FX(vfio_device_info, flags, FLAGS, OUT, device_flags),
	F(vfio_device_info, num_regions, DEC, OUT), F(vfio_device_info, num_irqs, DEC, OUT),
	F(vfio_device_info, cap_offset, DEC, OUT), END };
static const struct uio_trace_field f_region_info[] = {
	F(vfio_region_info, argsz, DEC, IO),
	FX(vfio_region_info, flags, FLAGS, OUT, region_flags),
	FX(vfio_region_info, index, ENUM, IN, regions),
	F(vfio_region_info, cap_offset, DEC, OUT), F(vfio_region_info, size, HEX, OUT),
	F(vfio_region_info, offset, HEX, OUT), END };
static const struct uio_trace_field f_irq_info[] = {
	F(vfio_irq_info, argsz, DEC, IN),
	FX(vfio_irq_info, flags, FLAGS, OUT, irq_info_flags),
	FX(vfio_irq_info, index, ENUM, IN, irqs), F(vfio_irq_info, count, DEC, OUT), END };
static const struct uio_trace_field f_irq_set[] = {
	F(vfio_irq_set, argsz, DEC, IN), FX(vfio_irq_set, flags, FLAGS, IN, irq_set_flags),
	FX(vfio_irq_set, index, ENUM, IN, irqs), F(vfio_irq_set, start, DEC, IN),
	F(vfio_irq_set, count, DEC, IN), END };
static const struct uio_trace_field f_hot_reset_info[] = {
	F(vfio_pci_hot_reset_info, argsz, DEC, IN),
	FX(vfio_pci_hot_reset_info, flags, FLAGS, OUT, hot_reset_flags),
	F(vfio_pci_hot_reset_info, count, DEC, OUT), END };
static const struct uio_trace_field f_hot_reset[] = {
	F(vfio_pci_hot_reset, argsz, DEC, IN), F(vfio_pci_hot_reset, flags, HEX, IN),
	F(vfio_pci_hot_reset, count, DEC, IN), END };
static const struct uio_trace_field f_ioeventfd[] = {
	F(vfio_device_ioeventfd, argsz, DEC, IN),
	FX(vfio_device_ioeventfd, flags, FLAGS, IN, ioeventfd_flags), END };
static const struct uio_trace_field f_feature[] = {
	F(vfio_device_feature, argsz, DEC, IN), END };
static const struct uio_trace_field f_bind[] = {
	F(vfio_device_bind_iommufd, argsz, DEC, IN),
	F(vfio_device_bind_iommufd, flags, HEX, IN),
	F(vfio_device_bind_iommufd, iommufd, SDEC, IN),
	F(vfio_device_bind_iommufd, out_devid, DEC, OUT), END };
static const struct uio_trace_field f_attach[] = {
	F(vfio_device_attach_iommufd_pt, argsz, DEC, IN),
	F(vfio_device_attach_iommufd_pt, flags, HEX, IN),
	F(vfio_device_attach_iommufd_pt, pt_id, DEC, IO), END };
static const struct uio_trace_field f_detach[] = {
	F(vfio_device_detach_iommufd_pt, argsz, DEC, IN),
	F(vfio_device_detach_iommufd_pt, flags, HEX, IN), END };

/* ", data=[6, 7]" or ", data=[true, false]": SET_IRQS's array as passed. */
static void irq_set_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	const size_t hdr = sizeof(struct vfio_irq_set);
	uint32_t flags, count, size;

	if (c->nsnap < hdr)
		return;
	flags = u32_at(c->snap, offsetof(struct vfio_irq_set, flags));
	count = u32_at(c->snap, offsetof(struct vfio_irq_set, count));
	if (flags & VFIO_IRQ_SET_DATA_BOOL)
		size = 1;
	else if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
		size = 4;
	else
		return;
	uio_tl_puts(l, ", data=[");
	for (uint32_t i = 0; i < count; i++) {
		if (hdr + (i + 1) * size > c->nsnap || i == 32) {
			uio_tl_puts(l, i ? ", ..." : "...");
			break;
		}
		if (size == 1)
			uio_tl_printf(l, "%s%s", i ? ", " : "",
				      c->snap[hdr + i] ? "true" : "false");
		else
			uio_tl_printf(l, "%s%d", i ? ", " : "",
				      (int32_t)u32_at(c->snap, hdr + i * 4));
	}
	uio_tl_puts(l, "]");
}

/* ", group_fds=[4]": PCI_HOT_RESET's array as passed. */
static void hot_reset_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	const size_t hdr = sizeof(struct vfio_pci_hot_reset);
	uint32_t count;

	if (c->nsnap < hdr)
		return;
	count = u32_at(c->snap, offsetof(struct vfio_pci_hot_reset, count));
	uio_tl_puts(l, ", group_fds=[");
	for (uint32_t i = 0; i < count; i++) {
		if (hdr + (i + 1) * 4 > c->nsnap || i == 32) {
			uio_tl_puts(l, i ? ", ..." : "...");
			break;
		}
		uio_tl_printf(l, "%s%d", i ? ", " : "", (int32_t)u32_at(c->snap, hdr + i * 4));
	}
	uio_tl_puts(l, "]");
}

/* ", devices=[{group_id=7, segment=0x0, bus=0x1, devfn=0x0}]" as written back. */
static void hot_reset_info_out(struct uio_trace_line *l, const struct uio_trace_call *c,
			       const void *after, size_t n, bool *first)
{
	const size_t hdr = sizeof(struct vfio_pci_hot_reset_info);
	struct vfio_pci_dependent_device devs[16];
	uint32_t count, flags, shown;

	if (n < hdr)
		return;
	flags = u32_at(after, offsetof(struct vfio_pci_hot_reset_info, flags));
	count = u32_at(after, offsetof(struct vfio_pci_hot_reset_info, count));
	shown = count < 16 ? count : 16;
	if (uio_trace_peek(devs, UIO_UPTR(c->arg, hdr), shown * sizeof(devs[0])))
		return;
	uio_tl_printf(l, "%sdevices=[", *first ? "" : ", ");
	*first = false;
	for (uint32_t i = 0; i < shown; i++) {
		if (flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID)
			uio_tl_printf(l, "%s{devid=%d", i ? ", " : "", (int32_t)devs[i].devid);
		else
			uio_tl_printf(l, "%s{group_id=%u", i ? ", " : "", devs[i].group_id);
		uio_tl_printf(l, ", segment=0x%x, bus=0x%x, devfn=0x%x}", devs[i].segment,
			      devs[i].bus, devs[i].devfn);
	}
	uio_tl_puts(l, count > shown ? ", ...]" : "]");
}

static void ioeventfd_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	if (c->nsnap < offsetof(struct vfio_device_ioeventfd, fd) + sizeof(int32_t))
		return;
	uio_tl_puts(l, ", offset=");
	region_off(l, u64_at(c->snap, offsetof(struct vfio_device_ioeventfd, offset)));
	uio_tl_printf(l, ", data=0x%llx, fd=%d",
		      (unsigned long long)u64_at(c->snap, offsetof(struct vfio_device_ioeventfd,
								   data)),
		      (int32_t)u32_at(c->snap, offsetof(struct vfio_device_ioeventfd, fd)));
}

/* ", flags=PROBE|SET, feature=LOW_POWER_ENTRY" */
static void feature_in(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	uint32_t flags;

	if (c->nsnap < offsetof(struct vfio_device_feature, flags) + sizeof(flags))
		return;
	flags = u32_at(c->snap, offsetof(struct vfio_device_feature, flags));
	uio_tl_puts(l, ", flags=");
	uio_tl_flags(l, flags & ~(uint32_t)VFIO_DEVICE_FEATURE_MASK, feature_flags);
	uio_tl_puts(l, ", feature=");
	uio_tl_enum(l, flags & VFIO_DEVICE_FEATURE_MASK, features);
}

static const struct uio_trace_cmd device_cmds[] = {
	{ VFIO_DEVICE_GET_INFO, "VFIO_DEVICE_GET_INFO", UIO_TA_SIZED, f_device_info, NULL,
	  NULL, device_info_out },
	{ VFIO_DEVICE_GET_REGION_INFO, "VFIO_DEVICE_GET_REGION_INFO", UIO_TA_SIZED,
	  f_region_info, NULL, NULL, region_info_out },
	{ VFIO_DEVICE_GET_IRQ_INFO, "VFIO_DEVICE_GET_IRQ_INFO", UIO_TA_SIZED, f_irq_info,
	  NULL, NULL, NULL },
	{ VFIO_DEVICE_SET_IRQS, "VFIO_DEVICE_SET_IRQS", UIO_TA_SIZED, f_irq_set, NULL,
	  irq_set_in, NULL },
	{ VFIO_DEVICE_RESET, "VFIO_DEVICE_RESET", UIO_TA_NONE, NULL, NULL, NULL, NULL },
	{ VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO",
	  UIO_TA_SIZED, f_hot_reset_info, NULL, NULL, hot_reset_info_out },
	{ VFIO_DEVICE_PCI_HOT_RESET, "VFIO_DEVICE_PCI_HOT_RESET", UIO_TA_SIZED,
	  f_hot_reset, NULL, hot_reset_in, NULL },
	{ VFIO_DEVICE_IOEVENTFD, "VFIO_DEVICE_IOEVENTFD", UIO_TA_SIZED, f_ioeventfd, NULL,
	  ioeventfd_in, NULL },
	{ VFIO_DEVICE_FEATURE, "VFIO_DEVICE_FEATURE", UIO_TA_SIZED, f_feature, NULL,
	  feature_in, NULL },
	{ VFIO_DEVICE_BIND_IOMMUFD, "VFIO_DEVICE_BIND_IOMMUFD", UIO_TA_SIZED, f_bind, NULL,
	  NULL, NULL },
	{ VFIO_DEVICE_ATTACH_IOMMUFD_PT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", UIO_TA_SIZED,
	  f_attach, NULL, NULL, NULL },
	{ VFIO_DEVICE_DETACH_IOMMUFD_PT, "VFIO_DEVICE_DETACH_IOMMUFD_PT", UIO_TA_SIZED,
	  f_detach, NULL, NULL, NULL },
	UIO_TRACE_CMDS_END,
};

/* ------------------------------------------------------------------ */
/* the device's regions: reads, writes, mmap */

static void device_before(struct uio_trace_call *c)
{
	long pos;

	if (c->op == UIO_TRACE_IOCTL) {
		uio_trace_cmds_before(c, device_cmds);
	} else if (c->op == UIO_TRACE_READ || c->op == UIO_TRACE_WRITE) {
		/* read() and write() work at the file position: where is it? */
		pos = UIO_SYS(SYS_lseek, c->fd, 0, SEEK_CUR);
		c->off = pos < 0 ? 0 : (uint64_t)pos;
	}
}

/*
 * pread64(5, 0x1, 8, BAR0+0x20) = 8, and read(5<BAR0+0x20>, 0x1, 8) = 8
 * (the position in strace -y's place): the value read (after the call)
 * or written (as passed) when it is 1, 2, 4 or 8 bytes, else the bytes.
 */
static void device_rw(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	bool pos = c->op == UIO_TRACE_PREAD || c->op == UIO_TRACE_PWRITE;
	bool write = c->op == UIO_TRACE_WRITE || c->op == UIO_TRACE_PWRITE;
	static const char *const names[] = {
		[UIO_TRACE_READ] = "read", [UIO_TRACE_WRITE] = "write",
		[UIO_TRACE_PREAD] = "pread64", [UIO_TRACE_PWRITE] = "pwrite64",
	};
	uint8_t buf[16];

	uio_tl_printf(l, "%s(%d", names[c->op], c->fd);
	if (!pos) {
		uio_tl_puts(l, "<");
		region_off(l, c->off);
		uio_tl_puts(l, ">");
	}
	uio_tl_puts(l, ", ");
	if (write) {
		access_value(l, c->snap, c->nsnap < c->len ? c->nsnap : c->len);
	} else if (c->rc > 0) {
		size_t n = (size_t)c->rc < sizeof(buf) ? (size_t)c->rc : sizeof(buf);

		if (uio_trace_peek(buf, c->arg, n))
			uio_tl_ptr(l, c->arg);
		else if ((size_t)c->rc > sizeof(buf))
			uio_tl_bytes(l, buf, (size_t)c->rc, n);
		else
			access_value(l, buf, n);
	} else {
		uio_tl_ptr(l, c->arg);
	}
	uio_tl_printf(l, ", %zu", c->len);
	if (pos) {
		uio_tl_puts(l, ", ");
		region_off(l, c->off);
	}
	uio_tl_puts(l, ")");
	uio_tl_result(l, c->rc);
}

static bool device_decode(struct uio_trace_line *l, const struct uio_trace_call *c)
{
	switch (c->op) {
	case UIO_TRACE_IOCTL:
		return uio_trace_cmds_decode(l, c, device_cmds);
	case UIO_TRACE_MMAP:
		uio_tl_mmap_head(l, c);
		region_off(l, c->off);
		uio_tl_puts(l, ")");
		uio_tl_result_addr(l, c->rc);
		return true;
	default:
		device_rw(l, c);
		return true;
	}
}

/* Region reads and writes are traced with UIOMMUFD_TRACE_MMIO only. */
const struct uio_trace_ops uio_vfio_device_trace = {
	.need = {
		[UIO_TRACE_READ] = UIO_TRACE_MMIO, [UIO_TRACE_WRITE] = UIO_TRACE_MMIO,
		[UIO_TRACE_PREAD] = UIO_TRACE_MMIO, [UIO_TRACE_PWRITE] = UIO_TRACE_MMIO,
	},
	.before = device_before,
	.decode = device_decode,
};

/* ------------------------------------------------------------------ */
/* trapped loads and stores (lib/hw/mmio/trap.h), in signal context */

void uio_vfio_trace_trap(void *priv, uint64_t off, const void *buf, unsigned len,
			 bool write, int rc)
{
	/* vfio-pci's BAR mappings only: their state (vfio_pci_priv.h) */
	const struct uio_vpci_map *m = priv;
	struct uio_vfio_registry *r = uio_vfio_registry();
	const char *bdf = r && m->dev < r->ndevices ? r->devices[m->dev].bdf : "?";
	char line[256];
	struct uio_trace_line l;

	uio_tl_begin(&l, line, sizeof(line));
	uio_tl_printf(&l, "mmio_%s(%s, BAR%u+0x%llx, %u", write ? "write" : "read",
		      bdf, m->bar, (unsigned long long)(m->start + off), len);
	if (write) {
		uio_tl_puts(&l, ", ");
		access_value(&l, buf, len);
	}
	uio_tl_puts(&l, ")");
	if (rc == UIO_TRAP_SIGBUS)
		uio_tl_puts(&l, " = ? SIGBUS (BUS_ADRERR)");
	else
		uio_tl_result(&l, rc);
	if (!write && !rc) {
		uio_tl_puts(&l, " => ");
		access_value(&l, buf, len);
	}
	uio_tl_emit(&l);
}
