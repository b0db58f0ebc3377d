/* Until the scheduler runs vCPUs on application processors, they idle here
 * (see arch/x86/cpu/smp.h for what an AP has when it arrives). Interrupts
 * are on so a kick (HOST_KICK_VECTOR) is taken and acknowledged; nothing
 * else is aimed at an AP. core/sched.c's sched_ap_main replaces this one. */
#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/smp.h"

__attribute__((weak)) void sched_ap_main(void)
{
	irq_enable();
	for (;;)
		cpu_halt();
}
