/* SPDX-License-Identifier: BSD-2-Clause */
/* Issue 14 through the real run path on the fake backend: a kind=multiboot
 * partition made by partition_create starts as Multiboot 0.6.96 §3.2 says
 * with ACPI tables in its RAM; fw_cfg answers at 0x510/0x511; a write to
 * the debug-exit port stops the partition with status (v << 1) | 1 and
 * nothing after it runs. */
#include "tests/fake/fake_fixture.h"

#define JUNK 0xa5a5a5a5a5a5a5a5ULL
#define MB_ENTRY 0x100010u

static struct partition *part;
static struct vcpu *v0;
static uint8_t kernel[0x1400];

static void put16(uint32_t off, uint16_t v)
{
	memcpy(kernel + off, &v, 2);
}
static void put32(uint32_t off, uint32_t v)
{
	memcpy(kernel + off, &v, 4);
}

/* An ELF32 with one PT_LOAD at 1 MiB from file offset 0x1000, whose first
 * bytes are the Multiboot header (magic, flags 3, checksum). */
static void build_kernel(void)
{
	memset(kernel, 0x90, sizeof(kernel));
	memset(kernel, 0, 0x1000);
	memcpy(kernel,
	       "\x7f"
	       "ELF\x01\x01\x01",
	       7);
	put16(16, 2);
	put16(18, 3);
	put32(20, 1);
	put32(24, MB_ENTRY);
	put32(28, 52);
	put16(40, 52);
	put16(42, 32);
	put16(44, 1);
	put32(52, 1);
	put32(56, 0x1000);
	put32(60, 0x100000);
	put32(64, 0x100000);
	put32(68, 0x400);
	put32(72, 0x400);
	put32(76, 7);
	put32(0x1000, 0x1badb002);
	put32(0x1004, 3);
	put32(0x1008, -(0x1badb002u + 3));
}

static void boot(const char *manifest)
{
	build_kernel();
	fake_arch_init(1);
	part = fx_partition(manifest, kernel, sizeof(kernel));
	v0 = part->vcpu[0];
}

TestSuite(fake_multiboot, .timeout = 30);

Test(fake_multiboot, starts_in_the_multiboot_machine_state_with_acpi)
{
	boot("name=mb mem=4M kind=multiboot -- hello");
	cr_assert_eq(v0->gpr[GPR_RAX], 0x2badb002);
	cr_assert_eq(v0->gpr[GPR_RBX], 0x8100);
	cr_assert_eq(v0->rip, MB_ENTRY);
	cr_assert_eq(v0->rflags & BIT(9), 0, "IF clear");
	char rsdp[8];
	cr_assert(gmem_read(&part->mem, 0xe0000, rsdp, sizeof(rsdp)));
	cr_assert_eq(memcmp(rsdp, "RSD PTR ", 8), 0, "the RSDP at 0xE0000");
	uint32_t cmdline;
	char text[16];
	cr_assert(gmem_read(&part->mem, 0x8100 + 16, &cmdline, 4));
	cr_assert(gmem_read(&part->mem, cmdline, text, sizeof(text)));
	cr_assert_str_eq(text, "mb hello");
}

Test(fake_multiboot, fw_cfg_signature_through_the_iobus)
{
	boot("name=mb mem=4M kind=multiboot");
	fake_push_io(v0, 0x510, 2, false, 0x0000);
	for (unsigned int i = 0; i < 4; i++)
		fake_push_io(v0, 0x511, 1, true, JUNK);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);
	fx_slice(v0, 16);
	const char *want = "QEMU";
	for (unsigned int i = 0; i < 4; i++)
		cr_assert_eq(fake_entry(v0, 2 + i)->gpr[GPR_RAX] & 0xff, (uint8_t)want[i],
			     "byte %u", i);
}

Test(fake_multiboot, no_fw_cfg_when_off)
{
	boot("name=mb mem=4M kind=multiboot fw_cfg=off");
	fake_push_io(v0, 0x510, 2, false, 0x0000);
	fake_push_io(v0, 0x511, 1, true, JUNK);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);
	fx_slice(v0, 16);
	cr_assert_eq(fake_entry(v0, 2)->gpr[GPR_RAX] & 0xff, 0xff, "open bus");
}

Test(fake_multiboot, debug_exit_stops_with_the_status)
{
	boot("name=mb mem=4M kind=multiboot debug-exit=0xf4");
	fake_push_io(v0, 0xf4, 1, false, 5);
	fake_push_cpuid(v0, 0, 0); /* must not run */
	cr_assert_eq(fx_slice(v0, 16), EXIT_ACTION_STOPPED);
	cr_assert_eq(part->state, PART_STOPPED);
	cr_assert_not(part->failed, "a guest's verdict is not a misbehaviour");
	cr_assert_eq(part->debug_exit_value, 5);
	cr_assert_eq(part->debug_exit_status, 11);
	cr_assert(strstr(part->stop_reason, "debug exit: wrote 0x5 to port 0xf4, status 11"), "%s",
		  part->stop_reason);
	cr_assert_eq(fake_steps_left(v0), 1, "nothing ran after the write");
}

Test(fake_multiboot, no_debug_exit_port_unless_asked)
{
	boot("name=mb mem=4M kind=multiboot");
	fake_push_io(v0, 0xf4, 1, false, 5);
	fake_push_hypercall(v0, 0, HC_PARTITION_STOP, 0, 0);
	fx_slice(v0, 16);
	cr_assert_eq(part->debug_exit_written, false);
	cr_assert(strstr(part->stop_reason, "guest requested stop"), "%s", part->stop_reason);
}
