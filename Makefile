# SPDX-License-Identifier: BSD-2-Clause
# Bulkhead build. One Makefile; sources are found by directory so that adding
# a file to a subsystem needs no edit here. Fragments: guests/guests.mk
# (guest programs and images), tests/tests.mk (integration and bench rules).
#
#   make            bulkhead.elf                  make unit      host unit tests
#   make iso        hybrid BIOS+UEFI GRUB ISO     make test      everything CI runs
#   make efi        ESP image with BOOTX64.EFI    make fuzz      libFuzzer targets
#   make run        boot the ISO in QEMU          make bench     benchmarks -> build/bench.json
#   make run-bochs  boot the ISO in Bochs (VMX)   make deps      install Debian packages
#   make run-efi    boot under OVMF               make bench-peer  exit costs against Linux KVM

BUILD ?= build
# `make V=1` shows full command lines.
ifeq ($(V),1)
Q :=
else
Q := @
endif
VERSION := 0.1.0
GIT_REV := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC := gcc
LD := ld
OBJCOPY := objcopy
HOST_CC := gcc
FUZZ_CC := clang

# ---------------------------------------------------------------------------
# The hypervisor image
# ---------------------------------------------------------------------------
HV_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-fstack-protector-strong -mstack-protector-guard=global -fno-pic -fno-pie -mno-red-zone -mcmodel=small \
	-mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 -fno-omit-frame-pointer \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-DBULKHEAD_HYPERVISOR -DBULKHEAD_VERSION='"$(VERSION)"' -DBULKHEAD_GIT='"$(GIT_REV)"' -I.
HV_ASFLAGS := -D__ASSEMBLY__ -DBULKHEAD_HYPERVISOR -I. -g
HV_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T linker.ld --no-warn-rwx-segments

# Everything under these directories goes into bulkhead.elf. arch/x86/efi is
# the UEFI loader (a separate program) and is built by its own rules below.
HV_DIRS := arch/x86/boot arch/x86/cpu arch/x86/hostdev arch/x86/svm arch/x86/vmx arch/x86/paging arch/x86/video \
	core core/lib core/mm core/emul core/loader drivers/vdev drivers/virtio platform/pc
# HV_EXCLUDE drops directories (e.g. a backend under construction).
HV_DIRS := $(filter-out $(HV_EXCLUDE),$(HV_DIRS))
HV_C := $(foreach d,$(HV_DIRS),$(wildcard $(d)/*.c))
HV_S := $(foreach d,$(HV_DIRS),$(wildcard $(d)/*.S))
HV_OBJS := $(patsubst %,$(BUILD)/hv/%.o,$(HV_S) $(HV_C))
# entry.S must come first so the Multiboot headers sit at the start of .text.
HV_OBJS := $(BUILD)/hv/arch/x86/boot/entry.S.o $(filter-out $(BUILD)/hv/arch/x86/boot/entry.S.o,$(HV_OBJS))

.PHONY: all
all: $(BUILD)/bulkhead.elf

$(BUILD)/hv/%.c.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(HV_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hv/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	$(Q)$(CC) $(HV_ASFLAGS) -MMD -MP -c $< -o $@

# Two-pass link: the second pass embeds a table of function names
# (scripts/gen-symtab.sh) so exception dumps can print a symbolic stack trace.
# .ksyms sits after .text and .rodata in linker.ld, so code does not move.
$(BUILD)/hv/symtab-empty.S: scripts/gen-symtab.sh
	@mkdir -p $(dir $@)
	scripts/gen-symtab.sh /dev/null $@

$(BUILD)/hv/%.o: $(BUILD)/hv/%.S
	$(CC) $(HV_ASFLAGS) -c $< -o $@

$(BUILD)/bulkhead.pass1.elf: $(HV_OBJS) $(BUILD)/hv/symtab-empty.o linker.ld
	$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(BUILD)/hv/symtab-empty.o

$(BUILD)/hv/symtab.S: $(BUILD)/bulkhead.pass1.elf scripts/gen-symtab.sh
	scripts/gen-symtab.sh $< $@

$(BUILD)/bulkhead.elf: $(HV_OBJS) $(BUILD)/hv/symtab.o linker.ld scripts/check-image.sh
	$(LD) $(HV_LDFLAGS) -o $@ $(HV_OBJS) $(BUILD)/hv/symtab.o
	scripts/check-image.sh $(BUILD)/bulkhead.pass1.elf $@

-include $(HV_OBJS:.o=.d)

# ---------------------------------------------------------------------------
# Host unit tests (Criterion). Pure modules are compiled for the host into
# libpure.a; every tests/unit/test_*.c becomes one test binary.
# ---------------------------------------------------------------------------
PURE_DIRS := core/lib core/emul drivers/vdev drivers/virtio
PURE_FILES := core/lifecycle.c core/gmem.c core/iobus.c core/cmdline.c core/mm/frame.c core/mm/heap.c \
	core/memmap.c core/exc_reflect.c core/tlb_tag.c core/spec_policy.c core/cpuid_policy.c core/cr_policy.c core/msr_policy.c core/stats.c core/manifest.c \
	core/loader/elf.c core/loader/linux_boot.c core/loader/multiboot_boot.c core/vcpu_modes.c core/vcpu_dump.c arch/x86/paging/s2pt.c \
	arch/x86/svm/svm_decode.c arch/x86/vmx/vmx_decode.c core/exit_names.c \
	arch/x86/boot/multiboot.c arch/x86/boot/acpi_host.c arch/x86/cpu/smp_plan.c \
	arch/x86/cpu/tsc_calib.c arch/x86/video/font5x7.c arch/x86/video/text_grid.c
PURE_SRCS := $(foreach d,$(PURE_DIRS),$(wildcard $(d)/*.c)) $(wildcard $(PURE_FILES))
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
	-DBULKHEAD_HOST -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(PURE_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/host/tests/%,$(UNIT_SRCS))
UNIT_SUPPORT := $(BUILD)/host/tests/support/host_log.o

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/libpure.a: $(HOST_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/host/tests/support/%.o: tests/unit/support/%.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

.SECONDARY:
$(BUILD)/host/tests/%: tests/unit/%.c $(BUILD)/host/libpure.a $(UNIT_SUPPORT)
	@mkdir -p $(dir $@)
	@echo "  TEST    $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP $< $(UNIT_SUPPORT) $(BUILD)/host/libpure.a -lcriterion -o $@

-include $(HOST_OBJS:.o=.d)
# A test may include the source it tests (test_hypercall.c includes core/hypercall.c).
-include $(UNIT_BINS:=.d)

# The fake-backend tests (tests/fake/) join UNIT_BINS.
include tests/fake/fake.mk

.PHONY: unit
unit: deps-check $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

# ---------------------------------------------------------------------------
# Fuzz targets (libFuzzer): every tests/fuzz/fuzz_*.c. `make fuzz` runs each
# for FUZZ_SECONDS and records executions in build/fuzz.json.
# ---------------------------------------------------------------------------
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=gnu11 -O1 -g -I. -DBULKHEAD_HOST -DBULKHEAD_FUZZ \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(PURE_SRCS) tests/unit/support/host_log.c tests/fuzz/coverage-ignore.txt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(PURE_SRCS) tests/unit/support/host_log.c -o $@

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: deps-check $(FUZZ_BINS)
	@scripts/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------
.PHONY: deps deps-check check-format
# How far the C sources are from .clang-format (scripts/check-format.sh);
# reports, changes nothing, and is not part of make test.
check-format:
	scripts/check-format.sh

deps:
	scripts/deps.sh install
deps-check:
	@scripts/deps.sh check || scripts/deps.sh install

-include guests/guests.mk
-include arch/x86/efi/efi.mk
-include tests/tests.mk
-include guests/peer/peer.mk

.PHONY: clean
clean:
	rm -rf $(BUILD)
