/* SPDX-License-Identifier: BSD-2-Clause */
/* Host SMP bring-up (see smp.h). The boot CPU starts one AP at a time and
 * waits for it, so an AP's bring-up never runs concurrently with another's
 * (the trampoline's data block and the hand-shake below are shared). */
#include "arch/x86/boot/acpi_host.h"
#include "arch/x86/boot/ap_trampoline.h"
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/gdt.h"
#include "arch/x86/cpu/paging.h"
#include "arch/x86/cpu/smp.h"
#include "arch/x86/cpu/smp_plan.h"
#include "arch/x86/cpu/trap.h"
#include "arch/x86/cpu/tsc.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "arch/x86/hostdev/lapic.h"

/* INIT-SIPI-SIPI timing (SDM Vol. 3A §8.4.4.1). */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
/* How long an AP may take to reach C, and then to come online (the backend's
 * enable and one log line; emulators on a loaded machine are slow). */
#define AP_REACH_C_US 1000000ULL
#define AP_ONLINE_US 5000000ULL
/* The boot CPU kicks each new AP once; the AP waits this long for it. */
#define AP_KICK_WAIT_US 100000ULL
/* Rounds of the TSC warp check on each side. */
#define TSC_SYNC_ROUNDS 1000
/* Summary line: "APIC IDs" and up to MAX_CPUS numbers. */
#define SUMMARY_IDS_MAX (MAX_CPUS * 4 + 1)

/* The boot CPU's C view of the trampoline's data block. */
struct __packed ap_trampoline_data {
	uint64_t gdt[4];
	uint16_t gdtr_limit;
	uint32_t gdtr_base;
	uint16_t pad0;
	uint32_t pm32_offset;
	uint16_t pm32_sel;
	uint16_t pad1;
	uint32_t lm64_offset;
	uint16_t lm64_sel;
	uint16_t pad2;
	uint32_t cr3_low;
	uint32_t efer;
	uint32_t cr0;
	uint32_t cr4;
	uint64_t cr3;
	uint64_t stack_top;
	uint64_t percpu;
	uint64_t entry;
	volatile uint32_t started;
};
#define TRAMP_FIELD_AT(f, off)                                                                   \
	STATIC_ASSERT(AP_TRAMP_DATA + __builtin_offsetof(struct ap_trampoline_data, f) == (off), \
		      "ap_trampoline.h: " #f)
TRAMP_FIELD_AT(gdt, AP_TRAMP_GDT);
TRAMP_FIELD_AT(gdtr_limit, AP_TRAMP_GDTR);
TRAMP_FIELD_AT(pm32_offset, AP_TRAMP_PM32_PTR);
TRAMP_FIELD_AT(lm64_offset, AP_TRAMP_LM64_PTR);
TRAMP_FIELD_AT(cr3_low, AP_TRAMP_CR3_LOW);
TRAMP_FIELD_AT(efer, AP_TRAMP_EFER);
TRAMP_FIELD_AT(cr0, AP_TRAMP_CR0);
TRAMP_FIELD_AT(cr4, AP_TRAMP_CR4);
TRAMP_FIELD_AT(cr3, AP_TRAMP_CR3);
TRAMP_FIELD_AT(stack_top, AP_TRAMP_STACK);
TRAMP_FIELD_AT(percpu, AP_TRAMP_PERCPU);
TRAMP_FIELD_AT(entry, AP_TRAMP_ENTRY);
TRAMP_FIELD_AT(started, AP_TRAMP_STARTED);

extern const char ap_trampoline_start[], ap_trampoline_end[];

/* Where the AP being started is; moved by CAS so that an AP the boot CPU
 * gave up on can never come online later. */
enum ap_state {
	AP_STARTING,  /* boot CPU: IPIs sent */
	AP_IN_C,      /* AP: descriptor tables and APIC set up; TSC check next */
	AP_ONLINE,    /* AP: ready, about to call sched_ap_main */
	AP_FAILED,    /* AP: the backend would not enable; it parked itself */
	AP_ABANDONED, /* boot CPU: too late; the AP parks if it ever gets here */
};

/* The TSC warp check (two CPUs read the TSC in turn under a lock; a value
 * below the previous one, whoever read it, means the TSCs disagree). */
struct tsc_sync {
	spinlock_t lock;
	uint64_t last;
	uint64_t max_back;
	volatile uint32_t go;    /* boot CPU: here, ready for the rounds */
	volatile uint32_t ready; /* AP: here too (so the rounds overlap) */
	volatile uint32_t done;  /* each side adds one when its rounds are over */
};

/* Boot-time state. Written by the boot CPU (discover, then bring-up); the AP
 * being started reads the register images and moves `state`/`tsc`. */
static struct smp_boot {
	struct acpi_host acpi;
	bool have_madt;
	uint64_t tramp_pa;       /* 0: no low memory for the trampoline */
	uint64_t cr0, cr4;       /* the boot CPU's, given to every AP */
	volatile uint32_t state; /* enum ap_state of the AP being started */
	struct tsc_sync tsc;
} smp;

static bool state_move(uint32_t from, uint32_t to)
{
	uint32_t expect = from;
	return __atomic_compare_exchange_n(&smp.state, &expect, to, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

static uint32_t state_get(void)
{
	return __atomic_load_n(&smp.state, __ATOMIC_ACQUIRE);
}

/* ---- discovery ---------------------------------------------------------- */

void smp_discover(const struct boot_info *bi, phys_reader rd, void *ctx)
{
	smp.have_madt = acpi_host_scan(&smp.acpi, bi, rd, ctx);
	smp.tramp_pa = smp_pick_trampoline(bi);
	const struct acpi_host *a = &smp.acpi;
	if (!a->rsdp_pa && !smp.have_madt) {
		pr_info("acpi: no firmware RSDP found; the boot CPU runs alone");
		return;
	}
	if (!smp.have_madt) {
		pr_info("acpi: RSDP at %#lx but no usable MADT; the boot CPU runs alone", a->rsdp_pa);
		return;
	}
	pr_info("acpi: MADT at %#lx (%s, RSDP revision %u %s): %u CPUs enabled, %u hot-plug slots",
		a->madt_pa, a->via_xsdt ? "XSDT" : "RSDT", a->rsdp_revision,
		a->rsdp_from_loader ? "from the loader" : "found in the BIOS area",
		a->nr_cpus + a->nr_dropped, a->nr_disabled);
}

const struct acpi_host *smp_firmware_acpi(void)
{
	return &smp.acpi;
}

/* ---- the AP side -------------------------------------------------------- */

static uint64_t tsc_ordered(void)
{
	/* LFENCE keeps RDTSC from running ahead of the lock's load (SDM Vol. 2B,
	 * RDTSC; AMD: LFENCE is dispatch-serialising on CPUs with SSE2). */
	__asm__ volatile("lfence" ::: "memory");
	return rdtsc();
}

static void tsc_sync_rounds(struct tsc_sync *s)
{
	for (unsigned int i = 0; i < TSC_SYNC_ROUNDS; i++) {
		spin_lock(&s->lock);
		uint64_t t = tsc_ordered();
		if (t < s->last && s->last - t > s->max_back)
			s->max_back = s->last - t;
		s->last = t;
		spin_unlock(&s->lock);
	}
	__atomic_fetch_add(&s->done, 1, __ATOMIC_ACQ_REL);
}

static __noreturn void ap_park(void)
{
	cpu_halt_forever();
}

/* Spin until *flag reaches at least `value`; park if the boot CPU gives up
 * meanwhile. */
static void ap_wait_for(volatile uint32_t *flag, uint32_t value)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < value) {
		if (state_get() == AP_ABANDONED)
			ap_park();
		cpu_relax();
	}
}

/* The boot CPU sent one kick after the TSC check: take it (interrupts on
 * just for that) to prove IPIs reach this CPU and its handler acknowledges. */
static bool ap_take_test_kick(void)
{
	uint64_t end = rdtsc() + ns_to_tsc(AP_KICK_WAIT_US * 1000);
	bool got;
	irq_enable();
	while (!(got = host_kicks_taken() > 0) && rdtsc() < end)
		cpu_relax();
	irq_disable();
	return got;
}

void smp_ap_entry(struct percpu *cpu);

/* Called by the trampoline on the AP's own stack, interrupts off. */
__noreturn void smp_ap_entry(struct percpu *cpu)
{
	write_cr0(smp.cr0);
	write_cr4(smp.cr4);
	gdt_init_cpu(cpu);
	idt_load();
	host_lapic_cpu_init();
	uint32_t apic_id = host_lapic_id();
	if (!state_move(AP_STARTING, AP_IN_C))
		ap_park(); /* the boot CPU gave up on us */

	ap_wait_for(&smp.tsc.go, 1);
	__atomic_store_n(&smp.tsc.ready, 1, __ATOMIC_RELEASE);
	tsc_sync_rounds(&smp.tsc);
	ap_wait_for(&smp.tsc.done, 2);

	if (vcpu_backend && vcpu_backend->cpu_enable(cpu)) {
		pr_err("smp: CPU %u (APIC ID %u): could not enable %s; CPU not used", cpu->id,
		       apic_id, vcpu_backend->name);
		state_move(AP_IN_C, AP_FAILED);
		ap_park();
	}
	bool kicked = ap_take_test_kick();
	if (apic_id != cpu->apic_id)
		pr_warn("smp: CPU %u answers with APIC ID %u, the MADT said %u; using %u", cpu->id,
			apic_id, cpu->apic_id, apic_id);
	cpu->apic_id = apic_id;
	uint64_t back = smp.tsc.max_back;
	if (back)
		pr_warn("smp: CPU %u (APIC ID %u) online, but its TSC is not in step with CPU 0's (one read "
			"went back %lu cycles); guest clocks may jump",
			cpu->id, apic_id, back);
	else if (!kicked)
		pr_warn("smp: CPU %u (APIC ID %u) online, but the boot CPU's test kick (vector %#x) never "
			"arrived; it may not leave guest mode when asked",
			cpu->id, apic_id, HOST_KICK_VECTOR);
	else
		pr_info("smp: CPU %u (APIC ID %u) online", cpu->id, apic_id);
	__atomic_store_n(&cpu->online, true, __ATOMIC_RELEASE);
	if (!state_move(AP_IN_C, AP_ONLINE)) {
		__atomic_store_n(&cpu->online, false, __ATOMIC_RELEASE);
		ap_park();
	}
	sched_ap_main();
	pr_err("smp: CPU %u: sched_ap_main returned; CPU halted", cpu->id);
	ap_park();
}

/* ---- the boot CPU side -------------------------------------------------- */

static struct ap_trampoline_data *tramp_data(void)
{
	return (struct ap_trampoline_data *)((uint8_t *)phys_to_virt(smp.tramp_pa) + AP_TRAMP_DATA);
}

/* Copy the trampoline to its page, make that page executable and give it a
 * PML4 below 4 GiB (a copy of the hypervisor's: same lower levels). */
static bool trampoline_install(void)
{
	size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);
	uint64_t pa = smp.tramp_pa;
	if (size > PAGE_SIZE || !paging_set_exec(pa))
		return false;
	bh_memcpy(phys_to_virt(pa), ap_trampoline_start, size);
	bh_memcpy(phys_to_virt(pa + PAGE_SIZE), phys_to_virt(paging_root()), PAGE_SIZE);

	struct ap_trampoline_data *d = tramp_data();
	d->gdtr_base += (uint32_t)pa;
	d->pm32_offset += (uint32_t)pa;
	d->lm64_offset += (uint32_t)pa;
	d->cr3_low = (uint32_t)(pa + PAGE_SIZE);
	/* Long mode, and NX if the boot CPU has it (the tables use bit 63). */
	d->efer = (uint32_t)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE));
	d->cr0 = (uint32_t)(CR0_PE | CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_MP);
	d->cr4 = (uint32_t)CR4_PAE;
	d->cr3 = paging_root();
	d->entry = (uint64_t)(uintptr_t)smp_ap_entry;
	smp.cr0 = read_cr0();
	smp.cr4 = read_cr4() & ~CR4_VMXE;
	return true;
}

/* Wait while the AP is in state `while_state`; false at end_tsc. */
static bool wait_state_change(uint64_t end_tsc, uint32_t while_state)
{
	while (state_get() == while_state) {
		if (rdtsc() > end_tsc)
			return false;
		cpu_relax();
	}
	return true;
}

static bool wait_flag(volatile uint32_t *flag, uint64_t end_tsc)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (rdtsc() > end_tsc)
			return false;
		cpu_relax();
	}
	return true;
}

enum ap_result { AP_RESULT_ONLINE, AP_RESULT_RETRYABLE, AP_RESULT_STUCK };

/* Start the CPU with APIC ID apic_id as percpu_area[id]. */
static enum ap_result start_ap(unsigned int id, uint32_t apic_id)
{
	struct percpu *cpu = &percpu_area[id];
	struct ap_trampoline_data *d = tramp_data();
	uint8_t page = (uint8_t)(smp.tramp_pa >> PAGE_SHIFT);

	bh_memset(cpu, 0, sizeof(*cpu));
	cpu->id = id;
	cpu->apic_id = apic_id;
	cpu->stack_top = (uint64_t)(uintptr_t)(percpu_stacks[id].stack + PERCPU_STACK_SIZE);
	d->stack_top = cpu->stack_top;
	d->percpu = (uint64_t)(uintptr_t)cpu;
	d->started = 0;
	smp.tsc = (struct tsc_sync){ .lock = SPINLOCK_INIT };
	__atomic_store_n(&smp.state, AP_STARTING, __ATOMIC_RELEASE);

	host_lapic_take_errors();
	bool sent = host_ipi_init(apic_id);
	udelay(INIT_DELAY_US);
	for (unsigned int i = 0; i < 2 && sent && !d->started; i++) {
		sent = host_ipi_startup(apic_id, page);
		udelay(SIPI_DELAY_US);
	}
	uint32_t esr = host_lapic_take_errors();
	if (!sent) {
		pr_warn("smp: APIC ID %u: the IPI was not accepted (ESR %#x); CPU not started",
			apic_id, esr);
		state_move(AP_STARTING, AP_ABANDONED);
		return AP_RESULT_RETRYABLE;
	}

	if (!wait_state_change(rdtsc() + ns_to_tsc(AP_REACH_C_US * 1000), AP_STARTING) &&
	    state_move(AP_STARTING, AP_ABANDONED)) {
		bool started = d->started;
		pr_warn("smp: APIC ID %u did not start (%s; ESR %#x)", apic_id,
			started ? "it reached long mode but not the C entry"
				: "it never reached long mode",
			esr);
		if (started)
			return AP_RESULT_STUCK;
		host_ipi_init(apic_id); /* back to wait-for-SIPI: it runs nothing of ours */
		return AP_RESULT_RETRYABLE;
	}

	uint64_t online_by = rdtsc() + ns_to_tsc(AP_ONLINE_US * 1000);
	__atomic_store_n(&smp.tsc.go, 1, __ATOMIC_RELEASE);
	if (wait_flag(&smp.tsc.ready, online_by)) {
		tsc_sync_rounds(&smp.tsc);
		host_ipi_send(apic_id, HOST_KICK_VECTOR);
	}
	if (!wait_state_change(online_by, AP_IN_C) && state_move(AP_IN_C, AP_ABANDONED)) {
		pr_warn("smp: APIC ID %u started but did not come online in time; CPU not used",
			apic_id);
		return AP_RESULT_STUCK;
	}
	if (state_get() == AP_FAILED) {
		/* Parked with interrupts off and no lock held: INIT makes its
		 * stack and descriptor tables free for the next CPU. */
		host_ipi_init(apic_id);
		return AP_RESULT_RETRYABLE;
	}
	return AP_RESULT_ONLINE;
}

/* Why the boot CPU runs alone, or NULL if APs can be started. */
static const char *cannot_start_aps(void)
{
	if (!smp.have_madt)
		return "no MADT";
	if (!host_lapic_mapped())
		return "no usable local APIC";
	if (!smp.tramp_pa)
		return "no free low memory for the start-up trampoline";
	return NULL;
}

static void print_summary(void)
{
	char ids[SUMMARY_IDS_MAX];
	int n = 0;
	for (unsigned int i = 0; i < MAX_CPUS; i++)
		if (percpu_area[i].online)
			n += bh_snprintf(ids + n, sizeof(ids) - (size_t)n, "%s%u", n ? " " : "",
					 percpu_area[i].apic_id);
	pr_info("smp: %u CPUs online (APIC IDs %s)", nr_cpus_online, ids);
}

unsigned int smp_start_aps(unsigned int max_cpus)
{
	uint32_t ids[MAX_CPUS - 1];
	unsigned int n = 0;

	percpu_area[0].apic_id = host_lapic_id();
	if (max_cpus != 1) {
		const char *why = cannot_start_aps();
		if (why)
			pr_info("smp: %s; the boot CPU runs alone", why);
		else
			n = smp_plan_aps(&smp.acpi, percpu_area[0].apic_id, max_cpus, ids,
					 ARRAY_SIZE(ids));
	}
	if (n && !trampoline_install()) {
		pr_warn("smp: cannot map the start-up trampoline at %#lx; the boot CPU runs alone",
			smp.tramp_pa);
		n = 0;
	}
	bool stuck = false;
	for (unsigned int i = 0; i < n && !stuck; i++) {
		enum ap_result r = start_ap(nr_cpus_online, ids[i]);
		if (r == AP_RESULT_ONLINE) {
			__atomic_store_n(&nr_cpus_online, nr_cpus_online + 1, __ATOMIC_RELEASE);
		} else if (r == AP_RESULT_STUCK) {
			/* It may still run on that slot's stack: no slot is safe to
			 * reuse, and later slots would leave a hole. */
			if (n - i - 1)
				pr_warn("smp: not starting the remaining %u CPUs", n - i - 1);
			stuck = true;
		}
	}
	/* W^X again for the trampoline page, unless a stuck AP may still be
	 * running in it (a fault there would reset the machine). The APs may
	 * keep an executable TLB entry for it until their next CR3 load; none
	 * of them jumps there again. */
	if (n && !stuck)
		paging_set_noexec(smp.tramp_pa);
	print_summary();
	return nr_cpus_online;
}

bool smp_kick(unsigned int cpu_id)
{
	if (cpu_id >= MAX_CPUS || !__atomic_load_n(&percpu_area[cpu_id].online, __ATOMIC_ACQUIRE))
		return false;
	return host_ipi_send(percpu_area[cpu_id].apic_id, HOST_KICK_VECTOR);
}
