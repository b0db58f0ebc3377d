/* SPDX-License-Identifier: BSD-2-Clause */
/* The exit fast path in pieces, for a backend's exit code (svm.c, vmx.c)
 * that decodes its commonest exits itself (docs/exit-flow.md, "The
 * shorter path"). Inline, so the backend's C half handles a CPUID
 * without a call into core; every piece does what vcpu_exit_fast
 * (core/exits.c) does for the same exit, which is built from them too.
 *
 * The protocol for one exit:
 *   if (vcpu_fast_open(v)) {        budget left, no trace=exits
 *           decode the exit into v->exit (reason, rip, insn_len, ...)
 *           v->stats.count[reason]++;
 *           a = vcpu_fast_cpuid(v), vcpu_handle_io(v), hypercall_dispatch(v);
 *           if (vcpu_fast_finish(v, a)) enter the guest again;
 *           else return to the run loop, which takes the action a;
 *   }
 * Every other exit, or any exit while vcpu_fast_open is false, is decoded
 * in full and offered to vcpu_exit_fast. */
#ifndef BULKHEAD_CORE_EXIT_FAST_H
#define BULKHEAD_CORE_EXIT_FAST_H

#include "core/cpuid_policy.h"
#include "core/exits.h"
#include "core/hypercall.h"
#include "core/iobus.h"
#include "core/partition.h"
#include "core/percpu.h"

/* May the fast path take this exit? Exits left in the turn: run_exits sets
 * the budget to 0 with trace=exits, so the loop traces every exit. An
 * interrupt already pending is no reason to decline: vcpu_fast_finish
 * hands the handled exit back to the loop, which delivers it. */
static inline bool vcpu_fast_open(const struct vcpu *v)
{
	return v->fast_budget != 0;
}

/* After the handler: resume here (true) only when its action is RESUME,
 * no interrupt waits for delivery (irq_any, read again from memory:
 * another CPU may have raised one while the handler ran), the scheduler
 * has not asked this CPU to make room (need_resched: a kick, a woken
 * vCPU, a service task, the slice's end). Otherwise the handled exit goes
 * to the loop with its action. */
static inline __attribute__((always_inline)) bool vcpu_fast_finish(struct vcpu *v, enum exit_action a)
{
	if (likely(a == EXIT_ACTION_RESUME && !__atomic_load_n(&v->irq_any, __ATOMIC_RELAXED) &&
		   !this_cpu_need_resched())) {
		v->fast_budget--;
		return true;
	}
	v->fast_handled = true;
	v->fast_action = (uint8_t)a;
	return false;
}

/* CPUID leaves the table cannot answer with one load (leaf 1 and the APIC
 * ID leaves, ECX >= 8, extended and hypervisor ranges): core/exits.c. */
enum exit_action vcpu_cpuid_slow(struct vcpu *v);

/* CPUID: the partition's answers were computed once, at its creation
 * (core/cpuid_policy.c); a basic leaf with ECX below 8 and no APIC ID in
 * it is one indexed load. Writes EAX..EDX (zero-extended, SDM Vol. 1
 * §3.4.1.1) and completes the instruction (RIP, RFLAGS.RF/TF). */
static inline __attribute__((always_inline)) enum exit_action vcpu_fast_cpuid(struct vcpu *v)
{
	const struct cpuid_result *r = cpuid_table_fast(&v->part->cpuid, (uint32_t)v->gpr[GPR_RAX],
							(uint32_t)v->gpr[GPR_RCX]);
	if (unlikely(!r))
		return vcpu_cpuid_slow(v);
	v->gpr[GPR_RAX] = r->eax;
	v->gpr[GPR_RBX] = r->ebx;
	v->gpr[GPR_RCX] = r->ecx;
	v->gpr[GPR_RDX] = r->edx;
	vcpu_advance_rip(v);
	return EXIT_ACTION_RESUME;
}

/* The shortest path, for a backend that completes a CPUID or a hypercall
 * without copying the guest's RAX, RIP and RFLAGS out of its VMCB/VMCS
 * first (svm.c): it writes RAX and the next RIP there itself. Only while
 * RFLAGS.TF and RF are clear: completing an instruction under them takes
 * vcpu_insn_done's single-step #DB and RF clearing (the full path). */
static inline bool vcpu_quick_allowed(uint64_t rflags)
{
	return likely(!(rflags & VCPU_RFLAGS_TF_RF));
}

/* The exit record and the count of an exit the shortest path completed
 * (raw: the backend's exit code, for traces). The rest of the record
 * (RIP, length, operands) is filled only if the exit goes to the loop. */
static inline __attribute__((always_inline)) void vcpu_quick_record(struct vcpu *v,
								    enum exit_reason r, uint32_t raw)
{
	v->exit.reason = r;
	v->exit.raw_reason = raw;
	v->stats.count[r]++;
}

/* CPUID: the table's answer for the guest's RAX (given) and RCX, or NULL
 * for a CPUID vcpu_fast_cpuid must handle (a leaf the table cannot answer
 * with one load). The backend writes EAX (zero-extended) and RIP; here
 * EBX, ECX, EDX. */
static inline __attribute__((always_inline)) const struct cpuid_result *vcpu_cpuid_quick(
		const struct vcpu *v, uint64_t rax)
{
	return cpuid_table_fast(&v->part->cpuid, (uint32_t)rax, (uint32_t)v->gpr[GPR_RCX]);
}

static inline __attribute__((always_inline)) void vcpu_cpuid_quick_regs(struct vcpu *v,
									const struct cpuid_result *r)
{
	v->gpr[GPR_RBX] = r->ebx;
	v->gpr[GPR_RCX] = r->ecx;
	v->gpr[GPR_RDX] = r->edx;
}

/* The hypercalls answered with a value and no other effect
 * (docs/hypercall-abi.md), and the refusal of any call from CPL > 0:
 * here for the shortest path and for core/hypercall.c's dispatch alike.
 * nr as the guest's mode holds it (the low 32 bits outside 64-bit mode).
 * False: hypercall_dispatch's. */
static inline __attribute__((always_inline)) bool vcpu_hypercall_quick(const struct vcpu *v,
								       uint64_t nr, uint8_t cpl,
								       uint64_t *ret)
{
	/* Only the guest's kernel may call, as under KVM: a process at CPL 3
	 * must not stop or restart its partition or write its console. The
	 * refusal has no other effect, whatever the number. */
	if (unlikely(cpl != 0)) {
		*ret = (uint64_t)HC_EPERM;
		return true;
	}
	if (nr == HC_VERSION) {
		*ret = HV_ABI_VERSION;
		return true;
	}
	if (nr == HC_PARTITION_BOOTS) {
		*ret = v->part->boots;
		return true;
	}
	return false;
}

/* Port I/O (IN, OUT, INS, OUTS) as the loop handles it (core/exits.c). */
enum exit_action vcpu_handle_io(struct vcpu *v);

/* IN or OUT (no string) on the shortest path: the access, under the
 * partition's lock, through the bus's lookup cache. rax is the guest's
 * RAX; the result is its RAX after the instruction (an IN's value merged
 * in as handle_io does: a 32-bit IN zero-extends, SDM Vol. 1 §3.4.1.1).
 * The backend moves RIP; then, if vcpu_power_due, the exit needs
 * vcpu_pio_power with struct vcpu's registers current (a device asked
 * for a reset or power-off). */
static inline __attribute__((always_inline)) uint64_t vcpu_pio_quick(struct vcpu *v, uint16_t port,
								     unsigned int size, bool in,
								     uint64_t rax)
{
	struct partition *p = v->part;
	uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1, *val = &v->exit.io.data;

	*val = rax & mask;
	partition_lock(p);
	const struct io_range *r = iobus_pio_cached(&p->bus, port);
	/* The device's answer is what iobus_pio would give; its error (it has
	 * logged why) changes nothing for the guest, as in handle_io. */
	if (likely(r) && in && r->read)
		(void)r->read(r->dev, port - r->base, size, val);
	else if (likely(r) && !in && r->write)
		(void)r->write(r->dev, port - r->base, size, *val);
	else
		iobus_pio(&p->bus, port, size, !in, val);
	partition_unlock(p);
	if (!in)
		return rax;
	return size == 4 ? (*val & mask) : ((rax & ~mask) | (*val & mask));
}
static inline bool vcpu_power_due(const struct vcpu *v)
{
	return unlikely(v->part->power_request);
}
enum exit_action vcpu_pio_power(struct vcpu *v);

#endif
