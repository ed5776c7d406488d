/* SPDX-License-Identifier: MIT */
/*
 * lib/vfio: VFIO groups, device files and the cdev path, as the kernel's
 * drivers/vfio (group.c, vfio_main.c, device_cdev.c, iommufd.c), for the
 * emulated PCI devices of a launch. vfio-pci itself is lib/vfio/pci.
 *
 * The registry
 * ------------
 * The devices of one launch (uiommufd-run --vfio-device ...) live in one
 * file of the launch's run directory, RUNDIR/registry, which every process
 * of the launch finds by name (UIOMMUFD_RUNDIR) and maps: the groups, the
 * devices, their open files and bindings, and, after them, each device's
 * vfio-pci state and PCI device (lib/hw/pci) with its model's state. It is
 * mapped at a different address in each process, so it holds offsets, not
 * pointers. One robust process-shared mutex, the registry lock, guards
 * everything in it but the PCI devices (each has its own device lock).
 *
 * Files
 * -----
 * The nodes /dev/vfio/N and /dev/vfio/devices/vfioX are regular files in
 * RUNDIR/dev/vfio (the preload layer redirects the paths there). An open
 * of one is a real open of that file: a new open file description, which
 * fork, dup and SCM_RIGHTS share natively. Each open file of a node has a
 * slot in the registry and holds an OFD read lock on byte 1 + slot of the
 * node, which lives exactly as long as the open file. So:
 *   - which slot an fd is: cached in the process's fd -> file table, and
 *     found again by probing the locks where the cache is gone (exec);
 *   - a close that was the last reference anywhere: after the real
 *     close, nobody holds that lock byte;
 *   - open files whose every holder exited or was killed: their lock is
 *     gone too; the registry sweeps such slots whenever it matters (an
 *     open, GET_DEVICE_FD, BIND_IOMMUFD, UNSET_CONTAINER) and releases
 *     them as the kernel's release() would have.
 * Device fds from VFIO_GROUP_GET_DEVICE_FD are open files of the device's
 * node too, marked as group-opened.
 *
 * Contexts are named by their id (iommufd.h): a group set to a container,
 * a device bound to an iommufd, hold the context's id, and each process
 * finds the context itself.
 *
 * Lock order: registry lock, then a device lock (lib/hw/pci), then a
 * context's lock (through iommufd.h). The virqfd service's lock
 * (virqfd.c) is a leaf.
 *
 * Prefix: uio_vfio_.
 */
#ifndef UIO_VFIO_H
#define UIO_VFIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UIO_VFIO_MAX_DEVICES 32
#define UIO_VFIO_MAX_FILES 64

/* Device numbers the nodes show (dynamic in the kernel). */
#define UIO_VFIO_GROUP_MAJOR 243
#define UIO_VFIO_CDEV_MAJOR 238

struct uio_vfio_group {
	uint32_t number;               /* /dev/vfio/N */
	uint64_t node_dev, node_ino;   /* its node file */
	/* the one open file of the node (slot 0), while it lives */
	bool opened;
	uint32_t opened_gen;
	uint64_t iommufd;              /* SET_CONTAINER's context, or 0 */
	uint32_t cdev_device_open_cnt;
};

enum uio_vfio_file_state {
	UIO_VFIO_FILE_FREE,
	UIO_VFIO_FILE_CDEV,            /* opened through the cdev */
	UIO_VFIO_FILE_GROUP,           /* from VFIO_GROUP_GET_DEVICE_FD */
};

/* An open file of a device node. */
struct uio_vfio_file {
	uint8_t state;                 /* enum uio_vfio_file_state */
	bool access_granted;           /* bound (cdev) or opened (group) */
	uint32_t gen;                  /* bumped at every use of the slot */
	uint64_t iommufd;              /* the context it is opened in */
};

struct uio_vfio_device {
	char bdf[16];
	uint32_t group;                /* index in groups[] */
	uint32_t index;                /* /dev/vfio/devices/vfioX */
	uint64_t node_dev, node_ino;   /* the cdev's node file */
	struct uio_vfio_file files[UIO_VFIO_MAX_FILES];
	uint32_t open_count;           /* vfio_device's open_count */
	bool cdev_opened;
	/* the iommufd binding (vfio_iommufd_physical_*) */
	uint64_t iommufd;              /* context id, or 0 */
	uint32_t devid;
	bool attached;
	/* vfio-pci's state, and the PCI device, in this file */
	uint64_t vpci_off;
	uint64_t pci_off;
};

struct uio_vfio_registry {
	uint64_t magic;
	uint32_t version;
	uint32_t ndevices;
	uint32_t ngroups;
	uint64_t size;                 /* of the file */
	pthread_mutex_t lock;          /* the registry lock */
	char rundir[256];
	struct uio_vfio_group groups[UIO_VFIO_MAX_DEVICES];
	struct uio_vfio_device devices[UIO_VFIO_MAX_DEVICES];
};

/* What the launcher gives for each device. */
struct uio_vfio_device_spec {
	char bdf[16];
	uint32_t group;
	char model[256];               /* a built-in name or a .so path */
};

/* registry.c ---------------------------------------------------------- */

/*
 * Create RUNDIR/registry and the node files for devices (the launcher),
 * building each PCI device from its model. 0 or -errno; msg (if given)
 * gets a one-line reason.
 */
int uio_vfio_registry_create(const char *rundir,
			     const struct uio_vfio_device_spec *devs,
			     unsigned int n, char *msg, size_t msglen);
/* This process's mapping of the launch's registry, or NULL if none. */
struct uio_vfio_registry *uio_vfio_registry(void);
void uio_vfio_lock(struct uio_vfio_registry *r);
void uio_vfio_unlock(struct uio_vfio_registry *r);
/* Shared state at off of the registry file. */
void *uio_vfio_at(struct uio_vfio_registry *r, uint64_t off);
struct uio_pci_dev *uio_vfio_pci(struct uio_vfio_registry *r,
				 struct uio_vfio_device *d);
struct uio_vfio_pci *uio_vfio_vpci(struct uio_vfio_registry *r,
				   struct uio_vfio_device *d);

/* The node of path under RUNDIR/dev/vfio: a group or a device, or 0. */
enum uio_vfio_node { UIO_VFIO_NODE_NONE, UIO_VFIO_NODE_GROUP, UIO_VFIO_NODE_DEVICE };
int uio_vfio_node_path(struct uio_vfio_registry *r, const char *path,
		       uint32_t *index);
/* The path of a node's file under RUNDIR. */
void uio_vfio_node_file(struct uio_vfio_registry *r, int node, uint32_t index,
			char *buf, size_t len);

/*
 * Open files (the lock bytes). Slot k of a node's open files is lock byte
 * 1 + k of its node file.
 */
int uio_vfio_lock_slot(int fd, unsigned int slot);
/* Whether an open file other than fd's own holds slot's lock: by probing
 * from a fresh open of the node. -errno if the node cannot be opened. */
int uio_vfio_slot_alive(struct uio_vfio_registry *r, int node, uint32_t index,
			unsigned int slot);
/* Which slot the open file of fd holds, among those in use; -1 if none. */
int uio_vfio_slot_of_fd(struct uio_vfio_registry *r, int fd, int node,
			uint32_t index);
/* Whether fd is an open file of the node that holds slot's lock. */
bool uio_vfio_fd_holds_slot(struct uio_vfio_registry *r, int fd, int node,
			    uint32_t index, unsigned int slot);

/* group.c, vfio_main.c: file kinds for the fd -> file table ------------ */
struct uio_file_ops;
extern const struct uio_file_ops uio_vfio_group_fops;
extern const struct uio_file_ops uio_vfio_device_fops;
/*
 * A program opened a node file (the preload's open found it under
 * RUNDIR/dev/vfio): make the new fd a group or device file, or refuse
 * (the fd is then closed). 0 or -errno.
 */
int uio_vfio_adopt(int fd, int node, uint32_t index);

/*
 * path_noexec() of a device fd's file, for mmap's PROT_EXEC check: a
 * group-opened one is an anonymous inode (noexec), a cdev is in /dev.
 */
bool uio_vfio_device_noexec(uint32_t idx);

/* Release what dead open files held (callers hold the registry lock). */
void uio_vfio_sweep_device(struct uio_vfio_registry *r,
			   struct uio_vfio_device *d);
void uio_vfio_sweep_group(struct uio_vfio_registry *r,
			  struct uio_vfio_group *g);

/*
 * vfio_main.c: a private duplicate of a device fd (a BAR mapping's hold
 * on its file) goes: closed as close() closes, so that the last reference
 * anywhere releases the file. file is the open file's index from the
 * fd -> file table. Nothing is closed if fd is no longer that open file.
 */
void uio_vfio_device_file_put(int fd, uint32_t file);
/* vfio_main.c: a device file's last close anywhere (registry locked). */
void uio_vfio_file_release(struct uio_vfio_registry *r,
			   struct uio_vfio_device *d, unsigned int slot);
/*
 * VFIO_GROUP_GET_DEVICE_FD: a new device file of d, opened in its group's
 * context (registry locked). The fd, or -errno.
 */
int uio_vfio_device_group_open(struct uio_vfio_registry *r,
			       struct uio_vfio_device *d, unsigned int flags);
/*
 * vfio_file_is_group() and the group of an fd, for PCI_HOT_RESET's group
 * fds: the index in groups[] of the group fd's open group, -EBADF if fd
 * is not open, -EINVAL if it is no group file.
 */
int uio_vfio_group_of_fd(int fd);
/* group.c: open("/dev/vfio/N") of this group's node (the new fd). */
int uio_vfio_group_adopt(struct uio_vfio_registry *r, int fd, uint32_t index);
/* The PCI devices' bus (DMA, interrupts), set in each process. */
void uio_vfio_bus_init(void);

/* trace.c: the decoders of the group's and the device's calls, and of
 * trapped loads and stores to a mapped BAR (for uio_trap_set_trace). */
struct uio_trace_ops;
extern const struct uio_trace_ops uio_vfio_group_trace;
extern const struct uio_trace_ops uio_vfio_device_trace;
void uio_vfio_trace_trap(void *priv, uint64_t off, const void *buf, unsigned len,
			 bool write, int rc);

/* virqfd.c: eventfds that make VFIO act when signalled ---------------- */
/*
 * A virqfd (the kernel's struct virqfd), in shared memory: who watches
 * the eventfd (the process that enabled it: pid << 32 | its private
 * duplicate, 0 if none), the pid's start time, and a generation bumped by
 * every enable and disable. See virqfd.c.
 */
struct uio_virqfd {
	_Atomic uint64_t word;
	uint64_t start_time;
	uint32_t gen;
};
/* What a signal does: called in the watching process's service thread,
 * the registry locked, with the dev and arg given to enable. */
typedef void uio_virqfd_fn(struct uio_vfio_registry *r, uint32_t dev,
			   uint32_t arg);
/*
 * vfio_virqfd_enable() (registry locked): watch eventfd fd; each signal
 * consumes its count and runs fn. 0, -EBADF (no fd), -EINVAL (not an
 * eventfd), -EBUSY (v already enabled), -ENOMEM.
 */
int uio_virqfd_enable(struct uio_virqfd *v, int fd, uio_virqfd_fn *fn,
		      uint32_t dev, uint32_t arg);
/* vfio_virqfd_disable() (registry locked): no fn runs for v once this
 * returns. */
void uio_virqfd_disable(struct uio_virqfd *v);
bool uio_virqfd_enabled(struct uio_virqfd *v);
/* eventfd_ctx_fdget()'s checks of fd: 0, -EBADF or -EINVAL. */
int uio_virqfd_check_eventfd(int fd);

/* iommufd.c: the only caller of the core's kAPI ------------------------ */
struct uio_ctx;
/* Registry locked: the group's other devices are looked at. */
int uio_vfio_iommufd_bind(struct uio_vfio_registry *r, struct uio_vfio_device *d,
			  struct uio_ctx *ctx);
void uio_vfio_iommufd_unbind(struct uio_vfio_device *d);
int uio_vfio_iommufd_attach(struct uio_vfio_device *d, uint32_t *pt_id);
void uio_vfio_iommufd_detach(struct uio_vfio_device *d);
int uio_vfio_iommufd_compat_attach(struct uio_vfio_device *d);
/* DMA by the device, for the PCI layer's bus. */
int uio_vfio_iommufd_dma(struct uio_vfio_device *d, uint64_t iova, void *buf,
			 size_t len, bool write);
/* A copy engine's transfer, for the PCI layer's bus; *bad: failed IOVA. */
int uio_vfio_iommufd_dma_copy(struct uio_vfio_device *d, uint64_t dst,
			      uint64_t src, size_t len, uint64_t *bad);
/* The context of the iommufd fd (held by the caller's uio_core_enter()),
 * or NULL with *err -EBADF or -EBADFD, as iommufd_ctx_from_fd(). */
struct uio_ctx *uio_vfio_iommufd_ctx_from_fd(int fd, int *err);
/* UNSET_CONTAINER's and the group release's part: the hold goes. */
void uio_vfio_iommufd_container_put(uint64_t id);
/* SET_CONTAINER's part: the context of fd, and its compat IOAS. */
int uio_vfio_iommufd_container(int fd, uint64_t *id);

#endif
