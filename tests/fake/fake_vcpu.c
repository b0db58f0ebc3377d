/* SPDX-License-Identifier: BSD-2-Clause */
/* The fake vCPU backend (tests/fake/fake_vcpu.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/cpu/cpu.h"
#include "core/exits.h"
#include "core/hypercall.h"
#include "core/partition.h"
#include "core/percpu.h"
#include "tests/fake/fake_arch.h"
#include "tests/fake/fake_vcpu.h"

#define FAKE_S2_MAPS_MAX 64

struct fake_s2 {
	struct fake_s2_map maps[FAKE_S2_MAPS_MAX];
	unsigned int nr;
	unsigned int flushes;
};

static const struct virt_caps fake_caps = {
	.tech = "fake",
	.present = true,
	.usable = true,
	.stage2 = true,
	.next_rip = true,
	.preempt_timer = true,
};

static pthread_mutex_t run_log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_run run_log[FAKE_RUN_LOG_MAX];
static unsigned int nr_run_log;

/* ---- scripting ---------------------------------------------------------- */

struct fake_vcpu *fake_vcpu_of(const struct vcpu *v)
{
	return v->arch;
}

struct fake_step *fake_push(struct vcpu *v, enum exit_reason r, uint8_t len)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	if (f->nr_steps == FAKE_SCRIPT_MAX) {
		if (f->next_step < f->nr_steps)
			abort();                /* a test pushed more than the script holds */
		f->nr_steps = f->next_step = 0; /* all taken: start over */
	}
	struct fake_step *s = &f->script[f->nr_steps++];
	memset(s, 0, sizeof(*s));
	s->exit.reason = r;
	s->exit.insn_len = len;
	s->ns = FAKE_STEP_NS;
	return s;
}

void fake_step_gpr(struct fake_step *s, enum gpr r, uint64_t val)
{
	s->set_gprs |= 1u << r;
	s->gpr[r] = val;
}

void fake_step_rflags(struct fake_step *s, uint64_t rflags)
{
	s->set_rflags = true;
	s->rflags = rflags;
}

void fake_set_generator(struct vcpu *v, fake_gen_fn gen, void *ctx)
{
	fake_vcpu_of(v)->gen = gen;
	fake_vcpu_of(v)->gen_ctx = ctx;
}

unsigned int fake_steps_left(const struct vcpu *v)
{
	const struct fake_vcpu *f = fake_vcpu_of(v);
	return f->nr_steps - f->next_step;
}

const struct fake_entry *fake_entry(const struct vcpu *v, unsigned int n)
{
	const struct fake_vcpu *f = fake_vcpu_of(v);
	return n < f->runs && n < FAKE_ENTRIES_KEPT ? &f->entries[n] : NULL;
}

/* CPUID (0F A2): leaf in EAX, subleaf in ECX. */
struct fake_step *fake_push_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf)
{
	struct fake_step *s = fake_push(v, EXIT_CPUID, 2);
	fake_step_gpr(s, GPR_RAX, leaf);
	fake_step_gpr(s, GPR_RCX, subleaf);
	return s;
}

/* IN AL/AX/EAX, DX or OUT DX, AL/AX/EAX (EC/ED/EE/EF, one byte); as SVM's
 * IOIO and VMX's I/O-instruction exit decode them (APM Vol. 2 §15.10.2,
 * SDM Vol. 3C Table 28-5). */
struct fake_step *fake_push_io(struct vcpu *v, uint16_t port, uint8_t size, bool in, uint64_t rax)
{
	struct fake_step *s = fake_push(v, EXIT_IO, 1);
	s->exit.io.port = port;
	s->exit.io.size = size;
	s->exit.io.in = in;
	s->exit.io.addr_size = 4;
	s->exit.io.seg = SEG_DS;
	fake_step_gpr(s, GPR_RAX, rax);
	fake_step_gpr(s, GPR_RDX, port);
	return s;
}

/* A nested-page fault / EPT violation on gpa (an MMIO hole). The core
 * decodes the instruction from guest memory; len is what NRIP would say. */
struct fake_step *fake_push_mmio(struct vcpu *v, uint64_t gpa, bool write, uint8_t len)
{
	struct fake_step *s = fake_push(v, EXIT_MMIO, len);
	s->exit.mem.gpa = gpa;
	s->exit.mem.gla = ~0ULL;
	s->exit.mem.write = write;
	return s;
}

/* RDMSR / WRMSR (0F 32 / 0F 30): index in ECX, value in EDX:EAX. */
struct fake_step *fake_push_msr(struct vcpu *v, uint32_t index, bool write, uint64_t val)
{
	struct fake_step *s = fake_push(v, write ? EXIT_MSR_WRITE : EXIT_MSR_READ, 2);
	s->exit.msr.index = index;
	fake_step_gpr(s, GPR_RCX, index);
	if (write) {
		fake_step_gpr(s, GPR_RAX, (uint32_t)val);
		fake_step_gpr(s, GPR_RDX, val >> 32);
	}
	return s;
}

/* HLT (F4), with RFLAGS.IF as given. */
struct fake_step *fake_push_hlt(struct vcpu *v, bool interrupts_on)
{
	struct fake_step *s = fake_push(v, EXIT_HLT, 1);
	fake_step_rflags(s, RFLAGS_FIXED | (interrupts_on ? RFLAGS_IF : 0));
	return s;
}

/* VMMCALL / VMCALL (3 bytes) at the given CPL: nr in RAX, args in RBX, RCX. */
struct fake_step *fake_push_hypercall(struct vcpu *v, uint8_t cpl, uint64_t nr, uint64_t a1,
				      uint64_t a2)
{
	struct fake_step *s = fake_push(v, EXIT_HYPERCALL, 3);
	s->exit.hypercall.cpl = cpl;
	s->exit.hypercall.long_mode = true; /* the fake's guests are 64-bit unless a test says */
	fake_step_gpr(s, GPR_RAX, nr);
	fake_step_gpr(s, GPR_RBX, a1);
	fake_step_gpr(s, GPR_RCX, a2);
	return s;
}

/* ---- records ------------------------------------------------------------ */

static void log_run(struct vcpu *v, unsigned int cpu, enum exit_reason r)
{
	pthread_mutex_lock(&run_log_lock);
	if (nr_run_log < FAKE_RUN_LOG_MAX)
		run_log[nr_run_log] = (struct fake_run){ v->part->id, v->id, cpu, r, fake_tsc() };
	nr_run_log++;
	pthread_mutex_unlock(&run_log_lock);
}

unsigned int fake_runs(void)
{
	return nr_run_log;
}

const struct fake_run *fake_run_at(unsigned int i)
{
	return i < nr_run_log && i < FAKE_RUN_LOG_MAX ? &run_log[i] : NULL;
}

unsigned int fake_s2_maps(const struct partition *p, const struct fake_s2_map **maps)
{
	const struct fake_s2 *s2 = p->s2;
	*maps = s2 ? s2->maps : NULL;
	return s2 ? s2->nr : 0;
}

/* ---- the backend -------------------------------------------------------- */

static void fake_probe(struct virt_caps *caps)
{
	*caps = fake_caps;
}

static int fake_cpu_enable(struct percpu *cpu)
{
	return 0;
}

static int fake_vcpu_create(struct vcpu *v)
{
	struct fake_vcpu *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->v = v;
	v->arch = f;
	return 0;
}

static void fake_vcpu_destroy(struct vcpu *v)
{
	free(v->arch);
	v->arch = NULL;
}

static void fake_set_sregs(struct vcpu *v, const struct vcpu_sregs *s)
{
	fake_vcpu_of(v)->sregs = *s;
	fake_vcpu_of(v)->sregs_writes++;
}

static void fake_get_sregs(struct vcpu *v, struct vcpu_sregs *s)
{
	*s = fake_vcpu_of(v)->sregs;
}

static bool fake_write_guest_msr(struct vcpu *v, uint32_t index, uint64_t val)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	f->guest_msr_index = index;
	f->guest_msr_value = val;
	f->guest_msr_writes++;
	return true;
}

static void fake_load(struct vcpu *v)
{
	fake_vcpu_of(v)->loads++;
}

static struct fake_step *next_step(struct fake_vcpu *f)
{
	if (f->next_step == f->nr_steps && f->gen) {
		struct fake_step s;
		memset(&s, 0, sizeof(s));
		s.ns = FAKE_STEP_NS;
		if (f->gen(f->v, &s, f->gen_ctx))
			*fake_push(f->v, s.exit.reason, s.exit.insn_len) = s;
	}
	return f->next_step < f->nr_steps ? &f->script[f->next_step] : NULL;
}

/* The guest runs for the step's time unless the host timer expires first:
 * then the exit is the timer's (EXIT_EXTINT) and the step's remaining time
 * is spent on a later entry. True if the step's own exit happens. */
static bool spend_guest_time(struct fake_vcpu *f, const struct fake_step *s, struct percpu *cpu)
{
	if (!f->step_started) {
		f->step_ns_left = s->ns;
		f->step_started = true;
	}
	uint64_t now = fake_tsc(), deadline = fake_cpu_timer(cpu);
	if (deadline != UINT64_MAX && now + f->step_ns_left >= deadline && f->step_ns_left) {
		f->step_ns_left -= deadline - now;
		fake_tsc_advance(deadline - now);
		return false;
	}
	fake_tsc_advance(f->step_ns_left);
	f->step_ns_left = 0;
	f->step_started = false;
	return true;
}

static void take_step(struct vcpu *v, struct fake_vcpu *f, const struct fake_step *s)
{
	for (unsigned int r = 0; r < GPR_COUNT; r++)
		if (s->set_gprs & (1u << r))
			v->gpr[r] = s->gpr[r];
	if (s->set_rflags)
		v->rflags = s->rflags;
	v->exit = s->exit;
	v->exit.rip = v->rip;
	f->next_step++;
	for (unsigned int i = s->return_spins; i; i--)
		__builtin_ia32_pause();
}

static void fake_run_once(struct vcpu *v)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	struct percpu *cpu = this_cpu();
	unsigned int n = f->runs++;

	/* The entry delivers the queued event (APM §15.20, SDM §26.6). */
	if (f->event_pending) {
		if (f->nr_delivered < FAKE_EVENTS_KEPT)
			f->delivered[f->nr_delivered] = f->event;
		f->nr_delivered++;
		f->event_pending = false;
	}
	struct fake_entry *e = n < FAKE_ENTRIES_KEPT ? &f->entries[n] : NULL;
	if (e) {
		e->rip = v->rip;
		e->rflags = v->rflags;
		memcpy(e->gpr, v->gpr, sizeof(e->gpr));
		e->cpu = cpu->id;
	}
	memset(&v->exit, 0, sizeof(v->exit));
	v->exit.rip = v->rip;

	struct fake_step *s = NULL;
	if (fake_cpu_interrupt_due(cpu)) {
		v->exit.reason = EXIT_EXTINT;
	} else if (f->intr_window && (v->rflags & RFLAGS_IF) && !f->sti_shadow) {
		v->exit.reason = EXIT_INTR_WINDOW;
	} else if (!(s = next_step(f))) {
		v->exit.reason = EXIT_ENTRY_FAILED;
		v->exit.entry_fail.what = FAKE_SCRIPT_EXHAUSTED;
	} else if (!spend_guest_time(f, s, cpu)) {
		v->exit.reason = EXIT_EXTINT;
	} else {
		take_step(v, f, s);
	}
	if (v->exit.reason == EXIT_EXTINT)
		f->extints++;
	if (e)
		e->reason = v->exit.reason;
	log_run(v, cpu->id, v->exit.reason);
}

static void fake_run(struct vcpu *v)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	for (;;) {
		fake_run_once(v);
		if (!f->fast_path || !vcpu_exit_fast(v))
			break;
		if (f->unwind_at_run && f->runs == f->unwind_at_run) {
			vcpu_exit_fast_unwind(v);
			f->unwinds++;
			break;
		}
	}
	f->hook_returns++;
}

static void fake_inject(struct vcpu *v, const struct vcpu_event *ev)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	if (f->event_pending)
		f->event_overwrites++;
	f->event = *ev;
	f->event_pending = true;
}

static bool fake_event_pending(struct vcpu *v)
{
	return fake_vcpu_of(v)->event_pending;
}

static bool fake_interruptible(struct vcpu *v)
{
	return (v->rflags & RFLAGS_IF) && !fake_vcpu_of(v)->sti_shadow;
}

static void fake_request_intr_window(struct vcpu *v, bool on)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	f->intr_window = on;
	if (on)
		f->window_requests++;
}

static void fake_clear_events(struct vcpu *v)
{
	struct fake_vcpu *f = fake_vcpu_of(v);
	f->event_pending = false;
	f->intr_window = false;
	f->clear_events++;
}

static int fake_s2_init(struct partition *p)
{
	p->s2 = calloc(1, sizeof(struct fake_s2));
	return p->s2 ? 0 : -1;
}

static int fake_s2_map(struct partition *p, gpa_t gpa, paddr_t hpa, uint64_t size, unsigned int prot)
{
	struct fake_s2 *s2 = p->s2;
	if (s2->nr == FAKE_S2_MAPS_MAX)
		return -1;
	s2->maps[s2->nr++] = (struct fake_s2_map){ gpa, hpa, size, prot };
	return 0;
}

static void fake_s2_flush(struct partition *p)
{
	((struct fake_s2 *)p->s2)->flushes++;
}

static void fake_s2_destroy(struct partition *p)
{
	free(p->s2);
	p->s2 = NULL;
}

/* The fake guest has no NMI handler: an NMI can go whenever the slot is
 * free (the fake runs have no platform, so none is ever pending). */
static bool fake_nmi_allowed(struct vcpu *v)
{
	return !fake_event_pending(v);
}

static void fake_request_nmi_window(struct vcpu *v, bool on)
{
	(void)v;
	(void)on;
}

const struct vcpu_backend fake_backend = {
	.name = "fake",
	.probe = fake_probe,
	.cpu_enable = fake_cpu_enable,
	.vcpu_create = fake_vcpu_create,
	.vcpu_destroy = fake_vcpu_destroy,
	.set_sregs = fake_set_sregs,
	.get_sregs = fake_get_sregs,
	.write_guest_msr = fake_write_guest_msr,
	.load = fake_load,
	.run = fake_run,
	.inject = fake_inject,
	.event_pending = fake_event_pending,
	.interruptible = fake_interruptible,
	.request_intr_window = fake_request_intr_window,
	.nmi_allowed = fake_nmi_allowed,
	.request_nmi_window = fake_request_nmi_window,
	.clear_events = fake_clear_events,
	.s2_init = fake_s2_init,
	.s2_map = fake_s2_map,
	.s2_flush = fake_s2_flush,
	.s2_destroy = fake_s2_destroy,
};

void fake_backend_select(void)
{
	vcpu_backend = &fake_backend;
	vcpu_caps = &fake_caps;
	pthread_mutex_lock(&run_log_lock);
	nr_run_log = 0;
	pthread_mutex_unlock(&run_log_lock);
}
