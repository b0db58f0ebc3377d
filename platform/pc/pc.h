/* SPDX-License-Identifier: BSD-2-Clause */
/* The emulated PC (platform/pc/platform.c): the board a partition runs on.
 * It is the layer above core (docs/architecture.md "Layers"): core reaches
 * it only through the board_ops it registers (core/platform.h). */
#ifndef BULKHEAD_PLATFORM_PC_PC_H
#define BULKHEAD_PLATFORM_PC_PC_H

#include "core/platform.h"

#define GUEST_COM1 0x3f8

/* What main.c registers with board_register() before creating partitions. */
extern const struct board_ops pc_board;

/* Host memory the platform and its devices take for p (beyond guest RAM). */
uint64_t platform_bytes(const struct partition *p);
/* Acknowledge the interrupt v is about to take at its controller (PIC INTA
 * cycle, LAPIC IRR -> ISR); the vector, or -1 if it went away. */
int platform_acknowledge(struct vcpu *v);

#endif
