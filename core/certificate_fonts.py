"""Which bundled font draws which character of a certificate.

Three faces ship in core/assets/fonts (regular and bold each, SIL Open Font License):
Noto Naskh Arabic for Arabic-script text, Vazirmatn for Dari (Persian letter shapes and the
forms an Afghan reader expects), Noto Sans for Latin and Cyrillic. A line is cut into pieces
that each one face draws: letters go to their script's face, neutral characters (spaces,
digits, punctuation, ZWNJ) stay with the letters they touch when that face has them, and any
character the preferred face lacks falls back to the next face that has it. A character no
bundled face has is left out, so no missing-glyph box is ever drawn.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "assets" / "fonts"


class Face(StrEnum):
    NASKH = "NotoNaskhArabic"
    VAZIRMATN = "Vazirmatn"
    SANS = "NotoSans"


def font_path(face: Face, *, bold: bool) -> Path:
    return FONT_DIR / f"{face.value}-{'Bold' if bold else 'Regular'}.ttf"


def arabic_face_for(locale: str) -> Face:
    """Dari (fa_AF, prs) and Persian get Vazirmatn; every other language Noto Naskh Arabic."""
    base = locale.replace("-", "_").split("_")[0].lower()
    return Face.VAZIRMATN if base in {"fa", "prs"} else Face.NASKH


def is_arabic_script(ch: str) -> bool:
    code = ord(ch)
    return (
        0x0600 <= code <= 0x06FF
        or 0x0750 <= code <= 0x077F
        or 0x0870 <= code <= 0x08FF
        or 0xFB50 <= code <= 0xFDFF
        or 0xFE70 <= code <= 0xFEFF
    )


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L"


@dataclass(frozen=True)
class FacePlan:
    """The faces a certificate in one language uses, in fallback order per script."""

    arabic: Face
    other: Face = Face.SANS

    def chain(self, ch: str) -> tuple[Face, ...]:
        if is_arabic_script(ch):
            return (self.arabic, self.other)
        return (self.other, self.arabic)

    def covers(self, face: Face, ch: str) -> bool:
        # Regular and bold of a face cover the same characters; check both to be sure.
        return ord(ch) in covered(face, bold=False) and ord(ch) in covered(face, bold=True)

    def segments(self, text: str) -> list[tuple[str, Face]]:
        """`text` cut into (piece, face) in logical order; uncovered characters dropped."""
        faces: list[Face | None] = [None] * len(text)
        for i, ch in enumerate(text):
            if _is_letter(ch):
                faces[i] = next((f for f in self.chain(ch) if self.covers(f, ch)), None)
        for i, ch in enumerate(text):
            if _is_letter(ch):
                continue
            before = next((faces[j] for j in range(i - 1, -1, -1) if faces[j]), None)
            after = next(
                (faces[j] for j in range(i + 1, len(text)) if _is_letter(text[j]) and faces[j]),
                None,
            )
            candidates = [f for f in (before, after) if f] + list(self.chain(ch))
            faces[i] = next((f for f in candidates if self.covers(f, ch)), None)
        pieces: list[tuple[str, Face]] = []
        for ch, face in zip(text, faces, strict=True):
            if face is None:
                continue
            if pieces and pieces[-1][1] == face:
                pieces[-1] = (pieces[-1][0] + ch, face)
            else:
                pieces.append((ch, face))
        return pieces


@cache
def covered(face: Face, *, bold: bool) -> frozenset[int]:
    """The code points the font file maps to a glyph (its Unicode cmap)."""
    return read_cmap(font_path(face, bold=bold).read_bytes())


def read_cmap(data: bytes) -> frozenset[int]:
    """Code points of a TrueType/OpenType font's Unicode cmap (subtable format 12 or 4)."""
    num_tables = struct.unpack_from(">H", data, 4)[0]
    cmap_offset = None
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        raise ValueError("font has no cmap table")
    count = struct.unpack_from(">H", data, cmap_offset + 2)[0]
    subtables: dict[int, int] = {}  # format -> absolute offset, Unicode encodings only
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        if platform == 0 or (platform == 3 and encoding in {1, 10}):
            start = cmap_offset + offset
            subtables.setdefault(struct.unpack_from(">H", data, start)[0], start)
    if 12 in subtables:
        return _cmap_format_12(data, subtables[12])
    if 4 in subtables:
        return _cmap_format_4(data, subtables[4])
    raise ValueError("font has no Unicode cmap subtable of format 4 or 12")


def _cmap_format_12(data: bytes, start: int) -> frozenset[int]:
    groups = struct.unpack_from(">I", data, start + 12)[0]
    codes: set[int] = set()
    for i in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * i)
        codes.update(code for code in range(first, last + 1) if glyph + code - first)
    return frozenset(codes)


def _cmap_format_4(data: bytes, start: int) -> frozenset[int]:
    segments = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends_at = start + 14
    starts_at = ends_at + 2 * segments + 2
    deltas_at = starts_at + 2 * segments
    ranges_at = deltas_at + 2 * segments
    codes: set[int] = set()
    for i in range(segments):
        end = struct.unpack_from(">H", data, ends_at + 2 * i)[0]
        first = struct.unpack_from(">H", data, starts_at + 2 * i)[0]
        delta = struct.unpack_from(">h", data, deltas_at + 2 * i)[0]
        range_offset = struct.unpack_from(">H", data, ranges_at + 2 * i)[0]
        for code in range(first, end + 1):
            if code == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = ranges_at + 2 * i + range_offset + 2 * (code - first)
                glyph = struct.unpack_from(">H", data, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                codes.add(code)
    return frozenset(codes)


__all__ = [
    "FONT_DIR",
    "Face",
    "FacePlan",
    "arabic_face_for",
    "covered",
    "font_path",
    "is_arabic_script",
    "read_cmap",
]
