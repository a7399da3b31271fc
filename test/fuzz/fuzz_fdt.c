/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_fdt: libFuzzer target for fdt_parse().
 *
 * Any input is a blob of exactly the given length (libFuzzer hands out an
 * exact-size heap copy, so ASan sees a read one byte past it).  The reader
 * must return 0 or -FDT_ERR_* with a message and never read outside the
 * input; on success the machine must be within its tables' bounds, and it
 * is fed to physmem_init() and the early allocator, which must cope with
 * whatever memory and reserved ranges a blob can describe.
 * libfdt (Debian's libfdt-dev) is the oracle for what both read: a blob
 * the reader accepts has a header libfdt accepts, the same total size,
 * and the root's model string libfdt finds (truncated to the field).
 * Seeds: test/fuzz/corpus/fdt (DTBs from test/data and QEMU).
 */
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>
/* libfdt and kmem/fdt.h both define these error codes: kmem's from here. */
#undef FDT_ERR_TRUNCATED
#undef FDT_ERR_BADOFFSET
#undef FDT_ERR_BADVALUE

#include <kmem/fdt.h>
#include <kmem/physmem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

static struct fdt_machine m;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = NULL;
	vm_paddr_t pa;
	int err, i, j;

	err = fdt_parse(data, size, &m, &msg);
	CHECK(msg != NULL && msg[0] != '\0');
	CHECK(err <= 0 && err >= -FDT_ERR_BADVALUE);
	CHECK(fdt_blob_size(data, size) == 0 || err != 0 ||
	    fdt_blob_size(data, size) <= size);
	if (err != 0) {
		CHECK(m.nmem == 0 && m.nrsv == 0 && m.ncpus == 0 &&
		    m.ndevs == 0);
		return (0);
	}
	/* The oracle. */
	CHECK(size >= sizeof(struct fdt_header) && fdt_check_header(data) == 0);
	CHECK(fdt_totalsize(data) == m.totalsize && m.totalsize <= size);
	{
		const char *model;
		int len;

		model = fdt_getprop(data, 0, "model", &len);
		if (fdt_check_full(data, size) == 0 && model != NULL &&
		    len > 0 && model[len - 1] == '\0' &&
		    strlen(model) == (size_t)len - 1)
			CHECK(strncmp(m.model, model, sizeof(m.model) - 1) ==
			    0);
	}
	CHECK(m.nmem >= 0 && m.nmem <= FDT_MAX_MEM);
	CHECK(m.nrsv >= 0 && m.nrsv <= FDT_MAX_RSV);
	CHECK(m.ncpus >= 0 && m.ncpus <= FDT_MAX_CPUS);
	CHECK(m.ndevs >= 0 && m.ndevs <= FDT_MAX_DEVS);
	CHECK(m.ndomains >= 1 && m.ndomains <= MAXMEMDOM);
	CHECK(memchr(m.model, '\0', sizeof(m.model)) != NULL);
	for (i = 0; i < m.nmem; i++)
		CHECK(m.mem[i].domain >= 0 && m.mem[i].domain < m.ndomains &&
		    m.mem[i].size != 0 &&
		    m.mem[i].base + m.mem[i].size > m.mem[i].base);
	for (i = 0; i < m.ncpus; i++)
		CHECK(m.cpus[i].domain >= 0 && m.cpus[i].domain < m.ndomains);
	for (i = 0; i < m.nrsv; i++)
		CHECK(memchr(m.rsv[i].name, '\0', sizeof(m.rsv[i].name)) !=
		    NULL);
	for (i = 0; i < m.ndevs; i++)
		CHECK(memchr(m.devs[i].compatible, '\0',
		    sizeof(m.devs[i].compatible)) != NULL);

	/* What a blob describes must never break the boot memory map. */
	if (m.nmem > 0 && physmem_init(&m, m.mem[0].base, m.mem[0].base +
	    0x200000, 0, 0, 0, 0) == 0) {
		CHECK(physmem.ndomains >= 1 && physmem.nmanaged >= 1);
		for (i = 0; i < physmem.nmanaged; i++) {
			CHECK(physmem.managed[i].start <
			    physmem.managed[i].end);
			CHECK(physmem.managed[i].domain >= 0 &&
			    physmem.managed[i].domain < physmem.ndomains);
			CHECK(i == 0 || physmem.managed[i].start >=
			    physmem.managed[i - 1].end);
		}
		for (j = 0; j < 8; j++) {
			pa = physmem_early_alloc(j % 3 - 1,
			    (vm_size_t)(j + 1) << 12, (vm_size_t)1 << (12 + j),
			    "fuzz");
			CHECK(pa == 0 || (pa & (((vm_paddr_t)1 << (12 + j)) -
			    1)) == 0);
		}
	}
	return (0);
}
