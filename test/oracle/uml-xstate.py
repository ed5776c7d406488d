#!/usr/bin/env python3
# User-Mode Linux 6.12 saves a UML process's FPU state with ptrace
# NT_X86_XSTATE into a fixed 2696-byte buffer. A host whose XSAVE area is
# larger (AMX: about 11 KiB) refuses PTRACE_SETREGSET with EFAULT, since the
# host kernel takes only a whole buffer, and UML panics at its first
# process ("ptrace set fp regs failed, errno = 14"). Later kernels size the
# buffer from the host. This patch does the same in the host-side helper
# only: it learns the host's size once, goes through a scratch buffer of
# that size, keeps UML's 2696 bytes, and sets the state UML does not keep
# (AMX tiles, which no UML process can enable) to its initial value. Nothing
# of iommufd, VFIO or the IOMMU core is touched.
#
#   uml-xstate.py LINUX_SOURCE_DIR     (idempotent)
import sys

path = sys.argv[1] + "/arch/x86/um/os-Linux/registers.c"
src = open(path).read()
MARK = "oracle_xstate_size"
if MARK in src:
    sys.exit(0)

helpers = r'''
/* Host XSAVE size and a scratch buffer of that size (see uml-xstate.py). */
static size_t oracle_xstate_size;
static unsigned char *oracle_xstate_buf;

static int oracle_get_xstate(int pid, unsigned long *fp_regs)
{
	struct iovec iov = { oracle_xstate_buf, oracle_xstate_size };

	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
		return -errno;
	memcpy(fp_regs, oracle_xstate_buf, FP_SIZE * sizeof(unsigned long));
	return 0;
}

static int oracle_set_xstate(int pid, unsigned long *fp_regs)
{
	size_t keep = FP_SIZE * sizeof(unsigned long);
	struct iovec iov = { oracle_xstate_buf, oracle_xstate_size };
	unsigned long long bv;

	memset(oracle_xstate_buf + keep, 0, oracle_xstate_size - keep);
	memcpy(oracle_xstate_buf, fp_regs, keep);
	/* XSTATE_BV at 512: components past what UML keeps are in init state. */
	memcpy(&bv, oracle_xstate_buf + 512, sizeof(bv));
	bv &= (1ull << 17) - 1;
	memcpy(oracle_xstate_buf + 512, &bv, sizeof(bv));
	if (ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
		return -errno;
	return 0;
}
'''

def sub(old, new):
    global src
    assert src.count(old) == 1, "unexpected registers.c: " + old[:60]
    src = src.replace(old, new)

sub("#include <registers.h>\n", "#include <registers.h>\n#include <string.h>\n")
sub("static int have_xstate_support;\n",
    "static int have_xstate_support;\n" + helpers)
sub('''	if (have_xstate_support) {
		iov.iov_base = fp_regs;
		iov.iov_len = FP_SIZE * sizeof(unsigned long);
		if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
			return -errno;
		return 0;
	} else''', '''	(void)iov;
	if (have_xstate_support) {
		return oracle_get_xstate(pid, fp_regs);
	} else''')
sub('''	if (have_xstate_support) {
		iov.iov_base = fp_regs;
		iov.iov_len = FP_SIZE * sizeof(unsigned long);
		if (ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov) < 0)
			return -errno;
		return 0;
	} else''', '''	(void)iov;
	if (have_xstate_support) {
		return oracle_set_xstate(pid, fp_regs);
	} else''')
sub('''	fp_regs = malloc(FP_SIZE * sizeof(unsigned long));
	if(fp_regs == NULL)
		return;

	iov.iov_base = fp_regs;
	iov.iov_len = FP_SIZE * sizeof(unsigned long);
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) == 0)
		have_xstate_support = 1;

	free(fp_regs);''', '''	if (oracle_xstate_buf)
		return;
	fp_regs = malloc(65536);
	if(fp_regs == NULL)
		return;

	iov.iov_base = fp_regs;
	iov.iov_len = 65536;
	if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) == 0 &&
	    iov.iov_len >= FP_SIZE * sizeof(unsigned long)) {
		oracle_xstate_size = iov.iov_len;
		oracle_xstate_buf = fp_regs;
		have_xstate_support = 1;
		return;
	}

	free(fp_regs);''')
open(path, "w").write(src)
