#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""memplot_test.py MEMPLOT OUTDIR ELF [qemu-run options]: scripts/memplot
on a real run (--run boots the payload), then the PNGs checked: each
exists, is a PNG, and is a picture (many colours, not a blank canvas).
Then memplot's refusals: a log without snapshots exits 1, bad usage 2.
TAP on stdout."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'lib'))
from tap import done, ok  # noqa: E402



def main():
    memplot, out, elf, opts = sys.argv[1], sys.argv[2], sys.argv[3], \
        sys.argv[4:]
    shutil.rmtree(out, ignore_errors=True)
    r = subprocess.run([memplot, '--run', elf] + opts + ['-o', out],
                       capture_output=True, text=True)
    ok(r.returncode == 0 and 'snapshots ->' in r.stdout,
       f"memplot --run {os.path.basename(elf)} draws its snapshots",
       r.stdout + r.stderr)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.image as mpimg
    import numpy as np
    for png in ('fragmentation.png', 'domains.png', 'arenas.png'):
        p = os.path.join(out, png)
        good = os.path.exists(p) and os.path.getsize(p) > 10000
        if good:
            with open(p, 'rb') as f:
                good = f.read(8) == b'\x89PNG\r\n\x1a\n'
        colours = 0
        if good:
            img = mpimg.imread(p)
            colours = len(np.unique(img.reshape(-1, img.shape[-1]), axis=0))
        ok(good and colours > 50, f"{png}: a PNG picture "
           f"({os.path.getsize(p) if os.path.exists(p) else 0} bytes, "
           f"{colours} colours)")
    log = os.path.join(out, 'console.log')
    snaps = sum('{"kmem":"end"' in l for l in open(log)) if \
        os.path.exists(log) else 0
    ok(snaps >= 5, f"the run printed {snaps} snapshots (periodic)")
    empty = os.path.join(out, 'empty.log')
    with open(empty, 'w') as f:
        f.write('no snapshots here\n{"kmem":"machine", broken\n')
    r = subprocess.run([memplot, empty, '-o', out], capture_output=True,
                       text=True)
    ok(r.returncode == 1 and 'no kmem_report_json snapshot' in r.stderr,
       'a log without snapshots: exit 1 and a message')
    r = subprocess.run([memplot, empty], capture_output=True, text=True)
    ok(r.returncode == 2 and 'usage' in r.stderr, 'no -o: usage, exit 2')
    r = subprocess.run([memplot, os.path.join(out, 'missing.log'), '-o',
                        out], capture_output=True, text=True)
    ok(r.returncode == 2 and 'no such file' in r.stderr,
       'a missing log: exit 2')
    return done()


sys.exit(main())
