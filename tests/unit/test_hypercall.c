/* SPDX-License-Identifier: BSD-2-Clause */
/* core/hypercall.c: hypercall_dispatch, compiled here against stubs of the
 * partition, console and statistics calls it makes, so a test can see every
 * side effect. The rule under test (docs/hypercall-abi.md): only CPL 0 may
 * make hypercalls; from CPL 1-3 every call returns HC_EPERM, moves RIP past
 * VMCALL/VMMCALL and does nothing else. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/hypercall.c"

#define GUEST_RIP 0x101000ULL
#define LEN_VMMCALL 3
#define RAM_SIZE 0x10000
#define STOP_CODE 77

static struct {
	unsigned stops, restarts, console_bytes, stats, virtio_stats, time_reads;
} calls;

void partition_stop(struct partition *p, bool failed, const char *fmt, ...)
{
	calls.stops++;
	p->state = PART_STOPPED;
}

bool partition_restart(struct partition *p)
{
	calls.restarts++;
	return true;
}

void console_source_putc(struct console_source *src, char c)
{
	calls.console_bytes++;
}

uint64_t partition_time_ns(const struct partition *p)
{
	calls.time_reads++;
	return 12345;
}

void vcpu_log_events(struct vcpu *v)
{
	(void)v;
}

void partition_print_stats(const struct partition *p)
{
	calls.stats++;
}

/* core/vcpu.c: the single step after a completed instruction (TF or RF
 * set); these tests run with both clear. */
void vcpu_insn_done_slow(struct vcpu *v)
{
	cr_assert_fail("vcpu_insn_done_slow with RFLAGS %#lx", (unsigned long)v->rflags);
}

/* The board's device counters, reached through core/platform.h. */
static void board_print_stats(const struct partition *p)
{
	calls.virtio_stats++;
}

static const struct board_ops test_board = { .print_stats = board_print_stats };
const struct board_ops *board = &test_board;

static struct partition part;
static struct vcpu vcpu;
static uint8_t ram[RAM_SIZE];

static void setup(void)
{
	memset(&calls, 0, sizeof(calls));
	memset(&part, 0, sizeof(part));
	memset(&vcpu, 0, sizeof(vcpu));
	cr_assert(gmem_add_region(&part.mem, 0, RAM_SIZE, ram));
	part.state = PART_RUNNING;
	vcpu.part = &part;
}

/* One VMMCALL exit at the given CPL with RAX = nr, RBX/RCX = a1/a2, from
 * 64-bit mode or (call_in) from a 16/32-bit mode. */
static enum exit_action call_in(bool long_mode, uint8_t cpl, uint64_t nr, uint64_t a1, uint64_t a2)
{
	vcpu.rip = GUEST_RIP;
	vcpu.gpr[GPR_RAX] = nr;
	vcpu.gpr[GPR_RBX] = a1;
	vcpu.gpr[GPR_RCX] = a2;
	memset(&vcpu.exit, 0, sizeof(vcpu.exit));
	vcpu.exit.reason = EXIT_HYPERCALL;
	vcpu.exit.rip = GUEST_RIP;
	vcpu.exit.insn_len = LEN_VMMCALL;
	vcpu.exit.hypercall.cpl = cpl;
	vcpu.exit.hypercall.long_mode = long_mode;
	return hypercall_dispatch(&vcpu);
}

static enum exit_action call(uint8_t cpl, uint64_t nr, uint64_t a1, uint64_t a2)
{
	return call_in(true, cpl, nr, a1, a2);
}

static void assert_no_side_effects(void)
{
	cr_assert_eq(calls.stops, 0, "partition_stop called");
	cr_assert_eq(calls.restarts, 0, "partition_restart called");
	cr_assert_eq(calls.console_bytes, 0, "console written");
	cr_assert_eq(calls.stats + calls.virtio_stats, 0, "statistics printed");
	cr_assert_eq(calls.time_reads, 0, "time read");
	cr_assert_eq(part.state, PART_RUNNING);
}

TestSuite(hypercall, .init = setup);

Test(hypercall, cpl0_console_write_writes)
{
	memcpy(ram + 0x100, "hello\n", 6);
	cr_assert_eq(call(0, HC_CONSOLE_WRITE, 0x100, 6), EXIT_ACTION_RESUME);
	cr_assert_eq(vcpu.gpr[GPR_RAX], 6);
	cr_assert_eq(calls.console_bytes, 6);
	cr_assert_eq(vcpu.rip, GUEST_RIP + LEN_VMMCALL);
}

Test(hypercall, cpl0_stop_stops)
{
	cr_assert_eq(call(0, HC_PARTITION_STOP, STOP_CODE, 0), EXIT_ACTION_STOPPED);
	cr_assert_eq(calls.stops, 1);
	cr_assert_eq(part.exit_code, STOP_CODE);
}

Test(hypercall, cpl3_console_write_refused)
{
	memcpy(ram + 0x100, "hello\n", 6);
	cr_assert_eq(call(3, HC_CONSOLE_WRITE, 0x100, 6), EXIT_ACTION_RESUME);
	cr_assert_eq((int64_t)vcpu.gpr[GPR_RAX], HC_EPERM);
	cr_assert_eq(vcpu.rip, GUEST_RIP + LEN_VMMCALL, "RIP must move past VMMCALL");
	assert_no_side_effects();
}

Test(hypercall, cpl3_stop_refused)
{
	cr_assert_eq(call(3, HC_PARTITION_STOP, STOP_CODE, 0), EXIT_ACTION_RESUME);
	cr_assert_eq((int64_t)vcpu.gpr[GPR_RAX], HC_EPERM);
	cr_assert_eq(vcpu.rip, GUEST_RIP + LEN_VMMCALL);
	cr_assert_eq(part.exit_code, 0);
	assert_no_side_effects();
}

Test(hypercall, every_call_refused_above_cpl0)
{
	static const uint64_t nrs[] = { HC_VERSION,
					HC_CONSOLE_WRITE,
					HC_PARTITION_STOP,
					HC_PARTITION_RESTART,
					HC_YIELD,
					HC_TIME_NS,
					HC_PRINT_STATS,
					HC_PARTITION_BOOTS,
					0x7fff,
					~0ULL };
	for (uint8_t cpl = 1; cpl <= 3; cpl++) {
		for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
			cr_assert_eq(call(cpl, nrs[i], 0x100, 6), EXIT_ACTION_RESUME,
				     "nr %#lx cpl %u", (unsigned long)nrs[i], cpl);
			cr_assert_eq((int64_t)vcpu.gpr[GPR_RAX], HC_EPERM, "nr %#lx cpl %u",
				     (unsigned long)nrs[i], cpl);
			cr_assert_eq(vcpu.rip, GUEST_RIP + LEN_VMMCALL);
		}
	}
	assert_no_side_effects();
}

Test(hypercall, cpl0_unknown_is_enosys)
{
	cr_assert_eq(call(0, 0x7fff, 0, 0), EXIT_ACTION_RESUME);
	cr_assert_eq((int64_t)vcpu.gpr[GPR_RAX], HC_ENOSYS);
}

Test(hypercall, boots_counts_starts_and_has_no_side_effects)
{
	part.boots = 3;
	cr_assert_eq(call(0, HC_PARTITION_BOOTS, 0, 0), EXIT_ACTION_RESUME);
	cr_assert_eq(vcpu.gpr[GPR_RAX], 3);
	cr_assert_eq(vcpu.rip, GUEST_RIP + LEN_VMMCALL);
	assert_no_side_effects();
}

/* Outside 64-bit mode the registers' upper halves are not the guest's (it
 * cannot write them; a CPU need not clear them, SDM Vol. 1 §3.4.1.1): a
 * stale upper half left by an earlier 64-bit result must not change the
 * call, and results are zero-extended from 32 bits. */
#define STALE_HIGH 0xdead000100000000ULL

Test(hypercall, protected_mode_ignores_upper_halves)
{
	memcpy(ram + 0x100, "hello\n", 6);
	cr_assert_eq(call_in(false, 0, STALE_HIGH | HC_CONSOLE_WRITE, STALE_HIGH | 0x100,
			     STALE_HIGH | 6),
		     EXIT_ACTION_RESUME);
	cr_assert_eq(vcpu.gpr[GPR_RAX], 6);
	cr_assert_eq(calls.console_bytes, 6);
}

Test(hypercall, protected_mode_results_are_zero_extended)
{
	cr_assert_eq(call_in(false, 0, 0x7fff, 0, 0), EXIT_ACTION_RESUME);
	cr_assert_eq(vcpu.gpr[GPR_RAX], (uint32_t)HC_ENOSYS, "RAX %#lx",
		     (unsigned long)vcpu.gpr[GPR_RAX]);
	cr_assert_eq(call_in(false, 3, HC_VERSION, 0, 0), EXIT_ACTION_RESUME);
	cr_assert_eq(vcpu.gpr[GPR_RAX], (uint32_t)HC_EPERM);
}

Test(hypercall, long_mode_keeps_all_64_bits)
{
	cr_assert_eq(call(0, STALE_HIGH | HC_VERSION, 0, 0), EXIT_ACTION_RESUME);
	cr_assert_eq((int64_t)vcpu.gpr[GPR_RAX], HC_ENOSYS,
		     "a 64-bit caller's upper half is part of the number");
}
