// SPDX-License-Identifier: MIT
/*
 * uiommufd-run: run a program with /dev/iommu served by uiommufd.
 *
 *   uiommufd-run [options] -- PROG [ARGS...]
 *
 * Puts libuiommufd-preload.so first in LD_PRELOAD and execs PROG, so the
 * exit status is PROG's own. With --vfio-device it first builds the
 * emulated devices' sysfs entries in a temporary tree, runs PROG as a
 * child and removes the tree when PROG ends, exiting as PROG did. See
 * docs/uiommufd-run.1.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models.h"
#include "pci.h"
#include "vfio.h"

#ifndef UIOMMUFD_PRELOAD_BUILD_PATH
#define UIOMMUFD_PRELOAD_BUILD_PATH ""
#endif
#ifndef UIOMMUFD_PRELOAD_INSTALL_PATH
#define UIOMMUFD_PRELOAD_INSTALL_PATH "/usr/local/lib/libuiommufd-preload.so"
#endif
#ifndef UIOMMUFD_VERSION
#define UIOMMUFD_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uiommufd-run [options] -- PROG [ARGS...]\n"
		"Run PROG with /dev/iommu served by uiommufd.\n\n"
		"  --preload LIB  use LIB as the preload library\n"
		"  --trace FILE   write one decoded line per iommufd call to FILE\n"
		"                 (\"-\": standard error); sets UIOMMUFD_TRACE\n"
		"  --dump FILE    append a JSON dump of each context to FILE at its\n"
		"                 last close and at exit ('-': standard error)\n"
		"  --dump-after N also dump after the Nth iommufd command\n"
		"  --check        run the invariant checker after every call;\n"
		"                 abort on the first broken invariant\n"
		"  --vfio-device BDF[@GROUP]\n"
		"                 an emulated VFIO PCI device (a DMA engine) at BDF\n"
		"                 (e.g. 0000:00:04.0) in IOMMU group GROUP; repeatable\n"
		"  -h, --help     show this help\n"
		"  --version      show the version\n\n"
		"The library is found by --preload, then $UIOMMUFD_PRELOAD, then\n"
		"the build tree, then the install location.\n");
}

/* ------------------------------------------------------------------ */
/* emulated VFIO devices: their sysfs entries */

#define MAX_VDEV 16

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[2048];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int mkdirs(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) && errno != EEXIST ? -1 : 0;
}

/*
 * ROOT/sys/bus/pci/devices/BDF/{iommu_group,driver,vendor,device,class,
 * vfio-dev/vfioN/dev} and ROOT/sys/kernel/iommu_groups/G/devices/BDF, as
 * the kernel's sysfs shows a vfio-pci device.
 */
static int build_sysfs(const char *root, const struct uio_vfio_device_spec *spec,
		       unsigned n)
{
	char dir[1024], path[2048], text[128];

	snprintf(dir, sizeof(dir), "%s/sys/bus/pci/drivers/vfio-pci", root);
	if (mkdirs(dir))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		const struct uiommufd_model *m = uio_model_find(spec[i].model, NULL, 0);
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "%.15s", spec[i].bdf);

		snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices/%s/vfio-dev/vfio%u",
			 root, bdf, i);
		if (mkdirs(dir))
			return -1;
		snprintf(text, sizeof(text), "%u:%u\n", UIO_VFIO_CDEV_MAJOR, i);
		if (write_file(dir, "dev", text))
			return -1;
		snprintf(dir, sizeof(dir), "%s/sys/bus/pci/devices/%s", root, bdf);
		snprintf(text, sizeof(text), "0x%04x\n", m->vendor_id);
		if (write_file(dir, "vendor", text))
			return -1;
		snprintf(text, sizeof(text), "0x%04x\n", m->device_id);
		if (write_file(dir, "device", text))
			return -1;
		snprintf(text, sizeof(text), "0x%04x\n", m->subsystem_vendor_id);
		if (write_file(dir, "subsystem_vendor", text))
			return -1;
		snprintf(text, sizeof(text), "0x%04x\n", m->subsystem_id);
		if (write_file(dir, "subsystem_device", text))
			return -1;
		snprintf(text, sizeof(text), "0x%06x\n", m->class_code);
		if (write_file(dir, "class", text))
			return -1;
		snprintf(path, sizeof(path), "%s/iommu_group", dir);
		snprintf(text, sizeof(text), "../../../../kernel/iommu_groups/%u", spec[i].group);
		if (symlink(text, path))
			return -1;
		snprintf(path, sizeof(path), "%s/driver", dir);
		if (symlink("../../drivers/vfio-pci", path))
			return -1;
		snprintf(dir, sizeof(dir), "%s/sys/kernel/iommu_groups/%u/devices",
			 root, spec[i].group);
		if (mkdirs(dir))
			return -1;
		snprintf(path, sizeof(path), "%s/%s", dir, bdf);
		snprintf(text, sizeof(text), "../../../../bus/pci/devices/%s", bdf);
		if (symlink(text, path))
			return -1;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Run argv as a child; remove root when it ends; return its status. */
static int run_child(char **argv, const char *root)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 127;
	if (!pid) {
		execvp(argv[0], argv);
		fprintf(stderr, "uiommufd-run: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* The child gets the terminal's signals; we wait for it. */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

static const char *find_library(const char *opt)
{
	const char *env = getenv("UIOMMUFD_PRELOAD");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	if (*UIOMMUFD_PRELOAD_BUILD_PATH &&
	    access(UIOMMUFD_PRELOAD_BUILD_PATH, R_OK) == 0)
		return UIOMMUFD_PRELOAD_BUILD_PATH;
	return UIOMMUFD_PRELOAD_INSTALL_PATH;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "preload", required_argument, NULL, 'p' },
		{ "trace", required_argument, NULL, 't' },
		{ "check", no_argument, NULL, 'c' },
		{ "dump", required_argument, NULL, 'd' },
		{ "vfio-device", required_argument, NULL, 'v' },
		{ "dump-after", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lib_opt = NULL, *lib, *old;
	static struct uio_vfio_device_spec spec[MAX_VDEV];
	char msg[512];
	unsigned ndev = 0;
	char root[] = "/tmp/uiommufd-sysfs.XXXXXX";
	char *preload;
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			lib_opt = optarg;
			break;
		case 't':
			if (setenv("UIOMMUFD_TRACE", optarg, 1))
				return 127;
			break;
		case 'c':
			if (setenv("UIOMMUFD_CHECK", "1", 1))
				return 127;
			break;
		case 'd':
			if (setenv("UIOMMUFD_DUMP", optarg, 1))
				return 127;
			break;
		case 'a':
			if (setenv("UIOMMUFD_DUMP_AFTER", optarg, 1))
				return 127;
			break;
		case 'v': {
			const char *at = strchr(optarg, '@'), *comma = strchr(optarg, ',');
			size_t len = strcspn(optarg, "@,");
			unsigned a, b, d, f;

			if (ndev == MAX_VDEV || len >= sizeof(spec[0].bdf) ||
			    sscanf(optarg, "%x:%x:%x.%x", &a, &b, &d, &f) != 4 ||
			    (comma && strncmp(comma, ",model=", 7))) {
				fprintf(stderr, "uiommufd-run: bad --vfio-device %s "
						"(want DDDD:BB:DD.F[@GROUP][,model=NAME])\n", optarg);
				return 2;
			}
			memcpy(spec[ndev].bdf, optarg, len);
			spec[ndev].bdf[len] = 0;
			spec[ndev].group = at && (!comma || at < comma) ?
						   (unsigned)strtoul(at + 1, NULL, 10) :
						   100 + ndev;
			snprintf(spec[ndev].model, sizeof(spec[ndev].model), "%s",
				 comma ? comma + 7 : UIO_MODEL_DEFAULT);
			if (!uio_model_find(spec[ndev].model, msg, sizeof(msg))) {
				fprintf(stderr, "uiommufd-run: --vfio-device %s: %s\n",
					optarg, msg);
				return 2;
			}
			ndev++;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("uiommufd-run %s\n", UIOMMUFD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	lib = find_library(lib_opt);
	if (access(lib, R_OK)) {
		fprintf(stderr, "uiommufd-run: %s: %s\n", lib, strerror(errno));
		return 127;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t n = strlen(lib) + 1 + strlen(old) + 1;

		preload = malloc(n);
		if (!preload)
			return 127;
		snprintf(preload, n, "%s:%s", lib, old);
	} else {
		preload = strdup(lib);
	}
	if (!preload || setenv("LD_PRELOAD", preload, 1))
		return 127;
	free(preload); /* setenv copied it */
	if (ndev) {
		if (!mkdtemp(root) || build_sysfs(root, spec, ndev) ||
		    setenv("UIOMMUFD_SYSFS_ROOT", root, 1) ||
		    setenv("UIOMMUFD_RUNDIR", root, 1)) {
			fprintf(stderr, "uiommufd-run: emulated sysfs in %s: %s\n", root,
				strerror(errno));
			return 127;
		}
		if (uio_vfio_registry_create(root, spec, ndev, msg, sizeof(msg))) {
			fprintf(stderr, "uiommufd-run: %s\n", msg);
			nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
			return 127;
		}
		return run_child(&argv[optind], root);
	}
	execvp(argv[optind], &argv[optind]);
	fprintf(stderr, "uiommufd-run: %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
