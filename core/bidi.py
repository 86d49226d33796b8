"""Right-to-left safety: isolate embedded runs and clean names that users type."""

from __future__ import annotations

import re
import unicodedata

FSI = "\u2068"  # FIRST STRONG ISOLATE
LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
RLI = "\u2067"  # RIGHT-TO-LEFT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SPACES = re.compile(r"\s+")
RTL_LOCALES = frozenset({"ar", "fa_AF", "fa", "prs"})


def is_rtl(locale: str) -> bool:
    return locale in RTL_LOCALES or locale.split("_")[0] in {"ar", "fa"}


def isolate(value: object) -> str:
    """Wrap a run (a number, an amount, a code, a Latin name) so it keeps its own direction."""
    text = str(value)
    return f"{FSI}{text}{PDI}"


def isolate_ltr(value: object) -> str:
    """Wrap a run that is always left-to-right (a code, a URL, a command)."""
    return f"{LRI}{value}{PDI}"


def strip_bidi_controls(text: str) -> str:
    return "".join(ch for ch in text if ch not in BIDI_CONTROLS)


def clean_display_name(name: str, max_length: int = 64) -> str:
    """A name fit for a certificate or a coordinator's screen.

    Drops bidi controls and every other control or format character (zero-width joiners are
    kept: Persian and Arabic spelling needs ZWNJ), collapses whitespace, and trims to max_length.
    """
    kept = []
    for ch in unicodedata.normalize("NFC", name):
        if ch in BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if ch in "\u200c\u200d" or category not in {"Cc", "Cf", "Co", "Cs", "Cn"}:
            kept.append(ch)
        elif ch in "\t\n\r":
            kept.append(" ")
    cleaned = _SPACES.sub(" ", "".join(kept)).strip()
    return cleaned[:max_length].rstrip()
