/* SPDX-License-Identifier: BSD-2-Clause */
/* The manifest: what a boot module's command line declares (docs/manifest.md).
 * Pure code: parsed and validated here, with one clear line per refusal. */
#ifndef BULKHEAD_CORE_MANIFEST_H
#define BULKHEAD_CORE_MANIFEST_H

#include "core/types.h"
#include "core/vcpu.h"

#define MANIFEST_NAME_MAX 16
#define MANIFEST_MEM_MIN MiB(1)
#define MANIFEST_MEM_MAX GiB(4)
#define MANIFEST_DEFAULT_MEM MiB(16)
#define MANIFEST_NO_ADDR UINT64_MAX
/* A module's command line is at most 511 bytes (BOOT_MODULE_CMDLINE_MAX),
 * so a kernel command line taken from it always fits. */
#define MANIFEST_CMDLINE_MAX 512
#define MANIFEST_NO_MODULE (-1)
#define MANIFEST_MAX_CPUS 4       /* vCPUs of one partition (cpus=) */
#define MANIFEST_MAX_HOST_CPUS 16 /* host CPUs an affinity= list may name */
#define MANIFEST_MAX_PRIORITY 7
#define MANIFEST_DEFAULT_PRIORITY 4
/* disk=SIZE: whole 512-byte sectors (virtio 1.2 5.2.4: capacity counts
 * 512-byte sectors whatever the block size). */
#define MANIFEST_SECTOR_SIZE 512
#define MANIFEST_DISK_MIN KiB(4)
#define MANIFEST_DISK_MAX GiB(1)
#define MANIFEST_MAX_DISKS 4 /* per partition, disk modules and disk= together */
#define MANIFEST_MAC_LEN 6
/* devices=: extra virtio devices, one bit each. */
#define MANIFEST_DEV_RNG (1u << 0)
#define MANIFEST_DEV_CONSOLE (1u << 1)
/* module-for=: boot modules of one Multiboot partition (its mods list). */
#define MANIFEST_MAX_MB_MODULES 8

/* What the image is: found from its header (AUTO), or declared. */
enum manifest_kind {
	MANIFEST_KIND_AUTO,      /* bzImage header -> Linux, ELF magic -> ELF, else flat */
	MANIFEST_KIND_LINUX,     /* kind=linux: must be a bzImage */
	MANIFEST_KIND_MULTIBOOT, /* kind=multiboot: a Multiboot 1 kernel */
};

/* An on/off key whose default depends on the kind (fw_cfg=, acpi=). */
enum manifest_switch {
	MANIFEST_SWITCH_DEFAULT,
	MANIFEST_SWITCH_ON,
	MANIFEST_SWITCH_OFF,
};

struct manifest_entry {
	char name[MANIFEST_NAME_MAX];
	uint64_t mem;
	bool mode_given;
	enum vcpu_mode mode;
	uint64_t load;  /* MANIFEST_NO_ADDR: default */
	uint64_t entry; /* MANIFEST_NO_ADDR: from the image */
	unsigned int cpus;
	enum manifest_kind kind;
	/* on_triple_fault=restart: a triple fault (a PC's reset) restarts the
	 * partition from its images instead of stopping it (the default). */
	bool restart_on_triple_fault;
	/* restart_limit=off: this partition's restarts skip the rate limiter
	 * (core/lib/restart_job.h); each is still done in bounded steps charged
	 * to it. For the operator's own test partitions; on by default. */
	bool restart_unlimited;
	/* The Linux kernel command line (cmdline="..." or everything after a
	 * standalone "--"); cmdline_given says whether either was present. */
	bool cmdline_given;
	char cmdline[MANIFEST_CMDLINE_MAX];
	/* Non-empty: this module is the initrd of the partition so named and
	 * declares no partition itself (name is then empty). */
	char initrd_for[MANIFEST_NAME_MAX];
	/* For a partition: the module index of its initrd, set by
	 * manifest_link_modules(); MANIFEST_NO_MODULE if it has none. */
	int initrd_module;

	/* affinity=: bit n set = its vCPUs may run on host CPU n; 0 = any. */
	uint32_t affinity;
	/* priority=: 0..MANIFEST_MAX_PRIORITY, higher runs first on a shared CPU. */
	unsigned int priority;
	/* disk=: size in bytes of an empty RAM disk after the disk modules
	 * (the last disk); 0 = none. */
	uint64_t disk_size;
	/* net=: the hypervisor L2 switch its virtio-net interface joins;
	 * empty = no network interface. */
	char net[MANIFEST_NAME_MAX];
	/* mac=: only with net=; mac_given false = the platform derives one. */
	bool mac_given;
	uint8_t mac[MANIFEST_MAC_LEN];
	/* devices=: MANIFEST_DEV_* bits. */
	uint32_t devices;

	/* fw_cfg=on|off: QEMU's fw_cfg at ports 0x510/0x511 (default on for
	 * kind=multiboot); acpi=on|off: ACPI tables in the BIOS area (default
	 * on for Linux and Multiboot kernels). Resolve with the helpers below. */
	enum manifest_switch fw_cfg;
	enum manifest_switch acpi;
	/* x2apic=on|off: x2APIC mode offered in CPUID (default on);
	 * kvm-pv=on|off: KVM's paravirtual leaves, NOP I/O delay and PV EOI
	 * (default on). Resolve with the helpers below. */
	enum manifest_switch x2apic;
	enum manifest_switch kvm_pv;
	/* debug-exit=PORT: QEMU isa-debug-exit semantics at that port. */
	bool debug_exit_given;
	uint16_t debug_exit_port;
	/* Non-empty: this module is a Multiboot module of the partition so
	 * named (module-for=); its string is the text after a standalone "--"
	 * (kept in cmdline). */
	char module_for[MANIFEST_NAME_MAX];
	/* For a Multiboot partition: its module indexes in module order, set
	 * by manifest_link_modules(). */
	int mb_module[MANIFEST_MAX_MB_MODULES];
	unsigned int nr_mb_modules;

	/* Non-empty: this module is a disk image of the partition so named
	 * (disk-for=) and declares no partition itself; readonly= applies. */
	char disk_for[MANIFEST_NAME_MAX];
	bool readonly;
	/* For a partition: the module indexes of its disk images in module
	 * order (vda, vdb, ...), set by manifest_link_modules(). The empty
	 * disk of disk= is not among them: it comes after them. */
	int disk_module[MANIFEST_MAX_DISKS];
	unsigned int nr_disks;
};

/* Returns false (after logging "manifest: module N: ...") if the line is
 * refused; `index` names the module in that line. */
bool manifest_parse(const char *cmdline, unsigned int index, struct manifest_entry *out);

static inline bool manifest_is_initrd(const struct manifest_entry *e)
{
	return e->initrd_for[0] != '\0';
}

static inline bool manifest_is_disk(const struct manifest_entry *e)
{
	return e->disk_for[0] != '\0';
}

static inline bool manifest_is_mb_module(const struct manifest_entry *e)
{
	return e->module_for[0] != '\0';
}

/* Neither an initrd, a disk nor a Multiboot module: a line that declares
 * a partition. */
static inline bool manifest_is_partition(const struct manifest_entry *e)
{
	return !manifest_is_initrd(e) && !manifest_is_disk(e) && !manifest_is_mb_module(e);
}

/* x2apic= and kvm-pv= resolved: on unless turned off. */
static inline bool manifest_x2apic_on(const struct manifest_entry *e)
{
	return e->x2apic != MANIFEST_SWITCH_OFF;
}

static inline bool manifest_kvm_pv_on(const struct manifest_entry *e)
{
	return e->kvm_pv != MANIFEST_SWITCH_OFF;
}

/* fw_cfg= resolved: on if asked, else on for kind=multiboot only. */
static inline bool manifest_fw_cfg_on(const struct manifest_entry *e)
{
	return e->fw_cfg == MANIFEST_SWITCH_ON ||
	       (e->fw_cfg == MANIFEST_SWITCH_DEFAULT && e->kind == MANIFEST_KIND_MULTIBOOT);
}

/* acpi= resolved; is_linux: the image turned out to be a bzImage. */
static inline bool manifest_acpi_on(const struct manifest_entry *e, bool is_linux)
{
	if (e->acpi != MANIFEST_SWITCH_DEFAULT)
		return e->acpi == MANIFEST_SWITCH_ON;
	return is_linux || e->kind == MANIFEST_KIND_MULTIBOOT;
}

/* A linked partition's disks: its disk modules, then the empty disk=. */
static inline unsigned int manifest_disk_count(const struct manifest_entry *e)
{
	return e->nr_disks + (e->disk_size ? 1 : 0);
}

/* After every module line went through manifest_parse (entries[i] and
 * accepted[i] for module i): attaches each accepted initrd module, disk
 * module and Multiboot module (module-for=, to a kind=multiboot partition,
 * at most MANIFEST_MAX_MB_MODULES, one line naming 'module-for' otherwise)
 * to the first accepted partition of that name
 * (entries[p].initrd_module = i; entries[p].disk_module[nr_disks++] = i, in
 * module order). An initrd whose partition is not declared (or was
 * refused), or whose partition already has one, is refused with one line
 * naming 'initrd-for'; a disk module whose partition is not declared, or
 * that would be its partition's disk number MANIFEST_MAX_DISKS + 1
 * (counting disk=), with one line naming 'disk-for'. A refused module's
 * accepted[] entry becomes false. */
void manifest_link_modules(struct manifest_entry *entries, bool *accepted, unsigned int n);

/* The same as manifest_link_modules (its older name). */
void manifest_link_initrds(struct manifest_entry *entries, bool *accepted, unsigned int n);

#endif
