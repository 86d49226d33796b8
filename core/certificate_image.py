"""Certificate of completion: a picture a trainee can show an employer, in their language.

Pure Pillow (no aiogram, no database). Text is laid out with Pillow's raqm engine (HarfBuzz for
shaping, FriBiDi for direction), so Arabic and Dari letters join and read right-to-left.

Mixed-direction lines are not left to chance: in a right-to-left paragraph every left-to-right
stretch (the verification code, "/verify RFQ-…", a Latin or Cyrillic name) is cut out and drawn
as its own LTR run, and the runs are placed right to left. So punctuation at the edge of a code
("/verify") stays attached to it instead of jumping to the other end, as a single bidi string
would do. The code itself is always drawn as a separate LTR run.

Each run is drawn in a font made for its script (core.certificate_fonts): Noto Naskh Arabic
for Arabic, Vazirmatn for Dari, Noto Sans for Latin and Cyrillic, so a name typed in another
script than the certificate's language gets its own script's font. The fonts ship in
core/assets/fonts and are loaded relative to the package, never from the system.
"""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont, features

from core.bidi import clean_display_name, is_rtl
from core.certificate_fonts import Face, FacePlan, arabic_face_for, font_path

DEFAULT_SIZE = (1600, 1131)  # landscape, A4 proportions
MAX_BYTES = 300_000

Direction = Literal["ltr", "rtl"]

_BACKGROUND = (251, 248, 241)
_NAVY = (31, 58, 95)
_GOLD = (176, 141, 60)
_INK = (27, 27, 27)
_GREY = (90, 90, 90)
_ELLIPSIS = "…"
# Neutral characters that belong to the LTR token they touch: "/verify", "#12", "(ABC)".
_LTR_OPENERS = frozenset("/@#([{+-\"'")
_LTR_CLOSERS = frozenset(")]}\"'%")


class CertificateError(RuntimeError):
    """The certificate cannot be drawn correctly (e.g. Pillow was built without raqm)."""


@dataclass(frozen=True)
class CertificateText:  # all strings already translated by the caller
    heading: str  # e.g. "Certificate of completion"
    intro: str  # e.g. "This certifies that"
    name: str  # the trainee's name as typed; cleaned with clean_display_name when drawn
    completed: str  # e.g. "has completed the course"
    course_title: str
    date: str  # already formatted for the locale
    code_label: str  # e.g. "Verification code"
    code: str  # e.g. "RFQ-7K2M-9XQ4": Latin, always drawn left-to-right
    verify_hint: str  # e.g. "Check it with /verify RFQ-7K2M-9XQ4 in the Rafiq bot"


@dataclass(frozen=True)
class Run:
    """A piece of a line drawn in one direction and one face; x is its left edge."""

    text: str
    direction: Direction
    x: float
    width: float
    face: Face


@dataclass(frozen=True)
class PlacedLine:
    role: str  # which CertificateText field (course_title and verify_hint may have 2 lines)
    text: str  # the logical string drawn (the runs joined in reading order)
    runs: tuple[Run, ...]
    y: float  # baseline
    font_size: int
    bold: bool
    fill: tuple[int, int, int]


# --------------------------------------------------------------------------- public API


def render_certificate(
    text: CertificateText, *, locale: str, size: tuple[int, int] = DEFAULT_SIZE
) -> bytes:
    """The certificate as PNG bytes (under 300 KB at the default size)."""
    width, height = size
    image = Image.new("RGB", size, _BACKGROUND)
    draw = ImageDraw.Draw(image)
    lines = layout_certificate(text, locale=locale, size=size)
    setting = _Setting.for_locale(locale)
    _draw_frame(draw, width, height)
    _draw_ornaments(draw, lines, width, height)
    for line in lines:
        for run in line.runs:
            draw.text(
                (run.x, line.y),
                run.text,
                font=_font(run.face, line.font_size, bold=line.bold),
                fill=line.fill,
                anchor="ls",
                direction=run.direction,
                language=setting.language(run.face),  # as when measured in the layout
            )
    return _encode(image)


def certificate_lines(
    text: CertificateText, *, locale: str = "en", size: tuple[int, int] = DEFAULT_SIZE
) -> list[str]:
    """The exact strings drawn on the certificate, top to bottom (for tests and previews)."""
    return [line.text for line in layout_certificate(text, locale=locale, size=size)]


def clean_certificate_text(text: CertificateText) -> CertificateText:
    """Every field stripped of bidi and other control characters; the name via
    clean_display_name. Our own run splitting handles direction, so embedded isolates
    (e.g. from core.bidi.isolate_ltr in a translation) are neither needed nor drawable."""
    return CertificateText(
        heading=_clean(text.heading),
        intro=_clean(text.intro),
        name=clean_display_name(text.name),
        completed=_clean(text.completed),
        course_title=_clean(text.course_title),
        date=_clean(text.date),
        code_label=_clean(text.code_label),
        code=_clean(text.code),
        verify_hint=_clean(text.verify_hint),
    )


def layout_certificate(
    text: CertificateText, *, locale: str, size: tuple[int, int] = DEFAULT_SIZE
) -> list[PlacedLine]:
    """Where every line goes. Raises CertificateError if Pillow lacks raqm."""
    _require_raqm()
    language = _Setting.for_locale(locale)
    text = _drawable_text(clean_certificate_text(text), language.plan)
    width, height = size
    scale = min(width / DEFAULT_SIZE[0], height / DEFAULT_SIZE[1])
    base = _base_direction(locale)
    centre = width / 2
    content_width = width - 2 * 150 * (width / DEFAULT_SIZE[0])

    def y(value: float) -> float:
        return value * height / DEFAULT_SIZE[1]

    def px(value: float) -> int:
        return max(8, round(value * scale))

    def line(
        role: str,
        value: str,
        font_size: int,
        baseline: float,
        *,
        bold: bool = False,
        fill: tuple[int, int, int] = _INK,
        x: float = centre,
        direction: Direction = base,
    ) -> PlacedLine:
        runs = _place_runs(value, font_size, bold, direction, language, x)
        return PlacedLine(role, value, runs, baseline, font_size, bold, fill)

    lines: list[PlacedLine] = []

    heading_size = _fit_size(text.heading, px(60), px(30), content_width, True, base, language)
    lines.append(line("heading", text.heading, heading_size, y(200), bold=True, fill=_NAVY))
    lines.append(line("intro", text.intro, px(32), y(330), fill=_GREY))

    # The name keeps its own direction: an Arabic name on an English certificate is RTL,
    # a Latin name on an Arabic one is LTR.
    name_direction = _first_strong_direction(text.name, base)
    name_size = _fit_size(text.name, px(84), px(18), content_width, True, name_direction, language)
    lines.append(line("name", text.name, name_size, y(455), bold=True, direction=name_direction))
    lines.append(line("completed", text.completed, px(32), y(575), fill=_GREY))

    title_size, title_lines = _fit_wrapped(
        text.course_title, px(46), px(22), content_width, True, base, language
    )
    if len(title_lines) == 1:
        title_baselines = [y(665)]
    else:
        gap = title_size * 1.35
        title_baselines = [y(680) - gap / 2, y(680) + gap / 2]
    for value, baseline in zip(title_lines, title_baselines, strict=True):
        lines.append(line("course_title", value, title_size, baseline, bold=True, fill=_NAVY))

    # Bottom row: date at the start side, verification code at the end side (mirrored for RTL).
    start_x, end_x = width * 0.27, width * 0.73
    if base == "rtl":
        start_x, end_x = end_x, start_x
    column_width = width * 0.36
    date_size = _fit_size(text.date, px(32), px(16), column_width, False, base, language)
    lines.append(line("date", text.date, date_size, y(890), x=start_x))
    code_size = _fit_size(text.code, px(36), px(16), column_width, True, "ltr", language)
    lines.append(line("code", text.code, code_size, y(890), bold=True, x=end_x, direction="ltr"))
    label_size = _fit_size(text.code_label, px(24), px(14), column_width, False, base, language)
    lines.append(line("code_label", text.code_label, label_size, y(940), fill=_GREY, x=end_x))

    hint_size, hint_lines = _fit_wrapped(
        text.verify_hint, px(24), px(14), content_width, False, base, language
    )
    hint_baselines = [y(1025)] if len(hint_lines) == 1 else [y(1008), y(1008) + hint_size * 1.4]
    for value, baseline in zip(hint_lines, hint_baselines, strict=True):
        lines.append(line("verify_hint", value, hint_size, baseline, fill=_GREY))
    return lines


# --------------------------------------------------------------------------- text handling


def _clean(value: str) -> str:
    return clean_display_name(value, max_length=1000)


def _require_raqm() -> None:
    if not features.check("raqm"):
        raise CertificateError(
            "Pillow was built without libraqm: Arabic and Dari text cannot be shaped"
        )


def _base_direction(locale: str) -> Direction:
    return "rtl" if is_rtl(locale) else "ltr"


@dataclass(frozen=True)
class _Setting:
    """The faces and the OpenType language tags a certificate in one locale is drawn with."""

    plan: FacePlan
    base_language: str  # e.g. "ar", "fa", "uk"

    @classmethod
    def for_locale(cls, locale: str) -> _Setting:
        base = locale.replace("-", "_").split("_")[0].lower()
        # Dari (fa_AF, prs) uses Persian forms.
        return cls(FacePlan(arabic_face_for(locale)), "fa" if base in {"fa", "prs"} else base)

    def language(self, face: Face) -> str | None:
        """HarfBuzz language: the certificate's own where the piece is in its script."""
        if face is self.plan.arabic:
            return self.base_language if self.base_language in {"ar", "fa"} else "ar"
        return None if self.base_language in {"ar", "fa"} else self.base_language or "en"


def _drawable_text(text: CertificateText, plan: FacePlan) -> CertificateText:
    """Every field without the characters no bundled face can draw."""
    return CertificateText(
        **{
            name: "".join(piece for piece, _ in plan.segments(value))
            for name, value in vars(text).items()
        }
    )


def _first_strong_direction(text: str, default: Direction) -> Direction:
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in {"R", "AL"}:
            return "rtl"
    return default


def split_runs(text: str, direction: Direction) -> list[tuple[str, Direction]]:
    """Cut a paragraph into direction runs, in logical order.

    In an RTL paragraph each stretch from a strong left-to-right letter to the last LTR letter
    or digit before the next Arabic letter becomes an LTR run, with touching openers/closers
    such as "/" or "(". In an LTR paragraph each stretch from an Arabic letter to the last
    Arabic letter or digit before the next left-to-right letter becomes an RTL run (a name in
    Arabic letters on a Ukrainian certificate), since each run may need its own font.
    """
    if not text:
        return []
    if direction == "ltr":
        return _rtl_stretches(text)
    classes = [unicodedata.bidirectional(ch) for ch in text]
    runs: list[tuple[str, Direction]] = []
    rtl_start = 0
    i = 0
    while i < len(text):
        if classes[i] != "L":
            i += 1
            continue
        start = i
        while start > rtl_start and text[start - 1] in _LTR_OPENERS:
            start -= 1
        end = i  # last character of the LTR run (inclusive)
        j = i
        while j < len(text) and classes[j] not in {"R", "AL"}:
            if classes[j] in {"L", "EN"}:
                end = j
            j += 1
        while end + 1 < len(text) and text[end + 1] in _LTR_CLOSERS:
            end += 1
        if start > rtl_start:
            runs.append((text[rtl_start:start], "rtl"))
        runs.append((text[start : end + 1], "ltr"))
        rtl_start = i = end + 1
    if rtl_start < len(text):
        runs.append((text[rtl_start:], "rtl"))
    return runs


def _rtl_stretches(text: str) -> list[tuple[str, Direction]]:
    classes = [unicodedata.bidirectional(ch) for ch in text]
    runs: list[tuple[str, Direction]] = []
    ltr_start = 0
    i = 0
    while i < len(text):
        if classes[i] not in {"R", "AL"}:
            i += 1
            continue
        end = j = i
        while j < len(text) and classes[j] != "L":
            if classes[j] in {"R", "AL", "AN", "EN"}:
                end = j
            j += 1
        if i > ltr_start:
            runs.append((text[ltr_start:i], "ltr"))
        runs.append((text[i : end + 1], "rtl"))
        ltr_start = i = end + 1
    if ltr_start < len(text):
        runs.append((text[ltr_start:], "ltr"))
    return runs


@lru_cache(maxsize=256)
def _font(face: Face, size: int, *, bold: bool) -> ImageFont.FreeTypeFont:
    path = font_path(face, bold=bold)
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=4096)
def _pieces(
    value: str, size: int, bold: bool, direction: Direction, setting: _Setting
) -> tuple[tuple[str, Direction, Face, float], ...]:
    """(text, direction, face, width) in visual order from the paragraph's start edge: the
    direction runs in reading order, each cut into one-face pieces in the run's own order."""
    pieces = []
    for part, d in split_runs(value, direction):
        run = [
            (
                text,
                d,
                face,
                _font(face, size, bold=bold).getlength(
                    text, direction=d, language=setting.language(face)
                ),
            )
            for text, face in setting.plan.segments(part)
        ]
        pieces.extend(run if d == direction else reversed(run))
    return tuple(pieces)


def _measure(value: str, size: int, bold: bool, direction: Direction, setting: _Setting) -> float:
    return sum(width for *_, width in _pieces(value, size, bold, direction, setting))


def _place_runs(
    value: str, size: int, bold: bool, direction: Direction, setting: _Setting, centre: float
) -> tuple[Run, ...]:
    """Runs centred on `centre`; in an RTL paragraph the first run is the rightmost."""
    parts = _pieces(value, size, bold, direction, setting)
    total = sum(width for *_, width in parts)
    runs = []
    if direction == "rtl":
        right = centre + total / 2
        for part, d, face, width in parts:
            runs.append(Run(part, d, right - width, width, face))
            right -= width
    else:
        left = centre - total / 2
        for part, d, face, width in parts:
            runs.append(Run(part, d, left, width, face))
            left += width
    return tuple(runs)


def _fit_size(
    value: str,
    largest: int,
    smallest: int,
    max_width: float,
    bold: bool,
    direction: Direction,
    setting: _Setting,
) -> int:
    """The largest font size (stepping down) at which `value` fits on one line."""
    size = largest
    while size > smallest:
        width = _measure(value, size, bold, direction, setting)
        if width <= max_width:
            return size
        # Jump close to the fitting size, then keep stepping down (widths are not linear).
        size = max(smallest, min(size - 1, math.floor(size * max_width / width)))
    return smallest


def _balanced_split(
    value: str,
    size: int,
    bold: bool,
    max_width: float,
    direction: Direction,
    setting: _Setting,
) -> list[str] | None:
    """`value` on one line, or split into two lines of similar width; None if it cannot fit."""
    if _measure(value, size, bold, direction, setting) <= max_width:
        return [value]
    words = value.split(" ")
    best: tuple[float, list[str]] | None = None
    for cut in range(1, len(words)):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        widest = max(
            _measure(first, size, bold, direction, setting),
            _measure(second, size, bold, direction, setting),
        )
        if widest <= max_width and (best is None or widest < best[0]):
            best = (widest, [first, second])
    return best[1] if best else None


def _fit_wrapped(
    value: str,
    largest: int,
    smallest: int,
    max_width: float,
    bold: bool,
    direction: Direction,
    setting: _Setting,
) -> tuple[int, list[str]]:
    """Font size and one or two balanced lines for `value`. If it does not fit in two lines
    even at the smallest size, the second line is cut short with an ellipsis."""
    for size in range(largest, smallest - 1, -2):
        lines = _balanced_split(value, size, bold, max_width, direction, setting)
        if lines:
            return size, lines
    size = smallest
    first, rest = "", value
    for word in value.split(" "):  # greedy first line, everything else on the second
        candidate = f"{first} {word}" if first else word
        if first and _measure(candidate, size, bold, direction, setting) > max_width:
            break
        first = candidate
        rest = value[len(first) :].strip()
    lines = [_truncate(first, size, bold, max_width, direction, setting)]
    if rest:
        lines.append(_truncate(rest, size, bold, max_width, direction, setting))
    return smallest, lines


def _truncate(
    value: str,
    size: int,
    bold: bool,
    max_width: float,
    direction: Direction,
    setting: _Setting,
) -> str:
    if _measure(value, size, bold, direction, setting) <= max_width:
        return value
    while value and _measure(value + _ELLIPSIS, size, bold, direction, setting) > max_width:
        value = value[:-1].rstrip()
    return value + _ELLIPSIS


# --------------------------------------------------------------------------- drawing


def _draw_frame(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    unit = min(width / DEFAULT_SIZE[0], height / DEFAULT_SIZE[1])
    outer = round(34 * unit)
    inner = round(58 * unit)
    draw.rectangle(
        (outer, outer, width - outer - 1, height - outer - 1),
        outline=_NAVY,
        width=max(2, round(12 * unit)),
    )
    draw.rectangle(
        (inner, inner, width - inner - 1, height - inner - 1),
        outline=_GOLD,
        width=max(1, round(3 * unit)),
    )
    corner = round(16 * unit)
    for cx in (inner, width - inner - 1):
        for cy in (inner, height - inner - 1):
            _diamond(draw, cx, cy, corner, _GOLD)


def _draw_ornaments(
    draw: ImageDraw.ImageDraw, lines: list[PlacedLine], width: int, height: int
) -> None:
    unit = min(width / DEFAULT_SIZE[0], height / DEFAULT_SIZE[1])
    centre = width / 2
    thin = max(1, round(2 * unit))
    by_role = {line.role: line for line in lines}

    # A short rule with a diamond under the heading.
    rule_y = by_role["heading"].y + 45 * unit
    half = 170 * unit
    draw.line((centre - half, rule_y, centre - 18 * unit, rule_y), fill=_GOLD, width=thin)
    draw.line((centre + 18 * unit, rule_y, centre + half, rule_y), fill=_GOLD, width=thin)
    _diamond(draw, centre, rule_y, round(8 * unit), _GOLD)

    # A line under the name, a little wider than the name.
    name = by_role["name"]
    name_width = sum(run.width for run in name.runs)
    half = min(width / 2 - 150 * unit, max(300 * unit, name_width / 2 + 40 * unit))
    # Below the deepest descender (Naskh's ي and ن reach far under the baseline).
    depth = max(
        (
            _font(run.face, name.font_size, bold=name.bold).getbbox(
                run.text, anchor="ls", direction=run.direction
            )[3]
            for run in name.runs
        ),
        default=0,
    )
    underline_y = name.y + max(32 * unit, depth + 10 * unit)
    draw.line((centre - half, underline_y, centre + half, underline_y), fill=_GOLD, width=thin)

    # Rules above the date and the code, like signature lines.
    for role in ("date", "code"):
        line = by_role[role]
        left = min(run.x for run in line.runs)
        right = max(run.x + run.width for run in line.runs)
        middle = (left + right) / 2
        half = max(150 * unit, (right - left) / 2 + 20 * unit)
        rule_y = line.y + 22 * unit
        draw.line((middle - half, rule_y, middle + half, rule_y), fill=_GREY, width=thin)

    # A seal between the date and the code.
    seal_y = by_role["date"].y - 10 * unit
    radius = 62 * unit
    draw.ellipse(
        (centre - radius, seal_y - radius, centre + radius, seal_y + radius),
        outline=_GOLD,
        width=max(2, round(4 * unit)),
    )
    radius_inner = radius - 10 * unit
    draw.ellipse(
        (
            centre - radius_inner,
            seal_y - radius_inner,
            centre + radius_inner,
            seal_y + radius_inner,
        ),
        outline=_GOLD,
        width=thin,
    )
    # A check mark drawn as lines (no glyph needed).
    stroke = max(3, round(8 * unit))
    points = [
        (centre - 24 * unit, seal_y + 2 * unit),
        (centre - 6 * unit, seal_y + 20 * unit),
        (centre + 26 * unit, seal_y - 20 * unit),
    ]
    draw.line(points, fill=_NAVY, width=stroke, joint="curve")


def _diamond(
    draw: ImageDraw.ImageDraw, x: float, y: float, r: float, fill: tuple[int, int, int]
) -> None:
    draw.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=fill)


def _encode(image: Image.Image) -> bytes:
    """PNG keeps text crisp; a 64-colour palette keeps it small. Falls back to JPEG."""
    buffer = io.BytesIO()
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        buffer, "PNG", optimize=True
    )
    if buffer.tell() <= MAX_BYTES:
        return buffer.getvalue()
    for quality in (90, 85, 80, 70, 60):  # pragma: no cover - only for huge custom sizes
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True, subsampling=0)
        if buffer.tell() <= MAX_BYTES:
            break
    return buffer.getvalue()  # pragma: no cover


__all__ = [
    "CertificateError",
    "CertificateText",
    "PlacedLine",
    "Run",
    "certificate_lines",
    "clean_certificate_text",
    "layout_certificate",
    "render_certificate",
    "split_runs",
]
