/* SPDX-License-Identifier: BSD-2-Clause */
/* The register dump a triple-faulted partition leaves (core/vcpu_dump.c). */
#include <criterion/criterion.h>

#include "core/vcpu_dump.h"
#include "tests/unit/support/host_log.h"

static uint64_t gpr[GPR_COUNT];
static struct vcpu_sregs sregs;

static void dump(void)
{
	struct vcpu_snapshot snap = { gpr, 0xffffffff81000123ULL, 0x10046, &sregs };
	host_log_reset();
	vcpu_log_snapshot("linux1", 1, &snap);
}

Test(vcpu_dump, names_the_partition_vcpu_and_rip)
{
	dump();
	cr_assert(host_log_contains("[linux1] vcpu1 state: rip=ffffffff81000123 rflags=00010046"));
}

Test(vcpu_dump, every_gpr_once_in_sdm_order)
{
	for (unsigned int r = 0; r < GPR_COUNT; r++)
		gpr[r] = 0x1111111111111111ULL * (r % 15 + 1);
	dump();
	cr_assert(host_log_contains("rax=1111111111111111 rcx=2222222222222222"));
	cr_assert(host_log_contains("rsp=5555555555555555"));
	cr_assert(host_log_contains("r15=1111111111111111"));
	cr_assert(host_log_contains("r12=dddddddddddddddd"));
}

Test(vcpu_dump, control_registers_and_tables)
{
	sregs.cr0 = 0x80050033;
	sregs.cr2 = 0xffffc90000001000ULL;
	sregs.cr3 = 0x1234000;
	sregs.cr4 = 0x3606f0;
	sregs.efer = 0xd01;
	sregs.idtr.base = 0xfffffe0000000000ULL;
	sregs.idtr.limit = 0xfff;
	dump();
	cr_assert(host_log_contains(
			"cr0=80050033 cr2=ffffc90000001000 cr3=0000000001234000 cr4=003606f0 efer=0d01"));
	cr_assert(host_log_contains("idtr=fffffe0000000000/0fff"));
}

Test(vcpu_dump, cpl_is_the_ss_dpl)
{
	sregs.seg[SEG_SS].attr = SEG_ATTR_DPL(3) | SEG_ATTR_P;
	dump();
	cr_assert(host_log_contains("cpl=3"));
	sregs.seg[SEG_SS].attr = SEG_ATTR_P;
	dump();
	cr_assert(host_log_contains("cpl=0"));
}

Test(vcpu_dump, lines_fit_the_log_line)
{
	dump();
	for (unsigned int i = 0; i < host_log_count(); i++)
		cr_assert_lt(strlen(host_log_line(i)), 120, "line %u too long: %s", i,
			     host_log_line(i));
}
