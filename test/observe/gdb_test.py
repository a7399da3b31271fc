#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""gdb_test.py QEMU_RUN GDB KMEM_PY ELF [qemu-run options]: the gdb
helpers against a stopped payload.  TAP on stdout.

The payload (gdb_payload.c) prints "want: ..." lines with the figures its
own C calls give, then calls kmem_gdb_stop().  QEMU waits for gdb on a
free port; gdb in batch mode sources kmem.py with one line, stops at the
breakpoint, runs every kmem command, and lets the payload finish.  The
figures gdb shows must be the payload's.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'lib'))
from tap import done, ok  # noqa: E402

GDB_SCRIPT = r'''
import re
import gdb
gdb.execute("target remote :{port}")
gdb.execute("source {kmem_py}")
gdb.execute("break kmem_gdb_stop")
gdb.execute("continue")
log = open({log!r}).read()
va = re.search(r"want: va (0x[0-9a-f]+) pa (0x[0-9a-f]+)", log)
cmds = ["kmem domains", "kmem arenas", "kmem vmem kernel arena",
        "kmem vmem kernel arena domain", "kmem pt " + va.group(1),
        "kmem page " + va.group(2), "kmem vmem no-such-arena",
        "kmem page 0x10", "kmem pt 0x12345678901234"]
for c in cmds:
    print("=== " + c)
    try:
        print(gdb.execute(c, to_string=True), end="")
    except gdb.error as e:
        print("ERROR: %s" % e)
print("=== end")
gdb.execute("delete")
gdb.execute("continue")
'''


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sections(text):
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith('=== '):
            cur = line[4:]
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def main():
    qemu_run, gdbprog, kmem_py, elf = sys.argv[1:5]
    opts = sys.argv[5:]
    port = free_port()
    tmp = tempfile.mkdtemp(prefix='kmem-gdb-')
    log = os.path.join(tmp, 'console.log')
    script = os.path.join(tmp, 'run.py')
    with open(script, 'w') as f:
        f.write(GDB_SCRIPT.format(port=port, kmem_py=kmem_py, log=log))
    with open(log, 'w') as con:
        qemu = subprocess.Popen([qemu_run, elf] + opts +
                                ['--timeout', '120', '--', '-gdb',
                                 f'tcp::{port}', '-S'], stdout=con)
        g = subprocess.run([gdbprog, '-batch', '-nx', elf, '-x', script],
                           capture_output=True, text=True, timeout=200)
        rc = qemu.wait(timeout=150)
    got = sections(g.stdout)
    want = [l[6:] for l in open(log).read().splitlines()
            if l.startswith('want: ')]
    shutil.rmtree(tmp, ignore_errors=True)
    ok('end' in got, 'gdb stopped at kmem_gdb_stop and ran every command',
       g.stdout + g.stderr)
    ok(rc == 0, f'the payload ran on to exit 0 afterwards (status {rc})')

    wd = [w for w in want if w.startswith('domain ')]
    gd = [l for l in got.get('kmem domains', []) if l.startswith('domain ')]
    ok(wd and gd == wd, f'kmem domains: {len(gd)} domains, free pages and '
       'blocks per order as vm_phys_stats says', '\n'.join(gd + wd))

    wa = sorted(re.findall(r'size (\d+) inuse (\d+)', '\n'.join(
        w for w in want if w.startswith('arena '))))
    ga = sorted(re.findall(r'size (\d+) inuse (\d+)', '\n'.join(
        got.get('kmem arenas', []))))
    ok(wa and ga == wa, f'kmem arenas: {len(ga)} arenas, sizes and use as '
       'vmem_size says', '\n'.join(got.get('kmem arenas', [])))
    v = '\n'.join(got.get('kmem vmem kernel arena', []))
    ok('vmem "kernel arena"' in v and re.search(r'\) busy$', v, re.M),
       'kmem vmem kernel arena: the arena and its busy segment', v)
    v = got.get('kmem vmem kernel arena domain', [])
    ok(sum(l.startswith('vmem "kernel arena do') for l in v) == 2,
       'kmem vmem with a truncated name: both domain arenas', '\n'.join(v))

    va_pa = re.search(r'va (0x[0-9a-f]+) pa (0x[0-9a-f]+)', '\n'.join(want))
    ptkey = next((k for k in got if k.startswith('kmem pt 0xffff')), '')
    gp = re.findall(r'^L\d (0x[0-9a-f]{16}) ', '\n'.join(got.get(ptkey, [])),
                    re.M)
    wp = [w.split()[1] for w in want if w.startswith('pte ')]
    ok(gp and gp == wp, f'kmem pt: the {len(gp)} entries pmap_kwalk gives',
       '\n'.join(got.get(ptkey, []) + wp))
    m = re.search(r'-> pa (0x[0-9a-f]+)', '\n'.join(got.get(ptkey, [])))
    ok(m and va_pa and int(m.group(1), 16) == int(va_pa.group(2), 16),
       'kmem pt: translates to pmap_kextract\'s PA')
    pkey = next((k for k in got if k.startswith('kmem page 0x') and
                 k != 'kmem page 0x10'), '')
    wpg = re.search(r'page (0x[0-9a-f]+) domain (\d+)', '\n'.join(want))
    gpg = re.search(r'^pa (0x[0-9a-f]+): page struct 0x[0-9a-f]+, domain '
                    r'(\d+)', '\n'.join(got.get(pkey, [])), re.M)
    ok(wpg and gpg and gpg.groups() == wpg.groups(),
       'kmem page: the page and its domain', '\n'.join(got.get(pkey, [])))
    for cmd, msg in (('kmem vmem no-such-arena', 'no arena called'),
                     ('kmem page 0x10', 'not managed RAM'),
                     ('kmem pt 0x12345678901234', 'not canonical')):
        out = '\n'.join(got.get(cmd, []))
        ok(out.startswith('ERROR:') and msg in out, f'{cmd}: an error '
           'that says why', out)
    return done()


sys.exit(main())
