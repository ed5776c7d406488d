#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of test/fuzz/fuzz_ioctl.c into test/fuzz/corpus/.

Each seed is a short program in the harness's bytecode: an opcode byte, then
the bytes that opcode reads, in the order fuzz_ioctl.c reads them. The
helpers below mirror its decoders (pick_id, pick_ptr, pick_len, pick_iova
and the tails of do_ioctl); a byte of 0 is each decoder's plain choice.
Run it after changing the bytecode, check the seeds with
    FUZZ_VERBOSE=1 build/test/fuzz/fuzz_replay test/fuzz/corpus/NAME
and commit the files it writes. The corpus also keeps the inputs the
fuzzer found bugs with (repro-*), as libFuzzer wrote them; this script
leaves them alone.

    python3 test/fuzz/make-corpus.py [DIR]
"""
import os
import sys

# opcodes: the index of each op in fuzz_ioctl.c's ops[]
(IOAS_ALLOC, IOAS_MAP, IOAS_UNMAP, IOAS_COPY, IOVA_RANGES, ALLOW_IOVAS,
 OPTION, DESTROY, HWPT_ALLOC, HWPT_INVALIDATE, SET_DIRTY, GET_DIRTY,
 GET_HW_INFO, FAULT_ALLOC, VFIO_IOAS, MOCK_DOMAIN, MOCK_REPLACE,
 CREATE_ACCESS, ACCESS_RW, ACCESS_PAGES, DESTROY_ACCESS_PAGES,
 ACCESS_REPLACE_IOAS, MD_CHECK_MAP, MD_CHECK_REFS, MD_CHECK_IOTLB,
 TEST_DIRTY, TRIGGER_IOPF, ADD_RESERVED, TEMP_MEMORY_LIMIT, TEST_RAW,
 RAW_IOCTL, VFIO_VALUE, VFIO_GET_INFO, VFIO_MAP, VFIO_UNMAP,
 API_MOCK_DEVICE, API_DMA, API_ACCESS_CREATE, API_ACCESS_DESTROY,
 API_ACCESS_RW, API_ACCESS_PIN, API_ACCESS_UNPIN, API_NEXT_UNMAP,
 FAULT_READ, FAULT_WRITE, CLOSE_FAULT_FD, CLOSE_ACCESS_FD, DUP, DUMP, CAPS,
 FAIL_NTH, RELEASE, MOVE, POKE) = range(54)


def u16(v):
    return [v & 0xff, (v >> 8) & 0xff]


def u32(v):
    return u16(v & 0xffff) + u16(v >> 16)


def u64(v):
    return u32(v & 0xffffffff) + u32(v >> 32)


# pick_id: the i-th id recorded of the kind (modulo how many), or bogus
def ID(i=0):
    return [i]


BOGUS_ID = [0xf8 + 4]          # 0xffffffff


# pick_pt: an IOAS, a paging hwpt, a nested hwpt
def PT_IOAS(i=0):
    return [0] + ID(i)


def PT_HWPT(i=0):
    return [2] + ID(i)


def PT_NESTED(i=0):
    return [7] + ID(i)


# pick_ptr
def RW(page=0):
    return [0, page]


def RW_AT(off):
    return [6] + u16(off)


RO = [7]
NONE = [8]
HOLE = [9]
NEAR_END = [10]                # 8 bytes before a mapping's end
TAIL = [11]                    # 2 pages, then the end of the mapping
NULL = [12]
KERNEL = [13]
INTO_RO = [15]                 # the last RW page, running into RO


# pick_len
def PAGES(n):
    return [0, n - 1]


def HALF_PAGES(n):
    return [3, n]


def BYTES(n):
    return [4, n]


ZERO_LEN = [5]
ALL_LEN = [6]                  # UINT64_MAX


def BIG(i):
    return [6 | (i << 3)]


# pick_iova
def IOVA(i=0):
    return [0, i]


def IOVA_PLUS_HALF(i, halves):
    return [3, i, halves]


def APERTURE(pages=0):
    return [4, pages]


IOVA0 = [5]


def IOVA_PAGE(n):
    return [6] + u16(n)


def IOVA_RAW(v):
    return [7] + u64(v)


# do_ioctl's size word, placement and fd bytes; 0 0 0: exact size, staged
# in the ARG pages, the context fd
T = [0, 0, 0]
SIZE_MIN_1, SIZE_MIN, SIZE_PLUS8, SIZE_E2BIG, SIZE_0, SIZE_HUGE, \
    SIZE_2PAGES, SIZE_SHORT = 0xe0, 0xe2, 0xe4, 0xe6, 0xe8, 0xe9, 0xea, 0xeb
AT_END, AT_NULL, AT_HOLE, AT_NONE, AT_RO = 0xf0, 0xf2, 0xf3, 0xf4, 0xf5
FD_DUP, FD_BAD, FD_DEVNULL, FD_CLOSED = 0xf0, 0xf2, 0xf3, 0xf4


def TL(size=0, place=0, fd=0):
    t = [size, place, fd]
    if place == AT_END:
        t += [0]
    return t


# tail of an IOMMU_TEST_CMD: __reserved, then the ioctl tail
TT = [0] + T


def TTL(**kw):
    return [0] + TL(**kw)


# opcodes with their parameters

def ioas_alloc(tail=T):
    return [IOAS_ALLOC, 0] + tail


def ioas_map(ioas=0, ptr=RW(0), length=PAGES(4), iova=IOVA0, flags=6,
             tail=T):
    return [IOAS_MAP, flags] + ID(ioas) + [0] + ptr + length + iova + tail


def ioas_map_fixed(iova, **kw):
    return ioas_map(iova=iova, flags=7, **kw)


def ioas_unmap_all(ioas=0, tail=T):
    return [IOAS_UNMAP] + ID(ioas) + [0] + tail


def ioas_unmap(ioas=0, iova=IOVA(0), length=PAGES(4), tail=T):
    return [IOAS_UNMAP] + ID(ioas) + [0x80] + iova + length + tail


def ioas_copy(dst=1, src=0, length=PAGES(4), dst_iova=IOVA0,
              src_iova=IOVA(0), flags=6, tail=T):
    return ([IOAS_COPY, flags] + ID(dst) + ID(src) + length + dst_iova +
            src_iova + tail)


def iova_ranges(ioas=0, num=4, ptr=RW(0), tail=T):
    return [IOVA_RANGES] + ID(ioas) + [num, 0] + ptr + tail


def allow_iovas(ioas=0, ranges=(), tail=T):
    """ranges: (iova bytes, length bytes) pairs, as built by build_ranges"""
    out = [ALLOW_IOVAS] + ID(ioas) + [0, len(ranges)]
    for iova, length in ranges:
        out += [3] + iova + length          # page aligned, last from length
    return out + tail


def option(option_id, op, ioas=0, val=None, tail=T):
    """option_id, op: 0..3 (2 and 3 are unknown)"""
    b = option_id | (op << 2)
    if ioas is None:
        b |= 0x20
    if val is not None and val > 1:
        b |= 0x40
    elif val:
        b |= 0x80
    out = [OPTION, b, 0]
    if ioas is not None:
        out += ID(ioas)
    if val is not None and val > 1:
        out += u64(val)
    return out + tail


def destroy(id_byte, tail=T):
    return [DESTROY, id_byte] + tail


def hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=0, fault=None, nested=None,
               tail=T):
    """flags: IOMMU_HWPT_ALLOC_*; nested: an iotlb value (selftest data)"""
    b = flags & 0xf
    t = 0
    if fault is not None:
        b |= 0x40
    if nested is not None:
        t = 1                      # DATA_SELFTEST, data_len 4
    out = [HWPT_ALLOC, b, t] + ID(dev) + pt + [0, 0]
    if nested is not None:
        out += [0] + u32(nested)   # iotlb from u32 (byte 0: not DEFAULT)
    out += ID(fault if fault is not None else 0)
    return out + tail


def hwpt_invalidate(nested=0, entries=((0, 0),), data_type=0, tail=T):
    """entries: (flags, iotlb_id); data_type 0: SELFTEST, 4: INVALID"""
    b = data_type
    out = [HWPT_INVALIDATE, b] + ID(nested) + [0, len(entries)]
    for flags, iotlb_id in entries:
        out += [(flags & 1) | (iotlb_id << 1)]
    return out + tail


def set_dirty(hwpt=0, enable=True, tail=T):
    return [SET_DIRTY, 1 if enable else 0] + ID(hwpt) + [0] + tail


def get_dirty(hwpt=0, iova=IOVA(0), length=PAGES(4), page_size=0,
              ptr=RW(1), no_clear=False, tail=T):
    return ([GET_DIRTY] + ID(hwpt) + [1 if no_clear else 0, 0] + iova +
            length + [page_size] + ptr + tail)


def get_hw_info(dev=0, data_len=8, ptr=RW(0), tail=T):
    return [GET_HW_INFO, data_len & 0x3f, 0] + ID(dev) + ptr + tail


def fault_alloc(tail=T):
    return [FAULT_ALLOC, 0] + tail


def vfio_ioas(op, ioas=0, tail=T):
    return [VFIO_IOAS, op] + ID(ioas) + [0] + tail


def mock_domain(pt=PT_IOAS(0), dev_flags=None, tail=TT):
    if dev_flags is None:
        return [MOCK_DOMAIN, 0] + pt + tail
    return [MOCK_DOMAIN, 1 | (dev_flags << 1)] + pt + tail


def mock_replace(stdev=0, pt=PT_IOAS(1), tail=TT):
    return [MOCK_REPLACE] + ID(stdev) + pt + tail


def create_access(ioas=0, needs_pin=True, tail=TT):
    return [CREATE_ACCESS, 1 if needs_pin else 0] + ID(ioas) + tail


def access_rw(fd=0, iova=IOVA(0), length=BYTES(64), ptr=RW(8), flags=0,
              tail=TT):
    """flags: index in op_access_rw's table (1 write, 2 slow, 3 both)"""
    return [ACCESS_RW, flags] + [fd] + iova + length + ptr + tail


def access_pages(fd=0, iova=IOVA(0), length=PAGES(1), ptr=RW(0), write=1,
                 tail=TT):
    return [ACCESS_PAGES, write] + [fd] + iova + length + ptr + tail


def destroy_access_pages(fd=0, item=0, tail=TT):
    return [DESTROY_ACCESS_PAGES, fd] + ID(item) + tail


def access_replace_ioas(fd=0, ioas=1, tail=TT):
    return [ACCESS_REPLACE_IOAS, fd] + ID(ioas) + tail


def md_check_map(hwpt=0, iova=IOVA(0), length=PAGES(4), ptr=RW(0), tail=TT):
    return [MD_CHECK_MAP] + ID(hwpt) + iova + length + ptr + tail


def md_check_refs(length=PAGES(4), ptr=RW(0), refs=1, tail=TT):
    return [MD_CHECK_REFS] + length + ptr + [refs] + tail


def md_check_iotlb(nested=0, iotlb_id=0, value='default', tail=TT):
    b = iotlb_id
    extra = []
    if value == 0:
        b |= 0x20
    elif value != 'default':
        b |= 0x40
        extra = u32(value)
    return [MD_CHECK_IOTLB, b] + ID(nested) + extra + tail


def test_dirty(hwpt=0, iova=IOVA(0), length=PAGES(4), bitmap=0x0f,
               tail=TT):
    return ([TEST_DIRTY, 1] + ID(hwpt) + iova + length + [0] + RW(0) +
            [bitmap] + [0] * 7 + tail)


def trigger_iopf(dev=0, grpid=1, perm=1, iova=IOVA(0), tail=TT):
    return [TRIGGER_IOPF, perm & 0xf] + ID(dev) + [grpid] + iova + tail


def add_reserved(ioas=0, iova=IOVA_PAGE(0x100), length=PAGES(16), tail=TT):
    return [ADD_RESERVED] + ID(ioas) + iova + length + tail


def temp_memory_limit(limit, tail=TT):
    if limit < 0x80:
        return [TEMP_MEMORY_LIMIT, limit] + tail
    return [TEMP_MEMORY_LIMIT, 0x80] + u32(limit) + tail


def test_raw(op, id_byte=0, tail=TT):
    return [TEST_RAW, op, id_byte] + [1, 5] * 6 + tail     # iovas 0


def raw_ioctl(kind, nr, tail=T):
    out = [RAW_IOCTL, kind] + ID(0)
    if kind == 2:
        out += [nr >> 8, nr & 0xff]
    else:
        out += [nr]
    return out + tail


def vfio_value(req, arg, fd=0):
    """req: 0 GET_API_VERSION, 1 SET_IOMMU, 2 CHECK_EXTENSION"""
    return [VFIO_VALUE, req | (arg << 2), fd]


def vfio_get_info(tail=T):
    return [VFIO_GET_INFO, 0] + tail


def vfio_map(ptr=RW(0), iova=IOVA_PAGE(0x10), length=PAGES(4), flags=3,
             tail=T):
    return [VFIO_MAP, flags] + ptr + iova + length + tail


def vfio_unmap(iova=IOVA_PAGE(0x10), length=PAGES(4), flags=0, tail=T):
    """flags: index in op_vfio_unmap's table (2: UNMAP_FLAG_ALL)"""
    if iova is None:
        return [VFIO_UNMAP, flags | 0x40] + tail
    return [VFIO_UNMAP, flags] + iova + length + tail


OUT = [0]                       # pick_out: the ARG page, read back


def api_mock_device(pt=PT_IOAS(0), dev_flags=0, fd=0):
    return [API_MOCK_DEVICE, dev_flags] + pt + OUT + [fd]


def api_dma(dev=0, iova=IOVA(0), ptr=RW(8), length=BYTES(64), write=False,
            fd=0):
    return [API_DMA, 1 if write else 0] + ID(dev) + iova + ptr + length + [fd]


def api_access_create(ioas=0, fd=0):
    return [API_ACCESS_CREATE] + ID(ioas) + OUT + [fd]


def api_access_destroy(access=0, fd=0):
    return [API_ACCESS_DESTROY] + ID(access) + [fd]


def api_access_rw(access=0, iova=IOVA(0), ptr=RW(8), length=BYTES(64),
                  write=False, fd=0):
    return ([API_ACCESS_RW, 1 if write else 0] + ID(access) + iova + ptr +
            length + [fd])


def api_access_pin(access=0, iova=IOVA(0), length=PAGES(1), write=True,
                   fd=0):
    return ([API_ACCESS_PIN, 1 if write else 0] + ID(access) + iova +
            length + OUT + [fd])


def api_access_unpin(access=0, pin=0, fd=0):
    return [API_ACCESS_UNPIN] + ID(access) + ID(pin) + [fd]


def api_next_unmap(access=0, fd=0):
    return [API_NEXT_UNMAP] + ID(access) + [0x00, 0x08] + [fd]


def fault_read(fd=0, records=1, respond=True, code=0):
    b = records | (0x40 if respond else 0) | (code << 4)
    return [FAULT_READ, b, fd] + RW(0)


def fault_write(fd=0, responses=((1, 0),), odd=False):
    b = len(responses)
    if odd:                        # count + 3; the op reads b % 5 entries
        b = 0x80 + (len(responses) - 0x80) % 5
    out = [FAULT_WRITE, b, fd]
    for cookie, code in responses:
        out += [(cookie & 7) | (code << 3)]
    return out


def close_fault_fd(i=0):
    return [CLOSE_FAULT_FD, i]


def close_access_fd(i=0):
    return [CLOSE_ACCESS_FD, i]


def dup():
    return [DUP]


def dump(fd=0):
    return [DUMP, 0, fd]


def caps(drop_ipc_lock=True, drop_sys_resource=False):
    return [CAPS, (1 if drop_ipc_lock else 0) | (2 if drop_sys_resource
                                                  else 0)]


def fail_nth(n):
    return [FAIL_NTH, n - 1]


def release(page, n=1):
    return [RELEASE, page, n - 1]


def move(page, n=1):
    """pages MOVE_FIRST (3) .. MOVE_LAST (11) of the RW pages move"""
    return [MOVE, page - 3, n - 1]


def poke(off, data):
    return [POKE] + u16(off) + [len(data)] + list(data)


def seq(*ops):
    out = []
    for op in ops:
        out += op
    return bytes(out)


# A mock domain reserves what lies outside its aperture: map after the
# device attaches (automatic IOVAs then land inside it), or at APERTURE().
SEEDS = {
    # IOAS basics
    'ioas-alloc-destroy': seq(ioas_alloc(), ioas_alloc(), destroy(0),
                              destroy(1), destroy(0)),
    'ioas-map-unmap': seq(ioas_alloc(), ioas_map(), ioas_map(ptr=RW(8)),
                          ioas_unmap(iova=IOVA(0)), ioas_unmap_all()),
    'ioas-map-fixed': seq(ioas_alloc(),
                          ioas_map_fixed(IOVA_PAGE(0x100), length=PAGES(2)),
                          ioas_map_fixed(IOVA_PAGE(0x100), ptr=RW(4)),
                          ioas_unmap(iova=IOVA_PAGE(0x100), length=PAGES(2))),
    'ioas-copy': seq(ioas_alloc(), ioas_alloc(), ioas_map(),
                     ioas_copy(dst=1, src=0, src_iova=IOVA(0)),
                     ioas_unmap_all(ioas=1), ioas_unmap_all(ioas=0)),
    'ioas-ranges-allow': seq(ioas_alloc(), add_reserved(),
                             iova_ranges(num=4),
                             allow_iovas(ranges=[(IOVA_PAGE(0x1000),
                                                  PAGES(16)),
                                                 (IOVA_PAGE(0x2000),
                                                  PAGES(8))]),
                             ioas_map(), iova_ranges(num=0),
                             allow_iovas(ranges=[])),
    'ioas-reserved-map': seq(ioas_alloc(),
                             add_reserved(iova=IOVA_PAGE(0), length=BIG(3)),
                             ioas_map(), ioas_map_fixed(IOVA_PAGE(1))),
    'option': seq(ioas_alloc(), option(1, 1), option(1, 0, val=0),
                  ioas_map(), option(1, 0, val=1), option(0, 1, ioas=None),
                  option(0, 0, ioas=None, val=1), option(2, 1),
                  option(1, 3)),
    'option-rlimit': seq(option(0, 0, ioas=None, val=1),
                         option(0, 1, ioas=None), ioas_alloc(),
                         option(0, 0, ioas=None, val=0),
                         option(0, 0, ioas=None, val=7)),
    # domains and devices
    'mock-domain-pins': seq(ioas_alloc(), mock_domain(),
                            ioas_map(length=PAGES(8)), md_check_map(hwpt=0),
                            md_check_refs(length=PAGES(8), refs=1),
                            destroy(1), md_check_refs(refs=0)),
    'mock-domain-after-map': seq(ioas_alloc(),
                                 ioas_map_fixed(APERTURE(0),
                                                length=PAGES(4)),
                                 mock_domain(), md_check_map(),
                                 ioas_map(ptr=INTO_RO), ioas_map(ptr=NONE),
                                 ioas_map(ptr=HOLE), ioas_unmap_all()),
    'mock-domain-busy': seq(ioas_alloc(), ioas_map(), mock_domain(),
                            ioas_map(ptr=HOLE, flags=4), mock_domain()),
    'mock-domain-flags': seq(ioas_alloc(), mock_domain(dev_flags=2),
                             ioas_map(length=PAGES(16)),
                             mock_domain(dev_flags=1),
                             get_hw_info(dev=0), get_hw_info(dev=1,
                                                              data_len=40),
                             md_check_map(hwpt=0, length=PAGES(16))),
    'mock-replace': seq(ioas_alloc(), ioas_alloc(), mock_domain(),
                        ioas_map(ioas=0), mock_replace(pt=PT_IOAS(1)),
                        ioas_map(ioas=1), mock_replace(pt=PT_IOAS(0)),
                        destroy(1)),
    'hwpt-paging': seq(ioas_alloc(), mock_domain(), ioas_map(),
                       hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=3),
                       mock_replace(pt=PT_HWPT(1)), md_check_map(hwpt=1),
                       mock_replace(pt=PT_IOAS(0)), destroy(4)),
    'hwpt-nested': seq(ioas_alloc(), mock_domain(),
                       hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=1),
                       hwpt_alloc(dev=0, pt=PT_HWPT(1), nested=0xbadbeef),
                       md_check_iotlb(nested=0, iotlb_id=2),
                       mock_replace(pt=PT_NESTED(0)),
                       hwpt_invalidate(entries=((0, 2),)),
                       md_check_iotlb(nested=0, iotlb_id=2, value=0),
                       md_check_iotlb(nested=0, iotlb_id=1),
                       hwpt_invalidate(entries=((1, 0), (0, 4))),
                       hwpt_invalidate(data_type=4),
                       ioas_map(), api_dma(dev=0, iova=IOVA(0))),
    'hwpt-nested-bad': seq(ioas_alloc(), mock_domain(),
                           hwpt_alloc(dev=0, pt=PT_HWPT(0), nested=1),
                           hwpt_alloc(dev=0, pt=PT_IOAS(0), nested=1),
                           hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=8)),
    # dirty tracking
    'dirty': seq(ioas_alloc(), mock_domain(), ioas_map(length=PAGES(8)),
                 hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=2),
                 mock_replace(pt=PT_HWPT(1)), set_dirty(hwpt=1),
                 test_dirty(hwpt=1, length=PAGES(8)),
                 get_dirty(hwpt=1, length=PAGES(8), no_clear=True),
                 get_dirty(hwpt=1, length=PAGES(8)),
                 api_dma(dev=0, write=True),
                 get_dirty(hwpt=1, length=PAGES(8), page_size=2),
                 set_dirty(hwpt=1, enable=False)),
    'dirty-no-dirty-dev': seq(ioas_alloc(), mock_domain(dev_flags=1),
                              set_dirty(hwpt=0),
                              hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=2)),
    # IO page faults: a nested hwpt with a fault queue
    'fault-queue': seq(ioas_alloc(), fault_alloc(), mock_domain(),
                       hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=1),
                       hwpt_alloc(dev=0, pt=PT_HWPT(1), nested=0, fault=0),
                       mock_replace(pt=PT_NESTED(0)),
                       trigger_iopf(dev=0, grpid=3), trigger_iopf(dev=0),
                       fault_read(records=2),
                       fault_write(responses=((2, 1),)),
                       api_dma(dev=0, iova=APERTURE(4)),
                       fault_read(records=1, respond=False),
                       close_fault_fd(), destroy(1)),
    'fault-bad-writes': seq(ioas_alloc(), fault_alloc(), mock_domain(),
                            hwpt_alloc(dev=0, pt=PT_IOAS(0), flags=1),
                            hwpt_alloc(dev=0, pt=PT_HWPT(1), nested=0,
                                       fault=0),
                            mock_replace(pt=PT_NESTED(0)), trigger_iopf(),
                            fault_read(records=1, respond=False),
                            fault_write(responses=((5, 2),)),
                            fault_write(responses=((1, 0),), odd=True),
                            fault_write(responses=((1, 0), (1, 0))),
                            mock_replace(pt=PT_IOAS(0))),
    # accesses through the selftest driver
    'access-pages': seq(ioas_alloc(), ioas_map(length=PAGES(4)),
                        create_access(),
                        access_pages(iova=IOVA(0), length=PAGES(2)),
                        md_check_refs(length=PAGES(2), refs=1),
                        access_rw(), access_rw(flags=1), access_rw(flags=2),
                        access_rw(flags=3, length=PAGES(2)),
                        destroy_access_pages(item=0),
                        access_pages(length=PAGES(1)),
                        ioas_unmap_all(), close_access_fd()),
    'access-replace': seq(ioas_alloc(), ioas_alloc(), ioas_map(),
                          create_access(), access_pages(),
                          access_replace_ioas(ioas=1),
                          access_rw(), ioas_map(ioas=1),
                          access_rw(iova=IOVA(1)), destroy(0)),
    'access-no-pin': seq(ioas_alloc(), ioas_map(), create_access(
        needs_pin=False), access_pages(), access_rw(length=PAGES(2)),
        access_rw(ptr=RO, flags=0), access_rw(ptr=RO, flags=1)),
    'access-and-domain': seq(ioas_alloc(), mock_domain(),
                             ioas_map(length=PAGES(4)), create_access(),
                             access_pages(length=PAGES(2)),
                             md_check_refs(length=PAGES(2), refs=1),
                             destroy(1), ioas_unmap(length=PAGES(4))),
    # the VFIO type1 container on the iommufd fd
    'vfio-type1': seq(ioas_alloc(), vfio_value(2, 3), vfio_value(1, 3),
                      vfio_ioas(1), vfio_ioas(0), vfio_value(1, 3),
                      vfio_value(2, 4), vfio_get_info(), vfio_map(),
                      vfio_unmap(), vfio_map(), vfio_unmap(iova=None,
                                                           flags=2),
                      vfio_ioas(2), vfio_value(0, 0)),
    'vfio-type1v1': seq(ioas_alloc(), vfio_ioas(1), vfio_value(1, 1),
                        mock_domain(), vfio_map(iova=APERTURE(16),
                                                length=PAGES(8)),
                        vfio_unmap(iova=APERTURE(18), length=PAGES(2)),
                        vfio_get_info(tail=TL(size=SIZE_2PAGES)),
                        vfio_value(2, 4), destroy(0)),
    # the emulator C API
    'api-device-dma': seq(ioas_alloc(), api_mock_device(),
                          ioas_map(length=PAGES(4)), api_dma(dev=0),
                          api_dma(dev=0, write=True, length=PAGES(2)),
                          ioas_map(ptr=RW(4), flags=4),
                          api_dma(dev=0, iova=IOVA(1), write=True),
                          api_dma(dev=0, iova=APERTURE(200))),
    'api-access': seq(ioas_alloc(), ioas_map(length=PAGES(4)),
                      api_access_create(), api_access_pin(),
                      api_access_rw(), api_access_rw(write=True),
                      ioas_unmap_all(), api_next_unmap(), api_next_unmap(),
                      api_access_unpin(), api_access_destroy()),
    'api-access-pin-unpin': seq(ioas_alloc(), ioas_map(length=PAGES(8)),
                                api_access_create(),
                                api_access_pin(length=PAGES(3)),
                                api_access_pin(iova=IOVA_PLUS_HALF(0, 4),
                                               length=PAGES(2)),
                                md_check_refs(length=PAGES(2), refs=1),
                                api_access_unpin(pin=1),
                                api_access_unpin(pin=0),
                                api_access_destroy()),
    # pins that outlive the memory
    'pins-released': seq(ioas_alloc(), mock_domain(),
                         ioas_map(ptr=RW(4), length=PAGES(4)),
                         poke(4 * 4096, b'pinned'),
                         release(5, 2), md_check_refs(ptr=RW(4),
                                                      length=PAGES(4),
                                                      refs=1),
                         create_access(), access_rw(ptr=RW(8)),
                         api_dma(dev=0), ioas_unmap_all()),
    'pins-moved': seq(ioas_alloc(), mock_domain(),
                      ioas_map(ptr=RW(4), length=PAGES(4)),
                      move(5, 2), md_check_map(ptr=RW(4)),
                      api_dma(dev=0, write=True), move(3),
                      md_check_map(ptr=RW(4)), destroy(1)),
    # the context fd, the process
    'dup-dump': seq(ioas_alloc(), dup(), ioas_map(tail=TL(fd=FD_DUP)),
                    dump(), dump(fd=FD_DUP), dup(), dump(), destroy(0)),
    'caps-accounting': seq(caps(), ioas_alloc(), mock_domain(),
                           ioas_map(length=PAGES(4)),
                           option(0, 1, ioas=None),
                           caps(drop_ipc_lock=True, drop_sys_resource=True),
                           option(0, 0, ioas=None, val=1),
                           create_access(), access_pages()),
    'fail-nth-map': seq(ioas_alloc(), ioas_map(), fail_nth(3), mock_domain(),
                        fail_nth(1), ioas_map(ptr=RW(8)),
                        fail_nth(2), mock_domain(), ioas_map(ptr=RW(8))),
    'fail-nth-access': seq(ioas_alloc(), ioas_map(), fail_nth(2),
                           create_access(), access_pages(),
                           fail_nth(4), api_access_create(),
                           api_access_pin()),
    # the dispatcher: sizes, E2BIG, reserved fields, where the struct is
    'dispatch-sizes': seq(ioas_alloc(tail=TL(size=SIZE_MIN_1)),
                          ioas_alloc(tail=TL(size=SIZE_MIN)),
                          ioas_alloc(tail=TL(size=SIZE_PLUS8)),
                          ioas_alloc(tail=TL(size=SIZE_E2BIG)),
                          ioas_alloc(tail=TL(size=SIZE_0)),
                          ioas_alloc(tail=TL(size=SIZE_HUGE)),
                          ioas_alloc(tail=TL(size=SIZE_2PAGES)),
                          ioas_map(tail=TL(size=SIZE_SHORT)),
                          mock_domain(tail=TTL(size=SIZE_E2BIG))),
    'dispatch-placement': seq(ioas_alloc(tail=TL(place=AT_END)),
                              ioas_alloc(tail=TL(place=AT_NULL)),
                              ioas_alloc(tail=TL(place=AT_HOLE)),
                              ioas_alloc(tail=TL(place=AT_NONE)),
                              ioas_alloc(tail=TL(place=AT_RO)),
                              ioas_alloc(), ioas_map(tail=TL(place=AT_RO)),
                              mock_domain(tail=TTL(place=AT_RO)),
                              destroy(0, tail=TL(place=AT_RO))),
    'dispatch-fds': seq(ioas_alloc(tail=TL(fd=FD_BAD)),
                        ioas_alloc(tail=TL(fd=FD_DEVNULL)),
                        ioas_alloc(tail=TL(fd=FD_CLOSED)),
                        raw_ioctl(0, 0x20), raw_ioctl(1, 0),
                        raw_ioctl(2, 0x3b00), raw_ioctl(3, 20),
                        test_raw(0), test_raw(16), temp_memory_limit(1),
                        temp_memory_limit(4096)),
    'bad-pointers': seq(ioas_alloc(), mock_domain(),
                        ioas_map(ptr=RO), ioas_map(ptr=RO, flags=4),
                        ioas_map(ptr=NONE), ioas_map(ptr=HOLE),
                        ioas_map(ptr=TAIL, length=PAGES(3)),
                        ioas_map(ptr=NULL), ioas_map(ptr=KERNEL),
                        iova_ranges(ptr=NULL), iova_ranges(ptr=NEAR_END),
                        get_hw_info(dev=0, ptr=RO)),
    'bad-lengths': seq(ioas_alloc(), ioas_map(length=ALL_LEN),
                       ioas_map(length=ZERO_LEN), ioas_map(length=BYTES(1)),
                       ioas_map(length=BIG(2)), ioas_map(length=BIG(2),
                                                         ptr=HOLE),
                       mock_domain(), ioas_unmap(length=BIG(2)),
                       ioas_unmap_all()),
    'copy-into-domain': seq(ioas_alloc(), ioas_alloc(), mock_domain(
        pt=PT_IOAS(1)), ioas_map(ioas=0, length=PAGES(4)),
        ioas_copy(dst=1, src=0, length=PAGES(2), src_iova=IOVA(0)),
        md_check_map(hwpt=0, iova=IOVA(1), length=PAGES(2)),
        ioas_copy(dst=1, src=0, length=PAGES(8))),
    'unmap-partial': seq(ioas_alloc(), ioas_map(length=PAGES(8)),
                         ioas_unmap(iova=IOVA_PLUS_HALF(0, 2),
                                    length=PAGES(2)),
                         option(1, 0, val=0), ioas_map(length=PAGES(8)),
                         ioas_unmap(iova=IOVA_PLUS_HALF(1, 2),
                                    length=PAGES(2))),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('%d seeds in %s' % (len(SEEDS), out))


if __name__ == '__main__':
    main()
