/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * platform/riscv/sbi.c: the SBI client.  Console through DBCN with the
 * legacy putchar as fallback; HSM, RFENCE, IPI and SRST.
 */
#include "riscv.h"

static bool dbcn;
static char dbcn_buf[512];	/* in the image: identity mapped, so its VA is its PA */

struct sbiret
sbi_call(long ext, long fid, long a0, long a1, long a2, long a3, long a4,
    long a5)
{
	register long r_a0 __asm__("a0") = a0;
	register long r_a1 __asm__("a1") = a1;
	register long r_a2 __asm__("a2") = a2;
	register long r_a3 __asm__("a3") = a3;
	register long r_a4 __asm__("a4") = a4;
	register long r_a5 __asm__("a5") = a5;
	register long r_a6 __asm__("a6") = fid;
	register long r_a7 __asm__("a7") = ext;
	struct sbiret ret;

	__asm__ volatile("ecall"
	    : "+r"(r_a0), "+r"(r_a1)
	    : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a6), "r"(r_a7)
	    : "memory");
	ret.error = r_a0;
	ret.value = r_a1;
	return (ret);
}

bool
sbi_probe(long ext)
{
	struct sbiret r;

	r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0, 0, 0, 0);
	return (r.error == 0 && r.value != 0);
}

void
riscv_console_init(void)
{

	dbcn = sbi_probe(SBI_EXT_DBCN);
}

void
sbi_console_write(const char *buf, size_t len)
{
	size_t n, i;

	if (!dbcn) {
		for (i = 0; i < len; i++)
			(void)sbi_call(SBI_LEGACY_PUTCHAR, 0,
			    (unsigned char)buf[i], 0, 0, 0, 0, 0);
		return;
	}
	/* DBCN takes a physical address: copy into the identity-mapped buffer. */
	while (len > 0) {
		n = len < sizeof(dbcn_buf) ? len : sizeof(dbcn_buf);
		for (i = 0; i < n; i++)
			dbcn_buf[i] = buf[i];
		for (i = 0; i < n;) {
			struct sbiret r = sbi_call(SBI_EXT_DBCN, 0, (long)(n - i),
			    (long)(uintptr_t)&dbcn_buf[i], 0, 0, 0, 0);
			if (r.error != 0)
				break;
			i += (size_t)r.value;
		}
		buf += n;
		len -= n;
	}
}

/*
 * One byte of console input, or -1 when none is waiting: DBCN read (FID 1)
 * where the firmware has it, the legacy getchar otherwise (QEMU 7.2's
 * bundled OpenSBI 1.1 has only that one).
 */
int
sbi_console_read(void)
{
	static char rbuf[1];	/* in the image: VA is PA */
	struct sbiret r;

	if (!dbcn) {
		r = sbi_call(SBI_LEGACY_GETCHAR, 0, 0, 0, 0, 0, 0, 0);
		return (r.error >= 0 && r.error <= 0xff ? (int)r.error : -1);
	}
	r = sbi_call(SBI_EXT_DBCN, 1, 1, (long)(uintptr_t)rbuf, 0, 0, 0, 0);
	return (r.error == 0 && r.value == 1 ? (unsigned char)rbuf[0] : -1);
}

long
sbi_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque)
{

	return (sbi_call(SBI_EXT_HSM, 0, (long)hartid, (long)start,
	    (long)opaque, 0, 0, 0).error);
}

long
sbi_hart_status(unsigned long hartid)
{
	struct sbiret r;

	r = sbi_call(SBI_EXT_HSM, 2, (long)hartid, 0, 0, 0, 0, 0);
	return (r.error != 0 ? r.error : r.value);
}

long
sbi_remote_sfence_vma(unsigned long mask, unsigned long base,
    unsigned long start, unsigned long size)
{

	return (sbi_call(SBI_EXT_RFENCE, 1, (long)mask, (long)base,
	    (long)start, (long)size, 0, 0).error);
}

long
sbi_send_ipi(unsigned long mask, unsigned long base)
{

	return (sbi_call(SBI_EXT_IPI, 0, (long)mask, (long)base, 0, 0, 0,
	    0).error);
}

void
sbi_shutdown(int failure)
{

	(void)sbi_call(SBI_EXT_SRST, 0, 0, failure ? 1 : 0, 0, 0, 0, 0);
}
