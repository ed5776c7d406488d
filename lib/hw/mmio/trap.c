// SPDX-License-Identifier: MIT
/*
 * Trapped MMIO; see trap.h.
 *
 * Serving one fault:
 *  1. The faulting address must lie in a trapped range (the range table, read
 *     lock-free); otherwise the fault is not ours and nothing else is done.
 *  2. The instruction at RIP is decoded by Zydis and looked up in `handlers`,
 *     a table from mnemonic to a small function.
 *  3. The handler reads its operands (registers from the signal frame,
 *     memory through mem_rw(), which sends trapped bytes to the range's
 *     callback and the rest to ordinary memory), computes the result the way
 *     the CPU would (ALU operations run natively on the values, with the
 *     program's flags loaded, so results and flags are exact), writes memory
 *     first, then registers and flags.
 *  4. RIP steps over the instruction, and the kernel resumes the program
 *     with the frame as we left it.
 * Everything here runs in signal context: no malloc, no locks, no libc
 * calls that the preload layer interposes; ordinary memory is reached
 * through the user-copy helpers, which turn a fault into -EFAULT.
 *
 * The range table is a fixed array of slots, each published and retired
 * with its own state, version and user count (see "range table" below);
 * the fault path never blocks on a writer.
 */
#include "trap.h"

#include "debug.h"
#include "sys.h"
#include "uaccess.h"

#include <Zydis/Zydis.h>
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <ucontext.h>

#ifndef __x86_64__
#error "trapped MMIO decodes x86-64 instructions"
#endif

#define TRAP_SLOTS 1024
#define MAX_HOLDS 4
/* Bytes a string instruction moves per step through the bounce buffer. */
#define BOUNCE 256
/* Flags an ALU instruction defines: OF, SF, ZF, AF, PF, CF. */
#define FLAGS_ARITH 0x8d5ull
#define FLAG_ZF 0x40ull
#define FLAG_DF 0x400ull
/* Page fault error code bit: the access was an instruction fetch. */
#define PF_INSTR 0x10
/* Code segment selector of 64-bit user code on Linux. */
#define USER_CS64 0x33

/* ------------------------------------------------------------------ */
/* range table */

/*
 * A slot is FREE, LIVE (served) or DEAD (being retired). Its fields are
 * written only while FREE, then published by the release store of LIVE.
 * A lookup reads ver, sees LIVE, checks the address, counts itself in
 * users, and checks LIVE and ver again: it then holds a consistent snapshot
 * that cannot be retired under it, since a retiring writer marks the slot
 * DEAD and waits for users to drop to zero before bumping ver and freeing
 * it. Changing a range means publishing the new pieces before retiring the
 * old slot; table_gen is odd while a writer does that, so a lookup that
 * found nothing during it looks again instead of missing a range that only
 * moved to another slot.
 *
 * Every piece remembers the uio_trap_add() it comes from (origin). A
 * retired piece whose origin has no piece left, with a release callback,
 * becomes RELEASING instead of FREE, tagged with the call that retired
 * it; that call runs the callback once it has let go of the table lock,
 * then frees the slot.
 */
enum { SLOT_FREE, SLOT_LIVE, SLOT_DEAD, SLOT_RELEASING };

struct slot {
	_Atomic uint32_t state;
	_Atomic uint32_t users;
	_Atomic uint64_t ver;
	_Atomic uintptr_t start, end;
	_Atomic uint64_t base; /* offset of start in the range as added */
	_Atomic(const struct uio_trap_ops *) ops;
	_Atomic(void *) priv;
	_Atomic uint64_t origin; /* the uio_trap_add() of this piece */
	uintptr_t releaser;      /* RELEASING: the call that runs release */
};

static struct slot slots[TRAP_SLOTS];
static _Atomic unsigned hiwater; /* slots ever used: lookups stop there */
static _Atomic unsigned nlive;   /* LIVE slots: 0 makes every fault quick */
static _Atomic uint64_t table_gen;
static uint64_t next_origin; /* under table_lock */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* What a handler holds of a slot while it uses it. */
struct hold {
	struct slot *slot;
	uintptr_t start, end;
	uint64_t base;
	const struct uio_trap_ops *ops;
	void *priv;
};

static bool slot_get(struct slot *s, uintptr_t addr, struct hold *h)
{
	uint64_t ver = atomic_load_explicit(&s->ver, memory_order_acquire);
	uintptr_t start, end;

	if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_LIVE)
		return false;
	start = atomic_load_explicit(&s->start, memory_order_relaxed);
	end = atomic_load_explicit(&s->end, memory_order_relaxed);
	if (addr < start || addr >= end)
		return false;
	atomic_fetch_add(&s->users, 1);
	if (atomic_load(&s->state) != SLOT_LIVE || atomic_load(&s->ver) != ver) {
		atomic_fetch_sub(&s->users, 1);
		return false;
	}
	h->slot = s;
	h->start = start;
	h->end = end;
	h->base = atomic_load_explicit(&s->base, memory_order_relaxed);
	h->ops = atomic_load_explicit(&s->ops, memory_order_relaxed);
	h->priv = atomic_load_explicit(&s->priv, memory_order_relaxed);
	return true;
}

static void slot_put(struct hold *h)
{
	atomic_fetch_sub_explicit(&h->slot->users, 1, memory_order_release);
}

/* The range covering addr, held; false if none. */
static bool lookup(uintptr_t addr, struct hold *h)
{
	for (unsigned tries = 0;; tries++) {
		uint64_t gen = atomic_load(&table_gen);
		unsigned n = atomic_load(&hiwater);

		for (unsigned i = 0; i < n; i++)
			if (slot_get(&slots[i], addr, h))
				return true;
		if (!(gen & 1) && atomic_load(&table_gen) == gen)
			return false;
		/* A writer is moving ranges between slots: look again. It
		 * never waits inside that window except when the table is
		 * full; a bound keeps a signal that interrupted the writer's
		 * own thread from spinning forever. */
		if (tries > 64)
			uio_sys_sched_yield();
		if (tries > 100000)
			return false;
	}
}

/* Lowest start of a LIVE range in (addr, lim), else lim. */
static uintptr_t next_trapped(uintptr_t addr, uintptr_t lim)
{
	unsigned n = atomic_load(&hiwater);

	for (unsigned i = 0; i < n; i++) {
		struct slot *s = &slots[i];
		uintptr_t start;

		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_LIVE)
			continue;
		start = atomic_load_explicit(&s->start, memory_order_relaxed);
		if (start > addr && start < lim)
			lim = start;
	}
	return lim;
}

/* Writers, under table_lock. */
static struct slot *slot_alloc(void)
{
	unsigned n = atomic_load(&hiwater);

	for (unsigned i = 0; i < n; i++)
		if (atomic_load(&slots[i].state) == SLOT_FREE)
			return &slots[i];
	if (n == TRAP_SLOTS)
		return NULL;
	atomic_store(&hiwater, n + 1);
	return &slots[n];
}

/* A range, or a piece of one, as the writers pass it around. */
struct piece {
	uintptr_t start, end;
	uint64_t base;
	const struct uio_trap_ops *ops;
	void *priv;
	uint64_t origin;
};

static void slot_publish(struct slot *s, const struct piece *p)
{
	atomic_store_explicit(&s->start, p->start, memory_order_relaxed);
	atomic_store_explicit(&s->end, p->end, memory_order_relaxed);
	atomic_store_explicit(&s->base, p->base, memory_order_relaxed);
	atomic_store_explicit(&s->ops, p->ops, memory_order_relaxed);
	atomic_store_explicit(&s->priv, p->priv, memory_order_relaxed);
	atomic_store_explicit(&s->origin, p->origin, memory_order_relaxed);
	atomic_store_explicit(&s->state, SLOT_LIVE, memory_order_release);
	atomic_fetch_add(&nlive, 1);
}

static struct piece slot_piece(struct slot *s)
{
	return (struct piece){ atomic_load(&s->start), atomic_load(&s->end),
			       atomic_load(&s->base), atomic_load(&s->ops),
			       atomic_load(&s->priv), atomic_load(&s->origin) };
}

/* Whether a LIVE piece, a piece waiting for a slot, or a slot already
 * chosen for its release has this origin. */
static bool origin_held(uint64_t origin, const struct piece *pend,
			unsigned npend)
{
	unsigned n = atomic_load(&hiwater);

	for (unsigned i = 0; i < n; i++) {
		uint32_t st = atomic_load(&slots[i].state);

		if ((st == SLOT_LIVE || st == SLOT_RELEASING) &&
		    atomic_load(&slots[i].origin) == origin)
			return true;
	}
	for (unsigned k = 0; k < npend; k++)
		if (pend[k].origin == origin)
			return true;
	return false;
}

/*
 * s is DEAD: wait until no handler holds it, then free it, or, if it was
 * the last piece of its range and the range has a release callback, keep
 * it RELEASING for the call tagged token.
 */
static void slot_retire(struct slot *s, uintptr_t token,
			const struct piece *pend, unsigned npend)
{
	const struct uio_trap_ops *ops = atomic_load(&s->ops);

	while (atomic_load(&s->users))
		uio_sys_sched_yield();
	atomic_fetch_add(&s->ver, 1);
	if (ops->release && !origin_held(atomic_load(&s->origin), pend, npend)) {
		s->releaser = token;
		atomic_store(&s->state, SLOT_RELEASING);
	} else {
		atomic_store(&s->state, SLOT_FREE);
	}
}

/* Free slots at the end no longer cost lookups a visit. A lookup that
 * read the old bound only sees FREE slots past the new one. */
static void table_shrink(void)
{
	unsigned n = atomic_load(&hiwater);

	while (n && atomic_load(&slots[n - 1].state) == SLOT_FREE)
		n--;
	atomic_store(&hiwater, n);
}

/* fork: the child inherits the table; the lock is held across the fork so
 * no writer is half way, and holds of threads the child lacks go. */
static void table_fork_prepare(void)
{
	pthread_mutex_lock(&table_lock);
}

static void table_fork_parent(void)
{
	pthread_mutex_unlock(&table_lock);
}

static void table_fork_child(void)
{
	for (unsigned i = 0; i < TRAP_SLOTS; i++) {
		atomic_store(&slots[i].users, 0);
		/* A release another thread was about to run is not ours. */
		if (atomic_load(&slots[i].state) == SLOT_RELEASING)
			atomic_store(&slots[i].state, SLOT_FREE);
	}
	pthread_mutex_unlock(&table_lock);
}

/* ------------------------------------------------------------------ */
/* one-time setup */

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int setup_err;
static ZydisDecoder decoder;
static ZydisFormatter formatter;
static bool have_fsgsbase;
static uintptr_t page_size;
/* Offsets in the XSAVE standard format of the upper halves of YMM0-15
 * (component 2) and of ZMM0-15 (component 6); 0 if absent. */
static uint32_t xoff_ymm_hi, xoff_zmm_hi;
static _Atomic(uio_trap_trace_fn *) trace_fn;
static _Atomic unsigned access_errors;
/* Blocked while a fault is served: every signal but the synchronous ones. */
static sigset_t async_signals;

static void setup(void)
{
	unsigned a, b, c, d;

	if (ZYAN_FAILED(ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64,
					 ZYDIS_STACK_WIDTH_64)) ||
	    ZYAN_FAILED(ZydisFormatterInit(&formatter,
					   ZYDIS_FORMATTER_STYLE_INTEL))) {
		setup_err = -EINVAL;
		return;
	}
	have_fsgsbase = getauxval(AT_HWCAP2) & 2; /* HWCAP2_FSGSBASE */
	if (__get_cpuid_count(0xd, 2, &a, &b, &c, &d) && a == 256)
		xoff_ymm_hi = b;
	if (__get_cpuid_count(0xd, 6, &a, &b, &c, &d) && a == 512)
		xoff_zmm_hi = b;
	page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	sigfillset(&async_signals);
	sigdelset(&async_signals, SIGSEGV);
	sigdelset(&async_signals, SIGBUS);
	sigdelset(&async_signals, SIGFPE);
	sigdelset(&async_signals, SIGILL);
	sigdelset(&async_signals, SIGTRAP);
	if (pthread_atfork(table_fork_prepare, table_fork_parent,
			   table_fork_child))
		setup_err = -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* messages (async-signal-safe: no stdio) */

struct msg {
	char buf[400];
	size_t n;
};

static void msg_str(struct msg *m, const char *s)
{
	while (*s && m->n < sizeof(m->buf) - 1)
		m->buf[m->n++] = *s++;
}

static void msg_hex(struct msg *m, uint64_t v)
{
	char tmp[19];
	int i = sizeof(tmp);

	tmp[--i] = 0;
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	msg_str(m, tmp + i);
}

static void msg_dec(struct msg *m, int64_t v)
{
	char tmp[21];
	int i = sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	tmp[--i] = 0;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	msg_str(m, tmp + i);
}

static void msg_start(struct msg *m)
{
	m->n = 0;
	msg_str(m, "uiommufd[");
	msg_dec(m, uio_sys_getpid());
	msg_str(m, "]: trap: ");
}

static void msg_send(struct msg *m)
{
	m->buf[m->n++] = '\n';
	uio_sys_write(2, m->buf, m->n);
}

/* ------------------------------------------------------------------ */
/* one fault */

enum res {
	DONE,        /* served: step over the instruction */
	RESUME,      /* served in part: run it again natively (string ops) */
	UNSUPPORTED, /* not an instruction we serve */
	FAULTED,     /* it also touches ordinary memory that faults */
	MISMATCH,    /* it does not access the faulting address */
};

struct trap {
	greg_t *gr;
	uint8_t *fx;        /* FXSAVE image: XMM0-15 at 160 */
	uint64_t *xbv;      /* XSAVE header's XSTATE_BV, or NULL */
	uint8_t *ymm_hi;    /* upper halves of YMM0-15, or NULL */
	uint8_t *zmm_hi;    /* bits 511:256 of ZMM0-15, or NULL */
	uintptr_t fault;
	uintptr_t next_rip;
	ZydisDecodedInstruction in;
	ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
	struct hold held[MAX_HOLDS];
	unsigned nheld;
	bool refused; /* a callback answered -EFAULT */
	bool blocked; /* asynchronous signals are blocked */
	bool bus_error; /* a callback answered UIO_TRAP_SIGBUS */
	uintptr_t bus_addr; /* where */
	uintptr_t fail_addr; /* start of the access a callback refused, or 0 */
};

static bool is_vex(const struct trap *t)
{
	return t->in.encoding == ZYDIS_INSTRUCTION_ENCODING_VEX;
}

static uint64_t load_le(const uint8_t *v, unsigned n)
{
	uint64_t x = 0;

	memcpy(&x, v, n > 8 ? 8 : n);
	return x;
}

static uint64_t mask_of(unsigned n)
{
	return n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
}

/* --- general-purpose registers --- */

static const int greg_of_id[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* Where GPR r lives: gregs index, bit shift (8 for AH..BH), width. */
static bool gpr_loc(ZydisRegister r, int *greg, unsigned *shift,
		    unsigned *width)
{
	ZydisRegisterClass cls = ZydisRegisterGetClass(r);
	int id;

	if (cls != ZYDIS_REGCLASS_GPR8 && cls != ZYDIS_REGCLASS_GPR16 &&
	    cls != ZYDIS_REGCLASS_GPR32 && cls != ZYDIS_REGCLASS_GPR64)
		return false;
	id = ZydisRegisterGetId(
		ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r));
	if (id < 0 || id > 15)
		return false;
	*greg = greg_of_id[id];
	*width = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, r);
	*shift = (r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH ||
		  r == ZYDIS_REGISTER_DH || r == ZYDIS_REGISTER_BH) ? 8 : 0;
	return true;
}

static bool reg_get(const struct trap *t, ZydisRegister r, uint64_t *v)
{
	int greg;
	unsigned shift, width;

	if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP) {
		*v = r == ZYDIS_REGISTER_RIP ? t->next_rip : (uint32_t)t->next_rip;
		return true;
	}
	if (!gpr_loc(r, &greg, &shift, &width))
		return false;
	*v = ((uint64_t)t->gr[greg] >> shift) & mask_of(width / 8);
	return true;
}

/* Writes of 32 bits zero-extend to 64; of 8 and 16 bits merge. */
static bool reg_set(struct trap *t, ZydisRegister r, uint64_t v)
{
	int greg;
	unsigned shift, width;
	uint64_t old, m;

	if (!gpr_loc(r, &greg, &shift, &width))
		return false;
	if (width >= 32) {
		t->gr[greg] = (greg_t)(width == 32 ? (uint32_t)v : v);
		return true;
	}
	m = mask_of(width / 8) << shift;
	old = (uint64_t)t->gr[greg];
	t->gr[greg] = (greg_t)((old & ~m) | ((v << shift) & m));
	return true;
}

/* --- vector registers, in the signal frame's FXSAVE/XSAVE image --- */

static int vec_id(ZydisRegister r, ZydisRegisterClass *cls)
{
	int id = ZydisRegisterGetId(r);

	*cls = ZydisRegisterGetClass(r);
	if ((*cls != ZYDIS_REGCLASS_XMM && *cls != ZYDIS_REGCLASS_YMM) ||
	    id < 0 || id > 15)
		return -1;
	return id;
}

/* XMM (16 bytes) or YMM (32 bytes) register r into v. A component whose
 * XSTATE_BV bit is clear is in its initial state: zeros. */
static enum res vec_get(const struct trap *t, ZydisRegister r, uint8_t *v)
{
	ZydisRegisterClass cls;
	int id = vec_id(r, &cls);

	if (id < 0 || !t->fx)
		return UNSUPPORTED;
	if (!t->xbv || (*t->xbv & 2))
		memcpy(v, t->fx + 160 + 16 * id, 16);
	else
		memset(v, 0, 16);
	if (cls == ZYDIS_REGCLASS_YMM) {
		if (!t->ymm_hi)
			return UNSUPPORTED;
		if (*t->xbv & 4)
			memcpy(v + 16, t->ymm_hi + 16 * id, 16);
		else
			memset(v + 16, 0, 16);
	}
	return DONE;
}

/*
 * Load into vector register r: bytes [0, n) from v, bytes [n, zero_to)
 * zeroed, the rest kept. Legacy SSE loads keep bits above 127 (zero_to is
 * at most 16); VEX loads zero up to the widest register (zero_to 64).
 */
static enum res vec_set(struct trap *t, ZydisRegister r, const uint8_t *v,
			unsigned n, unsigned zero_to)
{
	ZydisRegisterClass cls;
	int id = vec_id(r, &cls);
	uint8_t *lo, hi[16];
	bool hi_nonzero = false;

	if (id < 0 || !t->fx || (n > 16 && !t->ymm_hi))
		return UNSUPPORTED;
	if (t->xbv && !(*t->xbv & 2)) {
		/* Make the SSE component explicit before writing into it. */
		memset(t->fx + 160, 0, 256);
		*t->xbv |= 2;
	}
	lo = t->fx + 160 + 16 * id;
	for (unsigned k = 0; k < 16; k++)
		if (k < n)
			lo[k] = v[k];
		else if (k < zero_to)
			lo[k] = 0;
	if (t->ymm_hi && (n > 16 || zero_to > 16)) {
		bool live = *t->xbv & 4;

		for (unsigned k = 16; k < 32; k++) {
			uint8_t b = k < n ? v[k] : k < zero_to ? 0
				  : live ? t->ymm_hi[16 * id + k - 16] : 0;

			hi[k - 16] = b;
			hi_nonzero |= b != 0;
		}
		if (!live && hi_nonzero) {
			memset(t->ymm_hi, 0, 256);
			*t->xbv |= 4;
			live = true;
		}
		if (live)
			memcpy(t->ymm_hi + 16 * id, hi, 16);
	}
	if (zero_to > 32 && t->zmm_hi && (*t->xbv & 0x40))
		memset(t->zmm_hi + 32 * id, 0, 32);
	return DONE;
}

/* --- memory --- */

static uint64_t seg_base(ZydisRegister seg)
{
	uint64_t base = 0;

	if (seg == ZYDIS_REGISTER_FS) {
		if (have_fsgsbase)
			__asm__ volatile("rdfsbase %0" : "=r"(base));
		else
			uio_sys_arch_prctl(0x1003 /* ARCH_GET_FS */, &base);
	} else if (seg == ZYDIS_REGISTER_GS) {
		if (have_fsgsbase)
			__asm__ volatile("rdgsbase %0" : "=r"(base));
		else
			uio_sys_arch_prctl(0x1004 /* ARCH_GET_GS */, &base);
	}
	return base;
}

/* Linear address of memory operand o. */
static bool ea_of(const struct trap *t, const ZydisDecodedOperand *o,
		  uintptr_t *ea)
{
	uint64_t a = (uint64_t)o->mem.disp.value, v;

	if (o->type != ZYDIS_OPERAND_TYPE_MEMORY ||
	    o->mem.type != ZYDIS_MEMOP_TYPE_MEM)
		return false;
	if (o->mem.base != ZYDIS_REGISTER_NONE) {
		if (!reg_get(t, o->mem.base, &v))
			return false;
		a += v;
	}
	if (o->mem.index != ZYDIS_REGISTER_NONE) {
		if (!reg_get(t, o->mem.index, &v))
			return false;
		a += v * o->mem.scale;
	}
	if (t->in.address_width == 32)
		a = (uint32_t)a;
	*ea = a + seg_base(o->mem.segment);
	return true;
}

/* The held range covering addr, taking a hold if needed; NULL if none. */
static struct hold *hold_at(struct trap *t, uintptr_t addr)
{
	for (unsigned i = 0; i < t->nheld; i++)
		if (addr >= t->held[i].start && addr < t->held[i].end)
			return &t->held[i];
	/* Full: drop the newest; no access is under way between pieces. */
	if (t->nheld == MAX_HOLDS)
		slot_put(&t->held[--t->nheld]);
	if (!lookup(addr, &t->held[t->nheld]))
		return NULL;
	return &t->held[t->nheld++];
}

static void report_access_error(const struct hold *h, uint64_t off,
				unsigned len, bool write, int rc)
{
	unsigned n = atomic_fetch_add(&access_errors, 1);
	struct msg m;

	if (n > 8)
		return;
	msg_start(&m);
	if (n == 8) {
		msg_str(&m, "further failed accesses are not reported");
	} else {
		msg_str(&m, write ? "write of " : "read of ");
		msg_dec(&m, len);
		msg_str(&m, " bytes at offset ");
		msg_hex(&m, off);
		msg_str(&m, " of the range at ");
		msg_hex(&m, h->start - h->base);
		msg_str(&m, " failed (");
		msg_dec(&m, rc);
		msg_str(&m, write ? "): dropped" : "): read as all ones");
	}
	msg_send(&m);
}

/* One callback. 0, or -EFAULT if the range refused the access (SIGSEGV,
 * or t->bus_error for SIGBUS). */
static int call(struct trap *t, const struct hold *h, uintptr_t a, uint8_t *p,
		unsigned len, bool write)
{
	uint64_t off = a - h->start + h->base;
	int rc = h->ops->access(h->priv, off, p, len, write);
	uio_trap_trace_fn *trace;

	if (rc == UIO_TRAP_SIGBUS) {
		/* A bus error: nothing accessed; the fault is at the byte the
		 * CPU faulted on if this access holds it, else its first. */
		trace = atomic_load_explicit(&trace_fn, memory_order_acquire);
		if (trace)
			trace(h->priv, off, p, len, write, rc);
		t->bus_error = true;
		t->bus_addr = t->fault - a < len ? t->fault : a;
		t->fail_addr = a;
		return -EFAULT;
	}
	if (rc && rc != -EFAULT) {
		/* A dead device on PCI: reads see all ones, writes vanish. */
		if (!write)
			memset(p, 0xff, len);
		report_access_error(h, off, len, write, rc);
	}
	trace = atomic_load_explicit(&trace_fn, memory_order_acquire);
	if (trace)
		trace(h->priv, off, p, len, write, rc);
	if (rc == -EFAULT) {
		/* No access at all (a store to a read-only mapping): fault.
		 * The last refusal is the signal (MOVS's writes of the
		 * elements before a refused read are earlier ones). */
		t->refused = true;
		t->bus_error = false;
		t->fail_addr = a;
		return -EFAULT;
	}
	return 0;
}

/*
 * Width of the next callback for `left` trapped bytes at a. unit 0: the
 * whole piece when it is a valid width (an instruction's operand), else the
 * largest power of two that fits. unit > 0 (string instructions): up to
 * unit bytes, naturally aligned, never splitting an elem-sized element
 * unless the range ends inside it.
 */
static unsigned access_len(uintptr_t a, size_t left, unsigned elem,
			   unsigned unit)
{
	unsigned c;

	if (!unit) {
		if (left == 1 || left == 2 || left == 4 || left == 8 ||
		    left == 16 || left == 32)
			return (unsigned)left;
		unit = 32;
		elem = 1;
	}
	c = unit;
	while (c > 1 && (c > left || (c > elem && (a & (c - 1)))))
		c >>= 1;
	return c;
}

/*
 * Read or write [ea, ea + n) through buf (n <= BOUNCE). Bytes in trapped
 * ranges go to their callbacks, in address order (see access_len for the
 * widths); other bytes are ordinary memory, copied first, so that if they
 * fault no callback has run. 0, or -EFAULT if ordinary memory faulted or a
 * callback refused (t->refused).
 */
static int mem_rw(struct trap *t, uintptr_t ea, uint8_t *buf, size_t n,
		  bool write, unsigned elem, unsigned unit)
{
	if (ea + n < ea)
		return -EFAULT;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t pos = 0; pos < n;) {
			uintptr_t a = ea + pos;
			struct hold *h = hold_at(t, a);
			size_t len;

			if (!h) {
				len = next_trapped(a, ea + n) - a;
				if (pass == 0) {
					int rc = write
						? uio_copy_to_user_nofail((void *)a, buf + pos, len)
						: uio_copy_from_user_nofail(buf + pos, (const void *)a, len);

					if (rc)
						return rc;
				}
				pos += len;
				continue;
			}
			len = (h->end - a < n - pos) ? h->end - a : n - pos;
			if (pass == 1) {
				for (size_t done = 0; done < len;) {
					unsigned c = access_len(a + done, len - done,
								elem, unit);

					if (call(t, h, a + done, buf + pos + done, c, write))
						return -EFAULT;
					done += c;
				}
			}
			pos += len;
		}
	}
	return 0;
}

/* Whether [a, a + n) touches a trapped range. */
static bool touches_trap(struct trap *t, uintptr_t a, size_t n)
{
	return hold_at(t, a) || next_trapped(a, a + n) != a + n;
}

/* --- operands --- */

/* Operand o's value into v (up to 32 bytes; immediates are sign-extended
 * to 8 bytes, GPRs give 8 bytes). */
static enum res get(struct trap *t, const ZydisDecodedOperand *o, uint8_t *v)
{
	uint64_t x;
	uintptr_t ea;

	switch (o->type) {
	case ZYDIS_OPERAND_TYPE_IMMEDIATE:
		memcpy(v, &o->imm.value.u, 8);
		return DONE;
	case ZYDIS_OPERAND_TYPE_REGISTER:
		if (reg_get(t, o->reg.value, &x)) {
			memcpy(v, &x, 8);
			return DONE;
		}
		return vec_get(t, o->reg.value, v);
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (o->size % 8 || o->size > 256 || !ea_of(t, o, &ea))
			return UNSUPPORTED;
		return mem_rw(t, ea, v, o->size / 8, false, 0, 0) ? FAULTED : DONE;
	default:
		return UNSUPPORTED;
	}
}

/* Store v into operand o: memory, or a GPR (width rules of reg_set). */
static enum res put(struct trap *t, const ZydisDecodedOperand *o,
		    const uint8_t *v)
{
	uintptr_t ea;

	switch (o->type) {
	case ZYDIS_OPERAND_TYPE_REGISTER:
		return reg_set(t, o->reg.value, load_le(v, 8)) ? DONE : UNSUPPORTED;
	case ZYDIS_OPERAND_TYPE_MEMORY:
		if (o->size % 8 || o->size > 256 || !ea_of(t, o, &ea))
			return UNSUPPORTED;
		/* mem_rw does not write to buf on a write; the cast is safe. */
		return mem_rw(t, ea, (uint8_t *)v, o->size / 8, true, 0, 0)
			? FAULTED : DONE;
	default:
		return UNSUPPORTED;
	}
}

static enum res get_u64(struct trap *t, const ZydisDecodedOperand *o,
			uint64_t *x)
{
	uint8_t v[32] = { 0 };
	enum res r = get(t, o, v);

	*x = load_le(v, 8);
	return r;
}

static enum res put_u64(struct trap *t, const ZydisDecodedOperand *o,
			uint64_t x)
{
	uint8_t v[8];

	memcpy(v, &x, 8);
	return put(t, o, v);
}

static void set_flags(struct trap *t, uint64_t fl)
{
	uint64_t old = (uint64_t)t->gr[REG_EFL];

	t->gr[REG_EFL] = (greg_t)((old & ~FLAGS_ARITH) | (fl & FLAGS_ARITH));
}

/* --- ALU operations, run natively --- */

enum alu_op {
	A_ADD, A_OR, A_ADC, A_SBB, A_AND, A_SUB, A_XOR, A_CMP, A_TEST,
	A_INC, A_DEC, A_NEG, A_NOT, A_BT, A_BTS, A_BTR, A_BTC, A_IMUL,
	A_SHL, A_SHR, A_SAR, A_ROL, A_ROR, A_RCL, A_RCR,
};

/*
 * The program's arithmetic flags are loaded (popf) before the instruction
 * and read back (pushf) after it, so carry-in, flags an instruction leaves
 * alone and flags the manual calls undefined all come out as the CPU makes
 * them. The stack pointer first steps over the 128-byte red zone, which the
 * compiler may be using. DF, TF and AC stay clear.
 */
#define NATIVE_IN "lea -128(%%rsp), %%rsp\n\tpushq %[fl]\n\tpopfq\n\t"
#define NATIVE_OUT "\n\tpushfq\n\tpopq %[fl]\n\tlea 128(%%rsp), %%rsp"
#define BIN(insn, sfx, mod)                                                   \
	__asm__ volatile(NATIVE_IN insn sfx " %" mod "[s], %" mod "[d]" NATIVE_OUT \
			 : [d] "+r"(d), [fl] "+r"(fl)                          \
			 : [s] "r"(s)                                          \
			 : "cc")
#define UN(insn, sfx, mod)                                                    \
	__asm__ volatile(NATIVE_IN insn sfx " %" mod "[d]" NATIVE_OUT           \
			 : [d] "+r"(d), [fl] "+r"(fl)                          \
			 :                                                     \
			 : "cc")
#define SIZED(M, insn)                         \
	switch (size) {                        \
	case 1: M(insn, "b", "b"); break;      \
	case 2: M(insn, "w", "w"); break;      \
	case 4: M(insn, "l", "k"); break;      \
	default: M(insn, "q", "q"); break;     \
	}
/* BT* and two-operand IMUL have no byte form. */
#define SIZED_BT(insn)                         \
	switch (size) {                        \
	case 2: BIN(insn, "w", "w"); break;    \
	case 4: BIN(insn, "l", "k"); break;    \
	default: BIN(insn, "q", "q"); break;   \
	}
/* Shifts and rotates: the count in CL, masked by the CPU as it would be. */
#define SH(insn, sfx, mod)                                                    \
	__asm__ volatile(NATIVE_IN insn sfx " %%cl, %" mod "[d]" NATIVE_OUT     \
			 : [d] "+r"(d), [fl] "+r"(fl)                          \
			 : "c"(s)                                              \
			 : "cc")

/* d op= s on size bytes; *flags in and out (only FLAGS_ARITH matter). */
static uint64_t alu(enum alu_op op, unsigned size, uint64_t d, uint64_t s,
		    uint64_t *flags)
{
	uint64_t fl = (*flags & FLAGS_ARITH) | 0x2;

	switch (op) {
	case A_ADD: SIZED(BIN, "add") break;
	case A_OR: SIZED(BIN, "or") break;
	case A_ADC: SIZED(BIN, "adc") break;
	case A_SBB: SIZED(BIN, "sbb") break;
	case A_AND: SIZED(BIN, "and") break;
	case A_SUB: SIZED(BIN, "sub") break;
	case A_XOR: SIZED(BIN, "xor") break;
	case A_CMP: SIZED(BIN, "cmp") break;
	case A_TEST: SIZED(BIN, "test") break;
	case A_INC: SIZED(UN, "inc") break;
	case A_DEC: SIZED(UN, "dec") break;
	case A_NEG: SIZED(UN, "neg") break;
	case A_NOT: SIZED(UN, "not") break;
	case A_BT: SIZED_BT("bt") break;
	case A_BTS: SIZED_BT("bts") break;
	case A_BTR: SIZED_BT("btr") break;
	case A_BTC: SIZED_BT("btc") break;
	case A_IMUL: SIZED_BT("imul") break;
	case A_SHL: SIZED(SH, "shl") break;
	case A_SHR: SIZED(SH, "shr") break;
	case A_SAR: SIZED(SH, "sar") break;
	case A_ROL: SIZED(SH, "rol") break;
	case A_ROR: SIZED(SH, "ror") break;
	case A_RCL: SIZED(SH, "rcl") break;
	case A_RCR: SIZED(SH, "rcr") break;
	}
	*flags = fl;
	return d & mask_of(size);
}

/* ------------------------------------------------------------------ */
/* handlers: one per family; arg comes from the table */

static unsigned opsize(const ZydisDecodedOperand *o)
{
	return o->size / 8;
}

/* MOV, MOVNTI, MOVBE (arg 1: byte-swapped). */
static enum res h_mov(struct trap *t, unsigned swap)
{
	uint8_t v[32] = { 0 }, w[32];
	unsigned n = opsize(&t->op[0]);
	enum res r = get(t, &t->op[1], v);

	if (r != DONE)
		return r;
	if (swap) {
		for (unsigned i = 0; i < n; i++)
			w[i] = v[n - 1 - i];
		memcpy(v, w, n);
	}
	return put(t, &t->op[0], v);
}

/* MOVZX (arg 0), MOVSX and MOVSXD (arg 1). */
static enum res h_movx(struct trap *t, unsigned sign)
{
	unsigned bits = t->op[1].size;
	uint64_t x;
	enum res r = get_u64(t, &t->op[1], &x);

	if (r != DONE)
		return r;
	x &= mask_of(bits / 8);
	if (sign && bits < 64 && (x >> (bits - 1)) & 1)
		x |= ~mask_of(bits / 8);
	return put_u64(t, &t->op[0], x);
}

/* XCHG: memory written before the register. */
static enum res h_xchg(struct trap *t, unsigned arg)
{
	int m = t->op[0].type == ZYDIS_OPERAND_TYPE_MEMORY ? 0 : 1;
	uint64_t mv, rv;
	enum res r;

	(void)arg;
	if ((r = get_u64(t, &t->op[m], &mv)) != DONE ||
	    (r = get_u64(t, &t->op[!m], &rv)) != DONE ||
	    (r = put_u64(t, &t->op[m], rv)) != DONE)
		return r;
	return put_u64(t, &t->op[!m], mv);
}

/* ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST: either operand in memory. */
static enum res h_alu(struct trap *t, unsigned op)
{
	unsigned size = opsize(&t->op[0]);
	uint64_t a, b, fl = (uint64_t)t->gr[REG_EFL];
	enum res r;

	if ((r = get_u64(t, &t->op[0], &a)) != DONE ||
	    (r = get_u64(t, &t->op[1], &b)) != DONE)
		return r;
	a = alu(op, size, a, b, &fl);
	if (op != A_CMP && op != A_TEST && (r = put_u64(t, &t->op[0], a)) != DONE)
		return r;
	set_flags(t, fl);
	return DONE;
}

/* SHL, SHR, SAR, ROL, ROR, RCL, RCR on memory, by 1, an immediate or CL. */
static enum res h_shift(struct trap *t, unsigned op)
{
	uint64_t a, n, fl = (uint64_t)t->gr[REG_EFL];
	enum res r;

	if ((r = get_u64(t, &t->op[0], &a)) != DONE ||
	    (r = get_u64(t, &t->op[1], &n)) != DONE)
		return r;
	a = alu(op, opsize(&t->op[0]), a, n & 0xff, &fl);
	if ((r = put_u64(t, &t->op[0], a)) != DONE)
		return r;
	set_flags(t, fl);
	return DONE;
}

/* IMUL r, r/m and IMUL r, r/m, imm (the one-operand form, into RDX:RAX,
 * is not served). The product's flags come from the two-operand form. */
static enum res h_imul(struct trap *t, unsigned arg)
{
	unsigned size = opsize(&t->op[0]);
	uint64_t a, b, fl = (uint64_t)t->gr[REG_EFL];
	bool three = t->in.operand_count_visible == 3;
	enum res r;

	(void)arg;
	if (t->in.operand_count_visible < 2 || size < 2)
		return UNSUPPORTED;
	if ((r = get_u64(t, &t->op[three ? 2 : 0], &a)) != DONE ||
	    (r = get_u64(t, &t->op[1], &b)) != DONE)
		return r;
	a = alu(A_IMUL, size, a, b, &fl);
	if ((r = put_u64(t, &t->op[0], a)) != DONE)
		return r;
	set_flags(t, fl);
	return DONE;
}

/* Condition code cc (the low nibble of Jcc/SETcc/CMOVcc) on flags fl. */
static bool cond(unsigned cc, uint64_t fl)
{
	bool cf = fl & 1, pf = fl & 4, zf = fl & 0x40, sf = fl & 0x80,
	     of = fl & 0x800, v;

	switch (cc >> 1) {
	case 0: v = of; break;
	case 1: v = cf; break;
	case 2: v = zf; break;
	case 3: v = cf || zf; break;
	case 4: v = sf; break;
	case 5: v = pf; break;
	case 6: v = sf != of; break;
	default: v = zf || sf != of; break;
	}
	return (cc & 1) ? !v : v;
}

/* SETcc m8. */
static enum res h_setcc(struct trap *t, unsigned cc)
{
	return put_u64(t, &t->op[0], cond(cc, (uint64_t)t->gr[REG_EFL]));
}

/* CMOVcc r, m: the load happens whatever the condition; a 32-bit
 * destination is zero-extended even when nothing moves. */
static enum res h_cmovcc(struct trap *t, unsigned cc)
{
	uint64_t v;
	enum res r = get_u64(t, &t->op[1], &v);

	if (r != DONE)
		return r;
	if (!cond(cc, (uint64_t)t->gr[REG_EFL]) &&
	    (r = get_u64(t, &t->op[0], &v)) != DONE)
		return r;
	return put_u64(t, &t->op[0], v);
}

/* INC, DEC, NEG, NOT. */
static enum res h_unary(struct trap *t, unsigned op)
{
	uint64_t a, fl = (uint64_t)t->gr[REG_EFL];
	enum res r = get_u64(t, &t->op[0], &a);

	if (r != DONE)
		return r;
	a = alu(op, opsize(&t->op[0]), a, 0, &fl);
	if ((r = put_u64(t, &t->op[0], a)) != DONE)
		return r;
	set_flags(t, fl);
	return DONE;
}

/* XADD: memory gets the sum, the register the old value. */
static enum res h_xadd(struct trap *t, unsigned arg)
{
	uint64_t a, b, fl = (uint64_t)t->gr[REG_EFL], sum;
	enum res r;

	(void)arg;
	if ((r = get_u64(t, &t->op[0], &a)) != DONE ||
	    (r = get_u64(t, &t->op[1], &b)) != DONE)
		return r;
	sum = alu(A_ADD, opsize(&t->op[0]), a, b, &fl);
	if ((r = put_u64(t, &t->op[0], sum)) != DONE ||
	    (r = put_u64(t, &t->op[1], a)) != DONE)
		return r;
	set_flags(t, fl);
	return DONE;
}

/*
 * CMPXCHG: flags of CMP accumulator, memory; equal: memory gets the
 * source; else the accumulator gets memory. A failed compare writes
 * nothing to the device (the CPU's locked cycle writes the old value back;
 * a device must not see that as a store).
 */
static enum res h_cmpxchg(struct trap *t, unsigned arg)
{
	unsigned size = opsize(&t->op[0]);
	uint64_t m, src, acc, fl = (uint64_t)t->gr[REG_EFL];
	enum res r;

	(void)arg;
	if (t->in.operand_count < 3 ||
	    t->op[2].type != ZYDIS_OPERAND_TYPE_REGISTER)
		return UNSUPPORTED;
	if ((r = get_u64(t, &t->op[0], &m)) != DONE ||
	    (r = get_u64(t, &t->op[1], &src)) != DONE ||
	    (r = get_u64(t, &t->op[2], &acc)) != DONE)
		return r;
	alu(A_CMP, size, acc, m, &fl);
	if (fl & FLAG_ZF)
		r = put_u64(t, &t->op[0], src);
	else
		r = put_u64(t, &t->op[2], m);
	if (r != DONE)
		return r;
	set_flags(t, fl);
	return DONE;
}

/*
 * BT, BTS, BTR, BTC on memory. With a register bit offset the operand is
 * a bit string: the access moves by (offset >> log2(bits)) operands, signed.
 */
static enum res h_bt(struct trap *t, unsigned op)
{
	unsigned size = opsize(&t->op[0]), bits = size * 8;
	uint64_t off, v, fl = (uint64_t)t->gr[REG_EFL];
	uintptr_t ea;
	uint8_t buf[8] = { 0 };

	if (!ea_of(t, &t->op[0], &ea) || size < 2 || size > 8 ||
	    get_u64(t, &t->op[1], &off) != DONE)
		return UNSUPPORTED;
	if (t->op[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
		int64_t soff = (int64_t)(off << (64 - bits)) >> (64 - bits);

		/* floor(soff / bits) operands away */
		ea += (uintptr_t)((soff >> __builtin_ctz(bits)) * (int64_t)size);
	}
	off &= bits - 1;
	if (t->fault < ea || t->fault - ea >= size)
		return MISMATCH;
	if (mem_rw(t, ea, buf, size, false, 0, 0))
		return FAULTED;
	v = alu(op, size, load_le(buf, size), off, &fl);
	if (op != A_BT) {
		memcpy(buf, &v, size);
		if (mem_rw(t, ea, buf, size, true, 0, 0))
			return FAULTED;
	}
	set_flags(t, fl);
	return DONE;
}

/*
 * MOVS, STOS, LODS (arg: kind << 8 | element size), with or without REP.
 * Going up, elements are moved in blocks through a bounce buffer, trapped
 * bytes in naturally aligned accesses of up to 8 bytes (so a memcpy is
 * seen as 8-byte accesses, not byte ones); going down (DF set), or with
 * 32-bit addresses, one element at a time. Overlapping MOVS keeps element
 * semantics. Once the rest of a REP touches no trapped range, the registers
 * are written back and the instruction is run again natively from there.
 * A fault stops it with the registers at the first element not done, as
 * the CPU does: a callback's refusal at the element it refused (the
 * elements of the block before it done); a fault in ordinary memory at the
 * start of its block (its ordinary bytes are copied before any callback).
 */
enum { S_MOVS = 1, S_STOS = 2, S_LODS = 3 };

/* Whole elements of [base, base + n) before the access a callback refused
 * (0 if the fault was elsewhere: ordinary memory, or before base). */
static uint64_t elems_before(const struct trap *t, uintptr_t base, size_t n,
			     unsigned e)
{
	uintptr_t f = t->fail_addr;

	return f && f - base < n ? (f - base) / e : 0;
}

static enum res h_string(struct trap *t, unsigned arg)
{
	unsigned kind = arg >> 8, e = arg & 0xff;
	bool a32 = t->in.address_width == 32;
	uint64_t amask = a32 ? 0xffffffffull : ~0ull;
	bool rep = t->in.attributes & (ZYDIS_ATTRIB_HAS_REP |
				       ZYDIS_ATTRIB_HAS_REPE |
				       ZYDIS_ATTRIB_HAS_REPNE);
	bool down = (uint64_t)t->gr[REG_EFL] & FLAG_DF;
	uint64_t cnt = rep ? (uint64_t)t->gr[REG_RCX] & amask : 1;
	uint64_t si = (uint64_t)t->gr[REG_RSI] & amask;
	uint64_t di = (uint64_t)t->gr[REG_RDI] & amask;
	uint64_t sbase = 0, last = 0, span;
	uint8_t buf[BOUNCE];
	bool faulted = false, resume = false, explained = false;

	if (t->in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS)
		sbase = seg_base(ZYDIS_REGISTER_FS);
	else if (t->in.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS)
		sbase = seg_base(ZYDIS_REGISTER_GS);
	/* The fault may be ahead of RSI/RDI (fast strings): accept any
	 * address the remaining elements cover. */
	span = cnt > (UINT64_C(1) << 56) ? UINT64_C(1) << 59 : cnt * e;
	if (kind != S_STOS) {
		uint64_t lo = sbase + (down ? si - span + e : si);

		explained |= t->fault - lo < span;
	}
	if (kind != S_LODS) {
		uint64_t lo = down ? di - span + e : di;

		explained |= t->fault - lo < span;
	}
	if (!explained)
		return MISMATCH;

	for (bool first = true; cnt; first = false) {
		uint64_t k = 1, step;
		size_t n;

		if (!down && !a32 && kind != S_LODS) {
			k = cnt < BOUNCE / e ? cnt : BOUNCE / e;
			if (kind == S_MOVS && di > si && di - si < k * e)
				k = (di - si) / e ? (di - si) / e : 1;
			/* Device to device: keep reads and writes interleaved. */
			if (kind == S_MOVS && k > 8 / e && hold_at(t, sbase + si) &&
			    hold_at(t, di))
				k = 8 / e ? 8 / e : 1;
		}
		n = k * e;
		/* Nothing trapped in the next block: let the CPU go on. */
		if (!first &&
		    !(kind != S_STOS && touches_trap(t, sbase + si, n)) &&
		    !(kind != S_LODS && touches_trap(t, di, n))) {
			resume = true;
			break;
		}
		if (kind == S_MOVS) {
			if (mem_rw(t, sbase + si, buf, n, false, e, down ? e : 8)) {
				/* The elements read before the refused one are
				 * copied, as the CPU would have. */
				k = elems_before(t, sbase + si, n, e);
				if (k && mem_rw(t, di, buf, k * e, true, e, 8))
					k = elems_before(t, di, k * e, e);
				faulted = true;
			} else if (mem_rw(t, di, buf, n, true, e, down ? e : 8)) {
				k = elems_before(t, di, n, e);
				faulted = true;
			}
		} else if (kind == S_STOS) {
			for (size_t i = 0; i < n; i += e)
				memcpy(buf + i, &t->gr[REG_RAX], e);
			if (mem_rw(t, di, buf, n, true, e, down ? e : 8)) {
				k = elems_before(t, di, n, e);
				faulted = true;
			}
		} else {
			if (mem_rw(t, sbase + si, buf, e, false, e, e)) {
				faulted = true;
				break;
			}
			last = load_le(buf, e);
		}
		if (faulted) {
			/* A callback refused an element inside the block:
			 * the registers stop at it (k elements done). */
			if (!rep || !k)
				break;
			n = k * e;
		}
		step = down ? -(uint64_t)n : n;
		if (kind != S_STOS)
			si = (si + step) & amask;
		if (kind != S_LODS)
			di = (di + step) & amask;
		cnt -= k;
		if (kind == S_LODS) {
			uint64_t rax = (uint64_t)t->gr[REG_RAX];

			/* AL/AX merge, EAX zero-extends, RAX replaces. */
			if (e < 4)
				rax = (rax & ~mask_of(e)) | last;
			else
				rax = last;
			t->gr[REG_RAX] = (greg_t)rax;
		}
		if (!rep)
			break;
		t->gr[REG_RCX] = (greg_t)cnt;
		if (kind != S_STOS)
			t->gr[REG_RSI] = (greg_t)si;
		if (kind != S_LODS)
			t->gr[REG_RDI] = (greg_t)di;
		if (faulted)
			break;
	}
	if (!rep && !faulted) {
		if (kind != S_STOS)
			t->gr[REG_RSI] = (greg_t)si;
		if (kind != S_LODS)
			t->gr[REG_RDI] = (greg_t)di;
	}
	if (faulted)
		return FAULTED;
	return resume ? RESUME : DONE;
}

/* MOVSD: the string move, or the SSE scalar double move. */
static enum res h_vmov(struct trap *t, unsigned keep);
static bool explains_fault(const struct trap *t);

static enum res h_movsd(struct trap *t, unsigned arg)
{
	(void)arg;
	if (t->in.meta.category == ZYDIS_CATEGORY_STRINGOP)
		return h_string(t, S_MOVS << 8 | 4);
	if (!explains_fault(t))
		return MISMATCH;
	return h_vmov(t, 0);
}

/*
 * Vector moves between a register and memory. Stores write the memory
 * operand's size from the register's low bytes. Loads: VEX zeroes the
 * register above the loaded bytes; legacy SSE full-width moves (arg 1)
 * keep bits above 127, legacy scalar moves (MOVD/MOVQ/MOVSS/MOVSD, arg 0)
 * zero the rest of the XMM register and keep the rest.
 */
static enum res h_vmov(struct trap *t, unsigned keep)
{
	const ZydisDecodedOperand *d = &t->op[0], *s = &t->op[1];
	uint8_t v[32] = { 0 };
	unsigned n;
	enum res r;

	if (d->type == ZYDIS_OPERAND_TYPE_MEMORY) {
		if ((r = get(t, s, v)) != DONE)
			return r;
		return put(t, d, v);
	}
	if (s->type != ZYDIS_OPERAND_TYPE_MEMORY || d->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return UNSUPPORTED;
	n = opsize(s);
	if (n > 32)
		return UNSUPPORTED;
	if ((r = get(t, s, v)) != DONE)
		return r;
	if (ZydisRegisterGetClass(d->reg.value) != ZYDIS_REGCLASS_XMM &&
	    ZydisRegisterGetClass(d->reg.value) != ZYDIS_REGCLASS_YMM)
		return put(t, d, v); /* MOVD/MOVQ into a GPR */
	return vec_set(t, d->reg.value, v, n, is_vex(t) ? 64 : keep ? n : 16);
}

/*
 * MOVLPS/MOVLPD (arg 0) and MOVHPS/MOVHPD (arg 8): 8 bytes to or from one
 * half of an XMM register. The VEX load takes the other half from its
 * second operand and zeroes the register above 127.
 */
static enum res h_vhalf(struct trap *t, unsigned half)
{
	uint8_t v[32] = { 0 };
	const ZydisDecodedOperand *m;
	enum res r;

	if (t->op[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
		if ((r = get(t, &t->op[1], v)) != DONE)
			return r;
		return put(t, &t->op[0], v + half);
	}
	m = &t->op[is_vex(t) ? 2 : 1];
	if (m->type != ZYDIS_OPERAND_TYPE_MEMORY || opsize(m) != 8 ||
	    t->op[is_vex(t) ? 1 : 0].type != ZYDIS_OPERAND_TYPE_REGISTER)
		return UNSUPPORTED;
	if ((r = vec_get(t, t->op[is_vex(t) ? 1 : 0].reg.value, v)) != DONE ||
	    (r = get(t, m, v + half)) != DONE)
		return r;
	return vec_set(t, t->op[0].reg.value, v, 16, is_vex(t) ? 64 : 16);
}

/* CLFLUSH, CLFLUSHOPT, CLWB: the device has no cache; nothing to do. */
static enum res h_nop(struct trap *t, unsigned arg)
{
	(void)t;
	(void)arg;
	return DONE;
}

#define CHECKS_ITSELF 1 /* the handler checks the faulting address */

struct handler {
	enum res (*fn)(struct trap *t, unsigned arg);
	unsigned arg;
	unsigned flags;
};

static const struct handler handlers[ZYDIS_MNEMONIC_MAX_VALUE + 1] = {
	[ZYDIS_MNEMONIC_MOV] = { h_mov, 0, 0 },
	[ZYDIS_MNEMONIC_MOVNTI] = { h_mov, 0, 0 },
	[ZYDIS_MNEMONIC_MOVBE] = { h_mov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVZX] = { h_movx, 0, 0 },
	[ZYDIS_MNEMONIC_MOVSX] = { h_movx, 1, 0 },
	[ZYDIS_MNEMONIC_MOVSXD] = { h_movx, 1, 0 },
	[ZYDIS_MNEMONIC_XCHG] = { h_xchg, 0, 0 },
	[ZYDIS_MNEMONIC_XADD] = { h_xadd, 0, 0 },
	[ZYDIS_MNEMONIC_CMPXCHG] = { h_cmpxchg, 0, 0 },
	[ZYDIS_MNEMONIC_ADD] = { h_alu, A_ADD, 0 },
	[ZYDIS_MNEMONIC_OR] = { h_alu, A_OR, 0 },
	[ZYDIS_MNEMONIC_ADC] = { h_alu, A_ADC, 0 },
	[ZYDIS_MNEMONIC_SBB] = { h_alu, A_SBB, 0 },
	[ZYDIS_MNEMONIC_AND] = { h_alu, A_AND, 0 },
	[ZYDIS_MNEMONIC_SUB] = { h_alu, A_SUB, 0 },
	[ZYDIS_MNEMONIC_XOR] = { h_alu, A_XOR, 0 },
	[ZYDIS_MNEMONIC_CMP] = { h_alu, A_CMP, 0 },
	[ZYDIS_MNEMONIC_TEST] = { h_alu, A_TEST, 0 },
	[ZYDIS_MNEMONIC_INC] = { h_unary, A_INC, 0 },
	[ZYDIS_MNEMONIC_DEC] = { h_unary, A_DEC, 0 },
	[ZYDIS_MNEMONIC_NEG] = { h_unary, A_NEG, 0 },
	[ZYDIS_MNEMONIC_NOT] = { h_unary, A_NOT, 0 },
	[ZYDIS_MNEMONIC_IMUL] = { h_imul, 0, 0 },
	[ZYDIS_MNEMONIC_SHL] = { h_shift, A_SHL, 0 },
	[ZYDIS_MNEMONIC_SHR] = { h_shift, A_SHR, 0 },
	[ZYDIS_MNEMONIC_SAR] = { h_shift, A_SAR, 0 },
	[ZYDIS_MNEMONIC_ROL] = { h_shift, A_ROL, 0 },
	[ZYDIS_MNEMONIC_ROR] = { h_shift, A_ROR, 0 },
	[ZYDIS_MNEMONIC_RCL] = { h_shift, A_RCL, 0 },
	[ZYDIS_MNEMONIC_RCR] = { h_shift, A_RCR, 0 },
	[ZYDIS_MNEMONIC_SETO] = { h_setcc, 0, 0 },
	[ZYDIS_MNEMONIC_SETNO] = { h_setcc, 1, 0 },
	[ZYDIS_MNEMONIC_SETB] = { h_setcc, 2, 0 },
	[ZYDIS_MNEMONIC_SETNB] = { h_setcc, 3, 0 },
	[ZYDIS_MNEMONIC_SETZ] = { h_setcc, 4, 0 },
	[ZYDIS_MNEMONIC_SETNZ] = { h_setcc, 5, 0 },
	[ZYDIS_MNEMONIC_SETBE] = { h_setcc, 6, 0 },
	[ZYDIS_MNEMONIC_SETNBE] = { h_setcc, 7, 0 },
	[ZYDIS_MNEMONIC_SETS] = { h_setcc, 8, 0 },
	[ZYDIS_MNEMONIC_SETNS] = { h_setcc, 9, 0 },
	[ZYDIS_MNEMONIC_SETP] = { h_setcc, 10, 0 },
	[ZYDIS_MNEMONIC_SETNP] = { h_setcc, 11, 0 },
	[ZYDIS_MNEMONIC_SETL] = { h_setcc, 12, 0 },
	[ZYDIS_MNEMONIC_SETNL] = { h_setcc, 13, 0 },
	[ZYDIS_MNEMONIC_SETLE] = { h_setcc, 14, 0 },
	[ZYDIS_MNEMONIC_SETNLE] = { h_setcc, 15, 0 },
	[ZYDIS_MNEMONIC_CMOVO] = { h_cmovcc, 0, 0 },
	[ZYDIS_MNEMONIC_CMOVNO] = { h_cmovcc, 1, 0 },
	[ZYDIS_MNEMONIC_CMOVB] = { h_cmovcc, 2, 0 },
	[ZYDIS_MNEMONIC_CMOVNB] = { h_cmovcc, 3, 0 },
	[ZYDIS_MNEMONIC_CMOVZ] = { h_cmovcc, 4, 0 },
	[ZYDIS_MNEMONIC_CMOVNZ] = { h_cmovcc, 5, 0 },
	[ZYDIS_MNEMONIC_CMOVBE] = { h_cmovcc, 6, 0 },
	[ZYDIS_MNEMONIC_CMOVNBE] = { h_cmovcc, 7, 0 },
	[ZYDIS_MNEMONIC_CMOVS] = { h_cmovcc, 8, 0 },
	[ZYDIS_MNEMONIC_CMOVNS] = { h_cmovcc, 9, 0 },
	[ZYDIS_MNEMONIC_CMOVP] = { h_cmovcc, 10, 0 },
	[ZYDIS_MNEMONIC_CMOVNP] = { h_cmovcc, 11, 0 },
	[ZYDIS_MNEMONIC_CMOVL] = { h_cmovcc, 12, 0 },
	[ZYDIS_MNEMONIC_CMOVNL] = { h_cmovcc, 13, 0 },
	[ZYDIS_MNEMONIC_CMOVLE] = { h_cmovcc, 14, 0 },
	[ZYDIS_MNEMONIC_CMOVNLE] = { h_cmovcc, 15, 0 },
	[ZYDIS_MNEMONIC_BT] = { h_bt, A_BT, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_BTS] = { h_bt, A_BTS, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_BTR] = { h_bt, A_BTR, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_BTC] = { h_bt, A_BTC, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_MOVSB] = { h_string, S_MOVS << 8 | 1, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_MOVSW] = { h_string, S_MOVS << 8 | 2, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_MOVSD] = { h_movsd, 0, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_MOVSQ] = { h_string, S_MOVS << 8 | 8, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_STOSB] = { h_string, S_STOS << 8 | 1, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_STOSW] = { h_string, S_STOS << 8 | 2, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_STOSD] = { h_string, S_STOS << 8 | 4, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_STOSQ] = { h_string, S_STOS << 8 | 8, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_LODSB] = { h_string, S_LODS << 8 | 1, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_LODSW] = { h_string, S_LODS << 8 | 2, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_LODSD] = { h_string, S_LODS << 8 | 4, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_LODSQ] = { h_string, S_LODS << 8 | 8, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_CLFLUSH] = { h_nop, 0, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_CLFLUSHOPT] = { h_nop, 0, CHECKS_ITSELF },
	[ZYDIS_MNEMONIC_CLWB] = { h_nop, 0, CHECKS_ITSELF },
	/* SSE */
	[ZYDIS_MNEMONIC_MOVD] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_MOVQ] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_MOVSS] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_MOVDQA] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVDQU] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVAPS] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVUPS] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVAPD] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVUPD] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVNTDQ] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVNTPS] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVNTPD] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVNTDQA] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_LDDQU] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_MOVLPS] = { h_vhalf, 0, 0 },
	[ZYDIS_MNEMONIC_MOVLPD] = { h_vhalf, 0, 0 },
	[ZYDIS_MNEMONIC_MOVHPS] = { h_vhalf, 8, 0 },
	[ZYDIS_MNEMONIC_MOVHPD] = { h_vhalf, 8, 0 },
	/* AVX (VEX; EVEX forms are refused before the table) */
	[ZYDIS_MNEMONIC_VMOVD] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_VMOVQ] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_VMOVSS] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_VMOVSD] = { h_vmov, 0, 0 },
	[ZYDIS_MNEMONIC_VMOVDQA] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVDQU] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVAPS] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVUPS] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVAPD] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVUPD] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVNTDQ] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVNTPS] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVNTPD] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVNTDQA] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VLDDQU] = { h_vmov, 1, 0 },
	[ZYDIS_MNEMONIC_VMOVLPS] = { h_vhalf, 0, 0 },
	[ZYDIS_MNEMONIC_VMOVLPD] = { h_vhalf, 0, 0 },
	[ZYDIS_MNEMONIC_VMOVHPS] = { h_vhalf, 8, 0 },
	[ZYDIS_MNEMONIC_VMOVHPD] = { h_vhalf, 8, 0 },
};

/* Whether an explicit memory operand covers the faulting address. */
static bool explains_fault(const struct trap *t)
{
	for (unsigned i = 0; i < t->in.operand_count; i++) {
		const ZydisDecodedOperand *o = &t->op[i];
		uintptr_t ea;

		if (o->type == ZYDIS_OPERAND_TYPE_MEMORY && ea_of(t, o, &ea) &&
		    t->fault - ea < (uintptr_t)(o->size ? o->size / 8 : 1))
			return true;
	}
	return false;
}

static const char *const why_text[] = {
	[UNSUPPORTED] = "instruction not served",
	[FAULTED] = "it also touches memory that faults",
	[MISMATCH] = "the instruction does not access that address",
};

/* One line on standard error saying why a fault at a trapped address was
 * passed on. decoded: t->in is valid. */
static __attribute__((noinline, cold)) void
report(const struct trap *t, bool decoded, const uint8_t *code, size_t ncode,
       const char *why)
{
	struct msg m;
	char text[160];

	msg_start(&m);
	msg_str(&m, "cannot serve ");
	if (decoded &&
	    ZYAN_SUCCESS(ZydisFormatterFormatInstruction(
		    &formatter, &t->in, t->op, t->in.operand_count_visible,
		    text, sizeof(text), (uint64_t)t->gr[REG_RIP], NULL))) {
		msg_str(&m, "'");
		msg_str(&m, text);
		msg_str(&m, "'");
	} else {
		msg_str(&m, "instruction bytes");
		for (size_t i = 0; i < ncode; i++) {
			char hex[4] = { ' ', "0123456789abcdef"[code[i] >> 4],
					"0123456789abcdef"[code[i] & 15], 0 };
			msg_str(&m, hex);
		}
	}
	msg_str(&m, " at rip ");
	msg_hex(&m, (uint64_t)t->gr[REG_RIP]);
	msg_str(&m, " accessing trapped address ");
	msg_hex(&m, t->fault);
	msg_str(&m, ": ");
	msg_str(&m, why);
	msg_str(&m, "; passing SIGSEGV on");
	msg_send(&m);
}

static enum uio_trap_verdict serve(struct trap *t, ucontext_t *uc)
{
	uintptr_t rip = (uintptr_t)t->gr[REG_RIP];
	uint8_t code[ZYDIS_MAX_INSTRUCTION_LENGTH];
	size_t ncode = page_size - (rip & (page_size - 1));
	const struct handler *h;
	ZyanStatus st;
	enum res r;

	if (!hold_at(t, t->fault))
		return UIO_TRAP_PASS; /* not ours */
	/*
	 * Ours: asynchronous signals wait until it is served, as around the
	 * preload layer's commands. The callback takes the device's locks, and
	 * a program handler that issued a call there, or left by longjmp with
	 * a slot held, would deadlock. Returning from the handler restores the
	 * mask of the interrupted code; uio_trap_fault restores it before a
	 * fault is passed on.
	 */
	uio_sys_sigprocmask(SIG_BLOCK, &async_signals, NULL);
	t->blocked = true;
	if (((uint64_t)t->gr[REG_ERR] & PF_INSTR) ||
	    ((uint64_t)t->gr[REG_CSGSFS] & 0xffff) != USER_CS64) {
		report(t, false, NULL, 0, (uint64_t)t->gr[REG_ERR] & PF_INSTR
		       ? "instruction fetch from a trapped range"
		       : "not 64-bit code");
		return UIO_TRAP_PASS;
	}
	/* Read only what the code's page holds unless the decoder needs more
	 * (the next page may not exist). */
	if (ncode > sizeof(code))
		ncode = sizeof(code);
	for (;;) {
		if (uio_copy_from_user_nofail(code, (const void *)rip, ncode)) {
			report(t, false, NULL, 0, "code unreadable");
			return UIO_TRAP_PASS;
		}
		st = ZydisDecoderDecodeFull(&decoder, code, ncode, &t->in, t->op);
		if (st != ZYDIS_STATUS_NO_MORE_DATA || ncode == sizeof(code))
			break;
		ncode = sizeof(code);
	}
	if (ZYAN_FAILED(st)) {
		report(t, false, code, ncode, "undecodable");
		return UIO_TRAP_PASS;
	}
	t->next_rip = rip + t->in.length;
	h = &handlers[t->in.mnemonic];
	if ((t->in.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY && !is_vex(t)) ||
	    !h->fn) {
		r = UNSUPPORTED;
	} else if (!(h->flags & CHECKS_ITSELF) && !explains_fault(t)) {
		r = MISMATCH;
	} else {
		/* Vector state: the FXSAVE image, and the XSAVE components
		 * the frame declares (its software-reserved bytes say so), in
		 * the standard format (XCOMP_BV 0) CPUID's offsets are for. */
		t->fx = (uint8_t *)uc->uc_mcontext.fpregs;
		if (t->fx && load_le(t->fx + 464, 4) == 0x46505853 /* MAGIC1 */ &&
		    load_le(t->fx + 520, 8) == 0) {
			uint64_t xfeat = load_le(t->fx + 472, 8);
			uint32_t xsize = (uint32_t)load_le(t->fx + 480, 4);

			t->xbv = (uint64_t *)(t->fx + 512);
			if ((xfeat & 4) && xoff_ymm_hi && xoff_ymm_hi + 256 <= xsize)
				t->ymm_hi = t->fx + xoff_ymm_hi;
			if ((xfeat & 0x40) && xoff_zmm_hi && xoff_zmm_hi + 512 <= xsize)
				t->zmm_hi = t->fx + xoff_zmm_hi;
		}
		r = h->fn(t, h->arg);
	}
	switch (r) {
	case DONE:
		t->gr[REG_RIP] = (greg_t)t->next_rip;
		return UIO_TRAP_SERVED;
	case RESUME:
		return UIO_TRAP_SERVED;
	default:
		/* A bus error is the device's answer, not ours to report. */
		if (r == FAULTED && t->bus_error)
			return UIO_TRAP_BUS_ERROR;
		report(t, true, code, ncode,
		       t->refused ? "the range refused the access (EFAULT)"
				  : why_text[r]);
		return UIO_TRAP_PASS;
	}
}

enum uio_trap_verdict uio_trap_fault(int sig, siginfo_t *info, void *ucontext,
				     siginfo_t *bus)
{
	ucontext_t *uc = ucontext;
	struct trap t;
	int saved_errno;
	enum uio_trap_verdict v;

	/* PROT_NONE gives SEGV_ACCERR; an unmapped range is not served. */
	if (sig != SIGSEGV || !info || !uc || info->si_code != SEGV_ACCERR ||
	    !atomic_load_explicit(&nlive, memory_order_relaxed))
		return UIO_TRAP_PASS;
	saved_errno = errno;
	t.gr = uc->uc_mcontext.gregs;
	t.fx = NULL;
	t.xbv = NULL;
	t.ymm_hi = NULL;
	t.zmm_hi = NULL;
	t.fault = (uintptr_t)info->si_addr;
	t.nheld = 0;
	t.refused = false;
	t.blocked = false;
	t.bus_error = false;
	t.bus_addr = 0;
	t.fail_addr = 0;
	v = serve(&t, uc);
	while (t.nheld)
		slot_put(&t.held[--t.nheld]);
	/* The handler was entered with no mask of its own (SA_NODEFER, no
	 * sa_mask): the interrupted code's mask is the one to pass on with.
	 * (Served or a bus error: the return from the handler restores it.) */
	if (v == UIO_TRAP_PASS && t.blocked)
		uio_sys_sigprocmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
	if (v == UIO_TRAP_BUS_ERROR) {
		/* What the kernel's fault path gives for VM_FAULT_SIGBUS. */
		memset(bus, 0, sizeof(*bus));
		bus->si_signo = SIGBUS;
		bus->si_code = BUS_ADRERR;
		bus->si_addr = (void *)t.bus_addr;
	}
	errno = saved_errno;
	return v;
}

/* ------------------------------------------------------------------ */
/* the API */

int uio_trap_add(void *addr, size_t len, const struct uio_trap_ops *ops,
		 void *priv)
{
	uintptr_t start = (uintptr_t)addr, end = start + len;
	int rc;

	pthread_once(&setup_once, setup);
	if (setup_err)
		return setup_err;
	if (!ops || !ops->access || !len || end < start ||
	    (start | len) & (page_size - 1))
		return -EINVAL;
	rc = uio_uaccess_ensure();
	if (rc)
		return rc;
	pthread_mutex_lock(&table_lock);
	rc = 0;
	for (unsigned i = 0; i < atomic_load(&hiwater); i++) {
		struct slot *s = &slots[i];

		if (atomic_load(&s->state) == SLOT_LIVE &&
		    atomic_load(&s->start) < end && start < atomic_load(&s->end))
			rc = -EEXIST;
	}
	if (!rc) {
		struct slot *s = slot_alloc();
		struct piece p = { start, end, 0, ops, priv, ++next_origin };

		if (s)
			slot_publish(s, &p);
		else
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&table_lock);
	uio_debug(UIO_DEBUG_MMIO, "trap [%p, %p) added: %s", addr, (void *)end, rc ? strerror(-rc) : "served");
	return rc;
}

/* The release callbacks this call (token) owes, outside the table lock. */
static void run_releases(uintptr_t token)
{
	for (;;) {
		const struct uio_trap_ops *ops = NULL;
		void *priv = NULL;

		pthread_mutex_lock(&table_lock);
		for (unsigned i = 0; i < atomic_load(&hiwater) && !ops; i++) {
			struct slot *s = &slots[i];

			if (atomic_load(&s->state) != SLOT_RELEASING ||
			    s->releaser != token)
				continue;
			ops = atomic_load(&s->ops);
			priv = atomic_load(&s->priv);
			atomic_store(&s->state, SLOT_FREE);
		}
		table_shrink();
		pthread_mutex_unlock(&table_lock);
		if (!ops)
			return;
		ops->release(priv);
	}
}

/*
 * Stop serving [a, b) (page aligned): what lies inside goes, partial
 * overlaps keep their pieces outside it. With move, the part of the one
 * range that holds [a, b) is served at to instead (same offsets). Under
 * table_lock; token tags the releases owed. -ENOENT: move found no range
 * holding [a, b).
 */
static int change(uintptr_t a, uintptr_t b, bool move, uintptr_t to,
		  uintptr_t token)
{
	struct piece pend[3];
	unsigned npend = 0;
	bool found = false;

	atomic_fetch_add(&table_gen, 1); /* odd: ranges are moving */
	for (unsigned i = 0; i < atomic_load(&hiwater); i++) {
		struct slot *s = &slots[i];
		struct piece keep[3], p;
		unsigned nkeep = 0;

		if (atomic_load(&s->state) != SLOT_LIVE)
			continue;
		p = slot_piece(s);
		if (p.end <= a || p.start >= b)
			continue;
		if (move && (p.start > a || p.end < b))
			continue;
		if (p.start < a)
			keep[nkeep++] = (struct piece){ p.start, a, p.base, p.ops,
							p.priv, p.origin };
		if (b < p.end)
			keep[nkeep++] = (struct piece){ b, p.end, p.base + (b - p.start),
							p.ops, p.priv, p.origin };
		if (move)
			keep[nkeep++] = (struct piece){ to, to + (b - a),
							p.base + (a - p.start),
							p.ops, p.priv, p.origin };
		found = true;
		for (unsigned k = 0; k < nkeep; k++) {
			struct slot *n = slot_alloc();

			/* Published before the old slot goes, so a lookup
			 * never misses the pieces kept. */
			if (n)
				slot_publish(n, &keep[k]);
			else if (npend < 3)
				pend[npend++] = keep[k];
		}
		atomic_store(&s->state, SLOT_DEAD);
		atomic_fetch_sub(&nlive, 1);
		uio_debug(UIO_DEBUG_MMIO, "trap [%p, %p) %s, %u pieces kept", (void *)p.start, (void *)p.end, move ? "moved" : "removed", nkeep);
		if (move)
			break;
	}
	/* Table full: the pieces wait for a retired slot, and table_gen
	 * stays odd until then so lookups of them retry instead of missing. */
	if (!npend)
		atomic_fetch_add(&table_gen, 1);
	for (unsigned i = 0; i < atomic_load(&hiwater); i++)
		if (atomic_load(&slots[i].state) == SLOT_DEAD)
			slot_retire(&slots[i], token, pend, npend);
	for (unsigned k = 0; k < npend; k++) {
		struct slot *n = slot_alloc();
		struct msg m;

		if (n) {
			slot_publish(n, &pend[k]);
			continue;
		}
		/* Only when a split finds all 1024 slots taken (the piece's
		 * release, if it was the last, is lost with it). */
		msg_start(&m);
		msg_str(&m, "range table full: no longer serving ");
		msg_hex(&m, pend[k].start);
		msg_str(&m, "-");
		msg_hex(&m, pend[k].end);
		msg_send(&m);
	}
	if (npend)
		atomic_fetch_add(&table_gen, 1);
	table_shrink();
	return move && !found ? -ENOENT : 0;
}

/* [addr, addr + len) rounded out to pages; false if empty. */
static bool page_range(const void *addr, size_t len, uintptr_t *a, uintptr_t *b)
{
	if (!len)
		return false;
	*a = (uintptr_t)addr & ~(page_size - 1);
	*b = (uintptr_t)addr + len;
	*b = *b < (uintptr_t)addr ? UINTPTR_MAX : ((*b + page_size - 1) & ~(page_size - 1));
	if (!*b)
		*b = UINTPTR_MAX;
	return true;
}

void uio_trap_remove(void *addr, size_t len)
{
	uintptr_t a, b, token = (uintptr_t)&a;

	if (!atomic_load(&hiwater) || !page_range(addr, len, &a, &b))
		return;
	pthread_mutex_lock(&table_lock);
	change(a, b, false, 0, token);
	pthread_mutex_unlock(&table_lock);
	run_releases(token);
}

int uio_trap_covers(const void *addr, size_t len)
{
	uintptr_t a, b, covered = 0;
	int rc = 0;

	if (!atomic_load(&hiwater) || !page_range(addr, len ? len : 1, &a, &b))
		return 0;
	pthread_mutex_lock(&table_lock);
	for (unsigned i = 0; i < atomic_load(&hiwater); i++) {
		struct slot *s = &slots[i];
		uintptr_t start, end;

		if (atomic_load(&s->state) != SLOT_LIVE)
			continue;
		start = atomic_load(&s->start);
		end = atomic_load(&s->end);
		if (end <= a || start >= b)
			continue;
		rc = -1;
		if (start <= a && b <= end)
			covered = 1;
	}
	pthread_mutex_unlock(&table_lock);
	return covered ? 1 : rc;
}

/* The real system calls (the preload wraps the libc ones). */
static long sys_mremap(uintptr_t old, size_t old_len, size_t new_len,
		       int flags, uintptr_t new_addr)
{
	return UIO_SYS(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

long uio_trap_mremap(void *old_addr, size_t old_len, size_t new_len,
		     int flags, void *new_addr, bool *handled)
{
	const int known = MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP;
	uintptr_t addr = (uintptr_t)old_addr, to = (uintptr_t)new_addr, end;
	uintptr_t token = (uintptr_t)&addr;
	long rc;

	*handled = false;
	if (!uio_trap_covers(old_addr, old_len ? old_len : 1))
		return 0;
	*handled = true;
	/* The system call's own checks, in its order. */
	if ((flags & ~known) || ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
	    ((flags & MREMAP_DONTUNMAP) &&
	     (!(flags & MREMAP_MAYMOVE) || old_len != new_len)) ||
	    (addr & (page_size - 1)))
		return -EINVAL;
	old_len = (old_len + page_size - 1) & ~(page_size - 1);
	new_len = (new_len + page_size - 1) & ~(page_size - 1);
	if (!new_len)
		return -EINVAL;
	/*
	 * A trapped range is a mapping of its own (a BAR's: VM_PFNMAP |
	 * VM_DONTEXPAND): end is where the one holding addr ends (addr if
	 * none does: the range then runs into one from another mapping).
	 */
	pthread_mutex_lock(&table_lock);
	end = addr;
	for (unsigned i = 0; i < atomic_load(&hiwater); i++)
		if (atomic_load(&slots[i].state) == SLOT_LIVE &&
		    atomic_load(&slots[i].start) <= addr &&
		    addr < atomic_load(&slots[i].end))
			end = atomic_load(&slots[i].end);
	pthread_mutex_unlock(&table_lock);
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		/* mremap_to() */
		if ((to & (page_size - 1)) ||
		    (addr + old_len > to && to + new_len > addr))
			return -EINVAL;
		if (flags & MREMAP_FIXED) {
			uio_trap_remove(new_addr, new_len);
			rc = UIO_SYS(SYS_munmap, to, new_len);
			if (rc)
				return rc;
		}
		if (old_len > new_len) {
			uio_trap_remove((void *)(addr + new_len), old_len - new_len);
			rc = UIO_SYS(SYS_munmap, addr + new_len, old_len - new_len);
			if (rc)
				return rc;
			old_len = new_len;
		}
		/* vma_to_resize() */
		if (flags & MREMAP_DONTUNMAP)
			return -EINVAL;
		if (old_len > end - addr || new_len > old_len)
			return -EFAULT;
		rc = sys_mremap(addr, old_len, new_len, flags & ~MREMAP_DONTUNMAP, to);
		if (rc < 0)
			return rc;
		pthread_mutex_lock(&table_lock);
		change(addr, addr + new_len, true, (uintptr_t)rc, token);
		pthread_mutex_unlock(&table_lock);
		run_releases(token);
		return rc;
	}
	/* A shrink unmaps the tail; a growth is refused (vma_to_resize). */
	if (old_len >= new_len) {
		if (old_len == new_len)
			return (long)addr;
		uio_trap_remove((void *)(addr + new_len), old_len - new_len);
		return sys_mremap(addr, old_len, new_len, 0, 0);
	}
	return -EFAULT;
}

void uio_trap_set_trace(uio_trap_trace_fn *fn)
{
	atomic_store_explicit(&trace_fn, fn, memory_order_release);
}
