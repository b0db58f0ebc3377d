/* SPDX-License-Identifier: BSD-2-Clause */
/* The fake architecture: what core/ needs from arch/x86 and the boot code,
 * played by a host process so the real run loop, scheduler, lifecycle,
 * exit dispatch, hypercalls and board run in a unit test (in the manner of
 * Hafnium's "fake" arch). Built only with -DBULKHEAD_FAKE_ARCH
 * (tests/fake/fake.mk); docs/testing.md, "The fake backend".
 *
 * What it fakes:
 *  - CPUs: each host thread plays one CPU of percpu_area after
 *    fake_cpu_bind(); this_cpu() answers per thread (core/percpu.h).
 *  - Time: one fake TSC at 1 GHz (so cycles are nanoseconds), shared by
 *    all CPUs and moved forward only by the fake (a vCPU's guest time per
 *    scripted exit, an idle CPU sleeping to its timer). Tests are
 *    deterministic on one CPU.
 *  - The host LAPIC: host_timer_arm keeps a one-shot TSC deadline per CPU,
 *    host_ipi_send marks a kick pending on the target CPU; either makes the
 *    fake vCPU running there exit with EXIT_EXTINT, as the hardware would.
 *  - MSRs (a small table), the interrupt flag and HLT.
 *  - Memory: "host-physical" RAM is one malloc'd arena handed to the real
 *    frame allocator (core/mm/frame.c); kzalloc is malloc.
 *  - The console and the log: lines are kept (thread-safe) for asserts.
 */
#ifndef BULKHEAD_TESTS_FAKE_ARCH_H
#define BULKHEAD_TESTS_FAKE_ARCH_H

#include "core/percpu.h"
#include "core/types.h"

#define FAKE_ARENA_BASE MiB(16) /* "host-physical" address of the arena */
#define FAKE_ARENA_SIZE MiB(96)
#define FAKE_TSC_START 1000000ULL /* the fake TSC at fake_arch_init */
#define FAKE_LOG_MAX 4096         /* log and console lines kept */
#define FAKE_LINE_MAX 320

/* Set up nr_cpus fake host CPUs (online, APIC ID = index), the frame
 * allocator over a fresh arena, the log, and select the fake vCPU
 * backend. Binds the calling thread to CPU 0. Call once per test. */
void fake_arch_init(unsigned int nr_cpus);
/* The calling thread plays host CPU id from now on. */
void fake_cpu_bind(unsigned int id);

/* The fake TSC (also time_ns(): 1 GHz, boot at 0). */
uint64_t fake_tsc(void);
void fake_tsc_advance(uint64_t cycles);

/* Host interrupts of a fake CPU: true if one is due now (a kick is pending
 * or its timer deadline has passed). fake_cpu_take_interrupt consumes it
 * (the IDT handler ran: kick acknowledged, one-shot timer disarmed). */
bool fake_cpu_interrupt_due(const struct percpu *c);
void fake_cpu_take_interrupt(struct percpu *c);
/* The TSC deadline armed on c's host timer (UINT64_MAX: none). */
uint64_t fake_cpu_timer(const struct percpu *c);
/* Kicks (HOST_KICK_VECTOR IPIs) sent to CPU id so far. */
unsigned int fake_kicks_sent(unsigned int id);
/* What wrmsr last wrote to msr (0 if never) and how often it was written. */
uint64_t fake_msr_value(uint32_t msr);
unsigned int fake_msr_writes(uint32_t msr);

/* Captured lines: the hypervisor's log and the partitions' console output
 * ("[name] text", one per completed line). */
unsigned int fake_log_count(const char *needle); /* lines containing needle */
bool fake_log_contains(const char *needle);
unsigned int fake_log_lines(void);
const char *fake_log_line(unsigned int i);
unsigned int fake_console_count(const char *needle);
void fake_log_reset(void);

/* How often the scheduler asked for the partition-switch barrier. */
extern unsigned int fake_partition_switches;

#endif
