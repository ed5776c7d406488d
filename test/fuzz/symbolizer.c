// SPDX-License-Identifier: MIT
/*
 * llvm-symbolizer for the sanitizers of a process run under uiommufd-run
 * with the instrumented preload library (fuzz_vfio in the fuzz build).
 * They start the symbolizer with the process's environment, whose
 * LD_PRELOAD names a library built with ASan and libFuzzer's coverage:
 * the real llvm-symbolizer cannot load it and dies, and every report has
 * bare addresses. This one is linked statically, so the dynamic loader
 * never reads LD_PRELOAD for it: it drops the variable and runs the real
 * one (UIOMMUFD_SYMBOLIZER, else llvm-symbolizer on the PATH).
 * scripts/fuzz.sh points ASAN_OPTIONS' external_symbolizer_path here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *real = getenv("UIOMMUFD_SYMBOLIZER");

	(void)argc;
	unsetenv("LD_PRELOAD");
	if (!real || !*real)
		real = "llvm-symbolizer";
	argv[0] = (char *)real;
	execvp(real, argv);
	fprintf(stderr, "symbolizer: %s: %s\n", real, strerror(errno));
	return 127;
}
