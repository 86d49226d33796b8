"""Translations and locale-aware formatting, usable inside and outside handlers.

The current locale lives in a context variable: the i18n middleware sets it per update, and code
outside a handler (scheduler, outbox) wraps its rendering in ``use_locale(user_locale)``.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, numbers
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.lists import format_list as babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from core.bidi import is_rtl, isolate, isolate_ltr
from core.locales import CATALOG_LOCALES, FORMAT_LOCALES, NATIVE_NUMBERING

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
log = logging.getLogger(__name__)

_current: ContextVar[str] = ContextVar("locale", default="en")


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog for a locale; compiles the .po in memory when the .mo is missing."""
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    mo_path, po_path = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    ):
        with mo_path.open("rb") as handle:
            return Translations(handle, domain=DOMAIN)
    if po_path.exists():
        log.warning("%s is missing or stale; compiling %s in memory", mo_path.name, po_path)
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)
    if locale != "en":
        log.error("no catalog for %s under %s", locale, folder)
    return NullTranslations()


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _current.set(locale if locale in CATALOG_LOCALES else "en")
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with gettext()."""
    return message


_ = gettext


def babel_locale(locale: str | None = None) -> Locale:
    """The CLDR locale that formats numbers and dates for a catalog (ar: ar_SY)."""
    loc = locale or _current.get()
    return _parse_locale(FORMAT_LOCALES.get(loc, loc))


@cache
def _parse_locale(name: str) -> Locale:
    return Locale.parse(name)


# Digits: "native" shows Arabic-Indic digits in Arabic and Persian digits in Dari (the default),
# "latin" shows Western digits everywhere. The deployment sets it once (bot.settings: DIGITS).
DIGITS_MODES = ("native", "latin")
_digits_mode = "native"
_DIGIT_TABLES = {
    "arab": str.maketrans(
        "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    ),
    "arabext": str.maketrans(
        "0123456789", "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9"
    ),
}


def set_digits(mode: str) -> None:
    """Choose the digits of the whole process: "native" or "latin"."""
    global _digits_mode
    if mode not in DIGITS_MODES:
        raise ValueError(f"unknown digits mode {mode!r}; use one of {', '.join(DIGITS_MODES)}")
    _digits_mode = mode


def digits_mode() -> str:
    return _digits_mode


def numbering_system(locale: str | None = None) -> str:
    """The CLDR numbering system of a catalog's numbers: "arab", "arabext" or "latn"."""
    if _digits_mode == "latin":
        return "latn"
    return NATIVE_NUMBERING.get(locale or _current.get(), "latn")


def localize_digits(text: str, locale: str | None = None) -> str:
    """Western digits in `text` written in the catalog's digits (unchanged in Latin mode)."""
    table = _DIGIT_TABLES.get(numbering_system(locale))
    return text.translate(table) if table else text


def _symbol(loc: str, system: str, name: str, default: str) -> str:
    return babel_locale(loc).number_symbols[system].get(name, default)


def _localize(text: str, loc: str, system: str, *, sign: str | None = None) -> str:
    """Babel's output with the digits, percent and sign of the numbering system.

    Babel applies the system's decimal and group separators but keeps the pattern's ASCII
    digits, "%" and "-". `sign` replaces the pattern's "-" (a "+" for a signed amount).
    """
    text = text.replace("-", sign if sign is not None else _symbol(loc, system, "minusSign", "-"))
    text = text.replace("%", _symbol(loc, system, "percentSign", "%"))
    table = _DIGIT_TABLES.get(system)
    return text.translate(table) if table else text


def format_number(value: int | float | Decimal, locale: str | None = None) -> str:
    """A number with the locale's separators and digits (not isolated: see embed)."""
    loc = locale or _current.get()
    system = numbering_system(loc)
    text = numbers.format_decimal(value, locale=babel_locale(loc), numbering_system=system)
    return _localize(text, loc, system)


def format_percent(ratio: float, locale: str | None = None) -> str:
    """0.8 -> "80%" ("٨٠٪" in Arabic, "۸۰٪" in Dari); not isolated: see embed."""
    loc = locale or _current.get()
    system = numbering_system(loc)
    text = numbers.format_percent(ratio, locale=babel_locale(loc), numbering_system=system)
    return _localize(text, loc, system)


def format_money(minor_units: int, currency: str, locale: str | None = None) -> str:
    """An integer amount in minor units, formatted for the locale and isolated for RTL text.

    In a right-to-left locale the amount is one isolated unit (FSI...PDI) and a Latin currency
    symbol inside it is isolated left-to-right, so "٠٫٤٠ US$" never shows as "$US".
    """
    loc = locale or _current.get()
    return _format_money(minor_units, currency, loc, _digits_mode, signed=False)


def format_signed_money(minor_units: int, currency: str, locale: str | None = None) -> str:
    """Like format_money with the sign always shown ("+$0.40", "-$0.40"; no sign for zero).

    The sign is the locale's own (CLDR plus/minus sign with its direction mark) and sits where
    the locale puts a minus, inside the isolated amount: it cannot drift to the far end of an
    RTL line.
    """
    loc = locale or _current.get()
    return _format_money(minor_units, currency, loc, _digits_mode, signed=True)


@lru_cache(maxsize=4096)
def _format_money(minor_units: int, currency: str, loc: str, mode: str, *, signed: bool) -> str:
    system = "latn" if mode == "latin" else NATIVE_NUMBERING.get(loc, "latn")
    digits = numbers.get_currency_precision(currency)
    amount = Decimal(minor_units).scaleb(-digits)
    babel = babel_locale(loc)
    sign = None
    if signed and minor_units > 0:
        amount, sign = -amount, _symbol(loc, system, "plusSign", "+")
    text = numbers.format_currency(amount, currency, locale=babel, numbering_system=system)
    text = _localize(text, loc, system, sign=sign)
    if not is_rtl(loc):
        return text
    symbol = numbers.get_currency_symbol(currency, locale=babel)
    if any(unicodedata.bidirectional(ch) == "L" for ch in symbol):
        text = text.replace(symbol, isolate_ltr(symbol), 1)
    return isolate(text)


def format_fraction(part: int, whole: int, locale: str | None = None) -> str:
    """ "3/7" in the locale's digits, kept left-to-right as one unit in RTL text (never "7/3")."""
    loc = locale or _current.get()
    text = f"{format_number(part, loc)}/{format_number(whole, loc)}"
    return isolate_ltr(text) if is_rtl(loc) else text


def format_list(items: Iterable[str], locale: str | None = None) -> str:
    """Items joined as the language joins them: "a, b, and c", "a, b і c", Dari's "،" and
    "و", Arabic's "أ وب وج"."""
    return babel_format_list(list(items), style="standard", locale=babel_locale(locale))


def format_date(value: date, locale: str | None = None, fmt: str = "long") -> str:
    loc = locale or _current.get()
    text = localize_digits(babel_format_date(value, format=fmt, locale=babel_locale(loc)), loc)
    return isolate(text) if is_rtl(loc) else text


def format_datetime(
    value: datetime,
    locale: str | None = None,
    fmt: str = "medium",
    tzinfo: tzinfo | None = None,
) -> str:
    """An aware datetime shown in `tzinfo` (the deployment's TIMEZONE), for the locale."""
    loc = locale or _current.get()
    text = babel_format_datetime(value, format=fmt, tzinfo=tzinfo, locale=babel_locale(loc))
    text = localize_digits(text, loc)
    return isolate(text) if is_rtl(loc) else text


def format_time(value: time | datetime, locale: str | None = None, *, isolated: bool = True) -> str:
    """A time of day ("21:00"; a datetime in its own zone), short, in the locale's digits;
    isolated in right-to-left text unless `isolated` is False (a button holds nothing else)."""
    loc = locale or _current.get()
    text = localize_digits(babel_format_time(value, format="short", locale=babel_locale(loc)), loc)
    return isolate(text) if isolated and is_rtl(loc) else text


# For a fraction ("1.5 minutes"), the plural form a language writes it with: Arabic's "other"
# form (the singular), Ukrainian's "few" form (genitive singular); elsewhere the plural.
_FRACTION_N = {"ar": 100, "uk": 2}


def _plural_n(value: float) -> tuple[int, object]:
    """The n that picks the plural form, and the number as shown."""
    if float(value).is_integer():
        return int(value), int(value)
    return _FRACTION_N.get(_current.get(), 2), value


def minutes_text(value: float) -> str:
    """A number of minutes with its unit, agreeing with the number ("دقيقتين", "5 min")."""
    n, shown = _plural_n(value)
    return ngettext("{n} minute", "{n} minutes", n).format(n=embed(shown))


def seconds_text(value: float) -> str:
    """A number of seconds with its unit, agreeing with the number."""
    n, shown = _plural_n(value)
    return ngettext("{n} second", "{n} seconds", n).format(n=embed(shown))


def format_kilobytes(count: int, locale: str | None = None) -> str:
    """A size in bytes as kilobytes with one decimal ("80.5 KB"), one unit in RTL text."""
    loc = locale or _current.get()
    with use_locale(loc):
        text = gettext("{size} KB").format(size=format_number(round(count / 1024, 1), loc))
    return isolate(text) if is_rtl(loc) else text


def embed(value: object, locale: str | None = None) -> str:
    """A run embedded in a sentence: isolated when the message is right-to-left.

    Numbers (int, float, Decimal) are written in the locale's digits; a string is kept as it is
    (a name, an already formatted figure). Codes and ids use code(), which keeps Latin digits.
    """
    loc = locale or _current.get()
    if isinstance(value, int) and not isinstance(value, bool):
        text = _localize(str(value), loc, numbering_system(loc))
    elif isinstance(value, (float, Decimal)):
        text = format_number(value, loc)
    else:
        text = str(value)
    return isolate(text) if is_rtl(loc) else text


def code(value: object, locale: str | None = None) -> str:
    """A code (certificate code, invite code, user id, command) as typed: Latin digits, kept
    left-to-right (LRI...PDI) in a right-to-left message."""
    loc = locale or _current.get()
    return isolate_ltr(value) if is_rtl(loc) else str(value)
