"""Every catalog is complete: no missing or empty message, same placeholders, right plural forms."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from bot.catalogs import POT, po_path
from core.locales import CATALOG_LOCALES

PLURAL_FORMS = {"ar": 6, "fa_AF": 2, "uk": 3, "en": 2}
COMMAND = re.compile(r"(?<![\w/])/[a-z_]+")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _template_ids() -> set[object]:
    with POT.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("locale", CATALOG_LOCALES)
def test_catalog_is_complete_and_consistent(locale: str) -> None:
    with po_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    assert catalog.num_plurals == PLURAL_FORMS[locale]
    translated = {message.id: message for message in catalog if message.id}
    missing = _template_ids() - translated.keys()
    assert not missing, f"{locale}: not in the catalog: {sorted(map(str, missing))[:5]}"
    problems = []
    for message in translated.values():
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple) and len(targets) != PLURAL_FORMS[locale]:
            problems.append(f"{len(targets)} plural forms: {message.id!r}")
        expected = set().union(*(_placeholders(s) for s in sources))
        commands = set().union(*(set(COMMAND.findall(s)) for s in sources))
        for target in targets:
            if not target or not target.strip():
                problems.append(f"empty: {message.id!r}")
                continue
            try:
                found = _placeholders(target)
            except ValueError as error:
                problems.append(f"broken placeholder ({error}): {message.id!r}")
                continue
            if found != expected and not (isinstance(message.id, tuple) and found <= expected):
                problems.append(
                    f"placeholders {sorted(found)} vs {sorted(expected)}: {message.id!r}"
                )
            if not commands <= set(COMMAND.findall(target)):
                problems.append(f"commands {sorted(commands)} missing: {message.id!r}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


def test_template_is_up_to_date() -> None:
    """The .pot holds every string the code marks; run `python -m bot i18n update` if not."""
    from babel.messages.extract import extract_from_dir

    from bot.catalogs import ROOT

    with (ROOT / "babel.cfg").open() as handle:
        from babel.messages.frontend import parse_mapping_cfg

        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    assert found <= _template_ids(), sorted(map(str, found - _template_ids()))[:5]


def test_arabic_plural_forms_follow_cldr() -> None:
    """zero, one, two, few (3-10), many (11-99), other (100-102, ...)."""
    with po_path("ar").open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    from gettext import c2py

    plural = c2py(catalog.plural_expr)
    assert [plural(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111)] == [
        0,
        1,
        2,
        3,
        3,
        4,
        4,
        5,
        5,
        3,
        4,
    ]
