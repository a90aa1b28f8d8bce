"""An independent G.711 reference, written from the segment arithmetic of
ITU-T G.711 as the G.191 software tools state it (one's-complement magnitude
for negative samples), plainly and sample by sample."""

from __future__ import annotations


def ulaw_encode(x: int) -> int:
    magnitude = (~x if x < 0 else x) >> 2          # 13-bit magnitude
    biased = min(magnitude + 33, 0x1FFF)
    segment = 0
    while segment < 7 and biased >= (64 << segment):
        segment += 1
    mantissa = (biased >> (segment + 1)) & 0x0F
    code = ((7 - segment) << 4) | (15 - mantissa)
    return code | 0x80 if x >= 0 else code


def ulaw_decode(code: int) -> int:
    inverted = ~code & 0xFF
    segment = (inverted >> 4) & 7
    mantissa = inverted & 0x0F
    step = 4 << (segment + 1)
    magnitude = (0x80 << segment) + step * mantissa + step // 2 - 4 * 33
    return magnitude if code & 0x80 else -magnitude


def alaw_encode(x: int) -> int:
    magnitude = (~x if x < 0 else x) >> 4          # 11-bit magnitude
    if magnitude < 16:
        code = magnitude
    else:
        segment = 1
        while magnitude >= (32 << (segment - 1)):
            segment += 1
        code = (segment << 4) | ((magnitude >> (segment - 1)) & 0x0F)
    if x >= 0:
        code |= 0x80
    return code ^ 0x55


def alaw_decode(code: int) -> int:
    a = (code ^ 0x55) & 0x7F
    segment, mantissa = a >> 4, a & 0x0F
    if segment == 0:
        magnitude = (mantissa << 4) + 8
    else:
        magnitude = ((mantissa + 16) << 4 | 8) << (segment - 1)
    return magnitude if code & 0x80 else -magnitude
