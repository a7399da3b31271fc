/* SPDX-License-Identifier: BSD-2-Clause */
/* An uncaught panic ends the run with a non-zero exit (meson should_fail). */
#include <kmem.h>
#include "tap.h"

__kmem_noreturn void panic(const char *fmt, ...);

int
main(void)
{

	diag("about to panic");
	panic("test_panic: deliberate panic at 0x%lx", 0x1234UL);
}
