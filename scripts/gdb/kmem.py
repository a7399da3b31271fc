# SPDX-License-Identifier: BSD-2-Clause
"""kmem.py: gdb commands that show kmem's state in a stopped payload.

Load it with one line (gdb-multiarch, a payload built with -g, stopped
under kmem-qemu-run --gdb):

    (gdb) source PREFIX/share/kmem/gdb/kmem.py

Commands:
    kmem domains     free pages per NUMA domain and per buddy order
    kmem arenas      every vmem arena: size, in use, busy segments
    kmem vmem NAME   the arenas called NAME with their segments
    kmem pt VA       the kernel page-table entries that map VA
    kmem page PA     the page struct of a physical address

Everything is read from memory through the payload's own symbols and
debug types (vm_dom, vm_pcpu, vmem_list, kernel_pmap_store,
vm_page_segtab, dmap_va_base); nothing in the payload runs.  Physical
addresses are read through the direct map, so the MMU must be on (any
stop after kmem_startup).
"""
import gdb

VM_PIDX_NONE = (1 << 27) - 1
PTE_BITS = ((0x01, 'V'), (0x02, 'R'), (0x04, 'W'), (0x08, 'X'),
            (0x10, 'U'), (0x20, 'G'), (0x40, 'A'), (0x80, 'D'))
SEG_TYPES = {1: 'span (imported)', 2: 'span', 3: 'free', 4: 'busy'}


def val(expr):
    return gdb.parse_and_eval(expr)


def num(v):
    return int(v.cast(gdb.lookup_type('unsigned long')))


def read_u64(addr):
    mem = gdb.selected_inferior().read_memory(addr, 8)
    return int.from_bytes(bytes(mem), 'little')


def phys_to_dmap(pa):
    return pa - num(val('dmap_phys_base')) + num(val('dmap_va_base'))


def parse_number(arg, what):
    try:
        return int(gdb.parse_and_eval(arg))
    except gdb.error as e:
        raise gdb.GdbError(f"kmem {what}: bad number {arg!r} ({e})")


def arenas():
    vm = val('vmem_list')
    while num(vm) != 0:
        yield vm
        vm = vm['vm_next']


def arena_name(vm):
    return vm['vm_name'].string()


class Kmem(gdb.Command):
    """kmem domains | arenas | vmem NAME | pt VA | page PA"""

    def __init__(self):
        super().__init__('kmem', gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class KmemDomains(gdb.Command):
    """Free pages per NUMA domain: on the buddy lists, in the harts'
caches, and free blocks per order (order k = 2^k pages)."""

    def __init__(self):
        super().__init__('kmem domains', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        nd = int(val('vm_ndomains'))
        ncpu = int(val('sizeof(vm_pcpu) / sizeof(vm_pcpu[0])'))
        for d in range(nd):
            vmd = val('vm_dom')[d]
            cached = sum(int(val('vm_pcpu')[c]['pc_dom'][d]['pc_count'])
                         for c in range(ncpu))
            blocks = [int(vmd['vmd_nblocks'][k]) for k in
                      range(int(val('sizeof(vm_dom[0].vmd_nblocks) / '
                                    'sizeof(vm_dom[0].vmd_nblocks[0])')))]
            gdb.write(f"domain {d}: {int(vmd['vmd_npages'])} pages, "
                      f"{int(vmd['vmd_free'])} free on the lists, {cached} "
                      f"cached; blocks by order: "
                      f"{' '.join(str(b) for b in blocks)}\n")


class KmemArenas(gdb.Command):
    """Every vmem arena: quantum, size, bytes in use, busy segments."""

    def __init__(self):
        super().__init__('kmem arenas', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        for vm in arenas():
            gdb.write(f"{arena_name(vm):<16} at 0x{num(vm):x}: quantum "
                      f"{num(vm['vm_quantum_mask']) + 1} size "
                      f"{num(vm['vm_size'])} inuse {num(vm['vm_inuse'])} "
                      f"busy {num(vm['vm_nbusytag'])}\n")


class KmemVmem(gdb.Command):
    """kmem vmem NAME: the arenas called NAME (a name longer than vmem
keeps matches its kept prefix) and their segment lists."""

    def __init__(self):
        super().__init__('kmem vmem', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        name = arg.strip()
        if not name:
            raise gdb.GdbError("kmem vmem: needs an arena name")
        found = 0
        for vm in arenas():
            kept = arena_name(vm)
            keep = int(val('sizeof(((struct vmem *)0)->vm_name)')) - 1
            if kept != name and not (len(kept) == keep and
                                     name.startswith(kept)):
                continue
            found += 1
            gdb.write(f"vmem \"{kept}\" at 0x{num(vm):x}: size "
                      f"{num(vm['vm_size'])} inuse {num(vm['vm_inuse'])}\n")
            bt = vm['vm_seghead']
            while num(bt) != 0:
                start, size = num(bt['bt_start']), num(bt['bt_size'])
                kind = SEG_TYPES.get(int(bt['bt_type']), '?')
                indent = '  ' if int(bt['bt_type']) > 2 else ''
                gdb.write(f"  {indent}0x{start:016x}-0x{start + size - 1:016x}"
                          f" (0x{size:x}) {kind}\n")
                bt = bt['bt_snext']
        if found == 0:
            raise gdb.GdbError(f"kmem vmem: no arena called {name!r}")


class KmemPt(gdb.Command):
    """kmem pt VA: walk kernel_pmap from the root and show the entry of
each level down to VA's leaf (FreeBSD's names: the leaf level is L3)."""

    def __init__(self):
        super().__init__('kmem pt', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        va = parse_number(arg, 'pt') & (2**64 - 1)
        pm = val('kernel_pmap_store')
        levels = int(pm['pm_levels'])
        top = 12 + 9 * levels - 1
        hi = va >> top
        if hi not in (0, (1 << (64 - top)) - 1):
            raise gdb.GdbError(f"kmem pt: 0x{va:x} is not canonical")
        table = num(pm['pm_root'])
        for i, level in enumerate(range(levels - 1, -1, -1)):
            idx = (va >> (12 + 9 * level)) & 511
            e = read_u64(phys_to_dmap(table) + 8 * idx)
            flags = ' '.join(n for b, n in PTE_BITS if e & b) or '(invalid)'
            pa = ((e >> 10) & ((1 << 44) - 1)) << 12
            gdb.write(f"L{4 - levels + i} 0x{e:016x} {flags} pa 0x{pa:x}\n")
            if not e & 1 or e & 0xe:
                if e & 1:
                    off = va & ((1 << (12 + 9 * level)) - 1)
                    gdb.write(f"va 0x{va:x} -> pa 0x{pa + off:x}\n")
                return
            table = pa


class KmemPage(gdb.Command):
    """kmem page PA: the page struct of a physical address (its domain,
vp_next and vp_info words)."""

    def __init__(self):
        super().__init__('kmem page', gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        pa = parse_number(arg, 'page')
        tab = val('vm_page_segtab')
        i = 0
        while num(tab[i]['ps_size']) != 0:
            ps = tab[i]
            off = pa - num(ps['ps_start'])
            if 0 <= off < num(ps['ps_size']):
                addr = num(ps['ps_first']) + (off >> 12) * 8
                m = gdb.Value(addr).cast(
                    gdb.lookup_type('struct vm_page').pointer()).dereference()
                gdb.write(f"pa 0x{pa:x}: page struct 0x{addr:x}, domain "
                          f"{int(ps['ps_domain'])}, vp_next "
                          f"0x{int(m['vp_next']):x}, vp_info "
                          f"0x{int(m['vp_info']):x}\n")
                return
            i += 1
        raise gdb.GdbError(f"kmem page: 0x{pa:x} is not managed RAM")


Kmem()
KmemDomains()
KmemArenas()
KmemVmem()
KmemPt()
KmemPage()
