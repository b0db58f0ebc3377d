/* SPDX-License-Identifier: BSD-2-Clause */
/* boot_main: from the first C instruction to the point where core/ takes
 * over. Order matters: console first (so every later failure can be told),
 * then descriptor tables (so faults are reported), then boot information,
 * memory and the final page tables. */
#include "arch/x86/boot/bootinfo.h"
#include "arch/x86/boot/multiboot.h"
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/cr4.h"
#include "arch/x86/cpu/features.h"
#include "arch/x86/cpu/gdt.h"
#include "arch/x86/cpu/paging.h"
#include "arch/x86/cpu/smp.h"
#include "arch/x86/cpu/stack_protector.h"
#include "arch/x86/cpu/trap.h"
#include "arch/x86/cpu/tsc.h"
#include "arch/x86/video/screen.h"
#include "core/console.h"
#include "core/cmdline.h"
#include "core/hv.h"
#include "core/lib/string.h"
#include "core/log.h"
#include "core/memmap.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/percpu.h"
#include "arch/x86/cpu/platform_exit.h"
#include "arch/x86/hostdev/i8259.h"
#include "arch/x86/hostdev/lapic.h"
#include "arch/x86/hostdev/cmos_clock.h"
#include "arch/x86/hostdev/uart.h"

extern char __image_start[], __image_end[];
extern char boot_stack_top[];

/* The boot information, copied out of loader memory first thing. Written by
 * the boot CPU during boot only. */
static struct boot_info boot_info;
static struct memmap boot_memmap;
static struct hv_options hv_opts;

/* Identity-mapped physical memory below 4 GiB is all we can read before the
 * final page tables (the boot tables map exactly that). */
static const void *read_phys_low(void *ctx, uint64_t pa, uint64_t len)
{
	if (pa == 0 || pa + len < pa || pa + len > BOOT_IDENTITY_MAP_END)
		return NULL;
	return (const void *)(uintptr_t)pa;
}

static bool collect_boot_info(uint32_t magic, uint64_t info)
{
	switch (magic) {
	case BOOT_MAGIC_MULTIBOOT1:
		return multiboot1_parse(&boot_info, info, read_phys_low, NULL);
	case BOOT_MAGIC_MULTIBOOT2:
		return multiboot2_parse(&boot_info, info, read_phys_low, NULL);
	case BOOT_MAGIC_BULKHEAD_EFI: {
		const struct boot_info *src = (const struct boot_info *)(uintptr_t)info;
		if (!src || src->magic != BOOT_INFO_MAGIC || src->version != BOOT_INFO_VERSION) {
			pr_err("boot: the UEFI loader's boot information has a bad magic or version");
			return false;
		}
		bh_memcpy(&boot_info, src, sizeof(boot_info));
		if (boot_info.nr_mem > BOOT_MAX_MEM_RANGES ||
		    boot_info.nr_modules > BOOT_MAX_MODULES) {
			pr_err("boot: the UEFI loader's boot information has impossible counts");
			return false;
		}
		boot_info.cmdline[BOOT_CMDLINE_MAX - 1] = '\0';
		boot_info.loader_name[sizeof(boot_info.loader_name) - 1] = '\0';
		for (unsigned int i = 0; i < boot_info.nr_modules; i++)
			boot_info.modules[i].cmdline[BOOT_MODULE_CMDLINE_MAX - 1] = '\0';
		return boot_info.nr_mem > 0;
	}
	default:
		pr_err("boot: entered with unknown magic %#x: not a Multiboot or Bulkhead loader",
		       magic);
		return false;
	}
}

static const char *boot_source_name(uint32_t src)
{
	switch (src) {
	case BOOT_SRC_MULTIBOOT1:
		return "multiboot1";
	case BOOT_SRC_MULTIBOOT2:
		return "multiboot2";
	case BOOT_SRC_UEFI:
		return "uefi";
	default:
		return "unknown";
	}
}

static bool in_usable_ram(uint64_t start, uint64_t end)
{
	for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
		const struct boot_mem_range *r = &boot_info.mem[i];
		if (r->type == BOOT_MEM_USABLE && start >= r->base && end <= r->base + r->len)
			return true;
	}
	return false;
}

/* Drop modules that overlap the hypervisor, each other, or lie outside RAM
 * the firmware calls usable (a truncated or misplaced module): loading from
 * them would read garbage. */
static void validate_modules(void)
{
	uint64_t img_s = (uintptr_t)__image_start, img_e = (uintptr_t)__image_end;
	for (unsigned int i = 0; i < boot_info.nr_modules;) {
		struct boot_module *m = &boot_info.modules[i];
		const char *why = NULL;
		if (!in_usable_ram(m->start, m->end))
			why = "does not lie in usable RAM (truncated or misplaced)";
		else if (m->start < img_e && img_s < m->end)
			why = "overlaps the hypervisor image";
		for (unsigned int j = 0; j < i && !why; j++)
			if (m->start < boot_info.modules[j].end && boot_info.modules[j].start < m->end)
				why = "overlaps another module";
		if (!why) {
			i++;
			continue;
		}
		pr_warn("boot: module %u (%#lx-%#lx, '%s') %s; ignored", i, m->start, m->end,
			m->cmdline, why);
		for (unsigned int j = i; j + 1 < boot_info.nr_modules; j++)
			boot_info.modules[j] = boot_info.modules[j + 1];
		boot_info.nr_modules--;
		boot_info.dropped_modules++;
	}
}

static void setup_memory(void)
{
	struct mem_range reserve[BOOT_MAX_MODULES + 3];
	unsigned int n = 0;

	/* The first MiB: real-mode IVT, BDA, EBDA, option ROMs, and later the
	 * AP start-up trampoline. */
	reserve[n++] = (struct mem_range){ 0, MiB(1) };
	reserve[n++] = (struct mem_range){ (uintptr_t)__image_start,
					   (uintptr_t)__image_end - (uintptr_t)__image_start };
	for (unsigned int i = 0; i < boot_info.nr_modules; i++)
		reserve[n++] = (struct mem_range){ boot_info.modules[i].start,
						   boot_info.modules[i].end -
								   boot_info.modules[i].start };
	memmap_build(&boot_memmap, &boot_info, reserve, n);
	frame_init(&hv_frames, &boot_memmap, NULL);
	/* The boot page tables map the first 4 GiB only (entry.S), and the
	 * final tables are built from frames zeroed through them. Once those
	 * tables map all of RAM, any frame will do. */
	frame_set_limit(&hv_frames, BOOT_IDENTITY_MAP_END);
	if (!paging_init(boot_memmap.highest_addr)) {
		pr_err("boot: out of memory below 4 GiB while building page tables");
		platform_exit(PLATFORM_EXIT_FAILURE);
	}
	frame_set_limit(&hv_frames, 0);
	kheap_init();
}

/* test_fault=stack: write len bytes into a 16-byte stack buffer, past its
 * end and over the canary, so the return is refused (__stack_chk_fail). */
static __attribute__((noinline)) void smash_stack(volatile unsigned int len)
{
	volatile uint8_t buf[16];

	for (unsigned int i = 0; i < len; i++)
		buf[i] = 0xa5;
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static void trigger_test_fault(enum test_fault f)
{
	pr_info("boot: raising a deliberate exception (test_fault option)");
	switch (f) {
	case TEST_FAULT_UD:
		__asm__ volatile("ud2");
		break;
	case TEST_FAULT_GP:
		wrmsr(0xdeadbeef, 0); /* no such MSR */
		break;
	case TEST_FAULT_PF: {
		volatile uint64_t *volatile null_page = (volatile uint64_t *)8;
		*null_page = 0; /* page 0 is unmapped */
	} break;
	case TEST_FAULT_DE: {
		volatile uint32_t zero = 0;
		volatile uint32_t r = 1 / zero;
		(void)r;
		break;
	}
	case TEST_FAULT_STACK:
		smash_stack(40);
		break;
	case TEST_FAULT_IST_GUARD: {
		/* The guard page below CPU 0's NMI stack (IST2): as an NMI
		 * handler overflowing its stack would touch first. */
		volatile uint8_t *guard =
				(volatile uint8_t *)(gdt_ist_guard(0, IST_NMI - 1) + PAGE_SIZE - 8);
		*guard = 0;
		break;
	}
	case TEST_FAULT_NONE:
		break;
	}
}

/* Issue 12, hardening: the hypervisor's own W^X page tables need NX (a
 * CPU without it cannot keep data from running); CR0.WP makes read-only
 * mappings hold for the hypervisor too, whatever the loader left (UEFI
 * firmware may clear it); SMEP and SMAP, where the CPU has them, stop the
 * hypervisor from running or touching user pages (it maps none, so any
 * such access is a bug or an attack). Set on the boot CPU before the APs
 * start: they copy its CR0 and CR4. */
static void harden_cpu(void)
{
	if (!boot_cpu.has_nx) {
		pr_err("boot: the CPU has no NX (execute disable, CPUID 8000_0001h EDX[20]); "
		       "Bulkhead needs it for its W^X page tables");
		platform_exit(PLATFORM_EXIT_FAILURE);
	}
	write_cr0(read_cr0() | CR0_WP);
	uint64_t cr4 = read_cr4();
	if (boot_cpu.has_smep)
		cr4 |= CR4_SMEP;
	if (boot_cpu.has_smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
	pr_info("cpu: protections: NX, CR0.WP%s%s", boot_cpu.has_smep ? ", SMEP" : "",
		boot_cpu.has_smap ? ", SMAP" : "");
}

/* The hypervisor never uses the FPU, but switches guests' x87/SSE state with
 * FXSAVE/FXRSTOR, which need CR4.OSFXSR and CR0.EM clear (SDM Vol. 3A §13.1). */
static void fpu_init_cpu(void)
{
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

__attribute__((no_stack_protector)) void boot_main(uint32_t magic, uint64_t info);

void boot_main(uint32_t magic, uint64_t info)
{
	struct percpu *bsp = &percpu_area[0];

	uart_init(UART_COM1);
	bsp->id = 0;
	gdt_init_cpu(bsp);
	idt_init();
	idt_load();
	i8259_disable();

	bool ok = collect_boot_info(magic, info);
	hv_options_defaults(&hv_opts);
	hv_options_parse(&hv_opts, boot_info.cmdline);
	log_level = hv_opts.loglevel;
	platform_exit_enabled = hv_opts.on_idle == ON_IDLE_EXIT;
	trap_exit_on_fatal = platform_exit_enabled;
	if (hv_opts.serial_port != UART_COM1)
		uart_init(hv_opts.serial_port);

	/* The screen mirrors the console from the banner on; a framebuffer
	 * above what the boot page tables map stays dark. */
	bool screen = ok && screen_init(&boot_info, BOOT_IDENTITY_MAP_END);
	if (screen)
		console_set_mirror(screen_write);
	pr_info("Bulkhead %s (git %s) booted via %s (%s)", BULKHEAD_VERSION, BULKHEAD_GIT,
		boot_source_name(boot_info.source),
		boot_info.loader_name[0] ? boot_info.loader_name : "no name");
	if (screen)
		pr_info("screen: the console is mirrored to %s", screen_describe());
	if (!ok) {
		pr_err("boot: cannot continue without usable boot information");
		platform_exit(PLATFORM_EXIT_FAILURE);
	}
	cpu_features_init();
	const char *canary_source = stack_protector_init();
	harden_cpu();
	pr_info("cpu: stack protector: canary from %s, guard pages below every stack", canary_source);
	fpu_init_cpu();
	validate_modules();
	/* Firmware tables and the AP trampoline's page, while the boot page
	 * tables still map page 0 (the BIOS data area) and nothing low has
	 * been reused. */
	smp_discover(&boot_info, read_phys_low, NULL);
	setup_memory();
	tsc_init();
	host_lapic_init();
	host_clock_init();
	bsp->stack_top = (uintptr_t)boot_stack_top;
	bsp->online = true;
	nr_cpus_online = 1;

	if (hv_opts.test_fault != TEST_FAULT_NONE) {
		hv_print_banner(&boot_info, &boot_memmap);
		trigger_test_fault(hv_opts.test_fault);
	}
	hv_main(&boot_info, &boot_memmap, &hv_opts);
}
