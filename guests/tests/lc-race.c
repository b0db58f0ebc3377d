/* SPDX-License-Identifier: BSD-2-Clause */
/* lc-race: a partition with two vCPUs whose vCPUs request restarts and
 * stops at the same moment, round after round (issue 12; the integration
 * test lifecycle-race-svm runs many of these partitions at once).
 *
 * Each boot is one round; its number is the partition's boot count
 * (HC_PARTITION_BOOTS), since a restart zeroes RAM. vCPU 0 starts vCPU 1
 * with INIT and a start-up IPI (SDM Vol. 3A §8.4.4.1) into a real-mode
 * trampoline, waits until it runs, says "both vCPUs up in round N", then
 * releases it and both act at once:
 *   rounds 1 .. ROUNDS-1: one requests a restart by hypercall, the other
 *     by a triple fault (the manifest says on_triple_fault=restart); odd
 *     rounds vCPU 0 makes the call, even rounds vCPU 1 does (an AP runs
 *     the restart). Exactly one restart may follow: the next boot is
 *     round N+1, and both vCPUs must be up again in it;
 *   round ROUNDS: vCPU 0 asks for a restart, vCPU 1 for a stop (code 7).
 *     Either the stop was made, and it is final (the partition ends with
 *     code 7, whether the restart had begun or not), or the restart took
 *     vCPU 1 away before its call: then boot ROUNDS+1 says so and stops
 *     with code 0.
 * Any other course (a round skipped or repeated, vCPU 1 not up again, a
 * vCPU running on after its request) prints a FAIL line. */
#include "ap_start.h"
#include "rt.h"

#define ROUNDS 13
#define STOP_CODE 7
/* vCPU 0 waits 0 .. RACE_SPREAD-1 PAUSEs after releasing vCPU 1. */
#define RACE_SPREAD 20000

/* Where the trampoline goes (below 1 MiB, page-aligned: SIPI vector 9). */
#define TRAMP_PA 0x9000UL
#define SIPI_VECTOR (TRAMP_PA >> 12)
/* Its data, at TRAMP_PA + 0x100 (the trampoline addresses it by DS = CS). */
struct tramp_data {
	volatile uint32_t alive; /* +0x00: vCPU 1 increments it on arrival */
	volatile uint32_t go;    /* +0x04: vCPU 0 sets it: act now */
	uint32_t nr;             /* +0x08: the hypercall vCPU 1 makes ... */
	uint32_t arg;            /* +0x0c: ... and its argument */
	uint8_t empty_idtr[6];   /* +0x10: limit 0: any exception triple-faults */
	uint16_t pad;
	uint32_t triple_fault; /* +0x18: instead of a hypercall, triple-fault */
} __attribute__((packed));
#define TRAMP_DATA ((struct tramp_data *)(TRAMP_PA + 0x100))

/* Real mode, CS = TRAMP_PA >> 4, IP = 0. The VMMCALL is patched into a
 * VMCALL on Intel CPUs (tramp_call). */
extern const uint8_t tramp_start[], tramp_call[], tramp_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "tramp_start:\n"
    "	cli\n"
    "	mov %cs, %ax\n"
    "	mov %ax, %ds\n"
    "	lock incl 0x100\n"
    "1:	pause\n"
    "	cmpl $0, 0x104\n"
    "	je 1b\n"
    "	cmpl $0, 0x118\n"
    "	jne 2f\n"
    "	movl 0x108, %eax\n"
    "	movl 0x10c, %ebx\n"
    "tramp_call:\n"
    "	vmmcall\n"
    "3:	hlt\n"
    "	jmp 3b\n"
    "2:	lidt 0x110\n"
    "	int3\n"
    "	jmp 3b\n"
    "tramp_end:\n"
    ".code64\n"
    ".popsection\n");

static void start_vcpu1(void)
{
	uint8_t *t = (uint8_t *)TRAMP_PA;
	for (const uint8_t *s = tramp_start; s < tramp_end; s++)
		*t++ = *s;
	if (!rt_vendor_amd())
		((uint8_t *)TRAMP_PA)[tramp_call - tramp_start + 2] = 0xc1; /* VMCALL */
	ap_start(1, SIPI_VECTOR);                                           /* vCPU 1: APIC ID 1 */
}

static bool wait_alive(void)
{
	unsigned long until = rt_hc_time_ns() + 20000000000UL; /* 20 s: a busy host */
	while (!TRAMP_DATA->alive)
		if (rt_hc_time_ns() > until)
			return false;
	return true;
}

static noreturn void triple_fault(void)
{
	static const struct {
		uint16_t limit;
		uintptr_t base;
	} __attribute__((packed)) empty = { 0, 0 };
	asm volatile("lidt %0; int3" : : "m"(empty));
	for (;;)
		asm volatile("hlt");
}

void guest_main(void)
{
	long boot = rt_hypercall(HC_PARTITION_BOOTS, 0, 0, 0, 0);

	if (boot < 1) {
		rt_fail("boots", "HC_PARTITION_BOOTS returned %ld", boot);
		return;
	}
	if (boot > ROUNDS) {
		rt_printf("lc-race: the restart won the last race, the stop was never made: stopping\n");
		rt_stop(0);
	}
	struct tramp_data *d = TRAMP_DATA;
	*d = (struct tramp_data){ 0 };
	bool last = boot == ROUNDS, vcpu0_calls = last || boot % 2;
	d->nr = last ? HC_PARTITION_STOP : HC_PARTITION_RESTART;
	d->arg = last ? STOP_CODE : 0;
	d->triple_fault = !last && vcpu0_calls;

	start_vcpu1();
	if (!wait_alive()) {
		rt_fail("vcpu1", "vCPU 1 did not start in round %ld", boot);
		rt_stop(1);
	}
	rt_printf("lc-race: both vCPUs up in round %ld\n", boot);
	__atomic_store_n(&d->go, 1, __ATOMIC_SEQ_CST);
	/* vCPU 1 acts as soon as it sees go, if its host CPU runs it now;
	 * vCPU 0 waits a varying moment, so that either request may come
	 * first (measured: without it the restart always won the last race). */
	for (unsigned long n = rdtsc() % RACE_SPREAD; n; n--)
		cpu_relax();
	if (vcpu0_calls)
		rt_hypercall(HC_PARTITION_RESTART, 0, 0, 0, 0);
	else
		triple_fault();
	/* Neither the restart (ours or vCPU 1's) nor a stop lets us get here. */
	rt_fail("race", "vCPU 0 still running after its request in round %ld", boot);
	rt_stop(1);
}
