/* SPDX-License-Identifier: BSD-2-Clause */
/* peer-vmm: a minimal KVM VMM that runs Bulkhead's 64-bit test guests.
 *
 * It is the other half of `make bench-peer` (scripts/bench-peer.sh,
 * docs/benchmarks.md "Peer: Linux KVM"): Linux KVM runs as the L1
 * hypervisor inside the same QEMU TCG machine Bulkhead runs on, and this
 * program gives the bench guests (guests/tests/bench-*.c) the same start-up
 * state and the same few services Bulkhead's loader and devices give them:
 *
 *  - the ELF64 image copied to its physical addresses, long mode with the
 *    first 4 GiB identity-mapped by 2 MiB pages in tables at the top of RAM,
 *    RSP just below them (guests/README.md, "Startup state");
 *  - CPUID leaf 0x40000000 signed "BulkheadHV" and the hypervisor bit in
 *    leaf 1, so the runtime executes its hypercalls (guests/runtime/hypercall.c);
 *  - COM1 (0x3F8): THR writes go to stdout line by line with a prefix, LSR
 *    reads say "transmitter empty";
 *  - the port-I/O echo device at 0x520-0x523 (guests/README.md): handled
 *    here in user space (a KVM_EXIT_IO round trip), or with --ioeventfd in
 *    the kernel (KVM_IOEVENTFD: OUT only, counted by an eventfd);
 *  - port 0xF4 (QEMU's isa-debug-exit): the runtime writes its stop code
 *    there when HC_PARTITION_STOP returns, which it does under KVM.
 *
 * Hypercalls: KVM handles VMMCALL in the kernel (kvm_emulate_hypercall) and
 * offers no general way to pass it to user space, so the guests' calls get
 * KVM's answer: -KVM_ENOSYS for HC_VERSION (0) and HC_PARTITION_STOP (2).
 * HC_TIME_NS (5) is KVM_HC_KICK_CPU; KVM_CAP_ENFORCE_PV_FEATURE_CPUID with
 * no KVM paravirt leaf makes it -KVM_ENOSYS too, so nothing is kicked. The
 * BENCH lines' ns= fields are therefore meaningless here (0); the tsc=
 * fields, which count instructions under QEMU -icount, are what is compared.
 *
 *   peer-vmm [--tag NAME] [--mem MIB] [--ioeventfd] [--no-irqchip]
 *            [--timeout SECONDS] GUEST.elf
 *
 * Exit status: the guest's stop code (0 = all its checks passed), 2 for a
 * usage or set-up error, 3 for a guest that crashed or ran out of time.
 * Every guest-controlled value (ELF headers, port numbers, sizes, counts) is
 * checked before it is used: the guest is not trusted.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024ul * 1024ul)
#define PAGE_SIZE 4096ul
#define LARGE_PAGE (2 * MIB)
#define GIB (1024ul * MIB)

/* Ports (guests/runtime/abi.h, guests/README.md "Test devices"). */
#define COM1_BASE 0x3F8
#define COM1_PORTS 8
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE_TEMT 0x60 /* PC16550D §8.6.3: THR and shifter empty */
#define ECHO_PORT 0x520
#define ECHO_PORTS 4
#define STOP_PORT 0xF4

/* CPUID (guests/runtime/abi.h; docs/hypercall-abi.md "Detecting Bulkhead"). */
#define CPUID_HV_BASE 0x40000000u
#define CPUID_HV_LAST 0x400000FFu
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define BULKHEAD_SIG_EBX 0x6b6c7542u /* "Bulk" */
#define BULKHEAD_SIG_ECX 0x64616568u /* "head" */
#define BULKHEAD_SIG_EDX 0x00005648u /* "HV\0\0" */
#define CPUID_MAX_ENTRIES 256

/* Control registers and EFER (AMD APM Vol. 2 §3.1, §14.6: long mode needs
 * CR0.PG and PE, CR4.PAE and EFER.LME, with LMA set once paging is on). */
#define CR0_PE (1ul << 0)
#define CR0_MP (1ul << 1)
#define CR0_ET (1ul << 4)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR0_PG (1ul << 31)
#define CR4_PAE (1ul << 5)
#define EFER_LME (1ul << 8)
#define EFER_LMA (1ul << 10)
#define RFLAGS_RESERVED1 (1ul << 1)

/* Page-table entry bits (APM Vol. 2 §5.3.3, §5.4). */
#define PTE_P (1ul << 0)
#define PTE_RW (1ul << 1)
#define PTE_PS (1ul << 7)
#define ENTRIES_PER_TABLE 512
#define IDENTITY_GIB 4 /* the loader maps the first 4 GiB */
/* PML4, PDPT and one page directory per GiB. */
#define PT_PAGES (2 + IDENTITY_GIB)

/* Segment selectors: those of the runtime's GDT (guests/runtime/abi.h); the
 * guest loads its own GDT at once, so only the hidden parts matter here. */
#define SEL_CODE64 0x18
#define SEL_DATA 0x10
#define SEG_TYPE_CODE_XR_A 0xB
#define SEG_TYPE_DATA_RW_A 0x3

#define EXIT_SETUP 2
#define EXIT_CRASH 3
#define LINE_MAX_CHARS 512

struct vm {
	int kvm, vm, vcpu, evfd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	const char *tag;
	/* COM1 output, one line at a time so the prefix stays at line starts. */
	char line[LINE_MAX_CHARS];
	size_t line_len;
	/* The echo device: the last value written, by width. */
	uint32_t echo_value;
	unsigned echo_size;
	/* Counters for the closing line. */
	unsigned long exits, io_exits, echo_outs, mmio_exits;
	bool stopped;
	int stop_code;
};

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("peer-vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_SETUP);
}

static int kvm_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s: %s", what, strerror(errno));
	return r;
}

/* ---- guest memory and image ------------------------------------------------ */

static bool gpa_range_ok(const struct vm *v, uint64_t gpa, uint64_t len, uint64_t limit)
{
	return gpa <= limit && len <= limit - gpa && limit <= v->mem_size;
}

/* The page tables sit in the top PT_PAGES pages of RAM (as Bulkhead's
 * loader puts them, guests/README.md); returns their base (CR3). */
static uint64_t build_identity_map(struct vm *v)
{
	uint64_t base = v->mem_size - PT_PAGES * PAGE_SIZE;
	uint64_t *pml4 = (uint64_t *)(v->mem + base);
	uint64_t *pdpt = pml4 + ENTRIES_PER_TABLE;

	memset(pml4, 0, PT_PAGES * PAGE_SIZE);
	pml4[0] = (base + PAGE_SIZE) | PTE_P | PTE_RW;
	for (uint64_t g = 0; g < IDENTITY_GIB; g++) {
		uint64_t pd_gpa = base + (2 + g) * PAGE_SIZE;
		uint64_t *pd = (uint64_t *)(v->mem + pd_gpa);

		pdpt[g] = pd_gpa | PTE_P | PTE_RW;
		for (uint64_t i = 0; i < ENTRIES_PER_TABLE; i++)
			pd[i] = (g * GIB + i * LARGE_PAGE) | PTE_P | PTE_RW | PTE_PS;
	}
	return base;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		die("%s: %s", path, strerror(errno));
	if (st.st_size <= 0 || (uint64_t)st.st_size > 64 * MIB)
		die("%s: unlikely size %lld", path, (long long)st.st_size);
	buf = malloc((size_t)st.st_size);
	if (!buf)
		die("out of memory");
	for (size_t got = 0; got < (size_t)st.st_size;) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			die("%s: short read", path);
		got += (size_t)n;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Copies every PT_LOAD segment of an ELF64 x86-64 executable to its
 * physical address below `limit` and returns the entry point. */
static uint64_t load_elf64(struct vm *v, const char *path, uint64_t limit)
{
	size_t len;
	uint8_t *img = read_file(path, &len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	bool entry_loaded = false;
	uint64_t entry;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_EXEC)
		die("%s: not an x86-64 ELF64 executable (a 64-bit Bulkhead test guest)", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		die("%s: program headers outside the file", path);
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > len ||
		    ph->p_filesz > len - ph->p_offset)
			die("%s: segment %u: bad sizes", path, i);
		if (!gpa_range_ok(v, ph->p_paddr, ph->p_memsz, limit))
			die("%s: segment %u (0x%llx+0x%llx) does not fit below 0x%llx", path, i,
			    (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			    (unsigned long long)limit);
		memcpy(v->mem + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
		memset(v->mem + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
		if (eh->e_entry >= ph->p_paddr && eh->e_entry - ph->p_paddr < ph->p_memsz)
			entry_loaded = true;
	}
	if (!entry_loaded)
		die("%s: entry point 0x%llx is in no loaded segment", path,
		    (unsigned long long)eh->e_entry);
	entry = eh->e_entry;
	free(img);
	return entry;
}

/* ---- vCPU state -------------------------------------------------------------- */

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xFFFFFFFF;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1; /* code or data, not system */
	s->g = 1;
	s->l = code64;
	s->db = !code64; /* CS.D must be 0 with CS.L = 1 (APM Vol. 2 §4.8.1) */
}

static void set_long_mode(struct vm *v, uint64_t cr3, uint64_t entry, uint64_t rsp)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;

	kvm_ioctl(v->vcpu, KVM_GET_SREGS, &sr, "KVM_GET_SREGS");
	flat_segment(&sr.cs, SEL_CODE64, SEG_TYPE_CODE_XR_A, true);
	flat_segment(&sr.ds, SEL_DATA, SEG_TYPE_DATA_RW_A, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sr.cr3 = cr3;
	sr.cr4 = CR4_PAE;
	sr.efer = EFER_LME | EFER_LMA;
	kvm_ioctl(v->vcpu, KVM_SET_SREGS, &sr, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = rsp;
	regs.rflags = RFLAGS_RESERVED1; /* IF clear */
	kvm_ioctl(v->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

/* KVM's supported CPUID with Bulkhead's hypervisor leaf in place of KVM's
 * own 0x400000xx leaves. */
static void set_cpuid(struct vm *v)
{
	size_t size = sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, size);
	unsigned out = 0;

	if (!c)
		die("out of memory");
	c->nent = CPUID_MAX_ENTRIES;
	kvm_ioctl(v->kvm, KVM_GET_SUPPORTED_CPUID, c, "KVM_GET_SUPPORTED_CPUID");
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 e = c->entries[i];

		if (e.function >= CPUID_HV_BASE && e.function <= CPUID_HV_LAST)
			continue;
		if (e.function == 1)
			e.ecx |= CPUID1_ECX_HYPERVISOR;
		c->entries[out++] = e;
	}
	if (out >= CPUID_MAX_ENTRIES)
		die("KVM_GET_SUPPORTED_CPUID: no room for the hypervisor leaf");
	c->entries[out++] = (struct kvm_cpuid_entry2){
		.function = CPUID_HV_BASE,
		.eax = CPUID_HV_BASE,
		.ebx = BULKHEAD_SIG_EBX,
		.ecx = BULKHEAD_SIG_ECX,
		.edx = BULKHEAD_SIG_EDX,
	};
	c->nent = out;
	kvm_ioctl(v->vcpu, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
	free(c);
}

/* Without KVM's paravirt leaf, enforcing it turns the guests' HC_TIME_NS
 * (KVM_HC_KICK_CPU's number) into -KVM_ENOSYS instead of a kick. */
static void enforce_pv_cpuid(struct vm *v)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID, .args = { 1 } };

	if (ioctl(v->kvm, KVM_CHECK_EXTENSION, KVM_CAP_ENFORCE_PV_FEATURE_CPUID) <= 0) {
		fprintf(stderr,
			"peer-vmm: KVM_CAP_ENFORCE_PV_FEATURE_CPUID missing: HC_TIME_NS is a PV kick\n");
		return;
	}
	kvm_ioctl(v->vcpu, KVM_ENABLE_CAP, &cap, "KVM_ENABLE_CAP(ENFORCE_PV_FEATURE_CPUID)");
}

/* OUT to the echo port handled in the kernel: KVM signals the eventfd and
 * resumes the guest without leaving KVM_RUN. */
static void add_ioeventfd(struct vm *v)
{
	struct kvm_ioeventfd io = { .addr = ECHO_PORT, .len = 0, .flags = KVM_IOEVENTFD_FLAG_PIO };

	v->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->evfd < 0)
		die("eventfd: %s", strerror(errno));
	io.fd = v->evfd;
	kvm_ioctl(v->vm, KVM_IOEVENTFD, &io, "KVM_IOEVENTFD");
}

/* ---- exits ---------------------------------------------------------------------- */

static void flush_line(struct vm *v)
{
	if (!v->line_len)
		return;
	printf("peer %s: %.*s\n", v->tag, (int)v->line_len, v->line);
	fflush(stdout);
	v->line_len = 0;
}

static void com1_putc(struct vm *v, uint8_t c)
{
	if (c == '\n' || v->line_len == sizeof(v->line)) {
		flush_line(v);
		if (c == '\n')
			return;
	}
	if (c != '\r')
		v->line[v->line_len++] = (char)c;
}

/* One port access of `size` bytes at data (KVM_EXIT_IO). */
static void port_access(struct vm *v, uint16_t port, bool out, unsigned size, uint8_t *data)
{
	uint32_t val = 0;

	if (out)
		memcpy(&val, data, size);
	if (port >= COM1_BASE && port < COM1_BASE + COM1_PORTS) {
		if (out && port == COM1_BASE + UART_THR)
			com1_putc(v, (uint8_t)val);
		else if (!out)
			data[0] = port == COM1_BASE + UART_LSR ? UART_LSR_THRE_TEMT : 0;
		return;
	}
	if (port == ECHO_PORT) {
		if (out) {
			v->echo_value = val;
			v->echo_size = size;
			v->echo_outs++;
		} else {
			val = size == v->echo_size ? v->echo_value : 0xFFFFFFFFu;
			memcpy(data, &val, size);
		}
		return;
	}
	if (out && port == STOP_PORT) {
		v->stopped = true;
		v->stop_code = (int)(val & 0xFF);
		return;
	}
	/* Unclaimed: reads are all ones, writes are dropped (as on a PC). */
	if (!out)
		memset(data, 0xFF, size);
}

static void handle_io(struct vm *v)
{
	struct kvm_run *r = v->run;
	unsigned size = r->io.size;
	uint64_t bytes = (uint64_t)size * r->io.count;
	bool out = r->io.direction == KVM_EXIT_IO_OUT;

	v->io_exits++;
	if ((size != 1 && size != 2 && size != 4) || r->io.data_offset > v->run_size ||
	    bytes > v->run_size - r->io.data_offset)
		die("KVM_EXIT_IO: port 0x%x size %u count %u outside kvm_run", r->io.port, size,
		    r->io.count);
	for (uint32_t i = 0; i < r->io.count; i++)
		port_access(v, r->io.port, out, size, (uint8_t *)r + r->io.data_offset + i * size);
}

static void dump_state(struct vm *v, const char *why)
{
	struct kvm_regs regs;

	flush_line(v);
	if (ioctl(v->vcpu, KVM_GET_REGS, &regs) == 0)
		fprintf(stderr, "peer-vmm: %s at rip=0x%llx rsp=0x%llx rax=0x%llx\n", why,
			(unsigned long long)regs.rip, (unsigned long long)regs.rsp,
			(unsigned long long)regs.rax);
	else
		fprintf(stderr, "peer-vmm: %s\n", why);
}

static int run(struct vm *v)
{
	while (!v->stopped) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && !timed_out)
				continue;
			dump_state(v, timed_out ? "timed out" : strerror(errno));
			return EXIT_CRASH;
		}
		v->exits++;
		switch (v->run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO: /* nothing is mapped there: reads all ones */
			v->mmio_exits++;
			if (!v->run->mmio.is_write)
				memset(v->run->mmio.data, 0xFF, sizeof(v->run->mmio.data));
			break;
		case KVM_EXIT_HLT:
			dump_state(v, "guest halted without stopping");
			return EXIT_CRASH;
		case KVM_EXIT_SHUTDOWN:
			dump_state(v, "guest shut down (triple fault)");
			return EXIT_CRASH;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "peer-vmm: VM entry failed, reason 0x%llx\n",
				(unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
			return EXIT_CRASH;
		case KVM_EXIT_INTERNAL_ERROR:
			dump_state(v, "KVM internal error");
			fprintf(stderr, "peer-vmm: suberror %u\n", v->run->internal.suberror);
			return EXIT_CRASH;
		default:
			dump_state(v, "unexpected exit");
			fprintf(stderr, "peer-vmm: exit reason %u\n", v->run->exit_reason);
			return EXIT_CRASH;
		}
	}
	flush_line(v);
	return v->stop_code;
}

/* ---- main ------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: peer-vmm [--tag NAME] [--mem MIB] [--ioeventfd] [--no-irqchip] "
			"[--timeout SECONDS] GUEST.elf\n");
	exit(EXIT_SETUP);
}

static unsigned long number_arg(const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (!*s || *end || n < lo || n > hi)
		usage();
	return n;
}

int main(int argc, char **argv)
{
	struct vm v = { .tag = "kvm", .evfd = -1 };
	bool ioeventfd = false, irqchip = true;
	unsigned long mem_mib = 4, timeout_s = 600;
	const char *guest = NULL;
	struct kvm_userspace_memory_region region;
	uint64_t cr3, entry, ioev_count = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tag") && i + 1 < argc)
			v.tag = argv[++i];
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem_mib = number_arg(argv[++i], 2, 1024);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = number_arg(argv[++i], 1, 86400);
		else if (!strcmp(argv[i], "--ioeventfd"))
			ioeventfd = true;
		else if (!strcmp(argv[i], "--no-irqchip"))
			irqchip = false;
		else if (argv[i][0] != '-' && !guest)
			guest = argv[i];
		else
			usage();
	}
	if (!guest)
		usage();

	v.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v.kvm < 0)
		die("/dev/kvm: %s (is kvm_amd loaded?)", strerror(errno));
	if (ioctl(v.kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("unexpected KVM API version");
	v.vm = kvm_ioctl(v.kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	/* An in-kernel PIC, IOAPIC and LAPIC, as QEMU, Firecracker and crosvm
	 * create them: the exit paths then run as they do for those VMMs. */
	if (irqchip)
		kvm_ioctl(v.vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");

	v.mem_size = mem_mib * MIB;
	v.mem = mmap(NULL, v.mem_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v.mem == MAP_FAILED)
		die("mmap guest memory: %s", strerror(errno));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = v.mem_size,
		.userspace_addr = (uintptr_t)v.mem,
	};
	kvm_ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION");

	cr3 = build_identity_map(&v);
	entry = load_elf64(&v, guest, cr3);

	v.vcpu = kvm_ioctl(v.vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	v.run_size = (size_t)kvm_ioctl(v.kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
	if (v.run_size < sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE too small");
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu, 0);
	if (v.run == MAP_FAILED)
		die("mmap kvm_run: %s", strerror(errno));
	set_cpuid(&v);
	enforce_pv_cpuid(&v);
	/* RSP 16 bytes below the tables: 8-byte aligned, at or below CR3,
	 * above the image (guests/README.md). */
	set_long_mode(&v, cr3, entry, cr3 - 16);
	if (ioeventfd)
		add_ioeventfd(&v);

	signal(SIGALRM, on_alarm);
	alarm((unsigned)timeout_s);
	rc = run(&v);
	alarm(0);
	if (v.evfd >= 0 && read(v.evfd, &ioev_count, sizeof(ioev_count)) != sizeof(ioev_count))
		ioev_count = 0;
	printf("peer %s: stopped code=%d user_exits=%lu io=%lu echo_out_user=%lu echo_out_ioeventfd=%llu mmio=%lu "
	       "irqchip=%s\n",
	       v.tag, rc, v.exits, v.io_exits, v.echo_outs, (unsigned long long)ioev_count,
	       v.mmio_exits, irqchip ? "in-kernel" : "none");
	return rc;
}
