/* core/manifest.c: a boot module's command line -> struct manifest_entry
 * (docs/manifest.md). Every refusal must be exactly one log line that names
 * the module and the key. */
#include <criterion/criterion.h>
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
	cr_assert(host_log_contains(needle), "%s: log '%s' lacks '%s'", line, host_log_line(0), needle);
	cr_assert(host_log_contains("manifest: module 2:"), "%s: log '%s' does not name the module", line,
		  host_log_line(0));
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
	assert_accepted("x name=abcdefghijklmno"); /* 15 */
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
