/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz the VMX backend's pure parts with arbitrary hardware-looking input:
 * arch/x86/vmx/vmx_decode.c (exit information -> struct vm_exit) and the
 * VM-entry guest-state checker of arch/x86/vmx/vmx_state.c. Invariants: the
 * record's reason is in range, lengths are at most 15, I/O sizes and
 * segments are architectural, an entry failure always names something, and
 * the checker either accepts or returns a message. */
#include <stdint.h>
#include <string.h>

#include "arch/x86/vmx/vmx_decode.h"
#include "arch/x86/vmx/vmx_state.c" /* pure, not in PURE_FILES */

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

static void check_exit(const struct vm_exit *e)
{
	CHECK((unsigned)e->reason < EXIT_REASON_COUNT && e->reason != EXIT_NONE);
	CHECK(e->insn_len <= 15);
	CHECK(exit_reason_name(e->reason) != NULL);
	if (e->reason == EXIT_IO) {
		CHECK(e->io.size == 1 || e->io.size == 2 || e->io.size == 4);
		CHECK(e->io.seg <= SEG_GS);
		if (e->io.string)
			CHECK(e->io.addr_size == 2 || e->io.addr_size == 4 || e->io.addr_size == 8);
	}
	if (e->reason == EXIT_CR_ACCESS)
		CHECK(e->cr.cr < 16 && e->cr.gpr < GPR_COUNT);
	if (e->reason == EXIT_ENTRY_FAILED)
		CHECK(e->entry_fail.what && e->entry_fail.what[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmx_exit_raw raw;
	struct vmx_guest_state g;
	struct vmx_fixed_bits f = { 0x80000021, 0xffffffff, 0x2000, 0x3727ff, true, 40 };
	struct vm_exit e;
	uint64_t value;

	if (size < sizeof(raw))
		return 0;
	memcpy(&raw, data, sizeof(raw));
	uint8_t b;
	memcpy(&b, &raw.io_insn_info, 1); /* any byte: make it a valid bool */
	raw.io_insn_info = b & 1;
	memcpy(&b, &raw.ia32e_guest, 1); /* likewise (UBSan: a bool of 255) */
	raw.ia32e_guest = b & 1;
	raw.enter_status = (int)((unsigned int)raw.enter_status % 3);
	vmx_decode_exit(&raw, &e);
	check_exit(&e);
	(void)vmx_insn_error_name(raw.vm_insn_error);
	(void)vmx_exit_basic_name(raw.reason);

	if (size < sizeof(raw) + sizeof(g))
		return 0;
	memcpy(&g, data + sizeof(raw), sizeof(g));
	f.unrestricted = data[0] & 1;
	const char *what = vmx_check_guest_state(&g, &f, &value);
	CHECK(!what || what[0]);
	for (unsigned int i = 0; i < SEG_COUNT; i++) {
		uint16_t attr = vmx_attr_from_ar(g.seg[i].ar, i == SEG_SS);
		CHECK(!(vmx_ar_from_attr(attr) & VMX_AR_RESERVED));
	}
	return 0;
}
