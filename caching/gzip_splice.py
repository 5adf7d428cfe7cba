"""A members page compressed once, with each response's CSRF input spliced in uncompressed.

The page is compressed in pieces that each end on a byte boundary (Z_SYNC_FLUSH); the CSRF
input goes between them as a stored (uncompressed) deflate block, so a response costs one CRC
over the token instead of a compression, and the token is never compressed together with the
page (nothing for BREACH to measure).
"""

import struct
import zlib
from array import array
from dataclasses import dataclass

_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, unknown OS


class CrcCarry:
    """`zlib.crc32(data, crc)` for one fixed `data` and any starting `crc`, in four table look-ups.

    CRC-32 is affine in its starting value: crc32(data, s) = L(s) ^ crc32(data, 0), with L linear
    over GF(2); L is tabulated a byte of `s` at a time from its 32 basis images. A replay carries
    the CRC across the page after the token this way instead of hashing the page again.
    """

    __slots__ = ("zero", "tables")

    def __init__(self, data: bytes):
        self.zero = zlib.crc32(data)
        basis = [zlib.crc32(data, 1 << bit) ^ self.zero for bit in range(32)]
        self.tables = []
        for byte in range(4):
            table = array("I", bytes(4 * 256))
            for value in range(1, 256):
                lowest = value & -value
                table[value] = table[value ^ lowest] ^ basis[8 * byte + lowest.bit_length() - 1]
            self.tables.append(table)

    def __call__(self, crc: int) -> int:
        first, second, third, fourth = self.tables
        return self.zero ^ first[crc & 0xFF] ^ second[(crc >> 8) & 0xFF] ^ third[(crc >> 16) & 0xFF] ^ fourth[crc >> 24]


@dataclass(frozen=True, slots=True)
class Page:
    version: str
    status: str
    headers: list[tuple[str, str]]
    parts: list[bytes]  # the HTML split at the CSRF marker
    deflated: list[bytes]  # each part compressed on its own, the last one finishing the stream
    prefix_crc: int  # CRC-32 of parts[0]
    carries: list[CrcCarry]  # across parts[1:], one each

    @classmethod
    def build(cls, *, version: str, status: str, headers: list, html: str, marker: str) -> "Page":
        parts = [part.encode() for part in html.split(marker)]
        deflated = []
        for index, part in enumerate(parts):
            compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            last = index == len(parts) - 1
            deflated.append(compressor.compress(part) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
        carries = [CrcCarry(part) for part in parts[1:]]
        return cls(version, status, headers, parts, deflated, zlib.crc32(parts[0]), carries)

    def body(self, csrf_input: bytes) -> bytes:
        return csrf_input.join(self.parts)

    def gzip_body(self, csrf_input: bytes) -> bytes:
        stored = b"\x00" + struct.pack("<HH", len(csrf_input), len(csrf_input) ^ 0xFFFF) + csrf_input
        chunks = [_GZIP_HEADER, self.deflated[0]]
        crc = self.prefix_crc
        size = len(self.parts[0])
        for part, deflated, carry in zip(self.parts[1:], self.deflated[1:], self.carries, strict=True):
            crc = carry(zlib.crc32(csrf_input, crc))
            size += len(csrf_input) + len(part)
            chunks += [stored, deflated]
        chunks.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(chunks)
