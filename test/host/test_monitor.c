/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kmem_monitor on the host twin, under ASan and UBSan: a script on
 * standard input (the host's console input), the answers captured from
 * standard error (the host's console output).  Line editing (CR, LF, CR LF, backspace, control
 * bytes, a line longer than the buffer), every command, and the mistakes
 * that must each get one error line and change nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kmem.h>
#include "host.h"
#include "capture.h"
#include "tap.h"

static struct fdt_machine M;
static char out[256 * 1024];

/* Run the monitor on script; its output goes to out.  Returns its answer. */
static int
run_monitor(const char *script, size_t len)
{
	FILE *in, *f;
	int saved_in, saved_out, failed;
	size_t n;

	in = tmpfile();
	fwrite(script, 1, len, in);
	rewind(in);
	f = tmpfile();
	fflush(stderr);
	saved_in = dup(0);
	saved_out = dup(2);
	dup2(fileno(in), 0);
	dup2(fileno(f), 2);
	failed = kmem_monitor();
	fflush(stderr);
	dup2(saved_in, 0);
	dup2(saved_out, 2);
	close(saved_in);
	close(saved_out);
	fclose(in);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return (failed);
}

static int
run_str(const char *script)
{

	return (run_monitor(script, strlen(script)));
}

static int
count(const char *needle)
{

	return (capture_count(out, needle));
}

int
main(void)
{
	struct host_machine_cfg cfg = {
		.ndomains = 2,
		.mem_per_domain = 64UL << 20,
		.ncpus = 2,
		.isa = FDT_ISA_SVPBMT,
	};
	struct kmem_boot_info bi = { .machine = &M, .quiet = true };
	char script[4096], va[32], *p;
	u_int free0;
	int failed;

	host_machine_init(&cfg, &M);
	host_thread_register();
	ok(kmem_startup(&bi) == 0, "kmem_startup on 2 domains");

	/* Every command, with CR, LF and CR LF line ends. */
	failed = run_str("help\rmem\r\ndomains\narenas\nvmem kernel arena\n"
	    "lowmem\njson\nquit\n");
	ok(failed == 0 && count("error:") == 0, "every command runs without "
	    "an error (%d)", failed);
	ok(strstr(out, "kmem> help\n") != NULL && strstr(out,
	    "alloc SIZE [DOMAIN]") != NULL, "help lists the commands");
	ok(count("kmem> ") == 8, "CR, LF and CR LF each end one line (%d "
	    "prompts)", count("kmem> "));
	ok(strstr(out, "domain 1: ") != NULL && strstr(out,
	    "\"kernel arena\": quantum 0x1000") != NULL &&
	    strstr(out, "{\"kmem\":\"end\"") != NULL &&
	    strstr(out, "lowmem handlers run (event 1)") != NULL,
	    "domains, vmem, json and lowmem answer");
	ok(strstr(out, "kmem monitor: bye") != NULL, "quit leaves");

	/*
	 * Allocate, look, free; the VA comes from the answer.  A first round
	 * leaves what stays by design (page-table pages, vmem's tags).
	 */
	run_str("alloc 16K 1\n");
	p = strstr(out, "0x");
	snprintf(script, sizeof(script), "free %.18s 16K\n", p != NULL ? p :
	    "0");
	run_str(script);
	kmem_free_flush();
	vm_page_cache_drain();
	free0 = vm_free_count();
	failed = run_str("alloc 16K 1\n");
	p = strstr(out, "0x");
	ok(failed == 0 && p != NULL && sscanf(p, "%31s", va) == 1 &&
	    strstr(out, "16384 bytes") != NULL && strstr(out, "domain 1\n") !=
	    NULL, "alloc 16K 1: an address in domain 1 (%s)", va);
	snprintf(script, sizeof(script), "pt %s\npage 0x%lx\nfree %s 8K\n"
	    "free %s 16K\nfree %s 16K\n", va, (u_long)pmap_kextract(
	    strtoul(va, NULL, 16)), va, va, va);
	failed = run_monitor(script, strlen(script));
	ok(strstr(out, "L3 0x") != NULL && strstr(out, " V R W G A D ") !=
	    NULL && strstr(out, "allocated; kmem marks: head") != NULL,
	    "pt shows the leaf; page says allocated, head");
	ok(failed == 2 && strstr(out, "error: that allocation has another "
	    "size") != NULL && count("freed 0x") == 1 && strstr(out,
	    "error: not an address alloc returned") != NULL,
	    "free: a wrong size and a second free are refused, the right one "
	    "frees (%d failed)", failed);
	kmem_free_flush();
	vm_page_cache_drain();
	ok(vm_free_count() == free0, "nothing leaked (%u, %u)",
	    vm_free_count(), free0);

	/* Mistakes, and line editing. */
	memset(script, 0, sizeof(script));
	p = script;
	p += sprintf(p, "bogus\nalloc\nalloc 0\nalloc 99999999999999999999\n"
	    "alloc 1X\nalloc 1K 7\nalloc 1K 0 9\nalloc 0x\nalloc 1T\n"
	    "free 0x1000 4096\nfree\npt\npt 0x1234567890abcdef\npage 0x10\n"
	    "page zz\nvmem nope\nvmem\n");
	p += sprintf(p, "mex\bm\x7f\x7f" "em\n");	/* "mem" after erasing */
	p += sprintf(p, "\x01\x02helq\bp\n");	/* control bytes dropped */
	memset(p, 'a', 300);			/* longer than a line */
	p += 300;
	p += sprintf(p, "\nquit\n");
	failed = run_monitor(script, (size_t)(p - script));
	ok(failed == 18 && count("error: ") == 18, "18 mistakes, 18 error "
	    "lines, 18 failed (%d, %d)", failed, count("error: "));
	ok(strstr(out, "error: no domain 7") != NULL && strstr(out,
	    "error: alloc takes SIZE [DOMAIN]") != NULL && strstr(out,
	    "error: not a canonical") != NULL && strstr(out,
	    "error: not managed RAM") != NULL && strstr(out,
	    "error: unknown command \"aaaaaaaa") != NULL,
	    "each mistake says what was wrong");
	ok(strstr(out, "free ") != NULL && strstr(out, "pages (") != NULL &&
	    strstr(out, "alloc SIZE [DOMAIN]") != NULL, "backspace and DEL "
	    "erase, control bytes are dropped");
	ok(vm_free_count() <= free0 && free0 - vm_free_count() < 64,
	    "the mistakes allocated nothing");

	/* The end of input ends the monitor. */
	failed = run_str("mem\n");
	ok(failed == 0 && strstr(out, "kmem monitor: bye") != NULL,
	    "the end of input leaves the monitor");
	return (tap_done());
}
