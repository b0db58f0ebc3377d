/* SPDX-License-Identifier: BSD-2-Clause */
/* core/vcpu.h vcpu_nmi_step: the decision vcpu_deliver_interrupts makes for
 * NMIs before each entry (SDM Vol. 3A §6.7.1, APM Vol. 2 §8.2.7). */
#include <criterion/criterion.h>
#include "core/vcpu.h"

Test(nmi_step, nothing_pending_nothing_to_do)
{
	cr_assert_eq(vcpu_nmi_step(false, true), NMI_NONE);
	cr_assert_eq(vcpu_nmi_step(false, false), NMI_NONE);
}

Test(nmi_step, pending_and_unblocked_is_injected)
{
	cr_assert_eq(vcpu_nmi_step(true, true), NMI_INJECT);
}

/* In the handler of an earlier NMI (or behind a queued event or a MOV SS
 * shadow): held pending until the backend's NMI window. */
Test(nmi_step, pending_but_blocked_waits_for_the_window)
{
	cr_assert_eq(vcpu_nmi_step(true, false), NMI_WAIT);
}
