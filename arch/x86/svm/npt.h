/* SPDX-License-Identifier: BSD-2-Clause */
/* Nested page tables (AMD APM Vol. 2 §15.25): ordinary x86-64 long-mode
 * page-table entries, walked with the guest's accesses treated as user
 * accesses, so every entry has U set. */
#ifndef BULKHEAD_ARCH_X86_SVM_NPT_H
#define BULKHEAD_ARCH_X86_SVM_NPT_H

#include "arch/x86/paging/s2pt.h"

extern const struct s2pt_format npt_format;

#endif
