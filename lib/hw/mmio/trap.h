/* SPDX-License-Identifier: MIT */
/*
 * Trapped MMIO: CPU loads and stores to a PROT_NONE mapping, served by a
 * device model.
 *
 * An emulated device's BAR is mapped PROT_NONE; a program (QEMU, DPDK) reads
 * and writes it with ordinary instructions. Each access raises SIGSEGV; the
 * process's fault handler (uaccess.c) calls uio_trap_fault(), which decodes
 * the instruction (Zydis), performs its memory accesses through the range's
 * callback, updates the registers, flags and vector state in the signal
 * frame and steps RIP over the instruction. The access thus reaches the
 * device model before the next instruction runs, in the faulting thread.
 *
 * What is served (trap.c has the table): MOV (all forms, moffs, imm),
 * MOVZX/MOVSX/MOVSXD, MOVBE, MOVNTI, XCHG, XADD, CMPXCHG, CMP/TEST,
 * ADD/SUB/AND/OR/XOR/ADC/SBB (either operand in memory), INC/DEC/NEG/NOT,
 * IMUL (two and three operands), SHL/SHR/SAR/ROL/ROR/RCL/RCR, SETcc,
 * CMOVcc, BT/BTS/BTR/BTC, MOVS/STOS/LODS with or without REP, SSE and VEX
 * moves (MOVD/MOVQ/MOVSS/MOVSD, 16- and 32-byte aligned/unaligned/
 * non-temporal moves, LDDQU, MOVLPS/MOVLPD/MOVHPS/MOVHPD), and
 * CLFLUSH/CLFLUSHOPT/CLWB (no-ops). LOCK is accepted: a locked
 * read-modify-write is a read access then a write access; making it atomic
 * against other CPUs is the device model's business.
 * Anything else (EVEX, x87, MMX, gathers, ...) is reported on standard error
 * with the instruction and the address, and the fault goes on to the next
 * handler, so the program dies of SIGSEGV as it would on a bad access.
 *
 * A callback that fails with -EFAULT refuses the access: it faults as one
 * to unmapped memory would (the instruction stops there, the fault goes
 * on as SIGSEGV), which is what a store to a read-only mapping must do.
 * A callback that answers UIO_TRAP_SIGBUS makes it a bus error, as a
 * kernel fault handler's VM_FAULT_SIGBUS does: the instruction stops there
 * and raises SIGBUS (BUS_ADRERR, si_addr the faulting address), which goes
 * to the program's SIGBUS handler or kills it (uaccess.c raises it).
 * Any other error is a dead device on PCI: the read returns all-ones bytes,
 * the write is dropped, and the first such failures are logged.
 *
 * An access that runs past a trapped range into ordinary memory (or into
 * another range) is split: ordinary bytes are read or written directly,
 * before any callback runs, so a fault there (unmapped memory) leaves the
 * device untouched and the fault goes to the next handler.
 */
#ifndef UIO_TRAP_H
#define UIO_TRAP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A callback's answer: no access, the instruction raises SIGBUS. */
#define UIO_TRAP_SIGBUS 1

struct uio_trap_ops {
	/*
	 * One access at byte offset off from the start of the range as added:
	 * len is 1, 2, 4, 8, 16 or 32 bytes; buf holds the value to store
	 * (write) or receives the value loaded (read), little endian. Returns 0;
	 * -EFAULT: no access, the instruction faults (SIGSEGV goes on to the
	 * program; accesses it already made stand); UIO_TRAP_SIGBUS: no
	 * access, the instruction raises SIGBUS (accesses it already made
	 * stand); another -errno: a read returns all ones, a write is dropped,
	 * as a dead device's. Runs in the faulting thread, in signal context,
	 * with asynchronous signals blocked (async-signal-safe calls only, and
	 * no lock the interrupted code may hold).
	 */
	int (*access)(void *priv, uint64_t off, void *buf, unsigned len,
		      bool write);
	/*
	 * Optional: the range as added is gone, its last piece removed
	 * (uio_trap_remove, a shrinking or overwriting mremap), so nothing
	 * will call access with priv again: free it, let go of what it holds.
	 * Called once, in the thread that removed the last piece, outside the
	 * table's lock, not in signal context. Not called when the process
	 * ends (exit, exec): what the range held goes with the process.
	 */
	void (*release)(void *priv);
};

/*
 * Serve [addr, addr + len) (page aligned, already mapped PROT_NONE by the
 * caller) through ops and priv; installs the fault handler if needed.
 * Returns 0, -EINVAL (misaligned, empty, wrapping, no access callback),
 * -EEXIST (overlaps a range already served) or -ENOMEM (table full: 1024
 * ranges), or the error of installing the handler.
 */
int uio_trap_add(void *addr, size_t len, const struct uio_trap_ops *ops,
		 void *priv);

/*
 * Stop serving [addr, addr + len), rounded out to pages (before munmap or a
 * MAP_FIXED over it): ranges inside go, partial overlaps are trimmed or
 * split (the pieces kept serve the same offsets as before). Returns once no
 * callback for the removed part runs any more, and once the release
 * callback of each range whose last piece went has run.
 * Must not be called from a callback of a range it removes, nor while
 * holding a lock such a callback or a release takes: it waits for those
 * callbacks, and runs the releases.
 */
void uio_trap_remove(void *addr, size_t len);

/* Whether [addr, addr + len) (rounded out to pages) touches a trapped
 * range: 0 no, 1 it lies inside one, -1 it touches some otherwise. */
int uio_trap_covers(const void *addr, size_t len);

/*
 * mremap() of memory that touches a trapped range, as the kernel's treats
 * a mapping that is VM_PFNMAP | VM_DONTEXPAND (a device BAR's), with its
 * checks in its order: a shrink unmaps the tail (the pieces go as with
 * uio_trap_remove); a growth is EFAULT, MREMAP_DONTUNMAP EINVAL (after
 * MREMAP_FIXED's target and the tail are unmapped, as there); a move
 * (MREMAP_FIXED) moves the memory and serves the same offsets at the new
 * address. *handled is false when no trapped range is involved (the
 * caller then does the real call); else the result: the address, or
 * -errno.
 */
long uio_trap_mremap(void *old_addr, size_t old_len, size_t new_len,
		     int flags, void *new_addr, bool *handled);

/* What became of a fault. */
enum uio_trap_verdict {
	UIO_TRAP_PASS,      /* not ours, or not served: pass the fault on */
	UIO_TRAP_SERVED,    /* served: registers updated, RIP advanced */
	UIO_TRAP_BUS_ERROR, /* a callback answered UIO_TRAP_SIGBUS: raise *bus */
};

/*
 * For the process's SIGSEGV handler, first after its user-copy recovery:
 * whether the fault was an access to a trapped range, served or a bus
 * error (then *bus is the SIGBUS to raise: BUS_ADRERR at the address that
 * faulted, the registers as the instruction left them), or not ours.
 * errno is kept.
 */
enum uio_trap_verdict uio_trap_fault(int sig, siginfo_t *info, void *ucontext,
				     siginfo_t *bus);

/*
 * Optional hook (for --trace): called after each callback with its
 * arguments and result (rc), in the same context as the callback. NULL
 * turns it off.
 */
typedef void uio_trap_trace_fn(void *priv, uint64_t off, const void *buf,
			       unsigned len, bool write, int rc);
void uio_trap_set_trace(uio_trap_trace_fn *fn);

#endif
