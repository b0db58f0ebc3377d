/* SPDX-License-Identifier: BSD-2-Clause */
/* secret-writer: partition A of the isolation test (issue 5,
 * tests/integration/isolation-secret-svm.test).
 *
 * Draws a 64-byte secret (secret.h: the marker, then 48 random bytes from
 * RDRAND or, without it, from TSC jitter), writes a copy into every free
 * 4 KiB page of its RAM and onto its stack, and leaves marker dwords in
 * its own devices (test-device echo latch and MMIO scratch register, LAPIC
 * timer initial count, CMOS NVRAM). It prints
 *
 *	SECRET written <n> copies hash=<FNV-1a of the 48 random bytes>
 *
 * and then keeps everything in place for HOLD_NS of partition time,
 * rewriting it and yielding, while secret-scanner (partition B) looks for
 * the marker in everything it can read. Its own checks: every copy reads
 * back, nothing changed its copies or its devices meanwhile. */
#include "secret.h"

#define PAGE_SIZE 4096ul
#define NS_PER_MS 1000000ul
/* The scanner scans from 1 s to about 3 s of its partition time (up to
 * 13 s on a loaded host); the two partitions start together. */
#define HOLD_NS (15000ul * NS_PER_MS)
#define STACK_COPIES 4
#define RDRAND_RETRIES 16
#define CPUID1_ECX_RDRAND (1u << 30) /* SDM Vol. 2A Table 3-10 */
/* The loader puts ELF guests at 1 MiB and nothing below. Copies go below
 * 640 KiB only: on a bare PC (the smoke run) 0xA0000-0xFFFFF is the VGA
 * window and ROM, not RAM. */
#define LOW_RAM_FIRST PAGE_SIZE
#define LOW_RAM_END 0xA0000ul

struct writer {
	uint8_t secret[SECRET_LEN] __attribute__((aligned(8)));
	uint64_t ram_top;
	const char *source;
	unsigned copies;
	unsigned damaged_copies; /* found changed while holding */
	unsigned damaged_devices;
	unsigned rounds;
};

static struct writer writer;

/* ---- randomness ----------------------------------------------------------- */

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		uint8_t ok;

		/* CF = 1: a random value was delivered (SDM Vol. 2B RDRAND). */
		asm volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
		if (ok)
			return true;
	}
	return false;
}

/* splitmix64 (Steele, Lea, Flood 2014): spreads the few bits of jitter each
 * TSC sample carries over the whole word. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* TSC samples around exits (their length varies) folded together. */
static uint64_t jitter64(uint64_t *state)
{
	for (int i = 0; i < 8; i++) {
		*state ^= rdtsc();
		rt_hc_time_ns();
		*state = splitmix64(state);
	}
	return *state;
}

static void draw_random(struct writer *w, uint8_t *dst, size_t len)
{
	bool have_rdrand = cpuid(0, 0).eax >= 1 && (cpuid(1, 0).ecx & CPUID1_ECX_RDRAND);
	uint64_t state = rdtsc();

	w->source = have_rdrand ? "RDRAND" : "TSC jitter";
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v;

		if (!have_rdrand || !rdrand64(&v)) {
			v = jitter64(&state);
			w->source = "TSC jitter";
		}
		memcpy(dst + i, &v, len - i < 8 ? len - i : 8);
	}
}

/* ---- copies in RAM ---------------------------------------------------------- */

static uintptr_t align_up(uintptr_t v, uintptr_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Copy i of the secret: one per free page, at offsets that vary (and are
 * mostly unaligned) so the scanner cannot get away with aligned compares. */
static uint8_t *copy_addr(uintptr_t page, unsigned i)
{
	return (uint8_t *)(page + (i % 61) * 64 + (i % 8));
}

/* Calls fn for every copy: the free pages below the image and between the
 * image and the loader's area at the top of RAM. */
static unsigned for_each_copy(struct writer *w, bool (*fn)(struct writer *, uint8_t *))
{
	uintptr_t image_end = align_up((uintptr_t)__image_end, PAGE_SIZE);
	uintptr_t high_end = w->ram_top - LOADER_TOP_AREA;
	unsigned i = 0, ok = 0;

	for (uintptr_t p = LOW_RAM_FIRST; p < LOW_RAM_END; p += PAGE_SIZE, i++)
		ok += fn(w, copy_addr(p, i));
	for (uintptr_t p = image_end; p + PAGE_SIZE <= high_end; p += PAGE_SIZE, i++)
		ok += fn(w, copy_addr(p, i));
	return ok;
}

static bool put_copy(struct writer *w, uint8_t *dst)
{
	memcpy(dst, w->secret, SECRET_LEN);
	return true;
}

static bool copy_intact(struct writer *w, uint8_t *dst)
{
	return memcmp(dst, w->secret, SECRET_LEN) == 0;
}

/* ---- marker dwords in the writer's own devices ------------------------------ */

static uint32_t marker_dword(const struct writer *w, unsigned k)
{
	uint32_t d;

	memcpy(&d, w->secret + 4 * k, sizeof(d));
	return d;
}

static void put_devices(const struct writer *w)
{
	outl(TESTDEV_ECHO_PORT, marker_dword(w, 0));
	mmio_write32(TESTDEV_MMIO_BASE, marker_dword(w, 1));
	/* The timer counts down with its LVT entry masked (the reset state,
	 * SDM Vol. 3A §11.5.1): no interrupt, only a register value. */
	mmio_write32(LAPIC_BASE + LAPIC_TIMER_INITIAL, marker_dword(w, 2));
	for (unsigned i = 0; i < SECRET_MARKER_LEN; i++)
		cmos_write(SECRET_CMOS_FIRST + i, w->secret[i]);
}

static unsigned devices_changed(const struct writer *w)
{
	unsigned bad = 0;

	bad += inl(TESTDEV_ECHO_PORT) != marker_dword(w, 0);
	bad += mmio_read32(TESTDEV_MMIO_BASE) != marker_dword(w, 1);
	bad += mmio_read32(LAPIC_BASE + LAPIC_TIMER_INITIAL) != marker_dword(w, 2);
	for (unsigned i = 0; i < SECRET_MARKER_LEN; i++)
		bad += cmos_read(SECRET_CMOS_FIRST + i) != w->secret[i];
	return bad;
}

/* ---- holding ------------------------------------------------------------------ */

/* One round: check and rewrite every copy (a fresh stack frame gets its own
 * copies), check the devices, then give the CPU away once. */
static void __attribute__((noinline)) hold_round(struct writer *w)
{
	uint8_t on_stack[STACK_COPIES][SECRET_LEN];

	for (unsigned i = 0; i < STACK_COPIES; i++)
		memcpy(on_stack[i], w->secret, SECRET_LEN);
	w->damaged_copies += w->copies - for_each_copy(w, copy_intact);
	for_each_copy(w, put_copy);
	w->damaged_devices += devices_changed(w);
	put_devices(w);
	rt_hc_yield();
	for (unsigned i = 0; i < STACK_COPIES; i++)
		w->damaged_copies += memcmp(on_stack[i], w->secret, SECRET_LEN) != 0;
	asm volatile("" : : "r"(on_stack) : "memory"); /* the stack copies stay written */
	w->rounds++;
}

void guest_main(void)
{
	struct writer *w = &writer;
	bool hv = rt_hv_present();
	uint64_t t0;

	w->ram_top = cmos_ram_size();
	memcpy(w->secret, &(uint64_t){ SECRET_MARKER_LO }, 8);
	memcpy(w->secret + 8, &(uint64_t){ SECRET_MARKER_HI }, 8);
	draw_random(w, w->secret + SECRET_MARKER_LEN, SECRET_RANDOM_LEN);

	w->copies = for_each_copy(w, put_copy);
	if (hv)
		put_devices(w);
	rt_printf("SECRET written %u copies hash=%016llx (random bytes from %s, RAM %llu MiB)\n",
		  w->copies,
		  (unsigned long long)fnv1a64(w->secret + SECRET_MARKER_LEN, SECRET_RANDOM_LEN),
		  w->source, (unsigned long long)(w->ram_top >> 20));
	rt_check("secret_written", w->copies > 0 && for_each_copy(w, copy_intact) == w->copies,
		 "%u copies placed, not all read back", w->copies);
	if (!hv) {
		rt_puts("secret-writer: no Bulkhead, nobody to hide from: not holding\n");
		return;
	}

	t0 = rt_hc_time_ns();
	while (rt_hc_time_ns() - t0 < HOLD_NS)
		hold_round(w);
	rt_printf("secret-writer: held the secret for %lu ms in %u rounds\n",
		  (rt_hc_time_ns() - t0) / NS_PER_MS, w->rounds);
	rt_check("secret_held", !w->damaged_copies, "%u copies changed while held",
		 w->damaged_copies);
	rt_check("devices_held", !w->damaged_devices,
		 "%u device registers lost the marker while held", w->damaged_devices);
	/* Leave nothing behind in the devices. */
	outl(TESTDEV_ECHO_PORT, 0);
	mmio_write32(TESTDEV_MMIO_BASE, 0);
	mmio_write32(LAPIC_BASE + LAPIC_TIMER_INITIAL, 0);
}
