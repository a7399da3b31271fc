/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tap.h: a tiny TAP producer shared by host and target tests.
 *
 *	int main(void) {
 *		ok(1 + 1 == 2, "arithmetic works");
 *		return tap_done();	// prints the plan, returns 0 iff all passed
 *	}
 *
 * Output goes to the console (stdout on the host, the SBI console on the
 * target).  Meson reads it with protocol: 'tap'.
 */
#ifndef KMEM_TAP_H
#define KMEM_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_n, tap_failed;

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return (cond);
}

static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Print the plan; 0 when every check passed (and at least one ran). */
static inline int
tap_done(void)
{

	printf("1..%d\n", tap_n);
	fflush(stdout);
	return (tap_failed == 0 && tap_n > 0 ? 0 : 1);
}

#endif /* KMEM_TAP_H */
