# SPDX-License-Identifier: BSD-2-Clause
# The peer benchmark (`make bench-peer`, scripts/bench-peer.sh,
# docs/benchmarks.md "Peer: Linux KVM"): Linux KVM as the L1 hypervisor in the
# same QEMU TCG machine, running Bulkhead's bench guests under peer-vmm.
# Included by the top-level Makefile. Not part of `make test` or CI.
#
#   make bench-peer      PEER_ARGS="--rounds 5"  -> $(BUILD)/bench.json
#   make peer-images     $(BUILD)/peer/l1/{vmlinuz,initrd-peer.cpio.gz,
#                        initrd-peer-fair.cpio.gz,initrd-peer-qemu.cpio.gz}
#
# The L1 initramfs is build-images.sh's (the stock kernel's kvm_amd and its
# dependencies, /init running guests/peer/l1-run.sh) with a second cpio
# archive appended holding /peer/peer-vmm and the guest ELFs: Linux unpacks
# concatenated archives in order. The fair variant appends a third one that
# replaces /lib/modules/kvm_amd.ko with the rebuilt module of
# scripts/bench-peer-fair-kvm.sh (instruction lengths from the exit code).
#
# The Linux workloads (docs/benchmarks.md "Peer: KVM and QEMU as the VMM")
# boot L1 with initrd-peer-qemu.cpio.gz: the same base, then an archive
# with Debian's qemu-system-x86_64, its libraries and firmware, the L2
# images and guests/peer/l1-qemu.sh as /init's script
# (scripts/bench-peer-qemu-image.sh). The L2 images are the ones Bulkhead's
# bench-linux.sh and bench-virtio.sh boot: build-images.sh's default
# initramfs (built here again, into $(PEER_OUT)/l2: linux-images always
# rebuilds) and $(LINUX_VIRTIO_BENCH_IMAGES).

PEER_OUT := $(BUILD)/peer
PEER_VMM := $(PEER_OUT)/peer-vmm
PEER_GUESTS := $(addprefix $(GUEST_OUT)/,bench-loop.elf bench-cpuid.elf bench-pio.elf bench-hypercall.elf)
PEER_L1 := $(PEER_OUT)/l1/vmlinuz $(PEER_OUT)/l1/initrd.cpio.gz
PEER_INITRD := $(PEER_OUT)/l1/initrd-peer.cpio.gz
PEER_FAIR_KO := $(PEER_OUT)/fair/kvm_amd.ko
PEER_INITRD_FAIR := $(PEER_OUT)/l1/initrd-peer-fair.cpio.gz
PEER_L2 := $(PEER_OUT)/l2/initrd.cpio.gz
PEER_INITRD_QEMU := $(PEER_OUT)/l1/initrd-peer-qemu.cpio.gz
PEER_ARGS ?=
# A user-space program: the host's libc, linked statically so the L1
# initramfs needs nothing else.
PEER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -static

$(PEER_VMM): guests/peer/peer-vmm.c
	@mkdir -p $(@D)
	$(HOST_CC) $(PEER_CFLAGS) -o $@ $<

$(PEER_L1) &: guests/linux/build-images.sh guests/deb-cache.sh guests/peer/l1-run.sh
	guests/linux/build-images.sh --out $(PEER_OUT)/l1 --cache $(BUILD)/linux-cache \
		--script guests/peer/l1-run.sh --modules kvm_amd

$(PEER_INITRD): $(PEER_L1) $(PEER_VMM) $(PEER_GUESTS) scripts/bench-peer-pack.sh
	scripts/bench-peer-pack.sh --out $@ --base $(PEER_OUT)/l1/initrd.cpio.gz $(PEER_VMM) $(PEER_GUESTS)

# Downloads linux-source-6.1 (~140 MB) and the kernel headers once.
$(PEER_FAIR_KO): scripts/bench-peer-fair-kvm.sh guests/deb-cache.sh
	scripts/bench-peer-fair-kvm.sh --build $(BUILD)

$(PEER_INITRD_FAIR): $(PEER_INITRD) $(PEER_FAIR_KO) scripts/bench-peer-pack.sh
	scripts/bench-peer-pack.sh --out $@ --base $(PEER_INITRD) --dest lib/modules $(PEER_FAIR_KO)

# The L2 kernel is L1's (both are the package's vmlinuz).
$(PEER_L2): guests/linux/build-images.sh guests/deb-cache.sh
	guests/linux/build-images.sh --out $(PEER_OUT)/l2 --cache $(BUILD)/linux-cache

# Downloads qemu-system-x86, seabios, qemu-system-data and ~45 library
# packages (~25 MB) once.
$(PEER_INITRD_QEMU): $(PEER_L2) $(PEER_L1) $(LINUX_VIRTIO_BENCH_IMAGES) guests/peer/l1-qemu.sh \
		scripts/bench-peer-qemu-image.sh guests/deb-cache.sh
	scripts/bench-peer-qemu-image.sh --out $@ --base $(PEER_OUT)/l1/initrd.cpio.gz \
		--cache $(BUILD)/linux-cache --script guests/peer/l1-qemu.sh \
		--l2 vmlinuz=$(PEER_OUT)/l1/vmlinuz --l2 boot.cpio.gz=$(PEER_L2) \
		--l2 virtio.cpio.gz=$(word 2,$(LINUX_VIRTIO_BENCH_IMAGES))

.PHONY: peer-images bench-peer
peer-images: $(PEER_INITRD) $(PEER_INITRD_FAIR) $(PEER_INITRD_QEMU)

# linux-images: bench-linux.sh --bulkhead-only boots $(BUILD)/linux/.
bench-peer: deps-check $(BUILD)/bulkhead.elf guests linux-images $(LINUX_VIRTIO_BENCH_IMAGES) \
		$(PEER_INITRD) $(PEER_INITRD_FAIR) $(PEER_INITRD_QEMU)
	scripts/bench-peer.sh --build $(BUILD) $(PEER_ARGS)
