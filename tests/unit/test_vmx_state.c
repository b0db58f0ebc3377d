/* SPDX-License-Identifier: BSD-2-Clause */
/* arch/x86/vmx/vmx_state.c: access-rights conversion (SDM Vol. 3C Table
 * 25-2), control values from capability MSRs (Vol. 3D A.3), CR0/CR4 fixed
 * bits and masks (A.7, A.8), and the VM-entry guest-state checks (Vol. 3C
 * §27.3.1) that name what a hostile loader state breaks. */
#include <criterion/criterion.h>
#include <string.h>

/* vmx_state.c is pure but not (yet) in the Makefile's PURE_FILES: compile it
 * into this test directly. */
#include "arch/x86/vmx/vmx_state.c"

/* What Bochs' corei7_skylake_x reports (and typical hardware). */
static const struct vmx_fixed_bits fx = {
	.cr0_fixed0 = 0x80000021, /* PG, NE, PE */
	.cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, /* VMXE */
	.cr4_fixed1 = 0x3727ff,
	.unrestricted = true,
	.phys_bits = 40,
};

Test(vmx_state, access_rights_of_common_descriptors)
{
	uint16_t code64 = SEG_ATTR_TYPE(SEG_TYPE_CODE_RX_A) | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_L |
			  SEG_ATTR_G;
	uint16_t data32 = SEG_ATTR_TYPE(SEG_TYPE_DATA_RW_A) | SEG_ATTR_S | SEG_ATTR_P |
			  SEG_ATTR_DB | SEG_ATTR_G;
	uint16_t tss = SEG_ATTR_TYPE(SEG_TYPE_TSS64_BUSY) | SEG_ATTR_P;

	cr_assert_eq(vmx_ar_from_attr(code64), 0xa09b);
	cr_assert_eq(vmx_ar_from_attr(data32), 0xc093);
	cr_assert_eq(vmx_ar_from_attr(tss), 0x8b);
	cr_assert_eq(vmx_ar_from_attr(SEG_ATTR_AVL | SEG_ATTR_P | SEG_ATTR_S | 3), 0x1093);
	cr_assert_eq(vmx_attr_from_ar(0xa09b, false), code64);
	cr_assert_eq(vmx_attr_from_ar(0xc093, false), data32);
}

Test(vmx_state, unusable_segments)
{
	cr_assert_eq(vmx_ar_from_attr(0), VMX_AR_UNUSABLE);
	/* Not present is unusable, whatever else the attr says. */
	cr_assert(vmx_ar_from_attr(SEG_ATTR_S | 3) & VMX_AR_UNUSABLE);
	cr_assert_eq(vmx_attr_from_ar(VMX_AR_UNUSABLE | 0x93, false), 0);
	/* SS keeps its DPL (the CPL) through a round trip. */
	uint32_t ar = vmx_ar_from_attr(SEG_ATTR_DPL(3));
	cr_assert(ar & VMX_AR_UNUSABLE);
	cr_assert_eq(VMX_AR_DPL(ar), 3);
	cr_assert_eq(vmx_attr_from_ar(ar, true), SEG_ATTR_DPL(3));
	cr_assert_eq(vmx_attr_from_ar(ar, false), 0);
}

Test(vmx_state, attr_round_trip_for_every_present_attr)
{
	for (uint32_t a = 0; a < 0x1000; a++) {
		if (!(a & SEG_ATTR_P))
			continue;
		cr_assert_eq(vmx_attr_from_ar(vmx_ar_from_attr((uint16_t)a), false), a, "attr %#x",
			     a);
		cr_assert_eq(vmx_ar_from_attr((uint16_t)a) & VMX_AR_RESERVED, 0);
	}
}

Test(vmx_state, controls_follow_allowed_settings)
{
	/* allowed-0 (must be 1): bits 1, 2, 4; allowed-1 (may be 1): 0-7 */
	uint64_t cap = (0xffULL << 32) | 0x16;
	uint32_t v;

	cr_assert(vmx_adjust_controls(cap, BIT(0) | BIT(9), BIT(3), &v));
	cr_assert_eq(v, 0x16 | BIT(0) | BIT(3),
		     "wanted-but-forbidden bit 9 dropped, forced bits kept");
	cr_assert_not(vmx_adjust_controls(cap, 0, BIT(8), &v), "a needed bit the CPU forbids");
	cr_assert(vmx_adjust_controls(cap, 0, 0, &v));
	cr_assert_eq(v, 0x16);
}

Test(vmx_state, cr0_under_unrestricted_guest)
{
	cr_assert_eq(vmx_cr0_host_mask(&fx), BIT(5), "only NE is forced; PE/PG are the guest's");
	cr_assert_eq(vmx_cr0_real(&fx, BIT(4)), BIT(4) | BIT(5), "real mode guest runs with NE set");
	cr_assert_eq(vmx_cr0_real(&fx, 0x80000011) & 0x80000001, 0x80000001);

	struct vmx_fixed_bits restricted = fx;
	restricted.unrestricted = false;
	cr_assert_eq(vmx_cr0_host_mask(&restricted), 0x80000021);
	cr_assert_eq(vmx_cr0_real(&restricted, 0), 0x80000021);
}

Test(vmx_state, cr4_hides_vmxe)
{
	uint64_t m = vmx_cr4_host_mask(&fx);
	cr_assert(m & CR4_VMXE);
	cr_assert(m & BIT(22), "an unsupported bit is host-owned, so setting it exits");
	cr_assert_not(m & CR4_PAE);
	cr_assert_eq(vmx_cr4_real(&fx, CR4_PAE), CR4_PAE | CR4_VMXE);
	cr_assert(vmx_cr4_guest_forbidden(&fx) & CR4_VMXE);
	cr_assert_not(vmx_cr4_guest_forbidden(&fx) & CR4_PAE);
}

/* State no backend switches stays out of guests' reach even where the CPU
 * allows the CR4 bit (docs/cpu-state.md): OSXSAVE (18), PKE (22), CET (23),
 * PKS (24) and SMXE (14) are host-owned and refused. */
Test(vmx_state, cr4_never_for_guests)
{
	struct vmx_fixed_bits all = fx;
	all.cr4_fixed1 = ~0ULL; /* a CPU that allows every bit */
	static const unsigned bits[] = { 14, 18, 22, 23, 24 };
	for (unsigned i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		cr_assert(vmx_cr4_host_mask(&all) & BIT(bits[i]), "CR4 bit %u host-owned", bits[i]);
		cr_assert(vmx_cr4_guest_forbidden(&all) & BIT(bits[i]), "CR4 bit %u refused",
			  bits[i]);
	}
	cr_assert_not(vmx_cr4_guest_forbidden(&all) & BIT(20), "SMEP stays the guest's");
	cr_assert_not(vmx_cr4_host_mask(&all) & BIT(7), "PGE stays guest-owned (no exit)");
}

/* A guest state as vmx.c would write it for core's start state. */
static struct vmx_guest_state state_for(enum vcpu_mode mode)
{
	struct vcpu_sregs s;
	struct vmx_guest_state g;

	memset(&g, 0, sizeof(g));
	vcpu_sregs_for_mode(&s, mode, 0x10000);
	for (unsigned int i = 0; i < SEG_COUNT; i++)
		g.seg[i] = (struct vmx_seg_state){ s.seg[i].sel, s.seg[i].limit,
						   vmx_ar_from_attr(s.seg[i].attr), s.seg[i].base };
	g.cr0 = vmx_cr0_real(&fx, s.cr0);
	g.cr3 = s.cr3;
	g.cr4 = vmx_cr4_real(&fx, s.cr4);
	g.dr7 = s.dr7;
	g.efer = s.efer;
	g.pat = 0x0007040600070406ULL;
	g.rflags = 2;
	g.rip = mode == VCPU_MODE_REAL ? 0x7c00 : 0x100000;
	g.gdtr_limit = s.gdtr.limit;
	g.idtr_limit = s.idtr.limit;
	g.link_pointer = ~0ULL;
	g.entry_controls = ENTRY_LOAD_EFER | ENTRY_LOAD_PAT | ENTRY_LOAD_DEBUG_CONTROLS |
			   ((s.efer & EFER_LMA) ? ENTRY_IA32E_MODE_GUEST : 0);
	return g;
}

static const char *check(const struct vmx_guest_state *g, uint64_t *v)
{
	return vmx_check_guest_state(g, &fx, v);
}

#define assert_fails_with(g, needle)                                                           \
	do {                                                                                   \
		uint64_t v_;                                                                   \
		const char *w_ = check(&(g), &v_);                                             \
		cr_assert_not_null(w_, "expected a failure mentioning '%s'", needle);          \
		cr_assert_not_null(strstr(w_, needle), "got '%s', expected '%s'", w_, needle); \
	} while (0)

Test(vmx_state, core_start_states_pass)
{
	uint64_t v;
	for (int m = VCPU_MODE_REAL; m <= VCPU_MODE_LONG64; m++) {
		struct vmx_guest_state g = state_for((enum vcpu_mode)m);
		const char *w = check(&g, &v);
		cr_assert_null(w, "mode %d: %s", m, w);
	}
}

Test(vmx_state, cr0_checks)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_PROT32);
	g.cr0 &= ~BIT(5); /* NE */
	assert_fails_with(g, "CR0: a bit IA32_VMX_CR0_FIXED0 requires");
	g = state_for(VCPU_MODE_REAL);
	g.cr0 |= CR0_PG;
	assert_fails_with(g, "PG set without PE");
	g = state_for(VCPU_MODE_REAL);
	g.cr0 |= 1ULL << 40;
	assert_fails_with(g, "FIXED1 forbids");
}

Test(vmx_state, cr4_and_long_mode_consistency)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_LONG64);
	uint64_t v;

	g.cr4 &= ~CR4_VMXE;
	assert_fails_with(g, "CR4: a bit IA32_VMX_CR4_FIXED0 requires");
	g = state_for(VCPU_MODE_LONG64);
	g.cr4 &= ~CR4_PAE;
	assert_fails_with(g, "IA-32e mode with CR4.PAE clear");
	g = state_for(VCPU_MODE_LONG64);
	g.efer &= ~EFER_LMA;
	assert_fails_with(g, "EFER.LMA differs from the IA-32e mode guest entry control");
	g = state_for(VCPU_MODE_LONG64);
	g.efer &= ~EFER_LME;
	assert_fails_with(g, "LMA differs from LME");
	g = state_for(VCPU_MODE_LONG64);
	g.efer |= BIT(12); /* SVME: reserved on Intel */
	assert_fails_with(g, "EFER: reserved bits");
	g = state_for(VCPU_MODE_PROT32);
	g.cr4 |= CR4_PCIDE;
	assert_fails_with(g, "PCIDE");
	g = state_for(VCPU_MODE_LONG64);
	g.cr3 = 1ULL << 45;
	cr_assert_not_null(check(&g, &v));
	cr_assert_eq(v, 1ULL << 45, "the offending value is reported");
}

Test(vmx_state, msr_and_debug_fields)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_PROT32);
	g.pat = 0x0007040600070402ULL;
	assert_fails_with(g, "PAT");
	g = state_for(VCPU_MODE_PROT32);
	g.dr7 = 1ULL << 32;
	assert_fails_with(g, "DR7");
	g = state_for(VCPU_MODE_PROT32);
	g.sysenter_eip = 0x0000800000000000ULL;
	assert_fails_with(g, "SYSENTER_EIP");
}

Test(vmx_state, segment_checks)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_PROT32);
	g.seg[SEG_TR].ar = VMX_AR_UNUSABLE;
	assert_fails_with(g, "TR unusable");

	g = state_for(VCPU_MODE_LONG64);
	g.seg[SEG_TR].ar = 0x83; /* a 16-bit busy TSS cannot serve IA-32e mode */
	assert_fails_with(g, "guest TR type");

	g = state_for(VCPU_MODE_REAL);
	g.seg[SEG_SS].ar |= 3 << 5;
	assert_fails_with(g, "CS: non-conforming code with DPL other than SS.DPL");
	g.seg[SEG_CS].ar |= 3 << 5;
	assert_fails_with(g, "SS: DPL must be 0");

	g = state_for(VCPU_MODE_PROT32);
	g.seg[SEG_DS].ar &= ~1u; /* not accessed */
	assert_fails_with(g, "guest DS type: accessed bit clear");

	g = state_for(VCPU_MODE_PROT32);
	g.seg[SEG_ES].ar &= ~VMX_AR_G; /* 4 GiB limit with byte granularity */
	assert_fails_with(g, "guest ES limit does not match the G bit");

	g = state_for(VCPU_MODE_PROT32);
	g.seg[SEG_CS].ar = (g.seg[SEG_CS].ar & ~0xfu) | 0x1; /* data, read-only */
	assert_fails_with(g, "guest CS type");

	g = state_for(VCPU_MODE_LONG64);
	g.seg[SEG_CS].ar |= VMX_AR_DB;
	assert_fails_with(g, "L and D/B");

	g = state_for(VCPU_MODE_PROT32);
	g.seg[SEG_LDTR].ar = 0x83; /* usable, but not an LDT */
	assert_fails_with(g, "LDTR type");

	g = state_for(VCPU_MODE_LONG64);
	g.seg[SEG_FS].base = 0x0000800000000000ULL;
	assert_fails_with(g, "guest FS base not canonical");

	g = state_for(VCPU_MODE_PROT32);
	g.seg[SEG_SS].ar |= 0x100; /* reserved bit 8 */
	assert_fails_with(g, "guest SS access rights: reserved");
}

Test(vmx_state, unusable_data_segments_are_fine)
{
	uint64_t v;
	struct vmx_guest_state g = state_for(VCPU_MODE_LONG64);
	g.seg[SEG_DS].ar = VMX_AR_UNUSABLE;
	g.seg[SEG_ES].ar = VMX_AR_UNUSABLE;
	g.seg[SEG_SS].ar = VMX_AR_UNUSABLE;
	g.seg[SEG_DS].base = 0xffff800000000000ULL; /* ignored when unusable */
	cr_assert_null(check(&g, &v));
}

Test(vmx_state, virtual_8086_segments)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_PROT32);
	g.rflags |= RFLAGS_VM;
	assert_fails_with(g, "virtual-8086");
	for (unsigned int i = SEG_ES; i <= SEG_GS; i++)
		g.seg[i] = (struct vmx_seg_state){ 0x1000, 0xffff, 0xf3, 0x10000 };
	uint64_t v;
	const char *w = check(&g, &v);
	cr_assert_null(w, "%s", w);
}

Test(vmx_state, rip_and_rflags)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_PROT32);
	g.rip = 0x100000000ULL;
	assert_fails_with(g, "RIP: bits 63:32");
	g = state_for(VCPU_MODE_LONG64);
	g.rip = 0xffffffff80000000ULL; /* canonical: fine in 64-bit mode */
	uint64_t v;
	cr_assert_null(check(&g, &v));
	g.rip = 0x0000900000000000ULL;
	assert_fails_with(g, "RIP not canonical");
	g = state_for(VCPU_MODE_REAL);
	g.rflags = 0;
	assert_fails_with(g, "RFLAGS: bit 1 clear");
	g = state_for(VCPU_MODE_REAL);
	g.rflags = 2 | BIT(15);
	assert_fails_with(g, "RFLAGS: reserved");
	g = state_for(VCPU_MODE_REAL);
	g.rflags = 2 | RFLAGS_VM;
	assert_fails_with(g, "RFLAGS.VM");
}

Test(vmx_state, interruptibility_and_injection)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_PROT32);
	g.interruptibility = INTERRUPTIBILITY_STI;
	assert_fails_with(g, "blocking by STI with RFLAGS.IF clear");
	g.rflags |= RFLAGS_IF;
	uint64_t v;
	cr_assert_null(check(&g, &v));
	g.entry_intr_info = INTR_INFO_VALID | (INTR_TYPE_EXTINT << 8) | 0x20;
	assert_fails_with(g, "external interrupt injected during STI");
	g = state_for(VCPU_MODE_PROT32);
	g.entry_intr_info = INTR_INFO_VALID | (INTR_TYPE_EXTINT << 8) | 0x20;
	assert_fails_with(g, "external interrupt injected with RFLAGS.IF clear");
	g = state_for(VCPU_MODE_PROT32);
	g.interruptibility = INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS;
	g.rflags |= RFLAGS_IF;
	assert_fails_with(g, "both set");
	g = state_for(VCPU_MODE_PROT32);
	g.activity = 7;
	assert_fails_with(g, "activity state");
	g = state_for(VCPU_MODE_PROT32);
	g.link_pointer = 0x1000;
	assert_fails_with(g, "link pointer");
}

/* Canonical means 57 bits with CR4.LA57 (5-level paging), 48 without. */
Test(vmx_state, canonical_follows_cr4_la57)
{
	struct vmx_guest_state g = state_for(VCPU_MODE_LONG64);
	uint64_t la57_direct_map = 0xff11000000000000ULL; /* Linux's direct map with 5-level paging */
	cr_assert_not(canonical(&g, la57_direct_map), "not canonical with 48 bits");
	cr_assert(canonical(&g, 0xffff888000000000ULL));
	cr_assert_not(canonical(&g, 0x0000800000000000ULL));
	g.cr4 |= CR4_LA57;
	cr_assert(canonical(&g, la57_direct_map));
	cr_assert(canonical(&g, 0x0000800000000000ULL), "bit 47 is an address bit with 57");
	cr_assert(canonical(&g, 0x00ffffffffffffffULL));
	cr_assert_not(canonical(&g, 0x0100000000000000ULL), "bit 56 set, 63:57 clear");
	cr_assert_not(canonical(&g, 0xfe00000000000000ULL), "bit 56 clear, 63:57 set");
}
