/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line parsing: the hypervisor's own options and the key=value
 * tokenizer that module command lines (the manifest) also use. Pure code. */
#ifndef BULKHEAD_CORE_CMDLINE_H
#define BULKHEAD_CORE_CMDLINE_H

#include "core/types.h"

/* One token: `key`, `key=value` or `key="value with spaces"`. Pointers point
 * into the parsed string; nothing is copied. */
struct kv {
	const char *key;
	size_t key_len;
	const char *val; /* NULL if the token had no '=' */
	size_t val_len;
};

/* Advances *cursor past the next token. Returns false at the end. An
 * unterminated quote takes the rest of the line (and sets kv->val_len so). */
bool cmdline_next(const char **cursor, struct kv *kv);
bool kv_key_is(const struct kv *kv, const char *key);
/* Copy the value into buf (NUL-terminated); false if it does not fit. */
bool kv_val_copy(const struct kv *kv, char *buf, size_t size);

enum on_idle { ON_IDLE_HALT, ON_IDLE_EXIT };

enum test_fault {
	TEST_FAULT_NONE,
	TEST_FAULT_UD,
	TEST_FAULT_GP,
	TEST_FAULT_PF,
	TEST_FAULT_DE,
	TEST_FAULT_STACK,     /* overflow a stack buffer: the stack protector must stop it */
	TEST_FAULT_IST_GUARD, /* touch the guard page below an IST stack: #PF */
};

struct hv_options {
	int loglevel;
	uint16_t serial_port;
	bool trace_exits;
	enum on_idle on_idle;
	enum test_fault test_fault;
	unsigned int max_cpus; /* smp=N: use at most N host CPUs; 0 = all */
	/* asid_max=N: hand out at most N ASIDs (SVM) or VPIDs (VMX) per host
	 * CPU; 0 = as many as the hardware has (core/tlb_tag.h). */
	unsigned int asid_max;
	unsigned int bad_options; /* count of refused options (each logged) */
};

void hv_options_defaults(struct hv_options *o);
/* Parses the hypervisor command line; unknown or malformed options are
 * logged one line each and otherwise ignored. */
void hv_options_parse(struct hv_options *o, const char *cmdline);

#endif
