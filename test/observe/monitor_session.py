#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""monitor_session.py QEMU_RUN ELF [qemu-run options]: a scripted session
with kmem_monitor() through a pseudo-terminal (kmem-qemu-run --interactive),
checking each answer.  TAP on stdout.

Every command gets a pattern its answer must match before the next prompt,
and every mistake (unknown command, bad number, a free the monitor did not
allocate, an unmanaged page, a non-canonical address) must get one error
line and leave the monitor running: the payload's exit status is the
number of failed commands, so it must equal the mistakes made.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'lib'))
from tap import done, ok  # noqa: E402

import pexpect

PROMPT = 'kmem> '


def main():
    qemu_run, elf, opts = sys.argv[1], sys.argv[2], sys.argv[3:]
    child = pexpect.spawn(qemu_run, [elf, '--interactive'] + opts,
                          encoding='utf-8', codec_errors='replace',
                          timeout=60)
    child.expect('kmem monitor: type help')
    child.expect_exact(PROMPT)
    mistakes = 0
    state = {}

    def run(cmd, pattern, what, mistake=False):
        nonlocal mistakes
        child.sendline(cmd)
        try:
            child.expect_exact(PROMPT)
            out = child.before
        except (pexpect.TIMEOUT, pexpect.EOF):
            out = child.before or ''
            ok(False, f"{cmd!r}: {what} (no prompt came back)", out)
            return None
        # The echo of the command comes first; the answer follows it.
        answer = out.split('\n', 1)[1] if '\n' in out else ''
        answer = answer.replace('\r', '')
        m = re.search(pattern, answer, re.M | re.S)
        if mistake:
            mistakes += 1
            lines = [l for l in answer.split('\n') if l]
            ok(m is not None and len(lines) == 1 and
               lines[0].startswith('error: '), f"{cmd!r}: {what}", answer)
        else:
            ok(m is not None and 'error:' not in answer,
               f"{cmd!r}: {what}", answer)
        return m

    run('help', r'^mem .*^alloc SIZE \[DOMAIN\].*^quit', 'lists commands')
    m = run('mem', r'^free (\d+) of (\d+) pages.*commit \d+/\d+ KiB.*'
            r'page-table pages (\d+)', 'free pages, commit, page tables')
    free0 = int(m.group(1)) if m else 0
    m = run('domains', r'^domain 0: (\d+) pages, (\d+) free.*blocks by '
            r'order:( \d+){12}$', 'domain 0 with 12 orders')
    ndomains = len(re.findall(r'^domain \d+:', child.before, re.M))
    run('arenas', r'(?=.*^kernel arena +kernel +domain - +size +\d+ +in '
        r'use)(?=.*^kernel arena do +domain +domain 0 )', 'the kernel arena '
        'and the '
        'domain arenas, with their domains')
    run('vmem kernel arena', r'"kernel arena": quantum 0x1000.*span',
        'kernel arena with its segments')
    run('vmem kernel arena domain', r'"kernel arena do', 'truncated '
        'names match the full name')
    m = run('alloc 64K', r'^(0x[0-9a-f]+) 65536 bytes, pa (0x[0-9a-f]+) '
            r'domain (\d+)$', 'kmem_malloc answers VA, PA, domain')
    if m:
        state['va'], state['pa'] = m.group(1), m.group(2)
    last = ndomains - 1
    m = run(f'alloc 3M {last}', r'^(0x[0-9a-f]+) 3145728 bytes, pa '
            rf'0x[0-9a-f]+ domain {last}$', f'alloc in domain {last}')
    if m:
        state['big'] = m.group(1)
    va = state.get('va', '0x0')
    m = run(f'pt {va}', r'^L1 0x[0-9a-f]{16} V.*^L3 0x[0-9a-f]{16} V R W '
            r'G A D pa (0x[0-9a-f]+)$.*-> pa (0x[0-9a-f]+)',
            'walks L1, L2, L3 to a R+W leaf with A and D set')
    ok(m is not None and int(m.group(2), 16) == int(state.get('pa', '1'), 16),
       'pt: the leaf maps the PA alloc reported')
    run(f"page {state.get('pa', '0x0')}", r'^pa 0x[0-9a-f]+: page struct '
        r'0x[0-9a-f]+, domain \d+, segment \d+.*allocated; kmem marks: head;',
        'the first page of an allocation is marked head')
    run('mem', r'^free (\d+) of', 'mem again')
    run('lowmem', r'^lowmem handlers run \(event 1\): free pages \d+ -> '
        r'\d+$', 'lowmem counts its event')
    run(f'free {va} 64K', rf'^freed {va}$', 'free what alloc returned')
    run(f"free {state.get('big', '0x0')} 3145728", r'^freed ', 'free the '
        'domain allocation (size in bytes)')
    m = run('json', r'^\{"kmem":"machine".*^\{"kmem":"end","snap":\d+,'
            r'"lines":\d+\}$', 'the JSON report')
    # Mistakes: one error line each, and the monitor carries on.
    run('bogus', r'^error: unknown command "bogus"', 'unknown command',
        True)
    run('alloc', r'^error: alloc needs a size', 'alloc without size', True)
    run('alloc 12Q', r'^error: alloc needs a size', 'bad number', True)
    run('alloc 0xfffffffffffffffff', r'^error:', 'number too big', True)
    run('alloc 1G 99', r'^error: no domain 99', 'bad domain', True)
    run('alloc 1T', r'^error:', 'bad suffix', True)
    run('alloc 64G', r'^error: kmem_malloc: no memory', 'too big to '
        'allocate', True)
    run(f'free {va} 64K', r'^error: not an address alloc returned',
        'double free refused before kmem_free', True)
    run('free 0xffffffc000001000 4096', r'^error: not an address',
        'free of memory never allocated refused', True)
    run('free 12', r'^error: free needs VA SIZE', 'free without size',
        True)
    run('pt 0x12345678901234', r'^error: not a canonical',
        'non-canonical address', True)
    run('pt zz', r'^error: pt needs', 'bad address', True)
    run('page 0x10', r'^error: not managed RAM', 'unmanaged page', True)
    run('vmem no-such-arena', r'^error: no arena called', 'unknown arena',
        True)
    run('vmem', r'^error: vmem needs', 'vmem without name', True)
    m = run('mem', r'^free (\d+) of', 'still running after the mistakes')
    ok(m is not None and abs(int(m.group(1)) - free0) < 64,
       'everything allocated was given back (free pages as at the start, '
       'within the harts\' caches)')
    child.sendline('quit')
    child.expect('kmem monitor: bye')
    child.expect(pexpect.EOF)
    child.close()
    ok(child.exitstatus == mistakes, f'exit status is the number of '
       f'failed commands ({child.exitstatus} == {mistakes})')
    return done()


sys.exit(main())
