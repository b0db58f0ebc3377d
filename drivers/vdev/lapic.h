/* SPDX-License-Identifier: BSD-2-Clause */
/* Local APIC of one vCPU, xAPIC and x2APIC modes (Intel SDM Vol. 3A
 * chapter 10, "Advanced Programmable Interrupt Controller").
 *
 * Guests reach it through the 4 KiB MMIO page at IA32_APIC_BASE (xAPIC
 * mode), the x2APIC MSRs 0x800-0x8FF, IA32_APIC_BASE (0x1B) and
 * IA32_TSC_DEADLINE (0x6E0). The platform routes interrupt messages between
 * LAPICs (struct lapic_ops.send_ipi, lapic_msg_targets, lapic_accept) and,
 * before each VM entry, asks what to inject (lapic_pending_vector,
 * lapic_ack_vector, lapic_take_nmi/init/sipi, lapic_accepts_pic_interrupts).
 *
 * Timer: the LAPIC timer counts a bus clock of LAPIC_TIMER_HZ (1 GHz), so a
 * count is one nanosecond at divide-by-1; CPUID 0x15/0x16 and the hypervisor
 * timing leaf must report 1,000,000 kHz. It is not stepped: the current
 * count is computed from the vclock, and the platform calls
 * lapic_next_deadline() / lapic_tick() like for the PIT.
 *
 * Deliberate simplifications: lowest-priority delivery is fixed delivery on
 * the LAPIC the platform picks; no EOI-broadcast suppression, no directed
 * EOI, no remote read; LINT inputs are edge-sensitive (no remote IRR); the
 * thermal, performance and CMCI LVTs are registers with no event source;
 * the ICR delivery-status bit always reads idle; APR is computed. */
#ifndef BULKHEAD_DRIVERS_VDEV_LAPIC_H
#define BULKHEAD_DRIVERS_VDEV_LAPIC_H

#include "drivers/vdev/vdev.h"
#include "core/gmem.h"

/* The shortest period a periodic timer reloads with (lapic.c,
 * periodic_floor): 10 kHz. */
#define LAPIC_TIMER_MIN_PERIOD_NS 100000u

#define LAPIC_DEFAULT_BASE 0xFEE00000ULL
#define LAPIC_MMIO_SIZE 0x1000ULL
#define LAPIC_TIMER_HZ 1000000000ULL
/* MAXPHYADDR assumed for IA32_APIC_BASE reserved-bit checks; the platform
 * may set struct lapic.phys_bits to what the guest's CPUID reports. */
#define LAPIC_DEFAULT_PHYS_BITS 36

/* Register offsets in the xAPIC page (SDM Table 10-1). The x2APIC MSR of a
 * register is 0x800 + offset / 16 (SDM Table 10-6). */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_APR 0x090
#define LAPIC_PPR 0x0A0
#define LAPIC_EOI 0x0B0
#define LAPIC_RRD 0x0C0
#define LAPIC_LDR 0x0D0
#define LAPIC_DFR 0x0E0
#define LAPIC_SVR 0x0F0
#define LAPIC_ISR 0x100 /* 8 registers, 16 bytes apart */
#define LAPIC_TMR 0x180
#define LAPIC_IRR 0x200
#define LAPIC_ESR 0x280
#define LAPIC_LVT_CMCI 0x2F0
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0
#define LAPIC_SELF_IPI 0x3F0 /* x2APIC only */

#define LAPIC_REG_STRIDE 16
#define LAPIC_X2APIC_MSR(off) (0x800u + ((off) >> 4))

/* MSRs. */
#define MSR_LAPIC_APIC_BASE 0x1Bu
#define MSR_LAPIC_TSC_DEADLINE 0x6E0u
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8FFu

/* IA32_APIC_BASE (SDM §10.4.4, Figure 10-5; §10.12.1). */
#define LAPIC_BASE_BSP BIT(8)
#define LAPIC_BASE_EXTD BIT(10)
#define LAPIC_BASE_EN BIT(11)
#define LAPIC_BASE_ADDR_SHIFT 12

/* Version register (SDM Figure 10-7): version 0x14 (integrated xAPIC), max
 * LVT entry 6 (timer, thermal, perf, LINT0, LINT1, error, CMCI), bit 24
 * (EOI-broadcast suppression) clear. */
#define LAPIC_VERSION_ID 0x14u
#define LAPIC_MAX_LVT 6u
#define LAPIC_VERSION_VALUE (LAPIC_VERSION_ID | LAPIC_MAX_LVT << 16)

/* SVR (SDM Figure 10-23). */
#define LAPIC_SVR_VECTOR_MASK 0xFFu
#define LAPIC_SVR_ENABLE BIT(8)
#define LAPIC_SVR_FOCUS_DISABLE BIT(9)
#define LAPIC_SVR_WRITABLE 0x3FFu
#define LAPIC_SVR_RESET 0xFFu

/* DFR models (SDM §10.6.2.2). */
#define LAPIC_DFR_MODEL_SHIFT 28
#define LAPIC_DFR_FLAT 0xFu
#define LAPIC_DFR_CLUSTER 0x0u
#define LAPIC_DFR_RESET 0xFFFFFFFFu
#define LAPIC_XAPIC_ID_SHIFT 24

/* ESR (SDM §10.5.3, Figure 10-9). */
#define LAPIC_ESR_SEND_CHECKSUM BIT(0)
#define LAPIC_ESR_RECV_CHECKSUM BIT(1)
#define LAPIC_ESR_SEND_ACCEPT BIT(2)
#define LAPIC_ESR_RECV_ACCEPT BIT(3)
#define LAPIC_ESR_REDIRECTABLE_IPI BIT(4)
#define LAPIC_ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define LAPIC_ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define LAPIC_ESR_ILLEGAL_REGISTER BIT(7)

/* LVT entries (SDM §10.5.1, Figure 10-8). */
#define LAPIC_LVT_VECTOR_MASK 0xFFu
#define LAPIC_LVT_DM_SHIFT 8
#define LAPIC_LVT_DM_MASK 0x7u
#define LAPIC_LVT_DELIVERY_STATUS BIT(12)
#define LAPIC_LVT_POLARITY_LOW BIT(13)
#define LAPIC_LVT_REMOTE_IRR BIT(14)
#define LAPIC_LVT_LEVEL BIT(15)
#define LAPIC_LVT_MASKED BIT(16)
#define LAPIC_LVT_TIMER_MODE_SHIFT 17
#define LAPIC_LVT_TIMER_MODE_MASK 0x3u
#define LAPIC_TIMER_ONESHOT 0u
#define LAPIC_TIMER_PERIODIC 1u
#define LAPIC_TIMER_TSC_DEADLINE 2u

enum lapic_lvt_index {
	LAPIC_LVT_IDX_TIMER,
	LAPIC_LVT_IDX_THERMAL,
	LAPIC_LVT_IDX_PERF,
	LAPIC_LVT_IDX_LINT0,
	LAPIC_LVT_IDX_LINT1,
	LAPIC_LVT_IDX_ERROR,
	LAPIC_LVT_IDX_CMCI,
	LAPIC_NR_LVT,
};

/* ICR (SDM §10.6.1, Figure 10-12 and 10-28). */
#define LAPIC_ICR_VECTOR_MASK 0xFFu
#define LAPIC_ICR_DM_SHIFT 8
#define LAPIC_ICR_DEST_LOGICAL BIT(11)
#define LAPIC_ICR_DELIVERY_STATUS BIT(12)
#define LAPIC_ICR_LEVEL_ASSERT BIT(14)
#define LAPIC_ICR_TRIGGER_LEVEL BIT(15)
#define LAPIC_ICR_SHORTHAND_SHIFT 18
#define LAPIC_ICR_WRITABLE 0x000CCFFFu
#define LAPIC_ICR_XAPIC_DEST_SHIFT 24

/* Timer divide configuration (SDM Figure 10-10): bits 0, 1 and 3. */
#define LAPIC_TDCR_WRITABLE 0xBu

/* Delivery modes of ICR, LVT and MSI data (SDM Table 10-1 / §10.6.1). */
enum lapic_delivery {
	LAPIC_DM_FIXED = 0,
	LAPIC_DM_LOWEST = 1,
	LAPIC_DM_SMI = 2,
	LAPIC_DM_RESERVED3 = 3,
	LAPIC_DM_NMI = 4,
	LAPIC_DM_INIT = 5,
	LAPIC_DM_STARTUP = 6,
	LAPIC_DM_EXTINT = 7,
};

enum lapic_shorthand {
	LAPIC_SH_NONE = 0,
	LAPIC_SH_SELF = 1,
	LAPIC_SH_ALL_INCL_SELF = 2,
	LAPIC_SH_ALL_EXCL_SELF = 3,
};

enum lapic_mode {
	LAPIC_MODE_DISABLED, /* IA32_APIC_BASE.EN = 0 */
	LAPIC_MODE_XAPIC,
	LAPIC_MODE_X2APIC,
};

/* An interrupt message: an IPI from an ICR, an MSI, an IOAPIC redirection. */
struct lapic_msg {
	uint32_t dest;     /* destination field */
	bool dest_x2apic;  /* dest is a 32-bit x2APIC destination, else 8-bit xAPIC */
	bool dest_logical; /* logical destination mode, else physical */
	enum lapic_shorthand shorthand;
	enum lapic_delivery delivery;
	uint8_t vector;
	bool level;         /* ICR level: assert; false only for INIT de-assert */
	bool trigger_level; /* level-triggered, else edge */
};

struct lapic;

/* Platform callbacks; any may be NULL. They may call back into any LAPIC
 * (including the sender: the model's state is consistent when they run). */
struct lapic_ops {
	/* The guest wrote the ICR: route msg (src is the sender). */
	void (*send_ipi)(void *ctx, struct lapic *src, const struct lapic_msg *msg);
	/* EOI of a level-triggered vector: forward it to the IOAPIC(s). */
	void (*eoi_broadcast)(void *ctx, struct lapic *l, uint8_t vector);
	/* An event became pending for this LAPIC: wake its vCPU. */
	void (*kick)(void *ctx, struct lapic *l);
	void *ctx;
};

struct lapic {
	const char *owner;
	uint32_t initial_id; /* x2APIC ID; xAPIC ID at reset */
	bool bsp;
	const struct vclock *clock;
	struct lapic_ops ops;
	unsigned int phys_bits;
	/* CPUID.1:ECX.x2APIC as the guest sees it (default true): without it,
	 * setting IA32_APIC_BASE.EXTD is #GP (SDM Vol. 3A §10.12.1). */
	bool x2apic_offered;

	uint64_t apic_base; /* IA32_APIC_BASE as the guest reads it */
	uint32_t id;        /* xAPIC ID register (ID in bits 31:24) */
	uint32_t tpr, ldr, dfr, svr;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t esr;               /* what the guest reads */
	uint32_t esr_pending;       /* errors since the last ESR write */
	uint32_t icr_low, icr_high; /* icr_high: xAPIC bits 31:24, or x2APIC 32-bit dest */
	uint32_t lvt[LAPIC_NR_LVT];

	/* Timer: armed means an expiry is scheduled at deadline_ns (for
	 * one-shot/periodic: the end of the current count). */
	uint32_t timer_initial;
	uint32_t timer_divide_reg;
	bool timer_armed;
	uint64_t timer_deadline_ns;
	uint64_t tsc_deadline;
	uint64_t timer_fired;
	uint64_t timer_coalesced; /* periodic expiries folded into another */

	/* KVM's PV EOI (lapic_pv_eoi.c): the guest's MSR value (GPA | enable)
	 * and whether Bulkhead set bit 0 of that word for the vector now in
	 * service. mem is the partition's RAM (NULL: PV EOI not offered). */
	const struct gmem *mem;
	uint64_t pv_eoi_msr;
	bool pv_eoi_armed;
	uint64_t eois, pv_eois; /* every EOI; those made through PV EOI */

	bool nmi_pending, init_pending, sipi_pending, wait_for_sipi, extint_pending;
	uint8_t sipi_vector;
	bool lint_level[2];
	unsigned int warned;
};

/* Power-on state (SDM §10.4.7.1): xAPIC mode at LAPIC_DEFAULT_BASE, ID
 * apic_id, software-disabled, every LVT masked. An AP (bsp false) starts in
 * wait-for-SIPI. clock and ops are kept (clock must outlive the model). */
void lapic_init(struct lapic *l, const char *owner, uint32_t apic_id, bool bsp,
		const struct vclock *clock, const struct lapic_ops *ops);
/* RESET: back to the power-on state. */
void lapic_reset(struct lapic *l);
/* What PC firmware leaves before handing over to an OS (MP spec 1.4
 * §3.6.2.2 virtual wire): software-enabled, LINT0 ExtINT on the BSP, LINT1
 * NMI. Call after init/reset when booting a kernel without firmware. */
void lapic_setup_virtual_wire(struct lapic *l);

enum lapic_mode lapic_mode(const struct lapic *l);
/* Guest-physical base of the xAPIC page (valid in every mode); the
 * platform moves its MMIO range when this changes after an MSR write. */
uint64_t lapic_mmio_base(const struct lapic *l);
/* The APIC ID other LAPICs address: x2APIC ID, or xAPIC ID bits 31:24. */
uint32_t lapic_id(const struct lapic *l);

/* xAPIC page, offset 0..0xFFF from the base; always succeeds (misuse reads
 * 0 / is ignored and logged once). dev is the struct lapic. */
int lapic_mmio_read(void *dev, uint64_t offset, unsigned int size, uint64_t *val);
int lapic_mmio_write(void *dev, uint64_t offset, unsigned int size, uint64_t val);

/* MSRs 0x1B, 0x6E0 and 0x800-0x8FF. */
/* KVM's PV EOI enable MSR (Linux Documentation/virt/kvm/x86/msr.rst):
 * bit 0 enables; bits 63:2 are the GPA of a 4-byte word in guest RAM. When
 * Bulkhead sets bit 0 of the word as it delivers an interrupt, the guest may
 * clear the bit instead of writing EOI; Bulkhead takes that EOI at the next
 * exit (lapic_pv_eoi_sync). It sets the bit only when the EOI needs nothing
 * but the ISR bit cleared: no other vector waits in the IRR, and the vector
 * is edge-triggered (no EOI to the I/O APIC). */
#define MSR_KVM_PV_EOI_EN 0x4b564d04u
#define KVM_PV_EOI_ENABLED BIT(0)
#define KVM_PV_EOI_RESERVED BIT(1)
#define KVM_PV_EOI_BIT BIT(0) /* in the guest's word */
/* LAPIC_MSR_OK, or LAPIC_MSR_GP for a reserved bit or a word not in RAM. */
int lapic_pv_eoi_msr_write(struct lapic *l, uint64_t val);
uint64_t lapic_pv_eoi_msr_read(const struct lapic *l);
/* Before the LAPIC's state is read or changed on a vCPU's exit (the
 * register paths call it; the board calls it before it picks an interrupt):
 * an EOI the guest made by clearing the bit is done here; a bit still set
 * while another vector waits is withdrawn, so the guest writes EOI. */
void lapic_pv_eoi_sync(struct lapic *l);
/* After a vector was acknowledged for delivery: set the guest's bit if
 * the rules above allow a PV EOI for it. */
void lapic_pv_eoi_arm(struct lapic *l);

#define LAPIC_MSR_OK 0
#define LAPIC_MSR_GP (-1) /* the caller injects #GP(0) */
bool lapic_owns_msr(uint32_t msr);
int lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *val);
int lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t val);

/* Timer hooks: vclock ns of the next expiry or VDEV_NO_DEADLINE; tick fires
 * an expired timer (one interrupt at most, periodic expiries coalesced). */
uint64_t lapic_next_deadline(const struct lapic *l);
void lapic_tick(struct lapic *l, uint64_t now_ns);

/* Routing. Does (dest, logical, x2apic_format) select l? Broadcast is 0xFF
 * (8-bit) or 0xFFFFFFFF (32-bit); a hardware-disabled LAPIC never matches. */
bool lapic_match_dest(const struct lapic *l, uint32_t dest, bool logical, bool x2apic_format);
/* Shorthand plus destination: is dst a target of msg sent by src (src may
 * be NULL for MSI/IOAPIC messages)? */
bool lapic_msg_targets(const struct lapic *src, const struct lapic *dst, const struct lapic_msg *msg);
/* Decode an MSI (SDM §10.11): false if addr is not in the 0xFEExxxxx window. */
bool lapic_msi_decode(uint64_t addr, uint32_t data, struct lapic_msg *msg);
/* Accept a message addressed to l (fixed/lowest -> IRR/TMR, NMI, INIT,
 * SIPI, ExtINT; SMI is logged and dropped). */
void lapic_accept(struct lapic *l, const struct lapic_msg *msg);
/* LINT0/LINT1 input pins (irq_sink shape: ctx is the lapic, line 0 or 1);
 * a rising edge fires the LVT entry. */
void lapic_set_lint(void *ctx, unsigned int pin, bool level);
struct irq_sink lapic_lint_sink(struct lapic *l);

/* Delivery, called by the vCPU's own thread before VM entry. */
/* Highest IRR vector whose priority class is above PPR's, or -1. */
int lapic_pending_vector(const struct lapic *l);
/* The hypervisor injected vector: IRR -> ISR. False if it was not pending. */
bool lapic_ack_vector(struct lapic *l, uint8_t vector);
/* Consume a pending NMI / INIT; take INIT before SIPI. */
bool lapic_take_nmi(struct lapic *l);
bool lapic_take_init(struct lapic *l);
/* Consume a pending start-up IPI: its vector (start at vector << 12), or -1. */
int lapic_take_sipi(struct lapic *l);
/* Should the 8259 PIC's INTR reach this vCPU (LINT0 unmasked ExtINT, an
 * ExtINT message, or the APIC hardware-disabled)? */
bool lapic_accepts_pic_interrupts(const struct lapic *l);
/* A PIC vector was injected because of an ExtINT message: consume it. */
void lapic_ack_pic_interrupt(struct lapic *l);
/* Anything that ends HLT: a deliverable vector, NMI, INIT or SIPI. */
bool lapic_has_wakeup(const struct lapic *l);

/* Processor priority (SDM §10.8.3.1). */
uint32_t lapic_ppr(const struct lapic *l);

#endif
