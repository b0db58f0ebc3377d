/* SPDX-License-Identifier: BSD-2-Clause */
/* hello-prot (32-bit protected mode) and hello-long (64-bit long mode).
 *
 * Prints a greeting, checks the startup state the loader promised
 * (guests/README.md), and exercises the basic hypercalls: HC_VERSION,
 * HC_TIME_NS (time advances), HC_CONSOLE_WRITE (and its error returns), an
 * unknown number (HC_ENOSYS) and, in long mode, HC_PRINT_STATS. */
#include "rt.h"

#ifdef __x86_64__
#define MODE_NAME "64-bit long mode"
#else
#define MODE_NAME "32-bit protected mode"
#endif

#define TIME_SPIN_LIMIT 10000000u
#define HC_UNKNOWN_NR 0x7777
#define PDE_P 0x1
#define PDE_RW 0x2
#define PDE_PS 0x80
#define PAGE_2M 0x200000ull
#define PTE_ADDR_MASK 0x000ffffffffff000ull

static void check_mode(void)
{
	uintptr_t cr0 = rt_boot.cr0;

#ifdef __x86_64__
	uint64_t efer = 0;

	rt_check("startup_mode", (cr0 & CR0_PE) && (cr0 & CR0_PG) && (rt_boot.cr4 & CR4_PAE),
		 "cr0 0x%lx cr4 0x%lx: want PE, PG and PAE", (unsigned long)cr0,
		 (unsigned long)rt_boot.cr4);
	if (rt_try_rdmsr(MSR_EFER, &efer) >= 0)
		rt_fail("startup_efer", "rdmsr EFER faulted");
	else
		rt_check("startup_efer", (efer & EFER_LME) && (efer & EFER_LMA),
			 "EFER 0x%llx: want LME and LMA", (unsigned long long)efer);
#else
	rt_check("startup_mode", (cr0 & CR0_PE) && !(cr0 & CR0_PG),
		 "cr0 0x%lx: want PE set and PG clear", (unsigned long)cr0);
#endif
}

static void check_stack(void)
{
	uintptr_t sp = rt_boot.sp;
	uintptr_t end = (uintptr_t)__image_end;

	if (rt_boot.eax == MB1_BOOT_MAGIC) {
		rt_puts("hello: Multiboot smoke boot, loader stack not checked\n");
		return;
	}
#ifdef __x86_64__
	/* RSP lies above our image and below the page tables at CR3. */
	rt_check("startup_stack", sp > end && sp <= (rt_boot.cr3 & ~0xfffull) && !(sp & 7),
		 "rsp %p: want 8-byte aligned, above image end %p, at or below cr3 %p", (void *)sp,
		 (void *)end, (void *)rt_boot.cr3);
#else
	/* ESP = top of RAM minus 16, above our image. */
	rt_check("startup_stack", sp > end && !(sp & 15),
		 "esp %p: want 16-byte aligned and above image end %p", (void *)sp, (void *)end);
#endif
}

#ifdef __x86_64__
/* Walks the loader's page tables (identity-mapped, so readable at their
 * physical addresses) and checks that every 2 MiB page of the first 4 GiB
 * maps to itself (SDM Vol. 3A §4.5, Figure 4-9). */
static void check_identity_map(void)
{
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)(rt_boot.cr3 & PTE_ADDR_MASK);
	const uint64_t *pdpt;

	if (!(pml4[0] & PDE_P)) {
		rt_fail("identity_map_4g", "PML4[0] 0x%llx not present", (unsigned long long)pml4[0]);
		return;
	}
	pdpt = (const uint64_t *)(uintptr_t)(pml4[0] & PTE_ADDR_MASK);
	for (unsigned i = 0; i < 4; i++) {
		const uint64_t *pd;

		if (!(pdpt[i] & PDE_P) || (pdpt[i] & PDE_PS)) {
			rt_fail("identity_map_4g", "PDPT[%u] 0x%llx: want a present page directory",
				i, (unsigned long long)pdpt[i]);
			return;
		}
		pd = (const uint64_t *)(uintptr_t)(pdpt[i] & PTE_ADDR_MASK);
		for (unsigned j = 0; j < 512; j++) {
			uint64_t want = ((uint64_t)i * 512 + j) * PAGE_2M;
			uint64_t e = pd[j];

			if ((e & (PDE_P | PDE_RW | PDE_PS)) != (PDE_P | PDE_RW | PDE_PS) ||
			    (e & PTE_ADDR_MASK & ~(PAGE_2M - 1)) != want) {
				rt_fail("identity_map_4g", "PD entry for 0x%llx is 0x%llx",
					(unsigned long long)want, (unsigned long long)e);
				return;
			}
		}
	}
	rt_pass("identity_map_4g");
}
#endif

static void check_time(void)
{
	unsigned long t1 = rt_hc_time_ns(), t2 = t1;

	/* Wait until the clock moves; it has nanosecond resolution, so even a
	 * few exits must show. Wraparound is handled by the difference. */
	for (unsigned i = 0; i < TIME_SPIN_LIMIT && t2 == t1; i++) {
		cpu_relax();
		if (!(i % 1000))
			t2 = rt_hc_time_ns();
	}
	rt_check("hc_time_advances", (long)(t2 - t1) > 0, "HC_TIME_NS gave %lu then %lu", t1, t2);
}

static void check_console_write(void)
{
	static const char msg[] = "hello: this line was written with HC_CONSOLE_WRITE\n";
	long ret = rt_hc_console_write(msg, sizeof(msg) - 1);

	rt_check("hc_console_write", ret == (long)(sizeof(msg) - 1), "returned %ld, want %ld", ret,
		 (long)(sizeof(msg) - 1));
	ret = rt_hc_console_write(msg, HC_CONSOLE_MAX + 1);
	rt_check("hc_console_write_too_long", ret == HC_EINVAL, "returned %ld, want %d (HC_EINVAL)",
		 ret, HC_EINVAL);
#ifdef __x86_64__
	/* 16 TiB: beyond the RAM of any test partition. */
	ret = rt_hypercall(HC_CONSOLE_WRITE, 0x100000000000ul, 16, 0, 0);
#else
	/* Just below 4 GiB: beyond RAM, and not RAM in any memory map. */
	ret = rt_hypercall(HC_CONSOLE_WRITE, 0xfffff000ul, 16, 0, 0);
#endif
	rt_check("hc_console_write_bad_buffer", ret == HC_EFAULT,
		 "returned %ld, want %d (HC_EFAULT)", ret, HC_EFAULT);
}

void guest_main(void)
{
	long ret;

	rt_printf("Hello from a Bulkhead test guest in " MODE_NAME "\n");
	check_mode();
	check_stack();
#ifdef __x86_64__
	check_identity_map();
#endif
	ret = rt_hc_version();
	rt_check("hc_version", ret == HC_ABI_VERSION, "returned 0x%lx, want 0x%x",
		 (unsigned long)ret, HC_ABI_VERSION);
	check_time();
	check_console_write();
	ret = rt_hypercall(HC_UNKNOWN_NR, 0, 0, 0, 0);
	rt_check("hc_unknown_enosys", ret == HC_ENOSYS, "returned %ld, want %d (HC_ENOSYS)", ret,
		 HC_ENOSYS);
#ifdef __x86_64__
	ret = rt_hc_print_stats();
	rt_check("hc_print_stats", ret == 0, "returned %ld, want 0", ret);
#endif
}
