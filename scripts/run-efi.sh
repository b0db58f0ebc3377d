#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Boots Bulkhead under UEFI firmware (OVMF) in QEMU:
#
#   scripts/run-efi.sh --esp build/esp.img [options]   OVMF -> BOOTX64.EFI (Bulkhead's loader)
#   scripts/run-efi.sh --iso build/bulkhead.iso        OVMF -> GRUB EFI -> multiboot2
#
# Same options, exit status and result file as scripts/run-qemu.sh (it is
# run-qemu.sh --ovmf): --log FILE for a batch run, --timeout, --stop, --quiet.
set -eu
exec "$(dirname "$0")/run-qemu.sh" --ovmf "$@"
