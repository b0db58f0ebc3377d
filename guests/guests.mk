# SPDX-License-Identifier: BSD-2-Clause
# Test guests: the programs Bulkhead runs as partitions to prove its VM core
# (guests/README.md). Included by the top-level Makefile.
#
#   make guests          every guest image into $(BUILD)/guests/
#   make guests-check    build them and check the images (scripts below)
#   make guests-smoke    boot the guests that can run without a hypervisor on
#                        bare QEMU (runtime self-test; see guests/smoke/)
#   make linux-images    $(BUILD)/linux/vmlinuz and initrd.cpio.gz (Debian 12
#                        kernel + busybox initramfs, guests/linux/);
#                        LINUX_MODULES="virtio_pci ..." adds kernel modules
#   make linux-virtio-images        $(BUILD)/linux/virtio/: the virtio test's
#                        initramfs (guests/linux/virtio-test.sh, with modules)
#   make linux-virtio-bench-images  $(BUILD)/linux/virtio-bench/ (virtio-bench.sh)
#   make linux-virtio-qemu-test     virtio-test.sh on QEMU's own virtio devices
#   make bench-virtio    virtio-blk/net throughput, Bulkhead vs QEMU's devices
#                        (scripts/bench-virtio.sh; BENCH_VIRTIO_ARGS="--runs 3")
#
# What the rig reads (tests/tests.mk, scripts/itest.sh):
#
#   GUEST_IMAGES              every built image (full paths under $(BUILD)/guests)
#   GUEST_CMDLINE_<file>      the module command line (docs/manifest.md) of one
#                             image, by file name, e.g. GUEST_CMDLINE_hello-long.elf
#   GUEST_SUITES              the integration scenarios: vmcore isolation-tf isolation-cpu bench
#   GUEST_SUITE_MODULES_<s>   guests/suites/<s>.modules: one module a line,
#                               <image path relative to $(BUILD)/guests> <command line>
#                             '#' starts a comment; blank lines are ignored.
#   GUEST_SUITE_EXPECT_<s>    guests/suites/<s>.expect: "expect: ERE" and
#                             "reject: ERE" lines in scripts/itest.sh's vocabulary
#                             (ERE over the serial log), plus a "timeout:" hint.
#
# Toolchain: the host gcc and ld (-m32 / -m64, freestanding, no libc and no
# libgcc: 32-bit code must not divide 64-bit numbers), as for the real-mode
# image (.code16 in a 32-bit object, then objcopy -O binary).

GUEST_OUT := $(BUILD)/guests
GUEST_CC ?= gcc
GUEST_LD ?= ld
GUEST_OBJCOPY ?= objcopy

GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-builtin -nostdlib \
	-fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-omit-frame-pointer -mgeneral-regs-only -mno-sse -mno-mmx -mno-80387 -mno-red-zone \
	-Iguests/runtime
GUEST_ASFLAGS := -D__ASSEMBLY__ -Iguests/runtime -g
GUEST_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

# The C runtime, built once per mode.
GUEST_RT_COMMON := runtime/console.o runtime/exc.o runtime/hypercall.o runtime/lib.o \
	runtime/main.o runtime/report.o runtime/vectors.o runtime/gdt.o runtime/user.o \
	runtime/user_entry.o
GUEST_RT32 := $(addprefix $(GUEST_OUT)/obj32/,runtime/start32.o $(GUEST_RT_COMMON))
GUEST_RT64 := $(addprefix $(GUEST_OUT)/obj64/,runtime/start64.o $(GUEST_RT_COMMON))

# Guests by mode. An image takes its code from guests/tests/<name>.c unless
# GUEST_SRC_<name> names another file (one source, several modes).
GUESTS64 := hello-long cpuid msr pio mmio exceptions interrupts virt-insn bad-gpa triple-fault survivor pc-timers hog virtio-hostile \
	secret-writer secret-scanner dr-writer dr-reader user-hypercall cr4-hidden cr-rules cpu-conform apic-conform ap-longmode exc-loop tlb-tag tlb-tag2 tlb-tag3 bench-cpuid bench-pio bench-hypercall bench-loop \
	bystander atk-hog atk-restart atk-console atk-pause-icr lc-race \
	atk-ipi atk-entry atk-user atk-insn atk-storm atk-mmio-odd atk-strio-out atk-strio-in atk-hlt-cli \
	atk-straddle-ram atk-straddle-mmio atk-fetch-mmio atk-mmio-fxsave atk-cr0 atk-virtio atk-pveoi atk-x2apic atk-blk atk-blk-flood atk-net net-bystander atk-vcons \
	atk-fpu atk-fpu2 atk-debug atk-nmi atk-msr
GUESTS32 := hello-prot pio32 exceptions32
GUESTS16 := hello-real
GUEST_SRC_hello-long := hello
GUEST_SRC_hello-prot := hello
GUEST_SRC_pio32 := pio
GUEST_SRC_exceptions32 := exceptions
# Bochs boots from an ISO, whose modules need distinct file names.
GUEST_SRC_tlb-tag2 := tlb-tag
GUEST_SRC_tlb-tag3 := tlb-tag
GUEST_SRC_atk-fpu2 := atk-fpu
guest_src = $(or $(GUEST_SRC_$(1)),$(1))

GUEST_IMAGES := $(GUESTS64:%=$(GUEST_OUT)/%.elf) $(GUESTS32:%=$(GUEST_OUT)/%.elf) \
	$(GUESTS16:%=$(GUEST_OUT)/%.bin)

# atk-blk's read-only disk (tests/integration/include/adversarial-contained.inc,
# disk-for= with readonly=yes): 4 KiB of 0xA5 bytes, which the guest checks
# its refused writes leave alone.
ATK_BLK_RO_DISK := $(GUEST_OUT)/atk-blk-ro.img
$(ATK_BLK_RO_DISK):
	@mkdir -p $(@D)
	head -c 4096 /dev/zero | tr '\000' '\245' >$@

# Module command lines (docs/manifest.md), taken from the suite files so
# there is one source: GUEST_CMDLINE_<file> := <command line> for every image
# a suite names (the same image has the same command line in every suite).
GUEST_SUITES := vmcore isolation-tf isolation-cpu bench pc
guest_suite_lines = $(shell sed -e 's/\#.*//' -e '/^[[:space:]]*$$/d' -e 's/^[[:space:]]*//' \
	-e 's/[[:space:]][[:space:]]*/|/g' -e 's/|$$//' $(1))
$(foreach l,$(call guest_suite_lines,$(GUEST_SUITES:%=guests/suites/%.modules)),\
	$(eval GUEST_CMDLINE_$(firstword $(subst |, ,$(l))) := $(wordlist 2,99,$(subst |, ,$(l)))))

$(foreach s,$(GUEST_SUITES),\
	$(eval GUEST_SUITE_MODULES_$(s) := guests/suites/$(s).modules)\
	$(eval GUEST_SUITE_EXPECT_$(s) := guests/suites/$(s).expect))

# ---------------------------------------------------------------------------
$(GUEST_OUT)/obj32/%.o: guests/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 -march=i686 $(GUEST_CFLAGS) -MMD -MP -c $< -o $@
$(GUEST_OUT)/obj64/%.o: guests/%.c
	@mkdir -p $(@D)
	$(GUEST_CC) -m64 $(GUEST_CFLAGS) -MMD -MP -c $< -o $@
$(GUEST_OUT)/obj32/%.o: guests/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@
$(GUEST_OUT)/obj64/%.o: guests/%.S
	@mkdir -p $(@D)
	$(GUEST_CC) -m64 $(GUEST_ASFLAGS) -MMD -MP -c $< -o $@

define GUEST_ELF_RULE
$(GUEST_OUT)/$(1).elf: $(GUEST_OUT)/obj$(2)/tests/$(call guest_src,$(1)).o $(GUEST_RT$(2)) guests/runtime/link$(2).ld
	$(GUEST_LD) $(GUEST_LDFLAGS) -T guests/runtime/link$(2).ld -o $$@ $$(filter %.o,$$^)
$(GUEST_OUT)/smoke/$(1).elf: $(GUEST_OUT)/obj$(2)/smoke/mb$(2).o $(GUEST_OUT)/obj$(2)/tests/$(call guest_src,$(1)).o $(GUEST_RT$(2)) guests/runtime/link$(2).ld
	@mkdir -p $$(@D)
	$(GUEST_LD) $(GUEST_LDFLAGS) -T guests/runtime/link$(2).ld -o $$@ $$(filter %.o,$$^)
endef
$(foreach g,$(GUESTS64),$(eval $(call GUEST_ELF_RULE,$(g),64)))
$(foreach g,$(GUESTS32),$(eval $(call GUEST_ELF_RULE,$(g),32)))

# Real mode: one flat binary at the load address (0x7c00) with its runtime.
$(GUEST_OUT)/obj32/%.bin.elf: $(GUEST_OUT)/obj32/tests/%.o $(GUEST_OUT)/obj32/runtime/rt16.o guests/runtime/link16.ld
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T guests/runtime/link16.ld -o $@ $(filter %.o,$^)
$(GUEST_OUT)/%.bin: $(GUEST_OUT)/obj32/%.bin.elf
	$(GUEST_OBJCOPY) -O binary $< $@

# Bare-QEMU smoke image of a real-mode guest: a boot sector that loads it.
$(GUEST_OUT)/smoke/%.img: $(GUEST_OUT)/%.bin $(GUEST_OUT)/obj32/smoke/boot16.o guests/smoke/boot16.ld
	@mkdir -p $(@D)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T guests/smoke/boot16.ld -o $(@:.img=.boot.elf) \
		$(GUEST_OUT)/obj32/smoke/boot16.o
	$(GUEST_OBJCOPY) -O binary $(@:.img=.boot.elf) $(@:.img=.boot)
	cat $(@:.img=.boot) $< >$@
	truncate -s 64K $@

GUEST_SMOKE_IMAGES := $(GUESTS64:%=$(GUEST_OUT)/smoke/%.elf) $(GUESTS32:%=$(GUEST_OUT)/smoke/%.elf) \
	$(GUESTS16:%=$(GUEST_OUT)/smoke/%.img)

-include $(shell find $(GUEST_OUT) -name '*.d' 2>/dev/null)

.PHONY: guests guests-check guests-smoke linux-images linux-platform-images linux-cloud-images memtest-image
guests: $(GUEST_IMAGES) $(ATK_BLK_RO_DISK)

guests-check: $(GUEST_IMAGES)
	guests/check-images.sh $(GUEST_OUT) $(GUEST_SUITES:%=guests/suites/%.modules)

guests-smoke: $(GUEST_SMOKE_IMAGES)
	guests/smoke/run-smoke.sh $(GUEST_OUT)

LINUX_MODULES ?=
linux-images:
	guests/linux/build-images.sh --out $(BUILD)/linux --cache $(BUILD)/linux-cache \
		$(if $(strip $(LINUX_MODULES)),--modules "$(LINUX_MODULES)")

# The demo Linux partition of `make run`: the stock kernel and an initramfs
# that opens a shell on the partition's console (guests/linux/demo-shell.sh).
LINUX_DEMO_IMAGES := $(BUILD)/linux/demo/vmlinuz $(BUILD)/linux/demo/initrd.cpio.gz
GUEST_CMDLINE_vmlinuz := name=linux0 mem=256M -- console=ttyS0 quiet
GUEST_CMDLINE_initrd.cpio.gz := initrd-for=linux0
$(LINUX_DEMO_IMAGES) &: guests/linux/build-images.sh guests/linux/demo-shell.sh
	guests/linux/build-images.sh --out $(BUILD)/linux/demo --cache $(BUILD)/linux-cache \
		--script guests/linux/demo-shell.sh

# The Linux platform test's images (tests/integration/linux-*.test): the
# stock kernel and an initramfs running guests/linux/platform-test.sh.
LINUX_PLATFORM_IMAGES := $(BUILD)/linux/platform/vmlinuz $(BUILD)/linux/platform/initrd.cpio.gz
linux-platform-images: $(LINUX_PLATFORM_IMAGES)
$(LINUX_PLATFORM_IMAGES) &: guests/linux/build-images.sh guests/linux/platform-test.sh
	guests/linux/build-images.sh --out $(BUILD)/linux/platform --cache $(BUILD)/linux-cache \
		--script guests/linux/platform-test.sh

# A second stock guest (issue 11): Debian's cloud kernel with the same
# platform test (tests/integration/linux-cloud-svm.test).
LINUX_CLOUD_IMAGES := $(BUILD)/linux/cloud/vmlinuz $(BUILD)/linux/cloud/initrd.cpio.gz
linux-cloud-images: $(LINUX_CLOUD_IMAGES)
$(LINUX_CLOUD_IMAGES) &: guests/linux/build-images.sh guests/linux/platform-test.sh
	guests/linux/build-images.sh --flavour cloud-amd64 --out $(BUILD)/linux/cloud \
		--cache $(BUILD)/linux-cache --script guests/linux/platform-test.sh

# memtest86+ as a partition (issue 11: a Linux-boot-protocol image whose
# syssize is rounded up past its file): Debian's package, never committed.
MEMTEST_IMAGE := $(BUILD)/memtest/memtest86+x64.bin
memtest-image: $(MEMTEST_IMAGE)
$(MEMTEST_IMAGE): guests/fetch-deb-file.sh guests/deb-cache.sh
	guests/fetch-deb-file.sh memtest86+ boot/memtest86+x64.bin $@ $(BUILD)/linux-cache

# The virtio test's disk: 32 MiB of zeros, a boot module the test gives
# linux1 with disk-for= (its file system is made by the guest).
LINUX_VIRTIO_DISK := $(BUILD)/linux/virtio/disk.img
$(LINUX_VIRTIO_DISK):
	mkdir -p $(dir $@)
	truncate -s 32M $@

# The virtio test's images (issue 5, tests/integration/linux-virtio*.test):
# the stock kernel and one initramfs for both partitions, running
# guests/linux/virtio-test.sh (the role comes from the kernel command line),
# with the virtio modules and ext4 (which will not mount without crc32c).
LINUX_VIRTIO_MODULES := virtio_pci virtio_blk virtio_net virtio_console virtio_rng ext4 crc32c_generic
# Shell code both virtio scripts source from /lib/bulkhead/ (build-images.sh --lib).
LINUX_VIRTIO_LIBS := guests/linux/cmdline.sh guests/linux/wait.sh
LINUX_VIRTIO_IMAGES := $(BUILD)/linux/virtio/vmlinuz $(BUILD)/linux/virtio/initrd.cpio.gz
LINUX_VIRTIO_BENCH_IMAGES := $(BUILD)/linux/virtio-bench/vmlinuz $(BUILD)/linux/virtio-bench/initrd.cpio.gz
.PHONY: linux-virtio-images linux-virtio-bench-images linux-virtio-qemu-test bench-virtio
linux-virtio-images: $(LINUX_VIRTIO_IMAGES) $(LINUX_VIRTIO_DISK)
$(LINUX_VIRTIO_IMAGES) &: guests/linux/build-images.sh guests/linux/virtio-test.sh $(LINUX_VIRTIO_LIBS)
	guests/linux/build-images.sh --out $(BUILD)/linux/virtio --cache $(BUILD)/linux-cache \
		--script guests/linux/virtio-test.sh $(LINUX_VIRTIO_LIBS:%=--lib %) \
		--modules "$(LINUX_VIRTIO_MODULES)"

# The virtio benchmark's images: the same with guests/linux/virtio-bench.sh.
linux-virtio-bench-images: $(LINUX_VIRTIO_BENCH_IMAGES)
$(LINUX_VIRTIO_BENCH_IMAGES) &: guests/linux/build-images.sh guests/linux/virtio-bench.sh $(LINUX_VIRTIO_LIBS)
	guests/linux/build-images.sh --out $(BUILD)/linux/virtio-bench --cache $(BUILD)/linux-cache \
		--script guests/linux/virtio-bench.sh $(LINUX_VIRTIO_LIBS:%=--lib %) \
		--modules "$(LINUX_VIRTIO_MODULES)"

# virtio-test.sh under QEMU's own virtio devices (no hypervisor): checks the
# guest side of the virtio test on its own.
linux-virtio-qemu-test: $(LINUX_VIRTIO_IMAGES) $(LINUX_VIRTIO_DISK)
	scripts/bench-virtio.sh --build $(BUILD) --qemu-test

# virtio-blk and virtio-net throughput under Bulkhead against QEMU's own
# devices (scripts/bench-virtio.sh) -> $(BUILD)/bench.json.
bench-virtio: $(BUILD)/bulkhead.elf $(LINUX_VIRTIO_BENCH_IMAGES)
	scripts/bench-virtio.sh --build $(BUILD) $(BENCH_VIRTIO_ARGS)

# mbtest: the project's own Multiboot 1 test kernel (guests/multiboot/), an
# ELF32 image without the runtime (it must run under bare QEMU -kernel too).
# Run as a partition with kind=multiboot (tests/integration/multiboot-*.test)
# and by scripts/conformance.sh.
MBTEST := $(GUEST_OUT)/multiboot/mbtest.elf
MBTEST_AOUT := $(GUEST_OUT)/multiboot/mbtest-aout.elf
MBTEST_MODULE := $(GUEST_OUT)/multiboot/mbtest-module.txt
$(MBTEST): $(GUEST_OUT)/obj32/multiboot/start.o $(GUEST_OUT)/obj32/multiboot/mbtest.o guests/multiboot/mbtest.ld
	@mkdir -p $(@D)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T guests/multiboot/mbtest.ld -o $@ $(filter %.o,$^)
# The same kernel loaded by the a.out kludge's address fields.
$(GUEST_OUT)/obj32/multiboot/start-aout.o: guests/multiboot/start.S
	@mkdir -p $(@D)
	$(GUEST_CC) -m32 $(GUEST_ASFLAGS) -DMBTEST_AOUT -MMD -MP -c $< -o $@
$(MBTEST_AOUT): $(GUEST_OUT)/obj32/multiboot/start-aout.o $(GUEST_OUT)/obj32/multiboot/mbtest.o guests/multiboot/mbtest.ld
	@mkdir -p $(@D)
	$(GUEST_LD) -m elf_i386 $(GUEST_LDFLAGS) -T guests/multiboot/mbtest.ld -o $@ $(filter %.o,$^)
$(MBTEST_MODULE): guests/multiboot/module.txt
	@mkdir -p $(@D)
	cp $< $@
# cpuconf: the CPU checks of issue 14 as a Multiboot 1 test kernel whose
# checks run in 64-bit mode (guests/multiboot/cpuconf.c): ELF64, loaded by
# the a.out kludge, so QEMU -kernel takes it too.
CPUCONF := $(GUEST_OUT)/multiboot/cpuconf.elf
$(CPUCONF): $(GUEST_OUT)/obj64/multiboot/cpuconf-start.o $(GUEST_OUT)/obj64/multiboot/cpuconf.o guests/multiboot/cpuconf.ld
	@mkdir -p $(@D)
	$(GUEST_LD) -m elf_x86_64 $(GUEST_LDFLAGS) -T guests/multiboot/cpuconf.ld -o $@ $(filter %.o,$^)
.PHONY: mbtest
mbtest: $(MBTEST) $(MBTEST_AOUT) $(MBTEST_MODULE) $(CPUCONF)
