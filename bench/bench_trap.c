// SPDX-License-Identifier: MIT
/*
 * bench_trap: the cost of trapped MMIO (lib/hw/mmio/trap.c), in process:
 * a PROT_NONE page served by a callback that is one memcpy into a 4 KiB
 * register file, so what is measured is the trap itself (the SIGSEGV
 * round trip, the decode, the register and frame updates).
 *
 *  1. store4 / load4: one trapped 4-byte store or load, against one trivial
 *     system call (getppid) measured in the same run.
 *  2. memcpy4k from / to: memcpy() of 4 KiB from or to the trapped page,
 *     against the same memcpy from or to ordinary memory in the same run
 *     (glibc's choice of instructions by size decides the number of traps).
 *
 * Each figure is the best of 5 rounds. Usage: bench_trap [--quick] [--help]
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "trap.h"

#define PAGE 4096

static uint8_t regs[PAGE];
static uint8_t *mmio;
static uint64_t accesses;

static int reg_access(void *priv, uint64_t off, void *buf, unsigned len,
		      bool write)
{
	(void)priv;
	if (write)
		memcpy(regs + off, buf, len);
	else
		memcpy(buf, regs + off, len);
	accesses++;
	return 0;
}

static const struct uio_trap_ops ops = { .access = reg_access };

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ns per call of fn(i), best of 5 rounds of iters. */
static double best_of(void (*fn)(uint64_t i), int iters)
{
	double best = 1e18;

	for (int round = 0; round < 5; round++) {
		double t = now_ns();

		for (int i = 0; i < iters; i++)
			fn((uint64_t)i);
		t = (now_ns() - t) / iters;
		if (t < best)
			best = t;
	}
	return best;
}

static void do_syscall(uint64_t i)
{
	(void)i;
	syscall(SYS_getppid);
}

static void do_store4(uint64_t i)
{
	*(volatile uint32_t *)(mmio + 0x40) = (uint32_t)i;
}

static volatile uint32_t sink;

static void do_load4(uint64_t i)
{
	(void)i;
	sink = *(volatile uint32_t *)(mmio + 0x40);
}

static uint8_t ordinary[PAGE] __attribute__((aligned(64)));
static uint8_t buf[PAGE] __attribute__((aligned(64)));
static void *volatile from, *volatile to;

static void do_memcpy(uint64_t i)
{
	(void)i;
	memcpy(to, from, PAGE);
}

int main(int argc, char **argv)
{
	bool quick = false;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			quick = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: bench_trap [--quick]\n"
			       "Trapped MMIO on a PROT_NONE page served by a "
			       "memcpy callback:\n"
			       "  store4, load4: one trapped 4-byte store or load, "
			       "as a ratio to one getppid()\n"
			       "                 system call in the same run\n"
			       "  memcpy4k: memcpy of 4 KiB from and to the trapped "
			       "page, as a ratio to the\n"
			       "            same memcpy with ordinary memory\n"
			       "  --quick  fewer iterations\n");
			return 0;
		} else {
			fprintf(stderr, "bench_trap: unknown argument %s "
				"(try --help)\n", argv[i]);
			return 2;
		}
	}
	mmio = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmio == MAP_FAILED) {
		perror("bench_trap: mmap");
		return 1;
	}
	rc = uio_trap_add(mmio, PAGE, &ops, NULL);
	if (rc) {
		fprintf(stderr, "bench_trap: uio_trap_add: %s\n", strerror(-rc));
		return 1;
	}

	int k = quick ? 10 : 1;
	double sys = best_of(do_syscall, 200000 / k);
	double store = best_of(do_store4, 100000 / k);
	double load = best_of(do_load4, 100000 / k);

	printf("store4: one trapped 4-byte store = %.2f x one getppid() "
	       "syscall (%.0f ns vs %.0f ns)\n", store / sys, store, sys);
	printf("load4: one trapped 4-byte load = %.2f x one getppid() "
	       "syscall (%.0f ns vs %.0f ns)\n", load / sys, load, sys);

	for (int i = 0; i < PAGE; i++)
		regs[i] = ordinary[i] = (uint8_t)(i * 7 + 1);
	from = ordinary;
	to = buf;
	double base_from = best_of(do_memcpy, 200000 / k);
	from = mmio;
	accesses = 0;
	double trap_from = best_of(do_memcpy, 2000 / k);
	uint64_t per_from = accesses / (5 * (2000 / k));
	if (memcmp(buf, regs, PAGE)) {
		fprintf(stderr, "bench_trap: memcpy from the trapped page differs\n");
		return 1;
	}
	from = buf;
	to = ordinary;
	double base_to = best_of(do_memcpy, 200000 / k);
	to = mmio;
	accesses = 0;
	double trap_to = best_of(do_memcpy, 2000 / k);
	uint64_t per_to = accesses / (5 * (2000 / k));
	printf("memcpy4k: from the trapped page = %.0f x from ordinary memory "
	       "(%.0f ns vs %.0f ns, %llu callbacks)\n", trap_from / base_from,
	       trap_from, base_from, (unsigned long long)per_from);
	printf("memcpy4k: to the trapped page = %.0f x to ordinary memory "
	       "(%.0f ns vs %.0f ns, %llu callbacks)\n", trap_to / base_to,
	       trap_to, base_to, (unsigned long long)per_to);
	uio_trap_remove(mmio, PAGE);
	munmap(mmio, PAGE);
	return 0;
}
