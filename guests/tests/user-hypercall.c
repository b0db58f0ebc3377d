/* SPDX-License-Identifier: BSD-2-Clause */
/* user-hypercall: a process at CPL 3 inside a partition must not be able to
 * make hypercalls (issue 12; the isolation-cpu suite).
 *
 * From CPL 3 (guests/runtime/user.c) it calls HC_CONSOLE_WRITE with a line
 * the suite rejects, HC_PARTITION_STOP with code USER_STOP_CODE (the suite
 * rejects that stop line), HC_PARTITION_RESTART, HC_VERSION and HC_YIELD:
 * every one must return HC_EPERM and change nothing, and the code after
 * each VMCALL/VMMCALL must run (RIP advanced past it). The same calls at
 * CPL 0 around it show that the refusal is about the privilege level: the
 * kernel-mode console line must appear (the suite expects it). */
#include "rt.h"

#define USER_STOP_CODE 77
#define USER_MARK 0x5eadbeefu

static const char user_line[] = "user-hypercall: CPL 3 console write got through\n";
static const char kernel_line[] = "user-hypercall: CPL 0 console write\n";

/* What the CPL 3 code saw; it cannot print, so it writes here. */
struct user_results {
	unsigned cpl;
	long console, stop, restart, version, yield, unknown;
	unsigned after_calls; /* USER_MARK once the last call returned */
};

static struct user_results res;

static long user_main(void *arg)
{
	struct user_results *r = arg;

	r->cpl = rt_cpl();
	r->console = rt_hc_console_write(user_line, sizeof(user_line) - 1);
	r->stop = rt_hypercall(HC_PARTITION_STOP, USER_STOP_CODE, 0, 0, 0);
	r->restart = rt_hypercall(HC_PARTITION_RESTART, 0, 0, 0, 0);
	r->version = rt_hc_version();
	r->yield = rt_hc_yield();
	r->unknown = rt_hypercall(0x7fff, 0, 0, 0, 0);
	r->after_calls = USER_MARK;
	return (long)r->cpl;
}

void guest_main(void)
{
	long cpl_back = -1;

	rt_check("kernel_cpl0", rt_cpl() == 0, "CPL %u at start", rt_cpl());
	rt_check_eq("kernel_version", "HC_VERSION at CPL 0", (uint64_t)rt_hc_version(),
		    HC_ABI_VERSION);
	rt_check_eq("kernel_console", "HC_CONSOLE_WRITE at CPL 0",
		    (uint64_t)rt_hc_console_write(kernel_line, sizeof(kernel_line) - 1),
		    sizeof(kernel_line) - 1);

	memset(&res, 0, sizeof(res));
	if (!rt_user_call(user_main, &res, &cpl_back))
		rt_done();
	rt_check("user_ran_at_cpl3", res.cpl == 3 && cpl_back == 3, "CPL %u (returned %ld), want 3",
		 res.cpl, cpl_back);
	rt_check("user_calls_returned", res.after_calls == USER_MARK,
		 "the code after the hypercalls did not run (mark 0x%x)", res.after_calls);
	rt_check_eq("user_console_refused", "HC_CONSOLE_WRITE at CPL 3", (uint64_t)res.console,
		    (uint64_t)(long)HC_EPERM);
	rt_check_eq("user_stop_refused", "HC_PARTITION_STOP at CPL 3", (uint64_t)res.stop,
		    (uint64_t)(long)HC_EPERM);
	rt_check_eq("user_restart_refused", "HC_PARTITION_RESTART at CPL 3", (uint64_t)res.restart,
		    (uint64_t)(long)HC_EPERM);
	rt_check_eq("user_version_refused", "HC_VERSION at CPL 3", (uint64_t)res.version,
		    (uint64_t)(long)HC_EPERM);
	rt_check_eq("user_yield_refused", "HC_YIELD at CPL 3", (uint64_t)res.yield,
		    (uint64_t)(long)HC_EPERM);
	rt_check_eq("user_unknown_refused", "hypercall 0x7fff at CPL 3", (uint64_t)res.unknown,
		    (uint64_t)(long)HC_EPERM);

	/* Back at CPL 0 everything works again. */
	rt_check("kernel_cpl0_again", rt_cpl() == 0, "CPL %u after user mode", rt_cpl());
	rt_check_eq("kernel_version_again", "HC_VERSION at CPL 0 after user mode",
		    (uint64_t)rt_hc_version(), HC_ABI_VERSION);
	rt_done();
}
