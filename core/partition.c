/* Partition life cycle: create (RAM, stage-2 tables, devices, vCPUs, image),
 * stop (one line saying why), restart from the original image. */
#include "core/exits.h"
#include "core/lib/format.h"
#include "core/lib/string.h"
#include "core/loader/image.h"
#include "core/loader/linux_boot.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/stats.h"
#include "core/virtio_platform.h"
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
	};
	cpuid_table_build(&p->cpuid, &pol, host_cpuid);
}

static void testdev_raise_irq(void *ctx, uint8_t vector)
{
	struct partition *p = ctx;
	if (p->nr_vcpus)
		vcpu_raise_irq(p->vcpu[0], vector);
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
	return p->cfg.kind == MANIFEST_KIND_LINUX || linux_is_bzimage(p->image, p->image_size);
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
		bh_snprintf(cmdline + n, sizeof(cmdline) - n, " no_timer_check");
	uint64_t acpi_size;
	gpa_t rsdp = platform_install_acpi(p, LINUX_BIOS_AREA, &acpi_size);
	if (!rsdp)
		return false;
	struct linux_load_params lp = {
		.mem = &p->mem,
		.ram_size = p->ram_size,
		.initrd = p->initrd,
		.initrd_size = p->initrd_size,
		.cmdline = cmdline,
		.acpi_base = LINUX_BIOS_AREA,
		.acpi_size = acpi_size,
		.rsdp = rsdp,
	};
	if (!linux_load(&img, &lp, &l, why, sizeof(why))) {
		pr_err("[%s] refused: %s", p->name, why);
		return false;
	}
	linux_entry_state(&l, s, v->gpr, &v->rip, &v->rflags);
	pr_info("[%s] Linux boot protocol %u.%02u: kernel %lu KiB at %#lx, initrd %lu KiB at %#lx, "
		"ACPI at %#lx, command line \"%s\"", p->name, img.version >> 8, img.version & 0xff,
		l.kernel_size >> 10, l.kernel, l.initrd_size >> 10, l.initrd, rsdp, cmdline);
	return true;
}

static bool load(struct partition *p)
{
	struct vcpu_sregs s;
	if (!is_linux(p) && (p->cfg.cmdline_given || p->initrd)) {
		pr_err("[%s] refused: a kernel command line or initrd is only for a Linux bzImage", p->name);
		return false;
	}
	if (is_linux(p) ? !load_linux(p, &s) : !image_load(p, &s))
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
	struct console_source *hvc = virtio_devices_console(p);
	console_source_input_start(&p->console);
	if (hvc)
		console_source_input_start(hvc);
}

static void consoles_input_stop(struct partition *p)
{
	struct console_source *hvc = virtio_devices_console(p);
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

	if (!alloc_ram(p)) {
		pr_err("[%s] refused: no %lu MiB of contiguous RAM left", p->name, cfg->mem >> 20);
		return NULL;
	}
	if (vcpu_backend->s2_init(p) ||
	    vcpu_backend->s2_map(p, 0, p->ram_hpa, p->ram_size, S2_RWX)) {
		pr_err("[%s] refused: out of memory for the stage-2 page tables", p->name);
		return NULL;
	}
	build_cpuid(p);
	p->priority = (uint8_t)cfg->priority;
	p->affinity = cfg->affinity;
	p->testdev.raise_irq = testdev_raise_irq;
	p->testdev.irq_ctx = p;
	if (!platform_attach(p) || !testdev_attach(&p->testdev, &p->bus)) {
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
	p->overhead_bytes = frames - heap_growth + (kheap_bytes_in_use() - heap_used_before) + sizeof(*p);
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
	console_source_flush(&p->console);
	p->failed = failed;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		__atomic_store_n(&p->vcpu[i]->state, VCPU_STOPPED, __ATOMIC_SEQ_CST);
		if (p->vcpu[i]->home)
			vcpu_kick(p->vcpu[i]);
	}
	log_msg(failed ? LOG_WARN : LOG_INFO, "[%s] partition stopped: %s", p->name, p->stop_reason);
	partition_print_stats(p);
	virtio_devices_print_stats(p);
	consoles_input_stop(p);
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
	pr_info("[%s] partition restarting from its image", p->name);
	quiesce_other_vcpus(p);
	/* Device service tasks write guest RAM too: none may be inside while
	 * it is zeroed and reloaded (none can enter once RESTARTING is set). */
	while (!lifecycle_services_idle(&p->services_active))
		cpu_relax();
	console_source_flush(&p->console);
	bh_memset(phys_to_virt(p->ram_hpa), 0, p->ram_size);
	partition_lock(p);
	platform_reset(p);
	partition_unlock(p);
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		bh_memset(&p->vcpu[i]->stats, 0, sizeof(p->vcpu[i]->stats));
		p->vcpu[i]->spec_ctrl = 0; /* its RESET value (SDM Vol. 4 Table 2-2) */
		/* A reset leaves no event pending: one queued or interrupted
		 * before it (EXITINTINFO) would be injected into the new
		 * boot's first instructions, which have no IDT yet. */
		vcpu_clear_interrupts(p->vcpu[i]);
	}
	bool loaded = load(p);

	/* The vCPUs may run again only if no stop came meanwhile; deciding
	 * and setting their states is one step under the lifecycle lock, so
	 * a stop cannot slip in between and be undone. */
	struct vcpu *self = this_cpu()->current;
	spin_lock(&p->lifecycle_lock);
	enum lifecycle_verdict v = lifecycle_end_restart(&p->state, loaded);
	if (v == LC_GO) {
		p->boots++;
		for (unsigned int i = 0; i < p->nr_vcpus; i++)
			__atomic_store_n(&p->vcpu[i]->state, i == 0 ? VCPU_RUNNABLE : VCPU_WAIT_SIPI,
					 __ATOMIC_SEQ_CST);
	}
	spin_unlock(&p->lifecycle_lock);
	if (v != LC_GO) {
		if (!loaded)
			partition_stop(p, true, "restart failed: the image no longer loads");
		return false;
	}
	consoles_input_start(p);
	/* Every other vCPU's CPU looks again, vCPU 0's included: the restart
	 * may run on an AP's vCPU while vCPU 0's CPU idles. */
	for (unsigned int i = 0; i < p->nr_vcpus; i++)
		if (p->vcpu[i] != self)
			vcpu_kick(p->vcpu[i]);
	return true;
}
