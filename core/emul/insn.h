/* SPDX-License-Identifier: BSD-2-Clause */
/* A small, strict x86 instruction decoder for the instructions guests use on
 * emulated MMIO (Linux readb..q/writeb..q, memcpy_toio/memset_io, APIC,
 * IOAPIC and virtio-pci drivers, the test guests).
 *
 * Supported (memory operand forms only; a register-only ModRM is refused):
 *   MOV 88 89 8A 8B, C6 /0, C7 /0, A0-A3 (moffs)
 *   MOVZX 0F B6/B7, MOVSX 0F BE/BF, MOVSXD 63 (64-bit mode, no 66)
 *   ADD OR ADC SBB AND SUB XOR CMP: 00-03 08-0B 10-13 18-1B 20-23 28-2B 30-33
 *     38-3B, and the 80/81/83 immediate groups (82 is refused)
 *   TEST 84 85, F6 /0, F7 /0;  XCHG 86 87;  BT 0F A3, 0F BA /4
 *   STOS AA AB, LODS AC AD, MOVS A4 A5, each optionally with REP (F3)
 * Prefixes: 66, 67, F3 (string ops only), F0 (read-modify-write forms
 * only, as the SDM's LOCK rules), 2E 36 3E 26 64 65, REX 40-4F in 64-bit
 * mode (only directly before the opcode, SDM Vol. 2A §2.2.1).
 * For instruction lengths only (SVM without next-RIP save), the instructions
 * that cause other exits decode as INSN_KIND_SYSTEM: CPUID, RDMSR, WRMSR,
 * RDTSC, RDTSCP, RDPMC, INVD, WBINVD, HLT, PAUSE, VMCALL, VMMCALL, XSETBV,
 * MONITOR, MWAIT, IN/OUT (E4-E7, EC-EF), INS/OUTS (6C-6F, REP allowed),
 * MOV to/from CRn (0F 20/22), CLTS, INVLPG; they are never emulated here.
 * LGDT and LIDT (0F 01 /2, /3, memory forms) decode as INSN_KIND_DTABLE for
 * the descriptor-table write intercept (emul_load_dtable), never for MMIO.
 * Everything else is INSN_UNSUPPORTED with a reason: never guessed.
 *
 * The decoder reads at most min(avail, 15) bytes of the buffer it is given
 * (SDM Vol. 2A §2.1: longer instructions raise #GP). Pure code. */
#ifndef BULKHEAD_CORE_EMUL_INSN_H
#define BULKHEAD_CORE_EMUL_INSN_H

#include "core/types.h"

#define INSN_MAX_LEN 15

/* Code-segment size: the default operand and address size in bytes. */
enum insn_mode {
	INSN_MODE_16 = 2, /* real, virtual-8086, or CS.D=0 */
	INSN_MODE_32 = 4, /* CS.D=1 */
	INSN_MODE_64 = 8, /* EFER.LMA and CS.L */
};

enum insn_status {
	INSN_OK = 0,
	INSN_TRUNCATED,   /* the buffer ended before the instruction did */
	INSN_TOO_LONG,    /* more than 15 bytes: the CPU would raise #GP */
	INSN_UNSUPPORTED, /* valid or not, we do not emulate it: see insn.why */
};

enum insn_kind {
	INSN_KIND_NONE = 0,
	INSN_KIND_MOV,    /* memory <-> register, or immediate -> memory */
	INSN_KIND_MOVZX,  /* register <- zero-extended memory */
	INSN_KIND_MOVSX,  /* register <- sign-extended memory (MOVSX, MOVSXD) */
	INSN_KIND_ALU,    /* insn.alu on (first, second); result to first unless CMP */
	INSN_KIND_TEST,   /* AND without write-back */
	INSN_KIND_XCHG,   /* swap memory and register (implicitly locked) */
	INSN_KIND_BT,     /* CF <- bit of memory */
	INSN_KIND_STOS,   /* ES:[rDI] <- rAX */
	INSN_KIND_LODS,   /* rAX <- seg:[rSI] */
	INSN_KIND_MOVS,   /* ES:[rDI] <- seg:[rSI] */
	INSN_KIND_SYSTEM, /* an exiting instruction, decoded for its length only */
	INSN_KIND_DTABLE, /* LGDT/LIDT: insn_dtable_is_idt() tells which */
};

/* In the order of the ModRM reg field of opcodes 80-83, which is also bits
 * 5:3 of opcodes 00-3B (SDM Vol. 2A Table A-6). */
enum insn_alu {
	INSN_ALU_ADD,
	INSN_ALU_OR,
	INSN_ALU_ADC,
	INSN_ALU_SBB,
	INSN_ALU_AND,
	INSN_ALU_SUB,
	INSN_ALU_XOR,
	INSN_ALU_CMP,
};

#define INSN_REG_NONE 0xff

/* A decoded instruction. Memory operand: seg:[base + index*scale + disp]
 * truncated to addr_size, or [next RIP + disp] when rip_rel. String
 * instructions have no ModRM: they use rSI/rDI/rCX per addr_size. */
struct insn {
	uint8_t len;  /* total bytes, prefixes included */
	uint8_t mode; /* enum insn_mode it was decoded for */
	enum insn_kind kind;
	enum insn_alu alu; /* INSN_KIND_ALU only */
	uint8_t opcode;    /* primary opcode byte (second byte if two_byte) */
	bool two_byte;     /* 0F escape */

	uint8_t op_size;   /* 1, 2, 4, 8: width of the operation/register */
	uint8_t mem_size;  /* width of the memory access (MOVZX/MOVSX source) */
	uint8_t addr_size; /* 2, 4, 8 */

	/* Prefixes. */
	bool rep; /* F3 on a string instruction */
	bool lock;
	bool opsize_prefix, addrsize_prefix;
	uint8_t rex; /* 0 if none, else 0x40-0x4f */
	uint8_t seg; /* enum seg of the memory operand (MOVS/LODS: source) */
	bool seg_override;

	/* Memory operand (ModRM/SIB/disp or moffs). */
	uint8_t base;  /* GPR number or INSN_REG_NONE */
	uint8_t index; /* GPR number or INSN_REG_NONE */
	uint8_t scale; /* 1, 2, 4, 8 */
	int64_t disp;  /* sign-extended (moffs: zero-extended) */
	bool rip_rel;
	bool has_modrm;
	uint8_t modrm; /* the raw ModRM byte, if has_modrm */

	/* The other operand. */
	bool has_imm;   /* immediate instead of a register */
	uint64_t imm;   /* sign-extended to op_size, masked to it */
	uint8_t reg;    /* GPR number 0-15 (rAX for A0-A3 and string ops) */
	bool reg_high8; /* AH/CH/DH/BH: bits 15:8 of GPR reg */
	bool mem_first; /* memory is the first (destination) operand */

	/* MOV to/from a control register (0F 22 / 0F 20, SDM Vol. 2B): the
	 * CR number from ModRM.reg and REX.R; the GPR (ModRM.rm and REX.B)
	 * is in reg. INSN_REG_NONE for other instructions. */
	uint8_t ctl_reg;

	const char *why; /* INSN_UNSUPPORTED: a short reason for the log line */
};

/* Decode one instruction from buf[0..avail). Never reads beyond
 * min(avail, INSN_MAX_LEN) bytes. in is always written; on INSN_OK in->len
 * is the instruction length. */
enum insn_status insn_decode(struct insn *in, const uint8_t *buf, size_t avail, enum insn_mode mode);

/* True if the instruction writes its memory operand (ALU except CMP, MOV
 * stores, XCHG, STOS, MOVS destination). */
bool insn_writes_mem(const struct insn *in);
/* True if the instruction reads its memory operand (everything but plain
 * stores and STOS). For MOVS both are true (source read, destination write). */
bool insn_reads_mem(const struct insn *in);

/* MOV to a control register (0F 22 /r) or from one (0F 20 /r). */
bool insn_is_mov_to_cr(const struct insn *in);
bool insn_is_mov_from_cr(const struct insn *in);
/* INSN_KIND_DTABLE: true for LIDT (0F 01 /3), false for LGDT (0F 01 /2). */
bool insn_dtable_is_idt(const struct insn *in);
/* LMSW (0F 01 /6, INSN_KIND_SYSTEM); its source is the register in->reg
 * when insn_lmsw_from_reg, else the word at the memory operand. */
bool insn_is_lmsw(const struct insn *in);
bool insn_lmsw_from_reg(const struct insn *in);
/* CLTS (0F 06). */
bool insn_is_clts(const struct insn *in);

const char *insn_status_name(enum insn_status st);
const char *insn_kind_name(enum insn_kind k);

#endif
