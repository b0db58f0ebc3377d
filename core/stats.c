/* SPDX-License-Identifier: BSD-2-Clause */
#include "arch/x86/cpu/tsc.h"
#include "core/log.h"
#include "core/stats.h"

void stats_add(struct exit_stats *sum, const struct exit_stats *s)
{
	for (unsigned int i = 0; i < EXIT_REASON_COUNT; i++) {
		sum->count[i] += s->count[i];
		sum->tsc[i] += s->tsc[i];
		sum->timed[i] += s->timed[i];
	}
}

void stats_print(const char *name, const struct exit_stats *s, uint64_t hz)
{
	uint64_t total = 0;
	for (unsigned int i = 0; i < EXIT_REASON_COUNT; i++)
		total += s->count[i];
	pr_info("[%s] exits: %lu in all", name, total);
	for (unsigned int i = 0; i < EXIT_REASON_COUNT; i++) {
		if (!s->count[i])
			continue;
		if (!s->timed[i]) { /* all of them on the fast path */
			pr_info("[%s]   %-14s %10lu exits", name, exit_reason_name(i), s->count[i]);
			continue;
		}
		uint64_t avg_cycles = s->tsc[i] / s->timed[i];
		uint64_t avg_ns = hz ? avg_cycles * 1000000000ULL / hz : 0;
		pr_info("[%s]   %-14s %10lu exits, %8lu cycles (%lu ns) average in the handler "
			"(%lu timed)",
			name, exit_reason_name(i), s->count[i], avg_cycles, avg_ns, s->timed[i]);
	}
}

void exit_trace(const struct vcpu *v, const char *action)
{
	const struct vm_exit *e = &v->exit;
	const char *n = v->part->name;

	switch (e->reason) {
	case EXIT_IO:
		pr_trace("[%s] exit %-12s rip %#lx port %#x %s%u%s%s -> %s", n,
			 exit_reason_name(e->reason), e->rip, e->io.port, e->io.in ? "in" : "out",
			 e->io.size * 8, e->io.string ? " string" : "", e->io.rep ? " rep" : "",
			 action);
		break;
	case EXIT_MMIO:
	case EXIT_PAGE_FAULT_GPA:
		pr_trace("[%s] exit %-12s rip %#lx gpa %#lx %s -> %s", n,
			 exit_reason_name(e->reason), e->rip, e->mem.gpa,
			 e->mem.write   ? "write"
			 : e->mem.fetch ? "fetch"
					: "read",
			 action);
		break;
	case EXIT_MSR_READ:
	case EXIT_MSR_WRITE:
		pr_trace("[%s] exit %-12s rip %#lx msr %#x -> %s", n, exit_reason_name(e->reason),
			 e->rip, e->msr.index, action);
		break;
	case EXIT_EXCEPTION:
		pr_trace("[%s] exit %-12s rip %#lx vector %u error %#x -> %s", n,
			 exit_reason_name(e->reason), e->rip, e->exc.vector, e->exc.error, action);
		break;
	default:
		pr_trace("[%s] exit %-12s rip %#lx raw %#x info1 %#lx info2 %#lx -> %s", n,
			 exit_reason_name(e->reason), e->rip, e->raw_reason, e->raw_info1,
			 e->raw_info2, action);
		break;
	}
}
