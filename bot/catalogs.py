"""Maintaining the gettext catalogs: extract, merge, compile (wraps Babel's own tools)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from core.i18n import DOMAIN, LOCALES_DIR
from core.locales import CATALOG_LOCALES

ROOT = LOCALES_DIR.parent
POT = LOCALES_DIR / f"{DOMAIN}.pot"
# Babel's table gives Persian one form (Dari text needs singular and plural, as GNU gettext has
# it) and swaps Arabic's "many" (11-99) and "other" (100-102...) forms.
PLURAL_FORMS = {
    "fa_AF": "nplurals=2; plural=(n > 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
    "n%100>=11 ? 4 : 5);",
}


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _pybabel(*args: str) -> int:
    return CommandLineInterface().run(["pybabel", "-q", *args]) or 0


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def _write(locale: str, catalog: Catalog) -> None:
    with po_path(locale).open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)


def _parse_forms(forms: str) -> tuple[int, str]:
    count, expression = (part.split("=", 1)[1].strip() for part in forms.rstrip(";").split(";"))
    return int(count), expression


def _fix_header(locale: str) -> None:
    # Every catalog is written back at one width, so an update does not rewrap whole files.
    catalog = read_catalog(locale)
    forms = PLURAL_FORMS.get(locale)
    if forms is not None:
        catalog._num_plurals, catalog._plural_expr = _parse_forms(forms)
    _write(locale, catalog)


def update() -> None:
    """Extract source strings, merge them into every catalog, and fill English from the source."""
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "N_",
        "-k",
        "ngettext:1,2",
        "--sort-output",
        "--no-location",
        "--project=Rafiq",
        "-o",
        str(POT),
        str(ROOT),
    )
    for locale in CATALOG_LOCALES:
        if po_path(locale).exists():
            _pybabel(
                "update",
                "-D",
                DOMAIN,
                "-i",
                str(POT),
                "-d",
                str(LOCALES_DIR),
                "-l",
                locale,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            _pybabel("init", "-D", DOMAIN, "-i", str(POT), "-d", str(LOCALES_DIR), "-l", locale)
        _fix_header(locale)
    english = read_catalog("en")
    for message in english:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = message.id
        elif not message.string:
            message.string = message.id
    _write("en", english)


def compile_all() -> int:
    """Compile every catalog; non-zero when Babel found a broken entry."""
    return _pybabel("compile", "-D", DOMAIN, "-d", str(LOCALES_DIR), "--statistics")
