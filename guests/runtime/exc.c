/* SPDX-License-Identifier: BSD-2-Clause */
/* The guest's own exception handling: an IDT over the stubs in vectors.S and
 * the expected-exception bookkeeping behind RT_TRY_BEGIN / RT_TRY_END.
 *
 * Gate formats: SDM Vol. 3A §6.11 (32-bit interrupt gate, 8 bytes) and §6.14.1
 * (64-bit interrupt gate, 16 bytes). Interrupt gates clear IF, which the
 * guests keep clear anyway. */
#include "rt.h"

#define IDT_VECTORS 256
#define GATE_INTERRUPT_P 0x8e /* P=1, DPL=0, type 0xE: 32/64-bit interrupt gate */
#define GATE_DPL_SHIFT 5      /* DPL in bits 5-6 of the type/attribute byte */

/* The register frame vectors.S builds, lowest address first. */
struct rt_exc_frame {
#ifdef __x86_64__
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t ip, cs, flags, sp, ss;
#else
	uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax; /* PUSHAD */
	uint32_t vector, error;
	uint32_t ip, cs, flags;
#endif
};

struct idt_gate {
#ifdef __x86_64__
	uint16_t offset_lo, selector;
	uint8_t ist, type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi, reserved;
#else
	uint16_t offset_lo, selector;
	uint8_t zero, type_attr;
	uint16_t offset_hi;
#endif
} __attribute__((packed));

struct dt_ptr {
	uint16_t limit;
	uintptr_t base;
} __attribute__((packed));

/* vectors.S: one stub per vector, RT_STUB_SIZE bytes apart. */
extern char rt_exc_stubs[];
#define RT_STUB_SIZE 16

static struct idt_gate rt_idt[IDT_VECTORS] __attribute__((aligned(16)));

/* Written by RT_TRY_BEGIN (so not static); rt_exc_fixup != 0 means armed. */
volatile uintptr_t rt_exc_insn, rt_exc_fixup;

struct rt_exc_state {
	struct rt_exc_record rec;
	bool in_unexpected;
	rt_irq_handler irq[IDT_VECTORS]; /* vectors 32-255 only */
};

static struct rt_exc_state rt_exc;

static bool vector_has_error(uint32_t v)
{
	/* SDM Vol. 3A Table 6-1: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static void set_gate(unsigned v, uintptr_t h, unsigned dpl)
{
	struct idt_gate *g = &rt_idt[v];

	memset(g, 0, sizeof(*g));
	g->offset_lo = (uint16_t)h;
#ifdef __x86_64__
	g->selector = SEL_CODE64;
	g->offset_mid = (uint16_t)(h >> 16);
	g->offset_hi = (uint32_t)(h >> 32);
#else
	g->selector = SEL_CODE32;
	g->offset_hi = (uint16_t)(h >> 16);
#endif
	g->type_attr = GATE_INTERRUPT_P | (uint8_t)((dpl & 3) << GATE_DPL_SHIFT);
}

void rt_idt_load(void)
{
	struct dt_ptr p = { .limit = sizeof(rt_idt) - 1, .base = (uintptr_t)rt_idt };

	for (unsigned v = 0; v < IDT_VECTORS; v++)
		set_gate(v, (uintptr_t)rt_exc_stubs + v * RT_STUB_SIZE, 0);
	asm volatile("lidt %0" : : "m"(p) : "memory");
}

void rt_idt_set_gate(uint8_t vector, uintptr_t handler, unsigned dpl)
{
	set_gate(vector, handler, dpl);
}

static noreturn void unexpected(struct rt_exc_frame *f)
{
	if (rt_exc.in_unexpected || rt_stopping()) {
		rt_printf("\nrt: exception %u at ip %p while stopping\n", (unsigned)f->vector,
			  (void *)(uintptr_t)f->ip);
		rt_halt_forever(1);
	}
	rt_exc.in_unexpected = true;
	rt_printf("\nTEST unexpected_exception: FAIL vector %u error 0x%llx at ip %p cs 0x%x cr2 %p\n",
		  (unsigned)f->vector, (unsigned long long)f->error, (void *)(uintptr_t)f->ip,
		  (unsigned)f->cs, (void *)read_cr2());
	rt_done();
}

void rt_set_irq_handler(uint8_t vector, rt_irq_handler fn)
{
	if (vector >= RT_FIRST_IRQ_VECTOR)
		rt_exc.irq[vector] = fn;
}

/* Called from vectors.S with the frame; may redirect the return address. */
void rt_exc_dispatch(struct rt_exc_frame *f);
void rt_exc_dispatch(struct rt_exc_frame *f)
{
	uintptr_t fixup = rt_exc_fixup;

	/* An interrupt with a handler is taken wherever it arrives, even
	 * inside an RT_TRY block. */
	if (f->vector < IDT_VECTORS && rt_exc.irq[f->vector]) {
		rt_exc.irq[f->vector]((uint8_t)f->vector, f->ip);
		return;
	}

	if (!fixup || rt_exc.rec.hit)
		unexpected(f);
	rt_exc.rec.hit = true;
	rt_exc.rec.vector = (uint32_t)f->vector;
	rt_exc.rec.error = vector_has_error((uint32_t)f->vector) ? f->error : RT_NO_ERROR;
	rt_exc.rec.ip = f->ip;
	rt_exc.rec.insn = rt_exc_insn;
	rt_exc.rec.resume = fixup;
	rt_exc.rec.cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	rt_exc_fixup = 0;
	f->ip = fixup;
}

void rt_exc_prepare(void)
{
	memset(&rt_exc.rec, 0, sizeof(rt_exc.rec));
	rt_exc_insn = 0;
	rt_exc_fixup = 0;
}

struct rt_exc_record rt_exc_result(void)
{
	rt_exc_fixup = 0;
	asm volatile("" : : : "memory");
	return rt_exc.rec;
}

bool rt_expect_exc(const char *name, uint32_t vector, uint64_t error, enum rt_exc_kind kind)
{
	struct rt_exc_record r = rt_exc_result();
	uintptr_t want_ip = kind == RT_FAULT ? r.insn : r.resume;

	if (!r.hit) {
		rt_fail(name, "no exception, want vector %u", vector);
		return false;
	}
	if (r.vector != vector) {
		rt_fail(name, "vector %u, want %u (error 0x%llx)", r.vector, vector,
			(unsigned long long)r.error);
		return false;
	}
	if (r.error != error) {
		if (error == RT_NO_ERROR)
			rt_fail(name, "unexpected error code 0x%llx", (unsigned long long)r.error);
		else
			rt_fail(name, "error code 0x%llx, want 0x%llx", (unsigned long long)r.error,
				(unsigned long long)error);
		return false;
	}
	if (r.ip != want_ip) {
		rt_fail(name, "pushed ip %p, want %p (%s)", (void *)r.ip, (void *)want_ip,
			kind == RT_FAULT ? "the faulting instruction" : "the next instruction");
		return false;
	}
	rt_pass(name);
	return true;
}

bool rt_expect_no_exc(const char *name)
{
	struct rt_exc_record r = rt_exc_result();

	return rt_check(name, !r.hit, "exception vector %u error 0x%llx at %p", r.vector,
			(unsigned long long)r.error, (void *)r.ip);
}

int rt_try_rdmsr(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	struct rt_exc_record r;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "rdmsr" RT_TRY_END : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	r = rt_exc_result();
	*val = ((uint64_t)hi << 32) | lo;
	return r.hit ? (int)r.vector : -1;
}

int rt_try_wrmsr(uint32_t msr, uint64_t val)
{
	struct rt_exc_record r;

	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "wrmsr" RT_TRY_END
		     :
		     : "a"((uint32_t)val), "d"((uint32_t)(val >> 32)), "c"(msr)
		     : "memory");
	r = rt_exc_result();
	return r.hit ? (int)r.vector : -1;
}
