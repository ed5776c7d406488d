/* SPDX-License-Identifier: MIT */
/*
 * The fail_nth sweep's sequences (fail_nth_seqs.c) and what they share
 * with the driver (test_fail_nth.c).
 */
#ifndef FAIL_NTH_H
#define FAIL_NTH_H

#include <stdbool.h>
#include <stdint.h>

/* Step flags: what the kernel leaves behind when the step fails. */
/*
 * EFAULT may come after the command took effect: copying the answer back
 * failed (iommufd_ucmd_respond or the type1 copy_to_user) and the kernel
 * does not undo the work. The state is then the one after the step.
 */
#define FN_KEEP_EFAULT 1u
/*
 * VFIO type1 partial unmap: iopt_cut_iova() stops at the first cut that
 * fails and keeps the ones done, so an ENOMEM may leave one more area.
 */
#define FN_CUT_MAY_STAY 2u

struct fn_seq {
	const char *name;
	int nsteps;
	const unsigned int *flags;   /* per step */
	/* Run step s; 0 or the errno. */
	int (*step)(int s);
	/* State the stats do not show (domain entries, pins per page...). */
	uint64_t (*extra)(void);
};

/* The context of the run. */
extern int fn_fd;

/* Per-run ids and fds the steps record (zeroed before each run). */
#define FN_MAX_FDS 4
struct fn_run {
	uint32_t ioas[4];
	uint32_t hwpt[6];
	uint32_t stdev[3];
	uint32_t idev[3];
	uint32_t fault_id;
	uint32_t item[3];
	int access_fd[FN_MAX_FDS];   /* -1: none */
	int fault_fd[FN_MAX_FDS];
};
extern struct fn_run R;

/* ioctl on fn_fd: 0 or errno */
int fn_ioctl(unsigned long req, void *arg);

extern const struct fn_seq fn_seq_ioas, fn_seq_domain, fn_seq_hwpt,
	fn_seq_dirty, fn_seq_access, fn_seq_vfio;

#endif
