/* SPDX-License-Identifier: BSD-2-Clause */
/* core/exc_reflect.c: how intercepted #DB and #AC go back to the guest
 * (issue 12, CVE-2015-5307 and CVE-2015-8104), decoded by both backends'
 * decoders from real exit records, and the DR6/DR7 updates VMX leaves to
 * the hypervisor (SDM Vol. 3B §18.2.3-4, Vol. 3C §27.1). */
#include <criterion/criterion.h>
#include <string.h>

#include "arch/x86/svm/svm_decode.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmx_decode.h"
#include "core/exc_reflect.h"

#define RFLAGS_BASE 0x202ULL /* IF and the fixed bit */

static const uint8_t cpl3 = 3;

static struct vm_exit svm_exc(uint8_t vector, uint64_t info1)
{
	struct svm_exit_raw raw = { .exit_code = SVM_EXIT_EXCP_BASE + vector,
				    .info1 = info1,
				    .rip = 0x401000,
				    .cpl = &cpl3 };
	struct vm_exit e;
	memset(&e, 0xa5, sizeof(e));
	svm_decode_exit(&raw, &e);
	return e;
}

static struct vm_exit vmx_exc(uint8_t vector, unsigned int type, bool err, uint32_t error,
			      uint64_t qual, uint32_t len)
{
	struct vmx_exit_raw raw = {
		.enter_status = VMX_ENTER_EXITED,
		.reason = VMX_EXIT_EXCEPTION_NMI,
		.intr_info = INTR_INFO_VALID | (type << 8) | vector |
			     (err ? INTR_INFO_ERROR_VALID : 0),
		.intr_error = error,
		.qual = qual,
		.insn_len = len,
		.rip = 0x401000,
	};
	struct vm_exit e;
	memset(&e, 0xa5, sizeof(e));
	vmx_decode_exit(&raw, &e);
	return e;
}

Test(exc_reflect, both_backends_intercept_db_ac_mc)
{
	cr_assert_eq(EXC_INTERCEPTED, (1u << 1) | (1u << 17) | (1u << 18));
}

Test(exc_reflect, ac_on_svm_is_reflected_with_error_0_and_rf)
{
	struct vm_exit e = svm_exc(EXC_AC, 0);
	struct vcpu_event ev;
	uint64_t rflags = RFLAGS_BASE;

	cr_assert_eq(e.reason, EXIT_EXCEPTION);
	cr_assert_eq(exc_reflect(&e, &rflags, &ev), EXC_REFLECT_INJECT);
	cr_assert_eq(ev.type, VCPU_EVENT_EXCEPTION);
	cr_assert_eq(ev.vector, 17);
	cr_assert(ev.has_error);
	cr_assert_eq(ev.error, 0);
	cr_assert_eq(rflags, RFLAGS_BASE | EXC_RFLAGS_RF, "a fault is pushed with RF set");
}

Test(exc_reflect, ac_error_code_is_0_whatever_the_exit_said)
{
	struct vm_exit e = vmx_exc(EXC_AC, INTR_TYPE_HW_EXCEPTION, true, 0xdead, 0, 0);
	struct vcpu_event ev;
	uint64_t rflags = RFLAGS_BASE;

	cr_assert_eq(exc_reflect(&e, &rflags, &ev), EXC_REFLECT_INJECT);
	cr_assert(ev.has_error);
	cr_assert_eq(ev.error, 0);
}

Test(exc_reflect, db_is_reflected_without_error_and_rf_untouched)
{
	struct vm_exit es = svm_exc(EXC_DB, 0);
	struct vm_exit ev_x = vmx_exc(EXC_DB, INTR_TYPE_HW_EXCEPTION, false, 0, DR6_BS, 0);
	const struct vm_exit *cases[] = { &es, &ev_x };

	for (unsigned int i = 0; i < 2; i++) {
		struct vcpu_event ev;
		uint64_t rflags = RFLAGS_BASE;
		cr_assert_eq(exc_reflect(cases[i], &rflags, &ev), EXC_REFLECT_INJECT);
		cr_assert_eq(ev.vector, 1);
		cr_assert_not(ev.has_error);
		cr_assert_eq(rflags, RFLAGS_BASE,
			     "an instruction breakpoint is pushed with RF as it was");
		rflags = RFLAGS_BASE | EXC_RFLAGS_RF;
		exc_reflect(cases[i], &rflags, &ev);
		cr_assert_eq(rflags, RFLAGS_BASE | EXC_RFLAGS_RF);
	}
}

Test(exc_reflect, mc_stops)
{
	struct vm_exit e = svm_exc(EXC_MC, 0);
	struct vcpu_event ev;
	uint64_t rflags = RFLAGS_BASE;

	cr_assert_eq(exc_reflect(&e, &rflags, &ev), EXC_REFLECT_STOP);
	cr_assert_eq(rflags, RFLAGS_BASE);
}

Test(exc_reflect, other_faults_get_rf_traps_do_not)
{
	struct vcpu_event ev;
	uint64_t rflags;

	struct vm_exit gp = vmx_exc(EXC_GP, INTR_TYPE_HW_EXCEPTION, true, 0x10, 0, 0);
	rflags = RFLAGS_BASE;
	exc_reflect(&gp, &rflags, &ev);
	cr_assert_eq(rflags, RFLAGS_BASE | EXC_RFLAGS_RF);
	cr_assert_eq(ev.error, 0x10, "other error codes are kept");

	struct vm_exit bp = vmx_exc(EXC_BP, INTR_TYPE_SW_EXCEPTION, false, 0, 0, 1);
	rflags = RFLAGS_BASE;
	exc_reflect(&bp, &rflags, &ev);
	cr_assert_eq(rflags, RFLAGS_BASE);
}

Test(exc_reflect, vmx_icebp_carries_its_length)
{
	struct vm_exit e = vmx_exc(EXC_DB, INTR_TYPE_PRIV_SW_EXCEPTION, false, 0, 0, 1);
	cr_assert_eq(e.insn_len, 1, "vmx_debug_exit steps over INT1 by it");
	struct vm_exit hw = vmx_exc(EXC_DB, INTR_TYPE_HW_EXCEPTION, false, 0, DR6_BS, 3);
	cr_assert_eq(hw.insn_len, 0, "a hardware #DB has no length: DR6 is updated instead");
}

Test(exc_reflect, dr6_single_step)
{
	uint64_t d = exc_dr6_after_db(0xffff0ff0ULL, DR6_BS);
	cr_assert_eq(d, 0xffff0ff0ULL | DR6_BS);
}

Test(exc_reflect, dr6_breakpoint_replaces_b0_b3_keeps_the_rest)
{
	/* B2 and BS from an earlier #DB the handler did not clear: B0-B3
	 * describe this one only, BS stays (the CPU never clears it). */
	uint64_t d = exc_dr6_after_db(0xffff0ff0ULL | 0x4 | DR6_BS, 0x1);
	cr_assert_eq(d, 0xffff0ff0ULL | 0x1 | DR6_BS);
}

Test(exc_reflect, dr6_bd_and_rtm_active_low)
{
	uint64_t d = exc_dr6_after_db(0xffff0ff0ULL, DR6_BD | DR6_RTM);
	cr_assert_eq(d, (0xffff0ff0ULL | DR6_BD) & ~DR6_RTM);
	/* Bit 12 of the qualification (an enabled breakpoint hit, RTM
	 * context) is reserved in DR6 and stays 0; bits 63:32 are 0. */
	d = exc_dr6_after_db(0xffffffffffff0ff0ULL, 0x1000 | 0x2);
	cr_assert_eq(d, 0xffff0ff2ULL);
}

Test(exc_reflect, dr6_fixed_bits_forced)
{
	cr_assert_eq(exc_dr6_after_db(0, 0), 0xffff0ff0ULL);
}

Test(exc_reflect, dr7_gd_cleared)
{
	cr_assert_eq(exc_dr7_after_db(0x400 | DR7_GD | 0x3), 0x403);
	cr_assert_eq(exc_dr7_after_db(0x400), 0x400);
}

/* ---- faults the hypervisor injects, single step over what it emulates (issue 14) ---- */

Test(exc_reflect, injected_faults_push_rf)
{
	/* #GP and #UD, the two the hypervisor raises itself, and every other
	 * fault: RF = 1 in the pushed RFLAGS (SDM Vol. 3B §18.3.1.1). */
	static const uint8_t faults[] = { EXC_DE, 5,      EXC_UD, EXC_NM, EXC_TS, EXC_NP, EXC_SS,
					  EXC_GP, EXC_PF, 16,     EXC_AC, 19,     20 };
	for (size_t i = 0; i < sizeof(faults); i++) {
		cr_assert(exc_is_fault(faults[i]), "vector %u", faults[i]);
		cr_assert_eq(exc_rflags_for_delivery(faults[i], RFLAGS_BASE),
			     RFLAGS_BASE | EXC_RFLAGS_RF, "vector %u", faults[i]);
	}
}

Test(exc_reflect, traps_aborts_and_db_keep_rflags)
{
	/* #DB (a single-step trap here), #BP, #OF, #DF, #MC, NMI. */
	static const uint8_t others[] = { EXC_DB, EXC_NMI, EXC_BP, 4, EXC_DF, EXC_MC };
	for (size_t i = 0; i < sizeof(others); i++) {
		cr_assert_not(exc_is_fault(others[i]), "vector %u", others[i]);
		cr_assert_eq(exc_rflags_for_delivery(others[i], RFLAGS_BASE), RFLAGS_BASE,
			     "vector %u", others[i]);
	}
	/* An RF already set stays set for a fault. */
	cr_assert_eq(exc_rflags_for_delivery(EXC_GP, RFLAGS_BASE | EXC_RFLAGS_RF),
		     RFLAGS_BASE | EXC_RFLAGS_RF);
}

Test(exc_reflect, completed_instruction_clears_rf_only)
{
	uint64_t f = RFLAGS_BASE | EXC_RFLAGS_RF | EXC_RFLAGS_TF;
	cr_assert_eq(exc_rflags_after_insn(f), RFLAGS_BASE | EXC_RFLAGS_TF);
	cr_assert_eq(exc_rflags_after_insn(RFLAGS_BASE), RFLAGS_BASE);
}

Test(exc_reflect, single_step_due_with_tf_only)
{
	cr_assert(exc_single_step_due(RFLAGS_BASE | EXC_RFLAGS_TF));
	cr_assert_not(exc_single_step_due(RFLAGS_BASE));
	cr_assert_not(exc_single_step_due(RFLAGS_BASE | EXC_RFLAGS_RF));
}

Test(exc_reflect, single_step_dr6_sets_bs_clears_b0_b3)
{
	/* What the backends write for an injected single step (ev.dr6 = BS). */
	cr_assert_eq(exc_dr6_after_db(0xffff0ff0ULL, DR6_BS), 0xffff0ff0ULL | DR6_BS);
	/* A breakpoint hit the handler did not clear goes; BD stays. */
	cr_assert_eq(exc_dr6_after_db(0xffff0ff0ULL | 0x3 | DR6_BD, DR6_BS),
		     0xffff0ff0ULL | DR6_BS | DR6_BD);
	cr_assert_eq(exc_dr6_after_db(0, DR6_BS), 0xffff0ff0ULL | DR6_BS);
}

Test(exc_reflect, string_io_one_element_per_step)
{
	cr_assert_eq(exc_string_io_batch(RFLAGS_BASE, 64), 64);
	cr_assert_eq(exc_string_io_batch(RFLAGS_BASE | EXC_RFLAGS_TF, 64), 1);
}
