/* SPDX-License-Identifier: MIT */
/*
 * The VFIO device conformance suite's shared part: which devices to test
 * (found from the command line or the environment, never assumed), how
 * to open them through a group or a cdev, and small helpers for ioctls,
 * config space, eventfds and child processes.
 *
 * Every test binary of test/vfio/test_vfio_*.c runs the same way against
 * an emulated device under uiommufd-run and against a real PCI device
 * bound to vfio-pci:
 *
 *     test_vfio_X BDF[@GROUP] [BDF2[@GROUP2]]
 *     VFIO_TEST_DEVICES="BDF[@GROUP] [BDF2[@GROUP2]]" test_vfio_X
 *
 * The first device is the one under test; a second one (optional) lets
 * the tests that need two devices (another group's device, a sibling on
 * the same bus for hot reset) run. The group, when not given, is read
 * from /sys/bus/pci/devices/BDF/iommu_group; the cdev from
 * /sys/bus/pci/devices/BDF/vfio-dev/. Without a device every test skips
 * (exit status 77).
 *
 * Expectations are the kernel's (Linux 6.12 drivers/vfio). Where a
 * result depends on the host and not on vfio (a legacy container versus
 * an iommufd, dynamic MSI-X, a device on a root bus, a VGA or SR-IOV
 * device), the test asks the host and expects accordingly. Model-specific
 * tests check the vendor and device ids first and skip otherwise.
 */
#ifndef VFIO_TEST_H
#define VFIO_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cmocka.h>

#include <uiommufd/uapi.h>

/* struct vfio_device_low_power_entry_with_wakeup */
struct vt_low_power_wakeup {
	int32_t wakeup_eventfd;
	uint32_t reserved;
};

#define VT_MAX_DEVS 4
#define VT_CFG ((off_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define VT_REGION(i) ((off_t)(i) << 40)
#define VT_PAGE 4096

/* Vendor:device ids of uiommufd's built-in models (model-specific tests). */
#define VT_ID_COPY_ENGINE 0x1b3610f0u
#define VT_ID_IOAT 0x80862021u
/* The suite's own test model (test/vfio/model_wide.c). */
#define VT_ID_WIDE 0x1b3610f2u

struct vt_dev {
	char bdf[32];             /* DDDD:BB:DD.F */
	int group;                /* IOMMU group number */
	char group_path[64];      /* /dev/vfio/N */
	char cdev_path[64];       /* /dev/vfio/devices/vfioX, "" if none */
	uint32_t id;              /* vendor << 16 | device, 0 if unknown */
};

extern struct vt_dev vt_devs[VT_MAX_DEVS];
extern int vt_ndevs;

/*
 * Parse the devices (argv, else $VFIO_TEST_DEVICES) and find their groups
 * and cdevs. Returns 0, or 77 (skip everything) with a message when no
 * device was given. Also serves the exec helper (argv[1] "--exec-helper"),
 * in which case it does not return.
 */
int vt_setup(int argc, char **argv);
/* Run a cmocka group with the devices set up; main() of each file. */
#define VT_MAIN(tests)                                                    \
	int main(int argc, char **argv)                                   \
	{                                                                 \
		int rc_ = vt_setup(argc, argv);                           \
		if (rc_)                                                  \
			return rc_;                                       \
		return cmocka_run_group_tests(tests, NULL, NULL);         \
	}

/*
 * Every test runs between these: a test that fails half-way leaves fds
 * open (the group's one open file among them); the teardown closes every
 * fd the test opened so the next test starts from a closed device.
 */
int vt_test_setup(void **state);
int vt_test_teardown(void **state);
#define VT_TEST(f) cmocka_unit_test_setup_teardown(f, vt_test_setup, vt_test_teardown)

/* The device under test, and the second device (NULL without one). */
const struct vt_dev *vt_dev(void);
const struct vt_dev *vt_dev2(void);
/* The second device if it is in another group than the first, else NULL. */
const struct vt_dev *vt_dev_other_group(void);
/* Whether two devices sit on the same bus (same domain and bus number). */
bool vt_same_bus(const struct vt_dev *a, const struct vt_dev *b);

/* Running under uiommufd-run (for reporting known differences only). */
bool vt_uiommufd(void);
/*
 * A difference of uiommufd from the kernel, known and reported (see the
 * suite's notes): under uiommufd the check is skipped with a message,
 * against a real device it runs. Use as: if (!VT_KNOWN_DIFF("...")) ...
 */
bool vt_known_diff(const char *what, const char *file, int line);
#define VT_KNOWN_DIFF(what) vt_known_diff(what, __FILE__, __LINE__)

/* ioctl returning -errno on failure. */
long vt_ioctl(int fd, unsigned long req, void *arg);
/* pread/pwrite returning -errno on failure. */
long vt_pread(int fd, void *buf, size_t n, off_t off);
long vt_pwrite(int fd, const void *buf, size_t n, off_t off);

/* ---- opening ---------------------------------------------------------- */

/* /dev/iommu, or -1 (the test should skip) if the host has none. */
int vt_iommufd_open(void);
/* /dev/vfio/vfio (asserts it opens). */
int vt_container_open(void);
/* Whether a container fd is an iommufd (IOMMUFD_VFIO_CONTAINER or uiommufd). */
bool vt_is_iommufd(int fd);

/* A device opened through its group: group, container and device fds. */
struct vt_gdev {
	int group, container, device;
};
/* Open dev's group, set a container (/dev/vfio/vfio with TYPE1v2), get
 * the device fd. Asserts every step. */
void vt_gdev_open(const struct vt_dev *dev, struct vt_gdev *g);
void vt_gdev_close(struct vt_gdev *g);

/* A device opened through its cdev and bound to a fresh iommufd. */
struct vt_cdev {
	int iommufd, device;
	uint32_t devid, ioas, hwpt;
};
/* Returns false (and opens nothing) when the host has no cdev or iommufd. */
bool vt_cdev_open(const struct vt_dev *dev, struct vt_cdev *c, bool attach);
void vt_cdev_close(struct vt_cdev *c);
/* Skip the calling test when cdevs or /dev/iommu are missing. */
#define VT_REQUIRE_CDEV(dev)                                              \
	do {                                                              \
		if (!(dev)->cdev_path[0] || access("/dev/iommu", F_OK)) {  \
			skip();                                           \
		}                                                         \
	} while (0)

/* ---- config space ------------------------------------------------------- */

uint32_t vt_cfg_read(int fd, unsigned int off, unsigned int len);
void vt_cfg_write(int fd, unsigned int off, unsigned int len, uint32_t val);
/* Offset of the first standard capability with this id, 0 if none. */
unsigned int vt_find_cap(int fd, uint8_t id);
/* Offset of the extended capability with this id, 0 if none. */
unsigned int vt_find_ecap(int fd, uint16_t id);

/* ---- region and irq info ------------------------------------------------ */

int vt_region_info(int fd, uint32_t index, struct vfio_region_info *ri);
int vt_irq_info(int fd, uint32_t index, struct vfio_irq_info *ii);
/* The first BAR with memory and a size, or -1. */
int vt_first_mem_bar(int fd, struct vfio_region_info *ri);

/* ---- interrupts ---------------------------------------------------------- */

/* VFIO_DEVICE_SET_IRQS with count entries of data (of the flags' type). */
long vt_set_irqs(int fd, uint32_t flags, uint32_t index, uint32_t start,
		 uint32_t count, const void *data);
/* A nonblocking eventfd. */
int vt_eventfd(void);
/* The eventfd's count, read and reset (0 if not signalled). */
uint64_t vt_efd_read(int efd);

/* ---- processes ----------------------------------------------------------- */

/* Wait for pid; its exit status (or 128 + signal). */
int vt_wait(pid_t pid);
/* Path of this binary, for exec. */
const char *vt_self(void);

/* Identity of the device behind an fd (vendor << 16 | device). */
uint32_t vt_fd_id(int devfd);

/*
 * Model-specific knowledge: for uiommufd's built-in models, an 8-byte
 * register of BAR 0 that reads back what was written, has no side
 * effect and is 0 after a reset. NULL for any other device.
 */
struct vt_model {
	uint32_t id;
	const char *name;
	unsigned int bar;
	uint64_t scratch;
};
const struct vt_model *vt_model(int devfd);

#endif
