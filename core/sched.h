/* The scheduler: which vCPU runs next on this CPU. */
#ifndef BULKHEAD_CORE_SCHED_H
#define BULKHEAD_CORE_SCHED_H

#include "core/types.h"

/* Run every partition until all have stopped. */
void sched_run(void);

#endif
