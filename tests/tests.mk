# SPDX-License-Identifier: BSD-2-Clause
# Boot media, runs, integration tests and benchmarks (included by the
# top-level Makefile after guests/guests.mk and arch/x86/efi/efi.mk).
#
#   make iso               $(BUILD)/bulkhead.iso: hybrid BIOS+UEFI GRUB ISO
#   make efi               $(BUILD)/esp.img: FAT ESP with BOOTX64.EFI (efi.mk builds the app)
#   make run               the ISO in QEMU (SeaBIOS, GRUB), serial on this terminal
#   make run-kernel        bulkhead.elf via QEMU -kernel (Multiboot1)
#   make run-efi           the ESP under OVMF (Bulkhead's loader); run-efi-grub: GRUB EFI
#   make run-bochs         the ISO in Bochs (VT-x)
#   make test              deps, layer check, build, unit tests, script tests, integration
#                          tests (what CI runs)
#   make check-layers      scripts/check-layers.sh: includes against the layer order
#   make test-loaded       the integration tests 3 times beside CPU hogs (stress-ng)
#   make test-repeat       REPEAT_TESTS (the rare-failure SMP tests) REPEAT=20 times each, passes counted
#   make model             the Promela models tests/model/*.pml checked with Spin
#   make test-integration  only the integration tests (ITEST_ARGS="--filter bochs" ...),
#                          with the guest suites (GUEST_SUITES) on ITEST_SUITE_PATHS
#   make bench             scripts/bench.sh, bench-exits.sh, bench-linux.sh, bench-virtio.sh,
#                          bench-isolation.sh, run-fuzz.sh -> $(BUILD)/bench.json
#
# What boots: HV_CMDLINE is the hypervisor command line (docs/manifest.md);
# BOOT_MODULES the module files, by default the demo partitions DEMO_GUESTS
# among the images guests/guests.mk builds (GUEST_IMAGES). Each image's
# manifest is GUEST_CMDLINE_<file name> from guests.mk (e.g.
# GUEST_CMDLINE_hello-long.elf := name=hello-long mem=4M); an image without
# one gets "name=<file name without extension>". The demo also boots Debian's
# stock kernel as partition linux0 with a shell on its console
# (LINUX_DEMO_IMAGES; Ctrl-A three times moves the console focus).
#   make run HV_CMDLINE="loglevel=3 on_idle=exit" BOOT_MODULES=
#   make run BOOT_MODULES="build/guests/cpuid.elf build/guests/msr.elf"
HV_CMDLINE ?= loglevel=2
DEMO_GUESTS ?= hello-long.elf hello-prot.elf hello-real.bin
BOOT_MODULES ?= $(filter $(addprefix %/,$(DEMO_GUESTS)),$(GUEST_IMAGES)) $(LINUX_DEMO_IMAGES)
ISO_TIMEOUT ?= 3
RUN_ARGS ?=
ITEST_ARGS ?=

boot_module_cmdline = $(or $(GUEST_CMDLINE_$(notdir $(1))),name=$(basename $(notdir $(1))))
BOOT_MODULE_ARGS = $(foreach m,$(BOOT_MODULES),--module '$(m) $(call boot_module_cmdline,$(m))')

# The media are rebuilt when their command lines change, not only their files:
# the *.args files change content only when the arguments do.
$(BUILD)/media/iso.args: export ARGS := --cmdline '$(HV_CMDLINE)' --timeout $(ISO_TIMEOUT) $(BOOT_MODULE_ARGS)
$(BUILD)/media/esp.args: export ARGS := --cmdline '$(HV_CMDLINE)' $(BOOT_MODULE_ARGS)
$(BUILD)/media/%.args: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' "$$ARGS" | cmp -s - $@ || printf '%s\n' "$$ARGS" >$@

.PHONY: FORCE
FORCE:

$(BUILD)/bulkhead.iso: $(BUILD)/bulkhead.elf $(BOOT_MODULES) $(BUILD)/media/iso.args scripts/mkiso.sh
	scripts/mkiso.sh --out $@ --elf $< $(shell cat $(BUILD)/media/iso.args 2>/dev/null)

$(ESP_IMG): $(EFI_APP) $(BUILD)/bulkhead.elf $(BOOT_MODULES) $(BUILD)/media/esp.args scripts/mkesp.sh
	scripts/mkesp.sh --out $@ --efi $(EFI_APP) --elf $(BUILD)/bulkhead.elf $(shell cat $(BUILD)/media/esp.args 2>/dev/null)

# The reference kernel: the cheapest image each boot path can start (boot
# time reference for scripts/bench.sh, rig self-tests).
REFKERNEL := $(BUILD)/refkernel.elf
$(BUILD)/refkernel.o: tests/integration/refkernel/refkernel.S
	@mkdir -p $(@D)
	$(CC) -c $< -o $@
$(REFKERNEL): $(BUILD)/refkernel.o tests/integration/refkernel/refkernel.ld
	$(LD) -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
		-T tests/integration/refkernel/refkernel.ld $< -o $@

.PHONY: iso refkernel run run-kernel run-efi run-efi-grub run-bochs
iso: $(BUILD)/bulkhead.iso
refkernel: $(REFKERNEL)

run: deps-check $(BUILD)/bulkhead.iso
	scripts/run-qemu.sh --iso $(BUILD)/bulkhead.iso --run-dir $(BUILD)/run $(RUN_ARGS)
run-kernel: deps-check $(BUILD)/bulkhead.elf $(BOOT_MODULES)
	scripts/run-qemu.sh --kernel $(BUILD)/bulkhead.elf --append '$(HV_CMDLINE)' \
		$(BOOT_MODULE_ARGS) --run-dir $(BUILD)/run $(RUN_ARGS)
run-efi: deps-check $(BUILD)/esp.img
	scripts/run-efi.sh --esp $(BUILD)/esp.img --run-dir $(BUILD)/run-efi $(RUN_ARGS)
run-efi-grub: deps-check $(BUILD)/bulkhead.iso
	scripts/run-efi.sh --iso $(BUILD)/bulkhead.iso --run-dir $(BUILD)/run-efi $(RUN_ARGS)
run-bochs: deps-check $(BUILD)/bulkhead.iso
	scripts/run-bochs.sh --iso $(BUILD)/bulkhead.iso --run-dir $(BUILD)/run-bochs $(RUN_ARGS)

# Everything the integration tests boot. The tests build their own ISOs and
# ESPs (each with its own command lines) in $(BUILD)/itest/<test>/; the
# user-facing ISO and ESP are built too, so `make test` proves they build.
ITEST_DEPS := $(BUILD)/bulkhead.elf $(EFI_APP) $(REFKERNEL) $(GUEST_IMAGES) $(MBTEST) $(MBTEST_AOUT) $(MBTEST_MODULE) $(CPUCONF) \
	$(BUILD)/bulkhead.iso $(ESP_IMG) $(LINUX_PLATFORM_IMAGES) $(LINUX_VIRTIO_IMAGES) \
	$(LINUX_VIRTIO_DISK) $(LINUX_CLOUD_IMAGES) $(MEMTEST_IMAGE) $(ATK_BLK_RO_DISK)

.PHONY: test test-integration test-build bench
test-build: $(ITEST_DEPS)

# Every guest suite of guests/guests.mk also runs on ITEST_SUITE_PATHS.
ITEST_SUITE_PATHS ?= qemu-kernel bochs
ITEST_SUITES = $(foreach s,$(GUEST_SUITES),--suite '$(s):$(GUEST_SUITE_MODULES_$(s)):$(GUEST_SUITE_EXPECT_$(s))')

test-integration: deps-check test-build
	scripts/itest.sh --build $(BUILD) --suite-paths '$(ITEST_SUITE_PATHS)' $(ITEST_SUITES) $(ITEST_ARGS)

# One step after the other (also under make -j): unit tests and emulators
# competing for the two cores would only make timing-sensitive tests flaky.
test:
	$(MAKE) deps-check
	$(MAKE) check-layers
	$(MAKE) check-format
	$(MAKE) check-spdx
	$(MAKE) test-build
	$(MAKE) unit
	$(MAKE) test-scripts
	$(MAKE) model
	$(MAKE) test-integration

# The integration tests on a busy host: TEST_LOADED_ROUNDS rounds in a row
# beside stress-ng CPU hogs (scripts/test-loaded.sh); not part of make test.
TEST_LOADED_ROUNDS ?= 3
.PHONY: test-loaded
test-loaded: deps-check test-build
	scripts/test-loaded.sh --rounds $(TEST_LOADED_ROUNDS)

# Tests whose failures were rare, run many times (REPEAT_TESTS, each REPEAT
# times in a row, passes counted; each run's outcome and wall time printed);
# a failing run's files are kept in $(BUILD)/itest-repeat/<test>-<run>/.
# They are in make test too, once each (docs/testing.md, "Overcommitted SMP").
REPEAT ?= 20
REPEAT_TESTS ?= tests/integration/linux-smp-overcommit-svm.test tests/integration/lifecycle-race-svm.test
.PHONY: test-repeat
test-repeat: deps-check test-build
	@for t in $(REPEAT_TESTS); do \
		n=$$(basename $$t .test); pass=0; \
		for i in $$(seq $(REPEAT)); do \
			start=$$(date +%s); \
			if scripts/itest.sh --build $(BUILD) $$t >/dev/null 2>&1; then pass=$$((pass + 1)); r=pass; \
			else r=FAIL; mkdir -p $(BUILD)/itest-repeat && rm -rf $(BUILD)/itest-repeat/$$n-$$i && \
				cp -a $(BUILD)/itest/$$n $(BUILD)/itest-repeat/$$n-$$i; fi; \
			echo "$$n: run $$i: $$r in $$(($$(date +%s) - start)) s"; \
		done; \
		echo "$$n: $$pass of $(REPEAT) runs passed"; \
	done

# Every #include in the hypervisor's sources points down the layer order
# (docs/architecture.md "Layers"); lists file:line of any that does not.
# Quick (no build): the first step of make test.
# Every source file carries its SPDX license line (scripts/add-spdx.sh
# --check lists those that do not; without --check it adds them).
.PHONY: check-spdx
check-spdx:
	@scripts/add-spdx.sh --check

.PHONY: check-layers
check-layers:
	@scripts/check-layers.sh

# The protocol models (tests/model/*.pml): every property with Spin, and
# each seeded bug caught (scripts/check-model.sh); skipped with a message
# where spin is missing (make deps installs it).
.PHONY: model
model:
	@scripts/check-model.sh --build $(BUILD)

# Tests of the scripts themselves (tests/scripts/test-*.sh), e.g. the
# accelerator choice against made-up hosts.
.PHONY: test-scripts
test-scripts:
	@rc=0; for t in tests/scripts/test-*.sh; do bash $$t || rc=1; done; exit $$rc

# Boot times per path (scripts/bench.sh), exit costs (scripts/bench-exits.sh),
# Linux boot to /init (scripts/bench-linux.sh), virtio throughput against
# QEMU's own devices and the per-partition memory (scripts/bench-virtio.sh),
# exits per MiB of virtio-blk and -net I/O (scripts/bench-io-exits.sh),
# a bystander's share of a host CPU beside each attacker guest
# (scripts/bench-isolation.sh, BENCH_ISOLATION_ARGS="--backends svm"),
# fuzzer executions in BENCH_FUZZ_SECONDS per target (scripts/run-fuzz.sh);
# each merges its figures into $(BUILD)/bench.json.
BENCH_FUZZ_SECONDS ?= 10
bench: deps-check $(BUILD)/bulkhead.elf $(EFI_APP) $(REFKERNEL) guests linux-images \
	$(LINUX_VIRTIO_BENCH_IMAGES) $(FUZZ_BINS)
	scripts/bench.sh --build $(BUILD)
	scripts/bench-exits.sh --build $(BUILD) $(BENCH_EXITS_ARGS)
	scripts/bench-linux.sh --build $(BUILD)
	scripts/bench-virtio.sh --build $(BUILD) $(BENCH_VIRTIO_ARGS)
	scripts/bench-io-exits.sh --build $(BUILD)
	scripts/bench-isolation.sh --build $(BUILD) $(BENCH_ISOLATION_ARGS)
	scripts/run-fuzz.sh $(BENCH_FUZZ_SECONDS) $(FUZZ_BINS)

# Conformance (issue 14, deliverable 6): QEMU-compatible test kernels run
# under QEMU directly and as Bulkhead partitions, side by side
# (scripts/conformance.sh). By default the project's own kernels staged in
# $(BUILD)/conformance (mbtest, its a.out form, one that reports failure, one
# without a Multiboot header, skipped; cpuconf, issue 14's CPU checks);
# CONFORMANCE_KERNELS=DIR runs yours.
CONFORMANCE_KERNELS ?=
CONFORMANCE_DIR := $(BUILD)/conformance
.PHONY: conformance
conformance: deps-check $(BUILD)/bulkhead.elf $(MBTEST) $(MBTEST_AOUT) $(MBTEST_MODULE) $(CPUCONF) $(GUEST_OUT)/hello-prot.elf
ifeq ($(strip $(CONFORMANCE_KERNELS)),)
	rm -rf $(CONFORMANCE_DIR) && mkdir -p $(CONFORMANCE_DIR)
	cp $(MBTEST) $(MBTEST_AOUT) $(MBTEST_MODULE) $(CPUCONF) guests/multiboot/conformance/*.conf $(CONFORMANCE_DIR)/
	cp $(MBTEST) $(CONFORMANCE_DIR)/mbtest-exit3.elf
	cp $(GUEST_OUT)/hello-prot.elf $(CONFORMANCE_DIR)/no-header.elf
	scripts/conformance.sh --build $(BUILD) $(CONFORMANCE_DIR)
else
	scripts/conformance.sh --build $(BUILD) $(CONFORMANCE_KERNELS)
endif
