/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * expect_panic.h: a TAP check that a call panics with a message holding
 * two strings (the function's name and the address, say).  Host and
 * target tests both use it; include "tap.h" and <kmem.h> first.
 *	EXPECT_PANIC(kva_free(va, n), "kva_free", "0x1000", "double free");
 */
#ifndef KMEM_EXPECT_PANIC_H
#define KMEM_EXPECT_PANIC_H

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

/* "0x..." of v in buf, for the address a message must name. */
static inline const char *
expect_hex(char *buf, size_t len, unsigned long v)
{

	snprintf(buf, len, "0x%lx", v);
	return (buf);
}

#endif /* KMEM_EXPECT_PANIC_H */
