/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-fpu: looks for another partition's x87, MMX and SSE registers (issue
 * 12, "no foreign data was seen"; docs/cpu-state.md lists where the
 * scheduler switches them). The suite runs two copies (atk-fpu, atk-fpu2)
 * on the same host CPU as many other partitions.
 *
 *   1. fpu_clean_at_start: the first thing each copy does is FXSAVE. A vCPU
 *      that never ran must see the power-on state (SDM Vol. 3A §9.1.1,
 *      Table 9-1: FCW 0x37F, MXCSR 0x1F80, ST0-ST7 and XMM0-XMM15 zero).
 *      Whichever copy runs second finds the first copy's tagged values if
 *      the hypervisor hands a new vCPU the registers as the last one left
 *      them (FNINIT empties the x87 stack but keeps its contents, and
 *      touches neither XMM nor MMX).
 *   2. fpu_kept_across_yields: each copy loads its own tagged values into
 *      every register, yields FPU_ROUNDS times to the partitions beside it
 *      and checks the values are still its own.
 *   3. mxcsr_reserved_bits: LDMXCSR and FXRSTOR of an MXCSR with reserved
 *      bits set are #GP (SDM Vol. 1 §10.2.3); the state stays the guest's.
 *
 * The guest is built with -mno-sse: only the asm below touches these
 * registers, so nothing the compiler does can change them between checks. */
#include "atk.h"

#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define VEC_GP 13

/* The 512-byte FXSAVE image in 64-bit mode (SDM Vol. 1 §10.5.1, Table
 * 10-2). */
#define FX_FCW 0
#define FX_FSW 2
#define FX_FTW 4 /* abridged tag byte: 1 bit per register, 1 = valid */
#define FX_MXCSR 24
#define FX_ST0 32 /* eight 16-byte slots, 80 bits used */
#define FX_ST_SLOT 16
#define FX_ST_BYTES 10
#define FX_XMM0 160 /* sixteen 16-byte registers */
#define FX_XMM_SLOT 16
#define FX_NR_ST 8
#define FX_NR_XMM 16
#define FX_SIZE 512

#define FCW_POWER_ON 0x037F
#define MXCSR_POWER_ON 0x1F80u
#define MXCSR_RESERVED_BIT (1u << 31)
#define FTW_ALL_VALID 0xFF
#define FPU_ROUNDS 2000

struct fx_image {
	uint8_t b[FX_SIZE];
} __attribute__((aligned(16)));

static struct fx_image saved, mine;

static void fxsave(struct fx_image *img)
{
	asm volatile("fxsave64 %0" : "=m"(*img));
}

static void fxrstor(const struct fx_image *img)
{
	asm volatile("fxrstor64 %0" : : "m"(*img));
}

static uint16_t rd16(const struct fx_image *img, unsigned off)
{
	return (uint16_t)(img->b[off] | img->b[off + 1] << 8);
}

static uint32_t rd32(const struct fx_image *img, unsigned off)
{
	return rd16(img, off) | (uint32_t)rd16(img, off + 2) << 16;
}

/* The bytes of an image that hold register contents: ST0-ST7's 80 bits and
 * XMM0-XMM15. Calls fn(offset) for each. */
#define FOR_EACH_REG_BYTE(off, body)                                            \
	do {                                                                    \
		for (unsigned r_ = 0; r_ < FX_NR_ST; r_++)                      \
			for (unsigned i_ = 0; i_ < FX_ST_BYTES; i_++) {         \
				unsigned off = FX_ST0 + r_ * FX_ST_SLOT + i_;   \
				body;                                           \
			}                                                       \
		for (unsigned r_ = 0; r_ < FX_NR_XMM; r_++)                     \
			for (unsigned i_ = 0; i_ < FX_XMM_SLOT; i_++) {         \
				unsigned off = FX_XMM0 + r_ * FX_XMM_SLOT + i_; \
				body;                                           \
			}                                                       \
	} while (0)

/* SSE needs CR4.OSFXSR, and neither CR0.EM nor CR0.TS (SDM Vol. 3A §13.1). */
static void enable_sse(void)
{
	uintptr_t cr0 = read_cr0() & ~(CR0_EM | CR0_TS);
	uintptr_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
	asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

static void clean_at_start(void)
{
	unsigned dirty = 0, first = 0;
	uint8_t first_val = 0;
	FOR_EACH_REG_BYTE(off, {
		if (saved.b[off]) {
			if (!dirty++) {
				first = off;
				first_val = saved.b[off];
			}
		}
	});
	uint16_t fcw = rd16(&saved, FX_FCW);
	uint32_t mxcsr = rd32(&saved, FX_MXCSR);
	uint8_t ftw = saved.b[FX_FTW];
	rt_check("fpu_clean_at_start",
		 !dirty && fcw == FCW_POWER_ON && mxcsr == MXCSR_POWER_ON && !ftw,
		 "%u register bytes not zero (first at image offset %u: 0x%x), FCW 0x%x, MXCSR 0x%x, "
		 "FTW 0x%x",
		 dirty, first, first_val, fcw, mxcsr, ftw);
}

/* This copy's values: a tag from the TSC at start (the two copies start at
 * different times), the register number and the byte, never zero. */
static uint8_t tag_byte(uint32_t tag, unsigned off)
{
	uint8_t v = (uint8_t)(tag >> (8 * (off % 4))) ^ (uint8_t)off;
	return v ? v : 0xA5;
}

static void make_mine(uint32_t tag)
{
	memset(&mine, 0, sizeof(mine));
	mine.b[FX_FCW] = (uint8_t)FCW_POWER_ON;
	mine.b[FX_FCW + 1] = (uint8_t)(FCW_POWER_ON >> 8);
	mine.b[FX_FTW] = FTW_ALL_VALID;
	for (unsigned i = 0; i < 4; i++)
		mine.b[FX_MXCSR + i] = (uint8_t)(MXCSR_POWER_ON >> (8 * i));
	FOR_EACH_REG_BYTE(off, mine.b[off] = tag_byte(tag, off));
}

static void kept_across_yields(void)
{
	unsigned lost = 0, bad_rounds = 0, first_off = 0, yields_failed = 0;
	uint8_t first_got = 0, first_want = 0;
	fxrstor(&mine);
	for (unsigned round = 0; round < FPU_ROUNDS; round++) {
		if (rt_hc_yield() != 0)
			yields_failed++;
		fxsave(&saved);
		unsigned bad = 0;
		FOR_EACH_REG_BYTE(off, {
			if (saved.b[off] != mine.b[off]) {
				if (!lost && !bad) {
					first_off = off;
					first_got = saved.b[off];
					first_want = mine.b[off];
				}
				bad++;
			}
		});
		lost += bad;
		bad_rounds += bad != 0;
		if (bad)
			fxrstor(&mine);
	}
	rt_check("fpu_kept_across_yields", !lost && !yields_failed,
		 "%u register bytes changed in %u of %u rounds (first at offset %u: 0x%x, "
		 "wanted 0x%x); %u yields failed",
		 lost, bad_rounds, FPU_ROUNDS, first_off, first_got, first_want, yields_failed);
}

/* Reserved MXCSR bits: a CPU raises #GP. QEMU's TCG takes them into MXCSR
 * instead; then the hypervisor saves and restores that state at each switch
 * (its FXRSTOR would fault on hardware, where the state cannot arise), so
 * the check is that the partition and the hypervisor go on after yields. */
static void mxcsr_reserved(void)
{
	uint32_t bad = MXCSR_POWER_ON | MXCSR_RESERVED_BIT;
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "ldmxcsr %0" RT_TRY_END : : "m"(bad) : "memory");
	int v1 = atk_vector();

	static struct fx_image img;
	img = mine;
	for (unsigned i = 0; i < 4; i++)
		img.b[FX_MXCSR + i] = (uint8_t)(bad >> (8 * i));
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "fxrstor64 %0" RT_TRY_END : : "m"(img) : "memory");
	int v2 = atk_vector();

	unsigned yields_failed = 0;
	for (unsigned i = 0; i < 10; i++)
		yields_failed += rt_hc_yield() != 0;
	fxsave(&saved);
	uint32_t now = rd32(&saved, FX_MXCSR);
	bool cpu_like = v1 == VEC_GP && v2 == VEC_GP && now == MXCSR_POWER_ON;
	bool emulator_took = v1 < 0 && v2 < 0;
	rt_check("mxcsr_reserved_bits", (cpu_like || emulator_took) && !yields_failed,
		 "LDMXCSR got vector %d, FXRSTOR %d (want 13 both, or none from an emulator "
		 "that takes them); MXCSR now 0x%x; %u yields failed",
		 v1, v2, now, yields_failed);
	if (emulator_took)
		rt_printf("note: the CPU took reserved MXCSR bits without #GP\n");
	asm volatile("ldmxcsr %0" : : "m"(*(const uint32_t[]){ MXCSR_POWER_ON }));
}

void guest_main(void)
{
	/* Before anything else can touch a register: CR writes, the console
	 * and the hypercalls below leave x87/SSE state alone. */
	enable_sse();
	fxsave(&saved);
	uint32_t tag = (uint32_t)rdtsc() | 1;
	clean_at_start();
	make_mine(tag);
	kept_across_yields();
	mxcsr_reserved();
}
