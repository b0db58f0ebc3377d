# SPDX-License-Identifier: BSD-2-Clause
# The fake backend (tests/fake/, docs/testing.md "The fake backend"): the
# real run path of core/ (run loop, scheduler, lifecycle, exit dispatch,
# hypercalls, MSRs, vCPU helpers) and the emulated PC board, compiled for
# the host with -DBULKHEAD_FAKE_ARCH against a fake architecture and a
# scripted vCPU backend. Each tests/fake/test_*.c is one Criterion binary,
# run by `make unit` with the others. Included by the top-level Makefile.

# The board's files are found wherever they live (core/ or platform/pc/).
FAKE_CORE_SRCS := core/sched.c core/partition.c core/exits.c core/hypercall.c core/vcpu.c \
	core/msr.c core/percpu.c core/loader/image.c $(wildcard core/hv.c) \
	$(firstword $(wildcard platform/pc/platform.c core/platform.c)) \
	$(firstword $(wildcard platform/pc/virtio_platform.c core/virtio_platform.c))
FAKE_SUPPORT_SRCS := tests/fake/fake_arch.c tests/fake/fake_vcpu.c
FAKE_CFLAGS := $(HOST_CFLAGS) -DBULKHEAD_FAKE_ARCH
FAKE_OBJS := $(patsubst %.c,$(BUILD)/fake/%.o,$(FAKE_CORE_SRCS) $(FAKE_SUPPORT_SRCS))
FAKE_TEST_SRCS := $(wildcard tests/fake/test_*.c)
FAKE_BINS := $(patsubst tests/fake/%.c,$(BUILD)/fake/bin/%,$(FAKE_TEST_SRCS))
UNIT_BINS += $(FAKE_BINS)

$(BUILD)/fake/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FAKECC  $<"
	$(Q)$(HOST_CC) $(FAKE_CFLAGS) -MMD -MP -c $< -o $@

# The fake objects come first: libpure.a supplies only the pure modules
# they call (the emulator, device models, policies, lifecycle decisions).
$(BUILD)/fake/bin/%: $(BUILD)/fake/tests/fake/%.o $(FAKE_OBJS) $(BUILD)/host/libpure.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(HOST_CC) $(FAKE_CFLAGS) $< $(FAKE_OBJS) $(BUILD)/host/libpure.a -lcriterion -lpthread -o $@

.PHONY: fake-unit
fake-unit: $(FAKE_BINS)
	@scripts/run-unit.sh $(FAKE_BINS)

-include $(FAKE_OBJS:.o=.d) $(patsubst %.c,$(BUILD)/fake/%.d,$(FAKE_TEST_SRCS))
