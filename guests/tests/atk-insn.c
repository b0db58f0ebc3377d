/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-insn: instructions a guest may use to reach past its partition or
 * wedge a host CPU (issue 12): MONITOR/MWAIT (not offered: #UD; a guest
 * must not sleep a host CPU in MWAIT), INVD (must never run on the host:
 * it would drop other partitions' dirty cache lines) and WBINVD, RDPMC of
 * counters that do not exist, a sweep of CPUID leaves and subleaves (the
 * answers must be stable and carry no host-only leaf), a page-table
 * self-map (PML4 entry pointing at the PML4: the guest's own business,
 * but the hypervisor's guest page walks must cope), far jumps and calls
 * through selectors past the GDT (#GP), INVLPG of non-canonical
 * addresses and INVPCID. Runs in long mode. */
#include "atk.h"

#define CPUID1_ECX_MONITOR (1u << 3)
#define PTE_P 1ull
#define PTE_W 2ull
#define PTE_ADDR 0x000ffffffffff000ull
#define SELFMAP_SLOT 300 /* a PML4 slot the loader leaves empty */

static int try_monitor_mwait(void)
{
	static uint8_t line[64] __attribute__((aligned(64)));
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "monitor" RT_TRY_END : : "a"(line), "c"(0), "d"(0) : "memory");
	int v1 = atk_vector();
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "mwait" RT_TRY_END : : "a"(0), "c"(0) : "memory");
	int v2 = atk_vector();
	return v1 == v2 ? v1 : 100 + v2;
}

static void monitor_mwait(void)
{
	bool offered = cpuid(1, 0).ecx & CPUID1_ECX_MONITOR;
	int v = try_monitor_mwait();
	/* Not offered: #UD. If it ever is, MWAIT must return (no wake-up
	 * source is armed, so it may only return because the hypervisor
	 * treats it as a NOP or HLT with IF = 0 would have stopped us). */
	rt_check("monitor_mwait", offered ? v < 0 : v == VEC_UD, "offered %d, vector %d", offered, v);
	/* And with interrupts off, a loop of them. */
	irq_disable();
	unsigned bad = 0;
	for (unsigned i = 0; i < 2000; i++)
		bad += try_monitor_mwait() != v;
	rt_check_eq("mwait_loop_if_clear", "differing outcomes", bad, 0);
}

static void cache_insns(void)
{
	static volatile uint64_t dirty[512];
	for (unsigned i = 0; i < ARRAY_SIZE(dirty); i++)
		dirty[i] = 0x1111111111111111ull * (i & 0xF);
	for (unsigned i = 0; i < 200; i++)
		asm volatile("invd" : : : "memory");
	for (unsigned i = 0; i < 200; i++)
		asm volatile("wbinvd" : : : "memory");
	unsigned lost = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(dirty); i++)
		lost += dirty[i] != 0x1111111111111111ull * (i & 0xF);
	rt_check_eq("invd_wbinvd_flood", "words lost", lost, 0);
	int v[3];
	static const uint32_t ctr[3] = { 0x7fffffff, 0x40000000, 0xffffffff };
	for (unsigned i = 0; i < 3; i++) {
		rt_exc_prepare();
		asm volatile(RT_TRY_BEGIN "rdpmc" RT_TRY_END
			     :
			     : "c"(ctr[i])
			     : "rax", "rdx", "memory");
		v[i] = atk_vector();
	}
	/* #GP on hardware; #UD where the hypervisor offers no counters. */
	bool ok = true;
	for (unsigned i = 0; i < 3; i++)
		ok = ok && (v[i] == VEC_GP || v[i] == VEC_UD);
	rt_check("rdpmc_bad_counters", ok, "vectors %d %d %d", v[0], v[1], v[2]);
}

static bool leaf_same(uint32_t l, uint32_t s)
{
	struct cpuid_regs a = cpuid(l, s), b = cpuid(l, s);
	return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

static void cpuid_sweep(void)
{
	static const uint32_t bases[] = { 0,          0x40000000, 0x80000000,
					  0xC0000000, 0x8FFFFFF0, 0xFFFFFFF0 };
	unsigned unstable = 0, n = 0;
	for (unsigned b = 0; b < ARRAY_SIZE(bases); b++)
		for (uint32_t l = bases[b]; l < bases[b] + 0x40 && l >= bases[b]; l++)
			for (uint32_t s = 0; s < 8; s++, n++)
				unstable += !leaf_same(l, s * 0x1234567u);
	/* A flood of exits: 40,000 more. */
	uint32_t x = 12345;
	for (unsigned i = 0; i < 40000; i++, n++) {
		x = x * 1103515245u + 12345u;
		cpuid(x, x >> 7);
	}
	struct cpuid_regs hv = cpuid(CPUID_HV_BASE, 0);
	rt_printf("atk-insn: %u CPUID exits\n", n);
	rt_check("cpuid_leaf_flood",
		 unstable == 0 && hv.ebx == BULKHEAD_SIG_EBX && hv.ecx == BULKHEAD_SIG_ECX,
		 "%u unstable answers", unstable);
}

static void selfmap(void)
{
	uint64_t *pml4 = (uint64_t *)(read_cr3() & PTE_ADDR);
	uint64_t slot = SELFMAP_SLOT;
	if (pml4[slot]) {
		rt_fail("page_table_selfmap", "slot in use");
		return;
	}
	pml4[slot] = ((uint64_t)pml4 & PTE_ADDR) | PTE_P | PTE_W;
	asm volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory");
	/* The PML4 seen as a page: slot -> slot -> slot -> slot. */
	uint64_t va = slot << 39 | slot << 30 | slot << 21 | slot << 12;
	va |= 0xffff000000000000ull * ((va >> 47) & 1); /* canonical */
	volatile uint64_t *view = (volatile uint64_t *)va;
	bool ok = view[slot] == pml4[slot] && view[0] == pml4[0];
	/* An MMIO-looking access through the self-map (a port exit in between). */
	outb(0x80, 0);
	ok = ok && view[slot] == pml4[slot];
	pml4[slot] = 0;
	asm volatile("mov %0, %%cr3" : : "r"(read_cr3()) : "memory");
	rt_check("page_table_selfmap", ok, "the self-map did not read back the PML4");
}

static void task_switch_and_tlb(void)
{
	struct __attribute__((packed)) {
		uint32_t off;
		uint16_t sel;
	} far = { 0, SEL_CODE32 + 0x30 };
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "ljmp *%0" RT_TRY_END : : "m"(far) : "memory");
	int v1 = atk_vector();
	far.sel = 0x38; /* beyond the runtime's GDT */
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "lcall *%0" RT_TRY_END : : "m"(far) : "memory");
	int v2 = atk_vector();
	for (uint64_t a = 1ull << 47; a < (1ull << 63); a <<= 1)
		asm volatile("invlpg (%0)" : : "r"(a) : "memory"); /* a NOP (SDM Vol. 2A) */
	struct {
		uint64_t pcid, addr;
	} desc = { 0xFFF, 0xdead000000000000ull };
	rt_exc_prepare();
	asm volatile(RT_TRY_BEGIN "invpcid %0, %1" RT_TRY_END : : "m"(desc), "r"(0ul) : "memory");
	int v3 = atk_vector();
	rt_check("far_jump_task_invlpg_invpcid",
		 v1 == VEC_GP && v2 == VEC_GP && (v3 == VEC_UD || v3 == VEC_GP), "vectors %d %d %d",
		 v1, v2, v3);
}

void guest_main(void)
{
	monitor_mwait();
	cache_insns();
	cpuid_sweep();
	selfmap();
	task_switch_and_tlb();
}
