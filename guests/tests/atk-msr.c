/* SPDX-License-Identifier: BSD-2-Clause */
/* atk-msr: every MSR index a guest is likely to try (issue 12, "Any value a
 * guest controls ... MSRs ... is validated"; docs/cpu-state.md lists each
 * MSR and where it is switched). msr.c checks the MSRs the hypervisor
 * emulates one by one; this guest sweeps the architectural, AMD, KVM and
 * hypervisor ranges as a fuzzer would:
 *
 *   1. msr_read_sweep: RDMSR of every index in the ranges: each one either
 *      reads or is #GP, nothing else (no #UD, no stop), and a second sweep
 *      finds the same set readable.
 *   2. msr_writeback_sweep: WRMSR of the value just read to every readable
 *      MSR (a guest may always write back what it read of a read/write MSR;
 *      a read-only one is #GP): #GP or nothing, and afterwards the
 *      partition still runs, its time still goes forward and the same set
 *      is readable.
 *   3. msr_write_unreadable: WRMSR of all-ones and of zero to every index
 *      that was not readable: each is #GP (an MSR that cannot be read but
 *      takes a write would be hidden state; x2APIC is off, so its
 *      write-only registers are #GP too), except the write-only command
 *      MSRs PRED_CMD (0x49) and FLUSH_CMD (0x10B) for zero, which the CPU
 *      may take as a no-op command.
 *   4. msr_state_own: the MSRs the hypervisor switches between partitions
 *      (FS/GS/KERNEL_GS base, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_*,
 *      TSC_AUX) read back this partition's own tagged values after yields
 *      to the partitions beside it. */
#include "atk.h"

struct msr_range {
	uint32_t first, count;
};

/* Architectural MSRs, the x2APIC range among them; AMD's
 * 0xC0000000 (long mode) and 0xC0010000 (family specific) ranges; KVM's
 * paravirtual ones (0x4B564Dxx) and the hypervisor range 0x40000000. */
static const struct msr_range ranges[] = {
	{ 0x00000000u, 0x2000u }, { 0x40000000u, 0x200u },  { 0x4B564D00u, 0x100u },
	{ 0xC0000000u, 0x2000u }, { 0xC0010000u, 0x2000u },
};
#define MAX_MSRS (0x2000u * 3 + 0x200u + 0x100u)
#define BITMAP_WORDS ((MAX_MSRS + 63) / 64)

#define VEC_GP 13
#define MSR_TSC 0x10u
#define MSR_PRED_CMD 0x49u
#define MSR_FLUSH_CMD 0x10Bu
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_STAR 0xC0000081u
#define MSR_CSTAR 0xC0000083u
#define MSR_SFMASK 0xC0000084u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_TSC_AUX 0xC0000103u
#define OWN_ROUNDS 200
#define CPUID_80000001_EDX_RDTSCP (1u << 27)

static uint64_t readable_first[BITMAP_WORDS], readable_again[BITMAP_WORDS];
static unsigned odd_vectors;
static uint32_t odd_msr;
static int odd_vector;

static void note_odd(uint32_t msr, int v)
{
	if (!odd_vectors++) {
		odd_msr = msr;
		odd_vector = v;
	}
}

/* Calls fn(index into the bitmaps, MSR) for every MSR of every range. */
#define FOR_EACH_MSR(i, msr, body)                                                \
	do {                                                                      \
		unsigned i = 0;                                                   \
		for (unsigned r_ = 0; r_ < ARRAY_SIZE(ranges); r_++)              \
			for (uint32_t k_ = 0; k_ < ranges[r_].count; k_++, i++) { \
				uint32_t msr = ranges[r_].first + k_;             \
				body;                                             \
			}                                                         \
	} while (0)

static bool bit(const uint64_t *map, unsigned i)
{
	return map[i / 64] & (1ull << (i % 64));
}

static unsigned sweep_reads(uint64_t *map)
{
	unsigned n = 0;
	memset(map, 0, sizeof(readable_first));
	FOR_EACH_MSR(i, msr, {
		uint64_t v;
		int vec = rt_try_rdmsr(msr, &v);
		if (vec < 0) {
			map[i / 64] |= 1ull << (i % 64);
			n++;
		} else if (vec != VEC_GP) {
			note_odd(msr, vec);
		}
	});
	return n;
}

static unsigned differences(void)
{
	unsigned d = 0;
	for (unsigned w = 0; w < BITMAP_WORDS; w++)
		for (uint64_t x = readable_first[w] ^ readable_again[w]; x; x &= x - 1)
			d++;
	return d;
}

static void read_sweep(void)
{
	unsigned n1 = sweep_reads(readable_first);
	unsigned n2 = sweep_reads(readable_again);
	rt_check("msr_read_sweep", !odd_vectors && n1 && !differences(),
		 "%u of %u MSRs readable (then %u), %u differ between sweeps; %u faults other than "
		 "#GP (first: MSR 0x%x, vector %d)",
		 n1, MAX_MSRS, n2, differences(), odd_vectors, odd_msr, odd_vector);
}

static void writeback_sweep(void)
{
	unsigned taken = 0, refused = 0;
	uint64_t t0 = rdtsc();
	FOR_EACH_MSR(i, msr, {
		uint64_t v;
		if (!bit(readable_first, i) || msr == MSR_TSC)
			continue; /* writing the TSC back is a jump back in time */
		if (rt_try_rdmsr(msr, &v) >= 0)
			continue;
		int vec = rt_try_wrmsr(msr, v);
		if (vec < 0)
			taken++;
		else if (vec == VEC_GP)
			refused++;
		else
			note_odd(msr, vec);
	});
	uint64_t t1 = rdtsc();
	unsigned n = sweep_reads(readable_again);
	rt_check("msr_writeback_sweep", !odd_vectors && t1 > t0 && !differences(),
		 "%u written back, %u #GP, %u other faults (first: MSR 0x%x, vector %d); %u "
		 "readable afterwards, %u differ; TSC %s",
		 taken, refused, odd_vectors, odd_msr, odd_vector, n, differences(),
		 t1 > t0 ? "went on" : "went back");
}

static const uint64_t unreadable_vals[2] = { ~0ull, 0 };

static void write_unreadable(void)
{
	unsigned taken = 0, tried = 0;
	uint32_t first_taken = 0;
	uint64_t first_val = 0;
	FOR_EACH_MSR(i, msr, {
		if (bit(readable_first, i))
			continue;
		for (unsigned k = 0; k < ARRAY_SIZE(unreadable_vals); k++) {
			bool command = msr == MSR_PRED_CMD || msr == MSR_FLUSH_CMD;
			tried++;
			int vec = rt_try_wrmsr(msr, unreadable_vals[k]);
			if (vec < 0 && !(command && unreadable_vals[k] == 0)) {
				if (!taken++) {
					first_taken = msr;
					first_val = unreadable_vals[k];
				}
			} else if (vec >= 0 && vec != VEC_GP) {
				note_odd(msr, vec);
			}
		}
	});
	rt_check("msr_write_unreadable", !taken && !odd_vectors,
		 "%u of %u writes to unreadable MSRs taken (first: MSR 0x%x = 0x%llx), %u other "
		 "faults (first: MSR 0x%x, vector %d)",
		 taken, tried, first_taken, (unsigned long long)first_val, odd_vectors, odd_msr,
		 odd_vector);
}

static const uint32_t switched[] = {
	MSR_SYSENTER_CS, MSR_SYSENTER_ESP,   MSR_SYSENTER_EIP, MSR_STAR,
	MSR_LSTAR,       MSR_CSTAR,          MSR_SFMASK,       MSR_FS_BASE,
	MSR_GS_BASE,     MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

/* A value each MSR takes: canonical addresses for the bases and entry
 * points, the low 32 bits for TSC_AUX, a 16-bit selector for SYSENTER_CS. */
static uint64_t own_value(uint32_t msr, unsigned round)
{
	uint64_t tag = 0x00007a5a00000000ull | (uint64_t)msr << 12 | round;
	if (msr == MSR_TSC_AUX)
		return (uint32_t)tag;
	if (msr == MSR_SYSENTER_CS)
		return (uint16_t)(0x1000 + round);
	if (msr == MSR_STAR)
		return 0x0023001000000000ull; /* selectors only; the low half is for legacy */
	if (msr == MSR_SFMASK)
		return round & 0x3F7FD5u; /* RFLAGS bits it may clear */
	return tag;
}

static void state_own(void)
{
	uint64_t saved[ARRAY_SIZE(switched)];
	unsigned lost = 0, refused = 0;
	uint32_t first = 0;
	uint64_t first_got = 0;
	/* TSC_AUX exists only where RDTSCP is offered (CPUID 8000_0001h
	 * EDX[27]); elsewhere it is #GP like any absent MSR. */
	unsigned n = ARRAY_SIZE(switched);
	if (!(cpuid(0x80000001u, 0).edx & CPUID_80000001_EDX_RDTSCP))
		n--;
	for (unsigned k = 0; k < n; k++)
		rt_try_rdmsr(switched[k], &saved[k]);
	for (unsigned round = 0; round < OWN_ROUNDS; round++) {
		for (unsigned k = 0; k < n; k++)
			refused += rt_try_wrmsr(switched[k], own_value(switched[k], round)) >= 0;
		rt_hc_yield();
		for (unsigned k = 0; k < n; k++) {
			uint64_t v = 0;
			rt_try_rdmsr(switched[k], &v);
			if (v != own_value(switched[k], round) && !lost++) {
				first = switched[k];
				first_got = v;
			}
		}
	}
	for (unsigned k = 0; k < n; k++)
		rt_try_wrmsr(switched[k], saved[k]);
	rt_check("msr_state_own", !lost && !refused,
		 "%u reads after a yield were not this partition's value (first: MSR 0x%x = "
		 "0x%llx), %u writes refused",
		 lost, first, (unsigned long long)first_got, refused);
}

void guest_main(void)
{
	read_sweep();
	writeback_sweep();
	write_unreadable();
	state_own();
}
