/* SPDX-License-Identifier: BSD-2-Clause */
/* Host SMP bring-up: find the machine's CPUs (ACPI MADT), start the
 * application processors (APs) with INIT-SIPI-SIPI, give each its per-CPU
 * state, and send cross-CPU kicks.
 *
 * What an AP has when it calls sched_ap_main():
 *  - its own stack (percpu_stacks[id], guard page below) and GS base =
 *    &percpu_area[id] (self, id, apic_id, stack_top, ist_top[], online set);
 *  - its own GDT and TSS with IST stacks, the shared IDT, the hypervisor's
 *    page tables, CR0/CR4/EFER as the boot CPU's (minus CR4.VMXE, which the
 *    backend sets);
 *  - its local APIC enabled, LVTs masked, one-shot timer stopped
 *    (host_timer_arm works on it, with the boot CPU's calibration);
 *  - vcpu_backend->cpu_enable() done on it (an AP where that fails is parked
 *    and not counted);
 *  - interrupts disabled (RFLAGS.IF = 0).
 * APs enter sched_ap_main() while the boot CPU is still in hv_main: before
 * "bulkhead: ready" and before any partition exists. The scheduler must make
 * them wait for its own start signal. */
#ifndef BULKHEAD_ARCH_X86_CPU_SMP_H
#define BULKHEAD_ARCH_X86_CPU_SMP_H

#include "arch/x86/boot/bootinfo.h"
#include "arch/x86/boot/multiboot.h"
#include "core/types.h"

struct acpi_host;

/* Boot CPU, early in boot while the loader's memory is still intact and the
 * boot page tables map the first 4 GiB (before setup_memory): read the
 * firmware's MADT through rd and choose the trampoline's low page. Logs one
 * line saying what was found. */
void smp_discover(const struct boot_info *bi, phys_reader rd, void *ctx);
/* What smp_discover read of the firmware's ACPI tables (also its clocks). */
const struct acpi_host *smp_firmware_acpi(void);

/* Boot CPU, once the virtualisation backend is enabled on it: start the APs,
 * one after the other, at most max_cpus CPUs in all (0: every CPU the MADT
 * lists, up to MAX_CPUS). Prints "smp: <N> CPUs online (APIC IDs ...)".
 * Returns nr_cpus_online. */
unsigned int smp_start_aps(unsigned int max_cpus);

/* Make CPU cpu_id (struct percpu id) take a HOST_KICK_VECTOR interrupt: it
 * leaves guest mode (external-interrupt exit) or HLT. False if that CPU is
 * not online or the IPI could not be sent. Any CPU, any context. */
bool smp_kick(unsigned int cpu_id);

/* The scheduler's AP loop (core/sched.c). Should not return; if it does,
 * the AP halts. */
void sched_ap_main(void);

#endif
