/* SPDX-License-Identifier: BSD-2-Clause */
/* Partition life cycle: create (RAM, stage-2 tables, devices, vCPUs, image),
 * stop (one line saying why), restart from the original image. */
#include "core/exits.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/loader/image.h"
#include "core/loader/linux_boot.h"
#include "core/loader/multiboot_boot.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/sched.h"
#include "core/stats.h"
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"

/* Created by the boot CPU; afterwards each partition is touched only by the
 * CPU running it (the scheduler gives a partition to one CPU at a time). */
struct partition partitions[MAX_PARTITIONS];
unsigned int nr_partitions;

uint64_t partition_time_ns(const struct partition *p)
{
	return time_ns() - p->start_ns;
}

static bool alloc_ram(struct partition *p)
{
	/* Contiguous and 2 MiB aligned, so the stage-2 tables use 2 MiB pages. */
	p->ram_size = p->cfg.mem;
	p->ram_hpa = frame_alloc_pages(p->ram_size, MiB(2));
	if (!p->ram_hpa)
		return false;
	bh_memset(&p->mem, 0, sizeof(p->mem));
	return gmem_add_region(&p->mem, 0, p->ram_size, phys_to_virt(p->ram_hpa));
}

static struct cpuid_result host_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r = cpuid(leaf, subleaf);
	return (struct cpuid_result){ r.eax, r.ebx, r.ecx, r.edx };
}

static void build_cpuid(struct partition *p)
{
	struct cpuid_policy pol = {
		.vcpu_id = 0,
		.nr_vcpus = p->cfg.cpus,
		.tsc_khz = (uint32_t)(tsc_hz() / 1000),
		.lapic_khz = 1000000,
		.tsc_aux = vcpu_caps && vcpu_caps->tsc_aux,
		.x2apic = manifest_x2apic_on(&p->cfg),
		.kvm_pv = manifest_kvm_pv_on(&p->cfg),
	};
	cpuid_table_build(&p->cpuid, &pol, host_cpuid);
	p->maxphyaddr = cpuid_table_maxphyaddr(&p->cpuid);
}

static bool create_vcpus(struct partition *p)
{
	for (unsigned int i = 0; i < p->cfg.cpus; i++) {
		struct vcpu *v = kzalloc(sizeof(*v));
		if (!v)
			return false;
		v->part = p;
		v->id = i;
		v->state = i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI;
		v->timer_deadline_ns = UINT64_MAX; /* its LAPIC timer is off */
		p->vcpu[i] = v;
		p->nr_vcpus = i + 1;
		if (vcpu_backend->vcpu_create(v))
			return false;
	}
	return true;
}

/* PCI BARs live from 3 GiB up (the DSDT's window): RAM must stay below. */
#define LINUX_RAM_MAX GiB(3)

static bool is_linux(const struct partition *p)
{
	return p->cfg.kind == MANIFEST_KIND_LINUX ||
	       (p->cfg.kind == MANIFEST_KIND_AUTO && linux_is_bzimage(p->image, p->image_size));
}

static bool is_multiboot(const struct partition *p)
{
	return p->cfg.kind == MANIFEST_KIND_MULTIBOOT;
}

/* The ACPI tables (RSDP, RSDT/XSDT, MADT, FADT/FACS, DSDT) in the BIOS area
 * [0xE0000, 1 MiB), where an OS scans for the RSDP (ACPI 6.x §5.2.5.1). */
static gpa_t install_acpi(struct partition *p, uint64_t *size)
{
	return platform_install_acpi(p, LINUX_BIOS_AREA, size);
}

/* The Linux boot protocol (core/loader/linux_boot.h): ACPI tables in the
 * BIOS area, then kernel, zero page, command line and initrd; the BSP starts
 * at the 32-bit entry point. */
static bool load_linux(struct partition *p, struct vcpu_sregs *s)
{
	struct vcpu *v = p->vcpu[0];
	struct linux_image img;
	struct linux_layout l;
	char why[LINUX_WHY_MAX];

	if (p->ram_size > LINUX_RAM_MAX) {
		pr_err("[%s] refused: a Linux partition has at most %lu MiB (mem=)", p->name,
		       LINUX_RAM_MAX >> 20);
		return false;
	}
	if (!linux_probe(p->image, p->image_size, &img, why, sizeof(why))) {
		pr_err("[%s] refused: %s", p->name, why);
		return false;
	}
	if (p->cfg.mode_given || p->cfg.load != MANIFEST_NO_ADDR || p->cfg.entry != MANIFEST_NO_ADDR) {
		pr_err("[%s] refused: keys mode/load/entry do not apply to a Linux kernel", p->name);
		return false;
	}
	/* Linux learns the TSC frequency from CPUID 0x15 only on Intel CPUs;
	 * elsewhere it would calibrate against the emulated PIT and PM timer,
	 * whose every read is a VM exit: tell it, as firmware would. */
	char cmdline[MANIFEST_CMDLINE_MAX + 64];
	size_t n = bh_snprintf(cmdline, sizeof(cmdline), "%s", p->cfg.cmdline);
	if (!bh_strstr(p->cfg.cmdline, "tsc_early_khz="))
		n += bh_snprintf(cmdline + n, sizeof(cmdline) - n, "%stsc_early_khz=%lu",
				 n ? " " : "", tsc_hz() / 1000);
	/* Every vCPU reads the same host TSC (offset 0), so the TSCs are in
	 * sync by construction; Linux's own check would time two vCPUs
	 * spinning against each other, which fails when they share a host
	 * CPU, and would drop to the slow ACPI PM timer. */
	if (p->cfg.cpus > 1 && !bh_strstr(p->cfg.cmdline, "tsc="))
		n += bh_snprintf(cmdline + n, sizeof(cmdline) - n, " tsc=reliable");
	/* Linux's check_timer counts IRQ0s during a fixed number of TSC cycles
	 * and wants 5; a vCPU that its host CPU ran late in that window (a
	 * busy host, an emulator) sees missed PIT edges coalesced into one and
	 * reports "MP-BIOS bug: 8254 timer not connected to IO-APIC". Under
	 * KVM, Linux skips the check for that reason; a Bulkhead guest is told
	 * to, as nothing tells it it is virtual. */
	if (!bh_strstr(p->cfg.cmdline, "no_timer_check"))
		n += bh_snprintf(cmdline + n, sizeof(cmdline) - n, " no_timer_check");
	/* On an AMD family 0Fh CPU (QEMU's qemu64 model) Linux looks for an
	 * AGP bridge's GART aperture twice early in boot, reading the vendor
	 * of every slot of all 256 PCI buses through ports 0xCF8/0xCFC: 33,000
	 * exits, 87% of a boot's. A partition's PCI bus holds no chipset
	 * those early quirks are for, so they are turned off. */
	if (!bh_strstr(p->cfg.cmdline, "pci="))
		bh_snprintf(cmdline + n, sizeof(cmdline) - n, " pci=noearly");
	uint64_t acpi_size = 0;
	gpa_t rsdp = 0;
	if (manifest_acpi_on(&p->cfg, true) && !(rsdp = install_acpi(p, &acpi_size)))
		return false;
	struct linux_load_params lp = {
		.mem = &p->mem,
		.ram_size = p->ram_size,
		.initrd = p->initrd,
		.initrd_size = p->initrd_size,
		.cmdline = cmdline,
		.acpi_base = rsdp ? LINUX_BIOS_AREA : 0,
		.acpi_size = acpi_size,
		.rsdp = rsdp,
	};
	if (!linux_load(&img, &lp, &l, why, sizeof(why))) {
		pr_err("[%s] refused: %s", p->name, why);
		return false;
	}
	linux_entry_state(&l, s, v->gpr, &v->rip, &v->rflags);
	pr_info("[%s] Linux boot protocol %u.%02u: kernel %lu KiB at %#lx, initrd %lu KiB at %#lx, "
		"ACPI at %#lx, command line \"%s\"",
		p->name, img.version >> 8, img.version & 0xff, l.kernel_size >> 10, l.kernel,
		l.initrd_size >> 10, l.initrd, rsdp, cmdline);
	return true;
}

/* Multiboot 0.6.96 (core/loader/multiboot_boot.h): ACPI tables in the BIOS
 * area, then kernel, modules and the information structure. The command
 * line starts with the partition's name, as GRUB and QEMU start it with
 * the kernel's file name: kernels skip that first word. */
static bool load_multiboot(struct partition *p, struct vcpu_sregs *s)
{
	struct vcpu *v = p->vcpu[0];
	struct mb1_module mods[MANIFEST_MAX_MB_MODULES];
	struct mb1_layout l;
	char why[MB1_WHY_MAX];
	char cmdline[MANIFEST_NAME_MAX + MANIFEST_CMDLINE_MAX + 1];
	uint64_t acpi_size = 0;
	gpa_t rsdp = 0;

	if (manifest_acpi_on(&p->cfg, false) && !(rsdp = install_acpi(p, &acpi_size)))
		return false;
	bh_snprintf(cmdline, sizeof(cmdline), "%s%s%s", p->name, p->cfg.cmdline[0] ? " " : "",
		    p->cfg.cmdline);
	for (unsigned int i = 0; i < p->nr_mb_modules; i++)
		mods[i] = (struct mb1_module){ p->mb_module[i].data, p->mb_module[i].size,
					       p->mb_module[i].string };
	struct mb1_load_params lp = {
		.mem = &p->mem,
		.ram_size = p->ram_size,
		.cmdline = cmdline,
		.modules = mods,
		.nr_modules = p->nr_mb_modules,
	};
	if (!mb1_load(p->image, p->image_size, &lp, &l, why, sizeof(why))) {
		pr_err("[%s] refused: %s", p->name, why);
		return false;
	}
	mb1_entry_state(&l, s, v->gpr, &v->rip, &v->rflags);
	pr_info("[%s] Multiboot kernel (%s): %#lx-%#lx, entry %#x, %u module(s), info at %#lx, "
		"ACPI %s, command line \"%s\"",
		p->name,
		l.aout_kludge ? "address fields"
		: l.elf64     ? "ELF64"
			      : "ELF32",
		l.kernel_lo, l.kernel_hi, l.entry, l.nr_modules, l.info,
		rsdp ? "at 0xe0000" : "off", cmdline);
	return true;
}

/* Any other image (flat or ELF), with ACPI tables if asked for. */
static bool load_image(struct partition *p, struct vcpu_sregs *s)
{
	uint64_t acpi_size;
	if (!image_load(p, s))
		return false;
	return !manifest_acpi_on(&p->cfg, false) || install_acpi(p, &acpi_size);
}

static bool load(struct partition *p)
{
	struct vcpu_sregs s;
	bool ok;
	if (!is_linux(p) && !is_multiboot(p) && (p->cfg.cmdline_given || p->initrd)) {
		pr_err("[%s] refused: a kernel command line or initrd is only for a Linux bzImage "
		       "or a Multiboot kernel (kind=multiboot)",
		       p->name);
		return false;
	}
	if (is_multiboot(p) && p->initrd) {
		pr_err("[%s] refused: an initrd is for Linux; a Multiboot kernel takes module-for= modules",
		       p->name);
		return false;
	}
	if (is_linux(p))
		ok = load_linux(p, &s);
	else if (is_multiboot(p))
		ok = load_multiboot(p, &s);
	else
		ok = load_image(p, &s);
	if (!ok)
		return false;
	vcpu_backend->set_sregs(p->vcpu[0], &s);
	p->start_ns = time_ns();
	/* p->state is not touched here: on a restart it is RESTARTING, and
	 * only lifecycle_end_restart may move it on (core/lifecycle.h). */
	return true;
}

/* p's consoles join the input focus cycle when it starts, in a fixed
 * order (COM1 first, so it has the default focus, then the virtio
 * console), and leave it when p stops: the focus never names a stopped
 * partition (docs/console.md). */
static void consoles_input_start(struct partition *p)
{
	struct console_source *hvc = platform_console(p);
	console_source_input_start(&p->console);
	if (hvc)
		console_source_input_start(hvc);
}

static void consoles_input_stop(struct partition *p)
{
	struct console_source *hvc = platform_console(p);
	/* The virtio console leaves first: when COM1 leaves with the focus,
	 * the focus must not pass to p's own other console. */
	if (hvc)
		console_source_input_stop(hvc);
	console_source_input_stop(&p->console);
}

struct partition *partition_create(const struct manifest_entry *cfg,
				   const struct partition_images *img)
{
	/* Host memory taken for this partition beyond its guest RAM (stage-2
	 * tables, VMCB/VMCS and permission maps, device models): the frames it
	 * took directly plus the heap bytes its objects occupy (not the heap's
	 * spare chunk space, which later partitions use). */
	uint64_t free_before = hv_frames.free_bytes;
	uint64_t heap_reserved_before = kheap_bytes_reserved();
	uint64_t heap_used_before = kheap_bytes_in_use();
	if (nr_partitions == MAX_PARTITIONS) {
		pr_err("[%s] refused: more than %u partitions", cfg->name, MAX_PARTITIONS);
		return NULL;
	}
	for (unsigned int i = 0; i < nr_partitions; i++) {
		if (!bh_strcmp(partitions[i].name, cfg->name)) {
			pr_err("[%s] refused: another partition has that name", cfg->name);
			return NULL;
		}
	}
	struct partition *p = &partitions[nr_partitions];
	bh_memset(p, 0, sizeof(*p));
	p->id = nr_partitions;
	p->cfg = *cfg;
	bh_strlcpy(p->name, cfg->name, sizeof(p->name));
	p->console.name = p->name;
	p->image = img->image;
	p->image_size = img->image_size;
	p->initrd = img->initrd;
	p->initrd_size = img->initrd_size;
	p->nr_disks = img->nr_disks;
	for (unsigned int i = 0; i < img->nr_disks; i++)
		p->disk[i] = img->disk[i];
	p->nr_mb_modules = img->nr_mb_modules;
	for (unsigned int i = 0; i < img->nr_mb_modules; i++)
		p->mb_module[i] = img->mb_module[i];

	if (!alloc_ram(p)) {
		pr_err("[%s] refused: no %lu MiB of contiguous RAM left", p->name, cfg->mem >> 20);
		return NULL;
	}
	if (vcpu_backend->s2_init(p) || vcpu_backend->s2_map(p, 0, p->ram_hpa, p->ram_size, S2_RWX)) {
		pr_err("[%s] refused: out of memory for the stage-2 page tables", p->name);
		return NULL;
	}
	build_cpuid(p);
	p->priority = (uint8_t)cfg->priority;
	p->affinity = cfg->affinity;
	if (!platform_attach(p)) {
		pr_err("[%s] refused: could not attach its devices", p->name);
		return NULL;
	}
	if (!create_vcpus(p)) {
		pr_err("[%s] refused: could not create its vCPUs", p->name);
		return NULL;
	}
	if (!load(p))
		return NULL;
	p->boots = 1;
	p->state = PART_READY; /* before any CPU schedules: no lifecycle lock needed */
	nr_partitions++;
	uint64_t frames = free_before - hv_frames.free_bytes - p->ram_size;
	uint64_t heap_growth = kheap_bytes_reserved() - heap_reserved_before;
	p->overhead_bytes = frames - heap_growth + (kheap_bytes_in_use() - heap_used_before) +
			    sizeof(*p);
	pr_info("[%s] partition created: %lu MiB RAM at host %#lx, %u vCPU(s), image %lu bytes",
		p->name, p->ram_size >> 20, p->ram_hpa, p->nr_vcpus, img->image_size);
	pr_info("[%s] hypervisor memory beyond guest RAM: %lu bytes", p->name, p->overhead_bytes);
	consoles_input_start(p);
	return p;
}

/* Send every vCPU of p but the caller's out of guest mode and wait until
 * their CPUs have let go of them (run_slice cleared on_cpu), so the
 * partition's RAM and devices can be rebuilt or abandoned safely. */
static void quiesce_other_vcpus(struct partition *p)
{
	struct vcpu *self = this_cpu()->current;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		struct vcpu *v = p->vcpu[i];
		if (v == self)
			continue;
		__atomic_store_n(&v->state, VCPU_STOPPED, __ATOMIC_SEQ_CST);
		vcpu_kick(v);
	}
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		struct vcpu *v = p->vcpu[i];
		while (v != self && __atomic_load_n(&v->on_cpu, __ATOMIC_SEQ_CST))
			cpu_relax();
	}
}

static enum lifecycle_verdict lifecycle_step(struct partition *p,
					     enum lifecycle_verdict (*decide)(enum partition_state *))
{
	spin_lock(&p->lifecycle_lock);
	enum lifecycle_verdict v = decide(&p->state);
	spin_unlock(&p->lifecycle_lock);
	return v;
}

void partition_stop(struct partition *p, bool failed, const char *fmt, ...)
{
	va_list ap;
	/* Any vCPU or task of p may ask at once, also during a restart: one
	 * request does the work, and a stop is final (core/lifecycle.h). */
	if (lifecycle_step(p, lifecycle_begin_stop) != LC_GO)
		return;
	va_start(ap, fmt);
	bh_vsnprintf(p->stop_reason, sizeof(p->stop_reason), fmt, ap);
	va_end(ap);
	/* Its last lines before the stop line: at most a ring's worth, once. */
	console_source_flush(&p->console);
	if (platform_console(p))
		console_source_flush(platform_console(p));
	p->failed = failed;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		__atomic_store_n(&p->vcpu[i]->state, VCPU_STOPPED, __ATOMIC_SEQ_CST);
		if (p->vcpu[i]->home)
			vcpu_kick(p->vcpu[i]);
	}
	log_msg(failed ? LOG_WARN : LOG_INFO, "[%s] partition stopped: %s", p->name, p->stop_reason);
	partition_print_stats(p);
	platform_print_stats(p);
	consoles_input_stop(p);
	__atomic_store_n(&p->stop_reported, true, __ATOMIC_RELEASE);
}

/* Zero one chunk of p's RAM. REP STOSQ: the chunk is 8-byte aligned and
 * sized (RESTART_ZERO_CHUNK divides the 2 MiB-aligned RAM), and a REP STOSQ
 * is an eighth of the iterations of a REP STOSB where those are emulated. */
static void zero_ram_chunk(struct partition *p, uint64_t off, uint64_t len)
{
	void *dst = (uint8_t *)phys_to_virt(p->ram_hpa) + off;
	uint64_t qwords = len / 8;
	__asm__ volatile("rep stosq" : "+D"(dst), "+c"(qwords) : "a"(0ULL) : "memory");
	bh_memset(dst, 0, len % 8);
}

bool partition_restart(struct partition *p)
{
	switch (lifecycle_step(p, lifecycle_begin_restart)) {
	case LC_GO:
		break;
	case LC_ALREADY:
		return true; /* another vCPU of p is restarting it */
	case LC_REFUSED:
		return false; /* stopped: a stop is final */
	}
	quiesce_other_vcpus(p);
	struct vcpu *self = this_cpu()->current;
	if (self && self->part == p)
		__atomic_store_n(&self->state, VCPU_STOPPED, __ATOMIC_SEQ_CST);
	uint64_t now = time_ns();
	uint64_t wait = p->cfg.restart_unlimited ? 0 : restart_limiter_take(&p->restart_limit, now);
	p->restarts++;
	if (wait)
		pr_warn("[%s] restarts rate-limited: this one waits %lu ms (%u at once, then one per "
			"interval that doubles while it keeps restarting, at most %lu s)",
			p->name, wait / 1000000, RESTART_BURST,
			(unsigned long)(RESTART_INTERVAL_MAX_NS / 1000000000));
	/* Filled in, then published: vCPU 0's CPU may look at it any time. */
	struct restart_job j;
	restart_job_begin(&j, p->ram_size, now + wait);
	enum restart_phase phase = j.phase;
	j.phase = RESTART_IDLE;
	p->restart = j;
	__atomic_store_n(&p->restart.phase, phase, __ATOMIC_RELEASE);
	sched_restart_queued(p);
	return true;
}

bool partition_restart_due(struct partition *p, uint64_t now_ns)
{
	return __atomic_load_n(&p->state, __ATOMIC_SEQ_CST) == PART_RESTARTING &&
	       restart_job_ready(&p->restart, now_ns);
}

uint64_t partition_restart_wait_until_ns(const struct partition *p)
{
	if (__atomic_load_n(&p->state, __ATOMIC_SEQ_CST) != PART_RESTARTING ||
	    __atomic_load_n(&p->restart.phase, __ATOMIC_ACQUIRE) != RESTART_WAIT)
		return UINT64_MAX;
	return p->restart.not_before_ns;
}

/* The last step: devices, vCPUs and the image, then the partition runs. */
static void restart_finish(struct partition *p)
{
	partition_lock(p);
	platform_reset(p);
	partition_unlock(p);
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		bh_memset(&p->vcpu[i]->stats, 0, sizeof(p->vcpu[i]->stats));
		p->vcpu[i]->spec_ctrl = 0;     /* its RESET value (SDM Vol. 4 Table 2-2) */
		p->vcpu[i]->fpu_valid = false; /* x87/SSE power-on state (core/sched.c) */
		/* A reset leaves no event pending: one queued or interrupted
		 * before it (EXITINTINFO) would be injected into the new
		 * boot's first instructions, which have no IDT yet. */
		vcpu_clear_interrupts(p->vcpu[i]);
	}
	bool loaded = load(p);

	/* The vCPUs may run again only if no stop came meanwhile; deciding
	 * and setting their states is one step under the lifecycle lock, so
	 * a stop cannot slip in between and be undone. */
	spin_lock(&p->lifecycle_lock);
	enum lifecycle_verdict v = lifecycle_end_restart(&p->state, loaded);
	if (v == LC_GO) {
		p->boots++;
		for (unsigned int i = 0; i < p->nr_vcpus; i++)
			__atomic_store_n(&p->vcpu[i]->state,
					 i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI, __ATOMIC_SEQ_CST);
	}
	spin_unlock(&p->lifecycle_lock);
	if (v != LC_GO) {
		if (!loaded)
			partition_stop(p, true, "restart failed: the image no longer loads");
		return;
	}
	consoles_input_start(p);
	/* Every vCPU's CPU looks again (this one is vCPU 0's). */
	for (unsigned int i = 1; i < p->nr_vcpus; i++)
		vcpu_kick(p->vcpu[i]);
}

static bool consoles_pending(struct partition *p)
{
	struct console_source *hvc = platform_console(p);
	return console_source_pending(&p->console) || (hvc && console_source_pending(hvc));
}

void partition_restart_work(struct partition *p, uint64_t deadline_tsc)
{
	/* Device service tasks write guest RAM too: none may be inside while
	 * it is zeroed and reloaded. None can enter once RESTARTING is set;
	 * one already inside finishes its bounded step, and the scheduler
	 * calls again. */
	if (!lifecycle_services_idle(&p->services_active))
		return;
	/* First what the old boot wrote, in these slices rather than in the
	 * exit that asked for the restart: it goes out before the restart's
	 * own line, in order. */
	if (p->restart.phase == RESTART_WAIT) {
		partition_consoles_drain(p, SIZE_MAX, deadline_tsc, true);
		if (consoles_pending(p))
			return;
		pr_info("[%s] partition restarting from its image", p->name);
	}
	do {
		if (__atomic_load_n(&p->state, __ATOMIC_SEQ_CST) != PART_RESTARTING) {
			restart_job_cancel(&p->restart); /* a stop came: it is final */
			return;
		}
		struct restart_step s = restart_job_next(&p->restart, time_ns());
		switch (s.kind) {
		case RESTART_STEP_NONE:
			return;
		case RESTART_STEP_ZERO:
			zero_ram_chunk(p, s.off, s.len);
			break;
		case RESTART_STEP_LOAD:
			restart_finish(p);
			return;
		}
	} while (rdtsc() < deadline_tsc);
}

size_t partition_consoles_drain(struct partition *p, size_t max_bytes, uint64_t deadline_tsc,
				bool partial)
{
	struct console_source *hvc = platform_console(p);
	size_t n = console_source_drain(&p->console, max_bytes, deadline_tsc, partial);
	if (hvc && n < max_bytes)
		n += console_source_drain(hvc, max_bytes - n, deadline_tsc, partial);
	return n;
}

/* Here, not in stats.c: stats.c is pure (host tests and fuzzers link it),
 * and this asks the console for its counts. */
void partition_print_stats(const struct partition *p)
{
	struct exit_stats sum = { 0 };
	for (unsigned int i = 0; i < p->nr_vcpus; i++)
		stats_add(&sum, &p->vcpu[i]->stats);
	stats_print(p->name, &sum, tsc_hz());
	if (p->lock_waits)
		pr_info("[%s] device lock: %lu of %lu acquisitions waited, %lu cycles on average",
			p->name, p->lock_waits, p->lock_taken, p->lock_wait_tsc / p->lock_waits);
	uint64_t written, dropped;
	/* The console's ring lock is only taken, never kept (const is safe). */
	console_source_counts((struct console_source *)&p->console, &written, &dropped);
	if (written)
		pr_info("[%s] console: %lu bytes written, %lu dropped (output faster than the serial port)",
			p->name, written, dropped);
	if (p->restarts)
		pr_info("[%s] restarts: %lu, %lu of them delayed by the rate limit", p->name,
			p->restarts, p->restart_limit.limited);
}
