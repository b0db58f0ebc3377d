/* SPDX-License-Identifier: BSD-2-Clause */
/* core/manifest.c: a boot module's command line -> struct manifest_entry
 * (docs/manifest.md). Every refusal must be exactly one log line that names
 * the module and the key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/manifest.h"
#include "tests/unit/support/host_log.h"

static struct manifest_entry m;

static bool parse(const char *line)
{
	host_log_reset();
	memset(&m, 0x5a, sizeof(m));
	return manifest_parse(line, 2, &m);
}

/* Refused, with one line that mentions `needle` and the module number. */
static void assert_refused(const char *line, const char *needle)
{
	cr_assert_not(parse(line), "accepted: %s", line);
	cr_assert_eq(host_log_count(), 1, "%s: %u log lines", line, host_log_count());
	cr_assert(host_log_contains(needle), "%s: log '%s' lacks '%s'", line, host_log_line(0),
		  needle);
	cr_assert(host_log_contains("manifest: module 2:"), "%s: log '%s' does not name the module",
		  line, host_log_line(0));
}

static void assert_accepted(const char *line)
{
	cr_assert(parse(line), "refused: %s (%s)", line, host_log_line(0));
	cr_assert_eq(host_log_count(), 0, "%s: accepted but logged '%s'", line, host_log_line(0));
}

Test(manifest, every_key)
{
	assert_accepted("/guests/hello.elf name=hello-0_x mem=256M mode=long load=0x100000 entry=0x100040 cpus=4");
	cr_assert_str_eq(m.name, "hello-0_x");
	cr_assert_eq(m.mem, MiB(256));
	cr_assert(m.mode_given);
	cr_assert_eq(m.mode, VCPU_MODE_LONG64);
	cr_assert_eq(m.load, 0x100000);
	cr_assert_eq(m.entry, 0x100040);
	cr_assert_eq(m.cpus, 4);
}

Test(manifest, defaults)
{
	assert_accepted("name=a");
	cr_assert_str_eq(m.name, "a");
	cr_assert_eq(m.mem, MANIFEST_DEFAULT_MEM);
	cr_assert_not(m.mode_given);
	cr_assert_eq(m.load, MANIFEST_NO_ADDR);
	cr_assert_eq(m.entry, MANIFEST_NO_ADDR);
	cr_assert_eq(m.cpus, 1);
}

Test(manifest, modes)
{
	assert_accepted("x name=r mode=real");
	cr_assert_eq(m.mode, VCPU_MODE_REAL);
	cr_assert(m.mode_given);
	assert_accepted("x name=p mode=prot");
	cr_assert_eq(m.mode, VCPU_MODE_PROT32);
	assert_accepted("x name=l mode=\"long\"");
	cr_assert_eq(m.mode, VCPU_MODE_LONG64);
	assert_refused("x name=a mode=vm86", "'mode'");
	assert_refused("x name=a mode=protected", "'mode'");
	assert_refused("x name=a mode=LONG", "'mode'");
	assert_refused("x name=a mode=", "'mode'");
	assert_refused("x name=a mode", "'mode'");
}

Test(manifest, missing_name)
{
	assert_refused("/guests/x.elf mem=16M", "no 'name'");
	assert_refused("", "no 'name'");
	assert_refused("/guests/x.elf", "no 'name'");
}

Test(manifest, name_characters_and_length)
{
	assert_accepted("x name=abcdefghijklmno");           /* 15 */
	assert_refused("x name=abcdefghijklmnop", "'name'"); /* 16 */
	assert_refused("x name=Hello", "'name'");
	assert_refused("x name=a.b", "'name'");
	assert_refused("x name=a/b", "'name'");
	assert_refused("x name=\"a b\"", "'name'");
	assert_refused("x name=[x]", "'name'");
	assert_refused("x name=", "'name'");
	assert_refused("x name=\"\"", "'name'");
	assert_refused("x mem=1M name", "'name'");
}

Test(manifest, mem_bounds_and_alignment)
{
	assert_accepted("x name=a mem=1M");
	cr_assert_eq(m.mem, MiB(1));
	assert_accepted("x name=a mem=4G");
	cr_assert_eq(m.mem, GiB(4));
	assert_accepted("x name=a mem=2048k");
	cr_assert_eq(m.mem, MiB(2));
	assert_accepted("x name=a mem=0x200000");
	cr_assert_eq(m.mem, MiB(2));
	assert_refused("x name=a mem=512K", "'mem'");
	assert_refused("x name=a mem=0", "'mem'");
	assert_refused("x name=a mem=4097M", "'mem'");
	assert_refused("x name=a mem=5G", "'mem'");
	assert_refused("x name=a mem=1536K", "'mem'"); /* 1.5 MiB */
	assert_refused("x name=a mem=1048577", "'mem'");
	assert_refused("x name=a mem=17179869184G", "'mem'"); /* overflows */
	assert_refused("x name=a mem=16MB", "'mem'");
	assert_refused("x name=a mem=-16M", "'mem'");
	assert_refused("x name=a mem=", "'mem'");
	assert_refused("x name=a mem", "'mem'");
}

Test(manifest, load_inside_ram)
{
	assert_accepted("x name=a mem=1M mode=real load=0x7c00");
	cr_assert_eq(m.load, 0x7c00);
	assert_accepted("x name=a mem=1M load=0xfffff");
	/* Checked against mem whatever the order of the keys. */
	assert_refused("x name=a load=0x200000 mem=1M", "'load'");
	assert_accepted("x name=a load=0x200000 mem=4M");
	assert_refused("x name=a mem=1M load=0x100000", "'load'");
	assert_refused("x name=a load=0x100000000", "'load'"); /* 4 GiB */
	assert_refused("x name=a load=0xffffffffffffffff", "'load'");
	assert_refused("x name=a load=16M", "'load'"); /* no suffixes for addresses */
	assert_refused("x name=a load=", "'load'");
}

Test(manifest, entry_inside_ram)
{
	assert_accepted("x name=a entry=0x1000");
	cr_assert_eq(m.entry, 0x1000);
	assert_refused("x name=a entry=0x100000000", "'entry'");
	assert_refused("x name=a entry=zz", "'entry'");
	assert_refused("x name=a mem=1M entry=0x100000", "'entry'");
}

Test(manifest, cpus)
{
	assert_accepted("x name=a cpus=1");
	assert_accepted("x name=a cpus=4");
	cr_assert_eq(m.cpus, 4);
	assert_refused("x name=a cpus=0", "'cpus'");
	assert_refused("x name=a cpus=5", "'cpus'");
	assert_refused("x name=a cpus=4294967297", "'cpus'"); /* 2^32 + 1 must not truncate to 1 */
	assert_refused("x name=a cpus=two", "'cpus'");
	assert_refused("x name=a cpus", "'cpus'");
}

Test(manifest, first_bare_word_is_the_path)
{
	assert_accepted("/boot/guests/hello.elf name=a");
	assert_accepted("   hello.elf\tname=a  ");
	/* Only the first word: a later bare word is an unknown key. */
	assert_refused("/boot/x.elf name=a stray", "unknown key 'stray'");
	assert_refused("name=a /boot/x.elf", "unknown key '/boot/x.elf'");
	/* A first word with '=' is a key, not a path. */
	assert_refused("path=/x name=a", "unknown key 'path'");
}

Test(manifest, unknown_key_is_named)
{
	assert_refused("x name=a colour=blue", "unknown key 'colour'");
	assert_refused("x name=a Name=b", "unknown key 'Name'");
	assert_refused("x name=a =5", "unknown key ''");
	assert_refused("x name=a memory=16M", "unknown key 'memory'");
}

Test(manifest, later_keys_win)
{
	assert_accepted("x name=a name=b mem=2M mem=8M");
	cr_assert_str_eq(m.name, "b");
	cr_assert_eq(m.mem, MiB(8));
}

/* ---- Linux partitions (docs/manifest.md) ---------------------------------- */

Test(manifest, linux_defaults)
{
	assert_accepted("/guests/vmlinuz name=linux0 mem=256M");
	cr_assert_eq(m.kind, MANIFEST_KIND_AUTO);
	cr_assert_not(m.cmdline_given);
	cr_assert_str_eq(m.cmdline, "");
	cr_assert_not(manifest_is_initrd(&m));
	cr_assert_eq(m.initrd_module, MANIFEST_NO_MODULE);
}

Test(manifest, kind)
{
	assert_accepted("/guests/vmlinuz name=linux0 kind=linux");
	cr_assert_eq(m.kind, MANIFEST_KIND_LINUX);
	assert_accepted("/guests/x.elf name=a kind=auto");
	cr_assert_eq(m.kind, MANIFEST_KIND_AUTO);
	assert_refused("x name=a kind=elf", "'kind'");
	assert_refused("x name=a kind=Linux", "'kind'");
	assert_refused("x name=a kind=linuxlinux", "'kind'");
	assert_refused("x name=a kind", "'kind'");
	assert_refused("x name=a kind=", "'kind'");
}

Test(manifest, kind_linux_refuses_what_the_protocol_fixes)
{
	assert_refused("x name=a kind=linux mode=long",
		       "key 'mode' does not apply to a Linux kernel");
	/* Whatever the order of the keys. */
	assert_refused("x name=a load=0x100000 kind=linux", "key 'load' does not apply");
	assert_refused("x name=a kind=linux entry=0x1000", "key 'entry' does not apply");
}

Test(manifest, cmdline_after_dashdash)
{
	assert_accepted("/guests/vmlinuz name=linux0 mem=256M -- console=ttyS0 quiet");
	cr_assert(m.cmdline_given);
	cr_assert_str_eq(m.cmdline, "console=ttyS0 quiet");
	cr_assert_str_eq(m.name, "linux0");
	cr_assert_eq(m.mem, MiB(256));
	/* Verbatim: our keys, '=' and quotes after "--" belong to the kernel. */
	assert_accepted("x name=l -- name=foo mem=1G root=\"/dev/vda 1\" --  ");
	cr_assert_str_eq(m.name, "l");
	cr_assert_eq(m.mem, MANIFEST_DEFAULT_MEM);
	cr_assert_str_eq(m.cmdline, "name=foo mem=1G root=\"/dev/vda 1\" --");
	/* An empty kernel command line is still "given". */
	assert_accepted("x name=l --");
	cr_assert(m.cmdline_given);
	cr_assert_str_eq(m.cmdline, "");
	assert_accepted("x name=l --\t  ");
	cr_assert_str_eq(m.cmdline, "");
}

Test(manifest, dashdash_must_stand_alone)
{
	assert_refused("x name=l --console=ttyS0", "unknown key '--console'");
	assert_refused("x name=l --=1", "unknown key '--'");
	/* Before "--" the keys are still ours, and still checked. */
	assert_refused("x name=l colour=red -- quiet", "unknown key 'colour'");
	/* "--" in the path's place: there is then no path, and no name. */
	assert_refused("-- name=l", "no 'name'");
}

Test(manifest, cmdline_key_when_quotes_survive)
{
	assert_accepted("x name=l cmdline=\"console=ttyS0 quiet\" mem=128M");
	cr_assert(m.cmdline_given);
	cr_assert_str_eq(m.cmdline, "console=ttyS0 quiet");
	cr_assert_eq(m.mem, MiB(128));
	assert_accepted("x name=l cmdline=console=ttyS0");
	cr_assert_str_eq(m.cmdline, "console=ttyS0");
	assert_accepted("x name=l cmdline=\"\"");
	cr_assert(m.cmdline_given);
	cr_assert_str_eq(m.cmdline, "");
	/* Two words without quotes: the second is a key of ours, refused. */
	assert_refused("x name=l cmdline=console=ttyS0 quiet", "unknown key 'quiet'");
	assert_refused("x name=l cmdline", "'cmdline'");
}

/* GRUB 2.06 (grub_create_loader_cmdline) hands an argument with a space on
 * as one quoted word with \", \' and \\ escaped; measured: grub.cfg
 * zz="a b" arrived as "zz=a b". */
Test(manifest, grub_quoted_arguments)
{
	/* grub.cfg: module2 /guests/vmlinuz name=l cmdline="console=ttyS0 quiet" */
	assert_accepted("name=l \"cmdline=console=ttyS0 quiet\" mem=64M");
	cr_assert(m.cmdline_given);
	cr_assert_str_eq(m.cmdline, "console=ttyS0 quiet");
	cr_assert_eq(m.mem, MiB(64));
	/* grub.cfg: 'cmdline="console=ttyS0 quiet"' (the inner quotes survive, escaped) */
	assert_accepted("name=l \"cmdline=\\\"console=ttyS0 quiet\\\"\"");
	cr_assert_str_eq(m.cmdline, "console=ttyS0 quiet");
	/* Escapes inside: a quote and a backslash the user meant. */
	assert_accepted("name=l \"cmdline=root=\\\"a b\\\" x=\\\\y\"");
	cr_assert_str_eq(m.cmdline, "root=\"a b\" x=\\y");
	/* GRUB's \xHH stays as written. */
	assert_accepted("name=l \"cmdline=a\\x41 b\"");
	cr_assert_str_eq(m.cmdline, "a\\x41 b");
	/* A quoted path first (a file name with a space) is still the path. */
	assert_accepted("\"/guests/my kernel\" name=l");
	/* Keys of ours in quotes are ours: checked and named. */
	assert_refused("name=l \"colour=dark red\"", "unknown key 'colour'");
	assert_refused("\"name=a b\"", "'name'");
	assert_refused("name=l \"cmdline=a b", "no closing quote");
	assert_refused("name=l \"cmdline=a b\"x", "closing quote is followed by 'x'");
}

Test(manifest, grub_quoted_argument_too_long)
{
	static char line[2048], want[600];
	memset(want, 'q', 540);
	snprintf(line, sizeof(line), "name=l \"cmdline=a %s\"", want);
	assert_refused(line, "an argument in quotes is longer than");
	memset(want, 0, sizeof(want));
	memset(want, 'q', 509);
	snprintf(line, sizeof(line), "name=l \"cmdline=a %s\"", want);
	assert_accepted(line);
	cr_assert_eq(strlen(m.cmdline), 511);
	snprintf(line, sizeof(line), "name=l \"cmdline=ab %s\"", want);
	assert_refused(line, "'cmdline' needs a value of at most 511 bytes");
}

Test(manifest, dashdash_keeps_grub_quoting_for_the_kernel)
{
	/* grub.cfg: -- console=ttyS0 root="/dev/vda 1": the kernel's own parser
	 * takes the quoted word. */
	assert_accepted("name=l -- console=ttyS0 \"root=/dev/vda 1\"");
	cr_assert_str_eq(m.cmdline, "console=ttyS0 \"root=/dev/vda 1\"");
}

Test(manifest, cmdline_given_twice_refused)
{
	assert_refused("x name=l cmdline=quiet -- console=ttyS0", "'cmdline' and '--'");
}

Test(manifest, cmdline_length_bounds)
{
	static char line[2048];
	static char want[MANIFEST_CMDLINE_MAX];
	memset(want, 'k', MANIFEST_CMDLINE_MAX - 1);
	snprintf(line, sizeof(line), "x name=l -- %s", want);
	assert_accepted(line);
	cr_assert_eq(strlen(m.cmdline), MANIFEST_CMDLINE_MAX - 1);
	snprintf(line, sizeof(line), "x name=l -- %sk", want);
	assert_refused(line, "after '--' is longer than 511 bytes");
	snprintf(line, sizeof(line), "x name=l cmdline=%s", want);
	assert_accepted(line);
	snprintf(line, sizeof(line), "x name=l cmdline=\"%s \"", want);
	assert_refused(line, "'cmdline'");
}

Test(manifest, initrd_module)
{
	assert_accepted("/guests/initrd.cpio.gz initrd-for=linux0");
	cr_assert(manifest_is_initrd(&m));
	cr_assert_str_eq(m.initrd_for, "linux0");
	cr_assert_str_eq(m.name, "", "an initrd module declares no partition");
	assert_accepted("initrd-for=l");
	cr_assert_str_eq(m.initrd_for, "l");
}

Test(manifest, initrd_module_refuses_partition_keys)
{
	assert_refused("x initrd-for=linux0 mem=16M", "key 'mem' does not apply to an initrd module");
	assert_refused("x name=foo initrd-for=linux0",
		       "key 'name' does not apply to an initrd module");
	assert_refused("x initrd-for=linux0 kind=linux", "key 'kind' does not apply");
	assert_refused("x initrd-for=linux0 -- quiet", "key '--' does not apply");
	assert_refused("x initrd-for=linux0 colour=red", "unknown key 'colour'");
}

Test(manifest, initrd_for_needs_a_valid_name)
{
	assert_refused("x initrd-for=", "'initrd-for'");
	assert_refused("x initrd-for", "'initrd-for'");
	assert_refused("x initrd-for=Linux0", "'initrd-for'");
	assert_refused("x initrd-for=abcdefghijklmnop", "'initrd-for'"); /* 16 */
	assert_refused("x initrd-for=\"a b\"", "'initrd-for'");
}

/* ---- linking initrds to partitions ------------------------------------------------ */

static struct manifest_entry mods[10];
static bool ok[10];

/* Parses every line, then links; returns the lines the linking logged. */
static unsigned int parse_all(const char *const *lines, unsigned int n)
{
	cr_assert_leq(n, 10);
	for (unsigned int i = 0; i < n; i++)
		ok[i] = manifest_parse(lines[i], i, &mods[i]);
	host_log_reset();
	manifest_link_modules(mods, ok, n);
	return host_log_count();
}

Test(manifest, initrd_attaches_to_its_partition_in_any_order)
{
	const char *const lines[] = {
		"/guests/initrd.cpio.gz initrd-for=linux1",
		"/guests/hello.elf name=hello",
		"/guests/vmlinuz name=linux0 mem=256M -- console=ttyS0",
		"/guests/vmlinuz name=linux1 mem=256M -- console=ttyS0 quiet",
		"/guests/initrd0.cpio.gz initrd-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 5), 0, "logged '%s'", host_log_line(0));
	for (unsigned int i = 0; i < 5; i++)
		cr_assert(ok[i], "module %u", i);
	cr_assert_eq(mods[3].initrd_module, 0);
	cr_assert_eq(mods[2].initrd_module, 4);
	cr_assert_eq(mods[1].initrd_module, MANIFEST_NO_MODULE);
}

Test(manifest, initrd_for_no_partition_refused)
{
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0",
		"/guests/initrd.cpio.gz initrd-for=linux9",
	};
	cr_assert_eq(parse_all(lines, 2), 1);
	cr_assert(host_log_contains("manifest: module 1: key 'initrd-for' names no partition 'linux9'"),
		  "%s", host_log_line(0));
	cr_assert_not(ok[1]);
	cr_assert(ok[0]);
	cr_assert_eq(mods[0].initrd_module, MANIFEST_NO_MODULE);
}

Test(manifest, initrd_for_a_refused_partition_refused)
{
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0 colour=red",
		"/guests/initrd.cpio.gz initrd-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 2), 1);
	cr_assert(host_log_contains("module 1: key 'initrd-for' names no partition 'linux0'"));
	cr_assert_not(ok[1]);
}

Test(manifest, second_initrd_refused)
{
	const char *const lines[] = {
		"/guests/initrd-a initrd-for=linux0",
		"/guests/vmlinuz name=linux0",
		"/guests/initrd-b initrd-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 3), 1);
	cr_assert(host_log_contains("module 2: key 'initrd-for': partition 'linux0' already has an initrd (module 0)"),
		  "%s", host_log_line(0));
	cr_assert(ok[0]);
	cr_assert_not(ok[2]);
	cr_assert_eq(mods[1].initrd_module, 0);
}

Test(manifest, initrd_goes_to_the_first_of_two_same_named_partitions)
{
	/* partition_create refuses the second "linux0" later; the initrd must
	 * belong to the one that is created. */
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0",
		"/guests/vmlinuz name=linux0",
		"/guests/initrd initrd-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 3), 0);
	cr_assert_eq(mods[0].initrd_module, 2);
	cr_assert_eq(mods[1].initrd_module, MANIFEST_NO_MODULE);
}

Test(manifest, on_triple_fault_policy)
{
	struct manifest_entry e;
	cr_assert(manifest_parse("name=a on_triple_fault=restart", 0, &e));
	cr_assert(e.restart_on_triple_fault);
	cr_assert(manifest_parse("name=a on_triple_fault=stop", 0, &e));
	cr_assert_not(e.restart_on_triple_fault);
	cr_assert(manifest_parse("name=a", 0, &e));
	cr_assert_not(e.restart_on_triple_fault, "stop is the default");
	cr_assert_not(manifest_parse("name=a on_triple_fault=reboot", 0, &e));
	cr_assert(host_log_contains("on_triple_fault"), "the refusal names the key");
}

Test(manifest, restart_limit_switch)
{
	struct manifest_entry e;
	cr_assert(manifest_parse("name=a", 0, &e));
	cr_assert_not(e.restart_unlimited, "the rate limit is on by default");
	cr_assert(manifest_parse("name=a restart_limit=off", 0, &e));
	cr_assert(e.restart_unlimited);
	cr_assert(manifest_parse("name=a restart_limit=on", 0, &e));
	cr_assert_not(e.restart_unlimited);
	cr_assert_not(manifest_parse("name=a restart_limit=offf", 0, &e));
	cr_assert_not(manifest_parse("name=a restart_limit=", 0, &e));
	cr_assert(host_log_contains("restart_limit"), "the refusal names the key");
}

/* ---- issue 5: scheduling, devices, disks and networks ------------------------ */

Test(manifest, new_keys_defaults)
{
	assert_accepted("/guests/vmlinuz name=linux0");
	cr_assert_eq(m.affinity, 0, "0 = any host CPU");
	cr_assert_eq(m.priority, MANIFEST_DEFAULT_PRIORITY);
	cr_assert_eq(MANIFEST_DEFAULT_PRIORITY, 4);
	cr_assert_eq(m.disk_size, 0);
	cr_assert_str_eq(m.net, "");
	cr_assert_not(m.mac_given);
	cr_assert_eq(m.devices, 0);
	cr_assert_str_eq(m.disk_for, "");
	cr_assert_not(m.readonly);
	cr_assert_eq(m.nr_disks, 0);
	for (unsigned int k = 0; k < MANIFEST_MAX_DISKS; k++)
		cr_assert_eq(m.disk_module[k], MANIFEST_NO_MODULE);
	cr_assert(manifest_is_partition(&m));
	cr_assert_not(manifest_is_disk(&m));
	cr_assert_eq(manifest_disk_count(&m), 0);
}

Test(manifest, the_documented_example_line)
{
	assert_accepted("/guests/vmlinuz name=linux1 mem=256M cpus=2 affinity=0 priority=4 net=lan0 "
			"mac=52:54:00:00:00:01 devices=rng,console -- console=ttyS0 quiet");
	cr_assert_eq(m.cpus, 2);
	cr_assert_eq(m.affinity, 0x1);
	cr_assert_eq(m.priority, 4);
	cr_assert_str_eq(m.net, "lan0");
	cr_assert(m.mac_given);
	const uint8_t want[MANIFEST_MAC_LEN] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
	cr_assert_arr_eq(m.mac, want, sizeof(want));
	cr_assert_eq(m.devices, MANIFEST_DEV_RNG | MANIFEST_DEV_CONSOLE);
	cr_assert_str_eq(m.cmdline, "console=ttyS0 quiet");
}

Test(manifest, affinity_lists)
{
	assert_accepted("x name=a affinity=0");
	cr_assert_eq(m.affinity, 0x1);
	assert_accepted("x name=a affinity=1");
	cr_assert_eq(m.affinity, 0x2);
	assert_accepted("x name=a affinity=0-1");
	cr_assert_eq(m.affinity, 0x3);
	assert_accepted("x name=a affinity=0,2-3");
	cr_assert_eq(m.affinity, 0xd);
	assert_accepted("x name=a affinity=15");
	cr_assert_eq(m.affinity, 0x8000);
	assert_accepted("x name=a affinity=0-15");
	cr_assert_eq(m.affinity, 0xffff);
	assert_accepted("x name=a affinity=3-3");
	cr_assert_eq(m.affinity, 0x8);
	assert_accepted("x name=a affinity=\"1,5-6,9\"");
	cr_assert_eq(m.affinity, 0x262);
	/* A set: overlapping items are harmless. */
	assert_accepted("x name=a affinity=1,0-2,1");
	cr_assert_eq(m.affinity, 0x7);
	/* Later wins, as for every key. */
	assert_accepted("x name=a affinity=0 affinity=2");
	cr_assert_eq(m.affinity, 0x4);
}

Test(manifest, affinity_refusals)
{
	assert_refused("x name=a affinity=", "key 'affinity' has an empty item");
	assert_refused("x name=a affinity", "key 'affinity' needs");
	assert_refused("x name=a affinity=0,", "key 'affinity' has an empty item");
	assert_refused("x name=a affinity=,0", "key 'affinity' has an empty item");
	assert_refused("x name=a affinity=0,,1", "key 'affinity' has an empty item");
	assert_refused("x name=a affinity=3-1", "key 'affinity': range '3-1' is reversed");
	assert_refused("x name=a affinity=16", "key 'affinity': '16' lies outside host CPUs 0-15");
	assert_refused("x name=a affinity=0-16", "key 'affinity': '0-16' lies outside");
	assert_refused("x name=a affinity=99999999999999999999999", "key 'affinity':");
	assert_refused("x name=a affinity=4294967296", "lies outside"); /* must not wrap to 0 */
	assert_refused("x name=a affinity=0-", "key 'affinity': '0-' is not a CPU number or range");
	assert_refused("x name=a affinity=-1", "key 'affinity': '-1' is not");
	assert_refused("x name=a affinity=1-2-3", "key 'affinity': '1-2-3' is not");
	assert_refused("x name=a affinity=0x1", "key 'affinity': '0x1' is not");
	assert_refused("x name=a affinity=a", "key 'affinity': 'a' is not");
	assert_refused("x name=a affinity=\"0, 1\"", "key 'affinity': ' 1' is not");
	assert_refused("x name=a affinity=0;1", "key 'affinity'");
}

Test(manifest, affinity_refusal_quotes_at_most_a_short_item)
{
	static char line[1024], item[400];
	memset(item, '7', sizeof(item) - 1);
	snprintf(line, sizeof(line), "x name=a affinity=%s", item);
	assert_refused(line, "key 'affinity':");
	cr_assert_lt(strlen(host_log_line(0)), 200, "%s", host_log_line(0));
}

Test(manifest, priority)
{
	assert_accepted("x name=a priority=0");
	cr_assert_eq(m.priority, 0);
	assert_accepted("x name=a priority=7");
	cr_assert_eq(m.priority, 7);
	assert_accepted("x name=a priority=4");
	cr_assert_eq(m.priority, 4);
	assert_refused("x name=a priority=8", "key 'priority' needs 0-7");
	assert_refused("x name=a priority=-1", "key 'priority'");
	assert_refused("x name=a priority=4294967300", "key 'priority'"); /* no truncation */
	assert_refused("x name=a priority=high", "key 'priority'");
	assert_refused("x name=a priority=1K", "key 'priority'");
	assert_refused("x name=a priority=", "key 'priority'");
	assert_refused("x name=a priority", "key 'priority'");
}

Test(manifest, disk_size)
{
	assert_accepted("x name=a disk=4K");
	cr_assert_eq(m.disk_size, KiB(4));
	assert_accepted("x name=a disk=64M");
	cr_assert_eq(m.disk_size, MiB(64));
	assert_accepted("x name=a disk=1G");
	cr_assert_eq(m.disk_size, GiB(1));
	assert_accepted("x name=a disk=4608"); /* 9 sectors */
	cr_assert_eq(m.disk_size, 4608);
	assert_accepted("x name=a disk=0x100000");
	cr_assert_eq(m.disk_size, MiB(1));
	cr_assert_eq(manifest_disk_count(&m), 1, "disk= is a disk of its own");
	assert_refused("x name=a disk=4095", "key 'disk' needs a size from 4K to 1G");
	assert_refused("x name=a disk=3584", "key 'disk'"); /* 7 sectors: too small */
	assert_refused("x name=a disk=4097", "key 'disk'"); /* not whole sectors */
	assert_refused("x name=a disk=4352", "key 'disk'"); /* 4K + 256 */
	assert_refused("x name=a disk=1025M", "key 'disk'");
	assert_refused("x name=a disk=2G", "key 'disk'");
	assert_refused("x name=a disk=0", "key 'disk'");
	assert_refused("x name=a disk=64MB", "key 'disk'");
	assert_refused("x name=a disk=", "key 'disk'");
	assert_refused("x name=a disk", "key 'disk'");
}

Test(manifest, net_switch_name)
{
	assert_accepted("x name=a net=lan0");
	cr_assert_str_eq(m.net, "lan0");
	cr_assert_not(m.mac_given, "the platform derives the MAC");
	assert_accepted("x name=a net=abcdefghijklmno");                                  /* 15 */
	assert_refused("x name=a net=abcdefghijklmnop", "key 'net' needs a switch name"); /* 16 */
	assert_refused("x name=a net=LAN", "key 'net'");
	assert_refused("x name=a net=a.b", "key 'net'");
	assert_refused("x name=a net=", "key 'net'");
	assert_refused("x name=a net", "key 'net'");
}

Test(manifest, mac_address)
{
	assert_accepted("x name=a net=lan0 mac=52:54:00:12:34:56");
	cr_assert(m.mac_given);
	const uint8_t a[MANIFEST_MAC_LEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	cr_assert_arr_eq(m.mac, a, sizeof(a));
	/* Either case; order against net= does not matter. */
	assert_accepted("x name=a mac=02:aB:Cd:eF:00:ff net=lan0");
	const uint8_t b[MANIFEST_MAC_LEN] = { 0x02, 0xab, 0xcd, 0xef, 0x00, 0xff };
	cr_assert_arr_eq(m.mac, b, sizeof(b));
	/* Only the first octet's bit 0 matters; 0xfe is unicast. */
	assert_accepted("x name=a net=l mac=fe:ff:ff:ff:ff:ff");
	assert_accepted("x name=a net=l mac=00:00:00:00:00:01");

	assert_refused("x name=a net=l mac=01:00:5e:00:00:01", "key 'mac' is a multicast address");
	assert_refused("x name=a net=l mac=ff:ff:ff:ff:ff:ff", "key 'mac' is a multicast");
	assert_refused("x name=a net=l mac=00:00:00:00:00:00", "key 'mac' is all zero");
	assert_refused("x name=a net=l mac=52:54:00:12:34", "key 'mac' needs six hex octets");
	assert_refused("x name=a net=l mac=52:54:00:12:34:56:78", "key 'mac' needs six");
	assert_refused("x name=a net=l mac=52-54-00-12-34-56", "key 'mac' needs six");
	assert_refused("x name=a net=l mac=525400123456", "key 'mac' needs six");
	assert_refused("x name=a net=l mac=52:54:00:12:34:5g", "key 'mac' needs six");
	assert_refused("x name=a net=l mac=52:54:00:12:34:5", "key 'mac' needs six");
	assert_refused("x name=a net=l mac=2:54:00:12:34:56:", "key 'mac' needs six");
	assert_refused("x name=a net=l mac=", "key 'mac'");
	assert_refused("x name=a net=l mac", "key 'mac'");
}

Test(manifest, mac_without_net_refused)
{
	assert_refused("x name=a mac=52:54:00:12:34:56", "key 'mac' needs 'net=SWITCH'");
	assert_refused("x mac=52:54:00:12:34:56 name=a devices=rng", "key 'mac' needs 'net=SWITCH'");
}

Test(manifest, devices_list)
{
	assert_accepted("x name=a devices=rng");
	cr_assert_eq(m.devices, MANIFEST_DEV_RNG);
	assert_accepted("x name=a devices=console");
	cr_assert_eq(m.devices, MANIFEST_DEV_CONSOLE);
	assert_accepted("x name=a devices=console,rng");
	cr_assert_eq(m.devices, MANIFEST_DEV_RNG | MANIFEST_DEV_CONSOLE);
	cr_assert_neq(MANIFEST_DEV_RNG, MANIFEST_DEV_CONSOLE);
	assert_refused("x name=a devices=rng,rng", "key 'devices' names 'rng' twice");
	assert_refused("x name=a devices=console,rng,console", "key 'devices' names 'console' twice");
	assert_refused("x name=a devices=blk", "key 'devices': unknown device 'blk'");
	assert_refused("x name=a devices=rng,net", "key 'devices': unknown device 'net'");
	assert_refused("x name=a devices=RNG", "unknown device 'RNG'");
	assert_refused("x name=a devices=rn", "unknown device 'rn'");
	assert_refused("x name=a devices=rngg", "unknown device 'rngg'");
	assert_refused("x name=a devices=rng,", "key 'devices' has an empty item");
	assert_refused("x name=a devices=,rng", "key 'devices' has an empty item");
	assert_refused("x name=a devices=", "key 'devices' has an empty item");
	assert_refused("x name=a devices", "key 'devices' needs");
}

Test(manifest, disk_module)
{
	assert_accepted("/guests/disk1.img disk-for=linux1");
	cr_assert(manifest_is_disk(&m));
	cr_assert_not(manifest_is_initrd(&m));
	cr_assert_not(manifest_is_partition(&m));
	cr_assert_str_eq(m.disk_for, "linux1");
	cr_assert_str_eq(m.name, "", "a disk module declares no partition");
	cr_assert_not(m.readonly);
	assert_accepted("disk-for=l readonly=yes");
	cr_assert(m.readonly);
	assert_accepted("x readonly=no disk-for=l");
	cr_assert_not(m.readonly);
}

Test(manifest, disk_module_refusals)
{
	assert_refused("x disk-for=", "key 'disk-for' needs a partition name");
	assert_refused("x disk-for", "key 'disk-for'");
	assert_refused("x disk-for=Linux0", "key 'disk-for'");
	assert_refused("x disk-for=abcdefghijklmnop", "key 'disk-for'");
	assert_refused("x disk-for=l readonly=true", "key 'readonly' needs yes or no");
	assert_refused("x disk-for=l readonly=", "key 'readonly'");
	assert_refused("x disk-for=l readonly", "key 'readonly'");
	assert_refused("x disk-for=l mem=16M",
		       "key 'mem' does not apply to a disk module (disk-for=l)");
	assert_refused("x name=foo disk-for=l", "key 'name' does not apply to a disk module");
	assert_refused("x disk-for=l disk=1M", "key 'disk' does not apply to a disk module");
	assert_refused("x disk-for=l -- quiet", "key '--' does not apply to a disk module");
	assert_refused("x disk-for=l colour=red", "unknown key 'colour'");
	assert_refused("x disk-for=l initrd-for=l", "keys 'initrd-for' and 'disk-for' both given");
	assert_refused("x initrd-for=l disk-for=l", "keys 'initrd-for' and 'disk-for'");
}

Test(manifest, readonly_only_on_disk_modules)
{
	assert_refused("x name=a readonly=yes", "key 'readonly' applies only to a disk module");
	assert_refused("x initrd-for=l readonly=no",
		       "key 'readonly' does not apply to an initrd module");
}

Test(manifest, disks_attach_in_module_order)
{
	const char *const lines[] = {
		"/guests/d0.img disk-for=linux1 readonly=yes",
		"/guests/vmlinuz name=linux0 mem=256M",
		"/guests/d1.img disk-for=linux0",
		"/guests/vmlinuz name=linux1 mem=256M net=lan0",
		"/guests/initrd.cpio.gz initrd-for=linux1",
		"/guests/d2.img disk-for=linux1",
	};
	cr_assert_eq(parse_all(lines, 6), 0, "logged '%s'", host_log_line(0));
	for (unsigned int i = 0; i < 6; i++)
		cr_assert(ok[i], "module %u", i);
	cr_assert_eq(mods[3].nr_disks, 2);
	cr_assert_eq(mods[3].disk_module[0], 0, "vda");
	cr_assert_eq(mods[3].disk_module[1], 5, "vdb");
	cr_assert_eq(mods[3].disk_module[2], MANIFEST_NO_MODULE);
	cr_assert_eq(mods[3].initrd_module, 4);
	cr_assert(mods[0].readonly);
	cr_assert_eq(mods[1].nr_disks, 1);
	cr_assert_eq(mods[1].disk_module[0], 2);
	cr_assert_eq(mods[1].initrd_module, MANIFEST_NO_MODULE);
}

Test(manifest, disk_for_no_partition_refused)
{
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0",
		"/guests/d.img disk-for=linux9",
		"/guests/vmlinuz name=bad colour=red",
		"/guests/e.img disk-for=bad",
	};
	cr_assert_eq(parse_all(lines, 4), 2);
	cr_assert(host_log_contains("manifest: module 1: key 'disk-for' names no partition 'linux9'"),
		  "%s", host_log_line(0));
	cr_assert(host_log_contains("manifest: module 3: key 'disk-for' names no partition 'bad'"),
		  "%s", host_log_line(1));
	cr_assert(ok[0]);
	cr_assert_not(ok[1]);
	cr_assert_not(ok[3]);
	cr_assert_eq(mods[0].nr_disks, 0);
}

Test(manifest, disk_modules_never_name_a_partition_by_themselves)
{
	/* A disk module has no name; neither it nor an initrd module is a
	 * partition another module could attach to. */
	const char *const lines[] = {
		"/guests/d.img disk-for=linux0",
		"/guests/e.img disk-for=",
	};
	cr_assert_eq(parse_all(lines, 2), 1);
	cr_assert_not(ok[0]);
}

Test(manifest, fifth_disk_refused)
{
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0", "/guests/d0 disk-for=linux0",
		"/guests/d1 disk-for=linux0",  "/guests/d2 disk-for=linux0",
		"/guests/d3 disk-for=linux0",  "/guests/d4 disk-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 6), 1);
	cr_assert(host_log_contains("manifest: module 5: key 'disk-for': partition 'linux0' already has 4 disks (at most 4)"),
		  "%s", host_log_line(0));
	cr_assert_not(ok[5]);
	cr_assert_eq(mods[0].nr_disks, MANIFEST_MAX_DISKS);
	for (unsigned int k = 0; k < MANIFEST_MAX_DISKS; k++)
		cr_assert_eq(mods[0].disk_module[k], (int)k + 1);
	cr_assert_eq(manifest_disk_count(&mods[0]), 4);
}

Test(manifest, empty_disk_comes_after_the_disk_modules_and_counts)
{
	const char *const lines[] = {
		"/guests/d0 disk-for=linux0", "/guests/vmlinuz name=linux0 disk=64M",
		"/guests/d1 disk-for=linux0", "/guests/d2 disk-for=linux0",
		"/guests/d3 disk-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 5), 1);
	cr_assert(host_log_contains("manifest: module 4: key 'disk-for': partition 'linux0' already has 4 disks, counting its disk= (at most 4)"),
		  "%s", host_log_line(0));
	cr_assert_not(ok[4]);
	cr_assert_eq(mods[1].nr_disks, 3);
	cr_assert_eq(mods[1].disk_module[0], 0);
	cr_assert_eq(mods[1].disk_module[1], 2);
	cr_assert_eq(mods[1].disk_module[2], 3);
	cr_assert_eq(mods[1].disk_size, MiB(64));
	cr_assert_eq(manifest_disk_count(&mods[1]), 4, "vda-vdc modules, vdd the empty disk");
}

Test(manifest, disks_go_to_the_first_of_two_same_named_partitions)
{
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0",
		"/guests/vmlinuz name=linux0",
		"/guests/d disk-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 3), 0);
	cr_assert_eq(mods[0].nr_disks, 1);
	cr_assert_eq(mods[1].nr_disks, 0);
}

Test(manifest, linking_twice_gives_the_same_result)
{
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0",
		"/guests/d disk-for=linux0",
		"/guests/i initrd-for=linux0",
	};
	cr_assert_eq(parse_all(lines, 3), 0);
	host_log_reset();
	manifest_link_modules(mods, ok, 3);
	cr_assert_eq(host_log_count(), 0, "%s", host_log_line(0));
	cr_assert_eq(mods[0].nr_disks, 1);
	cr_assert_eq(mods[0].initrd_module, 2);
}

Test(manifest, link_initrds_still_links_everything)
{
	/* platform/pc/main.c's older call: the same as manifest_link_modules. */
	const char *const lines[] = {
		"/guests/vmlinuz name=linux0",
		"/guests/d disk-for=linux0",
		"/guests/i initrd-for=linux0",
		"/guests/e disk-for=nobody",
	};
	for (unsigned int i = 0; i < 4; i++)
		ok[i] = manifest_parse(lines[i], i, &mods[i]);
	host_log_reset();
	manifest_link_initrds(mods, ok, 4);
	cr_assert_eq(host_log_count(), 1);
	cr_assert(host_log_contains("module 3: key 'disk-for' names no partition 'nobody'"));
	cr_assert_eq(mods[0].initrd_module, 2);
	cr_assert_eq(mods[0].nr_disks, 1);
	cr_assert_eq(mods[0].disk_module[0], 1);
}

Test(manifest, documented_two_linux_partitions_on_a_switch)
{
	/* docs/manifest.md, "Devices, disks and networks". */
	const char *const lines[] = {
		"/guests/vmlinuz name=linux1 mem=256M cpus=2 affinity=0 priority=4 net=lan0 mac=52:54:00:00:00:01 devices=rng,console -- console=ttyS0 quiet",
		"/guests/initrd.cpio.gz initrd-for=linux1",
		"/guests/disk1.img disk-for=linux1",
		"/guests/vmlinuz name=linux2 mem=256M affinity=1 net=lan0 disk=64M -- console=ttyS0 root=/dev/vda",
		"/guests/initrd.cpio.gz initrd-for=linux2",
		"/guests/rootfs2.img disk-for=linux2 readonly=yes",
		"/guests/tests.elf name=tests mem=16M affinity=0-1 priority=6 devices=rng",
	};
	cr_assert_eq(parse_all(lines, 7), 0, "logged '%s'", host_log_line(0));
	for (unsigned int i = 0; i < 7; i++)
		cr_assert(ok[i], "module %u", i);
	cr_assert_eq(mods[0].initrd_module, 1);
	cr_assert_eq(mods[0].nr_disks, 1);
	cr_assert_eq(mods[0].disk_module[0], 2);
	cr_assert_str_eq(mods[3].net, "lan0");
	cr_assert_not(mods[3].mac_given);
	cr_assert_eq(mods[3].affinity, 0x2);
	cr_assert_eq(mods[3].priority, MANIFEST_DEFAULT_PRIORITY);
	cr_assert_eq(manifest_disk_count(&mods[3]), 2);
	cr_assert_eq(mods[3].disk_module[0], 5);
	cr_assert(mods[5].readonly);
	cr_assert_eq(mods[6].affinity, 0x3);
	cr_assert_eq(mods[6].priority, 6);
	cr_assert_eq(mods[6].devices, MANIFEST_DEV_RNG);
	cr_assert_eq(mods[6].nr_disks, 0);
}

/* ---- kind=multiboot, module-for=, fw_cfg=, acpi=, debug-exit= (issue 14) ---- */

Test(manifest, multiboot_kind_and_its_keys)
{
	assert_accepted("/guests/mbtest.elf name=mb0 mem=32M kind=multiboot debug-exit=0xf4 -- exit=5 hi");
	cr_assert_eq(m.kind, MANIFEST_KIND_MULTIBOOT);
	cr_assert(m.debug_exit_given);
	cr_assert_eq(m.debug_exit_port, 0xf4);
	cr_assert_str_eq(m.cmdline, "exit=5 hi");
	cr_assert(m.cmdline_given);
	cr_assert(manifest_fw_cfg_on(&m), "fw_cfg defaults on for kind=multiboot");
	cr_assert(manifest_acpi_on(&m, false), "acpi defaults on for kind=multiboot");
	assert_refused("x name=mb0 kind=multiboot mode=prot",
		       "key 'mode' does not apply to a Multiboot kernel");
	assert_refused("x name=mb0 kind=multiboot load=0x100000",
		       "key 'load' does not apply to a Multiboot");
	assert_refused("x name=mb0 kind=multiboot entry=0x100000",
		       "key 'entry' does not apply to a Multiboot");
	assert_refused("x name=mb0 kind=grub", "key 'kind' needs linux, multiboot or auto");
}

Test(manifest, switches_and_their_defaults)
{
	assert_accepted("x name=a");
	cr_assert_not(manifest_fw_cfg_on(&m));
	cr_assert_not(manifest_acpi_on(&m, false));
	cr_assert(manifest_acpi_on(&m, true), "acpi defaults on for a Linux image");
	cr_assert_not(m.debug_exit_given);
	assert_accepted("x name=a fw_cfg=on acpi=on");
	cr_assert(manifest_fw_cfg_on(&m));
	cr_assert(manifest_acpi_on(&m, false));
	assert_accepted("x name=a kind=multiboot fw_cfg=off acpi=off");
	cr_assert_not(manifest_fw_cfg_on(&m));
	cr_assert_not(manifest_acpi_on(&m, false));
	assert_accepted("x name=a kind=linux acpi=off");
	cr_assert_not(manifest_acpi_on(&m, true));
	assert_refused("x name=a fw_cfg=yes", "key 'fw_cfg' needs on or off");
	assert_refused("x name=a acpi", "key 'acpi' needs on or off");
	assert_refused("x name=a acpi=onn", "key 'acpi' needs on or off");
}

Test(manifest, x2apic_and_kvm_pv_default_on)
{
	assert_accepted("x name=a");
	cr_assert(manifest_x2apic_on(&m));
	cr_assert(manifest_kvm_pv_on(&m));
	assert_accepted("x name=a x2apic=off kvm-pv=off");
	cr_assert_not(manifest_x2apic_on(&m));
	cr_assert_not(manifest_kvm_pv_on(&m));
	assert_accepted("x name=a x2apic=on kvm-pv=on");
	cr_assert(manifest_x2apic_on(&m));
	cr_assert(manifest_kvm_pv_on(&m));
	assert_refused("x name=a kvm-pv=kvm", "key 'kvm-pv' needs on or off");
	assert_refused("x name=a x2apic", "key 'x2apic' needs on or off");
}

Test(manifest, debug_exit_port)
{
	assert_accepted("x name=a debug-exit=0x501");
	cr_assert_eq(m.debug_exit_port, 0x501);
	assert_accepted("x name=a debug-exit=244");
	cr_assert_eq(m.debug_exit_port, 0xf4);
	assert_refused("x name=a debug-exit=0", "key 'debug-exit'");
	assert_refused("x name=a debug-exit=0xffff", "key 'debug-exit'");
	assert_refused("x name=a debug-exit=0x10000", "key 'debug-exit'");
	assert_refused("x name=a debug-exit=port", "key 'debug-exit'");
	assert_refused("x name=a debug-exit", "key 'debug-exit'");
}

Test(manifest, module_for_lines)
{
	assert_accepted("/guests/mod.txt module-for=mb0");
	cr_assert(manifest_is_mb_module(&m));
	cr_assert_not(manifest_is_partition(&m));
	cr_assert_str_eq(m.module_for, "mb0");
	cr_assert_str_eq(m.cmdline, "");
	assert_accepted("/guests/mod.txt module-for=mb0 -- some args, here");
	cr_assert_str_eq(m.cmdline, "some args, here", "the module's string");
	assert_refused("x module-for=mb0 mem=16M", "key 'mem' does not apply to a Multiboot module");
	assert_refused("x module-for=mb0 readonly=yes",
		       "key 'readonly' does not apply to a Multiboot module");
	assert_refused("x module-for=mb0 initrd-for=mb0",
		       "keys 'module-for' and 'initrd-for' both given");
	assert_refused("x module-for=mb0 disk-for=mb0",
		       "keys 'module-for' and 'disk-for' both given");
	assert_refused("x module-for=MB", "key 'module-for' needs a partition name");
	assert_refused("x module-for=", "key 'module-for' needs a partition name");
}

Test(manifest, module_for_links_in_order_to_multiboot_partitions)
{
	const char *const lines[] = {
		"/m/a.txt module-for=mb0 -- first", "/k/mbtest.elf name=mb0 kind=multiboot",
		"/m/b.txt module-for=mb0",          "/k/hello.elf name=plain",
		"/m/c.txt module-for=plain",        "/m/d.txt module-for=nobody",
	};
	cr_assert_eq(parse_all(lines, 6), 2, "logged %u lines", host_log_count());
	cr_assert(host_log_contains(
			"manifest: module 4: key 'module-for': partition 'plain' is not kind=multiboot"));
	cr_assert(host_log_contains(
			"manifest: module 5: key 'module-for' names no partition 'nobody'"));
	cr_assert_not(ok[4]);
	cr_assert_not(ok[5]);
	cr_assert_eq(mods[1].nr_mb_modules, 2);
	cr_assert_eq(mods[1].mb_module[0], 0);
	cr_assert_eq(mods[1].mb_module[1], 2);
	cr_assert_eq(mods[3].nr_mb_modules, 0);
}

Test(manifest, module_for_at_most_eight)
{
	const char *const lines[] = {
		"k name=mb kind=multiboot", "m module-for=mb", "m module-for=mb", "m module-for=mb",
		"m module-for=mb",          "m module-for=mb", "m module-for=mb", "m module-for=mb",
		"m module-for=mb",          "m module-for=mb",
	};
	cr_assert_eq(parse_all(lines, 10), 1);
	cr_assert(host_log_contains(
			"manifest: module 9: key 'module-for': partition 'mb' already has 8 modules"));
	cr_assert_eq(mods[0].nr_mb_modules, 8);
}
