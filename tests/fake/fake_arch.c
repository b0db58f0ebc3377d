/* SPDX-License-Identifier: BSD-2-Clause */
/* The fake architecture (tests/fake/fake_arch.h): arch/x86, boot, the host
 * LAPIC, the serial console and the heap, as core/ sees them, played by a
 * host process. Thread-safe where core/ may call from several CPUs. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/x86/cpu/cpu.h"
#include "arch/x86/cpu/features.h"
#include "arch/x86/cpu/tsc.h"
#include "core/console.h"
#include "core/hv.h"
#include "core/lib/format.h"
#include "core/log.h"
#include "core/mm/frame.h"
#include "core/mm/heap.h"
#include "core/percpu.h"
#include "core/vcpu.h"
#include "platform/pc/pc.h"
#include "tests/fake/fake_arch.h"
#include "tests/fake/fake_vcpu.h"

/* Prototypes of the host-driver calls core/ makes; their headers (the
 * host LAPIC and CMOS clock drivers) are not included so that this file
 * does not depend on where those drivers live. */
#define FAKE_HOST_TIMER_OFF UINT64_MAX
bool host_ipi_send(uint32_t apic_id, uint8_t vector);
void host_timer_arm(uint64_t tsc);
uint64_t host_timer_armed(void);
uint64_t host_wall_ns(void);

/* An idle CPU with neither a timer nor a kick to wait for gives up after
 * this long (real time): a test that deadlocks fails instead of hanging. */
#define FAKE_IDLE_GIVE_UP_S 20

__thread struct percpu *fake_arch_cpu;

struct cpu_info boot_cpu;

/* Per fake CPU: its host LAPIC (one-shot deadline, pending kicks). */
struct fake_cpu {
	uint64_t timer_deadline; /* FAKE_HOST_TIMER_OFF: disarmed */
	uint32_t kicks_pending;
	uint32_t kicks_sent;
};
static struct fake_cpu fake_cpus[MAX_CPUS];

static uint64_t fake_clock = FAKE_TSC_START;

#define FAKE_MSRS 32
static struct {
	uint32_t index;
	uint64_t value;
	unsigned int writes;
} fake_msrs[FAKE_MSRS];
static pthread_mutex_t msr_lock = PTHREAD_MUTEX_INITIALIZER;

static void *arena;

/* ---- CPUs --------------------------------------------------------------- */

void fake_arch_init(unsigned int nr_cpus)
{
	static struct memmap map;
	memset(fake_cpus, 0, sizeof(fake_cpus));
	memset(percpu_area, 0, sizeof(percpu_area));
	fake_partition_switches = 0;
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		fake_cpus[i].timer_deadline = FAKE_HOST_TIMER_OFF;
		percpu_area[i].self = &percpu_area[i];
		percpu_area[i].id = i;
		percpu_area[i].apic_id = i;
		percpu_area[i].online = i < nr_cpus;
	}
	nr_cpus_online = nr_cpus;
	__atomic_store_n(&fake_clock, FAKE_TSC_START, __ATOMIC_SEQ_CST);
	hv_options_defaults(&hv_options);
	log_level = LOG_DEBUG;
	board_register(&pc_board); /* as hv_main does: the emulated PC */

	/* Guest RAM and hypervisor frames come from one arena, 2 MiB aligned
	 * like the real allocator's large blocks. */
	if (!arena && posix_memalign(&arena, MiB(2), FAKE_ARENA_SIZE))
		abort();
	memset(&map, 0, sizeof(map));
	map.usable[0] = (struct mem_range){ FAKE_ARENA_BASE, FAKE_ARENA_SIZE };
	map.nr = 1;
	map.usable_bytes = FAKE_ARENA_SIZE;
	map.highest_addr = FAKE_ARENA_BASE + FAKE_ARENA_SIZE;
	frame_init(&hv_frames, &map, (uint8_t *)arena - FAKE_ARENA_BASE);

	fake_log_reset();
	fake_backend_select();
	fake_cpu_bind(0);
}

void fake_cpu_bind(unsigned int id)
{
	fake_arch_cpu = &percpu_area[id];
}

/* ---- time --------------------------------------------------------------- */

uint64_t fake_tsc(void)
{
	return __atomic_load_n(&fake_clock, __ATOMIC_SEQ_CST);
}

void fake_tsc_advance(uint64_t cycles)
{
	__atomic_fetch_add(&fake_clock, cycles, __ATOMIC_SEQ_CST);
}

/* Move the clock to t unless another CPU already moved it past. */
static void fake_tsc_reach(uint64_t t)
{
	uint64_t now = fake_tsc();
	while (now < t && !__atomic_compare_exchange_n(&fake_clock, &now, t, false,
						       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
}

uint64_t rdtsc(void)
{
	return fake_tsc();
}

uint32_t rdtsc_lo(void)
{
	return (uint32_t)fake_tsc();
}

uint64_t tsc_hz(void)
{
	return 1000000000ULL;
}

uint64_t time_ns(void)
{
	return fake_tsc();
}

uint64_t tsc_to_ns(uint64_t cycles)
{
	return cycles;
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return ns;
}

uint64_t tsc_at_time_ns(uint64_t ns)
{
	return ns;
}

void udelay(uint64_t us)
{
	fake_tsc_advance(us * 1000);
}

uint64_t host_wall_ns(void)
{
	return 1767225600ULL * 1000000000ULL; /* 2026-01-01 00:00:00 UTC */
}

/* ---- the host LAPIC, interrupt flag, HLT -------------------------------- */

bool fake_cpu_interrupt_due(const struct percpu *c)
{
	const struct fake_cpu *f = &fake_cpus[c->id];
	return __atomic_load_n(&f->kicks_pending, __ATOMIC_SEQ_CST) ||
	       fake_tsc() >= __atomic_load_n(&f->timer_deadline, __ATOMIC_SEQ_CST);
}

void fake_cpu_take_interrupt(struct percpu *c)
{
	struct fake_cpu *f = &fake_cpus[c->id];
	__atomic_store_n(&f->kicks_pending, 0, __ATOMIC_SEQ_CST);
	if (fake_tsc() >= f->timer_deadline)
		f->timer_deadline = FAKE_HOST_TIMER_OFF; /* TSC-deadline mode is one-shot */
}

uint64_t fake_cpu_timer(const struct percpu *c)
{
	return __atomic_load_n(&fake_cpus[c->id].timer_deadline, __ATOMIC_SEQ_CST);
}

unsigned int fake_kicks_sent(unsigned int id)
{
	return __atomic_load_n(&fake_cpus[id].kicks_sent, __ATOMIC_SEQ_CST);
}

bool host_ipi_send(uint32_t apic_id, uint8_t vector)
{
	if (apic_id >= MAX_CPUS)
		return false;
	__atomic_fetch_add(&fake_cpus[apic_id].kicks_sent, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&fake_cpus[apic_id].kicks_pending, 1, __ATOMIC_SEQ_CST);
	return true;
}

void host_timer_arm(uint64_t tsc)
{
	__atomic_store_n(&fake_cpus[this_cpu()->id].timer_deadline, tsc, __ATOMIC_SEQ_CST);
}

uint64_t host_timer_armed(void)
{
	return __atomic_load_n(&fake_cpus[this_cpu()->id].timer_deadline, __ATOMIC_SEQ_CST);
}

void irq_disable(void)
{
}

void irq_enable(void)
{
}

void cpu_irq_window(void)
{
	struct percpu *c = this_cpu();
	if (fake_cpu_interrupt_due(c))
		fake_cpu_take_interrupt(c);
}

/* HLT until a host interrupt: a pending kick ends it at once; otherwise
 * the CPU sleeps to its timer (the clock jumps there). With neither, only
 * a kick from another thread can end it. */
void cpu_wait_for_interrupt(void)
{
	struct percpu *c = this_cpu();
	struct fake_cpu *f = &fake_cpus[c->id];
	time_t give_up = time(NULL) + FAKE_IDLE_GIVE_UP_S;
	for (;;) {
		if (__atomic_load_n(&f->kicks_pending, __ATOMIC_SEQ_CST))
			break;
		uint64_t d = __atomic_load_n(&f->timer_deadline, __ATOMIC_SEQ_CST);
		if (d != FAKE_HOST_TIMER_OFF) {
			fake_tsc_reach(d);
			break;
		}
		if (time(NULL) > give_up) {
			fprintf(stderr, "fake CPU %u: halted with no timer and no kick for %d s\n",
				c->id, FAKE_IDLE_GIVE_UP_S);
			abort();
		}
		sched_yield();
	}
	fake_cpu_take_interrupt(c);
}

/* ---- MSRs --------------------------------------------------------------- */

static unsigned int msr_slot(uint32_t msr)
{
	for (unsigned int i = 0; i < FAKE_MSRS; i++) {
		if (fake_msrs[i].index == msr && (fake_msrs[i].writes || fake_msrs[i].value))
			return i;
		if (!fake_msrs[i].writes && !fake_msrs[i].value) {
			fake_msrs[i].index = msr;
			return i;
		}
	}
	abort(); /* a test wrote more MSRs than the fake keeps */
}

uint64_t rdmsr(uint32_t msr)
{
	pthread_mutex_lock(&msr_lock);
	uint64_t v = fake_msrs[msr_slot(msr)].value;
	pthread_mutex_unlock(&msr_lock);
	return v;
}

void wrmsr(uint32_t msr, uint64_t v)
{
	pthread_mutex_lock(&msr_lock);
	unsigned int i = msr_slot(msr);
	fake_msrs[i].value = v;
	fake_msrs[i].writes++;
	pthread_mutex_unlock(&msr_lock);
}

uint64_t fake_msr_value(uint32_t msr)
{
	return rdmsr(msr);
}

unsigned int fake_msr_writes(uint32_t msr)
{
	pthread_mutex_lock(&msr_lock);
	unsigned int n = fake_msrs[msr_slot(msr)].writes;
	pthread_mutex_unlock(&msr_lock);
	return n;
}

/* The speculation barrier on a partition switch (arch/x86/cpu/spec.c):
 * counted, so a test can see when the scheduler asks for it. */
unsigned int fake_partition_switches;

void spec_partition_switch(void)
{
	__atomic_fetch_add(&fake_partition_switches, 1, __ATOMIC_RELAXED);
}

/* ---- the heap ----------------------------------------------------------- */

static uint64_t heap_in_use;

/* A size header keeps kheap_bytes_in_use honest; 64-byte alignment covers
 * every object core/ allocates (struct vcpu wants 16). */
#define KZ_HEADER 64

void *kzalloc(uint64_t size)
{
	void *p;
	if (posix_memalign(&p, KZ_HEADER, KZ_HEADER + size))
		return NULL;
	memset(p, 0, KZ_HEADER + size);
	*(uint64_t *)p = size;
	__atomic_fetch_add(&heap_in_use, size, __ATOMIC_SEQ_CST);
	return (uint8_t *)p + KZ_HEADER;
}

void kfree(void *p)
{
	if (!p)
		return;
	uint8_t *base = (uint8_t *)p - KZ_HEADER;
	__atomic_fetch_sub(&heap_in_use, *(uint64_t *)base, __ATOMIC_SEQ_CST);
	free(base);
}

uint64_t kheap_bytes_in_use(void)
{
	return __atomic_load_n(&heap_in_use, __ATOMIC_SEQ_CST);
}

uint64_t kheap_bytes_reserved(void)
{
	return 0; /* malloc's arena is not the partitions' cost */
}

void kheap_init(void)
{
}

/* ---- the log and the console -------------------------------------------- */

int log_level = LOG_DEBUG;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_lines[FAKE_LOG_MAX][FAKE_LINE_MAX];
static bool log_is_console[FAKE_LOG_MAX];
static unsigned int nr_log_lines;

static void keep_line(const char *s, bool console)
{
	pthread_mutex_lock(&log_lock);
	if (nr_log_lines < FAKE_LOG_MAX) {
		snprintf(log_lines[nr_log_lines], FAKE_LINE_MAX, "%s", s);
		log_is_console[nr_log_lines] = console;
	}
	nr_log_lines++;
	pthread_mutex_unlock(&log_lock);
	if (getenv("BH_TEST_VERBOSE"))
		fprintf(stderr, "%s%s\n", console ? "console: " : "log: ", s);
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const tag[] = { "ERROR: ", "warning: ", "", "", "" };
	char buf[FAKE_LINE_MAX];
	if ((int)lvl > log_level)
		return;
	int n = bh_snprintf(buf, sizeof(buf), "%s", tag[lvl]);
	bh_vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	keep_line(buf, false);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

static unsigned int count_lines(const char *needle, bool console_only)
{
	unsigned int n = 0;
	pthread_mutex_lock(&log_lock);
	for (unsigned int i = 0; i < nr_log_lines && i < FAKE_LOG_MAX; i++)
		if ((!console_only || log_is_console[i]) && strstr(log_lines[i], needle))
			n++;
	pthread_mutex_unlock(&log_lock);
	return n;
}

unsigned int fake_log_count(const char *needle)
{
	return count_lines(needle, false);
}

bool fake_log_contains(const char *needle)
{
	return fake_log_count(needle) > 0;
}

unsigned int fake_console_count(const char *needle)
{
	return count_lines(needle, true);
}

unsigned int fake_log_lines(void)
{
	return nr_log_lines;
}

const char *fake_log_line(unsigned int i)
{
	return i < nr_log_lines && i < FAKE_LOG_MAX ? log_lines[i] : "";
}

void fake_log_reset(void)
{
	pthread_mutex_lock(&log_lock);
	nr_log_lines = 0;
	pthread_mutex_unlock(&log_lock);
}

void console_init(void)
{
}

void console_set_mirror(void (*write)(const char *s, size_t len))
{
}

void console_break_lock(void)
{
}

void console_write(const char *s, size_t len)
{
	char buf[FAKE_LINE_MAX];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	keep_line(buf, false);
}

/* A partition's bytes, assembled into "[name] line" as the real console
 * multiplexer prints them, but printed at once: the fake console drains
 * instantly, so a test sees a line as soon as the guest ends it (the real
 * one queues it in the source's ring for the scheduler to drain). The line
 * being assembled is kept beside the source, keyed by its address. Two
 * vCPUs of a partition may write at once. */
static pthread_mutex_t console_lock = PTHREAD_MUTEX_INITIALIZER;

#define FAKE_SOURCES 64
static struct fake_line {
	const struct console_source *src;
	char line[CONSOLE_LINE_MAX];
	unsigned int len;
	uint64_t written;
} fake_lines[FAKE_SOURCES];

static struct fake_line *line_of(const struct console_source *src)
{
	struct fake_line *free_slot = NULL;
	for (unsigned int i = 0; i < FAKE_SOURCES; i++) {
		if (fake_lines[i].src == src)
			return &fake_lines[i];
		if (!fake_lines[i].src && !free_slot)
			free_slot = &fake_lines[i];
	}
	if (!free_slot)
		abort(); /* more partitions than a fake test makes */
	free_slot->src = src;
	free_slot->len = 0;
	free_slot->written = 0;
	return free_slot;
}

static void emit(const struct console_source *src, struct fake_line *l)
{
	char buf[FAKE_LINE_MAX];
	snprintf(buf, sizeof(buf), "[%s] %.*s", src->name ? src->name : "hv", (int)l->len, l->line);
	l->len = 0;
	keep_line(buf, true);
}

void console_source_putc(struct console_source *src, char c)
{
	pthread_mutex_lock(&console_lock);
	struct fake_line *l = line_of(src);
	l->written++;
	if (c == '\n')
		emit(src, l);
	else if (c != '\r') {
		l->line[l->len++] = c;
		if (l->len == CONSOLE_LINE_MAX)
			emit(src, l);
	}
	pthread_mutex_unlock(&console_lock);
}

size_t console_source_drain(struct console_source *src, size_t max_bytes, uint64_t deadline_tsc,
			    bool partial)
{
	(void)src, (void)max_bytes, (void)deadline_tsc, (void)partial;
	return 0;
}

bool console_source_pending(struct console_source *src)
{
	(void)src;
	return false;
}

void console_source_flush(struct console_source *src)
{
	pthread_mutex_lock(&console_lock);
	struct fake_line *l = line_of(src);
	if (l->len)
		emit(src, l);
	pthread_mutex_unlock(&console_lock);
}

void console_source_counts(struct console_source *src, uint64_t *written, uint64_t *dropped)
{
	pthread_mutex_lock(&console_lock);
	*written = line_of(src)->written;
	*dropped = 0;
	pthread_mutex_unlock(&console_lock);
}

void console_source_set_input(struct console_source *src, console_input_sink_fn sink, void *ctx)
{
}

void console_source_input_start(struct console_source *src)
{
}

void console_source_input_stop(struct console_source *src)
{
}

void console_poll_input(void)
{
}
