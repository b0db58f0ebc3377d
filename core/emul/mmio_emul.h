/* SPDX-License-Identifier: BSD-2-Clause */
/* Emulation of one guest instruction that faulted on an emulated MMIO page
 * (SVM #NPF / VMX EPT violation on an MMIO hole).
 *
 * The hardware tells us only the guest-physical address (QEMU TCG has no SVM
 * decode assists), so emul_mmio():
 *  1. fetches up to 15 bytes at guest-linear CS.base+RIP through the guest
 *     page tables (guest_walk.h), page by page, within the CS limit;
 *  2. decodes them (insn.h; anything not listed there is refused);
 *  3. computes the memory operand's linear address (segment base, limit and
 *     type checks outside 64-bit mode), translates it and insists that it
 *     equals the faulting GPA (a mismatch means the guest changed its code
 *     or page tables under us: nothing is emulated);
 *  4. performs the access through the mmio_read/mmio_write callbacks,
 *     writes back registers (8/16-bit writes merge, 32-bit writes
 *     zero-extend to 64, AH/CH/DH/BH without REX), updates the arithmetic
 *     flags exactly as the SDM defines them, and advances RIP.
 *
 * REP STOS/LODS/MOVS: up to EMUL_REP_BATCH iterations are done per call;
 * RCX/RSI/RDI are updated as the CPU would after those iterations, and RIP
 * advances only once RCX reaches 0. Otherwise RIP stays on the instruction
 * (ctx->rep_pending), so the guest re-executes it: interrupts are taken
 * between batches and the next MMIO iteration exits again. An iteration
 * whose operand cannot be translated ends the batch early without error
 * (the CPU re-executes it and raises the fault itself). Each iteration's
 * addresses are translated on their own: a side that lies wholly in guest
 * RAM is accessed through gmem, any other through the callbacks. The RAM
 * side of MOVS may straddle a page boundary; an MMIO access may not.
 *
 * With RFLAGS.TF set a REP does one iteration per call, since each
 * iteration is single-stepped; the caller (core/exits.c) raises the
 * single-step #DB and clears RF once the instruction or the iteration is
 * done (core/exc_reflect.h). Not modelled: LOCK'd accesses are emulated as
 * a read then a write (device models serialise their own state).
 *
 * Pure code; every failure logs exactly one pr_warn line
 * "[name] mmio-emul: ..." with RIP, GPA and the instruction bytes. */
#ifndef BULKHEAD_CORE_EMUL_MMIO_EMUL_H
#define BULKHEAD_CORE_EMUL_MMIO_EMUL_H

#include "core/emul/guest_walk.h"
#include "core/emul/insn.h"
#include "core/gmem.h"
#include "core/types.h"
#include "core/vcpu.h"

/* RFLAGS bits (SDM Vol. 1 §3.4.3). */
#define EMUL_RFLAGS_CF BIT(0)
#define EMUL_RFLAGS_PF BIT(2)
#define EMUL_RFLAGS_AF BIT(4)
#define EMUL_RFLAGS_ZF BIT(6)
#define EMUL_RFLAGS_SF BIT(7)
#define EMUL_RFLAGS_TF BIT(8)
#define EMUL_RFLAGS_DF BIT(10)
#define EMUL_RFLAGS_OF BIT(11)
#define EMUL_RFLAGS_ARITH                                                                     \
	(EMUL_RFLAGS_CF | EMUL_RFLAGS_PF | EMUL_RFLAGS_AF | EMUL_RFLAGS_ZF | EMUL_RFLAGS_SF | \
	 EMUL_RFLAGS_OF)

/* String iterations per call: bounds the time one exit spends (4096 = a page
 * of REP STOSB); the rest continue when the guest re-executes. */
#define EMUL_REP_BATCH 4096

/* Device access for a guest-physical address; size 1, 2, 4 or 8. Return 0 on
 * success, <0 if nothing answers or the device refuses. */
typedef int (*emul_mmio_read_fn)(void *opaque, uint64_t gpa, unsigned int size, uint64_t *val);
typedef int (*emul_mmio_write_fn)(void *opaque, uint64_t gpa, unsigned int size, uint64_t val);

/* What the hardware said the faulting access was (SVM EXITINFO1 bit 1, VMX
 * qualification bit 1); UNKNOWN skips the cross-check. */
enum emul_access {
	EMUL_ACCESS_UNKNOWN = 0,
	EMUL_ACCESS_READ,
	EMUL_ACCESS_WRITE,
};

enum emul_result {
	EMUL_OK = 0,
	EMUL_E_FETCH = -1,       /* instruction bytes not fetchable (see fault) */
	EMUL_E_DECODE = -2,      /* longer than 15 bytes */
	EMUL_E_UNSUPPORTED = -3, /* not an instruction we emulate (insn.why) */
	EMUL_E_MISMATCH = -4,    /* operand is not the faulting GPA / access kind */
	EMUL_E_FAULT = -5,       /* the operand's translation faults (see fault) */
	EMUL_E_TABLE = -6,       /* a guest page-table entry lies outside RAM */
	EMUL_E_SPLIT = -7,       /* MMIO access straddles a page boundary */
	EMUL_E_MMIO = -8,        /* a device callback failed */
};

/* An exception the guest would have taken (for logs, or to inject). */
struct emul_fault {
	bool valid;
	uint8_t vector; /* EXC_PF, EXC_GP, EXC_SS */
	bool has_error;
	uint32_t error;
	uint64_t cr2; /* #PF: faulting linear address */
};

struct emul_ctx {
	/* Set by the caller. */
	uint64_t *gpr; /* GPR_COUNT registers, enum gpr order */
	uint64_t *rip;
	uint64_t *rflags;
	const struct vcpu_sregs *sregs; /* CR0/3/4, EFER and segments */
	const struct gmem *mem;
	emul_mmio_read_fn mmio_read;
	emul_mmio_write_fn mmio_write;
	void *opaque;       /* passed to the callbacks */
	const char *name;   /* partition name for log lines (NULL ok) */
	uint8_t maxphyaddr; /* guest MAXPHYADDR; 0 = 52 */

	/* Results of the last call. */
	struct insn insn;            /* decoded instruction; insn.len = length */
	uint8_t bytes[INSN_MAX_LEN]; /* fetched bytes (for logs) */
	uint8_t nr_bytes;
	struct emul_fault fault;
	unsigned int reps_done; /* string iterations performed */
	bool rep_pending;       /* REP not finished: RIP not advanced */
	bool probing;           /* internal: translating without A/D updates */
};

static inline void emul_ctx_init(struct emul_ctx *ctx, struct vcpu *v, const struct vcpu_sregs *s,
				 const struct gmem *mem, emul_mmio_read_fn rd, emul_mmio_write_fn wr,
				 void *opaque, const char *name, uint8_t maxphyaddr)
{
	*ctx = (struct emul_ctx){
		.gpr = v->gpr,
		.rip = &v->rip,
		.rflags = &v->rflags,
		.sregs = s,
		.mem = mem,
		.mmio_read = rd,
		.mmio_write = wr,
		.opaque = opaque,
		.name = name,
		.maxphyaddr = maxphyaddr,
	};
}

/* Emulate the instruction at CS:RIP that faulted on guest-physical gpa.
 * Returns EMUL_OK or a negative enum emul_result (one line already logged).
 * On EMUL_OK ctx->insn.len is the instruction length. On an error nothing
 * was changed (except completed REP iterations, see above). EMUL_E_FAULT,
 * EMUL_E_MISMATCH and EMUL_E_TABLE mean the guest's state no longer matches
 * what the hardware saw: the caller may re-enter the guest unchanged (the
 * CPU re-executes and faults or exits again; bound the retries) or stop the
 * partition. */
int emul_mmio(struct emul_ctx *ctx, gpa_t gpa, enum emul_access acc);

/* Fetch and decode the instruction at CS:RIP without executing it, e.g. for
 * the instruction length of another exit (SVM without NRIP): the exiting
 * instructions listed in insn.h decode as INSN_KIND_SYSTEM. Returns EMUL_OK,
 * EMUL_E_FETCH, EMUL_E_DECODE or EMUL_E_UNSUPPORTED; logs nothing. Only
 * needs sregs, rip, rflags, gpr and mem in ctx (callbacks may be NULL). */
int emul_decode_at_rip(struct emul_ctx *ctx);

/* Fetch and decode the instruction at CS:RIP and translate its memory
 * operand (MOVS/STOS: the ES:rDI destination, LODS: the source) without
 * touching anything: for traces, tests and fuzzers. *write says whether the
 * instruction writes it. Returns EMUL_OK or an error as emul_mmio(); logs
 * nothing. */
int emul_operand_gpa(struct emul_ctx *ctx, gpa_t *gpa, bool *write);

/* Fetch up to 15 bytes at CS:RIP into ctx->bytes (fewer at a CS limit, an
 * untranslatable page or the end of RAM). EMUL_OK if at least one byte. */
int emul_fetch_insn(struct emul_ctx *ctx);

/* Code size of the current CS: real/virtual-8086 and CS.D=0 -> 16, CS.D=1 ->
 * 32, EFER.LMA with CS.L -> 64 (SDM Vol. 3A §5.2.1 / §2.2). */
enum insn_mode emul_insn_mode(const struct vcpu_sregs *s, uint64_t rflags);

/* LGDT/LIDT at CS:RIP (the SVM descriptor-table write intercept): fetch,
 * decode, check the CPL and read the pseudo-descriptor from guest RAM
 * through the guest's page tables into *dt; *idt says which table. Changes
 * nothing: the caller checks the base (canonical in 64-bit mode), loads it
 * and calls emul_advance_rip. EMUL_E_FAULT with ctx->fault for an
 * exception to inject; EMUL_E_UNSUPPORTED for another instruction or an
 * operand outside RAM. */
int emul_load_dtable(struct emul_ctx *ctx, struct dtable *dt, bool *idt);
/* LMSW at CS:RIP (SVM's selective CR0 write intercept, which reports no
 * operand without decode assists): fetch, decode and read its 16-bit
 * source from the register or, through the guest's page tables, from guest
 * RAM. Changes nothing. EMUL_E_FAULT with ctx->fault for an exception to
 * inject; EMUL_E_UNSUPPORTED for another instruction or an operand outside
 * RAM. */
int emul_lmsw_source(struct emul_ctx *ctx, uint16_t *src);
/* RIP past ctx->insn (the last instruction decoded). */
void emul_advance_rip(struct emul_ctx *ctx);

const char *emul_result_name(int rc);

#endif
