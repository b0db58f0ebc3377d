/* SPDX-License-Identifier: BSD-2-Clause */
/* The stack protector (issue 12 item 8): the hypervisor is built with
 * -fstack-protector-strong -mstack-protector-guard=global, so functions
 * with arrays or address-taken locals keep a copy of __stack_chk_guard
 * below their return address and check it before returning. A mismatch
 * means something wrote past a stack buffer: __stack_chk_fail reports
 * where and stops the machine, since nothing on that CPU's stack can be
 * trusted any more. The value is chosen once per boot (RDRAND where the
 * CPU has it, else the TSC), so a guest that learned one boot's value
 * cannot use it in the next. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "arch/x86/cpu/stack_protector.h"
#include "arch/x86/cpu/trap.h"
#include "core/console.h"
#include "core/log.h"
#include "core/percpu.h"
#include "arch/x86/cpu/platform_exit.h"
#include "core/symbols.h"

#define RDRAND_TRIES 10
/* The low byte is 0: a string overflow (strcpy-like, NUL-terminated)
 * cannot write the canary back. */
#define CANARY_LOW_BYTE 0xffULL

/* Used until stack_protector_init (and by code that ran before it). */
uint64_t __stack_chk_guard = 0x7b1f3c9d5e2a4600ULL;

static bool rdrand64(uint64_t *v)
{
	for (unsigned int i = 0; i < RDRAND_TRIES; i++) {
		uint8_t ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

__attribute__((no_stack_protector)) const char *stack_protector_init(void)
{
	uint64_t v;
	const char *source = "RDRAND";

	if (!boot_cpu.has_rdrand || !rdrand64(&v)) {
		uint64_t t = rdtsc();
		v = (t * 0x9e3779b97f4a7c15ULL) ^ (t << 29) ^ __stack_chk_guard;
		source = "the TSC";
	}
	__stack_chk_guard = v & ~CANARY_LOW_BYTE;
	return source;
}

__attribute__((no_stack_protector, noreturn)) void __stack_chk_fail(void)
{
	uint64_t ret = (uint64_t)(uintptr_t)__builtin_return_address(0);
	uint64_t rbp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
	struct percpu *cpu = this_cpu();
	unsigned int id = cpu ? cpu->id : 0;
	char sym[96];

	symbol_describe(ret, sym, sizeof(sym));
	pr_err("PANIC: stack smashing detected on CPU %u: the canary of the function at %#018lx %s "
	       "was overwritten",
	       id, ret, sym);
	print_stack_trace(ret, rbp);
	pr_err("bulkhead: CPU %u halted after stack smashing", id);
	console_break_lock();
	if (trap_exit_on_fatal)
		platform_exit(PLATFORM_EXIT_FAILURE);
	cpu_halt_forever();
}
