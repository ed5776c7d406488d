// SPDX-License-Identifier: MIT
/*
 * Trapped MMIO (lib/hw/mmio/trap.c): CPU loads and stores to a PROT_NONE
 * range served by a callback.
 *
 * The device is a 4 KiB register file with a log of every access (offset,
 * width, value, read or write, pid), kept in MAP_SHARED memory so a forked
 * child's accesses show in the parent. Each instruction form is run twice,
 * on ordinary memory and on the trapped range with the same contents,
 * registers and flags: memory, registers and RFLAGS must come out the same.
 * Also: C volatile accesses of each width, memcpy/memset of 1..4096 bytes,
 * REP string instructions both ways (and backwards), SSE/AVX moves and
 * VEX zeroing of the upper YMM half, high-byte registers, RIP-relative,
 * fs- and gs-relative, moffs and 32-bit addresses, accesses straddling the
 * range's end, failing callbacks, program order of the log, 8 threads,
 * fork, splitting a range, the program's own SIGSEGV handler, bus errors
 * (SIGBUS to the program's handler with the faulting address and the
 * registers where the instruction stopped, or death by SIGBUS), and an
 * unsupported instruction (message, then death by SIGSEGV).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "trap.h"
#include "uaccess.h"

#if defined(__SANITIZE_THREAD__)
#define TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN 1
#endif
#endif

#define PAGE 4096
#define LOGMAX (1 << 17)
#define WINDOW 1024 /* where the instruction tests put their operand */

struct logent {
	uint64_t off;
	uint32_t len;
	uint8_t write;
	int32_t pid;
	uint8_t val[32];
};

/* The device, in MAP_SHARED memory. */
struct dev {
	atomic_flag lock; /* callbacks run in signal context: a spinlock */
	uint8_t regs[PAGE];
	_Atomic int fail;           /* callbacks return this */
	_Atomic int fail_writes;    /* writes return this */
	_Atomic int alrm_blocked;   /* SIGALRM was blocked in the last callback */
	_Atomic uint32_t bus_from;  /* offsets from here: UIO_TRAP_SIGBUS (0: none) */
	_Atomic int bad;            /* a callback saw bad arguments */
	_Atomic uint32_t nlog;
	struct logent log[LOGMAX];
};

static struct dev *dev;
static uint8_t *mmio;       /* the trapped page */
static uint8_t *after;      /* the ordinary page right after it */

static int dev_access(void *priv, uint64_t off, void *buf, unsigned len,
		      bool write)
{
	struct dev *d = priv;
	uint64_t reg = off % PAGE; /* larger ranges repeat the file */
	uint32_t i;

	if ((len != 1 && len != 2 && len != 4 && len != 8 && len != 16 &&
	     len != 32) || reg + len > PAGE) {
		atomic_store(&d->bad, 1);
		return -EINVAL;
	}
	if (atomic_load(&d->bus_from) && reg >= atomic_load(&d->bus_from))
		return UIO_TRAP_SIGBUS;
	if (atomic_load(&d->fail))
		return atomic_load(&d->fail);
	if (write && atomic_load(&d->fail_writes))
		return atomic_load(&d->fail_writes);
	{
		sigset_t cur;

		pthread_sigmask(SIG_BLOCK, NULL, &cur);
		atomic_store(&d->alrm_blocked, sigismember(&cur, SIGALRM) == 1);
	}
	while (atomic_flag_test_and_set_explicit(&d->lock, memory_order_acquire))
		;
	if (write)
		memcpy(d->regs + reg, buf, len);
	else
		memcpy(buf, d->regs + reg, len);
	i = atomic_fetch_add(&d->nlog, 1);
	if (i < LOGMAX) {
		d->log[i].off = off;
		d->log[i].len = len;
		d->log[i].write = write;
		d->log[i].pid = (int32_t)syscall(SYS_getpid);
		memcpy(d->log[i].val, buf, len);
	}
	atomic_flag_clear_explicit(&d->lock, memory_order_release);
	return 0;
}

static const struct uio_trap_ops dev_ops = { .access = dev_access };

/*
 * Called first by every test. cmocka installs its own SIGSEGV handler
 * around each test; put ours back in front of it, chaining to it, as the
 * preload layer keeps ours in front of the program's.
 */
static void reset_dev(void)
{
	assert_int_equal(uio_uaccess_ensure(), 0);
	memset(dev->regs, 0, PAGE);
	atomic_store(&dev->nlog, 0);
	atomic_store(&dev->fail, 0);
	atomic_store(&dev->fail_writes, 0);
	atomic_store(&dev->bus_from, 0);
	atomic_store(&dev->bad, 0);
}

static int setup(void **state)
{
	(void)state;
	dev = mmap(NULL, sizeof(*dev), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (dev == MAP_FAILED)
		return -1;
	atomic_flag_clear(&dev->lock);
	/* [trapped page][ordinary page][guard, unmapped] */
	mmio = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mmio == MAP_FAILED)
		return -1;
	after = mmio + PAGE;
	munmap(mmio + 2 * PAGE, PAGE);
	mprotect(mmio, PAGE, PROT_NONE);
	return uio_trap_add(mmio, PAGE, &dev_ops, dev);
}

static int teardown(void **state)
{
	(void)state;
	uio_trap_remove(mmio, PAGE);
	munmap(mmio, 2 * PAGE);
	munmap(dev, sizeof(*dev));
	return 0;
}

/* For accesses that straddle: no alignment assumed (UBSan checks it). */
typedef uint64_t u64_unaligned __attribute__((aligned(1)));
typedef uint32_t u32_unaligned __attribute__((aligned(1)));

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v;
}

/* ------------------------------------------------------------------ */
/* C volatile accesses */

static void test_volatile_widths(void **state)
{
	(void)state;
	reset_dev();
	*(volatile uint8_t *)(mmio + 1) = 0xa1;
	*(volatile uint16_t *)(mmio + 2) = 0xb2b3;
	*(volatile uint32_t *)(mmio + 4) = 0xc4c5c6c7;
	*(volatile uint64_t *)(mmio + 8) = 0xd8d9dadbdcdddedfull;
	assert_int_equal(atomic_load(&dev->nlog), 4);
	for (unsigned i = 0, w = 1; i < 4; i++, w *= 2) {
		assert_int_equal(dev->log[i].off, w);
		assert_int_equal(dev->log[i].len, w);
		assert_true(dev->log[i].write);
	}
	assert_int_equal(le(dev->regs + 8, 8), 0xd8d9dadbdcdddedfull);
	assert_int_equal(*(volatile uint8_t *)(mmio + 1), 0xa1);
	assert_int_equal(*(volatile uint16_t *)(mmio + 2), 0xb2b3);
	assert_int_equal(*(volatile uint32_t *)(mmio + 4), 0xc4c5c6c7);
	assert_int_equal(*(volatile uint64_t *)(mmio + 8), 0xd8d9dadbdcdddedfull);
	assert_int_equal(*(volatile int8_t *)(mmio + 1), (int8_t)0xa1);
	assert_int_equal(*(volatile int16_t *)(mmio + 2), (int16_t)0xb2b3);
	assert_int_equal(atomic_load(&dev->nlog), 10);
	assert_false(dev->log[9].write);
	assert_int_equal(dev->log[9].len, 2);
	assert_false(atomic_load(&dev->bad));
}

/* ------------------------------------------------------------------ */
/* instruction forms, native vs trapped */

/*
 * An instruction under test: runs on the operand at p, with r (and rax for
 * some) and the flags loaded. The red zone is stepped over before the push
 * (the compiler may keep locals there).
 */
typedef void op_fn(uint8_t *p, uint64_t *r, uint64_t *rax, uint64_t *flags);

#define PRE "lea -128(%%rsp), %%rsp\n\tpushq %[f]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpopq %[f]\n\tcld\n\tlea 128(%%rsp), %%rsp"
#define OP(name, insn)                                                        \
	static void name(uint8_t *p, uint64_t *r, uint64_t *rax, uint64_t *flags) \
	{                                                                     \
		uint64_t rr = *r, a = *rax, f = *flags;                       \
		__asm__ volatile(PRE insn POST                                \
				 : [r] "+r"(rr), "+a"(a), [f] "+r"(f)         \
				 : [p] "r"(p)                                 \
				 : "cc", "memory");                           \
		*r = rr;                                                      \
		*rax = a;                                                     \
		*flags = f;                                                   \
	}

/* The same with the pointer in RSI: AH..BH cannot be encoded with REX. */
#define OPH(name, insn)                                                       \
	static void name(uint8_t *p, uint64_t *r, uint64_t *rax, uint64_t *flags) \
	{                                                                     \
		uint64_t a = *rax, f = *flags;                                \
		(void)r;                                                      \
		__asm__ volatile(PRE insn POST                                \
				 : "+a"(a), [f] "+r"(f)                       \
				 : [p] "S"(p)                                 \
				 : "cc", "memory");                           \
		*rax = a;                                                     \
		*flags = f;                                                   \
	}

/* The same with r in RCX, for shift counts in CL. */
#define OPC(name, insn)                                                       \
	static void name(uint8_t *p, uint64_t *r, uint64_t *rax, uint64_t *flags) \
	{                                                                     \
		uint64_t rr = *r, a = *rax, f = *flags;                       \
		__asm__ volatile(PRE insn POST                                \
				 : "+c"(rr), "+a"(a), [f] "+r"(f)             \
				 : [p] "r"(p)                                 \
				 : "cc", "memory");                           \
		*r = rr;                                                      \
		*rax = a;                                                     \
		*flags = f;                                                   \
	}

/* Binary ALU: memory destination, register destination, locked, immediates. */
#define ALU_FORMS(op)                                                         \
	OP(op##_mb, #op "b %b[r], (%[p])")                                    \
	OP(op##_mw, #op "w %w[r], (%[p])")                                    \
	OP(op##_ml, #op "l %k[r], (%[p])")                                    \
	OP(op##_mq, #op "q %q[r], (%[p])")                                    \
	OP(op##_rb, #op "b (%[p]), %b[r]")                                    \
	OP(op##_rw, #op "w (%[p]), %w[r]")                                    \
	OP(op##_rl, #op "l (%[p]), %k[r]")                                    \
	OP(op##_rq, #op "q (%[p]), %q[r]")                                    \
	OP(op##_ib, #op "b $0x81, (%[p])")                                    \
	OP(op##_iw, #op "w $-3, (%[p])")                                      \
	OP(op##_il, #op "l $0x12345678, (%[p])")                              \
	OP(op##_iq, #op "q $-0x7f000000, (%[p])")
#define LOCK_FORMS(op)                                                        \
	OP(op##_Lb, "lock " #op "b %b[r], (%[p])")                            \
	OP(op##_Lw, "lock " #op "w %w[r], (%[p])")                            \
	OP(op##_Ll, "lock " #op "l %k[r], (%[p])")                            \
	OP(op##_Lq, "lock " #op "q %q[r], (%[p])")
#define UNARY_FORMS(op)                                                       \
	OP(op##_b, #op "b (%[p])")                                            \
	OP(op##_w, #op "w (%[p])")                                            \
	OP(op##_l, #op "l (%[p])")                                            \
	OP(op##_q, #op "q (%[p])")                                            \
	OP(op##_Lb, "lock " #op "b (%[p])")                                   \
	OP(op##_Lq, "lock " #op "q (%[p])")
#define BT_FORMS(op)                                                          \
	OP(op##_w, #op "w %w[r], (%[p])")                                     \
	OP(op##_l, #op "l %k[r], (%[p])")                                     \
	OP(op##_q, #op "q %q[r], (%[p])")                                     \
	OP(op##_iw, #op "w $13, (%[p])")                                      \
	OP(op##_il, #op "l $37, (%[p])")                                      \
	OP(op##_iq, #op "q $63, (%[p])")

ALU_FORMS(add) ALU_FORMS(or) ALU_FORMS(adc) ALU_FORMS(sbb) ALU_FORMS(and)
ALU_FORMS(sub) ALU_FORMS(xor) ALU_FORMS(cmp)
LOCK_FORMS(add) LOCK_FORMS(or) LOCK_FORMS(adc) LOCK_FORMS(sbb)
LOCK_FORMS(and) LOCK_FORMS(sub) LOCK_FORMS(xor) LOCK_FORMS(xadd)
LOCK_FORMS(xchg) LOCK_FORMS(cmpxchg)
UNARY_FORMS(inc) UNARY_FORMS(dec) UNARY_FORMS(neg) UNARY_FORMS(not)
BT_FORMS(bt) BT_FORMS(bts) BT_FORMS(btr) BT_FORMS(btc)

#define SHIFT_FORMS(op)                                                       \
	OP(op##_1b, #op "b (%[p])")                                           \
	OP(op##_1l, #op "l (%[p])")                                           \
	OP(op##_ib, #op "b $5, (%[p])")                                       \
	OP(op##_iw, #op "w $17, (%[p])")                                      \
	OP(op##_il, #op "l $31, (%[p])")                                      \
	OP(op##_iq, #op "q $33, (%[p])")                                      \
	OPC(op##_cb, #op "b %%cl, (%[p])")                                    \
	OPC(op##_cl, #op "l %%cl, (%[p])")                                    \
	OPC(op##_cq, #op "q %%cl, (%[p])")
SHIFT_FORMS(shl) SHIFT_FORMS(shr) SHIFT_FORMS(sar) SHIFT_FORMS(rol)
SHIFT_FORMS(ror) SHIFT_FORMS(rcl) SHIFT_FORMS(rcr)
OP(imul_rw, "imulw (%[p]), %w[r]")
OP(imul_rl, "imull (%[p]), %k[r]")
OP(imul_rq, "imulq (%[p]), %q[r]")
OP(imul3_w, "imulw $300, (%[p]), %w[r]")
OP(imul3_l, "imull $-7, (%[p]), %k[r]")
OP(imul3_q, "imulq $0x12345, (%[p]), %q[r]")
OP(seto_m, "seto (%[p])")
OP(setb_m, "setb (%[p])")
OP(setz_m, "setz (%[p])")
OP(setnz_m, "setnz (%[p])")
OP(setbe_m, "setbe (%[p])")
OP(sets_m, "sets (%[p])")
OP(setp_m, "setp (%[p])")
OP(setl_m, "setl (%[p])")
OP(setle_m, "setle (%[p])")
OP(setnle_m, "setnle (%[p])")
OP(cmovz_l, "cmovzl (%[p]), %k[r]")
OP(cmovnz_q, "cmovnzq (%[p]), %q[r]")
OP(cmovl_w, "cmovlw (%[p]), %w[r]")
OP(cmovbe_l, "cmovbel (%[p]), %k[r]")
OP(cmovo_q, "cmovoq (%[p]), %q[r]")
OP(cmovnp_l, "cmovnpl (%[p]), %k[r]")
OP(test_mb, "testb %b[r], (%[p])")
OP(test_mw, "testw %w[r], (%[p])")
OP(test_ml, "testl %k[r], (%[p])")
OP(test_mq, "testq %q[r], (%[p])")
OP(test_ib, "testb $0x81, (%[p])")
OP(test_il, "testl $0x80000001, (%[p])")
OP(test_iq, "testq $-2, (%[p])")
OP(xadd_b, "xaddb %b[r], (%[p])")
OP(xadd_q, "xaddq %q[r], (%[p])")
OP(xchg_b, "xchgb %b[r], (%[p])")
OP(xchg_l, "xchgl (%[p]), %k[r]")
OP(cmpxchg_b, "cmpxchgb %b[r], (%[p])")
OP(cmpxchg_q, "cmpxchgq %q[r], (%[p])")
/* moves */
OP(mov_ldb, "movb (%[p]), %b[r]")
OP(mov_ldw, "movw (%[p]), %w[r]")
OP(mov_ldl, "movl (%[p]), %k[r]")
OP(mov_ldq, "movq (%[p]), %q[r]")
OP(mov_stb, "movb %b[r], (%[p])")
OP(mov_stw, "movw %w[r], (%[p])")
OP(mov_stl, "movl %k[r], (%[p])")
OP(mov_stq, "movq %q[r], (%[p])")
OP(mov_ib, "movb $0x9c, (%[p])")
OP(mov_iw, "movw $0x9c8d, (%[p])")
OP(mov_il, "movl $0x9c8d7e6f, (%[p])")
OP(mov_iq, "movq $-0x12345678, (%[p])")
OP(mov_disp, "movl 0x10(%[p],%[r],4), %%eax")
OP(movzx_bl, "movzbl (%[p]), %k[r]")
OP(movzx_bq, "movzbq (%[p]), %q[r]")
OP(movzx_wl, "movzwl (%[p]), %k[r]")
OP(movzx_wq, "movzwq (%[p]), %q[r]")
OP(movsx_bw, "movsbw (%[p]), %w[r]")
OP(movsx_bl, "movsbl (%[p]), %k[r]")
OP(movsx_bq, "movsbq (%[p]), %q[r]")
OP(movsx_wl, "movswl (%[p]), %k[r]")
OP(movsx_wq, "movswq (%[p]), %q[r]")
OP(movsxd, "movslq (%[p]), %q[r]")
OP(movnti_l, "movnti %k[r], (%[p])")
OP(movnti_q, "movnti %q[r], (%[p])")
OP(movbe_ldl, "movbe (%[p]), %k[r]")
OP(movbe_stq, "movbe %q[r], (%[p])")
OP(movbe_stw, "movbe %w[r], (%[p])")
/* high-byte registers: AH is loaded, BH... via rax (a) */
OPH(mov_ah_ld, "movb 1(%[p]), %%ah")
OPH(mov_ah_st, "movb %%ah, 3(%[p])")
OPH(add_ah, "addb %%ah, 2(%[p])")
OPH(movzx_ah, "movzbl %%ah, %%eax\n\tmovb (%[p]), %%ah")

struct form {
	const char *name;
	op_fn *fn;
	bool movbe;
};

#define F(n) { #n, n, false }
static const struct form forms[] = {
#define ALU_LIST(op) F(op##_mb), F(op##_mw), F(op##_ml), F(op##_mq),          \
	F(op##_rb), F(op##_rw), F(op##_rl), F(op##_rq), F(op##_ib),           \
	F(op##_iw), F(op##_il), F(op##_iq)
#define LOCK_LIST(op) F(op##_Lb), F(op##_Lw), F(op##_Ll), F(op##_Lq)
#define UNARY_LIST(op) F(op##_b), F(op##_w), F(op##_l), F(op##_q),            \
	F(op##_Lb), F(op##_Lq)
#define BT_LIST(op) F(op##_w), F(op##_l), F(op##_q), F(op##_iw), F(op##_il),  \
	F(op##_iq)
	ALU_LIST(add), ALU_LIST(or), ALU_LIST(adc), ALU_LIST(sbb),
	ALU_LIST(and), ALU_LIST(sub), ALU_LIST(xor), ALU_LIST(cmp),
	LOCK_LIST(add), LOCK_LIST(or), LOCK_LIST(adc), LOCK_LIST(sbb),
	LOCK_LIST(and), LOCK_LIST(sub), LOCK_LIST(xor), LOCK_LIST(xadd),
	LOCK_LIST(xchg), LOCK_LIST(cmpxchg),
	UNARY_LIST(inc), UNARY_LIST(dec), UNARY_LIST(neg), UNARY_LIST(not),
	BT_LIST(bt), BT_LIST(bts), BT_LIST(btr), BT_LIST(btc),
	F(test_mb), F(test_mw), F(test_ml), F(test_mq), F(test_ib),
	F(test_il), F(test_iq), F(xadd_b), F(xadd_q), F(xchg_b), F(xchg_l),
	F(cmpxchg_b), F(cmpxchg_q),
	F(mov_ldb), F(mov_ldw), F(mov_ldl), F(mov_ldq), F(mov_stb),
	F(mov_stw), F(mov_stl), F(mov_stq), F(mov_ib), F(mov_iw), F(mov_il),
	F(mov_iq), F(movzx_bl), F(movzx_bq), F(movzx_wl), F(movzx_wq),
	F(movsx_bw), F(movsx_bl), F(movsx_bq), F(movsx_wl), F(movsx_wq),
	F(movsxd), F(movnti_l), F(movnti_q),
	{ "movbe_ldl", movbe_ldl, true }, { "movbe_stq", movbe_stq, true },
	{ "movbe_stw", movbe_stw, true },
	F(mov_ah_ld), F(mov_ah_st), F(add_ah), F(movzx_ah),
#define SHIFT_LIST(op) F(op##_1b), F(op##_1l), F(op##_ib), F(op##_iw),         \
	F(op##_il), F(op##_iq), F(op##_cb), F(op##_cl), F(op##_cq)
	SHIFT_LIST(shl), SHIFT_LIST(shr), SHIFT_LIST(sar), SHIFT_LIST(rol),
	SHIFT_LIST(ror), SHIFT_LIST(rcl), SHIFT_LIST(rcr),
	F(imul_rw), F(imul_rl), F(imul_rq), F(imul3_w), F(imul3_l),
	F(imul3_q), F(seto_m), F(setb_m), F(setz_m), F(setnz_m), F(setbe_m),
	F(sets_m), F(setp_m), F(setl_m), F(setle_m), F(setnle_m), F(cmovz_l),
	F(cmovnz_q), F(cmovl_w), F(cmovbe_l), F(cmovo_q), F(cmovnp_l),
};

static bool cpu_has_movbe(void)
{
	unsigned a, b, c, d;

	return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 22));
}

/*
 * Run fn on ordinary memory and on the trapped window with the same bytes
 * around the operand (bit-string forms reach +-50 bytes), registers and
 * flags; compare everything.
 */
static void same_as_native(const struct form *f, const uint8_t *init,
			   uint64_t r, uint64_t rax, uint64_t flags)
{
	uint8_t native[128] __attribute__((aligned(64)));
	uint64_t r1 = r, a1 = rax, f1 = flags, r2 = r, a2 = rax, f2 = flags;

	memcpy(native, init, 128);
	memcpy(dev->regs + WINDOW - 64, init, 128);
	f->fn(native + 64, &r1, &a1, &f1);
	f->fn(mmio + WINDOW, &r2, &a2, &f2);
	if (memcmp(native, dev->regs + WINDOW - 64, 128) || r1 != r2 ||
	    a1 != a2 || f1 != f2) {
		print_error("%s: r=%#lx rax=%#lx flags=%#lx mem=%#lx: native "
			    "r=%#lx rax=%#lx flags=%#lx mem=%#lx, trapped r=%#lx "
			    "rax=%#lx flags=%#lx mem=%#lx\n", f->name,
			    (unsigned long)r, (unsigned long)rax,
			    (unsigned long)flags, (unsigned long)le(init + 64, 8),
			    (unsigned long)r1, (unsigned long)a1,
			    (unsigned long)f1, (unsigned long)le(native + 64, 8),
			    (unsigned long)r2, (unsigned long)a2,
			    (unsigned long)f2,
			    (unsigned long)le(dev->regs + WINDOW, 8));
		fail();
	}
}

static void test_forms_match_native(void **state)
{
	static const uint64_t vals[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffff, 0x8000000000000000,
		~0ull, 0x0123456789abcdef, 0xfedcba9876543210,
	};
	/* bit offsets for BT* with a register: negative and beyond the operand */
	static const uint64_t bits[] = { 3, 17, 40, 63, 64, 100, 399, -1ull, -9ull, -200ull };
	/* none, all, CF, OF|ZF, SF, PF|SF|OF: every condition both ways */
	static const uint64_t flag_sets[] = { 0x202, 0x202 | 0x8d5, 0x203, 0xa42,
					      0x282, 0xa86 };
	bool movbe = cpu_has_movbe();
	uint8_t init[128];

	(void)state;
	reset_dev();
	for (unsigned i = 0; i < 128; i++)
		init[i] = (uint8_t)(i * 37 + 11);
	for (size_t fi = 0; fi < sizeof(forms) / sizeof(forms[0]); fi++) {
		const struct form *f = &forms[fi];
		bool bt = !strncmp(f->name, "bt", 2);

		if (f->movbe && !movbe)
			continue;
		for (size_t mi = 0; mi < sizeof(vals) / sizeof(vals[0]); mi++) {
			memcpy(init + 64, &vals[mi], 8);
			for (size_t ri = 0; ri < (bt ? sizeof(bits) / sizeof(bits[0])
						     : sizeof(vals) / sizeof(vals[0]));
			     ri += bt ? 1 : 3) {
				uint64_t r = bt ? bits[ri] : vals[ri];

				for (size_t k = 0; k < sizeof(flag_sets) / sizeof(flag_sets[0]); k++) {
					/* rax: equal to memory half the time (CMPXCHG) */
					uint64_t rax = k & 1 ? vals[mi] : vals[(mi + ri) % 16];

					same_as_native(f, init, r, rax, flag_sets[k]);
				}
			}
		}
	}
	assert_false(atomic_load(&dev->bad));
}

/* Addressing: base + index * scale + disp, from C and asm. */
static void test_addressing(void **state)
{
	uint8_t init[128];
	const struct form f = F(mov_disp);

	(void)state;
	reset_dev();
	for (unsigned i = 0; i < 128; i++)
		init[i] = (uint8_t)(i * 13 + 5);
	same_as_native(&f, init, 2, 0, 0x202);      /* +0x18 */
	same_as_native(&f, init, -6ull, 0, 0x202);  /* -0x8 */
}

/* ------------------------------------------------------------------ */
/* vector moves */

static bool cpu_has_avx(void)
{
	return __builtin_cpu_supports("avx");
}

/* Bytes of a pattern, distinct per position and seed. */
static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 31 + 1);
}

/*
 * Run a vector instruction: ymm0/ymm1 loaded from in[0..64), then insn with
 * %[p] the operand, then ymm0/ymm1 stored to out[0..64). zu: load only the
 * low halves after VZEROUPPER, so the upper halves are in their initial
 * state (XSTATE_BV bit 2 clear in the signal frame).
 */
#define VOP(name, insn)                                                       \
	static void name(uint8_t *p, const uint8_t *in, uint8_t *out, int zu) \
	{                                                                     \
		__asm__ volatile("test %[zu], %[zu]\n\tjz 1f\n\t"              \
				 "vzeroupper\n\t"                             \
				 "movdqu (%[in]), %%xmm0\n\t"                 \
				 "movdqu 32(%[in]), %%xmm1\n\tjmp 2f\n"        \
				 "1:\n\tvmovdqu (%[in]), %%ymm0\n\t"          \
				 "vmovdqu 32(%[in]), %%ymm1\n"                \
				 "2:\n\t" insn "\n\t"                          \
				 "vmovdqu %%ymm0, (%[out])\n\t"               \
				 "vmovdqu %%ymm1, 32(%[out])"                 \
				 :                                            \
				 : [p] "r"(p), [in] "r"(in), [out] "r"(out),  \
				   [zu] "r"(zu)                               \
				 : "xmm0", "xmm1", "cc", "memory");           \
	}
typedef void vop_fn(uint8_t *p, const uint8_t *in, uint8_t *out, int zu);

VOP(v_movd_ld, "movd (%[p]), %%xmm0")
VOP(v_movd_st, "movd %%xmm1, (%[p])")
VOP(v_movq_ld, "movq (%[p]), %%xmm0")
VOP(v_movq_st, "movq %%xmm1, (%[p])")
VOP(v_movss_ld, "movss (%[p]), %%xmm0")
VOP(v_movss_st, "movss %%xmm1, (%[p])")
VOP(v_movsd_ld, "movsd (%[p]), %%xmm0")
VOP(v_movsd_st, "movsd %%xmm1, (%[p])")
VOP(v_movdqa_ld, "movdqa (%[p]), %%xmm0")
VOP(v_movdqa_st, "movdqa %%xmm1, (%[p])")
VOP(v_movdqu_ld, "movdqu 1(%[p]), %%xmm0")
VOP(v_movdqu_st, "movdqu %%xmm1, 3(%[p])")
VOP(v_movaps_ld, "movaps (%[p]), %%xmm0")
VOP(v_movaps_st, "movaps %%xmm1, (%[p])")
VOP(v_movups_ld, "movups 5(%[p]), %%xmm0")
VOP(v_movups_st, "movups %%xmm1, 7(%[p])")
VOP(v_movapd_ld, "movapd (%[p]), %%xmm0")
VOP(v_movupd_st, "movupd %%xmm1, 9(%[p])")
VOP(v_movntdq_st, "movntdq %%xmm1, (%[p])")
VOP(v_movntps_st, "movntps %%xmm1, (%[p])")
VOP(v_movntdqa_ld, "movntdqa (%[p]), %%xmm0")
VOP(v_lddqu_ld, "lddqu 2(%[p]), %%xmm0")
VOP(v_movlps_ld, "movlps (%[p]), %%xmm0")
VOP(v_movhps_ld, "movhps (%[p]), %%xmm0")
VOP(v_movlpd_st, "movlpd %%xmm1, (%[p])")
VOP(v_movhpd_st, "movhpd %%xmm1, (%[p])")
VOP(v_vmovd_ld, "vmovd (%[p]), %%xmm0")
VOP(v_vmovq_ld, "vmovq (%[p]), %%xmm0")
VOP(v_vmovq_st, "vmovq %%xmm1, (%[p])")
VOP(v_vmovss_ld, "vmovss (%[p]), %%xmm0")
VOP(v_vmovsd_ld, "vmovsd (%[p]), %%xmm0")
VOP(v_vmovdqu_ld128, "vmovdqu 4(%[p]), %%xmm0")
VOP(v_vmovdqa_ld128, "vmovdqa (%[p]), %%xmm0")
VOP(v_vmovdqu_ld256, "vmovdqu 1(%[p]), %%ymm0")
VOP(v_vmovdqa_ld256, "vmovdqa (%[p]), %%ymm0")
VOP(v_vmovdqu_st256, "vmovdqu %%ymm1, 6(%[p])")
VOP(v_vmovdqa_st256, "vmovdqa %%ymm1, (%[p])")
VOP(v_vmovups_ld256, "vmovups (%[p]), %%ymm0")
VOP(v_vmovaps_st256, "vmovaps %%ymm1, (%[p])")
VOP(v_vmovntdq_st256, "vmovntdq %%ymm1, (%[p])")
VOP(v_vmovntps_st128, "vmovntps %%xmm1, (%[p])")
VOP(v_vmovntdqa_ld128, "vmovntdqa (%[p]), %%xmm0")
VOP(v_vlddqu_ld256, "vlddqu 3(%[p]), %%ymm0")
VOP(v_vmovlps_ld, "vmovlps (%[p]), %%xmm1, %%xmm0")
VOP(v_vmovhpd_ld, "vmovhpd (%[p]), %%xmm1, %%xmm0")
VOP(v_vmovhps_st, "vmovhps %%xmm1, (%[p])")

struct vform {
	const char *name;
	vop_fn *fn;
};
#define VF(n) { #n, n }
static const struct vform vforms[] = {
	VF(v_movd_ld), VF(v_movd_st), VF(v_movq_ld), VF(v_movq_st),
	VF(v_movss_ld), VF(v_movss_st), VF(v_movsd_ld), VF(v_movsd_st),
	VF(v_movdqa_ld), VF(v_movdqa_st), VF(v_movdqu_ld), VF(v_movdqu_st),
	VF(v_movaps_ld), VF(v_movaps_st), VF(v_movups_ld), VF(v_movups_st),
	VF(v_movapd_ld), VF(v_movupd_st), VF(v_movntdq_st), VF(v_movntps_st),
	VF(v_movntdqa_ld), VF(v_lddqu_ld), VF(v_movlps_ld), VF(v_movhps_ld),
	VF(v_movlpd_st), VF(v_movhpd_st), VF(v_vmovd_ld), VF(v_vmovq_ld),
	VF(v_vmovq_st), VF(v_vmovss_ld), VF(v_vmovsd_ld), VF(v_vmovdqu_ld128),
	VF(v_vmovdqa_ld128), VF(v_vmovdqu_ld256), VF(v_vmovdqa_ld256),
	VF(v_vmovdqu_st256), VF(v_vmovdqa_st256), VF(v_vmovups_ld256),
	VF(v_vmovaps_st256), VF(v_vmovntdq_st256), VF(v_vmovntps_st128),
	VF(v_vmovntdqa_ld128), VF(v_vlddqu_ld256), VF(v_vmovlps_ld),
	VF(v_vmovhpd_ld), VF(v_vmovhps_st),
};

/*
 * Each vector form on ordinary memory and on the trapped window: the
 * registers (all 256 bits of ymm0 and ymm1, so legacy SSE keeping and VEX
 * zeroing the upper half are both checked) and memory must match. The
 * upper halves start non-zero, and also zero (the XSAVE frame then has the
 * AVX component in its initial state).
 */
static void test_vector_moves(void **state)
{
	uint8_t in[64], out1[64], out2[64];
	uint8_t native[192] __attribute__((aligned(64)));

	(void)state;
	if (!cpu_has_avx())
		skip();
	reset_dev();
	for (size_t i = 0; i < sizeof(vforms) / sizeof(vforms[0]); i++) {
		for (int zero_upper = 0; zero_upper < 2; zero_upper++) {
			pattern(in, 64, (unsigned)i);
			if (zero_upper) {
				memset(in + 16, 0, 16);
				memset(in + 48, 0, 16);
			}
			pattern(native, 192, 100 + (unsigned)i);
			memcpy(dev->regs + WINDOW - 64, native, 192);
			vforms[i].fn(native + 64, in, out1, zero_upper);
			vforms[i].fn(mmio + WINDOW, in, out2, zero_upper);
			if (memcmp(out1, out2, 64) ||
			    memcmp(native, dev->regs + WINDOW - 64, 192)) {
				print_error("%s (upper %s): registers %s, memory %s\n",
					    vforms[i].name,
					    zero_upper ? "zero" : "set",
					    memcmp(out1, out2, 64) ? "differ" : "same",
					    memcmp(native, dev->regs + WINDOW - 64, 192)
						    ? "differs" : "same");
				fail();
			}
		}
	}
	assert_false(atomic_load(&dev->bad));
}

static void test_avx_access_width(void **state)
{
	uint8_t in[64], out[64];

	(void)state;
	if (!cpu_has_avx())
		skip();
	reset_dev();
	pattern(in, 64, 3);
	v_vmovdqu_st256(mmio + WINDOW - 6, in, out, 0);
	assert_int_equal(atomic_load(&dev->nlog), 1);
	assert_int_equal(dev->log[0].off, WINDOW);
	assert_int_equal(dev->log[0].len, 32);
	assert_memory_equal(dev->log[0].val, in + 32, 32);
	v_movdqa_ld(mmio + WINDOW, in, out, 0);
	assert_int_equal(dev->log[1].len, 16);
	assert_false(dev->log[1].write);
}

/* ------------------------------------------------------------------ */
/* string instructions */

struct sregs {
	uint64_t rsi, rdi, rcx, rax, flags;
};

#define SOP(name, insn)                                                       \
	static void name(struct sregs *s)                                     \
	{                                                                     \
		uint64_t f = s->flags;                                        \
		__asm__ volatile(PRE insn POST                                \
				 : "+S"(s->rsi), "+D"(s->rdi), "+c"(s->rcx),  \
				   "+a"(s->rax), [f] "+r"(f)                  \
				 :                                            \
				 : "cc", "memory");                           \
		s->flags = f;                                                 \
	}
SOP(s_rep_movsb, "rep movsb")
SOP(s_rep_movsw, "rep movsw")
SOP(s_rep_movsl, "rep movsl")
SOP(s_rep_movsq, "rep movsq")
SOP(s_movsb, "movsb")
SOP(s_movsq, "movsq")
SOP(s_rep_stosb, "rep stosb")
SOP(s_rep_stosl, "rep stosl")
SOP(s_rep_stosq, "rep stosq")
SOP(s_stosw, "stosw")
SOP(s_lodsb, "lodsb")
SOP(s_lodsl, "lodsl")
SOP(s_rep_lodsq, "rep lodsq")
SOP(s_rep_lodsw, "rep lodsw")
typedef void sop_fn(struct sregs *s);

/*
 * Run a string instruction on two layouts of the same bytes: an ordinary
 * buffer, and a copy whose source or destination (or both) is the trapped
 * page. area: 0 source trapped, 1 destination trapped, 2 both in the page.
 */
static void string_case(const char *name, sop_fn *fn, unsigned area,
			long soff, long doff, uint64_t count, bool down)
{
	/* Native: page A = nat[0, PAGE), page B = nat[PAGE, 2 PAGE). The
	 * trapped run puts A (area 0, 2) or B (area 1) in the device and the
	 * other in ord. Source in A, destination in B (area 2: both in A). */
	static uint8_t nat[2 * PAGE], ord[PAGE];
	uint8_t *ns, *nd, *ts, *td;
	struct sregs a, b;
	uint64_t flags = 0x202 | (down ? 0x400 : 0);

	pattern(nat, sizeof(nat), (unsigned)count);
	memcpy(dev->regs, nat + (area == 1 ? PAGE : 0), PAGE);
	memcpy(ord, nat + (area == 1 ? 0 : PAGE), PAGE);
	ns = nat + soff;
	nd = nat + (area == 2 ? 0 : PAGE) + doff;
	ts = (area == 1 ? ord : mmio) + soff;
	td = (area == 0 ? ord : mmio) + doff;
	a = (struct sregs){ (uintptr_t)ns, (uintptr_t)nd, count, 0x1122334455667788ull, flags };
	b = (struct sregs){ (uintptr_t)ts, (uintptr_t)td, count, 0x1122334455667788ull, flags };
	fn(&a);
	fn(&b);
	if (a.rsi - (uintptr_t)ns != b.rsi - (uintptr_t)ts ||
	    a.rdi - (uintptr_t)nd != b.rdi - (uintptr_t)td || a.rcx != b.rcx ||
	    a.rax != b.rax || a.flags != b.flags) {
		print_error("%s area %u count %lu: registers differ\n", name,
			    area, (unsigned long)count);
		fail();
	}
	if (memcmp(dev->regs, nat + (area == 1 ? PAGE : 0), PAGE) ||
	    (area != 2 && memcmp(ord, nat + (area == 1 ? 0 : PAGE), PAGE))) {
		print_error("%s area %u count %lu: memory differs\n", name,
			    area, (unsigned long)count);
		fail();
	}
}

static void test_string_ops(void **state)
{
	static const uint64_t counts[] = { 0, 1, 2, 3, 7, 8, 9, 31, 64, 65, 255, 256, 257, 1000 };

	(void)state;
	reset_dev();
	for (unsigned area = 0; area < 2; area++) {
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			uint64_t c = counts[i];

			string_case("rep movsb", s_rep_movsb, area, 5, 3, c, false);
			string_case("rep movsb", s_rep_movsb, area, 0, 0, c * 4 > 4000 ? 4000 : c * 4, false);
			string_case("rep movsw", s_rep_movsw, area, 2, 6, c, false);
			string_case("rep movsl", s_rep_movsl, area, 4, 1, c, false);
			string_case("rep movsq", s_rep_movsq, area, 8, 16, c > 500 ? 500 : c, false);
			string_case("rep stosb", s_rep_stosb, area, 0, 11, c, false);
			string_case("rep stosl", s_rep_stosl, area, 0, 12, c, false);
			string_case("rep stosq", s_rep_stosq, area, 0, 8, c > 500 ? 500 : c, false);
			string_case("rep lodsq", s_rep_lodsq, area, 8, 0, c > 500 ? 500 : c, false);
			string_case("rep lodsw", s_rep_lodsw, area, 1, 0, c, false);
			/* backwards, from the end of the page */
			if (c)
				string_case("std rep movsb", s_rep_movsb, area,
					    (long)c + 7, (long)c + 20, c, true);
			if (c && c < 500)
				string_case("std rep movsq", s_rep_movsq, area,
					    (long)c * 8 + 8, (long)c * 8, c, true);
			if (c)
				string_case("std rep stosl", s_rep_stosl, area,
					    0, (long)c * 4, c, true);
		}
		string_case("movsb", s_movsb, area, 9, 4, 77, false);
		string_case("movsq", s_movsq, area, 9, 4, 77, false);
		string_case("stosw", s_stosw, area, 0, 4, 77, false);
		string_case("lodsb", s_lodsb, area, 3, 0, 77, false);
		string_case("lodsl", s_lodsl, area, 3, 0, 77, false);
		string_case("std movsb", s_movsb, area, 9, 4, 77, true);
	}
	/* both operands in the trapped page, overlapping either way */
	for (size_t i = 1; i < sizeof(counts) / sizeof(counts[0]); i++) {
		uint64_t c = counts[i] > 2000 ? 2000 : counts[i];

		string_case("rep movsb in", s_rep_movsb, 2, 0, 2048, c, false);
		string_case("rep movsb +1", s_rep_movsb, 2, 100, 101, c, false);
		string_case("rep movsb +9", s_rep_movsb, 2, 100, 109, c, false);
		string_case("rep movsb -3", s_rep_movsb, 2, 103, 100, c, false);
		string_case("rep movsq +4", s_rep_movsq, 2, 100, 104, c / 8 + 1, false);
		string_case("std rep movsb +1", s_rep_movsb, 2, 3000, 3001, c, true);
	}
	assert_false(atomic_load(&dev->bad));
}

/* rep movsb whose source runs from the trapped page into the ordinary one
 * after it: the part left is finished natively (RIP not advanced). */
static void test_string_leaves_range(void **state)
{
	static uint8_t dst[2 * PAGE];
	struct sregs s;

	(void)state;
	reset_dev();
	pattern(dev->regs, PAGE, 1);
	pattern(after, PAGE, 2);
	s = (struct sregs){ (uintptr_t)mmio + 1000, (uintptr_t)dst, 2 * PAGE - 1000 - 8, 0, 0x202 };
	s_rep_movsb(&s);
	assert_int_equal(s.rcx, 0);
	assert_int_equal(s.rsi, (uintptr_t)after + PAGE - 8);
	assert_int_equal(s.rdi, (uintptr_t)dst + 2 * PAGE - 1000 - 8);
	assert_memory_equal(dst, dev->regs + 1000, PAGE - 1000);
	assert_memory_equal(dst + PAGE - 1000, after, PAGE - 8);
	/* and from ordinary memory into the range */
	s = (struct sregs){ (uintptr_t)dst, (uintptr_t)mmio - 0, PAGE, 0, 0x202 };
	pattern(dst, PAGE, 5);
	s_rep_movsb(&s);
	assert_memory_equal(dev->regs, dst, PAGE);
	assert_false(atomic_load(&dev->bad));
}

/* memcpy and memset of every size to and from the range (glibc picks rep
 * movsb, vector loops or scalar moves by size). */
static void test_memcpy_memset(void **state)
{
	static uint8_t src[PAGE], back[PAGE];

	(void)state;
	reset_dev();
	for (size_t n = 1; n <= PAGE; n += n < 300 ? 1 : n < 2048 ? 37 : 301) {
		size_t off = (n * 7) % 13;

		if (off + n > PAGE)
			off = PAGE - n;
		pattern(src, n, (unsigned)n);
		memcpy(mmio + off, src, n);
		assert_memory_equal(dev->regs + off, src, n);
		memset(back, 0, n);
		memcpy(back, mmio + off, n);
		assert_memory_equal(back, src, n);
		memset(mmio + off, (int)(n & 0xff), n);
		for (size_t i = 0; i < n; i++)
			if (dev->regs[off + i] != (uint8_t)n) {
				print_error("memset %zu: byte %zu\n", n, i);
				fail();
			}
	}
	/* the whole page, and page-sized copies both ways */
	pattern(src, PAGE, 9);
	memcpy(mmio, src, PAGE);
	memcpy(back, mmio, PAGE);
	assert_memory_equal(back, src, PAGE);
	assert_memory_equal(dev->regs, src, PAGE);
	assert_false(atomic_load(&dev->bad));
}

/* ------------------------------------------------------------------ */
/* addresses */

static uint8_t rip_page[PAGE] __attribute__((aligned(PAGE)));

static void test_rip_relative(void **state)
{
	uint32_t v;

	(void)state;
	reset_dev();
	assert_int_equal(mprotect(rip_page, PAGE, PROT_NONE), 0);
	assert_int_equal(uio_trap_add(rip_page, PAGE, &dev_ops, dev), 0);
	memcpy(dev->regs + 8, "\x11\x22\x33\x44", 4);
	__asm__ volatile("movl rip_page+8(%%rip), %0" : "=r"(v) :: "memory");
	assert_int_equal(v, 0x44332211);
	__asm__ volatile("movl $0x55667788, rip_page+12(%%rip)" ::: "memory");
	assert_int_equal(le(dev->regs + 12, 4), 0x55667788);
	uio_trap_remove(rip_page, PAGE);
	assert_int_equal(mprotect(rip_page, PAGE, PROT_READ | PROT_WRITE), 0);
}

static void test_fs_relative(void **state)
{
	uint64_t fsbase, off, v;

	(void)state;
	reset_dev();
	/* glibc keeps the thread pointer at %fs:0 */
	__asm__ volatile("movq %%fs:0, %0" : "=r"(fsbase));
	off = (uintptr_t)mmio + 64 - fsbase;
	memcpy(dev->regs + 64, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	__asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
	assert_int_equal(v, 0x0807060504030201ull);
	__asm__ volatile("movl $0xfeedf00d, %%fs:8(%0)" :: "r"(off) : "memory");
	assert_int_equal(le(dev->regs + 72, 4), 0xfeedf00d);
}

/* gs: set its base in a child (glibc does not use it on x86-64). */
static void test_gs_relative(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	reset_dev();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint32_t v;

		if (syscall(SYS_arch_prctl, 0x1001 /* ARCH_SET_GS */, (uintptr_t)mmio))
			_exit(2);
		__asm__ volatile("movl $0xabad1dea, %%gs:0x20" ::: "memory");
		__asm__ volatile("movl %%gs:0x20, %0" : "=r"(v) :: "memory");
		_exit(v == 0xabad1dea ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(le(dev->regs + 0x20, 4), 0xabad1dea);
}

/* 32-bit address size (0x67) and moffs: need a range at a known low or
 * fixed address; skipped where it cannot be had (sanitizer layouts). */
static void test_addr32_and_moffs(void **state)
{
#ifdef TSAN
	/* TSan has no shadow for memory below 4 GiB */
	uint8_t *lo = MAP_FAILED;
#else
	uint8_t *lo = mmap(NULL, PAGE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
#endif
	uint8_t *fixed = mmap((void *)0x7e9000000000ull, PAGE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			      -1, 0);
	bool ran = false;

	(void)state;
	reset_dev();
	if (lo != MAP_FAILED && (uintptr_t)lo < (1ull << 32)) {
		uint32_t v, addr = (uint32_t)(uintptr_t)lo + 16;

		assert_int_equal(uio_trap_add(lo, PAGE, &dev_ops, dev), 0);
		memcpy(dev->regs + 16, "\xaa\xbb\xcc\xdd", 4);
		/* the high half of the base register must be ignored */
		__asm__ volatile("movl (%k1), %0" : "=r"(v)
				 : "r"((uint64_t)addr | 0xffff000000000000ull) : "memory");
		assert_int_equal(v, 0xddccbbaa);
		uio_trap_remove(lo, PAGE);
		ran = true;
	}
	if (lo != MAP_FAILED)
		munmap(lo, PAGE);
	if (fixed == (void *)0x7e9000000000ull) {
		uint32_t v;

		assert_int_equal(uio_trap_add(fixed, PAGE, &dev_ops, dev), 0);
		memcpy(dev->regs + 0x40, "\x10\x20\x30\x40", 4);
		__asm__ volatile("movabsl 0x7e9000000040, %%eax" : "=a"(v) :: "memory");
		assert_int_equal(v, 0x40302010);
		__asm__ volatile("movabsq %%rax, 0x7e9000000048" :: "a"(0x0102030405060708ull) : "memory");
		assert_int_equal(le(dev->regs + 0x48, 8), 0x0102030405060708ull);
		uio_trap_remove(fixed, PAGE);
		ran = true;
	}
	if (fixed != MAP_FAILED)
		munmap(fixed, PAGE);
	if (!ran)
		skip();
}

/* ------------------------------------------------------------------ */
/* straddling, failures, order */

static void test_straddle(void **state)
{
	uint64_t v;

	(void)state;
	reset_dev();
	memcpy(dev->regs + PAGE - 4, "\x01\x02\x03\x04", 4);
	memcpy(after, "\x05\x06\x07\x08", 4);
	/* 8 bytes: 4 from the device, 4 from the page after */
	v = *(volatile u64_unaligned *)(mmio + PAGE - 4);
	assert_int_equal(v, 0x0807060504030201ull);
	assert_int_equal(atomic_load(&dev->nlog), 1);
	assert_int_equal(dev->log[0].off, PAGE - 4);
	assert_int_equal(dev->log[0].len, 4);
	*(volatile u64_unaligned *)(mmio + PAGE - 2) = 0x1112131415161718ull;
	assert_int_equal(le(dev->regs + PAGE - 2, 2), 0x1718);
	assert_int_equal(le(after, 6), 0x111213141516ull);
	assert_int_equal(dev->log[1].len, 2);
	/* 3 trapped bytes: widths 2 + 1 (or 1 + 2), never 3 */
	*(volatile u32_unaligned *)(mmio + PAGE - 3) = 0xa0b0c0d0;
	assert_int_equal(le(dev->regs + PAGE - 3, 3), 0xb0c0d0);
	assert_int_equal(after[0], 0xa0);
	assert_false(atomic_load(&dev->bad));
}

/* A straddle into unmapped memory faults, before the device sees anything. */
static void test_straddle_into_unmapped(void **state)
{
	uint8_t *two = mmap(NULL, 2 * PAGE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st;

	(void)state;
	reset_dev();
	assert_true(two != MAP_FAILED);
	munmap(two + PAGE, PAGE);
	assert_int_equal(uio_trap_add(two, PAGE, &dev_ops, dev), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		uio_uaccess_sigaction(SIGSEGV, &dfl, NULL);
		dup2(open("/dev/null", 1), 2);
		*(volatile u64_unaligned *)(two + PAGE - 4) = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_int_equal(atomic_load(&dev->nlog), 0);
	uio_trap_remove(two, PAGE);
	munmap(two, PAGE);
}

static void test_failing_callback(void **state)
{
	(void)state;
	reset_dev();
	memcpy(dev->regs + 32, "\x01\x02\x03\x04", 4);
	atomic_store(&dev->fail, -EIO);
	/* reads of a dead device: all ones; writes: dropped */
	assert_int_equal(*(volatile uint32_t *)(mmio + 32), 0xffffffff);
	assert_int_equal(*(volatile uint8_t *)(mmio + 33), 0xff);
	*(volatile uint32_t *)(mmio + 32) = 0;
	atomic_store(&dev->fail, 0);
	assert_int_equal(le(dev->regs + 32, 4), 0x04030201);
	assert_int_equal(*(volatile uint32_t *)(mmio + 32), 0x04030201);
}

/* -EFAULT refuses the access: a store to a "read-only" range faults, with
 * a message, and the program (here a child without a handler) dies of
 * SIGSEGV; loads go on being served. */
static void test_refused_access(void **state)
{
	int pfd[2];
	pid_t pid;
	int st;
	char out[512] = "";
	ssize_t n;

	(void)state;
	reset_dev();
	atomic_store(&dev->fail_writes, -EFAULT);
	memcpy(dev->regs + 0x60, "\x0a\x0b\x0c\x0d", 4);
	assert_int_equal(*(volatile uint32_t *)(mmio + 0x60), 0x0d0c0b0a);
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		uio_uaccess_sigaction(SIGSEGV, &dfl, NULL);
		dup2(pfd[1], 2);
		*(volatile uint32_t *)(mmio + 0x60) = 0;
		_exit(0);
	}
	close(pfd[1]);
	n = read(pfd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_non_null(strstr(out, "refused the access"));
	assert_int_equal(le(dev->regs + 0x60, 4), 0x0d0c0b0a);
}

/* ------------------------------------------------------------------ */
/* bus errors: UIO_TRAP_SIGBUS */

static sigjmp_buf bus_jb;
static volatile sig_atomic_t bus_sig, bus_code;
static void *volatile bus_addr;
static volatile uint64_t bus_rcx, bus_rsi, bus_rdi;

static void bus_handler(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	bus_sig = sig;
	bus_code = info->si_code;
	bus_addr = info->si_addr;
	bus_rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	bus_rsi = (uint64_t)uc->uc_mcontext.gregs[REG_RSI];
	bus_rdi = (uint64_t)uc->uc_mcontext.gregs[REG_RDI];
	siglongjmp(bus_jb, 1);
}

/*
 * The program's SIGBUS handler gets the bus error: SIGBUS, BUS_ADRERR,
 * the address that faulted, the registers as the instruction left them
 * (a REP STOS stops at the first element refused, those before it
 * written); the device saw nothing of the refused access. Installed
 * through the preload's routing and with plain sigaction().
 */
static void test_bus_error_handler(void **state)
{
	struct sigaction sa = { .sa_sigaction = bus_handler,
				.sa_flags = SA_SIGINFO }, chain;

	(void)state;
	reset_dev();
	assert_int_equal(uio_uaccess_sigaction(SIGBUS, NULL, &chain), 0);
	for (int how = 0; how < 2; how++) {
		reset_dev();
		memcpy(dev->regs + 0x200, "\x11\x22\x33\x44", 4);
		atomic_store(&dev->bus_from, 0x200);
		if (how == 0) {
			assert_int_equal(uio_uaccess_sigaction(SIGBUS, &sa, NULL), 0);
		} else {
			assert_int_equal(sigaction(SIGBUS, &sa, NULL), 0);
			assert_int_equal(uio_uaccess_ensure(), 0);
		}
		/* A load. */
		bus_sig = 0;
		if (!sigsetjmp(bus_jb, 1))
			(void)*(volatile uint32_t *)(mmio + 0x204);
		assert_int_equal(bus_sig, SIGBUS);
		assert_int_equal(bus_code, BUS_ADRERR);
		assert_ptr_equal(bus_addr, mmio + 0x204);
		/* A store: dropped. */
		bus_sig = 0;
		if (!sigsetjmp(bus_jb, 1))
			*(volatile uint32_t *)(mmio + 0x200) = 0;
		assert_int_equal(bus_sig, SIGBUS);
		assert_ptr_equal(bus_addr, mmio + 0x200);
		assert_int_equal(le(dev->regs + 0x200, 4), 0x44332211);
		assert_int_equal(atomic_load(&dev->nlog), 0);
		/* Below the refused offsets: served as ever, no signal. */
		bus_sig = 0;
		*(volatile uint32_t *)(mmio + 0x100) = 5;
		assert_int_equal(bus_sig, 0);
		assert_int_equal(le(dev->regs + 0x100, 4), 5);
		/* REP STOSQ across the boundary: two elements in, then SIGBUS
		 * with RCX and RDI at the third. */
		bus_sig = 0;
		if (!sigsetjmp(bus_jb, 1)) {
			uint64_t rcx = 8;
			uint8_t *rdi = mmio + 0x200 - 16;

			__asm__ volatile("rep stosq"
					 : "+c"(rcx), "+D"(rdi)
					 : "a"(0x5a5a5a5a5a5a5a5aull)
					 : "memory");
		}
		assert_int_equal(bus_sig, SIGBUS);
		assert_ptr_equal(bus_addr, mmio + 0x200);
		assert_int_equal(bus_rcx, 6);
		assert_int_equal(bus_rdi, (uintptr_t)(mmio + 0x200));
		assert_int_equal(le(dev->regs + 0x1f0, 8), 0x5a5a5a5a5a5a5a5aull);
		assert_int_equal(le(dev->regs + 0x1f8, 8), 0x5a5a5a5a5a5a5a5aull);
		assert_int_equal(le(dev->regs + 0x200, 4), 0x44332211);
		/* REP MOVSQ out of the device: the two elements read before
		 * the refused one are copied. */
		bus_sig = 0;
		memset(after, 0, 64);
		if (!sigsetjmp(bus_jb, 1)) {
			uint64_t rcx = 8;
			uint8_t *rsi = mmio + 0x200 - 16, *rdi = after;

			__asm__ volatile("rep movsq"
					 : "+c"(rcx), "+S"(rsi), "+D"(rdi)
					 :
					 : "memory");
		}
		assert_int_equal(bus_sig, SIGBUS);
		assert_ptr_equal(bus_addr, mmio + 0x200);
		assert_int_equal(bus_rcx, 6);
		assert_int_equal(bus_rsi, (uintptr_t)(mmio + 0x200));
		assert_int_equal(bus_rdi, (uintptr_t)(after + 16));
		assert_int_equal(le(after, 8), 0x5a5a5a5a5a5a5a5aull);
		assert_int_equal(le(after + 8, 8), 0x5a5a5a5a5a5a5a5aull);
		assert_int_equal(le(after + 16, 8), 0);
		uio_uaccess_sigaction(SIGBUS, &chain, NULL);
	}
	assert_false(atomic_load(&dev->bad));
}

/*
 * Without a handler of its own, the program dies of SIGBUS (no message:
 * the bus error is the device's answer); also when it ignores SIGBUS or
 * has it blocked, as the kernel forces a fault's signal.
 */
static void test_bus_error_kills(void **state)
{
	(void)state;
	reset_dev();
	atomic_store(&dev->bus_from, 0x300);
	for (int how = 0; how < 4; how++) {
		int pfd[2], st;
		char out[256];
		ssize_t n;
		pid_t pid;

		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct sigaction dfl = { .sa_handler = SIG_DFL };
			struct sigaction ign = { .sa_handler = SIG_IGN };
			struct sigaction own = { .sa_sigaction = bus_handler,
						 .sa_flags = SA_SIGINFO };
			struct rlimit no_core = { 0, 0 };
			sigset_t set;

			setrlimit(RLIMIT_CORE, &no_core);
			dup2(pfd[1], 2);
			close(pfd[0]);
			uio_uaccess_sigaction(SIGBUS, how == 1 ? &ign : how == 3 ? &own : &dfl,
					      NULL);
			if (how >= 2) {
				sigemptyset(&set);
				sigaddset(&set, SIGBUS);
				sigprocmask(SIG_BLOCK, &set, NULL);
			}
			if (how & 1)
				*(volatile uint8_t *)(mmio + 0x300) = 1;
			else
				(void)*(volatile uint64_t *)(mmio + 0x308);
			_exit(0);
		}
		close(pfd[1]);
		n = read(pfd[0], out, sizeof(out) - 1);
		close(pfd[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGBUS);
		assert_true(n <= 0);
	}
	assert_int_equal(atomic_load(&dev->nlog), 0);
}

static void test_program_order(void **state)
{
	static const struct { uint16_t off; uint8_t len; bool write; } want[] = {
		{ 0x10, 4, true }, { 0x20, 1, false }, { 0x18, 8, true },
		{ 0x10, 4, false }, { 0x22, 2, true }, { 0x30, 8, false },
		{ 0x30, 8, true }, { 0x40, 4, false }, { 0x40, 4, true },
		{ 0x40, 4, false },
	};
	uint64_t r;

	(void)state;
	reset_dev();
	*(volatile uint32_t *)(mmio + 0x10) = 1;
	(void)*(volatile uint8_t *)(mmio + 0x20);
	*(volatile uint64_t *)(mmio + 0x18) = 2;
	(void)*(volatile uint32_t *)(mmio + 0x10);
	*(volatile uint16_t *)(mmio + 0x22) = 3;
	__asm__ volatile("lock incq 0x30(%0)" :: "r"(mmio) : "memory", "cc");
	r = 5;
	__asm__ volatile("xchgl %k0, 0x40(%1)" : "+r"(r) : "r"(mmio) : "memory");
	(void)*(volatile uint32_t *)(mmio + 0x40);
	assert_int_equal(atomic_load(&dev->nlog), sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(dev->log[i].off, want[i].off);
		assert_int_equal(dev->log[i].len, want[i].len);
		assert_int_equal(dev->log[i].write, want[i].write);
	}
}

/* Asynchronous signals wait while a callback runs; the mask comes back. */
static void test_signals_blocked_in_callback(void **state)
{
	sigset_t cur;

	(void)state;
	reset_dev();
	*(volatile uint32_t *)(mmio + 0x70) = 1;
	assert_true(atomic_load(&dev->alrm_blocked));
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	assert_int_equal(sigismember(&cur, SIGALRM), 0);
	(void)*(volatile uint32_t *)(mmio + 0x70);
	assert_true(atomic_load(&dev->alrm_blocked));
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	assert_int_equal(sigismember(&cur, SIGALRM), 0);
}

static _Atomic unsigned traced;

static void trace_hook(void *priv, uint64_t off, const void *buf, unsigned len,
		       bool write, int rc)
{
	if (priv == dev && off == 0x50 && len == 4 && write && rc == 0 &&
	    le(buf, 4) == 0x600d)
		atomic_fetch_add(&traced, 1);
}

static void test_trace_hook(void **state)
{
	(void)state;
	reset_dev();
	uio_trap_set_trace(trace_hook);
	*(volatile uint32_t *)(mmio + 0x50) = 0x600d;
	uio_trap_set_trace(NULL);
	*(volatile uint32_t *)(mmio + 0x50) = 0x600d;
	assert_int_equal(atomic_load(&traced), 1);
}

/* ------------------------------------------------------------------ */
/* threads, fork */

#define NTHREADS 8
#define ROUNDS 400

static void *hammer(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	volatile uint64_t *mine = (volatile uint64_t *)(mmio + 64 * id);
	uint64_t *shared = (uint64_t *)(mmio + 0x800);
	uintptr_t bad = 0;

	for (uint64_t r = 0; r < ROUNDS; r++) {
		uint64_t v = id << 32 | r, s;

		*mine = v;
		if (*mine != v)
			bad++;
		/* all threads at one register: relaxed atomics (plain MOVs) */
		__atomic_store_n(shared, v, __ATOMIC_RELAXED);
		s = __atomic_load_n(shared, __ATOMIC_RELAXED);
		if ((s >> 32) >= NTHREADS || (uint32_t)s >= ROUNDS)
			bad++;
	}
	return (void *)bad;
}

static void test_threads(void **state)
{
	pthread_t th[NTHREADS];
	uint32_t n, next[NTHREADS] = { 0 }, shared_writes = 0;

	(void)state;
	reset_dev();
	for (uintptr_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)i), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *bad;

		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_null(bad);
	}
	n = atomic_load(&dev->nlog);
	assert_true(n <= LOGMAX);
	/* Each thread's own register: its writes in order, each read right
	 * after the write of the same value. The shared one: every write
	 * there (a relaxed atomic store is an XCHG under TSan: one more read). */
	for (uint32_t i = 0; i < n; i++) {
		struct logent *e = &dev->log[i];
		uint64_t v = le(e->val, 8), id;

		assert_int_equal(e->len, 8);
		if (e->off == 0x800) {
			shared_writes += e->write;
			continue;
		}
		id = e->off / 64;
		assert_true(id < NTHREADS);
		assert_int_equal(v, id << 32 | (next[id] / 2));
		next[id]++;
	}
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(next[i], 2 * ROUNDS);
	assert_int_equal(shared_writes, NTHREADS * ROUNDS);
	assert_true(n - 2 * NTHREADS * ROUNDS - shared_writes >= NTHREADS * ROUNDS);
	assert_false(atomic_load(&dev->bad));
}

static void test_fork(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	reset_dev();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		*(volatile uint32_t *)(mmio + 0x10) = 0xc0ffee;
		_exit(*(volatile uint32_t *)(mmio + 0x10) == 0xc0ffee ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(atomic_load(&dev->nlog), 2);
	assert_int_equal(dev->log[0].pid, pid);
	assert_int_equal(le(dev->regs + 0x10, 4), 0xc0ffee);
	/* the parent's table is untouched */
	assert_int_equal(*(volatile uint32_t *)(mmio + 0x10), 0xc0ffee);
}

/* ------------------------------------------------------------------ */
/* the table */

static void test_add_remove(void **state)
{
	uint8_t *big = mmap(NULL, 4 * PAGE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	reset_dev();
	assert_true(big != MAP_FAILED);
	assert_int_equal(uio_trap_add(big + 1, PAGE, &dev_ops, dev), -EINVAL);
	assert_int_equal(uio_trap_add(big, 100, &dev_ops, dev), -EINVAL);
	assert_int_equal(uio_trap_add(big, 0, &dev_ops, dev), -EINVAL);
	assert_int_equal(uio_trap_add(big, PAGE, NULL, dev), -EINVAL);
	assert_int_equal(uio_trap_add(big, 4 * PAGE, &dev_ops, dev), 0);
	assert_int_equal(uio_trap_add(big + PAGE, PAGE, &dev_ops, dev), -EEXIST);
	assert_int_equal(uio_trap_add(mmio, PAGE, &dev_ops, dev), -EEXIST);
	/* punch out page 1: pages 0, 2, 3 keep their offsets */
	uio_trap_remove(big + PAGE, PAGE);
	*(volatile uint8_t *)(big + 5) = 1;
	*(volatile uint8_t *)(big + 2 * PAGE + 6) = 2;
	*(volatile uint8_t *)(big + 3 * PAGE + 7) = 3;
	assert_int_equal(dev->log[0].off, 5);
	assert_int_equal(dev->log[1].off, 2 * PAGE + 6);
	assert_int_equal(dev->log[2].off, 3 * PAGE + 7);
	/* trim the tail: page 3 goes */
	uio_trap_remove(big + 3 * PAGE, PAGE);
	*(volatile uint8_t *)(big + 2 * PAGE + 8) = 4;
	assert_int_equal(dev->log[3].off, 2 * PAGE + 8);
	/* the hole can be served anew */
	assert_int_equal(uio_trap_add(big + PAGE, PAGE, &dev_ops, dev), 0);
	*(volatile uint8_t *)(big + PAGE + 9) = 5;
	assert_int_equal(dev->log[4].off, 9);
	/* remove across everything, unaligned arguments rounded out */
	uio_trap_remove(big + 10, 3 * PAGE - 20);
	munmap(big, 4 * PAGE);
}

/* Ranges with a release callback: it counts, in MAP_SHARED memory. */
static _Atomic int *released;

static void dev_release(void *priv)
{
	/* priv is dev + n: range n's release. */
	atomic_fetch_add(&released[(uint8_t *)priv - (uint8_t *)dev], 1);
}

static int rdev_access(void *priv, uint64_t off, void *buf, unsigned len,
		       bool write)
{
	(void)priv;
	return dev_access(dev, off, buf, len, write);
}

static const struct uio_trap_ops rdev_ops = { .access = rdev_access,
					      .release = dev_release };

/*
 * The release callback runs once, when the last piece of a range as added
 * goes: not for a split or a trim, once for two pieces removed together;
 * in a forked child for the child's copy only.
 */
static void test_release(void **state)
{
	uint8_t *big = mmap(NULL, 8 * PAGE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *r1 = (uint8_t *)dev + 1, *r2 = (uint8_t *)dev + 2;
	pid_t pid;
	int st;

	(void)state;
	reset_dev();
	assert_true(big != MAP_FAILED);
	released = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(released != MAP_FAILED);
	/* Range 1: pages 0-3; range 2: pages 4-7. */
	assert_int_equal(uio_trap_add(big, 4 * PAGE, &rdev_ops, r1), 0);
	assert_int_equal(uio_trap_add(big + 4 * PAGE, 4 * PAGE, &rdev_ops, r2), 0);
	uio_trap_remove(big + PAGE, PAGE);          /* split */
	uio_trap_remove(big + 3 * PAGE, PAGE);      /* trim */
	assert_int_equal(atomic_load(&released[1]), 0);
	*(volatile uint8_t *)(big + 2 * PAGE + 3) = 1;
	assert_int_equal(dev->log[0].off, 2 * PAGE + 3);
	/* A child's copy: its removal releases its copy only. */
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		uio_trap_remove(big, 8 * PAGE);
		_exit(atomic_load(&released[1]) == 1 && atomic_load(&released[2]) == 1
		      ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	atomic_store(&released[1], 0);
	atomic_store(&released[2], 0);
	/* Both pieces left of range 1 at once, and range 2's head. */
	uio_trap_remove(big, 5 * PAGE);
	assert_int_equal(atomic_load(&released[1]), 1);
	assert_int_equal(atomic_load(&released[2]), 0);
	uio_trap_remove(big + 5 * PAGE, 3 * PAGE);
	assert_int_equal(atomic_load(&released[2]), 1);
	/* Nothing is left to release twice. */
	uio_trap_remove(big, 8 * PAGE);
	assert_int_equal(atomic_load(&released[1]), 1);
	assert_int_equal(atomic_load(&released[2]), 1);
	munmap(big, 8 * PAGE);
	munmap((void *)released, PAGE);
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/*
 * uio_trap_mremap: a trapped range is a PFN map: growth EFAULT,
 * MREMAP_DONTUNMAP EINVAL, a move serves the same offsets at the new
 * place, a shrink trims; memory that touches no range is not handled.
 */
static void test_trap_mremap(void **state)
{
	uint8_t *a = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *b = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *r1 = (uint8_t *)dev + 1;
	bool handled;
	long rc;

	(void)state;
	reset_dev();
	released = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED && released != MAP_FAILED);
	assert_int_equal(uio_trap_add(a, 2 * PAGE, &rdev_ops, r1), 0);
	/* Not ours. */
	uio_trap_mremap(b, PAGE, 2 * PAGE, MREMAP_MAYMOVE, NULL, &handled);
	assert_false(handled);
	rc = uio_trap_mremap(a, 2 * PAGE, 3 * PAGE, MREMAP_MAYMOVE, NULL, &handled);
	assert_true(handled);
	assert_int_equal(rc, -EFAULT);
	rc = uio_trap_mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
			     NULL, &handled);
	assert_int_equal(rc, -EINVAL);
	rc = uio_trap_mremap(a, 2 * PAGE, 2 * PAGE, MREMAP_FIXED, b, &handled);
	assert_int_equal(rc, -EINVAL);
	/* Across the range's end: EFAULT for a move. */
	rc = uio_trap_mremap(a + PAGE, 2 * PAGE, 2 * PAGE,
			     MREMAP_MAYMOVE | MREMAP_FIXED, b, &handled);
	assert_int_equal(rc, -EFAULT);
	b = mmap(b, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_true(b != MAP_FAILED);
	/* The move: page 1 of the range (offset PAGE) at b + PAGE. */
	rc = uio_trap_mremap(a + PAGE, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
			     b + PAGE, &handled);
	assert_int_equal(rc, (long)(uintptr_t)(b + PAGE));
	*(volatile uint8_t *)(b + PAGE + 7) = 1;
	assert_int_equal(dev->log[0].off, PAGE + 7);
	*(volatile uint8_t *)(a + 8) = 2;
	assert_int_equal(dev->log[1].off, 8);
	assert_int_equal(atomic_load(&released[1]), 0);
	/* A shrink of the head piece to nothing left of it is a removal. */
	uio_trap_remove(a, PAGE);
	assert_int_equal(atomic_load(&released[1]), 0);
	uio_trap_remove(b, 4 * PAGE);
	assert_int_equal(atomic_load(&released[1]), 1);
	/* A shrink trims the tail. */
	atomic_store(&released[1], 0);
	assert_int_equal(uio_trap_add(b, 3 * PAGE, &rdev_ops, r1), 0);
	rc = uio_trap_mremap(b, 3 * PAGE, PAGE, 0, NULL, &handled);
	assert_int_equal(rc, (long)(uintptr_t)b);
	assert_int_equal(uio_trap_covers(b, PAGE), 1);
	assert_int_equal(uio_trap_covers(b + PAGE, PAGE), 0);
	assert_int_equal(uio_trap_covers(b, 2 * PAGE), -1);
	assert_int_equal(atomic_load(&released[1]), 0);
	uio_trap_remove(b, PAGE);
	assert_int_equal(atomic_load(&released[1]), 1);
	munmap(a, 4 * PAGE);
	munmap(b, 4 * PAGE);
	munmap((void *)released, PAGE);
}

static void test_table_full(void **state)
{
	const unsigned n = 1100;
	uint8_t *many = mmap(NULL, (size_t)n * PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned added = 0;
	int rc = 0;

	(void)state;
	assert_true(many != MAP_FAILED);
	for (unsigned i = 0; i < n && !rc; i++) {
		rc = uio_trap_add(many + (size_t)i * PAGE, PAGE, &dev_ops, dev);
		added += !rc;
	}
	assert_int_equal(rc, -ENOMEM);
	assert_true(added > 1000);
	uio_trap_remove(many, (size_t)n * PAGE);
	/* all free again */
	assert_int_equal(uio_trap_add(many, (size_t)n * PAGE, &dev_ops, dev), 0);
	uio_trap_remove(many, (size_t)n * PAGE);
	munmap(many, (size_t)n * PAGE);
}

/* Threads add and remove ranges while others access the main one. */
static void *churn(void *arg)
{
	uint8_t *base = arg;

	for (int r = 0; r < 200; r++) {
		uint8_t *p = base + (size_t)(r % 4) * PAGE;

		if (uio_trap_add(p, 2 * PAGE, &dev_ops, dev) == 0) {
			*(volatile uint8_t *)(p + PAGE + 1) = 1;
			uio_trap_remove(p + PAGE, PAGE);
			*(volatile uint8_t *)(p + 1) = 1;
			uio_trap_remove(p, PAGE);
		}
	}
	return NULL;
}

static void test_concurrent_add_remove(void **state)
{
	pthread_t th[4], h;
	uint32_t n, writes = 0;
	uint8_t *areas = mmap(NULL, 4 * 8 * PAGE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	reset_dev();
	assert_true(areas != MAP_FAILED);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, churn,
						areas + (size_t)i * 8 * PAGE), 0);
	assert_int_equal(pthread_create(&h, NULL, hammer, (void *)1), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_join(h, NULL);
	n = atomic_load(&dev->nlog);
	for (uint32_t i = 0; i < n; i++)
		writes += dev->log[i].write;
	/* churn: 2 writes a round; hammer: 2 a round */
	assert_int_equal(writes, 4 * 200 * 2 + 2 * ROUNDS);
	munmap(areas, 4 * 8 * PAGE);
}

/* ------------------------------------------------------------------ */
/* the rest of the fault handling */

static sigjmp_buf own_jb;
static volatile sig_atomic_t own_ran;
static void *volatile own_addr;

static void own_handler(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	own_ran = sig;
	own_addr = info->si_addr;
	siglongjmp(own_jb, 1);
}

/* The program's own SIGSEGV handler still gets the faults outside trapped
 * ranges, with the preload layer's routing (uio_uaccess_sigaction) and
 * when the program installs it with plain sigaction() (the next
 * uio_uaccess_ensure() puts ours back in front and chains to it). */
static void test_own_handler_chained(void **state)
{
	uint8_t *other = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			      -1, 0);
	struct sigaction sa = { .sa_sigaction = own_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER }, chain;

	(void)state;
	reset_dev();
	assert_true(other != MAP_FAILED);
	/* the handler faults are chained to now (a sanitizer's, or none) */
	assert_int_equal(uio_uaccess_sigaction(SIGSEGV, NULL, &chain), 0);
	for (int how = 0; how < 2; how++) {
		if (how == 0) {
			assert_int_equal(uio_uaccess_sigaction(SIGSEGV, &sa, NULL), 0);
		} else {
			assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
			assert_int_equal(uio_uaccess_ensure(), 0);
		}
		own_ran = 0;
		if (!sigsetjmp(own_jb, 1))
			(void)*(volatile uint32_t *)(other + 8);
		assert_int_equal(own_ran, SIGSEGV);
		assert_ptr_equal(own_addr, other + 8);
		/* trapped accesses still served, and not given to it */
		own_ran = 0;
		*(volatile uint32_t *)(mmio + 8) = 7;
		assert_int_equal(own_ran, 0);
		assert_int_equal(le(dev->regs + 8, 4), 7);
		uio_uaccess_sigaction(SIGSEGV, &chain, NULL);
	}
	munmap(other, PAGE);
}

/* An instruction not served: one line naming it on stderr, then the fault
 * goes on; with no handler of its own the program dies of SIGSEGV. */
static void unsupported_case(void (*touch)(uint8_t *p), const char *needle)
{
	int pfd[2];
	pid_t pid;
	int st;
	char out[1024];
	ssize_t n, got = 0;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction dfl = { .sa_handler = SIG_DFL };
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		uio_uaccess_sigaction(SIGSEGV, &dfl, NULL);
		dup2(pfd[1], 2);
		close(pfd[0]);
		touch(mmio + 0x40);
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	if (!strstr(out, needle) || !strstr(out, "passing SIGSEGV on")) {
		print_error("message: %s\n", out);
		fail();
	}
}

static void touch_fild(uint8_t *p)
{
	__asm__ volatile("fildl (%0)\n\tfstp %%st(0)" :: "r"(p) : "memory");
}

static void touch_mul(uint8_t *p)
{
	__asm__ volatile("mulq (%0)" :: "r"(p) : "rax", "rdx", "memory", "cc");
}

static void touch_fetch(uint8_t *p)
{
	((void (*)(void))(uintptr_t)p)();
}

static void test_unsupported_dies(void **state)
{
	(void)state;
	reset_dev();
	unsupported_case(touch_fild, "cannot serve 'fild ");
	unsupported_case(touch_mul, "cannot serve 'mul ");
	unsupported_case(touch_fetch, "instruction fetch from a trapped range");
	assert_int_equal(atomic_load(&dev->nlog), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_volatile_widths),
		cmocka_unit_test(test_forms_match_native),
		cmocka_unit_test(test_addressing),
		cmocka_unit_test(test_vector_moves),
		cmocka_unit_test(test_avx_access_width),
		cmocka_unit_test(test_string_ops),
		cmocka_unit_test(test_string_leaves_range),
		cmocka_unit_test(test_memcpy_memset),
		cmocka_unit_test(test_rip_relative),
		cmocka_unit_test(test_fs_relative),
		cmocka_unit_test(test_gs_relative),
		cmocka_unit_test(test_addr32_and_moffs),
		cmocka_unit_test(test_straddle),
		cmocka_unit_test(test_straddle_into_unmapped),
		cmocka_unit_test(test_failing_callback),
		cmocka_unit_test(test_refused_access),
		cmocka_unit_test(test_bus_error_handler),
		cmocka_unit_test(test_bus_error_kills),
		cmocka_unit_test(test_program_order),
		cmocka_unit_test(test_trace_hook),
		cmocka_unit_test(test_signals_blocked_in_callback),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_trap_mremap),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_concurrent_add_remove),
		cmocka_unit_test(test_own_handler_chained),
		cmocka_unit_test(test_unsupported_dies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
