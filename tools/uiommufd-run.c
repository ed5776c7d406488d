// SPDX-License-Identifier: MIT
/*
 * uiommufd-run: run a program with /dev/iommu served by uiommufd.
 *
 *   uiommufd-run [--preload LIB] -- PROG [ARGS...]
 *
 * Puts libuiommufd-preload.so first in LD_PRELOAD and execs PROG, so the
 * exit status is PROG's own. See docs/uiommufd-run.1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		"  --check        run the invariant checker after every call;\n"
		"                 abort on the first broken invariant\n"
		"  -h, --help     show this help\n"
		"  --version      show the version\n\n"
		"The library is found by --preload, then $UIOMMUFD_PRELOAD, then\n"
		"the build tree, then the install location.\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *lib_opt = NULL, *lib, *old;
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
	execvp(argv[optind], &argv[optind]);
	fprintf(stderr, "uiommufd-run: %s: %s\n", argv[optind], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
