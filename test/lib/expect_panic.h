/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * expect_panic.h: a TAP check that a call panics with a message holding
 * two strings (the function's name and the address, say), and panics(),
 * the same as a function that answers.  Host and target tests both use
 * it; include "tap.h" and <kmem.h> first.
 *	EXPECT_PANIC(kva_free(va, n), "kva_free", "0x1000", "double free");
 */
#ifndef KMEM_EXPECT_PANIC_H
#define KMEM_EXPECT_PANIC_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define EXPECT_PANIC(call, want1, want2, what) do {			\
	struct kmem_panic_catch pc_;					\
	if (KMEM_PANIC_TRY(&pc_)) {					\
		call;							\
		kmem_panic_disarm();					\
		ok(0, "%s: no panic", what);				\
	} else								\
		ok(strstr(pc_.kp_msg, want1) != NULL &&			\
		    strstr(pc_.kp_msg, want2) != NULL,			\
		    "%s panics: %s", what, pc_.kp_msg);			\
} while (0)

/*
 * Runs fn(arg): true if it panicked with a message holding each non-NULL
 * want; the message is left in panic_msg (for the TAP line).
 */
static char panic_msg[256];

static __attribute__((__unused__)) bool
panics(void (*fn)(void *), void *arg, const char *w1, const char *w2,
    const char *w3)
{
	struct kmem_panic_catch pc;

	panic_msg[0] = '\0';
	if (KMEM_PANIC_TRY(&pc)) {
		fn(arg);
		kmem_panic_disarm();
		return (false);
	}
	snprintf(panic_msg, sizeof(panic_msg), "%s", pc.kp_msg);
	return ((w1 == NULL || strstr(pc.kp_msg, w1) != NULL) &&
	    (w2 == NULL || strstr(pc.kp_msg, w2) != NULL) &&
	    (w3 == NULL || strstr(pc.kp_msg, w3) != NULL));
}

/* "0x..." of v in buf, for the address a message must name. */
static inline const char *
expect_hex(char *buf, size_t len, unsigned long v)
{

	snprintf(buf, len, "0x%lx", v);
	return (buf);
}

#endif /* KMEM_EXPECT_PANIC_H */
