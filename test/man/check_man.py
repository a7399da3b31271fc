#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""check_man.py MANDIR INCLUDEDIR: the man pages, checked (TAP on stdout).

1. `mandoc -Tlint` says nothing about any page.  The one message allowed
   is "referenced manual not found" for a page of our own set (mandoc only
   knows installed pages); a reference to anything else must not be there.
2. Each page renders (`mandoc -Tutf8`, what `man -l` shows) to text that
   has its NAME section.
3. Every public function of INCLUDEDIR/kmem/*.h (declared or static inline;
   the `_inl` twins behind a macro of the same name excepted) is named by
   some page, as `.Nm NAME` or `.Fn NAME`.  A header new to the tree shows
   up here with each missing name, so whoever adds it can add the page.
"""
import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'lib'))
from tap import done, ok  # noqa: E402



def public_functions(header):
    """Names of the functions a header declares or defines inline."""
    s = open(header).read()
    s = re.sub(r'/\*.*?\*/', ' ', s, flags=re.S)
    s = re.sub(r'//[^\n]*', ' ', s)
    s = s.replace('\\\n', ' ')          # macro continuation lines
    s = '\n'.join(l for l in s.split('\n') if not l.lstrip().startswith('#'))
    top, depth = [], 0                  # top level only: bodies become ';'
    for ch in s:
        if ch == '{':
            depth += 1
            top.append(';')
        elif ch == '}':
            depth -= 1
        elif depth == 0:
            top.append(ch)
    names = []
    for decl in ''.join(top).split(';'):
        d = ' '.join(decl.split())
        if not d or 'typedef' in d or d.startswith('extern') and '(*' in d:
            continue
        m = re.search(r'\b([A-Za-z_]\w*)\s*\(', d)
        if not m or m.group(1) in ('__attribute__', '_Static_assert'):
            continue
        if re.match(r'\(\s*\*', d[m.end() - 1 + 1:].lstrip()):
            continue                    # a function pointer variable
        name = m.group(1)
        if name.endswith('_inl') or name.startswith('__'):
            continue
        names.append(name)
    return names


def main():
    mandir, incdir = sys.argv[1], sys.argv[2]
    pages = sorted(glob.glob(os.path.join(mandir, '*.[1-9]')))
    ok(len(pages) > 0, f"man pages found in {mandir} ({len(pages)})")
    named = set()
    for p in pages:
        text = open(p).read()
        named |= set(re.findall(r'^\.(?:Nm|Fn|Fo)\s+([A-Za-z_][\w-]*)', text,
                                re.M))
    ours = named | {os.path.basename(p).rsplit('.', 1)[0] for p in pages}
    for p in pages:
        r = subprocess.run(['mandoc', '-Tlint', p], capture_output=True,
                           text=True)
        bad = []
        for line in (r.stdout + r.stderr).splitlines():
            m = re.search(r'referenced manual not found: Xr (\S+) \d', line)
            if m and m.group(1) in ours:
                continue
            bad.append(line)
        ok(not bad, f"mandoc -Tlint {os.path.basename(p)}: clean", bad)
        r = subprocess.run(['mandoc', '-Tutf8', p], capture_output=True,
                           text=True)
        shown = re.sub('.\b', '', r.stdout)   # drop bold overstrikes
        ok(r.returncode == 0 and '\nNAME\n' in shown and
           len(shown) > 300, f"{os.path.basename(p)} renders "
           f"({len(r.stdout)} characters)")
    for h in sorted(glob.glob(os.path.join(incdir, 'kmem', '*.h'))):
        rel = os.path.relpath(h, os.path.dirname(incdir))
        missing = [f for f in public_functions(h) if f not in named]
        ok(not missing, f"{rel}: every public function is in a man page",
           [f"missing from every page in doc/man: {f}" for f in missing])
    return done()


sys.exit(main())
