/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/exit.h"

static const char *const names[EXIT_REASON_COUNT] = {
	[EXIT_NONE] = "none",
	[EXIT_CPUID] = "cpuid",
	[EXIT_MSR_READ] = "rdmsr",
	[EXIT_MSR_WRITE] = "wrmsr",
	[EXIT_IO] = "io",
	[EXIT_MMIO] = "mmio",
	[EXIT_PAGE_FAULT_GPA] = "bad-gpa",
	[EXIT_HLT] = "hlt",
	[EXIT_HYPERCALL] = "hypercall",
	[EXIT_EXCEPTION] = "exception",
	[EXIT_TRIPLE_FAULT] = "triple-fault",
	[EXIT_INTR_WINDOW] = "intr-window",
	[EXIT_EXTINT] = "extint",
	[EXIT_NMI] = "nmi",
	[EXIT_PREEMPT] = "preempt",
	[EXIT_VIRT_INSN] = "virt-insn",
	[EXIT_CR_ACCESS] = "cr-access",
	[EXIT_XSETBV] = "xsetbv",
	[EXIT_INVD] = "invd",
	[EXIT_PAUSE] = "pause",
	[EXIT_INIT] = "init",
	[EXIT_SIPI] = "sipi",
	[EXIT_TASK_SWITCH] = "task-switch",
	[EXIT_RDTSC] = "rdtsc",
	[EXIT_RDPMC] = "rdpmc",
	[EXIT_MONITOR_MWAIT] = "monitor-mwait",
	[EXIT_INVLPG] = "invlpg",
	[EXIT_ENTRY_FAILED] = "entry-failed",
	[EXIT_DR_ACCESS] = "dr-access",
	[EXIT_DTABLE_WRITE] = "dtable-write",
	[EXIT_NMI_WINDOW] = "nmi-window",
	[EXIT_UNKNOWN] = "unknown",
};

const char *exit_reason_name(enum exit_reason r)
{
	if ((unsigned)r >= EXIT_REASON_COUNT || !names[r])
		return "?";
	return names[r];
}
