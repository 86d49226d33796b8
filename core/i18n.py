"""Translations and locale-aware formatting, usable inside and outside handlers.

The current locale lives in a context variable: the i18n middleware sets it per update, and code
outside a handler (scheduler, outbox) wraps its rendering in ``use_locale(user_locale)``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, numbers
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from core.bidi import is_rtl, isolate
from core.locales import CATALOG_LOCALES

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
    return Locale.parse(locale or _current.get())


def format_number(value: int | float | Decimal, locale: str | None = None) -> str:
    return numbers.format_decimal(value, locale=babel_locale(locale))


def format_percent(ratio: float, locale: str | None = None) -> str:
    return numbers.format_percent(ratio, locale=babel_locale(locale))


def format_money(minor_units: int, currency: str, locale: str | None = None) -> str:
    """An integer amount in minor units, formatted for the locale and isolated for RTL text."""
    return _format_money(minor_units, currency, locale or _current.get())


@lru_cache(maxsize=4096)
def _format_money(minor_units: int, currency: str, loc: str) -> str:
    digits = numbers.get_currency_precision(currency)
    amount = Decimal(minor_units).scaleb(-digits)
    text = numbers.format_currency(amount, currency, locale=babel_locale(loc))
    return isolate(text) if is_rtl(loc) else text


def format_date(value: date, locale: str | None = None, fmt: str = "long") -> str:
    loc = locale or _current.get()
    text = babel_format_date(value, format=fmt, locale=babel_locale(loc))
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
    return isolate(text) if is_rtl(loc) else text


def embed(value: object, locale: str | None = None) -> str:
    """Isolate an embedded run (a number, a code, Latin text) when the message is right-to-left."""
    loc = locale or _current.get()
    return isolate(value) if is_rtl(loc) else str(value)
