#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of test/fuzz/fuzz_vfio.c into test/fuzz/corpus-vfio/.

Each seed is a short program in the harness's bytecode: an opcode byte, then
the bytes that opcode reads, in the order fuzz_vfio.c reads them. The
helpers below mirror its decoders (pick_fd, pick_ptr, pick_region_off,
stage, ...); a byte of 0 is each decoder's plain choice. The devices are
fuzz_vfio_corpus's (test/fuzz/meson.build):

    0  0000:00:04.0  group 7   copy engine, root bus
    1  0000:01:00.0  group 10  copy engine
    2  0000:01:00.1  group 10  ioat
    3  0000:02:00.0  group 12  the wide test model

Run it after changing the bytecode, check the seeds with
    FUZZ_VERBOSE=1 uiommufd-run --vfio-device ... -- fuzz_vfio_replay FILE
and commit the files it writes. The corpus also keeps the inputs the
fuzzer found bugs with (repro-*), as libFuzzer wrote them; this script
leaves them alone.

    python3 test/fuzz/make-corpus-vfio.py [DIR]
"""
import os
import struct
import sys

# opcodes: the index of each op in fuzz_vfio.c's ops[]
(OPEN_CONT, OPEN_IOMMU, OPEN_GROUP, OPEN_CDEV, EVENTFD, CLOSE, DUP, CONTAINER,
 IOMMUFD, GROUP, BIND, ATTACH, GET_INFO, REGION_INFO, IRQ_INFO, SET_IRQS,
 RESET, HOT_RESET_INFO, HOT_RESET, IOEVENTFD, FEATURE, RAW_IOCTL, REGION_RW,
 FILE_RW, MMAP, MUNMAP, MMIO, CONFIG, EVENT_READ, POKE, FAIL_NTH,
 FORK) = range(32)

# fd kinds (pick_fd)
K_CONT, K_IOMMU, K_GROUP, K_GDEV, K_CDEV, K_EVENT = range(6)

# groups, in the order of the devices: 7, 10, 12
G7, G10, G12 = 0, 1, 2
PG = 4096


def u16(v):
    return list(struct.pack('<H', v & 0xffff))


def u32(v):
    return list(struct.pack('<I', v & 0xffffffff))


def u64(v):
    return list(struct.pack('<Q', v & 0xffffffffffffffff))


# pick_fd: the i-th fd of the kind asked for (a device includes cdevs)
def FD(i=0):
    return [i]


BAD_FD = [0xf0]                 # -1
NOT_OPEN = [0xf1]
DEVNULL = [0xf2]

# pick_ptr
def RW(page=0):
    return [page << 4]


NULL = [12]
RO = [8]
NONE = [9]

# pick_iova: MiB
def MIB(n):
    return [n << 3]


# pick_len: pages
def PAGES(n):
    return [(n - 1) << 3]


# pick_id
def ID(i=0):
    return [i]


# stage(): plain argsz, in the argument page
ST = [0, 0]
ST_SHORT = [0xe0, 0]            # argsz minsz - 1
ST_NULL = [0, 0xf2]             # the struct at NULL
ST_RO = [0, 0xf5]               # on the read-only page


def open_container():
    return [OPEN_CONT, 0]


def open_iommufd():
    return [OPEN_IOMMU, 0]


def open_group(g, flags=0):
    return [OPEN_GROUP, g, flags]


def open_cdev(d, flags=0):
    return [OPEN_CDEV, d, flags]


def eventfd():
    return [EVENTFD, 0]


def close(kind, i=0):
    return [CLOSE, kind] + FD(i)


def set_container(group=0, cont=0, iommufd=False):
    return [GROUP, 11 if iommufd else 1] + FD(group) + FD(cont)


def unset_container(group=0):
    return [GROUP, 2] + FD(group)


def get_device_fd(dev, group=0, form=0):
    return [GROUP, 3] + FD(group) + [dev | form << 4]


def set_iommu(cont=0):
    return [CONTAINER, 1] + FD(cont)


def map_dma(page=0, mib=1, pages=4, cont=0):
    return [CONTAINER, 4 | 8] + FD(cont) + RW(page) + MIB(mib) + PAGES(pages) + ST


def unmap_all(cont=0):
    return [CONTAINER, 6 | 0x80] + FD(cont) + ST


def ioas_alloc(ifd=0):
    return [IOMMUFD, 0] + FD(ifd) + [0] + ST


def ioas_map(ioas=0, page=0, pages=4, mib=1, ifd=0):
    return [IOMMUFD, 13] + FD(ifd) + ID(ioas) + RW(page) + PAGES(pages) + MIB(mib) + ST


def bind(cdev=0, ifd=0):
    return [BIND, 0] + FD(cdev) + FD(ifd) + [0] + ST


def attach(ioas=0, cdev=0):
    return [ATTACH, 0] + FD(cdev) + [0] + ID(ioas) + ST


def detach(cdev=0):
    return [ATTACH, 1] + FD(cdev) + [0] + ST


# pick_region_off: an index, then o: (o >> 3) * 8 for o & 7 == 0
def REG(index, off8):
    assert off8 % 8 == 0 and off8 < 256
    return [index, off8]


CFG = 7


def pwrite64(dev, index, off8, value):
    """pwrite of 8 bytes (pick_count 0x18) from the first RW page."""
    return [REGION_RW] + FD(dev) + [1] + REG(index, off8) + [0x18] + [0] + u64(value)


def pread64(dev, index, off8):
    return [REGION_RW] + FD(dev) + [0] + REG(index, off8) + [0x18] + [0]


def pwrite_at(dev, index, off, count_log2, value):
    """pwrite of 1 << count_log2 bytes at any offset (o & 7 == 6: a u16)."""
    return ([REGION_RW] + FD(dev) + [1] + [index, 6] + u16(off) +
            [count_log2 << 3] + [0] + u64(value))


def bus_master(dev=0):
    # CONFIG: 2 bytes at the command register, 6 (memory, bus master)
    return [CONFIG] + FD(dev) + [0x05]


def ce_copy(dev, src, dst, length):
    """The copy engine: SRC, DST, LEN, DOORBELL."""
    return (pwrite64(dev, 0, 0x00, src) + pwrite64(dev, 0, 0x08, dst) +
            pwrite64(dev, 0, 0x10, length) + pwrite64(dev, 0, 0x18, 1) +
            pread64(dev, 0, 0x20))


def poke(off, data):
    assert len(data) < 64
    return [POKE] + u16(off) + [len(data)] + list(data)


def set_irqs(dev, index, action=0, dtype=0, count=1, efds=None, bools=None):
    """action: 0 trigger, 2 mask, 3 unmask; dtype: 0 eventfd, 1 none, 2 bool."""
    # index 4 is 3, plus one from k's 0x40
    b = action | dtype << 2 | (3 if index == 4 else index) << 4
    k = 0x40 if index == 4 else 0
    if count == 0:
        k |= 3
    else:
        assert 1 <= count <= 4
        k |= (count - 1) << 3
    out = [SET_IRQS] + FD(dev) + [b, k]
    if dtype in (0, 3):
        out += efds if efds is not None else [0] * count
    elif dtype == 2:
        out += bools if bools is not None else [1] * count
    return out + ST


def mmap_bar(dev, bar=0, prot=0, flags=0):
    """prot: 0 RW, 2 R, 3 W; flags: 0 MAP_SHARED, 3 MAP_PRIVATE."""
    # the BAR is b % 6, the protection (b >> 3) & 7
    b = next(b for b in range(0x20) if b % 6 == bar and (b >> 3) & 7 == prot)
    return [MMAP] + FD(dev) + [b, flags]


def mmio(store, width_log2, off, value, m):
    """Below 2 KiB an offset is a byte of eights, above it a u16."""
    if off < 2048 and off % 8 == 0:
        return [MMIO, width_log2 | (4 if store else 0)] + [m] + [off // 8] + u64(value)
    return [MMIO, width_log2 | (4 if store else 0) | 2 << 3] + [m] + u16(off) + u64(value)


def mmio_store64(off, value, m=0):
    return mmio(True, 3, off, value, m)


def mmio_load(off, width_log2=3, m=0):
    return mmio(False, width_log2, off, 0, m)


def cfg_write(dev, off, width_log2, value):
    """Config space: any offset, any value (CONFIG's 0x80 and 0x20 forms)."""
    return [CONFIG] + FD(dev) + [0x80 | 0x20 | 0x04 | width_log2] + u16(off) + u32(value)


def cfg_read(dev, off, width_log2=2):
    return [CONFIG] + FD(dev) + [0x80 | width_log2] + u16(off)


def feature(dev, feat, direction=0, efd=None, length_words=0):
    """direction: 0 SET, 1 GET, 2 PROBE|SET, 3 PROBE|GET."""
    k = (0x80 if efd is None else 0) | length_words
    out = [FEATURE] + FD(dev) + [direction | feat << 3, k]
    if efd is not None:
        out += [efd]
    return out + [0] + ST


def fork(sub, magic='F'):
    return [FORK, len(sub), ord(magic)] + sub


def group_dev(dev, g):
    """Container, group, device through the group: the type1 path."""
    return (open_container() + open_group(g) + set_container() + set_iommu() +
            get_device_fd(dev))


def cdev_dev(dev):
    """iommufd, cdev bound, an IOAS attached: the cdev path."""
    return (open_iommufd() + open_cdev(dev) + bind() + ioas_alloc() + attach())


SRC = 1 << 20
DATA = bytes(range(48))

SEEDS = {
    # every device's info through its cdev, with hostile structs
    'info-cdev': (cdev_dev(1) + [GET_INFO, 0, 0] + ST + [GET_INFO, 0, 1] + ST_SHORT +
                  [REGION_INFO, 0, 0x40] + ST + [REGION_INFO, 0, 0x47] + ST +
                  [REGION_INFO, 0, 0x40] + ST_NULL + [REGION_INFO, 0, 0x48] + ST +
                  [IRQ_INFO, 0, 2] + ST + [IRQ_INFO, 0, 3] + ST_RO +
                  [IRQ_INFO, 0, 4] + ST),
    # the type1 path: map, bus master, a copy, the status, MSI-X
    'ce-dma-group': (group_dev(1, G10) + map_dma(0, 1, 4) + eventfd() +
                     set_irqs(0, 2) + poke(0, DATA) + bus_master() +
                     ce_copy(0, SRC, SRC + PG, 64) + [EVENT_READ, 0] + unmap_all()),
    # the cdev path: an IOAS map, the same copy, a copy that faults
    'ce-dma-cdev': (cdev_dev(1) + ioas_map(0, 0, 4, 1) + poke(0, DATA) + bus_master() +
                    ce_copy(0, SRC, SRC + PG, 64) + ce_copy(0, SRC, 64 << 20, 64) +
                    detach() + ce_copy(0, SRC, SRC + PG, 64)),
    # the BAR mapped: registers through loads and stores
    'ce-mmap': (group_dev(1, G10) + map_dma(0, 1, 4) + bus_master() + mmap_bar(0) +
                mmio_store64(0x00, SRC) + mmio_store64(0x08, SRC + PG) +
                mmio_store64(0x10, 64) + mmio_store64(0x18, 1) + mmio_load(0x20) +
                mmio_load(0x28, 2) + mmio_load(0x800, 2) + [MUNMAP, 0]),
    # a read-only mapping, a write-only one, MAP_FIXED over them
    'mmap-prot': (group_dev(0, G7) + mmap_bar(0, 0, 2) + mmio_load(0x28) +
                  mmap_bar(0, 0, 3) + mmio_store64(0x00, 5, 1) + mmio_load(0x00, 3, 1) +
                  # MAP_FIXED over the first: again, at an unaligned offset
                  # (refused, the mapping stays), NOREPLACE (EEXIST)
                  [MMAP] + FD(0) + [0x48, 0] + [0] + mmio_load(0x28) +
                  [MMAP] + FD(0) + [0x48, 0x10] + u16(8) + [0] + mmio_load(0x28) +
                  [MMAP] + FD(0) + [0x4c, 0] + [1] + mmio_load(0x00, 3, 1) +
                  [MUNMAP, 0x80] + [MUNMAP, 0]),
    # ioat: a descriptor chain, CHAINADDR, DMACOUNT, the completion
    'ioat-dma': (group_dev(2, G10) + map_dma(0, 1, 8) + bus_master() +
                 poke(0x1000, DATA) +
                 poke(0, u32(64) + u32(1 << 3) + u64(SRC + PG) + u64(SRC + 2 * PG) + u64(0)) +
                 pwrite64(0, 0, 0x98, SRC + 3 * PG) + pwrite64(0, 0, 0x90, SRC) +
                 pwrite_at(0, 0, 0x86, 1, 1) + pread64(0, 0, 0x88) + pread64(0, 0, 0xa8) +
                 eventfd() + set_irqs(0, 2) + pwrite_at(0, 0, 0x80, 1, 1)),
    # INTx: trigger, loopback, mask, unmask, the command register's disable
    'intx': (group_dev(1, G10) + eventfd() + set_irqs(0, 0) + set_irqs(0, 0, 0, 1) +
             set_irqs(0, 0, 2, 1) + set_irqs(0, 0, 0, 1) + set_irqs(0, 0, 3, 1) +
             set_irqs(0, 0, 3, 2, bools=[1]) + cfg_write(0, 0x04, 1, 0x406) +
             set_irqs(0, 0, 0, 1) + [EVENT_READ, 0] + set_irqs(0, 0, 0, 1, count=0)),
    # MSI and MSI-X on the wide model: blocks, loopback, disable
    'msi-wide': (group_dev(3, G12) + eventfd() + eventfd() + set_irqs(0, 1, count=4,
                 efds=[0, 1, 0, 1]) + set_irqs(0, 1, 0, 2, count=2, bools=[1, 0]) +
                 set_irqs(0, 1, 0, 1, count=0) + set_irqs(0, 2, count=4) +
                 pwrite64(0, 0, 0x00, 7) + pwrite_at(0, 0, 0x200, 3, 1) +
                 [EVENT_READ, 0] + pread64(0, 2, 0x00) + mmap_bar(0, 2) +
                 mmio_load(0x00, 2) + mmio_store64(0x08, 0) + set_irqs(0, 2, 0, 1, count=0)),
    # ERR and REQ
    'err-req': (group_dev(1, G10) + eventfd() + set_irqs(0, 3) + set_irqs(0, 3, 0, 1) +
                set_irqs(0, 4) + set_irqs(0, 4, 0, 2, bools=[1]) + set_irqs(0, 4, 0, 0,
                efds=[0xf0]) + set_irqs(0, 3, 0, 1, count=0)),
    # hot reset: the group path with the group's fd, the cdev path with none
    'hot-reset-group': (group_dev(1, G10) + [HOT_RESET_INFO, 0, 8] + ST +
                        [HOT_RESET_INFO, 0, 0] + ST + [HOT_RESET, 0, 1, 0] + FD(0) + ST +
                        [HOT_RESET, 0, 0, 0] + ST + [RESET, 0]),
    'hot-reset-cdev': (open_iommufd() + open_cdev(1) + open_cdev(2) + bind(0) + bind(1) +
                       [HOT_RESET_INFO, 0, 8] + ST + [HOT_RESET, 0, 0, 0] + ST +
                       [HOT_RESET, 1, 0, 0] + ST),
    'hot-reset-root': (group_dev(0, G7) + [HOT_RESET_INFO, 0, 8] + ST + [RESET, 0]),
    # low power: entry, an access that wakes it with the eventfd, exit
    'low-power': (group_dev(1, G10) + eventfd() + feature(0, 3) + pread64(0, CFG, 0) +
                  feature(0, 3) + feature(0, 5) + feature(0, 4, efd=0, length_words=2) +
                  pread64(0, 0, 0x28) + [EVENT_READ, 0] + feature(0, 3, direction=2) +
                  feature(0, 1, direction=3)),
    # IOEVENTFD's checks
    'ioeventfd': (group_dev(1, G10) + eventfd() +
                  [IOEVENTFD] + FD(0) + [3] + REG(0, 0x18) + u64(1) + [0] + ST +
                  [IOEVENTFD] + FD(0) + [0x43] + REG(0, 0x18) + u64(1) + ST +
                  [IOEVENTFD] + FD(0) + [3] + [0, 5] + u64(1) + [0] + ST),
    # config space: the header, the capabilities, BAR sizing, past the end
    'config': (group_dev(3, G12) + cfg_write(0, 0x10, 2, 0xffffffff) + cfg_read(0, 0x10) +
               cfg_write(0, 0x14, 2, 0xffffffff) + cfg_read(0, 0x14) +
               cfg_write(0, 0x30, 2, 0xfffff800) + cfg_read(0, 0x30) +
               cfg_read(0, 0x34, 0) + cfg_read(0, 0x40) + cfg_read(0, 0x50) +
               cfg_write(0, 0x42, 1, 0x81) + cfg_write(0, 0x04, 1, 0) + pread64(0, 0, 0) +
               cfg_read(0, 0xfe, 1) + cfg_read(0, 0x100) + cfg_read(0, 0x1000)),
    'config-pcie': (group_dev(1, G10) + cfg_read(0, 0x34, 0) + cfg_read(0, 0x40) +
                    cfg_read(0, 0x48) + cfg_read(0, 0x60) + cfg_read(0, 0x68) +
                    cfg_write(0, 0x48, 1, 0x8000) + cfg_write(0, 0x44, 1, 3) +
                    cfg_write(0, 0x44, 1, 0) + cfg_read(0, 0x100) + cfg_write(0, 0x200, 2, 1)),
    # the cdev path's exclusions: a group open, a second bind, a dup's bind
    'cdev-exclusion': (open_iommufd() + open_cdev(1) + [DUP, K_CDEV, 0, 0] + bind() +
                       open_group(G10) + bind(1) + close(K_CDEV, 0) + close(K_CDEV, 0) +
                       open_group(G10)),
    # a group closed under its device, reopened, its container gone
    'group-lifetime': (group_dev(1, G10) + close(K_GROUP) + open_group(G10) +
                       get_device_fd(1) + set_container() + get_device_fd(2) +
                       close(K_CONT) + [GET_INFO, 0, 0] + ST + unset_container() +
                       get_device_fd(1)),
    # GET_DEVICE_FD's names
    'device-names': (open_container() + open_group(G10) + set_container() + set_iommu() +
                     get_device_fd(1, 0, 3) + get_device_fd(1, 0, 4) +
                     get_device_fd(1, 0, 5) + get_device_fd(1, 0, 7) +
                     get_device_fd(0, 0, 0) + get_device_fd(2, 0, 0)),
    # read and write at the file position, lseek
    'file-position': (group_dev(1, G10) + [FILE_RW, 0, 0, 0x18, 0] +
                      [FILE_RW, 0, 1, 0x18, 0] + u64(1) + [FILE_RW, 0, 2, 0, 0] +
                      [FILE_RW, 0, 0, 3, 0]),
    # a child that rings the doorbell and sets an eventfd, the parent closes
    'fork': (group_dev(1, G10) + map_dma(0, 1, 4) + bus_master() + eventfd() +
             fork(set_irqs(0, 2) + ce_copy(0, SRC, SRC + PG, 64) + mmap_bar(0) +
                  mmio_load(0x20)) + [EVENT_READ, 0] + ce_copy(0, SRC, SRC + PG, 8)),
    # fault injection through a bind, a SET_IRQS, a region read
    'fail-nth': (open_iommufd() + open_cdev(1) + [FAIL_NTH, 0] + bind() + bind() +
                 [FAIL_NTH, 1] + eventfd() + set_irqs(0, 2) + [FAIL_NTH, 0] +
                 pread64(0, CFG, 0)),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus-vfio')
    os.makedirs(out, exist_ok=True)
    for name, prog in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(bytes(prog))
    print(f'{len(SEEDS)} seeds in {out}')


if __name__ == '__main__':
    main()
