/* SPDX-License-Identifier: BSD-2-Clause */
/* exc-loop: a guest that loops on #AC and #DB (issue 12; CVE-2015-5307,
 * CVE-2015-8104). On hardware a guest can make the CPU deliver one of them
 * for ever inside microcode, and a hypervisor that does not intercept them
 * loses the CPU. Bulkhead intercepts both and reflects them
 * (core/exc_reflect.h); this guest checks the reflection is what the CPU
 * itself would deliver, then loops for long, while a bystander on the same
 * host CPU must finish its work.
 *
 *  1. #AC: CR0.AM, RFLAGS.AC and a misaligned load at CPL 3. The handler
 *     returns to the load AC_ROUNDS times (each time a new #AC), then
 *     clears AC in the frame. Checks: every one arrived, error code 0, the
 *     pushed RIP is the load, RF set in the pushed RFLAGS (a fault). A CPU
 *     that does not check alignment (QEMU's TCG) raises none: that is
 *     reported, not failed.
 *  2. #DB by single step (RFLAGS.TF): DB_ROUNDS steps, DR6.BS reported.
 *  3. #DB by an instruction breakpoint (DR0, DR7.L0): the handler returns
 *     without RF DB_ROUNDS times, so the breakpoint hits again each time,
 *     then sets RF to step over it. Checks: DR6.B0, the pushed RIP is the
 *     breakpoint, RF clear in the pushed RFLAGS.
 *  4. The breakpoint again for LONG_ROUNDS #DBs (a hostile guest would
 *     never step over it; this one ends so the run can end), while the
 *     bystander beside it must go on. */
#include "rt.h"

#define AC_ROUNDS 2000
#define DB_ROUNDS 2000
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_RF (1ull << 16)
#define RFLAGS_AC (1ull << 18)
#define CR0_AM (1ull << 18)
#define DR6_B0 (1ull << 0)
#define DR6_BS (1ull << 14)
#define DR7_RESET 0x400ull
#define DR7_L0 (1ull << 0)
#define VEC_DB 1
#define VEC_AC 17
#define LONG_ROUNDS 50000

/* Written by the handlers below (at CPL 0). */
volatile uint64_t ac_count, ac_limit, ac_error, ac_rip, ac_rflags;
volatile uint64_t db_count, db_limit, db_rip, db_rflags, db_dr6_or;

void exc_loop_ac_handler(void);
void exc_loop_db_handler(void);
void exc_loop_bp_func(void);
extern char exc_loop_ac_insn[];

/* #AC pushes an error code: frame after the push of RAX is RAX, error,
 * RIP, CS, RFLAGS, RSP, SS. #DB pushes none: RAX, RIP, CS, RFLAGS, ... */
asm(".text\n"
    ".globl exc_loop_ac_handler\n"
    "exc_loop_ac_handler:\n\t"
    "push %rax\n\t"
    "mov 8(%rsp), %rax\n\t"
    "mov %rax, ac_error(%rip)\n\t"
    "mov 16(%rsp), %rax\n\t"
    "mov %rax, ac_rip(%rip)\n\t"
    "mov 32(%rsp), %rax\n\t"
    "mov %rax, ac_rflags(%rip)\n\t"
    "incq ac_count(%rip)\n\t"
    "mov ac_count(%rip), %rax\n\t"
    "cmp ac_limit(%rip), %rax\n\t"
    "jb 1f\n\t"
    "andq $~0x40000, 32(%rsp)\n" /* AC off: the load goes through */
    "1:\tpop %rax\n\t"
    "add $8, %rsp\n\t"
    "iretq\n"
    ".globl exc_loop_db_handler\n"
    "exc_loop_db_handler:\n\t"
    "push %rax\n\t"
    "mov 8(%rsp), %rax\n\t"
    "mov %rax, db_rip(%rip)\n\t"
    "mov 24(%rsp), %rax\n\t"
    "mov %rax, db_rflags(%rip)\n\t"
    "mov %db6, %rax\n\t"
    "or %rax, db_dr6_or(%rip)\n\t"
    "mov $0xffff0ff0, %eax\n\t" /* the handler clears DR6 (SDM Vol. 3B §18.2.3) */
    "mov %rax, %db6\n\t"
    "incq db_count(%rip)\n\t"
    "mov db_count(%rip), %rax\n\t"
    "cmp db_limit(%rip), %rax\n\t"
    "jb 1f\n\t"
    "andq $~0x100, 24(%rsp)\n\t" /* TF off */
    "orq $0x10000, 24(%rsp)\n"   /* RF on: step over an instruction breakpoint */
    "1:\tpop %rax\n\t"
    "iretq\n"
    ".globl exc_loop_bp_func\n"
    "exc_loop_bp_func:\n\t"
    "nop\n\t"
    "ret\n");

static uint8_t ac_buf[16] __attribute__((aligned(16)));

/* At CPL 3: AC on, a 4-byte load from an odd address, AC off. */
static __attribute__((noinline)) long ac_user(void *arg)
{
	uint64_t v;

	(void)arg;
	asm volatile("pushfq\n\t"
		     "orq $0x40000, (%%rsp)\n\t"
		     "popfq\n\t"
		     ".globl exc_loop_ac_insn\n"
		     "exc_loop_ac_insn:\n\t"
		     "movl 1(%1), %k0\n\t"
		     "pushfq\n\t"
		     "andq $~0x40000, (%%rsp)\n\t"
		     "popfq"
		     : "=&r"(v)
		     : "r"(ac_buf)
		     : "memory", "cc");
	return (long)v;
}

static void write_cr0(uintptr_t v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static void ac_phase(void)
{
	long res;

	ac_count = 0;
	ac_limit = AC_ROUNDS;
	write_cr0(read_cr0() | CR0_AM);
	if (!rt_user_call(ac_user, NULL, &res))
		return;
	write_cr0(read_cr0() & ~CR0_AM);
	if (ac_count == 0) {
		rt_printf("exc-loop: no #AC from this CPU: it does not check alignment\n");
		return;
	}
	rt_printf("exc-loop: #AC reflected %llu times\n", (unsigned long long)ac_count);
	rt_check_eq("ac_all_delivered", "#AC count", ac_count, AC_ROUNDS);
	rt_check_eq("ac_error_code", "error code", ac_error, 0);
	rt_check_eq("ac_rip", "pushed RIP", ac_rip, (uintptr_t)exc_loop_ac_insn);
	rt_check("ac_rflags", (ac_rflags & RFLAGS_RF) && (ac_rflags & RFLAGS_AC),
		 "pushed RFLAGS 0x%llx: want RF (a fault) and AC", (unsigned long long)ac_rflags);
}

static void tf_phase(void)
{
	unsigned long n = 0;

	db_count = 0;
	db_dr6_or = 0;
	db_limit = DB_ROUNDS;
	/* Three instructions an iteration: TF goes off after DB_ROUNDS steps,
	 * long before the loop ends. */
	asm volatile("pushfq\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popfq\n"
		     "1:\tinc %0\n\t"
		     "cmp %1, %0\n\t"
		     "jb 1b\n\t"
		     "pushfq\n\t"
		     "andq $~0x100, (%%rsp)\n\t"
		     "popfq"
		     : "+r"(n)
		     : "r"((unsigned long)DB_ROUNDS)
		     : "cc", "memory");
	rt_printf("exc-loop: single-step #DB reflected %llu times\n", (unsigned long long)db_count);
	rt_check_eq("tf_all_delivered", "#DB count", db_count, DB_ROUNDS);
	rt_check("tf_dr6_bs", db_dr6_or & DR6_BS, "DR6 never had BS (seen 0x%llx)",
		 (unsigned long long)db_dr6_or);
}

static void set_dr7(uint64_t v)
{
	asm volatile("mov %0, %%db7" : : "r"(v));
}

static void breakpoint_on(void)
{
	asm volatile("mov %0, %%db0" : : "r"((uintptr_t)exc_loop_bp_func));
	set_dr7(DR7_RESET | DR7_L0); /* R/W0 = 00, LEN0 = 00: execution */
}

static void bp_phase(void)
{
	db_count = 0;
	db_dr6_or = 0;
	db_limit = DB_ROUNDS;
	breakpoint_on();
	exc_loop_bp_func();
	set_dr7(DR7_RESET);
	rt_printf("exc-loop: breakpoint #DB reflected %llu times\n", (unsigned long long)db_count);
	rt_check_eq("bp_all_delivered", "#DB count", db_count, DB_ROUNDS);
	rt_check("bp_dr6_b0", db_dr6_or & DR6_B0, "DR6 never had B0 (seen 0x%llx)",
		 (unsigned long long)db_dr6_or);
	rt_check_eq("bp_rip", "pushed RIP", db_rip, (uintptr_t)exc_loop_bp_func);
	rt_check("bp_rflags_rf_clear", !(db_rflags & RFLAGS_RF),
		 "pushed RFLAGS 0x%llx: an instruction breakpoint is pushed with RF clear",
		 (unsigned long long)db_rflags);
}

void guest_main(void)
{
	rt_idt_set_gate(VEC_AC, (uintptr_t)exc_loop_ac_handler, 0);
	rt_idt_set_gate(VEC_DB, (uintptr_t)exc_loop_db_handler, 0);
	ac_phase();
	tf_phase();
	bp_phase();
	rt_printf("exc-loop: checks done, %u failed; now looping on #DB\n", rt_failed_count());
	db_count = 0;
	db_limit = LONG_ROUNDS;
	breakpoint_on();
	exc_loop_bp_func();
	set_dr7(DR7_RESET);
	rt_check_eq("long_loop", "#DB count", db_count, LONG_ROUNDS);
	rt_hc_print_stats(); /* the exception exits show the reflections went through the hypervisor */
	rt_done();
}
