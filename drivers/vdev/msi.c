/* SPDX-License-Identifier: BSD-2-Clause */
/* x86 MSI address/data encoding (Intel SDM Vol. 3A §11.11). */
#include "drivers/vdev/msi.h"

bool msi_decode(uint64_t addr, uint32_t data, struct msi_message *m)
{
	*m = (struct msi_message){ 0 };
	if ((addr & MSI_ADDR_WINDOW_MASK) != MSI_ADDR_WINDOW)
		return false;
	m->dest_id = (uint8_t)((addr >> MSI_ADDR_DEST_SHIFT) & MSI_ADDR_DEST_MASK);
	m->dest_logical = addr & MSI_ADDR_DEST_LOGICAL;
	m->redirection_hint = addr & MSI_ADDR_REDIRECTION_HINT;
	m->vector = (uint8_t)(data & MSI_DATA_VECTOR_MASK);
	m->delivery_mode = (uint8_t)((data >> MSI_DATA_DELIVERY_SHIFT) & MSI_DATA_DELIVERY_MASK);
	m->level_assert = data & MSI_DATA_LEVEL_ASSERT;
	m->trigger_level = data & MSI_DATA_TRIGGER_LEVEL;
	return true;
}

uint64_t msi_encode_addr(const struct msi_message *m)
{
	uint64_t addr = MSI_ADDR_WINDOW | (uint64_t)m->dest_id << MSI_ADDR_DEST_SHIFT;

	if (m->redirection_hint)
		addr |= MSI_ADDR_REDIRECTION_HINT;
	if (m->dest_logical)
		addr |= MSI_ADDR_DEST_LOGICAL;
	return addr;
}

uint32_t msi_encode_data(const struct msi_message *m)
{
	uint32_t data = m->vector | (uint32_t)(m->delivery_mode & MSI_DATA_DELIVERY_MASK)
						    << MSI_DATA_DELIVERY_SHIFT;

	if (m->level_assert)
		data |= MSI_DATA_LEVEL_ASSERT;
	if (m->trigger_level)
		data |= MSI_DATA_TRIGGER_LEVEL;
	return data;
}

bool msi_delivery_mode_valid(uint8_t mode)
{
	switch (mode) {
	case MSI_DELIVERY_FIXED:
	case MSI_DELIVERY_LOWEST_PRIORITY:
	case MSI_DELIVERY_SMI:
	case MSI_DELIVERY_NMI:
	case MSI_DELIVERY_INIT:
	case MSI_DELIVERY_EXTINT:
		return true;
	default:
		return false;
	}
}

bool msi_delivery_uses_vector(uint8_t mode)
{
	return mode == MSI_DELIVERY_FIXED || mode == MSI_DELIVERY_LOWEST_PRIORITY;
}
