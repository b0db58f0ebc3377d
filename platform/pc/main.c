/* SPDX-License-Identifier: BSD-2-Clause */
/* hv_main: print what we found, pick the virtualisation backend, create the
 * partitions the boot modules declare, and run them. */
#include "arch/x86/cpu/features.h"
#include "arch/x86/cpu/smp.h"
#include "arch/x86/cpu/spec.h"
#include "core/hv.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/mm/frame.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "arch/x86/cpu/platform_exit.h"
#include "core/vcpu.h"
#include "platform/pc/pc.h"

static struct virt_caps virt_caps;

const struct vcpu_backend *vcpu_backend_select(struct virt_caps *caps);

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

static void print_virt_caps(const struct virt_caps *c)
{
	bool vmx = c->tech && c->tech[0] == 'V';
	if (!c->usable) {
		pr_info("virt: %s unusable (%s)", c->tech ? c->tech : "none",
			c->why_not ? c->why_not : "?");
		return;
	}
	pr_info("virt: %s usable: stage2 %s %s, %s %s (%u), unrestricted guest %s, 2M %s, 1G %s, "
		"%s %s, preemption timer %s, decode assists %s",
		c->tech, vmx ? "EPT" : "NPT", yn(c->stage2), vmx ? "VPID" : "ASID",
		yn(c->tagged_tlb), c->nr_tags, yn(c->unrestricted_guest), yn(c->stage2_2m),
		yn(c->stage2_1g), vmx ? "exit insn length" : "NRIP save", yn(c->next_rip),
		yn(c->preempt_timer), yn(c->decode_assists));
}

void hv_print_banner(const struct boot_info *bi, const struct memmap *map)
{
	pr_info("cpu: %s family %u model %u stepping %u \"%s\"", boot_cpu.vendor_str,
		boot_cpu.family, boot_cpu.model, boot_cpu.stepping, boot_cpu.brand);
	vcpu_backend = vcpu_backend_select(&virt_caps);
	print_virt_caps(&virt_caps);
	if (virt_caps.usable)
		spec_init(vcpu_backend == &vmx_backend);
	if (hv_options.asid_max && virt_caps.usable && virt_caps.tagged_tlb)
		pr_info("virt: at most %u %s per host CPU (asid_max=): more vCPUs take turns by generation",
			MIN(hv_options.asid_max,
			    virt_caps.nr_tags > 1 ? virt_caps.nr_tags - (virt_caps.tech[0] == 'S')
						  : 1),
			virt_caps.tech[0] == 'V' ? "VPIDs" : "ASIDs");
	pr_info("memory: %lu MiB usable in %u ranges, %u modules%s", map->usable_bytes >> 20,
		map->nr, bi->nr_modules, bi->dropped_modules ? " (some refused, see above)" : "");
	for (unsigned int i = 0; i < map->nr; i++)
		pr_debug("memory:   %#014lx-%#014lx %lu KiB", map->usable[i].base,
			 map->usable[i].base + map->usable[i].len - 1, map->usable[i].len >> 10);
}

/* Every module line is a manifest entry (docs/manifest.md): a partition's
 * image, or an initrd attached to one by initrd-for=. Lines are checked
 * first, initrds linked to their partitions, then partitions created in
 * module order. */
/* A partition's RAM disks: its disk modules (used in place: module memory
 * is never freed, so what the guest writes survives its restarts), then
 * the empty disk of disk=SIZE. False (one line) if one is unusable. */
static bool collect_disks(const struct boot_info *bi, const struct manifest_entry *cfg,
			  unsigned int part, struct partition_images *img)
{
	const struct manifest_entry *e = &cfg[part];
	for (unsigned int k = 0; k < e->nr_disks; k++) {
		int mi = e->disk_module[k];
		const struct boot_module *m = &bi->modules[mi];
		uint64_t size = m->end - m->start;
		if (!size || size % 512) {
			pr_err("[%s] refused: disk module %d is %lu bytes, not a whole number of 512-byte sectors",
			       e->name, mi, size);
			return false;
		}
		img->disk[img->nr_disks++] = (struct partition_disk){ phys_to_virt(m->start), size,
								      cfg[mi].readonly, "module" };
	}
	if (e->disk_size) {
		paddr_t pa = frame_alloc_pages(e->disk_size, PAGE_SIZE);
		if (!pa) {
			pr_err("[%s] refused: no %lu MiB of memory left for its disk= RAM disk",
			       e->name, e->disk_size >> 20);
			return false;
		}
		img->disk[img->nr_disks++] = (struct partition_disk){ phys_to_virt(pa),
								      e->disk_size, false, "disk=" };
	}
	return true;
}

/* A Multiboot partition's modules (module-for=), in module order; each
 * module's string is the text after "--" on its line (cfg is static, so
 * the strings outlive boot). */
static void collect_mb_modules(const struct boot_info *bi, const struct manifest_entry *cfg,
			       unsigned int part, struct partition_images *img)
{
	const struct manifest_entry *e = &cfg[part];
	for (unsigned int k = 0; k < e->nr_mb_modules; k++) {
		int mi = e->mb_module[k];
		const struct boot_module *m = &bi->modules[mi];
		img->mb_module[img->nr_mb_modules++] =
				(struct partition_module){ phys_to_virt(m->start),
							   m->end - m->start, cfg[mi].cmdline };
	}
}

/* The run's status under on_idle=exit: a partition that ended through its
 * debug-exit port with a nonzero value (isa-debug-exit's convention for a
 * failed test) makes the run fail; the first one is named. */
static int run_status(void)
{
	for (unsigned int i = 0; i < nr_partitions; i++) {
		const struct partition *p = &partitions[i];
		if (p->debug_exit_written && p->debug_exit_value) {
			pr_info("bulkhead: partition %s ended with debug-exit status %u: the run fails",
				p->name, p->debug_exit_status);
			return PLATFORM_EXIT_FAILURE;
		}
	}
	return PLATFORM_EXIT_SUCCESS;
}

static void create_partitions(const struct boot_info *bi)
{
	static struct manifest_entry cfg[BOOT_MAX_MODULES]; /* boot CPU only, once */
	bool ok[BOOT_MAX_MODULES];
	unsigned int n = MIN(bi->nr_modules, BOOT_MAX_MODULES);

	for (unsigned int i = 0; i < n; i++)
		ok[i] = manifest_parse(bi->modules[i].cmdline, i, &cfg[i]);
	manifest_link_modules(cfg, ok, n);
	for (unsigned int i = 0; i < n; i++) {
		const struct boot_module *m = &bi->modules[i];
		struct partition_images img = { .image = phys_to_virt(m->start),
						.image_size = m->end - m->start };
		if (!ok[i] || !manifest_is_partition(&cfg[i]))
			continue;
		if (cfg[i].initrd_module != MANIFEST_NO_MODULE) {
			const struct boot_module *rd = &bi->modules[cfg[i].initrd_module];
			img.initrd = phys_to_virt(rd->start);
			img.initrd_size = rd->end - rd->start;
		}
		if (!collect_disks(bi, cfg, i, &img))
			continue;
		collect_mb_modules(bi, cfg, i, &img);
		partition_create(&cfg[i], &img);
	}
}

__noreturn void hv_main(const struct boot_info *bi, const struct memmap *map,
			const struct hv_options *opt)
{
	hv_options = *opt;
	board_register(&pc_board);
	hv_print_banner(bi, map);
	if (vcpu_backend && vcpu_backend->cpu_enable(this_cpu())) {
		pr_err("virt: could not enable %s on CPU 0", virt_caps.tech);
		vcpu_backend = NULL;
	}
	smp_start_aps(hv_options.max_cpus);
	pr_info("bulkhead: ready");
	if (vcpu_backend)
		create_partitions(bi);
	else if (bi->nr_modules)
		pr_err("bulkhead: %u partition(s) declared but no usable virtualisation backend",
		       bi->nr_modules);
	sched_run();
	unsigned int failed = 0;
	for (unsigned int i = 0; i < nr_partitions; i++)
		failed += partitions[i].failed;
	pr_info("bulkhead: all partitions stopped (%u of %u failed)", failed, nr_partitions);
	platform_exit(run_status());
}
