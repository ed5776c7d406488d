// SPDX-License-Identifier: MIT
/*
 * sysfs: the testbed tree of a launch (sysfs.h). What each file holds
 * follows Linux 6.12 (drivers/pci/pci-sysfs.c, pci-driver.c, pci.c,
 * drivers/base/, drivers/vfio/, drivers/iommu/iommu.c, iommu-sysfs.c,
 * intel/iommu.c, lib/fault-inject.c, mm/failslab.c, mm/fail_page_alloc.c)
 * with Debian's configuration (PCI_IOV, NUMA, PM, ACPI; the default
 * domain lazy, so a group's type is DMA-FQ).
 *
 * Building has two steps. First the emulated entries are written, each
 * at its sysfs location below RUNDIR. Then every directory of RUNDIR that
 * the host also has is merged with it: each host entry we did not write
 * gets a symlink (the host's own target if the entry is a symlink, else
 * an absolute link to the host entry), so that relative links, which are
 * copied verbatim, resolve inside RUNDIR as they do in /sys. The walk
 * writes RUNDIR/index for the preload.
 *
 * This runs in the launcher, not under the preload: it uses libc freely.
 */
#include "sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define V_MAX 512 /* a virtual path, relative to RUNDIR ("sys/bus/pci") */

struct hidden {
	char dir[V_MAX];
	char name[256];
};

struct bld {
	int root;                  /* RUNDIR */
	int err;                   /* the first -errno */
	struct hidden hide[64];
	unsigned int nhide;
	char *index;               /* RUNDIR/index being made */
	size_t len, cap;
	char **copied;             /* host symlinks copied verbatim */
	size_t ncopied, capcopied;
	char cpulist[256], cpumask[256];
	char dmar[32];             /* our IOMMU's name */
	char owned[128][V_MAX];    /* ours even where the host has them */
	unsigned int nowned;
};

static void fail(struct bld *b, int e)
{
	if (!b->err)
		b->err = e ? -e : -EIO;
}

static void vfmt(char out[V_MAX], const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vfmt(char out[V_MAX], const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, V_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= V_MAX)
		out[0] = 0; /* the *at calls then fail with ENOENT */
}

/* mkdir -p of virtual path v below RUNDIR. */
static void mkdirs(struct bld *b, const char *v)
{
	char p[V_MAX];
	size_t n = strlen(v);

	if (!n || n >= sizeof(p)) {
		fail(b, ENAMETOOLONG);
		return;
	}
	memcpy(p, v, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i])
			continue;
		p[i] = 0;
		if (mkdirat(b->root, p, 0755) && errno != EEXIST)
			fail(b, errno);
		if (i < n)
			p[i] = '/';
	}
}

static void mkparent(struct bld *b, const char *v)
{
	char p[V_MAX];
	char *slash;

	snprintf(p, sizeof(p), "%s", v);
	slash = strrchr(p, '/');
	if (slash) {
		*slash = 0;
		mkdirs(b, p);
	}
}

/* A file of len bytes at v, with mode; size bytes long if larger (sparse). */
static void put_data(struct bld *b, mode_t mode, const char *v, const void *data,
		     size_t len, uint64_t size)
{
	int fd;

	mkparent(b, v);
	fd = openat(b->root, v, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		fail(b, errno);
		return;
	}
	if ((len && write(fd, data, len) != (ssize_t)len) ||
	    (size > len && ftruncate(fd, (off_t)size)) || fchmod(fd, mode))
		fail(b, errno);
	close(fd);
}

static void put(struct bld *b, mode_t mode, const char *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void put(struct bld *b, mode_t mode, const char *v, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		fail(b, EOVERFLOW);
		return;
	}
	put_data(b, mode, v, text, (size_t)n, 0);
}

static void lnk(struct bld *b, const char *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void lnk(struct bld *b, const char *v, const char *fmt, ...)
{
	char target[V_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(target, sizeof(target), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(target)) {
		fail(b, ENAMETOOLONG);
		return;
	}
	mkparent(b, v);
	if (symlinkat(target, b->root, v) && errno != EEXIST)
		fail(b, errno);
}

static void hide(struct bld *b, const char *dir, const char *name)
{
	struct hidden *h;

	if (b->nhide == sizeof(b->hide) / sizeof(b->hide[0]))
		return;
	h = &b->hide[b->nhide++];
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	snprintf(h->name, sizeof(h->name), "%s", name);
	mkdirs(b, dir); /* so that the walk merges it */
}

/* v is emulated as a whole: it replaces a host entry of that name. */
static void own(struct bld *b, const char *v)
{
	if (b->nowned == sizeof(b->owned) / sizeof(b->owned[0])) {
		fail(b, ENOSPC);
		return;
	}
	snprintf(b->owned[b->nowned++], V_MAX, "%s", v);
}

static bool owned(const struct bld *b, const char *v)
{
	for (unsigned int i = 0; i < b->nowned; i++)
		if (!strcmp(b->owned[i], v))
			return true;
	return false;
}

static bool hidden(const struct bld *b, const char *dir, const char *name)
{
	for (unsigned int i = 0; i < b->nhide; i++)
		if (!strcmp(b->hide[i].dir, dir) && !strcmp(b->hide[i].name, name))
			return true;
	return false;
}

static void index_add(struct bld *b, char kind, const char *v)
{
	size_t need = strlen(v) + 4;

	if (b->len + need + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + need;
		char *p = realloc(b->index, cap);

		if (!p) {
			fail(b, ENOMEM);
			return;
		}
		b->index = p;
		b->cap = cap;
	}
	b->len += (size_t)sprintf(b->index + b->len, "%c /%s\n", kind, v);
}

/* ------------------------------------------------------------------ */
/* the host's CPUs */

/* Read a one-line file into buf (newline stripped); false if absent. */
static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* A cpulist ("0-3,8") into a bitmap of up to 8192 bits; returns the highest + 1. */
static unsigned int parse_cpulist(const char *s, uint32_t *bits, unsigned int nbits)
{
	unsigned int top = 0;

	while (*s) {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;

		if (end == s)
			break;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi && c < nbits; c++) {
			bits[c / 32] |= 1u << (c % 32);
			if (c + 1 > top)
				top = (unsigned int)c + 1;
		}
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			break;
	}
	return top;
}

/*
 * local_cpus and local_cpulist of a device with no NUMA node: the online
 * CPUs, as cpumap_print_to_pagebuf() prints them (nr_cpu_ids bits in
 * 32-bit groups, the first group only as wide as it needs).
 */
static void host_cpus(struct bld *b)
{
	static uint32_t online[256];
	uint32_t possible[256] = { 0 };
	char poss[256];
	unsigned int nbits, chunk;
	size_t n = 0;

	memset(online, 0, sizeof(online));
	if (!read_line("/sys/devices/system/cpu/online", b->cpulist, sizeof(b->cpulist)))
		snprintf(b->cpulist, sizeof(b->cpulist), "0");
	parse_cpulist(b->cpulist, online, 8192);
	nbits = read_line("/sys/devices/system/cpu/possible", poss, sizeof(poss)) ?
			parse_cpulist(poss, possible, 8192) : 0;
	if (!nbits)
		nbits = parse_cpulist(b->cpulist, possible, 8192);
	if (!nbits)
		nbits = 1;
	chunk = nbits % 32 ? nbits % 32 : 32;
	for (int i = (int)((nbits + 31) / 32) - 1; i >= 0 && n < sizeof(b->cpumask) - 12; i--) {
		uint32_t v = online[i] & (chunk == 32 ? ~0u : (1u << chunk) - 1);

		n += (size_t)snprintf(b->cpumask + n, sizeof(b->cpumask) - n, "%s%0*x",
				      n ? "," : "", (int)((chunk + 3) / 4), v);
		chunk = 32;
	}
}

/* ------------------------------------------------------------------ */
/* config space */

static uint16_t cfg16(const uint8_t *c, uint32_t off)
{
	return (uint16_t)(c[off] | c[off + 1] << 8);
}

static uint32_t cfg32(const uint8_t *c, uint32_t off)
{
	return (uint32_t)cfg16(c, off) | (uint32_t)cfg16(c, off + 2) << 16;
}

/* The offset of capability id in the list, or 0. */
static uint32_t find_cap(const uint8_t *c, uint32_t size, uint8_t id)
{
	uint32_t pos;

	if (size < 64 || !(cfg16(c, 0x06) & 0x10)) /* status: capability list */
		return 0;
	pos = c[0x34] & 0xfc;
	for (int ttl = 48; pos >= 0x40 && pos + 2 <= size && ttl--; ) {
		if (c[pos] == id)
			return pos;
		pos = c[pos + 1] & 0xfc;
	}
	return 0;
}

uint64_t uio_sysfs_bar_flags(bool io, bool mem64, bool prefetch)
{
	if (io)
		return UIO_IORESOURCE_IO | UIO_IORESOURCE_SIZEALIGN | 0x1;
	return UIO_IORESOURCE_MEM | UIO_IORESOURCE_SIZEALIGN |
	       (mem64 ? UIO_IORESOURCE_MEM_64 | 0x4 : 0) |
	       (prefetch ? UIO_IORESOURCE_PREFETCH | 0x8 : 0);
}

void uio_sysfs_dev_from_config(struct uio_sysfs_dev *d, const uint8_t *c,
			       uint32_t size)
{
	if (!c || size < 64)
		return;
	d->vendor = cfg16(c, 0x00);
	d->device = cfg16(c, 0x02);
	d->revision = c[0x08];
	d->class_code = cfg32(c, 0x08) >> 8;
	d->subsystem_vendor = cfg16(c, 0x2c);
	d->subsystem_device = cfg16(c, 0x2e);
	d->irq_pin = c[0x3d];
	for (unsigned int i = 0; i < 6; i++) {
		uint32_t v = cfg32(c, 0x10 + 4 * i);
		bool io = v & 1, m64 = !io && (v & 6) == 4;

		if (io)
			d->bars[i].start = v & ~3u;
		else
			d->bars[i].start = (v & ~0xfu) |
					   (m64 && i < 5 ? (uint64_t)cfg32(c, 0x14 + 4 * i) << 32 : 0);
		d->bars[i].flags = uio_sysfs_bar_flags(io, m64, !io && (v & 8));
		if (m64 && i < 5) {
			i++;
			d->bars[i].start = 0;
			d->bars[i].flags = 0;
		}
	}
	d->bars[6].start = cfg32(c, 0x30) & ~0x7ffu;
	d->bars[6].flags = UIO_SYSFS_ROM_FLAGS;
	d->msi = find_cap(c, size, 0x05) != 0;
	d->msix = find_cap(c, size, 0x11) != 0;
	if (!d->config) {
		d->config = c;
		d->config_size = size;
	}
}

bool uio_sysfs_parse_bdf(const char *s, char out[16])
{
	static const unsigned int width[4] = { 4, 2, 2, 1 };
	static const unsigned int max[4] = { 0xffff, 0xff, 0x1f, 0x7 };
	static const char sep[4] = { ':', ':', '.', 0 };
	unsigned int v[4];

	for (int f = 0; f < 4; f++) {
		v[f] = 0;
		for (unsigned int k = 0; k < width[f]; k++, s++) {
			int c = *s;

			if (c >= '0' && c <= '9')
				v[f] = v[f] * 16 + (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v[f] = v[f] * 16 + (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v[f] = v[f] * 16 + (unsigned int)(c - 'A' + 10);
			else
				return false;
		}
		if (v[f] > max[f] || *s++ != sep[f])
			return false;
	}
	snprintf(out, 16, "%04x:%02x:%02x.%x", v[0], v[1], v[2], v[3]);
	return true;
}

/* ------------------------------------------------------------------ */
/* one device */

static const char *speed_string(unsigned int code)
{
	static const char *const s[] = { NULL, "2.5 GT/s PCIe", "5.0 GT/s PCIe",
					  "8.0 GT/s PCIe", "16.0 GT/s PCIe",
					  "32.0 GT/s PCIe", "64.0 GT/s PCIe" };

	return code >= 1 && code <= 6 ? s[code] : "Unknown";
}

/* power/ of a device with runtime PM, active (drivers/base/power/sysfs.c). */
static void power_dir(struct bld *b, const char *dir)
{
	char v[V_MAX];

	vfmt(v, "%s/power/control", dir);
	put(b, 0644, v, "auto\n");
	vfmt(v, "%s/power/runtime_status", dir);
	put(b, 0444, v, "active\n");
	vfmt(v, "%s/power/runtime_active_time", dir);
	put(b, 0444, v, "0\n");
	vfmt(v, "%s/power/runtime_suspended_time", dir);
	put(b, 0444, v, "0\n");
}

/* A class device with a device number: dev, uevent, power/, subsystem. */
static void class_dev(struct bld *b, const char *dir, unsigned int major,
		      unsigned int minor, const char *devname, const char *devmode,
		      const char *subsystem)
{
	char v[V_MAX];

	vfmt(v, "%s/dev", dir);
	put(b, 0444, v, "%u:%u\n", major, minor);
	vfmt(v, "%s/uevent", dir);
	put(b, 0644, v, "MAJOR=%u\nMINOR=%u\nDEVNAME=%s\n%s%s%s", major, minor,
	    devname, devmode ? "DEVMODE=" : "", devmode ? devmode : "",
	    devmode ? "\n" : "");
	vfmt(v, "%s/subsystem", dir);
	lnk(b, v, "%s", subsystem);
	power_dir(b, dir);
}

static void build_dev(struct bld *b, const struct uio_sysfs_dev *d, bool *roots_made)
{
	const uint8_t *c = d->config;
	uint32_t csize = d->config_size;
	unsigned int dom = (unsigned int)strtoul(d->bdf, NULL, 16);
	unsigned int bus = (unsigned int)strtoul(d->bdf + 5, NULL, 16);
	char rootname[16], dir[V_MAX], v[V_MAX], resource[13 * 60];
	char modalias[96];
	size_t rlen = 0;
	uint32_t pcie = find_cap(c, csize, 0x10), pm = find_cap(c, csize, 0x01);
	const char *reset_methods = NULL;
	char resets[32] = "";

	snprintf(rootname, sizeof(rootname), "pci%04x:%02x", dom, bus);
	vfmt(dir, "sys/devices/%s/%s", rootname, d->bdf);
	mkdirs(b, dir);
	own(b, dir);

	/* The root bus, when the host has none of that name. */
	if (!*roots_made) {
		char host[V_MAX + 1];
		struct stat st;

		snprintf(host, sizeof(host), "/sys/devices/%s", rootname);
		if (lstat(host, &st)) {
			char busname[16];

			snprintf(busname, sizeof(busname), "%04x:%02x", dom, bus);
			vfmt(v, "sys/devices/%s/uevent", rootname);
			put(b, 0644, v, "%s", "");
			vfmt(v, "sys/devices/%s", rootname);
			power_dir(b, v);
			vfmt(v, "sys/devices/%s/pci_bus/%s", rootname, busname);
			power_dir(b, v);
			vfmt(v, "sys/devices/%s/pci_bus/%s/cpuaffinity", rootname, busname);
			put(b, 0444, v, "%s\n", b->cpumask);
			vfmt(v, "sys/devices/%s/pci_bus/%s/cpulistaffinity", rootname, busname);
			put(b, 0444, v, "%s\n", b->cpulist);
			vfmt(v, "sys/devices/%s/pci_bus/%s/rescan", rootname, busname);
			put(b, 0200, v, "%s", "");
			vfmt(v, "sys/devices/%s/pci_bus/%s/uevent", rootname, busname);
			put(b, 0644, v, "%s", "");
			vfmt(v, "sys/devices/%s/pci_bus/%s/subsystem", rootname, busname);
			lnk(b, v, "../../../../class/pci_bus");
			vfmt(v, "sys/devices/%s/pci_bus/%s/device", rootname, busname);
			lnk(b, v, "../../../%s", rootname);
			vfmt(v, "sys/class/pci_bus/%s", busname);
			lnk(b, v, "../../devices/%s/pci_bus/%s", rootname, busname);
		}
		*roots_made = true;
	}

#define F(mode, name, ...)                                                  \
	do {                                                                \
		vfmt(v, "%s/%s", dir, name);                                \
		put(b, mode, v, __VA_ARGS__);                               \
	} while (0)

	F(0444, "vendor", "0x%04x\n", d->vendor);
	F(0444, "device", "0x%04x\n", d->device);
	F(0444, "subsystem_vendor", "0x%04x\n", d->subsystem_vendor);
	F(0444, "subsystem_device", "0x%04x\n", d->subsystem_device);
	F(0444, "revision", "0x%02x\n", d->revision);
	F(0444, "class", "0x%06x\n", d->class_code);
	F(0444, "irq", "%u\n", d->irq);
	F(0444, "local_cpus", "%s\n", b->cpumask);
	F(0444, "local_cpulist", "%s\n", b->cpulist);
	snprintf(modalias, sizeof(modalias), "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X",
		 d->vendor, d->device, d->subsystem_vendor, d->subsystem_device,
		 (d->class_code >> 16) & 0xff, (d->class_code >> 8) & 0xff,
		 d->class_code & 0xff);
	F(0444, "modalias", "%s\n", modalias);
	F(0644, "numa_node", "%d\n", d->numa_node);
	/* vfio-pci sets no DMA mask: the PCI core's default, 32 bits. */
	F(0444, "dma_mask_bits", "32\n");
	F(0444, "consistent_dma_mask_bits", "32\n");
	/* vfio-pci enables the device when it is opened. */
	F(0644, "enable", "0\n");
	F(0644, "broken_parity_status", "0\n");
	F(0644, "msi_bus", "1\n");
	F(0644, "d3cold_allowed", "1\n");
	F(0444, "ari_enabled", "0\n");
	F(0444, "power_state", "D%u\n",
	  pm && pm + 6 <= csize ? (unsigned int)(cfg16(c, pm + 4) & 3) : 0u);
	F(0644, "driver_override", "vfio-pci\n");
	F(0220, "remove", "%s", "");
	F(0200, "rescan", "%s", "");
	F(0644, "uevent",
	  "DRIVER=vfio-pci\nPCI_CLASS=%04X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
	  "PCI_SLOT_NAME=%s\nMODALIAS=%s\n",
	  d->class_code, d->vendor, d->device, d->subsystem_vendor,
	  d->subsystem_device, d->bdf, modalias);
	vfmt(v, "%s/config", dir);
	put_data(b, 0644, v, c, csize, 0);

	/*
	 * resource: BARs 0-5, the ROM, the six SR-IOV BARs (CONFIG_PCI_IOV),
	 * up to PCI_BRIDGE_RESOURCES for an endpoint: 13 lines.
	 */
	for (unsigned int i = 0; i < 13; i++) {
		const struct uio_sysfs_bar *r = i < 7 ? &d->bars[i] : NULL;
		uint64_t start = r && r->size ? r->start : 0;
		uint64_t end = r && r->size ? r->start + r->size - 1 : 0;

		rlen += (size_t)snprintf(resource + rlen, sizeof(resource) - rlen,
					 "0x%016llx 0x%016llx 0x%016llx\n",
					 (unsigned long long)start, (unsigned long long)end,
					 (unsigned long long)(r && r->size ? r->flags : 0));
	}
	vfmt(v, "%s/resource", dir);
	put_data(b, 0444, v, resource, rlen, 0);
	for (unsigned int i = 0; i < 6; i++) {
		if (!d->bars[i].size)
			continue;
		vfmt(v, "%s/resource%u", dir, i);
		put_data(b, 0600, v, NULL, 0, d->bars[i].size);
		/* x86 can map write-combined (PAT): prefetchable BARs get a _wc file. */
		if (d->bars[i].flags & UIO_IORESOURCE_PREFETCH) {
			vfmt(v, "%s/resource%u_wc", dir, i);
			put_data(b, 0600, v, NULL, 0, d->bars[i].size);
		}
	}
	if (d->bars[6].size) {
		vfmt(v, "%s/rom", dir);
		put_data(b, 0600, v, NULL, 0, d->bars[6].size);
	}

	/* Reset methods in the kernel's order: FLR, then PM (no NoSoftReset). */
	if (pcie && pcie + 8 <= csize && (cfg32(c, pcie + 4) & (1u << 28)))
		strcat(resets, "flr");
	if (pm && pm + 6 <= csize && !(cfg16(c, pm + 4) & 0x8))
		strcat(resets, *resets ? " pm" : "pm");
	if (*resets)
		reset_methods = resets;
	if (reset_methods) {
		F(0200, "reset", "%s", "");
		F(0644, "reset_method", "%s\n", reset_methods);
	}

	/* PCI Express: the link files (an RCiEP has no link: Unknown, 0). */
	if (pcie && pcie + 0x30 <= csize) {
		unsigned int type = (cfg16(c, pcie + 2) >> 4) & 0xf;
		bool link = type == 0 || type == 1 || type == 4 || type == 5 ||
			    type == 6 || type == 7 || type == 8;
		uint32_t lnkcap = link ? cfg32(c, pcie + 0x0c) : 0;
		uint32_t lnkcap2 = link ? cfg32(c, pcie + 0x2c) : 0;
		uint16_t lnksta = link ? cfg16(c, pcie + 0x12) : 0;
		unsigned int maxspeed = lnkcap & 0xf;

		if (lnkcap2 & 0xfe)
			for (maxspeed = 7; maxspeed && !(lnkcap2 & (1u << maxspeed)); maxspeed--)
				;
		F(0444, "current_link_speed", "%s\n", speed_string(lnksta & 0xf));
		F(0444, "current_link_width", "%u\n", (lnksta >> 4) & 0x3f);
		F(0444, "max_link_width", "%u\n", (lnkcap >> 4) & 0x3f);
		F(0444, "max_link_speed", "%s\n", speed_string(maxspeed));
	}
	power_dir(b, dir);
#undef F

	/* Links, relative as the kernel makes them (the device is 2 deep). */
	vfmt(v, "%s/driver", dir);
	lnk(b, v, "../../../bus/pci/drivers/vfio-pci");
	vfmt(v, "%s/subsystem", dir);
	lnk(b, v, "../../../bus/pci");
	vfmt(v, "%s/iommu_group", dir);
	lnk(b, v, "../../../kernel/iommu_groups/%u", d->group);
	vfmt(v, "%s/iommu", dir);
	lnk(b, v, "../../virtual/iommu/%s", b->dmar);

	/* The VFIO cdev (class vfio-dev, child of the device). */
	{
		char cdev[V_MAX], name[32];

		snprintf(name, sizeof(name), "vfio/devices/vfio%u", d->cdev_index);
		vfmt(cdev, "%s/vfio-dev/vfio%u", dir, d->cdev_index);
		class_dev(b, cdev, UIO_SYSFS_CDEV_MAJOR, d->cdev_index, name, NULL,
			  "../../../../../class/vfio-dev");
		vfmt(v, "%s/device", cdev);
		lnk(b, v, "../../../%s", d->bdf);
		vfmt(v, "sys/class/vfio-dev/vfio%u", d->cdev_index);
		lnk(b, v, "../../devices/%s/%s/vfio-dev/vfio%u", rootname, d->bdf,
		    d->cdev_index);
		vfmt(v, "sys/dev/char/%u:%u", UIO_SYSFS_CDEV_MAJOR, d->cdev_index);
		lnk(b, v, "../../devices/%s/%s/vfio-dev/vfio%u", rootname, d->bdf,
		    d->cdev_index);
		vfmt(v, "dev/vfio/devices/vfio%u", d->cdev_index);
		put(b, 0666, v, "%s", "");
	}

	/* Where the bus, the driver, the group and the IOMMU list it. */
	vfmt(v, "sys/bus/pci/devices/%s", d->bdf);
	lnk(b, v, "../../../devices/%s/%s", rootname, d->bdf);
	vfmt(v, "sys/bus/pci/drivers/vfio-pci/%s", d->bdf);
	lnk(b, v, "../../../../devices/%s/%s", rootname, d->bdf);
	vfmt(v, "sys/kernel/iommu_groups/%u/devices/%s", d->group, d->bdf);
	lnk(b, v, "../../../../devices/%s/%s", rootname, d->bdf);
	vfmt(v, "sys/devices/virtual/iommu/%s/devices/%s", b->dmar, d->bdf);
	lnk(b, v, "../../../../%s/%s", rootname, d->bdf);
}

/* An IOMMU group: reserved_regions (VT-d: the IOAPIC window), type. */
static void build_group(struct bld *b, uint32_t group)
{
	char v[V_MAX], name[16];

	vfmt(v, "sys/kernel/iommu_groups/%u", group);
	mkdirs(b, v);
	own(b, v);
	vfmt(v, "sys/kernel/iommu_groups/%u/reserved_regions", group);
	put(b, 0444, v, "0x%016llx 0x%016llx msi\n", 0xfee00000ull, 0xfeefffffull);
	vfmt(v, "sys/kernel/iommu_groups/%u/type", group);
	put(b, 0644, v, "DMA-FQ\n");
	/* The VFIO group: class vfio, no parent, node /dev/vfio/N. */
	vfmt(v, "sys/devices/virtual/vfio/%u", group);
	own(b, v);
	snprintf(name, sizeof(name), "vfio/%u", group);
	class_dev(b, v, UIO_SYSFS_GROUP_MAJOR, group, name, NULL, "../../../../class/vfio");
	vfmt(v, "sys/class/vfio/%u", group);
	lnk(b, v, "../../devices/virtual/vfio/%u", group);
	vfmt(v, "sys/dev/char/%u:%u", UIO_SYSFS_GROUP_MAJOR, group);
	lnk(b, v, "../../devices/virtual/vfio/%u", group);
	vfmt(v, "dev/vfio/%u", group);
	put(b, 0666, v, "%s", "");
}

/* ------------------------------------------------------------------ */
/* what every launch has: the modules, the IOMMU, the misc nodes */

struct param {
	const char *name;
	mode_t mode;
	const char *value;
};

static void module(struct bld *b, const char *name, const char *version,
		   unsigned int coresize, unsigned int refcnt,
		   const char *const *holders, const struct param *params)
{
	char v[V_MAX];

	vfmt(v, "sys/module/%s", name);
	mkdirs(b, v);
	own(b, v);
	vfmt(v, "sys/module/%s/coresize", name);
	put(b, 0444, v, "%u\n", coresize);
	vfmt(v, "sys/module/%s/initsize", name);
	put(b, 0444, v, "0\n");
	vfmt(v, "sys/module/%s/initstate", name);
	put(b, 0444, v, "live\n");
	vfmt(v, "sys/module/%s/refcnt", name);
	put(b, 0444, v, "%u\n", refcnt);
	vfmt(v, "sys/module/%s/taint", name);
	put(b, 0444, v, "\n");
	vfmt(v, "sys/module/%s/uevent", name);
	put(b, 0200, v, "%s", "");
	if (version) {
		vfmt(v, "sys/module/%s/version", name);
		put(b, 0444, v, "%s\n", version);
	}
	vfmt(v, "sys/module/%s/holders", name);
	mkdirs(b, v);
	for (; holders && *holders; holders++) {
		vfmt(v, "sys/module/%s/holders/%s", name, *holders);
		lnk(b, v, "../../%s", *holders);
	}
	for (; params && params->name; params++) {
		vfmt(v, "sys/module/%s/parameters/%s", name, params->name);
		put(b, params->mode, v, "%s\n", params->value);
	}
}

static void build_common(struct bld *b, unsigned int ndev)
{
	static const char *const vfio_holders[] = { "vfio_iommu_type1", "vfio_pci_core",
						    "vfio_pci", NULL };
	static const char *const core_holders[] = { "vfio_pci", NULL };
	static const char *const iommufd_holders[] = { "vfio", "vfio_pci_core", NULL };
	/* CONFIG_VFIO_NOIOMMU as most distributions have it. */
	static const struct param vfio_params[] = {
		{ "enable_unsafe_noiommu_mode", 0644, "N" }, { NULL, 0, NULL } };
	static const struct param type1_params[] = {
		{ "allow_unsafe_interrupts", 0644, "N" },
		{ "disable_hugepages", 0644, "N" },
		{ "dma_entry_limit", 0644, "65535" }, { NULL, 0, NULL } };
	/* 'ids' has permission 0: no file. */
	static const struct param pci_params[] = {
		{ "nointxmask", 0644, "N" }, { "disable_vga", 0444, "N" },
		{ "disable_idle_d3", 0644, "N" }, { "enable_sriov", 0644, "N" },
		{ "disable_denylist", 0444, "N" }, { NULL, 0, NULL } };
	static const struct param iommufd_params[] = {
		{ "allow_unsafe_interrupts", 0644, "N" }, { NULL, 0, NULL } };
	char v[V_MAX];

	module(b, "vfio", "0.3", 69632, 3 + ndev, vfio_holders, vfio_params);
	module(b, "vfio_iommu_type1", "0.2", 49152, 0, NULL, type1_params);
	module(b, "vfio_pci_core", NULL, 94208, 1, core_holders, NULL);
	module(b, "vfio_pci", NULL, 16384, 0, NULL, pci_params);
	module(b, "iommufd", NULL, 98304, 2, iommufd_holders, iommufd_params);
	lnk(b, "sys/module/vfio_pci/drivers/pci:vfio-pci",
	    "../../../bus/pci/drivers/vfio-pci");

	/* The driver. */
	mkdirs(b, "sys/bus/pci/drivers/vfio-pci");
	own(b, "sys/bus/pci/drivers/vfio-pci");
	put(b, 0200, "sys/bus/pci/drivers/vfio-pci/bind", "%s", "");
	put(b, 0200, "sys/bus/pci/drivers/vfio-pci/unbind", "%s", "");
	put(b, 0200, "sys/bus/pci/drivers/vfio-pci/new_id", "%s", "");
	put(b, 0200, "sys/bus/pci/drivers/vfio-pci/remove_id", "%s", "");
	put(b, 0200, "sys/bus/pci/drivers/vfio-pci/uevent", "%s", "");
	lnk(b, "sys/bus/pci/drivers/vfio-pci/module", "../../../../module/vfio_pci");

	/* The misc nodes /dev/vfio/vfio and /dev/iommu. */
	own(b, "sys/devices/virtual/misc/vfio");
	own(b, "sys/devices/virtual/misc/iommu");
	class_dev(b, "sys/devices/virtual/misc/vfio", UIO_SYSFS_MISC_MAJOR,
		  UIO_SYSFS_VFIO_MINOR, "vfio/vfio", "0666", "../../../../class/misc");
	lnk(b, "sys/class/misc/vfio", "../../devices/virtual/misc/vfio");
	vfmt(v, "sys/dev/char/%u:%u", UIO_SYSFS_MISC_MAJOR, UIO_SYSFS_VFIO_MINOR);
	lnk(b, v, "../../devices/virtual/misc/vfio");
	class_dev(b, "sys/devices/virtual/misc/iommu", UIO_SYSFS_MISC_MAJOR,
		  UIO_SYSFS_IOMMU_MINOR, "iommu", "0660", "../../../../class/misc");
	lnk(b, "sys/class/misc/iommu", "../../devices/virtual/misc/iommu");
	vfmt(v, "sys/dev/char/%u:%u", UIO_SYSFS_MISC_MAJOR, UIO_SYSFS_IOMMU_MINOR);
	lnk(b, v, "../../devices/virtual/misc/iommu");
	put(b, 0666, "dev/vfio/vfio", "%s", "");
	mkdirs(b, "sys/class/vfio-dev");
	mkdirs(b, "sys/class/vfio");
	mkdirs(b, "sys/kernel/iommu_groups");

	/*
	 * The Intel IOMMU the devices sit behind (intel/iommu.c's attributes),
	 * with a Skylake-SP's registers: 48-bit MGAW, 4-level tables, 64K
	 * domain ids.
	 */
	vfmt(v, "sys/devices/virtual/iommu/%s", b->dmar);
	mkdirs(b, v);
	own(b, v);
	vfmt(v, "sys/devices/virtual/iommu/%s/intel-iommu/version", b->dmar);
	put(b, 0444, v, "1:0\n");
	vfmt(v, "sys/devices/virtual/iommu/%s/intel-iommu/address", b->dmar);
	put(b, 0444, v, "fbffc000\n");
	vfmt(v, "sys/devices/virtual/iommu/%s/intel-iommu/cap", b->dmar);
	put(b, 0444, v, "8d2078c106f0466\n");
	vfmt(v, "sys/devices/virtual/iommu/%s/intel-iommu/ecap", b->dmar);
	put(b, 0444, v, "f020df\n");
	vfmt(v, "sys/devices/virtual/iommu/%s/intel-iommu/domains_supported", b->dmar);
	put(b, 0444, v, "65536\n");
	vfmt(v, "sys/devices/virtual/iommu/%s/intel-iommu/domains_used", b->dmar);
	put(b, 0444, v, "%u\n", ndev + 1);
	vfmt(v, "sys/devices/virtual/iommu/%s/devices", b->dmar);
	mkdirs(b, v);
	vfmt(v, "sys/devices/virtual/iommu/%s/uevent", b->dmar);
	put(b, 0644, v, "%s", "");
	vfmt(v, "sys/devices/virtual/iommu/%s/subsystem", b->dmar);
	lnk(b, v, "../../../../class/iommu");
	vfmt(v, "sys/devices/virtual/iommu/%s", b->dmar);
	power_dir(b, v);
	vfmt(v, "sys/class/iommu/%s", b->dmar);
	lnk(b, v, "../../devices/virtual/iommu/%s", b->dmar);

	/* Fault injection knobs (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC). */
	for (int i = 0; i < 2; i++) {
		const char *dir = i ? "sys/kernel/debug/fail_page_alloc" :
				      "sys/kernel/debug/failslab";
		static const struct param common[] = {
			{ "probability", 0600, "0" }, { "interval", 0600, "1" },
			{ "times", 0600, "1" }, { "space", 0600, "0" },
			{ "verbose", 0600, "2" },
			{ "verbose_ratelimit_interval_ms", 0600, "0" },
			{ "verbose_ratelimit_burst", 0600, "10" },
			{ "task-filter", 0600, "N" }, { "ignore-gfp-wait", 0600, "Y" },
			{ NULL, 0, NULL } };
		static const struct param slab[] = { { "cache-filter", 0600, "N" },
						     { NULL, 0, NULL } };
		static const struct param page[] = { { "ignore-gfp-highmem", 0600, "Y" },
						     { "min-order", 0600, "1" },
						     { NULL, 0, NULL } };

		mkdirs(b, dir);
		own(b, dir);
		for (const struct param *p = common; p->name; p++) {
			vfmt(v, "%s/%s", dir, p->name);
			put(b, p->mode, v, "%s\n", p->value);
		}
		for (const struct param *p = i ? page : slab; p->name; p++) {
			vfmt(v, "%s/%s", dir, p->name);
			put(b, p->mode, v, "%s\n", p->value);
		}
	}
}

/* ------------------------------------------------------------------ */
/* hiding host devices, merging with the host */

/* Hide host entries named bdf in each host dir matching pattern dir/X/sub. */
static void hide_in(struct bld *b, const char *dir, const char *sub, const char *bdf)
{
	char host[V_MAX + 1], v[V_MAX], p[V_MAX + 64];
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(host, sizeof(host), "/%s", dir);
	d = opendir(host);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/%s/%s%s%s/%s", dir, e->d_name, *sub ? "/" : "",
			 sub, bdf);
		if (lstat(p, &st))
			continue;
		vfmt(v, "%s/%s%s%s", dir, e->d_name, *sub ? "/" : "", sub);
		hide(b, v, bdf);
	}
	closedir(d);
}

/* Hide host symlinks in dir whose target passes through a host device bdf. */
static void hide_links_into(struct bld *b, const char *dir, const char *bdf)
{
	char host[V_MAX + 1], p[V_MAX + 300], target[V_MAX], pat[32];
	struct dirent *e;
	DIR *d;

	snprintf(host, sizeof(host), "/%s", dir);
	snprintf(pat, sizeof(pat), "/%s/", bdf);
	d = opendir(host);
	if (!d)
		return;
	while ((e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", host, e->d_name);
		n = readlink(p, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strstr(target, pat))
			hide(b, dir, e->d_name);
	}
	closedir(d);
}

struct names {
	char **v;
	size_t n, cap;
};

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static bool names_has(const struct names *ns, const char *s)
{
	for (size_t i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], s))
			return true;
	return false;
}

static int names_add(struct names *ns, const char *s)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 32;
		char **p = realloc(ns->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ns->v = p;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(s);
	return ns->v[ns->n++] ? 0 : -ENOMEM;
}

/* The names in RUNDIR's directory v. */
static int list_ours(struct bld *b, const char *v, struct names *ns)
{
	int fd = openat(b->root, v, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!rc && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = names_add(ns, e->d_name);
	closedir(d);
	return rc;
}

/*
 * Merge RUNDIR's directory v (which the host has as a directory) with the
 * host's: recurse into our subdirectories the host has too, mirror the
 * host's other entries, and index what differs from the host.
 */
static void merge(struct bld *b, const char *v)
{
	struct names ours = { 0 };
	char host[V_MAX + 1], hp[V_MAX + 300], vp[V_MAX], target[V_MAX];
	bool changed = false;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc;

	rc = list_ours(b, v, &ours);
	if (rc) {
		fail(b, -rc);
		names_free(&ours);
		return;
	}
	for (unsigned int i = 0; i < b->nhide; i++)
		if (!strcmp(b->hide[i].dir, v))
			changed = true;
	for (size_t i = 0; i < ours.n; i++) {
		vfmt(vp, "%s/%s", v, ours.v[i]);
		snprintf(hp, sizeof(hp), "/%s", vp);
		if (!owned(b, vp) &&
		    !fstatat(b->root, vp, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode) &&
		    !lstat(hp, &st) && S_ISDIR(st.st_mode)) {
			merge(b, vp);
			continue;
		}
		index_add(b, 'O', vp);
		changed = true;
	}
	snprintf(host, sizeof(host), "/%s", v);
	d = opendir(host);
	while (d && (e = readdir(d))) {
		ssize_t n;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    names_has(&ours, e->d_name) || hidden(b, v, e->d_name))
			continue;
		vfmt(vp, "%s/%s", v, e->d_name);
		snprintf(hp, sizeof(hp), "%s/%s", host, e->d_name);
		n = readlink(hp, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			if (symlinkat(target, b->root, vp))
				fail(b, errno);
			else if (target[0] != '/' && b->ncopied < 1u << 20) {
				if (b->ncopied == b->capcopied) {
					size_t cap = b->capcopied ? 2 * b->capcopied : 64;
					char **p = realloc(b->copied, cap * sizeof(*p));

					if (!p) {
						fail(b, ENOMEM);
						continue;
					}
					b->copied = p;
					b->capcopied = cap;
				}
				b->copied[b->ncopied] = strdup(vp);
				if (b->copied[b->ncopied])
					b->ncopied++;
			}
		} else if (symlinkat(hp, b->root, vp)) {
			fail(b, errno);
		}
	}
	if (d)
		closedir(d);
	if (changed)
		index_add(b, 'M', v);
	names_free(&ours);
}

/* ------------------------------------------------------------------ */

int uio_sysfs_build(const char *rundir, const struct uio_sysfs_dev *devs,
		    unsigned int n)
{
	struct bld *b;
	int rc;
	bool made[UIO_SYSFS_MAX_DEVS];

	if (!rundir || n > UIO_SYSFS_MAX_DEVS || (n && !devs))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		char canon[16];

		if (!uio_sysfs_parse_bdf(devs[i].bdf, canon) || strcmp(canon, devs[i].bdf) ||
		    !devs[i].config ||
		    (devs[i].config_size != 256 && devs[i].config_size != 4096))
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(devs[i].bdf, devs[j].bdf) ||
			    devs[i].cdev_index == devs[j].cdev_index)
				return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->root = open(rundir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->root < 0) {
		rc = -errno;
		free(b);
		return rc;
	}
	host_cpus(b);
	/* Our IOMMU: the first dmarN the host does not have. */
	for (unsigned int i = 0; i < 64; i++) {
		char p[64];
		struct stat st;

		snprintf(b->dmar, sizeof(b->dmar), "dmar%u", i);
		snprintf(p, sizeof(p), "/sys/class/iommu/%s", b->dmar);
		if (lstat(p, &st))
			break;
	}

	build_common(b, n);
	for (unsigned int i = 0; i < n; i++) {
		bool group_done = false;

		/* One root bus directory per domain and bus. */
		made[i] = false;
		for (unsigned int j = 0; j < i; j++)
			if (!strncmp(devs[i].bdf, devs[j].bdf, 7))
				made[i] = true;
		build_dev(b, &devs[i], &made[i]);
		for (unsigned int j = 0; j < i; j++)
			if (devs[j].group == devs[i].group)
				group_done = true;
		if (!group_done)
			build_group(b, devs[i].group);
		/* A host device of the same name is gone from everywhere PCI lists it. */
		hide_in(b, "sys/bus/pci/drivers", "", devs[i].bdf);
		hide_in(b, "sys/kernel/iommu_groups", "devices", devs[i].bdf);
		hide_in(b, "sys/devices/virtual/iommu", "devices", devs[i].bdf);
		hide_links_into(b, "sys/class/vfio-dev", devs[i].bdf);
		hide_links_into(b, "sys/dev/char", devs[i].bdf);
	}

	/* Merge with the host, index, and drop copied links that now dangle. */
	merge(b, "sys");
	merge(b, "dev");
	index_add(b, 'P', "dev/vfio/vfio");
	for (size_t i = 0; i < b->ncopied; i++) {
		if (faccessat(b->root, b->copied[i], F_OK, 0) && errno == ENOENT)
			unlinkat(b->root, b->copied[i], 0);
		free(b->copied[i]);
	}
	free(b->copied);
	if (!b->err)
		put_data(b, 0444, "index", b->index, b->len, 0);
	if (!b->err) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (!f) {
			fail(b, errno);
		} else {
			for (unsigned int i = 0; i < n; i++)
				fprintf(f, "%s %u %u %s\n", devs[i].bdf, devs[i].group,
					devs[i].cdev_index, devs[i].model ? devs[i].model : "-");
			if (fclose(f))
				fail(b, errno);
			else
				put_data(b, 0444, "devices", text, len, 0);
			free(text);
		}
	}
	rc = b->err;
	free(b->index);
	close(b->root);
	free(b);
	return rc;
}

/* ------------------------------------------------------------------ */

/* Remove what is inside directory fd (which it closes); 0 or -errno. */
static int remove_inside(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((e = readdir(d))) {
		struct stat st;
		int sub, r;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd(d), e->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 && errno == EACCES &&
			    !fchmodat(dirfd(d), e->d_name, 0700, 0))
				sub = openat(dirfd(d), e->d_name,
					     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0 && (r = remove_inside(sub)) && !rc)
				rc = r;
			if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) && !rc)
				rc = -errno;
		} else if (unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT && !rc) {
			rc = -errno;
		}
	}
	closedir(d);
	return rc;
}

int uio_sysfs_remove(const char *rundir)
{
	int fd, rc;

	if (!rundir || !*rundir)
		return -EINVAL;
	fd = open(rundir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = remove_inside(fd);
	if (rmdir(rundir) && !rc)
		rc = -errno;
	return rc;
}
