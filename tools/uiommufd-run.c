// SPDX-License-Identifier: MIT
/*
 * uiommufd-run: run a program with /dev/iommu and VFIO served by uiommufd.
 *
 *   uiommufd-run [options] -- PROG [ARGS...]
 *   uiommufd-run --list [--vfio-device ...]
 *
 * Makes a run directory RUNDIR (mkdtemp under $TMPDIR, else a tmpfs, else
 * /tmp), builds in
 * it the emulated sysfs and /dev/vfio of the launch (lib/sysfs), exports
 * UIOMMUFD_RUNDIR, puts libuiommufd-preload.so first in LD_PRELOAD and runs
 * PROG as its child, forwarding SIGINT, SIGTERM, SIGHUP and SIGQUIT. When
 * PROG ends RUNDIR is removed and the launcher exits as PROG did. Should
 * the launcher itself be killed, a janitor process that holds the read end
 * of a pipe from it sees EOF and removes RUNDIR. See docs/uiommufd-run.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "debug.h"
#include "models.h"
#include "pci.h"
#include "sysfs.h"
#include "vfio.h"

#ifndef UIOMMUFD_PRELOAD_BUILD_PATH
#define UIOMMUFD_PRELOAD_BUILD_PATH ""
#endif
#ifndef UIOMMUFD_PRELOAD_INSTALL_PATH
#define UIOMMUFD_PRELOAD_INSTALL_PATH "/usr/local/lib/libuiommufd-preload.so"
#endif
#ifndef UIOMMUFD_PRELOAD_RELATIVE_PATH
#define UIOMMUFD_PRELOAD_RELATIVE_PATH ""
#endif
#ifndef UIOMMUFD_BUILD_DIR
#define UIOMMUFD_BUILD_DIR ""
#endif
#ifndef UIOMMUFD_VERSION
#define UIOMMUFD_VERSION "unknown"
#endif

_Static_assert(UIO_SYSFS_MAX_DEVS == UIO_VFIO_MAX_DEVICES, "one device limit");
_Static_assert(UIO_SYSFS_GROUP_MAJOR == UIO_VFIO_GROUP_MAJOR &&
	       UIO_SYSFS_CDEV_MAJOR == UIO_VFIO_CDEV_MAJOR, "one set of majors");

static void usage(FILE *f)
{
	fprintf(f,
		"usage: uiommufd-run [options] -- PROG [ARGS...]\n"
		"       uiommufd-run --list [--vfio-device ...]\n"
		"Run PROG with /dev/iommu and VFIO served by uiommufd.\n\n"
		"  --preload LIB  use LIB as the preload library\n"
		"  --trace FILE   append one decoded line per call on a file of ours\n"
		"                 (iommufd, VFIO container, group and device) to FILE\n"
		"                 (\"-\": standard error), from every process of the\n"
		"                 launch; sets UIOMMUFD_TRACE\n"
		"  --trace-mmio   with --trace, also each region read and write of a\n"
		"                 VFIO device and each load and store to a mapped BAR;\n"
		"                 sets UIOMMUFD_TRACE_MMIO=1\n"
		"  --dump FILE    append a JSON dump of each context to FILE at its\n"
		"                 last close and at exit ('-': standard error)\n"
		"  --dump-after N also dump after the Nth iommufd command (with --dump)\n"
		"  --check        run the invariant checker after every call;\n"
		"                 abort on the first broken invariant\n"
		"  --vfio-device BDF[@GROUP][,model=NAME]\n"
		"                 an emulated VFIO PCI device at BDF (DDDD:BB:DD.F,\n"
		"                 e.g. 0000:00:04.0) in IOMMU group GROUP (default\n"
		"                 100 + its position), of model NAME (a built-in\n"
		"                 model, or a PATH.so); repeatable, up to %d\n"
		"  --list         print the emulated devices, their sysfs paths,\n"
		"                 nodes and models, and exit\n"
		"  -h, --help     show this help\n"
		"  --version      show the version\n\n"
		"The library is found by --preload, then $UIOMMUFD_PRELOAD, then\n"
		"the build tree, then the install location.\n",
		UIO_SYSFS_MAX_DEVS);
}

/* A usage error: one line on standard error, exit status 2. */
static void __attribute__((noreturn, format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fputs("uiommufd-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ------------------------------------------------------------------ */
/* --vfio-device */

static struct uio_vfio_device_spec devs[UIO_SYSFS_MAX_DEVS];
static unsigned int ndev;

/* A decimal group number: what the kernel's IOMMU group ids can be (an ida, 0..INT_MAX). */
static bool parse_group(const char *s, size_t len, unsigned int *out)
{
	unsigned long v = 0;

	if (!len || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > INT_MAX)
		return false;
	*out = (unsigned int)v;
	return true;
}

static const char *builtin_names(void)
{
	static char names[256];
	size_t n = 0;

	for (const char *const *p = uio_model_builtin_names; *p && n < sizeof(names); p++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "", *p);
	return names;
}

/* BDF[@GROUP][,model=NAME] */
static void add_vfio_device(const char *arg)
{
	struct uio_vfio_device_spec *d = &devs[ndev];
	char msg[512];
	const char *comma = strchr(arg, ',');
	const char *at = memchr(arg, '@', comma ? (size_t)(comma - arg) : strlen(arg));
	size_t blen = at ? (size_t)(at - arg) : comma ? (size_t)(comma - arg) : strlen(arg);
	char bdf[32];

	if (ndev == UIO_SYSFS_MAX_DEVS)
		bad("--vfio-device %s: at most %d emulated devices", arg, UIO_SYSFS_MAX_DEVS);
	snprintf(bdf, sizeof(bdf), "%.*s", (int)(blen < 31 ? blen : 31), arg);
	if (blen >= sizeof(bdf) || !uio_sysfs_parse_bdf(bdf, d->bdf))
		bad("--vfio-device %s: '%.*s' is not a PCI address: use DDDD:BB:DD.F in hex, "
		    "device 00-1f, function 0-7 (e.g. 0000:00:04.0)", arg, (int)blen, arg);
	for (unsigned int i = 0; i < ndev; i++)
		if (!strcmp(devs[i].bdf, d->bdf))
			bad("--vfio-device %s: %s is given twice; give each device its own "
			    "address (devices may share a group: BDF@GROUP)", arg, d->bdf);
	d->group = 100 + ndev;
	if (at) {
		const char *g = at + 1;
		size_t glen = comma ? (size_t)(comma - g) : strlen(g);

		if (!parse_group(g, glen, &d->group))
			bad("--vfio-device %s: IOMMU group '%.*s' is not a decimal number "
			    "from 0 to %d", arg, (int)glen, g, INT_MAX);
	}
	snprintf(d->model, sizeof(d->model), "%s", UIO_MODEL_DEFAULT);
	for (const char *opt = comma; opt; ) {
		const char *next = strchr(opt + 1, ',');
		size_t olen = next ? (size_t)(next - opt - 1) : strlen(opt + 1);
		const char *name = opt + 7;
		size_t nlen = olen - 6;

		if (olen < 6 || strncmp(opt + 1, "model=", 6))
			bad("--vfio-device %s: unknown option '%.*s': the only option is "
			    "model=NAME", arg, (int)olen, opt + 1);
		if (!nlen)
			bad("--vfio-device %s: model= needs a name: a built-in model or "
			    "the path of a model .so", arg);
		if (nlen >= sizeof(d->model))
			bad("--vfio-device %s: model name too long", arg);
		snprintf(d->model, sizeof(d->model), "%.*s", (int)nlen, name);
		if (strchr(d->model, '/') ||
		    (nlen > 3 && !strcmp(d->model + nlen - 3, ".so"))) {
			char real[PATH_MAX];

			/* Every process of the launch loads it by the same path. */
			if (access(d->model, R_OK) || !realpath(d->model, real))
				bad("--vfio-device %s: model %s: %s; give the path of a "
				    "readable model .so", arg, d->model, strerror(errno));
			if (strlen(real) >= sizeof(d->model))
				bad("--vfio-device %s: model path too long", arg);
			snprintf(d->model, sizeof(d->model), "%s", real);
		}
		if (!uio_model_find(d->model, msg, sizeof(msg)))
			bad("--vfio-device %s: %s (built-in models: %s)", arg, msg,
			    builtin_names());
		opt = next;
	}
	ndev++;
}

/*
 * What sysfs shows of each device: its PCI function as the launch's VFIO
 * registry built it (config space, BARs where the host put them).
 */
static int fill_sysfs_devs(struct uio_sysfs_dev *out)
{
	struct uio_vfio_registry *r = ndev ? uio_vfio_registry() : NULL;

	if (ndev && (!r || r->ndevices != ndev))
		return -ENOENT;
	for (unsigned int i = 0; i < ndev; i++) {
		struct uio_vfio_device *vd = &r->devices[i];
		struct uio_pci_dev *pdev = uio_vfio_pci(r, vd);
		struct uio_sysfs_dev *s = &out[i];

		memset(s, 0, sizeof(*s));
		memcpy(s->bdf, devs[i].bdf, sizeof(s->bdf));
		s->group = devs[i].group;
		s->cdev_index = vd->index;
		s->numa_node = -1;
		s->config = pdev->cfg;
		s->config_size = pdev->cfg_size;
		uio_sysfs_dev_from_config(s, pdev->cfg, pdev->cfg_size);
		for (unsigned int b = 0; b < UIO_PCI_NUM_BARS; b++) {
			const struct uio_pci_bar *bar = &pdev->bars[b];

			if (!bar->size)
				continue;
			s->bars[b].start = bar->start;
			s->bars[b].size = bar->size;
			s->bars[b].flags = uio_sysfs_bar_flags(bar->flags & UIOMMUFD_BAR_IO,
							      bar->flags & UIOMMUFD_BAR_MEM64,
							      bar->flags & UIOMMUFD_BAR_PREFETCH);
		}
		/* INTx through the IOAPIC: GSIs 16-23, as x86 firmware routes them. */
		s->irq = s->irq_pin ? 16 + (vd->index * 4 + s->irq_pin - 1) % 8 : 0;
		s->msi = pdev->cap_msi;
		s->msix = pdev->cap_msix;
		s->model = devs[i].model;
	}
	return 0;
}

static void list_devices(void)
{
	if (!ndev) {
		printf("no emulated devices (add --vfio-device BDF[@GROUP][,model=NAME]; "
		       "built-in models: %s); /dev/iommu and /dev/vfio/vfio are served\n",
		       builtin_names());
		return;
	}
	for (unsigned int i = 0; i < ndev; i++) {
		const struct uiommufd_model *m = uio_model_find(devs[i].model, NULL, 0);

		printf("%s  group %u  /sys/bus/pci/devices/%s  /dev/vfio/%u  "
		       "/dev/vfio/devices/vfio%u  model %s",
		       devs[i].bdf, devs[i].group, devs[i].bdf, devs[i].group, i,
		       devs[i].model);
		if (m)
			printf(" (%04x:%04x class %06x)", m->vendor_id, m->device_id,
			       m->class_code);
		putchar('\n');
	}
}

/* ------------------------------------------------------------------ */
/* the run directory, the janitor, the child */

static char rundir[PATH_MAX];
static volatile sig_atomic_t child_pid;

/* Forward a signal to PROG, unless the terminal sent it to PROG's group too. */
static void forward(int sig, siginfo_t *info, void *uctx)
{
	pid_t pid = (pid_t)child_pid;
	int e = errno;

	(void)uctx;
	if (pid > 0 && (info->si_code != SI_KERNEL || getpgid(pid) != getpgrp()))
		kill(pid, sig);
	errno = e;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/*
 * The janitor: a process of its own session (no terminal, no signals from
 * the launcher's group, not PROG's child) that waits for EOF on a pipe
 * only the launcher holds, removes RUNDIR and exits. Returns the write
 * end, or -1.
 */
static int start_janitor(pid_t *pid)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		return -1;
	*pid = fork();
	if (*pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (*pid == 0) {
		static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
					       SIGTSTP, SIGTTIN, SIGTTOU };
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		char c;

		close(p[1]);
		setsid();
		for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
			signal(ignored[i], SIG_IGN);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		/* Keep nothing else of the launcher's open. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != p[0])
				close(fd);
		if (chdir("/"))
			(void)0;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		uio_sysfs_remove(rundir);
		_exit(0);
	}
	close(p[0]);
	return p[1];
}

/*
 * Where run directories go: $TMPDIR if set; else a memory file system,
 * as sysfs is one ($XDG_RUNTIME_DIR, /dev/shm: building the tree makes
 * some hundred symlinks, which a disk-backed /tmp can take seconds over);
 * else /tmp.
 */
static const char *rundir_base(void)
{
	const char *env[] = { getenv("TMPDIR"), getenv("XDG_RUNTIME_DIR") };
	struct stat st;

	for (size_t i = 0; i < 2; i++)
		if (env[i] && env[i][0] == '/' && !access(env[i], W_OK | X_OK))
			return env[i];
	if (!stat("/dev/shm", &st) && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) &&
	    !access("/dev/shm", W_OK | X_OK))
		return "/dev/shm";
	return "/tmp";
}

static int make_rundir(void)
{
	const char *base = rundir_base();
	char dir[PATH_MAX], real[PATH_MAX];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/uiommufd-run.XXXXXX", base) >= sizeof(dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(dir))
		return -errno;
	/* World-readable, as /sys is; the path without symlinks, as the preload compares it. */
	if (chmod(dir, 0755) || !realpath(dir, real)) {
		int e = errno;

		rmdir(dir);
		return -e;
	}
	snprintf(rundir, sizeof(rundir), "%s", real);
	return 0;
}

/* Run argv as a child with forwarded signals; the wait status. */
static int run_child(char **argv, int *status)
{
	sigset_t block, old;
	struct sigaction sa;
	pid_t pid;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&block, forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -errno;
	}
	if (!pid) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "uiommufd-run: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	child_pid = 0;
	return 0;
}

/* Exit as the child did: its code, or its signal (without a core of ours). */
static void __attribute__((noreturn)) exit_as(int status)
{
	if (WIFSIGNALED(status)) {
		struct rlimit no_core = { 0, 0 };
		struct sigaction sa;
		sigset_t set;
		int sig = WTERMSIG(status);

		setrlimit(RLIMIT_CORE, &no_core);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(sig, &sa, NULL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		exit(128 + sig);
	}
	exit(WEXITSTATUS(status));
}

/* ------------------------------------------------------------------ */

/* The directory this launcher runs from, without symlinks; "" if unknown. */
static void self_dir(char *dir, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", dir, size - 1);
	char *slash;

	dir[n > 0 ? n : 0] = 0;
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0;
}

/*
 * --preload, then $UIOMMUFD_PRELOAD; then a launcher run from the build
 * tree uses the build tree's library, and an installed one the library
 * installed with it, found relative to its own directory (bindir ->
 * libdir, so a DESTDIR or moved install finds its own), then at the
 * configured install path. *what names where the answer came from.
 */
static const char *find_library(const char *opt, const char **what)
{
	static const char rel_path[] = UIOMMUFD_PRELOAD_RELATIVE_PATH;
	static char rel[PATH_MAX + sizeof(rel_path)];
	const char *env = getenv("UIOMMUFD_PRELOAD");
	char dir[PATH_MAX], build[PATH_MAX];

	*what = "--preload ";
	if (opt)
		return opt;
	*what = "UIOMMUFD_PRELOAD=";
	if (env && *env)
		return env;
	*what = NULL;
	self_dir(dir, sizeof(dir));
	if (*UIOMMUFD_PRELOAD_BUILD_PATH && *dir && realpath(UIOMMUFD_BUILD_DIR, build) &&
	    !strcmp(dir, build))
		return UIOMMUFD_PRELOAD_BUILD_PATH;
	if (*dir && rel_path[0]) {
		if (rel_path[0] == '/')
			snprintf(rel, sizeof(rel), "%s", rel_path);
		else
			snprintf(rel, sizeof(rel), "%s/%s", dir, rel_path);
		if (access(rel, R_OK) == 0)
			return rel;
	}
	return UIOMMUFD_PRELOAD_INSTALL_PATH;
}

/* --trace and --dump: a file the library can append to ("-" is stderr). */
static void check_output(const char *opt, const char *file)
{
	int fd;

	if (!strcmp(file, "-"))
		return;
	if (!*file)
		bad("%s needs a file name (or - for standard error)", opt);
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		bad("%s %s: %s; give a writable file, or - for standard error", opt, file,
		    strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	enum { OPT_PRELOAD = 256, OPT_TRACE, OPT_CHECK, OPT_DUMP, OPT_VFIO,
	       OPT_DUMP_AFTER, OPT_LIST, OPT_VERSION, OPT_TRACE_MMIO };
	static const struct option opts[] = {
		{ "preload", required_argument, NULL, OPT_PRELOAD },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "trace-mmio", no_argument, NULL, OPT_TRACE_MMIO },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "dump", required_argument, NULL, OPT_DUMP },
		{ "vfio-device", required_argument, NULL, OPT_VFIO },
		{ "dump-after", required_argument, NULL, OPT_DUMP_AFTER },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *lib_opt = NULL, *lib, *old, *dump_after = NULL, *from;
	const char *trace = NULL, *dump = NULL;
	char devspec[UIO_SYSFS_MAX_DEVS * 32] = "";
	bool list = false, check = false, trace_mmio = false;
	char trace_abs[4096];
	struct uio_sysfs_dev sdevs[UIO_SYSFS_MAX_DEVS];
	char msg[512] = "";
	int c, status, rc, janitor_fd;
	pid_t janitor;
	char *preload;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PRELOAD:
			lib_opt = optarg;
			break;
		case OPT_TRACE:
			trace = optarg;
			break;
		case OPT_TRACE_MMIO:
			trace_mmio = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_DUMP:
			dump = optarg;
			break;
		case OPT_DUMP_AFTER:
			dump_after = optarg;
			break;
		case OPT_VFIO:
			add_vfio_device(optarg);
			break;
		case OPT_LIST:
			list = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("uiommufd-run %s\n", UIOMMUFD_VERSION);
			return 0;
		case ':':
			bad("%s needs an argument (see uiommufd-run --help)", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				bad("unknown option '-%c' (see uiommufd-run --help)", optopt);
			bad("unknown option '%s' (see uiommufd-run --help)", argv[optind - 1]);
		}
	}
	if (dump_after) {
		const char *p = dump_after;
		char *end;
		unsigned long long n;

		while (*p >= '0' && *p <= '9')
			p++;
		errno = 0;
		n = strtoull(dump_after, &end, 10);
		if (*p || p == dump_after || !n || errno)
			bad("--dump-after '%s': want a positive decimal count of iommufd "
			    "calls", dump_after);
		if (!dump && !getenv("UIOMMUFD_DUMP"))
			bad("--dump-after %s needs --dump FILE: where to write the dumps",
			    dump_after);
	}
	if (uio_debug_parse(getenv("UIOMMUFD_DEBUG"), msg, sizeof(msg)), *msg)
		bad("UIOMMUFD_DEBUG=%s: unknown category '%s': give a comma-separated list of "
		    "path, fd, vfio, mmio, irq, or all", getenv("UIOMMUFD_DEBUG"), msg);
	if (trace_mmio && !trace && !getenv("UIOMMUFD_TRACE"))
		bad("--trace-mmio needs --trace FILE: where to write the lines");
	if (trace) {
		check_output("--trace", trace);
		/* Absolute: a process may change directory before its first line. */
		if (strcmp(trace, "-") && trace[0] != '/') {
			char cwd[2048];

			if (!getcwd(cwd, sizeof(cwd)) ||
			    (size_t)snprintf(trace_abs, sizeof(trace_abs), "%s/%s", cwd,
					     trace) >= sizeof(trace_abs))
				bad("--trace %s: path too long", trace);
			trace = trace_abs;
		}
	}
	if (dump)
		check_output("--dump", dump);
	if (list) {
		if (optind < argc)
			bad("--list runs no program: drop '%s' or --list", argv[optind]);
		list_devices();
		return 0;
	}
	if (optind >= argc)
		bad("no program to run: uiommufd-run [options] -- PROG [ARGS...] "
		    "(see uiommufd-run --help)");
	if ((trace && setenv("UIOMMUFD_TRACE", trace, 1)) ||
	    (trace_mmio && setenv("UIOMMUFD_TRACE_MMIO", "1", 1)) ||
	    (dump && setenv("UIOMMUFD_DUMP", dump, 1)) ||
	    (dump_after && setenv("UIOMMUFD_DUMP_AFTER", dump_after, 1)) ||
	    (check && setenv("UIOMMUFD_CHECK", "1", 1)))
		return 125;

	lib = find_library(lib_opt, &from);
	if (access(lib, R_OK)) {
		if (from)
			fprintf(stderr, "uiommufd-run: %s%s: %s; give the path of "
				"libuiommufd-preload.so\n", from, lib, strerror(errno));
		else
			fprintf(stderr, "uiommufd-run: libuiommufd-preload.so is neither "
				"installed beside this launcher nor at %s: install it with "
				"the launcher, or give --preload LIB\n", lib);
		return 127;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		size_t n = strlen(lib) + 1 + strlen(old) + 1;

		preload = malloc(n);
		if (!preload)
			return 125;
		snprintf(preload, n, "%s:%s", lib, old);
	} else {
		preload = strdup(lib);
	}
	if (!preload || setenv("LD_PRELOAD", preload, 1))
		return 125;
	free(preload); /* setenv copied it */

	/* The run directory; the janitor first, so no exit path leaves it. */
	rc = make_rundir();
	if (rc) {
		fprintf(stderr, "uiommufd-run: cannot make a run directory in %s: %s "
			"(set TMPDIR to a writable directory)\n", rundir_base(), strerror(-rc));
		return 125;
	}
	janitor_fd = start_janitor(&janitor);
	if (janitor_fd < 0) {
		fprintf(stderr, "uiommufd-run: fork: %s\n", strerror(errno));
		uio_sysfs_remove(rundir);
		return 125;
	}
	/* The devices' registry, then the tree showing them. */
	rc = setenv("UIOMMUFD_RUNDIR", rundir, 1) ? -errno : 0;
	if (!rc && ndev)
		rc = uio_vfio_registry_create(rundir, devs, ndev, msg, sizeof(msg));
	if (!rc)
		rc = fill_sysfs_devs(sdevs);
	if (!rc) {
		rc = uio_sysfs_build(rundir, sdevs, ndev);
		if (rc)
			snprintf(msg, sizeof(msg), "emulated sysfs in %.300s: %s", rundir,
				 strerror(-rc));
	}
	for (unsigned int i = 0, n = 0; i < ndev; i++)
		n += (unsigned int)snprintf(devspec + n, sizeof(devspec) - n, "%s%.15s@%u",
					    i ? "," : "", devs[i].bdf, devs[i].group);
	if (!rc && ((ndev ? setenv("UIOMMUFD_VFIO_DEVICES", devspec, 1) :
			    unsetenv("UIOMMUFD_VFIO_DEVICES")) ||
		    unsetenv("UIOMMUFD_SYSFS_ROOT")))
		rc = -errno;
	if (rc) {
		fprintf(stderr, "uiommufd-run: %s\n", *msg ? msg : strerror(-rc));
		uio_sysfs_remove(rundir);
		close(janitor_fd);
		waitpid(janitor, NULL, 0);
		return 125;
	}

	rc = run_child(&argv[optind], &status);
	uio_sysfs_remove(rundir);
	close(janitor_fd);
	while (waitpid(janitor, NULL, 0) < 0 && errno == EINTR)
		;
	if (rc) {
		fprintf(stderr, "uiommufd-run: %s: %s\n", argv[optind], strerror(-rc));
		return 125;
	}
	exit_as(status);
}
