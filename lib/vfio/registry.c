// SPDX-License-Identifier: MIT
/*
 * The VFIO registry of a launch: RUNDIR/registry and the node files of
 * RUNDIR/dev/vfio, made by the launcher and mapped by every process of the
 * launch; see vfio.h.
 *
 * Layout of the registry file: struct uio_vfio_registry, then for each
 * device its vfio-pci state (uio_vpci_size() bytes) and its PCI device
 * with its model's state (uio_pci_dev_size()), each 64-byte aligned, at
 * the offsets the device records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debug.h"
#include "kernel.h"
#include "models.h"
#include "pci.h"
#include "sys.h"
#include "vfio.h"
#include "vfio_pci_priv.h"

#define UIO_VFIO_MAGIC 0x7266766f69756675ull /* "ufuiovfr" */
#define UIO_VFIO_VERSION 2u

static struct uio_vfio_registry *uio_vreg;
static pthread_once_t uio_vreg_once = PTHREAD_ONCE_INIT;

void *uio_vfio_at(struct uio_vfio_registry *r, uint64_t off)
{
	return (char *)r + off;
}

struct uio_pci_dev *uio_vfio_pci(struct uio_vfio_registry *r,
				 struct uio_vfio_device *d)
{
	return uio_vfio_at(r, d->pci_off);
}

struct uio_vfio_pci *uio_vfio_vpci(struct uio_vfio_registry *r,
				   struct uio_vfio_device *d)
{
	return uio_vfio_at(r, d->vpci_off);
}

void uio_vfio_lock(struct uio_vfio_registry *r)
{
	if (pthread_mutex_lock(&r->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&r->lock);
}

void uio_vfio_unlock(struct uio_vfio_registry *r)
{
	pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------ */
/* node files */

void uio_vfio_node_file(struct uio_vfio_registry *r, int node, uint32_t index,
			char *buf, size_t len)
{
	if (node == UIO_VFIO_NODE_GROUP)
		snprintf(buf, len, "%s/dev/vfio/%u", r->rundir,
			 r->groups[index].number);
	else
		snprintf(buf, len, "%s/dev/vfio/devices/vfio%u", r->rundir,
			 r->devices[index].index);
}

int uio_vfio_node_path(struct uio_vfio_registry *r, const char *path,
		       uint32_t *index)
{
	size_t n = strlen(r->rundir);
	unsigned long v;
	char *end;

	if (strncmp(path, r->rundir, n) || strncmp(path + n, "/dev/vfio/", 10))
		return UIO_VFIO_NODE_NONE;
	path += n + 10;
	if (!strncmp(path, "devices/vfio", 12)) {
		v = strtoul(path + 12, &end, 10);
		if (end == path + 12 || *end)
			return UIO_VFIO_NODE_NONE;
		for (uint32_t i = 0; i < r->ndevices; i++) {
			if (r->devices[i].index == v) {
				*index = i;
				return UIO_VFIO_NODE_DEVICE;
			}
		}
		return UIO_VFIO_NODE_NONE;
	}
	v = strtoul(path, &end, 10);
	if (end == path || *end)
		return UIO_VFIO_NODE_NONE;
	for (uint32_t i = 0; i < r->ngroups; i++) {
		if (r->groups[i].number == v) {
			*index = i;
			return UIO_VFIO_NODE_GROUP;
		}
	}
	return UIO_VFIO_NODE_NONE;
}

static int uio_mkdirs(const char *path)
{
	char buf[512];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		long rc;

		*p = 0;
		rc = UIO_SYS(SYS_mkdirat, AT_FDCWD, buf, 0755);
		if (rc && rc != -EEXIST)
			return (int)rc;
		*p = '/';
	}
	return 0;
}

/* Make (if missing) the node file; its identity in *dev, *ino. */
static int uio_node_create(const char *path, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	int fd, rc;

	rc = uio_mkdirs(path);
	if (rc)
		return rc;
	/* The user's own, as udev gives a user a node it may use. */
	fd = (int)UIO_SYS(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return fd;
	rc = uio_sys_fstat(fd, &st);
	uio_sys_close(fd);
	if (rc)
		return rc;
	*dev = st.st_dev;
	*ino = st.st_ino;
	return 0;
}

/* ------------------------------------------------------------------ */
/* creation, by the launcher */

/* Host addresses for BARs, as firmware would assign them. */
static uint64_t uio_bar_base(unsigned int dev, const struct uio_pci_bar *b)
{
	uint64_t base = (b->flags & UIOMMUFD_BAR_MEM64) ?
				0x380000000000ull + ((uint64_t)dev << 32) :
				0xf0000000ull + ((uint64_t)dev << 22);

	return (base + b->size - 1) & ~(b->size - 1);
}

int uio_vfio_registry_create(const char *rundir,
			     const struct uio_vfio_device_spec *devs,
			     unsigned int n, char *msg, size_t msglen)
{
	const struct uiommufd_model *models[UIO_VFIO_MAX_DEVICES];
	struct uio_vfio_registry *r;
	pthread_mutexattr_t ma;
	uint64_t size, off;
	char path[512];
	long p;
	int fd, rc;

	if (n > UIO_VFIO_MAX_DEVICES || strlen(rundir) >= sizeof(r->rundir) - 32) {
		snprintf(msg, msglen, "too many devices or too long a path");
		return -EINVAL;
	}
	size = (sizeof(*r) + 63) & ~(uint64_t)63;
	for (unsigned int i = 0; i < n; i++) {
		models[i] = uio_model_find(devs[i].model, msg, msglen);
		if (!models[i])
			return -ENOENT;
		if (uio_pci_model_check(models[i])) {
			snprintf(msg, msglen, "model %s: an invalid descriptor",
				 devs[i].model);
			return -EINVAL;
		}
		size += uio_vpci_size() + uio_pci_dev_size(models[i]);
	}
	snprintf(path, sizeof(path), "%s/registry", rundir);
	fd = (int)UIO_SYS(SYS_openat, AT_FDCWD, path,
			  O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(-fd));
		return fd;
	}
	rc = uio_sys_ftruncate(fd, size);
	p = rc ? rc : uio_sys_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				   fd, 0);
	uio_sys_close(fd);
	if (p < 0 && p > -4096) {
		snprintf(msg, msglen, "%s: %s", path, strerror((int)-p));
		return (int)p;
	}
	r = (struct uio_vfio_registry *)p;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&r->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	r->version = UIO_VFIO_VERSION;
	r->size = size;
	strcpy(r->rundir, rundir);
	off = (sizeof(*r) + 63) & ~(uint64_t)63;
	rc = 0;
	for (unsigned int i = 0; i < n && !rc; i++) {
		struct uio_vfio_device *d = &r->devices[i];
		struct uio_pci_dev *pdev;
		uint32_t g;

		for (g = 0; g < r->ngroups; g++)
			if (r->groups[g].number == devs[i].group)
				break;
		if (g == r->ngroups) {
			r->groups[g].number = devs[i].group;
			r->ngroups++;
			uio_vfio_node_file(r, UIO_VFIO_NODE_GROUP, g, path, sizeof(path));
			rc = uio_node_create(path, &r->groups[g].node_dev,
					     &r->groups[g].node_ino);
			if (rc)
				break;
		}
		memcpy(d->bdf, devs[i].bdf, sizeof(d->bdf));
		d->bdf[sizeof(d->bdf) - 1] = 0;
		d->group = g;
		d->index = i;
		d->vpci_off = off;
		off += uio_vpci_size();
		d->pci_off = off;
		off += uio_pci_dev_size(models[i]);
		r->ndevices = i + 1;
		uio_vfio_node_file(r, UIO_VFIO_NODE_DEVICE, i, path, sizeof(path));
		rc = uio_node_create(path, &d->node_dev, &d->node_ino);
		if (rc)
			break;
		pdev = uio_vfio_pci(r, d);
		rc = uio_pci_dev_init(pdev, models[i], devs[i].model[0] ?
				      devs[i].model : UIO_MODEL_DEFAULT);
		if (rc)
			break;
		for (unsigned int b = 0; b < UIO_PCI_NUM_BARS; b++)
			if (pdev->bars[b].size)
				uio_pci_set_bar_start(pdev, b,
						      uio_bar_base(i, &pdev->bars[b]));
		uio_vpci_init(uio_vfio_vpci(r, d), pdev);
	}
	if (rc) {
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
		uio_sys_munmap(r, size);
		return rc;
	}
	__atomic_store_n(&r->magic, UIO_VFIO_MAGIC, __ATOMIC_RELEASE);
	uio_sys_munmap(r, size);
	return 0;
}

/* ------------------------------------------------------------------ */
/* mapping, in each process */

static void uio_vreg_setup(void)
{
	const char *rundir = getenv("UIOMMUFD_RUNDIR");
	struct uio_vfio_registry *r;
	char path[512];
	struct stat st;
	long p;
	int fd;

	if (!rundir || !*rundir) {
		uio_debug(UIO_DEBUG_VFIO, "no VFIO devices: UIOMMUFD_RUNDIR is not set (run under uiommufd-run --vfio-device BDF)");
		return;
	}
	snprintf(path, sizeof(path), "%s/registry", rundir);
	fd = uio_sys_openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		uio_debug(UIO_DEBUG_VFIO, "no VFIO devices: cannot open %s: %s (has the launch that made it ended?)", path, strerror(-fd));
		return;
	}
	if (uio_sys_fstat(fd, &st) || (size_t)st.st_size < sizeof(*r)) {
		uio_debug(UIO_DEBUG_VFIO, "no VFIO devices: %s is truncated", path);
		uio_sys_close(fd);
		return;
	}
	p = uio_sys_mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
	uio_sys_close(fd);
	if (p < 0 && p > -4096) {
		uio_debug(UIO_DEBUG_VFIO, "no VFIO devices: cannot map %s: %s", path, strerror((int)-p));
		return;
	}
	r = (struct uio_vfio_registry *)p;
	if (__atomic_load_n(&r->magic, __ATOMIC_ACQUIRE) != UIO_VFIO_MAGIC ||
	    r->version != UIO_VFIO_VERSION || r->size != (uint64_t)st.st_size) {
		uio_debug(UIO_DEBUG_VFIO, "no VFIO devices: %s is of another version of uiommufd (or not finished)", path);
		uio_sys_munmap(r, (size_t)st.st_size);
		return;
	}
	uio_vfio_bus_init();
	uio_vreg = r;
	uio_debug(UIO_DEBUG_VFIO, "%u devices in %u groups from %s", r->ndevices, r->ngroups, path);
}

struct uio_vfio_registry *uio_vfio_registry(void)
{
	pthread_once(&uio_vreg_once, uio_vreg_setup);
	return uio_vreg;
}

/* ------------------------------------------------------------------ */
/* open files and their lock bytes */

int uio_vfio_lock_slot(int fd, unsigned int slot)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = 1 + slot, .l_len = 1 };
	long fl = uio_sys_fcntl_long(fd, F_GETFL, 0);

	if (fl < 0)
		return (int)fl;
	/* A read lock needs a file open for reading: a write-only open
	 * (a cdev may be opened so) holds its byte with a write lock. Both
	 * show to the probes, which ask about a write lock. */
	if ((fl & O_ACCMODE) == O_WRONLY)
		lk.l_type = F_WRLCK;
	return uio_sys_fcntl(fd, F_OFD_SETLK, &lk);
}

/* Whether an open file other than probe's own holds slot's lock. */
static int uio_slot_locked(int probe, unsigned int slot)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = 1 + slot, .l_len = 1 };
	int rc = uio_sys_fcntl(probe, F_OFD_GETLK, &lk);

	return rc ? rc : lk.l_type != F_UNLCK;
}

static int uio_node_open(struct uio_vfio_registry *r, int node, uint32_t index)
{
	char path[512];

	uio_vfio_node_file(r, node, index, path, sizeof(path));
	return uio_sys_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
}

int uio_vfio_slot_alive(struct uio_vfio_registry *r, int node, uint32_t index,
			unsigned int slot)
{
	int probe = uio_node_open(r, node, index), rc;

	if (probe < 0)
		return probe;
	rc = uio_slot_locked(probe, slot);
	uio_sys_close(probe);
	return rc;
}

bool uio_vfio_fd_holds_slot(struct uio_vfio_registry *r, int fd, int node,
			    uint32_t index, unsigned int slot)
{
	int probe;
	bool held;

	/* Someone holds the lock (a fresh open sees it) and it is fd's own
	 * (it does not conflict with fd's open file). */
	probe = uio_node_open(r, node, index);
	if (probe < 0)
		return false;
	held = uio_slot_locked(probe, slot) > 0 && uio_slot_locked(fd, slot) == 0;
	uio_sys_close(probe);
	return held;
}

int uio_vfio_slot_of_fd(struct uio_vfio_registry *r, int fd, int node,
			uint32_t index)
{
	unsigned int nslots = node == UIO_VFIO_NODE_GROUP ? 1 : UIO_VFIO_MAX_FILES;
	int probe = uio_node_open(r, node, index), found = -1;

	if (probe < 0)
		return -1;
	/*
	 * The slot whose lock the fresh open sees held (someone holds it) but
	 * fd does not see (fd's own lock does not conflict with itself).
	 */
	for (unsigned int s = 0; s < nslots && found < 0; s++)
		if (uio_slot_locked(probe, s) > 0 && uio_slot_locked(fd, s) == 0)
			found = (int)s;
	uio_sys_close(probe);
	return found;
}
