/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "core/exc_reflect.h"
#include "core/log.h"
#include "core/platform.h"
#include "core/vcpu.h"

/* A backend that is not built in is an empty table (weak default), so the
 * image links while a backend is being developed. */
__attribute__((weak)) const struct vcpu_backend svm_backend;
__attribute__((weak)) const struct vcpu_backend vmx_backend;

const struct vcpu_backend *vcpu_backend;
const struct virt_caps *vcpu_caps;

/* Pick the backend for this CPU's vendor and probe it. */
const struct vcpu_backend *vcpu_backend_select(struct virt_caps *caps)
{
	const struct vcpu_backend *b = NULL;
	if (boot_cpu.has_vmx)
		b = &vmx_backend;
	else if (boot_cpu.has_svm)
		b = &svm_backend;
	if (!b || !b->name || !b->probe) {
		caps->tech = boot_cpu.has_vmx ? "VMX" : boot_cpu.has_svm ? "SVM" : "none";
		caps->present = boot_cpu.has_vmx || boot_cpu.has_svm;
		caps->usable = false;
		caps->why_not = caps->present ? "backend not built" : "CPU has neither VMX nor SVM";
		return NULL;
	}
	b->probe(caps);
	vcpu_caps = caps;
	return caps->usable ? b : NULL;
}

/* Faults go in with RF set in the pushed RFLAGS, as the CPU delivers them
 * (core/exc_reflect.h, exc_rflags_for_delivery). */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	struct vcpu_event ev = { VCPU_EVENT_EXCEPTION, vector, has_error, error, 0 };
	v->rflags = exc_rflags_for_delivery(vector, v->rflags);
	vcpu_backend->inject(v, &ev);
}

void vcpu_inject_single_step(struct vcpu *v)
{
	struct vcpu_event ev = { VCPU_EVENT_EXCEPTION, EXC_DB, false, 0, DR6_BS };
	vcpu_backend->inject(v, &ev);
}

STATIC_ASSERT(VCPU_RFLAGS_TF_RF == (EXC_RFLAGS_TF | EXC_RFLAGS_RF), "vcpu.h's copy of TF and RF");

void vcpu_insn_done_slow(struct vcpu *v)
{
	bool step = exc_single_step_due(v->rflags);
	v->rflags = exc_rflags_after_insn(v->rflags);
	if (step)
		vcpu_inject_single_step(v);
}

void vcpu_inject_irq(struct vcpu *v, uint8_t vector)
{
	struct vcpu_event ev = { VCPU_EVENT_EXTINT, vector, false, 0, 0 };
	vcpu_backend->inject(v, &ev);
}

/* May run on any CPU (the test device of one vCPU raises on vCPU 0): the
 * bit is set atomically, then vcpu_kick wakes a halted vCPU and kicks its
 * home CPU, which may be idle in HLT with no timer due. (Setting the state
 * here by hand woke the vCPU without telling its CPU, and made the kick
 * that followed look like no wake at all.) */
void vcpu_raise_irq(struct vcpu *v, uint8_t vector)
{
	__atomic_fetch_or(&v->irq_pending[vector / 64], 1ULL << (vector % 64), __ATOMIC_SEQ_CST);
	vcpu_kick(v);
}

static int highest_pending(const struct vcpu *v)
{
	for (int w = 3; w >= 0; w--)
		if (v->irq_pending[w])
			return w * 64 + 63 - __builtin_clzll(v->irq_pending[w]);
	return -1;
}

bool vcpu_irq_pending(const struct vcpu *v)
{
	return highest_pending(v) >= 0 ||
	       (v->part->platform && platform_has_interrupt((struct vcpu *)v));
}

void vcpu_clear_interrupts(struct vcpu *v)
{
	for (unsigned int w = 0; w < ARRAY_SIZE(v->irq_pending); w++)
		__atomic_store_n(&v->irq_pending[w], 0, __ATOMIC_SEQ_CST);
	vcpu_backend->clear_events(v);
}

/* After INIT an application processor waits for a start-up IPI, which
 * starts it in real mode at CS:IP = (vector << 8):0, i.e. physical address
 * vector << 12 (SDM Vol. 3A §8.4.4.1, §10.6.1 "Start-Up"). */
static void start_ap(struct vcpu *v, uint8_t vector)
{
	struct vcpu_sregs s;
	vcpu_sregs_for_mode(&s, VCPU_MODE_REAL, 0);
	s.seg[SEG_CS].sel = (uint16_t)(vector << 8);
	s.seg[SEG_CS].base = (uint64_t)vector << 12;
	for (unsigned int i = 0; i < GPR_COUNT; i++)
		v->gpr[i] = 0;
	v->rip = 0;
	v->rflags = RFLAGS_FIXED;
	vcpu_backend->set_sregs(v, &s);
	v->state = VCPU_RUNNABLE;
	pr_debug("[%s] vCPU %u started by SIPI at %#x", v->part->name, v->id, vector << 12);
}

bool vcpu_handle_startup(struct vcpu *v)
{
	bool init;
	int vector = platform_take_startup(v, &init);
	bool changed = false;

	if (init && v->id != 0 && v->state != VCPU_STOPPED) {
		/* Whatever it was doing (running, halted, parked); an event it
		 * was about to take must not reach the code the SIPI starts. */
		v->state = VCPU_WAIT_SIPI;
		vcpu_backend->clear_events(v);
		changed = true;
	}
	if (vector >= 0 && v->state == VCPU_WAIT_SIPI) {
		start_ap(v, (uint8_t)vector);
		changed = true;
	}
	return changed;
}

/* True if an NMI took the event slot. NMIs come before external
 * interrupts (SDM Vol. 3A §6.9, priority 5 against 6). */
static bool deliver_nmi(struct vcpu *v)
{
	if (!v->part->platform)
		return false;
	switch (vcpu_nmi_step(platform_nmi(v, false), vcpu_backend->nmi_allowed(v))) {
	case NMI_INJECT: {
		struct vcpu_event ev = { .type = VCPU_EVENT_NMI, .vector = EXC_NMI };
		/* An INIT from another vCPU may have dropped it meanwhile. */
		if (!platform_nmi(v, true))
			return false;
		vcpu_backend->inject(v, &ev);
		return true;
	}
	case NMI_WAIT:
		v->irq_any = true;
		vcpu_backend->request_nmi_window(v, true);
		return false;
	default:
		return false;
	}
}

/* Interrupts come from the platform's controllers (PIC, local APIC) and
 * from the test device's direct vectors (irq_pending). Called before an
 * entry while v->irq_any says something may be waiting.
 *
 * irq_any is cleared before looking, and set again if something is left
 * waiting: a kick from another CPU after the clear sets it again. (Clearing
 * it after finding nothing lost a kick that came in between: the
 * interrupt then sat in the LAPIC until some later kick, while the vCPU
 * went on exiting at every HLT; an IPI another vCPU spins on could wait
 * seconds.) The partition lock is taken once, not once per question:
 * this path runs on every CPU before most entries, and it was the lock's
 * most contended site when vCPUs outnumber host CPUs. */
void vcpu_deliver_interrupts(struct vcpu *v)
{
	__atomic_store_n(&v->irq_any, false, __ATOMIC_SEQ_CST);
	if (v->part->platform && platform_startup_pending(v) && vcpu_handle_startup(v) &&
	    v->state != VCPU_RUNNABLE)
		return;
	if (deliver_nmi(v))
		v->irq_any = true; /* an interrupt may wait behind it: look again */
	bool can = !vcpu_backend->event_pending(v) && vcpu_backend->interruptible(v);
	if (!can) {
		/* Nothing can be injected before the interrupt window, whose
		 * exit brings the vCPU back here: until then the controllers
		 * need not be asked (nor their lock taken) at every exit. */
		v->irq_any = true;
		vcpu_backend->request_intr_window(v, true);
		return;
	}
	int pv = -1;
	bool more = false;
	bool from_platform = v->part->platform && platform_next_interrupt(v, true, &pv, &more);
	int vec = highest_pending(v);
	if (!from_platform && vec < 0)
		return;
	if (pv >= 0) {
		vcpu_inject_irq(v, (uint8_t)pv);
	} else if (vec >= 0) {
		__atomic_fetch_and(&v->irq_pending[vec / 64], ~(1ULL << (vec % 64)),
				   __ATOMIC_SEQ_CST);
		vcpu_inject_irq(v, (uint8_t)vec);
	} else {
		v->irq_any = true; /* the controller refused it just now: look again */
		return;
	}
	/* Another one waiting: exit as soon as the guest can take it, and
	 * look again then. */
	if (more || highest_pending(v) >= 0) {
		v->irq_any = true;
		vcpu_backend->request_intr_window(v, true);
	}
}

void vcpu_log_events(struct vcpu *v)
{
	char backend[192] = "";
	if (vcpu_backend->describe_events)
		vcpu_backend->describe_events(v, backend, sizeof(backend));
	bool nmi = v->part->platform && platform_nmi(v, false);
	pr_info("[%s] vCPU %u events: NMI pending %s, interrupt lookup %s, RFLAGS.IF %u; %s",
		v->part->name, v->id, nmi ? "yes" : "no", v->irq_any ? "due" : "idle",
		(v->rflags & RFLAGS_IF) ? 1u : 0u, backend);
}
