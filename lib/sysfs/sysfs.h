/* SPDX-License-Identifier: MIT */
/*
 * The emulated sysfs and /dev/vfio of a launch, in the manner of
 * umockdev's testbed: uio_sysfs_build() makes, under a run directory
 * RUNDIR, the files Linux 6.12 shows for PCI devices bound to vfio-pci
 * on an x86 host with an Intel IOMMU; the preload only redirects paths
 * into that tree (lib/preload/path.c). Nothing is served from memory.
 *
 * RUNDIR/sys and RUNDIR/dev mirror the host's /sys and /dev where the
 * emulated devices change them: a directory of RUNDIR that the host also
 * has holds a symlink for every host entry (a copy of the host's own
 * symlink, or an absolute link to the host entry) next to the emulated
 * entries, so relative links resolve inside RUNDIR exactly as in sysfs.
 * RUNDIR/index lists, one per line, what the preload redirects:
 *
 *   M /sys/bus/pci/devices        a merged directory: listed from RUNDIR;
 *                                 its host entries are the host's
 *   O /sys/bus/pci/devices/BDF    an emulated entry and all below it
 *   C /dev/vfio/7                 an emulated character device node (a
 *                                 regular file here; the preload serves it)
 *   P /dev/vfio/vfio              never redirected (served by the preload)
 *
 * RUNDIR/devices has a line "BDF GROUP CDEV_INDEX MODEL" per device.
 */
#ifndef UIO_SYSFS_H
#define UIO_SYSFS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel resource flags (include/linux/ioport.h), as 'resource' prints them. */
#define UIO_IORESOURCE_IO 0x00000100ull
#define UIO_IORESOURCE_MEM 0x00000200ull
#define UIO_IORESOURCE_PREFETCH 0x00002000ull
#define UIO_IORESOURCE_READONLY 0x00004000ull
#define UIO_IORESOURCE_SIZEALIGN 0x00040000ull
#define UIO_IORESOURCE_MEM_64 0x00100000ull

/* The flags of an expansion ROM resource. */
#define UIO_SYSFS_ROM_FLAGS                                              \
	(UIO_IORESOURCE_MEM | UIO_IORESOURCE_PREFETCH |                  \
	 UIO_IORESOURCE_READONLY | UIO_IORESOURCE_SIZEALIGN)

/*
 * Device numbers of the nodes (the preload reports the same on stat):
 * VFIO group N is GROUP_MAJOR:N, cdev vfioN is CDEV_MAJOR:N. The kernel
 * allocates both majors dynamically; these are typical values.
 */
#define UIO_SYSFS_GROUP_MAJOR 243u
#define UIO_SYSFS_CDEV_MAJOR 238u
#define UIO_SYSFS_MISC_MAJOR 10u
#define UIO_SYSFS_VFIO_MINOR 196u  /* /dev/vfio/vfio */
#define UIO_SYSFS_IOMMU_MINOR 123u /* /dev/iommu */

#define UIO_SYSFS_MAX_DEVS 32

struct uio_sysfs_bar {
	uint64_t start, size; /* size 0: no such BAR */
	uint64_t flags;       /* kernel resource flags (uio_sysfs_bar_flags) */
};

/*
 * One emulated device, filled by the caller from its model. config is
 * what the 'config' file holds (256 bytes, or 4096 for PCI Express); its
 * capability list also decides the PCIe link files, 'reset' and
 * 'reset_method'. Identity fields must agree with config.
 */
struct uio_sysfs_dev {
	char bdf[16];            /* DDDD:BB:DD.F, lower case */
	uint32_t group;          /* IOMMU group number */
	uint32_t cdev_index;     /* /dev/vfio/devices/vfioN, class/vfio-dev/vfioN */
	uint16_t vendor, device, subsystem_vendor, subsystem_device;
	uint32_t class_code;     /* base << 16 | sub << 8 | prog-if */
	uint8_t revision;
	uint8_t irq_pin;         /* 0: none, 1..4: INTA..INTD */
	uint32_t irq;            /* legacy IRQ shown in 'irq' (0 without a pin) */
	int numa_node;           /* -1 */
	const uint8_t *config;   /* config_size bytes */
	uint32_t config_size;    /* 256 or 4096 */
	struct uio_sysfs_bar bars[7]; /* BARs 0..5 and the ROM (6) */
	bool msi, msix;          /* capabilities (informational) */
	const char *model;       /* model name, for uiommufd-run --list */
};

/* Resource flags of a BAR: I/O, or memory (64-bit, prefetchable). */
uint64_t uio_sysfs_bar_flags(bool io, bool mem64, bool prefetch);

/*
 * Fill the identity fields of d (vendor, device, subsystem ids, class,
 * revision, interrupt pin) and the BAR types and start addresses from a
 * config space image; BAR sizes are left as they are.
 */
void uio_sysfs_dev_from_config(struct uio_sysfs_dev *d, const uint8_t *config,
			       uint32_t config_size);

/* Whether s is a PCI address DDDD:BB:DD.F in range; canonical lower case into out[16]. */
bool uio_sysfs_parse_bdf(const char *s, char out[16]);

/*
 * Build the tree for devs[0..n) under rundir (an existing, empty
 * directory). 0, or -errno (EINVAL for a bad device description).
 */
int uio_sysfs_build(const char *rundir, const struct uio_sysfs_dev *devs,
		    unsigned int n);

/* rm -rf rundir, never following symlinks. 0, or -errno of the first failure. */
int uio_sysfs_remove(const char *rundir);

#ifdef __cplusplus
}
#endif
#endif
