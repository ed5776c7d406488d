// SPDX-License-Identifier: MIT
/* Placeholder until the trap module lands: nothing is trapped. */
#include <errno.h>

#include "trap.h"

__attribute__((weak)) int uio_trap_add(void *addr, size_t len,
				       const struct uio_trap_ops *ops, void *priv)
{
	(void)addr;
	(void)len;
	(void)ops;
	(void)priv;
	return -ENOSYS;
}

__attribute__((weak)) void uio_trap_remove(void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

__attribute__((weak)) bool uio_trap_fault(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
	return false;
}
