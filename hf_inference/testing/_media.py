"""Tiny valid media files made from scratch: PNG (zlib + struct), FLAC (verbatim frames), WAV.

They are deterministic for a given seed, small, and decodable by ordinary tools, so clients
can check they received a real image or sound rather than any bytes.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import sys
import zlib
from array import array
from collections.abc import Callable
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SAMPLE_RATE = 16000
_FLAC_BLOCK = 4096


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png(width: int, height: int, rows: bytes, color_type: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows, 6))
        + _png_chunk(b"IEND", b"")
    )


def png(width: int, height: int, seed: int = 0) -> bytes:
    """An RGB PNG of diagonal colour bands; each row is a shifted slice of one pattern."""
    a, b, c = seed & 0xFF, (seed >> 8) & 0xFF, (seed >> 16) & 0xFF
    pattern = bytes(
        v & 0xFF for x in range(width + height) for v in (x * 3 + a, x * 5 + b, x * 7 + c)
    )
    row_len = width * 3
    rows = b"".join(b"\x00" + pattern[y * 3 : y * 3 + row_len] for y in range(height))
    return _png(width, height, rows, 2)


def mask_png(width: int, height: int, index: int, count: int) -> bytes:
    """A greyscale mask: white in the index-th vertical band, black elsewhere."""
    lo, hi = index * width // count, (index + 1) * width // count
    row = b"\x00" + bytes(255 if lo <= x < hi else 0 for x in range(width))
    return _png(width, height, row * height, 0)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, BMP or JPEG, or None."""
    if data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data.startswith(b"GIF8") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data.startswith(b"BM") and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(int(w)), abs(int(h))
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data) and data[i] == 0xFF:
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return None


def tone(seed: int, n_samples: int) -> array[int]:
    """16-bit mono samples of a sine whose pitch depends on the seed."""
    step = 2.0 * math.pi * (220 + seed % 440) / SAMPLE_RATE
    return array("h", (int(8000 * math.sin(step * i)) for i in range(n_samples)))


def wav(samples: array[int]) -> bytes:
    data = _little_endian(samples)
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(data),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        SAMPLE_RATE,
        SAMPLE_RATE * 2,
        2,
        16,
        b"data",
        len(data),
    )
    return header + data


def _little_endian(samples: array[int]) -> bytes:
    if sys.byteorder == "little":
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()


def _big_endian(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()


def _table(width: int, poly: int) -> list[int]:
    top, mask = 1 << (width - 1), (1 << width) - 1
    table = []
    for i in range(256):
        c = i << (width - 8)
        for _ in range(8):
            c = ((c << 1) ^ poly) & mask if c & top else (c << 1) & mask
        table.append(c)
    return table


_CRC8 = _table(8, 0x07)
_CRC16 = _table(16, 0x8005)


def crc8(data: bytes) -> int:
    c = 0
    for byte in data:
        c = _CRC8[c ^ byte]
    return c


def crc16(data: bytes) -> int:
    c = 0
    table = _CRC16
    for byte in data:
        c = ((c << 8) & 0xFFFF) ^ table[(c >> 8) ^ byte]
    return c


def flac(samples: array[int]) -> bytes:
    """A FLAC stream: STREAMINFO, then 16 kHz 16-bit mono frames with verbatim subframes."""
    total = len(samples)
    if total < 16 or total >= _FLAC_BLOCK * 128:
        raise ValueError("between 16 samples and 128 frames")
    block = min(_FLAC_BLOCK, total)
    info = struct.pack(">HH", block, block) + b"\x00" * 6
    info += struct.pack(">Q", (SAMPLE_RATE << 44) | (0 << 41) | (15 << 36) | total)
    info += hashlib.md5(_little_endian(samples)).digest()
    out = [b"fLaC", b"\x80\x00\x00\x22", info]
    for number, start in enumerate(range(0, total, block)):
        chunk = samples[start : start + block]
        # sync + fixed blocksize; 16-bit size at end; 16 kHz; mono; 16 bits per sample
        header = b"\xff\xf8\x75\x08" + bytes([number]) + struct.pack(">H", len(chunk) - 1)
        header += bytes([crc8(header)])
        frame = header + b"\x02" + _big_endian(chunk)  # subframe type VERBATIM
        out.append(frame + struct.pack(">H", crc16(frame)))
    return b"".join(out)


#: The files the docs' examples read from the current directory, and how each is made.
SAMPLE_FILES: dict[str, Callable[[], bytes]] = {
    "cats.png": lambda: png(64, 48, seed=3),
    "invoice.png": lambda: png(80, 100, seed=11),
    "sample1.flac": lambda: flac(tone(1, 4000)),
    "article.txt": lambda: b"The tower is 324 metres tall.\n",
}


def write_samples(directory: str | os.PathLike[str]) -> list[Path]:
    """Write the docs' sample inputs into ``directory`` (made if missing); return their paths."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in SAMPLE_FILES.items():
        path = target / name
        path.write_bytes(make())
        written.append(path)
    return written


def _box(tag: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + tag + payload


def mp4(seed: int, size: int = 2048) -> bytes:
    """An ISO media file: ``ftyp``, then an ``mdat`` of seeded bytes.

    It is not a playable video, but any tool sniffing the container (``ftyp`` at offset 4)
    recognises an MP4, which is what a client downloading a generated video can check.
    """
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
    pattern = hashlib.sha256(seed.to_bytes(8, "big")).digest()
    data = (pattern * (size // len(pattern) + 1))[:size]
    return ftyp + _box(b"free", b"") + _box(b"mdat", data)
