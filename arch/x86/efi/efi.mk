# SPDX-License-Identifier: BSD-2-Clause
# The UEFI loader BOOTX64.EFI and the ESP image (included by the top-level
# Makefile). Built with Debian's gnu-efi: compile position-independent with
# the Microsoft calling convention for firmware calls, link against gnu-efi's
# crt0 and linker script into an ELF shared object, then let objcopy turn that
# into a PE32+ EFI application (subsystem 10).
#
#   make efi        $(BUILD)/efi/BOOTX64.EFI and $(BUILD)/esp.img
#   make run-efi    boot the ESP under OVMF (tests/tests.mk)
#
# The ESP holds EFI/BOOT/BOOTX64.EFI, /bulkhead.elf, the boot modules under
# /guests/ and /bulkhead.cfg (format: arch/x86/efi/loader_config.h), written
# by scripts/mkesp.sh from HV_CMDLINE and BOOT_MODULES (tests/tests.mk).

GNU_EFI_INC ?= /usr/include/efi
GNU_EFI_LIB ?= /usr/lib
GNU_EFI_LDS := $(GNU_EFI_LIB)/elf_x86_64_efi.lds
GNU_EFI_CRT0 := $(GNU_EFI_LIB)/crt0-efi-x86_64.o

EFI_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -fpic -fshort-wchar -fno-strict-aliasing \
	-fno-stack-protector -fno-stack-check -mno-red-zone -maccumulate-outgoing-args \
	-mgeneral-regs-only -fcf-protection=none \
	-DGNU_EFI_USE_MS_ABI -DBULKHEAD_EFI_LOADER \
	-isystem $(GNU_EFI_INC) -isystem $(GNU_EFI_INC)/x86_64 -I.
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T $(GNU_EFI_LDS) \
	-L$(GNU_EFI_LIB) --no-warn-rwx-segments
# Sections that make up the PE image (the rest is ELF bookkeeping).
EFI_PE_SECTIONS := -j .text -j .sdata -j .data -j .dynamic -j .dynsym \
	-j .rel -j .rela -j .rel.* -j .rela.* -j .reloc

# The loader's own sources plus the freestanding string helpers.
EFI_SRCS := $(wildcard arch/x86/efi/*.c) core/lib/string.c
EFI_OBJS := $(patsubst %.c,$(BUILD)/efi/obj/%.o,$(EFI_SRCS))
EFI_APP := $(BUILD)/efi/BOOTX64.EFI
ESP_IMG := $(BUILD)/esp.img

$(BUILD)/efi/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/efi/BOOTX64.so: $(EFI_OBJS) $(GNU_EFI_LDS) $(GNU_EFI_CRT0)
	$(LD) $(EFI_LDFLAGS) $(GNU_EFI_CRT0) $(EFI_OBJS) -o $@ -lefi -lgnuefi

$(EFI_APP): $(BUILD)/efi/BOOTX64.so
	$(OBJCOPY) $(EFI_PE_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

-include $(EFI_OBJS:.o=.d)

.PHONY: efi efi-app
efi-app: $(EFI_APP)
efi: $(ESP_IMG)
