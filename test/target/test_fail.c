/* SPDX-License-Identifier: BSD-2-Clause */
/* A payload whose main fails must fail the run (meson should_fail). */
#include <kmem.h>
#include "tap.h"

int
main(void)
{

	ok(0, "this check fails on purpose");
	return (tap_done());
}
