/* SPDX-License-Identifier: BSD-2-Clause */
/* Hypercall wrappers (docs/hypercall-abi.md).
 *
 * RAX = number in, result out; RBX, RCX, RDX, RSI = arguments. Intel CPUs
 * take VMCALL, AMD-like ones VMMCALL (the other one is an undefined opcode
 * there), so the vendor is read once from CPUID leaf 0. */
#include "rt.h"

struct rt_cpu {
	bool probed;
	bool amd;
	bool hv_present;
	bool stopping;
};

static struct rt_cpu rt_cpu;

static void probe_cpu(void)
{
	struct cpuid_regs r;

	if (rt_cpu.probed)
		return;
	r = cpuid(0, 0);
	rt_cpu.amd = (r.ebx == VENDOR_AMD_EBX && r.edx == VENDOR_AMD_EDX && r.ecx == VENDOR_AMD_ECX) ||
		     r.ebx == VENDOR_HYGON_EBX;
	/* The hypervisor bit alone is not enough: QEMU TCG sets it on a bare
	 * machine too. Bulkhead is the one that signs leaf 0x40000000. */
	if (r.eax >= 1 && (cpuid(1, 0).ecx & CPUID1_ECX_HYPERVISOR)) {
		r = cpuid(CPUID_HV_BASE, 0);
		rt_cpu.hv_present = r.ebx == BULKHEAD_SIG_EBX && r.ecx == BULKHEAD_SIG_ECX &&
				    r.edx == BULKHEAD_SIG_EDX;
	}
	rt_cpu.probed = true;
}

bool rt_vendor_amd(void)
{
	probe_cpu();
	return rt_cpu.amd;
}

bool rt_hv_present(void)
{
	probe_cpu();
	return rt_cpu.hv_present;
}

long rt_hypercall(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3,
		  unsigned long a4)
{
	unsigned long ret = nr;

	probe_cpu();
	if (!rt_cpu.hv_present)
		return HC_ENOSYS;
	if (rt_cpu.amd)
		asm volatile("vmmcall" : "+a"(ret) : "b"(a1), "c"(a2), "d"(a3), "S"(a4) : "memory");
	else
		asm volatile("vmcall" : "+a"(ret) : "b"(a1), "c"(a2), "d"(a3), "S"(a4) : "memory");
	return (long)ret;
}

long rt_hc_version(void)
{
	return rt_hypercall(HC_VERSION, 0, 0, 0, 0);
}

long rt_hc_console_write(const void *buf, unsigned long len)
{
	return rt_hypercall(HC_CONSOLE_WRITE, (uintptr_t)buf, len, 0, 0);
}

long rt_hc_yield(void)
{
	return rt_hypercall(HC_YIELD, 0, 0, 0, 0);
}

unsigned long rt_hc_time_ns(void)
{
	return (unsigned long)rt_hypercall(HC_TIME_NS, 0, 0, 0, 0);
}

long rt_hc_print_stats(void)
{
	return rt_hypercall(HC_PRINT_STATS, 0, 0, 0, 0);
}

/* Flush the UART so the last line is not cut off when the hypervisor ends the
 * run right after the stop (LSR THRE and TEMT, PC16550D §8.6.3). */
static void drain_uart(void)
{
	for (int i = 0; i < 100000; i++) {
		if ((inb(COM1_BASE + UART_LSR) & 0x60) == 0x60)
			return;
		cpu_relax();
	}
}

bool rt_stopping(void)
{
	return rt_cpu.stopping;
}

noreturn void rt_halt_forever(unsigned long code)
{
	drain_uart();
	/* Bare machine (smoke run): QEMU's isa-debug-exit ends the emulator.
	 * Under Bulkhead the port is unclaimed and the write is ignored. */
	outb(BARE_EXIT_PORT, (uint8_t)code);
	for (;;)
		asm volatile("cli; hlt");
}

noreturn void rt_stop(unsigned long code)
{
	if (rt_cpu.stopping)
		rt_halt_forever(code);
	rt_cpu.stopping = true;
	drain_uart();
	rt_hypercall(HC_PARTITION_STOP, code, 0, 0, 0);
	if (rt_hv_present())
		rt_puts("rt: HC_PARTITION_STOP returned\n");
	rt_halt_forever(code);
}
