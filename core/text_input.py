"""What people type, made safe in one place: names, command arguments, numbers, echoes.

Every name or argument a handler keeps or repeats goes through here: NFC, whitespace collapsed,
bidi controls and invisible characters (zero-width, Hangul fillers, other format characters)
removed, a length cap at a word boundary that the caller can tell the user about, digits parsed
strictly, and echoes cut to a short excerpt isolated from the sentence around it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from core.bidi import BIDI_CONTROLS, is_rtl, isolate
from core.i18n import current_locale

ZWNJ, ZWJ = "\u200c", "\u200d"  # Persian and Arabic spelling needs them between letters
# Letters (category Lo) that draw nothing: Hangul fillers and the halfwidth filler.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Spaces that show nothing but are not whitespace to str.split (or not reliably): Braille blank,
# Mongolian vowel separator, combining grapheme joiner.
INVISIBLE_OTHER = frozenset("\u2800\u180e\u034f")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
_SPACES = re.compile(r"\s+")
_ASCII_DIGITS = "0123456789"
_ARABIC_INDIC = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
_PERSIAN = "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"
_DIGIT_VALUES = {
    ch: value
    for digits in (_ASCII_DIGITS, _ARABIC_INDIC, _PERSIAN)
    for value, ch in enumerate(digits)
}
ELLIPSIS = "…"
EXCERPT_LENGTH = 40


@dataclass(frozen=True)
class Cleaned:
    """A cleaned text and whether the cap shortened it (so the user can be told)."""

    text: str
    shortened: bool = False


def _joiner_kept(text: str, index: int) -> bool:
    """A ZWNJ/ZWJ is kept only between two letters or marks, where spelling needs it."""

    def letter(at: int) -> bool:
        return 0 <= at < len(text) and unicodedata.category(text[at])[0] in "LM"

    return letter(index - 1) and letter(index + 1)


def clean(text: str, max_length: int | None = None) -> Cleaned:
    """NFC, invisible and control characters dropped, whitespace collapsed, capped at a word."""
    kept: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in BIDI_CONTROLS or ch in INVISIBLE_LETTERS or ch in INVISIBLE_OTHER:
            kept.append("" if not ch.isspace() else " ")
            continue
        if unicodedata.category(ch) in _DROPPED_CATEGORIES and ch not in (ZWNJ, ZWJ):
            kept.append(" " if ch in "\t\n\r\v\f\x1c\x1d\x1e\x1f\x85" else "")
            continue
        kept.append(ch)
    joined = "".join(kept)
    joined = "".join(
        ch for i, ch in enumerate(joined) if ch not in (ZWNJ, ZWJ) or _joiner_kept(joined, i)
    )
    # Removing a character can bring a letter and its mark together again: normalise once more.
    result = _SPACES.sub(" ", unicodedata.normalize("NFC", joined)).strip()
    if max_length is None or len(result) <= max_length:
        return Cleaned(result)
    return Cleaned(cap(result, max_length), shortened=True)


def cap(text: str, max_length: int) -> str:
    """At most max_length characters, cut at the last space that fits when there is one."""
    if len(text) <= max_length:
        return text
    head = text[: max_length + 1]
    space = head.rfind(" ")
    cut = head[:space] if space > 0 else text[:max_length]
    # A cut must not leave a dangling joiner or a lone combining mark's base cut off.
    return cut.rstrip(" " + ZWNJ + ZWJ)


def has_visible_letter(text: str) -> bool:
    return any(
        unicodedata.category(ch).startswith("L") and ch not in INVISIBLE_LETTERS for ch in text
    )


def clean_name(text: str, max_length: int) -> Cleaned | None:
    """A cleaned name, or None when nothing visible is left (no letter a reader could see)."""
    cleaned = clean(text, max_length)
    return cleaned if has_visible_letter(cleaned.text) else None


def parse_number(text: str, *, low: int = 0, high: int = 2**63 - 1) -> int | None:
    """A whole number written with ASCII, Arabic-Indic or Persian digits only, within bounds.

    Superscripts, fractions, signs, spaces inside and other scripts' digits are refused.
    """
    text = clean(text).text
    if not text or len(text) > len(str(high)) + 1:
        return None
    value = 0
    for ch in text:
        digit = _DIGIT_VALUES.get(ch)
        if digit is None:
            return None
        value = value * 10 + digit
    return value if low <= value <= high else None


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text)


def excerpt(text: object, limit: int = EXCERPT_LENGTH, locale: str | None = None) -> str:
    """What a reply may repeat of user input: cleaned and short, and isolated (FSI...PDI)
    whenever its direction could differ from the sentence's: in a right-to-left message, or
    when it holds right-to-left text."""
    cleaned = clean(str(text)).text
    if len(cleaned) > limit:
        cleaned = cap(cleaned, limit - 1) + ELLIPSIS
    if is_rtl(locale or current_locale()) or has_rtl(cleaned):
        return isolate(cleaned)
    return cleaned


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits written as 0-9; every other character kept as it is."""
    return "".join(str(_DIGIT_VALUES[ch]) if ch in _DIGIT_VALUES else ch for ch in text)
