"""Minimal pure-Python Parquet reader for the deepset files.

Why: pyarrow/pandas are not dependencies of guardstream, and the only Parquet data we read
(deepset/prompt-injections, two ~40 KB files written by parquet-cpp-arrow) is flat: one
BYTE_ARRAY column and one INT64 column, v1 data pages, dictionary or plain encoding,
SNAPPY/GZIP/uncompressed. This reads exactly that subset and fails loudly on anything else.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any

_MAGIC = b"PAR1"
# Parquet physical types / encodings / codecs / page types we support.
_INT32, _INT64, _BYTE_ARRAY = 1, 2, 6
_PLAIN, _PLAIN_DICT, _RLE, _RLE_DICT = 0, 2, 3, 8
_UNCOMPRESSED, _SNAPPY, _GZIP = 0, 1, 2
_DATA_PAGE, _DICT_PAGE = 0, 2


class ParquetError(ValueError):
    """Raised when a file uses a Parquet feature this reader does not implement."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """ULEB128 varint at `pos` (Thrift ints, snappy's length, RLE run headers): value, next pos."""
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


# --------------------------------------------------------------------------- thrift compact
class _Thrift:
    """Decoder for the Thrift compact protocol; structs become {field_id: value} dicts."""

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def _byte(self) -> int:
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        result, self.pos = _varint(self.buf, self.pos)
        return result

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def _value(self, ctype: int) -> Any:
        if ctype in (1, 2):  # bool true/false (in a struct field header)
            return ctype == 1
        if ctype == 3:
            return struct.unpack("b", bytes([self._byte()]))[0]
        if ctype in (4, 5, 6):  # i16, i32, i64
            return self.zigzag()
        if ctype == 7:
            v = struct.unpack_from("<d", self.buf, self.pos)[0]
            self.pos += 8
            return v
        if ctype == 8:
            n = self.varint()
            v = self.buf[self.pos : self.pos + n]
            self.pos += n
            return v
        if ctype in (9, 10):  # list, set
            head = self._byte()
            size, etype = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            if etype in (1, 2):
                return [self._byte() == 1 for _ in range(size)]
            return [self._value(etype) for _ in range(size)]
        if ctype == 11:  # map
            size = self.varint()
            if size == 0:
                return {}
            kv = self._byte()
            return {self._value(kv >> 4): self._value(kv & 0x0F) for _ in range(size)}
        if ctype == 12:
            return self.struct()
        raise ParquetError(f"unknown thrift type {ctype}")

    def struct(self) -> dict[int, Any]:
        out: dict[int, Any] = {}
        fid = 0
        while True:
            head = self._byte()
            if head == 0:
                return out
            delta, ctype = head >> 4, head & 0x0F
            fid = fid + delta if delta else self.zigzag()
            out[fid] = self._value(ctype)


# --------------------------------------------------------------------------- codecs
def _snappy(data: bytes) -> bytes:
    length, pos = _varint(data, 0)  # preamble: uncompressed length
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            n = tag >> 2
            if n >= 60:
                nb = n - 59
                n = int.from_bytes(data[pos : pos + nb], "little")
                pos += nb
            n += 1
            out += data[pos : pos + n]
            pos += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            off = int.from_bytes(data[pos : pos + 2], "little")
            pos += 2
        else:
            n = (tag >> 2) + 1
            off = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        start = len(out) - off
        for i in range(n):  # byte-wise: copies may overlap
            out.append(out[start + i])
    if len(out) != length:
        raise ParquetError("snappy length mismatch")
    return bytes(out)


def _decompress(codec: int, data: bytes) -> bytes:
    if codec == _UNCOMPRESSED:
        return data
    if codec == _SNAPPY:
        return _snappy(data)
    if codec == _GZIP:
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else zlib.decompress(data)
    raise ParquetError(f"unsupported codec {codec}")


# --------------------------------------------------------------------------- encodings
def _rle_hybrid(buf: bytes, bit_width: int, count: int) -> list[int]:
    """RLE / bit-packed hybrid decoder (definition levels and dictionary indices)."""
    out: list[int] = []
    pos = 0
    byte_w = (bit_width + 7) // 8
    mask = (1 << bit_width) - 1
    while len(out) < count and pos < len(buf):
        header, pos = _varint(buf, pos)
        if header & 1:  # bit-packed groups of 8
            n = (header >> 1) * 8
            nbytes = (header >> 1) * bit_width
            bits = int.from_bytes(buf[pos : pos + nbytes], "little")
            pos += nbytes
            out.extend((bits >> (i * bit_width)) & mask for i in range(n))
        else:
            n = header >> 1
            v = int.from_bytes(buf[pos : pos + byte_w], "little") if byte_w else 0
            pos += byte_w
            out.extend([v] * n)
    return out[:count]


def _plain(buf: bytes, ptype: int, count: int) -> list[Any]:
    if ptype == _BYTE_ARRAY:
        vals: list[Any] = []
        pos = 0
        for _ in range(count):
            n = int.from_bytes(buf[pos : pos + 4], "little")
            vals.append(buf[pos + 4 : pos + 4 + n].decode("utf-8"))
            pos += 4 + n
        return vals
    if ptype == _INT64:
        return list(struct.unpack_from(f"<{count}q", buf))
    if ptype == _INT32:
        return list(struct.unpack_from(f"<{count}i", buf))
    raise ParquetError(f"unsupported physical type {ptype}")


# --------------------------------------------------------------------------- reader
def read_parquet(path: Path) -> dict[str, list[Any]]:
    """Read a flat Parquet file into {column: values} (None for nulls)."""
    data = path.read_bytes()
    if data[:4] != _MAGIC or data[-4:] != _MAGIC:
        raise ParquetError(f"{path} is not a Parquet file")
    meta_len = int.from_bytes(data[-8:-4], "little")
    meta = _Thrift(data, len(data) - 8 - meta_len).struct()
    schema = meta[2]
    leaves = schema[1:]
    if any(el.get(5) for el in leaves):  # num_children on a leaf => nested schema
        raise ParquetError("nested Parquet schemas are not supported")
    columns: dict[str, list[Any]] = {el[4].decode(): [] for el in leaves}
    optional = {el[4].decode(): el.get(3, 0) == 1 for el in leaves}
    for row_group in meta[4]:
        for chunk in row_group[1]:
            cmeta = chunk[3]
            ptype, codec, name = cmeta[1], cmeta[4], cmeta[3][-1].decode()
            total = cmeta[5]
            pos = cmeta.get(11) or cmeta[9]
            dictionary: list[Any] = []
            got = 0
            while got < total:
                reader = _Thrift(data, pos)
                header = reader.struct()
                pos = reader.pos
                page = _decompress(codec, data[pos : pos + header[3]])
                pos += header[3]
                if header[1] == _DICT_PAGE:
                    dictionary = _plain(page, ptype, header[7][1])
                    continue
                if header[1] != _DATA_PAGE:
                    raise ParquetError(f"unsupported page type {header[1]}")
                dph = header[5]
                n, encoding = dph[1], dph[2]
                off = 0
                defs = [1] * n
                if optional[name]:
                    dlen = int.from_bytes(page[:4], "little")
                    defs = _rle_hybrid(page[4 : 4 + dlen], 1, n)
                    off = 4 + dlen
                present = sum(defs)
                if encoding in (_PLAIN_DICT, _RLE_DICT):
                    width = page[off]
                    idx = _rle_hybrid(page[off + 1 :], width, present)
                    values = [dictionary[i] for i in idx]
                elif encoding == _PLAIN:
                    values = _plain(page[off:], ptype, present)
                else:
                    raise ParquetError(f"unsupported encoding {encoding}")
                it = iter(values)
                columns[name].extend(next(it) if d else None for d in defs)
                got += n
    return columns
