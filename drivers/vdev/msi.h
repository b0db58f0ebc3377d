/* SPDX-License-Identifier: BSD-2-Clause */
/* Message-signalled interrupts on x86 (Intel SDM Vol. 3A §11.11, "Message
 * Signalled Interrupts"): a dword write of `data` to `addr` in the
 * 0xFEExxxxx window. PCI MSI/MSI-X and the emulated IOAPIC both produce
 * such messages, so the platform has one routing path for all of them.
 *
 * Address (§11.11.1): bits 31:20 0xFEE, 19:12 destination ID, 3 redirection
 * hint, 2 destination mode (1 = logical). Bits 63:32 must be zero: without
 * interrupt remapping a write above 4 GiB is an ordinary memory write.
 * The extended destination ID some hypervisors put in bits 11:5 is not used.
 * Data (§11.11.2): bits 7:0 vector, 10:8 delivery mode, 14 level (1 =
 * assert), 15 trigger mode (1 = level); bits 31:16 are reserved. */
#ifndef BULKHEAD_DRIVERS_VDEV_MSI_H
#define BULKHEAD_DRIVERS_VDEV_MSI_H

#include "core/types.h"

#define MSI_ADDR_WINDOW 0xFEE00000ULL
#define MSI_ADDR_WINDOW_MASK 0xFFFFFFFFFFF00000ULL
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_ADDR_DEST_MASK 0xFFu
#define MSI_ADDR_REDIRECTION_HINT BIT(3)
#define MSI_ADDR_DEST_LOGICAL BIT(2)

#define MSI_DATA_VECTOR_MASK 0xFFu
#define MSI_DATA_DELIVERY_SHIFT 8
#define MSI_DATA_DELIVERY_MASK 0x7u
#define MSI_DATA_LEVEL_ASSERT BIT(14)
#define MSI_DATA_TRIGGER_LEVEL BIT(15)

/* Delivery modes (SDM Vol. 3A §11.11.2); 3 and 6 are reserved. */
enum msi_delivery_mode {
	MSI_DELIVERY_FIXED = 0,
	MSI_DELIVERY_LOWEST_PRIORITY = 1,
	MSI_DELIVERY_SMI = 2,
	MSI_DELIVERY_NMI = 4,
	MSI_DELIVERY_INIT = 5,
	MSI_DELIVERY_EXTINT = 7,
};

/* Vectors 0-15 are reserved for exceptions: a fixed or lowest-priority
 * interrupt with such a vector is an illegal-vector error (SDM Vol. 3A
 * §11.5.3). */
#define MSI_FIRST_VALID_VECTOR 16

struct msi_message {
	uint8_t dest_id;
	bool dest_logical;
	bool redirection_hint;
	uint8_t vector;
	uint8_t delivery_mode; /* enum msi_delivery_mode, or a reserved value */
	bool level_assert;
	bool trigger_level;
};

/* Splits a message into its fields; false (and *m zeroed) if addr is not in
 * the interrupt window, i.e. the write is not an interrupt at all. */
bool msi_decode(uint64_t addr, uint32_t data, struct msi_message *m);

/* The inverse, for message sources such as the IOAPIC. */
uint64_t msi_encode_addr(const struct msi_message *m);
uint32_t msi_encode_data(const struct msi_message *m);

/* Not one of the reserved delivery modes (3, 6, or anything above 7). */
bool msi_delivery_mode_valid(uint8_t mode);

/* The mode delivers the vector (fixed, lowest priority), so vectors below
 * MSI_FIRST_VALID_VECTOR are illegal for it. */
bool msi_delivery_uses_vector(uint8_t mode);

#endif
