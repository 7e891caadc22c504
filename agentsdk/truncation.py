"""Media whose data is shorter than its header promises: the checks decoders skip.

Pillow accepts a PNG whose zlib stream ends before the last row, libjpeg a JPEG whose
scan ends before the last block, and libsndfile a PCM file whose data chunk is cut short:
each fills in or shortens without a word. These functions read only the container bytes
(no pixel or sample is decoded) and say what is missing; `agentsdk.media` refuses such
input as `CorruptMediaError`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

__all__ = ["image_shortfall", "missing_data_bytes"]


# -- image data too short for its header -------------------------------------------------
# Pillow accepts a PNG whose zlib stream ends before the last row, and libjpeg a JPEG whose
# scan ends (at an EOI marker) before the last block: both fill the rest with flat
# pixels and say nothing. These checks read only the bytes, before any pixel is decoded.

_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7_PASSES: tuple[tuple[int, int, int, int], ...] = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
"""Adam7 interlace passes: (first column, first row, column step, row step)."""
_INFLATE_STEP = 1 << 20


def _ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def image_shortfall(data: bytes, fmt: str | None) -> str | None:
    """Why the image data is too short for its header, or None when it is not (or when
    the format has no check here: its decoder is trusted to notice)."""
    if fmt == "PNG":
        return _png_shortfall(data)
    if fmt == "JPEG":
        return _jpeg_shortfall(data)
    return None


def _png_expected_bytes(ihdr: bytes) -> int:
    """Filtered bytes a PNG's IHDR promises: one filter byte plus the packed samples of
    every row, for each Adam7 pass when interlaced. 0 when the header is unreadable."""
    if len(ihdr) < 13 or ihdr[9] not in _PNG_CHANNELS:
        return 0
    width, height = _u(ihdr, 0, ">I"), _u(ihdr, 4, ">I")
    bits = ihdr[8] * _PNG_CHANNELS[ihdr[9]]
    passes = _ADAM7_PASSES if ihdr[12] == 1 else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        columns, rows = _ceil_div(width - x0, dx), _ceil_div(height - y0, dy)
        if columns > 0 and rows > 0:
            total += rows * (1 + _ceil_div(columns * bits, 8))
    return total


def _png_shortfall(data: bytes) -> str | None:
    """Inflate the IDAT stream, counting (not keeping) its bytes, up to what IHDR
    promises; a stream that ends or breaks before that is truncated."""
    expected, produced, offset = 0, 0, 8
    inflater = zlib.decompressobj()
    while offset + 8 <= len(data) and (not expected or produced < expected):
        length, kind = _u(data, offset, ">I"), data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            expected = _png_expected_bytes(body)
        elif kind == b"IDAT":
            produced += _inflated_size(inflater, body, expected - produced)
        elif kind == b"IEND":
            break
        offset += 12 + length
    if not expected or produced >= expected:
        return None
    return f"its pixel data holds {produced:,} of the {expected:,} bytes its header promises"


def _inflated_size(inflater: Any, chunk: bytes, wanted: int) -> int:
    """Bytes `chunk` inflates to, counted a megabyte at a time and no more than
    `wanted`; a zlib error ends the count (what came before is all there is)."""
    total = 0
    try:
        while chunk and total < wanted:
            total += len(inflater.decompress(chunk, _INFLATE_STEP))
            chunk = inflater.unconsumed_tail
    except zlib.error:
        return total
    return total


_JPEG_HUFFMAN_SOF_BITS = {0xC0: 2, 0xC1: 2, 0xC2: 1, 0xC3: 1}
"""Huffman-coded JPEG frames -> the fewest bits any 8x8 block can take: sequential
blocks code a DC difference and an AC code (at least an end-of-block), progressive and
lossless ones at least one DC code. Arithmetic coding has no such floor."""


def _jpeg_shortfall(data: bytes) -> str | None:
    """Compare the entropy-coded bytes of all scans with the fewest the frame's blocks
    could take; fewer means the data stops early."""
    offset, blocks, bits, coded = 2, 0, 0, 0
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD8:
            offset += 1 if marker == 0xFF else 2
            continue
        if marker == 0xD9:
            break
        length = _u(data, offset + 2, ">H")
        if marker in _JPEG_HUFFMAN_SOF_BITS:
            blocks, bits = (
                _jpeg_blocks(data[offset + 4 : offset + 2 + length]),
                _JPEG_HUFFMAN_SOF_BITS[marker],
            )
        elif 0xC5 <= marker <= 0xCF and marker not in (0xC8, 0xCC):
            return None  # hierarchical or arithmetic-coded: no simple floor
        offset += 2 + length
        if marker == 0xDA:
            end = _jpeg_scan_end(data, offset)
            coded, offset = coded + end - offset, end
    needed = blocks * bits // 8
    if coded >= needed:
        return None
    return f"its scans hold {coded:,} bytes; {blocks:,} blocks need at least {needed:,}"


def _jpeg_blocks(frame: bytes) -> int:
    """8x8 blocks in a JPEG frame (SOF segment body), counting each component at its own
    sampled size; 0 when the height is deferred to a DNL marker or the segment is short."""
    if len(frame) < 6:
        return 0
    height, width, count = _u(frame, 1, ">H"), _u(frame, 3, ">H"), frame[5]
    sampling = frame[7 : 6 + 3 * count : 3]  # one (h << 4 | v) byte per component
    factors = [(byte >> 4, byte & 15) for byte in sampling]
    if height <= 0 or width <= 0 or not factors or len(factors) != count:
        return 0
    h_max, v_max = max(f[0] for f in factors) or 1, max(f[1] for f in factors) or 1
    return sum(
        _ceil_div(_ceil_div(width * h, h_max), 8) * _ceil_div(_ceil_div(height * v, v_max), 8)
        for h, v in factors
    )


def _jpeg_scan_end(data: bytes, offset: int) -> int:
    """Where a scan's entropy-coded data ends: the first marker that is neither a stuffed
    0xFF00 nor a restart marker (RST0-7), or the end of the data."""
    while True:
        offset = data.find(b"\xff", offset)
        if offset < 0 or offset + 1 >= len(data):
            return len(data)
        following = data[offset + 1]
        if following != 0x00 and not 0xD0 <= following <= 0xD7:
            return offset
        offset += 2


# libsndfile reads a PCM file whose data is cut short without complaint (it trusts the
# file length over the header), so the header's promise is checked here. Each reader
# returns how many bytes the data chunk lacks; 0 when complete, unknown (streaming
# writers leave 0 or all-ones) or unreadable (libsndfile has judged the header already).

_UNKNOWN_SIZES = frozenset({0, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF})


def _u(data: bytes, offset: int, fmt: str) -> int:
    """One unsigned integer from `data` (struct format `fmt`), or -1 past the end."""
    end = offset + struct.calcsize(fmt)
    if offset < 0 or end > len(data):
        return -1
    return int(struct.unpack(fmt, data[offset:end])[0])


def _chunk_shortfall(
    data: bytes,
    start: int,
    target: bytes,
    *,
    id_size: int = 4,
    size_fmt: str = "<I",
    align: int = 2,
    size_counts_header: bool = False,
    unknown_size: Callable[[int], int] | None = None,
) -> int:
    """Walk a chunked container from `start` to the chunk whose id starts with `target`
    and return how many of its declared bytes are missing from `data`."""
    head = id_size + struct.calcsize(size_fmt)
    offset = start
    while offset + head <= len(data):
        size = _u(data, offset + id_size, size_fmt)
        body = size - head if size_counts_header else size
        if data[offset : offset + id_size].startswith(target):
            if size in _UNKNOWN_SIZES and unknown_size is not None:
                body = unknown_size(size)
            if body in _UNKNOWN_SIZES or body < 0:
                return 0
            return max(0, body - (len(data) - offset - head))
        if body < 0:
            return 0
        offset += head + body + (-(head + body) % align if align > 1 else 0)
    return 0


def _riff_missing(data: bytes) -> int:
    """WAV / WAVEX (RIFF, little-endian; RIFX, big-endian) and RF64 / BW64 (the data
    size lives in the ds64 chunk when the data chunk says 0xFFFFFFFF)."""
    magic = data[:4]
    if magic in (b"RF64", b"BW64"):
        ds64 = _u(data, 28, "<Q") if data[12:16] == b"ds64" else -1
        return _chunk_shortfall(data, 12, b"data", unknown_size=lambda _size: ds64)
    endian = ">" if magic == b"RIFX" else "<"
    return _chunk_shortfall(data, 12, b"data", size_fmt=f"{endian}I")


def _w64_missing(data: bytes) -> int:
    """Sony Wave64: 16-byte GUID chunk ids, 64-bit sizes that count the 24-byte header,
    chunks aligned to 8 bytes."""
    return _chunk_shortfall(
        data, 40, b"data", id_size=16, size_fmt="<Q", align=8, size_counts_header=True
    )


def _aiff_missing(data: bytes) -> int:
    """AIFF / AIFC: big-endian chunks padded to even sizes; the samples are in SSND."""
    return _chunk_shortfall(data, 12, b"SSND", size_fmt=">I")


def _caf_missing(data: bytes) -> int:
    """Core Audio Format: big-endian 64-bit chunk sizes, -1 for "up to the end"."""
    return _chunk_shortfall(data, 8, b"data", size_fmt=">Q", align=1)


def _au_missing(data: bytes) -> int:
    """Sun/NeXT AU: data offset and size at bytes 4 and 8 (big-endian; "dns." files are
    little-endian)."""
    endian = "<" if data[:4] == b"dns." else ">"
    offset, size = _u(data, 4, f"{endian}I"), _u(data, 8, f"{endian}I")
    if offset < 0 or size in _UNKNOWN_SIZES or size < 0:
        return 0
    return max(0, size - (len(data) - offset))


def _voc_missing(data: bytes) -> int:
    """Creative VOC: blocks of 1 type byte + 3 size bytes after the header; type 0 ends."""
    offset = _u(data, 20, "<H")
    while 0 <= offset < len(data) and data[offset] != 0:
        if offset + 4 > len(data):
            return offset + 4 - len(data)
        offset += 4 + int.from_bytes(data[offset + 1 : offset + 4], "little")
    return max(0, offset - len(data))


def _nist_missing(data: bytes) -> int:
    """NIST SPHERE: a text header of "name -type value" lines; PCM data follows it."""
    lines = data[:1024].decode("latin-1").split("\n")
    try:
        fields = {line.split()[0]: line.split()[-1] for line in lines[2:] if line.split()}
        header = int(lines[1])
        promised = (
            int(fields["sample_count"])
            * int(fields.get("channel_count", "1"))
            * int(fields.get("sample_n_bytes", "2"))
        )
    except (IndexError, KeyError, ValueError):
        return 0
    if not fields.get("sample_coding", "pcm").startswith("pcm"):
        return 0
    return max(0, header + promised - len(data))


_MISSING_DATA_READERS: dict[str, Callable[[bytes], int]] = {
    "WAV": _riff_missing,
    "WAVEX": _riff_missing,
    "RF64": _riff_missing,
    "W64": _w64_missing,
    "AIFF": _aiff_missing,
    "CAF": _caf_missing,
    "AU": _au_missing,
    "VOC": _voc_missing,
    "NIST": _nist_missing,
}


def missing_data_bytes(data: bytes, fmt: str) -> int:
    """Bytes the container's header promises but the data does not hold (0 for formats
    without a data length, or whose decoders already refuse short data)."""
    reader = _MISSING_DATA_READERS.get(fmt)
    return reader(data) if reader else 0
