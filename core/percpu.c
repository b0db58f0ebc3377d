/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/percpu.h"

struct percpu percpu_area[MAX_CPUS];
unsigned int nr_cpus_online;
struct percpu_stack percpu_stacks[MAX_CPUS];
