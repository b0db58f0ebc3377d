/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzzes arch/x86/boot/acpi_host.c with hostile firmware tables. The first
 * input byte picks the mode:
 *   even: the rest is raw physical memory at 0xE0000 (the BIOS area the RSDP
 *         scan reads), tables and pointers as the fuzzer makes them;
 *   odd:  the rest is the body of a MADT that the harness wraps in a valid
 *         header, checksum, RSDT and loader RSDP copy (bit 1: also an XSDT
 *         and a revision-2 RSDP), so the fuzzer spends its time on the
 *         interrupt controller structures instead of on checksums.
 * Checks: no out-of-bounds access (ASan), no undefined behaviour (UBSan),
 * and the result keeps its invariants. */
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot/acpi_host.h"
#include "tests/unit/support/host_log.h"

#define RAW_BASE 0xe0000u
#define BUILT_BASE 0x100000u
#define BUILT_RSDT (BUILT_BASE)
#define BUILT_XSDT (BUILT_BASE + 0x100)
#define BUILT_MADT (BUILT_BASE + 0x200)
#define BUILT_MAX_BODY 0x10000u

struct phys {
	const uint8_t *bytes;
	uint64_t base, size;
};

static const void *reader(void *ctx, uint64_t pa, uint64_t len)
{
	const struct phys *p = ctx;
	if (!range_within(pa, len, p->base, p->size))
		return NULL;
	return p->bytes + (pa - p->base);
}

static void check(const struct acpi_host *ai, bool ok)
{
	if (ai->nr_cpus > ACPI_HOST_MAX_CPUS)
		abort();
	if (ok != (ai->madt_pa != 0))
		abort();
	if (!ok && ai->nr_cpus)
		abort();
	for (unsigned int i = 0; i < ai->nr_cpus; i++)
		for (unsigned int j = 0; j < i; j++)
			if (ai->cpus[i].apic_id == ai->cpus[j].apic_id)
				abort();
}

static void fix(uint8_t *t, uint32_t len, uint32_t at)
{
	t[at] = 0;
	t[at] = (uint8_t)(0x100 - acpi_host_checksum(t, len));
}

static void header(uint8_t *t, const char *sig, uint32_t len)
{
	memcpy(t, sig, 4);
	memcpy(t + 4, &len, 4);
	fix(t, len, 9);
}

static void built(const uint8_t *body, size_t n, bool xsdt)
{
	static uint8_t mem[0x200 + 44 + BUILT_MAX_BODY];
	static struct boot_info bi;
	struct acpi_host ai;
	uint32_t madt = BUILT_MADT, madt_len = 44 + (uint32_t)n;

	memset(mem, 0, sizeof(mem));
	memset(&bi, 0, sizeof(bi));
	memcpy(mem + 0x200 + 44, body, n);
	uint32_t lapic = 0xfee00000;
	memcpy(mem + 0x200 + 36, &lapic, 4);
	header(mem + 0x200, "APIC", madt_len);
	memcpy(mem + 36, &madt, 4);
	header(mem, "RSDT", 40);
	uint64_t madt64 = madt;
	memcpy(mem + 0x100 + 36, &madt64, 8);
	header(mem + 0x100, "XSDT", 44);

	uint32_t rsdt = BUILT_RSDT, rsdp_len = 36;
	uint64_t xsdt_pa = BUILT_XSDT;
	memcpy(bi.rsdp_copy, "RSD PTR ", 8);
	bi.rsdp_copy[15] = xsdt ? 2 : 0;
	memcpy(bi.rsdp_copy + 16, &rsdt, 4);
	fix(bi.rsdp_copy, 20, 8);
	if (xsdt) {
		memcpy(bi.rsdp_copy + 20, &rsdp_len, 4);
		memcpy(bi.rsdp_copy + 24, &xsdt_pa, 8);
		fix(bi.rsdp_copy, 36, 32);
	}
	bi.rsdp_len = xsdt ? 36 : 20;

	struct phys p = { mem, BUILT_BASE, 0x200 + madt_len };
	bool ok = acpi_host_scan(&ai, &bi, reader, &p);
	if (!ok)
		abort(); /* the harness built valid tables */
	check(&ai, ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	host_log_reset();
	if (mode & 1) {
		built(data, size > BUILT_MAX_BODY ? BUILT_MAX_BODY : size, mode & 2);
		return 0;
	}
	struct acpi_host ai;
	struct phys p = { data, RAW_BASE, size };
	bool ok = acpi_host_scan(&ai, NULL, reader, &p);
	check(&ai, ok);
	return 0;
}
