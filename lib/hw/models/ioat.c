// SPDX-License-Identifier: MIT
/*
 * ioat: an Intel I/OAT ("QuickData", CBDMA) DMA engine, version 3.3, with
 * one channel, as one function of a Skylake-SP CBDMA device (8086:2021).
 * Built only against the public model API.
 *
 * Sources: the register and descriptor layouts are those Linux 6.12
 * (drivers/dma/ioat/registers.h, hw.h) and DPDK 22.11
 * (drivers/dma/ioat/ioat_hw_defs.h) program; the channel states, the
 * CHAINADDR/DMACOUNT protocol and the completion write-back are what their
 * drivers (dma.c, init.c; ioat_dmadev.c) expect of the hardware; the PCI
 * side (capabilities, one MSI-X vector with its table at 8 KiB and its PBA
 * at 12 KiB of the 16 KiB CB_BAR, CHANCTRL bits) follows the Xeon
 * datasheets' CBDMA chapters and lspci of Skylake-SP parts.
 *
 * BAR0 (16 KiB, 64-bit, non-prefetchable), accesses of 1 to 8 bytes:
 *
 *   0x00  CHANCNT     u8   RO  1
 *   0x01  XFERCAP     u8   RO  20: a descriptor moves at most 1 MiB
 *   0x02  GENCTRL     u8   RW  bit 0 (debug enable), no effect
 *   0x03  INTRCTRL    u8       bit 0 master interrupt enable (RW), bit 1
 *                              interrupt status (RO: ATTNSTATUS != 0), bit 2
 *                              interrupt (RO: bit 1 and bit 0), bit 3 MSI-X
 *                              vector control (RW, no effect: one vector)
 *   0x04  ATTNSTATUS  u32  RO  bit 0: the channel raised an interrupt that
 *                              has not been re-armed (CHANCTRL bit 0)
 *   0x08  CBVER       u8   RO  0x33
 *   0x0c  INTRDELAY   u16      bits 13:0 RW (kept, interrupts are never
 *                              delayed), bit 15 RO 1 (coalescing supported)
 *   0x0e  CS_STATUS   u16  RO  0
 *   0x10  DMACAPABILITY u32 RO page break, block fill
 *   0x14  DCAOFFSET   u16  RO  0 (no DCA)
 *   0x80  CHANCTRL    u16      bit 0 interrupt disable: set by the channel
 *                              when it interrupts, a 1 written clears it
 *                              (re-arms); bit 2 error completion enable,
 *                              bit 3 any-error abort enable, bit 4 error
 *                              interrupt enable, bit 5 descriptor snoop
 *                              control, bit 9 completion DCA (RW); bit 8
 *                              in use: a read returns it and then sets it,
 *                              a write stores it
 *   0x82  DMA_COMP    u16  RO  2
 *   0x84  CHANCMD     u8       bit 2 suspend, 3 abort, 4 resume, 5 reset;
 *                              reads 0 (every command completes at once)
 *   0x86  DMACOUNT    u16  RW  the doorbell: the wrapping count of
 *                              descriptors handed to the channel since the
 *                              chain was armed
 *   0x88  CHANSTS     u64  RO  bits 63:6 the last completed descriptor's
 *                              address, bits 2:0 the state: 0 active,
 *                              1 idle, 2 suspended, 3 halted, 4 armed
 *   0x90  CHAINADDR   u64  RW  the first descriptor of the chain
 *   0x98  CHANCMP     u64  RW  where completion status is written
 *   0xa0  CDAR        u64  RO  the descriptor last fetched
 *   0xa8  CHANERR     u32  RW1C
 *   0xac  CHANERRMSK  u32  RW  a masked error is neither logged nor halts
 *                              the channel (the descriptor's failing part
 *                              is skipped); a descriptor that cannot be
 *                              fetched halts the channel all the same
 *   0xb0  DCACTRL     u32  RW  kept, no effect
 *   0x2000 MSI-X table, 0x3000 PBA: served by uiommufd, never seen here.
 * Other offsets read 0 and ignore writes.
 *
 * The channel. After a reset (power-on, CHANCMD reset) it is HALTED with
 * CHANSTS 3; a write of CHAINADDR while HALTED, SUSPENDED or ARMED arms it
 * (CHANSTS 4: no completed descriptor, the count back to 0). A write of
 * DMACOUNT while ARMED or IDLE runs descriptors until as many have
 * completed since arming as DMACOUNT says (modulo 2^16): at most 65535 per
 * doorbell, whatever the chain looks like. The first comes from CHAINADDR,
 * each next one from the previous descriptor's next field. All of it
 * happens inside the store; the channel is IDLE, or HALTED, when the store
 * returns. SUSPEND (from ACTIVE, IDLE or ARMED) holds doorbells until
 * RESUME; ABORT halts the channel; RESET takes it to its reset state
 * (CHANERR and CHANERRMSK keep their values, as error logs do).
 *
 * Descriptors: 64 bytes, 64-byte aligned: size u32 at 0, control u32 at 4
 * (bit 0 interrupt, 1 source snoop disable, 2 destination snoop disable,
 * 3 completion write, 4 fence, 5 null, 6 source page break, 7 destination
 * page break, 8 bundle, 9 destination DCA, 10 hint, 31:24 operation:
 * 0x00 copy, 0x01 block fill), source address (fill: the 8-byte pattern)
 * at 8, destination at 16, next descriptor at 24, the source and
 * destination addresses after a page break at 32 and 40. A page break
 * continues the transfer at the second address from the first 4 KiB
 * boundary of the first. Snoop, bundle, DCA and hint bits change nothing
 * here; fence is kept by construction (descriptors run one after another).
 * A size of 0 or above 2^XFERCAP is a length error, another operation a
 * control error (even with the null bit, the size must be valid).
 *
 * Completion: after a descriptor with the completion write bit, CHANSTS
 * (its address, state ACTIVE if more are due, else IDLE) is written as
 * 8 bytes to CHANCMP; after a descriptor with the interrupt bit, MSI-X
 * vector 0 is raised if INTRCTRL enables interrupts and CHANCTRL bit 0 is
 * clear (it is then set; an interrupt due while it is set is raised when
 * it is cleared).
 *
 * Errors halt the channel with CHANERR bits: a descriptor that cannot be
 * read (any uiommufd_dev_dma error: an unmapped or unreadable IOVA, a page
 * request queued, no IO page table, bus mastering off) or is misaligned:
 * CHAINADDR value (bit 4) for the one CHAINADDR names, next address (bit 2)
 * or alignment (bit 3) for one a next field names; a source that cannot
 * be read: source address (bit 0); a destination that cannot be written:
 * destination address (bit 1); a completion that cannot be written or a
 * misaligned CHANCMP: completion address (bit 12); control (bit 10);
 * length (bit 11). CHANSTS keeps the last descriptor that completed; with
 * CHANCTRL bit 2 it is written to CHANCMP with state HALTED, with bit 4 an
 * interrupt is raised. Bytes a failing transfer moved before the failure
 * stay moved, as on hardware.
 *
 * Callbacks run in signal context: no allocation, no stdio. Copies are
 * uiommufd_dev_dma_copy() calls, a run of both sides at a time; fills
 * write a pattern buffer on the stack, IOAT_BOUNCE bytes at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <uiommufd/model.h>

#define IOAT_BAR_SIZE 0x4000u
#define IOAT_MSIX_TABLE 0x2000u
#define IOAT_MSIX_PBA 0x3000u
#define IOAT_BOUNCE 2048u

/* global registers */
#define R_CHANCNT 0x00
#define R_XFERCAP 0x01
#define R_GENCTRL 0x02
#define R_INTRCTRL 0x03
#define R_ATTNSTATUS 0x04
#define R_CBVER 0x08
#define R_INTRDELAY 0x0c
#define R_CS_STATUS 0x0e
#define R_DMACAP 0x10
#define R_DCAOFFSET 0x14
/* channel 0 registers */
#define R_CHANCTRL 0x80
#define R_DMA_COMP 0x82
#define R_CHANCMD 0x84
#define R_DMACOUNT 0x86
#define R_CHANSTS 0x88
#define R_CHAINADDR 0x90
#define R_CHANCMP 0x98
#define R_CDAR 0xa0
#define R_CHANERR 0xa8
#define R_CHANERRMSK 0xac
#define R_DCACTRL 0xb0

#define XFERCAP_LOG 20u
#define CBVER_3_3 0x33u
#define GENCTRL_MASK 0x01u
#define INTRCTRL_MASTER 0x01u
#define INTRCTRL_STATUS 0x02u
#define INTRCTRL_INT 0x04u
#define INTRCTRL_MSIX_VC 0x08u
#define INTRDELAY_MASK 0x3fffu
#define INTRDELAY_COALESCE 0x8000u
#define DMACAP_PAGE_BREAK 0x01u
#define DMACAP_FILL 0x40u

#define CTRL_INT_DIS 0x0001u
#define CTRL_ERR_COMPL 0x0004u
#define CTRL_ERR_ABORT 0x0008u
#define CTRL_ERR_INT 0x0010u
#define CTRL_DESC_SNOOP 0x0020u
#define CTRL_IN_USE 0x0100u
#define CTRL_CMPWR_DCA 0x0200u
#define CTRL_RW (CTRL_ERR_COMPL | CTRL_ERR_ABORT | CTRL_ERR_INT | \
		 CTRL_DESC_SNOOP | CTRL_IN_USE | CTRL_CMPWR_DCA)
#define DMA_COMP_V2 0x0002u

#define CMD_SUSPEND 0x04u
#define CMD_ABORT 0x08u
#define CMD_RESUME 0x10u
#define CMD_RESET 0x20u

enum ioat_chan_state {
	ST_ACTIVE = 0,
	ST_IDLE = 1,
	ST_SUSPENDED = 2,
	ST_HALTED = 3,
	ST_ARMED = 4,
};
#define CHANSTS_ADDR_MASK (~(uint64_t)0x3f)

#define ERR_SRC_ADDR 0x0001u
#define ERR_DST_ADDR 0x0002u
#define ERR_NEXT_ADDR 0x0004u
#define ERR_DESC_ALIGN 0x0008u
#define ERR_CHAIN_ADDR 0x0010u
#define ERR_CONTROL 0x0400u
#define ERR_LENGTH 0x0800u
#define ERR_COMPL_ADDR 0x1000u

/* descriptor */
#define DESC_SIZE 64u
#define D_INT 0x001u
#define D_COMPL 0x008u
#define D_FENCE 0x010u
#define D_NULL 0x020u
#define D_SRC_BRK 0x040u
#define D_DST_BRK 0x080u
#define D_OP_SHIFT 24
#define OP_COPY 0x00u
#define OP_FILL 0x01u
#define BRK_PAGE 4096u

struct ioat_state {
	/* global */
	uint8_t genctrl;
	uint8_t intrctrl;
	uint16_t intrdelay;
	uint32_t attnstatus;
	/* channel 0 */
	uint16_t chanctrl;
	uint16_t dmacount;      /* DMACOUNT as last written */
	uint16_t done;          /* descriptors completed since arming */
	uint8_t state;          /* enum ioat_chan_state */
	bool started;           /* a descriptor was fetched since arming */
	bool from_chainaddr;    /* the next fetch is CHAINADDR's descriptor */
	bool irq_due;           /* an interrupt waits for CHANCTRL bit 0 */
	uint32_t chanerr;
	uint32_t chanerrmsk;
	uint32_t dcactrl;
	uint64_t completed;     /* CHANSTS bits 63:6 */
	uint64_t chainaddr;
	uint64_t chancmp;
	uint64_t cdar;
	uint64_t next;          /* address of the next descriptor to fetch */
};

/* The registers, for splitting an access into register parts. */
static const struct {
	uint16_t off;
	uint8_t size;
} ioat_regs[] = {
	{ R_CHANCNT, 1 }, { R_XFERCAP, 1 }, { R_GENCTRL, 1 },
	{ R_INTRCTRL, 1 }, { R_ATTNSTATUS, 4 }, { R_CBVER, 1 },
	{ R_INTRDELAY, 2 }, { R_CS_STATUS, 2 }, { R_DMACAP, 4 },
	{ R_DCAOFFSET, 2 },
	{ R_CHANCTRL, 2 }, { R_DMA_COMP, 2 }, { R_CHANCMD, 1 },
	{ R_DMACOUNT, 2 }, { R_CHANSTS, 8 }, { R_CHAINADDR, 8 },
	{ R_CHANCMP, 8 }, { R_CDAR, 8 }, { R_CHANERR, 4 },
	{ R_CHANERRMSK, 4 }, { R_DCACTRL, 4 },
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t chansts(const struct ioat_state *s)
{
	return (s->completed & CHANSTS_ADDR_MASK) | s->state;
}

/* ---------------------------------------------------------------- */
/* interrupts                                                        */
/* ---------------------------------------------------------------- */

static void chan_interrupt(struct uiommufd_dev *dev, struct ioat_state *s)
{
	if (!(s->intrctrl & INTRCTRL_MASTER))
		return;
	if (s->chanctrl & CTRL_INT_DIS) {
		s->irq_due = true;
		return;
	}
	s->chanctrl |= CTRL_INT_DIS;
	s->attnstatus |= 1u;
	uiommufd_dev_irq(dev, 0);
}

static void chan_rearm_interrupt(struct uiommufd_dev *dev,
				 struct ioat_state *s)
{
	s->chanctrl &= (uint16_t)~CTRL_INT_DIS;
	s->attnstatus &= ~1u;
	if (s->irq_due) {
		s->irq_due = false;
		chan_interrupt(dev, s);
	}
}

/* ---------------------------------------------------------------- */
/* the channel                                                       */
/* ---------------------------------------------------------------- */

static void chan_reset(struct ioat_state *s)
{
	s->chanctrl = 0;
	s->dmacount = 0;
	s->done = 0;
	s->state = ST_HALTED;
	s->started = false;
	s->from_chainaddr = false;
	s->irq_due = false;
	s->dcactrl = 0;
	s->completed = 0;
	s->chainaddr = 0;
	s->chancmp = 0;
	s->cdar = 0;
	s->next = 0;
	s->attnstatus &= ~1u;
}

static void chan_arm(struct ioat_state *s)
{
	s->state = ST_ARMED;
	s->completed = 0;
	s->done = 0;
	s->started = false;
	s->from_chainaddr = true;
	s->next = s->chainaddr;
}

/* Write CHANSTS with state st to CHANCMP: 0, or the error to log. */
static uint32_t write_completion(struct uiommufd_dev *dev,
				 struct ioat_state *s, uint8_t st)
{
	uint8_t b[8];

	if (s->chancmp & 7)
		return ERR_COMPL_ADDR;
	put_le64(b, (s->completed & CHANSTS_ADDR_MASK) | st);
	if (uiommufd_dev_dma(dev, s->chancmp, b, sizeof(b),
			     UIOMMUFD_DEV_DMA_WRITE))
		return ERR_COMPL_ADDR;
	return 0;
}

/*
 * Error err on the current descriptor: false if it halted the channel,
 * true if CHANERRMSK masks it (the caller goes on without the failed step).
 * fatal: the channel cannot go on even when masked (no descriptor).
 */
static bool chan_error(struct uiommufd_dev *dev, struct ioat_state *s,
		       uint32_t err, bool fatal)
{
	uint32_t logged = err & ~s->chanerrmsk;

	if (!logged && !fatal)
		return true;
	s->chanerr |= logged;
	s->state = ST_HALTED;
	if (s->chanctrl & CTRL_ERR_COMPL) {
		uint32_t e = write_completion(dev, s, ST_HALTED);

		s->chanerr |= e & ~s->chanerrmsk;
	}
	if (logged && (s->chanctrl & CTRL_ERR_INT))
		chan_interrupt(dev, s);
	return false;
}

struct xfer {
	uint64_t addr, brk_addr;   /* brk_addr: after the page break */
	uint64_t brk_at;           /* bytes before the break (or size) */
};

static void xfer_init(struct xfer *x, uint64_t addr, uint64_t brk_addr,
		      bool brk, uint32_t size)
{
	x->addr = addr;
	x->brk_addr = brk_addr;
	x->brk_at = size;
	if (brk) {
		uint64_t to_page = BRK_PAGE - (addr & (BRK_PAGE - 1));

		if (to_page < size)
			x->brk_at = to_page;
	}
}

/* The address of byte off, and how many bytes follow it contiguously. */
static uint64_t xfer_at(const struct xfer *x, uint64_t off, uint64_t *run)
{
	if (off < x->brk_at) {
		*run = x->brk_at - off;
		return x->addr + off;
	}
	*run = UINT64_MAX;
	return x->brk_addr + (off - x->brk_at);
}

/* Move the data of a copy or fill: 0, or the CHANERR bit of the failure. */
static uint32_t run_transfer(struct uiommufd_dev *dev, uint32_t ctl,
			     uint32_t size, const uint8_t *d)
{
	uint8_t buf[IOAT_BOUNCE + 8];
	bool fill = (ctl >> D_OP_SHIFT) == OP_FILL;
	struct xfer src, dst;

	xfer_init(&src, le64(d + 8), le64(d + 32), ctl & D_SRC_BRK, size);
	xfer_init(&dst, le64(d + 16), le64(d + 40), ctl & D_DST_BRK, size);
	if (fill) {
		uint32_t n = (size < IOAT_BOUNCE ? size : IOAT_BOUNCE) + 8;

		for (uint32_t i = 0; i < n; i++)
			buf[i] = d[8 + i % 8];
	}
	for (uint64_t off = 0; off < size;) {
		uint64_t n = size - off, run;
		uint64_t to = xfer_at(&dst, off, &run);

		if (n > run)
			n = run;
		if (!fill) {
			uint64_t from = xfer_at(&src, off, &run), bad;

			if (n > run)
				n = run;
			/* A range that wraps past 2^64 is refused, not wrapped. */
			if (n - 1 > UINT64_MAX - from)
				return ERR_SRC_ADDR;
			if (n - 1 > UINT64_MAX - to)
				return ERR_DST_ADDR;
			if (uiommufd_dev_dma_copy(dev, to, from, n, &bad))
				return bad - from < n ? ERR_SRC_ADDR :
							ERR_DST_ADDR;
			off += n;
			continue;
		}
		if (n - 1 > UINT64_MAX - to)
			return ERR_DST_ADDR;
		for (uint64_t end = off + n; off < end;) {
			uint64_t k = end - off < IOAT_BOUNCE ? end - off : IOAT_BOUNCE;

			if (uiommufd_dev_dma(dev, to, buf + off % 8, k,
					     UIOMMUFD_DEV_DMA_WRITE))
				return ERR_DST_ADDR;
			to += k;
			off += k;
		}
	}
	return 0;
}

/* Fetch and run one descriptor: false if the channel halted. */
static bool chan_step(struct uiommufd_dev *dev, struct ioat_state *s)
{
	uint8_t d[DESC_SIZE];
	uint64_t addr = s->next;
	uint32_t size, ctl, op, err = 0;

	s->started = true;
	if (addr & (DESC_SIZE - 1))
		return chan_error(dev, s, s->from_chainaddr ? ERR_CHAIN_ADDR :
				  ERR_DESC_ALIGN, true);
	if (uiommufd_dev_dma(dev, addr, d, sizeof(d), 0))
		return chan_error(dev, s, s->from_chainaddr ? ERR_CHAIN_ADDR :
				  ERR_NEXT_ADDR, true);
	s->cdar = addr;
	size = le32(d);
	ctl = le32(d + 4);
	op = ctl >> D_OP_SHIFT;
	if (!(ctl & D_NULL) && op != OP_COPY && op != OP_FILL)
		err = ERR_CONTROL;
	else if (size == 0 || size > (1u << XFERCAP_LOG))
		err = ERR_LENGTH;
	else if (!(ctl & D_NULL))
		err = run_transfer(dev, ctl, size, d);
	if (err && !chan_error(dev, s, err, false))
		return false;

	/* D_FENCE: descriptors never overlap here, so it always holds. */
	if (ctl & D_COMPL) {
		uint64_t before = s->completed;
		uint16_t done = (uint16_t)(s->done + 1);

		s->completed = addr;
		err = write_completion(dev, s, done == s->dmacount ?
				       ST_IDLE : ST_ACTIVE);
		/* Unless masked, a failed write-back leaves it uncompleted. */
		if (err) {
			s->completed = before;
			if (!chan_error(dev, s, err, false))
				return false;
		}
	}
	s->completed = addr;
	s->done++;
	s->next = le64(d + 24);
	s->from_chainaddr = false;
	if (ctl & D_INT)
		chan_interrupt(dev, s);
	return true;
}

/* Run what the doorbell asks for, if the channel may run. */
static void chan_run(struct uiommufd_dev *dev, struct ioat_state *s)
{
	uint16_t n = (uint16_t)(s->dmacount - s->done);

	if ((s->state != ST_ARMED && s->state != ST_IDLE) || n == 0)
		return;
	s->state = ST_ACTIVE;
	while (n--)
		if (!chan_step(dev, s))
			return;
	s->state = ST_IDLE;
}

static void chan_command(struct uiommufd_dev *dev, struct ioat_state *s,
			 uint8_t cmd)
{
	if (cmd & CMD_RESET) {
		chan_reset(s);
	} else if (cmd & CMD_ABORT) {
		s->state = ST_HALTED;
	} else if (cmd & CMD_SUSPEND) {
		if (s->state != ST_HALTED)
			s->state = ST_SUSPENDED;
	} else if (cmd & CMD_RESUME) {
		if (s->state == ST_SUSPENDED) {
			s->state = s->started ? ST_IDLE : ST_ARMED;
			chan_run(dev, s);
		}
	}
}

/* ---------------------------------------------------------------- */
/* registers                                                         */
/* ---------------------------------------------------------------- */

static uint64_t reg_read(struct ioat_state *s, unsigned int off)
{
	switch (off) {
	case R_CHANCNT:
		return 1;
	case R_XFERCAP:
		return XFERCAP_LOG;
	case R_GENCTRL:
		return s->genctrl;
	case R_INTRCTRL: {
		uint8_t v = s->intrctrl;

		if (s->attnstatus) {
			v |= INTRCTRL_STATUS;
			if (v & INTRCTRL_MASTER)
				v |= INTRCTRL_INT;
		}
		return v;
	}
	case R_ATTNSTATUS:
		return s->attnstatus;
	case R_CBVER:
		return CBVER_3_3;
	case R_INTRDELAY:
		return s->intrdelay | INTRDELAY_COALESCE;
	case R_DMACAP:
		return DMACAP_PAGE_BREAK | DMACAP_FILL;
	case R_CHANCTRL: {
		uint16_t v = s->chanctrl;

		/* The first read after in-use was cleared claims the channel. */
		s->chanctrl |= CTRL_IN_USE;
		return v;
	}
	case R_DMA_COMP:
		return DMA_COMP_V2;
	case R_DMACOUNT:
		return s->dmacount;
	case R_CHANSTS:
		return chansts(s);
	case R_CHAINADDR:
		return s->chainaddr;
	case R_CHANCMP:
		return s->chancmp;
	case R_CDAR:
		return s->cdar;
	case R_CHANERR:
		return s->chanerr;
	case R_CHANERRMSK:
		return s->chanerrmsk;
	case R_DCACTRL:
		return s->dcactrl;
	default: /* CS_STATUS, DCAOFFSET, CHANCMD */
		return 0;
	}
}

static uint64_t merge(uint64_t old, uint64_t val, uint64_t mask)
{
	return (old & ~mask) | (val & mask);
}

/* A write of the bytes of register off that mask selects. */
static void reg_write(struct uiommufd_dev *dev, struct ioat_state *s,
		      unsigned int off, uint64_t val, uint64_t mask)
{
	switch (off) {
	case R_GENCTRL:
		s->genctrl = (uint8_t)(val & GENCTRL_MASK);
		break;
	case R_INTRCTRL:
		s->intrctrl = (uint8_t)(val & (INTRCTRL_MASTER |
					       INTRCTRL_MSIX_VC));
		break;
	case R_INTRDELAY:
		s->intrdelay = (uint16_t)(merge(s->intrdelay, val, mask) &
					  INTRDELAY_MASK);
		break;
	case R_CHANCTRL:
		s->chanctrl = (uint16_t)((s->chanctrl & ~(mask & CTRL_RW)) |
					 (val & mask & CTRL_RW));
		if (val & mask & CTRL_INT_DIS)
			chan_rearm_interrupt(dev, s);
		break;
	case R_CHANCMD:
		chan_command(dev, s, (uint8_t)val);
		break;
	case R_DMACOUNT:
		s->dmacount = (uint16_t)merge(s->dmacount, val, mask);
		chan_run(dev, s);
		break;
	case R_CHAINADDR:
		s->chainaddr = merge(s->chainaddr, val, mask);
		if (s->state == ST_HALTED || s->state == ST_SUSPENDED ||
		    s->state == ST_ARMED)
			chan_arm(s);
		break;
	case R_CHANCMP:
		s->chancmp = merge(s->chancmp, val, mask);
		break;
	case R_CHANERR:
		s->chanerr &= ~(uint32_t)(val & mask);
		break;
	case R_CHANERRMSK:
		s->chanerrmsk = (uint32_t)merge(s->chanerrmsk, val, mask);
		break;
	case R_DCACTRL:
		s->dcactrl = (uint32_t)merge(s->dcactrl, val, mask);
		break;
	default: /* read-only */
		break;
	}
}

static uint64_t ioat_bar_read(struct uiommufd_dev *dev, void *state,
			      unsigned int bar, uint64_t off,
			      unsigned int width)
{
	struct ioat_state *s = state;
	uint64_t v = 0;

	(void)dev;
	if (bar != 0 || width == 0 || width > 8 || off >= IOAT_BAR_SIZE ||
	    width > IOAT_BAR_SIZE - off)
		return 0;
	for (size_t i = 0; i < sizeof(ioat_regs) / sizeof(ioat_regs[0]); i++) {
		uint64_t r = ioat_regs[i].off, end = r + ioat_regs[i].size;
		uint64_t lo = off > r ? off : r;
		uint64_t hi = off + width < end ? off + width : end;
		uint64_t rv;

		if (lo >= hi)
			continue;
		rv = reg_read(s, (unsigned int)r);
		for (uint64_t b = lo; b < hi; b++)
			v |= ((rv >> (8 * (b - r))) & 0xff) << (8 * (b - off));
	}
	return v;
}

static void ioat_bar_write(struct uiommufd_dev *dev, void *state,
			   unsigned int bar, uint64_t off, unsigned int width,
			   uint64_t value)
{
	struct ioat_state *s = state;

	if (bar != 0 || width == 0 || width > 8 || off >= IOAT_BAR_SIZE ||
	    width > IOAT_BAR_SIZE - off)
		return;
	for (size_t i = 0; i < sizeof(ioat_regs) / sizeof(ioat_regs[0]); i++) {
		uint64_t r = ioat_regs[i].off, end = r + ioat_regs[i].size;
		uint64_t lo = off > r ? off : r;
		uint64_t hi = off + width < end ? off + width : end;
		uint64_t val = 0, mask = 0;

		if (lo >= hi)
			continue;
		for (uint64_t b = lo; b < hi; b++) {
			val |= ((value >> (8 * (b - off))) & 0xff) << (8 * (b - r));
			mask |= (uint64_t)0xff << (8 * (b - r));
		}
		reg_write(dev, s, (unsigned int)r, val, mask);
	}
}

static void ioat_reset(struct uiommufd_dev *dev, void *state)
{
	struct ioat_state *s = state;

	(void)dev;
	memset(s, 0, sizeof(*s));
	chan_reset(s);
}

const struct uiommufd_model uio_model_ioat = {
	.abi_version = UIOMMUFD_MODEL_ABI_VERSION,
	.name = "ioat",
	.vendor_id = 0x8086,
	.device_id = 0x2021,           /* Sky Lake-E CBDMA Registers */
	.subsystem_vendor_id = 0x8086,
	.subsystem_id = 0x0000,
	.class_code = 0x088000,        /* system peripheral, other */
	.revision = 0x04,
	.intx_pin = 1,
	/* lspci of Skylake-SP: MSI-X at 0x80, PCIe (RCiEP) at 0x90, PM at 0xe0 */
	.caps = UIOMMUFD_CAP_PCIE | UIOMMUFD_CAP_MSIX | UIOMMUFD_CAP_PM,
	.msix_vectors = 1,
	.msix_table_bar = 0,
	.msix_pba_bar = 0,
	.msix_table_offset = IOAT_MSIX_TABLE,
	.msix_pba_offset = IOAT_MSIX_PBA,
	.bars = {
		[0] = { .size = IOAT_BAR_SIZE, .flags = UIOMMUFD_BAR_MEM64,
			.min_access = 1, .max_access = 8 },
	},
	.state_size = sizeof(struct ioat_state),
	.reset = ioat_reset,
	.bar_read = ioat_bar_read,
	.bar_write = ioat_bar_write,
};
