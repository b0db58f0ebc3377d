/* hv_main: print what we found, pick the virtualisation backend, create the
 * partitions the boot modules declare, and run them. */
#include "arch/x86/cpu/features.h"
#include "core/hv.h"
#include "core/log.h"
#include "core/manifest.h"
#include "core/mm/frame.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/platform_exit.h"
#include "core/vcpu.h"

struct hv_options hv_options;
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
		pr_info("virt: %s unusable (%s)", c->tech ? c->tech : "none", c->why_not ? c->why_not : "?");
		return;
	}
	pr_info("virt: %s usable: stage2 %s %s, %s %s (%u), unrestricted guest %s, 2M %s, 1G %s, "
		"%s %s, preemption timer %s, decode assists %s",
		c->tech, vmx ? "EPT" : "NPT", yn(c->stage2), vmx ? "VPID" : "ASID", yn(c->tagged_tlb),
		c->nr_tags, yn(c->unrestricted_guest), yn(c->stage2_2m), yn(c->stage2_1g),
		vmx ? "exit insn length" : "NRIP save", yn(c->next_rip), yn(c->preempt_timer),
		yn(c->decode_assists));
}

void hv_print_banner(const struct boot_info *bi, const struct memmap *map)
{
	pr_info("cpu: %s family %u model %u stepping %u \"%s\"", boot_cpu.vendor_str, boot_cpu.family,
		boot_cpu.model, boot_cpu.stepping, boot_cpu.brand);
	vcpu_backend = vcpu_backend_select(&virt_caps);
	print_virt_caps(&virt_caps);
	pr_info("memory: %lu MiB usable in %u ranges, %u modules%s", map->usable_bytes >> 20, map->nr,
		bi->nr_modules, bi->dropped_modules ? " (some refused, see above)" : "");
	for (unsigned int i = 0; i < map->nr; i++)
		pr_debug("memory:   %#014lx-%#014lx %lu KiB", map->usable[i].base,
			 map->usable[i].base + map->usable[i].len - 1, map->usable[i].len >> 10);
}

static void create_partitions(const struct boot_info *bi)
{
	for (unsigned int i = 0; i < bi->nr_modules; i++) {
		const struct boot_module *m = &bi->modules[i];
		struct manifest_entry cfg;
		if (!manifest_parse(m->cmdline, i, &cfg))
			continue;
		partition_create(&cfg, phys_to_virt(m->start), m->end - m->start);
	}
}

__noreturn void hv_main(const struct boot_info *bi, const struct memmap *map,
			const struct hv_options *opt)
{
	hv_options = *opt;
	hv_print_banner(bi, map);
	if (vcpu_backend && vcpu_backend->cpu_enable(this_cpu())) {
		pr_err("virt: could not enable %s on CPU 0", virt_caps.tech);
		vcpu_backend = NULL;
	}
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
	platform_exit(PLATFORM_EXIT_SUCCESS);
}
