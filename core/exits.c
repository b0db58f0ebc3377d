/* SPDX-License-Identifier: BSD-2-Clause */
/* The exit dispatcher. Each backend has already decoded its hardware exit
 * into v->exit (core/exit.h); here one handler per reason emulates, injects
 * or stops. Handlers are small; the table keeps the hot path to one
 * indirect call. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/tsc.h"
#include "core/cpuid_policy.h"
#include "core/console.h"
#include "core/cr_policy.h"
#include "core/emul/guest_walk.h"
#include "core/exc_reflect.h"
#include "core/emul/mmio_emul.h"
#include "core/exit_fast.h"
#include "core/exits.h"
#include "core/hv.h"
#include "core/log.h"
#include "core/msr_policy.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/sched.h"
#include "core/stats.h"
#include "core/vcpu_dump.h"

/* Elements of a REP INS/OUTS done per exit (issue 12): the rest after
 * re-entry, with RCX and RSI/RDI updated and RIP left on the instruction,
 * as the CPU itself may stop a REP string between iterations to take an
 * interrupt (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ"). Each element takes
 * and drops the partition's lock, so no exit holds it for a whole string;
 * 64 keeps one exit to a few microseconds. */
#define STRING_IO_BATCH 64
#define MMIO_RETRY_LIMIT 16

typedef enum exit_action (*exit_handler_fn)(struct vcpu *v);

static enum exit_action stop_failed(struct vcpu *v, const char *what)
{
	partition_stop(v->part, true, "%s at RIP %#lx", what, v->exit.rip);
	return EXIT_ACTION_STOPPED;
}

static enum exit_action inject_and_resume(struct vcpu *v, uint8_t vector, bool has_error,
					  uint32_t error)
{
	vcpu_inject_exception(v, vector, has_error, error);
	return EXIT_ACTION_RESUME;
}

static void set_gpr32(struct vcpu *v, enum gpr r, uint32_t val)
{
	v->gpr[r] = val; /* 32-bit results zero-extend (SDM Vol. 1 §3.4.1.1) */
}

/* A handler that finds the exit was something else (MMIO -> bad GPA) moves
 * it here, so the statistics count it once, under its final reason. */
static void exit_reclassify(struct vcpu *v, enum exit_reason r)
{
	v->stats.count[v->exit.reason]--;
	v->stats.count[r]++;
	v->exit.reason = r;
}

/* The leaves cpuid_table_fast cannot answer (core/exit_fast.h has the
 * rest of the handler, inlined where the fast path calls it). */
enum exit_action vcpu_cpuid_slow(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->gpr[GPR_RAX];
	struct cpuid_result r = cpuid_table_lookup_slow(&v->part->cpuid, v->id, leaf,
							(uint32_t)v->gpr[GPR_RCX]);
	uint64_t apic_base;
	bool gp;
	/* CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN (SDM Vol. 3A §10.4.3). */
	if (leaf == 1 && platform_msr(v, MSR_IA32_APIC_BASE, false, &apic_base, &gp) && !gp)
		cpuid_apply_apic_enable(&r, apic_base & APIC_BASE_EN);
	set_gpr32(v, GPR_RAX, r.eax);
	set_gpr32(v, GPR_RBX, r.ebx);
	set_gpr32(v, GPR_RCX, r.ecx);
	set_gpr32(v, GPR_RDX, r.edx);
	vcpu_advance_rip(v);
	return EXIT_ACTION_RESUME;
}

/* A function of its own in the handler table; vcpu_exit_fast and the
 * backends inline vcpu_fast_cpuid. */
static enum exit_action handle_cpuid(struct vcpu *v)
{
	return vcpu_fast_cpuid(v);
}

static void unknown_msr(struct vcpu *v, const char *dir)
{
	struct partition *p = v->part;
	uint64_t cur;
	if (p->unknown_msr_logged)
		return;
	p->unknown_msr_logged = true;
	uint32_t index = v->exit.msr.index;
	if (msr_is_known(index))
		pr_warn("[%s] %s of MSR %#x, which this guest's CPUID does not offer or which refuses the "
			"access, at RIP %#lx: #GP injected (logged once per partition)",
			p->name, dir, index, v->exit.rip);
	else
		pr_warn("[%s] %s of %s MSR %#x at RIP %#lx: #GP injected (logged once per partition)",
			p->name, dir, msr_read(v, index, &cur) ? "a value refused by" : "unknown",
			index, v->exit.rip);
}

static enum exit_action handle_rdmsr(struct vcpu *v)
{
	uint64_t val;
	if (!msr_read(v, v->exit.msr.index, &val)) {
		unknown_msr(v, "rdmsr");
		return inject_and_resume(v, EXC_GP, true, 0);
	}
	set_gpr32(v, GPR_RAX, (uint32_t)val);
	set_gpr32(v, GPR_RDX, (uint32_t)(val >> 32));
	vcpu_advance_rip(v);
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_wrmsr(struct vcpu *v)
{
	uint64_t val = (v->gpr[GPR_RAX] & 0xffffffffULL) | (v->gpr[GPR_RDX] << 32);
	if (!msr_write(v, v->exit.msr.index, val)) {
		unknown_msr(v, "wrmsr");
		return inject_and_resume(v, EXC_GP, true, 0);
	}
	vcpu_advance_rip(v);
	return EXIT_ACTION_RESUME;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* The instruction length when the hardware did not give it (SVM without
 * NRIP save on an exit that has no next RIP): decode at RIP. */
static __attribute__((noinline)) bool decode_insn_len(struct vcpu *v);

/* Inline and without locals, so the common case (the length is known)
 * costs no stack-protector canary check on the exit path. */
static inline bool ensure_insn_len(struct vcpu *v)
{
	return v->exit.insn_len || decode_insn_len(v);
}

static __attribute__((noinline)) bool decode_insn_len(struct vcpu *v)
{
	struct vcpu_sregs s;
	struct emul_ctx ctx;
	vcpu_backend->get_sregs(v, &s);
	emul_ctx_init(&ctx, v, &s, &v->part->mem, NULL, NULL, NULL, v->part->name,
		      v->part->maxphyaddr);
	if (emul_decode_at_rip(&ctx) != EMUL_OK)
		return false;
	v->exit.insn_len = ctx.insn.len;
	return true;
}

/* Address size and source segment of the INS/OUTS at RIP, from the code
 * size and its prefixes (SDM Vol. 2A §2.1.1), decoded by the one decoder
 * (core/emul/insn.c): SVM reports them only with decode assists, which
 * QEMU's TCG lacks. */
static bool string_io_operands(struct vcpu *v, const struct vcpu_sregs *s, uint8_t *addr_size,
			       uint8_t *seg)
{
	struct emul_ctx ctx;
	emul_ctx_init(&ctx, v, s, &v->part->mem, NULL, NULL, NULL, v->part->name,
		      v->part->maxphyaddr);
	if (emul_decode_at_rip(&ctx) != EMUL_OK || ctx.insn.kind != INSN_KIND_SYSTEM)
		return false;
	*addr_size = ctx.insn.addr_size;
	*seg = ctx.insn.seg; /* DS unless overridden */
	return true;
}

/* Port I/O to the partition's devices, under its device lock. */
static void partition_pio(struct partition *p, uint16_t port, unsigned int size, bool write,
			  uint64_t *val)
{
	partition_lock(p);
	iobus_pio(&p->bus, port, size, write, val);
	partition_unlock(p);
}

/* Iterations of a REP string instruction are done and RIP stays on it for
 * the rest: under single-step the iteration owes its #DB (core/exc_reflect.h,
 * exc_string_io_batch). */
static void rep_iteration_done(struct vcpu *v)
{
	if (unlikely(exc_single_step_due(v->rflags))) {
		v->rflags = exc_rflags_after_insn(v->rflags);
		vcpu_inject_single_step(v);
	}
}

/* INS/OUTS, with REP: each element goes between the device and guest memory
 * at seg:RSI (OUTS) or ES:RDI (INS), through the guest's page tables. */
static enum exit_action handle_string_io(struct vcpu *v)
{
	struct partition *p = v->part;
	const struct vm_exit *e = &v->exit;
	struct vcpu_sregs s;
	struct guest_walk_ctx wc;
	uint8_t addr_size, src_seg;

	vcpu_backend->get_sregs(v, &s);
	if (!string_io_operands(v, &s, &addr_size, &src_seg))
		return stop_failed(v, "string I/O instruction that cannot be fetched");
	uint64_t amask = size_mask(addr_size);
	enum gpr idx = e->io.in ? GPR_RDI : GPR_RSI;
	unsigned int seg = e->io.in ? SEG_ES : src_seg; /* INS always writes ES:rDI */
	int64_t step = (v->rflags & RFLAGS_DF) ? -(int64_t)e->io.size : e->io.size;
	uint64_t count = e->io.rep ? (v->gpr[GPR_RCX] & amask) : 1;

	unsigned int batch = exc_string_io_batch(v->rflags, STRING_IO_BATCH);

	guest_walk_ctx_from_sregs(&wc, &s, v->rflags);
	wc.maxphyaddr = p->maxphyaddr; /* reserved bits above it (SDM Vol. 3A §4.5) */
	for (unsigned int n = 0; n < batch && count; n++, count--) {
		uint64_t gla = s.seg[seg].base + (v->gpr[idx] & amask);
		struct gw_result res;
		enum gw_status st = guest_walk(&wc, &p->mem, gla, e->io.in ? GW_ACC_WRITE : 0, &res);
		if (st == GW_PAGE_FAULT) {
			s.cr2 = res.fault_addr;
			vcpu_backend->set_sregs(v, &s);
			return inject_and_resume(v, EXC_PF, true, res.error_code);
		}
		uint8_t *buf = st == GW_OK ? gmem_ptr(&p->mem, res.gpa, e->io.size) : NULL;
		if (!buf)
			return stop_failed(v, "string I/O with a buffer outside guest RAM");
		uint64_t val = 0;
		if (e->io.in) {
			partition_pio(p, e->io.port, e->io.size, false, &val);
			for (unsigned int b = 0; b < e->io.size; b++)
				buf[b] = (uint8_t)(val >> (8 * b));
		} else {
			for (unsigned int b = 0; b < e->io.size; b++)
				val |= (uint64_t)buf[b] << (8 * b);
			partition_pio(p, e->io.port, e->io.size, true, &val);
		}
		v->gpr[idx] = (v->gpr[idx] & ~amask) | ((v->gpr[idx] + (uint64_t)step) & amask);
		if (e->io.rep)
			v->gpr[GPR_RCX] = (v->gpr[GPR_RCX] & ~amask) |
					  ((v->gpr[GPR_RCX] - 1) & amask);
	}
	if (!count)
		vcpu_advance_rip(v); /* done; otherwise re-execute for the rest */
	else
		rep_iteration_done(v);
	if (unlikely(p->power_request))
		return platform_power_action(v);
	return EXIT_ACTION_RESUME;
}

enum exit_action vcpu_pio_power(struct vcpu *v)
{
	return platform_power_action(v);
}

enum exit_action vcpu_handle_io(struct vcpu *v)
{
	const struct vm_exit *e = &v->exit;
	if (!ensure_insn_len(v))
		return stop_failed(v, "port I/O instruction that cannot be decoded");
	if (e->io.string)
		return handle_string_io(v);
	uint64_t mask = size_mask(e->io.size), val = v->gpr[GPR_RAX] & mask;
	partition_pio(v->part, e->io.port, e->io.size, !e->io.in, &val);
	if (e->io.in) {
		if (e->io.size == 4)
			v->gpr[GPR_RAX] = val & mask;
		else
			v->gpr[GPR_RAX] = (v->gpr[GPR_RAX] & ~mask) | (val & mask);
	}
	vcpu_advance_rip(v);
	if (unlikely(v->part->power_request))
		return platform_power_action(v);
	return EXIT_ACTION_RESUME;
}

static int mmio_read_cb(void *opaque, uint64_t gpa, unsigned int size, uint64_t *val)
{
	struct partition *p = opaque;
	partition_lock(p);
	enum iobus_result r = iobus_mmio(&p->bus, gpa, size, false, val);
	partition_unlock(p);
	return r == IOBUS_OK ? 0 : -1;
}

static int mmio_write_cb(void *opaque, uint64_t gpa, unsigned int size, uint64_t val)
{
	struct partition *p = opaque;
	partition_lock(p);
	enum iobus_result r = iobus_mmio(&p->bus, gpa, size, true, &val);
	partition_unlock(p);
	return r == IOBUS_OK ? 0 : -1;
}

static enum exit_action handle_mmio(struct vcpu *v)
{
	struct partition *p = v->part;
	struct vm_exit *e = &v->exit;

	if (!iobus_find_mmio(&p->bus, e->mem.gpa)) {
		exit_reclassify(v, EXIT_PAGE_FAULT_GPA);
		partition_stop(p, true, "%s of unmapped guest-physical %#lx at RIP %#lx",
			       e->mem.write   ? "write"
			       : e->mem.fetch ? "instruction fetch"
					      : "read",
			       e->mem.gpa, e->rip);
		return EXIT_ACTION_STOPPED;
	}
	if (e->mem.fetch)
		return stop_failed(v, "instruction fetch from an MMIO region");

	struct vcpu_sregs s;
	struct emul_ctx ctx;
	vcpu_backend->get_sregs(v, &s);
	emul_ctx_init(&ctx, v, &s, &p->mem, mmio_read_cb, mmio_write_cb, p, p->name, p->maxphyaddr);
	int rc = emul_mmio(&ctx, e->mem.gpa, e->mem.write ? EMUL_ACCESS_WRITE : EMUL_ACCESS_READ);
	if (rc == EMUL_OK) {
		p->mmio_retries = 0;
		if (ctx.rep_pending)
			rep_iteration_done(v);
		else
			vcpu_insn_done(v); /* emul_mmio advanced RIP */
		if (unlikely(p->power_request))
			return platform_power_action(v);
		return EXIT_ACTION_RESUME;
	}
	/* The guest changed its code or tables under us: let it re-execute a
	 * bounded number of times before calling it hostile. */
	if ((rc == EMUL_E_MISMATCH || rc == EMUL_E_FAULT || rc == EMUL_E_FETCH || rc == EMUL_E_TABLE) &&
	    ++p->mmio_retries < MMIO_RETRY_LIMIT)
		return EXIT_ACTION_RESUME;
	partition_stop(p, true, "MMIO access to %#lx at RIP %#lx could not be emulated (%s)",
		       e->mem.gpa, e->rip, emul_result_name(rc));
	return EXIT_ACTION_STOPPED;
}

/* What decode_cr_access found. */
enum cr_decode {
	CR_DECODED,      /* e->cr is complete */
	CR_UNDECODABLE,  /* not the access the exit reported */
	CR_FAULT_QUEUED, /* reading LMSW's memory operand faulted: injected */
};

/* LMSW at RIP for a CR0 write exit (SVM's CR0 write intercept takes LMSW
 * too, APM Vol. 2 §15.9): its source, from a register or guest memory. */
static enum cr_decode decode_lmsw(struct vcpu *v, struct emul_ctx *ctx)
{
	struct vm_exit *e = &v->exit;
	uint16_t src;

	if (e->cr.cr != 0 || e->cr.op != CR_OP_MOV_TO)
		return CR_UNDECODABLE;
	int rc = emul_lmsw_source(ctx, &src);
	if (rc == EMUL_E_FAULT) {
		if (ctx->fault.vector == EXC_PF) {
			struct vcpu_sregs s = *ctx->sregs;
			s.cr2 = ctx->fault.cr2;
			vcpu_backend->set_sregs(v, &s);
		}
		vcpu_inject_exception(v, ctx->fault.vector, ctx->fault.has_error, ctx->fault.error);
		return CR_FAULT_QUEUED;
	}
	if (rc != EMUL_OK)
		return CR_UNDECODABLE;
	e->cr.op = CR_OP_LMSW;
	e->cr.lmsw_src = src;
	return CR_DECODED;
}

/* The operands of a control-register exit the backend could not read from
 * the hardware (SVM without decode assists): the MOV to/from CR, LMSW or
 * CLTS at RIP, decoded by the one decoder (core/emul/insn.c). It must be the
 * access the exit reported; anything else (the guest changed its code) is
 * not guessed at. */
static enum cr_decode decode_cr_access(struct vcpu *v, const struct vcpu_sregs *s)
{
	struct vm_exit *e = &v->exit;
	struct emul_ctx ctx;
	bool to_cr = false;

	emul_ctx_init(&ctx, v, s, &v->part->mem, NULL, NULL, NULL, v->part->name,
		      v->part->maxphyaddr);
	if (emul_decode_at_rip(&ctx) != EMUL_OK)
		return CR_UNDECODABLE;
	if (insn_is_mov_to_cr(&ctx.insn)) {
		to_cr = true;
	} else if (insn_is_mov_from_cr(&ctx.insn)) {
		to_cr = false;
	} else if (insn_is_lmsw(&ctx.insn)) {
		enum cr_decode d = decode_lmsw(v, &ctx);
		if (d != CR_DECODED)
			return d;
	} else if (insn_is_clts(&ctx.insn) && e->cr.cr == 0 && e->cr.op == CR_OP_MOV_TO) {
		e->cr.op = CR_OP_CLTS; /* SVM's CR0 write intercept takes CLTS too */
	} else {
		return CR_UNDECODABLE;
	}
	if (e->cr.op != CR_OP_LMSW && e->cr.op != CR_OP_CLTS) {
		if (ctx.insn.ctl_reg != e->cr.cr || to_cr != (e->cr.op == CR_OP_MOV_TO))
			return CR_UNDECODABLE;
		e->cr.gpr = ctx.insn.reg;
	}
	e->cr.decoded = true;
	if (!e->insn_len) /* SVM without next-RIP save */
		e->insn_len = ctx.insn.len;
	return CR_DECODED;
}

/* MOV to/from CR0, CR3, CR4, CR8, CLTS and LMSW, on either backend: the
 * one policy of core/cr_policy.h decides; the backend's set_sregs turns
 * the guest's new values into the hardware's (VMX fixed bits and read
 * shadows, SVM's EFER.SVME). */
static enum exit_action handle_cr_access(struct vcpu *v)
{
	struct vm_exit *e = &v->exit;
	struct vcpu_sregs s;

	vcpu_backend->get_sregs(v, &s);
	if (!e->cr.decoded) {
		enum cr_decode d = decode_cr_access(v, &s);
		if (d == CR_FAULT_QUEUED)
			return EXIT_ACTION_RESUME;
		if (d != CR_DECODED)
			return stop_failed(v, "control-register access that cannot be decoded");
	}
	bool gpr_operand = e->cr.op == CR_OP_MOV_TO || e->cr.op == CR_OP_MOV_FROM;
	if (!e->insn_len || (gpr_operand && e->cr.gpr >= GPR_COUNT))
		return stop_failed(v, "control-register access that cannot be decoded");

	const struct cr_limits lim = {
		.cr4_allowed = v->part->cpuid.cr4_allowed & ~vcpu_caps->cr4_forbidden,
		.phys_bits = vcpu_caps->phys_bits,
	};
	const struct cr_regs cur = { s.cr0, s.cr3, s.cr4, s.cr8, s.efer };
	const struct cr_access acc = {
		.cr = e->cr.cr,
		.op = (enum cr_op)e->cr.op,
		.src = e->cr.op == CR_OP_LMSW ? e->cr.lmsw_src
		       : gpr_operand          ? v->gpr[e->cr.gpr]
					      : 0,
		.long_mode = emul_insn_mode(&s, v->rflags) == INSN_MODE_64,
	};
	struct cr_result r = cr_apply(&lim, &cur, &acc);

	if (r.verdict == CR_UNHANDLED)
		return stop_failed(v, "control-register access the hypervisor does not emulate");
	if (r.verdict != CR_OK) {
		pr_debug("[%s] #GP: %s at RIP %#lx", v->part->name, cr_verdict_reason(r.verdict),
			 e->rip);
		return inject_and_resume(v, EXC_GP, true, 0);
	}
	if (acc.op == CR_OP_MOV_FROM) {
		v->gpr[e->cr.gpr] = r.read;
		vcpu_advance_rip(v);
		return EXIT_ACTION_RESUME;
	}
	s.cr0 = r.regs.cr0;
	s.cr3 = r.regs.cr3;
	s.cr4 = r.regs.cr4;
	s.cr8 = r.regs.cr8;
	s.efer = r.regs.efer;
	v->rip += e->insn_len;
	vcpu_backend->set_sregs(v, &s);
	/* After set_sregs, which loads DR7 from s: a single-step #DB clears
	 * DR7.GD as it is delivered. */
	vcpu_insn_done(v);
	return EXIT_ACTION_RESUME;
}

/* HLT with interrupts disabled: only INIT or an NMI ends it. An SMP guest
 * parks its other CPUs so (Linux's stop_this_cpu on reboot or panic); when
 * no vCPU of the partition is left to send an INIT, the partition can
 * never run again. */
static enum exit_action halt_for_good(struct vcpu *v)
{
	struct partition *p = v->part;
	v->state = VCPU_PARKED;
	for (unsigned int i = 0; i < p->nr_vcpus; i++) {
		enum vcpu_state s = p->vcpu[i]->state;
		if (s == VCPU_RUNNABLE || s == VCPU_HALTED)
			return EXIT_ACTION_YIELD;
	}
	partition_stop(p, true, "vCPU %u halted with interrupts disabled at RIP %#lx", v->id,
		       v->exit.rip);
	return EXIT_ACTION_STOPPED;
}

static enum exit_action handle_hlt(struct vcpu *v)
{
	bool stepping = exc_single_step_due(v->rflags);

	vcpu_advance_rip(v);
	/* Single-stepped, HLT owes its #DB now (vcpu_advance_rip queued it),
	 * and a debug exception ends the halt state at once (SDM Vol. 2A
	 * HLT): the guest resumes in its #DB handler, as KVM also does. */
	if (unlikely(stepping))
		return EXIT_ACTION_RESUME;
	if (!(v->rflags & RFLAGS_IF)) {
		/* An NMI already pending ends the HLT at once (SDM Vol. 2A HLT),
		 * unless NMIs are blocked (the HLT is in an NMI handler). */
		if (v->part->platform && platform_nmi(v, false) && vcpu_backend->nmi_allowed(v)) {
			v->irq_any = true;
			return EXIT_ACTION_RESUME;
		}
		return halt_for_good(v);
	}
	if (vcpu_irq_pending(v)) {
		v->irq_any = true; /* deliver it before the next entry */
		return EXIT_ACTION_RESUME;
	}
	return sched_vcpu_halt(v) ? EXIT_ACTION_YIELD : EXIT_ACTION_RESUME;
}

static enum exit_action handle_hypercall(struct vcpu *v)
{
	return hypercall_dispatch(v);
}

/* #DB, #AC and #MC are intercepted (EXC_INTERCEPTED, core/exc_reflect.h):
 * #MC concerns the machine and stops the partition; #DB and #AC go back to
 * the guest as the CPU would have delivered them (the backend has already
 * updated DR6/DR7 where its hardware did not). A guest that loops on them
 * only loops through exits, each a point where the host gets the CPU. */
static enum exit_action handle_exception(struct vcpu *v)
{
	struct vcpu_event ev;

	if (exc_reflect(&v->exit, &v->rflags, &ev) == EXC_REFLECT_STOP)
		return stop_failed(v, "machine check while the guest ran");
	vcpu_backend->inject(v, &ev);
	return EXIT_ACTION_RESUME;
}

/* The guest's registers as the shutdown left them: the only trace a triple
 * fault leaves, since the guest printed nothing and no debugger reaches it. */
static void log_guest_state(struct vcpu *v)
{
	struct vcpu_sregs s;
	console_source_flush(&v->part->console); /* its last words come first */
	vcpu_backend->get_sregs(v, &s);
	struct vcpu_snapshot snap = { v->gpr, v->rip, v->rflags, &s };
	vcpu_log_snapshot(v->part->name, v->id, &snap);
}

/* On a PC a triple fault resets the machine; the partition's manifest says
 * whether that restarts it (on_triple_fault=restart) or stops it. */
static enum exit_action handle_triple_fault(struct vcpu *v)
{
	struct partition *p = v->part;
	log_guest_state(v);
	if (!p->cfg.restart_on_triple_fault)
		return stop_failed(v, "triple fault (shutdown)");
	pr_warn("[%s] triple fault at RIP %#lx: restarting (on_triple_fault=restart)", p->name,
		v->exit.rip);
	partition_restart(p);
	return p->state == PART_STOPPED ? EXIT_ACTION_STOPPED : EXIT_ACTION_YIELD;
}

static enum exit_action handle_intr_window(struct vcpu *v)
{
	vcpu_backend->request_intr_window(v, false);
	return EXIT_ACTION_RESUME;
}

/* NMI blocking ended: vcpu_deliver_interrupts injects the NMI held
 * pending (SDM Vol. 3A §6.7.1: the next NMI after the handler's IRET). */
static enum exit_action handle_nmi_window(struct vcpu *v)
{
	vcpu_backend->request_nmi_window(v, false);
	v->irq_any = true;
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_host_interrupt(struct vcpu *v)
{
	/* A host interrupt (the scheduler's timer) or NMI made the guest exit:
	 * the scheduler lets the host handler run and fires due device timers. */
	return sched_host_interrupt(v);
}

/* No PMU is offered (CPUID.0AH:EAX[7:0] = 0, core/msr_policy.h), so
 * RDPMC of any counter is #GP(0) (SDM Vol. 2B RDPMC). */
static enum exit_action handle_rdpmc(struct vcpu *v)
{
	return inject_and_resume(v, EXC_GP, true, 0);
}

/* LGDT/LIDT (SVM's descriptor-table write intercepts; QEMU's TCG loads a
 * non-canonical base). In 64-bit mode the base must be canonical, else
 * #GP(0) (SDM Vol. 2A LGDT/LIDT; KVM's emulator checks the same). */
static enum exit_action handle_dtable_write(struct vcpu *v)
{
	struct vcpu_sregs s;
	struct emul_ctx ctx;
	struct dtable dt;
	bool idt;

	vcpu_backend->get_sregs(v, &s);
	emul_ctx_init(&ctx, v, &s, &v->part->mem, NULL, NULL, NULL, v->part->name,
		      v->part->maxphyaddr);
	int rc = emul_load_dtable(&ctx, &dt, &idt);
	if (rc == EMUL_E_FAULT) {
		if (ctx.fault.vector == EXC_PF) {
			s.cr2 = ctx.fault.cr2;
			vcpu_backend->set_sregs(v, &s);
		}
		return inject_and_resume(v, ctx.fault.vector, ctx.fault.has_error, ctx.fault.error);
	}
	if (rc)
		return stop_failed(v, "LGDT/LIDT that cannot be emulated");
	if (ctx.insn.mode == INSN_MODE_64 &&
	    !addr_is_canonical(dt.base, msr_guest_la_bits(&v->part->cpuid)))
		return inject_and_resume(v, EXC_GP, true, 0);
	if (idt)
		s.idtr = dt;
	else
		s.gdtr = dt;
	emul_advance_rip(&ctx);
	vcpu_backend->set_sregs(v, &s);
	vcpu_insn_done(v); /* after set_sregs, as in handle_cr_access */
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_undefined(struct vcpu *v)
{
	return inject_and_resume(v, EXC_UD, false, 0);
}

static enum exit_action handle_skip(struct vcpu *v)
{
	if (!ensure_insn_len(v))
		return stop_failed(v, "instruction that cannot be decoded");
	vcpu_advance_rip(v);
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_entry_failed(struct vcpu *v)
{
	partition_stop(v->part, true, "VM entry failed: %s (%#lx)",
		       v->exit.entry_fail.what ? v->exit.entry_fail.what : "no detail",
		       v->exit.entry_fail.value);
	return EXIT_ACTION_STOPPED;
}

static enum exit_action handle_init(struct vcpu *v)
{
	return EXIT_ACTION_RESUME; /* INIT/SIPI belong to guest SMP bring-up */
}

/* The backend has already done what the exit needed (EXIT_DR_ACCESS). */
static enum exit_action handle_resume(struct vcpu *v)
{
	return EXIT_ACTION_RESUME;
}

static enum exit_action handle_unknown(struct vcpu *v)
{
	const struct vm_exit *e = &v->exit;
	partition_stop(v->part, true, "unhandled exit %s (raw %#x, info %#lx/%#lx) at RIP %#lx",
		       exit_reason_name(e->reason), e->raw_reason, e->raw_info1, e->raw_info2,
		       e->rip);
	return EXIT_ACTION_STOPPED;
}

/* Every reason has a handler (handle_unknown unless named below), so the
 * dispatch is one indexed call. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const exit_handler_fn handlers[EXIT_REASON_COUNT] = {
	[0 ... EXIT_REASON_COUNT - 1] = handle_unknown,
	[EXIT_CPUID] = handle_cpuid,
	[EXIT_MSR_READ] = handle_rdmsr,
	[EXIT_MSR_WRITE] = handle_wrmsr,
	[EXIT_IO] = vcpu_handle_io,
	[EXIT_MMIO] = handle_mmio,
	[EXIT_HLT] = handle_hlt,
	[EXIT_HYPERCALL] = handle_hypercall,
	[EXIT_EXCEPTION] = handle_exception,
	[EXIT_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_INTR_WINDOW] = handle_intr_window,
	[EXIT_EXTINT] = handle_host_interrupt,
	[EXIT_NMI] = handle_host_interrupt,
	/* The VMX-preemption timer mirrors the scheduler's deadline (the slice
	 * end, a device timer): the scheduler looks, as for its host timer. */
	[EXIT_PREEMPT] = handle_host_interrupt,
	[EXIT_VIRT_INSN] = handle_undefined,
	[EXIT_XSETBV] = handle_undefined,
	[EXIT_MONITOR_MWAIT] = handle_undefined,
	[EXIT_CR_ACCESS] = handle_cr_access,
	[EXIT_INVD] = handle_skip,
	[EXIT_PAUSE] = handle_skip,
	[EXIT_INIT] = handle_init,
	[EXIT_SIPI] = handle_init,
	[EXIT_ENTRY_FAILED] = handle_entry_failed,
	[EXIT_DR_ACCESS] = handle_resume,
	[EXIT_RDPMC] = handle_rdpmc,
	[EXIT_DTABLE_WRITE] = handle_dtable_write,
	[EXIT_NMI_WINDOW] = handle_nmi_window,
};
#pragma GCC diagnostic pop

/* With trace=exits every exit goes through here: the untraced dispatch
 * pays no test for it. */
static enum exit_action handle_traced(struct vcpu *v)
{
	exit_trace(v, "handling");
	return handlers[v->exit.reason](v);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const exit_handler_fn traced_handlers[EXIT_REASON_COUNT] = {
	[0 ... EXIT_REASON_COUNT - 1] = handle_traced,
};
#pragma GCC diagnostic pop

static const exit_handler_fn *handler_table(void)
{
	return unlikely(hv_options.trace_exits) ? traced_handlers : handlers;
}

/* Count, time and handle one exit. The statistics cost two increments
 * and two RDTSCs; the handler time is booked under the reason the exit
 * has when the handler returns (see exit_reclassify). The fast path only
 * counts (one increment), so the average handler time is that of the
 * exits timed here (stats.timed). */
static inline __attribute__((always_inline)) enum exit_action handle_exit_inline(
		struct vcpu *v, const exit_handler_fn *table)
{
	enum exit_reason r = v->exit.reason;

	if (unlikely((unsigned)r >= EXIT_REASON_COUNT))
		r = v->exit.reason = EXIT_UNKNOWN;
	/* Counted before the handler runs, so a stop's statistics include the
	 * exit that stopped it. */
	v->stats.count[r]++;
	uint32_t t0 = rdtsc_lo();
	enum exit_action a = table[r](v);
	v->stats.tsc[v->exit.reason] += (uint32_t)(rdtsc_lo() - t0);
	v->stats.timed[v->exit.reason]++;
	return a;
}

enum exit_action vcpu_handle_exit(struct vcpu *v)
{
	return handle_exit_inline(v, handler_table());
}

/* IA32_SPEC_CTRL holds the running vCPU's value from here until the loop
 * returns (guest writes exit to core/msr.c, which updates both): the
 * exits in between run the hypervisor under the guest's setting, which
 * only ever enables mitigations. Nothing to do while it is 0, the
 * hypervisor's own value (docs/exit-flow.md). */
static void spec_ctrl_enter(struct vcpu *v)
{
	if (unlikely(v->spec_ctrl)) {
		this_cpu()->spec_ctrl = v->spec_ctrl;
		wrmsr(MSR_IA32_SPEC_CTRL, v->spec_ctrl);
	}
}

static void spec_ctrl_leave(void)
{
	struct percpu *c = this_cpu();
	if (unlikely(c->spec_ctrl)) {
		c->spec_ctrl = 0;
		wrmsr(MSR_IA32_SPEC_CTRL, 0);
	}
}

/* The inner loop: enter, handle, re-enter, in one function so the
 * dispatcher is inlined into it (this is the path every exit takes). What
 * does not change between exits (the backend's entry, the handler table)
 * is looked up once per call. */
static enum exit_action run_exits(struct vcpu *v, unsigned int max_exits)
{
	void (*run)(struct vcpu * v) = vcpu_backend->run;
	const exit_handler_fn *table = handler_table();
	/* With trace=exits the fast path gets no budget: the loop handles,
	 * and traces, every exit (vcpu_fast_open). */
	bool traced = table != handlers;

	while (max_exits) {
		if (unlikely(v->irq_any)) {
			vcpu_deliver_interrupts(v);
			if (unlikely(v->state != VCPU_RUNNABLE))
				return EXIT_ACTION_YIELD; /* INIT: back to wait-for-SIPI */
		}
		max_exits--; /* the exit that returns here */
		v->fast_budget = unlikely(traced) ? 0 : max_exits;
		run(v);
		if (likely(!traced))
			max_exits = v->fast_budget; /* less what the fast path took */
		enum exit_action a;
		if (v->fast_handled) {
			v->fast_handled = false;
			a = (enum exit_action)v->fast_action;
		} else {
			a = handle_exit_inline(v, table);
		}
		if (a != EXIT_ACTION_RESUME)
			return a;
		/* A service task queued with no idle CPU to take it, or a vCPU
		 * here woken by this exit: give up the CPU now. */
		if (unlikely(sched_should_yield()))
			return EXIT_ACTION_YIELD;
	}
	return EXIT_ACTION_RESUME;
}

/* The exits the fast path takes: frequent, handled in a bounded number of
 * steps, and none of them needs what the loop does between exits. */
static const bool fast_reasons[EXIT_REASON_COUNT] = {
	[EXIT_CPUID] = true,     [EXIT_IO] = true,          [EXIT_MMIO] = true,
	[EXIT_MSR_READ] = true,  [EXIT_MSR_WRITE] = true,   [EXIT_HYPERCALL] = true,
	[EXIT_CR_ACCESS] = true, [EXIT_INTR_WINDOW] = true, [EXIT_PAUSE] = true,
};

bool vcpu_exit_fast(struct vcpu *v)
{
	enum exit_reason r = v->exit.reason;

	if ((unsigned)r >= EXIT_REASON_COUNT || !fast_reasons[r] || !vcpu_fast_open(v))
		return false;
	/* Counted as handle_exit_inline does (not timed). CPUID, the most
	 * frequent exit, is a direct call the compiler inlines (one load from
	 * the partition's table), not an indirect one. */
	v->stats.count[r]++;
	enum exit_action a = likely(r == EXIT_CPUID) ? vcpu_fast_cpuid(v) : handlers[r](v);
	return vcpu_fast_finish(v, a);
}

enum exit_action vcpu_run_exits(struct vcpu *v, unsigned int max_exits)
{
	spec_ctrl_enter(v);
	enum exit_action a = run_exits(v, max_exits);
	spec_ctrl_leave();
	return a;
}
