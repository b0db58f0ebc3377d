/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/cpuid_policy.h"
#include "core/exit_fast.h"
#include "core/exits.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "core/partition.h"
#include "core/platform.h"

static uint64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	struct partition *p = v->part;
	if (len > HC_CONSOLE_WRITE_MAX)
		return (uint64_t)HC_EINVAL;
	if (len == 0)
		return 0;
	const char *buf = gmem_ptr(&p->mem, gpa, len);
	if (!buf)
		return (uint64_t)HC_EFAULT;
	for (uint64_t i = 0; i < len; i++)
		console_source_putc(&p->console, buf[i]);
	return len;
}

static enum exit_action dispatch(struct vcpu *v);

/* The result as the guest's mode can hold it: zero-extended from 32 bits
 * outside 64-bit mode, as a 32-bit MOV to EAX would leave RAX. */
enum exit_action hypercall_dispatch(struct vcpu *v)
{
	enum exit_action a = dispatch(v);
	if (unlikely(!v->exit.hypercall.long_mode))
		v->gpr[GPR_RAX] = (uint32_t)v->gpr[GPR_RAX];
	return a;
}

static enum exit_action dispatch(struct vcpu *v)
{
	struct partition *p = v->part;
	uint64_t nr = v->gpr[GPR_RAX], a1 = v->gpr[GPR_RBX], a2 = v->gpr[GPR_RCX];
	uint64_t *ret = &v->gpr[GPR_RAX];

	/* Outside 64-bit mode the upper halves are not the guest's: it cannot
	 * write them, and a CPU need not clear them when it writes EAX (SDM
	 * Vol. 1 §3.4.1.1), so they may still hold an earlier result. */
	if (unlikely(!v->exit.hypercall.long_mode)) {
		nr = (uint32_t)nr;
		a1 = (uint32_t)a1;
		a2 = (uint32_t)a2;
	}

	/* RIP moves past VMCALL first: a restart below replaces it. */
	vcpu_advance_rip(v);
	if (vcpu_hypercall_quick(v, nr, v->exit.hypercall.cpl, ret))
		return EXIT_ACTION_RESUME;
	switch (nr) {
	case HC_CONSOLE_WRITE:
		*ret = hc_console_write(v, a1, a2);
		return EXIT_ACTION_RESUME;
	case HC_PARTITION_STOP:
		partition_stop(p, false, "guest requested stop (code %ld)", (long)(int32_t)a1);
		p->exit_code = (int32_t)a1;
		return EXIT_ACTION_STOPPED;
	case HC_PARTITION_RESTART:
		partition_restart(p);
		return p->state == PART_STOPPED ? EXIT_ACTION_STOPPED : EXIT_ACTION_YIELD;
	case HC_YIELD:
		*ret = 0;
		return EXIT_ACTION_YIELD;
	case HC_TIME_NS:
		*ret = partition_time_ns(p);
		return EXIT_ACTION_RESUME;
	case HC_PRINT_STATS:
		partition_print_stats(p);
		platform_print_stats(p);
		vcpu_log_events(v);
		*ret = 0;
		return EXIT_ACTION_RESUME;
	default:
		*ret = (uint64_t)HC_ENOSYS;
		return EXIT_ACTION_RESUME;
	}
}
